/* SPDX-License-Identifier: MIT */
/*
 * interp_bench: the interpreter (emu/prog) against the kernel's JIT on the same XDP programs.
 *
 * For each program: ns per run on the kernel (BPF_PROG_TEST_RUN with repeat, its duration field:
 * total time / repeat, which includes test_run's own per-repetition loop), ns per run of
 * emu_prog_run() with the run set up once (xdp_md through context hooks, the packet as a
 * region: what TEST_RUN will do per repetition), the instructions a run executes (a counting
 * copy of the interpreter), the interpreter's instructions per second, and three ablations:
 * without the last-hit region cache (mem_fast.h), without superinstructions (fuse.c), and with
 * the switch dispatch.
 * Every figure is the median of --rounds rounds (default 5), kernel and emulator alternating;
 * emulator times are thread CPU time, so a loaded machine's lost time slices drop out as they do
 * from the kernel's own figure.
 *
 * Programs: ret (r0 = XDP_PASS; exit), parser (Ethernet/IPv4/TCP with bounds checks, ports,
 * a flow hash, a verdict), hash64 (FNV-1a over 64 packet bytes), sum256 (a byte loop over 256
 * packet bytes with a bounds check per byte).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prog/insn_build.h"
#include "prog/interp.h"
#include "prog/kprog.h"

/* the variants (bench/interp_variant.c) */
#define DECL_VARIANT(v)                                                                            \
	struct emu_prog_image *emu_prog_translate##v(const struct emu_insn *, uint32_t,            \
						     const struct emu_xlate_opts *, char *, size_t);    \
	void emu_prog_image_free##v(struct emu_prog_image *);                                      \
	int emu_prog_run##v(const struct emu_prog_image *, struct emu_run *, uint64_t *);
DECL_VARIANT(_count)
DECL_VARIANT(_nocache)
DECL_VARIANT(_switch)
DECL_VARIANT(_nofuse)
extern uint64_t emu_interp_count;

#define PKT_LEN 300

/* ---- programs ---- */

#define DATA(r) EI_LDX_MEM(EMU_W, r, 1, 0)
#define DATA_END(r) EI_LDX_MEM(EMU_W, r, 1, 4)

static const struct emu_insn p_ret[] = { EI_MOV64_IMM(0, 2), EI_EXIT() };

static const struct emu_insn p_parser[] = {
	DATA(2), DATA_END(3),
	EI_MOV64_IMM(0, 2),                       /* XDP_PASS unless decided otherwise */
	EI_MOV64_REG(4, 2), EI_ALU64_IMM(EMU_ADD, 4, 34),
	EI_JMP_REG(EMU_JGT, 4, 3, 36),            /* -> exit */
	EI_LDX_MEM(EMU_H, 5, 2, 12),
	EI_JMP_IMM(EMU_JNE, 5, 0x0008, 34),       /* not IPv4 */
	EI_LDX_MEM(EMU_B, 6, 2, 14),
	EI_MOV64_REG(7, 6), EI_ALU64_IMM(EMU_RSH, 7, 4),
	EI_JMP_IMM(EMU_JNE, 7, 4, 30),
	EI_ALU64_IMM(EMU_AND, 6, 0xf), EI_ALU64_IMM(EMU_LSH, 6, 2),
	EI_JMP_IMM(EMU_JLT, 6, 20, 26),           /* -> drop */
	EI_LDX_MEM(EMU_B, 7, 2, 23),              /* protocol */
	EI_LDX_MEM(EMU_W, 8, 2, 26),              /* saddr */
	EI_LDX_MEM(EMU_W, 9, 2, 30),              /* daddr */
	EI_MOV64_REG(4, 2), EI_ALU64_IMM(EMU_ADD, 4, 14), EI_ALU64_REG(EMU_ADD, 4, 6),
	EI_MOV64_REG(5, 4), EI_ALU64_IMM(EMU_ADD, 5, 20),
	EI_JMP_REG(EMU_JGT, 5, 3, 19),            /* -> exit */
	EI_JMP_IMM(EMU_JNE, 7, 6, 18),            /* not TCP */
	EI_LDX_MEM(EMU_H, 5, 4, 0), EI_ENDIAN(EMU_TO_BE, 5, 16),
	EI_LDX_MEM(EMU_H, 6, 4, 2), EI_ENDIAN(EMU_TO_BE, 6, 16),
	EI_LDX_MEM(EMU_B, 7, 4, 13),              /* flags */
	EI_ALU64_REG(EMU_XOR, 8, 9), EI_ALU64_IMM(EMU_LSH, 5, 16), EI_ALU64_REG(EMU_OR, 5, 6),
	EI_ALU64_REG(EMU_XOR, 8, 5), EI_ALU32_IMM(EMU_MUL, 8, (int32_t)0x9e3779b1),
	EI_JMP_IMM(EMU_JEQ, 6, 22, 5),            /* ssh: drop */
	EI_ALU64_IMM(EMU_AND, 7, 0x02),
	EI_JMP_IMM(EMU_JEQ, 7, 0, 5),             /* not a SYN */
	EI_JMP_IMM(EMU_JNE, 6, 80, 4),
	EI_STX_MEM(EMU_H, 2, 8, 18),              /* the hash into the IP id */
	EI_JA(2),
	EI_MOV64_IMM(0, 1),                       /* drop */
	EI_EXIT(),
	EI_EXIT(),
};

static const struct emu_insn p_hash64[] = {
	DATA(2), DATA_END(3),
	EI_MOV64_IMM(0, 2),
	EI_MOV64_REG(4, 2), EI_ALU64_IMM(EMU_ADD, 4, 64),
	EI_JMP_REG(EMU_JGT, 4, 3, 11),
	EI_MOV32_IMM(0, (int32_t)0x811c9dc5), EI_MOV64_IMM(5, 0),
	EI_MOV64_REG(6, 2), EI_ALU64_REG(EMU_ADD, 6, 5),
	EI_LDX_MEM(EMU_B, 7, 6, 0),
	EI_ALU32_REG(EMU_XOR, 0, 7), EI_ALU32_IMM(EMU_MUL, 0, 0x01000193),
	EI_ALU64_IMM(EMU_ADD, 5, 1),
	EI_JMP_IMM(EMU_JLT, 5, 64, -7),
	EI_ALU64_IMM(EMU_AND, 0, 1), EI_ALU64_IMM(EMU_ADD, 0, 1),
	EI_EXIT(),
};

static const struct emu_insn p_sum256[] = {
	DATA(2), DATA_END(3),
	EI_MOV64_IMM(0, 0), EI_MOV64_IMM(4, 0),
	EI_MOV64_REG(5, 2), EI_ALU64_REG(EMU_ADD, 5, 4),
	EI_MOV64_REG(6, 5), EI_ALU64_IMM(EMU_ADD, 6, 1),
	EI_JMP_REG(EMU_JGT, 6, 3, 4),
	EI_LDX_MEM(EMU_B, 7, 5, 0),
	EI_ALU64_REG(EMU_ADD, 0, 7),
	EI_ALU64_IMM(EMU_ADD, 4, 1),
	EI_JMP_IMM(EMU_JLT, 4, 256, -9),
	EI_ALU64_IMM(EMU_AND, 0, 1), EI_ALU64_IMM(EMU_ADD, 0, 1),
	EI_EXIT(),
};

static const struct {
	const char *name;
	const struct emu_insn *insns;
	uint32_t n;
	uint32_t kernel_repeat;
} progs[] = {
	{ "ret", p_ret, EI_COUNT(p_ret), 1000000 },
	{ "parser", p_parser, EI_COUNT(p_parser), 1000000 },
	{ "hash64", p_hash64, EI_COUNT(p_hash64), 300000 },
	{ "sum256", p_sum256, EI_COUNT(p_sum256), 100000 },
};

/* An Ethernet/IPv4/TCP SYN to port 80, then filler. */
static void make_packet(uint8_t *p)
{
	static const uint8_t hdr[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,                    /* eth */
		0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, /* ipv4 */
		0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, /* tcp */
	};

	for (int i = 0; i < PKT_LEN; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	memcpy(p, hdr, sizeof(hdr));
}

/* ---- the emulator's XDP context ---- */

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

#define HK (EMU_CTX_R | EMU_CTX_HOOK)
static const uint8_t xdp_perm[24] = { HK, HK, HK, HK, HK, HK, HK, HK, HK, HK, HK, HK,
				      EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R,
				      EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R, EMU_CTX_R };
static const struct emu_ctx_desc xdp_desc = { .size = 24, .perm = xdp_perm, .load = xdp_load };

/* ---- timing ---- */

/* This thread's CPU time: time slices other processes take are left out, as the kernel's
 * test_run leaves out the time it spends rescheduled (bpf_test_timer). */
static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef int (*run_fn)(const struct emu_prog_image *, struct emu_run *, uint64_t *);

struct emu_setup {
	struct xdp_emu x;
	struct emu_region rg;
	struct emu_run run;
	uint8_t pkt[PKT_LEN];
};

static void emu_setup(struct emu_setup *e)
{
	make_packet(e->pkt);
	memset(&e->x, 0, sizeof(e->x));
	e->x.data = e->pkt;
	e->x.end = e->pkt + PKT_LEN;
	e->rg = (struct emu_region){ (uintptr_t)e->pkt, (uintptr_t)e->pkt + PKT_LEN, EMU_MEM_READ | EMU_MEM_WRITE,
				     EMU_RGN_PACKET };
	memset(&e->run, 0, sizeof(e->run));
	e->run.ctx = e->x.md;
	e->run.ctx_desc = &xdp_desc;
	e->run.user = &e->x;
	e->run.regions = &e->rg;
	e->run.nr_regions = 1;
}

/* ns per run of img over about `ns` nanoseconds */
static double emu_time(run_fn fn, const struct emu_prog_image *img, double budget_ns, uint64_t *r0)
{
	static struct emu_setup e;
	uint64_t n = 1000, done = 0;
	double t0, t;

	emu_setup(&e);
	t0 = now_ns();
	for (;;) {
		for (uint64_t i = 0; i < n; i++)
			if (fn(img, &e.run, r0)) {
				fprintf(stderr, "emulator run failed: %s\n", e.run.fault.msg);
				exit(1);
			}
		done += n;
		t = now_ns() - t0;
		if (t >= budget_ns)
			break;
		n *= 2;
	}
	return t / (double)done;
}

int main(int argc, char **argv)
{
	int rounds = 5;
	bool have_kernel;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > 99)
		rounds = 5;
	setvbuf(stdout, NULL, _IOLBF, 0);
	have_kernel = kp_probe() == 0;
	if (!have_kernel)
		printf("note: bpf() is not permitted here: emulator figures only\n");
	printf("interp_bench: %d rounds, medians; packet %d bytes (Ethernet/IPv4/TCP SYN to port 80)\n\n", rounds,
	       PKT_LEN);
	printf("%-8s %9s %10s %12s %7s %11s %12s %11s %10s\n", "program", "insns/run", "kernel ns", "emulator ns",
	       "ratio", "emu Minsn/s", "no-cache ns", "no-fuse ns", "switch ns");
	for (size_t pi = 0; pi < sizeof(progs) / sizeof(progs[0]) && !getenv("INTERP_BENCH_CORPUS_ONLY"); pi++) {
		struct emu_prog_image *img, *img_c, *img_n, *img_s, *img_f;
		double k[99], em[99], nc[99], sw[99], nf[99], kmed = 0, emed, ncmed, swmed, nfmed;
		uint64_t r0 = 0, r0c = 0, insns;
		uint32_t kretval = 0;
		long fd = -1;

		img = emu_prog_translate(progs[pi].insns, progs[pi].n, NULL, err, sizeof(err));
		img_c = emu_prog_translate_count(progs[pi].insns, progs[pi].n, NULL, err, sizeof(err));
		img_n = emu_prog_translate_nocache(progs[pi].insns, progs[pi].n, NULL, err, sizeof(err));
		img_s = emu_prog_translate_switch(progs[pi].insns, progs[pi].n, NULL, err, sizeof(err));
		img_f = emu_prog_translate_nofuse(progs[pi].insns, progs[pi].n, NULL, err, sizeof(err));
		if (!img || !img_c || !img_n || !img_s || !img_f) {
			fprintf(stderr, "%s: translation failed: %s\n", progs[pi].name, err);
			return 1;
		}
		{
			static struct emu_setup e;

			emu_setup(&e);
			emu_interp_count = 0;
			if (emu_prog_run_count(img_c, &e.run, &r0c)) {
				fprintf(stderr, "%s: %s\n", progs[pi].name, e.run.fault.msg);
				return 1;
			}
			insns = emu_interp_count;
		}
		if (have_kernel) {
			static char log[1 << 16];

			fd = kp_load(EMU_PROG_XDP, progs[pi].insns, progs[pi].n, 0, log, sizeof(log));
			if (fd < 0) {
				fprintf(stderr, "%s: the kernel refused it (%s):\n%s\n", progs[pi].name, strerror((int)-fd), log);
				return 1;
			}
		}
		for (int r = 0; r < rounds; r++) {
			if (fd >= 0) {
				uint8_t pkt[PKT_LEN], out[PKT_LEN + 64];
				struct kp_run kr = { .data = pkt, .data_size = PKT_LEN, .data_out = out,
						     .data_out_size = sizeof(out), .repeat = progs[pi].kernel_repeat };
				make_packet(pkt);
				if (kp_test_run((int)fd, &kr)) {
					fprintf(stderr, "%s: test_run failed\n", progs[pi].name);
					return 1;
				}
				k[r] = kr.duration;
				kretval = kr.retval;
			}
			em[r] = emu_time(emu_prog_run, img, 2e8, &r0);
			nc[r] = emu_time(emu_prog_run_nocache, img_n, 1e8, &r0);
			sw[r] = emu_time(emu_prog_run_switch, img_s, 1e8, &r0);
			nf[r] = emu_time(emu_prog_run_nofuse, img_f, 1e8, &r0);
		}
		if (fd >= 0) {
			kmed = median(k, rounds);
			if ((uint32_t)r0 != kretval)
				printf("warning: %s returns %u on the kernel, %u on the emulator\n", progs[pi].name, kretval,
				       (uint32_t)r0);
		}
		emed = median(em, rounds);
		ncmed = median(nc, rounds);
		swmed = median(sw, rounds);
		nfmed = median(nf, rounds);
		if (fd >= 0)
			printf("%-8s %9" PRIu64 " %10.1f %12.1f %6.2fx %11.0f %12.1f %11.1f %10.1f\n", progs[pi].name, insns,
			       kmed, emed, emed / kmed, (double)insns / emed * 1e3, ncmed, nfmed, swmed);
		else
			printf("%-8s %9" PRIu64 " %10s %12.1f %7s %11.0f %12.1f %11.1f %10.1f\n", progs[pi].name, insns, "-",
			       emed, "-", (double)insns / emed * 1e3, ncmed, nfmed, swmed);
		if (fd >= 0)
			close((int)fd);
		emu_prog_image_free(img);
		emu_prog_image_free_count(img_c);
		emu_prog_image_free_nocache(img_n);
		emu_prog_image_free_switch(img_s);
		emu_prog_image_free_nofuse(img_f);
	}
	printf("\nkernel ns: test_run's duration (ns per repetition, its loop included) of the JIT-compiled "
	       "program;\nemulator ns: one emu_prog_run() with the run set up once; ratio = emulator / kernel.\n");
#ifdef INTERP_BENCH_CORPUS
	if (have_kernel) {
		void corpus_bench(int rounds, const char *dir);
		void hx_init(const char *test_name);

		hx_init("interp_bench corpus");
		corpus_bench(rounds, INTERP_BENCH_CORPUS);
	}
#endif
	return 0;
}
