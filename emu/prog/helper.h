/* SPDX-License-Identifier: MIT */
/*
 * Helpers are data, as the kernel's struct bpf_func_proto: each helper id has one record with its
 * argument kinds and return kind (what the loader's checks hold a call against), whether it is
 * GPL-only, which program types may call it, and the function the interpreter calls. One table
 * (emu_helper_proto()), read by both the loader and the interpreter.
 */
#ifndef BPFEMU_PROG_HELPER_H
#define BPFEMU_PROG_HELPER_H

#include <stdbool.h>
#include <stdint.h>

struct emu_run; /* one program run in progress (the interpreter's, emu/prog/interp.h) */

/* What an argument register must hold at the call (the kernel's enum bpf_arg_type, the kinds
 * the emulated helpers use). */
enum emu_arg_kind {
	EMU_ARG_NONE = 0,            /* the helper takes no more arguments */
	EMU_ARG_ANYTHING,            /* any initialised scalar or pointer */
	EMU_ARG_CONST_MAP_PTR,       /* a map, from ld_imm64 of a map fd */
	EMU_ARG_PTR_TO_MAP_KEY,      /* key_size readable bytes of the map in the previous argument */
	EMU_ARG_PTR_TO_MAP_VALUE,    /* value_size readable bytes, likewise */
	EMU_ARG_PTR_TO_MEM,          /* readable memory, its size in the next argument */
	EMU_ARG_PTR_TO_UNINIT_MEM,   /* writable memory, its size in the next argument */
	EMU_ARG_CONST_SIZE,          /* a known size > 0 for the previous argument */
	EMU_ARG_CONST_SIZE_OR_ZERO,  /* likewise, 0 allowed */
	EMU_ARG_PTR_TO_CTX,          /* the program's context, unmodified */
	EMU_ARG_PTR_TO_STACK,        /* a stack slot (bpf_loop's callback context, ...) */
	EMU_ARG_PTR_TO_FUNC,         /* a subprogram, from ld_imm64 BPF_PSEUDO_FUNC */
	EMU_ARG_PTR_TO_SPIN_LOCK,    /* the bpf_spin_lock inside a map value */
	EMU_ARG_PTR_TO_LONG,         /* 8 writable, aligned bytes */
	EMU_ARG_PTR_TO_INT,          /* 4 writable, aligned bytes */
	EMU_ARG_PTR_TO_CONST_STR,    /* a NUL-terminated string in a read-only map value */
	EMU_ARG_PTR_TO_ALLOC_MEM,    /* a ringbuf record from bpf_ringbuf_reserve */
	EMU_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* the size a ringbuf reservation allocates */
	EMU_ARG_PTR_TO_TIMER,        /* the bpf_timer inside a map value */
	EMU_ARG_PTR_TO_DYNPTR,       /* a struct bpf_dynptr on the stack */
	EMU_ARG_PTR_TO_BTF_ID,       /* a kernel object: never satisfied in the emulator */
	EMU_NR_ARG_KINDS
};
/* or-ed into a kind: NULL is accepted too (the kernel's PTR_MAYBE_NULL) */
#define EMU_ARG_MAYBE_NULL 0x100u
/* or-ed into a memory kind: the helper only reads it (MEM_RDONLY) */
#define EMU_ARG_RDONLY 0x200u
/* or-ed into a memory kind: the helper writes it whole, it need not be initialised (MEM_UNINIT) */
#define EMU_ARG_UNINIT 0x400u
/* or-ed into EMU_ARG_PTR_TO_ALLOC_MEM: the helper releases the reference (OBJ_RELEASE) */
#define EMU_ARG_RELEASE 0x800u
/* or-ed into EMU_ARG_PTR_TO_DYNPTR: the dynptr type the helper wants (DYNPTR_TYPE_LOCAL/RINGBUF) */
#define EMU_ARG_DYNPTR_LOCAL 0x1000u
#define EMU_ARG_DYNPTR_RINGBUF 0x2000u
#define EMU_ARG_KIND(a) ((a) & 0xffu)

/* What r0 holds after the call (the kernel's enum bpf_return_type, the kinds used here). */
enum emu_ret_kind {
	EMU_RET_INTEGER = 0,
	EMU_RET_VOID,
	EMU_RET_MAP_VALUE_OR_NULL,   /* a value of the map in r1 */
	EMU_RET_ALLOC_MEM_OR_NULL,   /* a ringbuf record of the size in r2 */
	EMU_RET_BTF_ID,              /* a kernel object pointer (get_current_task, ...) */
	EMU_RET_BTF_ID_OR_NULL,
	EMU_RET_DYNPTR_MEM_OR_NULL,  /* memory of a dynptr (the dynptr argument's), its size in r3 */
	EMU_NR_RET_KINDS
};

/* A helper's function. r1-r5 as the program passed them; the result goes to r0. */
typedef uint64_t (*emu_helper_fn)(struct emu_run *run, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5);

struct emu_func_proto {
	uint32_t id;               /* EMU_FN_* of emu/uapi/bpf_uapi.h */
	bool gpl_only;             /* refused to a program whose license is not GPL-compatible */
	bool pkt_access;           /* may take packet pointers as memory arguments */
	uint8_t ret;               /* enum emu_ret_kind */
	uint16_t arg[5];           /* enum emu_arg_kind | EMU_ARG_* flags; EMU_ARG_NONE past the last */
	uint64_t prog_types;       /* bit t set: programs of type t (EMU_PROG_*) may call it */
	bool emulated;             /* the interpreter will run it: arg/ret kinds above are filled in;
	                            * false: known to 6.18 (for the loader's messages) only */
	emu_helper_fn fn;          /* the interpreter's function (set by the interpreter side) */
};

#define EMU_PROG_BIT(t) (1ull << (t))

/* The program types whose helper sets emu/prog/helper_protos.c describes (the others get no
 * record bits at all: the loader refuses them before looking). */
#define EMU_HELPER_PROG_TYPES                                                                      \
	(EMU_PROG_BIT(1) | EMU_PROG_BIT(2) | EMU_PROG_BIT(3) | EMU_PROG_BIT(4) | EMU_PROG_BIT(5) |   \
	 EMU_PROG_BIT(6) | EMU_PROG_BIT(7) | EMU_PROG_BIT(8) | EMU_PROG_BIT(17) | EMU_PROG_BIT(31))

/* The record of helper `id`, or NULL for an id 6.18 does not have. */
const struct emu_func_proto *emu_helper_proto(uint32_t id);

#endif
