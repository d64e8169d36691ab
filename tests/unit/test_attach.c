/* SPDX-License-Identifier: MIT */
/*
 * The attach and link commands: BPF_PROG_ATTACH, BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN and the
 * link commands, answered as the kernel answers when the target does not exist (the emulator
 * cannot reach kernel hooks). Every case names a target that does not exist, on the kernel too:
 * no case names a real cgroup, netdev, netns or tracepoint, so nothing is ever attached. With
 * BPFEMU_UNIT_KERNEL=1 the cases run against the kernel but the emulator-only one (the kernel here
 * has links of its own).
 */
#include "prog.h"

/* ---- attaching: every case names a target that does not exist, on the kernel too ---- */

START_TEST(attach_missing_targets)
{
	int tp = mkprog(EMU_PROG_TRACEPOINT, NULL), kp = mkprog(EMU_PROG_KPROBE, NULL),
	    sf = mkprog(EMU_PROG_SOCKET_FILTER, NULL), xdp = mkprog(EMU_PROG_XDP, NULL),
	    cls = mkprog(EMU_PROG_SCHED_CLS, NULL), rtp = mkprog(EMU_PROG_RAW_TRACEPOINT, NULL), skb, sk;
	struct attr a;

	pl_attr(&a, EMU_PROG_CGROUP_SKB, ret0, 2);
	skb = pl(&a);
	ck_assert_int_ge(skb, 0);
	sk = mkprog(EMU_PROG_SK_SKB, NULL);
	/* libbpf's perf_link probe: an fd of -1 is EBADF where perf links exist */
	memset(&a, 0, sizeof(a));
	put32(a.b, LC_PROG_FD, (uint32_t)tp);
	put32(a.b, LC_TARGET_FD, (uint32_t)-1);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_PERF_EVENT);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, LC_PROG_FD, (uint32_t)kp);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, LC_PROG_FD, (uint32_t)sf);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, LC_PROG_FD, 999);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, LC_PROG_FD, (uint32_t)tp);
	put32(a.b, LC_ATTACH_TYPE, 99);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, LC_END, 1);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_PERF_EVENT);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	/* XDP on a missing ifindex, or with flags outside the modes */
	memset(&a, 0, sizeof(a));
	put32(a.b, LC_PROG_FD, (uint32_t)xdp);
	put32(a.b, LC_TARGET_FD, 0x7ffffff0);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_XDP);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, LC_TARGET_FD, 1);
	put32(a.b, LC_FLAGS, 1);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	/* tcx on a missing ifindex */
	memset(&a, 0, sizeof(a));
	put32(a.b, LC_PROG_FD, (uint32_t)cls);
	put32(a.b, LC_TARGET_FD, 0x7ffffff0);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_TCX_INGRESS);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), ENODEV);
	/* a cgroup fd that is not open, a sockmap that is not open */
	memset(&a, 0, sizeof(a));
	put32(a.b, LC_PROG_FD, (uint32_t)skb);
	put32(a.b, LC_TARGET_FD, 999);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_CGROUP_INET_INGRESS);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, LC_PROG_FD, (uint32_t)sk);
	put32(a.b, LC_TARGET_FD, (uint32_t)-1);
	put32(a.b, LC_ATTACH_TYPE, EMU_ATTACH_SK_SKB_VERDICT);
	ERR(ubpf(EMU_BPF_LINK_CREATE, a.b, EMU_ATTR_SIZE), EBADF);

	/* BPF_PROG_ATTACH */
	memset(&a, 0, sizeof(a));
	put32(a.b, AT_TARGET_FD, 999);
	put32(a.b, AT_BPF_FD, (uint32_t)skb);
	put32(a.b, AT_TYPE, EMU_ATTACH_CGROUP_INET_INGRESS);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, AT_BPF_FD, (uint32_t)sf);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, AT_BPF_FD, 999);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, AT_TYPE, 99);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, AT_BPF_FD, (uint32_t)xdp);
	put32(a.b, AT_TYPE, EMU_ATTACH_XDP);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, AT_BPF_FD, (uint32_t)cls);
	put32(a.b, AT_TYPE, EMU_ATTACH_TCX_INGRESS);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), ENODEV);
	put32(a.b, AT_BPF_FD, (uint32_t)sk);
	put32(a.b, AT_TYPE, EMU_ATTACH_SK_SKB_STREAM_VERDICT);
	ERR(ubpf(EMU_BPF_PROG_ATTACH, a.b, EMU_ATTR_SIZE), EBADF);

	/* BPF_RAW_TRACEPOINT_OPEN */
	memset(&a, 0, sizeof(a));
	putp(a.b, RT_NAME, "bpfemu_no_such_tracepoint");
	put32(a.b, RT_PROG_FD, (uint32_t)rtp);
	ERR(ubpf(EMU_BPF_RAW_TRACEPOINT_OPEN, a.b, EMU_ATTR_SIZE), ENOENT);
	put32(a.b, RT_PROG_FD, (uint32_t)sf);
	ERR(ubpf(EMU_BPF_RAW_TRACEPOINT_OPEN, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, RT_PROG_FD, 999);
	ERR(ubpf(EMU_BPF_RAW_TRACEPOINT_OPEN, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, RT_PROG_FD, (uint32_t)rtp);
	put64(a.b, RT_NAME, 0);
	ERR(ubpf(EMU_BPF_RAW_TRACEPOINT_OPEN, a.b, EMU_ATTR_SIZE), EFAULT);

	/* links: fds that are none */
	memset(&a, 0, sizeof(a));
	put32(a.b, LU_LINK_FD, (uint32_t)sf);
	ERR(ubpf(EMU_BPF_LINK_UPDATE, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_LINK_DETACH, a.b, EMU_ATTR_SIZE), EINVAL);
	ERR(ubpf(EMU_BPF_ITER_CREATE, a.b, EMU_ATTR_SIZE), EINVAL);
	put32(a.b, LU_LINK_FD, 999);
	ERR(ubpf(EMU_BPF_LINK_DETACH, a.b, EMU_ATTR_SIZE), EBADF);
	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, 0x7ffffff0);
	ERR(ubpf(EMU_BPF_LINK_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE), ENOENT);
	put32(a.b, ID_OPEN_FLAGS, 8);
	ERR(ubpf(EMU_BPF_LINK_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE), EINVAL);
	memset(&a, 0, sizeof(a));
	put32(a.b, ID_START, INT32_MAX);
	ERR(ubpf(EMU_BPF_LINK_GET_NEXT_ID, a.b, EMU_ATTR_SIZE), EINVAL);
	close(tp); close(kp); close(sf); close(xdp); close(cls); close(rtp); close(skb); close(sk);
}
END_TEST

/* The kernel here has links of its own; the emulator has none. */
START_TEST(no_links)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	ERR(ubpf(EMU_BPF_LINK_GET_NEXT_ID, a.b, EMU_ATTR_SIZE), ENOENT);
}
END_TEST


int main(void)
{
	Suite *s = suite_create("attach");
	TCase *att = tcase_create("attach"), *emu = emu_tcase(s);

	unit_init(NULL);
	tcase_add_test(att, attach_missing_targets);
	suite_add_tcase(s, att);
	opt_add_test(emu, no_links);
	return unit_run(s);
}
