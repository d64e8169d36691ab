/* SPDX-License-Identifier: MIT */
/*
 * LRU_HASH and LRU_PERCPU_HASH eviction: the data points of kernel-semantics.md §9, measured with
 * 2 possible CPUs on CPU 0. unit_init pins the process to one CPU (inserts use that CPU's lists,
 * on the kernel and the emulator alike); BPFEMU_NR_CPUS=2 gives the emulator the probe machine's
 * CPU count, on which the refill batch size depends. _i = 0 is LRU_HASH,
 * 1 is LRU_PERCPU_HASH: both take their nodes from the same LRU list.
 */
#include "unit.h"

static uint32_t ltype(int i) { return i ? EMU_MAP_LRU_PERCPU_HASH : EMU_MAP_LRU_HASH; }

static unsigned char val[8 * 512];

static void put(int fd, uint32_t k) { OK(update(fd, &k, val, EMU_ANY)); }

static void put_range(int fd, uint32_t from, uint32_t to)
{
	for (uint32_t k = from; k <= to; k++)
		put(fd, k);
}

static bool present(int fd, uint32_t k)
{
	unsigned char out[sizeof(val)];

	errno = 0;
	if (!lookup(fd, &k, out, 0))
		return true;
	ck_assert_int_eq(errno, ENOENT);
	return false;
}

/* The keys of [from, to] that are missing, as ranges: "0-23 31-49". */
static const char *missing(int fd, uint32_t from, uint32_t to)
{
	static char buf[4096];
	size_t off = 0;
	uint32_t k = from;

	buf[0] = 0;
	while (k <= to) {
		uint32_t start;

		if (present(fd, k)) {
			k++;
			continue;
		}
		start = k;
		while (k + 1 <= to && !present(fd, k + 1))
			k++;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u", off ? " " : "", start);
		if (k != start)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "-%u", k);
		k++;
	}
	return buf;
}

static int mklru(int i, uint32_t max, uint32_t flags) { return mkmap(ltype(i), 4, 8, max, flags); }

START_TEST(runs_with_two_cpus)
{
	ck_assert_int_eq(unit_ncpus(), 2);
}
END_TEST

/* max 4/8/16/100: the (max+1)-th key evicts 1/2/4/25 of the oldest */
START_TEST(first_eviction_batch)
{
	static const struct {
		uint32_t max;
		const char *gone;
	} d[] = { { 4, "0" }, { 8, "0-1" }, { 16, "0-3" }, { 100, "0-24" } };

	for (unsigned j = 0; j < sizeof(d) / sizeof(d[0]); j++) {
		int fd = mklru(_i, d[j].max, 0);

		put_range(fd, 0, d[j].max - 1);
		ck_assert_str_eq(missing(fd, 0, d[j].max - 1), "");
		put(fd, d[j].max);
		ck_assert_msg(!strcmp(missing(fd, 0, d[j].max), d[j].gone), "max %u: missing %s, want %s",
			      d[j].max, missing(fd, 0, d[j].max), d[j].gone);
		close(fd);
	}
}
END_TEST

START_TEST(evicts_before_full)
{
	int fd = mklru(_i, 101, 0);

	put_range(fd, 0, 100);
	ck_assert_str_eq(missing(fd, 0, 100), "0-23");
	ck_assert_int_eq(count_keys(fd, 4), 77);
	close(fd);
}
END_TEST

START_TEST(thousand)
{
	int fd = mklru(_i, 1000, 0);

	put_range(fd, 0, 999);
	ck_assert_int_eq(count_keys(fd, 4), 976);
	close(fd);
}
END_TEST

START_TEST(batch_ceiling_128)
{
	int fd = mklru(_i, 4096, 0);

	put_range(fd, 0, 4095);
	ck_assert_int_eq(count_keys(fd, 4), 4096);
	put(fd, 4096);
	ck_assert_str_eq(missing(fd, 0, 4096), "0-127");
	close(fd);
}
END_TEST

START_TEST(replaced_key_survives)
{
	int fd = mklru(_i, 100, 0);

	put_range(fd, 0, 100);
	put(fd, 30);
	put_range(fd, 101, 124);
	/* LRU_HASH replaces with a new node and 30 survives by its ref bit; LRU_PERCPU_HASH replaces
	 * in place, gives back the node it took, and the 24 inserts fit in the refill left over */
	ck_assert_str_eq(missing(fd, 0, 124), _i ? "0-24" : "0-29 31-49");
	close(fd);
}
END_TEST

START_TEST(deleted_nodes_then_eviction)
{
	int fd = mklru(_i, 100, 0);

	put_range(fd, 0, 100);
	for (uint32_t k = 25; k <= 34; k++)
		OK(delete(fd, &k));
	put_range(fd, 200, 224);
	ck_assert_str_eq(missing(fd, 0, 100), "0-49");
	ck_assert_str_eq(missing(fd, 200, 224), "");
	close(fd);
}
END_TEST

START_TEST(syscall_lookup_does_not_protect)
{
	int fd = mklru(_i, 8, 0);

	put_range(fd, 0, 7);
	ck_assert(present(fd, 0));
	ck_assert(present(fd, 1));
	ck_assert(present(fd, 0));
	put(fd, 8);
	ck_assert_str_eq(missing(fd, 0, 8), "0-1");
	close(fd);
}
END_TEST

START_TEST(failing_updates_evict)
{
	uint32_t k;
	int fd;

	/* NOEXIST on a key that exists: EEXIST, after a node was taken (evicting two) */
	fd = mklru(_i, 8, 0);
	put_range(fd, 0, 7);
	k = 7;
	ERR(update(fd, &k, val, EMU_NOEXIST), EEXIST);
	ck_assert_int_eq(count_keys(fd, 4), 6);
	ck_assert_str_eq(missing(fd, 0, 7), "0-1");
	close(fd);

	/* EXIST on a missing key: LRU_HASH takes a node first, LRU_PERCPU_HASH does not */
	fd = mklru(_i, 8, 0);
	put_range(fd, 0, 7);
	k = 100;
	ERR(update(fd, &k, val, EMU_EXIST), ENOENT);
	ck_assert_int_eq(count_keys(fd, 4), _i ? 8 : 6);
	close(fd);
}
END_TEST

START_TEST(lru_update_order)
{
	/* HASH-like move to head for LRU_HASH, in place for LRU_PERCPU_HASH (§6.2) */
	int fd = mklru(_i, 8, EMU_F_ZERO_SEED);
	uint32_t k;

	put(fd, 1);
	put(fd, 13);
	put(fd, 30);
	ASSERT_ORDER(fd, "30 13 1");
	k = 1;
	OK(update(fd, &k, val, EMU_EXIST));
	ASSERT_ORDER(fd, _i ? "30 13 1" : "1 30 13");
	close(fd);
}
END_TEST

START_TEST(no_common_lru_rounds_and_splits)
{
	unsigned char info[MI_SIZE];
	uint32_t len = sizeof(info);
	int fd = mklru(_i, 5, EMU_F_NO_COMMON_LRU);

	memset(info, 0, sizeof(info));
	OK(get_info(fd, info, &len));
	ck_assert_uint_eq(get32(info, MI_MAX_ENTRIES), 6);
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), EMU_F_NO_COMMON_LRU);
	close(fd);

	/* one CPU owns max / 2 nodes and evicts up to 4 at once when they run out */
	fd = mklru(_i, 8, EMU_F_NO_COMMON_LRU);
	put_range(fd, 0, 3);
	ck_assert_str_eq(missing(fd, 0, 3), "");
	put_range(fd, 4, 5);
	ck_assert_str_eq(missing(fd, 0, 5), "0-3");
	ck_assert_int_eq(count_keys(fd, 4), 2);
	close(fd);
}
END_TEST

START_TEST(no_common_lru_single_thread_capacity)
{
	int fd = mklru(_i, 64, EMU_F_NO_COMMON_LRU);

	put_range(fd, 0, 31);
	ck_assert_int_eq(count_keys(fd, 4), 32);
	put_range(fd, 32, 200);
	ck_assert_int_le(count_keys(fd, 4), 32);
	ck_assert(present(fd, 200));
	close(fd);
}
END_TEST

START_TEST(churn_stays_consistent)
{
	static const uint32_t flags[] = { 0, EMU_F_NO_COMMON_LRU };
	uint64_t r = 0xfeedfacecafebeefull;

	for (unsigned f = 0; f < 2; f++) {
		int fd = mklru(_i, 50, flags[f]);
		unsigned char out[sizeof(val)];

		for (int step = 0; step < 20000; step++) {
			uint32_t k;

			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			k = (uint32_t)(r >> 8) % 120;
			switch (r % 5) {
			case 0:
			case 1:
				(void)update(fd, &k, val, (r >> 4) % 3);
				break;
			case 2:
				(void)delete(fd, &k);
				break;
			case 3:
				(void)lookup_del(fd, &k, out, 0);
				break;
			default:
				(void)lookup(fd, &k, out, 0);
				break;
			}
			if (step % 1000 == 0)
				OK(bpfemu_map_check(fd));
		}
		OK(bpfemu_map_check(fd));
		ck_assert_int_le(count_keys(fd, 4), 50);
		close(fd);
	}
}
END_TEST

/*
 * A caller on a CPU the map has no lists for (CPUs hotplugged since, a map laid out by a process
 * that saw fewer): BPFEMU_NR_CPUS=1, the thread on CPU 1 and then 0. Every insert works, nothing
 * indexes past the one CPU's records (ASan builds check), and the lists stay sound. Needs the
 * fork Check runs each test in (the CPU count is fixed at the first call) and a second CPU.
 */
START_TEST(cpu_past_map_cpus)
{
	static const uint32_t flags[] = { 0, EMU_F_NO_COMMON_LRU };
	cpu_set_t one;
	int second = 1; /* unit_init pinned the process to CPU 0 */

	CPU_ZERO(&one);
	CPU_SET(second, &one);
	setenv("BPFEMU_NR_CPUS", "1", 1);
	if (sched_setaffinity(0, sizeof(one), &one) || bpfemu_num_possible_cpus() != 1)
		return;
	for (unsigned f = 0; f < 2; f++) {
		int fd = mklru(_i, 16, flags[f]);

		for (int pass = 0; pass < 2; pass++) {
			CPU_ZERO(&one);
			CPU_SET(pass ? 0 : second, &one);
			ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
			for (uint32_t k = 0; k < 40; k++) {
				put(fd, k + 100 * (uint32_t)pass);
				if (k % 8 == 0)
					ck_assert_int_eq(bpfemu_map_check(fd), 0);
			}
		}
		ck_assert_int_le(count_keys(fd, 4), 16);
		ck_assert_int_eq(bpfemu_map_check(fd), 0);
		close(fd);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lru");
	TCase *tc = tcase_create("lru");
	TCase *emu = emu_tcase(s);

	unit_init("2");
	unit_kernel_needs_cpus(2);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, runs_with_two_cpus);
	tcase_add_loop_test(tc, first_eviction_batch, 0, 2);
	tcase_add_loop_test(tc, evicts_before_full, 0, 2);
	tcase_add_loop_test(tc, thousand, 0, 2);
	tcase_add_loop_test(tc, batch_ceiling_128, 0, 2);
	tcase_add_loop_test(tc, replaced_key_survives, 0, 2);
	tcase_add_loop_test(tc, deleted_nodes_then_eviction, 0, 2);
	tcase_add_loop_test(tc, syscall_lookup_does_not_protect, 0, 2);
	tcase_add_loop_test(tc, failing_updates_evict, 0, 2);
	tcase_add_loop_test(tc, lru_update_order, 0, 2);
	tcase_add_loop_test(tc, no_common_lru_rounds_and_splits, 0, 2);
	tcase_add_loop_test(tc, no_common_lru_single_thread_capacity, 0, 2);
	suite_add_tcase(s, tc);
	opt_add_loop_test(emu, churn_stays_consistent, 0, 2);
	opt_add_loop_test(emu, cpu_past_map_cpus, 0, 2);
	return unit_run(s);
}
