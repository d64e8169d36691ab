/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_CREATE: the kernel's generic checks (kernel/bpf/syscall.c map_create), in its order:
 * flags and fields every type shares, the type's map_alloc_check, the token, the device
 * (ifindex), the type's map_alloc checks, then what the kernel finds only after allocating (sizes
 * it cannot allocate, the name, BTF (cmd/btf.c), the exclusive-program hash).
 *
 * The command layer owns every check that is the same for many types: the families declare the
 * flags they take (struct emu_map_ops create_flags) and when the kernel checks them (before the
 * token, or after it: create_flags_late), and this file checks them there; a family's own shape
 * checks are alloc_check (before the token) and alloc_shape (after it).
 * Types that are not emulated get the same checks from a table of their rules (unemulated[]), so
 * a junk create of such a type is refused as the kernel refuses it; a sound one is EOPNOTSUPP.
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
#define ACCESS_FLAGS (EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)

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

/* bpf_map_flags_access_ok(): a program cannot be both read-only and write-only. */
static bool access_ok(uint32_t flags)
{
	return (flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)) != (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG);
}

/* The flags a family declared, with the rest of what every such family checks with them. */
static int declared_shape(const struct emu_map_ops *ops, const struct emu_create *c)
{
	if ((c->map_flags & ~ops->create_flags) || !access_ok(c->map_flags) || !c->max_entries)
		return -EINVAL;
	return 0;
}

/* BPF_F_TOKEN_FD: no BPF token is emulated, so an open fd is never one. */
static int token_check(const struct emu_attr *a)
{
	struct stat st;

	if (!(attr_u32(a, MC_FLAGS) & EMU_F_TOKEN_FD))
		return 0;
	return fstat((int)attr_u32(a, MC_TOKEN_FD), &st) ? -EBADF : -EINVAL;
}

/* A map_ifindex asks for device offload, which replaces the type's allocation: only HASH and ARRAY
 * can ask, a missing device is EINVAL, one without offload support EOPNOTSUPP. (A device whose
 * driver has XDP hooks but no offload gives EINVAL in the kernel; user space cannot tell.) */
static int ifindex_check(const struct emu_attr *a, uint32_t type)
{
	char ifname[IF_NAMESIZE];

	if (!attr_u32(a, MC_IFINDEX))
		return 0;
	if (type != EMU_MAP_HASH && type != EMU_MAP_ARRAY)
		return -EINVAL;
	if (!if_indextoname(attr_u32(a, MC_IFINDEX), ifname))
		return -EINVAL;
	return -EOPNOTSUPP;
}

/*
 * The types not emulated: the flags each takes, its max_entries rule, whether its shape is checked
 * in map_alloc_check (before the token) or map_alloc (after it), and what else its early check
 * insists on (observed on 6.18: tests/diff/diff_types.c). Key and value sizes are not checked: a
 * junk size of such a type is EOPNOTSUPP here where the kernel says EINVAL.
 */
enum { MAX_NONZERO, MAX_ZERO };
enum { NEEDS_NONE, NEEDS_BTF_KV, NEEDS_VMLINUX_VALUE };
static const struct unemulated {
	uint32_t flags;    /* allowed */
	uint32_t required; /* must be set */
	uint8_t max_rule, late, needs;
} unemulated[EMU_NR_MAP_TYPES] = {
	[EMU_MAP_STACK_TRACE] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_STACK_BUILD_ID, 0, MAX_NONZERO, 1, 0 },
	[EMU_MAP_CGROUP_ARRAY] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 0, 0 },
	[EMU_MAP_DEVMAP] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 0, 0 },
	[EMU_MAP_DEVMAP_HASH] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 0, 0 },
	[EMU_MAP_SOCKMAP] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 1, 0 },
	[EMU_MAP_SOCKHASH] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 1, 0 },
	[EMU_MAP_XSKMAP] = { EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY, 0, MAX_NONZERO, 1, 0 },
	[EMU_MAP_CPUMAP] = { EMU_F_NUMA_NODE, 0, MAX_NONZERO, 1, 0 },
	[EMU_MAP_CGROUP_STORAGE] = { EMU_F_NUMA_NODE | ACCESS_FLAGS, 0, MAX_ZERO, 1, 0 },
	[EMU_MAP_PERCPU_CGROUP_STORAGE] = { EMU_F_NUMA_NODE | ACCESS_FLAGS, 0, MAX_ZERO, 1, 0 },
	[EMU_MAP_REUSEPORT_SOCKARRAY] = { EMU_F_NUMA_NODE | ACCESS_FLAGS, 0, MAX_NONZERO, 0, 0 },
	[EMU_MAP_SK_STORAGE] = { EMU_F_NO_PREALLOC | EMU_F_CLONE, EMU_F_NO_PREALLOC, MAX_ZERO, 0, NEEDS_BTF_KV },
	[EMU_MAP_INODE_STORAGE] = { EMU_F_NO_PREALLOC | EMU_F_CLONE, EMU_F_NO_PREALLOC, MAX_ZERO, 0, NEEDS_BTF_KV },
	[EMU_MAP_TASK_STORAGE] = { EMU_F_NO_PREALLOC | EMU_F_CLONE, EMU_F_NO_PREALLOC, MAX_ZERO, 0, NEEDS_BTF_KV },
	[EMU_MAP_CGRP_STORAGE] = { EMU_F_NO_PREALLOC | EMU_F_CLONE, EMU_F_NO_PREALLOC, MAX_ZERO, 0, NEEDS_BTF_KV },
	[EMU_MAP_STRUCT_OPS] = { EMU_F_LINK | EMU_F_VTYPE_BTF_OBJ_FD, 0, MAX_NONZERO, 0, NEEDS_VMLINUX_VALUE },
	[EMU_MAP_ARENA] = { EMU_F_MMAPABLE | EMU_F_SEGV_ON_FAULT | EMU_F_NO_USER_CONV, EMU_F_MMAPABLE, MAX_NONZERO, 1, 0 },
};

static int unemulated_shape(const struct unemulated *u, const struct emu_attr *a, uint32_t flags)
{
	uint32_t max = attr_u32(a, MC_MAX_ENTRIES);

	if ((flags & ~u->flags) || (flags & u->required) != u->required || !access_ok(flags))
		return -EINVAL;
	if (u->max_rule == MAX_ZERO ? max != 0 : max == 0)
		return -EINVAL;
	if (u->needs == NEEDS_BTF_KV && (!attr_u32(a, MC_BTF_KEY) || !attr_u32(a, MC_BTF_VALUE)))
		return -EINVAL;
	if (u->needs == NEEDS_VMLINUX_VALUE && !attr_u32(a, MC_BTF_VMLINUX))
		return -EINVAL;
	return 0;
}

/* A type the kernel has and the emulator not: its checks in the kernel's order, then EOPNOTSUPP. */
static int unemulated_create(const struct emu_attr *a, uint32_t type, uint32_t flags)
{
	static bool type_said[EMU_NR_MAP_TYPES];
	const struct unemulated *u = &unemulated[type];
	int err = 0;

	if (!u->late)
		err = unemulated_shape(u, a, flags);
	if (!err)
		err = token_check(a);
	if (!err)
		err = ifindex_check(a, type);
	if (!err && u->late)
		err = unemulated_shape(u, a, flags);
	if (err)
		return err;
	emu_diag_once(&type_said[type], "map type %s (%u) is not emulated: EOPNOTSUPP", emu_map_type_name(type),
		      type);
	return -EOPNOTSUPP;
}

int emu_cmd_map_create(struct emu_attr *a, union bpf_attr *uattr)
{
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
	if (!ops)
		return unemulated_create(a, type, flags);

	memset(&c, 0, sizeof(c));
	c.map_type = type;
	c.key_size = attr_u32(a, MC_KEY_SIZE);
	c.value_size = attr_u32(a, MC_VALUE_SIZE);
	c.max_entries = attr_u32(a, MC_MAX_ENTRIES);
	c.map_flags = flags;
	c.map_extra = attr_u64(a, MC_EXTRA);
	c.nr_cpus = emu_nr_cpus();
	c.numa_node = (flags & EMU_F_NUMA_NODE) ? attr_u32(a, MC_NUMA) : NUMA_NO_NODE;
	c.inner_fd = (int)attr_u32(a, MC_INNER_FD);
	/* the type's map_alloc_check, then the token and the device, then its map_alloc's checks;
	 * the declared flags are checked where the family's shape is */
	err = ops->create_flags && !ops->create_flags_late ? declared_shape(ops, &c) : 0;
	if (!err && ops->alloc_check)
		err = ops->alloc_check(&c);
	if (!err)
		err = token_check(a);
	if (!err)
		err = ifindex_check(a, type);
	if (!err && ops->create_flags && ops->create_flags_late)
		err = declared_shape(ops, &c);
	if (!err && ops->alloc_shape)
		err = ops->alloc_shape(&c);
	if (err)
		return err;

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
