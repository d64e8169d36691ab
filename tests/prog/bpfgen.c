/* SPDX-License-Identifier: MIT */
/*
 * The random program generator (bpfgen.h). Invariants that keep the kernel's verifier content:
 *  - every register is written before it is read: the prologue sets r0-r9, a call is followed at
 *    once by new values for r1-r5, a subprogram writes r0 first and never reads r6-r9;
 *  - registers hold scalars, except a context pointer for the one or two instructions of a
 *    context access and a stack pointer passed to a subprogram in r5;
 *  - stack accesses are aligned, at constant offsets, inside slots the prologue initialised;
 *  - jumps go forward inside their function, except one loop's back edge guarded by a counter
 *    on the stack that only the back edge touches.
 */
#include "bpfgen.h"

#include <stdlib.h>
#include <string.h>

#define SLOT(s) (-16 - 8 * (s)) /* scratch slot s = 0..7: [r10 + SLOT(s), +8) */
#define CTX_SPILL (-8)
#define R9_SPILL (-80)
#define LOOP_SLOT (-88)
#define SUB_SLOTS 3 /* a subprogram's own slots: -8, -16, -24 */
#define MAX_SUBS 3

uint64_t bg_value(uint64_t *rng)
{
	static const uint64_t corners[] = {
		0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull, 0xffffffff80000000ull,
		0xffffffff7fffffffull, 0x00000000fffffffeull,
	};
	uint64_t r = bg_rand(rng);

	switch (r % 8) {
	case 0:
	case 1:
	case 2:
		return corners[(r >> 8) % (sizeof(corners) / sizeof(corners[0]))];
	case 3:
		return (r >> 8) % 64;
	case 4:
		return (uint64_t)-(int64_t)((r >> 8) % 64);
	case 5:
		return (uint32_t)bg_rand(rng);
	default:
		return bg_rand(rng);
	}
}

static int32_t imm_value(uint64_t *rng)
{
	return (int32_t)(uint32_t)bg_value(rng);
}

struct gen {
	struct bg_prog *p;
	uint64_t *rng;
	uint8_t nolanding[BG_MAX_INSNS]; /* not a jump target: an ld_imm64's value half, the inside of a group */
	uint8_t kind[BG_MAX_INSNS];   /* what a slot's target still needs */
	int8_t sub_of[BG_MAX_INSNS];  /* CALL: which subprogram */
	uint32_t sub_start[MAX_SUBS];
};

enum { K_NONE, K_JMP, K_GOTOL, K_CALL, K_MAYGOTO };

static inline uint32_t rnd(struct gen *g, uint32_t n) { return bg_below(g->rng, n); }

/* Room for k more, keeping enough for the epilogue and three subprograms of at most 60. */
static bool room(struct gen *g, uint32_t k) { return g->p->n + k + 60 + 3 * 60 < BG_MAX_INSNS; }

static void emit(struct gen *g, struct emu_insn in)
{
	g->kind[g->p->n] = K_NONE;
	g->nolanding[g->p->n] = 0;
	g->p->insns[g->p->n++] = in;
}

/* The instructions from `from` on belong with the one before: no jump may land on them. */
static void group(struct gen *g, uint32_t from)
{
	for (uint32_t i = from; i < g->p->n; i++)
		g->nolanding[i] = 1;
}

static void emit_ld_imm64(struct gen *g, uint8_t dst, uint64_t v)
{
	struct emu_insn two[2] = { EI_LD_IMM64(dst, v) };

	emit(g, two[0]);
	emit(g, two[1]);
	g->nolanding[g->p->n - 1] = 1;
}

static const uint8_t alu_ops[] = { EMU_ADD, EMU_SUB, EMU_MUL, EMU_DIV, EMU_OR, EMU_AND, EMU_LSH, EMU_RSH,
				   EMU_MOD, EMU_XOR, EMU_MOV, EMU_ARSH };
static const uint8_t jmp_ops[] = { EMU_JEQ, EMU_JGT, EMU_JGE, EMU_JSET, EMU_JNE, EMU_JSGT,
				   EMU_JSGE, EMU_JLT, EMU_JLE, EMU_JSLT, EMU_JSLE };
static const uint8_t sizes[] = { EMU_B, EMU_H, EMU_W, EMU_DW };
static const unsigned size_n[] = { 1, 2, 4, 8 };

/* An ALU instruction on registers in [lo, hi] (never `avoid`). */
static void gen_alu(struct gen *g, uint8_t lo, uint8_t hi, int avoid)
{
	uint8_t d, s, op = alu_ops[rnd(g, sizeof(alu_ops))];
	bool is64 = rnd(g, 3) != 0, x = rnd(g, 2);
	uint8_t cls = is64 ? EMU_ALU64 : EMU_ALU;
	unsigned width = is64 ? 64 : 32;
	int16_t off = 0;
	int32_t imm = 0;

	do
		d = lo + rnd(g, hi - lo + 1);
	while (d == avoid);
	do
		s = lo + rnd(g, hi - lo + 1);
	while (s == avoid);
	switch (rnd(g, 12)) {
	case 0: /* unary and odd forms */
		switch (rnd(g, 4)) {
		case 0:
			emit(g, EI_RAW(cls | EMU_NEG, d, 0, 0, 0));
			return;
		case 1:
			emit(g, EI_RAW(cls | EMU_MOV | EMU_X, d, s, is64 ? 8 << rnd(g, 3) : 8 << rnd(g, 2), 0));
			return;
		case 2: {
			static const int bits[] = { 16, 32, 64 };

			if (is64)
				emit(g, EI_BSWAP(d, bits[rnd(g, 3)]));
			else
				emit(g, EI_ENDIAN(rnd(g, 2) ? EMU_TO_BE : EMU_TO_LE, d, bits[rnd(g, 3)]));
			return;
		}
		default: /* make a divisor's corner likely: s = 0 or -1 */
			emit(g, EI_RAW(EMU_ALU64 | EMU_MOV | EMU_K, s, 0, 0, rnd(g, 2) ? 0 : -1));
			emit(g, EI_RAW(cls | (rnd(g, 2) ? EMU_DIV : EMU_MOD) | EMU_X, d, s, rnd(g, 2), 0));
			return;
		}
	default:
		break;
	}
	if (op == EMU_DIV || op == EMU_MOD)
		off = rnd(g, 2); /* sdiv / smod */
	if (!x) {
		imm = imm_value(g->rng);
		if (op == EMU_LSH || op == EMU_RSH || op == EMU_ARSH)
			imm = (int32_t)rnd(g, width);
		if ((op == EMU_DIV || op == EMU_MOD) && imm == 0)
			imm = rnd(g, 2) ? -1 : 3;
		emit(g, EI_RAW(cls | op | EMU_K, d, 0, off, imm));
	} else {
		emit(g, EI_RAW(cls | op | EMU_X, d, s, off, 0));
	}
}

static void gen_jmp(struct gen *g, uint8_t lo, uint8_t hi, int avoid)
{
	uint8_t d, s, op = jmp_ops[rnd(g, sizeof(jmp_ops))];
	uint8_t cls = rnd(g, 2) ? EMU_JMP : EMU_JMP32;

	do
		d = lo + rnd(g, hi - lo + 1);
	while (d == avoid);
	do
		s = lo + rnd(g, hi - lo + 1);
	while (s == avoid);
	switch (rnd(g, 10)) {
	case 0:
		emit(g, EI_JA(0));
		break;
	case 1:
		emit(g, EI_GOTOL(0));
		g->kind[g->p->n - 1] = K_GOTOL;
		return;
	default:
		if (rnd(g, 2))
			emit(g, EI_RAW(cls | op | EMU_K, d, 0, 0, imm_value(g->rng)));
		else
			emit(g, EI_RAW(cls | op | EMU_X, d, s, 0, 0));
		break;
	}
	g->kind[g->p->n - 1] = K_JMP;
}

/* A stack access at an aligned offset inside slots [first, first + count) of frame r10, whose
 * slot s lies at base - 8 * s. */
static int16_t stack_off(struct gen *g, int base, unsigned nslots, unsigned n)
{
	int slot = (int)rnd(g, nslots);

	return (int16_t)(base - 8 * slot + (int)(n * rnd(g, 8 / n)));
}

static void gen_stack(struct gen *g, int base, unsigned nslots, uint8_t lo, uint8_t hi, int avoid)
{
	unsigned sz = rnd(g, 4), n = size_n[sz];
	int16_t off = stack_off(g, base, nslots, n);
	uint8_t r;

	do
		r = lo + rnd(g, hi - lo + 1);
	while (r == avoid);
	switch (rnd(g, 4)) {
	case 0:
		emit(g, EI_STX_MEM(sizes[sz], 10, r, off));
		break;
	case 1:
		emit(g, EI_ST_MEM(sizes[sz], 10, off, imm_value(g->rng)));
		break;
	case 2:
		emit(g, EI_LDX_MEM(sizes[sz], r, 10, off));
		break;
	default:
		if (n == 8)
			emit(g, EI_LDX_MEM(EMU_DW, r, 10, off));
		else
			emit(g, EI_LDX_MEMSX(sizes[sz], r, 10, off));
		break;
	}
}

static void gen_atomic(struct gen *g, int base, unsigned nslots, uint8_t lo, uint8_t hi, int avoid)
{
	static const int32_t ops[] = { EMU_ADD, EMU_OR, EMU_AND, EMU_XOR, EMU_ADD | EMU_FETCH, EMU_OR | EMU_FETCH,
				       EMU_AND | EMU_FETCH, EMU_XOR | EMU_FETCH, EMU_XCHG, EMU_CMPXCHG };
	uint8_t r;

	do
		r = lo + rnd(g, hi - lo + 1);
	while (r == avoid || (r == 0 && lo == 0 && rnd(g, 2)));
	if (rnd(g, 5) == 0) { /* load-acquire / store-release, any size */
		unsigned sz = rnd(g, 4), n = size_n[sz];
		int16_t off = stack_off(g, base, nslots, n);

		if (rnd(g, 2))
			emit(g, EI_ATOMIC(sizes[sz], EMU_LOAD_ACQ, r, 10, off));
		else
			emit(g, EI_ATOMIC(sizes[sz], EMU_STORE_REL, 10, r, off));
		return;
	}
	{
		bool dw = rnd(g, 2);
		int16_t off = stack_off(g, base, nslots, dw ? 8 : 4);

		emit(g, EI_ATOMIC(dw ? EMU_DW : EMU_W, ops[rnd(g, sizeof(ops) / sizeof(ops[0]))], 10, r, off));
	}
}

/* Context access (SYSCALL programs): a pointer from the spill slot for one access. */
static void gen_ctx(struct gen *g)
{
	unsigned sz = rnd(g, 4), n = size_n[sz];
	int16_t off = (int16_t)(BG_CTX_AREA + n * rnd(g, BG_CTX_AREA_SIZE / n));
	uint8_t t = (uint8_t)rnd(g, 10), v;

	do
		v = (uint8_t)rnd(g, 10);
	while (v == t);
	uint32_t first;

	emit(g, EI_LDX_MEM(EMU_DW, t, 10, CTX_SPILL));
	first = g->p->n;
	if (rnd(g, 2)) {
		emit(g, EI_LDX_MEM(sizes[sz], t, t, off));
	} else {
		if (rnd(g, 2))
			emit(g, EI_STX_MEM(sizes[sz], t, v, off));
		else
			emit(g, EI_ST_MEM(sizes[sz], t, off, imm_value(g->rng)));
		emit(g, EI_MOV64_IMM(t, imm_value(g->rng))); /* a scalar again */
	}
	group(g, first);
}

/* Resolves every pending jump of [from, end) to a random slot in (i, end]; `end` is where the
 * function's exit path starts. */
static void resolve_jumps(struct gen *g, uint32_t from, uint32_t end)
{
	struct emu_insn *in = g->p->insns;

	for (uint32_t i = from; i < end; i++) {
		uint32_t t;

		if (g->kind[i] != K_JMP && g->kind[i] != K_GOTOL && g->kind[i] != K_MAYGOTO)
			continue;
		if (g->kind[i] == K_MAYGOTO)
			continue; /* fixed by the loop */
		do
			t = i + 1 + rnd(g, end - i);
		while (t < end && g->nolanding[t]);
		if (g->kind[i] == K_GOTOL)
			in[i].imm = (int32_t)(t - i - 1);
		else
			in[i].off = (int16_t)(t - i - 1);
	}
}

static bool is_uncond(const struct emu_insn *in)
{
	return (in->code == (EMU_JMP | EMU_JA)) || (in->code == (EMU_JMP32 | EMU_JA)) ||
	       in->code == (EMU_JMP | EMU_EXIT);
}

static int64_t jump_target(const struct emu_insn *in, uint32_t i)
{
	if (in->code == (EMU_JMP32 | EMU_JA))
		return (int64_t)i + in->imm + 1;
	return (int64_t)i + in->off + 1;
}

static bool is_jump(const struct emu_insn *in)
{
	uint8_t c = EMU_CLASS(in->code), op = EMU_OP(in->code);

	return (c == EMU_JMP || c == EMU_JMP32) && op != EMU_CALL && op != EMU_EXIT;
}

/* The kernel refuses unreachable instructions (check_cfg): unconditional jumps skip code, so
 * after jumps are resolved, each unreachable stretch of [from, end) gets an earlier conditional
 * jump retargeted onto it, or the jump that skipped it becomes conditional. */
static void fix_reachability(struct gen *g, uint32_t from, uint32_t end)
{
	struct emu_insn *in = g->p->insns;

	for (int round = 0; round < 256; round++) {
		uint8_t reach[BG_MAX_INSNS] = { 0 };
		uint32_t stack[BG_MAX_INSNS], sp = 0, u = 0, cand[BG_MAX_INSNS], nc = 0;

		stack[sp++] = from;
		while (sp) {
			uint32_t i = stack[--sp];

			if (i >= end || reach[i])
				continue;
			reach[i] = 1;
			if (in[i].code == EMU_LD_IMM64) {
				stack[sp++] = i + 2;
				continue;
			}
			if (is_jump(&in[i])) {
				int64_t t = jump_target(&in[i], i);

				if (t >= from && t <= (int64_t)end)
					stack[sp++] = (uint32_t)t;
			}
			if (!is_uncond(&in[i]))
				stack[sp++] = i + 1;
		}
		for (u = from; u < end; u++)
			if (!reach[u] && !(u > from && in[u - 1].code == EMU_LD_IMM64 && g->nolanding[u]))
				break;
		if (u == end)
			return;
		/* u - 1 is the unconditional jump that skips u. Retarget a reachable conditional jump
		 * before u whose old target is reached by falling through anyway, or else make the
		 * skipping jump conditional. */
		for (uint32_t j = from; j < u; j++) {
			int64_t t = jump_target(&in[j], j);
			uint32_t before = (uint32_t)t - 1;

			if (!reach[j] || !is_jump(&in[j]) || is_uncond(&in[j]) || g->kind[j] != K_JMP)
				continue;
			if (before > from && g->nolanding[before] && in[before - 1].code == EMU_LD_IMM64)
				before--;
			if (t > from && t < end && reach[before] && !is_uncond(&in[before]))
				cand[nc++] = j;
		}
		if (nc && !g->nolanding[u] && rnd(g, 4)) {
			uint32_t j = cand[rnd(g, nc)];

			in[j].off = (int16_t)(u - j - 1);
			continue;
		}
		{
			uint32_t j = u - 1;
			int64_t t = jump_target(&in[j], j);

			if (in[j].code != (EMU_JMP | EMU_JA) && in[j].code != (EMU_JMP32 | EMU_JA))
				return; /* not a case this generator makes */
			in[j] = EI_JMP_IMM(EMU_JNE, 0, imm_value(g->rng), (int16_t)(t - j - 1)); /* r0: set everywhere */
			g->kind[j] = K_JMP;
		}
	}
}

/* A subprogram: r1-r5 in (r5 a pointer into the caller's stack when ptr_arg), r0 out. */
static void gen_sub(struct gen *g, bool ptr_arg, int idx)
{
	uint32_t start = g->p->n, body_end, items = 3 + rnd(g, 10);
	uint8_t hi = ptr_arg ? 4 : 5;

	emit(g, EI_MOV64_REG(0, 1));
	for (int s = 0; s < SUB_SLOTS; s++)
		emit(g, EI_STX_MEM(EMU_DW, 10, (uint8_t)(1 + rnd(g, hi)), -8 - 8 * s));
	for (uint32_t k = 0; k < items && room(g, 4); k++) {
		switch (rnd(g, 8)) {
		case 0:
			gen_jmp(g, 0, hi, -1);
			break;
		case 1:
			gen_stack(g, -8, SUB_SLOTS, 0, hi, -1);
			break;
		case 2:
			if (ptr_arg) { /* through the caller's stack pointer */
				unsigned sz = rnd(g, 4);

				if (rnd(g, 2))
					emit(g, EI_STX_MEM(sizes[sz], 5, (uint8_t)rnd(g, 5), 0));
				else
					emit(g, EI_LDX_MEM(sizes[sz], (uint8_t)rnd(g, 5), 5, 0));
				break;
			}
			gen_atomic(g, -8, SUB_SLOTS, 0, hi, -1);
			break;
		default:
			gen_alu(g, 0, hi, -1);
			break;
		}
	}
	body_end = g->p->n;
	emit(g, EI_EXIT());
	resolve_jumps(g, start, body_end);
	fix_reachability(g, start, body_end);
	g->sub_start[idx] = start;
}

/* Subprogram 0 takes a pointer into the caller's stack in r5, 1 and 2 take scalars. */
static void gen_call(struct gen *g, uint32_t *calls, uint32_t *ncalls)
{
	bool ptr = rnd(g, 3) == 0;
	uint32_t first = g->p->n + 1;

	if (ptr) {
		emit(g, EI_MOV64_REG(5, 10));
		emit(g, EI_ALU64_IMM(EMU_ADD, 5, SLOT(rnd(g, 8))));
	}
	calls[(*ncalls)++] = g->p->n;
	emit(g, EI_CALL_REL(0));
	g->kind[g->p->n - 1] = K_CALL;
	g->sub_of[g->p->n - 1] = (int8_t)(ptr ? 0 : 1 + rnd(g, MAX_SUBS - 1));
	if (ptr)
		group(g, first);
	for (uint8_t r = 1; r <= 5; r++)
		emit(g, EI_MOV64_IMM(r, imm_value(g->rng)));
}

/* The loop's back edge: counter - 1 into its slot, back while positive. */
static void close_loop(struct gen *g, uint32_t loop_start, bool may_goto)
{
	struct bg_prog *p = g->p;
	uint8_t t = (uint8_t)rnd(g, 10);
	uint32_t back, first;

	emit(g, EI_LDX_MEM(EMU_DW, t, 10, LOOP_SLOT));
	first = p->n;
	emit(g, EI_ALU64_IMM(EMU_SUB, t, 1));
	emit(g, EI_STX_MEM(EMU_DW, 10, t, LOOP_SLOT));
	back = p->n;
	emit(g, EI_JMP_IMM(EMU_JSGT, t, 0, 0));
	group(g, first);
	p->insns[back].off = (int16_t)((int)loop_start - (int)back - 1);
	if (may_goto)
		p->insns[loop_start].off = (int16_t)(back - loop_start);
}

static void gen_syscall(struct gen *g)
{
	struct bg_prog *p = g->p;
	uint32_t items = 8 + rnd(g, 64), body_start, body_end, calls[64], ncalls = 0;
	int loop_at = rnd(g, 3) == 0 ? (int)rnd(g, items) : -1, loop_len = 1 + (int)rnd(g, 8);
	uint32_t loop_start = 0;
	bool may_goto = rnd(g, 2), loop_open = false;

	/* prologue */
	emit(g, EI_STX_MEM(EMU_DW, 10, 1, CTX_SPILL));
	for (uint8_t r = 0; r <= 9; r++) {
		if (r == 1)
			continue;
		if (rnd(g, 4))
			emit(g, EI_LDX_MEM(EMU_DW, r, 1, BG_IN + 8 * r));
		else if (rnd(g, 2))
			emit(g, EI_MOV64_IMM(r, imm_value(g->rng)));
		else
			emit_ld_imm64(g, r, bg_value(g->rng));
	}
	emit(g, EI_LDX_MEM(EMU_DW, 1, 1, BG_IN + 8));
	for (int s = 0; s < 8; s++) {
		if (rnd(g, 3))
			emit(g, EI_STX_MEM(EMU_DW, 10, (uint8_t)rnd(g, 10), SLOT(s)));
		else
			emit(g, EI_ST_MEM(EMU_DW, 10, SLOT(s), imm_value(g->rng)));
	}
	if (loop_at >= 0)
		emit(g, EI_ST_MEM(EMU_DW, 10, LOOP_SLOT, 1 + rnd(g, 3)));

	/* body */
	body_start = p->n;
	for (uint32_t k = 0; k < items && room(g, 16); k++) {
		if ((int)k == loop_at) {
			loop_start = p->n;
			loop_open = true;
			if (may_goto) {
				emit(g, EI_MAY_GOTO(0));
				g->kind[p->n - 1] = K_MAYGOTO;
			}
		}
		if (loop_open && (int)k == loop_at + loop_len) {
			close_loop(g, loop_start, may_goto);
			loop_open = false;
			continue;
		}
		switch (rnd(g, 20)) {
		case 0:
		case 1:
		case 2:
			gen_jmp(g, 0, 9, -1);
			break;
		case 3:
		case 4:
		case 5:
			gen_stack(g, SLOT(0), 8, 0, 9, -1);
			break;
		case 6:
			gen_atomic(g, SLOT(0), 8, 0, 9, -1);
			break;
		case 7:
			emit_ld_imm64(g, (uint8_t)rnd(g, 10), bg_value(g->rng));
			break;
		case 8:
			gen_ctx(g);
			break;
		case 9:
			if (ncalls < 64)
				gen_call(g, calls, &ncalls);
			break;
		default:
			gen_alu(g, 0, 9, -1);
			break;
		}
	}
	if (loop_open)
		close_loop(g, loop_start, may_goto);
	body_end = p->n;

	/* epilogue: registers and stack slots into the context */
	emit(g, EI_STX_MEM(EMU_DW, 10, 9, R9_SPILL));
	emit(g, EI_LDX_MEM(EMU_DW, 9, 10, CTX_SPILL));
	for (uint8_t r = 0; r <= 8; r++)
		emit(g, EI_STX_MEM(EMU_DW, 9, r, BG_OUT_REGS + 8 * r));
	emit(g, EI_LDX_MEM(EMU_DW, 8, 10, R9_SPILL));
	emit(g, EI_STX_MEM(EMU_DW, 9, 8, BG_OUT_REGS + 72));
	for (int s = 0; s < 8; s++) {
		emit(g, EI_LDX_MEM(EMU_DW, 8, 10, SLOT(s)));
		emit(g, EI_STX_MEM(EMU_DW, 9, 8, BG_OUT_STACK + 8 * s));
	}
	emit(g, EI_EXIT());
	resolve_jumps(g, body_start, body_end);
	fix_reachability(g, 0, body_end);

	/* subprograms */
	if (ncalls) {
		bool used[MAX_SUBS] = { false };

		for (uint32_t c = 0; c < ncalls; c++)
			used[g->sub_of[calls[c]]] = true;
		for (int s = 0; s < MAX_SUBS; s++)
			if (used[s])
				gen_sub(g, s == 0, s);
		for (uint32_t c = 0; c < ncalls; c++) {
			int s = g->sub_of[calls[c]];

			p->insns[calls[c]].imm = (int32_t)(g->sub_start[s] - calls[c] - 1);
		}
	}
}

static void gen_ldabs(struct gen *g)
{
	static const uint8_t abs_sizes[] = { EMU_B, EMU_H, EMU_W };
	uint32_t items = 2 + rnd(g, 20), body_start, body_end;

	emit(g, EI_MOV64_REG(6, 1));
	for (uint8_t r = 7; r <= 9; r++)
		emit(g, EI_MOV64_IMM(r, (int32_t)rnd(g, 100) - 20));
	emit(g, EI_MOV64_IMM(0, 0));
	body_start = g->p->n;
	for (uint32_t k = 0; k < items && room(g, 4); k++) {
		unsigned sz = rnd(g, 3);
		int32_t off;

		switch (rnd(g, 6)) {
		case 0:
			off = -0x100000 + (int32_t)rnd(g, 120) - 20;
			break;
		case 1:
			off = -0x200000 + (int32_t)rnd(g, 120);
			break;
		case 2:
			off = imm_value(g->rng);
			break;
		default:
			off = (int32_t)rnd(g, BG_PKT_MAX + 8);
			break;
		}
		switch (rnd(g, 6)) {
		case 0:
			emit(g, EI_LD_IND(abs_sizes[sz], (uint8_t)(7 + rnd(g, 3)), rnd(g, 2) ? off : (int32_t)rnd(g, 40)));
			break;
		case 1:
			gen_alu(g, 7, 9, -1);
			break;
		case 2:
			gen_jmp(g, 7, 9, -1);
			break;
		default:
			emit(g, EI_LD_ABS(abs_sizes[sz], off));
			break;
		}
		/* fold r0 into r7-r9 */
		emit(g, EI_RAW(EMU_ALU64 | alu_ops[rnd(g, 3) == 0 ? 2 : rnd(g, 2) ? 0 : 9] | EMU_X,
			       (uint8_t)(7 + rnd(g, 3)), 0, 0, 0));
	}
	body_end = g->p->n;
	emit(g, EI_MOV64_REG(0, 7));
	emit(g, EI_MOV64_REG(1, 7));
	emit(g, EI_ALU64_IMM(EMU_RSH, 1, 32));
	emit(g, EI_ALU64_REG(EMU_XOR, 0, 1));
	emit(g, EI_ALU64_REG(EMU_XOR, 0, 8));
	emit(g, EI_ALU64_REG(EMU_ADD, 0, 9));
	emit(g, EI_EXIT());
	resolve_jumps(g, body_start, body_end);
	fix_reachability(g, 0, body_end);
}

/* XDP: r9 is the packet pointer throughout; r0-r8 scalars. */
static void gen_xdp(struct gen *g)
{
	struct bg_prog *p = g->p;
	uint32_t items = 8 + rnd(g, 48), body_start, body_end, exit_jump;

	emit(g, EI_LDX_MEM(EMU_W, 9, 1, 0)); /* data */
	emit(g, EI_LDX_MEM(EMU_W, 3, 1, 4)); /* data_end */
	emit(g, EI_MOV64_REG(4, 9));
	emit(g, EI_ALU64_IMM(EMU_ADD, 4, BG_XDP_NEED));
	exit_jump = p->n;
	emit(g, EI_JMP_REG(EMU_JGT, 4, 3, 0));
	for (uint8_t r = 0; r <= 8; r++) {
		if (rnd(g, 3))
			emit(g, EI_LDX_MEM(EMU_DW, r, 9, (int16_t)rnd(g, BG_XDP_AREA - 7)));
		else
			emit(g, EI_MOV64_IMM(r, imm_value(g->rng)));
	}
	for (int s = 0; s < 8; s++)
		emit(g, EI_STX_MEM(EMU_DW, 10, (uint8_t)rnd(g, 9), SLOT(s)));
	body_start = p->n;
	for (uint32_t k = 0; k < items && room(g, 8); k++) {
		switch (rnd(g, 16)) {
		case 0:
		case 1:
		case 2:
			gen_jmp(g, 0, 8, -1);
			break;
		case 3:
		case 4:
			gen_stack(g, SLOT(0), 8, 0, 8, -1);
			break;
		case 5:
			gen_atomic(g, SLOT(0), 8, 0, 8, -1);
			break;
		case 6:
		case 7:
		case 8: {
			unsigned sz = rnd(g, 4), n = size_n[sz];
			int16_t off = (int16_t)rnd(g, BG_XDP_AREA - n + 1);
			uint8_t r = (uint8_t)rnd(g, 9);

			switch (rnd(g, 4)) {
			case 0:
				emit(g, EI_STX_MEM(sizes[sz], 9, r, off));
				break;
			case 1:
				emit(g, EI_ST_MEM(sizes[sz], 9, off, imm_value(g->rng)));
				break;
			case 2:
				emit(g, n == 8 ? EI_LDX_MEM(EMU_DW, r, 9, off) : EI_LDX_MEMSX(sizes[sz], r, 9, off));
				break;
			default:
				emit(g, EI_LDX_MEM(sizes[sz], r, 9, off));
				break;
			}
			break;
		}
		case 9: {
			/* through a second packet pointer at a constant distance */
			uint8_t t = (uint8_t)rnd(g, 9), r;
			int k = (int)rnd(g, BG_XDP_AREA - 8);
			uint32_t first;

			do
				r = (uint8_t)rnd(g, 9);
			while (r == t);
			emit(g, EI_MOV64_REG(t, 9));
			first = p->n;
			emit(g, EI_ALU64_IMM(EMU_ADD, t, k));
			if (rnd(g, 2)) {
				emit(g, EI_STX_MEM(EMU_W, t, r, (int16_t)rnd(g, 5)));
				emit(g, EI_MOV64_IMM(t, imm_value(g->rng)));
			} else {
				emit(g, EI_LDX_MEM(EMU_H, t, t, (int16_t)rnd(g, 7)));
			}
			group(g, first);
			break;
		}
		case 10:
			emit_ld_imm64(g, (uint8_t)rnd(g, 9), bg_value(g->rng));
			break;
		default:
			gen_alu(g, 0, 8, -1);
			break;
		}
	}
	body_end = p->n;
	for (uint8_t r = 0; r <= 8; r++)
		emit(g, EI_STX_MEM(EMU_DW, 9, r, BG_XDP_REGS + 8 * r));
	for (int s = 0; s < 8; s++) {
		emit(g, EI_LDX_MEM(EMU_DW, 8, 10, SLOT(s)));
		emit(g, EI_STX_MEM(EMU_DW, 9, 8, BG_XDP_STACK + 8 * s));
	}
	p->insns[exit_jump].off = (int16_t)(p->n - exit_jump - 1);
	emit(g, EI_MOV64_IMM(0, 2)); /* XDP_PASS */
	emit(g, EI_EXIT());
	resolve_jumps(g, body_start, body_end);
	fix_reachability(g, 0, body_end);
}

void bg_generate(struct bg_prog *p, enum bg_mode mode, uint64_t *rng)
{
	static __thread struct gen g;

	memset(&g, 0, sizeof(g));
	g.p = p;
	g.rng = rng;
	p->mode = mode;
	p->n = 0;
	if (mode == BG_LDABS)
		gen_ldabs(&g);
	else if (mode == BG_XDP)
		gen_xdp(&g);
	else
		gen_syscall(&g);
}

void bg_ctx_inputs(uint8_t *ctx, uint64_t *rng)
{
	for (int i = 0; i < BG_CTX_SIZE / 8; i++) {
		uint64_t v = bg_value(rng);

		memcpy(ctx + 8 * i, &v, 8);
	}
}

/* A frame for a socket filter: test_run refuses (EINVAL) an IPv4 or IPv6 frame shorter than its
 * network header, so those get at least that much. */
uint32_t bg_packet(uint8_t *pkt, uint64_t *rng)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806 };
	uint32_t len = 14 + bg_below(rng, BG_PKT_MAX - 14 + 1), r = bg_below(rng, 4);

	for (uint32_t i = 0; i < BG_PKT_MAX; i++)
		pkt[i] = (uint8_t)bg_rand(rng);
	if (r < 3) {
		pkt[12] = (uint8_t)(types[r] >> 8);
		pkt[13] = (uint8_t)types[r];
	}
	if (pkt[12] == 0x08 && pkt[13] == 0x00 && len < 14 + 20)
		len = 14 + 20;
	if (pkt[12] == 0x86 && pkt[13] == 0xdd && len < 14 + 40)
		len = 14 + 40;
	return len;
}

/* A packet for an XDP program: mostly long enough for its body, sometimes not. */
uint32_t bg_xdp_packet(uint8_t *pkt, uint64_t *rng)
{
	uint32_t len = bg_below(rng, 8) ? BG_XDP_NEED + bg_below(rng, BG_XDP_PKT_MAX - BG_XDP_NEED + 1)
					: 14 + bg_below(rng, BG_XDP_NEED);

	for (uint32_t i = 0; i < len; i++)
		pkt[i] = (uint8_t)bg_rand(rng);
	return len;
}
