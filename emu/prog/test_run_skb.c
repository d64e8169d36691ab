/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN for the __sk_buff types, SOCKET_FILTER, SCHED_CLS, SCHED_ACT and CGROUP_SKB
 * (bpf_prog_test_run_skb of 6.18): the skb the kernel builds from data_in (NET_SKB_PAD of
 * headroom, the skb_shared_info tailroom, eth_type_trans against the loopback device or
 * ctx.ifindex's, the network header, the dummy socket with the IP addresses), the __sk_buff
 * fields a caller may set (mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len,
 * gso_segs, gso_size, hwtstamp: anything else non-zero is EINVAL), the run, the 14 zeroed bytes
 * pushed back in front of a packet the program saw from its network header, and the copy-out.
 *
 * The program's __sk_buff is served by context hooks from struct emu_skb (emu/prog/env.h), with
 * the kernel's conversions (convert_ctx_access): data/data_end/data_meta load as pointers,
 * protocol and vlan fields as the skb keeps them, tc_classid and tc_index as 16-bit fields,
 * queue_mapping writes of 0xffff and above ignored, the sk fields from the dummy socket.
 *
 * 6.18 on top of the code read (measured, and re-checked by tests/diff/diff_prog.c): an IPv4
 * packet needs a 20-byte header and an IPv6 one 40 bytes after the Ethernet header (else
 * EINVAL); BPF_F_TEST_SKB_CHECKSUM_COMPLETE sums from the network header to the end before the
 * run and compares the folded sums after it (EBADMSG).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>

#include "helpers/csum.h"
#include "test_run_impl.h"

#define NET_SKB_PAD 64u
#define SKB_TAILROOM 320u /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
#define SKB_CTX 192u
#define GSO_LEGACY_MAX_SIZE 65536u
#define GSO_MAX_SEGS 65535u
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_802_3 0x0001
#define ETH_P_802_2 0x0004
#define ETH_P_802_3_MIN 0x0600
#define AF_INET_ 2
#define AF_INET6_ 10
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3

enum {
	SKB_LEN = 0, SKB_PKT_TYPE = 4, SKB_MARK = 8, SKB_QUEUE_MAPPING = 12, SKB_PROTOCOL = 16, SKB_VLAN_PRESENT = 20,
	SKB_VLAN_TCI = 24, SKB_VLAN_PROTO = 28, SKB_PRIORITY = 32, SKB_INGRESS_IFINDEX = 36, SKB_IFINDEX = 40,
	SKB_TC_INDEX = 44, SKB_CB = 48, SKB_HASH = 68, SKB_TC_CLASSID = 72, SKB_DATA = 76, SKB_DATA_END = 80,
	SKB_NAPI_ID = 84, SKB_FAMILY = 88, SKB_REMOTE_IP4 = 92, SKB_LOCAL_IP4 = 96, SKB_REMOTE_IP6 = 100,
	SKB_LOCAL_IP6 = 116, SKB_REMOTE_PORT = 132, SKB_LOCAL_PORT = 136, SKB_DATA_META = 140, SKB_FLOW_KEYS = 144,
	SKB_TSTAMP = 152, SKB_WIRE_LEN = 160, SKB_GSO_SEGS = 164, SKB_SK = 168, SKB_GSO_SIZE = 176,
	SKB_TSTAMP_TYPE = 180, SKB_HWTSTAMP = 184,
};

static uint32_t rd32(const void *p, uint32_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)p + off, 4);
	return v;
}

static uint64_t rd64(const void *p, uint32_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)p + off, 8);
	return v;
}

static void wr32(void *p, uint32_t off, uint32_t v) { memcpy((uint8_t *)p + off, &v, 4); }
static void wr64(void *p, uint32_t off, uint64_t v) { memcpy((uint8_t *)p + off, &v, 8); }

static bool zero(const uint8_t *p, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- the program's __sk_buff ---- */

/* the value of the field holding byte off, and where that field starts: one switch on the
 * 4-byte slot (a load is a call through the context hook: this is the whole cost of one) */
static uint64_t field(const struct emu_skb *s, uint32_t off, uint32_t *start)
{
	uint32_t slot = off & ~3u;

	*start = slot;
	switch (slot) {
	case SKB_LEN: return s->len;
	case SKB_PKT_TYPE: return s->pkt_type;
	case SKB_MARK: return s->mark;
	case SKB_QUEUE_MAPPING: return s->queue_mapping;
	case SKB_PROTOCOL: return s->protocol;
	case SKB_VLAN_PRESENT: return s->vlan_present;
	case SKB_VLAN_TCI: return s->vlan_tci;
	case SKB_VLAN_PROTO: return s->vlan_proto;
	case SKB_PRIORITY: return s->priority;
	case SKB_INGRESS_IFINDEX: return s->ingress_ifindex;
	case SKB_IFINDEX: return s->ifindex;
	case SKB_TC_INDEX: return s->tc_index;
	case SKB_CB: case SKB_CB + 4: case SKB_CB + 8: case SKB_CB + 12: case SKB_CB + 16:
		return rd32(s->cb, slot - SKB_CB);
	case SKB_HASH: return s->hash;
	case SKB_TC_CLASSID: return s->tc_classid;
	case SKB_DATA: return (uint64_t)(uintptr_t)s->data;
	case SKB_DATA_END: return (uint64_t)(uintptr_t)s->data + s->len; /* integer sum: data may be NULL */
	case SKB_DATA_META: return (uint64_t)(uintptr_t)s->data;
	case SKB_NAPI_ID: return s->napi_id;
	case SKB_FAMILY: return s->sk_family;
	case SKB_REMOTE_IP4: return s->sk_daddr;
	case SKB_LOCAL_IP4: return s->sk_rcv_saddr;
	case SKB_REMOTE_IP6: case SKB_REMOTE_IP6 + 4: case SKB_REMOTE_IP6 + 8: case SKB_REMOTE_IP6 + 12:
		return rd32(s->sk_v6_daddr, slot - SKB_REMOTE_IP6);
	case SKB_LOCAL_IP6: case SKB_LOCAL_IP6 + 4: case SKB_LOCAL_IP6 + 8: case SKB_LOCAL_IP6 + 12:
		return rd32(s->sk_v6_rcv_saddr, slot - SKB_LOCAL_IP6);
	case SKB_REMOTE_PORT: case SKB_LOCAL_PORT: return 0;
	case SKB_TSTAMP: case SKB_TSTAMP + 4: *start = SKB_TSTAMP; return s->tstamp;
	case SKB_WIRE_LEN: return s->pkt_len;
	case SKB_GSO_SEGS: return s->gso_segs;
	case SKB_GSO_SIZE: return s->gso_size;
	case SKB_TSTAMP_TYPE: return s->tstamp_type;
	case SKB_HWTSTAMP: case SKB_HWTSTAMP + 4: *start = SKB_HWTSTAMP; return s->hwtstamp;
	default: /* sk, flow_keys: pointers the emulator does not hand out */
		*start = slot >= SKB_SK && slot < SKB_SK + 8 ? SKB_SK : slot >= SKB_FLOW_KEYS && slot < SKB_FLOW_KEYS + 8 ? SKB_FLOW_KEYS : slot;
		return 0;
	}
}

static uint64_t skb_load(struct emu_run *run, uint32_t off, uint32_t size)
{
	const struct emu_skb *s = emu_prog_env_of(run)->skb;
	uint32_t start;
	uint64_t v = field(s, off, &start);

	if (start == SKB_DATA || start == SKB_DATA_END || start == SKB_DATA_META)
		return v;
	if (off != start)
		v >>= 8 * (off - start); /* a narrow load: the bytes at off of the field, as memory holds it */
	return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void skb_store(struct emu_run *run, uint32_t off, uint32_t size, uint64_t v)
{
	struct emu_skb *s = emu_prog_env_of(run)->skb;

	if (off >= SKB_CB && off < SKB_CB + 20) {
		memcpy(s->cb + (off - SKB_CB), &v, size);
		return;
	}
	switch (off) {
	case SKB_MARK: s->mark = (uint32_t)v; break;
	case SKB_PRIORITY: s->priority = (uint32_t)v; break;
	case SKB_TC_INDEX: s->tc_index = (uint16_t)v; break;
	case SKB_TC_CLASSID: s->tc_classid = (uint16_t)v; break;
	case SKB_QUEUE_MAPPING:
		if ((uint32_t)v < 0xffff)
			s->queue_mapping = (uint16_t)v;
		break;
	case SKB_TSTAMP: s->tstamp = v; break;
	default: break;
	}
}

/*
 * The fields a program may read but not write, and that no emulated helper changes during a run
 * (all but the hash, which bpf_skb_store_bytes can clear: it updates the copy too), are plain
 * memory in the __sk_buff the program's r1 points at, copied from the skb before the run: a load
 * of them costs no hook call. Pointer fields and fields the program may write stay behind the
 * hooks (a write truncates or is conditional, and the next load must see what it left).
 *
 * Which fields those are depends on the program type only: each type's permissions (with the
 * plain fields' hook bits cleared) and its list of plain fields are built once (rebuilding them
 * from the verifier's rules was a third of a single call's instructions); a call copies the
 * values of the listed fields.
 */
#define SKB_MAX_FIELDS 48

struct skb_ctx_layout {
	struct emu_ctx_desc desc;
	uint8_t perm[SKB_CTX];
	uint16_t fast[SKB_CTX];
	uint8_t plain_start[SKB_MAX_FIELDS], plain_len[SKB_MAX_FIELDS]; /* the plain fields */
	uint32_t nr_plain;
};

enum { LAYOUT_SF, LAYOUT_TC, LAYOUT_CGS, LAYOUT_NR };
static struct skb_ctx_layout layouts[LAYOUT_NR];
static pthread_once_t layouts_once = PTHREAD_ONCE_INIT;

static void layout_init(struct skb_ctx_layout *l, uint32_t prog_type)
{
	const struct emu_skb none = { 0 };

	emu_tr_ctx_perm(prog_type, 0, l->perm, SKB_CTX);
	for (uint32_t off = 0; off < SKB_CTX;) {
		uint32_t start, n;
		bool hook;

		(void)field(&none, off, &start);
		hook = start == SKB_DATA || start == SKB_DATA_END || start == SKB_DATA_META || start == SKB_SK ||
		       start == SKB_FLOW_KEYS;
		n = start == SKB_TSTAMP || start == SKB_HWTSTAMP || start == SKB_SK || start == SKB_FLOW_KEYS ? 8 : 4;
		for (uint32_t i = 0; i < n; i++)
			hook |= (l->perm[start + i] & EMU_CTX_W) != 0;
		if (!hook) {
			for (uint32_t i = 0; i < n; i++)
				l->perm[start + i] &= (uint8_t)~EMU_CTX_HOOK;
			l->plain_start[l->nr_plain] = (uint8_t)start;
			l->plain_len[l->nr_plain++] = (uint8_t)n;
		}
		off = start + n;
	}
	l->desc = (struct emu_ctx_desc){ .size = SKB_CTX, .perm = l->perm, .load = skb_load, .store = skb_store };
	emu_ctx_desc_fast(&l->desc, l->fast);
	l->desc.fast = l->fast;
}

static void layouts_init(void)
{
	layout_init(&layouts[LAYOUT_SF], EMU_PROG_SOCKET_FILTER);
	layout_init(&layouts[LAYOUT_TC], EMU_PROG_SCHED_CLS); /* SCHED_ACT's rules are the same */
	layout_init(&layouts[LAYOUT_CGS], EMU_PROG_CGROUP_SKB);
}

static const struct skb_ctx_layout *ctx_layout(uint32_t prog_type)
{
	pthread_once(&layouts_once, layouts_init);
	switch (prog_type) {
	case EMU_PROG_SOCKET_FILTER:
		return &layouts[LAYOUT_SF];
	case EMU_PROG_CGROUP_SKB:
		return &layouts[LAYOUT_CGS];
	default:
		return &layouts[LAYOUT_TC];
	}
}

/* the plain fields' values into the program's __sk_buff */
static void ctx_mirror(struct emu_skb *s, const struct skb_ctx_layout *l)
{
	for (uint32_t i = 0; i < l->nr_plain; i++) {
		uint32_t start;
		uint64_t v = field(s, l->plain_start[i], &start);

		if (l->plain_len[i] == 8) {
			memcpy(s->sk_buff_ctx + start, &v, 8);
		} else {
			uint32_t w = (uint32_t)v; /* little- or big-endian: the field's bytes */

			memcpy(s->sk_buff_ctx + start, &w, 4);
		}
	}
}

/* ---- the skb ---- */

static bool mac_equal(const uint8_t *a, const uint8_t *b) { return !memcmp(a, b, 6); }

/* eth_type_trans: pkt_type from the destination, the protocol from the type field or the 802.3
 * / 802.2 rules; the mac header at data, data past the Ethernet header */
static uint16_t eth_type_trans(struct emu_skb *s, const uint8_t mac[6], const uint8_t bcast[6])
{
	const uint8_t *eth = s->data;
	uint16_t proto = (uint16_t)(eth[12] << 8 | eth[13]);

	s->mac_header = s->data;
	s->data += EMU_ETH_HLEN;
	s->len -= EMU_ETH_HLEN;
	if (!mac_equal(eth, mac)) {
		if (eth[0] & 1)
			s->pkt_type = mac_equal(eth, bcast) ? PACKET_BROADCAST : PACKET_MULTICAST;
		else
			s->pkt_type = PACKET_OTHERHOST;
	}
	if (proto >= ETH_P_802_3_MIN)
		return proto;
	if (s->len >= 2 && s->data[0] == 0xff && s->data[1] == 0xff)
		return ETH_P_802_3;
	return ETH_P_802_2;
}

int emu_tr_skb(struct tr *t)
{
	const struct emu_test_run_in *in = t->in;
	uint32_t type = t->env.prog_type, size = in->data_size_in, ifindex = 1, nrxq;
	bool is_l2 = type == EMU_PROG_SCHED_CLS || type == EMU_PROG_SCHED_ACT;
	bool direct = is_l2 || type == EMU_PROG_CGROUP_SKB;
	uint8_t mac[6] = { 0 }, bcast[6];
	const struct skb_ctx_layout *layout;
	struct emu_skb *s;
	uint32_t csum = 0;
	uint16_t proto;
	uint64_t r0 = 0;
	int err;

	memset(bcast, 0xff, 6);
	if ((in->flags & ~EMU_F_TEST_SKB_CHECKSUM_COMPLETE) || in->cpu || in->batch_size)
		return -EINVAL;
	/* bpf_test_init */
	if (size < EMU_ETH_HLEN || size > EMU_PAGE - NET_SKB_PAD - SKB_TAILROOM)
		return -EINVAL;
	s = emu_tr_alloc(t->out, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* zeroed by the kernel; what a program or the copy-out can see of it is the data and, for
	 * a program that sees the network header, the headroom's last 14 bytes (zeroed after the
	 * run): the headroom is zeroed, the tailroom is never seen */
	s->head = emu_tr_alloc_uninit(t->out, NET_SKB_PAD + size + SKB_TAILROOM);
	if (!s->head)
		return -ENOMEM;
	memset(s->head, 0, NET_SKB_PAD);
	s->end = s->head + NET_SKB_PAD + size + SKB_TAILROOM;
	err = emu_tr_data(t, 0, size, s->head + NET_SKB_PAD);
	if (err)
		return err;
	err = emu_tr_ctx_init(t, SKB_CTX);
	if (err)
		return err;
	s->data = s->head + NET_SKB_PAD;
	s->len = size;
	if (t->ctx && rd32(t->ctx, SKB_IFINDEX) > 1)
		ifindex = rd32(t->ctx, SKB_IFINDEX);
	if (emu_tr_netdev(ifindex, mac, bcast, &nrxq) && ifindex > 1)
		return -ENODEV;
	if (ifindex == 1 && emu_tr_netdev(1, mac, bcast, &nrxq)) {
		/* no sysfs: the loopback device's addresses, all zero (broadcast too: it does not
		 * set one, so a frame to ff:ff:ff:ff:ff:ff is multicast to it) */
		memset(mac, 0, 6);
		memset(bcast, 0, 6);
	}
	s->ifindex = ifindex;
	proto = eth_type_trans(s, mac, bcast);
	s->protocol = htons(proto); /* __be16, as skb->protocol holds it */
	s->network_header = s->data;
	if (proto == ETH_P_IP) {
		if (s->len < 20)
			return -EINVAL;
		s->sk_family = AF_INET_;
		memcpy(&s->sk_rcv_saddr, s->data + 12, 4);
		memcpy(&s->sk_daddr, s->data + 16, 4);
	} else if (proto == ETH_P_IPV6) {
		if (s->len < 40)
			return -EINVAL;
		s->sk_family = AF_INET6_;
		memcpy(s->sk_v6_rcv_saddr, s->data + 8, 16);
		memcpy(s->sk_v6_daddr, s->data + 24, 16);
	}
	if (is_l2) {
		s->data -= EMU_ETH_HLEN;
		s->len += EMU_ETH_HLEN;
	}
	/* convert___skb_to_skb */
	if (t->ctx) {
		const uint8_t *c = t->ctx;
		uint32_t wire = rd32(c, SKB_WIRE_LEN), segs = rd32(c, SKB_GSO_SEGS);

		if (!zero(c, 0, SKB_MARK) || !zero(c, SKB_MARK + 4, SKB_PRIORITY) ||
		    !zero(c, SKB_IFINDEX + 4, SKB_CB) || !zero(c, SKB_CB + 20, SKB_TSTAMP) ||
		    !zero(c, SKB_GSO_SEGS + 4, SKB_GSO_SIZE) || !zero(c, SKB_GSO_SIZE + 4, SKB_HWTSTAMP))
			return -EINVAL;
		s->mark = rd32(c, SKB_MARK);
		s->priority = rd32(c, SKB_PRIORITY);
		s->ingress_ifindex = rd32(c, SKB_INGRESS_IFINDEX);
		s->tstamp = rd64(c, SKB_TSTAMP);
		memcpy(s->cb, c + SKB_CB, 20);
		if (!wire) {
			s->pkt_len = s->len;
		} else {
			if (wire < s->len || wire > GSO_LEGACY_MAX_SIZE)
				return -EINVAL;
			s->pkt_len = wire;
		}
		if (segs > GSO_MAX_SEGS)
			return -EINVAL;
		s->gso_segs = segs;
		s->gso_size = (uint16_t)rd32(c, SKB_GSO_SIZE); /* skb_shared_info.gso_size is 16 bits */
		s->hwtstamp = rd64(c, SKB_HWTSTAMP);
	}
	if (in->flags & EMU_F_TEST_SKB_CHECKSUM_COMPLETE) {
		uint32_t off = (uint32_t)(s->network_header - s->data);

		s->csum = emu_csum_partial(s->network_header, s->len - off, 0);
		s->csum_complete = true;
	}

	layout = ctx_layout(type);
	ctx_mirror(s, layout);
	t->env.skb = s;
	t->run.ctx = s->sk_buff_ctx;
	t->run.ctx_desc = &layout->desc;
	/* LD_ABS / LD_IND: offsets from skb->data, SKF_NET_OFF from the network header, SKF_LL_OFF from
	 * the mac header */
	t->run.pkt_data = s->data;
	t->run.pkt_end = s->data ? s->data + s->len : NULL; /* no packet: NULL + 0 is undefined */
	t->run.skb_net = s->network_header;
	t->run.skb_mac = s->mac_header;
	t->pkt_access = is_l2 ? EMU_MEM_READ | EMU_MEM_WRITE : direct ? EMU_MEM_READ : 0;
	err = emu_tr_regions_init(t);
	if (!err)
		err = emu_tr_repeat(t, in->repeat, &r0);
	if (err)
		return err;
	if (!is_l2) {
		s->data -= EMU_ETH_HLEN; /* the headroom (64) always has room */
		s->len += EMU_ETH_HLEN;
		memset(s->data, 0, EMU_ETH_HLEN);
	}
	if (s->csum_complete) {
		uint32_t off = (uint32_t)(s->network_header - s->data);

		csum = emu_csum_partial(s->network_header, s->len - off, 0);
		if (emu_csum_fold(s->csum) != emu_csum_fold(csum))
			return -EBADMSG;
	}
	/* convert_skb_to___skb */
	if (t->ctx) {
		uint8_t *c = t->ctx;

		wr32(c, SKB_MARK, s->mark);
		wr32(c, SKB_PRIORITY, s->priority);
		wr32(c, SKB_INGRESS_IFINDEX, s->ingress_ifindex);
		wr32(c, SKB_IFINDEX, s->ifindex);
		wr64(c, SKB_TSTAMP, s->tstamp);
		memcpy(c + SKB_CB, s->cb, 20);
		wr32(c, SKB_WIRE_LEN, s->pkt_len);
		wr32(c, SKB_GSO_SEGS, s->gso_segs);
		wr64(c, SKB_HWTSTAMP, s->hwtstamp);
	}
	err = emu_tr_finish(t, s->data, s->len, 0, NULL, 0);
	if (!err)
		err = emu_tr_ctx_finish(t, SKB_CTX);
	return err;
}
