/* SPDX-License-Identifier: MIT */
/*
 * The BPF execution engine: a translator from checked raw instructions to a pre-decoded image,
 * and a run loop over that image with Linux 6.18's results (its verifier's rewrites included:
 * division by zero, signed division by -1, LD_ABS/LD_IND, tail calls, may_goto).
 *
 *   img = emu_prog_translate(insns, cnt, &opts, err, errlen);   once per loaded program
 *   emu_prog_run(img, &run, &r0);                                 per run, any thread
 *   emu_prog_image_free(img);
 *
 * The image is read-only after translation (but for the region hints its memory sites keep for
 * the next run: guesses every use checks, written with relaxed atomics); runs on different
 * threads may share it. A JIT can
 * replace the run loop behind these two calls without the callers noticing.
 *
 * Memory safety is the run loop's own: every load, store and atomic is checked against the
 * regions this run may touch (the context, the live stack frames, the caller's regions such as
 * packet data or map values, and regions helpers register while the program runs). An access
 * outside them, a misaligned atomic, more than 8 call frames or an exhausted instruction budget
 * ends the run with a negative errno and a diagnostic in run->fault; nothing is written outside
 * the regions and the process never faults on the program's behalf. The checks are a backstop
 * behind the loader's verifier, not a replacement: a program the kernel would reject can still
 * compute nonsense inside its regions.
 *
 * Cost of a check (emu/prog/mem_fast.h): a load or store through a pointer register compares the
 * address against the region it hit last (one for reads, one for writes: two compares and a
 * predictable branch); a load or store at a constant offset from r10 is proved in-frame at
 * translation and checked not at all; a context access with a fast table (emu_ctx_desc.fast)
 * costs a table lookup, and a hook call for a hooked field. After a cache miss, the region the
 * same instruction found last (its region hint, kept in the image) is tested. Anything else walks
 * ctx, the live stack and the region list.
 */
#ifndef BPFEMU_PROG_INTERP_H
#define BPFEMU_PROG_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../uapi/bpf_insn.h"
#include "helper.h"

struct emu_prog_image;
struct emu_run;
struct emu_run_state; /* private to the run loop */

/* ---- translation ---- */

/* Resolves one ld_imm64 whose src_reg is not 0 (a plain constant) and not BPF_PSEUDO_FUNC (the
 * translator resolves those itself): map fds, map values, BTF ids, map indexes. insn points at the
 * two slots; idx is the index of the first. Store the 64-bit value the program sees in *value and
 * return 0, or return a negative errno with a message in err. A map value's memory must also be
 * given to every run as a region (struct emu_run.regions), or the program's accesses through it
 * abort the run. */
typedef int (*emu_ldimm64_fn)(void *cb_ctx, const struct emu_insn *insn, uint32_t idx, uint64_t *value,
			      char *err, size_t errlen);
/* The helper with BPF_FUNC id `id`, or NULL when there is none. Its fn must be set. */
typedef const struct emu_func_proto *(*emu_helper_lookup_fn)(void *cb_ctx, int32_t id);

/* An array lookup the translator may inline (the kernel verifier's map_gen_lookup): the map a
 * bpf_map_lookup_elem call site always names, and how its lookup answers. The key is a u32
 * index i read from key_size readable bytes at r2; i >= max_entries answers NULL, else the value
 * is at values + i * stride, and for a per-CPU array (cpu_stride != 0) + cpu * cpu_stride for the
 * run's cpu, NULL when cpu >= nr_cpus. [values, values + bytes) holds every value (every CPU's):
 * runs that inline a lookup make it one region with `access` (EMU_MEM_*), kind EMU_RGN_MAP_VALUE.
 * The inlined call still compares r1 with map and takes the helper when they differ. */
struct emu_xlate_array {
	uint64_t map;         /* the value r1 holds: what ld_imm64 resolved the map to */
	uint8_t *values;
	uint64_t stride, bytes;
	uint32_t max_entries, key_size;
	uint32_t cpu_stride, nr_cpus;
	uint32_t access;
};
/* Whether the helper call at raw instruction idx (a bpf_map_lookup_elem) may be inlined as an
 * array lookup: true with *a filled. */
typedef bool (*emu_inline_lookup_fn)(void *cb_ctx, uint32_t idx, struct emu_xlate_array *a);

struct emu_xlate_opts {
	emu_ldimm64_fn ld_imm64;     /* NULL: any ld_imm64 with a pseudo src_reg is refused */
	emu_helper_lookup_fn helper; /* NULL: any helper call is refused (tail calls need none) */
	void *cb_ctx;                /* passed to all three */
	emu_inline_lookup_fn inline_lookup; /* NULL: no call is inlined */
};

/* Translates cnt checked instructions. NULL on failure with "insn N: reason" in err for what the
 * kernel refuses anywhere in a program: an opcode outside its instruction table, LDX reserved
 * fields, a jump or call out of the program or into an ld_imm64, a malformed or unresolved
 * ld_imm64, a kfunc call (not emulated), more than 1,000,000 instructions. What the verifier checks
 * only on paths it explores (reserved fields, shift amounts, registers >= 11, writes to r10,
 * unknown helpers, arena casts) translates into a trap that ends the run with -EINVAL if reached:
 * the kernel accepts such instructions in dead code. Not a verifier; never crashes on any input. */
struct emu_prog_image *emu_prog_translate(const struct emu_insn *insns, uint32_t cnt,
					  const struct emu_xlate_opts *opts, char *err, size_t errlen);
void emu_prog_image_free(struct emu_prog_image *img);
uint32_t emu_prog_image_len(const struct emu_prog_image *img); /* instructions (cnt) */

/* ---- memory the program may touch ---- */

#define EMU_MEM_READ 0x1u
#define EMU_MEM_WRITE 0x2u

enum emu_region_kind {
	EMU_RGN_OTHER = 0,
	EMU_RGN_PACKET,      /* [data, data_end) */
	EMU_RGN_PACKET_META, /* [data_meta, data) */
	EMU_RGN_MAP_VALUE,   /* one value, from a helper or ld_imm64 BPF_PSEUDO_MAP_VALUE */
	EMU_RGN_GLOBAL,      /* a whole global-data map value (.data/.rodata/.bss) */
	EMU_RGN_HELPER_BUF,  /* memory a helper handed out (a ringbuf record, ...) */
	EMU_RGN_NR_KINDS
};

struct emu_region {
	uintptr_t start, end; /* [start, end); start must not be NULL */
	uint32_t flags;       /* EMU_MEM_READ | EMU_MEM_WRITE */
	uint32_t kind;        /* enum emu_region_kind: only for diagnostics */
};

/* The context's layout: which bytes may be read or written, and which need conversion (the
 * kernel rewrites those context accesses: a 4-byte load of xdp_md->data yields a 64-bit packet
 * pointer). */
#define EMU_CTX_R 0x1u
#define EMU_CTX_W 0x2u
#define EMU_CTX_HOOK 0x4u /* loads and stores of this byte go through load()/store() */
struct emu_ctx_desc {
	uint32_t size;       /* bytes at run->ctx */
	const uint8_t *perm; /* size bytes of EMU_CTX_*; NULL: every byte readable and writable */
	/* An access whose first byte is EMU_CTX_HOOK: the value a load of `size` bytes at `off`
	 * returns, and what a store does. NULL: such accesses abort the run. */
	uint64_t (*load)(struct emu_run *run, uint32_t off, uint32_t size);
	void (*store)(struct emu_run *run, uint32_t off, uint32_t size, uint64_t value);
	/* Optional, for speed: size entries from emu_ctx_desc_fast() over this description, which
	 * let loads and stores of the context skip the slow path of the memory check (the answer
	 * is the same without it). NULL: every context access takes the slow path. */
	const uint16_t *fast;
};

/* Fills fast[0 .. d->size) for d (its perm, load and store set): per offset, which access sizes
 * are plain memory and which go to a hook, exactly as the slow path decides them. */
void emu_ctx_desc_fast(const struct emu_ctx_desc *d, uint16_t *fast);

/* ---- a run ---- */

/* Tail call through map `map` (the value ld_imm64 resolved) at `index`. Return < 0 when index
 * is past the map's max_entries, else 0 with *prog set to the image in that slot or NULL for an
 * empty slot. Either way the call falls through uncounted; 33 calls to populated slots per run
 * succeed, the 34th falls through (6.18's x86-64 JIT, measured: the interpreter of older
 * kernels counted empty slots too). */
typedef int (*emu_tail_call_fn)(struct emu_run *run, uint64_t map, uint32_t index,
				const struct emu_prog_image **prog);

/* Why a run stopped early. */
struct emu_run_fault {
	int err;                          /* what emu_prog_run returned (< 0) */
	uint32_t insn;                    /* index of the instruction, in img */
	const struct emu_prog_image *img; /* the image running then (tail calls change it) */
	uint64_t addr;                    /* memory faults: the address and size */
	uint32_t size;
	bool write;
	char msg[256];                    /* one line, for a diagnostic */
};

#define EMU_RUN_DEFAULT_BUDGET (1ull << 32)
/* may_goto, per frame. The x86-64 and arm64 JITs of 6.18 bound it by time: 0xffff iterations
 * between clock checks, falling through until 250 ms have passed since the first check (the
 * default here, as on this kernel). The interpreter and the other JITs count BPF_MAX_LOOPS
 * iterations (EMU_RUN_MAY_GOTO_COUNT: deterministic, for tests). */
#define EMU_MAX_LOOPS (8u * 1024 * 1024)
#define EMU_MAX_TIMED_LOOPS 0xffffu
#define EMU_MAY_GOTO_NS 250000000ull
#define EMU_RUN_MAY_GOTO_COUNT 0x1u
/* Frames start filled with 0xa5 instead of 0 (tests: a program whose result changes with it
 * reads stack it never wrote, which the kernel leaves as garbage). */
#define EMU_RUN_STACK_POISON 0x2u

struct emu_run {
	/* set by the caller */
	void *ctx;                          /* r1 at entry */
	const struct emu_ctx_desc *ctx_desc; /* NULL: the context is not memory the program reads */
	const struct emu_region *regions;   /* copied at entry; helpers may add more during the run */
	uint32_t nr_regions;
	uint32_t cpu;                       /* bpf_get_smp_processor_id() */
	uint32_t flags;                     /* EMU_RUN_* */
	uint64_t insn_budget;               /* 0: EMU_RUN_DEFAULT_BUDGET; see emu_prog_run */
	emu_tail_call_fn tail_call;         /* NULL: every tail call falls through */
	void *user;                         /* for the caller's helpers and callbacks */
	/* LD_ABS/LD_IND (socket filters and other skb programs): offsets >= 0 read [pkt_data,
	 * pkt_end); negative offsets SKF_NET_OFF/SKF_LL_OFF read from skb_net/skb_mac up to pkt_end
	 * (skb_mac NULL: no MAC header). Out of bounds: the program returns 0. */
	const uint8_t *pkt_data, *pkt_end, *skb_net, *skb_mac;
	/* set by the run */
	uint64_t budget_used;
	uint32_t may_goto_checks; /* times a may_goto counter ran out (a time check, timed mode) */
	struct emu_run_fault fault;
	struct emu_run_state *state; /* during the run only */
};

/* Runs img with r1 = run->ctx and r10 at the top of a fresh 512-byte frame. Returns 0 with the
 * program's r0 in *r0, or a negative errno with run->fault filled:
 *   -EFAULT  a load/store/atomic outside every region or without the permission it needs
 *   -EINVAL  a misaligned atomic, an ld_abs/helper/callback misuse the verifier would have stopped
 *   -E2BIG   more than 8 call frames
 *   -ELOOP   the instruction budget ran out
 * The budget counts each taken backward jump as the instructions it jumps back over and each
 * call or tail call as one, an upper bound of the loop bodies run; straight-line code between
 * counted events is bounded by the program's length. */
int emu_prog_run(const struct emu_prog_image *img, struct emu_run *run, uint64_t *r0);

/* ---- for helpers, during a run ---- */

static inline uint32_t emu_run_cpu(const struct emu_run *run) { return run->cpu; }
static inline void *emu_run_ctx(const struct emu_run *run) { return run->ctx; }
static inline void *emu_run_user(const struct emu_run *run) { return run->user; }

/* Lets the program access [p, p + size) with flags from now to the end of the run (a map value
 * a helper returns, a ringbuf record). Returns 0, or -ENOMEM. A region already covered is not
 * added twice. */
int emu_run_add_region(struct emu_run *run, const void *p, size_t size, uint32_t flags, uint32_t kind);
/* Moves or removes (size 0) the region that started at old_start (a packet after
 * bpf_xdp_adjust_head, a released record). Returns 0, or -ENOENT. */
int emu_run_update_region(struct emu_run *run, const void *old_start, const void *p, size_t size);
/* Whether the program may access [p, p + size) with `flags` (helpers check their memory
 * arguments with it). */
bool emu_run_check(struct emu_run *run, const void *p, size_t size, uint32_t flags);
/* Calls the subprogram whose BPF_PSEUDO_FUNC value is fn (bpf_loop, for_each_map_elem, ...)
 * with r1-r5 in a new frame. Returns 0 with its r0, or a negative errno when the run is to stop
 * (the callback faulted, or fn is not a subprogram): the helper should then return at once; the
 * run ends with that error. */
int emu_run_callback(struct emu_run *run, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		     uint64_t r5, uint64_t *r0);
/* Stops the run after the current helper returns, with err (< 0) and a message. */
void emu_run_abort(struct emu_run *run, int err, const char *msg);

/* ---- text ---- */

/* One raw instruction as text in the kernel verifier log's style ("r1 = *(u32 *)(r2 +4)"); an
 * ld_imm64 reads insn[1] too. */
void emu_insn_disasm(const struct emu_insn *insn, char *buf, size_t len);

#endif
