/* SPDX-License-Identifier: MIT */
/*
 * What the test_run files share (test_run.c: the call, the repetitions, the copies out, SYSCALL
 * and RAW_TRACEPOINT; test_run_xdp.c; test_run_skb.c): one call's state and the steps every
 * type's test_run is made of, each with the kernel's errnos (net/bpf/test_run.c).
 */
#ifndef BPFEMU_PROG_TEST_RUN_IMPL_H
#define BPFEMU_PROG_TEST_RUN_IMPL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../uapi/bpf_uapi.h"
#include "env.h"
#include "test_run.h"

#define EMU_PAGE 4096u
#define EMU_ETH_HLEN 14u

struct tr {
	const struct emu_prog_image *img;
	const struct emu_test_run_in *in;
	struct emu_test_run_out *out;
	struct emu_prog_env env;
	void *ctx;          /* the context copy (bpf_ctx_init), NULL when neither ctx_in nor ctx_out */
	uint32_t ctx_size;  /* its size */
	/* the run's regions: the caller's (global data), then the packet's, set before each
	 * repetition from the packet's current edges (rg holds nr_regions + 2: rg_inline when
	 * that fits) */
	struct emu_region *rg;
	uint32_t pkt_access; /* EMU_MEM_* for the packet: 0 when the type has no direct access */
	int (*run_fn)(const struct emu_prog_image *, struct emu_run *, uint64_t *);
	/* emu_test_run zeroes everything above and run up to its fault (which the run writes) */
	struct emu_run run;
	struct emu_region rg_inline[8];
};

/* bpf_ctx_init: NULL (0) when neither ctx_in nor ctx_out is set; else max_size zeroed bytes with
 * ctx_in's first bytes, after bpf_check_uarg_tail_zero (-E2BIG, -EFAULT). */
int emu_tr_ctx_init(struct tr *t, uint32_t max_size);
/* the private copy of data_in's bytes [off, off + n): -EFAULT where the kernel's copy would fault */
int emu_tr_data(const struct tr *t, uint32_t off, uint32_t n, void *dst);
/* the run's region array (rg) with room for the packet's */
int emu_tr_regions_init(struct tr *t);

/* test_run_mem.c: memory that lives until emu_test_run_out_free(). emu_tr_mem_init first (it
 * takes the thread's arena when it is idle); emu_tr_alloc's pieces are zeroed, as calloc's,
 * emu_tr_alloc_uninit's are not (for buffers whose every byte a program or a copy-out can see
 * is written by the caller). Aligned to 16 bytes; NULL when out of memory. */
void emu_tr_mem_init(struct emu_test_run_out *out);
void *emu_tr_alloc(struct emu_test_run_out *out, size_t n);
void *emu_tr_alloc_uninit(struct emu_test_run_out *out, size_t n);
/* bpf_test_run: repeat (0 counts as 1) runs of the image over t->run, duration into out; 0 or
 * the interpreter's errno (out->fault filled) */
int emu_tr_repeat(struct tr *t, uint32_t repeat, uint64_t *r0);
/* bpf_test_finish: the copies of data (size bytes, frag_size of them in frags that follow the
 * linear part in data, each frag_len[i]), data_size_out, retval, duration; returns the answer the
 * command gives after them (0 or -ENOSPC), or -ENOSPC with no copies at all */
int emu_tr_finish(struct tr *t, const uint8_t *data, uint32_t size, uint32_t frag_size, const uint32_t *frag_len,
		  uint32_t nr_frags);
/* bpf_ctx_finish: the copies of the context (size bytes) and ctx_size_out, when there is a
 * context and ctx_out is set; -ENOSPC for a short ctx_out */
int emu_tr_ctx_finish(struct tr *t, uint32_t size);
void emu_tr_copy(struct tr *t, uint32_t dst, uint32_t off, const void *src, uint32_t len);
/* the run's interpreter fault, as the diagnostic and the answer */
int emu_tr_fault(struct tr *t, int err);

/* A network device of the caller's namespace: 0 with its MAC, broadcast address and number of
 * rx queues, or -ENODEV (dev_get_by_index). ifindex 1 is the loopback device. */
int emu_tr_netdev(uint32_t ifindex, uint8_t mac[6], uint8_t bcast[6], uint32_t *nrxq);

/* The per-byte context permissions the verifier's rules give a program type
 * (emu/prog/ctx.c), every accessible byte through the context hooks. */
void emu_tr_ctx_perm(uint32_t prog_type, uint32_t expected_attach_type, uint8_t *perm, uint32_t size);

int emu_tr_xdp(struct tr *t);
int emu_tr_skb(struct tr *t);

#endif
