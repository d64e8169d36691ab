/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §5 (capacity of full maps), §6 (hash order: buckets, lookup3 for every key
 * size, head insertion, update moves-to-head vs in place, GET_NEXT_KEY restart) and the order
 * rows of Appendix A. With BPF_F_ZERO_SEED every GET_NEXT_KEY step is compared byte for byte; maps
 * with a random seed are compared as key sets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const uint32_t hash_types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };

static unsigned vseq;

static void value_for(unsigned char *v, uint32_t n)
{
	vseq++;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (unsigned char)(vseq * 13 + i * 5);
}

static uint32_t seed_flag(void) { return hx_have_sys_admin ? EMU_F_ZERO_SEED : 0; }

/* Insert, update, delete and re-insert in a pattern, comparing the full walk along the way. */
static void key_size_sweep(void)
{
	static const uint32_t key_sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 20, 24, 25, 28, 32, 64, 100 };
	static const uint32_t maxes[] = { 1, 5, 8, 64, 100, 1000 };

	for (size_t ti = 0; ti < 4; ti++)
		for (int np = 0; np < 2; np++)
			for (size_t ki = 0; ki < sizeof(key_sizes) / sizeof(key_sizes[0]); ki++)
				for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
					uint32_t t = hash_types[ti], ks = key_sizes[ki], max = maxes[mi];
					uint32_t flags = seed_flag() | (np ? EMU_F_NO_PREALLOC : 0);
					uint32_t nkeys = max < 256 ? max : 256;
					unsigned char key[128], v[64];
					struct hx_pair p;

					if (np && hx_is_lru(t))
						continue;
					if (max == 1000 && ki % 4)
						continue; /* the big map for a few key sizes is enough */
					if (ks == 1 && max > 256)
						continue;
					hx_ctx("%s key %u max %u%s", hx_type_name(t), ks, max, np ? " NO_PREALLOC" : "");
					if (hx_create(&p, t, ks, 4, max, flags) < 0)
						continue;
					for (uint32_t i = 0; i < nkeys; i++) {
						hx_key_of(i * 7 + 3, key, ks);
						value_for(v, p.vbytes);
						hx_ctx("%s key %u max %u%s: insert #%u", hx_type_name(t), ks, max,
						       np ? " NO_PREALLOC" : "", i);
						hx_update(&p, key, v, 0);
						if (max <= 8)
							hx_compare_contents(&p);
					}
					hx_ctx("%s key %u max %u%s: after inserts", hx_type_name(t), ks, max, np ? " NO_PREALLOC" : "");
					hx_compare_contents(&p);
					/* updates of existing keys: HASH/LRU_HASH move them to the bucket head */
					for (uint32_t i = 0; i < nkeys; i += 3) {
						hx_key_of(i * 7 + 3, key, ks);
						value_for(v, p.vbytes);
						hx_update(&p, key, v, i & 1 ? 2 : 0);
					}
					hx_ctx("%s key %u max %u%s: after updates", hx_type_name(t), ks, max, np ? " NO_PREALLOC" : "");
					hx_compare_contents(&p);
					for (uint32_t i = 0; i < nkeys; i += 2) {
						hx_key_of(i * 7 + 3, key, ks);
						hx_delete(&p, key);
					}
					hx_ctx("%s key %u max %u%s: after deletes", hx_type_name(t), ks, max, np ? " NO_PREALLOC" : "");
					hx_compare_contents(&p);
					for (uint32_t i = 0; i < nkeys; i += 4) {
						hx_key_of(i * 7 + 3, key, ks);
						value_for(v, p.vbytes);
						hx_update(&p, key, v, 1);
					}
					hx_ctx("%s key %u max %u%s: after re-inserts", hx_type_name(t), ks, max,
					       np ? " NO_PREALLOC" : "");
					hx_compare_contents(&p);
					hx_close(&p);
				}
}

static int walk_u32(const struct hx_pair *p, uint32_t *out, int cap)
{
	uint32_t k, prev;
	int n = 0;

	while (n < cap && hx_next(p, n ? &prev : NULL, &k) == 0) {
		out[n++] = k;
		prev = k;
	}
	return n;
}

static void expect_order(const struct hx_pair *p, const uint32_t *want, int n, const char *what)
{
	uint32_t got[16];
	int m = walk_u32(p, got, 16);
	bool ok = m == n;

	for (int i = 0; ok && i < n; i++)
		ok = got[i] == want[i];
	if (!ok) {
		hx_nexpect_bad++;
		printf("EXPECTATION FAILED [%s] %s: kernel order", hx_ctx_get(), what);
		for (int i = 0; i < m; i++)
			printf(" %u", got[i]);
		printf(", kernel-semantics.md says");
		for (int i = 0; i < n; i++)
			printf(" %u", want[i]);
		printf("\n");
	}
}

/* The documented examples of §6.2 and Appendix A. */
static void documented_order(void)
{
	if (!hx_have_sys_admin) {
		printf("NOTE: no BPF_F_ZERO_SEED: documented order examples skipped\n");
		return;
	}
	for (size_t ti = 0; ti < 4; ti++) {
		uint32_t t = hash_types[ti];
		bool moves = t == EMU_MAP_HASH || t == EMU_MAP_LRU_HASH;
		struct hx_pair p;
		unsigned char v[64];

		hx_ctx("%s keys 1,13,30 in bucket 3 of 8", hx_type_name(t));
		if (hx_create(&p, t, 4, 8, 8, EMU_F_ZERO_SEED) < 0)
			continue;
		for (uint32_t k = 0; k < 3; k++) {
			static const uint32_t keys[] = { 1, 13, 30 };

			value_for(v, p.vbytes);
			hx_update(&p, &keys[k], v, 0);
		}
		{
			static const uint32_t want[] = { 30, 13, 1 };

			expect_order(&p, want, 3, "insert 1,13,30");
		}
		{
			uint32_t k = 1;
			static const uint32_t move[] = { 1, 30, 13 }, stay[] = { 30, 13, 1 };

			value_for(v, p.vbytes);
			hx_update(&p, &k, v, 0);
			expect_order(&p, moves ? move : stay, 3, "update 1");
			/* with BPF_EXIST as well */
			k = 13;
			value_for(v, p.vbytes);
			hx_update(&p, &k, v, 2);
			hx_compare_contents(&p);
		}
		hx_close(&p);

		hx_ctx("%s keys 1,2,3 in max_entries 3", hx_type_name(t));
		if (hx_create(&p, t, 4, 8, 3, EMU_F_ZERO_SEED) < 0)
			continue;
		for (uint32_t k = 1; k <= 3; k++) {
			value_for(v, p.vbytes);
			hx_update(&p, &k, v, 0);
		}
		{
			static const uint32_t want[] = { 2, 3, 1 }, move[] = { 2, 1, 3 };
			uint32_t k = 1;

			/* LRU maps of 3 entries have evicted by now: only the plain ones are documented */
			if (!hx_is_lru(t))
				expect_order(&p, want, 3, "insert 1,2,3");
			value_for(v, p.vbytes);
			hx_update(&p, &k, v, 0);
			if (!hx_is_lru(t))
				expect_order(&p, moves ? move : want, 3, "update 1");
			hx_compare_contents(&p);
		}
		hx_close(&p);
	}
}

/* §6.3: NULL restarts, a missing key restarts, the last key ends; iterate-and-delete. */
static void next_key_rules(void)
{
	for (size_t ti = 0; ti < 4; ti++)
		for (int zs = 0; zs < 2; zs++) {
			uint32_t t = hash_types[ti];
			struct hx_pair p;
			unsigned char v[64];
			uint32_t k, next, prev;
			int steps = 0;

			if (zs && !hx_have_sys_admin)
				continue;
			hx_ctx("%s%s GET_NEXT_KEY rules", hx_type_name(t), zs ? " ZERO_SEED" : "");
			if (hx_create(&p, t, 4, 8, 64, zs ? EMU_F_ZERO_SEED : 0) < 0)
				continue;
			hx_expect(hx_next(&p, NULL, &next), -ENOENT, "GET_NEXT_KEY on an empty map");
			k = 5;
			hx_expect(hx_next(&p, &k, &next), -ENOENT, "GET_NEXT_KEY of a missing key on an empty map");
			for (k = 0; k < 40; k++) {
				value_for(v, p.vbytes);
				hx_update(&p, &k, v, 0);
			}
			if (!zs) {
				/* different seeds, different order: only the set can be compared */
				hx_compare_contents(&p);
				hx_close(&p);
				continue;
			}
			for (k = 0; k < 50; k++) {
				hx_ctx("%s ZERO_SEED GET_NEXT_KEY of %u", hx_type_name(t), k);
				hx_next(&p, &k, &next);
			}
			/* iterate and delete the previous key: every step after a delete restarts */
			hx_ctx("%s ZERO_SEED iterate-and-delete", hx_type_name(t));
			if (hx_next(&p, NULL, &prev) == 0) {
				while (steps++ < 200) {
					long r = hx_next(&p, &prev, &next);

					hx_delete(&p, &prev);
					if (r)
						break;
					prev = next;
				}
			}
			hx_compare_contents(&p);
			hx_close(&p);
		}
}

/* §5: full maps. */
static void capacity(void)
{
	for (size_t ti = 0; ti < 4; ti++)
		for (int np = 0; np < 2; np++)
			for (uint32_t max = 1; max <= 9; max += 4) {
				uint32_t t = hash_types[ti];
				struct hx_pair p;
				unsigned char v[64];
				uint32_t k;

				if (np && hx_is_lru(t))
					continue;
				hx_ctx("%s max %u%s full", hx_type_name(t), max, np ? " NO_PREALLOC" : "");
				if (hx_create(&p, t, 4, 8, max, seed_flag() | (np ? EMU_F_NO_PREALLOC : 0)) < 0)
					continue;
				for (k = 0; k < max; k++) {
					value_for(v, p.vbytes);
					hx_update(&p, &k, v, 1);
				}
				for (uint64_t f = 0; f < 3; f++) {
					long r;

					k = 1000 + (uint32_t)f;
					value_for(v, p.vbytes);
					r = hx_update(&p, &k, v, f);
					if (!hx_is_lru(t))
						hx_expect(r, f == 2 ? -ENOENT : -E2BIG, "new key into a full map");
					hx_compare_contents(&p);
				}
				/* replacing existing keys never fails for capacity (per-CPU spare elements) */
				for (int i = 0; i < 300; i++) {
					k = (uint32_t)i % max;
					value_for(v, p.vbytes);
					if (hx_is_lru(t))
						hx_update(&p, &k, v, 2);
					else
						hx_expect(hx_update(&p, &k, v, i % 3 == 1 ? 1 : (uint64_t)(i % 3)),
							  i % 3 == 1 ? -EEXIST : 0, "replace in a full map");
				}
				hx_compare_contents(&p);
				/* a delete frees room at once */
				k = 0;
				hx_delete(&p, &k);
				k = 2000;
				value_for(v, p.vbytes);
				hx_expect(hx_update(&p, &k, v, 0), 0, "insert after a delete");
				k = 2001;
				hx_update(&p, &k, v, 0);
				hx_compare_contents(&p);
				/* lookup_and_delete frees room too */
				k = 2000;
				hx_lookup_del(&p, &k, v, 0);
				k = 2002;
				hx_update(&p, &k, v, 0);
				hx_compare_contents(&p);
				hx_close(&p);
			}
}

int main(void)
{
	hx_init("diff_order");
	documented_order();
	next_key_rules();
	capacity();
	key_size_sweep();
	return hx_finish();
}
