/* SPDX-License-Identifier: MIT */
/*
 * The helper table: one record per helper id Linux 6.18 knows (1..211). For the helpers the
 * emulator runs, the record carries the kernel's argument and return kinds (from the
 * bpf_func_proto of kernel/bpf/helpers.c, net/core/filter.c, kernel/trace/bpf_trace.c), gpl_only
 * and pkt_access. For every helper, which of the program types the emulator loads may call it:
 * the answers of 6.18's get_func_proto for SOCKET_FILTER, KPROBE, SCHED_CLS, SCHED_ACT,
 * TRACEPOINT, XDP, PERF_EVENT, CGROUP_SKB, RAW_TRACEPOINT and SYSCALL for a root loader (CAP_BPF,
 * CAP_PERFMON), observed on 6.18 one helper and type at a time; tests/diff/diff_check.c re-asks
 * the kernel for every pair.
 *
 * Invariant: a record with emulated == false has only id and prog_types; its kinds are unknown
 * to the loader, which then checks no argument of the call (and says so in its output).
 */
#include <pthread.h>
#include <stddef.h>

#include "../uapi/bpf_uapi.h"
#include "helper.h"

#define T_SF EMU_PROG_BIT(EMU_PROG_SOCKET_FILTER)
#define T_KP EMU_PROG_BIT(EMU_PROG_KPROBE)
#define T_CLS EMU_PROG_BIT(EMU_PROG_SCHED_CLS)
#define T_ACT EMU_PROG_BIT(EMU_PROG_SCHED_ACT)
#define T_TP EMU_PROG_BIT(EMU_PROG_TRACEPOINT)
#define T_XDP EMU_PROG_BIT(EMU_PROG_XDP)
#define T_PE EMU_PROG_BIT(EMU_PROG_PERF_EVENT)
#define T_CGS EMU_PROG_BIT(EMU_PROG_CGROUP_SKB)
#define T_RTP EMU_PROG_BIT(EMU_PROG_RAW_TRACEPOINT)
#define T_SYS EMU_PROG_BIT(EMU_PROG_SYSCALL)
#define T_ALL (T_SF | T_KP | T_CLS | T_ACT | T_TP | T_XDP | T_PE | T_CGS | T_RTP | T_SYS)

/* Which types may call each helper. */
static const uint64_t allowed[EMU_NR_HELPERS] = {
	[EMU_FN_map_lookup_elem] = T_ALL,
	[EMU_FN_map_update_elem] = T_ALL,
	[EMU_FN_map_delete_elem] = T_ALL,
	[EMU_FN_probe_read] = T_KP|T_TP|T_PE|T_RTP|T_SYS,
	[EMU_FN_ktime_get_ns] = T_ALL,
	[EMU_FN_trace_printk] = T_ALL,
	[EMU_FN_get_prandom_u32] = T_ALL,
	[EMU_FN_get_smp_processor_id] = T_ALL,
	[EMU_FN_skb_store_bytes] = T_CLS|T_ACT,
	[EMU_FN_l3_csum_replace] = T_CLS|T_ACT,
	[EMU_FN_l4_csum_replace] = T_CLS|T_ACT,
	[EMU_FN_tail_call] = T_ALL,
	[EMU_FN_clone_redirect] = T_CLS|T_ACT,
	[EMU_FN_get_current_pid_tgid] = T_ALL,
	[EMU_FN_get_current_uid_gid] = T_ALL,
	[EMU_FN_get_current_comm] = T_ALL,
	[EMU_FN_get_cgroup_classid] = T_ALL,
	[EMU_FN_skb_vlan_push] = T_CLS|T_ACT,
	[EMU_FN_skb_vlan_pop] = T_CLS|T_ACT,
	[EMU_FN_skb_get_tunnel_key] = T_CLS|T_ACT,
	[EMU_FN_skb_set_tunnel_key] = T_CLS|T_ACT,
	[EMU_FN_perf_event_read] = T_ALL,
	[EMU_FN_redirect] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_get_route_realm] = T_CLS|T_ACT,
	[EMU_FN_perf_event_output] = T_ALL,
	[EMU_FN_skb_load_bytes] = T_SF|T_CLS|T_ACT|T_CGS,
	[EMU_FN_get_stackid] = T_KP|T_TP|T_PE|T_RTP|T_SYS,
	[EMU_FN_csum_diff] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_skb_get_tunnel_opt] = T_CLS|T_ACT,
	[EMU_FN_skb_set_tunnel_opt] = T_CLS|T_ACT,
	[EMU_FN_skb_change_proto] = T_CLS|T_ACT,
	[EMU_FN_skb_change_type] = T_CLS|T_ACT,
	[EMU_FN_skb_under_cgroup] = T_CLS|T_ACT,
	[EMU_FN_get_hash_recalc] = T_CLS|T_ACT,
	[EMU_FN_get_current_task] = T_ALL,
	[EMU_FN_probe_write_user] = 0,
	[EMU_FN_current_task_under_cgroup] = T_ALL,
	[EMU_FN_skb_change_tail] = T_CLS|T_ACT,
	[EMU_FN_skb_pull_data] = T_CLS|T_ACT,
	[EMU_FN_csum_update] = T_CLS|T_ACT,
	[EMU_FN_set_hash_invalid] = T_CLS|T_ACT,
	[EMU_FN_get_numa_node_id] = T_ALL,
	[EMU_FN_skb_change_head] = T_CLS|T_ACT,
	[EMU_FN_xdp_adjust_head] = T_XDP,
	[EMU_FN_probe_read_str] = T_KP|T_TP|T_PE|T_RTP|T_SYS,
	[EMU_FN_get_socket_cookie] = T_SF|T_CLS|T_ACT|T_CGS|T_SYS,
	[EMU_FN_get_socket_uid] = T_SF|T_CLS|T_ACT|T_CGS,
	[EMU_FN_set_hash] = T_CLS|T_ACT,
	[EMU_FN_setsockopt] = 0,
	[EMU_FN_skb_adjust_room] = T_CLS|T_ACT,
	[EMU_FN_redirect_map] = T_XDP,
	[EMU_FN_sk_redirect_map] = 0,
	[EMU_FN_sock_map_update] = 0,
	[EMU_FN_xdp_adjust_meta] = 0,
	[EMU_FN_perf_event_read_value] = T_ALL,
	[EMU_FN_perf_prog_read_value] = T_PE,
	[EMU_FN_getsockopt] = 0,
	[EMU_FN_override_return] = 0,
	[EMU_FN_sock_ops_cb_flags_set] = 0,
	[EMU_FN_msg_redirect_map] = 0,
	[EMU_FN_msg_apply_bytes] = 0,
	[EMU_FN_msg_cork_bytes] = 0,
	[EMU_FN_msg_pull_data] = 0,
	[EMU_FN_bind] = 0,
	[EMU_FN_xdp_adjust_tail] = T_XDP,
	[EMU_FN_skb_get_xfrm_state] = T_CLS|T_ACT,
	[EMU_FN_get_stack] = T_KP|T_TP|T_PE|T_RTP|T_SYS,
	[EMU_FN_skb_load_bytes_relative] = T_SF|T_CLS|T_ACT|T_CGS,
	[EMU_FN_fib_lookup] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_sock_hash_update] = 0,
	[EMU_FN_msg_redirect_hash] = 0,
	[EMU_FN_sk_redirect_hash] = 0,
	[EMU_FN_lwt_push_encap] = 0,
	[EMU_FN_lwt_seg6_store_bytes] = 0,
	[EMU_FN_lwt_seg6_adjust_srh] = 0,
	[EMU_FN_lwt_seg6_action] = 0,
	[EMU_FN_rc_repeat] = 0,
	[EMU_FN_rc_keydown] = 0,
	[EMU_FN_skb_cgroup_id] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_get_current_cgroup_id] = T_ALL,
	[EMU_FN_get_local_storage] = T_CGS,
	[EMU_FN_sk_select_reuseport] = 0,
	[EMU_FN_skb_ancestor_cgroup_id] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_sk_lookup_tcp] = T_CLS|T_ACT|T_XDP|T_CGS,
	[EMU_FN_sk_lookup_udp] = T_CLS|T_ACT|T_XDP|T_CGS,
	[EMU_FN_sk_release] = T_CLS|T_ACT|T_XDP|T_CGS,
	[EMU_FN_map_push_elem] = T_ALL,
	[EMU_FN_map_pop_elem] = T_ALL,
	[EMU_FN_map_peek_elem] = T_ALL,
	[EMU_FN_msg_push_data] = 0,
	[EMU_FN_msg_pop_data] = 0,
	[EMU_FN_rc_pointer_rel] = 0,
	[EMU_FN_spin_lock] = T_ALL,
	[EMU_FN_spin_unlock] = T_ALL,
	[EMU_FN_sk_fullsock] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_tcp_sock] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_skb_ecn_set_ce] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_get_listener_sock] = T_CLS|T_ACT|T_CGS,
	[EMU_FN_skc_lookup_tcp] = T_CLS|T_ACT|T_XDP|T_CGS,
	[EMU_FN_tcp_check_syncookie] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_sysctl_get_name] = 0,
	[EMU_FN_sysctl_get_current_value] = 0,
	[EMU_FN_sysctl_get_new_value] = 0,
	[EMU_FN_sysctl_set_new_value] = 0,
	[EMU_FN_strtol] = T_ALL,
	[EMU_FN_strtoul] = T_ALL,
	[EMU_FN_sk_storage_get] = T_CLS|T_ACT|T_CGS|T_SYS,
	[EMU_FN_sk_storage_delete] = T_CLS|T_ACT|T_CGS|T_SYS,
	[EMU_FN_send_signal] = T_ALL,
	[EMU_FN_tcp_gen_syncookie] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_skb_output] = T_SYS,
	[EMU_FN_probe_read_user] = T_ALL,
	[EMU_FN_probe_read_kernel] = T_ALL,
	[EMU_FN_probe_read_user_str] = T_ALL,
	[EMU_FN_probe_read_kernel_str] = T_ALL,
	[EMU_FN_tcp_send_ack] = 0,
	[EMU_FN_send_signal_thread] = T_ALL,
	[EMU_FN_jiffies64] = T_ALL,
	[EMU_FN_read_branch_records] = T_PE,
	[EMU_FN_get_ns_current_pid_tgid] = T_ALL,
	[EMU_FN_xdp_output] = T_SYS,
	[EMU_FN_get_netns_cookie] = T_SF|T_CLS|T_ACT|T_CGS,
	[EMU_FN_get_current_ancestor_cgroup_id] = T_ALL,
	[EMU_FN_sk_assign] = T_CLS|T_ACT,
	[EMU_FN_ktime_get_boot_ns] = T_ALL,
	[EMU_FN_seq_printf] = 0,
	[EMU_FN_seq_write] = 0,
	[EMU_FN_sk_cgroup_id] = T_CGS,
	[EMU_FN_sk_ancestor_cgroup_id] = T_CGS,
	[EMU_FN_ringbuf_output] = T_ALL,
	[EMU_FN_ringbuf_reserve] = T_ALL,
	[EMU_FN_ringbuf_submit] = T_ALL,
	[EMU_FN_ringbuf_discard] = T_ALL,
	[EMU_FN_ringbuf_query] = T_ALL,
	[EMU_FN_csum_level] = T_CLS|T_ACT,
	[EMU_FN_skc_to_tcp6_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_skc_to_tcp_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_skc_to_tcp_timewait_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_skc_to_tcp_request_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_skc_to_udp6_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_get_task_stack] = T_ALL,
	[EMU_FN_load_hdr_opt] = 0,
	[EMU_FN_store_hdr_opt] = 0,
	[EMU_FN_reserve_hdr_opt] = 0,
	[EMU_FN_inode_storage_get] = 0,
	[EMU_FN_inode_storage_delete] = 0,
	[EMU_FN_d_path] = T_SYS,
	[EMU_FN_copy_from_user] = T_ALL,
	[EMU_FN_snprintf_btf] = T_ALL,
	[EMU_FN_seq_printf_btf] = 0,
	[EMU_FN_skb_cgroup_classid] = T_CLS|T_ACT,
	[EMU_FN_redirect_neigh] = T_CLS|T_ACT,
	[EMU_FN_per_cpu_ptr] = T_ALL,
	[EMU_FN_this_cpu_ptr] = T_ALL,
	[EMU_FN_redirect_peer] = T_CLS|T_ACT,
	[EMU_FN_task_storage_get] = T_ALL,
	[EMU_FN_task_storage_delete] = T_ALL,
	[EMU_FN_get_current_task_btf] = T_ALL,
	[EMU_FN_bprm_opts_set] = 0,
	[EMU_FN_ktime_get_coarse_ns] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS,
	[EMU_FN_ima_inode_hash] = 0,
	[EMU_FN_sock_from_file] = T_SYS,
	[EMU_FN_check_mtu] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_for_each_map_elem] = T_ALL,
	[EMU_FN_snprintf] = T_ALL,
	[EMU_FN_sys_bpf] = T_SYS,
	[EMU_FN_btf_find_by_name_kind] = T_SYS,
	[EMU_FN_sys_close] = T_SYS,
	[EMU_FN_timer_init] = T_ALL,
	[EMU_FN_timer_set_callback] = T_ALL,
	[EMU_FN_timer_start] = T_ALL,
	[EMU_FN_timer_cancel] = T_ALL,
	[EMU_FN_get_func_ip] = T_KP|T_TP|T_PE|T_RTP|T_SYS,
	[EMU_FN_get_attach_cookie] = T_KP|T_TP|T_PE|T_RTP,
	[EMU_FN_task_pt_regs] = T_ALL,
	[EMU_FN_get_branch_snapshot] = T_ALL,
	[EMU_FN_trace_vprintk] = T_ALL,
	[EMU_FN_skc_to_unix_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_kallsyms_lookup_name] = T_SYS,
	[EMU_FN_find_vma] = T_ALL,
	[EMU_FN_loop] = T_ALL,
	[EMU_FN_strncmp] = T_ALL,
	[EMU_FN_get_func_arg] = 0,
	[EMU_FN_get_func_ret] = 0,
	[EMU_FN_get_func_arg_cnt] = 0,
	[EMU_FN_get_retval] = 0,
	[EMU_FN_set_retval] = 0,
	[EMU_FN_xdp_get_buff_len] = T_XDP|T_SYS,
	[EMU_FN_xdp_load_bytes] = T_XDP,
	[EMU_FN_xdp_store_bytes] = T_XDP,
	[EMU_FN_copy_from_user_task] = T_ALL,
	[EMU_FN_skb_set_tstamp] = T_CLS|T_ACT,
	[EMU_FN_ima_file_hash] = 0,
	[EMU_FN_kptr_xchg] = T_ALL,
	[EMU_FN_map_lookup_percpu_elem] = T_ALL,
	[EMU_FN_skc_to_mptcp_sock] = T_SF|T_CLS|T_ACT|T_XDP|T_CGS|T_SYS,
	[EMU_FN_dynptr_from_mem] = T_ALL,
	[EMU_FN_ringbuf_reserve_dynptr] = T_ALL,
	[EMU_FN_ringbuf_submit_dynptr] = T_ALL,
	[EMU_FN_ringbuf_discard_dynptr] = T_ALL,
	[EMU_FN_dynptr_read] = T_ALL,
	[EMU_FN_dynptr_write] = T_ALL,
	[EMU_FN_dynptr_data] = T_ALL,
	[EMU_FN_tcp_raw_gen_syncookie_ipv4] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_tcp_raw_gen_syncookie_ipv6] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_tcp_raw_check_syncookie_ipv4] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_tcp_raw_check_syncookie_ipv6] = T_CLS|T_ACT|T_XDP,
	[EMU_FN_ktime_get_tai_ns] = T_ALL,
	[EMU_FN_user_ringbuf_drain] = T_ALL,
	[EMU_FN_cgrp_storage_get] = T_ALL,
	[EMU_FN_cgrp_storage_delete] = T_ALL,
};

#define A_MAP EMU_ARG_CONST_MAP_PTR
#define A_KEY EMU_ARG_PTR_TO_MAP_KEY
#define A_VAL EMU_ARG_PTR_TO_MAP_VALUE
#define A_ANY EMU_ARG_ANYTHING
#define A_CTX EMU_ARG_PTR_TO_CTX
#define A_RMEM (EMU_ARG_PTR_TO_MEM | EMU_ARG_RDONLY)
#define A_RMEM_NULL (EMU_ARG_PTR_TO_MEM | EMU_ARG_RDONLY | EMU_ARG_MAYBE_NULL)
#define A_WMEM (EMU_ARG_PTR_TO_UNINIT_MEM | EMU_ARG_UNINIT)
#define A_WMEM_NULL (EMU_ARG_PTR_TO_UNINIT_MEM | EMU_ARG_UNINIT | EMU_ARG_MAYBE_NULL)
#define A_SZ EMU_ARG_CONST_SIZE
#define A_SZ0 EMU_ARG_CONST_SIZE_OR_ZERO

#define P(name, g, pkt, r, ...)                                                                      \
	[EMU_FN_##name] = {.id = EMU_FN_##name, .gpl_only = g, .pkt_access = pkt, .ret = r,           \
			   .arg = {__VA_ARGS__}, .emulated = true}

/* The emulated helpers' kinds (prog_types is filled from allowed[] at lookup). */
static const struct emu_func_proto protos[EMU_NR_HELPERS] = {
	P(map_lookup_elem, false, true, EMU_RET_MAP_VALUE_OR_NULL, A_MAP, A_KEY),
	P(map_update_elem, false, true, EMU_RET_INTEGER, A_MAP, A_KEY, A_VAL, A_ANY),
	P(map_delete_elem, false, true, EMU_RET_INTEGER, A_MAP, A_KEY),
	P(map_push_elem, false, true, EMU_RET_INTEGER, A_MAP, A_VAL, A_ANY),
	P(map_pop_elem, false, false, EMU_RET_INTEGER, A_MAP, A_VAL | EMU_ARG_UNINIT),
	P(map_peek_elem, false, false, EMU_RET_INTEGER, A_MAP, A_VAL | EMU_ARG_UNINIT),
	P(for_each_map_elem, false, false, EMU_RET_INTEGER, A_MAP, EMU_ARG_PTR_TO_FUNC,
	  EMU_ARG_PTR_TO_STACK | EMU_ARG_MAYBE_NULL, A_ANY),
	P(loop, false, false, EMU_RET_INTEGER, A_ANY, EMU_ARG_PTR_TO_FUNC,
	  EMU_ARG_PTR_TO_STACK | EMU_ARG_MAYBE_NULL, A_ANY),
	P(ktime_get_ns, false, false, EMU_RET_INTEGER),
	P(ktime_get_boot_ns, false, false, EMU_RET_INTEGER),
	P(ktime_get_coarse_ns, false, false, EMU_RET_INTEGER),
	P(jiffies64, false, false, EMU_RET_INTEGER),
	P(get_prandom_u32, false, false, EMU_RET_INTEGER),
	P(get_smp_processor_id, false, false, EMU_RET_INTEGER),
	P(get_numa_node_id, false, false, EMU_RET_INTEGER),
	P(get_current_pid_tgid, false, false, EMU_RET_INTEGER),
	P(get_current_uid_gid, false, false, EMU_RET_INTEGER),
	P(get_current_comm, false, false, EMU_RET_INTEGER, A_WMEM, A_SZ),
	P(trace_printk, true, false, EMU_RET_INTEGER, A_RMEM, A_SZ),
	P(snprintf, true, false, EMU_RET_INTEGER, A_WMEM_NULL, A_SZ0, EMU_ARG_PTR_TO_CONST_STR,
	  A_RMEM_NULL, A_SZ0),
	P(spin_lock, false, false, EMU_RET_VOID, EMU_ARG_PTR_TO_SPIN_LOCK),
	P(spin_unlock, false, false, EMU_RET_VOID, EMU_ARG_PTR_TO_SPIN_LOCK),
	P(tail_call, false, false, EMU_RET_VOID, A_CTX, A_MAP, A_ANY),
	P(xdp_adjust_head, false, false, EMU_RET_INTEGER, A_CTX, A_ANY),
	P(xdp_adjust_tail, false, false, EMU_RET_INTEGER, A_CTX, A_ANY),
	P(xdp_adjust_meta, false, false, EMU_RET_INTEGER, A_CTX, A_ANY),
	P(skb_load_bytes, false, false, EMU_RET_INTEGER, A_CTX, A_ANY, A_WMEM, A_SZ),
	P(skb_store_bytes, false, false, EMU_RET_INTEGER, A_CTX, A_ANY, A_RMEM, A_SZ, A_ANY),
	P(l3_csum_replace, false, false, EMU_RET_INTEGER, A_CTX, A_ANY, A_ANY, A_ANY, A_ANY),
	P(l4_csum_replace, false, false, EMU_RET_INTEGER, A_CTX, A_ANY, A_ANY, A_ANY, A_ANY),
	P(csum_diff, false, true, EMU_RET_INTEGER, A_RMEM_NULL, A_SZ0, A_RMEM_NULL, A_SZ0, A_ANY),
	P(redirect, false, false, EMU_RET_INTEGER, A_ANY, A_ANY),
	P(redirect_map, false, false, EMU_RET_INTEGER, A_MAP, A_ANY, A_ANY),
	P(ringbuf_output, false, false, EMU_RET_INTEGER, A_MAP, A_RMEM, A_SZ0, A_ANY),
	P(ringbuf_reserve, false, false, EMU_RET_ALLOC_MEM_OR_NULL, A_MAP,
	  EMU_ARG_CONST_ALLOC_SIZE_OR_ZERO, A_ANY),
	P(ringbuf_submit, false, false, EMU_RET_VOID, EMU_ARG_PTR_TO_ALLOC_MEM | EMU_ARG_RELEASE, A_ANY),
	P(ringbuf_discard, false, false, EMU_RET_VOID, EMU_ARG_PTR_TO_ALLOC_MEM | EMU_ARG_RELEASE, A_ANY),
	P(ringbuf_query, false, false, EMU_RET_INTEGER, A_MAP, A_ANY),
	P(ringbuf_reserve_dynptr, false, false, EMU_RET_INTEGER, A_MAP, A_ANY, A_ANY,
	  EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_DYNPTR_RINGBUF | EMU_ARG_UNINIT),
	P(ringbuf_submit_dynptr, false, false, EMU_RET_VOID,
	  EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_DYNPTR_RINGBUF | EMU_ARG_RELEASE, A_ANY),
	P(ringbuf_discard_dynptr, false, false, EMU_RET_VOID,
	  EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_DYNPTR_RINGBUF | EMU_ARG_RELEASE, A_ANY),
	P(user_ringbuf_drain, false, false, EMU_RET_INTEGER, A_MAP, EMU_ARG_PTR_TO_FUNC,
	  EMU_ARG_PTR_TO_STACK | EMU_ARG_MAYBE_NULL, A_ANY),
	P(dynptr_from_mem, false, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, A_ANY,
	  EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_DYNPTR_LOCAL | EMU_ARG_UNINIT),
	P(dynptr_read, false, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_RDONLY, A_ANY,
	  A_ANY),
	P(dynptr_write, false, false, EMU_RET_INTEGER, EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_RDONLY, A_ANY, A_RMEM, A_SZ0,
	  A_ANY),
	P(dynptr_data, false, false, EMU_RET_DYNPTR_MEM_OR_NULL, EMU_ARG_PTR_TO_DYNPTR | EMU_ARG_RDONLY, A_ANY,
	  EMU_ARG_CONST_ALLOC_SIZE_OR_ZERO),
	P(get_attach_cookie, false, false, EMU_RET_INTEGER, A_CTX),
	P(strncmp, false, false, EMU_RET_INTEGER, A_RMEM, A_SZ, EMU_ARG_PTR_TO_CONST_STR),
	P(probe_read_kernel, true, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, A_ANY),
	P(probe_read_user, true, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, A_ANY),
	P(probe_read_kernel_str, true, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, A_ANY),
	P(probe_read_user_str, true, false, EMU_RET_INTEGER, A_WMEM, A_SZ0, A_ANY),
};

/* Records built once: id, allowed types, and the kinds where emulated. Read-only after. */
static struct emu_func_proto table[EMU_NR_HELPERS];
static int table_ready;

static void table_init(void)
{
	for (uint32_t i = 1; i < EMU_NR_HELPERS; i++) {
		table[i] = protos[i];
		table[i].id = i;
		table[i].prog_types = allowed[i];
	}
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

const struct emu_func_proto *emu_helper_proto(uint32_t id)
{
	if (id == 0 || id >= EMU_NR_HELPERS)
		return NULL;
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) {
		static pthread_once_t once = PTHREAD_ONCE_INIT;

		pthread_once(&once, table_init);
	}
	return &table[id];
}
