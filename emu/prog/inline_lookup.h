/* SPDX-License-Identifier: MIT */
/*
 * Inlined array lookups: bpf_map_lookup_elem on an ARRAY or PERCPU_ARRAY map the loader proved
 * every path names (emu_prog_check_out.lookup_map), run as the kernel's verifier rewrites it
 * (array_map_gen_lookup, percpu_array_map_gen_lookup) instead of as a helper call. The
 * translator (xlate.c) emits CALL_ARRAY_LOOKUP for such a call with the map's terms
 * (interp.h: struct emu_xlate_array); the run loop (run.c) runs emu_inline_array_lookup() and
 * takes the generic helper call whenever it answers false.
 *
 * What it buys: the helper call checks its map argument against the program's maps (a walk of
 * env->maps), the key's memory against the run's regions (the slow path's walk), calls the
 * family's lookup through its ops table, and registers the value it returns as a region of the
 * run (a duplicate search over the region list): about 260 instructions a lookup in xdp_fw
 * (bench/RESULTS-interp.md). Here: one compare for the map, two for a key on the stack or in a
 * cached region, the bound, a multiply-add, and the caches pointed at the array's values.
 *
 * Why it is exact:
 *  - the answer is the helper's: the same u32 index from the same key bytes, NULL at or past
 *    max_entries (the kernel's inline compares the same way: its index_mask only hardens the
 *    in-range case), the same slot arithmetic as the family's prog_lookup (maps/arraymap.c
 *    gives the terms), the run's cpu for a per-CPU slot, NULL for a cpu past nr_cpus;
 *  - whatever the helper would refuse or decide otherwise goes to the helper: r1 not the map the
 *    image was made for, a key not in the live stack or a cached readable region (the helper
 *    then checks it and stops the run with its own diagnostic if it is not the program's);
 *  - the value's memory: instead of a region per value returned, every value of the map is one
 *    region of the run from its start (entry.c; run.c on a tail call), with the access the
 *    helper would give one value (BPF_F_RDONLY_PROG / WRONLY_PROG). The loader already proved
 *    each access through a looked-up value stays within value_size; the run-time check is a
 *    backstop that keeps accesses inside memory the program may touch, and the map's value
 *    area is that.
 */
#ifndef BPFEMU_PROG_INLINE_LOOKUP_H
#define BPFEMU_PROG_INLINE_LOOKUP_H

#include <stdbool.h>
#include <string.h>

#include "interp_impl.h"
#include "mem_fast.h"

/* The lookup of inlined array ia for r1 and key pointer r2: true with *r0 the value's address
 * or 0, false when the generic helper call must answer instead. */
static inline __attribute__((always_inline)) bool emu_inline_array_lookup(struct emu_run_state *S,
									   const struct emu_inline_array *ia,
									   uint64_t r1, uint64_t r2, uint64_t *r0)
{
	const struct emu_xlate_array *a = &ia->a;
	uint32_t idx, n = a->key_size;
	uint8_t *v;

	if (r1 != a->map)
		return false;
	/* the key: in the live stack, or in a region the read cache holds (never the context) */
	if (!(r2 >= S->stk_lo && r2 <= S->stk_hi - n) && !emu_rd_hit(S, r2, n))
		return false;
	memcpy(&idx, (const void *)(uintptr_t)r2, 4);
	if (idx >= ia->limit) {
		*r0 = 0;
		return true;
	}
	v = a->values + (uint64_t)idx * a->stride;
	if (a->cpu_stride) {
		uint32_t cpu = S->run->cpu;

		if (cpu >= a->nr_cpus) {
			*r0 = 0;
			return true;
		}
		v += (uint64_t)cpu * a->cpu_stride;
	}
	/* what the program touches next, as a helper's value enters the caches (mem.c) */
	emu_cache_fill(S, ia->rg.start, ia->rg.end, ia->rg.flags);
	*r0 = (uint64_t)(uintptr_t)v;
	return true;
}

#endif
