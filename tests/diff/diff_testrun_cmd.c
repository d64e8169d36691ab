/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN's command path against the kernel (bpfemu_bpf, as the preload calls it):
 * where user memory ends or is read-only, and what an XDP program sees of the headroom.
 *
 *  - data_in ending n bytes before an inaccessible page: data_size_in n (read whole) and more (EFAULT);
 *    data_in NULL with a size (XDP and SCHED_CLS programs);
 *  - data_out ending m bytes before an inaccessible page (the partial copy, then EFAULT, the attr's
 *    fields not written), and a short data_out (ENOSPC);
 *  - the attr with its first k bytes writable and the rest read-only: which of data_size_out,
 *    retval and duration are written (the kernel writes them in that order, stopping at a fault);
 *  - the headroom: a program that writes bytes it uncovered with bpf_xdp_adjust_head, then one that
 *    uncovers more headroom without writing: it must see the kernel's
 *    zeroes, in the same thread right after the first (the emulator clears the headroom lazily,
 *    emu/prog/env.h zero_lo, in a per-thread arena the first program wrote).
 *
 * Compared: the answer (ret, errno), every byte of data_out, and the attr (duration only as
 * written or not: its value is a time).
 *
 * --expect-divergence: the run against a library with BPFEMU_FAULT=xdp-headroom (the uncovered
 * headroom not cleared) must report divergences.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_cases.h"
#include "harness.h"

#define PAGE 4096u
#define ATTR_LEN TR_END /* the size libbpf passes */
#define POISON 0xee
#define DUR_SENTINEL 0xa5a5a5a5u

static unsigned long ncases, ndiv;

/* two pages per side: the first read-write, the second with prot */
static unsigned char *two_pages(int prot)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + PAGE, PAGE, prot)) {
		printf("FAIL: mmap/mprotect: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

static char vlog[65536];

static long load_type(int side, uint32_t type, const struct emu_insn *insns, uint32_t cnt)
{
	return hx_prog_load(side, type, insns, cnt, vlog, sizeof(vlog));
}

static long load(int side, const struct emu_insn *insns, uint32_t cnt)
{
	return load_type(side, EMU_PROG_XDP, insns, cnt);
}

struct run {
	int fd[2];
	/* per side: where the attr, data_in and data_out lie (NULL data: none) */
	unsigned char *attr[2];
	const void *din[2];
	unsigned char *dout[2];
	uint32_t din_size, dout_size;
	size_t dout_len; /* bytes of data_out to compare */
};


/* Writes the attr (in writable memory) on both sides, runs, compares. wr: bytes of the attr that
 * are writable (the rest read-only: the attr was placed by the caller). */
static void run_both(const char *what, struct run *r)
{
	long ret[2];
	unsigned char att[2][ATTR_LEN];

	ncases++;
	for (int s = 0; s < 2; s++) {
		unsigned char a[ATTR_LEN];

		memset(a, 0, sizeof(a));
		hx_put32(a, TR_PROG_FD, (uint32_t)r->fd[s]);
		hx_put32(a, TR_RETVAL, 0x11111111u);
		hx_put32(a, TR_DATA_SIZE_IN, r->din_size);
		hx_put32(a, TR_DATA_SIZE_OUT, r->dout_size);
		hx_put32(a, TR_DURATION, DUR_SENTINEL);
		hx_putp(a, TR_DATA_IN, r->din[s]);
		hx_putp(a, TR_DATA_OUT, r->dout[s]);
		/* the attr may lie partly in read-only memory: written before it was protected */
		memcpy(r->attr[s], a, sizeof(a));
		if (r->dout[s])
			memset(r->dout[s], POISON, r->dout_len);
	}
	for (int s = 0; s < 2; s++) {
		ret[s] = hx_raw(s, EMU_BPF_PROG_TEST_RUN, r->attr[s], ATTR_LEN);
		memcpy(att[s], r->attr[s], ATTR_LEN);
	}
	/* duration: written or not */
	for (int s = 0; s < 2; s++)
		hx_put32(att[s], TR_DURATION, hx_get32(att[s], TR_DURATION) != DUR_SENTINEL);
	for (int s = 0; s < 2; s++) { /* fds and buffers differ by design */
		hx_put32(att[s], TR_PROG_FD, 0);
		hx_put64(att[s], TR_DATA_IN, 0);
		hx_put64(att[s], TR_DATA_OUT, 0);
	}
	if (ret[0] != ret[1] || memcmp(att[0], att[1], ATTR_LEN) ||
	    (r->dout[0] && memcmp(r->dout[0], r->dout[1], r->dout_len))) {
		ndiv++;
		printf("DIVERGENCE %s: kernel %ld (%s), emulator %ld (%s)\n", what, ret[0], ret[0] < 0 ? hx_errname((int)-ret[0]) : "-",
		       ret[1], ret[1] < 0 ? hx_errname((int)-ret[1]) : "-");
		printf("  data_size_out %u / %u, retval %#x / %#x, duration written %u / %u\n",
		       hx_get32(att[0], TR_DATA_SIZE_OUT), hx_get32(att[1], TR_DATA_SIZE_OUT), hx_get32(att[0], TR_RETVAL),
		       hx_get32(att[1], TR_RETVAL), hx_get32(att[0], TR_DURATION), hx_get32(att[1], TR_DURATION));
		for (size_t i = 0; r->dout[0] && i < r->dout_len; i++)
			if (r->dout[0][i] != r->dout[1][i]) {
				printf("  data_out differs from byte %zu: kernel %02x, emulator %02x\n", i, r->dout[0][i],
				       r->dout[1][i]);
				break;
			}
	}
}

static unsigned char pkt[PAGE];

/* data_in and data_out at the edge of an inaccessible page */
static void edges(const char *type, const int fd[2])
{
	static const uint32_t sizes[] = { 14, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 255, 256, 511, 512, 600, 3000 };
	unsigned char *pg[2], attr[2][ATTR_LEN], out[2][4096];
	char what[128];

	for (int s = 0; s < 2; s++)
		pg[s] = two_pages(PROT_NONE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];

		for (uint32_t extra = 0; extra < 3; extra++) {
			struct run r = { .fd = { fd[0], fd[1] }, .din_size = n + extra, .dout_size = sizeof(out[0]),
					 .dout_len = sizeof(out[0]) };

			for (int s = 0; s < 2; s++) {
				memcpy(pg[s] + PAGE - n, pkt, n);
				r.attr[s] = attr[s];
				r.din[s] = pg[s] + PAGE - n;
				r.dout[s] = out[s];
			}
			snprintf(what, sizeof(what), "%s: data_in %u bytes before a fault, data_size_in %u", type, n,
				 n + extra);
			run_both(what, &r);
		}
		/* data_out with m bytes before a fault */
		for (uint32_t m = n > 8 ? n - 8 : 0; m <= n; m += 4) {
			struct run r = { .fd = { fd[0], fd[1] }, .din_size = n, .dout_size = n, .dout_len = m };

			for (int s = 0; s < 2; s++) {
				r.attr[s] = attr[s];
				r.din[s] = pkt;
				r.dout[s] = pg[s] + PAGE - m;
			}
			snprintf(what, sizeof(what), "%s: %u-byte packet, data_out %u bytes before a fault", type, n, m);
			run_both(what, &r);
		}
		/* a short data_out: ENOSPC and the partial copy */
		{
			struct run r = { .fd = { fd[0], fd[1] }, .din_size = n, .dout_size = n / 2, .dout_len = n };

			for (int s = 0; s < 2; s++) {
				r.attr[s] = attr[s];
				r.din[s] = pkt;
				r.dout[s] = out[s];
			}
			snprintf(what, sizeof(what), "%s: %u-byte packet, data_size_out %u", type, n, n / 2);
			run_both(what, &r);
		}
	}
	{
		struct run r = { .fd = { fd[0], fd[1] }, .din_size = 64, .dout_size = 64, .dout_len = 64 };

		for (int s = 0; s < 2; s++) {
			r.attr[s] = attr[s];
			r.din[s] = NULL;
			r.dout[s] = out[s];
		}
		run_both("data_in NULL, data_size_in 64", &r);
	}
	for (int s = 0; s < 2; s++)
		munmap(pg[s], 2 * PAGE);
}

/* the attr's first k bytes writable, the rest read-only */
static void attr_edges(const int fd[2])
{
	static const unsigned ks[] = { 0, 4, 6, 8, 12, 14, 16, 20, 24, 36, 40, 44, 60, ATTR_LEN };
	unsigned char *pg[2], out[2][128];
	char what[96];

	for (int s = 0; s < 2; s++)
		pg[s] = two_pages(PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		struct run r = { .fd = { fd[0], fd[1] }, .din_size = 64, .dout_size = 64, .dout_len = 64 };

		for (int s = 0; s < 2; s++) {
			if (mprotect(pg[s] + PAGE, PAGE, PROT_READ | PROT_WRITE))
				exit(1);
			r.attr[s] = pg[s] + PAGE - ks[i];
			r.din[s] = pkt;
			r.dout[s] = out[s];
		}
		/* run_both writes the attr first: protect after, through a second pass */
		for (int s = 0; s < 2; s++) {
			unsigned char a[ATTR_LEN];

			memset(a, 0, sizeof(a));
			hx_put32(a, TR_PROG_FD, (uint32_t)fd[s]);
			hx_put32(a, TR_RETVAL, 0x11111111u);
			hx_put32(a, TR_DATA_SIZE_IN, 64);
			hx_put32(a, TR_DATA_SIZE_OUT, 64);
			hx_put32(a, TR_DURATION, DUR_SENTINEL);
			hx_putp(a, TR_DATA_IN, pkt);
			hx_putp(a, TR_DATA_OUT, out[s]);
			memcpy(r.attr[s], a, sizeof(a));
			memset(out[s], POISON, 64);
			if (mprotect(pg[s] + PAGE, PAGE, PROT_READ))
				exit(1);
		}
		{
			long ret[2];
			unsigned char att[2][ATTR_LEN];

			ncases++;
			for (int s = 0; s < 2; s++) {
				ret[s] = hx_raw(s, EMU_BPF_PROG_TEST_RUN, r.attr[s], ATTR_LEN);
				memcpy(att[s], r.attr[s], ATTR_LEN);
				hx_put32(att[s], TR_DURATION, hx_get32(att[s], TR_DURATION) != DUR_SENTINEL);
				hx_put32(att[s], TR_PROG_FD, 0);
				hx_put64(att[s], TR_DATA_OUT, 0);
			}
			snprintf(what, sizeof(what), "attr with %u writable bytes", ks[i]);
			if (ret[0] != ret[1] || memcmp(att[0], att[1], ATTR_LEN) || memcmp(out[0], out[1], 64)) {
				ndiv++;
				printf("DIVERGENCE %s: kernel %ld, emulator %ld; data_size_out %#x / %#x, retval %#x / %#x, "
				       "duration written %u / %u\n",
				       what, ret[0], ret[1], hx_get32(att[0], TR_DATA_SIZE_OUT), hx_get32(att[1], TR_DATA_SIZE_OUT),
				       hx_get32(att[0], TR_RETVAL), hx_get32(att[1], TR_RETVAL), hx_get32(att[0], TR_DURATION),
				       hx_get32(att[1], TR_DURATION));
			}
		}
	}
	for (int s = 0; s < 2; s++)
		munmap(pg[s], 2 * PAGE);
}

/* Writes 0x5a over 64 bytes it uncovers below data, moves data back, then uncovers 32 of them
 * again (which must still hold 0x5a: uncovered before, not cleared again). (bpf_xdp_adjust_meta
 * is refused to XDP programs loaded this way, by both.) */
static const struct emu_insn dirty[] = {
	LD64(7, 0x5a5a5a5a, 0x5a5a5a5a),
	MOV64R(6, 1),
	MOV64R(1, 6), MOV64I(2, -64), CALL(EMU_FN_xdp_adjust_head),
	JI(0x50, 0, 0, 22),
	LDX(W, 2, 6, 0), LDX(W, 3, 6, 4), MOV64R(4, 2), ALU64I(0x00, 4, 64),
	JR(0x20, 4, 3, 17),
	STX(DW, 2, 7, 0), STX(DW, 2, 7, 8), STX(DW, 2, 7, 16), STX(DW, 2, 7, 24),
	STX(DW, 2, 7, 32), STX(DW, 2, 7, 40), STX(DW, 2, 7, 48), STX(DW, 2, 7, 56),
	MOV64R(1, 6), MOV64I(2, 64), CALL(EMU_FN_xdp_adjust_head),
	MOV64R(1, 6), MOV64I(2, -32), CALL(EMU_FN_xdp_adjust_head),
	JI(0x50, 0, 0, 2),
	MOV64I(0, 2), EXIT,
	MOV64I(0, 1), EXIT,
};

/* Uncovers 128 bytes of headroom, then 40 more, writing nothing: r0 is the second call's answer. */
static const struct emu_insn peek[] = {
	MOV64R(6, 1), MOV64I(2, -128), CALL(EMU_FN_xdp_adjust_head),
	MOV64R(1, 6), MOV64I(2, -40), CALL(EMU_FN_xdp_adjust_head),
	EXIT,
};

static void headroom(void)
{
	int dfd[2], pfd[2];
	unsigned char attr[2][ATTR_LEN], out[2][512];

	for (int s = 0; s < 2; s++) {
		long d = load(s, dirty, sizeof(dirty) / sizeof(dirty[0])), p = load(s, peek, sizeof(peek) / sizeof(peek[0]));

		if (d < 0 || p < 0) {
			ndiv++;
			printf("DIVERGENCE: the headroom programs do not load on the %s (%ld, %ld): %s\n",
			       s ? "emulator" : "kernel", d, p, vlog);
			return;
		}
		dfd[s] = (int)d;
		pfd[s] = (int)p;
	}
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 2; k++) {
			struct run r = { .din_size = 64, .dout_size = sizeof(out[0]), .dout_len = sizeof(out[0]) };

			for (int s = 0; s < 2; s++) {
				r.fd[s] = k ? pfd[s] : dfd[s];
				r.attr[s] = attr[s];
				r.din[s] = pkt;
				r.dout[s] = out[s];
			}
			run_both(k ? "headroom uncovered, not written (after a program wrote it)"
				   : "headroom uncovered and written", &r);
		}
	}
	/* the kernel's answer is what the test is about: 168 zeroes, then the packet */
	if (!ndiv && (out[0][0] != 0 || out[0][167] != 0 || out[0][168] != pkt[0]))
		printf("note: the kernel's uncovered headroom is not zero\n");
	for (int s = 0; s < 2; s++) {
		close(dfd[s]);
		close(pfd[s]);
	}
}

int main(int argc, char **argv)
{
	static const struct emu_insn pass[] = { MOV64I(0, 2), EXIT };
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence"); /* (--seconds N ignored) */
	int fd[2];

	hx_init("diff_testrun_cmd");
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (unsigned char)(i * 7 + 1);
	for (int s = 0; s < 2; s++) {
		long r = load(s, pass, 2);

		if (r < 0) {
			if (s == HX_K)
				hx_skip("the kernel refused an XDP program (%s)", hx_errname((int)-r));
			printf("FAIL: the emulator refused an XDP program (%s)\n", hx_errname((int)-r));
			return 1;
		}
		fd[s] = (int)r;
	}
	edges("XDP", fd);
	attr_edges(fd);
	/* the same edges for an __sk_buff program (its packet is built by test_run_skb.c) */
	{
		static const struct emu_insn ok[] = { MOV64I(0, 0), EXIT };
		int sfd[2];

		for (int s = 0; s < 2; s++) {
			long r = load_type(s, EMU_PROG_SCHED_CLS, ok, 2);

			if (r < 0) {
				printf("FAIL: a SCHED_CLS program refused on the %s (%s)\n", s ? "emulator" : "kernel",
				       hx_errname((int)-r));
				return 1;
			}
			sfd[s] = (int)r;
		}
		edges("SCHED_CLS", sfd);
		for (int s = 0; s < 2; s++)
			close(sfd[s]);
	}
	headroom();
	printf("diff_testrun_cmd: %lu cases, %lu divergences\n", ncases, ndiv);
	if (expect_div) {
		if (ndiv) {
			printf("PASS: the planted fault was found (%lu divergences)\n", ndiv);
			return 0;
		}
		printf("FAIL: BPFEMU_FAULT is planted but no divergence was found\n");
		return 1;
	}
	return ndiv ? 1 : 0;
}
