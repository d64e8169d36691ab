/* SPDX-License-Identifier: MIT */
/*
 * Map values with special fields: clearing them in copies, copying around lock words, BPF_F_LOCK
 * copies under a value's bpf_spin_lock (see value.h for the rules and why).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "../util/compiler.h"
#include "spinlock.h"
#include "sync.h"
#include "value.h"

void emu_value_clear_fields_slot(const struct emu_map *m, void *slot)
{
	const struct emu_map_hdr *h = m->hdr;

	for (uint32_t i = 0; i < h->nr_fields && i < EMU_MAP_FIELDS_MAX; i++)
		memset((char *)slot + h->fields[i].offset, 0, h->fields[i].size);
}

void emu_value_clear_fields(const struct emu_map *m, void *value)
{
	const struct emu_map_hdr *h = m->hdr;

	if (!h->nr_fields)
		return;
	if (emu_is_percpu_type(h->map_type)) {
		uint32_t stride = emu_round_up(h->value_size, 8);

		for (uint32_t c = 0; c < h->nr_cpus; c++)
			emu_value_clear_fields_slot(m, (char *)value + (size_t)c * stride);
		return;
	}
	emu_value_clear_fields_slot(m, value);
}

/* Only HASH and ARRAY values can hold a lock (map_check_btf), so a value is one slot here. */
void emu_value_copy_in(const struct emu_map_hdr *h, void *dst, const void *src, size_t n)
{
	size_t at = 0;

	if (!h->nr_locks) {
		memcpy(dst, src, n);
		return;
	}
	for (uint32_t i = 0; i < h->nr_fields && i < EMU_MAP_FIELDS_MAX && at < n; i++) {
		const struct emu_map_field *f = &h->fields[i];
		size_t end;

		if (!f->is_lock)
			continue;
		end = f->offset < n ? f->offset : n;
		if (end > at)
			memcpy((char *)dst + at, (const char *)src + at, end - at);
		at = (size_t)f->offset + f->size;
	}
	if (at < n)
		memcpy((char *)dst + at, (const char *)src + at, n - at);
}

static uint32_t *lock_word(struct emu_map *m, const void *in_map)
{
	return (uint32_t *)((char *)in_map + m->hdr->spin_lock_off);
}

/* Take the value's spin lock, saying where first: a holder killed with it taken is repaired. */
static void spin_take(struct emu_map *m, uint32_t *word)
{
	__atomic_store_n(&m->hdr->spin_held, (uint64_t)((char *)word - m->base), __ATOMIC_RELAXED);
	emu_spin_lock_as(word, EMU_SPIN_HELD_SYSCALL);
	EMU_CRASH_POINT("value.spin");
}

static void spin_drop(struct emu_map *m, uint32_t *word)
{
	emu_spin_unlock(word);
	__atomic_store_n(&m->hdr->spin_held, 0, __ATOMIC_RELEASE);
}

void emu_value_read_locked(struct emu_map *m, const void *in_map, void *out)
{
	uint32_t *word = lock_word(m, in_map);

	spin_take(m, word);
	memcpy(out, in_map, m->value_bytes);
	spin_drop(m, word);
}

void emu_value_write_locked(struct emu_map *m, void *in_map, const void *in)
{
	uint32_t *word = lock_word(m, in_map);

	spin_take(m, word);
	emu_map_write_value(m, in_map, in, m->value_bytes);
	spin_drop(m, word);
}

int emu_value_lookup_locked(struct emu_map *m, const void *key, void *out)
{
	const void *p;
	int err = emu_map_lock(m);

	if (err)
		return err;
	p = m->ops->value_ptr ? m->ops->value_ptr(m, key) : NULL;
	if (p)
		emu_value_read_locked(m, p, out);
	emu_map_unlock(m);
	return p ? 0 : -ENOENT;
}

void emu_value_recover(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	uint64_t off = h->spin_held;

	if (!off)
		return;
	/* the word lies in a value of this map (else the record is junk and ignored); only the dead
	 * holder's own hold is let go, not a program's it was still waiting for */
	if (off >= h->priv_off && off <= m->size - sizeof(uint32_t) && !(off & 3)) {
		uint32_t held = EMU_SPIN_HELD_SYSCALL;

		__atomic_compare_exchange_n((uint32_t *)(m->base + off), &held, 0, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
	}
	__atomic_store_n(&h->spin_held, 0, __ATOMIC_RELEASE);
}
