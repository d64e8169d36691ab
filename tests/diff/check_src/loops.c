/* SPDX-License-Identifier: MIT */
/* loops: bounded for loops, bpf_loop and for_each_map_elem callbacks, bpf-to-bpf calls. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u64);
} q SEC(".maps");

struct loop_ctx {
	__u64 sum;
	__u32 n;
};

static long add_one(__u32 i, void *data)
{
	struct loop_ctx *lc = data;

	lc->sum += i;
	return lc->n && i >= lc->n ? 1 : 0;
}

static long visit(void *map, __u32 *key, __u64 *val, void *data)
{
	struct loop_ctx *lc = data;

	lc->sum += *val + *key;
	return 0;
}

static __attribute__((noinline)) __u64 square(__u64 x)
{
	return x * x;
}

static __attribute__((noinline)) __u64 sum_sq(__u64 *a, int n)
{
	__u64 s = 0;

	for (int i = 0; i < 4; i++)
		if (i < n)
			s += square(a[i]);
	return s;
}

SEC("socket")
int loop_prog(struct __sk_buff *skb)
{
	struct loop_ctx lc = {.n = skb->len & 7};
	__u64 arr[4] = {1, 2, 3, 4}, v;
	__u32 i;

	bpf_loop(16, add_one, &lc, 0);
	bpf_for_each_map_elem(&vals, visit, &lc, 0);
	for (i = 0; i < 10; i++) {
		__u32 k = i;
		__u64 *p = bpf_map_lookup_elem(&vals, &k);

		if (p)
			lc.sum += *p;
	}
	bpf_map_push_elem(&q, &lc.sum, 0);
	if (bpf_map_pop_elem(&q, &v) == 0)
		lc.sum += v;
	bpf_map_peek_elem(&q, &v);
	return (int)(lc.sum + sum_sq(arr, skb->len & 3));
}

char LICENSE[] SEC("license") = "GPL";
