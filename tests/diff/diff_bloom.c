/* SPDX-License-Identifier: MIT */
/*
 * BLOOM_FILTER against the kernel: create rules (key size 0, value size limits, max_entries,
 * map_extra's number of hash functions and its limits, flags), push (UPDATE with a NULL key) and
 * peek (LOOKUP), with BPF_F_ZERO_SEED random values peeked after random pushes so that every
 * false positive is compared (the same bits must be set), without it only what a bloom filter
 * promises (no false negatives), and the kernel's errno for every other command and for invalid
 * inputs. The memlock the kernel reports (the bit array's size) is compared too.
 *
 *   diff_bloom [--seconds N] [--seed S]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend.h"
#include "harness.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static unsigned long peeks, positives;

static void compare_memlock(const struct hx_pair *p)
{
	char kt[512], et[512], path[64], *km, *em;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", p->fd[HX_K]);
	f = fopen(path, "r");
	n = f ? fread(kt, 1, sizeof(kt) - 1, f) : 0;
	kt[n] = 0;
	if (f)
		fclose(f);
	if (emu_fdinfo(p->fd[HX_E], et, sizeof(et)) < 0)
		et[0] = 0;
	km = strstr(kt, "memlock:");
	em = strstr(et, "memlock:");
	hx_nops++;
	if (!km || !em || strncmp(km, em, strcspn(km, "\n") + 1)) {
		hx_ndiv++;
		printf("DIVERGENCE [%s] fdinfo memlock: kernel \"%.30s\", emulator \"%.30s\"\n", hx_ctx_get(),
		       km ? km : "?", em ? em : "?");
	}
}

static void create_rules(void)
{
	static const uint32_t kss[] = { 0, 4 };
	static const uint32_t vss[] = { 0, 1, 3, 4, 8, 4u << 20, (4u << 20) + 1 };
	static const uint32_t maxes[] = { 0, 1, 100, 0x7fffffff, 0xffffffff };
	static const uint64_t extras[] = { 0, 1, 5, 15, 16, 0x100, 1ull << 40 };
	struct hx_pair p;
	struct hx_op op;

	for (size_t k = 0; k < 2; k++)
		for (size_t v = 0; v < sizeof(vss) / 4; v++)
			for (size_t x = 0; x < sizeof(maxes) / 4; x++)
				for (size_t e = 0; e < sizeof(extras) / 8; e++) {
					/* the huge bit arrays once, not for every value size */
					if (maxes[x] > 100 && (vss[v] != 4 || k))
						continue;
					hx_ctx("create key %u value %u max %u extra %#llx", kss[k], vss[v], maxes[x],
					       (unsigned long long)extras[e]);
					hx_create_op(&op, EMU_MAP_BLOOM_FILTER, kss[k], vss[v], maxes[x], 0);
					hx_op_u64(&op, MC_EXTRA, extras[e]);
					if (hx_create_from(&p, &op) >= 0) {
						compare_memlock(&p);
						hx_close(&p);
					}
				}
	for (uint32_t bit = 0; bit < 32; bit++) {
		if (bit == 16)
			continue;
		hx_ctx("create with flag bit %u", bit);
		hx_create_op(&op, EMU_MAP_BLOOM_FILTER, 0, 4, 10, 1u << bit);
		if (hx_create_from(&p, &op) >= 0)
			hx_close(&p);
	}
	for (int t = 0; t < 4; t++) {
		hx_create_op(&op, EMU_MAP_BLOOM_FILTER, t == 2 ? 4 : 0, t == 3 ? (4u << 20) + 1 : 4, 10, EMU_F_TOKEN_FD);
		hx_op_u32(&op, MC_TOKEN_FD, t ? 999 : 0);
		hx_ctx("create with a token fd (case %d)", t);
		if (hx_create_from(&p, &op) >= 0)
			hx_close(&p);
	}
	hx_ctx("create with RDONLY_PROG and WRONLY_PROG");
	if (hx_create(&p, EMU_MAP_BLOOM_FILTER, 0, 4, 10, EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG) >= 0)
		hx_close(&p);
}

static void other_commands(void)
{
	struct hx_pair p;
	unsigned char v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, key[8] = { 0 }, out[8], tok[8], keys[64], vals[64];
	uint32_t cnt;

	hx_ctx("other commands");
	if (hx_create(&p, EMU_MAP_BLOOM_FILTER, 0, 8, 16, 0) < 0)
		return;
	hx_ctx("push with a key");
	hx_update(&p, key, v, 0);
	for (uint64_t f = 1; f < 6; f++) {
		hx_ctx("push flags %llu", (unsigned long long)f);
		hx_update(&p, NULL, v, f);
	}
	hx_ctx("push");
	hx_update(&p, NULL, v, 0);
	hx_ctx("push faulting value");
	hx_update(&p, NULL, hx_bad_ptr(), 0);
	hx_ctx("push value short of a page");
	hx_update(&p, NULL, hx_page_end_ptr(7, v), 0);
	hx_ctx("peek the pushed value");
	hx_lookup(&p, NULL, v);
	hx_ctx("peek with a key");
	hx_lookup(&p, key, v);
	hx_ctx("peek faulting value");
	hx_lookup(&p, NULL, hx_bad_ptr());
	hx_ctx("peek with flags");
	hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, NULL, v, NULL, EMU_F_LOCK);
	hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, NULL, v, NULL, 1);
	hx_ctx("delete");
	hx_delete(&p, NULL);
	hx_delete(&p, key);
	hx_ctx("get_next_key");
	hx_next(&p, NULL, out);
	hx_next(&p, key, out);
	hx_ctx("lookup_and_delete");
	hx_lookup_del(&p, NULL, out, 0);
	hx_lookup_del(&p, NULL, out, EMU_F_LOCK);
	hx_ctx("batches");
	hx_batch(&p, EMU_BPF_MAP_LOOKUP_BATCH, NULL, tok, 4, keys, vals, 2, 2, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, NULL, tok, 4, keys, vals, 2, 2, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_UPDATE_BATCH, NULL, NULL, 0, keys, vals, 2, 2, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_DELETE_BATCH, NULL, NULL, 0, keys, NULL, 2, 2, 0, &cnt);
	hx_ctx("info");
	hx_compare_info(&p);
	hx_ctx("freeze, then push and peek");
	hx_freeze(&p);
	hx_update(&p, NULL, v, 0);
	hx_lookup(&p, NULL, v);
	hx_close(&p);
}

/* Push and peek random values; with a zero seed every answer is compared. */
static void run_shape(uint32_t vs, uint32_t max, uint32_t nr_hash, bool zero_seed, int nops)
{
	struct hx_pair p;
	struct hx_op op;
	unsigned char pushed[64][32], v[32];
	int npushed = 0;

	hx_create_op(&op, EMU_MAP_BLOOM_FILTER, 0, vs, max, zero_seed ? EMU_F_ZERO_SEED : 0);
	hx_op_u64(&op, MC_EXTRA, nr_hash);
	hx_ctx("bloom value %u max %u hashes %u%s", vs, max, nr_hash, zero_seed ? " zero seed" : "");
	if (hx_create_from(&p, &op) < 0)
		return;
	compare_memlock(&p);
	for (int i = 0; i < nops; i++) {
		unsigned r = hx_rand_below(&rng, 10);

		for (uint32_t b = 0; b < vs; b++)
			v[b] = (unsigned char)hx_rand_below(&rng, 4); /* small alphabet: repeats and near misses */
		if (r < 4) {
			hx_ctx("bloom value %u max %u hashes %u: push #%d", vs, max, nr_hash, i);
			if (hx_update(&p, NULL, v, 0) == 0 && npushed < 64)
				memcpy(pushed[npushed++], v, vs);
		} else if (r < 8 && zero_seed) {
			long ret;

			hx_ctx("bloom value %u max %u hashes %u: peek #%d", vs, max, nr_hash, i);
			ret = hx_lookup(&p, NULL, v);
			peeks++;
			positives += ret == 0;
		} else if (npushed) {
			/* a pushed value: present on both sides, whatever the seed */
			const unsigned char *pv = pushed[hx_rand_below(&rng, (uint32_t)npushed)];
			struct hx_op lk;
			struct hx_res res;

			hx_op_init(&lk, EMU_BPF_MAP_LOOKUP_ELEM);
			hx_op_fd(&lk, EL_FD, &p);
			hx_op_buf(&lk, EL_VALUE, vs, pv, NULL);
			hx_ctx("bloom value %u max %u hashes %u: peek of a pushed value #%d", vs, max, nr_hash, i);
			hx_run(&lk, &res);
			hx_expect(hx_kret(&res), 0, "a pushed value is present");
		}
	}
	hx_close(&p);
}

int main(int argc, char **argv)
{
	double seconds = 5;
	uint64_t seed = (uint64_t)time(NULL);
	struct timespec t0, t;
	int rounds = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
	}
	hx_init("diff_bloom");
	hx_quiet_ok = true;
	rng ^= seed * 0x2545f4914f6cdd1dull;
	printf("diff_bloom: seed %llu\n", (unsigned long long)seed);
	create_rules();
	other_commands();
	if (!hx_have_sys_admin)
		printf("NOTE: no BPF_F_ZERO_SEED on the kernel side: false positives are not compared\n");
	for (uint32_t vs = 1; vs <= 9; vs++)
		run_shape(vs, 1 + vs % 3, 1 + vs, hx_have_sys_admin, 150);
	run_shape(4, 3, 0, false, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		run_shape(1 + hx_rand_below(&rng, 24), 1 + hx_rand_below(&rng, 20), hx_rand_below(&rng, 16),
			  hx_have_sys_admin && hx_rand_below(&rng, 4), 120);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("diff_bloom: %d random shapes, %lu peeks compared (%lu positive)\n", rounds, peeks, positives);
	return hx_finish();
}
