/* SPDX-License-Identifier: MIT */
/*
 * The translator: raw instructions (already through the loader's checks) to the run loop's
 * pre-decoded image (interp_impl.h). Each instruction becomes one operation variant with its
 * operands decoded: ALU class, operand source, width, signedness, jump direction, memory size
 * and whether a stack access at a constant offset from r10 can skip the run-time check. ld_imm64
 * values are resolved here (the caller's callback; BPF_PSEUDO_FUNC to the subprogram's slot),
 * helpers are bound to their functions (a bpf_map_lookup_elem the caller says always names one
 * array becomes an inlined lookup: inline_lookup.h), subprogram entries and the stack bytes each
 * frame must zero are found.
 *
 * The translator refuses what the kernel refuses anywhere in a program (opcodes outside its
 * instruction table, LDX reserved fields, jumps out of the program or into an ld_imm64, kfuncs);
 * what the verifier checks only on the paths it explores becomes a TRAP slot, since the kernel
 * accepts such instructions in dead code. It does not repeat the verifier's work (types, bounds,
 * uninitialised registers), which the run-time checks back up. Last, fuse.c turns common groups
 * into superinstructions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/diag.h" /* EMU_FAULT */
#include "interp_impl.h"

struct xstate {
	const struct emu_insn *in;
	uint32_t cnt;
	const struct emu_xlate_opts *opts;
	struct emu_prog_image *img;
	uint8_t *second;  /* slot i is the second half of an ld_imm64 */
	uint8_t *entry;   /* slot i starts a subprogram */
	char *err;
	size_t errlen;
	bool fault_alu;
	bool fault_bound; /* planted fault "inline-array-bound" */
	char trap_msg[160];
};

static int fail(struct xstate *X, uint32_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct xstate *X, uint32_t i, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (X->err && X->errlen)
		snprintf(X->err, X->errlen, "insn %u: %s", i, msg);
	return -EINVAL;
}

/* An instruction the kernel's verifier checks only on the paths it explores (reserved fields,
 * shift amounts, register numbers, writes to r10, unknown helpers...): in dead code it accepts
 * and then drops them. Such an instruction becomes a TRAP that stops the run if it is ever
 * reached, which a verified program never does. Returns 1. */
static int trap(struct xstate *X, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int trap(struct xstate *X, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(X->trap_msg, sizeof(X->trap_msg), fmt, ap);
	va_end(ap);
	return 1;
}

static bool target_ok(const struct xstate *X, int64_t t)
{
	return t >= 0 && t < (int64_t)X->cnt && !X->second[t];
}

static int helper_index(struct xstate *X, emu_helper_fn fn)
{
	struct emu_prog_image *img = X->img;
	emu_helper_fn *h;

	for (uint32_t k = 0; k < img->nr_helpers; k++)
		if (img->helpers[k] == fn)
			return (int)k;
	h = realloc(img->helpers, (img->nr_helpers + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	img->helpers = h;
	h[img->nr_helpers] = fn;
	return (int)img->nr_helpers++;
}

/* The lookup at insn i as an inlined array lookup (inline_lookup.h) when the caller says its map
 * is one array: the index of that map's record in img->arrays (one per map), -1 when the call
 * stays a helper call, -ENOMEM. */
static int inline_array(struct xstate *X, uint32_t i)
{
	struct emu_prog_image *img = X->img;
	struct emu_xlate_array a;
	struct emu_inline_array *na;

	memset(&a, 0, sizeof(a));
	if (!X->opts || !X->opts->inline_lookup || !X->opts->inline_lookup(X->opts->cb_ctx, i, &a))
		return -1;
	/* terms the run's arithmetic and region rules need; anything else stays a helper call */
	if (!a.max_entries || a.key_size != 4 || (uintptr_t)a.values < 4096 || !a.bytes ||
	    (uintptr_t)a.values + a.bytes < (uintptr_t)a.values || (a.cpu_stride && !a.nr_cpus) ||
	    !(a.access & (EMU_MEM_READ | EMU_MEM_WRITE)) || (a.access & ~(EMU_MEM_READ | EMU_MEM_WRITE)))
		return -1;
	{
		/* the last slot starts inside the values */
		uint64_t last, cpus = 0;

		if (__builtin_mul_overflow((uint64_t)(a.max_entries - 1), a.stride, &last) ||
		    (a.cpu_stride && __builtin_mul_overflow((uint64_t)(a.nr_cpus - 1), (uint64_t)a.cpu_stride, &cpus)) ||
		    __builtin_add_overflow(last, cpus, &last) || last >= a.bytes)
			return -1;
	}
	for (uint32_t k = 0; k < img->nr_arrays; k++)
		if (img->arrays[k].a.map == a.map) /* the same map: the same terms */
			return (int)k;
	if (img->nr_arrays >= INT16_MAX)
		return -1;
	na = realloc(img->arrays, (img->nr_arrays + 1) * sizeof(*na));
	if (!na)
		return -ENOMEM;
	img->arrays = na;
	na += img->nr_arrays;
	na->a = a;
	/* the planted fault (tests only): an index equal to max_entries passes the bound */
	na->limit = a.max_entries + (a.max_entries < UINT32_MAX && X->fault_bound ? 1 : 0);
	na->rg = (struct emu_region){ (uintptr_t)a.values, (uintptr_t)a.values + a.bytes, a.access, EMU_RGN_MAP_VALUE };
	return (int)img->nr_arrays++;
}

/* Whether the kernel's instruction table has this opcode (bpf_opcode_in_insntable): it refuses
 * any other opcode anywhere in a program, reachable or not. */
static bool kernel_opcode(uint8_t code)
{
	uint8_t cls = EMU_CLASS(code), op = EMU_OP(code);

	switch (cls) {
	case EMU_ALU:
	case EMU_ALU64:
		if (op == EMU_NEG)
			return EMU_SRC(code) == EMU_K;
		if (op == EMU_END)
			return cls == EMU_ALU || EMU_SRC(code) == EMU_TO_LE;
		return op <= EMU_END;
	case EMU_JMP:
		if (op == EMU_JA || op == EMU_CALL || op == EMU_EXIT || op == EMU_JCOND)
			return EMU_SRC(code) == EMU_K;
		return op <= EMU_JSLE;
	case EMU_JMP32:
		if (op == EMU_JA)
			return EMU_SRC(code) == EMU_K;
		return op <= EMU_JSLE && op != EMU_CALL && op != EMU_EXIT;
	case EMU_LDX:
		return EMU_MODE(code) == EMU_MEM || (EMU_MODE(code) == EMU_MEMSX && EMU_SIZE(code) != EMU_DW);
	case EMU_ST:
		return EMU_MODE(code) == EMU_MEM;
	case EMU_STX:
		return EMU_MODE(code) == EMU_MEM || EMU_MODE(code) == EMU_ATOMIC;
	default: /* EMU_LD */
		return code == EMU_LD_IMM64 ||
		       ((EMU_MODE(code) == EMU_ABS || EMU_MODE(code) == EMU_IND) && EMU_SIZE(code) != EMU_DW);
	}
}

/* ALU and ALU64. */
static int xlate_alu(struct xstate *X, uint32_t i, const struct emu_insn *in, enum emu_xop *op)
{
	bool is64 = EMU_CLASS(in->code) == EMU_ALU64, x = EMU_SRC(in->code) == EMU_X;
	uint32_t o = EMU_OP(in->code);
	unsigned width = is64 ? 64 : 32;

#define PICK(n) (is64 ? (x ? XOP_A64_##n##_X : XOP_A64_##n##_K) : (x ? XOP_A32_##n##_X : XOP_A32_##n##_K))
	if (in->dst_reg == EMU_REG_FP)
		return trap(X, "frame pointer is read only");
	switch (o) {
	case EMU_ADD:
		*op = PICK(ADD);
		if (X->fault_alu && is64) {
			*op = x ? XOP_FAULT_A64_ADD_X : XOP_FAULT_A64_ADD_K;
			X->fault_alu = false;
		}
		return 0;
	case EMU_SUB: *op = PICK(SUB); return 0;
	case EMU_MUL: *op = PICK(MUL); return 0;
	case EMU_OR: *op = PICK(OR); return 0;
	case EMU_AND: *op = PICK(AND); return 0;
	case EMU_XOR: *op = PICK(XOR); return 0;
	case EMU_LSH:
	case EMU_RSH:
	case EMU_ARSH:
		if (!x && (in->imm < 0 || (unsigned)in->imm >= width))
			return trap(X, "invalid shift %d", in->imm);
		*op = o == EMU_LSH ? PICK(LSH) : o == EMU_RSH ? PICK(RSH) : PICK(ARSH);
		return 0;
	case EMU_DIV:
	case EMU_MOD:
		if (in->off != 0 && in->off != 1)
			return trap(X, "invalid %s offset %d", o == EMU_DIV ? "div" : "mod", in->off);
		if (!x && in->imm == 0)
			return trap(X, "div by zero");
		if (o == EMU_DIV)
			*op = in->off ? PICK(SDIV) : PICK(DIV);
		else
			*op = in->off ? PICK(SMOD) : PICK(MOD);
		return 0;
	case EMU_NEG:
		if (x || in->src_reg || in->imm)
			return trap(X, "BPF_NEG uses reserved fields");
		*op = is64 ? XOP_A64_NEG : XOP_A32_NEG;
		return 0;
	case EMU_MOV:
		if (!x) {
			if (in->off)
				return trap(X, "BPF_MOV uses reserved fields");
			*op = PICK(MOV);
			return 0;
		}
		switch (in->off) {
		case 0: *op = PICK(MOV); return 0;
		case 8: *op = is64 ? XOP_A64_MOVSX8 : XOP_A32_MOVSX8; return 0;
		case 16: *op = is64 ? XOP_A64_MOVSX16 : XOP_A32_MOVSX16; return 0;
		case 32:
			if (is64) {
				*op = XOP_A64_MOVSX32;
				return 0;
			}
			break;
		case 1:
			if (is64)
				return trap(X, "address-space casts need an arena, which is not emulated");
			break;
		}
		return trap(X, "invalid MOV offset %d", in->off);
	case EMU_END:
		if (in->imm != 16 && in->imm != 32 && in->imm != 64)
			return trap(X, "invalid BPF_END imm %d", in->imm);
		if (is64) {
			if (x)
				return trap(X, "BPF_END uses reserved fields");
			/* unconditional byte swap */
			*op = in->imm == 16 ? XOP_BSWAP16 : in->imm == 32 ? XOP_BSWAP32 : XOP_BSWAP64;
			return 0;
		}
		{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			bool swap = x; /* to big-endian swaps on a little-endian host */
#else
			bool swap = !x;
#endif
			if (swap)
				*op = in->imm == 16 ? XOP_BSWAP16 : in->imm == 32 ? XOP_BSWAP32 : XOP_BSWAP64;
			else
				*op = in->imm == 16 ? XOP_ZEXT16 : in->imm == 32 ? XOP_ZEXT32 : XOP_NOP;
		}
		return 0;
	}
#undef PICK
	return fail(X, i, "unknown opcode %02x", in->code);
}

static int xlate_jmp(struct xstate *X, uint32_t i, const struct emu_insn *in, struct emu_xinsn *xi,
		     enum emu_xop *op)
{
	bool is64 = EMU_CLASS(in->code) == EMU_JMP, x = EMU_SRC(in->code) == EMU_X;
	uint32_t o = EMU_OP(in->code);
	int64_t t = (int64_t)i + in->off + 1;
	bool back = in->off < 0;

	switch (o) {
	case EMU_JA:
		if (x)
			break;
		if (!is64) {
			t = (int64_t)i + in->imm + 1;
			if (!target_ok(X, t))
				return fail(X, i, "jump out of range from insn %u to %lld", i, (long long)t);
			*op = in->imm < 0 ? XOP_JA32_B : XOP_JA32;
			return 0;
		}
		if (!target_ok(X, t))
			return fail(X, i, "jump out of range from insn %u to %lld", i, (long long)t);
		*op = back ? XOP_JA_B : XOP_JA;
		return 0;
	case EMU_CALL:
		if (!is64 || x)
			break;
		if (in->src_reg == EMU_PSEUDO_CALL) {
			t = (int64_t)i + in->imm + 1;
			if (!target_ok(X, t))
				return fail(X, i, "function call to insn %lld is out of range", (long long)t);
			*op = XOP_CALL_SUB;
			return 0; /* off: filled once frame sizes are known */
		}
		if (in->src_reg == EMU_PSEUDO_KFUNC_CALL && !in->imm && !in->off)
			return trap(X, "an unresolved kernel function call (imm 0)"); /* dead, or refused */
		if (in->src_reg == EMU_PSEUDO_KFUNC_CALL)
			return fail(X, i, "kernel function calls are not emulated");
		if (in->src_reg != EMU_CALL_HELPER)
			return trap(X, "invalid call src_reg %u", in->src_reg);
		if (in->imm == 12 /* BPF_FUNC_tail_call */) {
			*op = XOP_TAIL_CALL;
			return 0;
		} else {
			const struct emu_func_proto *p =
				X->opts && X->opts->helper ? X->opts->helper(X->opts->cb_ctx, in->imm) : NULL;
			int k;

			if (!p || !p->fn)
				return trap(X, "helper %d is not available", in->imm);
			k = helper_index(X, p->fn);
			if (k < 0)
				return fail(X, i, "out of memory");
			xi->imm = k;
			*op = XOP_CALL_HELPER;
			if (in->imm == 1 /* BPF_FUNC_map_lookup_elem */) {
				int a = inline_array(X, i);

				if (a == -ENOMEM)
					return fail(X, i, "out of memory");
				if (a >= 0) {
					xi->off = (int16_t)a;
					*op = XOP_CALL_ARRAY_LOOKUP;
				}
			}
			return 0;
		}
	case EMU_EXIT:
		if (!is64 || x)
			break;
		*op = XOP_EXIT;
		return 0;
	case EMU_JCOND:
		if (!is64 || x)
			break;
		if (in->src_reg != EMU_MAY_GOTO)
			return trap(X, "invalid conditional jump src_reg %u", in->src_reg);
		if (!target_ok(X, t))
			return fail(X, i, "jump out of range from insn %u to %lld", i, (long long)t);
		*op = back ? XOP_MAY_GOTO_B : XOP_MAY_GOTO;
		return 0;
	default:
		if (o > EMU_JSLE)
			break;
		if (!target_ok(X, t))
			return fail(X, i, "jump out of range from insn %u to %lld", i, (long long)t);
		{
			static const uint16_t base[16] = {
				[EMU_JEQ >> 4] = XOP_J64_JEQ_K, [EMU_JGT >> 4] = XOP_J64_JGT_K,
				[EMU_JGE >> 4] = XOP_J64_JGE_K, [EMU_JSET >> 4] = XOP_J64_JSET_K,
				[EMU_JNE >> 4] = XOP_J64_JNE_K, [EMU_JSGT >> 4] = XOP_J64_JSGT_K,
				[EMU_JSGE >> 4] = XOP_J64_JSGE_K, [EMU_JLT >> 4] = XOP_J64_JLT_K,
				[EMU_JLE >> 4] = XOP_J64_JLE_K, [EMU_JSLT >> 4] = XOP_J64_JSLT_K,
				[EMU_JSLE >> 4] = XOP_J64_JSLE_K,
			};
			/* per condition, in EMU_XOP_JMP order: K, X, 32K, 32X, then the same _B */
			unsigned v = (x ? 1 : 0) + (is64 ? 0 : 2) + (back ? 4 : 0);

			*op = (enum emu_xop)(base[o >> 4] + v);
		}
		return 0;
	}
	return fail(X, i, "unknown opcode %02x", in->code);
}

static bool fp_ok(const struct emu_insn *in, unsigned n)
{
	return in->off >= -EMU_STACK_SIZE && in->off + (int)n <= 0;
}

static const unsigned size_bytes[4] = { 4, 2, 1, 8 }; /* by EMU_SIZE >> 3: W, H, B, DW */

static int xlate_mem(struct xstate *X, uint32_t i, const struct emu_insn *in, enum emu_xop *op)
{
	unsigned sz = EMU_SIZE(in->code) >> 3, n = size_bytes[sz];
	/* operation lists are in B, H, W, DW order */
	static const unsigned ord[4] = { 2, 1, 0, 3 };
	unsigned k = ord[sz];
	uint32_t mode = EMU_MODE(in->code);

#define BY_SIZE(pfx) ((enum emu_xop[]){ XOP_##pfx##_B, XOP_##pfx##_H, XOP_##pfx##_W, XOP_##pfx##_DW })[k]
	switch (EMU_CLASS(in->code)) {
	case EMU_LDX:
		if (in->dst_reg == EMU_REG_FP)
			return trap(X, "frame pointer is read only");
		if (mode == EMU_MEM) {
			*op = in->src_reg == EMU_REG_FP && fp_ok(in, n) ? BY_SIZE(LDX_FP) : BY_SIZE(LDX);
			return 0;
		}
		if (mode == EMU_MEMSX && n != 8) {
			static const enum emu_xop sx[3] = { XOP_LDXS_B, XOP_LDXS_H, XOP_LDXS_W };
			static const enum emu_xop sxfp[3] = { XOP_LDXS_FP_B, XOP_LDXS_FP_H, XOP_LDXS_FP_W };

			*op = in->src_reg == EMU_REG_FP && fp_ok(in, n) ? sxfp[k] : sx[k];
			return 0;
		}
		break;
	case EMU_ST:
		if (mode != EMU_MEM)
			break;
		*op = in->dst_reg == EMU_REG_FP && fp_ok(in, n) ? BY_SIZE(ST_FP) : BY_SIZE(ST);
		return 0;
	case EMU_STX:
		if (mode == EMU_MEM) {
			*op = in->dst_reg == EMU_REG_FP && fp_ok(in, n) ? BY_SIZE(STX_FP) : BY_SIZE(STX);
			return 0;
		}
		if (mode != EMU_ATOMIC)
			break;
		if (in->imm == EMU_LOAD_ACQ) {
			if (in->dst_reg == EMU_REG_FP)
				return trap(X, "frame pointer is read only");
			*op = BY_SIZE(LDACQ);
			return 0;
		}
		if (in->imm == EMU_STORE_REL) {
			*op = BY_SIZE(STREL);
			return 0;
		}
		if (n != 4 && n != 8)
			return trap(X, "invalid atomic operand size");
		{
			static const enum emu_xop w[] = { XOP_AT_W_ADD, XOP_AT_W_OR, XOP_AT_W_AND, XOP_AT_W_XOR,
							  XOP_AT_W_FADD, XOP_AT_W_FOR, XOP_AT_W_FAND, XOP_AT_W_FXOR,
							  XOP_AT_W_XCHG, XOP_AT_W_CMPXCHG };
			static const enum emu_xop dw[] = { XOP_AT_DW_ADD, XOP_AT_DW_OR, XOP_AT_DW_AND,
							   XOP_AT_DW_XOR, XOP_AT_DW_FADD, XOP_AT_DW_FOR,
							   XOP_AT_DW_FAND, XOP_AT_DW_FXOR, XOP_AT_DW_XCHG,
							   XOP_AT_DW_CMPXCHG };
			int idx;

			switch (in->imm) {
			case EMU_ADD: idx = 0; break;
			case EMU_OR: idx = 1; break;
			case EMU_AND: idx = 2; break;
			case EMU_XOR: idx = 3; break;
			case EMU_ADD | EMU_FETCH: idx = 4; break;
			case EMU_OR | EMU_FETCH: idx = 5; break;
			case EMU_AND | EMU_FETCH: idx = 6; break;
			case EMU_XOR | EMU_FETCH: idx = 7; break;
			case EMU_XCHG: idx = 8; break;
			case EMU_CMPXCHG: idx = 9; break;
			default:
				return trap(X, "BPF_ATOMIC uses invalid atomic opcode %02x", in->imm);
			}
			if (idx >= 4 && idx != 9 && in->src_reg == EMU_REG_FP)
				return trap(X, "frame pointer is read only");
			*op = n == 4 ? w[idx] : dw[idx];
			return 0;
		}
	}
#undef BY_SIZE
	return fail(X, i, "unknown opcode %02x", in->code);
}

static int xlate_ld(struct xstate *X, uint32_t i, const struct emu_insn *in, struct emu_xinsn *xi,
		    enum emu_xop *op)
{
	uint32_t mode = EMU_MODE(in->code), sz = EMU_SIZE(in->code);

	if (in->code == EMU_LD_IMM64) {
		const struct emu_insn *hi = &in[1];
		uint64_t v;

		if (in->dst_reg == EMU_REG_FP)
			return trap(X, "frame pointer is read only");
		switch (in->src_reg) {
		case 0:
			v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)hi->imm << 32;
			break;
		case EMU_PSEUDO_FUNC: {
			int64_t t = (int64_t)i + in->imm + 1;

			if (!target_ok(X, t))
				return fail(X, i, "function pointer to insn %lld is out of range", (long long)t);
			v = (uint64_t)(uintptr_t)&X->img->code[t];
			break;
		}
		default: {
			char why[160] = "";
			int r;

			if (!X->opts || !X->opts->ld_imm64)
				return fail(X, i, "ld_imm64 with src_reg %u has no resolver", in->src_reg);
			r = X->opts->ld_imm64(X->opts->cb_ctx, in, i, &v, why, sizeof(why));
			if (r)
				return fail(X, i, "%s", why[0] ? why : "ld_imm64 not resolved");
		}
		}
		xi[1].v64 = v;
		*op = XOP_LD_IMM64;
		return 0;
	}
	if ((mode == EMU_ABS || mode == EMU_IND) && sz != EMU_DW) {
		static const enum emu_xop abs_ops[3] = { XOP_LD_ABS_W, XOP_LD_ABS_H, XOP_LD_ABS_B };
		static const enum emu_xop ind_ops[3] = { XOP_LD_IND_W, XOP_LD_IND_H, XOP_LD_IND_B };

		*op = mode == EMU_ABS ? abs_ops[sz >> 3] : ind_ops[sz >> 3];
		return 0;
	}
	return fail(X, i, "unknown opcode %02x", in->code);
}

/* Bytes of frame a subprogram [b, e) can touch: the deepest constant offset from r10, or the
 * whole frame when r10 escapes into another register (or a store's value). Zeroing that much at
 * entry makes reads of never-written stack deterministic (the kernel leaves them garbage). */
static uint16_t frame_zero(const struct emu_insn *in, uint32_t b, uint32_t e)
{
	int depth = 0;

	for (uint32_t i = b; i < e; i++) {
		const struct emu_insn *p = &in[i];
		uint8_t cls = EMU_CLASS(p->code);
		bool base_use = false;

		if (p->code == EMU_LD_IMM64) {
			i++;
			continue;
		}
		if ((cls == EMU_LDX && p->src_reg == EMU_REG_FP) ||
		    ((cls == EMU_ST || cls == EMU_STX) && p->dst_reg == EMU_REG_FP))
			base_use = true;
		if (cls == EMU_STX && EMU_MODE(p->code) == EMU_ATOMIC && p->imm == EMU_LOAD_ACQ) {
			base_use = p->src_reg == EMU_REG_FP;
			if (p->dst_reg == EMU_REG_FP)
				return EMU_STACK_SIZE;
		} else if (cls == EMU_STX && p->src_reg == EMU_REG_FP) {
			return EMU_STACK_SIZE; /* r10 stored as a value */
		}
		if (base_use) {
			if (p->off < 0 && -p->off > depth)
				depth = -p->off;
			if (p->off >= 0)
				return EMU_STACK_SIZE;
			continue;
		}
		if ((cls == EMU_ALU || cls == EMU_ALU64 || cls == EMU_JMP || cls == EMU_JMP32 ||
		     (cls == EMU_LD && EMU_MODE(p->code) == EMU_IND)) &&
		    EMU_SRC(p->code) == EMU_X && p->src_reg == EMU_REG_FP)
			return EMU_STACK_SIZE;
		if ((cls == EMU_JMP || cls == EMU_JMP32) && p->dst_reg == EMU_REG_FP)
			return EMU_STACK_SIZE; /* compared: harmless, but keep the rule simple */
		if (cls == EMU_LD && EMU_MODE(p->code) == EMU_IND && p->src_reg == EMU_REG_FP)
			return EMU_STACK_SIZE;
	}
	depth = (depth + 7) & ~7;
	return (uint16_t)(depth > EMU_STACK_SIZE ? EMU_STACK_SIZE : depth);
}

static int add_trap(struct emu_prog_image *img, const char *msg)
{
	char **t = realloc(img->traps, (img->nr_traps + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	img->traps = t;
	t[img->nr_traps] = strdup(msg);
	if (!t[img->nr_traps])
		return -ENOMEM;
	return (int)img->nr_traps++;
}

void emu_prog_image_free(struct emu_prog_image *img)
{
	if (!img)
		return;
	for (uint32_t k = 0; k < img->nr_traps; k++)
		free(img->traps[k]);
	free(img->traps);
	free(img->code);
	free(img->helpers);
	free(img->entries);
	free(img->entry_zero);
	free(img->raw);
	free(img->arrays);
	free(img);
}

uint32_t emu_prog_image_len(const struct emu_prog_image *img)
{
	return img ? img->cnt : 0;
}

struct emu_prog_image *emu_prog_translate(const struct emu_insn *insns, uint32_t cnt,
					  const struct emu_xlate_opts *opts, char *err, size_t errlen)
{
	struct xstate X = { .in = insns, .cnt = cnt, .opts = opts, .err = err, .errlen = errlen };
	const void *const *labels = EMU_INTERP_THREADED ? emu_interp_labels() : NULL;
	struct emu_prog_image *img = NULL;
	enum emu_xop *ops = NULL;
	uint32_t ne = 0;
	int r = -ENOMEM;

	if (err && errlen)
		err[0] = 0;
	if (!insns || cnt == 0 || cnt > EMU_MAX_INSNS) {
		fail(&X, 0, "program of %u instructions", cnt);
		return NULL;
	}
	X.fault_alu = EMU_FAULT("interp-alu");
	X.fault_bound = EMU_FAULT("inline-array-bound");
	img = calloc(1, sizeof(*img));
	X.second = calloc(cnt, 2);
	ops = calloc(cnt, sizeof(*ops));
	if (!img || !X.second || !ops)
		goto nomem;
	X.entry = X.second + cnt;
	X.img = img;
	img->cnt = cnt;
	img->code = calloc(cnt + 1, sizeof(*img->code));
	img->raw = malloc(cnt * sizeof(*img->raw));
	if (!img->code || !img->raw)
		goto nomem;
	memcpy(img->raw, insns, cnt * sizeof(*insns));

	/* pass 1: ld_imm64 halves, subprogram entries, register numbers */
	X.entry[0] = 1;
	for (uint32_t i = 0; i < cnt; i++) {
		const struct emu_insn *in = &insns[i];

		if (!kernel_opcode(in->code)) {
			r = fail(&X, i, "unknown opcode %02x", in->code);
			goto out;
		}
		if (EMU_CLASS(in->code) == EMU_LDX && in->imm) {
			r = fail(&X, i, "BPF_LDX uses reserved fields");
			goto out;
		}
		if (in->code == EMU_LD_IMM64) {
			if (i + 1 >= cnt || insns[i + 1].code || insns[i + 1].dst_reg || insns[i + 1].src_reg ||
			    insns[i + 1].off) {
				r = fail(&X, i, "invalid bpf_ld_imm64 insn");
				goto out;
			}
			X.second[++i] = 1;
			if (in->src_reg == EMU_PSEUDO_FUNC && (int64_t)i - 1 + in->imm + 1 >= 0 &&
			    (int64_t)i + in->imm < (int64_t)cnt)
				X.entry[i + in->imm] = 1;
			continue;
		}
		if (in->code == (EMU_JMP | EMU_CALL) && in->src_reg == EMU_PSEUDO_CALL &&
		    (int64_t)i + in->imm + 1 >= 0 && (int64_t)i + in->imm + 1 < (int64_t)cnt)
			X.entry[i + in->imm + 1] = 1;
	}
	for (uint32_t i = 0; i < cnt; i++)
		ne += X.entry[i];
	img->entries = calloc(ne, sizeof(*img->entries));
	img->entry_zero = calloc(ne, sizeof(*img->entry_zero));
	if (!img->entries || !img->entry_zero)
		goto nomem;
	for (uint32_t i = 0, k = 0; i < cnt; i++)
		if (X.entry[i]) {
			if (X.second[i]) {
				r = fail(&X, i, "call or function pointer into the middle of an ld_imm64");
				goto out;
			}
			img->entries[k++] = i;
		}
	img->nr_entries = ne;
	for (uint32_t k = 0; k < ne; k++)
		img->entry_zero[k] = frame_zero(insns, img->entries[k], k + 1 < ne ? img->entries[k + 1] : cnt);
	img->main_zero = img->entry_zero[0];

	/* pass 2: one operation per instruction */
	for (uint32_t i = 0; i < cnt; i++) {
		const struct emu_insn *in = &insns[i];
		struct emu_xinsn *xi = &img->code[i];
		enum emu_xop op = XOP_FELL_OFF;

		xi->dst = in->dst_reg;
		xi->src = in->src_reg;
		xi->off = in->off;
		xi->imm = in->imm;
		if (in->dst_reg > EMU_REG_FP || in->src_reg > EMU_REG_FP)
			r = trap(&X, "invalid register R%u", in->dst_reg > EMU_REG_FP ? in->dst_reg : in->src_reg);
		else
		switch (EMU_CLASS(in->code)) {
		case EMU_ALU:
		case EMU_ALU64:
			r = xlate_alu(&X, i, in, &op);
			break;
		case EMU_JMP:
		case EMU_JMP32:
			r = xlate_jmp(&X, i, in, xi, &op);
			break;
		case EMU_LD:
			r = xlate_ld(&X, i, in, xi, &op);
			break;
		default:
			r = xlate_mem(&X, i, in, &op);
			break;
		}
		if (r < 0)
			goto out;
		if (r > 0) {
			int k = add_trap(img, X.trap_msg);

			if (k < 0)
				goto nomem;
			op = XOP_TRAP;
			xi->imm = k;
		}
		if ((EMU_CLASS(in->code) == EMU_LDX || EMU_CLASS(in->code) == EMU_STX) && op != XOP_TRAP)
			xi->imm = 0; /* the site's region hint (EMU_SITE_HINT): any index is a valid guess */
		if (op == XOP_CALL_SUB) {
			uint32_t t = (uint32_t)((int64_t)i + in->imm + 1), k = 0;

			while (img->entries[k] != t)
				k++;
			xi->off = (int16_t)img->entry_zero[k];
		}
		ops[i] = op;
		if (in->code == EMU_LD_IMM64)
			ops[++i] = XOP_FELL_OFF; /* never dispatched: the value lives there */
	}
#ifndef EMU_NO_FUSE /* bench/interp_variant.c measures what fusing buys */
	emu_fuse(insns, cnt, ops);
#endif
	for (uint32_t i = 0; i <= cnt; i++) {
		enum emu_xop op = i < cnt ? ops[i] : XOP_FELL_OFF;

		if (i < cnt && i > 0 && insns[i - 1].code == EMU_LD_IMM64 && X.second[i])
			continue; /* the value slot */
		if (labels)
			img->code[i].h = labels[op];
		else
			img->code[i].op = op;
	}
	free(ops);
	free(X.second);
	return img;
nomem:
	fail(&X, 0, "out of memory");
out:
	(void)r;
	free(ops);
	free(X.second);
	emu_prog_image_free(img);
	return NULL;
}
