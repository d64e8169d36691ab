/* SPDX-License-Identifier: MIT */
/*
 * BTF objects and maps with BTF against the kernel: the commands around a BTF object
 * (BPF_BTF_LOAD's attr checks, BPF_OBJ_GET_INFO_BY_FD's struct bpf_btf_info with every buffer
 * rule, BPF_BTF_GET_NEXT_ID, BPF_BTF_GET_FD_BY_ID, the kernel's vmlinux BTF, pinning), then
 * BPF_MAP_CREATE with BTF for every emulated type and its errors, map info's btf fields, a map
 * keeping its BTF findable after the BTF fd is gone, and the values of maps whose value holds
 * special fields: BPF_F_LOCK on the element and batch commands, what is copied out and in around
 * a bpf_spin_lock and a bpf_timer, FREEZE and mmap of such maps.
 *
 * BTF ids, like map ids, differ between the sides by design: they are masked where they appear and
 * checked instead against the side's own ids (a map's btf_id is its BTF's id on that side).
 *
 *   diff_btfobj [--expect-divergence]
 *
 * --expect-divergence is the planted-fault self-test (built against the fault-injecting library,
 * run with BPFEMU_FAULT=map-btf-id): it passes only if divergences were found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf_blob.h"
#include "frontend.h"
#include "harness.h"

static unsigned char blob[4096];
static uint32_t blob_size;
static struct hx_btf btf;
static int path_fd[2] = { -1, -1 }; /* O_PATH fds of each side's BTF fd */
static unsigned long n_own_checks;

static void own_fail(const char *fmt, const char *a, long k, long e)
{
	hx_ndiv++;
	printf("DIVERGENCE #%lu [%s]\n    ", hx_ndiv, hx_ctx_get());
	printf(fmt, a, k, e);
	printf("\n");
}

/* ---- BPF_BTF_LOAD: the command's own checks (the blob's are diff_btf's) ---- */

static void load_case(const char *what, unsigned size, uint32_t flags, int ktok, int etok, unsigned junk_off)
{
	struct hx_op op;

	hx_ctx("BTF_LOAD %s", what);
	hx_op_init(&op, EMU_BPF_BTF_LOAD);
	op.size = size;
	hx_op_buf(&op, BTF_BLOB, blob_size, blob, NULL);
	hx_op_u32(&op, BTF_SIZE, blob_size);
	hx_op_u32(&op, BTF_FLAGS, flags);
	if (ktok >= 0)
		hx_op_fd2(&op, BTF_TOKEN_FD, ktok, etok);
	if (junk_off)
		op.attr[junk_off] = 1;
	op.ret_fd = true;
	hx_run(&op, NULL);
}

static void load_cases(void)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	load_case("plain", EMU_ATTR_SIZE, 0, -1, -1, 0);
	load_case("attr of 48", 48, 0, -1, -1, 0);
	load_case("attr of 40 (BTF_END)", BTF_END, 0, -1, -1, 0);
	load_case("attr of 32", 32, 0, -1, -1, 0);
	load_case("attr of 16: no size", 16, 0, -1, -1, 0);
	load_case("btf_flags 1", EMU_ATTR_SIZE, 1, -1, -1, 0);
	load_case("btf_flags 1<<17", EMU_ATTR_SIZE, 1u << 17, -1, -1, 0);
	load_case("token flag, closed fd", EMU_ATTR_SIZE, EMU_F_BTF_TOKEN_FD, 999, 999, 0);
	load_case("token flag, /dev/null", EMU_ATTR_SIZE, EMU_F_BTF_TOKEN_FD, devnull, devnull, 0);
	load_case("token flag, a BTF fd", EMU_ATTR_SIZE, EMU_F_BTF_TOKEN_FD, btf.fd[HX_K], btf.fd[HX_E], 0);
	load_case("token flag, O_PATH fd", EMU_ATTR_SIZE, EMU_F_BTF_TOKEN_FD, path_fd[HX_K], path_fd[HX_E], 0);
	load_case("token fd without the flag", EMU_ATTR_SIZE, 0, 999, 999, 0);
	load_case("a byte past btf_token_fd", EMU_ATTR_SIZE, 0, -1, -1, BTF_END);
	load_case("a byte at 167", EMU_ATTR_SIZE, 0, -1, -1, EMU_ATTR_SIZE - 1);
	load_case("flags 3, huge size", EMU_ATTR_SIZE, 3, -1, -1, 0);
	close(devnull);
}

/* ---- struct bpf_btf_info, buffers placed per side ---- */

/* n bytes ending right before an inaccessible page (n 0: the guard page itself), poisoned alike */
static unsigned char *guarded(size_t n, void **map, size_t *maplen)
{
	size_t pages = (n + HX_PAGE - 1) / HX_PAGE + 1;
	unsigned char *p = mmap(NULL, pages * HX_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	mprotect(p + (pages - 1) * HX_PAGE, HX_PAGE, PROT_NONE);
	*map = p;
	*maplen = pages * HX_PAGE;
	p += (pages - 1) * HX_PAGE - n;
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(0x5a ^ i);
	return p;
}

enum { BUF_NULL = -1, BUF_WILD = -2 };

struct info_case {
	uint32_t len;       /* info_len */
	size_t info_avail;  /* bytes of the info buffer before a fault (>= len: all of it) */
	uint32_t btf_size;  /* info.btf_size passed */
	long btf_avail;     /* info.btf: a buffer of so many bytes before a fault, BUF_NULL or BUF_WILD */
	uint32_t name_len;
	long name_avail;
	bool mask_id;       /* a user BTF: ids differ */
};

static void info_run(const char *what, const int fd[2], const struct info_case *c)
{
	void *maps[2][3];
	size_t maplens[2][3];
	unsigned char *info[2], *bbuf[2], *nbuf[2];
	size_t ia = c->info_avail >= c->len ? (c->len ? c->len : 1) : c->info_avail;
	long ret[2];
	uint32_t outlen[2];
	char why[256] = "";

	hx_ctx("btf info %s: len %u, btf_size %u btf %ld, name_len %u name %ld", what, c->len, c->btf_size,
	       c->btf_avail, c->name_len, c->name_avail);
	hx_nops++;
	for (int s = 0; s < 2; s++) {
		unsigned char a[EMU_ATTR_SIZE];
		uint64_t v;

		memset(maps[s], 0, sizeof(maps[s]));
		info[s] = guarded(ia, &maps[s][0], &maplens[s][0]);
		memset(info[s], 0, ia);
		bbuf[s] = c->btf_avail >= 0 ? guarded((size_t)c->btf_avail, &maps[s][1], &maplens[s][1]) : NULL;
		nbuf[s] = c->name_avail >= 0 ? guarded((size_t)c->name_avail, &maps[s][2], &maplens[s][2]) : NULL;
		v = c->btf_avail == BUF_WILD ? (uint64_t)(uintptr_t)hx_bad_ptr() : (uint64_t)(uintptr_t)bbuf[s];
		if (ia >= 8)
			memcpy(info[s] + BI_BTF, &v, 8);
		if (ia >= 12)
			memcpy(info[s] + BI_BTF_SIZE, &c->btf_size, 4);
		v = c->name_avail == BUF_WILD ? (uint64_t)(uintptr_t)hx_bad_ptr() : (uint64_t)(uintptr_t)nbuf[s];
		if (ia >= 24)
			memcpy(info[s] + BI_NAME, &v, 8);
		if (ia >= 28)
			memcpy(info[s] + BI_NAME_LEN, &c->name_len, 4);
		memset(a, 0, sizeof(a));
		memcpy(a + INFO_FD, &fd[s], 4);
		memcpy(a + INFO_LEN, &c->len, 4);
		v = (uint64_t)(uintptr_t)info[s];
		memcpy(a + INFO_PTR, &v, 8);
		ret[s] = hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a));
		memcpy(&outlen[s], a + INFO_LEN, 4);
	}
	if (ret[0] != ret[1])
		snprintf(why, sizeof(why), "results differ: kernel %ld, emulator %ld", ret[0], ret[1]);
	else if (outlen[0] != outlen[1])
		snprintf(why, sizeof(why), "info_len differs: kernel %u, emulator %u", outlen[0], outlen[1]);
	for (size_t i = 0; !why[0] && i < ia; i++) {
		bool ptr = (i < 8 && c->btf_avail != BUF_WILD) || (i >= 16 && i < 24 && c->name_avail != BUF_WILD);

		if (ptr || (c->mask_id && i >= BI_ID && i < BI_ID + 4))
			continue; /* our own pointers, and the id */
		if (info[0][i] != info[1][i])
			snprintf(why, sizeof(why), "info byte %zu: kernel 0x%02x, emulator 0x%02x", i, info[0][i], info[1][i]);
	}
	for (long i = 0; !why[0] && i < c->btf_avail; i++)
		if (bbuf[0][i] != bbuf[1][i])
			snprintf(why, sizeof(why), "btf byte %ld: kernel 0x%02x, emulator 0x%02x", i, bbuf[0][i], bbuf[1][i]);
	for (long i = 0; !why[0] && i < c->name_avail; i++)
		if (nbuf[0][i] != nbuf[1][i])
			snprintf(why, sizeof(why), "name byte %ld: kernel 0x%02x, emulator 0x%02x", i, nbuf[0][i], nbuf[1][i]);
	if (why[0]) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s]\n    %s\n", hx_ndiv, hx_ctx_get(), why);
	}
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < 3; i++)
			if (maps[s][i])
				munmap(maps[s][i], maplens[s][i]);
}

static void info_cases(const char *what, const int fd[2], uint32_t size, bool user)
{
	static const uint32_t lens[] = { 0, 1, 4, 7, 8, 11, 12, 16, 20, 24, 27, 28, 31, 32, 33, 40, 4095, 4096, 4097 };
	uint32_t name = user ? 0 : 7; /* strlen("vmlinux") */

	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct info_case c = { lens[i], SIZE_MAX, 0, BUF_NULL, 0, BUF_NULL, user };

		info_run(what, fd, &c);
	}
	/* btf_size against the blob, the buffer whole or ending early (a fault midway) */
	{
		const uint32_t sizes[] = { 0, 1, 8, user ? size - 1 : 4096, size, size + 1, size + 4096 };

		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint32_t s = sizes[i];
			long whole = user ? (long)s : (long)(s < 8192 ? s : 8192);
			struct info_case c1 = { BI_SIZE, SIZE_MAX, s, user || s < 8192 ? (long)s : BUF_NULL, 0, BUF_NULL, user };
			struct info_case c2 = { BI_SIZE, SIZE_MAX, s, whole / 2, 0, BUF_NULL, user };

			if (user || s < 8192)
				info_run(what, fd, &c1);
			if (s)
				info_run(what, fd, &c2);
		}
	}
	{
		struct info_case cs[] = {
			{ BI_SIZE, SIZE_MAX, 10, BUF_NULL, 0, BUF_NULL, user },   /* NULL btf, a size */
			{ BI_SIZE, SIZE_MAX, 10, BUF_WILD, 0, BUF_NULL, user },   /* a faulting btf */
			{ BI_SIZE, SIZE_MAX, 0, BUF_WILD, 0, BUF_NULL, user },    /* faulting, nothing to copy */
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 0, 16, user },          /* a name, no name_len */
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 5, BUF_NULL, user },    /* a name_len, no name */
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 1, 1, user },
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 2, 2, user },
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, name, name, user },     /* no room for the NUL */
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, name + 1, name + 1, user },
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 64, 64, user },
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 64, 3, user },          /* the name faults */
			{ BI_SIZE, SIZE_MAX, 0, BUF_NULL, 4, BUF_WILD, user },
			{ BI_SIZE, SIZE_MAX, 8, 8, 64, BUF_WILD, user },          /* btf written, then a fault */
			{ 28, SIZE_MAX, 0, BUF_NULL, 0, 16, user },               /* name_len not passed */
			{ 24, SIZE_MAX, 0, BUF_NULL, 0, 16, user },
			{ BI_SIZE, 20, 0, BUF_NULL, 0, BUF_NULL, user },          /* the info itself faults */
			{ 40, 36, 0, BUF_NULL, 0, BUF_NULL, user },               /* its zero tail faults */
		};

		for (unsigned i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
			info_run(what, fd, &cs[i]);
	}
	{
		/* a non-zero byte in the tail */
		struct hx_op op;
		unsigned char in[64];
		struct hx_buf *b;

		hx_ctx("btf info %s: non-zero tail byte", what);
		memset(in, 0, sizeof(in));
		in[40] = 1;
		hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
		hx_op_fd2(&op, INFO_FD, fd[HX_K], fd[HX_E]);
		hx_op_u32(&op, INFO_LEN, 48);
		b = hx_op_buf(&op, INFO_PTR, 48, in, NULL);
		b->mask_off = BI_ID;
		b->mask_len = 4;
		hx_run(&op, NULL);
	}
}

/* ---- the id commands and the kernel's BTF ---- */

static long id_op(int cmd, unsigned size, uint32_t id_k, uint32_t id_e, uint32_t flags, int tok_k, int tok_e,
		  unsigned junk_off, bool keep, long *fds)
{
	struct hx_op op;
	struct hx_res r;

	hx_op_init(&op, cmd);
	op.size = size;
	hx_op_fd2(&op, ID_START, (int)id_k, (int)id_e);
	hx_op_u32(&op, ID_OPEN_FLAGS, flags);
	if (tok_k >= 0)
		hx_op_fd2(&op, ID_TOKEN_FD, tok_k, tok_e);
	if (junk_off)
		op.attr[junk_off] = 1;
	op.ret_fd = cmd == EMU_BPF_BTF_GET_FD_BY_ID;
	op.keep_fds = keep;
	hx_run(&op, &r);
	if (fds) {
		fds[0] = r.ret[0];
		fds[1] = r.ret[1];
	}
	return hx_kret(&r);
}

static void id_cases(void)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	long fds[2];
	int vm[2];

	hx_ctx("BTF_GET_FD_BY_ID");
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 0, 0, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, INT_MAX, INT_MAX, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 0xffffffffu, 0xffffffffu, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, btf.id[HX_K], btf.id[HX_E], 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, 4, btf.id[HX_K], btf.id[HX_E], 0, -1, -1, 0, false, NULL);
	for (unsigned b = 0; b < 20; b++)
		if (b != 16)
			id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, 1u << b, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, EMU_F_TOKEN_FD, 999, 999, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, EMU_F_TOKEN_FD, devnull, devnull, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, EMU_F_TOKEN_FD, btf.fd[HX_K], btf.fd[HX_E], 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, INT_MAX, INT_MAX, EMU_F_TOKEN_FD, 999, 999, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, 0, 999, 999, 0, false, NULL); /* no flag */
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, 0, -1, -1, ID_BTF_GET_FD_END, false, NULL);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, INT_MAX, INT_MAX, 0, -1, -1, ID_BTF_GET_FD_END, false, NULL);

	hx_ctx("BTF_GET_NEXT_ID");
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, 0, 0, 0, -1, -1, 0, false, NULL); /* vmlinux, 1 */
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, INT_MAX, INT_MAX, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, INT_MAX - 1u, INT_MAX - 1u, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, 0xffffffffu, 0xffffffffu, 0, -1, -1, 0, false, NULL);
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, 0, 0, 1, -1, -1, 0, false, NULL); /* past next_id */
	id_op(EMU_BPF_BTF_GET_NEXT_ID, EMU_ATTR_SIZE, 0, 0, 0, -1, -1, ID_GET_NEXT_END, false, NULL);
	/* Walking the ids, each side must meet its own BTF (the kernel's walk meets other users' too). */
	for (int s = 0; s < 2; s++) {
		uint32_t id = 0, steps = 0;
		bool met = false;

		n_own_checks++;
		for (;;) {
			unsigned char a[EMU_ATTR_SIZE];

			memset(a, 0, sizeof(a));
			memcpy(a + ID_START, &id, 4);
			if (hx_raw(s, EMU_BPF_BTF_GET_NEXT_ID, a, sizeof(a)) || ++steps > 1000000)
				break;
			memcpy(&id, a + ID_NEXT, 4);
			met |= id == btf.id[s];
		}
		if (!met)
			own_fail("%s: the BTF_GET_NEXT_ID walk did not meet its own BTF (%ld steps, id %ld)",
				 s ? "emulator" : "kernel", (long)steps, (long)btf.id[s]);
	}

	/* the kernel's own BTF */
	hx_ctx("vmlinux BTF");
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, 1, 1, 0, -1, -1, 0, true, fds);
	if (fds[0] < 0 || fds[1] < 0) {
		printf("NOTE: no vmlinux BTF here (%ld/%ld): its cases are left out\n", fds[0], fds[1]);
		close(devnull);
		return;
	}
	vm[0] = (int)fds[0];
	vm[1] = (int)fds[1];
	info_cases("vmlinux", vm, 0, false);
	{
		/* the whole blob */
		struct stat st;

		if (!stat("/sys/kernel/btf/vmlinux", &st)) {
			struct info_case c = { BI_SIZE, SIZE_MAX, (uint32_t)st.st_size, (long)st.st_size, 16, 16, false };

			info_run("vmlinux, whole", vm, &c);
		}
	}
	{
		struct hx_op op;

		hx_ctx("MAP_CREATE with the kernel's BTF");
		hx_create_op(&op, EMU_MAP_HASH, 4, 4, 4, 0);
		hx_op_fd2(&op, MC_BTF_FD, vm[0], vm[1]);
		hx_op_u32(&op, MC_BTF_KEY, 1);
		hx_op_u32(&op, MC_BTF_VALUE, 1);
		op.ret_fd = true;
		hx_run(&op, NULL);
	}
	{
		/* a BTF object cannot be pinned (the kernel pins maps, programs and links) */
		struct hx_op op;

		hx_ctx("OBJ_PIN of a BTF fd");
		for (int i = 0; i < 2; i++) {
			hx_op_init(&op, EMU_BPF_OBJ_PIN);
			hx_op_ptr(&op, PIN_PATH, "/sys/fs/bpf/bpfemu-no-such-dir/btf");
			if (i)
				hx_op_fd2(&op, PIN_FD, vm[0], vm[1]);
			else
				hx_op_fd2(&op, PIN_FD, btf.fd[HX_K], btf.fd[HX_E]);
			hx_run(&op, NULL);
		}
	}
	close(vm[0]);
	close(vm[1]);
	close(devnull);
}

/* ---- BPF_MAP_CREATE with BTF ---- */

static long create_btf(struct hx_pair *p, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags,
		       const int bfd[2], uint32_t kid, uint32_t vid, const char *name)
{
	struct hx_op op;

	if (hx_is_hash(type) && hx_have_sys_admin)
		flags |= EMU_F_ZERO_SEED;
	hx_create_op(&op, type, ks, vs, max, flags);
	if (bfd)
		hx_op_fd2(&op, MC_BTF_FD, bfd[0], bfd[1]);
	hx_op_u32(&op, MC_BTF_KEY, kid);
	hx_op_u32(&op, MC_BTF_VALUE, vid);
	if (name)
		memcpy(op.attr + MC_NAME, name, strlen(name) + 1 < 16 ? strlen(name) + 1 : 16);
	return hx_create_from(p, &op);
}

static const uint32_t all_types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				      EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };

static const struct { uint32_t id, size; } values[] = {
	{ BB_INT, 4 }, { BB_VAL, 12 }, { BB_TV, 32 }, { BB_TONLY, 24 }, { BB_LOCK8, 8 }, { BB_LOCK4, 4 }, { BB_BIG, 56 },
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

static void create_cases(void)
{
	int fdsk[2], closed[2] = { 999, 999 }, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int dn[2] = { devnull, devnull };
	struct hx_pair p, m;

	for (unsigned t = 0; t < 8; t++)
		for (unsigned v = 0; v < NVALUES; v++) {
			uint32_t type = all_types[t], qs = hx_is_qs(type);

			hx_ctx("MAP_CREATE %s value type %u", hx_type_name(type), values[v].id);
			if (create_btf(&p, type, qs ? 0 : 4, values[v].size, 4, 0, btf.fd, qs ? 0 : BB_INT, values[v].id, "b") >= 0)
				hx_close(&p);
			/* the same with BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, and read-only fds */
			if (create_btf(&p, type, qs ? 0 : 4, values[v].size, 4, EMU_F_RDONLY_PROG, btf.fd, qs ? 0 : BB_INT,
				       values[v].id, NULL) >= 0)
				hx_close(&p);
			if (create_btf(&p, type, qs ? 0 : 4, values[v].size, 4, EMU_F_RDONLY, btf.fd, qs ? 0 : BB_INT,
				       values[v].id, NULL) >= 0)
				hx_close(&p);
		}

	if (create_btf(&m, EMU_MAP_ARRAY, 4, 4, 1, 0, NULL, 0, 0, NULL) < 0)
		return;
	fdsk[0] = m.fd[0];
	fdsk[1] = m.fd[1];
	hx_ctx("MAP_CREATE btf errors");
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, closed, BB_INT, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, fdsk, BB_INT, BB_INT, NULL);   /* a map fd */
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, dn, BB_INT, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, path_fd, BB_INT, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, btf.fd, 0, BB_INT, NULL);      /* no key type */
	create_btf(&p, EMU_MAP_ARRAY, 4, 4, 4, 0, btf.fd, 0, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, btf.fd, BB_INT, 0, NULL);      /* no value type */
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, btf.fd, BB_INT, BB_NR_TYPES, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, btf.fd, BB_NR_TYPES + 100, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 8, 4, 0, btf.fd, BB_INT, BB_INT, NULL);  /* sizes differ */
	create_btf(&p, EMU_MAP_HASH, 8, 4, 4, 0, btf.fd, BB_INT, BB_INT, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 12, 4, EMU_F_WRONLY_PROG, btf.fd, BB_INT, BB_VAL, NULL);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, closed, 0, 0, NULL);             /* no ids: btf_fd unread */
	hx_close(&p);
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, btf.fd, BB_INT, BB_INT, "bad-name");
	create_btf(&p, EMU_MAP_HASH, 4, 4, 4, 0, closed, BB_INT, BB_INT, "bad-name");
	create_btf(&p, EMU_MAP_HASH, 4, 4, 0, 0, closed, BB_INT, BB_INT, NULL);  /* the type's check first */
	{
		struct hx_op op;

		hx_create_op(&op, EMU_MAP_HASH, 4, 4, 4, 0);
		hx_op_fd2(&op, MC_BTF_FD, btf.fd[0], btf.fd[1]);
		hx_op_u32(&op, MC_BTF_VMLINUX, BB_INT);
		op.ret_fd = true;
		hx_run(&op, NULL);
		hx_op_u32(&op, MC_BTF_VALUE, BB_INT);
		hx_run(&op, NULL);
	}
	hx_close(&m);
	close(devnull);
}

/* ---- values with special fields: BPF_F_LOCK and the bytes around the fields ---- */

static void fill(unsigned char *v, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (unsigned char)(0xff - seed * 7 - i);
}

static long batch_op(const struct hx_pair *p, int cmd, uint32_t count, uint64_t elem_flags, const void *keys_in,
		     const void *vals_in, bool with_in)
{
	struct hx_op op;
	struct hx_res r;
	uint32_t ks = p->key_size, vb = p->vbytes;
	uint64_t zero = 0;

	hx_op_init(&op, cmd);
	hx_op_fd(&op, BA_FD, p);
	hx_op_u32(&op, BA_COUNT, count);
	hx_op_u64(&op, BA_ELEM_FLAGS, elem_flags);
	if (with_in)
		hx_op_buf(&op, BA_IN, 8, &zero, NULL);
	if (cmd == EMU_BPF_MAP_LOOKUP_BATCH || cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH)
		hx_op_buf(&op, BA_OUT, 8, NULL, NULL);
	hx_op_buf(&op, BA_KEYS, (size_t)ks * (count ? count : 1), keys_in, NULL);
	if (cmd != EMU_BPF_MAP_DELETE_BATCH)
		hx_op_buf(&op, BA_VALUES, (size_t)vb * (count ? count : 1), vals_in, NULL);
	hx_run(&op, &r);
	return hx_kret(&r);
}

static void value_cases_one(uint32_t type, uint32_t vid, uint32_t vs)
{
	static const uint64_t flags[] = { 0, EMU_F_LOCK, EMU_F_LOCK | EMU_NOEXIST, EMU_F_LOCK | EMU_EXIST,
					  EMU_F_LOCK | 3, 8, 1, 2 };
	unsigned char *v, *out, keys[64 * 4], *vals;
	struct hx_pair p;
	uint32_t max = 8;
	size_t vb;

	hx_ctx("values: %s value type %u", hx_type_name(type), vid);
	if (create_btf(&p, type, 4, vs, max, 0, btf.fd, BB_INT, vid, "v") < 0)
		return;
	vb = p.vbytes;
	v = malloc(vb);
	out = malloc(vb);
	vals = malloc(vb * 8);
	if (!v || !out || !vals)
		abort();
	for (uint32_t k = 0; k < 6; k++) {
		hx_ctx("values: %s value type %u: key %u", hx_type_name(type), vid, k);
		for (unsigned f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			fill(v, vb, k + f);
			hx_update(&p, &k, v, flags[f]);
			hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, &k, NULL, out, flags[f]);
		}
		hx_compare_contents(&p);
	}
	for (uint32_t k = 0; k < 10; k++) {
		hx_ctx("values: %s value type %u: lookup_and_delete key %u", hx_type_name(type), vid, k);
		hx_lookup_del(&p, &k, out, k & 1 ? EMU_F_LOCK : k == 4 ? 1 : 0);
	}
	/* batches: refill, then every command with each elem_flags */
	for (unsigned f = 0; f < 4; f++) {
		uint64_t ef = f == 0 ? 0 : f == 1 ? EMU_F_LOCK : f == 2 ? 1 : EMU_F_LOCK | 8;

		hx_ctx("values: %s value type %u: batches, elem_flags %#llx", hx_type_name(type), vid,
		       (unsigned long long)ef);
		for (uint32_t k = 0; k < 6; k++)
			((uint32_t *)keys)[k] = k;
		for (size_t i = 0; i < vb * 8; i++)
			vals[i] = (unsigned char)(0xf0 ^ i);
		batch_op(&p, EMU_BPF_MAP_UPDATE_BATCH, 6, ef, keys, vals, false);
		batch_op(&p, EMU_BPF_MAP_LOOKUP_BATCH, 8, ef, NULL, NULL, false);
		batch_op(&p, EMU_BPF_MAP_LOOKUP_BATCH, 3, ef, NULL, NULL, true);
		hx_compare_contents(&p);
		batch_op(&p, EMU_BPF_MAP_DELETE_BATCH, 1, ef, keys, NULL, false);
		batch_op(&p, EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, 8, ef, NULL, NULL, false);
		hx_compare_contents(&p);
	}
	/* FREEZE: no map with special fields can be frozen, through any fd */
	hx_ctx("values: %s value type %u: freeze", hx_type_name(type), vid);
	hx_freeze(&p);
	hx_close(&p);
	free(v);
	free(out);
	free(vals);
	if (create_btf(&p, type, 4, vs, max, EMU_F_RDONLY, btf.fd, BB_INT, vid, NULL) >= 0) {
		hx_freeze(&p);
		hx_close(&p);
	}
}

static void mmap_case(uint32_t vid, uint32_t vs)
{
	struct hx_pair p;
	off_t off;
	int k, e;
	void *a;

	hx_ctx("mmap of an MMAPABLE array, value type %u", vid);
	if (create_btf(&p, EMU_MAP_ARRAY, 4, vs, 4, EMU_F_MMAPABLE, btf.fd, BB_INT, vid, NULL) < 0)
		return;
	hx_nops++;
	a = mmap(NULL, HX_PAGE, PROT_READ, MAP_SHARED, p.fd[HX_K], 0);
	k = a == MAP_FAILED ? -errno : 0;
	if (a != MAP_FAILED)
		munmap(a, HX_PAGE);
	e = emu_map_mmap_check(p.fd[HX_E], HX_PAGE, PROT_READ, MAP_SHARED, 0, &off);
	if (k != e)
		own_fail("%s: kernel %ld, emulator %ld", "mmap", k, e);
	hx_close(&p);
}

static void value_cases(void)
{
	static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_ARRAY, EMU_MAP_LRU_HASH, EMU_MAP_PERCPU_HASH,
					  EMU_MAP_PERCPU_ARRAY };

	for (unsigned t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (unsigned v = 0; v < NVALUES; v++)
			value_cases_one(types[t], values[v].id, values[v].size);
	for (unsigned v = 0; v < NVALUES; v++)
		mmap_case(values[v].id, values[v].size);
}

/* ---- a map keeps its BTF: alive and findable by id when no BTF fd is left ---- */

static void lifetime_cases(void)
{
	struct hx_btf b;
	struct hx_pair p;
	long fds[2];

	hx_ctx("lifetime");
	if (hx_btf_load(&b, blob, blob_size))
		return;
	if (create_btf(&p, EMU_MAP_HASH, 4, 12, 4, 0, b.fd, BB_INT, BB_VAL, "keep") < 0) {
		hx_btf_close(&b);
		return;
	}
	hx_btf_close(&b);
	hx_ctx("lifetime: the map's BTF after its fd was closed");
	hx_compare_info(&p);
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, b.id[HX_K], b.id[HX_E], 0, -1, -1, 0, true, fds);
	if (fds[0] >= 0 && fds[1] >= 0) {
		int f[2] = { (int)fds[0], (int)fds[1] };
		struct info_case c = { BI_SIZE, SIZE_MAX, blob_size, (long)blob_size, 1, 1, true };

		info_run("the map's BTF", f, &c);
		/* and it is the blob that was loaded */
		for (int s = 0; s < 2; s++) {
			unsigned char got[4096], a[EMU_ATTR_SIZE], info[BI_SIZE];
			uint64_t ip = (uint64_t)(uintptr_t)info, bp = (uint64_t)(uintptr_t)got;
			uint32_t len = sizeof(info), id;

			memset(a, 0, sizeof(a));
			memset(info, 0, sizeof(info));
			memcpy(info + BI_BTF, &bp, 8);
			memcpy(info + BI_BTF_SIZE, &blob_size, 4);
			memcpy(a + INFO_FD, &f[s], 4);
			memcpy(a + INFO_LEN, &len, 4);
			memcpy(a + INFO_PTR, &ip, 8);
			n_own_checks++;
			memcpy(&id, info + BI_ID, 4);
			if (hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a)) || memcmp(got, blob, blob_size) ||
			    (memcpy(&id, info + BI_ID, 4), id != b.id[s]))
				own_fail("%s: the BTF found by the map's btf_id is not the one loaded (id %ld of %ld)",
					 s ? "emulator" : "kernel", (long)id, (long)b.id[s]);
			close(f[s]);
		}
	} else {
		own_fail("%s: BTF_GET_FD_BY_ID of a map's BTF: kernel %ld, emulator %ld", "lifetime", fds[0], fds[1]);
	}
	hx_close(&p);
	/* No map holds it now: gone. The kernel frees a map's BTF from a work item after the last
	 * close, so its answer is awaited (up to 2 s) before the compared call. */
	for (int t = 0; t < 200; t++) {
		unsigned char a[EMU_ATTR_SIZE];
		long r;

		memset(a, 0, sizeof(a));
		memcpy(a + ID_START, &b.id[HX_K], 4);
		r = hx_raw(HX_K, EMU_BPF_BTF_GET_FD_BY_ID, a, sizeof(a));
		if (r < 0)
			break;
		close((int)r);
		usleep(10000);
	}
	hx_ctx("lifetime: after the map");
	id_op(EMU_BPF_BTF_GET_FD_BY_ID, EMU_ATTR_SIZE, b.id[HX_K], b.id[HX_E], 0, -1, -1, 0, false, NULL);
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");
	int ret;

	hx_init("diff_btfobj");
	hx_quiet_ok = true;
	blob_size = bb_blob(blob);
	if (hx_btf_load(&btf, blob, blob_size)) {
		printf("FAIL: the test blob does not load alike\n");
		return 1;
	}
	for (int s = 0; s < 2; s++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", btf.fd[s]);
		path_fd[s] = open(path, O_PATH | O_CLOEXEC);
	}
	load_cases();
	info_cases("user", btf.fd, blob_size, true);
	id_cases();
	create_cases();
	value_cases();
	lifetime_cases();
	printf("diff_btfobj: %lu own-id checks\n", n_own_checks);
	ret = hx_finish();
	if (expect_div) {
		if (hx_ndiv) {
			printf("PASS: the planted fault was found (%lu divergences)\n", hx_ndiv);
			return 0;
		}
		printf("FAIL: BPFEMU_FAULT is planted but no divergence was found\n");
		return 1;
	}
	return ret;
}
