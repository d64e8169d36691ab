/* SPDX-License-Identifier: MIT */
/* Program and BTF files of several kinds, opened and used as a process meets them (see progfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "prog/insn_build.h"
#include "progfile.h"
#include "uapi/bpf_uapi.h"

const struct pf_kind pf_kinds[PF_NR_KINDS] = {
	[PF_RET] = { "ret", false },
	[PF_MAPS] = { "maps", false },
	[PF_GLOBAL] = { "global", false },
	[PF_SUBPROG_BTF] = { "subprog_btf", false },
	[PF_LOOP] = { "loop", false },
	[PF_OTHER] = { "other", false },
	[PF_BTF] = { "btf", true },
};

struct attr {
	_Alignas(8) unsigned char b[256];
};

static void put32(struct attr *a, unsigned off, uint32_t v) { memcpy(a->b + off, &v, 4); }
static void put64(struct attr *a, unsigned off, uint64_t v) { memcpy(a->b + off, &v, 8); }
static void putp(struct attr *a, unsigned off, const void *p) { put64(a, off, (uint64_t)(uintptr_t)p); }

long pf_bpf(int cmd, void *attr, unsigned size)
{
	return bpfemu_bpf(cmd, attr, size);
}

/* ---- the BTF: int, a FUNC_PROTO, two static FUNCs (main, sub), a file and a line ---- */

static unsigned char btf_blob[512];
static uint32_t btf_len;
static uint32_t str_file, str_line;

static void blob_u32(uint32_t *at, uint32_t v)
{
	memcpy(btf_blob + *at, &v, 4);
	*at += 4;
}

static void make_blob(void)
{
	static const char strs[] = "\0int\0main\0sub\0prog.c\0r0 = 1;";
	uint32_t at = 24, hdr[6] = { 0xeb9f | (1u << 16), 24, 0, 0, 0, (uint32_t)sizeof(strs) };

	/* 1: int */
	blob_u32(&at, 1), blob_u32(&at, 1u << 24), blob_u32(&at, 4), blob_u32(&at, (1u << 24) | 32);
	/* 2: int (void) */
	blob_u32(&at, 0), blob_u32(&at, 13u << 24), blob_u32(&at, 1);
	/* 3: static int main(void), 4: static int sub(void) */
	blob_u32(&at, 5), blob_u32(&at, 12u << 24), blob_u32(&at, 2);
	blob_u32(&at, 10), blob_u32(&at, 12u << 24), blob_u32(&at, 2);
	hdr[3] = at - 24;
	hdr[4] = at - 24;
	memcpy(btf_blob, hdr, 24);
	memcpy(btf_blob + at, strs, sizeof(strs));
	str_file = 14;
	str_line = 21;
	btf_len = at + (uint32_t)sizeof(strs);
}

static int btf_fd = -1;

static int load_btf(void)
{
	struct attr a;

	if (!btf_len)
		make_blob();
	memset(&a, 0, sizeof(a));
	putp(&a, BTF_BLOB, btf_blob);
	put32(&a, BTF_SIZE, btf_len);
	return (int)pf_bpf(EMU_BPF_BTF_LOAD, &a, BTF_END);
}

int pf_btf_fd(void)
{
	if (btf_fd < 0)
		btf_fd = load_btf();
	return btf_fd;
}

/* ---- maps ---- */

static int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(&a, MC_TYPE, type);
	put32(&a, MC_KEY_SIZE, ks);
	put32(&a, MC_VALUE_SIZE, vs);
	put32(&a, MC_MAX_ENTRIES, n);
	return (int)pf_bpf(EMU_BPF_MAP_CREATE, &a, MC_END);
}

static int map_a = -1, map_h = -1, map_g = -1;

/* ---- the programs ---- */

static const struct emu_insn subprog_insns[] = {
	EI_MOV64_IMM(1, 5),
	EI_CALL_REL(2),
	EI_ALU64_IMM(EMU_ADD, 0, 1),
	EI_EXIT(),
	EI_MOV64_REG(0, 1), /* sub */
	EI_ALU64_IMM(EMU_MUL, 0, 2),
	EI_EXIT(),
};

static const uint32_t subprog_func_info[2][2] = { { 0, 3 }, { 4, 4 } };

static uint32_t subprog_line_info[2][4];

static int load(uint32_t type, const struct emu_insn *insns, uint32_t cnt, const int32_t *fd_array, bool with_btf,
		int prog_btf)
{
	struct attr a;
	static const char lic[] = "GPL";

	memset(&a, 0, sizeof(a));
	put32(&a, PL_TYPE, type);
	put32(&a, PL_INSN_CNT, cnt);
	putp(&a, PL_INSNS, insns);
	putp(&a, PL_LICENSE, lic);
	memcpy(a.b + PL_NAME, "pf_prog", 7);
	if (fd_array)
		putp(&a, PL_FD_ARRAY, fd_array);
	if (with_btf) {
		uint32_t li[2][4] = { { 0, str_file, str_line, (1u << 10) | 1 }, { 4, str_file, str_line, (2u << 10) | 1 } };

		memcpy(subprog_line_info, li, sizeof(li));
		put32(&a, PL_BTF_FD, (uint32_t)prog_btf);
		put32(&a, PL_FUNC_INFO_REC_SIZE, 8);
		putp(&a, PL_FUNC_INFO, subprog_func_info);
		put32(&a, PL_FUNC_INFO_CNT, 2);
		put32(&a, PL_LINE_INFO_REC_SIZE, 16);
		putp(&a, PL_LINE_INFO, subprog_line_info);
		put32(&a, PL_LINE_INFO_CNT, 2);
	}
	return (int)pf_bpf(EMU_BPF_PROG_LOAD, &a, PL_END);
}

int pf_make(enum pf_kind_id k)
{
	switch (k) {
	case PF_RET: {
		const struct emu_insn p[] = { EI_MOV64_IMM(0, 1), EI_EXIT() };

		return load(EMU_PROG_SOCKET_FILTER, p, EI_COUNT(p), NULL, false, -1);
	}
	case PF_LOOP: {
		const struct emu_insn p[] = { EI_MOV64_IMM(1, 0), EI_ALU64_IMM(EMU_ADD, 1, 1),
					      EI_JMP_IMM(EMU_JLT, 1, 20, -2), EI_MOV64_REG(0, 1), EI_EXIT() };

		return load(EMU_PROG_SOCKET_FILTER, p, EI_COUNT(p), NULL, false, -1);
	}
	case PF_MAPS: {
		if (map_a < 0)
			map_a = map_create(EMU_MAP_ARRAY, 4, 8, 4);
		if (map_h < 0)
			map_h = map_create(EMU_MAP_HASH, 4, 8, 8);
		if (map_a < 0 || map_h < 0)
			return -errno;
		const struct emu_insn p[] = {
			EI_ST_MEM(EMU_W, 10, -4, 0),
			EI_MOV64_REG(2, 10),
			EI_ALU64_IMM(EMU_ADD, 2, -4),
			EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)map_a),
			EI_CALL_HELPER(EMU_FN_map_lookup_elem),
			EI_JMP_IMM(EMU_JEQ, 0, 0, 2),
			EI_MOV64_IMM(1, 1),
			EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0),
			EI_ST_MEM(EMU_DW, 10, -16, 7),
			EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)map_h),
			EI_MOV64_REG(2, 10),
			EI_ALU64_IMM(EMU_ADD, 2, -4),
			EI_MOV64_REG(3, 10),
			EI_ALU64_IMM(EMU_ADD, 3, -16),
			EI_MOV64_IMM(4, 0),
			EI_CALL_HELPER(EMU_FN_map_update_elem),
			EI_MOV64_IMM(0, 2),
			EI_EXIT(),
		};

		return load(EMU_PROG_XDP, p, EI_COUNT(p), NULL, false, -1);
	}
	case PF_GLOBAL: {
		static int32_t fds[1];

		if (map_g < 0)
			map_g = map_create(EMU_MAP_ARRAY, 4, 16, 1);
		if (map_g < 0)
			return -errno;
		fds[0] = map_g;
		const struct emu_insn p[] = {
			EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_IDX_VALUE, (uint64_t)8 << 32 | 0),
			EI_LDX_MEM(EMU_DW, 0, 1, 0),
			EI_ALU64_IMM(EMU_ADD, 0, 1),
			EI_STX_MEM(EMU_DW, 1, 0, 0),
			EI_MOV64_IMM(0, 0),
			EI_EXIT(),
		};

		return load(EMU_PROG_SCHED_CLS, p, EI_COUNT(p), fds, false, -1);
	}
	case PF_SUBPROG_BTF:
		if (pf_btf_fd() < 0)
			return -errno;
		return load(EMU_PROG_SOCKET_FILTER, subprog_insns, EI_COUNT(subprog_insns), NULL, true, btf_fd);
	case PF_OTHER: {
		const struct emu_insn p[] = { EI_MOV64_IMM(0, 1), EI_EXIT() };

		return load(EMU_PROG_CGROUP_SOCK, p, EI_COUNT(p), NULL, false, -1);
	}
	case PF_BTF: {
		int fd = load_btf();

		return fd < 0 ? -errno : fd;
	}
	default:
		return -EINVAL;
	}
}

/* ---- the fixed sequences ---- */

static void count(struct pf_result *r, long ret)
{
	r->calls++;
	if (ret >= 0)
		r->ok++;
	else if (errno == EUCLEAN)
		r->euclean++;
	else if (errno == EINVAL)
		r->einval++;
	else
		r->other++;
}

void pf_exercise_prog(int fd, struct pf_result *r)
{
	unsigned char info[PI_SIZE], data[64], out[256];
	uint64_t xl[64], ksyms[2], tags[4];
	uint32_t ids[16], lens[2], fi[16], li[32];
	struct attr a;
	long ret;

	memset(info, 0, sizeof(info));
	memcpy(info + PI_NR_MAP_IDS, &(uint32_t){ 16 }, 4);
	memcpy(info + PI_MAP_IDS, &(uint64_t){ (uintptr_t)ids }, 8);
	memcpy(info + PI_XLATED_PROG_LEN, &(uint32_t){ sizeof(xl) }, 4);
	memcpy(info + PI_XLATED_PROG_INSNS, &(uint64_t){ (uintptr_t)xl }, 8);
	memcpy(info + PI_NR_JITED_KSYMS, &(uint32_t){ 2 }, 4);
	memcpy(info + PI_JITED_KSYMS, &(uint64_t){ (uintptr_t)ksyms }, 8);
	memcpy(info + PI_NR_JITED_FUNC_LENS, &(uint32_t){ 2 }, 4);
	memcpy(info + PI_JITED_FUNC_LENS, &(uint64_t){ (uintptr_t)lens }, 8);
	memcpy(info + PI_NR_FUNC_INFO, &(uint32_t){ 8 }, 4);
	memcpy(info + PI_FUNC_INFO_REC_SIZE, &(uint32_t){ 8 }, 4);
	memcpy(info + PI_FUNC_INFO, &(uint64_t){ (uintptr_t)fi }, 8);
	memcpy(info + PI_NR_LINE_INFO, &(uint32_t){ 8 }, 4);
	memcpy(info + PI_LINE_INFO_REC_SIZE, &(uint32_t){ 16 }, 4);
	memcpy(info + PI_LINE_INFO, &(uint64_t){ (uintptr_t)li }, 8);
	memcpy(info + PI_NR_PROG_TAGS, &(uint32_t){ 4 }, 4);
	memcpy(info + PI_PROG_TAGS, &(uint64_t){ (uintptr_t)tags }, 8);
	memset(&a, 0, sizeof(a));
	put32(&a, INFO_FD, (uint32_t)fd);
	put32(&a, INFO_LEN, sizeof(info));
	putp(&a, INFO_PTR, info);
	ret = pf_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, INFO_END);
	if (ret < 0 && !r->calls)
		r->open_err = errno == EUCLEAN ? 0 : errno;
	count(r, ret);

	memset(data, 0, sizeof(data));
	data[12] = 0x08; /* an IPv4 ethertype */
	for (int i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		put32(&a, TR_PROG_FD, (uint32_t)fd);
		put32(&a, TR_DATA_SIZE_IN, sizeof(data));
		putp(&a, TR_DATA_IN, data);
		put32(&a, TR_DATA_SIZE_OUT, sizeof(out));
		putp(&a, TR_DATA_OUT, out);
		count(r, pf_bpf(EMU_BPF_PROG_TEST_RUN, &a, TR_END));
	}
	if (map_h >= 0) {
		memset(&a, 0, sizeof(a));
		put32(&a, 0, (uint32_t)fd);    /* prog_bind_map.prog_fd */
		put32(&a, 4, (uint32_t)map_h); /* map_fd */
		count(r, pf_bpf(EMU_BPF_PROG_BIND_MAP, &a, 12));
	}
}

void pf_exercise_btf(int fd, struct pf_result *r)
{
	unsigned char info[BI_SIZE], blob[4096];
	char name[64];
	struct attr a;
	long ret;
	int pfd, mfd;

	memset(info, 0, sizeof(info));
	memcpy(info + BI_BTF, &(uint64_t){ (uintptr_t)blob }, 8);
	memcpy(info + BI_BTF_SIZE, &(uint32_t){ sizeof(blob) }, 4);
	memcpy(info + BI_NAME, &(uint64_t){ (uintptr_t)name }, 8);
	memcpy(info + BI_NAME_LEN, &(uint32_t){ sizeof(name) }, 4);
	memset(&a, 0, sizeof(a));
	put32(&a, INFO_FD, (uint32_t)fd);
	put32(&a, INFO_LEN, sizeof(info));
	putp(&a, INFO_PTR, info);
	ret = pf_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, INFO_END);
	if (ret < 0 && !r->calls)
		r->open_err = errno;
	count(r, ret);

	if (!btf_len)
		make_blob();
	pfd = load(EMU_PROG_SOCKET_FILTER, subprog_insns, EI_COUNT(subprog_insns), NULL, true, fd);
	count(r, pfd);
	if (pfd >= 0) {
		struct pf_result sub;

		memset(&sub, 0, sizeof(sub));
		pf_exercise_prog(pfd, &sub);
		close(pfd);
	}
	memset(&a, 0, sizeof(a));
	put32(&a, MC_TYPE, EMU_MAP_ARRAY);
	put32(&a, MC_KEY_SIZE, 4);
	put32(&a, MC_VALUE_SIZE, 4);
	put32(&a, MC_MAX_ENTRIES, 2);
	put32(&a, MC_BTF_FD, (uint32_t)fd);
	put32(&a, MC_BTF_KEY, 1);
	put32(&a, MC_BTF_VALUE, 1);
	mfd = (int)pf_bpf(EMU_BPF_MAP_CREATE, &a, MC_END);
	count(r, mfd);
	if (mfd >= 0)
		close(mfd);
}
