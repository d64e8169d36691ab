/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * The child, between fork() and exec(): everything PROGRAM starts with that the parent cannot give
 * it afterwards. Today: the seccomp net that refuses bpf() to everything that does not go through
 * the preload, the handshake pipe the preload's constructor writes to, and the exec. A seccomp
 * supervisor mode (user notification, for static and Go programs) extends run_child_exec(): it
 * installs its own filter here instead and hands the listener fd to the parent.
 *
 * No malloc and no stdio after fork() (the parent is single-threaded today; a supervisor may not
 * be). A failure before exec is reported on exec_err_fd as two ints, {stage, errno}: stage 1 the
 * seccomp net, 2 the handshake fd, 3 the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run.h"

/* bpf()'s number for each ABI this machine's kernel runs: the native one and its compat ones, so
 * a 32-bit program cannot reach the kernel's bpf() either. Unknown machines get a filter on the
 * native number for every ABI. */
struct deny_rule {
	uint32_t arch; /* 0: any */
	uint32_t nr;
};
static const struct deny_rule deny_rules[] = {
#if defined(__x86_64__)
	{ AUDIT_ARCH_X86_64, 321 },
	{ AUDIT_ARCH_X86_64, 0x40000000u | 321 }, /* x32 */
	{ AUDIT_ARCH_I386, 357 },
#elif defined(__aarch64__)
	{ AUDIT_ARCH_AARCH64, 280 },
	{ AUDIT_ARCH_ARM, 386 },
#elif defined(__i386__)
	{ AUDIT_ARCH_I386, 357 },
#elif defined(__arm__)
	{ AUDIT_ARCH_ARM, 386 },
#elif defined(__riscv) && __riscv_xlen == 64
	{ AUDIT_ARCH_RISCV64, 280 },
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{ AUDIT_ARCH_PPC64LE, 361 },
#elif defined(__s390x__)
	{ AUDIT_ARCH_S390X, 351 },
#else
	{ 0, __NR_bpf },
#endif
};

#define NRULES (sizeof(deny_rules) / sizeof(deny_rules[0]))

int run_deny_bpf(void)
{
	struct sock_filter f[NRULES * 5 + 1];
	struct sock_fprog prog;
	unsigned n = 0;

	for (unsigned i = 0; i < NRULES; i++) {
		const struct deny_rule *r = &deny_rules[i];

		if (r->arch) {
			f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->arch, 0, 3);
		}
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (RUN_DENIED_ERRNO & SECCOMP_RET_DATA));
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	/* no_new_privs: what an unprivileged process needs to install a filter, and what keeps a
	 * set-user-ID PROGRAM from dropping the preload (it runs without its privilege instead) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
}

static void report(int fd, int stage, int err)
{
	int rec[2] = { stage, err };

	(void)!write(fd, rec, sizeof(rec));
}

void run_child_exec(const struct run_child *c)
{
	int err;

	/* killing bpfemu-run kills PROGRAM, as it did when bpfemu-run exec'd it */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1) /* the parent already died */
		_exit(EXIT_RUN_FAILED);
	if (c->deny_bpf) {
		err = run_deny_bpf();
		if (err) {
			report(c->exec_err_fd, 1, -err);
			_exit(EXIT_RUN_FAILED);
		}
	}
	/* the one fd PROGRAM inherits from us (BPFEMU_HANDSHAKE, set by the parent, names it) */
	if (c->handshake_fd >= 0 && fcntl(c->handshake_fd, F_SETFD, 0)) {
		report(c->exec_err_fd, 2, errno);
		_exit(EXIT_RUN_FAILED);
	}
	sigprocmask(SIG_SETMASK, (const sigset_t *)c->old_mask, NULL);
	execvp(c->argv[0], c->argv);
	report(c->exec_err_fd, 3, errno);
	_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
}
