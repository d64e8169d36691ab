/* SPDX-License-Identifier: MIT */
/*
 * BTF objects and maps holding BTF: the fd BPF_BTF_LOAD hands out, the kernel's vmlinux BTF as id 1,
 * BTF fds across fork and SCM_RIGHTS, a map keeping its BTF alive and findable by id after every
 * BTF fd is gone (in another process too), BPF_F_LOCK copies that threads never see torn, and what
 * a BTF fd is not. With BPFEMU_UNIT_KERNEL=1 the same cases run on the kernel; the emulator-only
 * ones (id counters, pins on the emulated bpffs) are left out there.
 */
#include "unit.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/state.h"

#include "../diff/btf_blob.h"

static unsigned char blob[4096];
static uint32_t blob_size;

static int btf_load(const void *b, uint32_t n)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	putp(a.b, BTF_BLOB, b);
	put32(a.b, BTF_SIZE, n);
	return ubpf(EMU_BPF_BTF_LOAD, a.b, EMU_ATTR_SIZE);
}

static int load_blob(void)
{
	int fd = btf_load(blob, blob_size);

	ck_assert_msg(fd >= 0, "BTF_LOAD: %s", errname(errno));
	return fd;
}

/* bpf_btf_info of fd with its blob copied to data (cap bytes) and its name to name (32) */
static void btf_info(int fd, unsigned char *info, void *data, uint32_t cap, char *name)
{
	uint32_t len = BI_SIZE;

	memset(info, 0, BI_SIZE);
	putp(info, BI_BTF, data);
	put32(info, BI_BTF_SIZE, data ? cap : 0);
	if (name) {
		putp(info, BI_NAME, name);
		put32(info, BI_NAME_LEN, 32);
	}
	OK(get_info(fd, info, &len));
	ck_assert_uint_eq(len, BI_SIZE);
}

static uint32_t btf_id(int fd)
{
	unsigned char info[BI_SIZE];

	btf_info(fd, info, NULL, 0, NULL);
	return get32(info, BI_ID);
}

static int btf_fd_by_id(uint32_t id)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	return ubpf(EMU_BPF_BTF_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
}

static int create_btf(uint32_t type, uint32_t vs, uint32_t flags, int bfd, uint32_t vid)
{
	struct attr a;

	mc_attr(&a, type, 4, vs, 8, flags);
	put32(a.b, MC_BTF_FD, (uint32_t)bfd);
	put32(a.b, MC_BTF_KEY, BB_INT);
	put32(a.b, MC_BTF_VALUE, vid);
	return map_create_attr(&a);
}

/* The map's BTF, found by the id its info reports, is the blob that was loaded. */
static int check_map_btf(int map_fd)
{
	unsigned char info[MI_SIZE], binfo[BI_SIZE], data[4096];
	uint32_t len = sizeof(info);
	int fd;

	memset(info, 0, sizeof(info));
	if (get_info(map_fd, info, &len))
		return 1;
	if (!get32(info, MI_BTF_ID) || get32(info, MI_BTF_KEY_TYPE_ID) != BB_INT ||
	    get32(info, MI_BTF_VALUE_TYPE_ID) != BB_VAL)
		return 2;
	fd = btf_fd_by_id(get32(info, MI_BTF_ID));
	if (fd < 0)
		return 3;
	memset(binfo, 0, sizeof(binfo));
	putp(binfo, BI_BTF, data);
	put32(binfo, BI_BTF_SIZE, sizeof(data));
	len = BI_SIZE;
	if (get_info(fd, binfo, &len) || get32(binfo, BI_BTF_SIZE) != blob_size || memcmp(data, blob, blob_size) ||
	    get32(binfo, BI_ID) != get32(info, MI_BTF_ID))
		return 4;
	close(fd);
	return 0;
}

START_TEST(load_gives_a_readonly_btf_fd)
{
	unsigned char info[BI_SIZE], data[4096];
	char name[32];
	int fd = load_blob();

	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	memset(name, 'x', sizeof(name));
	btf_info(fd, info, data, sizeof(data), name);
	ck_assert_uint_ne(get32(info, BI_ID), 0);
	ck_assert_uint_eq(get32(info, BI_BTF_SIZE), blob_size);
	ck_assert_uint_eq(get32(info, BI_NAME_LEN), 0);
	ck_assert_uint_eq(get32(info, BI_KERNEL_BTF), 0);
	ck_assert_int_eq(name[0], 0);
	ck_assert_mem_eq(data, blob, blob_size);
	/* a BTF fd is no map and cannot be pinned */
	{
		uint32_t k = 0, v[4];
		struct attr a;

		ERR(lookup(fd, &k, v, 0), EINVAL);
		ERR(freeze(fd), EINVAL);
		memset(&a, 0, sizeof(a));
		putp(a.b, PIN_PATH, "/sys/fs/bpf/bpfemu-unit-btf");
		put32(a.b, PIN_FD, (uint32_t)fd);
		ERR(ubpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE), EINVAL);
	}
	close(fd);
}
END_TEST

START_TEST(vmlinux_is_id_1)
{
	unsigned char info[BI_SIZE];
	char name[32];
	struct stat st;
	struct attr a;
	int fd;

	if (stat("/sys/kernel/btf/vmlinux", &st))
		return; /* a kernel without BTF: nothing to list */
	memset(&a, 0, sizeof(a));
	OK(ubpf(EMU_BPF_BTF_GET_NEXT_ID, a.b, EMU_ATTR_SIZE));
	ck_assert_uint_eq(get32(a.b, ID_NEXT), 1);
	fd = btf_fd_by_id(1);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	btf_info(fd, info, NULL, 0, name);
	ck_assert_uint_eq(get32(info, BI_ID), 1);
	ck_assert_uint_eq(get32(info, BI_KERNEL_BTF), 1);
	ck_assert_uint_eq(get32(info, BI_BTF_SIZE), (uint32_t)st.st_size);
	ck_assert_str_eq(name, "vmlinux");
	ck_assert_uint_eq(get32(info, BI_NAME_LEN), 7);
	/* the kernel's own BTF is no map's BTF */
	ERR(create_btf(EMU_MAP_HASH, 4, 0, fd, BB_INT), EACCES);
	close(fd);
}
END_TEST

START_TEST(btf_fd_across_fork_and_scm_rights)
{
	int fd = load_blob(), sv[2];
	uint32_t id = btf_id(fd);
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		/* the inherited fd, then one received over the socket */
		char c;
		struct iovec iov = { &c, 1 };
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct msghdr msg = { 0 };
		struct cmsghdr *cm;
		int got;

		if (btf_id(fd) != id)
			_exit(1);
		close(fd);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &msg, 0) != 1 || !(cm = CMSG_FIRSTHDR(&msg)))
			_exit(2);
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
		_exit(btf_id(got) == id ? 0 : 3);
	}
	{
		char c = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { &c, 1 };
		struct msghdr msg = { 0 };
		struct cmsghdr *cm;
		int d = dup(fd);

		close(fd); /* the dup keeps it */
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &d, sizeof(int));
		ck_assert_int_eq(sendmsg(sv[0], &msg, 0), 1);
		ck_assert_int_eq(wait_child(pid), 0);
		close(d);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(map_keeps_its_btf)
{
	int bfd = load_blob(), mfd;
	pid_t pid;

	mfd = create_btf(EMU_MAP_HASH, 12, 0, bfd, BB_VAL);
	ck_assert_msg(mfd >= 0, "create: %s", errname(errno));
	close(bfd);
	ck_assert_int_eq(check_map_btf(mfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(check_map_btf(mfd));
	ck_assert_int_eq(wait_child(pid), 0);
	close(mfd);
}
END_TEST

/* Emulator only: the pin lives on the emulated bpffs; a process that only opens the pin finds
 * the map's BTF by id and in the id walk. */
START_TEST(pinned_map_keeps_its_btf)
{
	const char *pin = "/sys/fs/bpf/bpfemu-unit-btfmap";
	int bfd = load_blob(), mfd;
	uint32_t id = btf_id(bfd);
	struct attr a;
	pid_t pid;

	mfd = create_btf(EMU_MAP_ARRAY, 12, 0, bfd, BB_VAL);
	ck_assert_int_ge(mfd, 0);
	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, pin);
	put32(a.b, PIN_FD, (uint32_t)mfd);
	{
		char real[4096];

		if (emu_bpffs_translate(pin, real, sizeof(real)) == 1)
			unlink(real); /* a pin left by an earlier run */
	}
	OK(ubpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE));
	close(mfd);
	close(bfd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct attr g;
		uint32_t next = 0;
		bool met = false;
		int fd;

		memset(&g, 0, sizeof(g));
		putp(g.b, PIN_PATH, pin);
		fd = ubpf(EMU_BPF_OBJ_GET, g.b, EMU_ATTR_SIZE);
		if (fd < 0)
			_exit(10);
		for (;;) {
			memset(&g, 0, sizeof(g));
			put32(g.b, ID_START, next);
			if (ubpf(EMU_BPF_BTF_GET_NEXT_ID, g.b, EMU_ATTR_SIZE))
				break;
			next = get32(g.b, ID_NEXT);
			met |= next == id;
		}
		if (!met)
			_exit(11);
		_exit(check_map_btf(fd));
	}
	ck_assert_int_eq(wait_child(pid), 0);
	{
		char real[4096];

		ck_assert_int_eq(emu_bpffs_translate(pin, real, sizeof(real)), 1);
		OK(unlink(real));
	}
	/* nothing holds the BTF now */
	ERR(btf_fd_by_id(id), ENOENT);
}
END_TEST

/* Emulator only: a BTF id does not advance the map id counter (separate IDRs). The counter is the
 * user's: a test running beside this one may take a map id in between, so a few tries are allowed;
 * a BTF load that took a map id would fail every one. */
START_TEST(ids_are_per_kind)
{
	uint32_t first = 0, second = 0;

	for (int tries = 0; tries < 20 && second != first + 1; tries++) {
		int m1 = mkmap(EMU_MAP_ARRAY, 4, 4, 1, 0), b = load_blob(), m2 = mkmap(EMU_MAP_ARRAY, 4, 4, 1, 0);

		first = map_id(m1);
		second = map_id(m2);
		ck_assert_uint_ge(btf_id(b), 2); /* 1 is vmlinux */
		close(m1);
		close(m2);
		close(b);
	}
	ck_assert_uint_eq(second, first + 1);
}
END_TEST

/* ---- BPF_F_LOCK under contention: no copy is ever torn ---- */

struct lock_ctx {
	int fd;
	uint32_t vs, lock_off, key;
	int iters;
	unsigned torn;
};

static bool uniform(const unsigned char *v, uint32_t vs, uint32_t lock_off)
{
	for (uint32_t i = 0; i < vs; i++)
		if ((i < lock_off || i >= lock_off + 4) && v[i] != v[0])
			return false;
	return true;
}

static void *lock_writer(void *arg)
{
	struct lock_ctx *c = arg;
	unsigned char v[64];

	for (int i = 0; i < c->iters; i++) {
		memset(v, (unsigned char)(i * 2 + 1), sizeof(v));
		if (update(c->fd, &c->key, v, EMU_F_LOCK))
			c->torn++;
	}
	return NULL;
}

static void *lock_reader(void *arg)
{
	struct lock_ctx *c = arg;
	unsigned char v[64];

	for (int i = 0; i < c->iters; i++) {
		if (lookup(c->fd, &c->key, v, EMU_F_LOCK) || !uniform(v, c->vs, c->lock_off))
			c->torn++;
		if (v[c->lock_off] || v[c->lock_off + 1] || v[c->lock_off + 2] || v[c->lock_off + 3])
			c->torn++; /* the lock word is never copied out */
	}
	return NULL;
}

START_TEST(f_lock_copies_are_never_torn)
{
	static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_ARRAY };
	int bfd = load_blob();

	for (unsigned t = 0; t < 2; t++) {
		struct lock_ctx w1, w2, r;
		pthread_t th[3];
		unsigned char v[64];
		int fd = create_btf(types[t], 56, 0, bfd, BB_BIG);

		ck_assert_msg(fd >= 0, "create: %s", errname(errno));
		memset(v, 1, sizeof(v));
		memset(&w1, 0, sizeof(w1));
		w1.fd = fd;
		w1.vs = 56;
		w1.lock_off = 40;
		w1.key = 3;
		w1.iters = 20000;
		OK(update(fd, &w1.key, v, 0));
		w2 = w1;
		r = w1;
		pthread_create(&th[0], NULL, lock_writer, &w1);
		pthread_create(&th[1], NULL, lock_writer, &w2);
		pthread_create(&th[2], NULL, lock_reader, &r);
		for (int i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		ck_assert_uint_eq(w1.torn + w2.torn, 0);
		ck_assert_msg(r.torn == 0, "%s: %u torn or failed F_LOCK lookups", types[t] == EMU_MAP_HASH ? "hash" : "array",
			      r.torn);
		if (!unit_kernel())
			OK(bpfemu_map_check(fd));
		close(fd);
	}
	close(bfd);
}
END_TEST

START_TEST(f_lock_needs_a_spin_lock)
{
	int bfd = load_blob(), plain = mkmap(EMU_MAP_HASH, 4, 4, 4, 0);
	int timer = create_btf(EMU_MAP_HASH, 24, 0, bfd, BB_TONLY), locked = create_btf(EMU_MAP_HASH, 12, 0, bfd, BB_VAL);
	uint32_t k = 1;
	unsigned char v[32];

	ck_assert_int_ge(timer, 0);
	ck_assert_int_ge(locked, 0);
	memset(v, 0x7f, sizeof(v));
	ERR(update(plain, &k, v, EMU_F_LOCK), EINVAL);
	ERR(update(timer, &k, v, EMU_F_LOCK), EINVAL);
	OK(update(locked, &k, v, EMU_F_LOCK));
	ERR(lookup(timer, &k, v, EMU_F_LOCK), EINVAL);
	OK(update(timer, &k, v, 0));
	memset(v, 0x11, sizeof(v));
	OK(lookup(timer, &k, v, 0));
	for (int i = 0; i < 16; i++) /* the timer reads as zero */
		ck_assert_uint_eq(v[i], 0);
	ck_assert_uint_eq(v[16], 0x7f);
	OK(lookup(locked, &k, v, EMU_F_LOCK));
	ck_assert_uint_eq(v[0], 0x7f);
	ck_assert_uint_eq(v[4], 0);
	ck_assert_uint_eq(v[8], 0x7f);
	ERR(freeze(locked), EMU_ENOTSUPP);
	ERR(freeze(timer), EMU_ENOTSUPP);
	close(plain);
	close(timer);
	close(locked);
	close(bfd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("btfobj");
	TCase *tc = tcase_create("btfobj");

	unit_init(NULL);
	blob_size = bb_blob(blob);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, load_gives_a_readonly_btf_fd);
	tcase_add_test(tc, vmlinux_is_id_1);
	tcase_add_test(tc, btf_fd_across_fork_and_scm_rights);
	tcase_add_test(tc, map_keeps_its_btf);
	tcase_add_test(tc, f_lock_copies_are_never_torn);
	tcase_add_test(tc, f_lock_needs_a_spin_lock);
	suite_add_tcase(s, tc);
	if (!unit_kernel()) {
		TCase *emu = tcase_create("emulator");

		tcase_add_test(emu, pinned_map_keeps_its_btf);
		tcase_add_test(emu, ids_are_per_kind);
		suite_add_tcase(s, emu);
	}
	return unit_run(s);
}
