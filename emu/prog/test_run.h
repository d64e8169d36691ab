/* SPDX-License-Identifier: MIT */
/*
 * Running a loaded program the way BPF_PROG_TEST_RUN does (net/bpf/test_run.c of Linux 6.18),
 * and the environment every run gives its helpers (struct emu_prog_env, behind emu_run.user).
 *
 * Who does what. The BPF_PROG_TEST_RUN command (emu/cmd/, the program-object side) owns the
 * attr and user memory; this module owns everything a program type's test_run does with the
 * values. Exactly:
 *
 *   the command's, in this order (kernel/bpf/syscall.c bpf_prog_test_run):
 *     1. CHECK_ATTR: every attr byte past batch_size (TR_END) zero, else -EINVAL;
 *     2. ctx_size_in != 0 exactly when ctx_in != NULL, likewise ctx_size_out/ctx_out, else -EINVAL;
 *     3. prog_fd to a program object: -EBADF / -EINVAL as bpf_prog_get answers;
 *     4. the private copies below (a copy that faults is not an error here: see data_in_avail),
 *        or for data_in the read_data_in hook instead;
 *     5. emu_test_run(); a negative return is the command's answer, nothing is written;
 *     6. 0: the copies of out->copy[] in order; the first that faults ends the command with
 *        -EFAULT (what was written before stays written, as in the kernel); all done: out->ret
 *        (0, or -ENOSPC for a short data_out/ctx_out);
 *     7. emu_test_run_out_free(out) whatever happened.
 *   this module's: everything else, with the kernel's errnos and their order: which program
 *     types have a test_run (-ENOTSUPP 524 for the others, as the missing op answers), the
 *     type's own attr checks (flags, cpu, batch_size, repeat, duration, data/ctx sizes and
 *     presence), the contexts (xdp_md, __sk_buff: which fields may be set, -EINVAL otherwise;
 *     raw tracepoint args; the SYSCALL program's blob), the packet the kernel builds
 *     (headroom, tailroom, XDP frags, the skb's Ethernet parsing), repeat and duration,
 *     BPF_F_TEST_RUN_ON_CPU and cpu, data_out/ctx_out with the partial copy and -ENOSPC.
 *
 * User memory is never touched here: the inputs are the command's private copies (or, for
 * data_in, read through the command's read_data_in hook), the outputs a list of copies for the
 * command to make.
 */
#ifndef BPFEMU_PROG_TEST_RUN_H
#define BPFEMU_PROG_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interp.h"

struct emu_map;
struct emu_trace_sink;
struct emu_prog_env;

/*
 * How much of data_in / ctx_in the command copies. It copies as much of
 * [data_in, data_in + min(data_size_in, EMU_TR_DATA_IN_MAX)) as is readable, from the start, page
 * by page, stopping at the first page that faults; data_in_avail says how many bytes it got (a
 * NULL data_in: 0). Likewise ctx_in with EMU_TR_CTX_IN_MAX. This module answers -EFAULT exactly
 * where the kernel's copy_from_user() of bytes past the available ones would fault, after the
 * checks the kernel makes before that copy.
 *   EMU_TR_DATA_IN_MAX: the most any test_run reads (XDP: a linear part of at most
 *     4096 - 40 - 320 bytes when the metadata takes all it may of the headroom, and 17 frags of
 *     a page);
 *   EMU_TR_CTX_IN_MAX: the SYSCALL program's largest context (U16_MAX); the others read less
 *     (bpf_check_uarg_tail_zero refuses more than a page with -E2BIG before reading).
 */
#define EMU_TR_DATA_IN_MAX (3736u + 17u * 4096u)
#define EMU_TR_CTX_IN_MAX 65535u

struct emu_test_run_in {
	/* the attr's values, as the caller gave them */
	uint32_t data_size_in, data_size_out, ctx_size_in, ctx_size_out;
	uint32_t repeat, duration, flags, cpu, batch_size;
	bool data_in_set, data_out_set, ctx_in_set, ctx_out_set; /* the pointer is not NULL */
	/* private copies (see above); NULL with avail 0 when there is nothing */
	const void *data_in;
	uint32_t data_in_avail;
	const void *ctx_in;
	uint32_t ctx_in_avail;
	/* Optional, instead of the private copy of data_in: reads data_in's bytes [off, off + n)
	 * into dst (the packet itself), 0, or -EFAULT exactly where the kernel's copy_from_user of
	 * them would fault. The command's way: the packet is filled straight from the caller's
	 * buffer, as the kernel's bpf_test_init does, not through a copy on the command's stack
	 * (a second copy of every byte and a page-by-page probe on each call). NULL: data_in and
	 * data_in_avail above. */
	int (*read_data_in)(void *cb_ctx, uint32_t off, uint32_t n, void *dst);
	void *read_data_in_ctx;

	/* the program object */
	struct emu_map *const *maps; /* the maps its ld_imm64 name (used_maps): map helpers accept
				      * only these as map arguments */
	uint32_t nr_maps;
	const struct emu_region *regions; /* global data: the values PSEUDO_MAP_VALUE points into
					   * (EMU_RGN_GLOBAL; read-only for frozen RDONLY_PROG maps) */
	uint32_t nr_regions;
	uint32_t max_ctx_offset; /* prog->aux->max_ctx_offset: one past the last context byte the
				  * program reads (RAW_TRACEPOINT, SYSCALL: ctx_size_in must cover it) */
	bool dev_bound;          /* offloaded / dev-bound XDP programs: -EINVAL (none are emulated) */
	const char *prog_name;   /* for diagnostics */

	/* run-time hooks; NULL for the defaults */
	emu_tail_call_fn tail_call; /* PROG_ARRAY (NULL: every tail call falls through) */
	void *tail_call_ctx;        /* reachable from the hook as emu_prog_env_of(run)->tail_call_ctx */
	/* ARRAY_OF_MAPS / HASH_OF_MAPS lookups (struct emu_prog_env's inner_map; NULL: every lookup
	 * answers NULL) */
	struct emu_map *(*inner_map)(struct emu_run *run, struct emu_map *outer, const void *key);
	struct emu_trace_sink *trace; /* trace_printk's lines; NULL: the process's default sink
				       * (emu_trace_default(): the state directory's trace_pipe) */
	uint64_t insn_budget;       /* per repetition; 0: the interpreter's default */
	uint32_t run_flags;         /* EMU_RUN_* (tests) */
	/* benches: a renamed copy of the run loop for images it translated (NULL: emu_prog_run) */
	int (*run_fn)(const struct emu_prog_image *img, struct emu_run *run, uint64_t *r0);
};

/* Where a copy of out->copy[] goes: the base address from the attr, plus off. */
enum emu_tr_dst {
	EMU_TR_TO_ATTR = 0, /* the caller's attr (retval, duration, data_size_out, ctx_size_out) */
	EMU_TR_TO_DATA_OUT, /* attr.data_out */
	EMU_TR_TO_CTX_OUT,  /* attr.ctx_out */
	EMU_TR_TO_CTX_IN,   /* attr.ctx_in: a SYSCALL program's context goes back where it came from */
};

struct emu_tr_copy {
	uint32_t dst; /* enum emu_tr_dst */
	uint32_t off; /* bytes from that base (EMU_TR_TO_ATTR: TR_RETVAL, TR_DURATION, ...) */
	const void *src; /* inside out's own memory */
	uint32_t len;
};

#define EMU_TR_MAX_COPIES 24 /* data: the linear part and 17 frags; 3 attr fields; ctx and its size */

struct emu_test_run_out {
	/* what the run produced (also readable directly by in-process callers) */
	uint32_t retval;        /* the last repetition's r0, truncated to 32 bits */
	uint32_t duration;      /* ns per repetition, U32_MAX at most */
	uint32_t data_size_out; /* the packet's true size after the run (XDP: meta and frags included) */
	uint32_t ctx_size_out;  /* the context's size */
	const uint8_t *data;    /* the packet after the run, data_size_out bytes (NULL: none) */
	const uint8_t *ctx;     /* the context after the run, ctx_size_out bytes (NULL: none) */
	/* what the command writes, in order, and its answer when all of it was written */
	struct emu_tr_copy copy[EMU_TR_MAX_COPIES];
	uint32_t nr_copy;
	int ret;                /* 0 or -ENOSPC */
	/* a run the interpreter stopped (emu_test_run returned its errno): why */
	struct emu_run_fault fault;
	/* owned memory (emu/prog/test_run_mem.c) */
	void *mem;
	struct emu_tr_arena *arena;
};

/*
 * Runs img as BPF_PROG_TEST_RUN runs a program of prog_type / expected_attach_type, on the
 * inputs of `in`. Returns 0 with *out filled (then out->copy[] and out->ret, see above), or a
 * negative errno with nothing for the caller to write. Errors beyond the kernel's own: a run the
 * interpreter stopped (a memory access outside every region, the instruction budget, more than 8
 * frames) returns its errno (-EFAULT, -ELOOP, -E2BIG, -EINVAL) with out->fault saying where,
 * and a diagnostic line on stderr: the kernel's verifier would not have let such a program load.
 * out must be freed with emu_test_run_out_free() in every case.
 */
int emu_test_run(const struct emu_prog_image *img, uint32_t prog_type, uint32_t expected_attach_type,
		 const struct emu_test_run_in *in, struct emu_test_run_out *out);
void emu_test_run_out_free(struct emu_test_run_out *out);

/* Whether 6.18 has a test_run for the type (the others answer -ENOTSUPP), and whether the
 * emulator runs it (a type with a kernel test_run that is not emulated answers -EOPNOTSUPP with
 * a diagnostic). */
bool emu_test_run_kernel_has(uint32_t prog_type);
bool emu_test_run_emulated(uint32_t prog_type);

/*
 * The helper table the translator binds calls with: pass as emu_xlate_opts.helper (cb_ctx
 * ignored). It is the loader's record (emu/prog/helper_protos.c) with this side's function set
 * for every helper the emulator runs (emu/prog/helpers/). NULL for an id 6.18 does not have or
 * one without a function.
 */
const struct emu_func_proto *emu_helper_lookup(void *cb_ctx, int32_t id);

#endif
