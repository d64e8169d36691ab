/* SPDX-License-Identifier: MIT */
/* The syscall's own handling of attr and size, unknown and not-emulated commands, and the
 * CHECK_ATTR rule of every emulated command (kernel-semantics.md §1). */
#include "unit.h"

/* A valid 4-byte-key, 8-byte-value hash map attr. */
static void hash_attr(struct attr *a) { mc_attr(a, EMU_MAP_HASH, 4, 8, 4, 0); }

START_TEST(size_zero_null_attr_is_all_zero)
{
	/* All-zero MAP_CREATE: type 0 is no map type. */
	ERR(ubpf(EMU_BPF_MAP_CREATE, NULL, 0), EINVAL);
}
END_TEST

START_TEST(size_over_page_is_e2big_first)
{
	struct attr a;

	hash_attr(&a);
	ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, PAGE + 1), E2BIG);
	/* checked before attr is read, and before the command is looked at */
	ERR(ubpf(EMU_BPF_MAP_CREATE, NULL, PAGE + 1), E2BIG);
	ERR(ubpf(EMU_BPF_NR_CMDS, NULL, 0xffffffffu), E2BIG);
	ERR(ubpf(-1, NULL, 1u << 20), E2BIG);
}
END_TEST

START_TEST(size_up_to_page_with_zero_tail)
{
	static const unsigned sizes[] = { 169, 176, 256, 1024, PAGE - 1, PAGE };
	struct attr a;

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd;

		hash_attr(&a);
		fd = ubpf(EMU_BPF_MAP_CREATE, a.b, sizes[i]);
		ck_assert_msg(fd >= 0, "size %u: errno %s", sizes[i], errname(errno));
		close(fd);
	}
}
END_TEST

START_TEST(nonzero_tail_past_kernel_attr_is_e2big)
{
	static const unsigned offs[] = { EMU_ATTR_SIZE, EMU_ATTR_SIZE + 1, 200, 255 };
	struct attr a;

	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		hash_attr(&a);
		a.b[offs[i]] = 1;
		ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, 256), E2BIG);
	}
	/* a byte past `size` is not read */
	hash_attr(&a);
	a.b[200] = 1;
	{
		int fd = ubpf(EMU_BPF_MAP_CREATE, a.b, 200);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	/* the tail is judged before the command: an unknown command still gets E2BIG */
	memset(&a, 0, sizeof(a));
	a.b[300] = 0xff;
	ERR(ubpf(EMU_BPF_NR_CMDS, a.b, 512), E2BIG);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, 512), E2BIG);
}
END_TEST

START_TEST(byte_167_is_check_attr_not_tail)
{
	struct attr a;

	hash_attr(&a);
	a.b[EMU_ATTR_SIZE - 1] = 1;
	ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, 256), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	/* a short size never reaches the byte */
	{
		int fd = ubpf(EMU_BPF_MAP_CREATE, a.b, 72);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
}
END_TEST

START_TEST(short_sizes_zero_fill)
{
	struct attr a;
	int fd;

	hash_attr(&a);
	ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, 4), EINVAL);  /* key_size 0 */
	ERR(ubpf(EMU_BPF_MAP_CREATE, a.b, 12), EINVAL); /* max_entries 0 */
	fd = ubpf(EMU_BPF_MAP_CREATE, a.b, 16);         /* enough for a basic HASH */
	ck_assert_int_ge(fd, 0);
	/* libbpf's size for MAP_CREATE */
	{
		int fd2 = ubpf(EMU_BPF_MAP_CREATE, a.b, 72);

		ck_assert_int_ge(fd2, 0);
		close(fd2);
	}
	/* an element command that stops before `flags` */
	{
		uint32_t k = 1;
		uint64_t v = 7, out = 0;
		struct attr e;

		OK(update(fd, &k, &v, 0));
		memset(&e, 0, sizeof(e));
		put32(e.b, EL_FD, (uint32_t)fd);
		putp(e.b, EL_KEY, &k);
		putp(e.b, EL_VALUE, &out);
		put64(e.b, EL_FLAGS, EMU_NOEXIST); /* not passed: size 24 */
		OK(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, e.b, 24));
		ck_assert_uint_eq(out, 7);
		ERR(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, e.b, 32), EINVAL);
		/* size 8: key NULL */
		ERR(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, e.b, 8), EFAULT);
	}
	close(fd);
}
END_TEST

START_TEST(null_attr_with_size_is_efault)
{
	ERR(ubpf(EMU_BPF_MAP_CREATE, NULL, 8), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_CREATE, NULL, EMU_ATTR_SIZE), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_CREATE, NULL, 200), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, (void *)(uintptr_t)16, 32), EFAULT);
	ERR(ubpf(EMU_BPF_NR_CMDS, NULL, 4), EFAULT);
}
END_TEST

START_TEST(unknown_commands_einval)
{
	static const int cmds[] = { -1, -1000, EMU_BPF_NR_CMDS, 39, 100, 1 << 20, 0x7fffffff, (int)0x80000000 };
	struct attr a;

	memset(&a, 0, sizeof(a));
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ERR(ubpf(cmds[i], a.b, EMU_ATTR_SIZE), EINVAL);
		ERR(ubpf(cmds[i], NULL, 0), EINVAL);
	}
}
END_TEST

/* CHECK_ATTR: every byte from a command's end to 167 must be zero. `fd` is a live map of the
 * right kind; the attr is otherwise valid enough that a zero tail would not give EINVAL. */
static void check_tail(int cmd, int fd, unsigned end)
{
	uint32_t k = 0;
	uint64_t v[8] = { 0 };
	unsigned char info[MI_SIZE] = { 0 };

	for (unsigned off = end; off < EMU_ATTR_SIZE; off++) {
		struct attr a;

		memset(&a, 0, sizeof(a));
		put32(a.b, 0, (uint32_t)fd);
		if (cmd == EMU_BPF_OBJ_GET_INFO_BY_FD) {
			put32(a.b, INFO_LEN, sizeof(info));
			putp(a.b, INFO_PTR, info);
		} else if (cmd != EMU_BPF_MAP_FREEZE) {
			putp(a.b, EL_KEY, &k);
			if (end > EL_VALUE)
				putp(a.b, EL_VALUE, v);
		}
		a.b[off] = 0x80;
		errno = 0;
		ck_assert_msg(ubpf(cmd, a.b, EMU_ATTR_SIZE) == -1 && errno == EINVAL,
			      "cmd %d: nonzero byte %u: errno %s, want EINVAL", cmd, off, errname(errno));
	}
}

START_TEST(check_attr_every_element_command)
{
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 4, 0);
	uint32_t k = 0;
	uint64_t v = 1;

	OK(update(fd, &k, &v, 0));
	check_tail(EMU_BPF_MAP_LOOKUP_ELEM, fd, EL_END);
	check_tail(EMU_BPF_MAP_UPDATE_ELEM, fd, EL_END);
	check_tail(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, EL_END);
	check_tail(EMU_BPF_MAP_DELETE_ELEM, fd, EL_VALUE); /* `value` and `flags` are not DELETE's */
	check_tail(EMU_BPF_MAP_GET_NEXT_KEY, fd, EL_FLAGS);
	check_tail(EMU_BPF_OBJ_GET_INFO_BY_FD, fd, INFO_END);
	check_tail(EMU_BPF_MAP_FREEZE, fd, 4);
	/* nothing above changed the map */
	v = 0;
	OK(lookup(fd, &k, &v, 0));
	ck_assert_uint_eq(v, 1);
	close(fd);
}
END_TEST

START_TEST(check_attr_map_create)
{
	for (unsigned off = MC_END; off < EMU_ATTR_SIZE; off++) {
		struct attr a;

		hash_attr(&a);
		a.b[off] = 1;
		errno = 0;
		ck_assert_msg(map_create_attr(&a) == -1 && errno == EINVAL, "byte %u: %s", off, errname(errno));
	}
}
END_TEST

START_TEST(check_attr_precedes_fd_lookup)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, EL_FD, 999);
	a.b[100] = 1;
	ERR(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_UPDATE_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_DELETE_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_GET_NEXT_KEY, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_MAP_FREEZE, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE), EINVAL);
	/* and with a zero tail the bad fd shows */
	a.b[100] = 0;
	ERR(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, a.b, EMU_ATTR_SIZE), EBADF);
	ERR(ubpf(EMU_BPF_MAP_FREEZE, a.b, EMU_ATTR_SIZE), EBADF);
}
END_TEST

START_TEST(padding_inside_used_part_not_checked)
{
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 4, 0);
	uint32_t k = 3;
	uint64_t v = 9, out = 0;
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, EL_FD, (uint32_t)fd);
	memset(a.b + 4, 0xff, 4); /* the pad between map_fd and key */
	putp(a.b, EL_KEY, &k);
	putp(a.b, EL_VALUE, &v);
	OK(ubpf(EMU_BPF_MAP_UPDATE_ELEM, a.b, EMU_ATTR_SIZE));
	putp(a.b, EL_VALUE, &out);
	OK(ubpf(EMU_BPF_MAP_LOOKUP_ELEM, a.b, EMU_ATTR_SIZE));
	ck_assert_uint_eq(out, 9);
	/* FREEZE: only map_fd is used, so byte 4 is already tail */
	memset(&a, 0, sizeof(a));
	put32(a.b, 0, (uint32_t)fd);
	a.b[4] = 1;
	ERR(ubpf(EMU_BPF_MAP_FREEZE, a.b, EMU_ATTR_SIZE), EINVAL);
	close(fd);
}
END_TEST

START_TEST(attr_read_from_guarded_memory)
{
	unsigned char *end = guarded_end();
	unsigned char *a = end - 32;
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 4, 0);
	uint32_t k = 5;
	uint64_t v = 0;

	/* exactly `size` bytes are read: 32 bytes before the fault is fine */
	memset(a, 0, 32);
	put32(a, EL_FD, (uint32_t)fd);
	putp(a, EL_KEY, &k);
	putp(a, EL_VALUE, &v);
	OK(ubpf(EMU_BPF_MAP_UPDATE_ELEM, a, 32));
	ERR(ubpf(EMU_BPF_MAP_UPDATE_ELEM, a, 33), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_UPDATE_ELEM, a, EMU_ATTR_SIZE), EFAULT);
	/* a tail past 168 that cannot be read */
	ERR(ubpf(EMU_BPF_MAP_CREATE, end - EMU_ATTR_SIZE, 256), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_CREATE, end, 4), EFAULT);
	ERR(ubpf(EMU_BPF_MAP_CREATE, unmapped_addr(), EMU_ATTR_SIZE), EFAULT);
	guarded_free(end);
	close(fd);
}
END_TEST

START_TEST(not_emulated_command_eopnotsupp_one_line)
{
	struct capture c;
	char out[4096];
	struct attr a;

	memset(&a, 0, sizeof(a));
	capture_start(&c);
	ERR(ubpf(EMU_BPF_PROG_QUERY, a.b, EMU_ATTR_SIZE), EOPNOTSUPP);
	ERR(ubpf(EMU_BPF_PROG_QUERY, a.b, EMU_ATTR_SIZE), EOPNOTSUPP);
	ERR(ubpf(EMU_BPF_TASK_FD_QUERY, a.b, EMU_ATTR_SIZE), EOPNOTSUPP);
	/* unknown commands are the kernel's EINVAL and say nothing */
	ERR(ubpf(EMU_BPF_NR_CMDS, a.b, EMU_ATTR_SIZE), EINVAL);
	capture_end(&c, out, sizeof(out));
	ck_assert_msg(count_lines(out) == 2, "stderr: [%s]", out);
	ck_assert_msg(strstr(out, "BPF_PROG_QUERY") && strstr(out, "BPF_TASK_FD_QUERY"), "stderr: [%s]", out);
	ck_assert_msg(strstr(out, "bpfemu") != NULL, "stderr: [%s]", out);
}
END_TEST

START_TEST(not_emulated_map_type_eopnotsupp_one_line)
{
	struct capture c;
	char out[4096];
	struct attr a;

	capture_start(&c);
	ERR(create(EMU_MAP_SOCKMAP, 4, 4, 4, 0), EOPNOTSUPP);
	ERR(create(EMU_MAP_SOCKMAP, 4, 4, 4, 0), EOPNOTSUPP);
	/* the generic checks still come first and stay silent */
	mc_attr(&a, EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0);
	put64(a.b, MC_EXTRA, 1);
	ERR(map_create_attr(&a), EINVAL);
	mc_attr(&a, EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, EMU_F_RDONLY | EMU_F_WRONLY);
	ERR(map_create_attr(&a), EINVAL);
	/* map types past the kernel's last are EINVAL */
	ERR(create(EMU_NR_MAP_TYPES, 4, 4, 4, 0), EINVAL);
	ERR(create(0, 4, 4, 4, 0), EINVAL);
	capture_end(&c, out, sizeof(out));
	ck_assert_msg(count_lines(out) == 1, "stderr: [%s]", out);
	ck_assert_msg(strstr(out, "sockmap") != NULL, "stderr: [%s]", out);
}
END_TEST

START_TEST(unknown_map_types)
{
	ERR(create(0, 4, 4, 4, 0), EINVAL);
	ERR(create(EMU_NR_MAP_TYPES, 4, 4, 4, 0), EINVAL);
	ERR(create(200, 4, 4, 4, 0), EINVAL);
	ERR(create(0xffffffffu, 4, 4, 4, 0), EINVAL);
}
END_TEST

START_TEST(version_string)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d.%d.%d", BPFEMU_VERSION_MAJOR, BPFEMU_VERSION_MINOR, BPFEMU_VERSION_PATCH);
	ck_assert_str_eq(bpfemu_version(), buf);
	ck_assert_str_eq(bpfemu_version(), BPFEMU_VERSION_STRING);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syscall");
	TCase *tc = tcase_create("attr");
	TCase *emu = emu_tcase(s);
	TCase *wild = wild_tcase(s);

	unit_init("2");
	tcase_add_test(tc, size_zero_null_attr_is_all_zero);
	tcase_add_test(tc, size_over_page_is_e2big_first);
	tcase_add_test(tc, size_up_to_page_with_zero_tail);
	tcase_add_test(tc, nonzero_tail_past_kernel_attr_is_e2big);
	tcase_add_test(tc, byte_167_is_check_attr_not_tail);
	tcase_add_test(tc, short_sizes_zero_fill);
	tcase_add_test(tc, null_attr_with_size_is_efault);
	tcase_add_test(tc, unknown_commands_einval);
	tcase_add_test(tc, check_attr_every_element_command);
	tcase_add_test(tc, check_attr_map_create);
	tcase_add_test(tc, check_attr_precedes_fd_lookup);
	tcase_add_test(tc, padding_inside_used_part_not_checked);
	tcase_add_test(tc, unknown_map_types);
	suite_add_tcase(s, tc);
	opt_add_test(emu, not_emulated_command_eopnotsupp_one_line);
	opt_add_test(emu, not_emulated_map_type_eopnotsupp_one_line);
	opt_add_test(emu, version_string);
	opt_add_test(wild, attr_read_from_guarded_memory);
	return unit_run(s);
}
