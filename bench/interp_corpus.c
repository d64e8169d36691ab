/* SPDX-License-Identifier: MIT */
/*
 * interp_bench's second table: the programs of tests/diff/run_src (the diff_prog corpus), each
 * loaded on the kernel by libbpf and into the emulator (tests/diff/twin.c), run with the same
 * input on both through BPF_PROG_TEST_RUN: the kernel's JIT through bpf(), the emulator through
 * emu_test_run() and the command's copies (tw_emu_command: in-process, no shim).
 *
 * Per repetition (XDP, TC, socket filter, cgroup skb: repeat R, each side's duration field, its
 * own loop over the same packet); per call for SYSCALL and RAW_TRACEPOINT, which take no repeat
 * (the kernel's figure then includes the system call). Instructions per run from the counting
 * copy of the interpreter (not for programs with callbacks: a callback runs on the library's own
 * run loop, which cannot run that copy's images).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff/twin.h"
#include "prog/insn_build.h"

struct emu_prog_image *emu_prog_translate_count(const struct emu_insn *, uint32_t, const struct emu_xlate_opts *,
						char *, size_t);
void emu_prog_image_free_count(struct emu_prog_image *);
int emu_prog_run_count(const struct emu_prog_image *, struct emu_run *, uint64_t *);
extern uint64_t emu_interp_count;

#define EMU_REPEAT 20000u

static uint8_t pkt[2048];
static uint8_t ctx[256];

/* Ethernet/IPv4/TCP to 10.0.0.2:80 (the xdp_fw NAT table's first entry), 300 bytes */
static void tcp_packet(uint8_t *p)
{
	static const uint8_t hdr[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0x01, 0x1e, 0x12, 0x34, 0x40, 0, 64, 6, 0x54, 0x2b, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};

	for (int i = 0; i < 300; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	memcpy(p, hdr, sizeof(hdr));
}

struct entry {
	const char *obj, *prog, *what;
	bool packet, callbacks;
	uint32_t ctx_size;
	void (*fill)(void);
};

static void fill_none(void) {}
static void fill_elem(void) /* op 0: update key 3 of the hash map */
{
	memset(ctx, 0, sizeof(ctx));
	ctx[8] = 7;
	ctx[4] = 3;
}
static void fill_atomics(void) { memset(ctx, 0, sizeof(ctx)); ctx[8] = 5; }
static void fill_strings(void) { memset(ctx, 0, sizeof(ctx)); ctx[8] = 77; }
static void fill_iterate(void) /* for_each over the per-CPU hash, bpf_loop 16 times */
{
	memset(ctx, 0, sizeof(ctx));
	ctx[4] = 16;
	ctx[32] = 1;
}
static void fill_rtp(void)
{
	uint64_t a[3] = { 1, 2, 3 };

	memcpy(ctx, a, sizeof(a));
}

static const struct entry entries[] = {
	{ "xdp_fw", "xdp_fw", "parse, NAT, csum_diff, LRU", true, false, 0, fill_none },
	{ "xdp_fw", "xdp_redir", "bpf_redirect", true, false, 0, fill_none },
	{ "tc_nat", "tc_nat", "skb fields, l3/l4 csum, store_bytes", true, false, 0, fill_none },
	{ "tc_nat", "tc_errors", "helpers' errors", true, false, 0, fill_none },
	{ "sock_filter", "sf_keep", "LD_ABS parse, hash map", true, false, 0, fill_none },
	{ "cgskb", "cg_in", "socket fields, LRU per-CPU", true, false, 0, fill_none },
	{ "sys_maps", "elem", "hash update", false, false, 136, fill_elem },
	{ "sys_maps", "atomics", "spin lock, atomics, calls", false, false, 136, fill_atomics },
	{ "sys_maps", "strings", "bpf_snprintf", false, false, 136, fill_strings },
	{ "sys_maps", "iterate", "for_each, bpf_loop", false, true, 136, fill_iterate },
	{ "rawtp", "rtp", "per-CPU array", false, false, 24, fill_rtp },
};

static double wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* the emulator's time: this thread's CPU time, so slices other processes take drop out (as the
 * kernel's test_run timer leaves out the time it is rescheduled) */
static double cpu_ns(void)
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

static void attr_for(unsigned char *a, const struct entry *e, const struct tw_prog *p, uint32_t repeat)
{
	uint64_t v;

	memset(a, 0, EMU_ATTR_SIZE);
	memcpy(a + TR_PROG_FD, &p->kfd, 4);
	if (e->packet) {
		uint32_t n = 300;

		v = (uintptr_t)pkt;
		memcpy(a + TR_DATA_SIZE_IN, &n, 4);
		memcpy(a + TR_DATA_IN, &v, 8);
		memcpy(a + TR_REPEAT, &repeat, 4);
	} else {
		v = (uintptr_t)ctx;
		memcpy(a + TR_CTX_SIZE_IN, &e->ctx_size, 4);
		memcpy(a + TR_CTX_IN, &v, 8);
	}
}

/* ns per repetition (packet programs) or per call (the others) on one side */
static double measure(struct tw_obj *o, const struct entry *e, struct tw_prog *p, int side)
{
	unsigned char a[EMU_ATTR_SIZE];
	uint32_t d;

	if (e->packet) {
		uint32_t repeat = side == HX_K ? 200000 : EMU_REPEAT;

		double t0;

		tcp_packet(pkt);
		attr_for(a, e, p, repeat);
		t0 = cpu_ns();
		if (side == HX_K ? hx_raw(HX_K, EMU_BPF_PROG_TEST_RUN, a, EMU_ATTR_SIZE)
				 : tw_emu_command(p, o, a, a, NULL))
			return -1;
		if (side == HX_E) /* the whole command: the packet built once, then the repetitions */
			return (cpu_ns() - t0) / repeat;
		memcpy(&d, a + TR_DURATION, 4);
		return d;
	} else {
		const int n = 20000;
		double t0 = side == HX_K ? wall_ns() : cpu_ns();

		for (int i = 0; i < n; i++) {
			e->fill();
			attr_for(a, e, p, 0);
			if (side == HX_K ? hx_raw(HX_K, EMU_BPF_PROG_TEST_RUN, a, EMU_ATTR_SIZE)
					 : tw_emu_command(p, o, a, a, NULL))
				return -1;
		}
		return ((side == HX_K ? wall_ns() : cpu_ns()) - t0) / n;
	}
}

static long count_insns(struct tw_obj *o, const struct entry *e, struct tw_prog *p)
{
	struct emu_prog_image *img;
	struct tw_prog pc = *p;
	unsigned char a[EMU_ATTR_SIZE];
	uint64_t before;
	long r;

	if (e->callbacks)
		return -1;
	img = tw_translate(o, p, emu_prog_translate_count);
	if (!img)
		return -1;
	pc.img = img;
	pc.run_fn = emu_prog_run_count;
	tcp_packet(pkt);
	e->fill();
	/* as many repetitions as the timed runs make: the packet changes from one to the next */
	attr_for(a, e, &pc, EMU_REPEAT);
	before = emu_interp_count;
	r = tw_emu_command(&pc, o, a, a, NULL) ? -1 : (long)((emu_interp_count - before) / (e->packet ? EMU_REPEAT : 1));
	emu_prog_image_free_count(img);
	return r;
}

void corpus_bench(int rounds, const char *dir);
void corpus_bench(int rounds, const char *dir)
{
	printf("\ncorpus (tests/diff/run_src, TEST_RUN on both sides, medians of %d rounds)\n", rounds);
	printf("%-22s %-36s %9s %10s %12s %7s %11s\n", "program", "what", "insns/run", "kernel ns", "emulator ns", "ratio",
	       "emu Minsn/s");
	hx_quiet_ok = true;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct entry *e = &entries[i];
		struct tw_obj o;
		struct tw_prog *p;
		double k[99], em[99];
		long insns;
		char name[64];

		if (getenv("INTERP_BENCH_MATCH") && !strstr(e->prog, getenv("INTERP_BENCH_MATCH")))
			continue;
		if (!tw_open(&o, dir, e->obj))
			continue;
		p = tw_prog(&o, e->prog);
		if (!strcmp(e->obj, "xdp_fw")) { /* the NAT table's entry the packet hits */
			uint32_t key = 0x0200000a;
			struct { uint32_t addr; uint16_t port, pad; } to = { 0x0300000a, 0x1f90, 0 };

			hx_update(&tw_map(&o, "nat")->p, &key, &to, 0);
		}
		insns = count_insns(&o, e, p);
		for (int r = 0; r < rounds; r++) {
			k[r] = measure(&o, e, p, HX_K);
			em[r] = measure(&o, e, p, HX_E);
		}
		qsort(k, (size_t)rounds, sizeof(double), cmp_d);
		qsort(em, (size_t)rounds, sizeof(double), cmp_d);
		snprintf(name, sizeof(name), "%s/%s%s", e->obj, e->prog, e->packet ? "" : "*");
		if (insns >= 0)
			printf("%-22s %-36s %9ld %10.1f %12.1f %6.2fx %11.0f\n", name, e->what, insns, k[rounds / 2],
			       em[rounds / 2], em[rounds / 2] / k[rounds / 2], (double)insns / em[rounds / 2] * 1e3);
		else
			printf("%-22s %-36s %9s %10.1f %12.1f %6.2fx %11s\n", name, e->what, "-", k[rounds / 2], em[rounds / 2],
			       em[rounds / 2] / k[rounds / 2], "-");
		tw_close(&o);
	}
	printf("* SYSCALL / RAW_TRACEPOINT take no repeat: ns per call, the kernel's through bpf(), the emulator's\n"
	       "  in-process (emu_test_run and the command's copies, no shim).\n");
}
