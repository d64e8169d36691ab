/* SPDX-License-Identifier: MIT */
/*
 * What the hash family's two files share (hashtab.c: the table, HASH and PERCPU_HASH;
 * hashtab_lru.c: LRU_HASH and LRU_PERCPU_HASH): the element and table layout in the map file,
 * the bucket lists, and the ops every hash type uses alike. The crash-safety invariant every
 * write path keeps is written at the top of hashtab.c.
 */
#ifndef BPFEMU_MAPS_HASHTAB_H
#define BPFEMU_MAPS_HASHTAB_H

#include "../core/sync.h"
#include "../util/hash.h"
#include "lru.h"

struct htab_elem {
	uint32_t next; /* index + 1 of the next element in the bucket (or free list); 0 ends it */
	uint32_t hash;
	union {
		struct emu_lru_node lru; /* LRU maps */
		uint32_t wword;          /* the others: the value's write word (see update_inplace) */
	};
	uint32_t linked; /* for the consistency checker */
	/* key, rounded up to 8, then the value area */
};
#define ELEM_KEY_OFF 24u
_Static_assert(sizeof(struct htab_elem) <= ELEM_KEY_OFF, "element header");

/* The table's state in the file: its geometry (written at creation, checked against the shape at
 * adoption, never read afterwards: struct htab_geom is) and the pool's state, written by every
 * update, on a line of its own (see struct emu_map_hdr). */
struct htab_priv {
	uint32_t n_buckets;
	uint32_t elem_size;
	uint32_t nr_elems;    /* pool size */
	uint32_t value_off;   /* within an element */
	uint64_t buckets_off;
	uint64_t elems_off;
	uint64_t lru_off;

	_Alignas(64) uint32_t count; /* elements linked in buckets */
	uint32_t next_unused; /* pool indices below this were handed out at least once (not LRU) */
	uint32_t free_head;   /* index + 1 (not LRU) */
};

/* The table's geometry in this process's view (struct emu_map's fam), computed from the map's
 * shape. Every index read from the file is checked against nr_elems before elem() is asked for it:
 * a link is good when link - 1 < nr_elems (link_ok). */
struct htab_geom {
	uint32_t *buckets;
	char *elems;
	char *lru;           /* LRU maps: the list state */
	uint32_t mask;       /* n_buckets - 1 */
	uint32_t nr_elems;
	uint32_t elem_size;
	uint32_t value_off;
	uint32_t lru_target; /* LRU maps: the list state's refill batch and scan length */
	uint32_t lru_scans;
};
_Static_assert(sizeof(struct htab_geom) <= EMU_FAM_SIZE, "htab_geom fits struct emu_map's fam");

static inline const struct htab_geom *G(const struct emu_map *m) { return emu_fam(m); }
static inline struct htab_priv *H(struct emu_map *m) { return emu_priv(m); }
static inline uint32_t *buckets(struct emu_map *m) { return G(m)->buckets; }
/* idx < nr_elems: the caller checked it */
static inline struct htab_elem *elem(struct emu_map *m, uint32_t idx)
{
	return (struct htab_elem *)(G(m)->elems + (size_t)idx * G(m)->elem_size);
}
/* A link (index + 1) that names an element: not 0, not past the pool. One compare. */
static inline bool link_ok(const struct emu_map *m, uint32_t link) { return link - 1 < G(m)->nr_elems; }
static inline char *elem_key(struct htab_elem *e) { return (char *)e + ELEM_KEY_OFF; }
static inline char *elem_value(struct emu_map *m, struct htab_elem *e) { return (char *)e + G(m)->value_off; }

static inline uint32_t hash_key(struct emu_map *m, const void *key)
{
	return emu_jhash_key(key, m->key_size, m->hash_seed);
}

static inline uint32_t *bucket_of(struct emu_map *m, uint32_t hash)
{
	return &G(m)->buckets[hash & G(m)->mask];
}

/* Damage in the table (a link out of the pool, a list longer than the pool, a free element that
 * is linked): the caller's EUCLEAN, named once. */
static inline int htab_damaged(struct emu_map *m, const char *what) { return emu_map_corrupt(m, what); }

/* Keys of 4 and 8 bytes (most of them) compared inline: a libc memcmp call was a tenth of a
 * lookup through the shim. */
static inline bool key_equal(const void *a, const void *b, uint32_t ks)
{
	if (ks == 8) {
		uint64_t x, y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	if (ks == 4) {
		uint32_t x, y;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x == y;
	}
	return !memcmp(a, b, ks);
}

#define FIND_TORN UINT32_MAX
/* Index + 1 of key's element, 0 if absent. Also walks a table a writer is changing (lock-free
 * reads): every index is checked and the walk bounded, and FIND_TORN says it went astray. Under
 * the lock a walk astray can only be outside damage: the caller answers htab_damaged() then. */
uint32_t htab_find_racy(struct emu_map *m, uint32_t hash, const void *key);
#define htab_find htab_find_racy
void htab_link_head(struct emu_map *m, uint32_t idx);
/* Element idx out of its bucket: false if the walk to it found damage or no such link. */
bool htab_unlink(struct emu_map *m, uint32_t idx);
/* hash, key and value into element idx, before it is linked */
void htab_fill(struct emu_map *m, uint32_t idx, uint32_t hash, const void *key, const void *value);
/* BPF_NOEXIST / BPF_EXIST against whether the key exists (BPF_F_LOCK ignored) */
int htab_check_flags(bool exists, uint64_t flags);

/* How an element goes back where new ones come from (a free pool, or the LRU lists): 0, or the
 * EUCLEAN of damage found on the way. */
typedef int htab_free_fn(struct emu_map *m, uint32_t idx);
/* DELETE and LOOKUP_AND_DELETE: remove key (its value into value if not NULL), free its element. */
int htab_remove(struct emu_map *m, const void *key, void *value, htab_free_fn *free_elem);
int htab_remove_locked(struct emu_map *m, uint32_t hash, const void *key, void *value, htab_free_fn *free_elem);
/* LOOKUP_AND_DELETE_BATCH: empty bucket b (lock held), its elements marked unlinked and counted
 * out; returns its old head (index + 1, 0 if it was empty or its head no link) and sets *last to
 * its last element's, whose next ends the list: a bad link ends it there (the damage was answered
 * by the batch_buckets that took the bucket). Inline: a drain calls it once per bucket, about
 * once per element. */
static inline uint32_t htab_take_bucket(struct emu_map *m, uint32_t b, uint32_t *last)
{
	uint32_t *bp = &buckets(m)[b], head = *bp, n = 0, nr = G(m)->nr_elems;

	*last = 0;
	emu_publish_u32(bp, 0);
	EMU_CRASH_POINT("htab.batch");
	if (!link_ok(m, head))
		return 0;
	for (uint32_t i = head; link_ok(m, i) && n < nr; i = elem(m, i - 1)->next, n++) {
		elem(m, i - 1)->linked = 0;
		*last = i;
	}
	H(m)->count -= n;
	return head;
}

/* The bucket lists, checked (locked by the caller): the number of elements linked, or -EUCLEAN. */
int htab_check_buckets(struct emu_map *m, uint32_t in_pool, uint32_t *linked);
/* After a holder died: the bucket lists made sound, count and linked marks rebuilt (see hashtab.c). */
void htab_recover_buckets(struct emu_map *m, uint32_t n);
/* The geometry of a table of m's shape into m->fam, and the file's copy of it checked (validate). */
int htab_validate_table(struct emu_map *m, const char **field);

/* A plain table's pool, for the hash of maps (maps/map_in_map.c): an index, UINT32_MAX when empty,
 * another value past the pool when the pool is damaged (named); htab_pool_push below gives one
 * back. */
uint32_t htab_pool_pop(struct emu_map *m);

/* The ops every hash type shares. */
int htab_alloc_check(struct emu_create *c);
int htab_layout(const struct emu_create *c, uint64_t *priv_size);
void htab_init_table(struct emu_map *m);
uint64_t htab_memlock(const struct emu_map *m);
int htab_lookup(struct emu_map *m, const void *key, void *value);
int htab_lookup_percpu(struct emu_map *m, const void *key, void *value, int cpu);
int htab_get_next_key(struct emu_map *m, const void *key, void *next_key);
int htab_batch_buckets(struct emu_map *m, uint32_t from, struct emu_bucket_run *r);

/* Programs (hashtab.c): the element of key (index + 1, or 0), found as a lookup finds it; the
 * value of element i a program sees (the running CPU's slot of a per-CPU one); for_each. */
uint32_t htab_prog_find(struct emu_map *m, const void *key);
void *htab_prog_value(struct emu_map *m, uint32_t i, uint32_t cpu);
long htab_prog_for_each(struct emu_map *m, int (*each)(void *, const void *, void *), void *arg, uint32_t cpu);

/* Shared by the family's files (hashtab.c, hashtab_repair.c, hashtab_batch.c, hashtab_prog.c). */
static inline bool htab_plain_flags_ok(uint64_t flags) { return (flags & ~EMU_F_LOCK) <= EMU_EXIST; }
static inline bool htab_percpu_flags_ok(uint64_t flags) { return flags <= EMU_EXIST; }
int htab_pool_push(struct emu_map *m, uint32_t idx);
int htab_link_new(struct emu_map *m, uint32_t hash, const void *key, const void *value);
int htab_update(struct emu_map *m, const void *key, const void *value, uint64_t flags);
int htab_check(struct emu_map *m);
void htab_recover(struct emu_map *m);
void htab_batch_buckets_delete(struct emu_map *m, const uint32_t *bucket, uint32_t nr);
void *htab_prog_lookup(struct emu_map *m, const void *key, uint32_t cpu);
int htab_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);
int htab_percpu_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);

/* Every hash type's table entries alike; the rest differ by type. */
#define HTAB_COMMON_OPS                                                                             \
	.alloc_check = htab_alloc_check, .layout = htab_layout, .memlock = htab_memlock,             \
	.lookup = htab_lookup, .get_next_key = htab_get_next_key, .batch_buckets = htab_batch_buckets, \
	.lookup_batch = emu_batch_lookup_buckets,                                                   \
	.lookup_and_delete_batch = emu_batch_lookup_and_delete_buckets,                             \
	.update_batch = emu_batch_update_generic, .delete_batch = emu_batch_delete_generic

#endif
