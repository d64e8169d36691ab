/* SPDX-License-Identifier: MIT */
/* dynptrs as clang writes them: a user ring drained with a callback reading each sample through
 * its dynptr, a ringbuf record reserved as a dynptr, a local dynptr over a map value. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} urb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct result {
	__s64 drained;
	__u64 sum;
	__u32 n, short_reads;
	__u64 first[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct result);
} out SEC(".maps");

struct dctx {
	__u64 sum;
	__u32 n, short_reads;
	__u64 first[2];
};

static long on_sample(struct bpf_dynptr *d, void *data)
{
	struct dctx *c = data;
	__u64 buf[2] = {};
	__u32 *p;

	if (bpf_dynptr_read(buf, sizeof(buf), d, 0, 0) == 0) {
		c->sum += buf[0] ^ buf[1];
		if (!c->first[0] && !c->first[1]) {
			c->first[0] = buf[0];
			c->first[1] = buf[1];
		}
	} else {
		c->short_reads++;
	}
	p = bpf_dynptr_data(d, 0, sizeof(*p));
	if (p)
		c->sum += *p;
	c->n++;
	/* a sample starting with 0x77 ends the drain (a counter would keep the verifier's
	 * iterations over the callback from converging) */
	return (buf[0] & 0xff) == 0x77;
}

SEC("xdp")
int drain(struct xdp_md *x)
{
	struct dctx c = {};
	__u32 k = 0;
	struct result *r;
	long n;

	n = bpf_user_ringbuf_drain(&urb, on_sample, &c, x->ingress_ifindex & 3);
	r = bpf_map_lookup_elem(&out, &k);
	if (!r)
		return XDP_ABORTED;
	r->drained = n;
	r->sum = c.sum;
	r->n = c.n;
	r->short_reads = c.short_reads;
	r->first[0] = c.first[0];
	r->first[1] = c.first[1];
	return XDP_PASS;
}

SEC("xdp")
int reserve(struct xdp_md *x)
{
	struct bpf_dynptr d;
	__u64 v = 42, *p;
	long e;

	e = bpf_ringbuf_reserve_dynptr(&rb, 16 + (x->ingress_ifindex & 8), 0, &d);
	if (!e) {
		bpf_dynptr_write(&d, 0, &v, sizeof(v), 0);
		p = bpf_dynptr_data(&d, 8, sizeof(*p));
		if (p)
			*p = 7;
	}
	if (x->ingress_ifindex & 1)
		bpf_ringbuf_discard_dynptr(&d, 0);
	else
		bpf_ringbuf_submit_dynptr(&d, 0);
	return e ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int local(struct xdp_md *x)
{
	struct bpf_dynptr d;
	__u32 k = 1, v = 0x01020304;
	__u64 tmp = 0;
	struct result *r = bpf_map_lookup_elem(&out, &k);

	if (!r)
		return XDP_ABORTED;
	if (bpf_dynptr_from_mem(r, sizeof(*r), 0, &d))
		return XDP_DROP;
	bpf_dynptr_write(&d, 4, &v, sizeof(v), 0);
	if (bpf_dynptr_read(&tmp, sizeof(tmp), &d, x->ingress_ifindex & 0x3f, 0))
		return XDP_TX;
	r->sum = tmp;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
