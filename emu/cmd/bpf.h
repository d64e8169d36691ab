/* SPDX-License-Identifier: MIT */
/*
 * The emulated bpf(2) (cmd/syscall.c): the attr copied as the syscall copies it, then the command
 * run. bpfemu_bpf(), the preload and the supervisor all enter here.
 */
#ifndef BPFEMU_CMD_BPF_H
#define BPFEMU_CMD_BPF_H

#include <errno.h>

#include "attr.h"

union bpf_attr;

/* The syscall's own handling of attr and size (E2BIG for a non-zero tail past the union, EFAULT),
 * before any command sees it. */
int emu_bpf_copy_attr(struct emu_attr *a, const union bpf_attr *uattr, unsigned int size);
/* One command on a copied attr: its result, or -errno. */
int emu_bpf_dispatch(int cmd, struct emu_attr *a, union bpf_attr *uattr);

/* bpf(2) as a caller sees it: -1 and errno on failure. Inline, for the preload's hot path. */
static inline int emu_bpf_call(int cmd, union bpf_attr *uattr, unsigned int size)
{
	struct emu_attr a;
	int ret = emu_bpf_copy_attr(&a, uattr, size);

	if (!ret)
		ret = emu_bpf_dispatch(cmd, &a, uattr);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

#endif
