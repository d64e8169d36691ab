/* SPDX-License-Identifier: MIT */
/*
 * A client for tests of differential mode (bpfemu-run --diff): it makes bpf() calls the way
 * programs do (through syscall(), which the preload intercepts), including the awkward cases that
 * the mirroring has to get right: a key buffer that is also the next_key buffer, batch tokens in
 * and out of one variable, buffers that end at an unmapped page or sit in read-only memory, a
 * read-only attr, NULL attrs, dup'd and inherited fds, ids, pins, a content hash pointer inside
 * the info buffer, several threads, BTF objects and maps created with them (BPF_F_LOCK on values
 * with a spin lock), commands the emulator does not implement, and stores through an mmapable
 * array's mapping (by this process and by a child) between bpf() calls, and programs: loaded with
 * map fds in their instructions and in fd_array, refused by the checker (the log's first line),
 * run with BPF_PROG_TEST_RUN, their info and ids, attached to targets that do not exist here; and
 * the map types of objects, rings, tries and filters: maps of maps (fds in, ids out, inner maps a
 * program changes), a program array a run tail-calls through, a ring buffer a run writes records
 * into and a consumer empties through its mapping, LPM longest-prefix lookups and walks, bloom
 * filter pushes and peeks (by bpf() and by a program).
 *
 * It checks only what it can know without a kernel (that calls worked or failed as documented);
 * the test around it checks the diff report: no divergence, or the planted one.
 *
 * Usage: diffmode_client [SCENARIO...]   (default: all; names below)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "../diff/btf_blob.h"
#include "core/cpus.h" /* the project's one CPU-list parser */
#include "prog/insn_build.h"
#include "uapi/bpf_uapi.h"

static int failures;

#define FAIL(...)                                                                                   \
	do {                                                                                        \
		fprintf(stderr, "diffmode_client: " __VA_ARGS__);                                  \
		fputc('\n', stderr);                                                                \
		failures++;                                                                         \
	} while (0)

static long sys(int cmd, void *attr, unsigned size)
{
	long r = syscall(__NR_bpf, cmd, attr, size);

	return r < 0 ? -errno : r;
}

static void put32(unsigned char *a, unsigned off, uint32_t v) { memcpy(a + off, &v, 4); }
static void put64(unsigned char *a, unsigned off, uint64_t v) { memcpy(a + off, &v, 8); }
static void putp(unsigned char *a, unsigned off, const void *p) { put64(a, off, (uintptr_t)p); }

static int create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	long r;

	put32(a, 0, type);
	put32(a, 4, ks);
	put32(a, 8, vs);
	put32(a, 12, max);
	put32(a, 16, flags);
	memcpy(a + 28, "dm_map", 6);
	r = sys(EMU_BPF_MAP_CREATE, a, sizeof(a));
	if (r < 0)
		FAIL("create type %u: %s", type, strerror((int)-r));
	return (int)r;
}

static long elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	put32(a, 0, (uint32_t)fd);
	putp(a, 8, key);
	putp(a, 16, value);
	put64(a, 24, flags);
	return sys(cmd, a, cmd == EMU_BPF_MAP_DELETE_ELEM ? 16 : cmd == EMU_BPF_MAP_GET_NEXT_KEY ? 24 : 32);
}

static long batch(int cmd, int fd, void *in, void *out, void *keys, void *values, uint32_t *count)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	long r;

	putp(a, 0, in);
	putp(a, 8, out);
	putp(a, 16, keys);
	putp(a, 24, values);
	put32(a, 32, *count);
	put32(a, 36, (uint32_t)fd);
	r = sys(cmd, a, 56);
	memcpy(count, a + 32, 4);
	return r;
}

static long info(int fd, void *buf, uint32_t *len)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	long r;

	put32(a, 0, (uint32_t)fd);
	put32(a, 4, *len);
	putp(a, 8, buf);
	r = sys(EMU_BPF_OBJ_GET_INFO_BY_FD, a, 16);
	memcpy(len, a + 4, 4);
	return r;
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = emu_sysfs_possible_cpus();
	return n > 0 ? n : 1;
}

/* A buffer whose last byte is the last before an unmapped page. */
static void *page_end(size_t n)
{
	unsigned char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	munmap(p + 4096, 4096);
	return p + 4096 - n;
}

/* ---- scenarios ---- */

/* Every element command on every emulated type, with the buffer sharing programs do. */
static void types(void)
{
	static const uint32_t all[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH, EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };

	for (unsigned t = 0; t < 8; t++) {
		uint32_t type = all[t], pc = type == EMU_MAP_PERCPU_HASH || type == EMU_MAP_LRU_PERCPU_HASH || type == EMU_MAP_PERCPU_ARRAY;
		uint32_t ks = type == EMU_MAP_QUEUE || type == EMU_MAP_STACK ? 0 : 4, vs = 12, vb = pc ? 16 * (uint32_t)ncpus() : vs;
		int fd = create(type, ks, vs, 8, 0);
		unsigned char val[4096];
		uint32_t key, keys[16], count, tok;

		if (fd < 0)
			continue;
		for (key = 0; key < 12; key++) {
			memset(val, (int)key, sizeof(val));
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, ks ? &key : NULL, val, ks ? 0 : 2);
		}
		key = 3;
		elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, ks ? &key : NULL, val, 0);
		key = 77;
		elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, ks ? &key : NULL, val, 0);
		elem(EMU_BPF_MAP_DELETE_ELEM, fd, ks ? &key : NULL, NULL, 0);
		/* the classic walk: key and next_key are one variable */
		if (ks) {
			long r = elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, NULL, &key, 0);

			for (int i = 0; !r && i < 40; i++)
				r = elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, &key, &key, 0);
		}
		key = 5;
		elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, ks ? &key : NULL, val, 0);
		/* batch walk: the token goes out of and back into one variable */
		count = 3;
		if (!batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &tok, keys, val, &count))
			for (int i = 0; i < 10; i++) {
				count = 3;
				if (batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &tok, &tok, keys, val, &count))
					break;
			}
		for (unsigned i = 0; i < 4; i++)
			keys[i] = i + 1;
		memset(val, 0x42, 4 * vb);
		count = 4;
		batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, val, &count);
		count = 2;
		batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, &count);
		count = 8;
		batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, NULL, &tok, keys, val, &count);
		{
			unsigned char in[200];
			uint32_t len = sizeof(in);

			memset(in, 0, sizeof(in));
			memset(in + 40, 0xaa, 40); /* fields the kernel echoes back */
			info(fd, in, &len);
			len = 8;
			info(fd, in, &len);
		}
		if (elem(EMU_BPF_MAP_FREEZE, fd, NULL, NULL, 0) && elem(EMU_BPF_MAP_FREEZE, fd, NULL, NULL, 0) != -EPERM)
			FAIL("a second FREEZE is not EPERM");
		key = 1;
		if (elem(EMU_BPF_MAP_UPDATE_ELEM, fd, ks ? &key : NULL, val, 0) != -EPERM)
			FAIL("UPDATE of a frozen map is not EPERM");
		close(fd);
	}
}

/* Memory that faults, or that can be read but not written. */
static void memory(void)
{
	int fd = create(EMU_MAP_HASH, 4, 8, 16, 0), afd = create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	static const uint32_t ro_key = 1; /* in .rodata */
	uint32_t key = 1, count, keys[8];
	uint64_t v = 7, *ro;
	unsigned char *pe, a[EMU_ATTR_SIZE] = { 0 };
	long r;

	if (fd < 0 || afd < 0)
		return;
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &key, &v, 0);
	key = 2;
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &key, &v, 0);
	if (elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &ro_key, &v, 0))
		FAIL("LOOKUP with a key in read-only memory failed");
	/* value buffer a byte short of an unmapped page: EFAULT after a partial copy */
	pe = page_end(7);
	if (elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &ro_key, pe, 0) != -EFAULT)
		FAIL("LOOKUP into a short buffer is not EFAULT");
	/* value buffer readable but not writable */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &ro_key, ro, 0) != -EFAULT)
		FAIL("LOOKUP into read-only memory is not EFAULT");
	if (elem(EMU_BPF_MAP_GET_NEXT_KEY, fd, NULL, ro, 0) != -EFAULT)
		FAIL("GET_NEXT_KEY into read-only memory is not EFAULT");
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &ro_key, ro, 0); /* reading read-only memory is fine */
	elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &ro_key, NULL, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, (void *)16, &v, 0);
	/* batch with the keys buffer ending early */
	count = 8;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, keys, page_end(5), &v, &count);
	count = 8;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, afd, NULL, keys, keys, page_end(12), &count);
	/* an attr in read-only memory: read fine, its count cannot be written */
	put32(a, 32, 4);
	put32(a, 36, (uint32_t)fd);
	putp(a, 16, keys);
	putp(a, 24, keys);
	{
		unsigned char *rattr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memcpy(rattr, a, sizeof(a));
		mprotect(rattr, 4096, PROT_READ);
		r = sys(EMU_BPF_MAP_LOOKUP_BATCH, rattr, 56);
		if (r != -EFAULT)
			FAIL("LOOKUP_BATCH with a read-only attr is not EFAULT (%ld)", r);
		put32(a, 0, (uint32_t)fd);
		putp(a, 8, &ro_key);
		putp(a, 16, &v);
		memset(a + 24, 0, 32);
		mprotect(rattr, 4096, PROT_READ | PROT_WRITE);
		memcpy(rattr, a, 32);
		mprotect(rattr, 4096, PROT_READ);
		if (sys(EMU_BPF_MAP_LOOKUP_ELEM, rattr, 32))
			FAIL("LOOKUP with a read-only attr failed");
	}
	/* attrs that are NULL, short, or end at an unmapped page */
	sys(EMU_BPF_MAP_LOOKUP_ELEM, NULL, 0);
	sys(EMU_BPF_MAP_UPDATE_ELEM, NULL, 32);
	sys(EMU_BPF_MAP_GET_NEXT_ID, NULL, 0);
	pe = page_end(12);
	memset(pe, 0, 12);
	sys(EMU_BPF_MAP_LOOKUP_BATCH, pe, 12);
	sys(EMU_BPF_MAP_LOOKUP_ELEM, pe, 16);
	/* info into read-only memory and at a page end */
	{
		uint32_t len = 104;

		info(fd, ro, &len);
		len = 104;
		info(fd, page_end(50), &len);
	}
	/* bad fds */
	elem(EMU_BPF_MAP_LOOKUP_ELEM, -1, &key, &v, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, 999, &key, &v, 0);
	{
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		elem(EMU_BPF_MAP_LOOKUP_ELEM, null, &key, &v, 0);
		close(null);
	}
	/* the numbers just past ours, where a kernel mirror could sit */
	for (int f = 3; f < 1100; f += 97)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, f, &key, &v, 0);
	/* unknown and not emulated commands */
	sys(100, a, sizeof(a));
	sys(-1, a, sizeof(a));
	sys(EMU_BPF_LINK_GET_NEXT_ID, a, sizeof(a)); /* ids: which exist differs by design */
	sys(EMU_BPF_TASK_FD_QUERY, a, sizeof(a));    /* not emulated */
	close(fd);
	close(afd);
}

/* fds the program did not get from MAP_CREATE: dup'd, by id, by pin, inherited. */
static void fds(const char *pin_dir)
{
	int fd = create(EMU_MAP_HASH, 8, 8, 32, 0), d, byid;
	uint64_t key = 1, v = 2;
	unsigned char in[104];
	uint32_t len = sizeof(in), id, next;
	unsigned char a[EMU_ATTR_SIZE];
	char path[512];
	pid_t pid;
	int status;

	if (fd < 0)
		return;
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &key, &v, 0);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* libbpf moves low fds like this */
	key = 2;
	if (elem(EMU_BPF_MAP_UPDATE_ELEM, d, &key, &v, 0))
		FAIL("UPDATE through a dup'd fd failed");
	memset(in, 0, sizeof(in));
	info(fd, in, &len);
	memcpy(&id, in + 4, 4);
	/* walk the ids as bpftool map show does */
	for (uint32_t start = 0;; start = next) {
		memset(a, 0, sizeof(a));
		put32(a, 0, start);
		if (sys(EMU_BPF_MAP_GET_NEXT_ID, a, 12))
			break;
		memcpy(&next, a + 4, 4);
		memset(a, 0, sizeof(a));
		put32(a, 0, next);
		byid = (int)sys(EMU_BPF_MAP_GET_FD_BY_ID, a, 12);
		if (byid >= 0) {
			len = sizeof(in);
			info(byid, in, &len);
			close(byid);
		}
	}
	memset(a, 0, sizeof(a));
	put32(a, 0, id);
	put32(a, 8, 1u << 3); /* BPF_F_RDONLY */
	byid = (int)sys(EMU_BPF_MAP_GET_FD_BY_ID, a, 12);
	if (byid < 0)
		FAIL("GET_FD_BY_ID of our own map: %s", strerror((int)-byid));
	else if (elem(EMU_BPF_MAP_UPDATE_ELEM, byid, &key, &v, 0) != -EPERM)
		FAIL("UPDATE through a read-only fd is not EPERM");
	elem(EMU_BPF_MAP_LOOKUP_ELEM, byid, &key, &v, 0);
	close(byid);
	/* pins */
	snprintf(path, sizeof(path), "%s/dm_pinned", pin_dir);
	memset(a, 0, sizeof(a));
	putp(a, 0, path);
	put32(a, 8, (uint32_t)fd);
	if (sys(EMU_BPF_OBJ_PIN, a, 20))
		FAIL("OBJ_PIN %s failed", path);
	memset(a, 0, sizeof(a));
	putp(a, 0, path);
	byid = (int)sys(EMU_BPF_OBJ_GET, a, 20);
	if (byid < 0)
		FAIL("OBJ_GET %s failed", path);
	key = 3;
	elem(EMU_BPF_MAP_UPDATE_ELEM, byid, &key, &v, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, byid, &key, &v, 0);
	close(byid);
	unlink(path);
	/* a child inherits the fds and the mirrors */
	pid = fork();
	if (pid == 0) {
		key = 4;
		elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &key, &v, 0);
		elem(EMU_BPF_MAP_GET_NEXT_KEY, d, NULL, &key, 0);
		exit(0);
	}
	waitpid(pid, &status, 0);
	key = 4;
	if (elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &key, &v, 0))
		FAIL("the child's update is not visible");
	/* close and reuse the number with a map of another shape */
	close(d);
	d = create(EMU_MAP_ARRAY, 4, 4, 4, 0);
	key = 0;
	elem(EMU_BPF_MAP_LOOKUP_ELEM, d, &key, &v, 0);
	close(d);
	close(fd);
}

/* OBJ_GET_INFO_BY_FD's content hash: a pointer inside the info buffer. */
static void content_hash(void)
{
	int fd = create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	unsigned char in[104], hash[32];
	uint64_t p = (uintptr_t)hash;
	uint32_t len = sizeof(in), hs = 32, key = 1;
	uint64_t v = 99;

	if (fd < 0)
		return;
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &key, &v, 0);
	memset(in, 0, sizeof(in));
	memcpy(in + 88, &p, 8);
	memcpy(in + 96, &hs, 4);
	if (info(fd, in, &len) != -EPERM)
		FAIL("the content hash of an unfrozen array is not EPERM");
	elem(EMU_BPF_MAP_FREEZE, fd, NULL, NULL, 0);
	len = sizeof(in);
	if (info(fd, in, &len))
		FAIL("the content hash of a frozen array failed");
	close(fd);
}

static int shared_fd;

static void *worker(void *arg)
{
	uint32_t base = (uint32_t)(uintptr_t)arg;

	for (uint32_t i = 0; i < 200; i++) {
		uint32_t key = base + i % 50, v = i;

		elem(EMU_BPF_MAP_UPDATE_ELEM, shared_fd, &key, &v, 0);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, shared_fd, &key, &v, 0);
		if (i % 7 == 0)
			elem(EMU_BPF_MAP_DELETE_ELEM, shared_fd, &key, NULL, 0);
	}
	return NULL;
}

/* Threads: the two halves of each call must not interleave with another thread's. */
static void threads(void)
{
	pthread_t t[3];
	uint32_t key;
	long r;

	shared_fd = create(EMU_MAP_LRU_HASH, 4, 4, 64, 0);
	if (shared_fd < 0)
		return;
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i * 40));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	r = elem(EMU_BPF_MAP_GET_NEXT_KEY, shared_fd, NULL, &key, 0);
	for (int i = 0; !r && i < 200; i++)
		r = elem(EMU_BPF_MAP_GET_NEXT_KEY, shared_fd, &key, &key, 0);
	close(shared_fd);
}

/* A larger batch than the shadow's first page. */
static void big(void)
{
	int fd = create(EMU_MAP_PERCPU_HASH, 16, 100, 2000, 0);
	size_t vb = 104 * (size_t)ncpus();
	unsigned char *keys = calloc(2000, 16), *vals = calloc(2000, vb);
	uint32_t count = 2000, tok;

	if (fd < 0 || !keys || !vals)
		return;
	for (uint32_t i = 0; i < 2000; i++) {
		memcpy(keys + i * 16, &i, 4);
		memset(vals + i * vb, (int)i, vb);
	}
	batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, vals, &count);
	if (count != 2000)
		FAIL("UPDATE_BATCH of 2000: count %u", count);
	memset(keys, 0, 2000 * 16);
	memset(vals, 0, 2000 * vb);
	count = 2000;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &tok, keys, vals, &count);
	if (count != 2000)
		FAIL("LOOKUP_BATCH of 2000: count %u", count);
	free(keys);
	free(vals);
	close(fd);
}

/* BTF: loads (one with a log, one that fails), maps created with the BTF, their info and the
 * BTF's, BPF_F_LOCK on element and batch commands. */
static void btf(void)
{
	unsigned char blob[4096], a[EMU_ATTR_SIZE], bad[64], binfo[32];
	static unsigned char log[65536];
	uint32_t n = bb_blob(blob), len, count, tok, keys[4] = { 0, 1, 2, 3 };
	unsigned char v[12 * 4], out[12 * 4];
	long bfd, h = -1, arr = -1;

	memset(a, 0, sizeof(a));
	putp(a, BTF_BLOB, blob);
	put32(a, BTF_SIZE, n);
	putp(a, BTF_LOG_BUF, log);
	put32(a, BTF_LOG_SIZE, sizeof(log));
	put32(a, BTF_LOG_LEVEL, 1);
	bfd = sys(EMU_BPF_BTF_LOAD, a, sizeof(a));
	if (bfd < 0) {
		FAIL("BTF_LOAD: %s", strerror((int)-bfd));
		return;
	}
	memcpy(bad, blob, sizeof(bad));
	bad[4] = 99; /* hdr_len */
	putp(a, BTF_BLOB, bad);
	put32(a, BTF_SIZE, sizeof(bad));
	sys(EMU_BPF_BTF_LOAD, a, sizeof(a));
	memset(binfo, 0, sizeof(binfo));
	len = sizeof(binfo);
	info((int)bfd, binfo, &len);
	for (int t = 0; t < 2; t++) {
		memset(a, 0, sizeof(a));
		put32(a, MC_TYPE, t ? EMU_MAP_ARRAY : EMU_MAP_HASH);
		put32(a, MC_KEY_SIZE, 4);
		put32(a, MC_VALUE_SIZE, 12);
		put32(a, MC_MAX_ENTRIES, 4);
		put32(a, MC_BTF_FD, (uint32_t)bfd);
		put32(a, MC_BTF_KEY, BB_INT);
		put32(a, MC_BTF_VALUE, BB_VAL);
		if (t)
			arr = sys(EMU_BPF_MAP_CREATE, a, sizeof(a));
		else
			h = sys(EMU_BPF_MAP_CREATE, a, sizeof(a));
	}
	if (h < 0 || arr < 0) {
		FAIL("MAP_CREATE with BTF: %s", strerror((int)-(h < 0 ? h : arr)));
		return;
	}
	for (int t = 0; t < 2; t++) {
		int fd = (int)(t ? arr : h);
		unsigned char mi[104];

		memset(v, 0xff, sizeof(v));
		for (uint32_t k = 0; k < 3; k++) {
			elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &k, v, k == 1 ? EMU_F_LOCK : 0);
			elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &k, out, k == 2 ? EMU_F_LOCK : 0);
		}
		elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &keys[1], out, EMU_F_LOCK);
		count = 4;
		batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, v, &count);
		count = 4;
		batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &tok, keys, out, &count);
		memset(mi, 0, sizeof(mi));
		len = sizeof(mi);
		info(fd, mi, &len);
		memset(a, 0, sizeof(a));
		put32(a, 0, (uint32_t)fd);
		sys(EMU_BPF_MAP_FREEZE, a, sizeof(a));
		close(fd);
	}
	close((int)bfd);
}

/* Stores through an mmapable array's mapping, here and in a child, between bpf() calls: the
 * kernel's mirror must see them (issue 16 item 8), so lookups compare without a divergence. */
static void mmap_writes(void)
{
	const uint32_t vs = 12, stride = 16, max = 300; /* a value size with padding; two pages */
	int fd = create(EMU_MAP_ARRAY, 4, vs, max, EMU_F_MMAPABLE);
	unsigned char *v, got[12], want[12], keys[4 * 300], vals[12 * 300];
	uint32_t count = max, k;
	pid_t pid;
	int st;

	if (fd < 0)
		return;
	v = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED) {
		FAIL("mmap of an mmapable array: %s", strerror(errno));
		close(fd);
		return;
	}
	/* before any other call on the map */
	memset(v + 7 * stride, 0x77, vs);
	k = 7;
	if (elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0) || memcmp(got, v + 7 * stride, vs))
		FAIL("lookup after a store through the mapping");
	/* an update through bpf() seen through the mapping, then a store over it */
	memset(want, 0x42, vs);
	k = 299;
	elem(EMU_BPF_MAP_UPDATE_ELEM, fd, &k, want, 0);
	if (memcmp(v + 299 * stride, want, vs))
		FAIL("the mapping does not show an update");
	v[299 * stride] = 0x43;
	elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0);
	/* a child's stores through its own mapping (inherited) */
	pid = fork();
	if (pid == 0) {
		for (uint32_t i = 100; i < 200; i++)
			memcpy(v + i * stride, &i, 4);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	for (k = 100; k < 200; k += 33)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0);
	batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &k, keys, vals, &count);
	if (count != max)
		FAIL("LOOKUP_BATCH of an mmapable array: count %u", count);
	munmap(v, 2 * 4096);
	close(fd);
}

static long load(uint32_t type, const struct emu_insn *insns, uint32_t cnt, const int *fd_array, char *log, uint32_t logsz,
		 const char *name)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	put32(a, PL_TYPE, type);
	put32(a, PL_INSN_CNT, cnt);
	putp(a, PL_INSNS, insns);
	putp(a, PL_LICENSE, "GPL");
	if (log) {
		put32(a, PL_LOG_LEVEL, 1);
		put32(a, PL_LOG_SIZE, logsz);
		putp(a, PL_LOG_BUF, log);
	}
	if (name)
		memcpy(a + PL_NAME, name, strlen(name) < 15 ? strlen(name) : 15);
	if (fd_array)
		putp(a, PL_FD_ARRAY, fd_array);
	return sys(EMU_BPF_PROG_LOAD, a, sizeof(a));
}

static long test_run(int fd, const void *in, uint32_t n, void *out, uint32_t nout, uint32_t repeat)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	put32(a, TR_PROG_FD, (uint32_t)fd);
	put32(a, TR_DATA_SIZE_IN, n);
	putp(a, TR_DATA_IN, in);
	put32(a, TR_DATA_SIZE_OUT, nout);
	putp(a, TR_DATA_OUT, out);
	put32(a, TR_REPEAT, repeat);
	return sys(EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
}

/* Programs: loads (map fds in ld_imm64 and fd_array, refusals), runs, info, ids, attaching. */
static void progs(void)
{
	int h = create(EMU_MAP_HASH, 4, 8, 16, 0), arr = create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	int fda[2] = { arr, h };
	/* count packets per key 1 in the hash (insert on first), add the length to array[2] */
	struct emu_insn count[] = {
		EI_MOV64_REG(6, 1),
		EI_ST_MEM(EMU_W, 10, -4, 1),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)h),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_CALL_HELPER(EMU_FN_map_lookup_elem),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 3),
		EI_MOV64_IMM(1, 1),
		EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0),
		EI_JA(9),
		EI_ST_MEM(EMU_DW, 10, -16, 1),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)h),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_MOV64_REG(3, 10),
		EI_ALU64_IMM(EMU_ADD, 3, -16),
		EI_MOV64_IMM(4, EMU_NOEXIST),
		EI_CALL_HELPER(EMU_FN_map_update_elem),
		EI_ST_MEM(EMU_W, 10, -4, 2),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_IDX, 0),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_CALL_HELPER(EMU_FN_map_lookup_elem),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 3),
		EI_LDX_MEM(EMU_W, 1, 6, 0), /* skb->len */
		EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0),
		EI_MOV64_IMM(0, 0),
		EI_MOV64_IMM(0, 1),
		EI_EXIT(),
	};
	struct emu_insn uninit[] = { EI_EXIT() };
	struct emu_insn stack_oob[] = { EI_ST_MEM(EMU_DW, 10, 8, 0), EI_MOV64_IMM(0, 0), EI_EXIT() };
	struct emu_insn bad_helper[] = { EI_CALL_HELPER(10000), EI_MOV64_IMM(0, 0), EI_EXIT() };
	struct emu_insn ret1[] = { EI_MOV64_IMM(0, 1), EI_EXIT() };
	struct emu_insn xdp_pass[] = { EI_MOV64_IMM(0, 2), EI_EXIT() };
	static char log[4096];
	unsigned char pkt[64], out[128], a[EMU_ATTR_SIZE], inf[PI_SIZE];
	uint32_t ids[8], len, id;
	long p, q, cg, xdp, r;

	memset(pkt, 0x5a, sizeof(pkt));
	p = load(EMU_PROG_SOCKET_FILTER, count, EI_COUNT(count), fda, log, sizeof(log), "dm_count");
	if (p < 0) {
		FAIL("progs: load the counting program: %s", strerror((int)-p));
		return;
	}
	for (int i = 0; i < 3; i++)
		if ((r = test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 1 + (uint32_t)i)))
			FAIL("progs: test run: %s", strerror((int)-r));
	test_run((int)p, pkt, sizeof(pkt), out, 8, 1); /* data_out too short: ENOSPC */
	test_run((int)p, pkt, 8, out, sizeof(out), 1);  /* shorter than an Ethernet header */
	/* refusals: the log's first line on both sides */
	load(EMU_PROG_SOCKET_FILTER, uninit, EI_COUNT(uninit), NULL, log, sizeof(log), "dm_uninit");
	load(EMU_PROG_SOCKET_FILTER, stack_oob, EI_COUNT(stack_oob), NULL, log, sizeof(log), "dm_oob");
	load(EMU_PROG_SOCKET_FILTER, bad_helper, EI_COUNT(bad_helper), NULL, log, sizeof(log), "dm_helper");
	load(EMU_PROG_SOCKET_FILTER, count, EI_COUNT(count), NULL, log, sizeof(log), "dm_nofda"); /* no fd_array */
	/* info, with the map ids and the xlated program */
	memset(inf, 0, sizeof(inf));
	put32(inf, PI_NR_MAP_IDS, 8);
	putp(inf, PI_MAP_IDS, ids);
	len = sizeof(inf);
	if (info((int)p, inf, &len))
		FAIL("progs: info");
	memset(inf, 0, sizeof(inf));
	len = 40; /* a short info */
	info((int)p, inf, &len);
	/* by id: the kernel's twin found through the pair of ids */
	memset(inf, 0, sizeof(inf));
	len = sizeof(inf);
	if (!info((int)p, inf, &len)) {
		memcpy(&id, inf + PI_ID, 4);
		memset(a, 0, sizeof(a));
		put32(a, ID_START, id);
		q = sys(EMU_BPF_PROG_GET_FD_BY_ID, a, ID_PROG_GET_FD_END);
		if (q < 0) {
			FAIL("progs: PROG_GET_FD_BY_ID: %s", strerror((int)-q));
		} else {
			test_run((int)q, pkt, sizeof(pkt), out, sizeof(out), 1);
			close((int)q);
		}
		memset(a, 0, sizeof(a));
		sys(EMU_BPF_PROG_GET_NEXT_ID, a, ID_GET_NEXT_END);
	}
	/* bind a map */
	memset(a, 0, sizeof(a));
	put32(a, BM_PROG_FD, (uint32_t)p);
	put32(a, BM_MAP_FD, (uint32_t)arr);
	sys(EMU_BPF_PROG_BIND_MAP, a, BM_END);
	/* attaching: no target exists for the emulator; the kernel is given one that does not */
	cg = load(EMU_PROG_CGROUP_SKB, ret1, EI_COUNT(ret1), NULL, NULL, 0, "dm_cg");
	xdp = load(EMU_PROG_XDP, xdp_pass, EI_COUNT(xdp_pass), NULL, NULL, 0, "dm_xdp");
	{
		int cgfd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		memset(a, 0, sizeof(a));
		put32(a, AT_TARGET_FD, (uint32_t)cgfd);
		put32(a, AT_BPF_FD, (uint32_t)cg);
		put32(a, AT_TYPE, EMU_ATTACH_CGROUP_INET_INGRESS);
		sys(EMU_BPF_PROG_ATTACH, a, AT_END);
		put32(a, AT_BPF_FD, (uint32_t)p); /* the wrong program type */
		sys(EMU_BPF_PROG_ATTACH, a, AT_END);
		sys(EMU_BPF_PROG_DETACH, a, AT_END);
		memset(a, 0, sizeof(a));
		put32(a, LC_PROG_FD, (uint32_t)xdp);
		put32(a, LC_TARGET_FD, 1); /* lo */
		put32(a, LC_ATTACH_TYPE, EMU_ATTACH_XDP);
		sys(EMU_BPF_LINK_CREATE, a, LC_END);
		put32(a, LC_ATTACH_TYPE, EMU_ATTACH_TCX_INGRESS);
		sys(EMU_BPF_LINK_CREATE, a, LC_END);
		memset(a, 0, sizeof(a));
		putp(a, RT_NAME, "sys_enter");
		put32(a, RT_PROG_FD, (uint32_t)p);
		sys(EMU_BPF_RAW_TRACEPOINT_OPEN, a, RT_END); /* not comparable: said */
		if (cgfd >= 0)
			close(cgfd);
	}
	if (cg >= 0)
		close((int)cg);
	if (xdp >= 0)
		close((int)xdp);
	/* the maps closed before the program: still compared after a run, found by id */
	close(h);
	close(arr);
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 1);
	close((int)p);
}

/* ---- the map types of objects, rings, tries and filters (shim/diffmode/maptypes.c) ---- */

static long create_x(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, int inner, uint64_t extra)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	put32(a, MC_TYPE, type);
	put32(a, MC_KEY_SIZE, ks);
	put32(a, MC_VALUE_SIZE, vs);
	put32(a, MC_MAX_ENTRIES, max);
	put32(a, MC_FLAGS, flags);
	put32(a, MC_INNER_FD, (uint32_t)inner);
	put64(a, MC_EXTRA, extra);
	memcpy(a + MC_NAME, "dm_x", 4);
	return sys(EMU_BPF_MAP_CREATE, a, sizeof(a));
}

static uint32_t map_id(int fd)
{
	unsigned char inf[MI_SIZE] = { 0 };
	uint32_t len = sizeof(inf), id = 0;

	if (!info(fd, inf, &len))
		memcpy(&id, inf + MI_ID, 4);
	return id;
}

/* ARRAY_OF_MAPS and HASH_OF_MAPS: inner maps as values (fds in, ids out), every command. */
static void ofmaps(void)
{
	int in1 = create(EMU_MAP_ARRAY, 4, 8, 4, 0), in2 = create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	int other = create(EMU_MAP_HASH, 4, 8, 4, 0), small = create(EMU_MAP_ARRAY, 4, 4, 4, 0);
	long aom = create_x(EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, in1, 0);
	long hom = create_x(EMU_MAP_HASH_OF_MAPS, 4, 4, 8, 0, in1, 0);
	uint32_t k, v, nk, keys[8], vals[8], count, tok;
	uint64_t big = 7;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (aom < 0 || hom < 0) {
		FAIL("ofmaps: create: %ld %ld", aom, hom);
		return;
	}
	/* creations the kernel refuses */
	create_x(EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, 1000, 0);        /* no such fd */
	create_x(EMU_MAP_ARRAY_OF_MAPS, 4, 8, 4, 0, in1, 0);         /* value not 4 bytes */
	create_x(EMU_MAP_HASH_OF_MAPS, 4, 4, 4, 0, (int)aom, 0);     /* an of-map as inner map */
	create_x(EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, null, 0);        /* not a map */
	/* updates: fds of maps, and what is not one */
	for (k = 0; k < 4; k++) {
		v = (uint32_t)(k & 1 ? in2 : in1);
		if (elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, 0))
			FAIL("ofmaps: update array of maps %u", k);
		if (k < 3 && elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, &v, 0))
			FAIL("ofmaps: update hash of maps %u", k);
	}
	k = 1;
	v = (uint32_t)other; /* another type than the template: EINVAL */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, 0);
	v = (uint32_t)small; /* another value size */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, &v, 0);
	v = 1000; /* no such fd */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, 0);
	v = (uint32_t)null;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, &v, 0);
	v = (uint32_t)in1;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, EMU_NOEXIST); /* fd arrays take BPF_ANY only */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, &v, EMU_NOEXIST);  /* exists */
	k = 9;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, 0); /* past the end */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, page_end(2), 0); /* value runs into a fault */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, NULL, 0);
	/* lookups answer inner map ids */
	for (k = 0; k < 5; k++) {
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)aom, &k, &v, 0);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)hom, &k, &v, 0);
	}
	elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)hom, &k, &big, 0);
	/* walks */
	for (long r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)hom, NULL, &nk, 0); !r; r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)hom, &nk, &nk, 0))
		;
	for (long r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)aom, NULL, &nk, 0); !r; r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)aom, &nk, &nk, 0))
		;
	/* batches: ids out, fds in */
	count = 8;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, (int)aom, NULL, &tok, keys, vals, &count);
	count = 2;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, (int)aom, NULL, &tok, keys, vals, &count);
	count = 8;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, (int)hom, NULL, &tok, keys, vals, &count);
	keys[0] = 5, keys[1] = 6, keys[2] = 7;
	vals[0] = (uint32_t)in2, vals[1] = (uint32_t)in1, vals[2] = (uint32_t)other;
	count = 3; /* the third is refused: two done */
	batch(EMU_BPF_MAP_UPDATE_BATCH, (int)hom, NULL, NULL, keys, vals, &count);
	count = 2;
	batch(EMU_BPF_MAP_UPDATE_BATCH, (int)aom, NULL, NULL, keys, vals, &count); /* keys past the end */
	keys[0] = 0, keys[1] = 3;
	count = 2;
	batch(EMU_BPF_MAP_UPDATE_BATCH, (int)aom, NULL, NULL, keys, vals, &count);
	/* the inner maps' fds closed: the outer map keeps them, ids still name them */
	k = 2;
	v = (uint32_t)create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)hom, &k, &v, 0);
	close((int)v);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)hom, &k, &v, 0);
	{
		unsigned char a[EMU_ATTR_SIZE] = { 0 };
		uint64_t val = 0x1234;
		uint32_t ik = 1;
		long f;

		put32(a, ID_START, v);
		f = sys(EMU_BPF_MAP_GET_FD_BY_ID, a, ID_GET_FD_END);
		if (f >= 0) {
			elem(EMU_BPF_MAP_UPDATE_ELEM, (int)f, &ik, &val, 0);
			elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)f, &ik, &val, 0);
			close((int)f);
		} /* (no FAIL: with a planted fault the id a lookup answers names no map) */
	}
	if (map_id(in1) == 0)
		FAIL("ofmaps: no id");
	elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, (int)hom, &k, &v, 0);
	count = 8;
	batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, (int)hom, NULL, &tok, keys, vals, &count);
	batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, (int)aom, NULL, &tok, keys, vals, &count);
	k = 0;
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)aom, &k, NULL, 0);
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)hom, &k, NULL, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)aom, &k, &v, 0);
	close(in1);
	close(in2);
	close(other);
	close(small);
	close((int)aom);
	close((int)hom);
	if (null >= 0)
		close(null);
}

/* A socket filter that looks up key 0 of the outer map fd and adds 1 to element 1 of the inner
 * map (inner maps changed by a program: compared after the run through the outer map). */
static void ofmaps_run(void)
{
	int in1 = create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	long aom = create_x(EMU_MAP_ARRAY_OF_MAPS, 4, 4, 2, 0, in1, 0);
	struct emu_insn prog[] = {
		EI_ST_MEM(EMU_W, 10, -4, 0),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)aom),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_CALL_HELPER(EMU_FN_map_lookup_elem),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 8),
		EI_ST_MEM(EMU_W, 10, -8, 1),
		EI_MOV64_REG(1, 0),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -8),
		EI_CALL_HELPER(EMU_FN_map_lookup_elem),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 2),
		EI_MOV64_IMM(1, 1),
		EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0),
		EI_MOV64_IMM(0, 0),
		EI_EXIT(),
	};
	unsigned char pkt[64] = { 0 }, out[128];
	uint32_t k = 0, v = (uint32_t)in1;
	long p;

	if (aom < 0 || elem(EMU_BPF_MAP_UPDATE_ELEM, (int)aom, &k, &v, 0)) {
		FAIL("ofmaps_run: setup");
		return;
	}
	p = load(EMU_PROG_SOCKET_FILTER, prog, EI_COUNT(prog), NULL, NULL, 0, "dm_ofmap");
	if (p < 0) {
		FAIL("ofmaps_run: load: %s", strerror((int)-p));
		return;
	}
	close(in1); /* the inner map lives in the outer one */
	for (int i = 0; i < 3; i++)
		if (test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 1))
			FAIL("ofmaps_run: test run");
	close((int)p);
	close((int)aom);
}

/* PROG_ARRAY: programs as values, lookups from user space, a run that tail-calls. */
static void progarray(void)
{
	long pa = create_x(EMU_MAP_PROG_ARRAY, 4, 4, 4, 0, 0, 0), callee, caller, r;
	struct emu_insn ret42[] = { EI_MOV64_IMM(0, 42), EI_EXIT() };
	struct emu_insn tail[] = {
		EI_LD_IMM64_RAW(2, EMU_PSEUDO_MAP_FD, (uint32_t)pa),
		EI_MOV64_IMM(3, 0),
		EI_CALL_HELPER(EMU_FN_tail_call),
		EI_MOV64_IMM(0, 1),
		EI_EXIT(),
	};
	unsigned char pkt[64] = { 0 }, out[128], a[EMU_ATTR_SIZE];
	uint32_t k, v, nk, keys[4], vals[4], count = 4;
	int m = create(EMU_MAP_ARRAY, 4, 4, 1, 0);

	if (pa < 0) {
		FAIL("progarray: create: %s", strerror((int)-pa));
		return;
	}
	create_x(EMU_MAP_PROG_ARRAY, 4, 8, 4, 0, 0, 0); /* value not 4 bytes */
	callee = load(EMU_PROG_SOCKET_FILTER, ret42, EI_COUNT(ret42), NULL, NULL, 0, "dm_callee");
	caller = load(EMU_PROG_SOCKET_FILTER, tail, EI_COUNT(tail), NULL, NULL, 0, "dm_caller");
	if (callee < 0 || caller < 0) {
		FAIL("progarray: load: %ld %ld", callee, caller);
		return;
	}
	k = 0;
	v = (uint32_t)callee;
	if ((r = elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0)))
		FAIL("progarray: update: %s", strerror((int)-r));
	k = 2;
	v = (uint32_t)caller;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	k = 1;
	v = (uint32_t)m; /* a map is not a program */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	v = 1000;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	k = 4;
	v = (uint32_t)callee;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	for (k = 0; k < 5; k++)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)pa, &k, &v, 0);
	for (long q = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)pa, NULL, &nk, 0); !q; q = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)pa, &nk, &nk, 0))
		;
	batch(EMU_BPF_MAP_LOOKUP_BATCH, (int)pa, NULL, &k, keys, vals, &count);
	/* runs: the tail call taken, then not */
	memset(a, 0, sizeof(a));
	if (test_run((int)caller, pkt, sizeof(pkt), out, sizeof(out), 1))
		FAIL("progarray: test run");
	k = 0;
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)pa, &k, NULL, 0);
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)pa, &k, NULL, 0);
	test_run((int)caller, pkt, sizeof(pkt), out, sizeof(out), 1);
	k = 0;
	v = (uint32_t)callee;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	test_run((int)caller, pkt, sizeof(pkt), out, sizeof(out), 3);
	close((int)callee);
	close((int)caller);
	close((int)pa);
	close(m);
}

/* RINGBUF: records made by runs (output, reserve+submit, reserve+discard), consumed through the
 * mapping between runs, the ring filled up and wrapped. */
static void ringbuf(void)
{
	long rb = create_x(EMU_MAP_RINGBUF, 0, 0, 16384, 0, 0, 0), p;
	struct emu_insn prog[] = {
		EI_MOV64_REG(6, 1),
		EI_LDX_MEM(EMU_W, 7, 6, 0), /* skb->len */
		EI_ST_MEM(EMU_DW, 10, -16, 0x11223344),
		EI_STX_MEM(EMU_DW, 10, 7, -8),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)rb),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -16),
		EI_MOV64_IMM(3, 12),
		EI_MOV64_IMM(4, 0),
		EI_CALL_HELPER(EMU_FN_ringbuf_output),
		EI_MOV64_REG(8, 0),
		/* reserve 24, fill, submit */
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)rb),
		EI_MOV64_IMM(2, 24),
		EI_MOV64_IMM(3, 0),
		EI_CALL_HELPER(EMU_FN_ringbuf_reserve),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 7),
		EI_ST_MEM(EMU_DW, 0, 0, 0x55),
		EI_STX_MEM(EMU_DW, 0, 7, 8),
		EI_STX_MEM(EMU_DW, 0, 8, 16),
		EI_MOV64_REG(1, 0),
		EI_MOV64_IMM(2, 0),
		EI_CALL_HELPER(EMU_FN_ringbuf_submit),
		EI_JA(0),
		/* reserve 8, discard */
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)rb),
		EI_MOV64_IMM(2, 8),
		EI_MOV64_IMM(3, 0),
		EI_CALL_HELPER(EMU_FN_ringbuf_reserve),
		EI_JMP_IMM(EMU_JEQ, 0, 0, 4),
		EI_MOV64_REG(1, 0),
		EI_MOV64_IMM(2, 0),
		EI_CALL_HELPER(EMU_FN_ringbuf_discard),
		EI_JA(0),
		EI_MOV64_REG(0, 8),
		EI_EXIT(),
	};
	unsigned char pkt[64] = { 0 }, out[128];
	uint32_t k = 0, v = 0;
	unsigned long *cons = NULL, *prod = NULL;

	if (rb < 0) {
		FAIL("ringbuf: create: %s", strerror((int)-rb));
		return;
	}
	create_x(EMU_MAP_RINGBUF, 4, 0, 16384, 0, 0, 0); /* a key */
	create_x(EMU_MAP_RINGBUF, 0, 0, 10000, 0, 0, 0); /* not a power of 2 */
	create_x(EMU_MAP_USER_RINGBUF, 0, 0, 1000, 0, 0, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)rb, &k, &v, 0);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)rb, &k, &v, 0);
	elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)rb, NULL, &k, 0);
	p = load(EMU_PROG_SOCKET_FILTER, prog, EI_COUNT(prog), NULL, NULL, 0, "dm_ringbuf");
	if (p < 0) {
		FAIL("ringbuf: load: %s", strerror((int)-p));
		return;
	}
	cons = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, (int)rb, 0);
	prod = mmap(NULL, 4096 + 2 * 16384, PROT_READ, MAP_SHARED, (int)rb, 4096);
	if (cons == MAP_FAILED || prod == MAP_FAILED) {
		FAIL("ringbuf: mmap");
		cons = prod = NULL;
	}
	for (uint32_t i = 0; i < 4; i++)
		if (test_run((int)p, pkt, 20 + i, out, sizeof(out), 1))
			FAIL("ringbuf: test run");
	/* a consumer took everything (as ring_buffer__consume does): the next run's records compare
	 * from there */
	if (cons && prod)
		__atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 1);
	/* until the ring is full (output answers -EAGAIN, the run's retval), then consumed, wrapped */
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 300);
	if (cons && prod)
		__atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_ACQUIRE) - 64, __ATOMIC_RELEASE);
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 1);
	if (cons && prod)
		__atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 100);
	/* FREEZE while the program maps the consumer page writable: EBUSY on both sides (the
	 * checker's own mappings of the two rings must not count) */
	elem(EMU_BPF_MAP_FREEZE, (int)rb, NULL, NULL, 0);
	/* the ring's fd closed (the program and the mappings keep it): consumed, run again */
	close((int)rb);
	rb = -1;
	if (cons && prod)
		__atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	test_run((int)p, pkt, sizeof(pkt), out, sizeof(out), 2);
	if (cons)
		munmap(cons, 4096);
	if (prod)
		munmap(prod, 4096 + 2 * 16384);
	close((int)p);
}

static void lpm_key(unsigned char *key, uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memcpy(key, &plen, 4);
	key[4] = a, key[5] = b, key[6] = c, key[7] = d;
}

/* LPM_TRIE: longest-prefix lookups, the walk's order, refusals. */
static void lpm(void)
{
	long t = create_x(EMU_MAP_LPM_TRIE, 8, 4, 16, EMU_F_NO_PREALLOC, 0, 0);
	static const uint8_t pre[][5] = { { 8, 10, 0, 0, 0 },    { 16, 10, 1, 0, 0 }, { 24, 10, 1, 2, 0 },
					  { 16, 192, 168, 0, 0 }, { 0, 0, 0, 0, 0 },   { 32, 10, 1, 2, 200 },
					  { 24, 10, 1, 3, 0 } };
	static const uint8_t look[][4] = { { 10, 1, 2, 3 }, { 10, 1, 9, 9 }, { 10, 9, 9, 9 }, { 11, 0, 0, 0 },
					   { 10, 1, 3, 0 }, { 10, 1, 2, 200 }, { 192, 168, 7, 7 }, { 10, 1, 2, 201 } };
	unsigned char key[8], nk[8], big[12] = { 0 };
	uint32_t v, count = 4, keys[8], vals[8];

	if (t < 0) {
		FAIL("lpm: create: %s", strerror((int)-t));
		return;
	}
	create_x(EMU_MAP_LPM_TRIE, 8, 4, 16, 0, 0, 0); /* without BPF_F_NO_PREALLOC */
	create_x(EMU_MAP_LPM_TRIE, 3, 4, 16, EMU_F_NO_PREALLOC, 0, 0);
	for (unsigned i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		if (i == 6)
			continue; /* added later */
		lpm_key(key, pre[i][0], pre[i][1], pre[i][2], pre[i][3], pre[i][4]);
		v = 100 + i;
		if (elem(EMU_BPF_MAP_UPDATE_ELEM, (int)t, key, &v, 0))
			FAIL("lpm: update %u", i);
	}
	lpm_key(key, 33, 10, 0, 0, 0);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)t, key, &v, 0);
	lpm_key(key, 8, 10, 0, 0, 0);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)t, key, &v, EMU_NOEXIST);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < sizeof(look) / sizeof(look[0]); i++) {
			lpm_key(key, 32, look[i][0], look[i][1], look[i][2], look[i][3]);
			elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)t, key, &v, 0);
			lpm_key(key, 20, look[i][0], look[i][1], look[i][2], look[i][3]);
			elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)t, key, &v, 0);
		}
		lpm_key(key, 40, 10, 1, 2, 3);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)t, key, &v, 0);
		/* the walk, from the start and from keys that are not in the trie */
		for (long r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)t, NULL, nk, 0); !r;
		     r = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)t, nk, nk, 0))
			;
		lpm_key(key, 24, 10, 1, 9, 0);
		elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)t, key, nk, 0);
		lpm_key(key, 12, 10, 1, 2, 0);
		elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)t, key, nk, 0);
		batch(EMU_BPF_MAP_LOOKUP_BATCH, (int)t, NULL, big, keys, vals, &count);
		/* second pass: a node removed, another added */
		lpm_key(key, 16, 10, 1, 0, 0);
		elem(EMU_BPF_MAP_DELETE_ELEM, (int)t, key, NULL, 0);
		elem(EMU_BPF_MAP_DELETE_ELEM, (int)t, key, NULL, 0);
		lpm_key(key, 24, 10, 1, 3, 0);
		v = 106;
		elem(EMU_BPF_MAP_UPDATE_ELEM, (int)t, key, &v, 0);
	}
	/* a run that adds 10.9.0.0/16 (the value: the packet's length): the trie walked after it */
	{
		struct emu_insn prog[] = {
			EI_LDX_MEM(EMU_W, 7, 1, 0), /* skb->len */
			EI_ST_MEM(EMU_W, 10, -8, 16),
			EI_ST_MEM(EMU_W, 10, -4, 0x090a),
			EI_STX_MEM(EMU_W, 10, 7, -12),
			EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)t),
			EI_MOV64_REG(2, 10),
			EI_ALU64_IMM(EMU_ADD, 2, -8),
			EI_MOV64_REG(3, 10),
			EI_ALU64_IMM(EMU_ADD, 3, -12),
			EI_MOV64_IMM(4, 0),
			EI_CALL_HELPER(EMU_FN_map_update_elem),
			EI_EXIT(),
		};
		unsigned char pkt[64] = { 0 }, out[128];
		long p = load(EMU_PROG_SOCKET_FILTER, prog, EI_COUNT(prog), NULL, NULL, 0, "dm_lpm");

		if (p < 0) {
			FAIL("lpm: load: %s", strerror((int)-p));
		} else {
			if (test_run((int)p, pkt, 40, out, sizeof(out), 1) || test_run((int)p, pkt, 50, out, sizeof(out), 1))
				FAIL("lpm: test run");
			close((int)p);
		}
		lpm_key(key, 32, 10, 9, 1, 1);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)t, key, &v, 0);
	}
	close((int)t);
}

/* BLOOM_FILTER: push (update, no key) and peek (lookup, the value an input), false positives
 * included; refusals; a run that pushes. */
static void bloom(void)
{
	long b = create_x(EMU_MAP_BLOOM_FILTER, 0, 4, 64, 0, 0, 3), p;
	uint32_t v, k = 0;
	struct emu_insn prog[] = {
		EI_MOV64_REG(6, 1),
		EI_LDX_MEM(EMU_W, 7, 6, 0), /* skb->len */
		EI_ALU64_IMM(EMU_ADD, 7, 5000),
		EI_STX_MEM(EMU_W, 10, 7, -4),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)b),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_MOV64_IMM(3, 0),
		EI_CALL_HELPER(EMU_FN_map_push_elem),
		EI_LD_IMM64_RAW(1, EMU_PSEUDO_MAP_FD, (uint32_t)b),
		EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4),
		EI_CALL_HELPER(EMU_FN_map_peek_elem),
		EI_EXIT(),
	};
	unsigned char pkt[64] = { 0 }, out[128];

	if (b < 0) {
		FAIL("bloom: create: %s", strerror((int)-b));
		return;
	}
	create_x(EMU_MAP_BLOOM_FILTER, 4, 4, 64, 0, 0, 3);  /* a key */
	create_x(EMU_MAP_BLOOM_FILTER, 0, 4, 64, 0, 0, 16); /* too many hashes */
	create_x(EMU_MAP_BLOOM_FILTER, 0, 0, 64, 0, 0, 3);
	for (v = 1; v <= 40; v++)
		if (elem(EMU_BPF_MAP_UPDATE_ELEM, (int)b, NULL, &v, 0))
			FAIL("bloom: push %u", v);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)b, NULL, &v, EMU_EXIST);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)b, &k, &v, 0);
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)b, NULL, NULL, 0);
	/* peeks: pushed values, then others (false positives alike with the same seed) */
	for (v = 1; v <= 400; v += 3)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)b, NULL, &v, 0);
	elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)b, NULL, NULL, 0);
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)b, NULL, NULL, 0);
	elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)b, NULL, &k, 0);
	elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, (int)b, NULL, &v, 0);
	p = load(EMU_PROG_SOCKET_FILTER, prog, EI_COUNT(prog), NULL, NULL, 0, "dm_bloom");
	if (p < 0) {
		FAIL("bloom: load: %s", strerror((int)-p));
	} else {
		for (uint32_t i = 0; i < 3; i++)
			if (test_run((int)p, pkt, 30 + i, out, sizeof(out), 1))
				FAIL("bloom: test run");
		close((int)p);
	}
	for (v = 5000; v < 5100; v++)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)b, NULL, &v, 0);
	close((int)b);
}

/* USER_RINGBUF: created (and refused), its element commands, records written through the mapping
 * as libbpf's user_ring_buffer does (carried to the mirror at the next compared call on it). A
 * program cannot drain it here: the emulator refuses bpf_user_ringbuf_drain (not emulated), so
 * a drain is not compared. */
static void user_ringbuf(void)
{
	long rb = create_x(EMU_MAP_USER_RINGBUF, 0, 0, 8192, 0, 0, 0);
	unsigned long *cons, *prod;
	unsigned char *data;
	uint32_t mask = 8192 - 1, k = 0, v = 0;

	if (rb < 0) {
		FAIL("user_ringbuf: create: %s", strerror((int)-rb));
		return;
	}
	create_x(EMU_MAP_USER_RINGBUF, 0, 4, 8192, 0, 0, 0);
	create_x(EMU_MAP_USER_RINGBUF, 0, 0, 3000, 0, 0, 0);
	cons = mmap(NULL, 4096, PROT_READ, MAP_SHARED, (int)rb, 0);
	prod = mmap(NULL, 4096 + 2 * 8192, PROT_READ | PROT_WRITE, MAP_SHARED, (int)rb, 4096);
	if (cons == MAP_FAILED || prod == MAP_FAILED) {
		FAIL("user_ringbuf: mmap");
		close((int)rb);
		return;
	}
	data = (unsigned char *)prod + 4096;
	for (int i = 0; i < 4; i++) {
		unsigned long pos = __atomic_load_n(prod, __ATOMIC_ACQUIRE);
		uint32_t len = 8 + (uint32_t)i * 8, hdr[2] = { len | (1u << 31), 0 };

		memcpy(data + (pos & mask), hdr, 8);
		memset(data + ((pos + 8) & mask), 0x40 + i, len);
		__atomic_store_n(prod, pos + ((len + 8 + 7) & ~7u), __ATOMIC_RELEASE);
		hdr[0] = len | (i == 2 ? 1u << 30 : 0); /* the third discarded */
		__atomic_store_n((uint32_t *)(data + (pos & mask)), hdr[0], __ATOMIC_RELEASE);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)rb, &k, &v, 0);
		elem(EMU_BPF_MAP_UPDATE_ELEM, (int)rb, &k, &v, 0);
	}
	elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)rb, NULL, &k, 0);
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)rb, &k, NULL, 0);
	elem(EMU_BPF_MAP_FREEZE, (int)rb, NULL, NULL, 0); /* the producer pages mapped writable: EBUSY */
	munmap(cons, 4096);
	munmap(prod, 4096 + 2 * 8192);
	elem(EMU_BPF_MAP_FREEZE, (int)rb, NULL, NULL, 0); /* none now */
	close((int)rb);
	/* a RINGBUF whose consumer page was mapped writable and is not any more: FREEZE succeeds */
	rb = create_x(EMU_MAP_RINGBUF, 0, 0, 4096, 0, 0, 0);
	if (rb >= 0) {
		cons = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, (int)rb, 0);
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)rb, &k, &v, 0);
		if (cons != MAP_FAILED)
			munmap(cons, 4096);
		elem(EMU_BPF_MAP_FREEZE, (int)rb, NULL, NULL, 0);
		close((int)rb);
	}
}

/* PERF_EVENT_ARRAY: a perf event's fd stored (a kernel object: passed to both as it is), what is
 * not one refused, lookups (the kernel shows nothing: ENOTSUPP). */
static void perf_array(void)
{
	long pa = create_x(EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0, 0, 0);
	struct perf_event_attr pe;
	uint32_t k = 0, v, nk;
	int ev, m = create(EMU_MAP_ARRAY, 4, 4, 1, 0);

	if (pa < 0) {
		FAIL("perf_array: create: %s", strerror((int)-pa));
		return;
	}
	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_SOFTWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_SW_BPF_OUTPUT;
	pe.sample_type = PERF_SAMPLE_RAW;
	ev = (int)syscall(__NR_perf_event_open, &pe, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (ev >= 0) {
		v = (uint32_t)ev;
		elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	}
	k = 1;
	v = (uint32_t)m; /* a map is not a perf event */
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	v = 1000;
	elem(EMU_BPF_MAP_UPDATE_ELEM, (int)pa, &k, &v, 0);
	for (k = 0; k < 5; k++)
		elem(EMU_BPF_MAP_LOOKUP_ELEM, (int)pa, &k, &v, 0);
	for (long q = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)pa, NULL, &nk, 0); !q; q = elem(EMU_BPF_MAP_GET_NEXT_KEY, (int)pa, &nk, &nk, 0))
		;
	k = 0;
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)pa, &k, NULL, 0);
	elem(EMU_BPF_MAP_DELETE_ELEM, (int)pa, &k, NULL, 0);
	if (ev >= 0)
		close(ev);
	close(m);
	close((int)pa);
}

int main(int argc, char **argv)
{
	const char *pin_dir = getenv("DIFFMODE_PIN_DIR") ? getenv("DIFFMODE_PIN_DIR") : "/sys/fs/bpf";
	static const struct {
		const char *name;
		void (*fn)(void);
	} all[] = { { "types", types }, { "memory", memory }, { "hash", content_hash }, { "threads", threads },
		    { "big", big }, { "btf", btf }, { "mmap", mmap_writes }, { "progs", progs }, { "ofmaps", ofmaps },
		    { "ofmaps_run", ofmaps_run }, { "progarray", progarray }, { "ringbuf", ringbuf }, { "lpm", lpm },
		    { "bloom", bloom }, { "user_ringbuf", user_ringbuf },
		    { "perf_array", perf_array } };

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		bool want = argc < 2;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], all[i].name);
		if (want)
			all[i].fn();
	}
	{
		bool want = argc < 2;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], "fds");
		if (want)
			fds(pin_dir);
	}
	if (failures)
		fprintf(stderr, "diffmode_client: %d failures\n", failures);
	return failures ? 1 : 0;
}
