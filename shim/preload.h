/* SPDX-License-Identifier: MIT */
/*
 * What the preload library's files share (shim/): preload.c (bpf() through syscall(), mmap of map
 * fds, fd numbers that change meaning), procfs.c (what an fd is: /proc/self/fd links, fdinfo, the
 * possible-CPU file), bpffs.c (paths on /sys/fs/bpf, redirected to the emulated bpffs).
 *
 * Real functions are resolved lazily with dlsym(RTLD_NEXT). A per-thread depth counter keeps our
 * own calls (the emulator opens and stats files too) from being intercepted again.
 */
#ifndef BPFEMU_SHIM_PRELOAD_H
#define BPFEMU_SHIM_PRELOAD_H

#include <dlfcn.h>
#include <stdio.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))
#define BPF_FS_MAGIC 0xcafe4a11

/* The recursion guard (preload.c). Hidden, not static: syscall()'s assembly entry reads it too. */
extern __thread int shim_depth __attribute__((tls_model("initial-exec")));
#define depth shim_depth

/* Look the next definition up once; a NULL result is fatal only if the program calls it. */
#define REAL(ret, name, ...)                                                                        \
	static ret (*real_##name)(__VA_ARGS__);                                                     \
	static inline ret (*get_##name(void))(__VA_ARGS__)                                          \
	{                                                                                           \
		if (!__atomic_load_n(&real_##name, __ATOMIC_ACQUIRE))                              \
			__atomic_store_n(&real_##name, (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name), \
					 __ATOMIC_RELEASE);                                         \
		return real_##name;                                                                 \
	}

/* glibc declares path arguments nonnull, but a program may still pass NULL and expect EFAULT
 * from the kernel; hide the pointer from the optimizer so our NULL checks survive. */
static inline const char *opaque(const char *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* procfs.c: the files the preload fakes for a path (fdinfo of an emulated object, the possible
 * CPUs under BPFEMU_NR_CPUS): an fd or FILE of the text, -1 or NULL when the path is none of them */
int shim_fake_open(const char *path);
FILE *shim_fake_fopen(const char *path);
/* poll.c: an fd number closed or reused: its epoll registrations (as a map fd or an epoll fd) go */
void shim_poll_forget(int fd);

#endif
