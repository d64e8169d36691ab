/* SPDX-License-Identifier: MIT */
/*
 * The LRU lists' private layout and primitives, shared by lru.c (the kernel's algorithm) and
 * lru_repair.c (the check and the rebuild after a dead lock holder). Nothing outside emu/maps/lru*.c
 * includes this: the family sees lru.h.
 */
#ifndef BPFEMU_MAPS_LRU_IMPL_H
#define BPFEMU_MAPS_LRU_IMPL_H

#include "lru.h"

#include "../core/sync.h" /* EMU_CRASH_POINT */

/* List kinds. The values are the kernel's, so a node dump reads the same. Only the first two are
 * counted (the active/inactive balance decides whether the active list is rotated). */
enum {
	LRU_ACTIVE = 0,
	LRU_INACTIVE = 1,
	LRU_FREE = 2,
	LRU_LOCAL_FREE = 3,
	LRU_LOCAL_PENDING = 4,
	LRU_NR_SHARED = 3,  /* kinds that a list set holds */
	LRU_NR_COUNTED = 2, /* kinds that are counted */
	LRU_UNUSED = 0xff,  /* per-CPU layout: a node beyond the last full slice, never handed out */
};

#define LRU_STATE_MAGIC 0x6c727531u /* "lru1" */

/* Refill batch ceiling and eviction scan length of the common layout; the batch itself is
 * target_free = clamp(nr_elems / nr_cpus / 2, 1, 128). */
#define LRU_COMMON_BATCH_MAX 128u
#define LRU_COMMON_SCANS 128u
/* Per-CPU layout: how many nodes one eviction pass tries to free, and how far rotations look. */
#define LRU_PERCPU_BATCH 4u
#define LRU_PERCPU_SCANS 4u

struct lru_dlist {
	uint32_t first, last;
};

/* The kernel's struct bpf_lru_list: three lists, two counters and the rotation cursor. */
struct lru_set {
	struct lru_dlist q[LRU_NR_SHARED];
	uint32_t nr[LRU_NR_COUNTED];
	uint32_t cursor; /* next inactive-rotation start: a node on q[LRU_INACTIVE] or NIL = sentinel */
	uint32_t pad;
};

/* One CPU's private lists in the common layout. */
struct lru_local {
	struct lru_dlist free_q, pending_q;
	uint32_t next_steal; /* CPU whose lists are raided first when everything else is empty */
	uint32_t pad;
};

struct emu_lru {
	uint32_t magic;
	uint32_t nr_cpus;
	uint32_t nr_elems;
	uint32_t percpu;
	uint32_t target_free; /* common layout: refill batch size */
	uint32_t nr_scans;
	struct lru_set shared; /* common layout only */
	/* nr_cpus records follow: struct lru_local (common) or struct lru_set (per-CPU) */
	uint64_t cpu_area[];
};

/* ------------------------------------------------------------------------------------------ */
/* Addressing                                                                                  */

static inline struct emu_lru_node *node_raw(const struct emu_lru_ctx *c, uint32_t idx)
{
	return (struct emu_lru_node *)(void *)(c->node_base + (size_t)idx * c->stride);
}

/* An index out of range (the file was changed outside bpfemu): noted, and a node whose links end
 * every walk stands in for it. Out of line: the compare in node_at() is all the fast path pays. */
__attribute__((cold, noinline)) struct emu_lru_node *emu_lru_bad_node(struct emu_lru_ctx *c);

static inline __attribute__((always_inline)) struct emu_lru_node *node_at(struct emu_lru_ctx *c, uint32_t idx)
{
	if (__builtin_expect(idx >= c->nr_elems, 0))
		return emu_lru_bad_node(c);
	return node_raw(c, idx);
}

static inline struct lru_local *local_of(struct emu_lru_ctx *c, uint32_t cpu)
{
	return (struct lru_local *)(void *)c->state->cpu_area + cpu;
}

static inline struct lru_set *own_set_of(struct emu_lru_ctx *c, uint32_t cpu)
{
	return (struct lru_set *)(void *)c->state->cpu_area + cpu;
}

static inline uint32_t cpu_count(uint32_t nr_cpus) { return nr_cpus ? nr_cpus : 1; }

/* A CPU number brought into range: it nearly always is, and the division this skips was on the
 * path to the list every pop and push touch (two of them a replacing update, ~25 cycles). */
static inline uint32_t cpu_index(struct emu_lru_ctx *c, uint32_t cpu)
{
	uint32_t nr = c->nr_cpus;

	return cpu < nr ? cpu : cpu % nr;
}

/* ------------------------------------------------------------------------------------------ */
/* Index-linked list primitives                                                                */

static inline void dl_init(struct lru_dlist *l) { l->first = l->last = EMU_LRU_NIL; }

/* The list primitives take node idx as n, found by the caller: only the neighbours' indices are
 * looked up (and so checked) here. */
static inline __attribute__((always_inline)) void dl_unlink(struct emu_lru_ctx *c, struct lru_dlist *l,
							    struct emu_lru_node *n)
{
	if (n->prev == EMU_LRU_NIL)
		l->first = n->next;
	else
		node_at(c, n->prev)->next = n->next;
	EMU_CRASH_POINT("lru.unlink");
	if (n->next == EMU_LRU_NIL)
		l->last = n->prev;
	else
		node_at(c, n->next)->prev = n->prev;
	n->next = n->prev = EMU_LRU_NIL;
}

/* Insert at the newest end, as list_add() does. */
static inline __attribute__((always_inline)) void dl_push_first(struct emu_lru_ctx *c, struct lru_dlist *l,
								uint32_t idx, struct emu_lru_node *n)
{
	n->prev = EMU_LRU_NIL;
	n->next = l->first;
	if (l->first == EMU_LRU_NIL)
		l->last = idx;
	else
		node_at(c, l->first)->prev = idx;
	EMU_CRASH_POINT("lru.push");
	l->first = idx;
}

/* Circular steps over a list whose head sentinel is NIL: from the sentinel one step toward the
 * newest end wraps to the oldest node and vice versa; an empty list's sentinel points at itself. */
static inline uint32_t ring_newer(struct emu_lru_ctx *c, const struct lru_dlist *l, uint32_t at)
{
	return at == EMU_LRU_NIL ? l->last : node_at(c, at)->prev;
}

static inline uint32_t ring_older(struct emu_lru_ctx *c, const struct lru_dlist *l, uint32_t at)
{
	return at == EMU_LRU_NIL ? l->first : node_at(c, at)->next;
}

static inline void count_adjust(struct lru_set *s, uint8_t type, int delta)
{
	if (type < LRU_NR_COUNTED)
		s->nr[type] += (uint32_t)delta;
}

static inline void set_init(struct lru_set *s)
{
	int k;

	for (k = 0; k < LRU_NR_SHARED; k++)
		dl_init(&s->q[k]);
	s->nr[LRU_ACTIVE] = s->nr[LRU_INACTIVE] = 0;
	s->cursor = EMU_LRU_NIL; /* the sentinel: the first rotation starts at the oldest node */
}

static inline void node_reset(struct emu_lru_node *n, uint8_t type, uint32_t cpu)
{
	n->next = n->prev = EMU_LRU_NIL;
	n->cpu = (uint16_t)cpu;
	n->type = type;
	n->ref = 0;
}

#endif
