/* SPDX-License-Identifier: MIT */
/*
 * Map values with special fields: clearing them in copies, copying around lock words, BPF_F_LOCK
 * copies under a value's bpf_spin_lock (see value.h for the rules and why).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "../arch/arch.h"
#include "../util/compiler.h"
#include "spinlock.h"
#include "sync.h"
#include "value.h"

/* The fields are the view's, checked inside the value when the file was adopted (map_file.c). */
void emu_value_clear_fields_slot(const struct emu_map *m, void *slot)
{
	for (uint32_t i = 0; i < m->nr_fields && i < EMU_MAP_FIELDS_MAX; i++)
		memset((char *)slot + m->fields[i].offset, 0, m->fields[i].size);
}

void emu_value_clear_fields(const struct emu_map *m, void *value)
{
	if (!m->nr_fields)
		return;
	if (emu_is_percpu_type(m->map_type)) {
		uint32_t stride = emu_round_up(m->value_size, 8);

		for (uint32_t c = 0; c < m->nr_cpus; c++)
			emu_value_clear_fields_slot(m, (char *)value + (size_t)c * stride);
		return;
	}
	emu_value_clear_fields_slot(m, value);
}

/* Only HASH and ARRAY values can hold a lock (map_check_btf), so a value is one slot here. */
void emu_value_copy_in(const struct emu_map *m, void *dst, const void *src, size_t n)
{
	size_t at = 0;

	if (!m->nr_locks) {
		memcpy(dst, src, n);
		return;
	}
	for (uint32_t i = 0; i < m->nr_fields && i < EMU_MAP_FIELDS_MAX && at < n; i++) {
		const struct emu_map_field *f = &m->fields[i];
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
	return (uint32_t *)((char *)in_map + m->spin_lock_off);
}

/* A program's hold is waited out this long before the copy gives up: the map lock is held. */
#define SPIN_TAKE_NS 1000000000LL

/*
 * Take the value's spin lock, saying where first: a holder killed with it taken is repaired. The
 * word is in the file, so it may hold anything: 0 is free; EMU_SPIN_HELD_SYSCALL can only be a
 * dead copier's (every such copier holds the map lock, which is ours now) whose record was lost,
 * so it is taken over; EMU_SPIN_HELD is a program's, waited for a bounded time; anything else was
 * written by no taker. false then (named).
 */
static bool spin_take(struct emu_map *m, uint32_t *word)
{
	struct timespec start, now;
	uint32_t w;

	__atomic_store_n(&m->hdr->spin_held, (uint64_t)((char *)word - m->base), __ATOMIC_RELAXED);
	if (__builtin_expect(emu_spin_trylock_as(word, EMU_SPIN_HELD_SYSCALL), 1))
		goto taken;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned n = 0;; n++) {
		w = __atomic_load_n(word, __ATOMIC_RELAXED);
		if (w == EMU_SPIN_HELD_SYSCALL ||
		    (!w && emu_spin_trylock_as(word, EMU_SPIN_HELD_SYSCALL)))
			goto taken;
		if (w && w != EMU_SPIN_HELD)
			break;
		if (n < 256) {
			emu_cpu_relax();
			continue;
		}
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) > SPIN_TAKE_NS)
			break;
	}
	__atomic_store_n(&m->hdr->spin_held, 0, __ATOMIC_RELAXED);
	emu_map_corrupt(m, "value spin lock");
	return false;
taken:
	EMU_CRASH_POINT("value.spin");
	return true;
}

static void spin_drop(struct emu_map *m, uint32_t *word)
{
	emu_spin_unlock(word);
	__atomic_store_n(&m->hdr->spin_held, 0, __ATOMIC_RELEASE);
}

int emu_value_read_locked(struct emu_map *m, const void *in_map, void *out)
{
	uint32_t *word = lock_word(m, in_map);

	if (!spin_take(m, word))
		return -EUCLEAN;
	memcpy(out, in_map, m->value_bytes);
	spin_drop(m, word);
	return 0;
}

int emu_value_write_locked(struct emu_map *m, void *in_map, const void *in)
{
	uint32_t *word = lock_word(m, in_map);

	if (!spin_take(m, word))
		return -EUCLEAN;
	emu_map_write_value(m, in_map, in, m->value_bytes);
	spin_drop(m, word);
	return 0;
}

int emu_value_lookup_locked(struct emu_map *m, const void *key, void *out)
{
	const void *p;
	int err = emu_map_lock(m);

	if (err)
		return err;
	p = m->ops->value_ptr ? m->ops->value_ptr(m, key) : NULL;
	if (p == EMU_VALUE_DAMAGED)
		err = -EUCLEAN;
	else if (p)
		err = emu_value_read_locked(m, p, out);
	else
		err = -ENOENT;
	emu_map_unlock(m);
	return err;
}

bool emu_value_lock_word_ok(const struct emu_map *m, const void *in_map)
{
	uint32_t w;

	if (!emu_value_has_spin_lock(m))
		return true;
	w = __atomic_load_n((const uint32_t *)(const void *)((const char *)in_map + m->spin_lock_off), __ATOMIC_RELAXED);
	return !w || w == EMU_SPIN_HELD;
}

void emu_value_recover(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	uint64_t off = h->spin_held;

	if (!off)
		return;
	/* the word is the spin lock of a value of this map (else the record is junk: named, and
	 * ignored); only the dead holder's own hold is let go, not a program's it was still waiting
	 * for */
	if (m->spin_lock_off >= 0 && off >= (uint64_t)m->spin_lock_off &&
	    emu_map_value_range_ok(m, off - (uint64_t)m->spin_lock_off, 0) && !(off & 3)) {
		uint32_t held = EMU_SPIN_HELD_SYSCALL;

		__atomic_compare_exchange_n((uint32_t *)(m->base + off), &held, 0, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
	} else {
		emu_map_corrupt(m, "spin_held");
	}
	__atomic_store_n(&h->spin_held, 0, __ATOMIC_RELEASE);
}
