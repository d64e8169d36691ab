/* SPDX-License-Identifier: MIT */
/*
 * Special fields: the kernel-managed objects a map value or a program-allocated struct may
 * embed (bpf_spin_lock, bpf_res_spin_lock, bpf_timer, bpf_wq, bpf_task_work, bpf_list_head/node,
 * bpf_rb_root/node, bpf_refcount, and pointers tagged kptr / kptr_untrusted / percpu_kptr /
 * uptr), found by the kernel's rules (btf_parse_fields of 6.18): a member counts by its type's
 * name and size and its alignment, arrays of kptrs and graph roots repeat, nested structs are
 * searched up to 32 levels, a unique kind twice is -E2BIG, more than 11 fields -E2BIG,
 * overlaps -EEXIST. At BTF load, every struct that embeds one of the graph/lock types or a kptr
 * gets a record (btf_parse_struct_metas) and graph roots are checked for ownership cycles.
 *
 * Kernel types: a kptr to a struct the kernel's own BTF defines resolves against vmlinux in the
 * kernel; here no kernel BTF is consulted (every pointee counts as a program-local type, the
 * kernel's answer when the name is not in vmlinux).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"
#include "../uapi/bpf_uapi.h"

#define FIELD_IGNORE 0
#define FIELD_FOUND 1
#define PAGE_SIZE_BYTES 4096u

struct field_info {
	uint32_t type, off;
	uint32_t kptr_type_id;
	const char *node_name;
	uint32_t value_btf_id;
};

static uint32_t field_size(uint32_t type)
{
	switch (type) {
	case EMU_BTF_F_SPIN_LOCK: return 4;
	case EMU_BTF_F_RES_SPIN_LOCK: return 8;
	case EMU_BTF_F_TIMER: return 16;
	case EMU_BTF_F_WORKQUEUE: return 16;
	case EMU_BTF_F_TASK_WORK: return 8;
	case EMU_BTF_F_KPTR_UNREF:
	case EMU_BTF_F_KPTR_REF:
	case EMU_BTF_F_KPTR_PERCPU:
	case EMU_BTF_F_UPTR: return 8;
	case EMU_BTF_F_LIST_HEAD: return 16;
	case EMU_BTF_F_LIST_NODE: return 24;
	case EMU_BTF_F_RB_ROOT: return 16;
	case EMU_BTF_F_RB_NODE: return 32;
	case EMU_BTF_F_REFCOUNT: return 4;
	}
	return 0;
}

static uint32_t field_align(uint32_t type)
{
	switch (type) {
	case EMU_BTF_F_SPIN_LOCK:
	case EMU_BTF_F_REFCOUNT: return 4;
	}
	return field_size(type) ? 8 : 0;
}

/* __btf_type_is_struct(): STRUCT only, not UNION */
static bool is_struct_kind(const struct emu_btf_type *t) { return btf_is_kind(t, EMU_BTF_KIND_STRUCT); }

static int find_struct(const struct emu_btf_type *t, uint32_t off, uint32_t sz, uint32_t type, struct field_info *info)
{
	if (!is_struct_kind(t) || t->size_or_type != sz)
		return FIELD_IGNORE;
	info->type = type;
	info->off = off;
	return FIELD_FOUND;
}

static int find_kptr(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t off, struct field_info *info,
		     uint32_t mask)
{
	const char *tag;
	uint32_t type, res_id;

	if (btf_is_kind(t, EMU_BTF_KIND_VOLATILE))
		t = emu_btf_type_by_id(btf, t->size_or_type);
	if (!btf_is_kind(t, EMU_BTF_KIND_PTR))
		return FIELD_IGNORE;
	t = emu_btf_type_by_id(btf, t->size_or_type);
	if (!btf_is_kind(t, EMU_BTF_KIND_TYPE_TAG) || emu_btf_kflag(t))
		return FIELD_IGNORE;
	if (btf_is_kind(emu_btf_type_by_id(btf, t->size_or_type), EMU_BTF_KIND_TYPE_TAG))
		return -EINVAL;
	tag = emu_btf_name_or_anon(btf, t->name_off);
	if (!strcmp(tag, "kptr_untrusted"))
		type = EMU_BTF_F_KPTR_UNREF;
	else if (!strcmp(tag, "kptr"))
		type = EMU_BTF_F_KPTR_REF;
	else if (!strcmp(tag, "percpu_kptr"))
		type = EMU_BTF_F_KPTR_PERCPU;
	else if (!strcmp(tag, "uptr"))
		type = EMU_BTF_F_UPTR;
	else
		return -EINVAL;
	if (!(type & mask))
		return FIELD_IGNORE;
	t = emu_btf_skip_modifiers(btf, t->size_or_type, &res_id);
	if (!is_struct_kind(t))
		return -EINVAL;
	info->type = type;
	info->off = off;
	info->kptr_type_id = res_id;
	return FIELD_FOUND;
}

/* the decl tag "<key><value>" on (pt, comp_idx) after id last, or -ENOENT */
static int next_decl_tag(const struct emu_btf *btf, const struct emu_btf_type *pt, int comp_idx, const char *key,
			 int last)
{
	size_t len = strlen(key);

	for (uint32_t i = (uint32_t)(last + 1); i < btf->nr_types; i++) {
		const struct emu_btf_type *t = btf->types[i];

		if (!btf_is_kind(t, EMU_BTF_KIND_DECL_TAG) || pt != emu_btf_type_by_id(btf, t->size_or_type))
			continue;
		if (((const struct emu_btf_decl_tag *)(t + 1))->component_idx != comp_idx)
			continue;
		if (strncmp(emu_btf_name_or_anon(btf, t->name_off), key, len))
			continue;
		return (int)i;
	}
	return -ENOENT;
}

static int find_graph_root(const struct emu_btf *btf, const struct emu_btf_type *pt, const struct emu_btf_type *t,
			   int comp_idx, uint32_t off, uint32_t sz, struct field_info *info, uint32_t head_type)
{
	const char *value, *node;
	char *name;
	int id;

	if (!is_struct_kind(t) || t->size_or_type != sz)
		return FIELD_IGNORE;
	id = next_decl_tag(btf, pt, comp_idx, "contains:", 0);
	if (id < 0)
		return -EINVAL;
	value = emu_btf_name_or_anon(btf, btf->types[id]->name_off) + strlen("contains:");
	if (next_decl_tag(btf, pt, comp_idx, "contains:", id) >= 0)
		return -EINVAL; /* two of them (-EEXIST, reported as -EINVAL) */
	node = strchr(value, ':');
	if (!node)
		return -EINVAL;
	name = strndup(value, (size_t)(node - value));
	if (!name)
		return -ENOMEM;
	id = emu_btf_find_by_name_kind(btf, name, EMU_BTF_KIND_STRUCT);
	free(name);
	if (id < 0)
		return id;
	node++;
	if (!*node)
		return -EINVAL;
	info->type = head_type;
	info->off = off;
	info->value_btf_id = (uint32_t)id;
	info->node_name = node;
	return FIELD_FOUND;
}

static const struct {
	uint32_t type;
	const char *name;
	bool unique;
} named_fields[] = {
	{ EMU_BTF_F_SPIN_LOCK, "bpf_spin_lock", true },
	{ EMU_BTF_F_RES_SPIN_LOCK, "bpf_res_spin_lock", true },
	{ EMU_BTF_F_TIMER, "bpf_timer", true },
	{ EMU_BTF_F_WORKQUEUE, "bpf_wq", true },
	{ EMU_BTF_F_TASK_WORK, "bpf_task_work", true },
	{ EMU_BTF_F_LIST_HEAD, "bpf_list_head", false },
	{ EMU_BTF_F_LIST_NODE, "bpf_list_node", false },
	{ EMU_BTF_F_RB_ROOT, "bpf_rb_root", false },
	{ EMU_BTF_F_RB_NODE, "bpf_rb_node", false },
	{ EMU_BTF_F_REFCOUNT, "bpf_refcount", false },
};

/* the field kind a member's type stands for: 0 none, -E2BIG a second unique one */
static int get_field_type(const struct emu_btf *btf, const struct emu_btf_type *vt, uint32_t mask, uint32_t *seen)
{
	const char *name = emu_btf_name_or_anon(btf, vt->name_off);

	for (size_t i = 0; i < sizeof(named_fields) / sizeof(named_fields[0]); i++) {
		if (!(mask & named_fields[i].type) || strcmp(name, named_fields[i].name))
			continue;
		if (named_fields[i].unique) {
			if (*seen & named_fields[i].type)
				return -E2BIG;
			*seen |= named_fields[i].type;
		}
		return (int)named_fields[i].type;
	}
	if ((mask & (EMU_BTF_F_KPTR | EMU_BTF_F_UPTR)) && !is_struct_kind(vt))
		return EMU_BTF_F_KPTR_REF;
	return 0;
}

static int repeat_fields(struct field_info *info, int info_cnt, uint32_t field_cnt, uint32_t repeat_cnt,
			 uint32_t elem_size)
{
	uint32_t cur = field_cnt;

	for (uint32_t i = 0; i < field_cnt; i++) {
		switch (info[i].type) {
		case EMU_BTF_F_KPTR_UNREF:
		case EMU_BTF_F_KPTR_REF:
		case EMU_BTF_F_KPTR_PERCPU:
		case EMU_BTF_F_UPTR:
		case EMU_BTF_F_LIST_HEAD:
		case EMU_BTF_F_RB_ROOT:
			break;
		default:
			return -EINVAL;
		}
	}
	if (field_cnt * (repeat_cnt + 1) > (uint32_t)info_cnt)
		return -E2BIG;
	for (uint32_t i = 0; i < repeat_cnt; i++) {
		memcpy(&info[cur], &info[0], field_cnt * sizeof(info[0]));
		for (uint32_t j = 0; j < field_cnt; j++)
			info[cur++].off += (i + 1) * elem_size;
	}
	return 0;
}

static int find_struct_field(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t mask,
			     struct field_info *info, int info_cnt, uint32_t level);

static int find_nested_struct(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t off, uint32_t nelems,
			      uint32_t mask, struct field_info *info, int info_cnt, uint32_t level)
{
	int ret, err;

	level++;
	if (level >= BTF_MAX_RESOLVE_DEPTH)
		return -E2BIG;
	ret = find_struct_field(btf, t, mask, info, info_cnt, level);
	if (ret <= 0)
		return ret;
	for (int i = 0; i < ret; i++)
		info[i].off += off;
	if (nelems > 1) {
		err = repeat_fields(info, info_cnt, (uint32_t)ret, nelems - 1, t->size_or_type);
		ret = err ? err : ret * (int)nelems;
	}
	return ret;
}

static int find_field_one(const struct emu_btf *btf, const struct emu_btf_type *var, const struct emu_btf_type *vt,
			  int var_idx, uint32_t off, uint32_t expected_size, uint32_t mask, uint32_t *seen,
			  struct field_info *info, int info_cnt, uint32_t level)
{
	struct field_info tmp, *dst = info_cnt ? &info[0] : &tmp;
	uint32_t nelems = 1, i, sz, align;
	int type, ret;

	for (i = 0; i < BTF_MAX_RESOLVE_DEPTH && btf_is_kind(vt, EMU_BTF_KIND_ARRAY); i++) {
		nelems *= btf_array(vt)->nelems;
		vt = emu_btf_type_by_id(btf, btf_array(vt)->type);
	}
	if (i == BTF_MAX_RESOLVE_DEPTH)
		return -E2BIG;
	if (!nelems)
		return 0;
	type = get_field_type(btf, vt, mask, seen);
	if (!type && is_struct_kind(vt)) {
		sz = vt->size_or_type;
		if (expected_size && expected_size != sz * nelems)
			return 0;
		return find_nested_struct(btf, vt, off, nelems, mask, info, info_cnt, level);
	}
	if (type <= 0)
		return type;
	sz = field_size((uint32_t)type);
	align = field_align((uint32_t)type);
	if (expected_size && expected_size != sz * nelems)
		return 0;
	if (off % align)
		return 0;
	switch (type) {
	case EMU_BTF_F_SPIN_LOCK:
	case EMU_BTF_F_RES_SPIN_LOCK:
	case EMU_BTF_F_TIMER:
	case EMU_BTF_F_WORKQUEUE:
	case EMU_BTF_F_LIST_NODE:
	case EMU_BTF_F_RB_NODE:
	case EMU_BTF_F_REFCOUNT:
	case EMU_BTF_F_TASK_WORK:
		ret = find_struct(vt, off, sz, (uint32_t)type, dst);
		break;
	case EMU_BTF_F_KPTR_REF: /* any pointer: find_kptr tells which */
		ret = find_kptr(btf, vt, off, dst, mask);
		break;
	case EMU_BTF_F_LIST_HEAD:
	case EMU_BTF_F_RB_ROOT:
		ret = find_graph_root(btf, var, vt, var_idx, off, sz, dst, (uint32_t)type);
		break;
	default:
		return -EFAULT;
	}
	if (ret < 0)
		return ret;
	if (ret == FIELD_IGNORE)
		return 0;
	if (!info_cnt)
		return -E2BIG;
	if (nelems > 1) {
		ret = repeat_fields(info, info_cnt, 1, nelems - 1, sz);
		if (ret < 0)
			return ret;
	}
	return (int)nelems;
}

static int find_struct_field(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t mask,
			     struct field_info *info, int info_cnt, uint32_t level)
{
	const struct emu_btf_member *m = emu_btf_members(t);
	uint32_t seen = 0;
	int idx = 0;

	for (uint32_t i = 0; i < emu_btf_vlen(t); i++, m++) {
		uint32_t off = emu_btf_member_bit_offset(t, m);
		int ret;

		if (off % 8)
			return -EINVAL;
		ret = find_field_one(btf, t, emu_btf_type_by_id(btf, m->type), (int)i, off / 8, 0, mask, &seen,
				     &info[idx], info_cnt - idx, level);
		if (ret < 0)
			return ret;
		idx += ret;
	}
	return idx;
}

static int find_datasec_var(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t mask,
			    struct field_info *info, int info_cnt)
{
	const struct emu_btf_var_secinfo *vsi = (const struct emu_btf_var_secinfo *)(t + 1);
	uint32_t seen = 0;
	int idx = 0;

	for (uint32_t i = 0; i < emu_btf_vlen(t); i++, vsi++) {
		const struct emu_btf_type *var = emu_btf_type_by_id(btf, vsi->type);
		int ret = find_field_one(btf, var, emu_btf_type_by_id(btf, var->size_or_type), -1, vsi->offset,
					 vsi->size, mask, &seen, &info[idx], info_cnt - idx, 0);

		if (ret < 0)
			return ret;
		idx += ret;
	}
	return idx;
}

static int parse_graph_root(const struct emu_btf *btf, struct emu_btf_field *f, const struct field_info *info,
			    const char *node_type, uint32_t node_align)
{
	const struct emu_btf_type *t = emu_btf_type_by_id(btf, info->value_btf_id), *n = NULL;
	const struct emu_btf_member *m = emu_btf_members(t);

	for (uint32_t i = 0; i < emu_btf_vlen(t); i++, m++) {
		uint32_t off;

		if (strcmp(info->node_name, emu_btf_name_or_anon(btf, m->name_off)))
			continue;
		if (n)
			return -EINVAL;
		n = emu_btf_type_by_id(btf, m->type);
		if (!is_struct_kind(n) || strcmp(node_type, emu_btf_name_or_anon(btf, n->name_off)))
			return -EINVAL;
		off = emu_btf_member_bit_offset(n, m); /* the kernel reads the node type's kind_flag here */
		if (off % 8)
			return -EINVAL;
		off /= 8;
		if (off % node_align)
			return -EINVAL;
		f->value_type_id = info->value_btf_id;
		f->node_offset = off;
	}
	return n ? 0 : -ENOENT;
}

int emu_btf_parse_fields(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t mask, uint32_t value_size,
			 struct emu_btf_value_fields *rec)
{
	struct field_info info[EMU_BTF_FIELDS_MAX];
	uint32_t next_off = 0;
	int cnt;

	memset(rec, 0, sizeof(*rec));
	rec->spin_lock_off = rec->res_spin_lock_off = rec->timer_off = -1;
	rec->wq_off = rec->refcount_off = rec->task_work_off = -1;
	memset(info, 0, sizeof(info));
	if (is_struct_kind(t))
		cnt = find_struct_field(btf, t, mask, info, EMU_BTF_FIELDS_MAX, 0);
	else if (btf_is_kind(t, EMU_BTF_KIND_DATASEC))
		cnt = find_datasec_var(btf, t, mask, info, EMU_BTF_FIELDS_MAX);
	else
		cnt = -EINVAL;
	if (cnt <= 0)
		return cnt;
	for (int i = 0; i < cnt; i++) {
		struct emu_btf_field *f = &rec->fields[i];
		uint32_t size = field_size(info[i].type);
		int err = 0;

		if ((uint64_t)info[i].off + size > value_size)
			return -EFAULT;
		if (info[i].off < next_off)
			return -EEXIST;
		next_off = info[i].off + size;
		rec->field_mask |= info[i].type;
		f->offset = info[i].off;
		f->type = info[i].type;
		f->size = size;
		switch (info[i].type) {
		case EMU_BTF_F_SPIN_LOCK: rec->spin_lock_off = (int32_t)f->offset; break;
		case EMU_BTF_F_RES_SPIN_LOCK: rec->res_spin_lock_off = (int32_t)f->offset; break;
		case EMU_BTF_F_TIMER: rec->timer_off = (int32_t)f->offset; break;
		case EMU_BTF_F_WORKQUEUE: rec->wq_off = (int32_t)f->offset; break;
		case EMU_BTF_F_TASK_WORK: rec->task_work_off = (int32_t)f->offset; break;
		case EMU_BTF_F_REFCOUNT: rec->refcount_off = (int32_t)f->offset; break;
		case EMU_BTF_F_KPTR_UNREF:
		case EMU_BTF_F_KPTR_REF:
		case EMU_BTF_F_KPTR_PERCPU:
		case EMU_BTF_F_UPTR:
			/* not in the kernel's BTF (see the top): a program-local type, no destructor */
			f->kptr_type_id = info[i].kptr_type_id;
			break;
		case EMU_BTF_F_LIST_HEAD:
			err = parse_graph_root(btf, f, &info[i], "bpf_list_node", 8);
			break;
		case EMU_BTF_F_RB_ROOT:
			err = parse_graph_root(btf, f, &info[i], "bpf_rb_node", 8);
			break;
		case EMU_BTF_F_LIST_NODE:
		case EMU_BTF_F_RB_NODE:
			break;
		default:
			return -EFAULT;
		}
		if (err)
			return err;
		rec->cnt++;
	}
	if (rec->spin_lock_off >= 0 && rec->res_spin_lock_off >= 0)
		return -EINVAL;
	if ((rec->field_mask & EMU_BTF_F_GRAPH_ROOT) && rec->spin_lock_off < 0 && rec->res_spin_lock_off < 0)
		return -EINVAL;
	if (rec->refcount_off < 0 && (rec->field_mask & EMU_BTF_F_LIST_NODE) && (rec->field_mask & EMU_BTF_F_RB_NODE))
		return -EINVAL;
	return 0;
}

/* ---- records of program-allocatable structs, at load ---- */

static const char *const alloc_obj_fields[] = {
	"bpf_spin_lock", "bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_refcount",
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int btf_parse_struct_metas(struct emu_btf *btf)
{
	uint32_t *ids = NULL, cnt = 0;
	int ret = 0;

	for (size_t i = 0; i < sizeof(alloc_obj_fields) / sizeof(alloc_obj_fields[0]); i++) {
		int id = emu_btf_find_by_name_kind(btf, alloc_obj_fields[i], EMU_BTF_KIND_STRUCT);
		uint32_t *n;

		if (id < 0)
			continue;
		n = realloc(ids, (cnt + 1) * sizeof(*ids));
		if (!n) {
			free(ids);
			return -ENOMEM;
		}
		ids = n;
		ids[cnt++] = (uint32_t)id;
	}
	for (uint32_t i = 1; i < btf->nr_types; i++) {
		struct field_info tmp;
		uint32_t *n;

		if (find_kptr(btf, btf->types[i], 0, &tmp, EMU_BTF_F_KPTR) != FIELD_FOUND)
			continue;
		n = realloc(ids, (cnt + 1) * sizeof(*ids));
		if (!n) {
			free(ids);
			return -ENOMEM;
		}
		ids = n;
		ids[cnt++] = i;
	}
	if (!cnt)
		return 0;
	qsort(ids, cnt, sizeof(*ids), cmp_u32);

	for (uint32_t i = 1; i < btf->nr_types; i++) {
		const struct emu_btf_type *t = btf->types[i];
		const struct emu_btf_member *m = emu_btf_members(t);
		struct emu_btf_meta *metas;
		bool hit = false;

		if (!is_struct_kind(t))
			continue;
		for (uint32_t j = 0; j < emu_btf_vlen(t) && !hit; j++)
			hit = bsearch(&m[j].type, ids, cnt, sizeof(*ids), cmp_u32) != NULL;
		if (!hit)
			continue;
		metas = realloc(btf->metas, (btf->nr_metas + 1) * sizeof(*metas));
		if (!metas) {
			ret = -ENOMEM;
			break;
		}
		btf->metas = metas;
		metas[btf->nr_metas].btf_id = i;
		ret = emu_btf_parse_fields(btf, t,
					   EMU_BTF_F_SPIN_LOCK | EMU_BTF_F_RES_SPIN_LOCK | EMU_BTF_F_LIST_HEAD |
						   EMU_BTF_F_LIST_NODE | EMU_BTF_F_RB_ROOT | EMU_BTF_F_RB_NODE |
						   EMU_BTF_F_REFCOUNT | EMU_BTF_F_KPTR,
					   t->size_or_type, &metas[btf->nr_metas].rec);
		if (!ret && !metas[btf->nr_metas].rec.cnt)
			ret = -EFAULT; /* "the record cannot be unset" */
		if (ret)
			break;
		btf->nr_metas++;
	}
	free(ids);
	return ret;
}

const struct emu_btf_meta *btf_find_struct_meta(const struct emu_btf *btf, uint32_t id)
{
	for (uint32_t i = 0; i < btf->nr_metas; i++)
		if (btf->metas[i].btf_id == id)
			return &btf->metas[i];
	return NULL;
}

/*
 * Ownership cycles among graph roots: a struct whose bpf_list_head/bpf_rb_root holds objects
 * that, through their own roots, hold the first struct again. Observed on 6.18: any cycle of
 * root -> contained-type edges is -ELOOP (a struct holding itself, two holding each other,
 * longer rings), while an acyclic chain passes even when a node type is also a root.
 * state: 0 unvisited, 1 on the current path, 2 done (no cycle through it).
 */
static int owns_cycle(const struct emu_btf *btf, const struct emu_btf_value_fields *rec, uint8_t *state)
{
	for (uint32_t i = 0; i < rec->cnt; i++) {
		const struct emu_btf_meta *meta;
		size_t k;
		int err;

		if (!(rec->fields[i].type & EMU_BTF_F_GRAPH_ROOT))
			continue;
		meta = btf_find_struct_meta(btf, rec->fields[i].value_type_id);
		if (!meta)
			return -EFAULT;
		k = (size_t)(meta - btf->metas);
		if (state[k] == 1)
			return -ELOOP;
		if (state[k] == 2)
			continue;
		state[k] = 1;
		err = owns_cycle(btf, &meta->rec, state);
		if (err)
			return err;
		state[k] = 2;
	}
	return 0;
}

int btf_check_and_fixup_fields(const struct emu_btf *btf, const struct emu_btf_value_fields *rec)
{
	uint8_t *state;
	int err;

	if (!rec || !(rec->field_mask & (EMU_BTF_F_GRAPH_ROOT | EMU_BTF_F_UPTR)))
		return 0;
	for (uint32_t i = 0; i < rec->cnt; i++) {
		const struct emu_btf_field *f = &rec->fields[i];

		if (f->type == EMU_BTF_F_UPTR) {
			const struct emu_btf_type *t = emu_btf_type_by_id(btf, f->kptr_type_id);

			if (!t->size_or_type)
				return -EINVAL;
			if (t->size_or_type > PAGE_SIZE_BYTES)
				return -E2BIG;
			continue;
		}
		if ((f->type & EMU_BTF_F_GRAPH_ROOT) && !btf_find_struct_meta(btf, f->value_type_id))
			return -EFAULT;
	}
	if (!(rec->field_mask & EMU_BTF_F_GRAPH_ROOT))
		return 0;
	state = calloc(btf->nr_metas + 1, 1);
	if (!state)
		return -ENOMEM;
	/* the record itself, when it is one of the struct records, starts on the path */
	if (btf->nr_metas && rec >= &btf->metas[0].rec && rec <= &btf->metas[btf->nr_metas - 1].rec)
		state[(size_t)((const struct emu_btf_meta *)((const char *)rec - offsetof(struct emu_btf_meta, rec)) -
			       btf->metas)] = 1;
	err = owns_cycle(btf, rec, state);
	free(state);
	return err;
}

/* ---- map_create's map_check_btf ---- */

static bool is_i32(const struct emu_btf_type *t)
{
	uint32_t d;

	if (!btf_is_kind(t, EMU_BTF_KIND_INT))
		return false;
	d = btf_int_data(t);
	return !(EMU_BTF_INT_BITS(d) & 7) && !EMU_BTF_INT_OFFSET(d) && EMU_BTF_INT_BITS(d) == 32;
}

/* the map type's own map_check_btf; 1 when the type has none */
static int map_type_check_btf(uint32_t map_type, uint32_t max_entries, const struct emu_btf_type *key,
			      const struct emu_btf_type *value)
{
	switch (map_type) {
	case EMU_MAP_ARRAY:
	case EMU_MAP_PERCPU_ARRAY:
		if (emu_btf_type_is_void(key)) {
			if (map_type != EMU_MAP_ARRAY || max_entries != 1)
				return -EINVAL;
			return btf_is_kind(value, EMU_BTF_KIND_DATASEC) ? 0 : -EINVAL;
		}
		if (!btf_is_kind(key, EMU_BTF_KIND_INT))
			return -EINVAL;
		if (EMU_BTF_INT_BITS(btf_int_data(key)) != 32 || EMU_BTF_INT_OFFSET(btf_int_data(key)))
			return -EINVAL;
		return 0;
	case EMU_MAP_PERF_EVENT_ARRAY:
	case EMU_MAP_CGROUP_ARRAY:
	case EMU_MAP_ARRAY_OF_MAPS:
	case EMU_MAP_HASH_OF_MAPS:
		return -EMU_ENOTSUPP;
	case EMU_MAP_BLOOM_FILTER:
		return emu_btf_type_is_void(key) ? 0 : -EINVAL;
	case EMU_MAP_LPM_TRIE:
		return btf_is_kind(key, EMU_BTF_KIND_STRUCT) ? 0 : -EINVAL;
	case EMU_MAP_SK_STORAGE:
	case EMU_MAP_INODE_STORAGE:
	case EMU_MAP_TASK_STORAGE:
	case EMU_MAP_CGRP_STORAGE:
		return is_i32(key) ? 0 : -EINVAL;
	case EMU_MAP_ARENA:
		return 0;
	case EMU_MAP_HASH:
	case EMU_MAP_PERCPU_HASH:
	case EMU_MAP_LRU_HASH:
	case EMU_MAP_LRU_PERCPU_HASH:
		/* observed on 6.18: a void key is refused only after the value's fields passed (a
		 * lock in an LRU value with a void key is -EOPNOTSUPP), so the hash maps have a
		 * check of their own here, not the early "no map_check_btf" -EINVAL */
		return emu_btf_type_is_void(key) ? -EINVAL : 0;
	}
	return 1;
}

static bool map_in(uint32_t type, const uint32_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == type)
			return true;
	return false;
}
#define MAP_IN(type, ...) map_in(type, (const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4)

static int fields_allowed(uint32_t mask, uint32_t map_type)
{
	for (uint32_t bit = 1; bit; bit <<= 1) {
		bool ok;

		switch (mask & bit) {
		case 0:
			continue;
		case EMU_BTF_F_SPIN_LOCK:
		case EMU_BTF_F_RES_SPIN_LOCK:
			ok = MAP_IN(map_type, EMU_MAP_HASH, EMU_MAP_ARRAY, EMU_MAP_CGROUP_STORAGE, EMU_MAP_SK_STORAGE,
				    EMU_MAP_INODE_STORAGE, EMU_MAP_TASK_STORAGE, EMU_MAP_CGRP_STORAGE);
			break;
		case EMU_BTF_F_TIMER:
		case EMU_BTF_F_WORKQUEUE:
		case EMU_BTF_F_TASK_WORK:
		case EMU_BTF_F_LIST_HEAD:
		case EMU_BTF_F_RB_ROOT:
			ok = MAP_IN(map_type, EMU_MAP_HASH, EMU_MAP_LRU_HASH, EMU_MAP_ARRAY);
			break;
		case EMU_BTF_F_KPTR_UNREF:
		case EMU_BTF_F_KPTR_REF:
		case EMU_BTF_F_KPTR_PERCPU:
		case EMU_BTF_F_REFCOUNT:
			ok = MAP_IN(map_type, EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				    EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_SK_STORAGE, EMU_MAP_INODE_STORAGE,
				    EMU_MAP_TASK_STORAGE, EMU_MAP_CGRP_STORAGE);
			break;
		case EMU_BTF_F_UPTR:
			ok = map_type == EMU_MAP_TASK_STORAGE;
			break;
		default:
			ok = false;
		}
		if (!ok)
			return -EOPNOTSUPP;
	}
	return 0;
}

int emu_btf_check_map(const struct emu_btf *btf, uint32_t key_type_id, uint32_t value_type_id, uint32_t key_size,
		      uint32_t value_size, uint32_t max_entries, uint32_t map_type, uint32_t map_flags,
		      struct emu_btf_value_fields *fields)
{
	const struct emu_btf_type *key, *value;
	struct emu_btf_value_fields rec;
	uint32_t ks = 0, vs = 0;
	int has_check, err, pf;

	if (fields)
		memset(fields, 0, sizeof(*fields));
	if (key_type_id) {
		key = emu_btf_type_id_size(btf, &key_type_id, &ks);
		if (!key || ks != key_size)
			return -EINVAL;
	} else {
		key = &emu_btf_void;
	}
	value = emu_btf_type_id_size(btf, &value_type_id, &vs);
	has_check = map_type_check_btf(map_type, max_entries, key, value ? value : &emu_btf_void) != 1;
	if (!key_type_id && !has_check)
		return -EINVAL;
	if (!value || vs != value_size)
		return -EINVAL;

	/* a value whose fields cannot be parsed is a value without special fields (the kernel
	 * keeps the error pointer as "no record") */
	pf = emu_btf_parse_fields(btf, value,
				   EMU_BTF_F_SPIN_LOCK | EMU_BTF_F_RES_SPIN_LOCK | EMU_BTF_F_TIMER | EMU_BTF_F_KPTR |
					   EMU_BTF_F_LIST_HEAD | EMU_BTF_F_RB_ROOT | EMU_BTF_F_REFCOUNT |
					   EMU_BTF_F_WORKQUEUE | EMU_BTF_F_UPTR | EMU_BTF_F_TASK_WORK,
				   value_size, &rec);
	if (!pf && rec.cnt) {
		if (map_flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG))
			return -EACCES;
		err = fields_allowed(rec.field_mask, map_type);
		if (err)
			return err;
		err = btf_check_and_fixup_fields(btf, &rec);
		if (err)
			return err;
	}
	if (has_check) {
		err = map_type_check_btf(map_type, max_entries, key, value);
		if (err < 0)
			return err;
	}
	if (fields && !pf && rec.cnt)
		*fields = rec;
	return 0;
}
