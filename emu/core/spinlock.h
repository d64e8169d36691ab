/* SPDX-License-Identifier: MIT */
/*
 * struct bpf_spin_lock: the 4-byte word inside a map value that BPF_F_LOCK copies (core/value.c)
 * and programs' bpf_spin_lock()/bpf_spin_unlock() take. The word lives in the shared map file, so
 * the lock is process-shared as it is: 0 is free, anything else held (EMU_SPIN_HELD by a program,
 * EMU_SPIN_HELD_SYSCALL by a BPF_F_LOCK copy of the syscall path). Every taker, syscall path or
 * helper, must use these functions on the same word.
 *
 * CRASH CAVEAT. A process killed while it holds the lock leaves the word taken, and every later
 * taker spins (yielding the CPU after a while, and saying so once on stderr after a second). A
 * BPF_F_LOCK copy made by the syscall path holds the map lock too and records the word in the map
 * header (spin_held), so the next map lock holder's repair releases it if it still holds the
 * syscall path's value (a copier killed while it waited leaves a program's hold alone); a program killed between
 * bpf_spin_lock and bpf_spin_unlock leaves the lock taken for good, and the value it was writing
 * possibly half written. The kernel has no such failure: a program cannot be killed halfway.
 *
 * The fast paths are inline here; the wait is core/spinlock.c's.
 *
 * Not async-signal-safe, and not reentrant: a thread that takes a lock it holds spins forever, as
 * a kernel program could not (the verifier forbids it).
 */
#ifndef BPFEMU_CORE_SPINLOCK_H
#define BPFEMU_CORE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_SPIN_HELD 1u
#define EMU_SPIN_HELD_SYSCALL 2u

static inline bool emu_spin_trylock_as(uint32_t *word, uint32_t holder)
{
	uint32_t free = 0;

	return __atomic_compare_exchange_n(word, &free, holder, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* The slow path (core/spinlock.c): spin on reads (no line stealing from the holder), then yield,
 * then say so once. */
void emu_spin_lock_wait(uint32_t *word, uint32_t holder);

/* holder: EMU_SPIN_HELD (programs) or EMU_SPIN_HELD_SYSCALL */
static inline void emu_spin_lock_as(uint32_t *word, uint32_t holder)
{
	if (!emu_spin_trylock_as(word, holder))
		emu_spin_lock_wait(word, holder);
}

/* bpf_spin_lock() of a program */
static inline void emu_spin_lock(uint32_t *word)
{
	emu_spin_lock_as(word, EMU_SPIN_HELD);
}

static inline void emu_spin_unlock(uint32_t *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

#endif
