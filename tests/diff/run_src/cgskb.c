/* SPDX-License-Identifier: MIT */
/* CGROUP_SKB: the dummy socket's fields test_run gives (family, addresses, ports), the packet
 * from its network header read directly, a per-family counter; allow or drop. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} fam SEC(".maps");

SEC("cgroup_skb/ingress")
int cg_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 f = skb->family;
	__u64 one = 1, *c;
	__u8 *p = data;

	RESULT(results, 0, skb->family);
	RESULT(results, 1, skb->local_ip4);
	RESULT(results, 2, skb->remote_ip4);
	RESULT(results, 3, skb->local_ip6[1] ^ skb->remote_ip6[3]);
	RESULT(results, 4, skb->local_port | (__u64)skb->remote_port << 32);
	RESULT(results, 5, end - data);
	RESULT(results, 6, skb->len);
	skb->mark = 0x77;
	skb->priority = skb->len;
	c = bpf_map_lookup_elem(&fam, &f);
	if (c)
		(*c)++;
	else
		bpf_map_update_elem(&fam, &f, &one, BPF_NOEXIST);
	if ((void *)(p + 20) > end)
		return 1;
	RESULT(results, 7, p[9]);
	return p[9] == IPPROTO_UDP ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
