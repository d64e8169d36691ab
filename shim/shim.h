/* SPDX-License-Identifier: MIT */
/* Shared between the preload's interposers and its trace decoder. */
#ifndef BPFEMU_SHIM_H
#define BPFEMU_SHIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../emu/frontend.h"

/* Debug level from BPFEMU_DEBUGLEVEL: 1 explains every interception, 2 also what passed by. */
extern int shim_debug;
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Trace of bpf() calls (BPFEMU_TRACE): one strace-style line each. */
bool shim_trace_enabled(void);
void shim_trace_call(int cmd, const void *uattr, unsigned size, const struct emu_attr *before, long ret, int err);
/* The same line in two steps, for a call of another process (the seccomp supervisor): the call
 * decoded while its memory is as the call left it ("bpf(CMD, {...}, size)"), then the line written
 * with its result. */
size_t shim_trace_format_call(char *buf, size_t len, int cmd, const void *uattr, unsigned size,
			      const struct emu_attr *before);
void shim_trace_write(int pid, const char *call, long ret, int err);
/* How the trace finds a map's sizes from an fd number of the traced program (emu_map_describe). */
extern int (*shim_trace_describe)(int fd, struct emu_map_desc *d);
/* The decoded call as the trace shows it, without the pid: "bpf(CMD, {...}, size) = ret ERRNO (text)". */
size_t shim_trace_format(char *buf, size_t len, int cmd, const void *uattr, unsigned size,
			 const struct emu_attr *before, long ret, int err);

/* Differential mode (BPFEMU_DIFF, diffmode.c): the call runs on the kernel too, against mirror
 * maps, and what the two wrote is compared. Returns the emulator's answer (ret or -errno) and the
 * attr as the caller passed it in *before (for the trace). */
bool shim_diff_enabled(void);
long shim_diff_bpf(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before);
/* The seccomp supervisor's way in. shim_diff_supervisor_init: once, before the program starts
 * (exits 125 with the reason when the kernel side cannot be had); pid and name: the program, for
 * the summary. shim_diff_supervised: one call of the program, its attr copied into *a by the
 * supervisor (copy_err: what the copy returned; a's fd fields already fds of ours), r the
 * program's memory and fds; *before is the attr as the program passed it. */
void shim_diff_supervisor_init(int pid, const char *name);
long shim_diff_supervised(int cmd, union bpf_attr *uattr, unsigned size, const struct emu_attr *a, long copy_err,
			  const struct emu_attr *before, const struct emu_uaccess_remote *r);

#endif
