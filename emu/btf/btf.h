/* SPDX-License-Identifier: MIT */
/*
 * BTF objects: a blob checked the way Linux 6.18's btf_parse() checks a user BTF (BPF_BTF_LOAD),
 * with the kernel's errno and its log lines, and the queries the map and program code need
 * afterwards (types by id, names, resolved sizes, struct members, the special fields of a map
 * value, the map key/value BTF check of map_create).
 *
 * Invariants of a struct emu_btf returned by emu_btf_parse(): every type id below
 * emu_btf_nr_types() has a type (id 0 is void), every name offset used by a type lies in the
 * string section, every reference of a type resolved (no loops, sizes known where the kernel
 * needs them); the object is immutable and may be shared between threads.
 *
 * Only user BTF is handled: no base/split BTF (start_id is always 0 here), no kernel BTF.
 */
#ifndef BPFEMU_BTF_BTF_H
#define BPFEMU_BTF_BTF_H

#include <stdbool.h>
#include <stdint.h>

#include "../uapi/btf_uapi.h"

struct emu_vlog;
struct emu_btf;

#define EMU_BTF_MAX_SIZE (16u * 1024 * 1024) /* BPF_BTF_LOAD's btf_size limit (E2BIG above) */

/* ---- loading ---- */

/*
 * Checks blob (size bytes, already in private memory; the caller keeps it) as btf_parse() does
 * after the user copy: header, string section, every type's meta data, references and sizes,
 * type tag chains, and the special-field records of structs (btf_parse_struct_metas). Logs what
 * the kernel logs into log (which may be NULL or have level 0). 0 and *out set, or -errno
 * (-EINVAL, -E2BIG, -ELOOP, -EEXIST, -ENOENT, -EFAULT, -ENOMEM, EMU_ENOTSUPP) and *out NULL.
 * Does not check size against EMU_BTF_MAX_SIZE nor finalize the log: emu_btf_load_attr() does.
 */
int emu_btf_parse(const void *blob, uint32_t size, struct emu_vlog *log, struct emu_btf **out);
void emu_btf_free(struct emu_btf *btf);

/*
 * BPF_BTF_LOAD after the command layer's CHECK_ATTR, btf_flags/token and capability checks:
 * attr is the kernel-side copy of the attr (at least 40 bytes, zero-padded), uattr the caller's
 * attr and uattr_size the size it passed (log_true_size is written back there when uattr_size
 * covers it). Reads the blob and writes the log through the user-copy helpers (-EFAULT). Returns
 * 0 with *out set (the caller makes the fd), or -errno exactly as the kernel's btf_parse().
 */
int emu_btf_load_attr(const unsigned char *attr, void *uattr, uint32_t uattr_size, struct emu_btf **out);

/* The blob as loaded (BPF_OBJ_GET_INFO_BY_FD's btf / btf_size). */
const void *emu_btf_data(const struct emu_btf *btf, uint32_t *size);

/* ---- types ---- */

/* Number of type ids, void included (valid ids are 0 .. n-1). */
uint32_t emu_btf_nr_types(const struct emu_btf *btf);
/* The type of id, or NULL past the last; id 0 gives the void type (all zero). */
const struct emu_btf_type *emu_btf_type_by_id(const struct emu_btf *btf, uint32_t id);
bool emu_btf_type_is_void(const struct emu_btf_type *t);
/* The string at off, or NULL if off is outside the string section (btf_name_by_offset). */
const char *emu_btf_name_by_offset(const struct emu_btf *btf, uint32_t off);
/* Like the log: "(anon)" for 0, "(invalid-name-offset)" outside. */
const char *emu_btf_name_or_anon(const struct emu_btf *btf, uint32_t off);
/*
 * btf_type_id_size(): the type *type_id stands for once modifiers (typedef, const, volatile,
 * restrict, type tag) and vars are followed, and its size. *type_id is updated to that type's
 * id. NULL for types without a size (void, fwd, func, func_proto, decl_tag, datasec of a var).
 */
const struct emu_btf_type *emu_btf_type_id_size(const struct emu_btf *btf, uint32_t *type_id, uint32_t *size);
/* btf_type_skip_modifiers(): follows modifiers only; *res_id (if not NULL) gets the final id. */
const struct emu_btf_type *emu_btf_skip_modifiers(const struct emu_btf *btf, uint32_t id, uint32_t *res_id);
/* First id >= 1 of a type with this kind and name, or -ENOENT (btf_find_by_name_kind). */
int emu_btf_find_by_name_kind(const struct emu_btf *btf, const char *name, unsigned kind);

static inline unsigned emu_btf_kind(const struct emu_btf_type *t) { return EMU_BTF_INFO_KIND(t->info); }
static inline unsigned emu_btf_vlen(const struct emu_btf_type *t) { return EMU_BTF_INFO_VLEN(t->info); }
static inline bool emu_btf_kflag(const struct emu_btf_type *t) { return EMU_BTF_INFO_KFLAG(t->info); }
static inline const struct emu_btf_member *emu_btf_members(const struct emu_btf_type *t)
{
	return (const struct emu_btf_member *)(t + 1);
}
/* A struct/union member's bit offset and bitfield size, whatever the struct's kind_flag. */
static inline uint32_t emu_btf_member_bit_offset(const struct emu_btf_type *s, const struct emu_btf_member *m)
{
	return emu_btf_kflag(s) ? EMU_BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
}
static inline uint32_t emu_btf_member_bitfield_size(const struct emu_btf_type *s, const struct emu_btf_member *m)
{
	return emu_btf_kflag(s) ? EMU_BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
}

/* ---- special fields of a map value (btf_parse_fields) ---- */

/* enum btf_field_type of 6.18: one bit per kind of field */
enum {
	EMU_BTF_F_SPIN_LOCK = 1u << 0,
	EMU_BTF_F_TIMER = 1u << 1,
	EMU_BTF_F_KPTR_UNREF = 1u << 2,  /* __kptr_untrusted */
	EMU_BTF_F_KPTR_REF = 1u << 3,    /* __kptr */
	EMU_BTF_F_KPTR_PERCPU = 1u << 4, /* __percpu_kptr */
	EMU_BTF_F_LIST_HEAD = 1u << 5,
	EMU_BTF_F_LIST_NODE = 1u << 6,
	EMU_BTF_F_RB_ROOT = 1u << 7,
	EMU_BTF_F_RB_NODE = 1u << 8,
	EMU_BTF_F_REFCOUNT = 1u << 9,
	EMU_BTF_F_WORKQUEUE = 1u << 10,
	EMU_BTF_F_UPTR = 1u << 11,
	EMU_BTF_F_RES_SPIN_LOCK = 1u << 12,
	EMU_BTF_F_TASK_WORK = 1u << 13,
	EMU_BTF_F_KPTR = EMU_BTF_F_KPTR_UNREF | EMU_BTF_F_KPTR_REF | EMU_BTF_F_KPTR_PERCPU,
	EMU_BTF_F_GRAPH_ROOT = EMU_BTF_F_LIST_HEAD | EMU_BTF_F_RB_ROOT,
	EMU_BTF_F_GRAPH_NODE = EMU_BTF_F_LIST_NODE | EMU_BTF_F_RB_NODE,
};

#define EMU_BTF_FIELDS_MAX 11 /* the kernel's BTF_FIELDS_MAX */

struct emu_btf_field {
	uint32_t offset, size, type; /* type: one EMU_BTF_F_* bit */
	uint32_t kptr_type_id;       /* kptrs/uptr: the pointee struct's id in this BTF */
	uint32_t value_type_id;      /* list_head/rb_root: the contained struct's id */
	uint32_t node_offset;        /* list_head/rb_root: the node's offset in it */
};

/* A value's special fields, sorted by offset (btf_record); the *_off are -1 when absent. */
struct emu_btf_value_fields {
	uint32_t cnt, field_mask;
	int32_t spin_lock_off, res_spin_lock_off, timer_off, wq_off, refcount_off, task_work_off;
	struct emu_btf_field fields[EMU_BTF_FIELDS_MAX];
};

/*
 * btf_parse_fields(): scans the struct or datasec type t for the fields in field_mask (value_size
 * bounds them). 0 with f->cnt fields (possibly 0), or -errno as the kernel: -E2BIG (a second
 * unique field such as two bpf_spin_locks, more than EMU_BTF_FIELDS_MAX fields, nesting too deep),
 * -EINVAL, -EEXIST (overlapping fields), -ENOENT, -EFAULT. t must not be NULL.
 */
int emu_btf_parse_fields(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t field_mask,
			 uint32_t value_size, struct emu_btf_value_fields *f);

/*
 * map_check_btf() of map_create, for a map already valid otherwise (called only when
 * value_type_id != 0, as the kernel does): key/value ids resolve to types whose sizes equal
 * key_size/value_size, the special fields of the value are allowed for map_type and map_flags,
 * graph roots own no cycles, and the map type's own key/value check. 0 (fields filled, may be
 * NULL) or -errno: -EINVAL, -EACCES (special fields with BPF_F_RDONLY_PROG/WRONLY_PROG),
 * -EOPNOTSUPP (a field the map type cannot hold), EMU_ENOTSUPP (a map type without BTF support),
 * or a btf_parse_fields error.
 */
int emu_btf_check_map(const struct emu_btf *btf, uint32_t key_type_id, uint32_t value_type_id,
		      uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t map_type,
		      uint32_t map_flags, struct emu_btf_value_fields *fields);

#endif
