/* SPDX-License-Identifier: MIT */
/*
 * The map lock: a robust, process-shared mutex in the map header, and what its owner-died path
 * does (finish an open redo record, then the family's recover op); the write sequence lock-free
 * readers check; redo records for values overwritten in place. The protocols are in sync.h.
 */
#define _GNU_SOURCE
#include <time.h>

#include "../arch/arch.h"
#include "inplace.h"
#include "sync.h"
#include "value.h"

#ifdef EMU_TSAN
#include <sanitizer/tsan_interface.h>
#endif

int emu_robust_init(pthread_mutex_t *mu)
{
	pthread_mutexattr_t at;
	int err;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(mu, &at);
	pthread_mutexattr_destroy(&at);
	return -err;
}

/*
 * The previous lock holder died inside a critical section (SIGKILL, a crash), leaving some prefix
 * of its writes. Finish its in-place value write if it had opened one, then let the family
 * rebuild whatever that prefix left inconsistent. Only then is the mutex marked consistent: if
 * this process dies here too, the next locker gets EOWNERDEAD again and repeats the repair.
 */
static void recover_locked(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	uint64_t dst = h->redo_dst, len = h->redo_len;

	if (dst) {
		if (h->redo_off && len <= m->size && dst >= h->priv_off && dst <= m->size - len &&
		    h->redo_off <= m->size - len)
			emu_value_copy_in(h, m->base + dst, m->base + h->redo_off, len);
		__atomic_store_n(&h->redo_dst, 0, __ATOMIC_RELEASE);
	}
	/* after the replay: a BPF_F_LOCK writer's value is whole before its spin lock is let go */
	if (h->nr_locks)
		emu_value_recover(m);
	if (m->ops->recover)
		m->ops->recover(m);
	emu_count_recovery(m);
}

/*
 * A waiter sleeps at most this long before it tries the lock again by itself. Robust mutexes wake
 * their waiters one at a time, and a waiter woken and then killed before it takes the lock
 * swallows the wakeup: if another process took the lock on the fast path in between, the
 * kernel's cleanup of the dead waiter wakes nobody (it acts only on a lock word without owner),
 * and no later unlock does either (the fast path leaves no waiters bit). The other waiters would
 * sleep until some process contends again, and if none does, forever (stress_kill stages it).
 * The fast path stays one compare-and-swap: only a waiter reads the clock.
 */
#define LOCK_RETRY_NS 10000000L
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 30) && !defined(EMU_TSAN)
#define LOCK_CLOCK CLOCK_MONOTONIC
#define lock_until(mu, t) pthread_mutex_clocklock(mu, CLOCK_MONOTONIC, t)
#else
/* older C libraries lack clocklock, and ThreadSanitizer would not see it take the lock */
#define LOCK_CLOCK CLOCK_REALTIME
#define lock_until(mu, t) pthread_mutex_timedlock(mu, t)
#endif

#define LOCK_SPINS 400

int emu_robust_lock_wait(pthread_mutex_t *mu)
{
	int err = EBUSY;

	/* Critical sections last tens of nanoseconds: wait that long before the kernel does. A waiter
	 * that sleeps also makes the owner's unlock a futex wake-up, a system call that cost more
	 * than the whole update it waited for. */
	for (int spin = 0; err == EBUSY && spin < LOCK_SPINS; spin++) {
		emu_cpu_relax();
		if (emu_lock_looks_free(mu))
			err = pthread_mutex_trylock(mu);
	}
	while (err == EBUSY) {
		struct timespec until;

		clock_gettime(LOCK_CLOCK, &until);
		until.tv_nsec += LOCK_RETRY_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		err = lock_until(mu, &until);
		if (err == ETIMEDOUT)
			err = EBUSY;
#ifdef EMU_TSAN
		/* its timedlock interceptor records a lock only on 0, not one taken from a dead owner */
		if (err == EOWNERDEAD) {
			__tsan_mutex_pre_lock(mu, __tsan_mutex_try_lock);
			__tsan_mutex_post_lock(mu, __tsan_mutex_try_lock, 0);
		}
#endif
	}
	return err;
}

int emu_map_lock(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	int err = emu_robust_lock(&h->lock);
	uint32_t s;

	if (err && err != EOWNERDEAD)
		return -err;
	/* already odd if the last holder died: it stays so until this one unlocks */
	s = h->write_seq;
	if (!(s & 1)) {
		__atomic_store_n(&h->write_seq, s + 1, __ATOMIC_RELAXED);
#ifndef EMU_TSAN /* which has no fences, and no lock-free readers to order them for */
		__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
	}
	/* Before any repair: an in-place writer still at work would race with it. */
	if (h->inplace_off && emu_inplace_maybe_used(h))
		emu_inplace_drain(m);
	if (err == EOWNERDEAD) {
		/* Moved on, still odd: a search made before the dead holder's writes (htab_update's
		 * lock-free miss) must not find write_seq where its own lock alone would leave it. */
		__atomic_store_n(&h->write_seq, h->write_seq + 2, __ATOMIC_RELAXED);
		recover_locked(m);
		pthread_mutex_consistent(&h->lock);
	}
	return 0;
}

void emu_map_write_value(struct emu_map *m, void *dst, const void *src, size_t n)
{
	struct emu_map_hdr *h = m->hdr;

	/* a value holding a lock word is never stored whole: the word is not the caller's */
	if (!h->nr_locks && emu_store_whole(dst, src, n))
		return;
	if (!h->redo_off) { /* a family without in-place writes asked: nothing to protect with */
		emu_value_copy_in(h, dst, src, n);
		return;
	}
	emu_redo_copy(m, &(struct emu_redo){ m->base + h->redo_off, &h->redo_dst, &h->redo_len, "redo.stage",
					     "redo.copy" },
		      dst, src, n);
}

void emu_redo_copy(struct emu_map *m, const struct emu_redo *r, void *dst, const void *src, size_t n)
{
	memcpy(r->stage, src, n);
	*r->len = (uint32_t)n;
	EMU_CRASH_POINT(r->stage_point);
	__atomic_store_n(r->dst, (uint64_t)((char *)dst - m->base), __ATOMIC_RELEASE);
#ifdef BPFEMU_TEST_HOOKS
	/* in halves, so a test can kill a writer with its value half written */
	emu_value_copy_in(m->hdr, dst, src, n / 2);
	EMU_CRASH_POINT(r->copy_point);
	emu_value_copy_in(m->hdr, dst, src, n); /* (the first half again: lock words go by offset) */
#else
	emu_value_copy_in(m->hdr, dst, src, n);
#endif
	EMU_CRASH_POINT(r->copy_point);
	__atomic_store_n(r->dst, 0, __ATOMIC_RELEASE);
}

void emu_map_unlock(struct emu_map *m)
{
	__atomic_store_n(&m->hdr->write_seq, (m->hdr->write_seq | 1) + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->hdr->lock);
}
