/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_CREATE of every map type against the kernel, for the checks every type makes: from a
 * create the kernel accepts, one junk field at a time — flag bits no type or not this type takes
 * (9, 13, 14, 15, 17 and up, BPF_F_INNER_MAP, BPF_F_MMAPABLE, ...), BPF_F_TOKEN_FD with an fd
 * that is no token and with one that is not open, RDONLY_PROG with WRONLY_PROG, max_entries 0, an
 * ifindex — and each of those with a token fd that is not open (which the kernel looks at after
 * some types' checks and before others'). The answers must be the kernel's errno; where the
 * kernel creates the map, an emulated type must create it too and a type the emulator does not
 * have must answer EOPNOTSUPP.
 *
 * Where the kernel refuses a type outright on this machine (ARENA answers EPERM to everything it
 * gets to allocate on some kernels) those cases are counted and named, not compared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "harness.h"

struct base {
	uint32_t type, ks, vs, max, flags;
	bool btf;   /* int key, struct value */
	bool inner; /* an inner map fd (ARRAY of one u32) */
};

static const struct base bases[] = {
	{ EMU_MAP_PROG_ARRAY, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_STACK_TRACE, 4, 8, 4, 0, 0, 0 },
	{ EMU_MAP_CGROUP_ARRAY, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_LPM_TRIE, 8, 4, 4, EMU_F_NO_PREALLOC, 0, 0 },
	{ EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, 0, 1 },
	{ EMU_MAP_HASH_OF_MAPS, 4, 4, 4, 0, 0, 1 },
	{ EMU_MAP_DEVMAP, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_SOCKMAP, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_CPUMAP, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_XSKMAP, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_SOCKHASH, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_CGROUP_STORAGE, 8, 8, 0, 0, 0, 0 },
	{ EMU_MAP_REUSEPORT_SOCKARRAY, 4, 8, 4, 0, 0, 0 },
	{ EMU_MAP_PERCPU_CGROUP_STORAGE, 8, 8, 0, 0, 0, 0 },
	{ EMU_MAP_SK_STORAGE, 4, 8, 0, EMU_F_NO_PREALLOC, 1, 0 },
	{ EMU_MAP_DEVMAP_HASH, 4, 4, 4, 0, 0, 0 },
	{ EMU_MAP_STRUCT_OPS, 4, 8, 1, 0, 0, 0 },
	{ EMU_MAP_RINGBUF, 0, 0, 4096, 0, 0, 0 },
	{ EMU_MAP_INODE_STORAGE, 4, 8, 0, EMU_F_NO_PREALLOC, 1, 0 },
	{ EMU_MAP_TASK_STORAGE, 4, 8, 0, EMU_F_NO_PREALLOC, 1, 0 },
	{ EMU_MAP_BLOOM_FILTER, 0, 4, 4, 0, 0, 0 },
	{ EMU_MAP_USER_RINGBUF, 0, 0, 4096, 0, 0, 0 },
	{ EMU_MAP_CGRP_STORAGE, 4, 8, 0, EMU_F_NO_PREALLOC, 1, 0 },
	{ EMU_MAP_ARENA, 0, 0, 10, EMU_F_MMAPABLE, 0, 0 },
};

enum junk {
	J_NONE, J_BIT9, J_BIT13, J_BIT14, J_BIT15, J_BIT17, J_BIT18, J_BIT19, J_BIT31, J_TOKEN_NOT_TOKEN,
	J_PROG_RW, J_INNER_MAP, J_MMAPABLE, J_MAX0, J_MAX1, J_IFINDEX, J_TOKEN_CLOSED, J_CLONE, J_LINK_FLAG,
	J_NO_PREALLOC, J_PRESERVE, J_ZERO_SEED, NR_JUNK
};
static const char *const junk_names[NR_JUNK] = {
	"as is", "flag bit 9", "flag bit 13", "flag bit 14", "flag bit 15", "flag bit 17", "flag bit 18",
	"flag bit 19", "flag bit 31", "token fd that is no token", "RDONLY_PROG|WRONLY_PROG", "BPF_F_INNER_MAP",
	"BPF_F_MMAPABLE", "max_entries 0", "max_entries 1", "ifindex 1", "token fd not open", "BPF_F_CLONE",
	"BPF_F_LINK", "BPF_F_NO_PREALLOC", "BPF_F_PRESERVE_ELEMS", "BPF_F_ZERO_SEED",
};

static struct hx_btf btf;
static int inner[2] = { -1, -1 };
static unsigned long not_emulated, arena_skipped;

static void put32(unsigned char *a, unsigned off, uint32_t v) { memcpy(a + off, &v, 4); }

static void build(unsigned char *a, int side, const struct base *b, int j, bool closed_token)
{
	uint32_t flags = b->flags;

	memset(a, 0, EMU_ATTR_SIZE);
	put32(a, MC_TYPE, b->type);
	put32(a, MC_KEY_SIZE, b->ks);
	put32(a, MC_VALUE_SIZE, b->vs);
	put32(a, MC_MAX_ENTRIES, b->max);
	if (b->inner)
		put32(a, MC_INNER_FD, (uint32_t)inner[side]);
	if (b->btf) {
		put32(a, MC_BTF_FD, (uint32_t)btf.fd[side]);
		put32(a, MC_BTF_KEY, 1);
		put32(a, MC_BTF_VALUE, 2);
	}
	switch (j) {
	case J_BIT9: flags |= 1u << 9; break;
	case J_BIT13: flags |= 1u << 13; break;
	case J_BIT14: flags |= 1u << 14; break;
	case J_BIT15: flags |= 1u << 15; break;
	case J_BIT17: flags |= 1u << 17; break;
	case J_BIT18: flags |= 1u << 18; break;
	case J_BIT19: flags |= 1u << 19; break;
	case J_BIT31: flags |= 1u << 31; break;
	case J_TOKEN_NOT_TOKEN:
		flags |= EMU_F_TOKEN_FD;
		put32(a, MC_TOKEN_FD, 0);
		break;
	case J_PROG_RW: flags |= EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG; break;
	case J_INNER_MAP: flags |= EMU_F_INNER_MAP; break;
	case J_MMAPABLE: flags |= EMU_F_MMAPABLE; break;
	case J_MAX0: put32(a, MC_MAX_ENTRIES, 0); break;
	case J_MAX1: put32(a, MC_MAX_ENTRIES, 1); break;
	case J_IFINDEX: put32(a, MC_IFINDEX, 1); break;
	case J_TOKEN_CLOSED: closed_token = true; break;
	case J_CLONE: flags |= EMU_F_CLONE; break;
	case J_LINK_FLAG: flags |= EMU_F_LINK; break;
	case J_NO_PREALLOC: flags |= EMU_F_NO_PREALLOC; break;
	case J_PRESERVE: flags |= EMU_F_PRESERVE_ELEMS; break;
	case J_ZERO_SEED: flags |= EMU_F_ZERO_SEED; break;
	}
	if (closed_token) {
		flags |= EMU_F_TOKEN_FD;
		put32(a, MC_TOKEN_FD, 999);
	}
	put32(a, MC_FLAGS, flags);
}

static void one(const struct base *b, int j, bool closed_token)
{
	unsigned char a[2][EMU_ATTR_SIZE];
	long r[2];

	for (int s = 0; s < 2; s++) {
		build(a[s], s, b, j, closed_token);
		r[s] = hx_raw(s, EMU_BPF_MAP_CREATE, a[s], EMU_ATTR_SIZE);
		if (r[s] >= 0)
			close((int)r[s]);
	}
	hx_nops++;
	if (b->type == EMU_MAP_ARENA && r[HX_K] == -EPERM) {
		arena_skipped++;
		return;
	}
	if (r[HX_K] >= 0 && r[HX_E] == -EOPNOTSUPP && !emu_map_type_emulated(b->type)) {
		not_emulated++;
		return;
	}
	if ((r[HX_K] >= 0) == (r[HX_E] >= 0) && (r[HX_K] >= 0 || r[HX_K] == r[HX_E]))
		return;
	hx_ndiv++;
	if (hx_ndiv <= hx_max_reports)
		printf("DIVERGENCE #%lu [create %s, %s%s]: kernel %s, emulator %s\n", hx_ndiv, hx_type_name(b->type),
		       junk_names[j], closed_token ? ", token fd not open" : "",
		       r[HX_K] >= 0 ? "created" : hx_errname((int)-r[HX_K]),
		       r[HX_E] >= 0 ? "created" : hx_errname((int)-r[HX_E]));
}

/* int (id 1), struct s { int a; int b; } (id 2): what the local storage maps want. */
static int load_btf(void)
{
	static const uint32_t types[] = {
		1, 1u << 24, 4, (1u << 24) | 32,
		5, (4u << 24) | 2, 8, 7, 1, 0, 9, 1, 32,
	};
	static const char strs[] = "\0int\0s\0a\0b";
	unsigned char blob[256];
	uint32_t hdr[6] = { 0x0001eb9f, 24, 0, sizeof(types), sizeof(types), sizeof(strs) };

	memcpy(blob, hdr, 24);
	memcpy(blob + 24, types, sizeof(types));
	memcpy(blob + 24 + sizeof(types), strs, sizeof(strs));
	return (int)hx_btf_load(&btf, blob, 24 + sizeof(types) + sizeof(strs));
}

int main(void)
{
	hx_init("diff_types");
	if (load_btf()) {
		printf("FAIL: the BTF of the storage maps was not loaded\n");
		return 1;
	}
	for (int s = 0; s < 2; s++) {
		unsigned char a[EMU_ATTR_SIZE] = { 0 };

		put32(a, MC_TYPE, EMU_MAP_ARRAY);
		put32(a, MC_KEY_SIZE, 4);
		put32(a, MC_VALUE_SIZE, 4);
		put32(a, MC_MAX_ENTRIES, 1);
		inner[s] = (int)hx_raw(s, EMU_BPF_MAP_CREATE, a, sizeof(a));
		if (inner[s] < 0) {
			printf("FAIL: inner map: %s\n", hx_errname(-inner[s]));
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (int j = 0; j < NR_JUNK; j++) {
			one(&bases[i], j, false);
			one(&bases[i], j, true);
		}
	printf("diff_types: %lu creates the kernel made were EOPNOTSUPP (types not emulated)\n", not_emulated);
	if (arena_skipped)
		printf("diff_types: %lu ARENA creates not compared: the kernel answers EPERM to every ARENA map it "
		       "gets to allocate here\n", arena_skipped);
	return hx_finish();
}
