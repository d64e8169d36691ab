/* SPDX-License-Identifier: MIT */
/*
 * The end-to-end skeleton object (tests/e2e/skel.sh, through `bpftool gen skeleton`): BTF-defined
 * maps, global data in all three sections (.rodata constants the loader sets before load, .data
 * and .bss the loader reads and writes through the skeleton's mmap), and three programs:
 *
 *   skel_xdp   XDP: parses Ethernet/IPv4, counts per protocol (hash), in an array (atomic) and per
 *              CPU, drops the protocol .rodata names, swaps the MAC addresses of what it passes
 *   skel_tc    tc (SCHED_CLS): counts bytes, marks the skb with a .rodata constant
 *   skel_sock  socket filter without context accesses or helper calls: the kernel rewrites
 *              none of its instructions, so `bpftool prog dump xlated` shows the same on both
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

const volatile __u32 drop_proto = 0; /* .rodata: set by the loader */
const volatile __u32 tc_mark = 0;
__u64 seen_packets = 0;              /* .bss */
__u32 last_len = 7;                  /* .data */
char banner[16] = "skel-v1";

static __always_inline void count(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

SEC("xdp")
int skel_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 key = 0, proto;
	__u64 *v, one = 1;
	unsigned char tmp[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	count(0, 1);
	v = bpf_map_lookup_elem(&per_cpu, &key);
	if (v)
		*v += 1;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	proto = ip->protocol;
	v = bpf_map_lookup_elem(&by_proto, &proto);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&by_proto, &proto, &one, BPF_NOEXIST);
	if (proto == drop_proto)
		return XDP_DROP;
	seen_packets++;
	last_len = (__u32)(end - data);
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_PASS;
}

SEC("tc")
int skel_tc(struct __sk_buff *skb)
{
	count(1, skb->len);
	skb->mark = tc_mark;
	return TC_ACT_OK;
}

SEC("socket")
int skel_sock(struct __sk_buff *skb)
{
	seen_packets += 10;
	return drop_proto;
}

char LICENSE[] SEC("license") = "GPL";
