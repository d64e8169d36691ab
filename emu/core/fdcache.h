/* SPDX-License-Identifier: MIT */
/*
 * The fd cache (core/fdcache.c): under the preload, which sees every close, an fd found to be a
 * map or a program stays known until it is closed, so a call costs no fstat(). Off in process
 * unless asked.
 */
#ifndef BPFEMU_CORE_FDCACHE_H
#define BPFEMU_CORE_FDCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "hazard.h"
#include "map.h"

struct emu_prog;

int emu_fdcache_enable(void);
void emu_fdcache_put(int fd, struct emu_map *m, int accmode);
void emu_fdcache_forget(int fd);
bool emu_fdcache_has(int fd); /* whether fd is cached as a map or a program (a hint: not checked) */
void emu_fdcache_forget_range(unsigned lo, unsigned hi);
#define EMU_FDCACHE_SLOTS (1u << 20)
/* per fd number: the map's view | its access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2); NULL: off */
extern uintptr_t *emu_fdcache_table;
/* BPFEMU_FDCACHE_VALIDATE=1: every use of an entry is checked (core/registry.c) */
extern bool emu_fdcache_validate;

/* The table the hot path may trust without a check: emu_fdcache_table, or NULL when
 * BPFEMU_FDCACHE_VALIDATE=1 (every call then takes the slow path, which checks). Its own pointer,
 * so that the hot path tests nothing it did not test before. */
extern uintptr_t *emu_fdcache_trusted;

/* The cached map of fd in table c, held as emu_map_get() holds it; false if fd is not cached.
 * Inline: it is the whole fd lookup of a call under the preload. */
static inline bool emu_fdcache_get_in(uintptr_t *const *table, int fd, struct emu_map **out, int *accmode)
{
	uintptr_t *c = __atomic_load_n(table, __ATOMIC_ACQUIRE), v;

	if (!c || fd < 0 || (unsigned)fd >= EMU_FDCACHE_SLOTS)
		return false;
	v = __atomic_load_n(&c[fd], __ATOMIC_ACQUIRE);
	if (!v)
		return false;
	*out = (struct emu_map *)(v & ~(uintptr_t)3);
	*accmode = (int)(v & 3);
	emu_hazard_hold(*out);
	return true;
}

static inline bool emu_fdcache_get(int fd, struct emu_map **out, int *accmode)
{
	return emu_fdcache_get_in(&emu_fdcache_table, fd, out, accmode);
}

/* Programs have a table of their own (per fd number: the program's view, NULL: not cached),
 * allocated with the map table and cleared with it by emu_fdcache_forget() (so every close, dup
 * over a number and new fd the preload sees forgets a program's number as it does a map's). A slot
 * holds its view alive (core/prog_view.c); a caller takes its own reference after reading it.
 * emu_fdcache_prog_trusted is the table the hot path (TEST_RUN) may trust without a check: NULL
 * with BPFEMU_FDCACHE_VALIDATE=1, as emu_fdcache_trusted. */
extern uintptr_t *emu_fdcache_prog_table;
extern uintptr_t *emu_fdcache_prog_trusted;
void emu_fdcache_prog_put(int fd, struct emu_prog *p);
static inline bool emu_fdcache_prog_get_in(uintptr_t *const *table, int fd, struct emu_prog **out)
{
	uintptr_t *c = __atomic_load_n(table, __ATOMIC_ACQUIRE), v;

	if (!c || fd < 0 || (unsigned)fd >= EMU_FDCACHE_SLOTS)
		return false;
	v = __atomic_load_n(&c[fd], __ATOMIC_ACQUIRE);
	if (!v)
		return false;
	*out = (struct emu_prog *)v;
	return true;
}

static inline bool emu_fdcache_prog_get(int fd, struct emu_prog **out)
{
	return emu_fdcache_prog_get_in(&emu_fdcache_prog_table, fd, out);
}

#endif
