/* SPDX-License-Identifier: MIT */
/*
 * Programs on the real kernel, for the interpreter's tests and bench: raw bpf() BPF_PROG_LOAD and
 * BPF_PROG_TEST_RUN by attr offset (emu/uapi/bpf_uapi.h), and the SYSCALL-program wrapper that
 * lets a test read a program's full 64-bit r0 (test_run's retval is 32 bits).
 */
#ifndef BPFEMU_TESTS_KPROG_H
#define BPFEMU_TESTS_KPROG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prog/insn_build.h"
#include "uapi/bpf_uapi.h"

static inline long kp_sys(int cmd, void *attr, unsigned size)
{
	long r = syscall(__NR_bpf, cmd, attr, size);

	return r < 0 ? -errno : r;
}

static inline void kp_put32(unsigned char *a, unsigned off, uint32_t v) { memcpy(a + off, &v, 4); }
static inline void kp_put64(unsigned char *a, unsigned off, uint64_t v) { memcpy(a + off, &v, 8); }
static inline uint32_t kp_get32(const unsigned char *a, unsigned off)
{
	uint32_t v;

	memcpy(&v, a + off, 4);
	return v;
}

/* Loads a program; the fd, or -errno with the verifier log's text in log (if given). */
static inline long kp_load(uint32_t type, const struct emu_insn *insns, uint32_t n, uint32_t prog_flags, char *log,
			   size_t loglen)
{
	unsigned char a[EMU_ATTR_SIZE];
	long r;

	memset(a, 0, sizeof(a));
	kp_put32(a, PL_TYPE, type);
	kp_put32(a, PL_INSN_CNT, n);
	kp_put64(a, PL_INSNS, (uint64_t)(uintptr_t)insns);
	kp_put64(a, PL_LICENSE, (uint64_t)(uintptr_t) "GPL");
	kp_put32(a, PL_PROG_FLAGS, prog_flags);
	if (log && loglen) {
		log[0] = 0;
		kp_put32(a, PL_LOG_LEVEL, 0);
	}
	r = kp_sys(EMU_BPF_PROG_LOAD, a, sizeof(a));
	if (r < 0 && log && loglen > 1) {
		/* again with a log, only on failure: logging slows every load down */
		kp_put32(a, PL_LOG_LEVEL, 1);
		kp_put32(a, PL_LOG_SIZE, (uint32_t)loglen);
		kp_put64(a, PL_LOG_BUF, (uint64_t)(uintptr_t)log);
		kp_sys(EMU_BPF_PROG_LOAD, a, sizeof(a));
	}
	return r;
}

struct kp_run {
	void *ctx_in;
	uint32_t ctx_size;
	void *ctx_out; /* XDP/skb: ctx_out; SYSCALL programs write back into ctx_in */
	const void *data;
	uint32_t data_size;
	void *data_out;
	uint32_t data_out_size; /* in: capacity, out: bytes */
	uint32_t repeat;
	uint32_t retval;   /* out */
	uint32_t duration; /* out, ns per repetition */
};

static inline long kp_test_run(int fd, struct kp_run *r)
{
	unsigned char a[EMU_ATTR_SIZE];
	long ret;

	memset(a, 0, sizeof(a));
	kp_put32(a, TR_PROG_FD, (uint32_t)fd);
	kp_put32(a, TR_DATA_SIZE_IN, r->data_size);
	kp_put64(a, TR_DATA_IN, (uint64_t)(uintptr_t)r->data);
	kp_put32(a, TR_DATA_SIZE_OUT, r->data_out ? r->data_out_size : 0);
	kp_put64(a, TR_DATA_OUT, (uint64_t)(uintptr_t)r->data_out);
	kp_put32(a, TR_REPEAT, r->repeat);
	kp_put32(a, TR_CTX_SIZE_IN, r->ctx_in ? r->ctx_size : 0);
	kp_put64(a, TR_CTX_IN, (uint64_t)(uintptr_t)r->ctx_in);
	kp_put32(a, TR_CTX_SIZE_OUT, r->ctx_out ? r->ctx_size : 0);
	kp_put64(a, TR_CTX_OUT, (uint64_t)(uintptr_t)r->ctx_out);
	ret = kp_sys(EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
	r->retval = kp_get32(a, TR_RETVAL);
	r->duration = kp_get32(a, TR_DURATION);
	r->data_out_size = kp_get32(a, TR_DATA_SIZE_OUT);
	return ret;
}

/* Whether bpf() works here: a SYSCALL program loads (0), or -errno. */
static inline long kp_probe(void)
{
	struct emu_insn p[] = { EI_MOV64_IMM(0, 0), EI_EXIT() };
	long fd = kp_load(EMU_PROG_SYSCALL, p, 2, EMU_F_SLEEPABLE, NULL, 0);

	if (fd < 0)
		return fd;
	close((int)fd);
	return 0;
}

/*
 * body (n instructions) as a subprogram of a SYSCALL program that stores its r0 at ctx+0:
 *   r6 = r1; call body; *(u64 *)(r6 + 0) = r0; r0 = 0; exit; body...
 * body gets r1 = ctx. out must hold n + 5 instructions; returns the count.
 */
#define KP_WRAP_EXTRA 5u
static inline uint32_t kp_wrap_r0(const struct emu_insn *body, uint32_t n, struct emu_insn *out)
{
	out[0] = EI_MOV64_REG(6, 1);
	out[1] = EI_CALL_REL(3);
	out[2] = EI_STX_MEM(EMU_DW, 6, 0, 0);
	out[3] = EI_MOV64_IMM(0, 0);
	out[4] = EI_EXIT();
	memcpy(out + KP_WRAP_EXTRA, body, n * sizeof(*body));
	return n + KP_WRAP_EXTRA;
}

#endif
