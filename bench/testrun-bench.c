/* SPDX-License-Identifier: MIT */
/*
 * testrun-bench: one BPF_PROG_TEST_RUN call (repeat 1) of a 2-instruction XDP program
 * (`r0 = XDP_PASS; exit`) on a 64-byte packet with a 64-byte data_out, as a test suite makes it:
 * the kernel's bpf(), then the same program re-executed with the preload module (what an
 * unmodified program pays under bpfemu-run: interposition, fd cache, the command, the run).
 * Also repeat = 1,000,000 once on each side (the run loop alone, per repetition).
 *
 * ns per call: the median over rounds of each round's mean over 1000 calls, rounds of the two
 * targets alternating (the machine is shared: read the ratio, taken within one run).
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

static long sys_bpf(int cmd, void *a, unsigned size) { return syscall(__NR_bpf, cmd, a, size); }

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

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

	t0 = now_ns();
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
	return (double)(now_ns() - t0) / calls;
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
	round_ns(fd, 1, &d); /* warm */
	for (int r = 0; r < rounds; r++)
		printf("%.1f\n", round_ns(fd, 1, &d));
	if (!getenv("TESTRUN_BENCH_NO_REPEAT")) { /* (for a profile of single calls) */
		round_ns(fd, 1000000, &d);
		printf("rep %u\n", d);
	}
	return 0;
}

/* The rounds of one target, in a child (re-executed with the preload for the shim). */
static int measure(const char *self, bool shim, int rounds, double *med, uint32_t *rep)
{
	char cmd[4096], line[64];
	double v[256];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s%s '%s' --child %d", shim ? "LD_PRELOAD=" BPFEMU_BENCH_PRELOAD : "",
		 shim ? " " : "", self, rounds);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < 256) {
		if (!strncmp(line, "rep ", 4))
			*rep = (uint32_t)strtoul(line + 4, NULL, 10);
		else
			v[n++] = strtod(line, NULL);
	}
	if (pclose(f) || !n)
		return -1;
	qsort(v, (size_t)n, sizeof(v[0]), cmp);
	*med = v[n / 2];
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	double k = 0, e = 0;
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
	if (measure(self, false, rounds, &k, &kr) || measure(self, true, rounds, &e, &er)) {
		printf("SKIP: the kernel or the preload refused the benchmark\n");
		return 77;
	}
	printf("BPF_PROG_TEST_RUN, XDP `r0 = 2; exit`, 64-byte packet and data_out\n");
	printf("%-34s %10s %10s %8s\n", "", "kernel", "shim", "ratio");
	printf("%-34s %9.0f %10.0f %7.1fx\n", "one call (repeat 1), ns/call", k, e, e > 0 ? k / e : 0);
	printf("%-34s %9u %10u %7.1fx\n", "repeat 1e6, ns/repetition (duration)", kr, er, er ? (double)kr / er : 0);
	return 0;
}
