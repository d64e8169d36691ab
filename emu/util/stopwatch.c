/* SPDX-License-Identifier: MIT */
/*
 * The stopwatch (stopwatch.h): CLOCK_MONOTONIC, or the architecture's cycle counter scaled by a
 * ratio calibrated against it.
 *
 * Calibration: the first start that may use the counter records an anchor pair (counter,
 * CLOCK_MONOTONIC ns); a start at least CAL_NS later reads another pair and publishes ns per tick
 * in 32.32 fixed point. A pair is the counter read between two clock reads, kept only when those
 * are less than CAL_WINDOW_NS apart (a thread preempted in between would skew the ratio by the
 * time it was away): the ratio is then good to 1e-3 or better. A ratio outside 0.05-20 ns per
 * tick (a counter that is not the kernel's clock after all) turns the counter off for good.
 */
#define _GNU_SOURCE /* arch.h: the fixup header names ucontext registers */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "stopwatch.h"

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#ifdef EMU_ARCH_TICKS

#define CAL_NS 10000000ull   /* 10 ms between the calibration's two readings */
#define CAL_WINDOW_NS 5000ull /* the most a reading's two clock reads may be apart */

enum { CAL_UNKNOWN, CAL_CLAIMED, CAL_OFF, CAL_ANCHORED, CAL_DONE };

static int cal_state = CAL_UNKNOWN;
static uint64_t anchor_ticks, anchor_ns;
static uint64_t ns_per_tick; /* 32.32 fixed point, valid in CAL_DONE */

/* whether the kernel keeps time with the counter: its current clocksource is "tsc" */
static bool kernel_uses_ticks(void)
{
	char buf[16] = "";
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 3 && !strncmp(buf, "tsc", 3) && (n == 3 || buf[3] == '\n');
}

/* one step of the calibration, by a start that reads CLOCK_MONOTONIC (state: as it saw it) */
static __attribute__((noinline, cold)) void calibrate(int state)
{
	uint64_t n0 = mono_ns(), t = emu_arch_ticks(), n = mono_ns();

	if (n - n0 >= CAL_WINDOW_NS)
		return; /* not a usable reading: the next start tries again */
	if (state == CAL_UNKNOWN) {
		/* one thread claims the anchor; the others read CLOCK_MONOTONIC meanwhile */
		if (!__atomic_compare_exchange_n(&cal_state, &state, CAL_CLAIMED, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return;
		anchor_ticks = t;
		anchor_ns = n0 + (n - n0) / 2;
		__atomic_store_n(&cal_state, kernel_uses_ticks() ? CAL_ANCHORED : CAL_OFF, __ATOMIC_RELEASE);
		return;
	}
	n = n0 + (n - n0) / 2;
	if (state != CAL_ANCHORED || n - anchor_ns < CAL_NS || t <= anchor_ticks)
		return;
	{
		unsigned __int128 r = ((unsigned __int128)(n - anchor_ns) << 32) / (t - anchor_ticks);

		/* 0.05-20 ns per tick: a 50 MHz to 20 GHz counter */
		if (r < (1ull << 32) / 20 || r > 20ull << 32) {
			__atomic_store_n(&cal_state, CAL_OFF, __ATOMIC_RELEASE);
			return;
		}
		__atomic_store_n(&ns_per_tick, (uint64_t)r, __ATOMIC_RELAXED);
		__atomic_store_n(&cal_state, CAL_DONE, __ATOMIC_RELEASE);
	}
}

void emu_stopwatch_start(struct emu_stopwatch *w)
{
	int state = __atomic_load_n(&cal_state, __ATOMIC_ACQUIRE);

	if (__builtin_expect(state == CAL_DONE, 1)) {
		w->t0 = emu_arch_ticks();
		w->ticks = true;
		return;
	}
	if (state != CAL_OFF && state != CAL_CLAIMED)
		calibrate(state);
	w->t0 = mono_ns();
	w->ticks = false;
}

uint64_t emu_stopwatch_ns(const struct emu_stopwatch *w)
{
	if (w->ticks) {
		uint64_t d = emu_arch_ticks() - w->t0;

		if ((int64_t)d < 0)
			return 0; /* not with the kernel's synchronised counters; never a wrapped duration */
		return (uint64_t)(((unsigned __int128)d * __atomic_load_n(&ns_per_tick, __ATOMIC_RELAXED)) >> 32);
	}
	return mono_ns() - w->t0;
}

#else /* no cycle counter: CLOCK_MONOTONIC */

void emu_stopwatch_start(struct emu_stopwatch *w)
{
	w->t0 = mono_ns();
	w->ticks = false;
}

uint64_t emu_stopwatch_ns(const struct emu_stopwatch *w)
{
	return mono_ns() - w->t0;
}

#endif
