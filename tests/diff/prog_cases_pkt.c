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
	uint32_t md[6] = { 0 };

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
