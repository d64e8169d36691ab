/* SPDX-License-Identifier: MIT */
/*
 * The interpreter against the kernel: random programs (tests/prog/bpfgen.c) are loaded into the
 * running kernel with raw bpf() and run with BPF_PROG_TEST_RUN, and translated and run by
 * emu/prog's interpreter on the same inputs; everything observable must be identical:
 *   SYSCALL programs: test_run's retval and the whole context the kernel copies back, which
 *     holds r0-r9, the stack slots and the context bytes the program stored;
 *   XDP programs: the retval and the packet (data_out), which holds r0-r8, the stack slots and
 *     the packet bytes the program stored through packet pointers (the interpreter gets xdp_md
 *     through context hooks, as TEST_RUN will give it);
 *   SOCKET_FILTER programs (LD_ABS/LD_IND): the retval.
 * One program in eight has a field or two mutated at random. Programs the kernel refuses are
 * counted (the rate is printed) and still run through the interpreter within a budget, which
 * must neither crash nor touch memory outside its regions. An accepted mutated program is
 * compared unless it may use a pointer as a number (bg_pointer_clean: the kernel's addresses
 * are not the emulator's) or its results move when the emulator's buffers and stack move or its
 * stack starts poisoned (garbage the kernel leaves in stack slots never written).
 * A program the kernel accepts and the translator refuses is a divergence.
 *
 * Usage: diff_interp [--seconds S] [--programs N] [--seed X] [--runs R] [--selftest] [--verbose]
 *                    [--program SEED]   (one program again, by the seed a report printed)
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
	unsigned long programs, mutated, accepted, rejected, runs, addr_dependent, pointer_tainted, unclean_generated,
		kernel_refused, kernel_refused_generated, timed, divergences, xlate_refused, emu_faults_rejected,
		outside_generator;
	unsigned long by_errno[140];
	unsigned long mode_programs[BG_NR_MODES], mode_accepted[BG_NR_MODES];
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

static bool cur_mutated;

static void divergence(const struct bg_prog *p, const char *what, uint64_t seed)
{
	st.divergences++;
	if (st.divergences > max_reports)
		return;
	printf("DIVERGENCE %lu (program seed %#" PRIx64 ", %s%s): %s\n", st.divergences, seed,
	       cur_mutated ? "mutated " : "",
	       p->mode == BG_SYSCALL ? "SYSCALL" : p->mode == BG_XDP ? "XDP" : "SOCKET_FILTER", what);
	print_prog(p);
}

static const struct emu_xlate_opts xopts; /* the generator uses no maps or helpers */

/* What one run left observable. */
struct outcome {
	long ret;       /* test_run's / emu_prog_run's return */
	uint32_t retval; /* r0, as test_run reports it */
	uint32_t len;   /* bytes: the context (SYSCALL) or the packet (XDP) after the run */
	uint8_t bytes[BG_XDP_PKT_MAX + 64];
	char msg[256];  /* the emulator's fault */
	bool timed;     /* a may_goto ran out: the iteration count depends on time, here as there */
};

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->ret == b->ret && a->retval == b->retval && a->len == b->len && !memcmp(a->bytes, b->bytes, a->len);
}

/* One run's input. */
struct input {
	uint8_t ctx[BG_CTX_SIZE];
	uint8_t pkt[BG_XDP_PKT_MAX];
	uint32_t len;
};

static void kernel_run(enum bg_mode mode, int fd, const struct input *in, struct outcome *o)
{
	uint8_t pkt[BG_XDP_PKT_MAX];
	struct kp_run kr = { 0 };

	memset(o, 0, sizeof(*o));
	if (mode == BG_SYSCALL) {
		memcpy(o->bytes, in->ctx, BG_CTX_SIZE);
		kr.ctx_in = o->bytes; /* written back by test_run */
		kr.ctx_size = BG_CTX_SIZE;
		o->len = BG_CTX_SIZE;
	} else {
		memcpy(pkt, in->pkt, in->len);
		kr.data = pkt;
		kr.data_size = in->len;
		if (mode == BG_XDP) {
			kr.data_out = o->bytes;
			kr.data_out_size = sizeof(o->bytes);
		}
	}
	o->ret = kp_test_run(fd, &kr);
	o->retval = kr.retval;
	if (mode == BG_XDP)
		o->len = kr.data_out_size;
}

/* xdp_md as the kernel's verifier converts it: data, data_end, data_meta give packet pointers. */
struct xdp_emu {
	uint8_t md[24];
	uint8_t *data, *end;
};

static uint64_t xdp_load(struct emu_run *run, uint32_t off, uint32_t size)
{
	struct xdp_emu *x = emu_run_user(run);

	(void)size;
	return (uint64_t)(uintptr_t)(off < 4 ? x->data : off < 8 ? x->end : x->data);
}

static const uint8_t xdp_perm[24] = {
	EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK,
	EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK,
	EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK, EMU_CTX_R | EMU_CTX_HOOK,
	EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R,
	EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R,
};
static const struct emu_ctx_desc xdp_desc = { .size = 24, .perm = xdp_perm, .load = xdp_load };
static const struct emu_ctx_desc syscall_desc = { .size = BG_CTX_SIZE };

/* Addresses of the second placement differ from the first's in every bit from 3 to 19 and more:
 * a program whose output depends on any of them gives two different results. */
#define FAR_SHIFT (0x10001u * 8 + 64)

/* emu_prog_run FAR_SHIFT bytes deeper on the C stack: the interpreter's stack frames then lie at
 * other addresses. */
static __attribute__((noinline)) int run_deeper(const struct emu_prog_image *img, struct emu_run *run, uint64_t *r0)
{
	volatile uint8_t pad[FAR_SHIFT - 64 + 328];
	int r;

	pad[0] = 1;
	r = emu_prog_run(img, run, r0);
	pad[1] = pad[0];
	return r;
}

/* The interpreter on one input. shift != 0: every buffer and the stack at other addresses and
 * never-written stack poisoned, to tell programs whose results depend on addresses or on stack
 * garbage (a mutated program may leak a pointer or read an uninitialised slot). */
static void emu_run_one(enum bg_mode mode, const struct emu_prog_image *img, const struct input *in, int shift,
			struct outcome *o)
{
	static _Alignas(64) uint8_t buf[FAR_SHIFT + BG_XDP_PKT_MAX + 256];
	uint8_t *b = buf + 8 + (shift ? FAR_SHIFT : 0);
	struct xdp_emu x;
	struct emu_region rg;
	struct emu_run run;
	uint64_t r0 = 0;

	memset(o, 0, sizeof(*o));
	memset(&run, 0, sizeof(run));
	memset(&x, 0, sizeof(x));
	if (shift)
		run.flags = EMU_RUN_STACK_POISON;
	if (mode == BG_SYSCALL) {
		memcpy(b, in->ctx, BG_CTX_SIZE);
		run.ctx = b;
		run.ctx_desc = &syscall_desc;
	} else if (mode == BG_XDP) {
		memcpy(b, in->pkt, in->len);
		x.data = b;
		x.end = b + in->len;
		rg = (struct emu_region){ (uintptr_t)b, (uintptr_t)b + in->len, EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_PACKET };
		run.ctx = shift ? b + BG_XDP_PKT_MAX + 64 : x.md; /* the context moves too */
		run.ctx_desc = &xdp_desc;
		run.user = &x;
		run.regions = &rg;
		run.nr_regions = 1;
	} else {
		/* test_run's skb: mac header at the frame, data and network header past the Ethernet
		 * header (eth_type_trans pulls it; a socket filter is not an L2 program) */
		memcpy(b, in->pkt, in->len);
		run.ctx = shift ? b + BG_XDP_PKT_MAX + 64 : x.md; /* r1: an address the program cannot read */
		run.pkt_data = b + 14;
		run.pkt_end = b + in->len;
		run.skb_net = b + 14;
		run.skb_mac = b;
	}
	o->ret = shift ? run_deeper(img, &run, &r0) : emu_prog_run(img, &run, &r0);
	o->timed = run.may_goto_checks != 0;
	o->retval = (uint32_t)r0;
	if (o->ret)
		snprintf(o->msg, sizeof(o->msg), "%s", run.fault.msg);
	if (mode == BG_SYSCALL) {
		o->len = BG_CTX_SIZE;
		memcpy(o->bytes, b, BG_CTX_SIZE);
	} else if (mode == BG_XDP) {
		o->len = in->len;
		memcpy(o->bytes, b, in->len);
	}
}

static void report(const struct bg_prog *p, uint64_t seed, const struct input *in, const struct outcome *k,
		   const struct outcome *e)
{
	char what[512];

	snprintf(what, sizeof(what), "kernel test_run %ld retval %#x (%u bytes out); emulator %ld r0 %#x (%u bytes)%s%s",
		 k->ret, k->retval, k->len, e->ret, e->retval, e->len, e->ret ? ": " : "", e->msg);
	divergence(p, what, seed);
	if (st.divergences > max_reports)
		return;
	if (p->mode == BG_SYSCALL) {
		printf("  inputs:");
		for (int i = 0; i < 16; i++) {
			uint64_t v;

			memcpy(&v, in->ctx + 8 * i, 8);
			printf("%s%#" PRIx64, i % 4 ? " " : "\n    ", v);
		}
		printf("\n  differences:\n");
		hexdump_diff(k->bytes, e->bytes, BG_CTX_SIZE);
	} else {
		printf("  packet (%u bytes):", in->len);
		for (uint32_t i = 0; i < in->len; i++)
			printf("%s%02x", i % 16 ? " " : "\n    ", in->pkt[i]);
		printf("\n");
		if (p->mode == BG_XDP) {
			printf("  differences after the run:\n");
			for (uint32_t off = 0; off + 8 <= k->len && off + 8 <= e->len; off += 8)
				if (memcmp(k->bytes + off, e->bytes + off, 8)) {
					uint64_t a, b;

					memcpy(&a, k->bytes + off, 8);
					memcpy(&b, e->bytes + off, 8);
					printf("    pkt+%u: kernel %#018" PRIx64 " emulator %#018" PRIx64 "\n", off, a, b);
				}
		}
	}
}

static void compare_one(const struct bg_prog *p, int fd, const struct emu_prog_image *img, uint64_t *rng,
			uint64_t seed, bool mutated)
{
	static struct outcome k, e, e2;
	static struct input in;

	if (p->mode == BG_SYSCALL)
		bg_ctx_inputs(in.ctx, rng);
	else if (p->mode == BG_XDP)
		in.len = bg_xdp_packet(in.pkt, rng);
	else
		in.len = bg_packet(in.pkt, rng);
	kernel_run(p->mode, fd, &in, &k);
	if (k.ret) {
		/* test_run refused the input (a mutated program reaching past the context it is
		 * given, ...): TEST_RUN's rule, not the interpreter's */
		if (!mutated && !st.kernel_refused_generated++)
			printf("WARNING: test_run refused a generated program's input (%ld, seed %#" PRIx64 ")\n", k.ret,
			       seed);
		st.kernel_refused++;
		return;
	}
	emu_run_one(p->mode, img, &in, 0, &e);
	if (e.timed) {
		st.timed++;
		return;
	}
	if (mutated) {
		emu_run_one(p->mode, img, &in, 1, &e2);
		if (!same(&e, &e2)) {
			st.addr_dependent++;
			return;
		}
	}
	st.runs++;
	if (!same(&k, &e))
		report(p, seed, &in, &k, &e);
}

/* Whether a mutation made an instruction the generator never makes and this test gives the
 * translator nothing for: a helper call (no helpers here: the kernel's answers come from time,
 * randomness or kernel pointers) or an ld_imm64 naming a map or a kernel symbol (no objects). The
 * kernel may accept such a program; its runs are not comparable here (diff_prog and diff_check
 * cover helpers and objects). */
static bool outside_generator(const struct bg_prog *p)
{
	for (uint32_t i = 0; i < p->n; i++) {
		const struct emu_insn *in = &p->insns[i];

		if (in->code == 0x85 && in->src_reg == EMU_CALL_HELPER)
			return true;
		if (in->code == 0x18 && in->src_reg != 0 && in->src_reg != EMU_PSEUDO_FUNC)
			return true;
	}
	return false;
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
	} else if (p->mode == BG_XDP) {
		/* without a packet region: every packet access faults, which is the point */
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
	uint32_t pick = bg_below(&rng, 8);
	enum bg_mode mode = pick == 0 ? BG_LDABS : pick <= 2 ? BG_XDP : BG_SYSCALL;
	static const uint32_t types[BG_NR_MODES] = { EMU_PROG_SYSCALL, EMU_PROG_SOCKET_FILTER, EMU_PROG_XDP };
	struct emu_prog_image *img;
	char err[256];
	long fd;

	bool mutated = false;

	bg_generate(&p, mode, &rng);
	if (bg_below(&rng, 8) == 0) {
		/* one in eight: a field or two changed at random, so the kernel's refusals and odd
		 * encodings it accepts are exercised too */
		for (int m = 1 + (int)bg_below(&rng, 2); m > 0; m--) {
			struct emu_insn *in = &p.insns[bg_below(&rng, p.n)];

			switch (bg_below(&rng, 5)) {
			case 0: in->code = (uint8_t)bg_rand(&rng); break;
			case 1: in->off = (int16_t)(in->off + (int)bg_below(&rng, 9) - 4); break;
			case 2: in->imm = (int32_t)bg_value(&rng); break;
			case 3: in->dst_reg = bg_below(&rng, 11); break;
			default: in->src_reg = bg_below(&rng, 11); break;
			}
		}
		st.mutated++;
		mutated = true;
	}
	cur_mutated = mutated;
	st.programs++;
	st.mode_programs[mode]++;
	fd = kp_load(types[mode], p.insns, p.n,
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
	if (!bg_pointer_clean(&p)) {
		if (!mutated && !st.unclean_generated++)
			printf("WARNING: a generated program uses a pointer as a number (seed %#" PRIx64 "): the generator or "
			       "its taint analysis is wrong\n", seed);
		st.pointer_tainted++;
		close((int)fd);
		emu_prog_image_free(img);
		return;
	}
	if (mutated && outside_generator(&p)) {
		st.outside_generator++;
		close((int)fd);
		emu_prog_image_free(img);
		return;
	}
	if (!img) {
		char what[320];

		st.xlate_refused++;
		snprintf(what, sizeof(what), "the kernel accepts it, the translator refuses it: %s", err);
		divergence(&p, what, seed);
		close((int)fd);
		return;
	}
	for (unsigned r = 0; r < runs; r++)
		compare_one(&p, (int)fd, img, &rng, seed, mutated);
	emu_prog_image_free(img);
	close((int)fd);
}

int main(int argc, char **argv)
{
	double seconds = 30, t0;
	unsigned long max_programs = 0;
	unsigned runs = 4;
	bool selftest = false;
	uint64_t seed, master, only = 0;
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
		else if (!strcmp(argv[i], "--program") && i + 1 < argc)
			only = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--selftest"))
			selftest = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--programs N] [--seed X] [--runs R] [--selftest] [--verbose] [--program SEED]\n",
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
	if (only) {
		/* one program again, by the seed a report printed */
		max_reports = 1000;
		one_program(only, runs);
		printf("diff_interp: program %#" PRIx64 ": %lu runs compared, %lu divergences\n", only, st.runs,
		       st.divergences);
		return st.divergences ? 1 : 0;
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

		printf("diff_interp: %lu programs (%lu mutated) in %.1f s (%.0f/s): %lu accepted by the kernel, %lu "
		       "rejected (%.1f%%); %lu runs compared, %lu divergences\n",
		       st.programs, st.mutated, el, st.programs / (el > 0 ? el : 1), st.accepted, st.rejected,
		       st.programs ? 100.0 * st.rejected / st.programs : 0.0, st.runs, st.divergences);
		printf("  SYSCALL %lu programs (%lu accepted), XDP %lu (%lu), SOCKET_FILTER/LD_ABS %lu (%lu); "
		       "rejections by errno:",
		       st.mode_programs[BG_SYSCALL], st.mode_accepted[BG_SYSCALL], st.mode_programs[BG_XDP],
		       st.mode_accepted[BG_XDP], st.mode_programs[BG_LDABS], st.mode_accepted[BG_LDABS]);
		for (int e = 0; e < 140; e++)
			if (st.by_errno[e])
				printf(" %s %lu", e ? strerrorname_np(e) : "other", st.by_errno[e]);
		printf("\n  rejected programs run by the interpreter: %lu ended in a run-time fault\n"
		       "  not compared: %lu accepted mutated programs that use a pointer as a number, %lu runs of "
		       "mutated programs whose results moved with addresses or stack garbage, %lu runs test_run "
		       "refused, %lu runs a may_goto ended (time-bounded on both sides), %lu accepted mutated "
		       "programs that call a helper or load a map or kernel symbol\n",
		       st.emu_faults_rejected, st.pointer_tainted, st.addr_dependent, st.kernel_refused, st.timed,
		       st.outside_generator);
	}
	if (selftest) {
		if (st.divergences) {
			printf("ok: the planted fault (interp-alu) was caught after %lu programs\n", st.programs);
			return 0;
		}
		printf("FAIL: the planted fault (interp-alu) went unnoticed in %lu programs\n", st.programs);
		return 1;
	}
	if (st.kernel_refused_generated) {
		printf("FAIL: test_run refused %lu runs of generated programs\n", st.kernel_refused_generated);
		return 1;
	}
	if (st.unclean_generated) {
		printf("FAIL: %lu generated programs failed the pointer analysis\n", st.unclean_generated);
		return 1;
	}
	if (st.accepted == 0) {
		printf("FAIL: the kernel accepted no program: nothing was compared\n");
		return 1;
	}
	return st.divergences ? 1 : 0;
}
