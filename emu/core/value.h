/* SPDX-License-Identifier: MIT */
/*
 * Map values with special fields (core/value.c): the kernel's copy_map_value,
 * copy_map_value_locked and check_and_init_map_value, for maps created with BTF whose value holds
 * a bpf_spin_lock, bpf_timer, kptrs, graph roots... (the record in the map header, core/map.h).
 * Maps without special fields (nr_fields 0, nearly all) never get here.
 *
 * The rules kept, as the kernel keeps them:
 *  - A caller never reads a special field: every value handed to a caller has its fields zeroed
 *    (emu_value_clear_fields on the copy, after the family's lookup).
 *  - A caller never writes one: the command layer zeroes the fields of the value it passes to the
 *    family (emu_value_clear_fields again), so a new element starts with zeroed fields and an
 *    array overwrite resets timers and kptrs, as bpf_obj_free_fields does after the kernel's copy;
 *    and nothing stores over a lock word once the map exists (a program may hold it): in-place
 *    writes of maps whose values hold a lock copy around it (emu_value_copy_in, used by the redo
 *    record, core/lock.c), such maps take no lock-free in-place writes, and hash updates replace
 *    the element (a new one, whose lock word is its own) except under BPF_F_LOCK.
 *  - BPF_F_LOCK copies take the value's bpf_spin_lock (core/spinlock.h) around the copy; here they
 *    also hold the map lock, so a copier killed halfway has its spin lock released by the repair.
 */
#ifndef BPFEMU_CORE_VALUE_H
#define BPFEMU_CORE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map.h"

/* The map's value holds a bpf_spin_lock: BPF_F_LOCK is allowed (btf_record_has_field). */
static inline bool emu_value_has_spin_lock(const struct emu_map *m)
{
	return m->nr_fields && m->spin_lock_off >= 0;
}

/* check_and_init_map_value: zero every special field of a value copy in private memory, value_bytes
 * of it (each CPU's slot of a per-CPU value). */
void emu_value_clear_fields(const struct emu_map *m, void *value);
/* One slot of value_size bytes (a per-CPU value's one CPU). */
void emu_value_clear_fields_slot(const struct emu_map *m, void *slot);

/* n bytes (a whole value, or a prefix of one) from src into the map at dst, around the lock words
 * of the map's values; a plain copy for maps without them. */
void emu_value_copy_in(const struct emu_map *m, void *dst, const void *src, size_t n);

/*
 * copy_map_value_locked, map lock held, for a map whose value has a spin lock: the value at
 * `in_map` (a family's value_ptr) copied out to `out` (value_bytes), or `in` copied into it through
 * the map's redo record around the lock words, with the value's spin lock held. 0, or -EUCLEAN
 * (named) for a lock word no taker writes (the file was changed) or one a program has held for
 * over a second: the wait is bounded, as it holds the map lock (see spin_take in value.c).
 */
int emu_value_read_locked(struct emu_map *m, const void *in_map, void *out);
int emu_value_write_locked(struct emu_map *m, void *in_map, const void *in);

/* BPF_MAP_LOOKUP_ELEM with BPF_F_LOCK: the map lock, the family's value_ptr, a locked copy.
 * 0, -ENOENT, or the lock's error. The caller clears the fields of `out`. */
int emu_value_lookup_locked(struct emu_map *m, const void *key, void *out);

/* bpfemu_map_check, map lock held: whether the value's spin lock word (if it has one) is one a
 * taker writes: free, or a program's hold. */
bool emu_value_lock_word_ok(const struct emu_map *m, const void *in_map);

/* After the map lock was taken from a dead holder: release the spin lock it held, if any. */
void emu_value_recover(struct emu_map *m);

#endif
