/* SPDX-License-Identifier: MIT */
/*
 * The top of user space, as this kernel's access_ok() draws it: the first address a user pointer
 * may not reach. It depends on the architecture and the kernel's configuration (x86-64 with 4- or
 * 5-level page tables, arm64 with 39, 48 or 52-bit addresses), so it is asked of the kernel, not
 * assumed: write() checks its buffer with access_ok() before the file sees it, and /dev/null then
 * reads nothing, so a one-byte write at address a fails with EFAULT exactly when a is at or
 * beyond the top. A binary search finds the boundary once per process (about 50 write() calls at
 * load). Where /dev/null cannot be opened, the top is the architecture's usual one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/compiler.h"
#include "uaccess.h"

/* valgrind reports each probe as a bad write() buffer: the probes are deliberate, so its error
 * reporting is paused around them where its header is there to say so. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define PROBES_BEGIN() VALGRIND_DISABLE_ERROR_REPORTING
#define PROBES_END() VALGRIND_ENABLE_ERROR_REPORTING
#endif
#endif
#ifndef PROBES_BEGIN
#define PROBES_BEGIN() ((void)0)
#define PROBES_END() ((void)0)
#endif

#if UINTPTR_MAX == 0xffffffffu
#define TOP_GUESS 0xc0000000u /* 32-bit: the usual 3G/1G split */
#elif defined(__x86_64__)
#define TOP_GUESS 0x7ffffffff000ull /* 47-bit user space, its top page left out */
#elif defined(__aarch64__)
#define TOP_GUESS 0x1000000000000ull /* 48-bit virtual addresses */
#else
#define TOP_GUESS 0x8000000000000000ull
#endif

uintptr_t emu_user_top = (uintptr_t)TOP_GUESS;

/* syscall(), not write(): a sanitizer's write() reads the buffer's shadow first, which for an
 * address past user space is itself a crash. */
static bool user_addr_ok(int fd, uintptr_t a)
{
	return syscall(SYS_write, fd, a, 1) == 1;
}

__attribute__((constructor)) static void user_top_init(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	uintptr_t lo = EMU_PAGE_SIZE, hi = UINTPTR_MAX; /* lo is a user address, hi is not */

	bool sane;

	if (fd < 0)
		return;
	PROBES_BEGIN();
	/* an oracle that does not answer as expected is not used */
	sane = user_addr_ok(fd, lo) && !user_addr_ok(fd, hi);
	while (sane && hi - lo > 1) {
		uintptr_t mid = lo + (hi - lo) / 2;

		if (user_addr_ok(fd, mid))
			lo = mid;
		else
			hi = mid;
	}
	PROBES_END();
	close(fd);
	if (sane)
		emu_user_top = hi;
}
