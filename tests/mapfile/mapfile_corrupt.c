/* SPDX-License-Identifier: MIT */
/*
 * The measure of issue 24: randomly corrupted map files of every type, opened and used. Real map
 * files (mapfile.c's shapes, after a workload) get 1-8 random bit flips, each in the header (half
 * of them) or anywhere in the file; each is opened in a child process, by BPF_OBJ_GET of a pin
 * (even trials) or by handing over its fd (odd ones), and put through the fixed command sequence.
 * A child that dies of a signal, reports a sanitizer finding or outlives the timeout fails the run.
 * Built with ASan+UBSan (the build-asan tree) this is the "no crash, no sanitizer report,
 * no hang".
 *
 * Usage: mapfile_corrupt [--files=N] [--seed=S] [--timeout=SECONDS] [--save=DIR] [--shape=NAME]
 *                        [--header-only | --anywhere] [--quiet]
 *   --header-only / --anywhere   every flip in the header / anywhere in the file (default: each
 *            flip in the header or anywhere, even odds)
 *   --save   a failing file is kept as DIR/<shape>-<trial>.map with the child's stderr beside it;
 *            replay one with --replay=FILE (and --pin to open it by BPF_OBJ_GET)
 * Exit 0 when every file was answered, 1 otherwise.
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

enum outcome { REFUSED, DAMAGE, CLEAN, CRASH, SANITIZER, HANG, NR_OUTCOMES };
static const char *const outcome_name[NR_OUTCOMES] = { "refused at open", "damage answered",
						       "no damage seen", "crash", "sanitizer", "hang" };

struct pristine {
	const struct mf_shape *s;
	unsigned char *buf;
	size_t len;
	uint32_t hdr_size;
};

/* The child's part: open, exercise, report through the pipe. */
static void child(const unsigned char *buf, size_t len, bool via_pin, const char *name, int wfd)
{
	struct mf_result r;
	int fd = mf_open(buf, len, via_pin, name);

	memset(&r, 0, sizeof(r));
	if (fd < 0)
		r.info_err = -fd;
	else
		mf_exercise(fd, &r);
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	_exit(0);
}

/* Run one file in a child; its outcome. */
static enum outcome run_one(const unsigned char *buf, size_t len, bool via_pin, const char *name,
			    unsigned timeout, const char *log, struct mf_result *r)
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
		child(buf, len, via_pin, name, p[1]);
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
	if (r->info_err) /* BPF_OBJ_GET or the first use refused the file */
		return REFUSED;
	if (r->euclean || r->check_first || r->check_last)
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
	long files = 1700, seed = 1;
	unsigned timeout = 20;
	const char *save = NULL, *only = NULL, *replay = NULL;
	bool header_only = false, anywhere = false, quiet = false, pin = false;
	unsigned long counts[64][NR_OUTCOMES], total[NR_OUTCOMES];
	struct pristine pr[64];
	char logpath[4096];
	unsigned np = 0;
	time_t t0 = time(NULL);

	for (int i = 1; i < argc; i++) {
		files = arg_num(argv[i], "--files", files);
		seed = arg_num(argv[i], "--seed", seed);
		timeout = (unsigned)arg_num(argv[i], "--timeout", timeout);
		save = arg_str(argv[i], "--save", save);
		only = arg_str(argv[i], "--shape", only);
		replay = arg_str(argv[i], "--replay", replay);
		header_only |= !strcmp(argv[i], "--header-only");
		anywhere |= !strcmp(argv[i], "--anywhere");
		quiet |= !strcmp(argv[i], "--quiet");
		pin |= !strcmp(argv[i], "--pin");
	}
	if (!mf_private_state()) {
		perror("mapfile_corrupt: state directory");
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/child.log", mf_private_state());
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (replay) {
		struct mf_result r;
		unsigned char *buf;
		size_t len;
		int fd = open(replay, O_RDONLY), err = fd < 0 ? -errno : mf_read_file(fd, &buf, &len);
		enum outcome o;

		if (err) {
			fprintf(stderr, "mapfile_corrupt: %s: %s\n", replay, strerror(-err));
			return 1;
		}
		o = run_one(buf, len, pin, "replay", timeout, logpath, &r);
		mf_copy_file(logpath, "/dev/stderr");
		printf("%s: %s (info %d, check %d/%d, %u calls, %u EUCLEAN)\n", replay, outcome_name[o],
		       r.info_err, r.check_first, r.check_last, r.calls, r.euclean);
		free(buf);
		return o >= CRASH;
	}

	for (unsigned i = 0; i < mf_nr_shapes && np < 64; i++) {
		const struct mf_shape *s = &mf_shapes[i];
		int fd;

		if (only && strcmp(only, s->name))
			continue;
		fd = mf_make(s, (uint32_t)seed + i);
		if (fd < 0 || mf_read_file(fd, &pr[np].buf, &pr[np].len)) {
			fprintf(stderr, "mapfile_corrupt: cannot make a %s map: %s\n", s->name, strerror(fd < 0 ? -fd : EIO));
			return 1;
		}
		close(fd);
		pr[np].s = s;
		memcpy(&pr[np].hdr_size, pr[np].buf + 12, 4); /* emu_map_hdr.hdr_size */
		if (pr[np].hdr_size > pr[np].len)
			pr[np].hdr_size = (uint32_t)pr[np].len;
		np++;
	}
	if (!np) {
		fprintf(stderr, "mapfile_corrupt: no shape named %s\n", only);
		return 1;
	}
	if (save)
		mkdir(save, 0700);
	memset(counts, 0, sizeof(counts));
	memset(total, 0, sizeof(total));
	printf("mapfile_corrupt: %ld files, %u shapes, seed %ld, 1-8 bit flips each (%s), timeout %u s\n", files, np,
	       seed, header_only ? "header only" : anywhere ? "anywhere" : "half in the header, half anywhere", timeout);

	for (long t = 0; t < files; t++) {
		struct pristine *p = &pr[t % np];
		unsigned char *buf = malloc(p->len);
		struct mf_result r;
		enum outcome o;
		char name[64];

		memcpy(buf, p->buf, p->len);
		mf_corrupt(buf, p->len, p->hdr_size, seed, t, header_only, anywhere);
		snprintf(name, sizeof(name), "corrupt-%ld", t);
		o = run_one(buf, p->len, t % 2 == 0, name, timeout, logpath, &r);
		counts[t % np][o]++;
		total[o]++;
		if (o >= CRASH)
			mf_report_failure(p->s->name, t, outcome_name[o], logpath, quiet, save, buf, p->len, "map");
		free(buf);
		if (!quiet && (t + 1) % 1000 == 0)
			printf("  %ld files, %lu failed, %lds\n", t + 1, total[CRASH] + total[SANITIZER] + total[HANG],
			       (long)(time(NULL) - t0));
	}

	printf("%-18s %8s %8s %8s %8s %8s %8s\n", "shape", "refused", "damage", "clean", "crash", "sanitzr", "hang");
	for (unsigned i = 0; i < np; i++)
		printf("%-18s %8lu %8lu %8lu %8lu %8lu %8lu\n", pr[i].s->name, counts[i][REFUSED], counts[i][DAMAGE],
		       counts[i][CLEAN], counts[i][CRASH], counts[i][SANITIZER], counts[i][HANG]);
	printf("%-18s %8lu %8lu %8lu %8lu %8lu %8lu\n", "total", total[REFUSED], total[DAMAGE], total[CLEAN],
	       total[CRASH], total[SANITIZER], total[HANG]);
	printf("mapfile_corrupt: %ld files in %lds: %lu crashes, %lu sanitizer reports, %lu hangs\n", files,
	       (long)(time(NULL) - t0), total[CRASH], total[SANITIZER], total[HANG]);
	for (unsigned i = 0; i < np; i++)
		free(pr[i].buf);
	return total[CRASH] + total[SANITIZER] + total[HANG] ? 1 : 0;
}
