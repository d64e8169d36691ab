/* SPDX-License-Identifier: MIT */
/*
 * The clocks (kernel/bpf/helpers.c): ktime_get_ns is CLOCK_MONOTONIC, ktime_get_boot_ns
 * CLOCK_BOOTTIME, ktime_get_coarse_ns CLOCK_MONOTONIC_COARSE, read in this process as the kernel
 * reads them. jiffies64 is the kernel's jiffies_64: INITIAL_JIFFIES (five minutes before the 32-bit
 * wrap) plus the ticks since boot at the kernel's HZ. HZ is not visible to an unprivileged
 * process: BPFEMU_HZ gives it, else 250 (the Debian and Ubuntu kernels' CONFIG_HZ).
 */
#include <stdlib.h>
#include <time.h>

#include "helpers.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

HELPER(ktime_get_ns)
{
	(void)run;
	UNUSED_ARGS5();
	return clock_ns(CLOCK_MONOTONIC);
}

HELPER(ktime_get_boot_ns)
{
	(void)run;
	UNUSED_ARGS5();
	return clock_ns(CLOCK_BOOTTIME);
}

HELPER(ktime_get_coarse_ns)
{
	(void)run;
	UNUSED_ARGS5();
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

static uint64_t hz(void)
{
	static uint64_t v;

	if (!v) {
		const char *e = getenv("BPFEMU_HZ");
		long h = e ? strtol(e, NULL, 10) : 0;

		__atomic_store_n(&v, h >= 24 && h <= 10000 ? (uint64_t)h : 250, __ATOMIC_RELAXED);
	}
	return v;
}

HELPER(jiffies64)
{
	uint64_t h = hz(), initial = (uint64_t)(uint32_t)(-300 * (int64_t)h);

	(void)run;
	UNUSED_ARGS5();
	/* (uint64_t)(uint32_t) as the kernel's INITIAL_JIFFIES on 64-bit: (unsigned int)(-300*HZ) */
	return initial + clock_ns(CLOCK_MONOTONIC) / (1000000000ull / h);
}
