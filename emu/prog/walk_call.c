/* SPDX-License-Identifier: MIT */
/*
 * Calls and exits in the walk: helper calls held against their records (emu/prog/helper.h) as
 * check_helper_call() holds them (type allowed, GPL, each argument's kind, map and helper
 * compatibility, references), bpf-to-bpf calls and callbacks as new frames, and exits: from a
 * callee back to its caller, from the main program with the return value and reference checks.
 */
#include <stdio.h>
#include <string.h>

#include "walk.h"

#define EXPECT_MEM "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"

static const char *fn_name(uint32_t id, char *buf, size_t n)
{
	const char *s = emu_helper_name(id);

	snprintf(buf, n, "bpf_%s", s ? s : "unknown");
	return buf;
}

static bool is_mem_type(const struct reg *r)
{
	return !r->null && (r->type == R_STACK || r->type == R_PKT || r->type == R_PKT_META || r->type == R_MAP_VALUE ||
			    r->type == R_MEM || r->type == R_OPAQUE || r->type == R_MAP_KEY);
}

struct call_meta {
	int map;          /* index of the map argument, -1 none */
	int func_sub;     /* the callback subprogram, -1 none */
	uint32_t alloc_size;
	uint32_t release_ref;
	int release_regno;
	int64_t const_key;   /* the map key, if a known constant; -1 otherwise */
	struct dynptr_arg dynptr; /* the dynptr argument, if any */
};

/* check_map_func_compatibility, both directions, for the emulated helpers */
static int map_func_ok(struct walk *w, const struct emu_map_desc *m, uint32_t id)
{
	char nb[64];
	bool ok = true;
	uint32_t t = m ? m->type : 0;

	if (m) {
		switch (t) {
		case EMU_MAP_PROG_ARRAY:
			ok = id == EMU_FN_tail_call;
			break;
		case EMU_MAP_RINGBUF:
			ok = id == EMU_FN_ringbuf_output || id == EMU_FN_ringbuf_reserve || id == EMU_FN_ringbuf_query ||
			     id == EMU_FN_ringbuf_reserve_dynptr || id == EMU_FN_ringbuf_submit_dynptr ||
			     id == EMU_FN_ringbuf_discard_dynptr;
			break;
		case EMU_MAP_QUEUE:
		case EMU_MAP_STACK:
			ok = id == EMU_FN_map_peek_elem || id == EMU_FN_map_pop_elem || id == EMU_FN_map_push_elem;
			break;
		case EMU_MAP_DEVMAP:
		case EMU_MAP_DEVMAP_HASH:
			ok = id == EMU_FN_redirect_map || id == EMU_FN_map_lookup_elem;
			break;
		case EMU_MAP_CPUMAP:
		case EMU_MAP_XSKMAP:
			ok = id == EMU_FN_redirect_map || id == EMU_FN_map_lookup_elem;
			break;
		case EMU_MAP_PERF_EVENT_ARRAY:
			ok = id == EMU_FN_perf_event_read || id == EMU_FN_perf_event_output || id == EMU_FN_skb_output ||
			     id == EMU_FN_perf_event_read_value || id == EMU_FN_xdp_output;
			break;
		case EMU_MAP_STACK_TRACE:
			ok = id == EMU_FN_get_stackid;
			break;
		case EMU_MAP_ARRAY_OF_MAPS:
		case EMU_MAP_HASH_OF_MAPS:
			ok = id == EMU_FN_map_lookup_elem;
			break;
		case EMU_MAP_BLOOM_FILTER:
			ok = id == EMU_FN_map_peek_elem || id == EMU_FN_map_push_elem;
			break;
		case EMU_MAP_USER_RINGBUF:
			ok = id == EMU_FN_user_ringbuf_drain;
			break;
		default:
			break;
		}
		if (!ok)
			goto bad;
	}
	switch (id) {
	case EMU_FN_tail_call:
		if (t != EMU_MAP_PROG_ARRAY)
			goto bad;
		break;
	case EMU_FN_ringbuf_output:
	case EMU_FN_ringbuf_reserve:
	case EMU_FN_ringbuf_query:
	case EMU_FN_ringbuf_reserve_dynptr:
		if (t != EMU_MAP_RINGBUF)
			goto bad;
		break;
	case EMU_FN_user_ringbuf_drain:
		if (t != EMU_MAP_USER_RINGBUF)
			goto bad;
		break;
	case EMU_FN_map_peek_elem:
	case EMU_FN_map_pop_elem:
		if (t != EMU_MAP_QUEUE && t != EMU_MAP_STACK && t != EMU_MAP_BLOOM_FILTER)
			goto bad;
		break;
	case EMU_FN_map_push_elem:
		if (t != EMU_MAP_QUEUE && t != EMU_MAP_STACK && t != EMU_MAP_BLOOM_FILTER)
			goto bad;
		break;
	case EMU_FN_redirect_map:
		if (t != EMU_MAP_DEVMAP && t != EMU_MAP_DEVMAP_HASH && t != EMU_MAP_CPUMAP && t != EMU_MAP_XSKMAP)
			goto bad;
		break;
	case EMU_FN_for_each_map_elem:
		if (t != EMU_MAP_HASH && t != EMU_MAP_LRU_HASH && t != EMU_MAP_ARRAY && t != EMU_MAP_PERCPU_HASH &&
		    t != EMU_MAP_LRU_PERCPU_HASH && t != EMU_MAP_PERCPU_ARRAY)
			goto bad;
		break;
	default:
		break;
	}
	return 0;
bad:
	if (id == EMU_FN_tail_call && m && t != EMU_MAP_PROG_ARRAY) {
		/* the kernel's message has no newline */
		vlog(w->c, "expected prog array map for tail call");
		return -EINVAL;
	}
	vlog(w->c, "cannot pass map_type %u into func %s#%u\n", t, fn_name(id, nb, sizeof(nb)), id);
	return -EINVAL;
}

static int check_size_arg(struct walk *w, uint32_t regno, const struct reg *sz, bool zero_ok, uint32_t mem_regno,
			  bool write, bool uninit)
{
	if (sz->s.smin < 0) {
		vlog(w->c, "R%u min value is negative, either use unsigned or 'var &= const'\n", regno);
		return -EACCES;
	}
	if (sz->s.umin == 0 && !zero_ok) {
		vlog(w->c, "R%u invalid zero-sized read: u64=[%lld,%llu]\n", regno, (long long)sz->s.umin,
		     (unsigned long long)sz->s.umax);
		return -EACCES;
	}
	if (sz->s.umax >= EMU_MAX_VAR_OFF) {
		vlog(w->c, "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'\n", regno);
		return -EACCES;
	}
	if (cur_regs(w)[mem_regno].type == R_SCALAR)
		return 0; /* a NULL the argument allows */
	return check_helper_mem(w, mem_regno, (int32_t)sz->s.umax, write, zero_ok, uninit);
}

static int check_arg(struct walk *w, const struct emu_func_proto *p, int argno, struct call_meta *meta, uint32_t idx)
{
	uint32_t regno = (uint32_t)argno + 1;
	uint16_t a = p->arg[argno], kind = EMU_ARG_KIND(a);
	struct reg *r = &cur_regs(w)[regno];
	bool maybe_null = a & EMU_ARG_MAYBE_NULL;
	const char *expect = NULL;
	bool ok = true;

	if (kind == EMU_ARG_NONE)
		return 0;
	if (r->type == R_NOT_INIT) {
		vlog(w->c, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	if (kind == EMU_ARG_ANYTHING)
		return 0;
	if (kind == EMU_ARG_PTR_TO_DYNPTR) {
		if (r->type == R_OPAQUE) {
			w->incomplete = true;
			return 0;
		}
		return check_dynptr_arg(w, regno, a, idx, &meta->dynptr);
	}
	if ((r->type == R_PKT || r->type == R_PKT_META) && !p->pkt_access) {
		vlog(w->c, "helper access to the packet is not allowed\n");
		return -EACCES;
	}
	if (maybe_null && r->type == R_SCALAR && sv_is_const(&r->s) && r->s.v == 0)
		return 0;
	switch (kind) {
	case EMU_ARG_CONST_MAP_PTR:
		ok = r->type == R_MAP_PTR && !r->null;
		expect = "map_ptr";
		break;
	case EMU_ARG_PTR_TO_MAP_KEY:
	case EMU_ARG_PTR_TO_MAP_VALUE:
	case EMU_ARG_PTR_TO_MEM:
	case EMU_ARG_PTR_TO_UNINIT_MEM:
		ok = is_mem_type(r);
		expect = EXPECT_MEM;
		break;
	case EMU_ARG_PTR_TO_CTX:
		ok = r->type == R_CTX;
		expect = "ctx";
		break;
	case EMU_ARG_PTR_TO_FUNC:
		ok = r->type == R_FUNC;
		expect = "func";
		break;
	case EMU_ARG_PTR_TO_STACK:
		ok = r->type == R_STACK;
		expect = "fp";
		break;
	case EMU_ARG_PTR_TO_SPIN_LOCK:
	case EMU_ARG_PTR_TO_CONST_STR:
		ok = r->type == R_MAP_VALUE && !r->null;
		expect = "map_value";
		break;
	case EMU_ARG_PTR_TO_ALLOC_MEM:
		ok = r->type == R_MEM && !r->null;
		expect = "ringbuf_mem";
		break;
	case EMU_ARG_CONST_SIZE:
	case EMU_ARG_CONST_SIZE_OR_ZERO:
	case EMU_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		ok = r->type == R_SCALAR;
		expect = "scalar";
		break;
	default:
		w->incomplete = true;
		return 0;
	}
	if (r->type == R_OPAQUE) {
		w->incomplete = true;
		return 0;
	}
	if (!ok) {
		vlog(w->c, "R%u type=%s expected=%s\n", regno, reg_type_str(r), expect);
		return -EACCES;
	}
	switch (kind) {
	case EMU_ARG_CONST_MAP_PTR:
		meta->map = (int)r->aux;
		return 0;
	case EMU_ARG_PTR_TO_CTX:
		if (r->off < 0) {
			vlog(w->c, "negative offset ctx ptr R%u off=%d disallowed\n", regno, r->off);
			return -EACCES;
		}
		if (r->off) {
			vlog(w->c, "dereference of modified ctx ptr R%u off=%d disallowed\n", regno, r->off);
			return -EACCES;
		}
		return 0;
	case EMU_ARG_PTR_TO_MAP_KEY:
	case EMU_ARG_PTR_TO_MAP_VALUE: {
		const struct emu_map_desc *m;

		if (meta->map < 0) {
			vlog(w->c, kind == EMU_ARG_PTR_TO_MAP_KEY ? "invalid map_ptr to access map->key\n"
								  : "invalid map_ptr to access map->value\n");
			return -EACCES;
		}
		m = chk_map(w->c, (uint32_t)meta->map);
		if (kind == EMU_ARG_PTR_TO_MAP_KEY)
			meta->const_key = const_map_key(w, r, m->key_size);
		return check_helper_mem(w, regno, (int32_t)(kind == EMU_ARG_PTR_TO_MAP_KEY ? m->key_size : m->value_size),
					(a & EMU_ARG_UNINIT) != 0, false, (a & EMU_ARG_UNINIT) != 0);
	}
	case EMU_ARG_PTR_TO_FUNC:
		meta->func_sub = (int)r->aux;
		return 0;
	case EMU_ARG_CONST_SIZE:
	case EMU_ARG_CONST_SIZE_OR_ZERO: {
		uint16_t prev = p->arg[argno - 1];

		return check_size_arg(w, regno, r, kind == EMU_ARG_CONST_SIZE_OR_ZERO, regno - 1,
				      EMU_ARG_KIND(prev) == EMU_ARG_PTR_TO_UNINIT_MEM, (prev & EMU_ARG_UNINIT) != 0);
	}
	case EMU_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (!sv_is_const(&r->s)) {
			vlog(w->c, "R%u is not a known constant'\n", regno);
			return -EACCES;
		}
		meta->alloc_size = (uint32_t)r->s.v;
		return 0;
	case EMU_ARG_PTR_TO_ALLOC_MEM:
		if (r->off || !sv_is_const(&r->s) || r->s.v) {
			vlog(w->c, "R%u must have zero offset when passed to release func\n", regno);
			return -EINVAL;
		}
		meta->release_ref = r->ref;
		meta->release_regno = (int)regno;
		return 0;
	case EMU_ARG_PTR_TO_SPIN_LOCK: {
		const struct emu_map_desc *m = chk_map(w->c, r->aux);

		/* a bpf_spin_lock is found through the map's BTF, which maps here do not carry */
		vlog(w->c, "map '%s' has to have BTF in order to use bpf_spin_lock\n", m->name);
		return -EINVAL;
	}
	case EMU_ARG_PTR_TO_CONST_STR: {
		const struct emu_map_desc *m = chk_map(w->c, r->aux);

		if (!(m->map_flags & EMU_F_RDONLY_PROG) || !m->frozen) {
			vlog(w->c, "R%u does not point to a readonly map'\n", regno);
			return -EACCES;
		}
		/* the NUL within the value is checked against the map's contents: not here */
		w->incomplete = true;
		return 0;
	}
	default:
		return 0;
	}
}

static int acquire_ref(struct walk *w, uint32_t idx)
{
	struct state *st = w->cur;

	if (st->nrefs >= 8) {
		w->incomplete = true;
		return 0;
	}
	st->refs[st->nrefs] = ++w->id_gen;
	st->ref_insn[st->nrefs] = idx;
	return (int)st->refs[st->nrefs++];
}

static void release_ref(struct walk *w, uint32_t ref)
{
	struct state *st = w->cur;

	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i] == ref) {
			memmove(&st->refs[i], &st->refs[i + 1], (st->nrefs - i - 1) * sizeof(st->refs[0]));
			memmove(&st->ref_insn[i], &st->ref_insn[i + 1], (st->nrefs - i - 1) * sizeof(st->ref_insn[0]));
			st->nrefs--;
			break;
		}
	for (uint32_t f = 0; f < st->nfr; f++) {
		for (int r = 0; r < EMU_MAX_BPF_REG; r++)
			if (st->fr[f].r[r].type == R_MEM && st->fr[f].r[r].ref == ref)
				mark_unknown(&st->fr[f].r[r]);
		for (int s = 0; s < EMU_STACK_SIZE / 8; s++)
			if (st->fr[f].st[s * 8 + 7] == SLOT_SPILL && st->fr[f].spill[s].type == R_MEM &&
			    st->fr[f].spill[s].ref == ref)
				mark_unknown(&st->fr[f].spill[s]);
			else if (st->fr[f].st[s * 8 + 7] == SLOT_DYNPTR && st->fr[f].spill[s].ref == ref) {
				/* unmark_stack_slots_dynptr: the released dynptr's bytes are no longer one */
				memset(&st->fr[f].st[s * 8], SLOT_INVALID, 8);
				memset(&st->fr[f].spill[s], 0, sizeof(st->fr[f].spill[s]));
			}
	}
}

uint32_t new_ref(struct walk *w, uint32_t idx)
{
	return (uint32_t)acquire_ref(w, idx);
}

static int push_frame(struct walk *w, uint32_t idx, uint32_t sub, bool cb)
{
	struct state *st = w->cur;
	struct frame *f;

	if (st->nfr >= EMU_MAX_CALL_FRAMES) {
		vlog(w->c, "the call stack of %u frames is too deep\n", st->nfr + 1);
		return -E2BIG;
	}
	f = &st->fr[st->nfr];
	memset(f, 0, sizeof(*f));
	f->callsite = idx;
	f->sub = sub;
	f->cb = cb;
	mark_unknown(&f->r[EMU_REG_FP]);
	memset(&f->r[EMU_REG_FP], 0, sizeof(f->r[EMU_REG_FP]));
	f->r[EMU_REG_FP].type = R_STACK;
	f->r[EMU_REG_FP].frameno = (uint8_t)st->nfr;
	sv_const(&f->r[EMU_REG_FP].s, 0);
	st->nfr++;
	return 0;
}

int do_helper_call(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	struct chk *c = w->c;
	int32_t id = in->imm;
	const struct emu_func_proto *p;
	struct call_meta meta = {.map = -1, .func_sub = -1, .release_regno = -1, .const_key = -1};
	struct reg *regs;
	char nb[64];
	int err;

	if (id < 0 || id >= EMU_NR_HELPERS) {
		vlog(c, "invalid func unknown#%d\n", id);
		return -EINVAL;
	}
	p = emu_helper_proto((uint32_t)id);
	if (!p || !(p->prog_types & EMU_PROG_BIT(c->in->prog_type))) {
		vlog(c, "program of this type cannot use helper %s#%d\n", id ? fn_name((uint32_t)id, nb, sizeof(nb)) : "bpf_unspec",
		     id);
		return -EINVAL;
	}
	if (p->gpl_only && !c->in->gpl) {
		vlog(c, "cannot call GPL-restricted function from non-GPL compatible program\n");
		return -EINVAL;
	}
	regs = cur_regs(w);
	if (!p->emulated) {
		if (!c->out->unemulated_helper)
			c->out->unemulated_helper = (uint32_t)id;
		w->incomplete = true;
		for (int r = 1; r <= 5; r++)
			memset(&regs[r], 0, sizeof(regs[r]));
		/* its result may be a number or a kernel object: not modelled */
		memset(&regs[0], 0, sizeof(regs[0]));
		regs[0].type = R_OPAQUE;
		sv_unknown(&regs[0].s);
		return 0;
	}
	for (int a = 0; a < 5; a++) {
		err = check_arg(w, p, a, &meta, idx);
		if (err)
			return err;
	}
	err = map_func_ok(w, meta.map >= 0 ? chk_map(c, (uint32_t)meta.map) : NULL, (uint32_t)id);
	if (err)
		return err;
	if (id == EMU_FN_tail_call)
		c->out->uses_tail_call = true;
	if (id == EMU_FN_dynptr_from_mem && regs[1].type != R_MAP_VALUE && regs[1].type != R_OPAQUE) {
		/* check_helper_call: a local dynptr is made over a map value only */
		vlog(c, "Unsupported reg type %s for bpf_dynptr_from_mem data\n", reg_type_str(&regs[1]));
		return -EACCES;
	}
	if (meta.dynptr.regno && (p->arg[meta.dynptr.regno - 1] & EMU_ARG_RELEASE)) {
		uint32_t ref;

		release_dynptr(w, (uint32_t)meta.dynptr.regno, &ref);
		if (ref)
			release_ref(w, ref);
	}
	if (id == EMU_FN_map_lookup_elem) {
		/* which map this call site looks up (the kernel's map_ptr_state): one map on every
		 * path lets the translator inline an array's lookup */
		uint32_t *lm = &c->out->lookup_map[idx];
		uint32_t want = meta.map >= 0 && !((uint32_t)meta.map & CHK_AUX_INNER) ? (uint32_t)meta.map + 1
										  : EMU_LOOKUP_MANY;

		*lm = !*lm || *lm == want ? want : EMU_LOOKUP_MANY;
	}
	if (meta.release_regno >= 0) {
		if (!meta.release_ref) {
			vlog(c, "R%d must be referenced when passed to release function\n", meta.release_regno);
			return -EINVAL;
		}
		release_ref(w, meta.release_ref);
	}
	regs = cur_regs(w);
	if (id == EMU_FN_loop || id == EMU_FN_for_each_map_elem || id == EMU_FN_user_ringbuf_drain) {
		/* the callback runs as a frame of its own, its R0 checked at its exit; back here
		 * R0 is the helper's result */
		struct reg caller[6];
		struct frame *f;

		if (meta.func_sub < 0)
			return 0;
		memcpy(caller, regs, sizeof(caller));
		err = push_frame(w, idx, (uint32_t)meta.func_sub, true);
		if (err)
			return err;
		for (int r = 0; r <= 5; r++)
			memset(&regs[r], 0, sizeof(regs[r]));
		f = &w->cur->fr[w->cur->nfr - 1];
		if (id == EMU_FN_loop) {
			mark_unknown(&f->r[1]);
			f->r[2] = caller[3];
		} else if (id == EMU_FN_user_ringbuf_drain) {
			/* set_user_ringbuf_callback_state: a local dynptr the callback may not change */
			memset(&f->r[1], 0, sizeof(f->r[1]));
			f->r[1].type = R_DYNPTR;
			f->r[1].aux = DYNPTR_LOCAL;
			f->r[1].dyn = ++w->id_gen;
			sv_const(&f->r[1].s, 0);
			f->r[2] = caller[3];
		} else {
			f->r[1] = caller[1];
			memset(&f->r[2], 0, sizeof(f->r[2]));
			f->r[2].type = R_MAP_KEY;
			f->r[2].aux = (uint32_t)meta.map;
			sv_const(&f->r[2].s, 0);
			memset(&f->r[3], 0, sizeof(f->r[3]));
			f->r[3].type = R_MAP_VALUE;
			f->r[3].aux = (uint32_t)meta.map;
			sv_const(&f->r[3].s, 0);
			f->r[4] = caller[3];
		}
		w->cur->insn = c->sub_start[meta.func_sub];
		return 1;
	}
	for (int r = 1; r <= 5; r++)
		memset(&regs[r], 0, sizeof(regs[r]));
	switch (p->ret) {
	case EMU_RET_VOID:
		memset(&regs[0], 0, sizeof(regs[0]));
		break;
	case EMU_RET_MAP_VALUE_OR_NULL: {
		const struct emu_map_desc *m = meta.map >= 0 ? chk_map(c, (uint32_t)meta.map) : NULL;

		memset(&regs[0], 0, sizeof(regs[0]));
		regs[0].type = R_MAP_VALUE;
		regs[0].null = 1;
		regs[0].aux = (uint32_t)meta.map;
		regs[0].id = ++w->id_gen;
		sv_const(&regs[0].s, 0);
		if (m && m->has_inner) {
			/* an of-maps lookup gives the inner map, which the template describes */
			regs[0].type = R_MAP_PTR;
			regs[0].aux |= CHK_AUX_INNER;
		}
		/* an array element at a known index in range cannot be missing */
		if (id == EMU_FN_map_lookup_elem && m && meta.const_key >= 0 &&
		    (m->type == EMU_MAP_ARRAY || m->type == EMU_MAP_PERCPU_ARRAY) && meta.const_key < m->max_entries) {
			regs[0].null = 0;
			regs[0].id = 0;
		}
		break;
	}
	case EMU_RET_ALLOC_MEM_OR_NULL: {
		int ref;

		memset(&regs[0], 0, sizeof(regs[0]));
		regs[0].type = R_MEM;
		regs[0].null = 1;
		regs[0].aux = meta.alloc_size;
		++w->id_gen;
		ref = acquire_ref(w, idx);
		regs = cur_regs(w);
		regs[0].id = regs[0].ref = (uint32_t)ref;
		sv_const(&regs[0].s, 0);
		break;
	}
	case EMU_RET_DYNPTR_MEM_OR_NULL:
		/* bpf_dynptr_data: PTR_TO_MEM of the constant size asked for, or NULL; it goes when
		 * its dynptr does (released, or overwritten) */
		memset(&regs[0], 0, sizeof(regs[0]));
		regs[0].type = R_MEM;
		regs[0].flag = 1;
		regs[0].null = 1;
		regs[0].aux = meta.alloc_size;
		regs[0].id = ++w->id_gen;
		regs[0].ref = meta.dynptr.ref;
		regs[0].dyn = meta.dynptr.dyn;
		sv_const(&regs[0].s, 0);
		break;
	default:
		mark_unknown(&regs[0]);
		break;
	}
	return 0;
}

int do_pseudo_call(struct walk *w, const struct emu_insn *in, uint32_t idx, uint32_t *next)
{
	struct reg caller[6];
	struct reg *regs = cur_regs(w);
	uint32_t target = idx + in->imm + 1, sub = chk_subprog_of(w->c, target);
	struct frame *f;
	int err;

	memcpy(caller, regs, sizeof(caller));
	err = push_frame(w, idx, sub, false);
	if (err)
		return err;
	for (int r = 0; r <= 5; r++)
		memset(&regs[r], 0, sizeof(regs[r]));
	f = &w->cur->fr[w->cur->nfr - 1];
	for (int r = 1; r <= 5; r++)
		f->r[r] = caller[r];
	*next = target;
	return 0;
}

static int ret_range(struct walk *w, const struct reg *r0, int32_t lo, int32_t hi, const char *where)
{
	if (r0->type == R_OPAQUE)
		return 0;
	if (r0->type != R_SCALAR) {
		vlog(w->c, "%s the register R0 is not a known value (%s)\n", where, reg_type_str(r0));
		return -EINVAL;
	}
	if (r0->s.smin >= lo && r0->s.smax <= hi)
		return 0;
	vlog(w->c, "%s the register R0 has", where);
	if (r0->s.smin > INT64_MIN)
		vlog(w->c, " smin=%lld", (long long)r0->s.smin);
	if (r0->s.smax < INT64_MAX)
		vlog(w->c, " smax=%lld", (long long)r0->s.smax);
	if (r0->s.smin == INT64_MIN && r0->s.smax == INT64_MAX)
		vlog(w->c, " unknown scalar value");
	vlog(w->c, " should have been in [%d, %d]\n", lo, hi);
	return -EINVAL;
}

int do_exit(struct walk *w, uint32_t idx, uint32_t *next, bool *path_done)
{
	struct state *st = w->cur;
	struct reg *regs = cur_regs(w);
	int32_t lo, hi;

	(void)idx;
	if (st->in_lock) {
		vlog(w->c, "bpf_spin_unlock is missing\n");
		return -EINVAL;
	}
	if (st->nfr == 1 && st->nrefs) {
		vlog(w->c, "Unreleased reference id=%u alloc_insn=%u\n", st->refs[0], st->ref_insn[0]);
		vlog(w->c, "BPF_EXIT instruction in main prog would lead to reference leak\n");
		return -EINVAL;
	}
	if (regs[0].type == R_NOT_INIT) {
		vlog(w->c, "R0 !read_ok\n");
		return -EACCES;
	}
	if (st->nfr > 1) {
		struct frame *callee = &st->fr[st->nfr - 1], *caller = &st->fr[st->nfr - 2];
		struct reg r0 = regs[0];

		if (callee->cb) {
			int err = ret_range(w, &r0, 0, 1, "At callback return");

			if (err)
				return err;
			mark_unknown(&r0);
		} else if (r0.type == R_STACK && r0.frameno == st->nfr - 1) {
			vlog(w->c, "cannot return stack pointer to the caller\n");
			return -EINVAL;
		}
		caller->r[0] = r0;
		*next = callee->callsite + 1;
		st->nfr--;
		return 0;
	}
	if (chk_ret_range(w->c, &lo, &hi)) {
		int err = ret_range(w, &regs[0], lo, hi, "At program exit");

		if (err)
			return err;
	}
	*path_done = true;
	return 0;
}
