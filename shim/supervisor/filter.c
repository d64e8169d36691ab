/* SPDX-License-Identifier: MIT */
/*
 * Which system calls the supervised program traps, and who answers each: the one table of them,
 * and the classic-BPF seccomp filter built from it.
 *
 * The filter looks at nothing but the architecture, the call's number and, for mmap, whether the
 * mapping is anonymous: a path is a pointer, which a filter cannot follow, so every call that may
 * name /sys/fs/bpf or /proc/self/fd* traps, and the supervisor continues (SECCOMP_USER_NOTIF_FLAG_
 * CONTINUE) the ones that are not its business. Calls of the native ABI are trapped from the
 * table; of the other ABIs the same kernel runs (i386 and x32 on x86-64, arm on arm64) only bpf(),
 * answered like a native one: no compat call reaches the kernel's bpf() behind our back, and their
 * path calls (other numbers, other struct layouts) are left to the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "supervisor.h"

#if defined(__x86_64__)
#define SV_ARCH AUDIT_ARCH_X86_64
#define SV_COMPAT_ARCH AUDIT_ARCH_I386
#define SV_COMPAT_BPF 357
#define SV_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define SV_ARCH AUDIT_ARCH_AARCH64
#define SV_COMPAT_ARCH AUDIT_ARCH_ARM
#define SV_COMPAT_BPF 386
#elif defined(__riscv) && __riscv_xlen == 64
#define SV_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SV_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define SV_ARCH AUDIT_ARCH_S390X
#elif defined(__loongarch64)
#define SV_ARCH AUDIT_ARCH_LOONGARCH64
#endif

/* The trapped calls of the native ABI and their answerers (the legacy path calls exist only on
 * some architectures; the *at forms everywhere). */
static const struct trap {
	long nr;
	sv_answer_fn *fn;
} traps[] = {
	{ SYS_bpf, sv_bpf },
	{ SYS_openat, sv_open },
#ifdef SYS_open
	{ SYS_open, sv_open },
#endif
#ifdef SYS_creat
	{ SYS_creat, sv_open },
#endif
#ifdef SYS_openat2
	{ SYS_openat2, sv_open },
#endif
#ifdef SYS_statx
	{ SYS_statx, sv_stat },
#endif
#if __SIZEOF_LONG__ == 8 /* where the C library's struct stat and statfs are the kernel's */
#ifdef SYS_newfstatat
	{ SYS_newfstatat, sv_stat },
#endif
#ifdef SYS_stat
	{ SYS_stat, sv_stat },
#endif
#ifdef SYS_lstat
	{ SYS_lstat, sv_stat },
#endif
	{ SYS_statfs, sv_statfs },
	{ SYS_fstatfs, sv_statfs },
#endif
	{ SYS_readlinkat, sv_readlink },
#ifdef SYS_readlink
	{ SYS_readlink, sv_readlink },
#endif
	{ SYS_faccessat, sv_access },
#ifdef SYS_faccessat2
	{ SYS_faccessat2, sv_access },
#endif
#ifdef SYS_access
	{ SYS_access, sv_access },
#endif
	{ SYS_mkdirat, sv_mkdir },
#ifdef SYS_mkdir
	{ SYS_mkdir, sv_mkdir },
#endif
	{ SYS_unlinkat, sv_unlink },
#ifdef SYS_unlink
	{ SYS_unlink, sv_unlink },
#endif
#ifdef SYS_rmdir
	{ SYS_rmdir, sv_unlink },
#endif
#ifdef SYS_renameat
	{ SYS_renameat, sv_rename },
#endif
#ifdef SYS_renameat2
	{ SYS_renameat2, sv_rename },
#endif
#ifdef SYS_rename
	{ SYS_rename, sv_rename },
#endif
	{ SYS_mount, sv_mount },
	{ SYS_epoll_ctl, sv_epoll_ctl }, /* a map fd's registration (epoll.c); others continued */
#if __SIZEOF_LONG__ == 8 /* 32-bit ABIs map with mmap2, or old_mmap's argument block */
	{ SYS_mmap, sv_mmap }, /* file-backed mappings only: see the filter */
#endif
};
#define NR_TRAPS (sizeof(traps) / sizeof(traps[0]))

/* The answerer of a notification's call, or NULL (never trapped: continue it). */
sv_answer_fn *sv_answerer(uint32_t arch, int nr)
{
#ifdef SV_ARCH
	if (arch == SV_ARCH) {
#ifdef SV_X32_BIT
		if ((uint32_t)nr & SV_X32_BIT)
			return (uint32_t)nr == (SV_X32_BIT | SYS_bpf) ? sv_bpf : NULL;
#endif
		for (size_t i = 0; i < NR_TRAPS; i++)
			if (traps[i].nr == nr)
				return traps[i].fn;
		return NULL;
	}
#ifdef SV_COMPAT_ARCH
	if (arch == SV_COMPAT_ARCH && nr == SV_COMPAT_BPF)
		return sv_bpf;
#endif
#else
	(void)arch;
	(void)nr;
#endif
	return NULL;
}

#ifdef SV_ARCH
#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#endif

int sv_filter_build(struct sock_fprog *prog)
{
#ifdef SV_ARCH
	/* 2 per trapped call, and a fixed head and tail */
	static struct sock_filter f[2 * NR_TRAPS + 24];
	unsigned n = 0;

	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
#ifdef SV_COMPAT_ARCH
	/* a foreign ABI: its bpf() traps, nothing else */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SV_COMPAT_ARCH, 0, 4);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SV_COMPAT_BPF, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#endif
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SV_ARCH, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef SV_X32_BIT
	f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, SV_X32_BIT, 0, 3);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SV_X32_BIT | SYS_bpf, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#endif
	for (size_t i = 0; i < NR_TRAPS; i++) {
		if (traps[i].nr == SYS_mmap)
			continue;
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)traps[i].nr, 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	}
#if __SIZEOF_LONG__ == 8
	/* mmap: only a file-backed mapping can name a map's fd (the Go runtime and malloc map
	 * anonymous memory all the time; those never trap), and an emulator's mapping of its own
	 * files (EMU_MAP_OWN, frontend.h) is none of ours either */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 6);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(3));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 3, 0);
	f[n++] = STMT(BPF_ALU | BPF_AND | BPF_K, MAP_TYPE);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, EMU_MAP_OWN, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#endif
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog->len = (unsigned short)n;
	prog->filter = f;
	return 0;
#else
	(void)prog;
	return -ENOSYS; /* no seccomp architecture constant known for this machine */
#endif
}
