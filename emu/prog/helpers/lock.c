/* SPDX-License-Identifier: MIT */
/*
 * bpf_spin_lock / bpf_spin_unlock: the 4-byte lock word in a map value, taken and released with
 * core/spinlock.h, the same functions BPF_F_LOCK copies of the command layer use on the same
 * word (shared by every process that maps the map). The verifier pairs the calls and forbids
 * other calls in between; the run-time check here is that the word is program memory, aligned.
 */
#include "../../core/spinlock.h"
#include "helpers.h"

static uint32_t *lock_word(struct emu_run *run, uint64_t p, const char *name)
{
	if (p & 3) {
		emu_helper_fail(run, -EINVAL, "%s: lock at %#llx is not 4-byte aligned", name, (unsigned long long)p);
		return NULL;
	}
	if (!emu_helper_mem(run, p, 4, EMU_MEM_READ | EMU_MEM_WRITE, name, "lock"))
		return NULL;
	return (uint32_t *)(uintptr_t)p;
}

HELPER(spin_lock)
{
	uint32_t *w = lock_word(run, r1, "bpf_spin_lock");

	(void)r2, (void)r3, (void)r4, (void)r5;
	if (w)
		emu_spin_lock(w);
	return 0;
}

HELPER(spin_unlock)
{
	uint32_t *w = lock_word(run, r1, "bpf_spin_unlock");

	(void)r2, (void)r3, (void)r4, (void)r5;
	if (w)
		emu_spin_unlock(w);
	return 0;
}
