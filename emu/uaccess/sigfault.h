/* SPDX-License-Identifier: MIT */
/*
 * The SIGSEGV/SIGBUS handler behind every user copy in this process (uaccess/sigfault.c), private
 * to uaccess/. A fault inside a copy becomes -EFAULT: through the architecture's fixup where it
 * has one (arch/arch.h), else by a siglongjmp out of the copy. Any other fault goes to whatever
 * handler the program had, so its own crash handling is unchanged.
 */
#ifndef BPFEMU_UACCESS_SIGFAULT_H
#define BPFEMU_UACCESS_SIGFAULT_H

#include <stdbool.h>
#include <stddef.h>

/* Installed on the first copy; a plain load tells after that (pthread_once was a call each time). */
extern bool emu_sigfault_ready __attribute__((visibility("hidden")));
void emu_sigfault_install(void);
static inline void emu_sigfault_ensure(void)
{
	if (!__atomic_load_n(&emu_sigfault_ready, __ATOMIC_ACQUIRE))
		emu_sigfault_install();
}

/* Copies under sigsetjmp: 0 or -EFAULT. The second goes byte by byte, so a fault leaves exactly
 * the bytes before it written (copy_to_user's rule). */
int emu_sigjmp_copy(void *dst, const void *src, size_t n);
int emu_sigjmp_copy_bytes(void *dst, const void *src, size_t n);
/* Whether a write to p would fault, without changing the byte (a locked compare-and-swap of the
 * byte with itself, so another thread's store is never lost). */
bool emu_sigjmp_writable(void *p);

#endif
