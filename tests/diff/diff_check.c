/* SPDX-License-Identifier: MIT */
/*
 * Differential test of the load-time checks (emu/prog/check.h) against the running kernel.
 * Every program is loaded on the kernel with raw bpf(BPF_PROG_LOAD) and checked by
 * emu_prog_check() with a resolver that describes the same kernel maps. Corpus:
 *
 *   - hand-written programs (check_cases.c): one group per reason the kernel refuses, and valid
 *     programs of every type;
 *   - clang-built programs (check_src/ sources, built at build time, opened with libbpf, which loads
 *     them once so their instructions carry real map fds);
 *   - mutations of the valid ones (offsets, immediates, registers, jumps, opcodes, checks removed);
 *   - two matrices: every helper id for every program type (allowed or not), and every ctx
 *     offset and size, read and written, for every type.
 *
 * Failures: any program the kernel accepts and the checker refuses; a hand-written case (not
 * marked loose) the checker misses or answers with another errno or error line; a tag or
 * verified_insns mismatch on accepted programs where the walk is complete. The report prints the
 * catch rate per reason. --expect-divergence (with a planted fault) inverts the exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../../emu/prog/check.h"
#include "../../emu/uapi/bpf_uapi.h"
#include "check_cases.h"
#include "harness.h" /* hx_log_error_line */

#define LOG_SIZE (1u << 22)

static int map_fds[M_COUNT];
static char *klog, *elog;
static uint32_t log_level = 1;
static unsigned n_level_first_ok, n_level_first_bad;
static unsigned n_false_reject, n_must_fail, n_tag_bad, n_vi_bad, n_vi_ok, n_tag_ok;
static unsigned reports, report_max = 40;

static long sys_bpf(int cmd, void *attr, unsigned size) { return syscall(__NR_bpf, cmd, attr, size); }

static int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	uint8_t a[EMU_ATTR_SIZE] = {0};

	memcpy(a + MC_TYPE, &type, 4);
	memcpy(a + MC_KEY_SIZE, &ks, 4);
	memcpy(a + MC_VALUE_SIZE, &vs, 4);
	memcpy(a + MC_MAX_ENTRIES, &max, 4);
	memcpy(a + MC_FLAGS, &flags, 4);
	return (int)sys_bpf(EMU_BPF_MAP_CREATE, a, sizeof(a));
}

static uint8_t rodata[8][4096];

/* the resolver: a kernel map fd described through BPF_OBJ_GET_INFO_BY_FD */
static int resolve(void *ctx, int fd, struct emu_map_desc *d)
{
	char path[64], link[64];
	uint8_t info[MI_SIZE] = {0}, a[EMU_ATTR_SIZE] = {0};
	uint32_t len = sizeof(info);
	uint64_t p = (uintptr_t)info;
	ssize_t n;

	(void)ctx;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	if (strcmp(link, "anon_inode:bpf-map"))
		return -EINVAL;
	memcpy(a + INFO_FD, &fd, 4);
	memcpy(a + INFO_LEN, &len, 4);
	memcpy(a + INFO_PTR, &p, 8);
	if (sys_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a)))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	memcpy(&d->type, info + MI_TYPE, 4);
	memcpy(&d->id, info + MI_ID, 4);
	memcpy(&d->key_size, info + MI_KEY_SIZE, 4);
	memcpy(&d->value_size, info + MI_VALUE_SIZE, 4);
	memcpy(&d->max_entries, info + MI_MAX_ENTRIES, 4);
	memcpy(&d->map_flags, info + MI_MAP_FLAGS, 4);
	memcpy(d->name, info + MI_NAME, 16);
	d->name[15] = 0;
	/* libbpf freezes the read-only data maps it makes; their contents are constants to the
	 * verifier */
	d->frozen = (d->map_flags & EMU_F_RDONLY_PROG) != 0;
	if (d->frozen && d->type == EMU_MAP_ARRAY && d->max_entries == 1 && d->value_size <= sizeof(rodata[0])) {
		uint8_t la[EMU_ATTR_SIZE] = {0};
		uint32_t key = 0, slot = (uint32_t)fd % 8;
		uint64_t kp = (uintptr_t)&key, vp = (uintptr_t)rodata[slot];

		memcpy(la + EL_FD, &fd, 4);
		memcpy(la + EL_KEY, &kp, 8);
		memcpy(la + EL_VALUE, &vp, 8);
		if (!sys_bpf(EMU_BPF_MAP_LOOKUP_ELEM, la, sizeof(la)))
			d->frozen_value = rodata[slot];
	}
	d->handle = (void *)(uintptr_t)d->id;
	return 0;
}

/* BTF and func_info of the clang-built program being run (cnt 0: none) */
static struct {
	int btf_fd;
	const struct btf *btf;
	uint32_t rec[2 * 64];
	uint32_t cnt, rec_size; /* rec_size 0: 8 */
} cur_fi;

static bool fi_type_is_func(const void *b, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	return t && btf_is_func(t);
}

static bool fi_str_ok(const void *b, uint32_t off) { return btf__str_by_offset(b, off) != NULL; }

static int fi_linkage(const void *b, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	return t ? (int)btf_vlen(t) : -1;
}

static const struct emu_check_btf_ops fi_ops = {fi_type_is_func, fi_str_ok, fi_linkage};

struct kres {
	int err;           /* 0 or errno */
	uint8_t tag[8];
	uint32_t verified;
	bool log_full;     /* the first line was rolled out of the log */
	uint32_t xlated_cnt; /* instructions in kxlated */
};

static struct emu_insn kxlated[65536];
static unsigned n_xl_ok, n_xl_bad;

static void kernel_load(const struct check_case *c, const struct emu_insn *insn, uint32_t cnt, const int *fd_array,
			struct kres *r)
{
	uint8_t a[EMU_ATTR_SIZE] = {0};
	const char *lic = c->nongpl ? "MIT" : "GPL";
	uint64_t p;
	uint32_t v;
	long fd;

	p = (uintptr_t)insn;
	memcpy(a + PL_TYPE, &c->type, 4);
	memcpy(a + PL_INSN_CNT, &cnt, 4);
	memcpy(a + PL_INSNS, &p, 8);
	p = (uintptr_t)lic;
	memcpy(a + PL_LICENSE, &p, 8);
	v = log_level;
	memcpy(a + PL_LOG_LEVEL, &v, 4);
	v = LOG_SIZE;
	memcpy(a + PL_LOG_SIZE, &v, 4);
	p = (uintptr_t)klog;
	memcpy(a + PL_LOG_BUF, &p, 8);
	memcpy(a + PL_PROG_FLAGS, &c->flags, 4);
	memcpy(a + PL_EXPECTED_ATTACH, &c->eat, 4);
	if (fd_array) {
		p = (uintptr_t)fd_array;
		memcpy(a + PL_FD_ARRAY, &p, 8);
	}
	if (cur_fi.cnt) {
		uint32_t rs = cur_fi.rec_size ? cur_fi.rec_size : 8;

		memcpy(a + PL_BTF_FD, &cur_fi.btf_fd, 4);
		memcpy(a + PL_FUNC_INFO_REC_SIZE, &rs, 4);
		p = (uintptr_t)cur_fi.rec;
		memcpy(a + PL_FUNC_INFO, &p, 8);
		memcpy(a + PL_FUNC_INFO_CNT, &cur_fi.cnt, 4);
	}
	klog[0] = 0;
	memset(r, 0, sizeof(*r));
	fd = sys_bpf(EMU_BPF_PROG_LOAD, a, sizeof(a));
	if (fd < 0 && errno == ENOSPC) {
		/* the kernel's trace outgrew the buffer: its own errno comes without a log */
		uint8_t b[EMU_ATTR_SIZE];

		r->log_full = true;
		memcpy(b, a, sizeof(b));
		memset(b + PL_LOG_LEVEL, 0, 4);
		memset(b + PL_LOG_SIZE, 0, 4);
		memset(b + PL_LOG_BUF, 0, 8);
		fd = sys_bpf(EMU_BPF_PROG_LOAD, b, sizeof(b));
	}
	if (fd < 0) {
		r->err = errno;
		return;
	}
	{
		uint8_t info[PI_SIZE] = {0}, ia[EMU_ATTR_SIZE] = {0};
		uint32_t len = sizeof(info), ifd = (uint32_t)fd;
		uint64_t ip = (uintptr_t)info;

		memcpy(ia + INFO_FD, &ifd, 4);
		memcpy(ia + INFO_LEN, &len, 4);
		memcpy(ia + INFO_PTR, &ip, 8);
		if (!sys_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia))) {
			uint32_t xl;

			memcpy(r->tag, info + PI_TAG, 8);
			memcpy(&r->verified, info + PI_VERIFIED_INSNS, 4);
			memcpy(&xl, info + PI_XLATED_PROG_LEN, 4);
			if (xl && xl <= sizeof(kxlated)) {
				uint64_t xp = (uintptr_t)kxlated;

				memset(info, 0, sizeof(info));
				memcpy(info + PI_XLATED_PROG_LEN, &xl, 4);
				memcpy(info + PI_XLATED_PROG_INSNS, &xp, 8);
				if (!sys_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia)))
					r->xlated_cnt = xl / 8;
			}
		}
	}
	close((int)fd);
}

static void first_line(const char *log, char *out, size_t n)
{
	const char *e = strchr(log, '\n');

	snprintf(out, n, "%.*s", e ? (int)(e - log) : (int)strlen(log), log);
}

/* per-reason tallies */
struct tally {
	char reason[32];
	unsigned n, kernel_rejects, caught, same_errno, same_line, same_first, false_reject, incomplete;
};
static struct tally tallies[64];
static unsigned ntallies;

static struct tally *tally_of(const char *reason)
{
	for (unsigned i = 0; i < ntallies; i++)
		if (!strcmp(tallies[i].reason, reason))
			return &tallies[i];
	if (ntallies == 64)
		return &tallies[63];
	snprintf(tallies[ntallies].reason, sizeof(tallies[0].reason), "%s", reason);
	return &tallies[ntallies++];
}

/* one program through both; returns true if the answers agree as required */
static bool run_one(const struct check_case *c, const struct emu_insn *insn, uint32_t cnt, bool must)
{
	static const int *fd_array = map_fds;
	struct emu_prog_check_in in = {0};
	struct emu_prog_check_out out;
	struct emu_vlog log;
	struct kres k;
	struct tally *t = tally_of(c->reason);
	char kerr[256], eerr[256], kfirst[256], efirst[256];
	int eret;
	bool ok = true;

	kernel_load(c, insn, cnt, fd_array[0] >= 0 && c->reason[0] == 'z' ? fd_array : NULL, &k);
	in.prog_type = c->type;
	in.expected_attach_type = c->eat;
	in.insns = insn;
	in.cnt = cnt;
	in.gpl = !c->nongpl;
	in.prog_flags = c->flags;
	in.resolve_map = resolve;
	if (cur_fi.cnt) {
		in.btf = cur_fi.btf;
		in.btf_ops = &fi_ops;
		in.func_info = cur_fi.rec;
		in.func_info_rec_size = cur_fi.rec_size ? cur_fi.rec_size : 8;
		in.func_info_cnt = cur_fi.cnt;
	}
	emu_vlog_init(&log, log_level, (uintptr_t)elog, LOG_SIZE);
	eret = emu_prog_check(&in, &log, &out);
	{
		uint32_t true_size;

		emu_vlog_finalize(&log, &true_size);
	}
	if (log_level != 1) {
		/* only the first line is compared at the other levels */
		first_line(klog, kfirst, sizeof(kfirst));
		first_line(elog, efirst, sizeof(efirst));
		/* the verification time is the machine's: digits are not compared */
		{
			char *kv = strstr(kfirst, "verification time "), *ev = strstr(efirst, "verification time ");

			if (kv && ev) {
				kv[18] = 0;
				ev[18] = 0;
			}
		}
		if (k.log_full || !strcmp(kfirst, efirst)) {
			n_level_first_ok++;
		} else {
			n_level_first_bad++;
			if (reports++ < report_max)
				printf("LEVEL %u [%s] %s: first line kernel '%s', checker '%s'\n", log_level, c->reason, c->name,
				       kfirst, efirst);
		}
		emu_prog_check_out_free(&out);
		return true;
	}
	t->n++;
	if (out.analysis_incomplete)
		t->incomplete++;
	hx_log_error_line(elog, eerr, sizeof(eerr));
	first_line(klog, kfirst, sizeof(kfirst));
	first_line(elog, efirst, sizeof(efirst));
	if (!k.err) {
		if (eret) {
			t->false_reject++;
			n_false_reject++;
			ok = false;
			if (reports++ < report_max)
				printf("FALSE REJECT [%s] %s: checker %d (%s), kernel accepts\n", c->reason, c->name, eret, eerr);
			if (getenv("CHECK_DUMP"))
				for (uint32_t i = 0; i < cnt; i++)
					printf("  %3u: %02x %u %u %d %d\n", i, insn[i].code, insn[i].dst_reg, insn[i].src_reg, insn[i].off,
					       insn[i].imm);
		} else {
			if (memcmp(k.tag, out.tag, 8)) {
				n_tag_bad++;
				if (reports++ < report_max)
					printf("TAG [%s] %s differs\n", c->reason, c->name);
			} else {
				n_tag_ok++;
			}
			/* xlated: equal where the kernel rewrote nothing (no ctx fields, helpers,
			 * dead code); counted, not required */
			if (k.xlated_cnt == out.xlated_cnt && !memcmp(kxlated, out.xlated, 8 * out.xlated_cnt))
				n_xl_ok++;
			else
				n_xl_bad++;
			if (k.verified == out.verified_insns)
				n_vi_ok++;
			else {
				n_vi_bad++;
				if (getenv("CHECK_VI"))
					printf("VERIFIED [%s] %s: kernel %u, checker %u%s\n", c->reason, c->name, k.verified,
					       out.verified_insns, out.analysis_incomplete ? " (incomplete)" : "");
			}
		}
	} else {
		t->kernel_rejects++;
		hx_log_error_line(klog, kerr, sizeof(kerr));
		if (getenv("CHECK_VERBOSE") && (!strcmp(c->reason, "valid") || !strcmp(c->reason, "clang")))
			printf("NOTE: [%s] %s is refused by the kernel: %s (%s); checker %d\n", c->reason, c->name,
			       strerror(k.err), kerr, eret);
		if (eret) {
			t->caught++;
			if (-eret == k.err)
				t->same_errno++;
			/* the checker's error line is one of the kernel's lines (the kernel may print
			 * state dumps after it) */
			if (eerr[0] && strstr(klog, eerr))
				t->same_line++;
			if (!strcmp(kfirst, efirst) || k.log_full)
				t->same_first++;
		}
		if (!must && getenv("CHECK_VERBOSE") && (!eret || -eret != k.err || !strstr(klog, eerr)))
			printf("MISS [%s] %s: kernel %s (%s), checker %d (%s)\n", c->reason, c->name, strerror(k.err), kerr,
			       eret, eret ? eerr : "accepted");
		else if (!must && getenv("CHECK_VERBOSE") && strcmp(kfirst, efirst) && !k.log_full)
			printf("FIRST [%s] %s: kernel '%s', checker '%s' (error %s)\n", c->reason, c->name, kfirst, efirst, eerr);
		if (must && (!eret || -eret != k.err || !eerr[0] || !strstr(klog, eerr) ||
			     (strcmp(kfirst, efirst) && !k.log_full))) {
			n_must_fail++;
			ok = false;
			if (reports++ < report_max)
				printf("MISMATCH [%s] %s: kernel %s (%s | first %s), checker %d (%s | first %s)\n", c->reason,
				       c->name, strerror(k.err), kerr, kfirst, eret, eerr, efirst);
		}
	}
	emu_prog_check_out_free(&out);
	return ok;
}

static void patch_maps(struct emu_insn *insn, uint32_t cnt)
{
	for (uint32_t i = 0; i + 1 < cnt; i++)
		if (insn[i].code == EMU_LD_IMM64 && (insn[i].src_reg == 1 || insn[i].src_reg == 2) && IS_MAPREF(insn[i].imm))
			insn[i].imm = map_fds[insn[i].imm - MAPREF(0)];
}

/* ---- mutations ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *mutate(struct emu_insn *p, uint32_t cnt)
{
	for (int tries = 0; tries < 32; tries++) {
		uint32_t i = rnd(cnt);
		struct emu_insn *in = &p[i];
		uint8_t cls = EMU_CLASS(in->code);

		if (i && p[i - 1].code == EMU_LD_IMM64)
			continue;
		switch (rnd(8)) {
		case 0:
			if (cls == EMU_LDX || cls == EMU_ST || cls == EMU_STX) {
				in->off += (int16_t)(rnd(2) ? (int)rnd(24) + 1 : -(int)rnd(24) - 1);
				return "mut:mem_off";
			}
			break;
		case 1:
			if ((cls == EMU_ALU || cls == EMU_ALU64) && EMU_SRC(in->code) == EMU_K) {
				in->imm = (int32_t)(rnd(4) ? in->imm + (int)rnd(64) - 32 : (int)(rnd(0xffff) << rnd(16)));
				return "mut:alu_imm";
			}
			break;
		case 2:
			if ((cls == EMU_JMP || cls == EMU_JMP32) && EMU_OP(in->code) != EMU_CALL && EMU_OP(in->code) != EMU_EXIT &&
			    EMU_OP(in->code) != EMU_JA) {
				*in = (struct emu_insn){.code = EMU_JMP | EMU_JA};
				return "mut:drop_check";
			}
			break;
		case 3:
			if (cls != EMU_JMP && in->code != EMU_LD_IMM64) {
				if (rnd(2))
					in->dst_reg = rnd(11);
				else
					in->src_reg = rnd(11);
				return "mut:reg";
			}
			break;
		case 4:
			if ((cls == EMU_JMP || cls == EMU_JMP32) && EMU_OP(in->code) != EMU_CALL && EMU_OP(in->code) != EMU_EXIT) {
				in->off += (int16_t)(rnd(2) ? 1 : -1);
				return "mut:jmp_off";
			}
			break;
		case 5:
			if (i + 1 < cnt && in->code != EMU_LD_IMM64 && p[i + 1].code != EMU_LD_IMM64 && cls != EMU_JMP &&
			    EMU_CLASS(p[i + 1].code) != EMU_JMP) {
				struct emu_insn tmp = *in;

				*in = p[i + 1];
				p[i + 1] = tmp;
				return "mut:swap";
			}
			break;
		case 6:
			if (cls == EMU_LDX || cls == EMU_ST || cls == EMU_STX) {
				in->code = (uint8_t)((in->code & ~0x18) | (rnd(4) << 3));
				return "mut:size";
			}
			break;
		case 7:
			if (cls == EMU_JMP && EMU_OP(in->code) == EMU_CALL && in->src_reg == 0) {
				in->imm = (int32_t)rnd(220);
				return "mut:helper";
			}
			if (in->code != EMU_LD_IMM64) {
				in->code ^= (uint8_t)(1u << rnd(8));
				return "mut:opcode";
			}
			break;
		}
	}
	return NULL;
}

static void run_mutants(const char *base, const struct check_case *c, const struct emu_insn *insn, uint32_t cnt, int n)
{
	struct check_case m = *c;
	struct emu_insn *p = malloc(cnt * sizeof(*p));

	if (!p)
		return;
	for (int k = 0; k < n; k++) {
		const char *kind;

		memcpy(p, insn, cnt * sizeof(*p));
		kind = mutate(p, cnt);
		if (!kind)
			continue;
		m.reason = kind;
		m.name = base;
		run_one(&m, p, cnt, false);
	}
	free(p);
}

/* ---- clang-built programs ---- */

/* func_info that does not fit the program: each of the kernel's complaints */
static void func_info_variants(const struct check_case *base, const struct emu_insn *insn, uint32_t cnt)
{
	uint32_t saved[2 * 64], n = cur_fi.cnt;
	struct check_case c = *base;

	struct emu_insn *broken = malloc(cnt * sizeof(*broken));

	if (!broken)
		return;
	/* the same program with its last insn not an exit: which check comes first */
	memcpy(broken, insn, cnt * sizeof(*broken));
	broken[cnt - 1] = (struct emu_insn){.code = 0xb7};
	memcpy(saved, cur_fi.rec, sizeof(saved));
	c.reason = "func_info";
	for (int v = 0; v < 11; v++) {
		memcpy(cur_fi.rec, saved, sizeof(saved));
		cur_fi.cnt = n;
		cur_fi.rec_size = 0;
		switch (v) {
		case 0: cur_fi.rec_size = 7; c.name = "rec size 7"; break;
		case 1: cur_fi.rec_size = 256; c.name = "rec size 256"; break;
		case 2: cur_fi.cnt = n - 1; c.name = "one record short"; break;
		case 3: cur_fi.rec[0] = 1; c.name = "first insn_off 1"; break;
		case 4: cur_fi.rec[2] = 0; c.name = "second insn_off 0"; break;
		case 5: cur_fi.rec[2] += 1; c.name = "second insn_off moved"; break;
		case 6: cur_fi.rec[1] = 1; c.name = "type id 1 (not a FUNC)"; break;
		case 7: cur_fi.rec[3] = 0x7fffff; c.name = "type id past the BTF"; break;
		case 8: cur_fi.rec_size = 7; c.name = "rec size 7, no exit"; break;
		case 9: cur_fi.rec[1] = 1; c.name = "type id 1, no exit"; break;
		case 10: cur_fi.cnt = n - 1; c.name = "one record short, no exit"; break;
		}
		run_one(&c, v >= 8 ? broken : insn, cnt, true);
	}
	free(broken);
	memcpy(cur_fi.rec, saved, sizeof(saved));
	cur_fi.cnt = n;
	cur_fi.rec_size = 0;
}

/* rec[2*i] = start of subprogram i (0, then call and callback targets in order); false if the
 * program does not have n of them */
static bool sub_starts(const struct emu_insn *insn, uint32_t cnt, uint32_t *rec, uint32_t n)
{
	uint32_t starts[64], ns = 1;

	starts[0] = 0;
	for (uint32_t i = 0; i < cnt; i++) {
		bool call = insn[i].code == (EMU_JMP | EMU_CALL) && insn[i].src_reg == EMU_PSEUDO_CALL;
		bool func = insn[i].code == EMU_LD_IMM64 && insn[i].src_reg == EMU_PSEUDO_FUNC;
		uint32_t t = i + insn[i].imm + 1, k;

		if (!call && !func)
			continue;
		for (k = 0; k < ns && starts[k] != t; k++)
			;
		if (k == ns && ns < 64)
			starts[ns++] = t;
	}
	if (ns != n)
		return false;
	for (uint32_t a = 1; a < ns; a++)
		for (uint32_t b = a; b > 0 && starts[b - 1] > starts[b]; b--) {
			uint32_t x = starts[b];

			starts[b] = starts[b - 1];
			starts[b - 1] = x;
		}
	for (uint32_t i = 0; i < n; i++)
		rec[2 * i] = starts[i];
	return true;
}

static unsigned run_objects(const char *dir, int nmut)
{
	static const char *const objs[] = {"xdp_parse", "tc_cls", "sock_filter", "cgskb", "syscall", "rawtp", "loops", "strs", "urdrain",
						   "patterns"};
	unsigned n = 0;

	libbpf_set_print(NULL);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[512];
		struct bpf_object *obj;
		struct bpf_program *prog;

		snprintf(path, sizeof(path), "%s/%s.o", dir, objs[i]);
		obj = bpf_object__open_file(path, NULL);
		if (!obj || libbpf_get_error(obj)) {
			printf("FAIL: cannot open %s\n", path);
			n_must_fail++;
			continue;
		}
		if (bpf_object__load(obj)) {
			printf("FAIL: libbpf cannot load %s on the kernel\n", path);
			n_must_fail++;
			bpf_object__close(obj);
			continue;
		}
		bpf_object__for_each_program(prog, obj) {
			struct check_case c = {.reason = "clang", .name = bpf_program__name(prog)};
			const struct emu_insn *insn = (const void *)bpf_program__insns(prog);
			uint32_t cnt = (uint32_t)bpf_program__insn_cnt(prog);

			/* the func_info the kernel kept from libbpf's load, and the object's BTF */
			{
				uint8_t info[PI_SIZE] = {0}, ia[EMU_ATTR_SIZE] = {0};
				uint32_t len = sizeof(info), ifd = (uint32_t)bpf_program__fd(prog), n, rs = 8;
				uint64_t ip = (uintptr_t)info, fp = (uintptr_t)cur_fi.rec;

				cur_fi.cnt = 0;
				memcpy(ia + INFO_FD, &ifd, 4);
				memcpy(ia + INFO_LEN, &len, 4);
				memcpy(ia + INFO_PTR, &ip, 8);
				if (!sys_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia))) {
					memcpy(&n, info + PI_NR_FUNC_INFO, 4);
					if (n && n <= 64) {
						memset(info, 0, sizeof(info));
						memcpy(info + PI_NR_FUNC_INFO, &n, 4);
						memcpy(info + PI_FUNC_INFO_REC_SIZE, &rs, 4);
						memcpy(info + PI_FUNC_INFO, &fp, 8);
						/* the kernel reports offsets in its rewritten program: the
						 * records get the subprogram starts of the loaded one */
						if (!sys_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia)) &&
						    sub_starts(insn, cnt, cur_fi.rec, n)) {
							cur_fi.cnt = n;
							cur_fi.btf_fd = bpf_object__btf_fd(obj);
							cur_fi.btf = bpf_object__btf(obj);
						}
					}
				}
			}

			c.type = bpf_program__type(prog);
			c.eat = bpf_program__expected_attach_type(prog);
			c.flags = c.type == EMU_PROG_SYSCALL ? EMU_F_SLEEPABLE : 0;
			run_one(&c, insn, cnt, false);
			run_mutants(c.name, &c, insn, cnt, nmut);
			if (cur_fi.cnt >= 2)
				func_info_variants(&c, insn, cnt);
			cur_fi.cnt = 0;
			n++;
		}
		bpf_object__close(obj);
	}
	return n;
}

/* ---- matrices ---- */

static const uint32_t types[] = {1, 2, 3, 4, 5, 6, 7, 8, 17, 31};

static void helper_matrix(void)
{
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (int h = 0; h < 212; h++) {
			struct check_case c = {.reason = "matrix:helper", .name = "helper", .type = types[t]};
			struct emu_insn p[4] = {{.code = 0xb7}, {.code = 0x85, .imm = h}, {.code = 0xb7}, {.code = 0x95}};
			char nm[64];

			c.flags = types[t] == EMU_PROG_SYSCALL ? EMU_F_SLEEPABLE : 0;
			snprintf(nm, sizeof(nm), "type %u helper %d", types[t], h);
			c.name = nm;
			run_one(&c, p, 4, false);
		}
	}
}

static void ctx_matrix(void)
{
	static const uint8_t sz[4] = {EMU_B, EMU_H, EMU_W, EMU_DW};

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (int off = -8; off < 200; off++) {
			for (int s = 0; s < 4; s++) {
				for (int wr = 0; wr < 2; wr++) {
					struct check_case c = {.reason = wr ? "matrix:ctx_write" : "matrix:ctx_read", .type = types[t]};
					struct emu_insn rd[3] = {{.code = (uint8_t)(EMU_LDX | EMU_MEM | sz[s]), .dst_reg = 0, .src_reg = 1,
								  .off = (int16_t)off},
								 {.code = 0xb7}, {.code = 0x95}};
					struct emu_insn w[4] = {{.code = 0xb7, .dst_reg = 2},
								{.code = (uint8_t)(EMU_STX | EMU_MEM | sz[s]), .dst_reg = 1, .src_reg = 2,
								 .off = (int16_t)off},
								{.code = 0xb7}, {.code = 0x95}};
					char nm[64];

					c.flags = types[t] == EMU_PROG_SYSCALL ? EMU_F_SLEEPABLE : 0;
					snprintf(nm, sizeof(nm), "type %u off %d size %d %s", types[t], off, 1 << s, wr ? "write" : "read");
					c.name = nm;
					if (wr)
						run_one(&c, w, 4, true);
					else
						run_one(&c, rd, 3, true);
				}
			}
		}
	}
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");
	const char *objdir = getenv("CHECK_OBJ_DIR");
	int nmut = getenv("CHECK_MUTANTS") ? atoi(getenv("CHECK_MUTANTS")) : 12;
	unsigned hand_reject = 0, hand = 0;
	int probe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("CHECK_SEED"))
		rng ^= strtoull(getenv("CHECK_SEED"), NULL, 0) * 0x2545f4914f6cdd1dull;
	if (getenv("CHECK_REPORTS"))
		report_max = (unsigned)atoi(getenv("CHECK_REPORTS"));
	probe = map_create(EMU_MAP_ARRAY, 4, 4, 1, 0);
	if (probe < 0) {
		printf("SKIP: bpf() not permitted here (%s): the load checks are measured against the kernel\n",
		       strerror(errno));
		return getenv("BPFEMU_REQUIRE_KERNEL") && !strcmp(getenv("BPFEMU_REQUIRE_KERNEL"), "1") ? 1 : 77;
	}
	close(probe);
	klog = malloc(LOG_SIZE);
	elog = malloc(LOG_SIZE);
	map_fds[M_HASH] = map_create(EMU_MAP_HASH, 4, 8, 16, 0);
	map_fds[M_ARRAY] = map_create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	map_fds[M_ARRAY1] = map_create(EMU_MAP_ARRAY, 4, 48, 1, 0);
	map_fds[M_RINGBUF] = map_create(EMU_MAP_RINGBUF, 0, 0, 4096, 0);
	map_fds[M_QUEUE] = map_create(EMU_MAP_QUEUE, 0, 8, 4, 0);
	map_fds[M_PROGARR] = map_create(EMU_MAP_PROG_ARRAY, 4, 4, 4, 0);
	map_fds[M_DEVMAP] = map_create(EMU_MAP_DEVMAP, 4, 4, 4, 0);
	map_fds[M_RDONLY] = map_create(EMU_MAP_ARRAY, 4, 8, 1, EMU_F_RDONLY_PROG);
	map_fds[M_PERCPU] = map_create(EMU_MAP_PERCPU_ARRAY, 4, 8, 4, 0);
	map_fds[M_STACK] = map_create(EMU_MAP_STACK, 0, 8, 4, 0);
	for (int i = 0; i < M_COUNT; i++)
		if (map_fds[i] < 0) {
			printf("FAIL: cannot create test map %d: %s\n", i, strerror(errno));
			return 1;
		}
	for (unsigned i = 0; i < check_ncases; i++) {
		struct check_case c = check_cases[i];

		patch_maps(c.insn, c.cnt);
		if (strcmp(c.reason, "valid"))
			hand_reject++;
		hand++;
		run_one(&c, c.insn, c.cnt, !c.loose);
		if (!strcmp(c.reason, "valid"))
			run_mutants(c.name, &c, c.insn, c.cnt, nmut);
	}
	/* generated: more pending branches than the kernel keeps (8192) */
	{
		uint32_t n = 8300, cnt = n + 4;
		struct emu_insn *p = calloc(cnt, sizeof(*p));
		struct check_case c = {.reason = "jmp_seq", .name = "8300 open branches", .type = EMU_PROG_SOCKET_FILTER};

		p[0] = (struct emu_insn){.code = EMU_LDX | EMU_MEM | EMU_W, .dst_reg = 1, .src_reg = 1};
		p[1] = (struct emu_insn){.code = 0xb7};
		for (uint32_t i = 0; i < n; i++)
			p[2 + i] = (struct emu_insn){.code = EMU_JMP | EMU_JEQ | EMU_K, .dst_reg = 1, .imm = (int32_t)i,
						     .off = (int16_t)(n - i)};
		p[2 + n] = (struct emu_insn){.code = 0x95};
		p[3 + n] = (struct emu_insn){.code = 0x95};
		run_one(&c, p, cnt, true);
		c.name = "8000 open branches";
		n = 8000;
		cnt = n + 4;
		for (uint32_t i = 0; i < n; i++)
			p[2 + i].off = (int16_t)(n - i);
		p[2 + n] = (struct emu_insn){.code = 0x95};
		p[3 + n] = (struct emu_insn){.code = 0x95};
		c.reason = "valid";
		run_one(&c, p, cnt, true);
		free(p);
	}
	/* the first line at log_level 2 (func# lines first) and 4 (statistics only) */
	for (uint32_t lv = 2; lv <= 4; lv += 2) {
		log_level = lv;
		for (unsigned i = 0; i < check_ncases; i++) {
			struct check_case c = check_cases[i];

			if (c.loose)
				continue;
			patch_maps(c.insn, c.cnt);
			run_one(&c, c.insn, c.cnt, false);
		}
	}
	log_level = 1;
	if (objdir) {
		unsigned n = run_objects(objdir, nmut);

		printf("clang-built programs: %u\n", n);
	} else {
		printf("NOTE: CHECK_OBJ_DIR not set: clang-built programs not run\n");
	}
	helper_matrix();
	ctx_matrix();

	printf("\n%-22s %6s %8s %7s %7s %7s %7s %7s %7s\n", "reason", "progs", "k-reject", "caught", "errno=", "line=",
	       "first=", "falseRj", "incompl");
	for (unsigned i = 0; i < ntallies; i++) {
		struct tally *t = &tallies[i];

		printf("%-22s %6u %8u %7u %7u %7u %7u %7u %7u\n", t->reason, t->n, t->kernel_rejects, t->caught, t->same_errno,
		       t->same_line, t->same_first, t->false_reject, t->incomplete);
	}
	{
		unsigned n = 0, kr = 0, ca = 0, se = 0, sl = 0;

		for (unsigned i = 0; i < ntallies; i++) {
			n += tallies[i].n;
			kr += tallies[i].kernel_rejects;
			ca += tallies[i].caught;
			se += tallies[i].same_errno;
			sl += tallies[i].same_line;
		}
		printf("%-22s %6u %8u %7u %7u %7u\n", "TOTAL", n, kr, ca, se, sl);
		printf("catch rate: %.1f%% of kernel-rejected programs refused (%.1f%% with the kernel's errno, %.1f%% "
		       "with its error line)\n", kr ? 100.0 * ca / kr : 0, kr ? 100.0 * se / kr : 0, kr ? 100.0 * sl / kr : 0);
	}
	printf("hand-written: %u programs (%u for rejection reasons)\n", hand, hand_reject);
	printf("accepted by both: tag equal %u, differ %u; verified_insns equal %u, differ %u\n", n_tag_ok, n_tag_bad,
	       n_vi_ok, n_vi_bad);
	printf("xlated as bpftool reads it: equal %u, differ %u (kernel rewrites: ctx fields, helper calls, inlining)\n",
	       n_xl_ok, n_xl_bad);
	printf("first line at log_level 2 and 4: %u equal, %u differ\n", n_level_first_ok, n_level_first_bad);
	printf("false rejects: %u; required matches missed: %u\n", n_false_reject, n_must_fail);
	{
		bool bad = n_false_reject || n_must_fail || n_tag_bad || n_level_first_bad;

		printf("%s\n", bad ? "RESULT: divergences" : "RESULT: no divergence");
		if (expect_div) {
			printf("(--expect-divergence: a planted fault is on; the run %s it)\n", bad ? "noticed" : "MISSED");
			return bad ? 0 : 1;
		}
		return bad ? 1 : 0;
	}
}
