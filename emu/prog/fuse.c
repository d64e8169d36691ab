/* SPDX-License-Identifier: MIT */
/*
 * Superinstructions: instruction pairs and triples that compiled BPF is full of, executed as one
 * dispatch. The fast path of the run loop for pointer arithmetic, bounds checks and loop
 * counters:
 *
 *   F_MOV_ADDK   rX = rY; rX += K                  (pointer + constant)
 *   F_MOV_ADDX   rX = rY; rX += rZ                 (pointer + index), Z != X
 *   F_BOUNDS     rX = rY; rX += K; if rX > rZ goto (the packet bounds check clang emits)
 *   F_ADDK_JGTX  rX += K; if rX > rZ goto          (the same, pointer already copied)
 *   F_ADDK_<cc>  rX += K; if rX <cc> K2 goto       (a loop counter and its test; _B backwards)
 *
 * What it buys: each dispatch costs an indirect jump and, worse, a store of the result into the
 * register array that the next instruction loads back (store-to-load forwarding, ~4-5 cycles on
 * the dependent chain); a fused handler keeps the intermediate in a host register. Measured with
 * bench/interp_bench (bench/RESULTS-interp.md): the packet parser runs about 10% faster, the
 * FNV loop over 64 bytes 20-25%, the byte-sum loop over 256 bytes 35-40%.
 *
 * A group is fused only when no jump, call or function pointer lands on its later slots, so the
 * only way in is its first slot; the later slots keep their own translation (never dispatched,
 * but valid) and fault indexes stay the raw instruction numbers. The fused handlers charge the
 * budget exactly as the instructions they replace.
 */
#include <stdlib.h>

#include "interp_impl.h"

/* Slots something can jump to (or that cannot start a group's later part). */
static void mark_targets(const struct emu_insn *in, uint32_t cnt, uint8_t *tgt)
{
	for (uint32_t i = 0; i < cnt; i++) {
		uint8_t cls = EMU_CLASS(in[i].code), op = EMU_OP(in[i].code);
		int64_t t = -1;

		if (in[i].code == EMU_LD_IMM64) {
			if (i + 1 < cnt)
				tgt[i + 1] = 1; /* the value half */
			if (in[i].src_reg == EMU_PSEUDO_FUNC)
				t = (int64_t)i + in[i].imm + 1;
		} else if (cls == EMU_JMP && op == EMU_CALL) {
			if (in[i].src_reg == EMU_PSEUDO_CALL)
				t = (int64_t)i + in[i].imm + 1;
		} else if ((cls == EMU_JMP || cls == EMU_JMP32) && op != EMU_EXIT) {
			t = (int64_t)i + (cls == EMU_JMP32 && op == EMU_JA ? in[i].imm : in[i].off) + 1;
		}
		if (t >= 0 && t < (int64_t)cnt)
			tgt[t] = 1;
	}
}

static enum emu_xop addk_cond(enum emu_xop j)
{
#define X(c)                                                                                       \
	if (j == XOP_J64_##c##_K)                                                                  \
		return XOP_F_ADDK_##c;                                                             \
	if (j == XOP_J64_##c##_K_B)                                                                \
		return XOP_F_ADDK_##c##_B;
	EMU_JCONDS(X)
#undef X
	return XOP__COUNT;
}

void emu_fuse(const struct emu_insn *in, uint32_t cnt, enum emu_xop *ops)
{
	uint8_t *tgt = calloc(cnt + 1, 1);

	if (!tgt)
		return; /* fusing is an optimisation: unfused code is as correct */
	mark_targets(in, cnt, tgt);
	for (uint32_t i = 0; i + 1 < cnt; i++) {
		uint8_t d = in[i].dst_reg;

		if (tgt[i + 1])
			continue;
		if (ops[i] == XOP_A64_MOV_X) {
			if (ops[i + 1] == XOP_A64_ADD_K && in[i + 1].dst_reg == d) {
				if (i + 2 < cnt && !tgt[i + 2] && ops[i + 2] == XOP_J64_JGT_X && in[i + 2].dst_reg == d) {
					ops[i] = XOP_F_BOUNDS;
					i += 2;
				} else {
					ops[i] = XOP_F_MOV_ADDK;
					i++;
				}
			} else if (ops[i + 1] == XOP_A64_ADD_X && in[i + 1].dst_reg == d && in[i + 1].src_reg != d) {
				ops[i] = XOP_F_MOV_ADDX;
				i++;
			}
		} else if (ops[i] == XOP_A64_ADD_K && in[i + 1].dst_reg == d) {
			enum emu_xop f = addk_cond(ops[i + 1]);

			if (f != XOP__COUNT) {
				ops[i] = f;
				i++;
			} else if (ops[i + 1] == XOP_J64_JGT_X) {
				ops[i] = XOP_F_ADDK_JGTX;
				i++;
			}
		}
	}
	free(tgt);
}
