/* SPDX-License-Identifier: MIT */
/*
 * The ringbuf helpers (kernel/bpf/ringbuf.c), in terms of the RINGBUF family's ops
 * (emu/core/map.h rb_*, emu/maps/ringbuf.c). What is here is the helpers' own part: flag checks,
 * the record as a region of the run (bpf_ringbuf_reserve: the family's views map the ring's data
 * twice, so a record that wraps is one region) and its release (submit/discard), the same
 * for records held by a ringbuf dynptr (bpf_ringbuf_reserve_dynptr, submit_dynptr,
 * discard_dynptr), and bpf_user_ringbuf_drain: the USER_RINGBUF family drains
 * (emu_user_ringbuf_drain), the callback gets a local dynptr over each sample; the sample and the
 * dynptr are regions of the run while the callback runs.
 */
#include "../../maps/ringbuf.h"
#include "../../util/diag.h"
#include "dynptr.h"
#include "helpers.h"

#define BPF_RB_NO_WAKEUP 1ull
#define BPF_RB_FORCE_WAKEUP 2ull

static struct emu_map *rb_map(struct emu_run *run, uint64_t arg, const char *name)
{
	struct emu_map *m = emu_helper_map(run, arg, name);

	if (m && (!m->ops->rb_reserve || !m->ops->rb_commit || !m->ops->rb_output || !m->ops->rb_query)) {
		emu_helper_fail(run, -EINVAL, "%s: not on a %s map", name, m->ops->family);
		return NULL;
	}
	return m;
}

HELPER(ringbuf_reserve)
{
	struct emu_map *m = rb_map(run, r1, "bpf_ringbuf_reserve");
	void *rec;

	(void)r4, (void)r5;
	if (!m)
		return 0;
	if (r3)
		return 0; /* flags: the kernel returns NULL */
	rec = m->ops->rb_reserve(m, r2);
	if (rec && emu_run_add_region(run, rec, (size_t)r2, EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_HELPER_BUF))
		return emu_helper_fail(run, -ENOMEM, "bpf_ringbuf_reserve: no memory for the record's region");
	return (uint64_t)(uintptr_t)rec;
}

static uint64_t commit(struct emu_run *run, uint64_t rec, uint64_t flags, bool discard, const char *name)
{
	struct emu_prog_env *env = emu_prog_env_of(run);

	/* the record's map: the run's maps are the candidates; the family finds its own record */
	for (uint32_t i = 0; env && i < env->nr_maps; i++) {
		struct emu_map *m = env->maps[i];

		if (m->ops->rb_commit && rec >= (uint64_t)(uintptr_t)m->base &&
		    rec < (uint64_t)(uintptr_t)m->base + m->size) {
			emu_run_update_region(run, (const void *)(uintptr_t)rec, NULL, 0);
			m->ops->rb_commit(m, (void *)(uintptr_t)rec, discard, flags);
			return 0;
		}
	}
	return emu_helper_fail(run, -EINVAL, "%s: %#llx is not a reserved ringbuf record", name,
			       (unsigned long long)rec);
}

HELPER(ringbuf_submit)
{
	(void)r3, (void)r4, (void)r5;
	return commit(run, r1, r2, false, "bpf_ringbuf_submit");
}

HELPER(ringbuf_discard)
{
	(void)r3, (void)r4, (void)r5;
	return commit(run, r1, r2, true, "bpf_ringbuf_discard");
}

HELPER(ringbuf_output)
{
	struct emu_map *m = rb_map(run, r1, "bpf_ringbuf_output");

	(void)r5;
	if (!m || !emu_helper_mem(run, r2, r3, EMU_MEM_READ, "bpf_ringbuf_output", "data"))
		return 0;
	if (r4 & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return (uint64_t)(int64_t)-EINVAL;
	return (uint64_t)m->ops->rb_output(m, (const void *)(uintptr_t)r2, r3, r4);
}

HELPER(ringbuf_query)
{
	struct emu_map *m = rb_map(run, r1, "bpf_ringbuf_query");

	(void)r3, (void)r4, (void)r5;
	return m ? m->ops->rb_query(m, r2) : 0;
}

/* ---- ringbuf dynptrs ---- */

HELPER(ringbuf_reserve_dynptr)
{
	struct emu_map *m = rb_map(run, r1, "bpf_ringbuf_reserve_dynptr");
	struct emu_dynptr *d;
	uint32_t size = (uint32_t)r2;
	void *rec;

	(void)r5;
	if (!m || !emu_helper_mem(run, r4, EMU_DYNPTR_SIZE, EMU_MEM_WRITE, "bpf_ringbuf_reserve_dynptr", "dynptr"))
		return 0;
	d = (struct emu_dynptr *)(uintptr_t)r4;
	memset(d, 0, sizeof(*d));
	if (r3)
		return (uint64_t)(int64_t)-EINVAL;
	if (size > EMU_DYNPTR_MAX_SIZE)
		return (uint64_t)(int64_t)-E2BIG;
	rec = m->ops->rb_reserve(m, size);
	if (!rec)
		return (uint64_t)(int64_t)-EINVAL;
	if (emu_run_add_region(run, rec, size, EMU_MEM_READ | EMU_MEM_WRITE, EMU_RGN_HELPER_BUF))
		return emu_helper_fail(run, -ENOMEM, "bpf_ringbuf_reserve_dynptr: no memory for the record's region");
	emu_dynptr_init(d, rec, EMU_DYNPTR_RINGBUF, size);
	return 0;
}

static uint64_t commit_dynptr(struct emu_run *run, uint64_t p, uint64_t flags, bool discard, const char *name)
{
	struct emu_dynptr *d;
	uint64_t rec;

	if (!emu_helper_mem(run, p, EMU_DYNPTR_SIZE, EMU_MEM_READ | EMU_MEM_WRITE, name, "dynptr"))
		return 0;
	d = (struct emu_dynptr *)(uintptr_t)p;
	if (!d->data)
		return 0;
	if (emu_dynptr_type(d) != EMU_DYNPTR_RINGBUF)
		return emu_helper_fail(run, -EINVAL, "%s: not a ringbuf dynptr", name);
	rec = (uint64_t)(uintptr_t)d->data;
	memset(d, 0, sizeof(*d));
	return commit(run, rec, flags, discard, name);
}

HELPER(ringbuf_submit_dynptr)
{
	(void)r3, (void)r4, (void)r5;
	return commit_dynptr(run, r1, r2, false, "bpf_ringbuf_submit_dynptr");
}

HELPER(ringbuf_discard_dynptr)
{
	(void)r3, (void)r4, (void)r5;
	return commit_dynptr(run, r1, r2, true, "bpf_ringbuf_discard_dynptr");
}

/* ---- bpf_user_ringbuf_drain ---- */

struct drain_ctx {
	struct emu_run *run;
	uint64_t fn, cb_ctx;
};

/* [p, p + n) as a region while the callback runs, unless the run already has it */
static int region_push(struct emu_run *run, const void *p, uint32_t n, uint32_t access, bool *added)
{
	*added = false;
	if (!n || emu_run_check(run, p, n, access))
		return 0;
	if (emu_run_add_region(run, p, n, access, EMU_RGN_HELPER_BUF))
		return -ENOMEM;
	*added = true;
	return 0;
}

/* one sample: the callback's r0 (0 go on, 1 stop), 1 when the run is to stop */
static long drain_sample(void *arg, void *sample, uint32_t size)
{
	struct drain_ctx *e = arg;
	struct emu_dynptr d;
	bool sadd = false, dadd = false;
	uint64_t r0 = 0;
	int err;

	emu_dynptr_init(&d, sample, EMU_DYNPTR_LOCAL, size);
	err = region_push(e->run, sample, size, EMU_MEM_READ | EMU_MEM_WRITE, &sadd);
	if (!err)
		err = region_push(e->run, &d, EMU_DYNPTR_SIZE, EMU_MEM_READ, &dadd);
	if (err) {
		emu_helper_fail(e->run, -ENOMEM, "bpf_user_ringbuf_drain: no memory for a region");
		return 1;
	}
	err = emu_run_callback(e->run, e->fn, (uint64_t)(uintptr_t)&d, e->cb_ctx, 0, 0, 0, &r0);
	if (dadd)
		emu_run_update_region(e->run, &d, NULL, 0);
	if (sadd)
		emu_run_update_region(e->run, sample, NULL, 0);
	return err ? 1 : (long)r0;
}

HELPER(user_ringbuf_drain)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_user_ringbuf_drain");
	struct drain_ctx e = { .run = run, .fn = r2, .cb_ctx = r3 };
	long n;

	(void)r5;
	if (!m)
		return 0;
	if (!emu_is_user_ringbuf(m))
		return emu_helper_fail(run, -EINVAL, "bpf_user_ringbuf_drain: not on a %s map", m->ops->family);
	n = emu_user_ringbuf_drain(m, drain_sample, &e, r4);
	if (n > 0 && EMU_FAULT("urb-drain-count")) /* test builds: one sample fewer than drained */
		n--;
	return (uint64_t)(int64_t)n;
}
