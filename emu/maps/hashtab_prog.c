/* SPDX-License-Identifier: MIT */
/*
 * The hash family as a program calls it (the kernel's htab_map_lookup_elem / update_elem /
 * for_each_map_elem from BPF): values used in place, the running CPU's slot of a per-CPU element,
 * walks bounded by the pool so a damaged file cannot make a program loop or leave the map.
 */
#include <stdlib.h>

#include "../core/value.h"
#include "families.h"
#include "hashtab.h"

/* ---- programs (the kernel's htab_map_lookup_elem / update / for_each as a program calls them):
 * values are used in place, the running CPU's slot of a per-CPU element ---- */

void *htab_prog_value(struct emu_map *m, uint32_t i, uint32_t cpu)
{
	char *v = elem_value(m, elem(m, i - 1));

	if (!emu_is_percpu_type(m->map_type))
		return v;
	return cpu < m->nr_cpus ? v + (size_t)cpu * emu_round_up(m->value_size, 8) : NULL;
}

/* The element of key: index + 1, or 0. Lock-free as a lookup, the lock when the walk was torn. */
uint32_t htab_prog_find(struct emu_map *m, const void *key)
{
	uint32_t hash = hash_key(m, key), i, seq;

	for (int t = 0; t < EMU_READ_TRIES && emu_read_begin(m, &seq); t++) {
		i = htab_find_racy(m, hash, key);
		if (i != FIND_TORN && emu_read_valid(m, seq))
			return i;
		if (i == FIND_TORN)
			emu_read_abandon();
	}
	if (emu_map_lock(m))
		return 0;
	i = htab_find(m, hash, key);
	emu_map_unlock(m);
	return i;
}

void *htab_prog_lookup(struct emu_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = htab_prog_find(m, key);

	return i ? htab_prog_value(m, i, cpu) : NULL;
}

/* HASH: the syscall's update, after the program-side BPF_F_LOCK check (a value without a lock). */
int htab_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	(void)cpu;
	if (!htab_plain_flags_ok(flags) || ((flags & EMU_F_LOCK) && !emu_value_has_spin_lock(m)))
		return -EINVAL;
	return htab_update(m, key, value, flags);
}

/* PERCPU_HASH from a program (onallcpus false): an element in the map gets the running CPU's slot
 * written, the others kept; a new one gets it and zeroed slots for every other CPU. */
int htab_percpu_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags,
				   uint32_t cpu)
{
	uint32_t hash = hash_key(m, key), old, slot = emu_round_up(m->value_size, 8);
	int err;

	if (!htab_percpu_flags_ok(flags) || cpu >= m->nr_cpus)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	old = htab_find(m, hash, key);
	err = htab_check_flags(old, flags);
	if (!err && old) {
		emu_map_write_value(m, htab_prog_value(m, old, cpu), value, m->value_size);
	} else if (!err && H(m)->count >= m->max_entries) {
		err = -E2BIG;
	} else if (!err) {
		char *full = calloc(1, m->value_bytes);

		if (!full) {
			err = -ENOMEM;
		} else {
			memcpy(full + (size_t)cpu * slot, value, m->value_size);
			err = htab_link_new(m, hash, key, full);
			free(full);
		}
	}
	emu_map_unlock(m);
	return err;
}

/* Bucket by bucket, each list in order; the next link is read before the callback runs, which
 * may delete the element it was given (hlist_nulls_for_each_entry_safe). No lock is held: the
 * callback's own map calls take it. */
long htab_prog_for_each(struct emu_map *m, int (*each)(void *, const void *, void *), void *arg, uint32_t cpu)
{
	/* the geometry adopted with the file (G), never the file's own fields: a sharer may rewrite them */
	uint32_t nr = G(m)->nr_elems, nb = G(m)->mask + 1;
	long n = 0;

	for (uint32_t b = 0; b < nb; b++) {
		uint32_t i = __atomic_load_n(&buckets(m)[b], __ATOMIC_ACQUIRE), steps = 0;

		while (i && i <= nr && steps++ <= nr) {
			struct htab_elem *e = elem(m, i - 1);
			uint32_t next = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
			int r;

			n++;
			r = each(arg, elem_key(e), htab_prog_value(m, i, cpu));
			if (r < 0)
				return r;
			if (r)
				return n;
			i = next;
		}
	}
	return n;
}
