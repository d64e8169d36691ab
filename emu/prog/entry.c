/* SPDX-License-Identifier: MIT */
/*
 * Entering the run loop (run.c): emu_prog_run() sets up a run's state (the stack buffer, the
 * region list copied from the caller, the caches, the budget) and runs the entry frame;
 * emu_run_callback() runs a subprogram for a helper (bpf_loop and friends) in a new frame of the
 * same run; emu_run_abort() lets a helper stop the run.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../util/diag.h"
#include "interp_impl.h"
#include "mem_fast.h"

#ifdef BPFEMU_FAULT_INJECTION
/* Planted fault "region-hint-value" (test builds): a load a site's region hint admits
 * (mem_fast.h: emu_hint_hit) returns its value with the low bit flipped, so the differential
 * suites show they run through the hints (diff_prog: the corpus's first packet and global reads
 * at every run after the first). */
static uint8_t hint_fault(void)
{
	static int8_t on = -1; /* asked once: emu_fault parses the environment */
	int8_t v = __atomic_load_n(&on, __ATOMIC_RELAXED);

	if (v < 0) {
		v = EMU_FAULT("region-hint-value") ? 1 : 0;
		__atomic_store_n(&on, v, __ATOMIC_RELAXED);
	}
	return (uint8_t)v;
}
#endif

/*
 * The region list a run starts with, in the common case: the caller's regions, each checked
 * (emu_region_ok), then the image's inlined arrays' value areas, all in the inline list. false
 * when they do not fit or one is not a valid range: the caller then builds the list one region
 * at a time, with growth and the diagnostic of the bad region, from an empty list.
 *
 * What it buys: the list is rebuilt at every run (a helper's regions must not outlive it), and
 * the general loop (a capacity test and a store of the count per region, the regions reloaded
 * because they might alias the list) cost xdp_fw about 110 of its instructions a run for 6
 * regions; this copy with the count kept in a register, about half that.
 */
static bool entry_regions_fast(struct emu_run_state *S, const struct emu_run *run, const struct emu_prog_image *img)
{
	const struct emu_region *restrict in = run->regions;
	struct emu_region *restrict out = S->rg_inline;
	uint32_t n = run->nr_regions, na = img->nr_arrays;

	if (na > EMU_INLINE_REGIONS || n > EMU_INLINE_REGIONS - na)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct emu_region g = in[i];

		if (!emu_region_ok(&g))
			return false;
		out[i] = g;
	}
	for (uint32_t k = 0; k < na; k++)
		out[n + k] = img->arrays[k].rg; /* the translator checked them */
	S->nrg = n + na;
	return true;
}

/* The region list a run starts with, in general: the caller's regions one at a time (the list
 * grows past the inline entries), then the image's. 0, or the run's error with run->fault set. */
static int entry_regions(struct emu_run_state *S, struct emu_run *run, const struct emu_prog_image *img)
{
	S->nrg = 0;
	for (uint32_t i = 0; i < run->nr_regions; i++) {
		const struct emu_region *g = &run->regions[i];

		if (i < EMU_INLINE_REGIONS && emu_region_ok(g)) {
			S->rg[S->nrg++] = *g; /* no growth, no duplicate search */
			continue;
		}
		if (emu_mem_add_region(S, g->start, g->end, g->flags, g->kind)) {
			run->fault.err = -EINVAL;
			snprintf(run->fault.msg, sizeof(run->fault.msg), "region %u is not a valid range", i);
			return -EINVAL;
		}
	}
	if (img->nr_arrays && emu_run_add_image_regions(S, img)) {
		run->fault.err = -ENOMEM;
		snprintf(run->fault.msg, sizeof(run->fault.msg), "no memory for the run's regions");
		return -ENOMEM;
	}
	return 0;
}

int emu_prog_run(const struct emu_prog_image *img, struct emu_run *run, uint64_t *r0)
{
	struct emu_run_state S;
	uint64_t args[5] = { (uint64_t)(uintptr_t)run->ctx, 0, 0, 0, 0 };
	uint64_t top, budget0;
	int ret;

	run->fault.err = 0; /* the rest is written only when a run stops early */
	run->fault.msg[0] = 0;
	run->budget_used = 0;
	run->may_goto_checks = 0;
	S.run = run;
	S.img = img;
	S.pc = img->code;
	S.err = 0;
	S.depth = 1;
	S.tail_calls = 0;
	S.mg_timed = !(run->flags & EMU_RUN_MAY_GOTO_COUNT);
	S.mg_init = S.mg_timed ? EMU_MAX_TIMED_LOOPS : EMU_MAX_LOOPS;
	S.stack_fill = run->flags & EMU_RUN_STACK_POISON ? 0xa5 : 0;
#ifdef BPFEMU_FAULT_INJECTION
	S.hint_flip = hint_fault();
#endif
	budget0 = run->insn_budget ? run->insn_budget : EMU_RUN_DEFAULT_BUDGET;
	if (budget0 > (uint64_t)INT64_MAX)
		budget0 = (uint64_t)INT64_MAX;
	S.budget = (int64_t)budget0;
	emu_caches_empty(&S);
	top = (uint64_t)(uintptr_t)(S.stack + EMU_STACK_TOTAL);
	S.stk_hi = top;
	S.stk_lo = top - EMU_STACK_SIZE;
	S.ctx_lo = UINT64_MAX;
	S.ctx_hi = 0;
	S.ctx_fast_n = 0;
	if (run->ctx_desc && run->ctx && run->ctx_desc->size) {
		const struct emu_ctx_desc *cd = run->ctx_desc;

		S.ctx_lo = (uint64_t)(uintptr_t)run->ctx;
		S.ctx_hi = S.ctx_lo + cd->size;
		if (cd->fast) {
			S.ctx_fast = cd->fast;
			S.ctx_fast_n = cd->size;
			S.ctx_load = cd->load;
			S.ctx_store = cd->store;
		}
	}
	S.rg = S.rg_inline;
	S.nrg = 0;
	S.caprg = EMU_INLINE_REGIONS;
	if (!entry_regions_fast(&S, run, img) && (ret = entry_regions(&S, run, img)) != 0) {
		emu_mem_fini(&S);
		return ret;
	}
	if (img->main_zero)
		memset(S.stack + EMU_STACK_TOTAL - img->main_zero, S.stack_fill, img->main_zero);
	run->state = &S;
	ret = emu_run_loop(&S, img, img->code, args, top, r0);
	run->budget_used = budget0 - (uint64_t)(S.budget < 0 ? 0 : S.budget);
	run->state = NULL;
	emu_mem_fini(&S);
	return ret;
}

/* ---- for helpers ---- */

static bool is_entry(const struct emu_prog_image *img, uint64_t fn, uint32_t *entry)
{
	uintptr_t base = (uintptr_t)img->code, p = (uintptr_t)fn;
	uint32_t lo = 0, hi = img->nr_entries;

	if (p < base || (p - base) % sizeof(struct emu_xinsn) || (p - base) / sizeof(struct emu_xinsn) >= img->cnt)
		return false;
	*entry = (uint32_t)((p - base) / sizeof(struct emu_xinsn));
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (img->entries[mid] == *entry)
			return true;
		if (img->entries[mid] < *entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int emu_run_callback(struct emu_run *run, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		     uint64_t r5, uint64_t *r0)
{
	struct emu_run_state *S = run->state;
	const struct emu_prog_image *img;
	const struct emu_xinsn *pc;
	uint64_t args[5] = { r1, r2, r3, r4, r5 };
	uint64_t top, fp;
	uint32_t entry, k;
	int ret;

	if (!S)
		return -EINVAL;
	if (S->err)
		return S->err;
	img = S->img;
	pc = S->pc;
	if (!is_entry(img, fn, &entry)) {
		S->f_size = 0;
		emu_run_set_fault(S, img, pc, -EINVAL, "callback %#llx is not a subprogram of this program",
				  (unsigned long long)fn);
		return S->err = -EINVAL;
	}
	if (S->depth >= EMU_MAX_CALL_FRAMES) {
		S->f_size = 0;
		emu_run_set_fault(S, img, pc, -E2BIG, "call depth exceeds %d frames", EMU_MAX_CALL_FRAMES);
		return S->err = -E2BIG;
	}
	for (k = 0; k < img->nr_entries && img->entries[k] != entry; k++)
		;
	top = (uint64_t)(uintptr_t)(S->stack + EMU_STACK_TOTAL);
	fp = top - (uint64_t)S->depth * EMU_STACK_SIZE;
	S->depth++;
	S->stk_lo = fp - EMU_STACK_SIZE;
	if (img->entry_zero[k])
		memset((void *)(uintptr_t)(fp - img->entry_zero[k]), S->stack_fill, img->entry_zero[k]);
	if (--S->budget < 0) {
		S->budget = 0;
		S->f_size = 0;
		emu_run_set_fault(S, img, pc, -ELOOP, "instruction budget exhausted");
		ret = -ELOOP;
	} else {
		ret = emu_run_loop(S, img, &img->code[entry], args, fp, r0);
	}
	S->depth--;
	S->stk_lo = top - (uint64_t)S->depth * EMU_STACK_SIZE;
	emu_caches_empty(S);
	S->img = img;
	S->pc = pc;
	if (ret)
		S->err = ret;
	return ret;
}

void emu_run_abort(struct emu_run *run, int err, const char *msg)
{
	struct emu_run_state *S = run->state;

	if (!S || S->err)
		return;
	S->f_size = 0;
	emu_run_set_fault(S, S->img, S->pc, err < 0 ? err : -EINVAL, "helper: %s", msg ? msg : "aborted");
	S->err = err < 0 ? err : -EINVAL;
}
