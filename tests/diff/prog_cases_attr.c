/* SPDX-License-Identifier: MIT */
/*
 * diff_prog's fixed cases: the attr values each type's test_run checks, one at a time at and
 * around each limit, the inputs that cannot be read (a NULL or unmapped data_in or ctx_in, a
 * buffer that ends inside the data), and the program types without a test_run.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diff_prog.h"
#include "prog/kprog.h"

static uint8_t pkt[80000];
static uint8_t big_ctx[8192];

static void base(struct tw_case *c, uint32_t size)
{
	memset(c, 0, sizeof(*c));
	c->data_in = pkt;
	c->data_size_in = size;
	c->data_out_cap = 80000;
	c->data_size_out = 80000;
}

void dp_attr_xdp(struct tw_obj *o)
{
	static const uint32_t sizes[] = { 0, 1, 13, 14, 15, 3519, 3520, 3521, 3736, 3737, 4096, 73152, 73153,
					  73368, 73369, 80000 };
	struct tw_case c;
	uint32_t md[8];

	memset(pkt, 0x11, sizeof(pkt));
	pkt[12] = 0x08;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		base(&c, sizes[i] > 80000 ? 80000 : sizes[i]);
		dp_run(o, "xdp_edges", &c, "size %u", c.data_size_in);
	}
	for (uint32_t f = 1; f < 16; f <<= 1) {
		base(&c, 100);
		c.flags = f == 2 ? 0 : f; /* live frames: not emulated */
		c.batch_size = f == 2 ? 1 : 0;
		dp_run(o, "xdp_fw", &c, "flags %u batch %u", c.flags, c.batch_size);
	}
	base(&c, 100);
	c.cpu = 1;
	dp_run(o, "xdp_fw", &c, "cpu 1 without the flag");
	base(&c, 100);
	c.data_in = NULL;
	dp_run(o, "xdp_fw", &c, "data_in NULL");
	base(&c, 100);
	c.data_in = hx_bad_ptr();
	dp_run(o, "xdp_fw", &c, "data_in unmapped");
	base(&c, 6000);
	c.data_in = hx_page_end_ptr(5000, pkt);
	dp_run(o, "xdp_fw", &c, "data_in ends in the frags");
	base(&c, 3000);
	c.data_in = hx_page_end_ptr(2000, pkt);
	dp_run(o, "xdp_fw", &c, "data_in ends in the linear part");
	/* ctx_in limits */
	for (uint32_t sz = 20; sz <= 4200; sz = sz < 40 ? sz + 4 : sz * 2) {
		base(&c, 100);
		memset(big_ctx, 0, sizeof(big_ctx));
		md[0] = 0;
		md[1] = 100;
		memcpy(big_ctx, md, 8);
		c.ctx_in = big_ctx;
		c.ctx_raw = true;
		c.ctx_size_in = sz;
		dp_run(o, "xdp_fw", &c, "ctx_size_in %u", sz);
		big_ctx[sz - 1] = 1;
		dp_run(o, "xdp_fw", &c, "ctx_size_in %u, its last byte set", sz);
	}
	base(&c, 100);
	c.ctx_in = hx_bad_ptr();
	c.ctx_raw = true;
	c.ctx_size_in = 24;
	dp_run(o, "xdp_fw", &c, "ctx_in unmapped");
	base(&c, 100);
	c.ctx_in = hx_page_end_ptr(24, NULL);
	c.ctx_raw = true;
	c.ctx_size_in = 28;
	dp_run(o, "xdp_fw", &c, "ctx_in tail unmapped");
	base(&c, 100);
	c.ctx_out_cap = 4096;
	c.ctx_size_out = 24;
	dp_run(o, "xdp_fw", &c, "ctx_out without ctx_in");
}

void dp_attr_skb(struct tw_obj *o)
{
	static const uint32_t sizes[] = { 0, 13, 14, 33, 34, 53, 54, 3711, 3712, 3713, 4096 };
	struct tw_case c;

	memset(pkt, 0x22, sizeof(pkt));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int proto = 0; proto < 3; proto++) {
			base(&c, sizes[i]);
			pkt[12] = proto == 0 ? 0x08 : proto == 1 ? 0x86 : 0x12;
			pkt[13] = proto == 1 ? 0xdd : 0;
			dp_run(o, "tc_nat", &c, "size %u proto %d", sizes[i], proto);
		}
	}
	pkt[12] = 0x08;
	pkt[13] = 0;
	for (uint32_t f = 1; f < 32; f <<= 1) {
		base(&c, 100);
		c.flags = f;
		dp_run(o, "tc_nat", &c, "flags %u", f);
	}
	base(&c, 100);
	c.cpu = 1;
	dp_run(o, "tc_nat", &c, "cpu 1");
	base(&c, 100);
	c.batch_size = 1;
	dp_run(o, "tc_nat", &c, "batch_size 1");
	base(&c, 100);
	c.data_in = hx_bad_ptr();
	dp_run(o, "tc_nat", &c, "data_in unmapped");
	base(&c, 100);
	c.data_in = hx_page_end_ptr(60, pkt);
	dp_run(o, "tc_nat", &c, "data_in short");
	for (uint32_t sz = 1; sz <= 4200; sz = sz < 200 ? sz + 37 : sz * 2) {
		base(&c, 100);
		memset(big_ctx, 0, sizeof(big_ctx));
		c.ctx_in = big_ctx;
		c.ctx_raw = true;
		c.ctx_size_in = sz;
		c.ctx_out_cap = 4096;
		c.ctx_size_out = 192;
		dp_run(o, "tc_nat", &c, "ctx_size_in %u", sz);
	}
	base(&c, 100);
	c.ctx_in = hx_bad_ptr();
	c.ctx_raw = true;
	c.ctx_size_in = 192;
	dp_run(o, "tc_nat", &c, "ctx_in unmapped");
	base(&c, 100);
	c.data_in = hx_bad_ptr();
	c.ctx_in = hx_bad_ptr();
	c.ctx_raw = true;
	c.ctx_size_in = 5000;
	dp_run(o, "tc_nat", &c, "both unmapped, ctx too big");
}

void dp_attr_sys(struct tw_obj *o)
{
	static uint8_t ctx[256];
	struct tw_case c;

	memset(&c, 0, sizeof(c));
	c.ctx_in = ctx;
	c.ctx_size_in = 136;
	c.repeat = 2;
	dp_run(o, "elem", &c, "SYSCALL repeat");
	c.repeat = 0;
	c.duration = 1;
	dp_run(o, "elem", &c, "SYSCALL duration");
	c.duration = 0;
	c.flags = 1;
	dp_run(o, "elem", &c, "SYSCALL flags");
	c.flags = 0;
	c.cpu = 3;
	dp_run(o, "elem", &c, "SYSCALL cpu (not checked)");
	c.cpu = 0;
	c.data_in = pkt;
	c.data_size_in = 20;
	dp_run(o, "elem", &c, "SYSCALL data_in");
	c.data_in = NULL;
	c.data_size_in = 0;
	c.ctx_out_cap = 256;
	c.ctx_size_out = 136;
	dp_run(o, "elem", &c, "SYSCALL ctx_out");
	c.ctx_out_cap = 0;
	c.ctx_size_out = 0;
	c.ctx_in = big_ctx;
	c.ctx_raw = true;
	c.ctx_size_in = 65536;
	dp_run(o, "elem", &c, "SYSCALL ctx 65536");
	c.ctx_in = hx_bad_ptr();
	c.ctx_size_in = 136;
	dp_run(o, "elem", &c, "SYSCALL ctx unmapped");
	c.ctx_in = NULL;
	c.ctx_raw = false;
	c.ctx_size_in = 0;
	dp_run(o, "elem", &c, "SYSCALL no ctx, a program that reads it");
}

void dp_attr_rawtp(struct tw_obj *o)
{
	static uint64_t args[16];
	struct tw_case c;

	memset(&c, 0, sizeof(c));
	c.ctx_in = args;
	c.ctx_size_in = 24;
	c.repeat = 1;
	dp_run(o, "rtp", &c, "RAW_TP repeat");
	c.repeat = 0;
	c.duration = 5;
	dp_run(o, "rtp", &c, "RAW_TP duration");
	c.duration = 0;
	c.ctx_size_in = 104;
	dp_run(o, "rtp", &c, "RAW_TP ctx 104");
	c.ctx_size_in = 96;
	dp_run(o, "rtp", &c, "RAW_TP ctx 96");
	c.ctx_size_in = 24;
	c.flags = 1;
	c.cpu = 4096;
	dp_run(o, "rtp", &c, "RAW_TP cpu 4096");
	c.flags = 6;
	c.cpu = 0;
	dp_run(o, "rtp", &c, "RAW_TP other flags");
	c.flags = 0;
	c.batch_size = 3;
	dp_run(o, "rtp", &c, "RAW_TP batch_size");
}

/* Types without a test_run in 6.18 (ENOTSUPP) or with one the emulator does not run. */
void dp_attr_types(void)
{
	static const uint32_t types[] = { EMU_PROG_KPROBE, EMU_PROG_TRACEPOINT, EMU_PROG_PERF_EVENT };
	struct emu_insn p[] = { EI_MOV64_IMM(0, 0), EI_EXIT() };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		long fd = kp_load(types[i], p, 2, 0, NULL, 0);
		unsigned char a[EMU_ATTR_SIZE] = { 0 };
		struct emu_test_run_in in = { 0 };
		struct emu_test_run_out out;
		long k, e;

		if (fd < 0)
			continue;
		memcpy(a + TR_PROG_FD, &(uint32_t){ (uint32_t)fd }, 4);
		k = hx_raw(HX_K, EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
		e = emu_test_run(NULL, types[i], 0, &in, &out);
		emu_test_run_out_free(&out);
		close((int)fd);
		hx_nops++;
		if (k != e && ++hx_ndiv <= hx_max_reports)
			printf("DIVERGENCE #%lu [test_run of type %u]: kernel %ld, emulator %ld\n", hx_ndiv, types[i], k, e);
	}
}
