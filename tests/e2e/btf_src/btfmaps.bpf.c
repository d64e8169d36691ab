/* SPDX-License-Identifier: MIT */
/*
 * The end-to-end BTF object (tests/e2e/btf.sh): BTF-defined maps of the eight emulated types,
 * values with a bpf_spin_lock and a bpf_timer among them, and programs the loader switches off
 * (autoload false). Hash maps have BPF_F_ZERO_SEED, so dumps come out in one order on both
 * sides. No .data/.bss/.rodata: libbpf's global-data maps need a BPF_PROG_LOAD probe
 * the emulator does not answer yet.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counter {
	struct bpf_spin_lock lock;
	unsigned int hits;
	unsigned long long bytes;
};

struct flow_key {
	unsigned int saddr, daddr;
	unsigned short sport, dport;
	unsigned char proto;
	unsigned char pad[3];
};

struct deadline {
	struct bpf_timer timer;
	unsigned long long when;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, struct flow_key);
	__type(value, struct counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} locked_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, unsigned int);
	__type(value, unsigned long long);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, unsigned int);
	__type(value, struct deadline);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} timer_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, unsigned long long);
	__type(value, unsigned int);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lru_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, unsigned int);
	__type(value, struct counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} locked_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, unsigned int);
	__type(value, struct flow_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pcpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, unsigned int);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, unsigned long long);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lifo SEC(".maps");

SEC("tc")
int count(struct __sk_buff *skb)
{
	struct flow_key k;
	struct counter *c;

	__builtin_memset(&k, 0, sizeof(k));
	k.saddr = skb->remote_ip4;
	k.proto = (unsigned char)skb->protocol;
	c = bpf_map_lookup_elem(&locked_hash, &k);

	if (c) {
		bpf_spin_lock(&c->lock);
		c->hits++;
		c->bytes += skb->len;
		bpf_spin_unlock(&c->lock);
	}
	return 0;
}

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
