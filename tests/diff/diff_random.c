/* SPDX-License-Identifier: MIT */
/*
 * Seeded random differential sequences for the eight emulated map types: random maps (key and
 * value sizes including ones that are not multiples of 4 or 8, small and moderate max_entries,
 * ZERO_SEED / NO_PREALLOC / NO_COMMON_LRU / MMAPABLE / RDONLY / WRONLY), random element commands
 * with every flag value (valid and not), GET_NEXT_KEY of present, absent and NULL keys, the odd
 * FREEZE, and hostile inputs (NULL, unmapped, short and kernel pointers, junk flags, odd attr
 * sizes, non-zero CHECK_ATTR bytes, foreign fds). Every call is compared as it happens; whole maps
 * (walk and values; the walk step by step for ZERO_SEED hash maps) every so often and at the end
 * of each map's life. The process is pinned to CPU 0 (LRU lists are per CPU).
 *
 * Usage: diff_random [SEED [OPS]]
 *   SEED  or BPFEMU_DIFF_SEED: the run is a function of it (default: from the clock)
 *   OPS   or BPFEMU_DIFF_OPS: random operations in total, split over the eight types
 *   BPFEMU_DIFF_TRACE=N: print every operation from index N on (to replay a failure)
 * The op sequence depends only on the seed, never on results, so a seed replays exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DEFAULT_OPS 400000ul

static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				  EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES 8

static uint64_t rng;
static uint64_t seed;
static unsigned long op_index;
static unsigned long trace_from = ~0ul;
static unsigned long ops_by_type[NTYPES];
static unsigned long walks, maps_made;
static int devnull = -1;

static uint32_t pick(uint32_t n) { return hx_rand_below(&rng, n); }
static bool chance(uint32_t percent) { return pick(1000) < percent * 10; }

struct rmap {
	struct hx_pair p;
	uint32_t nkeys;  /* key indices drawn from [0, nkeys) */
	uint32_t never;  /* a key index that is never inserted (and aliases none of the others) */
	bool ordered;    /* GET_NEXT_KEY outputs comparable */
	bool frozen;
	unsigned tix;
	unsigned long num; /* creation number, to tell maps of one config apart in traces */
};

static void describe_map(char *buf, size_t n, const struct rmap *m)
{
	snprintf(buf, n, "map #%lu %s key %u value %u max %u flags %#x", m->num, hx_type_name(m->p.type),
		 m->p.key_size, m->p.value_size, m->p.max_entries, m->p.flags);
}

static bool make_map(struct rmap *m, unsigned tix)
{
	static const uint32_t hash_ks[] = { 1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 12, 13, 16, 20, 33, 600 };
	static const uint32_t vs_list[] = { 1, 3, 4, 5, 8, 8, 12, 12, 13, 16, 24, 100, 5000 };
	static const uint32_t hash_max[] = { 1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 100, 256 };
	static const uint32_t arr_max[] = { 1, 2, 3, 8, 16, 64, 100 };
	static const uint32_t qs_vs[] = { 1, 3, 4, 8, 12, 33 };
	static const uint32_t qs_max[] = { 1, 2, 3, 8, 16, 64 };
	uint32_t t = types[tix], ks, vs, max, flags = 0;
	struct hx_op op;
	char what[160];

	memset(m, 0, sizeof(*m));
	m->tix = tix;
	if (hx_is_hash(t)) {
		ks = hash_ks[pick(sizeof(hash_ks) / 4)];
		vs = vs_list[pick(sizeof(vs_list) / 4)];
		max = hash_max[pick(sizeof(hash_max) / 4)];
		if (hx_have_sys_admin && chance(80))
			flags |= EMU_F_ZERO_SEED;
		/* Not with big elements: the kernel then allocates from a cache of 1-3 objects that
		 * refills asynchronously, and a burst of inserts fails with ENOMEM depending on timing
		 * (seen with value_size 5000), which no emulator can predict. */
		if (!hx_is_lru(t) && ks + vs <= 512 && chance(30))
			flags |= EMU_F_NO_PREALLOC;
		if (hx_is_lru(t) && chance(30))
			flags |= EMU_F_NO_COMMON_LRU;
	} else if (hx_is_qs(t)) {
		ks = 0;
		vs = qs_vs[pick(sizeof(qs_vs) / 4)];
		max = qs_max[pick(sizeof(qs_max) / 4)];
	} else {
		ks = 4;
		vs = vs_list[pick(sizeof(vs_list) / 4)];
		max = arr_max[pick(sizeof(arr_max) / 4)];
		if (t == EMU_MAP_ARRAY && chance(20))
			flags |= EMU_F_MMAPABLE;
	}
	if (chance(10))
		flags |= pick(2) ? EMU_F_RDONLY_PROG : EMU_F_WRONLY_PROG;
	if (chance(3))
		flags |= pick(3) ? EMU_F_WRONLY : EMU_F_RDONLY;
	hx_create_op(&op, t, ks, vs, max, flags);
	if (chance(30))
		memcpy(op.attr + MC_NAME, "rnd_map.1", 10);
	if (chance(10))
		op.size = 72 + 4 * pick(25); /* libbpf's 72, and others up to the full 168 */
	m->num = ++maps_made;
	if (hx_create_from(&m->p, &op) < 0) {
		printf("FAIL: seed %" PRIu64 ": could not create %s key %u value %u max %u flags %#x on both sides\n", seed,
		       hx_type_name(t), ks, vs, max, flags);
		return false;
	}
	m->nkeys = hx_is_hash(t) ? 2 * m->p.max_entries + 4 : m->p.max_entries + 3;
	m->never = m->nkeys + 7;
	if (hx_is_hash(t) && m->p.key_size < 4) {
		/* short keys hold only 2^(8*key_size) values: keep the last one out of the key space,
		 * or the "never inserted" key of a random-seed map would alias a present one */
		uint32_t space = 1u << (8 * m->p.key_size);

		if (m->nkeys > space - 1)
			m->nkeys = space - 1;
		m->never = space - 1;
	}
	m->ordered = !hx_is_hash(t) || (flags & EMU_F_ZERO_SEED);
	describe_map(what, sizeof(what), m);
	if (trace_from != ~0ul)
		printf("created %s\n", what);
	return true;
}

static void key_of(const struct rmap *m, uint32_t idx, unsigned char *key)
{
	if (hx_is_hash(m->p.type))
		hx_key_of(idx, key, m->p.key_size);
	else
		memcpy(key, &idx, 4);
}

static uint32_t pick_index(const struct rmap *m)
{
	if (!hx_is_hash(m->p.type) && chance(3))
		return pick(2) ? 0xffffffffu : 0x80000000u;
	return pick(m->nkeys);
}

static uint64_t pick_update_flags(void)
{
	static const uint64_t junk[] = { 3, 4, 5, 6, 8, 16, 1ull << 32, (1ull << 32) | 2, 0x8000000000000000ull };
	uint32_t r = pick(100);

	if (r < 45)
		return 0;
	if (r < 65)
		return 1;
	if (r < 85)
		return 2;
	if (r < 95)
		return junk[pick(sizeof(junk) / sizeof(junk[0]))];
	return hx_rand(&rng);
}

static uint64_t pick_read_flags(void)
{
	static const uint64_t junk[] = { 1, 2, 4, 8, 16, 1ull << 32 };

	return chance(92) ? 0 : junk[pick(sizeof(junk) / sizeof(junk[0]))];
}

/* Hostile variations, applied to an otherwise well-formed op. */
enum { H_NONE, H_KEY, H_VALUE, H_SIZE, H_TAIL, H_PAD, H_FD, H_CMD };

static void hostile_key(struct hx_op *op, const struct rmap *m, char *d, size_t dn)
{
	static unsigned char keybuf[1024];
	uint32_t ks = m->p.key_size;

	/* drop whatever key was set up */
	for (int i = 0; i < op->nbuf; i++)
		if (op->buf[i].off == EL_KEY) {
			op->buf[i] = op->buf[op->nbuf - 1];
			op->nbuf--;
			break;
		}
	key_of(m, pick_index(m), keybuf);
	switch (pick(5)) {
	case 0: hx_op_ptr(op, EL_KEY, NULL); snprintf(d, dn, "key NULL"); break;
	case 1: hx_op_ptr(op, EL_KEY, hx_bad_ptr()); snprintf(d, dn, "key unmapped"); break;
	case 2: hx_op_u64(op, EL_KEY, 0x10 + pick(4000)); snprintf(d, dn, "key in page 0"); break;
	case 3:
		hx_op_ptr(op, EL_KEY, hx_page_end_ptr(ks ? ks - 1 : 0, keybuf));
		snprintf(d, dn, "key one byte short");
		break;
	default:
		if (!ks) {
			hx_op_buf(op, EL_KEY, 4, keybuf, NULL);
			snprintf(d, dn, "key non-NULL on a keyless map");
		} else {
			hx_op_u64(op, EL_KEY, 0xffff888000000000ull);
			snprintf(d, dn, "key kernel address");
		}
		break;
	}
}

static void hostile_value(struct hx_op *op, const struct rmap *m, char *d, size_t dn)
{
	static unsigned char valbuf[65536];
	uint32_t n = op->cmd == EMU_BPF_MAP_GET_NEXT_KEY ? m->p.key_size : m->p.vbytes;

	for (int i = 0; i < op->nbuf; i++)
		if (op->buf[i].off == EL_VALUE) {
			op->buf[i] = op->buf[op->nbuf - 1];
			op->nbuf--;
			break;
		}
	for (uint32_t i = 0; i < n && i < sizeof(valbuf); i++)
		valbuf[i] = (unsigned char)hx_rand(&rng);
	switch (pick(5)) {
	case 0: hx_op_ptr(op, EL_VALUE, NULL); snprintf(d, dn, "value NULL"); break;
	case 1: hx_op_ptr(op, EL_VALUE, hx_bad_ptr()); snprintf(d, dn, "value unmapped"); break;
	case 2: hx_op_u64(op, EL_VALUE, 0xffff888000000000ull); snprintf(d, dn, "value kernel address"); break;
	case 3:
		if (op->cmd == EMU_BPF_MAP_UPDATE_ELEM) {
			hx_op_ptr(op, EL_VALUE, hx_page_end_ptr(n ? n - 1 : 0, valbuf));
		} else {
			struct hx_buf *b = hx_op_buf(op, EL_VALUE, n ? n - 1 : 0, NULL, NULL);

			b->page_end = true;
		}
		snprintf(d, dn, "value one byte short");
		break;
	default: {
		struct hx_buf *b = hx_op_buf(op, EL_VALUE, n, op->cmd == EMU_BPF_MAP_UPDATE_ELEM ? valbuf : NULL, NULL);

		b->page_end = true;
		snprintf(d, dn, "value ends at a guard page");
		break;
	}
	}
}

static void make_hostile(struct hx_op *op, const struct rmap *m, char *d, size_t dn)
{
	static const unsigned sizes[] = { 0, 4, 8, 12, 16, 20, 24, 28, 31, 32, 33, 64, 100, 167, 169, 256, 4096, 4097 };

	switch (pick(8)) {
	case 0:
	case 1: hostile_key(op, m, d, dn); break;
	case 2:
		if (op->cmd == EMU_BPF_MAP_DELETE_ELEM) {
			hostile_key(op, m, d, dn);
			break;
		}
		hostile_value(op, m, d, dn);
		break;
	case 3:
		op->size = sizes[pick(sizeof(sizes) / sizeof(sizes[0]))];
		if (op->size > EMU_ATTR_SIZE && op->size <= HX_ATTR_MAX && chance(50)) {
			op->attr[EMU_ATTR_SIZE + pick(op->size - EMU_ATTR_SIZE)] = 1;
			snprintf(d, dn, "attr size %u, non-zero tail", op->size);
		} else {
			snprintf(d, dn, "attr size %u", op->size);
		}
		break;
	case 4: {
		unsigned end = op->cmd == EMU_BPF_MAP_DELETE_ELEM ? EL_VALUE : op->cmd == EMU_BPF_MAP_GET_NEXT_KEY ? EL_FLAGS : EL_END;
		unsigned off = end + pick(EMU_ATTR_SIZE - end);

		/* the DELETE/GET_NEXT_KEY zone starts at a field the op may have set: clear it first */
		for (int i = 0; i < op->nbuf; i++)
			if (op->buf[i].off >= end) {
				op->buf[i] = op->buf[op->nbuf - 1];
				op->nbuf--;
				i--;
			}
		memset(op->attr + end, 0, EMU_ATTR_SIZE - end);
		op->attr[off] = (unsigned char)(1 + pick(255));
		snprintf(d, dn, "CHECK_ATTR byte %u non-zero", off);
		break;
	}
	case 5:
		op->attr[4 + pick(4)] = (unsigned char)(1 + pick(255));
		snprintf(d, dn, "padding byte non-zero");
		break;
	case 6: {
		static const int fds[] = { 999, -1, 0x7fffffff };
		int fd = pick(4) == 0 ? devnull : fds[pick(3)];

		op->nfd = 0;
		hx_op_u32(op, EL_FD, (uint32_t)fd);
		snprintf(d, dn, "fd %d instead of the map", fd);
		break;
	}
	default:
		op->cmd = EMU_BPF_NR_CMDS + (int)pick(100);
		snprintf(d, dn, "unknown command %d", op->cmd);
		break;
	}
}

/* Outcome counts per command: shows what a run exercised (successes and each errno). */
#define TALLY_ERRNOS 8
static const int tally_errnos[TALLY_ERRNOS] = { 0, ENOENT, EEXIST, E2BIG, EINVAL, EFAULT, EPERM, EMU_ENOTSUPP };
static const int tally_cmds[] = { EMU_BPF_MAP_LOOKUP_ELEM, EMU_BPF_MAP_UPDATE_ELEM, EMU_BPF_MAP_DELETE_ELEM, EMU_BPF_MAP_GET_NEXT_KEY, EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, EMU_BPF_MAP_FREEZE };
static unsigned long tally_n[6][TALLY_ERRNOS + 1];

static void tally(int cmd, int err)
{
	for (int c = 0; c < 6; c++) {
		if (tally_cmds[c] != cmd)
			continue;
		for (int e = 0; e < TALLY_ERRNOS; e++)
			if (tally_errnos[e] == err) {
				tally_n[c][e]++;
				return;
			}
		tally_n[c][TALLY_ERRNOS]++;
		return;
	}
}

static void print_tally(void)
{
	for (int c = 0; c < 6; c++) {
		printf("  %-27s", hx_cmd_name(tally_cmds[c]));
		for (int e = 0; e < TALLY_ERRNOS; e++)
			printf(" %s %lu", e ? hx_errname(tally_errnos[e]) : "ok", tally_n[c][e]);
		printf(" other %lu\n", tally_n[c][TALLY_ERRNOS]);
	}
}

static void run_one(struct rmap *m)
{
	static unsigned char key[1024], key2[1024], val[65536];
	struct hx_op op;
	char what[160], d[96] = "", mapd[160];
	uint32_t r = pick(1000), idx = pick_index(m);
	bool keyless = m->p.key_size == 0;
	const char *cname;
	uint64_t flags = 0;
	int cmd;

	if (r < 320)
		cmd = EMU_BPF_MAP_UPDATE_ELEM;
	else if (r < 520)
		cmd = EMU_BPF_MAP_LOOKUP_ELEM;
	else if (r < 640)
		cmd = EMU_BPF_MAP_DELETE_ELEM;
	else if (r < 780)
		cmd = EMU_BPF_MAP_GET_NEXT_KEY;
	else if (r < 899)
		cmd = EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM;
	else if (r < 900)
		cmd = EMU_BPF_MAP_FREEZE;
	else
	{
		static const int any[] = { EMU_BPF_MAP_UPDATE_ELEM, EMU_BPF_MAP_UPDATE_ELEM, EMU_BPF_MAP_LOOKUP_ELEM, EMU_BPF_MAP_LOOKUP_ELEM, EMU_BPF_MAP_DELETE_ELEM, EMU_BPF_MAP_GET_NEXT_KEY, EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM };

		cmd = any[pick(sizeof(any) / sizeof(any[0]))];
	}

	hx_op_init(&op, cmd);
	hx_op_fd(&op, EL_FD, &m->p);
	key_of(m, idx, key);
	if (cmd == EMU_BPF_MAP_FREEZE) {
		/* rare: freezing ends most of a map's usefulness */
		if (!chance(5))
			cmd = op.cmd = EMU_BPF_MAP_LOOKUP_ELEM;
		else
			m->frozen = true;
	}
	if (cmd != EMU_BPF_MAP_FREEZE) {
		if (cmd == EMU_BPF_MAP_GET_NEXT_KEY) {
			uint32_t kind = pick(4);

			if (kind == 0) {
				hx_op_ptr(&op, EL_KEY, NULL);
				snprintf(what, sizeof(what), "key NULL");
			} else {
				/* unordered maps: only a key never inserted (restart at the first) compares */
				uint32_t i2 = m->ordered ? idx : m->never;

				key_of(m, i2, key2);
				if (!keyless)
					hx_op_buf(&op, EL_KEY, m->p.key_size, key2, NULL);
				snprintf(what, sizeof(what), "key #%u", i2);
			}
			hx_op_buf(&op, EL_VALUE, keyless ? 4 : m->p.key_size, NULL, NULL);
			op.relaxed_out = !m->ordered;
		} else {
			if (!keyless)
				hx_op_buf(&op, EL_KEY, m->p.key_size, key, NULL);
			snprintf(what, sizeof(what), "key #%u", idx);
			if (cmd == EMU_BPF_MAP_UPDATE_ELEM) {
				for (uint32_t i = 0; i < m->p.vbytes; i++)
					val[i] = (unsigned char)hx_rand(&rng);
				hx_op_buf(&op, EL_VALUE, m->p.vbytes, val, NULL);
				flags = pick_update_flags();
			} else if (cmd != EMU_BPF_MAP_DELETE_ELEM) {
				hx_op_buf(&op, EL_VALUE, m->p.vbytes, NULL, NULL);
				flags = pick_read_flags();
			}
			hx_op_u64(&op, EL_FLAGS, flags);
		}
		if (r >= 900) {
			make_hostile(&op, m, d, sizeof(d));
			/* GET_NEXT_KEY on an unordered map stays relaxed whatever was changed */
		}
	} else {
		snprintf(what, sizeof(what), "map");
	}
	cname = hx_cmd_name(op.cmd);
	describe_map(mapd, sizeof(mapd), m);
	hx_ctx("seed %" PRIu64 " op %lu: %s on %s: %s, flags %#" PRIx64 "%s%s", seed, op_index, cname, mapd, what, flags,
	       d[0] ? ", hostile: " : "", d);
	if (op_index >= trace_from)
		printf("%s\n", hx_ctx_get());
	{
		struct hx_res res;

		hx_run(&op, &res);
		tally(op.cmd, res.ret[0] < 0 ? res.err[0] : 0);
		if (op_index >= trace_from)
			printf("    -> kernel %ld (%s), emulator %ld (%s)\n", res.ret[0], hx_errname(res.err[0]), res.ret[1],
			       hx_errname(res.err[1]));
	}
	op_index++;
	ops_by_type[m->tix]++;
}

static void check_map(const struct rmap *m, const char *when)
{
	char mapd[160];

	describe_map(mapd, sizeof(mapd), m);
	hx_ctx("seed %" PRIu64 " after op %lu: %s on %s", seed, op_index, when, mapd);
	walks++;
	hx_compare_contents(&m->p);
	hx_compare_info(&m->p);
}

int main(int argc, char **argv)
{
	unsigned long total = DEFAULT_OPS, per_type;
	const char *s;
	struct timespec t0, t1;

	hx_init("diff_random");
	hx_max_reports = 3;
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else if ((s = getenv("BPFEMU_DIFF_SEED")) && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (argc > 2)
		total = strtoul(argv[2], NULL, 0);
	else if ((s = getenv("BPFEMU_DIFF_OPS")) && *s)
		total = strtoul(s, NULL, 0);
	if ((s = getenv("BPFEMU_DIFF_TRACE")) && *s)
		trace_from = strtoul(s, NULL, 0);
	if (!hx_pinned)
		printf("NOTE: not pinned to CPU 0: LRU maps may legitimately differ\n");
	rng = seed ? seed : 1;
	per_type = (total + NTYPES - 1) / NTYPES;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	printf("diff_random: seed %" PRIu64 ", %lu operations (%lu per map type)\n", seed, per_type * NTYPES, per_type);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	while (!hx_ndiv) {
		bool any = false;

		for (unsigned tix = 0; tix < NTYPES && !hx_ndiv; tix++) {
			/* up to three maps of a type at once, ops spread over them: one map's calls
			 * must never show in another */
			struct rmap ms[3];
			unsigned nm = 1 + pick(3), made = 0;
			unsigned long epoch, done_ops = ops_by_type[tix];

			if (done_ops >= per_type)
				continue;
			any = true;
			for (; made < nm; made++)
				if (!make_map(&ms[made], tix))
					break;
			if (made < nm) {
				while (made)
					hx_close(&ms[--made].p);
				hx_nexpect_bad++;
				goto out;
			}
			epoch = 200 + pick(3000);
			if (epoch > per_type - done_ops)
				epoch = per_type - done_ops;
			for (unsigned long i = 0; i < epoch && !hx_ndiv; i++) {
				struct rmap *m = &ms[pick(nm)];

				run_one(m);
				if (m->frozen && epoch - i > 200)
					epoch = i + 200;
				if (!hx_ndiv && (pick(1000) < 4 || (m->ordered && hx_is_hash(m->p.type) && pick(1000) < 10)))
					check_map(m, "periodic check");
			}
			for (unsigned j = 0; j < nm; j++) {
				if (!hx_ndiv)
					check_map(&ms[j], "end of the map's life");
				hx_close(&ms[j].p);
			}
		}
		if (!any)
			break;
	}
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("diff_random: seed %" PRIu64 ": %lu random operations on %lu maps (", seed, op_index, maps_made);
	for (unsigned tix = 0; tix < NTYPES; tix++)
		printf("%s%s %lu", tix ? ", " : "", hx_type_name(types[tix]), ops_by_type[tix]);
	printf("), %lu whole-map checks, %.1f s\n", walks,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	print_tally();
	if (hx_ndiv) {
		printf("FAILED at operation %lu (the last one printed above) of seed %" PRIu64 ".\n", op_index ? op_index - 1 : 0,
		       seed);
		printf("Replay: BPFEMU_DIFF_SEED=%" PRIu64 " BPFEMU_DIFF_OPS=%lu BPFEMU_DIFF_TRACE=%lu %s\n", seed, total,
		       op_index > 20 ? op_index - 20 : 0, argv[0]);
	}
	if (devnull >= 0)
		close(devnull);
	return hx_finish();
}
