/* SPDX-License-Identifier: MIT */
/*
 * Program objects (core/prog_obj.c, prog_view.c): what BPF_PROG_LOAD makes and every other
 * program command, the run paths and the shim use.
 *
 * As every emulated object, a program is a file whose fd is the program's fd (dup, fork,
 * SCM_RIGHTS, pins and close need nothing of ours): an unnamed file in the bpffs root (a memfd
 * where there is none), opened O_RDWR | O_CLOEXEC as the kernel's anon_inode:bpf-prog fd is. The
 * file holds everything another process needs to rebuild the program: the checked instructions,
 * the kernel's xlated view of them, which ld_imm64 loads which used map (by index into the used
 * map ids), func_info and line_info in the kernel's record sizes, the BTF id, the tag, the
 * stats. Nothing in it is a pointer.
 *
 * Invariants: every field but the stats and the used map list is written before the fd is handed
 * out and never after. The used map list only grows (BPF_PROG_BIND_MAP), under the file's lock;
 * nr_map_ids is published after the id it counts. The program holds (core/objstore.h) each used
 * map and its BTF for as long as it lives, so a map it names can be found by id from any process.
 *
 * In a process, a program is a struct emu_prog: a read-write mapping of the file and, made the
 * first time something runs it here, the used maps' views (each held by a reference count for the
 * view's life) and the translated image. Views are found by the file's identity, so any fd of the
 * program (dup'ed, inherited, received, opened from a pin or by id) reaches the same one.
 */
#ifndef BPFEMU_CORE_PROG_OBJ_H
#define BPFEMU_CORE_PROG_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../uapi/bpf_insn.h"
#include "../uapi/bpf_uapi.h"

#define EMU_PROG_LAYOUT_VERSION 1u
#define EMU_PROG_MAX_MAPS 1024u /* used maps, those BPF_PROG_BIND_MAP adds included */
#define EMU_FUNC_INFO_SIZE 8u   /* struct bpf_func_info, as the kernel keeps and reports it */
#define EMU_LINE_INFO_SIZE 16u  /* struct bpf_line_info */

/* What an ld_imm64 of a map loads (the instruction's index, the used map, the value offset). */
struct emu_prog_ld {
	uint32_t insn;
	uint16_t kind; /* enum emu_ld_kind of emu/prog/check.h: EMU_LDK_MAP or EMU_LDK_MAP_VALUE */
	uint16_t map;  /* index into map_ids */
	uint32_t off;  /* EMU_LDK_MAP_VALUE: the byte of element 0's value */
};

/* The head of a program file; the sections follow at the offsets it gives. */
struct emu_prog_hdr {
	uint64_t magic; /* EMU_PROG_MAGIC (core/object.h) */
	uint32_t layout_version;
	uint32_t hdr_size;
	uint64_t file_size;

	uint32_t id;
	uint32_t prog_type;
	uint32_t expected_attach_type;
	uint32_t prog_flags;
	char name[EMU_OBJ_NAME_LEN];
	uint8_t tag[8];
	uint32_t gpl_compatible;
	uint32_t created_by_uid;
	uint64_t load_time;      /* CLOCK_BOOTTIME ns, as ktime_get_boottime_ns() */
	uint64_t memlock;        /* what fdinfo and bpftool show */
	uint32_t verified_insns;
	uint32_t btf_id;         /* 0: no func_info/line_info (the kernel keeps no BTF then) */
	uint32_t nr_subprogs;
	uint32_t flags;          /* EMU_PROGF_* */

	uint32_t insn_cnt;       /* the checked instructions (the caller's, as loaded) */
	uint32_t xlated_cnt;     /* what info's xlated_prog_insns shows */
	uint32_t nr_ld;          /* struct emu_prog_ld records */
	uint32_t nr_func_info, nr_line_info;
	uint32_t nr_insn_maps;   /* the first used maps: those the instructions name */
	uint64_t insns_off, xlated_off, ld_off, func_info_off, line_info_off, subprog_off;
	/* the loader's max_ctx_offset (emu/prog/check.h), for TEST_RUN's ctx_in size check. Here,
	 * in what was padding before run_time_ns, so no earlier field moved: a file written before
	 * it existed reads 0 (no check), as runs of such files behaved */
	uint32_t max_ctx_offset;

	/* stats (BPF_ENABLE_STATS), shared by every process that runs the program */
	_Alignas(64) uint64_t run_time_ns;
	uint64_t run_cnt;
	uint64_t recursion_misses;

	/* the used maps: ids in the kernel's order (instructions first, then bound maps) */
	_Alignas(64) uint32_t bind_lock; /* taken by BPF_PROG_BIND_MAP (a futex-free spin word) */
	uint32_t nr_map_ids;
	uint32_t map_ids[EMU_PROG_MAX_MAPS];
};

#define EMU_PROGF_TAIL_CALL 0x1u   /* uses bpf_tail_call */
#define EMU_PROGF_INCOMPLETE 0x2u  /* the load-time analysis did not model everything */

/* Everything BPF_PROG_LOAD decided, to be written into a new program file. */
struct emu_prog_new {
	uint32_t prog_type, expected_attach_type, prog_flags;
	char name[EMU_OBJ_NAME_LEN];
	uint8_t tag[8];
	bool gpl_compatible;
	uint32_t verified_insns, btf_id, flags;
	uint32_t max_ctx_offset;
	const struct emu_insn *insns;
	uint32_t insn_cnt;
	const struct emu_insn *xlated;
	uint32_t xlated_cnt;
	const struct emu_prog_ld *ld;
	uint32_t nr_ld;
	const void *func_info; /* nr_func_info records of EMU_FUNC_INFO_SIZE */
	uint32_t nr_func_info;
	const void *line_info; /* nr_line_info records of EMU_LINE_INFO_SIZE */
	uint32_t nr_line_info;
	const uint32_t *subprog_start; /* nr_subprogs */
	uint32_t nr_subprogs;
	/* the used maps, in order: their views (held by the caller) */
	struct emu_map *const *maps;
	uint32_t nr_maps;
	/* the image translated with emu_prog_translate_maps() over these maps: given to the view of
	 * the loading process (owned by it once emu_prog_create succeeds); NULL: made when first run */
	struct emu_prog_image *image;
};

struct emu_map;
struct emu_prog;
struct emu_prog_image;
struct emu_region;

/*
 * A new program object: its file written, its id taken from the program id counter, registered
 * (core/objstore.h) holding its maps and its BTF, and this process's view of it made with the
 * caller's map views (each gets a reference of the view's own). Returns the fd (O_RDWR |
 * O_CLOEXEC), or -errno (EMFILE, ENOMEM). *out, if not NULL, gets the view, held (emu_prog_put).
 */
int emu_prog_create(const struct emu_prog_new *n, struct emu_prog **out);

/* The program an fd names, held until emu_prog_put(): 0, -EBADF (not an open fd, or an O_PATH
 * one), -EINVAL (an fd, but not a program). Under the preload an fd found once is found again by
 * one fstat() that checks the fd cache's entry; emu_prog_get_fast (TEST_RUN, the hot path) trusts
 * the entry without a system call unless BPFEMU_FDCACHE_VALIDATE=1, as element calls do for maps. */
int emu_prog_get(int fd, struct emu_prog **out);
int emu_prog_get_fast(int fd, struct emu_prog **out);
void emu_prog_put(struct emu_prog *p);
/* Another reference to a view already held. */
void emu_prog_hold(struct emu_prog *p);

/* ---- what a program is ----
 * The header fields as checked when this process met the file (a private copy: the stats and the
 * used map list in it are not live; read those with emu_prog_stats / emu_prog_map_ids). */
const struct emu_prog_hdr *emu_prog_hdr(const struct emu_prog *p);
uint32_t emu_prog_type(const struct emu_prog *p);
uint32_t emu_prog_expected_attach_type(const struct emu_prog *p);
uint32_t emu_prog_id(const struct emu_prog *p);
const char *emu_prog_name(const struct emu_prog *p); /* 16 bytes, NUL-padded */
uint32_t emu_prog_max_ctx_offset(const struct emu_prog *p);
const struct emu_insn *emu_prog_insns(const struct emu_prog *p, uint32_t *cnt);
const struct emu_insn *emu_prog_xlated(const struct emu_prog *p, uint32_t *cnt);
const void *emu_prog_func_info(const struct emu_prog *p, uint32_t *cnt);
const void *emu_prog_line_info(const struct emu_prog *p, uint32_t *cnt);
/* a snapshot of the used map ids (n entries, at most cap copied into ids); returns n */
uint32_t emu_prog_map_ids(const struct emu_prog *p, uint32_t *ids, uint32_t cap);
/* the live stats (BPF_ENABLE_STATS), shared by every process that runs the program */
void emu_prog_stats(const struct emu_prog *p, uint64_t *run_time_ns, uint64_t *run_cnt, uint64_t *recursion_misses);

/*
 * What a run needs, made in this process the first time it is asked for (any thread; later calls
 * return what the first made). 0 or -errno (a used map gone, the translation refused).
 *   image:   the translated program (emu/prog/interp.h), read-only, shared by the runs
 *   maps:    the used maps' views, in map_ids order, held for the program view's life
 *   regions: one EMU_RGN_GLOBAL region per map an ld_imm64 PSEUDO_MAP_VALUE points into: element
 *            0's whole value, read-only for a BPF_F_RDONLY_PROG map
 */
int emu_prog_image(struct emu_prog *p, const struct emu_prog_image **img);
int emu_prog_maps(struct emu_prog *p, struct emu_map *const **maps, uint32_t *nr);
int emu_prog_regions(struct emu_prog *p, const struct emu_region **regions, uint32_t *nr);

/* The helper lookup translations use (emu_xlate_opts.helper): the helper table's record when the
 * helper has a function, else NULL. BPF_PROG_LOAD refuses a program calling one without. */
struct emu_func_proto;
const struct emu_func_proto *emu_prog_helper_lookup(void *ctx, int32_t id);
/* The translation every view makes (and BPF_PROG_LOAD, before the program exists): insns with
 * their ld_imm64 of maps resolved from ld over maps (the contract above), helpers through
 * emu_prog_helper_lookup, and array lookups inlined (emu/prog/inline_lookup.h) where lookup
 * (cnt entries, or NULL) names the one map a bpf_map_lookup_elem call site looks up: 1 + its
 * index into maps, 0 for none or several (the loader's emu_prog_check_out.lookup_map, in the
 * used maps' numbering). 0, or -EINVAL with the translator's reason in why. */
int emu_prog_translate_maps(const struct emu_insn *insns, uint32_t cnt, const struct emu_prog_ld *ld,
			    uint32_t nr_ld, struct emu_map *const *maps, uint32_t nr_maps, const uint32_t *lookup,
			    struct emu_prog_image **img, char *why, size_t whylen);

/* Whether a lookup in m may be inlined, and its terms for the translator (emu/prog/interp.h,
 * inline_lookup.h): the family's prog_gen_lookup, the value access the helper would give. */
struct emu_xlate_array;
bool emu_map_xlate_array(struct emu_map *m, struct emu_xlate_array *a);

/* The BTF hooks of the load-time checks (emu/prog/check.h) over an emu_btf (core/prog_file.c):
 * what BPF_PROG_LOAD and a process re-checking another's program both use. */
struct emu_check_btf_ops;
extern const struct emu_check_btf_ops emu_prog_btf_ops;

/* ---- stats (BPF_ENABLE_STATS) ---- */
/* Whether run time and count are being recorded (a BPF_ENABLE_STATS fd is open somewhere). */
bool emu_prog_stats_enabled(void);
/* Adds cnt runs that took ns in total (the caller checked emu_prog_stats_enabled()). */
void emu_prog_stats_add(struct emu_prog *p, uint64_t cnt, uint64_t ns);
/* BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): a new fd that keeps stats on while it is open. */
int emu_prog_stats_fd(void);

/* ---- the used maps ---- */
/* BPF_PROG_BIND_MAP: adds the map if the program does not use it yet. 0 or -errno (ENOMEM). */
int emu_prog_bind_map(struct emu_prog *p, struct emu_map *m);

/* The id of the program fd names (the id commands): 0, or -EINVAL when fd is none. */
int emu_prog_fd_id(int fd, uint32_t *id);

#endif
