/* SPDX-License-Identifier: MIT */
/* What diff_prog.c and its case files (prog_cases_*.c) share. */
#ifndef BPFEMU_TESTS_DIFF_PROG_H
#define BPFEMU_TESTS_DIFF_PROG_H

#include <stdarg.h>
#include <stdint.h>

#include "twin.h"

extern unsigned dp_rounds; /* random cases per program */
uint32_t dp_rand(uint32_t n);

/* A packet's description: dp_packet writes it (random payload, a valid IPv4 header checksum). */
struct dp_pkt {
	uint32_t size;
	uint16_t eth_proto;
	uint8_t dst_mac[6];
	uint8_t ttl, proto, ihl;
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport;
};
uint32_t dp_packet(uint8_t *p, uint32_t cap, const struct dp_pkt *d);
void dp_random_pkt(struct dp_pkt *d);
void dp_outputs(struct tw_case *c, uint32_t expect);

/* runs c on both sides, compares the run and every map */
void dp_run(struct tw_obj *o, const char *prog, const struct tw_case *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* the cases of each object */
void dp_xdp_fw(struct tw_obj *o);
void dp_tc_nat(struct tw_obj *o);
void dp_sock_filter(struct tw_obj *o);
void dp_cgskb(struct tw_obj *o);
void dp_sys_maps(struct tw_obj *o);
void dp_rawtp(struct tw_obj *o);
void dp_attr_xdp(struct tw_obj *o);
void dp_attr_skb(struct tw_obj *o);
void dp_attr_sys(struct tw_obj *o);
void dp_attr_rawtp(struct tw_obj *o);
void dp_attr_types(void);

#endif
