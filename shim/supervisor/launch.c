/* SPDX-License-Identifier: MIT */
/*
 * The two processes of `bpfemu-run --seccomp`: the program (the child) and its supervisor (this
 * process, which stays bpfemu-run, so the shell waits on it and signals sent to it reach the
 * program).
 *
 * The child sets PR_SET_NO_NEW_PRIVS, installs the filter with a new listener (and, where the
 * kernel has it, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once the supervisor has taken a call,
 * only a fatal signal interrupts it, so a Go program's preemption signals never make it repeat a
 * call that was already answered, such as a queue pop), sends the listener over a socketpair
 * (SCM_RIGHTS), waits for the parent's go-ahead and execs. The parent first asks the kernel for
 * what it needs — user notification (5.0) and SECCOMP_ADDFD_FLAG_SEND (5.14) — and without them
 * stops the child and exits 125: a program is never left to reach the real kernel.
 *
 * Lifetime: the supervisor serves until the program exits, forwarding the signals sent to it by
 * other processes (a terminal's signals reach both already), and exits with the program's status,
 * raising the same signal if the program was killed. Supervised processes that outlive the program
 * (a daemon it started) are served by a copy of the supervisor left in the background until they
 * exit. The program dies with the supervisor (PR_SET_PDEATHSIG): without it, its bpf() calls would
 * fail with ENOSYS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shim.h"
#include "supervisor.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

enum { EXIT_RUN_FAILED = 125, EXIT_CANNOT_INVOKE = 126, EXIT_NOT_FOUND = 127 };

int sv_debug;
const char *sv_prog_name = "bpfemu-run";
/* the trace decoder (shim/trace.c) logs through the preload's names */
int shim_debug;

void sv_log(const char *fmt, ...)
{
	char line[768];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s: ", sv_prog_name);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void shim_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sv_log("%s", line);
}

/* What the child tells the parent before exec. */
struct hello {
	int stage; /* 0: the listener is attached; else where it failed */
	int err;
	int killable; /* the filter has WAIT_KILLABLE_RECV */
};
enum { STAGE_OK, STAGE_NNP, STAGE_FILTER };

/* The signals other processes send to bpfemu-run, passed on to the program. */
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH };

static long seccomp(unsigned op, unsigned flags, void *arg)
{
	return syscall(SYS_seccomp, op, flags, arg);
}

static int send_hello(int sock, const struct hello *h, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)sizeof(*h) ? 0 : -1;
}

/* The child's hello and listener: 1 with both, 0 when the child closed the socket first. */
static int recv_hello(int sock, struct hello *h, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*h))
		return 0;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 1;
}

static __attribute__((noreturn)) void child(int sock, pid_t parent, const sigset_t *mask, struct sock_fprog *prog,
					       char **argv)
{
	unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	struct hello h = { STAGE_OK, 0, 1 };
	char go;
	int lfd, err;

	/* the program must not outlive its supervisor: its calls would fail with ENOSYS */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EXIT_RUN_FAILED);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		h.stage = STAGE_NNP, h.err = errno;
		send_hello(sock, &h, -1);
		_exit(EXIT_RUN_FAILED);
	}
	lfd = (int)seccomp(SECCOMP_SET_MODE_FILTER, flags, prog);
	if (lfd < 0 && errno == EINVAL) {
		/* before 5.19: no killable wait (the parent says what that costs) */
		h.killable = 0;
		lfd = (int)seccomp(SECCOMP_SET_MODE_FILTER, flags & ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
	}
	if (lfd < 0) {
		h.stage = STAGE_FILTER, h.err = errno;
		send_hello(sock, &h, -1);
		_exit(EXIT_RUN_FAILED);
	}
	if (send_hello(sock, &h, lfd))
		_exit(EXIT_RUN_FAILED);
	close(lfd);
	if (read(sock, &go, 1) != 1 || go != 'g')
		_exit(EXIT_RUN_FAILED);
	close(sock);
	setenv("BPFEMU_SUPERVISED", "1", 1);
	execvp(argv[0], argv);
	err = errno;
	fprintf(stderr, "%s: %s: %s\n", sv_prog_name, argv[0], strerror(err));
	_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
}

/* SECCOMP_ADDFD_FLAG_SEND (5.14): asked of the listener with an id no call has (the child is
 * waiting in read(), which does not trap): ENOENT when the flag is known, EINVAL before. */
static bool have_addfd_send(int listener, int some_fd)
{
	struct seccomp_notif_addfd a;

	memset(&a, 0, sizeof(a));
	a.id = 0;
	a.flags = SECCOMP_ADDFD_FLAG_SEND;
	a.srcfd = (uint32_t)some_fd;
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 && errno == ENOENT;
}

struct run {
	pid_t child;
	int sigfd;
	int status;
	bool exited;
};

/* A signal for the supervisor: the program's exit, or one to pass on. 1 stops serving. */
static int on_signal(void *arg)
{
	struct run *r = arg;
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(r->child, &r->status, WNOHANG) == r->child)
				r->exited = true;
			continue;
		}
		/* a terminal's signals (SI_KERNEL) went to the program's process group too */
		if (si.ssi_code <= 0 && !r->exited)
			kill(r->child, (int)si.ssi_signo);
	}
	return r->exited;
}

static __attribute__((noreturn)) void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = { 0, 0 };
		sigset_t s;

		/* die of the same signal, as the shell would have seen the program die (no core of ours) */
		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		raise(sig);
		exit(128 + sig);
	}
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUN_FAILED);
}

/* Processes the program started still use the filter: serve them from a copy of ourselves in the
 * background, and give the shell the program's status now. */
static void serve_the_rest(int listener)
{
	struct pollfd p = { listener, POLLIN, 0 };
	pid_t pid;
	int null;

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) && !(p.revents & POLLIN))
		return;
	pid = fork();
	if (pid != 0) {
		if (pid > 0 && sv_debug)
			sv_log("supervised processes outlive the program: served in the background by pid %d", (int)pid);
		return;
	}
	/* nothing of ours keeps the program's input or output open */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	sv_serve(listener, -1, NULL, NULL);
	_exit(0);
}

int sv_run(const char *prog_name, char **argv, int debug)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	struct sock_fprog prog;
	struct hello h;
	struct run r = { 0 };
	struct rlimit rl;
	sigset_t set, old;
	int sv[2], listener, err, null;

	sv_prog_name = prog_name;
	sv_debug = shim_debug = debug;
	if (seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) || (EMU_FAULT("superv-no-user-notif") && (errno = EOPNOTSUPP))) {
		fprintf(stderr, "%s: --seccomp: this kernel cannot notify a supervisor of system calls (%s); "
			"seccomp user notification needs Linux 5.0 with CONFIG_SECCOMP_FILTER\n",
			prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	if (sv_filter_build(&prog)) {
		fprintf(stderr, "%s: --seccomp: the supervisor does not know this machine's system call "
			"architecture\n", prog_name);
		return EXIT_RUN_FAILED;
	}
	sv_trace_init();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		fprintf(stderr, "%s: socketpair: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	r.child = fork();
	if (r.child < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	if (!r.child) {
		close(sv[0]);
		child(sv[1], getppid(), &old, &prog, argv);
	}
	close(sv[1]);

	if (!recv_hello(sv[0], &h, &listener) || h.stage != STAGE_OK || listener < 0) {
		int st;

		err = h.err;
		waitpid(r.child, &st, 0);
		if (h.stage == STAGE_FILTER && err == EBUSY && secure_getenv("BPFEMU_SUPERVISED")) {
			/* already under a bpfemu supervisor (a listener is exclusive along a filter chain):
			 * it answers this program too, with its own options */
			if (sv_debug)
				sv_log("already supervised: %s runs under the outer supervisor", argv[0]);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execvp(argv[0], argv);
			err = errno;
			fprintf(stderr, "%s: %s: %s\n", prog_name, argv[0], strerror(err));
			return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
		}
		if (h.stage == STAGE_NNP)
			fprintf(stderr, "%s: --seccomp: PR_SET_NO_NEW_PRIVS: %s\n", prog_name, strerror(err));
		else if (h.stage == STAGE_FILTER && err == EBUSY)
			fprintf(stderr, "%s: --seccomp: another seccomp supervisor already watches this process "
				"(a listener is exclusive): run the program with the preload instead\n", prog_name);
		else if (h.stage == STAGE_FILTER)
			fprintf(stderr, "%s: --seccomp: installing the seccomp filter: %s (seccomp user "
				"notification needs Linux 5.0)\n", prog_name, strerror(err));
		else
			fprintf(stderr, "%s: --seccomp: the program's process did not start\n", prog_name);
		return EXIT_RUN_FAILED;
	}
	if (!have_addfd_send(listener, sv[0]) || EMU_FAULT("superv-no-addfd-send")) {
		kill(r.child, SIGKILL);
		waitpid(r.child, NULL, 0);
		fprintf(stderr, "%s: --seccomp: this kernel lacks SECCOMP_ADDFD_FLAG_SEND (Linux 5.14), which "
			"the supervisor needs to return new fds from bpf()\n", prog_name);
		return EXIT_RUN_FAILED;
	}
	/* Linux 6.6: the program and the supervisor hand the CPU to each other on a notification and
	 * its answer, instead of waking the other on whichever CPU it last ran (no loss without it) */
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (!h.killable)
		sv_log("warning: this kernel lacks SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19): a "
		       "signal that interrupts a bpf() call being answered makes the program repeat it");

	/* the supervisor's own needs: fds to take the program's, no part in the program's I/O, and
	 * no death by a trace written to a closed pipe */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/")) /* keep no directory of the program's busy */
		sv_log("chdir /: %s", strerror(errno));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	r.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r.sigfd < 0) {
		kill(r.child, SIGKILL);
		fprintf(stderr, "%s: signalfd: %s\n", prog_name, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	sv_diff_init(r.child, argv[0]);
	if (write(sv[0], "g", 1) != 1) {
		kill(r.child, SIGKILL);
		return EXIT_RUN_FAILED;
	}
	close(sv[0]);

	err = sv_serve(listener, r.sigfd, on_signal, &r);
	if (err)
		sv_log("the seccomp listener failed: %s", strerror(-err));
	while (!r.exited) {
		if (waitpid(r.child, &r.status, 0) == r.child)
			r.exited = true;
		else if (errno != EINTR)
			break;
	}
	if (!err)
		serve_the_rest(listener);
	close(listener);
	exit_like(r.status);
}
