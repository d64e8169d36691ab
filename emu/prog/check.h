/* SPDX-License-Identifier: MIT */
/*
 * The load-time checks of BPF_PROG_LOAD: what Linux 6.18's bpf_check() refuses, with its errno and
 * the lines it logs, for a loader with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (root). In the
 * kernel's order:
 *
 *   0. check_btf_info_early: func_info records on their own (size, order, FUNC type ids)
 *   1. add_subprog_and_kfunc: bpf-to-bpf call and ld_imm64 PSEUDO_FUNC targets (subprograms)
 *   2. check_subprogs: jumps stay inside their subprogram, each one ends in exit or ja
 *   3. check_btf_info: func_info/line_info against the subprogram layout (BTF through a hook)
 *   4. resolve_pseudo_ldimm64: LDX reserved fields, ld_imm64 forms, map fds, the opcode table
 *   5. check_cfg: every insn reachable, no jump into the middle of an ld_imm64
 *   6. the walk (emu/prog/walk.c): register and stack types and bounds along every path
 *   7. check_max_stack_depth: frames and combined stack per call chain
 *
 * The caller (the BPF_PROG_LOAD command) owns attrs, user copies, the program object, fds, ids.
 * This module never touches user memory: the instructions, fd_array and func/line info are the
 * caller's private copies. Maps are reached through the resolver callback only.
 */
#ifndef BPFEMU_PROG_CHECK_H
#define BPFEMU_PROG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../uapi/bpf_insn.h"
#include "../util/vlog.h"

#define EMU_MAX_SUBPROGS 256  /* BPF_MAX_SUBPROGS */
#define EMU_MAX_USED_MAPS 64  /* MAX_USED_MAPS */
#define EMU_BPF_MAXINSNS 4096 /* an unprivileged loader's limit */

/* One map as the checks see it: what the resolver answers for an fd. */
struct emu_map_desc {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t id;        /* the map's id: xlated ld_imm64 shows it (bpftool's "map[id:N]") */
	bool frozen;        /* BPF_MAP_FREEZE done: a read-only map for PTR_TO_CONST_STR */
	/* frozen with BPF_F_RDONLY_PROG (libbpf's .rodata): the bytes of element 0, which the
	 * kernel reads at load time (loads from it are constants); NULL if not given */
	const uint8_t *frozen_value;
	char name[16];      /* the map's name (some messages print it) */
	void *handle;       /* the caller's object; held by the caller for the program's life */
	/* ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (the kernel's inner_map_meta), which
	 * the register of a successful lookup names */
	bool has_inner;
	uint32_t inner_type, inner_key_size, inner_value_size, inner_max_entries, inner_map_flags;
};

/* fd -> 0 and *out filled, -EBADF (not an open fd) or -EINVAL (an fd but not a map). The caller
 * takes its reference on the map here; it is released by the caller if the check fails. */
typedef int (*emu_map_resolve_fn)(void *ctx, int fd, struct emu_map_desc *out);

/*
 * BTF of the program (prog_btf_fd), through the BTF module's hooks. NULL btf: no BTF given.
 * What is checked without BTF: func_info/line_info record sizes, counts, order and their fit to
 * the subprogram layout. With BTF, type_is_func() answers whether func_info's type ids are
 * BTF_KIND_FUNC (the kernel's "type_id %u is not a FUNC" etc. belong to the BTF module); the
 * line_info string offsets are checked through str_ok().
 */
struct emu_check_btf_ops {
	bool (*type_is_func)(const void *btf, uint32_t type_id);
	bool (*str_ok)(const void *btf, uint32_t name_off);
	/* BTF_FUNC_STATIC 0, GLOBAL 1, EXTERN 2 of a FUNC type (callbacks must be static) */
	int (*func_linkage)(const void *btf, uint32_t type_id);
};

struct emu_prog_check_in {
	uint32_t prog_type;             /* EMU_PROG_* */
	uint32_t expected_attach_type;  /* EMU_ATTACH_* */
	const struct emu_insn *insns;   /* the caller's private copy; not modified */
	uint32_t cnt;
	bool gpl;                       /* the license is GPL-compatible (license_is_gpl_compatible) */
	uint32_t prog_flags;            /* EMU_F_* of BPF_PROG_LOAD */
	emu_map_resolve_fn resolve_map;
	void *resolve_ctx;
	const int32_t *fd_array;        /* private copy of attr.fd_array, or NULL */
	uint32_t fd_array_len;          /* entries readable in fd_array (beyond: -EFAULT) */
	const void *btf;                /* opaque BTF object, or NULL */
	const struct emu_check_btf_ops *btf_ops;
	const void *func_info;          /* private copies; rec sizes as in the attr */
	uint32_t func_info_rec_size, func_info_cnt;
	const void *line_info;
	uint32_t line_info_rec_size, line_info_cnt;
};

/* What an ld_imm64 loads, per instruction index (the first slot). */
enum emu_ld_kind {
	EMU_LDK_NONE = 0, /* not an ld_imm64, or a plain 64-bit constant */
	EMU_LDK_MAP,      /* a map (PSEUDO_MAP_FD / MAP_IDX) */
	EMU_LDK_MAP_VALUE,/* the address of byte `off` of element 0 (PSEUDO_MAP_VALUE / IDX_VALUE) */
	EMU_LDK_FUNC,     /* a subprogram (PSEUDO_FUNC): off is its first insn */
};

#define EMU_LOOKUP_MANY UINT32_MAX

struct emu_ld_target {
	uint8_t kind;     /* enum emu_ld_kind */
	uint32_t map;     /* index into out->maps */
	uint32_t off;
};

struct emu_prog_check_out {
	uint32_t nr_subprogs;
	uint32_t subprog_start[EMU_MAX_SUBPROGS];
	uint16_t stack_depth[EMU_MAX_SUBPROGS];  /* bytes of stack each uses, as the kernel reports */
	struct emu_ld_target *ld;                /* cnt entries (malloc'd), indexed by insn */
	/* cnt entries (malloc'd), indexed by insn: at a bpf_map_lookup_elem call the walk reached,
	 * 1 + the index into maps of the map its r1 held on every path explored, EMU_LOOKUP_MANY when
	 * paths disagree or r1 was an inner map (the kernel's poisoned map_ptr_state); 0 elsewhere.
	 * The translator inlines array lookups from it (emu/prog/inline_lookup.h). */
	uint32_t *lookup_map;
	struct emu_map_desc maps[EMU_MAX_USED_MAPS]; /* used maps, in the kernel's order */
	uint32_t nr_maps;
	struct emu_map_desc inner[EMU_MAX_USED_MAPS]; /* inner[i]: maps[i]'s inner map template */
	uint32_t verified_insns;                 /* bpf_prog_info.verified_insns */
	/* prog->aux->max_ctx_offset: one past the last context byte an access the walk accepted
	 * reads or writes (off + size, the largest over every path explored); BPF_PROG_TEST_RUN of
	 * RAW_TRACEPOINT and SYSCALL programs refuses a shorter ctx_in with EINVAL */
	uint32_t max_ctx_offset;
	/* xlated: what bpf_prog_info.xlated_prog_insns shows (bpftool prog dump xlated): the
	 * program with map ld_imm64 turned into (src PSEUDO_MAP_FD / PSEUDO_MAP_VALUE, imm map id,
	 * next imm value offset), as bpf_insn_prepare_dump() shows them. What 6.18 rewrites
	 * besides, not reproduced here: ctx field loads/stores (convert_ctx_accesses, offsets into
	 * the kernel's sk_buff/xdp_buff), helper call immediates (kernel addresses, 0 without
	 * CAP_SYSLOG), tail calls (shown as call bpf_tail_call), inlined helpers (map lookups of
	 * arrays and hashes, bpf_loop, get_smp_processor_id, jiffies64...), dead code removed or
	 * hard-wired (a root loader's opt_remove_dead_code/opt_remove_nops), division guards, and
	 * LD_ABS/IND. diff_check counts the programs where the two are equal. */
	struct emu_insn *xlated;                 /* malloc'd */
	uint32_t xlated_cnt;
	uint8_t tag[8];                          /* bpf_prog_info.tag */
	uint32_t unemulated_helper;              /* a called helper without emulation (0: none) */
	bool uses_tail_call;
	/* accepted, but the walk met what it does not model (an unemulated helper's arguments and
	 * result, reads of the kernel's map struct, a frozen map without its bytes, may_goto,
	 * string contents, a full checkpoint store): the run-time checks are the backstop */
	bool analysis_incomplete;
};

/*
 * Check a program for a root loader (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: uninitialised stack
 * reads and pointer leaks allowed, bounded loops allowed). Program types: SOCKET_FILTER, KPROBE,
 * SCHED_CLS, SCHED_ACT, TRACEPOINT, XDP, PERF_EVENT, CGROUP_SKB, RAW_TRACEPOINT, SYSCALL; any
 * other answers -EINVAL with nothing logged (the caller decides what an unsupported type gets).
 * No instructions or more than 1M: -E2BIG, nothing logged (bpf_prog_load's own check).
 * 0: accepted, *out filled (free with emu_prog_check_out_free). Otherwise the
 * kernel's negative errno, the log written as the kernel writes it (for errors found by the walk
 * only the first line, the state at insn 0, and the error lines match the kernel's; the trace in
 * between is not produced). Whatever the result, the log is not finalized: the caller calls
 * emu_vlog_finalize() as bpf_prog_load does. *out is valid (and must be freed) on any result.
 */
int emu_prog_check(const struct emu_prog_check_in *in, struct emu_vlog *log, struct emu_prog_check_out *out);
void emu_prog_check_out_free(struct emu_prog_check_out *out);

/* bpf_prog_calc_tag: SHA-256 (6.18) over the instructions with the immediates of map ld_imm64
 * zeroed; the first 8 bytes of the digest. */
void emu_prog_calc_tag(const struct emu_insn *insns, uint32_t cnt, uint8_t tag[8]);

#endif
