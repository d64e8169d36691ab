/* SPDX-License-Identifier: MIT */
/*
 * The element commands and FREEZE (kernel/bpf/syscall.c map_lookup_elem and friends): fd to map,
 * access mode and frozen state, the key and value copied between the caller and our own buffers,
 * then the family's op. Families never touch user memory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>

#include "../core/map.h"
#include "../core/value.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

#define KEY_STACK_BYTES 512

/* Scratch buffers for one call: small ones on the stack, large ones on the heap. */
struct bounce {
	void *p;
	unsigned char local[KEY_STACK_BYTES];
};

/* Only the pointer: clearing the stack buffer on every call would cost more than the lookup. */
static inline void bounce_init(struct bounce *b) { b->p = NULL; }

static void *bounce_get(struct bounce *b, size_t n)
{
	b->p = n <= sizeof(b->local) ? b->local : malloc(n ? n : 1);
	return b->p;
}

static void bounce_put(struct bounce *b)
{
	if (b->p && b->p != b->local)
		free(b->p);
	b->p = NULL;
}

/* CHECK_ATTR: every byte past a command's last field is zero. */



/* The kernel's key copy: key_size bytes, or for keyless maps a NULL key and nothing else. */
static int copy_key(const struct emu_map *m, const void *ukey, struct bounce *b, void **key)
{
	uint32_t ks = m->key_size;

	if (!ks) {
		*key = NULL;
		return ukey ? -EINVAL : 0;
	}
	*key = bounce_get(b, ks);
	if (!*key)
		return -ENOMEM;
	return emu_copy_from_user(*key, ukey, ks);
}

/* One element command in progress: the map, the access it needs, our copies of key and value. */
struct elem_call {
	struct emu_map *m;
	int mode;
	struct bounce kb, vb;
	void *key, *val;
};

enum { NEED_READ = 1, NEED_WRITE = 2 };

/* fd → map (EBADF / EINVAL), then the access mode and frozen state the command needs (EPERM). */
static int elem_begin(struct elem_call *c, const struct emu_attr *a, unsigned need)
{
	int err;

	bounce_init(&c->kb);
	bounce_init(&c->vb);
	c->key = c->val = NULL;
	err = emu_map_get_fast((int)attr_u32(a, EL_FD), &c->m, &c->mode);
	if (err) {
		c->m = NULL;
		return err;
	}
	if (((need & NEED_READ) && !emu_can_read(c->mode)) || ((need & NEED_WRITE) && !emu_can_write(c->m, c->mode)))
		return -EPERM;
	return 0;
}

static int elem_key(struct elem_call *c, const struct emu_attr *a)
{
	return copy_key(c->m, attr_ptr(a, EL_KEY), &c->kb, &c->key);
}

static int elem_value_buf(struct elem_call *c, size_t n)
{
	c->val = bounce_get(&c->vb, n);
	return c->val ? 0 : -ENOMEM;
}

/* BPF_F_LOCK needs a bpf_spin_lock in the map's value (else EINVAL, as the kernel checks). */
static inline int lock_flag_ok(const struct elem_call *c, uint64_t flags)
{
	return !(flags & EMU_F_LOCK) || emu_value_has_spin_lock(c->m) ? 0 : -EINVAL;
}

/* The special fields of a value (BTF maps) are never the caller's to read or write
 * (core/value.h): zeroed in what the caller gets and in what the family is given. */
static inline void clear_fields(const struct elem_call *c)
{
	if (__builtin_expect(c->m->nr_fields != 0, 0))
		emu_value_clear_fields(c->m, c->val);
}

/* inline: a call and frame of its own were a twentieth of a lookup */
static inline __attribute__((always_inline)) int elem_end(struct elem_call *c, int err)
{
	bounce_put(&c->kb);
	bounce_put(&c->vb);
	if (c->m)
		emu_map_put(c->m);
	return err;
}

int emu_cmd_map_lookup(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	if (flags & ~EMU_F_LOCK)
		return -EINVAL;
	err = elem_begin(&c, a, NEED_READ);
	if (!err)
		err = lock_flag_ok(&c, flags);
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	if (!err && c.m->map_type == EMU_MAP_BLOOM_FILTER) {
		/* a bloom filter's lookup tests the caller's value, and writes nothing back */
		err = emu_copy_from_user(c.val, attr_ptr(a, EL_VALUE), c.m->value_bytes);
		if (!err)
			err = c.m->ops->peek(c.m, c.val);
		return elem_end(&c, err);
	}
	if (!err && (flags & EMU_F_LOCK))
		err = emu_value_lookup_locked(c.m, c.key, c.val);
	else if (!err)
		err = c.m->ops->peek ? c.m->ops->peek(c.m, c.val) : c.m->ops->lookup(c.m, c.key, c.val);
	if (!err)
		clear_fields(&c);
	if (!err && c.m->map_type == EMU_MAP_HASH_OF_MAPS && EMU_FAULT("ofmap-id"))
		((unsigned char *)c.val)[0]++; /* a planted mistake: the inner map's id off by one (fd arrays: maps/fd_array.c) */
	if (!err && EMU_FAULT("lookup-byte"))
		((unsigned char *)c.val)[c.m->value_bytes - 1] ^= 0x5a;
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->value_bytes);
	return elem_end(&c, err);
}

int emu_cmd_map_update(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	err = elem_begin(&c, a, NEED_WRITE);
	if (!err)
		err = lock_flag_ok(&c, flags);
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	/* the value is copied before the family validates flags, as in the kernel */
	if (!err)
		err = emu_copy_from_user(c.val, attr_ptr(a, EL_VALUE), c.m->value_bytes);
	if (!err)
		clear_fields(&c);
	if (!err)
		err = c.m->ops->push ? c.m->ops->push(c.m, c.val, flags) : c.m->ops->update(c.m, c.key, c.val, flags);
	return elem_end(&c, err);
}

int emu_cmd_map_delete(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	struct elem_call c;
	int err;

	err = elem_begin(&c, a, NEED_WRITE);
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = c.m->ops->delete ? c.m->ops->delete(c.m, c.key) : -EINVAL;
	if (err == -ENOENT && EMU_FAULT("delete-errno"))
		err = -EINVAL;
	return elem_end(&c, err);
}

int emu_cmd_map_get_next_key(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	struct elem_call c;
	int err;

	err = elem_begin(&c, a, NEED_READ);
	if (!err && attr_ptr(a, EL_KEY)) /* a NULL key asks for the first one */
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->key_size); /* the next key */
	if (!err)
		err = c.m->ops->get_next_key ? c.m->ops->get_next_key(c.m, c.key, c.val) : -EINVAL;
	if (!err && c.m->ops->batch_buckets && EMU_FAULT("getnext-skip")) { /* hash maps */
		/* a walk then skips every other element */
		void *skip = malloc(c.m->key_size);

		if (skip && !c.m->ops->get_next_key(c.m, c.val, skip))
			memcpy(c.val, skip, c.m->key_size);
		free(skip);
	}
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->key_size);
	return elem_end(&c, err);
}

int emu_cmd_map_lookup_and_delete(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	if (flags & ~EMU_F_LOCK)
		return -EINVAL;
	err = elem_begin(&c, a, NEED_READ | NEED_WRITE);
	if (!err && flags && c.m->ops->pop) /* queue/stack take no flags */
		err = -EINVAL;
	if (!err)
		err = lock_flag_ok(&c, flags);
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	if (!err) {
		if (c.m->ops->pop)
			err = c.m->ops->pop(c.m, c.val);
		else if (c.m->ops->lookup_and_delete)
			err = c.m->ops->lookup_and_delete(c.m, c.key, c.val, flags);
		else
			err = -EMU_ENOTSUPP;
	}
	if (!err)
		clear_fields(&c);
	/* The element is gone even when the copy-out faults, as in the kernel. */
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->value_bytes);
	return elem_end(&c, err);
}
