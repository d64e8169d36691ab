/* SPDX-License-Identifier: MIT */
/*
 * The second pass of the BTF verifier: every type that refers to others is resolved by a
 * depth-first walk on an explicit stack of at most 32 vertices (deeper: "Exceeded max resolving
 * depth"), a vertex met again while still on the stack is a loop ("Loop detected"). Which
 * referred types end a walk depends on what started it (the kernel's resolve modes: a pointer
 * stops at anything but modifiers and pointers, a struct or array at anything but modifiers,
 * structs and arrays). A resolved type records the id its modifiers lead to and, for arrays,
 * the total size. Then function prototypes, and the type-tag chains (tags before modifiers).
 */
#include <errno.h>
#include <stdlib.h>

#include "btf_internal.h"

bool btf_env_is_resolve_sink(const struct btf_env *env, const struct emu_btf_type *next)
{
	switch (env->mode) {
	case BTF_RESOLVE_TBD:
		return !emu_btf_needs_resolve(next);
	case BTF_RESOLVE_PTR:
		return !emu_btf_is_modifier(next) && !btf_is_kind(next, EMU_BTF_KIND_PTR);
	case BTF_RESOLVE_STRUCT_OR_ARRAY:
		return !emu_btf_is_modifier(next) && !btf_is_kind(next, EMU_BTF_KIND_ARRAY) && !emu_btf_is_struct(next);
	}
	return false;
}

bool btf_env_is_resolved(const struct btf_env *env, uint32_t id)
{
	return env->visit[id] == BTF_RESOLVED;
}

int btf_env_push(struct btf_env *env, const struct emu_btf_type *t, uint32_t id)
{
	struct btf_vertex *v;

	if (env->top == BTF_MAX_RESOLVE_DEPTH)
		return -E2BIG;
	if (env->visit[id] != BTF_NOT_VISITED)
		return -EEXIST;
	env->visit[id] = BTF_VISITED;
	v = &env->stack[env->top++];
	v->t = t;
	v->type_id = id;
	v->next_member = 0;
	if (env->mode == BTF_RESOLVE_TBD) {
		if (btf_is_kind(t, EMU_BTF_KIND_PTR))
			env->mode = BTF_RESOLVE_PTR;
		else if (emu_btf_is_struct(t) || btf_is_kind(t, EMU_BTF_KIND_ARRAY))
			env->mode = BTF_RESOLVE_STRUCT_OR_ARRAY;
	}
	return 0;
}

void btf_env_set_next_member(struct btf_env *env, uint16_t next)
{
	env->stack[env->top - 1].next_member = next;
}

void btf_env_pop_resolved(struct btf_env *env, uint32_t resolved_id, uint32_t resolved_size)
{
	uint32_t id = env->stack[--env->top].type_id;

	env->btf->resolved_sizes[id] = resolved_size;
	env->btf->resolved_ids[id] = resolved_id;
	env->visit[id] = BTF_RESOLVED;
}

static const struct emu_btf_type *type_id_resolve(const struct emu_btf *btf, uint32_t *id)
{
	*id = emu_btf_resolved_id(btf, *id);
	return emu_btf_type_by_id(btf, *id);
}

static bool is_void_fwd_or_proto(const struct emu_btf_type *t)
{
	return emu_btf_type_is_void(t) || btf_is_kind(t, EMU_BTF_KIND_FWD) || btf_is_kind(t, EMU_BTF_KIND_FUNC_PROTO);
}

/* common head of modifier, ptr and var: the next type exists and may be referred to */
static int next_or_push(struct btf_env *env, const struct btf_vertex *v, const struct emu_btf_type **next,
			bool *pushed)
{
	uint32_t id = v->t->size_or_type;

	*pushed = false;
	*next = emu_btf_type_by_id(env->btf, id);
	if (!*next || emu_btf_is_resolve_source_only(*next)) {
		btf_log_type(env, v->t, "Invalid type_id");
		return -EINVAL;
	}
	if (!btf_env_is_resolve_sink(env, *next) && !btf_env_is_resolved(env, id)) {
		*pushed = true;
		return btf_env_push(env, *next, id);
	}
	return 0;
}

/* a modifier resolved while resolving a struct may have stopped at a pointer: go on from it */
static int push_last_ptr(struct btf_env *env, const struct emu_btf_type *next, uint32_t next_id, bool *pushed)
{
	*pushed = false;
	if (emu_btf_is_modifier(next)) {
		uint32_t rid = next_id;
		const struct emu_btf_type *rt = type_id_resolve(env->btf, &rid);

		if (btf_is_kind(rt, EMU_BTF_KIND_PTR) && !btf_env_is_resolve_sink(env, rt) &&
		    !btf_env_is_resolved(env, rid)) {
			*pushed = true;
			return btf_env_push(env, rt, rid);
		}
	}
	return 0;
}

int emu_btf_modifier_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_type *next;
	uint32_t next_id = v->t->size_or_type;
	bool pushed;
	int err = next_or_push(env, v, &next, &pushed);

	if (err || pushed)
		return err;
	if (!emu_btf_type_id_size(env->btf, &next_id, NULL)) {
		if (btf_env_is_resolved(env, next_id))
			next = type_id_resolve(env->btf, &next_id);
		if (!is_void_fwd_or_proto(next)) {
			btf_log_type(env, v->t, "Invalid type_id");
			return -EINVAL;
		}
	}
	btf_env_pop_resolved(env, next_id, 0);
	return 0;
}

int emu_btf_var_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_type *next;
	uint32_t next_id = v->t->size_or_type;
	bool pushed;
	int err = next_or_push(env, v, &next, &pushed);

	if (err || pushed)
		return err;
	err = push_last_ptr(env, next, next_id, &pushed);
	if (err || pushed)
		return err;
	if (!emu_btf_type_id_size(env->btf, &next_id, NULL)) {
		btf_log_type(env, v->t, "Invalid type_id");
		return -EINVAL;
	}
	btf_env_pop_resolved(env, next_id, 0);
	return 0;
}

int emu_btf_ptr_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_type *next;
	uint32_t next_id = v->t->size_or_type;
	bool pushed;
	int err = next_or_push(env, v, &next, &pushed);

	if (err || pushed)
		return err;
	err = push_last_ptr(env, next, next_id, &pushed);
	if (err || pushed)
		return err;
	if (!emu_btf_type_id_size(env->btf, &next_id, NULL)) {
		if (btf_env_is_resolved(env, next_id))
			next = type_id_resolve(env->btf, &next_id);
		if (!is_void_fwd_or_proto(next)) {
			btf_log_type(env, v->t, "Invalid type_id");
			return -EINVAL;
		}
	}
	btf_env_pop_resolved(env, next_id, 0);
	return 0;
}

int emu_btf_array_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_array *a = btf_array(v->t);
	const struct emu_btf_type *elem, *index;
	uint32_t elem_id = a->type, index_id = a->index_type, elem_size = 0;

	index = emu_btf_type_by_id(env->btf, index_id);
	if (emu_btf_nosize_or_null(index) || emu_btf_is_resolve_source_only(index)) {
		btf_log_type(env, v->t, "Invalid index");
		return -EINVAL;
	}
	if (!btf_env_is_resolve_sink(env, index) && !btf_env_is_resolved(env, index_id))
		return btf_env_push(env, index, index_id);
	index = emu_btf_type_id_size(env->btf, &index_id, NULL);
	if (!index || !btf_is_kind(index, EMU_BTF_KIND_INT) || !emu_btf_int_is_regular(index)) {
		btf_log_type(env, v->t, "Invalid index");
		return -EINVAL;
	}

	elem = emu_btf_type_by_id(env->btf, elem_id);
	if (emu_btf_nosize_or_null(elem) || emu_btf_is_resolve_source_only(elem)) {
		btf_log_type(env, v->t, "Invalid elem");
		return -EINVAL;
	}
	if (!btf_env_is_resolve_sink(env, elem) && !btf_env_is_resolved(env, elem_id))
		return btf_env_push(env, elem, elem_id);
	elem = emu_btf_type_id_size(env->btf, &elem_id, &elem_size);
	if (!elem) {
		btf_log_type(env, v->t, "Invalid elem");
		return -EINVAL;
	}
	if (btf_is_kind(elem, EMU_BTF_KIND_INT) && !emu_btf_int_is_regular(elem)) {
		btf_log_type(env, v->t, "Invalid array of int");
		return -EINVAL;
	}
	if (a->nelems && elem_size > UINT32_MAX / a->nelems) {
		btf_log_type(env, v->t, "Array size overflows U32_MAX");
		return -EINVAL;
	}
	btf_env_pop_resolved(env, elem_id, elem_size * a->nelems);
	return 0;
}

static int check_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			const struct emu_btf_type *mt)
{
	if (emu_btf_kflag(s))
		return btf_ops(mt)->check_kflag_member(env, s, m, mt);
	return btf_ops(mt)->check_member(env, s, m, mt);
}

int emu_btf_struct_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_member *m = emu_btf_members(v->t);
	int err;

	/* the member pushed last time is resolved now: check it first */
	if (v->next_member) {
		const struct emu_btf_member *last = m + v->next_member - 1;
		uint32_t last_id = last->type;

		if (!btf_env_is_resolved(env, last_id))
			return -EINVAL;
		err = check_member(env, v->t, last, emu_btf_type_by_id(env->btf, last_id));
		if (err)
			return err;
	}
	for (uint32_t i = v->next_member; i < emu_btf_vlen(v->t); i++) {
		uint32_t mid = m[i].type;
		const struct emu_btf_type *mt = emu_btf_type_by_id(env->btf, mid);

		if (emu_btf_nosize_or_null(mt) || emu_btf_is_resolve_source_only(mt)) {
			btf_log_member(env, v->t, &m[i], "Invalid member");
			return -EINVAL;
		}
		if (!btf_env_is_resolve_sink(env, mt) && !btf_env_is_resolved(env, mid)) {
			btf_env_set_next_member(env, (uint16_t)(i + 1));
			return btf_env_push(env, mt, mid);
		}
		err = check_member(env, v->t, &m[i], mt);
		if (err)
			return err;
	}
	btf_env_pop_resolved(env, 0, 0);
	return 0;
}

int emu_btf_func_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	int err = btf_func_check(env, v->t);

	if (err)
		return err;
	btf_env_pop_resolved(env, v->t->size_or_type, 0);
	return 0;
}

int emu_btf_datasec_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	const struct emu_btf_var_secinfo *vsi = (const struct emu_btf_var_secinfo *)(v->t + 1);

	env->mode = BTF_RESOLVE_TBD;
	for (uint32_t i = v->next_member; i < emu_btf_vlen(v->t); i++) {
		uint32_t var_id = vsi[i].type, tid, tsize = 0;
		const struct emu_btf_type *var = emu_btf_type_by_id(env->btf, var_id);

		if (!var || !btf_is_kind(var, EMU_BTF_KIND_VAR)) {
			btf_log_vsi(env, v->t, &vsi[i], "Not a VAR kind member");
			return -EINVAL;
		}
		if (!btf_env_is_resolve_sink(env, var) && !btf_env_is_resolved(env, var_id)) {
			btf_env_set_next_member(env, (uint16_t)(i + 1));
			return btf_env_push(env, var, var_id);
		}
		tid = var->size_or_type;
		if (!emu_btf_type_id_size(env->btf, &tid, &tsize)) {
			btf_log_vsi(env, v->t, &vsi[i], "Invalid type");
			return -EINVAL;
		}
		if (vsi[i].size < tsize) {
			btf_log_vsi(env, v->t, &vsi[i], "Invalid size");
			return -EINVAL;
		}
	}
	btf_env_pop_resolved(env, 0, 0);
	return 0;
}

static bool is_decl_tag_target(const struct emu_btf_type *t)
{
	return btf_is_kind(t, EMU_BTF_KIND_FUNC) || emu_btf_is_struct(t) || btf_is_kind(t, EMU_BTF_KIND_VAR) ||
	       btf_is_kind(t, EMU_BTF_KIND_TYPEDEF);
}

int emu_btf_decl_tag_resolve(struct btf_env *env, const struct btf_vertex *v)
{
	uint32_t next_id = v->t->size_or_type;
	const struct emu_btf_type *next = emu_btf_type_by_id(env->btf, next_id);
	int32_t idx;

	if (!next || !is_decl_tag_target(next)) {
		btf_log_type(env, v->t, "Invalid type_id");
		return -EINVAL;
	}
	if (!btf_env_is_resolve_sink(env, next) && !btf_env_is_resolved(env, next_id))
		return btf_env_push(env, next, next_id);
	idx = ((const struct emu_btf_decl_tag *)(v->t + 1))->component_idx;
	if (idx != -1) {
		uint32_t vlen;

		if (btf_is_kind(next, EMU_BTF_KIND_VAR) || btf_is_kind(next, EMU_BTF_KIND_TYPEDEF)) {
			btf_log_type(env, v->t, "Invalid component_idx");
			return -EINVAL;
		}
		if (emu_btf_is_struct(next)) {
			vlen = emu_btf_vlen(next);
		} else {
			/* a func: its prototype's parameters */
			next = emu_btf_type_by_id(env->btf, next->size_or_type);
			vlen = emu_btf_vlen(next);
		}
		if ((uint32_t)idx >= vlen) {
			btf_log_type(env, v->t, "Invalid component_idx");
			return -EINVAL;
		}
	}
	btf_env_pop_resolved(env, next_id, 0);
	return 0;
}

/* ---- driving ---- */

static bool resolve_valid(struct btf_env *env, const struct emu_btf_type *t, uint32_t id)
{
	const struct emu_btf *btf = env->btf;

	if (!btf_env_is_resolved(env, id))
		return false;
	if (emu_btf_is_struct(t) || btf_is_kind(t, EMU_BTF_KIND_DATASEC))
		return !emu_btf_resolved_id(btf, id) && !emu_btf_resolved_size(btf, id);
	if (btf_is_kind(t, EMU_BTF_KIND_DECL_TAG) || btf_is_kind(t, EMU_BTF_KIND_FUNC))
		return emu_btf_resolved_id(btf, id) && !emu_btf_resolved_size(btf, id);
	if (emu_btf_is_modifier(t) || btf_is_kind(t, EMU_BTF_KIND_PTR) || btf_is_kind(t, EMU_BTF_KIND_VAR)) {
		t = type_id_resolve(btf, &id);
		return t && !emu_btf_is_modifier(t) && !btf_is_kind(t, EMU_BTF_KIND_VAR) &&
		       !btf_is_kind(t, EMU_BTF_KIND_DATASEC);
	}
	if (btf_is_kind(t, EMU_BTF_KIND_ARRAY)) {
		const struct emu_btf_array *a = btf_array(t);
		uint32_t eid = a->type, esize = 0;
		const struct emu_btf_type *et = emu_btf_type_id_size(btf, &eid, &esize);

		return et && !emu_btf_is_modifier(et) && a->nelems * esize == emu_btf_resolved_size(btf, id);
	}
	return false;
}

int btf_resolve(struct btf_env *env, const struct emu_btf_type *t, uint32_t id)
{
	uint32_t saved = env->log_type_id;
	int err = 0;

	env->mode = BTF_RESOLVE_TBD;
	btf_env_push(env, t, id);
	while (!err && env->top) {
		const struct btf_vertex *v = &env->stack[env->top - 1];

		env->log_type_id = v->type_id;
		err = btf_ops(v->t)->resolve(env, v);
	}
	env->log_type_id = id;
	if (err == -E2BIG)
		btf_log_type(env, t, "Exceeded max resolving depth:%u", BTF_MAX_RESOLVE_DEPTH);
	else if (err == -EEXIST)
		btf_log_type(env, t, "Loop detected");
	if (!err && !resolve_valid(env, t, id)) {
		btf_log_type(env, t, "Invalid resolve state");
		err = -EINVAL;
	}
	env->log_type_id = saved;
	return err;
}

static int func_proto_check(struct btf_env *env, const struct emu_btf_type *t)
{
	const struct emu_btf_param *args = (const struct emu_btf_param *)(t + 1);
	uint32_t nr = emu_btf_vlen(t);
	int err;

	if (t->size_or_type) {
		uint32_t rid = t->size_or_type;
		const struct emu_btf_type *rt = emu_btf_type_by_id(env->btf, rid);

		if (!rt || emu_btf_is_resolve_source_only(rt)) {
			btf_log_type(env, t, "Invalid return type");
			return -EINVAL;
		}
		if (emu_btf_needs_resolve(rt) && !btf_env_is_resolved(env, rid)) {
			err = btf_resolve(env, rt, rid);
			if (err)
				return err;
		}
		if (!emu_btf_type_id_size(env->btf, &rid, NULL)) {
			btf_log_type(env, t, "Invalid return type");
			return -EINVAL;
		}
	}
	if (!nr)
		return 0;
	if (!args[nr - 1].type) {
		if (args[nr - 1].name_off) {
			btf_log_type(env, t, "Invalid arg#%u", nr);
			return -EINVAL;
		}
		nr--;
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t aid = args[i].type;
		const struct emu_btf_type *at = emu_btf_type_by_id(env->btf, aid);

		if (!at || emu_btf_is_resolve_source_only(at)) {
			btf_log_type(env, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
		if (args[i].name_off && (!emu_btf_name_offset_valid(env->btf, args[i].name_off) ||
					 !emu_btf_name_valid_identifier(env->btf, args[i].name_off))) {
			btf_log_type(env, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
		if (emu_btf_needs_resolve(at) && !btf_env_is_resolved(env, aid)) {
			err = btf_resolve(env, at, aid);
			if (err)
				return err;
		}
		if (!emu_btf_type_id_size(env->btf, &aid, NULL)) {
			btf_log_type(env, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

int btf_func_check(struct btf_env *env, const struct emu_btf_type *t)
{
	const struct emu_btf_type *proto = emu_btf_type_by_id(env->btf, t->size_or_type);
	const struct emu_btf_param *args;

	if (!proto || !btf_is_kind(proto, EMU_BTF_KIND_FUNC_PROTO)) {
		btf_log_type(env, t, "Invalid type_id");
		return -EINVAL;
	}
	args = (const struct emu_btf_param *)(proto + 1);
	for (uint32_t i = 0; i < emu_btf_vlen(proto); i++) {
		if (!args[i].name_off && args[i].type) {
			btf_log_type(env, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

int btf_check_all_types(struct btf_env *env)
{
	struct emu_btf *btf = env->btf;
	uint32_t n = btf->nr_types;

	btf->resolved_ids = calloc(n, sizeof(uint32_t));
	btf->resolved_sizes = calloc(n, sizeof(uint32_t));
	env->visit = calloc(n, 1);
	if (!btf->resolved_ids || !btf->resolved_sizes || !env->visit)
		return -ENOMEM;
	env->phase = BTF_CHECK_TYPE;
	for (uint32_t id = 1; id < n; id++) {
		const struct emu_btf_type *t = btf->types[id];
		int err;

		env->log_type_id = id;
		if (emu_btf_needs_resolve(t) && !btf_env_is_resolved(env, id)) {
			err = btf_resolve(env, t, id);
			if (err)
				return err;
		}
		if (btf_is_kind(t, EMU_BTF_KIND_FUNC_PROTO)) {
			err = func_proto_check(env, t);
			if (err)
				return err;
		}
	}
	return 0;
}

/* type tags come first in a chain of modifiers; chains end within 32 steps */
int btf_check_type_tags(struct btf_env *env)
{
	const struct emu_btf *btf = env->btf;
	uint32_t n = btf->nr_types, good = 0;

	for (uint32_t i = 1; i < n; i++) {
		const struct emu_btf_type *t = btf->types[i];
		int limit = 32;
		uint32_t cur = i;
		bool in_tags;

		if (!emu_btf_is_modifier(t))
			continue;
		in_tags = btf_is_kind(t, EMU_BTF_KIND_TYPE_TAG);
		while (emu_btf_is_modifier(t)) {
			if (!limit--) {
				btf_log(env, "Max chain length or cycle detected");
				return -ELOOP;
			}
			if (btf_is_kind(t, EMU_BTF_KIND_TYPE_TAG)) {
				if (!in_tags) {
					btf_log(env, "Type tags don't precede modifiers");
					return -EINVAL;
				}
			} else {
				in_tags = false;
			}
			if (cur <= good)
				break;
			cur = t->size_or_type;
			t = emu_btf_type_by_id(btf, cur);
			if (!t)
				return -EINVAL;
		}
		good = i;
	}
	return 0;
}
