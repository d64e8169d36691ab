/* SPDX-License-Identifier: MIT */
/* Internal interfaces of the emulator: the map object, its shared-memory layout, the ops tables. */
#ifndef BPFEMU_INTERNAL_H
#define BPFEMU_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "bpfemu/bpfemu.h"
#include "uapi/bpf_uapi.h"

/* Sanitizer builds: EMU_ASAN, EMU_TSAN (gcc and clang spell the test differently). */
#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EMU_TSAN 1
#endif
#endif


#define EMU_PAGE_SIZE 4096u

#define EMU_MAGIC 0x3170616d75656670ULL /* "pfeuamp1": a bpfemu map file */
#define EMU_LAYOUT_VERSION 4u /* 2: the redo record of in-place value writes; 3: the write sequence;
				* 4: in-place writer slots */


static inline uint32_t emu_round_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }
static inline uint64_t emu_round_up64(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* Raw attr access by byte offset: fields newer than our uapi header are reachable too. */
struct emu_attr {
	unsigned char b[EMU_ATTR_SIZE];
	/* Set by emu_bpf_copy_attr(): every byte from `len` on is zero, so the commands' checks of
	 * their unused tails skip them. Left false by a memset, for attrs built by hand; fields
	 * written after the copy go through attr_set_u32(), which keeps `len` true. */
	bool len_known;
	uint32_t len;
};
static inline uint32_t attr_u32(const struct emu_attr *a, unsigned off)
{
	uint32_t v;
	memcpy(&v, a->b + off, 4);
	return v;
}
static inline uint64_t attr_u64(const struct emu_attr *a, unsigned off)
{
	uint64_t v;
	memcpy(&v, a->b + off, 8);
	return v;
}
static inline void *attr_ptr(const struct emu_attr *a, unsigned off)
{
	return (void *)(uintptr_t)attr_u64(a, off);
}
static inline void attr_set_u32(struct emu_attr *a, unsigned off, uint32_t v)
{
	memcpy(a->b + off, &v, 4);
	if (a->len < off + 4)
		a->len = off + 4;
}


/*
 * The head of every map file. Everything a process needs to use the map is in the file, at
 * offsets from its start, so processes that map it at different addresses share one map.
 * Cache lines are kept apart by who writes them: every call reads the first two, which nothing writes after creation but FREEZE and the first RDONLY/WRONLY open;
 * every lock holder writes the third; in-place writers the fourth. Mixed, two threads working on
 * one map moved the lines every call reads back and forth between their CPUs.
 */
struct emu_map_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_size;
	uint64_t file_size;
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags; /* as info/fdinfo show them: RDONLY/WRONLY are a property of the fd */
	uint32_t nr_cpus;
	uint64_t map_extra;
	char name[EMU_OBJ_NAME_LEN];
	uint32_t id;
	uint32_t frozen;
	/* Set once any fd of this map was opened read-only or write-only: until then every fd is
	 * O_RDWR and the per-call access-mode syscall can be skipped. */
	uint32_t restricted_fds;
	uint32_t hash_seed;
	uint64_t memlock;
	uint64_t priv_off;    /* family's own state */
	uint64_t redo_off;    /* see redo_dst */
	uint64_t inplace_off; /* in-place writer slots (inplace.c), 0 if the family has none */
	uint32_t inplace_stage; /* bytes of one slot's staging area, a multiple of 64 */

	_Alignas(64) pthread_mutex_t lock; /* process-shared, robust */
	/*
	 * Odd while a lock holder may be changing the map, even otherwise: lookups read without the
	 * lock and keep their result only if it was even and unchanged across the read (the kernel's
	 * lookups take no lock either). A holder that dies leaves it odd, so readers fall back to the
	 * lock, whose owner-died path repairs the map first.
	 */
	uint32_t write_seq;
	/*
	 * Set by an in-place writer (inplace.c) that found it clear, cleared by the lock holder that
	 * then waited the slots out: while it is clear no slot holder can be writing, so a lock
	 * holder need not look at the slots (one line each) at all.
	 */
	uint32_t inplace_used;

	/*
	 * A value overwritten in place (arrays, per-CPU hash elements) is first copied to redo_off
	 * whole, then redo_dst is set, then the target is written and redo_dst cleared: a writer
	 * killed halfway leaves a record the next lock holder replays, so no reader ever sees a value
	 * torn between two updates. redo_dst is an offset in the file, 0 when no write is open.
	 */
	_Alignas(64) uint64_t redo_dst;
	uint32_t redo_len;
	uint32_t recoveries; /* times a lock or slot holder died and the map was repaired (tests read
			      * it; atomic: slot repairs run without the lock) */
};

struct emu_map_ops;

/*
 * A run of hash buckets as batch_buckets hands it to batch.c: pointers into the map, valid while
 * the lock is held and the buckets are not changed.
 */
struct emu_bucket_run {
	/* in: room for cap elements and cap buckets */
	const void **keys, **values; /* out: the elements taken, bucket after bucket, list order */
	uint32_t *bucket, *end;      /* out: per non-empty bucket taken, its index, and the index in
				      * keys[] after its last element */
	uint32_t cap;
	uint32_t room; /* in: elements the caller may still return */
	uint32_t nr;   /* out: non-empty buckets taken */
	uint32_t next; /* out: the bucket to go on from */
	uint32_t need; /* out: if not 0, bucket `next` was not taken: it holds `need` elements, more
			* than room or than the capacity left */
	bool done;     /* out: the last bucket was taken, the table is done */
};

/* A process's view of one map file. */
struct emu_map {
	struct emu_map_hdr *hdr;
	char *base;
	size_t size;
	const struct emu_map_ops *ops;
	dev_t dev;
	ino_t ino;
	uint32_t value_bytes; /* V: what user buffers hold for one value */
	int refs;             /* calls in progress */
	int cache_refs;       /* fd-cache slots naming this map */
};

static inline void *emu_priv(const struct emu_map *m) { return m->base + m->hdr->priv_off; }

/* Attributes of a map being created, after the generic checks. */
struct emu_create {
	uint32_t map_type, key_size, value_size, max_entries, map_flags, nr_cpus;
	uint32_t numa_node; /* NUMA_NO_NODE (-1) unless BPF_F_NUMA_NODE */
	uint64_t map_extra;
};

/*
 * One table per map family. Entries return 0 or -errno. A NULL entry means the family does not
 * implement the command, and the dispatcher gives the kernel's answer for that case.
 * Keys and values passed in and out are bounce buffers the dispatcher owns: implementations
 * never touch user memory.
 */
struct emu_map_ops {
	const char *family;
	/* type-specific create checks; may adjust max_entries as the kernel does */
	int (*alloc_check)(struct emu_create *c);
	/* bytes of family state after the header, or the kernel's allocation errno */
	int (*layout)(const struct emu_create *c, uint64_t *priv_size);
	void (*init)(struct emu_map *m);
	/* the kernel's own estimate of the map's memory, as fdinfo and bpftool show it */
	uint64_t (*memlock)(const struct emu_map *m);
	int (*lookup)(struct emu_map *m, const void *key, void *value);
	int (*update)(struct emu_map *m, const void *key, const void *value, uint64_t flags);
	int (*delete)(struct emu_map *m, const void *key);
	int (*get_next_key)(struct emu_map *m, const void *key, void *next_key);
	int (*lookup_and_delete)(struct emu_map *m, const void *key, void *value, uint64_t flags);
	/* queue/stack */
	int (*push)(struct emu_map *m, const void *value, uint64_t flags);
	int (*pop)(struct emu_map *m, void *value);
	int (*peek)(struct emu_map *m, void *value);
	/* one CPU's slot of a per-CPU element (test API) */
	int (*lookup_percpu)(struct emu_map *m, const void *key, void *value, int cpu);
	/* consistency check: 0 or -EUCLEAN */
	int (*check)(struct emu_map *m);
	/*
	 * Called with the lock held when its previous holder died inside a critical section:
	 * restore structural consistency from whatever prefix of its writes reached the file.
	 * Must be idempotent (the recovering process may be killed too; the next one runs it
	 * again) and must not fail.
	 */
	void (*recover)(struct emu_map *m);
	/* Bytes of the largest value a writer may overwrite in place without the map lock (see
	 * inplace.c); 0, or no entry, if every write takes the lock. */
	uint32_t (*inplace_bytes)(const struct emu_create *c);
	/*
	 * Hash batch lookups go bucket by bucket (the token is a bucket index); batch.c runs the
	 * loop and every user copy, and calls these with the map lock held. batch_buckets takes
	 * buckets from `from` on into r, each whole, the kernel's way: empty buckets are skipped
	 * except the last one, which is taken empty; it stops before a bucket that does not fit
	 * (r->need), after the last bucket (r->done), or anywhere in between to keep one lock hold
	 * short. -ENOENT if `from` is past the last bucket.
	 */
	int (*batch_buckets)(struct emu_map *m, uint32_t from, struct emu_bucket_run *r);
	/* LOOKUP_AND_DELETE_BATCH, after buckets were copied out (the last maybe with a fault):
	 * remove all of their elements, bucket after bucket, freeing them in the kernel's order.
	 * Lock held. */
	void (*batch_buckets_delete)(struct emu_map *m, const uint32_t *bucket, uint32_t nr);
	/*
	 * LOOKUP_BATCH with key tokens (arrays), many elements per call, lock held by batch.c: the
	 * elements after prev (NULL: from the first), up to cap of them, as get_next_key and lookup
	 * would find them one by one; their keys into keys (key_size apart), where their values lie
	 * in the map into values. Returns how many; fewer than cap when the end was reached.
	 * Not used for MMAPABLE maps: their values can be the user's own buffers, and the kernel
	 * reads a value whole before it writes the key, so those go through batch_next.
	 */
	uint32_t (*batch_next_run)(struct emu_map *m, const void *prev, void *keys, const void **values,
				   uint32_t cap);
	/*
	 * The same one element at a time, its value copied: the key after prev into key and its
	 * value into value; -ENOENT past the end. Lock held by batch.c, which takes it once for
	 * many elements.
	 */
	int (*batch_next)(struct emu_map *m, const void *prev, void *key, void *value);
	/* UPDATE_BATCH via the update op; DELETE_BATCH via the delete op where the family has one
	 * (arrays have neither a delete nor a delete batch in the kernel) */
	bool generic_batch_update;
	/* update and delete exactly as those ops, called with the map lock held: the batches take
	 * it once for many elements */
	int (*update_locked)(struct emu_map *m, const void *key, const void *value, uint64_t flags);
	int (*delete_locked)(struct emu_map *m, const void *key);
	bool generic_lookup_batch; /* LOOKUP_BATCH via get_next_key + lookup (or batch_next), key tokens */
};

extern const struct emu_map_ops emu_htab_ops;
extern const struct emu_map_ops emu_array_ops;
extern const struct emu_map_ops emu_queue_stack_ops;

const struct emu_map_ops *emu_ops_for_type(uint32_t map_type);
bool emu_is_percpu_type(uint32_t map_type);

/* map.c: files, locking, the per-process registry */
/* the file a map needs, or the kernel's allocation errno (E2BIG, ENOMEM) for it */
int emu_map_file_size(const struct emu_create *c, const struct emu_map_ops *ops, uint64_t *size);
int emu_map_create_file(const struct emu_create *c, const struct emu_map_ops *ops, const char *name,
			int *fd_out);
int emu_map_get(int fd, struct emu_map **out, int *accmode); /* -EBADF / -EINVAL */
void emu_map_put(struct emu_map *m);
int emu_map_lock(struct emu_map *m);
void emu_map_unlock(struct emu_map *m);

/*
 * Lock-free reads: `if (emu_read_begin(m, &s)) { read into private memory;
 * if (emu_read_valid(m, s)) done; }`, else take the lock. The read may see the map half-changed,
 * so it must bound every walk and check every index it follows; only what passes
 * emu_read_valid() reaches the caller. Under ThreadSanitizer only the locked path runs: these
 * racy reads are deliberate, and the stress tests check them in the other builds.
 */
#define EMU_READ_TRIES 4
static inline bool emu_read_begin(const struct emu_map *m, uint32_t *seq)
{
#ifdef EMU_TSAN
	(void)m;
	(void)seq;
	return false;
#else
	*seq = __atomic_load_n(&m->hdr->write_seq, __ATOMIC_ACQUIRE);
	return !(*seq & 1);
#endif
}
static inline bool emu_read_valid(const struct emu_map *m, uint32_t seq)
{
#ifndef EMU_TSAN
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
	return __atomic_load_n(&m->hdr->write_seq, __ATOMIC_RELAXED) == seq;
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
 * never a mix (see redo_off). Lock held; dst lies in the map file; n <= value_bytes. */
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
/* Taking a mutex stores to its lock word; code that then reads another thread's lock word needs
 * the store seen first. On x86 the mutex took its word with a locked instruction, which is that
 * barrier already. */
static inline void emu_full_barrier_after_lock(void)
{
#if !defined(__x86_64__) && !defined(__i386__) && !defined(EMU_TSAN)
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}
/* The lock was busy at the first try: spin a little, then wait. */
int emu_robust_lock_wait(pthread_mutex_t *mu);
/* 0, EOWNERDEAD (the caller repairs, then pthread_mutex_consistent) or another positive errno.
 * The first try inline: it is all an uncontended write pays besides glibc's own. */
static inline int emu_robust_lock(pthread_mutex_t *mu)
{
	int err = pthread_mutex_trylock(mu);

	return err == EBUSY ? emu_robust_lock_wait(mu) : err;
}
/* a lock or slot holder died and what it left was repaired */
static inline void emu_count_recovery(struct emu_map *m)
{
	__atomic_add_fetch(&m->hdr->recoveries, 1, __ATOMIC_RELAXED);
}

/*
 * In-place writers (inplace.c). An update that overwrites the value of an element already in the
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
#ifdef EMU_TSAN /* which must see each slot taken and released to know the writes before it */
	(void)h;
	return true;
#else
	emu_full_barrier_after_lock();
	return __atomic_load_n(&h->inplace_used, __ATOMIC_RELAXED);
#endif
}
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

/* ftruncate() that never lets RLIMIT_FSIZE's SIGXFSZ reach the caller (EFBIG still returned) */
int emu_ftruncate_quiet(int fd, off_t size);

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
uint32_t emu_nr_cpus(void);
int emu_map_fd_id(int fd, uint32_t *id);
int emu_fdcache_enable(void);
void emu_fdcache_put(int fd, struct emu_map *m, int accmode);
void emu_fdcache_forget(int fd);
void emu_fdcache_forget_range(unsigned lo, unsigned hi);
void emu_mark_restricted(int fd);
bool emu_is_object_fd(int fd); /* a map or a program */
uint64_t emu_fd_magic(int fd);

/* objects.c: ids, the emulated bpffs, pins */
uint32_t emu_alloc_id(void);
void emu_ids_init(void); /* opens the id counter now, while an fd may still be free */
const char *emu_bpffs_root(void);
const char *emu_state_dir(void);
int emu_open_map_file(void);
int emu_bpffs_ensure_root(void);
int emu_bpffs_translate(const char *path, char *out, size_t outlen);
int emu_obj_pin(const struct emu_attr *a);
int emu_obj_get(const struct emu_attr *a);
int emu_map_get_next_id(const struct emu_attr *a, union bpf_attr *uattr);
int emu_map_get_fd_by_id(const struct emu_attr *a);

/* prog.c: just enough of a program object for libbpf's feature probes */
#define EMU_PROG_MAGIC 0x31676f7270756570ULL /* "peuprog1" */
int emu_prog_load(const struct emu_attr *a);
bool emu_is_prog_fd(int fd);
/* fdinfo text after the VFS lines, as the kernel prints it; -errno if fd is not ours */
int emu_fdinfo(int fd, char *buf, size_t len);

/* uaccess.c: copies that turn a bad user pointer into -EFAULT instead of a crash */
int emu_copy_from_user(void *dst, const void *src, size_t n);
int emu_copy_to_user(void *dst, const void *src, size_t n);
/* The hash batches' copy-out of a run of buckets (elements numbered from `at` in the user's
 * buffers), the kernel's way: bucket after bucket, one copy_to_user of its keys, then one of its
 * values, stopping at the first fault. Returns the buckets written whole (r->nr if all were). */
uint32_t emu_copy_run_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const struct emu_bucket_run *r,
			      uint32_t ks, uint32_t vs);
/* The generic lookup batch's copy-out of n elements (numbered from `at`), the kernel's way:
 * element after element, one copy_to_user of its key (from keys, ks bytes apart), then one of its
 * value, stopping at the first fault. Returns the elements written whole (n if all were). */
uint32_t emu_copy_pairs_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const char *keys,
				const void *const *values, uint32_t n, uint32_t ks, uint32_t vs);
int emu_put_user_u32(void *uattr, unsigned off, uint32_t v);
/* Element idx of a user array at base, in the kernel's u32 arithmetic: idx * size wraps at 4 GiB. */
static inline char *emu_uelem(uint64_t base, uint32_t idx, uint32_t size)
{
	return (char *)(uintptr_t)(base + (uint32_t)(idx * size));
}
bool emu_user_writable(void *p); /* a write to p would not fault (the byte is left as it was) */

/* jhash.c: the kernel's hash-table hash (lookup3) */
uint32_t emu_jhash_key(const void *key, uint32_t key_size, uint32_t seed);

/* info.c: the map-content SHA-256 of OBJ_GET_INFO_BY_FD (frozen arrays) */
int emu_map_content_hash(struct emu_map *m, void *uhash, uint32_t hash_size);
void emu_sha256(const void *data, size_t len, unsigned char out[32]);

/* batch.c: the batch commands once the dispatcher has checked attr, fd and permissions */
int emu_batch_lookup_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr, bool del);
int emu_batch_lookup_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
int emu_batch_update_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
int emu_batch_delete_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);

int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off);

/* syscall.c */
int emu_bpf_copy_attr(struct emu_attr *a, const union bpf_attr *uattr, unsigned int size);
int emu_bpf_dispatch(int cmd, struct emu_attr *a, union bpf_attr *uattr);
/* bpf(2) as a caller sees it: the attr copied and checked, the command run; -1 and errno on
 * failure. bpfemu_bpf() and the preload's plain calls; inline, for the preload's hot path. */
static inline int emu_bpf_call(int cmd, union bpf_attr *uattr, unsigned int size)
{
	struct emu_attr a;
	int ret = emu_bpf_copy_attr(&a, uattr, size);

	if (!ret)
		ret = emu_bpf_dispatch(cmd, &a, uattr);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

#define EMU_API __attribute__((visibility("default")))

/* diag.c */
void emu_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fault.c: deliberate mistakes that prove the differential checks catch one. Only test builds
 * (-DBPFEMU_FAULT_INJECTION=ON) compile them; BPFEMU_FAULT=<name>[,<name>...] turns them on. */
#ifdef BPFEMU_FAULT_INJECTION
bool emu_fault(const char *name);
#define EMU_FAULT(name) emu_fault(name)
#else
#define EMU_FAULT(name) false
#endif

#endif
