/* SPDX-License-Identifier: MIT */
/*
 * libbpfemu-preload.so: runs unmodified programs against emulated maps.
 *
 * bpf() reaches the kernel through glibc's syscall(), so that is the one entry point for map
 * commands. The rest of this file answers what real clients ask around those commands, so they
 * cannot tell the difference: what an fd is (readlink of /proc/self/fd/N), its fdinfo, and the
 * bpf filesystem at /sys/fs/bpf (statfs type, and every path operation bpftool and rm do there),
 * redirected to the per-user directory that holds pinned maps.
 *
 * Real functions are resolved lazily with dlsym(RTLD_NEXT). A per-thread depth counter keeps our
 * own calls (the emulator opens and stats files too) from being intercepted again.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))
#define BPF_FS_MAGIC 0xcafe4a11

int shim_debug;
/* The recursion guard: our own calls (the emulator opens and stats files too) pass through.
 * Hidden, not static: syscall()'s assembly entry (x86-64) reads it too. */
__attribute__((visibility("hidden"))) __thread int shim_depth __attribute__((tls_model("initial-exec")));
#define depth shim_depth

static void shim_init(void) __attribute__((constructor));
static void shim_init(void)
{
	const char *d = secure_getenv("BPFEMU_DEBUGLEVEL");

	shim_debug = d ? atoi(d) : 0;
	emu_fdcache_enable();
}

void shim_log(const char *fmt, ...)
{
	char line[768];
	va_list ap;
	int n = snprintf(line, sizeof(line), "bpfemu[%d]: ", (int)getpid());

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line keeps lines whole when threads and processes share stderr */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* Look the next definition up once; a NULL result is fatal only if the program calls it. */
#define REAL(ret, name, ...)                                                                        \
	static ret (*real_##name)(__VA_ARGS__);                                                     \
	static inline ret (*get_##name(void))(__VA_ARGS__)                                          \
	{                                                                                           \
		if (!__atomic_load_n(&real_##name, __ATOMIC_ACQUIRE))                              \
			__atomic_store_n(&real_##name, (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name), \
					 __ATOMIC_RELEASE);                                         \
		return real_##name;                                                                 \
	}

REAL(long, syscall, long, long, long, long, long, long, long)
REAL(ssize_t, readlink, const char *, char *, size_t)
REAL(ssize_t, readlinkat, int, const char *, char *, size_t)
REAL(FILE *, fopen, const char *, const char *)
REAL(FILE *, fopen64, const char *, const char *)
REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(int, __openat_2, int, const char *, int)
REAL(int, __openat64_2, int, const char *, int)
REAL(int, statfs, const char *, struct statfs *)
REAL(int, statfs64, const char *, struct statfs64 *)
REAL(int, fstatfs, int, struct statfs *)
REAL(int, fstatfs64, int, struct statfs64 *)
REAL(int, statvfs, const char *, struct statvfs *)
REAL(int, statvfs64, const char *, struct statvfs64 *)
REAL(int, stat, const char *, struct stat *)
REAL(int, stat64, const char *, struct stat64 *)
REAL(int, lstat, const char *, struct stat *)
REAL(int, lstat64, const char *, struct stat64 *)
REAL(int, fstatat, int, const char *, struct stat *, int)
REAL(int, fstatat64, int, const char *, struct stat64 *, int)
REAL(int, statx, int, const char *, int, unsigned, struct statx *)
REAL(int, __xstat, int, const char *, struct stat *)
REAL(int, __lxstat, int, const char *, struct stat *)
REAL(int, __fxstatat, int, int, const char *, struct stat *, int)
REAL(int, access, const char *, int)
REAL(int, faccessat, int, const char *, int, int)
REAL(int, mkdir, const char *, mode_t)
REAL(int, mkdirat, int, const char *, mode_t)
REAL(int, rmdir, const char *)
REAL(int, unlink, const char *)
REAL(int, unlinkat, int, const char *, int)
REAL(int, rename, const char *, const char *)
REAL(int, renameat, int, const char *, int, const char *)
REAL(int, chdir, const char *)
REAL(DIR *, opendir, const char *)
REAL(int, mount, const char *, const char *, const char *, unsigned long, const void *)
REAL(void *, mmap, void *, size_t, int, int, int, off_t)
REAL(void *, mmap64, void *, size_t, int, int, int, off64_t)
REAL(int, close, int)
REAL(int, close_range, unsigned, unsigned, int)
REAL(void, closefrom, int)
REAL(int, dup2, int, int)
REAL(int, dup3, int, int, int)

/* ---- bpf() ---- */

/* Trace and diff mode are fixed by the environment at the first call: after it, one load tells
 * a plain call from one that needs either (two calls and their loads were ~3% of a lookup). */
enum { MODE_UNKNOWN, MODE_PLAIN, MODE_TRACE = 2, MODE_DIFF = 4 };
static int bpf_mode;

static int get_bpf_mode(void)
{
	int m = __atomic_load_n(&bpf_mode, __ATOMIC_RELAXED);

	if (m == MODE_UNKNOWN) {
		m = (shim_trace_enabled() ? MODE_TRACE : 0) | (shim_diff_enabled() ? MODE_DIFF : 0);
		if (!m)
			m = MODE_PLAIN;
		__atomic_store_n(&bpf_mode, m, __ATOMIC_RELAXED);
	}
	return m;
}

/* A call traced or run against the kernel too. */
__attribute__((noinline)) static long do_bpf_observed(int mode, long cmd, long uattr, long size)
{
	struct emu_attr a, before;
	bool trace = mode & MODE_TRACE;
	long ret;
	int err = 0;

	if (mode & MODE_DIFF) {
		/* BPFEMU_DIFF: the kernel answers too, and the two are compared (diffmode.c) */
		ret = shim_diff_bpf((int)cmd, (union bpf_attr *)uattr, (unsigned)size, &before);
	} else {
		ret = emu_bpf_copy_attr(&a, (const union bpf_attr *)uattr, (unsigned)size);
		/* Only the trace reads the attr as it came in. Copying it on every call cost more than
		 * the rest of a lookup: it reads bytes just stored in other widths and stalls on
		 * store-to-load forwarding. */
		if (trace)
			before = a;
		if (!ret)
			ret = emu_bpf_dispatch((int)cmd, &a, (union bpf_attr *)uattr);
	}
	if (ret < 0) {
		err = (int)-ret;
		ret = -1;
	}
	if (trace)
		shim_trace_call((int)cmd, (const void *)uattr, (unsigned)size, &before, ret, err);
	if (ret < 0)
		errno = err;
	return ret;
}

/* The two ways on from syscall(): hidden, not static, so that their names and calling
 * conventions stay as declared for the assembly entry below. */
__attribute__((visibility("hidden"))) long shim_bpf_call(long cmd, long uattr, long size);
__attribute__((visibility("hidden"))) long shim_other_syscall(long nr, long a0, long a1, long a2, long a3,
							     long a4, long a5);

long shim_bpf_call(long cmd, long uattr, long size)
{
	int mode = get_bpf_mode();
	long ret;

	depth++;
	/* the plain call apart: the trace's copy of the attr made its frame three times larger */
	if (__builtin_expect(mode != MODE_PLAIN, 0))
		ret = do_bpf_observed(mode, cmd, uattr, size);
	else
		ret = emu_bpf_call((int)cmd, (union bpf_attr *)uattr, (unsigned)size);
	depth--;
	return ret;
}

long shim_other_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	/* fd numbers that stop naming what they named must leave the fd cache */
	switch (nr) {
	case SYS_close:
		emu_fdcache_forget((int)a0);
		break;
	case SYS_close_range:
		if (!(a2 & CLOSE_RANGE_CLOEXEC))
			emu_fdcache_forget_range((unsigned)a0, (unsigned)a1);
		break;
#ifdef SYS_dup2 /* arm64 and other newer ABIs have only dup3 */
	case SYS_dup2:
#endif
	case SYS_dup3:
		emu_fdcache_forget((int)a1);
		break;
	default:
		break;
	}
	return get_syscall()(nr, a0, a1, a2, a3, a4, a5);
}

#ifndef SHIM_ASM_SYSCALL_ENTRY
/* The portable entry; x86-64 builds use shim/arch/x86_64/syscall_entry.S instead. */
EXPORT long syscall(long nr, ...)
{
	long a0, a1, a2, a3, a4, a5;
	va_list ap;

	/* The variadic ABI hands us six longs whatever the syscall; forward all of them. */
	va_start(ap, nr);
	a0 = va_arg(ap, long);
	a1 = va_arg(ap, long);
	a2 = va_arg(ap, long);
	if (nr == SYS_bpf && !depth) {
		va_end(ap);
		return shim_bpf_call(a0, a1, a2);
	}
	a3 = va_arg(ap, long);
	a4 = va_arg(ap, long);
	a5 = va_arg(ap, long);
	va_end(ap);
	return shim_other_syscall(nr, a0, a1, a2, a3, a4, a5);
}
#endif

/* ---- mmap of a map fd: only an MMAPABLE array's values, as in the kernel ---- */

static void *map_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, bool *handled)
{
	off_t file_off;
	int r;

	*handled = false;
	if ((flags & MAP_ANONYMOUS) || fd < 0 || depth)
		return NULL;
	depth++;
	r = emu_map_mmap_check(fd, len, prot, flags, off, &file_off);
	depth--;
	if (r == 1)
		return NULL;
	*handled = true;
	if (r < 0) {
		errno = -r;
		return MAP_FAILED;
	}
	if (shim_debug)
		shim_log("mmap(fd %d, offset %lld): emulated array values", fd, (long long)off);
	return get_mmap()(addr, len, prot, flags, fd, file_off);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	bool handled;
	void *p = map_mmap(addr, len, prot, flags, fd, off, &handled);

	return handled ? p : get_mmap()(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	bool handled;
	void *p = map_mmap(addr, len, prot, flags, fd, off, &handled);

	return handled ? p : get_mmap64()(addr, len, prot, flags, fd, off);
}

/* ---- fd numbers that change what they name ---- */

EXPORT int close(int fd)
{
	emu_fdcache_forget(fd);
	return get_close()(fd);
}

EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		emu_fdcache_forget_range(lo, hi);
	return get_close_range()(lo, hi, flags);
}

EXPORT void closefrom(int lo)
{
	if (lo >= 0)
		emu_fdcache_forget_range((unsigned)lo, UINT_MAX);
	get_closefrom()(lo);
}

EXPORT int dup2(int oldfd, int newfd)
{
	int r = get_dup2()(oldfd, newfd);

	if (r >= 0 && oldfd != newfd)
		emu_fdcache_forget(newfd);
	return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int r = get_dup3()(oldfd, newfd, flags);

	if (r >= 0)
		emu_fdcache_forget(newfd);
	return r;
}

/* glibc declares path arguments nonnull, but a program may still pass NULL and expect EFAULT
 * from the kernel; hide the pointer from the optimizer so our NULL checks survive. */
static inline const char *opaque(const char *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* ---- what an fd is ---- */

/* "/proc/self/fd/N", "/proc/thread-self/fd/N", "/proc/<our pid>/fd/N" → N; kind is "fd" or "fdinfo" */
static int proc_fd_number(const char *path, const char *kind)
{
	const char *p;
	char *end;
	long v;
	size_t kl = strlen(kind);

	if (!opaque(path) || strncmp(path, "/proc/", 6))
		return -1;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
	} else {
		long pid = strtol(p, &end, 10);

		if (end == p || *end != '/' || pid != getpid())
			return -1;
		p = end + 1;
	}
	if (strncmp(p, kind, kl) || p[kl] != '/')
		return -1;
	p += kl + 1;
	v = strtol(p, &end, 10);
	if (end == p || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

static const char *anon_name(int fd)
{
	if (bpfemu_is_map_fd(fd))
		return "anon_inode:bpf-map";
	if (emu_is_prog_fd(fd))
		return "anon_inode:bpf-prog";
	if (emu_is_btf_fd(fd))
		return "anon_inode:btf";
	return NULL;
}

static ssize_t fake_link(const char *path, char *buf, size_t len, bool *handled)
{
	int fd = proc_fd_number(path, "fd");
	const char *name;
	size_t n;

	*handled = false;
	if (fd < 0)
		return 0;
	depth++;
	name = anon_name(fd);
	depth--;
	if (!name)
		return 0;
	*handled = true;
	n = strlen(name);
	if (n > len)
		n = len;
	memcpy(buf, name, n);
	if (shim_debug)
		shim_log("readlink(\"%s\") = \"%s\" (emulated object)", path, name);
	return (ssize_t)n;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	bool handled;
	ssize_t r;

	if (!depth) {
		r = fake_link(path, buf, len, &handled);
		if (handled)
			return r;
	}
	return get_readlink()(path, buf, len);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	bool handled;
	ssize_t r;

	if (!depth && opaque(path) && path[0] == '/') {
		r = fake_link(path, buf, len, &handled);
		if (handled)
			return r;
	}
	return get_readlinkat()(dirfd, path, buf, len);
}

/* The text the kernel shows in /proc/self/fdinfo/N for a map or a BTF object, or NULL. Caller frees. */
static char *fdinfo_text(int fd, size_t *len)
{
	char head[512] = "", maps[512], line[256], path[64];
	unsigned long long mnt = 0, ino = 0;
	int fl, fdfl, n;
	FILE *real;
	char *out;

	depth++;
	n = emu_fdinfo(fd, maps, sizeof(maps));
	if (n < 0) {
		depth--;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	real = get_fopen()(path, "re");
	if (real) {
		while (fgets(line, sizeof(line), real)) {
			if (sscanf(line, "mnt_id: %llu", &mnt) == 1 || sscanf(line, "ino: %llu", &ino) == 1)
				continue;
		}
		fclose(real);
	}
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	depth--;
	/* the kernel's map and BTF files carry only the access mode and close-on-exec */
	snprintf(head, sizeof(head), "pos:\t0\nflags:\t0%o\nmnt_id:\t%llu\nino:\t%llu\n",
		 (unsigned)((fl & O_ACCMODE) | ((fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0)), mnt, ino);
	*len = strlen(head) + (size_t)n;
	out = malloc(*len + 1);
	if (out) {
		strcpy(out, head);
		strcat(out, maps);
	}
	return out;
}

/*
 * With BPFEMU_NR_CPUS the program must see that many possible CPUs too: libbpf sizes per-CPU
 * value buffers from /sys/devices/system/cpu/possible, and a mismatch would overrun them.
 */
static const char *possible_cpus_text(const char *path, char *buf, size_t len)
{
	if (!opaque(path) || strcmp(path, "/sys/devices/system/cpu/possible") || !secure_getenv("BPFEMU_NR_CPUS"))
		return NULL;
	depth++;
	snprintf(buf, len, "0-%u\n", emu_nr_cpus() - 1);
	if (emu_nr_cpus() == 1)
		snprintf(buf, len, "0\n");
	depth--;
	if (shim_debug)
		shim_log("open(\"%s\"): %u possible CPUs (BPFEMU_NR_CPUS)", path, emu_nr_cpus());
	return buf;
}

static FILE *text_file(const char *text)
{
	size_t len = strlen(text);
	FILE *f;

	depth++;
	f = fmemopen(NULL, len + 1, "w+");
	if (f) {
		fwrite(text, 1, len, f);
		rewind(f);
	}
	depth--;
	return f;
}

static int text_fd(const char *text)
{
	size_t len = strlen(text);
	int mfd = memfd_create("bpfemu-text", MFD_CLOEXEC);

	if (mfd >= 0 && (write(mfd, text, len) != (ssize_t)len || lseek(mfd, 0, SEEK_SET))) {
		close(mfd);
		mfd = -1;
	}
	return mfd;
}

static FILE *fake_cpus_file(const char *path)
{
	char buf[32];
	const char *t = possible_cpus_text(path, buf, sizeof(buf));

	return t ? text_file(t) : NULL;
}

static int fake_cpus_fd(const char *path)
{
	char buf[32];
	const char *t = possible_cpus_text(path, buf, sizeof(buf));

	return t ? text_fd(t) : -1;
}

static FILE *fake_fdinfo_file(const char *path)
{
	int fd = proc_fd_number(path, "fdinfo");
	size_t len;
	char *text;
	FILE *f;

	if (fd < 0)
		return NULL;
	text = fdinfo_text(fd, &len);
	if (!text)
		return NULL;
	f = text_file(text);
	free(text);
	if (f && shim_debug)
		shim_log("fopen(\"%s\"): emulated map fdinfo", path);
	return f;
}

static int fake_fdinfo_fd(const char *path)
{
	int fd = proc_fd_number(path, "fdinfo"), mfd;
	size_t len;
	char *text;

	if (fd < 0)
		return -1;
	text = fdinfo_text(fd, &len);
	if (!text)
		return -1;
	mfd = text_fd(text);
	free(text);
	if (mfd >= 0 && shim_debug)
		shim_log("open(\"%s\"): emulated map fdinfo", path);
	return mfd;
}

/* ---- the bpf filesystem ---- */

/* Rewrites a path on /sys/fs/bpf to the emulated root. Returns the path to use (buf or the
 * original) and sets *on when the path is on the emulated bpffs. */
static const char *bpffs_path(const char *path, char *buf, size_t len, bool *on)
{
	int r;

	*on = false;
	if (!opaque(path) || depth)
		return path;
	depth++;
	r = emu_bpffs_translate(path, buf, len);
	if (r == 1)
		emu_bpffs_ensure_root(); /* the mount point always exists, as /sys/fs/bpf does */
	depth--;
	if (r != 1)
		return path;
	*on = true;
	if (shim_debug > 1)
		shim_log("path \"%s\" -> \"%s\"", path, buf);
	return buf;
}

/* A path relative to a directory fd needs no rewriting: the fd already is inside the real root. */
static const char *bpffs_path_at(int dirfd, const char *path, char *buf, size_t len, bool *on)
{
	if (opaque(path) && path[0] != '/' && dirfd != AT_FDCWD) {
		*on = false;
		return path;
	}
	return bpffs_path(path, buf, len, on);
}

/* open(2) of a pinned object fails with EIO on bpffs; directories open normally. */
static bool pinned_object(const char *real)
{
	struct stat st;

	return !get_stat()(real, &st) && S_ISREG(st.st_mode);
}

static bool wants_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

#define OPEN_BODY(call_real)                                                                        \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	mode_t mode = 0;                                                                            \
	int fd;                                                                                     \
	if (wants_mode(flags)) {                                                                    \
		va_list ap;                                                                         \
		va_start(ap, flags);                                                                \
		mode = va_arg(ap, mode_t);                                                          \
		va_end(ap);                                                                         \
	}                                                                                           \
	if (!depth && ((fd = fake_fdinfo_fd(path)) >= 0 || (fd = fake_cpus_fd(path)) >= 0))           \
		return fd;                                                                          \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	if (on && pinned_object(path)) {                                                            \
		errno = EIO;                                                                        \
		return -1;                                                                          \
	}                                                                                           \
	return call_real;

EXPORT int open(const char *path, int flags, ...) { OPEN_BODY(get_open()(path, flags, mode)) }
EXPORT int open64(const char *path, int flags, ...) { OPEN_BODY(get_open64()(path, flags, mode)) }
EXPORT int __open_2(const char *path, int flags)
{
	return open(path, flags);
}
EXPORT int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

#define OPENAT_BODY(call_real)                                                                      \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	mode_t mode = 0;                                                                            \
	int fd;                                                                                     \
	if (wants_mode(flags)) {                                                                    \
		va_list ap;                                                                         \
		va_start(ap, flags);                                                                \
		mode = va_arg(ap, mode_t);                                                          \
		va_end(ap);                                                                         \
	}                                                                                           \
	if (!depth && opaque(path) && path[0] == '/' &&                                             \
	    ((fd = fake_fdinfo_fd(path)) >= 0 || (fd = fake_cpus_fd(path)) >= 0))                   \
		return fd;                                                                          \
	path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                                   \
	if (on && pinned_object(path)) {                                                            \
		errno = EIO;                                                                        \
		return -1;                                                                          \
	}                                                                                           \
	return call_real;

EXPORT int openat(int dirfd, const char *path, int flags, ...) { OPENAT_BODY(get_openat()(dirfd, path, flags, mode)) }
EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPENAT_BODY(get_openat64()(dirfd, path, flags, mode))
}
EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}
EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	bool on;
	FILE *f;

	if (!depth && ((f = fake_fdinfo_file(path)) || (f = fake_cpus_file(path))))
		return f;
	path = bpffs_path(path, buf, sizeof(buf), &on);
	if (on && pinned_object(path)) {
		errno = EIO;
		return NULL;
	}
	return get_fopen()(path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	bool on;
	FILE *f;

	if (!depth && ((f = fake_fdinfo_file(path)) || (f = fake_cpus_file(path))))
		return f;
	path = bpffs_path(path, buf, sizeof(buf), &on);
	if (on && pinned_object(path)) {
		errno = EIO;
		return NULL;
	}
	return get_fopen64()(path, mode);
}

/* statfs on the emulated bpffs reports bpffs, so bpftool does not try to mount one. */
#define STATFS_BODY(real_call)                                                                      \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	int r;                                                                                      \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	r = real_call;                                                                              \
	if (!r && on) {                                                                             \
		st->f_type = BPF_FS_MAGIC;                                                          \
		if (shim_debug)                                                                     \
			shim_log("statfs(\"%s\"): emulated bpffs", path);                           \
	}                                                                                           \
	return r;

EXPORT int statfs(const char *path, struct statfs *st) { STATFS_BODY(get_statfs()(path, st)) }
EXPORT int statfs64(const char *path, struct statfs64 *st) { STATFS_BODY(get_statfs64()(path, st)) }

static bool fd_on_bpffs(int fd)
{
	char p[64], target[PATH_MAX];
	const char *root;
	ssize_t n;
	size_t rl;

	if (depth)
		return false;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = get_readlink()(p, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = 0;
	depth++;
	root = emu_bpffs_root();
	depth--;
	rl = strlen(root);
	return !strncmp(target, root, rl) && (target[rl] == '/' || !target[rl]);
}

EXPORT int fstatfs(int fd, struct statfs *st)
{
	int r = get_fstatfs()(fd, st);

	if (!r && fd_on_bpffs(fd))
		st->f_type = BPF_FS_MAGIC;
	return r;
}

EXPORT int fstatfs64(int fd, struct statfs64 *st)
{
	int r = get_fstatfs64()(fd, st);

	if (!r && fd_on_bpffs(fd))
		st->f_type = BPF_FS_MAGIC;
	return r;
}

/* Path operations: the same call on the rewritten path. */
#define PATH1(ret, name, params, args)                                                              \
	EXPORT ret name params                                                                      \
	{                                                                                           \
		char buf[PATH_MAX];                                                                 \
		bool on;                                                                            \
		path = bpffs_path(path, buf, sizeof(buf), &on);                                     \
		return get_##name() args;                                                           \
	}
#define PATHAT(ret, name, params, args)                                                             \
	EXPORT ret name params                                                                      \
	{                                                                                           \
		char buf[PATH_MAX];                                                                 \
		bool on;                                                                            \
		path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                           \
		return get_##name() args;                                                           \
	}

PATH1(int, statvfs, (const char *path, struct statvfs *st), (path, st))
PATH1(int, statvfs64, (const char *path, struct statvfs64 *st), (path, st))
PATH1(int, stat, (const char *path, struct stat *st), (path, st))
PATH1(int, stat64, (const char *path, struct stat64 *st), (path, st))
PATH1(int, lstat, (const char *path, struct stat *st), (path, st))
PATH1(int, lstat64, (const char *path, struct stat64 *st), (path, st))
PATH1(int, __xstat, (int ver, const char *path, struct stat *st), (ver, path, st))
PATH1(int, __lxstat, (int ver, const char *path, struct stat *st), (ver, path, st))
PATH1(int, access, (const char *path, int mode), (path, mode))
PATH1(int, mkdir, (const char *path, mode_t mode), (path, mode))
PATH1(int, rmdir, (const char *path), (path))
PATH1(int, unlink, (const char *path), (path))
PATH1(int, chdir, (const char *path), (path))
PATH1(DIR *, opendir, (const char *path), (path))
PATHAT(int, fstatat, (int dirfd, const char *path, struct stat *st, int fl), (dirfd, path, st, fl))
PATHAT(int, fstatat64, (int dirfd, const char *path, struct stat64 *st, int fl), (dirfd, path, st, fl))
PATHAT(int, __fxstatat, (int ver, int dirfd, const char *path, struct stat *st, int fl), (ver, dirfd, path, st, fl))
PATHAT(int, statx, (int dirfd, const char *path, int fl, unsigned mask, struct statx *st), (dirfd, path, fl, mask, st))
PATHAT(int, faccessat, (int dirfd, const char *path, int mode, int fl), (dirfd, path, mode, fl))
PATHAT(int, mkdirat, (int dirfd, const char *path, mode_t mode), (dirfd, path, mode))
PATHAT(int, unlinkat, (int dirfd, const char *path, int fl), (dirfd, path, fl))

EXPORT int rename(const char *from, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	from = bpffs_path(from, b1, sizeof(b1), &on);
	to = bpffs_path(to, b2, sizeof(b2), &on);
	return get_rename()(from, to);
}

EXPORT int renameat(int fd1, const char *from, int fd2, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	from = bpffs_path_at(fd1, from, b1, sizeof(b1), &on);
	to = bpffs_path_at(fd2, to, b2, sizeof(b2), &on);
	return get_renameat()(fd1, from, fd2, to);
}

/* Mounting bpffs needs privileges; the emulated one is always mounted, so say it worked. */
EXPORT int mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)
{
	char buf[PATH_MAX];
	bool on;

	if (type && !strcmp(type, "bpf")) {
		bpffs_path(target, buf, sizeof(buf), &on);
		if (on) {
			if (shim_debug)
				shim_log("mount(\"%s\", type bpf): the emulated bpffs is always mounted", target);
			return 0;
		}
	}
	return get_mount()(src, target, type, flags, data);
}
