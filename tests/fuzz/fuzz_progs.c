/* SPDX-License-Identifier: MIT */
/*
 * fuzz_maps' program and BTF operations (opcode 19 of fuzz_maps.c's run_op, then a sub-opcode):
 *
 *   BTF_LOAD   a blob built from the input: a sequence of types of every kind (int, ptr, array,
 *              struct/union with members, enum, fwd, typedef, volatile/const, func_proto with
 *              params, func, var, datasec) whose fields (sizes, encodings, vlen, type ids, name
 *              offsets, linkage, bit offsets) come from the input, valid or not, and a few bytes
 *              flipped; loaded on both sides through the harness (answer, errno, log_true_size and
 *              every byte of the log, at level 0, 1 or 2).
 *   PROG_LOAD  a socket filter of one of three families, valid as generated: ALU (every ALU and
 *              ALU32 operation, signed division and moves, byte swaps, on registers the input
 *              fills, folded into r0), map (a lookup in a live map of fuzz_maps, an atomic add
 *              into the value or an insert with BPF_NOEXIST whose answer is the program's), and
 *              stack (stores and loads at input-chosen offsets). With an input-chosen fault of a
 *              kind the verifier catches (an uninitialized register, the stack out of bounds, a
 *              shift past the width, a jump out of the program, an unknown helper, no exit, a
 *              write to r10, division by a constant zero, a map value read one past its end, an
 *              ld_imm64 of an fd that is no map, an unknown opcode). Loaded on each side with its
 *              own map fds: the answer and errno must agree, and a refusal's log's first line; an
 *              accepted program's tag, xlated length and map count must agree.
 *   TEST_RUN   an accepted pair run on both with an input-chosen packet: answer, errno, retval,
 *              data_size_out and data_out compared, then the map the program uses, whole.
 *
 * A kernel refusal the emulator accepts is a divergence here: every fault generated is of a kind
 * the emulator's checker must catch (tests/diff/diff_check.c measures the others).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_maps.h"
#include "prog/insn_build.h"

#define MAX_INSNS 96
#define NPROGS 4
#define LOG_SIZE 65536

struct fprog {
	int fd[2];
	bool live;
	int slot; /* the map slot it uses, -1 */
};
static struct fprog progs[NPROGS];
static char logs[2][LOG_SIZE];

void fz_progs_reset(void)
{
	for (int i = 0; i < NPROGS; i++) {
		if (progs[i].live) {
			close(progs[i].fd[0]);
			close(progs[i].fd[1]);
		}
		progs[i].live = false;
	}
}

static void put32(unsigned char *a, unsigned off, uint32_t v) { memcpy(a + off, &v, 4); }
static void putp(unsigned char *a, unsigned off, const void *p) { uint64_t v = (uintptr_t)p; memcpy(a + off, &v, 8); }
static uint32_t get32(const unsigned char *a, unsigned off)
{
	uint32_t v;

	memcpy(&v, a + off, 4);
	return v;
}

/* ---- BTF ---- */

struct bbuf {
	unsigned char t[4096];
	uint32_t tl;
	char s[1024];
	uint32_t sl;
};

static void t32(struct bbuf *b, uint32_t v)
{
	if (b->tl + 4 <= sizeof(b->t)) {
		memcpy(b->t + b->tl, &v, 4);
		b->tl += 4;
	}
}

static uint32_t name(struct bbuf *b)
{
	static const char *const names[] = { "a", "b", "int", "val", "_x", "s2", "main", ".data", "9bad", "a.b", "" };
	uint8_t k = fz_u8();
	const char *n;
	uint32_t off;

	if (k >= 0xf8)
		return fz_u32() % (b->sl + 8); /* any offset, past the end too */
	if (k % 4 == 0)
		return 0;
	n = names[k % (sizeof(names) / sizeof(names[0]))];
	if (b->sl + strlen(n) + 1 > sizeof(b->s))
		return 0;
	off = b->sl;
	memcpy(b->s + off, n, strlen(n) + 1);
	b->sl += (uint32_t)strlen(n) + 1;
	return off;
}

static void op_btf(void)
{
	static unsigned char blob[sizeof(((struct bbuf *)0)->t) + 1024 + 24];
	struct bbuf b;
	uint32_t ntypes = fz_u8() % 12 + 1, size, hdr[6];
	uint8_t how = fz_u8();
	struct hx_op op;
	struct hx_buf *lb;

	memset(&b, 0, sizeof(b));
	b.sl = 1;
	for (uint32_t id = 1; id <= ntypes; id++) {
		uint8_t kind = fz_u8() % 20, vlen = fz_u8();
		uint32_t ref = fz_u8() % (ntypes + 2); /* a type id: 0 (void) .. past the last */

		switch (kind) {
		default: /* INT */
			t32(&b, name(&b));
			t32(&b, (1u << 24) | (vlen >= 0xf0 ? vlen & 0xf : 0));
			size = (uint32_t[]){ 1, 2, 4, 8, 16, 3, 0, 32 }[fz_u8() % 8];
			t32(&b, size);
			t32(&b, ((uint32_t)(fz_u8() % 9) << 24) | ((uint32_t)(fz_u8() % 4 ? 0 : fz_u8() % 64) << 16) |
				       (fz_u8() % 4 ? size * 8 : fz_u8() % 130));
			break;
		case 6: case 7: case 8: case 9: case 10: /* PTR, TYPEDEF, VOLATILE, CONST, RESTRICT */
			t32(&b, kind == 7 ? name(&b) : 0);
			t32(&b, (uint32_t)(kind == 6 ? 2 : kind == 7 ? 8 : kind == 8 ? 9 : kind == 9 ? 10 : 11) << 24);
			t32(&b, ref);
			break;
		case 11: /* ARRAY */
			t32(&b, 0);
			t32(&b, 3u << 24);
			t32(&b, 0);
			t32(&b, ref);
			t32(&b, fz_u8() % (ntypes + 2));
			t32(&b, fz_u8() % 4 ? fz_u8() : fz_u32());
			break;
		case 12: case 13: { /* STRUCT, UNION */
			uint32_t n = vlen % 5, sz = fz_u8();

			t32(&b, name(&b));
			t32(&b, ((kind == 12 ? 4u : 5u) << 24) | (fz_u8() >= 0xf0 ? 1u << 31 : 0) | n);
			t32(&b, sz);
			for (uint32_t i = 0; i < n; i++) {
				t32(&b, name(&b));
				t32(&b, fz_u8() % (ntypes + 2));
				t32(&b, fz_u8() % 4 ? i * 32 : fz_u32() % 512);
			}
			break;
		}
		case 14: { /* ENUM */
			uint32_t n = vlen % 4;

			t32(&b, name(&b));
			t32(&b, (6u << 24) | n);
			t32(&b, fz_u8() % 3 ? 4 : fz_u8() % 9);
			for (uint32_t i = 0; i < n; i++) {
				t32(&b, name(&b));
				t32(&b, fz_u8());
			}
			break;
		}
		case 15: /* FWD */
			t32(&b, name(&b));
			t32(&b, (7u << 24) | (fz_u8() % 2 ? 1u << 31 : 0));
			t32(&b, 0);
			break;
		case 16: { /* FUNC_PROTO */
			uint32_t n = vlen % 4;

			t32(&b, fz_u8() % 8 ? 0 : name(&b));
			t32(&b, (13u << 24) | n);
			t32(&b, ref);
			for (uint32_t i = 0; i < n; i++) {
				t32(&b, name(&b));
				t32(&b, fz_u8() % (ntypes + 2));
			}
			break;
		}
		case 17: /* FUNC */
			t32(&b, name(&b));
			t32(&b, (12u << 24) | (uint32_t)(fz_u8() % 4 ? fz_u8() % 3 : fz_u8()));
			t32(&b, ref);
			break;
		case 18: /* VAR */
			t32(&b, name(&b));
			t32(&b, 14u << 24);
			t32(&b, ref);
			t32(&b, fz_u8() % 4 ? fz_u8() % 2 : fz_u8()); /* linkage: static, global, junk */
			break;
		case 19: { /* DATASEC */
			uint32_t n = vlen % 3;

			t32(&b, name(&b));
			t32(&b, (15u << 24) | n);
			t32(&b, fz_u8());
			for (uint32_t i = 0; i < n; i++) {
				t32(&b, fz_u8() % (ntypes + 2));
				t32(&b, fz_u8() % 64);
				t32(&b, fz_u8() % 16);
			}
			break;
		}
		}
	}
	hdr[0] = 0xeb9f | (1u << 16);
	hdr[1] = 24;
	hdr[2] = 0;
	hdr[3] = b.tl;
	hdr[4] = b.tl;
	hdr[5] = b.sl;
	memcpy(blob, hdr, 24);
	memcpy(blob + 24, b.t, b.tl);
	memcpy(blob + 24 + b.tl, b.s, b.sl);
	size = 24 + b.tl + b.sl;
	for (int i = 0; i < (how >> 5); i++) /* a few bytes flipped */
		blob[fz_u8() % size] ^= (uint8_t)(1u << (fz_u8() % 8));

	fz_set_op("BTF_LOAD");
	hx_op_init(&op, EMU_BPF_BTF_LOAD);
	hx_op_buf(&op, BTF_BLOB, size, blob, NULL);
	hx_op_u32(&op, BTF_SIZE, how % 16 == 15 ? size - 1 : size);
	if (how & 0x10) {
		uint32_t ls = fz_u8() % 2 ? 4096 : fz_u8() + 1;

		hx_op_u32(&op, BTF_LOG_LEVEL, 1 + (how & 1));
		hx_op_u32(&op, BTF_LOG_SIZE, ls);
		lb = hx_op_buf(&op, BTF_LOG_BUF, ls, NULL, NULL);
		(void)lb;
	}
	op.ret_fd = true;
	fz_run(&op);
}

/* ---- programs ---- */

enum fault {
	F_NONE, F_UNINIT, F_STACK_OOB, F_SHIFT, F_JMP_RANGE, F_HELPER, F_NOEXIT, F_R10, F_DIV0, F_MAP_OOB, F_BADFD,
	F_OPCODE, F_NR
};

struct gen {
	struct emu_insn in[MAX_INSNS + 8];
	uint32_t n;
	int mapfd_at[4]; /* instructions whose imm is the map fd (each side its own) */
	int nmap;
};

static void emit(struct gen *g, struct emu_insn i)
{
	if (g->n < MAX_INSNS + 8)
		g->in[g->n++] = i;
}

static void ld_map(struct gen *g, uint8_t reg)
{
	if (g->nmap < 4)
		g->mapfd_at[g->nmap++] = (int)g->n;
	emit(g, EI_RAW(EMU_LD_IMM64, reg, EMU_PSEUDO_MAP_FD, 0, 0));
	emit(g, EI_RAW(0, 0, 0, 0, 0));
}

static const uint8_t alu_ops[] = { EMU_ADD, EMU_SUB, EMU_MUL, EMU_DIV, EMU_OR, EMU_AND, EMU_LSH, EMU_RSH,
				   EMU_NEG, EMU_MOD, EMU_XOR, EMU_MOV, EMU_ARSH, EMU_END };

/* ALU: r0..r9 from the input, then operations, folded into r0. */
static void gen_alu(struct gen *g)
{
	uint32_t n = fz_u8() % 24 + 1;

	for (uint8_t r = 0; r <= 9; r++) {
		if (fz_u8() % 4) {
			emit(g, EI_MOV64_IMM(r, (int32_t)fz_u32()));
		} else { /* a 64-bit constant */
			emit(g, EI_RAW(EMU_LD_IMM64, r, 0, 0, (int32_t)fz_u32()));
			emit(g, EI_RAW(0, 0, 0, 0, (int32_t)fz_u32()));
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint8_t a = fz_u8(), regs = fz_u8(), op = alu_ops[a % sizeof(alu_ops)];
		bool is64 = a & 0x80, useimm = a & 0x40;
		uint8_t d = regs % 10, s = (regs >> 4) % 10;
		int32_t imm = (int8_t)fz_u8();
		uint8_t cls = is64 ? EMU_ALU64 : EMU_ALU;
		int16_t off = 0;

		if (op == EMU_END) {
			static const int32_t widths[] = { 16, 32, 64 };

			emit(g, is64 ? EI_BSWAP(d, widths[(uint8_t)imm % 3]) :
				       EI_ENDIAN(useimm ? EMU_TO_BE : EMU_TO_LE, d, widths[(uint8_t)imm % 3]));
			continue;
		}
		if (op == EMU_LSH || op == EMU_RSH || op == EMU_ARSH)
			imm &= is64 ? 63 : 31;
		if ((op == EMU_DIV || op == EMU_MOD) && useimm && !imm)
			imm = 1;
		if ((op == EMU_DIV || op == EMU_MOD) && (a & 0x20))
			off = 1; /* signed */
		if (op == EMU_MOV && !useimm && (a & 0x20))
			off = (int16_t)(uint8_t[]){ 8, 16, 32 }[regs % 3] ; /* movsx */
		if (op == EMU_MOV && !useimm && !is64 && off == 32)
			off = 16;
		if (op == EMU_NEG)
			emit(g, EI_RAW(cls | EMU_NEG, d, 0, 0, 0));
		else
			emit(g, EI_RAW(cls | op | (useimm ? EMU_K : EMU_X), d, useimm ? 0 : s, off, useimm ? imm : 0));
	}
	for (uint8_t r = 1; r <= 9; r++)
		emit(g, EI_ALU64_REG(r % 2 ? EMU_ADD : EMU_XOR, 0, r));
	emit(g, EI_MOV64_REG(1, 0));
	emit(g, EI_ALU64_IMM(EMU_RSH, 1, 32));
	emit(g, EI_ALU64_REG(EMU_XOR, 0, 1));
}

/* Map: key from the input; found: atomic add into the value, r0 the value; else insert. */
static void gen_map(struct gen *g, const struct hx_pair *p, enum fault f)
{
	uint32_t key = fz_u8() % (p->max_entries ? p->max_entries : 1);
	int32_t add = (int8_t)fz_u8();

	emit(g, EI_ST_MEM(EMU_W, 10, -4, (int32_t)key));
	ld_map(g, 1);
	emit(g, EI_MOV64_REG(2, 10));
	emit(g, EI_ALU64_IMM(EMU_ADD, 2, -4));
	emit(g, EI_CALL_HELPER(EMU_FN_map_lookup_elem));
	emit(g, EI_JMP_IMM(EMU_JEQ, 0, 0, f == F_MAP_OOB ? 5 : 4));
	emit(g, EI_MOV64_IMM(1, add));
	emit(g, EI_ATOMIC(EMU_DW, EMU_ADD, 0, 1, 0));
	if (f == F_MAP_OOB)
		emit(g, EI_LDX_MEM(EMU_B, 3, 0, (int16_t)p->value_size)); /* one past the end */
	emit(g, EI_LDX_MEM(EMU_DW, 0, 0, 0));
	emit(g, EI_EXIT());
	emit(g, EI_ST_MEM(EMU_DW, 10, -16, add));
	emit(g, EI_ST_MEM(EMU_DW, 10, -24, 0));
	/* the value is read from fp-24 for value_size bytes (24 at the most within the frame): every
	 * byte up to the key written, or a privileged kernel copies its stack's old contents where
	 * the emulator's are zero */
	emit(g, EI_ST_MEM(EMU_W, 10, -8, 0));
	ld_map(g, 1);
	emit(g, EI_MOV64_REG(2, 10));
	emit(g, EI_ALU64_IMM(EMU_ADD, 2, -4));
	emit(g, EI_MOV64_REG(3, 10));
	emit(g, EI_ALU64_IMM(EMU_ADD, 3, -24));
	emit(g, EI_MOV64_IMM(4, fz_u8() % 3)); /* BPF_ANY, NOEXIST, EXIST */
	emit(g, EI_CALL_HELPER(EMU_FN_map_update_elem));
}

/* Stack: stores then loads at input-chosen slots. */
static void gen_stack(struct gen *g)
{
	uint32_t n = fz_u8() % 8 + 1;

	emit(g, EI_MOV64_IMM(0, 0));
	for (uint32_t i = 0; i < n; i++)
		emit(g, EI_ST_MEM(EMU_DW, 10, -8 * (int16_t)(i + 1), (int32_t)fz_u32()));
	for (uint32_t i = 0; i < n; i++) {
		static const uint8_t sz[] = { EMU_B, EMU_H, EMU_W, EMU_DW };
		uint8_t k = fz_u8(), size = sz[k % 4];
		int16_t off = -8 * (int16_t)(k / 4 % n + 1);

		emit(g, EI_LDX_MEM(size, 1, 10, off));
		emit(g, EI_ALU64_REG(EMU_ADD, 0, 1));
	}
}

/* Where a fault goes: at the start, or in place of the end. */
static void fault_head(struct gen *g, enum fault f)
{
	switch (f) {
	case F_UNINIT: emit(g, EI_MOV64_REG(0, 2 + fz_u8() % 4)); emit(g, EI_ALU64_REG(EMU_ADD, 6, 0)); break;
	case F_STACK_OOB: emit(g, EI_ST_MEM(EMU_DW, 10, fz_u8() % 2 ? 8 : -520, 0)); break;
	case F_SHIFT: emit(g, EI_MOV64_IMM(1, 1)); emit(g, EI_ALU64_IMM(EMU_LSH, 1, 64 + fz_u8() % 64)); break;
	case F_JMP_RANGE: emit(g, EI_JA(MAX_INSNS + fz_u8())); break;
	case F_HELPER: emit(g, EI_CALL_HELPER(300 + fz_u8())); break;
	case F_R10: emit(g, EI_MOV64_IMM(10, 0)); break;
	case F_DIV0: emit(g, EI_MOV64_IMM(1, 1)); emit(g, EI_ALU64_IMM(EMU_DIV, 1, 0)); break;
	case F_BADFD:
		emit(g, EI_RAW(EMU_LD_IMM64, 1, EMU_PSEUDO_MAP_FD, 0, fz_devnull()));
		emit(g, EI_RAW(0, 0, 0, 0, 0));
		break;
	case F_OPCODE: emit(g, EI_RAW(0xff - fz_u8() % 8 * 0x10, 0, 0, 0, 0)); break;
	default: break;
	}
}

static long load(int side, const struct gen *g, int mapfd, char *log, uint32_t level)
{
	static struct emu_insn in[MAX_INSNS + 8];
	unsigned char a[EMU_ATTR_SIZE];

	memcpy(in, g->in, g->n * sizeof(in[0]));
	for (int i = 0; i < g->nmap; i++)
		in[g->mapfd_at[i]].imm = mapfd;
	memset(a, 0, sizeof(a));
	put32(a, PL_TYPE, EMU_PROG_SOCKET_FILTER);
	put32(a, PL_INSN_CNT, g->n);
	putp(a, PL_INSNS, in);
	putp(a, PL_LICENSE, "GPL");
	memcpy(a + PL_NAME, "fuzz", 4);
	if (level) {
		log[0] = 0;
		put32(a, PL_LOG_LEVEL, level);
		put32(a, PL_LOG_SIZE, LOG_SIZE);
		putp(a, PL_LOG_BUF, log);
	}
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

static void diverge(const char *what, const char *k, const char *e)
{
	fprintf(stderr, "DIVERGENCE in %s\n    %s: kernel %s, emulator %s\n", fz_op(), what, k, e);
	hx_ndiv++;
	fz_check();
}

static void diverge_ret(const char *what, long k, long e)
{
	char kb[64], eb[64];

	snprintf(kb, sizeof(kb), "%ld%s%s", k, k < 0 ? " " : "", k < 0 ? hx_errname((int)-k) : "");
	snprintf(eb, sizeof(eb), "%ld%s%s", e, e < 0 ? " " : "", e < 0 ? hx_errname((int)-e) : "");
	diverge(what, kb, eb);
}

/* The last line of a refusal's log before the statistics ("processed N insns ..."). */
static void error_line(const char *log, char *out, size_t len)
{
	const char *end = log + strnlen(log, LOG_SIZE), *p = end, *line = log;

	out[0] = 0;
	while (p > log) {
		const char *e = p, *b;

		while (e > log && e[-1] == '\n')
			e--;
		b = e;
		while (b > log && b[-1] != '\n')
			b--;
		if (e == b)
			break;
		if (strncmp(b, "processed ", 10) && strncmp(b, "verification time", 17)) {
			line = b;
			snprintf(out, len, "%.*s", (int)(e - line), line);
			return;
		}
		p = b;
	}
}

static void compare_info(int kfd, int efd, uint32_t cnt)
{
	unsigned char ki[PI_SIZE], ei[PI_SIZE], a[EMU_ATTR_SIZE];
	long r[2];

	for (int s = 0; s < 2; s++) {
		unsigned char *i = s ? ei : ki;

		memset(i, 0, PI_SIZE);
		memset(a, 0, sizeof(a));
		put32(a, INFO_FD, (uint32_t)(s ? efd : kfd));
		put32(a, INFO_LEN, PI_SIZE);
		putp(a, INFO_PTR, i);
		r[s] = hx_raw(s ? HX_E : HX_K, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a));
	}
	if (r[0] != r[1])
		diverge_ret("program info: the answer differs", r[0], r[1]);
	if (r[0])
		return;
	if (memcmp(ki + PI_TAG, ei + PI_TAG, 8))
		diverge("program info: the tag differs", "(8 bytes)", "(8 bytes)");
	if (get32(ki, PI_TYPE) != get32(ei, PI_TYPE) || get32(ki, PI_NR_MAP_IDS) != get32(ei, PI_NR_MAP_IDS))
		diverge_ret("program info: type or nr_map_ids differs", get32(ki, PI_NR_MAP_IDS), get32(ei, PI_NR_MAP_IDS));
	/* the kernel's own rewrites change its xlated length: compared where it rewrote nothing */
	if (get32(ki, PI_XLATED_PROG_LEN) == cnt * 8 && get32(ei, PI_XLATED_PROG_LEN) != cnt * 8)
		diverge_ret("program info: xlated_prog_len differs", get32(ki, PI_XLATED_PROG_LEN), get32(ei, PI_XLATED_PROG_LEN));
}

static void test_run(struct fprog *p)
{
	unsigned char pkt[256], out[2][512], a[2][EMU_ATTR_SIZE];
	uint32_t n = 14 + fz_u8() % 200, nout = fz_u8() % 4 ? sizeof(out[0]) : fz_u8() % 64;
	long r[2];

	fz_set_op("PROG_TEST_RUN");
	for (uint32_t i = 0; i < n; i++)
		pkt[i] = fz_u8();
	for (int s = 0; s < 2; s++) {
		memset(out[s], 0xa5, sizeof(out[s]));
		memset(a[s], 0, EMU_ATTR_SIZE);
		put32(a[s], TR_PROG_FD, (uint32_t)p->fd[s]);
		put32(a[s], TR_DATA_SIZE_IN, n);
		putp(a[s], TR_DATA_IN, pkt);
		put32(a[s], TR_DATA_SIZE_OUT, nout);
		putp(a[s], TR_DATA_OUT, out[s]);
		put32(a[s], TR_REPEAT, 1);
		r[s] = hx_raw(s ? HX_E : HX_K, EMU_BPF_PROG_TEST_RUN, a[s], EMU_ATTR_SIZE);
	}
	if (getenv("FUZZ_MAPS_TRACE"))
		fprintf(stderr, "[PROG_TEST_RUN %u bytes] -> kernel %ld retval %u, emulator %ld retval %u\n", n, r[0],
			get32(a[0], TR_RETVAL), r[1], get32(a[1], TR_RETVAL));
	if (r[0] != r[1])
		diverge_ret("the answer differs", r[0], r[1]);
	if (get32(a[0], TR_RETVAL) != get32(a[1], TR_RETVAL))
		diverge_ret("retval differs", get32(a[0], TR_RETVAL), get32(a[1], TR_RETVAL));
	if (get32(a[0], TR_DATA_SIZE_OUT) != get32(a[1], TR_DATA_SIZE_OUT))
		diverge_ret("data_size_out differs", get32(a[0], TR_DATA_SIZE_OUT), get32(a[1], TR_DATA_SIZE_OUT));
	if (memcmp(out[0], out[1], sizeof(out[0])))
		diverge("data_out differs", "(bytes)", "(bytes)");
	if (p->slot >= 0 && fz_map(p->slot)) {
		fz_set_op("the map of a program, after its run");
		hx_compare_contents(fz_map(p->slot));
		fz_check();
	}
}

static bool map_ok(const struct hx_pair *p)
{
	return p && p->key_size == 4 && p->value_size >= 8 && p->value_size <= 512 &&
	       (p->type == EMU_MAP_ARRAY || p->type == EMU_MAP_HASH || p->type == EMU_MAP_PERCPU_ARRAY ||
		p->type == EMU_MAP_PERCPU_HASH) &&
	       !(p->flags & (EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG));
}

static void op_prog(void)
{
	static struct gen g;
	uint8_t fam = fz_u8() % 3, fb = fz_u8(), level = fz_u8() % 3;
	enum fault f = fb < 0xa0 ? F_NONE : (enum fault)(1 + (fb - 0xa0) % (F_NR - 1));
	int slot = -1;
	struct fprog *p = NULL;
	long r[2];

	memset(&g, 0, sizeof(g));
	if (fam == 1) {
		slot = fz_u8() % 4;
		if (!map_ok(fz_map(slot)))
			fam = 0, slot = -1;
	}
	if (f == F_MAP_OOB && fam != 1)
		f = F_STACK_OOB;
	fz_set_op(f == F_NONE ? "PROG_LOAD" : "PROG_LOAD (a program with a fault the verifier catches)");
	fault_head(&g, f);
	if (fam == 0)
		gen_alu(&g);
	else if (fam == 1)
		gen_map(&g, fz_map(slot), f);
	else
		gen_stack(&g);
	if (f != F_NOEXIT)
		emit(&g, EI_EXIT());
	for (int s = 0; s < 2; s++)
		r[s] = load(s ? HX_E : HX_K, &g, slot >= 0 ? fz_map(slot)->fd[s] : -1, logs[s], level);
	if (getenv("FUZZ_MAPS_TRACE"))
		fprintf(stderr, "[PROG_LOAD family %u fault %d, %u insns] -> kernel %ld, emulator %ld: %.*s\n", fam, (int)f,
			g.n, r[0], r[1], (int)strcspn(logs[0], "\n"), level ? logs[0] : "");
	if ((r[0] < 0) != (r[1] < 0) || (r[0] < 0 && r[0] != r[1])) {
		for (int s = 0; s < 2; s++)
			if (r[s] >= 0)
				close((int)r[s]);
		diverge_ret("the answer differs", r[0], r[1]);
		return;
	}
	if (r[0] < 0) {
		size_t kl = strcspn(logs[0], "\n"), el = strcspn(logs[1], "\n");
		char kerr[256], eerr[256];

		if (!level)
			return;
		/* the first line, and the refusal's own line (at level 1 and 2 the first is the
		 * walk's first state) */
		error_line(logs[0], kerr, sizeof(kerr));
		error_line(logs[1], eerr, sizeof(eerr));
		if (getenv("FUZZ_MAPS_TRACE"))
			fprintf(stderr, "  refusal: kernel '%s', emulator '%s'\n", kerr, eerr);
		if (strcmp(kerr, eerr))
			diverge("the verifier's refusal line differs", kerr, eerr);
		if (kl != el || memcmp(logs[0], logs[1], kl)) {
			logs[0][kl] = logs[1][el] = 0;
			diverge("the verifier log's first line differs", logs[0], logs[1]);
		}
		return;
	}
	compare_info((int)r[0], (int)r[1], g.n);
	for (int i = 0; i < NPROGS && !p; i++)
		if (!progs[i].live)
			p = &progs[i];
	if (!p) {
		p = &progs[fz_u8() % NPROGS];
		close(p->fd[0]);
		close(p->fd[1]);
	}
	p->fd[0] = (int)r[0];
	p->fd[1] = (int)r[1];
	p->live = true;
	p->slot = slot;
	test_run(p);
}

void fz_prog_op(void)
{
	switch (fz_u8() % 4) {
	case 0:
		op_btf();
		break;
	case 1:
	case 2:
		op_prog();
		break;
	default: {
		struct fprog *p = &progs[fz_u8() % NPROGS];

		if (p->live && (p->slot < 0 || map_ok(fz_map(p->slot))))
			test_run(p);
		break;
	}
	}
}
