/* SPDX-License-Identifier: MIT */
/* syscall programs: ctx read from the caller's blob, a map update, a loop over args. */
#include "common.h"

struct args {
	__u32 key;
	__u32 n;
	__u64 vals[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} sums SEC(".maps");

SEC("syscall")
int sys_sum(struct args *ctx)
{
	__u64 sum = 0;
	__u32 n = ctx->n, key;

	if (n > 8)
		n = 8;
	/* unrolled: a syscall program's ctx pointer may not be moved */
#pragma unroll
	for (__u32 i = 0; i < 8; i++)
		if (i < n)
			sum += ctx->vals[i];
	key = ctx->key;
	bpf_map_update_elem(&sums, &key, &sum, BPF_ANY);
	return (int)sum;
}

char LICENSE[] SEC("license") = "GPL";
