/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §9: which keys an LRU map keeps, compared after every step with the process
 * pinned to CPU 0 (the kernel's LRU lists are per CPU). Covers the documented data points (batch
 * eviction before the map is full, failing updates that evict, the ref bit of replacing updates,
 * freed nodes going to the local or global free list, NO_COMMON_LRU's per-CPU share and its
 * 4-node eviction) and longer deterministic mixes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static const uint32_t lru_types[] = { EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };

static unsigned vseq;

static void value_for(unsigned char *v, uint32_t n)
{
	vseq++;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (unsigned char)(vseq * 3 + i);
}

static uint32_t zs(void) { return hx_have_sys_admin ? EMU_F_ZERO_SEED : 0; }

static long count_keys(const struct hx_pair *p) { return hx_compare_contents(p); }

static bool mk(struct hx_pair *p, uint32_t t, uint32_t max, uint32_t flags)
{
	if (hx_create(p, t, 4, 8, max, zs() | flags) < 0) {
		printf("FAIL: %s: create\n", hx_ctx_get());
		hx_nexpect_bad++;
		return false;
	}
	return true;
}

static void insert_range(const struct hx_pair *p, uint32_t from, uint32_t to, bool check_each)
{
	unsigned char v[64];

	for (uint32_t k = from; k <= to; k++) {
		value_for(v, p->vbytes);
		hx_update(p, &k, v, 0);
		if (check_each)
			count_keys(p);
	}
}

static void data_points(void)
{
	static const uint32_t maxes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 33, 100, 101, 128, 255, 256, 257, 1000, 4096 };

	for (size_t ti = 0; ti < 2; ti++)
		for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++)
			for (int nc = 0; nc < 2; nc++) {
				uint32_t t = lru_types[ti], max = maxes[mi];
				struct hx_pair p;
				long n;

				hx_ctx("%s max %u%s: insert 0..max+max/2", hx_type_name(t), max, nc ? " NO_COMMON_LRU" : "");
				if (!mk(&p, t, max, nc ? EMU_F_NO_COMMON_LRU : 0))
					continue;
				insert_range(&p, 0, max - 1, max <= 64);
				n = count_keys(&p);
				insert_range(&p, max, max + max / 2 + 1, max <= 64);
				count_keys(&p);
				/* documented counts (common LRU) */
				if (!nc && t == EMU_MAP_LRU_HASH && max == 1000)
					hx_expect(n, 976, "max 1000 after 1000 inserts");
				if (!nc && t == EMU_MAP_LRU_HASH && max == 4096)
					hx_expect(n, 4096, "max 4096 after 4096 inserts");
				hx_close(&p);
			}
	/* max+1-th insert evicts 1/2/4/25 oldest (max 4/8/16/100) */
	for (size_t ti = 0; ti < 2; ti++) {
		static const struct {
			uint32_t max;
			long left;
		} pts[] = { { 4, 4 }, { 8, 7 }, { 16, 13 }, { 100, 76 } };

		for (size_t i = 0; i < 4; i++) {
			struct hx_pair p;

			hx_ctx("%s max %u: insert 0..max", hx_type_name(lru_types[ti]), pts[i].max);
			if (!mk(&p, lru_types[ti], pts[i].max, 0))
				continue;
			insert_range(&p, 0, pts[i].max, false);
			hx_expect(count_keys(&p), pts[i].left, "keys left after max+1 inserts");
			hx_close(&p);
		}
	}
	/* max 101 after 0..100: 77 present */
	{
		struct hx_pair p;

		hx_ctx("LRU_HASH max 101: insert 0..100");
		if (mk(&p, EMU_MAP_LRU_HASH, 101, 0)) {
			insert_range(&p, 0, 100, false);
			hx_expect(count_keys(&p), 77, "max 101 after 0..100");
			hx_close(&p);
		}
	}
}

/* max 100: insert 0..100, replace 30 (ref bit), insert 101..124 → 0–29 and 31–49 gone */
static void ref_bit(void)
{
	for (size_t ti = 0; ti < 2; ti++) {
		struct hx_pair p;
		unsigned char v[64];
		uint32_t k;

		hx_ctx("%s max 100: replace 30, then insert 101..124", hx_type_name(lru_types[ti]));
		if (!mk(&p, lru_types[ti], 100, 0))
			continue;
		insert_range(&p, 0, 100, false);
		k = 30;
		value_for(v, p.vbytes);
		hx_update(&p, &k, v, 0);
		count_keys(&p);
		insert_range(&p, 101, 124, true);
		if (lru_types[ti] == EMU_MAP_LRU_HASH)
			hx_expect(count_keys(&p), 125 - 49, "0-29 and 31-49 evicted");
		/* syscall lookups never set the ref bit */
		for (k = 50; k < 70; k++)
			hx_lookup(&p, &k, v);
		insert_range(&p, 125, 160, true);
		hx_close(&p);
	}
}

/* delete 25–34 after 0..100, then 200..224: 10 from the global free list, 15 evicted */
static void freed_nodes(void)
{
	for (size_t ti = 0; ti < 2; ti++) {
		struct hx_pair p;
		uint32_t k;

		hx_ctx("%s max 100: delete 25..34, insert 200..224", hx_type_name(lru_types[ti]));
		if (!mk(&p, lru_types[ti], 100, 0))
			continue;
		insert_range(&p, 0, 100, false);
		for (k = 25; k <= 34; k++)
			hx_delete(&p, &k);
		count_keys(&p);
		insert_range(&p, 200, 224, true);
		if (lru_types[ti] == EMU_MAP_LRU_HASH)
			hx_expect(count_keys(&p), 76, "exactly 0-49 missing (50..100 and 200..224 left)");
		/* deletes of elements still pending on this CPU go back to the local free list */
		for (k = 220; k <= 224; k++)
			hx_delete(&p, &k);
		insert_range(&p, 300, 320, true);
		/* lookup_and_delete frees like delete */
		for (k = 300; k <= 305; k++) {
			unsigned char v[64];

			hx_lookup_del(&p, &k, v, 0);
		}
		insert_range(&p, 400, 420, true);
		hx_close(&p);
	}
}

/* Updates that fail still take (and may evict for) a node. */
static void failing_updates(void)
{
	for (size_t ti = 0; ti < 2; ti++)
		for (uint32_t max = 4; max <= 16; max *= 2) {
			struct hx_pair p;
			unsigned char v[64];
			uint32_t k;

			hx_ctx("%s max %u: failing updates", hx_type_name(lru_types[ti]), max);
			if (!mk(&p, lru_types[ti], max, 0))
				continue;
			insert_range(&p, 0, max - 1, false);
			count_keys(&p);
			for (int i = 0; i < 3 * (int)max; i++) {
				/* NOEXIST on an existing key (EEXIST), EXIST on a missing one (ENOENT), bad flags */
				k = (uint32_t)i % max;
				value_for(v, p.vbytes);
				hx_ctx("%s max %u: failing update %d", hx_type_name(lru_types[ti]), max, i);
				hx_update(&p, &k, v, 1);
				count_keys(&p);
				k = 5000 + (uint32_t)i;
				hx_update(&p, &k, v, 2);
				count_keys(&p);
				hx_update(&p, &k, v, 3);
				hx_update(&p, &k, NULL, 0); /* value fault before the map sees it */
				count_keys(&p);
				k = (uint32_t)i % max;
				hx_update(&p, &k, v, 2); /* succeeding EXIST: LRU_PERCPU takes no node */
				count_keys(&p);
			}
			hx_close(&p);
		}
	/* the documented point: max 8 full, one EEXIST, count 8 → 6 */
	{
		struct hx_pair p;
		unsigned char v[64];
		uint32_t k = 7;

		hx_ctx("LRU_HASH max 8 full: NOEXIST on an existing key");
		if (mk(&p, EMU_MAP_LRU_HASH, 8, 0)) {
			insert_range(&p, 0, 7, false);
			hx_expect(count_keys(&p), 8, "max 8 after 0..7");
			value_for(v, p.vbytes);
			hx_expect(hx_update(&p, &k, v, 1), -EEXIST, "NOEXIST on an existing key");
			hx_expect(count_keys(&p), 6, "EEXIST still evicted");
			hx_close(&p);
		}
	}
}

static void no_common_lru(void)
{
	for (size_t ti = 0; ti < 2; ti++) {
		struct hx_pair p;

		hx_ctx("%s NO_COMMON_LRU max 8: insert 0..5", hx_type_name(lru_types[ti]));
		if (!mk(&p, lru_types[ti], 8, EMU_F_NO_COMMON_LRU))
			continue;
		insert_range(&p, 0, 5, true);
		if (hx_ncpus == 2)
			hx_expect(count_keys(&p), 2, "only 4,5 remain");
		insert_range(&p, 6, 40, true);
		hx_close(&p);
		for (uint32_t max = 1; max <= 12; max++) {
			hx_ctx("%s NO_COMMON_LRU max %u", hx_type_name(lru_types[ti]), max);
			if (!mk(&p, lru_types[ti], max, EMU_F_NO_COMMON_LRU))
				continue;
			insert_range(&p, 0, 3 * max + 5, true);
			hx_close(&p);
		}
	}
}

/* Longer mixes: a deterministic interleaving of every element command. */
static void mixes(void)
{
	static const uint32_t maxes[] = { 3, 8, 20, 64, 130 };

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
				uint32_t t = lru_types[ti], max = maxes[mi];
				uint64_t rng = 0x1234567ull + max * 31 + ti * 7 + (uint64_t)nc;
				struct hx_pair p;
				unsigned char v[64];

				hx_ctx("%s max %u%s: mix", hx_type_name(t), max, nc ? " NO_COMMON_LRU" : "");
				if (!mk(&p, t, max, nc ? EMU_F_NO_COMMON_LRU : 0))
					continue;
				for (int i = 0; i < 3000; i++) {
					uint32_t k = hx_rand_below(&rng, 3 * max), op = hx_rand_below(&rng, 10);

					hx_ctx("%s max %u%s: mix step %d", hx_type_name(t), max, nc ? " NO_COMMON_LRU" : "", i);
					value_for(v, p.vbytes);
					if (op < 5)
						hx_update(&p, &k, v, hx_rand_below(&rng, 3));
					else if (op < 7)
						hx_lookup(&p, &k, v);
					else if (op < 8)
						hx_delete(&p, &k);
					else if (op < 9)
						hx_lookup_del(&p, &k, v, 0);
					else if (p.zero_seed)
						hx_next(&p, &k, v);
					else {
						/* random seed: only a key that is not there (restart) compares */
						k += 1000000;
						hx_next(&p, &k, v);
					}
					if (i % 50 == 0)
						count_keys(&p);
				}
				count_keys(&p);
				hx_close(&p);
			}
}

int main(void)
{
	hx_init("diff_lru");
	if (!hx_pinned)
		hx_skip("cannot pin the process to CPU 0: LRU eviction depends on the CPU");
	data_points();
	ref_bit();
	freed_nodes();
	failing_updates();
	no_common_lru();
	mixes();
	return hx_finish();
}
