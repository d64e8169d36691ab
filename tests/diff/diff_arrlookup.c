/* SPDX-License-Identifier: MIT */
/*
 * bpf_map_lookup_elem on ARRAY and PERCPU_ARRAY maps, against the kernel: the lookups the
 * emulator's translator inlines (emu/prog/inline_lookup.h) as the kernel's verifier does
 * (array_map_gen_lookup), run with BPF_PROG_TEST_RUN on both sides through PROG_LOAD.
 *
 * Per map (ARRAY plain, BPF_F_MMAPABLE, frozen, frozen BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, a
 * one-entry array, PERCPU_ARRAY), XDP programs look up keys at the bounds (0, 1, max_entries - 1,
 * max_entries, 0xffffffff) from the stack, from the packet and from another array's value, and
 * either read the value (its first word and last byte: a wrong index, CPU or stride shows) or
 * write into it (the maps' contents are compared after the runs); a caller tail-calls one of
 * them (a tail call brings the callee's inlined maps into the run). The load answers, every
 * run's return value and the maps' contents are compared. The process runs pinned to one CPU,
 * so both sides' per-CPU slot is the same.
 *
 *   diff_arrlookup [--expect-divergence] [--seconds N (ignored)]
 *
 * --expect-divergence: the run against a library with BPFEMU_FAULT=inline-array-bound (the
 * inlined bound check lets index max_entries through) must report divergences.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "frontend.h"
#include "harness.h"
#include "insns.h"
#include "uapi/bpf_insn.h"

#define XDP 6u
#define FN_LOOKUP 1
#define FN_TAIL_CALL 12
#define LOG_SIZE 65536
#define NULL_RET 0x7777
#define MAX_INSNS 64

static char logs[2][LOG_SIZE];

struct prog {
	struct emu_insn in[MAX_INSNS];
	uint32_t n;
};

static void emit(struct prog *p, struct emu_insn i)
{
	if (p->n < MAX_INSNS)
		p->in[p->n++] = i;
}

static void ld_map(struct prog *p, uint8_t reg, int fd)
{
	emit(p, I(EMU_LD | EMU_DW | EMU_IMM, reg, 1 /* BPF_PSEUDO_MAP_FD */, 0, fd));
	emit(p, I(0, 0, 0, 0, 0));
}

/* An XDP program on a side, its log kept: the fd or -errno. */
static long xdp_load(int side, const struct prog *p)
{
	return hx_prog_load(side, XDP, p->in, p->n, logs[side], LOG_SIZE);
}

/* TEST_RUN with a 64-byte packet whose first 4 bytes are key: the retval or -errno. */
static long xdp_run(int side, int fd, uint32_t key)
{
	unsigned char pkt[64] = { 0 };

	memcpy(pkt, &key, 4);
	return hx_prog_run_pkt(side, fd, pkt, sizeof(pkt));
}

static void compare(const char *what, long k, long e)
{
	hx_nops++;
	if (k != e) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] %s: kernel %ld, emulator %ld\n", hx_ndiv, hx_ctx_get(), what, k, e);
	}
}

/* Loads p on both sides (the load answers compared): true with fd[] when both accepted it. */
static bool load_both(const struct prog p[2], long fd[2], const char *what)
{
	for (int s = 0; s < 2; s++)
		fd[s] = xdp_load(s, &p[s]);
	if ((fd[0] < 0) != (fd[1] < 0) || (fd[0] < 0 && fd[0] != fd[1])) {
		hx_nops++;
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] load of %s: kernel %s, emulator %s\n  kernel log: %.300s\n  emulator log: %.300s\n",
		       hx_ndiv, hx_ctx_get(), what, fd[0] < 0 ? hx_errname((int)-fd[0]) : "an fd",
		       fd[1] < 0 ? hx_errname((int)-fd[1]) : "an fd", logs[0], logs[1]);
	}
	if (fd[0] >= 0 && fd[1] >= 0)
		return true;
	for (int s = 0; s < 2; s++)
		if (fd[s] >= 0)
			close((int)fd[s]);
	return false;
}

enum key_src { KEY_STACK, KEY_PACKET, KEY_VALUE };

/* The program body after r0 = lookup(...): read (first word ^ last byte << 24) or write (a
 * marker into bytes 4..8, or 0..4 of a smaller value), NULL_RET when the lookup found nothing. */
static void tail_of(struct prog *p, bool wr, uint32_t vs, int32_t mark)
{
	emit(p, JEQ_K(0, 0, wr ? 3 : 5));
	if (wr) {
		emit(p, ST_W(0, vs >= 8 ? 4 : 0, mark));
		emit(p, MOV_K(0, 1));
		emit(p, EXIT());
	} else {
		emit(p, LDX_B(1, 0, (int16_t)(vs - 1)));
		emit(p, LDX_W(0, 0, 0));
		emit(p, LSH_K(1, 24));
		emit(p, XOR_X(0, 1));
		emit(p, EXIT());
	}
	emit(p, MOV_K(0, NULL_RET));
	emit(p, EXIT());
}

/* The lookup program of one side: the key from src (KEY_STACK: the immediate key). */
static void build(struct prog *p, int side, const struct hx_pair *map, const struct hx_pair *keys, enum key_src src,
		  uint32_t key, bool wr, uint32_t vs, int32_t mark)
{
	memset(p, 0, sizeof(*p));
	switch (src) {
	case KEY_STACK:
		emit(p, ST_W(10, -4, (int32_t)key));
		emit(p, MOV_X(2, 10));
		emit(p, ADD_K(2, -4));
		break;
	case KEY_PACKET: /* r2 = data, bounds-checked for 4 bytes, and read once */
		emit(p, LDX_W(2, 1, 0));
		emit(p, LDX_W(3, 1, 4));
		emit(p, MOV_X(4, 2));
		emit(p, ADD_K(4, 4));
		emit(p, JGT_X(4, 3, 0)); /* patched below */
		emit(p, LDX_W(5, 2, 0));
		break;
	case KEY_VALUE: /* r2 = &keys[0] */
		emit(p, ST_W(10, -4, 0));
		emit(p, MOV_X(2, 10));
		emit(p, ADD_K(2, -4));
		ld_map(p, 1, keys->fd[side]);
		emit(p, CALL(FN_LOOKUP));
		emit(p, JEQ_K(0, 0, 0)); /* patched below */
		emit(p, MOV_X(2, 0));
		break;
	}
	ld_map(p, 1, map->fd[side]);
	emit(p, CALL(FN_LOOKUP));
	tail_of(p, wr, vs, mark);
	/* the early exits go to the NULL_RET exit (the last two instructions) */
	for (uint32_t i = 0; i < p->n; i++)
		if ((p->in[i].code == (EMU_JMP | 0x20 | EMU_X) || p->in[i].code == (EMU_JMP | 0x10)) && p->in[i].off == 0)
			p->in[i].off = (int16_t)(p->n - 2 - i - 1);
}

struct config {
	const char *name;
	uint32_t type, max, vs, flags;
	bool freeze;
};

/* Values: word k of index i (CPU c) is 0x10000 * (i + 1) + 0x100 * c + k; the last byte too. */
static void fill(const struct hx_pair *pa, const struct config *c)
{
	uint32_t ncpu = hx_is_percpu(c->type) ? (uint32_t)hx_ncpus : 1, slot = (c->vs + 7) & ~7u;
	unsigned char *v = calloc(ncpu, slot);

	for (uint32_t i = 0; v && i < c->max; i++) {
		for (uint32_t cpu = 0; cpu < ncpu; cpu++) {
			unsigned char *s = v + (size_t)cpu * (hx_is_percpu(c->type) ? slot : 0);

			for (uint32_t k = 0; k + 4 <= c->vs; k += 4) {
				uint32_t w = 0x10000u * (i + 1) + 0x100u * cpu + k;

				memcpy(s + k, &w, 4);
			}
			s[c->vs - 1] = (unsigned char)(0x40 + i * 4 + cpu);
		}
		if (hx_update(pa, &i, v, 0))
			printf("NOTE: [%s] update of index %u refused\n", hx_ctx_get(), i);
	}
	free(v);
}

static void one_config(const struct config *c)
{
	static const char *const src_name[] = { "stack", "packet", "another array's value" };
	struct hx_pair pa, keys;
	uint32_t bound[5] = { 0, 1, c->max - 1, c->max, 0xffffffffu };

	hx_ctx("%s", c->name);
	if (hx_create(&pa, c->type, 4, c->vs, c->max, c->flags) < 0)
		return;
	if (hx_create(&keys, EMU_MAP_ARRAY, 4, 4, 1, 0) < 0) {
		hx_close(&pa);
		return;
	}
	fill(&pa, c);
	if (c->freeze && hx_freeze(&pa))
		printf("NOTE: [%s] freeze refused\n", c->name);
	for (int w = 0; w < 2; w++) {
		for (int src = KEY_STACK; src <= KEY_VALUE; src++) {
			uint32_t nprog = src == KEY_STACK ? 5 : 1;

			for (uint32_t pk = 0; pk < nprog; pk++) {
				struct prog p[2];
				long fd[2];
				char what[128];

				for (int s = 0; s < 2; s++)
					build(&p[s], s, &pa, &keys, (enum key_src)src, bound[pk], w, c->vs,
					      (int32_t)(0x5500 + pk * 16 + src));
				hx_ctx("%s: %s of a value, key from the %s%s", c->name, w ? "write" : "read", src_name[src],
				       src == KEY_STACK ? "" : " (every bound)");
				if (src == KEY_STACK)
					hx_ctx("%s: %s of a value, key %#x on the stack", c->name, w ? "write" : "read", bound[pk]);
				if (!load_both(p, fd, w ? "the writing program" : "the reading program"))
					continue;
				for (uint32_t b = 0; b < (src == KEY_STACK ? 1u : 5u); b++) {
					uint32_t key = src == KEY_STACK ? bound[pk] : bound[b];
					long r[2];

					if (src == KEY_VALUE) {
						uint32_t zero = 0;

						hx_update(&keys, &zero, &key, 0);
					}
					for (int s = 0; s < 2; s++)
						r[s] = xdp_run(s, (int)fd[s], key);
					snprintf(what, sizeof(what), "run with key %#x", key);
					if (!w && key < c->max && c->vs >= 8 && !(c->flags & EMU_F_WRONLY_PROG))
						hx_expect(r[0], (long)(0x10000u * (key + 1) + 0x100u * (hx_is_percpu(c->type) ? (uint32_t)sched_getcpu() : 0)) ^
								   ((long)(0x40 + key * 4 + (hx_is_percpu(c->type) ? sched_getcpu() : 0)) << 24),
							  "the kernel reads the value it was given");
					if (key >= c->max)
						hx_expect(r[0], NULL_RET, "the kernel finds no value past max_entries");
					compare(what, r[0], r[1]);
				}
				for (int s = 0; s < 2; s++)
					close((int)fd[s]);
			}
		}
	}
	hx_ctx("%s: contents after the runs", c->name);
	hx_compare_contents(&pa);
	hx_close(&keys);
	hx_close(&pa);
}

/* A tail call into a program whose lookup is inlined: the callee's map must be reachable. */
static void tail_call(void)
{
	struct config c = { "tail call", EMU_MAP_ARRAY, 3, 12, 0, false };
	struct hx_pair pa, keys, pr;
	struct prog callee[2], caller[2];
	long cfd[2], rfd[2];
	uint32_t zero = 0;

	hx_ctx("tail call into an inlined lookup");
	if (hx_create(&pa, EMU_MAP_ARRAY, 4, 12, 3, 0) < 0)
		return;
	if (hx_create(&keys, EMU_MAP_ARRAY, 4, 4, 1, 0) < 0 || hx_create(&pr, EMU_MAP_PROG_ARRAY, 4, 4, 1, 0) < 0) {
		hx_close(&pa);
		return;
	}
	fill(&pa, &c);
	for (int s = 0; s < 2; s++) {
		build(&callee[s], s, &pa, &keys, KEY_PACKET, 0, false, 12, 0);
		memset(&caller[s], 0, sizeof(caller[s]));
		ld_map(&caller[s], 2, pr.fd[s]);
		emit(&caller[s], MOV_K(3, 0));
		emit(&caller[s], CALL(FN_TAIL_CALL));
		emit(&caller[s], MOV_K(0, 9));
		emit(&caller[s], EXIT());
	}
	if (!load_both(callee, cfd, "the callee"))
		goto out;
	if (!load_both(caller, rfd, "the caller")) {
		close((int)cfd[0]);
		close((int)cfd[1]);
		goto out;
	}
	{
		unsigned char a[2][EMU_ATTR_SIZE];

		for (int s = 0; s < 2; s++) {
			uint32_t fd = (uint32_t)pr.fd[s];
			int32_t v = (int32_t)cfd[s];
			uint64_t kp = (uint64_t)(uintptr_t)&zero, vp = (uint64_t)(uintptr_t)&v;

			memset(a[s], 0, EMU_ATTR_SIZE);
			memcpy(a[s] + EL_FD, &fd, 4);
			memcpy(a[s] + EL_KEY, &kp, 8);
			memcpy(a[s] + EL_VALUE, &vp, 8);
			compare("the prog array's update", 0, hx_raw(s, EMU_BPF_MAP_UPDATE_ELEM, a[s], EMU_ATTR_SIZE));
		}
	}
	for (uint32_t key = 0; key < 5; key++) {
		long k = xdp_run(HX_K, (int)rfd[0], key), e = xdp_run(HX_E, (int)rfd[1], key);
		char what[64];

		snprintf(what, sizeof(what), "a tail call, key %u", key);
		compare(what, k, e);
	}
	for (int s = 0; s < 2; s++) {
		close((int)cfd[s]);
		close((int)rfd[s]);
	}
out:
	hx_close(&pr);
	hx_close(&keys);
	hx_close(&pa);
}

int main(int argc, char **argv)
{
	static const struct config configs[] = {
		{ "ARRAY", EMU_MAP_ARRAY, 5, 12, 0, false },
		{ "ARRAY, 8-byte values", EMU_MAP_ARRAY, 7, 8, 0, false },
		{ "ARRAY of one entry", EMU_MAP_ARRAY, 1, 4, 0, false },
		{ "ARRAY BPF_F_MMAPABLE", EMU_MAP_ARRAY, 5, 12, EMU_F_MMAPABLE, false },
		{ "ARRAY frozen", EMU_MAP_ARRAY, 5, 12, 0, true },
		{ "ARRAY BPF_F_RDONLY_PROG", EMU_MAP_ARRAY, 5, 12, EMU_F_RDONLY_PROG, false },
		{ "ARRAY BPF_F_RDONLY_PROG, frozen", EMU_MAP_ARRAY, 5, 12, EMU_F_RDONLY_PROG, true },
		{ "ARRAY BPF_F_RDONLY_PROG, frozen, one entry", EMU_MAP_ARRAY, 1, 12, EMU_F_RDONLY_PROG, true },
		{ "ARRAY BPF_F_WRONLY_PROG", EMU_MAP_ARRAY, 5, 12, EMU_F_WRONLY_PROG, false },
		{ "PERCPU_ARRAY", EMU_MAP_PERCPU_ARRAY, 5, 12, 0, false },
	};
	bool expect_div = false;
	cpu_set_t set;
	int cpu;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--expect-divergence"))
			expect_div = true;
	hx_init("diff_arrlookup");
	/* one CPU for both sides' per-CPU slot */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("NOTE: cannot pin to one CPU (%s): per-CPU results may differ by CPU\n", strerror(errno));
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		one_config(&configs[i]);
	tail_call();
	return hx_finish_planted(expect_div);
}
