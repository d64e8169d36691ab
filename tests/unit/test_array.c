/* SPDX-License-Identifier: MIT */
/* ARRAY and PERCPU_ARRAY (kernel-semantics.md §10). */
#include "unit.h"

static const uint32_t atypes[] = { EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY };

static size_t vbytes(uint32_t t, uint32_t vs)
{
	return t == EMU_MAP_PERCPU_ARRAY ? ((vs + 7u) & ~7u) * (size_t)unit_ncpus() : vs;
}

START_TEST(every_index_exists_zeroed)
{
	uint32_t t = atypes[_i];
	size_t vb = vbytes(t, 12);
	int fd = mkmap(t, 4, 12, 5, 0);
	unsigned char out[1024], zero[1024] = { 0 };

	for (uint32_t i = 0; i < 5; i++) {
		memset(out, 0xff, sizeof(out));
		OK(lookup(fd, &i, out, 0));
		ck_assert_mem_eq(out, zero, vb);
		ck_assert_uint_eq(out[vb], 0xff); /* exactly V bytes */
	}
	{
		uint32_t i = 5;

		ERR(lookup(fd, &i, out, 0), ENOENT);
		i = 0xffffffffu;
		ERR(lookup(fd, &i, out, 0), ENOENT);
		/* a miss leaves the value alone */
		ERR(lookup(fd, &i, NULL, 0), ENOENT);
	}
	close(fd);
}
END_TEST

START_TEST(update_rules)
{
	uint32_t t = atypes[_i];
	size_t vb = vbytes(t, 8);
	int fd = mkmap(t, 4, 8, 4, 0);
	unsigned char v[1024], out[1024];
	uint32_t i = 2, far = 9;

	memset(v, 0x5c, vb);
	OK(update(fd, &i, v, EMU_ANY));
	OK(update(fd, &i, v, EMU_EXIST));
	ERR(update(fd, &i, v, EMU_NOEXIST), EEXIST);
	OK(lookup(fd, &i, out, 0));
	ck_assert_mem_eq(out, v, vb);
	/* the index is judged before NOEXIST, the flags before the index */
	ERR(update(fd, &far, v, EMU_ANY), E2BIG);
	ERR(update(fd, &far, v, EMU_EXIST), E2BIG);
	ERR(update(fd, &far, v, EMU_NOEXIST), E2BIG);
	ERR(update(fd, &far, v, 3), EINVAL);
	ERR(update(fd, &i, v, 3), EINVAL);
	ERR(update(fd, &i, v, 1ull << 40), EINVAL);
	/* the others are untouched */
	for (uint32_t j = 0; j < 4; j++) {
		unsigned char zero[1024] = { 0 };

		OK(lookup(fd, &j, out, 0));
		ck_assert_mem_eq(out, j == 2 ? v : zero, vb);
	}
	close(fd);
}
END_TEST

START_TEST(delete_is_einval_lookup_and_delete_enotsupp)
{
	uint32_t t = atypes[_i];
	int fd = mkmap(t, 4, 8, 4, 0);
	unsigned char out[1024];

	for (uint32_t i = 0; i < 6; i++) {
		ERR(delete(fd, &i), EINVAL);
		ERR(lookup_del(fd, &i, out, 0), EMU_ENOTSUPP);
	}
	/* the key is still read first */
	ERR(delete(fd, NULL), EFAULT);
	ERR(lookup_del(fd, NULL, out, 0), EFAULT);
	/* and the flags before that */
	{
		uint32_t i = 0;

		ERR(lookup_del(fd, &i, out, EMU_EXIST), EINVAL);
		ERR(lookup_del(fd, &i, out, EMU_F_LOCK), EINVAL);
	}
	close(fd);
}
END_TEST

START_TEST(get_next_key)
{
	uint32_t t = atypes[_i];
	int fd = mkmap(t, 4, 8, 4, 0);
	uint32_t k, nk;

	OK(next_key(fd, NULL, &nk));
	ck_assert_uint_eq(nk, 0);
	for (k = 0; k < 3; k++) {
		OK(next_key(fd, &k, &nk));
		ck_assert_uint_eq(nk, k + 1);
	}
	ERR(next_key(fd, &k, &nk), ENOENT); /* k == 3, the last */
	/* out of range restarts at 0 */
	k = 4;
	OK(next_key(fd, &k, &nk));
	ck_assert_uint_eq(nk, 0);
	k = 0xffffffffu;
	OK(next_key(fd, &k, &nk));
	ck_assert_uint_eq(nk, 0);
	ASSERT_ORDER(fd, "0 1 2 3");
	close(fd);
	/* a single entry: index 0 is also the last */
	fd = mkmap(t, 4, 8, 1, 0);
	k = 0;
	ERR(next_key(fd, &k, &nk), ENOENT);
	OK(next_key(fd, NULL, &nk));
	ck_assert_uint_eq(nk, 0);
	close(fd);
}
END_TEST

START_TEST(large_values)
{
	uint32_t t = atypes[_i];
	uint32_t vs = t == EMU_MAP_ARRAY ? (1u << 20) + 3 : 32768;
	size_t vb = vbytes(t, vs);
	unsigned char *v = malloc(vb), *out = malloc(vb);
	int fd = mkmap(t, 4, vs, 3, 0);
	uint32_t i = 2;

	for (size_t j = 0; j < vb; j++)
		v[j] = (unsigned char)(j * 31 + 7);
	OK(update(fd, &i, v, 0));
	OK(lookup(fd, &i, out, 0));
	ck_assert_mem_eq(out, v, vb);
	i = 1;
	OK(lookup(fd, &i, out, 0));
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[vb - 1], 0);
	free(v);
	free(out);
	close(fd);
}
END_TEST

START_TEST(array_values_do_not_keep_padding)
{
	/* a plain ARRAY stores value_size bytes; neighbours never bleed into each other */
	int fd = mkmap(EMU_MAP_ARRAY, 4, 3, 4, 0);
	unsigned char v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];

	for (uint32_t i = 0; i < 4; i++)
		OK(update(fd, &i, v, 0));
	memset(out, 0xee, sizeof(out));
	{
		uint32_t i = 1;

		OK(lookup(fd, &i, out, 0));
	}
	ck_assert_uint_eq(out[0], 1);
	ck_assert_uint_eq(out[2], 3);
	ck_assert_uint_eq(out[3], 0xee);
	close(fd);
}
END_TEST

START_TEST(many_updates_stay_consistent)
{
	uint32_t t = atypes[_i];
	int fd = mkmap(t, 4, 4, 100, 0);
	unsigned char v[1024] = { 0 }, out[1024];
	uint32_t last[100] = { 0 };

	for (uint32_t n = 1; n <= 5000; n++) {
		uint32_t i = (n * 2654435761u) % 100;

		memcpy(v, &n, 4);
		OK(update(fd, &i, v, EMU_ANY));
		last[i] = n;
	}
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t got;

		OK(lookup(fd, &i, out, 0));
		memcpy(&got, out, 4);
		ck_assert_uint_eq(got, last[i]);
	}
	if (!unit_kernel())
		OK(bpfemu_map_check(fd));
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("array");
	TCase *tc = tcase_create("array");

	unit_init("2");
	tcase_add_loop_test(tc, every_index_exists_zeroed, 0, 2);
	tcase_add_loop_test(tc, update_rules, 0, 2);
	tcase_add_loop_test(tc, delete_is_einval_lookup_and_delete_enotsupp, 0, 2);
	tcase_add_loop_test(tc, get_next_key, 0, 2);
	tcase_add_loop_test(tc, large_values, 0, 2);
	tcase_add_test(tc, array_values_do_not_keep_padding);
	tcase_add_loop_test(tc, many_updates_stay_consistent, 0, 2);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
