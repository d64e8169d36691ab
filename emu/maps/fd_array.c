/* SPDX-License-Identifier: MIT */
/*
 * The arrays of objects (kernel/bpf/arraymap.c fd arrays): ARRAY_OF_MAPS (values are maps),
 * PROG_ARRAY (programs), PERF_EVENT_ARRAY (perf events). A user updates an element with an fd and
 * a lookup answers the object's id (maps, programs) or ENOTSUPP (perf events, which the kernel
 * never shows); update flags must be BPF_ANY, an index past the end is E2BIG, an empty slot
 * ENOENT.
 *
 * The file: a head (the inner map template, the hold tag counter, a program array's owner), then
 * one 8-byte slot per index: the object's id and the tag of the hold that keeps it alive
 * (core/objstore.h), 0 when empty. A slot changes by one aligned 8-byte store, under the map lock;
 * the new object's hold is made before that store and the old one's let go after it, so a
 * process killed in between leaves one hold too many (freed with the array), never a slot naming
 * an object nothing holds. Tags come from the counter and are never reused, so two updates
 * racing on one slot with one object cannot drop each other's hold.
 *
 * What cannot be emulated: a perf event is a kernel object whose fd the map file cannot keep, so
 * a PERF_EVENT_ARRAY slot only remembers that a perf event fd was stored (programs' perf output
 * is not emulated: README); the kernel's clearing of a program array when its last user fd goes
 * and of a perf event array's slots when the fd that stored them closes is not done either.
 *
 * Untrusted file: the slot index is checked against max_entries, ids read from the file are only
 * handed back or looked up by id (objstore), and the geometry is checked against the file's size.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../cmd/cmds.h"
#include "../core/objstore.h"
#include "../core/prog_obj.h"
#include "../core/sync.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "families.h"
#include "map_in_map.h"

#define KERNEL_ARRAY 312u /* sizeof(struct bpf_array) on 6.18: memlock */
#define HEAD_SIZE 256u

struct fda_head {
	struct emu_inner_tmpl tmpl; /* ARRAY_OF_MAPS */
	uint32_t tag_seq;
	uint32_t owner_set, owner_type, owner_jited; /* PROG_ARRAY: the first program's */
};
_Static_assert(sizeof(struct fda_head) <= HEAD_SIZE, "fd array head");

struct fda_slot {
	uint32_t id, tag;
};

static struct fda_head *H(const struct emu_map *m) { return emu_priv(m); }

static struct fda_slot *slots(const struct emu_map *m)
{
	return (struct fda_slot *)(m->base + (uint64_t)(m->priv - m->base) + HEAD_SIZE);
}

static int geom_ok(const struct emu_map *m)
{
	if ((uint64_t)(m->priv - m->base) + HEAD_SIZE + (uint64_t)m->max_entries * sizeof(struct fda_slot) > m->size) {
		static bool said;

		emu_diag_once(&said, "an fd array's file does not match its shape: EUCLEAN");
		return -EUCLEAN;
	}
	return 0;
}

static int kind_of(const struct emu_map *m) { return m->map_type == EMU_MAP_PROG_ARRAY ? EMU_ID_PROG : EMU_ID_MAP; }

static struct fda_slot load_slot(struct fda_slot *s)
{
	uint64_t v = __atomic_load_n((uint64_t *)s, __ATOMIC_ACQUIRE);
	struct fda_slot r;

	memcpy(&r, &v, 8);
	return r;
}

static void store_slot(struct fda_slot *s, struct fda_slot v)
{
	uint64_t w;

	memcpy(&w, &v, 8);
	__atomic_store_n((uint64_t *)s, w, __ATOMIC_RELEASE);
}

/* ---- create ---- */

/* fd_array_map_alloc_check: the value is an fd, no program access flags, then the array's rules
 * (the flags themselves are the command layer's) */
static int fda_alloc_check(struct emu_create *c)
{
	if (c->value_size != 4 || c->key_size != 4)
		return -EINVAL;
	return 0;
}

/* ARRAY_OF_MAPS: bpf_map_meta_alloc, after the token */
static int aom_alloc_shape(struct emu_create *c)
{
	return emu_inner_tmpl_make(c);
}

static int fda_layout(const struct emu_create *c, uint64_t *priv_size)
{
	*priv_size = HEAD_SIZE + (uint64_t)c->max_entries * sizeof(struct fda_slot);
	return 0;
}

static void fda_init_create(struct emu_map *m, const struct emu_create *c)
{
	if (m->map_type == EMU_MAP_ARRAY_OF_MAPS)
		memcpy(&H(m)->tmpl, c->fam, sizeof(H(m)->tmpl));
}

static uint64_t fda_memlock(const struct emu_map *m)
{
	return KERNEL_ARRAY + 8ull * m->max_entries;
}

/* ---- elements ---- */

static int fda_lookup(struct emu_map *m, const void *key, void *value)
{
	uint32_t idx;
	struct fda_slot s;
	int err = geom_ok(m);

	if (err)
		return err;
	/* perf events have no id to show: the kernel's map_fd_sys_lookup_elem is missing */
	if (m->map_type == EMU_MAP_PERF_EVENT_ARRAY)
		return -EMU_ENOTSUPP;
	memcpy(&idx, key, 4);
	if (idx >= m->max_entries)
		return -ENOENT;
	s = load_slot(&slots(m)[idx]);
	if (!s.id)
		return -ENOENT;
	/* planted mistakes (test builds): the id a user's lookup or batch answers off by one */
	if ((m->map_type == EMU_MAP_ARRAY_OF_MAPS && EMU_FAULT("ofmap-id")) ||
	    (m->map_type == EMU_MAP_PROG_ARRAY && EMU_FAULT("progarray-id")))
		s.id++;
	memcpy(value, &s.id, 4);
	return 0;
}

/* The object a value fd names: an id for the slot, or the kernel's errno. */
static int resolve(struct emu_map *m, uint32_t ufd, uint32_t *id)
{
	int local, err;

	switch (m->map_type) {
	case EMU_MAP_ARRAY_OF_MAPS:
		return emu_inner_resolve(m, &H(m)->tmpl, ufd, id);
	case EMU_MAP_PROG_ARRAY: {
		struct emu_prog *p;
		uint32_t type;

		local = emu_caller_fd_dup((int)ufd);
		if (local < 0)
			return local == -EMFILE ? local : -EBADF;
		err = emu_prog_get(local, &p);
		close(local);
		if (err)
			return err;
		type = emu_prog_type(p);
		*id = emu_prog_id(p);
		emu_prog_put(p);
		/* bpf_prog_map_compatible: the first program decides the array's owner type (the
		 * emulator's programs are not jited: its owner_jited stays 0) */
		if (!__atomic_load_n(&H(m)->owner_set, __ATOMIC_ACQUIRE)) {
			H(m)->owner_type = type;
			H(m)->owner_jited = 0;
			__atomic_store_n(&H(m)->owner_set, 1, __ATOMIC_RELEASE);
		} else if (H(m)->owner_type != type) {
			return -EINVAL;
		}
		return 0;
	}
	case EMU_MAP_PERF_EVENT_ARRAY: {
		char path[64], target[64];
		ssize_t n;

		/* perf_event_get(): a perf event's file, else EBADF */
		local = emu_caller_fd_dup((int)ufd);
		if (local < 0)
			return local == -EMFILE ? local : -EBADF;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", local);
		n = readlink(path, target, sizeof(target) - 1);
		close(local);
		if (n < 0)
			return -EBADF;
		target[n] = 0;
		if (strcmp(target, "anon_inode:[perf_event]"))
			return -EBADF;
		*id = 1; /* a perf event is there; which one cannot be kept (see the top of the file) */
		return 0;
	}
	}
	return -EINVAL;
}

static int fda_update_locked(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx, ufd, id = 0, tag;
	struct fda_slot old, nw;
	int err;

	if (flags != EMU_ANY)
		return -EINVAL;
	memcpy(&idx, key, 4);
	if (idx >= m->max_entries)
		return -E2BIG;
	memcpy(&ufd, value, 4);
	err = resolve(m, ufd, &id);
	if (err)
		return err;
	tag = __atomic_add_fetch(&H(m)->tag_seq, 1, __ATOMIC_RELAXED);
	if (m->map_type != EMU_MAP_PERF_EVENT_ARRAY)
		emu_elem_hold(m->id, kind_of(m), id, tag);
	nw.id = id;
	nw.tag = tag;
	old = load_slot(&slots(m)[idx]);
	EMU_CRASH_POINT("fda.store");
	store_slot(&slots(m)[idx], nw);
	EMU_CRASH_POINT("fda.stored");
	if (old.id && m->map_type != EMU_MAP_PERF_EVENT_ARRAY)
		emu_elem_release(m->id, kind_of(m), old.id, old.tag);
	return 0;
}

static int fda_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	int err = geom_ok(m);

	if (err)
		return err;
	err = emu_map_lock(m);
	if (err)
		return err;
	err = fda_update_locked(m, key, value, flags);
	emu_map_unlock(m);
	return err;
}

static int fda_delete(struct emu_map *m, const void *key)
{
	uint32_t idx;
	struct fda_slot old;
	int err = geom_ok(m);

	if (err)
		return err;
	memcpy(&idx, key, 4);
	if (idx >= m->max_entries)
		return -E2BIG;
	err = emu_map_lock(m);
	if (err)
		return err;
	old = load_slot(&slots(m)[idx]);
	if (old.id) {
		store_slot(&slots(m)[idx], (struct fda_slot){ 0, 0 });
		EMU_CRASH_POINT("fda.cleared");
		if (m->map_type != EMU_MAP_PERF_EVENT_ARRAY)
			emu_elem_release(m->id, kind_of(m), old.id, old.tag);
	}
	emu_map_unlock(m);
	return old.id ? 0 : -ENOENT;
}

/* array_map_get_next_key */
static int fda_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	uint32_t idx = UINT32_MAX, next;

	if (key)
		memcpy(&idx, key, 4);
	if (idx >= m->max_entries) {
		next = 0;
	} else {
		if (idx == m->max_entries - 1)
			return -ENOENT;
		next = idx + 1;
	}
	memcpy(next_key, &next, 4);
	return 0;
}

/* The owner lines of a program array's fdinfo, once a program made it the owner's */
static int fda_fdinfo(struct emu_map *m, char *buf, size_t len)
{
	int n;

	if (m->map_type != EMU_MAP_PROG_ARRAY || !__atomic_load_n(&H(m)->owner_set, __ATOMIC_ACQUIRE))
		return 0;
	n = snprintf(buf, len, "owner_prog_type:\t%u\nowner_jited:\t%u\n", H(m)->owner_type, H(m)->owner_jited);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int fda_check(struct emu_map *m)
{
	struct emu_inner_tmpl t;
	int err = geom_ok(m);

	if (!err && m->map_type == EMU_MAP_ARRAY_OF_MAPS && !emu_inner_tmpl_load(&H(m)->tmpl, &t))
		err = emu_map_corrupt(m, "inner map template");
	return err;
}

/* Adoption: the slots lie inside the file, an array of maps' template is one (the slots' ids and
 * tags are checked where they are used: only handed back, or looked up by id) */
static int fda_validate(struct emu_map *m, const char **field)
{
	struct emu_inner_tmpl t;

	m->data_stride = 0; /* no value is written by a redo or slot record */
	if (geom_ok(m))
		*field = "fd array slots";
	else if (m->map_type == EMU_MAP_ARRAY_OF_MAPS && !emu_inner_tmpl_load(&H(m)->tmpl, &t))
		*field = "inner map template";
	else
		return 0;
	return -EINVAL;
}

/*
 * A program's tail call through a PROG_ARRAY (emu/prog/interp.h emu_tail_call_fn's contract, for
 * cmd/prog_test_run.c): the program in slot index, found by its id.
 */
int emu_prog_array_slot(struct emu_map *m, uint32_t index, uint32_t *prog_id)
{
	struct fda_slot s;

	if (m->map_type != EMU_MAP_PROG_ARRAY || geom_ok(m))
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	s = load_slot(&slots(m)[index]);
	*prog_id = s.id;
	return 0;
}

const struct emu_inner_tmpl *emu_aom_tmpl(struct emu_map *m)
{
	return m->map_type == EMU_MAP_ARRAY_OF_MAPS && !geom_ok(m) ? &H(m)->tmpl : NULL;
}

#define FDA_OPS                                                                                     \
	.alloc_check = fda_alloc_check, .layout = fda_layout, .init_create = fda_init_create, .validate = fda_validate,        \
	.memlock = fda_memlock, .lookup = fda_lookup, .update = fda_update, .delete = fda_delete,    \
	.get_next_key = fda_get_next_key, .check = fda_check, .fdinfo = fda_fdinfo

const struct emu_map_ops emu_array_of_maps_ops = {
	.family = "array_of_maps",
	.create_flags = EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY,
	FDA_OPS,
	.alloc_shape = aom_alloc_shape,
	/* the kernel's generic batches, without lookup-and-delete and delete */
	.update_locked = fda_update_locked,
	.lookup_batch = emu_batch_lookup_generic,
	.update_batch = emu_batch_update_generic,
};

const struct emu_map_ops emu_prog_array_ops = {
	.family = "prog_array",
	.create_flags = EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY,
	FDA_OPS,
};

const struct emu_map_ops emu_perf_event_array_ops = {
	.family = "perf_event_array",
	.create_flags = EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_PRESERVE_ELEMS,
	FDA_OPS,
};
