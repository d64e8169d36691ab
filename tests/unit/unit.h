/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the Check unit tests. The tests assert the kernel's answers as recorded in
 * shared/kernel-semantics.md, without a kernel: they must pass where bpf() is forbidden.
 *
 * Two switches, both environment variables:
 *
 *  BPFEMU_UNIT_KERNEL=1  sends every call to the real bpf(2) instead of bpfemu_bpf(), and leaves
 *                        out the cases that only make sense for the emulator (its test API,
 *                        BPFEMU_NR_CPUS, "not emulated" answers). For a developer with root on a
 *                        6.18 kernel: it proves that an expectation written here is the kernel's,
 *                        not just the emulator's. Results that depend on the CPU count assume the
 *                        kernel's possible CPUs equal the emulator's setting; programs that
 *                        depend on it skip themselves otherwise. Registered as ctest's
 *                        kernel.* tests (label unit-kernel), skipped where bpf() is refused.
 *
 *  BPFEMU_UNIT_NO_WILD=1 leaves out the cases that hand the library pointers into unmapped,
 *                        PROT_NONE or read-only memory. The library turns the fault into EFAULT
 *                        with a SIGSEGV handler; valgrind reports the faulting access as an error
 *                        first, so a valgrind run would fail on a correct library. Under valgrind
 *                        these cases are left out without being asked (RUNNING_ON_VALGRIND).
 *                        NULL and pointers into page 0 stay in: the library refuses them without
 *                        touching memory, as every valgrind run can check.
 */
#ifndef BPFEMU_UNIT_H
#define BPFEMU_UNIT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "core/cpus.h"
#include "uapi/bpf_uapi.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNIT_HAVE_VALGRIND_H 1
#endif
#endif

/* The numbers of the 6.18 uapi (commands, map types, flags, attr and info offsets) come from the
 * project's one description of them, emu/uapi/bpf_uapi.h: the installed <linux/bpf.h> is older. */
#define PAGE 4096u
#ifndef EBADFD
#define EBADFD 77
#endif

/* Attr buffers are byte arrays, long enough for the >168-byte tail cases. */
struct attr {
	_Alignas(8) unsigned char b[PAGE + 64];
};

static inline void put32(void *base, unsigned off, uint32_t v) { memcpy((char *)base + off, &v, 4); }
static inline void put64(void *base, unsigned off, uint64_t v) { memcpy((char *)base + off, &v, 8); }
static inline void putp(void *base, unsigned off, const void *p) { put64(base, off, (uint64_t)(uintptr_t)p); }
static inline uint32_t get32(const void *base, unsigned off)
{
	uint32_t v;

	memcpy(&v, (const char *)base + off, 4);
	return v;
}
static inline uint64_t get64(const void *base, unsigned off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, 8);
	return v;
}

/* ---- switches ---- */

static inline bool unit_kernel(void)
{
	const char *e = getenv("BPFEMU_UNIT_KERNEL");

	return e && !strcmp(e, "1");
}

static inline bool unit_under_valgrind(void)
{
#ifdef UNIT_HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND;
#else
	return false;
#endif
}

static inline bool unit_wild_ok(void)
{
	const char *e = getenv("BPFEMU_UNIT_NO_WILD");

	return !(e && *e && strcmp(e, "0")) && !unit_under_valgrind();
}

/* ---- calls ---- */

static inline int ubpf(int cmd, void *attr, unsigned size)
{
	if (unit_kernel())
		return (int)syscall(__NR_bpf, cmd, attr, size);
	return bpfemu_bpf(cmd, attr, size);
}

/* Possible CPUs as libbpf counts them (emu/core/cpus.c's parser of the sysfs list). */
static inline int sysfs_possible_cpus(void)
{
	int n = emu_sysfs_possible_cpus();

	return n > 0 ? n : 0;
}

/* The CPU count per-CPU values are laid out for: the kernel's, or the emulator's setting. */
static inline int unit_ncpus(void)
{
	if (unit_kernel()) {
		int n = sysfs_possible_cpus();

		return n ? n : 1;
	}
	return bpfemu_num_possible_cpus();
}

static inline int map_create_attr(struct attr *a) { return ubpf(EMU_BPF_MAP_CREATE, a->b, EMU_ATTR_SIZE); }

static inline void mc_attr(struct attr *a, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
			   uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	put32(a->b, MC_TYPE, type);
	put32(a->b, MC_KEY_SIZE, ks);
	put32(a->b, MC_VALUE_SIZE, vs);
	put32(a->b, MC_MAX_ENTRIES, max);
	put32(a->b, MC_FLAGS, flags);
}

/* Raw MAP_CREATE: the fd, or -1 with errno. */
static inline int create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct attr a;

	mc_attr(&a, type, ks, vs, max, flags);
	return map_create_attr(&a);
}

/* MAP_CREATE that must succeed. */
#define mkmap(type, ks, vs, max, flags)                                                            \
	({                                                                                         \
		int fd_ = create((type), (ks), (vs), (max), (flags));                              \
		ck_assert_msg(fd_ >= 0, "create(%u, %u, %u, %u, %#x): errno %d (%s)", (unsigned)(type), \
			      (unsigned)(ks), (unsigned)(vs), (unsigned)(max), (unsigned)(flags), errno, \
			      errname(errno));                                                     \
		fd_;                                                                               \
	})

static inline int elem_cmd(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, EL_FD, (uint32_t)fd);
	putp(a.b, EL_KEY, key);
	putp(a.b, EL_VALUE, value);
	put64(a.b, EL_FLAGS, flags);
	return ubpf(cmd, a.b, EMU_ATTR_SIZE);
}

static inline int lookup(int fd, const void *k, void *v, uint64_t fl) { return elem_cmd(EMU_BPF_MAP_LOOKUP_ELEM, fd, k, v, fl); }
static inline int update(int fd, const void *k, const void *v, uint64_t fl) { return elem_cmd(EMU_BPF_MAP_UPDATE_ELEM, fd, k, v, fl); }
static inline int lookup_del(int fd, const void *k, void *v, uint64_t fl)
{
	return elem_cmd(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, k, v, fl);
}
static inline int delete(int fd, const void *k) { return elem_cmd(EMU_BPF_MAP_DELETE_ELEM, fd, k, NULL, 0); }
static inline int next_key(int fd, const void *k, void *nk) { return elem_cmd(EMU_BPF_MAP_GET_NEXT_KEY, fd, k, nk, 0); }

static inline int freeze(int fd)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(a.b, 0, (uint32_t)fd);
	return ubpf(EMU_BPF_MAP_FREEZE, a.b, EMU_ATTR_SIZE);
}

/* OBJ_GET_INFO_BY_FD; *len in and out as the kernel's info_len. */
static inline int get_info(int fd, void *info, uint32_t *len)
{
	struct attr a;
	int r;

	memset(&a, 0, sizeof(a));
	put32(a.b, INFO_FD, (uint32_t)fd);
	put32(a.b, INFO_LEN, *len);
	putp(a.b, INFO_PTR, info);
	r = ubpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE);
	*len = get32(a.b, INFO_LEN);
	return r;
}

static inline uint32_t map_id(int fd)
{
	unsigned char info[MI_SIZE];
	uint32_t len = sizeof(info);

	memset(info, 0, sizeof(info));
	ck_assert_int_eq(get_info(fd, info, &len), 0);
	return get32(info, MI_ID);
}

/* ---- assertions ---- */

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBADFD: return "EBADFD";
	case EUCLEAN: return "EUCLEAN";
	case EMU_ENOTSUPP: return "ENOTSUPP(524)";
	default: return "?";
	}
}

/* The call fails with exactly this errno. */
#define ERR(call, want)                                                                            \
	do {                                                                                       \
		int want_ = (want);                                                                \
		long r_;                                                                           \
		int e_;                                                                            \
		errno = 0;                                                                         \
		r_ = (long)(call);                                                                 \
		e_ = errno;                                                                        \
		ck_assert_msg(r_ == -1 && e_ == want_, "%s = %ld, errno %d %s; want -1, %s", #call, r_, \
			      e_, errname(e_), errname(want_));                                    \
	} while (0)

/* The call returns 0. */
#define OK(call)                                                                                   \
	do {                                                                                       \
		long r_;                                                                           \
		int e_;                                                                            \
		errno = 0;                                                                         \
		r_ = (long)(call);                                                                 \
		e_ = errno;                                                                        \
		ck_assert_msg(r_ == 0, "%s = %ld, errno %d %s; want 0", #call, r_, e_, errname(e_)); \
	} while (0)

/* ---- iteration ---- */

/* All u32 keys in GET_NEXT_KEY order; the walk must end with ENOENT. */
static inline int walk_u32(int fd, uint32_t *out, int cap)
{
	uint32_t k, nk;
	int n = 0;
	const void *prev = NULL;

	for (;;) {
		errno = 0;
		if (next_key(fd, prev, &nk)) {
			ck_assert_msg(errno == ENOENT, "GET_NEXT_KEY ended with %s", errname(errno));
			return n;
		}
		ck_assert_msg(n < cap, "more keys than expected");
		out[n++] = nk;
		k = nk;
		prev = &k;
	}
}

/* "2 3 1"-style rendering for messages and comparisons. */
static inline const char *u32s(const uint32_t *v, int n)
{
	static __thread char buf[4096];
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < n && off < sizeof(buf) - 16; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u", i ? " " : "", v[i]);
	return buf;
}

#define ASSERT_ORDER(fd, expect_str)                                                               \
	do {                                                                                       \
		uint32_t got_[1024];                                                               \
		int n_ = walk_u32((fd), got_, 1024);                                               \
		ck_assert_str_eq(u32s(got_, n_), (expect_str));                                    \
	} while (0)

static inline int count_keys(int fd, uint32_t key_size)
{
	unsigned char k[2][512];
	int n = 0, cur = 0;
	const void *prev = NULL;

	ck_assert_uint_le(key_size, sizeof(k[0]));
	while (!next_key(fd, prev, k[cur])) {
		prev = k[cur];
		cur ^= 1;
		n++;
	}
	ck_assert_int_eq(errno, ENOENT);
	return n;
}

/* ---- memory that faults ---- */

/* Two pages: the first read-write, the second PROT_NONE. Returns the end of the first page, so
 * `end - n` is an n-byte buffer whose next byte faults. */
static inline unsigned char *guarded_end(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(mprotect(p + PAGE, PAGE, PROT_NONE), 0);
	return p + PAGE;
}

static inline void guarded_free(unsigned char *end) { munmap(end - PAGE, 2 * PAGE); }

/* A page that can be read but not written, filled with `fill`. */
static inline unsigned char *ro_page(int fill)
{
	unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, fill, PAGE);
	ck_assert_int_eq(mprotect(p, PAGE, PROT_READ), 0);
	return p;
}

/* An address that is certainly not mapped: a page reserved and given back. */
static inline void *unmapped_addr(void)
{
	void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p, PAGE);
	return p;
}

/* ---- processes ---- */

/* This program's path, for re-executing itself. Resolved through readlink, which valgrind
 * answers with the program under test rather than its own launcher. */
static inline const char *unit_self_exe(void)
{
	static char path[4096];

	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n <= 0)
			return "/proc/self/exe";
		path[n] = 0;
	}
	return path;
}

/* Re-execute this program with argv (argv[0] is its name). A cross-built test run under qemu-user
 * (UNIT_EXEC_WRAPPER=qemu-aarch64, set by ctest) must exec the emulator, not its own binary. */
static inline void unit_exec_self(char **argv)
{
	const char *wrapper = getenv("UNIT_EXEC_WRAPPER");

	if (wrapper && *wrapper) {
		char *wargv[16];
		int n = 0;

		wargv[n++] = (char *)wrapper;
		wargv[n++] = (char *)unit_self_exe();
		for (int i = 1; argv[i] && n < 15; i++)
			wargv[n++] = argv[i];
		wargv[n] = NULL;
		execvp(wrapper, wargv);
		return;
	}
	execv(unit_self_exe(), argv);
}

/* Wait for a child and return its exit status (or 128 + signal). */
static inline int wait_child(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- stderr capture ---- */

struct capture {
	int saved, file;
};

static inline void capture_start(struct capture *c)
{
	fflush(stderr);
	c->file = memfd_create("unit-stderr", MFD_CLOEXEC);
	ck_assert_int_ge(c->file, 0);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(c->file, 2), 2);
}

/* Restores stderr; returns what was written, NUL-terminated, in buf. */
static inline const char *capture_end(struct capture *c, char *buf, size_t cap)
{
	ssize_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	n = pread(c->file, buf, cap - 1, 0);
	close(c->file);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- running ---- */

/* Kernel mode without a usable bpf() (or without CAP_SYS_ADMIN, which BPF_F_ZERO_SEED needs):
 * the program is skipped with exit 77, ctest's SKIP_RETURN_CODE, unless BPFEMU_REQUIRE_KERNEL=1
 * says the kernel must be there, as in CI. */
static inline void unit_skip(const char *why)
{
	const char *req = getenv("BPFEMU_REQUIRE_KERNEL");

	fprintf(stderr, "%s: %s\n", req && !strcmp(req, "1") ? "error" : "skipped", why);
	exit(req && !strcmp(req, "1") ? EXIT_FAILURE : 77);
}

static inline void unit_probe_kernel(void)
{
	unsigned char a[EMU_ATTR_SIZE];
	char why[160];
	int fd;

	memset(a, 0, sizeof(a));
	put32(a, MC_TYPE, EMU_MAP_HASH);
	put32(a, MC_KEY_SIZE, 4);
	put32(a, MC_VALUE_SIZE, 4);
	put32(a, MC_MAX_ENTRIES, 1);
	put32(a, MC_FLAGS, EMU_F_ZERO_SEED);
	fd = (int)syscall(__NR_bpf, EMU_BPF_MAP_CREATE, a, EMU_ATTR_SIZE);
	if (fd >= 0) {
		close(fd);
		return;
	}
	snprintf(why, sizeof(why), "BPFEMU_UNIT_KERNEL=1 but bpf(BPF_MAP_CREATE) fails here: %s", strerror(errno));
	unit_skip(why);
}

/* Kernel mode for a program whose expectations hold for one CPU count only. */
static inline void unit_kernel_needs_cpus(int n)
{
	char why[160];

	if (!unit_kernel() || unit_ncpus() == n)
		return;
	snprintf(why, sizeof(why), "these results are for %d possible CPUs, the kernel has %d", n, unit_ncpus());
	unit_skip(why);
}

/*
 * Every test program starts here: fix the CPU count the emulator lays per-CPU maps out for (it
 * is read once per process, so before the first call), and run on one CPU: CPU 0, where the LRU
 * data points were measured, or the first one allowed. Both the kernel and the emulator take an
 * LRU insert's node from the lists of the CPU the caller runs on, so a test that migrated between
 * CPUs halfway would see other evictions (tests/diff/diff_lru_cpu.c covers that on purpose).
 */
static inline void unit_init(const char *nr_cpus)
{
	cpu_set_t set, allowed;

	if (unit_kernel())
		unit_probe_kernel();
	else if (nr_cpus)
		setenv("BPFEMU_NR_CPUS", nr_cpus, 1);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) && !sched_getaffinity(0, sizeof(allowed), &allowed)) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &allowed)) {
				CPU_ZERO(&set);
				CPU_SET(c, &set);
				sched_setaffinity(0, sizeof(set), &set);
				break;
			}
	}
}

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Emulator-only and wild-pointer test cases exist only where they apply: these return the test
 * case, already in the suite, or NULL (and nothing is created that valgrind would call leaked). */
static inline TCase *emu_tcase(Suite *s)
{
	TCase *tc;

	if (unit_kernel())
		return NULL;
	tc = tcase_create("emulator");
	suite_add_tcase(s, tc);
	return tc;
}

static inline TCase *wild_tcase(Suite *s)
{
	TCase *tc;

	if (!unit_wild_ok()) {
		fprintf(stderr, "note: wild-pointer cases left out (valgrind or BPFEMU_UNIT_NO_WILD)\n");
		return NULL;
	}
	tc = tcase_create("wild");
	suite_add_tcase(s, tc);
	return tc;
}

/* The same choice for a test case built beforehand (test_batch.c's style): it joins the suite,
 * or is freed through a runner that never runs it, Check having no other way to free one. */
static inline void unit_discard_tcase(TCase *tc)
{
	Suite *parking = suite_create("discarded");

	suite_add_tcase(parking, tc);
	srunner_free(srunner_create(parking));
}

static inline void add_emu_tcase(Suite *s, TCase *tc)
{
	if (unit_kernel())
		unit_discard_tcase(tc);
	else
		suite_add_tcase(s, tc);
}

static inline void add_wild_tcase(Suite *s, TCase *tc)
{
	if (unit_wild_ok()) {
		suite_add_tcase(s, tc);
		return;
	}
	fprintf(stderr, "note: wild-pointer cases left out (valgrind or BPFEMU_UNIT_NO_WILD)\n");
	unit_discard_tcase(tc);
}

/* Adding to an optional test case that is not there is a no-op. */
#define opt_add_test(tc, fn)                                                                       \
	do {                                                                                       \
		if (tc)                                                                            \
			tcase_add_test(tc, fn);                                                    \
	} while (0)
#define opt_add_loop_test(tc, fn, from, to)                                                        \
	do {                                                                                       \
		if (tc)                                                                            \
			tcase_add_loop_test(tc, fn, from, to);                                     \
	} while (0)

#endif
