/* SPDX-License-Identifier: MIT */
/* An object that is both a list node and the owner of a list of its own kind: BPF_BTF_LOAD
 * refuses the ownership cycle (-ELOOP); mutations of it reach the other graph checks. */
#include "common.h"

struct selfish {
	struct bpf_spin_lock lock;
	struct bpf_list_node node;
	struct bpf_list_head head SEED_CONTAINS(selfish, node);
};

struct selfish *keep_selfish;

SEC("tc")
int prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
