/* SPDX-License-Identifier: MIT */
/* Shared by the clang-built programs of diff_check: libbpf's helper declarations, a few types. */
#ifndef CHECK_SRC_COMMON_H
#define CHECK_SRC_COMMON_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#endif
