/* SPDX-License-Identifier: MIT */
/*
 * The Go client's collection (tests/e2e/goclient/collection.go, gocoll.sh): what cilium/ebpf
 * 0.9.1 makes of a clang-built object: BTF-defined maps (an array, a hash), the global data
 * sections .rodata (set by RewriteConstants, frozen), .data and .bss as one-entry arrays, and an
 * XDP program that the client runs with Program.Run (BPF_PROG_TEST_RUN): it counts bytes (times a
 * .rodata constant) in the array, packets per length in the hash, and keeps its globals.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} by_len SEC(".maps");

const volatile __u32 verdict = 2;   /* .rodata */
const volatile __u64 scale = 3;
__u64 runs = 0;                     /* .bss */
__u32 last_len = 7;                 /* .data */
__u64 sum = 100;

SEC("xdp")
int coll_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(end - data), slot = 0;
	__u64 *v, one = 1;

	v = bpf_map_lookup_elem(&counters, &slot);
	if (v)
		__sync_fetch_and_add(v, len * scale);
	v = bpf_map_lookup_elem(&by_len, &len);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&by_len, &len, &one, BPF_NOEXIST);
	runs++;
	sum += len;
	last_len = len;
	if (data + 1 > end)
		return 0;
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
