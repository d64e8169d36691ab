/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN's run (see test_run.h for the split with the command): which types have a
 * test_run, the steps every type shares (bpf_ctx_init, bpf_test_run's repetitions and duration,
 * bpf_test_finish and bpf_ctx_finish as a list of copies for the command), and the two types
 * without a packet: RAW_TRACEPOINT (bpf_prog_test_run_raw_tp) and SYSCALL
 * (bpf_prog_test_run_syscall). XDP is test_run_xdp.c's, the __sk_buff types test_run_skb.c's.
 *
 * Invariant: nothing is copied out unless emu_test_run returns 0; out's memory (the packet, the
 * context) lives until emu_test_run_out_free.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../core/cpus.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "../util/stopwatch.h"
#include "test_run_impl.h"

#define MAX_BPF_FUNC_ARGS 12
#define U16_MAX 65535u

/* ---- which types ---- */

bool emu_test_run_kernel_has(uint32_t t)
{
	switch (t) {
	case EMU_PROG_SOCKET_FILTER: case EMU_PROG_SCHED_CLS: case EMU_PROG_SCHED_ACT: case EMU_PROG_XDP:
	case EMU_PROG_CGROUP_SKB: case EMU_PROG_LWT_IN: case EMU_PROG_LWT_OUT: case EMU_PROG_LWT_XMIT:
	case EMU_PROG_RAW_TRACEPOINT: case EMU_PROG_FLOW_DISSECTOR: case EMU_PROG_TRACING: case EMU_PROG_STRUCT_OPS:
	case EMU_PROG_SK_LOOKUP: case EMU_PROG_SYSCALL: case EMU_PROG_NETFILTER:
		return true;
	}
	return false;
}

bool emu_test_run_emulated(uint32_t t)
{
	switch (t) {
	case EMU_PROG_SOCKET_FILTER: case EMU_PROG_SCHED_CLS: case EMU_PROG_SCHED_ACT: case EMU_PROG_XDP:
	case EMU_PROG_CGROUP_SKB: case EMU_PROG_RAW_TRACEPOINT: case EMU_PROG_SYSCALL:
		return true;
	}
	return false;
}

/* ---- shared steps ---- */

int emu_tr_data(const struct tr *t, uint32_t off, uint32_t n, void *dst)
{
	if (!n)
		return 0;
	if (t->in->read_data_in)
		return t->in->read_data_in(t->in->read_data_in_ctx, off, n, dst) ? -EFAULT : 0;
	if ((uint64_t)off + n > t->in->data_in_avail || !t->in->data_in)
		return -EFAULT;
	memcpy(dst, (const uint8_t *)t->in->data_in + off, n);
	return 0;
}

int emu_tr_ctx_init(struct tr *t, uint32_t max_size)
{
	const struct emu_test_run_in *in = t->in;
	uint32_t size = in->ctx_size_in, n;

	t->ctx = NULL;
	t->ctx_size = 0;
	if (!in->ctx_in_set && !in->ctx_out_set)
		return 0;
	t->ctx = emu_tr_alloc(t->out, max_size);
	if (!t->ctx)
		return -ENOMEM;
	t->ctx_size = max_size;
	if (!in->ctx_in_set)
		return 0;
	/* bpf_check_uarg_tail_zero */
	if (size > EMU_PAGE)
		return -E2BIG;
	if (size > max_size) {
		const uint8_t *c = in->ctx_in;

		for (uint32_t i = max_size; i < size; i++) {
			if (i >= in->ctx_in_avail)
				return -EFAULT;
			if (c[i])
				return -E2BIG;
		}
	}
	n = size < max_size ? size : max_size;
	if (n > in->ctx_in_avail)
		return -EFAULT;
	memcpy(t->ctx, in->ctx_in, n);
	return 0;
}

int emu_tr_fault(struct tr *t, int err)
{
	t->out->fault = t->run.fault;
	emu_diag("BPF_PROG_TEST_RUN of %s stopped: %s (the kernel's verifier would have refused this program)",
		 t->in->prog_name && *t->in->prog_name ? t->in->prog_name : "a program", t->run.fault.msg);
	return err;
}

int emu_tr_regions_init(struct tr *t)
{
	uint32_t n = t->in->nr_regions + 2;

	t->rg = n <= sizeof(t->rg_inline) / sizeof(t->rg_inline[0]) ? t->rg_inline
								     : emu_tr_alloc(t->out, n * sizeof(*t->rg));
	if (!t->rg)
		return -ENOMEM;
	if (t->in->nr_regions)
		memcpy(t->rg, t->in->regions, t->in->nr_regions * sizeof(*t->rg));
	t->run.regions = t->rg;
	t->run.nr_regions = t->in->nr_regions;
	return 0;
}

/* the packet's current edges as the regions a repetition starts with */
static void packet_regions(struct tr *t)
{
	uint8_t *meta = NULL, *data = NULL, *end = NULL;
	uint32_t n = t->in->nr_regions;

	t->env.pkt_rg.meta = t->env.pkt_rg.data = NULL;
	if (t->env.xdp) {
		meta = t->env.xdp->data_meta;
		data = t->env.xdp->data;
		end = t->env.xdp->data_end;
	} else if (t->env.skb) {
		meta = data = t->env.skb->data;
		end = data + t->env.skb->len;
	}
	if (t->pkt_access && meta && meta < data) {
		t->rg[n++] = (struct emu_region){ (uintptr_t)meta, (uintptr_t)data, t->pkt_access, EMU_RGN_PACKET_META };
		t->env.pkt_rg.meta = meta;
	}
	if (t->pkt_access && data && data < end) {
		t->rg[n++] = (struct emu_region){ (uintptr_t)data, (uintptr_t)end, t->pkt_access, EMU_RGN_PACKET };
		t->env.pkt_rg.data = data;
	}
	t->run.nr_regions = n;
}

int emu_tr_repeat(struct tr *t, uint32_t repeat, uint64_t *r0)
{
	struct emu_stopwatch w; /* the kernel's bpf_test_timer: ktime around the loop */
	uint64_t spent;
	int err = 0;

	if (!repeat)
		repeat = 1;
	emu_stopwatch_start(&w);
	for (uint32_t i = 0; i < repeat; i++) {
		if (t->rg)
			packet_regions(t);
		err = t->run_fn(t->img, &t->run, r0);
		if (err)
			return emu_tr_fault(t, err);
	}
	spent = emu_stopwatch_ns(&w) / repeat;
	t->out->retval = (uint32_t)*r0;
	t->out->duration = spent > UINT32_MAX ? UINT32_MAX : (uint32_t)spent;
	return 0;
}

void emu_tr_copy(struct tr *t, uint32_t dst, uint32_t off, const void *src, uint32_t len)
{
	struct emu_test_run_out *o = t->out;

	if (o->nr_copy < EMU_TR_MAX_COPIES)
		o->copy[o->nr_copy++] = (struct emu_tr_copy){ .dst = dst, .off = off, .src = src, .len = len };
}

int emu_tr_finish(struct tr *t, const uint8_t *data, uint32_t size, uint32_t frag_size, const uint32_t *frag_len,
		  uint32_t nr_frags)
{
	const struct emu_test_run_in *in = t->in;
	struct emu_test_run_out *o = t->out;
	uint32_t copy_size = size;
	int err = 0;

	o->data = data;
	o->data_size_out = size;
	if (in->data_size_out && copy_size > in->data_size_out) {
		copy_size = in->data_size_out;
		err = -ENOSPC;
	}
	if (in->data_out_set) {
		int64_t len = nr_frags ? (int64_t)copy_size - frag_size : copy_size;
		uint32_t offset;

		if (len < 0)
			return -ENOSPC; /* nothing written, not even data_size_out */
		emu_tr_copy(t, EMU_TR_TO_DATA_OUT, 0, data, (uint32_t)len);
		/* the frags follow the linear part, each at the next offset (which, for a short
		 * buffer, is not where it lies in the packet) */
		offset = (uint32_t)len;
		for (uint32_t i = 0, at = size - frag_size; i < nr_frags; at += frag_len[i], i++) {
			uint32_t n;

			if (offset >= copy_size) {
				err = -ENOSPC;
				break;
			}
			n = copy_size - offset < frag_len[i] ? copy_size - offset : frag_len[i];
			emu_tr_copy(t, EMU_TR_TO_DATA_OUT, offset, data + at, n);
			offset += n;
		}
	}
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_DATA_SIZE_OUT, &o->data_size_out, 4);
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_RETVAL, &o->retval, 4);
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_DURATION, &o->duration, 4);
	return err;
}

int emu_tr_ctx_finish(struct tr *t, uint32_t size)
{
	struct emu_test_run_out *o = t->out;
	uint32_t copy_size = size;
	int err = 0;

	o->ctx = t->ctx;
	o->ctx_size_out = t->ctx ? size : 0;
	if (!t->ctx || !t->in->ctx_out_set)
		return 0;
	if (copy_size > t->in->ctx_size_out) {
		copy_size = t->in->ctx_size_out;
		err = -ENOSPC;
	}
	emu_tr_copy(t, EMU_TR_TO_CTX_OUT, 0, t->ctx, copy_size);
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_CTX_SIZE_OUT, &o->ctx_size_out, 4);
	return err;
}

int emu_tr_netdev(uint32_t ifindex, uint8_t mac[6], uint8_t bcast[6], uint32_t *nrxq)
{
	char name[IF_NAMESIZE], path[128], line[64];
	FILE *f;

	memset(mac, 0, 6);
	memset(bcast, 0xff, 6);
	*nrxq = 1;
	if (!ifindex || !if_indextoname(ifindex, name))
		return -ENODEV;
	for (int k = 0; k < 2; k++) {
		uint8_t *dst = k ? bcast : mac;
		unsigned v[6];

		snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, k ? "broadcast" : "address");
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
			for (int i = 0; i < 6; i++)
				dst[i] = (uint8_t)v[i];
		fclose(f);
	}
	for (uint32_t q = 1; q < 4096; q++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u", name, q);
		if (access(path, F_OK))
			break;
		*nrxq = q + 1;
	}
	return 0;
}

/* ---- RAW_TRACEPOINT and SYSCALL ---- */

static const struct emu_ctx_desc *blob_desc(struct tr *t, uint8_t *perm, uint32_t size, bool writable)
{
	static __thread struct emu_ctx_desc d;

	memset(perm, EMU_CTX_R | (writable ? EMU_CTX_W : 0), size);
	d = (struct emu_ctx_desc){ .size = size, .perm = perm };
	(void)t;
	return &d;
}

static int raw_tp(struct tr *t)
{
	const struct emu_test_run_in *in = t->in;
	uint8_t perm[MAX_BPF_FUNC_ARGS * 8];
	uint64_t r0 = 0;
	void *ctx = NULL;
	int err;

	if (in->data_in_set || in->data_out_set || in->ctx_out_set || in->duration || in->repeat || in->batch_size)
		return -EINVAL;
	if (in->ctx_size_in < in->max_ctx_offset || in->ctx_size_in > MAX_BPF_FUNC_ARGS * 8)
		return -EINVAL;
	if (!(in->flags & EMU_F_TEST_RUN_ON_CPU) && in->cpu)
		return -EINVAL;
	if (in->ctx_size_in) {
		ctx = emu_tr_alloc_uninit(t->out, in->ctx_size_in); /* copied whole below */
		if (!ctx)
			return -ENOMEM;
		if (in->ctx_size_in > in->ctx_in_avail)
			return -EFAULT;
		memcpy(ctx, in->ctx_in, in->ctx_size_in);
	}
	if ((in->flags & EMU_F_TEST_RUN_ON_CPU) && in->cpu != t->run.cpu) {
		if (in->cpu >= emu_nr_cpus())
			return -ENXIO;
		t->run.cpu = in->cpu; /* the program runs "there": its per-CPU state is that CPU's */
	}
	t->run.ctx = ctx;
	t->run.ctx_desc = ctx ? blob_desc(t, perm, in->ctx_size_in, false) : NULL;
	err = t->run_fn(t->img, &t->run, &r0);
	if (err)
		return emu_tr_fault(t, err);
	t->out->retval = (uint32_t)r0;
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_RETVAL, &t->out->retval, 4);
	return 0;
}

static int syscall_prog(struct tr *t)
{
	const struct emu_test_run_in *in = t->in;
	uint64_t r0 = 0;
	uint8_t *perm = NULL;
	void *ctx = NULL;
	int err;

	if (in->data_in_set || in->data_out_set || in->ctx_out_set || in->duration || in->repeat || in->flags ||
	    in->batch_size)
		return -EINVAL;
	if (in->ctx_size_in < in->max_ctx_offset || in->ctx_size_in > U16_MAX)
		return -EINVAL;
	if (in->ctx_size_in) {
		ctx = emu_tr_alloc_uninit(t->out, in->ctx_size_in);  /* copied whole below */
		perm = emu_tr_alloc_uninit(t->out, in->ctx_size_in); /* blob_desc fills it */
		if (!ctx || !perm)
			return -ENOMEM;
		if (in->ctx_size_in > in->ctx_in_avail)
			return -EFAULT;
		memcpy(ctx, in->ctx_in, in->ctx_size_in);
	}
	t->run.ctx = ctx;
	t->run.ctx_desc = ctx ? blob_desc(t, perm, in->ctx_size_in, true) : NULL;
	err = t->run_fn(t->img, &t->run, &r0);
	if (err)
		return emu_tr_fault(t, err);
	t->out->retval = (uint32_t)r0;
	t->out->ctx = ctx;
	t->out->ctx_size_out = in->ctx_size_in;
	emu_tr_copy(t, EMU_TR_TO_ATTR, TR_RETVAL, &t->out->retval, 4);
	if (in->ctx_size_in)
		emu_tr_copy(t, EMU_TR_TO_CTX_IN, 0, ctx, in->ctx_size_in);
	return 0;
}

/* ---- the entry ---- */

void emu_prog_env_init(struct emu_prog_env *env, uint32_t prog_type, uint32_t expected_attach_type,
		       struct emu_map *const *maps, uint32_t nr_maps)
{
	memset(env, 0, sizeof(*env));
	env->prog_type = prog_type;
	env->expected_attach_type = expected_attach_type;
	env->maps = maps;
	env->nr_maps = nr_maps;
}

/* out as emu_test_run leaves it when it writes nothing: copy[] and fault's details are written
 * only where nr_copy and fault.err say (a memset of the whole was a tenth of a call) */
static void out_init(struct emu_test_run_out *out)
{
	out->retval = out->duration = out->data_size_out = out->ctx_size_out = 0;
	out->data = out->ctx = NULL;
	out->nr_copy = 0;
	out->ret = 0;
	out->fault.err = 0;
	out->fault.msg[0] = '\0';
	emu_tr_mem_init(out);
}

int emu_test_run(const struct emu_prog_image *img, uint32_t prog_type, uint32_t expected_attach_type,
		 const struct emu_test_run_in *in, struct emu_test_run_out *out)
{
	struct tr tr, *t = &tr;
	uint32_t nr_cpus;
	int err;

	out_init(out);
	if (!emu_test_run_kernel_has(prog_type))
		return -EMU_ENOTSUPP;
	if (!emu_test_run_emulated(prog_type)) {
		static bool said;

		emu_diag_once(&said, "BPF_PROG_TEST_RUN is not emulated for program type %u: EOPNOTSUPP", prog_type);
		return -EOPNOTSUPP;
	}
	emu_clear(t, offsetof(struct tr, run)); /* run: set below; its fault by the run */
	emu_clear(&t->run, offsetof(struct emu_run, fault));
	t->run.state = NULL;
	t->img = img;
	t->in = in;
	t->out = out;
	t->run_fn = in->run_fn ? in->run_fn : emu_prog_run;
	t->env.prog_type = prog_type; /* the rest of env is zero, as emu_prog_env_init leaves it */
	t->env.expected_attach_type = expected_attach_type;
	t->env.maps = in->maps;
	t->env.nr_maps = in->nr_maps;
	t->env.trace = in->trace;
	t->env.tail_call_ctx = in->tail_call_ctx;
	t->env.inner_map = in->inner_map;
	t->run.regions = in->regions;
	t->run.nr_regions = in->nr_regions;
	/* the calling thread's CPU; with BPFEMU_NR_CPUS below the machine's, one of those */
	nr_cpus = emu_nr_cpus();
	t->run.cpu = emu_current_cpu() % (nr_cpus ? nr_cpus : 1);
	t->run.flags = in->run_flags;
	t->run.insn_budget = in->insn_budget;
	t->run.tail_call = in->tail_call;
	t->run.user = &t->env;
	switch (prog_type) {
	case EMU_PROG_RAW_TRACEPOINT:
		err = raw_tp(t);
		break;
	case EMU_PROG_SYSCALL:
		err = syscall_prog(t);
		break;
	case EMU_PROG_XDP:
		err = emu_tr_xdp(t);
		break;
	default:
		err = emu_tr_skb(t);
		break;
	}
	if (err < 0 && err != -ENOSPC)
		out->nr_copy = 0;
	else if (err == -ENOSPC || err == 0) {
		out->ret = err;
		err = 0;
	}
	return err;
}
