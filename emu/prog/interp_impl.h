/* SPDX-License-Identifier: MIT */
/*
 * Inside the BPF execution engine: the pre-decoded instruction form the translator (xlate.c)
 * writes and the run loop (run.c) executes, the operation list they share, and the per-run state
 * the memory checks (mem.c, mem_fast.h) read.
 *
 * Invariants of an image:
 *  - code[i] is the translation of raw instruction i (one slot per raw slot; an ld_imm64's second
 *    slot holds its 64-bit value in v64), so jump offsets and fault indexes are the raw ones;
 *  - code[cnt] is a FELL_OFF sentinel, so running off the end stops the run;
 *  - every jump, call and PSEUDO_FUNC target is a slot inside [0, cnt) that is not the second
 *    half of an ld_imm64; every opcode is in the kernel's instruction table;
 *  - an instruction that would write r10, name a register >= 11 or break another rule the
 *    verifier checks only where it explores is a TRAP slot (the verifier accepts such code when
 *    it is dead, and never lets a run reach it);
 *  - a LDX/STX/ST "_FP" operation's offset lies inside its frame: -512 <= off, off + size <= 0;
 *  - read-only after translation but for the region hints of memory sites (EMU_SITE_HINT).
 */
#ifndef BPFEMU_PROG_INTERP_IMPL_H
#define BPFEMU_PROG_INTERP_IMPL_H

#include <stdalign.h>
#include <stdint.h>

#include "interp.h"

/* Threaded dispatch (a handler address per slot, `goto *`) where the compiler has labels as
 * values; a switch over operation numbers elsewhere. EMU_INTERP_SWITCH forces the switch (tests
 * build both). */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(EMU_INTERP_SWITCH)
#define EMU_INTERP_THREADED 1
#else
#define EMU_INTERP_THREADED 0
#endif

/* Every operation the run loop has, one handler each. Names: A64/A32 ALU classes, _K/_X the
 * operand, J64/J32 conditional jumps (_B: jumps backwards, charged to the budget), _FP memory
 * operations at a constant offset from r10 (no run-time check). */
#define EMU_ALU_BINOPS(X) X(ADD) X(SUB) X(MUL) X(OR) X(AND) X(XOR) X(LSH) X(RSH) X(ARSH) X(MOV) \
	X(DIV) X(MOD) X(SDIV) X(SMOD)
#define EMU_JCONDS(X) X(JEQ) X(JNE) X(JGT) X(JGE) X(JLT) X(JLE) X(JSET) X(JSGT) X(JSGE) X(JSLT) X(JSLE)
#define EMU_SIZES(X) X(B) X(H) X(W) X(DW)
#define EMU_ATOMIC_OPS(X) X(ADD) X(OR) X(AND) X(XOR) X(FADD) X(FOR) X(FAND) X(FXOR) X(XCHG) X(CMPXCHG)

#define EMU_XOP_ALU(o) X(A64_##o##_K) X(A64_##o##_X) X(A32_##o##_K) X(A32_##o##_X)
#define EMU_XOP_JMP(c) X(J64_##c##_K) X(J64_##c##_X) X(J32_##c##_K) X(J32_##c##_X) \
	X(J64_##c##_K_B) X(J64_##c##_X_B) X(J32_##c##_K_B) X(J32_##c##_X_B)
#define EMU_XOP_MEM(s) X(LDX_##s) X(LDX_FP_##s) X(STX_##s) X(STX_FP_##s) X(ST_##s) X(ST_FP_##s) \
	X(LDACQ_##s) X(STREL_##s)
#define EMU_XOP_ATOMIC(o) X(AT_W_##o) X(AT_DW_##o)
#define EMU_XOP_FUSED_J(c) X(F_ADDK_##c) X(F_ADDK_##c##_B)

/* The full list, given a macro X(name). */
#define EMU_XOPS_LIST                                                                              \
	EMU_ALU_BINOPS(EMU_XOP_ALU)                                                                \
	X(A64_NEG) X(A32_NEG) X(A64_MOVSX8) X(A64_MOVSX16) X(A64_MOVSX32) X(A32_MOVSX8)           \
	X(A32_MOVSX16) X(ZEXT16) X(ZEXT32) X(NOP) X(BSWAP16) X(BSWAP32) X(BSWAP64) X(LD_IMM64)     \
	EMU_JCONDS(EMU_XOP_JMP)                                                                    \
	X(JA) X(JA_B) X(JA32) X(JA32_B) X(MAY_GOTO) X(MAY_GOTO_B)                                  \
	X(CALL_HELPER) X(CALL_ARRAY_LOOKUP) X(CALL_SUB) X(TAIL_CALL) X(EXIT) X(FELL_OFF) X(TRAP)                        \
	EMU_SIZES(EMU_XOP_MEM)                                                                     \
	X(LDXS_B) X(LDXS_H) X(LDXS_W) X(LDXS_FP_B) X(LDXS_FP_H) X(LDXS_FP_W)                        \
	EMU_ATOMIC_OPS(EMU_XOP_ATOMIC)                                                             \
	X(LD_ABS_B) X(LD_ABS_H) X(LD_ABS_W) X(LD_IND_B) X(LD_IND_H) X(LD_IND_W)                    \
	X(FAULT_A64_ADD_K) X(FAULT_A64_ADD_X)                                                      \
	X(F_MOV_ADDK) X(F_MOV_ADDX) X(F_BOUNDS) X(F_ADDK_JGTX) EMU_JCONDS(EMU_XOP_FUSED_J)

enum emu_xop {
#define X(n) XOP_##n,
	EMU_XOPS_LIST
#undef X
	XOP__COUNT
};

/* One pre-decoded instruction: 16 bytes on 64-bit hosts. */
struct emu_xinsn {
	union {
		const void *h; /* threaded: the handler's label */
		uintptr_t op;  /* switch: enum emu_xop */
		uint64_t v64;  /* second slot of an ld_imm64: the value */
	};
	uint8_t dst, src;
	int16_t off; /* jumps: raw offset; CALL_SUB: bytes of the callee's frame to zero */
	int32_t imm; /* CALL_SUB: raw offset of the callee; CALL_HELPER: index into helpers[] */
};
/* CALL_ARRAY_LOOKUP (inline_lookup.h): imm indexes helpers[] as CALL_HELPER's (the generic call
 * it falls back to), off indexes arrays[]. */
/* LDX, LDXS, STX, atomic, LDACQ and STREL slots checked at run time (not _FP, not ST, whose imm is
 * its value): imm is the site's region hint (mem.c: hint_hit), an index into a run's region list
 * that the slow path of the memory check tests first and rewrites when the walk finds another.
 * The only field of an image written after translation: with relaxed atomics, as a guess that
 * every use checks. */
#define EMU_SITE_HINT(pc) ((uint32_t *)(uintptr_t) & (pc)->imm)

/* An inlined array lookup's map (interp.h), with the bound the run compares indexes against
 * (max_entries; one more under the planted fault "inline-array-bound") and the region of all its
 * values. */
struct emu_inline_array {
	struct emu_xlate_array a;
	uint32_t limit;
	struct emu_region rg;
};

struct emu_prog_image {
	struct emu_xinsn *code; /* cnt + 1 slots */
	uint32_t cnt;
	uint16_t main_zero;       /* bytes of the entry frame zeroed at entry */
	emu_helper_fn *helpers;   /* CALL_HELPER's imm indexes this */
	uint32_t nr_helpers;
	uint32_t *entries;        /* subprogram entries, sorted, entries[0] == 0 */
	uint16_t *entry_zero;     /* per entry: frame bytes to zero */
	uint32_t nr_entries;
	struct emu_insn *raw;     /* a copy of the raw instructions, for diagnostics */
	char **traps;             /* TRAP's imm indexes this: why the instruction cannot run */
	uint32_t nr_traps;
	struct emu_inline_array *arrays; /* the maps of inlined lookups, one each; runs of this image */
	uint32_t nr_arrays;              /* have their value regions from entry (mem.c) */
};


/* fuse.c: rewrites ops[] (one per raw slot) to superinstructions where groups allow. */
void emu_fuse(const struct emu_insn *in, uint32_t cnt, enum emu_xop *ops);

/* run.c: runs from pc in a frame whose r10 is fp until that frame exits; 0 with r0, or the error
 * that stopped the run (run->fault filled). img == NULL: the label table through *r0. */
int emu_run_loop(struct emu_run_state *S, const struct emu_prog_image *img, const struct emu_xinsn *pc,
		 const uint64_t *args, uint64_t fp, uint64_t *r0);

/* The run loop's labels, in enum emu_xop order (NULL when not threaded). */
const void *const *emu_interp_labels(void);

/* ---- per-run state ---- */

struct emu_frame {
	const struct emu_xinsn *ret;
	const struct emu_prog_image *img;
	uint64_t r6, r7, r8, r9;
	uint64_t may_goto, may_goto_ts;
};

#define EMU_STACK_TOTAL (EMU_MAX_CALL_FRAMES * EMU_STACK_SIZE)
#define EMU_INLINE_REGIONS 16

struct emu_run_state {
	/* last-hit caches (mem_fast.h), two entries each: [lo, hi), or empty (emu_caches_empty) */
	uintptr_t rlo, rhi, rlo2, rhi2; /* readable regions: the latest, the one before */
	uintptr_t wlo, whi, wlo2, whi2; /* readable and writable regions */
	uintptr_t stk_lo, stk_hi; /* the live frames: [r10 - 512, top of frame 0) */
	uintptr_t ctx_lo, ctx_hi;
	/* the context's fast table (emu_ctx_desc.fast) and hooks; ctx_fast_n 0: none */
	const uint16_t *ctx_fast;
	uint64_t ctx_fast_n;
	uint64_t (*ctx_load)(struct emu_run *run, uint32_t off, uint32_t size);
	void (*ctx_store)(struct emu_run *run, uint32_t off, uint32_t size, uint64_t value);
	struct emu_run *run;
	const struct emu_prog_image *img; /* the image of the running frame */
	const struct emu_xinsn *pc;       /* at a helper call: the call */
	int64_t budget;                   /* while a helper runs */
	uint32_t depth;                   /* frames in use, 1 = entry frame */
	uint32_t tail_calls;
	bool mg_timed;                    /* may_goto: the JIT's time bound, or a plain count */
	uint64_t mg_init;                 /* a new frame's may_goto counter */
	uint8_t stack_fill;               /* what a new frame's bytes start as */
	uint8_t hint_flip;                /* fault builds: planted fault "region-hint-value" */
	int err;                          /* != 0: stop after the current helper */
	struct emu_region *rg;
	uint32_t nrg, caprg;
	/* fault details gathered by mem.c before the run loop names the instruction */
	uint64_t f_addr;
	uint32_t f_size;
	bool f_write;
	char f_msg[200];
	struct emu_region rg_inline[EMU_INLINE_REGIONS];
	alignas(64) uint8_t stack[EMU_STACK_TOTAL];
};

/* mem.c: the slow paths behind mem_fast.h. 0, or a negative errno with f_* set. A load's *v is
 * zero-extended from n bytes, or a context hook's value as the hook gave it. hint: the site's
 * region hint (EMU_SITE_HINT), or NULL for a site without one. */
int emu_mem_load_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, uint64_t *v);
int emu_mem_store_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, uint64_t v);
int emu_mem_atomic_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, bool write);
int emu_mem_add_region(struct emu_run_state *S, uintptr_t start, uintptr_t end, uint32_t flags, uint32_t kind);
/* mem.c: the value regions of img's inlined lookups become regions of the run (at entry, and
 * when a tail call enters img). 0, or -ENOMEM. */
int emu_run_add_image_regions(struct emu_run_state *S, const struct emu_prog_image *img);
void emu_mem_fini(struct emu_run_state *S);
/* Fills run->fault from S and the instruction at pc. */
void emu_run_set_fault(struct emu_run_state *S, const struct emu_prog_image *img, const struct emu_xinsn *pc,
		       int err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
