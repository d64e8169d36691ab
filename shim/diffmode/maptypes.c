/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: the map types whose values are not plain bytes, or whose contents are not
 * reached through lookups.
 *
 *  - Objects as values: ARRAY_OF_MAPS, HASH_OF_MAPS (inner maps), PROG_ARRAY (programs),
 *    PERF_EVENT_ARRAY (perf events). An update's value (UPDATE_ELEM, UPDATE_BATCH) is an fd: the
 *    kernel is given a private copy of the values with each fd translated to its twin's (a map's
 *    mirror, a program's twin; our own fds become the null fd; what is not an emulated object is
 *    passed as it is, so both sides refuse it alike). The copy ends where the user's readable
 *    memory ended, right before a page that faults, so the kernel faults at the same value the
 *    emulator does. A value naming an emulated object with no twin makes the call not comparable.
 *    A lookup's value (LOOKUP_ELEM, LOOKUP_AND_DELETE_ELEM, the lookup batches) is an id: each is
 *    compared through the pairs of ids (mirror.c: the kernel's id must be the twin's of the
 *    emulator's), not byte for byte; an id neither side's pairs know is not a divergence but is
 *    said (not comparable).
 *  - BLOOM_FILTER: created with the zero seed on both sides (as hash maps are), so the same
 *    values set the same bits and a peek of any value answers alike, false positives included.
 *    Its bits cannot be read: after a run it is compared through peeks of the values pushed
 *    through bpf() (up to MAX_PUSHED; answers alike even without the zero seed: no false
 *    negatives) and, with the zero seed, of NR_PROBES fixed probe values.
 *  - RINGBUF, USER_RINGBUF: both sides' rings are mapped read-only here (the emulator's through
 *    its mmap, the mirror's through the kernel's), except the page user space writes on the
 *    kernel side (RINGBUF: the consumer page; USER_RINGBUF: the producer page and the data),
 *    which carries what the program wrote through its mapping of the emulated ring since the last
 *    compared call: a consumer position moved by a consumer (libbpf's ring_buffer__consume), or a
 *    user ring's records and producer position. After a run, both sides' consumer, producer and
 *    pending positions are compared, and for a RINGBUF every record between the consumer and the
 *    producer position as a consumer sees it: its header (length with the busy and discard bits,
 *    pg_off) and its payload.
 * The element commands of the rings, the bloom filter and the LPM trie need nothing here: their
 * answers and the bytes they write are compared as for any map (a bloom filter's lookup value is
 * an input both sides read from the same bytes).
 */
#include "diffmode.h"

#define MAX_PUSHED 256u
#define NR_PROBES 64u

enum vkind { VK_BYTES, VK_MAP, VK_PROG };

struct dm_mtstate {
	/* rings: consumer page, producer page + data twice; emulator (e) and kernel (k) */
	unsigned char *ecp, *epd, *kcp, *kpd; /* all read-only (ring_write writes the kernel's) */
	int kfd;
	size_t size, page;
	bool ring_tried;
	unsigned long snap_cons, snap_prod; /* the emulator's positions after the last compared call */
	/* bloom filters: values pushed through bpf() on both sides */
	unsigned char *pushed;
	uint32_t npushed;
};

static int vkind(uint32_t t)
{
	if (t == EMU_MAP_ARRAY_OF_MAPS || t == EMU_MAP_HASH_OF_MAPS)
		return VK_MAP;
	if (t == EMU_MAP_PROG_ARRAY)
		return VK_PROG;
	return VK_BYTES;
}

static bool fd_values(uint32_t t) { return vkind(t) != VK_BYTES || t == EMU_MAP_PERF_EVENT_ARRAY; }
static bool is_ring(uint32_t t) { return t == EMU_MAP_RINGBUF || t == EMU_MAP_USER_RINGBUF; }

bool dm_mt_zero_seed(uint32_t t) { return dm_is_hash(t) || t == EMU_MAP_BLOOM_FILTER; }

static struct dm_mtstate *state(struct mirror *m)
{
	if (!m->mt)
		m->mt = calloc(1, sizeof(*m->mt));
	return m->mt;
}

/* ---- objects as values ---- */

/* The kernel's counterpart of an fd stored as a value; false: an emulated object with no twin. */
static bool kernel_fd_of(int fd, uint32_t *out)
{
	struct mirror *m;
	int kobj;

	switch (dm_classify_btf(fd, &m, &kobj)) {
	case FD_RAW:
		*out = (uint32_t)fd;
		return true;
	case FD_OURS:
		*out = (uint32_t)dm_cfg.null_fd;
		return true;
	case FD_MIRRORED:
		*out = (uint32_t)m->kfd;
		return true;
	case FD_BTF_MIRRORED:
	case FD_PROG_MIRRORED:
		*out = (uint32_t)kobj;
		return true;
	default:
		return false;
	}
}

static void *kvals;
static size_t kvals_len;

/* n values of 4 bytes at uptr, translated, in a private buffer whose readable part ends where the
 * user's did (a PROT_NONE page after it); its address, 0 if none could be made. *bad: a value
 * named an object without a twin. */
static uint64_t translate_values(uint64_t uptr, uint64_t n, bool *bad)
{
	uint64_t readable = 0;
	size_t len, room;
	unsigned char *p;

	*bad = false;
	if (kvals)
		munmap(kvals, kvals_len);
	kvals = NULL;
	/* the readable prefix: the kernel reads value by value and stops at the first fault */
	while (readable < n && readable < (SHADOW_MAX / 4)) {
		uint32_t v;

		if (emu_copy_from_user(&v, (const void *)(uintptr_t)(uptr + readable * 4), 4))
			break;
		readable++;
	}
	room = emu_round_up64(readable * 4, PAGE);
	len = room + PAGE;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	kvals = p;
	kvals_len = len;
	mprotect(p + room, PAGE, PROT_NONE);
	p += room - readable * 4;
	for (uint64_t i = 0; i < readable; i++) {
		uint32_t v, k;

		(void)emu_copy_from_user(&v, (const void *)(uintptr_t)(uptr + i * 4), 4);
		if (!dm_user_kfd((int)v, &k, kernel_fd_of, false)) {
			*bad = true;
			return 0;
		}
		memcpy(p + i * 4, &k, 4);
	}
	return (uintptr_t)p;
}

bool dm_mt_prepare(struct call *c)
{
	struct mirror *m = c->map, *inner;
	unsigned off;
	uint64_t n, kp;
	bool bad;

	if (c->cmd == EMU_BPF_MAP_CREATE) {
		uint32_t ifd = attr_u32(&c->a, MC_INNER_FD);

		if (c->size >= MC_INNER_FD + 4 && ifd && dm_classify((int)ifd, &inner) == FD_UNMIRRORED) {
			dm_not_comparable(c, NC_NO_MIRROR, "its inner_map_fd is an emulated map with no kernel mirror");
			return false;
		}
		return true;
	}
	if (!m || !c->kattr || !fd_values(m->type) || m->value_size != 4)
		return true;
	if (c->cmd == EMU_BPF_MAP_UPDATE_ELEM) {
		off = EL_VALUE;
		n = 1;
	} else if (c->cmd == EMU_BPF_MAP_UPDATE_BATCH) {
		off = BA_VALUES;
		n = attr_u32(&c->a, BA_COUNT);
	} else {
		return true;
	}
	if (off + 8 > c->size || !n)
		return true;
	kp = translate_values(attr_u64(&c->a, off), n, &bad);
	if (bad) {
		dm_not_comparable(c, NC_NO_MIRROR, "a value names an emulated object with no kernel twin");
		return false;
	}
	if (!kp)
		return true; /* no memory: the kernel reads the user's fds and the call shows the difference */
	memcpy(c->kattr + off, &kp, 8);
	dm_mask_attr(c, off, 8);
	return true;
}

/* An emulated object this process has no twin of yet (another process made it): opened by its
 * id, its twin found the way a fd of it would find one (a mirror pin, another fd of the same
 * object), which records the pair of ids. */
static void pair_by_id(int kind, uint32_t eid)
{
	struct emu_attr a;
	struct mirror *m;
	long fd;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, ID_START, eid);
	a.len = kind == OBJ_MAP ? ID_GET_FD_END : ID_PROG_GET_FD_END;
	fd = dm_emu_private(kind == OBJ_MAP ? EMU_BPF_MAP_GET_FD_BY_ID : EMU_BPF_PROG_GET_FD_BY_ID, &a,
			      (union bpf_attr *)(void *)a.b);
	if (fd < 0)
		return;
	dm_classify((int)fd, &m);
	close((int)fd);
}

/* A kernel id against the emulator's: the kernel's must be the twin of the emulator's. */
static bool ids_agree(int kind, uint32_t kid, uint32_t eid, bool *unknown)
{
	uint32_t k = dm_id_e2k(kind, eid);

	if (!k && eid) {
		pair_by_id(kind, eid);
		k = dm_id_e2k(kind, eid);
	}

	if (k)
		return k == kid;
	if (dm_id_k2e(kind, kid))
		return false; /* the kernel's is the twin of another emulated object */
	*unknown = true; /* neither is known: not a divergence, said */
	return true;
}

bool dm_mt_values_agree(uint32_t type, const unsigned char *kv, const unsigned char *ev, size_t len, bool *unknown)
{
	int vk = vkind(type);

	if (vk == VK_BYTES || len % 4)
		return !memcmp(kv, ev, len);
	for (size_t i = 0; i < len; i += 4) {
		uint32_t k, e;

		memcpy(&k, kv + i, 4);
		memcpy(&e, ev + i, 4);
		if (!ids_agree(vk == VK_MAP ? OBJ_MAP : OBJ_PROG, k, e, unknown))
			return false;
	}
	return true;
}

static struct span *span_named(struct call *c, const char *name)
{
	for (int i = 0; i < c->nsp; i++)
		if (!strcmp(c->sp[i].name, name))
			return &c->sp[i];
	return NULL;
}

static void hex(char *out, size_t len, const unsigned char *p, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? " %02x" : "%02x", p[i]);
}

/* The ids a lookup wrote: nids of them compared through the pairs, the rest of the span byte for
 * byte (neither side should have written it). */
static void compare_ids(struct call *c, struct span *s, uint64_t nids)
{
	const struct group *g;
	unsigned char *ub;
	bool unknown = false;
	int kind = vkind(c->map->type) == VK_MAP ? OBJ_MAP : OBJ_PROG;

	if (!s || !s->compare || s->group < 0 || !(g = &c->g[s->group])->shadow || !s->len)
		return;
	/* pages the user could not write: the span comparison's own rules */
	for (uint64_t a = s->uptr & ~(uint64_t)(PAGE - 1); a < s->uptr + s->len; a += PAGE)
		if (g->prot[(a - g->plo) / PAGE] != (PROT_READ | PROT_WRITE))
			return;
	if (!(ub = malloc(s->len)))
		return;
	if (emu_copy_from_user(ub, (const void *)(uintptr_t)s->uptr, s->len)) {
		free(ub);
		return;
	}
	s->compare = false;
	if (nids > s->len / 4)
		nids = s->len / 4;
	for (uint64_t i = 0; i < nids; i++) {
		uint32_t k, e;
		struct difference *d;

		memcpy(&k, s->kptr + i * 4, 4);
		memcpy(&e, ub + i * 4, 4);
		if (ids_agree(kind, k, e, &unknown))
			continue;
		d = dm_differ(c, "%s[%llu]: the %s id is not the twin of the kernel's (kernel's twin of the emulator's: %u)",
			      s->name, (unsigned long long)i, kind == OBJ_MAP ? "inner map" : "program", dm_id_e2k(kind, e));
		if (d) {
			snprintf(d->kernel, sizeof(d->kernel), "id %u", k);
			snprintf(d->emulator, sizeof(d->emulator), "id %u", e);
		}
		free(ub);
		return;
	}
	if (memcmp(s->kptr + nids * 4, ub + nids * 4, s->len - nids * 4)) {
		size_t first = nids * 4;
		struct difference *d;

		while (first < s->len && s->kptr[first] == ub[first])
			first++;
		d = dm_differ(c, "%s: bytes past the %llu ids written differ, the first at byte %zu", s->name,
			      (unsigned long long)nids, first);
		if (d) {
			hex(d->kernel, sizeof(d->kernel), s->kptr + first, s->len - first < 16 ? s->len - first : 16);
			hex(d->emulator, sizeof(d->emulator), ub + first, s->len - first < 16 ? s->len - first : 16);
		}
	}
	if (unknown)
		dm_not_comparable(c, NC_NO_MIRROR, "an id in a map of objects belongs to an object with no known twin");
	free(ub);
}

static void record_push(struct call *c)
{
	struct dm_mtstate *st = state(c->map);
	uint32_t vs = c->map->value_size;

	if (!st || !vs || st->npushed >= MAX_PUSHED)
		return;
	if (!st->pushed && !(st->pushed = calloc(MAX_PUSHED, vs)))
		return;
	if (emu_copy_from_user(st->pushed + (size_t)st->npushed * vs, (const void *)(uintptr_t)attr_u64(&c->a, EL_VALUE), vs))
		return;
	for (uint32_t i = 0; i < st->npushed; i++)
		if (!memcmp(st->pushed + (size_t)i * vs, st->pushed + (size_t)st->npushed * vs, vs))
			return;
	st->npushed++;
}

void dm_mt_compare(struct call *c)
{
	struct mirror *m = c->map;

	if (!m)
		return;
	if (m->type == EMU_MAP_BLOOM_FILTER && c->cmd == EMU_BPF_MAP_UPDATE_ELEM && !c->kret && !c->eret)
		record_push(c);
	if (vkind(m->type) == VK_BYTES)
		return;
	if (c->cmd == EMU_BPF_MAP_LOOKUP_ELEM || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM) {
		compare_ids(c, span_named(c, "value"), !c->kret && !c->eret ? 1 : 0);
	} else if (c->cmd == EMU_BPF_MAP_LOOKUP_BATCH || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH) {
		uint32_t kc, ec;

		if (!c->kattr || emu_copy_from_user(&ec, (const char *)c->uattr + BA_COUNT, 4))
			return;
		/* values are written by a batch that worked, or ended at the last element */
		if (c->kret != c->eret || (c->kret && c->kret != -ENOENT))
			kc = ec = 0;
		else
			memcpy(&kc, c->kattr + BA_COUNT, 4);
		compare_ids(c, span_named(c, "values"), (uint64_t)(kc < ec ? kc : ec) * (m->value_bytes / 4));
	}
}

/* ---- rings ---- */

static void ring_unmap(struct dm_mtstate *st)
{
	size_t big = st->page + 2 * st->size;

	if (st->ecp)
		munmap(st->ecp, st->page);
	if (st->epd)
		munmap(st->epd, big);
	if (st->kcp)
		munmap(st->kcp, st->page);
	if (st->kpd)
		munmap(st->kpd, big);
	st->ecp = st->epd = st->kcp = st->kpd = NULL;
}

/* Both sides' rings mapped: false if they cannot be. */
static bool ring_map(struct dm_mtstate *st, int efd, int kfd, uint32_t size)
{
	long ps = sysconf(_SC_PAGESIZE);
	bool mw;
	void *p;

	if (st->ring_tried)
		return st->kpd != NULL;
	st->ring_tried = true;
	st->page = ps > 0 ? (size_t)ps : PAGE;
	st->size = size;
	if ((uint64_t)size * 2 > SHADOW_MAX)
		return false;
	if (emu_map_mmap(efd, NULL, st->page, PROT_READ, MAP_SHARED, 0, &p, &mw))
		goto fail;
	st->ecp = p;
	if (emu_map_mmap(efd, NULL, st->page + 2 * st->size, PROT_READ, MAP_SHARED, (off_t)st->page, &p, &mw))
		goto fail;
	st->epd = p;
	st->kfd = kfd;
	st->kcp = dm_raw_mmap(st->page, PROT_READ, kfd, 0);
	st->kpd = dm_raw_mmap(st->page + 2 * st->size, PROT_READ, kfd, (off_t)st->page);
	if (!st->kcp || !st->kpd)
		goto fail;
	st->snap_cons = __atomic_load_n((unsigned long *)st->ecp, __ATOMIC_ACQUIRE);
	st->snap_prod = __atomic_load_n((unsigned long *)st->epd, __ATOMIC_ACQUIRE);
	return true;
fail:
	ring_unmap(st);
	dm_note("a ring buffer could not be mapped on both sides: its records are not compared");
	return false;
}

static unsigned long pos(const unsigned char *page) { return __atomic_load_n((const unsigned long *)page, __ATOMIC_ACQUIRE); }

/* A write into the kernel's ring where user space writes (a RINGBUF's consumer page, a
 * USER_RINGBUF's producer page and data): through a writable mapping made for it and gone after,
 * since the kernel's FREEZE counts every mapping that may write as the program's. */
static void ring_write(struct dm_mtstate *st, uint32_t type, size_t off, const void *src, size_t n, unsigned long pos)
{
	bool user = type == EMU_MAP_USER_RINGBUF; /* off: from the start of kpd's range, else kcp's */
	size_t len = user ? st->page + 2 * st->size : st->page;
	unsigned char *w = dm_raw_mmap(len, PROT_READ | PROT_WRITE, st->kfd, user ? (off_t)st->page : 0);

	if (!w)
		return;
	if (n)
		memcpy(w + off, src, n);
	__atomic_store_n((unsigned long *)w, pos, __ATOMIC_RELEASE); /* the consumer or producer position */
	munmap(w, len);
}

/* What user space wrote through its mapping of the emulated ring since the last compared call,
 * carried to the mirror's. */
static void ring_sync(struct dm_mtstate *st, uint32_t type)
{
	unsigned long ec = pos(st->ecp), ep = pos(st->epd), kc = pos(st->kcp);
	size_t at = st->page + (kc & (st->size - 1));

	if (type == EMU_MAP_RINGBUF) {
		if (ec != st->snap_cons && ec != kc) {
			ring_write(st, type, 0, NULL, 0, ec);
			dm_st.ring_writes++;
		}
		return;
	}
	/* USER_RINGBUF: the records from the kernel's consumer position to the emulator's producer
	 * position (their headers may have been committed since, even with the producer position
	 * unchanged), then the producer position */
	if (ep != st->snap_prod || ep != pos(st->kpd)) {
		ring_write(st, type, at, st->epd + at, ep - kc <= st->size ? ep - kc : 0, ep);
		dm_st.ring_writes++;
	} else if (ep - kc <= st->size && ep != kc) {
		ring_write(st, type, at, st->epd + at, ep - kc, ep);
	}
}

static void ring_compare(struct call *c, struct dm_mtstate *st, uint32_t type, const char *name)
{
	static const char *const what[] = { "consumer position", "producer position", "pending position" };
	unsigned long k[3] = { pos(st->kcp), pos(st->kpd), pos(st->kpd + sizeof(unsigned long)) };
	unsigned long e[3] = { pos(st->ecp), pos(st->epd), pos(st->epd + sizeof(unsigned long)) };
	const char *tn = emu_map_type_name(type);
	unsigned char *kd = st->kpd + st->page, *ed = st->epd + st->page;
	uint64_t mask = st->size - 1;
	struct difference *d;

	for (int i = 0; i < (type == EMU_MAP_RINGBUF ? 3 : 2); i++)
		if (k[i] != e[i] && (d = dm_differ(c, "after the run, ring '%s' (%s): the %s differs", name, tn ? tn : "?", what[i]))) {
			snprintf(d->kernel, sizeof(d->kernel), "%lu", k[i]);
			snprintf(d->emulator, sizeof(d->emulator), "%lu", e[i]);
		}
	if (type != EMU_MAP_RINGBUF)
		return;
	/* the records a consumer would read, from the consumer position to the producer's (no more
	 * than a ring's worth, whatever the positions say) */
	for (unsigned long p = k[0] > e[0] ? k[0] : e[0], end = k[1] < e[1] ? k[1] : e[1], stop = p + st->size;
	     p < end && p < stop;) {
		uint32_t klen, elen, len;
		unsigned char *kr = kd + (p & mask), *er = ed + (p & mask);

		memcpy(&klen, kr, 4);
		memcpy(&elen, er, 4);
		if (memcmp(kr, er, EMU_RINGBUF_HDR_SZ)) {
			if ((d = dm_differ(c, "after the run, ring '%s' (%s): the header of the record at position %lu differs "
					   "(len with busy/discard bits, pg_off)", name, tn ? tn : "?", p))) {
				hex(d->kernel, sizeof(d->kernel), kr, EMU_RINGBUF_HDR_SZ);
				hex(d->emulator, sizeof(d->emulator), er, EMU_RINGBUF_HDR_SZ);
			}
			return;
		}
		len = klen & ~(EMU_RINGBUF_BUSY_BIT | EMU_RINGBUF_DISCARD_BIT);
		if (len > st->size - EMU_RINGBUF_HDR_SZ)
			return;
		if (memcmp(kr + EMU_RINGBUF_HDR_SZ, er + EMU_RINGBUF_HDR_SZ, len)) {
			size_t first = 0;

			while (kr[EMU_RINGBUF_HDR_SZ + first] == er[EMU_RINGBUF_HDR_SZ + first])
				first++;
			if ((d = dm_differ(c, "after the run, ring '%s' (%s): the payload of the record at position %lu (%u bytes) "
					   "differs at byte %zu", name, tn ? tn : "?", p, len, first))) {
				hex(d->kernel, sizeof(d->kernel), kr + EMU_RINGBUF_HDR_SZ + first, len - first < 16 ? len - first : 16);
				hex(d->emulator, sizeof(d->emulator), er + EMU_RINGBUF_HDR_SZ + first, len - first < 16 ? len - first : 16);
			}
			return;
		}
		if (klen & EMU_RINGBUF_BUSY_BIT)
			return; /* a consumer stops at a busy record */
		p += (unsigned long)emu_round_up64((uint64_t)len + EMU_RINGBUF_HDR_SZ, 8);
	}
}

void dm_mt_sync(struct mirror *m, int efd)
{
	struct dm_mtstate *st;

	if (!m || !is_ring(m->type) || !(st = state(m)) || !ring_map(st, efd, m->kfd, m->max_entries))
		return;
	ring_sync(st, m->type);
}

void dm_mt_sync_fds(int efd, int kfd, const struct emu_map_desc *d)
{
	struct dm_mtstate st = { 0 };

	if (!is_ring(d->type) || !ring_map(&st, efd, kfd, d->max_entries))
		return;
	/* no reference taken before: what user space writes (the consumer position of a RINGBUF, a
	 * USER_RINGBUF's records and producer position) is never written by a program, so all of it
	 * is carried */
	st.snap_cons = pos(st.kcp);
	st.snap_prod = pos(st.kpd);
	ring_sync(&st, d->type);
	ring_unmap(&st);
}

void dm_mt_snapshot(struct mirror *m)
{
	struct dm_mtstate *st = m ? m->mt : NULL;

	if (st && st->kpd) {
		st->snap_cons = pos(st->ecp);
		st->snap_prod = pos(st->epd);
	}
}

void dm_mt_release(struct mirror *m)
{
	if (!m->mt)
		return;
	ring_unmap(m->mt);
	free(m->mt->pushed);
	free(m->mt);
	m->mt = NULL;
}

/* ---- after a run (mapcmp.c) ---- */

static long peek(bool kernel, int fd, const void *val)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, EL_FD, (uint32_t)fd);
	memcpy(a.b + EL_VALUE, &(uint64_t){ (uintptr_t)val }, 8);
	if (kernel)
		return dm_kbpf(EMU_BPF_MAP_LOOKUP_ELEM, a.b, EMU_ATTR_SIZE);
	a.len = EL_END;
	return dm_emu_private(EMU_BPF_MAP_LOOKUP_ELEM, &a, (union bpf_attr *)(void *)a.b);
}

static void bloom_compare(struct call *c, struct mirror *m, int efd, int kfd, const struct emu_map_desc *d, const char *name)
{
	struct dm_mtstate *st = m ? m->mt : NULL;
	/* the same seed on both sides: its own BPF_F_ZERO_SEED, or the one --diff gave both */
	bool zero = (d->map_flags & EMU_F_ZERO_SEED) || (m && m->seed_added);
	uint32_t vs = d->value_size, nprobe = zero ? NR_PROBES : 0;
	unsigned char *v = calloc(1, vs ? vs : 1);

	if (!v)
		return;
	if (!nprobe && !(st && st->npushed)) {
		dm_not_comparable(c, NC_NO_MIRROR, "a bloom filter without BPF_F_ZERO_SEED whose pushed values are not "
				  "known here: its bits cannot be read, and peeks of other values may differ by design");
		free(v);
		return;
	}
	for (uint32_t i = 0; i < (st ? st->npushed : 0) + nprobe; i++) {
		struct difference *df;
		long rk, re;

		if (st && i < st->npushed)
			memcpy(v, st->pushed + (size_t)i * vs, vs);
		else
			for (uint32_t b = 0; b < vs; b++)
				v[b] = (unsigned char)((i - (st ? st->npushed : 0)) * 37 + b);
		rk = peek(true, kfd, v);
		re = peek(false, efd, v);
		if (rk == re)
			continue;
		if ((df = dm_differ(c, "after the run, bloom filter '%s': a peek of a %s value answers differently", name,
				    st && i < st->npushed ? "pushed" : "probe"))) {
			char h[100];

			hex(h, sizeof(h), v, vs < 16 ? vs : 16);
			snprintf(df->what + strlen(df->what), sizeof(df->what) - strlen(df->what), " (value %s)", h);
			snprintf(df->kernel, sizeof(df->kernel), "%s", rk ? dm_errname((int)-rk) : "found");
			snprintf(df->emulator, sizeof(df->emulator), "%s", re ? dm_errname((int)-re) : "found");
		}
		break;
	}
	free(v);
}

int dm_mt_compare_map(struct call *c, struct mirror *m, int efd, int kfd, const struct emu_map_desc *d, const char *name)
{
	if (d->type == EMU_MAP_BLOOM_FILTER) {
		bloom_compare(c, m, efd, kfd, d, name);
		return 1;
	}
	if (is_ring(d->type)) {
		struct dm_mtstate tmp = { 0 }, *st = m ? state(m) : &tmp;

		if (st && ring_map(st, efd, kfd, d->max_entries))
			ring_compare(c, st, d->type, name);
		if (st == &tmp)
			ring_unmap(&tmp);
		return 1;
	}
	if (d->type == EMU_MAP_PERF_EVENT_ARRAY) {
		dm_not_comparable(c, NC_KERNEL_ONLY, "a perf event array's events are the kernel's (perf output is not emulated)");
		return 1;
	}
	return 0;
}
