/* SPDX-License-Identifier: MIT */
/*
 * RINGBUF and USER_RINGBUF against the kernel: create rules, every element and batch command (the
 * kernel's ENOTSUPP), mmap() of the fd (which pages, which protections, the kernel's errno for each
 * refused mapping), poll readiness, and the ring's bytes as consumers see them. The kernel's ring is
 * fed by XDP programs run with BPF_PROG_TEST_RUN (bpf_ringbuf_output, reserve + submit/discard, with
 * every wakeup flag); the emulator's by the in-process test API (bpfemu_ringbuf_*) with the same
 * bytes. After each record the consumer page, the producer page and the whole data area of the
 * mappings are compared byte for byte (headers, busy and discard bits, pg_off, padding), and a
 * consumer reading both advances both. A USER_RINGBUF is written by hand on both sides as libbpf's
 * user_ring_buffer writes it, then drained by a program (bpf_user_ringbuf_drain) on the kernel and
 * by bpfemu_user_ringbuf_drain here: the drain's answer and consumer_pos are compared.
 *
 *   diff_ringbuf [--seconds N] [--seed S]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "frontend.h"
#include "harness.h"
#include "uapi/bpf_insn.h"

#define PAGE 4096u
#define XDP 6u
#define FN_RINGBUF_OUTPUT 130
#define FN_RINGBUF_RESERVE 131
#define FN_RINGBUF_SUBMIT 132
#define FN_RINGBUF_DISCARD 133
#define FN_USER_RINGBUF_DRAIN 209

static uint64_t rng = 0x13198a2e03707344ull;
static unsigned long records, drains;

static struct emu_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct emu_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

/* BTF for a program with a callback: int, a proto without arguments, two static functions. */
static int callback_btf(void)
{
	static int fd = -1;
	static const uint32_t types[] = {
		1, 1u << 24, 4, (1u << 24) | 32,   /* [1] int */
		0, 13u << 24, 1,                   /* [2] int (void) */
		5, 12u << 24, 2,                   /* [3] static main */
		10, 12u << 24, 2,                  /* [4] static cb */
	};
	static const char strs[] = "\0int\0main\0cb";
	unsigned char blob[256], a[EMU_ATTR_SIZE] = { 0 };
	uint32_t hdr[6] = { 0x0001eb9f, 24, 0, sizeof(types), sizeof(types), sizeof(strs) };
	uint32_t size = 24 + sizeof(types) + sizeof(strs);
	uint64_t p = (uint64_t)(uintptr_t)blob;

	if (fd >= 0)
		return fd;
	memcpy(blob, hdr, 24);
	memcpy(blob + 24, types, sizeof(types));
	memcpy(blob + 24 + sizeof(types), strs, sizeof(strs));
	memcpy(a + BTF_BLOB, &p, 8);
	memcpy(a + BTF_SIZE, &size, 4);
	fd = (int)syscall(SYS_bpf, EMU_BPF_BTF_LOAD, a, EMU_ATTR_SIZE);
	return fd;
}

static long prog_load_fi(struct emu_insn *insns, uint32_t n, uint32_t cb_off);

static long prog_load(struct emu_insn *insns, uint32_t n)
{
	return prog_load_fi(insns, n, 0);
}

/* cb_off: where a callback subprogram starts (0: none), for the func_info the kernel wants then */
static long prog_load_fi(struct emu_insn *insns, uint32_t n, uint32_t cb_off)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	uint32_t t = XDP;
	uint64_t p = (uint64_t)(uintptr_t)insns, lic = (uint64_t)(uintptr_t)"GPL";
	static char log[65536];
	uint64_t lp = (uint64_t)(uintptr_t)log;
	uint32_t ll = 1, ls = sizeof(log);
	long r;

	memcpy(a + PL_TYPE, &t, 4);
	memcpy(a + PL_INSN_CNT, &n, 4);
	memcpy(a + PL_INSNS, &p, 8);
	memcpy(a + PL_LICENSE, &lic, 8);
	memcpy(a + PL_LOG_LEVEL, &ll, 4);
	memcpy(a + PL_LOG_SIZE, &ls, 4);
	memcpy(a + PL_LOG_BUF, &lp, 8);
	log[0] = 0;
	if (cb_off) {
		static uint32_t fi[4];
		uint32_t bfd = (uint32_t)callback_btf(), rs = 8, cnt = 2;
		uint64_t fp = (uint64_t)(uintptr_t)fi;

		fi[0] = 0;
		fi[1] = 3;
		fi[2] = cb_off;
		fi[3] = 4;
		memcpy(a + PL_BTF_FD, &bfd, 4);
		memcpy(a + PL_FUNC_INFO_REC_SIZE, &rs, 4);
		memcpy(a + PL_FUNC_INFO, &fp, 8);
		memcpy(a + PL_FUNC_INFO_CNT, &cnt, 4);
	}
	r = syscall(SYS_bpf, EMU_BPF_PROG_LOAD, a, EMU_ATTR_SIZE);
	if (r < 0) {
		r = -errno;
		printf("NOTE: program load: %s\n%.2000s\n", hx_errname((int)-r), log);
	}
	return r;
}

/* Run an XDP program once on a packet: its return value (r0 as a u32), or -errno. */
static long prog_run(int fd, const void *pkt, uint32_t len)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	uint64_t p = (uint64_t)(uintptr_t)pkt;
	uint32_t f = (uint32_t)fd, rep = 1;
	uint32_t ret;

	memcpy(a + TR_PROG_FD, &f, 4);
	memcpy(a + TR_DATA_SIZE_IN, &len, 4);
	memcpy(a + TR_DATA_IN, &p, 8);
	memcpy(a + TR_REPEAT, &rep, 4);
	if (syscall(SYS_bpf, EMU_BPF_PROG_TEST_RUN, a, EMU_ATTR_SIZE) < 0)
		return -errno;
	memcpy(&ret, a + TR_RETVAL, 4);
	return ret;
}

static void ld_map(struct emu_insn *p, uint8_t reg, int fd)
{
	p[0] = I(EMU_LD | EMU_DW | EMU_IMM, reg, 1 /* BPF_PSEUDO_MAP_FD */, 0, fd);
	p[1] = I(0, 0, 0, 0, 0);
}

/* The bytes a reserve program stores: 8-byte stores of a sign-extended imm, then byte stores. */
static int32_t pattern_imm(uint32_t seed, uint32_t off) { return (int32_t)(seed * 2654435761u + off * 40503u); }

static void pattern_fill(unsigned char *dst, uint32_t size, uint32_t seed)
{
	uint32_t off = 0;

	for (; off + 8 <= size; off += 8) {
		int64_t v = pattern_imm(seed, off);

		memcpy(dst + off, &v, 8);
	}
	for (; off < size; off++)
		dst[off] = (unsigned char)pattern_imm(seed, off);
}

/* bpf_ringbuf_output of `size` bytes of the pattern, stored on the stack first (the helper takes
 * no packet pointer), with flags: the helper's answer. size <= 504. */
static long kernel_output(int map, uint32_t size, uint32_t seed, uint64_t flags)
{
	struct emu_insn p[100];
	unsigned char pkt[64] = { 0 };
	uint32_t n = 0, room = size ? (size + 7) & ~7u : 8;
	long fd, r;

	for (uint32_t off = 0; off < room; off += 8)
		p[n++] = I(EMU_ST | EMU_DW | EMU_MEM, EMU_REG_FP, 0, (int16_t)(off - room), pattern_imm(seed, off));
	ld_map(p + n, 1, map);
	n += 2;
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_X, 2, EMU_REG_FP, 0, 0);
	p[n++] = I(EMU_ALU64 | EMU_ADD | EMU_K, 2, 0, 0, -(int32_t)room);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 3, 0, 0, (int32_t)size);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 4, 0, 0, (int32_t)flags);
	p[n++] = I(EMU_JMP | 0x80 /* CALL */, 0, 0, 0, FN_RINGBUF_OUTPUT);
	p[n++] = I(EMU_JMP | 0x90 /* EXIT */, 0, 0, 0, 0);
	fd = prog_load(p, n);
	if (fd < 0)
		return -ENOTRECOVERABLE;
	r = prog_run((int)fd, pkt, sizeof(pkt));
	close((int)fd);
	return r < 0 ? r : (long)(int32_t)r;
}

/* bpf_ringbuf_reserve(size), the pattern stored, then submit or discard with flags: 0 if the
 * reservation was made, 1 if not. */
static long kernel_reserve(int map, uint32_t size, uint32_t seed, bool discard, uint64_t flags)
{
	struct emu_insn p[300];
	unsigned char pkt[64] = { 0 };
	uint32_t n = 0, off = 0, jmp;
	long fd, r;

	ld_map(p + n, 1, map);
	n += 2;
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 2, 0, 0, (int32_t)size);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 3, 0, 0, 0);
	p[n++] = I(EMU_JMP | 0x80, 0, 0, 0, FN_RINGBUF_RESERVE);
	jmp = n;
	p[n++] = I(EMU_JMP | EMU_JEQ | EMU_K, 0, 0, 0, 0); /* to the end: patched below */
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_X, 6, 0, 0, 0);
	for (; off + 8 <= size; off += 8)
		p[n++] = I(EMU_ST | EMU_DW | EMU_MEM, 6, 0, (int16_t)off, pattern_imm(seed, off));
	for (; off < size; off++)
		p[n++] = I(EMU_ST | EMU_B | EMU_MEM, 6, 0, (int16_t)off, pattern_imm(seed, off));
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_X, 1, 6, 0, 0);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 2, 0, 0, (int32_t)flags);
	p[n++] = I(EMU_JMP | 0x80, 0, 0, 0, discard ? FN_RINGBUF_DISCARD : FN_RINGBUF_SUBMIT);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 0, 0, 0, 0);
	p[n++] = I(EMU_JMP | 0x90, 0, 0, 0, 0);
	p[jmp].off = (int16_t)(n - jmp - 1);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 0, 0, 0, 1);
	p[n++] = I(EMU_JMP | 0x90, 0, 0, 0, 0);
	fd = prog_load(p, n);
	if (fd < 0)
		return -ENOTRECOVERABLE;
	r = prog_run((int)fd, pkt, sizeof(pkt));
	close((int)fd);
	return r;
}

/* bpf_user_ringbuf_drain with a callback returning ret_cb: the helper's answer. */
static long kernel_drain(int map, uint64_t flags, int ret_cb, int *load_err)
{
	struct emu_insn p[16];
	unsigned char pkt[64] = { 0 };
	uint32_t n = 0;
	long fd, r;

	ld_map(p + n, 1, map);
	n += 2;
	p[n++] = I(EMU_LD | EMU_DW | EMU_IMM, 2, 4 /* BPF_PSEUDO_FUNC */, 0, 5); /* the callback at 8 */
	p[n++] = I(0, 0, 0, 0, 0);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 3, 0, 0, 0);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 4, 0, 0, (int32_t)flags);
	p[n++] = I(EMU_JMP | 0x80, 0, 0, 0, FN_USER_RINGBUF_DRAIN);
	p[n++] = I(EMU_JMP | 0x90, 0, 0, 0, 0);
	p[n++] = I(EMU_ALU64 | EMU_MOV | EMU_K, 0, 0, 0, ret_cb);
	p[n++] = I(EMU_JMP | 0x90, 0, 0, 0, 0);
	fd = prog_load_fi(p, n, 8);
	if (fd < 0) {
		*load_err = 1;
		return -ENOTRECOVERABLE;
	}
	r = prog_run((int)fd, pkt, sizeof(pkt));
	close((int)fd);
	return r < 0 ? r : (long)(int32_t)r;
}

/* ---- the two rings' mappings ---- */

struct rings {
	struct hx_pair p;
	uint32_t size;
	unsigned char *cons[2], *data[2]; /* consumer page; producer page + data twice */
	bool user;
};

static bool map_rings(struct rings *r)
{
	for (int s = 0; s < 2; s++) {
		void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;

		r->cons[s] = mm(NULL, PAGE, r->user ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, r->p.fd[s], 0);
		r->data[s] = mm(NULL, PAGE + 2 * (size_t)r->size, r->user ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
				r->p.fd[s], PAGE);
		if (r->cons[s] == MAP_FAILED || r->data[s] == MAP_FAILED) {
			printf("FAIL: mmap of the %s ring: %s\n", s ? "emulated" : "kernel", strerror(errno));
			return false;
		}
	}
	return true;
}

static void unmap_rings(struct rings *r)
{
	for (int s = 0; s < 2; s++) {
		munmap(r->cons[s], PAGE);
		munmap(r->data[s], PAGE + 2 * (size_t)r->size);
	}
}

static void compare_bytes(const char *what, const unsigned char *k, const unsigned char *e, size_t n)
{
	hx_nops++;
	for (size_t i = 0; i < n; i++)
		if (k[i] != e[i]) {
			hx_ndiv++;
			if (hx_ndiv <= hx_max_reports)
				printf("DIVERGENCE #%lu [%s] %s byte %zu: kernel 0x%02x, emulator 0x%02x\n", hx_ndiv, hx_ctx_get(),
				       what, i, k[i], e[i]);
			return;
		}
}

/* Both rings as consumers see them: positions and every data byte, both copies of the data. */
static void compare_rings(const struct rings *r)
{
	compare_bytes("consumer page", r->cons[HX_K], r->cons[HX_E], PAGE);
	compare_bytes("producer page", r->data[HX_K], r->data[HX_E], PAGE);
	compare_bytes("data", r->data[HX_K] + PAGE, r->data[HX_E] + PAGE, 2 * (size_t)r->size);
	for (int t = 0; t < 2; t++) {
		struct pollfd pk = { r->p.fd[HX_K], t ? POLLOUT : POLLIN, 0 };
		uint32_t rev = 0;
		bool ring;

		poll(&pk, 1, 0);
		emu_map_poll(r->p.fd[HX_E], &rev, &ring);
		rev &= (uint32_t)(pk.events | POLLERR | POLLHUP);
		hx_nops++;
		if ((uint32_t)pk.revents != rev) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s] poll(%s): kernel %#x, emulator %#x\n", hx_ndiv, hx_ctx_get(),
			       t ? "POLLOUT" : "POLLIN", pk.revents, rev);
		}
	}
}

/* Consume up to n records as libbpf does (stopping at a busy one), on both sides. */
static void consume(struct rings *r, int n)
{
	for (int s = 0; s < 2; s++) {
		unsigned long *cp = (unsigned long *)r->cons[s], *pp = (unsigned long *)r->data[s];
		unsigned long c = __atomic_load_n(cp, __ATOMIC_ACQUIRE), p = __atomic_load_n(pp, __ATOMIC_ACQUIRE);

		for (int i = 0; i < n && c < p; i++) {
			uint32_t len;

			memcpy(&len, r->data[s] + PAGE + (c & (r->size - 1)), 4);
			if (len & EMU_RINGBUF_BUSY_BIT)
				break;
			c += ((len & ~(EMU_RINGBUF_BUSY_BIT | EMU_RINGBUF_DISCARD_BIT)) + 8 + 7) & ~7ul;
			__atomic_store_n(cp, c, __ATOMIC_RELEASE);
		}
	}
}

static void produce_round(struct rings *r, int nops)
{
	static const uint64_t flag_set[] = { 0, 0, EMU_RB_NO_WAKEUP, EMU_RB_FORCE_WAKEUP, 3, 4 };
	unsigned char buf[1024];

	for (int i = 0; i < nops; i++) {
		uint32_t size = hx_rand_below(&rng, 6) ? hx_rand_below(&rng, r->size / 8 + 1) : hx_rand_below(&rng, 1000);
		uint64_t flags = flag_set[hx_rand_below(&rng, 6)];
		uint32_t seed = (uint32_t)hx_rand(&rng);
		long k, e;

		if (size > 1000)
			size = 1000;
		if (hx_rand_below(&rng, 2)) {
			if (size > 504)
				size = 504;
			pattern_fill(buf, size ? (size + 7) & ~7u : 8, seed);
			hx_ctx("ring %u: output %u bytes flags %llu (op %d)", r->size, size, (unsigned long long)flags, i);
			k = kernel_output(r->p.fd[HX_K], size, seed, flags);
			e = bpfemu_ringbuf_output(r->p.fd[HX_E], buf, size, flags) ? -errno : 0;
		} else {
			bool discard = hx_rand_below(&rng, 3) == 0;
			void *s;

			flags &= 3;
			hx_ctx("ring %u: reserve %u bytes, %s flags %llu (op %d)", r->size, size, discard ? "discard" : "submit",
			       (unsigned long long)flags, i);
			k = kernel_reserve(r->p.fd[HX_K], size, seed, discard, flags);
			s = bpfemu_ringbuf_reserve(r->p.fd[HX_E], size);
			e = s ? 0 : 1;
			if (s) {
				pattern_fill(s, size, seed);
				if (discard)
					bpfemu_ringbuf_discard(r->p.fd[HX_E], s, flags);
				else
					bpfemu_ringbuf_submit(r->p.fd[HX_E], s, flags);
			}
		}
		if (k == -ENOTRECOVERABLE) {
			printf("NOTE [%s]: the kernel refused the producing program: the rest of this ring is not "
			       "compared\n", hx_ctx_get());
			hx_nexpect_bad++;
			return;
		}
		hx_nops++;
		if (k != e) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s] answer: kernel %ld, emulator %ld\n", hx_ndiv, hx_ctx_get(), k, e);
		}
		records++;
		compare_rings(r);
		if (hx_rand_below(&rng, 4) == 0)
			consume(r, 1 + (int)hx_rand_below(&rng, 4));
	}
}

static bool make_rings(struct rings *r, uint32_t type, uint32_t size)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->user = type == EMU_MAP_USER_RINGBUF;
	hx_ctx("%s %u", hx_type_name(type), size);
	if (hx_create(&r->p, type, 0, 0, size, 0) < 0)
		return false;
	if (!map_rings(r)) {
		hx_close(&r->p);
		return false;
	}
	return true;
}

static void kernel_ring(uint32_t size, int nops)
{
	struct rings r;

	if (!make_rings(&r, EMU_MAP_RINGBUF, size))
		return;
	produce_round(&r, nops);
	consume(&r, 1000);
	hx_ctx("ring %u: drained", size);
	compare_rings(&r);
	produce_round(&r, nops / 2);
	unmap_rings(&r);
	hx_close(&r.p);
}

/* ---- USER_RINGBUF: written here as libbpf writes it, drained by each side ---- */

static bool user_write(struct rings *r, int s, uint32_t size, uint32_t seed, bool discard, bool busy)
{
	unsigned long *pp = (unsigned long *)r->data[s], *cp = (unsigned long *)r->cons[s];
	unsigned long p = *pp, c = __atomic_load_n(cp, __ATOMIC_ACQUIRE);
	uint64_t total = (size + 8 + 7) & ~7ull;
	unsigned char *hdr;
	uint32_t len = size | (busy ? EMU_RINGBUF_BUSY_BIT : 0) | (discard ? EMU_RINGBUF_DISCARD_BIT : 0);

	if (total > r->size - (p - c))
		return false;
	hdr = r->data[s] + PAGE + (p & (r->size - 1));
	memcpy(hdr + 4, &(uint32_t){ 0 }, 4);
	pattern_fill(hdr + 8, size, seed);
	__atomic_store_n((uint32_t *)hdr, len, __ATOMIC_RELEASE);
	__atomic_store_n(pp, p + (unsigned long)total, __ATOMIC_RELEASE);
	return true;
}

static long count_cb(void *ctx, const void *data, uint32_t size)
{
	(void)data;
	(void)size;
	return *(int *)ctx;
}

static void user_ring(uint32_t size, int nops)
{
	struct rings r;
	int load_err = 0;

	if (!make_rings(&r, EMU_MAP_USER_RINGBUF, size))
		return;
	for (int i = 0; i < nops && !load_err; i++) {
		unsigned act = hx_rand_below(&rng, 10);

		if (act < 6) {
			uint32_t sz = hx_rand_below(&rng, r.size / 4);
			uint32_t seed = (uint32_t)hx_rand(&rng);
			bool discard = hx_rand_below(&rng, 5) == 0, busy = hx_rand_below(&rng, 12) == 0;

			hx_ctx("user ring %u: write %u bytes%s%s (op %d)", size, sz, discard ? " discarded" : "",
			       busy ? " busy" : "", i);
			for (int s = 0; s < 2; s++)
				user_write(&r, s, sz, seed, discard, busy);
		} else if (act < 7) {
			/* a producer that wrote a length past what it published: the drain's EINVAL */
			hx_ctx("user ring %u: a bad length (op %d)", size, i);
			for (int s = 0; s < 2; s++) {
				unsigned long p = *(unsigned long *)r.data[s];

				__atomic_store_n((uint32_t *)(r.data[s] + PAGE + (p & (size - 1))), size * 2, __ATOMIC_RELEASE);
				__atomic_store_n((unsigned long *)r.data[s], p + 8, __ATOMIC_RELEASE);
			}
		} else {
			uint64_t flags = hx_rand_below(&rng, 8) ? hx_rand_below(&rng, 3) : 4;
			int cb = hx_rand_below(&rng, 4) == 0;
			long k, e;

			hx_ctx("user ring %u: drain flags %llu callback %d (op %d)", size, (unsigned long long)flags, cb, i);
			k = kernel_drain(r.p.fd[HX_K], flags, cb, &load_err);
			if (load_err)
				break;
			e = bpfemu_user_ringbuf_drain(r.p.fd[HX_E], count_cb, &cb, flags);
			if (e < 0)
				e = -errno;
			drains++;
			hx_nops++;
			if (k != e) {
				hx_ndiv++;
				printf("DIVERGENCE #%lu [%s] drain: kernel %ld, emulator %ld\n", hx_ndiv, hx_ctx_get(), k, e);
			}
			/* a ring the producer broke stays broken: start it over */
			if (k == -EINVAL && flags <= 3) {
				unmap_rings(&r);
				hx_close(&r.p);
				if (!make_rings(&r, EMU_MAP_USER_RINGBUF, size))
					return;
				continue;
			}
		}
		compare_rings(&r);
	}
	if (load_err)
		printf("NOTE: the kernel refused the drain program: USER_RINGBUF drains not compared\n");
	unmap_rings(&r);
	hx_close(&r.p);
}

/* ---- create, commands, mmap rules ---- */

static void create_rules(void)
{
	static const uint32_t maxes[] = { 0, 1, 4095, 4096, 8192, 12288, 1u << 20, 0x80000000u, 0xfffff000u };
	struct hx_pair p;

	for (int t = 0; t < 2; t++) {
		uint32_t type = t ? EMU_MAP_USER_RINGBUF : EMU_MAP_RINGBUF;

		for (size_t m = 0; m < sizeof(maxes) / 4; m++) {
			hx_ctx("create %s max %u", hx_type_name(type), maxes[m]);
			if (maxes[m] == 0x80000000u)
				continue; /* 2 GiB on both sides: left out */
			if (hx_create(&p, type, 0, 0, maxes[m], 0) >= 0)
				hx_close(&p);
		}
		for (int k = 0; k < 2; k++) {
			hx_ctx("create %s key %u value %u", hx_type_name(type), k * 4, (1 - k) * 4);
			if (hx_create(&p, type, k * 4, (1 - k) * 4, 4096, 0) >= 0)
				hx_close(&p);
		}
		for (uint32_t bit = 0; bit < 32; bit++) {
			struct hx_op op;

			if (bit == 16)
				continue;
			hx_ctx("create %s flag bit %u", hx_type_name(type), bit);
			hx_create_op(&op, type, 0, 0, 4096, 1u << bit);
			if (hx_create_from(&p, &op) >= 0)
				hx_close(&p);
		}
	}
}

static void commands(uint32_t type)
{
	struct hx_pair p;
	unsigned char key[4] = { 0 }, v[8], tok[8], keys[16], vals[16];
	uint32_t cnt;

	hx_ctx("%s commands", hx_type_name(type));
	if (hx_create(&p, type, 0, 0, 4096, 0) < 0)
		return;
	hx_lookup(&p, NULL, v);
	hx_lookup(&p, key, v);
	hx_update(&p, NULL, v, 0);
	hx_update(&p, key, v, 0);
	hx_delete(&p, NULL);
	hx_delete(&p, key);
	hx_next(&p, NULL, v);
	hx_next(&p, key, v);
	hx_lookup_del(&p, NULL, v, 0);
	hx_batch(&p, EMU_BPF_MAP_LOOKUP_BATCH, NULL, tok, 4, keys, vals, 1, 1, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_UPDATE_BATCH, NULL, NULL, 0, keys, vals, 1, 1, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_DELETE_BATCH, NULL, NULL, 0, keys, NULL, 1, 1, 0, &cnt);
	hx_batch(&p, EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, NULL, tok, 4, keys, vals, 1, 1, 0, &cnt);
	hx_compare_info(&p);
	{
		char kt[512], et[512], path[64], *km, *em;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", p.fd[HX_K]);
		f = fopen(path, "r");
		n = f ? fread(kt, 1, sizeof(kt) - 1, f) : 0;
		kt[n] = 0;
		if (f)
			fclose(f);
		if (emu_fdinfo(p.fd[HX_E], et, sizeof(et)) < 0)
			et[0] = 0;
		km = strstr(kt, "memlock:");
		em = strstr(et, "memlock:");
		hx_nops++;
		if (!km || !em || strncmp(km, em, strcspn(km, "\n") + 1)) {
			hx_ndiv++;
			printf("DIVERGENCE [%s] memlock: kernel \"%.30s\", emulator \"%.30s\"\n", hx_ctx_get(), km ? km : "?",
			       em ? em : "?");
		}
	}
	hx_close(&p);
}

static void mmap_rules(uint32_t type, bool rdonly_fd)
{
	static const uint32_t offs[] = { 0, 1, 2, 3, 5, 6, 7, 9 };
	static const uint32_t lens[] = { 1, 2, 3, 4, 5, 6, 8 };
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE };
	static const int flagsv[] = { MAP_SHARED, MAP_PRIVATE };
	struct hx_pair p;
	struct hx_op op;

	hx_create_op(&op, type, 0, 0, 4 * PAGE, rdonly_fd ? EMU_F_RDONLY : 0);
	hx_ctx("%s mmap rules%s", hx_type_name(type), rdonly_fd ? " (read-only fd)" : "");
	if (hx_create_from(&p, &op) < 0)
		return;
	for (size_t a = 0; a < sizeof(offs) / 4; a++)
		for (size_t b = 0; b < sizeof(lens) / 4; b++)
			for (size_t c = 0; c < 3; c++)
				for (size_t d = 0; d < 2; d++) {
					void *m[2];
					int err[2];

					for (int s = 0; s < 2; s++) {
						void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;

						m[s] = mm(NULL, (size_t)lens[b] * PAGE, prots[c], flagsv[d], p.fd[s],
							  (off_t)offs[a] * PAGE);
						err[s] = m[s] == MAP_FAILED ? errno : 0;
					}
					hx_nops++;
					if (err[0] != err[1]) {
						hx_ndiv++;
						printf("DIVERGENCE #%lu [%s] mmap(page %u, %u pages, prot %d, %s): kernel %s, "
						       "emulator %s\n", hx_ndiv, hx_ctx_get(), offs[a], lens[b], prots[c],
						       d ? "private" : "shared", err[0] ? hx_errname(err[0]) : "mapped",
						       err[1] ? hx_errname(err[1]) : "mapped");
					}
					/* a read-only mapping cannot be made writable later (VM_MAYWRITE) */
					if (!err[0] && !err[1] && prots[c] == PROT_READ) {
						int r0 = mprotect(m[0], PAGE, PROT_READ | PROT_WRITE) ? errno : 0;
						int r1 = mprotect(m[1], PAGE, PROT_READ | PROT_WRITE) ? errno : 0;

						hx_nops++;
						if (r0 != r1) {
							hx_ndiv++;
							printf("DIVERGENCE #%lu [%s] mprotect(PROT_WRITE) of a read-only mapping at "
							       "page %u: kernel %s, emulator %s\n", hx_ndiv, hx_ctx_get(), offs[a],
							       r0 ? hx_errname(r0) : "allowed", r1 ? hx_errname(r1) : "allowed");
						}
					}
					for (int s = 0; s < 2; s++)
						if (m[s] != MAP_FAILED)
							munmap(m[s], (size_t)lens[b] * PAGE);
				}
	hx_close(&p);
}

/* FREEZE of a ring: refused (EBUSY) while its writable part is mapped (a RINGBUF's consumer page, a
 * USER_RINGBUF's producer and data pages), done once that is unmapped (the read-only parts and the
 * emulator's own views do not count), then writable mappings refused (EPERM). */
static void freeze_rules(uint32_t type)
{
	bool user = type == EMU_MAP_USER_RINGBUF;
	size_t wlen = user ? 3 * PAGE : PAGE, rlen = user ? PAGE : 3 * PAGE;
	off_t woff = user ? PAGE : 0, roff = user ? 0 : PAGE;
	void *w[2], *r[2];
	struct hx_pair p;

	hx_ctx("%s freeze while mapped", hx_type_name(type));
	if (hx_create(&p, type, 0, 0, PAGE, 0) < 0)
		return;
	for (int s = 0; s < 2; s++) {
		void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;

		w[s] = mm(NULL, wlen, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd[s], woff);
		r[s] = mm(NULL, rlen, PROT_READ, MAP_SHARED, p.fd[s], roff);
		if (w[s] == MAP_FAILED || r[s] == MAP_FAILED) {
			printf("FAIL: mmap of the %s ring: %s\n", s ? "emulated" : "kernel", strerror(errno));
			hx_ndiv++;
			hx_close(&p);
			return;
		}
	}
	hx_freeze(&p); /* EBUSY */
	for (int s = 0; s < 2; s++)
		munmap(w[s], wlen);
	hx_ctx("%s freeze with read-only mappings", hx_type_name(type));
	hx_freeze(&p); /* done */
	hx_freeze(&p); /* a frozen map's fd cannot write: EPERM */
	hx_ctx("%s writable mmap once frozen", hx_type_name(type));
	{
		int err[2];

		for (int s = 0; s < 2; s++) {
			void *(*mm)(void *, size_t, int, int, int, off_t) = s == HX_K ? mmap : bpfemu_mmap;
			void *m = mm(NULL, wlen, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd[s], woff);

			err[s] = m == MAP_FAILED ? errno : 0;
			if (m != MAP_FAILED)
				munmap(m, wlen);
		}
		hx_nops++;
		if (err[0] != err[1]) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s] kernel %s, emulator %s\n", hx_ndiv, hx_ctx_get(),
			       err[0] ? hx_errname(err[0]) : "mapped", err[1] ? hx_errname(err[1]) : "mapped");
		}
	}
	for (int s = 0; s < 2; s++)
		munmap(r[s], rlen);
	hx_close(&p);
}

int main(int argc, char **argv)
{
	double seconds = 5;
	uint64_t seed = (uint64_t)time(NULL);
	struct timespec t0, t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
	}
	hx_init("diff_ringbuf");
	hx_quiet_ok = true;
	if (sysconf(_SC_PAGESIZE) != PAGE)
		hx_skip("the page size here is %ld: this test's layouts assume 4096", sysconf(_SC_PAGESIZE));
	rng ^= seed * 0x2545f4914f6cdd1dull;
	printf("diff_ringbuf: seed %llu\n", (unsigned long long)seed);
	create_rules();
	commands(EMU_MAP_RINGBUF);
	commands(EMU_MAP_USER_RINGBUF);
	for (int ro = 0; ro < 2; ro++) {
		mmap_rules(EMU_MAP_RINGBUF, ro);
		mmap_rules(EMU_MAP_USER_RINGBUF, ro);
	}
	freeze_rules(EMU_MAP_RINGBUF);
	freeze_rules(EMU_MAP_USER_RINGBUF);
	kernel_ring(PAGE, 200);
	kernel_ring(4 * PAGE, 200);
	user_ring(PAGE, 200);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		kernel_ring(PAGE << hx_rand_below(&rng, 3), 100);
		user_ring(PAGE << hx_rand_below(&rng, 2), 100);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("diff_ringbuf: %lu records produced and compared, %lu drains compared\n", records, drains);
	return hx_finish();
}
