/* SPDX-License-Identifier: MIT */
/* Shared by the clang-built corpus of diff_prog (tests/diff/diff_prog.c): libbpf's helper
 * declarations, the header structs, and the few layouts the harness and programs agree on. */
#ifndef RUN_SRC_COMMON_H
#define RUN_SRC_COMMON_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NOINLINE static __attribute__((noinline))
#define GLOBAL __attribute__((noinline))

/* results a program leaves for the harness: slot i of an array of u64 */
#define RESULT(map, i, v)                                                                        \
	do {                                                                                     \
		__u32 __k = (i);                                                                 \
		__u64 __v = (__u64)(v);                                                          \
		bpf_map_update_elem(&(map), &__k, &__v, BPF_ANY);                                \
	} while (0)
#endif
