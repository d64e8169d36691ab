/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_TEST_RUN (BPF_PROG_RUN): the command's half of the contract in emu/prog/test_run.h.
 * Here: the attr checks of 6.18's bpf_prog_test_run() before a type's test_run, the program fd,
 * the private copies of data_in and ctx_in (as far as they are readable: the run answers EFAULT
 * where the kernel's copy would fault), the outputs written back in the run's order (the first
 * fault ends the command with EFAULT, what was written stays), and the run statistics of
 * BPF_ENABLE_STATS. Everything a program type's test_run decides is emu_test_run()'s.
 *
 * Cost: a call through the preload finds its program in the fd cache and its image made; inputs of
 * up to a page are copied onto the stack; nothing is allocated here on that path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prog_obj.h"
#include "../prog/test_run.h"
#include "../uaccess/uaccess.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "cmds.h"

#define STACK_COPY EMU_PAGE_SIZE

/* As much of [u, u + n) as can be read, from the start, a page at a time once a read faults. */
static uint32_t copy_in(void *dst, const void *u, uint32_t n)
{
	uint32_t done = 0;

	if (!n || !emu_copy_from_user(dst, u, n))
		return n;
	while (done < n) {
		uintptr_t p = (uintptr_t)u + done;
		uint32_t chunk = EMU_PAGE_SIZE - (uint32_t)(p & (EMU_PAGE_SIZE - 1));

		if (chunk > n - done)
			chunk = n - done;
		if (emu_copy_from_user((char *)dst + done, (const void *)p, chunk))
			break;
		done += chunk;
	}
	return done;
}

struct tr_buf {
	void *p;
	bool heap;
};

static int input(const struct emu_attr *a, unsigned ptr_off, unsigned size_off, uint32_t max, char *stack,
		 struct tr_buf *b, const void **data, uint32_t *avail)
{
	const void *u = attr_ptr(a, ptr_off);
	uint32_t n = attr_u32(a, size_off);

	*data = NULL;
	*avail = 0;
	b->p = NULL;
	b->heap = false;
	if (!u)
		return 0;
	if (n > max)
		n = max;
	if (n <= STACK_COPY) {
		b->p = stack;
	} else {
		b->p = malloc(n);
		if (!b->p)
			return -ENOMEM;
		b->heap = true;
	}
	*avail = copy_in(b->p, u, n);
	*data = b->p;
	return 0;
}

static void *copy_base(const struct emu_attr *a, union bpf_attr *uattr, uint32_t dst)
{
	switch (dst) {
	case EMU_TR_TO_ATTR:
		return uattr;
	case EMU_TR_TO_DATA_OUT:
		return attr_ptr(a, TR_DATA_OUT);
	case EMU_TR_TO_CTX_OUT:
		return attr_ptr(a, TR_CTX_OUT);
	default:
		return attr_ptr(a, TR_CTX_IN);
	}
}

int emu_cmd_prog_test_run(struct emu_attr *a, union bpf_attr *uattr)
{
	char data_stack[STACK_COPY], ctx_stack[STACK_COPY];
	struct tr_buf data_buf = { 0 }, ctx_buf = { 0 };
	const struct emu_prog_image *img;
	struct emu_test_run_out out; /* emu_test_run() clears it */
	struct emu_test_run_in in;
	struct emu_prog *p;
	int err;

	if (!!attr_u32(a, TR_CTX_SIZE_IN) != !!attr_u64(a, TR_CTX_IN) ||
	    !!attr_u32(a, TR_CTX_SIZE_OUT) != !!attr_u64(a, TR_CTX_OUT))
		return -EINVAL;
	err = emu_prog_get_fast((int)attr_u32(a, TR_PROG_FD), &p);
	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	err = emu_prog_image(p, &img);
	if (!err)
		err = emu_prog_maps(p, &in.maps, &in.nr_maps);
	if (!err)
		err = emu_prog_regions(p, &in.regions, &in.nr_regions);
	if (err)
		goto put;
	in.data_size_in = attr_u32(a, TR_DATA_SIZE_IN);
	in.data_size_out = attr_u32(a, TR_DATA_SIZE_OUT);
	in.ctx_size_in = attr_u32(a, TR_CTX_SIZE_IN);
	in.ctx_size_out = attr_u32(a, TR_CTX_SIZE_OUT);
	in.repeat = attr_u32(a, TR_REPEAT);
	in.duration = attr_u32(a, TR_DURATION);
	in.flags = attr_u32(a, TR_FLAGS);
	in.cpu = attr_u32(a, TR_CPU);
	in.batch_size = attr_u32(a, TR_BATCH_SIZE);
	in.data_in_set = attr_u64(a, TR_DATA_IN) != 0;
	in.data_out_set = attr_u64(a, TR_DATA_OUT) != 0;
	in.ctx_in_set = attr_u64(a, TR_CTX_IN) != 0;
	in.ctx_out_set = attr_u64(a, TR_CTX_OUT) != 0;
	in.prog_name = emu_prog_name(p);
	in.max_ctx_offset = emu_prog_max_ctx_offset(p);
	err = input(a, TR_DATA_IN, TR_DATA_SIZE_IN, EMU_TR_DATA_IN_MAX, data_stack, &data_buf, &in.data_in,
		    &in.data_in_avail);
	if (!err)
		err = input(a, TR_CTX_IN, TR_CTX_SIZE_IN, EMU_TR_CTX_IN_MAX, ctx_stack, &ctx_buf, &in.ctx_in,
			    &in.ctx_in_avail);
	if (err)
		goto free;

	err = emu_test_run(img, emu_prog_type(p), emu_prog_expected_attach_type(p), &in, &out);
	if (!err) {
		if (emu_prog_stats_enabled()) {
			uint64_t reps = in.repeat ? in.repeat : 1;

			emu_prog_stats_add(p, reps, (uint64_t)out.duration * reps);
		}
		for (uint32_t i = 0; i < out.nr_copy && !err; i++) {
			const struct emu_tr_copy *c = &out.copy[i];

			if (emu_copy_to_user((char *)copy_base(a, uattr, c->dst) + c->off, c->src, c->len))
				err = -EFAULT;
		}
		if (!err)
			err = out.ret;
	}
	emu_test_run_out_free(&out);
free:
	if (data_buf.heap)
		free(data_buf.p);
	if (ctx_buf.heap)
		free(ctx_buf.p);
put:
	emu_prog_put(p);
	return err;
}
