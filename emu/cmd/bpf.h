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

/* The public API's calls into the emulator run between api_guard(1) and api_guard(-1) when a
 * front end set one (emu_set_api_guard): the preload, which exports the same bpfemu_* functions
 * (a program linked with libbpfemu and run under bpfemu-run calls the preload's), then passes the
 * emulator's own file operations through, as for the bpf() calls it interposes. */
extern void (*emu_api_guard)(int delta);
void emu_set_api_guard(void (*fn)(int delta));
#define EMU_API_GUARDED(type, call)                                                                 \
	do {                                                                                        \
		type r_;                                                                            \
		int e_;                                                                             \
		if (__builtin_expect(emu_api_guard == NULL, 1))                                     \
			return call;                                                                \
		emu_api_guard(1);                                                                   \
		r_ = call;                                                                          \
		e_ = errno;                                                                         \
		emu_api_guard(-1);                                                                  \
		errno = e_;                                                                         \
		return r_;                                                                          \
	} while (0)

#endif
