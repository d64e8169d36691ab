/* SPDX-License-Identifier: MIT */
/*
 * Instruction builders in the shapes of the kernel's BPF_* macros, for code that writes BPF by
 * hand: tests, benches, and rewrites the emulator may generate. Each yields a struct emu_insn
 * compound literal (EI_LD_IMM64 two of them, for an array initialiser).
 */
#ifndef BPFEMU_PROG_INSN_BUILD_H
#define BPFEMU_PROG_INSN_BUILD_H

#include "../uapi/bpf_insn.h"

#define EI_RAW(c, d, s, o, i)                                                                      \
	((struct emu_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (int16_t)(o), .imm = (int32_t)(i) })

#define EI_ALU64_REG(op, d, s) EI_RAW(EMU_ALU64 | (op) | EMU_X, d, s, 0, 0)
#define EI_ALU64_IMM(op, d, i) EI_RAW(EMU_ALU64 | (op) | EMU_K, d, 0, 0, i)
#define EI_ALU32_REG(op, d, s) EI_RAW(EMU_ALU | (op) | EMU_X, d, s, 0, 0)
#define EI_ALU32_IMM(op, d, i) EI_RAW(EMU_ALU | (op) | EMU_K, d, 0, 0, i)
#define EI_SDIV64_REG(d, s) EI_RAW(EMU_ALU64 | EMU_DIV | EMU_X, d, s, 1, 0)
#define EI_SMOD64_REG(d, s) EI_RAW(EMU_ALU64 | EMU_MOD | EMU_X, d, s, 1, 0)
#define EI_SDIV32_REG(d, s) EI_RAW(EMU_ALU | EMU_DIV | EMU_X, d, s, 1, 0)
#define EI_SMOD32_REG(d, s) EI_RAW(EMU_ALU | EMU_MOD | EMU_X, d, s, 1, 0)
#define EI_MOV64_REG(d, s) EI_ALU64_REG(EMU_MOV, d, s)
#define EI_MOV64_IMM(d, i) EI_ALU64_IMM(EMU_MOV, d, i)
#define EI_MOV32_REG(d, s) EI_ALU32_REG(EMU_MOV, d, s)
#define EI_MOV32_IMM(d, i) EI_ALU32_IMM(EMU_MOV, d, i)
#define EI_MOVSX64(d, s, bits) EI_RAW(EMU_ALU64 | EMU_MOV | EMU_X, d, s, bits, 0)
#define EI_MOVSX32(d, s, bits) EI_RAW(EMU_ALU | EMU_MOV | EMU_X, d, s, bits, 0)
#define EI_NEG64(d) EI_RAW(EMU_ALU64 | EMU_NEG, d, 0, 0, 0)
#define EI_NEG32(d) EI_RAW(EMU_ALU | EMU_NEG, d, 0, 0, 0)
#define EI_ENDIAN(type, d, bits) EI_RAW(EMU_ALU | EMU_END | (type), d, 0, 0, bits) /* EMU_TO_LE/BE */
#define EI_BSWAP(d, bits) EI_RAW(EMU_ALU64 | EMU_END, d, 0, 0, bits)

#define EI_LD_IMM64_RAW(d, s, v)                                                                   \
	EI_RAW(EMU_LD_IMM64, d, s, 0, (uint32_t)(uint64_t)(v)),                                    \
		EI_RAW(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))
#define EI_LD_IMM64(d, v) EI_LD_IMM64_RAW(d, 0, v)
#define EI_LD_ABS(size, i) EI_RAW(EMU_LD | EMU_ABS | (size), 0, 0, 0, i)
#define EI_LD_IND(size, s, i) EI_RAW(EMU_LD | EMU_IND | (size), 0, s, 0, i)

#define EI_LDX_MEM(size, d, s, o) EI_RAW(EMU_LDX | EMU_MEM | (size), d, s, o, 0)
#define EI_LDX_MEMSX(size, d, s, o) EI_RAW(EMU_LDX | EMU_MEMSX | (size), d, s, o, 0)
#define EI_STX_MEM(size, d, s, o) EI_RAW(EMU_STX | EMU_MEM | (size), d, s, o, 0)
#define EI_ST_MEM(size, d, o, i) EI_RAW(EMU_ST | EMU_MEM | (size), d, 0, o, i)
#define EI_ATOMIC(size, op, d, s, o) EI_RAW(EMU_STX | EMU_ATOMIC | (size), d, s, o, op)

#define EI_JMP_REG(op, d, s, o) EI_RAW(EMU_JMP | (op) | EMU_X, d, s, o, 0)
#define EI_JMP_IMM(op, d, i, o) EI_RAW(EMU_JMP | (op) | EMU_K, d, 0, o, i)
#define EI_JMP32_REG(op, d, s, o) EI_RAW(EMU_JMP32 | (op) | EMU_X, d, s, o, 0)
#define EI_JMP32_IMM(op, d, i, o) EI_RAW(EMU_JMP32 | (op) | EMU_K, d, 0, o, i)
#define EI_JA(o) EI_RAW(EMU_JMP | EMU_JA, 0, 0, o, 0)
#define EI_GOTOL(o) EI_RAW(EMU_JMP32 | EMU_JA, 0, 0, 0, o)
#define EI_MAY_GOTO(o) EI_RAW(EMU_JMP | EMU_JCOND, 0, EMU_MAY_GOTO, o, 0)
#define EI_CALL_HELPER(id) EI_RAW(EMU_JMP | EMU_CALL, 0, 0, 0, id)
#define EI_CALL_REL(o) EI_RAW(EMU_JMP | EMU_CALL, 0, EMU_PSEUDO_CALL, 0, o)
#define EI_EXIT() EI_RAW(EMU_JMP | EMU_EXIT, 0, 0, 0, 0)

#define EI_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

#endif
