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
 * cached: its bytes carry per-field permissions and hooks.
 */
#ifndef BPFEMU_PROG_MEM_FAST_H
#define BPFEMU_PROG_MEM_FAST_H

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

static inline void emu_caches_empty(struct emu_run_state *S)
{
	S->rlo = S->wlo = S->rlo2 = S->wlo2 = UINT64_MAX;
	S->rhi = S->whi = S->rhi2 = S->whi2 = 8;
}

#endif
