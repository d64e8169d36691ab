/* SPDX-License-Identifier: MIT */
/* The wait of a bpf_spin_lock taker (see spinlock.h, and its crash caveat). */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "../arch/arch.h"
#include "../util/diag.h"
#include "spinlock.h"

#define SPIN_RELAX 256            /* pause instructions before the first yield */
#define SPIN_WARN_NS 1000000000LL /* held this long: say why it may never come free */

void emu_spin_lock_wait(uint32_t *word, uint32_t holder)
{
	struct timespec start = { 0, 0 }, now;
	bool warned = false;

	for (unsigned n = 0;; n++) {
		if (!__atomic_load_n(word, __ATOMIC_RELAXED) && emu_spin_trylock_as(word, holder))
			return;
		if (n < SPIN_RELAX) {
			emu_cpu_relax();
			continue;
		}
		sched_yield();
		if (warned || (n & 1023))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!start.tv_sec && !start.tv_nsec) {
			start = now;
		} else if ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) > SPIN_WARN_NS) {
			emu_diag("a bpf_spin_lock in a map value has been held for over a second; if the process "
				 "holding it was killed, it stays held (see emu/core/spinlock.h)");
			warned = true;
		}
	}
}
