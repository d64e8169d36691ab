/* SPDX-License-Identifier: MIT */
/*
 * The bpf filesystem's path calls beyond open and stat (bpffs.c): on a path under /sys/fs/bpf
 * each is made on the emulated root, with bpffs's answers where a plain directory would answer
 * otherwise. bpffs (kernel/bpf/inode.c) has mkdir, rmdir, unlink, rename, link and symlink, and
 * simple attribute changes; it has no create or mknod (a FIFO is EPERM, a regular file EACCES).
 *
 * A pin is its own inode on bpffs; here it is a link of the object's file, so a chmod of a pin
 * is one of every pin of that object, and truncate, which on bpffs only sets the pin's size, is
 * answered without touching the object's file. rename of one pin over another of the same object
 * (two links of one file, which rename leaves alone) removes the source, as bpffs does. A symlink
 * to an absolute /sys/fs/bpf path points into the emulated root, so that it resolves; readlink
 * shows the /sys/fs/bpf path again.
 *
 * The same calls on an object's fd link (/proc/self/fd/N) meet the anonymous inode: truncate
 * EINVAL, chmod and chown EOPNOTSUPP; they never reach the object's file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

REAL(int, rename, const char *, const char *)
REAL(int, renameat, int, const char *, int, const char *)
REAL(int, renameat2, int, const char *, int, const char *, unsigned)
REAL(int, chmod, const char *, mode_t)
REAL(int, fchmodat, int, const char *, mode_t, int)
REAL(int, chown, const char *, uid_t, gid_t)
REAL(int, lchown, const char *, uid_t, gid_t)
REAL(int, fchownat, int, const char *, uid_t, gid_t, int)
REAL(int, truncate, const char *, off_t)
REAL(int, truncate64, const char *, off64_t)
REAL(int, symlink, const char *, const char *)
REAL(int, symlinkat, const char *, int, const char *)
REAL(int, link, const char *, const char *)
REAL(int, linkat, int, const char *, int, const char *, int)
REAL(int, mkfifo, const char *, mode_t)
REAL(int, mkfifoat, int, const char *, mode_t)
REAL(int, mknod, const char *, mode_t, dev_t)
REAL(int, mknodat, int, const char *, mode_t, dev_t)
REAL(int, utimensat, int, const char *, const struct timespec[2], int)
REAL(int, lstat, const char *, struct stat *)
REAL(int, stat, const char *, struct stat *)
REAL(int, unlink, const char *)
REAL(int, fstat, int, struct stat *)

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Whether path is an fd link of this process naming an object (the anonymous inode). */
static bool object_link(const char *path)
{
	struct stat st;
	int fd = shim_proc_own_fd(path);

	if (fd < 0)
		return false;
	depth++;
	fd = !get_fstat()(fd, &st) && emu_fd_object_kind(fd, &st) ? 1 : 0;
	depth--;
	return fd;
}

static bool path_stat(const char *real, struct stat *st, bool follow)
{
	int r;

	depth++;
	r = follow ? get_stat()(real, st) : get_lstat()(real, st);
	depth--;
	return !r;
}

/* ---- rename ---- */

/* Two names of one object's file: bpffs would replace the target pin; rename(2) of two links of
 * one file does nothing. 1 when that was the case and the source was removed (or -1, errno). */
static int rename_same_object(const char *from, const char *to)
{
	struct stat a, b;

	if (!strcmp(from, to) || !path_stat(from, &a, false) || !path_stat(to, &b, false) ||
	    !S_ISREG(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return 0;
	return get_unlink()(from) ? -1 : 1;
}

EXPORT int rename(const char *from, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on1, on2;
	int r;

	from = shim_bpffs_path(from, b1, sizeof(b1), &on1);
	if (!from && on1)
		return -1;
	to = shim_bpffs_path(to, b2, sizeof(b2), &on2);
	if (!to && on2)
		return -1;
	if (on1 && on2 && (r = rename_same_object(from, to)))
		return r < 0 ? -1 : 0;
	return get_rename()(from, to);
}

EXPORT int renameat(int fd1, const char *from, int fd2, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on1, on2;
	int r;

	from = shim_bpffs_path_at(fd1, from, b1, sizeof(b1), &on1);
	if (!from && on1)
		return -1;
	to = shim_bpffs_path_at(fd2, to, b2, sizeof(b2), &on2);
	if (!to && on2)
		return -1;
	if (on1 && on2 && (r = rename_same_object(from, to)))
		return r < 0 ? -1 : 0;
	return get_renameat()(fd1, from, fd2, to);
}

EXPORT int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on1, on2;
	int r;

	from = shim_bpffs_path_at(fd1, from, b1, sizeof(b1), &on1);
	if (!from && on1)
		return -1;
	to = shim_bpffs_path_at(fd2, to, b2, sizeof(b2), &on2);
	if (!to && on2)
		return -1;
	if (!flags && on1 && on2 && (r = rename_same_object(from, to)))
		return r < 0 ? -1 : 0;
	return get_renameat2()(fd1, from, fd2, to, flags);
}

/* ---- attributes ---- */

EXPORT int chmod(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	bool on;

	if (!depth && object_link(path))
		return fail(EOPNOTSUPP);
	path = shim_bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	return get_chmod()(path, mode);
}

EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int fl)
{
	char buf[PATH_MAX];
	bool on;

	if (!depth && !(fl & AT_SYMLINK_NOFOLLOW) && object_link(path))
		return fail(EOPNOTSUPP);
	path = shim_bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	return get_fchmodat()(dirfd, path, mode, fl);
}

EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	bool on;

	if (!depth && object_link(path))
		return fail(EOPNOTSUPP);
	path = shim_bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	return get_chown()(path, uid, gid);
}

EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	bool on;

	path = shim_bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	return get_lchown()(path, uid, gid);
}

EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int fl)
{
	char buf[PATH_MAX];
	bool on;
	int ofl;

	/* AT_EMPTY_PATH and "": the fd's own file */
	if ((fl & AT_EMPTY_PATH) && opaque(path) && !*path && shim_op_fd(dirfd, &ofl))
		return fail(EOPNOTSUPP);
	if (!depth && !(fl & AT_SYMLINK_NOFOLLOW) && object_link(path))
		return fail(EOPNOTSUPP);
	path = shim_bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	return get_fchownat()(dirfd, path, uid, gid, fl);
}

EXPORT int utimensat(int dirfd, const char *path, const struct timespec ts[2], int fl)
{
	char buf[PATH_MAX];
	bool on;

	if (opaque(path) && !depth && !(fl & AT_SYMLINK_NOFOLLOW) && object_link(path))
		return fail(EOPNOTSUPP);
	if (opaque(path)) {
		path = shim_bpffs_path_at(dirfd, path, buf, sizeof(buf), &on);
		if (!path && on)
			return -1;
	}
	return get_utimensat()(dirfd, path, ts, fl);
}

/*
 * truncate: an object's fd link is EINVAL (not a regular file); a pin on bpffs takes any size (it
 * is only the pin inode's), which the object's file must not: answered after the checks a
 * truncate of the link would make (it exists, may be written).
 */
static int truncate_answer(const char *real, bool on, const char *orig, long long len)
{
	struct stat st;

	if (depth)
		return 0;
	if (object_link(orig))
		return -EINVAL;
	if (!on || len < 0 || !path_stat(real, &st, true) || !S_ISREG(st.st_mode))
		return 0;
	depth++;
	len = access(real, W_OK) ? -errno : 0;
	depth--;
	return len ? (int)len : 1;
}

EXPORT int truncate(const char *path, off_t len)
{
	char buf[PATH_MAX];
	const char *orig = path;
	bool on;
	int r;

	path = shim_bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	r = truncate_answer(path, on, orig, len);
	if (r)
		return r < 0 ? fail(-r) : 0;
	return get_truncate()(path, len);
}

EXPORT int truncate64(const char *path, off64_t len)
{
	char buf[PATH_MAX];
	const char *orig = path;
	bool on;
	int r;

	path = shim_bpffs_path(path, buf, sizeof(buf), &on);
	if (!path && on)
		return -1;
	r = truncate_answer(path, on, orig, len);
	if (r)
		return r < 0 ? fail(-r) : 0;
	return get_truncate64()(path, len);
}

/* ---- links ---- */

/* A symlink's text: an absolute /sys/fs/bpf target points into the emulated root. */
static const char *link_target(const char *target, char *buf, size_t len)
{
	bool on;
	const char *t;

	if (!opaque(target) || target[0] != '/')
		return target;
	t = shim_bpffs_path(target, buf, len, &on);
	return t && on ? t : target;
}

EXPORT int symlink(const char *target, const char *path)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	path = shim_bpffs_path(path, b2, sizeof(b2), &on);
	if (!path && on)
		return -1;
	if (on)
		target = link_target(target, b1, sizeof(b1));
	return get_symlink()(target, path);
}

EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	path = shim_bpffs_path_at(dirfd, path, b2, sizeof(b2), &on);
	if (!path && on)
		return -1;
	if (on)
		target = link_target(target, b1, sizeof(b1));
	return get_symlinkat()(target, dirfd, path);
}

EXPORT int link(const char *from, const char *to)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	from = shim_bpffs_path(from, b1, sizeof(b1), &on);
	if (!from && on)
		return -1;
	to = shim_bpffs_path(to, b2, sizeof(b2), &on);
	if (!to && on)
		return -1;
	return get_link()(from, to);
}

EXPORT int linkat(int fd1, const char *from, int fd2, const char *to, int fl)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	bool on;

	from = shim_bpffs_path_at(fd1, from, b1, sizeof(b1), &on);
	if (!from && on)
		return -1;
	to = shim_bpffs_path_at(fd2, to, b2, sizeof(b2), &on);
	if (!to && on)
		return -1;
	return get_linkat()(fd1, from, fd2, to, fl);
}

/* ---- nodes: bpffs makes none but directories ---- */

/* vfs_mknod on bpffs: an existing name is EEXIST (lookup first), a regular file goes to the
 * missing create op (EACCES), anything else to the missing mknod op (EPERM). */
static int mknod_answer(const char *real, mode_t mode)
{
	struct stat st;

	if (path_stat(real, &st, false))
		return -EEXIST;
	if (errno != ENOENT)
		return 0; /* the real call finds the same trouble */
	return (mode & S_IFMT) == S_IFREG || !(mode & S_IFMT) ? -EACCES : -EPERM;
}

#define NODE_BODY(path_expr, node_mode, real_call)                                                 \
	char buf[PATH_MAX];                                                                         \
	bool on;                                                                                    \
	int err;                                                                                    \
	path = path_expr;                                                                           \
	if (!path && on)                                                                            \
		return -1;                                                                          \
	if (on && !depth && (err = mknod_answer(path, node_mode)))                                  \
		return fail(-err);                                                                  \
	return real_call;

EXPORT int mkfifo(const char *path, mode_t mode)
{
	NODE_BODY(shim_bpffs_path(path, buf, sizeof(buf), &on), S_IFIFO, get_mkfifo()(path, mode))
}
EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	NODE_BODY(shim_bpffs_path_at(dirfd, path, buf, sizeof(buf), &on), S_IFIFO, get_mkfifoat()(dirfd, path, mode))
}
EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	NODE_BODY(shim_bpffs_path(path, buf, sizeof(buf), &on), mode, get_mknod()(path, mode, dev))
}
EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	NODE_BODY(shim_bpffs_path_at(dirfd, path, buf, sizeof(buf), &on), mode, get_mknodat()(dirfd, path, mode, dev))
}

/* creat() is open(O_CREAT | O_WRONLY | O_TRUNC) inside the C library, out of open()'s reach */
EXPORT int creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

EXPORT int creat64(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}
