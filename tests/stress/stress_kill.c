/* SPDX-License-Identifier: MIT */
/*
 * Processes killed with SIGKILL in the middle of map operations, over and over, while other
 * processes keep working on the same map.
 *
 * For each map type: two survivor processes work on the map for the whole run (each counts its
 * own updates to its own keys and reads everyone's values; for queue/stack one pushes numbered
 * values and one pops them). Meanwhile victims are forked one after another; each hammers the
 * map with updates, deletes, lookup-and-deletes, batch updates and deletes, pushes and pops,
 * and dies by SIGKILL: from the parent after a random delay of up to 1.5 ms, or — in a build
 * with -DBPFEMU_TEST_HOOKS=ON — from inside the emulator at a random crash point of a critical
 * section (BPFEMU_TEST_CRASH), which is where a kill does harm.
 *
 * Checked: no survivor ever hangs (each runs under alarm(), and the parent makes a call after
 * every kill under its own alarm); survivors never lose an update, never see a torn value, and
 * never get a value twice from a queue; bpfemu_map_check() passes after every kill and at the
 * end; and the map still works at the end: it takes exactly max_entries elements again.
 */
#include <fcntl.h>

#include "stress.h"

struct stress_report *report;

#define OWN 48
#define SHARED 32
#define VKEYS 64 /* keys only victims write */
#define VS 32
#define QVS 16
#define QMAX 64
#define SURVIVOR_W 2
#define VICTIM_W 99 /* writer id in victims' values */
#define QCAP (1u << 22)

/* the head of a map file: layout of emu/internal.h, to read how often the map was repaired */
#include "../../emu/internal.h"

struct ctl {
	int stop;
	uint64_t survivor_ops[SURVIVOR_W];
	uint64_t victim_ops;
	unsigned char qbits[QCAP / 8]; /* survivor producer's values popped */
};

static struct ctl *ctl;
static uint64_t total_kills, total_hook_kills, total_recoveries, total_ops;
static bool hooks;

struct hkey {
	uint32_t owner; /* 0 shared, w + 1 survivor w, 0xffff victims */
	uint32_t idx;
};

static void key_of(uint32_t type, uint32_t owner, uint32_t idx, void *out)
{
	if (is_array_type(type)) {
		uint32_t i = owner == 0 ? idx : owner == 0xffff ? SHARED + idx : SHARED + VKEYS + (owner - 1) * OWN + idx;

		memcpy(out, &i, 4);
	} else {
		struct hkey k = { owner, idx };

		memcpy(out, &k, sizeof(k));
	}
}

static uint32_t map_max(uint32_t type)
{
	uint32_t keys = SHARED + VKEYS + SURVIVOR_W * OWN;

	if (is_qs_type(type))
		return QMAX;
	/* LRU maps get room enough never to evict: a survivor's key must not vanish */
	return is_lru_type(type) ? keys * 4 : keys + 8;
}

static uint32_t recoveries(int fd)
{
	struct emu_map_hdr h;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	return __atomic_load_n(&h.recoveries, __ATOMIC_RELAXED);
}

/* ---- survivors ---- */

static void survivor_elems(int fd, uint32_t type, int w)
{
	uint32_t vb = value_bytes(type, VS), seq[OWN] = { 0 };
	unsigned char *val = malloc(vb), *got = malloc(vb), k[8];
	bool hash = is_hash_type(type);
	const char *tn = type_name(type);
	uint64_t rs = rnd_seed((uint64_t)w + 5), ops = 0;
	int err;

	for (uint32_t j = 0; j < OWN; j++) {
		key_of(type, (uint32_t)w + 1, j, k);
		pat_fill(val, vb, (uint32_t)w + 1, 0);
		err = m_update(fd, k, val, hash ? B_NOEXIST : B_ANY);
		CHECK(!err, "%s survivor: insert own key: %s", tn, strerror(-err));
	}
	while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE)) {
		uint32_t j = (uint32_t)(rnd(&rs) % OWN), r = (uint32_t)(rnd(&rs) % 100), gw, gs;

		ops++;
		if (r < 60) {
			key_of(type, (uint32_t)w + 1, j, k);
			err = m_lookup(fd, k, got);
			CHECK(!err, "%s survivor %d: own key %u lost: %s", tn, w, j, strerror(-err));
			if (err)
				continue;
			CHECK(pat_ok(got, vb, &gw, &gs), "%s survivor: own value torn", tn);
			CHECK(gw == (uint32_t)w + 1 && gs == seq[j], "%s survivor %d: lost update on key %u: seq %u, wrote %u",
			      tn, w, j, gs, seq[j]);
			pat_fill(val, vb, (uint32_t)w + 1, seq[j] + 1);
			err = m_update(fd, k, val, hash ? B_EXIST : B_ANY);
			CHECK(!err, "%s survivor: update own key: %s", tn, strerror(-err));
			seq[j] += !err;
		} else if (r < 97) {
			key_of(type, 0, j % SHARED, k);
			err = m_lookup(fd, k, got);
			if (!err)
				CHECK(pat_ok(got, vb, NULL, NULL), "%s survivor: shared value torn", tn);
			else
				CHECK(hash && err == -ENOENT, "%s survivor: shared lookup: %s", tn, strerror(-err));
		} else {
			err = map_check(fd);
			CHECK(!err, "%s survivor: bpfemu_map_check: %s", tn, strerror(-err));
		}
	}
	/* the final word on every own key */
	for (uint32_t j = 0; j < OWN; j++) {
		key_of(type, (uint32_t)w + 1, j, k);
		err = m_lookup(fd, k, got);
		CHECK(!err && pat_ok(got, vb, &gw_dummy_unused(), NULL) && ((uint32_t *)got)[1] == seq[j],
		      "%s survivor %d: key %u at the end: err %d", tn, w, j, err);
	}
	ctl->survivor_ops[w] = ops;
	free(val);
	free(got);
}
