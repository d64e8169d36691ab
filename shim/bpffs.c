/* SPDX-License-Identifier: MIT */
/*
 * The bpf filesystem: paths under /sys/fs/bpf (and the emulated root itself) are rewritten to the
 * emulated bpffs for every path call bpftool, libbpf and rm make there; statfs reports bpffs and
 * mount -t bpf succeeds, since the emulated one is always mounted; opening a pinned object is EIO
 * as on bpffs. open() and fopen() also hand out the fake /proc files of procfs.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

REAL(ssize_t, readlink, const char *, char *, size_t)
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

/* ---- the bpf filesystem ---- */

/* Rewrites a path on /sys/fs/bpf to the emulated root. Returns the path to use (buf or the
 * original) and sets *on when the path is on the emulated bpffs; NULL and errno when the path is
 * on it but the emulated root cannot be used (refused by its checks: the call fails, it never
 * reaches the real /sys/fs/bpf). Translating checks and creates the root, so the mount point
 * always exists, as /sys/fs/bpf does. */
static const char *bpffs_path(const char *path, char *buf, size_t len, bool *on)
{
	int r;

	*on = false;
	if (!opaque(path) || depth)
		return path;
	depth++;
	r = emu_bpffs_translate(path, buf, len);
	depth--;
	if (r < 0) {
		errno = -r;
		return NULL;
	}
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
	if (!depth && (fd = shim_fake_open(path)) >= 0)                                             \
		return fd;                                                                          \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	if (!path)                                                                                  \
		return -1;                                                                          \
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
	    (fd = shim_fake_open(path)) >= 0)                                                       \
		return fd;                                                                          \
	path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                                   \
	if (!path)                                                                                  \
		return -1;                                                                          \
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

	if (!depth && (f = shim_fake_fopen(path)))
		return f;
	path = bpffs_path(path, buf, sizeof(buf), &on);
	if (!path)
		return NULL;
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

	if (!depth && (f = shim_fake_fopen(path)))
		return f;
	path = bpffs_path(path, buf, sizeof(buf), &on);
	if (!path)
		return NULL;
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
	if (!path)                                                                                  \
		return -1;                                                                          \
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
		if (!path)                                                                          \
			return -1;                                                                  \
		return get_##name() args;                                                           \
	}
#define PATHAT(ret, name, params, args)                                                             \
	EXPORT ret name params                                                                      \
	{                                                                                           \
		char buf[PATH_MAX];                                                                 \
		bool on;                                                                            \
		path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                           \
		if (!path)                                                                          \
			return -1;                                                                  \
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
EXPORT DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	bool on;

	path = bpffs_path(path, buf, sizeof(buf), &on);
	return path ? get_opendir()(path) : NULL;
}

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
	to = from ? bpffs_path(to, b2, sizeof(b2), &on) : NULL;
	return from && to ? get_rename()(from, to) : -1;
}

EXPORT int renameat(int fd1, const char *from, int fd2, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	from = bpffs_path_at(fd1, from, b1, sizeof(b1), &on);
	to = from ? bpffs_path_at(fd2, to, b2, sizeof(b2), &on) : NULL;
	return from && to ? get_renameat()(fd1, from, fd2, to) : -1;
}

/* Mounting bpffs needs privileges; the emulated one is always mounted, so say it worked. */
EXPORT int mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)
{
	char buf[PATH_MAX];
	bool on;

	if (type && !strcmp(type, "bpf")) {
		if (!bpffs_path(target, buf, sizeof(buf), &on))
			return -1;
		if (on) {
			if (shim_debug)
				shim_log("mount(\"%s\", type bpf): the emulated bpffs is always mounted", target);
			return 0;
		}
	}
	return get_mount()(src, target, type, flags, data);
}
