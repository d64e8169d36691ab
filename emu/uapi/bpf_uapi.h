/* SPDX-License-Identifier: MIT */
/*
 * The bpf(2) interface of Linux 6.18 as numbers: commands, object types, flags, the byte offsets
 * of every union bpf_attr field the emulator reads, and the info structs it writes. This is the
 * one description of them in the project: the emulator, the shim's trace and diff mode, and the
 * tests all use it, never <linux/bpf.h> of the build machine (Debian 12 ships 6.1's, which lacks
 * many of these). Names are the kernel's with an EMU_ prefix, so a reader can grep for either.
 * emu/uapi/names.c turns the numbers back into the names bpftool and strace print.
 */
#ifndef BPFEMU_UAPI_BPF_H
#define BPFEMU_UAPI_BPF_H

#include <stdint.h>

/* sizeof(union bpf_attr) on 6.18: every attr is handled as this many raw bytes, by offset */
#define EMU_ATTR_SIZE 168u
#define EMU_OBJ_NAME_LEN 16u
/* the kernel-internal ENOTSUPP, which bpf() leaks to user space */
#define EMU_ENOTSUPP 524

enum emu_bpf_cmd {
	EMU_BPF_MAP_CREATE = 0,
	EMU_BPF_MAP_LOOKUP_ELEM = 1,
	EMU_BPF_MAP_UPDATE_ELEM = 2,
	EMU_BPF_MAP_DELETE_ELEM = 3,
	EMU_BPF_MAP_GET_NEXT_KEY = 4,
	EMU_BPF_PROG_LOAD = 5,
	EMU_BPF_OBJ_PIN = 6,
	EMU_BPF_OBJ_GET = 7,
	EMU_BPF_PROG_ATTACH = 8,
	EMU_BPF_PROG_DETACH = 9,
	EMU_BPF_PROG_TEST_RUN = 10,
	EMU_BPF_PROG_GET_NEXT_ID = 11,
	EMU_BPF_MAP_GET_NEXT_ID = 12,
	EMU_BPF_PROG_GET_FD_BY_ID = 13,
	EMU_BPF_MAP_GET_FD_BY_ID = 14,
	EMU_BPF_OBJ_GET_INFO_BY_FD = 15,
	EMU_BPF_PROG_QUERY = 16,
	EMU_BPF_RAW_TRACEPOINT_OPEN = 17,
	EMU_BPF_BTF_LOAD = 18,
	EMU_BPF_BTF_GET_FD_BY_ID = 19,
	EMU_BPF_TASK_FD_QUERY = 20,
	EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21,
	EMU_BPF_MAP_FREEZE = 22,
	EMU_BPF_BTF_GET_NEXT_ID = 23,
	EMU_BPF_MAP_LOOKUP_BATCH = 24,
	EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25,
	EMU_BPF_MAP_UPDATE_BATCH = 26,
	EMU_BPF_MAP_DELETE_BATCH = 27,
	EMU_BPF_LINK_CREATE = 28,
	EMU_BPF_LINK_UPDATE = 29,
	EMU_BPF_LINK_GET_FD_BY_ID = 30,
	EMU_BPF_LINK_GET_NEXT_ID = 31,
	EMU_BPF_ENABLE_STATS = 32,
	EMU_BPF_ITER_CREATE = 33,
	EMU_BPF_LINK_DETACH = 34,
	EMU_BPF_PROG_BIND_MAP = 35,
	EMU_BPF_TOKEN_CREATE = 36,
	EMU_BPF_PROG_STREAM_READ_BY_FD = 37,
	EMU_BPF_NR_CMDS = 38
};

enum emu_map_type {
	EMU_MAP_UNSPEC = 0,
	EMU_MAP_HASH = 1,
	EMU_MAP_ARRAY = 2,
	EMU_MAP_PROG_ARRAY = 3,
	EMU_MAP_PERF_EVENT_ARRAY = 4,
	EMU_MAP_PERCPU_HASH = 5,
	EMU_MAP_PERCPU_ARRAY = 6,
	EMU_MAP_STACK_TRACE = 7,
	EMU_MAP_CGROUP_ARRAY = 8,
	EMU_MAP_LRU_HASH = 9,
	EMU_MAP_LRU_PERCPU_HASH = 10,
	EMU_MAP_LPM_TRIE = 11,
	EMU_MAP_ARRAY_OF_MAPS = 12,
	EMU_MAP_HASH_OF_MAPS = 13,
	EMU_MAP_DEVMAP = 14,
	EMU_MAP_SOCKMAP = 15,
	EMU_MAP_CPUMAP = 16,
	EMU_MAP_XSKMAP = 17,
	EMU_MAP_SOCKHASH = 18,
	EMU_MAP_CGROUP_STORAGE = 19,
	EMU_MAP_REUSEPORT_SOCKARRAY = 20,
	EMU_MAP_PERCPU_CGROUP_STORAGE = 21,
	EMU_MAP_QUEUE = 22,
	EMU_MAP_STACK = 23,
	EMU_MAP_SK_STORAGE = 24,
	EMU_MAP_DEVMAP_HASH = 25,
	EMU_MAP_STRUCT_OPS = 26,
	EMU_MAP_RINGBUF = 27,
	EMU_MAP_INODE_STORAGE = 28,
	EMU_MAP_TASK_STORAGE = 29,
	EMU_MAP_BLOOM_FILTER = 30,
	EMU_MAP_USER_RINGBUF = 31,
	EMU_MAP_CGRP_STORAGE = 32,
	EMU_MAP_ARENA = 33,
	EMU_NR_MAP_TYPES = 34
};

enum emu_prog_type {
	EMU_PROG_UNSPEC = 0,
	EMU_PROG_SOCKET_FILTER = 1,
	EMU_PROG_KPROBE = 2,
	EMU_PROG_SCHED_CLS = 3,
	EMU_PROG_SCHED_ACT = 4,
	EMU_PROG_TRACEPOINT = 5,
	EMU_PROG_XDP = 6,
	EMU_PROG_PERF_EVENT = 7,
	EMU_PROG_CGROUP_SKB = 8,
	EMU_PROG_CGROUP_SOCK = 9,
	EMU_PROG_LWT_IN = 10,
	EMU_PROG_LWT_OUT = 11,
	EMU_PROG_LWT_XMIT = 12,
	EMU_PROG_SOCK_OPS = 13,
	EMU_PROG_SK_SKB = 14,
	EMU_PROG_CGROUP_DEVICE = 15,
	EMU_PROG_SK_MSG = 16,
	EMU_PROG_RAW_TRACEPOINT = 17,
	EMU_PROG_CGROUP_SOCK_ADDR = 18,
	EMU_PROG_LWT_SEG6LOCAL = 19,
	EMU_PROG_LIRC_MODE2 = 20,
	EMU_PROG_SK_REUSEPORT = 21,
	EMU_PROG_FLOW_DISSECTOR = 22,
	EMU_PROG_CGROUP_SYSCTL = 23,
	EMU_PROG_RAW_TRACEPOINT_WRITABLE = 24,
	EMU_PROG_CGROUP_SOCKOPT = 25,
	EMU_PROG_TRACING = 26,
	EMU_PROG_STRUCT_OPS = 27,
	EMU_PROG_EXT = 28,
	EMU_PROG_LSM = 29,
	EMU_PROG_SK_LOOKUP = 30,
	EMU_PROG_SYSCALL = 31,
	EMU_PROG_NETFILTER = 32,
	EMU_NR_PROG_TYPES = 33
};

enum emu_attach_type {
	EMU_ATTACH_CGROUP_INET_INGRESS = 0,
	EMU_ATTACH_CGROUP_INET_EGRESS = 1,
	EMU_ATTACH_CGROUP_INET_SOCK_CREATE = 2,
	EMU_ATTACH_CGROUP_SOCK_OPS = 3,
	EMU_ATTACH_SK_SKB_STREAM_PARSER = 4,
	EMU_ATTACH_SK_SKB_STREAM_VERDICT = 5,
	EMU_ATTACH_CGROUP_DEVICE = 6,
	EMU_ATTACH_SK_MSG_VERDICT = 7,
	EMU_ATTACH_CGROUP_INET4_BIND = 8,
	EMU_ATTACH_CGROUP_INET6_BIND = 9,
	EMU_ATTACH_CGROUP_INET4_CONNECT = 10,
	EMU_ATTACH_CGROUP_INET6_CONNECT = 11,
	EMU_ATTACH_CGROUP_INET4_POST_BIND = 12,
	EMU_ATTACH_CGROUP_INET6_POST_BIND = 13,
	EMU_ATTACH_CGROUP_UDP4_SENDMSG = 14,
	EMU_ATTACH_CGROUP_UDP6_SENDMSG = 15,
	EMU_ATTACH_LIRC_MODE2 = 16,
	EMU_ATTACH_FLOW_DISSECTOR = 17,
	EMU_ATTACH_CGROUP_SYSCTL = 18,
	EMU_ATTACH_CGROUP_UDP4_RECVMSG = 19,
	EMU_ATTACH_CGROUP_UDP6_RECVMSG = 20,
	EMU_ATTACH_CGROUP_GETSOCKOPT = 21,
	EMU_ATTACH_CGROUP_SETSOCKOPT = 22,
	EMU_ATTACH_TRACE_RAW_TP = 23,
	EMU_ATTACH_TRACE_FENTRY = 24,
	EMU_ATTACH_TRACE_FEXIT = 25,
	EMU_ATTACH_MODIFY_RETURN = 26,
	EMU_ATTACH_LSM_MAC = 27,
	EMU_ATTACH_TRACE_ITER = 28,
	EMU_ATTACH_CGROUP_INET4_GETPEERNAME = 29,
	EMU_ATTACH_CGROUP_INET6_GETPEERNAME = 30,
	EMU_ATTACH_CGROUP_INET4_GETSOCKNAME = 31,
	EMU_ATTACH_CGROUP_INET6_GETSOCKNAME = 32,
	EMU_ATTACH_XDP_DEVMAP = 33,
	EMU_ATTACH_CGROUP_INET_SOCK_RELEASE = 34,
	EMU_ATTACH_XDP_CPUMAP = 35,
	EMU_ATTACH_SK_LOOKUP = 36,
	EMU_ATTACH_XDP = 37,
	EMU_ATTACH_SK_SKB_VERDICT = 38,
	EMU_ATTACH_SK_REUSEPORT_SELECT = 39,
	EMU_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE = 40,
	EMU_ATTACH_PERF_EVENT = 41,
	EMU_ATTACH_TRACE_KPROBE_MULTI = 42,
	EMU_ATTACH_LSM_CGROUP = 43,
	EMU_ATTACH_STRUCT_OPS = 44,
	EMU_ATTACH_NETFILTER = 45,
	EMU_ATTACH_TCX_INGRESS = 46,
	EMU_ATTACH_TCX_EGRESS = 47,
	EMU_ATTACH_TRACE_UPROBE_MULTI = 48,
	EMU_ATTACH_CGROUP_UNIX_CONNECT = 49,
	EMU_ATTACH_CGROUP_UNIX_SENDMSG = 50,
	EMU_ATTACH_CGROUP_UNIX_RECVMSG = 51,
	EMU_ATTACH_CGROUP_UNIX_GETPEERNAME = 52,
	EMU_ATTACH_CGROUP_UNIX_GETSOCKNAME = 53,
	EMU_ATTACH_NETKIT_PRIMARY = 54,
	EMU_ATTACH_NETKIT_PEER = 55,
	EMU_ATTACH_TRACE_KPROBE_SESSION = 56,
	EMU_ATTACH_TRACE_UPROBE_SESSION = 57,
	EMU_NR_ATTACH_TYPES = 58
};

enum emu_helper_id {
	EMU_FN_unspec = 0,
	EMU_FN_map_lookup_elem = 1,
	EMU_FN_map_update_elem = 2,
	EMU_FN_map_delete_elem = 3,
	EMU_FN_probe_read = 4,
	EMU_FN_ktime_get_ns = 5,
	EMU_FN_trace_printk = 6,
	EMU_FN_get_prandom_u32 = 7,
	EMU_FN_get_smp_processor_id = 8,
	EMU_FN_skb_store_bytes = 9,
	EMU_FN_l3_csum_replace = 10,
	EMU_FN_l4_csum_replace = 11,
	EMU_FN_tail_call = 12,
	EMU_FN_clone_redirect = 13,
	EMU_FN_get_current_pid_tgid = 14,
	EMU_FN_get_current_uid_gid = 15,
	EMU_FN_get_current_comm = 16,
	EMU_FN_get_cgroup_classid = 17,
	EMU_FN_skb_vlan_push = 18,
	EMU_FN_skb_vlan_pop = 19,
	EMU_FN_skb_get_tunnel_key = 20,
	EMU_FN_skb_set_tunnel_key = 21,
	EMU_FN_perf_event_read = 22,
	EMU_FN_redirect = 23,
	EMU_FN_get_route_realm = 24,
	EMU_FN_perf_event_output = 25,
	EMU_FN_skb_load_bytes = 26,
	EMU_FN_get_stackid = 27,
	EMU_FN_csum_diff = 28,
	EMU_FN_skb_get_tunnel_opt = 29,
	EMU_FN_skb_set_tunnel_opt = 30,
	EMU_FN_skb_change_proto = 31,
	EMU_FN_skb_change_type = 32,
	EMU_FN_skb_under_cgroup = 33,
	EMU_FN_get_hash_recalc = 34,
	EMU_FN_get_current_task = 35,
	EMU_FN_probe_write_user = 36,
	EMU_FN_current_task_under_cgroup = 37,
	EMU_FN_skb_change_tail = 38,
	EMU_FN_skb_pull_data = 39,
	EMU_FN_csum_update = 40,
	EMU_FN_set_hash_invalid = 41,
	EMU_FN_get_numa_node_id = 42,
	EMU_FN_skb_change_head = 43,
	EMU_FN_xdp_adjust_head = 44,
	EMU_FN_probe_read_str = 45,
	EMU_FN_get_socket_cookie = 46,
	EMU_FN_get_socket_uid = 47,
	EMU_FN_set_hash = 48,
	EMU_FN_setsockopt = 49,
	EMU_FN_skb_adjust_room = 50,
	EMU_FN_redirect_map = 51,
	EMU_FN_sk_redirect_map = 52,
	EMU_FN_sock_map_update = 53,
	EMU_FN_xdp_adjust_meta = 54,
	EMU_FN_perf_event_read_value = 55,
	EMU_FN_perf_prog_read_value = 56,
	EMU_FN_getsockopt = 57,
	EMU_FN_override_return = 58,
	EMU_FN_sock_ops_cb_flags_set = 59,
	EMU_FN_msg_redirect_map = 60,
	EMU_FN_msg_apply_bytes = 61,
	EMU_FN_msg_cork_bytes = 62,
	EMU_FN_msg_pull_data = 63,
	EMU_FN_bind = 64,
	EMU_FN_xdp_adjust_tail = 65,
	EMU_FN_skb_get_xfrm_state = 66,
	EMU_FN_get_stack = 67,
	EMU_FN_skb_load_bytes_relative = 68,
	EMU_FN_fib_lookup = 69,
	EMU_FN_sock_hash_update = 70,
	EMU_FN_msg_redirect_hash = 71,
	EMU_FN_sk_redirect_hash = 72,
	EMU_FN_lwt_push_encap = 73,
	EMU_FN_lwt_seg6_store_bytes = 74,
	EMU_FN_lwt_seg6_adjust_srh = 75,
	EMU_FN_lwt_seg6_action = 76,
	EMU_FN_rc_repeat = 77,
	EMU_FN_rc_keydown = 78,
	EMU_FN_skb_cgroup_id = 79,
	EMU_FN_get_current_cgroup_id = 80,
	EMU_FN_get_local_storage = 81,
	EMU_FN_sk_select_reuseport = 82,
	EMU_FN_skb_ancestor_cgroup_id = 83,
	EMU_FN_sk_lookup_tcp = 84,
	EMU_FN_sk_lookup_udp = 85,
	EMU_FN_sk_release = 86,
	EMU_FN_map_push_elem = 87,
	EMU_FN_map_pop_elem = 88,
	EMU_FN_map_peek_elem = 89,
	EMU_FN_msg_push_data = 90,
	EMU_FN_msg_pop_data = 91,
	EMU_FN_rc_pointer_rel = 92,
	EMU_FN_spin_lock = 93,
	EMU_FN_spin_unlock = 94,
	EMU_FN_sk_fullsock = 95,
	EMU_FN_tcp_sock = 96,
	EMU_FN_skb_ecn_set_ce = 97,
	EMU_FN_get_listener_sock = 98,
	EMU_FN_skc_lookup_tcp = 99,
	EMU_FN_tcp_check_syncookie = 100,
	EMU_FN_sysctl_get_name = 101,
	EMU_FN_sysctl_get_current_value = 102,
	EMU_FN_sysctl_get_new_value = 103,
	EMU_FN_sysctl_set_new_value = 104,
	EMU_FN_strtol = 105,
	EMU_FN_strtoul = 106,
	EMU_FN_sk_storage_get = 107,
	EMU_FN_sk_storage_delete = 108,
	EMU_FN_send_signal = 109,
	EMU_FN_tcp_gen_syncookie = 110,
	EMU_FN_skb_output = 111,
	EMU_FN_probe_read_user = 112,
	EMU_FN_probe_read_kernel = 113,
	EMU_FN_probe_read_user_str = 114,
	EMU_FN_probe_read_kernel_str = 115,
	EMU_FN_tcp_send_ack = 116,
	EMU_FN_send_signal_thread = 117,
	EMU_FN_jiffies64 = 118,
	EMU_FN_read_branch_records = 119,
	EMU_FN_get_ns_current_pid_tgid = 120,
	EMU_FN_xdp_output = 121,
	EMU_FN_get_netns_cookie = 122,
	EMU_FN_get_current_ancestor_cgroup_id = 123,
	EMU_FN_sk_assign = 124,
	EMU_FN_ktime_get_boot_ns = 125,
	EMU_FN_seq_printf = 126,
	EMU_FN_seq_write = 127,
	EMU_FN_sk_cgroup_id = 128,
	EMU_FN_sk_ancestor_cgroup_id = 129,
	EMU_FN_ringbuf_output = 130,
	EMU_FN_ringbuf_reserve = 131,
	EMU_FN_ringbuf_submit = 132,
	EMU_FN_ringbuf_discard = 133,
	EMU_FN_ringbuf_query = 134,
	EMU_FN_csum_level = 135,
	EMU_FN_skc_to_tcp6_sock = 136,
	EMU_FN_skc_to_tcp_sock = 137,
	EMU_FN_skc_to_tcp_timewait_sock = 138,
	EMU_FN_skc_to_tcp_request_sock = 139,
	EMU_FN_skc_to_udp6_sock = 140,
	EMU_FN_get_task_stack = 141,
	EMU_FN_load_hdr_opt = 142,
	EMU_FN_store_hdr_opt = 143,
	EMU_FN_reserve_hdr_opt = 144,
	EMU_FN_inode_storage_get = 145,
	EMU_FN_inode_storage_delete = 146,
	EMU_FN_d_path = 147,
	EMU_FN_copy_from_user = 148,
	EMU_FN_snprintf_btf = 149,
	EMU_FN_seq_printf_btf = 150,
	EMU_FN_skb_cgroup_classid = 151,
	EMU_FN_redirect_neigh = 152,
	EMU_FN_per_cpu_ptr = 153,
	EMU_FN_this_cpu_ptr = 154,
	EMU_FN_redirect_peer = 155,
	EMU_FN_task_storage_get = 156,
	EMU_FN_task_storage_delete = 157,
	EMU_FN_get_current_task_btf = 158,
	EMU_FN_bprm_opts_set = 159,
	EMU_FN_ktime_get_coarse_ns = 160,
	EMU_FN_ima_inode_hash = 161,
	EMU_FN_sock_from_file = 162,
	EMU_FN_check_mtu = 163,
	EMU_FN_for_each_map_elem = 164,
	EMU_FN_snprintf = 165,
	EMU_FN_sys_bpf = 166,
	EMU_FN_btf_find_by_name_kind = 167,
	EMU_FN_sys_close = 168,
	EMU_FN_timer_init = 169,
	EMU_FN_timer_set_callback = 170,
	EMU_FN_timer_start = 171,
	EMU_FN_timer_cancel = 172,
	EMU_FN_get_func_ip = 173,
	EMU_FN_get_attach_cookie = 174,
	EMU_FN_task_pt_regs = 175,
	EMU_FN_get_branch_snapshot = 176,
	EMU_FN_trace_vprintk = 177,
	EMU_FN_skc_to_unix_sock = 178,
	EMU_FN_kallsyms_lookup_name = 179,
	EMU_FN_find_vma = 180,
	EMU_FN_loop = 181,
	EMU_FN_strncmp = 182,
	EMU_FN_get_func_arg = 183,
	EMU_FN_get_func_ret = 184,
	EMU_FN_get_func_arg_cnt = 185,
	EMU_FN_get_retval = 186,
	EMU_FN_set_retval = 187,
	EMU_FN_xdp_get_buff_len = 188,
	EMU_FN_xdp_load_bytes = 189,
	EMU_FN_xdp_store_bytes = 190,
	EMU_FN_copy_from_user_task = 191,
	EMU_FN_skb_set_tstamp = 192,
	EMU_FN_ima_file_hash = 193,
	EMU_FN_kptr_xchg = 194,
	EMU_FN_map_lookup_percpu_elem = 195,
	EMU_FN_skc_to_mptcp_sock = 196,
	EMU_FN_dynptr_from_mem = 197,
	EMU_FN_ringbuf_reserve_dynptr = 198,
	EMU_FN_ringbuf_submit_dynptr = 199,
	EMU_FN_ringbuf_discard_dynptr = 200,
	EMU_FN_dynptr_read = 201,
	EMU_FN_dynptr_write = 202,
	EMU_FN_dynptr_data = 203,
	EMU_FN_tcp_raw_gen_syncookie_ipv4 = 204,
	EMU_FN_tcp_raw_gen_syncookie_ipv6 = 205,
	EMU_FN_tcp_raw_check_syncookie_ipv4 = 206,
	EMU_FN_tcp_raw_check_syncookie_ipv6 = 207,
	EMU_FN_ktime_get_tai_ns = 208,
	EMU_FN_user_ringbuf_drain = 209,
	EMU_FN_cgrp_storage_get = 210,
	EMU_FN_cgrp_storage_delete = 211,
	EMU_NR_HELPERS = 212
};

/* BPF_MAP_CREATE map_flags (and BPF_OBJ_GET / GET_FD_BY_ID file flags: RDONLY, WRONLY, PATH_FD) */
#define EMU_F_NO_PREALLOC (1u << 0)
#define EMU_F_NO_COMMON_LRU (1u << 1)
#define EMU_F_NUMA_NODE (1u << 2)
#define EMU_F_RDONLY (1u << 3)
#define EMU_F_WRONLY (1u << 4)
#define EMU_F_STACK_BUILD_ID (1u << 5)
#define EMU_F_ZERO_SEED (1u << 6)
#define EMU_F_RDONLY_PROG (1u << 7)
#define EMU_F_WRONLY_PROG (1u << 8)
#define EMU_F_CLONE (1u << 9)
#define EMU_F_MMAPABLE (1u << 10)
#define EMU_F_PRESERVE_ELEMS (1u << 11)
#define EMU_F_INNER_MAP (1u << 12)
#define EMU_F_LINK (1u << 13)
#define EMU_F_PATH_FD (1u << 14)
#define EMU_F_VTYPE_BTF_OBJ_FD (1u << 15)
#define EMU_F_TOKEN_FD (1u << 16)
#define EMU_F_SEGV_ON_FAULT (1u << 17)
#define EMU_F_NO_USER_CONV (1u << 18)

/* element flags (BPF_MAP_*_ELEM flags, batch elem_flags) */
#define EMU_ANY 0ull
#define EMU_NOEXIST 1ull
#define EMU_EXIST 2ull
#define EMU_F_LOCK 4ull

/* Ring buffers: the helpers' wakeup flags, bpf_ringbuf_query's questions, a record's header */
#define EMU_RB_NO_WAKEUP (1ull << 0)
#define EMU_RB_FORCE_WAKEUP (1ull << 1)
#define EMU_RB_AVAIL_DATA 0
#define EMU_RB_RING_SIZE 1
#define EMU_RB_CONS_POS 2
#define EMU_RB_PROD_POS 3
#define EMU_RINGBUF_BUSY_BIT (1u << 31)
#define EMU_RINGBUF_DISCARD_BIT (1u << 30)
#define EMU_RINGBUF_HDR_SZ 8u

/* BPF_PROG_LOAD prog_flags */
#define EMU_F_STRICT_ALIGNMENT (1u << 0)
#define EMU_F_ANY_ALIGNMENT (1u << 1)
#define EMU_F_TEST_RND_HI32 (1u << 2)
#define EMU_F_TEST_STATE_FREQ (1u << 3)
#define EMU_F_SLEEPABLE (1u << 4)
#define EMU_F_XDP_HAS_FRAGS (1u << 5)
#define EMU_F_XDP_DEV_BOUND_ONLY (1u << 6)
#define EMU_F_TEST_REG_INVARIANTS (1u << 7)

/* BPF_PROG_TEST_RUN flags */
#define EMU_F_TEST_RUN_ON_CPU (1u << 0)
#define EMU_F_TEST_XDP_LIVE_FRAMES (1u << 1)
#define EMU_F_TEST_SKB_CHECKSUM_COMPLETE (1u << 2)

/* BPF_BTF_LOAD btf_flags */
#define EMU_F_BTF_TOKEN_FD (1u << 16) /* BPF_F_TOKEN_FD, as for maps */

/*
 * Byte offsets within union bpf_attr, per command. *_END is the end of the command's last field
 * on 6.18: the kernel's CHECK_ATTR requires every byte from there to EMU_ATTR_SIZE to be zero.
 */
enum {
	/* BPF_MAP_CREATE */
	MC_TYPE = 0, MC_KEY_SIZE = 4, MC_VALUE_SIZE = 8, MC_MAX_ENTRIES = 12, MC_FLAGS = 16,
	MC_INNER_FD = 20, MC_NUMA = 24, MC_NAME = 28, MC_IFINDEX = 44, MC_BTF_FD = 48,
	MC_BTF_KEY = 52, MC_BTF_VALUE = 56, MC_BTF_VMLINUX = 60, MC_EXTRA = 64,
	MC_VTYPE_BTF_OBJ_FD = 72, MC_TOKEN_FD = 76, MC_EXCL_HASH = 80, MC_EXCL_HASH_SIZE = 88,
	MC_END = 92,
	/* BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY (value = next_key), LOOKUP_AND_DELETE;
	 * FREEZE uses map_fd only */
	EL_FD = 0, EL_KEY = 8, EL_VALUE = 16, EL_FLAGS = 24, EL_END = 32,
	FREEZE_END = 4,
	/* BPF_MAP_*_BATCH */
	BA_IN = 0, BA_OUT = 8, BA_KEYS = 16, BA_VALUES = 24, BA_COUNT = 32, BA_FD = 36,
	BA_ELEM_FLAGS = 40, BA_FLAGS = 48, BA_END = 56,
	/* BPF_PROG_LOAD */
	PL_TYPE = 0, PL_INSN_CNT = 4, PL_INSNS = 8, PL_LICENSE = 16, PL_LOG_LEVEL = 24,
	PL_LOG_SIZE = 28, PL_LOG_BUF = 32, PL_KERN_VERSION = 40, PL_PROG_FLAGS = 44, PL_NAME = 48,
	PL_IFINDEX = 64, PL_EXPECTED_ATTACH = 68, PL_BTF_FD = 72, PL_FUNC_INFO_REC_SIZE = 76,
	PL_FUNC_INFO = 80, PL_FUNC_INFO_CNT = 88, PL_LINE_INFO_REC_SIZE = 92, PL_LINE_INFO = 96,
	PL_LINE_INFO_CNT = 104, PL_ATTACH_BTF_ID = 108, PL_ATTACH_PROG_FD = 112,
	PL_CORE_RELO_CNT = 116, PL_FD_ARRAY = 120, PL_CORE_RELOS = 128, PL_CORE_RELO_REC_SIZE = 136,
	PL_LOG_TRUE_SIZE = 140, PL_TOKEN_FD = 144, PL_FD_ARRAY_CNT = 148, PL_SIGNATURE = 152,
	PL_SIGNATURE_SIZE = 160, PL_KEYRING_ID = 164, PL_END = 168,
	/* BPF_OBJ_PIN, BPF_OBJ_GET */
	PIN_PATH = 0, PIN_FD = 8, PIN_FILE_FLAGS = 12, PIN_PATH_FD = 16, PIN_END = 20,
	/* BPF_PROG_ATTACH, BPF_PROG_DETACH */
	AT_TARGET_FD = 0, AT_BPF_FD = 4, AT_TYPE = 8, AT_FLAGS = 12, AT_REPLACE_FD = 16,
	AT_EXPECTED_REVISION = 24, AT_END = 32,
	/* BPF_PROG_TEST_RUN */
	TR_PROG_FD = 0, TR_RETVAL = 4, TR_DATA_SIZE_IN = 8, TR_DATA_SIZE_OUT = 12, TR_DATA_IN = 16,
	TR_DATA_OUT = 24, TR_REPEAT = 32, TR_DURATION = 36, TR_CTX_SIZE_IN = 40, TR_CTX_SIZE_OUT = 44,
	TR_CTX_IN = 48, TR_CTX_OUT = 56, TR_FLAGS = 64, TR_CPU = 68, TR_BATCH_SIZE = 72, TR_END = 76,
	/* BPF_{MAP,PROG,BTF,LINK}_GET_NEXT_ID and *_GET_FD_BY_ID */
	ID_START = 0, ID_NEXT = 4, ID_OPEN_FLAGS = 8, ID_TOKEN_FD = 12,
	/* as the kernel checks them: a token fd is refused with EINVAL like any other junk, except
	 * by BPF_BTF_GET_FD_BY_ID, whose last field it is (BPF_F_TOKEN_FD in open_flags) */
	ID_GET_NEXT_END = 8, ID_GET_FD_END = 12, ID_BTF_GET_FD_END = 16,
	ID_PROG_GET_FD_END = 4, /* BPF_PROG_GET_FD_BY_ID takes no open_flags at all */
	/* BPF_OBJ_GET_INFO_BY_FD */
	INFO_FD = 0, INFO_LEN = 4, INFO_PTR = 8, INFO_END = 16,
	/* BPF_PROG_QUERY */
	PQ_TARGET_FD = 0, PQ_ATTACH_TYPE = 4, PQ_QUERY_FLAGS = 8, PQ_ATTACH_FLAGS = 12,
	PQ_PROG_IDS = 16, PQ_PROG_CNT = 24, PQ_PROG_ATTACH_FLAGS = 32, PQ_LINK_IDS = 40,
	PQ_LINK_ATTACH_FLAGS = 48, PQ_REVISION = 56, PQ_END = 64,
	/* BPF_RAW_TRACEPOINT_OPEN */
	RT_NAME = 0, RT_PROG_FD = 8, RT_COOKIE = 16, RT_END = 24,
	/* BPF_BTF_LOAD */
	BTF_BLOB = 0, BTF_LOG_BUF = 8, BTF_SIZE = 16, BTF_LOG_SIZE = 20, BTF_LOG_LEVEL = 24,
	BTF_LOG_TRUE_SIZE = 28, BTF_FLAGS = 32, BTF_TOKEN_FD = 36, BTF_END = 40,
	/* BPF_TASK_FD_QUERY */
	TQ_PID = 0, TQ_FD = 4, TQ_FLAGS = 8, TQ_BUF_LEN = 12, TQ_BUF = 16, TQ_PROG_ID = 24,
	TQ_FD_TYPE = 28, TQ_PROBE_OFFSET = 32, TQ_PROBE_ADDR = 40, TQ_END = 48,
	/* BPF_LINK_CREATE (the common head; the per-type tails follow at 16) */
	LC_PROG_FD = 0, LC_TARGET_FD = 4, LC_ATTACH_TYPE = 8, LC_FLAGS = 12, LC_TAIL = 16,
	LC_END = 60, /* the end of the largest tail (uprobe_multi's pid), measured */
	/* BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_ENABLE_STATS, BPF_ITER_CREATE */
	LU_LINK_FD = 0, LU_NEW_PROG_FD = 4, LU_FLAGS = 8, LU_OLD_PROG_FD = 12, LU_END = 16,
	LD_LINK_FD = 0, LD_END = 4,
	ES_TYPE = 0, ES_END = 4,
	IC_LINK_FD = 0, IC_FLAGS = 4, IC_END = 8,
	/* BPF_PROG_BIND_MAP */
	BM_PROG_FD = 0, BM_MAP_FD = 4, BM_FLAGS = 8, BM_END = 12,
	/* BPF_TOKEN_CREATE */
	TC_FLAGS = 0, TC_BPFFS_FD = 4, TC_END = 8,
	/* BPF_PROG_STREAM_READ_BY_FD */
	SR_BUF = 0, SR_BUF_LEN = 8, SR_STREAM_ID = 12, SR_PROG_FD = 16, SR_END = 20,
};

/* struct bpf_map_info (104 bytes on 6.18) */
enum {
	MI_TYPE = 0, MI_ID = 4, MI_KEY_SIZE = 8, MI_VALUE_SIZE = 12, MI_MAX_ENTRIES = 16,
	MI_MAP_FLAGS = 20, MI_NAME = 24, MI_IFINDEX = 40, MI_BTF_VMLINUX_VALUE_TYPE_ID = 44,
	MI_NETNS_DEV = 48, MI_NETNS_INO = 56, MI_BTF_ID = 64, MI_BTF_KEY_TYPE_ID = 68,
	MI_BTF_VALUE_TYPE_ID = 72, MI_BTF_VMLINUX_ID = 76, MI_MAP_EXTRA = 80, MI_HASH = 88,
	MI_HASH_SIZE = 96, MI_SIZE = 104,
};

/* struct bpf_prog_info (232 bytes on 6.18) */
enum {
	PI_TYPE = 0, PI_ID = 4, PI_TAG = 8, PI_JITED_PROG_LEN = 16, PI_XLATED_PROG_LEN = 20,
	PI_JITED_PROG_INSNS = 24, PI_XLATED_PROG_INSNS = 32, PI_LOAD_TIME = 40,
	PI_CREATED_BY_UID = 48, PI_NR_MAP_IDS = 52, PI_MAP_IDS = 56, PI_NAME = 64, PI_IFINDEX = 80,
	PI_GPL_COMPATIBLE = 84 /* bit 0 of the word at 84 */, PI_NETNS_DEV = 88, PI_NETNS_INO = 96,
	PI_NR_JITED_KSYMS = 104, PI_NR_JITED_FUNC_LENS = 108, PI_JITED_KSYMS = 112,
	PI_JITED_FUNC_LENS = 120, PI_BTF_ID = 128, PI_FUNC_INFO_REC_SIZE = 132, PI_FUNC_INFO = 136,
	PI_NR_FUNC_INFO = 144, PI_NR_LINE_INFO = 148, PI_LINE_INFO = 152, PI_JITED_LINE_INFO = 160,
	PI_NR_JITED_LINE_INFO = 168, PI_LINE_INFO_REC_SIZE = 172, PI_JITED_LINE_INFO_REC_SIZE = 176,
	PI_NR_PROG_TAGS = 180, PI_PROG_TAGS = 184, PI_RUN_TIME_NS = 192, PI_RUN_CNT = 200,
	PI_RECURSION_MISSES = 208, PI_VERIFIED_INSNS = 216, PI_ATTACH_BTF_OBJ_ID = 220,
	PI_ATTACH_BTF_ID = 224, PI_SIZE = 232,
};

/* struct bpf_btf_info (32 bytes on 6.18) */
enum {
	BI_BTF = 0, BI_BTF_SIZE = 8, BI_ID = 12, BI_NAME = 16, BI_NAME_LEN = 24, BI_KERNEL_BTF = 28,
	BI_SIZE = 32,
};

/* Names as bpftool and strace print them (emu/uapi/names.c); NULL for a number 6.18 lacks. */
const char *emu_cmd_name(int cmd);                /* "BPF_MAP_CREATE" */
const char *emu_map_type_name(uint32_t type);     /* "hash" */
const char *emu_prog_type_name(uint32_t type);    /* "socket_filter" */
const char *emu_attach_type_name(uint32_t type);  /* "cgroup_inet_ingress" */
const char *emu_helper_name(uint32_t id);         /* "map_lookup_elem" */

#endif
