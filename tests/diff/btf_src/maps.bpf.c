/* SPDX-License-Identifier: MIT */
/* Maps with special fields in their values: spin lock, timer, wq, kptrs, nested structs. */
#include "common.h"

struct elem {
	struct bpf_spin_lock lock;
	int cnt;
	long long total;
};

struct tval {
	struct bpf_timer t;
	struct bpf_wq wq;
	unsigned long long deadline;
};

struct task_local;
struct obj {
	int v;
	struct obj *next;
};

struct kval {
	struct obj SEED_TYPE_TAG("kptr") *ref;
	struct obj SEED_TYPE_TAG("kptr_untrusted") *unref;
	struct obj SEED_TYPE_TAG("percpu_kptr") *pc;
	char pad[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, struct elem);
} locked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, unsigned int);
	__type(value, struct tval);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, long);
	__type(value, struct kval);
} kptrs SEC(".maps");

struct nkey { int a; short b; char c[2]; };
struct nval { struct elem e[2]; unsigned bits : 3, more : 5; };

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, struct nkey);
	__type(value, struct nval);
} nested SEC(".maps");

SEC("tc")
int prog(struct __sk_buff *skb)
{
	int k = skb->len;
	struct elem *e = bpf_map_lookup_elem(&locked, &k);

	if (e) {
		bpf_spin_lock(&e->lock);
		e->cnt++;
		bpf_spin_unlock(&e->lock);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
