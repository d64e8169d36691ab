/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * The parent: bpfemu-run forks PROGRAM (child.c) and stays, so that it can say 125 when PROGRAM's
 * copy of the preload never answers the handshake. Otherwise it is transparent, as env(1) is:
 *  - the handshake: the preload's constructor writes "ok PID" to an inherited pipe before
 *    PROGRAM's main() runs (shim/preload.c). Only PROGRAM's own pid counts: a grandchild that has
 *    the library proves nothing about PROGRAM. No word before PROGRAM ends (or the pipe closed
 *    without one) means the library was not active: say why, exit 125 — unless PROGRAM died of a
 *    signal someone sent bpfemu-run (passed on: it may come before the constructor ran). Meanwhile
 *    the seccomp net keeps PROGRAM's bpf() calls off the kernel.
 *  - signals sent to bpfemu-run by another process are passed on to PROGRAM; those the terminal
 *    sends (SI_KERNEL) reach PROGRAM by themselves, as it is in the same process group. When
 *    PROGRAM stops (^Z), bpfemu-run stops too, so the shell sees the job stop.
 *  - the exit status is PROGRAM's: its code, or the same signal raised on bpfemu-run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

static const int relayed[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
			       SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD };

struct sup {
	pid_t pid;
	int hs, ee, sfd;       /* handshake pipe, exec-error pipe, signalfd; -1 once closed */
	bool handshake, said, eof_pending;
	int relayed_sig;       /* the last signal passed on to PROGRAM from another process */
	char hs_buf[256];
	size_t hs_len;
	const struct run_opts *o;
};

/* Why there was no handshake, once; wst: how PROGRAM ended (-1: it is still running). */
static void say_no_handshake(struct sup *s, int wst)
{
	char ended[96];

	if (s->said)
		return;
	s->said = true;
	if (wst == -1)
		snprintf(ended, sizeof(ended), " (it closed the pipe the library answers on)");
	else if (WIFSIGNALED(wst))
		snprintf(ended, sizeof(ended), " before it was killed by signal %d (%s)", WTERMSIG(wst),
			 strsignal(WTERMSIG(wst)));
	else
		snprintf(ended, sizeof(ended), " before it exited with status %d", WEXITSTATUS(wst));
	fprintf(stderr,
		"%s: the preload library was not active in %s (pid %d): no handshake from it%s. The dynamic "
		"loader dropped it (its message, if any, is above: a library it cannot load, a set-user-ID "
		"program) or %s runs without the dynamic loader. %s\n",
		prog_name, s->o->argv[0], (int)s->pid, ended, s->o->argv[0],
		s->o->deny_bpf ? "Its bpf() calls failed with ENOSYS; none reached the kernel."
			       : "Its bpf() calls went to the kernel, unchecked (--diff).");
	if (wst == -1)
		fprintf(stderr, "%s: %s keeps running; %s exits 125 when it ends\n", prog_name, s->o->argv[0],
			prog_name);
}

/* Lines from the pipe: "ok PID", or "warn PID TEXT" (active, but something the user must know). */
static void read_handshake(struct sup *s, bool running)
{
	ssize_t n;

	while (s->hs >= 0) {
		char *nl;

		n = read(s->hs, s->hs_buf + s->hs_len, sizeof(s->hs_buf) - 1 - s->hs_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(s->hs);
			s->hs = -1;
			break;
		}
		s->hs_len += (size_t)n;
		s->hs_buf[s->hs_len] = 0;
		while ((nl = strchr(s->hs_buf, '\n'))) {
			long pid = 0;
			char *rest = NULL;

			*nl = 0;
			if (!strncmp(s->hs_buf, "ok ", 3) || !strncmp(s->hs_buf, "warn ", 5)) {
				pid = strtol(strchr(s->hs_buf, ' ') + 1, &rest, 10);
				if (pid == s->pid) {
					s->handshake = true;
					if (s->hs_buf[0] == 'w')
						fprintf(stderr, "%s: warning: %s\n", prog_name, rest + strspn(rest, " "));
					else if (s->o->debug)
						fprintf(stderr, "%s: handshake from %s (pid %ld): the preload library is active\n",
							prog_name, s->o->argv[0], pid);
				}
			}
			memmove(s->hs_buf, nl + 1, s->hs_len - (size_t)(nl + 1 - s->hs_buf) + 1);
			s->hs_len -= (size_t)(nl + 1 - s->hs_buf);
		}
		if (s->hs_len >= sizeof(s->hs_buf) - 1)
			s->hs_len = 0; /* not ours: drop it */
	}
	/* The pipe also closes as PROGRAM dies, a moment before it can be waited for: the exit path
	 * says it then, with how it ended; only a PROGRAM alive a second later is told about now. */
	if (s->hs < 0 && !s->handshake && s->o->expect_handshake && running)
		s->eof_pending = true;
}

/* The exec's outcome: EOF (it happened) or {stage, errno} (it did not). 0, or our exit status. */
static int read_exec_result(struct sup *s)
{
	int rec[2];
	ssize_t n;

	do
		n = read(s->ee, rec, sizeof(rec));
	while (n < 0 && errno == EINTR);
	close(s->ee);
	s->ee = -1;
	if (n != (ssize_t)sizeof(rec))
		return 0;
	waitpid(s->pid, NULL, 0);
	if (rec[0] == 1) {
		fprintf(stderr, "%s: cannot install the seccomp filter that keeps bpf() off the kernel: %s\n", prog_name,
			strerror(rec[1]));
		return EXIT_RUN_FAILED;
	}
	if (rec[0] == 2) {
		fprintf(stderr, "%s: cannot hand the handshake pipe to %s: %s\n", prog_name, s->o->argv[0],
			strerror(rec[1]));
		return EXIT_RUN_FAILED;
	}
	fprintf(stderr, "%s: %s: %s\n", prog_name, s->o->argv[0], strerror(rec[1]));
	return rec[1] == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
}

/* PROGRAM ended by signal sig: end the same way. */
static int die_like(int sig)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t set;

	setrlimit(RLIMIT_CORE, &no_core); /* PROGRAM dumped its core if it was to */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig;
}

static void relay(struct sup *s, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	/* the terminal's signals reach the whole process group; PROGRAM's own to its group too */
	if (si->ssi_code == SI_KERNEL || (pid_t)si->ssi_pid == s->pid)
		return;
	s->relayed_sig = sig;
	kill(s->pid, sig);
}

int run_supervise(const struct run_opts *o)
{
	struct sup s = { .hs = -1, .ee = -1, .sfd = -1, .o = o };
	int hs[2], ee[2], status = EXIT_RUN_FAILED;
	sigset_t set, old;
	struct stat st;
	char var[64];

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
		sigaddset(&set, relayed[i]);
	if (pipe2(hs, O_CLOEXEC) || pipe2(ee, O_CLOEXEC) || fstat(hs[1], &st)) {
		fprintf(stderr, "%s: pipe: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	snprintf(var, sizeof(var), "%d:%llu", hs[1], (unsigned long long)st.st_ino);
	if (!run_set_var("BPFEMU_HANDSHAKE", var))
		return EXIT_RUN_FAILED;
	sigprocmask(SIG_BLOCK, &set, &old);
	s.sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s.sfd < 0) {
		fprintf(stderr, "%s: signalfd: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	fflush(NULL);
	s.pid = fork();
	if (s.pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	if (s.pid == 0) {
		struct run_child c = { .argv = o->argv, .deny_bpf = o->deny_bpf, .handshake_fd = hs[1],
				       .exec_err_fd = ee[1], .old_mask = &old };

		close(hs[0]);
		close(ee[0]);
		close(s.sfd);
		run_child_exec(&c);
	}
	close(hs[1]);
	close(ee[1]);
	s.hs = hs[0];
	s.ee = ee[0];
	fcntl(s.hs, F_SETFL, O_NONBLOCK);

	for (;;) {
		struct pollfd p[3] = { { s.ee, POLLIN, 0 }, { s.hs, POLLIN, 0 }, { s.sfd, POLLIN, 0 } };
		struct signalfd_siginfo si;
		int wst;
		pid_t w;

		int ready = poll(p, 3, s.eof_pending ? 1000 : -1);

		if (ready == 0) { /* a second after the pipe closed, PROGRAM still runs */
			s.eof_pending = false;
			say_no_handshake(&s, -1);
			continue;
		}
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", prog_name, strerror(errno));
			kill(s.pid, SIGKILL);
			return EXIT_RUN_FAILED;
		}
		if (s.ee >= 0 && (p[0].revents & (POLLIN | POLLHUP))) {
			status = read_exec_result(&s);
			if (status)
				return status;
		}
		if (s.hs >= 0 && s.ee < 0 && (p[1].revents & (POLLIN | POLLHUP)))
			read_handshake(&s, true);
		if (!(p[2].revents & POLLIN) || read(s.sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			relay(&s, &si);
			continue;
		}
		while ((w = waitpid(s.pid, &wst, WNOHANG | WUNTRACED)) == s.pid) {
			if (WIFSTOPPED(wst)) {
				/* ^Z: stop with PROGRAM, so the shell sees the job stop; SIGCONT wakes both */
				kill(getpid(), SIGSTOP);
				continue;
			}
			if (s.ee >= 0 && (status = read_exec_result(&s)))
				return status;
			if (s.hs >= 0)
				read_handshake(&s, false);
			/* killed by the signal someone sent bpfemu-run, before its constructor could
			 * answer: a stop the user asked for, not a library that was dropped (its bpf()
			 * calls, had it made any, met the seccomp net) */
			if (!s.handshake && o->expect_handshake && WIFSIGNALED(wst) && WTERMSIG(wst) == s.relayed_sig) {
				if (o->debug)
					fprintf(stderr, "%s: %s (pid %d) was killed by the signal %d passed on to it before the "
						"preload library answered\n", prog_name, o->argv[0], (int)s.pid, s.relayed_sig);
			} else if (!s.handshake && o->expect_handshake) {
				say_no_handshake(&s, wst);
				return EXIT_RUN_FAILED;
			}
			if (WIFSIGNALED(wst))
				return die_like(WTERMSIG(wst));
			return WEXITSTATUS(wst);
		}
	}
}
