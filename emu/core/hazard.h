/* SPDX-License-Identifier: MIT */
/*
 * Hazard slots (core/hazard.c), private to core/. A call through the fd cache holds its map by a
 * per-thread hazard slot rather than the shared reference count: an atomic increment and
 * decrement of one cache line every call was a tenth of a lookup, and the line bounced between
 * threads using one map. The registry's sweep leaves a map alone while any slot names it. A thread
 * uses its slot for one map at a time; a nested call (a signal handler's) takes the reference
 * count, and emu_map_put() clearing the slot of a map that also holds a count is harmless: the
 * count still protects it and is dropped by the other put.
 */
#ifndef BPFEMU_CORE_HAZARD_H
#define BPFEMU_CORE_HAZARD_H

#include <stdbool.h>

#include "map.h"

struct emu_hazard {
	struct emu_map *map;
	struct emu_hazard *next;
	int taken; /* owned by a live thread */
};

extern __thread struct emu_hazard *emu_my_hazard __attribute__((tls_model("initial-exec")));
extern __thread bool emu_my_hazard_tried __attribute__((tls_model("initial-exec")));

/* This thread's slot, made on its first cached call; NULL if none could be had. */
struct emu_hazard *emu_hazard_get_slow(void);
/* Whether any thread's slot names m (the sweep asks). */
bool emu_hazard_names(const struct emu_map *m);
/* The forked child has only this thread: the others' slots are free again. */
void emu_hazards_after_fork(void);

/* Hold m for one call: by this thread's slot if it is free, else by the reference count. */
static inline void emu_hazard_hold(struct emu_map *m)
{
	struct emu_hazard *h = emu_my_hazard;

	if (!h && !emu_my_hazard_tried)
		h = emu_hazard_get_slow();
	if (h && !__atomic_load_n(&h->map, __ATOMIC_RELAXED))
		__atomic_store_n(&h->map, m, __ATOMIC_RELEASE);
	else
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
}

/* Drop a hold taken by emu_hazard_hold() or by the reference count. */
static inline void emu_hazard_put(struct emu_map *m)
{
	struct emu_hazard *h = emu_my_hazard;

	if (h && __atomic_load_n(&h->map, __ATOMIC_RELAXED) == m)
		__atomic_store_n(&h->map, NULL, __ATOMIC_RELEASE);
	else
		__atomic_sub_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

#endif
