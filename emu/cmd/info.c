/* SPDX-License-Identifier: MIT */
/*
 * What an fd tells about its object: BPF_OBJ_GET_INFO_BY_FD (struct bpf_map_info, with the
 * kernel's rules for the caller's buffer; struct bpf_btf_info is cmd/btf.c's, bpf_prog_info
 * cmd/prog_info.c's) and the object lines of /proc/self/fdinfo/N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/map.h"
#include "../core/object.h"
#include "../uaccess/uaccess.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "../util/hash.h"
#include "cmds.h"

/* 6.18 reports a SHA-256 of a frozen map's values (a family's content op: ARRAY's) when the caller
 * asks with hash/hash_size. */
static int map_content_hash(struct emu_map *m, void *uhash, uint32_t hash_size)
{
	unsigned char digest[32];
	const void *data;
	size_t len;
	int err;

	if (!uhash)
		return -EINVAL;
	if (!m->ops->content)
		return -EINVAL;
	if (hash_size != sizeof(digest))
		return -EINVAL;
	if (!__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
		return -EPERM;
	err = m->ops->content(m, &data, &len);
	if (err)
		return err;
	emu_sha256(data, len, digest);
	return emu_copy_to_user(uhash, digest, sizeof(digest));
}

#define INFO_SIZE MI_SIZE /* struct bpf_map_info on 6.18 */
#define INFO_CHECKED 100u /* from here on, bytes the caller passes must be zero */

int emu_info_tail_zero(const unsigned char *uinfo, uint32_t len, uint32_t from)
{
	unsigned char chunk[256];
	uint32_t n;

	if (len > EMU_PAGE_SIZE)
		return -E2BIG;
	/* Everything from `from` on must be zero, checked before the struct is read. The kernel
	 * reads it byte by byte and stops at the first non-zero one, so junk before an unreadable
	 * page is E2BIG, not EFAULT: no chunk may cross a page boundary. */
	for (uint32_t off = from; off < len; off += n) {
		/* integer arithmetic: uinfo may be NULL or wild, which only the copy may find out */
		uintptr_t p = (uintptr_t)uinfo + off;
		uint32_t to_page = EMU_PAGE_SIZE - (uint32_t)(p & (EMU_PAGE_SIZE - 1));

		n = len - off < sizeof(chunk) ? len - off : (uint32_t)sizeof(chunk);
		if (n > to_page)
			n = to_page;
		if (emu_copy_from_user(chunk, (const void *)p, n))
			return -EFAULT;
		for (uint32_t i = 0; i < n; i++)
			if (chunk[i])
				return -E2BIG;
	}
	return 0;
}

int emu_cmd_obj_get_info(struct emu_attr *a, union bpf_attr *uattr)
{
	unsigned char info[INFO_SIZE];
	uint32_t len = attr_u32(a, INFO_LEN), n;
	unsigned char *uinfo = attr_ptr(a, INFO_PTR);
	int fd = (int)attr_u32(a, INFO_FD);
	const struct emu_map *h;
	struct emu_map *m;
	struct stat st;
	int err, mode;

	if (fstat(fd, &st))
		return -EBADFD; /* the kernel's answer here differs from the element commands' */
	err = emu_btf_get_info(fd, a, uattr);
	if (err != 1)
		return err;
	err = emu_map_get(fd, &m, &mode);
	if (err == -EINVAL) { /* not a map: a program, or nothing of ours */
		err = emu_prog_get_info(fd, a, uattr);
		return err == 1 ? -EINVAL : err;
	}
	if (err)
		return err == -EBADF ? -EBADFD : err; /* an O_PATH fd */
	/* Everything from INFO_CHECKED on (the padding included) must be zero. */
	err = emu_info_tail_zero(uinfo, len, INFO_CHECKED);
	if (err)
		goto out;
	n = len < INFO_SIZE ? len : INFO_SIZE;
	memset(info, 0, sizeof(info));
	err = emu_copy_from_user(info, uinfo, n);
	if (err)
		goto out;

	/* Fields the kernel does not fill for these maps keep the caller's bytes. The shape is the
	 * view's, checked when the file was adopted. */
	h = m;
	memcpy(info + 0, &h->map_type, 4);
	memcpy(info + 4, &h->id, 4);
	memcpy(info + 8, &h->key_size, 4);
	memcpy(info + 12, &h->value_size, 4);
	memcpy(info + 16, &h->max_entries, 4);
	memcpy(info + 20, &h->map_flags, 4);
	memcpy(info + 24, h->name, EMU_OBJ_NAME_LEN);
	memcpy(info + MI_BTF_VMLINUX_VALUE_TYPE_ID, &h->btf_vmlinux_value_type_id, 4);
	if (h->btf_id) { /* else the caller's bytes stay, as the kernel leaves them */
		uint32_t btf_id = h->btf_id + (EMU_FAULT("map-btf-id") ? 1 : 0);

		memcpy(info + MI_BTF_ID, &btf_id, 4);
		memcpy(info + MI_BTF_KEY_TYPE_ID, &h->btf_key_type_id, 4);
		memcpy(info + MI_BTF_VALUE_TYPE_ID, &h->btf_value_type_id, 4);
	}
	memcpy(info + 80, &h->map_extra, 8);
	{
		uint64_t hash_ptr;
		uint32_t hash_size;

		memcpy(&hash_ptr, info + 88, 8);
		memcpy(&hash_size, info + 96, 4);
		if (hash_ptr || hash_size) {
			err = map_content_hash(m, (void *)(uintptr_t)hash_ptr, hash_size);
			if (err)
				goto out;
		}
	}
	err = emu_copy_to_user(uinfo, info, n);
	if (!err)
		err = emu_put_user_u32(uattr, INFO_LEN, n);
out:
	emu_map_put(m);
	return err;
}


/* The object part of /proc/self/fdinfo/N, in the kernel's format (its %#x prints 0 as "0x0"). */
int emu_fdinfo(int fd, char *buf, size_t len)
{
	struct emu_map *m;
	int mode, err = emu_map_get(fd, &m, &mode), n;
	const struct emu_map *h;

	if (err) {
		n = emu_prog_fdinfo(fd, buf, len);
		if (n != 1)
			return n;
		if (emu_is_stats_fd(fd))
			return snprintf(buf, len, "%s", ""); /* the kernel's stats fd shows no lines of its own */
		return emu_btf_fdinfo(fd, buf, len);
	}
	h = m;
	n = snprintf(buf, len,
		     "map_type:\t%u\nkey_size:\t%u\nvalue_size:\t%u\nmax_entries:\t%u\n"
		     "map_flags:\t0x%x\nmap_extra:\t0x%llx\nmemlock:\t%llu\nmap_id:\t%u\nfrozen:\t%u\n",
		     h->map_type, h->key_size, h->value_size, h->max_entries, h->map_flags,
		     (unsigned long long)h->map_extra, (unsigned long long)m->ops->memlock(m), h->id,
		     __atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE) ? 1u : 0u);
	if (n >= 0 && (size_t)n < len && m->ops->fdinfo) { /* a program array's owner */
		int k = m->ops->fdinfo(m, buf + n, len - (size_t)n);

		n = k < 0 ? k : n + k;
	}
	emu_map_put(m);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
