/* SPDX-License-Identifier: MIT */
/* SYSCALL programs driven by a context the harness fills: one op per run against every map
 * type the emulator has (hash, per-CPU hash, LRU and LRU per-CPU hash, array, per-CPU array,
 * queue, stack) with the flags the caller picks, recording each helper's answer; plus bpf_loop,
 * bpf_for_each_map_elem, a spin-locked value, atomics, bpf-to-bpf and global functions, strings
 * (snprintf, strncmp, probe_read_*) and the task helpers. */
#include "common.h"

struct args {
	__u32 op, key;
	__u64 val, flags;
	__u64 uptr;      /* a pointer into the caller's memory */
	__u32 n, pad;
	__u64 out[8];    /* written back to the caller */
	char str[32];
};

struct locked {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 a, b;
};

/* hash maps with BPF_F_ZERO_SEED: their order (which for_each shows) is the kernel's on both */
#define MAP(T, N, K, V, M)                                                                        \
	struct {                                                                                 \
		__uint(type, T);                                                                 \
		__uint(max_entries, M);                                                          \
		__uint(map_flags, T == BPF_MAP_TYPE_ARRAY || T == BPF_MAP_TYPE_PERCPU_ARRAY ? 0 : BPF_F_ZERO_SEED); \
		__type(key, K);                                                                  \
		__type(value, V);                                                                \
	} N SEC(".maps")

MAP(BPF_MAP_TYPE_HASH, h, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_PERCPU_HASH, ph, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_LRU_HASH, lh, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_LRU_PERCPU_HASH, lph, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_ARRAY, a, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_PERCPU_ARRAY, pa, __u32, __u64, 8);
MAP(BPF_MAP_TYPE_ARRAY, lk, __u32, struct locked, 2);
MAP(BPF_MAP_TYPE_HASH, strs, __u32, char[48], 8);

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u64);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u64);
} st SEC(".maps");

__u64 counter = 0;
char greeting[16] = "hello";

static void *map_of(__u32 i)
{
	switch (i & 7) {
	case 0: return &h;
	case 1: return &ph;
	case 2: return &lh;
	case 3: return &lph;
	case 4: return &a;
	default: return &pa;
	}
}

/* op 0..5: update / lookup / delete on map (key & 7 picks it) */
SEC("syscall")
int elem(struct args *x)
{
	void *m = map_of(x->n);
	__u64 *v, val = x->val, out = 0;
	__u32 k = x->key;

	switch (x->op) {
	case 0:
		x->out[0] = bpf_map_update_elem(m, &k, &val, x->flags);
		break;
	case 1:
		v = bpf_map_lookup_elem(m, &k);
		x->out[0] = v ? *v : 0xdead;
		if (v && x->flags & 1)
			*v += x->val;
		break;
	case 2:
		x->out[0] = bpf_map_delete_elem(m, &k);
		break;
	case 3:
		x->out[0] = bpf_map_push_elem(x->n & 1 ? (void *)&st : (void *)&q, &val, x->flags);
		break;
	case 4:
		out = 0x5555;
		x->out[0] = bpf_map_pop_elem(x->n & 1 ? (void *)&st : (void *)&q, &out);
		x->out[1] = out;
		break;
	case 5:
		out = 0x6666;
		x->out[0] = bpf_map_peek_elem(x->n & 1 ? (void *)&st : (void *)&q, &out);
		x->out[1] = out;
		break;
	}
	return (int)x->out[0];
}

struct sum_ctx {
	__u64 sum, keys, stop_at;
};

static long sum_elem(void *map, __u32 *key, __u64 *val, struct sum_ctx *c)
{
	c->sum += *val;
	c->keys = c->keys * 3 + *key;
	*val += 1;
	if (c->stop_at && *key == c->stop_at)
		return 1;
	return 0;
}

static long loop_body(__u32 i, struct sum_ctx *c)
{
	c->sum = c->sum * 31 + i;
	if (c->stop_at && i == c->stop_at)
		return 1;
	return 0;
}

SEC("syscall")
int iterate(struct args *x)
{
	struct sum_ctx c = { .stop_at = x->val };

	switch (x->n & 7) {
	case 0: x->out[0] = bpf_for_each_map_elem(&h, sum_elem, &c, x->flags); break;
	case 1: x->out[0] = bpf_for_each_map_elem(&ph, sum_elem, &c, x->flags); break;
	case 2: x->out[0] = bpf_for_each_map_elem(&lh, sum_elem, &c, x->flags); break;
	case 3: x->out[0] = bpf_for_each_map_elem(&lph, sum_elem, &c, x->flags); break;
	case 4: x->out[0] = bpf_for_each_map_elem(&a, sum_elem, &c, x->flags); break;
	default: x->out[0] = bpf_for_each_map_elem(&pa, sum_elem, &c, x->flags); break;
	}
	x->out[1] = c.sum;
	x->out[2] = c.keys;
	c.sum = 0;
	x->out[3] = bpf_loop(x->key, loop_body, &c, x->flags >> 1);
	x->out[4] = c.sum;
	return 0;
}

/* bpf-to-bpf: a static function and a global one (its own BTF-checked frame) */
static __attribute__((noinline)) __u64 mix(__u64 a, __u64 b)
{
	return (a ^ (b << 7)) * 0x9e3779b97f4a7c15ull + (a >> 3);
}

__attribute__((noinline)) int global_add(struct args *x, int d)
{
	if (!x)
		return -1;
	return (int)(x->val + d);
}

SEC("syscall")
int atomics(struct args *x)
{
	__u32 k = x->key & 1;
	struct locked *l = bpf_map_lookup_elem(&lk, &k);
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&a, &zero);

	if (!l || !v)
		return -1;
	bpf_spin_lock(&l->lock);
	l->a += x->val;
	l->b = mix(l->a, l->b);
	bpf_spin_unlock(&l->lock);
	x->out[0] = __sync_fetch_and_add(v, x->val);
	x->out[1] = __sync_fetch_and_or(v, 0x100);
	x->out[2] = __sync_fetch_and_and(v, ~0x10ull);
	x->out[3] = __sync_fetch_and_xor(v, 0xff);
	x->out[4] = __sync_lock_test_and_set(v, x->val * 3);
	x->out[5] = __sync_val_compare_and_swap(v, x->val * 3, 77);
	x->out[6] = global_add(x, 5) + mix(x->val, 3);
	__sync_fetch_and_add(&counter, 1);
	return global_add(x, -1);
}

SEC("syscall")
int strings(struct args *x)
{
	char buf[48] = {};
	__u64 data[4] = { x->val, x->key, x->op ? x->flags >> 3 : (__u64)(long)greeting, x->flags };
	__u32 k = x->key & 7;
	char user[16] = {};

	switch (x->op) {
	case 0:
		x->out[0] = bpf_snprintf(buf, sizeof(buf), "v=%llu k=%05u s=%s %x|", data, sizeof(data));
		break;
	case 1:
		x->out[0] = bpf_snprintf(buf, x->n & 31, "%-8d|%+d|% d|%08X", data, sizeof(data));
		break;
	case 2:
		x->out[0] = bpf_snprintf(buf, sizeof(buf), "%pI4 %c%c", data, 24);
		break;
	case 3: /* (a bad format or too few arguments: the verifier refuses the program) */
		x->out[0] = bpf_snprintf(buf, sizeof(buf), "%d %u %ld|%lld %%", data, 32);
		break;
	case 4:
		__builtin_memcpy(user, x->str, 16);
		x->out[0] = bpf_strncmp(user, (x->n & 15) + 1, "hello world");
		break;
	case 5:
		x->out[0] = bpf_probe_read_user(user, sizeof(user), (void *)x->uptr);
		x->out[1] = bpf_probe_read_user_str(buf, x->n & 31, (void *)x->uptr);
		__builtin_memcpy(&x->out[2], user, 16);
		break;
	case 6:
		x->out[0] = bpf_probe_read_kernel(user, sizeof(user), greeting);
		x->out[1] = bpf_probe_read_kernel_str(buf, x->n & 31, greeting);
		x->out[2] = bpf_probe_read_kernel(user, 8, (void *)x->uptr);
		x->out[3] = bpf_probe_read_kernel_str(user, 8, (void *)x->uptr);
		break;
	case 7:
		x->out[0] = bpf_get_current_comm(buf, (x->n & 31) + 1);
		x->out[1] = bpf_get_current_pid_tgid();
		x->out[2] = bpf_get_current_uid_gid();
		x->out[3] = bpf_get_smp_processor_id();
		x->out[4] = bpf_get_numa_node_id();
		x->out[5] = bpf_ktime_get_ns() != 0;
		x->out[6] = bpf_ktime_get_boot_ns() >= bpf_ktime_get_ns();
		x->out[7] = bpf_jiffies64() > 4294892296ull;
		break;
	}
	bpf_map_update_elem(&strs, &k, buf, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
