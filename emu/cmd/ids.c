/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_GET_NEXT_ID and BPF_MAP_GET_FD_BY_ID, the same for programs, and the walk over visible
 * objects the BTF id commands (cmd/btf.c) share: every live object of the user's processes is
 * visible (core/objstore.c's registry), as the kernel shows every live object to a privileged
 * caller, and the objects this process holds that no registry could take (memory files).
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
#include "../core/objstore.h"
#include "../core/prog_obj.h"
#include "../core/state.h"
#include "../uaccess/uaccess.h"
#include "cmds.h"

/* The fds the caller holds: this process's, or under the seccomp supervisor the program's, taken
 * one by one (uaccess.h). fn gets an fd of ours and, for the program's, the path it can be opened
 * again from (its /proc/<tid>/fd/N). False if fn stopped the walk. */
static bool visit_own_fds(bool (*fn)(void *arg, int fd, const char *path), void *arg)
{
	DIR *d = opendir(emu_caller_fd_dir());
	bool remote = emu_caller_is_remote();
	struct dirent *de;

	if (d) {
		int self = remote ? -1 : dirfd(d);

		while ((de = readdir(d))) {
			int fd = atoi(de->d_name), own = fd;
			char path[96];
			struct stat st;
			bool more = true;

			if (de->d_name[0] == '.' || fd == self)
				continue;
			if (remote && (own = emu_caller_fd_dup(fd)) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%d", emu_caller_fd_dir(), fd);
			if (!fstat(own, &st) && S_ISREG(st.st_mode))
				more = fn(arg, own, remote ? path : NULL);
			if (remote)
				close(own);
			if (!more) {
				closedir(d);
				return false;
			}
		}
		closedir(d);
	}
	return true;
}

/* Visit every object file the caller holds an fd to, then every registered one: every live
 * object of the user's processes (core/objstore.c; see cmds.h). */
void emu_visit_objects(bool (*fn)(void *arg, int fd, const char *path), void *arg)
{
	if (visit_own_fds(fn, arg))
		emu_objstore_visit(fn, arg);
}

/* The id of one kind of object an fd names: 0, or non-zero when it is not of that kind. */
typedef int id_of_fn(int fd, uint32_t *id);

struct next_id_ctx {
	uint32_t start, best;
	id_of_fn *id_of;
};

static bool next_id_cb(void *arg, int fd, const char *path)
{
	struct next_id_ctx *c = arg;
	uint32_t id;

	(void)path;
	if (!c->id_of(fd, &id) && id > c->start && (!c->best || id < c->best))
		c->best = id;
	return true;
}

/* The registry's next id (its names say the ids: nothing is opened; from 0 a listing begins and
 * the registry is collected first, so it lists live objects only), or one of this process's own
 * objects the registry could not take. */
static int get_next_id(struct emu_attr *a, union bpf_attr *uattr, enum emu_id_kind kind, id_of_fn *id_of)
{
	struct next_id_ctx c = { attr_u32(a, ID_START), 0, id_of };
	uint32_t reg;

	if (c.start >= INT_MAX)
		return -EINVAL;
	if (!emu_objstore_next_id(kind, c.start, &reg))
		c.best = reg;
	visit_own_fds(next_id_cb, &c);
	if (!c.best)
		return -ENOENT;
	return emu_put_user_u32(uattr, ID_NEXT, c.best);
}

int emu_cmd_map_get_next_id(struct emu_attr *a, union bpf_attr *uattr)
{
	return get_next_id(a, uattr, EMU_ID_MAP, emu_map_fd_id);
}

int emu_cmd_prog_get_next_id(struct emu_attr *a, union bpf_attr *uattr)
{
	return get_next_id(a, uattr, EMU_ID_PROG, emu_prog_fd_id);
}

struct fd_by_id_ctx {
	uint32_t id;
	bool found;
	id_of_fn *id_of;
	char path[PATH_MAX]; /* where the object was found: its pin, or /proc/self/fd/N */
};

/* Only notes where the map is: the new fd is opened once the walk has closed its own, so it gets
 * the lowest free number, as the kernel's would. */
static bool fd_by_id_cb(void *arg, int fd, const char *path)
{
	struct fd_by_id_ctx *c = arg;
	uint32_t id;

	if (c->id_of(fd, &id) || id != c->id)
		return true;
	if (path)
		snprintf(c->path, sizeof(c->path), "%s", path);
	else
		snprintf(c->path, sizeof(c->path), "/proc/self/fd/%d", fd);
	c->found = true;
	return false;
}

int emu_cmd_map_get_fd_by_id(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t flags = attr_u32(a, ID_OPEN_FLAGS);
	struct fd_by_id_ctx c = { .id = attr_u32(a, ID_START), .id_of = emu_map_fd_id };
	int mode = O_RDWR, fd;

	(void)uattr;
	if (flags & ~(EMU_F_RDONLY | EMU_F_WRONLY))
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	if (flags & EMU_F_RDONLY)
		mode = O_RDONLY;
	else if (flags & EMU_F_WRONLY)
		mode = O_WRONLY;
	if (!c.id)
		return -ENOENT;
	/* a live registered map (one no fd, pin or holder keeps is gone, as the kernel's), else one
	 * of this process's own the registry could not take */
	fd = emu_objstore_open_live(EMU_ID_MAP, c.id, mode);
	if (fd == -ENOENT && !visit_own_fds(fd_by_id_cb, &c)) {
		fd = open(c.path, mode | O_CLOEXEC);
		if (fd < 0)
			fd = errno == EMFILE || errno == ENFILE ? -errno : -ENOENT;
	}
	if (fd < 0)
		return fd;
	if (mode != O_RDWR)
		emu_mark_restricted(fd);
	return fd;
}

/* BPF_PROG_GET_FD_BY_ID: a new fd of the program, read-write and close-on-exec as the kernel's. */
int emu_cmd_prog_get_fd_by_id(struct emu_attr *a, union bpf_attr *uattr)
{
	struct fd_by_id_ctx c = { .id = attr_u32(a, ID_START), .id_of = emu_prog_fd_id };
	int fd;

	(void)uattr;
	if (!c.id)
		return -ENOENT;
	fd = emu_objstore_open_live(EMU_ID_PROG, c.id, O_RDWR);
	if (fd == -ENOENT && !visit_own_fds(fd_by_id_cb, &c))
		fd = open(c.path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -ENOENT : fd;
}
