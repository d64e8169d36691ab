/* SPDX-License-Identifier: MIT */
/* Short instruction builders for the hand-written programs of the differential suites, on top of
 * emu/prog/insn_build.h's EI_RAW (the kernel's BPF_* macro shapes live there). */
#ifndef BPFEMU_DIFF_INSNS_H
#define BPFEMU_DIFF_INSNS_H

#include "prog/insn_build.h"

#define I(code, dst, src, off, imm) EI_RAW(code, dst, src, off, imm)
#define MOV_K(d, k) I(EMU_ALU64 | EMU_MOV | EMU_K, d, 0, 0, k)
#define MOV_X(d, s) I(EMU_ALU64 | EMU_MOV | EMU_X, d, s, 0, 0)
#define ADD_K(d, k) I(EMU_ALU64 | EMU_ADD | EMU_K, d, 0, 0, k)
#define LSH_K(d, k) I(EMU_ALU64 | EMU_LSH | EMU_K, d, 0, 0, k)
#define XOR_X(d, s) I(EMU_ALU64 | EMU_XOR | EMU_X, d, s, 0, 0)
#define ST_W(d, off, k) I(EMU_ST | EMU_W | EMU_MEM, d, 0, off, k)
#define ST_DW(d, off, k) I(EMU_ST | EMU_DW | EMU_MEM, d, 0, off, k)
#define LDX_W(d, s, off) I(EMU_LDX | EMU_W | EMU_MEM, d, s, off, 0)
#define LDX_B(d, s, off) I(EMU_LDX | EMU_B | EMU_MEM, d, s, off, 0)
#define JEQ_K(d, k, off) I(EMU_JMP | 0x10 /* JEQ */, d, 0, off, k)
#define JGT_X(d, s, off) I(EMU_JMP | 0x20 /* JGT */ | EMU_X, d, s, off, 0)
#define JNE_K(d, k, off) I(EMU_JMP | 0x50 /* JNE */, d, 0, off, k)
#define CALL(fn) I(EMU_JMP | 0x80 /* CALL */, 0, 0, 0, fn)
#define EXIT() I(EMU_JMP | 0x90 /* EXIT */, 0, 0, 0, 0)
/* r = the map of fd (BPF_PSEUDO_MAP_FD): two instructions */
#define LD_MAP_FD(r, fd) I(EMU_LD | EMU_DW | EMU_IMM, r, 1, 0, fd), I(0, 0, 0, 0, 0)

#endif
