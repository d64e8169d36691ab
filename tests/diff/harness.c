/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "harness.h"
#include "core/cpus.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"

bool hx_have_sys_admin;
bool hx_pinned;
int hx_ncpus;
unsigned long hx_nops, hx_ndiv, hx_nexpect_bad, hx_nskipped;
bool hx_quiet_ok;
unsigned hx_max_reports = 20;

static const char *test_name = "diff";
static unsigned char last_attr[2][EMU_ATTR_SIZE];
static char ctx_buf[512];

/* Guard slack compared around every buffer: catches writes just past (or before) the bytes a
 * command may touch. */
#define REDZONE 64u

/* ---- names ---- */

const char *hx_errname(int e)
{
	static __thread char buf[32];

	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case ENOSPC: return "ENOSPC";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBADFD: return "EBADFD";
	case ENOSYS: return "ENOSYS";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case EMU_ENOTSUPP: return "ENOTSUPP(524)";
	default:
		snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
}

static const char *const cmd_names[EMU_BPF_NR_CMDS] = {
	"MAP_CREATE", "MAP_LOOKUP_ELEM", "MAP_UPDATE_ELEM", "MAP_DELETE_ELEM", "MAP_GET_NEXT_KEY",
	"PROG_LOAD", "OBJ_PIN", "OBJ_GET", "PROG_ATTACH", "PROG_DETACH", "PROG_TEST_RUN",
	"PROG_GET_NEXT_ID", "MAP_GET_NEXT_ID", "PROG_GET_FD_BY_ID", "MAP_GET_FD_BY_ID",
	"OBJ_GET_INFO_BY_FD", "PROG_QUERY", "RAW_TRACEPOINT_OPEN", "BTF_LOAD", "BTF_GET_FD_BY_ID",
	"TASK_FD_QUERY", "MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE", "BTF_GET_NEXT_ID",
	"MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH", "MAP_DELETE_BATCH",
	"LINK_CREATE", "LINK_UPDATE", "LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID", "ENABLE_STATS",
	"ITER_CREATE", "LINK_DETACH", "PROG_BIND_MAP", "TOKEN_CREATE", "PROG_STREAM_READ_BY_FD",
};

const char *hx_cmd_name(int cmd)
{
	if (cmd >= 0 && cmd < EMU_BPF_NR_CMDS)
		return cmd_names[cmd];
	return "(unknown command)";
}

const char *hx_type_name(uint32_t type)
{
	switch (type) {
	case EMU_MAP_HASH: return "HASH";
	case EMU_MAP_ARRAY: return "ARRAY";
	case EMU_MAP_PERCPU_HASH: return "PERCPU_HASH";
	case EMU_MAP_PERCPU_ARRAY: return "PERCPU_ARRAY";
	case EMU_MAP_LRU_HASH: return "LRU_HASH";
	case EMU_MAP_LRU_PERCPU_HASH: return "LRU_PERCPU_HASH";
	case EMU_MAP_QUEUE: return "QUEUE";
	case EMU_MAP_STACK: return "STACK";
	case EMU_MAP_LPM_TRIE: return "LPM_TRIE";
	case EMU_MAP_BLOOM_FILTER: return "BLOOM_FILTER";
	case EMU_MAP_RINGBUF: return "RINGBUF";
	case EMU_MAP_USER_RINGBUF: return "USER_RINGBUF";
	case EMU_MAP_ARRAY_OF_MAPS: return "ARRAY_OF_MAPS";
	case EMU_MAP_HASH_OF_MAPS: return "HASH_OF_MAPS";
	case EMU_MAP_PROG_ARRAY: return "PROG_ARRAY";
	case EMU_MAP_PERF_EVENT_ARRAY: return "PERF_EVENT_ARRAY";
	default: return emu_map_type_name(type);
	}
}

bool hx_is_percpu(uint32_t t) { return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_PERCPU_HASH || t == EMU_MAP_PERCPU_ARRAY; }
bool hx_is_hash(uint32_t t) { return t == EMU_MAP_HASH || t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
bool hx_is_lru(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
bool hx_is_qs(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }

uint32_t hx_value_bytes(uint32_t type, uint32_t vs)
{
	return hx_is_percpu(type) ? ((vs + 7u) & ~7u) * (uint32_t)hx_ncpus : vs;
}

/* ---- context and summary ---- */

void hx_ctx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx_buf, sizeof(ctx_buf), fmt, ap);
	va_end(ap);
}

const char *hx_ctx_get(void) { return ctx_buf; }

bool hx_expect(long got, long want, const char *what)
{
	if (got == want)
		return true;
	char g[48], w[48];

	hx_nexpect_bad++;
	if (got < 0)
		snprintf(g, sizeof(g), "-%s", hx_errname((int)-got));
	else
		snprintf(g, sizeof(g), "%ld", got);
	if (want < 0)
		snprintf(w, sizeof(w), "-%s", hx_errname((int)-want));
	else
		snprintf(w, sizeof(w), "%ld", want);
	printf("EXPECTATION FAILED [%s] %s: the kernel answered %s, kernel-semantics.md says %s\n", ctx_buf, what, g, w);
	return false;
}

int hx_finish(void)
{
	if (hx_nskipped)
		printf("%s: %lu operations not run: a short attr size cut a pointer into one that points at mapped "
		       "memory\n", test_name, hx_nskipped);
	printf("%s: %lu operations compared, %lu divergences, %lu expectation failures\n", test_name, hx_nops,
	       hx_ndiv, hx_nexpect_bad);
	return hx_ndiv || hx_nexpect_bad ? 1 : 0;
}

int hx_finish_planted(bool expect_divergence)
{
	int rc = hx_finish();

	if (!expect_divergence)
		return rc;
	if (hx_ndiv) {
		printf("PASS: the planted fault was found (%lu divergences)\n", hx_ndiv);
		return 0;
	}
	printf("FAIL: BPFEMU_FAULT is planted but no divergence was found\n");
	return 1;
}

/* ---- guard memory ---- */

struct region {
	unsigned char *base;
	size_t cap; /* accessible bytes; an inaccessible page follows */
};

static size_t page_round(size_t n) { return (n + HX_PAGE - 1) / HX_PAGE * HX_PAGE; }

static void region_ensure(struct region *r, size_t need)
{
	size_t cap = page_round(need + REDZONE);
	unsigned char *p;

	if (r->base && r->cap >= cap)
		return;
	if (r->base)
		munmap(r->base, r->cap + HX_PAGE);
	p = mmap(NULL, cap + HX_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(p + cap, HX_PAGE, PROT_NONE)) {
		perror("mprotect");
		exit(2);
	}
	r->base = p;
	r->cap = cap;
}

static void *bad_page;

void *hx_bad_ptr(void)
{
	if (!bad_page) {
		bad_page = mmap(NULL, HX_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bad_page == MAP_FAILED) {
			perror("mmap");
			exit(2);
		}
	}
	return (char *)bad_page + 8;
}

/* Shared by both sides: for inputs only (the kernel and the emulator both just read it). */
static struct region shared_in;

void *hx_page_end_ptr(size_t n, const void *init)
{
	unsigned char *p;

	region_ensure(&shared_in, n);
	p = shared_in.base + shared_in.cap - n;
	if (init)
		memcpy(p, init, n);
	else
		memset(p, 0x3c, n);
	return p;
}

/* ---- PRNG ---- */

uint64_t hx_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t hx_rand_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)((hx_rand(s) >> 32) % n) : 0;
}

/* ---- setup ---- */


long hx_raw(int side, int cmd, void *attr, unsigned size)
{
	long r;

	errno = 0;
	if (side == HX_K)
		r = syscall(__NR_bpf, cmd, attr, size);
	else
		r = bpfemu_bpf(cmd, attr, size);
	return r < 0 ? -errno : r;
}

static long raw_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	unsigned char a[EMU_ATTR_SIZE];

	memset(a, 0, sizeof(a));
	memcpy(a + MC_TYPE, &type, 4);
	memcpy(a + MC_KEY_SIZE, &ks, 4);
	memcpy(a + MC_VALUE_SIZE, &vs, 4);
	memcpy(a + MC_MAX_ENTRIES, &max, 4);
	memcpy(a + MC_FLAGS, &flags, 4);
	return hx_raw(HX_K, EMU_BPF_MAP_CREATE, a, sizeof(a));
}

bool hx_require_kernel(void)
{
	const char *e = getenv("BPFEMU_REQUIRE_KERNEL");

	return e && !strcmp(e, "1");
}

void hx_skip(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", hx_require_kernel() ? "FAIL" : "SKIP");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (hx_require_kernel()) {
		printf("BPFEMU_REQUIRE_KERNEL=1: a skip is a failure here\n");
		exit(1);
	}
	exit(HX_SKIP);
}

void hx_partial_skip(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", hx_require_kernel() ? "FAIL" : "NOTE");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (hx_require_kernel()) {
		printf("BPFEMU_REQUIRE_KERNEL=1: a comparison left out is a failure here\n");
		exit(1);
	}
}

void hx_init(const char *name)
{
	cpu_set_t set;
	long r;

	test_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("BPFEMU_DIFF_REPORTS"))
		hx_max_reports = (unsigned)strtoul(getenv("BPFEMU_DIFF_REPORTS"), NULL, 0);
	/* A CPU-count override would lay per-CPU values out differently from the kernel's. */
	unsetenv("BPFEMU_NR_CPUS");

	r = raw_create(EMU_MAP_ARRAY, 4, 4, 1, 0);
	if (r < 0)
		hx_skip("bpf() not permitted here (%s): differential tests need the real kernel", hx_errname((int)-r));
	close((int)r);

	hx_ncpus = emu_sysfs_possible_cpus();
	if (hx_ncpus <= 0 || hx_ncpus != bpfemu_num_possible_cpus()) {
		printf("FAIL: possible CPUs: kernel %d, emulator %d: per-CPU layouts cannot be compared\n", hx_ncpus,
		       bpfemu_num_possible_cpus());
		exit(1);
	}

	r = raw_create(EMU_MAP_HASH, 4, 4, 1, EMU_F_ZERO_SEED);
	hx_have_sys_admin = r >= 0;
	if (r >= 0)
		close((int)r);
	else
		hx_partial_skip("BPF_F_ZERO_SEED refused by the kernel (%s, needs CAP_SYS_ADMIN): order comparisons of "
				"hash maps are skipped", hx_errname((int)-r));

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	hx_pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
	if (!hx_pinned)
		hx_partial_skip("cannot pin to CPU 0 (%s): LRU eviction comparisons are skipped", hx_errname(errno));
	hx_bad_ptr();
}

/* ---- operations ---- */

void hx_op_init(struct hx_op *op, int cmd)
{
	memset(op, 0, sizeof(*op));
	op->cmd = cmd;
	op->size = EMU_ATTR_SIZE;
}

void hx_op_u32(struct hx_op *op, unsigned off, uint32_t v) { memcpy(op->attr + off, &v, 4); }
void hx_op_u64(struct hx_op *op, unsigned off, uint64_t v) { memcpy(op->attr + off, &v, 8); }
void hx_op_ptr(struct hx_op *op, unsigned off, const void *p)
{
	hx_op_u64(op, off, (uint64_t)(uintptr_t)p);
	if (p && op->nptr < HX_MAX_BUFS)
		op->ptr_offs[op->nptr++] = off;
}

void hx_op_fd2(struct hx_op *op, unsigned off, int kfd, int efd)
{
	if (op->nfd >= HX_MAX_FDS)
		abort();
	op->fds[op->nfd].off = off;
	op->fds[op->nfd].fd[HX_K] = kfd;
	op->fds[op->nfd].fd[HX_E] = efd;
	op->nfd++;
}

void hx_op_fd(struct hx_op *op, unsigned off, const struct hx_pair *p) { hx_op_fd2(op, off, p->fd[HX_K], p->fd[HX_E]); }

struct hx_buf *hx_op_buf(struct hx_op *op, unsigned off, size_t len, const void *in, void *out)
{
	struct hx_buf *b;

	if (op->nbuf >= HX_MAX_BUFS)
		abort();
	b = &op->buf[op->nbuf++];
	memset(b, 0, sizeof(*b));
	b->off = off;
	b->len = len;
	b->in = in;
	b->out = out;
	return b;
}

long hx_kret(const struct hx_res *r) { return r->ret[HX_K] < 0 ? -(long)r->err[HX_K] : r->ret[HX_K]; }

/* Slot 0 holds the attr, slots 1.. the buffers; one set per side. */
static struct region slots[2][1 + HX_MAX_BUFS];
static unsigned poison_round;

static unsigned char poison_byte(size_t i) { return (unsigned char)(0xa5u ^ (i * 0x3bu) ^ (poison_round * 0x17u)); }

struct placed {
	unsigned char *lo, *hi; /* compared span (poisoned before the call) */
	unsigned char *ptr;     /* what goes into the attr */
};

static struct placed place(struct region *r, size_t len, bool page_end)
{
	struct placed pl;

	region_ensure(r, len);
	if (page_end) {
		pl.ptr = r->base + r->cap - len;
		pl.lo = pl.ptr - REDZONE;
		pl.hi = r->base + r->cap;
	} else {
		pl.ptr = r->base;
		pl.lo = r->base;
		pl.hi = r->base + len + REDZONE;
	}
	for (unsigned char *q = pl.lo; q < pl.hi; q++)
		*q = poison_byte((size_t)(q - pl.lo));
	return pl;
}

void hx_dump_bytes(const char *indent, const unsigned char *p, size_t n, size_t base_off)
{
	bool skipped = false;

	for (size_t i = 0; i < n; i += 16) {
		size_t m = n - i < 16 ? n - i : 16;
		bool zero = true;

		for (size_t j = 0; j < m; j++)
			zero &= p[i + j] == 0;
		if (zero && i && i + 16 < n) {
			if (!skipped)
				printf("%s  ...   (zero)\n", indent);
			skipped = true;
			continue;
		}
		skipped = false;
		printf("%s%04zx:", indent, base_off + i);
		for (size_t j = 0; j < m; j++)
			printf(" %02x", p[i + j]);
		printf("\n");
	}
}

static void print_answer(const char *who, long ret, int err)
{
	if (ret < 0)
		printf("    %-9s -1, errno %s\n", who, hx_errname(err));
	else
		printf("    %-9s %ld\n", who, ret);
}

static bool masked_attr(const struct hx_op *op, size_t i, unsigned *fd_or_ptr)
{
	for (int k = 0; k < op->nfd; k++)
		if (i >= op->fds[k].off && i < op->fds[k].off + 4u) {
			*fd_or_ptr = 1;
			return true;
		}
	for (int k = 0; k < op->nbuf; k++)
		if (i >= op->buf[k].off && i < op->buf[k].off + 8u) {
			*fd_or_ptr = 2;
			return true;
		}
	return false;
}

static bool page_mapped(uintptr_t a)
{
	return msync((void *)(a & ~(uintptr_t)(HX_PAGE - 1)), HX_PAGE, MS_ASYNC) == 0 || errno != ENOMEM;
}

/*
 * A size that ends inside a pointer field hands the kernel the pointer's low bytes only. Such an
 * address is normally unmapped (EFAULT on both sides, a fine comparison), but it can land in mapped
 * memory, ASan's low shadow for one, whose contents change between the kernel's call and the
 * emulator's: then the two sides read or write different bytes through no fault of either.
 */
static bool cut_pointer_is_mapped(const struct hx_op *op, const unsigned char *attr, unsigned off, size_t len)
{
	uint64_t full, cut;

	if (op->attr_mode != HX_ATTR_NORMAL || off >= op->size || op->size >= off + 8)
		return false;
	memcpy(&full, attr + off, 8);
	cut = full & ((1ull << (8 * (op->size - off))) - 1);
	if (!cut || cut == full || cut >= 0x800000000000ull)
		return false;
	if (len > 16 * HX_PAGE)
		len = 16 * HX_PAGE;
	for (uint64_t a = cut & ~(uint64_t)(HX_PAGE - 1); a < cut + (len ? len : 1); a += HX_PAGE)
		if (page_mapped((uintptr_t)a))
			return true;
	return false;
}

int hx_run(struct hx_op *op, struct hx_res *res)
{
	struct placed apl[2], bpl[2][HX_MAX_BUFS];
	unsigned char attr_before[2][HX_ATTR_MAX + 2 * REDZONE];
	size_t attr_mem = 0;
	struct hx_res local;
	char why[512] = "";
	long ret[2];
	int err[2];

	if (!res)
		res = &local;
	poison_round++;
	hx_nops++;

	if (op->attr_mode == HX_ATTR_PAGE_END)
		attr_mem = op->attr_avail;
	else if (op->attr_mode == HX_ATTR_NORMAL)
		attr_mem = op->size > EMU_ATTR_SIZE ? op->size : EMU_ATTR_SIZE;
	if (attr_mem > HX_ATTR_MAX)
		attr_mem = HX_ATTR_MAX;

	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < op->nbuf; i++) {
			struct hx_buf *b = &op->buf[i];

			bpl[s][i] = place(&slots[s][1 + i], b->len, b->page_end);
			if (b->in)
				memcpy(bpl[s][i].ptr, b->in, b->len);
		}
		if (op->attr_mode == HX_ATTR_NULL) {
			apl[s].ptr = apl[s].lo = apl[s].hi = NULL;
			continue;
		}
		apl[s] = place(&slots[s][0], attr_mem, op->attr_mode == HX_ATTR_PAGE_END);
		memcpy(apl[s].ptr, op->attr, attr_mem);
		for (int k = 0; k < op->nfd; k++)
			if (op->fds[k].off + 4u <= attr_mem)
				memcpy(apl[s].ptr + op->fds[k].off, &op->fds[k].fd[s], 4);
		for (int i = 0; i < op->nbuf; i++)
			if (op->buf[i].off + 8u <= attr_mem) {
				uint64_t v = (uint64_t)(uintptr_t)bpl[s][i].ptr;

				memcpy(apl[s].ptr + op->buf[i].off, &v, 8);
			}
		memcpy(attr_before[s], apl[s].lo, (size_t)(apl[s].hi - apl[s].lo));
	}

	res->skipped = false;
	for (int s = 0; s < 2 && op->attr_mode == HX_ATTR_NORMAL && op->size < EMU_ATTR_SIZE; s++) {
		bool cut = false;

		for (int i = 0; i < op->nbuf; i++)
			cut |= cut_pointer_is_mapped(op, apl[s].ptr, op->buf[i].off, op->buf[i].len);
		for (int i = 0; i < op->nptr; i++)
			cut |= cut_pointer_is_mapped(op, apl[s].ptr, op->ptr_offs[i], HX_PAGE);
		if (cut) {
			hx_nskipped++;
			hx_nops--;
			res->skipped = true;
			res->diverged = false;
			res->ret[0] = res->ret[1] = -1;
			res->err[0] = res->err[1] = ECANCELED;
			return 0;
		}
	}

	for (int s = 0; s < 2; s++) {
		errno = 0;
		if (s == HX_K)
			ret[s] = syscall(__NR_bpf, op->cmd, apl[s].ptr, op->size);
		else
			ret[s] = bpfemu_bpf(op->cmd, (union bpf_attr *)apl[s].ptr, op->size);
		err[s] = ret[s] < 0 ? errno : 0;
		res->ret[s] = ret[s];
		res->err[s] = err[s];
	}

	/* Results. */
	if (op->ret_fd && ret[0] >= 0 && ret[1] >= 0) {
		int fl0 = fcntl((int)ret[0], F_GETFL), fl1 = fcntl((int)ret[1], F_GETFL);
		int fd0 = fcntl((int)ret[0], F_GETFD), fd1 = fcntl((int)ret[1], F_GETFD);

		if ((fl0 & O_ACCMODE) != (fl1 & O_ACCMODE))
			snprintf(why, sizeof(why), "new fds differ in access mode: kernel %#o, emulator %#o",
				 fl0 & O_ACCMODE, fl1 & O_ACCMODE);
		else if ((fd0 & FD_CLOEXEC) != (fd1 & FD_CLOEXEC))
			snprintf(why, sizeof(why), "new fds differ in FD_CLOEXEC: kernel %d, emulator %d", fd0 & FD_CLOEXEC,
				 fd1 & FD_CLOEXEC);
	} else if (ret[0] != ret[1] || err[0] != err[1]) {
		snprintf(why, sizeof(why), "results differ");
	}

	/* Buffers. */
	for (int i = 0; !why[0] && !op->relaxed_out && i < op->nbuf; i++) {
		const struct hx_buf *b = &op->buf[i];
		size_t n = (size_t)(bpl[0][i].hi - bpl[0][i].lo);
		size_t ptr_off = (size_t)(bpl[0][i].ptr - bpl[0][i].lo);

		for (size_t j = 0; j < n; j++) {
			long rel = (long)j - (long)ptr_off;

			if (rel >= (long)b->mask_off && rel < (long)(b->mask_off + b->mask_len))
				continue;
			if (rel >= (long)b->mask2_off && rel < (long)(b->mask2_off + b->mask2_len))
				continue;
			if (bpl[0][i].lo[j] != bpl[1][i].lo[j]) {
				snprintf(why, sizeof(why),
					 "buffer #%d (pointer at attr offset %u, %zu bytes%s): byte %ld%s differs: kernel 0x%02x, "
					 "emulator 0x%02x, poison was 0x%02x",
					 i, b->off, b->len, b->page_end ? ", ending at an inaccessible page" : "", rel,
					 rel < 0 ? " (before the buffer)" : rel >= (long)b->len ? " (past the buffer)" : "",
					 bpl[0][i].lo[j], bpl[1][i].lo[j], poison_byte(j));
				break;
			}
		}
	}

	/* The attr: outputs such as info_len land there. */
	if (!why[0] && !op->relaxed_out && op->attr_mode != HX_ATTR_NULL) {
		size_t n = (size_t)(apl[0].hi - apl[0].lo);
		size_t ptr_off = (size_t)(apl[0].ptr - apl[0].lo);

		for (size_t j = 0; j < n; j++) {
			long rel = (long)j - (long)ptr_off;
			unsigned kind = 0;

			if (rel >= 0 && masked_attr(op, (size_t)rel, &kind)) {
				for (int s = 0; s < 2; s++)
					if (apl[s].lo[j] != attr_before[s][j]) {
						snprintf(why, sizeof(why), "%s side rewrote attr byte %ld (a substituted %s)",
							 s ? "emulator" : "kernel", rel, kind == 1 ? "fd" : "pointer");
						break;
					}
				if (why[0])
					break;
				continue;
			}
			if (apl[0].lo[j] != apl[1].lo[j]) {
				snprintf(why, sizeof(why), "attr byte %ld differs after the call: kernel 0x%02x, emulator 0x%02x (was 0x%02x)",
					 rel, apl[0].lo[j], apl[1].lo[j], attr_before[0][j]);
				break;
			}
		}
	}

	res->diverged = why[0] != 0;
	if (res->diverged) {
		hx_ndiv++;
		if (hx_ndiv <= hx_max_reports) {
			printf("DIVERGENCE #%lu [%s]\n", hx_ndiv, ctx_buf);
			printf("    command   %s (%d), size %u", hx_cmd_name(op->cmd), op->cmd, op->size);
			if (op->attr_mode == HX_ATTR_NULL)
				printf(", attr NULL\n");
			else if (op->attr_mode == HX_ATTR_PAGE_END)
				printf(", attr readable for %u bytes only\n", op->attr_avail);
			else
				printf("\n");
			for (int k = 0; k < op->nfd; k++)
				printf("    fd at attr offset %u: kernel %d, emulator %d\n", op->fds[k].off, op->fds[k].fd[0],
				       op->fds[k].fd[1]);
			if (op->attr_mode != HX_ATTR_NULL) {
				size_t shown = attr_mem < 256 ? attr_mem : 256;

				printf("    attr bytes (kernel side, before the call):\n");
				hx_dump_bytes("      ", attr_before[0] + (apl[0].ptr - apl[0].lo), shown, 0);
			}
			print_answer("kernel:", ret[0], err[0]);
			print_answer("emulator:", ret[1], err[1]);
			printf("    %s\n", why);
			for (int s = 0; s < 2; s++)
				if (err[s] == ENOMEM || err[s] == ENOSPC || err[s] == EMFILE || err[s] == ENFILE)
					printf("    note: %s on the %s side: resource exhaustion (memory, tmpfs, fds) on this "
					       "machine is the likelier cause than the emulator's semantics\n",
					       hx_errname(err[s]), s ? "emulator" : "kernel");
			for (int i = 0; i < op->nbuf && !op->relaxed_out; i++) {
				size_t n = op->buf[i].len < 64 ? op->buf[i].len : 64;

				printf("    buffer #%d after, kernel:\n", i);
				hx_dump_bytes("      ", bpl[0][i].ptr, n, 0);
				printf("    buffer #%d after, emulator:\n", i);
				hx_dump_bytes("      ", bpl[1][i].ptr, n, 0);
			}
		} else if (hx_ndiv == hx_max_reports + 1 && hx_max_reports) {
			printf("(further divergence reports suppressed)\n");
		}
	}

	for (int i = 0; i < op->nbuf; i++)
		if (op->buf[i].out)
			memcpy(op->buf[i].out, bpl[0][i].ptr, op->buf[i].len);
	for (int s = 0; s < 2; s++) {
		memset(last_attr[s], 0, sizeof(last_attr[s]));
		if (op->attr_mode != HX_ATTR_NULL)
			memcpy(last_attr[s], apl[s].ptr, attr_mem < sizeof(last_attr[s]) ? attr_mem : sizeof(last_attr[s]));
	}
	if (op->ret_fd && (!op->keep_fds || res->diverged)) {
		for (int s = 0; s < 2; s++)
			if (ret[s] >= 0)
				close((int)ret[s]);
		if (res->diverged) {
			res->ret[0] = res->ret[1] = -1;
			res->err[0] = res->err[1] = ENOTRECOVERABLE;
		}
	}
	return res->diverged;
}

const unsigned char *hx_last_attr(int side) { return last_attr[side]; }

/* Pointers hx_run does not copy per side; the 0x7ffffffff000 bound is x86-64's top of user space,
 * where the differential suites run. */
bool hx_raw_ptr(const void *ptr)
{
	uintptr_t a = (uintptr_t)ptr;

	if (!ptr || a < HX_PAGE)
		return true;
	if (bad_page && a >= (uintptr_t)bad_page && a < (uintptr_t)bad_page + HX_PAGE)
		return true;
	if (shared_in.base && a >= (uintptr_t)shared_in.base && a <= (uintptr_t)shared_in.base + shared_in.cap)
		return true;
	return a >= 0x7ffffffff000ull;
}
