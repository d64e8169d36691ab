/* SPDX-License-Identifier: MIT */
/*
 * Element recycling for the LRU hash maps, following the algorithm of the kernel's BPF LRU list
 * (kernel/bpf/bpf_lru_list.c in 6.18) step for step, because which keys disappear — and when —
 * is observable from user space: eviction happens in batches, before the map is full, and a
 * failing update can evict too (shared/kernel-semantics.md §9).
 *
 * Two layouts, chosen at map creation:
 *
 *  common (the default): one shared set of lists {active, inactive, free} plus, per CPU, a
 *      "local free" list (nodes reserved for that CPU's next inserts) and a "local pending" list
 *      (nodes that CPU handed out since its last refill). A CPU refills its local free list in
 *      batches of target_free nodes, first from the shared free list, then by evicting.
 *
 *  per-CPU (BPF_F_NO_COMMON_LRU): every CPU owns a fixed slice of the nodes and its own set of
 *      {active, inactive, free} lists, and never touches another CPU's slice.
 *
 * Lists are doubly linked through element indices. A list's `first` is where the kernel's
 * list_add() puts a node (newest), `last` is the oldest; node.next walks toward the oldest and
 * node.prev toward the newest, exactly like the kernel's ->next / ->prev. The kernel's circular
 * lists also have a head sentinel that the inactive-rotation cursor can point at; here the
 * sentinel is EMU_LRU_NIL, and the circular steps around it are spelled out in ring_newer() and
 * ring_older().
 *
 * Untrusted state (see lru.h): node_at() is the one way to a node, and it checks the index (one
 * compare); a bad one marks the context damaged and yields a scratch node whose links end every
 * walk. Walks the kernel bounds by a scan length keep it; the others are bounded by nr_elems.
 */
#include "lru_impl.h"

#include <stdlib.h>
#include <string.h>

/* An index out of range: see node_at() in lru_impl.h. */
__attribute__((cold, noinline)) struct emu_lru_node *emu_lru_bad_node(struct emu_lru_ctx *c)
{
	c->damaged = true;
	c->scratch.next = c->scratch.prev = EMU_LRU_NIL;
	c->scratch.cpu = 0;
	c->scratch.type = 0xff; /* LRU_UNUSED: on no list, so no list move touches it */
	c->scratch.ref = 0;
	return &c->scratch;
}

/* ------------------------------------------------------------------------------------------ */
/* Moves between lists. Each mirrors one kernel helper because they differ in small ways that     */
/* matter: which of them clear the ref bit, touch the counters, or fix up the rotation cursor.  */

/* If the rotation cursor sits on a node about to leave its place, step it to the newer
 * neighbour (possibly the sentinel) so the next rotation resumes where it would have. */
static inline void cursor_leaves(struct lru_set *s, uint32_t idx, const struct emu_lru_node *n)
{
	if (s->cursor == idx)
		s->cursor = n->prev;
}

/* Within a set: active <-> inactive, back to the active head, or into the set's free list.
 * Always forgets the ref bit. */
static void set_move(struct emu_lru_ctx *c, struct lru_set *s, uint32_t idx, uint8_t to)
{
	struct emu_lru_node *n = node_at(c, idx);
	uint8_t from = n->type;

	if (from >= LRU_NR_SHARED || to >= LRU_NR_SHARED)
		return;
	if (from != to) {
		count_adjust(s, from, -1);
		count_adjust(s, to, +1);
	}
	n->ref = 0;
	cursor_leaves(s, idx, n);
	dl_unlink(c, &s->q[from], n);
	n->type = to;
	dl_push_first(c, &s->q[to], idx, n);
}

/* Out of a set into a free list (the set's own, or a CPU's local one) after the node's element
 * was evicted or found free. Keeps the ref bit: whoever pops the node clears it. */
static void set_release(struct emu_lru_ctx *c, struct lru_set *s, uint32_t idx,
			struct lru_dlist *dst, uint8_t dst_type, uint32_t dst_cpu)
{
	struct emu_lru_node *n = node_at(c, idx);

	if (n->type >= LRU_NR_SHARED)
		return;
	cursor_leaves(s, idx, n);
	count_adjust(s, n->type, -1);
	dl_unlink(c, &s->q[n->type], n);
	n->type = dst_type;
	n->cpu = (uint16_t)dst_cpu;
	dl_push_first(c, dst, idx, n);
}

/* From a CPU's pending list into the shared active/inactive lists. A pending node can never be
 * the rotation cursor, so that is not checked. */
static void set_adopt(struct emu_lru_ctx *c, struct lru_set *s, struct lru_dlist *from_q,
		      uint32_t idx, uint8_t to)
{
	struct emu_lru_node *n = node_at(c, idx);

	count_adjust(s, to, +1);
	n->type = to;
	n->ref = 0;
	dl_unlink(c, from_q, n);
	dl_push_first(c, &s->q[to], idx, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Aging and eviction inside one list set                                                     */

/* Called when the inactive list is shorter than the active one. Walk active from its oldest
 * node: referenced nodes get a second chance at the active head, the rest are demoted to the
 * inactive head. Stops after nr_scans nodes or at the node that was newest when it began (nodes
 * re-added at the head must not be seen again). */
static inline __attribute__((always_inline)) void age_active(struct emu_lru_ctx *c, struct lru_set *s)
{
	struct lru_dlist *act = &s->q[LRU_ACTIVE];
	uint32_t stop_at = act->first, idx, older_done, seen = 0;

	for (idx = act->last; idx != EMU_LRU_NIL; idx = older_done) {
		older_done = node_at(c, idx)->prev;
		set_move(c, s, idx, node_at(c, idx)->ref ? LRU_ACTIVE : LRU_INACTIVE);
		if (++seen == c->nr_scans || idx == stop_at)
			break;
	}
}

/* Promote referenced inactive nodes to the active list, leaving unreferenced ones where they
 * are for the next eviction. The walk resumes at the cursor, goes toward newer nodes, wraps
 * around through the sentinel and ends one full turn later (or after nr_scans nodes); the
 * cursor is left on the node it would have looked at next. */
static void age_inactive(struct emu_lru_ctx *c, struct lru_set *s)
{
	struct lru_dlist *ina = &s->q[LRU_INACTIVE];
	uint32_t end, at, upcoming = EMU_LRU_NIL, seen = 0;

	if (ina->first == EMU_LRU_NIL)
		return;

	end = ring_older(c, ina, s->cursor);
	if (end == EMU_LRU_NIL)
		end = ring_older(c, ina, end);

	at = s->cursor;
	while (seen < c->nr_scans) {
		if (at == EMU_LRU_NIL) {
			/* stepping over the sentinel does not count as a scanned node */
			at = ring_newer(c, ina, at);
			if (at == EMU_LRU_NIL)
				break; /* emptied under us; cannot happen, but never spin */
			continue;
		}
		upcoming = ring_newer(c, ina, at);
		if (node_at(c, at)->ref)
			set_move(c, s, at, LRU_ACTIVE);
		if (at == end)
			break;
		at = upcoming;
		seen++;
	}
	s->cursor = upcoming;
}

static void age_lists(struct emu_lru_ctx *c, struct lru_set *s)
{
	if (s->nr[LRU_INACTIVE] < s->nr[LRU_ACTIVE])
		age_active(c, s);
	age_inactive(c, s);
}

/* Evict unreferenced nodes from the oldest end of the inactive list into `dst` until `want`
 * were freed or nr_scans nodes were looked at. Referenced ones met on the way are promoted.
 * A node whose element is not in the hash table (the callback says so) is left alone. */
static uint32_t evict_inactive(struct emu_lru_ctx *c, struct lru_set *s, uint32_t want,
			       struct lru_dlist *dst, uint8_t dst_type, uint32_t dst_cpu)
{
	struct lru_dlist *ina = &s->q[LRU_INACTIVE];
	uint32_t idx, newer, freed = 0, seen = 0;

	for (idx = ina->last; idx != EMU_LRU_NIL; idx = newer) {
		newer = node_at(c, idx)->prev;
		if (c->damaged)
			break;
		if (node_at(c, idx)->ref) {
			set_move(c, s, idx, LRU_ACTIVE);
		} else if (c->del_from_htab(c, idx)) {
			set_release(c, s, idx, dst, dst_type, dst_cpu);
			if (++freed == want)
				break;
		}
		if (++seen == c->nr_scans)
			break;
	}
	return freed;
}

/* Evict toward `want` free nodes. If the polite pass freed nothing, evict exactly one node
 * regardless of its ref bit: the oldest removable one of the inactive list, or of the active
 * list when inactive is empty. */
static uint32_t evict(struct emu_lru_ctx *c, struct lru_set *s, uint32_t want,
		      struct lru_dlist *dst, uint8_t dst_type, uint32_t dst_cpu)
{
	struct lru_dlist *victims;
	uint32_t idx, newer = EMU_LRU_NIL, freed;

	freed = evict_inactive(c, s, want, dst, dst_type, dst_cpu);
	if (freed)
		return freed;

	victims = s->q[LRU_INACTIVE].first != EMU_LRU_NIL ? &s->q[LRU_INACTIVE] : &s->q[LRU_ACTIVE];
	for (uint32_t n = 0; (idx = n ? newer : victims->last) != EMU_LRU_NIL && n <= c->nr_elems; n++) {
		newer = node_at(c, idx)->prev;
		if (c->damaged)
			return 0;
		if (c->del_from_htab(c, idx)) {
			set_release(c, s, idx, dst, dst_type, dst_cpu);
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Common layout                                                                                */

static inline __attribute__((always_inline)) void pending_add(struct emu_lru_ctx *c, struct lru_local *loc, uint32_t cpu, uint32_t idx)
{
	struct emu_lru_node *n = node_at(c, idx);

	n->cpu = (uint16_t)cpu;
	n->type = LRU_LOCAL_PENDING;
	n->ref = 0;
	dl_push_first(c, &loc->pending_q, idx, n);
}

/* Refill `cpu`'s local free list: hand its pending nodes over to the shared lists (oldest first,
 * so the newest ends up at the head), age the shared lists, then take up to target_free nodes
 * from the shared free list and evict for the rest. */
static void local_refill(struct emu_lru_ctx *c, struct lru_local *loc, uint32_t cpu)
{
	struct lru_set *s = &c->state->shared;
	uint32_t target = c->target_free;
	uint32_t idx, older, newer = EMU_LRU_NIL, got = 0;

	for (uint32_t n = 0; (idx = n ? newer : loc->pending_q.last) != EMU_LRU_NIL && n <= c->nr_elems; n++) {
		newer = node_at(c, idx)->prev;
		if (c->damaged)
			return;
		set_adopt(c, s, &loc->pending_q, idx, node_at(c, idx)->ref ? LRU_ACTIVE : LRU_INACTIVE);
	}

	age_lists(c, s);

	for (idx = s->q[LRU_FREE].first; idx != EMU_LRU_NIL; idx = older) {
		older = node_at(c, idx)->next;
		set_release(c, s, idx, &loc->free_q, LRU_LOCAL_FREE, cpu);
		if (++got == target)
			break;
	}

	if (got < target)
		evict(c, s, target - got, &loc->free_q, LRU_LOCAL_FREE, cpu);
}

static inline __attribute__((always_inline)) uint32_t local_take_free(struct emu_lru_ctx *c, struct lru_local *loc)
{
	uint32_t idx = loc->free_q.first;

	if (idx != EMU_LRU_NIL)
		dl_unlink(c, &loc->free_q, node_at(c, idx));
	return idx;
}

/* Last resort: take a node another CPU handed out but has not yet passed to the shared lists,
 * oldest first, preferring unreferenced ones; its element is evicted. */
static uint32_t local_take_pending(struct emu_lru_ctx *c, struct lru_local *loc)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		uint32_t idx = loc->pending_q.last;

		for (uint32_t n = 0; idx != EMU_LRU_NIL && n <= c->nr_elems && !c->damaged; n++) {
			struct emu_lru_node *nd = node_at(c, idx);

			if (!c->damaged && (pass || !nd->ref) && c->del_from_htab(c, idx)) {
				dl_unlink(c, &loc->pending_q, nd);
				return idx;
			}
			idx = nd->prev;
		}
	}
	return EMU_LRU_NIL;
}

static uint32_t common_pop(struct emu_lru_ctx *c, uint32_t cpu)
{
	uint32_t nr_cpus = c->nr_cpus;
	struct lru_local *loc = local_of(c, cpu);
	uint32_t idx, victim_cpu, first_victim;

	idx = local_take_free(c, loc);
	if (idx == EMU_LRU_NIL) {
		local_refill(c, loc, cpu);
		idx = local_take_free(c, loc);
	}
	if (idx != EMU_LRU_NIL) {
		pending_add(c, loc, cpu, idx);
		return idx;
	}

	/* Nothing shared is free or evictable: raid the CPUs' private lists round robin, starting
	 * where the previous raid of this CPU stopped. */
	first_victim = victim_cpu = loc->next_steal % nr_cpus;
	do {
		struct lru_local *vl = local_of(c, victim_cpu);

		idx = local_take_free(c, vl);
		if (idx == EMU_LRU_NIL)
			idx = local_take_pending(c, vl);
		victim_cpu = (victim_cpu + 1) % nr_cpus;
	} while (idx == EMU_LRU_NIL && victim_cpu != first_victim);
	loc->next_steal = victim_cpu;

	if (idx != EMU_LRU_NIL)
		pending_add(c, loc, cpu, idx);
	return idx;
}

static void common_push(struct emu_lru_ctx *c, uint32_t idx)
{
	struct emu_lru_node *n = node_at(c, idx);

	switch (n->type) {
	case LRU_LOCAL_PENDING: {
		/* still private to the CPU that took it: straight back to that CPU's free list */
		struct lru_local *loc = local_of(c, cpu_index(c, n->cpu));

		dl_unlink(c, &loc->pending_q, n);
		n->type = LRU_LOCAL_FREE;
		n->ref = 0;
		dl_push_first(c, &loc->free_q, idx, n);
		break;
	}
	case LRU_ACTIVE:
	case LRU_INACTIVE:
		set_move(c, &c->state->shared, idx, LRU_FREE);
		break;
	default:
		/* already free (a double free the kernel warns about and ignores) */
		break;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Per-CPU layout                                                                               */

static uint32_t percpu_pop(struct emu_lru_ctx *c, uint32_t cpu)
{
	struct lru_set *s = own_set_of(c, cpu);
	uint32_t idx;

	age_lists(c, s);
	if (s->q[LRU_FREE].first == EMU_LRU_NIL)
		evict(c, s, LRU_PERCPU_BATCH, &s->q[LRU_FREE], LRU_FREE, cpu);

	idx = s->q[LRU_FREE].first;
	if (idx != EMU_LRU_NIL) {
		node_at(c, idx)->ref = 0;
		/* handed-out nodes start on the inactive head; there is no pending stage */
		set_move(c, s, idx, LRU_INACTIVE);
	}
	return idx;
}

static void percpu_push(struct emu_lru_ctx *c, uint32_t idx)
{
	struct emu_lru_node *n = node_at(c, idx);

	if (n->type >= LRU_NR_SHARED || n->cpu >= c->nr_cpus)
		return;
	set_move(c, own_set_of(c, n->cpu), idx, LRU_FREE);
}

/* ------------------------------------------------------------------------------------------ */
/* Interface                                                                                    */

size_t emu_lru_state_size(uint32_t nr_cpus, bool percpu)
{
	size_t rec = percpu ? sizeof(struct lru_set) : sizeof(struct lru_local);

	return sizeof(struct emu_lru) + (size_t)cpu_count(nr_cpus) * rec;
}

void emu_lru_params(uint32_t nr_elems, uint32_t nr_cpus, bool percpu, uint32_t *target_free, uint32_t *nr_scans)
{
	uint32_t batch = nr_elems / cpu_count(nr_cpus) / 2;

	if (percpu) {
		*target_free = LRU_PERCPU_BATCH;
		*nr_scans = LRU_PERCPU_SCANS;
		return;
	}
	if (batch < 1)
		batch = 1;
	if (batch > LRU_COMMON_BATCH_MAX)
		batch = LRU_COMMON_BATCH_MAX;
	*target_free = batch;
	*nr_scans = LRU_COMMON_SCANS;
}

int emu_lru_validate(const struct emu_lru_ctx *c, const char **field)
{
	const struct emu_lru *st = c->state;

	if (st->magic != LRU_STATE_MAGIC)
		*field = "LRU state magic";
	else if (st->nr_cpus != cpu_count(c->nr_cpus) || st->nr_elems != c->nr_elems || st->percpu != c->percpu)
		*field = "LRU state shape (nr_cpus, nr_elems or percpu)";
	else if (st->target_free != c->target_free || st->nr_scans != c->nr_scans)
		*field = "LRU state batch (target_free or nr_scans)";
	else
		return 0;
	return -1;
}

void emu_lru_init(struct emu_lru_ctx *c)
{
	struct emu_lru *st = c->state;
	uint32_t nr_cpus = cpu_count(c->nr_cpus), nr_elems = c->nr_elems, cpu, i;
	bool percpu = c->percpu;

	st->magic = LRU_STATE_MAGIC;
	st->nr_cpus = nr_cpus;
	st->nr_elems = nr_elems;
	st->percpu = percpu;
	st->target_free = c->target_free;
	st->nr_scans = c->nr_scans;
	set_init(&st->shared);

	if (!percpu) {
		for (cpu = 0; cpu < nr_cpus; cpu++) {
			struct lru_local *loc = local_of(c, cpu);

			dl_init(&loc->free_q);
			dl_init(&loc->pending_q);
			loc->next_steal = cpu;
		}
		/* every node starts on the shared free list, the highest index at its head */
		for (i = 0; i < nr_elems; i++) {
			node_reset(node_at(c, i), LRU_FREE, 0);
			dl_push_first(c, &st->shared.q[LRU_FREE], i, node_raw(c, i));
		}
		return;
	}

	for (cpu = 0; cpu < nr_cpus; cpu++)
		set_init(own_set_of(c, cpu));

	/* Consecutive slices of nr_elems / nr_cpus nodes go to CPU 0, 1, ...; a remainder (the map
	 * code rounds max_entries up to a multiple of the CPU count, so there is none in practice)
	 * is never handed out, as in the kernel. With fewer nodes than CPUs the kernel's slice would
	 * be empty; give the first CPUs one node each instead. */
	{
		uint32_t slice = nr_elems / nr_cpus ? nr_elems / nr_cpus : 1;

		i = 0;
		for (cpu = 0; cpu < nr_cpus && i < nr_elems; cpu++) {
			uint32_t k;

			for (k = 0; k < slice && i < nr_elems; k++, i++) {
				node_reset(node_at(c, i), LRU_FREE, cpu);
				dl_push_first(c, &own_set_of(c, cpu)->q[LRU_FREE], i, node_raw(c, i));
			}
		}
		for (; i < nr_elems; i++)
			node_reset(node_at(c, i), LRU_UNUSED, 0);
	}
}

uint32_t emu_lru_pop_free(struct emu_lru_ctx *c, uint32_t cpu)
{
	uint32_t idx;

	cpu = cpu_index(c, cpu);
	idx = c->percpu ? percpu_pop(c, cpu) : common_pop(c, cpu);
	return c->damaged ? EMU_LRU_NIL : idx;
}

void emu_lru_push_free(struct emu_lru_ctx *c, uint32_t idx)
{
	if (idx >= c->nr_elems)
		return;
	if (c->percpu)
		percpu_push(c, idx);
	else
		common_push(c, idx);
}
