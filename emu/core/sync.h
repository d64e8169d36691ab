/* SPDX-License-Identifier: MIT */
/*
 * How map files are shared safely (core/lock.c, core/crashpoint.c): the map lock and its crash
 * recovery, lock-free reads under the write sequence, whole-value stores, redo records, and the
 * crash points the kill tests die at. Every map family writes through these.
 */
#ifndef BPFEMU_CORE_SYNC_H
#define BPFEMU_CORE_SYNC_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../util/compiler.h"
#include "map.h"

/* The map's lock (core/lock.c): a robust, process-shared mutex in the header. 0 or -errno; a
 * holder found dead has its map repaired (the family's recover op) before this returns. */
int emu_map_lock(struct emu_map *m);
void emu_map_unlock(struct emu_map *m);

/*
 * Lock-free reads: `if (emu_read_begin(m, &s)) { read into private memory;
 * if (emu_read_valid(m, s)) done; }`, else take the lock; a read given up before emu_read_valid()
 * leaves with emu_read_abandon(). The read may see the map half-changed, so it must bound every
 * walk and check every index it follows; only what passes emu_read_valid() reaches the caller.
 *
 * ThreadSanitizer runs this same path. It cannot see the fences that make a sequence lock sound,
 * so the reads between begin and valid/abandon are hidden from it (as the kernel marks its own
 * seqlock readers for KCSAN); everything those reads lead to — the writers, the in-place slots,
 * the lock — it checks as in production. (Without the annotation it reports these reads racing
 * with writers at once: that is how a test of it looks.)
 */
#define EMU_READ_TRIES 4
#ifdef EMU_TSAN
/* the race detector's runtime annotations (dynamic_annotations), which its headers do not declare */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define EMU_TSAN_HIDE_READS() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define EMU_TSAN_SHOW_READS() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define EMU_TSAN_HIDE_READS() ((void)0)
#define EMU_TSAN_SHOW_READS() ((void)0)
#endif
static inline bool emu_read_begin(const struct emu_map *m, uint32_t *seq)
{
	*seq = __atomic_load_n(&m->hdr->write_seq, __ATOMIC_ACQUIRE);
	if (*seq & 1)
		return false;
	EMU_TSAN_HIDE_READS();
	return true;
}
static inline bool emu_read_valid(const struct emu_map *m, uint32_t seq)
{
	bool ok;

#ifndef EMU_TSAN /* which has no fences (gcc refuses them there) */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
	ok = __atomic_load_n(&m->hdr->write_seq, __ATOMIC_RELAXED) == seq;
	EMU_TSAN_SHOW_READS();
	return ok;
}
static inline void emu_read_abandon(void)
{
	EMU_TSAN_SHOW_READS();
}
/* A value write no crash can tear, where it is one aligned store of 8 or 4 bytes (counters,
 * most values): such writes need no redo record. False where it is not. */
static inline bool emu_store_whole(void *dst, const void *src, size_t n)
{
	if (n == 8 && !((uintptr_t)dst & 7)) {
		uint64_t v;

		memcpy(&v, src, 8);
		__atomic_store_n((uint64_t *)dst, v, __ATOMIC_RELEASE);
		return true;
	}
	if (n == 4 && !((uintptr_t)dst & 3)) {
		uint32_t v;

		memcpy(&v, src, 4);
		__atomic_store_n((uint32_t *)dst, v, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}
/* Its reader, for values stored so without the lock. */
static inline bool emu_load_whole(void *dst, const void *src, size_t n)
{
	if (n == 8 && !((uintptr_t)src & 7)) {
		uint64_t v = __atomic_load_n((const uint64_t *)src, __ATOMIC_ACQUIRE);

		memcpy(dst, &v, 8);
		return true;
	}
	if (n == 4 && !((uintptr_t)src & 3)) {
		uint32_t v = __atomic_load_n((const uint32_t *)src, __ATOMIC_ACQUIRE);

		memcpy(dst, &v, 4);
		return true;
	}
	return false;
}
/* A value or key copied between the map and a private buffer: the common sizes as inline moves,
 * where memcpy's call for 8 bytes was a sixth of a hash lookup's own instructions. */
static inline void emu_copy_small(void *dst, const void *src, size_t n)
{
	switch (n) {
	case 4: memcpy(dst, src, 4); return;
	case 8: memcpy(dst, src, 8); return;
	case 16: memcpy(dst, src, 16); return;
	default: memcpy(dst, src, n); return;
	}
}

/* Overwrite a live value so that a writer killed halfway leaves the old or the new value,
 * never a mix (see redo_dst in core/map.h). Lock held; dst lies in the map file; n <= value_bytes. */
void emu_map_write_value(struct emu_map *m, void *dst, const void *src, size_t n);

/* Robust, process-shared mutexes: a holder's death is the next locker's EOWNERDEAD.
 * emu_lock_looks_free() reads without writing, so spinning waiters do not take the line from the
 * owner; glibc's lock word is its first int (the owner's tid, 0 when free). Elsewhere every spin
 * tries the lock. */
static inline bool emu_lock_looks_free(pthread_mutex_t *mu)
{
#ifdef __GLIBC__
	return !__atomic_load_n(&mu->__data.__lock, __ATOMIC_RELAXED);
#else
	(void)mu;
	return true;
#endif
}
int emu_robust_init(pthread_mutex_t *mu);
/* Whether a mutex in a map file is of the kind emu_robust_init makes (robust, process-shared):
 * the C library dispatches on the kind, so a file's damaged one could make a lock call do
 * anything. Where the library's layout is not known, true. */
bool emu_mutex_kind_ok(pthread_mutex_t *mu);
/* Taking a mutex stores to its lock word; code that then reads another thread's lock word needs
 * the store seen first. On x86 the mutex took its word with a locked instruction, which is that
 * barrier already. */
static inline void emu_full_barrier_after_lock(void)
{
#if !defined(__x86_64__) && !defined(__i386__) && !defined(EMU_TSAN)
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}
/*
 * The lock was busy at the first try: spin a little, then wait. A lock word whose owner cannot
 * hold it (no such thread, this thread, a kernel thread, or one that does not map m's file: a
 * damaged file, as a holder that dies leaves the kernel's owner-died mark instead) is not waited
 * for: EUCLEAN, after a round or two, and at once on later calls (*gone remembers the word; each
 * lock of m has its own). An owner /proc cannot tell about (another user's or namespace's
 * process) is given ~2.5 s with the word unchanged before the same answer.
 */
int emu_robust_lock_wait(pthread_mutex_t *mu, const struct emu_map *m, uint32_t *gone);
/* 0, EOWNERDEAD (the caller repairs, then pthread_mutex_consistent), EUCLEAN (see above) or another
 * positive errno. The first try inline: it is all an uncontended write pays besides glibc's own. */
static inline int emu_robust_lock(pthread_mutex_t *mu, const struct emu_map *m, uint32_t *gone)
{
	int err = pthread_mutex_trylock(mu);

	return err == EBUSY ? emu_robust_lock_wait(mu, m, gone) : err;
}
/* a lock or slot holder died and what it left was repaired */
static inline void emu_count_recovery(struct emu_map *m)
{
	__atomic_add_fetch(&m->hdr->recoveries, 1, __ATOMIC_RELAXED);
}

/*
 * A redo record: the new value is staged whole, then `dst` names its destination (an offset in the
 * file), then it is copied there and `dst` cleared. Whoever finds `dst` set after its writer died
 * copies the stage again. The map lock's record (emu_map_write_value) and each writer slot's
 * (inplace.c) work so; the crash points name the step for the kill tests.
 */
struct emu_redo {
	char *stage;
	uint64_t *dst;
	uint32_t *len;
	const char *stage_point, *copy_point;
};
void emu_redo_copy(struct emu_map *m, const struct emu_redo *r, void *dst, const void *src, size_t n);

/*
 * The store that makes one step of a critical section visible to crash recovery. A process can
 * be killed between any two instructions, so recovery sees the writes in program order; the
 * release store keeps the compiler from moving the writes it publishes after it.
 */
static inline void emu_publish_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/*
 * Test hooks (cmake -DBPFEMU_TEST_HOOKS=ON, never in a release build): with
 * BPFEMU_TEST_CRASH=N[:prefix] in the environment, every crash point whose name starts with
 * prefix kills the process with SIGKILL with probability 1/N, so kill tests land inside critical
 * sections instead of hoping to. The variable is read at the first crash point of each process.
 */
#ifdef BPFEMU_TEST_HOOKS
void emu_test_crash_point(const char *where);
#define EMU_CRASH_POINT(where) emu_test_crash_point(where)
#else
#define EMU_CRASH_POINT(where) ((void)0)
#endif

#endif
