/* SPDX-License-Identifier: MIT */
/*
 * The helpers and emu_test_run without a kernel (the kernel comparison is tests/diff/diff_prog):
 * the helper table's invariant (a record is emulated exactly when it has a function), the
 * trace_pipe line format, the checksum arithmetic, the copy lists TEST_RUN's command is handed
 * (partial copies, ENOSPC, a SYSCALL context written back), a run the interpreter stops, and map
 * helpers on emulated maps seen through the commands afterwards (per-CPU slots, an empty queue).
 */
#include "unit.h"

#include <pthread.h>

#include "core/map.h"
#include "prog/env.h"
#include "prog/helpers/csum.h"
#include "prog/helpers/trace_pipe.h"
#include "prog/insn_build.h"
#include "prog/test_run.h"

emu_helper_fn emu_helper_fn_of(uint32_t id);

START_TEST(table_agrees)
{
	unsigned emulated = 0;

	for (uint32_t id = 1; id < EMU_NR_HELPERS; id++) {
		const struct emu_func_proto *p = emu_helper_proto(id), *r = emu_helper_lookup(NULL, (int32_t)id);
		emu_helper_fn fn = emu_helper_fn_of(id);

		ck_assert_ptr_nonnull(p);
		if (id == EMU_FN_tail_call) { /* the run loop's own instruction: no function */
			ck_assert(p->emulated);
			ck_assert_ptr_null(fn);
			continue;
		}
		ck_assert_msg(p->emulated == (fn != NULL), "helper %u: emulated %d, function %p", id, p->emulated,
			      (void *)(uintptr_t)fn);
		if (!fn) {
			ck_assert_ptr_null(r);
			continue;
		}
		emulated++;
		ck_assert_ptr_nonnull(r);
		ck_assert(r->fn == fn);
		ck_assert_uint_eq(r->prog_types, p->prog_types);
		ck_assert_int_eq(memcmp(r->arg, p->arg, sizeof(p->arg)), 0);
		ck_assert_uint_eq(r->ret, p->ret);
	}
	ck_assert_uint_ge(emulated, 40);
	ck_assert_ptr_null(emu_helper_lookup(NULL, 0));
	ck_assert_ptr_null(emu_helper_lookup(NULL, EMU_NR_HELPERS));
	ck_assert_ptr_null(emu_helper_lookup(NULL, -1));
}
END_TEST

/* the line the kernel printed for bpf_printk("hi %d\n", 42) from TEST_RUN of an XDP program */
START_TEST(trace_line)
{
	char buf[256];
	int n = emu_trace_format(buf, sizeof(buf), "probe4", 3454, 0, "b..11", 7450722148123ull, "hi 42\n");

	ck_assert_str_eq(buf, "          probe4-3454    [000] b..11  7450.722148: bpf_trace_printk: hi 42\n\n");
	ck_assert_int_eq(n, (int)strlen(buf));
	emu_trace_format(buf, sizeof(buf), "a-very-long-nam", 1234567, 17, "...2.", 123456789012345ull, "x");
	ck_assert_str_eq(buf, " a-very-long-nam-1234567 [017] ...2. 123456.789012: bpf_trace_printk: x\n");
	ck_assert_str_eq(emu_trace_flags(EMU_PROG_XDP), "b..11");
	ck_assert_str_eq(emu_trace_flags(EMU_PROG_SCHED_CLS), "b..11");
	ck_assert_str_eq(emu_trace_flags(EMU_PROG_RAW_TRACEPOINT), "...2.");
	ck_assert_str_eq(emu_trace_flags(EMU_PROG_SYSCALL), "...11");
}
END_TEST

/* csum_partial: congruent to the one's-complement sum of 16-bit little-endian words, for every
 * length and start; a valid IPv4 header folds to 0 */
START_TEST(csum)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61,
					0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };
	uint8_t buf[300];
	uint64_t s = 1;

	ck_assert_uint_eq(emu_csum_fold(emu_csum_partial(ip, 20, 0)), 0);
	for (int i = 0; i < 300; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(s >> 33);
	}
	for (uint32_t len = 0; len < 260; len++) {
		for (uint32_t start = 0; start < 3; start++) {
			uint64_t ref = 0x1234;
			uint32_t got = emu_csum_partial(buf + start, len, 0x1234);

			for (uint32_t i = 0; i < len; i += 2)
				ref += (uint32_t)buf[start + i] | (i + 1 < len ? (uint32_t)buf[start + i + 1] << 8 : 0);
			ck_assert_uint_eq((uint64_t)got % 0xffff, ref % 0xffff);
		}
	}
}
END_TEST

static struct emu_prog_image *xlate(const struct emu_insn *insns, uint32_t n)
{
	struct emu_xlate_opts o = { .helper = emu_helper_lookup };
	char err[200];
	struct emu_prog_image *img = emu_prog_translate(insns, n, &o, err, sizeof(err));

	ck_assert_msg(img != NULL, "%s", err);
	return img;
}

/* r0 = ctx[0]; ctx[1] = r0 * 2: the context goes back where it came from, the retval to the attr */
START_TEST(syscall_copies)
{
	static const struct emu_insn p[] = {
		EI_LDX_MEM(EMU_W, 0, 1, 0), EI_MOV64_REG(2, 0), EI_ALU64_IMM(EMU_MUL, 2, 2),
		EI_STX_MEM(EMU_W, 1, 2, 4), EI_EXIT(),
	};
	struct emu_prog_image *img = xlate(p, EI_COUNT(p));
	uint32_t ctx[2] = { 21, 0 };
	struct emu_test_run_in in = { .ctx_size_in = 8, .ctx_in_set = true, .ctx_in = ctx, .ctx_in_avail = 8,
				      .max_ctx_offset = 8 };
	struct emu_test_run_out out;
	uint32_t got[2];

	ck_assert_int_eq(emu_test_run(img, EMU_PROG_SYSCALL, 0, &in, &out), 0);
	ck_assert_int_eq(out.ret, 0);
	ck_assert_uint_eq(out.retval, 21);
	ck_assert_uint_eq(out.nr_copy, 2);
	ck_assert_uint_eq(out.copy[0].dst, EMU_TR_TO_ATTR);
	ck_assert_uint_eq(out.copy[0].off, TR_RETVAL);
	ck_assert_uint_eq(out.copy[1].dst, EMU_TR_TO_CTX_IN);
	ck_assert_uint_eq(out.copy[1].len, 8);
	memcpy(got, out.copy[1].src, 8);
	ck_assert_uint_eq(got[0], 21);
	ck_assert_uint_eq(got[1], 42);
	ck_assert_uint_eq(ctx[1], 0); /* the caller's copy is the command's to write */
	emu_test_run_out_free(&out);
	/* a context shorter than what the program reads (max_ctx_offset): EINVAL, nothing run */
	in.ctx_size_in = 4;
	in.ctx_in_avail = 4;
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_SYSCALL, 0, &in, &out), -EINVAL);
	emu_test_run_out_free(&out);
	/* the loader's max_ctx_offset missing: the run reads past the context and is stopped */
	in.max_ctx_offset = 0;
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_SYSCALL, 0, &in, &out), -EFAULT);
	ck_assert_ptr_nonnull(strstr(out.fault.msg, "context"));
	emu_test_run_out_free(&out);
	emu_prog_image_free(img);
}
END_TEST

/* XDP data_out: a short buffer gets the first bytes and ENOSPC; with frags, one shorter than
 * the frags gets nothing at all, not even data_size_out */
START_TEST(xdp_partial)
{
	static const struct emu_insn p[] = { EI_MOV64_IMM(0, 2), EI_EXIT() };
	struct emu_prog_image *img = xlate(p, EI_COUNT(p));
	static uint8_t pkt[5000];
	struct emu_test_run_in in = { .data_size_in = 100, .data_in_set = true, .data_in = pkt, .data_in_avail = 100,
				      .data_out_set = true, .data_size_out = 60 };
	struct emu_test_run_out out;

	for (int i = 0; i < 5000; i++)
		pkt[i] = (uint8_t)i;
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_XDP, 0, &in, &out), 0);
	ck_assert_int_eq(out.ret, -ENOSPC);
	ck_assert_uint_eq(out.data_size_out, 100);
	ck_assert_uint_eq(out.copy[0].dst, EMU_TR_TO_DATA_OUT);
	ck_assert_uint_eq(out.copy[0].len, 60);
	ck_assert_int_eq(memcmp(out.copy[0].src, pkt, 60), 0);
	ck_assert_uint_eq(out.nr_copy, 4); /* data, data_size_out, retval, duration */
	ck_assert_uint_eq(out.retval, 2);
	emu_test_run_out_free(&out);
	in.data_size_in = 5000;
	in.data_in_avail = 5000;
	in.data_size_out = 1000; /* the frags hold 1480 */
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_XDP, 0, &in, &out), 0);
	ck_assert_int_eq(out.ret, -ENOSPC);
	ck_assert_uint_eq(out.nr_copy, 0);
	emu_test_run_out_free(&out);
	in.data_size_out = 4000; /* 2520 linear bytes, then the frag's first 1480 */
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_XDP, 0, &in, &out), 0);
	ck_assert_uint_eq(out.copy[0].len, 2520);
	ck_assert_uint_eq(out.copy[1].off, 2520);
	ck_assert_uint_eq(out.copy[1].len, 1480);
	ck_assert_int_eq(memcmp(out.copy[1].src, pkt + 3520, 1480), 0);
	emu_test_run_out_free(&out);
	/* data_in readable only in part: EFAULT (the frag's copy) */
	in.data_in_avail = 4000;
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_XDP, 0, &in, &out), -EFAULT);
	emu_test_run_out_free(&out);
	emu_prog_image_free(img);
}
END_TEST

START_TEST(types)
{
	struct emu_test_run_in in = { 0 };
	struct emu_test_run_out out;

	ck_assert_int_eq(emu_test_run(NULL, EMU_PROG_KPROBE, 0, &in, &out), -EMU_ENOTSUPP);
	emu_test_run_out_free(&out);
	ck_assert_int_eq(emu_test_run(NULL, EMU_PROG_PERF_EVENT, 0, &in, &out), -EMU_ENOTSUPP);
	emu_test_run_out_free(&out);
	ck_assert_int_eq(emu_test_run(NULL, EMU_PROG_FLOW_DISSECTOR, 0, &in, &out), -EOPNOTSUPP);
	emu_test_run_out_free(&out);
	ck_assert(emu_test_run_kernel_has(EMU_PROG_SK_LOOKUP));
	ck_assert(!emu_test_run_emulated(EMU_PROG_SK_LOOKUP));
}
END_TEST

static int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	memcpy(a + MC_TYPE, &type, 4);
	memcpy(a + MC_KEY_SIZE, &ks, 4);
	memcpy(a + MC_VALUE_SIZE, &vs, 4);
	memcpy(a + MC_MAX_ENTRIES, &max, 4);
	return bpfemu_bpf(EMU_BPF_MAP_CREATE, (union bpf_attr *)a, sizeof(a));
}

static int lookup_cpu(int fd, uint32_t key, uint64_t *vals)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	uint64_t k = (uintptr_t)&key, v = (uintptr_t)vals;

	memcpy(a + EL_FD, &fd, 4);
	memcpy(a + EL_KEY, &k, 8);
	memcpy(a + EL_VALUE, &v, 8);
	return bpfemu_bpf(EMU_BPF_MAP_LOOKUP_ELEM, (union bpf_attr *)a, sizeof(a));
}

static uint64_t map_of(int fd, struct emu_map **m)
{
	int mode;

	ck_assert_int_eq(emu_map_get(fd, m, &mode), 0);
	return (uint64_t)(uintptr_t)*m;
}

/* A raw tracepoint on CPU 1 (BPF_F_TEST_RUN_ON_CPU) adds arg0 to its CPU's slot of a per-CPU
 * array through the pointer bpf_map_lookup_elem gave; the command sees it in CPU 1's value. */
START_TEST(percpu_slot)
{
	int fd = map_create(EMU_MAP_PERCPU_ARRAY, 4, 8, 2), ncpu = bpfemu_num_possible_cpus();
	struct emu_map *m;
	uint64_t mp = map_of(fd, &m), vals[ncpu > 0 ? ncpu : 1], args[1] = { 5 };
	struct emu_insn p[] = {
		EI_LDX_MEM(EMU_DW, 6, 1, 0), EI_ST_MEM(EMU_W, 10, -4, 1), EI_LD_IMM64(1, mp), EI_MOV64_REG(2, 10),
		EI_ALU64_IMM(EMU_ADD, 2, -4), EI_CALL_HELPER(EMU_FN_map_lookup_elem), EI_JMP_IMM(EMU_JEQ, 0, 0, 3),
		EI_LDX_MEM(EMU_DW, 1, 0, 0), EI_ALU64_REG(EMU_ADD, 1, 6), EI_STX_MEM(EMU_DW, 0, 1, 0),
		EI_MOV64_IMM(0, 0), EI_EXIT(),
	};
	struct emu_map *maps[1] = { m };
	struct emu_prog_image *img;
	struct emu_test_run_in in = { .ctx_size_in = 8, .ctx_in_set = true, .ctx_in = args, .ctx_in_avail = 8,
				      .maps = maps, .nr_maps = 1, .max_ctx_offset = 8,
				      .flags = EMU_F_TEST_RUN_ON_CPU, .cpu = 1 };
	struct emu_test_run_out out;

	if (ncpu < 2) /* BPFEMU_NR_CPUS=1 */
		return;
	img = xlate(p, EI_COUNT(p));
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_RAW_TRACEPOINT, 0, &in, &out), 0);
	emu_test_run_out_free(&out);
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_RAW_TRACEPOINT, 0, &in, &out), 0);
	emu_test_run_out_free(&out);
	ck_assert_int_eq(lookup_cpu(fd, 1, vals), 0);
	ck_assert_uint_eq(vals[1], 10);
	ck_assert_uint_eq(vals[0], 0);
	/* a map the program does not name is refused at run time */
	in.nr_maps = 0;
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_RAW_TRACEPOINT, 0, &in, &out), -EINVAL);
	emu_test_run_out_free(&out);
	emu_prog_image_free(img);
	emu_map_put(m);
	close(fd);
}
END_TEST

/* bpf_map_pop_elem of an empty queue: -ENOENT and the buffer zeroed */
START_TEST(queue_empty)
{
	int fd = map_create(EMU_MAP_QUEUE, 0, 8, 4);
	struct emu_map *m;
	uint64_t mp = map_of(fd, &m);
	struct emu_insn p[] = {
		EI_MOV64_REG(6, 1), EI_LD_IMM64(2, 0x1122334455667788ull), EI_STX_MEM(EMU_DW, 10, 2, -8),
		EI_LD_IMM64(1, mp), EI_MOV64_REG(2, 10), EI_ALU64_IMM(EMU_ADD, 2, -8),
		EI_CALL_HELPER(EMU_FN_map_pop_elem), EI_STX_MEM(EMU_DW, 6, 0, 0), EI_LDX_MEM(EMU_DW, 1, 10, -8),
		EI_STX_MEM(EMU_DW, 6, 1, 8), EI_MOV64_IMM(0, 0), EI_EXIT(),
	};
	struct emu_map *maps[1] = { m };
	struct emu_prog_image *img = xlate(p, EI_COUNT(p));
	uint64_t ctx[2] = { 0, 0 }, got[2];
	struct emu_test_run_in in = { .ctx_size_in = 16, .ctx_in_set = true, .ctx_in = ctx, .ctx_in_avail = 16,
				      .maps = maps, .nr_maps = 1, .max_ctx_offset = 16 };
	struct emu_test_run_out out;

	ck_assert_int_eq(emu_test_run(img, EMU_PROG_SYSCALL, 0, &in, &out), 0);
	memcpy(got, out.ctx, 16);
	ck_assert_int_eq((int64_t)got[0], -ENOENT);
	ck_assert_uint_eq(got[1], 0);
	emu_test_run_out_free(&out);
	emu_prog_image_free(img);
	emu_map_put(m);
	close(fd);
}
END_TEST

/* ---- TEST_RUN's per-thread arena (emu/prog/test_run_mem.c) ---- */

/* XDP: the packet's first byte + 1 (a store into the arena's packet), XDP_PASS */
static struct emu_prog_image *inc_first_byte(void)
{
	static const struct emu_insn p[] = {
		EI_LDX_MEM(EMU_W, 2, 1, 0), EI_LDX_MEM(EMU_W, 3, 1, 4), EI_MOV64_REG(4, 2),
		EI_ALU64_IMM(EMU_ADD, 4, 1), EI_JMP_REG(EMU_JGT, 4, 3, 3), EI_LDX_MEM(EMU_B, 5, 2, 0),
		EI_ALU64_IMM(EMU_ADD, 5, 1), EI_STX_MEM(EMU_B, 2, 5, 0), EI_MOV64_IMM(0, 2), EI_EXIT(),
	};

	return xlate(p, EI_COUNT(p));
}

/* one run of img on a 64-byte packet of byte v: data_out holds v + 1, then v (out left alive) */
static void run_inc(struct emu_prog_image *img, uint8_t v, struct emu_test_run_out *out)
{
	uint8_t pkt[64];
	struct emu_test_run_in in = { .data_size_in = 64, .data_in_set = true, .data_in = pkt, .data_in_avail = 64,
				      .data_out_set = true, .data_size_out = 64 };
	const uint8_t *d;

	memset(pkt, v, sizeof(pkt));
	ck_assert_int_eq(emu_test_run(img, EMU_PROG_XDP, 0, &in, out), 0);
	ck_assert_uint_eq(out->retval, 2);
	ck_assert_uint_eq(out->copy[0].dst, EMU_TR_TO_DATA_OUT);
	ck_assert_uint_eq(out->copy[0].len, 64);
	d = out->copy[0].src;
	ck_assert_uint_eq(d[0], (uint8_t)(v + 1));
	for (int i = 1; i < 64; i++)
		ck_assert_uint_eq(d[i], v);
}

struct arena_thread {
	struct emu_prog_image *img;
	uint8_t v;
	struct emu_test_run_out kept; /* an out the thread leaves to main, alive past its exit */
};

static void *arena_worker(void *p)
{
	struct arena_thread *a = p;

	for (int i = 0; i < 500; i++) {
		struct emu_test_run_out out;

		run_inc(a->img, (uint8_t)(a->v + i), &out);
		emu_test_run_out_free(&out);
	}
	run_inc(a->img, a->v, &a->kept);
	return NULL;
}

/* Outs alive together in one thread, outs outliving their thread and freed by another, and
 * threads running at once: each run sees its own packet, and every out its own bytes until it
 * is freed (the ASan build poisons the arena outside the pieces handed out). */
START_TEST(arena_threads)
{
	struct emu_prog_image *img = inc_first_byte();
	struct emu_test_run_out o1, o2, o3;
	struct arena_thread th[4];
	pthread_t id[4];

	/* o1 holds the thread's arena; o2 is malloc'd; o1's bytes stay o1's */
	run_inc(img, 10, &o1);
	run_inc(img, 20, &o2);
	ck_assert_uint_eq(((const uint8_t *)o1.copy[0].src)[0], 11);
	ck_assert_uint_eq(((const uint8_t *)o1.copy[0].src)[63], 10);
	emu_test_run_out_free(&o1);
	run_inc(img, 30, &o3); /* the arena again, o2 still alive */
	ck_assert_uint_eq(((const uint8_t *)o2.copy[0].src)[0], 21);
	ck_assert_uint_eq(((const uint8_t *)o2.copy[0].src)[63], 20);
	emu_test_run_out_free(&o2);
	emu_test_run_out_free(&o3);

	for (int i = 0; i < 4; i++) {
		th[i] = (struct arena_thread){ .img = img, .v = (uint8_t)(i * 50) };
		ck_assert_int_eq(pthread_create(&id[i], NULL, arena_worker, &th[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(id[i], NULL), 0);
	/* each thread has exited holding its arena in `kept`: still readable, freed here */
	for (int i = 0; i < 4; i++) {
		const uint8_t *d = th[i].kept.copy[0].src;

		ck_assert_uint_eq(d[0], (uint8_t)(th[i].v + 1));
		ck_assert_uint_eq(d[63], th[i].v);
		emu_test_run_out_free(&th[i].kept);
	}
	emu_prog_image_free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("helpers");
	TCase *tc = tcase_create("helpers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, table_agrees);
	tcase_add_test(tc, trace_line);
	tcase_add_test(tc, csum);
	tcase_add_test(tc, syscall_copies);
	tcase_add_test(tc, xdp_partial);
	tcase_add_test(tc, types);
	tcase_add_test(tc, percpu_slot);
	tcase_add_test(tc, queue_empty);
	tcase_add_test(tc, arena_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
