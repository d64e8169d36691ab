/* SPDX-License-Identifier: MIT */
/*
 * The per-process registry: each process maps a map file the first time one of its fds is used and
 * finds it again by the file's identity (st_dev, st_ino), so any fd to the file — dup'ed,
 * inherited, received over a socket, opened from a pin — reaches the same view. Views of maps no
 * fd names any more are swept (after a grace sweep, for threads still on them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* An allocation failure inside uthash must become ENOMEM for the caller, never an exit. */
#define HASH_NONFATAL_OOM 1
static bool registry_oom;
#define uthash_nonfatal_oom(e) (registry_oom = true)
#include <uthash.h>

#include "../util/compiler.h"
#include "fdcache.h"
#include "hazard.h"
#include "inplace.h"
#include "registry.h"
#include "../frontend.h" /* struct emu_map_desc */

struct reg_key {
	dev_t dev;
	ino_t ino;
};

struct reg_entry {
	struct reg_key key;
	struct emu_map map;
	UT_hash_handle hh;
};

static struct reg_entry *registry;
/* Swept entries wait one more sweep before they are unmapped: a thread that read an fd-cache slot
 * just before the fd was closed may still be about to take a reference. */
static struct reg_entry *graveyard;
static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned registry_sweep_at = 64;

/* Forget mappings of maps this process no longer holds an fd to, so a program that creates and
 * closes maps in a loop does not keep every one alive through our mapping. */
static void sweep_locked(void)
{
	struct reg_entry *e, *tmp;
	struct reg_key *alive = NULL;
	size_t n_alive = 0, cap = 0;
	for (int fd = 0; fd < 65536; fd++) {
		struct stat st;

		if (fcntl(fd, F_GETFD) < 0) {
			if (fd > 1024 && fd > (int)(n_alive * 4 + 1024))
				break;
			continue;
		}
		if (fstat(fd, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n_alive == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct reg_key *na = realloc(alive, ncap * sizeof(*na));

			if (!na) {
				free(alive);
				return;
			}
			alive = na;
			cap = ncap;
		}
		alive[n_alive].dev = st.st_dev;
		alive[n_alive].ino = st.st_ino;
		n_alive++;
	}
	{
		struct reg_entry *keep = NULL;

		while (graveyard) {
			e = graveyard;
			graveyard = e->hh.next;
			if (emu_hazard_names(&e->map)) { /* a call still on it: next sweep */
				e->hh.next = keep;
				keep = e;
				continue;
			}
			munmap(e->map.base, e->map.view_len);
			free(e);
		}
		graveyard = keep;
	}
	HASH_ITER(hh, registry, e, tmp) {
		bool found = false;

		if (__atomic_load_n(&e->map.refs, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&e->map.cache_refs, __ATOMIC_ACQUIRE) || emu_hazard_names(&e->map))
			continue;
		for (size_t i = 0; i < n_alive && !found; i++)
			found = alive[i].dev == e->key.dev && alive[i].ino == e->key.ino;
		if (found)
			continue;
		HASH_DEL(registry, e);
		e->hh.next = graveyard;
		graveyard = e;
	}
	free(alive);
}

static int register_locked(struct reg_key *k, const struct emu_map *view, struct emu_map **out)
{
	struct reg_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->key = *k;
	e->map = *view;
	e->map.refs = e->map.cache_refs = 0;
	e->map.dev = k->dev;
	e->map.ino = k->ino;
	registry_oom = false;
	HASH_ADD(hh, registry, key, sizeof(e->key), e);
	if (registry_oom) {
		free(e);
		return -ENOMEM;
	}
	*out = &e->map;
	return 0;
}

int emu_registry_add(dev_t dev, ino_t ino, const struct emu_map *view, struct emu_map **out)
{
	struct reg_key k;
	int err;

	memset(&k, 0, sizeof(k));
	k.dev = dev;
	k.ino = ino;
	pthread_rwlock_wrlock(&registry_lock);
	if (HASH_COUNT(registry) >= registry_sweep_at) {
		sweep_locked();
		registry_sweep_at = HASH_COUNT(registry) * 2 + 64;
	}
	err = register_locked(&k, view, out);
	pthread_rwlock_unlock(&registry_lock);
	return err;
}

bool emu_registry_known(dev_t dev, ino_t ino)
{
	struct reg_entry *e;
	struct reg_key k;

	memset(&k, 0, sizeof(k));
	k.dev = dev;
	k.ino = ino;
	pthread_rwlock_rdlock(&registry_lock);
	HASH_FIND(hh, registry, &k, sizeof(k), e);
	pthread_rwlock_unlock(&registry_lock);
	return e != NULL;
}

/* Forget a map this process registered but will not hand out (a failed create). */
void emu_registry_remove(struct emu_map *m)
{
	struct reg_entry *e = (struct reg_entry *)((char *)m - offsetof(struct reg_entry, map));

	pthread_rwlock_wrlock(&registry_lock);
	HASH_DEL(registry, e);
	pthread_rwlock_unlock(&registry_lock);
	munmap(e->map.base, e->map.view_len);
	free(e);
}

/* First sight of a map fd in this process (inherited, received, opened from a pin). */
static int adopt_locked(int fd, const struct stat *st, struct emu_map **out)
{
	struct reg_key k = { st->st_dev, st->st_ino };
	struct emu_map view;
	int err = emu_map_file_open(fd, st, &view);

	if (err)
		return err;
	err = register_locked(&k, &view, out);
	if (err)
		munmap(view.base, view.view_len);
	return err;
}

/* Registry locks must not be held by another thread across fork, or the child would deadlock. */
static void atfork_prepare(void) { pthread_rwlock_wrlock(&registry_lock); }
static void atfork_release(void) { pthread_rwlock_unlock(&registry_lock); }
/* glibc's unlock takes a caller whose thread id is not the recorded writer's for a reader, and
 * the child's id never is: unlocking there corrupts the lock and the child's next call hangs.
 * The child is alone and the registry whole (the parent held it), so it starts a fresh lock. */
static void atfork_child(void)
{
#ifdef EMU_TSAN
	/* ThreadSanitizer keeps its own record of the lock, which a re-init does not clear: every
	 * later lock in the child would be reported as misuse. Its unlock clears the record, and the
	 * bytes glibc's unlock gets wrong here are reset by the init below. */
	pthread_rwlock_unlock(&registry_lock);
#endif
	pthread_rwlock_init(&registry_lock, NULL);
	emu_hazards_after_fork();
	emu_inplace_after_fork();
}
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void atfork_init(void) { pthread_atfork(atfork_prepare, atfork_release, atfork_child); }

/* The kernel's fdget() does not see O_PATH fds at all, whatever file they name. Asked only off
 * the fast path: a known map file reached through an O_PATH fd is a corner left uncovered. */
static bool is_path_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_PATH);
}

/* Out of line: its frame and saved registers were a fifth of every cached call's fd lookup. */
__attribute__((noinline)) static int map_get_slow(int fd, struct emu_map **out, int *accmode)
{
	struct reg_entry *e;
	struct reg_key k;
	struct stat st;
	int err = 0;

	pthread_once(&atfork_once, atfork_init);
	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return is_path_fd(fd) ? -EBADF : -EINVAL;
	memset(&k, 0, sizeof(k));
	k.dev = st.st_dev;
	k.ino = st.st_ino;

	pthread_rwlock_rdlock(&registry_lock);
	HASH_FIND(hh, registry, &k, sizeof(k), e);
	if (e)
		__atomic_add_fetch(&e->map.refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&registry_lock);
	if (!e) {
		struct emu_map *m = NULL;

		pthread_rwlock_wrlock(&registry_lock);
		HASH_FIND(hh, registry, &k, sizeof(k), e);
		if (e) {
			m = &e->map;
		} else {
			err = is_path_fd(fd) ? -EBADF : adopt_locked(fd, &st, &m);
		}
		if (!err)
			__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&registry_lock);
		if (err)
			return err;
		*out = m;
	} else {
		*out = &e->map;
		/* An O_PATH fd of a known map (a pin opened O_PATH) is no fd to bpf(): EBADF. Asked
		 * here when the fd cache is on, where this is a number's first use; without it every
		 * call comes here, and the corner is left uncovered (README). */
		if (__atomic_load_n(&emu_fdcache_table, __ATOMIC_RELAXED) && is_path_fd(fd)) {
			emu_map_put(*out);
			return -EBADF;
		}
	}

	*accmode = O_RDWR;
	if (__atomic_load_n(&(*out)->hdr->restricted_fds, __ATOMIC_RELAXED)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || (fl & O_PATH)) {
			emu_map_put(*out);
			return -EBADF;
		}
		*accmode = fl & O_ACCMODE;
	}
	emu_fdcache_put(fd, *out, *accmode);
	return 0;
}

void emu_map_put(struct emu_map *m)
{
	emu_hazard_put(m);
}

/* A cached fd checked: its number still names the cached map's file (one fstat). A number closed
 * behind the preload's back and reused (close by a raw system call, then open) is found here. */
__attribute__((noinline)) static bool cache_entry_holds(int fd, struct emu_map *m)
{
	struct stat st;

	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_dev == m->dev && st.st_ino == m->ino)
		return true;
	emu_map_put(m);
	emu_fdcache_forget(fd);
	return false;
}

/* A cached entry checked, else the slow way. Out of line, and reached by tail calls only. */
__attribute__((noinline)) static int map_get_checked(int fd, struct emu_map **out, int *accmode)
{
	if (cache_entry_holds(fd, *out))
		return 0;
	return map_get_slow(fd, out, accmode);
}

/* Not a trusted cache entry: a checked one (BPFEMU_FDCACHE_VALIDATE=1), or the slow way. */
__attribute__((noinline)) static int map_get_untrusted(int fd, struct emu_map **out, int *accmode)
{
	if (emu_fdcache_validate && emu_fdcache_get(fd, out, accmode))
		return map_get_checked(fd, out, accmode);
	return map_get_slow(fd, out, accmode);
}

int emu_map_get_fast(int fd, struct emu_map **out, int *accmode)
{
	/* a cached fd was entered by an earlier call that got past map_get_slow's pthread_once;
	 * with BPFEMU_FDCACHE_VALIDATE=1 the trusted table is NULL and every call checks */
	if (emu_fdcache_get_in(&emu_fdcache_trusted, fd, out, accmode))
		return 0;
	return map_get_untrusted(fd, out, accmode);
}

int emu_map_get(int fd, struct emu_map **out, int *accmode)
{
	if (emu_fdcache_get(fd, out, accmode))
		return map_get_checked(fd, out, accmode);
	return map_get_slow(fd, out, accmode);
}

int emu_map_fd_id(int fd, uint32_t *id)
{
	struct emu_map *m;
	int mode, err = emu_map_get(fd, &m, &mode);

	if (err)
		return err;
	*id = m->id;
	emu_map_put(m);
	return 0;
}

void emu_mark_restricted(int fd)
{
	struct emu_map *m;
	int mode;

	/* mode is read from the fd only once this is set, so set it before anyone relies on it */
	if (!emu_map_get(fd, &m, &mode)) {
		__atomic_store_n(&m->hdr->restricted_fds, 1, __ATOMIC_RELEASE);
		emu_map_put(m);
		emu_fdcache_forget(fd); /* cached before the flag was set, with the wrong mode */
	}
}

int emu_map_describe(int fd, struct emu_map_desc *d)
{
	struct emu_map *m;
	int mode, err = emu_map_get(fd, &m, &mode);

	if (err)
		return err;
	d->type = m->map_type;
	d->key_size = m->key_size;
	d->value_size = m->value_size;
	d->max_entries = m->max_entries;
	d->map_flags = m->map_flags;
	d->id = m->id;
	d->nr_cpus = m->nr_cpus;
	d->btf_id = m->btf_id;
	d->value_bytes = m->value_bytes;
	emu_map_put(m);
	return 0;
}
