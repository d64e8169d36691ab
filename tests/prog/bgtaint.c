/* SPDX-License-Identifier: MIT */
/*
 * bg_pointer_clean (bpfgen.h): whether a generated or mutated program's results may depend on
 * the numeric value of a pointer, which the kernel and the emulator do not share.
 */
#include <stdlib.h>
#include <string.h>

#include "bpfgen.h"

/*
 * Whether a program's results may depend on the numeric value of a pointer: a forward
 * may-analysis of which registers and 8-byte stack slots can hold a pointer (to the stack, the
 * context, packet data or the packet's end) at each instruction, joined over every path. A
 * pointer used as a number taints the program: compared with anything but another packet
 * pointer, in arithmetic other than plus or minus a number, stored outside the stack or in part,
 * returned, or given to LD_IND. Mutated programs can do all of that, and the kernel's addresses
 * (upper half) and the emulator's (lower half) then give different answers that are nobody's
 * mistake. Conservative: calls in main are analysed with their callees' r0 taken as a pointer
 * of any kind when the callee can return one. */
enum { P_STK = 1, P_CTX = 2, P_PKT = 4, P_END = 8, P_ANY = 15 };

struct pstate {
	uint8_t reg[11];
	uint8_t slot[64]; /* [r10 - 8 * (k + 1), +8) */
};

static bool pjoin(struct pstate *dst, const struct pstate *src)
{
	bool changed = false;

	for (int i = 0; i < 11; i++)
		if ((dst->reg[i] | src->reg[i]) != dst->reg[i])
			dst->reg[i] |= src->reg[i], changed = true;
	for (int i = 0; i < 64; i++)
		if ((dst->slot[i] | src->slot[i]) != dst->slot[i])
			dst->slot[i] |= src->slot[i], changed = true;
	return changed;
}

/* The stack slot of [r10 + off, +n) when r10-relative and inside one slot, else -1. */
static int pslot(int off, unsigned n)
{
	if (off >= 0 || off < -512 || (-off - 1) / 8 != (-(off + (int)n - 1) - 1) / 8)
		return -1;
	return (-off - 1) / 8;
}

/* Analyses the function starting at `entry` with `in` at its entry; ORs the kinds r0 may hold at
 * its exits into *ret. Returns false when tainted. */
static bool pfunc(const struct bg_prog *p, uint32_t entry, const struct pstate *in, uint8_t *ret, int depth)
{
	static const unsigned nbytes[4] = { 4, 2, 1, 8 };
	struct pstate *st = calloc(p->n + 1, sizeof(*st));
	uint8_t *seen = calloc(p->n + 1, 1), *vis = calloc(p->n + 1, 1);
	uint32_t *work = calloc(p->n + 1, sizeof(*work)), nw = 0;
	bool clean = true;

	if (!st || !seen || !vis || !work || depth > 8) {
		free(st), free(seen), free(vis), free(work);
		return false;
	}
	st[entry] = *in;
	seen[entry] = vis[entry] = 1;
	work[nw++] = entry;
	while (nw && clean) {
		uint32_t i = work[--nw];
		const struct emu_insn *x = &p->insns[i];
		struct pstate s = st[i];
		uint8_t cls = EMU_CLASS(x->code), op = EMU_OP(x->code), d = x->dst_reg, r = x->src_reg;
		uint32_t succ[2];
		int ns = 0;

		seen[i] = 0;
		if (d > 10 || r > 10)
			goto next_only; /* a trap: never executed by a verified program */
		switch (cls) {
		case EMU_ALU64:
		case EMU_ALU: {
			bool x_src = EMU_SRC(x->code) == EMU_X;
			uint8_t sk = x_src ? s.reg[r] : 0;

			if (cls == EMU_ALU64 && op == EMU_MOV && x->off == 0) {
				s.reg[d] = sk;
			} else if (cls == EMU_ALU64 && (op == EMU_ADD || op == EMU_SUB)) {
				if (s.reg[d] && sk)
					clean = false;
				else if (sk && op == EMU_ADD)
					s.reg[d] = sk;
				else if (sk)
					clean = false;
			} else {
				if (s.reg[d] || sk)
					clean = false;
				s.reg[d] = 0;
			}
			break;
		}
		case EMU_LDX: {
			int k = s.reg[r] == P_STK ? pslot(x->off, nbytes[EMU_SIZE(x->code) >> 3]) : -1;

			if (s.reg[r] == P_CTX && p->mode == BG_XDP && x->off < 12)
				s.reg[d] = x->off < 4 ? P_PKT : x->off < 8 ? P_END : P_PKT;
			else
				s.reg[d] = k >= 0 ? s.slot[k] : 0;
			break;
		}
		case EMU_ST:
		case EMU_STX: {
			unsigned n = nbytes[EMU_SIZE(x->code) >> 3];
			int k = s.reg[d] == P_STK ? pslot(x->off, n) : -1;
			uint8_t v = cls == EMU_STX ? s.reg[r] : 0;

			if (cls == EMU_STX && EMU_MODE(x->code) == EMU_ATOMIC) {
				if (x->imm == EMU_LOAD_ACQ) {
					k = s.reg[r] == P_STK ? pslot(x->off, n) : -1;
					s.reg[d] = k >= 0 ? s.slot[k] : 0;
					break;
				}
				if (v || (k >= 0 && s.slot[k]) || (x->imm == EMU_CMPXCHG && s.reg[0]))
					clean = false;
				if (x->imm & EMU_FETCH)
					s.reg[x->imm == EMU_CMPXCHG ? 0 : r] = 0;
				break;
			}
			if (v && (k < 0 || n != 8 || (x->off & 7)))
				clean = false; /* a pointer stored outside the stack, or in part */
			if (k >= 0 && n == 8 && !(x->off & 7))
				s.slot[k] = v;
			break;
		}
		case EMU_LD:
			if (x->code == EMU_LD_IMM64) {
				s.reg[d] = x->src_reg ? P_ANY : 0;
				succ[ns++] = i + 2;
				goto join;
			}
			if (EMU_MODE(x->code) == EMU_IND && s.reg[r])
				clean = false;
			s.reg[0] = 0;
			for (int q = 1; q <= 5; q++)
				s.reg[q] = 0;
			break;
		case EMU_JMP:
		case EMU_JMP32:
			if (op == EMU_EXIT) {
				*ret |= s.reg[0];
				continue;
			}
			if (op == EMU_CALL) {
				if (x->src_reg == EMU_PSEUDO_CALL) {
					struct pstate cin;
					uint8_t cret = 0;
					int64_t t = (int64_t)i + x->imm + 1;

					memset(&cin, 0, sizeof(cin));
					for (int q = 1; q <= 5; q++)
						cin.reg[q] = s.reg[q];
					cin.reg[10] = P_STK;
					if (t < 0 || t >= (int64_t)p->n || !pfunc(p, (uint32_t)t, &cin, &cret, depth + 1))
						clean = false;
					s.reg[0] = cret;
				} else {
					for (int q = 1; q <= 5; q++)
						if (s.reg[q])
							clean = false;
					s.reg[0] = 0;
				}
				for (int q = 1; q <= 5; q++)
					s.reg[q] = 0;
				break;
			}
			if (op == EMU_JA || op == EMU_JCOND) {
				int64_t t = (int64_t)i + (cls == EMU_JMP32 ? x->imm : x->off) + 1;

				if (t >= 0 && t <= (int64_t)p->n)
					succ[ns++] = (uint32_t)t;
				if (op == EMU_JCOND)
					succ[ns++] = i + 1;
				goto join;
			}
			{
				uint8_t a = s.reg[d], b = EMU_SRC(x->code) == EMU_X ? s.reg[r] : 0;

				if ((a || b) && !(a && b && !(a & ~(P_PKT | P_END)) && !(b & ~(P_PKT | P_END))))
					clean = false;
				if ((int64_t)i + x->off + 1 >= 0 && (int64_t)i + x->off + 1 <= (int64_t)p->n)
					succ[ns++] = (uint32_t)((int64_t)i + x->off + 1);
			}
			break;
		}
	next_only:
		succ[ns++] = i + 1;
	join:
		for (int q = 0; q < ns; q++) {
			uint32_t t = succ[q];

			if (t >= p->n)
				continue;
			if ((pjoin(&st[t], &s) || !vis[t]) && !seen[t]) {
				vis[t] = seen[t] = 1;
				work[nw++] = t;
			}
		}
	}
	free(st), free(seen), free(vis), free(work);
	return clean;
}

bool bg_pointer_clean(const struct bg_prog *p)
{
	struct pstate in;
	uint8_t ret = 0;

	memset(&in, 0, sizeof(in));
	in.reg[1] = P_CTX;
	in.reg[10] = P_STK;
	return pfunc(p, 0, &in, &ret, 0) && !ret;
}
