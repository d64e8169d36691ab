/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the load-time checks (emu/prog/check.h), without a kernel: each check with a
 * hand-built program, its errno and the log lines 6.18 writes for it (as tests/diff/diff_check.c
 * observed them on the kernel), the outputs of an accepted program (subprograms, stack depths,
 * ld_imm64 targets, used maps, xlated instructions, tag, verified_insns), the helper table and
 * the scalar domain. Maps come from a resolver over a fixed table.
 */
#include "unit.h"

#include "prog/check.h"
#include "prog/helper.h"
#include "prog/scalar.h"


bool chk_opcode_valid(uint8_t code); /* emu/prog/check.c */

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define MOV64I(d, i) I(0xb7, d, 0, 0, i)
#define MOV64R(d, s) I(0xbf, d, s, 0, 0)
#define ADDI(d, i) I(0x07, d, 0, 0, i)
#define LDXW(d, s, o) I(0x61, d, s, o, 0)
#define LDXDW(d, s, o) I(0x79, d, s, o, 0)
#define STDW(d, o, i) I(0x7a, d, 0, o, i)
#define EXIT I(0x95, 0, 0, 0, 0)
#define CALL(h) I(0x85, 0, 0, 0, h)
#define PCALL(o) I(0x85, 0, 1, 0, o)
#define LDMAP(d, fd) I(0x18, d, 1, 0, fd), I(0, 0, 0, 0, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define STATS0 "processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"

/* fds 100 (hash 4/8/16, id 7), 101 (array 4/48/1, id 8), 102 (ringbuf, id 9); 103 is not a map */
static int resolver(void *ctx, int fd, struct emu_map_desc *d)
{
	(void)ctx;
	memset(d, 0, sizeof(*d));
	switch (fd) {
	case 100:
		*d = (struct emu_map_desc){.type = EMU_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16, .id = 7};
		break;
	case 101:
		*d = (struct emu_map_desc){.type = EMU_MAP_ARRAY, .key_size = 4, .value_size = 48, .max_entries = 1, .id = 8};
		break;
	case 102:
		*d = (struct emu_map_desc){.type = EMU_MAP_RINGBUF, .max_entries = 4096, .id = 9};
		break;
	case 103:
		return -EINVAL;
	default:
		return -EBADF;
	}
	d->handle = (void *)(uintptr_t)fd;
	return 0;
}

static char logbuf[65536];
static struct emu_prog_check_out out;

/* check a program at log level `level`; the log lands in logbuf */
static int run_lvl(uint32_t type, const struct emu_insn *insn, uint32_t cnt, uint32_t level, bool gpl)
{
	struct emu_prog_check_in in = {.prog_type = type, .insns = insn, .cnt = cnt, .gpl = gpl,
				       .resolve_map = resolver};
	struct emu_vlog log;
	uint32_t true_size;
	int r;

	if (type == EMU_PROG_SYSCALL)
		in.prog_flags = EMU_F_SLEEPABLE;
	memset(logbuf, 0, sizeof(logbuf));
	ck_assert_int_eq(emu_vlog_init(&log, level, (uintptr_t)logbuf, sizeof(logbuf)), 0);
	emu_prog_check_out_free(&out);
	r = emu_prog_check(&in, &log, &out);
	emu_vlog_finalize(&log, &true_size);
	return r;
}

static int run(uint32_t type, const struct emu_insn *insn, uint32_t cnt)
{
	return run_lvl(type, insn, cnt, 1, true);
}

/* the error line: the last line before the stats line */
static const char *err_line(void)
{
	static char line[256];
	char *end = strstr(logbuf, "processed "), *s;

	if (!end)
		end = logbuf + strlen(logbuf);
	while (end > logbuf && end[-1] == '\n')
		end--;
	s = end;
	while (s > logbuf && s[-1] != '\n')
		s--;
	snprintf(line, sizeof(line), "%.*s", (int)(end - s), s);
	return line;
}

#define EXPECT(r, err, line)                                                                        \
	do {                                                                                       \
		ck_assert_int_eq((r), -(err));                                                     \
		ck_assert_str_eq(err_line(), (line));                                              \
	} while (0)

START_TEST(opcode_table)
{
	unsigned n = 0;

	for (int c = 0; c < 256; c++)
		n += chk_opcode_valid((uint8_t)c);
	/* 27 ALU, 26 ALU64, 26 JMP, 23 JMP32, 7 LD, 7 LDX, 4 ST, 8 STX */
	ck_assert_uint_eq(n, 128);
	ck_assert(chk_opcode_valid(0xe5));  /* may_goto */
	ck_assert(chk_opcode_valid(0x06));  /* gotol */
	ck_assert(!chk_opcode_valid(0x0d)); /* ja X */
	ck_assert(!chk_opcode_valid(0x99)); /* ldx memsx dw */
	ck_assert(!chk_opcode_valid(0xdf)); /* alu64 end to-be */
}
END_TEST

START_TEST(structure)
{
	struct emu_insn no_exit[] = {MOV64I(0, 0)};
	struct emu_insn jmp_out[] = {MOV64I(0, 0), I(0x05, 0, 0, 5, 0), EXIT};
	struct emu_insn call_bad[] = {MOV64I(0, 0), PCALL(9), EXIT};
	struct emu_insn unreach[] = {MOV64I(0, 0), EXIT, MOV64I(0, 1), EXIT};
	struct emu_insn mid[] = {MOV64I(0, 0), I(0x15, 0, 0, 1, 0), I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 0), EXIT};
	struct emu_insn opc[] = {MOV64I(0, 0), EXIT, I(0xff, 0, 0, 0, 0), EXIT};
	struct emu_insn ldx[] = {I(0x61, 0, 1, 0, 5), EXIT};
	struct emu_insn ld2[] = {I(0x18, 0, 0, 0, 1), I(0, 1, 0, 0, 0), MOV64I(0, 0), EXIT};
	struct emu_insn ld9[] = {I(0x18, 0, 9, 0, 1), I(0, 0, 0, 0, 0), MOV64I(0, 0), EXIT};

	ck_assert_int_eq(run(1, no_exit, N(no_exit)), -EINVAL);
	ck_assert_str_eq(logbuf, "last insn is not an exit or jmp\n" STATS0);
	EXPECT(run(1, jmp_out, N(jmp_out)), EINVAL, "jump out of range from insn 1 to 7");
	EXPECT(run(1, call_bad, N(call_bad)), EINVAL, "call to invalid destination");
	EXPECT(run(1, unreach, N(unreach)), EINVAL, "unreachable insn 2");
	EXPECT(run(1, mid, N(mid)), EINVAL, "jump into the middle of ldimm64 insn 2");
	/* the opcode pass runs before reachability */
	EXPECT(run(1, opc, N(opc)), EINVAL, "unknown opcode ff");
	EXPECT(run(1, ldx, N(ldx)), EINVAL, "BPF_LDX uses reserved fields");
	EXPECT(run(1, ld2, N(ld2)), EINVAL, "invalid bpf_ld_imm64 insn");
	EXPECT(run(1, ld9, N(ld9)), EINVAL, "unrecognized bpf_ld_imm64 insn");
	ck_assert_int_eq(run(1, no_exit, 0), -E2BIG);
	/* level 2 starts with the subprogram list */
	{
		struct emu_insn two[] = {PCALL(1), I(0x05, 0, 0, 9, 0), MOV64I(0, 0), EXIT};

		ck_assert_int_eq(run_lvl(1, two, N(two), 2, true), -EINVAL);
		ck_assert_str_eq(logbuf, "func#0 @0\nfunc#1 @2\njump out of range from insn 1 to 11\n" STATS0);
	}
}
END_TEST

START_TEST(ldimm64_maps)
{
	struct emu_insn badfd[] = {LDMAP(1, 999), MOV64I(0, 0), EXIT};
	struct emu_insn notmap[] = {LDMAP(1, 103), MOV64I(0, 0), EXIT};
	struct emu_insn hashval[] = {I(0x18, 1, 2, 0, 100), I(0, 0, 0, 0, 0), MOV64I(0, 0), EXIT};
	struct emu_insn pastval[] = {I(0x18, 1, 2, 0, 101), I(0, 0, 0, 0, 48), MOV64I(0, 0), EXIT};
	struct emu_insn bigval[] = {I(0x18, 1, 2, 0, 101), I(0, 0, 0, 0, 1 << 29), MOV64I(0, 0), EXIT};
	struct emu_insn idx[] = {I(0x18, 1, 5, 0, 0), I(0, 0, 0, 0, 0), MOV64I(0, 0), EXIT};
	struct emu_insn btf[] = {I(0x18, 1, 3, 0, 1), I(0, 0, 0, 0, 0), MOV64I(0, 0), EXIT};

	EXPECT(run(1, badfd, N(badfd)), EBADF, "fd 999 is not pointing to valid bpf_map");
	EXPECT(run(1, notmap, N(notmap)), EINVAL, "fd 103 is not pointing to valid bpf_map");
	EXPECT(run(1, hashval, N(hashval)), EINVAL, "no direct value access support for this map type");
	EXPECT(run(1, pastval, N(pastval)), EINVAL, "invalid access to map value pointer, value_size=48 off=48");
	EXPECT(run(1, bigval, N(bigval)), EINVAL, "direct value offset of 536870912 is not allowed");
	EXPECT(run(1, idx, N(idx)), EPROTO, "fd_idx without fd_array is invalid");
	ck_assert_int_eq(run(1, btf, N(btf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(logbuf, "CONFIG_DEBUG_INFO_BTF"));
	/* fd_array: an index past the caller's copy faults */
	{
		int32_t fds[1] = {101};
		struct emu_insn p[] = {I(0x18, 1, 6, 0, 0), I(0, 0, 0, 0, 8), LDXDW(0, 1, 0), EXIT};
		struct emu_prog_check_in in = {.prog_type = 1, .insns = p, .cnt = N(p), .gpl = true, .resolve_map = resolver,
					       .fd_array = fds, .fd_array_len = 1};

		emu_prog_check_out_free(&out);
		ck_assert_int_eq(emu_prog_check(&in, NULL, &out), 0);
		ck_assert_uint_eq(out.ld[0].kind, EMU_LDK_MAP_VALUE);
		ck_assert_uint_eq(out.ld[0].off, 8);
		p[0].imm = 1;
		emu_prog_check_out_free(&out);
		ck_assert_int_eq(emu_prog_check(&in, NULL, &out), -EFAULT);
	}
}
END_TEST

START_TEST(registers_and_stack)
{
	struct emu_insn r0[] = {EXIT};
	struct emu_insn r2[] = {MOV64R(0, 2), EXIT};
	struct emu_insn fp[] = {MOV64I(10, 0), EXIT};
	struct emu_insn r11[] = {MOV64I(11, 0), EXIT};
	struct emu_insn below[] = {STDW(10, -520, 0), MOV64I(0, 0), EXIT};
	struct emu_insn above[] = {STDW(10, 8, 0), MOV64I(0, 0), EXIT};
	struct emu_insn misal[] = {STDW(10, -4, 0), MOV64I(0, 0), EXIT};
	struct emu_insn fill[] = {I(0x7b, 10, 1, -8, 0), LDXW(0, 10, -8), EXIT};

	ck_assert_int_eq(run(1, r0, N(r0)), -EACCES);
	/* the walk's log: the state at insn 0, the error, the stats */
	ck_assert_str_eq(logbuf, "0: R1=ctx() R10=fp0\nR0 !read_ok\n"
				 "processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n");
	EXPECT(run(1, r2, N(r2)), EACCES, "R2 !read_ok");
	EXPECT(run(1, fp, N(fp)), EACCES, "frame pointer is read only");
	EXPECT(run(1, r11, N(r11)), EINVAL, "R11 is invalid");
	EXPECT(run(1, below, N(below)), EACCES, "invalid write to stack R10 off=-520 size=8");
	EXPECT(run(1, above, N(above)), EACCES, "invalid write to stack R10 off=8 size=8");
	EXPECT(run(1, misal, N(misal)), EACCES, "misaligned stack access off 0+0+-4 size 8");
	EXPECT(run(1, fill, N(fill)), EACCES, "invalid size of register fill");
}
END_TEST

START_TEST(pointers_and_maps)
{
	struct emu_insn orp[] = {MOV64R(0, 10), I(0x47, 0, 0, 0, 1), EXIT};
	struct emu_insn p32[] = {MOV64R(0, 10), I(0x04, 0, 0, 0, 2), EXIT};
	struct emu_insn nullderef[] = {LDMAP(1, 100), STDW(10, -8, 0), MOV64R(2, 10), ADDI(2, -8), CALL(1), LDXDW(0, 0, 0), EXIT};
	struct emu_insn oob[] = {LDMAP(1, 100), STDW(10, -8, 0), MOV64R(2, 10), ADDI(2, -8), CALL(1),
				 I(0x15, 0, 0, 2, 0), LDXDW(1, 0, 8), MOV64R(0, 1), EXIT};
	struct emu_insn okv[] = {LDMAP(1, 100), STDW(10, -8, 0), MOV64R(2, 10), ADDI(2, -8), CALL(1),
				 I(0x15, 0, 0, 1, 0), LDXDW(0, 0, 0), EXIT};

	EXPECT(run(1, orp, N(orp)), EACCES, "R0 bitwise operator |= on pointer prohibited");
	EXPECT(run(1, p32, N(p32)), EACCES, "R0 32-bit pointer arithmetic prohibited");
	EXPECT(run(1, nullderef, N(nullderef)), EACCES, "R0 invalid mem access 'map_value_or_null'");
	EXPECT(run(1, oob, N(oob)), EACCES, "R0 min value is outside of the allowed memory range");
	ck_assert_ptr_nonnull(strstr(logbuf, "invalid access to map value, value_size=8 off=8 size=8\n"));
	/* the null branch returns the pointer (0) and the other reads the value */
	ck_assert_int_eq(run(1, okv, N(okv)), 0);
	ck_assert_uint_eq(out.nr_maps, 1);
	ck_assert_uint_eq(out.maps[0].id, 7);
	ck_assert_uint_eq(out.ld[0].kind, EMU_LDK_MAP);
	/* xlated: the map's id in place of the fd */
	ck_assert_int_eq(out.xlated[0].imm, 7);
	ck_assert_uint_eq(out.stack_depth[0], 8);
	/* at level 1 a passing program leaves only the stats */
	ck_assert_int_eq(strncmp(logbuf, "processed ", 10), 0);
}
END_TEST

START_TEST(packets_and_ctx)
{
	struct emu_insn unchecked[] = {LDXW(2, 1, 0), I(0x71, 0, 2, 0, 0), EXIT};
	struct emu_insn checked[] = {LDXW(2, 1, 0), LDXW(3, 1, 4), MOV64R(4, 2), ADDI(4, 8), I(0x2d, 4, 3, 2, 0),
				     LDXDW(0, 2, 0), EXIT, MOV64I(0, 1), EXIT};
	struct emu_insn past[] = {LDXW(2, 1, 0), LDXW(3, 1, 4), MOV64R(4, 2), ADDI(4, 8), I(0x2d, 4, 3, 2, 0),
				  LDXW(0, 2, 6), EXIT, MOV64I(0, 1), EXIT};
	struct emu_insn sfdata[] = {LDXW(0, 1, 76), EXIT};
	struct emu_insn modctx[] = {ADDI(1, 4), LDXW(0, 1, 0), EXIT};
	struct emu_insn cgret[] = {MOV64I(0, 5), EXIT};

	EXPECT(run(EMU_PROG_XDP, unchecked, N(unchecked)), EACCES, "R2 offset is outside of the packet");
	ck_assert_ptr_nonnull(strstr(logbuf, "invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)\n"));
	ck_assert_int_eq(run(EMU_PROG_XDP, checked, N(checked)), 0);
	EXPECT(run(EMU_PROG_XDP, past, N(past)), EACCES, "R2 offset is outside of the packet");
	EXPECT(run(EMU_PROG_SOCKET_FILTER, sfdata, N(sfdata)), EACCES, "invalid bpf_context access off=76 size=4");
	ck_assert_int_eq(run(EMU_PROG_SCHED_CLS, sfdata, N(sfdata)), 0);
	EXPECT(run(1, modctx, N(modctx)), EACCES, "dereference of modified ctx ptr R1 off=4 disallowed");
	EXPECT(run(EMU_PROG_CGROUP_SKB, cgret, N(cgret)), EINVAL,
	       "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]");
}
END_TEST

START_TEST(control_flow)
{
	struct emu_insn inf[] = {MOV64I(0, 0), I(0x05, 0, 0, -1, 0)};
	struct emu_insn big[] = {MOV64I(0, 0), ADDI(0, 1), I(0x05, 0, 0, -2, 0)};
	struct emu_insn bounded[] = {MOV64I(0, 0), ADDI(0, 1), I(0xa5, 0, 0, -2, 100), EXIT};
	struct emu_insn rec[] = {MOV64I(0, 0), PCALL(-2), EXIT};
	struct emu_insn deep[] = {STDW(10, -512, 0), PCALL(2), MOV64I(0, 0), EXIT, STDW(10, -16, 0), MOV64I(0, 0), EXIT};

	EXPECT(run(1, inf, N(inf)), EINVAL, "infinite loop detected at insn 1");
	EXPECT(run(1, big, N(big)), E2BIG, "BPF program is too large. Processed 1000001 insn");
	/* the kernel's count for this loop, and its prog info */
	ck_assert_int_eq(run(1, bounded, N(bounded)), 0);
	ck_assert_uint_eq(out.verified_insns, 202);
	EXPECT(run(1, rec, N(rec)), E2BIG, "the call stack of 9 frames is too deep");
	ck_assert_int_eq(run(1, deep, N(deep)), -EACCES);
	ck_assert_str_eq(logbuf, "combined stack size of 2 calls is 528. Too large\n"
				 "processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n");
	ck_assert_uint_eq(out.nr_subprogs, 2);
	ck_assert_uint_eq(out.subprog_start[1], 4);
	ck_assert_uint_eq(out.stack_depth[0], 512);
	ck_assert_uint_eq(out.stack_depth[1], 16);
}
END_TEST

START_TEST(helpers)
{
	struct emu_insn unknown[] = {MOV64I(0, 0), CALL(212), EXIT};
	struct emu_insn type[] = {MOV64I(0, 0), CALL(EMU_FN_xdp_adjust_head), EXIT};
	struct emu_insn gpl[] = {MOV64I(0, 0), CALL(EMU_FN_trace_printk), EXIT};
	struct emu_insn argt[] = {LDMAP(1, 100), MOV64I(2, 0), CALL(1), MOV64I(0, 0), EXIT};
	struct emu_insn mapf[] = {LDMAP(1, 100), STDW(10, -8, 0), MOV64R(2, 10), ADDI(2, -8), MOV64I(3, 0), CALL(87),
				  MOV64I(0, 0), EXIT};
	struct emu_insn tail[] = {LDMAP(2, 100), MOV64I(3, 0), CALL(12), MOV64I(0, 0), EXIT};
	struct emu_insn leak[] = {LDMAP(1, 102), MOV64I(2, 8), MOV64I(3, 0), CALL(131), MOV64I(0, 0), EXIT};
	struct emu_insn unemul[] = {CALL(EMU_FN_get_hash_recalc), EXIT};

	EXPECT(run(1, unknown, N(unknown)), EINVAL, "invalid func unknown#212");
	EXPECT(run(1, type, N(type)), EINVAL, "program of this type cannot use helper bpf_xdp_adjust_head#44");
	ck_assert_int_eq(run_lvl(1, gpl, N(gpl), 1, false), -EINVAL);
	ck_assert_str_eq(err_line(), "cannot call GPL-restricted function from non-GPL compatible program");
	EXPECT(run(1, argt, N(argt)), EACCES,
	       "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
	EXPECT(run(1, mapf, N(mapf)), EINVAL, "cannot pass map_type 1 into func bpf_map_push_elem#87");
	/* the kernel's line has no newline: the stats follow on the same line */
	ck_assert_int_eq(run(1, tail, N(tail)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(logbuf, "expected prog array map for tail callprocessed "));
	EXPECT(run(1, leak, N(leak)), EINVAL, "BPF_EXIT instruction in main prog would lead to reference leak");
	ck_assert_ptr_nonnull(strstr(logbuf, "Unreleased reference id=2 alloc_insn=4\n"));
	/* known to the kernel, allowed for tc, not emulated: accepted and reported */
	ck_assert_int_eq(run(EMU_PROG_SCHED_CLS, unemul, N(unemul)), 0);
	ck_assert_uint_eq(out.unemulated_helper, EMU_FN_get_hash_recalc);
	ck_assert(out.analysis_incomplete);
}
END_TEST

START_TEST(helper_table)
{
	const struct emu_func_proto *p = emu_helper_proto(EMU_FN_map_lookup_elem);

	ck_assert_ptr_null(emu_helper_proto(0));
	ck_assert_ptr_null(emu_helper_proto(EMU_NR_HELPERS));
	ck_assert(p->emulated && !p->gpl_only && p->pkt_access);
	ck_assert_uint_eq(p->ret, EMU_RET_MAP_VALUE_OR_NULL);
	ck_assert_uint_eq(p->arg[0], EMU_ARG_CONST_MAP_PTR);
	ck_assert_uint_eq(p->arg[2], EMU_ARG_NONE);
	ck_assert(emu_helper_proto(EMU_FN_trace_printk)->gpl_only);
	ck_assert(emu_helper_proto(EMU_FN_xdp_adjust_head)->prog_types == EMU_PROG_BIT(EMU_PROG_XDP));
	ck_assert(!emu_helper_proto(EMU_FN_get_hash_recalc)->emulated);
	for (uint32_t id = 1; id < EMU_NR_HELPERS; id++) {
		p = emu_helper_proto(id);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->id, id);
		ck_assert((p->prog_types & ~EMU_HELPER_PROG_TYPES) == 0);
		ck_assert_ptr_null(p->fn);
	}
}
END_TEST

START_TEST(tag)
{
	/* 6.18's tag of {r0 = 0; exit}: the first bytes of its SHA-256 */
	static const uint8_t want[8] = {0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6};
	struct emu_insn p[] = {MOV64I(0, 0), EXIT};
	struct emu_insn m1[] = {LDMAP(1, 100), MOV64I(0, 0), EXIT}, m2[] = {LDMAP(1, 101), MOV64I(0, 0), EXIT};
	uint8_t t1[8], t2[8];

	ck_assert_int_eq(run(1, p, N(p)), 0);
	ck_assert_mem_eq(out.tag, want, 8);
	ck_assert_uint_eq(out.verified_insns, 2);
	/* map fds do not change the tag */
	emu_prog_calc_tag(m1, N(m1), t1);
	emu_prog_calc_tag(m2, N(m2), t2);
	ck_assert_mem_eq(t1, t2, 8);
	m2[1].imm = 1;
	emu_prog_calc_tag(m2, N(m2), t2);
	ck_assert_mem_eq(t1, t2, 8);
}
END_TEST

START_TEST(scalars)
{
	struct sval a, b;

	/* masking bounds a value; a compare against a constant narrows it */
	sv_unknown(&a);
	sv_const(&b, 0xff);
	sv_alu(&a, &b, EMU_AND, false);
	ck_assert_uint_eq(a.umax, 0xff);
	sv_const(&b, 10);
	ck_assert(sv_refine(&a, &b, EMU_JGT, false, false));
	ck_assert_uint_eq(a.umax, 10);
	ck_assert_int_eq(sv_branch(&a, &b, EMU_JGT, false), 0);
	/* 32-bit arithmetic wraps in the low half */
	sv_const(&a, 0xffffffff);
	sv_const(&b, 1);
	sv_alu(&a, &b, EMU_ADD, true);
	ck_assert(sv_is_const(&a) && a.v == 0);
	/* an unknown shifted left by 4 has its low bits known zero */
	sv_unknown(&a);
	sv_const(&b, 4);
	sv_alu(&a, &b, EMU_LSH, false);
	ck_assert_uint_eq(a.m & 0xf, 0);
	sv_unknown(&b);
	ck_assert(sv_within(&b, &a));
	/* a u32 bound learnt by JMP32 on a 64-bit value holds after zero-extension */
	sv_unknown(&a);
	sv_const(&b, 40);
	ck_assert(sv_refine(&a, &b, EMU_JGT, false, true));
	sv_zext32(&a);
	ck_assert_uint_eq(a.umax, 40);
	/* a narrow load is not negative as a 32-bit signed value unless bit 31 may be set */
	sv_unknown(&a);
	sv_trunc(&a, 2);
	ck_assert_int_eq(a.s32min, 0);
	ck_assert_int_eq(a.s32max, 0xffff);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = emu_tcase(s);

	unit_init(NULL);
	opt_add_test(tc, opcode_table);
	opt_add_test(tc, structure);
	opt_add_test(tc, ldimm64_maps);
	opt_add_test(tc, registers_and_stack);
	opt_add_test(tc, pointers_and_maps);
	opt_add_test(tc, packets_and_ctx);
	opt_add_test(tc, control_flow);
	opt_add_test(tc, helpers);
	opt_add_test(tc, helper_table);
	opt_add_test(tc, tag);
	opt_add_test(tc, scalars);
	return unit_run(s);
}
