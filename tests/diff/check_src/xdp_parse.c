/* SPDX-License-Identifier: MIT */
/* XDP: parse Ethernet/IPv4/UDP with data_end checks, count per protocol in an array. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} src_bytes SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 key;
	__u64 *v, one = 1;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	key = ip->protocol;
	v = bpf_map_lookup_elem(&proto_count, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	key = ip->saddr;
	v = bpf_map_lookup_elem(&src_bytes, &key);
	if (v)
		*v += (__u64)(end - data);
	else
		bpf_map_update_elem(&src_bytes, &key, &one, BPF_ANY);
	if (ip->protocol == 17) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;

		if (ip->ihl < 5)
			return XDP_DROP;
		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		if (udp->dest == bpf_htons(9))
			return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, 0))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
