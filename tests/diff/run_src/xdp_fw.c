/* SPDX-License-Identifier: MIT */
/* XDP: a firewall/NAT that parses Ethernet/IPv4/TCP/UDP, counts per action and per CPU, tracks
 * flows in an LRU hash, rewrites addresses and ports from a NAT table with the checksums fixed
 * (incrementally and with bpf_csum_diff), swaps MACs, and moves the packet's edges. */
#include "common.h"

struct flow {
	__u32 src, dst;
	__u16 sport, dport;
	__u8 proto, pad[3];
};

struct nat_to {
	__u32 addr;
	__u16 port, pad;
};

struct stat {
	__u64 pkts, bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, struct flow);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct nat_to);
} nat SEC(".maps");

__u64 seen_total = 0;              /* .bss */
const volatile __u32 ttl_min = 2;  /* .rodata */

static __always_inline __u16 fold(__u32 c)
{
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

/* the checksum of a 16-bit field after old -> new (RFC 1624) */
static __always_inline __u16 csum_upd(__u16 check, __u16 old, __u16 new)
{
	__u32 c = (__u16)~check + (__u16)~old + new;

	return fold(c);
}

static __always_inline void count(__u32 action, __u32 bytes)
{
	__u64 *v = bpf_map_lookup_elem(&verdicts, &action);
	__u32 k = action & 3;
	struct stat *s = bpf_map_lookup_elem(&stats, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	if (s) {
		s->pkts++;
		s->bytes += bytes;
	}
	__sync_fetch_and_add(&seen_total, 1);
}

SEC("xdp")
int xdp_fw(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct flow f = {};
	struct nat_to *to;
	__u64 one = 1, *cnt;
	__u32 len = end - data;
	int act = XDP_PASS;

	if ((void *)(eth + 1) > end) {
		count(XDP_DROP, len);
		return XDP_DROP;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		count(XDP_PASS, len);
		return XDP_PASS;
	}
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->version != 4) {
		count(XDP_DROP, len);
		return XDP_DROP;
	}
	if (ip->ttl < ttl_min) {
		count(XDP_DROP, len);
		return XDP_DROP;
	}
	/* ttl-- with the header checksum recomputed by bpf_csum_diff */
	ip->ttl--;
	ip->check = 0;
	ip->check = fold(bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0));
	f.src = ip->saddr;
	f.dst = ip->daddr;
	f.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
		struct udphdr *l4 = (void *)(ip + 1);

		if ((void *)(l4 + 1) > end) {
			count(XDP_ABORTED, len);
			return XDP_ABORTED;
		}
		f.sport = l4->source;
		f.dport = l4->dest;
		if (l4->dest == bpf_htons(9)) {
			count(XDP_DROP, len);
			return XDP_DROP;
		}
		to = bpf_map_lookup_elem(&nat, &ip->daddr);
		if (to) {
			__u16 *sum = 0;
			__u32 old = ip->daddr;

			if (ip->protocol == IPPROTO_TCP) {
				struct tcphdr *t = (void *)(ip + 1);

				if ((void *)(t + 1) > end)
					return XDP_ABORTED;
				sum = &t->check;
			} else {
				sum = &l4->check;
			}
			ip->check = csum_upd(ip->check, old & 0xffff, to->addr & 0xffff);
			ip->check = csum_upd(ip->check, old >> 16, to->addr >> 16);
			*sum = csum_upd(*sum, old & 0xffff, to->addr & 0xffff);
			*sum = csum_upd(*sum, old >> 16, to->addr >> 16);
			*sum = csum_upd(*sum, l4->dest, to->port);
			ip->daddr = to->addr;
			l4->dest = to->port;
			{
				unsigned char tmp[ETH_ALEN];

				__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
				__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
				__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
			}
			act = XDP_TX;
		}
	}
	cnt = bpf_map_lookup_elem(&flows, &f);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&flows, &f, &one, BPF_NOEXIST);
	count(act, len);
	return act;
}

/* Moves the edges: byte 14 of the packet says how (head by -(b & 63) * 4 or +(b & 15), tail by
 * (signed) byte 15), then writes a marker into the new head. */
SEC("xdp")
int xdp_edges(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	int head, tail;
	long r1, r2;

	if ((void *)(p + 16) > end)
		return XDP_ABORTED;
	head = p[14] & 0x80 ? (p[14] & 15) : -(int)((p[14] & 63) * 4);
	tail = (__s8)p[15] * 8;
	r1 = bpf_xdp_adjust_head(ctx, head);
	r2 = bpf_xdp_adjust_tail(ctx, tail);
	RESULT(verdicts, 6, r1);
	RESULT(verdicts, 7, r2);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	p = data;
	if ((void *)(p + 4) > end)
		return XDP_DROP;
	p[0] = 0xee;
	p[3] = (__u8)(end - data);
	return (r1 ? 8 : 0) | (r2 ? 16 : 0) | XDP_PASS;
}

/* bpf_redirect with the ifindex and flags the packet carries */
SEC("xdp")
int xdp_redir(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 16) > end)
		return XDP_ABORTED;
	return bpf_redirect(p[14], p[15] & 3);
}

char LICENSE[] SEC("license") = "GPL";
