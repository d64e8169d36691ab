/* SPDX-License-Identifier: MIT */
/*
 * The map lock: a robust, process-shared mutex in the map header, and what its owner-died path
 * does (finish an open redo record, then the family's recover op); the write sequence lock-free
 * readers check; redo records for values overwritten in place. The protocols are in sync.h.
 *
 * The mutexes live in the map file, which other processes can write (see struct emu_map): their
 * kind is checked when a process adopts the file, and a lock word that names an owner who cannot
 * hold it is refused (EUCLEAN) instead of waited for forever. A redo record is replayed only
 * where it names one of the map's values.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

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

#ifdef __GLIBC__
/* glibc's robust mutex: the lock word holds the owner's thread id and the kernel's futex bits. */
#define LOCK_TID_MASK 0x3fffffffu
#define LOCK_OWNER_DIED 0x40000000u
#define LOCK_WAITERS 0x80000000u

static int robust_kind;
static pthread_once_t robust_kind_once = PTHREAD_ONCE_INIT;

static void robust_kind_init(void)
{
	pthread_mutex_t mu;

	if (!emu_robust_init(&mu)) {
		robust_kind = mu.__data.__kind;
		pthread_mutex_destroy(&mu);
	}
}

bool emu_mutex_kind_ok(pthread_mutex_t *mu)
{
	pthread_once(&robust_kind_once, robust_kind_init);
	return __atomic_load_n(&mu->__data.__kind, __ATOMIC_RELAXED) == robust_kind;
}

static uint32_t lock_word(pthread_mutex_t *mu)
{
	return (uint32_t)__atomic_load_n(&mu->__data.__lock, __ATOMIC_RELAXED);
}

static uint32_t this_tid(void)
{
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 30
	return (uint32_t)gettid(); /* not syscall(), which the preload interposes */
#else
	return (uint32_t)syscall(SYS_gettid);
#endif
}

/* Whether thread tid maps m's file, as /proc tells: 1, 0 (or the thread is gone), -1 where it
 * cannot tell (a process of another user or namespace). */
static int maps_file(const struct emu_map *m, uint32_t tid)
{
	char path[64], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", tid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long ino;

		found = sscanf(line, "%*x-%*x %*s %*x %x:%x %lu", &maj, &min, &ino) == 3 &&
			makedev(maj, min) == m->dev && ino == m->ino;
	}
	fclose(f);
	return found;
}

/* Whether tid is a kernel thread (PF_KTHREAD in its flags), which maps no file. */
static bool kernel_thread(uint32_t tid)
{
	char path[64], line[1024], *p;
	unsigned long flags = 0;
	bool kt = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags: comm may hold spaces */
	if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
		kt = flags & 0x00200000ul;
	fclose(f);
	return kt;
}

enum owner { OWNER_CAN, OWNER_CANNOT, OWNER_UNKNOWN };

/* Could thread tid hold a lock in m's file? Not if it does not exist, is this thread (which asks
 * for a map's lock only when it holds none), is a kernel thread, or does not map the file. */
static enum owner owner_of(const struct emu_map *m, uint32_t tid)
{
	int maps;

	if (tid == this_tid() || (kill((pid_t)tid, 0) && errno == ESRCH))
		return OWNER_CANNOT;
	maps = maps_file(m, tid);
	if (maps >= 0)
		return maps ? OWNER_CAN : OWNER_CANNOT;
	return kernel_thread(tid) ? OWNER_CANNOT : OWNER_UNKNOWN;
}

/* A lock word held this many rounds (LOCK_RETRY_NS each) by a thread /proc cannot tell about is
 * given up on: ~2.5 s, against critical sections of nanoseconds. */
#define LOCK_UNKNOWN_OWNER_ROUNDS 256u

/* What a waiter knows of the word it waits on. */
struct lock_watch {
	uint32_t word;   /* as last seen */
	unsigned rounds; /* timed-out rounds it has not moved */
};

/*
 * One more round timed out. A holder that dies leaves the kernel's owner-died mark in the word,
 * and an unlock clears it whole, so a word that names no owner (the waiters bit alone), or a
 * thread that cannot hold the lock, and did not move meanwhile, was written by no holder: damage
 * (true, and *gone remembers the word). /proc is asked after 1, 2, 4, ... rounds of the same
 * word, so a slow holder costs few reads.
 */
static bool lock_owner_gone(pthread_mutex_t *mu, const struct emu_map *m, uint32_t *gone, struct lock_watch *lw)
{
	uint32_t w = lock_word(mu), tid = w & LOCK_TID_MASK;
	enum owner o;

	if (w != lw->word) {
		lw->word = w;
		lw->rounds = 0;
	}
	lw->rounds++;
	if (!w || (w & LOCK_OWNER_DIED) || (lw->rounds & (lw->rounds - 1)))
		return false;
	o = tid ? owner_of(m, tid) : OWNER_CANNOT;
	if (o == OWNER_CAN || (o == OWNER_UNKNOWN && lw->rounds < LOCK_UNKNOWN_OWNER_ROUNDS))
		return false;
	if (lock_word(mu) != w)
		return false;
	__atomic_store_n(gone, w, __ATOMIC_RELAXED);
	return true;
}

static bool lock_known_gone(pthread_mutex_t *mu, const uint32_t *gone)
{
	uint32_t w = lock_word(mu);

	return w && w == __atomic_load_n(gone, __ATOMIC_RELAXED);
}
#else
bool emu_mutex_kind_ok(pthread_mutex_t *mu)
{
	(void)mu;
	return true;
}

/* Elsewhere the lock word's layout is unknown: a lock is waited for as long as it is held. */
struct lock_watch {
	int unused;
};

static bool lock_owner_gone(pthread_mutex_t *mu, const struct emu_map *m, uint32_t *gone, struct lock_watch *lw)
{
	(void)mu, (void)m, (void)gone, (void)lw;
	return false;
}

static bool lock_known_gone(pthread_mutex_t *mu, const uint32_t *gone)
{
	(void)mu, (void)gone;
	return false;
}
#endif

/*
 * The previous lock holder died inside a critical section (SIGKILL, a crash), leaving some prefix
 * of its writes. Finish its in-place value write if it had opened one, then let the family
 * rebuild whatever that prefix left inconsistent. Only then is the mutex marked consistent: if
 * this process dies here too, the next locker gets EOWNERDEAD again and repeats the repair.
 */
static void recover_locked(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	uint64_t dst = h->redo_dst;
	uint32_t len = h->redo_len;

	if (dst) {
		/* only onto one of the map's values, from within the stage: the record is the file's */
		if (m->redo_off && len <= m->redo_cap && emu_map_value_range_ok(m, dst, len))
			emu_value_copy_in(m, m->base + dst, m->base + m->redo_off, len);
		else
			emu_map_corrupt(m, "redo record");
		__atomic_store_n(&h->redo_dst, 0, __ATOMIC_RELEASE);
	}
	/* after the replay: a BPF_F_LOCK writer's value is whole before its spin lock is let go */
	if (m->nr_locks)
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

int emu_robust_lock_wait(pthread_mutex_t *mu, const struct emu_map *m, uint32_t *gone)
{
	struct lock_watch lw = { 0 };
	int err = EBUSY;

	if (lock_known_gone(mu, gone))
		return EUCLEAN;

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
		if (err == ETIMEDOUT) {
			err = EBUSY;
			if (lock_owner_gone(mu, m, gone, &lw))
				return EUCLEAN;
		}
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

/* The C library refused the lock (a damaged kind or owner field: our own calls never misuse it),
 * or its word names an owner who cannot hold it. */
__attribute__((cold, noinline)) static int lock_failed(struct emu_map *m, int err)
{
	(void)err;
	return emu_map_corrupt(m, "lock");
}

int emu_map_lock(struct emu_map *m)
{
	struct emu_map_hdr *h = m->hdr;
	int err = emu_robust_lock(&h->lock, m, &m->lock_gone[0]);
	uint32_t s;

	if (err && err != EOWNERDEAD)
		return lock_failed(m, err);
	/* already odd if the last holder died: it stays so until this one unlocks */
	s = h->write_seq;
	if (!(s & 1)) {
		__atomic_store_n(&h->write_seq, s + 1, __ATOMIC_RELAXED);
#ifndef EMU_TSAN /* which has no fences, and no lock-free readers to order them for */
		__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
	}
	/* Before any repair: an in-place writer still at work would race with it. */
	if (m->inplace_off && emu_inplace_maybe_used(h))
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
	if (!m->nr_locks && emu_store_whole(dst, src, n))
		return;
	if (!m->redo_off) { /* a family without in-place writes asked: nothing to protect with */
		emu_value_copy_in(m, dst, src, n);
		return;
	}
	emu_redo_copy(m, &(struct emu_redo){ m->base + m->redo_off, &h->redo_dst, &h->redo_len, "redo.stage",
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
	emu_value_copy_in(m, dst, src, n / 2);
	EMU_CRASH_POINT(r->copy_point);
	emu_value_copy_in(m, dst, src, n); /* (the first half again: lock words go by offset) */
#else
	emu_value_copy_in(m, dst, src, n);
#endif
	EMU_CRASH_POINT(r->copy_point);
	__atomic_store_n(r->dst, 0, __ATOMIC_RELEASE);
}

void emu_map_unlock(struct emu_map *m)
{
	__atomic_store_n(&m->hdr->write_seq, (m->hdr->write_seq | 1) + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->hdr->lock);
}
