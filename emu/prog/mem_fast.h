/* SPDX-License-Identifier: MIT */
/*
 * The fast path of the run-time memory check: the two regions accesses hit last are remembered
 * (two for reads, two for read-write), and an access inside one is let through after two
 * compares (four when it is the older one).
 *
 * What it buys: a packet parser or a loop over a map value touches one region over and over; the
 * check costs `cmp; jb; cmp; ja` with both branches predicted (about one cycle) instead of a walk
 * over the context, the live stack and the region list (mem.c, about 80 instructions). The second
 * entry keeps programs that alternate between two regions (the packet and a map value, two
 * values a program looked up) off that walk, and a value a helper hands out enters the caches at
 * once (mem.c: the program touches it next). Loads and stores at a constant offset from r10 (the
 * bulk of compiled code's memory traffic) skip even this: the translator proved them inside the
 * frame (the _FP operations).
 *
 * Invariant: a cache entry holds [lo, hi) of a region that stays valid for every access it
 * admits: filled only by mem.c from a region with the needed permission, emptied (lo > hi)
 * whenever a region moves or goes away or the live stack shrinks (a return). The context is never
 * cached: its bytes carry per-field permissions and hooks (its own fast path is below).
 */
#ifndef BPFEMU_PROG_MEM_FAST_H
#define BPFEMU_PROG_MEM_FAST_H

#include <stdbool.h>
#include <string.h>

#include "interp_impl.h"

/* [a, a + n) inside a read cache entry. hi - n cannot wrap: cached regions start at 4096 or
 * above, and an empty entry is lo = UINT64_MAX, hi = 8 (emu_caches_empty), which no address
 * passes: only a = UINT64_MAX clears the first compare and it fails the second (8 - n < a). */
static inline __attribute__((always_inline)) int emu_rd_hit(const struct emu_run_state *S, uint64_t a,
							    uint64_t n)
{
#ifdef EMU_MEM_NO_FAST /* bench/interp_variant.c measures what the cache buys */
	(void)S, (void)a, (void)n;
	return 0;
#else
	return (a >= S->rlo && a <= S->rhi - n) || (a >= S->rlo2 && a <= S->rhi2 - n);
#endif
}

static inline __attribute__((always_inline)) int emu_wr_hit(const struct emu_run_state *S, uint64_t a,
							    uint64_t n)
{
#ifdef EMU_MEM_NO_FAST
	(void)S, (void)a, (void)n;
	return 0;
#else
	return (a >= S->wlo && a <= S->whi - n) || (a >= S->wlo2 && a <= S->whi2 - n);
#endif
}

/* A region the checks can use: starts past the NULL page, not inverted, some permission. */
static inline bool emu_region_ok(const struct emu_region *g)
{
	return g->start >= 4096 && g->end >= g->start && (g->flags & (EMU_MEM_READ | EMU_MEM_WRITE)) &&
	       !(g->flags & ~(EMU_MEM_READ | EMU_MEM_WRITE));
}

/* [lo, hi), a region with `flags`, becomes the latest entry of the caches its flags allow; the
 * latest before it, if another region, the older one. Only for regions of the run. */
static inline __attribute__((always_inline)) void emu_cache_fill(struct emu_run_state *S, uint64_t lo, uint64_t hi,
								   uint32_t flags)
{
	if ((flags & EMU_MEM_READ) && !(S->rlo == lo && S->rhi == hi)) {
		S->rlo2 = S->rlo;
		S->rhi2 = S->rhi;
		S->rlo = lo;
		S->rhi = hi;
	}
	if ((flags & (EMU_MEM_READ | EMU_MEM_WRITE)) == (EMU_MEM_READ | EMU_MEM_WRITE) &&
	    !(S->wlo == lo && S->whi == hi)) {
		S->wlo2 = S->wlo;
		S->whi2 = S->whi;
		S->wlo = lo;
		S->whi = hi;
	}
}

static inline void emu_caches_empty(struct emu_run_state *S)
{
	S->rlo = S->wlo = S->rlo2 = S->wlo2 = UINT64_MAX;
	S->rhi = S->whi = S->rhi2 = S->whi2 = 8;
}

/*
 * The region hint of an instruction site (EMU_SITE_HINT: a LDX/STX/atomic slot's imm), tested
 * after a cache miss: the index in the run's region list of the region the site's last slow-path
 * access found (mem.c records it), kept in the image from run to run.
 *
 * What it buys: the caches start empty at every run, so a program's first access to each region
 * (xdp_fw: the packet's first read, a global's, the .bss counter's atomic) took the slow path at
 * every run: the call, the context test, the walk over the stack and the region list, about 75
 * instructions each (bench/RESULTS-interp.md). A site meets the same region at the same index run
 * after run (the caller's regions, then the inlined arrays', in a fixed order), so the miss costs
 * this test and the cache fill instead.
 *
 * Why it is exact and never stale: the hint is an index, never an address, and only a guess. It
 * is tested against the region now at that index of this run's list with the walk's permission
 * and bounds tests; every entry of S->rg[0, nrg) is a live region of this run (a region that goes
 * away, a released ringbuf record, a callback's value, a moved packet edge, is removed from or
 * moved in the list, emu_run_update_region), so a hint only chooses which live region is tried
 * first: an access it admits is one the walk admits, and a wrong or out-of-range hint costs this
 * test and the walk. The hint EMU_HINT_STACK names the live stack (a callback's or callee's
 * pointer into a caller's frame misses after every return, which empties the caches), tested
 * against the live frames' bounds as the slow path does first. An access touching the context is
 * left to the slow path, which decides it
 * by the context's rules before any region, as before. Runs on other threads share the image:
 * the hint is read and written with relaxed atomics, and written only when it changes.
 */
#define EMU_HINT_STACK UINT32_MAX /* a hint for the live stack frames, not a region of the list */
static inline __attribute__((always_inline)) bool emu_hint_hit(struct emu_run_state *S, const uint32_t *hint,
							       uint64_t a, uint64_t n, uint32_t need)
{
#ifdef EMU_MEM_NO_FAST
	(void)S, (void)hint, (void)a, (void)n, (void)need;
	return false;
#else
	uint32_t i = __atomic_load_n(hint, __ATOMIC_RELAXED);
	const struct emu_region *g;

	if (a + n > S->ctx_lo && a < S->ctx_hi)
		return false;
	if (i >= S->nrg) {
		/* the live stack (read-write), as the slow path's first test */
		if (i != EMU_HINT_STACK || a < S->stk_lo || a > S->stk_hi - n)
			return false;
		emu_cache_fill(S, S->stk_lo, S->stk_hi, EMU_MEM_READ | EMU_MEM_WRITE);
		return true;
	}
	g = &S->rg[i];
	/* as emu_rd_hit: regions start at 4096 or above (emu_region_ok), so end - n cannot wrap */
	if ((g->flags & need) != need || a < g->start || a > g->end - n)
		return false;
	emu_cache_fill(S, g->start, g->end, g->flags);
	return true;
#endif
}

/*
 * The context's fast path (emu_ctx_desc.fast, built by emu_ctx_desc_fast in mem.c): per offset,
 * which sizes of load and store are plain memory and which go to the description's hook.
 *
 * What it buys: the context is never in the caches above, so before it every context access
 * took the slow path (a call, the range and per-byte permission checks, the hook through the
 * description: about 80 instructions). A classifier that reads its __sk_buff fields made some 60
 * of those a run, a third of its instructions (tc_nat, bench/RESULTS-interp.md); an XDP program
 * reads data and data_end through hooks. Now: a subtraction, a compare, a table load and a
 * test, then the access or the hook call. An access the table does not admit (a fault, a
 * sign-extending or atomic one) takes the slow path, which decides it as before.
 */
#define EMU_CTX_FAST_SZ(n) ((n) == 1 ? 0u : (n) == 2 ? 1u : (n) == 4 ? 2u : 3u)
#define EMU_CTX_FAST_LOAD(n) (0x0001u << EMU_CTX_FAST_SZ(n))       /* plain memory */
#define EMU_CTX_FAST_STORE(n) (0x0010u << EMU_CTX_FAST_SZ(n))
#define EMU_CTX_FAST_LOAD_HOOK(n) (0x0100u << EMU_CTX_FAST_SZ(n))  /* emu_ctx_desc.load */
#define EMU_CTX_FAST_STORE_HOOK(n) (0x1000u << EMU_CTX_FAST_SZ(n)) /* emu_ctx_desc.store */

/* A load of n bytes at a: true with *v (zero-extended, or the hook's value) when the table
 * admits it. */
static inline __attribute__((always_inline)) bool emu_ctx_load_fast(struct emu_run_state *S, uint64_t a, uint32_t n,
								    uint64_t *v)
{
#ifdef EMU_CTX_NO_FAST /* bench/interp_variant.c measures what the table buys */
	(void)S, (void)a, (void)n, (void)v;
	return false;
#else
	uint64_t off = a - S->ctx_lo; /* no context: ctx_fast_n is 0 */
	uint16_t f;

	if (off >= S->ctx_fast_n)
		return false;
	f = S->ctx_fast[off];
	if (f & EMU_CTX_FAST_LOAD(n)) {
		const void *p = (const void *)(uintptr_t)a;

		switch (n) {
		case 1: { uint8_t x; memcpy(&x, p, 1); *v = x; break; }
		case 2: { uint16_t x; memcpy(&x, p, 2); *v = x; break; }
		case 4: { uint32_t x; memcpy(&x, p, 4); *v = x; break; }
		default: memcpy(v, p, 8); break;
		}
		return true;
	}
	if (f & EMU_CTX_FAST_LOAD_HOOK(n)) {
		*v = S->ctx_load(S->run, (uint32_t)off, n);
		return true;
	}
	return false;
#endif
}

/* A store of the low n bytes of v at a: true when the table admits it (done). */
static inline __attribute__((always_inline)) bool emu_ctx_store_fast(struct emu_run_state *S, uint64_t a, uint32_t n,
								     uint64_t v)
{
#ifdef EMU_CTX_NO_FAST
	(void)S, (void)a, (void)n, (void)v;
	return false;
#else
	uint64_t off = a - S->ctx_lo;
	uint16_t f;

	if (off >= S->ctx_fast_n)
		return false;
	f = S->ctx_fast[off];
	if (f & EMU_CTX_FAST_STORE(n)) {
		void *p = (void *)(uintptr_t)a;

		switch (n) {
		case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
		case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
		case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
		default: memcpy(p, &v, 8); break;
		}
		return true;
	}
	if (f & EMU_CTX_FAST_STORE_HOOK(n)) {
		S->ctx_store(S->run, (uint32_t)off, n, v);
		return true;
	}
	return false;
#endif
}

#endif
