/* SPDX-License-Identifier: MIT */
/*
 * Objects across processes, as the kernel keeps them: a live map is visible by id to every
 * process (GET_NEXT_ID, GET_FD_BY_ID), whoever holds it; it is gone at its last reference (no fd,
 * no pin). Run against the kernel too (BPFEMU_UNIT_KERNEL=1), where the ids walk sees the
 * machine's other maps as well: only membership is checked.
 */
#include "unit.h"

#include <sys/stat.h>

#include "core/state.h" /* where the emulator's bpffs root is, to remove a pin */

static int next_id(uint32_t start, uint32_t *next)
{
	struct attr a;
	int r;

	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, start);
	r = ubpf(EMU_BPF_MAP_GET_NEXT_ID, a.b, EMU_ATTR_SIZE);
	*next = get32(a.b, ID_NEXT);
	return r;
}

static bool id_listed(uint32_t id)
{
	uint32_t cur = 0, next;

	while (!next_id(cur, &next)) {
		if (next == id)
			return true;
		cur = next;
	}
	ck_assert_int_eq(errno, ENOENT);
	return false;
}

static int fd_by_id(uint32_t id)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	return ubpf(EMU_BPF_MAP_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
}

/* The kernel frees a map's id at its last reference, which an exiting child drops in its exit:
 * allow it a moment to be seen gone. */
static bool gone_soon(uint32_t id)
{
	for (int i = 0; i < 100; i++) {
		int fd = fd_by_id(id);

		if (fd < 0 && errno == ENOENT && !id_listed(id))
			return true;
		if (fd >= 0)
			close(fd);
		usleep(2000);
	}
	return false;
}

/* A child makes a map (key 1 = 42) and holds it, possibly pinned to `pin`, until told to go. */
static pid_t child_with_map(int *to_child, uint32_t *id, const char *pin)
{
	int up[2], down[2];
	pid_t pid;

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		uint32_t k = 1, v = 42, mid;
		int fd = create(EMU_MAP_HASH, 4, 4, 8, 0);
		char go;

		if (fd < 0 || update(fd, &k, &v, 0))
			_exit(2);
		if (pin) {
			struct attr a;

			memset(&a, 0, sizeof(a));
			putp(a.b, PIN_PATH, pin);
			put32(a.b, PIN_FD, (uint32_t)fd);
			if (ubpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE))
				_exit(3);
		}
		mid = map_id(fd);
		if (write(up[1], &mid, 4) != 4 || read(down[0], &go, 1) != 1)
			_exit(4);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read(up[0], id, 4), 4);
	close(up[0]);
	*to_child = down[1];
	return pid;
}

START_TEST(map_of_another_process_is_visible_by_id)
{
	uint32_t id, k = 1, v = 0;
	int go, fd;
	pid_t pid = child_with_map(&go, &id, NULL);

	ck_assert_msg(id_listed(id), "map %u of a live child is not listed", id);
	fd = fd_by_id(id);
	ck_assert_int_ge(fd, 0);
	OK(lookup(fd, &k, &v, 0));
	ck_assert_uint_eq(v, 42); /* the child's very map */
	close(fd);
	ck_assert_int_eq(write(go, "x", 1), 1);
	close(go);
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_msg(gone_soon(id), "map %u outlived its only holder", id);
}
END_TEST

START_TEST(fd_by_id_keeps_it_after_its_creator)
{
	uint32_t id, k = 1, v = 0;
	int go, fd;
	pid_t pid = child_with_map(&go, &id, NULL);

	fd = fd_by_id(id);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(go, "x", 1), 1);
	close(go);
	ck_assert_int_eq(wait_child(pid), 0);
	/* our fd is now its only reference */
	ck_assert_msg(id_listed(id), "map %u held by our fd is not listed", id);
	OK(lookup(fd, &k, &v, 0));
	ck_assert_uint_eq(v, 42);
	close(fd);
	ck_assert_msg(gone_soon(id), "map %u outlived its last fd", id);
}
END_TEST

/* A pin outlives the process; removing it frees the map. */
START_TEST(pin_keeps_map_of_dead_process)
{
	char pin[128], real[4096];
	uint32_t id;
	int go, fd;
	pid_t pid;

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/unit_objects_%d", (int)getpid());
	pid = child_with_map(&go, &id, pin);
	ck_assert_int_eq(write(go, "x", 1), 1);
	close(go);
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_msg(id_listed(id), "pinned map %u is not listed", id);
	fd = fd_by_id(id);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* the in-process API does not redirect unlink(): remove the emulated pin where it lives */
	if (unit_kernel())
		snprintf(real, sizeof(real), "%s", pin);
	else
		ck_assert_int_eq(emu_bpffs_translate(pin, real, sizeof(real)), 1);
	ck_assert_int_eq(unlink(real), 0);
	ck_assert_msg(gone_soon(id), "map %u outlived its pin", id);
}
END_TEST

/* Emulator only: a registry directory another user could write is not trusted, so another
 * process's map is not found by id through it (and the process's own still is). */
START_TEST(registry_others_can_write_is_not_trusted)
{
	char reg[4096];
	uint32_t id, own_id;
	int go, fd, own;
	pid_t pid;

	if (unit_kernel())
		return;
	own = create(EMU_MAP_HASH, 4, 4, 8, 0); /* makes the registry */
	ck_assert_int_ge(own, 0);
	own_id = map_id(own);
	snprintf(reg, sizeof(reg), "%s/.bpfemu-objects", emu_bpffs_root());
	ck_assert_int_eq(chmod(reg, 0722), 0);
	pid = child_with_map(&go, &id, NULL);
	fd = fd_by_id(id);
	ck_assert_int_eq(chmod(reg, 0700), 0);
	ck_assert_msg(fd < 0 && errno == ENOENT, "map %u found through a registry others can write", id);
	ck_assert_int_eq(chmod(reg, 0722), 0);
	fd = fd_by_id(own_id);
	ck_assert_int_eq(chmod(reg, 0700), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(own);
	ck_assert_int_eq(write(go, "x", 1), 1);
	close(go);
	ck_assert_int_eq(wait_child(pid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("objects");
	TCase *tc = tcase_create("ids");

	unit_init("2");
	tcase_add_test(tc, map_of_another_process_is_visible_by_id);
	tcase_add_test(tc, fd_by_id_keeps_it_after_its_creator);
	tcase_add_test(tc, pin_keeps_map_of_dead_process);
	tcase_add_test(tc, registry_others_can_write_is_not_trusted);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
