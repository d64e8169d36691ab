/* SPDX-License-Identifier: MIT */
/*
 * Program views (prog_view.h): each process maps a program file the first time one of its fds is
 * used and finds the view again by the file's identity (st_dev, st_ino). What a run needs (the
 * used maps' views, global data regions, the translated image) is made once per view, by the first
 * caller that asks; a process that only lists or shows programs never makes it.
 *
 * Lifetime: a view lives while a caller holds it, while an fd-cache slot names it, or while an fd
 * of this process names its file; a sweep (every so many new views) moves the others to a
 * graveyard, freed at the next sweep (a thread that read an fd-cache slot just before the fd was
 * closed may still be about to take a reference). A freed view drops its map references.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* An allocation failure inside uthash must become ENOMEM for the caller, never an exit. */
#define HASH_NONFATAL_OOM 1
static int views_oom;
#define uthash_nonfatal_oom(e) (views_oom = 1)
#include <uthash.h>

#include "../prog/check.h" /* enum emu_ld_kind */
#include "../prog/helpers/helpers.h" /* emu_helper_value_access */
#include "../prog/interp.h"
#include "../prog/test_run.h" /* emu_helper_lookup */
#include "../util/compiler.h" /* EMU_ZALLOC */
#include "../util/diag.h"
#include "fdcache.h"
#include "object.h"
#include "objstore.h"
#include "prog_view.h"
#include "state.h"

struct view_key {
	dev_t dev;
	ino_t ino;
};

struct view_entry {
	struct view_key key;
	struct emu_prog prog;
	UT_hash_handle hh;
};

static struct view_entry *views, *graveyard;
static pthread_rwlock_t views_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned sweep_at = 32;

/* ---- map references a view keeps ---- */

static void map_ref(struct emu_map *m) { __atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL); }
static void map_unref(struct emu_map *m) { __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL); }

static int add_map(struct emu_prog *p, struct emu_map *m)
{
	if (p->nr_maps == p->maps_cap) {
		uint32_t cap = p->maps_cap ? p->maps_cap * 2 : 8;
		struct emu_map **n = realloc(p->maps, sizeof(*n) * cap);

		if (!n)
			return -ENOMEM;
		p->maps = n;
		p->maps_cap = cap;
	}
	map_ref(m);
	p->maps[p->nr_maps++] = m;
	return 0;
}

static void free_run_state(struct emu_prog *p)
{
	if (p->img)
		emu_prog_image_free(p->img);
	for (uint32_t i = 0; i < p->nr_maps; i++)
		map_unref(p->maps[i]);
	free(p->maps);
	free(p->regions);
	free(p->ld);
	p->img = NULL;
	p->maps = NULL;
	p->regions = NULL;
	p->ld = NULL;
	p->nr_maps = p->maps_cap = p->nr_regions = p->nr_ld = 0;
}

static void free_entry(struct view_entry *e)
{
	free_run_state(&e->prog);
	pthread_mutex_destroy(&e->prog.run_lock);
	munmap(e->prog.hdr, e->prog.size);
	free(e);
}

/* ---- the table ---- */

/* Views no fd of this process names, nobody holds and no cache slot names: to the graveyard;
 * the graveyard's earlier occupants are freed. */
static void sweep_locked(void)
{
	struct view_entry *e, *tmp, *keep = NULL;
	struct view_key *alive = NULL;
	size_t n = 0, cap = 0;

	for (int fd = 0; fd < 65536; fd++) {
		struct stat st;

		if (fcntl(fd, F_GETFD) < 0) {
			if (fd > 1024 && fd > (int)(n * 4 + 1024))
				break;
			continue;
		}
		if (fstat(fd, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct view_key *na = realloc(alive, nc * sizeof(*na));

			if (!na) {
				free(alive);
				return;
			}
			alive = na;
			cap = nc;
		}
		alive[n].dev = st.st_dev;
		alive[n].ino = st.st_ino;
		n++;
	}
	while (graveyard) {
		e = graveyard;
		graveyard = e->hh.next;
		if (__atomic_load_n(&e->prog.refs, __ATOMIC_ACQUIRE)) { /* taken after all: keep */
			e->hh.next = keep;
			keep = e;
			continue;
		}
		free_entry(e);
	}
	graveyard = keep;
	HASH_ITER(hh, views, e, tmp) {
		bool found = false;

		if (__atomic_load_n(&e->prog.refs, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&e->prog.cache_refs, __ATOMIC_ACQUIRE))
			continue;
		for (size_t i = 0; i < n && !found; i++)
			found = alive[i].dev == e->key.dev && alive[i].ino == e->key.ino;
		if (found)
			continue;
		HASH_DEL(views, e);
		e->hh.next = graveyard;
		graveyard = e;
	}
	free(alive);
}

/* A program file fd names, its header checked against the file (core/prog_file.c) and copied
 * into *hc, mapped read-write (fd may have been opened with another mode). */
static int map_file(int fd, const struct stat *st, struct emu_prog_hdr *hc, struct emu_prog_hdr **out)
{
	const char *field = NULL;
	char path[64];
	int rfd = fd, fl = fcntl(fd, F_GETFL), err = 0;
	void *p;

	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDWR | O_CLOEXEC);
		if (rfd < 0)
			return errno == EMFILE || errno == ENFILE ? -errno : -EINVAL;
	}
	if (pread(rfd, hc, sizeof(*hc), 0) != (ssize_t)sizeof(*hc) || hc->magic != EMU_PROG_MAGIC) {
		err = -EINVAL; /* no program file: no diagnostic */
	} else if (emu_prog_file_check_hdr(hc, (uint64_t)st->st_size, &field)) {
		emu_prog_file_refused(st, hc->id, field);
		err = -EINVAL;
	}
	if (err) {
		if (rfd != fd)
			close(rfd);
		return err;
	}
	p = mmap(NULL, hc->file_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	if (rfd != fd)
		close(rfd);
	if (p == MAP_FAILED)
		return -ENOMEM;
	*out = p;
	return 0;
}

static int add_locked(const struct view_key *k, struct emu_prog_hdr *h, const struct emu_prog_hdr *hc,
		      struct view_entry **out)
{
	struct view_entry *e = EMU_ZALLOC(struct view_entry);

	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->prog.hdr = h;
	e->prog.hc = *hc;
	e->prog.size = hc->file_size;
	e->prog.dev = k->dev;
	e->prog.ino = k->ino;
	pthread_mutex_init(&e->prog.run_lock, NULL);
	if (HASH_COUNT(views) >= sweep_at) {
		sweep_locked();
		sweep_at = HASH_COUNT(views) * 2 + 32;
	}
	views_oom = 0;
	HASH_ADD(hh, views, key, sizeof(e->key), e);
	if (views_oom) {
		pthread_mutex_destroy(&e->prog.run_lock);
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

static bool is_path_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_PATH);
}

static void fork_child(void)
{
	pthread_rwlock_init(&views_lock, NULL);
}
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void atfork_init(void) { pthread_atfork(NULL, NULL, fork_child); }

__attribute__((noinline)) static int prog_get_slow(int fd, struct emu_prog **out)
{
	struct view_entry *e;
	struct view_key k;
	struct stat st;
	int err = 0;

	pthread_once(&atfork_once, atfork_init);
	if (fd < 0 || fstat(fd, &st) || is_path_fd(fd))
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.dev = st.st_dev;
	k.ino = st.st_ino;
	pthread_rwlock_rdlock(&views_lock);
	HASH_FIND(hh, views, &k, sizeof(k), e);
	if (e)
		__atomic_add_fetch(&e->prog.refs, 1, __ATOMIC_ACQ_REL);
	pthread_rwlock_unlock(&views_lock);
	if (!e) {
		struct emu_prog_hdr *h, *hc;

		if (emu_fd_magic(fd) != EMU_PROG_MAGIC)
			return -EINVAL;
		hc = EMU_ZALLOC(struct emu_prog_hdr);
		if (!hc)
			return -ENOMEM;
		err = map_file(fd, &st, hc, &h);
		if (err) {
			free(hc);
			return err;
		}
		pthread_rwlock_wrlock(&views_lock);
		HASH_FIND(hh, views, &k, sizeof(k), e);
		if (e) {
			munmap(h, hc->file_size); /* another thread made it meanwhile */
		} else {
			err = add_locked(&k, h, hc, &e);
			if (err)
				munmap(h, hc->file_size);
		}
		free(hc);
		if (!err)
			__atomic_add_fetch(&e->prog.refs, 1, __ATOMIC_ACQ_REL);
		pthread_rwlock_unlock(&views_lock);
		if (err)
			return err;
	}
	*out = &e->prog;
	emu_fdcache_prog_put(fd, *out);
	return 0;
}

/* A cached fd checked: its number still names the cached program's file (one fstat). A number
 * closed behind the preload's back and reused (a close by a raw system call, then an open) is
 * found here: the entry is dropped and the fd asked about afresh. p is held by the caller. */
__attribute__((noinline)) static int prog_get_checked(int fd, struct emu_prog **out)
{
	struct emu_prog *p = *out;
	struct stat st;

	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_dev == p->dev && st.st_ino == p->ino)
		return 0;
	emu_prog_put(p);
	emu_fdcache_forget(fd);
	return prog_get_slow(fd, out);
}

/* Every command but TEST_RUN: a cached entry is checked before it is used, as for maps
 * (core/registry.c). */
int emu_prog_get(int fd, struct emu_prog **out)
{
	if (emu_fdcache_prog_get(fd, out)) {
		__atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_ACQ_REL);
		return prog_get_checked(fd, out);
	}
	return prog_get_slow(fd, out);
}

/* Not a trusted entry: a checked one (BPFEMU_FDCACHE_VALIDATE=1), or the slow way. */
__attribute__((noinline)) static int prog_get_untrusted(int fd, struct emu_prog **out)
{
	if (emu_fdcache_validate)
		return emu_prog_get(fd, out);
	return prog_get_slow(fd, out);
}

int emu_prog_get_fast(int fd, struct emu_prog **out)
{
	if (emu_fdcache_prog_get_in(&emu_fdcache_prog_trusted, fd, out)) {
		__atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_ACQ_REL);
		return 0;
	}
	return prog_get_untrusted(fd, out);
}

void emu_prog_put(struct emu_prog *p)
{
	__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
}

void emu_prog_hold(struct emu_prog *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
}

void emu_prog_cache_ref(struct emu_prog *p, int delta)
{
	__atomic_add_fetch(&p->cache_refs, delta, __ATOMIC_ACQ_REL);
}

static int make_regions(struct emu_prog *p);

int emu_prog_view_new(int fd, struct emu_map *const *maps, uint32_t nr_maps, const struct emu_prog_ld *ld,
		      uint32_t nr_ld, struct emu_prog_image *img, struct emu_prog **out)
{
	struct emu_prog *p;
	int err = prog_get_slow(fd, &p);

	if (err)
		return err;
	pthread_mutex_lock(&p->run_lock);
	for (uint32_t i = 0; i < nr_maps && !err; i++)
		err = add_map(p, maps[i]);
	if (!err && img) {
		p->ld = malloc(sizeof(*ld) * (nr_ld ? nr_ld : 1));
		if (!p->ld)
			err = -ENOMEM;
		else if (nr_ld)
			memcpy(p->ld, ld, sizeof(*ld) * nr_ld);
		p->nr_ld = nr_ld;
	}
	if (!err && img)
		err = make_regions(p);
	if (!err && img) {
		p->img = img;
		__atomic_store_n(&p->run_state, 1, __ATOMIC_RELEASE);
	}
	if (err)
		free_run_state(p);
	pthread_mutex_unlock(&p->run_lock);
	if (err) {
		emu_prog_put(p);
		return err;
	}
	*out = p;
	return 0;
}

/* ---- what a run needs ---- */

/* A used map by id, for a view made in a process that did not load the program: through the
 * registry (the program holds its maps there), else an fd of this process's own. */
struct find_map {
	uint32_t id;
	struct emu_map *m;
};

static bool find_map_cb(void *arg, int fd, const char *path)
{
	struct find_map *f = arg;
	struct emu_map *m;
	int mode;

	(void)path;
	if (emu_map_get(fd, &m, &mode))
		return true;
	if (m->id == f->id) {
		map_ref(m);
		f->m = m;
	}
	emu_map_put(m);
	emu_fdcache_forget(fd); /* the walk's own fds close behind the cache's back */
	return !f->m;
}

void emu_visit_objects(bool (*fn)(void *arg, int fd, const char *path), void *arg); /* cmd/ids.c */

static int map_by_id(uint32_t id, struct emu_map **out)
{
	struct find_map f = { id, NULL };
	int fd = emu_objstore_open(EMU_ID_MAP, id, O_RDWR);

	if (fd >= 0) {
		struct emu_map *m;
		int mode;

		if (!emu_map_get(fd, &m, &mode)) {
			map_ref(m);
			f.m = m;
			emu_map_put(m);
		}
		emu_fdcache_forget(fd);
		close(fd);
	}
	if (!f.m)
		emu_visit_objects(find_map_cb, &f);
	if (!f.m)
		return -ENOENT;
	*out = f.m;
	return 0;
}

static int resolve_maps(struct emu_prog *p)
{
	uint32_t n = emu_prog_nr_map_ids(p);

	if (n < p->hc.nr_insn_maps)
		return emu_prog_corrupt(p, "nr_map_ids");
	for (uint32_t i = p->nr_maps; i < n; i++) {
		uint32_t id = __atomic_load_n(&p->hdr->map_ids[i], __ATOMIC_RELAXED); /* read once */
		struct emu_map *m;
		int err = map_by_id(id, &m);

		if (err) {
			emu_diag("program %u (%s): its map %u cannot be found in this process", p->hc.id, p->hc.name, id);
			return err;
		}
		err = add_map(p, m);
		map_unref(m); /* add_map took the view's own */
		if (err)
			return err;
	}
	return 0;
}

/* Element 0's value of an array, where PSEUDO_MAP_VALUE points. */
static char *value0(struct emu_map *m)
{
	uint32_t key = 0;

	return m->ops->value_ptr ? m->ops->value_ptr(m, &key) : NULL;
}

static int make_regions(struct emu_prog *p)
{
	const struct emu_prog_ld *ld = p->ld;

	p->regions = calloc(p->nr_ld ? p->nr_ld : 1, sizeof(*p->regions));
	if (!p->regions)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nr_ld; i++) {
		struct emu_map *m;
		struct emu_region *r;
		bool seen = false;
		char *v;

		if (ld[i].kind != EMU_LDK_MAP_VALUE || ld[i].map >= p->nr_maps)
			continue;
		m = p->maps[ld[i].map];
		v = value0(m);
		if (!v || v == EMU_VALUE_DAMAGED)
			return v ? -EUCLEAN : -EINVAL;
		for (uint32_t j = 0; j < p->nr_regions && !seen; j++)
			seen = p->regions[j].start == (uintptr_t)v;
		if (seen)
			continue;
		r = &p->regions[p->nr_regions++];
		r->start = (uintptr_t)v;
		r->end = (uintptr_t)v + m->value_size;
		r->kind = EMU_RGN_GLOBAL;
		/* the kernel's verifier refuses program writes to a BPF_F_RDONLY_PROG map and reads of
		 * a BPF_F_WRONLY_PROG one, frozen or not */
		r->flags = (m->map_flags & EMU_F_RDONLY_PROG) ? EMU_MEM_READ
			   : (m->map_flags & EMU_F_WRONLY_PROG) ? EMU_MEM_WRITE
								      : EMU_MEM_READ | EMU_MEM_WRITE;
	}
	return 0;
}

/* The helpers a translation binds calls to: the helper table's record with the interpreter's
 * function (emu/prog/helpers/table.c), NULL for a helper without one (refused at load,
 * cmd/prog_load.c). */
const struct emu_func_proto *emu_prog_helper_lookup(void *ctx, int32_t id)
{
	return emu_helper_lookup(ctx, id);
}

struct ld_ctx {
	const struct emu_prog_ld *ld;
	uint32_t nr_ld;
	struct emu_map *const *maps;
	uint32_t nr_maps;
	const uint32_t *lookup; /* cnt entries, or NULL */
	uint32_t cnt;
};

/* The ld_imm64 resolver of the translation: maps are their views' addresses, map values the
 * address of the byte in element 0's value (the contract with the helpers, prog_obj.h). */
static int ld_cb(void *ctx, const struct emu_insn *insn, uint32_t idx, uint64_t *value, char *err, size_t errlen)
{
	const struct ld_ctx *c = ctx;
	uint32_t lo = 0, hi = c->nr_ld;

	(void)insn;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (c->ld[mid].insn < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nr_ld || c->ld[lo].insn != idx || c->ld[lo].map >= c->nr_maps) {
		snprintf(err, errlen, "ld_imm64 at %u names no used map", idx);
		return -EINVAL;
	}
	if (c->ld[lo].kind == EMU_LDK_MAP) {
		*value = (uint64_t)(uintptr_t)c->maps[c->ld[lo].map];
	} else {
		char *v = value0(c->maps[c->ld[lo].map]);

		if (!v || v == EMU_VALUE_DAMAGED) {
			snprintf(err, errlen, "map of ld_imm64 at %u has no direct value", idx);
			return -EINVAL;
		}
		*value = (uint64_t)(uintptr_t)(v + c->ld[lo].off);
	}
	return 0;
}

/* The translation's inlining of array lookups: a lookup the loader found naming one used map,
 * whose family says how its lookup is computed (emu_map_ops.prog_gen_lookup). */
static bool inline_cb(void *ctx, uint32_t idx, struct emu_xlate_array *a)
{
	const struct ld_ctx *c = ctx;

	if (!c->lookup || idx >= c->cnt || !c->lookup[idx] || c->lookup[idx] > c->nr_maps)
		return false;
	return emu_map_xlate_array(c->maps[c->lookup[idx] - 1], a);
}

bool emu_map_xlate_array(struct emu_map *m, struct emu_xlate_array *a)
{
	if (!m->ops->prog_gen_lookup || !m->ops->prog_gen_lookup(m, &a->values, &a->stride, &a->bytes, &a->cpu_stride))
		return false;
	a->map = (uint64_t)(uintptr_t)m;
	a->max_entries = m->max_entries;
	a->key_size = m->key_size;
	a->nr_cpus = m->nr_cpus;
	a->access = emu_helper_value_access(m); /* what the helper gives a value it returns */
	return true;
}

int emu_prog_translate_maps(const struct emu_insn *insns, uint32_t cnt, const struct emu_prog_ld *ld,
			    uint32_t nr_ld, struct emu_map *const *maps, uint32_t nr_maps, const uint32_t *lookup,
			    struct emu_prog_image **img, char *why, size_t whylen)
{
	struct ld_ctx c = { ld, nr_ld, maps, nr_maps, lookup, cnt };
	struct emu_xlate_opts opts = { ld_cb, emu_prog_helper_lookup, &c, inline_cb };

	opts.cb_ctx = &c;
	*img = emu_prog_translate(insns, cnt, &opts, why, whylen);
	return *img ? 0 : -EINVAL;
}

/* A view without the loader's image: the maps by id, then the program checked again from a
 * private copy of its instructions and translated from that copy (core/prog_file.c). */
static int make_run_state(struct emu_prog *p)
{
	int err = resolve_maps(p);

	if (!err)
		err = emu_prog_file_recheck(p);
	if (!err)
		err = make_regions(p);
	return err;
}

static int run_state(struct emu_prog *p)
{
	int st = __atomic_load_n(&p->run_state, __ATOMIC_ACQUIRE);

	if (st)
		return st < 0 ? st : 0;
	pthread_mutex_lock(&p->run_lock);
	st = p->run_state;
	if (!st) {
		st = make_run_state(p);
		if (st)
			free_run_state(p);
		__atomic_store_n(&p->run_state, st ? st : 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&p->run_lock);
	return st < 0 ? st : 0;
}

int emu_prog_image(struct emu_prog *p, const struct emu_prog_image **img)
{
	int err = run_state(p);

	if (!err)
		*img = p->img;
	return err;
}

int emu_prog_maps(struct emu_prog *p, struct emu_map *const **maps, uint32_t *nr)
{
	int err = run_state(p);

	if (!err) {
		*maps = p->maps;
		*nr = p->nr_maps;
	}
	return err;
}

int emu_prog_regions(struct emu_prog *p, const struct emu_region **regions, uint32_t *nr)
{
	int err = run_state(p);

	if (!err) {
		*regions = p->regions;
		*nr = p->nr_regions;
	}
	return err;
}

void emu_prog_view_bound(struct emu_prog *p, struct emu_map *m)
{
	pthread_mutex_lock(&p->run_lock);
	/* a view whose maps are resolved holds the new one too; one not yet resolved finds it by id */
	if (p->run_state == 1 || (p->run_state == 0 && p->nr_maps))
		add_map(p, m);
	pthread_mutex_unlock(&p->run_lock);
}
