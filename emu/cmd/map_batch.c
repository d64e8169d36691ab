/* SPDX-License-Identifier: MIT */
/*
 * The batch commands: the command layer's part (fd, access, frozen), then the family's batch op,
 * which points at one of the loops here: the kernel's generic batches (element ops in a loop, key
 * tokens) or the loop around the hash family's bucket walker (bucket tokens).
 * Every write to user memory happens at the point where the kernel makes it, in the same pieces
 * (emu_copy_to_user leaves the bytes before a fault written, as copy_to_user does), so `count`,
 * `out_batch`, keys and values hold the same bytes afterwards, also when a copy faults.
 */
#include <stdlib.h>

#include "../core/map.h"
#include "../core/sync.h"
#include "../core/value.h"
#include "../uaccess/uaccess.h"
#include "cmds.h"

/* Elements (and buckets) one run holds from the stack; a hash bucket longer than that gets room
 * from the heap. */
#define RUN_STACK 64u
/* Keys up to this size (arrays': 4) are gathered on the stack for a run of the generic batch. */
#define RUN_KEY_MAX 8u

/*
 * The generic batches take the map lock once for many elements, user copies included,
 * instead of once per element: the round trip of the robust mutex cost more than the copies.
 * It is dropped and retaken every LOCK_SPAN elements, between two elements, where per-element
 * locking let other processes in too, so a large batch shuts nobody out for long. Copying to the
 * user with the lock held is safe: a fault becomes -EFAULT (uaccess.c), and a process killed
 * meanwhile leaves a map that recovery repairs as for any other lock holder.
 */
#define LOCK_SPAN 256u

struct held {
	struct emu_map *m;
	uint32_t steps;
	bool locked;
};

/* Before each element: the lock, taken, kept, or dropped and retaken after LOCK_SPAN of them. */
static int held_step(struct held *h)
{
	int err;

	if (h->locked) {
		if (++h->steps < LOCK_SPAN)
			return 0;
		emu_map_unlock(h->m);
		h->locked = false;
	}
	h->steps = 1;
	err = emu_map_lock(h->m);
	h->locked = !err;
	return err;
}

static void held_release(struct held *h)
{
	if (h->locked)
		emu_map_unlock(h->m);
	h->locked = false;
}

static void *uoff(const struct emu_attr *a, unsigned field, uint32_t idx, uint32_t size)
{
	return emu_uelem(attr_u64(a, field), idx, size);
}

static int put_count(union bpf_attr *uattr, uint32_t v)
{
	return emu_put_user_u32(uattr, BA_COUNT, v);
}

/* elem_flags may only be BPF_F_LOCK, and that only for values with a bpf_spin_lock. */
static bool elem_flags_ok(const struct emu_map *m, const struct emu_attr *a)
{
	uint64_t ef = attr_u64(a, BA_ELEM_FLAGS);

	return !(ef & ~EMU_F_LOCK) && (!(ef & EMU_F_LOCK) || emu_value_has_spin_lock(m));
}

static bool lock_flag(const struct emu_attr *a)
{
	return attr_u64(a, BA_ELEM_FLAGS) & EMU_F_LOCK;
}

/*
 * A value with special fields (BTF) is never copied out as the map holds it: a run's values go
 * through private copies (under each value's spin lock with BPF_F_LOCK), their fields zeroed,
 * and the run points at those. Lock held. false: no memory for them.
 */
static int run_private_values(struct emu_map *m, struct emu_bucket_run *r, bool locked_copy, char **buf,
			      size_t *cap)
{
	uint32_t n = r->nr ? r->end[r->nr - 1] : 0, vs = m->value_bytes;

	if ((size_t)n * vs > *cap) {
		char *nb = realloc(*buf, (size_t)n * vs);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = (size_t)n * vs;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *v = *buf + (size_t)i * vs;

		if (!locked_copy)
			memcpy(v, r->values[i], vs);
		else if (emu_value_read_locked(m, r->values[i], v))
			return -EUCLEAN; /* a spin lock no one can hold (named) */
		emu_value_clear_fields(m, v);
		r->values[i] = v;
	}
	return 0;
}

struct run_buf {
	const void **keys, **values;
	uint32_t *bucket, *end;
};

static bool run_grow(struct emu_bucket_run *r, struct run_buf *heap, uint32_t n)
{
	struct run_buf nb = { malloc((size_t)n * sizeof(void *)), malloc((size_t)n * sizeof(void *)),
			      malloc((size_t)n * sizeof(uint32_t)), malloc((size_t)n * sizeof(uint32_t)) };

	free(heap->keys);
	free(heap->values);
	free(heap->bucket);
	free(heap->end);
	*heap = nb;
	if (!nb.keys || !nb.values || !nb.bucket || !nb.end)
		return false;
	r->keys = nb.keys;
	r->values = nb.values;
	r->bucket = nb.bucket;
	r->end = nb.end;
	r->cap = n;
	return true;
}

/*
 * The kernel, per bucket: unlink its elements, free them, then copy the keys out as one block and
 * the values as another, and stop at the first fault. Here a run of buckets is taken under one
 * lock and, bucket after bucket, keys then values are copied out of the elements themselves,
 * then the buckets copied (and the one whose copy faulted) are removed, still under the lock: no
 * other process sees anything in between, so the user's bytes, the elements left and the free
 * lists come out as the kernel leaves them, also when a copy faults.
 */
static int lookup_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr, bool del)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->key_size, vs = m->value_bytes;
	uint32_t batch = 0, total = 0, kbucket[RUN_STACK], kend[RUN_STACK];
	const void *uin = attr_ptr(a, BA_IN), *kkeys[RUN_STACK], *kvalues[RUN_STACK];
	struct emu_bucket_run r = { .keys = kkeys, .values = kvalues, .bucket = kbucket, .end = kend,
				    .cap = RUN_STACK };
	struct run_buf heap = { NULL, NULL, NULL, NULL };
	bool first = true;
	char *vbuf = NULL; /* values with special fields: their private copies */
	size_t vcap = 0;
	int err = 0;

	if (!elem_flags_ok(m, a) || attr_u64(a, BA_FLAGS))
		return -EINVAL;
	if (!max)
		return 0;
	if (put_count(uattr, 0))
		return -EFAULT;
	if (uin && emu_copy_from_user(&batch, uin, sizeof(batch)))
		return -EFAULT;

	for (;;) {
		uint32_t s;
		bool fault;

		err = emu_map_lock(m);
		if (err)
			break;
		r.room = max - total;
		err = m->ops->batch_buckets(m, batch, &r);
		if (err) {
			emu_map_unlock(m);
			if (first)
				goto out; /* the token was already past the end: out_batch stays as it was */
			break;
		}
		first = false;
		if (m->nr_fields && (err = run_private_values(m, &r, lock_flag(a), &vbuf, &vcap))) {
			emu_map_unlock(m);
			break;
		}
		s = emu_copy_run_to_user(attr_u64(a, BA_KEYS), attr_u64(a, BA_VALUES), total, &r, ks, vs);
		fault = s < r.nr;
		if (del && r.nr) /* the bucket whose copy faulted goes too, as in the kernel */
			m->ops->batch_buckets_delete(m, r.bucket, fault ? s + 1 : r.nr);
		emu_map_unlock(m);
		if (fault) {
			err = -EFAULT;
			goto out;
		}
		total += r.nr ? r.end[r.nr - 1] : 0;
		batch = r.next;
		if (r.done) {
			err = -ENOENT;
			break;
		}
		if (r.need > max - total) {
			if (!total)
				err = -ENOSPC;
			break;
		}
		if (r.need > r.cap && !run_grow(&r, &heap, r.need)) {
			err = -ENOMEM;
			break;
		}
	}
	/* out_batch first: when it faults, count keeps the 0 written above. */
	if (emu_copy_to_user(attr_ptr(a, BA_OUT), &batch, sizeof(batch)) || put_count(uattr, total))
		err = -EFAULT;
out:
	free(heap.keys);
	free(heap.values);
	free(heap.bucket);
	free(heap.end);
	free(vbuf);
	return err;
}

int emu_batch_lookup_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	return lookup_buckets(m, a, uattr, false);
}

int emu_batch_lookup_and_delete_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	return lookup_buckets(m, a, uattr, true);
}

/*
 * The loop of the generic lookup batch for a family with batch_next_run: runs of elements under
 * one lock, copied out straight from the map. Returns 0 when `max` elements were returned,
 * -ENOENT when the map ended first, -EFAULT (count and out_batch then stay unwritten), or the
 * lock's error as a failed lookup would; *cp and the token *prev as the per-element loop leaves
 * them.
 */
static int lookup_runs(struct emu_map *m, const struct emu_attr *a, uint32_t max, char **prev, char *prev_buf,
		       uint32_t *cp)
{
	uint32_t ks = m->key_size, vs = m->value_bytes, done = 0;
	const void *values[RUN_STACK];
	char keys[RUN_STACK * RUN_KEY_MAX];
	int err = 0;

	while (done < max) {
		uint32_t want = max - done < RUN_STACK ? max - done : RUN_STACK, n, whole;

		err = emu_map_lock(m);
		if (err)
			break;
		n = m->ops->batch_next_run(m, *prev, keys, values, want);
		whole = emu_copy_pairs_to_user(attr_u64(a, BA_KEYS), attr_u64(a, BA_VALUES), done, keys, values, n,
					       ks, vs);
		emu_map_unlock(m);
		if (whole < n) {
			err = -EFAULT;
			break;
		}
		if (n) {
			/* the last key read is the token */
			memcpy(prev_buf, keys + (size_t)(n - 1) * ks, ks);
			*prev = prev_buf;
		}
		done += n;
		if (n < want) {
			err = -ENOENT;
			break;
		}
	}
	*cp = done;
	return err;
}

/*
 * get_next_key, lookup, copy the key out, copy the value out, element after element. A family
 * with batch_next does the first two under a lock the loop holds across elements.
 */
int emu_batch_lookup_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->key_size, vs = m->value_bytes, cp;
	uint64_t skips = 0;
	const void *uin = attr_ptr(a, BA_IN);
	char *buf, *prev_buf, *key, *prev = NULL, *value;
	struct held h = { .m = m };
	int err;

	bool fields = m->nr_fields != 0;

	if (!elem_flags_ok(m, a))
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
	/* values with special fields (BTF) go element by element, as the kernel's generic batch:
	 * get_next_key, then a lookup whose copy is cleared of them */
	if (m->ops->batch_next_run && ks <= RUN_KEY_MAX && !(m->map_flags & EMU_F_MMAPABLE) && !fields) {
		err = lookup_runs(m, a, max, &prev, prev_buf, &cp);
		if (err && err != -ENOENT)
			goto out;
		goto done;
	}
	for (cp = 0; cp < max;) {
		if (m->ops->batch_next && !fields) {
			err = held_step(&h);
			if (err)
				goto out; /* as a failed lookup */
			err = m->ops->batch_next(m, prev, key, value);
			if (err)
				break;
		} else {
			err = m->ops->get_next_key(m, prev, key);
			if (err)
				break;
			err = lock_flag(a) ? emu_value_lookup_locked(m, key, value) : m->ops->lookup(m, key, value);
			/* deleted since get_next_key saw it (or an empty fd array slot): skipped
			 * silently, as 6.18 does. A walk that skips more keys than the map could
			 * ever have held at once is one whose walk and lookups disagree: damage,
			 * not a loop without end. */
			if (err == -ENOENT && ++skips > 2ull * m->max_entries + 16) {
				err = emu_map_corrupt(m, "GET_NEXT_KEY walk (keys its lookups do not find)");
				goto out;
			}
			if (err == -ENOENT)
				goto next;
			if (err)
				goto out;
			if (fields)
				emu_value_clear_fields(m, value);
		}
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
	held_release(&h);
done:
	/* The token is the last key read, written only when something was returned. */
	if (put_count(uattr, cp) || (cp && emu_copy_to_user(attr_ptr(a, BA_OUT), prev, ks)))
		err = -EFAULT;
out:
	held_release(&h);
	free(prev_buf);
	free(buf);
	return err;
}

/* UPDATE_BATCH and DELETE_BATCH: element by element, stopping at the first failure; `count` is
 * the number of elements done. Each element is read from the user right before it is applied, as
 * the kernel does (an MMAPABLE array's own pages can be the user's buffers); with the family's
 * locked ops the map lock is held across elements. */
static int generic_modify(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr, bool update)
{
	uint32_t max = attr_u32(a, BA_COUNT), ks = m->key_size, vs = m->value_bytes, cp;
	uint64_t flags = attr_u64(a, BA_ELEM_FLAGS);
	bool locked = update ? m->ops->update_locked != NULL : m->ops->delete_locked != NULL;
	struct held h = { .m = m };
	char *key, *value = NULL;
	int err = 0;

	if (!elem_flags_ok(m, a))
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
		if (update && m->nr_fields) /* never the caller's (core/value.h) */
			emu_value_clear_fields(m, value);
		if (!locked)
			err = update ? m->ops->update(m, key, value, flags) : m->ops->delete(m, key);
		else if (!(err = held_step(&h)))
			err = update ? m->ops->update_locked(m, key, value, flags) : m->ops->delete_locked(m, key);
		if (err)
			break;
	}
	held_release(&h);
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

/* ---- the commands ---- */

typedef int batch_op(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);

static batch_op *lookup_op(const struct emu_map_ops *o) { return o->lookup_batch; }
static batch_op *lookup_and_delete_op(const struct emu_map_ops *o) { return o->lookup_and_delete_batch; }
static batch_op *update_op(const struct emu_map_ops *o) { return o->update_batch; }
static batch_op *delete_op(const struct emu_map_ops *o) { return o->delete_batch; }

/* The kernel's bpf_map_do_batch: fd to map, the access the command needs, then the family's op
 * (ENOTSUPP where the family has none). */
static int map_batch(struct emu_attr *a, union bpf_attr *uattr, bool reads, bool writes,
		     batch_op *(*op_of)(const struct emu_map_ops *))
{
	struct emu_map *m;
	batch_op *op;
	int err, mode;

	err = emu_map_get_fast((int)attr_u32(a, BA_FD), &m, &mode);
	if (err)
		return err;
	op = op_of(m->ops);
	if ((reads && !emu_can_read(mode)) || (writes && !emu_can_write(m, mode)))
		err = -EPERM;
	else if (!op)
		err = -EMU_ENOTSUPP;
	else
		err = op(m, a, uattr);
	emu_map_put(m);
	return err;
}

int emu_cmd_map_lookup_batch(struct emu_attr *a, union bpf_attr *uattr)
{
	return map_batch(a, uattr, true, false, lookup_op);
}

int emu_cmd_map_lookup_and_delete_batch(struct emu_attr *a, union bpf_attr *uattr)
{
	return map_batch(a, uattr, true, true, lookup_and_delete_op);
}

int emu_cmd_map_update_batch(struct emu_attr *a, union bpf_attr *uattr)
{
	return map_batch(a, uattr, false, true, update_op);
}

int emu_cmd_map_delete_batch(struct emu_attr *a, union bpf_attr *uattr)
{
	return map_batch(a, uattr, false, true, delete_op);
}
