/* SPDX-License-Identifier: MIT */
/*
 * What bpfemu-run.c needs of the seccomp supervisor (supervisor.h has the rest): which way a
 * program must run, and running it supervised.
 */
#ifndef BPFEMU_SUPERVISOR_RUN_H
#define BPFEMU_SUPERVISOR_RUN_H

#include <stddef.h>

enum sv_mode { SV_MODE_PRELOAD, SV_MODE_SECCOMP };

/* choose.c: the way PROGRAM (a name execvp() would search for) must run: the supervisor when it
 * is statically linked or a Go binary (cgo or not), or a script whose interpreter is; the preload
 * otherwise. *why: a short reason for --debug. Never fails: an unreadable program gets the preload,
 * and exec reports the problem. */
enum sv_mode sv_choose_mode(const char *prog, char *why, size_t len);

/* launch.c: run argv under the supervisor, with the emulator's settings already in the
 * environment (BPFEMU_TRACE, BPFEMU_BPFFS, ...). Returns only when the program could not be
 * started: 125 after a message (the kernel lacks what the supervisor needs, or a system call
 * failed), 126 or 127 as exec says. Otherwise exits with the program's status (a signal that
 * killed it is raised again). */
int sv_run(const char *prog_name, char **argv, int debug);

#endif
