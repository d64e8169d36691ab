/* SPDX-License-Identifier: MIT */
/*
 * testrun-bench: one BPF_PROG_TEST_RUN call (repeat 1) of a 2-instruction XDP program
 * (`r0 = XDP_PASS; exit`) on a 64-byte packet with a 64-byte data_out, as a test suite makes it:
 * the kernel's bpf(), then the same program re-executed with the preload module (what an
 * unmodified program pays under bpfemu-run: interposition, fd cache, the command, the run).
 * Also repeat = 1,000,000 once on each side (the run loop alone, per repetition).
 *
 * ns per call: the median over rounds of each round's mean over 1000 calls, in thread CPU time
 * (user and system: other processes' time slices drop out on both sides). Each round is a child
 * process per target, the kernel's and the preload's alternating (the machine is shared: read the
 * ratio, taken within one run); a child first makes calls for WARM_NS (a test process that has
 * been running a while: caches warm, the TEST_RUN stopwatch calibrated, emu/util/stopwatch.h),
 * then times one round. repeat = 1e6: once per target, in the first round's child.
 *
 *   testrun-bench [rounds]          prints the table
 *   testrun-bench --child N         (internal) runs N rounds in this process, one line each
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/bpf_uapi.h"

#define CALLS 1000
#define WARM_NS 20000000ull /* 20 ms of calls before a child's timed round */

static long sys_bpf(int cmd, void *a, unsigned size) { return syscall(__NR_bpf, cmd, a, size); }

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
/* this thread's CPU time, user and system: a round's time slices taken by other processes drop
 * out on both sides (the kernel's bpf() work is this thread's system time) */
static uint64_t cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static int load(void)
{
	static const uint64_t insns[2] = { 0x00000002000000b7ull, 0x0000000000000095ull };
	uint8_t a[EMU_ATTR_SIZE] = { 0 };
	uint32_t type = EMU_PROG_XDP, cnt = 2;
	uint64_t p = (uintptr_t)insns, l = (uintptr_t)"GPL";

	memcpy(a + PL_TYPE, &type, 4);
	memcpy(a + PL_INSN_CNT, &cnt, 4);
	memcpy(a + PL_INSNS, &p, 8);
	memcpy(a + PL_LICENSE, &l, 8);
	/* libbpf's attr size for BPF_PROG_LOAD */
	return (int)sys_bpf(EMU_BPF_PROG_LOAD, a, sizeof(a));
}

/* one round: the mean ns of CALLS calls; repeat: the duration the run reports */
static double round_ns(int fd, uint32_t repeat, uint32_t *duration)
{
	static uint8_t pkt[64], out[64];
	uint8_t a[TR_END];
	uint64_t din = (uintptr_t)pkt, dout = (uintptr_t)out, t0;
	uint32_t n = sizeof(pkt), u = (uint32_t)fd;
	int calls = repeat > 1 ? 1 : CALLS;

	t0 = cpu_ns();
	for (int i = 0; i < calls; i++) {
		memset(a, 0, sizeof(a));
		memcpy(a + TR_PROG_FD, &u, 4);
		memcpy(a + TR_DATA_SIZE_IN, &n, 4);
		memcpy(a + TR_DATA_SIZE_OUT, &n, 4);
		memcpy(a + TR_DATA_IN, &din, 8);
		memcpy(a + TR_DATA_OUT, &dout, 8);
		memcpy(a + TR_REPEAT, &repeat, 4);
		/* the attr size libbpf passes for BPF_PROG_TEST_RUN */
		if (sys_bpf(EMU_BPF_PROG_TEST_RUN, a, sizeof(a))) {
			fprintf(stderr, "test run: %s\n", strerror(errno));
			exit(1);
		}
	}
	memcpy(duration, a + TR_DURATION, 4);
	return (double)(cpu_ns() - t0) / calls;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int child(int rounds)
{
	int fd = load();
	uint32_t d;

	if (fd < 0) {
		fprintf(stderr, "load: %s\n", strerror(errno));
		return 1;
	}
	for (uint64_t t0 = now_ns(); now_ns() - t0 < WARM_NS;)
		round_ns(fd, 1, &d);
	for (int r = 0; r < rounds; r++)
		printf("%.1f\n", round_ns(fd, 1, &d));
	if (!getenv("TESTRUN_BENCH_NO_REPEAT")) { /* (for a profile of single calls) */
		round_ns(fd, 1000000, &d);
		printf("rep %u\n", d);
	}
	return 0;
}

/* One round of one target, in a child (re-executed with the preload for the shim): its ns per
 * call into v[*n]; with rep, also the repeat = 1e6 run's duration. */
static int measure(const char *self, bool shim, double *v, int *n, uint32_t *rep)
{
	char cmd[4096], line[64];
	int got = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s%s%s '%s' --child 1", rep ? "" : "TESTRUN_BENCH_NO_REPEAT=1 ",
		 shim ? "LD_PRELOAD=" BPFEMU_BENCH_PRELOAD : "", shim ? " " : "", self);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "rep ", 4)) {
			if (rep)
				*rep = (uint32_t)strtoul(line + 4, NULL, 10);
		} else if (!got++) {
			v[(*n)++] = strtod(line, NULL);
		}
	}
	return pclose(f) || !got ? -1 : 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	double k = 0, e = 0, kv[200], ev[200];
	int nk = 0, ne = 0;
	uint32_t kr = 0, er = 0;
	char self[4096];
	ssize_t n;

	if (argc > 2 && !strcmp(argv[1], "--child"))
		return child(atoi(argv[2]));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	if (rounds < 1 || rounds > 200)
		rounds = 15;
	for (int r = 0; r < rounds; r++) {
		if (measure(self, false, kv, &nk, r ? NULL : &kr) || measure(self, true, ev, &ne, r ? NULL : &er)) {
			printf("SKIP: the kernel or the preload refused the benchmark\n");
			return 77;
		}
	}
	qsort(kv, (size_t)nk, sizeof(kv[0]), cmp);
	qsort(ev, (size_t)ne, sizeof(ev[0]), cmp);
	k = kv[nk / 2];
	e = ev[ne / 2];
	printf("BPF_PROG_TEST_RUN, XDP `r0 = 2; exit`, 64-byte packet and data_out\n");
	printf("%-34s %10s %10s %8s\n", "", "kernel", "shim", "ratio");
	printf("%-34s %9.0f %10.0f %7.1fx\n", "one call (repeat 1), ns/call", k, e, e > 0 ? k / e : 0);
	printf("%-34s %9u %10u %7.1fx\n", "repeat 1e6, ns/repetition (duration)", kr, er, er ? (double)kr / er : 0);
	return 0;
}
