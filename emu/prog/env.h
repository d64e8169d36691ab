/* SPDX-License-Identifier: MIT */
/*
 * What a running program's helpers see besides their arguments: struct emu_prog_env, which a run
 * carries as emu_run.user. emu_test_run() (test_run.c) builds one per call; a caller that runs
 * images itself (benches, tests) builds one with emu_prog_env_init().
 *
 * The packet state is the kernel's as test_run builds it: an xdp_buff (hard_start .. data_meta ..
 * data .. data_end, frags) or an sk_buff (head .. data .. tail, the fields __sk_buff shows, the
 * dummy socket). Helpers move the packet's edges here and tell the run's region list
 * (emu_run_update_region), so the program's accesses follow.
 *
 * Invariants: env->maps lists every map a map argument may name (pointer compare: a program
 * cannot forge one); the packet pointers stay inside their buffer.
 */
#ifndef BPFEMU_PROG_ENV_H
#define BPFEMU_PROG_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "interp.h"

struct emu_map;
struct emu_trace_sink;

#define EMU_XDP_MAX_FRAGS 17   /* MAX_SKB_FRAGS */
#define EMU_XDP_FRAG_SIZE 4096 /* a page per frag */

/* struct xdp_buff of a test run: one page holding headroom, data and the shared-info tailroom,
 * and the data past the page in frags of a page each. */
struct emu_xdp_buff {
	uint8_t *hard_start;  /* the page */
	uint8_t *data_meta, *data, *data_end;
	uint32_t frame_sz;    /* bytes from hard_start the packet may grow to (before the tailroom) */
	uint32_t tailroom;    /* the skb_shared_info space at the end of the frame */
	uint32_t nr_frags;
	uint32_t frags_size;  /* bytes in all frags */
	uint8_t *frag[EMU_XDP_MAX_FRAGS];
	uint32_t frag_len[EMU_XDP_MAX_FRAGS];
	bool has_frags;       /* xdp_buff_has_frags: set by test_run when data did not fit the page */
	uint32_t ingress_ifindex, rx_queue_index;
	uint8_t md[24];       /* the struct xdp_md the program's r1 points at (fields via hooks) */
	/* The headroom is zero from zero_lo up to the packet (the page's headroom, zeroed by the
	 * kernel, cleared lazily): a helper that moves data_meta below zero_lo clears the bytes it
	 * uncovers first (helpers/pkt.c xdp_uncover). Nothing else reaches below data_meta, so a
	 * program that never moves the packet down costs no clearing. */
	uint8_t *zero_lo;
};

/* struct sk_buff of a test run, as far as programs and the emulated helpers see it. */
struct emu_skb {
	uint8_t *head, *end;  /* the buffer (headroom, data, tailroom) */
	uint8_t *data;        /* skb->data */
	uint32_t len;         /* skb->len (linear: data .. data + len) */
	uint8_t *mac_header, *network_header;
	uint16_t protocol;    /* network order, as skb->protocol */
	uint8_t pkt_type;
	uint32_t mark, priority, ingress_ifindex, ifindex, tc_index, hash, queue_mapping, napi_id;
	uint32_t tc_classid;  /* qdisc_skb_cb */
	uint8_t cb[20];       /* qdisc_skb_cb.data: __sk_buff.cb[5] */
	uint32_t pkt_len;     /* qdisc_skb_cb.pkt_len: __sk_buff.wire_len */
	uint32_t gso_segs, gso_size;
	uint64_t tstamp, hwtstamp;
	uint8_t tstamp_type;
	uint16_t vlan_tci, vlan_proto;
	bool vlan_present;
	bool l4_hash, sw_hash;
	/* the dummy socket test_run attaches */
	uint16_t sk_family;
	uint32_t sk_rcv_saddr, sk_daddr;
	uint8_t sk_v6_rcv_saddr[16], sk_v6_daddr[16];
	/* ip_summed CHECKSUM_COMPLETE (BPF_F_TEST_SKB_CHECKSUM_COMPLETE) and the running csum */
	bool csum_complete;
	uint32_t csum;
	uint8_t sk_buff_ctx[192]; /* the struct __sk_buff the program's r1 points at (fields via hooks) */
};

/* bpf_redirect_info: what bpf_redirect / bpf_redirect_map left for the caller. */
struct emu_redirect_info {
	uint32_t flags;
	uint32_t tgt_index;
	void *tgt_value;
	struct emu_map *map; /* BPF_F_BROADCAST */
	uint32_t map_id;
	uint32_t map_type;
	bool set;            /* a redirect helper ran */
};

/* Where the run's packet regions start now (NULL: none), so a helper that moves an edge can
 * replace them. */
struct emu_pkt_rg {
	uint8_t *meta, *data;
};

struct emu_prog_env {
	uint32_t prog_type, expected_attach_type;
	struct emu_map *const *maps;
	uint32_t nr_maps;
	struct emu_trace_sink *trace;  /* NULL: emu_trace_default() */
	struct emu_xdp_buff *xdp;      /* XDP runs */
	struct emu_skb *skb;           /* __sk_buff runs */
	struct emu_pkt_rg pkt_rg;
	struct emu_redirect_info ri;
	void *tail_call_ctx;
	/* bpf_map_lookup_elem on an ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map key names, held by
	 * the caller until the run ends and added to maps (NULL: none, as an empty slot). The
	 * caller's context is tail_call_ctx. */
	struct emu_map *(*inner_map)(struct emu_run *run, struct emu_map *outer, const void *key);
	uint64_t rnd;                  /* bpf_get_prandom_u32's state (0: seeded at first use) */
	uint64_t attach_cookie;        /* bpf_get_attach_cookie: 0 in a test run (no attachment) */
};

static inline struct emu_prog_env *emu_prog_env_of(const struct emu_run *run)
{
	return (struct emu_prog_env *)run->user;
}

/* A bare environment: no packet, the default trace sink. */
void emu_prog_env_init(struct emu_prog_env *env, uint32_t prog_type, uint32_t expected_attach_type,
		       struct emu_map *const *maps, uint32_t nr_maps);

/* The CPU this thread runs on (sched_getcpu), 0 when unknown: the default run->cpu. */
uint32_t emu_current_cpu(void);

#endif
