/* SPDX-License-Identifier: MIT */
/*
 * File operations on a map fd, as the kernel's bpf_map_fops answer them. Today: mmap() (the preload
 * interposes it; only a family with an mmap_range op can be mapped, ARRAY with BPF_F_MMAPABLE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "../core/map.h"
#include "../util/compiler.h"
#include "cmds.h"

/*
 * mmap() of a map fd, in the kernel's order: what the mm layer checks for any file, then the
 * map's own rules (only ARRAY has an mmap op; it needs BPF_F_MMAPABLE; a frozen map cannot be
 * mapped writable). On success *file_off is where the caller's offset lies in our file.
 * Returns 0, -errno, or 1 when fd is not an emulated map.
 */
int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off)
{
	struct emu_map *m;
	uint64_t data_off, data_len;
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	err = -EACCES;
	if (mode == O_WRONLY || ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE) && mode != O_RDWR))
		goto out;
	err = -EINVAL;
	if (!len || (off & (EMU_PAGE_SIZE - 1)))
		goto out;
	/* bpf_map_mmap: no mmap op, or a value with special fields (BTF), is ENOTSUPP first */
	err = -EMU_ENOTSUPP;
	if (!m->ops->mmap_range || m->nr_fields)
		goto out;
	err = -EINVAL;
	if ((flags & MAP_TYPE) != MAP_SHARED)
		goto out;
	if (prot & PROT_WRITE) {
		err = -EPERM;
		if (__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
			goto out;
		err = -EACCES;
		if (m->map_flags & EMU_F_RDONLY_PROG)
			goto out;
	}
	err = m->ops->mmap_range(m, &data_off, &data_len);
	if (err)
		goto out;
	err = -EINVAL;
	if ((uint64_t)off + emu_round_up64(len, EMU_PAGE_SIZE) > data_len)
		goto out;
	*file_off = (off_t)(data_off + (uint64_t)off);
	err = 0;
out:
	emu_map_put(m);
	return err;
}

