/* SPDX-License-Identifier: MIT */
/*
 * The walk's state: registers and stack of each call frame along one path, as the verifier's
 * bpf_verifier_state. Private to walk.c and walk_call.c.
 */
#ifndef BPFEMU_PROG_WALK_H
#define BPFEMU_PROG_WALK_H

#include "check_internal.h"
#include "scalar.h"
#include "../util/diag.h" /* EMU_FAULT */

/* test builds: BPFEMU_FAULT=check-oob lets a map value access one byte past the end through */
#define EMU_FAULT_CHECK_OOB EMU_FAULT("check-oob")

enum rtype {
	R_NOT_INIT = 0,
	R_SCALAR,
	R_CTX,
	R_MAP_PTR,    /* CONST_PTR_TO_MAP */
	R_MAP_VALUE,
	R_STACK,
	R_PKT,
	R_PKT_END,
	R_PKT_META,
	R_MEM,        /* a ringbuf record (MEM_RINGBUF) */
	R_FUNC,
	R_OPAQUE,     /* a kernel object (PTR_TO_BTF_ID, sockets...): not modelled, anything goes */
	R_MAP_KEY,    /* a map's key (for_each_map_elem's callback): aux is the map */
	R_DYNPTR,     /* CONST_PTR_TO_DYNPTR (user_ringbuf_drain's callback R1): aux is the dynptr type */
};

/* the dynptr types (the kernel's enum bpf_dynptr_type, the ones programs here make) */
#define DYNPTR_LOCAL 1
#define DYNPTR_RINGBUF 2

struct reg {
	uint8_t type;      /* enum rtype */
	uint8_t null;      /* PTR_MAYBE_NULL */
	uint8_t frameno;   /* R_STACK: whose frame */
	uint8_t flag;      /* R_MEM: 1 plain memory (PTR_TO_MEM, a dynptr slice), 0 a ringbuf record;
	                    * a dynptr's stack slots (SLOT_DYNPTR): 1 in the lower (first) slot */
	int32_t off;       /* pointers: the fixed part of the offset */
	uint32_t id;       /* null-check and packet-range identity; scalars: linked copies */
	uint32_t ref;      /* acquired reference (ringbuf record) */
	uint32_t aux;      /* R_MAP_PTR / R_MAP_VALUE: map index; R_MEM: size; R_FUNC: subprog */
	int32_t range;     /* packet pointers: bytes known to be inside the packet from off 0 */
	struct sval s;     /* scalars: the value; pointers: the variable part of the offset */
	uint32_t dyn;      /* R_MEM slices and dynptrs (R_DYNPTR, SLOT_DYNPTR): the dynptr's id */
};

#define SLOT_INVALID 0
#define SLOT_MISC 1
#define SLOT_ZERO 2
#define SLOT_SPILL 3
#define SLOT_DYNPTR 4   /* 16 bytes of a struct bpf_dynptr; spill[] of both slots: R_DYNPTR, aux the
                         * type, ref its reference (ringbuf), dyn its id, flag 1 in the lower slot */

struct frame {
	struct reg r[EMU_MAX_BPF_REG];
	uint8_t st[EMU_STACK_SIZE];       /* per byte, SLOT_*; index = 512 + off */
	struct reg spill[EMU_STACK_SIZE / 8];
	uint32_t callsite;                /* insn of the call that made this frame */
	uint32_t sub;
	uint8_t cb;                       /* a callback of bpf_loop / for_each_map_elem */
};

struct ckpt;

struct state {
	uint32_t insn;
	uint32_t nfr;                     /* frames in use (curframe + 1) */
	uint32_t nrefs;
	uint32_t refs[8], ref_insn[8];
	uint8_t in_lock;
	struct ckpt *parent;              /* the last checkpoint on this path */
	struct frame fr[EMU_MAX_CALL_FRAMES];
};

/* a state stored at a prune point */
struct ckpt {
	struct ckpt *parent, *next;       /* next: the list at the same insn */
	uint32_t branches;                /* paths still being explored below it */
	struct state *st;
};

struct walk {
	struct chk *c;
	struct state *cur;
	struct ckpt **at;                 /* per insn: stored checkpoints */
	uint32_t *nat;
	struct state **pend;              /* states of branches still to explore */
	uint32_t npend, cappend;
	uint32_t id_gen;
	uint32_t jmps, prev_jmps, prev_insns;
	bool incomplete;
	uint64_t mem;                     /* bytes held by checkpoints */
};

size_t st_size(uint32_t nfr);
struct reg *cur_regs(struct walk *w);
void mark_unknown(struct reg *r);
void mark_const(struct reg *r, uint64_t v);
const char *reg_type_str(const struct reg *r);
/* walk.c */
void mark_ptr(struct reg *r, uint8_t type);
void mark_opaque(struct reg *r);
int reg_src(struct walk *w, uint32_t regno);
int reg_dst(struct walk *w, uint32_t regno);
/* walk_mem.c */
void tnum_str(char *buf, size_t n, const struct sval *s);
int do_ldx(struct walk *w, const struct emu_insn *in, uint32_t idx);
int do_atomic(struct walk *w, const struct emu_insn *in, uint32_t idx);
int do_store(struct walk *w, const struct emu_insn *in, uint32_t idx);
/* walk_alu.c */
int do_alu(struct walk *w, const struct emu_insn *in);
int do_ld(struct walk *w, const struct emu_insn *in, uint32_t idx);
/* walk_call.c */
int do_helper_call(struct walk *w, const struct emu_insn *in, uint32_t idx);
int do_pseudo_call(struct walk *w, const struct emu_insn *in, uint32_t idx, uint32_t *next);
int do_exit(struct walk *w, uint32_t idx, uint32_t *next, bool *path_done);
int check_mem(struct walk *w, uint32_t regno, int32_t off, int size, bool write, int value_regno,
	      uint32_t idx, const char *what, const struct reg *imm);
int64_t const_map_key(struct walk *w, const struct reg *key, uint32_t key_size);
int check_helper_mem(struct walk *w, uint32_t regno, int32_t size, bool write, bool zero_ok, bool uninit);
/* walk_dynptr.c */
struct dynptr_arg {
	int regno;        /* the dynptr argument's register, 0 none */
	uint32_t type;    /* its dynptr type (for dynptr_data's slice) */
	uint32_t ref;     /* its reference (ringbuf dynptrs), 0 none */
	uint32_t dyn;     /* its id */
};
int check_dynptr_arg(struct walk *w, uint32_t regno, uint16_t arg, uint32_t idx, struct dynptr_arg *out);
int release_dynptr(struct walk *w, uint32_t regno, uint32_t *ref);
int stack_destroy_dynptr(struct walk *w, struct frame *f, int64_t base);
int stack_dynptr_read(struct walk *w, const struct frame *f, int64_t lo, int64_t hi, int32_t off, int size, int helper_regno);
void invalidate_dyn(struct state *st, uint32_t dyn);
uint32_t new_ref(struct walk *w, uint32_t idx);

#endif
