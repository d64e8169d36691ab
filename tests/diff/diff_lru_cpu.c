/* SPDX-License-Identifier: MIT */
/*
 * Issue 17 item 12: an LRU map's eviction depends on the CPU each insert runs on (the kernel's
 * common LRU keeps a local free and a pending list per CPU and steals from other CPUs when the
 * shared lists run dry; NO_COMMON_LRU gives every CPU its own lists and share of the elements; a
 * freed element goes back to the lists of the CPU that holds it). The calling thread is pinned to
 * one CPU or the other with sched_setaffinity before every operation, each operation runs on the
 * kernel and on the emulator from that CPU, and which keys survive (and their values) is compared.
 *
 *   diff_lru_cpu [--expect-divergence]
 *
 * Scenarios: the issue's two data points; 48 alternating-CPU insert runs (LRU_HASH and
 * LRU_PERCPU_HASH, common and NO_COMMON_LRU, 12 sizes); inserts in blocks per CPU (the steal
 * path); deletes and replacing updates on the other CPU than the insert's; batch updates;
 * programs under BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU naming the other CPU than the
 * thread's; seeded random mixes with a random CPU per operation.
 *
 * Needs two CPUs the thread may run on: with fewer it skips (77), or fails under
 * BPFEMU_REQUIRE_KERNEL=1. --expect-divergence is the planted-fault self-test (the fault-injecting
 * library with BPFEMU_FAULT=lru-cpu0: every command's insert on CPU 0's lists): it passes only if
 * divergences were found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "prog/insn_build.h"

static const uint32_t lru_types[] = { EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };

static int cpu_id[2]; /* the two CPUs used: side 0 and side 1 */
static int on = -1;   /* index into cpu_id of the CPU the thread is pinned to now */
static unsigned vseq;

/* Pin the calling thread to CPU cpu_id[which]; the kernel moves it before the call returns. */
static void run_on(int which)
{
	cpu_set_t set;

	if (on == which)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu_id[which], &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		printf("FAIL: cannot pin to CPU %d: %s\n", cpu_id[which], strerror(errno));
		exit(1);
	}
	if (sched_getcpu() != cpu_id[which]) {
		printf("FAIL: pinned to CPU %d, running on %d\n", cpu_id[which], sched_getcpu());
		exit(1);
	}
	on = which;
}

static void value_for(unsigned char *v, uint32_t n)
{
	vseq++;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (unsigned char)(vseq * 7 + i);
}

static uint32_t zs(void) { return hx_have_sys_admin ? EMU_F_ZERO_SEED : 0; }

static const char *nc_name(uint32_t flags) { return flags & EMU_F_NO_COMMON_LRU ? " NO_COMMON_LRU" : ""; }

static bool mk(struct hx_pair *p, uint32_t t, uint32_t max, uint32_t flags)
{
	if (hx_create(p, t, 4, 8, max, zs() | flags) < 0) {
		printf("FAIL: %s: create\n", hx_ctx_get());
		hx_nexpect_bad++;
		return false;
	}
	return true;
}

static long upd(const struct hx_pair *p, int cpu, uint32_t k, uint64_t flags)
{
	unsigned char v[512];

	run_on(cpu);
	value_for(v, p->vbytes);
	return hx_update(p, &k, v, flags);
}

static long del(const struct hx_pair *p, int cpu, uint32_t k)
{
	run_on(cpu);
	return hx_delete(p, &k);
}

/* ---- the issue's data points ---- */

static void issue_points(void)
{
	struct hx_pair p;

	/* the counts are the kernel's with 2 possible CPUs; elsewhere they are compared only */
	hx_ctx("LRU_HASH NO_COMMON_LRU max 8: keys 0-3 on CPU %d, 4-7 on CPU %d", cpu_id[0], cpu_id[1]);
	if (mk(&p, EMU_MAP_LRU_HASH, 8, EMU_F_NO_COMMON_LRU)) {
		for (uint32_t k = 0; k < 8; k++)
			upd(&p, k < 4 ? 0 : 1, k, 0);
		if (hx_ncpus == 2)
			hx_expect(hx_compare_contents(&p), 8, "the kernel keeps all 8");
		else
			hx_compare_contents(&p);
		hx_close(&p);
	}
	hx_ctx("LRU_HASH max 16: keys 0-19 alternating CPUs %d and %d", cpu_id[0], cpu_id[1]);
	if (mk(&p, EMU_MAP_LRU_HASH, 16, 0)) {
		for (uint32_t k = 0; k < 20; k++)
			upd(&p, (int)(k & 1), k, 0);
		if (hx_ncpus == 2)
			hx_expect(hx_compare_contents(&p), 12, "the kernel keeps 12");
		else
			hx_compare_contents(&p);
		hx_close(&p);
	}
}

/* ---- 48 alternating-CPU insert runs: keys 0..2*max+3, key k on CPU k % 2, compared after each ---- */

static void alternating(void)
{
	static const uint32_t maxes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100 };
	unsigned scenarios = 0, diverged = 0;

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
				uint32_t t = lru_types[ti], max = maxes[mi], fl = nc ? EMU_F_NO_COMMON_LRU : 0;
				unsigned long before = hx_ndiv;
				struct hx_pair p;

				hx_ctx("%s%s max %u: keys alternating CPUs", hx_type_name(t), nc_name(fl), max);
				if (!mk(&p, t, max, fl))
					continue;
				for (uint32_t k = 0; k < 2 * max + 4; k++) {
					hx_ctx("%s%s max %u: alternating, key %u on CPU %d", hx_type_name(t), nc_name(fl), max,
					       k, cpu_id[k & 1]);
					upd(&p, (int)(k & 1), k, 0);
					hx_compare_contents(&p);
				}
				hx_close(&p);
				scenarios++;
				diverged += hx_ndiv != before;
			}
	printf("alternating-CPU scenarios: %u run, %u diverged\n", scenarios, diverged);
}

/* ---- blocks: a run of inserts on one CPU, then on the other (the steal path: one CPU's local
 * lists hold nodes the other needs) ---- */

static void blocks(void)
{
	static const uint32_t maxes[] = { 4, 8, 16, 32, 64 };

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++)
				for (uint32_t blk = 1; blk <= maxes[mi]; blk *= 2) {
					uint32_t t = lru_types[ti], max = maxes[mi], fl = nc ? EMU_F_NO_COMMON_LRU : 0;
					struct hx_pair p;

					hx_ctx("%s%s max %u: blocks of %u per CPU", hx_type_name(t), nc_name(fl), max, blk);
					if (!mk(&p, t, max, fl))
						continue;
					for (uint32_t k = 0; k < 3 * max; k++) {
						upd(&p, (int)((k / blk) & 1), k, 0);
						if (max <= 16 || k % 8 == 0)
							hx_compare_contents(&p);
					}
					hx_compare_contents(&p);
					hx_close(&p);
				}
}

/* ---- frees on the other CPU: deletes, replacing updates, failing updates, and the refill that
 * follows on each CPU ---- */

static void cross_frees(void)
{
	static const uint32_t maxes[] = { 4, 8, 16, 40 };

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
				uint32_t t = lru_types[ti], max = maxes[mi], fl = nc ? EMU_F_NO_COMMON_LRU : 0, k;
				struct hx_pair p;

				hx_ctx("%s%s max %u: frees on the other CPU", hx_type_name(t), nc_name(fl), max);
				if (!mk(&p, t, max, fl))
					continue;
				for (k = 0; k < max; k++) /* all on CPU 0: pending there */
					upd(&p, 0, k, 0);
				hx_compare_contents(&p);
				for (k = 0; k < max; k += 3) /* deleted from CPU 1 */
					del(&p, 1, k);
				hx_compare_contents(&p);
				for (k = 100; k < 100 + max; k++) { /* inserts on CPU 1, then CPU 0 */
					upd(&p, 1, k, 0);
					hx_compare_contents(&p);
				}
				for (k = 0; k < max; k++) { /* replacing updates of what is there, on CPU 1 */
					upd(&p, 1, 100 + k, EMU_EXIST);
					hx_compare_contents(&p);
				}
				for (k = 200; k < 200 + max; k++) {
					upd(&p, 0, k, 0);
					hx_compare_contents(&p);
				}
				for (k = 0; k < max; k++) { /* failing updates evict too */
					upd(&p, (int)(k & 1), 200 + k, EMU_NOEXIST);
					upd(&p, (int)(~k & 1), 5000 + k, EMU_EXIST);
					hx_compare_contents(&p);
				}
				for (k = 200; k < 200 + max; k += 2)
					del(&p, 0, k);
				for (k = 300; k < 300 + 2 * max; k++) {
					upd(&p, (int)((k / 3) & 1), k, 0);
					hx_compare_contents(&p);
				}
				hx_close(&p);
			}
}

/* ---- BPF_MAP_UPDATE_BATCH: each element inserted on the caller's CPU ---- */

static void batch_updates(void)
{
	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++) {
			uint32_t t = lru_types[ti], fl = nc ? EMU_F_NO_COMMON_LRU : 0, max = 16;
			struct hx_pair p;

			hx_ctx("%s%s max %u: batch updates alternating CPUs", hx_type_name(t), nc_name(fl), max);
			if (!mk(&p, t, max, fl))
				continue;
			for (uint32_t round = 0; round < 6; round++) {
				uint32_t keys[8], n = 8;
				unsigned char *vals = calloc(8, p.vbytes);
				struct hx_op op;
				struct hx_res res;

				for (uint32_t i = 0; i < n; i++) {
					keys[i] = round * 5 + i;
					value_for(vals + (size_t)i * p.vbytes, p.vbytes);
				}
				run_on((int)(round & 1));
				hx_op_init(&op, EMU_BPF_MAP_UPDATE_BATCH);
				hx_op_fd(&op, BA_FD, &p);
				hx_op_buf(&op, BA_KEYS, sizeof(keys), keys, NULL);
				hx_op_buf(&op, BA_VALUES, (size_t)n * p.vbytes, vals, NULL);
				hx_op_u32(&op, BA_COUNT, n);
				hx_run(&op, &res);
				free(vals);
				hx_compare_contents(&p);
			}
			hx_close(&p);
		}
}

/* ---- programs: BPF_F_TEST_RUN_ON_CPU names the CPU, whichever the caller runs on ---- */

/* A raw tracepoint program: arg1 == 0 updates key arg0 (value arg0), else deletes it; returns the
 * helper's answer. */
static long prog_load(int side, int map_fd)
{
	struct emu_insn insns[] = {
		EI_LDX_MEM(EMU_DW, 6, 1, 0),
		EI_LDX_MEM(EMU_DW, 7, 1, 8),
		EI_STX_MEM(EMU_W, 10, 6, -4),
		EI_STX_MEM(EMU_DW, 10, 6, -16),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)map_fd),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_JMP_IMM(EMU_JNE, 7, 0, 5),
		EI_MOV64_REG(3, 10),
		EI_ALU64_IMM(EMU_ADD, 3, -16),
		EI_MOV64_IMM(4, 0),
		EI_CALL_HELPER(EMU_FN_map_update_elem),
		EI_EXIT(),
		EI_CALL_HELPER(EMU_FN_map_delete_elem),
		EI_EXIT(),
	};
	unsigned char a[EMU_ATTR_SIZE];
	uint32_t type = EMU_PROG_RAW_TRACEPOINT, cnt = EI_COUNT(insns);
	uint64_t ip = (uint64_t)(uintptr_t)insns, lp = (uint64_t)(uintptr_t)"GPL";

	memset(a, 0, sizeof(a));
	memcpy(a + PL_TYPE, &type, 4);
	memcpy(a + PL_INSN_CNT, &cnt, 4);
	memcpy(a + PL_INSNS, &ip, 8);
	memcpy(a + PL_LICENSE, &lp, 8);
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

/* One run on both sides: same retval, same answer. */
static void prog_run(const int pfd[2], uint32_t key, uint32_t op, int cpu)
{
	uint64_t args[2] = { key, op };
	long r[2];
	uint32_t ret[2] = { 0, 0 };

	for (int s = 0; s < 2; s++) {
		unsigned char a[EMU_ATTR_SIZE];
		uint32_t sz = sizeof(args), flags = EMU_F_TEST_RUN_ON_CPU, c = (uint32_t)cpu_id[cpu];
		uint64_t cp = (uint64_t)(uintptr_t)args;

		memset(a, 0, sizeof(a));
		memcpy(a + TR_PROG_FD, &pfd[s], 4);
		memcpy(a + TR_CTX_SIZE_IN, &sz, 4);
		memcpy(a + TR_CTX_IN, &cp, 8);
		memcpy(a + TR_FLAGS, &flags, 4);
		memcpy(a + TR_CPU, &c, 4);
		r[s] = hx_raw(s, EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
		memcpy(&ret[s], a + TR_RETVAL, 4);
	}
	hx_nops++;
	if ((r[0] != r[1] || ret[0] != ret[1]) && ++hx_ndiv <= hx_max_reports)
		printf("DIVERGENCE #%lu [%s: TEST_RUN key %u op %u on CPU %d]\n  kernel: %ld retval %d\n  emulator: %ld "
		       "retval %d\n", hx_ndiv, hx_ctx_get(), key, op, cpu_id[cpu], r[0], (int)ret[0], r[1], (int)ret[1]);
}

static void programs(void)
{
	static const uint32_t maxes[] = { 4, 8, 16, 33 };

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
				uint32_t t = lru_types[ti], max = maxes[mi], fl = nc ? EMU_F_NO_COMMON_LRU : 0;
				struct hx_pair p;
				int pfd[2] = { -1, -1 };
				uint64_t rng = 0x5eed + max * 13 + ti * 3 + (uint64_t)nc;

				hx_ctx("%s%s max %u: programs on the run's CPU", hx_type_name(t), nc_name(fl), max);
				if (!mk(&p, t, max, fl))
					continue;
				for (int s = 0; s < 2; s++) {
					long fd = prog_load(s, p.fd[s]);

					pfd[s] = (int)fd;
					if (fd < 0) {
						printf("FAIL: %s: %s program load: %s\n", hx_ctx_get(), s ? "emulator" : "kernel",
						       hx_errname((int)-fd));
						hx_nexpect_bad++;
					}
				}
				if (pfd[0] >= 0 && pfd[1] >= 0) {
					/* the thread stays on CPU 0 while the runs name CPU 1, then the other way round */
					for (uint32_t k = 0; k < 3 * max; k++) {
						int cpu = (int)((k / 2) & 1);

						run_on(!cpu);
						prog_run(pfd, k, 0, cpu);
						hx_compare_contents(&p);
					}
					for (uint32_t i = 0; i < 6 * max; i++) {
						uint32_t k = hx_rand_below(&rng, 4 * max), op = hx_rand_below(&rng, 4) == 0;
						int cpu = (int)hx_rand_below(&rng, 2);

						run_on((int)hx_rand_below(&rng, 2));
						prog_run(pfd, k, op, cpu);
						if (i % 4 == 0)
							hx_compare_contents(&p);
					}
					hx_compare_contents(&p);
				}
				for (int s = 0; s < 2; s++)
					if (pfd[s] >= 0)
						close(pfd[s]);
				hx_close(&p);
			}
}

/* ---- seeded random mixes, a random CPU per operation ---- */

static void mixes(void)
{
	static const uint32_t maxes[] = { 3, 8, 20, 64, 130 };

	for (size_t ti = 0; ti < 2; ti++)
		for (int nc = 0; nc < 2; nc++)
			for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
				uint32_t t = lru_types[ti], max = maxes[mi], fl = nc ? EMU_F_NO_COMMON_LRU : 0;
				uint64_t rng = 0xc0ffee + max * 31 + ti * 7 + (uint64_t)nc;
				struct hx_pair p;
				unsigned char v[512];

				if (!mk(&p, t, max, fl))
					continue;
				for (int i = 0; i < 1500; i++) {
					uint32_t k = hx_rand_below(&rng, 3 * max), op = hx_rand_below(&rng, 10);

					run_on((int)hx_rand_below(&rng, 2));
					hx_ctx("%s%s max %u: mix step %d on CPU %d", hx_type_name(t), nc_name(fl), max, i,
					       cpu_id[on]);
					value_for(v, p.vbytes);
					if (op < 6)
						hx_update(&p, &k, v, hx_rand_below(&rng, 3));
					else if (op < 7)
						hx_lookup(&p, &k, v);
					else if (op < 9)
						hx_delete(&p, &k);
					else
						hx_lookup_del(&p, &k, v, 0);
					if (i % 25 == 0)
						hx_compare_contents(&p);
				}
				hx_compare_contents(&p);
				hx_close(&p);
			}
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");
	cpu_set_t allowed;
	int n = 0, ret;

	/* the CPUs this thread may use, before hx_init pins it to CPU 0 */
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	hx_init(expect_div ? "diff_lru_cpu (planted fault)" : "diff_lru_cpu");
	hx_quiet_ok = true;
	if (!hx_pinned)
		hx_skip("cannot pin the thread to a CPU: LRU eviction depends on the CPU");
	for (int c = 0; c < hx_ncpus && c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &allowed))
			cpu_id[n++] = c;
	if (n < 2)
		hx_skip("fewer than 2 CPUs usable here (%d allowed of %d possible): per-CPU LRU lists need two",
			CPU_COUNT(&allowed), hx_ncpus);
	printf("diff_lru_cpu: CPUs %d and %d of %d possible\n", cpu_id[0], cpu_id[1], hx_ncpus);

	issue_points();
	alternating();
	blocks();
	cross_frees();
	batch_updates();
	programs();
	mixes();
	ret = hx_finish();
	if (expect_div) {
		if (hx_ndiv) {
			printf("planted fault caught: %lu divergences\n", hx_ndiv);
			return 0;
		}
		printf("FAIL: the planted fault (BPFEMU_FAULT=lru-cpu0) went unnoticed\n");
		return 1;
	}
	return ret;
}
