/* SPDX-License-Identifier: MIT */
/*
 * e2e_nobpf PROGRAM [ARG]...: run PROGRAM where bpf() is forbidden, as in a container with
 * kernel.unprivileged_bpf_disabled=2: a seccomp filter makes every bpf() call of PROGRAM and its
 * children fail with EPERM. tests/e2e/require_kernel.sh runs every test that needs the kernel under
 * it, to prove each one skips (77) there, and fails under BPFEMU_REQUIRE_KERNEL=1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* the native ABI's number on any architecture; the compat ABIs of x86-64 too */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#if defined(__x86_64__)
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 357, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(f) / sizeof(f[0])), f };

	if (argc < 2) {
		fprintf(stderr, "usage: e2e_nobpf PROGRAM [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		perror("e2e_nobpf: seccomp");
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "e2e_nobpf: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
