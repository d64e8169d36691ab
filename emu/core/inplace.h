/* SPDX-License-Identifier: MIT */
/* Value overwrites without the map lock: writer slots and write words (core/inplace.c). */
#ifndef BPFEMU_CORE_INPLACE_H
#define BPFEMU_CORE_INPLACE_H

#include "sync.h"

/*
 * In-place writers (core/inplace.c). An update that overwrites the value of an element already in the
 * map, changing nothing else, runs without the map lock: it holds a writer slot of the map (one
 * of EMU_INPLACE_SLOTS robust mutexes, picked by thread id, each on its own line) and the
 * element's write word. Threads writing different keys then touch no line in common.
 *
 *   if (emu_inplace_begin(m, &w)) {   no lock holder changes the table until _end
 *           the element (found before, lock-free, and still valid if write_seq did not move);
 *           ok = emu_inplace_write(m, &w, &word, dst, src, n);   false: another writer has it
 *           emu_inplace_end(m, &w);
 *   }                                  else, or if !ok: take the lock
 *
 * A slot holder goes on only while the map lock is free; a lock holder, once it has the lock,
 * waits out the slots (emu_inplace_drain): under the lock the map is as still as before. A slot
 * holder that dies is found by the next one to lock the slot, which finishes or undoes its write.
 *
 * The write word of an element: even while no one writes the value; odd while slot
 * (word & EMU_WORD_OWNER) >> 1 does; each write adds EMU_WORD_SEQ. Lock-free readers of such a
 * value check it with emu_word_begin/emu_word_valid besides write_seq. A value that one aligned
 * store writes whole (emu_store_whole) is written without the word, which then never moves.
 */
#define EMU_INPLACE_SLOTS 8u
#define EMU_WORD_LOCKED 1u
#define EMU_WORD_OWNER 14u
#define EMU_WORD_SEQ 16u
struct emu_inplace {
	uint32_t slot;
};
bool emu_inplace_begin(struct emu_map *m, struct emu_inplace *w);
bool emu_inplace_write(struct emu_map *m, const struct emu_inplace *w, uint32_t *word, void *dst,
		       const void *src, size_t n);
void emu_inplace_end(struct emu_map *m, const struct emu_inplace *w);
/* The lock holder, after taking the lock: wait until no slot is held, repairing dead ones.
 * Needed only where emu_inplace_maybe_used() (read after taking the lock). */
void emu_inplace_drain(struct emu_map *m);
static inline bool emu_inplace_maybe_used(struct emu_map_hdr *h)
{
#ifdef EMU_TSAN
	/* The race detector cannot see the store-fence-load pairing that makes a clear flag safe to
	 * trust: it drains every time, so it sees each slot taken and released, the happens-before
	 * that pairing stands for. */
	(void)h;
	return true;
#else
	emu_full_barrier_after_lock();
	return __atomic_load_n(&h->inplace_used, __ATOMIC_RELAXED);
#endif
}
/* Whether every slot's mutex is of the robust, shared kind (adoption of a file). */
bool emu_inplace_kinds_ok(const struct emu_map *m);
/* bpfemu_map_check: every slot taken and released once (a dead holder's write repaired); -EUCLEAN
 * for one that no thread can hold. */
int emu_inplace_check(struct emu_map *m);
/* bytes of the slot area for staging areas of `stage` bytes each, a multiple of 64 (0: none) */
uint64_t emu_inplace_area(uint32_t stage);
/* set up the slots of a new map file: inplace_off and inplace_stage set, area zero-filled */
int emu_inplace_init(struct emu_map_hdr *h, char *base);
void emu_inplace_after_fork(void);

static inline bool emu_word_begin(const uint32_t *word, uint32_t *w)
{
	*w = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	return !(*w & EMU_WORD_LOCKED);
}
/* after emu_read_valid(), whose fence orders the value's reads before this one */
static inline bool emu_word_valid(const uint32_t *word, uint32_t w)
{
	return __atomic_load_n(word, __ATOMIC_RELAXED) == w;
}

#endif
