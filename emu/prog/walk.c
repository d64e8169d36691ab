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
 * Invariants: a refusal is logged with the kernel's message and errno; where this walk cannot
 * model something (kernel objects, unemulated helpers, budgets) it accepts and sets
 * w->incomplete, never refuses. Memory is bounded: at most CKPT_PER_INSN checkpoints per insn and
 * CKPT_MEM bytes of them, pending branches at most 1M.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define CKPT_PER_INSN 64
#define CKPT_MEM (256u << 20)
#define PEND_MAX (1u << 20)

static const char *const alu_str[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=",
					"^=", "=", "s>>=", "endian", "?", "?"};

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

static void mark_ptr(struct reg *r, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	sv_const(&r->s, 0);
}

/* a value this walk does not model (an unemulated helper's result) */
static void mark_opaque(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = R_OPAQUE;
	sv_unknown(&r->s);
}

const char *reg_type_str(const struct reg *r)
{
	static const char *const plain[] = {"?", "scalar", "ctx", "map_ptr", "map_value", "fp", "pkt", "pkt_end",
					    "pkt_meta", "ringbuf_mem", "func", "ptr_"};
	static const char *const null[] = {"?", "scalar", "ctx", "map_ptr", "map_value_or_null", "fp", "pkt",
					   "pkt_end", "pkt_meta", "ringbuf_mem_or_null", "func", "ptr_or_null_"};

	return r->null ? null[r->type] : plain[r->type];
}

/* check_reg_arg for a source operand */
static int reg_src(struct walk *w, uint32_t regno)
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
static int reg_dst(struct walk *w, uint32_t regno)
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

/* ---- memory ---- */

/* tnum_strn: a constant as its value, else (value; mask) */
static void tnum_str(char *buf, size_t n, const struct sval *s)
{
	if (sv_is_const(s))
		snprintf(buf, n, "%lld", (long long)s->v);
	else
		snprintf(buf, n, "(%#llx; %#llx)", (unsigned long long)s->v, (unsigned long long)s->m);
}

static int mem_region(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, uint32_t mem_size,
		      bool zero_ok, const char *kind)
{
	int64_t lo, hi;
	bool size_ok = size > 0 || (size == 0 && zero_ok);

	/* a planted fault for the differential test: one byte too many allowed */
	if (EMU_FAULT_CHECK_OOB && r->type == R_MAP_VALUE)
		mem_size += 1;
	if (r->s.smin < 0 && (r->s.smin == INT64_MIN || (int64_t)(int32_t)(off + r->s.smin) != off + r->s.smin ||
			      r->s.smin + off < 0)) {
		vlog(w->c, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n", regno);
		return -EACCES;
	}
	lo = r->s.smin + off;
	if (!(lo >= 0 && size_ok && (uint64_t)lo + size <= mem_size)) {
		if (!strcmp(kind, "map value"))
			vlog(w->c, "invalid access to map value, value_size=%u off=%d size=%d\n",
			     mem_size - (EMU_FAULT_CHECK_OOB ? 1 : 0), (int)lo, size);
		else
			vlog(w->c, "invalid access to memory, mem_size=%u off=%d size=%d\n", mem_size, (int)lo, size);
		vlog(w->c, "R%u min value is outside of the allowed memory range\n", regno);
		return -EACCES;
	}
	if (r->s.umax >= EMU_MAX_VAR_OFF) {
		vlog(w->c, "R%u unbounded memory access, make sure to bounds check any such access\n", regno);
		return -EACCES;
	}
	hi = (int64_t)r->s.umax + off;
	if (!(hi >= 0 && size_ok && (uint64_t)hi + size <= mem_size)) {
		if (!strcmp(kind, "map value"))
			vlog(w->c, "invalid access to map value, value_size=%u off=%d size=%d\n",
			     mem_size - (EMU_FAULT_CHECK_OOB ? 1 : 0), (int)hi, size);
		else
			vlog(w->c, "invalid access to memory, mem_size=%u off=%d size=%d\n", mem_size, (int)hi, size);
		vlog(w->c, "R%u max value is outside of the allowed memory range\n", regno);
		return -EACCES;
	}
	return 0;
}

static int pkt_access(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, bool zero_ok)
{
	bool size_ok = size > 0 || (size == 0 && zero_ok);

	if (r->s.smin < 0) {
		vlog(w->c, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n", regno);
		return -EACCES;
	}
	if (!(off >= 0 && size_ok && (int64_t)off + size <= r->range)) {
		vlog(w->c, "invalid access to packet, off=%d size=%d, R%u(id=%u,off=%d,r=%d)\n", off, size, regno, r->id,
		     off, r->range);
		vlog(w->c, "R%u offset is outside of the packet\n", regno);
		return -EACCES;
	}
	return 0;
}

/* check_stack_access_within_bounds; on success the byte range [*lo, *hi) of the frame */
static int stack_bounds(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, const char *what,
			int64_t *lo, int64_t *hi)
{
	int64_t min_off, max_off;
	int err = 0;

	if (sv_is_const(&r->s)) {
		min_off = (int64_t)r->s.v + off;
		max_off = min_off + size;
	} else {
		if (r->s.smax >= EMU_MAX_VAR_OFF || r->s.smin <= -(int64_t)EMU_MAX_VAR_OFF) {
			vlog(w->c, "invalid unbounded variable-offset%s stack R%u\n", what, regno);
			return -EACCES;
		}
		min_off = r->s.smin + off;
		max_off = r->s.smax + off + size;
	}
	if (min_off < -EMU_STACK_SIZE || min_off > -1)
		err = -EACCES;
	else if (max_off > 0)
		err = -EINVAL;
	if (err) {
		if (sv_is_const(&r->s))
			vlog(w->c, "invalid%s stack R%u off=%d size=%d\n", what, regno, (int)(off + (int64_t)r->s.v), size);
		else
			vlog(w->c, "invalid variable-offset%s stack R%u var_off=(%#llx; %#llx) off=%d size=%d\n", what, regno,
			     (unsigned long long)r->s.v, (unsigned long long)r->s.m, off, size);
		return err;
	}
	*lo = min_off;
	*hi = max_off;
	return 0;
}

static void note_depth(struct walk *w, uint32_t frameno, int64_t lo)
{
	uint32_t sub = w->cur->fr[frameno].sub;

	if (-lo > w->c->sub_depth[sub])
		w->c->sub_depth[sub] = (int32_t)-lo;
}

static bool is_spillable(const struct reg *r)
{
	return r->type != R_SCALAR && r->type != R_NOT_INIT && r->type != R_OPAQUE;
}

#define ST_AT(f, addr) ((f)->st[EMU_STACK_SIZE + (addr)])

/* the bytes of the 8-byte slot at base that hold a spilled register (from base up), 0 if none */
static int spill_size(const struct frame *f, int64_t base)
{
	int n = 0;

	while (n < 8 && ST_AT(f, base + n) == SLOT_SPILL)
		n++;
	return n;
}

/* a slot's spill is gone: its bytes hold data of no known type */
static void scrub_slot(struct frame *f, int64_t base)
{
	if (ST_AT(f, base) != SLOT_SPILL)
		return;
	for (int k = 0; k < 8; k++)
		if (ST_AT(f, base + k) == SLOT_SPILL)
			ST_AT(f, base + k) = SLOT_MISC;
}

/*
 * check_stack_write_fixed_off: an aligned write of a scalar (or an ST immediate) is a spill of
 * `size` bytes that keeps the value; a pointer must be spilled whole; other writes leave bytes
 * of data (known zero where the value is 0) and break the slot's spill.
 */
static int stack_write(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, const struct reg *val,
		       const struct reg *imm)
{
	struct frame *f = &w->cur->fr[r->frameno];
	int64_t lo, hi, base;
	int err = stack_bounds(w, regno, r, off, size, " write to", &lo, &hi);

	if (err)
		return err;
	note_depth(w, r->frameno, lo);
	if (!sv_is_const(&r->s)) {
		for (int64_t b = lo; b < hi; b++) {
			scrub_slot(f, b & ~7);
			ST_AT(f, b) = SLOT_MISC;
		}
		return 0;
	}
	base = lo & ~7;
	if ((val && (val->type == R_SCALAR || val->type == R_OPAQUE) && !(lo & 7)) || (imm && !(lo & 7)) ||
	    (val && is_spillable(val))) {
		if (val && is_spillable(val) && size != 8) {
			vlog(w->c, "invalid size of register spill\n");
			return -EACCES;
		}
		f->spill[(EMU_STACK_SIZE + base) / 8] = val ? *val : *imm;
		for (int k = 0; k < 8; k++) {
			uint8_t *t = &ST_AT(f, base + k);

			if (k < size)
				*t = SLOT_SPILL;
			else if (*t != SLOT_ZERO && *t != SLOT_INVALID)
				*t = SLOT_MISC;
		}
		return 0;
	}
	scrub_slot(f, base);
	{
		bool zero = (val && val->type == R_SCALAR && sv_is_const(&val->s) && val->s.v == 0) ||
			    (imm && sv_is_const(&imm->s) && imm->s.v == 0);

		for (int64_t b = lo; b < hi; b++)
			ST_AT(f, b) = zero ? SLOT_ZERO : SLOT_MISC;
	}
	return 0;
}

/* check_stack_read_fixed_off */
static int stack_read(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, struct reg *out)
{
	struct frame *f = &w->cur->fr[r->frameno];
	int64_t lo, hi, base;
	int err = stack_bounds(w, regno, r, off, size, " read from", &lo, &hi), ssz;

	if (err)
		return err;
	note_depth(w, r->frameno, lo);
	if (!sv_is_const(&r->s)) {
		mark_unknown(out);
		return 0;
	}
	base = lo & ~7;
	ssz = spill_size(f, base);
	if (ssz) {
		const struct reg *sp = &f->spill[(EMU_STACK_SIZE + base) / 8];
		int nspill = 0, nzero = 0;

		if (size == 8 && ssz == 8) {
			*out = *sp;
			return 0;
		}
		if (sp->type == R_OPAQUE) {
			mark_opaque(out);
			return 0;
		}
		if (sp->type != R_SCALAR) {
			vlog(w->c, "invalid size of register fill\n");
			return -EACCES;
		}
		if (size <= ssz && lo == base) {
			*out = *sp;
			if (size < 8 && out->s.umax >> (size * 8))
				out->id = 0;
			return 0;
		}
		for (int64_t b = lo; b < hi; b++) {
			nspill += ST_AT(f, b) == SLOT_SPILL;
			nzero += ST_AT(f, b) == SLOT_ZERO;
		}
		if ((nspill == size && sv_is_const(&sp->s) && sp->s.v == 0) || nzero == size)
			mark_const(out, 0);
		else
			mark_unknown(out);
		return 0;
	}
	for (int64_t b = lo; b < hi; b++)
		if (ST_AT(f, b) != SLOT_ZERO) {
			mark_unknown(out);
			return 0;
		}
	mark_const(out, 0);
	return 0;
}

/* get_constant_map_key: the key a stack pointer points at, if it is a known constant of
 * key_size bytes (zeroed bytes or one spilled constant); -1 otherwise */
int64_t const_map_key(struct walk *w, const struct reg *key, uint32_t key_size)
{
	const struct frame *f;
	int64_t addr, base;
	uint32_t n = 0;

	if (key->type != R_STACK || !sv_is_const(&key->s))
		return -1;
	f = &w->cur->fr[key->frameno];
	addr = key->off + (int64_t)key->s.v;
	if (addr < -EMU_STACK_SIZE || addr >= 0)
		return -1;
	base = addr & ~7;
	for (int64_t b = addr; b < base + 8 && ST_AT(f, b) == SLOT_ZERO; b++)
		n++;
	if (n >= key_size)
		return 0;
	if (ST_AT(f, base) != SLOT_SPILL || f->spill[(EMU_STACK_SIZE + base) / 8].type != R_SCALAR)
		return -1;
	n = 0;
	for (int64_t b = addr; b < base + 8 && ST_AT(f, b) == SLOT_SPILL; b++)
		n++;
	if (n != key_size || !sv_is_const(&f->spill[(EMU_STACK_SIZE + base) / 8].s))
		return -1;
	return (int64_t)f->spill[(EMU_STACK_SIZE + base) / 8].s.v;
}

static int ctx_access(struct walk *w, uint32_t regno, const struct reg *r, int32_t off, int size, bool write,
		      struct reg *out)
{
	struct chk_ctx_access acc;

	if (r->off < 0) {
		vlog(w->c, "negative offset ctx ptr R%u off=%d disallowed\n", regno, r->off);
		return -EACCES;
	}
	if (r->off) {
		vlog(w->c, "dereference of modified ctx ptr R%u off=%d disallowed\n", regno, r->off);
		return -EACCES;
	}
	if (!sv_is_const(&r->s) || r->s.v) {
		vlog(w->c, "variable ctx access var_off=(%#llx; %#llx) disallowed\n", (unsigned long long)r->s.v,
		     (unsigned long long)r->s.m);
		return -EACCES;
	}
	if (chk_ctx_access(w->c, off, size, write, &acc)) {
		vlog(w->c, "invalid bpf_context access off=%d size=%d\n", off, size);
		return -EACCES;
	}
	if (out) {
		if (acc.ptr_type == 1)
			mark_ptr(out, R_PKT);
		else if (acc.ptr_type == 2)
			mark_ptr(out, R_PKT_END);
		else if (acc.ptr_type == 3)
			mark_ptr(out, R_PKT_META);
		else
			mark_unknown(out);
	}
	return 0;
}

/*
 * check_mem_access: an access of `size` bytes at regno + off. write: the value comes from
 * value_regno (-1: an immediate; imm_zero passed through value_regno == -2). For reads the loaded
 * value goes to value_regno.
 */
int check_mem(struct walk *w, uint32_t regno, int32_t off, int size, bool write, int value_regno, uint32_t idx,
	      const char *what, const struct reg *imm)
{
	struct reg *regs = cur_regs(w);
	struct reg r = regs[regno], out;
	const struct reg *val = write && value_regno >= 0 ? &regs[value_regno] : NULL;
	int err = 0;

	(void)idx;
	mark_unknown(&out);
	/* check_ptr_alignment: stack accesses always (the spill tracking relies on it), every
	 * pointer for atomics; packets have their own rule (NET_IP_ALIGN is 0 here) */
	if (size > 1 && r.type != R_PKT && r.type != R_PKT_META && r.type != R_OPAQUE &&
	    (r.type == R_STACK || !strcmp(what, "atomic")) &&
	    (((uint64_t)((int64_t)r.s.v + r.off + off) | r.s.m) & (uint64_t)(size - 1))) {
		static const char *const desc[] = {"", "", "context ", "", "value ", "stack ", "", "", "", "", "", ""};
		char tn[48];

		tnum_str(tn, sizeof(tn), &r.s);
		vlog(w->c, "misaligned %saccess off %s+%d+%d size %d\n", desc[r.type], tn, r.off, off, size);
		return -EACCES;
	}
	if (r.type == R_MAP_PTR && !r.null) {
		/* reads of the kernel's map struct through vmlinux BTF: only its start is known */
		const struct emu_map_desc *m = &w->c->out->maps[r.aux];
		const char *sn = m->type == EMU_MAP_ARRAY || m->type == EMU_MAP_PERCPU_ARRAY ? "bpf_array"
				 : m->type == EMU_MAP_HASH || m->type == EMU_MAP_PERCPU_HASH || m->type == EMU_MAP_LRU_HASH ||
				   m->type == EMU_MAP_LRU_PERCPU_HASH ? "bpf_htab" : NULL;

		if (sn && off + r.off < 0) {
			vlog(w->c, "R%u is %s invalid negative access: off=%d\n", regno, sn, off + r.off);
			return -EACCES;
		}
		if (sn && write) {
			vlog(w->c, "only read from %s is supported\n", sn);
			return -EACCES;
		}
		w->incomplete = true;
		if (!write && value_regno >= 0)
			regs[value_regno] = out;
		return 0;
	}
	if (r.null || r.type == R_SCALAR || r.type == R_PKT_END || r.type == R_FUNC) {
		vlog(w->c, "R%u invalid mem access '%s'\n", regno, reg_type_str(&r));
		return -EACCES;
	}
	switch (r.type) {
	case R_MAP_VALUE: {
		const struct emu_map_desc *m = &w->c->out->maps[r.aux];

		if (write && (m->map_flags & EMU_F_RDONLY_PROG)) {
			vlog(w->c, "write into map forbidden, value_size=%u off=%d size=%d\n", m->value_size, off + r.off, size);
			return -EACCES;
		}
		if (!write && (m->map_flags & EMU_F_WRONLY_PROG)) {
			vlog(w->c, "read from map forbidden, value_size=%u off=%d size=%d\n", m->value_size, off + r.off, size);
			return -EACCES;
		}
		err = mem_region(w, regno, &r, off + r.off, size, m->value_size, false, "map value");
		if (!err && !write && sv_is_const(&r.s) && (m->map_flags & EMU_F_RDONLY_PROG) && m->frozen &&
		    m->type == EMU_MAP_ARRAY) {
			/* bpf_map_direct_read: a read-only map's bytes are constants */
			int64_t at = (int64_t)r.s.v + r.off + off;

			if (m->frozen_value && m->max_entries == 1 && at >= 0 && at + size <= (int64_t)m->value_size) {
				uint64_t v = 0;

				memcpy(&v, m->frozen_value + at, (size_t)size);
				if (EMU_MODE(w->c->insn[idx].code) == EMU_MEMSX && size < 8 && (v >> (size * 8 - 1)) & 1)
					v |= ~0ull << (size * 8);
				mark_const(&out, v);
				if (value_regno >= 0)
					regs[value_regno] = out;
				return 0;
			}
			w->incomplete = true;
		}
		break;
	}
	case R_MEM:
		err = mem_region(w, regno, &r, off + r.off, size, r.aux, false, "mem");
		break;
	case R_STACK:
		if (write)
			err = stack_write(w, regno, &r, off + r.off, size, val, imm);
		else
			err = stack_read(w, regno, &r, off + r.off, size, &out);
		break;
	case R_CTX:
		err = ctx_access(w, regno, &r, off, size, write, &out);
		break;
	case R_PKT:
	case R_PKT_META:
		if (write && !chk_pkt_writable(w->c)) {
			vlog(w->c, "cannot write into packet\n");
			return -EACCES;
		}
		err = pkt_access(w, regno, &r, off + r.off, size, false);
		break;
	default:
		w->incomplete = true;
		break;
	}
	if (err)
		return err;
	if (!write && value_regno >= 0) {
		/* coerce_reg_to_size: a narrow load is zero-extended */
		if (out.type == R_SCALAR && size < 8)
			sv_trunc(&out.s, size);
		regs[value_regno] = out;
	}
	return 0;
}

/* a helper's access to memory an argument points at (check_helper_mem_access) */
int check_helper_mem(struct walk *w, uint32_t regno, int32_t size, bool write, bool zero_ok, bool uninit)
{
	struct reg *r = &cur_regs(w)[regno];

	switch (r->type) {
	case R_PKT:
	case R_PKT_META:
		if (write && !chk_pkt_writable(w->c)) {
			vlog(w->c, "cannot write into packet\n");
			return -EACCES;
		}
		return pkt_access(w, regno, r, r->off, size, zero_ok);
	case R_MAP_VALUE: {
		const struct emu_map_desc *m = &w->c->out->maps[r->aux];

		if (write && (m->map_flags & EMU_F_RDONLY_PROG)) {
			vlog(w->c, "write into map forbidden, value_size=%u off=%d size=%d\n", m->value_size, r->off, size);
			return -EACCES;
		}
		return mem_region(w, regno, r, r->off, size, m->value_size, zero_ok, "map value");
	}
	case R_MEM:
		return mem_region(w, regno, r, r->off, size, r->aux, zero_ok, "mem");
	case R_STACK: {
		int64_t lo, hi;
		int err;

		if (size == 0 && zero_ok)
			return 0;
		if (size == 0) {
			vlog(w->c, "invalid zero-sized read\n");
			return -EACCES;
		}
		err = stack_bounds(w, regno, r, r->off, size, write ? " write to" : " read from", &lo, &hi);
		if (err)
			return err;
		note_depth(w, r->frameno, lo);
		if (write || uninit) {
			struct frame *f = &w->cur->fr[r->frameno];

			for (int64_t b = lo; b < hi; b++) {
				if (f->st[EMU_STACK_SIZE + b] == SLOT_SPILL)
					for (int k = 0; k < 8; k++)
						f->st[EMU_STACK_SIZE + ((b + EMU_STACK_SIZE) & ~7) - EMU_STACK_SIZE + k] = SLOT_MISC;
				f->st[EMU_STACK_SIZE + b] = SLOT_MISC;
			}
		}
		return 0;
	}
	default:
		w->incomplete = true;
		return 0;
	}
}

/* ---- ALU ---- */

/* check_reg_sane_offset: what may be added to a pointer, and a pointer's own offset */
static bool sane_offset(struct walk *w, const struct reg *r, const struct reg *ptr)
{
	const char *t = reg_type_str(ptr);

	if (sv_is_const(&r->s) && ((int64_t)r->s.v >= (int64_t)EMU_MAX_VAR_OFF || (int64_t)r->s.v <= -(int64_t)EMU_MAX_VAR_OFF)) {
		vlog(w->c, "math between %s pointer and %lld is not allowed\n", t, (long long)r->s.v);
		return false;
	}
	if (r->off >= (int32_t)EMU_MAX_VAR_OFF || r->off <= -(int32_t)EMU_MAX_VAR_OFF) {
		vlog(w->c, "%s pointer offset %d is not allowed\n", t, r->off);
		return false;
	}
	if (r->s.smin == INT64_MIN) {
		vlog(w->c, "math between %s pointer and register with unbounded min value is not allowed\n", t);
		return false;
	}
	if (r->s.smin >= (int64_t)EMU_MAX_VAR_OFF || r->s.smin <= -(int64_t)EMU_MAX_VAR_OFF) {
		vlog(w->c, "value %lld makes %s pointer be out of bounds\n", (long long)r->s.smin, t);
		return false;
	}
	return true;
}

static int ptr_arith(struct walk *w, const struct emu_insn *in, struct reg *dst, struct reg *ptr, const struct reg *off_reg,
		     uint8_t op)
{
	uint32_t d = in->dst_reg;
	struct reg res = *ptr;

	if (EMU_CLASS(in->code) != EMU_ALU64) {
		if (op == EMU_SUB) {
			mark_unknown(dst);
			return 0;
		}
		vlog(w->c, "R%u 32-bit pointer arithmetic prohibited\n", d);
		return -EACCES;
	}
	if (ptr->null) {
		vlog(w->c, "R%u pointer arithmetic on %s prohibited, null-check it first\n", d, reg_type_str(ptr));
		return -EACCES;
	}
	switch (ptr->type) {
	case R_CTX: case R_MAP_VALUE: case R_STACK: case R_PKT: case R_PKT_META: case R_MEM: case R_OPAQUE:
		break;
	case R_MAP_PTR:
		if (sv_is_const(&off_reg->s) && off_reg->s.v == 0 && op == EMU_ADD)
			break;
		/* fallthrough */
	default:
		vlog(w->c, "R%u pointer arithmetic on %s prohibited\n", d, reg_type_str(ptr));
		return -EACCES;
	}
	if (!sane_offset(w, off_reg, ptr) || !sane_offset(w, ptr, ptr))
		return -EINVAL;
	switch (op) {
	case EMU_ADD:
	case EMU_SUB:
		if (op == EMU_SUB && dst == (struct reg *)off_reg) {
			vlog(w->c, "R%u tried to subtract pointer from scalar\n", d);
			return -EACCES;
		}
		if (op == EMU_SUB && ptr->type == R_STACK) {
			vlog(w->c, "R%u subtraction from stack pointer prohibited\n", d);
			return -EACCES;
		}
		if (sv_is_const(&off_reg->s)) {
			int64_t k = (int64_t)off_reg->s.v;
			int64_t noff = op == EMU_ADD ? (int64_t)ptr->off + k : (int64_t)ptr->off - k;

			res.off = (int32_t)noff;
		} else {
			sv_alu(&res.s, &off_reg->s, op, false);
			if (ptr->type == R_PKT || ptr->type == R_PKT_META) {
				res.id = ++w->id_gen;
				res.range = 0;
			}
		}
		*dst = res;
		return 0;
	case EMU_AND:
	case EMU_OR:
	case EMU_XOR:
		vlog(w->c, "R%u bitwise operator %s on pointer prohibited\n", d, alu_str[op >> 4]);
		return -EACCES;
	default:
		vlog(w->c, "R%u pointer arithmetic with %s operator prohibited\n", d, alu_str[op >> 4]);
		return -EACCES;
	}
}

static int do_alu(struct walk *w, const struct emu_insn *in)
{
	uint8_t op = EMU_OP(in->code);
	bool is64 = EMU_CLASS(in->code) == EMU_ALU64, x = EMU_SRC(in->code) == EMU_X;
	struct reg *regs = cur_regs(w), *dst, srcv;
	int err;

	if (op == EMU_END || op == EMU_NEG) {
		if (op == EMU_NEG) {
			if (x || in->src_reg || in->off || in->imm) {
				vlog(w->c, "BPF_NEG uses reserved fields\n");
				return -EINVAL;
			}
		} else if (in->src_reg || in->off || (in->imm != 16 && in->imm != 32 && in->imm != 64) || (is64 && x)) {
			vlog(w->c, "BPF_END uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->dst_reg)) || (err = reg_dst(w, in->dst_reg)))
			return err;
		dst = &regs[in->dst_reg];
		if (dst->type == R_OPAQUE)
			return 0;
		if (dst->type != R_SCALAR) {
			mark_unknown(dst);
			return 0;
		}
		dst->id = 0;
		if (op == EMU_NEG) {
			struct sval z;

			sv_const(&z, 0);
			sv_alu(&z, &dst->s, EMU_SUB, !is64);
			dst->s = z;
		} else {
			/* to-LE on a little-endian host and 64-bit to-LE only truncate; the rest swap */
			bool swap = is64 || x;

			sv_end(&dst->s, in->imm, swap);
		}
		return 0;
	}
	if (op == EMU_MOV) {
		if (x) {
			if (!is64) {
				if ((in->off != 0 && in->off != 8 && in->off != 16) || in->imm) {
					vlog(w->c, "BPF_MOV uses reserved fields\n");
					return -EINVAL;
				}
			} else if (in->off == 1) {
				if (in->imm != 1 && in->imm != 1 << 16) {
					vlog(w->c, "addr_space_cast insn can only convert between address space 1 and 0\n");
					return -EINVAL;
				}
				vlog(w->c, "addr_space_cast insn can only be used in a program that has an associated arena\n");
				return -EINVAL;
			} else if ((in->off != 0 && in->off != 8 && in->off != 16 && in->off != 32) || in->imm) {
				vlog(w->c, "BPF_MOV uses reserved fields\n");
				return -EINVAL;
			}
			if ((err = reg_src(w, in->src_reg)))
				return err;
		} else if (in->src_reg || in->off) {
			vlog(w->c, "BPF_MOV uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_dst(w, in->dst_reg)))
			return err;
		dst = &regs[in->dst_reg];
		if (!x) {
			mark_const(dst, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
			return 0;
		}
		srcv = regs[in->src_reg];
		if (srcv.type == R_OPAQUE) {
			*dst = srcv;
			return 0;
		}
		if (srcv.type != R_SCALAR) {
			if (is64 && !in->off)
				*dst = srcv;
			else
				mark_unknown(dst);
			return 0;
		}
		if (in->off) {
			struct reg n;

			mark_unknown(&n);
			sv_movsx(&n.s, &srcv.s, in->off, !is64);
			*dst = n;
			return 0;
		}
		if (is64 || srcv.s.umax <= 0xffffffffull) {
			if (!srcv.id && !sv_is_const(&srcv.s))
				regs[in->src_reg].id = srcv.id = ++w->id_gen;
			*dst = srcv;
		} else {
			*dst = srcv;
			dst->id = 0;
			sv_zext32(&dst->s);
		}
		return 0;
	}
	if (op > EMU_END) {
		vlog(w->c, "invalid BPF_ALU opcode %x\n", op);
		return -EINVAL;
	}
	if (x) {
		if (in->imm || (in->off != 0 && in->off != 1) || (in->off == 1 && op != EMU_MOD && op != EMU_DIV)) {
			vlog(w->c, "BPF_ALU uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->src_reg)))
			return err;
	} else if (in->src_reg || (in->off != 0 && in->off != 1) || (in->off == 1 && op != EMU_MOD && op != EMU_DIV)) {
		vlog(w->c, "BPF_ALU uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = reg_src(w, in->dst_reg)))
		return err;
	if ((op == EMU_MOD || op == EMU_DIV) && !x && in->imm == 0) {
		vlog(w->c, "div by zero\n");
		return -EINVAL;
	}
	if ((op == EMU_LSH || op == EMU_RSH || op == EMU_ARSH) && !x) {
		int size = is64 ? 64 : 32;

		if (in->imm < 0 || in->imm >= size) {
			vlog(w->c, "invalid shift %d\n", in->imm);
			return -EINVAL;
		}
	}
	if ((err = reg_dst(w, in->dst_reg)))
		return err;
	dst = &regs[in->dst_reg];
	if (x)
		srcv = regs[in->src_reg];
	else
		mark_const(&srcv, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	if (dst->type == R_OPAQUE || srcv.type == R_OPAQUE) {
		/* a value of a helper this walk does not model: anything goes, and stays unknown */
		mark_opaque(dst);
		return 0;
	}
	if (srcv.type != R_SCALAR) {
		if (dst->type != R_SCALAR) {
			if (op == EMU_SUB) {
				mark_unknown(dst);
				return 0;
			}
			vlog(w->c, "R%u pointer %s pointer prohibited\n", in->dst_reg, alu_str[op >> 4]);
			return -EACCES;
		}
		{
			struct reg off_copy = *dst;

			if (EMU_CLASS(in->code) != EMU_ALU64 || srcv.null ||
			    !(op == EMU_ADD || op == EMU_SUB))
				return ptr_arith(w, in, dst, &srcv, &off_copy, op);
			if (op == EMU_SUB) {
				vlog(w->c, "R%u tried to subtract pointer from scalar\n", in->dst_reg);
				return -EACCES;
			}
			return ptr_arith(w, in, dst, &srcv, &off_copy, op);
		}
	}
	if (dst->type != R_SCALAR)
		return ptr_arith(w, in, dst, dst, &srcv, op);
	if (in->off == 1) {
		/* signed division and modulo: exact for constants, else unknown */
		if (sv_is_const(&dst->s) && sv_is_const(&srcv.s)) {
			int64_t a = is64 ? (int64_t)dst->s.v : (int32_t)dst->s.v;
			int64_t b = is64 ? (int64_t)srcv.s.v : (int32_t)srcv.s.v;
			int64_t r;

			if (op == EMU_DIV)
				r = b == 0 ? 0 : (b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b);
			else
				r = b == 0 ? a : (b == -1 ? 0 : a % b);
			mark_const(dst, is64 ? (uint64_t)r : (uint32_t)r);
		} else {
			mark_unknown(dst);
			if (!is64)
				sv_zext32(&dst->s);
		}
		return 0;
	}
	dst->id = 0;
	sv_alu(&dst->s, &srcv.s, op, !is64);
	return 0;
}

/* ---- loads, stores ---- */

static int do_ldx(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	static const int sizes[4] = {4, 2, 1, 8};
	int size = sizes[EMU_SIZE(in->code) >> 3], err;

	if ((err = reg_src(w, in->src_reg)) || (err = reg_dst(w, in->dst_reg)))
		return err;
	err = check_mem(w, in->src_reg, in->off, size, false, in->dst_reg, idx, "read", NULL);
	if (err)
		return err;
	if (EMU_MODE(in->code) == EMU_MEMSX) {
		struct reg *r = &cur_regs(w)[in->dst_reg];

		if (r->type == R_SCALAR)
			sv_movsx(&r->s, &r->s, size * 8, false);
		else
			mark_unknown(r);
	}
	return 0;
}

static int do_atomic(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	static const int sizes[4] = {4, 2, 1, 8};
	int size = sizes[EMU_SIZE(in->code) >> 3], err;
	int32_t op = in->imm;
	struct reg *regs = cur_regs(w), *d;

	switch (op) {
	case EMU_ADD: case EMU_ADD | EMU_FETCH: case EMU_AND: case EMU_AND | EMU_FETCH: case EMU_OR:
	case EMU_OR | EMU_FETCH: case EMU_XOR: case EMU_XOR | EMU_FETCH: case EMU_XCHG: case EMU_CMPXCHG:
	case EMU_LOAD_ACQ: case EMU_STORE_REL:
		break;
	default:
		vlog(w->c, "BPF_ATOMIC uses invalid atomic opcode %02x\n", op);
		return -EINVAL;
	}
	if (op == EMU_LOAD_ACQ || op == EMU_STORE_REL) {
		if (op == EMU_LOAD_ACQ) {
			if ((err = reg_src(w, in->src_reg)) || (err = reg_dst(w, in->dst_reg)))
				return err;
			return check_mem(w, in->src_reg, in->off, size, false, in->dst_reg, idx, "read", NULL);
		}
		if ((err = reg_src(w, in->src_reg)) || (err = reg_src(w, in->dst_reg)))
			return err;
		return check_mem(w, in->dst_reg, in->off, size, true, in->src_reg, idx, "write", NULL);
	}
	if (size != 4 && size != 8) {
		vlog(w->c, "invalid atomic operand size\n");
		return -EINVAL;
	}
	if ((err = reg_src(w, in->src_reg)) || (err = reg_src(w, in->dst_reg)))
		return err;
	if (op == EMU_CMPXCHG && (err = reg_src(w, 0)))
		return err;
	d = &regs[in->dst_reg];
	if (d->type == R_CTX || d->type == R_PKT || d->type == R_PKT_META) {
		vlog(w->c, "BPF_ATOMIC stores into R%u %s is not allowed\n", in->dst_reg, reg_type_str(d));
		return -EACCES;
	}
	err = check_mem(w, in->dst_reg, in->off, size, false, -1, idx, "atomic", NULL);
	if (!err)
		err = check_mem(w, in->dst_reg, in->off, size, true, -1, idx, "atomic", NULL);
	if (err)
		return err;
	if (op & EMU_FETCH) {
		struct reg *res = &regs[op == EMU_CMPXCHG ? 0 : in->src_reg];

		mark_unknown(res);
		if (size == 4)
			sv_zext32(&res->s);
	}
	return 0;
}

static int do_store(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	static const int sizes[4] = {4, 2, 1, 8};
	int size = sizes[EMU_SIZE(in->code) >> 3], err;

	if (EMU_CLASS(in->code) == EMU_STX) {
		if (EMU_MODE(in->code) == EMU_ATOMIC)
			return do_atomic(w, in, idx);
		if (EMU_MODE(in->code) != EMU_MEM || in->imm) {
			vlog(w->c, "BPF_STX uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->src_reg)) || (err = reg_src(w, in->dst_reg)))
			return err;
		return check_mem(w, in->dst_reg, in->off, size, true, in->src_reg, idx, "write", NULL);
	}
	if (EMU_MODE(in->code) != EMU_MEM || in->src_reg) {
		vlog(w->c, "BPF_ST uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = reg_src(w, in->dst_reg)))
		return err;
	{
		struct reg imm;

		mark_const(&imm, (uint64_t)(int64_t)in->imm);
		return check_mem(w, in->dst_reg, in->off, size, true, -1, idx, "write", &imm);
	}
}

static int do_ld(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	struct reg *regs = cur_regs(w), *d;
	const struct emu_ld_target *t = &w->c->out->ld[idx];
	int err;

	if (in->code != EMU_LD_IMM64) {
		/* LD_ABS / LD_IND */
		uint32_t t2 = w->c->in->prog_type;

		if (!(t2 == EMU_PROG_SOCKET_FILTER || t2 == EMU_PROG_SCHED_CLS || t2 == EMU_PROG_SCHED_ACT ||
		      t2 == EMU_PROG_CGROUP_SKB)) {
			vlog(w->c, "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
			return -EINVAL;
		}
		if (in->dst_reg || in->off || EMU_SIZE(in->code) == EMU_DW ||
		    (EMU_MODE(in->code) == EMU_ABS && in->src_reg)) {
			vlog(w->c, "BPF_LD_[ABS|IND] uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, 6)))
			return err;
		if (regs[6].type != R_CTX) {
			vlog(w->c, "at the time of BPF_LD_ABS|IND R6 != pointing to skb\n");
			return -EINVAL;
		}
		if (EMU_MODE(in->code) == EMU_IND && (err = reg_src(w, in->src_reg)))
			return err;
		for (int r = 1; r <= 5; r++)
			memset(&regs[r], 0, sizeof(regs[r]));
		mark_unknown(&regs[0]);
		return 0;
	}
	if (in->off) {
		vlog(w->c, "BPF_LD_IMM64 uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = reg_dst(w, in->dst_reg)))
		return err;
	d = &regs[in->dst_reg];
	switch (t->kind) {
	case EMU_LDK_MAP:
		mark_ptr(d, R_MAP_PTR);
		d->aux = t->map;
		break;
	case EMU_LDK_MAP_VALUE:
		mark_ptr(d, R_MAP_VALUE);
		d->aux = t->map;
		d->off = (int32_t)t->off;
		break;
	case EMU_LDK_FUNC: {
		uint32_t sub = chk_subprog_of(w->c, t->off);
		const struct emu_prog_check_in *ci = w->c->in;

		/* callbacks are known by their BTF: static functions only */
		if (!ci->func_info_cnt) {
			vlog(w->c, "missing btf func_info\n");
			return -EINVAL;
		}
		if (ci->btf && ci->btf_ops && ci->btf_ops->func_linkage) {
			uint32_t tid;

			memcpy(&tid, (const uint8_t *)ci->func_info + (size_t)ci->func_info_rec_size * sub + 4, 4);
			if (ci->btf_ops->func_linkage(ci->btf, tid) != 0) {
				vlog(w->c, "callback function not static\n");
				return -EINVAL;
			}
		}
	}
		mark_ptr(d, R_FUNC);
		d->aux = chk_subprog_of(w->c, t->off);
		break;
	default:
		mark_const(d, (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32));
		break;
	}
	return 0;
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
		vlog(w->c, "The sequence of %d jumps is too complex.\n", w->npend);
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
				if (x->type == R_MAP_VALUE)
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
	if (o->off != c->off || o->aux != c->aux || o->frameno != c->frameno || o->ref != c->ref)
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
				continue;
			} else if (ot != ct) {
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
