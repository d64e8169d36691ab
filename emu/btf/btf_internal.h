/* SPDX-License-Identifier: MIT */
/*
 * Inside the BTF module: the object, the verifier environment of one parse, the per-kind
 * operations table (the kernel's btf_kind_operations shape) and the helpers the files share.
 * Nothing here is used outside emu/btf/.
 */
#ifndef BPFEMU_BTF_INTERNAL_H
#define BPFEMU_BTF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "../util/vlog.h"
#include "../uapi/bpf_uapi.h"

#define BTF_MAX_RESOLVE_DEPTH 32
#define BTF_KSYM_NAME_LEN 512 /* identifier length limit (KSYM_NAME_LEN) */
/* sizeof(void *) of the kernel: pointers are 8 bytes on the 64-bit kernels this targets, 4 on
 * 32-bit ones (a 32-bit process on a 64-bit kernel would see 8 there; not handled). */
#define BTF_PTR_SIZE ((uint32_t)sizeof(void *))

struct emu_btf_meta; /* a struct's special-field record (btf_struct_meta) */

struct emu_btf {
	unsigned char *alloc;     /* owns the copy */
	const unsigned char *data; /* the blob as loaded (data_size bytes) */
	uint32_t data_size;
	struct emu_btf_header hdr; /* hdr_len bytes of it at most, the rest zero */
	const unsigned char *nohdr; /* data + hdr_len (8-byte aligned) */
	const char *strings;
	const struct emu_btf_type **types; /* types[0] is void */
	uint32_t nr_types, types_cap;
	uint32_t *resolved_ids, *resolved_sizes;
	struct emu_btf_meta *metas; /* sorted by btf_id */
	uint32_t nr_metas;
};

struct emu_btf_meta {
	uint32_t btf_id;
	struct emu_btf_value_fields rec;
};

enum btf_phase { BTF_CHECK_META, BTF_CHECK_TYPE };
enum btf_resolve_mode { BTF_RESOLVE_TBD, BTF_RESOLVE_PTR, BTF_RESOLVE_STRUCT_OR_ARRAY };
enum btf_visit { BTF_NOT_VISITED, BTF_VISITED, BTF_RESOLVED };

struct btf_vertex {
	const struct emu_btf_type *t;
	uint32_t type_id;
	uint16_t next_member;
};

struct btf_env {
	struct emu_btf *btf;
	struct emu_vlog *log;
	uint8_t *visit;
	struct btf_vertex stack[BTF_MAX_RESOLVE_DEPTH];
	uint32_t top;
	uint32_t log_type_id;
	enum btf_phase phase;
	enum btf_resolve_mode mode;
};

struct btf_kind_ops {
	/* bytes of data after the btf_type this kind uses, or -errno */
	int32_t (*check_meta)(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left);
	int (*resolve)(struct btf_env *env, const struct btf_vertex *v);
	int (*check_member)(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			    const struct emu_btf_type *mt);
	int (*check_kflag_member)(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
				  const struct emu_btf_type *mt);
	void (*log_details)(struct btf_env *env, const struct emu_btf_type *t);
};

extern const struct btf_kind_ops *const emu_btf_kind_ops[EMU_NR_BTF_KINDS];
extern const struct emu_btf_type emu_btf_void;
extern const char *const emu_btf_kind_str[EMU_NR_BTF_KINDS];

static inline const struct btf_kind_ops *btf_ops(const struct emu_btf_type *t)
{
	return emu_btf_kind_ops[emu_btf_kind(t)];
}
static inline uint32_t btf_int_data(const struct emu_btf_type *t) { return *(const uint32_t *)(t + 1); }
static inline const struct emu_btf_array *btf_array(const struct emu_btf_type *t)
{
	return (const struct emu_btf_array *)(t + 1);
}

/* kind predicates, as btf.h of the kernel */
static inline bool btf_is_kind(const struct emu_btf_type *t, unsigned k) { return emu_btf_kind(t) == k; }
bool emu_btf_is_modifier(const struct emu_btf_type *t);
bool emu_btf_is_struct(const struct emu_btf_type *t); /* struct or union */
bool emu_btf_has_size(const struct emu_btf_type *t);
bool emu_btf_nosize_or_null(const struct emu_btf_type *t);
bool emu_btf_is_resolve_source_only(const struct emu_btf_type *t);
bool emu_btf_needs_resolve(const struct emu_btf_type *t);
bool emu_btf_int_is_regular(const struct emu_btf_type *t);

/* the kernel's ctype on Latin-1, which differs from the C library's above 127 */
bool emu_btf_isalpha(char c);
bool emu_btf_isalnum(char c);
bool emu_btf_isprint(char c);

bool emu_btf_name_offset_valid(const struct emu_btf *btf, uint32_t off);
bool emu_btf_name_valid_identifier(const struct emu_btf *btf, uint32_t off);
bool emu_btf_name_valid_section(const struct emu_btf *btf, uint32_t off);

uint32_t emu_btf_resolved_id(const struct emu_btf *btf, uint32_t id);
uint32_t emu_btf_resolved_size(const struct emu_btf *btf, uint32_t id);

/* ---- the log (btf_log.c) ---- */
void btf_log(struct btf_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "[id] KIND name[ details][ msg]\n"; details: the kind's log_details; msg NULL: none */
void btf_log_type_x(struct btf_env *env, const struct emu_btf_type *t, bool details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define btf_log_type(env, t, ...) btf_log_type_x((env), (t), true, __VA_ARGS__)
#define btf_log_basic(env, t, ...) btf_log_type_x((env), (t), false, __VA_ARGS__)
void btf_log_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void btf_log_vsi(struct btf_env *env, const struct emu_btf_type *ds, const struct emu_btf_var_secinfo *vsi,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void btf_log_hdr(struct btf_env *env, uint32_t data_size);
/* the same without a message (the kernel's fmt == NULL) */
void btf_log_type0(struct btf_env *env, const struct emu_btf_type *t);
void btf_log_member0(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m);
void btf_log_vsi0(struct btf_env *env, const struct emu_btf_type *ds, const struct emu_btf_var_secinfo *vsi);

/* ---- resolution (btf_resolve.c) ---- */
bool btf_env_is_resolve_sink(const struct btf_env *env, const struct emu_btf_type *next);
bool btf_env_is_resolved(const struct btf_env *env, uint32_t id);
int btf_env_push(struct btf_env *env, const struct emu_btf_type *t, uint32_t id);
void btf_env_set_next_member(struct btf_env *env, uint16_t next);
void btf_env_pop_resolved(struct btf_env *env, uint32_t resolved_id, uint32_t resolved_size);
int btf_resolve(struct btf_env *env, const struct emu_btf_type *t, uint32_t id);
int btf_check_all_types(struct btf_env *env);
int btf_check_type_tags(struct btf_env *env);
int btf_func_check(struct btf_env *env, const struct emu_btf_type *t);

/* ---- special fields (btf_fields.c) ---- */
int btf_parse_struct_metas(struct emu_btf *btf);
const struct emu_btf_meta *btf_find_struct_meta(const struct emu_btf *btf, uint32_t id);
int btf_check_and_fixup_fields(const struct emu_btf *btf, const struct emu_btf_value_fields *rec);

#endif
