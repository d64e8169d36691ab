/* SPDX-License-Identifier: MIT */
/* Differential mode: shadow copies of what a call may write, and the comparison of one call. */
#include "diffmode.h"

/* ---- shadows ---- */

/* One user memory range the kernel may touch through one pointer. */


static struct region arena[MAX_GROUPS];


static int user_prot(uint64_t page, uint64_t lo, uint64_t hi)
{
	uint64_t a = page > lo ? page : lo;
	unsigned char c;

	(void)hi;
	if (emu_copy_from_user(&c, (const void *)(uintptr_t)a, 1))
		return PROT_NONE;
	return emu_user_writable((void *)(uintptr_t)a) ? PROT_READ | PROT_WRITE : PROT_READ;
}

/* A shadow of [lo, hi) with the user's bytes and page protections; NULL if it cannot be had. */
static bool shadow_group(struct group *g)
{
	struct region *r = &arena[g->slot];
	size_t n;

	g->plo = g->lo & ~(uint64_t)(PAGE - 1);
	n = (size_t)(emu_round_up64(g->hi, PAGE) - g->plo);
	g->npages = n / PAGE;
	if (n > SHADOW_MAX)
		return false;
	if (r->cap < n) {
		void *p;

		if (r->base)
			munmap(r->base, r->cap);
		r->base = NULL;
		r->cap = 0;
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return false;
		r->base = p;
		r->cap = n;
	}
	g->prot = malloc(g->npages);
	if (!g->prot)
		return false;
	g->shadow = r->base;
	for (size_t i = 0; i < g->npages; i++) {
		uint64_t page = g->plo + (uint64_t)i * PAGE;
		uint64_t a = page > g->lo ? page : g->lo, b = page + PAGE < g->hi ? page + PAGE : g->hi;

		g->prot[i] = (unsigned char)user_prot(page, g->lo, g->hi);
		if (g->prot[i] == PROT_NONE ||
		    emu_copy_from_user(g->shadow + (a - g->plo), (const void *)(uintptr_t)a, (size_t)(b - a)))
			memset(g->shadow + (a - g->plo), 0, (size_t)(b - a));
	}
	return true;
}

void dm_protect_group(struct group *g)
{
	struct region *r = &arena[g->slot];

	for (size_t i = 0; i < g->npages; i++) {
		if (g->prot[i] == (PROT_READ | PROT_WRITE))
			continue;
		if (!dm_grow(&r->pages, &r->pages_cap, r->npages, sizeof(*r->pages)))
			continue;
		if (!mprotect(g->shadow + i * PAGE, PAGE, g->prot[i]))
			r->pages[r->npages++] = i;
	}
}

void dm_unprotect_all(void)
{
	for (int s = 0; s < MAX_GROUPS; s++) {
		struct region *r = &arena[s];

		for (size_t i = 0; i < r->npages; i++)
			mprotect(r->base + r->pages[i] * PAGE, PAGE, PROT_READ | PROT_WRITE);
		r->npages = 0;
	}
}
/* ---- one call ---- */



void dm_mask_attr(struct call *c, unsigned off, unsigned len)
{
	if (c->nkmask < 16) {
		c->kmask[2 * c->nkmask] = off;
		c->kmask[2 * c->nkmask + 1] = len;
		c->nkmask++;
	}
}

static bool attr_masked(const struct call *c, unsigned off)
{
	for (int i = 0; i < c->nkmask; i++)
		if (off >= c->kmask[2 * i] && off < c->kmask[2 * i] + c->kmask[2 * i + 1])
			return true;
	return false;
}

__attribute__((format(printf, 2, 3))) struct difference *dm_differ(struct call *c, const char *fmt, ...)
{
	struct difference *d;
	va_list ap;

	if (c->nd >= MAX_DIFFS)
		return NULL;
	d = &c->d[c->nd++];
	memset(d, 0, sizeof(*d));
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	return d;
}

static void add_span(struct call *c, const char *name, unsigned off, size_t len, bool out)
{
	struct span *s;

	if (c->nsp >= MAX_SPANS)
		return;
	s = &c->sp[c->nsp++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->attr_off = off;
	s->uptr = attr_u64(&c->a, off);
	s->len = s->uptr ? len : 0;
	s->out = out;
	s->compare = out;
}

static size_t times(uint32_t n, uint32_t size)
{
	uint64_t b = (uint64_t)n * size;

	return b > SHADOW_MAX ? SHADOW_MAX + 1 : (size_t)b;
}

/* Under the supervisor: every input the kernel reads through a pointer of the attr, so that it
 * reads a copy of the caller's bytes (PROG_LOAD's instructions and fd_array are copied by
 * progs.c, with their fds translated). An input too large to copy makes the call not compared. */
static void remote_inputs(struct call *c)
{
	const struct mirror *m = c->map;
	uint32_t count = attr_u32(&c->a, BA_COUNT);

	switch (c->cmd) {
	case EMU_BPF_MAP_UPDATE_ELEM:
		if (!m)
			break;
		add_span(c, "key", EL_KEY, m->key_size, false);
		add_span(c, "value", EL_VALUE, m->value_bytes, false);
		break;
	case EMU_BPF_MAP_DELETE_ELEM:
		if (m)
			add_span(c, "key", EL_KEY, m->key_size, false);
		break;
	case EMU_BPF_MAP_UPDATE_BATCH:
		if (!m)
			break;
		add_span(c, "keys", BA_KEYS, times(count, m->key_size), false);
		add_span(c, "values", BA_VALUES, times(count, m->value_bytes), false);
		break;
	case EMU_BPF_MAP_DELETE_BATCH:
		if (m)
			add_span(c, "keys", BA_KEYS, times(count, m->key_size), false);
		break;
	case EMU_BPF_BTF_LOAD:
		add_span(c, "btf", BTF_BLOB, attr_u32(&c->a, BTF_SIZE), false);
		break;
	case EMU_BPF_PROG_LOAD:
		add_span(c, "license", PL_LICENSE, 128, false); /* strncpy_from_user of 128 bytes */
		add_span(c, "func_info", PL_FUNC_INFO,
			 times(attr_u32(&c->a, PL_FUNC_INFO_CNT), attr_u32(&c->a, PL_FUNC_INFO_REC_SIZE)), false);
		add_span(c, "line_info", PL_LINE_INFO,
			 times(attr_u32(&c->a, PL_LINE_INFO_CNT), attr_u32(&c->a, PL_LINE_INFO_REC_SIZE)), false);
		add_span(c, "core_relos", PL_CORE_RELOS,
			 times(attr_u32(&c->a, PL_CORE_RELO_CNT), attr_u32(&c->a, PL_CORE_RELO_REC_SIZE)), false);
		break;
	default:
		break;
	}
}

/* Under the supervisor, the attr bytes of a call whose attr copy failed, for the kernel to fail
 * on the same way: a shadow of the caller's bytes with the same faults (NULL for a NULL attr). */
void *dm_shadow_raw_attr(struct call *c)
{
	struct group *g = &c->g[0];

	c->ng = 0;
	c->attr_group = -1;
	if (!c->uattr)
		return NULL;
	if (c->size > PAGE)
		return dm_guard_page; /* E2BIG before anything is read */
	memset(g, 0, sizeof(*g));
	g->lo = (uintptr_t)c->uattr;
	g->hi = g->lo + (c->size ? c->size : 1);
	g->slot = 0;
	if (!shadow_group(g))
		return dm_guard_page;
	c->ng = 1;
	dm_protect_group(g);
	return g->shadow + (g->lo - g->plo);
}

/* Buffers the call may write, and inputs that may share memory with them, per command. */
void dm_spans_for(struct call *c)
{
	if (dm_cfg.remote)
		remote_inputs(c);
	dm_spans_out(c);
}

void dm_spans_out(struct call *c)
{
	const struct mirror *m = c->map;
	uint32_t count, n;

	switch (c->cmd) {
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		if (!m)
			break;
		add_span(c, "value", EL_VALUE, m->value_bytes, true);
		add_span(c, "key", EL_KEY, m->key_size, false);
		break;
	case EMU_BPF_MAP_GET_NEXT_KEY:
		if (!m)
			break;
		add_span(c, "next_key", EL_VALUE, m->key_size, true);
		add_span(c, "key", EL_KEY, m->key_size, false);
		break;
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH: {
		uint32_t tok;

		if (!m)
			break;
		/* hash maps walk by bucket (a u32 token); arrays by key */
		tok = dm_is_hash(m->type) ? 4 : m->type == EMU_MAP_QUEUE || m->type == EMU_MAP_STACK ? 0 : m->key_size;
		count = attr_u32(&c->a, BA_COUNT);
		n = count < m->max_entries ? count : m->max_entries;
		add_span(c, "out_batch", BA_OUT, tok, true);
		add_span(c, "keys", BA_KEYS, (size_t)n * m->key_size, true);
		add_span(c, "values", BA_VALUES, (size_t)n * m->value_bytes, true);
		add_span(c, "in_batch", BA_IN, tok, false);
		break;
	}
	case EMU_BPF_OBJ_GET_INFO_BY_FD: {
		uint32_t len = attr_u32(&c->a, INFO_LEN);

		if (len > PAGE)
			break; /* E2BIG before anything is read */
		add_span(c, "info", INFO_PTR, len, true);
		if (m) {
			c->sp[c->nsp - 1].mask_off = MI_ID;
			c->sp[c->nsp - 1].mask_len = 4;
			if (m->btf) {
				c->sp[c->nsp - 1].mask2_off = MI_BTF_ID;
				c->sp[c->nsp - 1].mask2_len = 4;
			}
		} else if (c->btf) {
			/* (the blob and name go where pointers inside the info say: not shadowed, so
			 * the kernel writes the program's memory first, the emulator the same after) */
			c->sp[c->nsp - 1].mask_off = BI_ID;
			c->sp[c->nsp - 1].mask_len = 4;
		}
		break;
	}
	case EMU_BPF_BTF_LOAD:
		if (attr_u32(&c->a, BTF_LOG_LEVEL) && attr_u32(&c->a, BTF_LOG_SIZE) <= SHADOW_MAX)
			add_span(c, "log_buf", BTF_LOG_BUF, attr_u32(&c->a, BTF_LOG_SIZE), true);
		break;
	case EMU_BPF_PROG_LOAD:
		if (attr_u32(&c->a, PL_LOG_LEVEL) && attr_u32(&c->a, PL_LOG_SIZE) <= SHADOW_MAX) {
			add_span(c, "log_buf", PL_LOG_BUF, attr_u32(&c->a, PL_LOG_SIZE), true);
			c->sp[c->nsp - 1].compare = false; /* only its first line is compared (progs.c) */
		}
		break;
	case EMU_BPF_PROG_TEST_RUN: {
		uint32_t in = attr_u32(&c->a, TR_DATA_SIZE_IN), out = attr_u32(&c->a, TR_DATA_SIZE_OUT);

		/* data_size_out 0: the whole output is copied, which may be longer than the input
		 * (a head pushed); what neither side writes compares equal */
		if (!out)
			out = in <= SHADOW_MAX - PAGE ? in + PAGE : SHADOW_MAX;
		add_span(c, "data_out", TR_DATA_OUT, out, true);
		add_span(c, "ctx_out", TR_CTX_OUT, attr_u32(&c->a, TR_CTX_SIZE_OUT), true);
		add_span(c, "data_in", TR_DATA_IN, in, false);
		add_span(c, "ctx_in", TR_CTX_IN, attr_u32(&c->a, TR_CTX_SIZE_IN), false);
		break;
	}
	default:
		break;
	}
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

/* Shadows for the attr and every group of overlapping spans that holds an output; the kernel's
 * attr points into them. false: the call cannot be shadowed (too large). */
bool dm_build_shadows(struct call *c)
{
	int grp[MAX_SPANS + 1];

	c->ng = 0;
	/* the attr: the kernel writes count, info_len, next_id into it */
	c->attr_group = -1;
	c->kattr = NULL;
	if (c->uattr) {
		struct group *g = &c->g[c->ng];

		memset(g, 0, sizeof(*g));
		g->lo = (uintptr_t)c->uattr;
		g->hi = g->lo + EMU_ATTR_SIZE;
		g->slot = c->ng;
		g->out = true;
		if (!shadow_group(g))
			return false;
		c->attr_group = c->ng++;
		c->kattr = g->shadow + (g->lo - g->plo);
	}

	/* union of overlapping spans */
	for (int i = 0; i < c->nsp; i++)
		grp[i] = i;
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < c->nsp; i++)
			for (int j = i + 1; j < c->nsp; j++)
				if (c->sp[i].len && c->sp[j].len && grp[i] != grp[j] &&
				    overlaps(c->sp[i].uptr, c->sp[i].len, c->sp[j].uptr, c->sp[j].len)) {
					int from = grp[j], to = grp[i];

					for (int k = 0; k < c->nsp; k++)
						if (grp[k] == from)
							grp[k] = to;
					changed = true;
				}
	}
	for (int i = 0; i < c->nsp; i++) {
		struct span *s = &c->sp[i];
		struct group *g = NULL;

		s->group = -1;
		s->kptr = (unsigned char *)(uintptr_t)s->uptr;
		if (!s->len)
			continue;
		for (int k = 0; k < c->ng; k++)
			if (c->g[k].slot == grp[i] + 100)
				g = &c->g[k];
		if (!g) {
			if (c->ng >= MAX_GROUPS)
				return false;
			g = &c->g[c->ng++];
			memset(g, 0, sizeof(*g));
			g->slot = grp[i] + 100; /* a tag until the shadow is made */
			g->lo = s->uptr;
			g->hi = s->uptr + s->len;
		}
		if (s->uptr < g->lo)
			g->lo = s->uptr;
		if (s->uptr + s->len > g->hi)
			g->hi = s->uptr + s->len;
		g->out |= s->out;
		s->group = (int)(g - c->g);
	}
	for (int k = 0; k < c->ng; k++) {
		struct group *g = &c->g[k];

		if (k == c->attr_group)
			continue;
		if (g->hi < g->lo || g->hi - g->lo > SHADOW_MAX)
			return false;
		g->slot = k;
		/* inputs alone are read by the kernel where they are; under the supervisor the
		 * caller's memory is another process's, so the kernel reads a copy of them too */
		if ((g->out || dm_cfg.remote) && !shadow_group(g))
			return false;
	}
	for (int i = 0; i < c->nsp; i++) {
		struct span *s = &c->sp[i];
		struct group *g;
		uint64_t v;

		if (s->group < 0 || !(g = &c->g[s->group])->shadow)
			continue;
		s->kptr = g->shadow + (s->uptr - g->plo);
		v = (uintptr_t)s->kptr;
		if (c->kattr)
			memcpy(c->kattr + s->attr_off, &v, 8);
		dm_mask_attr(c, s->attr_off, 8);
	}
	return true;
}

/* The frozen-array content hash of OBJ_GET_INFO_BY_FD: a pointer inside the info buffer. */
void dm_shadow_info_hash(struct call *c)
{
	struct span *info = NULL;
	uint64_t hp;
	uint32_t hs;

	for (int i = 0; i < c->nsp; i++)
		if (!strcmp(c->sp[i].name, "info") && c->sp[i].group >= 0 && c->g[c->sp[i].group].shadow)
			info = &c->sp[i];
	if (!info || info->len < MI_HASH_SIZE + 4 || c->ng >= MAX_GROUPS || c->nsp > MAX_SPANS)
		return;
	memcpy(&hp, info->kptr + MI_HASH, 8);
	memcpy(&hs, info->kptr + MI_HASH_SIZE, 4);
	if (!hp || hs != 32)
		return;
	{
		struct group *g = &c->g[c->ng];
		struct span *s = &c->sp[c->nsp];

		memset(g, 0, sizeof(*g));
		g->lo = hp;
		g->hi = hp + hs;
		g->slot = c->ng;
		g->out = true;
		if (!shadow_group(g))
			return;
		memset(s, 0, sizeof(*s));
		s->name = "info.hash";
		s->uptr = hp;
		s->len = hs;
		s->out = s->compare = true;
		s->group = c->ng++;
		s->kptr = g->shadow + (hp - g->plo);
		c->nsp++;
		hp = (uintptr_t)s->kptr;
		memcpy(info->kptr + MI_HASH, &hp, 8);
		/* the kernel copies the info back with our pointer in it */
		info->mask_off = info->mask_off ? info->mask_off : MI_ID;
		info->mask_len = info->mask_len ? info->mask_len : 4;
	}
}

static void hexdump(char *out, size_t len, const unsigned char *p, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? " %02x" : "%02x", p[i]);
}

static bool span_masked(const struct span *s, size_t i, bool info_hash_ptr)
{
	if (i >= s->mask_off && i < (size_t)s->mask_off + s->mask_len)
		return true;
	if (i >= s->mask2_off && i < (size_t)s->mask2_off + s->mask2_len)
		return true;
	return info_hash_ptr && i >= MI_HASH && i < MI_HASH + 8;
}

/* Compare what the kernel wrote into a shadow with what the emulator wrote into the user's memory. */
void dm_compare_span(struct call *c, const struct span *s, bool info_hash_ptr)
{
	const struct group *g;
	size_t first = SIZE_MAX, ndiff = 0;

	if (!s->compare || s->group < 0 || !(g = &c->g[s->group])->shadow)
		return;
	for (size_t off = 0; off < s->len;) {
		uint64_t ua = s->uptr + off;
		size_t page = (size_t)((ua - g->plo) / PAGE);
		size_t chunk = PAGE - (size_t)(ua % PAGE);
		unsigned char ub[PAGE];

		if (chunk > s->len - off)
			chunk = s->len - off;
		/* only pages both sides could write can differ */
		if (g->prot[page] == (PROT_READ | PROT_WRITE) &&
		    !emu_copy_from_user(ub, (const void *)(uintptr_t)ua, chunk)) {
			for (size_t i = 0; i < chunk; i++)
				if (ub[i] != s->kptr[off + i] && !span_masked(s, off + i, info_hash_ptr)) {
					if (first == SIZE_MAX)
						first = off + i;
					ndiff++;
				}
		}
		off += chunk;
	}
	if (first != SIZE_MAX) {
		size_t from = first & ~(size_t)15, n = s->len - from < 32 ? s->len - from : 32;
		unsigned char ub[32];
		struct difference *d;

		d = dm_differ(c, "%s: %zu of %zu bytes differ, the first at byte %zu (bytes shown from %zu)", s->name,
			   ndiff, s->len, first, from);
		if (!d)
			return;
		hexdump(d->kernel, sizeof(d->kernel), s->kptr + from, n);
		if (!emu_copy_from_user(ub, (const void *)(uintptr_t)(s->uptr + from), n))
			hexdump(d->emulator, sizeof(d->emulator), ub, n);
	}
}

static const char *tr_field(unsigned f)
{
	switch (f) {
	case TR_RETVAL: return "retval";
	case TR_DATA_SIZE_OUT: return "data_size_out";
	case TR_CTX_SIZE_OUT: return "ctx_size_out";
	default: return "written by the call";
	}
}

void dm_compare_attr(struct call *c)
{
	const struct group *g;
	unsigned char ub[EMU_ATTR_SIZE];

	/* the attr is its size's bytes; what lies past them is the program's other memory (an
	 * output buffer, compared as that) */
	unsigned end = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;

	if (c->attr_group < 0)
		return;
	g = &c->g[c->attr_group];
	for (unsigned off = 0; off < end;) {
		uint64_t ua = (uintptr_t)c->uattr + off;
		size_t page = (size_t)((ua - g->plo) / PAGE);
		unsigned chunk = PAGE - (unsigned)(ua % PAGE);

		if (chunk > end - off)
			chunk = end - off;
		if (g->prot[page] == (PROT_READ | PROT_WRITE) &&
		    !emu_copy_from_user(ub + off, (const void *)(uintptr_t)ua, chunk)) {
			for (unsigned i = off; i < off + chunk; i++) {
				uint32_t kv, ev;
				unsigned f;
				struct difference *d;

				if (ub[i] == c->kattr[i] || attr_masked(c, i))
					continue;
				/* report the 4-byte field around it: count, info_len, next_id */
				f = i & ~3u;
				memcpy(&kv, c->kattr + f, 4);
				memcpy(&ev, ub + f, 4);
				d = dm_differ(c, "attr bytes %u..%u (%s) differ", f, f + 3,
					   c->cmd >= EMU_BPF_MAP_LOOKUP_BATCH && c->cmd <= EMU_BPF_MAP_DELETE_BATCH && f == BA_COUNT ? "count" :
					   c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD && f == INFO_LEN ? "info_len" :
					   c->cmd == EMU_BPF_PROG_TEST_RUN ? tr_field(f) : "written by the call");
				if (d) {
					snprintf(d->kernel, sizeof(d->kernel), "%u", kv);
					snprintf(d->emulator, sizeof(d->emulator), "%u", ev);
				}
				return;
			}
		}
		off += chunk;
	}
}

bool dm_returns_fd(int cmd)
{
	return cmd == EMU_BPF_MAP_CREATE || cmd == EMU_BPF_MAP_GET_FD_BY_ID || cmd == EMU_BPF_OBJ_GET || cmd == EMU_BPF_PROG_LOAD ||
	       cmd == EMU_BPF_BTF_LOAD || cmd == EMU_BPF_BTF_GET_FD_BY_ID || cmd == EMU_BPF_PROG_GET_FD_BY_ID;
}

void dm_compare_results(struct call *c)
{
	long k = c->kret, e = c->eret;
	struct difference *d;

	if (dm_returns_fd(c->cmd) && k >= 0 && e >= 0) {
		int kfl = fcntl((int)k, F_GETFL), efl = fcntl((int)e, F_GETFL);
		int kfd = fcntl((int)k, F_GETFD), efd = fcntl((int)e, F_GETFD);

		if ((kfl & O_ACCMODE) != (efl & O_ACCMODE) && (d = dm_differ(c, "the new fds' access modes differ"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%#o", kfl & O_ACCMODE);
			snprintf(d->emulator, sizeof(d->emulator), "%#o", efl & O_ACCMODE);
		}
		if ((kfd & FD_CLOEXEC) != (efd & FD_CLOEXEC) && (d = dm_differ(c, "the new fds' FD_CLOEXEC differ"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%d", kfd & FD_CLOEXEC);
			snprintf(d->emulator, sizeof(d->emulator), "%d", efd & FD_CLOEXEC);
		}
		return;
	}
	if (c->cmd == EMU_BPF_MAP_GET_NEXT_ID && (k == 0 || k == -ENOENT) && (e == 0 || e == -ENOENT))
		return; /* which ids exist differs by design */
	if (k == e)
		return;
	d = dm_differ(c, k < 0 && e < 0 ? "errno differs" : "return value differs");
	if (d) {
		struct sbuf b = { 0 };

		dm_answer_text(&b, k);
		snprintf(d->kernel, sizeof(d->kernel), "%s", b.p ? b.p : "?");
		b.n = 0;
		dm_answer_text(&b, e);
		snprintf(d->emulator, sizeof(d->emulator), "%s", b.p ? b.p : "?");
		free(b.p);
	}
}
