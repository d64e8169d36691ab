/* SPDX-License-Identifier: MIT */
/*
 * LRU_HASH and LRU_PERCPU_HASH: the hash table of hashtab.c whose elements come from, and go back
 * to, the kernel's LRU lists (lru.c) instead of a free pool, so a full map evicts as the kernel's
 * does. Every element is a node of the lists (nodes 0..nr_elems-1 are the elements); an element is
 * in the table exactly when its node is handed out. The crash-safety invariant of hashtab.c holds
 * here too; recovery rebuilds the lists from the bucket lists. Damage the lists hold (lru.c checks
 * every index it follows) answers EUCLEAN as the table's does.
 *
 * Which CPU's lists an insert takes its node from is the kernel's: the CPU the calling thread runs
 * on for a command (sched_getcpu(), as raw_smp_processor_id() in the kernel), the run's CPU for a
 * program. A node goes back to the lists of the CPU that holds it, whoever frees it. lru.c folds a
 * CPU number past the map's CPU count into range, so none indexes out of its per-CPU records.
 */
#include <stdlib.h>

#include "../cmd/cmds.h"
#include "../core/cpus.h"
#include "../util/diag.h"
#include "families.h"
#include "hashtab.h"

/* An element the lists want evicted: out of its bucket if it is in one. One marked linked that
 * its bucket does not hold is damage. */
static bool lru_del_cb(struct emu_lru_ctx *c, uint32_t idx)
{
	struct emu_map *m = c->arg;

	if (idx >= G(m)->nr_elems || !elem(m, idx)->linked)
		return false;
	if (htab_unlink(m, idx))
		return true;
	c->damaged = true;
	return false;
}

static void lru_ctx(struct emu_map *m, struct emu_lru_ctx *c)
{
	const struct htab_geom *g = G(m);

	c->state = (struct emu_lru *)(void *)g->lru;
	c->node_base = g->elems + offsetof(struct htab_elem, lru);
	c->stride = g->elem_size;
	c->nr_elems = g->nr_elems;
	c->nr_cpus = m->nr_cpus;
	c->target_free = g->lru_target;
	c->nr_scans = g->lru_scans;
	c->percpu = m->map_flags & EMU_F_NO_COMMON_LRU;
	c->damaged = false;
	c->del_from_htab = lru_del_cb;
	c->arg = m;
}

static int lru_damaged(struct emu_map *m) { return htab_damaged(m, "LRU list"); }

static int lru_free(struct emu_map *m, uint32_t idx)
{
	struct emu_lru_ctx lc;

	lru_ctx(m, &lc);
	emu_lru_push_free(&lc, idx);
	return lc.damaged ? lru_damaged(m) : 0;
}

static void htab_lru_init(struct emu_map *m)
{
	struct emu_lru_ctx lc;

	htab_init_table(m);
	lru_ctx(m, &lc);
	emu_lru_init(&lc);
}

static int htab_lru_validate(struct emu_map *m, const char **field)
{
	struct emu_lru_ctx lc;
	int err = htab_validate_table(m, field);

	if (err)
		return err;
	lru_ctx(m, &lc);
	return emu_lru_validate(&lc, field) ? -EINVAL : 0;
}

/*
 * LRU_HASH, lock held. A node is taken before the key is looked for, as the kernel does, so even
 * an update that then fails can evict. A key already in the map is replaced by the new element,
 * which is marked referenced.
 */
static int update_lru(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t hash,
		      uint32_t cpu)
{
	struct emu_lru_ctx lc;
	uint32_t idx, old;
	int err;

	lru_ctx(m, &lc);
	idx = emu_lru_pop_free(&lc, cpu);
	if (lc.damaged)
		return lru_damaged(m);
	if (idx == EMU_LRU_NIL)
		return -ENOMEM;
	old = htab_find(m, hash, key);
	if (old == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	err = htab_check_flags(old, flags);
	if (err) {
		emu_lru_push_free(&lc, idx);
		return lc.damaged ? lru_damaged(m) : err;
	}
	htab_fill(m, idx, hash, key, value);
	htab_link_head(m, idx);
	if (old) {
		elem(m, idx)->lru.ref = 1;
		EMU_CRASH_POINT("htab.replace");
		if (!htab_unlink(m, old - 1))
			return htab_damaged(m, "hash bucket list");
		emu_lru_push_free(&lc, old - 1);
	}
	return lc.damaged ? lru_damaged(m) : 0;
}

/*
 * LRU_PERCPU_HASH, lock held: an element already in the map is overwritten where it is (and marked
 * referenced); a node is taken first unless the update can only overwrite (BPF_EXIST).
 */
static int update_lru_percpu(struct emu_map *m, const void *key, const void *value, uint64_t flags,
			     uint32_t hash, uint32_t cpu, bool one_cpu)
{
	struct emu_lru_ctx lc;
	uint32_t idx = EMU_LRU_NIL, old;
	int err;

	lru_ctx(m, &lc);
	if (flags != EMU_EXIST) {
		idx = emu_lru_pop_free(&lc, cpu);
		if (lc.damaged)
			return lru_damaged(m);
		if (idx == EMU_LRU_NIL)
			return -ENOMEM;
	}
	old = htab_find(m, hash, key);
	if (old == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	err = htab_check_flags(old, flags);
	if (!err && old) {
		struct htab_elem *e = elem(m, old - 1);

		e->lru.ref = 1;
		if (one_cpu) /* a program's update: its CPU's slot only */
			emu_map_write_value(m, elem_value(m, e) + (size_t)cpu * emu_round_up(m->value_size, 8),
					    value, m->value_size);
		else
			emu_map_write_value(m, elem_value(m, e), value, m->value_bytes);
	}
	if (err || old) {
		if (idx != EMU_LRU_NIL)
			emu_lru_push_free(&lc, idx);
		return lc.damaged ? lru_damaged(m) : err;
	}
	if (one_cpu) { /* a new element: the program's CPU gets the value, the others zeroes */
		char *full = calloc(1, m->value_bytes);

		if (!full) {
			emu_lru_push_free(&lc, idx);
			return -ENOMEM;
		}
		memcpy(full + (size_t)cpu * emu_round_up(m->value_size, 8), value, m->value_size);
		htab_fill(m, idx, hash, key, full);
		free(full);
	} else {
		htab_fill(m, idx, hash, key, value);
	}
	htab_link_head(m, idx);
	return 0;
}

/* The CPU whose lists a command's insert uses: the one the caller runs on. (Planted fault
 * "lru-cpu0": always CPU 0, the emulator's answer before issue 17, which diff_lru_cpu must catch.) */
static uint32_t caller_cpu(void)
{
	if (EMU_FAULT("lru-cpu0"))
		return 0;
	return emu_this_cpu();
}

/* LRU updates take no BPF_F_LOCK (the kernel's htab_lru_map_update_elem). */
static int htab_lru_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return flags <= EMU_EXIST ? update_lru(m, key, value, flags, hash_key(m, key), caller_cpu()) : -EINVAL;
}

static int htab_lru_percpu_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return flags <= EMU_EXIST ? update_lru_percpu(m, key, value, flags, hash_key(m, key), caller_cpu(), false)
				  : -EINVAL;
}

static int locked_update(struct emu_map *m, const void *key, const void *value, uint64_t flags,
			 int (*update_locked)(struct emu_map *, const void *, const void *, uint64_t))
{
	int err;

	if (flags > EMU_EXIST)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	err = update_locked(m, key, value, flags);
	emu_map_unlock(m);
	return err;
}

static int htab_lru_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return locked_update(m, key, value, flags, htab_lru_update_locked);
}

static int htab_lru_percpu_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return locked_update(m, key, value, flags, htab_lru_percpu_update_locked);
}

static int htab_lru_delete(struct emu_map *m, const void *key)
{
	return htab_remove(m, key, NULL, lru_free);
}

/* The same with the lock held by DELETE_BATCH */
static int htab_lru_delete_locked(struct emu_map *m, const void *key)
{
	return htab_remove_locked(m, hash_key(m, key), key, NULL, lru_free);
}

static int htab_lru_lookup_and_delete(struct emu_map *m, const void *key, void *value, uint64_t flags)
{
	(void)flags; /* only BPF_F_LOCK reaches here, and the dispatcher refused it */
	return htab_remove(m, key, value, lru_free);
}

/*
 * The kernel unlinks a bucket's elements in list order and frees them after dropping the bucket
 * lock, last one first, each as an element delete would (back to the LRU free lists); the same
 * order here keeps the free lists, and so later insertions, in the kernel's order.
 */
static void htab_lru_batch_buckets_delete(struct emu_map *m, const uint32_t *bucket, uint32_t nr)
{
	struct emu_lru_ctx lc;

	lru_ctx(m, &lc);
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t *bp = &buckets(m)[bucket[k]], i = *bp, rev = 0, n = 0, pool = G(m)->nr_elems;

		/* out of the table in one store, as htab_take_bucket does; the chain reversed on the
		 * way (each link checked, the walk bounded), so the frees below go last to first */
		emu_publish_u32(bp, 0);
		EMU_CRASH_POINT("htab.batch");
		for (; link_ok(m, i) && n < pool; n++) {
			struct htab_elem *e = elem(m, i - 1);
			uint32_t next = e->next;

			e->linked = 0;
			e->next = rev;
			rev = i;
			i = next;
		}
		H(m)->count -= n;
		for (; n && link_ok(m, rev); n--) {
			uint32_t next = elem(m, rev - 1)->next;

			elem(m, rev - 1)->next = 0;
			EMU_CRASH_POINT("htab.batch");
			emu_lru_push_free(&lc, rev - 1);
			rev = next;
		}
	}
	if (lc.damaged)
		lru_damaged(m);
}

/* The buckets, then the lists: a node is handed out exactly when its element is in the table. */
static int htab_lru_check(struct emu_map *m)
{
	struct emu_lru_ctx lc;
	uint32_t linked, marked = 0;
	int err = emu_map_lock(m);

	if (err)
		return err;
	err = htab_check_buckets(m, G(m)->nr_elems, &linked);
	lru_ctx(m, &lc);
	if (!err && emu_lru_check(&lc))
		err = lru_damaged(m);
	for (uint32_t i = 0; !err && i < G(m)->nr_elems; i++) {
		bool in = elem(m, i)->linked;

		if (in != emu_lru_node_in_use(&lc, i))
			err = htab_damaged(m, "LRU node (in use, not in the table)");
		marked += in;
	}
	if (!err && marked != linked)
		err = htab_damaged(m, "hash element mark");
	emu_map_unlock(m);
	return err;
}

static bool lru_in_table_cb(void *arg, uint32_t idx)
{
	return elem(arg, idx)->linked == 1;
}

/* After a holder died: the buckets (hashtab.c), then every list rebuilt from them. */
static void htab_lru_recover(struct emu_map *m)
{
	struct emu_lru_ctx lc;

	htab_recover_buckets(m, G(m)->nr_elems);
	lru_ctx(m, &lc);
	emu_lru_rebuild(&lc, lru_in_table_cb);
}

/* ---- programs: a lookup marks the element referenced (bpf_lru_node_set_ref; the command's
 * lookup does not), updates take their node from the running CPU's lists ---- */

static void *htab_lru_prog_lookup(struct emu_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = htab_prog_find(m, key);
	struct htab_elem *e;

	if (!i)
		return NULL;
	e = elem(m, i - 1);
	if (!__atomic_load_n(&e->lru.ref, __ATOMIC_RELAXED))
		__atomic_store_n(&e->lru.ref, 1, __ATOMIC_RELAXED);
	return htab_prog_value(m, i, cpu);
}

static int lru_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu,
			   bool percpu)
{
	int err;

	if (flags > EMU_EXIST || cpu >= m->nr_cpus)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	if (percpu)
		err = update_lru_percpu(m, key, value, flags, hash_key(m, key), cpu, true);
	else
		err = update_lru(m, key, value, flags, hash_key(m, key), cpu);
	emu_map_unlock(m);
	return err;
}

static int htab_lru_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	return lru_prog_update(m, key, value, flags, cpu, false);
}

static int htab_lru_percpu_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags,
				       uint32_t cpu)
{
	return lru_prog_update(m, key, value, flags, cpu, true);
}

/* Every LRU write takes the map lock: no inplace_bytes, no writer slots. */
#define HTAB_LRU_OPS                                                                                \
	HTAB_COMMON_OPS, .init = htab_lru_init, .validate = htab_lru_validate, .delete = htab_lru_delete, \
	.delete_locked = htab_lru_delete_locked, .lookup_and_delete = htab_lru_lookup_and_delete,    \
	.check = htab_lru_check, .recover = htab_lru_recover,                                       \
	.batch_buckets_delete = htab_lru_batch_buckets_delete, .prog_lookup = htab_lru_prog_lookup,      \
	.prog_for_each = htab_prog_for_each

const struct emu_map_ops emu_htab_lru_ops = {
	.family = "lru_hash",
	HTAB_LRU_OPS,
	.update = htab_lru_update,
	.update_locked = htab_lru_update_locked,
	.prog_update = htab_lru_prog_update,
};

const struct emu_map_ops emu_htab_lru_percpu_ops = {
	.family = "lru_percpu_hash",
	HTAB_LRU_OPS,
	.update = htab_lru_percpu_update,
	.update_locked = htab_lru_percpu_update_locked,
	.lookup_percpu = htab_lookup_percpu,
	.prog_update = htab_lru_percpu_prog_update,
};
