/* SPDX-License-Identifier: MIT */
/*
 * LPM_TRIE against the kernel: create rules (BPF_F_NO_PREALLOC, key and value size limits, flags,
 * max_entries, the token and device fields), every element command with valid and invalid inputs
 * (prefix lengths past the key, flags, NULL and faulting pointers, full tries), longest-prefix
 * lookups of random addresses, GET_NEXT_KEY walks compared step by step (the kernel's postorder),
 * the batch commands the kernel has for tries (lookup, update, delete; lookup-and-delete is
 * ENOTSUPP), and random operation sequences for a bounded time.
 *
 *   diff_lpm [--seconds N] [--seed S] [--expect-divergence]
 *
 * Addresses are drawn around a few bases so that prefixes nest and split (intermediate nodes are
 * made and removed). --expect-divergence is the planted-fault self-test: built against the
 * fault-injecting library and run with BPFEMU_FAULT=lpm-match (a longest match one bit too long),
 * it passes only if divergences were found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend.h"
#include "harness.h"

#define LPM_VAL_MAX (4u * 1024 * 1024 - 256 - 24)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned lookups, hits, next_steps;

static void create_rules(void)
{
	static const uint32_t kss[] = { 0, 1, 4, 5, 6, 8, 20, 36, 259, 260, 261, 1000 };
	static const uint32_t vss[] = { 0, 1, 4, 8, 1000, LPM_VAL_MAX, LPM_VAL_MAX + 1 };
	static const uint32_t maxes[] = { 0, 1, 3 };
	struct hx_pair p;
	struct hx_op op;

	for (size_t k = 0; k < sizeof(kss) / 4; k++)
		for (size_t v = 0; v < sizeof(vss) / 4; v++)
			for (size_t x = 0; x < sizeof(maxes) / 4; x++) {
				hx_ctx("create key %u value %u max %u", kss[k], vss[v], maxes[x]);
				if (hx_create(&p, EMU_MAP_LPM_TRIE, kss[k], vss[v], maxes[x], EMU_F_NO_PREALLOC) >= 0)
					hx_close(&p);
			}
	hx_ctx("create without BPF_F_NO_PREALLOC");
	if (hx_create(&p, EMU_MAP_LPM_TRIE, 8, 4, 4, 0) >= 0)
		hx_close(&p);
	for (uint32_t bit = 1; bit < 32; bit++) {
		uint32_t f = EMU_F_NO_PREALLOC | (1u << bit);

		if (bit == 16) /* the token: below */
			continue;
		hx_ctx("create with flag bit %u", bit);
		hx_create_op(&op, EMU_MAP_LPM_TRIE, 8, 4, 4, f);
		if (bit == 2)
			hx_op_u32(&op, MC_NUMA, 0);
		if (hx_create_from(&p, &op) >= 0)
			hx_close(&p);
	}
	hx_ctx("create with RDONLY_PROG and WRONLY_PROG");
	if (hx_create(&p, EMU_MAP_LPM_TRIE, 8, 4, 4, EMU_F_NO_PREALLOC | EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG) >= 0)
		hx_close(&p);
	for (int t = 0; t < 6; t++) {
		hx_create_op(&op, EMU_MAP_LPM_TRIE, t == 3 ? 2 : 8, 4, t == 4 ? 0 : 4, EMU_F_NO_PREALLOC);
		switch (t) {
		case 0:
			hx_ctx("create with map_extra");
			hx_op_u64(&op, MC_EXTRA, 3);
			break;
		case 1:
			hx_ctx("create with a token fd that is no token");
			hx_op_u32(&op, MC_FLAGS, EMU_F_NO_PREALLOC | EMU_F_TOKEN_FD);
			break;
		case 2:
			hx_ctx("create with a token fd that is not open");
			hx_op_u32(&op, MC_FLAGS, EMU_F_NO_PREALLOC | EMU_F_TOKEN_FD);
			hx_op_u32(&op, MC_TOKEN_FD, 999);
			break;
		case 3:
			hx_ctx("create with a bad key and a token fd that is not open (the checks come after it)");
			hx_op_u32(&op, MC_FLAGS, EMU_F_NO_PREALLOC | EMU_F_TOKEN_FD);
			hx_op_u32(&op, MC_TOKEN_FD, 999);
			break;
		case 4:
			hx_ctx("create with max_entries 0 and an ifindex");
			hx_op_u32(&op, MC_IFINDEX, 1);
			break;
		case 5:
			hx_ctx("create with an ifindex");
			hx_op_u32(&op, MC_IFINDEX, 1);
			break;
		}
		if (hx_create_from(&p, &op) >= 0)
			hx_close(&p);
	}
}

/* Key bytes: prefixlen (host order), then data around one of a few bases. */
struct shape {
	uint32_t ks, vs, max, dsize, bits;
	unsigned char bases[4][256];
};

static void rand_key(const struct shape *s, unsigned char *key, bool near_prefix)
{
	uint32_t plen;
	const unsigned char *base = s->bases[hx_rand_below(&rng, 4)];

	if (hx_rand_below(&rng, 40) == 0)
		plen = s->bits + 1 + hx_rand_below(&rng, 3); /* past the key: EINVAL or no match */
	else
		plen = hx_rand_below(&rng, s->bits + 1);
	memcpy(key, &plen, 4);
	memcpy(key + 4, base, s->dsize);
	/* flip a few bits, mostly past the prefix so keys share it */
	for (int i = hx_rand_below(&rng, near_prefix ? 3 : 6); i > 0; i--) {
		uint32_t b = hx_rand_below(&rng, s->bits);

		key[4 + b / 8] ^= (unsigned char)(0x80 >> (b % 8));
	}
}

static void rand_value(const struct shape *s, unsigned char *v)
{
	for (uint32_t i = 0; i < s->vs; i++)
		v[i] = (unsigned char)hx_rand(&rng);
}

static void batch_ops(const struct hx_pair *p, const struct shape *s)
{
	uint32_t n = s->max + 2, cnt;
	unsigned char *keys = calloc(n, s->ks), *vals = calloc(n, s->vs), tok[300], in[300];
	uint64_t ef = hx_rand_below(&rng, 10) == 0 ? EMU_F_LOCK : 0;

	switch (hx_rand_below(&rng, 5)) {
	case 0:
	case 1: {
		uint32_t count = hx_rand_below(&rng, n + 1);

		rand_key(s, in, true);
		hx_ctx("LOOKUP_BATCH count %u", count);
		hx_batch(p, EMU_BPF_MAP_LOOKUP_BATCH, hx_rand_below(&rng, 2) ? in : NULL, tok, s->ks, keys, vals, count, n,
			 ef, &cnt);
		break;
	}
	case 2: {
		uint32_t count = 1 + hx_rand_below(&rng, n < 4 ? n : 4);

		for (uint32_t i = 0; i < count; i++) {
			rand_key(s, keys + (size_t)i * s->ks, true);
			rand_value(s, vals + (size_t)i * s->vs);
		}
		hx_ctx("UPDATE_BATCH count %u", count);
		hx_batch(p, EMU_BPF_MAP_UPDATE_BATCH, NULL, NULL, 0, keys, vals, count, n,
			 hx_rand_below(&rng, 6) ? 0 : hx_rand_below(&rng, 4), &cnt);
		break;
	}
	case 3: {
		uint32_t count = 1 + hx_rand_below(&rng, n < 4 ? n : 4);

		for (uint32_t i = 0; i < count; i++)
			rand_key(s, keys + (size_t)i * s->ks, true);
		hx_ctx("DELETE_BATCH count %u", count);
		hx_batch(p, EMU_BPF_MAP_DELETE_BATCH, NULL, NULL, 0, keys, NULL, count, n, ef, &cnt);
		break;
	}
	case 4:
		hx_ctx("LOOKUP_AND_DELETE_BATCH");
		hx_batch(p, EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, NULL, tok, s->ks, keys, vals, 2, n, 0, &cnt);
		break;
	}
	free(keys);
	free(vals);
}

static void random_ops(const struct hx_pair *p, struct shape *s, int nops)
{
	unsigned char key[300], v[LPM_VAL_MAX > 4096 ? 4096 : LPM_VAL_MAX], out[4096], nk[300];

	for (int i = 0; i < nops; i++) {
		unsigned r = hx_rand_below(&rng, 100);
		long ret;

		rand_key(s, key, true);
		if (r < 35) {
			uint64_t flags = hx_rand_below(&rng, 8) ? hx_rand_below(&rng, 3) : hx_rand_below(&rng, 8);

			rand_value(s, v);
			hx_ctx("op %d: UPDATE flags %llu", i, (unsigned long long)flags);
			hx_update(p, key, v, flags);
		} else if (r < 50) {
			hx_ctx("op %d: DELETE", i);
			hx_delete(p, key);
		} else if (r < 80) {
			/* a host address: the longest prefix that covers it */
			uint32_t full = s->bits;

			if (hx_rand_below(&rng, 2))
				memcpy(key, &full, 4);
			hx_ctx("op %d: LOOKUP", i);
			ret = hx_lookup(p, key, out);
			lookups++;
			hits += ret == 0;
		} else if (r < 92) {
			hx_ctx("op %d: GET_NEXT_KEY", i);
			ret = hx_next(p, hx_rand_below(&rng, 5) ? key : NULL, nk);
			next_steps += ret == 0;
		} else if (r < 94) {
			hx_ctx("op %d: LOOKUP_AND_DELETE", i);
			hx_lookup_del(p, key, out, 0);
		} else {
			batch_ops(p, s);
		}
		if (i % 25 == 24) {
			hx_ctx("op %d: whole trie", i);
			hx_compare_contents(p);
		}
	}
	hx_ctx("after %d ops: whole trie", nops);
	hx_compare_contents(p);
}

static void make_shape(struct shape *s, uint32_t dsize, uint32_t vs, uint32_t max)
{
	s->dsize = dsize;
	s->ks = dsize + 4;
	s->vs = vs;
	s->max = max;
	s->bits = dsize * 8;
	for (int b = 0; b < 4; b++)
		for (uint32_t i = 0; i < dsize; i++)
			s->bases[b][i] = (unsigned char)hx_rand(&rng);
	/* two bases share their first half, so their prefixes split deep */
	memcpy(s->bases[1], s->bases[0], dsize / 2);
}

static void run_shape(uint32_t dsize, uint32_t vs, uint32_t max, int nops)
{
	struct shape s;
	struct hx_pair p;

	make_shape(&s, dsize, vs, max);
	hx_ctx("LPM data %u value %u max %u", dsize, vs, max);
	if (hx_create(&p, EMU_MAP_LPM_TRIE, s.ks, vs, max, EMU_F_NO_PREALLOC) < 0)
		return;
	random_ops(&p, &s, nops);
	hx_close(&p);
}

/* Invalid inputs on one trie: pointers, sizes, flags, permissions, frozen. */
static void invalid_inputs(void)
{
	struct hx_pair p, ro;
	unsigned char key[8] = { 8, 0, 0, 0, 10, 0, 0, 0 }, v[4] = { 1, 2, 3, 4 }, out[8];
	struct hx_op op;

	hx_ctx("invalid inputs");
	if (hx_create(&p, EMU_MAP_LPM_TRIE, 8, 4, 2, EMU_F_NO_PREALLOC) < 0)
		return;
	hx_ctx("update NULL key");
	hx_update(&p, NULL, v, 0);
	hx_ctx("update faulting key");
	hx_update(&p, hx_bad_ptr(), v, 0);
	hx_ctx("update faulting value");
	hx_update(&p, key, hx_bad_ptr(), 0);
	hx_ctx("update key short of a page");
	hx_update(&p, hx_page_end_ptr(5, key), v, 0);
	hx_ctx("update BPF_F_LOCK");
	hx_update(&p, key, v, EMU_F_LOCK);
	hx_ctx("update flags 3");
	hx_update(&p, key, v, 3);
	hx_ctx("update prefixlen 33");
	key[0] = 33;
	hx_update(&p, key, v, 0);
	hx_ctx("delete prefixlen 33");
	hx_delete(&p, key);
	hx_ctx("lookup prefixlen 33");
	hx_lookup(&p, key, out);
	hx_ctx("next from prefixlen 33 (empty)");
	hx_next(&p, key, out);
	key[0] = 8;
	hx_update(&p, key, v, 0);
	hx_ctx("next from prefixlen 33");
	key[0] = 33;
	hx_next(&p, key, out);
	key[0] = 8;
	hx_ctx("lookup faulting value");
	hx_lookup(&p, key, hx_bad_ptr());
	hx_ctx("lookup flags");
	hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, key, NULL, out, 8);
	hx_ctx("lookup BPF_F_LOCK");
	hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, key, NULL, out, EMU_F_LOCK);
	hx_ctx("next faulting next_key");
	hx_next(&p, NULL, hx_bad_ptr());
	hx_ctx("full: a third entry");
	key[0] = 16;
	hx_update(&p, key, v, 0);
	key[0] = 24;
	hx_update(&p, key, v, 0);
	hx_ctx("full: replace");
	hx_update(&p, key, v, EMU_EXIST);
	hx_update(&p, key, v, EMU_NOEXIST);
	key[0] = 12;
	hx_update(&p, key, v, EMU_EXIST);
	hx_ctx("LOOKUP_AND_DELETE with flags");
	hx_lookup_del(&p, key, out, EMU_F_LOCK);
	hx_compare_contents(&p);
	hx_ctx("memlock");
	{
		char kt[512], et[512], *km, *em;
		char path[64];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", p.fd[HX_K]);
		f = fopen(path, "r");
		n = f ? fread(kt, 1, sizeof(kt) - 1, f) : 0;
		kt[n] = 0;
		if (f)
			fclose(f);
		n = (size_t)emu_fdinfo(p.fd[HX_E], et, sizeof(et));
		km = strstr(kt, "memlock:");
		em = strstr(et, "memlock:");
		if (!km || !em || strncmp(km, em, strcspn(km, "\n") + 1)) {
			hx_ndiv++;
			printf("DIVERGENCE [%s] fdinfo memlock: kernel \"%.30s\", emulator \"%.30s\"\n", hx_ctx_get(),
			       km ? km : "?", em ? em : "?");
		}
		hx_nops++;
	}
	hx_ctx("freeze, then update");
	hx_freeze(&p);
	hx_update(&p, key, v, 0);
	hx_delete(&p, key);
	hx_lookup(&p, key, out);
	hx_close(&p);

	hx_ctx("read-only fd");
	hx_create_op(&op, EMU_MAP_LPM_TRIE, 8, 4, 2, EMU_F_NO_PREALLOC | EMU_F_RDONLY);
	if (hx_create_from(&ro, &op) >= 0) {
		hx_update(&ro, key, v, 0);
		hx_lookup(&ro, key, out);
		hx_close(&ro);
	}
}

int main(int argc, char **argv)
{
	bool expect_div = false;
	double seconds = 8;
	struct timespec t0, t;
	uint64_t seed = (uint64_t)time(NULL);
	int rounds = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-divergence"))
			expect_div = true;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
	}
	hx_init("diff_lpm");
	hx_quiet_ok = true;
	rng ^= seed * 0x2545f4914f6cdd1dull;
	printf("diff_lpm: seed %llu\n", (unsigned long long)seed);

	create_rules();
	invalid_inputs();
	/* fixed shapes: IPv4, IPv6, one-byte and odd-sized data, tiny and larger tries */
	run_shape(4, 4, 16, 300);
	run_shape(16, 8, 64, 300);
	run_shape(1, 1, 4, 200);
	run_shape(5, 3, 8, 200);
	run_shape(4, 1, 1, 100);
	/* then random shapes until the time is up */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		uint32_t ds = 1 + hx_rand_below(&rng, 8);

		run_shape(ds, 1 + hx_rand_below(&rng, 16), 1 + hx_rand_below(&rng, 40), 150);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds &&
		 (!expect_div || !hx_ndiv));
	printf("diff_lpm: %d random shapes, %u lookups (%u matched), %u GET_NEXT_KEY steps\n", rounds, lookups, hits,
	       next_steps);
	return hx_finish_planted(expect_div);
}
