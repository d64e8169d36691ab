/* SPDX-License-Identifier: MIT */
/* The numbers of bpf_uapi.h as bpftool and strace name them. */
#include <stddef.h>

#include "bpf_uapi.h"

#define NAME_OF(table, i) ((i) < sizeof(table) / sizeof(table[0]) ? table[i] : NULL)

static const char *const cmd_names[EMU_BPF_NR_CMDS] = {
	"BPF_MAP_CREATE",
	"BPF_MAP_LOOKUP_ELEM",
	"BPF_MAP_UPDATE_ELEM",
	"BPF_MAP_DELETE_ELEM",
	"BPF_MAP_GET_NEXT_KEY",
	"BPF_PROG_LOAD",
	"BPF_OBJ_PIN",
	"BPF_OBJ_GET",
	"BPF_PROG_ATTACH",
	"BPF_PROG_DETACH",
	"BPF_PROG_TEST_RUN",
	"BPF_PROG_GET_NEXT_ID",
	"BPF_MAP_GET_NEXT_ID",
	"BPF_PROG_GET_FD_BY_ID",
	"BPF_MAP_GET_FD_BY_ID",
	"BPF_OBJ_GET_INFO_BY_FD",
	"BPF_PROG_QUERY",
	"BPF_RAW_TRACEPOINT_OPEN",
	"BPF_BTF_LOAD",
	"BPF_BTF_GET_FD_BY_ID",
	"BPF_TASK_FD_QUERY",
	"BPF_MAP_LOOKUP_AND_DELETE_ELEM",
	"BPF_MAP_FREEZE",
	"BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH",
	"BPF_MAP_LOOKUP_AND_DELETE_BATCH",
	"BPF_MAP_UPDATE_BATCH",
	"BPF_MAP_DELETE_BATCH",
	"BPF_LINK_CREATE",
	"BPF_LINK_UPDATE",
	"BPF_LINK_GET_FD_BY_ID",
	"BPF_LINK_GET_NEXT_ID",
	"BPF_ENABLE_STATS",
	"BPF_ITER_CREATE",
	"BPF_LINK_DETACH",
	"BPF_PROG_BIND_MAP",
	"BPF_TOKEN_CREATE",
	"BPF_PROG_STREAM_READ_BY_FD"
};

static const char *const map_type_names[EMU_NR_MAP_TYPES] = {
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array",
	"stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
	"hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
	"reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
	"struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter", "user_ringbuf",
	"cgrp_storage", "arena",
};

static const char *const prog_type_names[EMU_NR_PROG_TYPES] = {
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
	"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
	"sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
	"lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
	"cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
};

static const char *const attach_type_names[EMU_NR_ATTACH_TYPES] = {
	"cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create", "cgroup_sock_ops",
	"sk_skb_stream_parser", "sk_skb_stream_verdict", "cgroup_device", "sk_msg_verdict",
	"cgroup_inet4_bind", "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect",
	"cgroup_inet4_post_bind", "cgroup_inet6_post_bind", "cgroup_udp4_sendmsg",
	"cgroup_udp6_sendmsg", "lirc_mode2", "flow_dissector", "cgroup_sysctl", "cgroup_udp4_recvmsg",
	"cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt", "trace_raw_tp",
	"trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "trace_iter",
	"cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname",
	"cgroup_inet6_getsockname", "xdp_devmap", "cgroup_inet_sock_release", "xdp_cpumap",
	"sk_lookup", "xdp", "sk_skb_verdict", "sk_reuseport_select", "sk_reuseport_select_or_migrate",
	"perf_event", "trace_kprobe_multi", "lsm_cgroup", "struct_ops", "netfilter", "tcx_ingress",
	"tcx_egress", "trace_uprobe_multi", "cgroup_unix_connect", "cgroup_unix_sendmsg",
	"cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname", "netkit_primary",
	"netkit_peer", "trace_kprobe_session", "trace_uprobe_session",
};

static const char *const helper_names[EMU_NR_HELPERS] = {
	"unspec", "map_lookup_elem", "map_update_elem", "map_delete_elem", "probe_read",
	"ktime_get_ns", "trace_printk", "get_prandom_u32", "get_smp_processor_id", "skb_store_bytes",
	"l3_csum_replace", "l4_csum_replace", "tail_call", "clone_redirect", "get_current_pid_tgid",
	"get_current_uid_gid", "get_current_comm", "get_cgroup_classid", "skb_vlan_push",
	"skb_vlan_pop", "skb_get_tunnel_key", "skb_set_tunnel_key", "perf_event_read", "redirect",
	"get_route_realm", "perf_event_output", "skb_load_bytes", "get_stackid", "csum_diff",
	"skb_get_tunnel_opt", "skb_set_tunnel_opt", "skb_change_proto", "skb_change_type",
	"skb_under_cgroup", "get_hash_recalc", "get_current_task", "probe_write_user",
	"current_task_under_cgroup", "skb_change_tail", "skb_pull_data", "csum_update",
	"set_hash_invalid", "get_numa_node_id", "skb_change_head", "xdp_adjust_head", "probe_read_str",
	"get_socket_cookie", "get_socket_uid", "set_hash", "setsockopt", "skb_adjust_room",
	"redirect_map", "sk_redirect_map", "sock_map_update", "xdp_adjust_meta",
	"perf_event_read_value", "perf_prog_read_value", "getsockopt", "override_return",
	"sock_ops_cb_flags_set", "msg_redirect_map", "msg_apply_bytes", "msg_cork_bytes",
	"msg_pull_data", "bind", "xdp_adjust_tail", "skb_get_xfrm_state", "get_stack",
	"skb_load_bytes_relative", "fib_lookup", "sock_hash_update", "msg_redirect_hash",
	"sk_redirect_hash", "lwt_push_encap", "lwt_seg6_store_bytes", "lwt_seg6_adjust_srh",
	"lwt_seg6_action", "rc_repeat", "rc_keydown", "skb_cgroup_id", "get_current_cgroup_id",
	"get_local_storage", "sk_select_reuseport", "skb_ancestor_cgroup_id", "sk_lookup_tcp",
	"sk_lookup_udp", "sk_release", "map_push_elem", "map_pop_elem", "map_peek_elem",
	"msg_push_data", "msg_pop_data", "rc_pointer_rel", "spin_lock", "spin_unlock", "sk_fullsock",
	"tcp_sock", "skb_ecn_set_ce", "get_listener_sock", "skc_lookup_tcp", "tcp_check_syncookie",
	"sysctl_get_name", "sysctl_get_current_value", "sysctl_get_new_value", "sysctl_set_new_value",
	"strtol", "strtoul", "sk_storage_get", "sk_storage_delete", "send_signal", "tcp_gen_syncookie",
	"skb_output", "probe_read_user", "probe_read_kernel", "probe_read_user_str",
	"probe_read_kernel_str", "tcp_send_ack", "send_signal_thread", "jiffies64",
	"read_branch_records", "get_ns_current_pid_tgid", "xdp_output", "get_netns_cookie",
	"get_current_ancestor_cgroup_id", "sk_assign", "ktime_get_boot_ns", "seq_printf", "seq_write",
	"sk_cgroup_id", "sk_ancestor_cgroup_id", "ringbuf_output", "ringbuf_reserve", "ringbuf_submit",
	"ringbuf_discard", "ringbuf_query", "csum_level", "skc_to_tcp6_sock", "skc_to_tcp_sock",
	"skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock", "skc_to_udp6_sock", "get_task_stack",
	"load_hdr_opt", "store_hdr_opt", "reserve_hdr_opt", "inode_storage_get",
	"inode_storage_delete", "d_path", "copy_from_user", "snprintf_btf", "seq_printf_btf",
	"skb_cgroup_classid", "redirect_neigh", "per_cpu_ptr", "this_cpu_ptr", "redirect_peer",
	"task_storage_get", "task_storage_delete", "get_current_task_btf", "bprm_opts_set",
	"ktime_get_coarse_ns", "ima_inode_hash", "sock_from_file", "check_mtu", "for_each_map_elem",
	"snprintf", "sys_bpf", "btf_find_by_name_kind", "sys_close", "timer_init",
	"timer_set_callback", "timer_start", "timer_cancel", "get_func_ip", "get_attach_cookie",
	"task_pt_regs", "get_branch_snapshot", "trace_vprintk", "skc_to_unix_sock",
	"kallsyms_lookup_name", "find_vma", "loop", "strncmp", "get_func_arg", "get_func_ret",
	"get_func_arg_cnt", "get_retval", "set_retval", "xdp_get_buff_len", "xdp_load_bytes",
	"xdp_store_bytes", "copy_from_user_task", "skb_set_tstamp", "ima_file_hash", "kptr_xchg",
	"map_lookup_percpu_elem", "skc_to_mptcp_sock", "dynptr_from_mem", "ringbuf_reserve_dynptr",
	"ringbuf_submit_dynptr", "ringbuf_discard_dynptr", "dynptr_read", "dynptr_write",
	"dynptr_data", "tcp_raw_gen_syncookie_ipv4", "tcp_raw_gen_syncookie_ipv6",
	"tcp_raw_check_syncookie_ipv4", "tcp_raw_check_syncookie_ipv6", "ktime_get_tai_ns",
	"user_ringbuf_drain", "cgrp_storage_get", "cgrp_storage_delete",
};

const char *emu_cmd_name(int cmd)
{
	return cmd < 0 ? NULL : NAME_OF(cmd_names, (unsigned)cmd);
}

const char *emu_map_type_name(uint32_t type)
{
	return NAME_OF(map_type_names, type);
}

const char *emu_prog_type_name(uint32_t type)
{
	return NAME_OF(prog_type_names, type);
}

const char *emu_attach_type_name(uint32_t type)
{
	return NAME_OF(attach_type_names, type);
}

const char *emu_helper_name(uint32_t id)
{
	return NAME_OF(helper_names, id);
}
