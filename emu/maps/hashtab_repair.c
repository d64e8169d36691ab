/* SPDX-License-Identifier: MIT */
/*
 * The hash family's integrity: BPF_MAP check (bpfemu_map_check) walks every list, bounded and
 * link-checked, and reports the first damage; recovery after a lock holder died rebuilds the derived
 * state (count, linked marks, free pool) from the bucket lists, which the write paths in hashtab.c
 * keep sound at every store (the invariant at the top of hashtab.c).
 */
#include <stdlib.h>

#include "../core/inplace.h"
#include "../core/value.h"
#include "families.h"
#include "hashtab.h"

/* Whether an element ahead of `stop` in the list from `head` holds e's key (the walk bounded and
 * checked: a list changed since its caller walked it ends at a bad link). */
static bool key_seen_before(struct emu_map *m, uint32_t head, uint32_t stop, struct htab_elem *e)
{
	uint32_t steps = 0;

	for (uint32_t i = head; link_ok(m, i) && i != stop && steps++ < G(m)->nr_elems; i = elem(m, i - 1)->next) {
		struct htab_elem *o = elem(m, i - 1);

		if (o->hash == e->hash && key_equal(elem_key(o), elem_key(e), m->key_size))
			return true;
	}
	return false;
}

/* Elements handed out at least once are indices below in_pool. Lock held. */
int htab_check_buckets(struct emu_map *m, uint32_t in_pool, uint32_t *linked_out)
{
	struct htab_priv *p = H(m);
	uint32_t linked = 0, nb = G(m)->mask + 1, nr = G(m)->nr_elems;

	if (p->next_unused > nr)
		return htab_damaged(m, "hash next_unused");
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t steps = 0;

		for (uint32_t i = buckets(m)[b]; i; i = elem(m, i - 1)->next) {
			struct htab_elem *e;

			if (i > in_pool || !link_ok(m, i))
				return htab_damaged(m, "hash bucket list link");
			if (++steps > nr)
				return htab_damaged(m, "hash bucket list (a cycle)");
			e = elem(m, i - 1);
			/* under the lock no in-place writer is at work (emu_inplace_drain) */
			if ((e->hash & G(m)->mask) != b || e->hash != hash_key(m, elem_key(e)))
				return htab_damaged(m, "hash element hash");
			if (!e->linked || (m->inplace_off && (e->wword & EMU_WORD_LOCKED)))
				return htab_damaged(m, "hash element mark");
			if (key_seen_before(m, buckets(m)[b], i, e))
				return htab_damaged(m, "hash bucket list (a key twice)");
			if (!emu_value_lock_word_ok(m, elem_value(m, e)))
				return htab_damaged(m, "value spin lock");
			linked++;
		}
	}
	if (linked != p->count || linked > m->max_entries)
		return htab_damaged(m, "hash count");
	*linked_out = linked;
	return 0;
}

/* The buckets, then the free pool: every element handed out is either linked or free. */
int htab_check(struct emu_map *m)
{
	struct htab_priv *p = H(m);
	uint32_t linked, nfree = 0;
	int err = emu_map_lock(m);

	if (err)
		return err;
	err = htab_check_buckets(m, p->next_unused, &linked);
	for (uint32_t i = p->free_head; !err && i; i = elem(m, i - 1)->next) {
		if (i > p->next_unused || !link_ok(m, i) || ++nfree > G(m)->nr_elems || elem(m, i - 1)->linked) {
			err = htab_damaged(m, "hash free list");
			break;
		}
	}
	if (!err && linked + nfree != p->next_unused)
		err = htab_damaged(m, "hash free list (elements lost)");
	emu_map_unlock(m);
	return err;
}

/*
 * A lock holder died. Per the invariant at the top of this file the bucket lists are sound, so
 * they are kept and all derived state is rebuilt from them. The walk still refuses what a sound
 * list cannot hold — an index outside the pool (elements below n were handed out), a loop, an
 * element in the wrong bucket or with a stale hash — rather than trust the invariant blindly: a
 * list is cut at a bad link, a bad element is skipped. The stale copy of a key caught mid-replace
 * (behind its new copy) is unlinked, completing the replace. Linked marks: 0 not seen, 1 in the
 * table, 2 skipped. The family then rebuilds its free side from the marks.
 */
void htab_recover_buckets(struct emu_map *m, uint32_t n)
{
	struct htab_priv *p = H(m);
	uint32_t nb = G(m)->mask + 1, count = 0, i;

	if (n > G(m)->nr_elems)
		n = G(m)->nr_elems;
	for (i = 0; i < n; i++)
		elem(m, i)->linked = 0;
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t *pp = &buckets(m)[b];

		while ((i = *pp)) {
			struct htab_elem *e;

			if (i > n || elem(m, i - 1)->linked) {
				emu_publish_u32(pp, 0);
				break;
			}
			e = elem(m, i - 1);
			if ((e->hash & (nb - 1)) != b || e->hash != hash_key(m, elem_key(e)) ||
			    key_seen_before(m, buckets(m)[b], i, e)) {
				e->linked = 2;
				emu_publish_u32(pp, e->next);
				continue;
			}
			e->linked = 1;
			count++;
			pp = &e->next;
		}
	}
	for (i = 0; i < n; i++)
		if (elem(m, i)->linked == 2)
			elem(m, i)->linked = 0;
	p->count = count;
}

void htab_recover(struct emu_map *m)
{
	struct htab_priv *p = H(m);
	uint32_t i;

	if (p->next_unused > G(m)->nr_elems)
		p->next_unused = G(m)->nr_elems;
	htab_recover_buckets(m, p->next_unused);
	/* an element taken from the pool but not linked yet goes back here */
	p->free_head = 0;
	for (i = p->next_unused; i-- > 0;)
		if (!elem(m, i)->linked)
			htab_pool_push(m, i);
}
