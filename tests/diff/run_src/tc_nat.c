/* SPDX-License-Identifier: MIT */
/* TC: a classifier that snapshots the __sk_buff fields it may read, rewrites the destination
 * address and port of TCP/UDP with bpf_skb_store_bytes and the l3/l4 checksum helpers, sets
 * mark/priority/tc_classid/cb/queue_mapping, and picks an action (or a redirect) from the
 * packet; and a program that collects the helpers' error answers. */
#include "common.h"

struct snap {
	__u32 len, pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci, vlan_proto;
	__u32 priority, ingress_ifindex, ifindex, tc_index, cb[5], hash, tc_classid, data_len;
	__u32 napi_id, wire_len, gso_segs, gso_size;
	__u64 tstamp, hwtstamp;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct snap);
} snaps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_DST_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))

static __always_inline void snapshot(struct __sk_buff *skb, __u32 slot)
{
	struct snap *s = bpf_map_lookup_elem(&snaps, &slot);

	if (!s)
		return;
	s->len = skb->len;
	s->pkt_type = skb->pkt_type;
	s->mark = skb->mark;
	s->queue_mapping = skb->queue_mapping;
	s->protocol = skb->protocol;
	s->vlan_present = skb->vlan_present;
	s->vlan_tci = skb->vlan_tci;
	s->vlan_proto = skb->vlan_proto;
	s->priority = skb->priority;
	s->ingress_ifindex = skb->ingress_ifindex;
	s->ifindex = skb->ifindex;
	s->tc_index = skb->tc_index;
	s->cb[0] = skb->cb[0];
	s->cb[1] = skb->cb[1];
	s->cb[2] = skb->cb[2];
	s->cb[3] = skb->cb[3];
	s->cb[4] = skb->cb[4];
	s->hash = skb->hash;
	s->tc_classid = skb->tc_classid;
	s->data_len = skb->data_end - skb->data;
	s->napi_id = skb->napi_id;
	s->wire_len = skb->wire_len;
	s->gso_segs = skb->gso_segs;
	s->gso_size = skb->gso_size;
	s->tstamp = skb->tstamp;
	s->hwtstamp = skb->hwtstamp;
}

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 new_dst = bpf_htonl(0x0a000063), old_dst, proto, l4_csum_off;
	__u16 new_port = bpf_htons(8080), old_port;
	__u64 one = 1, *cnt;
	__u8 l4;
	long r;

	snapshot(skb, 0);
	if ((void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	proto = eth->h_proto;
	cnt = bpf_map_lookup_elem(&by_proto, &proto);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&by_proto, &proto, &one, BPF_ANY);
	skb->mark = skb->len * 3;
	skb->priority = 7;
	skb->tc_classid = 0x10020 + skb->len;
	skb->cb[1] = skb->cb[0] + 1;
	skb->queue_mapping = skb->len & 1 ? 3 : 0xffff;
	skb->tc_index = 0x12345;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	l4 = ip->protocol;
	if (l4 == IPPROTO_TCP)
		l4_csum_off = ETH_HLEN + sizeof(*ip) + offsetof(struct tcphdr, check);
	else if (l4 == IPPROTO_UDP)
		l4_csum_off = ETH_HLEN + sizeof(*ip) + offsetof(struct udphdr, check);
	else
		return TC_ACT_PIPE;
	if (bpf_skb_load_bytes(skb, IP_DST_OFF, &old_dst, 4))
		return TC_ACT_SHOT;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(*ip) + 2, &old_port, 2)) {
		RESULT(results, 0, -1);
		return TC_ACT_SHOT;
	}
	r = bpf_l4_csum_replace(skb, l4_csum_off, old_dst, new_dst, BPF_F_PSEUDO_HDR | 4);
	RESULT(results, 1, r);
	r = bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_dst, new_dst, 4);
	RESULT(results, 2, r);
	r = bpf_skb_store_bytes(skb, IP_DST_OFF, &new_dst, 4, 0);
	RESULT(results, 3, r);
	r = bpf_l4_csum_replace(skb, l4_csum_off, old_port, new_port, 2 |
				(l4 == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0));
	RESULT(results, 4, r);
	r = bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(*ip) + 2, &new_port, 2, BPF_F_RECOMPUTE_CSUM);
	RESULT(results, 5, r);
	snapshot(skb, 1);
	if (old_port == bpf_htons(22))
		return bpf_redirect(skb->ifindex, old_dst & 1);
	if (old_port == bpf_htons(53))
		return bpf_redirect(7, 2);
	return TC_ACT_OK;
}

/* every helper's answer to arguments out of range, and its effect */
SEC("tc")
int tc_errors(struct __sk_buff *skb)
{
	__u8 buf[16] = {};
	__u32 len = skb->len, i = 8;
	__u64 x = 0x1122334455667788;

	RESULT(results, 8, bpf_skb_load_bytes(skb, len - 4, buf, 8));
	RESULT(results, 9, *(__u64 *)buf);
	RESULT(results, 10, bpf_skb_load_bytes(skb, len - 8, buf, 8));
	RESULT(results, 11, bpf_skb_store_bytes(skb, 0, &x, 8, 4));
	RESULT(results, 12, bpf_skb_store_bytes(skb, len - 7, &x, 8, 0));
	RESULT(results, 13, bpf_skb_store_bytes(skb, 0x80000000, &x, 8, 0));
	RESULT(results, 14, bpf_l3_csum_replace(skb, 13, 0, 1, 2));
	RESULT(results, 15, bpf_l3_csum_replace(skb, 0x10000, 0, 1, 2));
	RESULT(results, 16, bpf_l3_csum_replace(skb, 14, 1, 2, 0));
	RESULT(results, 17, bpf_l3_csum_replace(skb, 14, 0, 2, 8));
	RESULT(results, 18, bpf_l3_csum_replace(skb, 14, 0, 2, 0x100));
	RESULT(results, 19, bpf_l4_csum_replace(skb, 16, 0, 0x1234, 0));
	RESULT(results, 20, bpf_l4_csum_replace(skb, 16, 5, 6, 3));
	RESULT(results, 21, bpf_l4_csum_replace(skb, 16, 5, 6, 1 << 9));
	RESULT(results, 22, bpf_l4_csum_replace(skb, len - 1, 5, 6, 2));
	RESULT(results, 23, bpf_skb_load_bytes(skb, 0, buf, 16) ? 0 : *(__u64 *)(buf + 8));
	RESULT(results, 24, bpf_csum_diff((__be32 *)buf, 8, (__be32 *)(buf + 8), 8, 0x12345678));
	RESULT(results, 25, bpf_csum_diff((__be32 *)buf, 0, (__be32 *)(buf + 4), 6, 0xffff));
	RESULT(results, 26, bpf_csum_diff((__be32 *)buf, 7, (__be32 *)(buf + 4), 0, 7));
	RESULT(results, 27, bpf_csum_diff((__be32 *)buf, 0, (__be32 *)buf, 0, 0xdeadbeef));
	RESULT(results, 28, bpf_redirect(1, 0));
	RESULT(results, 29, bpf_redirect(1, 4));
	RESULT(results, 30, bpf_skb_store_bytes(skb, i, &x, 4, BPF_F_INVALIDATE_HASH));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
