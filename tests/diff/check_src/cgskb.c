/* SPDX-License-Identifier: MIT */
/* cgroup skb: return in [0, 1], read-only packet access, per-cpu counters. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

SEC("cgroup_skb/ingress")
int cg_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 key = 0;
	__u64 *v;
	int ok = 1;

	if (data + 1 <= end && *(__u8 *)data == 0x45 && skb->len > 1500)
		ok = 0;
	key = ok;
	v = bpf_map_lookup_elem(&verdicts, &key);
	if (v)
		*v += 1;
	return ok;
}

char LICENSE[] SEC("license") = "GPL";
