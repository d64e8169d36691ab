/* SPDX-License-Identifier: MIT */
/*
 * BPF_BTF_LOAD against the kernel: every blob is loaded by the kernel (bpf(18)) and by the
 * emulator's BTF module (emu_btf_load_attr, what the command will call), and everything the
 * caller sees is compared: success or the errno, log_true_size, and every byte of the log
 * buffer (both poisoned alike beforehand).
 *
 * Parts: fixed cases (log attrs, NULL and wild pointers, sizes, small logs in rolling and fixed
 * mode, levels 1 and 2), valid blobs from clang-built BPF objects (tests/diff/btf_src, as
 * libbpf prepares them and as the compiler wrote them), the machine's vmlinux BTF as a user
 * blob, hand-built blobs, then mutations of all of those (header fields, section bounds, type
 * infos, vlen, sizes, name offsets, member offsets, type ids, string bytes, truncation),
 * bounded by time or count.
 *
 *   diff_btf [--seconds N] [--count N] [--seed S] [--expect-divergence] [--blob FILE]
 *   (or BTF_DIFF_SECONDS / BTF_DIFF_COUNT / BTF_DIFF_SEED in the environment; default 20 s)
 *
 * --expect-divergence is the planted-fault self-test (built against the fault-injecting
 * library, run with BPFEMU_FAULT=btf-vlen): it passes only if divergences were found.
 * Exits 77 when bpf() is not permitted here, 1 instead when BPFEMU_REQUIRE_KERNEL=1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef DIFF_BTF_HAVE_LIBBPF
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#endif

#include "../../emu/btf/btf.h"

#define ATTR_SIZE 48u
#define POISON 0xa5

static unsigned long n_cases, n_div, n_ok_loads;
static unsigned long n_map_cases, n_map_div;
static unsigned max_reports = 5;
static bool quiet;
static unsigned long show_cases; /* BTF_DIFF_SHOW=n: print the first n agreeing cases */

/* ---- one call on each side ---- */

enum log_mode { LOG_NONE, LOG_BUF, LOG_WILD };

struct call {
	const void *blob;     /* NULL: a NULL pointer */
	bool blob_wild;       /* an address that faults */
	uint32_t size;
	enum log_mode log;
	uint32_t log_size, log_level;
	uint32_t attr_size;
	uint32_t size_field_override; /* non-zero: btf_size says this instead of size */
};

struct result {
	long ret;
	int err;
	uint32_t true_size;
	unsigned char *logbuf;
};

static void *wild_ptr;
static void dump_blob(const unsigned char *blob, uint32_t n);
static void map_probe(const unsigned char *blob, uint32_t n, const char *what);

static void fill_attr(unsigned char *a, const struct call *c, const void *blob, void *logbuf)
{
	uint64_t p = (uint64_t)(uintptr_t)blob, l = (uint64_t)(uintptr_t)logbuf;
	uint32_t size = c->size_field_override ? c->size_field_override : c->size;

	memset(a, 0, ATTR_SIZE);
	memcpy(a + 0, &p, 8);
	memcpy(a + 8, &l, 8);
	memcpy(a + 16, &size, 4);
	memcpy(a + 20, &c->log_size, 4);
	memcpy(a + 24, &c->log_level, 4);
	memset(a + 28, 0xee, 4); /* log_true_size: shows whether it is written */
}

static void run_side(int side, const struct call *c, struct result *r)
{
	unsigned char attr[ATTR_SIZE], kattr[ATTR_SIZE];
	const void *blob = c->blob_wild ? wild_ptr : c->blob;
	void *logp = NULL;

	memset(r, 0, sizeof(*r));
	if (c->log == LOG_BUF) {
		r->logbuf = malloc(c->log_size ? c->log_size : 1);
		memset(r->logbuf, POISON, c->log_size);
		logp = r->logbuf;
	} else if (c->log == LOG_WILD) {
		logp = wild_ptr;
	}
	fill_attr(attr, c, blob, logp);
	if (side == 0) {
		r->ret = syscall(__NR_bpf, 18, attr, c->attr_size);
		r->err = r->ret < 0 ? errno : 0;
		if (r->ret >= 0)
			close((int)r->ret);
	} else {
		struct emu_btf *btf = NULL;
		int e;

		memcpy(kattr, attr, ATTR_SIZE);
		if (c->attr_size < ATTR_SIZE)
			memset(kattr + c->attr_size, 0, ATTR_SIZE - c->attr_size);
		e = emu_btf_load_attr(kattr, attr, c->attr_size, &btf);
		r->ret = e ? -1 : 3;
		r->err = e ? -e : 0;
		emu_btf_free(btf);
	}
	memcpy(&r->true_size, attr + 28, 4);
}

static void print_log(const char *who, const unsigned char *b, uint32_t n)
{
	uint32_t len = 0;

	while (len < n && b[len] != POISON)
		len++;
	printf("  %s log (%u bytes before poison):\n", who, len);
	for (uint32_t i = 0; i < len && i < 3000; i++) {
		if (b[i] == 0)
			printf("\\0");
		else
			putchar(b[i]);
	}
	printf("\n");
}

/* what the kernel answered, by errno and the log's last line: shows what the run reached */
static struct outcome {
	int err;
	char line[96];
	unsigned long n;
} outcomes[512];
static unsigned n_outcomes;

static unsigned long errno_count[600];

static void note_outcome(const struct call *c, const struct result *k)
{
	char line[96] = "";

	if (k->err >= 0 && k->err < 600)
		errno_count[k->err]++;

	if (c->log == LOG_BUF && c->log_size >= (1u << 16)) {
		const unsigned char *b = k->logbuf;
		uint32_t len = 0, start;

		while (len < c->log_size && b[len] && b[len] != POISON)
			len++;
		while (len && b[len - 1] == '\n')
			len--;
		start = len;
		while (start && b[start - 1] != '\n')
			start--;
		/* strip the "[id] KIND name" prefix and numbers so that like outcomes count together */
		for (uint32_t i = start, o = 0; i < len && o + 1 < sizeof(line); i++)
			if (!(b[i] >= '0' && b[i] <= '9'))
				line[o++] = (char)b[i], line[o] = 0;
	} else {
		return;
	}
	for (unsigned i = 0; i < n_outcomes; i++) {
		if (outcomes[i].err == k->err && !strcmp(outcomes[i].line, line)) {
			outcomes[i].n++;
			return;
		}
	}
	if (n_outcomes < sizeof(outcomes) / sizeof(outcomes[0])) {
		outcomes[n_outcomes].err = k->err;
		memcpy(outcomes[n_outcomes].line, line, sizeof(line));
		outcomes[n_outcomes++].n = 1;
	}
}

static int cmp_outcome(const void *a, const void *b)
{
	const struct outcome *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static void print_errnos(void)
{
	printf("kernel answers:");
	for (int i = 0; i < 600; i++)
		if (errno_count[i])
			printf(" %s %lu", i ? (i == 524 ? "ENOTSUPP" : strerrorname_np(i)) : "ok", errno_count[i]);
	printf("\n");
}

static void print_outcomes(void)
{
	qsort(outcomes, n_outcomes, sizeof(outcomes[0]), cmp_outcome);
	printf("kernel outcomes of the large-log cases (%u kinds; errno, last log line without digits):\n", n_outcomes);
	for (unsigned i = 0; i < n_outcomes; i++)
		printf("  %8lu  %3d  %s\n", outcomes[i].n, outcomes[i].err, outcomes[i].line);
}

/* runs c on both sides; 0 when identical */
static int compare(const struct call *c, const char *what, struct result *kout)
{
	struct result k, e;
	bool div = false;

	run_side(0, c, &k);
	run_side(1, c, &e);
	n_cases++;
	if ((k.ret >= 0) != (e.ret >= 0) || k.err != e.err || k.true_size != e.true_size)
		div = true;
	if (c->log == LOG_BUF && memcmp(k.logbuf, e.logbuf, c->log_size))
		div = true;
	if (k.ret >= 0)
		n_ok_loads++;
	note_outcome(c, &k);
	if (show_cases && !div) {
		show_cases--;
		printf("SHOW %s: kernel ret %ld errno %d true_size %u / emulator ret %ld errno %d true_size %u\n", what,
		       k.ret, k.err, k.true_size, e.ret, e.err, e.true_size);
		if (c->log == LOG_BUF)
			print_log("both", k.logbuf, c->log_size);
	}
	if (div) {
		n_div++;
		if (c->blob && !c->blob_wild)
			dump_blob(c->blob, c->size);
		if (n_div <= max_reports) {
			printf("DIVERGENCE %s: size %u level %u log_size %u mode %d\n", what, c->size, c->log_level,
			       c->log_size, c->log);
			printf("  kernel:   ret %ld errno %d true_size %u\n", k.ret, k.err, k.true_size);
			printf("  emulator: ret %ld errno %d true_size %u\n", e.ret, e.err, e.true_size);
			if (c->log == LOG_BUF) {
				uint32_t i = 0;

				while (i < c->log_size && k.logbuf[i] == e.logbuf[i])
					i++;
				printf("  logs first differ at byte %u\n", i);
				print_log("kernel", k.logbuf, c->log_size);
				print_log("emulator", e.logbuf, c->log_size);
			}
		}
	}
	if (kout) {
		*kout = k;
		k.logbuf = NULL;
	}
	free(k.logbuf);
	free(e.logbuf);
	return div;
}

static struct call mk(const void *blob, uint32_t size, uint32_t level, uint32_t log_size)
{
	struct call c = { .blob = blob, .size = size, .log = log_size ? LOG_BUF : LOG_NONE,
			  .log_size = log_size, .log_level = level, .attr_size = ATTR_SIZE };
	return c;
}

/* ---- blobs ---- */

struct blob {
	unsigned char *p;
	uint32_t n;
	char name[64];
};

static struct blob seeds[64];
static int n_seeds;

static void add_seed(const void *p, uint32_t n, const char *fmt, ...)
{
	va_list ap;

	if (n_seeds == (int)(sizeof(seeds) / sizeof(seeds[0])))
		return;
	seeds[n_seeds].p = malloc(n);
	memcpy(seeds[n_seeds].p, p, n);
	seeds[n_seeds].n = n;
	va_start(ap, fmt);
	vsnprintf(seeds[n_seeds].name, sizeof(seeds[n_seeds].name), fmt, ap);
	va_end(ap);
	n_seeds++;
}

/* A blob under construction: types then strings. */
struct builder {
	unsigned char types[4096];
	uint32_t tlen;
	char strs[1024];
	uint32_t slen;
};

static void b_init(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1;
}

static uint32_t b_str(struct builder *b, const char *s)
{
	uint32_t off = b->slen;

	memcpy(b->strs + b->slen, s, strlen(s) + 1);
	b->slen += (uint32_t)strlen(s) + 1;
	return off;
}

static void b_u32(struct builder *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

static void b_type(struct builder *b, uint32_t name, uint32_t kind, uint32_t kflag, uint32_t vlen, uint32_t st)
{
	b_u32(b, name);
	b_u32(b, EMU_BTF_INFO(kind, kflag, vlen));
	b_u32(b, st);
}

static uint32_t b_finish(struct builder *b, unsigned char *out)
{
	struct emu_btf_header h = { EMU_BTF_MAGIC, 1, 0, 24, 0, b->tlen, b->tlen, b->slen };

	memcpy(out, &h, 24);
	memcpy(out + 24, b->types, b->tlen);
	memcpy(out + 24 + b->tlen, b->strs, b->slen);
	return 24 + b->tlen + b->slen;
}

static void hand_seeds(void)
{
	struct builder b;
	unsigned char out[8192];
	uint32_t n;

	/* [1] int, [2] struct s { int a; int *p; char c[3]; }, [3] ptr, [4] array, [5] char */
	b_init(&b);
	b_type(&b, b_str(&b, "int"), EMU_BTF_KIND_INT, 0, 0, 4);
	b_u32(&b, (EMU_BTF_INT_SIGNED << 24) | 32);
	b_type(&b, b_str(&b, "s"), EMU_BTF_KIND_STRUCT, 0, 3, 16);
	b_u32(&b, b_str(&b, "a")); b_u32(&b, 1); b_u32(&b, 0);
	b_u32(&b, b_str(&b, "p")); b_u32(&b, 3); b_u32(&b, 32);
	b_u32(&b, b_str(&b, "c")); b_u32(&b, 4); b_u32(&b, 96);
	b_type(&b, 0, EMU_BTF_KIND_PTR, 0, 0, 1);
	b_type(&b, 0, EMU_BTF_KIND_ARRAY, 0, 0, 0);
	b_u32(&b, 5); b_u32(&b, 1); b_u32(&b, 3);
	b_type(&b, b_str(&b, "char"), EMU_BTF_KIND_INT, 0, 0, 1);
	b_u32(&b, (EMU_BTF_INT_CHAR << 24) | 8);
	n = b_finish(&b, out);
	add_seed(out, n, "hand: struct");

	/* modifiers, typedef chain, type tag, func, func_proto with vararg, enum64, float, fwd,
	 * decl tag on a member, datasec with a var */
	b_init(&b);
	b_type(&b, b_str(&b, "long"), EMU_BTF_KIND_INT, 0, 0, 8);            /* 1 */
	b_u32(&b, (EMU_BTF_INT_SIGNED << 24) | 64);
	b_type(&b, b_str(&b, "tag1"), EMU_BTF_KIND_TYPE_TAG, 0, 0, 3);       /* 2 */
	b_type(&b, 0, EMU_BTF_KIND_CONST, 0, 0, 4);                           /* 3 */
	b_type(&b, 0, EMU_BTF_KIND_VOLATILE, 0, 0, 1);                        /* 4 */
	b_type(&b, 0, EMU_BTF_KIND_PTR, 0, 0, 2);                             /* 5 */
	b_type(&b, b_str(&b, "lt"), EMU_BTF_KIND_TYPEDEF, 0, 0, 5);           /* 6 */
	b_type(&b, 0, EMU_BTF_KIND_FUNC_PROTO, 0, 3, 1);                      /* 7 */
	b_u32(&b, b_str(&b, "x")); b_u32(&b, 6);
	b_u32(&b, b_str(&b, "y")); b_u32(&b, 1);
	b_u32(&b, 0); b_u32(&b, 0);
	b_type(&b, b_str(&b, "fn"), EMU_BTF_KIND_FUNC, 0, 1, 7);              /* 8 */
	b_type(&b, b_str(&b, "e64"), EMU_BTF_KIND_ENUM64, 1, 2, 8);           /* 9 */
	b_u32(&b, b_str(&b, "A")); b_u32(&b, 0xffffffff); b_u32(&b, 0xffffffff);
	b_u32(&b, b_str(&b, "B")); b_u32(&b, 5); b_u32(&b, 1);
	b_type(&b, b_str(&b, "double"), EMU_BTF_KIND_FLOAT, 0, 0, 8);         /* 10 */
	b_type(&b, b_str(&b, "opaque"), EMU_BTF_KIND_FWD, 1, 0, 0);           /* 11 */
	b_type(&b, b_str(&b, "bf"), EMU_BTF_KIND_STRUCT, 1, 3, 24);           /* 12 */
	b_u32(&b, b_str(&b, "a")); b_u32(&b, 1); b_u32(&b, (3u << 24) | 0);
	b_u32(&b, b_str(&b, "d")); b_u32(&b, 10); b_u32(&b, 64);
	b_u32(&b, b_str(&b, "o")); b_u32(&b, 14); b_u32(&b, 128);
	b_type(&b, b_str(&b, "member_tag"), EMU_BTF_KIND_DECL_TAG, 0, 0, 12); /* 13 */
	b_u32(&b, 1);
	b_type(&b, 0, EMU_BTF_KIND_PTR, 0, 0, 11);                            /* 14 */
	b_type(&b, b_str(&b, "gv"), EMU_BTF_KIND_VAR, 0, 0, 1);               /* 15 */
	b_u32(&b, 1);
	b_type(&b, b_str(&b, ".data"), EMU_BTF_KIND_DATASEC, 0, 1, 8);        /* 16 */
	b_u32(&b, 15); b_u32(&b, 0); b_u32(&b, 8);
	b_type(&b, b_str(&b, "u"), EMU_BTF_KIND_UNION, 0, 2, 8);              /* 17 */
	b_u32(&b, b_str(&b, "l")); b_u32(&b, 1); b_u32(&b, 0);
	b_u32(&b, b_str(&b, "f")); b_u32(&b, 10); b_u32(&b, 0);
	b_type(&b, b_str(&b, "en"), EMU_BTF_KIND_ENUM, 0, 1, 4);              /* 18 */
	b_u32(&b, b_str(&b, "Z")); b_u32(&b, 0x80000000u);
	n = b_finish(&b, out);
	add_seed(out, n, "hand: kinds");

	/* special fields: struct bpf_spin_lock + a struct using it twice (E2BIG at load) */
	b_init(&b);
	b_type(&b, b_str(&b, "int"), EMU_BTF_KIND_INT, 0, 0, 4);              /* 1 */
	b_u32(&b, 32);
	b_type(&b, b_str(&b, "bpf_spin_lock"), EMU_BTF_KIND_STRUCT, 0, 1, 4); /* 2 */
	b_u32(&b, b_str(&b, "val")); b_u32(&b, 1); b_u32(&b, 0);
	b_type(&b, b_str(&b, "v"), EMU_BTF_KIND_STRUCT, 0, 3, 12);            /* 3 */
	b_u32(&b, b_str(&b, "l1")); b_u32(&b, 2); b_u32(&b, 0);
	b_u32(&b, b_str(&b, "x")); b_u32(&b, 1); b_u32(&b, 32);
	b_u32(&b, b_str(&b, "l2")); b_u32(&b, 2); b_u32(&b, 64);
	n = b_finish(&b, out);
	add_seed(out, n, "hand: two spin locks");
}

/* Ownership graphs of bpf_list_head roots (what BPF_BTF_LOAD checks for cycles). Each struct
 * is "<name><node><owned>": node 'r' a real bpf_list_node, 'x' one of a wrong size (not a
 * node then), '-' none; owned: the name of the struct its list holds, or '-' (no list). */
static void graph_seed(const char *const *spec, int n, const char *label)
{
	struct builder b;
	unsigned char out[4096];
	uint32_t first, len;

	b_init(&b);
	b_type(&b, b_str(&b, "int"), EMU_BTF_KIND_INT, 0, 0, 4);                 /* 1 */
	b_u32(&b, 32);
	b_type(&b, b_str(&b, "u64"), EMU_BTF_KIND_INT, 0, 0, 8);                 /* 2 */
	b_u32(&b, 64);
	b_type(&b, 0, EMU_BTF_KIND_ARRAY, 0, 0, 0);                               /* 3 */
	b_u32(&b, 2); b_u32(&b, 1); b_u32(&b, 2);
	b_type(&b, 0, EMU_BTF_KIND_ARRAY, 0, 0, 0);                               /* 4 */
	b_u32(&b, 2); b_u32(&b, 1); b_u32(&b, 3);
	b_type(&b, b_str(&b, "bpf_spin_lock"), EMU_BTF_KIND_STRUCT, 0, 1, 4);     /* 5 */
	b_u32(&b, b_str(&b, "val")); b_u32(&b, 1); b_u32(&b, 0);
	b_type(&b, b_str(&b, "bpf_list_head"), EMU_BTF_KIND_STRUCT, 0, 1, 16);    /* 6 */
	b_u32(&b, b_str(&b, "o")); b_u32(&b, 3); b_u32(&b, 0);
	b_type(&b, b_str(&b, "bpf_list_node"), EMU_BTF_KIND_STRUCT, 0, 1, 24);    /* 7 */
	b_u32(&b, b_str(&b, "o")); b_u32(&b, 4); b_u32(&b, 0);
	b_type(&b, b_str(&b, "bpf_list_node"), EMU_BTF_KIND_STRUCT, 0, 1, 28);    /* 8: not a node */
	b_u32(&b, b_str(&b, "o")); b_u32(&b, 4); b_u32(&b, 0);
	first = 9;
	for (int i = 0; i < n; i++) {
		char name[2] = { spec[i][0], 0 };
		uint32_t node = spec[i][1] == 'r' ? 7 : spec[i][1] == 'x' ? 8 : 0;
		bool owns = spec[i][2] != '-';

		if (!owns) {
			b_type(&b, b_str(&b, name), EMU_BTF_KIND_STRUCT, 0, 1, 32);
			b_u32(&b, b_str(&b, "n")); b_u32(&b, node ? node : 1); b_u32(&b, 0);
			continue;
		}
		b_type(&b, b_str(&b, name), EMU_BTF_KIND_STRUCT, 0, node ? 3 : 2, 64);
		b_u32(&b, b_str(&b, "l")); b_u32(&b, 5); b_u32(&b, 0);
		if (node) {
			b_u32(&b, b_str(&b, "n")); b_u32(&b, node); b_u32(&b, 64);
		}
		b_u32(&b, b_str(&b, "h")); b_u32(&b, 6); b_u32(&b, 320);
	}
	for (int i = 0; i < n; i++) {
		char tag[32];

		if (spec[i][2] == '-')
			continue;
		snprintf(tag, sizeof(tag), "contains:%c:n", spec[i][2]);
		b_type(&b, b_str(&b, tag), EMU_BTF_KIND_DECL_TAG, 0, 0, first + (uint32_t)i);
		b_u32(&b, spec[i][1] == '-' ? 1 : 2);
	}
	len = b_finish(&b, out);
	add_seed(out, len, "graph: %s", label);
}

static void graph_seeds(void)
{
	static const char *const self_real[] = { "SrS" }, *const self_fake[] = { "SxS" };
	static const char *const chain[] = { "A-B", "BrC", "Cr-" }, *const chain_fake[] = { "A-B", "BxC", "Cr-" };
	static const char *const mutual[] = { "SxT", "TxS" }, *const ring3[] = { "DxE", "ExF", "FxD" };
	static const char *const into_ring[] = { "S-T", "TxT" }, *const node_root[] = { "DrE", "ExF", "Fr-" };
	static const char *const bad_size[] = { "S-N", "Nx-" };

	graph_seed(self_real, 1, "a node that holds its own kind");
	graph_seed(self_fake, 1, "a struct that holds itself");
	graph_seed(chain, 3, "root -> root+node -> node");
	graph_seed(chain_fake, 3, "root -> root -> node");
	graph_seed(mutual, 2, "two holding each other");
	graph_seed(ring3, 3, "a ring of three");
	graph_seed(into_ring, 2, "root -> a self-holder");
	graph_seed(node_root, 3, "root+node -> root -> node");
	graph_seed(bad_size, 2, "holds a struct without a node");
}

static bool read_file(const char *path, unsigned char **p, uint32_t *n)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	ssize_t got = 0;

	if (fd < 0 || fstat(fd, &st))
		return false;
	*p = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (got < st.st_size) {
		ssize_t r = read(fd, *p + got, (size_t)(st.st_size - got));

		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	*n = (uint32_t)got;
	return true;
}

static void object_seeds(void)
{
#if defined(DIFF_BTF_HAVE_LIBBPF) && defined(BTF_OBJ_DIR)
	static const char *const objs[] = { "maps", "types", "graph", "graph_loop" };

	libbpf_set_print(NULL);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[512];
		struct bpf_object *obj;
		struct btf *btf;
		const void *raw;
		uint32_t n;

		snprintf(path, sizeof(path), "%s/%s.bpf.o", BTF_OBJ_DIR, objs[i]);
		obj = bpf_object__open_file(path, NULL);
		if (!obj || libbpf_get_error(obj)) {
			printf("note: %s: libbpf could not open it\n", path);
			continue;
		}
		btf = bpf_object__btf(obj);
		if (btf) {
			raw = btf__raw_data(btf, &n);
			add_seed(raw, n, "%s.bpf.o (libbpf)", objs[i]);
		}
		bpf_object__close(obj);
		btf = btf__parse_elf(path, NULL);
		if (btf && !libbpf_get_error(btf)) {
			raw = btf__raw_data(btf, &n);
			add_seed(raw, n, "%s.bpf.o (.BTF as compiled)", objs[i]);
			btf__free(btf);
		}
	}
#else
	printf("note: built without libbpf or the BPF objects: no clang-built seeds\n");
#endif
}

/* ---- fixed cases ---- */

static void fixed_cases(void)
{
	const struct blob *s = &seeds[0];
	struct call c;
	unsigned long before = n_div;
	static const uint32_t small_sizes[] = { 1, 2, 7, 16, 50, 100, 255, 256, 1000 };

	/* log attrs */
	c = mk(s->p, s->n, 1, 0);
	compare(&c, "level 1, no buffer (true size only)", NULL);
	c = mk(s->p, s->n, 0, 64);
	compare(&c, "buffer without level", NULL);
	c = mk(s->p, s->n, 1, 64);
	c.log = LOG_NONE;
	compare(&c, "size without buffer", NULL);
	c = mk(s->p, s->n, 32, 4096);
	compare(&c, "unknown level bit", NULL);
	c = mk(s->p, s->n, 1, 4096);
	c.log_size = (UINT32_MAX >> 2) + 1;
	c.log = LOG_WILD;
	compare(&c, "log_size above UINT_MAX >> 2", NULL);
	c = mk(s->p, s->n, 1, 4096);
	c.log = LOG_WILD;
	compare(&c, "wild log buffer", NULL);
	c = mk(s->p, s->n, 0, 0);
	c.blob = NULL;
	compare(&c, "NULL blob", NULL);
	c = mk(s->p, s->n, 1, 4096);
	c.blob_wild = true;
	compare(&c, "wild blob, logging", NULL);
	c = mk(s->p, 0, 1, 4096);
	compare(&c, "btf_size 0", NULL);
	c = mk(s->p, 4, 1, 4096);
	compare(&c, "btf_size 4", NULL);
	c = mk(NULL, 16u << 20, 1, 4096);
	c.size_field_override = (16u << 20) + 1;
	compare(&c, "btf_size 16 MiB + 1", NULL);
	c = mk(NULL, 0, 1, 4096);
	c.size_field_override = UINT32_MAX;
	compare(&c, "btf_size UINT32_MAX", NULL);
	c = mk(s->p, s->n, 1, 4096);
	c.size_field_override = 16u << 20;
	c.blob_wild = true;
	compare(&c, "btf_size 16 MiB from a wild pointer", NULL);
	for (uint32_t a = 28; a <= ATTR_SIZE; a += 4) {
		c = mk(s->p, s->n, 1, 100);
		c.attr_size = a;
		compare(&c, "attr sizes around log_true_size", NULL);
	}

	/* every seed, every level, small and large logs, rolling and fixed */
	for (int i = 0; i < n_seeds; i++) {
		static const uint32_t levels[] = { 0, 1, 2, 1 | 8, 2 | 8, 4, 1 | 4 };

		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			c = mk(seeds[i].p, seeds[i].n, levels[l], levels[l] ? 1u << 20 : 0);
			compare(&c, seeds[i].name, NULL);
			for (size_t z = 0; levels[l] && z < sizeof(small_sizes) / sizeof(small_sizes[0]); z++) {
				c = mk(seeds[i].p, seeds[i].n, levels[l], small_sizes[z]);
				compare(&c, seeds[i].name, NULL);
			}
		}
	}
	/* map BTF checks on every seed, many random key/value pairs each */
	for (int i = 0; i < n_seeds; i++)
		for (int k = 0; k < 40; k++)
			map_probe(seeds[i].p, seeds[i].n, seeds[i].name);
	printf("fixed cases: %lu compared, %lu map BTF checks, %lu divergences\n", n_cases, n_map_cases, n_div - before);
}

static void vmlinux_case(void)
{
	unsigned char *p;
	uint32_t n;
	struct call c;
	unsigned long before = n_div;

	if (!read_file("/sys/kernel/btf/vmlinux", &p, &n)) {
		printf("note: no /sys/kernel/btf/vmlinux\n");
		return;
	}
	c = mk(p, n, 0, 0);
	compare(&c, "vmlinux as a user blob, no log", NULL);
	c = mk(p, n, 1, 64u << 20);
	compare(&c, "vmlinux as a user blob, level 1", NULL);
	c = mk(p, n, 2, 4096);
	compare(&c, "vmlinux as a user blob, small log", NULL);
	printf("vmlinux (%u bytes): %lu divergences\n", n, n_div - before);
	free(p);
}

/* ---- mutations ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

static uint32_t interesting(uint32_t near)
{
	static const uint32_t v[] = { 0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 31, 32, 33, 63, 64, 127, 128, 129, 255, 256,
				      0xffff, 0x10000, 0xfffff, 0x100000, 0xffffff, 0x1000000, 0x7fffffff,
				      0x80000000, 0xfffffffe, 0xffffffff };

	switch (below(4)) {
	case 0:
		return near + below(9) - 4;
	case 1:
		return (uint32_t)rnd();
	default:
		return v[below(sizeof(v) / sizeof(v[0]))];
	}
}

static void put32(unsigned char *p, uint32_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static uint32_t get32(const unsigned char *p, uint32_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

/* offsets of the type records of a (seed) blob, walked leniently */
static uint32_t type_offsets(const unsigned char *p, uint32_t n, uint32_t *offs, uint32_t max)
{
	struct emu_btf_header h;
	uint32_t cur, end, cnt = 0;

	if (n < 24)
		return 0;
	memcpy(&h, p, 24);
	cur = h.hdr_len + h.type_off;
	end = cur + h.type_len;
	if (end > n || end < cur)
		return 0;
	while (cur + 12 <= end && cnt < max) {
		uint32_t info = get32(p, cur + 4), vlen = EMU_BTF_INFO_VLEN(info), extra = 0;

		offs[cnt++] = cur;
		switch (EMU_BTF_INFO_KIND(info)) {
		case EMU_BTF_KIND_INT: case EMU_BTF_KIND_VAR: case EMU_BTF_KIND_DECL_TAG: extra = 4; break;
		case EMU_BTF_KIND_ARRAY: extra = 12; break;
		case EMU_BTF_KIND_STRUCT: case EMU_BTF_KIND_UNION: case EMU_BTF_KIND_DATASEC:
		case EMU_BTF_KIND_ENUM64: extra = vlen * 12; break;
		case EMU_BTF_KIND_ENUM: case EMU_BTF_KIND_FUNC_PROTO: extra = vlen * 8; break;
		}
		cur += 12 + extra;
	}
	return cnt;
}

static uint32_t mutate(unsigned char *p, uint32_t n, uint32_t cap)
{
	static uint32_t offs[4096];
	struct emu_btf_header h;
	uint32_t nt = type_offsets(p, n, offs, 4096);

	memcpy(&h, p, 24 < n ? 24 : n);
	switch (below(12)) {
	case 0: /* one bit */
		if (n)
			p[below(n)] ^= (unsigned char)(1u << below(8));
		break;
	case 1: /* one byte */
		if (n)
			p[below(n)] = (unsigned char)rnd();
		break;
	case 2: { /* an aligned word anywhere */
		uint32_t off = below(n / 4) * 4;

		if (off + 4 <= n)
			put32(p, off, interesting(get32(p, off)));
		break;
	}
	case 3: { /* a header field */
		uint32_t f = below(6) * 4 + (below(6) ? 4 : 0);

		if (f == 0) {
			p[below(4)] = (unsigned char)rnd();
		} else if (f + 4 <= n) {
			put32(p, f, interesting(get32(p, f)));
		}
		break;
	}
	case 4: /* section bounds: move a boundary, keep the rest consistent or not */
		if (n >= 24) {
			uint32_t d = below(9) * 4 - 16;

			h.type_len += d;
			if (below(2))
				h.str_off += d;
			if (below(2))
				h.str_len -= d;
			memcpy(p, &h, 24);
		}
		break;
	case 5: /* size: truncate or extend */
		if (below(2) && n > 1)
			return n - 1 - below(n < 64 ? n - 1 : 64);
		else {
			uint32_t add = below(16) + 1;

			if (n + add <= cap) {
				memset(p + n, below(2) ? 0 : (int)rnd(), add);
				return n + add;
			}
		}
		break;
	case 6: case 7: { /* a type's info: kind, vlen, kind_flag, the unused bits */
		if (!nt)
			break;
		uint32_t o = offs[below(nt)], info = get32(p, o + 4);

		switch (below(5)) {
		case 0: info = (info & ~(0x1fu << 24)) | (below(21) << 24); break;
		case 1: info = (info & ~0xffffu) | (uint32_t)(EMU_BTF_INFO_VLEN(info) + below(5) - 2) % 0x10000; break;
		case 2: info ^= 1u << 31; break;
		case 3: info ^= 1u << (16 + below(8)); break;
		default: info = (info & ~0xffffu) | (interesting(EMU_BTF_INFO_VLEN(info)) & 0xffff); break;
		}
		put32(p, o + 4, info);
		break;
	}
	case 8: { /* a type's name offset or size/type */
		if (!nt)
			break;
		uint32_t o = offs[below(nt)] + (below(2) ? 0 : 8);

		put32(p, o, below(3) ? below(h.str_len + 4) : interesting(get32(p, o)));
		break;
	}
	case 9: { /* the data after a type: members, offsets, ids, enum values */
		if (!nt)
			break;
		uint32_t i = below(nt), o = offs[i] + 12, end = i + 1 < nt ? offs[i + 1] : h.hdr_len + h.type_off + h.type_len;

		if (end > o && end <= n) {
			uint32_t w = o + below((end - o) / 4) * 4;

			put32(p, w, below(2) ? below(nt + 3) : interesting(get32(p, w)));
		}
		break;
	}
	case 10: { /* a string byte */
		uint64_t s = (uint64_t)h.hdr_len + h.str_off;

		if (h.str_len && s + h.str_len <= n) {
			static const char pick[] = { 0, '.', '_', 'a', 'Z', '0', ' ', ':', (char)0xc0, (char)0x80, (char)0xff, '\n' };
			p[s + below(h.str_len)] = (unsigned char)pick[below(sizeof(pick))];
		}
		break;
	}
	default: { /* a type id anywhere in the type section made to point elsewhere */
		if (!nt)
			break;
		uint32_t o = offs[below(nt)] + 8;

		put32(p, o, below(nt + 2));
		break;
	}
	}
	return n;
}

/* BTF_DIFF_DUMP=dir: divergent blobs are written there, for replay */
static void dump_blob(const unsigned char *blob, uint32_t n)
{
	const char *dir = getenv("BTF_DIFF_DUMP");
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/btf-div-%lu.bin", dir, n_div);
	f = fopen(path, "wb");
	if (f) {
		fwrite(blob, 1, n, f);
		fclose(f);
		printf("  blob written to %s\n", path);
	}
}

/* ---- map_create's BTF check on loaded blobs ---- */


/* creates maps whose attrs are valid but for their BTF ids, on the kernel with the blob's BTF fd
 * and through emu_btf_check_map, and compares the answers */
static void map_probe(const unsigned char *blob, uint32_t n, const char *what)
{
	static const uint32_t types[] = { 1, 2, 5, 6, 9, 10 }; /* hash, array, percpu hash/array, lru, lru percpu */
	unsigned char attr[168], ba[ATTR_SIZE];
	struct emu_btf *btf = NULL;
	uint64_t p = (uint64_t)(uintptr_t)blob;
	uint32_t nt;
	int fd;

	memset(ba, 0, sizeof(ba));
	memcpy(ba, &p, 8);
	memcpy(ba + 16, &n, 4);
	fd = (int)syscall(__NR_bpf, 18, ba, ATTR_SIZE);
	if (fd < 0)
		return;
	if (emu_btf_parse(blob, n, NULL, &btf)) {
		printf("DIVERGENCE %s: the kernel loads it, emu_btf_parse refuses it\n", what);
		n_div++;
		close(fd);
		return;
	}
	nt = emu_btf_nr_types(btf);
	for (int i = 0; i < 8; i++) {
		uint32_t type = types[below(6)], kid = below(nt + 1), vid = 1 + below(nt), ks = 4, vs = 8, max = 1 + below(4) * 3;
		uint32_t flags = below(8) ? 0 : (1u << 7), tid;
		bool array = type == 2 || type == 6, percpu = type == 5 || type == 6 || type == 10;
		struct emu_btf_value_fields f;
		long r;
		int kerr, eerr;

		tid = kid;
		if (!array && kid && emu_btf_type_id_size(btf, &tid, &ks) && below(4))
			; /* the key's size */
		else if (!array)
			ks = 1 + below(16);
		tid = vid;
		if (!emu_btf_type_id_size(btf, &tid, &vs) || !below(5))
			vs = 1 + below(64);
		if (!ks || ks > 512 || !vs || vs > 4096 || (percpu && vs > 1024))
			continue;
		memset(attr, 0, sizeof(attr));
		memcpy(attr + 0, &type, 4);
		memcpy(attr + 4, &ks, 4);
		memcpy(attr + 8, &vs, 4);
		memcpy(attr + 12, &max, 4);
		memcpy(attr + 16, &flags, 4);
		memcpy(attr + 48, &fd, 4);
		memcpy(attr + 52, &kid, 4);
		memcpy(attr + 56, &vid, 4);
		r = syscall(__NR_bpf, 0, attr, sizeof(attr));
		kerr = r < 0 ? errno : 0;
		if (r >= 0)
			close((int)r);
		eerr = -emu_btf_check_map(btf, kid, vid, ks, vs, max, type, flags, &f);
		n_map_cases++;
		if (kerr != eerr) {
			n_map_div++;
			n_div++;
			if (n_div <= max_reports)
				printf("DIVERGENCE map check on %s: type %u key %u/%u value %u/%u max %u flags %#x: kernel %d, emulator %d\n",
				       what, type, kid, ks, vid, vs, max, flags, kerr, eerr);
			dump_blob(blob, n);
		}
	}
	emu_btf_free(btf);
	close(fd);
}

static void mutation_run(double seconds, unsigned long count)
{
	struct timespec t0, t;
	unsigned long done = 0, before = n_div;
	unsigned char *buf = NULL;
	uint32_t cap = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const struct blob *s = &seeds[below(n_seeds)];
		uint32_t n = s->n, k = 1 + below(3);
		struct call c;
		struct result kr;
		char what[128];

		if (count && done >= count)
			break;
		if (!count && (done & 63) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
				break;
		}
		if (s->n > 1u << 20) /* vmlinux-sized seeds are for the fixed part only */
			continue;
		if (cap < s->n + 64) {
			cap = s->n + 64;
			buf = realloc(buf, cap);
		}
		memcpy(buf, s->p, s->n);
		for (uint32_t i = 0; i < k; i++)
			n = mutate(buf, n, cap);
		switch (below(8)) {
		case 0: c = mk(buf, n, 2, 1u << 18); break;
		case 1: c = mk(buf, n, 1, 1 + below(400)); break;
		case 2: c = mk(buf, n, 1 | 8, 1 + below(400)); break;
		case 3: c = mk(buf, n, 0, 0); break;
		default: c = mk(buf, n, 1, 1u << 18); break;
		}
		snprintf(what, sizeof(what), "mutation %lu of %s", done, s->name);
		if (!compare(&c, what, &kr) && kr.ret >= 0 && c.blob && !below(4))
			map_probe(buf, n, what);
		free(kr.logbuf);
		done++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("map BTF checks on loaded blobs: %lu maps, %lu divergences\n", n_map_cases, n_map_div);
	printf("mutations: %lu blobs in %.1f s, %lu divergences\n", done,
	       (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9, n_div - before);
	free(buf);
}

/* ---- main ---- */

static bool kernel_ok(void)
{
	unsigned char out[256];
	struct builder b;
	unsigned char attr[ATTR_SIZE];
	uint32_t n;
	uint64_t p = (uint64_t)(uintptr_t)out;
	long r;

	b_init(&b);
	b_type(&b, b_str(&b, "int"), EMU_BTF_KIND_INT, 0, 0, 4);
	b_u32(&b, 32);
	n = b_finish(&b, out);
	memset(attr, 0, sizeof(attr));
	memcpy(attr, &p, 8);
	memcpy(attr + 16, &n, 4);
	r = syscall(__NR_bpf, 18, attr, ATTR_SIZE);
	if (r < 0) {
		printf("SKIP: BPF_BTF_LOAD not permitted here: %s\n", strerror(errno));
		return false;
	}
	close((int)r);
	return true;
}

int main(int argc, char **argv)
{
	double seconds = 20;
	unsigned long count = 0;
	bool expect_div = false;
	const char *e, *replay = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((e = getenv("BTF_DIFF_SECONDS")))
		seconds = atof(e);
	if ((e = getenv("BTF_DIFF_COUNT")))
		count = strtoul(e, NULL, 0);
	rng = (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid();
	if ((e = getenv("BTF_DIFF_SHOW")))
		show_cases = strtoul(e, NULL, 0);
	if ((e = getenv("BTF_DIFF_SEED")))
		rng = strtoull(e, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--expect-divergence"))
			expect_div = true;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--blob") && i + 1 < argc)
			replay = argv[++i];
	}
	if (!rng)
		rng = 1;
	if (!kernel_ok()) {
		e = getenv("BPFEMU_REQUIRE_KERNEL");
		return e && !strcmp(e, "1") ? 1 : 77;
	}
	wild_ptr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (replay) { /* one blob from a file, both answers shown */
		unsigned char *p;
		uint32_t n;
		struct call c;

		if (!read_file(replay, &p, &n))
			return 1;
		show_cases = 1;
		c = mk(p, n, 1, 1u << 20);
		compare(&c, replay, NULL);
		for (int k = 0; k < 20; k++)
			map_probe(p, n, replay);
		return n_div ? 1 : 0;
	}
	printf("diff_btf: seed %llu\n", (unsigned long long)rng);

	hand_seeds();
	graph_seeds();
	object_seeds();
	printf("seeds: %d\n", n_seeds);
	for (int i = 0; i < n_seeds; i++) {
		struct call c = mk(seeds[i].p, seeds[i].n, 0, 0);
		struct result k;

		run_side(0, &c, &k);
		printf("  %-34s %7u bytes, kernel: %s\n", seeds[i].name, seeds[i].n, k.err ? strerror(k.err) : "loads");
	}
	if (expect_div) {
		max_reports = 1;
		mutation_run(seconds, count);
		printf("planted fault self-test: %lu cases, %lu divergences (%s)\n", n_cases, n_div,
		       n_div ? "caught" : "MISSED");
		return n_div ? 0 : 1;
	}
	fixed_cases();
	vmlinux_case();
	mutation_run(seconds, count);
	print_errnos();
	if (getenv("BTF_DIFF_OUTCOMES"))
		print_outcomes();
	printf("diff_btf: %lu blobs compared (%lu loaded by the kernel), %lu divergences\n", n_cases, n_ok_loads, n_div);
	return n_div ? 1 : 0;
}
