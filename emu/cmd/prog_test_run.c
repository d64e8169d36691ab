/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN (BPF_PROG_RUN): the command's half of the contract in emu/prog/test_run.h.
 * Here: the attr checks of 6.18's bpf_prog_test_run() before a type's test_run, the program fd,
 * data_in read straight into the packet when the run asks for it (read_data_in: EFAULT where the
 * kernel's copy would fault), the private copy of ctx_in (as far as it is readable, likewise),
 * the outputs written back in the run's order (the first fault ends the command with EFAULT,
 * what was written stays), and the run statistics of BPF_ENABLE_STATS. Everything a program
 * type's test_run decides is emu_test_run()'s.
 *
 * Cost: a call through the preload finds its program in the fd cache and its image made; a ctx_in
 * of up to a page is copied onto the stack; nothing is allocated here on that path unless the
 * program tail-calls or looks up an inner map.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fdcache.h"
#include "../core/objstore.h"
#include "../core/prog_obj.h"
#include "../maps/families.h"
#include "../prog/env.h"
#include "../prog/test_run.h"
#include "../uaccess/uaccess.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "cmds.h"

#define STACK_COPY EMU_PAGE_SIZE

/* As much of [u, u + n) as can be read, from the start, a page at a time once a read faults. */
static uint32_t copy_in(void *dst, const void *u, uint32_t n)
{
	uint32_t done = 0;

	if (!n || !emu_copy_from_user(dst, u, n))
		return n;
	while (done < n) {
		uintptr_t p = (uintptr_t)u + done;
		uint32_t chunk = EMU_PAGE_SIZE - (uint32_t)(p & (EMU_PAGE_SIZE - 1));

		if (chunk > n - done)
			chunk = n - done;
		if (emu_copy_from_user((char *)dst + done, (const void *)p, chunk))
			break;
		done += chunk;
	}
	return done;
}

struct tr_buf {
	void *p;
	bool heap;
};

static int input(const struct emu_attr *a, unsigned ptr_off, unsigned size_off, uint32_t max, char *stack,
		 struct tr_buf *b, const void **data, uint32_t *avail)
{
	const void *u = attr_ptr(a, ptr_off);
	uint32_t n = attr_u32(a, size_off);

	*data = NULL;
	*avail = 0;
	b->p = NULL;
	b->heap = false;
	if (!u)
		return 0;
	if (n > max)
		n = max;
	if (n <= STACK_COPY) {
		b->p = stack;
	} else {
		b->p = malloc(n);
		if (!b->p)
			return -ENOMEM;
		b->heap = true;
	}
	*avail = copy_in(b->p, u, n);
	*data = b->p;
	return 0;
}

/* in.read_data_in: data_in's bytes straight into the packet (test_run.h) */
static int read_data_in(void *cb_ctx, uint32_t off, uint32_t n, void *dst)
{
	return emu_copy_from_user(dst, (const void *)((uintptr_t)cb_ctx + off), n);
}

static void *copy_base(const struct emu_attr *a, union bpf_attr *uattr, uint32_t dst)
{
	switch (dst) {
	case EMU_TR_TO_ATTR:
		return uattr;
	case EMU_TR_TO_DATA_OUT:
		return attr_ptr(a, TR_DATA_OUT);
	case EMU_TR_TO_CTX_OUT:
		return attr_ptr(a, TR_CTX_OUT);
	default:
		return attr_ptr(a, TR_CTX_IN);
	}
}

/* out.copy[] in order, the first fault ending them (-EFAULT): one list for the uaccess layer */
static int copy_out(const struct emu_attr *a, union bpf_attr *uattr, const struct emu_test_run_out *out)
{
	struct emu_ucopy l[EMU_TR_MAX_COPIES];

	for (uint32_t i = 0; i < out->nr_copy; i++) {
		const struct emu_tr_copy *c = &out->copy[i];

		l[i] = (struct emu_ucopy){ (char *)copy_base(a, uattr, c->dst) + c->off, c->src, c->len };
	}
	return emu_copy_list_to_user(l, out->nr_copy);
}

/*
 * Tail calls (emu/prog/interp.h emu_tail_call_fn): the program in a PROG_ARRAY's slot, found by the
 * id the slot holds, its image made and its view held until the command ends. The maps the run's
 * helpers accept grow by the called programs' maps (a union with the caller's: a repeated run
 * starts over in the caller). The called program's global data (.data/.rodata/.bss) is not made
 * a region of the run (README: tail calls).
 */
struct tail_calls {
	struct emu_prog *held[EMU_MAX_TAIL_CALL_CNT + 1];
	uint32_t n;
	/* the run's maps once a tail call or an inner map added some: NULL until then (the
	 * program's own, own/nr_own, are the run's; a call that needs neither allocates nothing) */
	struct emu_map **maps;
	uint32_t nr_maps;
	struct emu_map *const *own;
	uint32_t nr_own;
	struct emu_map *inner[64]; /* inner maps lookups handed out, held (emu_map_get) */
	uint32_t nr_inner;
};

static bool add_maps(struct tail_calls *t, struct emu_map *const *maps, uint32_t nr)
{
	struct emu_map **nm;

	if (!t->maps && t->nr_own) { /* the first addition: the program's own maps first */
		t->maps = malloc(sizeof(*nm) * t->nr_own);
		if (!t->maps)
			return false;
		memcpy(t->maps, t->own, sizeof(*nm) * t->nr_own);
		t->nr_maps = t->nr_own;
	}
	nm = realloc(t->maps, sizeof(*nm) * (t->nr_maps + nr + 1));
	if (!nm)
		return false;
	t->maps = nm;
	for (uint32_t i = 0; i < nr; i++) {
		bool seen = false;

		for (uint32_t j = 0; j < t->nr_maps && !seen; j++)
			seen = t->maps[j] == maps[i];
		if (!seen)
			t->maps[t->nr_maps++] = maps[i];
	}
	return true;
}

static int tail_call(struct emu_run *run, uint64_t map, uint32_t index, const struct emu_prog_image **prog)
{
	struct emu_prog_env *env = emu_prog_env_of(run);
	struct tail_calls *t = env->tail_call_ctx;
	struct emu_map *m = NULL, *const *maps;
	struct emu_prog *p = NULL;
	uint32_t id, nr;
	int fd;

	for (uint32_t i = 0; i < env->nr_maps; i++)
		if ((uint64_t)(uintptr_t)env->maps[i] == map)
			m = env->maps[i];
	*prog = NULL;
	if (!m || emu_prog_array_slot(m, index, &id))
		return -1; /* past the end (or no program array): falls through */
	if (!id)
		return 0;
	for (uint32_t i = 0; i < t->n && !p; i++)
		if (emu_prog_id(t->held[i]) == id)
			p = t->held[i];
	if (!p) {
		if (t->n >= sizeof(t->held) / sizeof(t->held[0]))
			return 0;
		fd = emu_objstore_open(EMU_ID_PROG, id, O_RDWR);
		if (fd < 0)
			return 0; /* the program went meanwhile: as an empty slot */
		if (emu_prog_get(fd, &p)) {
			close(fd);
			return 0;
		}
		close(fd);
		t->held[t->n++] = p;
		if (emu_prog_maps(p, &maps, &nr) || !add_maps(t, maps, nr))
			return 0;
	}
	if (emu_prog_image(p, prog))
		*prog = NULL;
	if (t->maps) {
		env->maps = t->maps;
		env->nr_maps = t->nr_maps;
	}
	return 0;
}

/*
 * An of-maps lookup (env.h inner_map): the map the element's id names, opened by id as GET_FD_BY_ID
 * would and held until the command ends; the run's map helpers accept it from then on. The map
 * already held for an id is handed out again. NULL for an empty element, a map gone meanwhile (the
 * kernel's lookup would have found it: it holds the map until an RCU grace period; here the id is
 * read first), and past 64 distinct inner maps in one command (README: map-in-map).
 */
static struct emu_map *inner_map(struct emu_run *run, struct emu_map *outer, const void *key)
{
	struct emu_prog_env *env = emu_prog_env_of(run);
	struct tail_calls *t = env->tail_call_ctx;
	struct emu_map *m;
	uint32_t id = 0;
	int fd, mode, err;

	if (!outer->ops->lookup || outer->ops->lookup(outer, key, &id) || !id)
		return NULL;
	if (EMU_FAULT("inner-map-null")) /* test builds: every element looks empty to programs */
		return NULL;
	for (uint32_t i = 0; i < t->nr_inner; i++)
		if (t->inner[i]->id == id)
			return t->inner[i];
	if (t->nr_inner >= sizeof(t->inner) / sizeof(t->inner[0]))
		return NULL;
	fd = emu_objstore_open(EMU_ID_MAP, id, O_RDWR);
	if (fd < 0)
		return NULL;
	err = emu_map_get(fd, &m, &mode);
	emu_fdcache_forget(fd);
	close(fd);
	if (err)
		return NULL;
	if (!add_maps(t, &m, 1)) {
		emu_map_put(m);
		return NULL;
	}
	t->inner[t->nr_inner++] = m;
	env->maps = t->maps;
	env->nr_maps = t->nr_maps;
	return m;
}

int emu_cmd_prog_test_run(struct emu_attr *a, union bpf_attr *uattr)
{
	struct tail_calls tc; /* not an initializer: that would clear held[] and inner[] too (a
			       * tenth of a call's instructions) */
	char ctx_stack[STACK_COPY];
	struct tr_buf ctx_buf = { .p = NULL, .heap = false };
	const struct emu_prog_image *img;
	struct emu_test_run_out out; /* emu_test_run() clears it */
	struct emu_test_run_in in;
	struct emu_prog *p;
	int err;

	tc.n = tc.nr_maps = tc.nr_own = tc.nr_inner = 0;
	tc.maps = NULL;
	tc.own = NULL;
	if (!!attr_u32(a, TR_CTX_SIZE_IN) != !!attr_u64(a, TR_CTX_IN) ||
	    !!attr_u32(a, TR_CTX_SIZE_OUT) != !!attr_u64(a, TR_CTX_OUT))
		return -EINVAL;
	err = emu_prog_get_fast((int)attr_u32(a, TR_PROG_FD), &p);
	if (err)
		return err;
	emu_clear(&in, sizeof(in));
	err = emu_prog_run_parts(p, &img, &in.maps, &in.nr_maps, &in.regions, &in.nr_regions);
	if (err)
		goto put;
	in.data_size_in = attr_u32(a, TR_DATA_SIZE_IN);
	in.data_size_out = attr_u32(a, TR_DATA_SIZE_OUT);
	in.ctx_size_in = attr_u32(a, TR_CTX_SIZE_IN);
	in.ctx_size_out = attr_u32(a, TR_CTX_SIZE_OUT);
	in.repeat = attr_u32(a, TR_REPEAT);
	in.duration = attr_u32(a, TR_DURATION);
	in.flags = attr_u32(a, TR_FLAGS);
	in.cpu = attr_u32(a, TR_CPU);
	in.batch_size = attr_u32(a, TR_BATCH_SIZE);
	in.data_in_set = attr_u64(a, TR_DATA_IN) != 0;
	in.data_out_set = attr_u64(a, TR_DATA_OUT) != 0;
	in.ctx_in_set = attr_u64(a, TR_CTX_IN) != 0;
	in.ctx_out_set = attr_u64(a, TR_CTX_OUT) != 0;
	in.prog_name = emu_prog_name(p);
	in.tail_call = tail_call;
	in.tail_call_ctx = &tc;
	in.inner_map = inner_map;
	tc.own = in.maps;
	tc.nr_own = in.nr_maps;
	in.max_ctx_offset = emu_prog_max_ctx_offset(p);
	in.read_data_in = read_data_in;
	in.read_data_in_ctx = attr_ptr(a, TR_DATA_IN);
	if (attr_u64(a, TR_CTX_IN)) {
		err = input(a, TR_CTX_IN, TR_CTX_SIZE_IN, EMU_TR_CTX_IN_MAX, ctx_stack, &ctx_buf, &in.ctx_in,
			    &in.ctx_in_avail);
		if (err)
			goto free;
	}

	err = emu_test_run(img, emu_prog_type(p), emu_prog_expected_attach_type(p), &in, &out);
	if (!err) {
		if (emu_prog_stats_enabled()) {
			uint64_t reps = in.repeat ? in.repeat : 1;

			emu_prog_stats_add(p, reps, (uint64_t)out.duration * reps);
		}
		err = copy_out(a, uattr, &out);
		if (!err)
			err = out.ret;
	}
	emu_test_run_out_free(&out);
free:
	if (ctx_buf.heap)
		free(ctx_buf.p);
put:
	for (uint32_t i = 0; i < tc.n; i++)
		emu_prog_put(tc.held[i]);
	for (uint32_t i = 0; i < tc.nr_inner; i++)
		emu_map_put(tc.inner[i]);
	free(tc.maps);
	emu_prog_put(p);
	return err;
}
