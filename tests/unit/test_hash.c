/* SPDX-License-Identifier: MIT */
/* HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH: element semantics, capacity, and the kernel's
 * iteration order with BPF_F_ZERO_SEED, checked against a model of the kernel's table built
 * here from the description in kernel-semantics.md §6 (lookup3, head insertion, move-to-head on
 * update for HASH and LRU_HASH). */
#include "unit.h"

static const uint32_t htypes[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };
#define NH ((int)(sizeof(htypes) / sizeof(htypes[0])))

static bool percpu(uint32_t t) { return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
static bool lru(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
static bool moves_on_update(uint32_t t) { return t == EMU_MAP_HASH || t == EMU_MAP_LRU_HASH; }

/* user buffer bytes for one value */
static size_t vbytes(uint32_t t, uint32_t vs)
{
	return percpu(t) ? ((vs + 7u) & ~7u) * (size_t)unit_ncpus() : vs;
}

/* ---- the model's hash: Bob Jenkins' lookup3 as §6.1 describes it ---- */

static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

#define L3_MIX(a, b, c)                                                                            \
	do {                                                                                       \
		a -= c; a ^= rotl(c, 4); c += b;                                                   \
		b -= a; b ^= rotl(a, 6); a += c;                                                   \
		c -= b; c ^= rotl(b, 8); b += a;                                                   \
		a -= c; a ^= rotl(c, 16); c += b;                                                  \
		b -= a; b ^= rotl(a, 19); a += c;                                                  \
		c -= b; c ^= rotl(b, 4); b += a;                                                   \
	} while (0)
#define L3_FINAL(a, b, c)                                                                          \
	do {                                                                                       \
		c ^= b; c -= rotl(b, 14);                                                          \
		a ^= c; a -= rotl(c, 11);                                                          \
		b ^= a; b -= rotl(a, 25);                                                          \
		c ^= b; c -= rotl(b, 16);                                                          \
		a ^= c; a -= rotl(c, 4);                                                           \
		b ^= a; b -= rotl(a, 14);                                                          \
		c ^= b; c -= rotl(b, 24);                                                          \
	} while (0)

static uint32_t le32_partial(const unsigned char *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint32_t model_hash(const void *key, uint32_t len, uint32_t seed)
{
	const unsigned char *p = key;
	uint32_t a, b, c;

	if (len % 4 == 0) {
		uint32_t n = len / 4, w[3];

		a = b = c = 0xdeadbeefu + (n << 2) + seed;
		while (n > 3) {
			memcpy(w, p, 12);
			a += w[0];
			b += w[1];
			c += w[2];
			L3_MIX(a, b, c);
			n -= 3;
			p += 12;
		}
		if (!n)
			return c;
		memset(w, 0, sizeof(w));
		memcpy(w, p, n * 4);
		a += w[0];
		b += w[1];
		c += w[2];
		L3_FINAL(a, b, c);
		return c;
	}
	a = b = c = 0xdeadbeefu + len + seed;
	while (len > 12) {
		a += le32_partial(p, 4);
		b += le32_partial(p + 4, 4);
		c += le32_partial(p + 8, 4);
		L3_MIX(a, b, c);
		len -= 12;
		p += 12;
	}
	if (!len)
		return c;
	a += le32_partial(p, len);
	if (len > 4)
		b += le32_partial(p + 4, len - 4);
	if (len > 8)
		c += le32_partial(p + 8, len - 8);
	L3_FINAL(a, b, c);
	return c;
}

/* ---- the model's table ---- */

#define MODEL_MAX 1100
#define KS_MAX 1024

struct model {
	uint32_t type, ks, n_buckets, n;
	uint64_t clock;
	struct {
		unsigned char key[KS_MAX];
		uint64_t stamp; /* newer first within a bucket */
		uint32_t bucket;
	} e[MODEL_MAX];
};

static uint32_t pow2_at_least(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void model_init(struct model *m, uint32_t type, uint32_t ks, uint32_t max)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->ks = ks;
	m->n_buckets = pow2_at_least(max);
}

static int model_find(const struct model *m, const void *key)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (!memcmp(m->e[i].key, key, m->ks))
			return (int)i;
	return -1;
}

static void model_put(struct model *m, const void *key)
{
	int i = model_find(m, key);

	if (i >= 0) {
		if (moves_on_update(m->type))
			m->e[i].stamp = ++m->clock;
		return;
	}
	ck_assert_uint_lt(m->n, MODEL_MAX);
	memcpy(m->e[m->n].key, key, m->ks);
	m->e[m->n].stamp = ++m->clock;
	m->e[m->n].bucket = model_hash(key, m->ks, 0) & (m->n_buckets - 1);
	m->n++;
}

static void model_del(struct model *m, const void *key)
{
	int i = model_find(m, key);

	ck_assert_int_ge(i, 0);
	m->e[i] = m->e[--m->n];
}

static int model_cmp(const void *x, const void *y)
{
	const __typeof__(((struct model *)0)->e[0]) *a = x, *b = y;

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	return a->stamp > b->stamp ? -1 : a->stamp < b->stamp;
}

/* The map iterates exactly in the model's order. */
static void assert_model_order(int fd, struct model *m)
{
	static unsigned char cur[KS_MAX], prev[KS_MAX];
	const void *pk = NULL;
	uint32_t i = 0;

	qsort(m->e, m->n, sizeof(m->e[0]), model_cmp);
	for (;;) {
		errno = 0;
		if (next_key(fd, pk, cur)) {
			ck_assert_int_eq(errno, ENOENT);
			break;
		}
		ck_assert_msg(i < m->n, "map has more than the model's %u keys", m->n);
		ck_assert_msg(!memcmp(cur, m->e[i].key, m->ks), "type %u ks %u: position %u of %u differs (bucket %u)",
			      m->type, m->ks, i, m->n, m->e[i].bucket);
		memcpy(prev, cur, m->ks);
		pk = prev;
		i++;
	}
	ck_assert_uint_eq(i, m->n);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rand_key(unsigned char *k, uint32_t ks)
{
	for (uint32_t i = 0; i < ks; i++)
		k[i] = (unsigned char)rnd();
}

/* ---- tests ---- */

START_TEST(model_hash_known_answers)
{
	/* lookup3's published self-test values for the byte variant; the word variant is held to
	 * the kernel's bucket examples below */
	static const char fs[] = "Four score and seven years ago";

	ck_assert_uint_eq(model_hash("", 0, 0), 0xdeadbeefu);
	ck_assert_uint_eq(model_hash("", 0, 0xdeadbeefu), 0xbd5b7ddeu);
	ck_assert_uint_eq(model_hash(fs, 30, 0), 0x17770551u);
	ck_assert_uint_eq(model_hash(fs, 30, 1), 0xcd628161u);
}
END_TEST

START_TEST(basic_semantics)
{
	uint32_t t = htypes[_i];
	size_t vb = vbytes(t, 12);
	int fd = mkmap(t, 4, 12, 16, 0);
	unsigned char v[512], out[512];
	uint32_t k = 7, miss = 8;

	memset(v, 0xab, vb);
	ERR(lookup(fd, &k, out, 0), ENOENT);
	ERR(update(fd, &k, v, EMU_EXIST), ENOENT);
	OK(update(fd, &k, v, EMU_NOEXIST));
	ERR(update(fd, &k, v, EMU_NOEXIST), EEXIST);
	memset(out, 0, sizeof(out));
	OK(lookup(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, vb);
	/* exactly V bytes are written */
	for (size_t i = vb; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], 0);
	memset(v, 0xcd, vb);
	OK(update(fd, &k, v, EMU_EXIST));
	OK(lookup(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, vb);
	memset(v, 0xef, vb);
	OK(update(fd, &k, v, EMU_ANY));
	OK(lookup(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, vb);
	ERR(delete(fd, &miss), ENOENT);
	OK(delete(fd, &k));
	ERR(delete(fd, &k), ENOENT);
	ERR(lookup(fd, &k, out, 0), ENOENT);
	/* LOOKUP_AND_DELETE: all of the value, then gone */
	memset(v, 0x42, vb);
	OK(update(fd, &k, v, 0));
	memset(out, 0, sizeof(out));
	OK(lookup_del(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, vb);
	ERR(lookup_del(fd, &k, out, 0), ENOENT);
	ERR(lookup(fd, &k, out, 0), ENOENT);
	/* only F_LOCK gets past the flags check, and no value here has a spin lock */
	OK(update(fd, &k, v, 0));
	ERR(lookup_del(fd, &k, out, EMU_NOEXIST), EINVAL);
	ERR(lookup_del(fd, &k, out, EMU_F_LOCK), EINVAL);
	OK(lookup(fd, &k, out, 0));
	close(fd);
}
END_TEST

START_TEST(odd_value_sizes_round_trip)
{
	uint32_t t = htypes[_i];
	static const uint32_t sizes[] = { 1, 3, 5, 8, 9, 15, 17, 100 };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t vs = sizes[s];
		size_t vb = vbytes(t, vs);
		unsigned char *v = malloc(vb + 16), *out = malloc(vb + 16);
		int fd = mkmap(t, 4, vs, 4, 0);
		uint32_t k = s;

		for (size_t i = 0; i < vb; i++)
			v[i] = (unsigned char)(i * 7 + s + 1);
		memset(out, 0xee, vb + 16);
		OK(update(fd, &k, v, 0));
		OK(lookup(fd, &k, out, 0));
		ck_assert_mem_eq(out, v, vb);
		for (size_t i = vb; i < vb + 16; i++)
			ck_assert_uint_eq(out[i], 0xee);
		free(v);
		free(out);
		close(fd);
	}
}
END_TEST

START_TEST(big_keys_and_values)
{
	uint32_t t = htypes[_i];
	uint32_t ks = 1000, vs = percpu(t) ? 30000 : 100000;
	size_t vb = vbytes(t, vs);
	unsigned char *k1 = calloc(1, ks), *k2 = calloc(1, ks);
	unsigned char *v = malloc(vb), *out = malloc(vb);
	int fd = mkmap(t, ks, vs, 4, EMU_F_ZERO_SEED);

	memset(k1, 1, ks);
	memset(k2, 1, ks);
	k2[ks - 1] = 2; /* differs only in the last byte */
	for (size_t i = 0; i < vb; i++)
		v[i] = (unsigned char)(i ^ (i >> 8));
	OK(update(fd, k1, v, 0));
	ERR(lookup(fd, k2, out, 0), ENOENT);
	OK(update(fd, k2, v, EMU_NOEXIST));
	OK(lookup(fd, k1, out, 0));
	ck_assert_mem_eq(out, v, vb);
	{
		unsigned char *a = malloc(ks), *b = malloc(ks);

		OK(next_key(fd, NULL, a));
		OK(next_key(fd, a, b));
		ck_assert(!memcmp(a, k1, ks) || !memcmp(a, k2, ks));
		ck_assert(!memcmp(b, k1, ks) || !memcmp(b, k2, ks));
		ck_assert(memcmp(a, b, ks) != 0);
		ERR(next_key(fd, b, a), ENOENT);
		free(a);
		free(b);
	}
	free(k1);
	free(k2);
	free(v);
	free(out);
	close(fd);
}
END_TEST

START_TEST(capacity_when_full)
{
	/* every non-LRU variant: prealloc and NO_PREALLOC, plain and per-CPU */
	static const struct {
		uint32_t type, flags;
	} v[] = { { EMU_MAP_HASH, 0 }, { EMU_MAP_HASH, EMU_F_NO_PREALLOC }, { EMU_MAP_PERCPU_HASH, 0 }, { EMU_MAP_PERCPU_HASH, EMU_F_NO_PREALLOC } };
	uint32_t t = v[_i].type;
	int fd = mkmap(t, 4, 8, 4, v[_i].flags);
	unsigned char val[512] = { 0 }, out[512];
	uint32_t k;

	for (k = 0; k < 4; k++)
		OK(update(fd, &k, val, EMU_NOEXIST));
	k = 100;
	ERR(update(fd, &k, val, EMU_ANY), E2BIG);
	ERR(update(fd, &k, val, EMU_NOEXIST), E2BIG);
	ERR(update(fd, &k, val, EMU_EXIST), ENOENT);
	/* replacing never fails for capacity, however often */
	for (int i = 0; i < 1000; i++) {
		uint32_t r = (uint32_t)i % 4;

		val[0] = (unsigned char)i;
		OK(update(fd, &r, val, (i & 1) ? EMU_EXIST : EMU_ANY));
		OK(lookup(fd, &r, out, 0));
		ck_assert_uint_eq(out[0], (unsigned char)i);
	}
	ck_assert_int_eq(count_keys(fd, 4), 4);
	/* a delete frees room at once */
	k = 2;
	OK(delete(fd, &k));
	k = 100;
	OK(update(fd, &k, val, EMU_NOEXIST));
	k = 101;
	ERR(update(fd, &k, val, EMU_ANY), E2BIG);
	/* and so does a LOOKUP_AND_DELETE */
	k = 100;
	OK(lookup_del(fd, &k, out, 0));
	k = 101;
	OK(update(fd, &k, val, EMU_ANY));
	ck_assert_int_eq(count_keys(fd, 4), 4);
	if (!unit_kernel())
		OK(bpfemu_map_check(fd));
	close(fd);
}
END_TEST

START_TEST(lru_never_e2big)
{
	uint32_t t = htypes[2 + _i];
	int fd = mkmap(t, 4, 8, 4, 0);
	unsigned char val[512] = { 0 };

	for (uint32_t k = 0; k < 100; k++)
		OK(update(fd, &k, val, EMU_NOEXIST));
	ck_assert_int_le(count_keys(fd, 4), 4);
	close(fd);
}
END_TEST

START_TEST(zero_seed_123_in_3)
{
	/* kernel-semantics.md Appendix A */
	static const struct {
		uint32_t type, flags;
		const char *after;
	} v[] = {
		{ EMU_MAP_HASH, 0, "2 1 3" },
		{ EMU_MAP_HASH, EMU_F_NO_PREALLOC, "2 1 3" },
		{ EMU_MAP_PERCPU_HASH, 0, "2 3 1" },
		{ EMU_MAP_PERCPU_HASH, EMU_F_NO_PREALLOC, "2 3 1" },
	};
	int fd = mkmap(v[_i].type, 4, 8, 3, EMU_F_ZERO_SEED | v[_i].flags);
	unsigned char val[512] = { 0 };

	for (uint32_t k = 1; k <= 3; k++)
		OK(update(fd, &k, val, 0));
	ASSERT_ORDER(fd, "2 3 1");
	{
		uint32_t k = 1;

		val[0] = 9;
		OK(update(fd, &k, val, 0));
	}
	ASSERT_ORDER(fd, v[_i].after);
	close(fd);
}
END_TEST

START_TEST(zero_seed_bucket_1_13_30)
{
	/* keys 1, 13 and 30 share bucket 3 of 8 (§6.2) */
	uint32_t t = htypes[_i];
	int fd = mkmap(t, 4, 8, 8, EMU_F_ZERO_SEED);
	unsigned char val[512] = { 0 };
	uint32_t keys[] = { 1, 13, 30 };

	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(model_hash(&keys[i], 4, 0) & 7, 3);
		OK(update(fd, &keys[i], val, 0));
	}
	ASSERT_ORDER(fd, "30 13 1");
	OK(update(fd, &keys[0], val, EMU_EXIST));
	ASSERT_ORDER(fd, moves_on_update(t) ? "1 30 13" : "30 13 1");
	/* delete and re-insert goes to the head */
	OK(delete(fd, &keys[1]));
	ASSERT_ORDER(fd, moves_on_update(t) ? "1 30" : "30 1");
	OK(update(fd, &keys[1], val, EMU_NOEXIST));
	ASSERT_ORDER(fd, moves_on_update(t) ? "13 1 30" : "13 30 1");
	close(fd);
}
END_TEST

START_TEST(get_next_key_rules)
{
	uint32_t t = htypes[_i];
	int fd = mkmap(t, 4, 8, 8, EMU_F_ZERO_SEED);
	unsigned char val[512] = { 0 };
	uint32_t k, nk, first, order[8];
	int n;

	/* empty */
	ERR(next_key(fd, NULL, &nk), ENOENT);
	k = 5;
	ERR(next_key(fd, &k, &nk), ENOENT);
	for (k = 10; k < 15; k++)
		OK(update(fd, &k, val, 0));
	n = walk_u32(fd, order, 8);
	ck_assert_int_eq(n, 5);
	first = order[0];
	/* a key that is not there restarts at the first */
	k = 999;
	OK(next_key(fd, &k, &nk));
	ck_assert_uint_eq(nk, first);
	/* the last one ends the walk */
	ERR(next_key(fd, &order[4], &nk), ENOENT);
	/* every key leads to the next */
	for (int i = 0; i < 4; i++) {
		OK(next_key(fd, &order[i], &nk));
		ck_assert_uint_eq(nk, order[i + 1]);
	}
	/* iterate-and-delete: deleting the current key restarts the walk at the first */
	OK(delete(fd, &order[2]));
	OK(next_key(fd, &order[2], &nk));
	ck_assert_uint_eq(nk, first);
	OK(delete(fd, &first));
	OK(next_key(fd, &first, &nk));
	ck_assert_uint_eq(nk, order[1]);
	close(fd);
}
END_TEST

/* The emulator remembers which element a GET_NEXT_KEY returned and tries it first when the key
 * comes back: deleting that key, or its element holding another key, must not mislead it. */
START_TEST(walk_after_returned_key_changes)
{
	uint32_t t = htypes[_i];
	int fd = mkmap(t, 4, 8, 8, EMU_F_ZERO_SEED);
	unsigned char val[512] = { 0 };
	uint32_t k, nk, first, order[8], again[8];
	int n;

	for (k = 10; k < 15; k++)
		OK(update(fd, &k, val, 0));
	n = walk_u32(fd, order, 8);
	ck_assert_int_eq(n, 5);
	/* returned, then deleted: its element keeps the key's bytes, unlinked */
	OK(next_key(fd, &order[1], &nk));
	ck_assert_uint_eq(nk, order[2]);
	OK(delete(fd, &order[2]));
	OK(next_key(fd, &order[2], &nk));
	OK(next_key(fd, NULL, &first));
	ck_assert_uint_eq(nk, first);
	/* returned, deleted, and its element taken by a new key */
	OK(next_key(fd, &order[0], &nk));
	ck_assert_uint_eq(nk, order[1]);
	OK(delete(fd, &order[1]));
	k = 99;
	OK(update(fd, &k, val, 0));
	OK(next_key(fd, &order[1], &nk));
	OK(next_key(fd, NULL, &first));
	ck_assert_uint_eq(nk, first);
	/* and the new key leads where a fresh walk says */
	n = walk_u32(fd, again, 8);
	ck_assert_int_eq(n, 4);
	for (int i = 0; i + 1 < n; i++) {
		OK(next_key(fd, &again[i], &nk));
		ck_assert_uint_eq(nk, again[i + 1]);
	}
	close(fd);
}
END_TEST

START_TEST(model_order_random_keys)
{
	/* loop index: type × key size */
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 16, 24, 25, 64 };
	const int nsz = (int)(sizeof(sizes) / sizeof(sizes[0]));
	uint32_t t = htypes[_i / nsz], ks = sizes[_i % nsz];
	/* LRU maps may evict before they are full; 256 entries fill exactly 4 refill batches of
	 * target_free = 256 / 2 CPUs / 2 = 64, so nothing is evicted here */
	uint32_t max = lru(t) ? 256 : 100;
	static struct model m;
	unsigned char key[KS_MAX], val[512] = { 0 };
	int fd = mkmap(t, ks, 8, max, EMU_F_ZERO_SEED);
	uint32_t fill = ks == 1 ? 60 : (lru(t) ? max : 90);

	ck_assert(!lru(t) || unit_ncpus() == 2);
	rng_state = 0x1234567ull * (_i + 1);
	model_init(&m, t, ks, max);
	while (m.n < fill) {
		rand_key(key, ks);
		if (model_find(&m, key) >= 0)
			continue;
		OK(update(fd, key, val, EMU_NOEXIST));
		model_put(&m, key);
	}
	assert_model_order(fd, &m);
	if (lru(t)) {
		/* deletes need no node: the order of the rest is kept */
		for (int i = 0; i < 20; i++) {
			memcpy(key, m.e[rnd() % m.n].key, ks);
			OK(delete(fd, key));
			model_del(&m, key);
		}
		assert_model_order(fd, &m);
		close(fd);
		return;
	}
	for (int i = 0; i < 30; i++) {
		memcpy(key, m.e[rnd() % m.n].key, ks);
		OK(delete(fd, key));
		model_del(&m, key);
	}
	assert_model_order(fd, &m);
	for (int i = 0; i < 25; i++) {
		memcpy(key, m.e[rnd() % m.n].key, ks);
		OK(update(fd, key, val, EMU_EXIST));
		model_put(&m, key);
	}
	assert_model_order(fd, &m);
	while (m.n < max) {
		rand_key(key, ks);
		if (model_find(&m, key) >= 0)
			continue;
		OK(update(fd, key, val, EMU_ANY));
		model_put(&m, key);
	}
	assert_model_order(fd, &m);
	close(fd);
}
END_TEST

START_TEST(model_order_big_map)
{
	static struct model m;
	uint32_t t = htypes[_i];
	uint32_t max = 1024;
	int fd = mkmap(t, 8, 4, max, EMU_F_ZERO_SEED);
	unsigned char val[512] = { 0 };

	model_init(&m, t, 8, max);
	for (uint64_t k = 0; k < max; k++) {
		uint64_t key = k * 0x10001;

		OK(update(fd, &key, val, 0));
		model_put(&m, &key);
	}
	assert_model_order(fd, &m);
	close(fd);
}
END_TEST

START_TEST(random_seed_differs_between_maps)
{
	uint32_t t = htypes[_i];
	int a = mkmap(t, 4, 8, 64, 0), b = mkmap(t, 4, 8, 64, 0);
	unsigned char val[512] = { 0 };
	uint32_t oa[64], ob[64];
	int na, nb, same = 1;

	for (uint32_t k = 0; k < 32; k++) {
		OK(update(a, &k, val, 0));
		OK(update(b, &k, val, 0));
	}
	na = walk_u32(a, oa, 64);
	nb = walk_u32(b, ob, 64);
	ck_assert_int_eq(na, 32);
	ck_assert_int_eq(nb, 32);
	for (int i = 0; i < 32; i++)
		same &= oa[i] == ob[i];
	/* 32 keys in 64 buckets falling the same way twice by chance: not in this universe */
	ck_assert_msg(!same, "two maps without ZERO_SEED iterate alike: %s", u32s(oa, na));
	/* each still visits every key once */
	{
		uint64_t seen = 0;

		for (int i = 0; i < 32; i++)
			seen |= 1ull << oa[i];
		ck_assert_uint_eq(seen, 0xffffffffull);
	}
	close(a);
	close(b);
}
END_TEST

/*
 * Updates of keys already in the map. The kernel overwrites a per-CPU element in place, and
 * replaces a plain one by a new element at the head of its bucket; the emulator overwrites plain
 * elements in place too unless the map has BPF_F_ZERO_SEED (emu/hashtab.c, update_inplace): with
 * a random seed the order within a bucket is nothing a caller can predict. Checked: every key
 * gets its new value, the walk still visits each key once, and the order is unchanged where the
 * kernel keeps it too (per-CPU) or the emulator promises it (plain, emulator only).
 */
START_TEST(update_existing_in_place)
{
	uint32_t t = _i & 1 ? EMU_MAP_PERCPU_HASH : EMU_MAP_HASH, vs = _i & 2 ? 24 : 8, n = 64;
	int fd = mkmap(t, 4, vs, n, 0), nb = (t == EMU_MAP_PERCPU_HASH ? unit_ncpus() : 1) * (int)((vs + 7) / 8 * 8);
	uint32_t before[64], after[64];
	unsigned char val[512], got[512];
	int na, nn;

	for (uint32_t k = 0; k < n; k++) {
		memset(val, (int)k, sizeof(val));
		OK(update(fd, &k, val, 0));
	}
	na = walk_u32(fd, before, 64);
	ck_assert_int_eq(na, (int)n);
	/* in the reverse of the insertion order: the kernel's moves then reverse every bucket */
	for (uint32_t k = n; k-- > 0;) {
		memset(val, (int)(k + 100), sizeof(val));
		OK(update(fd, &k, val, k & 1 ? 2 : 0));
		ERR(update(fd, &k, val, EMU_NOEXIST), EEXIST);
	}
	for (uint32_t k = 0; k < n; k++) {
		OK(lookup(fd, &k, got, 0));
		memset(val, (int)(k + 100), sizeof(val));
		ck_assert_msg(!memcmp(got, val, (size_t)nb), "key %u: not the new value", k);
	}
	nn = walk_u32(fd, after, 64);
	ck_assert_int_eq(nn, (int)n);
	{
		uint64_t seen = 0;

		for (int i = 0; i < nn; i++)
			seen |= 1ull << after[i];
		ck_assert_uint_eq(seen, ~0ull);
	}
	if (t == EMU_MAP_PERCPU_HASH || !unit_kernel())
		ck_assert_msg(!memcmp(before, after, sizeof(before)), "order changed by updates: %s", u32s(after, nn));
	if (!unit_kernel())
		ck_assert_int_eq(bpfemu_map_check(fd), 0);
	close(fd);
}
END_TEST

START_TEST(percpu_lookup_and_delete_returns_all_cpus)
{
	uint32_t t = _i ? EMU_MAP_LRU_PERCPU_HASH : EMU_MAP_PERCPU_HASH;
	int n = unit_ncpus();
	int fd = mkmap(t, 4, 4, 8, 0);
	uint32_t k = 3;
	unsigned char v[8 * 64], out[8 * 64];

	for (int i = 0; i < 8 * n; i++)
		v[i] = (unsigned char)(i + 1);
	OK(update(fd, &k, v, 0));
	memset(out, 0, sizeof(out));
	OK(lookup_del(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, (size_t)8 * n); /* padding bytes included */
	ERR(lookup(fd, &k, out, 0), ENOENT);
	close(fd);
}
END_TEST

START_TEST(consistency_after_churn)
{
	uint32_t t = htypes[_i];
	int fd = mkmap(t, 4, 16, 64, EMU_F_ZERO_SEED);
	unsigned char val[512] = { 0 }, out[512];

	rng_state = 77 + (uint64_t)_i;
	for (int i = 0; i < 20000; i++) {
		uint32_t k = (uint32_t)(rnd() % 100);
		uint64_t op = rnd() % 6, fl = rnd() % 3;

		val[0] = (unsigned char)i;
		switch (op) {
		case 0:
		case 1:
			(void)update(fd, &k, val, fl);
			break;
		case 2:
			(void)delete(fd, &k);
			break;
		case 3:
			(void)lookup_del(fd, &k, out, 0);
			break;
		case 4:
			(void)lookup(fd, &k, out, 0);
			break;
		default:
			(void)next_key(fd, &k, out);
			break;
		}
		if (i % 2000 == 0)
			OK(bpfemu_map_check(fd));
	}
	OK(bpfemu_map_check(fd));
	ck_assert_int_le(count_keys(fd, 4), 64);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("hash");
	TCase *emu = emu_tcase(s);

	unit_init("2");
	unit_kernel_needs_cpus(2);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, model_hash_known_answers);
	tcase_add_loop_test(tc, basic_semantics, 0, NH);
	tcase_add_loop_test(tc, odd_value_sizes_round_trip, 0, NH);
	tcase_add_loop_test(tc, big_keys_and_values, 0, NH);
	tcase_add_loop_test(tc, capacity_when_full, 0, 4);
	tcase_add_loop_test(tc, lru_never_e2big, 0, 2);
	tcase_add_loop_test(tc, zero_seed_123_in_3, 0, 4);
	tcase_add_loop_test(tc, zero_seed_bucket_1_13_30, 0, NH);
	tcase_add_loop_test(tc, get_next_key_rules, 0, NH);
	tcase_add_loop_test(tc, walk_after_returned_key_changes, 0, NH);
	tcase_add_loop_test(tc, model_order_random_keys, 0, NH * 14);
	tcase_add_loop_test(tc, model_order_big_map, 0, 2);
	tcase_add_loop_test(tc, random_seed_differs_between_maps, 0, NH);
	tcase_add_loop_test(tc, update_existing_in_place, 0, 4);
	tcase_add_loop_test(tc, percpu_lookup_and_delete_returns_all_cpus, 0, 2);
	suite_add_tcase(s, tc);
	opt_add_loop_test(emu, consistency_after_churn, 0, NH);
	return unit_run(s);
}
