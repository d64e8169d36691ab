/* SPDX-License-Identifier: MIT */
/*
 * The bpf filesystem: paths under /sys/fs/bpf (and the emulated root itself) are rewritten to the
 * emulated bpffs for every path call bpftool, libbpf and rm make there; statfs reports bpffs and
 * mount -t bpf succeeds, since the emulated one is always mounted. A pinned object is a link to the
 * object's file (cmd/pin.c), shown as bpffs shows a pin: open() is EIO but with O_PATH, stat()
 * has size 0 and one link, and nothing can be created there but directories (open(O_CREAT)
 * EACCES). open() and fopen() also hand out the fake /proc files of procfs.c, and stat() and
 * fstatat(AT_EMPTY_PATH) of an object fd show the anonymous inode (fdops.c). The rest of the
 * path calls (rename, chmod, truncate, links, nodes) are in bpffs_ops.c.
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
REAL(int, chdir, const char *)
REAL(DIR *, opendir, const char *)
REAL(int, mount, const char *, const char *, const char *, unsigned long, const void *)

/* ---- the bpf filesystem ---- */

/* Rewrites a path on /sys/fs/bpf to the emulated root. Returns the path to use (buf or the
 * original) and sets *on when the path is on the emulated bpffs; NULL and errno, with *on set,
 * when the path is on it but the emulated root cannot be used (refused by its checks: the call
 * fails, it never reaches the real /sys/fs/bpf). A NULL path comes back as it went, *on clear
 * (the real call's EFAULT): callers fail on `!path && *on` only. Translating checks and creates
 * the root, so the mount point always exists, as /sys/fs/bpf does. */
const char *shim_bpffs_path(const char *path, char *buf, size_t len, bool *on)
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
		*on = true;
		return NULL;
	}
	if (r != 1)
		return path;
	*on = true;
	if (shim_debug > 1)
		shim_log("path \"%s\" -> \"%s\"", path, buf);
	return buf;
}

/* A path relative to a directory fd needs no rewriting: the fd already is inside the real root.
 * (Nor is it known to be on the emulated bpffs: *on is false.) */
const char *shim_bpffs_path_at(int dirfd, const char *path, char *buf, size_t len, bool *on)
{
	if (opaque(path) && path[0] != '/' && dirfd != AT_FDCWD) {
		*on = false;
		return path;
	}
	return shim_bpffs_path(path, buf, len, on);
}

#define bpffs_path shim_bpffs_path
#define bpffs_path_at shim_bpffs_path_at

void shim_pin_stat(struct stat *st)
{
	st->st_size = 0;
	st->st_blocks = 0;
	st->st_nlink = 1;
}

/*
 * open() of a path on the emulated bpffs: 0 to go on, or the kernel's -errno. bpffs has no
 * create or tmpfile op (EACCES, EOPNOTSUPP), and a pinned object's open is EIO unless O_PATH.
 */
static int bpffs_open_answer(const char *real, int flags)
{
	struct stat st;
	int r;

	depth++;
	r = (flags & O_NOFOLLOW) ? get_lstat()(real, &st) : get_stat()(real, &st);
	depth--;
	if ((flags & O_TMPFILE) == O_TMPFILE && !(flags & O_PATH))
		return r || S_ISDIR(st.st_mode) ? -EOPNOTSUPP : 0;
	if (r) {
		char parent[PATH_MAX], *slash;
		struct stat pst;

		if (errno != ENOENT || !(flags & O_CREAT) || (flags & O_PATH))
			return 0;
		snprintf(parent, sizeof(parent), "%s", real);
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = 0;
		depth++;
		r = get_stat()(parent, &pst);
		depth--;
		return !r && S_ISDIR(pst.st_mode) ? -EACCES : 0;
	}
	if (!S_ISREG(st.st_mode) || (flags & O_PATH))
		return 0;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	return -EIO;
}

/* an O_PATH fd of a pin: its fstat() shows the pin (fdops.c asks hinted fds only) */
static int opened(int fd, bool on, int flags)
{
	if (fd >= 0) {
		emu_fdcache_forget(fd);
		if (on && (flags & O_PATH))
			shim_hint_set(fd);
		else
			shim_hint_clear(fd);
	}
	return fd;
}

static bool wants_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

#define OPEN_BODY(call_real)                                                                        \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	mode_t mode = 0;                                                                            \
	int fd, err;                                                                                \
	if (wants_mode(flags)) {                                                                    \
		va_list ap;                                                                         \
		va_start(ap, flags);                                                                \
		mode = va_arg(ap, mode_t);                                                          \
		va_end(ap);                                                                         \
	}                                                                                           \
	fd = shim_fake_open(AT_FDCWD, path, flags, &on);                                            \
	if (on)                                                                                     \
		return fd;                                                                          \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	if (!path && on)                                                                            \
		return -1;                                                                          \
	if (on && (err = bpffs_open_answer(path, flags))) {                                         \
		errno = -err;                                                                       \
		return -1;                                                                          \
	}                                                                                           \
	return opened(call_real, on, flags);

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
	int fd, err;                                                                                \
	if (wants_mode(flags)) {                                                                    \
		va_list ap;                                                                         \
		va_start(ap, flags);                                                                \
		mode = va_arg(ap, mode_t);                                                          \
		va_end(ap);                                                                         \
	}                                                                                           \
	fd = shim_fake_open(dirfd, path, flags, &on);                                               \
	if (on)                                                                                     \
		return fd;                                                                          \
	path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                                   \
	if (!path && on)                                                                            \
		return -1;                                                                          \
	if (on && (err = bpffs_open_answer(path, flags))) {                                         \
		errno = -err;                                                                       \
		return -1;                                                                          \
	}                                                                                           \
	return opened(call_real, on, flags);

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

/* the open flags of an fopen() mode: what matters on bpffs is whether it creates */
static int fopen_flags(const char *mode)
{
	return mode && (mode[0] == 'w' || mode[0] == 'a') ? O_CREAT | (strchr(mode, 'x') ? O_EXCL : 0) : 0;
}

typedef FILE *(*fopen_fn)(const char *, const char *);

/* fopen and fopen64: one body, the libc symbol to call at the end given as its lazy getter (it is
 * looked up only when the call reaches it). */
static FILE *open_stream(fopen_fn (*real)(void), const char *path, const char *mode)
{
	char buf[PATH_MAX];
	bool on;
	FILE *f;
	int err;

	f = shim_fake_fopen(path, &on);
	if (on)
		return f;
	path = bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return NULL;
	if (on && (err = bpffs_open_answer(path, fopen_flags(mode)))) {
		errno = -err;
		return NULL;
	}
	f = real()(path, mode);
	if (f)
		opened(fileno(f), on, 0);
	return f;
}

EXPORT FILE *fopen(const char *path, const char *mode) { return open_stream(get_fopen, path, mode); }
EXPORT FILE *fopen64(const char *path, const char *mode) { return open_stream(get_fopen64, path, mode); }

/* statfs on the emulated bpffs reports bpffs, so bpftool does not try to mount one. */
#define STATFS_BODY(real_call)                                                                      \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	int r;                                                                                      \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	if (!path && on)                                                                            \
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

/* fstatfs of an object fd: the anonymous inodes' file system; of an fd on the emulated bpffs
 * (a directory, an O_PATH pin): bpffs */
EXPORT int fstatfs(int fd, struct statfs *st)
{
	int r = get_fstatfs()(fd, st);

	if (!r && !shim_fix_statfs(fd, st) && fd_on_bpffs(fd))
		st->f_type = BPF_FS_MAGIC;
	return r;
}

EXPORT int fstatfs64(int fd, struct statfs64 *st)
{
	int r = get_fstatfs64()(fd, st);
	struct statfs s;

	if (r)
		return r;
	memset(&s, 0, sizeof(s));
	if (shim_fix_statfs(fd, &s)) {
		st->f_type = s.f_type;
		st->f_bsize = s.f_bsize;
		st->f_blocks = s.f_blocks;
		st->f_bfree = s.f_bfree;
		st->f_bavail = s.f_bavail;
		st->f_files = s.f_files;
		st->f_ffree = s.f_ffree;
		st->f_fsid = s.f_fsid;
		st->f_namelen = s.f_namelen;
		st->f_frsize = s.f_frsize;
		st->f_flags = s.f_flags;
	} else if (fd_on_bpffs(fd)) {
		st->f_type = BPF_FS_MAGIC;
	}
	return r;
}

/* Path operations: the same call on the rewritten path. */
#define PATH1(ret, name, params, args)                                                              \
	EXPORT ret name params                                                                      \
	{                                                                                           \
		char buf[PATH_MAX];                                                                 \
		bool on;                                                                            \
		path = bpffs_path(path, buf, sizeof(buf), &on);                                     \
		if (!path && on)                                                                    \
			return -1;                                                                  \
		return get_##name() args;                                                           \
	}
#define PATHAT(ret, name, params, args)                                                             \
	EXPORT ret name params                                                                      \
	{                                                                                           \
		char buf[PATH_MAX];                                                                 \
		bool on;                                                                            \
		path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                           \
		if (!path && on)                                                                    \
			return -1;                                                                  \
		return get_##name() args;                                                           \
	}

PATH1(int, statvfs, (const char *path, struct statvfs *st), (path, st))
PATH1(int, statvfs64, (const char *path, struct statvfs64 *st), (path, st))
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
	return path || !on ? get_opendir()(path) : NULL;
}

PATHAT(int, faccessat, (int dirfd, const char *path, int mode, int fl), (dirfd, path, mode, fl))
PATHAT(int, mkdirat, (int dirfd, const char *path, mode_t mode), (dirfd, path, mode))
PATHAT(int, unlinkat, (int dirfd, const char *path, int fl), (dirfd, path, fl))

/*
 * stat and friends: the same call on the rewritten path; a pinned object shows as a pin
 * (shim_pin_stat), an fd link of this process or an AT_EMPTY_PATH fd naming an object as the
 * anonymous inode (fdops.c). follow: whether the call follows a final symlink.
 */
#define STAT_BODY(real_call, fix_fd, follow)                                                       \
	char buf[PATH_MAX];                                                                         \
	const char *orig = path;                                                                    \
	bool on;                                                                                    \
	int r;                                                                                      \
	path = bpffs_path(path, buf, sizeof(buf), &on);                                             \
	if (!path && on)                                                                            \
		return -1;                                                                          \
	r = real_call;                                                                              \
	if (!r && !depth) {                                                                         \
		int pfd;                                                                            \
		if (on && (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)))                           \
			shim_pin_stat_any(st);                                                      \
		else if ((follow) && (pfd = shim_proc_own_fd(orig)) >= 0)                           \
			fix_fd(pfd, st);                                                            \
	}                                                                                           \
	return r;

/* a symlink on bpffs has no size either */
#define shim_pin_stat_any(st)                                                                       \
	(S_ISLNK((st)->st_mode) ? ((st)->st_size = 0, (st)->st_blocks = 0)                          \
				: ((st)->st_size = 0, (st)->st_blocks = 0, (st)->st_nlink = 1))

EXPORT int stat(const char *path, struct stat *st) { STAT_BODY(get_stat()(path, st), shim_fix_stat, true) }
EXPORT int stat64(const char *path, struct stat64 *st) { STAT_BODY(get_stat64()(path, st), shim_fix_stat64, true) }
EXPORT int lstat(const char *path, struct stat *st) { STAT_BODY(get_lstat()(path, st), shim_fix_stat, false) }
EXPORT int lstat64(const char *path, struct stat64 *st) { STAT_BODY(get_lstat64()(path, st), shim_fix_stat64, false) }
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	STAT_BODY(get___xstat()(ver, path, st), shim_fix_stat, true)
}
EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	STAT_BODY(get___lxstat()(ver, path, st), shim_fix_stat, false)
}

/* fstatat and statx: with AT_EMPTY_PATH and "" an fd operation */
#define STATAT_BODY(real_call, fix_fd)                                                             \
	char buf[PATH_MAX];                                                                         \
	const char *orig = path;                                                                    \
	bool on;                                                                                    \
	int r;                                                                                      \
	if ((fl & AT_EMPTY_PATH) && opaque(path) && !*path) {                                       \
		r = real_call;                                                                      \
		if (!r)                                                                             \
			fix_fd(dirfd, st);                                                          \
		return r;                                                                           \
	}                                                                                           \
	path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);                                   \
	if (!path && on)                                                                            \
		return -1;                                                                          \
	r = real_call;                                                                              \
	if (!r && !depth) {                                                                         \
		int pfd;                                                                            \
		if (on && (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)))                           \
			shim_pin_stat_any(st);                                                      \
		else if (!(fl & AT_SYMLINK_NOFOLLOW) && (pfd = shim_proc_own_fd(orig)) >= 0)       \
			fix_fd(pfd, st);                                                            \
	}                                                                                           \
	return r;

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int fl)
{
	STATAT_BODY(get_fstatat()(dirfd, path, st, fl), shim_fix_stat)
}
EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int fl)
{
	STATAT_BODY(get_fstatat64()(dirfd, path, st, fl), shim_fix_stat64)
}
EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int fl)
{
	STATAT_BODY(get___fxstatat()(ver, dirfd, path, st, fl), shim_fix_stat)
}

EXPORT int statx(int dirfd, const char *path, int fl, unsigned mask, struct statx *st)
{
	char buf[PATH_MAX];
	const char *orig = path;
	bool on;
	int r, pfd;

	if ((fl & AT_EMPTY_PATH) && (!opaque(path) || !*path)) {
		r = get_statx()(dirfd, path, fl, mask, st);
		if (!r)
			shim_fix_statx(dirfd, st);
		return r;
	}
	path = bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	r = get_statx()(dirfd, path, fl, mask, st);
	if (!r && !depth) {
		if (on && (S_ISREG(st->stx_mode) || S_ISLNK(st->stx_mode))) {
			st->stx_size = 0;
			st->stx_blocks = 0;
			if (S_ISREG(st->stx_mode))
				st->stx_nlink = 1;
		} else if (!(fl & AT_SYMLINK_NOFOLLOW) && (pfd = shim_proc_own_fd(orig)) >= 0) {
			shim_fix_statx(pfd, st);
		}
	}
	return r;
}

/* Mounting bpffs needs privileges; the emulated one is always mounted, so say it worked. */
EXPORT int mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)
{
	char buf[PATH_MAX];
	bool on;

	if (type && !strcmp(type, "bpf")) {
		if (!bpffs_path(target, buf, sizeof(buf), &on) && on)
			return -1;
		if (on) {
			if (shim_debug)
				shim_log("mount(\"%s\", type bpf): the emulated bpffs is always mounted", target);
			return 0;
		}
	}
	return get_mount()(src, target, type, flags, data);
}
