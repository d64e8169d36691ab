/* SPDX-License-Identifier: MIT */
/* raw tracepoint: args, ringbuf reserve/submit and output, current task helpers, printk. */
#include "common.h"

struct event {
	__u32 pid;
	__u32 cpu;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw_tracepoint/sys_enter")
int rtp_events(struct bpf_raw_tracepoint_args *ctx)
{
	struct event *e;
	__u64 id = ctx->args[1];

	if (id != 59)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (e->comm[0] == 0)
		bpf_ringbuf_discard(e, 0);
	else
		bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int rtp_output(struct bpf_raw_tracepoint_args *ctx)
{
	struct event e = {};

	e.pid = bpf_get_current_uid_gid();
	e.ts = bpf_ktime_get_boot_ns() + bpf_jiffies64();
	e.cpu = bpf_get_numa_node_id() + bpf_get_prandom_u32();
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	if (ctx->args[1] == 1)
		bpf_printk("exit %d", (int)ctx->args[1]);
	return bpf_ringbuf_query(&events, 0) > 100;
}

char LICENSE[] SEC("license") = "GPL";
