/* SPDX-License-Identifier: MIT */
/*
 * One raw instruction as text, in the shapes the kernel's verifier log prints
 * ("r1 = *(u32 *)(r2 +4)", "if w1 s> 0x5 goto pc+3", "lock *(u64 *)(r10 -8) += r1"). For
 * diagnostics and test reports; helper names are printed as their ids.
 */
#include <stdio.h>

#include "interp_impl.h"

static const char *const alu_ops[16] = {
	[EMU_ADD >> 4] = "+=", [EMU_SUB >> 4] = "-=", [EMU_MUL >> 4] = "*=", [EMU_DIV >> 4] = "/=",
	[EMU_OR >> 4] = "|=", [EMU_AND >> 4] = "&=", [EMU_LSH >> 4] = "<<=", [EMU_RSH >> 4] = ">>=",
	[EMU_MOD >> 4] = "%=", [EMU_XOR >> 4] = "^=", [EMU_MOV >> 4] = "=", [EMU_ARSH >> 4] = "s>>=",
};

static const char *const jmp_ops[16] = {
	[EMU_JEQ >> 4] = "==", [EMU_JGT >> 4] = ">", [EMU_JGE >> 4] = ">=", [EMU_JSET >> 4] = "&",
	[EMU_JNE >> 4] = "!=", [EMU_JSGT >> 4] = "s>", [EMU_JSGE >> 4] = "s>=", [EMU_JLT >> 4] = "<",
	[EMU_JLE >> 4] = "<=", [EMU_JSLT >> 4] = "s<", [EMU_JSLE >> 4] = "s<=",
};

static const char *const size_names[4] = { "u32", "u16", "u8", "u64" };
static const char *const ssize_names[4] = { "s32", "s16", "s8", "s64" };

static void alu(const struct emu_insn *in, char *buf, size_t len)
{
	bool is64 = EMU_CLASS(in->code) == EMU_ALU64;
	char r = is64 ? 'r' : 'w';
	uint32_t op = EMU_OP(in->code);

	if (op == EMU_NEG) {
		snprintf(buf, len, "%c%u = -%c%u", r, in->dst_reg, r, in->dst_reg);
	} else if (op == EMU_END) {
		if (is64)
			snprintf(buf, len, "r%u = bswap%d r%u", in->dst_reg, in->imm, in->dst_reg);
		else
			snprintf(buf, len, "r%u = %s%d r%u", in->dst_reg, EMU_SRC(in->code) ? "be" : "le", in->imm,
				 in->dst_reg);
	} else if (op == EMU_MOV && EMU_SRC(in->code) == EMU_X && in->off) {
		snprintf(buf, len, "%c%u = (s%d)%c%u", r, in->dst_reg, in->off, r, in->src_reg);
	} else if (alu_ops[op >> 4]) {
		const char *s = (op == EMU_DIV || op == EMU_MOD) && in->off == 1 ? "s" : "";

		if (EMU_SRC(in->code) == EMU_X)
			snprintf(buf, len, "%c%u %s%s %c%u", r, in->dst_reg, s, alu_ops[op >> 4], r, in->src_reg);
		else
			snprintf(buf, len, "%c%u %s%s %d", r, in->dst_reg, s, alu_ops[op >> 4], in->imm);
	} else {
		snprintf(buf, len, "(%02x) unknown", in->code);
	}
}

static void jmp(const struct emu_insn *in, char *buf, size_t len)
{
	bool is64 = EMU_CLASS(in->code) == EMU_JMP;
	char r = is64 ? 'r' : 'w';
	uint32_t op = EMU_OP(in->code);

	if (op == EMU_JA)
		snprintf(buf, len, is64 ? "goto pc%+d" : "gotol pc%+d", is64 ? in->off : in->imm);
	else if (op == EMU_CALL)
		snprintf(buf, len, in->src_reg == EMU_PSEUDO_CALL ? "call pc%+d" : "call #%d", in->imm);
	else if (op == EMU_EXIT)
		snprintf(buf, len, "exit");
	else if (op == EMU_JCOND)
		snprintf(buf, len, "may_goto pc%+d", in->off);
	else if (jmp_ops[op >> 4] && EMU_SRC(in->code) == EMU_X)
		snprintf(buf, len, "if %c%u %s %c%u goto pc%+d", r, in->dst_reg, jmp_ops[op >> 4], r, in->src_reg,
			 in->off);
	else if (jmp_ops[op >> 4])
		snprintf(buf, len, "if %c%u %s %#x goto pc%+d", r, in->dst_reg, jmp_ops[op >> 4], (uint32_t)in->imm,
			 in->off);
	else
		snprintf(buf, len, "(%02x) unknown", in->code);
}

static void atomic(const struct emu_insn *in, char *buf, size_t len)
{
	unsigned sz = EMU_SIZE(in->code) >> 3;
	const char *t = size_names[sz];
	bool dw = EMU_SIZE(in->code) == EMU_DW;
	char r = dw ? 'r' : 'w';
	const char *name = NULL;

	switch (in->imm) {
	case EMU_ADD: name = "+="; break;
	case EMU_OR: name = "|="; break;
	case EMU_AND: name = "&="; break;
	case EMU_XOR: name = "^="; break;
	}
	if (name) {
		snprintf(buf, len, "lock *(%s *)(r%u %+d) %s %c%u", t, in->dst_reg, in->off, name, r, in->src_reg);
		return;
	}
	switch (in->imm) {
	case EMU_ADD | EMU_FETCH: name = "fetch_add"; break;
	case EMU_OR | EMU_FETCH: name = "fetch_or"; break;
	case EMU_AND | EMU_FETCH: name = "fetch_and"; break;
	case EMU_XOR | EMU_FETCH: name = "fetch_xor"; break;
	case EMU_XCHG: name = "xchg"; break;
	}
	if (name)
		snprintf(buf, len, "%c%u = atomic%s_%s((%s *)(r%u %+d), %c%u)", r, in->src_reg, dw ? "64" : "", name,
			 t, in->dst_reg, in->off, r, in->src_reg);
	else if (in->imm == EMU_CMPXCHG)
		snprintf(buf, len, "%c0 = atomic%s_cmpxchg((%s *)(r%u %+d), %c0, %c%u)", r, dw ? "64" : "", t,
			 in->dst_reg, in->off, r, r, in->src_reg);
	else if (in->imm == EMU_LOAD_ACQ)
		snprintf(buf, len, "%c%u = load_acquire((%s *)(r%u %+d))", dw ? 'r' : 'w', in->dst_reg, t,
			 in->src_reg, in->off);
	else if (in->imm == EMU_STORE_REL)
		snprintf(buf, len, "store_release((%s *)(r%u %+d), %c%u)", t, in->dst_reg, in->off, dw ? 'r' : 'w',
			 in->src_reg);
	else
		snprintf(buf, len, "(%02x) unknown atomic %#x", in->code, (uint32_t)in->imm);
}

void emu_insn_disasm(const struct emu_insn *in, char *buf, size_t len)
{
	unsigned sz = EMU_SIZE(in->code) >> 3;

	switch (EMU_CLASS(in->code)) {
	case EMU_ALU:
	case EMU_ALU64:
		alu(in, buf, len);
		return;
	case EMU_JMP:
	case EMU_JMP32:
		jmp(in, buf, len);
		return;
	case EMU_LDX:
		snprintf(buf, len, "r%u = *(%s *)(r%u %+d)", in->dst_reg,
			 EMU_MODE(in->code) == EMU_MEMSX ? ssize_names[sz] : size_names[sz], in->src_reg, in->off);
		return;
	case EMU_ST:
		snprintf(buf, len, "*(%s *)(r%u %+d) = %d", size_names[sz], in->dst_reg, in->off, in->imm);
		return;
	case EMU_STX:
		if (EMU_MODE(in->code) == EMU_ATOMIC)
			atomic(in, buf, len);
		else
			snprintf(buf, len, "*(%s *)(r%u %+d) = r%u", size_names[sz], in->dst_reg, in->off, in->src_reg);
		return;
	case EMU_LD:
		if (in->code == EMU_LD_IMM64) {
			uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;

			if (in->src_reg)
				snprintf(buf, len, "r%u = pseudo(%u, %d, %d) ll", in->dst_reg, in->src_reg, in->imm,
					 in[1].imm);
			else
				snprintf(buf, len, "r%u = %#llx ll", in->dst_reg, (unsigned long long)v);
		} else if (EMU_MODE(in->code) == EMU_ABS) {
			snprintf(buf, len, "r0 = *(%s *)skb[%d]", size_names[sz], in->imm);
		} else if (EMU_MODE(in->code) == EMU_IND) {
			snprintf(buf, len, "r0 = *(%s *)skb[r%u + %d]", size_names[sz], in->src_reg, in->imm);
		} else {
			snprintf(buf, len, "(%02x) unknown", in->code);
		}
		return;
	}
}
