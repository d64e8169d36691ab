/* SPDX-License-Identifier: MIT */
/*
 * Per-kind rules of the BTF verifier, in the kernel's btf_kind_operations shape: check_meta (the
 * first pass: the type's own fields, vlen, kind_flag, names, member offsets; returns the bytes
 * of data that follow the btf_type), check_member / check_kflag_member (a struct member of this
 * kind fits its struct), log_details (what the log prints after the type's name). The resolve
 * operations live in btf_resolve.c. Every check and message is in the kernel's order; all
 * arithmetic is u32 as in the kernel, wrap-arounds included.
 */
#include <errno.h>

#include "btf_internal.h"
#include "../util/diag.h" /* EMU_FAULT */
#include "../uapi/bpf_uapi.h" /* EMU_ENOTSUPP */

#define BITS_PER_U128 128u
#define BITS_MASKED(b) ((b) & 7u)
#define BITS_ROUNDDOWN_BYTES(b) ((b) >> 3)
#define BITS_ROUNDUP_BYTES(b) (BITS_ROUNDDOWN_BYTES(b) + !!BITS_MASKED(b))
#define ID_VALID(id) ((id) <= EMU_BTF_MAX_TYPE)

static const char *int_encoding_str(uint32_t e)
{
	switch (e) {
	case 0: return "(none)";
	case EMU_BTF_INT_SIGNED: return "SIGNED";
	case EMU_BTF_INT_CHAR: return "CHAR";
	case EMU_BTF_INT_BOOL: return "BOOL";
	}
	return "UNKN";
}

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

/* ---- defaults ---- */

static int df_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			   const struct emu_btf_type *mt)
{
	(void)m;
	(void)mt;
	btf_log_basic(env, s, "Unsupported check_member");
	return -EINVAL;
}

static int df_check_kflag_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				 const struct emu_btf_type *mt)
{
	(void)m;
	(void)mt;
	btf_log_basic(env, s, "Unsupported check_kflag_member");
	return -EINVAL;
}

static int df_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	btf_log_basic(env, v->t, "Unsupported resolve");
	return -EINVAL;
}

/* ptr, array, struct/union and float members of a kind_flag struct: no bitfield */
static int generic_check_kflag_member(struct btf_env *env, const struct emu_btf_type *s,
				      const struct emu_btf_member *m, const struct emu_btf_type *mt)
{
	if (EMU_BTF_MEMBER_BITFIELD_SIZE(m->offset)) {
		btf_log_member(env, s, m, "Invalid member bitfield_size");
		return -EINVAL;
	}
	return btf_ops(mt)->check_member(env, s, m, mt);
}

/* ---- int ---- */

static int int_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			    const struct emu_btf_type *mt)
{
	uint32_t d = btf_int_data(mt), off = m->offset, size = s->size_or_type, bytes, copy_bits;

	if (UINT32_MAX - off < EMU_BTF_INT_OFFSET(d)) {
		btf_log_member(env, s, m, "bits_offset exceeds U32_MAX");
		return -EINVAL;
	}
	off += EMU_BTF_INT_OFFSET(d);
	bytes = BITS_ROUNDDOWN_BYTES(off);
	copy_bits = EMU_BTF_INT_BITS(d) + BITS_MASKED(off);
	if (copy_bits > BITS_PER_U128) {
		btf_log_member(env, s, m, "nr_copy_bits exceeds 128");
		return -EINVAL;
	}
	if (size < bytes || size - bytes < BITS_ROUNDUP_BYTES(copy_bits)) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int int_check_kflag_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				  const struct emu_btf_type *mt)
{
	uint32_t d = btf_int_data(mt), size = s->size_or_type, nr_bits, off, bytes, copy_bits;

	if (!emu_btf_int_is_regular(mt)) {
		btf_log_member(env, s, m, "Invalid member base type");
		return -EINVAL;
	}
	nr_bits = EMU_BTF_MEMBER_BITFIELD_SIZE(m->offset);
	off = EMU_BTF_MEMBER_BIT_OFFSET(m->offset);
	if (!nr_bits) {
		if (BITS_MASKED(off)) {
			btf_log_member(env, s, m, "Invalid member offset");
			return -EINVAL;
		}
		nr_bits = EMU_BTF_INT_BITS(d);
	} else if (nr_bits > EMU_BTF_INT_BITS(d)) {
		btf_log_member(env, s, m, "Invalid member bitfield_size");
		return -EINVAL;
	}
	bytes = BITS_ROUNDDOWN_BYTES(off);
	copy_bits = nr_bits + BITS_MASKED(off);
	if (copy_bits > BITS_PER_U128) {
		btf_log_member(env, s, m, "nr_copy_bits exceeds 128");
		return -EINVAL;
	}
	if (size < bytes || size - bytes < BITS_ROUNDUP_BYTES(copy_bits)) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int32_t int_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	uint32_t d, nr_bits, enc;

	if (meta_left < 4) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, 4u);
		return -EINVAL;
	}
	/* planted fault (tests only): an INT with a vlen passes */
	if (emu_btf_vlen(t) && !EMU_FAULT("btf-vlen")) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	d = btf_int_data(t);
	if (d & ~EMU_BTF_INT_MASK) {
		btf_log_basic(env, t, "Invalid int_data:%x", d);
		return -EINVAL;
	}
	nr_bits = EMU_BTF_INT_BITS(d) + EMU_BTF_INT_OFFSET(d);
	if (nr_bits > BITS_PER_U128) {
		btf_log_type(env, t, "nr_bits exceeds %u", BITS_PER_U128);
		return -EINVAL;
	}
	if (BITS_ROUNDUP_BYTES(nr_bits) > t->size_or_type) {
		btf_log_type(env, t, "nr_bits exceeds type_size");
		return -EINVAL;
	}
	enc = EMU_BTF_INT_ENCODING(d);
	if (enc && enc != EMU_BTF_INT_SIGNED && enc != EMU_BTF_INT_CHAR && enc != EMU_BTF_INT_BOOL) {
		btf_log_type(env, t, "Unsupported encoding");
		return -EMU_ENOTSUPP;
	}
	btf_log_type0(env, t);
	return 4;
}

static void int_log(struct btf_env *env, const struct emu_btf_type *t)
{
	uint32_t d = btf_int_data(t);

	btf_log(env, "size=%u bits_offset=%u nr_bits=%u encoding=%s", t->size_or_type, EMU_BTF_INT_OFFSET(d),
		EMU_BTF_INT_BITS(d), int_encoding_str(EMU_BTF_INT_ENCODING(d)));
}

/* ---- modifiers and ptr ---- */

static int modifier_check_member_x(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				   bool kflag)
{
	uint32_t id = m->type;
	const struct emu_btf_type *rt = emu_btf_type_id_size(env->btf, &id, NULL);
	struct emu_btf_member rm;

	if (!rt) {
		btf_log_member(env, s, m, "Invalid member");
		return -EINVAL;
	}
	rm = *m;
	rm.type = id;
	return kflag ? btf_ops(rt)->check_kflag_member(env, s, &rm, rt) : btf_ops(rt)->check_member(env, s, &rm, rt);
}

static int modifier_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				 const struct emu_btf_type *mt)
{
	(void)mt;
	return modifier_check_member_x(env, s, m, false);
}

static int modifier_check_kflag_member(struct btf_env *env, const struct emu_btf_type *s,
				       const struct emu_btf_member *m, const struct emu_btf_type *mt)
{
	(void)mt;
	return modifier_check_member_x(env, s, m, true);
}

static int ptr_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			    const struct emu_btf_type *mt)
{
	uint32_t off = m->offset;

	(void)mt;
	if (BITS_MASKED(off)) {
		btf_log_member(env, s, m, "Member is not byte aligned");
		return -EINVAL;
	}
	if (s->size_or_type - BITS_ROUNDDOWN_BYTES(off) < BTF_PTR_SIZE) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int32_t ref_type_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	unsigned kind = emu_btf_kind(t);

	(void)meta_left;
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t) && kind != EMU_BTF_KIND_TYPE_TAG) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	if (!ID_VALID(t->size_or_type)) {
		btf_log_type(env, t, "Invalid type_id");
		return -EINVAL;
	}
	if (kind == EMU_BTF_KIND_TYPEDEF) {
		if (!t->name_off || !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
			btf_log_type(env, t, "Invalid name");
			return -EINVAL;
		}
	} else if (kind == EMU_BTF_KIND_TYPE_TAG) {
		const char *v = emu_btf_name_by_offset(env->btf, t->name_off);

		if (!v || !v[0]) {
			btf_log_type(env, t, "Invalid name");
			return -EINVAL;
		}
	} else if (t->name_off) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return 0;
}

static void ref_type_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "type_id=%u", t->size_or_type);
}

/* ---- fwd ---- */

static int32_t fwd_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	(void)meta_left;
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (t->size_or_type) {
		btf_log_type(env, t, "type != 0");
		return -EINVAL;
	}
	if (!t->name_off || !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return 0;
}

static void fwd_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "%s", emu_btf_kflag(t) ? "union" : "struct");
}

/* ---- array ---- */

static int array_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			      const struct emu_btf_type *mt)
{
	uint32_t off = m->offset, id = m->type, asize = 0;

	(void)mt;
	if (BITS_MASKED(off)) {
		btf_log_member(env, s, m, "Member is not byte aligned");
		return -EINVAL;
	}
	emu_btf_type_id_size(env->btf, &id, &asize);
	if (s->size_or_type - BITS_ROUNDDOWN_BYTES(off) < asize) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int32_t array_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	const struct emu_btf_array *a = btf_array(t);

	if (meta_left < sizeof(*a)) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, (uint32_t)sizeof(*a));
		return -EINVAL;
	}
	if (t->name_off) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	if (t->size_or_type) {
		btf_log_type(env, t, "size != 0");
		return -EINVAL;
	}
	if (!a->type || !ID_VALID(a->type)) {
		btf_log_type(env, t, "Invalid elem");
		return -EINVAL;
	}
	if (!a->index_type || !ID_VALID(a->index_type)) {
		btf_log_type(env, t, "Invalid index");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return sizeof(*a);
}

static void array_log(struct btf_env *env, const struct emu_btf_type *t)
{
	const struct emu_btf_array *a = btf_array(t);

	btf_log(env, "type_id=%u index_type_id=%u nr_elems=%u", a->type, a->index_type, a->nelems);
}

/* ---- struct / union ---- */

/* struct, union and enum members without kind_flag: whole bytes inside the struct */
static int sized_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			      const struct emu_btf_type *mt)
{
	uint32_t off = m->offset;

	if (BITS_MASKED(off)) {
		btf_log_member(env, s, m, "Member is not byte aligned");
		return -EINVAL;
	}
	if (s->size_or_type - BITS_ROUNDDOWN_BYTES(off) < mt->size_or_type) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int32_t struct_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	bool is_union = btf_is_kind(t, EMU_BTF_KIND_UNION);
	const struct emu_btf_member *m = emu_btf_members(t);
	uint32_t needed = emu_btf_vlen(t) * (uint32_t)sizeof(*m), last = 0;

	if (meta_left < needed) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, needed);
		return -EINVAL;
	}
	if (t->name_off && !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	for (uint32_t i = 0; i < emu_btf_vlen(t); i++, m++) {
		uint32_t off;

		if (!emu_btf_name_offset_valid(env->btf, m->name_off)) {
			btf_log_member(env, t, m, "Invalid member name_offset:%u", m->name_off);
			return -EINVAL;
		}
		if (m->name_off && !emu_btf_name_valid_identifier(env->btf, m->name_off)) {
			btf_log_member(env, t, m, "Invalid name");
			return -EINVAL;
		}
		if (!m->type || !ID_VALID(m->type)) {
			btf_log_member(env, t, m, "Invalid type_id");
			return -EINVAL;
		}
		off = emu_btf_member_bit_offset(t, m);
		if (is_union && off) {
			btf_log_member(env, t, m, "Invalid member bits_offset");
			return -EINVAL;
		}
		if (last > off) {
			btf_log_member(env, t, m, "Invalid member bits_offset");
			return -EINVAL;
		}
		if (BITS_ROUNDUP_BYTES(off) > t->size_or_type) {
			btf_log_member(env, t, m, "Member bits_offset exceeds its struct size");
			return -EINVAL;
		}
		btf_log_member0(env, t, m);
		last = off;
	}
	return (int32_t)needed;
}

static void size_vlen_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "size=%u vlen=%u", t->size_or_type, emu_btf_vlen(t));
}

/* ---- enum / enum64 ---- */

static int enum_check_kflag_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				   const struct emu_btf_type *mt)
{
	uint32_t off = EMU_BTF_MEMBER_BIT_OFFSET(m->offset), nr_bits = EMU_BTF_MEMBER_BITFIELD_SIZE(m->offset);

	(void)mt;
	if (!nr_bits) {
		if (BITS_MASKED(off)) {
			btf_log_member(env, s, m, "Member is not byte aligned");
			return -EINVAL;
		}
		nr_bits = 32;
	} else if (nr_bits > 32) {
		btf_log_member(env, s, m, "Invalid member bitfield_size");
		return -EINVAL;
	}
	if (s->size_or_type < BITS_ROUNDUP_BYTES(off + nr_bits)) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static int32_t enum_check_meta_x(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left, bool is64)
{
	uint32_t n = emu_btf_vlen(t), esz = is64 ? sizeof(struct emu_btf_enum64) : sizeof(struct emu_btf_enum);
	uint32_t needed = n * esz;

	if (meta_left < needed) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, needed);
		return -EINVAL;
	}
	if (t->size_or_type > 8 || !is_pow2(t->size_or_type)) {
		btf_log_type(env, t, "Unexpected size");
		return -EINVAL;
	}
	if (t->name_off && !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *e = (const unsigned char *)(t + 1) + i * esz;
		uint32_t name_off = *(const uint32_t *)e;

		if (!emu_btf_name_offset_valid(env->btf, name_off)) {
			btf_log(env, "\tInvalid name_offset:%u", name_off);
			return -EINVAL;
		}
		if (!name_off || !emu_btf_name_valid_identifier(env->btf, name_off)) {
			btf_log_type(env, t, "Invalid name");
			return -EINVAL;
		}
		if (is64) {
			const struct emu_btf_enum64 *e64 = (const struct emu_btf_enum64 *)e;
			uint64_t v = (uint64_t)e64->val_hi32 << 32 | e64->val_lo32;

			if (emu_btf_kflag(t))
				btf_log(env, "\t%s val=%lld\n", emu_btf_name_or_anon(env->btf, name_off), (long long)v);
			else
				btf_log(env, "\t%s val=%llu\n", emu_btf_name_or_anon(env->btf, name_off),
					(unsigned long long)v);
		} else {
			int32_t v = ((const struct emu_btf_enum *)e)->val;

			if (emu_btf_kflag(t))
				btf_log(env, "\t%s val=%d\n", emu_btf_name_or_anon(env->btf, name_off), v);
			else
				btf_log(env, "\t%s val=%u\n", emu_btf_name_or_anon(env->btf, name_off), (uint32_t)v);
		}
	}
	return (int32_t)needed;
}

static int32_t enum_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	return enum_check_meta_x(env, t, meta_left, false);
}

static int32_t enum64_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	return enum_check_meta_x(env, t, meta_left, true);
}

/* ---- func_proto / func ---- */

static int32_t func_proto_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	uint32_t needed = emu_btf_vlen(t) * (uint32_t)sizeof(struct emu_btf_param);

	if (meta_left < needed) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, needed);
		return -EINVAL;
	}
	if (t->name_off) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return (int32_t)needed;
}

static void func_proto_log(struct btf_env *env, const struct emu_btf_type *t)
{
	const struct emu_btf_param *a = (const struct emu_btf_param *)(t + 1);
	uint32_t n = emu_btf_vlen(t);

	btf_log(env, "return=%u args=(", t->size_or_type);
	if (!n) {
		btf_log(env, "void");
	} else if (n == 1 && !a[0].type) {
		btf_log(env, "vararg");
	} else {
		btf_log(env, "%u %s", a[0].type, emu_btf_name_or_anon(env->btf, a[0].name_off));
		for (uint32_t i = 1; i + 1 < n; i++)
			btf_log(env, ", %u %s", a[i].type, emu_btf_name_or_anon(env->btf, a[i].name_off));
		if (n > 1) {
			if (a[n - 1].type)
				btf_log(env, ", %u %s", a[n - 1].type, emu_btf_name_or_anon(env->btf, a[n - 1].name_off));
			else
				btf_log(env, ", vararg");
		}
	}
	btf_log(env, ")");
}

static int32_t func_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	(void)meta_left;
	if (!t->name_off || !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	if (emu_btf_vlen(t) > EMU_BTF_FUNC_GLOBAL) {
		btf_log_type(env, t, "Invalid func linkage");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return 0;
}

/* ---- var / datasec ---- */

static int32_t var_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	const struct emu_btf_var *var = (const struct emu_btf_var *)(t + 1);

	if (meta_left < sizeof(*var)) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, (uint32_t)sizeof(*var));
		return -EINVAL;
	}
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	if (!t->name_off || !emu_btf_name_valid_identifier(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	if (!t->size_or_type || !ID_VALID(t->size_or_type)) {
		btf_log_type(env, t, "Invalid type_id");
		return -EINVAL;
	}
	if ((var->linkage != EMU_BTF_VAR_STATIC && var->linkage != EMU_BTF_VAR_GLOBAL_ALLOCATED) ||
	    (var->linkage == EMU_BTF_VAR_GLOBAL_ALLOCATED && EMU_FAULT("btf-var-linkage"))) {
		btf_log_type(env, t, "Linkage not supported");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return sizeof(*var);
}

static void var_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "type_id=%u linkage=%u", t->size_or_type, ((const struct emu_btf_var *)(t + 1))->linkage);
}

static int32_t datasec_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	const struct emu_btf_var_secinfo *vsi = (const struct emu_btf_var_secinfo *)(t + 1);
	uint32_t needed = emu_btf_vlen(t) * (uint32_t)sizeof(*vsi), size = t->size_or_type;
	uint64_t last_end = 0, sum = 0;

	if (meta_left < needed) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, needed);
		return -EINVAL;
	}
	if (!size) {
		btf_log_type(env, t, "size == 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	if (!t->name_off || !emu_btf_name_valid_section(env->btf, t->name_off)) {
		btf_log_type(env, t, "Invalid name");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	for (uint32_t i = 0; i < emu_btf_vlen(t); i++, vsi++) {
		if (!vsi->type || !ID_VALID(vsi->type)) {
			btf_log_vsi(env, t, vsi, "Invalid type_id");
			return -EINVAL;
		}
		if (vsi->offset < last_end || vsi->offset >= size) {
			btf_log_vsi(env, t, vsi, "Invalid offset");
			return -EINVAL;
		}
		if (!vsi->size || vsi->size > size) {
			btf_log_vsi(env, t, vsi, "Invalid size");
			return -EINVAL;
		}
		last_end = (uint64_t)vsi->offset + vsi->size;
		if (last_end > size) {
			btf_log_vsi(env, t, vsi, "Invalid offset+size");
			return -EINVAL;
		}
		btf_log_vsi0(env, t, vsi);
		sum += vsi->size;
	}
	if (size < sum) {
		btf_log_type(env, t, "Invalid btf_info size");
		return -EINVAL;
	}
	return (int32_t)needed;
}

/* ---- float ---- */

static int32_t float_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	uint32_t s = t->size_or_type;

	(void)meta_left;
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (emu_btf_kflag(t)) {
		btf_log_type(env, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}
	if (s != 2 && s != 4 && s != 8 && s != 12 && s != 16) {
		btf_log_type(env, t, "Invalid type_size");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return 0;
}

static int float_check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			      const struct emu_btf_type *mt)
{
	uint64_t align = BTF_PTR_SIZE < mt->size_or_type ? BTF_PTR_SIZE : mt->size_or_type;
	uint64_t end;

	if ((uint64_t)m->offset % (align * 8)) {
		btf_log_member(env, s, m, "Member is not properly aligned");
		return -EINVAL;
	}
	end = (uint64_t)(m->offset / 8) + mt->size_or_type;
	if (end > s->size_or_type) {
		btf_log_member(env, s, m, "Member exceeds struct_size");
		return -EINVAL;
	}
	return 0;
}

static void float_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "size=%u", t->size_or_type);
}

/* ---- decl_tag ---- */

static int32_t decl_tag_check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	const char *v;

	if (meta_left < sizeof(struct emu_btf_decl_tag)) {
		btf_log_basic(env, t, "meta_left:%u meta_needed:%u", meta_left, (uint32_t)sizeof(struct emu_btf_decl_tag));
		return -EINVAL;
	}
	v = emu_btf_name_by_offset(env->btf, t->name_off);
	if (!v || !v[0]) {
		btf_log_type(env, t, "Invalid value");
		return -EINVAL;
	}
	if (emu_btf_vlen(t)) {
		btf_log_type(env, t, "vlen != 0");
		return -EINVAL;
	}
	if (((const struct emu_btf_decl_tag *)(t + 1))->component_idx < -1) {
		btf_log_type(env, t, "Invalid component_idx");
		return -EINVAL;
	}
	btf_log_type0(env, t);
	return sizeof(struct emu_btf_decl_tag);
}

static void decl_tag_log(struct btf_env *env, const struct emu_btf_type *t)
{
	btf_log(env, "type=%u component_idx=%d", t->size_or_type,
		((const struct emu_btf_decl_tag *)(t + 1))->component_idx);
}

/* ---- the table ---- */

int emu_btf_modifier_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_ptr_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_array_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_struct_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_func_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_var_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_datasec_resolve(struct btf_env *env, const struct btf_vertex *v);
int emu_btf_decl_tag_resolve(struct btf_env *env, const struct btf_vertex *v);

static const struct btf_kind_ops int_ops = {
	int_check_meta, df_resolve, int_check_member, int_check_kflag_member, int_log,
};
static const struct btf_kind_ops modifier_ops = {
	ref_type_check_meta, emu_btf_modifier_resolve, modifier_check_member, modifier_check_kflag_member, ref_type_log,
};
static const struct btf_kind_ops ptr_ops = {
	ref_type_check_meta, emu_btf_ptr_resolve, ptr_check_member, generic_check_kflag_member, ref_type_log,
};
static const struct btf_kind_ops fwd_ops = {
	fwd_check_meta, df_resolve, df_check_member, df_check_kflag_member, fwd_log,
};
static const struct btf_kind_ops array_ops = {
	array_check_meta, emu_btf_array_resolve, array_check_member, generic_check_kflag_member, array_log,
};
static const struct btf_kind_ops struct_ops = {
	struct_check_meta, emu_btf_struct_resolve, sized_check_member, generic_check_kflag_member, size_vlen_log,
};
static const struct btf_kind_ops enum_ops = {
	enum_check_meta, df_resolve, sized_check_member, enum_check_kflag_member, size_vlen_log,
};
static const struct btf_kind_ops enum64_ops = {
	enum64_check_meta, df_resolve, sized_check_member, enum_check_kflag_member, size_vlen_log,
};
static const struct btf_kind_ops func_proto_ops = {
	func_proto_check_meta, df_resolve, df_check_member, df_check_kflag_member, func_proto_log,
};
static const struct btf_kind_ops func_ops = {
	func_check_meta, emu_btf_func_resolve, df_check_member, df_check_kflag_member, ref_type_log,
};
static const struct btf_kind_ops var_ops = {
	var_check_meta, emu_btf_var_resolve, df_check_member, df_check_kflag_member, var_log,
};
static const struct btf_kind_ops datasec_ops = {
	datasec_check_meta, emu_btf_datasec_resolve, df_check_member, df_check_kflag_member, size_vlen_log,
};
static const struct btf_kind_ops float_ops = {
	float_check_meta, df_resolve, float_check_member, generic_check_kflag_member, float_log,
};
static const struct btf_kind_ops decl_tag_ops = {
	decl_tag_check_meta, emu_btf_decl_tag_resolve, df_check_member, df_check_kflag_member, decl_tag_log,
};

const struct btf_kind_ops *const emu_btf_kind_ops[EMU_NR_BTF_KINDS] = {
	[EMU_BTF_KIND_INT] = &int_ops,
	[EMU_BTF_KIND_PTR] = &ptr_ops,
	[EMU_BTF_KIND_ARRAY] = &array_ops,
	[EMU_BTF_KIND_STRUCT] = &struct_ops,
	[EMU_BTF_KIND_UNION] = &struct_ops,
	[EMU_BTF_KIND_ENUM] = &enum_ops,
	[EMU_BTF_KIND_FWD] = &fwd_ops,
	[EMU_BTF_KIND_TYPEDEF] = &modifier_ops,
	[EMU_BTF_KIND_VOLATILE] = &modifier_ops,
	[EMU_BTF_KIND_CONST] = &modifier_ops,
	[EMU_BTF_KIND_RESTRICT] = &modifier_ops,
	[EMU_BTF_KIND_FUNC] = &func_ops,
	[EMU_BTF_KIND_FUNC_PROTO] = &func_proto_ops,
	[EMU_BTF_KIND_VAR] = &var_ops,
	[EMU_BTF_KIND_DATASEC] = &datasec_ops,
	[EMU_BTF_KIND_FLOAT] = &float_ops,
	[EMU_BTF_KIND_DECL_TAG] = &decl_tag_ops,
	[EMU_BTF_KIND_TYPE_TAG] = &modifier_ops,
	[EMU_BTF_KIND_ENUM64] = &enum64_ops,
};
