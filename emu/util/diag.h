/* SPDX-License-Identifier: MIT */
/* Diagnostics for the user, and the planted faults of test builds. */
#ifndef BPFEMU_UTIL_DIAG_H
#define BPFEMU_UTIL_DIAG_H

#include <stdbool.h>

/* One line on stderr, "bpfemu: ...", so a user sees why a call the kernel would take was refused. */
void emu_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same once per *said flag (a process is told of each unemulated feature once). */
void emu_diag_once(bool *said, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether a refused object file (dev, ino) is new to this process's last eight refusals: a file
 * refused again and again (every call that meets it) is reported once. */
bool emu_diag_file_new(unsigned long long dev, unsigned long long ino);

/* util/fault.c: deliberate mistakes that prove the differential checks catch one. Only test builds
 * (-DBPFEMU_FAULT_INJECTION=ON) compile them; BPFEMU_FAULT=<name>[,<name>...] turns them on. */
#ifdef BPFEMU_FAULT_INJECTION
bool emu_fault(const char *name);
#define EMU_FAULT(name) emu_fault(name)
#else
#define EMU_FAULT(name) false
#endif

#endif
