/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_CREATE: the kernel's generic checks (kernel/bpf/syscall.c map_create), in its order:
 * flags and fields every type shares, then the family's alloc_check, then what the kernel finds
 * only after allocating (sizes it cannot allocate, the name, BTF (cmd/btf.c), the exclusive-program
 * hash).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../core/cpus.h"
#include "../core/map.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

#define NUMA_NO_NODE 0xffffffffu

/* BPF_F_NUMA_NODE names an online node (kernel: nr_node_ids and node_online). */
static bool numa_node_ok(uint32_t node)
{
	char list[256];

	if (node == NUMA_NO_NODE)
		return true;
	if (emu_cpulist_read("/sys/devices/system/node/online", list, sizeof(list)))
		return node == 0;
	return emu_cpulist_has(list, node);
}

int emu_cmd_map_create(struct emu_attr *a, union bpf_attr *uattr)
{
	static bool type_said[EMU_NR_MAP_TYPES];
	struct emu_create c;
	const struct emu_map_ops *ops;
	void *btf_blob = NULL;
	uint32_t flags = attr_u32(a, MC_FLAGS);
	uint32_t type = attr_u32(a, MC_TYPE);
	char name[EMU_OBJ_NAME_LEN];
	int err, fd = -1;

	(void)uattr;
	flags &= ~EMU_F_TOKEN_FD; /* remembered for the token check below */
	if (attr_u32(a, MC_BTF_VMLINUX)) {
		if (type != EMU_MAP_STRUCT_OPS || attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE))
			return -EINVAL;
	} else if (attr_u32(a, MC_BTF_KEY) && !attr_u32(a, MC_BTF_VALUE)) {
		return -EINVAL;
	}
	if (attr_u64(a, MC_EXTRA) && type != EMU_MAP_BLOOM_FILTER && type != EMU_MAP_ARENA)
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	if ((flags & EMU_F_NUMA_NODE) && !numa_node_ok(attr_u32(a, MC_NUMA)))
		return -EINVAL;
	if (type == 0 || type >= EMU_NR_MAP_TYPES)
		return -EINVAL;
	ops = emu_ops_for_type(type);
	if (!ops) {
		emu_diag_once(&type_said[type], "map type %s (%u) is not emulated: EOPNOTSUPP",
			      emu_map_type_name(type), type);
		return -EOPNOTSUPP;
	}

	memset(&c, 0, sizeof(c));
	c.map_type = type;
	c.key_size = attr_u32(a, MC_KEY_SIZE);
	c.value_size = attr_u32(a, MC_VALUE_SIZE);
	c.max_entries = attr_u32(a, MC_MAX_ENTRIES);
	c.map_flags = flags;
	c.map_extra = attr_u64(a, MC_EXTRA);
	c.nr_cpus = emu_nr_cpus();
	c.numa_node = (flags & EMU_F_NUMA_NODE) ? attr_u32(a, MC_NUMA) : NUMA_NO_NODE;
	err = ops->alloc_check(&c);
	if (err)
		return err;

	if (attr_u32(a, MC_FLAGS) & EMU_F_TOKEN_FD) {
		struct stat st;

		/* No BPF token is emulated: an open fd is never one. */
		return fstat((int)attr_u32(a, MC_TOKEN_FD), &st) ? -EBADF : -EINVAL;
	}
	if (attr_u32(a, MC_IFINDEX)) {
		char ifname[IF_NAMESIZE];

		/* Device offload replaces the type's allocation: only HASH and ARRAY can ask, a missing
		 * device is EINVAL, and one without offload support EOPNOTSUPP. (A device whose driver
		 * has XDP hooks but no offload gives EINVAL in the kernel; user space cannot tell.) */
		if (type != EMU_MAP_HASH && type != EMU_MAP_ARRAY)
			return -EINVAL;
		if (!if_indextoname(attr_u32(a, MC_IFINDEX), ifname))
			return -EINVAL;
		return -EOPNOTSUPP;
	}

	/* What the kernel finds only after allocating: sizes it cannot allocate, then the name,
	 * BTF and the exclusive-program hash. */
	err = emu_map_file_size(&c, ops, &(uint64_t){ 0 });
	if (err)
		return err;
	memcpy(name, a->b + MC_NAME, sizeof(name));
	if (!emu_obj_name_ok(name))
		return -EINVAL;
	if (attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE) || attr_u32(a, MC_BTF_VMLINUX)) {
		err = emu_map_create_btf(a, &c, &btf_blob);
		if (err)
			return err;
	}
	if (attr_u64(a, MC_EXCL_HASH)) {
		unsigned char hash[32];

		err = -EINVAL;
		if (attr_u32(a, MC_EXCL_HASH_SIZE) != sizeof(hash))
			goto out;
		err = -EFAULT;
		if (emu_copy_from_user(hash, attr_ptr(a, MC_EXCL_HASH), sizeof(hash)))
			goto out;
	} else if (attr_u32(a, MC_EXCL_HASH_SIZE)) {
		err = -EINVAL;
		goto out;
	}

	err = emu_map_create_file(&c, ops, name, &fd);
out:
	free(btf_blob);
	return err ? err : fd;
}

