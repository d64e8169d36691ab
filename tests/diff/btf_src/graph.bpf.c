/* SPDX-License-Identifier: MIT */
/* Program-allocated objects in linked lists and rbtrees, with refcounts: the struct records
 * BPF_BTF_LOAD builds (btf_parse_struct_metas). */
#include "common.h"

struct node_data {
	long key;
	long data;
	struct bpf_rb_node r;
	struct bpf_list_node l;
	struct bpf_refcount ref;
};

struct plain_node {
	int v;
	struct bpf_list_node node;
};

/* the contained types must be in the BTF: "contains:" names them only in strings */
struct node_data *keep_node_data;
struct plain_node *keep_plain_node;

#define private(name) SEC(".data." #name) __attribute__((aligned(8)))
private(A) struct bpf_spin_lock glock;
private(A) struct bpf_rb_root groot SEED_CONTAINS(node_data, r);
private(A) struct bpf_list_head ghead SEED_CONTAINS(node_data, l);
private(B) struct bpf_spin_lock lock2;
private(B) struct bpf_list_head head2 SEED_CONTAINS(plain_node, node);

struct map_value {
	struct bpf_spin_lock lock;
	struct bpf_list_head head SEED_CONTAINS(plain_node, node);
	struct plain_node SEED_TYPE_TAG("kptr") *stash;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct map_value);
} values SEC(".maps");

SEC("tc")
int prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
