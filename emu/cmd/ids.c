/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_GET_NEXT_ID and BPF_MAP_GET_FD_BY_ID: the maps this process holds fds to and every
 * pinned map are visible (the kernel shows every live map to a privileged caller).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/map.h"
#include "../core/state.h"
#include "../uaccess/uaccess.h"
#include "cmds.h"

/* Visit every map this process holds an fd to, and every pinned map. */
static void for_each_visible_map(bool (*fn)(void *arg, uint32_t id, int fd, const char *path), void *arg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char stackdirs[16][PATH_MAX];
	int sp = 0;

	if (d) {
		int self = dirfd(d);

		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			uint32_t id;

			if (de->d_name[0] == '.' || fd == self)
				continue;
			if (!emu_map_fd_id(fd, &id) && !fn(arg, id, fd, NULL)) {
				closedir(d);
				return;
			}
		}
		closedir(d);
	}
	/* pinned maps: walk the bpffs tree, a bounded depth (not at all if the root was refused) */
	if (!emu_state_ready(EMU_STATE_BPFFS))
		snprintf(stackdirs[sp++], PATH_MAX, "%s", emu_bpffs_root());
	while (sp) {
		char dir[PATH_MAX];

		memcpy(dir, stackdirs[--sp], PATH_MAX);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char p[PATH_MAX];
			struct stat st;
			uint32_t id;
			int fd;

			if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p) || lstat(p, &st))
				continue;
			if (S_ISDIR(st.st_mode)) {
				if (sp < 16)
					memcpy(stackdirs[sp++], p, PATH_MAX);
				continue;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			if (fd < 0)
				continue;
			if (fstat(fd, &st) || st.st_uid != geteuid()) { /* not a pin of ours */
				close(fd);
				continue;
			}
			if (!emu_map_fd_id(fd, &id) && !fn(arg, id, -1, p)) {
				close(fd);
				closedir(d);
				return;
			}
			close(fd);
		}
		closedir(d);
	}
}

struct next_id_ctx {
	uint32_t start, best;
};

static bool next_id_cb(void *arg, uint32_t id, int fd, const char *path)
{
	struct next_id_ctx *c = arg;

	(void)fd;
	(void)path;
	if (id > c->start && (!c->best || id < c->best))
		c->best = id;
	return true;
}

int emu_cmd_map_get_next_id(struct emu_attr *a, union bpf_attr *uattr)
{
	struct next_id_ctx c = { attr_u32(a, ID_START), 0 };

	if (c.start >= INT_MAX)
		return -EINVAL;
	for_each_visible_map(next_id_cb, &c);
	if (!c.best)
		return -ENOENT;
	return emu_put_user_u32(uattr, ID_NEXT, c.best);
}

struct fd_by_id_ctx {
	uint32_t id;
	int mode;
	int fd; /* result or -errno */
};

static bool fd_by_id_cb(void *arg, uint32_t id, int fd, const char *path)
{
	struct fd_by_id_ctx *c = arg;
	char proc[64];
	int nofollow = O_NOFOLLOW; /* a pin: the file the walk checked, not a link put in its place */

	if (id != c->id)
		return true;
	if (!path) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		path = proc;
		nofollow = 0;
	}
	c->fd = open(path, c->mode | O_CLOEXEC | nofollow);
	if (c->fd < 0)
		c->fd = -errno;
	return false;
}

int emu_cmd_map_get_fd_by_id(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t flags = attr_u32(a, ID_OPEN_FLAGS);
	struct fd_by_id_ctx c = { attr_u32(a, ID_START), O_RDWR, -ENOENT };

	(void)uattr;
	if (flags & ~(EMU_F_RDONLY | EMU_F_WRONLY))
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	if (flags & EMU_F_RDONLY)
		c.mode = O_RDONLY;
	else if (flags & EMU_F_WRONLY)
		c.mode = O_WRONLY;
	if (!c.id)
		return -ENOENT;
	for_each_visible_map(fd_by_id_cb, &c);
	if (c.fd >= 0 && c.mode != O_RDWR)
		emu_mark_restricted(c.fd);
	return c.fd;
}
