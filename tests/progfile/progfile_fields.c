/* SPDX-License-Identifier: MIT */
/*
 * Each field of a program file and of a BTF file corrupted on purpose (docs/SECURITY.md): the
 * file's bytes are copied, one field changed, and the copy opened as another process meets it (an
 * fd handed over; a few by BPF_OBJ_GET of a pin) and used. Asserted per case: the errno of the
 * call that meets the damage (OBJ_GET_INFO_BY_FD / TEST_RUN / PROG_LOAD / MAP_CREATE) and the field
 * the one diagnostic names. Header damage is refused when the file is first met (EINVAL, "refused:
 * its <field>"); damage only the re-check can see (instructions that no longer pass the loader's
 * checks with their tag made to match, ld_imm64 records, used maps swapped for one of another
 * size, func_info, the BTF) is EUCLEAN at the first run ("its <field> is damaged"). Also: a header
 * changed after this process met the file changes nothing (the view's checked copy is used).
 *
 * Then the cost of the re-check: for each kind and for a long program, PROG_LOAD (checks and
 * translation in the loader) against the first TEST_RUN of a copy (resolve the maps, check again,
 * translate) and a later TEST_RUN (the run alone), medians of several rounds.
 *
 * Each case runs in a child (stderr captured); exit 0 when every case answers as asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "core/btf_obj.h"
#include "core/prog_obj.h"
#include "mapfile.h"
#include "prog/check.h"
#include "prog/insn_build.h"
#include "progfile.h"
#include "uapi/bpf_uapi.h"

#define HO(f) offsetof(struct emu_prog_hdr, f)
#define BO(f) offsetof(struct emu_btf_obj_hdr, f)

enum when { AT_OPEN, AT_RUN, AT_LOAD };

struct pristine {
	unsigned char *buf;
	size_t len;
};
static struct pristine pr[PF_NR_KINDS];
static int small_map = -1; /* an array with 4-byte values: a used map swapped for it */
static int failures, cases;

static uint64_t get(const unsigned char *b, size_t off, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, b + off, size);
	return v;
}

static void set(unsigned char *b, size_t off, unsigned size, uint64_t v) { memcpy(b + off, &v, size); }

/* The tag over the file's instructions, as the loader computes it (a consistent forgery). */
static void retag(unsigned char *b)
{
	uint8_t tag[8];

	emu_prog_calc_tag((const struct emu_insn *)(b + get(b, HO(insns_off), 8)), (uint32_t)get(b, HO(insn_cnt), 4), tag);
	memcpy(b + HO(tag), tag, 8);
}

static struct emu_insn *insn_at(unsigned char *b, uint32_t i)
{
	return (struct emu_insn *)(b + get(b, HO(insns_off), 8)) + i;
}

static struct emu_prog_ld *ld_at(unsigned char *b, uint32_t i)
{
	return (struct emu_prog_ld *)(b + get(b, HO(ld_off), 8)) + i;
}

struct outcome {
	int err; /* errno of the call that met the damage, 0 if every call succeeded */
	char log[2048];
};

static void test_run(int fd, long *ret)
{
	unsigned char data[64] = { [12] = 0x08 }, out[256];
	struct {
		_Alignas(8) unsigned char b[128];
	} a;

	memset(&a, 0, sizeof(a));
	memcpy(a.b + TR_PROG_FD, &fd, 4);
	memcpy(a.b + TR_DATA_SIZE_IN, &(uint32_t){ sizeof(data) }, 4);
	memcpy(a.b + TR_DATA_IN, &(uint64_t){ (uintptr_t)data }, 8);
	memcpy(a.b + TR_DATA_SIZE_OUT, &(uint32_t){ sizeof(out) }, 4);
	memcpy(a.b + TR_DATA_OUT, &(uint64_t){ (uintptr_t)out }, 8);
	*ret = pf_bpf(EMU_BPF_PROG_TEST_RUN, &a, TR_END);
}

static long info(int fd)
{
	unsigned char inf[PI_SIZE];
	struct {
		_Alignas(8) unsigned char b[16];
	} a;

	memset(inf, 0, sizeof(inf));
	memset(&a, 0, sizeof(a));
	memcpy(a.b + INFO_FD, &fd, 4);
	memcpy(a.b + INFO_LEN, &(uint32_t){ sizeof(inf) }, 4);
	memcpy(a.b + INFO_PTR, &(uint64_t){ (uintptr_t)inf }, 8);
	return pf_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, INFO_END);
}

/* In a child: open the bytes, use them; the errno of the first failing call. after_open, if set,
 * changes the file once this process has met it (INFO made the view). */
static void run_case(const unsigned char *buf, size_t len, bool btf, bool via_pin,
		     void (*after_open)(int fd), struct outcome *o)
{
	char path[] = "/tmp/progfile-fields-XXXXXX";
	int lfd = mkstemp(path), status;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	pid = fork();
	if (!pid) {
		struct pf_result r;
		int fd, err = 0;
		long ret;

		dup2(lfd, 2);
		fd = mf_open(buf, len, via_pin, "fields");
		if (fd < 0)
			_exit(-fd);
		if (btf) {
			memset(&r, 0, sizeof(r));
			if (info(fd) < 0)
				_exit(errno);
			pf_exercise_btf(fd, &r);
			_exit(r.euclean ? EUCLEAN : r.einval ? EINVAL : r.other ? 1 : 0);
		}
		if (info(fd) < 0)
			_exit(errno);
		if (after_open)
			after_open(fd);
		test_run(fd, &ret);
		if (ret < 0)
			err = errno;
		_exit(err);
	}
	waitpid(pid, &status, 0);
	o->err = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	lseek(lfd, 0, SEEK_SET);
	ssize_t n = read(lfd, o->log, sizeof(o->log) - 1);
	o->log[n > 0 ? n : 0] = 0;
	close(lfd);
	unlink(path);
}

static void expect(const char *what, const struct outcome *o, int err, const char *diag)
{
	bool ok = o->err == err && (!diag || strstr(o->log, diag));

	cases++;
	if (!ok)
		failures++;
	printf("%s %-52s errno %-8s diag %s\n", ok ? "ok  " : "FAIL", what, o->err < 1000 ? strerrorname_np(o->err) ?: "0" : "signal",
	       diag ? (strstr(o->log, diag) ? diag : "(missing)") : "-");
	if (!ok) {
		printf("     want errno %s, diag \"%s\"; stderr:\n%s", strerrorname_np(err) ?: "0", diag ? diag : "",
		       o->log);
	}
}

/* One header field of a program file set to v. */
static void prog_field(enum pf_kind_id k, const char *name, size_t off, unsigned size, uint64_t v, int err,
		       const char *diag)
{
	unsigned char *b = malloc(pr[k].len);
	struct outcome o;
	char what[128];

	memcpy(b, pr[k].buf, pr[k].len);
	set(b, off, size, v);
	run_case(b, pr[k].len, false, false, NULL, &o);
	snprintf(what, sizeof(what), "%s: %s = %#llx", pf_kinds[k].name, name, (unsigned long long)v);
	expect(what, &o, err, diag);
	free(b);
}

static void refused(enum pf_kind_id k, const char *field, size_t off, unsigned size, uint64_t v)
{
	char diag[128];

	snprintf(diag, sizeof(diag), "refused: its %s is not", field);
	prog_field(k, field, off, size, v, EINVAL, diag);
}

/* ---- damage only the re-check sees ---- */

static void damaged(const char *what, enum pf_kind_id k, void (*mutate)(unsigned char *b), int err, const char *diag)
{
	unsigned char *b = malloc(pr[k].len);
	struct outcome o;
	char w[128];

	memcpy(b, pr[k].buf, pr[k].len);
	mutate(b);
	run_case(b, pr[k].len, false, false, NULL, &o);
	snprintf(w, sizeof(w), "%s: %s", pf_kinds[k].name, what);
	expect(w, &o, err, diag);
	free(b);
}

static void m_tag(unsigned char *b) { b[HO(tag)] ^= 1; }
/* global: the load reads 4096 bytes past the value (tag made to match) */
static void m_oob(unsigned char *b)
{
	insn_at(b, 2)->off = 4096;
	retag(b);
}
/* maps: the helper call becomes an unknown helper */
static void m_helper(unsigned char *b)
{
	insn_at(b, 5)->imm = 100000;
	retag(b);
}
/* loop: the loop's bound removed (an infinite loop the checks refuse) */
static void m_loop(unsigned char *b)
{
	insn_at(b, 2)->code = EMU_JMP | EMU_JA;
	insn_at(b, 2)->dst_reg = 0;
	insn_at(b, 2)->off = -2;
	insn_at(b, 2)->imm = 0;
	retag(b);
}
static void m_ld_insn(unsigned char *b) { ld_at(b, 0)->insn += 1; }
static void m_ld_kind(unsigned char *b) { ld_at(b, 0)->kind = EMU_LDK_MAP_VALUE; }
static void m_ld_map(unsigned char *b) { ld_at(b, 0)->map = 60; }
static void m_ld_off(unsigned char *b) { ld_at(b, 0)->off = 4; }
/* maps: used map 0 (8-byte values, an atomic add on them) swapped for one with 4-byte values */
static uint32_t small_map_id;
static void m_map_swap(unsigned char *b) { set(b, HO(map_ids[0]), 4, small_map_id); }
static void m_map_gone(unsigned char *b) { set(b, HO(map_ids[0]), 4, 0x7ffffff0); }
/* subprog_btf: func_info names the int type, not a FUNC */
static void m_func_info(unsigned char *b) { set(b, get(b, HO(func_info_off), 8) + 4, 4, 1); }
static void m_func_info_off(unsigned char *b) { set(b, get(b, HO(func_info_off), 8) + 8, 4, 3); }
static void m_btf_id(unsigned char *b) { set(b, HO(btf_id), 4, 0x7ffffff0); }
static void m_max_ctx(unsigned char *b) { set(b, HO(max_ctx_offset), 4, 64); }
/* other: `r0 = 1; exit` becomes `r0 = 1; r0 = 1` (tag made to match) */
static void m_other(unsigned char *b)
{
	*insn_at(b, 1) = EI_MOV64_IMM(0, 1);
	retag(b);
}

/* ---- the file changed after this process met it ---- */

static void a_insns_off(int fd)
{
	char p[64];
	int w;
	uint64_t v = 1ull << 40;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	w = open(p, O_RDWR);
	if (w >= 0 && pwrite(w, &v, 8, HO(insns_off)) != 8)
		_exit(99);
	close(w);
}

static void a_nr_map_ids(int fd)
{
	char p[64];
	int w;
	uint32_t v = 0;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	w = open(p, O_RDWR);
	if (w >= 0 && pwrite(w, &v, 4, HO(nr_map_ids)) != 4)
		_exit(99);
	close(w);
}

static void after(const char *what, enum pf_kind_id k, void (*fn)(int), int err, const char *diag)
{
	struct outcome o;
	char w[128];

	run_case(pr[k].buf, pr[k].len, false, false, fn, &o);
	snprintf(w, sizeof(w), "%s: after open: %s", pf_kinds[k].name, what);
	expect(w, &o, err, diag);
}

/* ---- BTF files ---- */

static void btf_field(const char *name, size_t off, unsigned size, uint64_t v, int err, const char *diag)
{
	unsigned char *b = malloc(pr[PF_BTF].len);
	struct outcome o;
	char what[128];

	memcpy(b, pr[PF_BTF].buf, pr[PF_BTF].len);
	set(b, off, size, v);
	run_case(b, pr[PF_BTF].len, true, false, NULL, &o);
	snprintf(what, sizeof(what), "btf: %s = %#llx", name, (unsigned long long)v);
	expect(what, &o, err, diag);
	free(b);
}

static void btf_name(const char *name, uint32_t kernel, int err, const char *diag)
{
	unsigned char *b = malloc(pr[PF_BTF].len);
	struct outcome o;
	char what[128];

	memcpy(b, pr[PF_BTF].buf, pr[PF_BTF].len);
	set(b, BO(kernel_btf), 4, kernel);
	set(b, BO(name_len), 4, strlen(name));
	memset(b + BO(name), 0, EMU_BTF_NAME_MAX);
	memcpy(b + BO(name), name, strlen(name) < EMU_BTF_NAME_MAX ? strlen(name) : EMU_BTF_NAME_MAX);
	run_case(b, pr[PF_BTF].len, true, false, NULL, &o);
	snprintf(what, sizeof(what), "btf: kernel_btf %u, name \"%.20s\"", kernel, name);
	expect(what, &o, err, diag);
	free(b);
}

/* ---- cost ---- */

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A long straight program: n ALU instructions, then exit. */
static int load_long(uint32_t n)
{
	struct emu_insn *p = calloc(n + 2, sizeof(*p));
	static const char lic[] = "GPL";
	struct {
		_Alignas(8) unsigned char b[PL_END];
	} a;
	int fd;

	p[0] = EI_MOV64_IMM(0, 0);
	for (uint32_t i = 1; i <= n; i++)
		p[i] = EI_ALU64_IMM(EMU_ADD, 0, (int32_t)(i & 7));
	p[n + 1] = EI_EXIT();
	memset(&a, 0, sizeof(a));
	memcpy(a.b + PL_TYPE, &(uint32_t){ EMU_PROG_SOCKET_FILTER }, 4);
	memcpy(a.b + PL_INSN_CNT, &(uint32_t){ n + 2 }, 4);
	memcpy(a.b + PL_INSNS, &(uint64_t){ (uintptr_t)p }, 8);
	memcpy(a.b + PL_LICENSE, &(uint64_t){ (uintptr_t)lic }, 8);
	fd = (int)pf_bpf(EMU_BPF_PROG_LOAD, &a, PL_END);
	free(p);
	return fd;
}

static void cost(const char *name, int (*make)(void *), void *arg)
{
	enum { ROUNDS = 15 };
	double load[ROUNDS], first[ROUNDS], later[ROUNDS];
	long ret;

	for (int r = 0; r < ROUNDS; r++) {
		unsigned char *buf;
		size_t len;
		double t = now_us();
		int fd = make(arg), cfd;

		load[r] = now_us() - t;
		if (fd < 0 || mf_read_file(fd, &buf, &len)) {
			printf("cost %s: cannot make the program\n", name);
			return;
		}
		cfd = mf_open(buf, len, false, "cost"); /* a copy: another file, as another process meets it */
		free(buf);
		t = now_us();
		test_run(cfd, &ret);
		first[r] = now_us() - t;
		t = now_us();
		test_run(cfd, &ret);
		later[r] = now_us() - t;
		close(cfd);
		close(fd);
	}
	qsort(load, ROUNDS, sizeof(double), cmp_d);
	qsort(first, ROUNDS, sizeof(double), cmp_d);
	qsort(later, ROUNDS, sizeof(double), cmp_d);
	printf("cost %-14s PROG_LOAD %8.1f us   first TEST_RUN of a copy (re-check) %8.1f us   later TEST_RUN %6.1f us\n",
	       name, load[ROUNDS / 2], first[ROUNDS / 2], later[ROUNDS / 2]);
}

static int make_kind(void *arg) { return pf_make((enum pf_kind_id)(uintptr_t)arg); }
static int make_long(void *arg) { return load_long((uint32_t)(uintptr_t)arg); }

int main(int argc, char **argv)
{
	bool no_cost = argc > 1 && !strcmp(argv[1], "--no-cost");

	if (!mf_private_state()) {
		perror("progfile_fields: state directory");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned k = 0; k < PF_NR_KINDS; k++) {
		int fd = pf_make((enum pf_kind_id)k);

		if (fd < 0 || mf_read_file(fd, &pr[k].buf, &pr[k].len)) {
			fprintf(stderr, "progfile_fields: cannot make a %s file: %s\n", pf_kinds[k].name,
				strerror(fd == -1 ? errno : -fd));
			return 1;
		}
	}
	{
		struct {
			_Alignas(8) unsigned char b[MC_END];
		} a;

		memset(&a, 0, sizeof(a));
		memcpy(a.b + MC_TYPE, &(uint32_t){ EMU_MAP_ARRAY }, 4);
		memcpy(a.b + MC_KEY_SIZE, &(uint32_t){ 4 }, 4);
		memcpy(a.b + MC_VALUE_SIZE, &(uint32_t){ 4 }, 4);
		memcpy(a.b + MC_MAX_ENTRIES, &(uint32_t){ 4 }, 4);
		small_map = (int)pf_bpf(EMU_BPF_MAP_CREATE, &a, MC_END);
	}
	{
		unsigned char inf[80];
		struct {
			_Alignas(8) unsigned char b[16];
		} a;

		memset(inf, 0, sizeof(inf));
		memset(&a, 0, sizeof(a));
		memcpy(a.b + INFO_FD, &small_map, 4);
		memcpy(a.b + INFO_LEN, &(uint32_t){ sizeof(inf) }, 4);
		memcpy(a.b + INFO_PTR, &(uint64_t){ (uintptr_t)inf }, 8);
		if (small_map < 0 || pf_bpf(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, INFO_END) < 0) {
			perror("progfile_fields: small map");
			return 1;
		}
		memcpy(&small_map_id, inf + 4, 4); /* bpf_map_info.id */
	}

	printf("== pristine copies: every kind runs from a copy (re-checked)\n");
	for (unsigned k = 0; k < PF_NR_KINDS; k++) {
		struct outcome o;

		run_case(pr[k].buf, pr[k].len, pf_kinds[k].is_btf, false, NULL, &o);
		expect(pf_kinds[k].name, &o, k == PF_OTHER ? EOPNOTSUPP : 0, NULL);
	}
	{
		struct outcome o;

		run_case(pr[PF_MAPS].buf, pr[PF_MAPS].len, false, true, NULL, &o);
		expect("maps, by BPF_OBJ_GET of a pin", &o, 0, NULL);
	}

	printf("== program header fields: refused when first met (EINVAL)\n");
	refused(PF_MAPS, "hdr_size", HO(hdr_size), 4, sizeof(struct emu_prog_hdr) + 8);
	refused(PF_MAPS, "file_size", HO(file_size), 8, pr[PF_MAPS].len + 64);
	refused(PF_MAPS, "id", HO(id), 4, 0);
	refused(PF_MAPS, "prog_type", HO(prog_type), 4, 99);
	refused(PF_MAPS, "prog_type", HO(prog_type), 4, EMU_PROG_LIRC_MODE2);
	refused(PF_MAPS, "name", HO(name), 1, '-');
	refused(PF_MAPS, "name", HO(name) + 15, 1, 'x');
	refused(PF_MAPS, "gpl_compatible", HO(gpl_compatible), 4, 2);
	refused(PF_MAPS, "flags", HO(flags), 4, 0x100);
	refused(PF_MAPS, "insn_cnt", HO(insn_cnt), 4, 0);
	refused(PF_MAPS, "insn_cnt", HO(insn_cnt), 4, 0x7fffffff);
	/* within the limit, past the file: the section (insns_off, insn_cnt) does not fit */
	prog_field(PF_MAPS, "insn_cnt", HO(insn_cnt), 4, 100000, EINVAL, "refused: its insns_off is not");
	refused(PF_MAPS, "xlated_cnt", HO(xlated_cnt), 4, 0);
	refused(PF_MAPS, "nr_ld", HO(nr_ld), 4, 1000);
	refused(PF_MAPS, "nr_subprogs", HO(nr_subprogs), 4, 257);
	refused(PF_MAPS, "nr_func_info", HO(nr_func_info), 4, 1000);
	refused(PF_MAPS, "nr_line_info", HO(nr_line_info), 4, 1000);
	refused(PF_MAPS, "nr_insn_maps", HO(nr_insn_maps), 4, 65);
	refused(PF_MAPS, "nr_insn_maps", HO(nr_insn_maps), 4, 3);
	refused(PF_MAPS, "nr_map_ids", HO(nr_map_ids), 4, 5000);
	refused(PF_MAPS, "insns_off", HO(insns_off), 8, 1ull << 40);
	refused(PF_MAPS, "insns_off", HO(insns_off), 8, UINT64_MAX - 7); /* wraps if added */
	refused(PF_MAPS, "insns_off", HO(insns_off), 8, 64);              /* inside the header */
	refused(PF_MAPS, "insns_off", HO(insns_off), 8, get(pr[PF_MAPS].buf, HO(insns_off), 8) + 4);
	refused(PF_MAPS, "xlated_off", HO(xlated_off), 8, pr[PF_MAPS].len);
	refused(PF_MAPS, "ld_off", HO(ld_off), 8, 1ull << 62);
	refused(PF_SUBPROG_BTF, "func_info_off", HO(func_info_off), 8, pr[PF_SUBPROG_BTF].len - 8);
	refused(PF_SUBPROG_BTF, "line_info_off", HO(line_info_off), 8, pr[PF_SUBPROG_BTF].len);
	refused(PF_SUBPROG_BTF, "subprog_off", HO(subprog_off), 8, UINT64_MAX);
	prog_field(PF_MAPS, "layout_version", HO(layout_version), 4, 7, EINVAL, "refused: its layout_version");
	{
		/* by BPF_OBJ_GET: the pin check refuses another layout first (EACCES), the header
		 * check the rest (EINVAL at the first use) */
		unsigned char *b = malloc(pr[PF_MAPS].len);
		struct outcome o;

		memcpy(b, pr[PF_MAPS].buf, pr[PF_MAPS].len);
		set(b, HO(insns_off), 8, 1ull << 40);
		run_case(b, pr[PF_MAPS].len, false, true, NULL, &o);
		expect("maps, by BPF_OBJ_GET: insns_off = 1<<40", &o, EINVAL, "refused: its insns_off");
		free(b);
	}

	printf("== damage the re-check finds (EUCLEAN at the first run)\n");
	damaged("tag flipped", PF_RET, m_tag, EUCLEAN, "damaged tag");
	damaged("load 4096 past the value, tag forged", PF_GLOBAL, m_oob, EUCLEAN, "damaged instructions");
	damaged("unknown helper, tag forged", PF_MAPS, m_helper, EUCLEAN, "damaged instructions");
	damaged("loop bound removed, tag forged", PF_LOOP, m_loop, EUCLEAN, "damaged instructions");
	damaged("ld record on another insn", PF_MAPS, m_ld_insn, EUCLEAN, "damaged ld_imm64 records");
	damaged("ld record of another kind", PF_MAPS, m_ld_kind, EUCLEAN, "damaged ld_imm64 records");
	damaged("ld record naming map 60", PF_MAPS, m_ld_map, EUCLEAN, "damaged ld_imm64 records");
	damaged("ld record's value offset", PF_GLOBAL, m_ld_off, EUCLEAN, "damaged ld_imm64 records");
	damaged("used map swapped for a 4-byte-value map", PF_MAPS, m_map_swap, EUCLEAN, "damaged instructions");
	damaged("used map id of no map", PF_MAPS, m_map_gone, ENOENT, "cannot be found");
	damaged("func_info names a non-FUNC type", PF_SUBPROG_BTF, m_func_info, EUCLEAN, "damaged instructions");
	damaged("func_info's insn_off moved", PF_SUBPROG_BTF, m_func_info_off, EUCLEAN, "damaged instructions");
	damaged("btf_id of no BTF", PF_SUBPROG_BTF, m_btf_id, EUCLEAN, "cannot be found");
	damaged("max_ctx_offset past what the program reads", PF_RET, m_max_ctx, EUCLEAN, "damaged max_ctx_offset");
	damaged("not `r0 = imm; exit`, tag forged", PF_OTHER, m_other, EUCLEAN, "not `r0 = imm; exit`");

	printf("== the file changed after this process met it\n");
	after("insns_off moved past the file", PF_MAPS, a_insns_off, 0, NULL);
	after("nr_map_ids cut to 0", PF_MAPS, a_nr_map_ids, EUCLEAN, "damaged nr_map_ids");

	printf("== BTF file fields\n");
	btf_field("layout_version", BO(layout_version), 4, 9, EINVAL, "refused: its layout_version");
	btf_field("hdr_size", BO(hdr_size), 4, 8, EINVAL, "refused: its hdr_size");
	btf_field("file_size", BO(file_size), 8, 1ull << 33, EINVAL, "refused: its file_size");
	btf_field("id", BO(id), 4, 0, EINVAL, "refused: its id");
	btf_field("kernel_btf", BO(kernel_btf), 4, 2, EINVAL, "refused: its kernel_btf");
	btf_field("name_len", BO(name_len), 4, 200, EINVAL, "refused: its name_len");
	btf_field("data_off", BO(data_off), 8, 64, EINVAL, "refused: its data_off");
	btf_field("data_size", BO(data_size), 4, 0xffffff00u, EINVAL, "refused: its data_size");
	btf_field("data_size", BO(data_size), 4, 8, EINVAL, "refused: its data_size");
	btf_name("../../../../etc/passwd", 1, EINVAL, "refused: its name");
	btf_name("vmlinux", 1, EINVAL, "refused: its name"); /* vmlinux is id 1, this one is not */
	btf_name("x", 0, EINVAL, "refused: its name_len");   /* a user BTF has no name */
	{
		/* the blob: a type's kind made invalid; the header is fine */
		unsigned char *b = malloc(pr[PF_BTF].len);
		struct outcome o;

		memcpy(b, pr[PF_BTF].buf, pr[PF_BTF].len);
		b[128 + 24 + 7] = 0x1f; /* type 1's info: kind 31 */
		run_case(b, pr[PF_BTF].len, true, false, NULL, &o);
		expect("btf: blob's first type of kind 31", &o, EUCLEAN, "its blob is damaged");
		free(b);
	}

	printf("progfile_fields: %d cases, %d failed\n", cases, failures);
	if (!no_cost) {
		printf("== the cost of the re-check (medians of 15)\n");
		for (unsigned k = 0; k < PF_NR_KINDS; k++)
			if (!pf_kinds[k].is_btf && k != PF_OTHER)
				cost(pf_kinds[k].name, make_kind, (void *)(uintptr_t)k);
		cost("long_1000", make_long, (void *)(uintptr_t)1000);
		cost("long_30000", make_long, (void *)(uintptr_t)30000);
	}
	return failures ? 1 : 0;
}
