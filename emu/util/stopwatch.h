/* SPDX-License-Identifier: MIT */
/*
 * Elapsed CLOCK_MONOTONIC nanoseconds between two points of this thread, read cheaply: what
 * BPF_PROG_TEST_RUN's duration measures (the kernel's bpf_test_timer reads ktime_get_ns around
 * its loop).
 *
 *   struct emu_stopwatch w;
 *   emu_stopwatch_start(&w);
 *   ... ns = emu_stopwatch_ns(&w);
 *
 * What it buys: clock_gettime(CLOCK_MONOTONIC) costs 26 ns here (a KVM guest: the vDSO's ordered
 * counter read and its scaling; 10 ns for a bare counter read, both in thread CPU time over 1e6
 * reads), and a single TEST_RUN call reads the clock twice, of about 220 ns a call through the
 * preload. Where the architecture layer has a cycle counter (EMU_ARCH_TICKS) and the kernel keeps
 * time with it (the "tsc" clocksource: synchronised across CPUs, constant rate), the stopwatch
 * reads the counter instead and scales it by a ratio it calibrates against CLOCK_MONOTONIC from
 * two readings of its own at least 10 ms apart (no calibration stall: until then, in the first
 * 10 ms of a process, it reads CLOCK_MONOTONIC and takes the readings on the way). Elsewhere, it
 * is CLOCK_MONOTONIC.
 */
#ifndef BPFEMU_UTIL_STOPWATCH_H
#define BPFEMU_UTIL_STOPWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct emu_stopwatch {
	uint64_t t0;
	bool ticks; /* t0 is a cycle count, else CLOCK_MONOTONIC ns */
};

void emu_stopwatch_start(struct emu_stopwatch *w);
uint64_t emu_stopwatch_ns(const struct emu_stopwatch *w);

#endif
