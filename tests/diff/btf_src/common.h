/* SPDX-License-Identifier: MIT */
/* Shared by the BTF seed programs: the 6.18 special-field types the installed 6.1 headers lack. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_wq { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_task_work { __u64 __opaque; } __attribute__((aligned(8)));
struct bpf_list_head { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_list_node { __u64 __opaque[3]; } __attribute__((aligned(8)));
struct bpf_rb_root { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_rb_node { __u64 __opaque[4]; } __attribute__((aligned(8)));
struct bpf_refcount { __u32 __opaque[1]; } __attribute__((aligned(4)));

#define SEED_TAG(x) __attribute__((btf_decl_tag(x)))
#define SEED_TYPE_TAG(x) __attribute__((btf_type_tag(x)))
#define SEED_CONTAINS(name, node) SEED_TAG("contains:" #name ":" #node)
