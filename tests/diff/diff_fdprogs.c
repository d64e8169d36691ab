/* SPDX-License-Identifier: MIT */
/*
 * Programs on the maps whose values are objects, against the kernel, run with BPF_PROG_TEST_RUN:
 *
 *  - tail calls through a PROG_ARRAY: the program in a slot runs (its return value tells), an
 *    empty slot or an index past the end falls through, a program calling itself stops after 33
 *    jumps;
 *  - lookups in an ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map a program gets, its elements read
 *    and written through it, as the outer map's elements change (deleted, replaced, the inner
 *    map's last fd closed while the element holds it);
 *  - what the verifier says of such programs: the result used unchecked, the inner map's
 *    key/value sizes from the template, helpers the outer map does not take, arithmetic and
 *    stores on the inner map pointer. Answers and the verifier's error line are compared.
 *
 *   diff_fdprogs [--expect-divergence]
 *
 * --expect-divergence: the run against a library with BPFEMU_FAULT=inner-map-null must report
 * divergences (proof that the comparisons can fail).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "frontend.h"
#include "harness.h"
#include "insns.h"
#include "uapi/bpf_insn.h"

#define XDP 6u
#define FN_LOOKUP 1
#define FN_UPDATE 2
#define FN_TAIL_CALL 12
#define LOG_SIZE 65536

static char logs[2][LOG_SIZE];

static void ld_map(struct emu_insn *p, uint8_t reg, int fd)
{
	p[0] = I(EMU_LD | EMU_DW | EMU_IMM, reg, 1 /* BPF_PSEUDO_MAP_FD */, 0, fd);
	p[1] = I(0, 0, 0, 0, 0);
}

/* An XDP program on a side, its log kept: the fd or -errno. */
static long xdp_load(int side, const struct emu_insn *insns, uint32_t cnt)
{
	return hx_prog_load(side, XDP, insns, cnt, logs[side], LOG_SIZE);
}

/* TEST_RUN on a 64-byte packet of zeros: the retval or -errno. */
static long xdp_run(int side, int fd)
{
	static const unsigned char pkt[64];

	return hx_prog_run_pkt(side, fd, pkt, sizeof(pkt));
}

/* An update whose value is an fd: each side gets its own fd in the value buffer. */
static long update_fd(const struct hx_pair *p, const void *key, int kfd, int efd)
{
	unsigned char a[2][EMU_ATTR_SIZE];
	int32_t v[2] = { kfd, efd };
	long r[2];

	for (int s = 0; s < 2; s++) {
		uint32_t fd = (uint32_t)p->fd[s];
		uint64_t kp = (uint64_t)(uintptr_t)key, vp = (uint64_t)(uintptr_t)&v[s];

		memset(a[s], 0, EMU_ATTR_SIZE);
		memcpy(a[s] + EL_FD, &fd, 4);
		memcpy(a[s] + EL_KEY, &kp, 8);
		memcpy(a[s] + EL_VALUE, &vp, 8);
		r[s] = hx_raw(s, EMU_BPF_MAP_UPDATE_ELEM, a[s], EMU_ATTR_SIZE);
	}
	hx_nops++;
	if (r[0] != r[1]) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] update with fds %d/%d: kernel %s, emulator %s\n", hx_ndiv, hx_ctx_get(), kfd,
		       efd, r[0] ? hx_errname((int)-r[0]) : "0", r[1] ? hx_errname((int)-r[1]) : "0");
	}
	return r[0];
}

static void compare_runs(const char *what, long k, long e)
{
	hx_nops++;
	if (k != e) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] %s: kernel retval %ld, emulator %ld\n", hx_ndiv, hx_ctx_get(), what, k, e);
	}
}

/* ---- tail calls ---- */

static void tail_calls(void)
{
	struct hx_pair pa;
	long callee[2], caller[2][3];
	uint32_t key;

	hx_ctx("tail calls");
	if (hx_create(&pa, EMU_MAP_PROG_ARRAY, 4, 4, 4, 0) < 0)
		return;
	for (int s = 0; s < 2; s++) {
		const struct emu_insn ret42[2] = { MOV_K(0, 42), EXIT() };

		callee[s] = xdp_load(s, ret42, 2);
		for (int idx = 0; idx < 3; idx++) {
			struct emu_insn p[6];

			ld_map(p, 2, pa.fd[s]);                /* r2 = the program array */
			p[2] = MOV_K(3, idx == 2 ? 9 : idx);   /* r3 = slot */
			p[3] = CALL(FN_TAIL_CALL);
			p[4] = MOV_K(0, 7);                    /* fell through */
			p[5] = EXIT();
			caller[s][idx] = xdp_load(s, p, 6);
		}
	}
	if (callee[0] < 0 || caller[0][0] < 0) {
		printf("NOTE: the kernel refused the tail call programs (%s): tail calls not compared\n",
		       hx_errname((int)-(callee[0] < 0 ? callee[0] : caller[0][0])));
		hx_close(&pa);
		return;
	}
	for (int step = 0; step < 4; step++) {
		key = 0;
		if (step == 0)
			hx_ctx("tail calls: slot 0 empty");
		if (step == 1) {
			hx_ctx("tail calls: slot 0 holds a program returning 42");
			update_fd(&pa, &key, (int)callee[0], (int)callee[1]);
		}
		if (step == 2) {
			hx_ctx("tail calls: slot 1 holds the caller of slot 1 (a loop: 33 jumps, then through)");
			key = 1;
			update_fd(&pa, &key, (int)caller[0][1], (int)caller[1][1]);
		}
		if (step == 3) {
			hx_ctx("tail calls: slot 0 deleted");
			hx_delete(&pa, &key);
		}
		for (int idx = 0; idx < 3; idx++) {
			long k = xdp_run(HX_K, (int)caller[HX_K][idx]), e = xdp_run(HX_E, (int)caller[HX_E][idx]);
			char what[48];

			if (idx == 0)
				hx_expect(k, step == 1 || step == 2 ? 42 : 7, "a tail call to slot 0 returns the callee's 42");
			snprintf(what, sizeof(what), "a tail call to slot %d", idx == 2 ? 9 : idx);
			compare_runs(what, k, e);
		}
	}
	for (int s = 0; s < 2; s++) {
		close((int)callee[s]);
		for (int idx = 0; idx < 3; idx++)
			if (caller[s][idx] >= 0)
				close((int)caller[s][idx]);
	}
	hx_close(&pa);
}

/* ---- of-maps lookups ---- */

#define NINNER 3
static struct hx_pair inner[NINNER]; /* arrays: key 4, value 8, 4 entries (the template's shape) */

enum { P_READ, P_WRITE };

/*
 * outer[ko] -> the inner map (none: 100), inner[ki] -> the value (none: 101); P_READ answers the
 * value's low 32 bits, P_WRITE stores 1000 + ki through the helper and answers its result.
 */
static long lookup_prog(int side, int outer, uint32_t ko, uint32_t ki, int kind)
{
	struct emu_insn p[40];
	uint32_t n = 0;

	p[n++] = ST_W(EMU_REG_FP, -4, (int32_t)ko);
	ld_map(p + n, 1, outer);
	n += 2;
	p[n++] = MOV_X(2, EMU_REG_FP);
	p[n++] = ADD_K(2, -4);
	p[n++] = CALL(FN_LOOKUP);
	p[n++] = JNE_K(0, 0, 2);
	p[n++] = MOV_K(0, 100);
	p[n++] = EXIT();
	p[n++] = MOV_X(6, 0);
	p[n++] = ST_W(EMU_REG_FP, -8, (int32_t)ki);
	if (kind == P_WRITE) {
		p[n++] = ST_DW(EMU_REG_FP, -16, (int32_t)(1000 + ki));
		p[n++] = MOV_X(1, 6);
		p[n++] = MOV_X(2, EMU_REG_FP);
		p[n++] = ADD_K(2, -8);
		p[n++] = MOV_X(3, EMU_REG_FP);
		p[n++] = ADD_K(3, -16);
		p[n++] = MOV_K(4, 0);
		p[n++] = CALL(FN_UPDATE);
		p[n++] = EXIT();
	} else {
		p[n++] = MOV_X(1, 6);
		p[n++] = MOV_X(2, EMU_REG_FP);
		p[n++] = ADD_K(2, -8);
		p[n++] = CALL(FN_LOOKUP);
		p[n++] = JNE_K(0, 0, 2);
		p[n++] = MOV_K(0, 101);
		p[n++] = EXIT();
		p[n++] = LDX_W(0, 0, 0);
		p[n++] = EXIT();
	}
	return xdp_load(side, p, n);
}

/* Every (outer key, inner key) read on both sides; the inner maps' contents compared. */
static void run_reads(const long (*progs)[2], uint32_t nko, uint32_t nki)
{
	for (uint32_t ko = 0; ko < nko; ko++)
		for (uint32_t ki = 0; ki < nki; ki++) {
			const long *fd = progs[ko * nki + ki];
			char what[64];

			if (fd[0] < 0 || fd[1] < 0)
				continue;
			snprintf(what, sizeof(what), "outer key %u, inner key %u", ko, ki);
			compare_runs(what, xdp_run(HX_K, (int)fd[0]), xdp_run(HX_E, (int)fd[1]));
		}
	for (int i = 0; i < NINNER; i++)
		if (inner[i].fd[0] >= 0)
			hx_compare_contents(&inner[i]);
}

static void of_maps_runs(uint32_t type)
{
	enum { NKO = 5, NKI = 5 };
	static long rd[NKO * NKI][2], wr[2][2];
	struct hx_op op;
	struct hx_pair outer;
	uint32_t key;

	hx_ctx("%s lookups from programs", hx_type_name(type));
	for (int i = 0; i < NINNER; i++) {
		hx_create(&inner[i], EMU_MAP_ARRAY, 4, 8, 4, 0);
		for (uint32_t k = 0; k < 4; k++) {
			uint64_t v = 10 * k + (uint64_t)i + 1;

			hx_update(&inner[i], &k, &v, 0);
		}
	}
	hx_create_op(&op, type, 4, 4, 4, 0);
	hx_op_fd2(&op, MC_INNER_FD, inner[0].fd[0], inner[0].fd[1]);
	if (hx_create_from(&outer, &op) < 0)
		goto out;
	for (uint32_t ko = 0; ko < NKO; ko++)
		for (uint32_t ki = 0; ki < NKI; ki++)
			for (int s = 0; s < 2; s++)
				rd[ko * NKI + ki][s] = lookup_prog(s, outer.fd[s], ko, ki, P_READ);
	for (int s = 0; s < 2; s++) {
		wr[0][s] = lookup_prog(s, outer.fd[s], 1, 2, P_WRITE);
		wr[1][s] = lookup_prog(s, outer.fd[s], 0, 7, P_WRITE); /* past the inner map's end */
	}
	hx_nops++;
	if ((rd[0][0] < 0) != (rd[0][1] < 0)) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] loading the lookup program: kernel %ld, emulator %ld\n%s\n", hx_ndiv,
		       hx_ctx_get(), rd[0][0], rd[0][1], logs[HX_E]);
	}
	if (rd[0][0] < 0) {
		printf("NOTE: the kernel refused the lookup program (%s): runs not compared\n%s\n",
		       hx_errname((int)-rd[0][0]), logs[HX_K]);
		goto close;
	}
	hx_ctx("%s: empty", hx_type_name(type));
	run_reads((const long (*)[2])rd, NKO, NKI);
	for (key = 0; key < 3; key++)
		update_fd(&outer, &key, inner[key].fd[0], inner[key].fd[1]);
	hx_ctx("%s: elements 0, 1, 2 name inner maps 0, 1, 2", hx_type_name(type));
	hx_expect(xdp_run(HX_K, (int)rd[1 * NKI + 2][0]), 22, "outer 1, inner 2: inner map 1's value 10 * 2 + 2");
	run_reads((const long (*)[2])rd, NKO, NKI);
	hx_ctx("%s: a program writes an inner map's element", hx_type_name(type));
	for (int w = 0; w < 2; w++)
		compare_runs(w ? "update past the inner map's end" : "update of inner map 1, key 2",
			     xdp_run(HX_K, (int)wr[w][0]), xdp_run(HX_E, (int)wr[w][1]));
	run_reads((const long (*)[2])rd, NKO, NKI);
	hx_ctx("%s: element 0 deleted, element 1 names inner map 0", hx_type_name(type));
	key = 0;
	hx_delete(&outer, &key);
	key = 1;
	update_fd(&outer, &key, inner[0].fd[0], inner[0].fd[1]);
	run_reads((const long (*)[2])rd, NKO, NKI);
	hx_ctx("%s: inner map 2's fds closed; element 2 holds it", hx_type_name(type));
	hx_close(&inner[2]);
	inner[2].fd[0] = inner[2].fd[1] = -1;
	run_reads((const long (*)[2])rd, NKO, NKI);
close:
	for (int i = 0; i < NKO * NKI; i++)
		for (int s = 0; s < 2; s++)
			if (rd[i][s] >= 0)
				close((int)rd[i][s]);
	for (int w = 0; w < 2; w++)
		for (int s = 0; s < 2; s++)
			if (wr[w][s] >= 0)
				close((int)wr[w][s]);
	hx_close(&outer);
out:
	for (int i = 0; i < NINNER; i++)
		if (inner[i].fd[0] >= 0)
			hx_close(&inner[i]);
}

/* ---- what the verifier says ---- */

/* the line the verifier logged last before its statistics: its error */
enum {
	V_UNCHECKED,      /* the lookup's result read before the null check */
	V_NULL_AS_MAP,    /* the maybe-NULL result passed as a map */
	V_VALUE_IN,       /* the inner map's value read at its last word */
	V_VALUE_PAST,     /* ... and past its end */
	V_KEY_SHORT,      /* the inner map's key from 2 initialized bytes */
	V_OUTER_UPDATE,   /* bpf_map_update_elem on the outer map */
	V_PTR_ADD,        /* arithmetic on the inner map pointer */
	V_PTR_STORE,      /* a store into the inner map pointer */
	V_BLOOM_LOOKUP,   /* bpf_map_lookup_elem on a bloom filter */
	V_NR
};

static const char *const v_name[V_NR] = {
	"result used unchecked", "maybe-NULL result as a map", "inner value's last word", "past the inner value",
	"inner key from 2 bytes", "update on the outer map", "inner map pointer += 8", "store into the inner map",
	"lookup on a bloom filter",
};

static uint32_t verdict_prog(struct emu_insn *p, int v, int outer, int bloom)
{
	uint32_t n = 0;

	p[n++] = ST_W(EMU_REG_FP, -4, 0);
	p[n++] = ST_W(EMU_REG_FP, -8, 0);
	ld_map(p + n, 1, v == V_BLOOM_LOOKUP ? bloom : outer);
	n += 2;
	p[n++] = MOV_X(2, EMU_REG_FP);
	p[n++] = ADD_K(2, -4);
	if (v == V_OUTER_UPDATE) {
		p[n++] = MOV_X(3, EMU_REG_FP);
		p[n++] = ADD_K(3, -8);
		p[n++] = MOV_K(4, 0);
		p[n++] = CALL(FN_UPDATE);
		p[n++] = EXIT();
		return n;
	}
	p[n++] = CALL(FN_LOOKUP);
	if (v == V_UNCHECKED) {
		p[n++] = LDX_W(0, 0, 0);
		p[n++] = EXIT();
		return n;
	}
	if (v == V_NULL_AS_MAP) {
		p[n++] = MOV_X(1, 0);
	} else {
		p[n++] = JNE_K(0, 0, 2);
		p[n++] = MOV_K(0, 0);
		p[n++] = EXIT();
		p[n++] = MOV_X(1, 0);
	}
	if (v == V_PTR_ADD)
		p[n++] = ADD_K(1, 8);
	if (v == V_PTR_STORE) {
		p[n++] = ST_W(1, 0, 1);
		p[n++] = MOV_K(0, 0);
		p[n++] = EXIT();
		return n;
	}
	p[n++] = MOV_X(2, EMU_REG_FP);
	p[n++] = ADD_K(2, v == V_KEY_SHORT ? -2 : -8);
	if (v == V_KEY_SHORT)
		p[n++] = I(EMU_ST | EMU_H | EMU_MEM, EMU_REG_FP, 0, -2, 0);
	p[n++] = CALL(FN_LOOKUP);
	p[n++] = JNE_K(0, 0, 2);
	p[n++] = MOV_K(0, 0);
	p[n++] = EXIT();
	p[n++] = LDX_W(0, 0, v == V_VALUE_PAST ? 8 : 4);
	p[n++] = EXIT();
	return n;
}

static void verdicts(uint32_t type)
{
	struct hx_pair in, outer, bloom;
	struct hx_op op;

	hx_ctx("%s: the verifier", hx_type_name(type));
	if (hx_create(&in, EMU_MAP_ARRAY, 4, 8, 4, 0) < 0)
		return;
	hx_create_op(&op, type, 4, 4, 4, 0);
	hx_op_fd2(&op, MC_INNER_FD, in.fd[0], in.fd[1]);
	if (hx_create_from(&outer, &op) < 0)
		goto in;
	if (hx_create(&bloom, EMU_MAP_BLOOM_FILTER, 0, 4, 16, 0) < 0)
		goto outer;
	for (int v = 0; v < V_NR; v++) {
		struct emu_insn p[2][40];
		char kerr[256], eerr[256];
		long r[2];

		for (int s = 0; s < 2; s++)
			r[s] = xdp_load(s, p[s], verdict_prog(p[s], v, outer.fd[s], bloom.fd[s]));
		hx_log_error_line(logs[HX_K], kerr, sizeof(kerr));
		hx_log_error_line(logs[HX_E], eerr, sizeof(eerr));
		hx_nops++;
		if ((r[0] < 0 ? r[0] : 0) != (r[1] < 0 ? r[1] : 0) || (r[0] < 0 && strcmp(kerr, eerr))) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s] %s: kernel %s '%s', emulator %s '%s'\n", hx_ndiv, hx_ctx_get(), v_name[v],
			       r[0] < 0 ? hx_errname((int)-r[0]) : "loads", r[0] < 0 ? kerr : "",
			       r[1] < 0 ? hx_errname((int)-r[1]) : "loads", r[1] < 0 ? eerr : "");
		} else if (!hx_quiet_ok) {
			printf("ok [%s] %s: %s '%s'\n", hx_ctx_get(), v_name[v], r[0] < 0 ? hx_errname((int)-r[0]) : "loads",
			       r[0] < 0 ? kerr : "");
		}
		for (int s = 0; s < 2; s++)
			if (r[s] >= 0)
				close((int)r[s]);
	}
	hx_close(&bloom);
outer:
	hx_close(&outer);
in:
	hx_close(&in);
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");

	hx_init("diff_fdprogs");
	tail_calls();
	of_maps_runs(EMU_MAP_ARRAY_OF_MAPS);
	of_maps_runs(EMU_MAP_HASH_OF_MAPS);
	verdicts(EMU_MAP_ARRAY_OF_MAPS);
	verdicts(EMU_MAP_HASH_OF_MAPS);
	return hx_finish_planted(expect_div);
}
