/* SPDX-License-Identifier: MIT */
/*
 * Concurrent mixed operations on shared maps of every emulated type, by threads or by forked
 * processes (argv[1]: "threads" or "procs"), with the kernel's promises checked as they run and
 * at the end:
 *
 *  mixed     every worker owns some keys and counts its own updates to them (read-modify-write,
 *            delete and re-insert, batch updates), while all of them write, read, look up and
 *            delete, walk and batch-read shared keys. A worker's lookup of its own key must show
 *            its last write (no lost update); every value read anywhere must be one whole write
 *            (values are patterns of writer and sequence, see stress.h).
 *  capacity  many workers insert and delete in a map far too small for their keys: the element
 *            count, checked under the map's lock while they run, never passes max_entries, and
 *            for prealloc hash maps ends exactly at inserts minus deletes.
 *  queue     producers push numbered values, consumers pop them: each value popped exactly once
 *            (and a queue hands each producer's values out in order).
 *  whole     half the workers overwrite a few keys' long values, the others read them one by one
 *            and in batches: every value read must be one write whole.
 *  lad       workers race LOOKUP_AND_DELETE on one key; the one who gets round r puts round r+1
 *            back: every round reaches exactly one caller.
 *
 * The mixed workers also hand the library pointers into a PROT_NONE page now and then, from
 * several threads at once: EFAULT, and the element untouched (the emulator turns the fault into
 * EFAULT with a SIGSEGV handler, which must work per thread and under ThreadSanitizer).
 *
 * Throughout, the main thread (or process) runs bpfemu_map_check() on the map.
 */
#include "stress.h"

struct stress_report *report;

#define MAXW 16
#define OWN 48    /* own keys per worker */
#define SHARED 32 /* keys everyone writes */
#define VS 32     /* value_size of the element maps */

static enum run_mode mode;
static unsigned char *bad_page; /* PROT_NONE */
static int nworkers = 4;
static double phase_s;
static uint64_t total_ops, total_checks;

struct hkey {
	uint32_t owner; /* 0: shared, w + 1: worker w's */
	uint32_t idx;
};

static void make_key(uint32_t type, int nw, int owner, uint32_t idx, void *out)
{
	if (is_array_type(type)) {
		uint32_t i = owner ? (uint32_t)(owner - 1) * OWN + idx : (uint32_t)nw * OWN + idx;

		memcpy(out, &i, 4);
	} else {
		struct hkey k = { (uint32_t)owner, idx };

		memcpy(out, &k, sizeof(k));
	}
}

/* ---- during: the structural check, under the map's lock, while everyone works ---- */

struct during_ctx {
	int fd;
	uint64_t checks;
};

static void check_during(void *p)
{
	struct during_ctx *d = p;
	int err = map_check(d->fd);

	CHECK(!err, "bpfemu_map_check during the run: %s", strerror(-err));
	d->checks++;
	usleep(2000);
}

/* ---- mixed ---- */

struct mixed {
	int fd;
	uint32_t type, vb;
	int nw;
	double until;
	uint64_t ops[MAXW];
	uint32_t final_seq[MAXW][OWN];
	uint8_t final_present[MAXW][OWN];
};

static void verify_value(const struct mixed *c, const void *got, const char *what)
{
	uint32_t gw;

	CHECK(pat_ok(got, c->vb, &gw, NULL), "%s %s: torn value", type_name(c->type), what);
	CHECK(gw < (uint32_t)c->nw + 1, "%s %s: value from writer %u", type_name(c->type), what, gw);
}

static void mixed_worker(void *p, int w)
{
	struct mixed *c = p;
	uint32_t vb = c->vb, seq[OWN], myseq = 0;
	bool present[OWN], hash = is_hash_type(c->type);
	unsigned char *val = malloc(vb * 8), *got = malloc(vb * 8), keys[8 * 8], k[8], nk[8];
	uint64_t rs = rnd_seed((uint64_t)w + 1), ops = 0;
	const char *tn = type_name(c->type);
	int err;

	for (uint32_t j = 0; j < OWN; j++) {
		make_key(c->type, c->nw, w + 1, j, k);
		pat_fill(val, vb, (uint32_t)w + 1, 0);
		err = m_update(c->fd, k, val, hash ? EMU_NOEXIST : EMU_ANY);
		CHECK(!err, "%s: insert own key: %s", tn, strerror(-err));
		seq[j] = 0;
		present[j] = true;
	}
	while (now_s() < c->until) {
		for (int burst = 0; burst < 32; burst++, ops++) {
			uint32_t r = (uint32_t)(rnd(&rs) % 100), j = (uint32_t)(rnd(&rs) % OWN);
			uint32_t s = (uint32_t)(rnd(&rs) % SHARED), gw, gs;

			make_key(c->type, c->nw, w + 1, j, k);
			if (r < 40) { /* read-modify-write of an own key */
				err = m_lookup(c->fd, k, got);
				if (!present[j]) {
					CHECK(err == -ENOENT, "%s: deleted own key found (%d)", tn, err);
					continue;
				}
				CHECK(!err, "%s: own key %u/%u lost: %s", tn, w, j, strerror(-err));
				if (err)
					continue;
				CHECK(pat_ok(got, vb, &gw, &gs), "%s: own value torn", tn);
				CHECK(gw == (uint32_t)w + 1 && gs == seq[j],
				      "%s: lost update: own key %u/%u holds writer %u seq %u, wrote seq %u", tn, w, j,
				      gw, gs, seq[j]);
				pat_fill(val, vb, (uint32_t)w + 1, seq[j] + 1);
				err = m_update(c->fd, k, val, hash ? EMU_EXIST : EMU_ANY);
				CHECK(!err, "%s: update own key: %s", tn, strerror(-err));
				if (!err)
					seq[j]++;
			} else if (r < 41) { /* a value buffer that faults, on an own key */
				err = m_lookup(c->fd, k, bad_page + 16);
				CHECK(err == (present[j] ? -EFAULT : -ENOENT), "%s: lookup into a bad buffer gave %d",
				      tn, err);
				err = m_update(c->fd, k, bad_page + 16, EMU_ANY);
				CHECK(err == -EFAULT, "%s: update from a bad buffer gave %d", tn, err);
			} else if (r < 50 && hash) { /* delete, or put back */
				if (present[j]) {
					err = m_delete(c->fd, k);
					CHECK(!err, "%s: delete own key: %s", tn, strerror(-err));
					err = m_lookup(c->fd, k, got);
					CHECK(err == -ENOENT, "%s: own key still there after delete (%d)", tn, err);
					err = m_update(c->fd, k, val, EMU_EXIST);
					CHECK(err == -ENOENT, "%s: EXIST update of a deleted key gave %d", tn, err);
					present[j] = false;
				} else {
					pat_fill(val, vb, (uint32_t)w + 1, seq[j]);
					err = m_update(c->fd, k, val, EMU_NOEXIST);
					CHECK(!err, "%s: re-insert own key: %s", tn, strerror(-err));
					present[j] = !err;
				}
			} else if (r < 54) { /* NOEXIST on a key that exists */
				if (present[j]) {
					pat_fill(val, vb, 999, 999);
					err = m_update(c->fd, k, val, EMU_NOEXIST);
					CHECK(err == -EEXIST, "%s: NOEXIST on an existing key gave %d", tn, err);
				}
			} else if (r < 66) { /* write a shared key */
				make_key(c->type, c->nw, 0, s, k);
				pat_fill(val, vb, (uint32_t)w + 1, myseq++);
				err = m_update(c->fd, k, val, EMU_ANY);
				CHECK(!err, "%s: update shared key: %s", tn, strerror(-err));
			} else if (r < 82) { /* read a shared key */
				make_key(c->type, c->nw, 0, s, k);
				err = m_lookup(c->fd, k, got);
				if (!err)
					verify_value(c, got, "shared lookup");
				else
					CHECK(hash && err == -ENOENT, "%s: shared lookup: %s", tn, strerror(-err));
			} else if (r < 87) { /* take a shared key */
				if (!hash)
					continue;
				make_key(c->type, c->nw, 0, s, k);
				err = m_lookup_and_delete(c->fd, k, got);
				if (!err)
					verify_value(c, got, "lookup_and_delete");
				else
					CHECK(err == -ENOENT, "%s: lookup_and_delete: %s", tn, strerror(-err));
			} else if (r < 93) { /* walk a few keys */
				const void *from = NULL;

				for (int step = 0; step < 6; step++) {
					err = m_next_key(c->fd, from, nk);
					if (err) {
						CHECK(err == -ENOENT, "%s: get_next_key: %s", tn, strerror(-err));
						break;
					}
					if (hash) {
						struct hkey hk;

						memcpy(&hk, nk, sizeof(hk));
						CHECK(hk.owner <= (uint32_t)c->nw && hk.idx < (hk.owner ? OWN : SHARED),
						      "%s: get_next_key gave a key never written (%u,%u)", tn, hk.owner,
						      hk.idx);
					}
					memcpy(k, nk, 8);
					from = k;
				}
			} else if (r < 96) { /* batch read */
				uint32_t count = 8, out = 0;

				err = batch_cmd(BPF_MAP_LOOKUP_BATCH, c->fd, NULL, &out, keys, got, &count, 0);
				CHECK(!err || err == -ENOENT || err == -ENOSPC, "%s: lookup_batch: %s", tn,
				      strerror(-err));
				if (!err || err == -ENOENT)
					for (uint32_t i = 0; i < count && i < 8; i++)
						verify_value(c, got + (size_t)i * vb, "lookup_batch");
			} else { /* batch update of two own keys */
				uint32_t j2 = (j + 1) % OWN, count = 2;

				if (!present[j] || !present[j2])
					continue;
				make_key(c->type, c->nw, w + 1, j, keys);
				make_key(c->type, c->nw, w + 1, j2, keys + 8);
				if (!hash) /* array keys are 4 bytes */
					memcpy(keys + 4, keys + 8, 4);
				pat_fill(val, vb, (uint32_t)w + 1, seq[j] + 1);
				pat_fill(val + vb, vb, (uint32_t)w + 1, seq[j2] + 1);
				err = batch_cmd(BPF_MAP_UPDATE_BATCH, c->fd, NULL, NULL, keys, val, &count, 0);
				CHECK(!err && count == 2, "%s: update_batch: %s, count %u", tn, strerror(-err), count);
				if (!err) {
					seq[j]++;
					seq[j2]++;
				}
			}
		}
	}
	memcpy(c->final_seq[w], seq, sizeof(seq));
	for (uint32_t j = 0; j < OWN; j++)
		c->final_present[w][j] = present[j];
	c->ops[w] = ops;
	free(val);
	free(got);
}

static uint64_t count_keys(int fd, uint32_t ks)
{
	unsigned char k[64], nk[64];
	uint64_t n = 0;
	const void *from = NULL;

	while (!m_next_key(fd, from, nk)) {
		memcpy(k, nk, ks);
		from = k;
		if (++n > 10000000)
			break;
	}
	return n;
}

static void run_mixed(uint32_t type)
{
	struct mixed *c = shared_alloc(sizeof(*c));
	uint32_t vb = value_bytes(type, VS), ks = is_array_type(type) ? 4 : 8;
	/* room for every key plus slack: LRU maps must not evict anything here */
	uint32_t max = (uint32_t)(nworkers * OWN + SHARED) * (is_lru_type(type) ? 4 : 1) + 8;
	unsigned char *val = malloc(vb), k[8];
	struct during_ctx d;
	uint64_t ops = 0;
	int err;

	c->fd = map_create(type, ks, VS, max, 0);
	CHECK(c->fd >= 0, "create %s: %s", type_name(type), strerror(-c->fd));
	if (c->fd < 0)
		return;
	c->type = type;
	c->vb = vb;
	c->nw = nworkers;
	for (uint32_t s = 0; s < SHARED; s++) {
		make_key(type, nworkers, 0, s, k);
		pat_fill(val, vb, 0, s);
		err = m_update(c->fd, k, val, EMU_ANY);
		CHECK(!err, "%s: seed shared key: %s", type_name(type), strerror(-err));
	}
	/* an array index nobody wrote yet holds zeros, which no writer wrote: batch reads see them */
	for (uint32_t i = 0; is_array_type(type) && i < max; i++) {
		pat_fill(val, vb, 0, i);
		err = m_update(c->fd, &i, val, EMU_ANY);
		CHECK(!err, "%s: seed index: %s", type_name(type), strerror(-err));
	}
	c->until = now_s() + phase_s;
	d = (struct during_ctx){ c->fd, 0 };
	run_workers(mode, nworkers, mixed_worker, c, (unsigned)(phase_s * 4 + 60), check_during, &d, c->until);

	/* every own key as its owner last left it */
	for (int w = 0; w < nworkers; w++) {
		ops += c->ops[w];
		for (uint32_t j = 0; j < OWN; j++) {
			uint32_t gw, gs;

			make_key(type, nworkers, w + 1, j, k);
			err = m_lookup(c->fd, k, val);
			if (!c->final_present[w][j]) {
				CHECK(err == -ENOENT, "%s: deleted key %d/%u present at the end", type_name(type), w, j);
				continue;
			}
			CHECK(!err && pat_ok(val, vb, &gw, &gs) && gw == (uint32_t)w + 1 && gs == c->final_seq[w][j],
			      "%s: key %d/%u at the end: err %d, want seq %u", type_name(type), w, j, err,
			      c->final_seq[w][j]);
		}
	}
	err = map_check(c->fd);
	CHECK(!err, "%s: bpfemu_map_check at the end: %s", type_name(type), strerror(-err));
	if (is_hash_type(type))
		CHECK(count_keys(c->fd, ks) <= max, "%s: more keys than max_entries", type_name(type));
	printf("  mixed    %-16s %9llu ops, %5llu concurrent checks\n", type_name(type), (unsigned long long)ops,
	       (unsigned long long)d.checks);
	total_ops += ops;
	total_checks += d.checks;
	close(c->fd);
	free(val);
	munmap(c, sizeof(*c));
}

/* ---- capacity ---- */

struct cap {
	int fd;
	uint32_t type, vb, max, space;
	double until;
	long net, e2big;
	uint64_t ops[MAXW];
};

static void cap_worker(void *p, int w)
{
	struct cap *c = p;
	unsigned char *val = malloc(c->vb), *got = malloc(c->vb);
	uint64_t rs = rnd_seed((uint64_t)w + 77), ops = 0;
	bool lru = is_lru_type(c->type);
	const char *tn = type_name(c->type);

	while (now_s() < c->until) {
		for (int burst = 0; burst < 32; burst++, ops++) {
			struct hkey k = { (uint32_t)w + 1, (uint32_t)(rnd(&rs) % c->space) };
			uint32_t r = (uint32_t)(rnd(&rs) % 100);
			int err;

			if (r < 55) {
				pat_fill(val, c->vb, (uint32_t)w + 1, (uint32_t)ops);
				err = m_update(c->fd, &k, val, lru ? EMU_ANY : EMU_NOEXIST);
				if (lru)
					CHECK(!err, "%s: insert: %s", tn, strerror(-err));
				else if (!err)
					__atomic_add_fetch(&c->net, 1, __ATOMIC_RELAXED);
				else if (err == -E2BIG)
					__atomic_add_fetch(&c->e2big, 1, __ATOMIC_RELAXED);
				else
					CHECK(err == -EEXIST, "%s: insert: %s", tn, strerror(-err));
			} else if (r < 90) {
				err = m_delete(c->fd, &k);
				if (!err)
					__atomic_sub_fetch(&c->net, 1, __ATOMIC_RELAXED);
				else
					CHECK(err == -ENOENT, "%s: delete: %s", tn, strerror(-err));
			} else {
				err = m_lookup(c->fd, &k, got);
				if (!err)
					CHECK(pat_ok(got, c->vb, NULL, NULL), "%s: torn value", tn);
				else
					CHECK(err == -ENOENT, "%s: lookup: %s", tn, strerror(-err));
			}
		}
	}
	c->ops[w] = ops;
	free(val);
	free(got);
}

static void run_capacity(uint32_t type)
{
	struct cap *c = shared_alloc(sizeof(*c));
	struct during_ctx d;
	uint64_t ops = 0, n;
	int err;

	c->type = type;
	c->vb = value_bytes(type, VS);
	c->max = 32;
	c->space = 64; /* per worker: together many times max_entries */
	c->fd = map_create(type, 8, VS, c->max, 0);
	CHECK(c->fd >= 0, "create %s: %s", type_name(type), strerror(-c->fd));
	if (c->fd < 0)
		return;
	c->until = now_s() + phase_s;
	d = (struct during_ctx){ c->fd, 0 };
	run_workers(mode, nworkers, cap_worker, c, (unsigned)(phase_s * 4 + 60), check_during, &d, c->until);
	for (int w = 0; w < nworkers; w++)
		ops += c->ops[w];
	n = count_keys(c->fd, 8);
	CHECK(n <= c->max, "%s: %llu keys in a map of %u", type_name(type), (unsigned long long)n, c->max);
	if (!is_lru_type(type)) {
		CHECK((long)n == c->net, "%s: %llu keys, but inserts minus deletes is %ld", type_name(type),
		      (unsigned long long)n, c->net);
		CHECK(c->e2big > 0, "%s: the map never filled up (no E2BIG)", type_name(type));
	} else {
		CHECK(n > 0, "%s: LRU map empty after inserts", type_name(type));
	}
	err = map_check(c->fd);
	CHECK(!err, "%s: bpfemu_map_check: %s", type_name(type), strerror(-err));
	printf("  capacity %-16s %9llu ops, %5llu concurrent checks, %llu keys of %u at the end\n",
	       type_name(type), (unsigned long long)ops, (unsigned long long)d.checks, (unsigned long long)n, c->max);
	total_ops += ops;
	total_checks += d.checks;
	close(c->fd);
	munmap(c, sizeof(*c));
}

/* ---- queue / stack ---- */

#define QCAP (1u << 20) /* values per producer at most */
#define QVS 16

struct qs {
	int fd;
	uint32_t type;
	int np;
	double until;
	int producers_left;
	uint32_t pushed[MAXW];
	uint64_t ops[MAXW];
	uint64_t popped;
	unsigned char *bits; /* np * QCAP bits: value popped */
};

static void qs_worker(void *p, int w)
{
	struct qs *c = p;
	unsigned char val[QVS];
	const char *tn = type_name(c->type);
	uint64_t ops = 0, popped = 0;
	int err;

	if (w < c->np) { /* producer */
		uint32_t seq = 0;

		while (seq < QCAP && now_s() < c->until) {
			for (int burst = 0; burst < 32 && seq < QCAP; burst++, ops++) {
				pat_fill(val, QVS, (uint32_t)w, seq);
				err = m_push(c->fd, val, 0);
				if (!err)
					seq++;
				else if (err == -E2BIG)
					sched_yield();
				else
					CHECK(0, "%s: push: %s", tn, strerror(-err));
			}
		}
		c->pushed[w] = seq;
		__atomic_sub_fetch(&c->producers_left, 1, __ATOMIC_ACQ_REL);
	} else { /* consumer */
		int64_t last[MAXW];

		for (int i = 0; i < MAXW; i++)
			last[i] = -1;
		for (;; ops++) {
			uint32_t gw, gs;
			bool producing = __atomic_load_n(&c->producers_left, __ATOMIC_ACQUIRE) > 0;

			if (ops % 16 == 0) {
				err = m_peek(c->fd, val);
				CHECK(!err || err == -ENOENT, "%s: peek: %s", tn, strerror(-err));
				if (!err)
					CHECK(pat_ok(val, QVS, NULL, NULL), "%s: peek: torn value", tn);
			}
			err = m_pop(c->fd, val);
			if (err == -ENOENT) {
				if (!producing) /* producers were done before this pop found nothing */
					break;
				sched_yield();
				continue;
			}
			CHECK(!err, "%s: pop: %s", tn, strerror(-err));
			if (err)
				break;
			if (!pat_ok(val, QVS, &gw, &gs) || gw >= (uint32_t)c->np || gs >= QCAP) {
				CHECK(0, "%s: popped a value never pushed (torn?)", tn);
				continue;
			}
			popped++;
			{
				unsigned char bit = (unsigned char)(1u << (gs % 8));
				unsigned char old = __atomic_fetch_or(&c->bits[(size_t)gw * (QCAP / 8) + gs / 8], bit,
								      __ATOMIC_ACQ_REL);

				CHECK(!(old & bit), "%s: value %u/%u popped twice", tn, gw, gs);
			}
			if (c->type == EMU_MAP_QUEUE)
				CHECK((int64_t)gs > last[gw], "%s: producer %u's values out of order (%u after %lld)",
				      tn, gw, gs, (long long)last[gw]);
			last[gw] = gs;
		}
		__atomic_add_fetch(&c->popped, popped, __ATOMIC_RELAXED);
	}
	c->ops[w] = ops;
}

static void run_qs(uint32_t type)
{
	struct qs *c = shared_alloc(sizeof(*c));
	unsigned char val[QVS];
	struct during_ctx d;
	uint64_t ops = 0, pushed = 0;
	int err;

	c->type = type;
	c->np = nworkers / 2;
	c->producers_left = c->np;
	c->bits = shared_alloc((size_t)c->np * QCAP / 8);
	c->fd = map_create(type, 0, QVS, 64, 0);
	CHECK(c->fd >= 0, "create %s: %s", type_name(type), strerror(-c->fd));
	if (c->fd < 0)
		return;
	c->until = now_s() + phase_s;
	d = (struct during_ctx){ c->fd, 0 };
	run_workers(mode, nworkers, qs_worker, c, (unsigned)(phase_s * 4 + 60), check_during, &d, c->until);
	err = m_pop(c->fd, val);
	CHECK(err == -ENOENT, "%s: values left after the consumers drained it (%d)", type_name(type), err);
	for (int w = 0; w < c->np; w++) {
		uint32_t missing = 0, extra = 0;

		for (uint32_t s = 0; s < QCAP; s++) {
			bool got = c->bits[(size_t)w * (QCAP / 8) + s / 8] & (1u << (s % 8));

			if (s < c->pushed[w])
				missing += !got;
			else
				extra += got;
		}
		CHECK(!missing && !extra, "%s: producer %d pushed %u: %u never popped, %u popped but never pushed",
		      type_name(type), w, c->pushed[w], missing, extra);
		pushed += c->pushed[w];
	}
	CHECK(c->popped == pushed, "%s: %llu pushed, %llu popped", type_name(type), (unsigned long long)pushed,
	      (unsigned long long)c->popped);
	err = map_check(c->fd);
	CHECK(!err, "%s: bpfemu_map_check: %s", type_name(type), strerror(-err));
	for (int w = 0; w < nworkers; w++)
		ops += c->ops[w];
	printf("  queue    %-16s %9llu ops, %5llu concurrent checks, %llu values each popped once\n",
	       type_name(type), (unsigned long long)ops, (unsigned long long)d.checks, (unsigned long long)pushed);
	total_ops += ops;
	total_checks += d.checks;
	close(c->fd);
	munmap(c->bits, (size_t)c->np * QCAP / 8);
	munmap(c, sizeof(*c));
}

/* ---- one key, many LOOKUP_AND_DELETE callers ---- */

#define LCAP (1u << 22) /* rounds at most */

struct lad {
	int fd;
	uint32_t type, vb;
	double until;
	uint64_t wins[MAXW], tries[MAXW];
	unsigned char *bits; /* round taken */
};

static const struct hkey lad_key = { 7, 7 };

static void lad_worker(void *p, int w)
{
	struct lad *c = p;
	unsigned char *val = malloc(c->vb), *got = malloc(c->vb);
	const char *tn = type_name(c->type);
	uint64_t wins = 0, tries = 0;

	while (now_s() < c->until) {
		for (int burst = 0; burst < 32; burst++, tries++) {
			uint32_t gs;
			int err = m_lookup_and_delete(c->fd, &lad_key, got);

			if (err == -ENOENT)
				continue;
			CHECK(!err, "%s: lookup_and_delete: %s", tn, strerror(-err));
			if (err)
				continue;
			if (!pat_ok(got, c->vb, NULL, &gs) || gs >= LCAP) {
				CHECK(0, "%s: lookup_and_delete returned a torn value", tn);
				continue;
			}
			{
				unsigned char bit = (unsigned char)(1u << (gs % 8));
				unsigned char old = __atomic_fetch_or(&c->bits[gs / 8], bit, __ATOMIC_ACQ_REL);

				CHECK(!(old & bit), "%s: round %u handed to two callers", tn, gs);
			}
			wins++;
			if (gs + 1 >= LCAP)
				continue;
			pat_fill(val, c->vb, (uint32_t)w + 1, gs + 1);
			err = m_update(c->fd, &lad_key, val, EMU_NOEXIST);
			CHECK(!err, "%s: the winner could not put the next round back: %s", tn, strerror(-err));
		}
	}
	c->wins[w] = wins;
	c->tries[w] = tries;
	free(val);
	free(got);
}

static void run_lad(uint32_t type)
{
	struct lad *c = shared_alloc(sizeof(*c));
	unsigned char *val;
	struct during_ctx d;
	uint64_t wins = 0, tries = 0;
	uint32_t rounds = 0;
	int err;

	c->type = type;
	c->vb = value_bytes(type, VS);
	c->bits = shared_alloc(LCAP / 8);
	val = malloc(c->vb);
	c->fd = map_create(type, 8, VS, 16, 0);
	CHECK(c->fd >= 0, "create %s: %s", type_name(type), strerror(-c->fd));
	if (c->fd < 0)
		return;
	pat_fill(val, c->vb, 0, 0);
	err = m_update(c->fd, &lad_key, val, EMU_NOEXIST);
	CHECK(!err, "%s: first round: %s", type_name(type), strerror(-err));
	c->until = now_s() + phase_s;
	d = (struct during_ctx){ c->fd, 0 };
	run_workers(mode, nworkers, lad_worker, c, (unsigned)(phase_s * 4 + 60), check_during, &d, c->until);
	for (int w = 0; w < nworkers; w++) {
		wins += c->wins[w];
		tries += c->tries[w];
	}
	/* the last round is still in the map; every one before it was taken once (or, in a long
	 * soak, all LCAP rounds were taken and the last one not put back) */
	err = m_lookup(c->fd, &lad_key, val);
	if (err == -ENOENT && wins == LCAP) {
		err = 0;
		rounds = LCAP;
	} else {
		CHECK(!err && pat_ok(val, c->vb, NULL, &rounds), "%s: last round missing (%d)", type_name(type), err);
	}
	if (!err) {
		uint32_t bad = 0;

		for (uint32_t r = 0; r < LCAP; r++)
			bad += !!(c->bits[r / 8] & (1u << (r % 8))) != (r < rounds);
		CHECK(!bad && wins == rounds, "%s: %u rounds, %llu wins, %u rounds taken not exactly once",
		      type_name(type), rounds, (unsigned long long)wins, bad);
	}
	err = map_check(c->fd);
	CHECK(!err, "%s: bpfemu_map_check: %s", type_name(type), strerror(-err));
	printf("  lad      %-16s %9llu calls, %llu rounds, each to exactly one caller\n", type_name(type),
	       (unsigned long long)tries, (unsigned long long)wins);
	total_ops += tries;
	total_checks += d.checks;
	close(c->fd);
	free(val);
	munmap(c->bits, LCAP / 8);
	munmap(c, sizeof(*c));
}

/* ---- whole: long values overwritten while others read them ---- */

#define WKEYS 4
#define WVS 512 /* a copy long enough to be caught halfway */

struct whole {
	int fd;
	uint32_t type, vb;
	double until;
	uint64_t writes[MAXW], reads[MAXW];
};

static void whole_key(uint32_t type, uint32_t idx, void *out)
{
	struct hkey k = { 0, idx };

	if (is_array_type(type))
		memcpy(out, &idx, 4);
	else
		memcpy(out, &k, sizeof(k));
}

/* Even workers overwrite the few keys, odd ones read them one by one and in batches: every value
 * read must be one write whole. Updates of keys in the map are where hash maps write without the
 * map lock (emu/inplace.c), and batches are where a lock holder must wait such writers out. */
static void whole_worker(void *p, int w)
{
	struct whole *c = p;
	unsigned char *val = malloc(c->vb), *got = malloc(c->vb * WKEYS), keys[WKEYS * 8];
	const char *tn = type_name(c->type);
	uint64_t rs = rnd_seed((uint64_t)w), n = 0;
	uint32_t seq = 0;

	while (now_s() < c->until) {
		for (int burst = 0; burst < 64; burst++, n++) {
			uint32_t idx = (uint32_t)(rnd(&rs) % WKEYS), count = WKEYS, out = 0;
			unsigned char k[8];
			int err;

			whole_key(c->type, idx, k);
			if (!(w & 1)) {
				pat_fill(val, c->vb, (uint32_t)w + 1, ++seq);
				err = m_update(c->fd, k, val, EMU_ANY);
				CHECK(!err, "%s: whole: update: %s", tn, strerror(-err));
				continue;
			}
			if (burst) {
				err = m_lookup(c->fd, k, got);
				CHECK(!err, "%s: whole: lookup: %s", tn, strerror(-err));
				CHECK(err || pat_ok(got, c->vb, NULL, NULL), "%s: whole: lookup read a torn value", tn);
				continue;
			}
			err = batch_cmd(BPF_MAP_LOOKUP_BATCH, c->fd, NULL, &out, keys, got, &count, 0);
			CHECK(!err || err == -ENOENT, "%s: whole: lookup batch: %s", tn, strerror(-err));
			for (uint32_t i = 0; i < count; i++)
				CHECK(pat_ok(got + (size_t)i * c->vb, c->vb, NULL, NULL),
				      "%s: whole: lookup batch read a torn value", tn);
		}
	}
	(w & 1 ? c->reads : c->writes)[w] = n;
	free(val);
	free(got);
}

static void run_whole(uint32_t type)
{
	struct whole *c = shared_alloc(sizeof(*c));
	uint64_t writes = 0, reads = 0;
	unsigned char *val;
	struct during_ctx d;

	c->type = type;
	c->vb = value_bytes(type, WVS);
	val = malloc(c->vb);
	c->fd = map_create(type, is_array_type(type) ? 4 : 8, WVS, 64, 0);
	CHECK(c->fd >= 0, "create %s: %s", type_name(type), strerror(-c->fd));
	if (c->fd < 0)
		return;
	for (uint32_t i = 0; i < WKEYS; i++) {
		unsigned char k[8];

		whole_key(type, i, k);
		pat_fill(val, c->vb, 0, i);
		CHECK(!m_update(c->fd, k, val, EMU_ANY), "%s: whole: first values", type_name(type));
	}
	c->until = now_s() + phase_s;
	d = (struct during_ctx){ c->fd, 0 };
	run_workers(mode, nworkers, whole_worker, c, (unsigned)(phase_s * 4 + 60), check_during, &d, c->until);
	for (int w = 0; w < nworkers; w++) {
		writes += c->writes[w];
		reads += c->reads[w];
	}
	printf("  whole    %-16s %9llu updates, %llu reads of %u-byte values, none torn\n", type_name(type),
	       (unsigned long long)writes, (unsigned long long)reads, c->vb);
	total_ops += writes + reads;
	total_checks += d.checks;
	close(c->fd);
	free(val);
	munmap(c, sizeof(*c));
}

int main(int argc, char **argv)
{
	static const uint32_t all[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH, EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY };
	static const uint32_t hashes[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };
	double t0 = now_s();

	if (argc < 2 || (strcmp(argv[1], "threads") && strcmp(argv[1], "procs"))) {
		fprintf(stderr, "usage: %s threads|procs [workers]\n", argv[0]);
		return 2;
	}
	mode = !strcmp(argv[1], "threads") ? RUN_THREADS : RUN_PROCS;
	if (argc > 2)
		nworkers = atoi(argv[2]);
	if (nworkers < 2 || nworkers > MAXW)
		nworkers = 4;
	setvbuf(stdout, NULL, _IOLBF, 0);
	report_init();
	bad_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	phase_s = stress_seconds(0.6);
	/* phases: 6 mixed, 6 whole, 4 capacity, 2 queue, 4 lad; a hang is a failure, not a stuck job */
	alarm((unsigned)(phase_s * 22 * 4 + 120));
	printf("stress_ops: %s, %d workers, %.1f s per phase\n", argv[1], nworkers, phase_s);

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		run_mixed(all[i]);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		run_whole(all[i]);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		run_capacity(hashes[i]);
	run_qs(EMU_MAP_QUEUE);
	run_qs(EMU_MAP_STACK);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		run_lad(hashes[i]);

	printf("stress_ops %s: %llu operations, %llu concurrent consistency checks, %d failures, %.1f s\n", argv[1],
	       (unsigned long long)total_ops, (unsigned long long)total_checks, report->failures, now_s() - t0);
	return finish("stress_ops");
}
