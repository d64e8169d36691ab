/* SPDX-License-Identifier: MIT */
/* diff_prog's cases for the packet programs of run_src/ (XDP, TC, socket filter, cgroup skb). */
#include <stdio.h>
#include <string.h>

#include "diff_prog.h"

static uint8_t pkt[80000];

/* an XDP run of a random packet, with random output buffers and sometimes an xdp_md */
static void xdp_case(struct tw_obj *o, const char *prog, const struct dp_pkt *d, int i)
{
	struct tw_case c = { 0 };
	uint32_t md[16] = { 0 }; /* xdp_md, and the zeros a ctx_size_in up to 55 reads past it */

	c.data_size_in = dp_packet(pkt, sizeof(pkt), d);
	c.data_in = pkt;
	dp_outputs(&c, c.data_size_in);
	c.repeat = dp_rand(4) ? 1 : 1 + dp_rand(3);
	if (dp_rand(4) == 0) {
		uint32_t meta = dp_rand(4) ? 4 * dp_rand(8) : dp_rand(300);

		md[0] = meta;
		md[1] = c.data_size_in;
		if (dp_rand(4) == 0)
			md[1] = meta + dp_rand(c.data_size_in + 1 > meta ? c.data_size_in + 1 - meta : 1);
		if (dp_rand(6) == 0)
			md[3] = dp_rand(4);
		if (dp_rand(8) == 0)
			md[4] = dp_rand(3);
		if (dp_rand(10) == 0)
			md[2] = 4;
		c.ctx_in = md;
		c.ctx_size_in = dp_rand(8) ? 24 : 16 + dp_rand(40);
		c.ctx_out_cap = dp_rand(3) ? 4096 : 0;
		c.ctx_size_out = c.ctx_out_cap ? (dp_rand(4) ? 24 : dp_rand(24)) : 0;
	}
	dp_run(o, prog, &c, "case %d: %u bytes proto %#x ttl %u dport %u repeat %u md %u/%u", i, c.data_size_in,
	       d->eth_proto, d->ttl, d->dport, c.repeat, md[0], md[1]);
}

void dp_xdp_fw(struct tw_obj *o)
{
	struct tw_map *nat = tw_map(o, "nat");

	/* the NAT table, the same on both sides */
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t key = 0x0200000a + (i << 24);
		struct { uint32_t addr; uint16_t port, pad; } to = { 0x0300000a + (i << 24), (uint16_t)(0x1f90 + i), 0 };

		hx_update(&nat->p, &key, &to, 0);
	}
	for (unsigned i = 0; i < dp_rounds * 4; i++) {
		struct dp_pkt d;

		dp_random_pkt(&d);
		xdp_case(o, "xdp_fw", &d, (int)i);
	}
	for (unsigned i = 0; i < dp_rounds * 2; i++) {
		struct dp_pkt d;

		dp_random_pkt(&d);
		if (d.size < 16)
			d.size = 16;
		xdp_case(o, "xdp_edges", &d, (int)i);
		xdp_case(o, "xdp_redir", &d, (int)i);
	}
}

/* a __sk_buff the caller may pass: allowed fields at random, now and then one it may not set */
static uint32_t skb_ctx(uint8_t *ctx, uint32_t pkt_len)
{
	static const uint32_t allowed[] = { 8, 32, 36, 40, 48, 52, 56, 60, 64, 152, 156, 160, 164, 176, 184, 188 };
	uint32_t v;

	memset(ctx, 0, 300);
	for (int n = (int)dp_rand(5); n > 0; n--) {
		uint32_t off = allowed[dp_rand(sizeof(allowed) / sizeof(allowed[0]))];

		v = dp_rand(3) ? dp_rand(1000) : (uint32_t)dp_rand(1u << 31) * 2 + dp_rand(2);
		if (off == 40) /* ifindex: the loopback, other devices of this machine, or none */
			v = dp_rand(6) ? dp_rand(4) : 99;
		if (off == 160) /* wire_len: below, at, above the packet's length, or past the limit */
			v = dp_rand(4) ? pkt_len + dp_rand(100) - 20 : 65536 + dp_rand(2);
		if (off == 164)
			v = dp_rand(4) ? dp_rand(70000) : 65535 + dp_rand(2);
		memcpy(ctx + off, &v, 4);
	}
	if (dp_rand(12) == 0) {
		v = 1 + dp_rand(255);
		memcpy(ctx + 4 * dp_rand(48), &v, 4);
	}
	if (dp_rand(6) == 0) { /* a size past the struct: zero or not */
		if (dp_rand(2))
			ctx[192 + dp_rand(60)] = 1;
		return 192 + dp_rand(64);
	}
	return dp_rand(6) ? 192 : 1 + dp_rand(192);
}

static void skb_case(struct tw_obj *o, const char *prog, int i)
{
	static uint8_t ctx[300];
	struct tw_case c = { 0 };
	struct dp_pkt d;

	dp_random_pkt(&d);
	c.data_size_in = dp_packet(pkt, sizeof(pkt), &d);
	c.data_in = pkt;
	dp_outputs(&c, c.data_size_in);
	c.repeat = dp_rand(4) ? 1 : 2 + dp_rand(3);
	if (dp_rand(3) == 0)
		c.flags = 4; /* BPF_F_TEST_SKB_CHECKSUM_COMPLETE */
	else if (dp_rand(20) == 0)
		c.flags = 1 + dp_rand(8);
	if (dp_rand(30) == 0)
		c.cpu = 1;
	if (dp_rand(3)) {
		c.ctx_size_in = skb_ctx(ctx, c.data_size_in);
		c.ctx_in = dp_rand(8) ? ctx : NULL;
		if (!c.ctx_in)
			c.ctx_size_in = 0;
	}
	if (dp_rand(2)) {
		c.ctx_out_cap = 4096;
		c.ctx_size_out = dp_rand(4) ? 192 : dp_rand(300);
	}
	dp_run(o, prog, &c, "case %d: %u bytes proto %#x dport %u flags %u ctx %u/%u repeat %u", i, c.data_size_in,
	       d.eth_proto, d.dport, c.flags, c.ctx_size_in, c.ctx_size_out, c.repeat);
}

void dp_tc_nat(struct tw_obj *o)
{
	for (unsigned i = 0; i < dp_rounds * 4; i++)
		skb_case(o, "tc_nat", (int)i);
	for (unsigned i = 0; i < dp_rounds; i++)
		skb_case(o, "tc_errors", (int)i);
}

void dp_sock_filter(struct tw_obj *o)
{
	for (unsigned i = 0; i < dp_rounds * 3; i++)
		skb_case(o, "sf_keep", (int)i);
}

void dp_cgskb(struct tw_obj *o)
{
	for (unsigned i = 0; i < dp_rounds * 3; i++)
		skb_case(o, "cg_in", (int)i);
}
