/* SPDX-License-Identifier: MIT */
/*
 * The fd cache: under the preload library, which sees the program's closes (close, close_range,
 * closefrom, dup2/dup3 over a number, fclose and freopen of streams, the same through syscall())
 * and the new fds it makes through the calls it interposes, an fd found to be a map (or a program:
 * a table of its own) stays known as that object until then, and an element, batch or TEST_RUN
 * call costs no fstat(). Every other command checks the entry first (core/registry.c,
 * core/prog_view.c), and BPFEMU_FDCACHE_VALIDATE=1 has every call check it: a close by a raw
 * system call instruction, followed by a reuse of the number the preload did not see either, is
 * otherwise answered as the old object (README). Without the preload (in-process API) it stays off
 * unless asked for, because a close() we cannot see could hand the number to another file.
 * Entries hold the map's view alive through its cache_refs count (the registry's sweep keeps such
 * maps), a program's view through its own (core/prog_view.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

#include "fdcache.h"
#include "prog_view.h"

uintptr_t *emu_fdcache_table;
uintptr_t *emu_fdcache_prog_table;
uintptr_t *emu_fdcache_trusted;
uintptr_t *emu_fdcache_prog_trusted;
bool emu_fdcache_validate;

int emu_fdcache_enable(void)
{
	static pthread_mutex_t enable_lock = PTHREAD_MUTEX_INITIALIZER;
	void *p;
	int err = 0;

	pthread_mutex_lock(&enable_lock);
	{
		const char *v = secure_getenv("BPFEMU_FDCACHE_VALIDATE");

		emu_fdcache_validate = v && !strcmp(v, "1");
	}
	if (!__atomic_load_n(&emu_fdcache_table, __ATOMIC_ACQUIRE)) {
		void *pp = mmap(NULL, EMU_FDCACHE_SLOTS * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		p = mmap(NULL, EMU_FDCACHE_SLOTS * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED && pp != MAP_FAILED) {
			/* the program table first: whoever sees the map table sees both */
			__atomic_store_n(&emu_fdcache_prog_table, pp, __ATOMIC_RELEASE);
			__atomic_store_n(&emu_fdcache_table, p, __ATOMIC_RELEASE);
		} else {
			err = -ENOMEM;
			if (p != MAP_FAILED)
				munmap(p, EMU_FDCACHE_SLOTS * sizeof(uintptr_t));
			if (pp != MAP_FAILED)
				munmap(pp, EMU_FDCACHE_SLOTS * sizeof(uintptr_t));
		}
	}
	__atomic_store_n(&emu_fdcache_prog_trusted, emu_fdcache_validate ? NULL : emu_fdcache_prog_table,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&emu_fdcache_trusted, emu_fdcache_validate ? NULL : emu_fdcache_table, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&enable_lock);
	return err;
}

static void prog_store(int fd, struct emu_prog *p)
{
	uintptr_t *c = __atomic_load_n(&emu_fdcache_prog_table, __ATOMIC_ACQUIRE), old;

	if (!c || fd < 0 || (unsigned)fd >= EMU_FDCACHE_SLOTS)
		return;
	if (!p && !__atomic_load_n(&c[fd], __ATOMIC_RELAXED))
		return; /* the usual forget: nothing to drop */
	if (p)
		emu_prog_cache_ref(p, 1);
	old = __atomic_exchange_n(&c[fd], (uintptr_t)p, __ATOMIC_ACQ_REL);
	if (old)
		emu_prog_cache_ref((struct emu_prog *)old, -1);
}

void emu_fdcache_prog_put(int fd, struct emu_prog *p)
{
	if (__atomic_load_n(&emu_fdcache_prog_table, __ATOMIC_RELAXED))
		prog_store(fd, p);
}

static void cache_store(int fd, uintptr_t v)
{
	uintptr_t *c = __atomic_load_n(&emu_fdcache_table, __ATOMIC_ACQUIRE), old;

	if (!c || fd < 0 || (unsigned)fd >= EMU_FDCACHE_SLOTS)
		return;
	if (v)
		__atomic_add_fetch(&((struct emu_map *)(v & ~(uintptr_t)3))->cache_refs, 1, __ATOMIC_ACQ_REL);
	old = __atomic_exchange_n(&c[fd], v, __ATOMIC_ACQ_REL);
	if (old)
		__atomic_sub_fetch(&((struct emu_map *)(old & ~(uintptr_t)3))->cache_refs, 1, __ATOMIC_ACQ_REL);
}

void emu_fdcache_put(int fd, struct emu_map *m, int accmode)
{
	if (__atomic_load_n(&emu_fdcache_table, __ATOMIC_RELAXED))
		cache_store(fd, (uintptr_t)m | (uintptr_t)(accmode & 3));
}

bool emu_fdcache_has(int fd)
{
	uintptr_t *c = __atomic_load_n(&emu_fdcache_table, __ATOMIC_ACQUIRE);
	uintptr_t *pc = __atomic_load_n(&emu_fdcache_prog_table, __ATOMIC_ACQUIRE);

	if (!c || fd < 0 || (unsigned)fd >= EMU_FDCACHE_SLOTS)
		return false;
	return __atomic_load_n(&c[fd], __ATOMIC_RELAXED) || (pc && __atomic_load_n(&pc[fd], __ATOMIC_RELAXED));
}

void emu_fdcache_forget(int fd)
{
	cache_store(fd, 0);
	prog_store(fd, NULL);
}

void emu_fdcache_forget_range(unsigned lo, unsigned hi)
{
	if (!__atomic_load_n(&emu_fdcache_table, __ATOMIC_RELAXED))
		return;
	if (hi >= EMU_FDCACHE_SLOTS)
		hi = EMU_FDCACHE_SLOTS - 1;
	for (unsigned fd = lo; fd <= hi; fd++) {
		cache_store((int)fd, 0);
		prog_store((int)fd, NULL);
	}
}

bool emu_fdcache_knows(int fd)
{
	uintptr_t *c = __atomic_load_n(&emu_fdcache_table, __ATOMIC_ACQUIRE);

	return c && fd >= 0 && (unsigned)fd < EMU_FDCACHE_SLOTS && __atomic_load_n(&c[fd], __ATOMIC_RELAXED);
}
