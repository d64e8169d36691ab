/* SPDX-License-Identifier: MIT */
/*
 * The hash family (HASH and PERCPU_HASH here; LRU_HASH and LRU_PERCPU_HASH in hashtab_lru.c) in
 * the kernel's shape: n_buckets is max_entries
 * rounded up to a power of two, the bucket is the lookup3 hash masked, new elements go to the
 * head of their bucket. With BPF_F_ZERO_SEED that makes iteration order the kernel's, byte for
 * byte. Links are element indices plus one, so a zero-filled file is an empty table.
 *
 * Crash safety. A process can be killed between any two of its writes to the file, lock held.
 * The invariant every write path keeps, so that any prefix of its writes can be repaired:
 *
 *   The bucket lists are always sound lists of fully written elements. An element is filled
 *   (hash, key, value, next) before the one aligned 32-bit store that links it (bucket head or
 *   predecessor's next, made with emu_publish_u32), and leaves its bucket by one such store.
 *   A replaced key is linked anew before the old copy is unlinked, so the worst a prefix leaves
 *   is a key linked twice, the new copy first. A value overwritten in place goes through the
 *   map's redo record (emu_map_write_value), or without the lock through a writer slot's
 *   (update_inplace, emu/inplace.c), which the next holder of the slot or lock completes.
 *
 * Everything else — count, the linked marks, the free pool, the LRU lists — is derived from the
 * bucket lists, and htab_recover() rebuilds it from them.
 *
 * Outside damage. Another process can write anything into the file (see struct emu_map), so the
 * invariant above is what sound writers keep, not a fact: every link read from the file is checked
 * against the pool (link_ok, one compare) where it is followed, and every walk is bounded by the
 * pool's size. A bad link or an endless list answers EUCLEAN (htab_damaged); the geometry itself
 * (buckets, element size, offsets) is the view's, computed from the map's shape, never the file's.
 */
#include <stdlib.h>

#include "../cmd/cmds.h"
#include "../util/hash.h"
#include "../core/inplace.h"
#include "../core/value.h"
#include "../util/diag.h"
#include "families.h"
#include "hashtab.h"

#define HTAB_CREATE_FLAGS                                                                           \
	(EMU_F_NO_PREALLOC | EMU_F_NO_COMMON_LRU | EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY |  \
	 EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG | EMU_F_ZERO_SEED)
#define KMALLOC_MAX_SIZE (4u << 20)
#define KERNEL_HTAB_ELEM 48u /* sizeof(struct htab_elem) in the kernel: E2BIG limits and memlock */
#define PCPU_MIN_UNIT_SIZE 32768u
#define KERNEL_BUCKET 16u

/* Create-time only: the kernel's htab_map_alloc_check and sizing ask these too. */
static bool is_lru(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
static bool is_percpu(uint32_t t) { return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

int htab_alloc_check(struct emu_create *c)
{
	bool lru = is_lru(c->map_type), percpu = is_percpu(c->map_type);
	bool percpu_lru = c->map_flags & EMU_F_NO_COMMON_LRU;
	bool prealloc = !(c->map_flags & EMU_F_NO_PREALLOC);

	/* (BPF_F_ZERO_SEED needs CAP_SYS_ADMIN; the emulator answers as a privileged caller.) */
	if ((c->map_flags & ~HTAB_CREATE_FLAGS) ||
	    (c->map_flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)) == (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG))
		return -EINVAL;
	if (!lru && percpu_lru)
		return -EINVAL;
	if (lru && !prealloc)
		return -EMU_ENOTSUPP;
	if (c->numa_node != 0xffffffffu && (percpu || percpu_lru))
		return -EINVAL;
	if (!c->max_entries || !c->key_size || !c->value_size)
		return -EINVAL;
	if ((uint64_t)c->key_size + c->value_size >= KMALLOC_MAX_SIZE - KERNEL_HTAB_ELEM)
		return -E2BIG;
	if (percpu && emu_round_up(c->value_size, 8) > PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	if (percpu_lru) {
		/* every CPU's list gets the same share, at least one */
		uint64_t up = emu_round_up64(c->max_entries, c->nr_cpus);

		c->max_entries = up <= UINT32_MAX ? (uint32_t)up : c->max_entries / c->nr_cpus * c->nr_cpus;
	}
	return 0;
}

static uint64_t value_area(const struct emu_create *c)
{
	uint64_t slot = emu_round_up64(c->value_size, 8);

	return is_percpu(c->map_type) ? slot * c->nr_cpus : slot;
}

static uint32_t pool_size(const struct emu_create *c)
{
	/* Plain hash maps keep one spare element per CPU so replacing a key never fails. */
	return is_lru(c->map_type) || is_percpu(c->map_type) ? c->max_entries : c->max_entries + c->nr_cpus;
}

int htab_layout(const struct emu_create *c, uint64_t *priv_size)
{
	uint64_t nb, elem, size;

	if (c->max_entries > (1u << 31))
		return -E2BIG;
	nb = roundup_pow2(c->max_entries);
	if (nb > UINT32_MAX / KERNEL_BUCKET)
		return -E2BIG;
	elem = emu_round_up64(ELEM_KEY_OFF + emu_round_up64(c->key_size, 8) + value_area(c), 8);
	if (elem > UINT32_MAX)
		return -E2BIG;
	size = emu_round_up64(sizeof(struct htab_priv), 64);
	size += emu_round_up64(nb * 4, 64);
	if (is_lru(c->map_type))
		size += emu_round_up64(emu_lru_state_size(c->nr_cpus, c->map_flags & EMU_F_NO_COMMON_LRU), 64);
	size += (uint64_t)pool_size(c) * elem;
	*priv_size = size;
	return 0;
}

/* The table of m's shape: its geometry in the file (p) and in the view (g), computed, never read. */
static void table_geometry(const struct emu_map *m, struct htab_priv *p, struct htab_geom *g)
{
	struct emu_create c = { .map_type = m->map_type, .key_size = m->key_size, .value_size = m->value_size,
				.max_entries = m->max_entries, .map_flags = m->map_flags, .nr_cpus = m->nr_cpus };
	bool percpu_lru = c.map_flags & EMU_F_NO_COMMON_LRU;
	uint64_t off = (uint64_t)(m->priv - m->base) + emu_round_up64(sizeof(*p), 64);

	memset(p, 0, sizeof(*p));
	memset(g, 0, sizeof(*g));
	p->n_buckets = (uint32_t)roundup_pow2(c.max_entries);
	p->value_off = ELEM_KEY_OFF + emu_round_up(c.key_size, 8);
	p->elem_size = (uint32_t)emu_round_up64(p->value_off + value_area(&c), 8);
	p->nr_elems = pool_size(&c);
	p->buckets_off = off;
	off += emu_round_up64((uint64_t)p->n_buckets * 4, 64);
	if (is_lru(c.map_type)) {
		p->lru_off = off;
		off += emu_round_up64(emu_lru_state_size(c.nr_cpus, percpu_lru), 64);
		g->lru = m->base + p->lru_off;
		emu_lru_params(p->nr_elems, c.nr_cpus, percpu_lru, &g->lru_target, &g->lru_scans);
	}
	p->elems_off = off;
	g->buckets = (uint32_t *)(void *)(m->base + p->buckets_off);
	g->elems = m->base + p->elems_off;
	g->mask = p->n_buckets - 1;
	g->nr_elems = p->nr_elems;
	g->elem_size = p->elem_size;
	g->value_off = p->value_off;
}

/* The table's shape in the file; the LRU types then set up their lists (hashtab_lru.c). */
void htab_init_table(struct emu_map *m)
{
	struct htab_priv want, *p = H(m);

	table_geometry(m, &want, emu_fam(m));
	p->n_buckets = want.n_buckets;
	p->elem_size = want.elem_size;
	p->nr_elems = want.nr_elems;
	p->value_off = want.value_off;
	p->buckets_off = want.buckets_off;
	p->elems_off = want.elems_off;
	p->lru_off = want.lru_off;
	m->hdr->hash_seed = emu_new_hash_seed(m->map_flags, m->hdr->id);
}

int htab_validate_table(struct emu_map *m, const char **field)
{
	struct htab_geom *g = emu_fam(m);
	struct htab_priv want, *p = H(m);

	table_geometry(m, &want, g);
	m->data_off = want.elems_off;
	m->data_stride = want.elem_size;
	m->data_end = want.elems_off + (uint64_t)want.nr_elems * want.elem_size;
	m->data_voff = want.value_off;
	/* LRU elements hold their list node where the others keep their write word */
	m->data_woff = want.lru_off ? EMU_NO_WORD : (uint32_t)offsetof(struct htab_elem, wword);
	if (m->data_end > m->size) /* the layout rules out; a bug if it happens */
		*field = "hash elements";
	else if (p->n_buckets != want.n_buckets)
		*field = "hash n_buckets";
	else if (p->elem_size != want.elem_size)
		*field = "hash elem_size";
	else if (p->nr_elems != want.nr_elems)
		*field = "hash nr_elems";
	else if (p->value_off != want.value_off)
		*field = "hash value_off";
	else if (p->buckets_off != want.buckets_off)
		*field = "hash buckets_off";
	else if (p->elems_off != want.elems_off)
		*field = "hash elems_off";
	else if (p->lru_off != want.lru_off)
		*field = "hash lru_off";
	else
		return 0;
	return -EINVAL;
}

uint32_t htab_find_racy(struct emu_map *m, uint32_t hash, const void *key)
{
	uint32_t ks = m->key_size, nr = G(m)->nr_elems, steps = 0;

	for (uint32_t i = __atomic_load_n(bucket_of(m, hash), __ATOMIC_RELAXED); i;
	     i = __atomic_load_n(&elem(m, i - 1)->next, __ATOMIC_RELAXED)) {
		struct htab_elem *e;

		/* the planted fault of the map-file fuzzer's self-test drops the index check */
		if ((i > nr && !EMU_FAULT("mapfile-nocheck")) || ++steps > nr)
			return FIND_TORN;
		e = elem(m, i - 1);
		if (e->hash == hash && key_equal(elem_key(e), key, ks))
			return i;
	}
	return 0;
}

void htab_link_head(struct emu_map *m, uint32_t idx)
{
	struct htab_elem *e = elem(m, idx);
	uint32_t *b = bucket_of(m, e->hash);

	e->next = *b;
	e->linked = 1;
	EMU_CRASH_POINT("htab.link");
	emu_publish_u32(b, idx + 1);
	EMU_CRASH_POINT("htab.linked");
	H(m)->count++;
}

bool htab_unlink(struct emu_map *m, uint32_t idx)
{
	struct htab_elem *e = elem(m, idx);
	uint32_t *pp = bucket_of(m, e->hash), nr = G(m)->nr_elems;

	for (uint32_t steps = 0, i; (i = *pp) && steps <= nr; steps++) {
		if (i == idx + 1) {
			emu_publish_u32(pp, e->next);
			EMU_CRASH_POINT("htab.unlink");
			e->next = 0;
			e->linked = 0;
			H(m)->count--;
			return true;
		}
		if (!link_ok(m, i))
			return false;
		pp = &elem(m, i - 1)->next;
	}
	return false;
}

/* pool_pop()'s answers besides an index */
#define POOL_EMPTY UINT32_MAX
#define POOL_DAMAGED (UINT32_MAX - 1)

/* Pool of non-LRU maps: a free list in front of never-used indices, so creation touches nothing.
 * A free element is in no bucket: one that is marked linked is damage, as is a head past the
 * pool (or a high-water mark past it); POOL_DAMAGED then, the damage named. */
static uint32_t pool_pop(struct emu_map *m)
{
	struct htab_priv *p = H(m);
	uint32_t head = p->free_head, nu;

	if (head) {
		struct htab_elem *e;

		if (!link_ok(m, head) || (e = elem(m, head - 1))->linked) {
			htab_damaged(m, "hash free list");
			return POOL_DAMAGED;
		}
		p->free_head = e->next;
		EMU_CRASH_POINT("htab.pool");
		e->next = 0;
		return head - 1;
	}
	nu = p->next_unused;
	if (nu < G(m)->nr_elems) {
		p->next_unused = nu + 1;
		return nu;
	}
	if (nu == G(m)->nr_elems)
		return POOL_EMPTY;
	htab_damaged(m, "hash next_unused");
	return POOL_DAMAGED;
}

int htab_pool_push(struct emu_map *m, uint32_t idx)
{
	struct htab_elem *e = elem(m, idx);

	e->next = H(m)->free_head;
	EMU_CRASH_POINT("htab.pool");
	H(m)->free_head = idx + 1;
	return 0;
}

int htab_check_flags(bool exists, uint64_t flags)
{
	flags &= ~EMU_F_LOCK;
	if (exists && flags == EMU_NOEXIST)
		return -EEXIST;
	if (!exists && flags == EMU_EXIST)
		return -ENOENT;
	return 0;
}

void htab_fill(struct emu_map *m, uint32_t idx, uint32_t hash, const void *key, const void *value)
{
	struct htab_elem *e = elem(m, idx);

	e->hash = hash;
	emu_copy_small(elem_key(e), key, m->key_size);
	EMU_CRASH_POINT("htab.fill");
	emu_copy_small(elem_value(m, e), value, m->value_bytes);
}

/* An element from the pool, filled and linked at the head of its bucket; -E2BIG if none is left. */
int htab_link_new(struct emu_map *m, uint32_t hash, const void *key, const void *value)
{
	uint32_t idx = pool_pop(m);

	if (idx >= POOL_DAMAGED) /* damage was named where it was found */
		return idx == POOL_EMPTY ? -E2BIG : -EUCLEAN;
	htab_fill(m, idx, hash, key, value);
	htab_link_head(m, idx);
	return 0;
}

/* The table holds max_entries elements: E2BIG, as the kernel's. More than that only a damaged
 * count claims (an update never links more; a replace unlinks the old copy under the same lock). */
__attribute__((cold, noinline)) static int full(struct emu_map *m)
{
	return H(m)->count > m->max_entries ? htab_damaged(m, "hash count") : -E2BIG;
}

/*
 * HASH, lock held: a key already in the map is replaced by a new element linked at the head of its
 * bucket before the old one leaves it (the kernel's order: an updated key moves first in its
 * bucket). absent: the key is known not to be in the map (see update()), so not looked for again.
 * With BPF_F_LOCK (a value with a spin lock) the kernel overwrites the element where it is,
 * under its spin lock, and the key keeps its place.
 */
static int update_plain(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t hash,
			bool absent)
{
	uint32_t old = absent ? 0 : htab_find(m, hash, key);
	int err;

	if (old == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	err = htab_check_flags(old, flags);
	if (err)
		return err;
	if (old && (flags & EMU_F_LOCK))
		return emu_value_write_locked(m, elem_value(m, elem(m, old - 1)), value);
	if (!old && H(m)->count >= m->max_entries)
		return full(m);
	err = htab_link_new(m, hash, key, value);
	if (err || !old)
		return err;
	EMU_CRASH_POINT("htab.replace");
	if (!htab_unlink(m, old - 1))
		return htab_damaged(m, "hash bucket list");
	return htab_pool_push(m, old - 1);
}

/* PERCPU_HASH, lock held: an element already in the map is overwritten where it is. */
static int update_percpu(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t hash,
			 bool absent)
{
	uint32_t old = absent ? 0 : htab_find(m, hash, key);
	int err;

	if (old == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	err = htab_check_flags(old, flags);
	if (err)
		return err;
	if (old) {
		emu_map_write_value(m, elem_value(m, elem(m, old - 1)), value, m->value_bytes);
		return 0;
	}
	if (H(m)->count >= m->max_entries)
		return full(m);
	return htab_link_new(m, hash, key, value);
}

#define INPLACE_FALLBACK 1 /* update_inplace(): not done, take the lock */
#define INPLACE_ABSENT 2   /* inplace_target(): the key is not in the map, an insert */

/* The element update_inplace() may overwrite, in *out; or the update's error, INPLACE_FALLBACK
 * or INPLACE_ABSENT. */
static int inplace_target(struct emu_map *m, uint32_t hash, const void *key, uint64_t flags, bool moves_to_front,
			  uint32_t *out)
{
	uint32_t i = htab_find_racy(m, hash, key);
	int err;

	if (i == FIND_TORN)
		return INPLACE_FALLBACK;
	err = htab_check_flags(i, flags);
	if (err || !i)
		return err ? err : INPLACE_ABSENT;
	if (moves_to_front && !m->hash_seed && /* BPF_F_ZERO_SEED, or emu_force_zero_seed */
	    __atomic_load_n(bucket_of(m, hash), __ATOMIC_RELAXED) != i)
		return INPLACE_FALLBACK;
	*out = i;
	return 0;
}

/*
 * An update of a key already in the map that the kernel makes by changing its value only, made
 * without the map lock (see emu_inplace_begin) so that threads writing different keys scale.
 * The kernel overwrites a per-CPU element where it is. A plain element it replaces by a new one
 * at the head of its bucket, which moves the key first in its bucket; where it already is first,
 * or the map has a random hash seed, the same value in place is all a caller can tell: with a
 * random seed, which keys share a bucket, and so their order in it, is unknown to the caller
 * (it is the kernel's too). With the seed 0 (BPF_F_ZERO_SEED) the order is the kernel's and kept.
 *
 * The key is looked for as a lock-free lookup does; an answer that needs no write (a flag's
 * error) is given as a lookup's would be; an insert goes to the lock at once (and tells
 * htab_update that it searched). A found element is still the key's if no lock holder came
 * between the search and the slot (write_seq unchanged).
 */
static int update_inplace(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t hash,
			  bool moves_to_front, uint32_t *absent_seq)
{
	struct emu_inplace w;
	struct htab_elem *e;
	uint32_t i = 0;
	int err;

	uint32_t seq;
	bool valid;

	if (!emu_read_begin(m, &seq))
		return INPLACE_FALLBACK;
	err = inplace_target(m, hash, key, flags, moves_to_front, &i);
	valid = emu_read_valid(m, seq);
	if (err == INPLACE_ABSENT) {
		*absent_seq = seq; /* htab_update trusts the miss if no lock holder came since */
		return INPLACE_FALLBACK;
	}
	if (err)
		return err != INPLACE_FALLBACK && valid ? err : INPLACE_FALLBACK;
	if (!emu_inplace_begin(m, &w))
		return INPLACE_FALLBACK;
	/* the element found is still the key's if no lock holder came since the search */
	if (__atomic_load_n(&m->hdr->write_seq, __ATOMIC_RELAXED) != seq)
		err = INPLACE_FALLBACK;
	if (!err) {
		e = elem(m, i - 1);
		if (!emu_inplace_write(m, &w, &e->wword, elem_value(m, e), value, m->value_bytes))
			err = INPLACE_FALLBACK;
	}
	emu_inplace_end(m, &w);
	return err;
}

typedef int update_locked_fn(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t hash,
			     bool absent);

/* An update: in place without the lock where it can be, else under the lock. */
static int update(struct emu_map *m, const void *key, const void *value, uint64_t flags,
		  update_locked_fn *update_locked, bool moves_to_front)
{
	uint32_t hash = hash_key(m, key), absent_seq = 1; /* odd: no miss seen */
	int err;

	if (m->inplace_off) {
		err = update_inplace(m, key, value, flags, hash, moves_to_front, &absent_seq);
		if (err != INPLACE_FALLBACK)
			return err;
	}
	err = emu_map_lock(m);
	if (err)
		return err;
	/* An insert searched for its key lock-free, between two reads of an even write_seq: if
	 * taking the lock moved write_seq just past the first (no holder came, none died: see
	 * emu_map_lock), the table is the one searched and the key still absent. */
	err = update_locked(m, key, value, flags, hash, !(absent_seq & 1) && m->hdr->write_seq == absent_seq + 1);
	emu_map_unlock(m);
	return err;
}

/* HASH takes BPF_F_LOCK (for values with a spin lock), PERCPU_HASH does not. */

int htab_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return htab_plain_flags_ok(flags) ? update(m, key, value, flags, update_plain, true) : -EINVAL;
}

static int htab_percpu_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return htab_percpu_flags_ok(flags) ? update(m, key, value, flags, update_percpu, false) : -EINVAL;
}

/* The same with the lock held by UPDATE_BATCH */
static int htab_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return htab_plain_flags_ok(flags) ? update_plain(m, key, value, flags, hash_key(m, key), false) : -EINVAL;
}

static int htab_percpu_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	return htab_percpu_flags_ok(flags) ? update_percpu(m, key, value, flags, hash_key(m, key), false) : -EINVAL;
}

int htab_lookup(struct emu_map *m, const void *key, void *value)
{
	uint32_t hash = hash_key(m, key), i, seq;
	bool inplace = m->inplace_off;
	int err;

	for (int t = 0; t < EMU_READ_TRIES && emu_read_begin(m, &seq); t++) {
		struct htab_elem *e;
		uint32_t w = 0;

		i = htab_find_racy(m, hash, key);
		e = i && i != FIND_TORN ? elem(m, i - 1) : NULL;
		/* an in-place writer changes the value without making write_seq odd */
		if (i == FIND_TORN || (e && inplace && !emu_word_begin(&e->wword, &w))) {
			emu_read_abandon();
			continue;
		}
		if (e)
			emu_copy_small(value, elem_value(m, e), m->value_bytes);
		if (emu_read_valid(m, seq) && (!e || !inplace || emu_word_valid(&e->wword, w)))
			return i ? 0 : -ENOENT;
	}
	err = emu_map_lock(m);
	if (err)
		return err;
	i = htab_find(m, hash, key);
	if (i && i != FIND_TORN)
		emu_copy_small(value, elem_value(m, elem(m, i - 1)), m->value_bytes);
	emu_map_unlock(m);
	if (i == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	return i ? 0 : -ENOENT;
}

int htab_lookup_percpu(struct emu_map *m, const void *key, void *value, int cpu)
{
	uint32_t hash = hash_key(m, key), i;
	int err;

	if (cpu < 0 || (uint32_t)cpu >= m->nr_cpus)
		return -ERANGE;
	err = emu_map_lock(m);
	if (err)
		return err;
	i = htab_find(m, hash, key);
	if (i && i != FIND_TORN)
		memcpy(value, elem_value(m, elem(m, i - 1)) + (size_t)cpu * emu_round_up(m->value_size, 8),
		       m->value_size);
	emu_map_unlock(m);
	if (i == FIND_TORN)
		return htab_damaged(m, "hash bucket list");
	return i ? 0 : -ENOENT;
}

int htab_remove_locked(struct emu_map *m, uint32_t hash, const void *key, void *value, htab_free_fn *free_elem)
{
	uint32_t i = htab_find(m, hash, key);

	if (!i)
		return -ENOENT;
	if (i == FIND_TORN || !htab_unlink(m, i - 1))
		return htab_damaged(m, "hash bucket list");
	if (value)
		emu_copy_small(value, elem_value(m, elem(m, i - 1)), m->value_bytes);
	EMU_CRASH_POINT("htab.delete");
	return free_elem(m, i - 1);
}

int htab_remove(struct emu_map *m, const void *key, void *value, htab_free_fn *free_elem)
{
	uint32_t hash = hash_key(m, key);
	int err = emu_map_lock(m);

	if (err)
		return err;
	err = htab_remove_locked(m, hash, key, value, free_elem);
	emu_map_unlock(m);
	return err;
}

static int htab_delete(struct emu_map *m, const void *key)
{
	return htab_remove(m, key, NULL, htab_pool_push);
}

/* The same with the lock held by DELETE_BATCH */
static int htab_delete_locked(struct emu_map *m, const void *key)
{
	return htab_remove_locked(m, hash_key(m, key), key, NULL, htab_pool_push);
}

static int htab_lookup_and_delete(struct emu_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t hash, i;
	int err;

	/* only BPF_F_LOCK reaches here, for a value with a spin lock: the copy is made under it */
	if (!(flags & EMU_F_LOCK))
		return htab_remove(m, key, value, htab_pool_push);
	hash = hash_key(m, key);
	err = emu_map_lock(m);
	if (err)
		return err;
	i = htab_find(m, hash, key);
	if (i == FIND_TORN)
		err = htab_damaged(m, "hash bucket list");
	else if (i)
		err = emu_value_read_locked(m, elem_value(m, elem(m, i - 1)), value);
	else
		err = -ENOENT;
	if (!err)
		err = htab_remove_locked(m, hash, key, NULL, htab_pool_push);
	emu_map_unlock(m);
	return err;
}

/* BPF_F_LOCK copies (core/value.c), lock held */
static void *htab_value_ptr(struct emu_map *m, const void *key)
{
	uint32_t i = htab_find(m, hash_key(m, key), key);

	if (i == FIND_TORN) {
		htab_damaged(m, "hash bucket list");
		return EMU_VALUE_DAMAGED;
	}
	return i ? elem_value(m, elem(m, i - 1)) : NULL;
}

/* next_key_of()'s answer for a walk that went astray: positive, so no errno can be taken for it */
#define WALK_TORN 1

/*
 * A walk passes back the key its last call returned: each thread remembers which element that
 * was, and tries it before hashing (the hash and the bucket search were a sixth of a walk's step).
 * An element that is linked and holds the key is the key's element, whatever map or call the hint
 * came from: a whole table (write_seq or the lock decide) links each key once.
 */
static __thread struct walk_hint {
	const struct emu_map *m;
	uint32_t idx; /* index + 1 of the element whose key was returned */
} walk_hint __attribute__((tls_model("initial-exec")));

static uint32_t find_walked(struct emu_map *m, const void *key, uint32_t *hash)
{
	uint32_t i = walk_hint.idx;

	if (walk_hint.m == m && link_ok(m, i)) {
		struct htab_elem *e = elem(m, i - 1);

		if (__atomic_load_n(&e->linked, __ATOMIC_RELAXED) == 1 &&
		    key_equal(elem_key(e), key, m->key_size)) {
			*hash = __atomic_load_n(&e->hash, __ATOMIC_RELAXED);
			return i;
		}
	}
	*hash = hash_key(m, key);
	return htab_find_racy(m, *hash, key);
}

static int next_key_found(struct emu_map *m, uint32_t i, void *next_key)
{
	emu_copy_small(next_key, elem_key(elem(m, i - 1)), m->key_size);
	walk_hint.m = m;
	walk_hint.idx = i;
	return 0;
}

/* One step of the walk: bucket by bucket, each chain in order; a key not in the map restarts
 * it from the first element. 0, -ENOENT at the end, or WALK_TORN where find_racy() says FIND_TORN. */
static int next_key_of(struct emu_map *m, const void *key, void *next_key)
{
	uint32_t b = 0, nb = G(m)->mask + 1, nr = G(m)->nr_elems;

	if (key) {
		uint32_t hash, i = find_walked(m, key, &hash);

		if (i == FIND_TORN)
			return WALK_TORN;
		if (i) {
			uint32_t n = __atomic_load_n(&elem(m, i - 1)->next, __ATOMIC_RELAXED);

			if (n > nr)
				return WALK_TORN;
			if (n)
				return next_key_found(m, n, next_key);
			b = (hash & (nb - 1)) + 1;
		}
	}
	for (; b < nb; b++) {
		uint32_t h = __atomic_load_n(&buckets(m)[b], __ATOMIC_RELAXED);

		if (h > nr)
			return WALK_TORN;
		if (h)
			return next_key_found(m, h, next_key);
	}
	return -ENOENT;
}

int htab_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	uint32_t seq;
	int err;

	for (int t = 0; t < EMU_READ_TRIES && emu_read_begin(m, &seq); t++) {
		bool valid;

		err = next_key_of(m, key, next_key);
		valid = emu_read_valid(m, seq);
		if (err != WALK_TORN && valid)
			return err;
	}
	err = emu_map_lock(m);
	if (err)
		return err;
	err = next_key_of(m, key, next_key);
	emu_map_unlock(m);
	return err == WALK_TORN ? htab_damaged(m, "hash bucket list") : err;
}

uint64_t htab_memlock(const struct emu_map *m)
{
	const struct htab_priv *p = emu_priv(m);
	uint64_t P = m->nr_cpus, max = m->max_entries, slot = emu_round_up64(m->value_size, 8);
	bool percpu = is_percpu(m->map_type);
	uint64_t elem = KERNEL_HTAB_ELEM + emu_round_up64(m->key_size, 8) + (percpu ? 8 : slot);
	uint64_t base = 896 + (uint64_t)KERNEL_BUCKET * (G(m)->mask + 1ull);

	if (m->map_flags & EMU_F_NO_PREALLOC) {
		uint64_t n = __atomic_load_n(&p->count, __ATOMIC_RELAXED);

		return base + n * (elem + 8) + (percpu ? n * (16 + slot * P) : 0);
	}
	if (percpu)
		return base + elem * max + slot * P * max;
	if (is_lru(m->map_type))
		return base + elem * max;
	return base + elem * (max + P) + 8 * P;
}

static void htab_init(struct emu_map *m)
{
	htab_init_table(m);
}

/* The largest value update_inplace() overwrites: the slots stage as much each. */
#define INPLACE_MAX_VALUE 4096u

static uint32_t htab_inplace_bytes(const struct emu_create *c)
{
	uint64_t vb = is_percpu(c->map_type) ? value_area(c) : c->value_size;

	return vb <= INPLACE_MAX_VALUE ? (uint32_t)vb : 0;
}

#define HTAB_PLAIN_OPS                                                                              \
	HTAB_COMMON_OPS, .init = htab_init, .validate = htab_validate_table, .delete = htab_delete,    \
	.delete_locked = htab_delete_locked,                                                        \
	.lookup_and_delete = htab_lookup_and_delete, .check = htab_check, .recover = htab_recover,    \
	.batch_buckets_delete = htab_batch_buckets_delete, .inplace_bytes = htab_inplace_bytes

const struct emu_map_ops emu_htab_ops = {
	.family = "hash",
	HTAB_PLAIN_OPS,
	.update = htab_update,
	.update_locked = htab_update_locked,
	.value_ptr = htab_value_ptr,
	.prog_lookup = htab_prog_lookup,
	.prog_update = htab_prog_update,
	.prog_for_each = htab_prog_for_each,
};

const struct emu_map_ops emu_htab_percpu_ops = {
	.family = "percpu_hash",
	HTAB_PLAIN_OPS,
	.update = htab_percpu_update,
	.update_locked = htab_percpu_update_locked,
	.lookup_percpu = htab_lookup_percpu,
	.prog_lookup = htab_prog_lookup,
	.prog_update = htab_percpu_prog_update,
	.prog_for_each = htab_prog_for_each,
};

/* The pool of a plain table, for the hash of maps (maps/map_in_map.c), which keeps its elements'
 * objects alive around it. */
uint32_t htab_pool_pop(struct emu_map *m) { return pool_pop(m); }
