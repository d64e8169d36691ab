/* SPDX-License-Identifier: MIT */
/*
 * Attaching programs: BPF_PROG_ATTACH, BPF_PROG_DETACH, BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN,
 * and the link commands (BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_ITER_CREATE, BPF_LINK_GET_FD_BY_ID,
 * BPF_LINK_GET_NEXT_ID). An emulated program cannot reach a kernel hook from user space, so no
 * link ever exists here.
 *
 * Each command makes 6.18's checks in its order (attrs, the program fd and its type, the attach
 * type), and where the kernel would go on to find the target (a cgroup, a netdev, a perf event, a
 * tracepoint, a sockmap, a netns) it answers with a one-line diagnostic and the errno the kernel
 * gives when that target does not exist: EBADF for a target fd (cgroup, perf event, sockmap,
 * netns of a link), ENODEV for a tcx/netkit ifindex, EINVAL for an XDP ifindex and the flow
 * dissector's netns, ENOENT for a tracepoint or kprobe symbols. An application that attaches then
 * fails as it would on a kernel without that hook. Perf-event attachment through
 * ioctl(PERF_EVENT_IOC_SET_BPF) never comes here: the kernel answers it (EINVAL: an emulated
 * program fd is not a kernel program).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "../core/prog_obj.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

/* BPF_F_ATTACH_MASK_BASE and _MPROG */
#define ATTACH_MASK_BASE 0x7u
#define ATTACH_MASK_MPROG (0x4u | 0x8u | 0x10u | 0x20u | 0x2000u)
#define XDP_FLAGS_MODES 0xeu

/* attach_type_to_prog_type (cmds.h) */
uint32_t emu_attach_prog_type(uint32_t t)
{
	switch (t) {
	case EMU_ATTACH_CGROUP_INET_INGRESS: case EMU_ATTACH_CGROUP_INET_EGRESS:
		return EMU_PROG_CGROUP_SKB;
	case EMU_ATTACH_CGROUP_INET_SOCK_CREATE: case EMU_ATTACH_CGROUP_INET_SOCK_RELEASE:
	case EMU_ATTACH_CGROUP_INET4_POST_BIND: case EMU_ATTACH_CGROUP_INET6_POST_BIND:
		return EMU_PROG_CGROUP_SOCK;
	case EMU_ATTACH_CGROUP_INET4_BIND: case EMU_ATTACH_CGROUP_INET6_BIND:
	case EMU_ATTACH_CGROUP_INET4_CONNECT: case EMU_ATTACH_CGROUP_INET6_CONNECT:
	case EMU_ATTACH_CGROUP_UNIX_CONNECT:
	case EMU_ATTACH_CGROUP_INET4_GETPEERNAME: case EMU_ATTACH_CGROUP_INET6_GETPEERNAME:
	case EMU_ATTACH_CGROUP_UNIX_GETPEERNAME:
	case EMU_ATTACH_CGROUP_INET4_GETSOCKNAME: case EMU_ATTACH_CGROUP_INET6_GETSOCKNAME:
	case EMU_ATTACH_CGROUP_UNIX_GETSOCKNAME:
	case EMU_ATTACH_CGROUP_UDP4_SENDMSG: case EMU_ATTACH_CGROUP_UDP6_SENDMSG:
	case EMU_ATTACH_CGROUP_UNIX_SENDMSG:
	case EMU_ATTACH_CGROUP_UDP4_RECVMSG: case EMU_ATTACH_CGROUP_UDP6_RECVMSG:
	case EMU_ATTACH_CGROUP_UNIX_RECVMSG:
		return EMU_PROG_CGROUP_SOCK_ADDR;
	case EMU_ATTACH_CGROUP_SOCK_OPS:
		return EMU_PROG_SOCK_OPS;
	case EMU_ATTACH_CGROUP_DEVICE:
		return EMU_PROG_CGROUP_DEVICE;
	case EMU_ATTACH_SK_MSG_VERDICT:
		return EMU_PROG_SK_MSG;
	case EMU_ATTACH_SK_SKB_STREAM_PARSER: case EMU_ATTACH_SK_SKB_STREAM_VERDICT: case EMU_ATTACH_SK_SKB_VERDICT:
		return EMU_PROG_SK_SKB;
	case EMU_ATTACH_LIRC_MODE2:
		return EMU_PROG_LIRC_MODE2;
	case EMU_ATTACH_FLOW_DISSECTOR:
		return EMU_PROG_FLOW_DISSECTOR;
	case EMU_ATTACH_CGROUP_SYSCTL:
		return EMU_PROG_CGROUP_SYSCTL;
	case EMU_ATTACH_CGROUP_GETSOCKOPT: case EMU_ATTACH_CGROUP_SETSOCKOPT:
		return EMU_PROG_CGROUP_SOCKOPT;
	case EMU_ATTACH_TRACE_ITER: case EMU_ATTACH_TRACE_RAW_TP: case EMU_ATTACH_TRACE_FENTRY:
	case EMU_ATTACH_TRACE_FEXIT: case EMU_ATTACH_MODIFY_RETURN:
		return EMU_PROG_TRACING;
	case EMU_ATTACH_LSM_MAC: case EMU_ATTACH_LSM_CGROUP:
		return EMU_PROG_LSM;
	case EMU_ATTACH_SK_LOOKUP:
		return EMU_PROG_SK_LOOKUP;
	case EMU_ATTACH_XDP:
		return EMU_PROG_XDP;
	case EMU_ATTACH_TCX_INGRESS: case EMU_ATTACH_TCX_EGRESS:
	case EMU_ATTACH_NETKIT_PRIMARY: case EMU_ATTACH_NETKIT_PEER:
		return EMU_PROG_SCHED_CLS;
	default:
		return EMU_PROG_UNSPEC;
	}
}

static bool is_cgroup_type(uint32_t pt)
{
	return pt == EMU_PROG_CGROUP_SKB || pt == EMU_PROG_CGROUP_SOCK || pt == EMU_PROG_CGROUP_SOCK_ADDR ||
	       pt == EMU_PROG_SOCK_OPS || pt == EMU_PROG_CGROUP_DEVICE || pt == EMU_PROG_CGROUP_SYSCTL ||
	       pt == EMU_PROG_CGROUP_SOCKOPT;
}

/* bpf_prog_attach_check_attach_type */
static int check_attach_type(struct emu_prog *p, uint32_t at)
{
	uint32_t pt = emu_prog_type(p), eat = emu_prog_expected_attach_type(p);

	switch (pt) {
	case EMU_PROG_CGROUP_SOCK:
	case EMU_PROG_CGROUP_SOCK_ADDR:
	case EMU_PROG_CGROUP_SOCKOPT:
	case EMU_PROG_SK_LOOKUP:
		return at == eat ? 0 : -EINVAL;
	case EMU_PROG_CGROUP_SKB:
		/* an expected attach type given at load (INET_INGRESS is 0: none) is enforced */
		return emu_attach_prog_type(at) != pt || (eat && eat != at) ? -EINVAL : 0;
	case EMU_PROG_EXT:
		return 0;
	case EMU_PROG_NETFILTER:
		return at == EMU_ATTACH_NETFILTER ? 0 : -EINVAL;
	case EMU_PROG_PERF_EVENT:
	case EMU_PROG_TRACEPOINT:
		return at == EMU_ATTACH_PERF_EVENT ? 0 : -EINVAL;
	case EMU_PROG_KPROBE:
		if (eat == EMU_ATTACH_TRACE_KPROBE_MULTI || eat == EMU_ATTACH_TRACE_KPROBE_SESSION ||
		    eat == EMU_ATTACH_TRACE_UPROBE_MULTI || eat == EMU_ATTACH_TRACE_UPROBE_SESSION)
			return at == eat ? 0 : -EINVAL;
		return at == EMU_ATTACH_PERF_EVENT ? 0 : -EINVAL;
	case EMU_PROG_SCHED_CLS:
		return at == EMU_ATTACH_TCX_INGRESS || at == EMU_ATTACH_TCX_EGRESS || at == EMU_ATTACH_NETKIT_PRIMARY ||
		       at == EMU_ATTACH_NETKIT_PEER ? 0 : -EINVAL;
	default: {
		uint32_t want = emu_attach_prog_type(at);

		return want == EMU_PROG_UNSPEC || want != pt ? -EINVAL : 0;
	}
	}
}

static bool fd_open(uint32_t fd)
{
	return fcntl((int)fd, F_GETFD) >= 0;
}

/* The kernel's answer for a target that is not there, with the diagnostic. */
static int no_target(const char *cmd, struct emu_prog *p, uint32_t at, int err, const char *what)
{
	const char *an = emu_attach_type_name(at);

	emu_diag("%s: an emulated program (%s) cannot attach to kernel hooks (%s %s): %s, as the kernel answers "
		 "for a missing target", cmd, emu_prog_type_name(emu_prog_type(p)) ? emu_prog_type_name(emu_prog_type(p)) : "?",
		 an ? an : "?", what, err == -EBADF ? "EBADF" : err == -ENODEV ? "ENODEV" : err == -ENOENT ? "ENOENT" : "EINVAL");
	return err;
}

/* bpf_prog_get_type: the program fd, of the type the attach type wants */
static int prog_of_type(uint32_t fd, uint32_t pt, struct emu_prog **out)
{
	int err = emu_prog_get((int)fd, out);

	if (!err && emu_prog_type(*out) != pt) {
		emu_prog_put(*out);
		err = -EINVAL;
	}
	return err;
}

/* Where BPF_PROG_ATTACH would find its target. */
static int attach_target(const char *cmd, struct emu_prog *p, const struct emu_attr *a, uint32_t pt, uint32_t at)
{
	uint32_t target = attr_u32(a, AT_TARGET_FD);

	switch (pt) {
	case EMU_PROG_SK_MSG:
	case EMU_PROG_SK_SKB:
		return no_target(cmd, p, at, fd_open(target) ? -EINVAL : -EBADF, "sockmap");
	case EMU_PROG_FLOW_DISSECTOR:
		return no_target(cmd, p, at, -EINVAL, "netns");
	case EMU_PROG_SCHED_CLS:
		return no_target(cmd, p, at, -ENODEV, "netdev");
	default:
		if (is_cgroup_type(pt))
			return no_target(cmd, p, at, -EBADF, "cgroup");
		return -EINVAL;
	}
}

int emu_cmd_prog_attach(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t at = attr_u32(a, AT_TYPE), flags = attr_u32(a, AT_FLAGS), pt = emu_attach_prog_type(at);
	struct emu_prog *p;
	int err;

	(void)uattr;
	if (pt == EMU_PROG_UNSPEC)
		return -EINVAL;
	if (pt == EMU_PROG_SCHED_CLS) {
		if (flags & ~ATTACH_MASK_MPROG)
			return -EINVAL;
	} else if ((flags & ~ATTACH_MASK_BASE) || attr_u32(a, AT_REPLACE_FD) || attr_u64(a, AT_EXPECTED_REVISION)) {
		return -EINVAL;
	}
	err = prog_of_type(attr_u32(a, AT_BPF_FD), pt, &p);
	if (err)
		return err;
	err = check_attach_type(p, at);
	if (!err)
		err = attach_target("BPF_PROG_ATTACH", p, a, pt, at);
	emu_prog_put(p);
	return err;
}

int emu_cmd_prog_detach(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t at = attr_u32(a, AT_TYPE), flags = attr_u32(a, AT_FLAGS), pt = emu_attach_prog_type(at);
	struct emu_prog *p = NULL;
	int err;

	(void)uattr;
	if (pt == EMU_PROG_SCHED_CLS) {
		if (flags & ~ATTACH_MASK_MPROG)
			return -EINVAL;
		if (attr_u32(a, AT_BPF_FD)) {
			err = prog_of_type(attr_u32(a, AT_BPF_FD), pt, &p);
			if (err)
				return err;
		}
	} else if (flags || attr_u32(a, AT_REPLACE_FD) || attr_u64(a, AT_EXPECTED_REVISION)) {
		return -EINVAL;
	}
	if (p)
		emu_prog_put(p);
	switch (pt) {
	case EMU_PROG_SK_MSG:
	case EMU_PROG_SK_SKB:
		return fd_open(attr_u32(a, AT_TARGET_FD)) ? -EINVAL : -EBADF;
	case EMU_PROG_FLOW_DISSECTOR:
		return -EINVAL;
	case EMU_PROG_SCHED_CLS:
		return -ENODEV;
	default:
		return is_cgroup_type(pt) ? -EBADF : -EINVAL;
	}
}

int emu_cmd_link_create(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t at = attr_u32(a, LC_ATTACH_TYPE), flags = attr_u32(a, LC_FLAGS), target = attr_u32(a, LC_TARGET_FD);
	const char *cmd = "BPF_LINK_CREATE";
	struct emu_prog *p;
	uint32_t pt;
	int err;

	(void)uattr;
	if (at == EMU_ATTACH_STRUCT_OPS) { /* bpf_struct_ops_link_create: prog_fd names the map */
		if (flags)
			return -EINVAL;
		return fd_open(attr_u32(a, LC_PROG_FD)) ? -EINVAL : -EBADF;
	}
	err = emu_prog_get((int)attr_u32(a, LC_PROG_FD), &p);
	if (err)
		return err;
	err = check_attach_type(p, at);
	if (err)
		goto out;
	pt = emu_prog_type(p);
	if (is_cgroup_type(pt)) {
		err = flags ? -EINVAL : no_target(cmd, p, at, -EBADF, "cgroup");
	} else if (pt == EMU_PROG_FLOW_DISSECTOR || pt == EMU_PROG_SK_LOOKUP) {
		err = flags ? -EINVAL : no_target(cmd, p, at, fd_open(target) ? -EINVAL : -EBADF, "netns");
	} else if (pt == EMU_PROG_SK_MSG || pt == EMU_PROG_SK_SKB) {
		err = flags ? -EINVAL : no_target(cmd, p, at, fd_open(target) ? -EINVAL : -EBADF, "sockmap");
	} else if (pt == EMU_PROG_XDP) {
		err = (flags & ~XDP_FLAGS_MODES) ? -EINVAL : no_target(cmd, p, at, -EINVAL, "netdev");
	} else if (pt == EMU_PROG_SCHED_CLS) {
		err = no_target(cmd, p, at, -ENODEV, "netdev");
	} else if (pt == EMU_PROG_PERF_EVENT || pt == EMU_PROG_TRACEPOINT ||
		   (pt == EMU_PROG_KPROBE && at == EMU_ATTACH_PERF_EVENT)) {
		err = flags ? -EINVAL : no_target(cmd, p, at, -EBADF, "perf event");
	} else if (pt == EMU_PROG_KPROBE) {
		err = no_target(cmd, p, at, -ENOENT, "symbols");
	} else if (pt == EMU_PROG_NETFILTER) {
		err = no_target(cmd, p, at, -EINVAL, "netfilter hook");
	} else {
		err = -EINVAL;
	}
out:
	emu_prog_put(p);
	return err;
}

int emu_cmd_raw_tracepoint_open(struct emu_attr *a, union bpf_attr *uattr)
{
	const char *uname = attr_ptr(a, RT_NAME);
	struct emu_prog *p;
	char name[128];
	uint32_t pt;
	int err;

	(void)uattr;
	err = emu_prog_get((int)attr_u32(a, RT_PROG_FD), &p);
	if (err)
		return err;
	pt = emu_prog_type(p);
	if (pt != EMU_PROG_RAW_TRACEPOINT && pt != EMU_PROG_RAW_TRACEPOINT_WRITABLE) {
		err = -EINVAL;
		goto out;
	}
	/* strncpy_from_user of the name: a fault before its NUL is EFAULT */
	for (size_t i = 0; i < sizeof(name) - 1; i++) {
		if (emu_copy_from_user(&name[i], uname + i, 1)) {
			err = -EFAULT;
			goto out;
		}
		if (!name[i])
			break;
	}
	name[sizeof(name) - 1] = 0;
	emu_diag("BPF_RAW_TRACEPOINT_OPEN: an emulated program cannot attach to the kernel's tracepoint \"%s\": "
		 "ENOENT, as the kernel answers for a missing tracepoint", name);
	err = -ENOENT;
out:
	emu_prog_put(p);
	return err;
}

/* ---- links: none exist ---- */

/* bpf_link_get_from_fd: EBADF for no fd, EINVAL for an fd that is not a link (every fd here) */
static int no_link(uint32_t fd)
{
	return fd_open(fd) ? -EINVAL : -EBADF;
}

int emu_cmd_link_update(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	if (attr_u32(a, LU_FLAGS) & ~0x4u /* BPF_F_REPLACE */)
		return -EINVAL;
	return no_link(attr_u32(a, LU_LINK_FD));
}

int emu_cmd_link_detach(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	return no_link(attr_u32(a, LD_LINK_FD));
}

int emu_cmd_iter_create(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	if (attr_u32(a, IC_FLAGS))
		return -EINVAL;
	return no_link(attr_u32(a, IC_LINK_FD));
}

int emu_cmd_link_get_fd_by_id(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)a;
	(void)uattr;
	return -ENOENT;
}

int emu_cmd_link_get_next_id(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	return attr_u32(a, ID_START) >= INT_MAX ? -EINVAL : -ENOENT;
}
