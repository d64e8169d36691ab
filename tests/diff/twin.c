/* SPDX-License-Identifier: MIT */
/* A BPF object on the kernel and in the emulator at once (see twin.h). */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "core/map.h"
#include "core/prog_obj.h" /* emu_map_xlate_array */
#include "twin.h"
#include "uaccess/uaccess.h"
#include "uapi/bpf_insn.h"

static long emu_sys(int cmd, void *attr, unsigned size)
{
	long r = bpfemu_bpf(cmd, attr, size);

	return r < 0 ? -errno : r;
}

static void put32(unsigned char *a, unsigned off, uint32_t v) { memcpy(a + off, &v, 4); }
static void put64(unsigned char *a, unsigned off, uint64_t v) { memcpy(a + off, &v, 8); }
static uint32_t get32(const unsigned char *a, unsigned off)
{
	uint32_t v;

	memcpy(&v, a + off, 4);
	return v;
}
static uint64_t get64(const unsigned char *a, unsigned off)
{
	uint64_t v;

	memcpy(&v, a + off, 8);
	return v;
}

/* every element of the kernel map into the emulator's (arrays: every index; the others start
 * empty after libbpf's load) */
static int sync_contents(struct tw_map *m)
{
	uint32_t vb = m->p.vbytes;
	unsigned char *v = malloc(vb);
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (m->p.type == EMU_MAP_ARRAY || m->p.type == EMU_MAP_PERCPU_ARRAY) {
		for (uint32_t i = 0; i < m->p.max_entries && !err; i++) {
			unsigned char a[EMU_ATTR_SIZE] = { 0 };

			put32(a, EL_FD, (uint32_t)m->p.fd[HX_K]);
			put64(a, EL_KEY, (uintptr_t)&i);
			put64(a, EL_VALUE, (uintptr_t)v);
			if (hx_raw(HX_K, EMU_BPF_MAP_LOOKUP_ELEM, a, sizeof(a)))
				err = -EIO;
			put32(a, EL_FD, (uint32_t)m->p.fd[HX_E]);
			if (!err && emu_sys(EMU_BPF_MAP_UPDATE_ELEM, a, sizeof(a)))
				err = -EIO;
		}
	}
	free(v);
	return err;
}

static int ldimm64(void *cb, const struct emu_insn *insn, uint32_t idx, uint64_t *value, char *err, size_t errlen)
{
	struct tw_obj *o = cb;

	(void)idx;
	for (uint32_t i = 0; i < o->nmaps; i++) {
		struct tw_map *m = &o->map[i];

		if (insn[0].imm != m->p.fd[HX_K])
			continue;
		if (insn[0].src_reg == EMU_PSEUDO_MAP_FD) {
			*value = (uint64_t)(uintptr_t)m->em;
			return 0;
		}
		if (insn[0].src_reg == EMU_PSEUDO_MAP_VALUE) {
			uint32_t zero = 0;
			char *base = m->em->ops->prog_lookup ? m->em->ops->prog_lookup(m->em, &zero, 0) : NULL;

			if (!base || (uint32_t)insn[1].imm >= m->p.value_size)
				break;
			*value = (uint64_t)(uintptr_t)(base + (uint32_t)insn[1].imm);
			return 0;
		}
	}
	snprintf(err, errlen, "ld_imm64 src %u imm %d: not a map of the object", insn[0].src_reg, insn[0].imm);
	return -EINVAL;
}

/*
 * The bpf_map_lookup_elem call sites to inline (emu/prog/inline_lookup.h) as the loader's walk
 * finds them on the program-object side (emu_prog_check_out.lookup_map: the one map r1 holds on
 * every path), approximated for the corpus: r1 set by a map ld_imm64 earlier in straight-line code
 * (no jump lands after it up to the call, no other instruction writes r1 in between). The inlined
 * call still compares r1 with the map at run time, so a wrong guess costs speed, not results.
 */
static bool inline_lookup(void *cb, uint32_t idx, struct emu_xlate_array *a)
{
	const struct tw_obj *o = cb;
	const struct emu_insn *in = o->xl_insns;
	uint32_t ld = UINT32_MAX;

	if (!in || idx >= o->xl_cnt)
		return false;
	for (uint32_t j = idx; j-- > 0;) {
		uint8_t cls = in[j].code & 7;

		if (j > 0 && in[j - 1].code == EMU_LD_IMM64)
			continue; /* the second slot */
		if (in[j].code == EMU_LD_IMM64 && in[j].dst_reg == 1) {
			if (in[j].src_reg == EMU_PSEUDO_MAP_FD)
				ld = j;
			break;
		}
		if ((cls == EMU_JMP || cls == EMU_JMP32) && (in[j].code & 0xf0) == EMU_CALL)
			break;
		if ((cls == EMU_ALU || cls == EMU_ALU64 || cls == EMU_LDX || cls == EMU_LD) && in[j].dst_reg == 1)
			break;
		if (cls == EMU_STX && (in[j].code & 0xe0) == EMU_ATOMIC &&
		    ((in[j].imm & EMU_FETCH) || in[j].imm == EMU_CMPXCHG || in[j].imm == EMU_LOAD_ACQ))
			break; /* may write a register */
	}
	if (ld == UINT32_MAX)
		return false;
	for (uint32_t j = 0; j < o->xl_cnt; j++) { /* no jump into (ld, idx] */
		uint8_t cls = in[j].code & 7, op = in[j].code & 0xf0;
		int64_t t;

		if (in[j].code == EMU_LD_IMM64) {
			j++;
			continue;
		}
		if ((cls != EMU_JMP && cls != EMU_JMP32) || op == EMU_EXIT || (cls == EMU_JMP && op == EMU_CALL))
			continue;
		t = (int64_t)j + 1 + (cls == EMU_JMP32 && op == EMU_JA ? in[j].imm : in[j].off);
		if (t > (int64_t)ld && t <= (int64_t)idx)
			return false;
	}
	for (uint32_t i = 0; i < o->nmaps; i++)
		if (in[ld].imm == o->map[i].p.fd[HX_K])
			return emu_map_xlate_array(o->map[i].em, a);
	return false;
}

static int mirror_map(struct tw_obj *o, struct bpf_map *bm, int ebtf_fd)
{
	struct tw_map *m = &o->map[o->nmaps];
	unsigned char info[MI_SIZE] = { 0 }, ia[EMU_ATTR_SIZE] = { 0 }, ca[EMU_ATTR_SIZE] = { 0 };
	uint32_t len = sizeof(info);
	long fd;
	int mode;

	memset(m, 0, sizeof(*m));
	m->p.fd[HX_K] = bpf_map__fd(bm);
	put32(ia, INFO_FD, (uint32_t)m->p.fd[HX_K]);
	put32(ia, INFO_LEN, len);
	put64(ia, INFO_PTR, (uintptr_t)info);
	if (hx_raw(HX_K, EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia)))
		return -EIO;
	m->p.type = get32(info, MI_TYPE);
	m->p.key_size = get32(info, MI_KEY_SIZE);
	m->p.value_size = get32(info, MI_VALUE_SIZE);
	m->p.max_entries = get32(info, MI_MAX_ENTRIES);
	m->p.flags = get32(info, MI_MAP_FLAGS);
	m->p.vbytes = hx_value_bytes(m->p.type, m->p.value_size);
	m->p.zero_seed = (m->p.flags & EMU_F_ZERO_SEED) != 0;
	memcpy(m->name, info + MI_NAME, 15);
	m->global = bpf_map__is_internal(bm);
	put32(ca, MC_TYPE, m->p.type);
	put32(ca, MC_KEY_SIZE, m->p.key_size);
	put32(ca, MC_VALUE_SIZE, m->p.value_size);
	put32(ca, MC_MAX_ENTRIES, m->p.max_entries);
	put32(ca, MC_FLAGS, m->p.flags);
	memcpy(ca + MC_NAME, info + MI_NAME, 16);
	if (get32(info, MI_BTF_ID) && ebtf_fd >= 0 && get32(info, MI_BTF_VALUE_TYPE_ID)) {
		put32(ca, MC_BTF_FD, (uint32_t)ebtf_fd);
		put32(ca, MC_BTF_KEY, get32(info, MI_BTF_KEY_TYPE_ID));
		put32(ca, MC_BTF_VALUE, get32(info, MI_BTF_VALUE_TYPE_ID));
	}
	fd = emu_sys(EMU_BPF_MAP_CREATE, ca, sizeof(ca));
	if (fd < 0 && get32(ca, MC_BTF_FD)) { /* a BTF the emulator refuses: without it */
		put32(ca, MC_BTF_FD, 0);
		put32(ca, MC_BTF_KEY, 0);
		put32(ca, MC_BTF_VALUE, 0);
		fd = emu_sys(EMU_BPF_MAP_CREATE, ca, sizeof(ca));
	}
	if (fd < 0) {
		printf("FAIL: the emulator refused map %s (type %u): %s\n", m->name, m->p.type, hx_errname((int)-fd));
		return (int)fd;
	}
	m->p.fd[HX_E] = (int)fd;
	if (emu_map_get((int)fd, &m->em, &mode))
		return -EIO;
	if (sync_contents(m))
		return -EIO;
	if (m->global) {
		uint32_t zero = 0;
		char *v = m->em->ops->prog_lookup(m->em, &zero, 0);

		o->rg[o->nrg++] = (struct emu_region){ (uintptr_t)v, (uintptr_t)v + m->p.value_size,
						       EMU_MEM_READ | (m->p.flags & EMU_F_RDONLY_PROG ? 0 : EMU_MEM_WRITE),
						       EMU_RGN_GLOBAL };
	}
	o->emaps[o->nmaps] = m->em;
	o->nmaps++;
	return 0;
}

/*
 * prog->aux->max_ctx_offset as the verifier finds it (one past the last context byte a load
 * reads), approximated for the corpus: loads through registers that hold the context, followed
 * through register moves in straight-line code of the entry function. The program-object side
 * gets the real value from the loader's walk.
 */
static uint32_t max_ctx_offset(const struct emu_insn *in, uint32_t n)
{
	uint16_t ctx = 1u << 1;
	uint32_t max = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t cls = in[i].code & 7, dst = in[i].dst_reg, src = in[i].src_reg;

		if (in[i].code == (EMU_JMP | EMU_EXIT))
			break;
		if (cls == EMU_LDX && (ctx >> src & 1)) {
			static const uint32_t sz[4] = { 4, 2, 1, 8 };
			uint32_t end = (uint32_t)in[i].off + sz[(in[i].code >> 3) & 3];

			if (end > max)
				max = end;
		}
		if (in[i].code == (EMU_ALU64 | EMU_MOV | EMU_X) && !in[i].off) {
			ctx = (uint16_t)((ctx & ~(1u << dst)) | ((ctx >> src & 1) << dst));
			continue;
		}
		if (in[i].code == (EMU_JMP | EMU_CALL))
			ctx &= (uint16_t)~0x3fu;
		else if (cls == EMU_ALU || cls == EMU_ALU64 || cls == EMU_LDX || cls == EMU_LD)
			ctx &= (uint16_t)~(1u << dst);
	}
	return max;
}

bool tw_open(struct tw_obj *o, const char *dir, const char *name)
{
	char path[512], err[256];
	struct bpf_program *bp;
	struct bpf_map *bm;
	int ebtf = -1;

	memset(o, 0, sizeof(*o));
	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	o->obj = bpf_object__open_file(path, NULL);
	if (!o->obj || libbpf_get_error(o->obj)) {
		printf("FAIL: cannot open %s\n", path);
		o->obj = NULL;
		return false;
	}
	if (bpf_object__load(o->obj)) {
		printf("FAIL: libbpf cannot load %s on the kernel\n", path);
		return false;
	}
	if (bpf_object__btf(o->obj)) {
		uint32_t sz;
		const void *raw = btf__raw_data(bpf_object__btf(o->obj), &sz);
		unsigned char a[EMU_ATTR_SIZE] = { 0 };
		long fd;

		put64(a, BTF_BLOB, (uintptr_t)raw);
		put32(a, BTF_SIZE, sz);
		fd = emu_sys(EMU_BPF_BTF_LOAD, a, sizeof(a));
		ebtf = fd < 0 ? -1 : (int)fd;
	}
	bpf_object__for_each_map(bm, o->obj) {
		if (o->nmaps == TW_MAX_MAPS || mirror_map(o, bm, ebtf)) {
			printf("FAIL: %s: cannot mirror map %s\n", name, bpf_map__name(bm));
			return false;
		}
	}
	bpf_object__for_each_program(bp, o->obj) {
		struct tw_prog *p = &o->prog[o->nprogs];
		struct emu_xlate_opts xo = { .ld_imm64 = ldimm64, .helper = emu_helper_lookup, .cb_ctx = o,
					     .inline_lookup = inline_lookup };

		if (o->nprogs == TW_MAX_PROGS)
			break;
		o->xl_insns = (const struct emu_insn *)bpf_program__insns(bp);
		o->xl_cnt = (uint32_t)bpf_program__insn_cnt(bp);
		p->name = bpf_program__name(bp);
		p->type = bpf_program__type(bp);
		p->eat = bpf_program__expected_attach_type(bp);
		p->kfd = bpf_program__fd(bp);
		p->insns = (const struct emu_insn *)bpf_program__insns(bp);
		p->cnt = (uint32_t)bpf_program__insn_cnt(bp);
		p->max_ctx_offset = max_ctx_offset((const struct emu_insn *)bpf_program__insns(bp),
						   (uint32_t)bpf_program__insn_cnt(bp));
		p->img = emu_prog_translate((const struct emu_insn *)bpf_program__insns(bp),
					    (uint32_t)bpf_program__insn_cnt(bp), &xo, err, sizeof(err));
		if (!p->img) {
			printf("FAIL: %s/%s: the translator refused it: %s\n", name, p->name, err);
			return false;
		}
		o->nprogs++;
	}
	o->xl_insns = NULL;
	return true;
}

struct emu_prog_image *tw_translate(struct tw_obj *o, const struct tw_prog *p, tw_translate_fn *translate)
{
	struct emu_xlate_opts xo = { .ld_imm64 = ldimm64, .helper = emu_helper_lookup, .cb_ctx = o,
				     .inline_lookup = inline_lookup };
	struct emu_prog_image *img;
	char err[256];

	o->xl_insns = p->insns;
	o->xl_cnt = p->cnt;
	img = translate(p->insns, p->cnt, &xo, err, sizeof(err));
	o->xl_insns = NULL;
	return img;
}

void tw_close(struct tw_obj *o)
{
	for (uint32_t i = 0; i < o->nprogs; i++)
		emu_prog_image_free(o->prog[i].img);
	for (uint32_t i = 0; i < o->nmaps; i++) {
		if (o->map[i].em)
			emu_map_put(o->map[i].em);
		if (o->map[i].p.fd[HX_E] >= 0)
			close(o->map[i].p.fd[HX_E]);
	}
	if (o->obj)
		bpf_object__close(o->obj);
	memset(o, 0, sizeof(*o));
}

struct tw_prog *tw_prog(struct tw_obj *o, const char *name)
{
	for (uint32_t i = 0; i < o->nprogs; i++)
		if (!strcmp(o->prog[i].name, name))
			return &o->prog[i];
	printf("FAIL: no program %s\n", name);
	exit(1);
}

struct tw_map *tw_map(struct tw_obj *o, const char *name)
{
	for (uint32_t i = 0; i < o->nmaps; i++)
		if (!strcmp(o->map[i].name, name))
			return &o->map[i];
	printf("FAIL: no map %s\n", name);
	exit(1);
}

/* ---- the command, emulator side ---- */

/* As much of [u, u + n) as is readable, from the start, a page at a time (the command's copy) */
static uint32_t copy_in(void *dst, uint64_t u, uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		uint32_t chunk = 4096 - (uint32_t)((u + done) & 4095);

		if (chunk > n - done)
			chunk = n - done;
		if (emu_copy_from_user((char *)dst + done, (const void *)(uintptr_t)(u + done), chunk))
			break;
		done += chunk;
	}
	return done;
}

long tw_emu_command(const struct tw_prog *p, const struct tw_obj *o, const unsigned char *attr, unsigned char *uattr,
		    struct emu_test_run_out *keep)
{
	struct emu_test_run_in in;
	struct emu_test_run_out out;
	uint64_t data_in = get64(attr, TR_DATA_IN), ctx_in = get64(attr, TR_CTX_IN);
	uint64_t base[4] = { (uintptr_t)uattr, get64(attr, TR_DATA_OUT), get64(attr, TR_CTX_OUT), ctx_in };
	long ret;

	/* the command's own checks */
	if (!!get32(attr, TR_CTX_SIZE_IN) != !!ctx_in || !!get32(attr, TR_CTX_SIZE_OUT) != !!base[2])
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.data_size_in = get32(attr, TR_DATA_SIZE_IN);
	in.data_size_out = get32(attr, TR_DATA_SIZE_OUT);
	in.ctx_size_in = get32(attr, TR_CTX_SIZE_IN);
	in.ctx_size_out = get32(attr, TR_CTX_SIZE_OUT);
	in.repeat = get32(attr, TR_REPEAT);
	in.duration = get32(attr, TR_DURATION);
	in.flags = get32(attr, TR_FLAGS);
	in.cpu = get32(attr, TR_CPU);
	in.batch_size = get32(attr, TR_BATCH_SIZE);
	in.data_in_set = data_in != 0;
	in.data_out_set = base[1] != 0;
	in.ctx_in_set = ctx_in != 0;
	in.ctx_out_set = base[2] != 0;
	/* the private copies, as far as they can be read */
	{
		static unsigned char dbuf[EMU_TR_DATA_IN_MAX], cbuf[EMU_TR_CTX_IN_MAX];
		uint32_t dn = in.data_size_in < EMU_TR_DATA_IN_MAX ? in.data_size_in : EMU_TR_DATA_IN_MAX;
		uint32_t cn = in.ctx_size_in < EMU_TR_CTX_IN_MAX ? in.ctx_size_in : EMU_TR_CTX_IN_MAX;

		in.data_in = data_in ? dbuf : NULL;
		in.data_in_avail = data_in ? copy_in(dbuf, data_in, dn) : 0;
		in.ctx_in = ctx_in ? cbuf : NULL;
		in.ctx_in_avail = ctx_in ? copy_in(cbuf, ctx_in, cn) : 0;
	}
	in.maps = o->emaps;
	in.nr_maps = o->nmaps;
	in.regions = o->rg;
	in.nr_regions = o->nrg;
	in.max_ctx_offset = p->max_ctx_offset;
	in.trace = o->trace;
	in.run_fn = p->run_fn;
	ret = emu_test_run(p->img, p->type, p->eat, &in, &out);
	if (!ret) {
		for (uint32_t i = 0; i < out.nr_copy && !ret; i++) {
			const struct emu_tr_copy *c = &out.copy[i];

			if (emu_copy_to_user((void *)(uintptr_t)(base[c->dst] + c->off), c->src, c->len))
				ret = -EFAULT;
		}
		if (!ret)
			ret = out.ret;
	}
	if (keep)
		*keep = out;
	else
		emu_test_run_out_free(&out);
	return ret;
}

/* ---- both sides ---- */

static void dump_diff(const char *what, const unsigned char *k, const unsigned char *e, size_t n)
{
	size_t first = 0;

	while (first < n && k[first] == e[first])
		first++;
	printf("    %s differs from byte %zu:\n", what, first);
	for (size_t off = first & ~(size_t)15, lines = 0; off < n && lines < 4; off += 16, lines++) {
		printf("      %5zu kernel  ", off);
		for (size_t i = off; i < off + 16 && i < n; i++)
			printf(" %02x", k[i]);
		printf("\n      %5zu emulator", off);
		for (size_t i = off; i < off + 16 && i < n; i++)
			printf(" %02x", e[i]);
		printf("\n");
	}
}

unsigned long tw_runs;

int tw_run(struct tw_obj *o, struct tw_prog *p, const struct tw_case *c, const char *label)
{
	static struct tw_result r[2];
	unsigned char a[2][EMU_ATTR_SIZE];
	bool bad = false;

	for (int s = 0; s < 2; s++) {
		memset(a[s], 0, EMU_ATTR_SIZE);
		memset(r[s].data_out, 0xa5, sizeof(r[s].data_out));
		memset(r[s].ctx_out, 0xa5, sizeof(r[s].ctx_out));
		if (c->ctx_in && !c->ctx_raw && c->ctx_size_in <= sizeof(r[s].ctx_in))
			memcpy(r[s].ctx_in, c->ctx_in, c->ctx_size_in);
		put32(a[s], TR_PROG_FD, s == HX_K ? (uint32_t)p->kfd : 0);
		put32(a[s], TR_DATA_SIZE_IN, c->data_size_in);
		put64(a[s], TR_DATA_IN, (uintptr_t)c->data_in);
		put32(a[s], TR_DATA_SIZE_OUT, c->data_size_out);
		put64(a[s], TR_DATA_OUT, c->data_out_cap ? (uintptr_t)r[s].data_out : 0);
		put32(a[s], TR_CTX_SIZE_IN, c->ctx_size_in);
		put64(a[s], TR_CTX_IN, c->ctx_in ? (c->ctx_raw ? (uintptr_t)c->ctx_in : (uintptr_t)r[s].ctx_in) : 0);
		put32(a[s], TR_CTX_SIZE_OUT, c->ctx_size_out);
		put64(a[s], TR_CTX_OUT, c->ctx_out_cap ? (uintptr_t)r[s].ctx_out : 0);
		put32(a[s], TR_REPEAT, c->repeat);
		put32(a[s], TR_DURATION, c->duration);
		put32(a[s], TR_FLAGS, c->flags);
		put32(a[s], TR_CPU, c->cpu);
		put32(a[s], TR_BATCH_SIZE, c->batch_size);
		memcpy(r[s].attr, a[s], EMU_ATTR_SIZE);
	}
	r[HX_K].ret = hx_raw(HX_K, EMU_BPF_PROG_TEST_RUN, r[HX_K].attr, EMU_ATTR_SIZE);
	r[HX_E].ret = tw_emu_command(p, o, a[HX_E], r[HX_E].attr, NULL);
	hx_nops++;
	tw_runs++;
	/* duration is time: not compared */
	put32(r[HX_K].attr, TR_DURATION, 0);
	put32(r[HX_E].attr, TR_DURATION, 0);
	if (getenv("DIFF_PROG_VERBOSE"))
		printf("  %s/%s: %s: kernel %ld, emulator %ld, retval %u/%u\n", hx_ctx_get(), p->name, label, r[HX_K].ret,
		       r[HX_E].ret, get32(r[HX_K].attr, TR_RETVAL), get32(r[HX_E].attr, TR_RETVAL));
	if (r[HX_K].ret != r[HX_E].ret)
		bad = true;
	for (int f = 0; !bad && f < 4; f++) {
		static const unsigned offs[] = { TR_RETVAL, TR_DATA_SIZE_OUT, TR_CTX_SIZE_OUT, TR_DURATION };

		if (get32(r[HX_K].attr, offs[f]) != get32(r[HX_E].attr, offs[f]))
			bad = true;
	}
	if (!bad && (memcmp(r[HX_K].data_out, r[HX_E].data_out, sizeof(r[0].data_out)) ||
		     memcmp(r[HX_K].ctx_out, r[HX_E].ctx_out, sizeof(r[0].ctx_out)) ||
		     (c->ctx_in && !c->ctx_raw && memcmp(r[HX_K].ctx_in, r[HX_E].ctx_in, c->ctx_size_in))))
		bad = true;
	if (!bad)
		return 0;
	if (++hx_ndiv <= hx_max_reports) {
		printf("DIVERGENCE #%lu [%s/%s: %s]\n", hx_ndiv, hx_ctx_get(), p->name, label);
		printf("    ret: kernel %ld (%s), emulator %ld (%s)\n", r[HX_K].ret, hx_errname((int)-r[HX_K].ret),
		       r[HX_E].ret, hx_errname((int)-r[HX_E].ret));
		printf("    retval: kernel %u, emulator %u; data_size_out: kernel %u, emulator %u; ctx_size_out: "
		       "kernel %u, emulator %u\n",
		       get32(r[HX_K].attr, TR_RETVAL), get32(r[HX_E].attr, TR_RETVAL), get32(r[HX_K].attr, TR_DATA_SIZE_OUT),
		       get32(r[HX_E].attr, TR_DATA_SIZE_OUT), get32(r[HX_K].attr, TR_CTX_SIZE_OUT),
		       get32(r[HX_E].attr, TR_CTX_SIZE_OUT));
		if (memcmp(r[HX_K].data_out, r[HX_E].data_out, sizeof(r[0].data_out)))
			dump_diff("data_out", r[HX_K].data_out, r[HX_E].data_out, sizeof(r[0].data_out));
		if (memcmp(r[HX_K].ctx_out, r[HX_E].ctx_out, sizeof(r[0].ctx_out)))
			dump_diff("ctx_out", r[HX_K].ctx_out, r[HX_E].ctx_out, sizeof(r[0].ctx_out));
		if (c->ctx_in && !c->ctx_raw && memcmp(r[HX_K].ctx_in, r[HX_E].ctx_in, c->ctx_size_in))
			dump_diff("ctx_in (written back)", r[HX_K].ctx_in, r[HX_E].ctx_in, c->ctx_size_in);
	}
	return 1;
}

int tw_compare(struct tw_obj *o, const char *label)
{
	int bad = 0;

	for (uint32_t i = 0; i < o->nmaps; i++) {
		unsigned long before = hx_ndiv;

		hx_ctx("%s: map %s", label, o->map[i].name);
		hx_compare_contents(&o->map[i].p);
		bad += hx_ndiv != before;
	}
	return bad;
}
