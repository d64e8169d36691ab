/* SPDX-License-Identifier: MIT */
/*
 * In-place writers: value overwrites without the map lock (the protocol is in inplace.h).
 *
 * Why slots and not a lock per element: what a dead writer leaves must be found and repaired by
 * someone, and only a robust mutex tells a dead holder from a slow one. A slot's mutex is taken
 * around each write only, so no slot stays held across calls (a held robust mutex in a file that
 * is later unmapped would break its thread's robust list). A thread always takes the same slot
 * (its id picks it), so the slot's line stays in that thread's cache; threads that share a slot
 * only take turns.
 *
 * The area, at inplace_off: EMU_INPLACE_SLOTS slots of whole lines, then one staging area per slot.
 * A slot's records come from a file other processes write: a dead holder's word and value are
 * repaired only where they name an element's write word and value (emu_map_value_range_ok).
 */
#define _GNU_SOURCE /* gettid() */
#include <sys/syscall.h>
#include <unistd.h>

#include "inplace.h"

struct slot {
	pthread_mutex_t mu;
	/* the write in progress: offsets in the file, 0 when none */
	uint64_t word_off; /* set before the word is taken: the word the holder may hold */
	uint64_t dst;      /* set once the staging area holds the whole new value */
	uint32_t len;
};
/* Whole cache lines per slot, so slots share none: one line where pthread_mutex_t is 40 bytes
 * (x86-64), two where it is 48 (arm64). */
#define SLOT_BYTES ((sizeof(struct slot) + 63) / 64 * 64)

static __thread uint32_t my_tid __attribute__((tls_model("initial-exec")));

void emu_inplace_after_fork(void) { my_tid = 0; }

static uint32_t my_slot(void)
{
	if (!my_tid) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 30)
		my_tid = (uint32_t)gettid(); /* not syscall(), which the preload interposes */
#else
		my_tid = (uint32_t)syscall(SYS_gettid);
#endif
	}
	/* thread ids are handed out in sequence: threads started together get different slots */
	return my_tid % EMU_INPLACE_SLOTS;
}

static inline struct slot *slot_at(const struct emu_map *m, uint32_t j)
{
	return (struct slot *)(m->base + m->inplace_off + (uint64_t)j * SLOT_BYTES);
}

static inline char *stage_at(const struct emu_map *m, uint32_t j)
{
	return m->base + m->inplace_off + EMU_INPLACE_SLOTS * (uint64_t)SLOT_BYTES + (uint64_t)j * m->inplace_stage;
}

uint64_t emu_inplace_area(uint32_t stage)
{
	return stage ? EMU_INPLACE_SLOTS * ((uint64_t)SLOT_BYTES + stage) : 0;
}

int emu_inplace_init(struct emu_map_hdr *h, char *base)
{
	for (uint32_t j = 0; j < EMU_INPLACE_SLOTS; j++) {
		int err = emu_robust_init(&((struct slot *)(base + h->inplace_off + j * (uint64_t)SLOT_BYTES))->mu);

		if (err)
			return err;
	}
	return 0;
}

_Static_assert(EMU_INPLACE_SLOTS <= EMU_MAX_LOCK_SLOTS, "a gone-word per slot (struct emu_map)");

bool emu_inplace_kinds_ok(const struct emu_map *m)
{
	for (uint32_t j = 0; j < EMU_INPLACE_SLOTS; j++)
		if (!emu_mutex_kind_ok(&slot_at(m, j)->mu))
			return false;
	return true;
}


/*
 * Slot j's holder died (its mutex is ours now, EOWNERDEAD): repair what it left, then mark the
 * mutex consistent, so the slot is as any free slot just taken. If it held a word, it took it after
 * naming it in word_off, and named the value's destination only once the new value was staged
 * whole: so the value is either untouched or can be written whole from the stage. The word is
 * released either way. Offsets come from a file other processes write, so they are checked.
 */
static void repair(struct emu_map *m, uint32_t j)
{
	struct slot *s = slot_at(m, j);
	uint64_t wo = s->word_off, dst = s->dst, len = s->len;

	if (wo && emu_map_word_ok(m, wo)) {
		uint32_t *word = (uint32_t *)(m->base + wo), v = __atomic_load_n(word, __ATOMIC_RELAXED);

		if ((v & (EMU_WORD_LOCKED | EMU_WORD_OWNER)) == (EMU_WORD_LOCKED | j << 1)) {
			if (dst && len <= m->inplace_stage && emu_map_value_range_ok(m, dst, len))
				memcpy(m->base + dst, stage_at(m, j), len);
			else if (dst)
				emu_map_corrupt(m, "writer slot record");
			__atomic_store_n(word, (v & ~(EMU_WORD_LOCKED | EMU_WORD_OWNER)) + EMU_WORD_SEQ,
					 __ATOMIC_RELEASE);
		}
	} else if (wo) {
		emu_map_corrupt(m, "writer slot record");
	}
	s->dst = 0;
	s->word_off = 0;
	emu_count_recovery(m);
	pthread_mutex_consistent(&s->mu);
}

bool emu_inplace_begin(struct emu_map *m, struct emu_inplace *w)
{
	uint32_t j = my_slot();
	struct slot *s = slot_at(m, j);
	int err = pthread_mutex_trylock(&s->mu);

	if (err == EOWNERDEAD) {
		repair(m, j);
		err = 0;
	}
	if (err) /* a thread sharing the slot, or a lock holder waiting it out: take the lock */
		return false;
	emu_full_barrier_after_lock();
	/* Then inplace_used, which a lock holder reads after taking the lock, is set before the
	 * lock is read (the same two orders as below). */
	if (!__atomic_load_n(&m->hdr->inplace_used, __ATOMIC_RELAXED))
		__atomic_store_n(&m->hdr->inplace_used, 1, __ATOMIC_SEQ_CST);
	/* A lock holder takes the map lock, then reads the slots (emu_inplace_drain); this writer
	 * took its slot and now reads the map lock: each stores, then loads, so one of the two
	 * sees the other. write_seq then orders this writer's reads after the last holder's writes. */
	if (!emu_lock_looks_free(&m->hdr->lock) || (__atomic_load_n(&m->hdr->write_seq, __ATOMIC_ACQUIRE) & 1)) {
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	w->slot = j;
	return true;
}

void emu_inplace_end(struct emu_map *m, const struct emu_inplace *w)
{
	pthread_mutex_unlock(&slot_at(m, w->slot)->mu);
}

bool emu_inplace_write(struct emu_map *m, const struct emu_inplace *w, uint32_t *word, void *dst,
		       const void *src, size_t n)
{
	struct slot *s = slot_at(m, w->slot);
	uint32_t v;

	/* A value one aligned store writes (8 bytes or 4: counters, most values) needs no word: a
	 * reader copies the old value or the new, a crash leaves one or the other, and two writers'
	 * stores land one after the other. The word's compare-and-swap and its release were a
	 * twentieth of such an update. */
	if (emu_store_whole(dst, src, n))
		return true;
	v = __atomic_load_n(word, __ATOMIC_RELAXED);
	if (v & EMU_WORD_LOCKED)
		return false;
	s->word_off = (uint64_t)((char *)word - m->base);
	EMU_CRASH_POINT("inplace.name");
	if (!__atomic_compare_exchange_n(word, &v, v | EMU_WORD_LOCKED | w->slot << 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		s->word_off = 0;
		return false;
	}
#ifndef EMU_TSAN /* the taken word is seen before any byte of the new value */
	__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
	EMU_CRASH_POINT("inplace.take");
	emu_redo_copy(m, &(struct emu_redo){ stage_at(m, w->slot), &s->dst, &s->len, "inplace.stage", "inplace.copy" },
		      dst, src, n);
	__atomic_store_n(word, v + EMU_WORD_SEQ, __ATOMIC_RELEASE);
	EMU_CRASH_POINT("inplace.release");
	s->word_off = 0;
	return true;
}

int emu_inplace_check(struct emu_map *m)
{
	for (uint32_t j = 0; j < EMU_INPLACE_SLOTS; j++) {
		struct slot *s = slot_at(m, j);
		int err;

		if (emu_lock_looks_free(&s->mu))
			continue;
		err = emu_robust_lock(&s->mu, m, &m->lock_gone[1 + j]);
		if (err == EOWNERDEAD) {
			repair(m, j);
			err = 0;
		}
		if (err)
			return emu_map_corrupt(m, "writer slot lock");
		pthread_mutex_unlock(&s->mu);
	}
	return 0;
}

void emu_inplace_drain(struct emu_map *m)
{
	for (uint32_t j = 0; j < EMU_INPLACE_SLOTS; j++) {
		struct slot *s = slot_at(m, j);
		int err;

#ifndef EMU_TSAN /* which must see each slot taken and released to know the writes before it */
		if (emu_lock_looks_free(&s->mu))
			continue;
#endif
		err = emu_robust_lock(&s->mu, m, &m->lock_gone[1 + j]);
		if (err == EOWNERDEAD) {
			repair(m, j);
			err = 0;
		}
		if (!err)
			pthread_mutex_unlock(&s->mu);
		else /* a slot no one can hold: no writer at work there, but the file is damaged */
			emu_map_corrupt(m, "writer slot lock");
	}
	/* writers that come now see the lock taken and stay away until it is released */
	__atomic_store_n(&m->hdr->inplace_used, 0, __ATOMIC_RELAXED);
}
