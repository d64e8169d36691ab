/* SPDX-License-Identifier: MIT */
/* Shared between the preload's interposers and its trace decoder. */
#ifndef BPFEMU_SHIM_H
#define BPFEMU_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#include "../emu/internal.h"

/* Debug level from BPFEMU_DEBUGLEVEL: 1 explains every interception, 2 also what passed by. */
extern int shim_debug;
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Trace of bpf() calls (BPFEMU_TRACE): one strace-style line each. */
bool shim_trace_enabled(void);
void shim_trace_call(int cmd, const void *uattr, unsigned size, const struct emu_attr *before, long ret, int err);

#endif
