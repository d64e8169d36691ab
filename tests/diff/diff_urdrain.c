/* SPDX-License-Identifier: MIT */
/*
 * bpf_user_ringbuf_drain from programs, and the dynptr helpers its callback uses, against the
 * kernel. A USER_RINGBUF is written by hand on both sides as libbpf's user_ring_buffer writes it
 * (records of random sizes, some discarded, a busy one that stops the drain); XDP programs drain
 * it with BPF_PROG_TEST_RUN, their callbacks reading each sample through the dynptr
 * (bpf_dynptr_read into a 16-byte buffer at two offsets, bpf_dynptr_data, bpf_dynptr_write into the
 * sample), counting, or stopping early; every wakeup flag and a bad one. The program's return
 * value, what it stored in a result array (the drain's answer, the callback's sums) and the
 * ring's consumer page and data are compared after each run. Local dynptrs (bpf_dynptr_from_mem)
 * and ringbuf dynptrs (bpf_ringbuf_reserve_dynptr, submit/discard_dynptr) are run the same way
 * with in-range and out-of-range offsets and lengths, bad flags and too-large reservations.
 * Then programs the kernel's verifier refuses for dynptr misuse: the errno and the error line
 * (the log's last line before "processed") are compared.
 *
 *   diff_urdrain [--expect-divergence]
 *
 * --expect-divergence: the run against a library with BPFEMU_FAULT=urb-drain-count (the helper
 * answers one sample fewer than it drained) must report divergences.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "check_cases.h" /* the instruction macros */
#include "frontend.h"
#include "harness.h"
#include "uapi/bpf_insn.h"

#define PAGE 4096u
#define XDP 6u
#define LOG_SIZE 65536
#define MAXI 160

/* the maps a program names, by index in the imm of an ld_imm64 map (patched per side) */
enum { U_URB, U_RES, U_RB, U_ARR, U_NMAPS };
#define UMAP(d, k) I(0x18, d, 1, 0, 0x7fe00000 + (k)), I(0, 0, 0, 0, 0)

#define FN_MAP_UPDATE 2
#define FN_RINGBUF_RESERVE_DYNPTR 198
#define FN_RINGBUF_SUBMIT_DYNPTR 199
#define FN_RINGBUF_DISCARD_DYNPTR 200
#define FN_DYNPTR_FROM_MEM 197
#define FN_DYNPTR_READ 201
#define FN_DYNPTR_WRITE 202
#define FN_DYNPTR_DATA 203
#define FN_DRAIN 209
#define RET0 MOV64I(0, 0), EXIT

static char logs[2][LOG_SIZE];
static uint64_t rng = 0x6a09e667f3bcc908ull;
static unsigned long n_runs, n_verdicts, n_verdict_same;

struct prog {
	const char *name;
	uint32_t cnt, cb;   /* cb: the callback's first insn, 0 none */
	uint32_t cb2;       /* a second callback's, 0 none */
	struct emu_insn insn[MAXI];
};

static void emit(struct prog *p, const struct emu_insn *in, uint32_t n)
{
	if (p->cnt + n > MAXI) {
		fprintf(stderr, "program %s too long\n", p->name);
		abort();
	}
	memcpy(p->insn + p->cnt, in, n * sizeof(*in));
	p->cnt += n;
}
#define E(p, ...)                                                                                  \
	do {                                                                                       \
		const struct emu_insn _i[] = {__VA_ARGS__};                                        \
		emit(p, _i, sizeof(_i) / sizeof(_i[0]));                                           \
	} while (0)

/* ---- loading and running on a side ---- */

/* BTF for a program with a callback: int, a proto without arguments, two static functions. */
static const uint32_t btf_types[] = {
	1, 1u << 24, 4, (1u << 24) | 32, /* [1] int */
	0, 13u << 24, 1,                 /* [2] int (void) */
	5, 12u << 24, 2,                 /* [3] static main */
	10, 12u << 24, 2,                /* [4] static cb */
	13, 12u << 24, 2,                /* [5] static cb2 */
};
static const char btf_strs[] = "\0int\0main\0cb\0cb2";
static struct hx_btf btf = { { -1, -1 }, { 0, 0 } };

static bool load_btf(void)
{
	unsigned char blob[256];
	uint32_t hdr[6] = { 0x0001eb9f, 24, 0, sizeof(btf_types), sizeof(btf_types), sizeof(btf_strs) };

	memcpy(blob, hdr, 24);
	memcpy(blob + 24, btf_types, sizeof(btf_types));
	memcpy(blob + 24 + sizeof(btf_types), btf_strs, sizeof(btf_strs));
	return hx_btf_load(&btf, blob, 24 + sizeof(btf_types) + sizeof(btf_strs)) == 0;
}

static const struct hx_pair *maps_of[U_NMAPS];

static long load(int side, const struct prog *p)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	struct emu_insn insn[MAXI];
	uint32_t type = XDP, ll = 1, ls = LOG_SIZE, n = p->cnt;
	uint64_t ip = (uint64_t)(uintptr_t)insn, lic = (uint64_t)(uintptr_t)"GPL";
	uint64_t lp = (uint64_t)(uintptr_t)logs[side];
	static uint32_t fi[6];

	memcpy(insn, p->insn, n * sizeof(*insn));
	for (uint32_t i = 0; i < n; i++)
		if (insn[i].code == 0x18 && insn[i].src_reg == 1 && insn[i].imm >= 0x7fe00000 &&
		    insn[i].imm < 0x7fe00000 + U_NMAPS) {
			const struct hx_pair *m = maps_of[insn[i].imm - 0x7fe00000];

			insn[i].imm = m ? m->fd[side] : -1;
		}
	memcpy(a + PL_TYPE, &type, 4);
	memcpy(a + PL_INSN_CNT, &n, 4);
	memcpy(a + PL_INSNS, &ip, 8);
	memcpy(a + PL_LICENSE, &lic, 8);
	memcpy(a + PL_LOG_LEVEL, &ll, 4);
	memcpy(a + PL_LOG_SIZE, &ls, 4);
	memcpy(a + PL_LOG_BUF, &lp, 8);
	if (p->cb) {
		uint32_t bfd = (uint32_t)btf.fd[side], rs = 8, cnt = p->cb2 ? 3 : 2;
		uint64_t fp = (uint64_t)(uintptr_t)fi;

		fi[0] = 0;
		fi[1] = 3;
		fi[2] = p->cb;
		fi[3] = 4;
		fi[4] = p->cb2;
		fi[5] = 5;
		memcpy(a + PL_BTF_FD, &bfd, 4);
		memcpy(a + PL_FUNC_INFO_REC_SIZE, &rs, 4);
		memcpy(a + PL_FUNC_INFO, &fp, 8);
		memcpy(a + PL_FUNC_INFO_CNT, &cnt, 4);
	}
	logs[side][0] = 0;
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

/* TEST_RUN on a 64-byte packet of zeros: the retval or -errno. */
static long run(int side, int fd)
{
	static const unsigned char pkt[64];

	return hx_prog_run_pkt(side, fd, pkt, sizeof(pkt));
}

/* the line the verifier logged last before its statistics: its error */
static void divergence(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void divergence(const char *fmt, ...)
{
	va_list ap;

	hx_ndiv++;
	if (hx_ndiv > hx_max_reports)
		return;
	printf("DIVERGENCE #%lu [%s] ", hx_ndiv, hx_ctx_get());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Loads p on both sides: both fds, or false with the verdicts compared (when both refuse). */
static bool load_pair(const struct prog *p, long fd[2], bool quiet_refusal)
{
	for (int s = 0; s < 2; s++)
		fd[s] = load(s, p);
	if (fd[0] >= 0 && fd[1] >= 0)
		return true;
	hx_nops++;
	if ((fd[0] < 0) != (fd[1] < 0) || fd[0] != fd[1]) {
		char kl[256], el[256];

		hx_log_error_line(logs[0], kl, sizeof(kl));
		hx_log_error_line(logs[1], el, sizeof(el));
		divergence("load of %s: kernel %s ('%s'), emulator %s ('%s')", p->name,
			   fd[0] < 0 ? hx_errname((int)-fd[0]) : "fd", kl, fd[1] < 0 ? hx_errname((int)-fd[1]) : "fd", el);
	} else if (!quiet_refusal) {
		char kl[256];

		hx_log_error_line(logs[0], kl, sizeof(kl));
		printf("NOTE [%s] both refused %s: %s '%s'\n", hx_ctx_get(), p->name, hx_errname((int)-fd[0]), kl);
	}
	for (int s = 0; s < 2; s++)
		if (fd[s] >= 0)
			close((int)fd[s]);
	return false;
}

/* ---- the rings ---- */

struct urb {
	struct hx_pair p;
	uint32_t size;
	unsigned char *cons[2], *data[2];
};

static bool urb_make(struct urb *r, uint32_t size)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	if (hx_create(&r->p, EMU_MAP_USER_RINGBUF, 0, 0, size, 0) < 0)
		return false;
	for (int s = 0; s < 2; s++) {
		void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;

		r->cons[s] = mm(NULL, PAGE, PROT_READ, MAP_SHARED, r->p.fd[s], 0);
		r->data[s] = mm(NULL, PAGE + 2 * (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, r->p.fd[s], PAGE);
		if (r->cons[s] == MAP_FAILED || r->data[s] == MAP_FAILED) {
			printf("FAIL: mmap of the %s user ring: %s\n", s ? "emulated" : "kernel", strerror(errno));
			hx_ndiv++;
			return false;
		}
	}
	return true;
}

static void urb_free(struct urb *r)
{
	for (int s = 0; s < 2; s++) {
		munmap(r->cons[s], PAGE);
		munmap(r->data[s], PAGE + 2 * (size_t)r->size);
	}
	hx_close(&r->p);
}

/* a record as libbpf's user_ring_buffer__reserve + submit/discard writes it, on both sides */
static bool urb_write(struct urb *r, uint32_t size, uint32_t seed, bool discard, bool busy)
{
	for (int s = 0; s < 2; s++) {
		unsigned long *pp = (unsigned long *)r->data[s], *cp = (unsigned long *)r->cons[s];
		unsigned long p = *pp, c = __atomic_load_n(cp, __ATOMIC_ACQUIRE);
		uint64_t total = (size + 8 + 7) & ~7ull;
		unsigned char *hdr;
		uint32_t len = size | (busy ? EMU_RINGBUF_BUSY_BIT : 0) | (discard ? EMU_RINGBUF_DISCARD_BIT : 0);

		if (total > r->size - (p - c))
			return false;
		hdr = r->data[s] + PAGE + (p & (r->size - 1));
		memset(hdr + 4, 0, 4);
		for (uint32_t i = 0; i < size; i++)
			r->data[s][PAGE + ((p + 8 + i) & (r->size - 1))] = (unsigned char)((seed >> (i % 4 * 8)) + i * 37);
		__atomic_store_n((uint32_t *)hdr, len, __ATOMIC_RELEASE);
		__atomic_store_n(pp, p + (unsigned long)total, __ATOMIC_RELEASE);
	}
	return true;
}

static void compare_bytes(const char *what, const unsigned char *k, const unsigned char *e, size_t n)
{
	hx_nops++;
	for (size_t i = 0; i < n; i++)
		if (k[i] != e[i]) {
			divergence("%s byte %zu: kernel 0x%02x, emulator 0x%02x", what, i, k[i], e[i]);
			return;
		}
}

static void urb_compare(const struct urb *r)
{
	compare_bytes("consumer page", r->cons[HX_K], r->cons[HX_E], 64);
	compare_bytes("producer page", r->data[HX_K], r->data[HX_E], 64);
	compare_bytes("data", r->data[HX_K] + PAGE, r->data[HX_E] + PAGE, r->size);
}

/* ---- programs ---- */

/* the result array's element k = *(u64 *)(fp + off) */
static void store_result(struct prog *p, int k, int16_t off)
{
	E(p, ST(W, 10, -64, k), UMAP(1, U_RES), MOV64R(2, 10), ALU64I(EMU_ADD, 2, -64), MOV64R(3, 10),
	  ALU64I(EMU_ADD, 3, off), MOV64I(4, 0), CALL(FN_MAP_UPDATE));
}

/* main: ctx (fp-8) = 0, r0 = drain(urb, cb, fp-8, flags), results 0 (answer) and 1 (ctx) */
static void drain_main(struct prog *p, int32_t flags)
{
	uint32_t ld;

	E(p, ST(DW, 10, -8, 0), UMAP(1, U_URB));
	ld = p->cnt;
	E(p, LDFUNC(2, 0), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -8), MOV64I(4, flags), CALL(FN_DRAIN),
	  STX(DW, 10, 0, -16));
	store_result(p, 0, -16);
	store_result(p, 1, -8);
	E(p, MOV64I(0, 2), EXIT);
	p->cb = p->cnt;
	p->insn[ld].imm = (int32_t)(p->cb - ld - 1);
}

enum cb_kind { CB_COUNT, CB_STOP, CB_READ0, CB_READ8, CB_DATA, CB_WRITE, CB_NKINDS };
static const char *const cb_names[] = { "count", "stop after one", "dynptr_read 16 at 0", "dynptr_read 16 at 8",
					 "dynptr_data 4", "dynptr_write 4 at 2" };

static void drain_prog(struct prog *p, enum cb_kind k, int32_t flags)
{
	memset(p, 0, sizeof(*p));
	p->name = cb_names[k];
	drain_main(p, flags);
	switch (k) {
	case CB_COUNT:
	case CB_STOP:
		E(p, LDX(DW, 1, 2, 0), ALU64I(EMU_ADD, 1, 1), STX(DW, 2, 1, 0), MOV64I(0, k == CB_STOP), EXIT);
		break;
	case CB_READ0:
	case CB_READ8:
		/* buf fp-16 zeroed; r0 = dynptr_read(buf, 16, r1, off, 0); ctx += r0 ? r0 * 1000 : the two words */
		E(p, MOV64R(6, 2), MOV64R(3, 1), ST(DW, 10, -16, 0), ST(DW, 10, -8, 0), MOV64R(1, 10),
		  ALU64I(EMU_ADD, 1, -16), MOV64I(2, 16), MOV64I(4, k == CB_READ8 ? 8 : 0), MOV64I(5, 0),
		  CALL(FN_DYNPTR_READ), LDX(DW, 1, 6, 0), JI(EMU_JEQ, 0, 0, 4), ALU64I(EMU_MUL, 0, 1000),
		  ALU64R(EMU_ADD, 1, 0), STX(DW, 6, 1, 0), JA(5), LDX(DW, 2, 10, -16), ALU64R(EMU_ADD, 1, 2),
		  LDX(DW, 2, 10, -8), ALU64R(EMU_XOR, 1, 2), STX(DW, 6, 1, 0), MOV64I(0, 0), EXIT);
		break;
	case CB_DATA:
		/* r0 = dynptr_data(r1, 0, 4); ctx += r0 ? *(u32 *)r0 : 1 << 40 */
		E(p, MOV64R(6, 2), MOV64I(2, 0), MOV64I(3, 4), CALL(FN_DYNPTR_DATA), LDX(DW, 1, 6, 0),
		  JI(EMU_JNE, 0, 0, 4), LD64(2, 0, 0x100), ALU64R(EMU_ADD, 1, 2), JA(2), LDX(W, 2, 0, 0),
		  ALU64R(EMU_ADD, 1, 2), STX(DW, 6, 1, 0), MOV64I(0, 0), EXIT);
		break;
	case CB_WRITE:
		/* r0 = dynptr_write(r1, 2, &0x5a5a5a5a, 4, 0); ctx = ctx * 8 + (r0 & 7) */
		E(p, MOV64R(6, 2), ST(W, 10, -8, 0x5a5a5a5a), MOV64I(2, 2), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -8),
		  MOV64I(4, 4), MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), LDX(DW, 1, 6, 0), ALU64I(EMU_LSH, 1, 3),
		  ALU64I(EMU_AND, 0, 7), ALU64R(EMU_ADD, 1, 0), STX(DW, 6, 1, 0), MOV64I(0, 0), EXIT);
		break;
	default:
		break;
	}
}

static void compare_run(const char *what, const long fd[2])
{
	long k = run(HX_K, (int)fd[HX_K]), e = run(HX_E, (int)fd[HX_E]);

	n_runs++;
	hx_nops++;
	if (k != e)
		divergence("%s: run kernel %ld, emulator %ld", what, k, e);
}

/* One drain scenario: records written, the program run, everything compared. */
static void drain_case(enum cb_kind k, int32_t flags, int nrec, bool with_discard, bool with_busy, uint32_t maxsz)
{
	struct urb r;
	struct hx_pair res;
	struct prog p;
	long fd[2];

	hx_ctx("drain: callback %s, flags %d, %d records%s%s, sizes < %u", cb_names[k], flags, nrec,
	       with_discard ? " (some discarded)" : "", with_busy ? " (one busy)" : "", maxsz);
	if (!urb_make(&r, PAGE))
		return;
	if (hx_create(&res, EMU_MAP_ARRAY, 4, 8, 8, 0) < 0) {
		urb_free(&r);
		return;
	}
	maps_of[U_URB] = &r.p;
	maps_of[U_RES] = &res;
	drain_prog(&p, k, flags);
	if (!load_pair(&p, fd, false)) {
		hx_close(&res);
		urb_free(&r);
		return;
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < nrec; i++) {
			uint32_t sz = hx_rand_below(&rng, maxsz);
			bool disc = with_discard && hx_rand_below(&rng, 3) == 0;
			bool busy = with_busy && i == nrec / 2;

			if (!urb_write(&r, sz, (uint32_t)hx_rand(&rng), disc, busy))
				break;
		}
		compare_run("the drain program", fd);
		hx_compare_contents(&res);
		if (getenv("URDRAIN_VERBOSE")) {
			uint64_t v[2] = { 0, 0 };
			uint32_t key;

			for (key = 0; key < 2; key++)
				hx_lookup(&res, &key, &v[key]);
			printf("RUN [%s] round %d: kernel's answer %lld, callback's sum %#llx\n", hx_ctx_get(), round,
			       (long long)v[0], (unsigned long long)v[1]);
		}
		urb_compare(&r);
	}
	for (int s = 0; s < 2; s++)
		close((int)fd[s]);
	hx_close(&res);
	urb_free(&r);
}

/* A drain whose callback drains the same ring again (the kernel's busy bit: -EBUSY), keeping
 * that answer in ctx and stopping after one sample. */
static void nested_case(void)
{
	struct urb r;
	struct hx_pair res;
	struct prog p;
	long fd[2];
	uint32_t ld;

	hx_ctx("drain: a callback that drains the same ring");
	if (!urb_make(&r, PAGE))
		return;
	if (hx_create(&res, EMU_MAP_ARRAY, 4, 8, 8, 0) < 0) {
		urb_free(&r);
		return;
	}
	maps_of[U_URB] = &r.p;
	maps_of[U_RES] = &res;
	memset(&p, 0, sizeof(p));
	p.name = "nested drain";
	drain_main(&p, 0);
	E(&p, MOV64R(6, 2), UMAP(1, U_URB));
	ld = p.cnt;
	E(&p, LDFUNC(2, 0), MOV64I(3, 0), MOV64I(4, 0), CALL(FN_DRAIN), STX(DW, 6, 0, 0), MOV64I(0, 1), EXIT);
	p.cb2 = p.cnt;
	p.insn[ld].imm = (int32_t)(p.cb2 - ld - 1);
	E(&p, RET0);
	for (int i = 0; i < 3; i++)
		urb_write(&r, 8, (uint32_t)i, false, false);
	if (load_pair(&p, fd, false)) {
		uint64_t v[2] = { 0, 0 };
		uint32_t key;

		compare_run("the nested drain program", fd);
		hx_compare_contents(&res);
		for (key = 0; key < 2; key++)
			hx_lookup(&res, &key, &v[key]);
		/* the outer drain took one sample; the inner one found the ring busy */
		hx_expect((long)v[0], 1, "the outer drain's answer");
		hx_expect((long)v[1], -EBUSY, "the nested drain's answer");
		urb_compare(&r);
		for (int s = 0; s < 2; s++)
			close((int)fd[s]);
	}
	hx_close(&res);
	urb_free(&r);
}

/* ---- local and ringbuf dynptrs ---- */

/*
 * from_mem over U_ARR's 24-byte element 0 (filled 0x11, 0x22, 0x33) with flags `fl`, then read (8
 * at off), write (8 at off), data (8 at off): the answers in results 0..4, the element as the
 * array's contents.
 */
static void local_prog(struct prog *p, int32_t fl, int32_t off, int32_t size)
{
	memset(p, 0, sizeof(*p));
	p->name = "local dynptr";
	E(p, ST(W, 10, -4, 0), UMAP(1, U_ARR), MOV64R(2, 10), ALU64I(EMU_ADD, 2, -4), CALL(1), JI(EMU_JNE, 0, 0, 2),
	  MOV64I(0, 0), EXIT, ST(DW, 0, 0, 0x11), ST(DW, 0, 8, 0x22), ST(DW, 0, 16, 0x33), MOV64R(1, 0),
	  MOV64I(2, size), MOV64I(3, fl), MOV64R(4, 10), ALU64I(EMU_ADD, 4, -16), CALL(FN_DYNPTR_FROM_MEM),
	  STX(DW, 10, 0, -48), ST(DW, 10, -56, 0x7777), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -56), MOV64I(2, 8),
	  MOV64R(3, 10), ALU64I(EMU_ADD, 3, -16), MOV64I(4, off), MOV64I(5, 0), CALL(FN_DYNPTR_READ),
	  STX(DW, 10, 0, -80), LDX(DW, 1, 10, -56), STX(DW, 10, 1, -88), ST(DW, 10, -56, 0x5555), MOV64R(1, 10),
	  ALU64I(EMU_ADD, 1, -16), MOV64I(2, off), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -56), MOV64I(4, 8),
	  MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), STX(DW, 10, 0, -72), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16),
	  MOV64I(2, off), MOV64I(3, 8), CALL(FN_DYNPTR_DATA), MOV64I(1, 0), JI(EMU_JEQ, 0, 0, 2), LDX(DW, 1, 0, 0),
	  ALU64I(EMU_ADD, 1, 1), STX(DW, 10, 1, -64));
	store_result(p, 0, -48);
	store_result(p, 1, -80);
	store_result(p, 2, -72);
	store_result(p, 3, -64);
	store_result(p, 4, -88);
	E(p, MOV64I(0, 2), EXIT);
}

/* reserve_dynptr(rb, size, fl, fp-16); write 8 at off; data 8 at off, store 0x42 there;
 * submit (or discard); answers in results 0..2 */
static void ringbuf_prog(struct prog *p, int32_t size, int32_t fl, int32_t off, bool discard)
{
	memset(p, 0, sizeof(*p));
	p->name = "ringbuf dynptr";
	E(p, UMAP(1, U_RB), MOV64I(2, size), MOV64I(3, fl), MOV64R(4, 10), ALU64I(EMU_ADD, 4, -16),
	  CALL(FN_RINGBUF_RESERVE_DYNPTR), STX(DW, 10, 0, -24), ST(DW, 10, -32, 0x1234567), MOV64R(1, 10),
	  ALU64I(EMU_ADD, 1, -16), MOV64I(2, off), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -32), MOV64I(4, 8),
	  MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), STX(DW, 10, 0, -40), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16),
	  MOV64I(2, off), MOV64I(3, 8), CALL(FN_DYNPTR_DATA), ST(DW, 10, -48, 0), JI(EMU_JEQ, 0, 0, 2),
	  ST(B, 0, 7, 0x42), ST(DW, 10, -48, 1), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16), MOV64I(2, 0),
	  CALL(discard ? FN_RINGBUF_DISCARD_DYNPTR : FN_RINGBUF_SUBMIT_DYNPTR));
	store_result(p, 0, -24);
	store_result(p, 1, -40);
	store_result(p, 2, -48);
	E(p, MOV64I(0, 2), EXIT);
}

static void local_cases(void)
{
	static const int32_t offs[] = { 0, 8, 16, 17, 24, -1 };
	struct hx_pair res, arr;
	struct prog p;
	long fd[2];

	if (hx_create(&res, EMU_MAP_ARRAY, 4, 8, 8, 0) < 0)
		return;
	if (hx_create(&arr, EMU_MAP_ARRAY, 4, 24, 1, 0) < 0) {
		hx_close(&res);
		return;
	}
	maps_of[U_RES] = &res;
	maps_of[U_ARR] = &arr;
	for (int fl = 0; fl < 2; fl++)
		for (unsigned o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
			for (int size = 0; size <= 24; size += 12) {
				hx_ctx("local dynptr: flags %d, %d bytes, offset %d", fl, size, offs[o]);
				local_prog(&p, fl, offs[o], size);
				if (!load_pair(&p, fd, false))
					continue;
				compare_run("the local dynptr program", fd);
				hx_compare_contents(&res);
				hx_compare_contents(&arr);
				for (int s = 0; s < 2; s++)
					close((int)fd[s]);
			}
	hx_close(&arr);
	hx_close(&res);
}

static void ringbuf_cases(void)
{
	static const int32_t sizes[] = { 8, 16, 0, 100, 5000, 0x1000000 };
	struct hx_pair res, rb;
	struct prog p;
	long fd[2];

	if (hx_create(&res, EMU_MAP_ARRAY, 4, 8, 8, 0) < 0)
		return;
	if (hx_create(&rb, EMU_MAP_RINGBUF, 0, 0, PAGE, 0) < 0) {
		hx_close(&res);
		return;
	}
	maps_of[U_RES] = &res;
	maps_of[U_RB] = &rb;
	for (unsigned si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (int fl = 0; fl < 2; fl++)
			for (int off = 0; off <= 8; off += 4)
				for (int disc = 0; disc < 2; disc++) {
					hx_ctx("ringbuf dynptr: %d bytes, flags %d, offset %d, %s", sizes[si], fl, off,
					       disc ? "discard" : "submit");
					ringbuf_prog(&p, sizes[si], fl, off, disc);
					if (!load_pair(&p, fd, false))
						continue;
					compare_run("the ringbuf dynptr program", fd);
					hx_compare_contents(&res);
					for (int s = 0; s < 2; s++)
						close((int)fd[s]);
				}
	{
		/* the ring's bytes: positions and records as a consumer sees them */
		unsigned char *m[2][2];

		hx_ctx("ringbuf dynptr: the ring after the runs");
		for (int s = 0; s < 2; s++) {
			void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;

			m[s][0] = mm(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rb.fd[s], 0);
			m[s][1] = mm(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, rb.fd[s], PAGE);
		}
		if (m[0][0] != MAP_FAILED && m[1][0] != MAP_FAILED && m[0][1] != MAP_FAILED && m[1][1] != MAP_FAILED) {
			compare_bytes("ringbuf consumer page", m[0][0], m[1][0], 64);
			compare_bytes("ringbuf producer page", m[0][1], m[1][1], 64);
			compare_bytes("ringbuf data", m[0][1] + PAGE, m[1][1] + PAGE, PAGE);
		}
		for (int s = 0; s < 2; s++) {
			if (m[s][0] != MAP_FAILED)
				munmap(m[s][0], PAGE);
			if (m[s][1] != MAP_FAILED)
				munmap(m[s][1], 3 * PAGE);
		}
	}
	hx_close(&rb);
	hx_close(&res);
}

/* ---- what the verifier refuses ---- */

/* a local dynptr at fp+dyn over the first 8 bytes of U_ARR's element 0 (buf: unused) */
#define LOCAL_DYN(buf, dyn)                                                                        \
	ST(W, 10, -4, 0), UMAP(1, U_ARR), MOV64R(2, 10), ALU64I(EMU_ADD, 2, -4), CALL(1), JI(EMU_JNE, 0, 0, 2), \
		MOV64I(0, 0), EXIT, MOV64R(1, 0), MOV64I(2, 8), MOV64I(3, 0), MOV64R(4, 10),              \
		ALU64I(EMU_ADD, 4, dyn), CALL(FN_DYNPTR_FROM_MEM)
/* r0 = dynptr_read(fp-64, 8, fp+dyn, 0, 0) */
#define READ_DYN(dyn)                                                                              \
	ST(DW, 10, -64, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -64), MOV64I(2, 8), MOV64R(3, 10),   \
		ALU64I(EMU_ADD, 3, dyn), MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ)
/* r0 = dynptr_data(fp+dyn, 0, 8) */
#define DATA_DYN(dyn) MOV64R(1, 10), ALU64I(EMU_ADD, 1, dyn), MOV64I(2, 0), MOV64I(3, 8), CALL(FN_DYNPTR_DATA)
/* r0 = ringbuf_reserve_dynptr(rb, 8, 0, fp+dyn) */
#define RESERVE_DYN(dyn)                                                                           \
	UMAP(1, U_RB), MOV64I(2, 8), MOV64I(3, 0), MOV64R(4, 10), ALU64I(EMU_ADD, 4, dyn), CALL(FN_RINGBUF_RESERVE_DYNPTR)
#define SUBMIT_DYN(dyn) MOV64R(1, 10), ALU64I(EMU_ADD, 1, dyn), MOV64I(2, 0), CALL(FN_RINGBUF_SUBMIT_DYNPTR)

/* a drain of U_URB whose callback is the rest of the program */
static void drain_head(struct prog *p)
{
	E(p, UMAP(1, U_URB), LDFUNC(2, 6), MOV64I(3, 0), MOV64I(4, 0), CALL(FN_DRAIN), RET0);
	p->cb = p->cnt;
}

static void verdict(struct prog *p)
{
	long fd[2];
	char kl[256], el[256];

	hx_ctx("verdict: %s", p->name);
	for (int s = 0; s < 2; s++)
		fd[s] = load(s, p);
	hx_log_error_line(logs[0], kl, sizeof(kl));
	hx_log_error_line(logs[1], el, sizeof(el));
	n_verdicts++;
	hx_nops++;
	if ((fd[0] < 0) != (fd[1] < 0) || (fd[0] < 0 && (fd[0] != fd[1] || strcmp(kl, el))))
		divergence("load: kernel %s '%s', emulator %s '%s'", fd[0] < 0 ? hx_errname((int)-fd[0]) : "accepts",
			   fd[0] < 0 ? kl : "", fd[1] < 0 ? hx_errname((int)-fd[1]) : "accepts", fd[1] < 0 ? el : "");
	else
		n_verdict_same++;
	if (getenv("URDRAIN_VERBOSE"))
		printf("VERDICT %s: kernel %s '%s' | emulator %s '%s'\n", p->name,
		       fd[0] < 0 ? hx_errname((int)-fd[0]) : "accepts", kl, fd[1] < 0 ? hx_errname((int)-fd[1]) : "accepts", el);
	for (int s = 0; s < 2; s++)
		if (fd[s] >= 0)
			close((int)fd[s]);
}

#define V(nm, ...)                                                                                 \
	do {                                                                                       \
		memset(&p, 0, sizeof(p));                                                          \
		p.name = nm;                                                                       \
		E(&p, __VA_ARGS__);                                                                \
		verdict(&p);                                                                       \
	} while (0)
#define VCB(nm, ...)                                                                               \
	do {                                                                                       \
		memset(&p, 0, sizeof(p));                                                          \
		p.name = nm;                                                                       \
		drain_head(&p);                                                                    \
		E(&p, __VA_ARGS__);                                                                \
		verdict(&p);                                                                       \
	} while (0)

static void verdicts(void)
{
	struct hx_pair urb, rb, arr;
	struct prog p;

	if (hx_create(&urb, EMU_MAP_USER_RINGBUF, 0, 0, PAGE, 0) < 0)
		return;
	if (hx_create(&rb, EMU_MAP_RINGBUF, 0, 0, PAGE, 0) < 0) {
		hx_close(&urb);
		return;
	}
	if (hx_create(&arr, EMU_MAP_ARRAY, 4, 16, 1, 0) < 0) {
		hx_close(&urb);
		hx_close(&rb);
		return;
	}
	maps_of[U_URB] = &urb;
	maps_of[U_RB] = &rb;
	maps_of[U_ARR] = &arr;

	/* accepted ones first */
	V("valid: local dynptr read", LOCAL_DYN(-8, -24), READ_DYN(-24), RET0);
	V("valid: local dynptr data, null-checked", LOCAL_DYN(-8, -24), DATA_DYN(-24), JI(EMU_JEQ, 0, 0, 1),
	  LDX(DW, 0, 0, 0), RET0);
	V("valid: dynptr re-made over an unreferenced one", LOCAL_DYN(-8, -24), LOCAL_DYN(-8, -24), READ_DYN(-24), RET0);
	V("valid: ringbuf dynptr submitted", RESERVE_DYN(-16), SUBMIT_DYN(-16), RET0);
	V("valid: ringbuf dynptr slice written before submit", RESERVE_DYN(-16), DATA_DYN(-16), JI(EMU_JEQ, 0, 0, 1),
	  ST(DW, 0, 0, 1), SUBMIT_DYN(-16), RET0);
	VCB("valid: callback writes through a dynptr_data slice", MOV64I(2, 0), MOV64I(3, 8), CALL(FN_DYNPTR_DATA),
	    JI(EMU_JEQ, 0, 0, 1), ST(DW, 0, 0, 7), RET0);
	VCB("valid: callback dynptr_write", ST(DW, 10, -8, 0), MOV64I(2, 0), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -8),
	    MOV64I(4, 8), MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), RET0);
	VCB("valid: callback dynptr_data slice read", MOV64I(2, 0), MOV64I(3, 8), CALL(FN_DYNPTR_DATA),
	    JI(EMU_JEQ, 0, 0, 1), LDX(DW, 0, 0, 0), RET0);

	/* refused */
	V("uninitialised dynptr", READ_DYN(-24), RET0);
	V("dynptr slot overwritten, then read", LOCAL_DYN(-8, -24), ST(DW, 10, -16, 0), READ_DYN(-24), RET0);
	V("dynptr first slot overwritten", LOCAL_DYN(-8, -24), ST(W, 10, -24, 0), READ_DYN(-24), RET0);
	V("dynptr bytes read", LOCAL_DYN(-8, -24), LDX(DW, 0, 10, -24), RET0);
	V("dynptr bytes read (second slot)", LOCAL_DYN(-8, -24), LDX(W, 0, 10, -12), RET0);
	V("dynptr_data unchecked", LOCAL_DYN(-8, -24), DATA_DYN(-24), LDX(DW, 0, 0, 0), RET0);
	V("dynptr_data slice read past its size", LOCAL_DYN(-8, -24), DATA_DYN(-24), JI(EMU_JEQ, 0, 0, 1),
	  LDX(DW, 0, 0, 8), RET0);
	V("dynptr_data slice used after the dynptr is overwritten", LOCAL_DYN(-8, -24), DATA_DYN(-24), JI(EMU_JEQ, 0, 0, 3),
	  MOV64R(6, 0), ST(DW, 10, -24, 0), LDX(DW, 0, 6, 0), RET0);
	V("dynptr_data length not constant", LOCAL_DYN(-8, -24), I(0x85, 0, 0, 0, 7) /* prandom */, MOV64R(3, 0),
	  ALU64I(EMU_AND, 3, 7), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -24), MOV64I(2, 0), CALL(FN_DYNPTR_DATA), RET0);
	V("ctx as the dynptr", MOV64R(3, 1), ST(DW, 10, -64, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -64), MOV64I(2, 8),
	  MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
	V("map value as the dynptr", ST(W, 10, -4, 0), UMAP(1, U_ARR), MOV64R(2, 10), ALU64I(EMU_ADD, 2, -4), CALL(1),
	  JI(EMU_JEQ, 0, 0, 7), MOV64R(3, 0), ST(DW, 10, -64, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -64), MOV64I(2, 8),
	  MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
	V("NULL as the dynptr", ST(DW, 10, -64, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -64), MOV64I(2, 8), MOV64I(3, 0),
	  MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
	V("dynptr at a misaligned offset", ST(DW, 10, -8, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -8), MOV64I(2, 8),
	  MOV64I(3, 0), MOV64R(4, 10), ALU64I(EMU_ADD, 4, -20), CALL(FN_DYNPTR_FROM_MEM), RET0);
	V("dynptr at fp-8 (one slot)", ST(DW, 10, -16, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16), MOV64I(2, 8),
	  MOV64I(3, 0), MOV64R(4, 10), ALU64I(EMU_ADD, 4, -8), CALL(FN_DYNPTR_FROM_MEM), RET0);
	V("dynptr at a variable offset", I(0x85, 0, 0, 0, 7), ALU64I(EMU_AND, 0, 8), ALU64I(EMU_NEG, 0, 0),
	  MOV64R(4, 10), ALU64I(EMU_ADD, 4, -32), ALU64R(EMU_ADD, 4, 0), ST(DW, 10, -8, 0), MOV64R(1, 10),
	  ALU64I(EMU_ADD, 1, -8), MOV64I(2, 8), MOV64I(3, 0), CALL(FN_DYNPTR_FROM_MEM), RET0);
	V("helper writes over a dynptr", LOCAL_DYN(-8, -24), LOCAL_DYN(-32, -48), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -24),
	  MOV64I(2, 8), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -48), MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
	V("dynptr_write's source is a dynptr's bytes", LOCAL_DYN(-8, -24), LOCAL_DYN(-8, -48), MOV64R(1, 10),
	  ALU64I(EMU_ADD, 1, -48), MOV64I(2, 0), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -24), MOV64I(4, 8), MOV64I(5, 0),
	  CALL(FN_DYNPTR_WRITE), RET0);
	V("dynptr_read of a dynptr onto itself", LOCAL_DYN(-8, -24), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -24), MOV64I(2, 8),
	  MOV64R(3, 10), ALU64I(EMU_ADD, 3, -24), MOV64I(4, 0), MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
	V("valid: ringbuf dynptr discarded after a failed reserve check", RESERVE_DYN(-16), JI(EMU_JNE, 0, 0, 5),
	  DATA_DYN(-16), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16), MOV64I(2, 0), CALL(FN_RINGBUF_DISCARD_DYNPTR), RET0);
	V("ringbuf dynptr released on one path only", RESERVE_DYN(-16), JI(EMU_JNE, 0, 0, 4), SUBMIT_DYN(-16), RET0);
	V("ringbuf dynptr slice written after discard", RESERVE_DYN(-16), DATA_DYN(-16), JI(EMU_JEQ, 0, 0, 8),
	  MOV64R(6, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -16), MOV64I(2, 0), CALL(FN_RINGBUF_DISCARD_DYNPTR),
	  ST(DW, 6, 0, 1), RET0, SUBMIT_DYN(-16), RET0);
	V("ringbuf dynptr not released", RESERVE_DYN(-16), RET0);
	V("ringbuf dynptr overwritten", RESERVE_DYN(-16), ST(DW, 10, -16, 0), SUBMIT_DYN(-16), RET0);
	V("ringbuf dynptr re-reserved over", RESERVE_DYN(-16), RESERVE_DYN(-16), SUBMIT_DYN(-16), RET0);
	V("ringbuf dynptr submitted twice", RESERVE_DYN(-16), SUBMIT_DYN(-16), SUBMIT_DYN(-16), RET0);
	V("local dynptr submitted", LOCAL_DYN(-8, -24), SUBMIT_DYN(-24), RET0);
	V("ringbuf slice used after submit", RESERVE_DYN(-16), DATA_DYN(-16), MOV64R(6, 0), SUBMIT_DYN(-16),
	  JI(EMU_JEQ, 6, 0, 1), LDX(DW, 0, 6, 0), RET0);
	V("reserve_dynptr on a user ringbuf", UMAP(1, U_URB), MOV64I(2, 8), MOV64I(3, 0), MOV64R(4, 10),
	  ALU64I(EMU_ADD, 4, -16), CALL(FN_RINGBUF_RESERVE_DYNPTR), SUBMIT_DYN(-16), RET0);
	memset(&p, 0, sizeof(p));
	p.name = "drain on a ringbuf";
	E(&p, UMAP(1, U_RB), LDFUNC(2, 6), MOV64I(3, 0), MOV64I(4, 0), CALL(FN_DRAIN), RET0);
	p.cb = p.cnt;
	E(&p, RET0);
	verdict(&p);
	VCB("callback returns 2", MOV64I(0, 2), EXIT);
	VCB("callback returns an unknown value", I(0x85, 0, 0, 0, 7), EXIT);
	VCB("callback reads the dynptr pointer", LDX(DW, 0, 1, 0), RET0);
	VCB("callback makes a dynptr over its argument", ST(DW, 10, -8, 0), MOV64R(4, 1), MOV64R(1, 10),
	    ALU64I(EMU_ADD, 1, -8), MOV64I(2, 8), MOV64I(3, 0), CALL(FN_DYNPTR_FROM_MEM), RET0);
	VCB("callback submits its dynptr", MOV64I(2, 0), CALL(FN_RINGBUF_SUBMIT_DYNPTR), RET0);
	VCB("callback passes its dynptr as memory", MOV64I(2, 8), CALL(16) /* get_current_comm */, RET0);
	VCB("callback passes its dynptr to a mem argument of dynptr_write", MOV64R(3, 1), MOV64I(2, 0), MOV64I(4, 8),
	    MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), RET0);
	VCB("callback's dynptr moved", ALU64I(EMU_ADD, 1, 8), ST(DW, 10, -8, 0), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -8),
	    MOV64I(2, 0), MOV64I(4, 8), MOV64I(5, 0), CALL(FN_DYNPTR_WRITE), RET0);
	V("drain callback not a function", UMAP(1, U_URB), MOV64I(2, 0), MOV64I(3, 0), MOV64I(4, 0), CALL(FN_DRAIN), RET0);
	memset(&p, 0, sizeof(p));
	p.name = "drain ctx not on the stack";
	E(&p, UMAP(1, U_URB), LDFUNC(2, 6), MOV64R(3, 1), MOV64I(4, 0), CALL(FN_DRAIN), RET0);
	p.cb = p.cnt;
	E(&p, RET0);
	verdict(&p);
	VCB("callback leaks a ringbuf dynptr", RESERVE_DYN(-16), RET0);
	VCB("valid: callback reserves and submits a ringbuf dynptr", RESERVE_DYN(-16), SUBMIT_DYN(-16), RET0);
	VCB("callback reads a ringbuf dynptr's bytes", RESERVE_DYN(-16), LDX(DW, 0, 10, -8), SUBMIT_DYN(-16), RET0);
	for (int v = 0; v < 3; v++) {
		/* main's local dynptr at fp-24 is the callback's ctx: read, overwritten, submitted */
		static const char *const nm[] = { "valid: callback reads main's dynptr through its ctx",
						   "callback overwrites main's dynptr, main reads it",
						   "callback submits main's local dynptr" };
		memset(&p, 0, sizeof(p));
		p.name = nm[v];
		E(&p, LOCAL_DYN(-8, -24), UMAP(1, U_URB), LDFUNC(2, 7), MOV64R(3, 10), ALU64I(EMU_ADD, 3, -24), MOV64I(4, 0),
		  CALL(FN_DRAIN), READ_DYN(-24), RET0);
		p.cb = p.cnt;
		for (uint32_t i = 0; i < p.cnt; i++)
			if (p.insn[i].code == 0x18 && p.insn[i].src_reg == 4)
				p.insn[i].imm = (int32_t)(p.cb - i - 1);
		if (v == 0)
			E(&p, MOV64R(3, 2), ST(DW, 10, -8, 0), MOV64R(1, 10), ALU64I(EMU_ADD, 1, -8), MOV64I(2, 8), MOV64I(4, 0),
			  MOV64I(5, 0), CALL(FN_DYNPTR_READ), RET0);
		else if (v == 1)
			E(&p, ST(DW, 2, 0, 0), RET0);
		else
			E(&p, MOV64R(1, 2), MOV64I(2, 0), CALL(FN_RINGBUF_SUBMIT_DYNPTR), RET0);
		verdict(&p);
	}
	VCB("callback's dynptr moved back", ALU64I(EMU_ADD, 1, 8), ALU64I(EMU_ADD, 1, -8), MOV64I(2, 0), MOV64I(3, 8),
	    CALL(FN_DYNPTR_DATA), RET0);
	VCB("callback's dynptr moved by a variable", MOV64R(6, 1), I(0x85, 0, 0, 0, 7), ALU64I(EMU_AND, 0, 8),
	    ALU64R(EMU_ADD, 6, 0), MOV64R(1, 6), MOV64I(2, 0), MOV64I(3, 8), CALL(FN_DYNPTR_DATA), RET0);
	VCB("callback's dynptr_data unchecked", MOV64I(2, 0), MOV64I(3, 8), CALL(FN_DYNPTR_DATA), LDX(DW, 0, 0, 0), RET0);
	VCB("callback's slice read past its size", MOV64I(2, 0), MOV64I(3, 4), CALL(FN_DYNPTR_DATA), JI(EMU_JEQ, 0, 0, 1),
	    LDX(W, 0, 0, 4), RET0);
	VCB("callback's ctx is NULL but read", LDX(DW, 0, 2, 0), RET0);
	hx_close(&arr);
	hx_close(&rb);
	hx_close(&urb);
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");

	hx_init("diff_urdrain");
	if (!load_btf())
		hx_skip("the kernel refused the callback BTF");
	for (int k = 0; k < CB_NKINDS; k++) {
		drain_case(k, 0, 0, false, false, 8);
		drain_case(k, 0, 1, false, false, 24);
		drain_case(k, 0, 20, true, false, 40);
		drain_case(k, 0, 12, false, true, 16);
	}
	for (int32_t fl = 1; fl <= 8; fl *= 2)
		drain_case(CB_COUNT, fl, 5, true, false, 32);
	drain_case(CB_READ0, 3, 5, false, false, 200);
	drain_case(CB_READ8, 0, 30, true, false, 120);
	nested_case();
	local_cases();
	ringbuf_cases();
	verdicts();
	printf("%lu runs compared, %lu verdicts (%lu the same)\n", n_runs, n_verdicts, n_verdict_same);
	return hx_finish_planted(expect_div);
}
