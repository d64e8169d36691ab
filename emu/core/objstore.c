/* SPDX-License-Identifier: MIT */
/*
 * The user's live objects across processes (see objstore.h).
 *
 * Layout, in the bpffs root (the object files' own file system, so links can be made):
 *
 *   .bpfemu-objects/map-17              a link to map 17's file: it is registered
 *   .bpfemu-objects/holds/prog-3/map-17.0   prog 3 holds map 17 (tag 0): another link to it
 *
 * An object file's link count is then 1 (the registry) + its pins (links under the bpffs tree) +
 * the holds on it (links under holds/). An object is live when a process of this user has it open,
 * when it is pinned, or when a live object holds it; a collection pass finds the live ones from
 * those roots, following holds, and unlinks the rest: its registry link and its own holds dir, so
 * its file goes when its last fd and mapping do, and what it held may go at the next pass.
 *
 * Concurrency: the registry directory's flock. Registration, lookups by id and holds take it
 * shared; a collection takes it exclusive, so no process opens an object by id between the pass
 * deciding it is dead and unlinking it. Every step is one link or unlink: a process killed anywhere
 * leaves at most an extra link, which the next pass judges like any other.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/diag.h"
#include "objstore.h"
#include "state.h"

#define REGISTRY EMU_OBJSTORE_DIR
#define HOLDS "holds"
#define COLLECT_EVERY 64u

static const char *const kind_names[EMU_NR_ID_KINDS] = { "map", "prog", "btf", "link" };

static int name_of(char *buf, size_t len, enum emu_id_kind kind, uint32_t id)
{
	if ((unsigned)kind >= EMU_NR_ID_KINDS)
		return -EINVAL;
	return snprintf(buf, len, "%s-%u", kind_names[kind], id) < (int)len ? 0 : -ENAMETOOLONG;
}

/* "map-17" (or "map-17.3" with tag) back to its kind and id; false for anything else. */
static bool parse_name(const char *s, enum emu_id_kind *kind, uint32_t *id, uint32_t *tag)
{
	for (unsigned k = 0; k < EMU_NR_ID_KINDS; k++) {
		size_t n = strlen(kind_names[k]);
		char *end;
		unsigned long v;

		if (strncmp(s, kind_names[k], n) || s[n] != '-' || s[n + 1] < '0' || s[n + 1] > '9')
			continue;
		v = strtoul(s + n + 1, &end, 10);
		if (v == 0 || v > UINT32_MAX)
			return false;
		*kind = (enum emu_id_kind)k;
		*id = (uint32_t)v;
		if (tag) {
			*tag = 0;
			if (*end == '.')
				*tag = (uint32_t)strtoul(end + 1, &end, 10);
		}
		return !*end;
	}
	return false;
}

/* The registry directory, opened (and made, 0700) for flock and *at() calls; -errno. */
static int registry_open(void)
{
	char path[PATH_MAX];
	const char *root = emu_bpffs_root();
	struct stat st;
	int fd;

	if (!*root || snprintf(path, sizeof(path), "%s/" REGISTRY, root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		if (emu_state_ready(EMU_STATE_BPFFS) || (mkdir(path, 0700) && errno != EEXIST))
			return -errno;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	/* Whoever can write the registry decides which file "map 17" is: only a directory of this
	 * user's that nobody else may write is trusted. */
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		static bool said;

		emu_diag_once(&said, "%s is not a directory only this user can write: objects are not "
			      "shared with other processes by id", path);
		close(fd);
		return -EACCES;
	}
	return fd;
}

static void registry_close(int dfd)
{
	flock(dfd, LOCK_UN);
	close(dfd);
}

int emu_objstore_register(int fd, enum emu_id_kind kind, uint32_t id)
{
	static unsigned registered;
	char name[32], proc[64];
	int dfd, err = name_of(name, sizeof(name), kind, id);

	if (err)
		return err;
	dfd = registry_open();
	if (dfd < 0)
		return dfd;
	flock(dfd, LOCK_SH);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW))
		err = -errno;
	registry_close(dfd);
	if (!err && __atomic_add_fetch(&registered, 1, __ATOMIC_RELAXED) % COLLECT_EVERY == 0)
		emu_objstore_collect();
	return err;
}

/* The object's fd, opened under the registry's lock (dfd), then moved to the lowest free number
 * once dfd is closed, as the kernel's new fd is. -ENOENT if it is not registered. */
static int open_by_path(const char *name, int flags);

static int open_locked(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, (flags & O_ACCMODE) | O_CLOEXEC | O_NOFOLLOW), low;

	if (fd < 0) {
		int err = errno == EMFILE || errno == ENFILE ? -errno : -ENOENT;

		registry_close(dfd);
		/* the directory took the last free fd: the object is opened by its path instead */
		return err == -EMFILE ? open_by_path(name, flags) : err;
	}
	registry_close(dfd);
	low = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (low >= 0 && low < fd) {
		close(fd);
		fd = low;
	} else if (low >= 0) {
		close(low);
	}
	return fd;
}

/* With no fd to spare for the registry directory (a process at its limit with one fd free, which
 * the kernel would still give one), the object is opened by its path, without the lock. */
static int open_by_path(const char *name, int flags)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/" REGISTRY "/%s", emu_bpffs_root(), name) >= (int)sizeof(path))
		return -ENOENT;
	fd = open(path, (flags & O_ACCMODE) | O_CLOEXEC | O_NOFOLLOW);
	return fd >= 0 ? fd : errno == EMFILE || errno == ENFILE ? -errno : -ENOENT;
}

int emu_objstore_open(enum emu_id_kind kind, uint32_t id, int flags)
{
	char name[32];
	int dfd, err = name_of(name, sizeof(name), kind, id);

	if (err)
		return err;
	dfd = registry_open();
	if (dfd == -EMFILE || dfd == -ENFILE)
		return open_by_path(name, flags);
	if (dfd < 0)
		return -ENOENT;
	flock(dfd, LOCK_SH);
	return open_locked(dfd, name, flags);
}

int emu_objstore_touch(enum emu_id_kind kind, uint32_t id)
{
	char path[PATH_MAX];
	int fd;

	if (name_of(path, sizeof(path), kind, id) ||
	    snprintf(path, sizeof(path), "%s/" REGISTRY "/%s-%u", emu_bpffs_root(), kind_names[kind], id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int emu_objstore_next_id(enum emu_id_kind kind, uint32_t start, uint32_t *next)
{
	uint32_t best = 0;
	struct dirent *de;
	DIR *d;
	int dfd;

	if (!start)
		emu_objstore_collect();
	dfd = registry_open();
	if (dfd < 0)
		return -ENOENT;
	flock(dfd, LOCK_SH);
	d = fdopendir(dup(dfd));
	while (d && (de = readdir(d))) {
		enum emu_id_kind k;
		uint32_t id;

		if (parse_name(de->d_name, &k, &id, NULL) && k == kind && id > start && (!best || id < best))
			best = id;
	}
	if (d)
		closedir(d);
	registry_close(dfd);
	if (!best)
		return -ENOENT;
	*next = best;
	return 0;
}

void emu_objstore_visit(bool (*fn)(void *arg, int fd, const char *path), void *arg)
{
	char path[PATH_MAX];
	const char *root = emu_bpffs_root();
	struct dirent *de;
	DIR *d;
	int dfd = registry_open();

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	while (d && (de = readdir(d))) {
		enum emu_id_kind k;
		uint32_t id;
		bool more;
		int fd;

		if (!parse_name(de->d_name, &k, &id, NULL) ||
		    snprintf(path, sizeof(path), "%s/" REGISTRY "/%s", root, de->d_name) >= (int)sizeof(path))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		more = fn(arg, fd, path);
		close(fd);
		if (!more)
			break;
	}
	if (d)
		closedir(d);
	else
		close(dfd);
}

static int hold_paths(enum emu_id_kind hkind, uint32_t hid, enum emu_id_kind kind, uint32_t id,
		      uint32_t tag, char *dir, size_t dlen, char *held, size_t hlen, char *target, size_t tlen)
{
	char hname[32];
	int err = name_of(hname, sizeof(hname), hkind, hid);

	if (!err)
		err = name_of(target, tlen, kind, id);
	if (err)
		return err;
	if (snprintf(dir, dlen, HOLDS "/%s", hname) >= (int)dlen ||
	    snprintf(held, hlen, "%s/%s.%u", dir, target, tag) >= (int)hlen)
		return -ENAMETOOLONG;
	return 0;
}

int emu_objstore_hold(enum emu_id_kind hkind, uint32_t hid, enum emu_id_kind kind, uint32_t id, uint32_t tag)
{
	char dir[64], held[128], target[32];
	int dfd = registry_open(), err;

	if (dfd < 0)
		return dfd;
	err = hold_paths(hkind, hid, kind, id, tag, dir, sizeof(dir), held, sizeof(held), target,
			 sizeof(target));
	flock(dfd, LOCK_SH);
	if (!err && mkdirat(dfd, HOLDS, 0700) && errno != EEXIST)
		err = -errno;
	if (!err && mkdirat(dfd, dir, 0700) && errno != EEXIST)
		err = -errno;
	if (!err && linkat(dfd, target, dfd, held, 0) && errno != EEXIST)
		err = errno == ENOENT ? -ENOENT : -errno; /* the held object is gone */
	registry_close(dfd);
	return err;
}

int emu_objstore_release(enum emu_id_kind hkind, uint32_t hid, enum emu_id_kind kind, uint32_t id, uint32_t tag)
{
	char dir[64], held[128], target[32];
	int dfd = registry_open(), err;

	if (dfd < 0)
		return dfd;
	err = hold_paths(hkind, hid, kind, id, tag, dir, sizeof(dir), held, sizeof(held), target,
			 sizeof(target));
	flock(dfd, LOCK_SH);
	if (!err && unlinkat(dfd, held, 0) && errno != ENOENT)
		err = -errno;
	registry_close(dfd);
	return err;
}

/* ---- collection ---- */

struct entry {
	enum emu_id_kind kind;
	uint32_t id;
	ino_t ino;
	nlink_t nlink;
	uint32_t holds_on; /* hold links naming this object */
	bool live;
};

struct edge {
	uint32_t from, to; /* entry indices */
};

struct graph {
	struct entry *e;
	size_t n, cap;
	struct edge *edges;
	size_t nedges, edges_cap;
	dev_t dev;
};

static bool push(void **p, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *np = realloc(*p, nc * size);

		if (!np)
			return false;
		*p = np;
		*cap = nc;
	}
	(*n)++;
	return true;
}

static long find_entry(const struct graph *g, enum emu_id_kind kind, uint32_t id)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->e[i].kind == kind && g->e[i].id == id)
			return (long)i;
	return -1;
}

static bool list_entries(int dfd, struct graph *g)
{
	struct dirent *de;
	DIR *d = fdopendir(dup(dfd));
	bool ok = d != NULL;

	while (ok && (de = readdir(d))) {
		struct entry x = { 0 };
		struct stat st;

		if (!parse_name(de->d_name, &x.kind, &x.id, NULL) || fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		x.ino = st.st_ino;
		x.nlink = st.st_nlink;
		g->dev = st.st_dev;
		ok = push((void **)&g->e, &g->n, &g->cap, sizeof(*g->e));
		if (ok)
			g->e[g->n - 1] = x;
	}
	if (d)
		closedir(d);
	return ok;
}

/* holds/<holder>/<held>.<tag>: an edge holder -> held for each link whose holder is registered. */
static bool list_holds(int dfd, struct graph *g)
{
	struct dirent *hd;
	int hfd = openat(dfd, HOLDS, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = hfd >= 0 ? fdopendir(hfd) : NULL;
	bool ok = true;

	while (ok && d && (hd = readdir(d))) {
		enum emu_id_kind hk;
		uint32_t hid, tag;
		long from;
		int sfd;
		DIR *s;
		struct dirent *de;

		if (!parse_name(hd->d_name, &hk, &hid, NULL))
			continue;
		from = find_entry(g, hk, hid);
		sfd = openat(dirfd(d), hd->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		s = sfd >= 0 ? fdopendir(sfd) : NULL;
		while (ok && s && (de = readdir(s))) {
			enum emu_id_kind k;
			uint32_t id;
			long to;

			if (!parse_name(de->d_name, &k, &id, &tag) || (to = find_entry(g, k, id)) < 0)
				continue;
			g->e[to].holds_on++;
			if (from < 0)
				continue; /* a dead holder's holds: removed below */
			ok = push((void **)&g->edges, &g->nedges, &g->edges_cap, sizeof(*g->edges));
			if (ok)
				g->edges[g->nedges - 1] = (struct edge){ (uint32_t)from, (uint32_t)to };
		}
		if (s)
			closedir(s);
	}
	if (d)
		closedir(d);
	return ok;
}

/* Mark registered objects some process of this user has open (its /proc/PID/fd entries). */
static void mark_open(struct graph *g)
{
	struct dirent *pd;
	DIR *proc = opendir("/proc");
	uid_t me = geteuid();

	/* Without an fd to look with (a process at its fd limit), nothing can be found dead. */
	if (!proc)
		goto unknown;
	while ((pd = readdir(proc))) {
		char path[64];
		struct stat pst;
		struct dirent *fe;
		DIR *fds;

		if (pd->d_name[0] < '1' || pd->d_name[0] > '9')
			continue;
		if (fstatat(dirfd(proc), pd->d_name, &pst, 0) || pst.st_uid != me)
			continue;
		if (snprintf(path, sizeof(path), "/proc/%.20s/fd", pd->d_name) >= (int)sizeof(path))
			continue;
		fds = opendir(path);
		if (!fds && (errno == EMFILE || errno == ENFILE)) {
			closedir(proc);
			goto unknown;
		}
		while (fds && (fe = readdir(fds))) {
			struct stat st;

			if (fe->d_name[0] == '.' || fstatat(dirfd(fds), fe->d_name, &st, 0) || st.st_dev != g->dev)
				continue;
			for (size_t i = 0; i < g->n; i++)
				if (g->e[i].ino == st.st_ino)
					g->e[i].live = true;
			if (g->n == 1 && g->e[0].live)
				break; /* one object asked about, found */
		}
		if (fds)
			closedir(fds);
		if (g->n == 1 && g->e[0].live)
			break;
	}
	closedir(proc);
	return;
unknown:
	for (size_t i = 0; i < g->n; i++)
		g->e[i].live = true;
}

static void remove_holds_of(int dfd, const char *holder)
{
	char dir[64];
	int sfd;
	DIR *s;
	struct dirent *de;

	if (snprintf(dir, sizeof(dir), HOLDS "/%.32s", holder) >= (int)sizeof(dir))
		return;
	sfd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	s = sfd >= 0 ? fdopendir(sfd) : NULL;
	while (s && (de = readdir(s)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(s), de->d_name, 0);
	if (s)
		closedir(s);
	unlinkat(dfd, dir, AT_REMOVEDIR);
}

/* Holds dirs of holders no longer registered. */
static void remove_orphan_holds(int dfd, const struct graph *g)
{
	struct dirent *hd;
	int hfd = openat(dfd, HOLDS, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = hfd >= 0 ? fdopendir(hfd) : NULL;

	while (d && (hd = readdir(d))) {
		enum emu_id_kind k;
		uint32_t id;

		if (parse_name(hd->d_name, &k, &id, NULL) && find_entry(g, k, id) < 0)
			remove_holds_of(dfd, hd->d_name);
	}
	if (d)
		closedir(d);
}

/* Whether some process of this user has ino (on dev) open: the /proc scan of mark_open, stopping
 * at the first. */
static bool open_anywhere(dev_t dev, ino_t ino)
{
	struct graph g = { 0 };
	struct entry e = { .ino = ino };
	DIR *self = opendir("/proc/self/fd");
	struct dirent *de;
	bool found = false;

	if (!self && (errno == EMFILE || errno == ENFILE))
		return true; /* cannot look: not found dead */

	/* this process first: what it holds is the usual case */
	while (self && !found && (de = readdir(self))) {
		struct stat st;

		found = de->d_name[0] != '.' && !fstatat(dirfd(self), de->d_name, &st, 0) && st.st_dev == dev &&
			st.st_ino == ino;
	}
	if (self)
		closedir(self);
	if (found)
		return true;
	g.e = &e;
	g.n = 1;
	g.dev = dev;
	mark_open(&g);
	return e.live;
}

/* Holds naming the object `name` (links holds/<holder>/<name>.<tag>). */
static unsigned holds_on(int dfd, const char *name)
{
	struct dirent *hd;
	int hfd = openat(dfd, HOLDS, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = hfd >= 0 ? fdopendir(hfd) : NULL;
	size_t n = strlen(name);
	unsigned count = 0;

	while (d && (hd = readdir(d))) {
		int sfd;
		DIR *s;
		struct dirent *de;

		if (hd->d_name[0] == '.')
			continue;
		sfd = openat(dirfd(d), hd->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		s = sfd >= 0 ? fdopendir(sfd) : NULL;
		while (s && (de = readdir(s)))
			count += !strncmp(de->d_name, name, n) && de->d_name[n] == '.';
		if (s)
			closedir(s);
	}
	if (d)
		closedir(d);
	return count;
}

int emu_objstore_open_live(enum emu_id_kind kind, uint32_t id, int flags)
{
	char name[32];
	struct stat st;
	unsigned holds;
	int dfd, err = name_of(name, sizeof(name), kind, id);

	if (err)
		return err;
	dfd = registry_open();
	if (dfd == -EMFILE || dfd == -ENFILE)
		return open_by_path(name, flags); /* no fd to check liveness with either */
	if (dfd < 0)
		return -ENOENT;
	flock(dfd, LOCK_SH);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		registry_close(dfd);
		return -ENOENT;
	}
	holds = holds_on(dfd, name);
	/* pinned, or open somewhere: live. Held only: whether its holders live is a whole pass. */
	if (!(st.st_nlink > 1 + (nlink_t)holds) && !open_anywhere(st.st_dev, st.st_ino)) {
		registry_close(dfd);
		emu_objstore_collect();
		return emu_objstore_open(kind, id, flags);
	}
	return open_locked(dfd, name, flags);
}

void emu_objstore_collect(void)
{
	struct graph g = { 0 };
	bool changed;
	int dfd = registry_open();

	if (dfd < 0)
		return;
	flock(dfd, LOCK_EX);
	if (!list_entries(dfd, &g) || !list_holds(dfd, &g))
		goto out;
	mark_open(&g);
	/* pinned: a link besides the registry's and the holds' */
	for (size_t i = 0; i < g.n; i++)
		if (g.e[i].nlink > 1 + (nlink_t)g.e[i].holds_on)
			g.e[i].live = true;
	/* what live objects hold is live */
	do {
		changed = false;
		for (size_t j = 0; j < g.nedges; j++)
			if (g.e[g.edges[j].from].live && !g.e[g.edges[j].to].live)
				changed = g.e[g.edges[j].to].live = true;
	} while (changed);
	for (size_t i = 0; i < g.n; i++) {
		char name[32];

		if (g.e[i].live || name_of(name, sizeof(name), g.e[i].kind, g.e[i].id))
			continue;
		remove_holds_of(dfd, name);
		unlinkat(dfd, name, 0);
	}
	remove_orphan_holds(dfd, &g);
out:
	free(g.e);
	free(g.edges);
	registry_close(dfd);
}
