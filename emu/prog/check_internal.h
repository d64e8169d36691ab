/* SPDX-License-Identifier: MIT */
/*
 * What the load-time checks share between their files: the check context (the program, its
 * subprograms, per-instruction facts found before the walk) and the walk's entry point. Private
 * to emu/prog/check*.c, walk.c and ctx.c.
 */
#ifndef BPFEMU_PROG_CHECK_INTERNAL_H
#define BPFEMU_PROG_CHECK_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "../uapi/bpf_uapi.h"
#include "check.h"
#include "helper.h"

#define EMU_COMPLEXITY_LIMIT 1000000u /* BPF_COMPLEXITY_LIMIT_INSNS */
#define EMU_MAX_VAR_OFF (1u << 29)    /* BPF_MAX_VAR_OFF */
#define EMU_MAX_PACKET_OFF 0xffff

/* per-instruction flags found before the walk */
#define IF_PRUNE 0x01   /* a prune point: states are compared and stored here */
#define IF_LDIMM2 0x02  /* the second slot of an ld_imm64 */
#define IF_SUBSTART 0x04

struct chk {
	const struct emu_prog_check_in *in;
	struct emu_vlog *log;
	struct emu_prog_check_out *out;
	const struct emu_insn *insn;
	uint32_t cnt;
	uint32_t nsub;
	uint32_t sub_start[EMU_MAX_SUBPROGS + 1]; /* sub_start[nsub] == cnt */
	uint8_t *flags;   /* IF_* per insn */
	uint16_t *live;   /* registers live before each insn (bit r) */
	int32_t sub_depth[EMU_MAX_SUBPROGS];  /* deepest stack byte used, as a positive count */
	uint32_t processed;
	uint32_t total_states, peak_states, max_states_per_insn;
	uint64_t usec;    /* time the checks took, for the stats line */
	bool unresolved_kfunc_seen; /* the walk reached a kfunc call with imm 0 (see add_subprogs) */
};

/* A map register's aux: an index into out->maps, or with CHK_AUX_INNER into out->inner (the inner
 * map template of maps[i], which a register holding an of-maps lookup's result names) */
#define CHK_AUX_INNER 0x10000u

static inline const struct emu_map_desc *chk_map(const struct chk *c, uint32_t aux)
{
	return aux & CHK_AUX_INNER ? &c->out->inner[aux & ~CHK_AUX_INNER] : &c->out->maps[aux];
}

/* the log: the kernel's verbose() */
#define vlog(c, ...) emu_vlog((c)->log, __VA_ARGS__)

/* the subprogram that insn belongs to */
uint32_t chk_subprog_of(const struct chk *c, uint32_t insn);
/* true for the opcodes bpf_opcode_in_insntable() accepts */
bool chk_opcode_valid(uint8_t code);

/* walk.c: do_check over every path from insn 0; 0 or the kernel's negative errno, logged */
int chk_walk(struct chk *c);

/* ctx.c: the context of a program type */
struct chk_ctx_access {
	int ptr_type;  /* 0: a scalar is loaded; else the walk's pointer type (pkt, pkt_end, meta) */
};
/* Whether bytes [off, off+size) of the ctx may be read (write false) or written; 0 or -EACCES. */
int chk_ctx_access(const struct chk *c, int32_t off, int size, bool write, struct chk_ctx_access *acc);
/* Whether the program type has direct packet access (may_access_direct_pkt_data), for writes. */
bool chk_pkt_writable(const struct chk *c);
/* the type's ctx size for the state print: not used; the return range check of exit */
bool chk_ret_range(const struct chk *c, int32_t *lo, int32_t *hi);

#endif
