/* SPDX-License-Identifier: MIT */
/*
 * Map files and the per-process registry.
 *
 * A map is a memory file whose fd is the map fd, so dup, fork, SCM_RIGHTS, close and exit keep
 * the kernel's lifetime rules without any bookkeeping of ours. Each process maps a file the first
 * time one of its fds is used and finds it again by the file's identity (st_dev, st_ino).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <stdbool.h>
#include <unistd.h>

/* An allocation failure inside uthash must become ENOMEM for the caller, never an exit. */
#define HASH_NONFATAL_OOM 1
static bool registry_oom;
#define uthash_nonfatal_oom(e) (registry_oom = true)
#include <uthash.h>

#include "internal.h"

#ifdef EMU_TSAN
#include <sanitizer/tsan_interface.h>
#endif

struct reg_key {
	dev_t dev;
	ino_t ino;
};

struct reg_entry {
	struct reg_key key;
	struct emu_map map;
	UT_hash_handle hh;
};

static struct reg_entry *registry;
/* Swept entries wait one more sweep before they are unmapped: a thread that read an fd-cache slot
 * just before the fd was closed may still be about to take a reference. */
static struct reg_entry *graveyard;
static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned registry_sweep_at = 64;

static uint32_t parse_possible_cpus(void)
{
	char buf[256], *p = buf;
	uint32_t n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p)
			return 0;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (b < a)
			return 0;
		n += (uint32_t)(b - a + 1);
		if (*p == ',')
			p++;
	}
	return n;
}

static uint32_t nr_cpus_cached;

static void nr_cpus_init(void)
{
	const char *env = secure_getenv("BPFEMU_NR_CPUS");
	uint32_t n = 0;

	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (!*end && v >= 1 && v <= 4096)
			n = (uint32_t)v;
		else
			emu_diag("BPFEMU_NR_CPUS=%s ignored: want a number from 1 to 4096", env);
	}
	if (!n)
		n = parse_possible_cpus();
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_CONF);

		n = c > 0 ? (uint32_t)c : 1;
	}
	nr_cpus_cached = n;
}

uint32_t emu_nr_cpus(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, nr_cpus_init);
	return nr_cpus_cached;
}

EMU_API int bpfemu_num_possible_cpus(void)
{
	return (int)emu_nr_cpus();
}

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
			memcpy(m->base + dst, m->base + h->redo_off, len);
		__atomic_store_n(&h->redo_dst, 0, __ATOMIC_RELEASE);
	}
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

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

int emu_robust_lock_wait(pthread_mutex_t *mu)
{
	int err = EBUSY;

	/* Critical sections last tens of nanoseconds: wait that long before the kernel does. A waiter
	 * that sleeps also makes the owner's unlock a futex wake-up, a system call that cost more
	 * than the whole update it waited for. */
	for (int spin = 0; err == EBUSY && spin < LOCK_SPINS; spin++) {
		cpu_relax();
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

	if (emu_store_whole(dst, src, n))
		return;
	if (!h->redo_off) { /* a family without in-place writes asked: nothing to protect with */
		memcpy(dst, src, n);
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
	memcpy(dst, src, n / 2);
	EMU_CRASH_POINT(r->copy_point);
	memcpy((char *)dst + n / 2, (const char *)src + n / 2, n - n / 2);
#else
	memcpy(dst, src, n);
#endif
	EMU_CRASH_POINT(r->copy_point);
	__atomic_store_n(r->dst, 0, __ATOMIC_RELEASE);
}

#ifdef BPFEMU_TEST_HOOKS
static struct {
	int read;        /* BPFEMU_TEST_CRASH read in this process */
	unsigned one_in; /* 0: off */
	char prefix[64];
} crash_cfg;
static pthread_mutex_t crash_cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t crash_atfork_once = PTHREAD_ONCE_INIT;
static __thread uint64_t crash_rng;

/* A forked child sets its own BPFEMU_TEST_CRASH before its first call: read it afresh. */
static void crash_atfork_child(void)
{
	__atomic_store_n(&crash_cfg.read, 0, __ATOMIC_RELAXED);
	crash_rng = 0;
}
static void crash_atfork_init(void) { pthread_atfork(NULL, NULL, crash_atfork_child); }

void emu_test_crash_point(const char *where)
{
	uint64_t x;

	if (!__atomic_load_n(&crash_cfg.read, __ATOMIC_ACQUIRE)) {
		const char *env = getenv("BPFEMU_TEST_CRASH"), *colon;

		pthread_once(&crash_atfork_once, crash_atfork_init);
		pthread_mutex_lock(&crash_cfg_lock);
		crash_cfg.one_in = env ? (unsigned)strtoul(env, NULL, 10) : 0;
		colon = env ? strchr(env, ':') : NULL;
		snprintf(crash_cfg.prefix, sizeof(crash_cfg.prefix), "%s", colon ? colon + 1 : "");
		__atomic_store_n(&crash_cfg.read, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&crash_cfg_lock);
	}
	if (!crash_cfg.one_in || strncmp(where, crash_cfg.prefix, strlen(crash_cfg.prefix)))
		return;
	if (!crash_rng) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		crash_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)&crash_rng;
		crash_rng |= 1;
	}
	x = crash_rng; /* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	crash_rng = x;
	if (x % crash_cfg.one_in == 0)
		raise(SIGKILL);
}
#endif

/*
 * Growing a file past RLIMIT_FSIZE fails with EFBIG and also raises SIGXFSZ, whose default action
 * kills the process. bpf() knows no such limit, so the signal is not the caller's business: it is
 * blocked around the call and the one the call raised is taken back.
 */
int emu_ftruncate_quiet(int fd, off_t size)
{
	sigset_t xfsz, old, pending;
	bool was_pending;
	int r, saved;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	was_pending = !sigpending(&pending) && sigismember(&pending, SIGXFSZ);
	r = ftruncate(fd, size);
	saved = errno;
	if (r && saved == EFBIG && !was_pending) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&xfsz, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

void emu_map_unlock(struct emu_map *m)
{
	__atomic_store_n(&m->hdr->write_seq, (m->hdr->write_seq | 1) + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->hdr->lock);
}

static uint64_t total_ram(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return (uint64_t)si.totalram * si.mem_unit;
}

static void fill_view(struct emu_map *m, void *base, size_t size)
{
	struct emu_map_hdr *h = base;

	m->base = base;
	m->hdr = h;
	m->size = size;
	m->ops = emu_ops_for_type(h->map_type);
	m->value_bytes = emu_is_percpu_type(h->map_type) ? emu_round_up(h->value_size, 8) * h->nr_cpus
							  : h->value_size;
}

/*
 * A call through the fd cache holds its map by a per-thread hazard slot rather than the shared
 * reference count: an atomic increment and decrement of one cache line every call was a tenth of
 * a lookup, and the line bounced between threads using one map. The sweep leaves a map alone
 * while any slot names it. A thread uses its slot for one map at a time; a nested call (a signal
 * handler's) takes the reference count, and emu_map_put() clearing the slot of a map that also
 * holds a count is harmless: the count still protects it and is dropped by the other put.
 */
struct hazard {
	struct emu_map *map;
	struct hazard *next;
	int taken; /* owned by a live thread */
};
static struct hazard *hazards; /* push-only, never freed: slots are reused by new threads */
static __thread struct hazard *my_hazard __attribute__((tls_model("initial-exec")));
static __thread bool my_hazard_tried __attribute__((tls_model("initial-exec")));
static pthread_key_t hazard_key;
static pthread_once_t hazard_once = PTHREAD_ONCE_INIT;

static void hazard_release(void *p)
{
	struct hazard *h = p;

	__atomic_store_n(&h->map, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&h->taken, 0, __ATOMIC_RELEASE);
}

static void hazard_init(void)
{
	if (pthread_key_create(&hazard_key, hazard_release))
		hazard_key = (pthread_key_t)-1;
}

/* This thread's slot, made on its first cached call; NULL if none could be had. */
static __attribute__((noinline)) struct hazard *hazard_get_slow(void)
{
	struct hazard *h;

	my_hazard_tried = true;
	pthread_once(&hazard_once, hazard_init);
	if (hazard_key == (pthread_key_t)-1)
		return NULL;
	for (h = __atomic_load_n(&hazards, __ATOMIC_ACQUIRE); h; h = h->next) {
		int free_slot = 0;

		if (__atomic_compare_exchange_n(&h->taken, &free_slot, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return NULL;
		h->taken = 1;
		h->next = __atomic_load_n(&hazards, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&hazards, &h->next, h, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	if (pthread_setspecific(hazard_key, h)) {
		hazard_release(h);
		return NULL;
	}
	my_hazard = h;
	return h;
}

static bool hazard_names(const struct emu_map *m)
{
	for (struct hazard *h = __atomic_load_n(&hazards, __ATOMIC_ACQUIRE); h; h = h->next)
		if (__atomic_load_n(&h->map, __ATOMIC_ACQUIRE) == m)
			return true;
	return false;
}

/* The forked child has only this thread: the others' slots are free again. */
static void hazards_after_fork(void)
{
	for (struct hazard *h = hazards; h; h = h->next)
		if (h != my_hazard)
			hazard_release(h);
}

/* Forget mappings of maps this process no longer holds an fd to, so a program that creates and
 * closes maps in a loop does not keep every one alive through our mapping. */
static void sweep_locked(void)
{
	struct reg_entry *e, *tmp;
	struct reg_key *alive = NULL;
	size_t n_alive = 0, cap = 0;
	for (int fd = 0; fd < 65536; fd++) {
		struct stat st;

		if (fcntl(fd, F_GETFD) < 0) {
			if (fd > 1024 && fd > (int)(n_alive * 4 + 1024))
				break;
			continue;
		}
		if (fstat(fd, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n_alive == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct reg_key *na = realloc(alive, ncap * sizeof(*na));

			if (!na) {
				free(alive);
				return;
			}
			alive = na;
			cap = ncap;
		}
		alive[n_alive].dev = st.st_dev;
		alive[n_alive].ino = st.st_ino;
		n_alive++;
	}
	{
		struct reg_entry *keep = NULL;

		while (graveyard) {
			e = graveyard;
			graveyard = e->hh.next;
			if (hazard_names(&e->map)) { /* a call still on it: next sweep */
				e->hh.next = keep;
				keep = e;
				continue;
			}
			munmap(e->map.base, e->map.size);
			free(e);
		}
		graveyard = keep;
	}
	HASH_ITER(hh, registry, e, tmp) {
		bool found = false;

		if (__atomic_load_n(&e->map.refs, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&e->map.cache_refs, __ATOMIC_ACQUIRE) || hazard_names(&e->map))
			continue;
		for (size_t i = 0; i < n_alive && !found; i++)
			found = alive[i].dev == e->key.dev && alive[i].ino == e->key.ino;
		if (found)
			continue;
		HASH_DEL(registry, e);
		e->hh.next = graveyard;
		graveyard = e;
	}
	free(alive);
}

static int register_locked(struct reg_key *k, void *base, size_t size, struct emu_map **out)
{
	struct reg_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->key = *k;
	fill_view(&e->map, base, size);
	e->map.dev = k->dev;
	e->map.ino = k->ino;
	registry_oom = false;
	HASH_ADD(hh, registry, key, sizeof(e->key), e);
	if (registry_oom) {
		free(e);
		return -ENOMEM;
	}
	*out = &e->map;
	return 0;
}

/* The redo record's staging area: one user value, for the types that overwrite values in place. */
static uint64_t redo_bytes(const struct emu_create *c)
{
	if (emu_is_percpu_type(c->map_type))
		return emu_round_up64(emu_round_up64(c->value_size, 8) * c->nr_cpus, 64);
	return c->map_type == BPF_MAP_TYPE_ARRAY ? emu_round_up64(c->value_size, 64) : 0;
}

/* One slot's staging area (inplace.c), whole lines so that slots share none. */
static uint32_t inplace_stage(const struct emu_create *c, const struct emu_map_ops *ops)
{
	return ops->inplace_bytes ? emu_round_up(ops->inplace_bytes(c), 64) : 0;
}

int emu_map_file_size(const struct emu_create *c, const struct emu_map_ops *ops, uint64_t *size)
{
	uint64_t priv_size = 0;
	int err = ops->layout(c, &priv_size);

	if (err)
		return err;
	*size = emu_round_up64(sizeof(struct emu_map_hdr), 64) + priv_size;
	/* The kernel allocates all of it up front and fails with ENOMEM where memory runs out;
	 * our pages are only touched when used, so refuse what could never be backed. */
	if (*size > total_ram() || *size > (uint64_t)SSIZE_MAX)
		return -ENOMEM;
	/* The staging areas are touched only while a write is open, and the kernel has none: they
	 * are left out of the test above so the limits stay the kernel's. */
	*size = emu_round_up64(*size, 64) + emu_inplace_area(inplace_stage(c, ops)) + redo_bytes(c);
	return 0;
}

/* Forget a map this process registered but will not hand out (a failed create). */
static void unregister(struct emu_map *m)
{
	struct reg_entry *e = (struct reg_entry *)((char *)m - offsetof(struct reg_entry, map));

	pthread_rwlock_wrlock(&registry_lock);
	HASH_DEL(registry, e);
	pthread_rwlock_unlock(&registry_lock);
	munmap(e->map.base, e->map.size);
	free(e);
}

/*
 * The map file: an unnamed file in the bpffs root, so it can be pinned by a link, else a memfd.
 * Pages of a file are allocated when first touched, and a page a full filesystem cannot supply
 * is a SIGBUS in whichever call touches it first; so a root without room for the whole map is
 * passed over for a memfd (which shares the machine's memory, as the kernel's maps do). The map
 * then works as usual but cannot be pinned.
 */
static int open_map_file(uint64_t size)
{
	int fd = emu_open_map_file();

	if (fd >= 0) {
		struct statfs sf;

		if (!fstatfs(fd, &sf) && sf.f_blocks && (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < size) {
			static bool said;

			if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
				emu_diag("bpffs root %s has no room for a %llu-byte map: using unpinnable memory files",
					 emu_bpffs_root(), (unsigned long long)size);
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) /* no usable bpffs root: the map works, it just cannot be pinned */
		fd = memfd_create("bpf-map", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int emu_map_create_file(const struct emu_create *c, const struct emu_map_ops *ops, const char *name,
			int *fd_out)
{
	uint64_t size;
	struct emu_map_hdr *h;
	struct emu_map *m;
	struct reg_key k;
	struct stat st;
	void *base;
	int fd, err;

	err = emu_map_file_size(c, ops, &size);
	if (err)
		return err;
	emu_ids_init();
	fd = open_map_file(size);
	if (fd < 0)
		return fd;
	if (emu_ftruncate_quiet(fd, (off_t)size) || fstat(fd, &st)) {
		err = errno == EFBIG || errno == EINVAL ? -ENOMEM : -errno;
		close(fd);
		return err;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	h = base;
	h->magic = EMU_MAGIC;
	h->layout_version = EMU_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->file_size = size;
	h->map_type = c->map_type;
	h->key_size = c->key_size;
	h->value_size = c->value_size;
	h->max_entries = c->max_entries;
	h->map_flags = c->map_flags & ~(EMU_F_RDONLY | EMU_F_WRONLY);
	h->nr_cpus = c->nr_cpus;
	h->map_extra = c->map_extra;
	memcpy(h->name, name, EMU_OBJ_NAME_LEN);
	/* bytes after the first NUL are not part of the name */
	for (size_t i = strnlen(h->name, EMU_OBJ_NAME_LEN); i < EMU_OBJ_NAME_LEN; i++)
		h->name[i] = 0;
	h->id = emu_alloc_id();
	h->restricted_fds = !!(c->map_flags & (EMU_F_RDONLY | EMU_F_WRONLY));
	h->priv_off = emu_round_up64(sizeof(struct emu_map_hdr), 64);
	h->redo_off = redo_bytes(c) ? size - redo_bytes(c) : 0;
	h->inplace_stage = inplace_stage(c, ops);
	h->inplace_off = h->inplace_stage ? size - redo_bytes(c) - emu_inplace_area(h->inplace_stage) : 0;
	err = emu_robust_init(&h->lock);
	if (!err && h->inplace_off)
		err = emu_inplace_init(h, base);
	if (err) {
		munmap(base, size);
		close(fd);
		return err;
	}

	k.dev = st.st_dev;
	k.ino = st.st_ino;
	pthread_rwlock_wrlock(&registry_lock);
	if (HASH_COUNT(registry) >= registry_sweep_at) {
		sweep_locked();
		registry_sweep_at = HASH_COUNT(registry) * 2 + 64;
	}
	err = register_locked(&k, base, size, &m);
	pthread_rwlock_unlock(&registry_lock);
	if (err) {
		munmap(base, size);
		close(fd);
		return err;
	}
	ops->init(m);

	if (c->map_flags & (EMU_F_RDONLY | EMU_F_WRONLY)) {
		/* The kernel's fd carries the access mode; reopening the file gives ours one. */
		char path[64];
		int rfd;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, ((c->map_flags & EMU_F_RDONLY) ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
		if (rfd < 0) {
			err = -errno;
			unregister(m);
			close(fd);
			return err;
		}
		close(fd);
		fd = rfd;
	}
	*fd_out = fd;
	return 0;
}

/* First sight of a map fd in this process (inherited, received, opened from a pin). */
static int adopt_locked(int fd, const struct stat *st, struct emu_map **out)
{
	struct emu_map_hdr h;
	struct reg_key k = { st->st_dev, st->st_ino };
	char path[64];
	void *base;
	int rfd = fd, err, fl = fcntl(fd, F_GETFL);

	/* Every user of a map writes its lock, so the mapping is writable whatever the fd's mode.
	 * An O_RDWR fd serves as it is; any other is reopened, which needs a free fd for a moment
	 * (a process at its fd limit then gets EMFILE rather than being told it holds no map). */
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDWR | O_CLOEXEC);
		if (rfd < 0)
			return errno == EMFILE || errno == ENFILE ? -errno : -EINVAL;
	}
	if (pread(rfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != EMU_MAGIC ||
	    h.layout_version != EMU_LAYOUT_VERSION || h.hdr_size != sizeof(h) ||
	    h.file_size != (uint64_t)st->st_size || !emu_ops_for_type(h.map_type)) {
		if (rfd != fd)
			close(rfd);
		return -EINVAL;
	}
	base = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	if (rfd != fd)
		close(rfd);
	if (base == MAP_FAILED)
		return -ENOMEM;
	err = register_locked(&k, base, h.file_size, out);
	if (err)
		munmap(base, h.file_size);
	return err;
}

/* Registry locks must not be held by another thread across fork, or the child would deadlock. */
static void atfork_prepare(void) { pthread_rwlock_wrlock(&registry_lock); }
static void atfork_release(void) { pthread_rwlock_unlock(&registry_lock); }
/* glibc's unlock takes a caller whose thread id is not the recorded writer's for a reader, and
 * the child's id never is: unlocking there corrupts the lock and the child's next call hangs.
 * The child is alone and the registry whole (the parent held it), so it starts a fresh lock. */
static void atfork_child(void)
{
#ifdef EMU_TSAN
	/* ThreadSanitizer keeps its own record of the lock, which a re-init does not clear: every
	 * later lock in the child would be reported as misuse. Its unlock clears the record, and the
	 * bytes glibc's unlock gets wrong here are reset by the init below. */
	pthread_rwlock_unlock(&registry_lock);
#endif
	pthread_rwlock_init(&registry_lock, NULL);
	hazards_after_fork();
	emu_inplace_after_fork();
}
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void atfork_init(void) { pthread_atfork(atfork_prepare, atfork_release, atfork_child); }

/* The kernel's fdget() does not see O_PATH fds at all, whatever file they name. Asked only off
 * the fast path: a known map file reached through an O_PATH fd is a corner left uncovered. */
static bool is_path_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_PATH);
}

/* Out of line: its frame and saved registers were a fifth of every cached call's fd lookup. */
__attribute__((noinline)) static int map_get_slow(int fd, struct emu_map **out, int *accmode)
{
	struct reg_entry *e;
	struct reg_key k;
	struct stat st;
	int err = 0;

	pthread_once(&atfork_once, atfork_init);
	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return is_path_fd(fd) ? -EBADF : -EINVAL;
	memset(&k, 0, sizeof(k));
	k.dev = st.st_dev;
	k.ino = st.st_ino;

	pthread_rwlock_rdlock(&registry_lock);
	HASH_FIND(hh, registry, &k, sizeof(k), e);
	if (e)
		__atomic_add_fetch(&e->map.refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&registry_lock);
	if (!e) {
		struct emu_map *m = NULL;

		pthread_rwlock_wrlock(&registry_lock);
		HASH_FIND(hh, registry, &k, sizeof(k), e);
		if (e) {
			m = &e->map;
		} else {
			err = is_path_fd(fd) ? -EBADF : adopt_locked(fd, &st, &m);
		}
		if (!err)
			__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&registry_lock);
		if (err)
			return err;
		*out = m;
	} else {
		*out = &e->map;
	}

	*accmode = O_RDWR;
	if (__atomic_load_n(&(*out)->hdr->restricted_fds, __ATOMIC_RELAXED)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || (fl & O_PATH)) {
			emu_map_put(*out);
			return -EBADF;
		}
		*accmode = fl & O_ACCMODE;
	}
	emu_fdcache_put(fd, *out, *accmode);
	return 0;
}

void emu_map_put(struct emu_map *m)
{
	struct hazard *h = my_hazard;

	if (h && __atomic_load_n(&h->map, __ATOMIC_RELAXED) == m)
		__atomic_store_n(&h->map, NULL, __ATOMIC_RELEASE);
	else
		__atomic_sub_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

EMU_API int bpfemu_is_map_fd(int fd)
{
	struct emu_map *m;
	int mode;

	if (emu_map_get(fd, &m, &mode))
		return 0;
	emu_map_put(m);
	return 1;
}

int emu_map_fd_id(int fd, uint32_t *id)
{
	struct emu_map *m;
	int mode, err = emu_map_get(fd, &m, &mode);

	if (err)
		return err;
	*id = m->hdr->id;
	emu_map_put(m);
	return 0;
}

void emu_mark_restricted(int fd)
{
	struct emu_map *m;
	int mode;

	/* mode is read from the fd only once this is set, so set it before anyone relies on it */
	if (!emu_map_get(fd, &m, &mode)) {
		__atomic_store_n(&m->hdr->restricted_fds, 1, __ATOMIC_RELEASE);
		emu_map_put(m);
		emu_fdcache_forget(fd); /* cached before the flag was set, with the wrong mode */
	}
}

/* The magic at the start of the file fd names (0 if none): read through a fresh open file
 * description, so fds opened write-only or with O_PATH can be asked too. */
uint64_t emu_fd_magic(int fd)
{
	struct stat st;
	char path[64];
	uint64_t magic = 0;
	int rfd;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return 0;
	if (pread(rfd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		magic = 0;
	close(rfd);
	return magic;
}

bool emu_is_object_fd(int fd)
{
	uint64_t magic = emu_fd_magic(fd);

	return magic == EMU_MAGIC || magic == EMU_PROG_MAGIC;
}

/*
 * The fd cache: under the preload library, which sees every close(), dup2() and close_range()
 * the program makes, an fd found to be a map stays known as that map until it is closed, and a
 * call costs no fstat(). Without the preload (in-process API) it stays off, because a close() we
 * cannot see could hand the number to another file.
 */
#define FDCACHE_SLOTS (1u << 20)
static uintptr_t *fdcache; /* map pointer | access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2) */

int emu_fdcache_enable(void)
{
	static pthread_mutex_t enable_lock = PTHREAD_MUTEX_INITIALIZER;
	void *p;
	int err = 0;

	pthread_mutex_lock(&enable_lock);
	if (!__atomic_load_n(&fdcache, __ATOMIC_ACQUIRE)) {
		p = mmap(NULL, FDCACHE_SLOTS * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			__atomic_store_n(&fdcache, p, __ATOMIC_RELEASE);
		else
			err = -errno;
	}
	pthread_mutex_unlock(&enable_lock);
	return err;
}

EMU_API int bpfemu_fdcache_enable(void)
{
	int err = emu_fdcache_enable();

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

EMU_API int bpfemu_close(int fd)
{
	emu_fdcache_forget(fd);
	return close(fd);
}

static inline bool fdcache_get(int fd, struct emu_map **out, int *accmode)
{
	uintptr_t *c = __atomic_load_n(&fdcache, __ATOMIC_ACQUIRE), v;
	struct hazard *h;

	if (!c || fd < 0 || (unsigned)fd >= FDCACHE_SLOTS)
		return false;
	v = __atomic_load_n(&c[fd], __ATOMIC_ACQUIRE);
	if (!v)
		return false;
	*out = (struct emu_map *)(v & ~(uintptr_t)3);
	*accmode = (int)(v & 3);
	h = my_hazard;
	if (!h && !my_hazard_tried)
		h = hazard_get_slow();
	if (h && !__atomic_load_n(&h->map, __ATOMIC_RELAXED))
		__atomic_store_n(&h->map, *out, __ATOMIC_RELEASE);
	else
		__atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_ACQ_REL);
	return true;
}

int emu_map_get(int fd, struct emu_map **out, int *accmode)
{
	/* a cached fd was entered by an earlier call that got past map_get_slow's pthread_once */
	if (fdcache_get(fd, out, accmode))
		return 0;
	return map_get_slow(fd, out, accmode);
}

static void cache_store(int fd, uintptr_t v)
{
	uintptr_t *c = __atomic_load_n(&fdcache, __ATOMIC_ACQUIRE), old;

	if (!c || fd < 0 || (unsigned)fd >= FDCACHE_SLOTS)
		return;
	if (v)
		__atomic_add_fetch(&((struct emu_map *)(v & ~(uintptr_t)3))->cache_refs, 1, __ATOMIC_ACQ_REL);
	old = __atomic_exchange_n(&c[fd], v, __ATOMIC_ACQ_REL);
	if (old)
		__atomic_sub_fetch(&((struct emu_map *)(old & ~(uintptr_t)3))->cache_refs, 1, __ATOMIC_ACQ_REL);
}

void emu_fdcache_put(int fd, struct emu_map *m, int accmode)
{
	if (__atomic_load_n(&fdcache, __ATOMIC_RELAXED))
		cache_store(fd, (uintptr_t)m | (uintptr_t)(accmode & 3));
}

void emu_fdcache_forget(int fd)
{
	cache_store(fd, 0);
}

void emu_fdcache_forget_range(unsigned lo, unsigned hi)
{
	if (!__atomic_load_n(&fdcache, __ATOMIC_RELAXED))
		return;
	if (hi >= FDCACHE_SLOTS)
		hi = FDCACHE_SLOTS - 1;
	for (unsigned fd = lo; fd <= hi; fd++)
		cache_store((int)fd, 0);
}
