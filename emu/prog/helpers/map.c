/* SPDX-License-Identifier: MIT */
/*
 * The map helpers (kernel/bpf/helpers.c bpf_map_*_elem, kernel/bpf/bpf_iter.c
 * bpf_for_each_map_elem): each calls the map family's op as the kernel's helper calls
 * map->ops->map_*_elem, with the program-side ops of emu/core/map.h where the program's view
 * differs from the command's (values in place, one CPU's slot, program-side flags).
 *
 * A lookup hands the program a pointer into the shared map file and registers value_size bytes
 * there as a region of the run (read/write as BPF_F_RDONLY_PROG / WRONLY_PROG allow); for_each
 * does the same for each element only while its callback runs, with the key read-only.
 * Values a program passes in are copied first (a value may alias the map's own memory) and get
 * their special fields zeroed (spin locks, timers: never the program's to write).
 */
#include <stdlib.h>

#include "../../core/value.h"
#include "../../util/diag.h" /* EMU_FAULT */
#include "helpers.h"

#define VALUE_STACK_BYTES 512

/* A private copy of a program's value. */
struct vcopy {
	void *p;
	unsigned char local[VALUE_STACK_BYTES];
};

static void *vcopy_of(struct vcopy *c, const void *src, uint32_t n)
{
	c->p = n <= sizeof(c->local) ? c->local : malloc(n);
	if (c->p)
		memcpy(c->p, src, n);
	return c->p;
}

static void vcopy_put(struct vcopy *c)
{
	if (c->p != c->local)
		free(c->p);
}

HELPER(map_lookup_elem)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_map_lookup_elem");
	void *v;

	(void)r3, (void)r4, (void)r5;
	if (!m || !emu_helper_mem(run, r2, m->key_size, EMU_MEM_READ, "bpf_map_lookup_elem", "key"))
		return 0;
	if (m->map_type == EMU_MAP_ARRAY_OF_MAPS || m->map_type == EMU_MAP_HASH_OF_MAPS) {
		/* the inner map itself (array_of_map_lookup_elem, htab_of_map_lookup_elem): the program
		 * can only pass it on to the map helpers, which then accept it */
		const struct emu_prog_env *env = emu_prog_env_of(run);

		return env && env->inner_map ? (uint64_t)(uintptr_t)env->inner_map(run, m, (const void *)(uintptr_t)r2) : 0;
	}
	if (!m->ops->prog_lookup)
		return emu_helper_fail(run, -EINVAL, "bpf_map_lookup_elem: not on a %s map", m->ops->family);
	v = m->ops->prog_lookup(m, (const void *)(uintptr_t)r2, emu_run_cpu(run));
	if (!v)
		return 0;
	if (emu_run_add_region(run, v, m->value_size, emu_helper_value_access(m), EMU_RGN_MAP_VALUE))
		return emu_helper_fail(run, -ENOMEM, "bpf_map_lookup_elem: no memory for the value's region");
	return (uint64_t)(uintptr_t)v;
}

HELPER(map_update_elem)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_map_update_elem");
	struct vcopy c; /* not zeroed: 512 bytes a call cost more than the lookup */
	void *val;
	int err;

	(void)r5;
	if (!m || !emu_helper_mem(run, r2, m->key_size, EMU_MEM_READ, "bpf_map_update_elem", "key") ||
	    !emu_helper_mem(run, r3, m->value_size, EMU_MEM_READ, "bpf_map_update_elem", "value"))
		return 0;
	if (!m->ops->prog_update)
		return emu_helper_fail(run, -EINVAL, "bpf_map_update_elem: not on a %s map", m->ops->family);
	/* test builds: an insert of a new key (BPF_NOEXIST) answered as if the key were there */
	if ((r4 & 3) == EMU_NOEXIST && EMU_FAULT("helper-update-errno"))
		return (uint64_t)(int64_t)-EEXIST;
	val = vcopy_of(&c, (const void *)(uintptr_t)r3, m->value_size);
	if (!val)
		return (uint64_t)(int64_t)-ENOMEM;
	if (m->nr_fields)
		emu_value_clear_fields_slot(m, val);
	err = m->ops->prog_update(m, (const void *)(uintptr_t)r2, val, r4, emu_run_cpu(run));
	vcopy_put(&c);
	return (uint64_t)(int64_t)err;
}

HELPER(map_delete_elem)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_map_delete_elem");

	(void)r3, (void)r4, (void)r5;
	if (!m || !emu_helper_mem(run, r2, m->key_size, EMU_MEM_READ, "bpf_map_delete_elem", "key"))
		return 0;
	/* arrays have no delete: the kernel's array_map_delete_elem answers -EINVAL */
	return (uint64_t)(int64_t)(m->ops->delete ? m->ops->delete(m, (const void *)(uintptr_t)r2) : -EINVAL);
}

HELPER(map_push_elem)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_map_push_elem");
	struct vcopy c; /* not zeroed: 512 bytes a call cost more than the lookup */
	void *val;
	int err;

	(void)r4, (void)r5;
	if (!m || !emu_helper_mem(run, r2, m->value_size, EMU_MEM_READ, "bpf_map_push_elem", "value"))
		return 0;
	if (!m->ops->push)
		return emu_helper_fail(run, -EINVAL, "bpf_map_push_elem: not on a %s map", m->ops->family);
	val = vcopy_of(&c, (const void *)(uintptr_t)r2, m->value_size);
	if (!val)
		return (uint64_t)(int64_t)-ENOMEM;
	err = m->ops->push(m, val, r3);
	vcopy_put(&c);
	return (uint64_t)(int64_t)err;
}

/* pop and peek: the element into the program's buffer; an empty map zeroes the buffer and
 * answers -ENOENT (queue_stack_map_{pop,peek}_elem). */
static uint64_t take(struct emu_run *run, uint64_t r1, uint64_t r2, bool pop, const char *name)
{
	struct emu_map *m = emu_helper_map(run, r1, name);
	int (*op)(struct emu_map *, void *);
	struct vcopy c; /* not zeroed: 512 bytes a call cost more than the lookup */
	void *dst = (void *)(uintptr_t)r2;
	int err;

	if (!m || !emu_helper_mem(run, r2, m->value_size, EMU_MEM_WRITE, name, "value"))
		return 0;
	op = pop ? m->ops->pop : m->ops->peek;
	if (!op)
		return emu_helper_fail(run, -EINVAL, "%s: not on a %s map", name, m->ops->family);
	if (!vcopy_of(&c, dst, m->value_size))
		return (uint64_t)(int64_t)-ENOMEM;
	err = op(m, c.p);
	if (!err)
		memcpy(dst, c.p, m->value_size);
	else if (err == -ENOENT && m->map_type != EMU_MAP_BLOOM_FILTER)
		memset(dst, 0, m->value_size); /* a bloom filter's peek only reads the value */
	vcopy_put(&c);
	return (uint64_t)(int64_t)err;
}

HELPER(map_pop_elem)
{
	(void)r3, (void)r4, (void)r5;
	return take(run, r1, r2, true, "bpf_map_pop_elem");
}

HELPER(map_peek_elem)
{
	(void)r3, (void)r4, (void)r5;
	return take(run, r1, r2, false, "bpf_map_peek_elem");
}

/* ---- bpf_for_each_map_elem ---- */

struct each_ctx {
	struct emu_run *run;
	struct emu_map *m;
	uint64_t fn, cb_ctx;
	uint32_t vaccess;
};

/* [p, p + n) as a region while the callback runs, unless the run already has it */
static int region_push(struct emu_run *run, const void *p, uint32_t n, uint32_t access, uint32_t kind, bool *added)
{
	*added = false;
	if (!n || emu_run_check(run, p, n, access))
		return 0;
	if (emu_run_add_region(run, p, n, access, kind))
		return -ENOMEM;
	*added = true;
	return 0;
}

static int each_elem(void *arg, const void *key, void *value)
{
	struct each_ctx *e = arg;
	uint32_t ks = e->m->key_size, kbuf[8];
	const void *k = key;
	bool kadd = false, vadd = false;
	uint64_t r0 = 0;
	int err;

	/* an array's key is an index on the iterator's stack: give the program a copy of its own */
	if (ks <= sizeof(kbuf) && !(k >= (const void *)e->m->base && k < (const void *)(e->m->base + e->m->size))) {
		memcpy(kbuf, key, ks);
		k = kbuf;
	}
	err = region_push(e->run, k, ks, EMU_MEM_READ, EMU_RGN_HELPER_BUF, &kadd);
	if (!err && value)
		err = region_push(e->run, value, e->m->value_size, e->vaccess, EMU_RGN_MAP_VALUE, &vadd);
	if (err) {
		emu_helper_fail(e->run, -ENOMEM, "bpf_for_each_map_elem: no memory for a region");
		return -ENOMEM;
	}
	err = emu_run_callback(e->run, e->fn, (uint64_t)(uintptr_t)e->m, (uint64_t)(uintptr_t)k,
			       (uint64_t)(uintptr_t)value, e->cb_ctx, 0, &r0);
	if (vadd)
		emu_run_update_region(e->run, value, NULL, 0);
	if (kadd)
		emu_run_update_region(e->run, k, NULL, 0);
	if (err)
		return err;
	return r0 ? 1 : 0;
}

HELPER(for_each_map_elem)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_for_each_map_elem");
	struct each_ctx e;
	long n;

	(void)r5;
	if (!m)
		return 0;
	if (r4)
		return (uint64_t)(int64_t)-EINVAL;
	if (!m->ops->prog_for_each)
		return emu_helper_fail(run, -EINVAL, "bpf_for_each_map_elem: not on a %s map", m->ops->family);
	e = (struct each_ctx){ .run = run, .m = m, .fn = r2, .cb_ctx = r3, .vaccess = emu_helper_value_access(m) };
	n = m->ops->prog_for_each(m, each_elem, &e, emu_run_cpu(run));
	return n < 0 ? 0 : (uint64_t)n;
}
