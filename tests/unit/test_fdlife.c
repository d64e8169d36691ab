/* SPDX-License-Identifier: MIT */
/*
 * A map fd at the edges (issue 17): at the fd limit with one fd free every command that makes an
 * fd still gets it, at the lowest free number (item 8); a number closed and reused behind the
 * library's back is not taken for the old map where the cache checks it (item 5); creates larger
 * than memory are ENOMEM and large ones are usable to their last element (item 14). Each case runs
 * in a child of its own: it changes the fd limit or the fd table. With BPFEMU_UNIT_KERNEL=1 the
 * same cases run on the kernel (the file-operation items need the preload: tests/e2e/fdops.sh).
 */
#include "unit.h"

#include <sys/resource.h>

static int fd_by_id(uint32_t id, uint32_t flags)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	put32(a.b, ID_OPEN_FLAGS, flags);
	return ubpf(EMU_BPF_MAP_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
}

/* Runs fn in a child; the child's exit code is the step that failed (0: none). */
static void in_child(int (*fn)(int), int arg, const char *what)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(fn(arg));
	st = wait_child(pid);
	ck_assert_msg(st == 0, "%s: step %d failed (128+: a signal)", what, st);
}

/* ---- item 8: one fd free ---- */

/* Fills the fd table up to a limit of 64 (hard: the hard limit too) but one number: returned. */
static int leave_one_free(bool hard, int *fds, int *nfd)
{
	struct rlimit rl;
	int last = -1;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = 64;
	if (hard)
		rl.rlim_max = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	*nfd = 0;
	for (;;) {
		int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (f < 0)
			break;
		fds[(*nfd)++] = last = f;
	}
	if (errno != EMFILE || last < 0)
		return -1;
	close(last);
	return last;
}

static int one_free_child(int hard)
{
	int base = create(EMU_MAP_HASH, 4, 8, 4, 0), fds[64], nfd, free_fd, r, step = 1;
	uint32_t id = base >= 0 ? map_id(base) : 0;
	const uint32_t flags[] = { 0, EMU_F_RDONLY, EMU_F_WRONLY };

	if (!id || (free_fd = leave_one_free(hard, fds, &nfd)) < 0)
		return 100;
	for (int i = 0; i < 3; i++, step++) {
		r = create(EMU_MAP_HASH, 4, 8, 4, flags[i]);
		if (r != free_fd)
			return step;
		close(r);
	}
	for (int i = 0; i < 3; i++, step++) {
		r = fd_by_id(id, flags[i]);
		if (r != free_fd)
			return step;
		close(r);
	}
	/* none free at all: EMFILE, as the kernel's */
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	errno = 0;
	if (create(EMU_MAP_HASH, 4, 8, 4, EMU_F_RDONLY) != -1 || errno != EMFILE)
		return step;
	step++;
	if (fd_by_id(id, 0) != -1 || errno != EMFILE)
		return step;
	close(r);
	return 0;
}

START_TEST(one_fd_free)
{
	in_child(one_free_child, 0, "soft limit");
	/* valgrind keeps its own fds past the hard limit and refuses to have it lowered */
	if (!unit_under_valgrind())
		in_child(one_free_child, 1, "hard limit = soft limit");
}
END_TEST

/* Three numbers free: each new fd is the lowest, whatever the command and access mode. */
static int lowest_child(int unused)
{
	int base = create(EMU_MAP_HASH, 4, 8, 4, 0), fds[8], a, b, c, d;
	uint32_t id = base >= 0 ? map_id(base) : 0;

	(void)unused;
	for (int i = 0; i < 8; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(fds[2]);
	close(fds[3]);
	close(fds[5]);
	a = create(EMU_MAP_HASH, 4, 8, 4, EMU_F_RDONLY);
	b = create(EMU_MAP_ARRAY, 4, 8, 4, EMU_F_WRONLY);
	c = fd_by_id(id, EMU_F_RDONLY);
	d = fd_by_id(id, 0);
	if (a != fds[2])
		return 1;
	if (b != fds[3])
		return 2;
	if (c != fds[5])
		return 3;
	return d == fds[7] + 1 ? 0 : 4;
}

START_TEST(lowest_free_number)
{
	in_child(lowest_child, 0, "lowest free number");
}
END_TEST

/* ---- item 5: numbers reused behind the library's back ---- */

/* With the fd cache on and BPFEMU_FDCACHE_VALIDATE=1, a map fd closed by a system call the
 * library does not see and its number given to /dev/null is /dev/null: EINVAL, as the kernel's.
 * (validate 0: the commands other than element and batch ones still check.) */
static int reuse_child(int validate)
{
	uint32_t k = 1;
	uint64_t v = 7;
	unsigned char info[MI_SIZE];
	uint32_t len = sizeof(info);
	int fd, n;

	if (!unit_kernel()) {
		setenv("BPFEMU_FDCACHE_VALIDATE", validate ? "1" : "0", 1);
		if (bpfemu_fdcache_enable())
			return 1;
	}
	fd = create(EMU_MAP_HASH, 4, 8, 4, 0);
	if (fd < 0 || update(fd, &k, &v, 0) || lookup(fd, &k, &v, 0))
		return 2;
	syscall(SYS_close, fd); /* no bpfemu_close(): unseen */
	n = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (n != fd)
		return 3;
	errno = 0;
	if (get_info(fd, info, &len) != -1 || errno != EINVAL)
		return 4;
	if (validate && (lookup(fd, &k, &v, 0) != -1 || errno != EINVAL))
		return 5;
	close(n);
	errno = 0;
	if (validate && (lookup(fd, &k, &v, 0) != -1 || errno != EBADF))
		return 6;
	return 0;
}

START_TEST(reused_number_is_not_the_map)
{
	in_child(reuse_child, 1, "BPFEMU_FDCACHE_VALIDATE=1");
	in_child(reuse_child, 0, "checked commands");
}
END_TEST

/* ---- item 14: creates the kernel cannot allocate ---- */

static uint64_t mem_total(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

static const struct {
	uint32_t type, ks, vs, flags;
} huge[] = {
	{ EMU_MAP_ARRAY, 4, 8, 0 },	       { EMU_MAP_ARRAY, 4, 8, EMU_F_MMAPABLE }, { EMU_MAP_ARRAY, 4, 65536, 0 },
	{ EMU_MAP_QUEUE, 0, 8, 0 },	       { EMU_MAP_STACK, 0, 4096, 0 },	   { EMU_MAP_ARRAY, 4, 1u << 20, EMU_F_MMAPABLE },
};

START_TEST(larger_than_memory_is_enomem)
{
	/* more than the machine has: vmalloc refuses it at once, no memory is taken */
	uint64_t bytes = mem_total() + (1ull << 30), max = bytes / huge[_i].vs;

	ck_assert_uint_gt(mem_total(), 0);
	if (max > UINT32_MAX)
		max = UINT32_MAX;
	ERR(create(huge[_i].type, huge[_i].ks, huge[_i].vs, (uint32_t)max, huge[_i].flags), ENOMEM);
}
END_TEST

/* A large map is usable to its last element: its memory was there at create. */
START_TEST(large_map_usable_to_the_end)
{
	const uint32_t max = 8u << 20; /* 64 MiB of values */
	uint32_t k = max - 1;
	uint64_t v = 0x1234, got = 0;
	int fd = mkmap(EMU_MAP_ARRAY, 4, 8, max, 0);

	OK(update(fd, &k, &v, 0));
	OK(lookup(fd, &k, &got, 0));
	ck_assert_uint_eq(got, v);
	if (!unit_kernel())
		OK(bpfemu_map_check(fd));
	close(fd);
	fd = mkmap(EMU_MAP_QUEUE, 0, 8, max, 0);
	OK(update(fd, NULL, &v, 0));
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fdlife");
	TCase *tc = tcase_create("fdlife");

	unit_init("2");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_fd_free);
	tcase_add_test(tc, lowest_free_number);
	tcase_add_test(tc, reused_number_is_not_the_map);
	tcase_add_loop_test(tc, larger_than_memory_is_enomem, 0, (int)(sizeof(huge) / sizeof(huge[0])));
	tcase_add_test(tc, large_map_usable_to_the_end);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
