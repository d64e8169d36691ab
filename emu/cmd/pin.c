/* SPDX-License-Identifier: MIT */
/*
 * BPF_OBJ_PIN and BPF_OBJ_GET on the emulated bpffs (core/state.h): a pin is a hard link of the
 * object's file under the bpffs root, so it keeps the object alive as the kernel's pin does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/map.h"
#include "../core/object.h"
#include "../core/state.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

#define OBJ_GET_FLAGS (EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_PATH_FD)

static int copy_path(const struct emu_attr *a, char *path, size_t len)
{
	const char *up = attr_ptr(a, PIN_PATH);
	size_t i;

	/* strncpy_from_user: byte by byte so a string ending just before unmapped memory is fine */
	for (i = 0; i < len; i++) {
		if (emu_copy_from_user(&path[i], up + i, 1))
			return -EFAULT;
		if (!path[i])
			return i ? 0 : -ENOENT; /* getname(): an empty name is ENOENT */
	}
	return -ENAMETOOLONG;
}

int emu_cmd_obj_pin(struct emu_attr *a, union bpf_attr *uattr)
{
	char path[PATH_MAX], real[PATH_MAX], parent[PATH_MAX], proc[64];
	uint32_t flags = attr_u32(a, PIN_FILE_FLAGS);
	int fd = (int)attr_u32(a, PIN_FD), on, err;
	struct stat st;
	char *slash;

	(void)uattr;
	if (flags & ~EMU_F_PATH_FD)
		return -EINVAL;
	if (!(flags & EMU_F_PATH_FD) && attr_u32(a, PIN_PATH_FD))
		return -EINVAL;
	if (!emu_is_object_fd(fd))
		return -EINVAL;
	err = copy_path(a, path, sizeof(path));
	if (err)
		return err;
	if (flags & EMU_F_PATH_FD) {
		emu_diag("BPF_OBJ_PIN with BPF_F_PATH_FD is not emulated: EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	on = emu_bpffs_translate(path, real, sizeof(real));
	if (on < 0)
		return on;
	snprintf(parent, sizeof(parent), "%s", real);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	else if (slash)
		slash[1] = 0;
	if (stat(parent, &st))
		return -ENOENT;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!on)
		return -EPERM; /* not on a bpf filesystem */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, real, AT_SYMLINK_FOLLOW))
		return errno == EXDEV ? -EPERM : -errno;
	return 0;
}

/* Whether the file fd (O_PATH) names lies inside the bpffs root: its path, as the kernel resolved
 * it, under the root's own resolved path. */
static bool inside_root(int fd)
{
	char self[64], target[PATH_MAX], root[PATH_MAX];
	size_t rl;
	ssize_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	n = readlink(self, target, sizeof(target) - 1);
	if (n <= 0 || !realpath(emu_bpffs_root(), root))
		return false;
	target[n] = 0;
	rl = strlen(root);
	return !strncmp(target, root, rl) && target[rl] == '/';
}

/*
 * The pin's file opened in mode: symlinks are followed, as the kernel's path walk does, but only
 * to a file inside the bpffs root (the kernel's walk can reach a bpf inode only on a bpffs; a link
 * out of the root is EACCES, as a path to a file of another file system is, with a diagnostic).
 * Resolved first without opening anything (O_PATH: no device or FIFO is ever opened), then the
 * very file found is opened (never blocking) at the number the first took. -errno on failure.
 */
static int open_pin(const char *real, int mode)
{
	char self[64];
	struct stat st;
	int pfd, fd, err = 0;

	pfd = open(real, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EACCES;
	else if (!inside_root(pfd)) {
		emu_diag("%s leads out of the bpffs root %s: not opened", real, emu_bpffs_root());
		err = -EACCES;
	}
	if (err) {
		close(pfd);
		return err;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, mode | O_CLOEXEC | O_NONBLOCK);
	err = fd < 0 || dup3(fd, pfd, O_CLOEXEC) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (err) {
		close(pfd);
		return err;
	}
	return pfd;
}

int emu_cmd_obj_get(struct emu_attr *a, union bpf_attr *uattr)
{
	char path[PATH_MAX], real[PATH_MAX];
	uint32_t flags = attr_u32(a, PIN_FILE_FLAGS);
	int mode, fd, on, err;
	struct stat st;

	(void)uattr;
	if (attr_u32(a, PIN_FD) || (flags & ~OBJ_GET_FLAGS))
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	err = copy_path(a, path, sizeof(path));
	if (err)
		return err;
	if (flags & EMU_F_PATH_FD) {
		emu_diag("BPF_OBJ_GET with BPF_F_PATH_FD is not emulated: EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	on = emu_bpffs_translate(path, real, sizeof(real));
	if (on < 0)
		return on;
	if (stat(real, &st))
		return -errno;
	if (!on || !S_ISREG(st.st_mode))
		return -EACCES;
	mode = (flags & EMU_F_RDONLY) ? O_RDONLY : (flags & EMU_F_WRONLY) ? O_WRONLY : O_RDWR;
	fd = open_pin(real, mode);
	if (fd < 0)
		return fd;
	/* a regular file of this user's, of our magic and layout: what a pin of ours is */
	err = emu_object_file_trusted(fd, real);
	if (err) {
		close(fd);
		return err;
	}
	/* the kernel's object files have no O_NONBLOCK of their own (F_GETFL, fdinfo show it) */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (mode != O_RDWR && emu_is_prog_fd(fd)) {
		/* a program's fd carries no access mode: the kernel's is read-write whatever was asked.
		 * The file just checked is reopened (not the path: it may be a symlink, or replaced). */
		char self[64];
		int rw;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		rw = open(self, O_RDWR | O_CLOEXEC);
		/* put in place of the first, so the caller gets the lowest free number */
		err = rw < 0 || dup3(rw, fd, O_CLOEXEC) < 0 ? -errno : 0;
		if (rw >= 0)
			close(rw);
		if (err) {
			close(fd);
			return err;
		}
		return fd;
	}
	if (mode != O_RDWR)
		emu_mark_restricted(fd);
	return fd;
}

