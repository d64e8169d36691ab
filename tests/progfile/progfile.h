/* SPDX-License-Identifier: MIT */
/*
 * Program and BTF files as untrusted input (docs/SECURITY.md): what the field test
 * (progfile_fields.c) and the corruption run (progfile_corrupt.c) share.
 *
 *  - real program files of several kinds (pf_kinds, pf_make): loaded through bpfemu_bpf with the
 *    maps, global data, subprograms, func_info/line_info and BTF they use; and a real BTF file;
 *  - opening a file's bytes as another process meets it: BPF_OBJ_GET of a pin, or an fd handed
 *    over (tests/mapfile's mf_open);
 *  - the fixed sequence on a program (pf_exercise_prog: OBJ_GET_INFO_BY_FD with every array asked
 *    for, TEST_RUN twice, BIND_MAP) and on a BTF object (pf_exercise_btf: BTF info with the blob and
 *    name, PROG_LOAD with it as prog_btf_fd and func_info, MAP_CREATE with it). Each answer is
 *    recorded; nothing about a corrupted file is asserted but that the calls return.
 */
#ifndef BPFEMU_TESTS_PROGFILE_H
#define BPFEMU_TESTS_PROGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pf_kind_id { PF_RET, PF_MAPS, PF_GLOBAL, PF_SUBPROG_BTF, PF_LOOP, PF_OTHER, PF_BTF, PF_NR_KINDS };

struct pf_kind {
	const char *name;
	bool is_btf; /* a BTF object file, not a program */
};
extern const struct pf_kind pf_kinds[PF_NR_KINDS];

/* Loads what a kind needs once (maps, BTF), then the program (or the BTF object): its fd, or
 * -errno. The maps and the BTF stay open for the process's life (the registry finds them). */
int pf_make(enum pf_kind_id k);

/* The BTF object's fd the programs of PF_SUBPROG_BTF use (after pf_make), and its blob. */
int pf_btf_fd(void);

struct pf_result {
	int open_err;     /* BPF_OBJ_GET / the first use refused the file: its errno */
	unsigned calls, ok, euclean, einval, other;
};

void pf_exercise_prog(int fd, struct pf_result *r);
void pf_exercise_btf(int fd, struct pf_result *r);

long pf_bpf(int cmd, void *attr, unsigned size);

#endif
