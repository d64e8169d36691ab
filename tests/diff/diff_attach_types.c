/* SPDX-License-Identifier: MIT */
/*
 * diff_attach_types: BPF_PROG_LOAD of a two-instruction program for every program type and every
 * expected_attach_type (and one past each end), on the kernel and on the emulator, compared: the
 * answer (a program or the errno). This is the kernel's bpf_prog_load_check_attach and the type
 * checks before it, exhaustively; the loader's own table and the attach commands' table
 * (emu_attach_prog_type, shared by both) must agree with it for every pair.
 *
 * --expect-divergence: the planted-fault self-test (built against the fault library, run with
 * BPFEMU_FAULT=attach-type-table), which passes only if the comparison reports the fault.
 *
 * The program returns 0 and then 1 (every type's return-value range holds one of them: a recvmsg
 * hook's is [1, 1]); no BTF, no attach target, so tracing, LSM, extension and struct_ops types fail
 * where the kernel's need one.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "uapi/bpf_insn.h"

static long load(int side, uint32_t type, uint32_t eat, int32_t ret)
{
	const struct emu_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = ret }, /* r0 = ret */
		{ .code = 0x95 },                           /* exit */
	};
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	hx_put32(a, PL_TYPE, type);
	hx_put32(a, PL_INSN_CNT, 2);
	hx_putp(a, PL_INSNS, prog);
	hx_putp(a, PL_LICENSE, "GPL");
	hx_put32(a, PL_EXPECTED_ATTACH, eat);
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

/* One pair on both sides; true when the kernel loaded it. */
static bool compare(uint32_t type, uint32_t eat, int32_t ret)
{
	long r[2];

	for (int s = 0; s < 2; s++)
		r[s] = load(s, type, eat, ret);
	hx_nops++;
	hx_ctx("PROG_LOAD type %u (%s) expected_attach_type %u, returning %d", type,
	       emu_prog_type_name(type) ? emu_prog_type_name(type) : "?", eat, ret);
	if ((r[HX_K] >= 0) != (r[HX_E] >= 0) || (r[HX_K] < 0 && r[HX_K] != r[HX_E])) {
		hx_ndiv++;
		if (hx_ndiv <= hx_max_reports)
			printf("DIVERGENCE #%lu [%s]\n    kernel   %s\n    emulator %s\n", hx_ndiv, hx_ctx_get(),
			       r[HX_K] >= 0 ? "a program" : hx_errname((int)-r[HX_K]),
			       r[HX_E] >= 0 ? "a program" : hx_errname((int)-r[HX_E]));
	}
	for (int s = 0; s < 2; s++)
		if (r[s] >= 0)
			close((int)r[s]);
	return r[HX_K] >= 0;
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");
	unsigned loaded = 0;

	hx_init("diff_attach_types");
	for (uint32_t type = 0; type <= EMU_NR_PROG_TYPES; type++)
		for (uint32_t eat = 0; eat <= EMU_NR_ATTACH_TYPES; eat++)
			for (int32_t ret = 0; ret <= 1; ret++)
				loaded += compare(type, eat, ret);
	printf("diff_attach_types: %u program types x %u attach types x 2 return values, %u loaded on the kernel\n",
	       EMU_NR_PROG_TYPES + 1, EMU_NR_ATTACH_TYPES + 1, loaded);
	return hx_finish_planted(expect_div); /* the self-test: BPFEMU_FAULT=attach-type-table */
}
