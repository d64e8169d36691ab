/* SPDX-License-Identifier: MIT */
/* Differential mode: each command run on the kernel and on the emulator. */
#include "diffmode.h"
#include "../../emu/uapi/bpf_insn.h"

/* ---- commands ---- */

void dm_not_compared(enum nc why) { dm_st.not_compared[why]++; }

static bool mutates(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_DELETE_ELEM:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_FREEZE:
		return true;
	default:
		return false;
	}
}

/* The emulator alone. A change it makes to a mirrored map the kernel's map does not get: from
 * then on the two maps are out of step, and calls on it are not compared (never a divergence
 * that is only the missed change). */
static long emulator_alone(struct call *c)
{
	long r = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);

	if (c->map && mutates(c->cmd) && r >= 0)
		c->map->out_of_step = true;
	return r;
}

static long emu_only(struct call *c, enum nc why)
{
	dm_not_compared(why);
	return emulator_alone(c);
}

/* A fd field of the kernel's attr. false: an emulated object without a twin (not comparable). */
bool dm_fix_fd(struct call *c, unsigned off, bool primary)
{
	int fd = (int)attr_u32(&c->a, off), kbtf;
	struct mirror *m;
	uint32_t kfd;

	if (off + 4 > c->size && !primary)
		return true; /* not passed: zero on both sides */
	switch (dm_classify_btf(fd, &m, &kbtf)) {
	case FD_RAW:
		return true;
	case FD_OURS:
		kfd = (uint32_t)dm_cfg.null_fd; /* not a map, as the emulator sees it */
		break;
	case FD_MIRRORED:
		kfd = (uint32_t)m->kfd;
		if (primary)
			c->map = m;
		break;
	case FD_BTF_MIRRORED:
		kfd = (uint32_t)kbtf;
		if (primary)
			c->btf = true;
		break;
	case FD_PROG_MIRRORED:
		kfd = (uint32_t)kbtf;
		if (primary) {
			c->prog_efd = fd;
			c->prog_kfd = kbtf;
		}
		break;
	default:
		return !primary;
	}
	if (c->kattr)
		memcpy(c->kattr + off, &kfd, 4);
	dm_mask_attr(c, off, 4);
	return true;
}

/* Keep the thread on the CPU it runs on now, for both halves of a call on an LRU map: each side
 * takes the insert's node from the lists of the CPU it runs on. */
static bool pin_here(cpu_set_t *saved)
{
	cpu_set_t one;
	/* under the supervisor: the program thread's CPU, which the emulator's half takes as the
	 * call's (so the supervisor's kernel half runs there) */
	int cpu = dm_caller ? emu_caller_cpu() : sched_getcpu();

	if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(*saved), saved))
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return !sched_setaffinity(0, sizeof(one), &one);
}

static unsigned primary_fd_off(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
		return BA_FD;
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_DELETE_ELEM:
	case EMU_BPF_MAP_GET_NEXT_KEY:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case EMU_BPF_MAP_FREEZE:
	case EMU_BPF_OBJ_GET_INFO_BY_FD:
		return 0;
	case EMU_BPF_PROG_TEST_RUN:
		return TR_PROG_FD;
	case EMU_BPF_PROG_BIND_MAP:
		return BM_PROG_FD;
	default:
		return UINT_MAX;
	}
}

/* A call whose map the kernel does not know fails at the fd on both sides, before any buffer is
 * touched. Should the fd be a kernel object the program got past us, its outputs still must not
 * land in the program's memory: they point at a page that faults. */
static void guard_outputs(struct call *c)
{
	static const unsigned el[] = { EL_VALUE }, ba[] = { BA_OUT, BA_KEYS, BA_VALUES };
	const unsigned *offs = NULL;
	size_t n = 0;
	uint64_t bad = (uintptr_t)dm_guard_page;

	if (c->cmd == EMU_BPF_MAP_LOOKUP_ELEM || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM || c->cmd == EMU_BPF_MAP_GET_NEXT_KEY) {
		offs = el;
		n = 1;
	} else if (c->cmd == EMU_BPF_MAP_LOOKUP_BATCH || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH) {
		offs = ba;
		n = 3;
	}
	for (size_t i = 0; i < n && dm_guard_page; i++)
		if (offs[i] + 8 <= c->size && attr_u64(&c->a, offs[i])) {
			memcpy(c->kattr + offs[i], &bad, 8);
			dm_mask_attr(c, offs[i], 8);
		}
}

/* Map info from the kernel: the BPF_F_ZERO_SEED --diff gave the mirror (and not the emulated map)
 * is not the program's. */
static void strip_zero_seed(struct call *c)
{
	for (int i = 0; i < c->nsp; i++) {
		const struct span *s = &c->sp[i];
		uint32_t f;

		if (strcmp(s->name, "info") || s->group < 0 || !c->g[s->group].shadow || s->len < MI_MAP_FLAGS + 4)
			continue;
		/* (what the kernel wrote there, also before a fault: the program's flags and ours) */
		memcpy(&f, s->kptr + MI_MAP_FLAGS, 4);
		if (f != (c->map->map_flags | EMU_F_ZERO_SEED))
			continue;
		f &= ~(uint32_t)EMU_F_ZERO_SEED;
		memcpy(s->kptr + MI_MAP_FLAGS, &f, 4);
	}
}

/* Under the supervisor, the fd fields of the attr the supervisor translated (where its copy holds
 * an fd of ours, or -1 for one the program does not have, instead of the program's number): the
 * kernel's attr, a copy of the program's, gets ours too, before any is made a kernel twin's. */
static void remote_fd_fields(struct call *c, const struct emu_attr *before)
{
	unsigned n = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;

	if (!c->kattr)
		return;
	for (unsigned off = 0; off + 4 <= n; off += 4)
		if (memcmp(c->a.b + off, before->b + off, 4)) {
			memcpy(c->kattr + off, c->a.b + off, 4);
			dm_mask_attr(c, off, 4);
		}
}

static void finish_shadows(struct call *c)
{
	dm_unprotect_all();
	for (int k = 0; k < c->ng; k++) {
		/* a big batch's shadow need not stay resident until the next one */
		if (c->g[k].shadow && c->g[k].npages > 256)
			madvise(c->g[k].shadow, c->g[k].npages * PAGE, MADV_DONTNEED);
		free(c->g[k].prot);
		c->g[k].prot = NULL;
	}
}

/* The general case: kernel first on shadows, then the emulator, then compare. */
static long run_both(struct call *c, const struct emu_attr *before)
{
	unsigned poff = primary_fd_off(c->cmd);
	bool pinned = false, zero_seed_added = false;
	void *freeze_map = NULL;
	cpu_set_t saved;
	unsigned ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;

	/* The primary map first: spans need its sizes. */
	if (poff != UINT_MAX) {
		struct mirror *m;
		enum fdclass fc = dm_classify_btf((int)attr_u32(&c->a, poff), &m, NULL);

		if (fc == FD_UNMIRRORED)
			return emu_only(c, NC_NO_MIRROR);
		if (fc == FD_MIRRORED)
			c->map = m;
		if (m && m->out_of_step) {
			dm_not_comparable(c, NC_NO_MIRROR, "an earlier change to its map could not be made on the kernel's "
					  "mirror, which is out of step since");
			return emulator_alone(c);
		}
		c->btf = fc == FD_BTF_MIRRORED;
		if (fc == FD_PROG_MIRRORED) {
			c->prog_efd = (int)attr_u32(&c->a, poff);
			c->prog_kfd = dm_obj_kfd(c->prog_efd, OBJ_PROG);
			if (c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD)
				return dm_prog_info(c, before);
			dm_describe_prog(c, c->prog_efd);
		}
		if (m && !m->order &&
		    (c->cmd == EMU_BPF_MAP_GET_NEXT_KEY || c->cmd == EMU_BPF_MAP_LOOKUP_BATCH || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH))
			return emu_only(c, NC_ORDER);
	}
	dm_spans_for(c);
	if (!dm_build_shadows(c)) {
		finish_shadows(c);
		return emu_only(c, NC_TOO_BIG);
	}
	if (c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD)
		dm_shadow_info_hash(c);
	if (dm_cfg.remote)
		remote_fd_fields(c, before);
	if (poff != UINT_MAX)
		dm_fix_fd(c, poff, true);
	if (poff != UINT_MAX && !c->map && c->kattr)
		guard_outputs(c);

	if (c->cmd == EMU_BPF_MAP_CREATE) {
		static const unsigned fds[] = { MC_INNER_FD, MC_BTF_FD, MC_VTYPE_BTF_OBJ_FD, MC_TOKEN_FD };
		struct mirror *m;

		/* a BTF object with no kernel counterpart: the two sides would create different maps */
		if (attr_u32(&c->a, MC_BTF_FD) && c->size >= MC_BTF_FD + 4 &&
		    dm_classify((int)attr_u32(&c->a, MC_BTF_FD), &m) == FD_UNMIRRORED) {
			finish_shadows(c);
			return emu_only(c, NC_NO_MIRROR);
		}
		for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (attr_u32(&c->a, fds[i]))
				dm_fix_fd(c, fds[i], false);
		/* Same seed on both sides: walks and batches compare. The kernel's map gets
		 * BPF_F_ZERO_SEED, the emulated one its seed without the flag (the program's map is as
		 * it made it: a client checking a pinned map's flags finds its own). Only where the
		 * kernel reads the flags, or the two would create different maps. */
		if (dm_cfg.zero_seed && dm_mt_zero_seed(attr_u32(&c->a, MC_TYPE)) && c->size >= MC_FLAGS + 4 && c->kattr &&
		    !(attr_u32(&c->a, MC_FLAGS) & EMU_F_ZERO_SEED)) {
			uint32_t f = attr_u32(&c->a, MC_FLAGS) | EMU_F_ZERO_SEED;

			memcpy(c->kattr + MC_FLAGS, &f, 4);
			dm_mask_attr(c, MC_FLAGS, 4);
			zero_seed_added = true;
		}
	}
	if (!dm_mt_prepare(c)) {
		finish_shadows(c);
		return emulator_alone(c);
	}
	if (c->cmd == EMU_BPF_PROG_LOAD && !dm_prog_load_prepare(c)) {
		finish_shadows(c);
		free(c->kinsns);
		free(c->kfds);
		return emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	}
	if (c->cmd == EMU_BPF_PROG_BIND_MAP && attr_u32(&c->a, BM_MAP_FD) && !dm_fix_fd(c, BM_MAP_FD, false)) {
		finish_shadows(c);
		return emu_only(c, NC_NO_MIRROR);
	}
	if (c->cmd == EMU_BPF_PROG_TEST_RUN) {
		dm_mask_attr(c, TR_DURATION, 4); /* time */
		if (c->prog_kfd >= 0)
			dm_sync_prog_maps(c->prog_kfd);
	}
	if (c->cmd == EMU_BPF_MAP_GET_NEXT_ID)
		dm_mask_attr(c, ID_NEXT, 4);
	for (int k = 0; k < c->ng; k++)
		if (c->g[k].shadow)
			dm_protect_group(&c->g[k]);

	if (c->map && dm_is_lru(c->map->type)) {
		pinned = pin_here(&saved);
		if (!pinned && !dm_st.said_cpu0) {
			dm_st.said_cpu0 = true;
			dm_note("cannot keep calls on one CPU: LRU maps may diverge in which elements they evict");
		}
	}
	/* stores through an mmapable array's mapping since the last call reach the mirror first */
	if (c->map)
		dm_mapping_sync(c->map, (int)attr_u32(&c->a, poff));
	/* a program runs on the same CPU on both sides: its per-CPU maps compare */
	if (c->cmd == EMU_BPF_PROG_TEST_RUN)
		pinned = pin_here(&saved);
	if (c->cmd == EMU_BPF_MAP_FREEZE && c->map)
		freeze_map = dm_mapping_for_freeze(c->map, (int)attr_u32(&c->a, poff));
	c->kret = dm_kbpf(c->cmd, c->kattr ? (void *)c->kattr : (void *)c->uattr, c->kattr ? ksize : c->size);
	if (freeze_map)
		munmap(freeze_map, PAGE);
	emu_force_zero_seed(zero_seed_added);
	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	emu_force_zero_seed(false);
	if (c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD && c->map && c->map->seed_added)
		strip_zero_seed(c);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	if (c->map)
		dm_mapping_snapshot(c->map);

	dm_st.compared++;
	dm_compare_results(c);
	if (c->cmd != EMU_BPF_MAP_CREATE && c->cmd != EMU_BPF_PROG_LOAD) {
		dm_mt_compare(c); /* values that are ids: through the pairs */
		for (int i = 0; i < c->nsp; i++)
			dm_compare_span(c, &c->sp[i], c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD && !strcmp(c->sp[i].name, "info"));
		dm_compare_attr(c);
	}
	if (c->cmd == EMU_BPF_PROG_TEST_RUN && c->prog_kfd >= 0 && c->kret >= 0 && c->eret >= 0)
		dm_compare_prog_maps(c, c->prog_kfd);
	if (c->cmd == EMU_BPF_PROG_LOAD)
		dm_prog_load_finish(c); /* before the shadows go: the log's first line */
	finish_shadows(c);

	if (c->cmd == EMU_BPF_MAP_CREATE) {
		uint32_t type = attr_u32(&c->a, MC_TYPE);

		if (c->eret == -EOPNOTSUPP && type && type < EMU_NR_MAP_TYPES && !emu_map_type_emulated(type)) {
			/* a map type the emulator leaves out: documented, not a divergence */
			dm_st.compared--;
			dm_not_compared(NC_NOT_EMULATED);
			c->nd = 0;
		}
		if (c->kret >= 0 && c->eret >= 0) {
			struct mirror *m = dm_adopt((int)c->eret, (int)c->kret);

			if (m && zero_seed_added)
				m->order = m->seed_added = true;
		} else if (c->kret >= 0) {
			close((int)c->kret);
		}
	} else if (c->cmd == EMU_BPF_BTF_LOAD) {
		if (c->kret >= 0 && c->eret >= 0)
			dm_btf_adopt((int)c->eret, (int)c->kret);
		else if (c->kret >= 0)
			close((int)c->kret);
	} else if (c->cmd == EMU_BPF_PROG_LOAD) {
		if (c->eret == -EOPNOTSUPP && c->kret != -EOPNOTSUPP) {
			/* what the emulator documents it leaves out (emu/cmd/prog_load.c): signed,
			 * device-bound programs, the kernel's CO-RE relocations */
			dm_st.compared--;
			dm_not_compared(NC_NOT_EMULATED);
			c->nd = 0;
		}
	}
	if (c->nd)
		dm_report(c, before);
	return c->eret;
}

/* *_GET_FD_BY_ID: the kernel is asked for the twin of the object the emulator found. */
static long get_fd_by_id(struct call *c, const struct emu_attr *before)
{
	struct emu_attr ka = c->a;
	struct mirror *m = NULL;
	unsigned ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;
	int kind = c->cmd == EMU_BPF_PROG_GET_FD_BY_ID ? OBJ_PROG : c->cmd == EMU_BPF_BTF_GET_FD_BY_ID ? OBJ_BTF : OBJ_MAP;

	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	if (c->eret >= 0) {
		dev_t dev;
		ino_t ino;
		int mode;
		uint32_t kid = 0;

		if (kind != OBJ_MAP) {
			kid = dm_id_e2k(kind, dm_obj_id(false, (int)c->eret, kind));
		} else if (dm_identity((int)c->eret, &dev, &ino, &mode)) {
			/* the kernel id of this map's mirror, opening one through a pin if need be */
			for (size_t i = 0; i < dm_mirrors_cap && !kid; i++)
				if (dm_mirrors[i] && dm_mirrors[i]->dev == dev && dm_mirrors[i]->ino == ino && (int)i != (int)c->eret)
					kid = dm_mirrors[i]->kid;
			if (!kid)
				kid = dm_id_e2k(OBJ_MAP, dm_obj_id(false, (int)c->eret, OBJ_MAP));
			if (!kid && (m = dm_attach((int)c->eret)))
				kid = m->kid;
		}
		if (!kid) {
			dm_not_compared(NC_NO_MIRROR);
			return c->eret;
		}
		attr_set_u32(&ka, ID_START, kid);
	} else {
		attr_set_u32(&ka, ID_START, 0); /* no such object: the kernel's answer for an unknown id */
	}
	c->kret = dm_kbpf(c->cmd, ka.b, ksize);
	dm_st.compared++;
	dm_compare_results(c);
	if (c->kret >= 0 && c->eret >= 0) {
		if (kind == OBJ_MAP)
			dm_adopt((int)c->eret, (int)c->kret); /* replaces what attach made */
		else
			dm_obj_adopt((int)c->eret, (int)c->kret, kind);
	} else if (c->kret >= 0) {
		close((int)c->kret);
	}
	if (c->nd)
		dm_report(c, before);
	return c->eret;
}

static long obj_pin_get(struct call *c)
{
	int efd = (int)attr_u32(&c->a, PIN_FD);

	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	dm_not_compared(NC_PATH);
	dm_st.touched_pins = true;
	if (c->eret < 0)
		return c->eret;
	if (c->cmd == EMU_BPF_OBJ_PIN) {
		struct mirror *m;

		enum fdclass fc = dm_classify(efd, &m);

		if (fc == FD_MIRRORED || fc == FD_PROG_MIRRORED) {
			dm_sweep_pins();
			dm_mirror_pin(efd);
		}
	} else {
		struct mirror *m;

		dm_classify((int)c->eret, &m); /* finds the mirror by pin or by id */
	}
	return c->eret;
}

static bool emulated_cmd(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_CREATE:
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_DELETE_ELEM:
	case EMU_BPF_MAP_GET_NEXT_KEY:
	case EMU_BPF_PROG_LOAD:
	case EMU_BPF_OBJ_PIN:
	case EMU_BPF_OBJ_GET:
	case EMU_BPF_MAP_GET_NEXT_ID:
	case EMU_BPF_MAP_GET_FD_BY_ID:
	case EMU_BPF_OBJ_GET_INFO_BY_FD:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case EMU_BPF_MAP_FREEZE:
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
	case EMU_BPF_BTF_LOAD:
	case EMU_BPF_BTF_GET_FD_BY_ID:
	case EMU_BPF_PROG_GET_FD_BY_ID:
	case EMU_BPF_PROG_TEST_RUN:
	case EMU_BPF_PROG_BIND_MAP:
		return true;
	default:
		return false;
	}
}

long dm_diff_call(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before)
{
	struct emu_attr a;
	long r = emu_bpf_copy_attr(&a, uattr, size);

	*before = a;
	return dm_diff_copied(cmd, uattr, size, &a, r, before);
}

long dm_diff_copied(int cmd, union bpf_attr *uattr, unsigned size, const struct emu_attr *a, long copy_err,
		    struct emu_attr *before)
{
	struct call *c = calloc(1, sizeof(*c));
	long r = copy_err;

	dm_st.calls++;
	if (!c)
		return r ? r : emu_bpf_dispatch(cmd, (struct emu_attr *)a, uattr);
	c->cmd = cmd;
	c->prog_efd = c->prog_kfd = -1;
	c->uattr = uattr;
	c->size = size;
	c->a = *a;
	if (r) {
		/* The syscall's own attr checks failed: the kernel fails them the same way, before
		 * reading any field or writing anything (under the supervisor, on a copy of the
		 * caller's attr bytes with the same faults). */
		c->kret = dm_kbpf(cmd, dm_cfg.remote ? dm_shadow_raw_attr(c) : (void *)uattr, size);
		c->eret = r;
		dm_st.compared++;
		dm_compare_results(c);
		if (c->kret >= 0 && dm_returns_fd(cmd))
			close((int)c->kret);
		if (c->nd)
			dm_report(c, before);
		finish_shadows(c);
	} else if (cmd == EMU_BPF_BTF_GET_NEXT_ID) {
		r = emu_only(c, NC_BTF_IDS);
	} else if (cmd == EMU_BPF_PROG_GET_NEXT_ID || cmd == EMU_BPF_LINK_GET_NEXT_ID) {
		r = emu_only(c, NC_IDS);
	} else if (cmd == EMU_BPF_PROG_ATTACH || cmd == EMU_BPF_PROG_DETACH || cmd == EMU_BPF_LINK_CREATE) {
		r = dm_attach_cmd(c, before);
	} else if (cmd == EMU_BPF_RAW_TRACEPOINT_OPEN || cmd == EMU_BPF_LINK_UPDATE || cmd == EMU_BPF_LINK_DETACH ||
		   cmd == EMU_BPF_ITER_CREATE || cmd == EMU_BPF_LINK_GET_FD_BY_ID || cmd == EMU_BPF_ENABLE_STATS) {
		dm_not_comparable(c, NC_KERNEL_ONLY, cmd == EMU_BPF_RAW_TRACEPOINT_OPEN ? "it attaches to a kernel tracepoint" :
				  cmd == EMU_BPF_ENABLE_STATS ? "it turns on the kernel's run-time statistics for every program" :
				  "links exist on the kernel only (the emulator makes none)");
		r = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	} else if (cmd >= 0 && cmd < NR_KERNEL_CMDS && !emulated_cmd(cmd)) {
		r = emu_only(c, NC_NOT_EMULATED);
	} else if (cmd == EMU_BPF_MAP_GET_FD_BY_ID || cmd == EMU_BPF_PROG_GET_FD_BY_ID || cmd == EMU_BPF_BTF_GET_FD_BY_ID) {
		r = get_fd_by_id(c, before);
	} else if (cmd == EMU_BPF_OBJ_PIN || cmd == EMU_BPF_OBJ_GET) {
		r = obj_pin_get(c);
	} else if (cmd == EMU_BPF_PROG_TEST_RUN && (attr_u32(&c->a, TR_FLAGS) & EMU_F_TEST_XDP_LIVE_FRAMES)) {
		dm_not_comparable(c, NC_KERNEL_ONLY, "XDP live frames are sent out through a real device");
		r = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	} else {
		r = run_both(c, before);
	}
	free(c);
	return r;
}
