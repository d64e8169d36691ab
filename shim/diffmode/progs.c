/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: programs. Every program the emulator loads gets a kernel twin, loaded from
 * the same attr with every fd in it translated to its twin's (the map fds of ld_imm64
 * instructions, the fd_array entries, the BTF and attach program fds); after the load, the two
 * programs' info is compared (type, tag, name, gpl, the map ids translated to the emulator's, and
 * the xlated length where the kernel rewrote nothing: the kernel rewrites context accesses and
 * inlines helpers, which the emulator's xlated program does not show). BPF_PROG_TEST_RUN runs
 * both, on the same CPU, and compares retval, data_size_out, ctx_size_out, data_out, ctx_out, and
 * after the run every map the program uses (mapcmp.c). OBJ_GET_INFO_BY_FD of a program gives the
 * kernel private buffers for every pointer in the info and compares the fields that are meant to
 * agree. The attach commands run on the kernel with the target replaced by one that does not
 * exist, which is what the emulator answers as (emu/cmd/attach.c: no hook exists here); those
 * whose kernel run would reach a hook that takes no target (tracing, LSM, iterators, netfilter,
 * a netns of the caller) are not comparable, and say so.
 *
 * Invariants: a kernel twin is never attached anywhere; the program continues with the emulator's
 * answer; a call that cannot be compared is counted with its reason, said once per reason.
 */
#include "diffmode.h"
#include "../../emu/uapi/bpf_insn.h"

#define MAX_FD_ARRAY 65536u
#define MAX_PROG_MAPS 64u
#define SCRATCH_MAX (64u << 20)

/* ---- not comparable, with the reason ---- */

void dm_not_comparable(struct call *c, enum nc why, const char *fmt, ...)
{
	static char said[32][200];
	static int nsaid;
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	dm_not_compared(why);
	for (int i = 0; i < nsaid; i++)
		if (!strcmp(said[i], reason))
			return;
	if (nsaid < 32)
		memcpy(said[nsaid++], reason, sizeof(reason));
	dm_note("not comparable: %s: %s (further such calls are counted in the summary)",
		emu_cmd_name(c->cmd) ? emu_cmd_name(c->cmd) : "?", reason);
}

/* ---- what a program is, for the report ---- */

static void prog_words(struct call *c, const char *name, uint32_t type)
{
	const char *tn = emu_prog_type_name(type);

	snprintf(c->obj, sizeof(c->obj), "program '%.16s' (%s, type %u)", name, tn ? tn : "?", type);
}

void dm_describe_prog(struct call *c, int efd)
{
	unsigned char info[PI_SIZE];
	char name[17] = "";
	uint32_t type;

	if (dm_info(false, efd, info, sizeof(info)))
		return;
	memcpy(name, info + PI_NAME, 16);
	memcpy(&type, info + PI_TYPE, 4);
	prog_words(c, name, type);
}

/* ---- PROG_LOAD ---- */

static uint32_t kfd_for(int fd, bool *ok);

/* The same for an fd the caller named inside its memory (instructions, fd_array): see
 * dm_user_kfd. */
static bool kfd_of(int fd, uint32_t *out)
{
	bool ok = true;

	*out = kfd_for(fd, &ok);
	return ok;
}

static uint32_t kfd_for_user(int fd, bool *ok)
{
	uint32_t k;

	if (!dm_user_kfd(fd, &k, kfd_of, true))
		*ok = false;
	return k;
}

static uint32_t kfd_for(int fd, bool *ok)
{
	struct mirror *m;
	int k;

	switch (dm_classify_btf(fd, &m, &k)) {
	case FD_RAW:
		return (uint32_t)fd;
	case FD_OURS:
		return (uint32_t)dm_cfg.null_fd;
	case FD_MIRRORED:
		return (uint32_t)m->kfd;
	case FD_BTF_MIRRORED:
	case FD_PROG_MIRRORED:
		return (uint32_t)k;
	default:
		*ok = false;
		return (uint32_t)fd;
	}
}

static void set_kptr(struct call *c, unsigned off, const void *p)
{
	uint64_t v = (uintptr_t)p;

	memcpy(c->kattr + off, &v, 8);
	dm_mask_attr(c, off, 8);
}

/* The kernel's copy of the instructions and fd_array, with twins' fds. false: not comparable
 * (said). Called with the shadows built (c->kattr). */
bool dm_prog_load_prepare(struct call *c)
{
	static const unsigned fds[] = { PL_BTF_FD, PL_ATTACH_PROG_FD, PL_TOKEN_FD };
	uint32_t cnt = attr_u32(&c->a, PL_INSN_CNT), fdcnt = attr_u32(&c->a, PL_FD_ARRAY_CNT), need = 0;
	const struct emu_insn *u = attr_ptr(&c->a, PL_INSNS);
	uint64_t ufds = attr_u64(&c->a, PL_FD_ARRAY);
	struct emu_insn *k = NULL;
	char name[17] = "";
	bool ok = true;

	memcpy(name, c->a.b + PL_NAME, 16);
	prog_words(c, name, attr_u32(&c->a, PL_TYPE));
	if (!c->kattr)
		return false;
	if (attr_u32(&c->a, PL_IFINDEX)) {
		dm_not_comparable(c, NC_KERNEL_ONLY, "a program bound to a device (prog_ifindex) is made for that device "
				  "by the kernel");
		return false;
	}
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (attr_u32(&c->a, fds[i]) && !dm_fix_fd(c, fds[i], false)) {
			dm_not_comparable(c, NC_NO_MIRROR, "its BTF or attach program has no kernel twin");
			return false;
		}
	if (u && cnt && cnt <= EMU_MAX_INSNS && (k = malloc((size_t)cnt * sizeof(*k))) &&
	    emu_copy_from_user(k, u, (size_t)cnt * sizeof(*k))) {
		free(k); /* unreadable: the kernel reads the original and fails as the emulator does */
		k = NULL;
	}
	for (uint32_t i = 0; k && i < cnt; i++) {
		uint8_t src = k[i].src_reg;

		if (k[i].code == EMU_LD_IMM64 && i + 1 < cnt) {
			if (src == EMU_PSEUDO_MAP_FD || src == EMU_PSEUDO_MAP_VALUE)
				k[i].imm = (int32_t)kfd_for_user(k[i].imm, &ok);
			else if ((src == EMU_PSEUDO_MAP_IDX || src == EMU_PSEUDO_MAP_IDX_VALUE) && (uint32_t)k[i].imm >= need)
				need = (uint32_t)k[i].imm + 1;
			else if (src == EMU_PSEUDO_BTF_ID && k[i + 1].imm > 0 && (uint32_t)k[i + 1].imm >= need)
				need = (uint32_t)k[i + 1].imm + 1;
			i++;
		} else if (k[i].code == (EMU_JMP | EMU_CALL) && src == EMU_PSEUDO_KFUNC_CALL && k[i].off > 0 &&
			   (uint32_t)k[i].off >= need) {
			need = (uint32_t)k[i].off + 1;
		}
	}
	if (fdcnt > need)
		need = fdcnt;
	if (ufds && need) {
		uint32_t *f;

		if (need > MAX_FD_ARRAY) {
			free(k);
			dm_not_comparable(c, NC_TOO_BIG, "an fd_array of more than %u entries", MAX_FD_ARRAY);
			return false;
		}
		f = malloc((size_t)need * 4);
		if (f && !emu_copy_from_user(f, (const void *)(uintptr_t)ufds, (size_t)need * 4)) {
			for (uint32_t i = 0; i < need; i++)
				f[i] = kfd_for_user((int)f[i], &ok);
			c->kfds = f;
			set_kptr(c, PL_FD_ARRAY, f);
		} else {
			free(f);
		}
	}
	if (k) {
		c->kinsns = k;
		set_kptr(c, PL_INSNS, k);
	} else if (dm_cfg.remote && u && cnt && dm_guard_page) {
		set_kptr(c, PL_INSNS, dm_guard_page); /* unreadable in the caller: a fault here too */
	}
	if (dm_cfg.remote && ufds && need && !c->kfds && dm_guard_page)
		set_kptr(c, PL_FD_ARRAY, dm_guard_page);
	if (!ok) {
		dm_not_comparable(c, NC_NO_MIRROR, "its instructions or fd_array name an emulated object with no kernel "
				  "twin (or, under the supervisor, an fd number the kernel side cannot name alike)");
		return false;
	}
	return true;
}

static size_t first_line(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] && p[i] != '\n')
		i++;
	return i;
}

/* The first line of the verifier's log on both sides. */
static void compare_log(struct call *c)
{
	for (int i = 0; i < c->nsp; i++) {
		const struct span *s = &c->sp[i];
		unsigned char ub[1024];
		size_t n = s->len < sizeof(ub) ? s->len : sizeof(ub), kl, el;
		struct difference *d;

		if (strcmp(s->name, "log_buf") || s->group < 0 || !c->g[s->group].shadow || !n)
			continue;
		if (emu_copy_from_user(ub, (const void *)(uintptr_t)s->uptr, n))
			continue;
		kl = first_line(s->kptr, n);
		el = first_line(ub, n);
		if (kl == el && !memcmp(s->kptr, ub, kl))
			continue;
		/* a program accepted with nothing else to say: the line is the verifier's statistics
		 * of its own search (states, pruning), which the emulator's checker does not share */
		if (c->kret >= 0 && c->eret >= 0 && kl > 10 && el > 10 && !memcmp(s->kptr, "processed ", 10) &&
		    !memcmp(ub, "processed ", 10))
			continue;
		if ((d = dm_differ(c, "the verifier log's first line differs"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%.*s", (int)(kl < 190 ? kl : 190), s->kptr);
			snprintf(d->emulator, sizeof(d->emulator), "%.*s", (int)(el < 190 ? el : 190), ub);
		}
	}
}

/* ---- program info ---- */

static uint32_t g32(const unsigned char *p, unsigned off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static void differ_u32(struct call *c, const char *what, uint32_t k, uint32_t e)
{
	struct difference *d;

	if (k != e && (d = dm_differ(c, "program info: %s differs", what))) {
		snprintf(d->kernel, sizeof(d->kernel), "%u", k);
		snprintf(d->emulator, sizeof(d->emulator), "%u", e);
	}
}

static void differ_bytes(struct call *c, const char *what, const unsigned char *k, const unsigned char *e, size_t n)
{
	struct difference *d;

	if (memcmp(k, e, n) && (d = dm_differ(c, "program info: %s differs", what))) {
		for (size_t i = 0, o = 0; i < n && i < 32; i++) {
			o += (size_t)snprintf(d->kernel + o, sizeof(d->kernel) - o, "%02x", k[i]);
			snprintf(d->emulator + 2 * i, sizeof(d->emulator) - 2 * i, "%02x", e[i]);
		}
	}
}

/* The fields of two infos (the first len bytes written) that must agree. kids/eids: the map ids
 * each side wrote (n of them), compared through the pairs of ids. */
static void compare_info_fields(struct call *c, const unsigned char *k, const unsigned char *e, uint32_t len,
				bool xlated, const uint32_t *kids, const uint32_t *eids, uint32_t n)
{
#define HAS(off, sz) ((off) + (sz) <= len)
	if (HAS(PI_TYPE, 4))
		differ_u32(c, "type", g32(k, PI_TYPE), g32(e, PI_TYPE));
	if (HAS(PI_TAG, 8))
		differ_bytes(c, "tag", k + PI_TAG, e + PI_TAG, 8);
	if (xlated && HAS(PI_XLATED_PROG_LEN, 4))
		differ_u32(c, "xlated_prog_len", g32(k, PI_XLATED_PROG_LEN), g32(e, PI_XLATED_PROG_LEN));
	if (HAS(PI_NR_MAP_IDS, 4))
		differ_u32(c, "nr_map_ids", g32(k, PI_NR_MAP_IDS), g32(e, PI_NR_MAP_IDS));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t want = dm_id_k2e(OBJ_MAP, kids[i]);
		struct difference *d;

		/* a map this process never saw made (a program opened by pin): no pair to go by */
		if (!want || want == eids[i])
			continue;
		if ((d = dm_differ(c, "program info: map_ids[%u] is not the twin of the kernel's", i))) {
			snprintf(d->kernel, sizeof(d->kernel), "kernel id %u (emulated id %u)", kids[i], want);
			snprintf(d->emulator, sizeof(d->emulator), "emulated id %u", eids[i]);
		}
		break;
	}
	if (HAS(PI_NAME, 16))
		differ_bytes(c, "name", k + PI_NAME, e + PI_NAME, 16);
	if (HAS(PI_IFINDEX, 4))
		differ_u32(c, "ifindex", g32(k, PI_IFINDEX), g32(e, PI_IFINDEX));
	if (HAS(PI_GPL_COMPATIBLE, 4))
		differ_u32(c, "gpl_compatible", g32(k, PI_GPL_COMPATIBLE) & 1, g32(e, PI_GPL_COMPATIBLE) & 1);
	if (HAS(PI_BTF_ID, 4))
		differ_u32(c, "btf_id (whether any)", !!g32(k, PI_BTF_ID), !!g32(e, PI_BTF_ID));
	if (HAS(PI_FUNC_INFO_REC_SIZE, 4))
		differ_u32(c, "func_info_rec_size", g32(k, PI_FUNC_INFO_REC_SIZE), g32(e, PI_FUNC_INFO_REC_SIZE));
	if (HAS(PI_NR_FUNC_INFO, 4))
		differ_u32(c, "nr_func_info", g32(k, PI_NR_FUNC_INFO), g32(e, PI_NR_FUNC_INFO));
	if (HAS(PI_NR_LINE_INFO, 4))
		differ_u32(c, "nr_line_info", g32(k, PI_NR_LINE_INFO), g32(e, PI_NR_LINE_INFO));
	if (HAS(PI_LINE_INFO_REC_SIZE, 4))
		differ_u32(c, "line_info_rec_size", g32(k, PI_LINE_INFO_REC_SIZE), g32(e, PI_LINE_INFO_REC_SIZE));
#undef HAS
}

/* Both sides' info of a program, with its map ids. */
struct pinfo {
	unsigned char b[PI_SIZE];
	uint32_t ids[MAX_PROG_MAPS];
	long r;
};

static void get_pinfo(bool kernel, int fd, struct pinfo *p)
{
	uint32_t nr = MAX_PROG_MAPS;
	uint64_t ptr = (uintptr_t)p->ids;

	memset(p, 0, sizeof(*p));
	memcpy(p->b + PI_NR_MAP_IDS, &nr, 4);
	memcpy(p->b + PI_MAP_IDS, &ptr, 8);
	p->r = dm_info_asked(kernel, fd, p->b, PI_SIZE);
}

/* A program's twin found after the fact (by pin): the maps and BTF it names are paired by their
 * places in the two programs' info, which the load compared. */
void dm_prog_pair_ids(int efd, int kfd)
{
	struct pinfo *k = malloc(sizeof(*k)), *e = malloc(sizeof(*e));

	if (k && e) {
		get_pinfo(true, kfd, k);
		get_pinfo(false, efd, e);
		if (!k->r && !e->r && g32(k->b, PI_NR_MAP_IDS) == g32(e->b, PI_NR_MAP_IDS)) {
			for (uint32_t i = 0; i < g32(k->b, PI_NR_MAP_IDS) && i < MAX_PROG_MAPS; i++)
				if (!dm_id_k2e(OBJ_MAP, k->ids[i]))
					dm_id_pair(OBJ_MAP, e->ids[i], k->ids[i]);
			if (!dm_id_k2e(OBJ_BTF, g32(k->b, PI_BTF_ID)))
				dm_id_pair(OBJ_BTF, g32(e->b, PI_BTF_ID), g32(k->b, PI_BTF_ID));
		}
	}
	free(k);
	free(e);
}

void dm_prog_load_finish(struct call *c)
{
	struct pinfo *k, *e;
	uint32_t cnt = attr_u32(&c->a, PL_INSN_CNT), n;
	bool rewritten;
	int efd = (int)c->eret;

	compare_log(c);
	free(c->kinsns);
	free(c->kfds);
	c->kinsns = c->kfds = NULL;
	if (c->kret < 0 || c->eret < 0) {
		if (c->kret >= 0)
			close((int)c->kret);
		return;
	}
	dm_obj_adopt(efd, (int)c->kret, OBJ_PROG);
	k = malloc(sizeof(*k));
	e = malloc(sizeof(*e));
	if (k && e) {
		get_pinfo(true, dm_obj_kfd(efd, OBJ_PROG), k);
		get_pinfo(false, efd, e);
		if (!k->r && !e->r) {
			/* the kernel rewrote the program (context accesses, inlined helpers, dead code
			 * removed): its xlated length is its own */
			rewritten = g32(k->b, PI_XLATED_PROG_LEN) != cnt * 8;
			dm_prog_set_shape(efd, cnt, rewritten);
			n = g32(k->b, PI_NR_MAP_IDS) < g32(e->b, PI_NR_MAP_IDS) ? g32(k->b, PI_NR_MAP_IDS) : g32(e->b, PI_NR_MAP_IDS);
			if (n > MAX_PROG_MAPS)
				n = MAX_PROG_MAPS;
			compare_info_fields(c, k->b, e->b, PI_SIZE, !rewritten, k->ids, e->ids, n);
		}
	}
	free(k);
	free(e);
}

/* OBJ_GET_INFO_BY_FD of a program with a twin: the kernel gets private buffers for the info and
 * everything its pointers name; the emulator answers the program's call. */
long dm_prog_info(struct call *c, const struct emu_attr *before)
{
	static const struct {
		unsigned ptr, count, elem, rec; /* elem: bytes per entry, or rec: the offset of its size */
	} arrays[] = {
		{ PI_JITED_PROG_INSNS, PI_JITED_PROG_LEN, 1, 0 },
		{ PI_XLATED_PROG_INSNS, PI_XLATED_PROG_LEN, 1, 0 },
		{ PI_MAP_IDS, PI_NR_MAP_IDS, 4, 0 },
		{ PI_JITED_KSYMS, PI_NR_JITED_KSYMS, 8, 0 },
		{ PI_JITED_FUNC_LENS, PI_NR_JITED_FUNC_LENS, 4, 0 },
		{ PI_FUNC_INFO, PI_NR_FUNC_INFO, 0, PI_FUNC_INFO_REC_SIZE },
		{ PI_LINE_INFO, PI_NR_LINE_INFO, 0, PI_LINE_INFO_REC_SIZE },
		{ PI_JITED_LINE_INFO, PI_NR_JITED_LINE_INFO, 0, PI_JITED_LINE_INFO_REC_SIZE },
		{ PI_PROG_TAGS, PI_NR_PROG_TAGS, 8, 0 },
	};
	enum { NARR = sizeof(arrays) / sizeof(arrays[0]) };
	void *scratch[NARR] = { 0 };
	uint32_t ulen = attr_u32(&c->a, INFO_LEN), len = ulen < PI_SIZE ? ulen : PI_SIZE, insn_cnt = 0;
	uint64_t uptr = attr_u64(&c->a, INFO_PTR);
	unsigned ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;
	unsigned char *kb = calloc(1, PAGE), ub[PI_SIZE], uattr_after[INFO_END];
	struct emu_attr ka = c->a;
	bool rewritten = true, readable;
	uint32_t asked_maps = 0;

	dm_describe_prog(c, c->prog_efd);
	dm_prog_twin(c->prog_efd, &(int){ 0 }, &insn_cnt, &rewritten);
	if (!kb)
		return emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	attr_set_u32(&ka, INFO_FD, (uint32_t)c->prog_kfd);
	readable = ulen <= PAGE && (!ulen || !emu_copy_from_user(kb, (const void *)(uintptr_t)uptr, ulen));
	if (ulen > PAGE || !uptr) {
		/* E2BIG, or nothing to write: the kernel writes nothing */
	} else if (!readable) {
		memcpy(ka.b + INFO_PTR, &(uint64_t){ (uintptr_t)dm_guard_page }, 8); /* EFAULT */
	} else {
		memcpy(ka.b + INFO_PTR, &(uint64_t){ (uintptr_t)kb }, 8);
		for (int i = 0; i < NARR; i++) {
			uint64_t p, bytes;
			uint32_t n;

			if (arrays[i].ptr + 8 > ulen)
				continue;
			memcpy(&p, kb + arrays[i].ptr, 8);
			n = arrays[i].count + 4 <= ulen ? g32(kb, arrays[i].count) : 0;
			bytes = (uint64_t)n * (arrays[i].elem ? arrays[i].elem : (arrays[i].rec + 4 <= ulen ? g32(kb, arrays[i].rec) : 0));
			if (!p || !bytes)
				continue;
			scratch[i] = bytes <= SCRATCH_MAX ? calloc(1, (size_t)bytes) : NULL;
			p = scratch[i] ? (uintptr_t)scratch[i] : (uintptr_t)dm_guard_page;
			memcpy(kb + arrays[i].ptr, &p, 8);
		}
	}
	if (readable && ulen >= PI_NR_MAP_IDS + 4)
		asked_maps = g32(kb, PI_NR_MAP_IDS);
	c->kret = dm_kbpf(c->cmd, ka.b, ksize);
	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	dm_st.compared++;
	dm_compare_results(c);
	if (!c->kret && !c->eret && !emu_copy_from_user(uattr_after, c->uattr, INFO_END)) {
		struct difference *d;

		if (g32(ka.b, INFO_LEN) != g32(uattr_after, INFO_LEN) && (d = dm_differ(c, "attr bytes 4..7 (info_len) differ"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%u", g32(ka.b, INFO_LEN));
			snprintf(d->emulator, sizeof(d->emulator), "%u", g32(uattr_after, INFO_LEN));
		}
		memset(ub, 0, sizeof(ub));
		if (readable && len && !emu_copy_from_user(ub, (const void *)(uintptr_t)uptr, len)) {
			uint32_t *eids = NULL, n = 0;
			uint64_t ep = 0;

			/* the map ids the emulator wrote where the program asked, and the kernel's */
			if (scratch[2] && len >= PI_MAP_IDS + 8) {
				n = g32(kb, PI_NR_MAP_IDS) < asked_maps ? g32(kb, PI_NR_MAP_IDS) : asked_maps;
				if (n > MAX_PROG_MAPS)
					n = MAX_PROG_MAPS;
				memcpy(&ep, ub + PI_MAP_IDS, 8);
				eids = calloc(n ? n : 1, 4);
				if (eids && n && emu_copy_from_user(eids, (const void *)(uintptr_t)ep, (size_t)n * 4))
					n = 0;
			}
			compare_info_fields(c, kb, ub, len, !rewritten, scratch[2], eids ? eids : (uint32_t[1]){ 0 },
					    eids ? n : 0);
			free(eids);
			/* func_info and line_info are the program's BTF records: the same blob on both sides,
			 * unless the kernel moved instructions */
			for (int i = 5; i <= 6 && !rewritten; i++) {
				uint64_t p;
				uint32_t bytes;
				unsigned char *eb;

				if (!scratch[i])
					continue;
				memcpy(&p, ub + arrays[i].ptr, 8);
				bytes = g32(kb, arrays[i].count) * g32(kb, arrays[i].rec);
				if (bytes > PAGE * 16 || !(eb = malloc(bytes ? bytes : 1)))
					continue;
				if (!emu_copy_from_user(eb, (const void *)(uintptr_t)p, bytes))
					differ_bytes(c, i == 5 ? "func_info records" : "line_info records", scratch[i], eb, bytes);
				free(eb);
			}
		}
	}
	for (int i = 0; i < NARR; i++)
		free(scratch[i]);
	free(kb);
	if (c->nd)
		dm_report(c, before);
	return c->eret;
}

/* ---- attaching ---- */

enum target { T_NONE, T_FD, T_IFINDEX };

static enum target target_of(uint32_t attach_type)
{
	switch (attach_type) {
	case EMU_ATTACH_XDP:
	case EMU_ATTACH_TCX_INGRESS:
	case EMU_ATTACH_TCX_EGRESS:
	case EMU_ATTACH_NETKIT_PRIMARY:
	case EMU_ATTACH_NETKIT_PEER:
		return T_IFINDEX;
	case EMU_ATTACH_SK_MSG_VERDICT:
	case EMU_ATTACH_SK_SKB_STREAM_PARSER:
	case EMU_ATTACH_SK_SKB_STREAM_VERDICT:
	case EMU_ATTACH_SK_SKB_VERDICT:
	case EMU_ATTACH_LIRC_MODE2:
	case EMU_ATTACH_PERF_EVENT:
		return T_FD;
	default:
		/* every cgroup hook takes a cgroup fd */
		{
			const char *n = emu_attach_type_name(attach_type);

			return n && !strncmp(n, "cgroup_", 7) ? T_FD : T_NONE;
		}
	}
}

long dm_attach_cmd(struct call *c, const struct emu_attr *before)
{
	unsigned pfd, tgt, typ, ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;
	struct emu_attr ka = c->a;
	bool ok = true;
	uint32_t type, kfd;
	int efd;
	const char *tn;

	if (c->cmd == EMU_BPF_LINK_CREATE) {
		pfd = LC_PROG_FD;
		tgt = LC_TARGET_FD;
		typ = LC_ATTACH_TYPE;
	} else {
		pfd = AT_BPF_FD;
		tgt = AT_TARGET_FD;
		typ = AT_TYPE;
	}
	type = attr_u32(&c->a, typ);
	efd = (int)attr_u32(&c->a, pfd);
	tn = emu_attach_type_name(type);
	if (emu_is_prog_fd(efd))
		dm_describe_prog(c, efd);
	if (target_of(type) == T_NONE) {
		dm_not_comparable(c, NC_KERNEL_ONLY, "attach type %s (%u) reaches a kernel hook that takes no target fd",
				  tn ? tn : "?", type);
		return emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	}
	kfd = kfd_for(efd, &ok);
	if (c->cmd == EMU_BPF_PROG_ATTACH && (attr_u32(&c->a, AT_FLAGS) & 4u /* BPF_F_REPLACE */))
		attr_set_u32(&ka, AT_REPLACE_FD, kfd_for((int)attr_u32(&c->a, AT_REPLACE_FD), &ok));
	if (!ok) {
		dm_not_compared(NC_NO_MIRROR);
		return emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	}
	if (c->cmd != EMU_BPF_PROG_DETACH || attr_u32(&c->a, pfd))
		attr_set_u32(&ka, pfd, kfd);
	/* the target as the emulator sees every target: one that does not exist */
	attr_set_u32(&ka, tgt, target_of(type) == T_IFINDEX ? 0x7fffffffu : UINT32_MAX);
	c->kret = dm_kbpf(c->cmd, ka.b, ksize);
	if (c->kret >= 0 && c->cmd == EMU_BPF_LINK_CREATE)
		close((int)c->kret); /* (cannot be: no such target) */
	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	dm_st.compared++;
	if (c->kret >= 0 && c->eret >= 0 && c->cmd == EMU_BPF_LINK_CREATE)
		c->kret = c->eret; /* fds: the numbers differ by design */
	dm_compare_results(c);
	if (c->nd)
		dm_report(c, before);
	return c->eret;
}
