/* SPDX-License-Identifier: MIT */
/*
 * Maps of maps (kernel/bpf/map_in_map.c): the inner map template MAP_CREATE makes of inner_map_fd,
 * the check an update's map must pass against it (map_meta_equal), the holds that keep an
 * element's object alive, and HASH_OF_MAPS (the hash family's table, values the inner maps' ids;
 * ARRAY_OF_MAPS is maps/fd_array.c).
 *
 * Lifetimes. The kernel's outer map holds a reference on each inner map it stores, so an inner map
 * whose fds are all closed lives on (its id findable with GET_FD_BY_ID) while an element names it,
 * and goes when the element is deleted or replaced, or the outer map goes. Here an element's map
 * is held by a hold link of the outer map's (core/objstore.h, tagged per element) that the
 * registry's collection follows from live objects: made before the element names the map, let go
 * after it no longer does, both under the outer map's lock (so two updates of one element cannot
 * interleave their holds).
 *
 * HASH_OF_MAPS in the file: the hash family's table (maps/hashtab.h) whose 4-byte values are the
 * inner maps' ids, then the template. An element's hold is tagged with its pool index: an element
 * keeps its index while it lives (an update of a key overwrites the id in place, as the kernel's
 * fd htab does, so the key keeps its place in its bucket), and an index goes back to the pool
 * only after its hold was let go. A holder killed between two steps leaves one hold too many, freed
 * with the outer map; the table itself keeps the hash family's invariant (hashtab.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "../cmd/cmds.h"
#include "../core/objstore.h"
#include "../core/sync.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "families.h"
#include "hashtab.h"
#include "map_in_map.h"

#define KERNEL_HTAB_ELEM 48u /* sizeof(struct htab_elem): memlock */
#define KERNEL_BUCKET 16u

/* ---- the template ---- */

static void tmpl_of(const struct emu_map *m, struct emu_inner_tmpl *t)
{
	const struct emu_map *h = m;

	memset(t, 0, sizeof(*t));
	t->map_type = h->map_type;
	t->key_size = h->key_size;
	t->value_size = h->value_size;
	t->map_flags = h->map_flags;
	t->max_entries = h->max_entries;
	t->nr_fields = h->nr_fields < EMU_MAP_FIELDS_MAX ? h->nr_fields : EMU_MAP_FIELDS_MAX;
	memcpy(t->fields, h->fields, sizeof(t->fields[0]) * t->nr_fields);
}

static bool is_map_in_map(uint32_t type) { return type == EMU_MAP_ARRAY_OF_MAPS || type == EMU_MAP_HASH_OF_MAPS; }

/* A map fd, held: the kernel's __bpf_map_get answers (EBADF, EINVAL). in_attr: an attr field,
 * which a front end hands us as an fd of this process (the seccomp supervisor translates attr
 * fds before the command runs); else one from the caller's memory (an update's value), the
 * caller's number. */
static int caller_map(uint32_t ufd, struct emu_map **m, bool in_attr)
{
	int local, mode, err;

	if (!in_attr)
		local = emu_caller_fd_dup((int)ufd);
	else if ((int)ufd < 0)
		local = -EBADF;
	else if ((local = fcntl((int)ufd, F_DUPFD_CLOEXEC, 0)) < 0)
		local = -errno;

	if (local < 0)
		return local == -EMFILE ? local : -EBADF;
	err = emu_map_get(local, m, &mode);
	close(local);
	return err;
}

int emu_inner_tmpl_make(struct emu_create *c)
{
	struct emu_inner_tmpl t;
	struct emu_map *in;
	int err;

	if (c->adopt) /* a file's template: the family's validate op checks it */
		return 0;
	err = caller_map((uint32_t)c->inner_fd, &in, true);
	if (err)
		return err;
	if (is_map_in_map(in->map_type))
		err = -EINVAL; /* no more than one level */
	else if (in->map_type == EMU_MAP_PROG_ARRAY)
		err = -EMU_ENOTSUPP; /* its owner is a run-time binding: no map_meta_equal */
	else
		tmpl_of(in, &t);
	emu_map_put(in);
	if (!err)
		memcpy(c->fam, &t, sizeof(t));
	return err;
}

/* bpf_map_meta_equal, and array_map_meta_equal's max_entries unless BPF_F_INNER_MAP */
static bool meta_equal(const struct emu_inner_tmpl *t, const struct emu_inner_tmpl *m)
{
	if (t->map_type != m->map_type || t->key_size != m->key_size || t->value_size != m->value_size ||
	    t->map_flags != m->map_flags || t->nr_fields != m->nr_fields ||
	    (t->nr_fields && memcmp(t->fields, m->fields, sizeof(t->fields[0]) * t->nr_fields)))
		return false;
	if (t->map_type == EMU_MAP_ARRAY && !(t->map_flags & EMU_F_INNER_MAP))
		return t->max_entries == m->max_entries;
	return true;
}

bool emu_inner_tmpl_load(const struct emu_inner_tmpl *file, struct emu_inner_tmpl *out)
{
	static const struct emu_map_field none;

	memcpy(out, file, sizeof(*out));
	if (!emu_ops_for_type(out->map_type) || is_map_in_map(out->map_type) || out->map_type == EMU_MAP_PROG_ARRAY ||
	    out->nr_fields > EMU_MAP_FIELDS_MAX)
		return false;
	for (uint32_t i = out->nr_fields; i < EMU_MAP_FIELDS_MAX; i++)
		if (memcmp(&out->fields[i], &none, sizeof(none)))
			return false;
	return true;
}

int emu_inner_resolve(struct emu_map *outer, const struct emu_inner_tmpl *file, uint32_t ufd, uint32_t *id)
{
	struct emu_inner_tmpl t, mt;
	struct emu_map *m;
	int err;

	if (!emu_inner_tmpl_load(file, &t))
		return emu_map_corrupt(outer, "inner map template");
	err = caller_map(ufd, &m, false);
	if (err)
		return err;
	tmpl_of(m, &mt);
	*id = m->id;
	emu_map_put(m);
	return meta_equal(&t, &mt) ? 0 : -EINVAL;
}

void emu_elem_hold(uint32_t outer_id, int kind, uint32_t id, uint32_t tag)
{
	emu_objstore_hold(EMU_ID_MAP, outer_id, (enum emu_id_kind)kind, id, tag);
}

void emu_elem_release(uint32_t outer_id, int kind, uint32_t id, uint32_t tag)
{
	emu_objstore_release(EMU_ID_MAP, outer_id, (enum emu_id_kind)kind, id, tag);
}

/* ---- HASH_OF_MAPS ---- */

/* The table's shape as create had it, rebuilt from the header. */
static struct emu_create shape_of(const struct emu_map *m)
{
	struct emu_create c = { .map_type = m->map_type, .key_size = m->key_size,
				.value_size = m->value_size, .max_entries = m->max_entries,
				.map_flags = m->map_flags, .nr_cpus = m->nr_cpus };

	return c;
}

static struct emu_inner_tmpl *hom_tmpl(const struct emu_map *m)
{
	struct emu_create c = shape_of(m);
	uint64_t size = 0;

	htab_layout(&c, &size);
	return (struct emu_inner_tmpl *)(m->base + (uint64_t)(m->priv - m->base) + emu_round_up64(size, 64));
}

bool emu_inner_meta_of(struct emu_map *m, struct emu_inner_meta *out)
{
	const struct emu_inner_tmpl *f = m->map_type == EMU_MAP_HASH_OF_MAPS ? hom_tmpl(m) : emu_aom_tmpl(m);
	struct emu_inner_tmpl t;

	/* a damaged template describes no inner map: the lookup's result is then typed as the
	 * outer map's own value (a run-time access to it faults in the interpreter's memory check) */
	if (!f || !emu_inner_tmpl_load(f, &t))
		return false;
	out->map_type = t.map_type;
	out->key_size = t.key_size;
	out->value_size = t.value_size;
	out->max_entries = t.max_entries;
	out->map_flags = t.map_flags;
	return true;
}

/* fd_htab_map_alloc_check: an fd as the value, then the hash's rules */
static int hom_alloc_check(struct emu_create *c)
{
	if (c->value_size != 4)
		return -EINVAL;
	return htab_alloc_check(c);
}

static int hom_layout(const struct emu_create *c, uint64_t *priv_size)
{
	int err = htab_layout(c, priv_size);

	*priv_size = emu_round_up64(*priv_size, 64) + sizeof(struct emu_inner_tmpl);
	return err;
}

static void hom_init_create(struct emu_map *m, const struct emu_create *c)
{
	htab_init_table(m);
	memcpy(hom_tmpl(m), c->fam, sizeof(struct emu_inner_tmpl));
}

/* Adoption: the hash table's geometry (hashtab.c), and the template after it, inside the file and
 * one */
static int hom_validate(struct emu_map *m, const char **field)
{
	const struct emu_inner_tmpl *f = hom_tmpl(m);
	struct emu_inner_tmpl t;
	int err = htab_validate_table(m, field);

	if (err)
		return err;
	m->data_stride = 0; /* an element's id is one aligned store: no redo or slot record names it */
	if ((uint64_t)((const char *)f - m->base) + sizeof(*f) > m->size)
		*field = "inner map template";
	else if (!emu_inner_tmpl_load(f, &t))
		*field = "inner map template";
	else
		return 0;
	return -EINVAL;
}

/* htab_map_mem_usage for an fd table: no spare elements */
static uint64_t hom_memlock(const struct emu_map *m)
{
	const struct emu_map *h = m;
	const struct htab_priv *p = emu_priv(m);
	uint64_t elem = KERNEL_HTAB_ELEM + emu_round_up64(h->key_size, 8) + 8;
	uint64_t base = 896 + (uint64_t)KERNEL_BUCKET * p->n_buckets;

	if (h->map_flags & EMU_F_NO_PREALLOC)
		return base + (uint64_t)p->count * (elem + 8);
	return base + elem * h->max_entries + 8ull * h->nr_cpus;
}

static uint32_t elem_id(struct emu_map *m, uint32_t idx)
{
	uint32_t id;

	memcpy(&id, elem_value(m, elem(m, idx)), 4);
	return id;
}

/* An element leaves: its map let go, then its index back to the pool (the order above). */
static int hom_free(struct emu_map *m, uint32_t idx)
{
	emu_elem_release(m->id, EMU_ID_MAP, elem_id(m, idx), idx);
	return htab_pool_push(m, idx);
}

/* bpf_fd_htab_map_update_elem, lock held: the map the fd names first, then the table's rules */
static int hom_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t ufd, id, hash = hash_key(m, key), old, idx;
	int err;

	memcpy(&ufd, value, 4);
	err = emu_inner_resolve(m, hom_tmpl(m), ufd, &id);
	if (err)
		return err;
	if (flags > EMU_EXIST)
		return -EINVAL;
	old = htab_find(m, hash, key);
	if (old == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	err = htab_check_flags(old, flags);
	if (err)
		return err;
	if (old) {
		uint32_t was = elem_id(m, old - 1);

		if (was == id)
			return 0;
		emu_elem_hold(m->id, EMU_ID_MAP, id, old - 1);
		EMU_CRASH_POINT("hom.store");
		__atomic_store_n((uint32_t *)elem_value(m, elem(m, old - 1)), id, __ATOMIC_RELEASE);
		EMU_CRASH_POINT("hom.stored");
		emu_elem_release(m->id, EMU_ID_MAP, was, old - 1);
		return 0;
	}
	if (H(m)->count >= m->max_entries)
		return -E2BIG;
	idx = htab_pool_pop(m);
	if (idx == UINT32_MAX)
		return -E2BIG;
	if (idx >= G(m)->nr_elems) /* the pool is damaged (named by the pool) */
		return -EUCLEAN;
	emu_elem_hold(m->id, EMU_ID_MAP, id, idx);
	htab_fill(m, idx, hash, key, &id);
	htab_link_head(m, idx);
	return 0;
}

static int hom_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	int err = emu_map_lock(m);

	if (err)
		return err;
	err = hom_update_locked(m, key, value, flags);
	emu_map_unlock(m);
	return err;
}

static int hom_delete(struct emu_map *m, const void *key)
{
	return htab_remove(m, key, NULL, hom_free);
}

static int hom_delete_locked(struct emu_map *m, const void *key)
{
	return htab_remove_locked(m, hash_key(m, key), key, NULL, hom_free);
}

/* LOOKUP_AND_DELETE_BATCH: every element of the buckets taken, let go and freed */
static void hom_batch_buckets_delete(struct emu_map *m, const uint32_t *bucket, uint32_t nr)
{
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t last, i = htab_take_bucket(m, bucket[k], &last);

		while (i) {
			uint32_t next = elem(m, i - 1)->next;

			hom_free(m, i - 1);
			if (i == last)
				break;
			i = next;
		}
	}
}

const struct emu_map_ops emu_hash_of_maps_ops = {
	.family = "hash_of_maps",
	.alloc_check = hom_alloc_check,
	.alloc_shape = emu_inner_tmpl_make,
	.layout = hom_layout,
	.init_create = hom_init_create,
	.validate = hom_validate,
	.memlock = hom_memlock,
	.lookup = htab_lookup,
	.update = hom_update,
	.update_locked = hom_update_locked,
	.delete = hom_delete,
	.delete_locked = hom_delete_locked,
	.get_next_key = htab_get_next_key,
	.check = htab_check,
	.recover = htab_recover,
	.batch_buckets = htab_batch_buckets,
	.batch_buckets_delete = hom_batch_buckets_delete,
	.lookup_batch = emu_batch_lookup_buckets,
	.lookup_and_delete_batch = emu_batch_lookup_and_delete_buckets,
	.update_batch = emu_batch_update_generic,
	.delete_batch = emu_batch_delete_generic,
};
