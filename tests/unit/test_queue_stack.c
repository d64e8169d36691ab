/* SPDX-License-Identifier: MIT */
/* QUEUE and STACK (kernel-semantics.md §8). _i = 0 is the queue, 1 the stack. */
#include "unit.h"

static uint32_t qtype(int i) { return i ? EMU_MAP_STACK : EMU_MAP_QUEUE; }

static void push(int fd, uint32_t v, uint64_t flags) { OK(update(fd, NULL, &v, flags)); }

static uint32_t pop(int fd)
{
	uint32_t v = 0xdeadbeef;

	OK(lookup_del(fd, NULL, &v, 0));
	return v;
}

static uint32_t peek(int fd)
{
	uint32_t v = 0xdeadbeef;

	OK(lookup(fd, NULL, &v, 0));
	return v;
}

START_TEST(fifo_and_lifo)
{
	int fd = mkmap(qtype(_i), 0, 4, 8, 0);

	for (uint32_t v = 1; v <= 5; v++)
		push(fd, v, 0);
	ck_assert_uint_eq(peek(fd), _i ? 5 : 1);
	ck_assert_uint_eq(peek(fd), _i ? 5 : 1); /* peek does not take */
	for (uint32_t n = 1; n <= 5; n++)
		ck_assert_uint_eq(pop(fd), _i ? 6 - n : n);
	close(fd);
}
END_TEST

START_TEST(empty_leaves_buffer_untouched)
{
	int fd = mkmap(qtype(_i), 0, 4, 2, 0);
	uint32_t v = 0x12345678;

	ERR(lookup(fd, NULL, &v, 0), ENOENT);
	ERR(lookup_del(fd, NULL, &v, 0), ENOENT);
	ck_assert_uint_eq(v, 0x12345678);
	ERR(lookup(fd, NULL, NULL, 0), ENOENT);
	ERR(lookup_del(fd, NULL, NULL, 0), ENOENT);
	push(fd, 1, 0);
	pop(fd);
	ERR(lookup_del(fd, NULL, &v, 0), ENOENT);
	close(fd);
}
END_TEST

START_TEST(full_and_overwrite_example)
{
	/* Appendix A: capacity 3, push 1,2,3, push 4 (E2BIG), push 5 with BPF_EXIST */
	int fd = mkmap(qtype(_i), 0, 4, 3, 0);
	uint32_t v = 4;

	push(fd, 1, 0);
	push(fd, 2, 0);
	push(fd, 3, 0);
	ERR(update(fd, NULL, &v, 0), E2BIG);
	push(fd, 5, EMU_EXIST);
	if (_i) {
		ck_assert_uint_eq(pop(fd), 5);
		ck_assert_uint_eq(pop(fd), 3);
		ck_assert_uint_eq(pop(fd), 2);
	} else {
		ck_assert_uint_eq(pop(fd), 2);
		ck_assert_uint_eq(pop(fd), 3);
		ck_assert_uint_eq(pop(fd), 5);
	}
	ERR(lookup_del(fd, NULL, &v, 0), ENOENT);
	close(fd);
}
END_TEST

START_TEST(overwrite_example_from_section_8)
{
	/* §8: capacity 3, push 1,2,3, push 4 with EXIST → queue 2,3,4; stack 4,3,2 */
	int fd = mkmap(qtype(_i), 0, 4, 3, 0);

	push(fd, 1, 0);
	push(fd, 2, 0);
	push(fd, 3, 0);
	push(fd, 4, EMU_EXIST);
	ck_assert_uint_eq(pop(fd), _i ? 4 : 2);
	ck_assert_uint_eq(pop(fd), 3);
	ck_assert_uint_eq(pop(fd), _i ? 2 : 4);
	close(fd);
}
END_TEST

START_TEST(flag_rules)
{
	int fd = mkmap(qtype(_i), 0, 4, 2, 0);
	uint32_t v = 1;

	ERR(update(fd, NULL, &v, EMU_NOEXIST), EINVAL);
	ERR(update(fd, NULL, &v, 3), EINVAL);
	ERR(update(fd, NULL, &v, EMU_F_LOCK), EINVAL);
	ERR(update(fd, NULL, &v, 8), EINVAL);
	ERR(update(fd, NULL, &v, 1ull << 32), EINVAL);
	push(fd, 1, EMU_EXIST); /* not full: EXIST just pushes */
	push(fd, 2, EMU_ANY);
	ERR(lookup_del(fd, NULL, &v, EMU_F_LOCK), EINVAL);
	ERR(lookup_del(fd, NULL, &v, EMU_NOEXIST), EINVAL);
	ERR(lookup(fd, NULL, &v, EMU_F_LOCK), EINVAL);
	ERR(lookup(fd, NULL, &v, EMU_EXIST), EINVAL);
	/* nothing was taken */
	ck_assert_uint_eq(pop(fd), _i ? 2 : 1);
	close(fd);
}
END_TEST

START_TEST(keys_delete_and_next_key)
{
	int fd = mkmap(qtype(_i), 0, 4, 2, 0);
	uint32_t k = 0, v = 1;

	push(fd, 7, 0);
	ERR(lookup(fd, &k, &v, 0), EINVAL);
	ERR(update(fd, &k, &v, 0), EINVAL);
	ERR(lookup_del(fd, &k, &v, 0), EINVAL);
	ERR(delete(fd, NULL), EINVAL);
	ERR(delete(fd, &k), EINVAL);
	ERR(next_key(fd, NULL, &v), EINVAL);
	ERR(next_key(fd, &k, &v), EINVAL);
	ck_assert_uint_eq(pop(fd), 7);
	close(fd);
}
END_TEST

START_TEST(pop_into_null_loses_the_element)
{
	int fd = mkmap(qtype(_i), 0, 4, 4, 0);

	push(fd, 1, 0);
	push(fd, 2, 0);
	ERR(lookup_del(fd, NULL, NULL, 0), EFAULT);
	ck_assert_uint_eq(pop(fd), _i ? 1 : 2);
	ERR(lookup_del(fd, NULL, NULL, 0), ENOENT);
	close(fd);
}
END_TEST

START_TEST(odd_value_size)
{
	int fd = mkmap(qtype(_i), 0, 7, 3, 0);
	unsigned char a[7] = { 1, 2, 3, 4, 5, 6, 7 }, b[7] = { 9, 9, 9, 9, 9, 9, 9 }, out[16];

	OK(update(fd, NULL, a, 0));
	OK(update(fd, NULL, b, 0));
	memset(out, 0xee, sizeof(out));
	OK(lookup_del(fd, NULL, out, 0));
	ck_assert_mem_eq(out, _i ? b : a, 7);
	ck_assert_uint_eq(out[7], 0xee);
	OK(lookup_del(fd, NULL, out, 0));
	ck_assert_mem_eq(out, _i ? a : b, 7);
	close(fd);
}
END_TEST

/* A deque as the model: queue pops the oldest, stack the newest; overwrite drops the oldest. */
START_TEST(model_wraparound)
{
	enum { CAP = 5 };
	int fd = mkmap(qtype(_i), 0, 4, CAP, 0);
	uint32_t model[4096];
	int head = 0, n = 0; /* model[head..head+n) oldest first */
	uint64_t r = 0x2545f4914f6cdd1dull + (uint64_t)_i;
	uint32_t next = 1;

	for (int step = 0; step < 5000; step++) {
		uint64_t op;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		op = r % 7;
		if (op < 3) {
			uint64_t fl = op == 2 ? EMU_EXIST : EMU_ANY;
			uint32_t v = next++;

			if (n == CAP && fl == EMU_ANY) {
				ERR(update(fd, NULL, &v, fl), E2BIG);
				continue;
			}
			OK(update(fd, NULL, &v, fl));
			if (n == CAP) {
				head++;
				n--;
			}
			ck_assert_int_lt(head + n, 4096);
			if (head + n >= 4000) { /* compact */
				memmove(model, model + head, (size_t)n * 4);
				head = 0;
			}
			model[head + n++] = v;
		} else if (op < 5) {
			uint32_t v;

			if (!n) {
				ERR(lookup_del(fd, NULL, &v, 0), ENOENT);
				continue;
			}
			OK(lookup_del(fd, NULL, &v, 0));
			if (_i) {
				ck_assert_uint_eq(v, model[head + n - 1]);
			} else {
				ck_assert_uint_eq(v, model[head]);
				head++;
			}
			n--;
		} else {
			uint32_t v;

			if (!n) {
				ERR(lookup(fd, NULL, &v, 0), ENOENT);
				continue;
			}
			OK(lookup(fd, NULL, &v, 0));
			ck_assert_uint_eq(v, _i ? model[head + n - 1] : model[head]);
		}
		if (head + n >= 4000 || head > 2000) {
			memmove(model, model + head, (size_t)n * 4);
			head = 0;
		}
	}
	if (!unit_kernel())
		OK(bpfemu_map_check(fd));
	close(fd);
}
END_TEST

START_TEST(frozen_refuses_push_and_pop)
{
	int fd = mkmap(qtype(_i), 0, 4, 4, 0);
	uint32_t v = 1;

	push(fd, 1, 0);
	push(fd, 2, 0);
	OK(freeze(fd));
	ERR(update(fd, NULL, &v, 0), EPERM);
	ERR(update(fd, NULL, &v, EMU_NOEXIST), EPERM); /* permission before flags */
	ERR(lookup_del(fd, NULL, &v, 0), EPERM);
	ck_assert_uint_eq(peek(fd), _i ? 2 : 1);
	ERR(freeze(fd), EPERM);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("queue_stack");
	TCase *tc = tcase_create("queue_stack");

	unit_init("2");
	tcase_add_loop_test(tc, fifo_and_lifo, 0, 2);
	tcase_add_loop_test(tc, empty_leaves_buffer_untouched, 0, 2);
	tcase_add_loop_test(tc, full_and_overwrite_example, 0, 2);
	tcase_add_loop_test(tc, overwrite_example_from_section_8, 0, 2);
	tcase_add_loop_test(tc, flag_rules, 0, 2);
	tcase_add_loop_test(tc, keys_delete_and_next_key, 0, 2);
	tcase_add_loop_test(tc, pop_into_null_loses_the_element, 0, 2);
	tcase_add_loop_test(tc, odd_value_size, 0, 2);
	tcase_add_loop_test(tc, model_wraparound, 0, 2);
	tcase_add_loop_test(tc, frozen_refuses_push_and_pop, 0, 2);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
