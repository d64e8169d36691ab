/* SPDX-License-Identifier: MIT */
/*
 * The walk: an abstract interpretation of every path through the program, as the kernel's
 * do_check() does it, for a root loader. Each register holds a type (scalar, ctx, stack, map
 * value, packet...) and for scalars and pointer offsets a tnum with ranges (scalar.h); the stack
 * is tracked per byte and per spilled 8-byte slot. Conditional jumps that the values decide take
 * one side; the others push the jump side and go on with the fall-through (depth first, as the
 * kernel). At prune points a path stops when a finished earlier path came there in a state that
 * allows everything the current one allows; a state equal to one still being explored above it
 * is the kernel's "infinite loop detected"; more than 1M processed insns is its "too large".
 *
 * This file: states, branches, pruning, liveness and the driver; memory accesses are in
 * walk_mem.c, arithmetic in walk_alu.c, calls and exits in walk_call.c.
 *
 * Invariants: a refusal is logged with the kernel's message and errno; where this walk cannot
 * model something (kernel objects, unemulated helpers, budgets) it accepts and sets
 * w->incomplete, never refuses. Memory is bounded: at most CKPT_PER_INSN checkpoints per insn and
 * CKPT_MEM bytes of them, pending branches at most 8192 (the kernel's limit too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define CKPT_PER_INSN 64
#define CKPT_MEM (256u << 20)
#define PEND_MAX 8192u /* BPF_COMPLEXITY_LIMIT_JMP_SEQ */

size_t st_size(uint32_t nfr) { return offsetof(struct state, fr) + (size_t)nfr * sizeof(struct frame); }

struct reg *cur_regs(struct walk *w) { return w->cur->fr[w->cur->nfr - 1].r; }

void mark_unknown(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = R_SCALAR;
	sv_unknown(&r->s);
}

void mark_const(struct reg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = R_SCALAR;
	sv_const(&r->s, v);
}

void mark_ptr(struct reg *r, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	sv_const(&r->s, 0);
}

/* a value this walk does not model (an unemulated helper's result) */
void mark_opaque(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = R_OPAQUE;
	sv_unknown(&r->s);
}

const char *reg_type_str(const struct reg *r)
{
	static const char *const plain[] = {"?", "scalar", "ctx", "map_ptr", "map_value", "fp", "pkt", "pkt_end",
					    "pkt_meta", "ringbuf_mem", "func", "ptr_", "map_key", "dynptr_ptr"};
	static const char *const null[] = {"?", "scalar", "ctx", "map_ptr_or_null", "map_value_or_null", "fp", "pkt",
					   "pkt_end", "pkt_meta", "ringbuf_mem_or_null", "func", "ptr_or_null_",
					   "map_key_or_null", "dynptr_ptr"};

	if (r->type == R_MEM && r->flag)
		return r->null ? "mem_or_null" : "mem";
	return r->null ? null[r->type] : plain[r->type];
}

/* check_reg_arg for a source operand */
int reg_src(struct walk *w, uint32_t regno)
{
	if (regno >= EMU_MAX_BPF_REG) {
		vlog(w->c, "R%u is invalid\n", regno);
		return -EINVAL;
	}
	if (cur_regs(w)[regno].type == R_NOT_INIT) {
		vlog(w->c, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	return 0;
}

/* check_reg_arg for a destination */
int reg_dst(struct walk *w, uint32_t regno)
{
	if (regno >= EMU_MAX_BPF_REG) {
		vlog(w->c, "R%u is invalid\n", regno);
		return -EINVAL;
	}
	if (regno == EMU_REG_FP) {
		vlog(w->c, "frame pointer is read only\n");
		return -EACCES;
	}
	return 0;
}

/* every register (and spilled register) of the state */
#define FOR_EACH_REG(st, rp, body)                                                                   \
	for (uint32_t _f = 0; _f < (st)->nfr; _f++) {                                                \
		for (uint32_t _r = 0; _r < EMU_MAX_BPF_REG; _r++) {                                  \
			struct reg *rp = &(st)->fr[_f].r[_r];                                        \
			body;                                                                        \
		}                                                                                    \
		for (uint32_t _s = 0; _s < EMU_STACK_SIZE / 8; _s++) {                               \
			if ((st)->fr[_f].st[_s * 8 + 7] != SLOT_SPILL)                               \
				continue;                                                            \
			struct reg *rp = &(st)->fr[_f].spill[_s];                                    \
			body;                                                                        \
		}                                                                                    \
	}

/* the bounds learnt for one scalar hold for its linked copies (same id) */
static void sync_linked(struct state *st, const struct reg *r)
{
	if (r->type != R_SCALAR || !r->id)
		return;
	FOR_EACH_REG(st, x, {
		if (x->type == R_SCALAR && x->id == r->id)
			x->s = r->s;
	});
}

/* ---- branches ---- */

static struct state *st_copy(struct walk *w, const struct state *s)
{
	struct state *n = malloc(st_size(s->nfr));

	(void)w;
	if (n)
		memcpy(n, s, st_size(s->nfr));
	return n;
}

static int push_branch(struct walk *w, struct state *s)
{
	if (w->npend >= PEND_MAX) {
		vlog(w->c, "The sequence of %u jumps is too complex.\n", w->npend + 1);
		free(s);
		return -E2BIG;
	}
	if (w->npend == w->cappend) {
		uint32_t nc = w->cappend ? w->cappend * 2 : 64;
		struct state **p = realloc(w->pend, nc * sizeof(*p));

		if (!p) {
			free(s);
			return -ENOMEM;
		}
		w->pend = p;
		w->cappend = nc;
	}
	if (s->parent)
		s->parent->branches++;
	w->pend[w->npend++] = s;
	return 0;
}

/* the null check of a maybe-null pointer: every copy (same id) becomes 0 or non-null */
static void mark_null(struct state *st, uint32_t id, bool is_null)
{
	if (!id)
		return;
	if (is_null) {
		/* a NULL from an acquiring helper holds no reference */
		for (uint32_t i = 0; i < st->nrefs; i++)
			if (st->refs[i] == id) {
				memmove(&st->refs[i], &st->refs[i + 1], (st->nrefs - i - 1) * sizeof(st->refs[0]));
				memmove(&st->ref_insn[i], &st->ref_insn[i + 1], (st->nrefs - i - 1) * sizeof(st->ref_insn[0]));
				st->nrefs--;
				break;
			}
	}
	FOR_EACH_REG(st, x, {
		if (x->null && x->id == id && x->type != R_SCALAR) {
			if (is_null) {
				mark_const(x, 0);
			} else {
				x->null = 0;
				if (x->type == R_MAP_VALUE || x->type == R_MAP_PTR)
					x->id = 0;
			}
		}
	});
}

static void set_pkt_range(struct state *st, const struct reg *p, bool open)
{
	int32_t nr;

	if (p->off < 0 || (p->off == 0 && open))
		return;
	if (p->s.umax > EMU_MAX_PACKET_OFF || p->s.umax + p->off > EMU_MAX_PACKET_OFF)
		return;
	nr = p->off + (open ? 1 : 0);
	FOR_EACH_REG(st, x, {
		if (x->type == p->type && x->id == p->id && x->range < nr)
			x->range = nr;
	});
}

/* try_match_pkt_pointers: this = fall-through state, other = jump state */
static void pkt_compare(struct state *this_st, struct state *other, const struct reg *d, const struct reg *s, uint8_t op)
{
	bool d_pkt = d->type == R_PKT && s->type == R_PKT_END;
	bool s_pkt = d->type == R_PKT_END && s->type == R_PKT;

	if (!d_pkt && !s_pkt)
		return;
	switch (op) {
	case EMU_JGT:
		if (d_pkt)
			set_pkt_range(this_st, d, false);
		else
			set_pkt_range(other, s, true);
		break;
	case EMU_JLT:
		if (d_pkt)
			set_pkt_range(other, d, true);
		else
			set_pkt_range(this_st, s, false);
		break;
	case EMU_JGE:
		if (d_pkt)
			set_pkt_range(this_st, d, true);
		else
			set_pkt_range(other, s, false);
		break;
	case EMU_JLE:
		if (d_pkt)
			set_pkt_range(other, d, false);
		else
			set_pkt_range(this_st, s, true);
		break;
	}
}

static int do_cond_jmp(struct walk *w, const struct emu_insn *in, uint32_t idx, uint32_t *next, bool *dead)
{
	uint8_t op = EMU_OP(in->code);
	bool x = EMU_SRC(in->code) == EMU_X, is32 = EMU_CLASS(in->code) == EMU_JMP32;
	struct reg *regs = cur_regs(w), d, s;
	uint32_t target = idx + in->off + 1;
	int taken = -1, err;
	struct state *other;

	if (op == EMU_JCOND) {
		if (in->src_reg != EMU_MAY_GOTO || in->dst_reg || in->imm || EMU_CLASS(in->code) != EMU_JMP) {
			vlog(w->c, "invalid may_goto imm %d\n", in->imm);
			return -EINVAL;
		}
		w->incomplete = true;
		other = st_copy(w, w->cur);
		if (!other)
			return -ENOMEM;
		other->insn = target;
		*next = idx + 1;
		return push_branch(w, other);
	}
	if ((err = reg_src(w, in->dst_reg)))
		return err;
	if (x) {
		if (in->imm) {
			vlog(w->c, "BPF_JMP/JMP32 uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->src_reg)))
			return err;
	} else if (in->src_reg) {
		vlog(w->c, "BPF_JMP/JMP32 uses reserved fields\n");
		return -EINVAL;
	}
	d = regs[in->dst_reg];
	if (x)
		s = regs[in->src_reg];
	else
		mark_const(&s, is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
	if (d.type == R_OPAQUE || s.type == R_OPAQUE) {
		taken = -1;
	} else if (d.type == R_SCALAR && s.type == R_SCALAR) {
		taken = sv_branch(&d.s, &s.s, op, is32);
	} else if (!is32 && (op == EMU_JEQ || op == EMU_JNE) && s.type == R_SCALAR && sv_is_const(&s.s) && s.s.v == 0 &&
		   d.type != R_SCALAR && !d.null) {
		taken = op == EMU_JNE;
	}
	if (taken == 1) {
		*next = target;
		return 0;
	}
	if (taken == 0) {
		*next = idx + 1;
		return 0;
	}
	other = st_copy(w, w->cur);
	if (!other)
		return -ENOMEM;
	other->insn = target;
	{
		struct reg *od = &other->fr[other->nfr - 1].r[in->dst_reg];
		struct reg *td = &regs[in->dst_reg];
		bool other_ok = true, this_ok = true;

		if (d.type == R_OPAQUE || s.type == R_OPAQUE) {
			/* nothing to learn */
		} else if (d.type == R_SCALAR && s.type == R_SCALAR) {
			struct reg os = s, ts = s;
			struct reg *osp = x ? &other->fr[other->nfr - 1].r[in->src_reg] : &os;
			struct reg *tsp = x ? &regs[in->src_reg] : &ts;

			other_ok = sv_refine(&od->s, &osp->s, op, true, is32);
			this_ok = sv_refine(&td->s, &tsp->s, op, false, is32);
			if (other_ok) {
				sync_linked(other, od);
				if (x)
					sync_linked(other, osp);
			}
			if (this_ok) {
				sync_linked(w->cur, td);
				if (x)
					sync_linked(w->cur, tsp);
			}
		} else if (!is32 && (op == EMU_JEQ || op == EMU_JNE) && d.null && s.type == R_SCALAR &&
			   sv_is_const(&s.s) && s.s.v == 0) {
			mark_null(other, d.id, op == EMU_JEQ);
			mark_null(w->cur, d.id, op != EMU_JEQ);
		} else if (!is32 && x) {
			pkt_compare(w->cur, other, &d, &s, op);
		}
		if (!other_ok) {
			free(other);
			if (!this_ok) {
				*dead = true;
				return 0;
			}
			*next = idx + 1;
			return 0;
		}
		if (!this_ok) {
			/* only the jump is possible: continue there */
			uint32_t nfr = other->nfr;

			memcpy(w->cur, other, st_size(nfr));
			free(other);
			*next = target;
			return 0;
		}
	}
	*next = idx + 1;
	return push_branch(w, other);
}

/* ---- pruning ---- */

static bool reg_within(const struct reg *o, const struct reg *c)
{
	if (o->type == R_NOT_INIT)
		return true;
	if (o->type != c->type || o->null != c->null)
		return false;
	if (o->type == R_SCALAR)
		return sv_within(&o->s, &c->s);
	if (o->off != c->off || o->aux != c->aux || o->frameno != c->frameno || o->ref != c->ref || o->flag != c->flag)
		return false;
	if ((o->type == R_PKT || o->type == R_PKT_META) && (o->range > c->range || o->id != c->id))
		return false;
	if (o->null && o->id != c->id)
		return false;
	return sv_within(&o->s, &c->s);
}

static bool reg_exact(const struct reg *a, const struct reg *b)
{
	return a->type == b->type && a->null == b->null && a->off == b->off && a->aux == b->aux && a->range == b->range &&
	       a->flag == b->flag &&
	       a->frameno == b->frameno && a->ref == b->ref && (a->type != R_SCALAR || a->id == b->id || 1) &&
	       (a->type == R_NOT_INIT || sv_equal(&a->s, &b->s));
}

static bool states_match(struct walk *w, const struct state *o, const struct state *c, bool exact)
{
	if (o->nfr != c->nfr || o->nrefs != c->nrefs || o->in_lock != c->in_lock)
		return false;
	for (uint32_t f = 0; f < o->nfr; f++) {
		const struct frame *of = &o->fr[f], *cf = &c->fr[f];
		uint16_t live = f == o->nfr - 1 ? w->c->live[c->insn] : 0xffff;

		if (of->callsite != cf->callsite)
			return false;
		for (int r = 0; r < EMU_MAX_BPF_REG; r++) {
			if (exact) {
				if (!reg_exact(&of->r[r], &cf->r[r]))
					return false;
			} else if ((live >> r) & 1) {
				if (!reg_within(&of->r[r], &cf->r[r]))
					return false;
			}
		}
		for (int b = 0; b < EMU_STACK_SIZE; b++) {
			uint8_t ot = of->st[b], ct = cf->st[b];

			if (exact) {
				if (ot != ct)
					return false;
			} else if (ot == SLOT_INVALID || ot == SLOT_MISC) {
				if (ct == SLOT_SPILL && cf->spill[b / 8].type != R_SCALAR && ot == SLOT_MISC)
					return false;
				if (ct == SLOT_DYNPTR && ot == SLOT_MISC)
					return false; /* its bytes may not be read */
				continue;
			} else if (ot != ct) {
				return false;
			}
			if ((b & 7) == 7 && ot == SLOT_DYNPTR) {
				const struct reg *od = &of->spill[b / 8], *cd = &cf->spill[b / 8];

				if (od->aux != cd->aux || od->flag != cd->flag || od->ref != cd->ref)
					return false;
			}
			if ((b & 7) == 7 && ot == SLOT_SPILL) {
				if (exact ? !reg_exact(&of->spill[b / 8], &cf->spill[b / 8])
					  : !reg_within(&of->spill[b / 8], &cf->spill[b / 8]))
					return false;
			}
		}
	}
	return true;
}

/* is_state_visited: 1 prune, 0 go on, <0 error */
static int visited(struct walk *w, uint32_t idx)
{
	struct chk *c = w->c;
	bool add = (w->jmps - w->prev_jmps >= 2 && c->processed - w->prev_insns >= 8);
	struct ckpt *k;
	struct state *s;

	for (k = w->at[idx]; k; k = k->next) {
		if (k->branches) {
			if (c->insn[idx].code == (EMU_JMP | EMU_JCOND)) {
				if (states_match(w, k->st, w->cur, false))
					return 1;
			} else if (states_match(w, k->st, w->cur, true)) {
				vlog(c, "infinite loop detected at insn %u\n", idx);
				return -EINVAL;
			}
			if (w->jmps - w->prev_jmps < 20 && c->processed - w->prev_insns < 100)
				add = false;
			continue;
		}
		if (states_match(w, k->st, w->cur, false))
			return 1;
	}
	if (!add)
		return 0;
	if (w->nat[idx] >= CKPT_PER_INSN || w->mem > CKPT_MEM)
		return 0;
	s = st_copy(w, w->cur);
	k = calloc(1, sizeof(*k));
	if (!s || !k) {
		free(s);
		free(k);
		return -ENOMEM;
	}
	s->parent = NULL;
	k->st = s;
	k->branches = 1;
	k->parent = w->cur->parent;
	k->next = w->at[idx];
	w->at[idx] = k;
	w->nat[idx]++;
	w->mem += st_size(s->nfr) + sizeof(*k);
	w->cur->parent = k;
	w->prev_jmps = w->jmps;
	w->prev_insns = c->processed;
	c->total_states++;
	if (c->total_states > c->peak_states)
		c->peak_states = c->total_states;
	if (w->nat[idx] > c->max_states_per_insn)
		c->max_states_per_insn = w->nat[idx];
	return 0;
}

static void path_done(struct walk *w)
{
	for (struct ckpt *k = w->cur->parent; k; k = k->parent) {
		if (--k->branches)
			break;
	}
}

/* ---- liveness (registers read before written, per insn, within a subprogram) ---- */

static void compute_live(struct chk *c)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (uint32_t i = c->cnt; i-- > 0;) {
			const struct emu_insn *in = &c->insn[i];
			uint8_t cls = EMU_CLASS(in->code), op = EMU_OP(in->code);
			uint16_t use = 0, def = 0, out = 0, nl;

			if (c->flags[i] & IF_LDIMM2)
				continue;
			switch (cls) {
			case EMU_ALU:
			case EMU_ALU64:
				def = 1u << (in->dst_reg & 15);
				if (op != EMU_MOV)
					use |= 1u << (in->dst_reg & 15);
				if (EMU_SRC(in->code) == EMU_X && op != EMU_NEG && op != EMU_END)
					use |= 1u << (in->src_reg & 15);
				out = i + 1 < c->cnt ? c->live[i + 1] : 0;
				break;
			case EMU_LDX:
				use = 1u << (in->src_reg & 15);
				def = 1u << (in->dst_reg & 15);
				out = i + 1 < c->cnt ? c->live[i + 1] : 0;
				break;
			case EMU_ST:
			case EMU_STX:
				use = (1u << (in->dst_reg & 15)) | (cls == EMU_STX ? 1u << (in->src_reg & 15) : 0) | 1u;
				out = i + 1 < c->cnt ? c->live[i + 1] : 0;
				if (cls == EMU_STX && EMU_MODE(in->code) == EMU_ATOMIC)
					out |= 1u | (1u << (in->src_reg & 15));
				break;
			case EMU_LD:
				if (in->code == EMU_LD_IMM64) {
					def = 1u << (in->dst_reg & 15);
					out = i + 2 < c->cnt ? c->live[i + 2] : 0;
				} else {
					use = (1u << 6) | (1u << (in->src_reg & 15));
					def = 0x3f;
					out = i + 1 < c->cnt ? c->live[i + 1] : 0;
				}
				break;
			default:
				if (op == EMU_EXIT) {
					use = 1;
				} else if (op == EMU_CALL) {
					use = 0x3e;
					def = 0x3f;
					out = i + 1 < c->cnt ? c->live[i + 1] : 0;
				} else if (op == EMU_JA) {
					int64_t t = (int64_t)i + (cls == EMU_JMP32 ? in->imm : in->off) + 1;

					out = t >= 0 && t < c->cnt ? c->live[t] : 0;
				} else {
					int64_t t = (int64_t)i + in->off + 1;

					use = (1u << (in->dst_reg & 15)) | (EMU_SRC(in->code) == EMU_X ? 1u << (in->src_reg & 15) : 0);
					out = (i + 1 < c->cnt ? c->live[i + 1] : 0) | (t >= 0 && t < c->cnt ? c->live[t] : 0);
				}
				break;
			}
			nl = (uint16_t)(use | (out & ~def)) | (1u << EMU_REG_FP);
			if (nl != c->live[i]) {
				c->live[i] = nl;
				changed = true;
			}
		}
	}
}

/* ---- the driver ---- */

static int step(struct walk *w, bool *done)
{
	struct chk *c = w->c;
	uint32_t idx = w->cur->insn, next = idx + 1;
	const struct emu_insn *in = &c->insn[idx];
	uint8_t cls = EMU_CLASS(in->code);
	int err = 0;

	if (++c->processed > EMU_COMPLEXITY_LIMIT) {
		vlog(c, "BPF program is too large. Processed %u insn\n", c->processed);
		return -E2BIG;
	}
	if (c->flags[idx] & IF_PRUNE) {
		err = visited(w, idx);
		if (err < 0)
			return err;
		if (err == 1) {
			*done = true;
			return 0;
		}
	}
	switch (cls) {
	case EMU_ALU:
	case EMU_ALU64:
		err = do_alu(w, in);
		break;
	case EMU_LDX:
		err = do_ldx(w, in, idx);
		break;
	case EMU_ST:
	case EMU_STX:
		err = do_store(w, in, idx);
		break;
	case EMU_LD:
		err = do_ld(w, in, idx);
		if (in->code == EMU_LD_IMM64)
			next = idx + 2;
		break;
	case EMU_JMP:
	case EMU_JMP32: {
		uint8_t op = EMU_OP(in->code);

		w->jmps++;
		if (op == EMU_CALL) {
			if (EMU_SRC(in->code) != EMU_K ||
			    (in->src_reg != EMU_PSEUDO_KFUNC_CALL && in->off != 0) ||
			    (in->src_reg != EMU_CALL_HELPER && in->src_reg != EMU_PSEUDO_CALL &&
			     in->src_reg != EMU_PSEUDO_KFUNC_CALL) ||
			    in->dst_reg != 0 || cls == EMU_JMP32) {
				vlog(c, "BPF_CALL uses reserved fields\n");
				return -EINVAL;
			}
			if (w->cur->in_lock) {
				vlog(c, "function calls are not allowed while holding a lock\n");
				return -EINVAL;
			}
			if (in->src_reg == EMU_PSEUDO_CALL)
				err = do_pseudo_call(w, in, idx, &next);
			else if (in->src_reg == EMU_PSEUDO_KFUNC_CALL)
				c->unresolved_kfunc_seen = true; /* (imm 0: add_subprogs refused the rest) */
			else
				err = do_helper_call(w, in, idx);
			if (err == 1) {
				/* a callback frame was pushed: go on at its start */
				next = w->cur->insn;
				err = 0;
			}
		} else if (op == EMU_JA) {
			if (EMU_SRC(in->code) != EMU_K || in->src_reg || in->dst_reg ||
			    (cls == EMU_JMP && in->imm) || (cls == EMU_JMP32 && in->off)) {
				vlog(c, "BPF_JA uses reserved fields\n");
				return -EINVAL;
			}
			next = idx + (cls == EMU_JMP32 ? in->imm : in->off) + 1;
		} else if (op == EMU_EXIT) {
			if (EMU_SRC(in->code) != EMU_K || in->imm || in->src_reg || in->dst_reg || cls == EMU_JMP32) {
				vlog(c, "BPF_EXIT uses reserved fields\n");
				return -EINVAL;
			}
			err = do_exit(w, idx, &next, done);
		} else {
			bool dead = false;

			if (op == EMU_JA || op > EMU_JCOND) {
				vlog(c, "invalid BPF_JMP/JMP32 opcode %x\n", op);
				return -EINVAL;
			}
			err = do_cond_jmp(w, in, idx, &next, &dead);
			if (dead)
				*done = true;
		}
		break;
	}
	}
	if (err)
		return err;
	w->cur->insn = next;
	return 0;
}

static void free_walk(struct walk *w)
{
	if (w->at) {
		for (uint32_t i = 0; i < w->c->cnt; i++) {
			struct ckpt *k = w->at[i];

			while (k) {
				struct ckpt *n = k->next;

				free(k->st);
				free(k);
				k = n;
			}
		}
	}
	for (uint32_t i = 0; i < w->npend; i++)
		free(w->pend[i]);
	free(w->pend);
	free(w->at);
	free(w->nat);
	free(w->cur);
}

int chk_walk(struct chk *c)
{
	struct walk w;
	uint64_t start;
	int err = 0;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.at = calloc(c->cnt, sizeof(*w.at));
	w.nat = calloc(c->cnt, sizeof(*w.nat));
	w.cur = calloc(1, sizeof(*w.cur));
	if (!w.at || !w.nat || !w.cur) {
		free_walk(&w);
		return -ENOMEM;
	}
	compute_live(c);
	w.cur->nfr = 1;
	mark_ptr(&w.cur->fr[0].r[1], R_CTX);
	mark_ptr(&w.cur->fr[0].r[EMU_REG_FP], R_STACK);
	start = c->log->end_pos;
	if (c->log->level & (EMU_LOG_LEVEL1 | EMU_LOG_LEVEL2))
		vlog(c, "0: R1=ctx() R10=fp0\n");
	for (;;) {
		bool done = false;

		while (!done && !err)
			err = step(&w, &done);
		if (err)
			break;
		path_done(&w);
		if (!w.npend)
			break;
		free(w.cur);
		w.cur = w.pend[--w.npend];
		{
			/* the current state is always a full-size allocation */
			struct state *full = malloc(sizeof(*full));

			if (!full) {
				err = -ENOMEM;
				break;
			}
			memcpy(full, w.cur, st_size(w.cur->nfr));
			free(w.cur);
			w.cur = full;
		}
	}
	if (w.incomplete)
		c->out->analysis_incomplete = true;
	free_walk(&w);
	/* at level 1 the kernel drops the trace of paths that verified: a program that passes
	 * leaves none */
	if (!err && !(c->log->level & EMU_LOG_LEVEL2))
		emu_vlog_reset(c->log, start);
	return err;
}
