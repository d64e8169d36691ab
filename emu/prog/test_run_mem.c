/* SPDX-License-Identifier: MIT */
/*
 * The memory of one BPF_PROG_TEST_RUN call (emu_tr_alloc): the packet, the xdp_buff or sk_buff,
 * the context copy, the region list: what out->copy[] and out->data/ctx point into until
 * emu_test_run_out_free().
 *
 * What it buys: a call used to calloc and free four to seven blocks, the packet's page zeroed
 * whole: 45% of the instructions of a single TEST_RUN call (bench/RESULTS.md). Now each thread
 * keeps one arena of EMU_TR_ARENA_BYTES; a call takes it when it is idle and hands out pieces by
 * bumping an offset; emu_test_run_out_free() gives it back. What does not fit (XDP frags past the
 * first, a large SYSCALL context), and everything a call allocates while the thread's arena is
 * held by another out (two outs alive at once, a call from a signal handler), comes from malloc'd
 * chunks as before.
 *
 * Invariants: an arena is taken (IDLE -> BUSY) only by its own thread, and given back (-> IDLE)
 * by whichever thread frees the out holding it (its own thread with a plain release store: only
 * that thread's exit orphans it, and that exit first forgets it). When its thread exits the
 * arena is marked ORPHANED; freed then if idle, else by the emu_test_run_out_free() that gives
 * it back.
 *
 * AddressSanitizer builds keep what separate blocks gave them: the arena's bytes are poisoned
 * except the pieces handed out, with a poisoned gap after each, so an overrun of one piece (the
 * packet into the xdp_buff after it) and any use after emu_test_run_out_free() are reported.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>

#include "../util/compiler.h"
#include "test_run_impl.h"

#ifdef EMU_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP 32 /* poisoned bytes after each piece */
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_GAP 0
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define EMU_TR_ARENA_BYTES (16u * 1024) /* a page for the packet, frags, the structs of a call */

enum { ARENA_IDLE, ARENA_BUSY, ARENA_ORPHANED };

struct emu_tr_arena {
	int state;
	size_t used;
	alignas(64) unsigned char buf[EMU_TR_ARENA_BYTES];
};

/* a piece that did not fit the arena */
struct mem_chunk {
	struct mem_chunk *next;
	alignas(16) unsigned char data[];
};

static __thread struct emu_tr_arena *my_arena __attribute__((tls_model("initial-exec")));
static __thread bool my_arena_failed __attribute__((tls_model("initial-exec")));
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static bool arena_key_ok;

static void arena_thread_exit(void *p)
{
	struct emu_tr_arena *a = p;

	my_arena = NULL; /* an out this thread frees from here on is freed as another thread's */
	if (__atomic_exchange_n(&a->state, ARENA_ORPHANED, __ATOMIC_ACQ_REL) == ARENA_IDLE)
		free(a);
}

static void arena_key_init(void)
{
	arena_key_ok = !pthread_key_create(&arena_key, arena_thread_exit);
}

static __attribute__((noinline, cold)) struct emu_tr_arena *arena_new(void)
{
	struct emu_tr_arena *a;

	my_arena_failed = true; /* one try per thread */
	pthread_once(&arena_once, arena_key_init);
	if (!arena_key_ok)
		return NULL;
	a = aligned_alloc(alignof(struct emu_tr_arena), sizeof(*a));
	if (!a)
		return NULL;
	a->state = ARENA_IDLE;
	a->used = 0;
	ARENA_POISON(a->buf, sizeof(a->buf));
	if (pthread_setspecific(arena_key, a)) {
		free(a);
		return NULL;
	}
	my_arena = a;
	return a;
}

void emu_tr_mem_init(struct emu_test_run_out *out)
{
	struct emu_tr_arena *a = my_arena;

	out->mem = NULL;
	out->arena = NULL;
	if (__builtin_expect(!a, 0)) {
		if (my_arena_failed || !(a = arena_new()))
			return;
	}
	if (__atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != ARENA_IDLE)
		return; /* another out of this thread holds it */
	__atomic_store_n(&a->state, ARENA_BUSY, __ATOMIC_RELAXED);
	a->used = 0;
	out->arena = a;
}

void *emu_tr_alloc_uninit(struct emu_test_run_out *out, size_t n)
{
	struct emu_tr_arena *a = out->arena;
	struct mem_chunk *c;

	if (a) {
		size_t at = (a->used + 15) & ~(size_t)15;

		if (at <= EMU_TR_ARENA_BYTES && n <= EMU_TR_ARENA_BYTES - at) {
			a->used = at + n + ARENA_GAP;
			ARENA_UNPOISON(a->buf + at, n);
			return a->buf + at;
		}
	}
	c = malloc(sizeof(*c) + n);
	if (!c)
		return NULL;
	c->next = out->mem;
	out->mem = c;
	return c->data;
}

void *emu_tr_alloc(struct emu_test_run_out *out, size_t n)
{
	void *p = emu_tr_alloc_uninit(out, n);

	if (p)
		memset(p, 0, n);
	return p;
}

void emu_test_run_out_free(struct emu_test_run_out *out)
{
	struct mem_chunk *c = out->mem;

	while (c) {
		struct mem_chunk *n = c->next;

		free(c);
		c = n;
	}
	out->mem = NULL;
	if (out->arena)
		ARENA_POISON(out->arena->buf, sizeof(out->arena->buf));
	if (out->arena == my_arena && out->arena) {
		/* The owner gives it back while it runs: nobody else can orphan it meanwhile (only
		 * this thread's exit does), so a release store, not a locked exchange (a full
		 * barrier, ~20 cycles, on every call). */
		__atomic_store_n(&out->arena->state, ARENA_IDLE, __ATOMIC_RELEASE);
	} else if (out->arena &&
		   __atomic_exchange_n(&out->arena->state, ARENA_IDLE, __ATOMIC_ACQ_REL) == ARENA_ORPHANED) {
		free(out->arena);
	}
	out->arena = NULL;
	out->nr_copy = 0;
}
