/* SPDX-License-Identifier: MIT */
/*
 * Program objects: OBJ_GET_INFO_BY_FD's struct bpf_prog_info, fdinfo, the program id commands,
 * pins, fork and SCM_RIGHTS, another program running a pinned one, BPF_PROG_BIND_MAP,
 * BPF_ENABLE_STATS and BPF_PROG_TEST_RUN's command (test_attach.c has the attach commands). With
 * BPFEMU_UNIT_KERNEL=1 every case runs against the kernel. Where the two differ by design (the
 * emulator interprets: it reports a kernel without a JIT), the case asserts each side's own answer
 * and says so.
 */
#include "prog.h"

/* ---- program objects ---- */

/* issue 17 item 13: info on a trivial program (the old loader answered EINVAL) */
START_TEST(info_trivial)
{
	static const uint8_t tag[8] = { 0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6 };
	unsigned char info[PI_SIZE];
	uint32_t len = sizeof(info);
	struct timespec now;
	int fd = mkprog(EMU_PROG_SOCKET_FILTER, "triv");

	memset(info, 0, sizeof(info));
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(len, PI_SIZE);
	ck_assert_uint_eq(get32(info, PI_TYPE), EMU_PROG_SOCKET_FILTER);
	ck_assert_uint_gt(get32(info, PI_ID), 0);
	ck_assert_mem_eq(info + PI_TAG, tag, 8);
	ck_assert_uint_eq(get32(info, PI_XLATED_PROG_LEN), 16);
	ck_assert_str_eq((char *)info + PI_NAME, "triv");
	ck_assert_uint_eq(get32(info, PI_GPL_COMPATIBLE), 1);
	ck_assert_uint_eq(get32(info, PI_CREATED_BY_UID), getuid());
	clock_gettime(CLOCK_BOOTTIME, &now);
	ck_assert_uint_gt(get64(info, PI_LOAD_TIME), 0);
	ck_assert_uint_le(get64(info, PI_LOAD_TIME), (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	ck_assert_uint_eq(get32(info, PI_NR_MAP_IDS), 0);
	ck_assert_uint_eq(get32(info, PI_BTF_ID), 0);
	ck_assert_uint_eq(get32(info, PI_FUNC_INFO_REC_SIZE), 8);
	ck_assert_uint_eq(get32(info, PI_LINE_INFO_REC_SIZE), 16);
	ck_assert_uint_eq(get32(info, PI_JITED_LINE_INFO_REC_SIZE), 8);
	ck_assert_uint_eq(get32(info, PI_NR_FUNC_INFO), 0);
	ck_assert_uint_eq(get32(info, PI_NR_LINE_INFO), 0);
	ck_assert_uint_eq(get32(info, PI_NR_JITED_LINE_INFO), 0);
	ck_assert_uint_eq(get32(info, PI_NR_PROG_TAGS), 1);
	ck_assert_uint_eq(get32(info, PI_NR_JITED_KSYMS), 1);
	ck_assert_uint_eq(get32(info, PI_NR_JITED_FUNC_LENS), 1);
	ck_assert_uint_eq(get32(info, PI_VERIFIED_INSNS), 2);
	ck_assert_uint_eq(get64(info, PI_RUN_CNT), 0);
	ck_assert_uint_eq(get64(info, PI_RUN_TIME_NS), 0);
	/* the kernel here JITs (20 bytes of x86 code); the emulator is a kernel without a JIT */
	if (unit_kernel())
		ck_assert_uint_gt(get32(info, PI_JITED_PROG_LEN), 0);
	else
		ck_assert_uint_eq(get32(info, PI_JITED_PROG_LEN), 0);
	close(fd);
}
END_TEST

/* The arrays info writes to the caller's buffers, and the fields it leaves as the caller gave. */
START_TEST(info_arrays)
{
	int mfd = mkmap(EMU_MAP_ARRAY, 4, 32, 1, 0);
	struct emu_insn insns[] = { LD_MAP_VALUE(1, mfd, 16), I(0x7a, 1, 0, 0, 42), MOV64I(0, 0), EXIT };
	unsigned char info[PI_SIZE];
	struct emu_insn xl[8];
	uint32_t len = sizeof(info), ids[2] = { 7, 7 };
	uint8_t tags[2][8];
	struct attr a;
	int fd;

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, insns, 5);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "global data probe: errno %s", errname(errno));
	memset(info, 0xa5, sizeof(info));
	memset(info + PI_ATTACH_BTF_ID + 4, 0, PI_SIZE - PI_ATTACH_BTF_ID - 4);
	memset(xl, 0xee, sizeof(xl));
	memset(tags, 0xcc, sizeof(tags));
	put32(info, PI_NR_MAP_IDS, 2);
	putp(info, PI_MAP_IDS, ids);
	put32(info, PI_XLATED_PROG_LEN, 3 * 8); /* fewer than the program has */
	putp(info, PI_XLATED_PROG_INSNS, xl);
	put32(info, PI_NR_PROG_TAGS, 2);
	putp(info, PI_PROG_TAGS, tags);
	put32(info, PI_NR_FUNC_INFO, 0);
	put32(info, PI_FUNC_INFO_REC_SIZE, 0);
	put32(info, PI_NR_LINE_INFO, 0);
	put32(info, PI_LINE_INFO_REC_SIZE, 0);
	put32(info, PI_NR_JITED_LINE_INFO, 0);
	put32(info, PI_JITED_LINE_INFO_REC_SIZE, 0);
	put32(info, PI_NR_JITED_KSYMS, 0);
	put32(info, PI_NR_JITED_FUNC_LENS, 0);
	put32(info, PI_JITED_PROG_LEN, 0);
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(get32(info, PI_NR_MAP_IDS), 1);
	ck_assert_uint_eq(ids[0], map_id(mfd));
	ck_assert_uint_eq(ids[1], 7);
	ck_assert_uint_eq(get32(info, PI_XLATED_PROG_LEN), 5 * 8);
	/* xlated: the map's id and the value offset in the ld_imm64 */
	ck_assert_uint_eq(xl[0].code, 0x18);
	ck_assert_uint_eq(xl[0].src_reg, 2);
	ck_assert_uint_eq((uint32_t)xl[0].imm, map_id(mfd));
	ck_assert_int_eq(xl[1].imm, 16);
	ck_assert_uint_eq(xl[2].code, 0x7a);
	ck_assert_uint_eq(xl[3].code, 0xee); /* past the 3 asked for: untouched */
	ck_assert_uint_eq(get32(info, PI_NR_PROG_TAGS), 1);
	ck_assert_uint_eq(tags[1][0], 0xcc);
	/* untouched by the kernel: the caller's bytes */
	ck_assert_uint_eq(get32(info, PI_IFINDEX), 0xa5a5a5a5);
	ck_assert_uint_eq(get64(info, PI_NETNS_DEV), 0xa5a5a5a5a5a5a5a5ull);
	ck_assert_uint_eq(get32(info, PI_BTF_ID), 0xa5a5a5a5);
	ck_assert_uint_eq(get32(info, PI_ATTACH_BTF_OBJ_ID), 0xa5a5a5a5);
	ck_assert_uint_eq(get32(info, PI_ATTACH_BTF_ID), 0);
	ck_assert_uint_eq(get32(info, PI_GPL_COMPATIBLE), 0xa5a5a5a5);
	close(fd);
	close(mfd);
}
END_TEST

START_TEST(info_errors)
{
	unsigned char big[PAGE + 8], info[PI_SIZE];
	uint32_t len;
	int fd = mkprog(EMU_PROG_SOCKET_FILTER, NULL);

	/* short: only that much written back */
	memset(info, 0, sizeof(info));
	len = 8;
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(get32(info, PI_TYPE), EMU_PROG_SOCKET_FILTER);
	ck_assert_uint_eq(get32(info, PI_TAG), 0);
	/* a non-zero byte in the struct's padding or past it */
	memset(info, 0, sizeof(info));
	info[PI_ATTACH_BTF_ID + 4] = 1;
	len = PI_ATTACH_BTF_ID + 6;
	ERR(prog_info(fd, info, &len), E2BIG);
	len = PI_ATTACH_BTF_ID + 4;
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(len, PI_ATTACH_BTF_ID + 4);
	memset(big, 0, sizeof(big));
	big[PI_SIZE + 3] = 1;
	len = PI_SIZE + 8;
	ERR(prog_info(fd, big, &len), E2BIG);
	big[PI_SIZE + 3] = 0;
	len = PI_SIZE + 8;
	OK(prog_info(fd, big, &len));
	ck_assert_uint_eq(len, PI_SIZE);
	len = PAGE + 1;
	ERR(prog_info(fd, big, &len), E2BIG);
	/* record sizes the kernel does not use */
	memset(info, 0, sizeof(info));
	put32(info, PI_FUNC_INFO_REC_SIZE, 4);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EINVAL);
	memset(info, 0, sizeof(info));
	put32(info, PI_NR_LINE_INFO, 1);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EINVAL);
	memset(info, 0, sizeof(info));
	put32(info, PI_JITED_LINE_INFO_REC_SIZE, 16);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EINVAL);
	/* an array pointer that faults */
	memset(info, 0, sizeof(info));
	put32(info, PI_XLATED_PROG_LEN, 16);
	put64(info, PI_XLATED_PROG_INSNS, 8);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EFAULT);
	memset(info, 0, sizeof(info));
	put32(info, PI_NR_PROG_TAGS, 1);
	put64(info, PI_PROG_TAGS, 8);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EFAULT);
	close(fd);
	len = sizeof(info);
	ERR(prog_info(fd, info, &len), EBADFD);
}
END_TEST

/* The fdinfo object lines: the kernel's through /proc, the emulator's through its fdinfo call. */
static void fdinfo_of(int fd, char *buf, size_t len)
{
	if (unit_kernel()) {
		char path[64];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, len - 1, f);
		buf[n] = 0;
		fclose(f);
		/* only the object's lines, from prog_type on */
		memmove(buf, strstr(buf, "prog_type:"), strlen(strstr(buf, "prog_type:")) + 1);
	} else {
		ck_assert_int_gt(emu_fdinfo(fd, buf, len), 0);
	}
}

START_TEST(fdinfo_lines)
{
	static struct emu_insn big[501];
	unsigned char info[PI_SIZE];
	char buf[1024], want[1024];
	uint32_t len = sizeof(info);
	struct attr a;
	int fd = mkprog(EMU_PROG_SOCKET_FILTER, NULL);

	memset(info, 0, sizeof(info));
	OK(prog_info(fd, info, &len));
	fdinfo_of(fd, buf, sizeof(buf));
	snprintf(want, sizeof(want),
		 "prog_type:\t1\nprog_jited:\t%d\nprog_tag:\t59f4a931744dcdc6\nmemlock:\t4096\nprog_id:\t%u\n"
		 "run_time_ns:\t0\nrun_cnt:\t0\nrecursion_misses:\t0\nverified_insns:\t2\n",
		 unit_kernel() ? 1 : 0, get32(info, PI_ID));
	ck_assert_str_eq(buf, want);
	close(fd);
	/* memlock: the kernel's struct bpf_prog and the instructions, in pages: 500 fit one */
	for (int n = 500; n <= 501; n++) {
		for (int i = 0; i < n - 1; i++)
			big[i] = (struct emu_insn)MOV64I(0, i);
		big[n - 1] = (struct emu_insn)EXIT;
		pl_attr(&a, EMU_PROG_SOCKET_FILTER, big, (uint32_t)n);
		fd = pl(&a);
		ck_assert_int_ge(fd, 0);
		fdinfo_of(fd, buf, sizeof(buf));
		ck_assert_ptr_nonnull(strstr(buf, n == 500 ? "memlock:\t4096\n" : "memlock:\t8192\n"));
		close(fd);
	}
}
END_TEST

START_TEST(ids)
{
	int fd = mkprog(EMU_PROG_XDP, "ids_test"), fd2;
	unsigned char info[PI_SIZE];
	uint32_t len = sizeof(info), id, next = 0;
	struct attr a;
	bool found = false;

	memset(info, 0, sizeof(info));
	OK(prog_info(fd, info, &len));
	id = get32(info, PI_ID);
	/* the id is listed */
	for (uint32_t start = id - 1;;) {
		memset(&a, 0, sizeof(a));
		put32(a.b, ID_START, start);
		if (ubpf(EMU_BPF_PROG_GET_NEXT_ID, a.b, EMU_ATTR_SIZE))
			break;
		next = get32(a.b, ID_NEXT);
		found = next == id;
		break;
	}
	ck_assert_msg(found, "GET_NEXT_ID from %u gave %u, want %u", id - 1, next, id);
	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, INT32_MAX);
	ERR(ubpf(EMU_BPF_PROG_GET_NEXT_ID, a.b, EMU_ATTR_SIZE), EINVAL);
	/* a new fd of it */
	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	fd2 = ubpf(EMU_BPF_PROG_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(fcntl(fd2, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(fcntl(fd2, F_GETFD), FD_CLOEXEC);
	len = sizeof(info);
	memset(info, 0, sizeof(info));
	OK(prog_info(fd2, info, &len));
	ck_assert_uint_eq(get32(info, PI_ID), id);
	ck_assert_str_eq((char *)info + PI_NAME, "ids_test");
	/* open_flags are not BPF_PROG_GET_FD_BY_ID's */
	put32(a.b, ID_OPEN_FLAGS, EMU_F_RDONLY);
	ERR(ubpf(EMU_BPF_PROG_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE), EINVAL);
	close(fd);
	close(fd2);
	/* gone with its last fd */
	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	ERR(ubpf(EMU_BPF_PROG_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE), ENOENT);
	put32(a.b, ID_START, 0);
	ERR(ubpf(EMU_BPF_PROG_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE), ENOENT);
}
END_TEST

/* A forked child uses the program its parent loaded; the parent sees the child's pin. */
START_TEST(fork_child)
{
	int fd = mkprog(EMU_PROG_SCHED_CLS, "forked");
	unsigned char info[PI_SIZE];
	uint32_t len = sizeof(info), id;
	pid_t pid;

	memset(info, 0, sizeof(info));
	OK(prog_info(fd, info, &len));
	id = get32(info, PI_ID);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned char ci[PI_SIZE];
		uint32_t cl = sizeof(ci);

		memset(ci, 0, sizeof(ci));
		if (prog_info(fd, ci, &cl) || get32(ci, PI_ID) != id || strcmp((char *)ci + PI_NAME, "forked"))
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	close(fd);
}
END_TEST

START_TEST(bind_map)
{
	int fd = mkprog(EMU_PROG_SOCKET_FILTER, NULL), m1 = mkmap(EMU_MAP_ARRAY, 4, 8, 1, 0),
	    m2 = mkmap(EMU_MAP_HASH, 4, 8, 4, 0);
	unsigned char info[PI_SIZE];
	uint32_t len, ids[4];
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, BM_PROG_FD, (uint32_t)fd);
	put32(a.b, BM_MAP_FD, (uint32_t)m1);
	OK(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE));
	OK(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE)); /* again: nothing changes */
	put32(a.b, BM_MAP_FD, (uint32_t)m2);
	OK(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE));
	memset(info, 0, sizeof(info));
	put32(info, PI_NR_MAP_IDS, 4);
	putp(info, PI_MAP_IDS, ids);
	len = sizeof(info);
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(get32(info, PI_NR_MAP_IDS), 2);
	ck_assert_uint_eq(ids[0], map_id(m1));
	ck_assert_uint_eq(ids[1], map_id(m2));
	put32(a.b, BM_FLAGS, 1);
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, BM_FLAGS, 0);
	put32(a.b, BM_PROG_FD, 999);
	put32(a.b, BM_MAP_FD, 999);
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, BM_PROG_FD, (uint32_t)m1);
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, BM_PROG_FD, (uint32_t)fd);
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, BM_MAP_FD, (uint32_t)fd);
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, BM_FLAGS + 4, 1); /* past the command's last field */
	ERR(ubpf(EMU_BPF_PROG_BIND_MAP, a.b, EMU_ATTR_SIZE), EINVAL);
	close(fd);
	close(m1);
	close(m2);
}
END_TEST

START_TEST(enable_stats)
{
	struct attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	put32(a.b, ES_TYPE, 1);
	ERR(ubpf(EMU_BPF_ENABLE_STATS, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, ES_TYPE, 0);
	fd = ubpf(EMU_BPF_ENABLE_STATS, a.b, EMU_ATTR_SIZE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	put32(a.b, ES_END, 1);
	ERR(ubpf(EMU_BPF_ENABLE_STATS, a.b, EMU_ATTR_SIZE), EINVAL);
}
END_TEST


/* ---- across processes: pins, ids, and the maps a program holds ---- */

static bool listed(int cmd, uint32_t id)
{
	uint32_t cur = 0;
	struct attr a;

	for (;;) {
		memset(&a, 0, sizeof(a));
		put32(a.b, ID_START, cur);
		if (ubpf(cmd, a.b, EMU_ATTR_SIZE)) {
			ck_assert_int_eq(errno, ENOENT);
			return false;
		}
		cur = get32(a.b, ID_NEXT);
		if (cur == id)
			return true;
	}
}

static int by_id(int cmd, uint32_t id)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, id);
	return ubpf(cmd, a.b, EMU_ATTR_SIZE);
}

static bool gone_soon(int get_cmd, int next_cmd, uint32_t id)
{
	for (int i = 0; i < 100; i++) {
		int fd = by_id(get_cmd, id);

		if (fd < 0 && errno == ENOENT && !listed(next_cmd, id))
			return true;
		if (fd >= 0)
			close(fd);
		usleep(2000);
	}
	return false;
}

static uint32_t id_of_prog(int fd)
{
	unsigned char info[PI_SIZE];
	uint32_t len = sizeof(info);

	memset(info, 0, sizeof(info));
	ck_assert_int_eq(prog_info(fd, info, &len), 0);
	return get32(info, PI_ID);
}

static void unpin(const char *pin)
{
	char real[4096];

	/* the in-process API does not redirect unlink(): remove the emulated pin where it lives */
	if (unit_kernel())
		snprintf(real, sizeof(real), "%s", pin);
	else
		ck_assert_int_eq(emu_bpffs_translate(pin, real, sizeof(real)), 1);
	ck_assert_int_eq(unlink(real), 0);
}

/* A child loads a program naming a map (which it closes), pins the program and exits: the pin
 * keeps the program, the program its map, both findable by id; the pin's removal frees both. */
START_TEST(pin_keeps_prog_and_its_map)
{
	char pin[128];
	uint32_t ids[2];
	int up[2], fd, fd2;
	struct attr a;
	pid_t pid;

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/unit_prog_%d", (int)getpid());
	ck_assert_int_eq(pipe(up), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		int mfd = create(EMU_MAP_HASH, 4, 8, 4, 0), pfd;
		struct emu_insn insns[] = { LD_MAP_FD(1, mfd), MOV64I(0, 0), EXIT };
		struct attr l;

		pl_attr(&l, EMU_PROG_SOCKET_FILTER, insns, 4);
		pfd = pl(&l);
		if (mfd < 0 || pfd < 0)
			_exit(2);
		ids[0] = map_id(mfd);
		close(mfd);
		memset(&l, 0, sizeof(l));
		putp(l.b, PIN_PATH, pin);
		put32(l.b, PIN_FD, (uint32_t)pfd);
		if (ubpf(EMU_BPF_OBJ_PIN, l.b, EMU_ATTR_SIZE))
			_exit(3);
		ids[1] = id_of_prog(pfd);
		if (write(up[1], ids, sizeof(ids)) != (ssize_t)sizeof(ids))
			_exit(4);
		_exit(0);
	}
	close(up[1]);
	ck_assert_int_eq(read(up[0], ids, sizeof(ids)), (ssize_t)sizeof(ids));
	close(up[0]);
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_msg(listed(EMU_BPF_PROG_GET_NEXT_ID, ids[1]), "pinned program %u is not listed", ids[1]);
	ck_assert_msg(listed(EMU_BPF_MAP_GET_NEXT_ID, ids[0]), "map %u of a pinned program is not listed", ids[0]);
	/* OBJ_GET: a read-write fd whatever the flags ask (the kernel's program fds have no mode) */
	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, pin);
	put32(a.b, PIN_FILE_FLAGS, EMU_F_RDONLY);
	fd = ubpf(EMU_BPF_OBJ_GET, a.b, EMU_ATTR_SIZE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_uint_eq(id_of_prog(fd), ids[1]);
	put32(a.b, PIN_FILE_FLAGS, EMU_F_RDONLY | EMU_F_WRONLY);
	ERR(ubpf(EMU_BPF_OBJ_GET, a.b, EMU_ATTR_SIZE), EINVAL);
	/* by id, from this process */
	fd2 = by_id(EMU_BPF_PROG_GET_FD_BY_ID, ids[1]);
	ck_assert_int_ge(fd2, 0);
	close(fd2);
	close(fd);
	unpin(pin);
	ck_assert_msg(gone_soon(EMU_BPF_PROG_GET_FD_BY_ID, EMU_BPF_PROG_GET_NEXT_ID, ids[1]),
		      "program %u outlived its pin", ids[1]);
	ck_assert_msg(gone_soon(EMU_BPF_MAP_GET_FD_BY_ID, EMU_BPF_MAP_GET_NEXT_ID, ids[0]),
		      "map %u outlived the program that held it", ids[0]);
}
END_TEST

/* A program passed over a unix socket is the same program in the receiver. */
START_TEST(fd_over_socket)
{
	int sv[2], fd = mkprog(EMU_PROG_XDP, "passed");
	uint32_t id = id_of_prog(fd);
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		char c, cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &c, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		int got;

		close(fd);
		if (recvmsg(sv[1], &mh, 0) != 1 || !(cm = CMSG_FIRSTHDR(&mh)))
			_exit(2);
		memcpy(&got, CMSG_DATA(cm), sizeof(got));
		_exit(id_of_prog(got) == id ? 0 : 3);
	}
	{
		char c = 'x', cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &c, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
		ck_assert_int_eq(sendmsg(sv[0], &mh, 0), 1);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}
END_TEST


/* ---- BPF_PROG_TEST_RUN: the command's checks, copies and statistics ---- */


START_TEST(test_run_xdp)
{
	static const struct emu_insn pass[] = { MOV64I(0, 2), EXIT };
	unsigned char pkt[64], out[128];
	struct attr a, l;
	int fd, mfd;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (unsigned char)i;
	pl_attr(&l, EMU_PROG_XDP, pass, 2);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	memset(out, 0xee, sizeof(out));
	tr_attr(&a, fd, pkt, sizeof(pkt), out, sizeof(out));
	OK(test_run(&a));
	ck_assert_uint_eq(get32(a.b, TR_RETVAL), 2);
	ck_assert_uint_eq(get32(a.b, TR_DATA_SIZE_OUT), sizeof(pkt));
	ck_assert_mem_eq(out, pkt, sizeof(pkt));
	ck_assert_uint_eq(out[sizeof(pkt)], 0xee);
	/* a short data_out: the kernel's partial copy and ENOSPC */
	memset(out, 0xee, sizeof(out));
	tr_attr(&a, fd, pkt, sizeof(pkt), out, 10);
	ERR(test_run(&a), ENOSPC);
	ck_assert_mem_eq(out, pkt, 10);
	ck_assert_uint_eq(out[10], 0xee);
	ck_assert_uint_eq(get32(a.b, TR_DATA_SIZE_OUT), sizeof(pkt));
	/* data_out that faults */
	tr_attr(&a, fd, pkt, sizeof(pkt), (void *)8, sizeof(out));
	ERR(test_run(&a), EFAULT);
	/* the command's own checks */
	tr_attr(&a, fd, pkt, sizeof(pkt), out, sizeof(out));
	put32(a.b, TR_CTX_SIZE_IN, 4);
	ERR(test_run(&a), EINVAL);
	tr_attr(&a, fd, pkt, sizeof(pkt), out, sizeof(out));
	putp(a.b, TR_CTX_OUT, out);
	ERR(test_run(&a), EINVAL);
	tr_attr(&a, fd, pkt, sizeof(pkt), out, sizeof(out));
	put32(a.b, TR_END, 1);
	ERR(test_run(&a), EINVAL);
	tr_attr(&a, 999, pkt, sizeof(pkt), out, sizeof(out));
	ERR(test_run(&a), EBADF);
	mfd = mkmap(EMU_MAP_ARRAY, 4, 8, 1, 0);
	tr_attr(&a, mfd, pkt, sizeof(pkt), out, sizeof(out));
	ERR(test_run(&a), EINVAL);
	close(mfd);
	close(fd);
	/* a type without a test_run */
	fd = mkprog(EMU_PROG_TRACEPOINT, NULL);
	tr_attr(&a, fd, pkt, sizeof(pkt), out, sizeof(out));
	ERR(test_run(&a), EMU_ENOTSUPP);
	close(fd);
}
END_TEST

/* A program writes its global data through the ld_imm64 value pointer; user space sees it. */
START_TEST(test_run_global_data)
{
	int mfd = mkmap(EMU_MAP_ARRAY, 4, 32, 1, 0);
	struct emu_insn insns[] = { LD_MAP_VALUE(1, mfd, 16), I(0x7a, 1, 0, 0, 42), MOV64I(0, 0), EXIT };
	unsigned char pkt[64] = { 0 }, val[32];
	uint32_t key = 0;
	struct attr a, l;
	int fd;

	pl_attr(&l, EMU_PROG_SOCKET_FILTER, insns, 5);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	tr_attr(&a, fd, pkt, sizeof(pkt), NULL, 0);
	OK(test_run(&a));
	OK(lookup(mfd, &key, val, 0));
	ck_assert_uint_eq(get64(val, 16), 42);
	ck_assert_uint_eq(get64(val, 0), 0);
	close(fd);
	close(mfd);
}
END_TEST

/* Run count and time are recorded while a BPF_ENABLE_STATS fd is open, each repetition counted. */
START_TEST(test_run_stats)
{
	static const struct emu_insn pass[] = { MOV64I(0, 2), EXIT };
	unsigned char pkt[64] = { 0 }, info[PI_SIZE];
	uint32_t len;
	struct attr a, l;
	int fd, sfd;

	pl_attr(&l, EMU_PROG_XDP, pass, 2);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	memset(&l, 0, sizeof(l));
	sfd = ubpf(EMU_BPF_ENABLE_STATS, l.b, EMU_ATTR_SIZE);
	ck_assert_int_ge(sfd, 0);
	tr_attr(&a, fd, pkt, sizeof(pkt), NULL, 0);
	put32(a.b, TR_REPEAT, 5);
	OK(test_run(&a));
	memset(info, 0, sizeof(info));
	len = sizeof(info);
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(get64(info, PI_RUN_CNT), 5);
	ck_assert_uint_gt(get64(info, PI_RUN_TIME_NS), 0);
	close(sfd);
	tr_attr(&a, fd, pkt, sizeof(pkt), NULL, 0);
	OK(test_run(&a));
	memset(info, 0, sizeof(info));
	len = sizeof(info);
	OK(prog_info(fd, info, &len));
	ck_assert_uint_eq(get64(info, PI_RUN_CNT), 5);
	close(fd);
}
END_TEST

/* A TEST_RUN with ctx_in alone (RAW_TRACEPOINT, SYSCALL); its errno, retval through *ret */
static int run_ctx(int fd, void *ctx, uint32_t n, uint32_t *ret)
{
	struct attr a;
	int r;

	memset(&a, 0, sizeof(a));
	put32(a.b, TR_PROG_FD, (uint32_t)fd);
	putp(a.b, TR_CTX_IN, ctx);
	put32(a.b, TR_CTX_SIZE_IN, n);
	r = test_run(&a);
	*ret = get32(a.b, TR_RETVAL);
	return r ? errno : 0;
}

/* prog->aux->max_ctx_offset: the end of the furthest context access the verifier accepted.
 * RAW_TRACEPOINT and SYSCALL test runs refuse a shorter ctx_in with EINVAL (no context at all
 * included); accesses only in code the verifier proves dead do not count. */
START_TEST(test_run_max_ctx_offset)
{
	static const struct emu_insn rd16[] = { I(0x79, 0, 1, 16, 0), EXIT };       /* r0 = *(u64 *)(r1 + 16) */
	static const struct emu_insn sys[] = { I(0x62, 1, 0, 20, 5),               /* *(u32 *)(r1 + 20) = 5 */
					       I(0x61, 0, 1, 8, 0), EXIT };         /* r0 = *(u32 *)(r1 + 8) */
	static const struct emu_insn dead[] = { MOV64I(2, 0), I(0x15, 2, 0, 1, 0), /* if r2 == 0 goto +1 */
						I(0x71, 0, 1, 40, 0), MOV64I(0, 3), EXIT };
	uint64_t args[12] = { 7, 8, 9 };
	uint32_t ret;
	struct attr l;
	int fd;

	pl_attr(&l, EMU_PROG_RAW_TRACEPOINT, rd16, 2);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(run_ctx(fd, args, 16, &ret), EINVAL);
	ck_assert_int_eq(run_ctx(fd, args, 23, &ret), EINVAL);
	ck_assert_int_eq(run_ctx(fd, NULL, 0, &ret), EINVAL);
	ck_assert_int_eq(run_ctx(fd, args, 24, &ret), 0);
	ck_assert_uint_eq(ret, 9);
	close(fd);

	pl_attr(&l, EMU_PROG_SYSCALL, sys, 3);
	put32(l.b, PL_PROG_FLAGS, EMU_F_SLEEPABLE);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(run_ctx(fd, args, 20, &ret), EINVAL); /* the store reaches byte 24 */
	ck_assert_int_eq(run_ctx(fd, args, 24, &ret), 0);
	ck_assert_uint_eq(ret, 8);
	ck_assert_int_eq(run_ctx(fd, args, 32, &ret), 0);
	close(fd);

	pl_attr(&l, EMU_PROG_SYSCALL, dead, 5);
	put32(l.b, PL_PROG_FLAGS, EMU_F_SLEEPABLE);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(run_ctx(fd, args, 8, &ret), 0);
	ck_assert_uint_eq(ret, 3);
	close(fd);
}
END_TEST

/* bpf_get_attach_cookie in a raw tracepoint's test run: 0, with or without a context (the
 * kernel runs it under a zeroed run context; no attachment gives it a cookie) */
START_TEST(test_run_attach_cookie)
{
	static const struct emu_insn cookie[] = { CALL(EMU_FN_get_attach_cookie), EXIT };
	uint64_t args[3] = { 7, 8, 9 };
	uint32_t ret = 1;
	struct attr l;
	int fd;

	pl_attr(&l, EMU_PROG_RAW_TRACEPOINT, cookie, 2);
	fd = pl(&l);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(run_ctx(fd, args, 24, &ret), 0);
	ck_assert_uint_eq(ret, 0);
	ret = 1;
	ck_assert_int_eq(run_ctx(fd, NULL, 0, &ret), 0);
	ck_assert_uint_eq(ret, 0);
	close(fd);
}
END_TEST


/* exec'd by run_in_another_program: open the pin, run the program once, exit with its retval */
static int run_pinned(const char *pin)
{
	unsigned char pkt[64] = { 0 };
	struct attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, pin);
	fd = ubpf(EMU_BPF_OBJ_GET, a.b, EMU_ATTR_SIZE);
	if (fd < 0)
		return 100;
	tr_attr(&a, fd, pkt, sizeof(pkt), NULL, 0);
	if (test_run(&a))
		return 101;
	return (int)get32(a.b, TR_RETVAL);
}

/* Another program (exec'd: nothing of this process's views) opens the pin and runs the program:
 * the image is rebuilt there, its maps found by id, and what it writes is what this process
 * reads, through the global-data value and through a map helper. */
START_TEST(run_in_another_program)
{
	int vfd = mkmap(EMU_MAP_ARRAY, 4, 8, 1, 0), hfd = mkmap(EMU_MAP_HASH, 8, 8, 4, 0), fd;
	struct emu_insn insns[] = {
		LD_MAP_VALUE(1, vfd, 0), I(0x79, 2, 1, 0, 0), I(0x07, 2, 0, 0, 1), I(0x7b, 1, 2, 0, 0),
		I(0x7a, 10, 0, -8, 7), I(0x7a, 10, 0, -16, 42), LD_MAP_FD(1, hfd), I(0xbf, 2, 10, 0, 0),
		I(0x07, 2, 0, 0, -8), I(0xbf, 3, 10, 0, 0), I(0x07, 3, 0, 0, -16), MOV64I(4, 0),
		CALL(EMU_FN_map_update_elem), MOV64I(0, 5), EXIT,
	};
	uint64_t k = 7, v = 0;
	uint32_t z = 0;
	char pin[128];
	struct attr a;
	pid_t pid;

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, insns, sizeof(insns) / sizeof(insns[0]));
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "load: %s", errname(errno));
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/unit_prog_run_%d", (int)getpid());
	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, pin);
	put32(a.b, PIN_FD, (uint32_t)fd);
	OK(ubpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE));
	close(fd);
	for (int round = 1; round <= 2; round++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			char *argv[] = { (char *)"test_progobj", (char *)"--run-pin", pin, NULL };

			unit_exec_self(argv);
			_exit(127);
		}
		ck_assert_int_eq(wait_child(pid), 5);
		OK(lookup(vfd, &z, &v, 0));
		ck_assert_uint_eq(v, (uint64_t)round);
		OK(lookup(hfd, &k, &v, 0));
		ck_assert_uint_eq(v, 42);
	}
	unpin(pin);
	close(vfd);
	close(hfd);
}
END_TEST

int main(int argc, char **argv)
{
	TCase *obj, *att;
	Suite *s;

	if (argc == 3 && !strcmp(argv[1], "--run-pin"))
		return run_pinned(argv[2]);
	s = suite_create("progobj");
	obj = tcase_create("objects");
	att = tcase_create("run");

	unit_init(NULL);
	tcase_add_test(obj, info_trivial);
	tcase_add_test(obj, info_arrays);
	tcase_add_test(obj, info_errors);
	tcase_add_test(obj, fdinfo_lines);
	tcase_add_test(obj, ids);
	tcase_add_test(obj, fork_child);
	tcase_add_test(obj, bind_map);
	tcase_add_test(obj, enable_stats);
	tcase_add_test(obj, pin_keeps_prog_and_its_map);
	tcase_add_test(obj, fd_over_socket);
	suite_add_tcase(s, obj);
	tcase_add_test(att, test_run_xdp);
	tcase_add_test(att, test_run_global_data);
	tcase_add_test(att, test_run_stats);
	tcase_add_test(att, test_run_max_ctx_offset);
	tcase_add_test(att, test_run_attach_cookie);
	tcase_add_test(att, run_in_another_program);
	suite_add_tcase(s, att);
	return unit_run(s);
}
