/* SPDX-License-Identifier: MIT */
/*
 * The batch commands after the dispatcher's checks: the kernel's generic batches (element ops in
 * a loop, key tokens) and the loop around the hash family's bucket walker (bucket tokens).
 * Every write to user memory happens at the point where the kernel makes it, in the same pieces
 * (emu_copy_to_user leaves the bytes before a fault written, as copy_to_user does), so `count`,
 * `out_batch`, keys and values hold the same bytes afterwards, also when a copy faults.
 */
#include <stdlib.h>

#include "internal.h"

/* Hash buckets rarely hold more; the buffer grows when one does. */
#define FIRST_BUCKET_CAP 5u

/* User addresses are computed in the kernel's u32 arithmetic: index * size wraps at 4 GiB. */
static void *uoff(const struct emu_attr *a, unsigned field, uint32_t idx, uint32_t size)
{
	return (void *)(uintptr_t)(attr_u64(a, field) + (uint32_t)(idx * size));
}

static int put_count(union bpf_attr *uattr, uint32_t v)
{
	return emu_put_user_u32(uattr, BA_COUNT, v);
}

/* elem_flags may only be BPF_F_LOCK, and that only for values with a bpf_spin_lock: no emulated
 * map has one (no BTF), so anything but 0 is refused. */
static bool elem_flags_ok(const struct emu_attr *a)
{
	return attr_u64(a, BA_ELEM_FLAGS) == 0;
}

int emu_batch_lookup_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr, bool del)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->hdr->key_size, vs = m->value_bytes;
	uint32_t batch = 0, total = 0, cap = 0;
	const void *uin = attr_ptr(a, BA_IN);
	char *keys = NULL, *values = NULL;
	bool first = true;
	int err = 0;

	if (!elem_flags_ok(a) || attr_u64(a, BA_FLAGS))
		return -EINVAL;
	if (!max)
		return 0;
	if (put_count(uattr, 0))
		return -EFAULT;
	if (uin && emu_copy_from_user(&batch, uin, sizeof(batch)))
		return -EFAULT;
	keys = malloc((size_t)FIRST_BUCKET_CAP * ks);
	values = malloc((size_t)FIRST_BUCKET_CAP * vs);
	if (keys && values)
		cap = FIRST_BUCKET_CAP;

	for (;;) {
		uint32_t room = max - total, want = cap < room ? cap : room, n;

		err = m->ops->batch_bucket(m, &batch, want, keys, values, del, &n);
		if (err == -ENOENT && first)
			goto out; /* the token was already past the end: out_batch stays as it was */
		if (err)
			break;
		first = false;
		if (n > room) {
			if (!total)
				err = -ENOSPC;
			break;
		}
		if (n > want) {
			char *k = realloc(keys, (size_t)n * ks), *v;

			if (k)
				keys = k;
			v = k ? realloc(values, (size_t)n * vs) : NULL;
			if (v)
				values = v;
			if (!k || !v) {
				err = -ENOMEM;
				break;
			}
			cap = n;
			continue;
		}
		/* Removed elements are gone even when the copy-out faults, as in the kernel. */
		if (n && (emu_copy_to_user(uoff(a, BA_KEYS, total, ks), keys, (uint32_t)(n * ks)) ||
			  emu_copy_to_user(uoff(a, BA_VALUES, total, vs), values, (uint32_t)(n * vs)))) {
			err = -EFAULT;
			goto out;
		}
		total += n;
		batch++;
	}
	/* out_batch first: when it faults, count keeps the 0 written above. */
	if (emu_copy_to_user(attr_ptr(a, BA_OUT), &batch, sizeof(batch)) || put_count(uattr, total))
		err = -EFAULT;
out:
	free(keys);
	free(values);
	return err;
}

int emu_batch_lookup_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->hdr->key_size, vs = m->value_bytes, cp;
	const void *uin = attr_ptr(a, BA_IN);
	char *buf, *prev_buf, *key, *prev = NULL, *value;
	int err;

	if (!elem_flags_ok(a))
		return -EINVAL; /* `flags` is not looked at by the generic batches */
	if (!max)
		return 0;
	if (put_count(uattr, 0))
		return -EFAULT;
	prev_buf = malloc(ks ? ks : 1);
	buf = malloc((size_t)ks + vs);
	if (!prev_buf || !buf) {
		err = -ENOMEM;
		goto out;
	}
	if (uin) {
		err = emu_copy_from_user(prev_buf, uin, ks);
		if (err)
			goto out;
		prev = prev_buf;
	}
	key = buf;
	value = buf + ks;
	err = 0;
	for (cp = 0; cp < max;) {
		err = m->ops->get_next_key(m, prev, key);
		if (err)
			break;
		err = m->ops->lookup(m, key, value);
		if (err == -ENOENT)
			goto next; /* deleted since get_next_key saw it: skipped silently */
		if (err)
			goto out;
		if (emu_copy_to_user(uoff(a, BA_KEYS, cp, ks), key, ks) ||
		    emu_copy_to_user(uoff(a, BA_VALUES, cp, vs), value, vs)) {
			err = -EFAULT;
			goto out;
		}
		cp++;
next:
		/* The key just read becomes the token; its buffer is reused for the next key. */
		if (!prev)
			prev = prev_buf;
		{
			char *t = prev;

			prev = key;
			key = t;
		}
	}
	/* The token is the last key read, written only when something was returned. */
	if (put_count(uattr, cp) || (cp && emu_copy_to_user(attr_ptr(a, BA_OUT), prev, ks)))
		err = -EFAULT;
out:
	free(prev_buf);
	free(buf);
	return err;
}

/* UPDATE_BATCH and DELETE_BATCH: element by element, stopping at the first failure; `count` is
 * the number of elements done. */
static int generic_modify(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr, bool update)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->hdr->key_size, vs = m->value_bytes, cp;
	char *key, *value = NULL;
	int err = 0;

	if (!elem_flags_ok(a))
		return -EINVAL;
	if (!max)
		return 0;
	if (put_count(uattr, 0))
		return -EFAULT;
	key = malloc(ks ? ks : 1);
	if (update)
		value = malloc(vs ? vs : 1);
	if (!key || (update && !value)) {
		free(key);
		free(value);
		return -ENOMEM;
	}
	for (cp = 0; cp < max; cp++) {
		err = -EFAULT;
		if (emu_copy_from_user(key, uoff(a, BA_KEYS, cp, ks), ks))
			break;
		if (update && emu_copy_from_user(value, uoff(a, BA_VALUES, cp, vs), vs))
			break;
		err = update ? m->ops->update(m, key, value, attr_u64(a, BA_ELEM_FLAGS)) : m->ops->delete(m, key);
		if (err)
			break;
	}
	if (put_count(uattr, cp))
		err = -EFAULT;
	free(key);
	free(value);
	return err;
}

int emu_batch_update_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	return generic_modify(m, a, uattr, true);
}

int emu_batch_delete_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	return generic_modify(m, a, uattr, false);
}
