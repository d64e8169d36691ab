/* SPDX-License-Identifier: MIT */
/*
 * Issue 24's measure for program and BTF files: real program files of several kinds (progfile.c:
 * maps, global data through fd_array, subprograms with func_info/line_info and BTF, a loop, a type
 * the checks do not model) and a BTF file get 1-8 random bit flips, each in the header's fixed
 * fields (half of them) or anywhere in the file; each is opened in a child process, by BPF_OBJ_GET
 * of a pin (even trials, programs) or by handing over its fd, and used: OBJ_GET_INFO_BY_FD with
 * every array, TEST_RUN, BIND_MAP; a BTF file by BTF info, a PROG_LOAD with it as prog_btf_fd
 * (func_info, line_info) and a MAP_CREATE with it. A child that dies of a signal, reports a
 * sanitizer finding or outlives the timeout fails the run. Built with ASan+UBSan this is "no
 * crash, no sanitizer report, no hang".
 *
 * --self-test: with BPFEMU_FAULT=progfile-nocheck (a program file's insns_off unchecked,
 * core/prog_file.c) header-only flips must find a crash; the run fails if none is found.
 *
 * Usage: progfile_corrupt [--files=N] [--seed=S] [--timeout=SECONDS] [--save=DIR] [--kind=NAME]
 *                         [--header-only | --anywhere] [--quiet] [--self-test]
 * Exit 0 when every file was answered (--self-test: when the planted fault was caught), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "mapfile.h"
#include "progfile.h"

enum outcome { REFUSED, DAMAGE, CLEAN, CRASH, SANITIZER, HANG, NR_OUTCOMES };
static const char *const outcome_name[NR_OUTCOMES] = { "refused at open", "damage answered",
						       "no damage seen", "crash", "sanitizer", "hang" };

struct pristine {
	const struct pf_kind *s;
	unsigned char *buf;
	size_t len;
	uint32_t hdr_size;
};

/* The child's part: open, exercise, report through the pipe. */
static void child(const unsigned char *buf, size_t len, bool via_pin, const char *name, int wfd, bool btf)
{
	struct pf_result r;
	int fd = mf_open(buf, len, via_pin && !btf, name); /* BTF objects cannot be pinned */

	memset(&r, 0, sizeof(r));
	if (fd < 0)
		r.open_err = -fd;
	else if (btf)
		pf_exercise_btf(fd, &r);
	else
		pf_exercise_prog(fd, &r);
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	_exit(0);
}

/* Run one file in a child; its outcome. */
static enum outcome run_one(const unsigned char *buf, size_t len, bool via_pin, const char *name,
			    unsigned timeout, const char *log, struct pf_result *r, bool btf)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return CRASH;
	pid = fork();
	if (pid < 0)
		return CRASH;
	if (!pid) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		close(p[0]);
		if (lfd >= 0) {
			dup2(lfd, 2);
			close(lfd);
		}
		alarm(timeout);
		child(buf, len, via_pin, name, p[1], btf);
	}
	close(p[1]);
	switch (mf_child_end(pid, p[0], r, sizeof(*r), timeout, log)) {
	case MF_END_HANG:
		return HANG;
	case MF_END_SANITIZER:
		return SANITIZER;
	case MF_END_CRASH:
		return CRASH;
	case MF_END_EXITED:
		break;
	}
	if (r->open_err) /* BPF_OBJ_GET or the first use refused the file */
		return REFUSED;
	if (r->euclean)
		return DAMAGE;
	return CLEAN;
}

static long arg_num(const char *a, const char *name, long dflt)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && a[n] == '=' ? strtol(a + n + 1, NULL, 0) : dflt;
}

static const char *arg_str(const char *a, const char *name, const char *dflt)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && a[n] == '=' ? a + n + 1 : dflt;
}

int main(int argc, char **argv)
{
	long files = 300, seed = 1;
	unsigned timeout = 20;
	const char *save = NULL, *only = NULL, *replay = NULL;
	bool header_only = false, anywhere = false, quiet = false, pin = false, self_test = false, btf_replay = false;
	unsigned long counts[PF_NR_KINDS][NR_OUTCOMES], total[NR_OUTCOMES];
	struct pristine pr[PF_NR_KINDS];
	char logpath[4096];
	unsigned np = 0;
	struct timespec t0, t1;

	for (int i = 1; i < argc; i++) {
		files = arg_num(argv[i], "--files", files);
		seed = arg_num(argv[i], "--seed", seed);
		timeout = (unsigned)arg_num(argv[i], "--timeout", timeout);
		save = arg_str(argv[i], "--save", save);
		only = arg_str(argv[i], "--kind", only);
		replay = arg_str(argv[i], "--replay", replay);
		header_only |= !strcmp(argv[i], "--header-only");
		anywhere |= !strcmp(argv[i], "--anywhere");
		quiet |= !strcmp(argv[i], "--quiet");
		pin |= !strcmp(argv[i], "--pin");
		btf_replay |= !strcmp(argv[i], "--btf");
		self_test |= !strcmp(argv[i], "--self-test");
	}
	if (self_test) {
		/* the planted fault: a program file's instruction section taken where its header says */
		setenv("BPFEMU_FAULT", "progfile-nocheck", 1);
		header_only = true;
		only = only ? only : "maps";
	}
	if (!mf_private_state()) {
		perror("progfile_corrupt: state directory");
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/child.log", mf_private_state());
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* the pristine files: made once, in this process (their maps and BTF stay open here, so
	 * every child finds them by id in the registry) */
	for (unsigned k = 0; k < PF_NR_KINDS; k++) {
		const struct pf_kind *s = &pf_kinds[k];
		int fd;

		if (only && strcmp(only, s->name))
			continue;
		fd = pf_make((enum pf_kind_id)k);
		if (fd < 0 || mf_read_file(fd, &pr[np].buf, &pr[np].len)) {
			fprintf(stderr, "progfile_corrupt: cannot make a %s file: %s\n", s->name,
				strerror(fd < 0 ? (fd == -1 ? errno : -fd) : EIO));
			return 1;
		}
		/* kept open: a program holds its maps, and the registry finds it while it is open */
		pr[np].s = s;
		/* the header's fixed fields: a program's up to its stats, a BTF file's header */
		pr[np].hdr_size = s->is_btf ? 128 : 192;
		if (pr[np].hdr_size > pr[np].len)
			pr[np].hdr_size = (uint32_t)pr[np].len;
		np++;
	}
	if (!np) {
		fprintf(stderr, "progfile_corrupt: no kind named %s\n", only);
		return 1;
	}

	if (replay) {
		struct pf_result r;
		unsigned char *buf;
		size_t len;
		int fd = open(replay, O_RDONLY), err = fd < 0 ? -errno : mf_read_file(fd, &buf, &len);
		enum outcome o;

		if (err) {
			fprintf(stderr, "progfile_corrupt: %s: %s\n", replay, strerror(-err));
			return 1;
		}
		o = run_one(buf, len, pin, "replay", timeout, logpath, &r, btf_replay);
		mf_copy_file(logpath, "/dev/stderr");
		printf("%s: %s (open %d, %u calls, %u ok, %u EUCLEAN, %u EINVAL)\n", replay, outcome_name[o], r.open_err,
		       r.calls, r.ok, r.euclean, r.einval);
		free(buf);
		for (unsigned i = 0; i < np; i++)
			free(pr[i].buf);
		return o >= CRASH;
	}
	if (save)
		mkdir(save, 0700);
	memset(counts, 0, sizeof(counts));
	memset(total, 0, sizeof(total));
	printf("progfile_corrupt: %ld files, %u kinds, seed %ld, 1-8 bit flips each (%s), timeout %u s%s\n", files, np,
	       seed, header_only ? "header only" : anywhere ? "anywhere" : "half in the header, half anywhere", timeout,
	       self_test ? ", planted fault progfile-nocheck" : "");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (long t = 0; t < files; t++) {
		struct pristine *p = &pr[t % np];
		unsigned char *buf = malloc(p->len);
		struct pf_result r;
		enum outcome o;
		char name[64];

		memcpy(buf, p->buf, p->len);
		mf_corrupt(buf, p->len, p->hdr_size, seed, t, header_only, anywhere);
		snprintf(name, sizeof(name), "corrupt-%ld", t);
		o = run_one(buf, p->len, t % 2 == 0, name, timeout, logpath, &r, p->s->is_btf);
		counts[t % np][o]++;
		total[o]++;
		if (o >= CRASH && !self_test)
			mf_report_failure(p->s->name, t, outcome_name[o], logpath, quiet, save, buf, p->len, "bin");
		free(buf);
		if (self_test && total[CRASH] + total[SANITIZER] + total[HANG])
			break; /* caught */
		if (!quiet && (t + 1) % 1000 == 0)
			printf("  %ld files, %lu failed\n", t + 1, total[CRASH] + total[SANITIZER] + total[HANG]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("%-14s %8s %8s %8s %8s %8s %8s\n", "kind", "refused", "damage", "clean", "crash", "sanitzr", "hang");
	for (unsigned i = 0; i < np; i++)
		printf("%-14s %8lu %8lu %8lu %8lu %8lu %8lu\n", pr[i].s->name, counts[i][REFUSED], counts[i][DAMAGE],
		       counts[i][CLEAN], counts[i][CRASH], counts[i][SANITIZER], counts[i][HANG]);
	printf("%-14s %8lu %8lu %8lu %8lu %8lu %8lu\n", "total", total[REFUSED], total[DAMAGE], total[CLEAN],
	       total[CRASH], total[SANITIZER], total[HANG]);
	printf("progfile_corrupt: %lu files in %.1fs: %lu crashes, %lu sanitizer reports, %lu hangs\n",
	       total[REFUSED] + total[DAMAGE] + total[CLEAN] + total[CRASH] + total[SANITIZER] + total[HANG],
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, total[CRASH],
	       total[SANITIZER], total[HANG]);
	for (unsigned i = 0; i < np; i++)
		free(pr[i].buf);
	if (self_test) {
		bool caught = total[CRASH] + total[SANITIZER] + total[HANG] > 0;

		printf("progfile_corrupt self-test: the missing check (progfile-nocheck) was %s\n",
		       caught ? "caught" : "NOT caught");
		return caught ? 0 : 1;
	}
	return total[CRASH] + total[SANITIZER] + total[HANG] ? 1 : 0;
}
