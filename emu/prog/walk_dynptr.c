/* SPDX-License-Identifier: MIT */
/*
 * Dynptrs in the walk (the verifier's process_dynptr_func and the stack-slot rules around it):
 * a struct bpf_dynptr lives in 16 aligned bytes of a frame's stack (two slots of SLOT_DYNPTR,
 * spill[] of each saying its type, reference and id), made by a helper whose argument is
 * EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_UNINIT (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr),
 * read by helpers that take an initialised one, released by ringbuf submit/discard_dynptr. The
 * callback of bpf_user_ringbuf_drain gets a pointer to a dynptr it may not change (R_DYNPTR,
 * CONST_PTR_TO_DYNPTR). Invariants: both slots of a dynptr carry the same spill record; a store
 * over either slot destroys the whole dynptr (refused for a referenced one) and turns the slices
 * bpf_dynptr_data made of it into unknown scalars; reading a dynptr's bytes is refused.
 */
#include <string.h>

#include "walk.h"

#define ST_AT(f, addr) ((f)->st[EMU_STACK_SIZE + (addr)])
#define SPILL_AT(f, base) ((f)->spill[(EMU_STACK_SIZE + (base)) / 8])

static const char *dynptr_type_str(uint32_t t)
{
	return t == DYNPTR_LOCAL ? "local" : t == DYNPTR_RINGBUF ? "ringbuf" : "<unknown>";
}

/* dynptr_get_spi: the dynptr's lowest stack address (*addr), 0; -ERANGE off the stack (silent);
 * -EINVAL with the kernel's message for a variable or misplaced offset. */
static int dynptr_addr(struct walk *w, const struct reg *r, int64_t *addr)
{
	int64_t off;

	if (!sv_is_const(&r->s)) {
		vlog(w->c, "dynptr has to be at a constant offset\n");
		return -EINVAL;
	}
	off = r->off + (int64_t)r->s.v;
	if (off % 8 || off > -16) {
		vlog(w->c, "cannot pass in dynptr at an offset=%d\n", (int)off);
		return -EINVAL;
	}
	if (off < -EMU_STACK_SIZE)
		return -ERANGE;
	*addr = off;
	return 0;
}

static bool is_dynptr_at(const struct frame *f, int64_t a)
{
	if (!SPILL_AT(f, a).flag)
		return false;
	for (int b = 0; b < 16; b++)
		if (ST_AT(f, a + b) != SLOT_DYNPTR)
			return false;
	return true;
}

void invalidate_dyn(struct state *st, uint32_t dyn)
{
	if (!dyn)
		return;
	for (uint32_t f = 0; f < st->nfr; f++) {
		for (int r = 0; r < EMU_MAX_BPF_REG; r++)
			if (st->fr[f].r[r].type == R_MEM && st->fr[f].r[r].dyn == dyn)
				mark_unknown(&st->fr[f].r[r]);
		for (int s = 0; s < EMU_STACK_SIZE / 8; s++)
			if (st->fr[f].st[s * 8 + 7] == SLOT_SPILL && st->fr[f].spill[s].type == R_MEM &&
			    st->fr[f].spill[s].dyn == dyn)
				mark_unknown(&st->fr[f].spill[s]);
	}
}

/* destroy_if_dynptr_stack_slot: a write touches the 8-byte slot at base */
int stack_destroy_dynptr(struct walk *w, struct frame *f, int64_t base)
{
	int64_t first;

	if (base < -EMU_STACK_SIZE || base >= 0 || ST_AT(f, base) != SLOT_DYNPTR)
		return 0;
	first = SPILL_AT(f, base).flag ? base : base - 8;
	if (SPILL_AT(f, first).ref) {
		vlog(w->c, "cannot overwrite referenced dynptr\n");
		return -EINVAL;
	}
	invalidate_dyn(w->cur, SPILL_AT(f, first).dyn);
	for (int b = 0; b < 16; b++)
		ST_AT(f, first + b) = SLOT_INVALID;
	memset(&SPILL_AT(f, first), 0, sizeof(struct reg));
	memset(&SPILL_AT(f, first + 8), 0, sizeof(struct reg));
	return 0;
}

/* A read of [lo, hi) (offsets from the frame's top) that meets a dynptr's bytes: refused with
 * check_stack_read_fixed_off's line (helper_regno 0) or check_stack_range_initialized's. */
int stack_dynptr_read(struct walk *w, const struct frame *f, int64_t lo, int64_t hi, int32_t off, int size,
		      int helper_regno)
{
	for (int64_t b = lo; b < hi; b++) {
		if (b < -EMU_STACK_SIZE || b >= 0 || ST_AT(f, b) != SLOT_DYNPTR)
			continue;
		if (helper_regno)
			vlog(w->c, "invalid read from stack R%d off %d+%d size %d\n", helper_regno, (int)lo, (int)(b - lo),
			     size);
		else
			vlog(w->c, "invalid read from stack off %d+%d size %d\n", off, (int)(b - lo), size);
		return -EACCES;
	}
	return 0;
}

int check_dynptr_arg(struct walk *w, uint32_t regno, uint16_t arg, uint32_t idx, struct dynptr_arg *out)
{
	struct reg *r = &cur_regs(w)[regno];
	uint32_t want = arg & EMU_ARG_DYNPTR_LOCAL ? DYNPTR_LOCAL : arg & EMU_ARG_DYNPTR_RINGBUF ? DYNPTR_RINGBUF : 0;
	struct frame *f;
	int64_t a = 0;
	int err;

	if (r->type != R_STACK && r->type != R_DYNPTR) {
		vlog(w->c, "R%u type=%s expected=fp, dynptr_ptr\n", regno, reg_type_str(r));
		return -EACCES;
	}
	if (r->type == R_DYNPTR) {
		/* check_func_arg_reg_off: the pointer as the callback got it */
		if (r->off < 0) {
			vlog(w->c, "negative offset dynptr_ptr ptr R%u off=%d disallowed\n", regno, r->off);
			return -EACCES;
		}
		if (r->off) {
			vlog(w->c, "dereference of modified dynptr_ptr ptr R%u off=%d disallowed\n", regno, r->off);
			return -EACCES;
		}
		if (!sv_is_const(&r->s) || r->s.v) {
			char tn[48];

			tnum_str(tn, sizeof(tn), &r->s);
			vlog(w->c, "variable dynptr_ptr access var_off=%s disallowed\n", tn);
			return -EACCES;
		}
	}
	if (arg & EMU_ARG_RELEASE) {
		if (r->type == R_DYNPTR) {
			vlog(w->c, "cannot release unowned const bpf_dynptr\n");
			return -EINVAL;
		}
		f = &w->cur->fr[r->frameno];
		if (dynptr_addr(w, r, &a) || ST_AT(f, a) != SLOT_DYNPTR || !SPILL_AT(f, a).ref) {
			vlog(w->c, "arg %u is an unacquired reference\n", regno);
			return -EINVAL;
		}
	}
	if (arg & EMU_ARG_UNINIT) {
		if (r->type == R_DYNPTR) {
			vlog(w->c, "Dynptr has to be an uninitialized dynptr\n");
			return -EINVAL;
		}
		err = dynptr_addr(w, r, &a);
		if (err && err != -ERANGE) {
			vlog(w->c, "Dynptr has to be an uninitialized dynptr\n");
			return -EINVAL;
		}
		for (int i = 0; i < 16; i += 8) {
			err = check_mem(w, regno, i, 8, true, -1, idx, "write", NULL);
			if (err)
				return err;
		}
		/* mark_stack_slots_dynptr */
		r = &cur_regs(w)[regno];
		f = &w->cur->fr[r->frameno];
		if ((err = stack_destroy_dynptr(w, f, a)) || (err = stack_destroy_dynptr(w, f, a + 8)))
			return err;
		{
			struct reg d;

			memset(&d, 0, sizeof(d));
			d.type = R_DYNPTR;
			d.aux = want;
			d.dyn = ++w->id_gen;
			if (want == DYNPTR_RINGBUF)
				d.ref = new_ref(w, idx);
			r = &cur_regs(w)[regno];
			f = &w->cur->fr[r->frameno];
			for (int b = 0; b < 16; b++)
				ST_AT(f, a + b) = SLOT_DYNPTR;
			SPILL_AT(f, a + 8) = d;
			d.flag = 1;
			SPILL_AT(f, a) = d;
		}
		out->regno = (int)regno;
		return 0;
	}
	if (r->type == R_DYNPTR) {
		if (!(arg & EMU_ARG_RDONLY)) {
			vlog(w->c, "cannot pass pointer to const bpf_dynptr, the helper mutates it\n");
			return -EINVAL;
		}
		out->type = r->aux;
		out->ref = 0;
		out->dyn = r->dyn;
	} else {
		f = &w->cur->fr[r->frameno];
		if (dynptr_addr(w, r, &a) || !is_dynptr_at(f, a)) {
			vlog(w->c, "Expected an initialized dynptr as arg #%u\n", regno - 1);
			return -EINVAL;
		}
		out->type = SPILL_AT(f, a).aux;
		out->ref = SPILL_AT(f, a).ref;
		out->dyn = SPILL_AT(f, a).dyn;
	}
	if (want && out->type != want) {
		vlog(w->c, "Expected a dynptr of type %s as arg #%u\n", dynptr_type_str(want), regno - 1);
		return -EINVAL;
	}
	out->regno = (int)regno;
	return 0;
}

/* The released dynptr's reference (its slots and slices go with release_ref) */
int release_dynptr(struct walk *w, uint32_t regno, uint32_t *ref)
{
	const struct reg *r = &cur_regs(w)[regno];
	struct frame *f = &w->cur->fr[r->frameno];
	int64_t a = r->off + (int64_t)r->s.v;

	*ref = SPILL_AT(f, a).ref;
	return 0;
}
