/* SPDX-License-Identifier: MIT */
/*
 * BLOOM_FILTER: the kernel's bit array (kernel/bpf/bloom_filter.c) with its sizing and its hash
 * (lookup3 over the value, jhash2 when the value size is a multiple of 4, seeded with the map's
 * seed plus the hash function's index), so that with BPF_F_ZERO_SEED the same values set the same
 * bits and false positives are the kernel's. Keyless: push is UPDATE with a NULL key, peek is
 * LOOKUP, which takes the value to test from the caller (cmd/map_elem.c); every other command
 * answers as the kernel's ops do.
 *
 * The bit array follows a 64-byte head in the file; bit h is bit h % 8 of byte h / 8 (the
 * kernel's set_bit, as far as anyone can tell from outside). Pushes set bits with atomic ORs and
 * peeks read them, without the map lock, as the kernel's do: a push killed halfway leaves some of
 * its bits set, which is a push that has not finished (a peek racing with one sees the same).
 * Nothing in the file but the bits is read; the geometry comes from the map's shape and is
 * checked against the file's size before any bit is touched.
 */

#include "../cmd/cmds.h"
#include "../core/sync.h"
#include "../util/diag.h"
#include "../util/hash.h"
#include "families.h"

#define BLOOM_CREATE_FLAGS (EMU_F_NUMA_NODE | EMU_F_ZERO_SEED | EMU_F_RDONLY | EMU_F_WRONLY | \
			    EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)
#define KMALLOC_MAX_SIZE (4u << 20)
#define KERNEL_BLOOM 312u /* sizeof(struct bpf_bloom_filter) on 6.18: memlock */
#define HEAD 64u

struct bloom_geom {
	unsigned char *bits;
	uint64_t bytes;
	uint32_t mask, nr_hash, seed, value_size;
};

/* The kernel's sizing: n * k / ln 2 bits (7/5 for 1/ln 2), a power of two, at least a long. */
static void sizing(uint32_t max_entries, uint64_t extra, uint32_t *nr_hash, uint32_t *mask, uint64_t *bytes)
{
	uint32_t k = extra ? (uint32_t)extra : 5, nr_bits;
	uint64_t nb;

	*nr_hash = k;
	nb = (uint64_t)max_entries * k;
	if (nb > UINT32_MAX || (nb / 5) * 7 > UINT32_MAX || (nb / 5) * 7 > (1ull << 31)) {
		*bytes = emu_round_up64(((uint64_t)UINT32_MAX + 7) / 8, 8);
		*mask = UINT32_MAX;
		return;
	}
	nr_bits = (uint32_t)((nb / 5) * 7);
	if (nr_bits <= 64) {
		nr_bits = 64;
	} else {
		uint32_t p = 1;

		while (p < nr_bits)
			p <<= 1;
		nr_bits = p;
	}
	*bytes = emu_round_up64((nr_bits + 7) / 8, 8);
	*mask = nr_bits - 1;
}

static int geom(const struct emu_map *m, struct bloom_geom *g)
{
	const struct emu_map *h = m;

	sizing(h->max_entries, h->map_extra & 0xf, &g->nr_hash, &g->mask, &g->bytes);
	if ((uint64_t)(m->priv - m->base) + HEAD + g->bytes > m->size || !g->nr_hash) {
		static bool said;

		emu_diag_once(&said, "a bloom filter's file does not match its shape: EUCLEAN");
		return -EUCLEAN;
	}
	g->bits = (unsigned char *)m->base + (uint64_t)(m->priv - m->base) + HEAD;
	g->seed = h->hash_seed;
	g->value_size = h->value_size;
	return 0;
}

/* bloom_map_alloc_check: before the token */
static int bloom_alloc_check(struct emu_create *c)
{
	return c->value_size > KMALLOC_MAX_SIZE ? -E2BIG : 0;
}

/* bloom_map_alloc's own checks (the flags are the command layer's) */
static int bloom_alloc_shape(struct emu_create *c)
{
	if (c->key_size || !c->value_size || (c->map_extra & ~0xfull))
		return -EINVAL;
	return 0;
}

static int bloom_layout(const struct emu_create *c, uint64_t *priv_size)
{
	uint32_t k, mask;
	uint64_t bytes;

	sizing(c->max_entries, c->map_extra, &k, &mask, &bytes);
	*priv_size = HEAD + bytes;
	return 0;
}

static void bloom_init(struct emu_map *m)
{
	m->hdr->hash_seed = emu_new_hash_seed(m->map_flags, m->hdr->id);
}

static uint64_t bloom_memlock(const struct emu_map *m)
{
	uint32_t k, mask;
	uint64_t bytes;

	sizing(m->max_entries, m->map_extra & 0xf, &k, &mask, &bytes);
	return KERNEL_BLOOM + bytes;
}

static uint32_t bit_of(const struct bloom_geom *g, const void *value, uint32_t i)
{
	return emu_jhash_key(value, g->value_size, g->seed + i) & g->mask;
}

static int bloom_peek(struct emu_map *m, void *value)
{
	struct bloom_geom g;
	int err = geom(m, &g);

	if (err)
		return err;
	for (uint32_t i = 0; i < g.nr_hash; i++) {
		uint32_t h = bit_of(&g, value, i);

		if (!(__atomic_load_n(&g.bits[h / 8], __ATOMIC_RELAXED) & (1u << (h % 8))))
			return -ENOENT;
	}
	return 0;
}

static int bloom_push(struct emu_map *m, const void *value, uint64_t flags)
{
	struct bloom_geom g;
	int err;

	if (flags != EMU_ANY)
		return -EINVAL;
	err = geom(m, &g);
	if (err)
		return err;
	for (uint32_t i = 0; i < g.nr_hash; i++) {
		uint32_t h = bit_of(&g, value, i);

		if (i == g.nr_hash - 1 && EMU_FAULT("bloom-push-bit"))
			break; /* a planted mistake: the last hash's bit is not set (tests/diffmode) */
		__atomic_fetch_or(&g.bits[h / 8], (unsigned char)(1u << (h % 8)), __ATOMIC_RELAXED);
		EMU_CRASH_POINT("bloom.bit");
	}
	return 0;
}

/* The kernel's delete and get_next_key ops answer so; pop is never reached from the syscall. */
static int bloom_delete(struct emu_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	(void)m;
	(void)key;
	(void)next_key;
	return -EOPNOTSUPP;
}

/* Adoption: the bit array of the shape's size lies inside the file; nothing else is read */
static int bloom_validate(struct emu_map *m, const char **field)
{
	struct bloom_geom g;

	m->data_stride = 0; /* no value is written by a redo or slot record */
	if (!geom(m, &g))
		return 0;
	*field = "bloom bit array";
	return -EINVAL;
}

static int bloom_check(struct emu_map *m)
{
	struct bloom_geom g;

	return geom(m, &g);
}

const struct emu_map_ops emu_bloom_filter_ops = {
	.family = "bloom_filter",
	.create_flags = BLOOM_CREATE_FLAGS,
	.create_flags_late = true,
	.alloc_check = bloom_alloc_check,
	.alloc_shape = bloom_alloc_shape,
	.layout = bloom_layout,
	.init = bloom_init,
	.validate = bloom_validate,
	.memlock = bloom_memlock,
	.push = bloom_push,
	.peek = bloom_peek,
	.delete = bloom_delete,
	.get_next_key = bloom_get_next_key,
	.check = bloom_check,
};
