/* SPDX-License-Identifier: MIT */
/*
 * The architecture layer: the little the emulator needs that C cannot say portably. Every
 * architecture has the portable path; a fast path for one is chosen at build time (cmake
 * -DBPFEMU_ARCH_FASTPATH=ON, the default, on a machine it exists for), defines EMU_ARCH_FIXUP and
 * links its assembly (emu/arch/<arch>/).
 *
 *   emu_cpu_relax()                a spin-wait hint
 *   EMU_ARCH_FIXUP                 user copies in assembly whose faults return -EFAULT through an
 *                                  instruction-pointer fixup (arch/<arch>/fixup.h); without it,
 *                                  copies run under sigsetjmp (uaccess/sigfault.c)
 *   EMU_ARCH_TICKS                 emu_arch_ticks(): a free-running cycle counter the kernel may
 *                                  keep time with (x86-64's TSC; util/stopwatch.c decides whether
 *                                  it does); without it, the stopwatch reads CLOCK_MONOTONIC
 */
#ifndef BPFEMU_ARCH_H
#define BPFEMU_ARCH_H

#include "../util/compiler.h"

static inline void emu_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* The fast path's copies are invisible to AddressSanitizer, which must see the faults it expects
 * to report elsewhere: ASan builds take the portable path. */
#if defined(EMU_ARCH_X86_64) && !defined(EMU_ASAN)
#define EMU_ARCH_FIXUP 1
#include "x86_64/fixup.h"
#endif

#if defined(EMU_ARCH_X86_64)
#include <x86intrin.h>
#define EMU_ARCH_TICKS 1
/* unordered: a duration's ends may move by a few instructions, not by a clock read's cost */
static inline uint64_t emu_arch_ticks(void) { return __rdtsc(); }
#endif

#endif
