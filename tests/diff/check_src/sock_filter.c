/* SPDX-License-Identifier: MIT */
/* socket filters: skb_load_bytes into the stack, ld_abs, the cb scratch area. */
#include "common.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int sf_udp_only(struct __sk_buff *skb)
{
	__u8 proto;

	if (bpf_skb_load_bytes(skb, 9, &proto, 1))
		return 0;
	skb->cb[2] = proto;
	return proto == 17 ? skb->len : 0;
}

SEC("socket")
int sf_ldabs(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != 0x0800)
		return 0;
	return load_byte(skb, 23) == 6 ? -1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
