/* SPDX-License-Identifier: MIT */
/*
 * The BTF commands (kernel/bpf/syscall.c and btf.c of 6.18): BPF_BTF_LOAD, BPF_BTF_GET_FD_BY_ID,
 * BPF_BTF_GET_NEXT_ID, BPF_OBJ_GET_INFO_BY_FD of a BTF fd (struct bpf_btf_info), its fdinfo line,
 * and the BTF side of BPF_MAP_CREATE. The blob checks are emu/btf/'s; BTF objects are files
 * (core/btf_obj.h).
 *
 * Which BTF objects the id commands see: the kernel's vmlinux BTF (id 1, where
 * /sys/kernel/btf/vmlinux is readable), every BTF object this process holds an fd to, and the
 * BTF of every map it can see (its fds and the pins, cmd/ids.c): a map keeps a copy of its BTF
 * and that BTF's id (core/map.h), so BPF_BTF_GET_FD_BY_ID of the id makes a BTF object from the
 * copy, in any process, for as long as the map lives, as the kernel's map keeps its BTF alive.
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

#include "../btf/btf.h"
#include "../core/btf_obj.h"
#include "../core/map.h"
#include "../core/objstore.h"
#include "../core/state.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

/* bpf_token_get_from_fd(): no BPF token is emulated, so an open fd is never one (EINVAL), and no
 * fd at all (or an O_PATH one, which fdget does not see) is EBADF. */
static int token_check(uint32_t token_fd)
{
	struct stat st;
	int fl = fcntl((int)token_fd, F_GETFL);

	if (fl < 0 || (fl & O_PATH) || fstat((int)token_fd, &st))
		return -EBADF;
	return -EINVAL;
}

/* ---- BPF_BTF_LOAD ---- */

int emu_cmd_btf_load(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t flags = attr_u32(a, BTF_FLAGS), size;
	struct emu_btf *btf;
	const void *data;
	int err;

	if (flags & ~EMU_F_BTF_TOKEN_FD)
		return -EINVAL;
	if (flags & EMU_F_BTF_TOKEN_FD)
		return token_check(attr_u32(a, BTF_TOKEN_FD));
	/* (CAP_BPF: the emulator answers as a privileged caller) */
	err = emu_btf_load_attr(a->b, uattr, a->len_known ? a->len : EMU_ATTR_SIZE, &btf);
	if (err)
		return err;
	data = emu_btf_data(btf, &size);
	err = emu_btf_obj_new(data, size, 0);
	emu_btf_free(btf);
	return err;
}

/* ---- the id commands ---- */

/* The BTF an object file stands for: a BTF object's own, or the one a map holds. */
static bool btf_id_of(int fd, uint32_t *id, bool *from_map)
{
	struct emu_btf_obj_hdr h;
	struct emu_map *m;
	int mode;

	if (!emu_btf_obj_get(fd, &h)) {
		*id = h.id;
		*from_map = false;
		return true;
	}
	if (emu_map_get(fd, &m, &mode))
		return false;
	*id = m->btf_id;
	*from_map = true;
	emu_map_put(m);
	return *id != 0;
}

struct next_ctx {
	uint32_t start, best;
};

static bool next_cb(void *arg, int fd, const char *path)
{
	struct next_ctx *c = arg;
	uint32_t id;
	bool from_map;

	(void)path;
	if (btf_id_of(fd, &id, &from_map) && id > c->start && (!c->best || id < c->best))
		c->best = id;
	return true;
}

int emu_cmd_btf_get_next_id(struct emu_attr *a, union bpf_attr *uattr)
{
	struct next_ctx c = { attr_u32(a, ID_START), 0 };

	if (c.start >= INT_MAX)
		return -EINVAL;
	if (c.start < EMU_BTF_VMLINUX_ID && emu_btf_vmlinux_available()) {
		c.best = EMU_BTF_VMLINUX_ID;
	} else {
		if (c.start <= EMU_BTF_VMLINUX_ID) /* a listing begins: of live objects only */
			emu_objstore_collect();
		emu_visit_objects(next_cb, &c);
	}
	if (!c.best)
		return -ENOENT;
	return emu_put_user_u32(uattr, ID_NEXT, c.best);
}

struct fd_ctx {
	uint32_t id;
	bool found, from_map;
	char path[PATH_MAX]; /* where it was found: a map's pin, or /proc/self/fd/N */
};

/* Only notes where the BTF is: the new fd is made once the walk has closed its own, so it gets
 * the lowest free number, as the kernel's would. */
static bool fd_cb(void *arg, int fd, const char *path)
{
	struct fd_ctx *c = arg;
	uint32_t id;

	if (!btf_id_of(fd, &id, &c->from_map) || id != c->id)
		return true;
	if (path)
		snprintf(c->path, sizeof(c->path), "%s", path);
	else
		snprintf(c->path, sizeof(c->path), "/proc/self/fd/%d", fd);
	c->found = true;
	return false;
}

/* A new fd of the BTF object found (the same file), or of the BTF the map found holds: a new
 * object made from the map's copy, with the map's BTF id. */
static int btf_fd_from(const struct fd_ctx *c)
{
	struct emu_btf_obj_hdr h;
	struct emu_btf *btf;
	struct emu_map *m;
	int mode, fd = open(c->path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -ENOENT; /* gone meanwhile */
	if (c->from_map) {
		err = emu_map_get(fd, &m, &mode);
		close(fd);
		if (err)
			return -ENOENT;
		fd = emu_btf_obj_new(m->base + m->btf_off, m->btf_size, m->btf_id);
		emu_map_put(m);
		if (fd < 0)
			return fd;
	}
	/* another process's file (or a map's copy): its blob must pass the BTF checks again before
	 * this process hands it out (docs/SECURITY.md) */
	err = emu_btf_obj_get(fd, &h);
	if (!err && !h.kernel_btf) {
		err = emu_btf_obj_parse(fd, &h, &btf);
		if (!err)
			emu_btf_free(btf);
	}
	if (err) {
		close(fd);
		return err == -ENOMEM ? err : -EUCLEAN;
	}
	return fd;
}

int emu_cmd_btf_get_fd_by_id(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t flags = attr_u32(a, ID_OPEN_FLAGS);
	struct fd_ctx c = { .id = attr_u32(a, ID_START) };

	(void)uattr;
	if (flags & ~EMU_F_TOKEN_FD)
		return -EINVAL;
	if (flags & EMU_F_TOKEN_FD)
		return token_check(attr_u32(a, ID_TOKEN_FD));
	/* (CAP_SYS_ADMIN: the emulator answers as a privileged caller) */
	if (!c.id)
		return -ENOENT;
	if (c.id == EMU_BTF_VMLINUX_ID)
		return emu_btf_vmlinux_available() ? emu_btf_obj_new_vmlinux() : -ENOENT;
	emu_objstore_collect();
	emu_visit_objects(fd_cb, &c);
	return c.found ? btf_fd_from(&c) : -ENOENT;
}

/* ---- BPF_OBJ_GET_INFO_BY_FD: struct bpf_btf_info ---- */

/* btf_get_info_by_fd(), after the tail check: every write where and in the order the kernel makes
 * it, so a short buffer or a fault leaves the caller's memory as the kernel leaves it. */
static int btf_info(int fd, const struct emu_btf_obj_hdr *h, unsigned char *uinfo, uint32_t len,
		    union bpf_attr *uattr)
{
	unsigned char info[BI_SIZE];
	uint32_t n = len < BI_SIZE ? len : BI_SIZE, btf_size, copy, name_len;
	uint64_t ubtf, uname;
	int ret = 0;

	memset(info, 0, sizeof(info));
	if (emu_copy_from_user(info, uinfo, n))
		return -EFAULT;
	memcpy(info + BI_ID, &h->id, 4);
	memcpy(&ubtf, info + BI_BTF, 8);
	memcpy(&btf_size, info + BI_BTF_SIZE, 4);
	copy = h->data_size < btf_size ? h->data_size : btf_size;
	if (emu_btf_obj_copy_to_user(fd, h, (void *)(uintptr_t)ubtf, copy))
		return -EFAULT;
	memcpy(info + BI_BTF_SIZE, &h->data_size, 4);
	memcpy(info + BI_KERNEL_BTF, &h->kernel_btf, 4);

	memcpy(&uname, info + BI_NAME, 8);
	memcpy(&name_len, info + BI_NAME_LEN, 4);
	if (!uname != !name_len)
		return -EINVAL;
	memcpy(info + BI_NAME_LEN, &h->name_len, 4);
	if (uname) {
		char *u = (char *)(uintptr_t)uname;

		if (name_len >= h->name_len + 1) {
			if (emu_copy_to_user(u, h->name, h->name_len + 1))
				return -EFAULT;
		} else {
			/* as much as fits, NUL-terminated, and the caller told the buffer was short */
			if (emu_copy_to_user(u, h->name, name_len - 1) || emu_copy_to_user(u + name_len - 1, "", 1))
				return -EFAULT;
			ret = -ENOSPC;
		}
	}
	if (emu_copy_to_user(uinfo, info, n) || emu_put_user_u32(uattr, INFO_LEN, n))
		return -EFAULT;
	return ret;
}

int emu_btf_get_info(int fd, const struct emu_attr *a, union bpf_attr *uattr)
{
	struct emu_btf_obj_hdr h;
	uint32_t len = attr_u32(a, INFO_LEN);
	unsigned char *uinfo = attr_ptr(a, INFO_PTR);
	int err = emu_btf_obj_get(fd, &h);

	if (err == -EINVAL)
		return 1; /* not a BTF object */
	if (err)
		return -EBADFD; /* an O_PATH fd, as for maps */
	err = emu_info_tail_zero(uinfo, len, BI_SIZE);
	if (err)
		return err;
	return btf_info(fd, &h, uinfo, len, uattr);
}

int emu_btf_fdinfo(int fd, char *buf, size_t len)
{
	struct emu_btf_obj_hdr h;
	int err = emu_btf_obj_get(fd, &h), n;

	if (err)
		return err;
	n = snprintf(buf, len, "btf_id:\t%u\n", h.id);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ---- BPF_MAP_CREATE with BTF ---- */

/* The kernel's btf_record, as the map file keeps it (core/map.h). */
static void record_fields(struct emu_create *c, const struct emu_btf_value_fields *f)
{
	c->nr_fields = f->cnt < EMU_MAP_FIELDS_MAX ? f->cnt : EMU_MAP_FIELDS_MAX;
	c->field_mask = f->field_mask;
	c->spin_lock_off = f->cnt ? f->spin_lock_off : -1;
	c->nr_locks = 0;
	for (uint32_t i = 0; i < c->nr_fields; i++) {
		c->fields[i].offset = f->fields[i].offset;
		c->fields[i].size = f->fields[i].size;
		c->fields[i].type = f->fields[i].type;
		c->fields[i].is_lock = !!(f->fields[i].type & (EMU_BTF_F_SPIN_LOCK | EMU_BTF_F_RES_SPIN_LOCK));
		c->nr_locks += c->fields[i].is_lock;
	}
}

int emu_map_create_btf(const struct emu_attr *a, struct emu_create *c, void **blob)
{
	uint32_t key_id = attr_u32(a, MC_BTF_KEY), value_id = attr_u32(a, MC_BTF_VALUE);
	struct emu_btf_value_fields f;
	struct emu_btf_obj_hdr h;
	struct emu_btf *btf;
	int fd = (int)attr_u32(a, MC_BTF_FD), err;

	*blob = NULL;
	err = emu_btf_obj_get(fd, &h);
	if (err)
		return err;
	if (h.kernel_btf)
		return -EACCES;
	err = emu_btf_obj_read(fd, &h, blob);
	if (err)
		return err;
	memset(&f, 0, sizeof(f));
	f.spin_lock_off = -1;
	if (value_id) {
		err = emu_btf_parse(*blob, h.data_size, NULL, &btf);
		if (err) {
			err = -EINVAL; /* accepted when loaded: the file is not what it claims */
		} else {
			/* the kernel checks the map's own flags: RDONLY/WRONLY are the fd's */
			err = emu_btf_check_map(btf, key_id, value_id, c->key_size, c->value_size, c->max_entries,
						c->map_type, c->map_flags & ~(EMU_F_RDONLY | EMU_F_WRONLY), &f);
			emu_btf_free(btf);
		}
		if (err) {
			free(*blob);
			*blob = NULL;
			return err;
		}
	}
	c->btf_id = h.id;
	c->btf_size = h.data_size;
	c->btf_data = *blob;
	c->btf_key_type_id = key_id;
	c->btf_value_type_id = value_id;
	c->btf_vmlinux_value_type_id = attr_u32(a, MC_BTF_VMLINUX);
	record_fields(c, &f);
	return 0;
}
