/* SPDX-License-Identifier: MIT */
/*
 * The hand-written program corpus of diff_check: instruction arrays with the reason the kernel
 * should refuse them (or "valid"), built with the instruction macros below. Maps are named by
 * index (M_*); diff_check creates them on the kernel and patches their fds in.
 */
#ifndef BPFEMU_TESTS_CHECK_CASES_H
#define BPFEMU_TESTS_CHECK_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "../../emu/uapi/bpf_insn.h"

enum {
	M_HASH, M_ARRAY, M_ARRAY1, M_RINGBUF, M_QUEUE, M_PROGARR, M_DEVMAP, M_RDONLY, M_PERCPU, M_STACK,
	M_COUNT
};
#define MAPREF(k) (0x7ff00000 + (k))
#define IS_MAPREF(imm) ((imm) >= 0x7ff00000 && (imm) < 0x7ff00000 + M_COUNT)

#define MAX_CASE_INSNS 96

struct check_case {
	const char *reason;   /* "valid" or what the kernel refuses it for */
	const char *name;
	uint32_t type, eat, flags;
	bool nongpl;
	bool loose;           /* the checker is not expected to give the kernel's errno and line */
	uint32_t cnt;
	struct emu_insn insn[MAX_CASE_INSNS];
};

extern const struct check_case check_cases[];
extern const unsigned check_ncases;

/* instructions */
#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define MOV64I(d, i) I(0xb7, d, 0, 0, i)
#define MOV32I(d, i) I(0xb4, d, 0, 0, i)
#define MOV64R(d, s) I(0xbf, d, s, 0, 0)
#define MOV32R(d, s) I(0xbc, d, s, 0, 0)
#define ALU64I(op, d, i) I(0x07 | (op), d, 0, 0, i)
#define ALU64R(op, d, s) I(0x0f | (op), d, s, 0, 0)
#define ALU32I(op, d, i) I(0x04 | (op), d, 0, 0, i)
#define ALU32R(op, d, s) I(0x0c | (op), d, s, 0, 0)
#define LDX(sz, d, s, o) I(0x61 | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(0x63 | (sz), d, s, o, 0)
#define ST(sz, d, o, i) I(0x62 | (sz), d, 0, o, i)
#define JA(o) I(0x05, 0, 0, o, 0)
#define JI(op, d, i, o) I(0x05 | (op), d, 0, o, i)
#define JR(op, d, s, o) I(0x0d | (op), d, s, o, 0)
#define J32I(op, d, i, o) I(0x06 | (op), d, 0, o, i)
#define CALL(h) I(0x85, 0, 0, 0, h)
#define PCALL(o) I(0x85, 0, 1, 0, o)
#define EXIT I(0x95, 0, 0, 0, 0)
#define LD64(d, lo, hi) I(0x18, d, 0, 0, lo), I(0, 0, 0, 0, hi)
#define LDMAP(d, k) I(0x18, d, 1, 0, MAPREF(k)), I(0, 0, 0, 0, 0)
#define LDMAPVAL(d, k, off) I(0x18, d, 2, 0, MAPREF(k)), I(0, 0, 0, 0, off)
#define LDFUNC(d, o) I(0x18, d, 4, 0, o), I(0, 0, 0, 0, 0)
#define W 0x00
#define H 0x08
#define B 0x10
#define DW 0x18
/* r2 = fp - 8 with *(u64 *)(fp - 8) = 0: a map key on the stack */
#define KEY_ON_STACK ST(DW, 10, -8, 0), MOV64R(2, 10), ALU64I(0x00, 2, -8)

#endif
