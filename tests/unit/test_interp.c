/* SPDX-License-Identifier: MIT */
/*
 * The BPF interpreter (emu/prog/interp.h) on hand-written programs: every instruction class and
 * its corners, calls and frames, tail calls, helpers and callbacks, and the run-time memory
 * checks. The "insn" cases are pure computations whose expected r0 is written here; with
 * BPFEMU_UNIT_KERNEL=1 they run on the kernel instead (as the subprogram of a SYSCALL program
 * that stores the full r0), proving every expectation is 6.18's. The other cases need the
 * interpreter's own API (helpers, regions, faults) and run only against it.
 *
 * Built twice: test_interp (threaded dispatch) and test_interp_switch (the portable switch).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/insn_build.h"
#include "prog/interp.h"
#include "prog/kprog.h"

static bool kernel_mode(void)
{
	const char *e = getenv("BPFEMU_UNIT_KERNEL");

	return e && !strcmp(e, "1");
}

/* ---- running a program ---- */

static uint8_t ctxbuf[256];
static struct emu_ctx_desc ctx_plain = { .size = sizeof(ctxbuf) };

/* Test helpers (ids as the kernel's where they stand for one). */
#define H_LOOKUP 1   /* r2 -> u32 key; 99: NULL; else a 16-byte value, registered */
#define H_CPU 8      /* bpf_get_smp_processor_id */
#define H_LOOP 181   /* bpf_loop(nr, cb, ctx, flags) */
#define H_SUM 1000   /* r1 + r2 + r3 + r4 + r5 */
#define H_ABORT 1001 /* emu_run_abort */
#define H_CHECK 1002 /* emu_run_check(r1, r2 bytes, read|write): 1 or 0 */

static uint8_t lookup_value[2][16];

static uint64_t h_lookup(struct emu_run *run, uint64_t map, uint64_t key, uint64_t a3, uint64_t a4, uint64_t a5)
{
	uint32_t k;

	(void)map, (void)a3, (void)a4, (void)a5;
	if (!emu_run_check(run, (void *)(uintptr_t)key, 4, EMU_MEM_READ)) {
		emu_run_abort(run, -EFAULT, "lookup: key not readable");
		return 0;
	}
	memcpy(&k, (void *)(uintptr_t)key, 4);
	if (k == 99)
		return 0;
	if (emu_run_add_region(run, lookup_value[k & 1], 16, EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_MAP_VALUE))
		return 0;
	return (uint64_t)(uintptr_t)lookup_value[k & 1];
}

static uint64_t h_cpu(struct emu_run *run, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return emu_run_cpu(run);
}

static uint64_t h_loop(struct emu_run *run, uint64_t nr, uint64_t cb, uint64_t ctx, uint64_t flags, uint64_t a5)
{
	uint64_t i, r0;

	(void)flags, (void)a5;
	for (i = 0; i < nr; i++) {
		if (emu_run_callback(run, cb, i, ctx, 0, 0, 0, &r0))
			return 0;
		if (r0)
			return i + 1;
	}
	return i;
}

static uint64_t h_sum(struct emu_run *run, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	(void)run;
	return a1 + a2 + a3 + a4 + a5;
}

static uint64_t h_abort(struct emu_run *run, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	emu_run_abort(run, -EPERM, "told to");
	return 0;
}

static uint64_t h_check(struct emu_run *run, uint64_t p, uint64_t n, uint64_t fl, uint64_t a4, uint64_t a5)
{
	(void)a4, (void)a5;
	return emu_run_check(run, (void *)(uintptr_t)p, n, (uint32_t)fl);
}

static const struct emu_func_proto protos[] = {
	{ .id = H_LOOKUP, .fn = h_lookup }, { .id = H_CPU, .fn = h_cpu },     { .id = H_LOOP, .fn = h_loop },
	{ .id = H_SUM, .fn = h_sum },       { .id = H_ABORT, .fn = h_abort }, { .id = H_CHECK, .fn = h_check },
};

static const struct emu_func_proto *lookup_helper(void *cb, int32_t id)
{
	(void)cb;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if ((int32_t)protos[i].id == id)
			return &protos[i];
	return NULL;
}

/* ld_imm64 src_reg 1 (a "map fd"): the value imm + 0x1000; src_reg 2: &global_data + imm. */
static uint8_t global_data[64];
static int resolve(void *cb, const struct emu_insn *in, uint32_t idx, uint64_t *v, char *err, size_t len)
{
	(void)cb, (void)idx;
	if (in->src_reg == EMU_PSEUDO_MAP_FD) {
		*v = 0x1000u + (uint32_t)in->imm;
		return 0;
	}
	if (in->src_reg == EMU_PSEUDO_MAP_VALUE) {
		*v = (uint64_t)(uintptr_t)global_data + (uint32_t)in[1].imm;
		return 0;
	}
	snprintf(err, len, "test resolver: src_reg %u", in->src_reg);
	return -EINVAL;
}

static const struct emu_xlate_opts xopts = { .ld_imm64 = resolve, .helper = lookup_helper };

static struct emu_prog_image *xlate(const struct emu_insn *p, uint32_t n)
{
	char err[256];
	struct emu_prog_image *img = emu_prog_translate(p, n, &xopts, err, sizeof(err));

	ck_assert_msg(img, "translation failed: %s", err);
	return img;
}

static void run_init(struct emu_run *run)
{
	memset(run, 0, sizeof(*run));
	memset(ctxbuf, 0, sizeof(ctxbuf));
	run->ctx = ctxbuf;
	run->ctx_desc = &ctx_plain;
	run->flags = EMU_RUN_MAY_GOTO_COUNT;
	run->cpu = 1;
}

/* Runs on the interpreter; the return code, r0 in *r0. */
static int emu_exec(const struct emu_insn *p, uint32_t n, struct emu_run *run, uint64_t *r0)
{
	struct emu_prog_image *img = xlate(p, n);
	int r = emu_prog_run(img, run, r0);

	emu_prog_image_free(img);
	return r;
}

/* A pure program: its r0, from the interpreter or (kernel mode) from the kernel. */
static uint64_t ut_run(const struct emu_insn *p, uint32_t n)
{
	uint64_t r0 = 0xdeadbeef;

	if (kernel_mode()) {
		static char log[1 << 16];
		struct emu_insn *w = calloc(n + KP_WRAP_EXTRA, sizeof(*w));
		uint64_t ctx[8] = { 0 };
		struct kp_run kr = { .ctx_in = ctx, .ctx_size = sizeof(ctx) };
		uint32_t wn = kp_wrap_r0(p, n, w);
		long fd = kp_load(EMU_PROG_SYSCALL, w, wn, EMU_F_SLEEPABLE, log, sizeof(log));

		free(w);
		ck_assert_msg(fd >= 0, "kernel refused the program (%ld): %s", fd, log);
		ck_assert_int_eq(kp_test_run((int)fd, &kr), 0);
		close((int)fd);
		return ctx[0];
	} else {
		struct emu_run run;
		int r;

		run_init(&run);
		r = emu_exec(p, n, &run, &r0);
		ck_assert_msg(r == 0, "run failed (%d): %s", r, run.fault.msg);
	}
	return r0;
}

#define RUN(...)                                                                                   \
	({                                                                                         \
		struct emu_insn _p[] = { __VA_ARGS__ };                                            \
		ut_run(_p, EI_COUNT(_p));                                                          \
	})
#define EXPECT(want, ...) ck_assert_uint_eq(RUN(__VA_ARGS__), (uint64_t)(want))

/* r0 = a OP b for 64-bit constants a, b (through registers) */
#define BIN64(op, a, b) EI_LD_IMM64(0, a), EI_LD_IMM64(1, b), EI_ALU64_REG(op, 0, 1), EI_EXIT()
#define BIN32(op, a, b) EI_LD_IMM64(0, a), EI_LD_IMM64(1, b), EI_ALU32_REG(op, 0, 1), EI_EXIT()

/* ---- ALU ---- */

START_TEST(alu64_basic)
{
	EXPECT(0x1111111111111110ull, BIN64(EMU_ADD, 0x0123456789abcdefull, 0x0fedcba987654321ull));
	EXPECT(0xfffffffffffffffeull, BIN64(EMU_SUB, 1, 3));
	EXPECT(0x2468acf121579bdeull * 1, BIN64(EMU_MUL, 0x1234567890abcdefull, 2));
	EXPECT(0xff00ff00ff00ffffull, BIN64(EMU_OR, 0xff00ff00ff00ff00ull, 0xff));
	EXPECT(0x0000ff00000000f0ull, BIN64(EMU_AND, 0x0000ff00ff0000f0ull, 0xffffff00000000ffull));
	EXPECT(0xf0f0f0f0f0f0f0f0ull ^ 0x0ff0ull, BIN64(EMU_XOR, 0xf0f0f0f0f0f0f0f0ull, 0x0ff0));
	EXPECT(5, EI_MOV64_IMM(0, 5), EI_EXIT());
	EXPECT(0xfffffffffffffffbull, EI_MOV64_IMM(0, -5), EI_EXIT()); /* imm sign-extends */
	EXPECT(0xfffffffffffffffeull, EI_MOV64_IMM(0, 1), EI_ALU64_IMM(EMU_ADD, 0, -3), EI_EXIT());
	EXPECT(0xfffffffffffffffeull, EI_MOV64_IMM(0, 2), EI_NEG64(0), EI_EXIT());
}
END_TEST

START_TEST(alu32_zero_extends)
{
	EXPECT(0x00000000ffffffffull, BIN32(EMU_ADD, 0xaaaaaaaa7fffffffull, 0xbbbbbbbb80000000ull));
	EXPECT(0x0000000000000001ull, BIN32(EMU_ADD, 0xffffffffffffffffull, 2));
	EXPECT(0x00000000fffffffeull, BIN32(EMU_SUB, 0x1111111100000001ull, 3));
	EXPECT(0x0000000000000000ull, BIN32(EMU_MUL, 0x0000000080000000ull, 2));
	EXPECT(0x00000000ffffffffull, EI_MOV32_IMM(0, -1), EI_EXIT());
	EXPECT(0x0000000012345678ull, EI_LD_IMM64(1, 0xabcdef0012345678ull), EI_MOV32_REG(0, 1), EI_EXIT());
	EXPECT(0x00000000fffffffeull, EI_LD_IMM64(0, 0x1234567800000002ull), EI_NEG32(0), EI_EXIT());
	EXPECT(0x00000000ffff0000ull, EI_LD_IMM64(0, 0xffffffffffff0000ull), EI_ALU32_IMM(EMU_AND, 0, -1), EI_EXIT());
}
END_TEST

START_TEST(shifts_mask_their_amount)
{
	EXPECT(0x0000000000000002ull, BIN64(EMU_LSH, 0x8000000000000001ull, 65));
	EXPECT(0x4000000000000000ull, BIN64(EMU_RSH, 0x8000000000000001ull, 65));
	EXPECT(0xc000000000000000ull, BIN64(EMU_ARSH, 0x8000000000000001ull, 65));
	EXPECT(0x0000000000000002ull, BIN32(EMU_LSH, 0x8000000080000001ull, 33));
	EXPECT(0x0000000040000000ull, BIN32(EMU_RSH, 0x8000000080000001ull, 33));
	EXPECT(0x00000000c0000000ull, BIN32(EMU_ARSH, 0x8000000080000001ull, 33));
	EXPECT(0xffffffffffffffffull, EI_LD_IMM64(0, 0x8000000000000000ull), EI_ALU64_IMM(EMU_ARSH, 0, 63), EI_EXIT());
	EXPECT(0x00000000ffffffffull, EI_MOV32_IMM(0, (int32_t)0x80000000), EI_ALU32_IMM(EMU_ARSH, 0, 31), EI_EXIT());
	EXPECT(0x8000000000000000ull, EI_MOV64_IMM(0, 1), EI_ALU64_IMM(EMU_LSH, 0, 63), EI_EXIT());
}
END_TEST

START_TEST(division_corners)
{
	/* unsigned; by zero: div 0, mod keeps dst (32-bit: its low half, zero-extended) */
	EXPECT(3, BIN64(EMU_DIV, 10, 3));
	EXPECT(1, BIN64(EMU_MOD, 10, 3));
	EXPECT(0, BIN64(EMU_DIV, 0xffffffff12345678ull, 0));
	EXPECT(0xffffffff12345678ull, BIN64(EMU_MOD, 0xffffffff12345678ull, 0));
	EXPECT(0, BIN32(EMU_DIV, 0xffffffff12345678ull, 0));
	EXPECT(0x12345678ull, BIN32(EMU_MOD, 0xffffffff12345678ull, 0));
	EXPECT(0, BIN32(EMU_DIV, 5, 0xffffffff00000000ull)); /* 32-bit divisor is 0 */
	EXPECT(0x7fffffffull, BIN32(EMU_DIV, 0xfffffffffffffffeull, 2));
	/* K operands sign-extend for 64-bit: / 0xffffffffffffffff */
	EXPECT(0, EI_LD_IMM64(0, 0xffffffff80000000ull), EI_ALU64_IMM(EMU_DIV, 0, -1), EI_EXIT());
	EXPECT(1, EI_LD_IMM64(0, 0xffffffffffffffffull), EI_ALU64_IMM(EMU_DIV, 0, -1), EI_EXIT());
	EXPECT(1, EI_LD_IMM64(0, 0xffffffffffffffffull), EI_ALU32_IMM(EMU_DIV, 0, -1), EI_EXIT());
}
END_TEST

#define SBIN64(op, a, b) EI_LD_IMM64(0, a), EI_LD_IMM64(1, b), EI_RAW(EMU_ALU64 | (op) | EMU_X, 0, 1, 1, 0), EI_EXIT()
#define SBIN32(op, a, b) EI_LD_IMM64(0, a), EI_LD_IMM64(1, b), EI_RAW(EMU_ALU | (op) | EMU_X, 0, 1, 1, 0), EI_EXIT()
#define SK64(op, a, k) EI_LD_IMM64(0, a), EI_RAW(EMU_ALU64 | (op) | EMU_K, 0, 0, 1, k), EI_EXIT()
#define SK32(op, a, k) EI_LD_IMM64(0, a), EI_RAW(EMU_ALU | (op) | EMU_K, 0, 0, 1, k), EI_EXIT()

START_TEST(signed_division_corners)
{
	EXPECT((uint64_t)-3, SBIN64(EMU_DIV, (uint64_t)-7, 2));
	EXPECT((uint64_t)-1, SBIN64(EMU_MOD, (uint64_t)-7, 2)); /* sign of the dividend */
	EXPECT(1, SBIN64(EMU_MOD, 7, (uint64_t)-2));
	EXPECT((uint64_t)-3, SBIN64(EMU_DIV, 7, (uint64_t)-2));
	EXPECT(0x8000000000000000ull, SBIN64(EMU_DIV, 0x8000000000000000ull, (uint64_t)-1));
	EXPECT(0, SBIN64(EMU_MOD, 0x8000000000000000ull, (uint64_t)-1));
	EXPECT(0, SBIN64(EMU_DIV, 1234, 0));
	EXPECT(1234, SBIN64(EMU_MOD, 1234, 0));
	EXPECT((uint64_t)-1234, SBIN64(EMU_MOD, (uint64_t)-1234, 0));
	EXPECT(0x80000000ull, SBIN32(EMU_DIV, 0xffffffff80000000ull, (uint64_t)-1));
	EXPECT(0, SBIN32(EMU_MOD, 0xffffffff80000000ull, (uint64_t)-1));
	EXPECT(0x92345678ull, SBIN32(EMU_MOD, 0xffffffff92345678ull, 0));
	EXPECT(0, SBIN32(EMU_DIV, 0xffffffff92345678ull, 0x100000000ull));
	EXPECT(0xfffffffdull, SBIN32(EMU_DIV, 0x00000000fffffff9ull, 2)); /* -7 / 2 = -3 */
	EXPECT(0xffffffffull, SBIN32(EMU_MOD, 0x00000000fffffff9ull, 2)); /* -7 % 2 = -1 */
	EXPECT(0x8000000000000000ull, SK64(EMU_DIV, 0x8000000000000000ull, -1));
	EXPECT(0, SK64(EMU_MOD, 0x8000000000000000ull, -1));
	EXPECT(0x80000000ull, SK32(EMU_DIV, 0xffffffff80000000ull, -1));
	EXPECT(0, SK32(EMU_MOD, 0xffffffff80000000ull, -1));
	EXPECT((uint64_t)-2, SK64(EMU_DIV, 7, -3));
	EXPECT(1, SK64(EMU_MOD, 7, -3));
	EXPECT(0xfffffffeull, SK32(EMU_DIV, 7, -3));
}
END_TEST

START_TEST(movsx_and_byte_order)
{
	EXPECT(0xffffffffffffff80ull, EI_MOV64_IMM(1, 0x1280), EI_MOVSX64(0, 1, 8), EI_EXIT());
	EXPECT(0xffffffffffff8001ull, EI_MOV64_IMM(1, 0x18001), EI_MOVSX64(0, 1, 16), EI_EXIT());
	EXPECT(0xffffffff80000000ull, EI_LD_IMM64(1, 0x1280000000ull), EI_MOVSX64(0, 1, 32), EI_EXIT());
	EXPECT(0x000000000000007full, EI_MOV64_IMM(1, 0x7f), EI_MOVSX64(0, 1, 8), EI_EXIT());
	EXPECT(0x00000000ffffff80ull, EI_MOV64_IMM(1, 0x1280), EI_MOVSX32(0, 1, 8), EI_EXIT());
	EXPECT(0x00000000ffff8001ull, EI_LD_IMM64(1, 0xffffffff00008001ull), EI_MOVSX32(0, 1, 16), EI_EXIT());
	EXPECT(0x3412ull, EI_LD_IMM64(0, 0x1122334455661234ull), EI_ENDIAN(EMU_TO_BE, 0, 16), EI_EXIT());
	EXPECT(0x78563412ull, EI_LD_IMM64(0, 0x1122334412345678ull), EI_ENDIAN(EMU_TO_BE, 0, 32), EI_EXIT());
	EXPECT(0x8877665544332211ull, EI_LD_IMM64(0, 0x1122334455667788ull), EI_ENDIAN(EMU_TO_BE, 0, 64), EI_EXIT());
	EXPECT(0x1234ull, EI_LD_IMM64(0, 0x1122334455661234ull), EI_ENDIAN(EMU_TO_LE, 0, 16), EI_EXIT());
	EXPECT(0x12345678ull, EI_LD_IMM64(0, 0x1122334412345678ull), EI_ENDIAN(EMU_TO_LE, 0, 32), EI_EXIT());
	EXPECT(0x1122334455667788ull, EI_LD_IMM64(0, 0x1122334455667788ull), EI_ENDIAN(EMU_TO_LE, 0, 64), EI_EXIT());
	EXPECT(0x3412ull, EI_LD_IMM64(0, 0x1122334455661234ull), EI_BSWAP(0, 16), EI_EXIT());
	EXPECT(0x78563412ull, EI_LD_IMM64(0, 0x1122334412345678ull), EI_BSWAP(0, 32), EI_EXIT());
	EXPECT(0x8877665544332211ull, EI_LD_IMM64(0, 0x1122334455667788ull), EI_BSWAP(0, 64), EI_EXIT());
}
END_TEST

/* ---- jumps ---- */

/* r0 = 1 if (a OP b) else 0, for each class/operand form */
static uint64_t cond(uint8_t cls, uint8_t op, uint64_t a, uint64_t b, bool k)
{
	struct emu_insn p[] = {
		EI_MOV64_IMM(0, 1),
		EI_LD_IMM64(1, a),
		EI_LD_IMM64(2, b),
		k ? EI_RAW(cls | op | EMU_K, 1, 0, 1, (int32_t)b) : EI_RAW(cls | op | EMU_X, 1, 2, 1, 0),
		EI_MOV64_IMM(0, 0),
		EI_EXIT(),
	};

	return ut_run(p, EI_COUNT(p));
}

START_TEST(conditions)
{
	static const struct {
		uint8_t op;
		uint64_t a, b;
		int want64, want32;
	} t[] = {
		/* upper halves differ from lower halves so JMP32 and JMP disagree */
		{ EMU_JEQ, 0x100000005ull, 0x5ull, 0, 1 },
		{ EMU_JNE, 0x100000005ull, 0x5ull, 1, 0 },
		{ EMU_JGT, 0x100000001ull, 0x2ull, 1, 0 },
		{ EMU_JGE, 0x100000002ull, 0x2ull, 1, 1 },
		{ EMU_JLT, 0x1ull, 0x100000000ull, 1, 0 },
		{ EMU_JLE, 0x2ull, 0x100000001ull, 1, 0 },
		{ EMU_JSET, 0x100000000ull, 0x100000001ull, 1, 0 },
		{ EMU_JSGT, 0x80000000ull, 0x7fffffffull, 1, 0 },
		{ EMU_JSGE, 0xffffffffffffffffull, 0xffffffffull, 0, 1 },
		{ EMU_JSLT, 0xffffffffffffffffull, 0x0ull, 1, 1 },
		{ EMU_JSLE, 0x7fffffff00000000ull, 0x1ull, 0, 1 },
		{ EMU_JSGT, 0x1ull, 0xffffffffffffffffull, 1, 1 },
		{ EMU_JGT, 0x1ull, 0xffffffffffffffffull, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(cond(EMU_JMP, t[i].op, t[i].a, t[i].b, false) == (uint64_t)t[i].want64, "JMP %02x %zu", t[i].op, i);
		ck_assert_msg(cond(EMU_JMP32, t[i].op, t[i].a, t[i].b, false) == (uint64_t)t[i].want32, "JMP32 %02x %zu", t[i].op, i);
	}
	/* K: sign-extended 64-bit, 32-bit as is */
	ck_assert_uint_eq(cond(EMU_JMP, EMU_JEQ, 0xffffffffffffffffull, 0xffffffffull, true), 1);
	ck_assert_uint_eq(cond(EMU_JMP32, EMU_JEQ, 0x12345678ffffffffull, 0xffffffffull, true), 1);
	ck_assert_uint_eq(cond(EMU_JMP, EMU_JGT, 0xfffffffffffffffeull, 0xffffffffull, true), 0);
	ck_assert_uint_eq(cond(EMU_JMP, EMU_JSLT, 0xfffffffffffffffeull, 0xffffffffull, true), 1);
	ck_assert_uint_eq(cond(EMU_JMP32, EMU_JSLT, 0x00000000fffffffeull, 0xffffffffull, true), 1);
	ck_assert_uint_eq(cond(EMU_JMP, EMU_JSET, 0x8000000000000000ull, 0x80000000ull, true), 1);
}
END_TEST

START_TEST(jumps_and_loops)
{
	/* gotol forward over a trap */
	EXPECT(7, EI_MOV64_IMM(0, 7), EI_MOV64_IMM(1, 1), EI_JMP_IMM(EMU_JEQ, 1, 0, 1), EI_GOTOL(1), EI_MOV64_IMM(0, 9),
	       EI_EXIT());
	/* sum 1..10 with a backward conditional jump */
	EXPECT(55, EI_MOV64_IMM(0, 0), EI_MOV64_IMM(1, 10), EI_ALU64_REG(EMU_ADD, 0, 1), EI_ALU64_IMM(EMU_SUB, 1, 1),
	       EI_JMP_IMM(EMU_JNE, 1, 0, -3), EI_EXIT());
	/* JMP32 loop, backward ja */
	EXPECT(6, EI_MOV64_IMM(0, 0), EI_MOV32_IMM(1, 3), EI_JMP32_IMM(EMU_JEQ, 1, 0, 3), EI_ALU64_IMM(EMU_ADD, 0, 2),
	       EI_ALU32_IMM(EMU_SUB, 1, 1), EI_JA(-4), EI_EXIT());
}
END_TEST

/* ---- memory ---- */

START_TEST(stack_loads_and_stores)
{
	/* every size, at constant offsets from r10 and through another register */
	EXPECT(0x1122334455667788ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_EXIT());
	EXPECT(0x88ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_LDX_MEM(EMU_B, 0, 10, -8),
	       EI_EXIT());
	EXPECT(0x7788ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_LDX_MEM(EMU_H, 0, 10, -8),
	       EI_EXIT());
	EXPECT(0x11223344ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEM(EMU_W, 0, 10, -4), EI_EXIT());
	EXPECT(0xffffffffffffff88ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEMSX(EMU_B, 0, 10, -8), EI_EXIT());
	EXPECT(0x7788ull, EI_LD_IMM64(1, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEMSX(EMU_H, 0, 10, -8), EI_EXIT());
	EXPECT(0xffffffff88776655ull, EI_LD_IMM64(1, 0x8877665544332211ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEMSX(EMU_W, 0, 10, -4), EI_EXIT());
	EXPECT(0x44332211ull, EI_LD_IMM64(1, 0x8877665544332211ull), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LDX_MEMSX(EMU_W, 0, 10, -8), EI_EXIT());
	/* ST: imm sign-extended into a DW slot, truncated into narrower ones */
	EXPECT(0xfffffffffffffffeull, EI_ST_MEM(EMU_DW, 10, -16, -2), EI_LDX_MEM(EMU_DW, 0, 10, -16), EI_EXIT());
	EXPECT(0x0000000000003456ull, EI_ST_MEM(EMU_DW, 10, -16, 0), EI_ST_MEM(EMU_H, 10, -16, 0x123456),
	       EI_LDX_MEM(EMU_DW, 0, 10, -16), EI_EXIT());
	/* through a pointer */
	EXPECT(0xabcdull, EI_MOV64_REG(2, 10), EI_ALU64_IMM(EMU_ADD, 2, -24), EI_ST_MEM(EMU_DW, 2, 0, 0),
	       EI_ST_MEM(EMU_H, 2, 2, 0xabcd), EI_LDX_MEM(EMU_H, 0, 10, -22), EI_EXIT());
}
END_TEST

#define AT_PROG(size, op, init, val)                                                               \
	EI_LD_IMM64(1, init), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_LD_IMM64(2, val),                  \
		EI_ATOMIC(size, op, 10, 2, -8), EI_LDX_MEM(EMU_DW, 0, 10, -8)

START_TEST(atomics)
{
	const uint64_t a = 0xf0f0f0f0ff00ff00ull, b = 0x0ff00ff00ff0ffffull;

	/* memory after, without fetch */
	EXPECT(a + b, AT_PROG(EMU_DW, EMU_ADD, a, b), EI_EXIT());
	EXPECT(a | b, AT_PROG(EMU_DW, EMU_OR, a, b), EI_EXIT());
	EXPECT(a & b, AT_PROG(EMU_DW, EMU_AND, a, b), EI_EXIT());
	EXPECT(a ^ b, AT_PROG(EMU_DW, EMU_XOR, a, b), EI_EXIT());
	EXPECT((a & 0xffffffff00000000ull) | (uint32_t)(a + b), AT_PROG(EMU_W, EMU_ADD, a, b), EI_EXIT());
	/* fetch: the old value in the source register (32-bit zero-extended) */
	EXPECT(a, AT_PROG(EMU_DW, EMU_ADD | EMU_FETCH, a, b), EI_MOV64_REG(0, 2), EI_EXIT());
	EXPECT(a, AT_PROG(EMU_DW, EMU_AND | EMU_FETCH, a, b), EI_MOV64_REG(0, 2), EI_EXIT());
	EXPECT((uint32_t)a, AT_PROG(EMU_W, EMU_OR | EMU_FETCH, a, b), EI_MOV64_REG(0, 2), EI_EXIT());
	EXPECT((uint32_t)a, AT_PROG(EMU_W, EMU_XOR | EMU_FETCH, a, b), EI_MOV64_REG(0, 2), EI_EXIT());
	EXPECT((a & 0xffffffff00000000ull) | ((uint32_t)a ^ (uint32_t)b), AT_PROG(EMU_W, EMU_XOR | EMU_FETCH, a, b),
	       EI_EXIT());
	EXPECT(a, AT_PROG(EMU_DW, EMU_XCHG, a, b), EI_MOV64_REG(0, 2), EI_EXIT());
	EXPECT(b, AT_PROG(EMU_DW, EMU_XCHG, a, b), EI_EXIT());
	EXPECT((a & 0xffffffff00000000ull) | (uint32_t)b, AT_PROG(EMU_W, EMU_XCHG, a, b), EI_EXIT());
	/* cmpxchg: r0 gets the old value; memory changes only when r0 matched */
	EXPECT(b, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_LD_IMM64(0, a), EI_LD_IMM64(2, b),
	       EI_ATOMIC(EMU_DW, EMU_CMPXCHG, 10, 2, -8), EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_EXIT());
	EXPECT(a, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_MOV64_IMM(0, 3), EI_LD_IMM64(2, b),
	       EI_ATOMIC(EMU_DW, EMU_CMPXCHG, 10, 2, -8), EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_EXIT());
	EXPECT(a, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_MOV64_IMM(0, 3), EI_LD_IMM64(2, b),
	       EI_ATOMIC(EMU_DW, EMU_CMPXCHG, 10, 2, -8), EI_EXIT());
	EXPECT((uint32_t)a, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_LD_IMM64(0, 0x77777777ull << 32 | (uint32_t)a),
	       EI_LD_IMM64(2, b), EI_ATOMIC(EMU_W, EMU_CMPXCHG, 10, 2, -8), EI_EXIT());
	EXPECT((a & 0xffffffff00000000ull) | (uint32_t)b, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_LD_IMM64(0, 0x77777777ull << 32 | (uint32_t)a), EI_LD_IMM64(2, b), EI_ATOMIC(EMU_W, EMU_CMPXCHG, 10, 2, -8),
	       EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_EXIT());
	/* load-acquire / store-release, every size */
	EXPECT(0xff00ull, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_ATOMIC(EMU_H, EMU_LOAD_ACQ, 0, 10, -8), EI_EXIT());
	EXPECT(a, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_ATOMIC(EMU_DW, EMU_LOAD_ACQ, 0, 10, -8), EI_EXIT());
	EXPECT(0xf0ull, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_ATOMIC(EMU_B, EMU_LOAD_ACQ, 0, 10, -1), EI_EXIT());
	EXPECT((a & ~0xffffffffull) | 0x12345678ull, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8),
	       EI_MOV64_IMM(2, 0x12345678), EI_ATOMIC(EMU_W, EMU_STORE_REL, 10, 2, -8), EI_LDX_MEM(EMU_DW, 0, 10, -8),
	       EI_EXIT());
	EXPECT((a & ~0xffull) | 0x78ull, EI_LD_IMM64(1, a), EI_STX_MEM(EMU_DW, 10, 1, -8), EI_MOV64_IMM(2, 0x12345678),
	       EI_ATOMIC(EMU_B, EMU_STORE_REL, 10, 2, -8), EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_EXIT());
}
END_TEST

START_TEST(ld_imm64_constants)
{
	EXPECT(0x8000000000000001ull, EI_LD_IMM64(0, 0x8000000000000001ull), EI_EXIT());
	EXPECT(0x00000000ffffffffull, EI_LD_IMM64(0, 0x00000000ffffffffull), EI_EXIT()); /* no sign extension */
}
END_TEST

/* ---- calls ---- */

START_TEST(subprogram_frames)
{
	/* r6-r9 survive a call that clobbers them; the callee's stack is its own */
	EXPECT(6 + 7 + 8 + 9 + 100,
	       EI_MOV64_IMM(6, 6), EI_MOV64_IMM(7, 7), EI_MOV64_IMM(8, 8), EI_MOV64_IMM(9, 9),
	       EI_ST_MEM(EMU_DW, 10, -8, 100),
	       EI_CALL_REL(6),
	       EI_LDX_MEM(EMU_DW, 0, 10, -8), EI_ALU64_REG(EMU_ADD, 0, 6), EI_ALU64_REG(EMU_ADD, 0, 7),
	       EI_ALU64_REG(EMU_ADD, 0, 8), EI_ALU64_REG(EMU_ADD, 0, 9), EI_EXIT(),
	       /* callee */
	       EI_MOV64_IMM(6, 60), EI_MOV64_IMM(7, 70), EI_MOV64_IMM(8, 80), EI_MOV64_IMM(9, 90),
	       EI_ST_MEM(EMU_DW, 10, -8, 5555), EI_MOV64_IMM(0, 0), EI_EXIT());
	/* arguments in r1-r5, result in r0; the callee writes into the caller's frame */
	EXPECT(1 + 2 + 3 + 4 + 5 + 42,
	       EI_MOV64_IMM(1, 1), EI_MOV64_IMM(2, 2), EI_MOV64_IMM(3, 3), EI_MOV64_IMM(4, 4),
	       EI_ST_MEM(EMU_DW, 10, -8, 0), EI_MOV64_REG(5, 10), EI_ALU64_IMM(EMU_ADD, 5, -8),
	       EI_CALL_REL(3), EI_LDX_MEM(EMU_DW, 1, 10, -8), EI_ALU64_REG(EMU_ADD, 0, 1), EI_EXIT(),
	       /* callee: *(r5) = 42; r0 = r1 + r2 + r3 + r4 + 5 */
	       EI_ST_MEM(EMU_DW, 5, 0, 42), EI_MOV64_REG(0, 1), EI_ALU64_REG(EMU_ADD, 0, 2),
	       EI_ALU64_REG(EMU_ADD, 0, 3), EI_ALU64_REG(EMU_ADD, 0, 4), EI_ALU64_IMM(EMU_ADD, 0, 5), EI_EXIT());
	/* six nested calls: seven frames, eight with the kernel-mode wrapper (the limit) */
	EXPECT(6, EI_MOV64_IMM(0, 0), EI_CALL_REL(1), EI_EXIT(),
	       EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
	       EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
	       EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
	       EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
	       EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
	       EI_MOV64_IMM(0, 1), EI_EXIT());
}
END_TEST

/* ---- emulator-only: helpers, regions, packets, faults ---- */

static int exec_expect(const struct emu_insn *p, uint32_t n, struct emu_run *run, uint64_t *r0)
{
	return emu_exec(p, n, run, r0);
}

#define EXEC(run, r0, ...)                                                                         \
	({                                                                                         \
		struct emu_insn _p[] = { __VA_ARGS__ };                                            \
		exec_expect(_p, EI_COUNT(_p), run, r0);                                            \
	})

START_TEST(helpers_and_regions)
{
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(1, 1), EI_MOV64_IMM(2, 2), EI_MOV64_IMM(3, 3), EI_MOV64_IMM(4, 4),
			      EI_MOV64_IMM(5, 5), EI_CALL_HELPER(H_SUM), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 15);
	run_init(&run);
	run.cpu = 7;
	ck_assert_int_eq(EXEC(&run, &r0, EI_CALL_HELPER(H_CPU), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 7);
	/* a looked-up value becomes accessible: write and read it back */
	memset(lookup_value, 0, sizeof(lookup_value));
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_W, 10, -4, 1), EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, 5),
			      EI_MOV64_REG(2, 10), EI_ALU64_IMM(EMU_ADD, 2, -4), EI_CALL_HELPER(H_LOOKUP),
			      EI_JMP_IMM(EMU_JEQ, 0, 0, 3), EI_ST_MEM(EMU_DW, 0, 8, 0x4242), EI_LDX_MEM(EMU_DW, 0, 0, 8),
			      EI_EXIT(), EI_MOV64_IMM(0, -1), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x4242);
	ck_assert_uint_eq(lookup_value[1][8], 0x42);
	/* ... but not one byte past it */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_W, 10, -4, 1), EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, 5),
			      EI_MOV64_REG(2, 10), EI_ALU64_IMM(EMU_ADD, 2, -4), EI_CALL_HELPER(H_LOOKUP),
			      EI_JMP_IMM(EMU_JEQ, 0, 0, 2), EI_LDX_MEM(EMU_DW, 0, 0, 9), EI_EXIT(), EI_EXIT()),
			 -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "map value"), "%s", run.fault.msg);
	ck_assert_uint_eq(run.fault.insn, 7);
	ck_assert_uint_eq(run.fault.addr, (uintptr_t)lookup_value[1] + 9);
	ck_assert_uint_eq(run.fault.size, 8);
	/* the helper's own check of its argument: an out-of-frame key aborts through the helper */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, 5), EI_MOV64_REG(2, 10),
			      EI_CALL_HELPER(H_LOOKUP), EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "key not readable"), "%s", run.fault.msg);
	/* emu_run_check: stack in the live frame yes, past r10 no */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_REG(1, 10), EI_ALU64_IMM(EMU_ADD, 1, -512), EI_MOV64_IMM(2, 512),
			      EI_MOV64_IMM(3, EMU_MEM_READ | EMU_MEM_WRITE), EI_CALL_HELPER(H_CHECK), EI_MOV64_REG(6, 0),
			      EI_MOV64_REG(1, 10), EI_ALU64_IMM(EMU_ADD, 1, -511), EI_MOV64_IMM(2, 512),
			      EI_MOV64_IMM(3, EMU_MEM_READ), EI_CALL_HELPER(H_CHECK), EI_ALU64_IMM(EMU_LSH, 0, 1),
			      EI_ALU64_REG(EMU_OR, 0, 6), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 1);
	/* a helper that aborts the run */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_CALL_HELPER(H_ABORT), EI_MOV64_IMM(0, 0), EI_EXIT()), -EPERM);
	ck_assert_msg(strstr(run.fault.msg, "told to"), "%s", run.fault.msg);
	ck_assert_uint_eq(run.fault.insn, 0);
}
END_TEST

START_TEST(global_data_and_readonly_regions)
{
	struct emu_run run;
	struct emu_region rg[2];
	uint64_t r0;

	memset(global_data, 0, sizeof(global_data));
	run_init(&run);
	rg[0] = (struct emu_region){ (uintptr_t)global_data, (uintptr_t)global_data + 32, EMU_MEM_READ | EMU_MEM_WRITE,
				     EMU_RGN_GLOBAL };
	rg[1] = (struct emu_region){ (uintptr_t)global_data + 32, (uintptr_t)global_data + 64, EMU_MEM_READ,
				     EMU_RGN_GLOBAL };
	run.regions = rg;
	run.nr_regions = 2;
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_ST_MEM(EMU_DW, 1, 24, 77),
			      EI_LDX_MEM(EMU_DW, 0, 1, 24), EI_LDX_MEM(EMU_DW, 2, 1, 32), EI_ALU64_REG(EMU_ADD, 0, 2),
			      EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 77);
	/* the read-only half refuses a store, and a store straddling both */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_ST_MEM(EMU_DW, 1, 40, 77),
			      EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "not writable"), "%s", run.fault.msg);
	ck_assert(run.fault.write);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_ST_MEM(EMU_DW, 1, 28, 77),
			      EI_EXIT()), -EFAULT);
	/* atomics need read-write */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_MOV64_IMM(2, 1),
			      EI_ATOMIC(EMU_DW, EMU_ADD, 1, 2, 40), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_MOV64_IMM(2, 1),
			      EI_ATOMIC(EMU_DW, EMU_ADD, 1, 2, 8), EI_LDX_MEM(EMU_DW, 0, 1, 8), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 1);
	/* misaligned atomic */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_VALUE, 0), EI_MOV64_IMM(2, 1),
			      EI_ATOMIC(EMU_W, EMU_ADD, 1, 2, 2), EI_EXIT()), -EINVAL);
	ck_assert_msg(strstr(run.fault.msg, "misaligned"), "%s", run.fault.msg);
}
END_TEST

/* One run of img over `rg` (n regions) with the context's first 8 bytes pointing at p. */
static int hint_run(const struct emu_prog_image *img, const struct emu_region *rg, uint32_t n, void *p,
		    struct emu_run *run, uint64_t *r0)
{
	uintptr_t v = (uintptr_t)p;

	run_init(run);
	memcpy(ctxbuf, &v, sizeof(v));
	run->regions = rg;
	run->nr_regions = n;
	return emu_prog_run(img, run, r0);
}

/* The region hints of memory sites (mem_fast.h: emu_hint_hit) are kept in the image from run to
 * run as indexes into the run's region list: a hint naming a region the next run does not have
 * (the list is shorter, another region is at that index, the same memory is there without the
 * permission) must never admit an access. Each image below has one checked site, which leaves
 * its hint at index 1 after the first run. */
START_TEST(region_hints_stay_exact)
{
	static struct {
		uint64_t A[8], gap1[8], B[8], gap2[8], C[8];
	} m; /* gaps: memory next to B in no region */
	uint64_t *A = m.A, *B = m.B, *C = m.C;
	const struct emu_region a = { (uintptr_t)A, (uintptr_t)(A + 8), EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_OTHER };
	const struct emu_region b = { (uintptr_t)B, (uintptr_t)(B + 8), EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_OTHER };
	const struct emu_region b_ro = { (uintptr_t)B, (uintptr_t)(B + 8), EMU_MEM_READ, EMU_RGN_OTHER };
	const struct emu_region b_wo = { (uintptr_t)B, (uintptr_t)(B + 8), EMU_MEM_WRITE, EMU_RGN_OTHER };
	const struct emu_region c = { (uintptr_t)C, (uintptr_t)(C + 8), EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_OTHER };
	const struct emu_region ab[2] = { a, b }, ac[2] = { a, c }, ab_ro[2] = { a, b_ro }, ab_wo[2] = { a, b_wo };
	const struct emu_region ba[2] = { b, a };
	const struct emu_region x = { (uintptr_t)ctxbuf, (uintptr_t)ctxbuf + sizeof(ctxbuf), EMU_MEM_READ | EMU_MEM_WRITE,
				      EMU_RGN_OTHER };
	const struct emu_region ax[2] = { a, x };
	/* r2 = the pointer in the context; one access through it at +8; r0 = 1 */
	const struct emu_insn load[] = { EI_LDX_MEM(EMU_DW, 2, 1, 0), EI_LDX_MEM(EMU_DW, 0, 2, 8), EI_EXIT() };
	const struct emu_insn loadsx[] = { EI_LDX_MEM(EMU_DW, 2, 1, 0), EI_LDX_MEMSX(EMU_W, 0, 2, 8), EI_EXIT() };
	const struct emu_insn store[] = { EI_LDX_MEM(EMU_DW, 2, 1, 0), EI_MOV64_IMM(3, 7), EI_STX_MEM(EMU_DW, 2, 3, 8),
					  EI_MOV64_IMM(0, 1), EI_EXIT() };
	const struct emu_insn atomic[] = { EI_LDX_MEM(EMU_DW, 2, 1, 0), EI_MOV64_IMM(3, 1),
					   EI_ATOMIC(EMU_DW, EMU_ADD, 2, 3, 8), EI_MOV64_IMM(0, 1), EI_EXIT() };
	struct {
		const struct emu_insn *p;
		uint32_t n;
		bool reads, writes;
	} sites[] = { { load, EI_COUNT(load), true, false }, { loadsx, EI_COUNT(loadsx), true, false },
		      { store, EI_COUNT(store), false, true }, { atomic, EI_COUNT(atomic), true, true } };
	struct emu_run run;
	uint64_t r0;

	for (size_t k = 0; k < sizeof(sites) / sizeof(sites[0]); k++) {
		struct emu_prog_image *img = xlate(sites[k].p, sites[k].n);
		uint32_t at = sites[k].n - 2 - (sites[k].p == load || sites[k].p == loadsx ? 0 : 1);

		memset(&m, 0, sizeof(m));
		/* B at index 1: the site's hint becomes 1, and serves the next runs */
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(hint_run(img, ab, 2, B, &run, &r0), 0);
		/* the list is shorter: index 1 is past its end */
		ck_assert_int_eq(hint_run(img, ab, 1, B, &run, &r0), -EFAULT);
		ck_assert_msg(strstr(run.fault.msg, "outside every region"), "%zu: %s", k, run.fault.msg);
		ck_assert_uint_eq(run.fault.insn, at);
		ck_assert_uint_eq(run.fault.addr, (uintptr_t)B + 8);
		/* another region at index 1 */
		ck_assert_int_eq(hint_run(img, ac, 2, B, &run, &r0), -EFAULT);
		ck_assert_uint_eq(run.fault.insn, at);
		/* the same memory at index 1 without the permission the site needs */
		ck_assert_int_eq(hint_run(img, ab_ro, 2, B, &run, &r0), sites[k].writes ? -EFAULT : 0);
		ck_assert_int_eq(hint_run(img, ab_wo, 2, B, &run, &r0), sites[k].reads ? -EFAULT : 0);
		if (sites[k].reads && sites[k].writes)
			ck_assert_msg(strstr(run.fault.msg, "not readable and writable"), "%s", run.fault.msg);
		/* the region moved to index 0: found by the walk, then by the hint again */
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(hint_run(img, ba, 2, B, &run, &r0), 0);
		ck_assert_int_eq(hint_run(img, ab, 2, B, &run, &r0), 0);
		if (sites[k].p == store)
			ck_assert_uint_eq(B[1], 7);
		/* just past the region at the hinted index */
		ck_assert_int_eq(hint_run(img, ab, 2, B + 7, &run, &r0), -EFAULT);
		ck_assert_uint_eq(run.fault.addr, (uintptr_t)(B + 8));
		/* a region over the context at the hinted index: an access to the context is still the
		 * context's (an atomic one is refused there) */
		for (int i = 0; i < 2; i++) {
			ck_assert_int_eq(hint_run(img, ax, 2, ctxbuf, &run, &r0), sites[k].p == atomic ? -EFAULT : 0);
			if (sites[k].p == atomic)
				ck_assert_msg(strstr(run.fault.msg, "atomic access to the context"), "%s", run.fault.msg);
		}
		emu_prog_image_free(img);
	}
}
END_TEST

static uint8_t hook_calls;
static uint64_t ctx_hook_load(struct emu_run *run, uint32_t off, uint32_t size)
{
	(void)run;
	hook_calls++;
	return 0x1122334455667788ull + off + size;
}

START_TEST(context_permissions_and_hooks)
{
	static uint8_t perm[16];
	struct emu_ctx_desc cd = { .size = 16, .perm = perm, .load = ctx_hook_load };
	struct emu_run run;
	uint64_t r0;

	memset(perm, EMU_CTX_R, 4);                  /* [0, 4) read-only */
	memset(perm + 4, EMU_CTX_R | EMU_CTX_W, 4);  /* [4, 8) read-write */
	memset(perm + 8, EMU_CTX_R | EMU_CTX_HOOK, 4); /* [8, 12) a converted field */
	/* [12, 16) nothing */
	run_init(&run);
	run.ctx_desc = &cd;
	ctxbuf[0] = 0x5a;
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_B, 0, 1, 0), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x5a);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_W, 1, 4, 9), EI_LDX_MEM(EMU_W, 0, 1, 4), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 9);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_W, 1, 0, 9), EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "not writable"), "%s", run.fault.msg);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_DW, 0, 1, 0), EI_EXIT()), 0); /* [0,8) readable */
	hook_calls = 0;
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_W, 0, 1, 8), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x1122334455667788ull + 8 + 4); /* a 4-byte field giving a 64-bit value */
	ck_assert_uint_eq(hook_calls, 1);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_W, 1, 8, 1), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_W, 0, 1, 12), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_DW, 0, 1, 12), EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "context"), "%s", run.fault.msg);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(2, 1), EI_ATOMIC(EMU_W, EMU_ADD, 1, 2, 4), EI_EXIT()), -EFAULT);
	/* no context description: the context is not memory at all */
	run_init(&run);
	run.ctx_desc = NULL;
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_B, 0, 1, 0), EI_EXIT()), -EFAULT);
}
END_TEST

/* ---- the context's fast table (emu_ctx_desc.fast) against the slow path ---- */

static char fast_log[64];
static uint64_t fast_hook_load(struct emu_run *run, uint32_t off, uint32_t size)
{
	(void)run;
	snprintf(fast_log, sizeof(fast_log), "load %u %u", off, size);
	return 0xa1b2c3d4e5f60718ull ^ ((uint64_t)off << 8) ^ size;
}

static void fast_hook_store(struct emu_run *run, uint32_t off, uint32_t size, uint64_t v)
{
	(void)run;
	snprintf(fast_log, sizeof(fast_log), "store %u %u %#" PRIx64, off, size, v);
}

struct ctx_outcome {
	int ret;
	uint64_t r0;
	uint8_t bytes[40];
	char log[64], msg[sizeof(((struct emu_run_fault *)0)->msg)];
};

static void ctx_outcome(struct emu_prog_image *img, const struct emu_ctx_desc *cd, struct ctx_outcome *o)
{
	struct emu_run run;

	run_init(&run);
	for (int i = 0; i < 40; i++)
		ctxbuf[i] = (uint8_t)(0x30 + i);
	run.ctx_desc = cd;
	fast_log[0] = 0;
	memset(o, 0, sizeof(*o));
	o->ret = emu_prog_run(img, &run, &o->r0);
	memcpy(o->bytes, ctxbuf, sizeof(o->bytes));
	memcpy(o->log, fast_log, sizeof(o->log));
	if (o->ret)
		memcpy(o->msg, run.fault.msg, sizeof(o->msg));
}

/* Every load and store (LDX, STX, ST) of every size at every offset of a 32-byte context with
 * read-only, read-write, hooked (one direction, both), unreadable bytes and field edges inside
 * an access: with the table the answer (return, r0, the bytes, the hook called, the fault) is
 * the one the slow path gives without it. */
START_TEST(context_fast_table_agrees)
{
	static uint8_t perm[32];
	static uint16_t fast[32];
	struct emu_ctx_desc slow = { .size = 32, .perm = perm, .load = fast_hook_load, .store = fast_hook_store };
	struct emu_ctx_desc quick = slow;
	static const uint8_t sizes[4] = { EMU_B, EMU_H, EMU_W, EMU_DW };
	unsigned checked = 0, admitted = 0;

	memset(perm, EMU_CTX_R, 4);                                /* [0, 4) read-only */
	memset(perm + 4, EMU_CTX_R | EMU_CTX_W, 8);                /* [4, 12) read-write */
	memset(perm + 12, EMU_CTX_R | EMU_CTX_HOOK, 4);            /* [12, 16) hooked, read */
	memset(perm + 16, EMU_CTX_R | EMU_CTX_W | EMU_CTX_HOOK, 4); /* [16, 20) hooked, both */
	memset(perm + 20, EMU_CTX_W | EMU_CTX_HOOK, 2);            /* [20, 22) hooked, write */
	perm[22] = EMU_CTX_R | EMU_CTX_W;                          /* [22, 24) one byte each */
	perm[23] = EMU_CTX_R;
	/* [24, 28) nothing */
	memset(perm + 28, EMU_CTX_R | EMU_CTX_W, 4);               /* [28, 32) read-write, at the end */
	emu_ctx_desc_fast(&slow, fast);
	quick.fast = fast;
	for (int16_t off = 0; off < 36; off++) {
		for (int k = 0; k < 4; k++) {
			const struct emu_insn progs[3][3] = {
				{ EI_LDX_MEM(sizes[k], 0, 1, off), EI_EXIT(), EI_EXIT() },
				{ EI_LD_IMM64(2, 0x8877665544332211ull), EI_STX_MEM(sizes[k], 1, 2, off) },
				{ EI_ST_MEM(sizes[k], 1, off, -7), EI_MOV64_IMM(0, 0), EI_EXIT() },
			};
			for (int d = 0; d < 3; d++) {
				struct emu_insn p[5];
				uint32_t n = 3;
				struct ctx_outcome a, b;
				struct emu_prog_image *img;

				memcpy(p, progs[d], sizeof(progs[d]));
				if (d == 1) { /* ld_imm64 takes two slots */
					p[3] = EI_MOV64_IMM(0, 0);
					p[4] = EI_EXIT();
					n = 5;
				}
				img = xlate(p, n);
				ctx_outcome(img, &slow, &a);
				ctx_outcome(img, &quick, &b);
				emu_prog_image_free(img);
				ck_assert_msg(a.ret == b.ret && a.r0 == b.r0 && !memcmp(a.bytes, b.bytes, sizeof(a.bytes)) &&
						      !strcmp(a.log, b.log) && !strcmp(a.msg, b.msg),
					      "off %d size %d kind %d: slow %d %#" PRIx64 " '%s' '%s', table %d %#" PRIx64
					      " '%s' '%s'",
					      off, k, d, a.ret, a.r0, a.log, a.msg, b.ret, b.r0, b.log, b.msg);
				checked++;
				admitted += !a.ret;
			}
		}
	}
	ck_assert_uint_eq(checked, 36 * 4 * 3);
	ck_assert_uint_gt(admitted, 50); /* both answers occur */
	ck_assert_uint_lt(admitted, checked - 50);
}
END_TEST

START_TEST(stack_bounds)
{
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	/* the last byte of the frame, through a pointer and directly */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_REG(1, 10), EI_ST_MEM(EMU_B, 1, -512, 3), EI_LDX_MEM(EMU_B, 0, 10, -512),
			      EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 3);
	/* past either end */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_REG(1, 10), EI_LDX_MEM(EMU_B, 0, 1, 0), EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "nearest: stack"), "%s", run.fault.msg);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_DW, 0, 10, -4), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_B, 0, 10, -513), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_ST_MEM(EMU_DW, 10, -520, 0), EI_EXIT()), -EFAULT);
	ck_assert_uint_eq(run.fault.insn, 0);
	ck_assert(run.fault.write);
	/* a callee's frame after it returned */
	ck_assert_int_eq(EXEC(&run, &r0, EI_CALL_REL(2), EI_LDX_MEM(EMU_DW, 0, 0, 0), EI_EXIT(),
			      EI_MOV64_REG(0, 10), EI_ALU64_IMM(EMU_ADD, 0, -8), EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "returned"), "%s", run.fault.msg);
	/* never-written stack reads as zero */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LDX_MEM(EMU_DW, 0, 10, -504), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_REG(1, 10), EI_LDX_MEM(EMU_DW, 0, 1, -256), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0);
}
END_TEST

START_TEST(wild_pointers)
{
	static uint8_t unregistered[64];
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(1, 0), EI_LDX_MEM(EMU_DW, 0, 1, 0), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64(1, (uintptr_t)unregistered), EI_ST_MEM(EMU_B, 1, 0, 1), EI_EXIT()),
			 -EFAULT);
	ck_assert_uint_eq(unregistered[0], 0);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64(1, 0xffffffffffffffffull), EI_LDX_MEM(EMU_W, 0, 1, 0), EI_EXIT()),
			 -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64(1, 0xfffffffffffffffcull), EI_MOV64_IMM(2, 0),
			      EI_ATOMIC(EMU_W, EMU_ADD, 1, 2, 0), EI_EXIT()), -EFAULT);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64(1, (uintptr_t)unregistered), EI_ATOMIC(EMU_DW, EMU_LOAD_ACQ, 0, 1, 8),
			      EI_EXIT()), -EFAULT);
	ck_assert_msg(strstr(run.fault.msg, "outside every region"), "%s", run.fault.msg);
}
END_TEST

START_TEST(budget_depth_and_ends)
{
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	run.insn_budget = 1000;
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 0), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_JA(-2), EI_EXIT()), -ELOOP);
	ck_assert_uint_eq(run.fault.insn, 2);
	ck_assert_uint_eq(run.budget_used, 1000);
	ck_assert_msg(strstr(run.fault.msg, "budget"), "%s", run.fault.msg);
	/* a loop of 100 iterations of span 3 uses 297 (its last jump is not taken) */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 100), EI_ALU64_IMM(EMU_SUB, 0, 1), EI_MOV64_REG(1, 0),
			      EI_JMP_IMM(EMU_JNE, 0, 0, -3), EI_EXIT()), 0);
	ck_assert_uint_eq(run.budget_used, 99 * 3);
	/* seven nested calls: eight frames, the limit */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 0), EI_CALL_REL(1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_EXIT(),
			      EI_MOV64_IMM(0, 1), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 7);
	/* unbounded recursion stops at the ninth frame */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_CALL_REL(-1), EI_EXIT()), -E2BIG);
	ck_assert_msg(strstr(run.fault.msg, "call depth"), "%s", run.fault.msg);
	/* falling off the end */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 0)), -EINVAL);
	ck_assert_msg(strstr(run.fault.msg, "fell off"), "%s", run.fault.msg);
}
END_TEST

START_TEST(may_goto_counts)
{
	struct emu_run run;
	uint64_t r0;

	/* the interpreter's count, per frame: a subprogram's loop has its own */
	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 0), EI_MAY_GOTO(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_JA(-3),
			      EI_EXIT()), 0);
	ck_assert_uint_eq(r0, EMU_MAX_LOOPS);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(6, 0), EI_MAY_GOTO(2), EI_ALU64_IMM(EMU_ADD, 6, 1),
			      EI_JMP_IMM(EMU_JLT, 6, 10, -3), EI_CALL_REL(2), EI_ALU64_REG(EMU_ADD, 0, 6), EI_EXIT(),
			      /* callee */ EI_MOV64_IMM(0, 0), EI_MAY_GOTO(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_JA(-3),
			      EI_EXIT()), 0);
	ck_assert_uint_eq(r0, EMU_MAX_LOOPS + 10);
	/* the JIT's: 250 ms of iterations, at least one refresh of 0xffff */
	run_init(&run);
	run.flags = 0;
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(0, 0), EI_MAY_GOTO(2), EI_ALU64_IMM(EMU_ADD, 0, 1), EI_JA(-3),
			      EI_EXIT()), 0);
	ck_assert_uint_gt(r0, 2 * EMU_MAX_TIMED_LOOPS);
	ck_assert_uint_eq(r0 % EMU_MAX_TIMED_LOOPS, 0);
}
END_TEST

/* bpf_loop-style callback: the sum of the indexes 0..9 into *ctx */
START_TEST(callbacks)
{
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	ck_assert_int_eq(EXEC(&run, &r0,
			      EI_ST_MEM(EMU_DW, 10, -8, 0),
			      EI_MOV64_IMM(1, 10), EI_LD_IMM64_RAW(2, EMU_PSEUDO_FUNC, 9), EI_MOV64_REG(3, 10),
			      EI_ALU64_IMM(EMU_ADD, 3, -8), EI_MOV64_IMM(4, 0), EI_CALL_HELPER(H_LOOP),
			      EI_LDX_MEM(EMU_DW, 1, 10, -8), EI_ALU64_IMM(EMU_LSH, 0, 32), EI_ALU64_REG(EMU_OR, 0, 1),
			      EI_EXIT(),
			      /* callback(i, ctx): *ctx += i; return 0 */
			      EI_LDX_MEM(EMU_DW, 3, 2, 0), EI_ALU64_REG(EMU_ADD, 3, 1), EI_STX_MEM(EMU_DW, 2, 3, 0),
			      EI_MOV64_IMM(0, 0), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, (10ull << 32) | 45);
	/* a callback that faults ends the run with its own diagnostic */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(1, 3), EI_LD_IMM64_RAW(2, EMU_PSEUDO_FUNC, 6), EI_MOV64_IMM(3, 0),
			      EI_MOV64_IMM(4, 0), EI_CALL_HELPER(H_LOOP), EI_MOV64_IMM(0, 1), EI_EXIT(),
			      EI_LDX_MEM(EMU_DW, 0, 2, 0), EI_EXIT()), -EFAULT);
	ck_assert_uint_eq(run.fault.insn, 8);
	/* a value that is not a subprogram */
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(1, 1), EI_MOV64_IMM(2, 12345), EI_MOV64_IMM(3, 0),
			      EI_MOV64_IMM(4, 0), EI_CALL_HELPER(H_LOOP), EI_EXIT()), -EINVAL);
	ck_assert_msg(strstr(run.fault.msg, "not a subprogram"), "%s", run.fault.msg);
}
END_TEST

/* ---- tail calls ---- */

static const struct emu_prog_image *tc_slots[2];
static int tc_calls;
static int tail_call(struct emu_run *run, uint64_t map, uint32_t index, const struct emu_prog_image **prog)
{
	(void)run;
	ck_assert_uint_eq(map, 0x1000 + 3);
	tc_calls++;
	if (index >= 2)
		return -1;
	*prog = tc_slots[index];
	return 0;
}

START_TEST(tail_call_limit)
{
	static uint8_t counter[8];
	struct emu_region rg = { (uintptr_t)counter, (uintptr_t)counter + 8, EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_GLOBAL };
	/* counter++; (while counter <= 3: a tail call out of range); tail call slot 1; tail call slot 0 (self);
	 * r0 = counter */
	struct emu_insn p[] = {
		EI_MOV64_REG(6, 1),
		EI_LD_IMM64(7, (uintptr_t)counter),
		EI_MOV64_IMM(2, 1),
		EI_ATOMIC(EMU_DW, EMU_ADD, 7, 2, 0),
		EI_LDX_MEM(EMU_DW, 8, 7, 0),
		EI_JMP_IMM(EMU_JGT, 8, 3, 5),
		EI_MOV64_REG(1, 6), EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, 3), EI_MOV64_IMM(3, 7), EI_CALL_HELPER(12),
		EI_JMP_IMM(EMU_JNE, 9, 0, 5), /* r9 == 0: the empty slot 1 as well */
		EI_MOV64_REG(1, 6), EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, 3), EI_MOV64_IMM(3, 1), EI_CALL_HELPER(12),
		EI_MOV64_REG(1, 6), EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, 3), EI_MOV64_IMM(3, 0), EI_CALL_HELPER(12),
		EI_LDX_MEM(EMU_DW, 0, 7, 0),
		EI_EXIT(),
	};
	struct emu_prog_image *img;
	struct emu_run run;
	uint64_t r0;

	img = xlate(p, EI_COUNT(p));
	tc_slots[0] = img;
	tc_slots[1] = NULL; /* an empty slot */
	/* with r9 = 1 the empty slot is skipped: 1 + 33 runs */
	memset(counter, 0, sizeof(counter));
	run_init(&run);
	run.regions = &rg;
	run.nr_regions = 1;
	run.tail_call = tail_call;
	{
		struct emu_insn pre[EI_COUNT(p) + 1];

		pre[0] = EI_MOV64_IMM(9, 1);
		memcpy(pre + 1, p, sizeof(p));
		/* the prefix moves the program one slot: tail calls land on p itself, r9 stays 1 */
		struct emu_prog_image *first = xlate(pre, EI_COUNT(pre));

		ck_assert_int_eq(emu_prog_run(first, &run, &r0), 0);
		ck_assert_uint_eq(r0, 34);
		emu_prog_image_free(first);
	}
	/* from p with r9 = 0: each run also tries the empty slot, which is not counted (the kernel
	 * answers 34 for the same program: a PROG_ARRAY with itself in slot 0, slot 1 empty) */
	memset(counter, 0, sizeof(counter));
	run_init(&run);
	run.regions = &rg;
	run.nr_regions = 1;
	run.tail_call = tail_call;
	ck_assert_int_eq(emu_prog_run(img, &run, &r0), 0);
	ck_assert_uint_eq(r0, 34);
	/* without a tail-call callback every tail call falls through */
	memset(counter, 0, sizeof(counter));
	run.tail_call = NULL;
	ck_assert_int_eq(emu_prog_run(img, &run, &r0), 0);
	ck_assert_uint_eq(r0, 1);
	emu_prog_image_free(img);
}
END_TEST

/* The same rule on the kernel (BPFEMU_UNIT_KERNEL=1): an XDP program in slot 0 of a PROG_ARRAY
 * bumps a counter in an ARRAY map, tries empty slot 1, then tail-calls itself. */
static long k_map(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	kp_put32(a, MC_TYPE, type);
	kp_put32(a, MC_KEY_SIZE, ks);
	kp_put32(a, MC_VALUE_SIZE, vs);
	kp_put32(a, MC_MAX_ENTRIES, max);
	return kp_sys(EMU_BPF_MAP_CREATE, a, sizeof(a));
}

static long k_elem(int cmd, int fd, void *k, void *v)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	kp_put32(a, EL_FD, (uint32_t)fd);
	kp_put64(a, EL_KEY, (uint64_t)(uintptr_t)k);
	kp_put64(a, EL_VALUE, (uint64_t)(uintptr_t)v);
	return kp_sys(cmd, a, sizeof(a));
}

START_TEST(tail_call_limit_kernel)
{
	long cnt = k_map(2 /* ARRAY */, 4, 8, 1), pa = k_map(3 /* PROG_ARRAY */, 4, 4, 2), fd;
	struct emu_insn p[] = {
		EI_MOV64_REG(6, 1),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (int32_t)cnt),
		EI_ST_MEM(EMU_W, 10, -4, 0), EI_MOV64_REG(2, 10), EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_CALL_HELPER(1),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 13),
		EI_MOV64_IMM(1, 1), EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0),
		EI_MOV64_REG(1, 6), EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, (int32_t)pa), EI_MOV64_IMM(3, 1), EI_CALL_HELPER(12),
		EI_MOV64_REG(1, 6), EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, (int32_t)pa), EI_MOV64_IMM(3, 0), EI_CALL_HELPER(12),
		EI_MOV64_IMM(0, 2), EI_EXIT(),
	};
	static char log[1 << 16];
	uint8_t pkt[64] = { 0 };
	struct kp_run kr = { .data = pkt, .data_size = sizeof(pkt) };
	uint32_t k = 0, v;
	uint64_t c = 0;

	ck_assert_int_ge(cnt, 0);
	ck_assert_int_ge(pa, 0);
	fd = kp_load(EMU_PROG_XDP, p, EI_COUNT(p), 0, log, sizeof(log));
	ck_assert_msg(fd >= 0, "kernel refused the program (%ld): %s", fd, log);
	v = (uint32_t)fd;
	ck_assert_int_eq(k_elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v), 0);
	ck_assert_int_eq(kp_test_run((int)fd, &kr), 0);
	ck_assert_uint_eq(kr.retval, 2);
	ck_assert_int_eq(k_elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)cnt, &k, &c), 0);
	ck_assert_uint_eq(c, 34); /* 1 + 33: the empty slot was never counted */
	close((int)fd);
	close((int)pa);
	close((int)cnt);
}
END_TEST

/* ---- LD_ABS / LD_IND ---- */

START_TEST(legacy_packet_loads)
{
	static const uint8_t frame[] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x00, /* eth */
					 0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x56, 0x78 };
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	run.pkt_data = frame + 14; /* skb->data: the network header, as for a socket filter */
	run.pkt_end = frame + sizeof(frame);
	run.skb_net = frame + 14;
	run.skb_mac = frame;
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_B, 0), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x45);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_H, 2), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x001c);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_W, 4), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x12345678);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(7, 2), EI_LD_IND(EMU_H, 7, 4), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x5678);
	/* the last byte, then one past it: the program returns 0 at once */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_B, 7), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x78);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_H, 7), EI_MOV64_IMM(0, 99), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0);
	ck_assert_int_eq(EXEC(&run, &r0, EI_MOV64_IMM(7, -1), EI_LD_IND(EMU_B, 7, 0), EI_MOV64_IMM(0, 99), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0);
	/* the 64-bit sum is cut to an int: 0x1_0000_0001 reads offset 1 */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_IMM64(7, 0x100000000ull), EI_LD_IND(EMU_B, 7, 1), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x00);
	/* SKF_LL_OFF / SKF_NET_OFF */
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_H, -0x200000 + 12), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x0800);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_B, -0x100000 + 1), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0x00);
	ck_assert_int_eq(EXEC(&run, &r0, EI_LD_ABS(EMU_B, -0x200001), EI_MOV64_IMM(0, 99), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 0);
	/* in a subprogram: returns 0 from that function only */
	ck_assert_int_eq(EXEC(&run, &r0, EI_CALL_REL(2), EI_ALU64_IMM(EMU_ADD, 0, 5), EI_EXIT(), EI_LD_ABS(EMU_W, 100),
			      EI_MOV64_IMM(0, 99), EI_EXIT()), 0);
	ck_assert_uint_eq(r0, 5);
}
END_TEST

/* ---- translation refusals ---- */

static void refused(const struct emu_insn *p, uint32_t n, const char *why)
{
	char err[256];
	struct emu_prog_image *img = emu_prog_translate(p, n, &xopts, err, sizeof(err));

	ck_assert_msg(!img, "translated: %s", why);
	ck_assert_msg(strstr(err, why), "error \"%s\" lacks \"%s\"", err, why);
}
#define REFUSED(why, ...)                                                                          \
	do {                                                                                       \
		struct emu_insn _p[] = { __VA_ARGS__ };                                            \
		refused(_p, EI_COUNT(_p), why);                                                    \
	} while (0)

/* What the kernel refuses anywhere in a program, the translator refuses. */
START_TEST(translation_refusals)
{
	REFUSED("unknown opcode", EI_RAW(0xff, 0, 0, 0, 0), EI_EXIT());
	REFUSED("unknown opcode", EI_RAW(EMU_LDX | EMU_MEMSX | EMU_DW, 0, 1, 0, 0), EI_EXIT());
	REFUSED("unknown opcode", EI_RAW(EMU_ALU64 | EMU_END | EMU_TO_BE, 0, 0, 0, 16), EI_EXIT());
	REFUSED("unknown opcode", EI_RAW(EMU_ALU | EMU_NEG | EMU_X, 0, 0, 0, 0), EI_EXIT());
	REFUSED("unknown opcode", EI_RAW(EMU_JMP32 | EMU_EXIT, 0, 0, 0, 0), EI_EXIT());
	REFUSED("BPF_LDX uses reserved fields", EI_RAW(EMU_LDX | EMU_MEM | EMU_W, 0, 1, 0, 1), EI_EXIT());
	REFUSED("jump out of range", EI_JA(1), EI_EXIT());
	REFUSED("jump out of range", EI_JA(-2), EI_EXIT());
	REFUSED("jump out of range", EI_JMP_IMM(EMU_JEQ, 0, 0, 1), EI_LD_IMM64(0, 1), EI_EXIT()); /* into ld_imm64 */
	REFUSED("invalid bpf_ld_imm64", EI_RAW(EMU_LD_IMM64, 0, 0, 0, 0));
	REFUSED("kernel function", EI_RAW(EMU_JMP | EMU_CALL, 0, EMU_PSEUDO_KFUNC_CALL, 0, 1), EI_EXIT());
	REFUSED("test resolver", EI_LD_IMM64_RAW(1, EMU_PSEUDO_BTF_ID, 1), EI_EXIT());
	{
		struct emu_insn one[] = { EI_EXIT() };

		refused(one, 0, "program of 0");
	}
}
END_TEST

/* What the verifier checks only on the paths it explores becomes a trap: translated, and the run
 * stops if it ever gets there (the kernel accepts such code as dead code). */
static void trapped(const struct emu_insn *p, uint32_t n, const char *why)
{
	struct emu_prog_image *img = xlate(p, n);
	struct emu_run run;
	uint64_t r0;

	run_init(&run);
	ck_assert_int_eq(emu_prog_run(img, &run, &r0), -EINVAL);
	ck_assert_msg(strstr(run.fault.msg, why), "fault \"%s\" lacks \"%s\"", run.fault.msg, why);
	ck_assert_msg(strstr(run.fault.msg, "dead code"), "%s", run.fault.msg);
	emu_prog_image_free(img);
}
#define TRAPPED(why, ...)                                                                          \
	do {                                                                                       \
		struct emu_insn _p[] = { __VA_ARGS__ };                                            \
		trapped(_p, EI_COUNT(_p), why);                                                    \
	} while (0)

START_TEST(dead_code_traps)
{
	TRAPPED("frame pointer is read only", EI_MOV64_IMM(10, 0), EI_EXIT());
	TRAPPED("frame pointer is read only", EI_LDX_MEM(EMU_DW, 10, 1, 0), EI_EXIT());
	TRAPPED("frame pointer is read only", EI_ATOMIC(EMU_DW, EMU_XCHG, 1, 10, 0), EI_EXIT());
	TRAPPED("invalid register", EI_RAW(EMU_ALU64 | EMU_MOV | EMU_K, 11, 0, 0, 0), EI_EXIT());
	TRAPPED("invalid register", EI_RAW(EMU_JMP | EMU_JEQ | EMU_X, 0, 12, 0, 0), EI_EXIT());
	TRAPPED("div by zero", EI_ALU64_IMM(EMU_DIV, 0, 0), EI_EXIT());
	TRAPPED("invalid shift", EI_ALU32_IMM(EMU_LSH, 0, 32), EI_EXIT());
	TRAPPED("helper 4242", EI_CALL_HELPER(4242), EI_EXIT());
	TRAPPED("invalid MOV offset", EI_MOVSX32(0, 1, 32), EI_EXIT());
	TRAPPED("BPF_MOV uses reserved fields", EI_RAW(EMU_ALU64 | EMU_MOV | EMU_K, 0, 0, 1, 5), EI_EXIT());
	TRAPPED("arena", EI_RAW(EMU_ALU64 | EMU_MOV | EMU_X, 0, 1, 1, 1), EI_EXIT());
	TRAPPED("invalid BPF_END", EI_ENDIAN(EMU_TO_BE, 0, 8), EI_EXIT());
	TRAPPED("invalid atomic", EI_ATOMIC(EMU_H, EMU_ADD, 1, 2, 0), EI_EXIT());
	TRAPPED("invalid atomic opcode", EI_ATOMIC(EMU_DW, 0x77, 1, 2, 0), EI_EXIT());
	TRAPPED("conditional jump", EI_RAW(EMU_JMP | EMU_JCOND, 0, 3, 0, 0), EI_EXIT());
	/* a trap in dead code costs nothing */
	EXPECT(4, EI_MOV64_IMM(0, 4), EI_JA(1), EI_MOV64_IMM(10, 0), EI_EXIT());
}
END_TEST

/* Translating garbage never crashes: random instructions (valid opcodes, random fields) either
 * translate or are refused, and what translates runs to an end (a fault at worst) within a
 * budget, touching nothing outside its regions. */
static uint8_t random_code(uint64_t r)
{
	static const uint8_t classes[] = { EMU_ALU, EMU_ALU64, EMU_JMP, EMU_JMP32, EMU_LDX, EMU_ST, EMU_STX, EMU_LD };
	uint8_t cls = classes[r % 8], hi = (uint8_t)((r >> 8) & 0xf0);

	switch (cls) {
	case EMU_ALU:
	case EMU_ALU64:
	case EMU_JMP:
	case EMU_JMP32:
		return cls | hi | ((r >> 16) & 1 ? EMU_X : EMU_K);
	case EMU_LDX:
		return cls | ((r >> 16) & 1 ? EMU_MEMSX : EMU_MEM) | (uint8_t)(((r >> 20) & 3) << 3);
	case EMU_ST:
		return cls | EMU_MEM | (uint8_t)(((r >> 20) & 3) << 3);
	case EMU_STX:
		return cls | ((r >> 16) & 1 ? EMU_ATOMIC : EMU_MEM) | (uint8_t)(((r >> 20) & 3) << 3);
	default:
		return (r >> 16) & 1 ? EMU_LD_IMM64 : (uint8_t)(EMU_LD | ((r >> 17) & 1 ? EMU_ABS : EMU_IND) | (((r >> 20) & 3) << 3));
	}
}

START_TEST(random_words_are_safe)
{
	static const int32_t imms[] = { 0, 1, -1, 8, 16, 32, 64, 12, 181, 1000, 1001, 1002, EMU_ADD | EMU_FETCH,
					EMU_XCHG, EMU_CMPXCHG, EMU_LOAD_ACQ, EMU_STORE_REL, 0x7fffffff };
	uint64_t s = 0x9e3779b97f4a7c15ull;
	struct emu_insn p[12];
	unsigned translated = 0, faulted = 0;

	for (int iter = 0; iter < 100000; iter++) {
		struct emu_prog_image *img;
		char err[128];

		for (int i = 0; i < 12; i++) {
			uint8_t cls;

			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			p[i].code = random_code(s);
			cls = EMU_CLASS(p[i].code);
			p[i].dst_reg = (s >> 24) % 11;
			p[i].src_reg = (s >> 28) % 11;
			if (cls == EMU_JMP || cls == EMU_JMP32)
				p[i].off = (int16_t)((int)((s >> 32) % 12) - i - 1); /* mostly in range */
			else
				p[i].off = (int16_t)((int)((s >> 32) % 530) - 520);
			p[i].imm = (s >> 44) & 1 ? imms[(s >> 45) % (sizeof(imms) / sizeof(imms[0]))] : (int32_t)(s >> 33);
			if (p[i].code == EMU_LD_IMM64 && i < 10) {
				static const uint8_t srcs[] = { 0, EMU_PSEUDO_MAP_FD, EMU_PSEUDO_MAP_VALUE, EMU_PSEUDO_FUNC };

				p[i].src_reg = srcs[(s >> 50) & 3];
				p[i].imm = p[i].src_reg == EMU_PSEUDO_FUNC ? (int32_t)((s >> 52) % 10) - i - 1 : p[i].imm;
				p[i + 1] = EI_RAW(0, 0, 0, 0, (int32_t)(s >> 20));
				i++;
			}
		}
		p[11] = EI_EXIT();
		img = emu_prog_translate(p, 12, &xopts, err, sizeof(err));
		if (img) {
			struct emu_run run;
			uint64_t r0;

			translated++;
			run_init(&run);
			run.insn_budget = 10000;
			{
				int rr = emu_prog_run(img, &run, &r0);

				faulted += rr != 0;
				if (getenv("UT_TRACE") && atoi(getenv("UT_TRACE")) == iter) {
					for (int i = 0; i < 12; i++) {
						char d[96];

						emu_insn_disasm(&p[i], d, sizeof(d));
						printf("  %d: %02x %u %u %d %d  %s\n", i, p[i].code, p[i].dst_reg, p[i].src_reg, p[i].off, p[i].imm, d);
					}
					printf("iter %d: %d %s r0=%llx\n", iter, rr, run.fault.msg, (unsigned long long)r0);
				}
			}
			emu_prog_image_free(img);
		}
	}
	ck_assert_uint_gt(translated, 1000);
	ck_assert_uint_gt(faulted, 100);
	printf("random programs: %u of 100000 translated, %u of those faulted\n", translated, faulted);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	/* before anything is allocated: a skip must not leak (ASan makes a leak exit 1, not 77) */
	if (kernel_mode()) {
		long r = kp_probe();

		if (r < 0) {
			const char *req = getenv("BPFEMU_REQUIRE_KERNEL");

			printf("%s: BPFEMU_UNIT_KERNEL=1 but a SYSCALL program does not load: %s\n",
			       req && !strcmp(req, "1") ? "error" : "SKIP", strerror((int)-r));
			return req && !strcmp(req, "1") ? 1 : 77;
		}
	}
	s = suite_create("interp");
	tc = tcase_create("insn");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, alu64_basic);
	tcase_add_test(tc, alu32_zero_extends);
	tcase_add_test(tc, shifts_mask_their_amount);
	tcase_add_test(tc, division_corners);
	tcase_add_test(tc, signed_division_corners);
	tcase_add_test(tc, movsx_and_byte_order);
	tcase_add_test(tc, conditions);
	tcase_add_test(tc, jumps_and_loops);
	tcase_add_test(tc, stack_loads_and_stores);
	tcase_add_test(tc, atomics);
	tcase_add_test(tc, ld_imm64_constants);
	tcase_add_test(tc, subprogram_frames);
	suite_add_tcase(s, tc);
	if (kernel_mode()) {
		TCase *kc = tcase_create("kernel");

		tcase_add_test(kc, tail_call_limit_kernel);
		suite_add_tcase(s, kc);
	} else {
		TCase *em = tcase_create("emulator");

		tcase_set_timeout(em, 120);
		tcase_add_test(em, helpers_and_regions);
		tcase_add_test(em, global_data_and_readonly_regions);
		tcase_add_test(em, region_hints_stay_exact);
		tcase_add_test(em, context_permissions_and_hooks);
		tcase_add_test(em, context_fast_table_agrees);
		tcase_add_test(em, stack_bounds);
		tcase_add_test(em, wild_pointers);
		tcase_add_test(em, budget_depth_and_ends);
		tcase_add_test(em, may_goto_counts);
		tcase_add_test(em, callbacks);
		tcase_add_test(em, tail_call_limit);
		tcase_add_test(em, legacy_packet_loads);
		tcase_add_test(em, translation_refusals);
		tcase_add_test(em, dead_code_traps);
		tcase_add_test(em, random_words_are_safe);
		suite_add_tcase(s, em);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
