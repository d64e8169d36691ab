/* SPDX-License-Identifier: MIT */
/* tc classifier: __sk_buff fields, packet pointers, skb_load_bytes, csum helpers, redirect. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} marks SEC(".maps");

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 ifi = skb->ifindex, *m;
	__u8 buf[4];

	if ((void *)(eth + 1) > end)
		return 0;
	m = bpf_map_lookup_elem(&marks, &ifi);
	if (m)
		skb->mark = *m;
	skb->cb[0] = skb->len;
	skb->priority = skb->cb[1] + 1;
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 2;
	if (buf[0] == 0xff)
		return bpf_redirect(skb->ifindex, 0);
	return skb->protocol == bpf_htons(ETH_P_IP) ? 0 : 1;
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 tos = 0x10;
	__u16 old, new;

	if ((void *)(ip + 1) > end)
		return 0;
	old = *(__u16 *)ip;
	new = (old & bpf_htons(0xff00)) | bpf_htons(tos);
	bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + 10, old, new, 2);
	bpf_skb_store_bytes(skb, sizeof(struct ethhdr) + 1, &tos, 1, 0);
	return bpf_csum_diff(0, 0, (__be32 *)&tos, 0, 0) + bpf_ktime_get_coarse_ns() ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
