/* SPDX-License-Identifier: MIT */
/*
 * bpfemu-bench: one workload against the kernel's bpf() and against the emulator, in one run.
 *
 * Targets:
 *   kernel      syscall(__NR_bpf, ...) in this process.
 *   shim        the very same syscall() call, made by a copy of this program started with
 *               LD_PRELOAD naming the preload module: what an unmodified program pays, with the
 *               dynamic linker's interposition, the shim's fd cache and nothing else.
 *   in-process  bpfemu_bpf(), linked in, with the opt-in fd cache on (bpfemu_fdcache_enable(),
 *               fds closed with bpfemu_close()); --no-fdcache measures the default, which
 *               identifies the map with one fstat() per call.
 *   floor       what any implementation must do per operation: copy the key in, hash it with
 *               the emulator's lookup3, copy key and value to or from a slot of a table as big
 *               as the map.
 *
 * A round runs every operation once on every target, in an order that rotates from operation to
 * operation and round to round, so a burst of load from elsewhere on the machine lands on all of
 * them alike; the table shows the median over rounds (of each round's median over chunks, see
 * "Timing" below). Attr sizes are libbpf's, so the kernel and the emulator get the calls libbpf
 * would make. Also measured: 2 threads against 1 (see "2 threads against 1") and memory per
 * element against the kernel's own accounting (fdinfo memlock, which bpftool shows).
 *
 * --callgrind runs the emulator targets under valgrind instead and prints instructions per
 * operation: the figure that does not move with the machine's load. (The kernel's own
 * instructions are invisible to callgrind, so the kernel has no column there.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "util/compiler.h" /* emu_round_up */
#include "util/hash.h"     /* emu_jhash_key: the floor hashes exactly as the emulator does */

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define HAVE_CALLGRIND 0
#define CALLGRIND_TOGGLE_COLLECT do { } while (0)
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef BPFEMU_BENCH_PRELOAD
#define BPFEMU_BENCH_PRELOAD "libbpfemu-preload.so"
#endif

#define OFFSETOFEND(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
/* what libbpf passes as `size` for each command */
#define CREATE_ATTR_SZ OFFSETOFEND(union bpf_attr, map_extra)
#define ELEM_ATTR_SZ OFFSETOFEND(union bpf_attr, flags)
#define NEXT_ATTR_SZ OFFSETOFEND(union bpf_attr, next_key)
#define BATCH_ATTR_SZ OFFSETOFEND(union bpf_attr, batch)

#define BATCH_COUNT 256u   /* elements asked for per batch call */
#define MAX_ROUNDS 64
#define MAX_KEY 16u

static inline uint64_t ptr64(const void *p) { return (uint64_t)(uintptr_t)p; }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfemu-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- what is measured ---- */

enum { F_HASH, F_ARRAY, F_QS };

struct cfg {
	const char *name;
	const char *label; /* for the table's heading */
	uint32_t type, ks, vs, max;
	uint32_t base; /* keys that stay in the map throughout */
	uint32_t work; /* keys the element operations cycle through */
	bool small;    /* the 25x target applies */
	bool threads_only;
	uint32_t map_flags;
};

/* 1M: a full map, so lookups walk real chains and miss the caches; the working set is a slice of
 * it. LRU keeps half its capacity in use, so only operations the workload asks for evict. */
static const struct cfg cfgs[] = {
	{ "hash64", "HASH, 64 entries", BPF_MAP_TYPE_HASH, 8, 8, 64, 0, 64, true, false, 0 },
	{ "hash1m", "HASH, 1M entries (full)", BPF_MAP_TYPE_HASH, 8, 8, 1u << 20, (1u << 20) - 65536, 65536,
	  false, false, 0 },
	{ "percpu_hash", "PERCPU_HASH, 1024 entries", BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 1024, 0, 1024, true, false, 0 },
	{ "lru_hash", "LRU_HASH, 1024 entries (512 in use)", BPF_MAP_TYPE_LRU_HASH, 8, 8, 1024, 0, 512, true,
	  false, 0 },
	{ "array", "ARRAY, 1024 entries", BPF_MAP_TYPE_ARRAY, 4, 8, 1024, 0, 1024, true, false, 0 },
	{ "percpu_array", "PERCPU_ARRAY, 1024 entries", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1024, 0, 1024, true,
	  false, 0 },
	{ "queue", "QUEUE, 1024 entries", BPF_MAP_TYPE_QUEUE, 0, 8, 1024, 0, 1024, true, false, 0 },
	{ "stack", "STACK, 1024 entries", BPF_MAP_TYPE_STACK, 0, 8, 1024, 0, 1024, true, false, 0 },
	/* 2 threads on distinct keys: each thread updates its own half ("threads" runs them all) */
	{ "threads_hash", "HASH, 16384 entries", BPF_MAP_TYPE_HASH, 8, 8, 16384, 0, 16384, false, true, 0 },
	{ "threads_percpu_hash", "PERCPU_HASH, 16384 entries", BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 16384, 0, 16384,
	  false, true, 0 },
	{ "threads_array", "ARRAY, 16384 entries", BPF_MAP_TYPE_ARRAY, 4, 8, 16384, 0, 16384, false, true, 0 },
	{ "threads_lru_hash", "LRU_HASH, 32768 entries (16384 in use)", BPF_MAP_TYPE_LRU_HASH, 8, 8, 32768, 0, 16384,
	  false, true, 0 },
	{ "threads_lru_nocommon", "LRU_HASH NO_COMMON_LRU, 32768 entries (16384 in use)", BPF_MAP_TYPE_LRU_HASH, 8, 8,
	  32768, 0, 16384, false, true, BPF_F_NO_COMMON_LRU },
};
#define NCFGS (int)(sizeof(cfgs) / sizeof(cfgs[0]))

static int family(const struct cfg *c)
{
	switch (c->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY: return F_ARRAY;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK: return F_QS;
	default: return F_HASH;
	}
}

static bool percpu(const struct cfg *c)
{
	return c->type == BPF_MAP_TYPE_PERCPU_HASH || c->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       c->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

enum {
	OP_UPD_NEW, OP_UPD_EXIST, OP_LOOKUP_HIT, OP_LOOKUP_MISS, OP_DELETE, OP_LOOKUP_DEL, OP_PUSH, OP_POP,
	OP_WALK, OP_BATCH_LOOKUP, OP_BATCH_DRAIN, NOPS
};
static const char *const opname[NOPS] = {
	"update new", "update existing", "lookup hit", "lookup miss", "delete", "lookup_and_delete",
	"push", "pop", "get_next_key (walk)", "batch lookup", "batch lookup_and_delete (drain)",
};

static bool applies(const struct cfg *c, int op)
{
	switch (family(c)) {
	case F_QS: return op == OP_PUSH || op == OP_POP;
	case F_ARRAY:
		return op == OP_UPD_EXIST || op == OP_LOOKUP_HIT || op == OP_LOOKUP_MISS || op == OP_WALK ||
		       op == OP_BATCH_LOOKUP;
	default: return op != OP_PUSH && op != OP_POP;
	}
}

/* Elements one repetition of an operation handles (what ns/op divides by). */
static uint32_t per_rep(const struct cfg *c, int op)
{
	if (op == OP_WALK || op == OP_BATCH_LOOKUP || op == OP_BATCH_DRAIN)
		return family(c) == F_ARRAY ? c->max : c->base + c->work;
	return c->work;
}

enum { T_KERNEL, T_SHIM, T_INPROC, T_FLOOR, NTARGETS };
static const char *const tname[NTARGETS] = { "kernel", "shim", "in-process", "floor" };

typedef long (*bpf_fn)(int cmd, union bpf_attr *attr, unsigned size);

/* The kernel, or the shim when LD_PRELOAD put it in front of libc's syscall(). */
static long via_syscall(int cmd, union bpf_attr *attr, unsigned size)
{
	return syscall(__NR_bpf, (long)cmd, attr, (long)size);
}

static long via_inproc(int cmd, union bpf_attr *attr, unsigned size)
{
	return bpfemu_bpf(cmd, attr, size);
}

/* ---- one target's instance of one configuration ---- */

struct inst {
	const struct cfg *cf;
	int target;
	bpf_fn bpf;
	int fd;
	uint32_t vb;    /* bytes of one value in user buffers (all CPUs for per-CPU maps) */
	uint32_t nkeys; /* base + work */
	char *keys;     /* the base keys, then the working set */
	char *miss;     /* `work` keys that are never in the map */
	char *vals;     /* one value per key */
	char *out;
	char *bkeys, *bvals;
	/* floor: a table shaped like the map */
	char *table;
	uint32_t mask, esz, koff, seed, ring;
	uint64_t errors;
	char err[200];
};

static uint32_t nr_cpus;
static bool cg_collect; /* under callgrind: count only the timed parts */

static void bad(struct inst *t, const char *what, int r, int want)
{
	t->errors++;
	if (!t->err[0])
		snprintf(t->err, sizeof(t->err), "%s %s: returned %d (%s), expected %s", tname[t->target], what, r,
			 r < 0 ? strerror(errno) : "-", want ? strerror(want) : "success");
}

/* r == 0, or -1 with errno == want */
#define EXPECT(t, r, want, what)                                                                   \
	do {                                                                                       \
		int r_ = (r);                                                                      \
		if (__builtin_expect((want) ? !(r_ == -1 && errno == (want)) : r_ != 0, 0))        \
			bad((t), (what), r_, (want));                                              \
	} while (0)

static inline int bpf_elem(struct inst *t, int cmd, const void *key, void *val, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, ELEM_ATTR_SZ);
	a.map_fd = (uint32_t)t->fd;
	a.key = ptr64(key);
	a.value = ptr64(val);
	a.flags = flags;
	return (int)t->bpf(cmd, &a, ELEM_ATTR_SZ);
}

static inline int bpf_next(struct inst *t, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, NEXT_ATTR_SZ);
	a.map_fd = (uint32_t)t->fd;
	a.key = ptr64(key);
	a.next_key = ptr64(next);
	return (int)t->bpf(BPF_MAP_GET_NEXT_KEY, &a, NEXT_ATTR_SZ);
}

static int bpf_batch(struct inst *t, int cmd, const void *in, void *out, void *keys, void *vals, uint32_t *count)
{
	union bpf_attr a;
	int r;

	memset(&a, 0, BATCH_ATTR_SZ);
	a.batch.in_batch = ptr64(in);
	a.batch.out_batch = ptr64(out);
	a.batch.keys = ptr64(keys);
	a.batch.values = ptr64(vals);
	a.batch.count = *count;
	a.batch.map_fd = (uint32_t)t->fd;
	r = (int)t->bpf(cmd, &a, BATCH_ATTR_SZ);
	*count = a.batch.count;
	return r;
}

static uint64_t hash_key_value(uint32_t i) { return ((uint64_t)i + 1) * 0x9e3779b97f4a7c15ull; }

static void make_keys(struct inst *t)
{
	const struct cfg *c = t->cf;
	uint32_t n = t->nkeys, s = 0x2545f491u;

	t->keys = xcalloc(n, c->ks);
	t->miss = xcalloc(c->work, c->ks);
	t->vals = xcalloc(n, t->vb);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = hash_key_value(i) ^ 0x5a5a5a5a5a5a5a5aull;

		for (uint32_t o = 0; o + 8 <= t->vb; o += 8)
			memcpy(t->vals + (size_t)i * t->vb + o, &v, 8);
		if (family(c) == F_HASH) {
			uint64_t k = hash_key_value(i);

			memcpy(t->keys + (size_t)i * c->ks, &k, 8);
		} else if (family(c) == F_ARRAY) {
			memcpy(t->keys + (size_t)i * 4, &i, 4);
		}
	}
	/* arrays: the working set visits the indices in a shuffled order (hash keys are spread by
	 * the hash itself). Not for the thread runs: each thread's half of the indices stays one
	 * range, as each thread's hash elements are (inserted in order), or the two threads would
	 * write the same cache lines, 8 values a line (1.4x instead of 1.9x here; the kernel's
	 * ~1 us per call hides that). */
	if (family(c) == F_ARRAY && !c->threads_only)
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j, tmp;

			s ^= s << 13;
			s ^= s >> 17;
			s ^= s << 5;
			j = s % (i + 1);
			memcpy(&tmp, t->keys + (size_t)i * 4, 4);
			memcpy(t->keys + (size_t)i * 4, t->keys + (size_t)j * 4, 4);
			memcpy(t->keys + (size_t)j * 4, &tmp, 4);
		}
	for (uint32_t i = 0; i < c->work; i++) {
		if (family(c) == F_HASH) {
			uint64_t k = hash_key_value(c->max + 16 + i);

			memcpy(t->miss + (size_t)i * 8, &k, 8);
		} else if (family(c) == F_ARRAY) {
			uint32_t k = c->max + i;

			memcpy(t->miss + (size_t)i * 4, &k, 4);
		}
	}
}

static int map_create(bpf_fn bpf, const struct cfg *c)
{
	union bpf_attr a;

	memset(&a, 0, CREATE_ATTR_SZ);
	a.map_type = c->type;
	a.key_size = c->ks;
	a.value_size = c->vs;
	a.max_entries = c->max;
	a.map_flags = c->map_flags;
	strcpy(a.map_name, "bench");
	return (int)bpf(BPF_MAP_CREATE, &a, CREATE_ATTR_SZ);
}

/* Keys [from, to) into the map, by batches: the kernel fills a 1M map several times faster so. */
static void fill_range(struct inst *t, uint32_t from, uint32_t to)
{
	const struct cfg *c = t->cf;

	if (family(c) == F_QS) {
		for (uint32_t i = from; i < to; i++)
			EXPECT(t, bpf_elem(t, BPF_MAP_UPDATE_ELEM, NULL, t->vals + (size_t)i * t->vb, BPF_ANY), 0, "push");
		return;
	}
	while (from < to) {
		uint32_t n = to - from < 4096 ? to - from : 4096, cnt = n;

		EXPECT(t, bpf_batch(t, BPF_MAP_UPDATE_BATCH, NULL, NULL, t->keys + (size_t)from * c->ks,
				    t->vals + (size_t)from * t->vb, &cnt), 0, "update batch");
		if (cnt != n)
			bad(t, "update batch count", (int)cnt, 0);
		from += n;
	}
}

static void inst_init(struct inst *t, const struct cfg *c, int target)
{
	memset(t, 0, sizeof(*t));
	t->cf = c;
	t->target = target;
	t->fd = -1;
	t->vb = percpu(c) ? emu_round_up(c->vs, 8) * nr_cpus : c->vs;
	t->nkeys = family(c) == F_ARRAY ? c->max : c->base + c->work;
	make_keys(t);
	t->out = xcalloc(1, t->vb + 64);
	t->bkeys = xcalloc(BATCH_COUNT, c->ks ? c->ks : 1);
	t->bvals = xcalloc(BATCH_COUNT, t->vb);
}

static uint32_t pow2_at_least(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* Create the map and put the configuration's steady state in it: every key (hash family), every
 * index written (arrays), empty (queue and stack). 0, or -errno of the create. */
static int inst_setup(struct inst *t, const struct cfg *c, int target, bpf_fn bpf)
{
	inst_init(t, c, target);
	t->bpf = bpf;
	if (target == T_FLOOR) {
		uint32_t slots = pow2_at_least(c->max + 1);

		/* hash slots hold key and value, array and ring slots the value only */
		t->koff = family(c) == F_HASH ? emu_round_up(c->ks, 8) : 0;
		t->esz = t->koff + emu_round_up(t->vb, 8);
		t->mask = slots - 1;
		t->ring = c->max + 1;
		t->seed = 0x9747b28cu;
		t->table = xcalloc(slots, t->esz);
		return 0;
	}
	t->fd = map_create(bpf, c);
	if (t->fd < 0)
		return -errno;
	if (family(c) != F_QS)
		fill_range(t, 0, t->nkeys);
	return 0;
}

/* In-process map fds are closed through the library, as its fd cache asks. */
static void close_map(int target, int fd)
{
	if (fd < 0)
		return;
	if (target == T_INPROC)
		bpfemu_close(fd);
	else
		close(fd);
}

static void inst_free(struct inst *t)
{
	close_map(t->target, t->fd);
	free(t->keys);
	free(t->miss);
	free(t->vals);
	free(t->out);
	free(t->bkeys);
	free(t->bvals);
	free(t->table);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/*
 * Timing. The machine is shared, so a timed stretch may include another process's time slice.
 * Each operation is timed in chunks of CHUNK calls (a batch call, a chunk of its own), and a
 * run's figure is the median of its chunks' time per call: the chunks that a preemption or an
 * interrupt landed in drop out, for every target alike. The clock is the TSC where there is
 * one (a vDSO clock_gettime costs ~60 ns in this VM), converted to ns by the parent.
 */
#define CHUNK 64u

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return now_ns();
#endif
}

static double ns_per_tick = 1;

static void calibrate_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t n0 = now_ns(), t0 = ticks(), n1, t1;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	n1 = now_ns();
	t1 = ticks();
	if (t1 > t0)
		ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
#endif
}

struct meas {
	uint64_t n;      /* operations done */
	double per_op;   /* median over chunks, in ticks per operation */
	double *v;       /* chunk samples */
	uint32_t nv, cap;
};

static void meas_reset(struct meas *m)
{
	m->n = 0;
	m->nv = 0;
	m->per_op = 0;
}

static void meas_add(struct meas *m, uint64_t dt, uint64_t n)
{
	if (!n)
		return;
	if (m->nv == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 1024;
		double *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			die("out of memory");
		m->v = v;
		m->cap = cap;
	}
	m->v[m->nv++] = (double)dt / (double)n;
	m->n += n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void meas_finish(struct meas *m)
{
	if (!m->nv) {
		m->per_op = 0;
		return;
	}
	qsort(m->v, m->nv, sizeof(*m->v), cmp_double);
	m->per_op = m->nv % 2 ? m->v[m->nv / 2] : (m->v[m->nv / 2 - 1] + m->v[m->nv / 2]) / 2;
}

static inline uint64_t timed_begin(void)
{
	uint64_t t0 = ticks();

	if (cg_collect)
		CALLGRIND_TOGGLE_COLLECT;
	return t0;
}

static inline uint64_t timed_end(uint64_t t0)
{
	if (cg_collect)
		CALLGRIND_TOGGLE_COLLECT;
	return ticks() - t0;
}

/* `body` for i from 0 to n-1, timed CHUNK iterations at a time */
#define TIMED_LOOP(m, n, i, body)                                                                 \
	for (uint32_t i##_from = 0; i##_from < (n); i##_from += CHUNK) {                         \
		uint32_t i##_to = (n) - i##_from > CHUNK ? i##_from + CHUNK : (n);                \
		uint64_t t0_ = timed_begin();                                                     \
		for (uint32_t i = i##_from; i < i##_to; i++) {                                    \
			body;                                                                     \
		}                                                                                 \
		meas_add((m), timed_end(t0_), i##_to - i##_from);                                 \
	}

static void work_remove(struct inst *t)
{
	const struct cfg *c = t->cf;

	for (uint32_t i = c->base; i < t->nkeys; i++)
		bpf_elem(t, BPF_MAP_DELETE_ELEM, t->keys + (size_t)i * c->ks, NULL, 0);
}

static void work_insert(struct inst *t)
{
	fill_range(t, t->cf->base, t->nkeys);
}

/* A whole batch walk, each call timed on its own; the elements it returned. */
static uint32_t batch_loop(struct inst *t, int cmd, struct meas *m)
{
	uint64_t in = 0, out = 0;
	uint32_t total = 0;
	const void *pin = NULL;
	int r;

	for (;;) {
		uint32_t cnt = BATCH_COUNT;
		uint64_t t0 = timed_begin(), dt;

		r = bpf_batch(t, cmd, pin, &out, t->bkeys, t->bvals, &cnt);
		dt = timed_end(t0);
		/* the last call may return nothing: its time then belongs to the walk, not a chunk */
		if (cnt)
			meas_add(m, dt, cnt);
		total += cnt;
		if (r)
			break;
		in = out;
		pin = &in;
	}
	EXPECT(t, r, ENOENT, cmd == BPF_MAP_LOOKUP_BATCH ? "batch lookup end" : "batch drain end");
	return total;
}

/* One operation, `reps` times, on a map target; only the operation itself is timed, and the map
 * is back in its steady state afterwards. */
static void run_map_op(struct inst *t, int op, unsigned reps, struct meas *m)
{
	const struct cfg *c = t->cf;
	uint32_t ks = c->ks, vb = t->vb, K = c->work, B = c->base;
	char *wk = t->keys + (size_t)B * ks, *wv = t->vals + (size_t)B * vb;

	meas_reset(m);
	for (unsigned r = 0; r < reps; r++) {
		uint32_t n;

		switch (op) {
		case OP_UPD_NEW:
			work_remove(t);
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_UPDATE_ELEM, wk + (size_t)i * ks, wv + (size_t)i * vb, BPF_ANY),
					  0, "update new"));
			break;
		case OP_UPD_EXIST:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_UPDATE_ELEM, wk + (size_t)i * ks, wv + (size_t)i * vb, BPF_ANY),
					  0, "update existing"));
			break;
		case OP_LOOKUP_HIT:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_LOOKUP_ELEM, wk + (size_t)i * ks, t->out, 0), 0, "lookup hit"));
			break;
		case OP_LOOKUP_MISS:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_LOOKUP_ELEM, t->miss + (size_t)i * ks, t->out, 0), ENOENT,
					  "lookup miss"));
			break;
		case OP_DELETE:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_DELETE_ELEM, wk + (size_t)i * ks, NULL, 0), 0, "delete"));
			work_insert(t);
			break;
		case OP_LOOKUP_DEL:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_LOOKUP_AND_DELETE_ELEM, wk + (size_t)i * ks, t->out, 0), 0,
					  "lookup_and_delete"));
			work_insert(t);
			break;
		case OP_PUSH:
			TIMED_LOOP(m, K, i,
				   EXPECT(t, bpf_elem(t, BPF_MAP_UPDATE_ELEM, NULL, wv + (size_t)i * vb, BPF_ANY), 0, "push"));
			for (uint32_t i = 0; i < K; i++)
				bpf_elem(t, BPF_MAP_LOOKUP_AND_DELETE_ELEM, NULL, t->out, 0);
			break;
		case OP_POP:
			fill_range(t, 0, K);
			TIMED_LOOP(m, K, i, EXPECT(t, bpf_elem(t, BPF_MAP_LOOKUP_AND_DELETE_ELEM, NULL, t->out, 0), 0, "pop"));
			break;
		case OP_WALK: {
			unsigned char kb[2][MAX_KEY];
			const void *prev = NULL;
			int cur = 0, rc = 0;

			n = 0;
			while (!rc) {
				uint64_t t0 = timed_begin();
				uint32_t k = 0;

				while (k < CHUNK && !(rc = bpf_next(t, prev, kb[cur]))) {
					prev = kb[cur];
					cur ^= 1;
					k++;
				}
				meas_add(m, timed_end(t0), k + (rc != 0)); /* the call that ends the walk counts */
				n += k;
			}
			EXPECT(t, rc, ENOENT, "get_next_key end");
			if (n != per_rep(c, op))
				bad(t, "walk length", (int)n, 0);
			break;
		}
		case OP_BATCH_LOOKUP:
			n = batch_loop(t, BPF_MAP_LOOKUP_BATCH, m);
			if (n != per_rep(c, op))
				bad(t, "batch lookup count", (int)n, 0);
			break;
		case OP_BATCH_DRAIN:
			n = batch_loop(t, BPF_MAP_LOOKUP_AND_DELETE_BATCH, m);
			if (n != per_rep(c, op))
				bad(t, "batch drain count", (int)n, 0);
			fill_range(t, 0, t->nkeys);
			break;
		default:
			break;
		}
	}
	meas_finish(m);
}

/* ---- the floor ---- */

#define SINK(p) __asm__ volatile("" : : "r"(p) : "memory")

static inline char *fl_slot(struct inst *t, const void *ukey, void *kb)
{
	uint32_t ks = t->cf->ks;

	memcpy(kb, ukey, ks);
	return t->table + (size_t)(emu_jhash_key(kb, ks, t->seed) & t->mask) * t->esz;
}

static inline char *fl_index(struct inst *t, const void *ukey)
{
	uint32_t idx;

	memcpy(&idx, ukey, 4);
	return idx < t->cf->max ? t->table + (size_t)idx * t->esz : NULL;
}

/* The floor of each operation: its key copied in and hashed (arrays: bounds-checked), its key and
 * value copied to or from a slot. No locking, no checks, no attr. */
static void run_floor_op(struct inst *t, int op, unsigned reps, struct meas *m)
{
	const struct cfg *c = t->cf;
	uint32_t ks = c->ks, vb = t->vb, K = c->work, B = c->base, all = per_rep(c, OP_WALK);
	const char *wk = t->keys + (size_t)B * ks, *wv = t->vals + (size_t)B * vb;
	bool arr = family(c) == F_ARRAY;
	unsigned char kb[MAX_KEY];

	meas_reset(m);
	for (unsigned r = 0; r < reps; r++) {
		switch (op) {
		case OP_UPD_NEW:
		case OP_UPD_EXIST:
			TIMED_LOOP(m, K, i, {
				char *e = arr ? fl_index(t, wk + (size_t)i * ks) : fl_slot(t, wk + (size_t)i * ks, kb);

				if (!arr)
					memcpy(e, kb, ks);
				memcpy(e + t->koff, wv + (size_t)i * vb, vb);
				SINK(e);
			});
			break;
		case OP_LOOKUP_HIT:
		case OP_LOOKUP_DEL:
			TIMED_LOOP(m, K, i, {
				char *e = arr ? fl_index(t, wk + (size_t)i * ks) : fl_slot(t, wk + (size_t)i * ks, kb);

				memcpy(t->out, e + t->koff, vb);
				SINK(t->out);
			});
			break;
		case OP_LOOKUP_MISS:
		case OP_DELETE:
			TIMED_LOOP(m, K, i, {
				const char *k = (op == OP_DELETE ? wk : t->miss) + (size_t)i * ks;
				char *e = arr ? fl_index(t, k) : fl_slot(t, k, kb);
				int same = e && !memcmp(e, kb, ks);

				SINK((uintptr_t)same);
			});
			break;
		case OP_PUSH:
			TIMED_LOOP(m, K, i, {
				memcpy(t->table + (size_t)(i % t->ring) * t->esz, wv + (size_t)i * vb, vb);
				SINK(t->table);
			});
			break;
		case OP_POP:
			TIMED_LOOP(m, K, i, {
				memcpy(t->out, t->table + (size_t)(i % t->ring) * t->esz, vb);
				SINK(t->out);
			});
			break;
		case OP_WALK:
			TIMED_LOOP(m, all, i, {
				const char *k = t->keys + (size_t)i * ks;
				char *e = arr ? fl_index(t, k) : fl_slot(t, k, kb);

				memcpy(t->out, e, ks);
				SINK(t->out);
			});
			break;
		case OP_BATCH_LOOKUP:
		case OP_BATCH_DRAIN:
			for (uint32_t from = 0; from < all; from += BATCH_COUNT) {
				uint32_t to = all - from > BATCH_COUNT ? from + BATCH_COUNT : all;
				uint64_t t0 = timed_begin();

				for (uint32_t i = from; i < to; i++) {
					const char *e = t->table + (size_t)(i & t->mask) * t->esz;

					memcpy(t->bkeys + (size_t)(i - from) * ks, e, ks);
					memcpy(t->bvals + (size_t)(i - from) * vb, e + t->koff, vb);
				}
				SINK(t->bvals);
				meas_add(m, timed_end(t0), to - from);
			}
			break;
		default:
			break;
		}
	}
	meas_finish(m);
}

static void run_op(struct inst *t, int op, unsigned reps, struct meas *m)
{
	if (t->target == T_FLOOR)
		run_floor_op(t, op, reps, m);
	else
		run_map_op(t, op, reps, m);
}

/* ---- threads ---- */

/*
 * 2 threads against 1. On a machine whose CPUs other processes want too, a wall-clock ratio
 * measures the machine's load as much as the map's locking (the kernel itself then "scales" 1x).
 * So each thread also reads its own CPU time and its voluntary context switches (sleeps: a lock
 * it had to wait for). While threads rarely sleep, 2 threads on 2 free CPUs would do
 * 2 x (CPU per update with 1 thread) / (CPU per update with 2 threads) as many updates per
 * second: contention that costs CPU (cache lines moving between CPUs, spinning) shows in the
 * second figure, and sleeping on a lock shows in the sleeps per 1000 updates, which must stay
 * near 0 for the estimate to hold. The kernel's row, measured alongside, is the reference.
 */
struct thr_res {
	int realtime;      /* the run had SCHED_FIFO: CPUs of its own */
	int pinned;        /* threads pinned to a CPU of their own (thread i to the i-th usable CPU) */
	double wall_rate;  /* updates per second, wall clock */
	double cpu_per_op; /* ns of thread CPU time per update, all threads */
	double sleeps;     /* voluntary context switches per 1000 updates */
};

struct thr {
	struct inst *t;
	uint32_t first, count;
	volatile int *stop;
	pthread_barrier_t *bar;
	uint64_t n, errors, cpu_ns, nvcsw;
	int cpu; /* pinned to this CPU, or -1 */
};

/* Thread i runs on the i-th CPU the process may use, so each has a CPU of its own and an LRU map's
 * inserts use that CPU's lists on the kernel and the emulator alike: -1 where there is none. */
static int thread_cpu(int i)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && i-- == 0)
			return c;
	return -1;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_sleeps(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_nvcsw;
}

static void *thr_main(void *p)
{
	struct thr *a = p;
	struct inst *t = a->t;
	uint32_t ks = t->cf->ks, vb = t->vb, pos = 0;
	uint64_t c0, s0;

	if (a->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			a->cpu = -1;
	}
	pthread_barrier_wait(a->bar);
	c0 = thread_cpu_ns();
	s0 = thread_sleeps();
	while (!__atomic_load_n(a->stop, __ATOMIC_RELAXED)) {
		for (int j = 0; j < 64; j++) {
			uint32_t i = a->first + pos;

			if (bpf_elem(t, BPF_MAP_UPDATE_ELEM, t->keys + (size_t)i * ks, t->vals + (size_t)i * vb, BPF_ANY))
				a->errors++;
			if (++pos == a->count)
				pos = 0;
		}
		a->n += 64;
	}
	a->cpu_ns = thread_cpu_ns() - c0;
	a->nvcsw = thread_sleeps() - s0;
	return NULL;
}

/* Updates of existing keys for `ms` milliseconds by `nthreads` (1 or 2) threads, each on its own
 * keys. */
static void thread_rate(struct inst *t, int nthreads, unsigned ms, bool realtime, struct thr_res *res)
{
	pthread_t th[2];
	struct thr a[2];
	pthread_barrier_t bar;
	volatile int stop = 0;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	uint64_t t0, dt, n = 0, cpu = 0, sleeps = 0;
	struct sched_param rt_main = { .sched_priority = 2 }, rt_thr = { .sched_priority = 1 }, old_param;
	int old_policy = SCHED_OTHER;
	pthread_attr_t attr;

	/*
	 * Where permitted (root), the run is real-time for its 100 ms or so, and its threads get CPUs
	 * of their own however busy the machine is: only then do 2 threads really run at once and
	 * contend as they would on an idle machine. The timing thread has the higher priority, or
	 * the busy threads would keep it from ever waking to stop them. The kernel's RT throttling
	 * still leaves other processes 5% of each second.
	 */
	pthread_attr_init(&attr);
	res->realtime = realtime && !pthread_getschedparam(pthread_self(), &old_policy, &old_param) &&
			!pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt_main);
	if (res->realtime && (pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) ||
			      pthread_attr_setschedpolicy(&attr, SCHED_FIFO) ||
			      pthread_attr_setschedparam(&attr, &rt_thr))) {
		pthread_setschedparam(pthread_self(), old_policy, &old_param);
		pthread_attr_destroy(&attr);
		pthread_attr_init(&attr);
		res->realtime = 0;
	}
	pthread_barrier_init(&bar, NULL, (unsigned)nthreads + 1);
	res->pinned = 0;
	for (int i = 0; i < nthreads; i++) {
		/* thread i works on half i of the keys, whether or not the other half has a thread:
		 * a lone thread cycling through all of them would have twice the working set */
		a[i] = (struct thr){ t, t->nkeys / 2 * (uint32_t)i, t->nkeys / 2, &stop, &bar, 0, 0, 0, 0, thread_cpu(i) };
		if (pthread_create(&th[i], &attr, thr_main, &a[i]))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&bar);
	t0 = now_ns();
	nanosleep(&ts, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		res->pinned += a[i].cpu >= 0;
		n += a[i].n;
		cpu += a[i].cpu_ns;
		sleeps += a[i].nvcsw;
		if (a[i].errors)
			bad(t, "threaded update", -1, 0);
	}
	dt = now_ns() - t0;
	pthread_barrier_destroy(&bar);
	pthread_attr_destroy(&attr);
	if (res->realtime)
		pthread_setschedparam(pthread_self(), old_policy, &old_param);
	res->wall_rate = n ? (double)n * 1e9 / (double)dt : 0;
	res->cpu_per_op = n ? (double)cpu / (double)n : 0;
	res->sleeps = n ? (double)sleeps * 1000 / (double)n : 0;
}

/* ---- the shim target: this program again, preloaded, driven over a pipe ---- */

/* Emulated map fds are regular files, the kernel's are anonymous inodes. (fstat is not one of
 * the calls the preload answers for, and it refuses to let a program map a map file, so the
 * emulator's own bpfemu_is_map_fd() cannot tell from inside a preloaded process.) */
/* Whether the preload made this map: its file is a regular one. Asked with a raw statx, which the
 * preload passes on: fstat() of a map fd shows the kernel's anonymous inode under it. */
static bool is_emulated_fd(int fd)
{
	struct statx stx;

	return !syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) && S_ISREG(stx.stx_mode);
}

enum { W_SETUP, W_RUN, W_THREADS, W_TEARDOWN, W_QUIT };

struct wcmd {
	int kind, cfg, op, nthreads, realtime;
	unsigned reps, ms;
};

struct wrep {
	int status;   /* 0, or -errno of the map create */
	double value; /* W_RUN: ticks per operation */
	struct thr_res thr;
	uint64_t n, errors;
	char err[200];
};

static int w_cmd_fd = -1, w_rep_fd = -1;
static pid_t w_pid;

static void xwrite(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("pipe write: %s", strerror(errno));
		p = (const char *)p + r;
		n -= (size_t)r;
	}
}

static bool xread(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return true;
}

static int worker_main(int in, int out)
{
	struct inst insts[NCFGS];
	struct meas m = { 0 };
	struct wcmd c;

	memset(insts, 0, sizeof(insts));
	for (int i = 0; i < NCFGS; i++)
		insts[i].fd = -1;
	while (xread(in, &c, sizeof(c))) {
		struct wrep r = { 0 };
		struct inst *t = c.cfg >= 0 && c.cfg < NCFGS ? &insts[c.cfg] : NULL;

		if (c.kind == W_QUIT || !t)
			break;
		switch (c.kind) {
		case W_SETUP:
			r.status = inst_setup(t, &cfgs[c.cfg], T_SHIM, via_syscall);
			/* A kernel map fd here would mean the preload is not in front of libc. */
			if (!r.status && !is_emulated_fd(t->fd)) {
				r.status = -ENOSYS;
				snprintf(r.err, sizeof(r.err), "the map was not emulated: LD_PRELOAD not effective");
			}
			break;
		case W_RUN:
			run_op(t, c.op, c.reps, &m);
			r.value = m.per_op;
			r.n = m.n;
			break;
		case W_THREADS:
			thread_rate(t, c.nthreads, c.ms, c.realtime, &r.thr);
			break;
		case W_TEARDOWN:
			inst_free(t);
			break;
		default:
			break;
		}
		if (t->cf) {
			r.errors = t->errors;
			if (t->err[0])
				snprintf(r.err, sizeof(r.err), "%s", t->err);
		}
		xwrite(out, &r, sizeof(r));
	}
	return 0;
}

static char self_exe[PATH_MAX];

static bool start_worker(const char *preload)
{
	int cp[2], rp[2];

	if (access(preload, R_OK)) {
		fprintf(stderr, "bpfemu-bench: no preload module at %s: no shim column\n", preload);
		return false;
	}
	if (pipe2(cp, O_CLOEXEC) || pipe2(rp, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	w_pid = fork();
	if (w_pid < 0)
		die("fork: %s", strerror(errno));
	if (!w_pid) {
		char a[16], b[16];

		/* only the worker's two ends cross exec */
		if (fcntl(cp[0], F_SETFD, 0) || fcntl(rp[1], F_SETFD, 0))
			_exit(127);
		snprintf(a, sizeof(a), "%d", cp[0]);
		snprintf(b, sizeof(b), "%d", rp[1]);
		setenv("LD_PRELOAD", preload, 1);
		execl(self_exe, "bpfemu-bench", "--worker", a, b, (char *)NULL);
		_exit(127);
	}
	close(cp[0]);
	close(rp[1]);
	w_cmd_fd = cp[1];
	w_rep_fd = rp[0];
	return true;
}

static int worker_call(const struct wcmd *c, struct wrep *r)
{
	xwrite(w_cmd_fd, c, sizeof(*c));
	if (!xread(w_rep_fd, r, sizeof(*r)))
		die("the shim worker died");
	return r->status;
}

static void stop_worker(void)
{
	struct wcmd c = { .kind = W_QUIT };

	if (w_cmd_fd < 0)
		return;
	xwrite(w_cmd_fd, &c, sizeof(c));
	close(w_cmd_fd);
	close(w_rep_fd);
	waitpid(w_pid, NULL, 0);
	w_cmd_fd = w_rep_fd = -1;
}

/* ---- options ---- */

static struct {
	unsigned rounds, ops, threads_ms, threads_rounds, cg_ops;
	const char *only;
	const char *preload;
	bool no_shim, callgrind, no_realtime, no_fdcache;
} opt = { 5, 32768, 100, 5, 4096, NULL, NULL, false, false, false, false };

static bool selected(const struct cfg *c)
{
	char list[256], *save = NULL;

	if (!opt.only)
		return true;
	snprintf(list, sizeof(list), "%s", opt.only);
	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (!strcmp(w, c->name))
			return true;
	return false;
}

static bool only_has(const char *w)
{
	struct cfg c = { .name = w };

	return !opt.only || selected(&c);
}

static unsigned reps_for(const struct cfg *c, int op, unsigned ops)
{
	uint32_t n = per_rep(c, op);

	return n >= ops ? 1 : (ops + n - 1) / n;
}

/* ---- the timed run ---- */

static double median(double *v, unsigned n)
{
	double tmp[MAX_ROUNDS];

	if (!n)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

struct summary {
	unsigned shim_met, shim_total, floor_met, floor_total, mem_met, mem_total, thr_met, thr_total;
	double worst_shim, worst_floor;
};
static struct summary sum = { .worst_shim = 1e9 };

static bool have[NTARGETS];

static void report_errors(const char *what, struct inst *t)
{
	if (t->errors)
		fprintf(stderr, "bpfemu-bench: %s: %s: %" PRIu64 " unexpected results; first: %s\n", what,
			tname[t->target], t->errors, t->err);
}

static void fmt_ns(char *b, size_t n, bool ok, double v)
{
	if (!ok)
		snprintf(b, n, "n/a");
	else if (v >= 100)
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.1f", v);
}

static void bench_cfg(int ci)
{
	const struct cfg *c = &cfgs[ci];
	struct inst ins[NTARGETS];
	double res[NOPS][NTARGETS][MAX_ROUNDS];
	bool up[NTARGETS] = { false };
	unsigned done = 0;
	struct meas m = { 0 };

	memset(res, 0, sizeof(res));
	for (int t = 0; t < NTARGETS; t++) {
		struct wrep r;
		int err = 0;

		ins[t].fd = -1;
		ins[t].cf = NULL;
		if (!have[t])
			continue;
		if (t == T_SHIM) {
			struct wcmd w = { .kind = W_SETUP, .cfg = ci };

			err = worker_call(&w, &r);
			if (err)
				fprintf(stderr, "bpfemu-bench: %s: shim setup failed: %s %s\n", c->name, strerror(-err), r.err);
			else if (r.errors)
				fprintf(stderr, "bpfemu-bench: %s: shim setup: %s\n", c->name, r.err);
		} else {
			err = inst_setup(&ins[t], c, t, t == T_KERNEL ? via_syscall : via_inproc);
			if (err) {
				fprintf(stderr, "bpfemu-bench: %s: %s map create: %s\n", c->name, tname[t], strerror(-err));
				inst_free(&ins[t]);
			}
		}
		up[t] = !err;
	}

	for (unsigned round = 0; round <= opt.rounds; round++) {
		for (int op = 0; op < NOPS; op++) {
			unsigned reps;

			if (!applies(c, op))
				continue;
			/* round 0 warms up (lazy binding, first touches) and is not counted */
			reps = round ? reps_for(c, op, opt.ops) : 1;
			for (int k = 0; k < NTARGETS; k++) {
				int t = (int)((round + (unsigned)op + (unsigned)k) % NTARGETS);
				double per_op;

				if (!up[t])
					continue;
				if (t == T_SHIM) {
					struct wcmd w = { .kind = W_RUN, .cfg = ci, .op = op, .reps = reps };
					struct wrep r;

					worker_call(&w, &r);
					per_op = r.value;
				} else {
					run_op(&ins[t], op, reps, &m);
					per_op = m.per_op;
				}
				if (round)
					res[op][t][round - 1] = per_op * ns_per_tick;
			}
		}
		if (round)
			done = round;
	}
	free(m.v);

	printf("\n### %s — key %u B, value %u B%s; %u keys cycled%s\n\n", c->label, c->ks, c->vs,
	       percpu(c) ? " per CPU" : "", c->work,
	       c->base ? " (the rest stay in the map)" : "");
	printf("| operation | kernel ns | shim ns | in-process ns | floor ns | kernel/shim | kernel/in-process | in-process/floor |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int op = 0; op < NOPS; op++) {
		double med[NTARGETS];
		char cell[NTARGETS][32], r1[48], r2[32], r3[48];
		double need = c->small ? 25 : 10;

		if (!applies(c, op))
			continue;
		for (int t = 0; t < NTARGETS; t++) {
			med[t] = up[t] ? median(res[op][t], done) : 0;
			fmt_ns(cell[t], sizeof(cell[t]), up[t], med[t]);
		}
		if (up[T_KERNEL] && up[T_SHIM] && med[T_SHIM] > 0) {
			double q = med[T_KERNEL] / med[T_SHIM];
			bool ok = q >= need;

			snprintf(r1, sizeof(r1), "%.1fx %s", q, ok ? "ok" : "**miss**");
			sum.shim_total++;
			sum.shim_met += ok;
			if (q < sum.worst_shim)
				sum.worst_shim = q;
		} else {
			snprintf(r1, sizeof(r1), "n/a");
		}
		if (up[T_KERNEL] && up[T_INPROC] && med[T_INPROC] > 0)
			snprintf(r2, sizeof(r2), "%.1fx", med[T_KERNEL] / med[T_INPROC]);
		else
			snprintf(r2, sizeof(r2), "n/a");
		if (up[T_INPROC] && up[T_FLOOR] && med[T_FLOOR] > 0) {
			double q = med[T_INPROC] / med[T_FLOOR];
			bool ok = q <= 2;

			snprintf(r3, sizeof(r3), "%.1fx %s", q, ok ? "ok" : "**miss**");
			sum.floor_total++;
			sum.floor_met += ok;
			if (q > sum.worst_floor)
				sum.worst_floor = q;
		} else {
			snprintf(r3, sizeof(r3), "n/a");
		}
		printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", opname[op], cell[T_KERNEL], cell[T_SHIM],
		       cell[T_INPROC], cell[T_FLOOR], r1, r2, r3);
	}
	fflush(stdout);

	for (int t = 0; t < NTARGETS; t++) {
		if (!up[t])
			continue;
		if (t == T_SHIM) {
			struct wcmd w = { .kind = W_TEARDOWN, .cfg = ci };
			struct wrep r;

			worker_call(&w, &r);
			if (r.errors)
				fprintf(stderr, "bpfemu-bench: %s: shim: %" PRIu64 " unexpected results; first: %s\n",
					c->name, r.errors, r.err);
		} else {
			report_errors(c->name, &ins[t]);
			inst_free(&ins[t]);
		}
	}
}

/* What every emulated write pays for its lock: glibc's robust, process-shared mutex (a dead
 * holder is detected and repaired), against the two atomic instructions any lock needs. */
static void print_lock_costs(void)
{
	pthread_mutexattr_t at;
	pthread_mutex_t mu;
	uint32_t word = 0;
	double robust[5], bare[5];
	struct meas m = { 0 };

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&mu, &at))
		return;
	for (int r = 0; r < 5; r++) {
		meas_reset(&m);
		TIMED_LOOP(&m, 4096u, i, (void)i; if (!pthread_mutex_trylock(&mu)) pthread_mutex_unlock(&mu));
		meas_finish(&m);
		robust[r] = m.per_op * ns_per_tick;
		meas_reset(&m);
		TIMED_LOOP(&m, 4096u, i, uint32_t z = 0;
			   if (__atomic_compare_exchange_n(&word, &z, i | 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				   __atomic_exchange_n(&word, 0, __ATOMIC_RELEASE));
		meas_finish(&m);
		bare[r] = m.per_op * ns_per_tick;
	}
	free(m.v);
	pthread_mutex_destroy(&mu);
	pthread_mutexattr_destroy(&at);
	printf("A robust process-shared mutex's trylock and unlock cost %.1f ns, a compare-and-swap and an "
	       "exchange %.1f ns.\n", median(robust, 5), median(bare, 5));
}

/* What one trip into the kernel costs here, the part of every in-process call that identifies
 * the fd (fstat) and of every kernel call: the bound of the in-process target. */
static void print_syscall_costs(void)
{
	struct cfg c = { "ref", "", BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, 1, true, false, 0 };
	int fd = map_create(via_inproc, &c);
	double bare[5], st[5];
	struct meas m = { 0 };

	if (fd < 0)
		return;
	for (int r = 0; r < 5; r++) {
		struct stat sb;

		meas_reset(&m);
		TIMED_LOOP(&m, 4096u, i, (void)i; syscall(__NR_getppid));
		meas_finish(&m);
		bare[r] = m.per_op * ns_per_tick;
		meas_reset(&m);
		TIMED_LOOP(&m, 4096u, i, (void)i; fstat(fd, &sb));
		meas_finish(&m);
		st[r] = m.per_op * ns_per_tick;
	}
	free(m.v);
	close_map(T_INPROC, fd);
	printf("\nHere and now a bare system call (getppid) costs %.0f ns and the fstat() that identifies a map "
	       "fd %.0f ns.\n", median(bare, 5), median(st, 5));
	print_lock_costs();
}

static void bench_threads(int ci)
{
	const struct cfg *c = &cfgs[ci];
	struct inst ins[NTARGETS];
	struct thr_res r1[NTARGETS][MAX_ROUNDS], r2[NTARGETS][MAX_ROUNDS];
	bool up[NTARGETS] = { false };
	unsigned n = opt.threads_rounds < MAX_ROUNDS ? opt.threads_rounds : MAX_ROUNDS;

	for (int t = 0; t < T_FLOOR; t++) {
		struct wrep r;

		ins[t].fd = -1;
		ins[t].cf = NULL;
		if (!have[t])
			continue;
		if (t == T_SHIM) {
			struct wcmd w = { .kind = W_SETUP, .cfg = ci };

			up[t] = !worker_call(&w, &r);
		} else {
			up[t] = !inst_setup(&ins[t], c, t, t == T_KERNEL ? via_syscall : via_inproc);
		}
	}
	for (unsigned round = 0; round < n; round++)
		for (int k = 0; k < T_FLOOR; k++) {
			int t = (int)((round + (unsigned)k) % T_FLOOR);

			for (int nt = 1; nt <= 2; nt++) {
				struct thr_res *res = &(nt == 1 ? r1 : r2)[t][round];

				if (!up[t])
					continue;
				if (t == T_SHIM) {
					struct wcmd w = { .kind = W_THREADS, .cfg = ci, .nthreads = nt, .ms = opt.threads_ms,
							  .realtime = !opt.no_realtime };
					struct wrep r;

					worker_call(&w, &r);
					*res = r.thr;
				} else {
					thread_rate(&ins[t], nt, opt.threads_ms, !opt.no_realtime, res);
				}
			}
		}
	{
		bool all_rt = true, all_pinned = true;

		for (int t = 0; t < T_FLOOR; t++)
			for (unsigned i = 0; i < n && up[t]; i++) {
				all_rt &= r1[t][i].realtime && r2[t][i].realtime;
				all_pinned &= r1[t][i].pinned == 1 && r2[t][i].pinned == 2;
			}
		printf("\n### 2 threads on distinct keys vs 1 thread — %s, update of existing keys, %u ms per run, "
		       "median of %u alternating runs%s%s\n\n", c->label, opt.threads_ms, n,
		       all_rt ? ", threads real-time (SCHED_FIFO)" : "",
		       all_pinned ? ", each thread pinned to a CPU of its own" : ", threads NOT pinned");
		printf("2T/1T: updates per second of 2 threads over 1 thread, by the wall clock%s. CPU estimate: "
		       "2 x (thread CPU time per update, 1 thread) / (the same, 2 threads), the speed-up 2 free CPUs "
		       "would give if no thread ever slept on a lock; sleeps per 1000 updates show how far that holds. "
		       "The kernel's row is the reference.\n\n",
		       all_rt ? ", trustworthy because the threads had the CPUs to themselves"
			      : ": NOT real-time, so other processes' load is in it and the CPU estimate decides");
		printf("| target | CPU ns/update, 1 thread | CPU ns/update, 2 threads | sleeps/1000 updates, 2 threads | "
		       "2T/1T | 2T/1T CPU estimate | target >= 1.7x |\n|---|---:|---:|---:|---:|---:|---|\n");
		for (int t = 0; t < T_FLOOR; t++) {
			double c1[MAX_ROUNDS], c2[MAX_ROUNDS], sl[MAX_ROUNDS], q[MAX_ROUNDS], est[MAX_ROUNDS], mq, me;
			bool ok;

			if (!up[t]) {
				printf("| %s | n/a | n/a | n/a | n/a | n/a | |\n", tname[t]);
				continue;
			}
			for (unsigned i = 0; i < n; i++) {
				c1[i] = r1[t][i].cpu_per_op;
				c2[i] = r2[t][i].cpu_per_op;
				sl[i] = r2[t][i].sleeps;
				q[i] = r1[t][i].wall_rate > 0 ? r2[t][i].wall_rate / r1[t][i].wall_rate : 0;
				est[i] = c2[i] > 0 ? 2 * c1[i] / c2[i] : 0;
			}
			mq = median(q, n);
			me = median(est, n);
			ok = all_rt ? mq >= 1.7 : me >= 1.7 && median(sl, n) <= 5;
			if (t != T_KERNEL) {
				sum.thr_total++;
				sum.thr_met += ok;
			}
			printf("| %s | %.0f | %.0f | %.2f | %.2fx | %.2fx | %s |\n", tname[t], median(c1, n), median(c2, n),
			       median(sl, n), mq, me, t == T_KERNEL ? "(reference)" : ok ? "ok" : "**miss**");
		}
	}
	fflush(stdout);
	for (int t = 0; t < T_FLOOR; t++) {
		if (!up[t])
			continue;
		if (t == T_SHIM) {
			struct wcmd w = { .kind = W_TEARDOWN, .cfg = ci };
			struct wrep r;

			worker_call(&w, &r);
		} else {
			report_errors("threads", &ins[t]);
			inst_free(&ins[t]);
		}
	}
}

static long fdinfo_memlock(int fd)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Memory per element with the map full: the kernel's own accounting (fdinfo memlock, which
 * bpftool shows; fixed at creation since elements are preallocated) against the pages the
 * emulator's map file really holds. */
static void bench_memory(void)
{
	printf("\n### Memory per element, map full\n\n");
	printf("| map | kernel memlock, B/elem | emulator file, B/elem (allocated) | file size, B/elem | "
	       "target <= kernel |\n|---|---:|---:|---:|---|\n");
	for (int ci = 0; ci < NCFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct inst t;
		struct stat st;
		long kmem = -1;
		int kfd;

		if (c->threads_only || (!selected(c) && !only_has("memory")))
			continue;
		if (have[T_KERNEL]) {
			kfd = map_create(via_syscall, c);
			if (kfd >= 0) {
				kmem = fdinfo_memlock(kfd);
				close(kfd);
			}
		}
		inst_init(&t, c, T_INPROC);
		t.bpf = via_inproc;
		/* LRU too is filled to max_entries: what eviction leaves is what a full LRU map holds */
		free(t.keys);
		free(t.vals);
		t.nkeys = c->max;
		t.keys = xcalloc(c->max, c->ks ? c->ks : 1);
		t.vals = xcalloc(c->max, t.vb);
		for (uint32_t i = 0; i < c->max; i++) {
			if (family(c) == F_HASH) {
				uint64_t k = hash_key_value(i);

				memcpy(t.keys + (size_t)i * 8, &k, 8);
			} else if (family(c) == F_ARRAY) {
				memcpy(t.keys + (size_t)i * 4, &i, 4);
			}
		}
		t.fd = map_create(via_inproc, c);
		if (t.fd < 0 || fstat(t.fd, &st)) {
			printf("| %s | n/a | n/a | n/a | |\n", c->label);
			inst_free(&t);
			continue;
		}
		fill_range(&t, 0, c->max);
		fstat(t.fd, &st);
		{
			double e = (double)st.st_blocks * 512 / c->max, s = (double)st.st_size / c->max;
			double k = (double)kmem / c->max;
			bool ok = kmem >= 0 && e <= k;

			if (kmem >= 0) {
				sum.mem_total++;
				sum.mem_met += ok;
				printf("| %s | %.1f | %.1f | %.1f | %s |\n", c->label, k, e, s, ok ? "ok" : "**miss**");
			} else {
				printf("| %s | n/a | %.1f | %.1f | |\n", c->label, e, s);
			}
		}
		report_errors("memory", &t);
		inst_free(&t);
	}
	fflush(stdout);
}

/* ---- callgrind ---- */

/* Under valgrind: every selected configuration and operation once, dumping a profile part per
 * operation whose name carries what the parent needs to divide by. */
static int cg_child_main(bool shim)
{
	if (!RUNNING_ON_VALGRIND)
		die("--cg-child is for valgrind --tool=callgrind");
	for (int ci = 0; ci < NCFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct inst ins[2];
		int targets[2] = { shim ? T_SHIM : T_INPROC, T_FLOOR }, nt = shim ? 1 : 2;

		if (c->threads_only || !selected(c))
			continue;
		for (int k = 0; k < nt; k++) {
			int err = inst_setup(&ins[k], c, targets[k], shim ? via_syscall : via_inproc);

			if (err)
				die("%s: map create: %s", c->name, strerror(-err));
			if (targets[k] == T_SHIM && !is_emulated_fd(ins[k].fd))
				die("the map was not emulated: LD_PRELOAD not effective");
		}
		for (int op = 0; op < NOPS; op++) {
			if (!applies(c, op))
				continue;
			for (int k = 0; k < nt; k++) {
				struct meas m = { 0 };
				char name[128];

				run_op(&ins[k], op, 1, &m); /* warm-up: lazy binding, first touches */
				CALLGRIND_ZERO_STATS;
				cg_collect = true;
				run_op(&ins[k], op, reps_for(c, op, opt.cg_ops), &m);
				cg_collect = false;
				snprintf(name, sizeof(name), "bpfemu-bench %d %d %d %" PRIu64, ci, op, targets[k], m.n);
				CALLGRIND_DUMP_STATS_AT(name);
				free(m.v);
			}
		}
		for (int k = 0; k < nt; k++) {
			report_errors(c->name, &ins[k]);
			inst_free(&ins[k]);
		}
	}
	return 0;
}

static double cg_ir[NCFGS][NOPS][NTARGETS];

static void cg_parse(const char *path)
{
	char line[512];
	int ci = -1, op = -1, t = -1;
	uint64_t n = 0, ir = 0;
	bool got = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if ((p = strstr(line, "bpfemu-bench ")) && !strncmp(line, "desc:", 5))
			sscanf(p, "bpfemu-bench %d %d %d %" SCNu64, &ci, &op, &t, &n);
		else if (!strncmp(line, "totals:", 7) || (!got && !strncmp(line, "summary:", 8)))
			got = sscanf(strchr(line, ':') + 1, "%" SCNu64, &ir) == 1;
	}
	fclose(f);
	if (got && n && ci >= 0 && ci < NCFGS && op >= 0 && op < NOPS && t >= 0 && t < NTARGETS)
		cg_ir[ci][op][t] = (double)ir / (double)n;
}

static bool cg_run(const char *dir, bool shim, const char *preload)
{
	char outfile[PATH_MAX + 32], ops[32];
	pid_t pid;
	int st;

	snprintf(outfile, sizeof(outfile), "--callgrind-out-file=%s/%s.out", dir, shim ? "shim" : "inproc");
	snprintf(ops, sizeof(ops), "%u", opt.cg_ops);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		if (shim)
			setenv("LD_PRELOAD", preload, 1);
		execlp("valgrind", "valgrind", "--tool=callgrind", "--collect-atstart=no", "--dump-instr=no",
		       "--quiet", outfile, self_exe, shim ? "--cg-child-shim" : "--cg-child", "--cg-ops", ops,
		       opt.only ? "--only" : (char *)NULL, opt.only, (char *)NULL);
		fprintf(stderr, "bpfemu-bench: cannot run valgrind: %s\n", strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "bpfemu-bench: valgrind run (%s) failed\n", shim ? "shim" : "in-process");
		return false;
	}
	return true;
}

static int callgrind_main(const char *preload)
{
	char dir[] = "/tmp/bpfemu-bench-cg.XXXXXX";
	bool ok_in, ok_shim = false;
	DIR *d;
	struct dirent *de;

	if (!HAVE_CALLGRIND)
		die("built without <valgrind/callgrind.h>: no --callgrind");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	fprintf(stderr, "bpfemu-bench: running under callgrind (slow)...\n");
	ok_in = cg_run(dir, false, preload);
	if (!opt.no_shim && !access(preload, R_OK))
		ok_shim = cg_run(dir, true, preload);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char p[PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		cg_parse(p);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	if (!ok_in && !ok_shim)
		return 1;

	printf("## Instructions per operation (valgrind --tool=callgrind, user space only)\n");
	for (int ci = 0; ci < NCFGS; ci++) {
		const struct cfg *c = &cfgs[ci];

		if (c->threads_only || !selected(c))
			continue;
		printf("\n### %s\n\n| operation | shim Ir/op | in-process Ir/op | floor Ir/op | in-process/floor |\n"
		       "|---|---:|---:|---:|---:|\n", c->label);
		for (int op = 0; op < NOPS; op++) {
			double *v = cg_ir[ci][op];
			char q[32];

			if (!applies(c, op))
				continue;
			if (v[T_FLOOR] > 0 && v[T_INPROC] > 0)
				snprintf(q, sizeof(q), "%.1fx", v[T_INPROC] / v[T_FLOOR]);
			else
				snprintf(q, sizeof(q), "n/a");
			printf("| %s | %.0f | %.0f | %.0f | %s |\n", opname[op], v[T_SHIM], v[T_INPROC], v[T_FLOOR], q);
		}
	}
	return 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfemu-bench [options]\n"
		"  --rounds N        timed rounds per operation (default 5; medians are shown)\n"
		"  --ops N           operations per target per round (default 32768)\n"
		"  --only a,b        configurations: hash64 hash1m percpu_hash lru_hash array\n"
		"                    percpu_array queue stack memory; threads (all of threads_hash\n"
		"                    threads_percpu_hash threads_array threads_lru_hash\n"
		"                    threads_lru_nocommon; each thread pinned to a CPU of its own)\n"
		"  --no-shim         leave the preloaded target out\n"
		"  --preload PATH    the preload module (default: the one built with this program)\n"
		"  --threads-ms N    duration of one thread-scaling run (default 100)\n"
		"  --no-realtime     thread-scaling runs without SCHED_FIFO (see RESULTS.md)\n"
		"  --no-fdcache      in-process target without bpfemu_fdcache_enable() (one fstat per call)\n"
		"  --callgrind       instructions per operation under valgrind instead of times\n"
		"  --cg-ops N        operations per target and operation under callgrind (default 4096)\n");
}

static unsigned num_arg(int argc, char **argv, int *i)
{
	char *end;
	unsigned long v;

	if (*i + 1 >= argc)
		die("%s needs a value", argv[*i]);
	v = strtoul(argv[++*i], &end, 10);
	if (*end || !v || v > 100000000)
		die("bad value for %s: %s", argv[*i - 1], argv[*i]);
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *preload;
	struct utsname u;
	double load[3] = { 0, 0, 0 };
	int cg_child = 0;

	/* the kernel counts possible CPUs; an override for tests would make per-CPU values disagree */
	unsetenv("BPFEMU_NR_CPUS");
	if (argc == 4 && !strcmp(argv[1], "--worker")) {
		nr_cpus = (uint32_t)bpfemu_num_possible_cpus();
		return worker_main(atoi(argv[2]), atoi(argv[3]));
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--rounds"))
			opt.rounds = num_arg(argc, argv, &i);
		else if (!strcmp(a, "--ops"))
			opt.ops = num_arg(argc, argv, &i);
		else if (!strcmp(a, "--threads-ms"))
			opt.threads_ms = num_arg(argc, argv, &i);
		else if (!strcmp(a, "--cg-ops"))
			opt.cg_ops = num_arg(argc, argv, &i);
		else if (!strcmp(a, "--only") && i + 1 < argc)
			opt.only = argv[++i];
		else if (!strcmp(a, "--preload") && i + 1 < argc)
			opt.preload = argv[++i];
		else if (!strcmp(a, "--no-shim"))
			opt.no_shim = true;
		else if (!strcmp(a, "--no-realtime"))
			opt.no_realtime = true;
		else if (!strcmp(a, "--no-fdcache"))
			opt.no_fdcache = true;
		else if (!strcmp(a, "--callgrind"))
			opt.callgrind = true;
		else if (!strcmp(a, "--cg-child"))
			cg_child = 1;
		else if (!strcmp(a, "--cg-child-shim"))
			cg_child = 2;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (opt.rounds > MAX_ROUNDS - 1)
		opt.rounds = MAX_ROUNDS - 1;
	nr_cpus = (uint32_t)bpfemu_num_possible_cpus();
	/* in the environment, so the callgrind children measure the same in-process target */
	if (opt.no_fdcache)
		setenv("BPFEMU_BENCH_NO_FDCACHE", "1", 1);
	if (!getenv("BPFEMU_BENCH_NO_FDCACHE") && bpfemu_fdcache_enable())
		die("bpfemu_fdcache_enable: %s", strerror(errno));
	if (cg_child)
		return cg_child_main(cg_child == 2);
	{
		ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

		if (n <= 0)
			die("readlink /proc/self/exe: %s", strerror(errno));
		self_exe[n] = 0;
	}
	preload = opt.preload ? opt.preload : secure_getenv("BPFEMU_BENCH_PRELOAD");
	if (!preload || !*preload)
		preload = BPFEMU_BENCH_PRELOAD;
	if (opt.callgrind)
		return callgrind_main(preload);
	calibrate_ticks();

	{
		struct cfg probe = { "probe", "", BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, 1, true, false, 0 };
		int fd = map_create(via_syscall, &probe);

		have[T_KERNEL] = fd >= 0;
		if (fd < 0)
			fprintf(stderr, "bpfemu-bench: kernel bpf() refused (%s): no kernel column\n", strerror(errno));
		else if (is_emulated_fd(fd))
			die("the kernel target is emulated (is this run under bpfemu-run?)");
		if (fd >= 0)
			close(fd);
	}
	have[T_INPROC] = have[T_FLOOR] = true;
	have[T_SHIM] = !opt.no_shim && start_worker(preload);

	uname(&u);
	getloadavg(load, 3);
	printf("## bpfemu-bench: kernel %s, %ld CPUs online, %u possible; %u rounds x %u ops per target; "
	       "load average %.2f at start\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), nr_cpus, opt.rounds, opt.ops, load[0]);
	printf("\nns per operation: median over rounds of each round's median over chunks of %u calls "
	       "(a batch call is a chunk), so slices lost to other processes drop out. Ratios > 1 mean faster "
	       "than the kernel. Targets: kernel/shim >= 25x for the small maps and >= 10x for the 1M map; "
	       "in-process/floor <= 2x.\n", CHUNK);
	print_syscall_costs();
	fflush(stdout);

	for (int ci = 0; ci < NCFGS; ci++)
		if (!cfgs[ci].threads_only && selected(&cfgs[ci]))
			bench_cfg(ci);
	for (int ci = 0; ci < NCFGS; ci++)
		if (cfgs[ci].threads_only && (only_has("threads") || selected(&cfgs[ci])))
			bench_threads(ci);
	{
		bool any = only_has("memory");

		for (int ci = 0; ci < NCFGS; ci++)
			any |= !cfgs[ci].threads_only && selected(&cfgs[ci]);
		if (any)
			bench_memory();
	}
	stop_worker();

	getloadavg(load, 3);
	printf("\n### Summary (load average %.2f at the end)\n\n", load[0]);
	if (sum.shim_total)
		printf("- shim >= 10x/25x faster than the kernel: %u of %u operations (worst %.1fx)\n", sum.shim_met,
		       sum.shim_total, sum.worst_shim);
	if (sum.floor_total)
		printf("- in-process within 2x of the floor: %u of %u operations (worst %.1fx)\n", sum.floor_met,
		       sum.floor_total, sum.worst_floor);
	if (sum.thr_total)
		printf("- 2 threads >= 1.7x one thread: %u of %u targets\n", sum.thr_met, sum.thr_total);
	if (sum.mem_total)
		printf("- memory per element <= the kernel's: %u of %u maps\n", sum.mem_met, sum.mem_total);
	return 0;
}
