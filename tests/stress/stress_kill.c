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
 * with -DBPFEMU_TEST_HOOKS=ON, every other victim — from inside the emulator at a random crash
 * point of a critical section (BPFEMU_TEST_CRASH), which is where a kill does harm.
 *
 * Checked: no survivor ever hangs (each runs under alarm(), and the parent makes a call after
 * every kill under its own alarm); survivors never lose an update, never see a torn value, and
 * never get a value twice from a queue; bpfemu_map_check() passes after every kill and at the
 * end; and the map still works at the end: it takes exactly max_entries elements again (an LRU
 * map: a fill to max_entries keeps its newest keys, at least half of them, as the kernel's does).
 *
 * Before that, staged cases: the lost wakeup of robust mutexes, see lost_wakeup() (it needs
 * SCHED_FIFO, so root or CAP_SYS_NICE; skipped otherwise); with the hooks, in-place writers killed
 * at each step (inplace_kills()), an insert whose lock came from a dead inserter
 * (insert_after_dead_inserter()), and BPF_F_LOCK writers killed holding a value's bpf_spin_lock
 * (f_lock_kills()).
 *
 * argv[1], optional: kills per map type (default 60; with BPFEMU_SOAK, as many as fit in that
 * many seconds per type). argv[2], optional: only the map types whose names contain it.
 */
#include "stress.h"

/* The layout of a map file's header (a white-box test: it reads how many times a dead lock
 * holder's map was repaired, and holds the map's lock itself to stage races). */
#include "../../emu/core/map.h"
#include "../diff/btf_blob.h"

struct stress_report *report;

#define OWN 48
#define SHARED 32
#define VKEYS 64 /* keys only victims write */
#define VS 32
#define QVS 16
#define QMAX 64
#define SURVIVORS 2
#define VICTIM_W 99 /* writer id in victims' values */
#define QCAP (1u << 22)

struct ctl {
	int stop;
	uint64_t survivor_ops[SURVIVORS];
	uint64_t victim_ops;
	uint64_t qpushed, qpopped;
	unsigned char qbits[QCAP / 8]; /* survivor producer's values popped */
};

static struct ctl *ctl;
static uint64_t total_kills, total_hook_kills, total_recoveries, total_ops;
static bool hooks;

struct hkey {
	uint32_t owner; /* 0 shared, w + 1 survivor w, 0xffff victims */
	uint32_t idx;
};
#define VICTIM_OWNER 0xffffu

static void key_of(uint32_t type, uint32_t owner, uint32_t idx, void *out)
{
	if (is_array_type(type)) {
		uint32_t i = owner == 0 ? idx
			     : owner == VICTIM_OWNER ? SHARED + idx
						     : SHARED + VKEYS + (owner - 1) * OWN + idx;

		memcpy(out, &i, 4);
	} else {
		struct hkey k = { owner, idx };

		memcpy(out, &k, sizeof(k));
	}
}

static uint32_t map_max(uint32_t type)
{
	uint32_t keys = SHARED + VKEYS + SURVIVORS * OWN;

	if (is_qs_type(type))
		return QMAX;
	/* LRU maps get room enough never to evict: a survivor's key must not vanish. With inserts on
	 * every CPU, each CPU holds back at most a refill batch (max / nr_cpus / 2, at most 128) in its
	 * local lists, so at least max / 2 - keys nodes stay free for whichever CPU refills. */
	return is_lru_type(type) ? keys * 4 : keys;
}

static uint32_t recoveries(int fd)
{
	struct emu_map_hdr h;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	return h.recoveries;
}

/* ---- survivors ---- */

static void survivor_elems(int fd, uint32_t type, int w)
{
	uint32_t vb = value_bytes(type, VS), seq[OWN] = { 0 }, gw = 0, gs = 0;
	unsigned char *val = malloc(vb), *got = malloc(vb), k[8];
	bool hash = is_hash_type(type);
	const char *tn = type_name(type);
	uint64_t rs = rnd_seed((uint64_t)w + 5), ops = 0;
	int err;

	for (uint32_t j = 0; j < OWN; j++) {
		key_of(type, (uint32_t)w + 1, j, k);
		pat_fill(val, vb, (uint32_t)w + 1, 0);
		err = m_update(fd, k, val, hash ? EMU_NOEXIST : EMU_ANY);
		CHECK(!err, "%s survivor: insert own key: %s", tn, strerror(-err));
	}
	while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE)) {
		uint32_t j = (uint32_t)(rnd(&rs) % OWN), r = (uint32_t)(rnd(&rs) % 100);

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
			err = m_update(fd, k, val, hash ? EMU_EXIST : EMU_ANY);
			CHECK(!err, "%s survivor: update own key: %s", tn, strerror(-err));
			seq[j] += !err;
		} else if (r < 98) {
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
	for (uint32_t j = 0; j < OWN; j++) {
		key_of(type, (uint32_t)w + 1, j, k);
		err = m_lookup(fd, k, got);
		CHECK(!err && pat_ok(got, vb, &gw, &gs) && gw == (uint32_t)w + 1 && gs == seq[j],
		      "%s survivor %d: key %u at the end: err %d", tn, w, j, err);
	}
	ctl->survivor_ops[w] = ops;
	free(val);
	free(got);
}

/* w 0 pushes numbered values, w 1 pops: at most once each (victims pop some too and die with
 * them), a queue in order, never torn. */
static void survivor_qs(int fd, uint32_t type, int w)
{
	unsigned char val[QVS];
	const char *tn = type_name(type);
	uint64_t ops = 0;
	int64_t last = -1;
	uint32_t seq = 0, gw, gs;
	int err;

	while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE)) {
		ops++;
		if (w == 0) {
			if (seq >= QCAP)
				break;
			pat_fill(val, QVS, 1, seq);
			err = m_push(fd, val, 0);
			if (!err)
				seq++;
			else if (err == -E2BIG)
				sched_yield();
			else
				CHECK(0, "%s survivor: push: %s", tn, strerror(-err));
			continue;
		}
		err = m_pop(fd, val);
		if (err == -ENOENT) {
			sched_yield();
			continue;
		}
		CHECK(!err, "%s survivor: pop: %s", tn, strerror(-err));
		if (err)
			continue;
		if (!pat_ok(val, QVS, &gw, &gs)) {
			CHECK(0, "%s survivor: popped a torn value", tn);
			continue;
		}
		if (gw != 1)
			continue; /* a victim's */
		if (gs >= QCAP) {
			CHECK(0, "%s survivor: popped a value never pushed", tn);
			continue;
		}
		{
			unsigned char bit = (unsigned char)(1u << (gs % 8));

			CHECK(!(ctl->qbits[gs / 8] & bit), "%s survivor: value %u popped twice", tn, gs);
			ctl->qbits[gs / 8] |= bit;
		}
		if (type == EMU_MAP_QUEUE)
			CHECK((int64_t)gs > last, "%s survivor: value %u after %lld: out of order", tn, gs, (long long)last);
		last = gs;
		ctl->qpopped++;
	}
	if (w == 0)
		ctl->qpushed = seq;
	ctl->survivor_ops[w] = ops;
}

/* ---- victims ---- */

static void victim(int fd, int vfd, uint32_t type, bool self_kill)
{
	uint32_t vb = value_bytes(type, is_qs_type(type) ? QVS : VS), seq = 0;
	unsigned char *val = malloc(vb * 8), *got = malloc(vb * 8), keys[8 * 8], k[8];
	bool hash = is_hash_type(type), arr = is_array_type(type);
	uint64_t rs = rnd_seed(17);
	char env[32];

	/* Calls without the fd cache spend most of their time in fstat(), and a kill is delivered
	 * when that returns: outside every critical section. With the cache (as under the preload,
	 * and safe here: victims close no fds) a call is all user space and a kill lands anywhere. */
	bpfemu_fdcache_enable();
	if (self_kill) {
		/* a crash point fires every few hundred: well inside the first hundred operations */
		snprintf(env, sizeof(env), "%u", 150 + (unsigned)(rnd(&rs) % 300));
		setenv("BPFEMU_TEST_CRASH", env, 1);
	}
	for (;; seq++) {
		uint32_t r = (uint32_t)(rnd(&rs) % 100), i = (uint32_t)(rnd(&rs) % VKEYS);
		uint32_t s = (uint32_t)(rnd(&rs) % SHARED), count;
		int err;

		__atomic_add_fetch(&ctl->victim_ops, 1, __ATOMIC_RELAXED);
		pat_fill(val, vb, VICTIM_W, seq);
		pat_fill(val + vb, vb, VICTIM_W, seq + 1);
		if (is_qs_type(type)) {
			if (r < 50) {
				m_push(fd, val, r < 10 ? EMU_EXIST : EMU_ANY); /* EXIST drops the oldest when full */
			} else {
				err = m_pop(fd, got);
				CHECK(err || pat_ok(got, vb, NULL, NULL), "%s victim: popped a torn value", type_name(type));
			}
			continue;
		}
		if (r < 30) {
			key_of(type, VICTIM_OWNER, i, k);
			m_update(fd, k, val, EMU_ANY);
		} else if (r < 45) {
			key_of(type, 0, s, k);
			m_update(fd, k, val, EMU_ANY);
		} else if (r < 55 && hash) {
			key_of(type, VICTIM_OWNER, i, k);
			m_delete(fd, k);
		} else if (r < 65 && hash) {
			key_of(type, r & 1 ? 0 : VICTIM_OWNER, r & 1 ? s : i, k);
			err = m_lookup_and_delete(fd, k, got);
			CHECK(err || pat_ok(got, vb, NULL, NULL), "%s victim: lookup_and_delete gave a torn value",
			      type_name(type));
		} else if (r < 75) {
			count = 2;
			key_of(type, VICTIM_OWNER, i, keys);
			key_of(type, VICTIM_OWNER, (i + 1) % VKEYS, keys + (arr ? 4 : 8));
			batch_cmd(BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, val, &count, 0);
		} else if (r < 82 && hash) {
			count = 2;
			key_of(type, VICTIM_OWNER, i, keys);
			key_of(type, VICTIM_OWNER, (i + 1) % VKEYS, keys + 8);
			batch_cmd(BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, &count, 0);
		} else if (hash && vfd >= 0) {
			/* whole buckets at a time: on a map of victims only */
			uint32_t out = 0;

			key_of(type, VICTIM_OWNER, i, k);
			m_update(vfd, k, val, EMU_ANY);
			key_of(type, VICTIM_OWNER, (i + 7) % VKEYS, k);
			m_update(vfd, k, val, EMU_ANY);
			if (r < 92) {
				count = 8;
				batch_cmd(BPF_MAP_LOOKUP_AND_DELETE_BATCH, vfd, NULL, &out, keys, got, &count, 0);
			}
		} else {
			key_of(type, 0, s, k);
			err = m_lookup(fd, k, got);
			CHECK(err || pat_ok(got, vb, NULL, NULL), "%s victim: torn value", type_name(type));
		}
	}
}

/* ---- the end: still works ---- */

static void verify_works(int fd, uint32_t type)
{
	uint32_t max = map_max(type), vb = value_bytes(type, is_qs_type(type) ? QVS : VS), n = 0, gs;
	unsigned char *val = malloc(vb), k[8], nk[8];
	const char *tn = type_name(type);
	int err;

	if (is_qs_type(type)) {
		while (!m_pop(fd, val))
			;
		for (uint32_t i = 0; i < max; i++) {
			pat_fill(val, vb, 5, i);
			err = m_push(fd, val, 0);
			CHECK(!err, "%s after kills: push %u of %u: %s", tn, i, max, strerror(-err));
		}
		err = m_push(fd, val, 0);
		CHECK(err == -E2BIG, "%s after kills: push into a full map gave %d", tn, err);
		for (uint32_t i = 0; i < max; i++) {
			uint32_t want = type == EMU_MAP_QUEUE ? i : max - 1 - i;

			err = m_pop(fd, val);
			CHECK(!err && pat_ok(val, vb, NULL, &gs) && gs == want, "%s after kills: pop %u: err %d", tn, i, err);
		}
		CHECK(m_pop(fd, val) == -ENOENT, "%s after kills: not empty", tn);
	} else if (is_array_type(type)) {
		for (uint32_t i = 0; i < max; i++) {
			pat_fill(val, vb, 5, i);
			err = m_update(fd, &i, val, EMU_ANY);
			CHECK(!err, "%s after kills: update %u: %s", tn, i, strerror(-err));
		}
		for (uint32_t i = 0; i < max; i++) {
			err = m_lookup(fd, &i, val);
			CHECK(!err && pat_ok(val, vb, NULL, &gs) && gs == i, "%s after kills: index %u", tn, i);
		}
	} else {
		/* empty it, then fill it to exactly max_entries: no element leaked out of the pool */
		while (!m_next_key(fd, NULL, nk)) {
			err = m_delete(fd, nk);
			CHECK(!err, "%s after kills: delete: %s", tn, strerror(-err));
			if (err || ++n > max * 2)
				break;
		}
		for (uint32_t i = 0; i < max; i++) {
			struct hkey hk = { 0x5555, i };

			pat_fill(val, vb, 5, i);
			err = m_update(fd, &hk, val, EMU_NOEXIST);
			CHECK(!err, "%s after kills: insert %u of %u: %s", tn, i, max, strerror(-err));
		}
		if (!is_lru_type(type)) {
			struct hkey hk = { 0x5555, max };

			err = m_update(fd, &hk, val, EMU_NOEXIST);
			CHECK(err == -E2BIG, "%s after kills: insert into a full map gave %d", tn, err);
		}
		if (!is_lru_type(type)) {
			for (uint32_t i = 0; i < max; i++) {
				struct hkey hk = { 0x5555, i };

				err = m_lookup(fd, &hk, val);
				CHECK(!err && pat_ok(val, vb, NULL, &gs) && gs == i, "%s after kills: key %u: err %d", tn,
				      i, err);
			}
		} else {
			/* An LRU map need not keep them all, on the kernel either: the nodes of the CPUs this
			 * process did not insert on stay reserved for those CPUs (their local free lists, at most
			 * a refill batch each, max / nr_cpus / 2), so a fill to max_entries evicts its own oldest
			 * keys. What it keeps is the newest ones, each with its value, and at least the half no
			 * CPU can hold back; bpfemu_map_check below proves that no node leaked. */
			uint32_t kept = 0, newest = 0;

			for (uint32_t i = 0; i < max; i++) {
				struct hkey hk = { 0x5555, i };

				err = m_lookup(fd, &hk, val);
				CHECK(err == 0 || err == -ENOENT, "%s after kills: key %u: %s", tn, i, strerror(-err));
				if (err)
					continue;
				CHECK(pat_ok(val, vb, NULL, &gs) && gs == i, "%s after kills: key %u: wrong value", tn, i);
				kept++;
				newest = i;
			}
			CHECK(newest == max - 1, "%s after kills: the newest key (%u) was evicted", tn, max - 1);
			CHECK(kept >= max / 2, "%s after kills: %u of %u keys kept after a fill", tn, kept, max);
		}
		(void)k;
	}
	err = map_check(fd);
	CHECK(!err, "%s after kills: bpfemu_map_check: %s", tn, strerror(-err));
	free(val);
}

static void run_type(uint32_t type, int kills, double soak)
{
	uint32_t vs = is_qs_type(type) ? QVS : VS, ks = is_qs_type(type) ? 0 : is_array_type(type) ? 4 : 8;
	uint32_t vb = value_bytes(type, vs), rec0, rec1;
	int fd = map_create(type, ks, vs, map_max(type), 0), vfd = -1, nk = 0, hook_kills = 0;
	pid_t surv[SURVIVORS];
	unsigned char *val = malloc(vb), k[8];
	uint64_t rs = rnd_seed(type), ops = 0;
	double until = soak > 0 ? now_s() + soak : 0;
	int err;

	CHECK(fd >= 0, "create %s: %s", type_name(type), strerror(-fd));
	if (fd < 0)
		return;
	if (is_hash_type(type))
		vfd = map_create(type, ks, vs, 32, 0);
	memset(ctl, 0, sizeof(*ctl));
	if (!is_qs_type(type)) {
		for (uint32_t s = 0; s < SHARED; s++) {
			key_of(type, 0, s, k);
			pat_fill(val, vb, 0, s);
			CHECK(!m_update(fd, k, val, EMU_ANY), "%s: seed shared key", type_name(type));
		}
		for (uint32_t i = 0; is_array_type(type) && i < VKEYS; i++) {
			key_of(type, VICTIM_OWNER, i, k);
			pat_fill(val, vb, 0, i);
			CHECK(!m_update(fd, k, val, EMU_ANY), "%s: seed victim index", type_name(type));
		}
	}
	for (int w = 0; w < SURVIVORS; w++) {
		surv[w] = fork();
		if (surv[w] == 0) {
			alarm((unsigned)(soak + 120));
			if (is_qs_type(type))
				survivor_qs(fd, type, w);
			else
				survivor_elems(fd, type, w);
			_exit(0);
		}
	}
	rec0 = recoveries(fd);
	while (until ? now_s() < until : nk < kills) {
		bool self_kill = hooks && (nk & 1), reaped;
		pid_t v = fork();
		int st = 0;

		if (v == 0) {
			alarm(30);
			victim(fd, vfd, type, self_kill);
			_exit(0);
		}
		if (v < 0) {
			fail("fork: %s", strerror(errno));
			break;
		}
		reaped = false;
		if (self_kill) {
			/* it dies at a crash point on its own; killed from here only if that never comes */
			double give_up = now_s() + 2;

			while (!reaped && now_s() < give_up) {
				reaped = waitpid(v, &st, WNOHANG) == v;
				if (!reaped)
					usleep(100);
			}
			hook_kills += reaped;
		} else {
			usleep((useconds_t)(rnd(&rs) % 1500));
		}
		if (!reaped) {
			kill(v, SIGKILL);
			while (waitpid(v, &st, 0) < 0 && errno == EINTR)
				;
		}
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: victim ended otherwise (status %#x)",
		      type_name(type), st);
		nk++;
		/* the parent must get through right after every kill, and find the map sound */
		alarm(20);
		err = map_check(fd);
		CHECK(!err, "%s: bpfemu_map_check after kill %d: %s", type_name(type), nk, strerror(-err));
		if (vfd >= 0) {
			err = map_check(vfd);
			CHECK(!err, "%s: bpfemu_map_check (victims' map) after kill %d: %s", type_name(type), nk,
			      strerror(-err));
		}
		alarm(0);
	}
	rec1 = recoveries(fd) + (vfd >= 0 ? recoveries(vfd) : 0);
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_RELEASE);
	for (int w = 0; w < SURVIVORS; w++) {
		int st;

		while (waitpid(surv[w], &st, 0) < 0 && errno == EINTR)
			;
		CHECK(WIFEXITED(st) && !WEXITSTATUS(st), "%s: survivor %d %s %d (a hang ends by SIGALRM)",
		      type_name(type), w, WIFSIGNALED(st) ? "killed by signal" : "exit status",
		      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		ops += ctl->survivor_ops[w];
	}
	if (is_qs_type(type)) {
		/* drain: the survivor's values still queued are each there once */
		while (!m_pop(fd, val)) {
			uint32_t gw, gs;

			if (!pat_ok(val, vb, &gw, &gs)) {
				CHECK(0, "%s: torn value in the drain", type_name(type));
				continue;
			}
			if (gw != 1 || gs >= QCAP)
				continue;
			CHECK(!(ctl->qbits[gs / 8] & (1u << (gs % 8))), "%s: value %u popped twice", type_name(type), gs);
			ctl->qbits[gs / 8] |= (unsigned char)(1u << (gs % 8));
		}
	}
	alarm(60);
	verify_works(fd, type);
	if (vfd >= 0) {
		err = map_check(vfd);
		CHECK(!err, "%s: victims' map at the end: %s", type_name(type), strerror(-err));
		close(vfd);
	}
	alarm(0);
	printf("  %-16s %5d kills (%d from crash points), %5u repairs after a dead lock holder, %9llu survivor ops, "
	       "%8llu victim ops\n",
	       type_name(type), nk, hook_kills, rec1 - rec0, (unsigned long long)ops,
	       (unsigned long long)ctl->victim_ops);
	CHECK(rec1 > rec0 || nk < 20, "%s: no kill landed inside a critical section", type_name(type));
	total_kills += (uint64_t)nk;
	total_hook_kills += (uint64_t)hook_kills;
	total_recoveries += rec1 - rec0;
	total_ops += ops + ctl->victim_ops;
	close(fd);
	free(val);
}

/* until pid sleeps in a futex wait (or 3 s pass) */
static bool wait_futex_sleep(pid_t pid)
{
	char path[64], buf[512];
	double give_up = now_s() + 3;

	while (now_s() < give_up) {
		FILE *f;
		char *rp;
		bool sleeping = false, futex = false;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "re"))) {
			if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
				sleeping = rp[2] == 'S';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
		if ((f = fopen(path, "re"))) {
			futex = fgets(buf, sizeof(buf), f) && strstr(buf, "futex");
			fclose(f);
		}
		if (sleeping && futex)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * A robust mutex wakes its waiters one at a time. If the waiter woken is killed before it takes
 * the lock, and meanwhile another process took the lock on the fast path, the kernel's cleanup
 * of the dead waiter wakes nobody (it acts only on a lock word without owner) and no unlock
 * wakes anyone either (the fast path left no waiters bit): the other waiters sleep until some
 * process contends again, and if none does, forever. Staged here step by step: the parent holds
 * the map's lock; a victim, then a survivor, wait for it; the parent, running SCHED_FIFO on the
 * victim's only CPU so the woken victim cannot run, unlocks (waking the victim), takes the lock
 * back, kills the victim and waits for it to die, and unlocks. The survivor must get the lock.
 */
static void lost_wakeup(void)
{
	struct sched_param fifo = { .sched_priority = 1 }, other = { .sched_priority = 0 };
	cpu_set_t cpu0, cpu_other, all;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/* 16-byte values: updates of 8 or 4 bytes take no lock */
	int fd = map_create(EMU_MAP_ARRAY, 4, 16, 1, 0), st = 0, err;
	struct emu_map_hdr *h;
	pid_t v, s;
	bool done = false;

	CHECK(fd >= 0, "lost wakeup: create: %s", strerror(-fd));
	if (fd < 0)
		return;
	if (ncpu < 2 || sched_setscheduler(0, SCHED_FIFO, &fifo)) {
		printf("  lost wakeup: not staged (%s)\n", ncpu < 2 ? "one CPU" : "SCHED_FIFO not permitted");
		close(fd);
		return;
	}
	sched_setscheduler(0, SCHED_OTHER, &other);
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		fail("lost wakeup: mmap: %s", strerror(errno));
		close(fd);
		return;
	}
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	CPU_ZERO(&cpu_other);
	CPU_SET(1, &cpu_other);
	sched_setaffinity(0, sizeof(cpu0), &cpu0); /* the victim inherits it */

	err = pthread_mutex_lock(&h->lock);
	CHECK(!err, "lost wakeup: lock: %s", strerror(err));
	v = fork();
	if (v == 0) {
		uint32_t k = 0;
		uint64_t val[2] = { 1, 1 };

		alarm(10); /* an update: lookups read without the lock while no holder is writing */
		_exit(m_update(fd, &k, val, 0) ? 1 : 0);
	}
	CHECK(wait_futex_sleep(v), "lost wakeup: the victim never waited for the lock");
	s = fork();
	if (s == 0) {
		uint32_t k = 0;
		uint64_t val[2] = { 2, 2 };

		sched_setaffinity(0, sizeof(cpu_other), &cpu_other);
		alarm(10);
		_exit(m_update(fd, &k, val, 0) ? 1 : 0);
	}
	CHECK(wait_futex_sleep(s), "lost wakeup: the survivor never waited for the lock");

	sched_setscheduler(0, SCHED_FIFO, &fifo);
	pthread_mutex_unlock(&h->lock);          /* wakes the victim, which cannot run yet */
	err = pthread_mutex_trylock(&h->lock);   /* the fast path: no waiters bit */
	CHECK(!err, "lost wakeup: retake: %s", strerror(err));
	kill(v, SIGKILL);
	while (waitpid(v, &st, 0) < 0 && errno == EINTR) /* it dies while we hold the lock */
		;
	pthread_mutex_unlock(&h->lock);
	sched_setscheduler(0, SCHED_OTHER, &other);
	sched_setaffinity(0, sizeof(all), &all);

	for (double give_up = now_s() + 3; !done && now_s() < give_up;) {
		done = waitpid(s, &st, WNOHANG) == s;
		if (!done)
			usleep(1000);
	}
	CHECK(done && WIFEXITED(st) && !WEXITSTATUS(st),
	      "lost wakeup: a waiter still asleep 3 s after the waiter woken before it was killed");
	if (!done) {
		kill(s, SIGKILL);
		waitpid(s, &st, 0);
	}
	printf("  lost wakeup: %s\n", done ? "the remaining waiter got the lock" : "the remaining waiter slept on");
	munmap(h, sizeof(*h));
	close(fd);
}

/*
 * An update that overwrites a value in place runs without the map lock, in a writer slot of the
 * map (emu/inplace.c). A writer killed at each step of it: whoever next reads the element, writes
 * it, or takes the lock must find the old value or the new one whole (old until the new one was
 * staged whole and its destination named, new after), never a word left taken; and the repair
 * is counted.
 */
static void inplace_kill(uint32_t type, uint32_t vs, const char *point, bool update_first)
{
	int fd = map_create(type, 4, vs, 64, 0), st = 0, err;
	uint32_t vb = value_bytes(type, vs), k = 0, rec0;
	/* the destination is named only after the stage point: from the copy on, the value is new */
	bool staged = !strcmp(point, "inplace.copy") || !strcmp(point, "inplace.release");
	unsigned char *a = malloc(vb), *b = malloc(vb), *c = malloc(vb), *got = malloc(vb);
	char env[64];
	pid_t pid;

	CHECK(fd >= 0, "inplace kill: create: %s", strerror(-fd));
	if (fd < 0)
		goto out;
	memset(a, 0xaa, vb);
	memset(b, 0xbb, vb);
	memset(c, 0xcc, vb);
	CHECK(!m_update(fd, &k, a, EMU_ANY), "inplace kill: insert");
	rec0 = recoveries(fd);
	pid = fork();
	if (pid == 0) {
		snprintf(env, sizeof(env), "1:%s", point);
		setenv("BPFEMU_TEST_CRASH", env, 1);
		m_update(fd, &k, b, EMU_EXIST);
		_exit(0); /* the crash point was not on the way */
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "inplace kill at %s: the writer was not killed there",
	      point);
	if (update_first) {
		err = m_update(fd, &k, c, EMU_EXIST);
		CHECK(!err, "inplace kill at %s: update after: %s", point, strerror(-err));
	} else {
		err = m_lookup(fd, &k, got);
		CHECK(!err, "inplace kill at %s: lookup: %s", point, strerror(-err));
		CHECK(!memcmp(got, staged ? b : a, vb), "inplace kill at %s: %s value is not the %s one whole",
		      point, type_name(type), staged ? "new" : "old");
		err = m_update(fd, &k, c, EMU_EXIST);
		CHECK(!err, "inplace kill at %s: update after: %s", point, strerror(-err));
	}
	err = m_lookup(fd, &k, got);
	CHECK(!err && !memcmp(got, c, vb), "inplace kill at %s: the update after the kill is lost", point);
	err = map_check(fd);
	CHECK(!err, "inplace kill at %s: bpfemu_map_check: %s", point, strerror(-err));
	CHECK(recoveries(fd) > rec0, "inplace kill at %s: the dead writer's slot was not repaired", point);
	close(fd);
out:
	free(a);
	free(b);
	free(c);
	free(got);
}

/*
 * An insert searches for its key lock-free first (the in-place attempt) and, if no lock holder
 * came before it took the lock, does not search again (htab_update). A holder that came and died
 * must count as one: staged, a victim and then a survivor both miss key 7 while the parent holds
 * the lock; the parent unlocks; the victim (first in the futex queue) inserts 7 and is killed with
 * it linked, the lock held; the survivor gets the lock from the dead victim. It must find 7 and
 * replace it, not link a second 7.
 */
/* One staging; false if it did not come about (the survivor took the lock first: a waiter's
 * 10 ms retry can beat the woken victim), and then nothing was checked. */
static bool insert_after_dead_inserter_once(uint32_t type)
{
	int fd = map_create(type, 4, 8, 64, 0), st = 0, err;
	uint32_t k = 7, rec0, n = 0, cur, next, vb = value_bytes(type, 8);
	uint64_t *got = calloc(1, vb), *want = malloc(vb), *val = malloc(vb);
	struct emu_map_hdr *h;
	bool staged = true;
	pid_t v, s;

	memset(want, 0x55, vb);
	memset(val, 0x77, vb);

	CHECK(fd >= 0, "dead inserter: create: %s", strerror(-fd));
	if (fd < 0)
		goto out;
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(h != MAP_FAILED, "dead inserter: mmap: %s", strerror(errno));
	if (h == MAP_FAILED) {
		close(fd);
		goto out;
	}
	rec0 = recoveries(fd);
	err = pthread_mutex_lock(&h->lock); /* write_seq stays even: searches run lock-free */
	CHECK(!err, "dead inserter: lock: %s", strerror(err));
	v = fork();
	if (v == 0) {
		setenv("BPFEMU_TEST_CRASH", "1:htab.linked", 1);
		alarm(10);
		m_update(fd, &k, val, EMU_ANY);
		_exit(0); /* not killed: the crash point was not on its way */
	}
	CHECK(wait_futex_sleep(v), "dead inserter: the victim never waited for the lock");
	s = fork();
	if (s == 0) {
		alarm(10);
		_exit(m_update(fd, &k, want, EMU_ANY) ? 1 : 0);
	}
	CHECK(wait_futex_sleep(s), "dead inserter: the survivor never waited for the lock");
	pthread_mutex_unlock(&h->lock);
	while (waitpid(v, &st, 0) < 0 && errno == EINTR)
		;
	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
		while (waitpid(s, &st, 0) < 0 && errno == EINTR)
			;
		munmap(h, sizeof(*h));
		close(fd);
		staged = false;
		goto out;
	}
	while (waitpid(s, &st, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFEXITED(st) && !WEXITSTATUS(st), "dead inserter: the survivor's update failed");
	CHECK(recoveries(fd) > rec0, "dead inserter: the dead victim's map was not repaired");
	err = map_check(fd);
	CHECK(!err, "dead inserter: %s: bpfemu_map_check: %s", type_name(type), strerror(-err));
	for (err = m_next_key(fd, NULL, &next); !err && n < 64; err = m_next_key(fd, &cur, &next)) {
		CHECK(next == k, "dead inserter: key %u in the map", next);
		cur = next;
		n++;
	}
	CHECK(n == 1, "dead inserter: %s: key 7 is in the map %u times", type_name(type), n);
	err = m_lookup(fd, &k, got);
	CHECK(!err && !memcmp(got, want, vb), "dead inserter: %s: the survivor's value is not the key's",
	      type_name(type));
	munmap(h, sizeof(*h));
	close(fd);
out:
	free(got);
	free(want);
	free(val);
	return staged;
}

static void insert_after_dead_inserter(uint32_t type)
{
	for (int tries = 0; tries < 20; tries++)
		if (insert_after_dead_inserter_once(type))
			return;
	fail("dead inserter: %s: the victim never took the lock first in 20 stagings", type_name(type));
}

/*
 * A BPF_F_LOCK writer killed inside its copy, holding the map lock and the value's spin lock (at
 * `point`): the next caller must neither hang on the spin lock nor see the value torn, the map is
 * repaired, and the spin lock is free again.
 */
static void f_lock_kill(uint32_t type, int btf_fd, const char *point)
{
	union bpf_attr a;
	unsigned char old[56], neu[56], got[56];
	uint32_t k = 1, rec0;
	int fd, st = 0, err;
	pid_t v;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = 4;
	a.value_size = 56;
	a.max_entries = 4;
	a.btf_fd = (uint32_t)btf_fd;
	a.btf_key_type_id = BB_INT;
	a.btf_value_type_id = BB_BIG; /* a spin lock at 40 */
	fd = bpfemu_bpf(BPF_MAP_CREATE, &a, sizeof(a));
	CHECK(fd >= 0, "f_lock kill: create: %s", strerror(errno));
	if (fd < 0)
		return;
	memset(old, 0x22, sizeof(old));
	memset(neu, 0x11, sizeof(neu));
	CHECK(!m_update(fd, &k, old, 0), "f_lock kill: first update");
	rec0 = recoveries(fd);
	v = fork();
	if (v == 0) {
		char env[64];

		snprintf(env, sizeof(env), "1:%s", point);
		setenv("BPFEMU_TEST_CRASH", env, 1);
		alarm(10);
		m_update(fd, &k, neu, BPF_F_LOCK);
		_exit(0);
	}
	while (waitpid(v, &st, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "f_lock kill: %s at %s: the victim was not killed (status %#x)",
	      type_name(type), point, st);
	alarm(10); /* a spin lock left taken would hang here */
	err = elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, &k, got, BPF_F_LOCK);
	CHECK(!err, "f_lock kill: %s at %s: lookup: %s", type_name(type), point, strerror(-err));
	memset(old + 40, 0, 4); /* the lock word reads as zero */
	memset(neu + 40, 0, 4);
	CHECK(!memcmp(got, old, sizeof(got)) || !memcmp(got, neu, sizeof(got)),
	      "f_lock kill: %s at %s: the value is torn", type_name(type), point);
	CHECK(recoveries(fd) > rec0, "f_lock kill: %s at %s: the map was not repaired", type_name(type), point);
	CHECK(!m_update(fd, &k, neu, BPF_F_LOCK), "f_lock kill: %s at %s: update after", type_name(type), point);
	alarm(0);
	err = map_check(fd);
	CHECK(!err, "f_lock kill: %s at %s: bpfemu_map_check: %s", type_name(type), point, strerror(-err));
	close(fd);
}

static void f_lock_kills(void)
{
	static const char *const points[] = { "value.spin", "redo.stage", "redo.copy" };
	unsigned char blob[4096];
	uint32_t n = bb_blob(blob), kills = 0;
	union bpf_attr a;
	int btf_fd;

	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = n;
	btf_fd = bpfemu_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	CHECK(btf_fd >= 0, "f_lock kills: BTF_LOAD: %s", strerror(errno));
	if (btf_fd < 0)
		return;
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		f_lock_kill(EMU_MAP_HASH, btf_fd, points[i]);
		f_lock_kill(EMU_MAP_ARRAY, btf_fd, points[i]);
		kills += 2;
	}
	close(btf_fd);
	printf("  BPF_F_LOCK writers killed holding the spin lock: %u kills\n", kills);
}

static void inplace_kills(void)
{
	static const char *const points[] = { "inplace.name", "inplace.take", "inplace.stage", "inplace.copy",
					      "inplace.release" };
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++)
		for (int order = 0; order < 2; order++) {
			inplace_kill(EMU_MAP_HASH, 24, points[i], order);
			inplace_kill(EMU_MAP_PERCPU_HASH, 16, points[i], order);
			n += 2;
		}
	printf("  in-place writers killed at each step: %u kills\n", n);
}

int main(int argc, char **argv)
{
	static const uint32_t types[] = { EMU_MAP_HASH,  EMU_MAP_PERCPU_HASH,  EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
					  EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE,    EMU_MAP_STACK };
	int kills = argc > 1 ? atoi(argv[1]) : 60;
	const char *soak = getenv("BPFEMU_SOAK");
	double t0 = now_s();

#ifdef BPFEMU_TEST_HOOKS
	hooks = true;
#endif
	setvbuf(stdout, NULL, _IOLBF, 0);
	report_init();
	ctl = shared_alloc(sizeof(*ctl));
	unsetenv("BPFEMU_TEST_CRASH"); /* only victims crash */
	printf("stress_kill: %s per type, crash points %s\n", soak && atof(soak) > 0 ? "soak" : "fixed kills",
	       hooks ? "on (every other victim kills itself inside the emulator)" : "off (timed kills only)");
	lost_wakeup();
	if (hooks) {
		inplace_kills();
		insert_after_dead_inserter(EMU_MAP_HASH);
		insert_after_dead_inserter(EMU_MAP_PERCPU_HASH);
		printf("  inserts after a dead inserter: 2 staged\n");
		f_lock_kills();
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (argc < 3 || strstr(type_name(types[i]), argv[2]))
			run_type(types[i], kills, soak && atof(soak) > 0 ? atof(soak) : 0);
	printf("stress_kill: %llu kills (%llu at crash points), %llu repairs, %llu operations, %d failures, %.1f s\n",
	       (unsigned long long)total_kills, (unsigned long long)total_hook_kills,
	       (unsigned long long)total_recoveries, (unsigned long long)total_ops, report->failures, now_s() - t0);
	return finish("stress_kill");
}
