/* SPDX-License-Identifier: MIT */
/* What every emulator file may need from the compiler: sanitizer builds, visibility, rounding. */
#ifndef BPFEMU_UTIL_COMPILER_H
#define BPFEMU_UTIL_COMPILER_H

#include <stdint.h>

/* Sanitizer builds: EMU_ASAN, EMU_TSAN (gcc and clang spell the test differently). */
#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EMU_TSAN 1
#endif
#endif

/* The page size the kernel measures attr tails and info structs in (PAGE_SIZE), and map files
 * align mmapable data to. 4096 on x86-64 and on the arm64 kernels Debian builds. */
#define EMU_PAGE_SIZE 4096u

static inline uint32_t emu_round_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }
static inline uint64_t emu_round_up64(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* Symbols of the public API; everything else is hidden. */
#define EMU_API __attribute__((visibility("default")))

#endif
