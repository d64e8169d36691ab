/* SPDX-License-Identifier: MIT */
/* Which family implements which map type, and the library calls that are not bpf() commands. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

const struct emu_map_ops *emu_ops_for_type(uint32_t map_type)
{
	switch (map_type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return &emu_htab_ops;
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return &emu_array_ops;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return &emu_queue_stack_ops;
	default:
		return NULL;
	}
}

bool emu_is_percpu_type(uint32_t map_type)
{
	return map_type == BPF_MAP_TYPE_PERCPU_HASH || map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

int emu_array_content(struct emu_map *m, const void **data, size_t *len);
int emu_array_mmap_range(struct emu_map *m, uint64_t *off, uint64_t *len);

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
	err = -EMU_ENOTSUPP;
	if (m->hdr->map_type != BPF_MAP_TYPE_ARRAY)
		goto out;
	err = -EINVAL;
	if ((flags & MAP_TYPE) != MAP_SHARED)
		goto out;
	if (prot & PROT_WRITE) {
		err = -EPERM;
		if (__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
			goto out;
		err = -EACCES;
		if (m->hdr->map_flags & EMU_F_RDONLY_PROG)
			goto out;
	}
	err = emu_array_mmap_range(m, &data_off, &data_len);
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

/* 6.18 reports a SHA-256 of a frozen ARRAY's values when the caller asks with hash/hash_size. */
int emu_map_content_hash(struct emu_map *m, void *uhash, uint32_t hash_size)
{
	unsigned char digest[32];
	const void *data;
	size_t len;
	int err;

	if (!uhash)
		return -EINVAL;
	if (m->hdr->map_type != BPF_MAP_TYPE_ARRAY)
		return -EINVAL;
	if (hash_size != sizeof(digest))
		return -EINVAL;
	if (!__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
		return -EPERM;
	err = emu_array_content(m, &data, &len);
	if (err)
		return err;
	emu_sha256(data, len, digest);
	return emu_copy_to_user(uhash, digest, sizeof(digest));
}

static int ret_errno(int err)
{
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

EMU_API int bpfemu_map_check(int fd)
{
	struct emu_map *m;
	int err, mode;

	err = emu_map_get(fd, &m, &mode);
	if (err)
		return ret_errno(err);
	err = m->ops->check ? m->ops->check(m) : 0;
	emu_map_put(m);
	return ret_errno(err);
}

EMU_API int bpfemu_map_lookup_percpu(int fd, const void *key, void *value, const struct bpfemu_elem_opts *opts)
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
	if (m->hdr->key_size > sizeof(kstack))
		kbuf = malloc(m->hdr->key_size);
	if (!m->ops->lookup_percpu) {
		err = -EINVAL;
	} else if (!kbuf) {
		err = -ENOMEM;
	} else {
		err = emu_copy_from_user(kbuf, key, m->hdr->key_size);
		if (!err) {
			unsigned char vbuf[32768];

			err = m->ops->lookup_percpu(m, kbuf, vbuf, opts->cpu);
			if (!err)
				err = emu_copy_to_user(value, vbuf, m->hdr->value_size);
		}
	}
	if (kbuf != kstack)
		free(kbuf);
	emu_map_put(m);
	return ret_errno(err);
}
