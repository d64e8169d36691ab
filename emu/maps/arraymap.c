/* SPDX-License-Identifier: MIT */
/*
 * ARRAY and PERCPU_ARRAY: every index exists from creation, zero-filled. The file holds nothing
 * but values (and their geometry, checked at adoption): every index is the caller's, checked
 * against the view's max_entries, and the slot's place comes from the view's geometry.
 */
#include "../cmd/cmds.h"
#include "../core/inplace.h"
#include "../core/sync.h"
#include "../core/value.h"
#include "../util/hash.h"
#include "families.h"

#define ARRAY_CREATE_FLAGS                                                                          \
	(EMU_F_NUMA_NODE | EMU_F_MMAPABLE | EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_RDONLY_PROG |       \
	 EMU_F_WRONLY_PROG | EMU_F_PRESERVE_ELEMS | EMU_F_INNER_MAP)
#define PCPU_MIN_UNIT_SIZE 32768u

struct array_priv {
	uint32_t stride; /* bytes per index: one slot, or one slot per CPU */
	uint32_t pad;
	uint64_t values_off;
};

/* The geometry in this process's view (struct emu_map's fam), computed from the shape. */
struct array_geom {
	char *values;
	uint32_t stride;
};
_Static_assert(sizeof(struct array_geom) <= EMU_FAM_SIZE, "array_geom fits struct emu_map's fam");

static inline const struct array_geom *AG(const struct emu_map *m) { return emu_fam(m); }

static bool percpu(uint32_t type) { return type == EMU_MAP_PERCPU_ARRAY; }

static uint32_t slot_size(uint32_t value_size) { return emu_round_up(value_size, 8); }

static int array_alloc_check(struct emu_create *c)
{
	bool pc = percpu(c->map_type);
	bool prog_both = (c->map_flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)) ==
			 (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG);

	if (!c->max_entries || c->key_size != 4 || !c->value_size || (c->map_flags & ~ARRAY_CREATE_FLAGS) ||
	    prog_both || (pc && c->numa_node != 0xffffffffu))
		return -EINVAL;
	if (pc && (c->map_flags & (EMU_F_MMAPABLE | EMU_F_INNER_MAP)))
		return -EINVAL;
	if (c->map_flags & EMU_F_PRESERVE_ELEMS) /* perf-event arrays only */
		return -EINVAL;
	if (c->value_size > 0x7fffffffu)
		return -E2BIG;
	if (pc && slot_size(c->value_size) > PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	return 0;
}

static uint64_t stride_of(const struct emu_create *c)
{
	uint64_t s = emu_round_up64(c->value_size, 8);

	return percpu(c->map_type) ? s * c->nr_cpus : s;
}

static int array_layout(const struct emu_create *c, uint64_t *priv_size)
{
	uint64_t data = (uint64_t)c->max_entries * stride_of(c);

	/* mmap() of an MMAPABLE array starts at its first value, so values begin on a page */
	if (c->map_flags & EMU_F_MMAPABLE)
		*priv_size = EMU_PAGE_SIZE + emu_round_up64(data, EMU_PAGE_SIZE);
	else
		*priv_size = sizeof(struct array_priv) + 64 + data;
	return 0;
}

/* The array of m's shape: where its values lie, computed, never read. */
static void array_geometry(const struct emu_map *m, struct array_priv *p)
{
	struct emu_create c = { .map_type = m->map_type, .value_size = m->value_size, .nr_cpus = m->nr_cpus };

	memset(p, 0, sizeof(*p));
	p->stride = (uint32_t)stride_of(&c);
	p->values_off = (m->map_flags & EMU_F_MMAPABLE) ? EMU_PAGE_SIZE : (uint64_t)(m->priv - m->base) + 64;
}

static void array_init(struct emu_map *m)
{
	array_geometry(m, emu_priv(m));
}

static int array_validate(struct emu_map *m, const char **field)
{
	struct array_geom *g = emu_fam(m);
	struct array_priv want, *p = emu_priv(m);

	array_geometry(m, &want);
	g->values = m->base + want.values_off;
	g->stride = want.stride;
	m->data_off = want.values_off;
	m->data_stride = want.stride;
	m->data_end = want.values_off + (uint64_t)m->max_entries * want.stride;
	m->data_voff = 0;
	m->data_woff = EMU_NO_WORD;
	if (m->data_end > m->size) /* the layout rules out; a bug if it happens */
		*field = "array values";
	else if (p->stride != want.stride)
		*field = "array stride";
	else if (p->values_off != want.values_off)
		*field = "array values_off";
	else
		return 0;
	return -EINVAL;
}

/* idx < max_entries: the caller checked it */
static char *slot(struct emu_map *m, uint32_t idx)
{
	return AG(m)->values + (uint64_t)idx * AG(m)->stride;
}

/* The user buffer holds value_size bytes, or a full rounded slot per CPU. A value of one aligned
 * 8 or 4 bytes is updated without the lock (array_update): it is read with one load. */
static void copy_out(struct emu_map *m, void *value, const char *src)
{
	if (!emu_load_whole(value, src, m->value_bytes))
		emu_copy_small(value, src, m->value_bytes);
}

static int array_lookup(struct emu_map *m, const void *key, void *value)
{
	uint32_t idx, seq;
	int err;

	memcpy(&idx, key, 4);
	if (idx >= m->max_entries)
		return -ENOENT;
	/* The sequence only keeps a value from being read torn by an update (or a writer killed
	 * halfway, until the lock's owner-died path replays its redo record). */
	for (int t = 0; t < EMU_READ_TRIES && emu_read_begin(m, &seq); t++) {
		copy_out(m, value, slot(m, idx));
		if (emu_read_valid(m, seq))
			return 0;
	}
	err = emu_map_lock(m);
	if (err)
		return err;
	copy_out(m, value, slot(m, idx));
	emu_map_unlock(m);
	return 0;
}

static int array_lookup_percpu(struct emu_map *m, const void *key, void *value, int cpu)
{
	uint32_t idx;
	int err;

	memcpy(&idx, key, 4);
	if (cpu < 0 || (uint32_t)cpu >= m->nr_cpus)
		return -ERANGE;
	if (idx >= m->max_entries)
		return -ENOENT;
	err = emu_map_lock(m);
	if (err)
		return err;
	memcpy(value, slot(m, idx) + (size_t)cpu * slot_size(m->value_size), m->value_size);
	emu_map_unlock(m);
	return 0;
}

static int update_check(struct emu_map *m, uint32_t idx, uint64_t flags)
{
	if ((flags & ~EMU_F_LOCK) > EMU_EXIST)
		return -EINVAL;
	if (idx >= m->max_entries)
		return -E2BIG;
	if (flags & EMU_NOEXIST) /* every index already exists */
		return -EEXIST;
	return 0;
}

/* In place, so through the redo record: a writer killed mid-copy must not leave a torn value.
 * BPF_F_LOCK (a value with a spin lock): under the value's spin lock. Lock held. */
static int write_value(struct emu_map *m, uint32_t idx, const void *value, uint64_t flags)
{
	if (flags & EMU_F_LOCK)
		return emu_value_write_locked(m, slot(m, idx), value);
	emu_map_write_value(m, slot(m, idx), value, m->value_bytes);
	return 0;
}

static int array_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	int err;

	memcpy(&idx, key, 4);
	err = update_check(m, idx, flags);
	if (err)
		return err;
	/* A value that is one aligned store (8 or 4 bytes) needs no lock: the kernel takes none for
	 * an array update either, and no reader or crash can see the store half done. (Not a value
	 * holding a lock word, which is never stored over: core/value.h.) */
	if (!m->nr_locks && emu_store_whole(slot(m, idx), value, m->value_bytes))
		return 0;
	err = emu_map_lock(m);
	if (err)
		return err;
	err = write_value(m, idx, value, flags);
	emu_map_unlock(m);
	return err;
}

/* The same with the lock held by UPDATE_BATCH */
static int array_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	int err;

	memcpy(&idx, key, 4);
	err = update_check(m, idx, flags);
	if (!err)
		err = write_value(m, idx, value, flags);
	return err;
}

/* BPF_F_LOCK copies (core/value.c), lock held */
static void *array_value_ptr(struct emu_map *m, const void *key)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	return idx < m->max_entries ? slot(m, idx) : NULL;
}

static int array_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	uint32_t idx, next;

	if (!key || (memcpy(&idx, key, 4), idx >= m->max_entries)) {
		next = 0;
	} else {
		if (idx == m->max_entries - 1)
			return -ENOENT;
		next = idx + 1;
	}
	memcpy(next_key, &next, 4);
	return 0;
}

/* The lock is the batch's (see batch_next): index after index, no lock round trip each. */
static int array_batch_next(struct emu_map *m, const void *prev, void *key, void *value)
{
	uint32_t idx;
	int err = array_get_next_key(m, prev, key);

	if (err)
		return err;
	memcpy(&idx, key, 4);
	copy_out(m, value, slot(m, idx));
	return 0;
}

/* get_next_key's walk: a missing or out-of-range key starts at 0, the last index ends it */
static uint32_t array_batch_next_run(struct emu_map *m, const void *prev, void *keys, const void **values,
				     uint32_t cap)
{
	uint32_t idx = 0, max = m->max_entries, n;

	if (prev) {
		memcpy(&idx, prev, 4);
		idx = idx >= max ? 0 : idx + 1;
	}
	for (n = 0; n < cap && idx < max; n++, idx++) {
		memcpy((char *)keys + (size_t)n * 4, &idx, 4);
		values[n] = slot(m, idx);
	}
	return n;
}

static uint64_t array_memlock(const struct emu_map *m)
{
	const struct emu_map *h = m;
	uint64_t slot = emu_round_up64(h->value_size, 8);

	if (percpu(h->map_type))
		return 312 + 8ull * h->max_entries + slot * h->nr_cpus * h->max_entries;
	if (h->map_flags & EMU_F_MMAPABLE)
		return EMU_PAGE_SIZE + emu_round_up64(slot * h->max_entries, EMU_PAGE_SIZE);
	return 312 + slot * h->max_entries;
}

static int array_mmap_range(struct emu_map *m, uint64_t *off, uint64_t *len)
{
	if (!(m->map_flags & EMU_F_MMAPABLE))
		return -EINVAL;
	*off = m->data_off;
	*len = emu_round_up64((uint64_t)m->max_entries * AG(m)->stride, EMU_PAGE_SIZE);
	return 0;
}

static int array_content(struct emu_map *m, const void **data, size_t *len)
{
	*data = slot(m, 0);
	*len = (size_t)m->max_entries * emu_round_up(m->value_size, 8);
	return 0;
}

/* An array has no structure beyond its geometry (emu_map_check_file compares it); taking the lock
 * finishes a dead writer's value, so a redo record still open under the lock is damage. */
static int array_check(struct emu_map *m)
{
	int err = emu_map_lock(m);

	if (err)
		return err;
	if (m->hdr->redo_dst)
		err = emu_map_corrupt(m, "redo record");
	for (uint32_t i = 0; !err && m->nr_locks && i < m->max_entries; i++)
		if (!emu_value_lock_word_ok(m, slot(m, i)))
			err = emu_map_corrupt(m, "value spin lock");
	emu_map_unlock(m);
	return err;
}

/* ---- programs (the kernel's array_map_lookup_elem / update / for_each as a program calls
 * them): values are used in place, the running CPU's slot of a per-CPU array ---- */

static void *array_prog_lookup(struct emu_map *m, const void *key, uint32_t cpu)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	if (idx >= m->max_entries)
		return NULL;
	if (percpu(m->map_type))
		return cpu < m->nr_cpus ? slot(m, idx) + (size_t)cpu * slot_size(m->value_size) : NULL;
	return slot(m, idx);
}

/* array_map_gen_lookup / percpu_array_map_gen_lookup: array_prog_lookup's arithmetic */
static bool array_prog_gen_lookup(struct emu_map *m, uint8_t **values, uint64_t *stride, uint64_t *bytes,
				  uint32_t *cpu_stride)
{
	*values = (uint8_t *)AG(m)->values;
	*stride = AG(m)->stride;
	*bytes = (uint64_t)m->max_entries * AG(m)->stride;
	*cpu_stride = percpu(m->map_type) ? slot_size(m->value_size) : 0;
	return true;
}

/* The kernel's order: flags, index, NOEXIST, then BPF_F_LOCK without a lock in the value. A
 * program writes one CPU's slot of a per-CPU array; under the map lock through the redo record,
 * as every in-place write of this emulator (a writer killed halfway leaves no torn value). */
static int array_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	uint32_t idx;
	int err;

	memcpy(&idx, key, 4);
	err = update_check(m, idx, flags);
	if (err)
		return err;
	if ((flags & EMU_F_LOCK) && !emu_value_has_spin_lock(m))
		return -EINVAL;
	if (!percpu(m->map_type))
		return array_update(m, key, value, flags);
	if (cpu >= m->nr_cpus)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	emu_map_write_value(m, slot(m, idx) + (size_t)cpu * slot_size(m->value_size), value,
			    m->value_size);
	emu_map_unlock(m);
	return 0;
}

static long array_prog_for_each(struct emu_map *m, int (*each)(void *, const void *, void *), void *arg,
				uint32_t cpu)
{
	long n = 0;

	for (uint32_t i = 0; i < m->max_entries; i++) {
		void *v = array_prog_lookup(m, &i, cpu);
		int r;

		n++;
		r = each(arg, &i, v);
		if (r < 0)
			return r;
		if (r)
			break;
	}
	return n;
}

#define ARRAY_COMMON_OPS                                                                            \
	.alloc_check = array_alloc_check, .layout = array_layout, .init = array_init,               \
	.validate = array_validate,                                                                 \
	.memlock = array_memlock, .lookup = array_lookup, .update = array_update,                   \
	.get_next_key = array_get_next_key, .check = array_check, .batch_next = array_batch_next,    \
	.batch_next_run = array_batch_next_run, .update_locked = array_update_locked,               \
	.lookup_batch = emu_batch_lookup_generic, .update_batch = emu_batch_update_generic,        \
	.prog_lookup = array_prog_lookup, .prog_update = array_prog_update,                         \
	.prog_gen_lookup = array_prog_gen_lookup,                                                   \
	.prog_for_each = array_prog_for_each

/* Arrays have no delete, so no DELETE_BATCH either (the kernel's ENOTSUPP / EINVAL). */
const struct emu_map_ops emu_array_ops = {
	.family = "array",
	ARRAY_COMMON_OPS,
	.value_ptr = array_value_ptr,
	.mmap_range = array_mmap_range,
	.content = array_content,
};

const struct emu_map_ops emu_percpu_array_ops = {
	.family = "percpu_array",
	ARRAY_COMMON_OPS,
	.lookup_percpu = array_lookup_percpu,
};
