/* SPDX-License-Identifier: MIT */
/*
 * Programs against the kernel: the clang-built corpus of tests/diff/run_src/ is loaded on the
 * kernel by libbpf and into the emulator (twin.c), and each program is run with BPF_PROG_TEST_RUN
 * on both with the same inputs: packets of every shape the program parses (and some it does
 * not), contexts with each field a caller may set and some it may not, short output buffers
 * (ENOSPC and the partial copy), repeat, BPF_F_TEST_RUN_ON_CPU. Compared after every run: the
 * answer, retval, data_size_out, ctx_size_out, every byte of data_out and ctx_out (poisoned
 * alike beforehand), a SYSCALL program's context written back, and every map of the object
 * (each CPU's value of per-CPU maps).
 *
 * Usage: diff_prog [--seed X] [--rounds N] [--expect-divergence]
 *   --expect-divergence: the fault-injecting build (BPFEMU_FAULT=helper-csum): passes only if a
 *   divergence is reported.
 * RUN_OBJ_DIR names the directory of the objects. Exit 77 with a reason where bpf() is not
 * permitted (1 with BPFEMU_REQUIRE_KERNEL=1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_prog.h"

static uint64_t rng = 0x5eed1234abcdull;
unsigned dp_rounds = 40;

uint32_t dp_rand(uint32_t n) { return hx_rand_below(&rng, n); }

/* ---- packets ---- */

static uint16_t ip_csum(const uint8_t *h, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint32_t dp_packet(uint8_t *p, uint32_t cap, const struct dp_pkt *d)
{
	uint32_t size = d->size, l3 = 14;
	uint8_t *ip = p + l3;

	memset(p, 0, cap);
	for (uint32_t i = 0; i < size && i < cap; i++)
		p[i] = (uint8_t)(dp_rand(256));
	memcpy(p, d->dst_mac, 6);
	p[6] = 0x02;
	p[7] = 0x11;
	p[12] = (uint8_t)(d->eth_proto >> 8);
	p[13] = (uint8_t)d->eth_proto;
	if (d->eth_proto == 0x0800 && size >= l3 + 20) {
		uint32_t ihl = d->ihl ? d->ihl : 5;

		ip[0] = (uint8_t)(0x40 | ihl);
		ip[1] = 0;
		ip[2] = (uint8_t)((size - l3) >> 8);
		ip[3] = (uint8_t)(size - l3);
		ip[6] = 0x40;
		ip[7] = 0;
		ip[8] = d->ttl;
		ip[9] = d->proto;
		memcpy(ip + 12, &d->saddr, 4);
		memcpy(ip + 16, &d->daddr, 4);
		ip[10] = ip[11] = 0;
		{
			uint16_t c = ip_csum(ip, 20);

			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		if (size >= l3 + ihl * 4 + 8) {
			uint8_t *l4 = ip + ihl * 4;

			l4[0] = (uint8_t)(d->sport >> 8);
			l4[1] = (uint8_t)d->sport;
			l4[2] = (uint8_t)(d->dport >> 8);
			l4[3] = (uint8_t)d->dport;
		}
	} else if (d->eth_proto == 0x86dd && size >= l3 + 40) {
		ip[0] = 0x60;
		ip[6] = d->proto;
		ip[7] = d->ttl;
	}
	return size;
}

void dp_random_pkt(struct dp_pkt *d)
{
	static const uint16_t protos[] = { 0x0800, 0x0800, 0x0800, 0x0800, 0x86dd, 0x0806, 0x8100, 0x0042 };
	static const uint32_t sizes[] = { 14, 20, 33, 34, 42, 54, 60, 64, 100, 128, 200, 600, 1500, 3520, 3521, 3712,
					  3713, 5000, 9000, 73152, 73153 };
	static const uint16_t ports[] = { 9, 22, 53, 80, 443, 8080 };

	memset(d, 0, sizeof(*d));
	d->eth_proto = protos[dp_rand(8)];
	d->size = dp_rand(4) ? 34 + dp_rand(300) : sizes[dp_rand(sizeof(sizes) / sizeof(sizes[0]))];
	d->ttl = (uint8_t)(dp_rand(3) ? 64 : dp_rand(4));
	d->proto = (uint8_t)(dp_rand(5) ? (dp_rand(2) ? 6 : 17) : 1);
	d->ihl = (uint8_t)(dp_rand(8) ? 5 : 6);
	d->saddr = 0x0100000a + (dp_rand(4) << 24);
	d->daddr = 0x0200000a + (dp_rand(4) << 24);
	d->sport = (uint16_t)(1024 + dp_rand(4));
	d->dport = ports[dp_rand(6)];
	if (dp_rand(4) == 0)
		memset(d->dst_mac, 0xff, 6);
	else if (dp_rand(3) == 0)
		d->dst_mac[0] = 0x01;
	else if (dp_rand(2))
		d->dst_mac[5] = 0x42;
}

/* the output-buffer shapes a caller picks: room for all, exactly enough, short (ENOSPC), none,
 * and data_size_out 0 (no limit) */
void dp_outputs(struct tw_case *c, uint32_t expect)
{
	switch (dp_rand(6)) {
	case 0:
		c->data_out_cap = 0;
		c->data_size_out = 0;
		break;
	case 1:
		c->data_out_cap = 80000;
		c->data_size_out = expect > 4 ? expect - 1 - dp_rand(expect / 2) : 1;
		break;
	case 2:
		c->data_out_cap = 80000;
		c->data_size_out = 0;
		break;
	default:
		c->data_out_cap = 80000;
		c->data_size_out = 80000;
		break;
	}
}

/* ---- the run ---- */

void dp_run(struct tw_obj *o, const char *prog, const struct tw_case *c, const char *fmt, ...)
{
	struct tw_prog *p = tw_prog(o, prog);
	char label[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	tw_run(o, p, c, label);
	tw_compare(o, label);
	hx_ctx("%s", o->label);
}

static const struct {
	const char *name;
	void (*cases)(struct tw_obj *o);
} objects[] = {
	{ "xdp_fw", dp_attr_xdp },
	{ "xdp_fw", dp_xdp_fw },
	{ "tc_nat", dp_attr_skb },
	{ "tc_nat", dp_tc_nat },
	{ "sock_filter", dp_sock_filter },
	{ "cgskb", dp_cgskb },
	{ "sys_maps", dp_attr_sys },
	{ "sys_maps", dp_sys_maps },
	{ "rawtp", dp_attr_rawtp },
	{ "rawtp", dp_rawtp },
};

int main(int argc, char **argv)
{
	const char *dir = getenv("RUN_OBJ_DIR");
	bool expect_div = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-divergence"))
			expect_div = true;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			dp_rounds = (unsigned)atoi(argv[++i]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	hx_init("diff_prog");
	if (!dir)
		dir = "tests/diff/run_obj";
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		struct tw_obj o;

		if (!tw_open(&o, dir, objects[i].name)) {
			hx_ndiv++;
			continue;
		}
		snprintf(o.label, sizeof(o.label), "%s", objects[i].name);
		hx_ctx("%s", o.label);
		if (tw_compare(&o, "after load"))
			printf("FAIL: %s: maps differ right after load\n", objects[i].name);
		objects[i].cases(&o);
		tw_close(&o);
	}
	dp_attr_types();
	printf("diff_prog: %lu TEST_RUNs on both sides, each followed by a comparison of every map\n", tw_runs);
	if (expect_div) {
		printf("%s: %lu runs, %lu divergences (expected some: the planted fault is on)\n",
		       hx_ndiv ? "PASS" : "FAIL", hx_nops, hx_ndiv);
		return hx_ndiv ? 0 : 1;
	}
	return hx_finish();
}
