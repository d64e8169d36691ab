/* SPDX-License-Identifier: MIT */
/*
 * The slow path of the run-time memory check, behind mem_fast.h's last-hit caches: which
 * region an address lies in (the context with its per-byte permissions and hooks, the live stack
 * frames, the run's region list), the access itself when it needs a hook, refilling the caches,
 * and the diagnostic when no region admits the access (the nearest region and how far off it
 * the access was). Also the region list's upkeep for helpers (emu_run_add_region and friends).
 *
 * Cost of a miss: a compare against the context and the live stack, then a linear walk of the
 * region list (a handful of entries for most programs: packet, globals, looked-up values).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_impl.h"
#include "mem_fast.h"

static inline bool in_range(uint64_t a, uint64_t n, uint64_t lo, uint64_t hi)
{
	return a >= lo && hi >= n && a <= hi - n;
}

static const char *const kind_names[EMU_RGN_NR_KINDS] = {
	[EMU_RGN_OTHER] = "region",
	[EMU_RGN_PACKET] = "packet",
	[EMU_RGN_PACKET_META] = "packet metadata",
	[EMU_RGN_MAP_VALUE] = "map value",
	[EMU_RGN_GLOBAL] = "global data",
	[EMU_RGN_HELPER_BUF] = "helper memory",
};

static const char *kind_name(uint32_t k)
{
	return k < EMU_RGN_NR_KINDS ? kind_names[k] : "region";
}

/* Distance of [a, a + n) from [lo, hi): 0 when inside. */
static uint64_t distance(uint64_t a, uint64_t n, uint64_t lo, uint64_t hi)
{
	if (a < lo)
		return lo - a;
	if (a + n > hi)
		return a + n - hi;
	return 0;
}

/* The diagnostic of an access no region admits. why: NULL for "outside every region". */
static int mem_fault(struct emu_run_state *S, uint64_t a, uint32_t n, bool write, const char *why)
{
	struct {
		const char *name;
		uint64_t lo, hi;
	} best = { NULL, 0, 0 };
	uint64_t bd = UINT64_MAX, d;
	uint64_t top = (uint64_t)(uintptr_t)(S->stack + EMU_STACK_TOTAL);

	S->f_addr = a;
	S->f_size = n;
	S->f_write = write;
	if (why) {
		snprintf(S->f_msg, sizeof(S->f_msg), "%s of %u bytes at %#" PRIx64 ": %s", write ? "write" : "read", n,
			 a, why);
		return -EFAULT;
	}
	if (S->ctx_lo <= S->ctx_hi && (d = distance(a, n, S->ctx_lo, S->ctx_hi)) < bd) {
		bd = d;
		best.name = "context";
		best.lo = S->ctx_lo;
		best.hi = S->ctx_hi;
	}
	if ((d = distance(a, n, S->stk_lo, S->stk_hi)) < bd) {
		bd = d;
		best.name = "stack";
		best.lo = S->stk_lo;
		best.hi = S->stk_hi;
	}
	for (uint32_t i = 0; i < S->nrg; i++) {
		if ((d = distance(a, n, S->rg[i].start, S->rg[i].end)) < bd) {
			bd = d;
			best.name = kind_name(S->rg[i].kind);
			best.lo = S->rg[i].start;
			best.hi = S->rg[i].end;
		}
	}
	if (a < 65536 || a >= 0xffff800000000000ull)
		snprintf(S->f_msg, sizeof(S->f_msg), "%s of %u bytes at %#" PRIx64 ": not a pointer (NULL or a small number)",
			 write ? "write" : "read", n, a);
	else if (a >= top - EMU_STACK_TOTAL && a < S->stk_lo)
		snprintf(S->f_msg, sizeof(S->f_msg),
			 "%s of %u bytes at %#" PRIx64 ": in the stack of a frame that has returned (live stack "
			 "[%#" PRIx64 ", %#" PRIx64 "))",
			 write ? "write" : "read", n, a, S->stk_lo, S->stk_hi);
	else
		snprintf(S->f_msg, sizeof(S->f_msg),
			 "%s of %u bytes at %#" PRIx64 ": outside every region; nearest: %s [%#" PRIx64 ", %#" PRIx64
			 "), %" PRIu64 " bytes %s",
			 write ? "write" : "read", n, a, best.name, best.lo, best.hi, bd,
			 a < best.lo ? "before it" : "past its end");
	return -EFAULT;
}

/* n-byte value <-> uint64_t, host order, for the plain accesses below. */
static void load_n(const void *p, uint32_t n, uint64_t *v)
{
	switch (n) {
	case 1: { uint8_t x; memcpy(&x, p, 1); *v = x; break; }
	case 2: { uint16_t x; memcpy(&x, p, 2); *v = x; break; }
	case 4: { uint32_t x; memcpy(&x, p, 4); *v = x; break; }
	default: memcpy(v, p, 8); break;
	}
}

static void store_n(void *p, uint32_t n, uint64_t v)
{
	switch (n) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* A context access at offset off. v: in for stores, out for loads. */
static int ctx_access(struct emu_run_state *S, uint64_t a, uint32_t n, bool write, uint64_t *v)
{
	const struct emu_ctx_desc *cd = S->run->ctx_desc;
	uint32_t off = (uint32_t)(a - S->ctx_lo);
	uint8_t need = write ? EMU_CTX_W : EMU_CTX_R;
	void *p = (void *)(uintptr_t)a;

	if (!in_range(a, n, S->ctx_lo, S->ctx_hi))
		return mem_fault(S, a, n, write, "crosses the end of the context");
	if (cd->perm) {
		if (cd->perm[off] & EMU_CTX_HOOK) {
			if (!(cd->perm[off] & need) || (write ? !cd->store : !cd->load))
				return mem_fault(S, a, n, write, write ? "context field is not writable" :
									 "context field is not readable");
			if (write)
				cd->store(S->run, off, n, *v);
			else
				*v = cd->load(S->run, off, n);
			return 0;
		}
		for (uint32_t i = 0; i < n; i++)
			if (!(cd->perm[off + i] & need) || (cd->perm[off + i] & EMU_CTX_HOOK))
				return mem_fault(S, a, n, write, write ? "context field is not writable" :
									 "context field is not readable");
	}
	if (write)
		store_n(p, n, *v); /* the low n bytes of *v, on either byte order */
	else
		load_n(p, n, v);
	return 0;
}

void emu_ctx_desc_fast(const struct emu_ctx_desc *d, uint16_t *fast)
{
	static const uint32_t sizes[4] = { 1, 2, 4, 8 };

	/* ctx_access's rules, per offset and size: an access crossing the end faults; a hooked
	 * first byte goes to the hook its direction needs, if the byte allows that direction; else
	 * every byte must allow the direction and none be hooked */
	for (uint32_t off = 0; off < d->size; off++) {
		uint16_t f = 0;

		for (int k = 0; k < 4; k++) {
			uint32_t n = sizes[k];
			bool rd = true, wr = true;

			if (n > d->size - off)
				continue;
			if (!d->perm) {
				f |= (uint16_t)(EMU_CTX_FAST_LOAD(n) | EMU_CTX_FAST_STORE(n));
				continue;
			}
			if (d->perm[off] & EMU_CTX_HOOK) {
				if ((d->perm[off] & EMU_CTX_R) && d->load)
					f |= (uint16_t)EMU_CTX_FAST_LOAD_HOOK(n);
				if ((d->perm[off] & EMU_CTX_W) && d->store)
					f |= (uint16_t)EMU_CTX_FAST_STORE_HOOK(n);
				continue;
			}
			for (uint32_t i = 0; i < n; i++) {
				uint8_t p = d->perm[off + i];

				rd &= (p & EMU_CTX_R) && !(p & EMU_CTX_HOOK);
				wr &= (p & EMU_CTX_W) && !(p & EMU_CTX_HOOK);
			}
			if (rd)
				f |= (uint16_t)EMU_CTX_FAST_LOAD(n);
			if (wr)
				f |= (uint16_t)EMU_CTX_FAST_STORE(n);
		}
		fast[off] = f;
	}
}

/* The plain region admitting [a, a + n) with `need`: its bounds and whether it is also
 * read-write (cacheable for writes). false when none. *idx: the region's index in S->rg, or
 * EMU_HINT_STACK for the live stack. */
static inline __attribute__((always_inline)) bool find_plain(struct emu_run_state *S, uint64_t a, uint32_t n, uint32_t need, uint64_t *lo,
		       uint64_t *hi, uint32_t *flags, uint32_t *idx)
{
	*idx = EMU_HINT_STACK;
	if (in_range(a, n, S->stk_lo, S->stk_hi)) {
		*lo = S->stk_lo;
		*hi = S->stk_hi;
		*flags = EMU_MEM_READ | EMU_MEM_WRITE;
		return true;
	}
	for (uint32_t i = 0; i < S->nrg; i++) {
		const struct emu_region *g = &S->rg[i];

		if ((g->flags & need) == need && in_range(a, n, g->start, g->end)) {
			*lo = g->start;
			*hi = g->end;
			*flags = g->flags;
			*idx = i;
			return true;
		}
	}
	return false;
}

/* Why no region admitted the access: one with the range but not the permission, or none. */
static int plain_fault(struct emu_run_state *S, uint64_t a, uint32_t n, uint32_t need, bool write)
{
	for (uint32_t i = 0; i < S->nrg; i++)
		if (in_range(a, n, S->rg[i].start, S->rg[i].end)) {
			char why[96];

			snprintf(why, sizeof(why), "the %s there is not %s", kind_name(S->rg[i].kind),
				 need & EMU_MEM_WRITE ? (need & EMU_MEM_READ ? "readable and writable" : "writable")
						      : "readable");
			return mem_fault(S, a, n, write, why);
		}
	return mem_fault(S, a, n, write, NULL);
}

static inline void fill(struct emu_run_state *S, uint64_t lo, uint64_t hi, uint32_t flags)
{
	emu_cache_fill(S, lo, hi, flags);
}

/* The region admitting [a, a + n) with `need` (find_plain); its index becomes the site's region
 * hint (mem_fast.h: emu_hint_hit), hint NULL for a site without one. */
static inline __attribute__((always_inline)) bool find_site(struct emu_run_state *S, uint32_t *hint, uint64_t a,
							    uint32_t n, uint32_t need, uint64_t *lo, uint64_t *hi,
							    uint32_t *flags)
{
	uint32_t idx;

	if (!find_plain(S, a, n, need, lo, hi, flags, &idx))
		return false;
	if (hint && __atomic_load_n(hint, __ATOMIC_RELAXED) != idx)
		__atomic_store_n(hint, idx, __ATOMIC_RELAXED); /* only when it changes: runs share it */
	return true;
}

int emu_mem_load_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, uint64_t *v)
{
	uint64_t lo, hi;
	uint32_t flags;

	if (a >= S->ctx_lo && a < S->ctx_hi)
		return ctx_access(S, a, n, false, v);
	if (!find_site(S, hint, a, n, EMU_MEM_READ, &lo, &hi, &flags))
		return plain_fault(S, a, n, EMU_MEM_READ, false);
	fill(S, lo, hi, flags);
	load_n((const void *)(uintptr_t)a, n, v);
	return 0;
}

int emu_mem_store_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, uint64_t v)
{
	uint64_t lo, hi;
	uint32_t flags;

	if (a >= S->ctx_lo && a < S->ctx_hi)
		return ctx_access(S, a, n, true, &v);
	if (!find_site(S, hint, a, n, EMU_MEM_WRITE, &lo, &hi, &flags))
		return plain_fault(S, a, n, EMU_MEM_WRITE, true);
	fill(S, lo, hi, flags);
	store_n((void *)(uintptr_t)a, n, v);
	return 0;
}

int emu_mem_atomic_slow(struct emu_run_state *S, uint32_t *hint, uint64_t a, uint32_t n, bool write)
{
	uint32_t need = EMU_MEM_READ | (write ? EMU_MEM_WRITE : 0);
	uint64_t lo, hi;
	uint32_t flags;

	if (a + n > S->ctx_lo && a < S->ctx_hi)
		return mem_fault(S, a, n, write, "atomic access to the context");
	if (!find_site(S, hint, a, n, need, &lo, &hi, &flags))
		return plain_fault(S, a, n, need, write);
	fill(S, lo, hi, flags);
	return 0;
}

int emu_mem_add_region(struct emu_run_state *S, uintptr_t start, uintptr_t end, uint32_t flags, uint32_t kind)
{
	struct emu_region g = { .start = start, .end = end, .flags = flags, .kind = kind };

	if (!emu_region_ok(&g))
		return -EINVAL;
	/* A helper hands the program this memory (a value it looked up, a record): it is what the
	 * program touches next, so it enters the caches as soon as it is a region. */
	for (uint32_t i = 0; i < S->nrg; i++) {
		struct emu_region *g = &S->rg[i];

		if (g->start <= start && end <= g->end && (g->flags & flags) == flags) {
			fill(S, start, end, flags);
			return 0;
		}
	}
	if (S->nrg == S->caprg) {
		uint32_t cap = S->caprg * 2;
		struct emu_region *rg;

		if (S->rg == S->rg_inline) {
			rg = malloc(cap * sizeof(*rg));
			if (rg)
				memcpy(rg, S->rg, S->nrg * sizeof(*rg));
		} else {
			rg = realloc(S->rg, cap * sizeof(*rg));
		}
		if (!rg)
			return -ENOMEM;
		S->rg = rg;
		S->caprg = cap;
	}
	S->rg[S->nrg++] = g;
	fill(S, start, end, flags);
	return 0;
}

int emu_run_add_image_regions(struct emu_run_state *S, const struct emu_prog_image *img)
{
	for (uint32_t k = 0; k < img->nr_arrays; k++) {
		const struct emu_region *g = &img->arrays[k].rg;
		int err;

		if (S->nrg < S->caprg) {
			S->rg[S->nrg++] = *g; /* no duplicate search: a second copy is harmless */
			continue;
		}
		err = emu_mem_add_region(S, g->start, g->end, g->flags, g->kind);
		if (err)
			return err == -EINVAL ? -ENOMEM : err; /* the translator checked the range */
	}
	return 0;
}

void emu_mem_fini(struct emu_run_state *S)
{
	if (S->rg != S->rg_inline)
		free(S->rg);
	S->rg = S->rg_inline;
	S->nrg = 0;
}

void emu_run_set_fault(struct emu_run_state *S, const struct emu_prog_image *img, const struct emu_xinsn *pc,
		       int err, const char *fmt, ...)
{
	struct emu_run_fault *f = &S->run->fault;
	char what[200], dis[96] = "";
	uint32_t idx = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (img && pc >= img->code && pc <= img->code + img->cnt) {
		idx = (uint32_t)(pc - img->code);
		if (idx < img->cnt)
			emu_insn_disasm(&img->raw[idx], dis, sizeof(dis));
		else
			snprintf(dis, sizeof(dis), "past the last instruction");
	}
	f->err = err;
	f->img = img;
	f->insn = idx;
	f->addr = S->f_size ? S->f_addr : 0;
	f->size = S->f_size;
	f->write = S->f_size ? S->f_write : false;
	/* a long disassembly or reason is cut to the message's size, on purpose */
	if (snprintf(f->msg, sizeof(f->msg), "insn %u (%s): %s", idx, dis, what) >= (int)sizeof(f->msg))
		f->msg[sizeof(f->msg) - 1] = '\0';
}

/* ---- for helpers ---- */

int emu_run_add_region(struct emu_run *run, const void *p, size_t size, uint32_t flags, uint32_t kind)
{
	if (!run->state)
		return -EINVAL;
	return emu_mem_add_region(run->state, (uintptr_t)p, (uintptr_t)p + size, flags, kind);
}

int emu_run_update_region(struct emu_run *run, const void *old_start, const void *p, size_t size)
{
	struct emu_run_state *S = run->state;

	if (!S)
		return -EINVAL;
	for (uint32_t i = 0; i < S->nrg; i++) {
		if (S->rg[i].start != (uintptr_t)old_start)
			continue;
		if (!size) {
			S->rg[i] = S->rg[--S->nrg];
		} else {
			if ((uintptr_t)p < 4096)
				return -EINVAL;
			S->rg[i].start = (uintptr_t)p;
			S->rg[i].end = (uintptr_t)p + size;
		}
		emu_caches_empty(S);
		return 0;
	}
	return -ENOENT;
}

/* Aligned to a cache line: helpers check every memory argument here, and where its region walk
 * falls within a 64-byte line moved tc_errors' time by 10% with the same instructions (measured
 * in bench/RESULTS-interp.md, 2026-12-07: a change elsewhere in this file shifted it) */
__attribute__((aligned(64))) bool emu_run_check(struct emu_run *run, const void *p, size_t size, uint32_t flags)
{
	struct emu_run_state *S = run->state;
	uint64_t lo, hi;
	uint32_t fl, idx;

	if (!S)
		return false;
	if (!size)
		return true;
	if (size > UINT32_MAX)
		return false;
	return find_plain(S, (uintptr_t)p, (uint32_t)size, flags & (EMU_MEM_READ | EMU_MEM_WRITE), &lo, &hi, &fl,
			  &idx);
}
