/* SPDX-License-Identifier: MIT */
/* Map files of every type, opened and used as a process meets them (see mapfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "btf_blob.h"
#include "mapfile.h"
#include "uapi/bpf_uapi.h"

/* Small maps, so a file is a few KiB and a fuzzer's mutations land in structure, not in values;
 * every family and every layout variant (in-place value words, redo records, MMAPABLE's page
 * alignment, both LRU layouts, NO_PREALLOC, values with BTF special fields) is here. */
const struct mf_shape mf_shapes[] = {
	{ "hash", EMU_MAP_HASH, 8, 8, 16, 0, false, 0 },
	{ "hash_v24", EMU_MAP_HASH, 4, 24, 16, 0, false, 0 },
	{ "hash_noprealloc", EMU_MAP_HASH, 8, 8, 16, EMU_F_NO_PREALLOC, false, 0 },
	{ "hash_zeroseed", EMU_MAP_HASH, 12, 16, 8, EMU_F_ZERO_SEED, false, 0 },
	{ "hash_light", EMU_MAP_HASH, 8, 8, 16, 0, true, 0 },
	{ "percpu_hash", EMU_MAP_PERCPU_HASH, 8, 8, 16, 0, false, 0 },
	{ "lru_hash", EMU_MAP_LRU_HASH, 8, 8, 16, 0, false, 0 },
	{ "lru_hash_nocommon", EMU_MAP_LRU_HASH, 8, 8, 16, EMU_F_NO_COMMON_LRU, false, 0 },
	{ "lru_percpu_hash", EMU_MAP_LRU_PERCPU_HASH, 8, 8, 16, 0, false, 0 },
	{ "array", EMU_MAP_ARRAY, 4, 8, 16, 0, false, 0 },
	{ "array_v24", EMU_MAP_ARRAY, 4, 24, 16, 0, false, 0 },
	{ "array_mmapable", EMU_MAP_ARRAY, 4, 8, 16, EMU_F_MMAPABLE, false, 0 },
	{ "percpu_array", EMU_MAP_PERCPU_ARRAY, 4, 8, 16, 0, false, 0 },
	{ "queue", EMU_MAP_QUEUE, 0, 8, 8, 0, false, 0 },
	{ "stack", EMU_MAP_STACK, 0, 16, 8, 0, false, 0 },
	/* with BTF: the value's special fields (a bpf_spin_lock, a bpf_timer) and the BTF copy */
	{ "hash_spin_lock", EMU_MAP_HASH, 4, 12, 16, 0, false, BB_VAL },
	{ "array_timer_lock", EMU_MAP_ARRAY, 4, 32, 16, 0, false, BB_TV },
	/* the families of issue 21: a trie's node pool, a bloom filter's bits, fd slots and an inner
	 * map template, hash-of-maps ids, the rings' positions and records */
	{ "lpm_trie", EMU_MAP_LPM_TRIE, 8, 8, 16, EMU_F_NO_PREALLOC, false, 0 },
	{ "bloom_filter", EMU_MAP_BLOOM_FILTER, 0, 8, 16, 0, false, 0 },
	{ "array_of_maps", EMU_MAP_ARRAY_OF_MAPS, 4, 4, 8, 0, false, 0 },
	{ "hash_of_maps", EMU_MAP_HASH_OF_MAPS, 4, 4, 8, 0, false, 0 },
	{ "prog_array", EMU_MAP_PROG_ARRAY, 4, 4, 8, 0, false, 0 },
	{ "perf_event_array", EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 8, 0, false, 0 },
	{ "ringbuf", EMU_MAP_RINGBUF, 0, 0, 65536, 0, false, 0 },
	{ "user_ringbuf", EMU_MAP_USER_RINGBUF, 0, 0, 65536, 0, false, 0 },
};
const unsigned mf_nr_shapes = sizeof(mf_shapes) / sizeof(mf_shapes[0]);

const struct mf_shape *mf_shape_named(const char *name)
{
	for (unsigned i = 0; i < mf_nr_shapes; i++)
		if (!strcmp(mf_shapes[i].name, name))
			return &mf_shapes[i];
	return NULL;
}

struct attr {
	_Alignas(8) unsigned char b[256];
};

static void put32(struct attr *a, unsigned off, uint32_t v) { memcpy(a->b + off, &v, 4); }
static void put64(struct attr *a, unsigned off, uint64_t v) { memcpy(a->b + off, &v, 8); }
static void putp(struct attr *a, unsigned off, const void *p) { put64(a, off, (uint64_t)(uintptr_t)p); }
static uint32_t get32(const void *p, unsigned off)
{
	uint32_t v;

	memcpy(&v, (const char *)p + off, 4);
	return v;
}

long mf_bpf(int cmd, void *attr, unsigned size)
{
	return bpfemu_bpf(cmd, attr, size);
}

static uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static bool is_percpu(uint32_t t)
{
	return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_PERCPU_HASH || t == EMU_MAP_PERCPU_ARRAY;
}

static bool is_qs(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK || t == EMU_MAP_BLOOM_FILTER; }
static bool is_array(uint32_t t)
{
	return t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY || t == EMU_MAP_ARRAY_OF_MAPS || t == EMU_MAP_PROG_ARRAY ||
	       t == EMU_MAP_PERF_EVENT_ARRAY;
}
static bool is_of_maps(uint32_t t) { return t == EMU_MAP_ARRAY_OF_MAPS || t == EMU_MAP_HASH_OF_MAPS; }

/* The workload's values: random bytes, or for a map of maps the inner map's fd (elements that
 * name it) */
static void fill_value(void *v, size_t n, uint32_t *rng, int inner_fd);

static size_t value_bytes(uint32_t type, uint32_t vs)
{
	return is_percpu(type) ? (size_t)((vs + 7) / 8 * 8) * (size_t)bpfemu_num_possible_cpus() : vs;
}

void mf_key(void *k, uint32_t ks, uint32_t i)
{
	memset(k, 0xa5, ks);
	memcpy(k, &i, ks < 4 ? ks : 4);
}

static void fill(void *v, size_t n, uint32_t *rng)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)v)[i] = (unsigned char)rng_next(rng);
}

static void fill_value(void *v, size_t n, uint32_t *rng, int inner_fd)
{
	fill(v, n, rng);
	if (inner_fd >= 0 && n >= 4)
		memcpy(v, &inner_fd, 4);
}

static long elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	put32(&a, EL_FD, (uint32_t)fd);
	putp(&a, EL_KEY, key);
	putp(&a, EL_VALUE, value);
	put64(&a, EL_FLAGS, flags);
	return mf_bpf(cmd, &a, EL_END);
}

int mf_make(const struct mf_shape *s, uint32_t seed)
{
	size_t vb = value_bytes(s->type, s->value_size);
	unsigned char key[64], *val = malloc(vb);
	uint32_t rng = seed * 2654435761u + 1, n = s->max_entries;
	struct attr a;
	int fd, btf_fd = -1, inner_fd = -1;

	if (!val)
		return -ENOMEM;
	if (is_of_maps(s->type)) {
		/* the inner map template: an array of 4 u32s, which the elements name */
		memset(&a, 0, sizeof(a));
		put32(&a, MC_TYPE, EMU_MAP_ARRAY);
		put32(&a, MC_KEY_SIZE, 4);
		put32(&a, MC_VALUE_SIZE, 4);
		put32(&a, MC_MAX_ENTRIES, 4);
		inner_fd = (int)mf_bpf(EMU_BPF_MAP_CREATE, &a, MC_END);
		if (inner_fd < 0) {
			free(val);
			return -errno;
		}
	}
	memset(&a, 0, sizeof(a));
	put32(&a, MC_TYPE, s->type);
	put32(&a, MC_KEY_SIZE, s->key_size);
	put32(&a, MC_VALUE_SIZE, s->value_size);
	put32(&a, MC_MAX_ENTRIES, s->max_entries);
	put32(&a, MC_FLAGS, s->flags);
	snprintf((char *)a.b + MC_NAME, 16, "mf_%.12s", s->name);
	if (s->btf_value) {
		static unsigned char blob[4096];
		struct attr b;
		uint32_t n = bb_blob(blob);

		memset(&b, 0, sizeof(b));
		putp(&b, BTF_BLOB, blob);
		put32(&b, BTF_SIZE, n);
		btf_fd = (int)mf_bpf(EMU_BPF_BTF_LOAD, &b, BTF_SIZE + 4);
		if (btf_fd < 0) {
			free(val);
			return -errno;
		}
		put32(&a, MC_BTF_FD, (uint32_t)btf_fd);
		put32(&a, MC_BTF_KEY, BB_INT);
		put32(&a, MC_BTF_VALUE, s->btf_value);
	}
	if (inner_fd >= 0)
		put32(&a, MC_INNER_FD, (uint32_t)inner_fd);
	fd = (int)mf_bpf(EMU_BPF_MAP_CREATE, &a, MC_END);
	if (btf_fd >= 0)
		close(btf_fd);
	if (fd < 0) {
		int err = -errno;

		free(val);
		if (inner_fd >= 0)
			close(inner_fd);
		return err;
	}
	if (is_qs(s->type)) {
		/* a ring that wrapped: pushed past the end, popped from the front */
		for (uint32_t i = 0; i < n + 3; i++) {
			fill_value(val, vb, &rng, inner_fd);
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, NULL, val, i >= n ? EMU_EXIST : 0);
			if (i % 3 == 2)
				elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, NULL, val, 0);
		}
	} else if (is_array(s->type)) {
		for (uint32_t i = 0; i < n; i++) {
			mf_key(key, s->key_size, i);
			fill_value(val, vb, &rng, inner_fd);
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, s->btf_value && i % 2 ? EMU_F_LOCK : 0);
		}
	} else if (s->light) {
		for (uint32_t i = 0; i < 2; i++) {
			mf_key(key, s->key_size, i);
			fill_value(val, vb, &rng, inner_fd);
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, 0);
		}
	} else {
		/* inserts (LRU maps past capacity, so they evict), deletes, replacements: free lists
		 * and LRU lists in the state use leaves them */
		uint32_t inserts = s->type == EMU_MAP_LRU_HASH || s->type == EMU_MAP_LRU_PERCPU_HASH ? 2 * n : n;

		for (uint32_t i = 0; i < inserts; i++) {
			mf_key(key, s->key_size, i);
			fill_value(val, vb, &rng, inner_fd);
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, 0);
		}
		for (uint32_t i = 0; i < inserts; i++) {
			mf_key(key, s->key_size, rng_next(&rng) % inserts);
			fill_value(val, vb, &rng, inner_fd);
			switch (rng_next(&rng) % 4) {
			case 0:
				elem(EMU_BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
				break;
			case 1:
				elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, key, val, 0);
				break;
			default:
				elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, s->btf_value && i % 2 ? EMU_F_LOCK : 0);
			}
		}
		/* and room left, with elements on the free list */
		for (uint32_t i = 0; i < 4; i++) {
			mf_key(key, s->key_size, inserts - 1 - i);
			elem(EMU_BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
		}
	}
	free(val);
	/* the inner map lives on as the elements hold it */
	if (inner_fd >= 0)
		close(inner_fd);
	return fd;
}

int mf_read_file(int fd, unsigned char **buf, size_t *len)
{
	char path[64];
	struct stat st;
	int rfd, err = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	if (fstat(rfd, &st)) {
		err = -errno;
	} else if (!(*buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
		err = -ENOMEM;
	} else if (pread(rfd, *buf, (size_t)st.st_size, 0) != st.st_size) {
		free(*buf);
		err = -EIO;
	} else {
		*len = (size_t)st.st_size;
	}
	close(rfd);
	return err;
}

static char state_dir[PATH_MAX];
static pid_t state_owner;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

/* The directory goes when the process that made it exits (not a forked child that exits). */
static void rm_state(void)
{
	if (state_dir[0] && getpid() == state_owner)
		nftw(state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *mf_private_state(void)
{
	char bpffs[PATH_MAX + 8];
	const char *tmp = getenv("TMPDIR");

	if (state_dir[0])
		return state_dir;
	snprintf(state_dir, sizeof(state_dir), "%s/bpfemu-mapfile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(state_dir)) {
		state_dir[0] = 0;
		return NULL;
	}
	state_owner = getpid();
	atexit(rm_state);
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", state_dir);
	mkdir(bpffs, 0700);
	setenv("BPFEMU_STATE_DIR", state_dir, 1);
	setenv("BPFEMU_BPFFS", bpffs, 1);
	return state_dir;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);

		if (w <= 0)
			return false;
		done += (size_t)w;
	}
	return true;
}

int mf_open(const void *buf, size_t len, bool via_pin, const char *name)
{
	char real[PATH_MAX + 64], pin[PATH_MAX + 64];
	const char *root = getenv("BPFEMU_BPFFS");
	struct attr a;
	int fd, err;

	if (!via_pin) {
		fd = memfd_create("mapfile", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!write_all(fd, buf, len)) {
			close(fd);
			return -EIO;
		}
		return fd;
	}
	if (!root)
		return -ENOENT;
	snprintf(real, sizeof(real), "%s/%s", root, name);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/%s", name);
	fd = open(real, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len) ? 0 : -EIO;
	close(fd);
	if (err) {
		unlink(real);
		return err;
	}
	memset(&a, 0, sizeof(a));
	putp(&a, PIN_PATH, pin);
	fd = (int)mf_bpf(EMU_BPF_OBJ_GET, &a, PIN_END);
	err = fd < 0 ? -errno : fd;
	unlink(real);
	return err;
}

/* ---- the fixed sequence ---- */

static void count(struct mf_result *r, long ret)
{
	r->calls++;
	if (ret >= 0)
		r->ok++;
	else if (errno == EUCLEAN)
		r->euclean++;
	else if (errno == EINVAL)
		r->einval++;
}

static long batch(int cmd, int fd, void *in, void *out, void *keys, void *values, uint32_t *cnt)
{
	struct attr a;
	long ret;

	memset(&a, 0, sizeof(a));
	putp(&a, BA_IN, in);
	putp(&a, BA_OUT, out);
	putp(&a, BA_KEYS, keys);
	putp(&a, BA_VALUES, values);
	put32(&a, BA_COUNT, *cnt);
	put32(&a, BA_FD, (uint32_t)fd);
	ret = mf_bpf(cmd, &a, BA_END);
	*cnt = get32(a.b, BA_COUNT);
	return ret;
}

#define MF_BATCH 8u
/* Buffers past these are not asked for: a header the emulator accepted can still name a map too
 * large for a test's memory. */
#define MF_MAX_KEY 4096u
#define MF_MAX_VALUE (1u << 20)

static void exercise_qs(int fd, struct mf_result *r, void *val, size_t vb)
{
	for (uint32_t i = 0; i < 3; i++) {
		memset(val, (int)i, vb);
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, NULL, val, i == 2 ? EMU_EXIST : 0));
	}
	count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, NULL, val, 0));
	for (uint32_t i = 0; i < 4; i++)
		count(r, elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, NULL, val, 0));
	/* the rest of the commands answer EINVAL or ENOTSUPP on a queue, after the fd checks */
	count(r, elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, NULL, val, 0));
	count(r, elem(EMU_BPF_MAP_DELETE_ELEM, fd, NULL, NULL, 0));
	for (uint32_t i = 0; i < 12; i++) {
		memset(val, (int)(0x40 + i), vb);
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, NULL, val, EMU_EXIST));
	}
	for (uint32_t i = 0; i < 12; i++)
		count(r, elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, NULL, val, 0));
}

static void exercise_keyed(int fd, struct mf_result *r, uint32_t type, uint32_t ks, uint32_t max, void *val,
			   size_t vb)
{
	unsigned char *key = malloc(ks), *next = malloc(ks), *keys = malloc((size_t)MF_BATCH * ks);
	unsigned char *vals = malloc(MF_BATCH * vb);
	uint32_t walk_max = (max < 4096 ? max : 4096) * 2 + 8, tok[2], cnt;
	long ret;

	if (!key || !next || !keys || !vals)
		goto out;
	for (uint32_t i = 0; i < 8; i++) {
		mf_key(key, ks, i);
		count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, key, val, 0));
		memset(val, (int)i, vb);
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, 0));
		mf_key(key, ks, i + 1000);
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, EMU_NOEXIST));
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, EMU_EXIST));
		count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, key, val, 0));
		mf_key(key, ks, i + 1);
		count(r, elem(EMU_BPF_MAP_DELETE_ELEM, fd, key, NULL, 0));
	}
	/* a whole GET_NEXT_KEY walk, bounded: a corrupted table may hold a cycle a walk would go
	 * round forever, one answer per call (bpfemu_map_check reports it) */
	ret = elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, NULL, next, 0);
	count(r, ret);
	for (uint32_t i = 0; ret == 0 && i < walk_max; i++) {
		memcpy(key, next, ks);
		ret = elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, key, next, 0);
		count(r, ret);
	}
	/* BPF_F_LOCK copies (EINVAL for a value without a bpf_spin_lock) */
	mf_key(key, ks, 3);
	count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, EMU_F_LOCK));
	count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, key, val, EMU_F_LOCK));
	mf_key(key, ks, 2);
	count(r, elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, key, next, 0));
	count(r, elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, val, 0));
	mf_key(key, ks, 1003);
	count(r, elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, val, 0));
	if (is_percpu(type)) {
		struct bpfemu_elem_opts o = { .sz = sizeof(o), .cpu = 0 };

		mf_key(key, ks, 0);
		count(r, bpfemu_map_lookup_percpu(fd, key, val, &o));
	}
	/* batches: a lookup walk to the end, an update, a delete, a drain */
	for (uint32_t round = 0; round < 16; round++) {
		cnt = MF_BATCH;
		ret = batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, round ? tok : NULL, tok, keys, vals, &cnt);
		count(r, ret);
		if (ret)
			break;
	}
	for (uint32_t i = 0; i < 4; i++)
		mf_key(keys + (size_t)i * ks, ks, i + 2000);
	memset(vals, 0x77, 4 * vb);
	cnt = 4;
	count(r, batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, vals, &cnt));
	cnt = 2;
	count(r, batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, &cnt));
	for (uint32_t round = 0; round < 4; round++) {
		cnt = MF_BATCH;
		ret = batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, round ? tok : NULL, tok, keys, vals, &cnt);
		count(r, ret);
		if (ret)
			break;
	}
	/* and the map in use again after all that */
	for (uint32_t i = 0; i < 4; i++) {
		mf_key(key, ks, i + 3000);
		count(r, elem(EMU_BPF_MAP_UPDATE_ELEM, fd, key, val, 0));
		count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, key, val, 0));
	}
out:
	free(key);
	free(next);
	free(keys);
	free(vals);
}

void mf_exercise(int fd, struct mf_result *r)
{
	_Alignas(8) unsigned char info[256];
	uint32_t type, ks, vs, max;
	struct attr a;
	size_t vb;
	void *val;

	memset(r, 0, sizeof(*r));
	memset(info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	put32(&a, INFO_FD, (uint32_t)fd);
	put32(&a, INFO_LEN, MI_SIZE);
	putp(&a, INFO_PTR, info);
	if (mf_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, INFO_END)) {
		r->info_err = errno;
		/* a refused file: every command must refuse it alike */
		count(r, elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, info, info + 64, 0));
		r->check_first = r->check_last = bpfemu_map_check(fd) ? errno : 0;
		return;
	}
	type = get32(info, MI_TYPE);
	ks = get32(info, MI_KEY_SIZE);
	vs = get32(info, MI_VALUE_SIZE);
	max = get32(info, MI_MAX_ENTRIES);
	r->check_first = bpfemu_map_check(fd) ? errno : 0;
	vb = value_bytes(type, vs);
	if (ks > MF_MAX_KEY || vb > MF_MAX_VALUE || !vb || (val = calloc(1, vb)) == NULL) {
		r->check_last = r->check_first;
		return;
	}
	if (!ks)
		exercise_qs(fd, r, val, vb);
	else
		exercise_keyed(fd, r, type, ks, max, val, vb);
	free(val);
	r->check_last = bpfemu_map_check(fd) ? errno : 0;
}

static uint64_t xorshift(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

unsigned mf_corrupt(unsigned char *buf, size_t len, size_t hdr_size, long seed, long t, bool header_only,
		    bool anywhere)
{
	uint64_t st = ((uint64_t)seed << 32 ^ (uint64_t)t) * 0x9e3779b97f4a7c15ull | 1;
	unsigned flips;

	for (int k = 0; k < 4; k++)
		xorshift(&st);
	flips = 1 + (unsigned)(xorshift(&st) % 8);
	for (unsigned f = 0; f < flips; f++) {
		bool hdr = header_only || (!anywhere && xorshift(&st) % 2);
		size_t pos = (size_t)(xorshift(&st) % (hdr ? hdr_size : len));

		buf[pos] ^= (unsigned char)(1u << (xorshift(&st) % 8));
	}
	return flips;
}

bool mf_log_has(const char *path, const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

void mf_copy_file(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "r"), *out = in ? fopen(to, "w") : NULL;
	size_t n;

	while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

void mf_report_failure(const char *what, long trial, const char *outcome, const char *log, bool quiet,
		       const char *save_dir, const void *buf, size_t len, const char *ext)
{
	printf("FAIL %s trial %ld: %s\n", what, trial, outcome);
	if (!quiet) {
		char line[512];
		FILE *f = fopen(log, "r");
		int n = 0;

		while (f && n++ < 12 && fgets(line, sizeof(line), f))
			printf("  | %s", line);
		if (f)
			fclose(f);
	}
	if (save_dir) {
		char path[4200];
		FILE *out;

		snprintf(path, sizeof(path), "%s/%s-%ld.%s", save_dir, what, trial, ext);
		out = fopen(path, "w");
		if (out) {
			fwrite(buf, 1, len, out);
			fclose(out);
		}
		snprintf(path, sizeof(path), "%s/%s-%ld.log", save_dir, what, trial);
		mf_copy_file(log, path);
	}
}

enum mf_end mf_child_end(pid_t pid, int rfd, void *r, size_t rsize, unsigned timeout, const char *log)
{
	struct timespec start, now;
	int status = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > (time_t)timeout + 5) { /* alarm() blocked or ignored */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(rfd);
			return MF_END_HANG;
		}
		usleep(1000);
	}
	memset(r, 0, rsize);
	if (read(rfd, r, rsize) != (ssize_t)rsize)
		memset(r, 0, rsize);
	close(rfd);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return MF_END_HANG;
	if (mf_log_has(log, "Sanitizer") || mf_log_has(log, "runtime error"))
		return MF_END_SANITIZER;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return MF_END_CRASH;
	return MF_END_EXITED;
}
