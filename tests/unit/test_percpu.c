/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU maps (kernel-semantics.md §7): one slot of round_up(value_size, 8) bytes per possible
 * CPU, padding stored and returned as written, and the test API that reads one CPU's slot.
 * This program runs with BPFEMU_NR_CPUS=3, a count no test machine is likely to have by
 * itself, and re-executes itself to try other settings.
 */
#include "unit.h"

static const uint32_t ptypes[] = { EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_PERCPU_HASH, EMU_MAP_PERCPU_ARRAY };

static size_t slot(uint32_t vs) { return (vs + 7u) & ~7u; }

static void fill_pattern(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 13 + seed * 7 + 1);
}

START_TEST(padding_round_trips)
{
	static const uint32_t sizes[] = { 1, 4, 7, 8, 12, 13, 100, 32768 };
	uint32_t t = ptypes[_i];
	int n = unit_ncpus();

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t vs = sizes[s];
		size_t vb = slot(vs) * (size_t)n;
		unsigned char *v = malloc(vb + 8), *out = malloc(vb + 8);
		int fd = mkmap(t, 4, vs, 4, 0);
		uint32_t k = 1;

		fill_pattern(v, vb, s);
		OK(update(fd, &k, v, 0));
		memset(out, 0xee, vb + 8);
		OK(lookup(fd, &k, out, 0));
		/* all of it, padding included, and not a byte more */
		ck_assert_msg(!memcmp(out, v, vb), "type %u value_size %u", t, vs);
		for (size_t i = vb; i < vb + 8; i++)
			ck_assert_uint_eq(out[i], 0xee);
		/* an update replaces every CPU's copy */
		fill_pattern(v, vb, s + 100);
		OK(update(fd, &k, v, EMU_EXIST));
		OK(lookup(fd, &k, out, 0));
		ck_assert(!memcmp(out, v, vb));
		free(v);
		free(out);
		close(fd);
	}
}
END_TEST

START_TEST(example_value_size_12)
{
	/* Appendix A: value_size 12 on 2 CPUs is a 32-byte buffer, all of it kept */
	int n = unit_ncpus();
	int fd = mkmap(EMU_MAP_PERCPU_HASH, 4, 12, 2, 0);
	unsigned char v[16 * 64], out[16 * 64];
	uint32_t k = 0;

	memset(v, 0, sizeof(v));
	for (int c = 0; c < n; c++) {
		memset(v + 16 * c, 0x10 + c, 12);
		memset(v + 16 * c + 12, 0xa0 + c, 4); /* padding */
	}
	OK(update(fd, &k, v, 0));
	memset(out, 0, sizeof(out));
	OK(lookup(fd, &k, out, 0));
	ck_assert_mem_eq(out, v, (size_t)16 * n);
	close(fd);
}
END_TEST

START_TEST(array_slots_start_zeroed)
{
	int n = unit_ncpus();
	int fd = mkmap(EMU_MAP_PERCPU_ARRAY, 4, 5, 3, 0);
	unsigned char out[8 * 64], zero[8 * 64] = { 0 };

	for (uint32_t i = 0; i < 3; i++) {
		memset(out, 0xff, sizeof(out));
		OK(lookup(fd, &i, out, 0));
		ck_assert_mem_eq(out, zero, (size_t)8 * n);
	}
	close(fd);
}
END_TEST

START_TEST(buffer_is_exactly_v_bytes)
{
	uint32_t t = ptypes[_i];
	int n = unit_ncpus();
	size_t vb = 16 * (size_t)n;
	int fd = mkmap(t, 4, 12, 4, 0);
	unsigned char *end = guarded_end();
	uint32_t k = 2;

	fill_pattern(end - vb, vb, 3);
	OK(update(fd, &k, end - vb, 0));
	ERR(update(fd, &k, end - vb + 1, 0), EFAULT);
	memset(end - vb, 0, vb);
	OK(lookup(fd, &k, end - vb, 0));
	ERR(lookup(fd, &k, end - vb + 1, 0), EFAULT);
	/* one value_size is not enough when there is more than one CPU */
	if (n > 1)
		ERR(update(fd, &k, end - 12, 0), EFAULT);
	guarded_free(end);
	close(fd);
}
END_TEST

/* ---- the emulator's test API ---- */

static struct bpfemu_elem_opts opts_for(int cpu)
{
	struct bpfemu_elem_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.cpu = cpu;
	return o;
}

START_TEST(emulator_cpu_count)
{
	ck_assert_int_eq(bpfemu_num_possible_cpus(), 3);
}
END_TEST

START_TEST(lookup_percpu_reads_one_slot)
{
	uint32_t t = ptypes[_i];
	int n = bpfemu_num_possible_cpus();
	int fd = mkmap(t, 4, 12, 4, 0);
	unsigned char v[16 * 64], out[64];
	uint32_t k = 3;
	struct bpfemu_elem_opts o;

	fill_pattern(v, 16 * (size_t)n, 9);
	OK(update(fd, &k, v, 0));
	for (int c = 0; c < n; c++) {
		o = opts_for(c);
		memset(out, 0xee, sizeof(out));
		OK(bpfemu_map_lookup_percpu(fd, &k, out, &o));
		ck_assert_mem_eq(out, v + 16 * c, 12);
		ck_assert_uint_eq(out[12], 0xee); /* value_size bytes, no padding */
	}
	o = opts_for(n);
	ERR(bpfemu_map_lookup_percpu(fd, &k, out, &o), ERANGE);
	o = opts_for(-1);
	ERR(bpfemu_map_lookup_percpu(fd, &k, out, &o), ERANGE);
	o = opts_for(0);
	{
		uint32_t miss = t == EMU_MAP_PERCPU_ARRAY ? 4 : 99;

		ERR(bpfemu_map_lookup_percpu(fd, &miss, out, &o), ENOENT);
	}
	ERR(bpfemu_map_lookup_percpu(fd, &k, out, NULL), EINVAL);
	o.sz = 4;
	ERR(bpfemu_map_lookup_percpu(fd, &k, out, &o), EINVAL);
	o = opts_for(0);
	ERR(bpfemu_map_lookup_percpu(fd, NULL, out, &o), EFAULT);
	ERR(bpfemu_map_lookup_percpu(fd, &k, NULL, &o), EFAULT);
	close(fd);
	ERR(bpfemu_map_lookup_percpu(fd, &k, out, &o), EBADF);
}
END_TEST

START_TEST(lookup_percpu_refuses_other_maps)
{
	static const uint32_t others[] = { EMU_MAP_HASH, EMU_MAP_LRU_HASH, EMU_MAP_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
	struct bpfemu_elem_opts o = opts_for(0);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	unsigned char v[64] = { 0 }, out[64];
	uint32_t k = 0;

	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		bool keyless = others[i] == EMU_MAP_QUEUE || others[i] == EMU_MAP_STACK;
		int fd = mkmap(others[i], keyless ? 0 : 4, 8, 4, 0);

		OK(update(fd, keyless ? NULL : &k, v, 0));
		ERR(bpfemu_map_lookup_percpu(fd, keyless ? NULL : &k, out, &o), EINVAL);
		close(fd);
	}
	ERR(bpfemu_map_lookup_percpu(devnull, &k, out, &o), EINVAL);
	close(devnull);
}
END_TEST

START_TEST(lookup_percpu_large_key_and_value)
{
	int fd = mkmap(EMU_MAP_PERCPU_HASH, 600, 32768, 2, 0);
	int n = bpfemu_num_possible_cpus();
	unsigned char key[600], *v = malloc(32768 * (size_t)n), *out = malloc(32768);
	struct bpfemu_elem_opts o = opts_for(n - 1);

	memset(key, 0x61, sizeof(key));
	fill_pattern(v, 32768 * (size_t)n, 5);
	OK(update(fd, key, v, 0));
	OK(bpfemu_map_lookup_percpu(fd, key, out, &o));
	ck_assert(!memcmp(out, v + 32768 * (size_t)(n - 1), 32768));
	free(v);
	free(out);
	close(fd);
}
END_TEST

/* ---- other CPU counts, in a fresh process each ---- */

static int child_main(const char *mode)
{
	if (!strcmp(mode, "ncpus")) {
		printf("%d\n", bpfemu_num_possible_cpus());
		return 0;
	}
	if (!strcmp(mode, "layout")) {
		/* round trip of a per-CPU hash and array with this process's count */
		int n = bpfemu_num_possible_cpus();
		size_t vb = 16 * (size_t)n;
		unsigned char *v = malloc(vb), *out = malloc(vb + 1);
		uint32_t k = 0;

		for (unsigned t = 0; t < 3; t++) {
			int fd = create(ptypes[t], 4, 9, 2, 0);

			if (fd < 0)
				return 10;
			fill_pattern(v, vb, t);
			memset(out, 0xee, vb + 1);
			if (update(fd, &k, v, 0))
				return 11;
			if (lookup(fd, &k, out, 0))
				return 12;
			if (memcmp(out, v, vb) || out[vb] != 0xee)
				return 13;
			close(fd);
		}
		free(v);
		free(out);
		return 0;
	}
	return 2;
}

/* Runs this program as `mode` with BPFEMU_NR_CPUS=env (unset if NULL); returns its stdout. */
static int run_child(const char *mode, const char *env, char *out, size_t cap, char *err, size_t ecap)
{
	int po[2], pe[2];
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		char *argv[] = { "test_percpu", "--child", (char *)mode, NULL };

		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (env)
			setenv("BPFEMU_NR_CPUS", env, 1);
		else
			unsetenv("BPFEMU_NR_CPUS");
		unit_exec_self(argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	n = read(po[0], out, cap - 1);
	out[n > 0 ? n : 0] = 0;
	n = read(pe[0], err, ecap - 1);
	err[n > 0 ? n : 0] = 0;
	close(po[0]);
	close(pe[0]);
	return wait_child(pid);
}

START_TEST(nr_cpus_setting)
{
	static const struct {
		const char *env;
		int want; /* 0: the possible CPUs, with a complaint */
	} c[] = { { "1", 1 }, { "2", 2 }, { "5", 5 }, { "64", 64 }, { "4096", 4096 },
		  { "0", 0 }, { "4097", 0 }, { "abc", 0 }, { "3x", 0 }, { "-1", 0 } };
	int possible = sysfs_possible_cpus();
	char out[64], err[1024];

	ck_assert_int_gt(possible, 0);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int want = c[i].want ? c[i].want : possible;

		ck_assert_int_eq(run_child("ncpus", c[i].env, out, sizeof(out), err, sizeof(err)), 0);
		ck_assert_msg(atoi(out) == want, "BPFEMU_NR_CPUS=%s: %s, want %d", c[i].env, out, want);
		/* one line saying why a setting was ignored, nothing otherwise */
		ck_assert_msg(count_lines(err) == (c[i].want ? 0 : 1), "BPFEMU_NR_CPUS=%s: stderr [%s]", c[i].env,
			      err);
	}
	/* unset and empty: the possible CPUs, silently */
	ck_assert_int_eq(run_child("ncpus", NULL, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_int_eq(atoi(out), possible);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(run_child("ncpus", "", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_int_eq(atoi(out), possible);
}
END_TEST

START_TEST(layout_with_other_counts)
{
	static const char *const counts[] = { "1", "2", "5", "17" };
	char out[64], err[1024];

	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		ck_assert_msg(run_child("layout", counts[i], out, sizeof(out), err, sizeof(err)) == 0,
			      "BPFEMU_NR_CPUS=%s: layout check failed; stderr [%s]", counts[i], err);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc, *emu, *wild;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child_main(argv[2]);
	s = suite_create("percpu");
	tc = tcase_create("percpu");
	emu = emu_tcase(s);
	wild = wild_tcase(s);
	unit_init("3");
	tcase_add_loop_test(tc, padding_round_trips, 0, 3);
	tcase_add_test(tc, example_value_size_12);
	tcase_add_test(tc, array_slots_start_zeroed);
	suite_add_tcase(s, tc);
	opt_add_test(emu, emulator_cpu_count);
	opt_add_loop_test(emu, lookup_percpu_reads_one_slot, 0, 3);
	opt_add_test(emu, lookup_percpu_refuses_other_maps);
	opt_add_test(emu, lookup_percpu_large_key_and_value);
	opt_add_test(emu, nr_cpus_setting);
	opt_add_test(emu, layout_with_other_counts);
	opt_add_loop_test(wild, buffer_is_exactly_v_bytes, 0, 3);
	return unit_run(s);
}
