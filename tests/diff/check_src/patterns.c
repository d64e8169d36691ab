/* SPDX-License-Identifier: MIT */
/* Common shapes of real programs: VLAN and IPv6 parsing with bounded loops, globals in .bss and
 * .data, variable indexes into stack buffers and map values, per-CPU hashes, narrow ctx loads. */
#include "common.h"
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} per_port SEC(".maps");

struct stats {
	__u64 pkts[16];
	__u32 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stats);
} stats_map SEC(".maps");

__u64 total_packets;
__u32 histogram[32];
int threshold = 100;

SEC("xdp")
int xdp_vlan_v6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cur;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	proto = eth->h_proto;
	cur = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh = cur;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return XDP_DROP;
		proto = vh->proto;
		cur = vh + 1;
	}
	__sync_fetch_and_add(&total_packets, 1);
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;
		struct tcphdr *tcp;
		__u32 port;
		__u64 *v, one = 1;

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		if (ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		tcp = (void *)(ip6 + 1);
		if ((void *)(tcp + 1) > end)
			return XDP_DROP;
		port = bpf_ntohs(tcp->dest);
		histogram[port & 31]++;
		v = bpf_map_lookup_elem(&per_port, &port);
		if (v)
			(*v)++;
		else
			bpf_map_update_elem(&per_port, &port, &one, BPF_NOEXIST);
		if (port < 1024 && total_packets > (__u64)threshold)
			return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("socket")
int sf_sum_bytes(struct __sk_buff *skb)
{
	__u8 buf[32];
	__u32 sum = 0, n = skb->len;

	if (n > sizeof(buf))
		n = sizeof(buf);
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 0;
	for (__u32 i = 0; i < sizeof(buf); i++) {
		if (i >= n)
			break;
		sum += buf[i];
	}
	return sum & 1 ? skb->len : 0;
}

SEC("tc")
int tc_stats(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex & 3, slot;
	struct stats *st;
	__u16 proto = skb->protocol;
	__u8 pt = skb->pkt_type;

	st = bpf_map_lookup_elem(&stats_map, &key);
	if (!st)
		return 0;
	slot = (skb->len >> 6) & 15;
	st->pkts[slot]++;
	st->last = slot;
	if (st->last < 16)
		st->pkts[st->last] += pt;
	skb->tc_classid = proto;
	for (int i = 0; i < 5; i++)
		skb->cb[i] = i;
	return 0;
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	__u32 idx = skb->len & 31;

	histogram[idx] += 1;
	return skb->len > (__u32)threshold ? 2 : 3;
}

char LICENSE[] SEC("license") = "GPL";
