/* SPDX-License-Identifier: MIT */
/*
 * A clang-built BPF object loaded twice: by libbpf into the kernel (its maps created and filled
 * with their initial values, its programs loaded), and into the emulator (the same maps created
 * through bpfemu_bpf() with the same attributes and BTF, filled with the kernel maps' contents,
 * each program's loaded instructions translated, map references resolved to the emulator's maps
 * as the program-object side will: a map ld_imm64 is the struct emu_map pointer, a map value
 * ld_imm64 an address in the map file given to each run as a global-data region).
 *
 * Then one BPF_PROG_TEST_RUN runs on both (tw_run), and every map can be compared (tw_compare).
 * The emulator side runs emu_test_run() and makes its copies the way the TEST_RUN command does
 * (tw_emu_command), so what is compared is what a caller of bpf() would see.
 */
#ifndef BPFEMU_TESTS_TWIN_H
#define BPFEMU_TESTS_TWIN_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "prog/interp.h"
#include "prog/test_run.h"

#define TW_MAX_MAPS 16
#define TW_MAX_PROGS 16

struct bpf_object;
struct bpf_program;

struct tw_map {
	struct hx_pair p;   /* kernel fd, emulator fd */
	struct emu_map *em; /* the emulator's map, held */
	char name[16];
	bool global;        /* .data/.bss/.rodata: its value is a global-data region */
};

struct tw_prog {
	const char *name;
	uint32_t type, eat;
	int kfd;
	uint32_t max_ctx_offset;
	struct emu_prog_image *img;
	const struct emu_insn *insns; /* as libbpf loaded them (kernel map fds in ld_imm64) */
	uint32_t cnt;
	int (*run_fn)(const struct emu_prog_image *, struct emu_run *, uint64_t *); /* benches */
};

struct tw_obj {
	char label[64];
	struct bpf_object *obj;
	struct tw_map map[TW_MAX_MAPS];
	uint32_t nmaps;
	struct emu_map *emaps[TW_MAX_MAPS];
	struct emu_region rg[TW_MAX_MAPS];
	uint32_t nrg;
	struct tw_prog prog[TW_MAX_PROGS];
	uint32_t nprogs;
	struct emu_trace_sink *trace; /* trace_printk's lines on the emulator side (NULL: default) */
	const struct emu_insn *xl_insns; /* the program being translated (its lookups to inline) */
	uint32_t xl_cnt;
};

/* Opens dir/name.o and loads it on both sides; false (with a FAIL line) if that fails. */
bool tw_open(struct tw_obj *o, const char *dir, const char *name);
void tw_close(struct tw_obj *o);
struct tw_prog *tw_prog(struct tw_obj *o, const char *name);
/* p's instructions translated by translate (a renamed copy of emu_prog_translate, for benches),
 * map references resolved as for p->img */
typedef struct emu_prog_image *tw_translate_fn(const struct emu_insn *, uint32_t, const struct emu_xlate_opts *,
						char *, size_t);
struct emu_prog_image *tw_translate(struct tw_obj *o, const struct tw_prog *p, tw_translate_fn *translate);
struct tw_map *tw_map(struct tw_obj *o, const char *name);

/* One test run's inputs, as the attr carries them (pointers may be NULL). */
struct tw_case {
	const void *data_in;
	uint32_t data_size_in;
	uint32_t data_out_cap;  /* data_out buffer of this many bytes; 0: data_out NULL */
	uint32_t data_size_out; /* the attr's data_size_out */
	const void *ctx_in;
	uint32_t ctx_size_in;
	uint32_t ctx_out_cap;   /* ctx_out buffer; 0: NULL */
	uint32_t ctx_size_out;
	uint32_t repeat, flags, cpu, batch_size, duration;
	bool ctx_raw;           /* ctx_in is passed as is (a bad pointer), not copied per side */
};

/* What one side answered. */
struct tw_result {
	long ret;                 /* 0 or -errno */
	unsigned char attr[EMU_ATTR_SIZE];
	unsigned char data_out[80000];
	unsigned char ctx_out[4096];
	unsigned char ctx_in[4096]; /* SYSCALL programs write their context back here */
};

extern unsigned long tw_runs; /* TEST_RUNs made on both sides */

/* Runs c on both sides and compares everything a caller sees; 0, or 1 with a report. label names
 * the case in reports. */
int tw_run(struct tw_obj *o, struct tw_prog *p, const struct tw_case *c, const char *label);
/* Compares every map of the object; the number that differ. */
int tw_compare(struct tw_obj *o, const char *label);

/* The TEST_RUN command's part on the emulator side: private copies in, emu_test_run, the copies
 * out to the caller's buffers (given by the same attr values); returns the command's answer. */
long tw_emu_command(const struct tw_prog *p, const struct tw_obj *o, const unsigned char *attr, unsigned char *uattr,
		    struct emu_test_run_out *keep);

#endif
