/* SPDX-License-Identifier: MIT */
/*
 * RINGBUF and USER_RINGBUF (kernel/bpf/ringbuf.c): the kernel's memory layout, so that libbpf's
 * ring_buffer and user_ring_buffer work unmodified on the mappings of the map fd, and its
 * producer and consumer protocols (records of an 8-byte header, len with the busy and discard
 * bits, then pg_off; 8-byte aligned; positions that only grow).
 *
 * The file: after the map header, this family's meta (the user ring's busy word, the waiter
 * count), then on page boundaries the consumer page (consumer_pos at its start), the producer
 * page (producer_pos, then the kernel's pending_pos, which consumers see too), and the
 * max_entries bytes of data, last in the file. mmap() of
 * the fd sees the kernel's space: page 0 the consumer page, page 1 the producer page, then the
 * data pages twice (cmd/fd_ops.c); every view of the map, ours included, maps the data twice
 * too (the alias op), so samples are contiguous across the wrap.
 *
 * Who writes what: for RINGBUF, user space writes consumer_pos (its page is mapped writable),
 * producers write producer_pos and the data; for USER_RINGBUF, user space writes producer_pos and
 * the data, the drain writes consumer_pos. Everything user space can write is read as the kernel
 * reads it: positions are only compared and masked, a record's length is checked against the
 * ring and the positions before anything is read (the user ring's peek), and the double mapping
 * keeps every masked position plus a record no longer than the ring inside the view. Nothing
 * else of the file is trusted: the geometry comes from the map's shape and is checked against
 * the file's size.
 *
 * Crash safety: reservations take the map lock; a position moves by one aligned store after the
 * bytes it exposes are written (a record's header is busy before producer_pos covers it, and
 * committing is one exchange of its len). A producer killed between reserve and commit leaves a
 * busy record, at which consumers stop, as they would at a kernel program's record that was never
 * submitted (the verifier makes that impossible in the kernel; here it is a killed process's
 * record). A drain killed in its callback leaves the user ring's busy word with its pid, which the
 * next drain finds dead and takes over.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>

#include "../cmd/cmds.h"
#include "../core/objstore.h"
#include "../core/sync.h"
#include "../util/diag.h"
#include "families.h"
#include "ringbuf.h"

#define RB_META_PAGES 3u       /* the kernel's non-mappable page, consumer page, producer page */
#define KERNEL_RB_MAP 304u     /* sizeof(struct bpf_ringbuf_map) on 6.18: memlock */
#define RINGBUF_MAX_RECORD_SZ (UINT32_MAX / 4)
#define DYNPTR_MAX_SIZE ((1u << 24) - 1)

struct rb_meta {
	int32_t busy;         /* USER_RINGBUF: the pid of the process draining, 0 if none */
	uint32_t waiters;     /* waiters blocked on the fd (a hint for producers) */
	uint32_t wakes;       /* wakeups made */
};

struct rb_geom {
	unsigned long *cons, *prod;
	unsigned long *pending; /* RINGBUF: the oldest record not committed yet (reserve's bound), as the
				 * kernel keeps it, after producer_pos in its page */
	char *data;
	struct rb_meta *meta;
	uint64_t mask, size, page;
	uint64_t cons_off, prod_off, data_off;
};

static uint64_t page_size(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (uint64_t)ps : 4096u;
}

static uint64_t priv_off_of(void) { return emu_round_up64(sizeof(struct emu_map_hdr), 64); }

/* Where the pages lie in a file of this shape. */
static void offsets(uint32_t max_entries, uint64_t *cons, uint64_t *prod, uint64_t *data)
{
	uint64_t ps = page_size();

	*cons = emu_round_up64(priv_off_of() + sizeof(struct rb_meta), ps);
	*prod = *cons + ps;
	*data = *prod + ps;
	(void)max_entries;
}

bool emu_is_ringbuf(const struct emu_map *m) { return m->map_type == EMU_MAP_RINGBUF; }
bool emu_is_user_ringbuf(const struct emu_map *m) { return m->map_type == EMU_MAP_USER_RINGBUF; }

/* Where the ring lies in a file of m's (checked) shape: the data last, so the alias op maps it
 * again right after the file's end. */
static bool placed(const struct emu_map *m, struct rb_geom *g)
{
	g->page = page_size();
	g->size = m->max_entries;
	offsets(m->max_entries, &g->cons_off, &g->prod_off, &g->data_off);
	return (uint64_t)(m->priv - m->base) == priv_off_of() && g->size && !(g->size & (g->size - 1)) &&
	       g->data_off + g->size == (uint64_t)m->size;
}

static int geom(const struct emu_map *m, struct rb_geom *g)
{
	/* adoption checked both (rb_validate, and the alias against the view's length): a bug if not */
	if (!placed(m, g) || (uint64_t)m->view_len != (uint64_t)m->size + g->size) {
		static bool said;

		emu_diag_once(&said, "a ring buffer's view does not match its shape: EUCLEAN");
		return -EUCLEAN;
	}
	g->mask = g->size - 1;
	g->meta = (struct rb_meta *)m->priv;
	g->cons = (unsigned long *)(m->base + g->cons_off);
	g->prod = (unsigned long *)(m->base + g->prod_off);
	g->pending = g->prod + 1;
	g->data = m->base + g->data_off;
	return 0;
}

/* Adoption: the layout is the shape's (the positions and record headers in the file are checked
 * where they are used: every data index is masked, every record length bounded by the ring). */
static int rb_validate(struct emu_map *m, const char **field)
{
	struct rb_geom g;

	m->data_stride = 0; /* no value is written by a redo or slot record */
	if (placed(m, &g))
		return 0;
	*field = "ring buffer layout";
	return -EINVAL;
}

/* ---- create ---- */

static int rb_alloc_shape(struct emu_create *c)
{
	uint64_t ps = page_size();

	if (c->key_size || c->value_size || (c->max_entries & (c->max_entries - 1)) || (c->max_entries % ps))
		return -EINVAL;
	if ((uint64_t)c->max_entries > ((1ull << 24) - 2 - 1) * ps)
		return -E2BIG;
	return 0;
}

static int rb_layout(const struct emu_create *c, uint64_t *priv_size)
{
	uint64_t cons, prod, data;

	offsets(c->max_entries, &cons, &prod, &data);
	*priv_size = data - priv_off_of() + c->max_entries;
	return 0;
}

static void rb_init(struct emu_map *m)
{
	(void)m; /* positions 0, no records: a zero-filled file */
}

/* the data pages, mapped again right after the file by every view */
static uint64_t rb_alias(const struct emu_map_hdr *h, uint64_t *src_off)
{
	uint64_t cons, prod, data;

	offsets(h->max_entries, &cons, &prod, &data);
	*src_off = data;
	return h->max_entries;
}

static uint64_t rb_memlock(const struct emu_map *m)
{
	uint64_t ps = page_size(), n = m->max_entries / ps;

	return KERNEL_RB_MAP + (RB_META_PAGES + n) * ps + (RB_META_PAGES + 2 * n) * sizeof(void *);
}

/* mmap space: consumer page, producer page, the data pages twice */
static int rb_mmap_page(struct emu_map *m, uint64_t pgoff, uint64_t *file_off)
{
	struct rb_geom g;
	uint64_t n;
	int err = geom(m, &g);

	if (err)
		return err;
	n = g.size / g.page;
	if (pgoff == 0)
		*file_off = g.cons_off;
	else if (pgoff == 1)
		*file_off = g.prod_off;
	else if (pgoff < 2 + 2 * n)
		*file_off = g.data_off + ((pgoff - 2) % n) * g.page;
	else
		return -EINVAL;
	return 0;
}

static uint32_t rb_poll(struct emu_map *m)
{
	struct rb_geom g;
	unsigned long cons, prod;

	if (geom(m, &g))
		return 0x008; /* EPOLLERR */
	cons = __atomic_load_n(g.cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(g.prod, __ATOMIC_ACQUIRE);
	if (emu_is_ringbuf(m))
		return prod - cons ? 0x001 | 0x040 /* EPOLLIN | EPOLLRDNORM */ : 0;
	return prod - cons < g.size ? 0x004 | 0x100 /* EPOLLOUT | EPOLLWRNORM */ : 0;
}

/* Every element command: the kernel's ring ops answer ENOTSUPP. */
static int rb_lookup(struct emu_map *m, const void *key, void *value)
{
	(void)m, (void)key, (void)value;
	return -EMU_ENOTSUPP;
}
static int rb_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	(void)m, (void)key, (void)value, (void)flags;
	return -EMU_ENOTSUPP;
}
static int rb_delete(struct emu_map *m, const void *key)
{
	(void)m, (void)key;
	return -EMU_ENOTSUPP;
}
static int rb_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	(void)m, (void)key, (void)next_key;
	return -EMU_ENOTSUPP;
}

static int rb_check(struct emu_map *m)
{
	struct rb_geom g;

	return geom(m, &g);
}

/* ---- waiting and waking ---- */

void emu_ring_wait_begin(struct emu_map *m)
{
	struct rb_geom g;

	if (!geom(m, &g))
		__atomic_add_fetch(&g.meta->waiters, 1, __ATOMIC_SEQ_CST);
}

void emu_ring_wait_end(struct emu_map *m)
{
	struct rb_geom g;

	/* never below zero: the count is shared with any process that can write the file */
	if (!geom(m, &g)) {
		uint32_t w = __atomic_load_n(&g.meta->waiters, __ATOMIC_RELAXED);

		while (w && !__atomic_compare_exchange_n(&g.meta->waiters, &w, w - 1, false, __ATOMIC_SEQ_CST,
							 __ATOMIC_RELAXED))
			;
	}
}

void emu_ring_wake(struct emu_map *m)
{
	struct rb_geom g;

	if (geom(m, &g))
		return;
	/* the store that published the record comes first (see ringbuf.h) */
#ifndef EMU_TSAN
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&g.meta->waiters, __ATOMIC_RELAXED))
		return;
#else
	/* ThreadSanitizer has no fences (gcc refuses them there): a sequentially consistent
	 * read-modify-write of the word orders the same store before this read */
	if (!__atomic_fetch_add(&g.meta->waiters, 0, __ATOMIC_SEQ_CST))
		return;
#endif
	__atomic_add_fetch(&g.meta->wakes, 1, __ATOMIC_RELAXED);
	emu_objstore_touch(EMU_ID_MAP, m->id);
}

/* ---- RINGBUF: producing ---- */

void *emu_ringbuf_reserve(struct emu_map *m, uint64_t size)
{
	struct rb_geom g;
	unsigned long cons, prod, pend, new_prod;
	uint64_t len;
	char *hdr;
	uint32_t steps = 0;

	if (!emu_is_ringbuf(m) || geom(m, &g) || size > RINGBUF_MAX_RECORD_SZ)
		return NULL;
	len = emu_round_up64(size + EMU_RINGBUF_HDR_SZ, 8);
	if (len > g.size)
		return NULL;
	cons = __atomic_load_n(g.cons, __ATOMIC_ACQUIRE);
	if (emu_map_lock(m))
		return NULL;
	pend = *g.pending;
	prod = *g.prod;
	new_prod = prod + (unsigned long)len;
	/* move pending past the records committed since; the walk is bounded by the ring */
	while (pend < prod && steps++ <= g.size / 8) {
		uint32_t hl = __atomic_load_n((uint32_t *)(g.data + (pend & g.mask)), __ATOMIC_ACQUIRE);

		if (hl & EMU_RINGBUF_BUSY_BIT)
			break;
		pend += (unsigned long)emu_round_up64((uint64_t)(hl & ~EMU_RINGBUF_DISCARD_BIT) + EMU_RINGBUF_HDR_SZ, 8);
	}
	*g.pending = pend;
	if (new_prod - cons > g.mask || new_prod - pend > g.mask) {
		emu_map_unlock(m);
		return NULL;
	}
	hdr = g.data + (prod & g.mask);
	{
		/* pg_off: the record's page in the kernel's vmap of the ring (three pages of meta) */
		uint32_t pg_off = (uint32_t)((RB_META_PAGES * g.page + (prod & g.mask)) / g.page);

		memcpy(hdr + 4, &pg_off, 4);
		__atomic_store_n((uint32_t *)hdr, (uint32_t)size | EMU_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
	}
	EMU_CRASH_POINT("rb.reserve");
	__atomic_store_n(g.prod, new_prod, __ATOMIC_RELEASE);
	emu_map_unlock(m);
	return hdr + EMU_RINGBUF_HDR_SZ;
}

int emu_ringbuf_commit(struct emu_map *m, void *sample, uint64_t flags, bool discard)
{
	struct rb_geom g;
	uint64_t rec_pos;
	uint32_t *hl, len;
	unsigned long cons;
	int err = geom(m, &g);

	if (err)
		return err;
	rec_pos = (uint64_t)((char *)sample - EMU_RINGBUF_HDR_SZ - g.data);
	if (!emu_is_ringbuf(m) || (char *)sample < g.data + EMU_RINGBUF_HDR_SZ || rec_pos >= g.size || (rec_pos & 7))
		return -EINVAL;
	hl = (uint32_t *)(g.data + rec_pos);
	len = __atomic_load_n(hl, __ATOMIC_ACQUIRE);
	if (!(len & EMU_RINGBUF_BUSY_BIT))
		return -EINVAL;
	len ^= EMU_RINGBUF_BUSY_BIT;
	if (discard)
		len |= EMU_RINGBUF_DISCARD_BIT;
	if (!discard && EMU_FAULT("ringbuf-len"))
		len += 8; /* a planted mistake: a record's length off by 8 (tests/diffmode) */
	__atomic_exchange_n(hl, len, __ATOMIC_SEQ_CST);
	cons = __atomic_load_n(g.cons, __ATOMIC_ACQUIRE) & g.mask;
	if ((flags & EMU_RB_FORCE_WAKEUP) || (cons == rec_pos && !(flags & EMU_RB_NO_WAKEUP)))
		emu_ring_wake(m);
	return 0;
}

int emu_ringbuf_output(struct emu_map *m, const void *data, uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(EMU_RB_NO_WAKEUP | EMU_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = emu_ringbuf_reserve(m, size);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	return emu_ringbuf_commit(m, rec, flags, false);
}

uint64_t emu_ringbuf_query(struct emu_map *m, uint64_t flags)
{
	struct rb_geom g;

	if (geom(m, &g))
		return 0;
	switch (flags) {
	case EMU_RB_AVAIL_DATA:
		return __atomic_load_n(g.prod, __ATOMIC_ACQUIRE) - __atomic_load_n(g.cons, __ATOMIC_ACQUIRE);
	case EMU_RB_RING_SIZE:
		return g.size;
	case EMU_RB_CONS_POS:
		return __atomic_load_n(g.cons, __ATOMIC_ACQUIRE);
	case EMU_RB_PROD_POS:
		return __atomic_load_n(g.prod, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

/* ---- USER_RINGBUF: draining ---- */

/* __bpf_user_ringbuf_peek: the next sample, or -ENODATA, -EAGAIN (discarded: skipped), -EINVAL,
 * -E2BIG for what the producer (user space) wrote wrong. */
static int user_peek(const struct rb_geom *g, void **sample, uint32_t *size)
{
	unsigned long prod = __atomic_load_n(g->prod, __ATOMIC_ACQUIRE), cons;
	uint32_t hl, flags, len;
	uint64_t total;

	if (prod % 8)
		return -EINVAL;
	cons = __atomic_load_n(g->cons, __ATOMIC_ACQUIRE);
	if (cons >= prod)
		return -ENODATA;
	hl = __atomic_load_n((uint32_t *)(g->data + (cons & g->mask)), __ATOMIC_ACQUIRE);
	flags = hl & (EMU_RINGBUF_BUSY_BIT | EMU_RINGBUF_DISCARD_BIT);
	len = hl & ~flags;
	total = emu_round_up64((uint64_t)len + EMU_RINGBUF_HDR_SZ, 8);
	if (total > prod - cons)
		return -EINVAL;
	if (total > g->size)
		return -E2BIG;
	if (len > DYNPTR_MAX_SIZE)
		return -E2BIG;
	if (flags & EMU_RINGBUF_DISCARD_BIT) {
		__atomic_store_n(g->cons, cons + (unsigned long)total, __ATOMIC_RELEASE);
		return -EAGAIN;
	}
	if (flags & EMU_RINGBUF_BUSY_BIT)
		return -ENODATA;
	*sample = g->data + ((cons + EMU_RINGBUF_HDR_SZ) & g->mask);
	*size = len;
	return 0;
}

/* The drain's busy word: this process's pid while it drains; a pid that no longer runs left it. */
static bool take_busy(struct rb_meta *meta)
{
	int32_t cur = 0, me = (int32_t)getpid();

	if (__atomic_compare_exchange_n(&meta->busy, &cur, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return true;
	if (cur > 0 && cur != me && kill(cur, 0) && errno == ESRCH)
		return __atomic_compare_exchange_n(&meta->busy, &cur, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	return false;
}

long emu_user_ringbuf_drain(struct emu_map *m, long (*callback)(void *ctx, void *sample, uint32_t size),
			    void *ctx, uint64_t flags)
{
	struct rb_geom g;
	long samples, discarded = 0, ret = 0;

	if (flags & ~(EMU_RB_NO_WAKEUP | EMU_RB_FORCE_WAKEUP))
		return -EINVAL;
	if (!emu_is_user_ringbuf(m) || geom(m, &g))
		return -EINVAL;
	if (!take_busy(g.meta))
		return -EBUSY;
	for (samples = 0; samples < EMU_MAX_USER_RINGBUF_SAMPLES && ret == 0; samples++) {
		void *sample;
		uint32_t size;
		int err = user_peek(&g, &sample, &size);

		if (err == -ENODATA)
			break;
		if (err == -EAGAIN) {
			discarded++;
			continue;
		}
		if (err) {
			ret = err;
			goto out;
		}
		ret = callback(ctx, sample, size);
		EMU_CRASH_POINT("urb.release");
		__atomic_store_n(g.cons, *g.cons + (unsigned long)emu_round_up64((uint64_t)size + EMU_RINGBUF_HDR_SZ, 8),
				 __ATOMIC_RELEASE);
	}
	ret = samples - discarded;
out:
	__atomic_store_n(&g.meta->busy, 0, __ATOMIC_RELEASE);
	if ((flags & EMU_RB_FORCE_WAKEUP) || (!(flags & EMU_RB_NO_WAKEUP) && samples > 0))
		emu_ring_wake(m);
	return ret;
}

/* The program-side ops (emu/prog/helpers/ringbuf.c) */
static void rb_prog_commit(struct emu_map *m, void *rec, bool discard, uint64_t flags)
{
	emu_ringbuf_commit(m, rec, flags, discard);
}

static long rb_prog_output(struct emu_map *m, const void *data, uint64_t size, uint64_t flags)
{
	return emu_ringbuf_output(m, data, size, flags);
}

#define RB_OPS                                                                                      \
	.create_flags = EMU_F_NUMA_NODE, .create_flags_late = true, .alloc_shape = rb_alloc_shape, .layout = rb_layout,         \
	.init = rb_init, .validate = rb_validate, .alias = rb_alias, .memlock = rb_memlock, .mmap_page = rb_mmap_page,        \
	.poll = rb_poll, .lookup = rb_lookup, .update = rb_update, .delete = rb_delete,             \
	.get_next_key = rb_get_next_key, .check = rb_check

const struct emu_map_ops emu_ringbuf_ops = {
	.family = "ringbuf",
	RB_OPS,
	.rb_reserve = emu_ringbuf_reserve,
	.rb_commit = rb_prog_commit,
	.rb_output = rb_prog_output,
	.rb_query = emu_ringbuf_query,
};

const struct emu_map_ops emu_user_ringbuf_ops = {
	.family = "user_ringbuf",
	RB_OPS,
};
