/* SPDX-License-Identifier: MIT */
/*
 * The map types real tools declare (tests/e2e/types.sh): BTF-defined maps of every type issue 21
 * added — an LPM trie of CIDRs, a bloom filter, a ring buffer and a user ring buffer, an array and
 * a hash of maps (the array with an inner map set at load), a program array and a perf event
 * array — and a program using them, which the loader switches off (autoload false): a skeleton
 * of an event-streaming tool or a network control plane, as far as user space sees it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct cidr {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cidr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cidrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} commands SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} inner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [1] = &inner0 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 8);
		__type(key, __u32);
		__type(value, __u32);
	});
} outer_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jumps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} perf_events SEC(".maps");

SEC("xdp")
int classify(struct xdp_md *ctx)
{
	struct cidr k = { .prefixlen = 32 };
	__u32 *verdict, h = 1, zero = 0;
	void *inner;

	verdict = bpf_map_lookup_elem(&cidrs, &k);
	if (bpf_map_peek_elem(&seen, &h))
		bpf_map_push_elem(&seen, &h, 0);
	inner = bpf_map_lookup_elem(&outer_array, &zero);
	if (inner)
		bpf_map_lookup_elem(inner, &zero);
	bpf_ringbuf_output(&events, &h, sizeof(h), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &h, sizeof(h));
	bpf_tail_call(ctx, &jumps, 0);
	return verdict ? *verdict : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
