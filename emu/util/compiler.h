/* SPDX-License-Identifier: MIT */
/* What every emulator file may need from the compiler: sanitizer builds, visibility, rounding. */
#ifndef BPFEMU_UTIL_COMPILER_H
#define BPFEMU_UTIL_COMPILER_H

#include <stddef.h>
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

/* Zeroed memory for a type declared with _Alignas beyond malloc's 16 bytes (program headers
 * keep their stats and bind lock on cache lines of their own): EMU_ZALLOC(struct x). */
#define EMU_ZALLOC(type) ((type *)emu_zalloc_aligned(sizeof(type), _Alignof(type)))
void *emu_zalloc_aligned(size_t size, size_t align);

/*
 * Clears n bytes at p, for a struct cleared on a hot path: 16-byte stores of a zero the compiler
 * cannot see, then 8, then single bytes. What it buys: gcc makes a memset of a struct of 100 to
 * 400 bytes a `rep stos` on x86-64, whose start takes ~30 cycles (three of them were a fifth of
 * a TEST_RUN call through the preload). n should be a constant (the loops unroll).
 */
static inline __attribute__((always_inline)) void emu_clear(void *p, size_t n)
{
	typedef uint64_t emu_v2u64 __attribute__((vector_size(16)));
	unsigned char *b = (unsigned char *)p;
	uint64_t z = 0;
	emu_v2u64 zz;
	size_t i = 0;

	__asm__("" : "+r"(z)); /* an unknown value: no memset to turn the stores back into */
	zz = (emu_v2u64){ z, z };
#pragma GCC unroll 32
	for (; i + 16 <= n; i += 16)
		__builtin_memcpy(b + i, &zz, 16);
	for (; i + 8 <= n; i += 8)
		__builtin_memcpy(b + i, &z, 8);
	for (; i < n; i++)
		b[i] = (unsigned char)z;
}

/* Symbols of the public API; everything else is hidden. */
#define EMU_API __attribute__((visibility("default")))

#endif
