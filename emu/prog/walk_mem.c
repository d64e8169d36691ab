/* SPDX-License-Identifier: MIT */
/*
 * Memory in the walk: what a load or store through each pointer type may touch (map values,
 * ringbuf records, the stack, the context, packets), as check_mem_access() decides it; the stack
 * model (per byte: uninitialised, data, zero, or part of a spilled register, which keeps its
 * value), and helper accesses to memory their arguments point at.
 */
#include <stdio.h>
#include <string.h>

#include "walk.h"

/* ---- memory ---- */

/* tnum_strn: a constant as its value, else (value; mask) */
void tnum_str(char *buf, size_t n, const struct sval *s)
{
	if (sv_is_const(s))
		snprintf(buf, n, "%lld", (long long)s->v);
	else
		snprintf(buf, n, "(0x%llx; 0x%llx)", (unsigned long long)s->v, (unsigned long long)s->m);
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
		else if (!strcmp(kind, "map key"))
			vlog(w->c, "invalid access to map key, key_size=%u off=%d size=%d\n", mem_size, (int)lo, size);
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
		else if (!strcmp(kind, "map key"))
			vlog(w->c, "invalid access to map key, key_size=%u off=%d size=%d\n", mem_size, (int)hi, size);
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
			vlog(w->c, "invalid variable-offset%s stack R%u var_off=(0x%llx; 0x%llx) off=%d size=%d\n", what,
			     regno, (unsigned long long)r->s.v, (unsigned long long)r->s.m, off, size);
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
	/* destroy_if_dynptr_stack_slot for each slot written */
	for (int64_t b = lo & ~7; b < hi; b += 8)
		if ((err = stack_destroy_dynptr(w, f, b)))
			return err;
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
	if ((err = stack_dynptr_read(w, f, lo, hi, (int32_t)lo, size, 0)))
		return err;
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
		vlog(w->c, "variable ctx access var_off=(0x%llx; 0x%llx) disallowed\n", (unsigned long long)r->s.v,
		     (unsigned long long)r->s.m);
		return -EACCES;
	}
	if (chk_ctx_access(w->c, off, size, write, &acc)) {
		vlog(w->c, "invalid bpf_context access off=%d size=%d\n", off, size);
		return -EACCES;
	}
	/* check_ctx_access remembers the end of the furthest access it accepted */
	if ((uint32_t)off + (uint32_t)size > w->c->out->max_ctx_offset)
		w->c->out->max_ctx_offset = (uint32_t)off + (uint32_t)size;
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
		const struct emu_map_desc *m = chk_map(w->c, r.aux);
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
	if (r.null || r.type == R_SCALAR || r.type == R_PKT_END || r.type == R_FUNC || r.type == R_DYNPTR) {
		vlog(w->c, "R%u invalid mem access '%s'\n", regno, reg_type_str(&r));
		return -EACCES;
	}
	switch (r.type) {
	case R_MAP_VALUE: {
		const struct emu_map_desc *m = chk_map(w->c, r.aux);

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

			/* array_map_direct_value_addr: only a one-entry array's bytes can be read at
			 * load time; for any other the load is refused, with nothing logged */
			if (m->max_entries != 1 && value_regno >= 0)
				return -EMU_ENOTSUPP;
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
	case R_MAP_KEY:
		if (write) {
			vlog(w->c, "write to change key R%u not allowed\n", regno);
			return -EACCES;
		}
		err = mem_region(w, regno, &r, off + r.off, size, chk_map(w->c, r.aux)->key_size, false, "map key");
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
		const struct emu_map_desc *m = chk_map(w->c, r->aux);

		if (write && (m->map_flags & EMU_F_RDONLY_PROG)) {
			vlog(w->c, "write into map forbidden, value_size=%u off=%d size=%d\n", m->value_size, r->off, size);
			return -EACCES;
		}
		return mem_region(w, regno, r, r->off, size, m->value_size, zero_ok, "map value");
	}
	case R_MEM:
		return mem_region(w, regno, r, r->off, size, r->aux, zero_ok, "mem");
	case R_MAP_KEY:
		return mem_region(w, regno, r, r->off, size, chk_map(w->c, r->aux)->key_size, zero_ok, "map key");
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

			/* check_stack_range_initialized, raw mode: no helper writes over a dynptr */
			for (int64_t b = lo; b < hi; b++)
				if (f->st[EMU_STACK_SIZE + b] == SLOT_DYNPTR) {
					vlog(w->c, "potential write to dynptr at off=%d disallowed\n", (int)b);
					return -EACCES;
				}

			for (int64_t b = lo; b < hi; b++) {
				if (f->st[EMU_STACK_SIZE + b] == SLOT_SPILL)
					for (int k = 0; k < 8; k++)
						f->st[EMU_STACK_SIZE + ((b + EMU_STACK_SIZE) & ~7) - EMU_STACK_SIZE + k] = SLOT_MISC;
				f->st[EMU_STACK_SIZE + b] = SLOT_MISC;
			}
		} else if ((err = stack_dynptr_read(w, &w->cur->fr[r->frameno], lo, hi, 0, size, (int)regno))) {
			return err;
		}
		return 0;
	}
	default:
		w->incomplete = true;
		return 0;
	}
}

/* ---- load and store instructions ---- */

int do_ldx(struct walk *w, const struct emu_insn *in, uint32_t idx)
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

int do_atomic(struct walk *w, const struct emu_insn *in, uint32_t idx)
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

int do_store(struct walk *w, const struct emu_insn *in, uint32_t idx)
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

