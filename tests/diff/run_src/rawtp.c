/* SPDX-License-Identifier: MIT */
/* RAW_TRACEPOINT: the arguments a caller passes as ctx_in, the CPU it asked for
 * (BPF_F_TEST_RUN_ON_CPU): per-CPU counters, and trace_printk's formats. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

SEC("raw_tp")
int rtp(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 k = ctx->args[0] & 3;
	__u64 *v = bpf_map_lookup_elem(&per_cpu, &k);

	if (v)
		*v += ctx->args[1] + 1;
	RESULT(results, 0, bpf_get_smp_processor_id());
	RESULT(results, 1, ctx->args[2] * 3);
	return (int)(ctx->args[0] + ctx->args[1]);
}

SEC("raw_tp")
int rtp_printk(struct bpf_raw_tracepoint_args *ctx)
{
	char s[] = "str";
	__u64 a = ctx->args[0];

	RESULT(results, 2, bpf_printk("plain"));
	RESULT(results, 3, bpf_printk("a=%llu b=%d c=%x\n", a, (int)ctx->args[1], (__u32)ctx->args[2]));
	RESULT(results, 4, bpf_printk("%s|%5s|%-5s|%c", s, s, s));
	RESULT(results, 5, bpf_printk("%lx %px %%", a, 0));
	RESULT(results, 6, bpf_printk("bad %y"));
	RESULT(results, 7, bpf_printk("%d %d %d %d", 1, 2, 3));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
