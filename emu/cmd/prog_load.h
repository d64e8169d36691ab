/* SPDX-License-Identifier: MIT */
/* What the BPF_PROG_LOAD files (prog_load.c, prog_other.c) share. Private to cmd/. */
#ifndef BPFEMU_CMD_PROG_LOAD_H
#define BPFEMU_CMD_PROG_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "../uapi/bpf_insn.h"
#include "../util/vlog.h"

struct emu_prog_check_out;

/* A program of a type emu/prog/check.h does not model (prog_other.c). */
struct emu_load_other {
	uint32_t prog_type, expected_attach_type, attach_btf_id;
	const struct emu_insn *insns;
	uint32_t cnt;
	bool gpl;
};

/* 0 (accepted: out has the tag, verified_insns, one subprogram), or the kernel's -errno with its
 * log lines; -EOPNOTSUPP (with a diagnostic) for a program this cannot answer for. */
int emu_prog_load_other(const struct emu_load_other *o, struct emu_vlog *log, struct emu_prog_check_out *out);

#endif
