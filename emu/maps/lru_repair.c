/* SPDX-License-Identifier: MIT */
/*
 * The LRU lists checked (bpfemu_map_check) and rebuilt after a lock holder died: every list walk
 * bounded by nr_elems and every index checked (node_at), as in lru.c; the rebuild puts every node
 * the table does not hold back on a free list, in the kernel's layout.
 */
#include "lru_impl.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Self-check                                                                                   */

/* Walk one list: links agree both ways, every node carries the list's type (and CPU where that
 * identifies the list), nothing is visited twice (which also rules out cycles). Returns the
 * number of nodes, or -1. */
static long check_list(struct emu_lru_ctx *c, const struct lru_dlist *l, uint8_t type,
		       long cpu, unsigned char *seen)
{
	uint32_t nr_elems = c->nr_elems, idx, prev = EMU_LRU_NIL;
	long n = 0;

	for (idx = l->first; idx != EMU_LRU_NIL; prev = idx, idx = node_raw(c, idx)->next) {
		const struct emu_lru_node *nd;

		if (idx >= nr_elems || seen[idx])
			return -1;
		seen[idx] = 1;
		nd = node_raw(c, idx);
		if (nd->prev != prev || nd->type != type)
			return -1;
		if (cpu >= 0 && nd->cpu != (uint32_t)cpu)
			return -1;
		n++;
	}
	return l->last == prev ? n : -1;
}

static int check_set(struct emu_lru_ctx *c, const struct lru_set *s, long cpu,
		     unsigned char *seen, uint32_t *total)
{
	int k;

	for (k = 0; k < LRU_NR_SHARED; k++) {
		long n = check_list(c, &s->q[k], (uint8_t)k, cpu, seen);

		if (n < 0)
			return -1;
		if (k < LRU_NR_COUNTED && (uint32_t)n != s->nr[k])
			return -1;
		*total += (uint32_t)n;
	}
	/* the rotation cursor is the sentinel or a node of this set's inactive list */
	if (s->cursor != EMU_LRU_NIL) {
		const struct emu_lru_node *nd;

		if (s->cursor >= c->nr_elems)
			return -1;
		nd = node_raw(c, s->cursor);
		if (nd->type != LRU_INACTIVE || (cpu >= 0 && nd->cpu != (uint32_t)cpu))
			return -1;
	}
	return 0;
}

int emu_lru_check(struct emu_lru_ctx *c)
{
	const struct emu_lru *st = c->state;
	const char *field;
	unsigned char *seen;
	uint32_t total = 0, expected = 0, nr_elems = c->nr_elems, nr_cpus = cpu_count(c->nr_cpus), cpu, i;
	int ret = -1;

	if (emu_lru_validate(c, &field))
		return -1;
	seen = calloc(nr_elems ? nr_elems : 1, 1);
	if (!seen)
		return -1;

	if (c->percpu) {
		for (cpu = 0; cpu < nr_cpus; cpu++)
			if (check_set(c, own_set_of(c, cpu), cpu, seen, &total))
				goto out;
	} else {
		if (check_set(c, &st->shared, -1, seen, &total))
			goto out;
		for (cpu = 0; cpu < nr_cpus; cpu++) {
			struct lru_local *loc = local_of(c, cpu);
			long a = check_list(c, &loc->free_q, LRU_LOCAL_FREE, cpu, seen);
			long b = check_list(c, &loc->pending_q, LRU_LOCAL_PENDING, cpu, seen);

			if (a < 0 || b < 0 || loc->next_steal >= nr_cpus)
				goto out;
			total += (uint32_t)(a + b);
		}
	}

	/* every node that belongs to the LRU is on exactly one list */
	for (i = 0; i < nr_elems; i++) {
		const struct emu_lru_node *nd = node_raw(c, i);

		if (nd->type == LRU_UNUSED) {
			if (!c->percpu || seen[i])
				goto out;
			continue;
		}
		if (!seen[i])
			goto out;
		expected++;
	}
	if (total != expected)
		goto out;
	ret = 0;
out:
	free(seen);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* Crash recovery                                                                               */

bool emu_lru_node_in_use(const struct emu_lru_ctx *c, uint32_t idx)
{
	uint8_t t = node_raw(c, idx)->type;

	return t == LRU_ACTIVE || t == LRU_INACTIVE || t == LRU_LOCAL_PENDING;
}

/*
 * A process killed halfway through a list move leaves doubly linked lists that disagree with
 * themselves, and which of its steps landed is unknowable from the lists alone. So nothing of
 * the old lists is trusted: every node is placed again from the one thing that is sound, whether
 * its element is in the hash table. Elements in the table go to the active list if they were
 * active, else to the inactive one (a node that was pending or half-moved counts as recently
 * used, as pending nodes are); the rest become free. Local lists start empty, which the
 * kernel's lists also are after a refill hands everything back. The order within a list is by
 * index: the exact recency among the survivors is lost with the crash, as it is nowhere
 * recorded soundly.
 */
static void rebuild_place(struct emu_lru_ctx *c, struct lru_set *s, uint32_t idx, uint32_t cpu,
			  bool in_table)
{
	struct emu_lru_node *n = node_at(c, idx);
	uint8_t to = !in_table ? LRU_FREE : n->type == LRU_ACTIVE ? LRU_ACTIVE : LRU_INACTIVE;

	n->type = to;
	n->cpu = (uint16_t)cpu;
	if (to == LRU_FREE)
		n->ref = 0;
	count_adjust(s, to, +1);
	dl_push_first(c, &s->q[to], idx, n);
}

void emu_lru_rebuild(struct emu_lru_ctx *c, bool (*in_table)(void *arg, uint32_t idx))
{
	struct emu_lru *st = c->state;
	uint32_t nr_cpus = cpu_count(c->nr_cpus), nr_elems = c->nr_elems, cpu, i;

	/* the state's shape as it should be: a damaged one is rewritten, not trusted */
	st->magic = LRU_STATE_MAGIC;
	st->nr_cpus = nr_cpus;
	st->nr_elems = nr_elems;
	st->percpu = c->percpu;
	st->target_free = c->target_free;
	st->nr_scans = c->nr_scans;
	if (!c->percpu) {
		set_init(&st->shared);
		for (cpu = 0; cpu < nr_cpus; cpu++) {
			struct lru_local *loc = local_of(c, cpu);

			dl_init(&loc->free_q);
			dl_init(&loc->pending_q);
			if (loc->next_steal >= nr_cpus)
				loc->next_steal = cpu;
		}
		for (i = 0; i < nr_elems; i++)
			rebuild_place(c, &st->shared, i, 0, in_table(c->arg, i));
		return;
	}

	/* the slices emu_lru_init handed out: node i belongs to CPU i / slice */
	{
		uint32_t slice = nr_elems / nr_cpus ? nr_elems / nr_cpus : 1;

		for (cpu = 0; cpu < nr_cpus; cpu++)
			set_init(own_set_of(c, cpu));
		for (i = 0; i < nr_elems; i++) {
			if (i / slice >= nr_cpus) {
				node_reset(node_at(c, i), LRU_UNUSED, 0);
				continue;
			}
			rebuild_place(c, own_set_of(c, i / slice), i, i / slice, in_table(c->arg, i));
		}
	}
}
