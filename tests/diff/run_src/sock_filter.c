/* SPDX-License-Identifier: MIT */
/* SOCKET_FILTER: LD_ABS/LD_IND parsing from the network header (the skb a socket filter sees),
 * bpf_skb_load_bytes, the cb scratch area, and a verdict of how many bytes to keep. */
#include "common.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} by_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

SEC("socket")
int sf_keep(struct __sk_buff *skb)
{
	__u32 ihl, proto, src, dport, w = 0;
	__u64 one = 1, *v;

	RESULT(results, 0, skb->len);
	RESULT(results, 1, skb->protocol);
	RESULT(results, 2, skb->pkt_type);
	RESULT(results, 3, skb->ifindex);
	RESULT(results, 4, skb->cb[2] + skb->mark + skb->priority);
	skb->cb[3] = skb->len;
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	ihl = (load_byte(skb, 0) & 0xf) * 4;
	proto = load_byte(skb, 9);
	src = load_word(skb, 12);
	v = bpf_map_lookup_elem(&by_src, &src);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&by_src, &src, &one, BPF_ANY);
	if (bpf_skb_load_bytes(skb, 16, &w, 4) == 0)
		RESULT(results, 5, w);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 64;
	dport = load_half(skb, ihl + 2);
	RESULT(results, 6, dport);
	if (dport == 22)
		return 0;
	if (dport == 80)
		return -1;
	return skb->len / 2;
}

char LICENSE[] SEC("license") = "GPL";
