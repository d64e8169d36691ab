/* SPDX-License-Identifier: MIT */
/*
 * The hash family's batch side: which buckets one LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH run
 * takes (whole buckets, so the token is a bucket index) and how a deleted run's elements go back to
 * the free pool in the kernel's order. Every link read from the file is checked against the pool.
 */
#include <stdlib.h>

#include "../core/value.h"
#include "families.h"
#include "hashtab.h"

/* Buckets one run looks at (about): a sparse table is walked in several lock holds, not one. */
#define RUN_SCAN 4096u

/*
 * LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH, lock held by batch.c: buckets are taken whole, so the
 * token stays a bucket index. Nothing is copied here: batch.c copies from the elements straight
 * to the user's buffers while the lock keeps them in place.
 */
int htab_batch_buckets(struct emu_map *m, uint32_t from, struct emu_bucket_run *r)
{
	const struct htab_geom *g = G(m);
	const uint32_t *bk = g->buckets;
	const char *elems = g->elems;
	uint32_t b = from, nb = g->mask + 1, es = g->elem_size, voff = g->value_off, pool = g->nr_elems;
	uint32_t taken = 0, nr = 0, need = 0, limit;
	bool done = false;

	if (b >= nb)
		return -ENOENT;
	/* the last bucket is taken even when empty, so the skipping stops there at the latest */
	limit = nb - 1 - b > RUN_SCAN ? b + RUN_SCAN : nb - 1;
	for (;;) {
		uint32_t cnt = 0, left = r->cap - taken;

		while (!bk[b] && b < limit)
			b++;
		if (!bk[b] && b < nb - 1)
			break; /* out of scan budget among empty buckets: go on from here */
		/* one pass: count, and point at the elements while they fit */
		for (uint32_t i = bk[b]; i;) {
			const char *e;

			if (i - 1 >= pool || cnt >= pool)
				return htab_damaged(m, "hash bucket list");
			e = elems + (size_t)(i - 1) * es;
			if (cnt < left) {
				r->keys[taken + cnt] = e + ELEM_KEY_OFF;
				r->values[taken + cnt] = e + voff;
			}
			cnt++;
			i = ((const struct htab_elem *)e)->next;
		}
		if (cnt > r->room - taken || cnt > left) {
			need = cnt;
			break;
		}
		if (cnt) {
			taken += cnt;
			r->bucket[nr] = b;
			r->end[nr++] = taken;
		}
		if (++b >= nb) {
			done = true;
			break;
		}
		if (b > limit)
			break;
	}
	r->nr = nr;
	r->next = b;
	r->need = need;
	r->done = done;
	return 0;
}

/*
 * The kernel unlinks a bucket's elements in list order and frees them after dropping the bucket
 * lock, last one first, each as an element delete would (LRU nodes back to the LRU free lists);
 * the same order here keeps the free lists, and so later insertions, in the kernel's order.
 */
void htab_batch_buckets_delete(struct emu_map *m, const uint32_t *bucket, uint32_t nr)
{
	struct htab_priv *p = H(m);

	for (uint32_t k = 0; k < nr; k++) {
		uint32_t last, head = htab_take_bucket(m, bucket[k], &last);

		/* Pushing last to first onto the free list's head leaves the chain as it is, in front
		 * of the old list: one link does it. */
		if (last) {
			elem(m, last - 1)->next = p->free_head;
			EMU_CRASH_POINT("htab.batch");
			p->free_head = head;
		}
	}
}
