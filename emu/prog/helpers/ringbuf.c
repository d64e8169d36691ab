/* SPDX-License-Identifier: MIT */
/*
 * The ringbuf helpers (kernel/bpf/ringbuf.c), in terms of the RINGBUF family's ops
 * (emu/core/map.h rb_*, emu/maps/ringbuf.c). What is here is the helpers' own part: flag checks,
 * the record as a region of the run (bpf_ringbuf_reserve: the family's views map the ring's data
 * twice, so a record that wraps is one region) and its release (submit/discard).
 */
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
