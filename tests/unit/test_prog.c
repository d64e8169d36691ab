/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_LOAD: the attr checks and errnos, in the kernel's order (each observed on 6.18), the
 * verifier log attrs, the program types the load-time checks do not model, and the programs
 * libbpf 1.1 loads as feature probes. With BPFEMU_UNIT_KERNEL=1 every case runs against the
 * kernel: what is asserted here is the kernel's answer. Program objects, TEST_RUN and attaching
 * are test_progobj.c's.
 */
#include "prog.h"

/* ---- BPF_PROG_LOAD: attrs and errnos ---- */

/* one attr change from a valid trivial load, and the kernel's answer */
struct lcase {
	const char *what;
	void (*set)(struct attr *a);
	int err;   /* 0: loads */
	bool wild; /* hands the library unreadable memory (left out under valgrind, unit.h) */
};


static void s_none(struct attr *a) { (void)a; }
static void s_cnt0(struct attr *a) { put32(a->b, PL_INSN_CNT, 0); }
static void s_cnt_big(struct attr *a) { put32(a->b, PL_INSN_CNT, 1000001); }
static void s_flags_unknown(struct attr *a) { put32(a->b, PL_PROG_FLAGS, 1u << 8); }
static void s_token_stdin(struct attr *a) { put32(a->b, PL_PROG_FLAGS, 1u << 16); }
static void s_token_closed(struct attr *a) { put32(a->b, PL_PROG_FLAGS, 1u << 16); put32(a->b, PL_TOKEN_FD, 999); }
static void s_type0(struct attr *a) { put32(a->b, PL_TYPE, 0); }
static void s_type99(struct attr *a) { put32(a->b, PL_TYPE, 99); }
static void s_type_lirc(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_LIRC_MODE2); }
static void s_type99_null_insns(struct attr *a) { put32(a->b, PL_TYPE, 99); put64(a->b, PL_INSNS, 0); }
static void s_null_insns(struct attr *a) { put64(a->b, PL_INSNS, 0); }
static void s_bad_insns(struct attr *a) { putp(a->b, PL_INSNS, bad_page()); }
static void s_null_license(struct attr *a) { put64(a->b, PL_LICENSE, 0); }
static void s_bad_license(struct attr *a) { putp(a->b, PL_LICENSE, bad_page()); }
static void s_license_other(struct attr *a) { putp(a->b, PL_LICENSE, "Proprietary"); }
static void s_name_bad(struct attr *a) { memcpy(a->b + PL_NAME, "a-b", 3); }
static void s_name_full(struct attr *a) { memset(a->b + PL_NAME, 'x', 16); }
static void s_name_bad_type99(struct attr *a) { memcpy(a->b + PL_NAME, "a-b", 3); put32(a->b, PL_TYPE, 99); }
static void s_name_bad_null_lic(struct attr *a) { memcpy(a->b + PL_NAME, "a-b", 3); put64(a->b, PL_LICENSE, 0); }
static void s_ifindex_sf(struct attr *a) { put32(a->b, PL_IFINDEX, 1); }
static void s_ifindex_xdp_missing(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_XDP); put32(a->b, PL_IFINDEX, 0x7ffffff0); }
static void s_ifindex_xdp_lo(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_XDP); put32(a->b, PL_IFINDEX, 1); }
static void s_ifindex_cls_devbound(struct attr *a)
{
	put32(a->b, PL_TYPE, EMU_PROG_SCHED_CLS);
	put32(a->b, PL_IFINDEX, 1);
	put32(a->b, PL_PROG_FLAGS, EMU_F_XDP_DEV_BOUND_ONLY);
}
static void s_ifindex_frags(struct attr *a)
{
	put32(a->b, PL_TYPE, EMU_PROG_XDP);
	put32(a->b, PL_IFINDEX, 1);
	put32(a->b, PL_PROG_FLAGS, EMU_F_XDP_HAS_FRAGS);
}
static void s_ifindex_null_lic(struct attr *a) { s_ifindex_xdp_lo(a); put64(a->b, PL_LICENSE, 0); }
static void s_attach_btf_id(struct attr *a) { put32(a->b, PL_ATTACH_BTF_ID, 5); }
static void s_attach_btf_id_null(struct attr *a) { put32(a->b, PL_ATTACH_BTF_ID, 5); put64(a->b, PL_INSNS, 0); }
static void s_attach_prog_closed(struct attr *a) { put32(a->b, PL_ATTACH_PROG_FD, 999); }
static void s_sig_keyring0(struct attr *a) { putp(a->b, PL_SIGNATURE, logbuf); put32(a->b, PL_SIGNATURE_SIZE, 16); }
static void s_sig_keyring5(struct attr *a) { s_sig_keyring0(a); put32(a->b, PL_KEYRING_ID, 5); }
static void s_sig_bad(struct attr *a) { putp(a->b, PL_SIGNATURE, bad_page()); put32(a->b, PL_SIGNATURE_SIZE, 16); }
static void s_sig_null_lic(struct attr *a) { s_sig_keyring0(a); put64(a->b, PL_LICENSE, 0); }
static void s_sig_type99(struct attr *a) { s_sig_keyring0(a); put32(a->b, PL_TYPE, 99); }
static void s_keyring_only(struct attr *a) { put32(a->b, PL_KEYRING_ID, 5); put32(a->b, PL_SIGNATURE_SIZE, 5); }
static void s_ext(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_EXT); put32(a->b, PL_INSN_CNT, 0); }
static void s_lsm(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_LSM); put64(a->b, PL_INSNS, 0); }
static void s_log_buf_no_level(struct attr *a) { putp(a->b, PL_LOG_BUF, logbuf); put32(a->b, PL_LOG_SIZE, 100); }
static void s_log_level_only(struct attr *a) { put32(a->b, PL_LOG_LEVEL, 1); }
static void s_log_level_bad(struct attr *a) { with_log(a, 16); }
static void s_log_size_big(struct attr *a) { with_log(a, 1); put32(a->b, PL_LOG_SIZE, 0x40000000); }
static void s_log_level_type99(struct attr *a) { with_log(a, 1); put32(a->b, PL_TYPE, 99); }
static void s_fi_no_btf(struct attr *a) { put32(a->b, PL_FUNC_INFO_CNT, 1); put32(a->b, PL_FUNC_INFO_REC_SIZE, 8); putp(a->b, PL_FUNC_INFO, logbuf); }
static void s_fi_btf_closed(struct attr *a) { s_fi_no_btf(a); put32(a->b, PL_BTF_FD, 999); }
static void s_li_no_btf(struct attr *a) { put32(a->b, PL_LINE_INFO_CNT, 1); put32(a->b, PL_LINE_INFO_REC_SIZE, 16); putp(a->b, PL_LINE_INFO, logbuf); }
static void s_btf_fd_only(struct attr *a) { put32(a->b, PL_BTF_FD, 999); }
static void s_rec_sizes_only(struct attr *a) { put32(a->b, PL_FUNC_INFO_REC_SIZE, 3); put32(a->b, PL_LINE_INFO_REC_SIZE, 5); }
static void s_core_no_info(struct attr *a) { put32(a->b, PL_CORE_RELO_CNT, 1); put32(a->b, PL_CORE_RELO_REC_SIZE, 16); putp(a->b, PL_CORE_RELOS, logbuf); }
static void s_kern_version(struct attr *a) { put32(a->b, PL_KERN_VERSION, 5); }
static void s_fd_array_cnt_null(struct attr *a) { put32(a->b, PL_FD_ARRAY_CNT, 1); }
static void s_fd_array_cnt_big(struct attr *a) { put32(a->b, PL_FD_ARRAY_CNT, 0x40000000); putp(a->b, PL_FD_ARRAY, logbuf); }
static void s_syscall_no_sleep(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_SYSCALL); }
static void s_syscall_eat(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_SYSCALL); put32(a->b, PL_EXPECTED_ATTACH, 1); }
static void s_syscall_sleepable(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_SYSCALL); put32(a->b, PL_PROG_FLAGS, EMU_F_SLEEPABLE); }
static void s_cgskb_eat_bad(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SKB); put32(a->b, PL_EXPECTED_ATTACH, 5); }
static void s_cgskb_egress(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SKB); put32(a->b, PL_EXPECTED_ATTACH, 1); }
static void s_cgsock_default(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SOCK); }
static void s_cgsock_eat_bad(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SOCK); put32(a->b, PL_EXPECTED_ATTACH, 1); }
static void s_sockaddr_no_eat(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SOCK_ADDR); }
static void s_sockopt_no_eat(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_CGROUP_SOCKOPT); }
static void s_sk_lookup_no_eat(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_SK_LOOKUP); }
static void s_sk_lookup(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_SK_LOOKUP); put32(a->b, PL_EXPECTED_ATTACH, EMU_ATTACH_SK_LOOKUP); }
static void s_netfilter(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_NETFILTER); put32(a->b, PL_EXPECTED_ATTACH, EMU_ATTACH_NETFILTER); }
static void s_tracing(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_TRACING); }
static void s_struct_ops(struct attr *a) { put32(a->b, PL_TYPE, EMU_PROG_STRUCT_OPS); }
static void s_sf_eat_ignored(struct attr *a) { put32(a->b, PL_EXPECTED_ATTACH, 77); }

static const struct lcase lcases[] = {
	{ "valid", s_none, 0, false },
	{ "insn_cnt 0", s_cnt0, E2BIG, false },
	{ "insn_cnt 1000001", s_cnt_big, E2BIG, false },
	{ "unknown prog_flags", s_flags_unknown, EINVAL, false },
	{ "token flag, token fd 0", s_token_stdin, EINVAL, false },
	{ "token flag, closed token fd", s_token_closed, EBADF, false },
	{ "type 0", s_type0, EINVAL, false },
	{ "type 99", s_type99, EINVAL, false },
	{ "type LIRC_MODE2 (not in this kernel)", s_type_lirc, EINVAL, false },
	{ "type 99 with NULL insns: the copy first", s_type99_null_insns, EFAULT, false },
	{ "NULL insns", s_null_insns, EFAULT, false },
	{ "unreadable insns", s_bad_insns, EFAULT, true },
	{ "NULL license", s_null_license, EFAULT, false },
	{ "unreadable license", s_bad_license, EFAULT, true },
	{ "proprietary license", s_license_other, 0, false },
	{ "name with '-'", s_name_bad, EINVAL, false },
	{ "name without NUL", s_name_full, EINVAL, false },
	{ "bad name and type 99: the type first", s_name_bad_type99, EINVAL, false },
	{ "bad name and NULL license: the license first", s_name_bad_null_lic, EFAULT, false },
	{ "ifindex on a socket filter", s_ifindex_sf, EINVAL, false },
	{ "ifindex of no device", s_ifindex_xdp_missing, EINVAL, false },
	{ "ifindex of lo (no offload)", s_ifindex_xdp_lo, EOPNOTSUPP, false },
	{ "dev-bound sched_cls", s_ifindex_cls_devbound, EINVAL, false },
	{ "frags without dev-bound", s_ifindex_frags, EINVAL, false },
	{ "ifindex and NULL license: the license first", s_ifindex_null_lic, EFAULT, false },
	{ "attach_btf_id on a socket filter", s_attach_btf_id, EINVAL, false },
	{ "attach_btf_id before the insns copy", s_attach_btf_id_null, EINVAL, false },
	{ "attach_prog_fd closed", s_attach_prog_closed, EINVAL, false },
	{ "signature, keyring 0", s_sig_keyring0, EOPNOTSUPP, false },
	{ "signature, keyring 5", s_sig_keyring5, EINVAL, false },
	{ "signature unreadable", s_sig_bad, ENOMEM, true },
	{ "signature and NULL license: the license first", s_sig_null_lic, EFAULT, false },
	{ "signature and type 99: the signature first", s_sig_type99, EOPNOTSUPP, false },
	{ "keyring and size without a signature", s_keyring_only, 0, false },
	{ "EXT before anything else", s_ext, EPERM, false },
	{ "LSM before anything else", s_lsm, EPERM, false },
	{ "log buffer without level", s_log_buf_no_level, EINVAL, false },
	{ "log level without buffer", s_log_level_only, 0, false },
	{ "unknown log level bit", s_log_level_bad, EINVAL, false },
	{ "log size above UINT_MAX >> 2", s_log_size_big, EINVAL, false },
	{ "log and type 99", s_log_level_type99, EINVAL, false },
	{ "func_info, btf fd 0", s_fi_no_btf, EINVAL, false },
	{ "func_info, btf fd closed", s_fi_btf_closed, EBADF, false },
	{ "line_info, btf fd 0", s_li_no_btf, EINVAL, false },
	{ "btf fd without func/line info", s_btf_fd_only, 0, false },
	{ "record sizes without counts", s_rec_sizes_only, 0, false },
	{ "core relos without func/line info", s_core_no_info, 0, false },
	{ "kern_version", s_kern_version, 0, false },
	{ "fd_array_cnt with NULL fd_array", s_fd_array_cnt_null, EFAULT, false },
	{ "fd_array_cnt too big", s_fd_array_cnt_big, EINVAL, false },
	{ "syscall program not sleepable", s_syscall_no_sleep, EINVAL, false },
	{ "syscall program with an attach type", s_syscall_eat, EINVAL, false },
	{ "sleepable syscall program", s_syscall_sleepable, 0, false },
	{ "cgroup_skb, attach type of another type", s_cgskb_eat_bad, EINVAL, false },
	{ "cgroup_skb egress", s_cgskb_egress, 0, false },
	{ "cgroup_sock, attach type fixed up", s_cgsock_default, 0, false },
	{ "cgroup_sock, wrong attach type", s_cgsock_eat_bad, EINVAL, false },
	{ "cgroup_sock_addr without attach type", s_sockaddr_no_eat, EINVAL, false },
	{ "cgroup_sockopt without attach type", s_sockopt_no_eat, EINVAL, false },
	{ "sk_lookup without attach type", s_sk_lookup_no_eat, EINVAL, false },
	{ "sk_lookup", s_sk_lookup, 0, false },
	{ "netfilter", s_netfilter, 0, false },
	{ "tracing without btf id", s_tracing, EINVAL, false },
	{ "struct_ops without btf id", s_struct_ops, EMU_ENOTSUPP, false },
	{ "socket filter ignores expected_attach_type", s_sf_eat_ignored, 0, false },
};
#define NLCASES ((int)(sizeof(lcases) / sizeof(lcases[0])))

START_TEST(load_attrs)
{
	const struct lcase *c = &lcases[_i];
	struct attr a;
	int fd;

	if (c->wild && !unit_wild_ok())
		return;
	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	c->set(&a);
	errno = 0;
	fd = pl(&a);
	if (!c->err) {
		ck_assert_msg(fd >= 0, "%s: errno %d %s, want a program", c->what, errno, errname(errno));
		close(fd);
	} else {
		ck_assert_msg(fd == -1 && errno == c->err, "%s: %d errno %d %s, want %s", c->what, fd, errno,
			      errname(errno), errname(c->err));
	}
}
END_TEST

/* The first log line of refusals made before the verifier walks anything. */
START_TEST(early_log_lines)
{
	int mfd = mkmap(EMU_MAP_ARRAY, 4, 8, 1, 0);
	int32_t fds[1] = { -1 };
	struct attr a;

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	with_log(&a, 1);
	put32(a.b, PL_FD_ARRAY_CNT, 0x40000000);
	putp(a.b, PL_FD_ARRAY, fds);
	ERR(pl(&a), EINVAL);
	ck_assert_str_eq(first_line(), "fd_array_cnt is too big (1073741824)");

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	with_log(&a, 1);
	put32(a.b, PL_FD_ARRAY_CNT, 1);
	putp(a.b, PL_FD_ARRAY, fds);
	ERR(pl(&a), EBADF);
	ck_assert_str_eq(first_line(), "fd -1 is not pointing to valid bpf_map or btf");
	ck_assert_ptr_nonnull(strstr(logbuf, "\nprocessed 0 insns (limit 1000000)"));

	fds[0] = 0;
	ERR(pl(&a), EINVAL);
	ck_assert_str_eq(first_line(), "fd 0 is not pointing to valid bpf_map or btf");

	/* fd_array_cnt names a map: the program uses it without naming it in an instruction */
	fds[0] = mfd;
	{
		unsigned char info[PI_SIZE];
		uint32_t len = sizeof(info), ids[4] = { 0 };
		int fd = pl(&a);

		ck_assert_int_ge(fd, 0);
		memset(info, 0, sizeof(info));
		put32(info, PI_NR_MAP_IDS, 4);
		putp(info, PI_MAP_IDS, ids);
		OK(prog_info(fd, info, &len));
		ck_assert_uint_eq(get32(info, PI_NR_MAP_IDS), 1);
		ck_assert_uint_eq(ids[0], map_id(mfd));
		close(fd);
	}

	pl_attr(&a, EMU_PROG_TRACING, ret0, 2);
	with_log(&a, 1);
	ERR(pl(&a), EINVAL);
	ck_assert_str_eq(first_line(), "Tracing programs must provide btf_id");

	pl_attr(&a, EMU_PROG_STRUCT_OPS, ret0, 2);
	with_log(&a, 2);
	ERR(pl(&a), EMU_ENOTSUPP);
	ck_assert_str_eq(first_line(), "func#0 @0");
	close(mfd);
}
END_TEST

/* log_level without a buffer: the size the log needed is still reported; a short buffer is
 * ENOSPC with the log's tail (rolling) or head (BPF_LOG_FIXED) in it. */
START_TEST(log_sizes)
{
	static const char stats[] = "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
				    "peak_states 0 mark_read 0\n";
	struct attr a;
	int fd;

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	put32(a.b, PL_LOG_LEVEL, 1);
	fd = pl(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_uint_eq(get32(a.b, PL_LOG_TRUE_SIZE), sizeof(stats));

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	with_log(&a, 1);
	put32(a.b, PL_LOG_SIZE, 10);
	ERR(pl(&a), ENOSPC);
	ck_assert_uint_eq(get32(a.b, PL_LOG_TRUE_SIZE), sizeof(stats));
	ck_assert_str_eq(logbuf, "k_read 0\n");

	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	with_log(&a, 1 | 8);
	put32(a.b, PL_LOG_SIZE, 10);
	ERR(pl(&a), ENOSPC);
	ck_assert_str_eq(logbuf, "processed");

	/* an attr too short to hold log_true_size gets nothing written there */
	pl_attr(&a, EMU_PROG_SOCKET_FILTER, ret0, 2);
	with_log(&a, 1);
	put32(a.b, PL_LOG_TRUE_SIZE, 0xdeadbeef);
	fd = ubpf(EMU_BPF_PROG_LOAD, a.b, PL_LOG_TRUE_SIZE);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_uint_eq(get32(a.b, PL_LOG_TRUE_SIZE), 0xdeadbeef);
	ck_assert_str_eq(logbuf, stats);
}
END_TEST

/* The types the load-time checks do not model: `r0 = imm; exit` in or out of the return range. */
struct rcase {
	uint32_t type, eat, code;
	int32_t imm;
	int err;
	const char *exit_line; /* the refusal's line */
};

static const struct rcase rcases[] = {
	{ EMU_PROG_CGROUP_SOCK, 0, 0xb7, 0, 0, NULL },
	{ EMU_PROG_CGROUP_SOCK, 0, 0xb7, 1, 0, NULL },
	{ EMU_PROG_CGROUP_SOCK, 0, 0xb7, 2, EINVAL, "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]" },
	{ EMU_PROG_CGROUP_SOCK, 0, 0xb7, -1, EINVAL, "At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]" },
	{ EMU_PROG_CGROUP_SOCK, 0, 0xb4, -1, EINVAL, "At program exit the register R0 has smin=4294967295 smax=4294967295 should have been in [0, 1]" },
	{ EMU_PROG_SOCK_OPS, 0, 0xb7, 2, EINVAL, "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]" },
	{ EMU_PROG_CGROUP_DEVICE, 0, 0xb4, 1, 0, NULL },
	{ EMU_PROG_CGROUP_SOCK_ADDR, EMU_ATTACH_CGROUP_INET4_BIND, 0xb7, 3, 0, NULL },
	{ EMU_PROG_CGROUP_SOCK_ADDR, EMU_ATTACH_CGROUP_INET4_BIND, 0xb7, 4, EINVAL, "At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]" },
	{ EMU_PROG_CGROUP_SOCK_ADDR, EMU_ATTACH_CGROUP_UDP4_RECVMSG, 0xb7, 0, EINVAL, "At program exit the register R0 has smin=0 smax=0 should have been in [1, 1]" },
	{ EMU_PROG_CGROUP_SOCK_ADDR, EMU_ATTACH_CGROUP_INET4_CONNECT, 0xb7, 1, 0, NULL },
	{ EMU_PROG_CGROUP_SOCKOPT, EMU_ATTACH_CGROUP_GETSOCKOPT, 0xb7, 5, EINVAL, "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]" },
	{ EMU_PROG_CGROUP_SYSCTL, 0, 0xb7, 1, 0, NULL },
	{ EMU_PROG_LWT_IN, 0, 0xb7, 7, 0, NULL },
	{ EMU_PROG_SK_SKB, 0, 0xb7, 100000, 0, NULL },
	{ EMU_PROG_SK_MSG, 0, 0xb7, 2, 0, NULL },
	{ EMU_PROG_FLOW_DISSECTOR, 0, 0xb7, -1, 0, NULL },
	{ EMU_PROG_SK_REUSEPORT, 0, 0xb7, 2, 0, NULL },
	{ EMU_PROG_RAW_TRACEPOINT_WRITABLE, 0, 0xb7, 2, 0, NULL },
	{ EMU_PROG_SK_LOOKUP, EMU_ATTACH_SK_LOOKUP, 0xb7, 5, EINVAL, "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]" },
};
#define NRCASES ((int)(sizeof(rcases) / sizeof(rcases[0])))

START_TEST(other_types)
{
	const struct rcase *c = &rcases[_i];
	struct emu_insn insns[2] = { I(c->code, 0, 0, 0, c->imm), EXIT };
	struct attr a;
	int fd;

	pl_attr(&a, c->type, insns, 2);
	put32(a.b, PL_EXPECTED_ATTACH, c->eat);
	with_log(&a, 1);
	errno = 0;
	fd = pl(&a);
	if (!c->err) {
		ck_assert_msg(fd >= 0, "type %u imm %d: errno %d %s", c->type, c->imm, errno, errname(errno));
		close(fd);
		ck_assert_str_eq(logbuf, "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
					 "peak_states 0 mark_read 0\n");
		return;
	}
	ck_assert_msg(fd == -1 && errno == c->err, "type %u imm %d: %d errno %s", c->type, c->imm, fd, errname(errno));
	ck_assert_str_eq(first_line(), "0: R1=ctx() R10=fp0");
	ck_assert_msg(strstr(logbuf, c->exit_line), "log:\n%s\nlacks: %s", logbuf, c->exit_line);
	/* level 2: the whole log, as the kernel writes it */
	with_log(&a, 2);
	ERR(pl(&a), c->err);
	ck_assert_str_eq(first_line(), "func#0 @0");
	{
		char want[1024];
		char ins[48];
		int len = snprintf(ins, sizeof(ins), "0: (%02x) %s = %d", c->code, c->code == 0xb7 ? "r0" : "w0", c->imm);
		int64_t v = c->code == 0xb7 ? (int64_t)c->imm : (int64_t)(uint32_t)c->imm;
		char val[32];

		if (v >= -32768 && v <= 32767)
			snprintf(val, sizeof(val), "%lld", (long long)v);
		else
			snprintf(val, sizeof(val), "%#llx", (unsigned long long)v);
		snprintf(want, sizeof(want),
			 "func#0 @0\nLive regs before insn:\n      0: .......... (%02x) %s = %d\n      1: 0......... (95) exit\n"
			 "0: R1=ctx() R10=fp0\n%s%*s; R0=%s\n1: (95) exit\n"
			 "mark_precise: frame0: last_idx 1 first_idx 0 subseq_idx -1 \n"
			 "mark_precise: frame0: regs=r0 stack= before 0: (%02x) %s = %d\n%s\n"
			 "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
			 c->code, c->code == 0xb7 ? "r0" : "w0", c->imm, ins, 38 - len, "", val, c->code,
			 c->code == 0xb7 ? "r0" : "w0", c->imm, c->exit_line);
		ck_assert_str_eq(logbuf, want);
	}
}
END_TEST

/* ---- libbpf 1.1's feature probes ---- */

START_TEST(libbpf_probes)
{
	static const struct emu_insn coarse[] = { CALL(EMU_FN_ktime_get_coarse_ns), EXIT };
	static const struct emu_insn read_kernel[] = { I(0xbf, 1, 10, 0, 0), I(0x07, 1, 0, 0, -8), MOV64I(2, 8),
						       MOV64I(3, 0), CALL(EMU_FN_probe_read_kernel), EXIT };
	static const struct emu_insn cookie[] = { CALL(EMU_FN_get_attach_cookie), EXIT };
	int mfd = mkmap(EMU_MAP_ARRAY, 4, 32, 1, 0);
	struct emu_insn global[] = { LD_MAP_VALUE(1, mfd, 16), I(0x7a, 1, 0, 0, 42), MOV64I(0, 0), EXIT };
	struct attr a;
	int fd;

	/* names */
	fd = load_trivial(EMU_PROG_SOCKET_FILTER, "libbpf_nametest");
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* global data */
	pl_attr(&a, EMU_PROG_SOCKET_FILTER, global, 5);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "global data: %s", errname(errno));
	close(fd);
	/* expected attach type */
	pl_attr(&a, EMU_PROG_CGROUP_SOCK, ret0, 2);
	put32(a.b, PL_EXPECTED_ATTACH, EMU_ATTACH_CGROUP_INET_SOCK_CREATE);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "exp_attach_type: %s", errname(errno));
	close(fd);
	/* memcg accounting: `call bpf_ktime_get_coarse_ns; exit` */
	pl_attr(&a, EMU_PROG_SOCKET_FILTER, coarse, 2);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "memcg probe: %s", errname(errno));
	close(fd);
	/* probe_read_kernel, as a tracepoint program */
	pl_attr(&a, EMU_PROG_TRACEPOINT, read_kernel, 6);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "probe_read_kernel: %s", errname(errno));
	close(fd);
	/* bpf_cookie: `call bpf_get_attach_cookie; exit` (r1 still the context) as a kprobe
	 * program (libbpf 1.1), as a tracepoint program (later libbpf), and for the other types
	 * 6.18 gives the helper to; a type it does not (XDP) gets the unknown helper's EINVAL */
	pl_attr(&a, EMU_PROG_KPROBE, cookie, 2);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "bpf_cookie: %s", errname(errno));
	close(fd);
	pl_attr(&a, EMU_PROG_TRACEPOINT, cookie, 2);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "bpf_cookie (tracepoint): %s", errname(errno));
	close(fd);
	pl_attr(&a, EMU_PROG_PERF_EVENT, cookie, 2);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "bpf_cookie (perf_event): %s", errname(errno));
	close(fd);
	pl_attr(&a, EMU_PROG_RAW_TRACEPOINT, cookie, 2);
	fd = pl(&a);
	ck_assert_msg(fd >= 0, "bpf_cookie (raw_tracepoint): %s", errname(errno));
	close(fd);
	pl_attr(&a, EMU_PROG_XDP, cookie, 2);
	ERR(pl(&a), EINVAL);
	close(mfd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prog");
	TCase *load = tcase_create("load");

	unit_init(NULL);
	tcase_add_loop_test(load, load_attrs, 0, NLCASES);
	tcase_add_test(load, early_log_lines);
	tcase_add_test(load, log_sizes);
	tcase_add_loop_test(load, other_types, 0, NRCASES);
	tcase_add_test(load, libbpf_probes);
	suite_add_tcase(s, load);
	return unit_run(s);
}
