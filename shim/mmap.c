/* SPDX-License-Identifier: MIT */
/*
 * Mappings of map fds (an array's values, a ring's pages). mmap() of an emulated map goes to
 * cmd/fd_ops.c (the kernel's checks, the mapping made as the kernel's is: one without PROT_WRITE
 * can never be made writable; a ring's made of several parts of the file). The kernel
 * also marks a map's mapping VM_DONTEXPAND (mremap() cannot grow it: EFAULT) and maps from a
 * noexec mount (mprotect() cannot add PROT_EXEC: EACCES); our mappings are of a plain file, so the
 * mappings made here are remembered and those two calls refused on them. The list is the
 * process's own, inherited by fork like the mappings themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

REAL(void *, mmap, void *, size_t, int, int, int, off_t)
REAL(void *, mmap64, void *, size_t, int, int, int, off64_t)
REAL(int, munmap, void *, size_t)
REAL(int, mprotect, void *, size_t, int)
REAL(int, pkey_mprotect, void *, size_t, int, int)
REAL(void *, mremap, void *, size_t, size_t, int, ...)
REAL(int, fstat, int, struct stat *)
REAL(int, fcntl, int, int, ...)

#define PAGE_MASK_ ((uintptr_t)EMU_PAGE_SIZE - 1)

struct mapping {
	uintptr_t start, end;
	bool maywrite;
};

static struct mapping *maps;
static size_t nmaps, capmaps;
static int any_maps; /* nmaps, read without the lock on every call's fast path */
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

/* The list's lock must not be held by another thread across fork, or the child would wait for it
 * forever: taken around fork, and the child (alone) starts a fresh one. */
static void atfork_prepare(void) { pthread_mutex_lock(&maps_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&maps_lock); }
static void atfork_child(void) { pthread_mutex_init(&maps_lock, NULL); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void atfork_init(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }

static void add_locked(uintptr_t start, uintptr_t end, bool maywrite)
{
	if (nmaps == capmaps) {
		size_t ncap = capmaps ? capmaps * 2 : 16;
		struct mapping *n = realloc(maps, ncap * sizeof(*n));

		if (!n)
			return; /* forgotten: its mprotect/mremap then go unchecked */
		maps = n;
		capmaps = ncap;
	}
	maps[nmaps++] = (struct mapping){ start, end, maywrite };
	__atomic_store_n(&any_maps, (int)nmaps, __ATOMIC_RELEASE);
}

/* [start, end) is no longer what it was (munmap, a MAP_FIXED mapping over it, mremap) */
static void cut_locked(uintptr_t start, uintptr_t end)
{
	for (size_t i = 0; i < nmaps;) {
		struct mapping *m = &maps[i];

		if (m->end <= start || m->start >= end) {
			i++;
			continue;
		}
		if (m->start < start && m->end > end) { /* a hole in the middle: split */
			struct mapping tail = { end, m->end, m->maywrite };

			m->end = start;
			add_locked(tail.start, tail.end, tail.maywrite);
			i++;
		} else if (m->start < start) {
			m->end = start;
			i++;
		} else if (m->end > end) {
			m->start = end;
			i++;
		} else {
			maps[i] = maps[--nmaps];
		}
	}
	__atomic_store_n(&any_maps, (int)nmaps, __ATOMIC_RELEASE);
}

static void cut(uintptr_t start, size_t len)
{
	if (!__atomic_load_n(&any_maps, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&maps_lock);
	cut_locked(start & ~PAGE_MASK_, (start + len + PAGE_MASK_) & ~PAGE_MASK_);
	pthread_mutex_unlock(&maps_lock);
}

/* What mprotect(prot) of [start, start+len) must answer for the map mappings in it: 0 to go on. */
static int protect_answer(uintptr_t start, size_t len, int prot)
{
	uintptr_t end = start + ((len + PAGE_MASK_) & ~PAGE_MASK_);
	int err = 0;

	if (!__atomic_load_n(&any_maps, __ATOMIC_ACQUIRE) || (start & PAGE_MASK_) || end < start)
		return 0;
	pthread_mutex_lock(&maps_lock);
	for (size_t i = 0; i < nmaps && !err; i++) {
		if (maps[i].end <= start || maps[i].start >= end)
			continue;
		if ((prot & PROT_EXEC) || ((prot & PROT_WRITE) && !maps[i].maywrite))
			err = -EACCES;
	}
	pthread_mutex_unlock(&maps_lock);
	return err;
}

/* ---- mmap ---- */

/* A program's or BTF object's file has no mmap op: the mm layer's checks, then ENODEV. */
static int object_mmap_answer(int fd, int prot, int flags)
{
	int fl = get_fcntl()(fd, F_GETFL), acc = fl & O_ACCMODE;

	if ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE) && acc != O_RDWR && acc != O_WRONLY)
		return -EACCES;
	if (acc == O_WRONLY)
		return -EACCES;
	if (prot & PROT_EXEC)
		return -EPERM;
	return -ENODEV;
}

static void *map_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, bool *handled)
{
	struct stat st;
	bool maywrite = false;
	void *p = NULL;
	int kind, r;

	*handled = false;
	if ((flags & MAP_ANONYMOUS) || fd < 0 || depth)
		return NULL;
	/* every file mapping is asked about (mmap is rare): one left unknown would map the header */
	depth++;
	kind = get_fstat()(fd, &st) ? 0 : emu_fd_object_kind(fd, &st);
	if (kind == EMU_OBJ_MAP)
		r = emu_map_mmap(fd, addr, len, prot, flags, off, &p, &maywrite);
	else if (kind)
		r = object_mmap_answer(fd, prot, flags);
	else
		r = 1;
	depth--;
	if (r == 1)
		return NULL;
	*handled = true;
	if (r < 0) {
		errno = -r;
		return MAP_FAILED;
	}
	pthread_once(&atfork_once, atfork_init);
	pthread_mutex_lock(&maps_lock);
	cut_locked((uintptr_t)p, (uintptr_t)p + ((len + PAGE_MASK_) & ~PAGE_MASK_));
	add_locked((uintptr_t)p, (uintptr_t)p + ((len + PAGE_MASK_) & ~PAGE_MASK_), maywrite);
	pthread_mutex_unlock(&maps_lock);
	if (shim_debug)
		shim_log("mmap(fd %d, offset %lld): emulated map pages%s", fd, (long long)off,
			 maywrite ? "" : ", never writable");
	return p;
}

/* Any other mapping that lands on a map mapping replaces it. */
static void *other_mapping(void *p, size_t len, int flags)
{
	if (p != MAP_FAILED && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		cut((uintptr_t)p, len);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	bool handled;
	void *p = map_mmap(addr, len, prot, flags, fd, off, &handled);

	return handled ? p : other_mapping(get_mmap()(addr, len, prot, flags, fd, off), len, flags);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	bool handled;
	void *p = map_mmap(addr, len, prot, flags, fd, off, &handled);

	return handled ? p : other_mapping(get_mmap64()(addr, len, prot, flags, fd, off), len, flags);
}

EXPORT int munmap(void *addr, size_t len)
{
	int r = get_munmap()(addr, len);

	if (!r)
		cut((uintptr_t)addr, len);
	return r;
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	int err = depth ? 0 : protect_answer((uintptr_t)addr, len, prot);

	if (err) {
		errno = -err;
		return -1;
	}
	return get_mprotect()(addr, len, prot);
}

EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
	int err = depth ? 0 : protect_answer((uintptr_t)addr, len, prot);

	if (err) {
		errno = -err;
		return -1;
	}
	return get_pkey_mprotect()(addr, len, prot, pkey);
}

/* mremap: a map mapping cannot grow (VM_DONTEXPAND: EFAULT, after the arguments' own checks);
 * moved or shrunk, it is still one */
EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	uintptr_t o = (uintptr_t)old;
	void *want = NULL, *p;
	bool tracked = false, maywrite = false;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	if (!depth && __atomic_load_n(&any_maps, __ATOMIC_ACQUIRE) && !(o & PAGE_MASK_) && new_len &&
	    !(flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))) {
		pthread_mutex_lock(&maps_lock);
		for (size_t i = 0; i < nmaps; i++) {
			if (o >= maps[i].start && o < maps[i].end) {
				tracked = true;
				maywrite = maps[i].maywrite;
			}
		}
		pthread_mutex_unlock(&maps_lock);
		if (tracked && new_len > old_len) {
			errno = EFAULT;
			return MAP_FAILED;
		}
	}
	p = get_mremap()(old, old_len, new_len, flags, want);
	if (p == MAP_FAILED)
		return p;
	if (tracked || want)
		cut((uintptr_t)p, new_len);
	if (tracked) {
		pthread_mutex_lock(&maps_lock);
		if (!(flags & MREMAP_DONTUNMAP) && old_len)
			cut_locked(o, o + ((old_len + PAGE_MASK_) & ~PAGE_MASK_));
		add_locked((uintptr_t)p, (uintptr_t)p + ((new_len + PAGE_MASK_) & ~PAGE_MASK_), maywrite);
		pthread_mutex_unlock(&maps_lock);
	}
	return p;
}
