/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN for XDP (bpf_prog_test_run_xdp of 6.18): the xdp_md checks, the page the
 * kernel builds (XDP_PACKET_HEADROOM of headroom less the metadata, the linear part, the
 * skb_shared_info tailroom), the data past the page in frags of a page, and the copy-out of
 * meta + linear + frags. The xdp_md the program sees is served by context hooks from the
 * xdp_buff (emu/prog/env.h), so helpers that move the packet (bpf_xdp_adjust_*) are seen by the
 * next load of data/data_end.
 *
 * Measured on 6.18 (tests/diff/diff_prog.c re-checks): data_size_in - meta < 14 is EINVAL, the
 * linear part is at most 3520 bytes (4096 - 256 - 320) plus what the metadata freed, xdp_md.data
 * at most 216 (the headroom less struct xdp_frame), ctx.data_end may be below data_size_in (the
 * rest goes to frags), more than 17 frags is ENOMEM.
 */
#include <pthread.h>
#include <stdlib.h>

#include "../util/diag.h"
#include "helpers/pkt.h"
#include "test_run_impl.h"

#define XDP_PACKET_HEADROOM 256u
#define XDP_TAILROOM 320u /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
#define XDP_FRAME_SZ 40u  /* sizeof(struct xdp_frame) */
#define XDP_PAGE_HEAD 232u /* sizeof(struct xdp_page_head): live frames only */
#define TEST_XDP_MAX_BATCH 256u
#define NAPI_POLL_WEIGHT 64u

enum { MD_DATA = 0, MD_DATA_END = 4, MD_DATA_META = 8, MD_INGRESS = 12, MD_RXQ = 16, MD_EGRESS = 20 };

static uint64_t xdp_md_load(struct emu_run *run, uint32_t off, uint32_t size)
{
	const struct emu_xdp_buff *x = emu_prog_env_of(run)->xdp;
	uint64_t v;

	switch (off & ~3u) {
	case MD_DATA:
		return (uint64_t)(uintptr_t)x->data;
	case MD_DATA_END:
		return (uint64_t)(uintptr_t)x->data_end;
	case MD_DATA_META:
		return (uint64_t)(uintptr_t)x->data_meta;
	case MD_INGRESS:
		v = x->ingress_ifindex;
		break;
	case MD_RXQ:
		v = x->rx_queue_index;
		break;
	default:
		v = 0;
		break;
	}
	v >>= 8 * (off & 3);
	return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

/* The xdp_md the program sees: every field through xdp_md_load. Built once per expected attach
 * type (egress_ifindex is readable for DEVMAP programs only): rebuilding the permissions from the
 * verifier's rules on every call was a third of a single call's instructions. */
static struct emu_ctx_desc md_desc[2];
static uint8_t md_perm[2][24];
static uint16_t md_fast[2][24];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_desc_init(void)
{
	for (int devmap = 0; devmap < 2; devmap++) {
		emu_tr_ctx_perm(EMU_PROG_XDP, devmap ? EMU_ATTACH_XDP_DEVMAP : 0, md_perm[devmap], 24);
		md_desc[devmap] = (struct emu_ctx_desc){ .size = 24, .perm = md_perm[devmap], .load = xdp_md_load };
		emu_ctx_desc_fast(&md_desc[devmap], md_fast[devmap]);
		md_desc[devmap].fast = md_fast[devmap];
	}
}

static const struct emu_ctx_desc *xdp_md_desc(uint32_t expected_attach_type)
{
	static bool md_ready; /* set once md_once has run: one load a call, not pthread_once's */

	if (__builtin_expect(!__atomic_load_n(&md_ready, __ATOMIC_ACQUIRE), 0)) {
		pthread_once(&md_once, md_desc_init);
		__atomic_store_n(&md_ready, true, __ATOMIC_RELEASE);
	}
	return &md_desc[expected_attach_type == EMU_ATTACH_XDP_DEVMAP];
}

static uint32_t rd32(const void *p, uint32_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)p + off, 4);
	return v;
}

int emu_tr_xdp(struct tr *t)
{
	const struct emu_test_run_in *in = t->in;
	bool live = in->flags & EMU_F_TEST_XDP_LIVE_FRAMES;
	uint32_t headroom = XDP_PACKET_HEADROOM, linear = in->data_size_in, meta = 0, max_linear, size;
	uint32_t batch = in->batch_size, ifindex = 1, rxq = 0;
	struct emu_xdp_buff *x;
	uint64_t r0 = 0;
	int err;

	if (t->env.expected_attach_type == EMU_ATTACH_XDP_DEVMAP || t->env.expected_attach_type == EMU_ATTACH_XDP_CPUMAP)
		return -EINVAL;
	if (in->flags & ~EMU_F_TEST_XDP_LIVE_FRAMES)
		return -EINVAL;
	if (in->dev_bound)
		return -EINVAL;
	if (live) {
		if (!batch)
			batch = NAPI_POLL_WEIGHT;
		else if (batch > TEST_XDP_MAX_BATCH)
			return -E2BIG;
	} else if (batch) {
		return -EINVAL;
	}
	err = emu_tr_ctx_init(t, 24);
	if (err)
		return err;
	if (t->ctx) {
		uint32_t d = rd32(t->ctx, MD_DATA), de = rd32(t->ctx, MD_DATA_END);

		if (rd32(t->ctx, MD_DATA_META) || de > in->data_size_in || d > de || (live && (in->data_out_set || in->ctx_out_set)))
			return -EINVAL;
		meta = d;
		if ((meta & 3) || meta > 255 || meta > headroom - XDP_FRAME_SZ)
			return -EINVAL;
		headroom -= meta;
		linear = de;
	}
	if (live)
		headroom += XDP_PAGE_HEAD;
	max_linear = EMU_PAGE - headroom - XDP_TAILROOM;
	if (linear > max_linear)
		linear = max_linear;
	if (live && in->data_size_in > linear)
		return -EINVAL;
	if (in->data_size_in - meta < EMU_ETH_HLEN)
		return -EINVAL;

	/* bpf_test_init: the page (zeroed by the kernel), the linear part copied to headroom. Of
	 * the zeroes, a program can see only the headroom's (moving data or data_meta down): the
	 * bytes past the linear part are reached by growing the tail, which zeroes them itself,
	 * and the tailroom never. So only the headroom is zeroed, and only when the program
	 * uncovers it (x->zero_lo, env.h: a 256-byte `rep stos` was ~5% of a call). */
	/* not cleared whole: frag[] and frag_len[] are read only below nr_frags */
	x = emu_tr_alloc_uninit(t->out, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->nr_frags = x->frags_size = 0;
	x->has_frags = false;
	memset(x->md, 0, sizeof(x->md));
	x->hard_start = emu_tr_alloc_uninit(t->out, EMU_PAGE);
	if (!x->hard_start)
		return -ENOMEM;
	x->zero_lo = x->hard_start + headroom;
	err = emu_tr_data(t, 0, linear, x->hard_start + headroom);
	if (err)
		return err;
	x->frame_sz = EMU_PAGE;
	x->tailroom = XDP_TAILROOM;
	x->data = x->data_meta = x->hard_start + headroom;
	x->data_end = x->data + linear;
	x->ingress_ifindex = 1; /* the loopback device's rx queue 0 */
	x->rx_queue_index = 0;

	/* xdp_convert_md_to_buff */
	if (t->ctx) {
		uint8_t mac[6], bc[6];
		uint32_t nrxq;

		if (rd32(t->ctx, MD_EGRESS))
			return -EINVAL;
		ifindex = rd32(t->ctx, MD_INGRESS);
		rxq = rd32(t->ctx, MD_RXQ);
		if (!ifindex && rxq)
			return -EINVAL;
		if (ifindex) {
			if (emu_tr_netdev(ifindex, mac, bc, &nrxq))
				return -ENODEV;
			if (rxq >= nrxq)
				return -EINVAL;
			x->ingress_ifindex = ifindex;
			x->rx_queue_index = rxq;
		}
		x->data = x->data_meta + meta;
	}

	/* the frags */
	for (size = linear; size < in->data_size_in;) {
		uint32_t n = in->data_size_in - size < EMU_PAGE ? in->data_size_in - size : EMU_PAGE;

		if (x->nr_frags == EMU_XDP_MAX_FRAGS)
			return -ENOMEM;
		/* past frag_len only bytes a grown tail zeroes first (frags_increase) */
		x->frag[x->nr_frags] = emu_tr_alloc_uninit(t->out, EMU_PAGE);
		if (!x->frag[x->nr_frags])
			return -ENOMEM;
		x->frag_len[x->nr_frags++] = n;
		err = emu_tr_data(t, size, n, x->frag[x->nr_frags - 1]);
		if (err)
			return err;
		x->frags_size += n;
		size += n;
		x->has_frags = true;
	}
	if (live) {
		static bool said;

		emu_diag_once(&said, "BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES is not emulated: EOPNOTSUPP");
		return -EOPNOTSUPP;
	}

	t->env.xdp = x;
	t->run.ctx = x->md;
	t->run.ctx_desc = xdp_md_desc(t->env.expected_attach_type);
	t->pkt_access = EMU_MEM_READ | EMU_MEM_WRITE;
	err = emu_tr_regions_init(t);
	if (!err)
		err = emu_tr_repeat(t, in->repeat, &r0); /* every repetition on the same buffer */
	if (err)
		return err;
	/* xdp_convert_buff_to_md */
	if (t->ctx) {
		uint32_t d = (uint32_t)(x->data - x->data_meta), de = (uint32_t)(x->data_end - x->data_meta);

		memcpy((uint8_t *)t->ctx + MD_DATA, &d, 4);
		memcpy((uint8_t *)t->ctx + MD_DATA_END, &de, 4);
	}
	{
		uint32_t lin = (uint32_t)(x->data_end - x->data_meta), total = lin + x->frags_size;
		uint8_t *all = x->nr_frags ? emu_tr_alloc_uninit(t->out, total) : x->data_meta;

		if (!all)
			return -ENOMEM;
		if (x->nr_frags) {
			uint32_t at = lin;

			memcpy(all, x->data_meta, lin);
			for (uint32_t i = 0; i < x->nr_frags; i++) {
				memcpy(all + at, x->frag[i], x->frag_len[i]);
				at += x->frag_len[i];
			}
		}
		err = emu_tr_finish(t, all, total, x->frags_size, x->frag_len, x->nr_frags);
	}
	if (!err)
		err = emu_tr_ctx_finish(t, 24);
	return err;
}
