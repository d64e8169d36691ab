/* SPDX-License-Identifier: MIT */
/*
 * Packet helpers (net/core/filter.c): bpf_xdp_adjust_head / adjust_meta / adjust_tail on the
 * run's xdp_buff (frags included), bpf_skb_load_bytes / bpf_skb_store_bytes on its sk_buff, and
 * bpf_redirect / bpf_redirect_map with their bookkeeping in env->ri (what the kernel keeps in
 * bpf_redirect_info; BPF_PROG_TEST_RUN reports only the program's return value, the action).
 *
 * When a helper moves a packet edge, the run's packet regions move with it (emu_xdp_regions):
 * the program may then touch exactly [data_meta, data) and [data, data_end), as the verifier's
 * re-checked bounds allow in the kernel.
 */
#include "../../util/diag.h" /* EMU_FAULT */
#include "csum.h"
#include "helpers.h"
#include "pkt.h"

#define ETH_HLEN 14
#define XDP_FRAME_SIZE 40 /* sizeof(struct xdp_frame) on 64-bit: the head of the headroom */
#define META_MAX 255      /* skb_shared_info.meta_len is a u8 */
#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define BPF_F_INGRESS 1ull
#define BPF_F_BROADCAST (1ull << 3)
#define BPF_F_EXCLUDE_INGRESS (1ull << 4)
#define BPF_F_RECOMPUTE_CSUM 1ull
#define BPF_F_INVALIDATE_HASH 2ull

/* ---- the packet's regions ---- */

int emu_pkt_regions(struct emu_run *run, struct emu_pkt_rg *rg, uint8_t *meta, uint8_t *data, uint8_t *end,
		    bool writable)
{
	uint32_t f = EMU_MEM_READ | (writable ? EMU_MEM_WRITE : 0);
	int err = 0;

	if (rg->meta) /* moved or removed: removed, then added anew */
		emu_run_update_region(run, rg->meta, NULL, 0);
	if (rg->data)
		emu_run_update_region(run, rg->data, NULL, 0);
	rg->meta = rg->data = NULL;
	if (meta && meta < data) {
		err = emu_run_add_region(run, meta, (size_t)(data - meta), f, EMU_RGN_PACKET_META);
		rg->meta = err ? NULL : meta;
	}
	if (!err && data < end) {
		err = emu_run_add_region(run, data, (size_t)(end - data), f, EMU_RGN_PACKET);
		rg->data = err ? NULL : data;
	}
	return err;
}

static struct emu_xdp_buff *xdp_of(struct emu_run *run, uint64_t ctx, const char *name)
{
	struct emu_prog_env *env = emu_prog_env_of(run);

	if (!env || !env->xdp || ctx != (uint64_t)(uintptr_t)emu_run_ctx(run)) {
		emu_helper_fail(run, -EINVAL, "%s: r1 is not the program's xdp_md", name);
		return NULL;
	}
	return env->xdp;
}

static struct emu_skb *skb_of(struct emu_run *run, uint64_t ctx, const char *name)
{
	struct emu_prog_env *env = emu_prog_env_of(run);

	if (!env || !env->skb || ctx != (uint64_t)(uintptr_t)emu_run_ctx(run)) {
		emu_helper_fail(run, -EINVAL, "%s: r1 is not the program's __sk_buff", name);
		return NULL;
	}
	return env->skb;
}

/* Before data_meta moves down to lo: the headroom's bytes from lo up cleared if not yet
 * (env.h zero_lo). */
static void xdp_uncover(struct emu_xdp_buff *x, uint8_t *lo)
{
	if ((uintptr_t)lo < (uintptr_t)x->zero_lo) {
		if (!EMU_FAULT("xdp-headroom")) /* test builds: the uncovered bytes left as they were */
			memset(lo, 0, (size_t)(x->zero_lo - lo));
		x->zero_lo = lo;
	}
}

static uint64_t xdp_moved(struct emu_run *run, struct emu_xdp_buff *x)
{
	struct emu_prog_env *env = emu_prog_env_of(run);

	if (emu_pkt_regions(run, &env->pkt_rg, x->data_meta, x->data, x->data_end, true))
		return emu_helper_fail(run, -ENOMEM, "no memory for the packet's regions");
	return 0;
}

HELPER(xdp_adjust_head)
{
	struct emu_xdp_buff *x = xdp_of(run, r1, "bpf_xdp_adjust_head");
	int32_t off = (int32_t)r2;
	uint8_t *frame_end, *data;
	size_t metalen;

	(void)r3, (void)r4, (void)r5;
	if (!x)
		return 0;
	metalen = (size_t)(x->data - x->data_meta);
	frame_end = x->hard_start + XDP_FRAME_SIZE;
	/* pointer arithmetic on addresses, as the kernel's (no object bounds: compare as integers) */
	data = (uint8_t *)((uintptr_t)x->data + (intptr_t)off);
	if ((uintptr_t)data < (uintptr_t)frame_end + metalen || (uintptr_t)data > (uintptr_t)x->data_end - ETH_HLEN)
		return (uint64_t)(int64_t)-EINVAL;
	xdp_uncover(x, x->data_meta + off);
	if (metalen)
		memmove(x->data_meta + off, x->data_meta, metalen);
	x->data_meta += off;
	x->data = data;
	return xdp_moved(run, x);
}

HELPER(xdp_adjust_meta)
{
	struct emu_xdp_buff *x = xdp_of(run, r1, "bpf_xdp_adjust_meta");
	int32_t off = (int32_t)r2;
	uintptr_t meta, frame_end;
	size_t metalen;

	(void)r3, (void)r4, (void)r5;
	if (!x)
		return 0;
	frame_end = (uintptr_t)x->hard_start + XDP_FRAME_SIZE;
	meta = (uintptr_t)x->data_meta + (intptr_t)off;
	if (meta < frame_end || meta > (uintptr_t)x->data)
		return (uint64_t)(int64_t)-EINVAL;
	metalen = (uintptr_t)x->data - meta;
	if ((metalen & 3) || metalen > META_MAX)
		return (uint64_t)(int64_t)-EACCES;
	xdp_uncover(x, (uint8_t *)meta);
	x->data_meta = (uint8_t *)meta;
	return xdp_moved(run, x);
}

uint32_t emu_xdp_buff_len(const struct emu_xdp_buff *x)
{
	return (uint32_t)(x->data_end - x->data) + (x->has_frags ? x->frags_size : 0);
}

static uint64_t frags_increase(struct emu_xdp_buff *x, uint32_t off)
{
	uint32_t last = x->nr_frags - 1, tailroom = EMU_XDP_FRAG_SIZE - x->frag_len[last];

	if (off > tailroom)
		return (uint64_t)(int64_t)-EINVAL;
	memset(x->frag[last] + x->frag_len[last], 0, off);
	x->frag_len[last] += off;
	x->frags_size += off;
	return 0;
}

static uint64_t frags_shrink(struct emu_run *run, struct emu_xdp_buff *x, int32_t off)
{
	uint32_t freed = 0, len_free = 0;

	if (off > (int32_t)emu_xdp_buff_len(x) - ETH_HLEN)
		return (uint64_t)(int64_t)-EINVAL;
	for (int i = (int)x->nr_frags - 1; i >= 0 && off > 0; i--) {
		uint32_t shrink = (uint32_t)off < x->frag_len[i] ? (uint32_t)off : x->frag_len[i];

		len_free += shrink;
		off -= (int32_t)shrink;
		if (x->frag_len[i] == shrink)
			freed++;
		else
			x->frag_len[i] -= shrink;
	}
	x->nr_frags -= freed;
	x->frags_size -= len_free;
	if (!x->nr_frags) {
		x->has_frags = false;
		x->data_end -= off;
		return xdp_moved(run, x);
	}
	return 0;
}

HELPER(xdp_adjust_tail)
{
	struct emu_xdp_buff *x = xdp_of(run, r1, "bpf_xdp_adjust_tail");
	int32_t off = (int32_t)r2;
	uintptr_t hard_end, end;

	(void)r3, (void)r4, (void)r5;
	if (!x)
		return 0;
	if (x->has_frags)
		return off < 0 ? frags_shrink(run, x, -off) : frags_increase(x, (uint32_t)off);
	hard_end = (uintptr_t)x->hard_start + x->frame_sz - x->tailroom;
	end = (uintptr_t)x->data_end + (intptr_t)off;
	if (end > hard_end || end < (uintptr_t)x->data + ETH_HLEN)
		return (uint64_t)(int64_t)-EINVAL;
	if (off > 0)
		memset(x->data_end, 0, (size_t)off);
	x->data_end = (uint8_t *)end;
	return xdp_moved(run, x);
}

/* ---- skb ---- */

HELPER(skb_load_bytes)
{
	struct emu_skb *skb = skb_of(run, r1, "bpf_skb_load_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	void *to = (void *)(uintptr_t)r3;

	(void)r5;
	if (!skb || !emu_helper_mem(run, r3, len, EMU_MEM_WRITE, "bpf_skb_load_bytes", "to"))
		return 0;
	if (off > INT32_MAX || (uint64_t)off + len > skb->len) {
		memset(to, 0, len);
		return (uint64_t)(int64_t)-EFAULT;
	}
	memmove(to, skb->data + off, len);
	return 0;
}

/* csum_block_add / csum_block_sub of a span at an odd or even offset */
static uint32_t csum_block_add(uint32_t csum, uint32_t csum2, uint32_t offset)
{
	if (offset & 1)
		csum2 = csum2 >> 8 | csum2 << 24;
	return emu_csum_add(csum, csum2);
}

HELPER(skb_store_bytes)
{
	struct emu_skb *skb = skb_of(run, r1, "bpf_skb_store_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	uint8_t *ptr;

	if (!skb || !emu_helper_mem(run, r3, len, EMU_MEM_READ, "bpf_skb_store_bytes", "from"))
		return 0;
	if (r5 & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return (uint64_t)(int64_t)-EINVAL;
	if (off > INT32_MAX || off + len > skb->len || off + len < off)
		return (uint64_t)(int64_t)-EFAULT;
	ptr = skb->data + off;
	if ((r5 & BPF_F_RECOMPUTE_CSUM) && skb->csum_complete)
		skb->csum = csum_block_add(skb->csum, ~emu_csum_partial(ptr, len, 0), off);
	memmove(ptr, (const void *)(uintptr_t)r3, len);
	if ((r5 & BPF_F_RECOMPUTE_CSUM) && skb->csum_complete)
		skb->csum = csum_block_add(skb->csum, emu_csum_partial(ptr, len, 0), off);
	if (r5 & BPF_F_INVALIDATE_HASH) {
		skb->hash = 0;
		skb->l4_hash = skb->sw_hash = false;
		memset(skb->sk_buff_ctx + 68, 0, 4); /* __sk_buff.hash, plain memory in the context */
	}
	return 0;
}

/* ---- redirects ---- */

HELPER(redirect)
{
	struct emu_prog_env *env = emu_prog_env_of(run);
	uint32_t ifindex = (uint32_t)r1;

	(void)r3, (void)r4, (void)r5;
	if (!env)
		return emu_helper_fail(run, -EINVAL, "bpf_redirect: no environment");
	if (env->prog_type == EMU_PROG_XDP) {
		if (r2)
			return XDP_ABORTED;
		env->ri.tgt_index = ifindex;
		env->ri.map_id = INT32_MAX;
		env->ri.map_type = EMU_MAP_UNSPEC;
		env->ri.map = NULL;
		env->ri.set = true;
		return XDP_REDIRECT;
	}
	if (r2 & ~BPF_F_INGRESS)
		return TC_ACT_SHOT;
	env->ri.flags = (uint32_t)r2;
	env->ri.tgt_index = ifindex;
	env->ri.set = true;
	return TC_ACT_REDIRECT;
}

HELPER(redirect_map)
{
	struct emu_map *m = emu_helper_map(run, r1, "bpf_redirect_map");
	struct emu_prog_env *env = emu_prog_env_of(run);
	const uint64_t action_mask = 0 | 1 | 2 | 3; /* XDP_ABORTED, DROP, PASS, TX */
	uint64_t flag_mask;
	uint32_t t;

	(void)r4, (void)r5;
	if (!m)
		return 0;
	if (!m->ops->redirect_lookup)
		return emu_helper_fail(run, -EINVAL, "bpf_redirect_map: not on a %s map", m->ops->family);
	t = m->map_type;
	flag_mask = t == EMU_MAP_DEVMAP || t == EMU_MAP_DEVMAP_HASH ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0;
	if (r3 & ~(action_mask | flag_mask))
		return XDP_ABORTED;
	env->ri.set = true;
	env->ri.tgt_value = m->ops->redirect_lookup(m, (uint32_t)r2);
	if (!env->ri.tgt_value && !(r3 & BPF_F_BROADCAST)) {
		env->ri.map_id = INT32_MAX;
		env->ri.map_type = EMU_MAP_UNSPEC;
		return r3 & action_mask;
	}
	env->ri.tgt_index = (uint32_t)r2;
	env->ri.map_id = m->id;
	env->ri.map_type = t;
	if (r3 & BPF_F_BROADCAST) {
		env->ri.map = m;
		env->ri.flags = (uint32_t)r3;
	} else {
		env->ri.map = NULL;
		env->ri.flags = 0;
	}
	return XDP_REDIRECT;
}
