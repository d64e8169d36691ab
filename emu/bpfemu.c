/* SPDX-License-Identifier: MIT */
/*
 * The public API of libbpfemu (include/bpfemu/bpfemu.h): bpfemu_bpf() is the command layer's
 * entry (cmd/syscall.c, beside the attr copy it inlines); the rest are thin calls into the
 * emulator, with the syscall's contract (-1 and errno).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "cmd/bpf.h"
#include "core/cpus.h"
#include "core/fdcache.h"
#include "core/map.h"
#include "core/value.h"
#include "uaccess/uaccess.h"
#include "util/compiler.h"

EMU_API const char *bpfemu_version(void)
{
	return BPFEMU_VERSION_STRING;
}


static int api_is_map_fd(int fd)
{
	struct emu_map *m;
	int mode;

	if (emu_map_get(fd, &m, &mode))
		return 0;
	emu_map_put(m);
	return 1;
}

EMU_API int bpfemu_is_map_fd(int fd)
{
	EMU_API_GUARDED(int, api_is_map_fd(fd));
}

static int ret_errno(int err)
{
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

static int api_map_check(int fd)
{
	struct emu_map *m;
	int err, mode;

	err = emu_map_get(fd, &m, &mode);
	if (err)
		return ret_errno(err);
	err = emu_map_check_file(m);
	if (!err && m->ops->check)
		err = m->ops->check(m);
	emu_map_put(m);
	return ret_errno(err);
}

EMU_API int bpfemu_map_check(int fd)
{
	EMU_API_GUARDED(int, api_map_check(fd));
}

static int api_map_lookup_percpu(int fd, const void *key, void *value, const struct bpfemu_elem_opts *opts)
{
	struct emu_map *m;
	unsigned char kstack[512], *kbuf = kstack;
	int err, mode;

	if (!opts || opts->sz < offsetof(struct bpfemu_elem_opts, cpu) + sizeof(int))
		return ret_errno(-EINVAL);
	err = emu_map_get(fd, &m, &mode);
	if (err)
		return ret_errno(err);
	/* hash keys may be far larger than any stack buffer */
	if (m->key_size > sizeof(kstack))
		kbuf = malloc(m->key_size);
	if (!m->ops->lookup_percpu) {
		err = -EINVAL;
	} else if (!kbuf) {
		err = -ENOMEM;
	} else {
		err = emu_copy_from_user(kbuf, key, m->key_size);
		if (!err) {
			unsigned char vbuf[32768];

			err = m->ops->lookup_percpu(m, kbuf, vbuf, opts->cpu);
			if (!err) {
				emu_value_clear_fields_slot(m, vbuf); /* BTF special fields: never the caller's */
				err = emu_copy_to_user(value, vbuf, m->value_size);
			}
		}
	}
	if (kbuf != kstack)
		free(kbuf);
	emu_map_put(m);
	return ret_errno(err);
}

EMU_API int bpfemu_map_lookup_percpu(int fd, const void *key, void *value, const struct bpfemu_elem_opts *opts)
{
	EMU_API_GUARDED(int, api_map_lookup_percpu(fd, key, value, opts));
}

EMU_API int bpfemu_num_possible_cpus(void)
{
	return (int)emu_nr_cpus();
}

static int api_fdcache_enable(void)
{
	return ret_errno(emu_fdcache_enable());
}

EMU_API int bpfemu_fdcache_enable(void)
{
	EMU_API_GUARDED(int, api_fdcache_enable());
}

static int api_close(int fd)
{
	emu_fdcache_forget(fd);
	return close(fd);
}

EMU_API int bpfemu_close(int fd)
{
	EMU_API_GUARDED(int, api_close(fd));
}
