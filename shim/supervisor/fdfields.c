/* SPDX-License-Identifier: MIT */
/*
 * Which fields of a command's attr are fd numbers, and when the kernel reads them as fds (Linux
 * 6.18, kernel/bpf/syscall.c and the attach code it calls): the one table of them. The supervisor
 * rewrites each such field of its copy of the attr to an fd of its own that names the same open
 * file (pidfd_getfd), runs the command on that copy, and closes them after.
 *
 * A field is translated only where the kernel would take it as an fd: a field the kernel ignores,
 * or tests for zero before using (0 meaning "none"), keeps its value, so the emulator sees the
 * same "absent" the kernel does. An fd the program does not hold becomes -1, which we do not hold
 * either: the emulator then answers as the kernel does for a closed fd (EBADF, or EINVAL where the
 * kernel probes an fd for several kinds of object). An fd number past INT_MAX is no fd in either.
 *
 * fds inside user memory (PROG_LOAD's instructions and fd_array, LINK_CREATE's iter_info) are not
 * attr fields: whoever reads them resolves them with the uaccess layer's fd hook.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "supervisor.h"

/* BPF_PROG_ATTACH / LINK_CREATE flags of 6.18 (uapi/linux/bpf.h) */
#define F_REPLACE (1u << 2)
#define F_BEFORE (1u << 3)
#define F_AFTER (1u << 4)
#define F_ID (1u << 5)

enum when {
	ALWAYS,      /* the kernel takes the field as an fd whatever its value */
	NONZERO,     /* 0 means none: the kernel tests the field before taking it as an fd */
	IF_FLAG,     /* only when bit `flag` of the u32 at `flag_off` is set */
	MAP_IN_MAP,  /* MAP_CREATE inner_map_fd: read by the map-in-map types only */
	MAP_BTF,     /* MAP_CREATE btf_fd: read when a BTF type id is given */
	PROG_BTF,    /* PROG_LOAD prog_btf_fd: read when func_info or line_info is given */
	TARGET,      /* an attach target: an ifindex for the device attach types (type at flag_off),
		      * else an fd, 0 meaning none */
	RELATIVE,    /* an mprog relative_fd: an fd when BPF_F_BEFORE/AFTER without BPF_F_ID (flags at
		      * flag_off), 0 meaning none; with BPF_F_REPLACE (cgroups) the replaced program */
};

static const struct fd_field {
	uint8_t cmd, off, when, flag_off;
	uint32_t flag;
} fields[] = {
	{ EMU_BPF_MAP_CREATE, MC_INNER_FD, MAP_IN_MAP, 0, 0 },
	{ EMU_BPF_MAP_CREATE, MC_BTF_FD, MAP_BTF, 0, 0 },
	{ EMU_BPF_MAP_CREATE, MC_VTYPE_BTF_OBJ_FD, IF_FLAG, MC_FLAGS, EMU_F_VTYPE_BTF_OBJ_FD },
	{ EMU_BPF_MAP_CREATE, MC_TOKEN_FD, IF_FLAG, MC_FLAGS, EMU_F_TOKEN_FD },
	{ EMU_BPF_MAP_LOOKUP_ELEM, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_UPDATE_ELEM, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_DELETE_ELEM, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_GET_NEXT_KEY, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_FREEZE, EL_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_LOOKUP_BATCH, BA_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, BA_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_UPDATE_BATCH, BA_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_MAP_DELETE_BATCH, BA_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_LOAD, PL_BTF_FD, PROG_BTF, 0, 0 },
	{ EMU_BPF_PROG_LOAD, PL_ATTACH_PROG_FD, NONZERO, 0, 0 }, /* or attach_btf_obj_fd */
	{ EMU_BPF_PROG_LOAD, PL_TOKEN_FD, IF_FLAG, PL_PROG_FLAGS, EMU_F_TOKEN_FD },
	{ EMU_BPF_OBJ_PIN, PIN_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_OBJ_PIN, PIN_PATH_FD, IF_FLAG, PIN_FILE_FLAGS, EMU_F_PATH_FD },
	{ EMU_BPF_OBJ_GET, PIN_PATH_FD, IF_FLAG, PIN_FILE_FLAGS, EMU_F_PATH_FD },
	{ EMU_BPF_PROG_ATTACH, AT_TARGET_FD, TARGET, AT_TYPE, 0 },
	{ EMU_BPF_PROG_ATTACH, AT_BPF_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_ATTACH, AT_REPLACE_FD, RELATIVE, AT_FLAGS, 0 },
	{ EMU_BPF_PROG_DETACH, AT_TARGET_FD, TARGET, AT_TYPE, 0 },
	{ EMU_BPF_PROG_DETACH, AT_BPF_FD, NONZERO, 0, 0 },
	{ EMU_BPF_PROG_DETACH, AT_REPLACE_FD, RELATIVE, AT_FLAGS, 0 },
	{ EMU_BPF_PROG_TEST_RUN, TR_PROG_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_OBJ_GET_INFO_BY_FD, INFO_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_QUERY, PQ_TARGET_FD, TARGET, PQ_ATTACH_TYPE, 0 },
	{ EMU_BPF_RAW_TRACEPOINT_OPEN, RT_PROG_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_BTF_LOAD, BTF_TOKEN_FD, IF_FLAG, BTF_FLAGS, EMU_F_BTF_TOKEN_FD },
	/* BPF_TASK_FD_QUERY's fd is one of task_fd_query.pid's, not the caller's: not translated */
	{ EMU_BPF_LINK_CREATE, LC_PROG_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_LINK_CREATE, LC_TARGET_FD, TARGET, LC_ATTACH_TYPE, 0 },
	{ EMU_BPF_LINK_CREATE, LC_TAIL, RELATIVE, LC_FLAGS, 1 /* only for tcx and netkit */ },
	{ EMU_BPF_LINK_UPDATE, LU_LINK_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_LINK_UPDATE, LU_NEW_PROG_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_LINK_UPDATE, LU_OLD_PROG_FD, IF_FLAG, LU_FLAGS, F_REPLACE },
	{ EMU_BPF_LINK_DETACH, LD_LINK_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_ITER_CREATE, IC_LINK_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_BIND_MAP, BM_PROG_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_BIND_MAP, BM_MAP_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_TOKEN_CREATE, TC_BPFFS_FD, ALWAYS, 0, 0 },
	{ EMU_BPF_PROG_STREAM_READ_BY_FD, SR_PROG_FD, ALWAYS, 0, 0 },
};

/* The attach types whose target is a network device's ifindex, not an fd. */
static bool ifindex_target(uint32_t type)
{
	return type == EMU_ATTACH_XDP || type == EMU_ATTACH_TCX_INGRESS || type == EMU_ATTACH_TCX_EGRESS ||
	       type == EMU_ATTACH_NETKIT_PRIMARY || type == EMU_ATTACH_NETKIT_PEER;
}

static bool is_fd(const struct fd_field *f, const struct emu_attr *a, uint32_t v)
{
	uint32_t type, flags;

	switch (f->when) {
	case ALWAYS:
		return true;
	case NONZERO:
		return v != 0;
	case IF_FLAG:
		return attr_u32(a, f->flag_off) & f->flag;
	case MAP_IN_MAP:
		type = attr_u32(a, MC_TYPE);
		return type == EMU_MAP_ARRAY_OF_MAPS || type == EMU_MAP_HASH_OF_MAPS;
	case MAP_BTF:
		return attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE) || attr_u32(a, MC_BTF_VMLINUX);
	case PROG_BTF:
		return attr_u32(a, PL_FUNC_INFO_CNT) || attr_u32(a, PL_LINE_INFO_CNT);
	case TARGET:
		return v != 0 && !ifindex_target(attr_u32(a, f->flag_off));
	case RELATIVE:
		flags = attr_u32(a, f->flag_off);
		if (!v)
			return false;
		if (f->flag) { /* LINK_CREATE: the tail is tcx's or netkit's only for their types */
			type = attr_u32(a, LC_ATTACH_TYPE);
			if (!ifindex_target(type) || type == EMU_ATTACH_XDP)
				return false;
		} else if (flags & F_REPLACE) {
			return true;
		}
		return (flags & (F_BEFORE | F_AFTER)) && !(flags & F_ID);
	}
	return false;
}

int sv_attr_fds_in(struct sv_call *c, int cmd, struct emu_attr *a, int held[SV_MAX_ATTR_FDS], unsigned *nheld)
{
	*nheld = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct fd_field *f = &fields[i];
		uint32_t v;
		int local;

		if (f->cmd != cmd || EMU_FAULT("superv-fd-as-is"))
			continue;
		v = attr_u32(a, f->off);
		if (!is_fd(f, a, v))
			continue;
		local = (int)v < 0 ? -EBADF : sv_getfd(c, (int)v);
		if (local == -EBADF || local == -ESRCH) {
			/* not the program's fd (or the program is gone: its answer no longer matters) */
			attr_set_u32(a, f->off, UINT32_MAX);
			continue;
		}
		if (local < 0)
			return local; /* EMFILE here, EPERM from a refused pidfd: the call fails so */
		held[(*nheld)++] = local;
		attr_set_u32(a, f->off, (uint32_t)local);
	}
	return 0;
}

bool sv_cmd_returns_fd(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_CREATE:
	case EMU_BPF_PROG_LOAD:
	case EMU_BPF_OBJ_GET:
	case EMU_BPF_PROG_GET_FD_BY_ID:
	case EMU_BPF_MAP_GET_FD_BY_ID:
	case EMU_BPF_RAW_TRACEPOINT_OPEN:
	case EMU_BPF_BTF_LOAD:
	case EMU_BPF_BTF_GET_FD_BY_ID:
	case EMU_BPF_LINK_CREATE:
	case EMU_BPF_LINK_GET_FD_BY_ID:
	case EMU_BPF_ENABLE_STATS:
	case EMU_BPF_ITER_CREATE:
	case EMU_BPF_TOKEN_CREATE:
		return true;
	default:
		return false;
	}
}
