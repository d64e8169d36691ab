/* SPDX-License-Identifier: MIT */
/*
 * QUEUE and STACK: a ring of max_entries + 1 slots, as the kernel keeps it, so that "full" and
 * "drop the oldest on BPF_EXIST" come out the same. Both pop ends share the ring: a queue pops at
 * the tail, a stack at the head.
 *
 * Crash safety: head and tail are the whole state, and each operation changes each of them with
 * one aligned store (emu_publish_u32) after the slot it exposes is written, so a process killed
 * anywhere leaves the ring as before or after one of those stores: every prefix is a valid ring.
 * (A push that drops the oldest element and dies before storing the new one has just dropped.)
 *
 * Outside damage: head and tail are read once per operation and checked against the ring's size
 * (the view's, from the map's shape) before a slot is touched; one out of the ring answers
 * EUCLEAN. The ring's geometry in the file is checked at adoption and never read afterwards.
 */
#include "../cmd/cmds.h"
#include "../core/inplace.h"
#include "../core/sync.h"
#include "../util/hash.h"
#include "families.h"

#define QS_CREATE_FLAGS                                                                             \
	(EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)
#define KMALLOC_MAX_SIZE (4u << 20)

struct qs_priv {
	uint32_t head, tail, size;
	uint32_t pad;
	uint64_t data_off;
};

/* The ring's geometry in this process's view (struct emu_map's fam), computed from the shape. */
struct qs_geom {
	char *data;
	uint32_t size; /* slots: max_entries + 1 */
};
_Static_assert(sizeof(struct qs_geom) <= EMU_FAM_SIZE, "qs_geom fits struct emu_map's fam");

static inline const struct qs_geom *QG(const struct emu_map *m) { return emu_fam(m); }

static int qs_alloc_check(struct emu_create *c)
{
	if (!c->max_entries || c->key_size || !c->value_size || (c->map_flags & ~QS_CREATE_FLAGS) ||
	    (c->map_flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)) == (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG))
		return -EINVAL;
	if (c->value_size > KMALLOC_MAX_SIZE)
		return -E2BIG;
	return 0;
}

static int qs_layout(const struct emu_create *c, uint64_t *priv_size)
{
	*priv_size = 64 + ((uint64_t)c->max_entries + 1) * c->value_size;
	return 0;
}

static void qs_init(struct emu_map *m)
{
	struct qs_priv *p = emu_priv(m);

	p->size = m->max_entries + 1;
	p->data_off = (uint64_t)(m->priv - m->base) + 64;
}

static int qs_validate(struct emu_map *m, const char **field)
{
	struct qs_geom *g = emu_fam(m);
	struct qs_priv *p = emu_priv(m);
	uint64_t data_off = (uint64_t)(m->priv - m->base) + 64;

	g->data = m->base + data_off;
	g->size = m->max_entries + 1;
	/* no value is overwritten in place: no redo or slot record may name any */
	m->data_stride = 0;
	if (data_off + (uint64_t)g->size * m->value_size > m->size) /* the layout rules out */
		*field = "queue ring";
	else if (p->size != g->size)
		*field = "queue size";
	else if (p->data_off != data_off)
		*field = "queue data_off";
	else
		return 0;
	return -EINVAL;
}

/* i < size: the caller checked it */
static char *qs_slot(struct emu_map *m, uint32_t i)
{
	return QG(m)->data + (uint64_t)i * m->value_size;
}

static uint32_t ring_next(uint32_t size, uint32_t i) { return i + 1 >= size ? 0 : i + 1; }
static uint32_t ring_prev(uint32_t size, uint32_t i) { return i == 0 ? size - 1 : i - 1; }

/* Head or tail out of the ring: the caller unlocks and answers this. */
static int qs_damaged(struct emu_map *m) { return emu_map_corrupt(m, "queue head or tail"); }

static int qs_push(struct emu_map *m, const void *value, uint64_t flags)
{
	struct qs_priv *p = emu_priv(m);
	uint32_t size = QG(m)->size, head, tail;
	int err;

	if ((flags & EMU_NOEXIST) || flags > EMU_EXIST)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	head = p->head;
	tail = p->tail;
	if (head >= size || tail >= size) {
		emu_map_unlock(m);
		return qs_damaged(m);
	}
	if (ring_next(size, head) == tail) {
		if (!(flags & EMU_EXIST)) {
			emu_map_unlock(m);
			return -E2BIG;
		}
		/* the oldest element sits at the tail for both kinds */
		emu_publish_u32(&p->tail, ring_next(size, tail));
		EMU_CRASH_POINT("qs.drop");
	}
	emu_copy_small(qs_slot(m, head), value, m->value_size);
	EMU_CRASH_POINT("qs.push");
	emu_publish_u32(&p->head, ring_next(size, head));
	emu_map_unlock(m);
	return 0;
}

/* Both kinds keep their newest element just before the head and their oldest at the tail: a
 * queue takes from the tail, a stack from the head. */
static int qs_take(struct emu_map *m, void *value, bool del, bool stack)
{
	struct qs_priv *p = emu_priv(m);
	uint32_t size = QG(m)->size, head, tail, i;
	int err = emu_map_lock(m);

	if (err)
		return err;
	head = p->head;
	tail = p->tail;
	if (head >= size || tail >= size) {
		emu_map_unlock(m);
		return qs_damaged(m);
	}
	if (head == tail) {
		emu_map_unlock(m);
		return -ENOENT;
	}
	i = stack ? ring_prev(size, head) : tail;
	emu_copy_small(value, qs_slot(m, i), m->value_size);
	if (del) {
		EMU_CRASH_POINT("qs.pop");
		if (stack)
			emu_publish_u32(&p->head, i);
		else
			emu_publish_u32(&p->tail, ring_next(size, tail));
	}
	emu_map_unlock(m);
	return 0;
}

static int queue_pop(struct emu_map *m, void *value) { return qs_take(m, value, true, false); }
static int queue_peek(struct emu_map *m, void *value) { return qs_take(m, value, false, false); }
static int stack_pop(struct emu_map *m, void *value) { return qs_take(m, value, true, true); }
static int stack_peek(struct emu_map *m, void *value) { return qs_take(m, value, false, true); }

static uint64_t qs_memlock(const struct emu_map *m)
{
	return 312 + ((uint64_t)m->max_entries + 1) * m->value_size;
}

static int qs_check(struct emu_map *m)
{
	struct qs_priv *p = emu_priv(m);
	int err = emu_map_lock(m);

	if (err)
		return err;
	if (p->head >= QG(m)->size || p->tail >= QG(m)->size)
		err = qs_damaged(m);
	emu_map_unlock(m);
	return err;
}

/* Nothing a dying process leaves needs repair (see the top of the file); an index out of the
 * ring could only come from outside damage, and an empty ring is the one safe answer to it. */
static void qs_recover(struct emu_map *m)
{
	struct qs_priv *p = emu_priv(m);

	if (p->head >= QG(m)->size || p->tail >= QG(m)->size)
		p->head = p->tail = 0;
}

#define QS_COMMON_OPS                                                                               \
	.alloc_check = qs_alloc_check, .layout = qs_layout, .init = qs_init, .validate = qs_validate, \
	.memlock = qs_memlock,                                                                      \
	.push = qs_push, .check = qs_check, .recover = qs_recover

const struct emu_map_ops emu_queue_ops = {
	.family = "queue",
	QS_COMMON_OPS,
	.pop = queue_pop,
	.peek = queue_peek,
};

const struct emu_map_ops emu_stack_ops = {
	.family = "stack",
	QS_COMMON_OPS,
	.pop = stack_pop,
	.peek = stack_peek,
};
