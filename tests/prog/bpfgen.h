/* SPDX-License-Identifier: MIT */
/*
 * A random BPF program generator for the interpreter's differential test: programs a privileged
 * 6.18 verifier accepts (most of the time), whose every result is observable.
 *
 * BG_SYSCALL: a BPF_PROG_TYPE_SYSCALL program over a BG_CTX_SIZE-byte context. The prologue
 * loads registers and fills eight stack slots from the context's inputs; the body is random
 * ALU/ALU64, JMP/JMP32 (forward, plus at most one counted loop), stack stores and loads of every
 * size and sign, atomics on the stack, ld_imm64, MOVSX, sdiv/smod, byte swaps, context loads and
 * stores, and bpf-to-bpf calls into generated subprograms; the epilogue writes r0-r9 and the
 * stack slots back into the context, which test_run copies out.
 *
 * BG_LDABS: a BPF_PROG_TYPE_SOCKET_FILTER program of LD_ABS/LD_IND loads at offsets inside,
 * around and outside the packet (SKF_NET_OFF/SKF_LL_OFF too), folded into r0: test_run's retval.
 *
 * BG_XDP: a BPF_PROG_TYPE_XDP program that checks the packet holds BG_XDP_NEED bytes (or
 * returns XDP_PASS at once), then loads and stores packet bytes at constant, unaligned offsets
 * through a packet pointer, and writes r0-r8 and the stack slots into the packet: data_out.
 */
#ifndef BPFEMU_TESTS_BPFGEN_H
#define BPFEMU_TESTS_BPFGEN_H

#include <stdbool.h>
#include <stdint.h>

#include "prog/insn_build.h"

#define BG_MAX_INSNS 512

/* SYSCALL context layout */
#define BG_IN 0          /* 16 u64 inputs */
#define BG_OUT_REGS 128  /* r0-r9 after the body */
#define BG_OUT_STACK 208 /* the eight scratch stack slots */
#define BG_CTX_AREA 272  /* bytes the body loads and stores directly */
#define BG_CTX_AREA_SIZE 48
#define BG_CTX_SIZE 320

#define BG_PKT_MAX 96

/* XDP packet layout */
#define BG_XDP_AREA 96    /* [0, 96): bytes the body loads and stores */
#define BG_XDP_REGS 96    /* r0-r8 after the body */
#define BG_XDP_STACK 168  /* the eight stack slots */
#define BG_XDP_NEED 232
#define BG_XDP_PKT_MAX 300

enum bg_mode { BG_SYSCALL, BG_LDABS, BG_XDP, BG_NR_MODES };

struct bg_prog {
	enum bg_mode mode;
	uint32_t n;
	struct emu_insn insns[BG_MAX_INSNS];
};

/* xorshift64* */
static inline uint64_t bg_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline uint32_t bg_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(bg_rand(s) % n) : 0;
}

/* A value with the corners represented: 0, +-1, the 32- and 64-bit extremes, small numbers. */
uint64_t bg_value(uint64_t *rng);

void bg_generate(struct bg_prog *p, enum bg_mode mode, uint64_t *rng);
/* Inputs for one run: the SYSCALL context, or a packet (returns its length). */
void bg_ctx_inputs(uint8_t *ctx, uint64_t *rng);
uint32_t bg_packet(uint8_t *pkt, uint64_t *rng);
uint32_t bg_xdp_packet(uint8_t *pkt, uint64_t *rng);
/* Whether no result of p can depend on the numeric value of a pointer (see bpfgen.c). */
bool bg_pointer_clean(const struct bg_prog *p);

#endif
