/* SPDX-License-Identifier: MIT */
/*
 * bpfemu-run's rooms (shim/run/) share this header:
 *   main.c        options, variables, the checks made before anything runs, the order of it all
 *   help.c        --help, the one text the man page (docs/bpfemu-run.1) is checked against
 *   preload_lib.c finding the preload library, checking it can load, LD_PRELOAD
 *   program.c     what PROGRAM is: its file, static or dynamic, set-user-ID, its architecture
 *   child.c       the child's set-up between fork and exec (seccomp net, handshake fd, exec)
 *   supervise.c   the parent: the preload's handshake, signals passed on, the exit status
 *   clean.c       --clean: removing this user's pins
 *
 * The invariant bpfemu-run keeps: no bpf() call of a program it started reaches the kernel unless
 * --diff was asked for. The preload answers bpf() through syscall(); every other way to the
 * kernel (a static binary, Go, the syscall instruction, a preload the dynamic loader dropped) meets
 * a seccomp filter installed before exec that refuses __NR_bpf with ENOSYS, in every process the
 * program starts. The preload's constructor proves it is active in PROGRAM (the handshake); without
 * that proof bpfemu-run says why and exits 125.
 */
#ifndef BPFEMU_SHIM_RUN_H
#define BPFEMU_SHIM_RUN_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum {
	EXIT_RUN_FAILED = 125,
	EXIT_CANNOT_INVOKE = 126,
	EXIT_NOT_FOUND = 127,
};

/* The errno a direct bpf() call gets under bpfemu-run (not through the preload). */
#define RUN_DENIED_ERRNO 38 /* ENOSYS */

extern const char *prog_name;

/* help.c */
void run_usage(FILE *out);
void run_try_help(void);

/* main.c */
bool run_set_var(const char *name, const char *value);
char *run_absolute(const char *path);

/* preload_lib.c */
char *run_find_preload(const char *requested, bool debug);
char *run_build_ld_preload(const char *lib, const char *old);
/* Whether the dynamic loader can load lib into a program of ELF class cls and machine (0, 0: this
 * program's own): NULL, or why not, written to buf. */
const char *run_preload_loadable(const char *lib, int cls, int machine, char *buf, size_t len);

/* program.c */
struct run_program {
	char *path;    /* the file execvp() would run, NULL if none found */
	char *static_elf; /* the file that runs without the dynamic loader (path or a script's interpreter) */
	int cls, machine; /* the ELF class and machine that will run, 0 if unknown */
	bool setid;    /* set-user-ID or set-group-ID to someone else */
	bool fcaps;    /* has file capabilities */
};
void run_inspect_program(const char *name, struct run_program *p);
void run_free_program(struct run_program *p);

/* child.c: everything between fork() and exec(), in the child. */
struct run_child {
	char *const *argv;      /* PROGRAM and its arguments */
	bool deny_bpf;          /* install the seccomp net (every mode but --diff) */
	int handshake_fd;       /* the pipe end the preload writes to, kept across exec */
	int exec_err_fd;        /* close-on-exec: the exec's errno is written here if it fails */
	const void *old_mask;   /* the signal mask to restore (sigset_t) */
};
void run_child_exec(const struct run_child *c) __attribute__((noreturn));
/* The seccomp net alone, in the calling process: 0 or -errno. */
int run_deny_bpf(void);

/* supervise.c: fork PROGRAM, wait for its handshake, pass signals on, give its exit status. */
struct run_opts {
	char *const *argv;
	bool deny_bpf;
	bool diff;
	bool debug;
	bool expect_handshake; /* false for a static PROGRAM: warned about, its status passed on */
};
int run_supervise(const struct run_opts *o);

/* clean.c */
int run_clean(bool debug);

#endif
