/* SPDX-License-Identifier: MIT */
/*
 * Abstract values of the walk: a 64-bit quantity known as a tnum (bits known 0/1, the rest
 * unknown: value/mask) together with unsigned and signed ranges. Every operation is sound: the
 * concrete result of any concrete inputs the abstract inputs allow is allowed by the result.
 * As the kernel, 32-bit ranges of the low half are kept besides (what JMP32 compares learn), and
 * each kind of knowledge tightens the others (sv_sync).
 */
#ifndef BPFEMU_PROG_SCALAR_H
#define BPFEMU_PROG_SCALAR_H

#include <stdbool.h>
#include <stdint.h>

struct sval {
	uint64_t v, m;        /* tnum: bits in m unknown; v has them 0 */
	uint64_t umin, umax;
	int64_t smin, smax;
	uint32_t u32min, u32max; /* the low 32 bits, unsigned and signed (JMP32, 32-bit ALU) */
	int32_t s32min, s32max;
};

void sv_const(struct sval *s, uint64_t c);
void sv_unknown(struct sval *s);
bool sv_is_const(const struct sval *s);
/* tighten ranges and tnum against each other */
void sv_sync(struct sval *s);
/* dst = dst op src for ALU op (EMU_ADD...); alu32: low 32 bits, zero-extended */
void sv_alu(struct sval *dst, const struct sval *src, uint8_t op, bool alu32);
/* sign-extending moves: from the low `bits` bits (8, 16, 32), into 64 (or 32 for alu32) */
void sv_movsx(struct sval *dst, const struct sval *src, int bits, bool alu32);
/* the low `bytes` bytes, zero-extended (a narrow load) */
void sv_trunc(struct sval *s, int bytes);
/* the low 32 bits, zero-extended (a 32-bit move) */
void sv_zext32(struct sval *s);
/* byte swaps and truncations of BPF_END: result is a known value or unknown within `bits` */
void sv_end(struct sval *s, int bits, bool swap);

/* 1 taken, 0 not taken, -1 unknown: whether `a op b` (op a JMP op) holds */
int sv_branch(const struct sval *a, const struct sval *b, uint8_t op, bool is32);
/* narrow a and b assuming `a op b` is (taken) or is not (!taken) true; false if impossible */
bool sv_refine(struct sval *a, struct sval *b, uint8_t op, bool taken, bool is32);

/* old allows every value cur allows */
bool sv_within(const struct sval *old, const struct sval *cur);
bool sv_equal(const struct sval *a, const struct sval *b);

#endif
