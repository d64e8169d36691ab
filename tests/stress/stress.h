/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the stress, kill and resource tests: bpf() wrappers that return -errno,
 * values that prove they were written whole, workers run as threads or as processes, failure
 * reporting that works from either, and the time budget.
 *
 * Time: every timed phase lasts stress_seconds() — a fraction of a second in CI, or
 * BPFEMU_SOAK seconds when that is set (a soak run by hand: BPFEMU_SOAK=60 build/bin/stress_ops
 * threads; not through ctest, which stops a test after 300 s).
 */
#ifndef BPFEMU_STRESS_H
#define BPFEMU_STRESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "uapi/bpf_uapi.h"

static inline const char *type_name(uint32_t t)
{
	switch (t) {
	case EMU_MAP_HASH: return "hash";
	case EMU_MAP_ARRAY: return "array";
	case EMU_MAP_PERCPU_HASH: return "percpu_hash";
	case EMU_MAP_PERCPU_ARRAY: return "percpu_array";
	case EMU_MAP_LRU_HASH: return "lru_hash";
	case EMU_MAP_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case EMU_MAP_QUEUE: return "queue";
	case EMU_MAP_STACK: return "stack";
	default: return "?";
	}
}
static inline bool is_percpu_type(uint32_t t)
{
	return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_PERCPU_ARRAY || t == EMU_MAP_LRU_PERCPU_HASH;
}
static inline bool is_hash_type(uint32_t t)
{
	return t == EMU_MAP_HASH || t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH;
}
static inline bool is_lru_type(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
static inline bool is_array_type(uint32_t t) { return t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY; }
static inline bool is_qs_type(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }

/* ---- bpf() ---- */

static inline int xbpf(int cmd, union bpf_attr *a)
{
	return bpfemu_bpf(cmd, a, sizeof(*a)) < 0 ? -errno : 0;
}

static inline int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	fd = bpfemu_bpf(BPF_MAP_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

static inline int elem_cmd(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = flags;
	return xbpf(cmd, &a);
}
static inline int m_update(int fd, const void *k, const void *v, uint64_t fl)
{
	return elem_cmd(BPF_MAP_UPDATE_ELEM, fd, k, (void *)v, fl);
}
static inline int m_lookup(int fd, const void *k, void *v) { return elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, k, v, 0); }
static inline int m_delete(int fd, const void *k) { return elem_cmd(BPF_MAP_DELETE_ELEM, fd, k, NULL, 0); }
static inline int m_lookup_and_delete(int fd, const void *k, void *v)
{
	return elem_cmd(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, k, v, 0);
}
static inline int m_next_key(int fd, const void *k, void *next)
{
	return elem_cmd(BPF_MAP_GET_NEXT_KEY, fd, k, next, 0);
}
static inline int m_push(int fd, const void *v, uint64_t fl) { return m_update(fd, NULL, v, fl); }
static inline int m_pop(int fd, void *v) { return m_lookup_and_delete(fd, NULL, v); }
static inline int m_peek(int fd, void *v) { return m_lookup(fd, NULL, v); }

static inline int batch_cmd(int cmd, int fd, void *in, void *out, void *keys, void *values, uint32_t *count,
			    uint64_t elem_flags)
{
	union bpf_attr a;
	int err;

	memset(&a, 0, sizeof(a));
	a.batch.in_batch = (uintptr_t)in;
	a.batch.out_batch = (uintptr_t)out;
	a.batch.keys = (uintptr_t)keys;
	a.batch.values = (uintptr_t)values;
	a.batch.count = *count;
	a.batch.map_fd = (uint32_t)fd;
	a.batch.elem_flags = elem_flags;
	err = xbpf(cmd, &a);
	*count = a.batch.count;
	return err;
}

static inline int map_check(int fd) { return bpfemu_map_check(fd) < 0 ? -errno : 0; }

/* bytes a user buffer holds for one value of this map */
static inline uint32_t value_bytes(uint32_t type, uint32_t vs)
{
	return is_percpu_type(type) ? ((vs + 7) / 8 * 8) * (uint32_t)bpfemu_num_possible_cpus() : vs;
}

/* ---- values that prove they are whole ----
 * Word 0 names the writer, word 1 its sequence number, and every other word is a hash of both
 * and its position: a value mixed from two updates fails pat_ok(). */

static inline uint32_t mix32(uint32_t a, uint32_t b, uint32_t i)
{
	uint32_t x = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca77u ^ (i + 1) * 0xc2b2ae3du;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	x *= 0x297a2d39u;
	x ^= x >> 15;
	return x;
}

static inline void pat_fill(void *buf, size_t n, uint32_t w, uint32_t seq)
{
	uint32_t *p = buf;

	p[0] = w;
	p[1] = seq;
	for (size_t k = 2; k < n / 4; k++)
		p[k] = mix32(w, seq, (uint32_t)k);
}

static inline bool pat_ok(const void *buf, size_t n, uint32_t *w, uint32_t *seq)
{
	const uint32_t *p = buf;

	if (w)
		*w = p[0];
	if (seq)
		*seq = p[1];
	for (size_t k = 2; k < n / 4; k++)
		if (p[k] != mix32(p[0], p[1], (uint32_t)k))
			return false;
	return true;
}

/* ---- randomness ---- */

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}
static inline uint64_t rnd_seed(uint64_t salt)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (salt * 0x9e3779b97f4a7c15ull)) | 1;
}

/* ---- time ---- */

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double stress_seconds(double ci_default)
{
	const char *s = getenv("BPFEMU_SOAK");

	if (s && *s && atof(s) > 0)
		return atof(s);
	return ci_default;
}

/* ---- shared memory and failures ---- */

static inline void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* One per test program, in shared memory so forked workers report into it. */
struct stress_report {
	int failures;
	char first[512];
};
extern struct stress_report *report;

__attribute__((format(printf, 1, 2))) static inline void fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (__atomic_fetch_add(&report->failures, 1, __ATOMIC_ACQ_REL) == 0)
		memcpy(report->first, line, sizeof(line));
	if (__atomic_load_n(&report->failures, __ATOMIC_RELAXED) <= 20)
		fprintf(stderr, "FAIL [pid %d] %s\n", (int)getpid(), line);
}

#define CHECK(cond, ...)                                                                            \
	do {                                                                                        \
		if (!(cond))                                                                        \
			fail(__VA_ARGS__);                                                          \
	} while (0)

static inline void report_init(void)
{
	report = shared_alloc(sizeof(*report));
}

/* ---- workers: threads or processes, same code ---- */

enum run_mode { RUN_THREADS, RUN_PROCS };

struct worker_arg {
	void (*fn)(void *ctx, int w);
	void *ctx;
	int w;
};

static void *worker_thread(void *p)
{
	struct worker_arg *a = p;

	a->fn(a->ctx, a->w);
	return NULL;
}

/*
 * Run fn(ctx, 0..n-1) concurrently and wait for all. Processes get `watchdog` seconds before
 * SIGALRM ends them (a hang is then a reported failure, not a stuck CI job); threads share the
 * caller's alarm. ctx must be in shared memory for processes to report back through it.
 * Until `until` (a now_s() time) the caller meanwhile calls `during` (if given) over and over.
 */
static inline void run_workers(enum run_mode mode, int n, void (*fn)(void *, int), void *ctx, unsigned watchdog,
			       void (*during)(void *ctx), void *during_ctx, double until)
{
	struct worker_arg args[64];
	pthread_t th[64];
	pid_t pids[64];

	for (int w = 0; w < n; w++) {
		args[w] = (struct worker_arg){ fn, ctx, w };
		if (mode == RUN_THREADS) {
			if (pthread_create(&th[w], NULL, worker_thread, &args[w])) {
				fail("pthread_create");
				exit(2);
			}
			continue;
		}
		pids[w] = fork();
		if (pids[w] < 0) {
			fail("fork: %s", strerror(errno));
			exit(2);
		}
		if (!pids[w]) {
			alarm(watchdog);
			fn(ctx, w);
			_exit(0);
		}
	}
	if (during) {
		while (now_s() < until)
			during(during_ctx);
	}
	for (int w = 0; w < n; w++) {
		if (mode == RUN_THREADS) {
			pthread_join(th[w], NULL);
		} else {
			int st;

			while (waitpid(pids[w], &st, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				fail("worker %d: %s %d", w, WIFSIGNALED(st) ? "killed by signal" : "exit status",
				     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
}

static inline int finish(const char *what)
{
	if (report->failures) {
		fprintf(stderr, "%s: %d failure(s); first: %s\n", what, report->failures, report->first);
		return 1;
	}
	return 0;
}

#endif
