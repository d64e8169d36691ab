/* SPDX-License-Identifier: MIT */
/*
 * Program files as untrusted input (issue 24, docs/SECURITY.md): a program file is shared, and any
 * process that can open it (a sharer with a bug, a pinned file copied, changed and put back) may
 * have written any byte of it. What this process runs must be what this process verified.
 *
 *   - At open (emu_prog_file_check_hdr, EINVAL): every header field against the file's size and
 *     the loader's limits, overflow-safe: magic, layout, sizes, the id, the type, the name, the
 *     flags, every count and every section offset (aligned, after the header, inside the file).
 *     The view keeps the checked copy (struct emu_prog.hc); nothing of the header is read from
 *     the file again but the stats and the used map list (clamped at each read).
 *   - At the first run in a process that did not load it (emu_prog_file_recheck, EUCLEAN): the
 *     instructions are copied out of the file, their tag recomputed, their ld_imm64 records
 *     checked against the instructions, and the loader's checks (emu/prog/check.h) run again on
 *     the private copy with the used maps resolved through the registry (their real type, sizes
 *     and flags, not the file's idea of them) and the program's BTF re-parsed; the image is
 *     translated from that same copy with the ld_imm64 targets the checks derived. The
 *     interpreter's own region checks (emu/prog/interp.h) stay the backstop behind both.
 *
 * Invariants: nothing here reads a section of the file twice (a sharer may change it meanwhile);
 * damage is reported once per view (emu_prog_corrupt) and the view's run state keeps the errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../btf/btf.h"
#include "../prog/check.h"
#include "../prog/helper.h"
#include "../prog/interp.h"
#include "../util/diag.h"
#include "../util/vlog.h"
#include "btf_obj.h"
#include "map.h"
#include "objstore.h"
#include "prog_view.h"

#define MAX_INSNS 1000000u /* BPF_COMPLEXITY_LIMIT_INSNS: what BPF_PROG_LOAD accepts */
#define KNOWN_PROGF (EMU_PROGF_TAIL_CALL | EMU_PROGF_INCOMPLETE)

/* The name as BPF_PROG_LOAD leaves it: the kernel's characters up to a NUL, zeros after it. */
static bool name_ok(const char *name)
{
	size_t n = strnlen(name, EMU_OBJ_NAME_LEN);

	if (n == EMU_OBJ_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || (c >= 0xc0 && c != 0xd7 && c != 0xf7)))
			return false;
	}
	for (size_t i = n; i < EMU_OBJ_NAME_LEN; i++)
		if (name[i])
			return false;
	return true;
}

/* A section of cnt records of rec bytes at off: aligned, after the header, inside the file. */
static bool sect_ok(uint64_t off, uint64_t cnt, uint64_t rec, uint64_t file_size)
{
	return off % 8 == 0 && off >= sizeof(struct emu_prog_hdr) && off <= file_size &&
	       cnt * rec <= file_size - off; /* cnt < 2^32, rec <= 16: no overflow */
}

int emu_prog_file_check_hdr(const struct emu_prog_hdr *h, uint64_t file_size, const char **field)
{
	const char *f = NULL;

	if (h->layout_version != EMU_PROG_LAYOUT_VERSION)
		f = "layout_version";
	else if (h->hdr_size != sizeof(*h))
		f = "hdr_size";
	else if (h->file_size != file_size || file_size < sizeof(*h) || file_size > (uint64_t)SSIZE_MAX)
		f = "file_size";
	else if (!h->id || h->id > INT32_MAX)
		f = "id";
	else if (h->prog_type == EMU_PROG_UNSPEC || h->prog_type >= EMU_NR_PROG_TYPES ||
		 h->prog_type == EMU_PROG_LIRC_MODE2)
		f = "prog_type";
	else if (!name_ok(h->name))
		f = "name";
	else if (h->gpl_compatible > 1)
		f = "gpl_compatible";
	else if (h->flags & ~KNOWN_PROGF)
		f = "flags";
	else if (!h->insn_cnt || h->insn_cnt > MAX_INSNS)
		f = "insn_cnt";
	else if (!h->xlated_cnt || h->xlated_cnt > MAX_INSNS)
		f = "xlated_cnt";
	else if (h->nr_ld > h->insn_cnt / 2)
		f = "nr_ld";
	else if (h->nr_subprogs > EMU_MAX_SUBPROGS)
		f = "nr_subprogs";
	else if (h->nr_func_info > EMU_MAX_SUBPROGS)
		f = "nr_func_info";
	else if (h->nr_line_info > h->insn_cnt)
		f = "nr_line_info";
	else if (h->nr_insn_maps > EMU_MAX_USED_MAPS || h->nr_insn_maps > h->nr_map_ids)
		f = "nr_insn_maps";
	else if (h->nr_map_ids > EMU_PROG_MAX_MAPS)
		f = "nr_map_ids";
	else if (!sect_ok(h->insns_off, h->insn_cnt, 8, file_size))
		f = "insns_off";
	else if (!sect_ok(h->xlated_off, h->xlated_cnt, 8, file_size))
		f = "xlated_off";
	else if (!sect_ok(h->ld_off, h->nr_ld, sizeof(struct emu_prog_ld), file_size))
		f = "ld_off";
	else if (!sect_ok(h->func_info_off, h->nr_func_info, EMU_FUNC_INFO_SIZE, file_size))
		f = "func_info_off";
	else if (!sect_ok(h->line_info_off, h->nr_line_info, EMU_LINE_INFO_SIZE, file_size))
		f = "line_info_off";
	else if (!sect_ok(h->subprog_off, h->nr_subprogs, 4, file_size))
		f = "subprog_off";
	if (f && EMU_FAULT("progfile-nocheck") && !strcmp(f, "insns_off"))
		f = NULL; /* planted: the instruction section is taken as it says (tests/progfile) */
	*field = f;
	return f ? -EINVAL : 0;
}

void emu_prog_file_refused(const struct stat *st, uint32_t id, const char *field)
{
	if (emu_diag_file_new(st->st_dev, st->st_ino))
		emu_diag("program file (inode %lu, prog id %u) refused: its %s is not what a program file has: EINVAL",
			 (unsigned long)st->st_ino, id, field);
}

int emu_prog_corrupt(struct emu_prog *p, const char *field)
{
	emu_diag_once(&p->damage_said, "program %u (%s): damaged %s: its file was changed outside bpfemu: EUCLEAN",
		      p->hc.id, p->hc.name, field);
	return -EUCLEAN;
}

uint32_t emu_prog_nr_map_ids(const struct emu_prog *p)
{
	uint32_t n = __atomic_load_n(&p->hdr->nr_map_ids, __ATOMIC_ACQUIRE);

	return n > EMU_PROG_MAX_MAPS ? EMU_PROG_MAX_MAPS : n;
}

/* ---- the re-check ---- */

struct recheck {
	struct emu_prog *p;
	struct emu_btf *btf;
	void *func_info, *line_info;
};

/* The checks' map resolver over the rewritten instructions: an "fd" is an index into the used
 * maps this process resolved; what the checks learn of a map is its view's checked copy. */
static int resolve_index(void *ctx, int fd, struct emu_map_desc *d)
{
	const struct recheck *r = ctx;
	struct emu_map *m;

	if (fd < 0 || (uint32_t)fd >= r->p->nr_maps || (uint32_t)fd >= r->p->hc.nr_insn_maps)
		return -EBADF;
	m = r->p->maps[fd];
	memset(d, 0, sizeof(*d));
	d->type = m->map_type;
	d->key_size = m->key_size;
	d->value_size = m->value_size;
	d->max_entries = m->max_entries;
	d->map_flags = m->map_flags;
	d->id = m->id;
	d->frozen = __atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE) != 0;
	if (d->frozen && (m->map_flags & EMU_F_RDONLY_PROG) && m->map_type == EMU_MAP_ARRAY && m->ops->value_ptr) {
		uint32_t key = 0;
		void *v = m->ops->value_ptr(m, &key);

		d->frozen_value = v == EMU_VALUE_DAMAGED ? NULL : v;
	}
	memcpy(d->name, m->name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = 0;
	d->handle = m;
	return 0;
}

static bool btf_type_is_func(const void *b, uint32_t id)
{
	const struct emu_btf_type *t = emu_btf_type_by_id(b, id);

	return t && emu_btf_kind(t) == EMU_BTF_KIND_FUNC;
}

static bool btf_str_ok(const void *b, uint32_t off)
{
	return emu_btf_name_by_offset(b, off) != NULL;
}

static int btf_func_linkage(const void *b, uint32_t id)
{
	const struct emu_btf_type *t = emu_btf_type_by_id(b, id);

	return t ? (int)emu_btf_vlen(t) : 0;
}

const struct emu_check_btf_ops emu_prog_btf_ops = { btf_type_is_func, btf_str_ok, btf_func_linkage };

/* The program's BTF by id (the program holds it in the registry), parsed again, and private
 * copies of its func_info and line_info. */
static int load_btf(struct recheck *r)
{
	const struct emu_prog_hdr *hc = &r->p->hc;
	struct emu_btf_obj_hdr bh;
	int fd, err;

	if (!hc->nr_func_info && !hc->nr_line_info)
		return 0;
	if (!hc->btf_id)
		return emu_prog_corrupt(r->p, "btf_id");
	fd = emu_objstore_open(EMU_ID_BTF, hc->btf_id, O_RDONLY);
	if (fd < 0) {
		emu_diag("program %u (%s): its BTF %u cannot be found in this process", hc->id, hc->name, hc->btf_id);
		return fd == -ENOMEM || fd == -EMFILE || fd == -ENFILE ? fd : -EUCLEAN;
	}
	err = emu_btf_obj_get(fd, &bh);
	if (!err && (bh.kernel_btf || bh.id != hc->btf_id))
		err = -EINVAL;
	if (!err)
		err = emu_btf_obj_parse(fd, &bh, &r->btf);
	close(fd);
	if (err)
		return err == -ENOMEM ? err : emu_prog_corrupt(r->p, "BTF");
	r->func_info = malloc((size_t)EMU_FUNC_INFO_SIZE * hc->nr_func_info + 1);
	r->line_info = malloc((size_t)EMU_LINE_INFO_SIZE * hc->nr_line_info + 1);
	if (!r->func_info || !r->line_info)
		return -ENOMEM;
	memcpy(r->func_info, (const char *)r->p->hdr + hc->func_info_off, (size_t)EMU_FUNC_INFO_SIZE * hc->nr_func_info);
	memcpy(r->line_info, (const char *)r->p->hdr + hc->line_info_off, (size_t)EMU_LINE_INFO_SIZE * hc->nr_line_info);
	return 0;
}

static bool is_map_ld(const struct emu_insn *in)
{
	return in->code == EMU_LD_IMM64 &&
	       (in->src_reg == EMU_PSEUDO_MAP_FD || in->src_reg == EMU_PSEUDO_MAP_IDX ||
		in->src_reg == EMU_PSEUDO_MAP_VALUE || in->src_reg == EMU_PSEUDO_MAP_IDX_VALUE);
}

/*
 * The file's ld_imm64 records against the instructions, and the instructions rewritten for the
 * checks: each map ld_imm64 names its used map by index (src MAP_FD or MAP_VALUE, imm the index,
 * the value offset kept), one no record names gets -1 (which the resolver refuses). The
 * records: strictly increasing, each on a map ld_imm64 of its kind, naming a map the instructions
 * use, its value offset the instruction's.
 */
static int rewrite(struct emu_prog *p, struct emu_insn *in, uint32_t cnt)
{
	const struct emu_prog_ld *ld = (const struct emu_prog_ld *)((const char *)p->hdr + p->hc.ld_off);
	uint32_t nr = p->hc.nr_ld, next = 0;
	struct emu_prog_ld rec;

	for (uint32_t i = 0; i + 1 < cnt; i++) {
		bool value;

		if (!is_map_ld(&in[i]))
			continue;
		value = in[i].src_reg == EMU_PSEUDO_MAP_VALUE || in[i].src_reg == EMU_PSEUDO_MAP_IDX_VALUE;
		in[i].src_reg = value ? EMU_PSEUDO_MAP_VALUE : EMU_PSEUDO_MAP_FD;
		in[i].imm = -1;
		while (next < nr) {
			memcpy(&rec, &ld[next], sizeof(rec)); /* once: the file may change under us */
			if (rec.insn >= i)
				break;
			return emu_prog_corrupt(p, "ld_imm64 records"); /* a record on no map ld_imm64 */
		}
		if (next == nr || rec.insn != i)
			continue;
		next++;
		if (rec.kind != (value ? EMU_LDK_MAP_VALUE : EMU_LDK_MAP) || rec.map >= p->hc.nr_insn_maps ||
		    (value && rec.off != (uint32_t)in[i + 1].imm))
			return emu_prog_corrupt(p, "ld_imm64 records");
		in[i].imm = rec.map;
		i++; /* the second slot */
	}
	if (next != nr)
		return emu_prog_corrupt(p, "ld_imm64 records");
	return 0;
}

/* Programs of the types the checks do not model are loaded only as `r0 = imm; exit`. */
static bool trivial(const struct emu_insn *in, uint32_t cnt)
{
	return cnt == 2 && (in[0].code == 0xb7 || in[0].code == 0xb4) && !in[0].dst_reg && !in[0].src_reg &&
	       !in[0].off && in[1].code == 0x95 && !in[1].dst_reg && !in[1].src_reg && !in[1].off && !in[1].imm;
}

/* The ld_imm64 records the checks derived, in the used maps' numbering. */
static int derive_ld(struct emu_prog *p, const struct emu_prog_check_out *out, uint32_t cnt)
{
	uint32_t n = 0;

	for (uint32_t i = 0; out->ld && i < cnt; i++)
		n += out->ld[i].kind == EMU_LDK_MAP || out->ld[i].kind == EMU_LDK_MAP_VALUE;
	p->ld = calloc(n ? n : 1, sizeof(*p->ld));
	if (!p->ld)
		return -ENOMEM;
	for (uint32_t i = 0; out->ld && i < cnt; i++) {
		const struct emu_ld_target *t = &out->ld[i];
		struct emu_prog_ld *l = &p->ld[p->nr_ld];
		uint32_t j;

		if (t->kind != EMU_LDK_MAP && t->kind != EMU_LDK_MAP_VALUE)
			continue;
		if (t->map >= out->nr_maps)
			return emu_prog_corrupt(p, "ld_imm64 records");
		for (j = 0; j < p->nr_maps && p->maps[j] != out->maps[t->map].handle; j++)
			;
		if (j == p->nr_maps)
			return emu_prog_corrupt(p, "ld_imm64 records");
		l->insn = i;
		l->kind = t->kind;
		l->map = (uint16_t)j;
		l->off = t->off;
		p->nr_ld++;
	}
	return 0;
}

/* The lookups the checks found naming one map, in the used maps' numbering (what
 * emu_prog_translate_maps inlines): the loading process derived the same from its own checks. */
static int derive_lookup(struct emu_prog *p, const struct emu_prog_check_out *out, uint32_t cnt, uint32_t **lookup)
{
	*lookup = calloc(cnt ? cnt : 1, sizeof(**lookup));
	if (!*lookup)
		return -ENOMEM;
	for (uint32_t i = 0; out->lookup_map && i < cnt; i++) {
		uint32_t k = out->lookup_map[i], j;

		if (!k || k == EMU_LOOKUP_MANY || k > out->nr_maps)
			continue;
		for (j = 0; j < p->nr_maps && p->maps[j] != out->maps[k - 1].handle; j++)
			;
		if (j < p->nr_maps)
			(*lookup)[i] = j + 1;
	}
	return 0;
}

int emu_prog_file_recheck(struct emu_prog *p)
{
	const struct emu_prog_hdr *hc = &p->hc;
	uint32_t cnt = hc->insn_cnt;
	struct emu_prog_check_out out;
	struct emu_prog_check_in in;
	struct recheck r = { p, NULL, NULL, NULL };
	struct emu_insn *insns = malloc(sizeof(*insns) * cnt);
	uint32_t *lookup = NULL;
	struct emu_vlog log;
	uint8_t tag[8];
	char why[256] = "";
	int err;

	memset(&out, 0, sizeof(out));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, (const char *)p->hdr + hc->insns_off, sizeof(*insns) * cnt);
	emu_prog_calc_tag(insns, cnt, tag);
	if (memcmp(tag, hc->tag, sizeof(tag))) {
		err = emu_prog_corrupt(p, "tag (not its instructions')");
		goto out;
	}
	if (hc->prog_type > EMU_PROG_SYSCALL || !(EMU_HELPER_PROG_TYPES & EMU_PROG_BIT(hc->prog_type))) {
		err = trivial(insns, cnt) && !hc->nr_ld && !hc->nr_func_info && !hc->nr_line_info
			      ? -EOPNOTSUPP /* such a program loads but never runs (cmd/prog_other.c) */
			      : emu_prog_corrupt(p, "instructions (not `r0 = imm; exit`, all its type loads)");
		goto out;
	}
	err = rewrite(p, insns, cnt);
	if (!err)
		err = load_btf(&r);
	if (err)
		goto out;
	memset(&in, 0, sizeof(in));
	in.prog_type = hc->prog_type;
	in.expected_attach_type = hc->expected_attach_type;
	in.insns = insns;
	in.cnt = cnt;
	in.gpl = hc->gpl_compatible;
	in.prog_flags = hc->prog_flags;
	in.resolve_map = resolve_index;
	in.resolve_ctx = &r;
	in.btf = r.btf;
	in.btf_ops = r.btf ? &emu_prog_btf_ops : NULL;
	in.func_info = r.func_info;
	in.func_info_rec_size = EMU_FUNC_INFO_SIZE;
	in.func_info_cnt = r.btf ? hc->nr_func_info : 0;
	in.line_info = r.line_info;
	in.line_info_rec_size = EMU_LINE_INFO_SIZE;
	in.line_info_cnt = r.btf ? hc->nr_line_info : 0;
	err = emu_vlog_init(&log, 0, 0, 0);
	if (!err)
		err = emu_prog_check(&in, &log, &out);
	if (err == -ENOMEM)
		goto out;
	if (err) {
		emu_diag("program %u (%s): its instructions do not pass the load-time checks here (%s)", hc->id, hc->name,
			 strerror(-err));
		err = emu_prog_corrupt(p, "instructions");
		goto out;
	}
	if (out.max_ctx_offset != hc->max_ctx_offset) { /* TEST_RUN's ctx_in size check uses it */
		err = emu_prog_corrupt(p, "max_ctx_offset (not its instructions')");
		goto out;
	}
	err = derive_ld(p, &out, cnt);
	if (!err)
		err = derive_lookup(p, &out, cnt, &lookup);
	if (!err) {
		err = emu_prog_translate_maps(insns, cnt, p->ld, p->nr_ld, p->maps, p->nr_maps, lookup, &p->img, why,
					      sizeof(why));
		if (err) {
			emu_diag("program %u (%s) cannot be translated: %s", hc->id, hc->name, why);
			err = emu_prog_corrupt(p, "instructions");
		}
	}
out:
	free(lookup);
	emu_prog_check_out_free(&out);
	if (r.btf)
		emu_btf_free(r.btf);
	free(r.func_info);
	free(r.line_info);
	free(insns);
	return err;
}
