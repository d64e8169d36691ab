/* SPDX-License-Identifier: MIT */
/*
 * The interpreter against the kernel: random programs (tests/prog/bpfgen.c) are loaded into the
 * running kernel with raw bpf() and run with BPF_PROG_TEST_RUN, and translated and run by
 * emu/prog's interpreter on the same inputs; everything observable must be identical:
 *   SYSCALL programs: test_run's retval and the whole context the kernel copies back, which
 *     holds r0-r9, the stack slots and the context bytes the program stored;
 *   SOCKET_FILTER programs (LD_ABS/LD_IND): the retval.
 * Programs the kernel refuses are counted (the rate is printed) and still run through the
 * interpreter within a budget, which must neither crash nor touch memory outside its regions.
 * A program the kernel accepts and the translator refuses is a divergence.
 *
 * Usage: diff_interp [--seconds S] [--programs N] [--seed X] [--runs R] [--selftest] [--verbose]
 *   default: 30 seconds (CI); a developer runs millions with --programs.
 *   BPFEMU_DIFF_SEED, BPFEMU_DIFF_SECONDS, BPFEMU_DIFF_PROGRAMS set the same from the environment.
 *   --selftest (the fault-injecting build, diff_interp_fault): turns on the planted fault
 *     BPFEMU_FAULT=interp-alu and passes only if a divergence is reported.
 * Exit 77 with a reason where bpf() is not permitted; with BPFEMU_REQUIRE_KERNEL=1 that is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prog/bpfgen.h"
#include "prog/interp.h"
#include "prog/kprog.h"

static struct {
	unsigned long programs, accepted, rejected, runs, divergences, xlate_refused, emu_faults_rejected;
	unsigned long by_errno[140];
	unsigned long mode_programs[2], mode_accepted[2];
} st;

static bool verbose;
static unsigned max_reports = 5;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_prog(const struct bg_prog *p)
{
	for (uint32_t i = 0; i < p->n; i++) {
		char d[128];

		if (i > 0 && p->insns[i - 1].code == EMU_LD_IMM64)
			continue;
		emu_insn_disasm(&p->insns[i], d, sizeof(d));
		printf("  %4u: %02x %x %x %6d %11d  %s\n", i, p->insns[i].code, p->insns[i].dst_reg, p->insns[i].src_reg,
		       p->insns[i].off, p->insns[i].imm, d);
	}
}

static void hexdump_diff(const uint8_t *k, const uint8_t *e, uint32_t n)
{
	for (uint32_t off = 0; off < n; off += 8) {
		uint64_t a, b;

		memcpy(&a, k + off, 8);
		memcpy(&b, e + off, 8);
		if (a == b)
			continue;
		if (off >= BG_OUT_REGS && off < BG_OUT_STACK)
			printf("    r%u: kernel %#018" PRIx64 " emulator %#018" PRIx64 "\n", (off - BG_OUT_REGS) / 8, a, b);
		else if (off >= BG_OUT_STACK && off < BG_CTX_AREA)
			printf("    stack slot %d (r10%d): kernel %#018" PRIx64 " emulator %#018" PRIx64 "\n",
			       (off - BG_OUT_STACK) / 8, -16 - 8 * (int)((off - BG_OUT_STACK) / 8), a, b);
		else
			printf("    ctx+%u: kernel %#018" PRIx64 " emulator %#018" PRIx64 "\n", off, a, b);
	}
}

static void divergence(const struct bg_prog *p, const char *what, uint64_t seed)
{
	st.divergences++;
	if (st.divergences > max_reports)
		return;
	printf("DIVERGENCE %lu (program seed %#" PRIx64 ", %s): %s\n", st.divergences, seed,
	       p->mode == BG_SYSCALL ? "SYSCALL" : "SOCKET_FILTER", what);
	print_prog(p);
}

static const struct emu_xlate_opts xopts; /* the generator uses no maps or helpers */

/* A SYSCALL program on one input. */
static void run_syscall(const struct bg_prog *p, int fd, const struct emu_prog_image *img, uint64_t *rng,
			uint64_t seed)
{
	static struct emu_ctx_desc cd = { .size = BG_CTX_SIZE };
	uint8_t in[BG_CTX_SIZE], kctx[BG_CTX_SIZE], ectx[BG_CTX_SIZE];
	struct kp_run kr = { .ctx_in = kctx, .ctx_size = BG_CTX_SIZE };
	struct emu_run run;
	uint64_t r0 = 0;
	long kret;
	int eret;

	bg_ctx_inputs(in, rng);
	memcpy(kctx, in, sizeof(in));
	memcpy(ectx, in, sizeof(in));
	kret = kp_test_run(fd, &kr);
	memset(&run, 0, sizeof(run));
	run.ctx = ectx;
	run.ctx_desc = &cd;
	eret = emu_prog_run(img, &run, &r0);
	st.runs++;
	if (kret != 0 || eret != 0 || (uint32_t)r0 != kr.retval || memcmp(kctx, ectx, sizeof(kctx))) {
		char what[400];

		snprintf(what, sizeof(what), "kernel test_run %ld retval %#x; emulator %d r0 %#" PRIx64 "%s%s", kret,
			 kr.retval, eret, r0, eret ? ": " : "", eret ? run.fault.msg : "");
		divergence(p, what, seed);
		if (st.divergences <= max_reports) {
			printf("  inputs:");
			for (int i = 0; i < 16; i++) {
				uint64_t v;

				memcpy(&v, in + 8 * i, 8);
				printf("%s%#" PRIx64, i % 4 ? " " : "\n    ", v);
			}
			printf("\n  differences:\n");
			hexdump_diff(kctx, ectx, BG_CTX_SIZE);
		}
	}
}

/* A SOCKET_FILTER program on one packet. */
static void run_ldabs(const struct bg_prog *p, int fd, const struct emu_prog_image *img, uint64_t *rng,
		      uint64_t seed)
{
	uint8_t pkt[BG_PKT_MAX], out[BG_PKT_MAX + 64];
	uint32_t len = bg_packet(pkt, rng);
	struct kp_run kr = { .data = pkt, .data_size = len, .data_out = out, .data_out_size = sizeof(out) };
	struct emu_run run;
	uint64_t r0 = 0;
	long kret;
	int eret;

	kret = kp_test_run(fd, &kr);
	memset(&run, 0, sizeof(run));
	/* test_run's skb: mac header at the frame, data and network header past the Ethernet
	 * header (eth_type_trans pulls it; a socket filter is not an L2 program) */
	run.pkt_data = pkt + 14;
	run.pkt_end = pkt + len;
	run.skb_net = pkt + 14;
	run.skb_mac = pkt;
	eret = emu_prog_run(img, &run, &r0);
	st.runs++;
	if (kret != 0 || eret != 0 || (uint32_t)r0 != kr.retval) {
		char what[400];

		snprintf(what, sizeof(what), "kernel test_run %ld retval %#x; emulator %d r0 %#" PRIx64 "%s%s", kret,
			 kr.retval, eret, r0, eret ? ": " : "", eret ? run.fault.msg : "");
		divergence(p, what, seed);
		if (st.divergences <= max_reports) {
			printf("  packet (%u bytes):", len);
			for (uint32_t i = 0; i < len; i++)
				printf("%s%02x", i % 16 ? " " : "\n    ", pkt[i]);
			printf("\n");
		}
	}
}

/* Runs a program the kernel refused: it must end, a fault at worst. */
static void run_rejected(const struct bg_prog *p, const struct emu_prog_image *img, uint64_t *rng)
{
	static struct emu_ctx_desc cd = { .size = BG_CTX_SIZE };
	uint8_t ctx[BG_CTX_SIZE], pkt[BG_PKT_MAX];
	struct emu_run run;
	uint64_t r0;

	memset(&run, 0, sizeof(run));
	run.insn_budget = 100000;
	run.flags = EMU_RUN_MAY_GOTO_COUNT;
	if (p->mode == BG_SYSCALL) {
		bg_ctx_inputs(ctx, rng);
		run.ctx = ctx;
		run.ctx_desc = &cd;
	} else {
		uint32_t len = bg_packet(pkt, rng);

		run.pkt_data = pkt + 14;
		run.pkt_end = pkt + len;
		run.skb_net = pkt + 14;
		run.skb_mac = pkt;
	}
	if (emu_prog_run(img, &run, &r0))
		st.emu_faults_rejected++;
}

static void one_program(uint64_t seed, unsigned runs)
{
	static char log[1 << 16];
	static struct bg_prog p;
	uint64_t rng = seed;
	enum bg_mode mode = bg_below(&rng, 8) == 0 ? BG_LDABS : BG_SYSCALL;
	struct emu_prog_image *img;
	char err[256];
	long fd;

	bg_generate(&p, mode, &rng);
	st.programs++;
	st.mode_programs[mode]++;
	fd = kp_load(mode == BG_SYSCALL ? EMU_PROG_SYSCALL : EMU_PROG_SOCKET_FILTER, p.insns, p.n,
		     mode == BG_SYSCALL ? EMU_F_SLEEPABLE : 0, verbose ? log : NULL, verbose ? sizeof(log) : 0);
	img = emu_prog_translate(p.insns, p.n, &xopts, err, sizeof(err));
	if (fd < 0) {
		st.rejected++;
		st.by_errno[-fd < 140 ? -fd : 0]++;
		if (verbose) {
			char *last = log, *nl;

			/* the line before the summary says why */
			for (char *q = log; (nl = strchr(q, '\n')) && nl[1]; q = nl + 1)
				if (strncmp(nl + 1, "processed ", 10))
					last = nl + 1;
			printf("rejected (%s): %.*s\n", strerror((int)-fd), (int)strcspn(last, "\n"), last);
			if (getenv("DIFF_INTERP_DUMP") && strstr(last, getenv("DIFF_INTERP_DUMP"))) {
				print_prog(&p);
				printf("%s\n", log);
			}
		}
		if (img)
			run_rejected(&p, img, &rng);
		emu_prog_image_free(img);
		return;
	}
	st.accepted++;
	st.mode_accepted[mode]++;
	if (!img) {
		char what[320];

		st.xlate_refused++;
		snprintf(what, sizeof(what), "the kernel accepts it, the translator refuses it: %s", err);
		divergence(&p, what, seed);
		close((int)fd);
		return;
	}
	for (unsigned r = 0; r < runs; r++) {
		if (mode == BG_SYSCALL)
			run_syscall(&p, (int)fd, img, &rng, seed);
		else
			run_ldabs(&p, (int)fd, img, &rng, seed);
	}
	emu_prog_image_free(img);
	close((int)fd);
}

int main(int argc, char **argv)
{
	double seconds = 30, t0;
	unsigned long max_programs = 0;
	unsigned runs = 4;
	bool selftest = false;
	uint64_t seed, master;
	const char *s;
	long probe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((s = getenv("BPFEMU_DIFF_SEED")) && *s)
		seed = strtoull(s, NULL, 0);
	if ((s = getenv("BPFEMU_DIFF_SECONDS")) && *s)
		seconds = strtod(s, NULL);
	if ((s = getenv("BPFEMU_DIFF_PROGRAMS")) && *s)
		max_programs = strtoul(s, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--programs") && i + 1 < argc)
			max_programs = strtoul(argv[++i], NULL, 0), seconds = 0;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--selftest"))
			selftest = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--programs N] [--seed X] [--runs R] [--selftest] [--verbose]\n",
				argv[0]);
			return 2;
		}
	}
	if (selftest) {
#ifndef BPFEMU_FAULT_INJECTION
		printf("FAIL: --selftest needs the fault-injecting build (diff_interp_fault)\n");
		return 1;
#else
		setenv("BPFEMU_FAULT", "interp-alu", 1);
		max_reports = 1;
		if (!max_programs)
			max_programs = 20000;
		seconds = 0;
#endif
	}
	probe = kp_probe();
	if (probe < 0) {
		const char *req = getenv("BPFEMU_REQUIRE_KERNEL");
		bool must = req && !strcmp(req, "1");

		printf("%s: bpf() cannot load a SYSCALL program here (%s): the interpreter's differential test needs "
		       "the real kernel\n", must ? "FAIL" : "SKIP", strerror((int)-probe));
		return must ? 1 : 77;
	}
	master = seed ? seed : 1;
	printf("diff_interp: seed %#" PRIx64 ", %s%.0f s / %lu programs, %u runs each\n", seed,
	       selftest ? "selftest with BPFEMU_FAULT=interp-alu, " : "", seconds, max_programs, runs);
	t0 = now_s();
	for (;;) {
		uint64_t ps = bg_rand(&master);

		if (max_programs && st.programs >= max_programs)
			break;
		if (seconds > 0 && (st.programs & 63) == 0 && now_s() - t0 >= seconds)
			break;
		if (selftest && st.divergences)
			break;
		one_program(ps, runs);
	}
	{
		double el = now_s() - t0;

		printf("diff_interp: %lu programs in %.1f s (%.0f/s): %lu accepted by the kernel, %lu rejected (%.1f%%); "
		       "%lu runs compared, %lu divergences\n",
		       st.programs, el, st.programs / (el > 0 ? el : 1), st.accepted, st.rejected,
		       st.programs ? 100.0 * st.rejected / st.programs : 0.0, st.runs, st.divergences);
		printf("  SYSCALL %lu programs (%lu accepted), SOCKET_FILTER/LD_ABS %lu (%lu accepted); rejections by "
		       "errno:",
		       st.mode_programs[BG_SYSCALL], st.mode_accepted[BG_SYSCALL], st.mode_programs[BG_LDABS],
		       st.mode_accepted[BG_LDABS]);
		for (int e = 0; e < 140; e++)
			if (st.by_errno[e])
				printf(" %s %lu", e ? strerrorname_np(e) : "other", st.by_errno[e]);
		printf("\n  rejected programs run by the interpreter: %lu ended in a run-time fault\n",
		       st.emu_faults_rejected);
	}
	if (selftest) {
		if (st.divergences) {
			printf("ok: the planted fault (interp-alu) was caught after %lu programs\n", st.programs);
			return 0;
		}
		printf("FAIL: the planted fault (interp-alu) went unnoticed in %lu programs\n", st.programs);
		return 1;
	}
	if (st.accepted == 0) {
		printf("FAIL: the kernel accepted no program: nothing was compared\n");
		return 1;
	}
	return st.divergences ? 1 : 0;
}
