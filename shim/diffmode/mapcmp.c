/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: the maps a program uses, compared after BPF_PROG_TEST_RUN ran it on both
 * sides. The kernel twin's info names its maps (kernel ids); each kernel id has its emulated map
 * through the pairs of ids recorded when the mirror was made (mirror.c). Each pair is read on both
 * sides with the syscall's own reads, which change nothing (an LRU's syscall lookup marks no
 * element used):
 *  - maps walked by key (arrays, hashes, LRU and per-CPU variants, LPM tries): every emulated key
 *    looked up on both sides, and the element counts compared;
 *  - queues and stacks: the element a peek shows;
 *  - maps of objects (ARRAY_OF_MAPS, HASH_OF_MAPS, PROG_ARRAY): walked like the others, their
 *    values (ids) compared through the pairs of ids, and an inner map's contents compared too;
 *  - rings, bloom filters, perf event arrays: maptypes.c (records between the positions; peeks;
 *    not comparable);
 *  - other types are not compared after a run, and the summary's note says which.
 * Stores through an mmapable array's mapping made before the run are carried to the kernel first
 * (dm_sync_prog_maps); after the run the program's own stores are the reference (mapping.c).
 */
#include "diffmode.h"

#define MAX_KEYS 65536u
#define MAX_MAPS 64u

static long elem(bool kernel, int fd, int cmd, const void *key, void *val)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, EL_FD, (uint32_t)fd);
	memcpy(a.b + EL_KEY, &(uint64_t){ (uintptr_t)key }, 8);
	memcpy(a.b + EL_VALUE, &(uint64_t){ (uintptr_t)val }, 8);
	if (kernel)
		return dm_kbpf(cmd, a.b, EMU_ATTR_SIZE);
	a.len = EL_END;
	return dm_emu_private(cmd, &a, (union bpf_attr *)(void *)a.b);
}

/* The kernel ids of a kernel program's maps. */
static uint32_t prog_maps(int kprog, uint32_t *ids)
{
	unsigned char info[PI_SIZE];
	uint32_t nr = MAX_MAPS;

	memset(info, 0, sizeof(info));
	memcpy(info + PI_NR_MAP_IDS, &nr, 4);
	memcpy(info + PI_MAP_IDS, &(uint64_t){ (uintptr_t)ids }, 8);
	if (dm_info_asked(true, kprog, info, sizeof(info)))
		return 0;
	memcpy(&nr, info + PI_NR_MAP_IDS, 4);
	return nr < MAX_MAPS ? nr : MAX_MAPS;
}

static long get_fd_by_id(bool kernel, uint32_t id);

/* The emulated fd of a mirror whose kernel map has id kid, -1 if this process has none open.
 * Under the supervisor the tables hold no fds of the program's: one is opened by the emulated
 * id (*opened: the caller closes it). */
static int mirror_of(uint32_t kid, struct mirror **out, bool *opened)
{
	*opened = false;
	if (dm_cfg.remote) {
		for (size_t i = 0; i < dm_mirrors_cap; i++) {
			struct mirror *m = dm_mirrors[i];
			long e;

			if (!m || m->kid != kid || (e = get_fd_by_id(false, m->eid)) < 0)
				continue;
			*out = m;
			*opened = true;
			return (int)e;
		}
		*out = NULL;
		return -1;
	}
	for (size_t i = 0; i < dm_mirrors_cap; i++) {
		struct mirror *m = dm_mirrors[i], *c;

		if (m && m->kid == kid && dm_classify((int)i, &c) == FD_MIRRORED && c == m) {
			*out = m;
			return (int)i;
		}
	}
	*out = NULL;
	return -1;
}

static long get_fd_by_id(bool kernel, uint32_t id)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, ID_START, id);
	if (kernel)
		return dm_kbpf(EMU_BPF_MAP_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
	a.len = ID_GET_FD_END;
	return dm_emu_private(EMU_BPF_MAP_GET_FD_BY_ID, &a, (union bpf_attr *)(void *)a.b);
}

void dm_sync_prog_maps(int kprog)
{
	uint32_t ids[MAX_MAPS], n = prog_maps(kprog, ids);

	for (uint32_t i = 0; i < n; i++) {
		struct mirror *m;
		bool opened;
		int efd = mirror_of(ids[i], &m, &opened);
		uint32_t eid;
		struct emu_map_desc d;
		long e, k;

		if (efd >= 0) {
			dm_mapping_sync(m, efd);
			if (opened)
				close(efd);
			continue;
		}
		/* a ring only the program holds may still be mapped by the process (maptypes.c) */
		if (!(eid = dm_id_k2e(OBJ_MAP, ids[i])) || (e = get_fd_by_id(false, eid)) < 0)
			continue;
		if (!emu_map_describe((int)e, &d) && (d.type == EMU_MAP_RINGBUF || d.type == EMU_MAP_USER_RINGBUF) &&
		    (k = get_fd_by_id(true, ids[i])) >= 0) {
			dm_mt_sync_fds((int)e, (int)k, &d);
			close((int)k);
		}
		close((int)e);
	}
}

static void hex(char *out, size_t len, const unsigned char *p, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? " %02x" : "%02x", p[i]);
}

static bool walked(uint32_t t)
{
	return t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY || dm_is_hash(t) || t == EMU_MAP_LPM_TRIE ||
	       t == EMU_MAP_ARRAY_OF_MAPS || t == EMU_MAP_PROG_ARRAY;
}

static bool compare_map(struct call *c, struct mirror *m, int efd, int kfd, const struct emu_map_desc *d, const char *name,
			int depth);

/* The inner map an element of a map of maps names, both sides (ids that agree through the pairs):
 * its contents compared, as the program may have changed them through the outer map. */
static void compare_inner(struct call *c, const unsigned char *kv, const unsigned char *ev, const char *outer)
{
	uint32_t kid, eid;
	long ke, ee;
	struct emu_map_desc d;
	char name[64];

	memcpy(&kid, kv, 4);
	memcpy(&eid, ev, 4);
	ee = get_fd_by_id(false, eid);
	ke = get_fd_by_id(true, kid);
	if (ke >= 0)
		ke = dm_move_high((int)ke);
	if (ee >= 0 && ke >= 0 && !emu_map_describe((int)ee, &d)) {
		snprintf(name, sizeof(name), "%s/inner id %u", outer, eid);
		compare_map(c, NULL, (int)ee, (int)ke, &d, name, 1);
	}
	if (ee >= 0)
		close((int)ee);
	if (ke >= 0)
		close((int)ke);
}

/* One map, both sides: false when its type is not compared. */
static bool compare_map(struct call *c, struct mirror *m, int efd, int kfd, const struct emu_map_desc *d, const char *name,
			int depth)
{
	size_t ks = d->key_size ? d->key_size : 1, vb = d->value_bytes ? d->value_bytes : 1;
	unsigned char *key = calloc(1, ks), *next = calloc(1, ks), *ev = calloc(1, vb), *kv = calloc(1, vb);
	const char *tn = emu_map_type_name(d->type);
	unsigned long ne = 0, nk = 0;
	struct difference *df;
	bool ok = true, unknown = false;

	if (!key || !next || !ev || !kv)
		goto out;
	if (dm_mt_compare_map(c, m, efd, kfd, d, name))
		goto out;
	if (d->type == EMU_MAP_QUEUE || d->type == EMU_MAP_STACK) {
		long re = elem(false, efd, EMU_BPF_MAP_LOOKUP_ELEM, NULL, ev), rk = elem(true, kfd, EMU_BPF_MAP_LOOKUP_ELEM, NULL, kv);

		if ((re != rk || (!re && memcmp(ev, kv, vb))) &&
		    (df = dm_differ(c, "after the run, map '%s' (%s): the element a peek shows differs", name, tn ? tn : "?"))) {
			hex(df->kernel, sizeof(df->kernel), kv, vb < 32 ? vb : 32);
			hex(df->emulator, sizeof(df->emulator), ev, vb < 32 ? vb : 32);
		}
		goto out;
	}
	if (!walked(d->type)) {
		ok = false;
		goto out;
	}
	for (bool first = true; ne < MAX_KEYS; first = false) {
		long re, rk;

		if (elem(false, efd, EMU_BPF_MAP_GET_NEXT_KEY, first ? NULL : key, next))
			break;
		memcpy(key, next, ks);
		ne++;
		re = elem(false, efd, EMU_BPF_MAP_LOOKUP_ELEM, key, ev);
		rk = elem(true, kfd, EMU_BPF_MAP_LOOKUP_ELEM, key, kv);
		if (re == rk && (re || dm_mt_values_agree(d->type, kv, ev, vb, &unknown))) {
			if (!re && depth == 0 && (d->type == EMU_MAP_ARRAY_OF_MAPS || d->type == EMU_MAP_HASH_OF_MAPS))
				compare_inner(c, kv, ev, name);
			continue;
		}
		if ((df = dm_differ(c, "after the run, map '%s' (%s): the element of key [%.*s] differs", name, tn ? tn : "?",
				    0, ""))) {
			char k[100];

			hex(k, sizeof(k), key, ks < 16 ? ks : 16);
			snprintf(df->what, sizeof(df->what), "after the run, map '%s' (%s): the element of key [%s] differs%s",
				 name, tn ? tn : "?", k, rk || re ? " (one side has none)" : "");
			if (rk)
				snprintf(df->kernel, sizeof(df->kernel), "none (%s)", dm_errname((int)-rk));
			else
				hex(df->kernel, sizeof(df->kernel), kv, vb < 32 ? vb : 32);
			if (re)
				snprintf(df->emulator, sizeof(df->emulator), "none (%s)", dm_errname((int)-re));
			else
				hex(df->emulator, sizeof(df->emulator), ev, vb < 32 ? vb : 32);
		}
		goto out; /* one difference per map */
	}
	for (bool first = true; nk < MAX_KEYS; first = false) {
		if (elem(true, kfd, EMU_BPF_MAP_GET_NEXT_KEY, first ? NULL : key, next))
			break;
		memcpy(key, next, ks);
		nk++;
	}
	if (nk != ne && (df = dm_differ(c, "after the run, map '%s' (%s): the number of elements differs", name, tn ? tn : "?"))) {
		snprintf(df->kernel, sizeof(df->kernel), "%lu", nk);
		snprintf(df->emulator, sizeof(df->emulator), "%lu", ne);
	}
out:
	if (unknown)
		dm_not_comparable(c, NC_NO_MIRROR, "an id in a map of objects belongs to an object with no known twin");
	free(key);
	free(next);
	free(ev);
	free(kv);
	return ok;
}

void dm_compare_prog_maps(struct call *c, int kprog)
{
	static bool said[64];
	uint32_t ids[MAX_MAPS], n = prog_maps(kprog, ids);

	for (uint32_t i = 0; i < n; i++) {
		struct mirror *m;
		bool close_e, close_k = false;
		int efd = mirror_of(ids[i], &m, &close_e), kfd = m ? m->kfd : -1;
		struct emu_map_desc d;
		unsigned char info[MI_SIZE];
		char name[17] = "";

		if (efd < 0) {
			uint32_t eid = dm_id_k2e(OBJ_MAP, ids[i]);
			long e = eid ? get_fd_by_id(false, eid) : -ENOENT;

			if (e < 0) {
				dm_not_comparable(c, NC_NO_MIRROR, "a map of the program has no emulated twin known here");
				continue;
			}
			efd = (int)e;
			close_e = true;
		}
		if (kfd < 0) {
			long k = get_fd_by_id(true, ids[i]);

			if (k < 0) {
				if (close_e)
					close(efd);
				continue;
			}
			kfd = dm_move_high((int)k);
			close_k = true;
		}
		if (m && m->out_of_step) {
			dm_not_comparable(c, NC_NO_MIRROR, "a map of the program is out of step with its kernel mirror (an "
					  "earlier change could not be made there)");
		} else if (!emu_map_describe(efd, &d)) {
			if (!dm_info(false, efd, info, sizeof(info)))
				memcpy(name, info + MI_NAME, 16);
			if (!compare_map(c, m, efd, kfd, &d, name, 0) && d.type < 64 && !said[d.type]) {
				const char *tn = emu_map_type_name(d.type);

				said[d.type] = true;
				dm_note("the contents of %s maps are not compared after a program run", tn ? tn : "such");
			}
		}
		if (m)
			dm_mapping_snapshot(m); /* the program's own stores are the reference now */
		if (close_e)
			close(efd);
		if (close_k)
			close(kfd);
	}
}
