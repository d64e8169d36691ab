/* SPDX-License-Identifier: MIT */
/*
 * The run loop: executes a translated image (xlate.c) one pre-decoded slot at a time, with
 * threaded dispatch (`goto *pc->h`, one indirect branch per handler, each predicted on its own)
 * where the compiler has labels as values, and a switch elsewhere. Every handler is one
 * operation variant, decoded at translation: no opcode, size or source decoding happens here.
 *
 * Semantics are Linux 6.18's as its verifier leaves a program and its JITs run it:
 *  - division by zero yields 0, modulo by zero leaves dst (32-bit: its low half, zero-extended),
 *    signed division by -1 negates and signed modulo by -1 yields 0 (do_misc_fixups' patches);
 *  - shift amounts are masked to the operand width; 32-bit results are zero-extended;
 *  - a failed LD_ABS/LD_IND returns 0 from the current function (bpf_gen_ld_abs' rewrite);
 *  - may_goto keeps the verifier's per-frame counter: EMU_MAX_TIMED_LOOPS between clock checks
 *    and 250 ms in all (the x86-64 JIT's timed may_goto), or EMU_MAX_LOOPS iterations with
 *    EMU_RUN_MAY_GOTO_COUNT (the interpreter's);
 *  - a tail call to a populated slot is counted, 33 at most per run across all frames (the
 *    x86-64 JIT's shared counter; out-of-range indexes and empty slots fall through uncounted),
 *    and replaces the running program in the current frame, registers and stack kept;
 *  - bpf-to-bpf calls get a fresh 512-byte frame below the caller's and keep r6-r9.
 *
 * Superinstructions (fuse.c) run a group of slots in one handler. Registers live in an array on
 * this function's frame; pc, the budget, the image and the may_goto counter of the current frame
 * in locals. Per instruction that costs an indirect jump and a load and store of the register
 * array: about 1 ns per instruction on straight-line code here (bench/RESULTS-interp.md). Call
 * frames of bpf-to-bpf calls are a local array; a callback a helper makes (emu_run_callback,
 * entry.c) runs a nested emu_run_loop on the same stack buffer and depth count, so the 8-frame
 * limit and the live stack region span both.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inline_lookup.h"
#include "interp_impl.h"
#include "mem_fast.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

/* LD_ABS/LD_IND's load (bpf_skb_load_helper_{8,16,32} as the rewrite calls them): big-endian,
 * false when out of bounds. */
static inline bool ld_pkt(const struct emu_run *run, int32_t k, uint32_t n, uint64_t *v)
{
	const uint8_t *p = NULL;
	uintptr_t end = (uintptr_t)run->pkt_end;

	if (k >= 0) {
		uintptr_t data = (uintptr_t)run->pkt_data;

		if (data && end >= data && end - data >= n && (uint64_t)(end - data - n) >= (uint64_t)k)
			p = run->pkt_data + k;
	} else {
		const uint8_t *base = NULL;
		uint32_t o = 0;

		if (k >= SKF_NET_OFF) {
			base = run->skb_net;
			o = (uint32_t)(k - SKF_NET_OFF);
		} else if (k >= SKF_LL_OFF) {
			base = run->skb_mac;
			o = (uint32_t)(k - SKF_LL_OFF);
		}
		if (base && end >= (uintptr_t)base && end - (uintptr_t)base >= n &&
		    end - (uintptr_t)base - n >= o)
			p = base + o;
	}
	if (!p)
		return false;
	if (n == 1)
		*v = p[0];
	else if (n == 2)
		*v = (uint64_t)p[0] << 8 | p[1];
	else
		*v = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
	return true;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A may_goto counter that reached 0: its next value (bpf_check_timed_may_goto's rule: the first
 * refresh starts the clock, a refresh 250 ms later ends the loop). */
static __attribute__((noinline)) uint64_t may_goto_refresh(struct emu_run_state *S, uint64_t *ts)
{
	uint64_t now;

	S->run->may_goto_checks++;
	if (!S->mg_timed)
		return 0;
	now = mono_ns();
	if (!*ts) {
		*ts = now;
		return EMU_MAX_TIMED_LOOPS;
	}
	return now - *ts >= EMU_MAY_GOTO_NS ? 0 : EMU_MAX_TIMED_LOOPS;
}

#ifdef EMU_INTERP_COUNT
/* Benches only (bench/interp_count.c builds a copy of this file with it): instructions run. */
uint64_t emu_interp_count;
#endif

#ifdef BPFEMU_FAULT_INJECTION
#define FAULT_FLIP 1u /* the planted fault's flipped bit (xlate.c picks the instruction) */
#define HINT_FLIP ((uint64_t)S->hint_flip) /* planted fault "region-hint-value" (entry.c) */
#else
#define FAULT_FLIP 0u
#define HINT_FLIP 0u
#endif

int emu_run_loop(struct emu_run_state *S, const struct emu_prog_image *img, const struct emu_xinsn *pc,
		    const uint64_t *args, uint64_t fp, uint64_t *r0)
{
#if EMU_INTERP_THREADED
	static const void *const labels[XOP__COUNT] = {
#define X(n) [XOP_##n] = &&L_##n,
		EMU_XOPS_LIST
#undef X
	};
#endif
	struct emu_frame fr[EMU_MAX_CALL_FRAMES];
	unsigned nf = 0;
	uint64_t R[EMU_MAX_BPF_REG];
	uint64_t mg, mg_ts = 0;
	int64_t budget;
	struct emu_run *run;
	int e = 0;

	if (!img) {
#if EMU_INTERP_THREADED
		*r0 = (uint64_t)(uintptr_t)labels;
#else
		*r0 = 0;
#endif
		return 0;
	}
	run = S->run;
	budget = S->budget;
	mg = S->mg_init;
	memset(R, 0, sizeof(R));
	R[1] = args[0];
	R[2] = args[1];
	R[3] = args[2];
	R[4] = args[3];
	R[5] = args[4];
	R[10] = fp;

#define D R[pc->dst]
#define SRC R[pc->src]
#define K64 ((uint64_t)(int64_t)pc->imm)
#define K32 ((uint32_t)pc->imm)
#define HINT EMU_SITE_HINT(pc) /* a LDX/STX/atomic site's region hint (mem.c) */
#ifdef EMU_INTERP_COUNT
#define COUNT() (emu_interp_count++)
#define COUNT_MORE(n) (emu_interp_count += (n)) /* a superinstruction's other halves */
#else
#define COUNT() ((void)0)
#define COUNT_MORE(n) ((void)0)
#endif
#if EMU_INTERP_THREADED
#define OP(n) L_##n:
#define DISPATCH()                                                                                 \
	do {                                                                                       \
		COUNT();                                                                           \
		goto *pc->h;                                                                       \
	} while (0)
#else
#define OP(n) case XOP_##n:
#define DISPATCH()                                                                                 \
	do {                                                                                       \
		COUNT();                                                                           \
		goto dispatch;                                                                     \
	} while (0)
#endif
#define NEXT()                                                                                     \
	do {                                                                                       \
		pc++;                                                                              \
		DISPATCH();                                                                        \
	} while (0)
/* a taken forward jump */
#define JF(o)                                                                                      \
	do {                                                                                       \
		pc += (o) + 1;                                                                     \
		DISPATCH();                                                                        \
	} while (0)
/* a taken backward jump (o < 0): charges the -o instructions it goes back over */
#define JB(o)                                                                                      \
	do {                                                                                       \
		budget += (o);                                                                     \
		if (unlikely(budget < 0))                                                          \
			goto out_budget;                                                           \
		pc += (o) + 1;                                                                     \
		DISPATCH();                                                                        \
	} while (0)

#if EMU_INTERP_THREADED
	DISPATCH();
	{
#else
	COUNT();
dispatch:
	switch ((enum emu_xop)pc->op) {
#endif

	/* ---- ALU ---- */
#define ALU_PLAIN(N, O)                                                                            \
	OP(A64_##N##_X) D = D O SRC; NEXT();                                                       \
	OP(A64_##N##_K) D = D O K64; NEXT();                                                       \
	OP(A32_##N##_X) D = (uint32_t)((uint32_t)D O (uint32_t)SRC); NEXT();                       \
	OP(A32_##N##_K) D = (uint32_t)((uint32_t)D O K32); NEXT();
	ALU_PLAIN(ADD, +)
	ALU_PLAIN(SUB, -)
	ALU_PLAIN(MUL, *)
	ALU_PLAIN(OR, |)
	ALU_PLAIN(AND, &)
	ALU_PLAIN(XOR, ^)
#undef ALU_PLAIN
	OP(A64_LSH_X) D = D << (SRC & 63); NEXT();
	OP(A64_LSH_K) D = D << (pc->imm & 63); NEXT();
	OP(A32_LSH_X) D = (uint32_t)((uint32_t)D << (SRC & 31)); NEXT();
	OP(A32_LSH_K) D = (uint32_t)((uint32_t)D << (pc->imm & 31)); NEXT();
	OP(A64_RSH_X) D = D >> (SRC & 63); NEXT();
	OP(A64_RSH_K) D = D >> (pc->imm & 63); NEXT();
	OP(A32_RSH_X) D = (uint32_t)D >> (SRC & 31); NEXT();
	OP(A32_RSH_K) D = (uint32_t)D >> (pc->imm & 31); NEXT();
	OP(A64_ARSH_X) D = (uint64_t)((int64_t)D >> (SRC & 63)); NEXT();
	OP(A64_ARSH_K) D = (uint64_t)((int64_t)D >> (pc->imm & 63)); NEXT();
	OP(A32_ARSH_X) D = (uint32_t)((int32_t)D >> (SRC & 31)); NEXT();
	OP(A32_ARSH_K) D = (uint32_t)((int32_t)D >> (pc->imm & 31)); NEXT();
	OP(A64_MOV_X) D = SRC; NEXT();
	OP(A64_MOV_K) D = K64; NEXT();
	OP(A32_MOV_X) D = (uint32_t)SRC; NEXT();
	OP(A32_MOV_K) D = K32; NEXT();

#define DIV64(N, S_EXPR)                                                                           \
	OP(A64_DIV_##N) { uint64_t s = S_EXPR; D = s ? D / s : 0; NEXT(); }                          \
	OP(A64_MOD_##N) { uint64_t s = S_EXPR; if (s) D = D % s; NEXT(); }                           \
	OP(A64_SDIV_##N) {                                                                         \
		int64_t s = (int64_t)(S_EXPR);                                                     \
		if (unlikely(s == 0))                                                              \
			D = 0;                                                                     \
		else if (unlikely(s == -1))                                                        \
			D = -D;                                                                    \
		else                                                                               \
			D = (uint64_t)((int64_t)D / s);                                            \
		NEXT();                                                                            \
	}                                                                                          \
	OP(A64_SMOD_##N) {                                                                         \
		int64_t s = (int64_t)(S_EXPR);                                                     \
		if (unlikely(s == -1))                                                             \
			D = 0;                                                                     \
		else if (likely(s != 0))                                                           \
			D = (uint64_t)((int64_t)D % s);                                            \
		NEXT();                                                                            \
	}
#define DIV32(N, S_EXPR)                                                                           \
	OP(A32_DIV_##N) { uint32_t s = (uint32_t)(S_EXPR); D = s ? (uint32_t)D / s : 0; NEXT(); }    \
	OP(A32_MOD_##N) {                                                                          \
		uint32_t s = (uint32_t)(S_EXPR);                                                   \
		D = s ? (uint32_t)D % s : (uint32_t)D;                                             \
		NEXT();                                                                            \
	}                                                                                          \
	OP(A32_SDIV_##N) {                                                                         \
		int32_t s = (int32_t)(S_EXPR);                                                     \
		if (unlikely(s == 0))                                                              \
			D = 0;                                                                     \
		else if (unlikely(s == -1))                                                        \
			D = (uint32_t)(0u - (uint32_t)D);                                          \
		else                                                                               \
			D = (uint32_t)((int32_t)D / s);                                            \
		NEXT();                                                                            \
	}                                                                                          \
	OP(A32_SMOD_##N) {                                                                         \
		int32_t s = (int32_t)(S_EXPR);                                                     \
		if (unlikely(s == -1))                                                             \
			D = 0;                                                                     \
		else if (unlikely(s == 0))                                                         \
			D = (uint32_t)D;                                                           \
		else                                                                               \
			D = (uint32_t)((int32_t)D % s);                                            \
		NEXT();                                                                            \
	}
	DIV64(X, SRC)
	DIV64(K, K64)
	DIV32(X, SRC)
	DIV32(K, K32)
#undef DIV64
#undef DIV32

	OP(A64_NEG) D = 0 - D; NEXT();
	OP(A32_NEG) D = (uint32_t)(0u - (uint32_t)D); NEXT();
	OP(A64_MOVSX8) D = (uint64_t)(int64_t)(int8_t)SRC; NEXT();
	OP(A64_MOVSX16) D = (uint64_t)(int64_t)(int16_t)SRC; NEXT();
	OP(A64_MOVSX32) D = (uint64_t)(int64_t)(int32_t)SRC; NEXT();
	OP(A32_MOVSX8) D = (uint32_t)(int32_t)(int8_t)SRC; NEXT();
	OP(A32_MOVSX16) D = (uint32_t)(int32_t)(int16_t)SRC; NEXT();
	OP(ZEXT16) D = (uint16_t)D; NEXT();
	OP(ZEXT32) D = (uint32_t)D; NEXT();
	OP(NOP) NEXT();
	OP(BSWAP16) D = __builtin_bswap16((uint16_t)D); NEXT();
	OP(BSWAP32) D = __builtin_bswap32((uint32_t)D); NEXT();
	OP(BSWAP64) D = __builtin_bswap64(D); NEXT();
	OP(LD_IMM64) D = pc[1].v64; pc += 2; DISPATCH();

	/* the planted fault (tests only): an ADD whose result has one bit flipped */
	OP(FAULT_A64_ADD_K) D = (D + K64) ^ FAULT_FLIP; NEXT();
	OP(FAULT_A64_ADD_X) D = (D + SRC) ^ FAULT_FLIP; NEXT();

	/* ---- jumps ---- */
#define JCMP(C, T, O)                                                                              \
	OP(J64_##C##_X) if ((T##64_t)D O (T##64_t)SRC) JF(pc->off); NEXT();                        \
	OP(J64_##C##_K) if ((T##64_t)D O (T##64_t)K64) JF(pc->off); NEXT();                        \
	OP(J32_##C##_X) if ((T##32_t)D O (T##32_t)SRC) JF(pc->off); NEXT();                        \
	OP(J32_##C##_K) if ((T##32_t)D O (T##32_t)pc->imm) JF(pc->off); NEXT();                    \
	OP(J64_##C##_X_B) if ((T##64_t)D O (T##64_t)SRC) JB(pc->off); NEXT();                      \
	OP(J64_##C##_K_B) if ((T##64_t)D O (T##64_t)K64) JB(pc->off); NEXT();                      \
	OP(J32_##C##_X_B) if ((T##32_t)D O (T##32_t)SRC) JB(pc->off); NEXT();                      \
	OP(J32_##C##_K_B) if ((T##32_t)D O (T##32_t)pc->imm) JB(pc->off); NEXT();
	JCMP(JEQ, uint, ==)
	JCMP(JNE, uint, !=)
	JCMP(JGT, uint, >)
	JCMP(JGE, uint, >=)
	JCMP(JLT, uint, <)
	JCMP(JLE, uint, <=)
	JCMP(JSET, uint, &)
	JCMP(JSGT, int, >)
	JCMP(JSGE, int, >=)
	JCMP(JSLT, int, <)
	JCMP(JSLE, int, <=)
#undef JCMP
	OP(JA) JF(pc->off);
	OP(JA_B) JB(pc->off);
	OP(JA32) JF(pc->imm);
	OP(JA32_B) JB(pc->imm);
	/* the verifier's rewrite: if (cnt == 0) goto target; cnt--; */
	OP(MAY_GOTO) {
		if (unlikely(mg == 0))
			JF(pc->off);
		if (unlikely(--mg == 0))
			mg = may_goto_refresh(S, &mg_ts);
		NEXT();
	}
	OP(MAY_GOTO_B) {
		if (unlikely(mg == 0))
			JB(pc->off);
		if (unlikely(--mg == 0))
			mg = may_goto_refresh(S, &mg_ts);
		NEXT();
	}

	/* ---- superinstructions (fuse.c): the later slots are never dispatched ---- */
	OP(F_MOV_ADDK) {
		D = R[pc->src] + (uint64_t)(int64_t)pc[1].imm;
		COUNT_MORE(1);
		pc += 2;
		DISPATCH();
	}
	OP(F_MOV_ADDX) {
		D = R[pc->src] + R[pc[1].src];
		COUNT_MORE(1);
		pc += 2;
		DISPATCH();
	}
	OP(F_BOUNDS) {
		uint64_t v = R[pc->src] + (uint64_t)(int64_t)pc[1].imm;

		D = v;
		COUNT_MORE(2);
		pc += 2;
		if (v > R[pc->src])
			JF(pc->off);
		NEXT();
	}
	OP(F_ADDK_JGTX) {
		uint64_t v = D + K64;

		D = v;
		COUNT_MORE(1);
		pc++;
		if (v > R[pc->src])
			JF(pc->off);
		NEXT();
	}
#define FADDK(C, T, O)                                                                             \
	OP(F_ADDK_##C) {                                                                           \
		uint64_t v = D + K64;                                                              \
		D = v;                                                                             \
		COUNT_MORE(1);                                                                     \
		pc++;                                                                              \
		if ((T##64_t)v O (T##64_t)K64)                                                     \
			JF(pc->off);                                                               \
		NEXT();                                                                            \
	}                                                                                          \
	OP(F_ADDK_##C##_B) {                                                                       \
		uint64_t v = D + K64;                                                              \
		D = v;                                                                             \
		COUNT_MORE(1);                                                                     \
		pc++;                                                                              \
		if ((T##64_t)v O (T##64_t)K64)                                                     \
			JB(pc->off);                                                               \
		NEXT();                                                                            \
	}
	FADDK(JEQ, uint, ==)
	FADDK(JNE, uint, !=)
	FADDK(JGT, uint, >)
	FADDK(JGE, uint, >=)
	FADDK(JLT, uint, <)
	FADDK(JLE, uint, <=)
	FADDK(JSET, uint, &)
	FADDK(JSGT, int, >)
	FADDK(JSGE, int, >=)
	FADDK(JSLT, int, <)
	FADDK(JSLE, int, <=)
#undef FADDK

	/* ---- calls ---- */
	OP(CALL_ARRAY_LOOKUP) {
		uint64_t v;

		if (likely(emu_inline_array_lookup(S, &img->arrays[(uint16_t)pc->off], R[1], R[2], &v))) {
			R[0] = v;
			NEXT();
		}
		goto call_helper; /* what the inline does not decide, the helper does */
	}
	OP(CALL_HELPER) call_helper: {
		S->pc = pc;
		S->img = img;
		S->budget = budget;
		R[0] = img->helpers[pc->imm](run, R[1], R[2], R[3], R[4], R[5]);
		budget = S->budget;
		if (unlikely(S->err))
			goto out_helper;
		NEXT();
	}
	OP(CALL_SUB) {
		struct emu_frame *f;

		if (unlikely(S->depth >= EMU_MAX_CALL_FRAMES))
			goto out_depth;
		if (unlikely(--budget < 0))
			goto out_budget;
		f = &fr[nf++];
		f->ret = pc + 1;
		f->img = img;
		f->r6 = R[6];
		f->r7 = R[7];
		f->r8 = R[8];
		f->r9 = R[9];
		f->may_goto = mg;
		f->may_goto_ts = mg_ts;
		S->depth++;
		R[10] -= EMU_STACK_SIZE;
		S->stk_lo = R[10] - EMU_STACK_SIZE;
		if (pc->off)
			memset((void *)(uintptr_t)(R[10] - (uint16_t)pc->off), S->stack_fill, (uint16_t)pc->off);
		mg = S->mg_init;
		mg_ts = 0;
		pc += pc->imm + 1;
		DISPATCH();
	}
	OP(TAIL_CALL) {
		const struct emu_prog_image *np = NULL;
		int in_range;

		if (!run->tail_call)
			NEXT();
		S->pc = pc;
		S->img = img;
		S->budget = budget;
		in_range = run->tail_call(run, R[2], (uint32_t)R[3], &np);
		budget = S->budget;
		if (unlikely(S->err))
			goto out_helper;
		/* out of range, over the limit or an empty slot: fall through, uncounted */
		if (in_range < 0 || S->tail_calls >= EMU_MAX_TAIL_CALL_CNT || !np)
			NEXT();
		S->tail_calls++;
		if (unlikely(--budget < 0))
			goto out_budget;
		img = np;
		if (img->nr_arrays && unlikely((e = emu_run_add_image_regions(S, img)) != 0)) {
			S->budget = budget;
			S->f_size = 0;
			emu_run_set_fault(S, img, img->code, e, "no memory for the regions of a tail call's program");
			return e;
		}
		if (img->main_zero)
			memset((void *)(uintptr_t)(R[10] - img->main_zero), S->stack_fill, img->main_zero);
		mg = S->mg_init;
		mg_ts = 0;
		pc = img->code;
		DISPATCH();
	}
	OP(EXIT) do_exit: {
		struct emu_frame *f;

		if (nf == 0)
			goto out_ok;
		f = &fr[--nf];
		pc = f->ret;
		img = f->img;
		R[6] = f->r6;
		R[7] = f->r7;
		R[8] = f->r8;
		R[9] = f->r9;
		mg = f->may_goto;
		mg_ts = f->may_goto_ts;
		R[10] += EMU_STACK_SIZE;
		S->depth--;
		S->stk_lo = R[10] - EMU_STACK_SIZE;
		emu_caches_empty(S); /* the live stack shrank */
		DISPATCH();
	}
	OP(FELL_OFF) goto out_fell;
	OP(TRAP) goto out_trap;

	/* ---- loads and stores ---- */
#define LDST(SZ, N, T)                                                                             \
	OP(LDX_##SZ) {                                                                             \
		uint64_t a = SRC + (uint64_t)(int64_t)pc->off;                                     \
		if (likely(emu_rd_hit(S, a, N))) {                                                 \
			T v;                                                                       \
			memcpy(&v, (const void *)(uintptr_t)a, N);                                 \
			D = v;                                                                     \
		} else {                                                                           \
			uint64_t v;                                                                \
			if (emu_ctx_load_fast(S, a, N, &v)) {                                      \
			} else if (emu_hint_hit(S, HINT, a, N, EMU_MEM_READ)) {                    \
				T x;                                                               \
				memcpy(&x, (const void *)(uintptr_t)a, N);                         \
				v = x ^ HINT_FLIP;                                                 \
			} else if (unlikely((e = emu_mem_load_slow(S, HINT, a, N, &v)) != 0)) {    \
				goto out_mem;                                                      \
			}                                                                          \
			D = v; /* zero-extended, or a context hook's whole value */                \
		}                                                                                  \
		NEXT();                                                                            \
	}                                                                                          \
	OP(LDX_FP_##SZ) {                                                                          \
		T v;                                                                               \
		memcpy(&v, (const void *)(uintptr_t)(R[10] + (uint64_t)(int64_t)pc->off), N);     \
		D = v;                                                                             \
		NEXT();                                                                            \
	}                                                                                          \
	OP(STX_##SZ) {                                                                             \
		uint64_t a = D + (uint64_t)(int64_t)pc->off;                                       \
		T v = (T)SRC;                                                                      \
		if (likely(emu_wr_hit(S, a, N)))                                                   \
			memcpy((void *)(uintptr_t)a, &v, N);                                       \
		else if (emu_ctx_store_fast(S, a, N, v)) {                                         \
		} else if (emu_hint_hit(S, HINT, a, N, EMU_MEM_WRITE)) {                           \
			memcpy((void *)(uintptr_t)a, &v, N);                                       \
		} else if (unlikely((e = emu_mem_store_slow(S, HINT, a, N, v)) != 0)) {            \
			goto out_mem;                                                              \
		}                                                                                  \
		NEXT();                                                                            \
	}                                                                                          \
	OP(STX_FP_##SZ) {                                                                          \
		T v = (T)SRC;                                                                      \
		memcpy((void *)(uintptr_t)(D + (uint64_t)(int64_t)pc->off), &v, N);               \
		NEXT();                                                                            \
	}                                                                                          \
	OP(ST_##SZ) {                                                                              \
		uint64_t a = D + (uint64_t)(int64_t)pc->off;                                       \
		T v = (T)K64;                                                                      \
		if (likely(emu_wr_hit(S, a, N)))                                                   \
			memcpy((void *)(uintptr_t)a, &v, N);                                       \
		else if (!emu_ctx_store_fast(S, a, N, v) &&                                        \
			 unlikely((e = emu_mem_store_slow(S, NULL, a, N, v)) != 0))                \
			goto out_mem;                                                              \
		NEXT();                                                                            \
	}                                                                                          \
	OP(ST_FP_##SZ) {                                                                           \
		T v = (T)K64;                                                                      \
		memcpy((void *)(uintptr_t)(D + (uint64_t)(int64_t)pc->off), &v, N);               \
		NEXT();                                                                            \
	}                                                                                          \
	OP(LDACQ_##SZ) {                                                                           \
		uint64_t a = SRC + (uint64_t)(int64_t)pc->off;                                     \
		if (unlikely(a & (N - 1)))                                                         \
			goto out_align;                                                            \
		if (!emu_rd_hit(S, a, N) && !emu_hint_hit(S, HINT, a, N, EMU_MEM_READ) &&          \
		    unlikely((e = emu_mem_atomic_slow(S, HINT, a, N, false)) != 0))                \
			goto out_mem;                                                              \
		D = __atomic_load_n((T *)(uintptr_t)a, __ATOMIC_ACQUIRE);                          \
		NEXT();                                                                            \
	}                                                                                          \
	OP(STREL_##SZ) {                                                                           \
		uint64_t a = D + (uint64_t)(int64_t)pc->off;                                       \
		if (unlikely(a & (N - 1)))                                                         \
			goto out_align;                                                            \
		if (!emu_wr_hit(S, a, N) && !emu_hint_hit(S, HINT, a, N, EMU_MEM_READ | EMU_MEM_WRITE) && \
		    unlikely((e = emu_mem_atomic_slow(S, HINT, a, N, true)) != 0))                 \
			goto out_mem;                                                              \
		__atomic_store_n((T *)(uintptr_t)a, (T)SRC, __ATOMIC_RELEASE);                     \
		NEXT();                                                                            \
	}
	LDST(B, 1, uint8_t)
	LDST(H, 2, uint16_t)
	LDST(W, 4, uint32_t)
	LDST(DW, 8, uint64_t)
#undef LDST
#define LDSX(SZ, N, T)                                                                             \
	OP(LDXS_##SZ) {                                                                            \
		uint64_t a = SRC + (uint64_t)(int64_t)pc->off;                                     \
		if (likely(emu_rd_hit(S, a, N))) {                                                 \
			T v;                                                                       \
			memcpy(&v, (const void *)(uintptr_t)a, N);                                 \
			D = (uint64_t)(int64_t)v;                                                  \
		} else {                                                                           \
			uint64_t v;                                                                \
			if (emu_hint_hit(S, HINT, a, N, EMU_MEM_READ)) {                           \
				T x;                                                               \
				memcpy(&x, (const void *)(uintptr_t)a, N);                         \
				v = (uint64_t)(int64_t)x;                                          \
			} else if (unlikely((e = emu_mem_load_slow(S, HINT, a, N, &v)) != 0)) {    \
				goto out_mem;                                                      \
			}                                                                          \
			D = (uint64_t)(int64_t)(T)v;                                               \
		}                                                                                  \
		NEXT();                                                                            \
	}                                                                                          \
	OP(LDXS_FP_##SZ) {                                                                         \
		T v;                                                                               \
		memcpy(&v, (const void *)(uintptr_t)(R[10] + (uint64_t)(int64_t)pc->off), N);     \
		D = (uint64_t)(int64_t)v;                                                          \
		NEXT();                                                                            \
	}
	LDSX(B, 1, int8_t)
	LDSX(H, 2, int16_t)
	LDSX(W, 4, int32_t)
#undef LDSX

	/* ---- atomics: fully ordered with FETCH, relaxed without (the kernel's atomic_* /
	 * atomic_fetch_*); 32-bit results zero-extended ---- */
#define AT_ADDR(N)                                                                                 \
	uint64_t a = D + (uint64_t)(int64_t)pc->off;                                               \
	if (unlikely(a & (N - 1)))                                                                 \
		goto out_align;                                                                    \
	if (!emu_wr_hit(S, a, N) && !emu_hint_hit(S, HINT, a, N, EMU_MEM_READ | EMU_MEM_WRITE) &&         \
	    unlikely((e = emu_mem_atomic_slow(S, HINT, a, N, true)) != 0))                             \
		goto out_mem;
#define ATOMICS(SZ, N, T)                                                                          \
	OP(AT_##SZ##_ADD) { AT_ADDR(N) __atomic_fetch_add((T *)(uintptr_t)a, (T)SRC, __ATOMIC_RELAXED); NEXT(); } \
	OP(AT_##SZ##_OR) { AT_ADDR(N) __atomic_fetch_or((T *)(uintptr_t)a, (T)SRC, __ATOMIC_RELAXED); NEXT(); } \
	OP(AT_##SZ##_AND) { AT_ADDR(N) __atomic_fetch_and((T *)(uintptr_t)a, (T)SRC, __ATOMIC_RELAXED); NEXT(); } \
	OP(AT_##SZ##_XOR) { AT_ADDR(N) __atomic_fetch_xor((T *)(uintptr_t)a, (T)SRC, __ATOMIC_RELAXED); NEXT(); } \
	OP(AT_##SZ##_FADD) { AT_ADDR(N) SRC = __atomic_fetch_add((T *)(uintptr_t)a, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	OP(AT_##SZ##_FOR) { AT_ADDR(N) SRC = __atomic_fetch_or((T *)(uintptr_t)a, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	OP(AT_##SZ##_FAND) { AT_ADDR(N) SRC = __atomic_fetch_and((T *)(uintptr_t)a, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	OP(AT_##SZ##_FXOR) { AT_ADDR(N) SRC = __atomic_fetch_xor((T *)(uintptr_t)a, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	OP(AT_##SZ##_XCHG) { AT_ADDR(N) SRC = __atomic_exchange_n((T *)(uintptr_t)a, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	OP(AT_##SZ##_CMPXCHG) {                                                                    \
		AT_ADDR(N)                                                                         \
		T old = (T)R[0];                                                                   \
		__atomic_compare_exchange_n((T *)(uintptr_t)a, &old, (T)SRC, false, __ATOMIC_SEQ_CST, \
					    __ATOMIC_SEQ_CST);                                     \
		R[0] = old;                                                                        \
		NEXT();                                                                            \
	}
	ATOMICS(W, 4, uint32_t)
	ATOMICS(DW, 8, uint64_t)
#undef ATOMICS
#undef AT_ADDR

	/* ---- legacy packet loads: r0 = the big-endian value, or return 0 ---- */
	{
		int32_t k;
		uint32_t n;
		uint64_t v;

	OP(LD_ABS_B) k = pc->imm; n = 1; goto ld_pkt;
	OP(LD_ABS_H) k = pc->imm; n = 2; goto ld_pkt;
	OP(LD_ABS_W) k = pc->imm; n = 4; goto ld_pkt;
	OP(LD_IND_B) k = (int32_t)(uint32_t)(SRC + K64); n = 1; goto ld_pkt;
	OP(LD_IND_H) k = (int32_t)(uint32_t)(SRC + K64); n = 2; goto ld_pkt;
	OP(LD_IND_W) k = (int32_t)(uint32_t)(SRC + K64); n = 4; goto ld_pkt;
	ld_pkt:
		if (likely(ld_pkt(run, k, n, &v))) {
			R[0] = v;
			NEXT();
		}
		R[0] = 0;
		goto do_exit;
	}

#if !EMU_INTERP_THREADED
	default:
		goto out_fell;
#endif
	}

out_ok:
	S->budget = budget;
	*r0 = R[0];
	return 0;
out_mem:
	S->budget = budget;
	emu_run_set_fault(S, img, pc, e, "%s", S->f_msg);
	return e;
out_align:
	S->budget = budget;
	S->f_size = 0;
	emu_run_set_fault(S, img, pc, -EINVAL, "misaligned atomic access");
	return -EINVAL;
out_depth:
	S->budget = budget;
	S->f_size = 0;
	emu_run_set_fault(S, img, pc, -E2BIG, "call depth exceeds %d frames", EMU_MAX_CALL_FRAMES);
	return -E2BIG;
out_budget:
	S->budget = 0;
	S->f_size = 0;
	emu_run_set_fault(S, img, pc, -ELOOP, "instruction budget of %llu exhausted",
			  (unsigned long long)(run->insn_budget ? run->insn_budget : EMU_RUN_DEFAULT_BUDGET));
	return -ELOOP;
out_fell:
	S->budget = budget;
	S->f_size = 0;
	emu_run_set_fault(S, img, pc, -EINVAL, "execution fell off the end of the program");
	return -EINVAL;
out_trap:
	S->budget = budget;
	S->f_size = 0;
	emu_run_set_fault(S, img, pc, -EINVAL, "%s: an instruction the verifier accepts only as dead code",
			  img->traps[pc->imm]);
	return -EINVAL;
out_helper:
	/* the helper, or a callback it ran, has filled run->fault */
	return S->err;
#undef D
#undef SRC
#undef K64
#undef K32
#undef HINT
#undef OP
#undef DISPATCH
#undef COUNT
#undef COUNT_MORE
#undef NEXT
#undef JF
#undef JB
}

const void *const *emu_interp_labels(void)
{
	uint64_t t = 0;

	emu_run_loop(NULL, NULL, NULL, NULL, 0, &t);
	return (const void *const *)(uintptr_t)t;
}

