/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_LOAD, in the order of 6.18's bpf_prog_load() and the head of bpf_check(): the attr
 * checks and user copies (each with the kernel's errno, measured), the verifier log, fd_array and
 * the program's BTF, then the load-time checks (emu/prog/check.h; prog_other.c for the types they
 * do not model), the translation for the interpreter, and the program object
 * (core/prog_obj.h). The caller (the emulator answers as a root loader: CAP_BPF, CAP_PERFMON,
 * CAP_NET_ADMIN, CAP_SYS_ADMIN) is never refused for want of privilege.
 *
 * What the emulator cannot reach answers as a kernel that lacks it: offloaded or device-bound
 * programs (no netdev here offloads: EOPNOTSUPP for an existing ifindex, EINVAL otherwise), signed
 * programs (no keys: EOPNOTSUPP once the signature is read), BPF tokens (no token fd is one),
 * CO-RE relocations made by the kernel (EOPNOTSUPP), helpers the interpreter does not have
 * (refused as an unknown helper). Programs the kernel runs through a trampoline (types EXT and
 * LSM, TRACING programs for fentry, fexit and fmod_ret) are refused with EPERM before any other
 * check, as this machine's kernel refuses them (a security policy, measured by
 * tests/diff/diff_attach_types.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../btf/btf.h"
#include "../core/btf_obj.h"
#include "../core/map.h"
#include "../core/prog_obj.h"
#include "../maps/families.h"
#include "../prog/check.h"
#include "../prog/helper.h"
#include "../prog/interp.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"
#include "prog_load.h"

#define MAX_INSNS 1000000u  /* BPF_COMPLEXITY_LIMIT_INSNS */
#define BTF_MAX_TYPE 0xfffffu
#define LICENSE_LEN 128u
#define PROG_FLAGS_KNOWN                                                                            \
	(EMU_F_STRICT_ALIGNMENT | EMU_F_ANY_ALIGNMENT | EMU_F_TEST_RND_HI32 | EMU_F_TEST_STATE_FREQ |  \
	 EMU_F_SLEEPABLE | EMU_F_XDP_HAS_FRAGS | EMU_F_XDP_DEV_BOUND_ONLY | EMU_F_TEST_REG_INVARIANTS | \
	 EMU_F_TOKEN_FD)

struct load {
	struct emu_attr *a;
	union bpf_attr *uattr;
	uint32_t type, eat, flags, cnt;
	struct emu_insn *insns;
	bool gpl;
	char name[EMU_OBJ_NAME_LEN];
	struct emu_vlog log;
	/* every map the resolver handed the checks, with a reference of ours (dropped at the end) */
	struct emu_map **held;
	uint32_t nr_held, held_cap;
	/* attr.fd_array: the entries the instructions index (fd_array_len readable), and the maps
	 * fd_array_cnt names, which the kernel adds to the used maps first */
	int32_t *fd_array;
	uint32_t fd_array_len;
	struct emu_map *pre[EMU_MAX_USED_MAPS];
	uint32_t nr_pre;
	/* BTF, when func_info or line_info is given */
	struct emu_btf *btf;
	uint32_t btf_id;
	void *func_info, *line_info;
};

/* ---- the resolver the checks reach maps through ---- */

static int hold(struct load *l, struct emu_map *m)
{
	if (l->nr_held == l->held_cap) {
		uint32_t cap = l->held_cap ? l->held_cap * 2 : 16;
		struct emu_map **n = realloc(l->held, sizeof(*n) * cap);

		if (!n)
			return -ENOMEM;
		l->held = n;
		l->held_cap = cap;
	}
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
	l->held[l->nr_held++] = m;
	return 0;
}

static void release_held(struct load *l)
{
	for (uint32_t i = 0; i < l->nr_held; i++)
		__atomic_sub_fetch(&l->held[i]->refs, 1, __ATOMIC_ACQ_REL);
	free(l->held);
	l->held = NULL;
	l->nr_held = 0;
}

/*
 * The fds a program names in its instructions and in fd_array are in user memory, so they are
 * numbers in the caller's fd table: under the seccomp supervisor that is another process's, and
 * each is taken from there for the moment it is looked at (the attr's own fd fields were
 * translated before the command ran). In process, the number itself. -1 for an fd the caller
 * does not have (the lookup then answers EBADF).
 */
static int caller_fd(int fd)
{
	int own;

	if (!emu_caller_is_remote())
		return fd;
	own = emu_caller_fd_dup(fd);
	return own < 0 ? -1 : own;
}

static void caller_fd_done(int fd, int own)
{
	if (own != fd && own >= 0)
		close(own);
}

/* A held map fd -> its view, with a reference of the load's. */
static int get_map(struct load *l, int ufd, struct emu_map **out)
{
	struct emu_map *m;
	int fd = caller_fd(ufd), mode, err = emu_map_get(fd, &m, &mode);

	caller_fd_done(ufd, fd);

	if (err)
		return err;
	err = hold(l, m);
	emu_map_put(m);
	if (!err)
		*out = m;
	return err;
}

static int resolve_map(void *ctx, int fd, struct emu_map_desc *d)
{
	struct load *l = ctx;
	struct emu_map *m;
	const struct emu_map *h; /* the view's checked copies of the shape, never the file's header */
	struct emu_inner_meta im;
	int err = get_map(l, fd, &m);

	if (err)
		return err;
	h = m;
	memset(d, 0, sizeof(*d));
	d->type = h->map_type;
	d->key_size = h->key_size;
	d->value_size = h->value_size;
	d->max_entries = h->max_entries;
	d->map_flags = h->map_flags;
	d->id = h->id;
	d->frozen = __atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE) != 0;
	if (d->frozen && (h->map_flags & EMU_F_RDONLY_PROG) && h->map_type == EMU_MAP_ARRAY && m->ops->value_ptr) {
		uint32_t key = 0;

		d->frozen_value = m->ops->value_ptr(m, &key);
	}
	memcpy(d->name, h->name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = 0;
	d->handle = m;
	if (emu_inner_meta_of(m, &im)) {
		d->has_inner = true;
		d->inner_type = im.map_type;
		d->inner_key_size = im.key_size;
		d->inner_value_size = im.value_size;
		d->inner_max_entries = im.max_entries;
		d->inner_map_flags = im.map_flags;
	}
	return 0;
}

/* ---- the attr checks of bpf_prog_load(), before the verifier ---- */

static void fixup_attach_type(struct load *l)
{
	if (l->type == EMU_PROG_CGROUP_SOCK && !l->eat)
		l->eat = EMU_ATTACH_CGROUP_INET_SOCK_CREATE;
	else if (l->type == EMU_PROG_SK_REUSEPORT && !l->eat)
		l->eat = EMU_ATTACH_SK_REUSEPORT_SELECT;
}

/* The trampoline programs this machine's kernel refuses with EPERM before it reads the program
 * (after the flags and the attach type's fixup): see the file's comment. */
static bool trampoline_refused(const struct load *l)
{
	if (l->type == EMU_PROG_EXT || l->type == EMU_PROG_LSM)
		return true;
	return l->type == EMU_PROG_TRACING && (l->eat == EMU_ATTACH_TRACE_FENTRY || l->eat == EMU_ATTACH_TRACE_FEXIT ||
					       l->eat == EMU_ATTACH_MODIFY_RETURN);
}

/* bpf_prog_load_check_attach: the expected attach types each program type accepts */
static int check_attach(uint32_t type, uint32_t eat, bool attach_btf, uint32_t btf_id, bool dst_prog)
{
	if (btf_id) {
		if (btf_id > BTF_MAX_TYPE || (!attach_btf && !dst_prog))
			return -EINVAL;
		if (type != EMU_PROG_TRACING && type != EMU_PROG_LSM && type != EMU_PROG_STRUCT_OPS && type != EMU_PROG_EXT)
			return -EINVAL;
	}
	if (attach_btf && (!btf_id || dst_prog))
		return -EINVAL;
	if (dst_prog && type != EMU_PROG_TRACING && type != EMU_PROG_EXT)
		return -EINVAL;
	switch (type) {
	case EMU_PROG_CGROUP_SOCK:
	case EMU_PROG_CGROUP_SOCK_ADDR:
	case EMU_PROG_CGROUP_SKB:
	case EMU_PROG_CGROUP_SOCKOPT:
	case EMU_PROG_SK_LOOKUP:
		/* exactly the attach types that lead to this program type (attach.c's table) */
		if (eat == EMU_ATTACH_CGROUP_UNIX_RECVMSG && EMU_FAULT("attach-type-table"))
			return -EINVAL;
		return emu_attach_prog_type(eat) == type ? 0 : -EINVAL;
	case EMU_PROG_SK_REUSEPORT:
		return eat == EMU_ATTACH_SK_REUSEPORT_SELECT || eat == EMU_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE ? 0 : -EINVAL;
	case EMU_PROG_NETFILTER:
		return eat == EMU_ATTACH_NETFILTER ? 0 : -EINVAL;
	case EMU_PROG_SYSCALL:
	case EMU_PROG_EXT:
		return eat ? -EINVAL : 0;
	default:
		return 0;
	}
}

/* attach_prog_fd / attach_btf_id: which program or BTF the new one would attach to */
static int attach_target(struct load *l)
{
	uint32_t pfd = attr_u32(l->a, PL_ATTACH_PROG_FD), btf_id = attr_u32(l->a, PL_ATTACH_BTF_ID);
	bool attach_btf = false, dst_prog = false;

	if (pfd) {
		struct emu_prog *p;

		if (!emu_prog_get((int)pfd, &p)) {
			dst_prog = true;
			emu_prog_put(p);
		} else {
			struct emu_btf_obj_hdr h;

			if (emu_btf_obj_get((int)pfd, &h))
				return -EINVAL;
			if (!h.kernel_btf)
				return -EMU_ENOTSUPP;
			attach_btf = true;
		}
	} else if (btf_id) {
		if (!emu_btf_vmlinux_available())
			return -EINVAL;
		attach_btf = true;
	}
	return check_attach(l->type, l->eat, attach_btf, btf_id, dst_prog);
}

static bool license_gpl(const char *s)
{
	static const char *const ok[] = { "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
					   "Dual MIT/GPL", "Dual MPL/GPL" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(s, ok[i]))
			return true;
	return false;
}

/* strncpy_from_user of at most LICENSE_LEN - 1 bytes: a fault before the NUL is EFAULT */
static int copy_license(struct load *l)
{
	const char *u = attr_ptr(l->a, PL_LICENSE);
	char lic[LICENSE_LEN];
	uint32_t i;

	for (i = 0; i < LICENSE_LEN - 1; i++) {
		if (emu_copy_from_user(&lic[i], u + i, 1))
			return -EFAULT;
		if (!lic[i])
			break;
	}
	lic[i < LICENSE_LEN - 1 ? i : LICENSE_LEN - 1] = 0;
	l->gpl = license_gpl(lic);
	return 0;
}

/* bpf_prog_verify_signature: no key can verify anything here */
static int check_signature(struct load *l)
{
	int32_t keyring = (int32_t)attr_u32(l->a, PL_KEYRING_ID);
	uint32_t size = attr_u32(l->a, PL_SIGNATURE_SIZE);
	static bool said;
	char buf[256];

	if (!attr_u64(l->a, PL_SIGNATURE))
		return 0;
	if (keyring < 0 || keyring > 2) /* the system keyrings: 0, and the secondary and platform ones */
		return -EINVAL;
	for (uint32_t done = 0; done < size; done += sizeof(buf)) {
		uint32_t n = size - done < sizeof(buf) ? size - done : (uint32_t)sizeof(buf);

		if (emu_copy_from_user(buf, (const char *)attr_ptr(l->a, PL_SIGNATURE) + done, n))
			return -ENOMEM; /* kvmemdup_bpfptr's answer */
	}
	emu_diag_once(&said, "signed programs are not emulated (no keys to verify them): EOPNOTSUPP");
	return -EOPNOTSUPP;
}

/* bpf_prog_dev_bound_init: no netdev offloads programs or binds them here */
static int check_ifindex(struct load *l)
{
	uint32_t ifindex = attr_u32(l->a, PL_IFINDEX);
	char name[IF_NAMESIZE];
	static bool said;

	if (!ifindex)
		return 0;
	if (l->type != EMU_PROG_SCHED_CLS && l->type != EMU_PROG_XDP)
		return -EINVAL;
	if (l->flags & ~(EMU_F_XDP_DEV_BOUND_ONLY | EMU_F_XDP_HAS_FRAGS))
		return -EINVAL;
	if ((l->flags & EMU_F_XDP_HAS_FRAGS) && !(l->flags & EMU_F_XDP_DEV_BOUND_ONLY))
		return -EINVAL;
	if (l->type == EMU_PROG_SCHED_CLS && (l->flags & EMU_F_XDP_DEV_BOUND_ONLY))
		return -EINVAL;
	if (!if_indextoname(ifindex, name))
		return -EINVAL;
	emu_diag_once(&said, "offloaded and device-bound programs (prog_ifindex) are not emulated: EOPNOTSUPP");
	return -EOPNOTSUPP;
}

/* find_prog_type: the types this kernel has (6.18 without LIRC_MODE2) */
static bool type_known(uint32_t t)
{
	return t > EMU_PROG_UNSPEC && t < EMU_NR_PROG_TYPES && t != EMU_PROG_LIRC_MODE2;
}

/* ---- inside bpf_check(), before the checks proper ---- */

/* print_verification_stats for a check that ended before it walked anything */
static void stats0(struct emu_vlog *log)
{
	if (log->level & EMU_LOG_STATS)
		emu_vlog(log, "verification time 0 usec\nstack depth \n");
	emu_vlog(log, "processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n");
}

/* process_fd_array: the maps and BTFs fd_array_cnt names are the program's from the start */
static int fd_array_cnt(struct load *l)
{
	uint32_t n = attr_u32(l->a, PL_FD_ARRAY_CNT);
	const int32_t *u = attr_ptr(l->a, PL_FD_ARRAY);

	if (!n)
		return 0;
	if (n >= UINT32_MAX / 4) {
		emu_vlog(&l->log, "fd_array_cnt is too big (%u)\n", n);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct emu_btf_obj_hdr h;
		struct emu_map *m;
		int32_t fd;
		int err;

		if (emu_copy_from_user(&fd, u + i, sizeof(fd)))
			return -EFAULT;
		err = get_map(l, fd, &m);
		if (!err) {
			bool dup = false;

			for (uint32_t j = 0; j < l->nr_pre && !dup; j++)
				dup = l->pre[j] == m;
			if (dup)
				continue;
			if (l->nr_pre >= EMU_MAX_USED_MAPS) {
				emu_vlog(&l->log, "The total number of maps per program has reached the limit of %u\n",
					 EMU_MAX_USED_MAPS);
				return -E2BIG;
			}
			l->pre[l->nr_pre++] = m;
			continue;
		}
		if (err == -ENOMEM)
			return err;
		{
			int own = caller_fd(fd);

			err = emu_btf_obj_get(own, &h);
			caller_fd_done(fd, own);
		}
		if (!err)
			continue; /* a BTF for kfuncs: the program holds it, and no kfunc runs here */
		emu_vlog(&l->log, "fd %d is not pointing to valid bpf_map or btf\n", fd);
		return err == -EBADF ? -EBADF : -EINVAL;
	}
	return 0;
}

/* The entries of attr.fd_array the instructions index (MAP_IDX, MAP_IDX_VALUE), read up to the
 * first that faults: the checks answer EFAULT for an index at or past fd_array_len. */
static int copy_fd_array(struct load *l)
{
	const int32_t *u = attr_ptr(l->a, PL_FD_ARRAY);
	uint32_t want = 0;

	if (!u)
		return 0;
	for (uint32_t i = 0; i + 1 < l->cnt; i++)
		if (l->insns[i].code == EMU_LD_IMM64 &&
		    (l->insns[i].src_reg == EMU_PSEUDO_MAP_IDX || l->insns[i].src_reg == EMU_PSEUDO_MAP_IDX_VALUE) &&
		    (uint32_t)l->insns[i].imm >= want && (uint32_t)l->insns[i].imm < (1u << 20))
			want = (uint32_t)l->insns[i].imm + 1;
	l->fd_array = malloc(sizeof(int32_t) * (want ? want : 1));
	if (!l->fd_array)
		return -ENOMEM;
	while (l->fd_array_len < want && !emu_copy_from_user(&l->fd_array[l->fd_array_len], u + l->fd_array_len, 4))
		l->fd_array_len++;
	return 0;
}

/*
 * func_info / line_info records into private memory, in the kernel's record sizes. A record
 * larger than the kernel's must be zero past it (else E2BIG, the log line, and the kernel's size
 * written back into the attr). The kernel copies them record by record in its checks (func_info
 * first, line_info after the subprogram checks): here a fault or a non-zero tail is answered
 * before any of the checks' own errors.
 */
static int copy_records(struct load *l, unsigned ptr_off, unsigned cnt_off, unsigned rec_off, uint32_t krec,
			const char *what, void **out)
{
	uint32_t n = attr_u32(l->a, cnt_off), rs = attr_u32(l->a, rec_off);
	const unsigned char *u = attr_ptr(l->a, ptr_off);
	unsigned char *k;

	*out = NULL;
	if (!n)
		return 0;
	if (rs < krec || rs > 252 || (rs & 3))
		return 0; /* the checks refuse the size with the kernel's line */
	k = calloc(n, rs);
	if (!k)
		return -ENOMEM;
	*out = k;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *rec = u + (size_t)i * rs;
		int err = emu_info_tail_zero(rec, rs, krec);

		if (err == -E2BIG) {
			emu_vlog(&l->log, "nonzero tailing record in %s", what);
			if (emu_put_user_u32(l->uattr, rec_off, krec))
				return -EFAULT;
			return -E2BIG;
		}
		if (err || emu_copy_from_user(k + (size_t)i * rs, rec, krec))
			return -EFAULT;
	}
	return 0;
}

/* check_btf_info_early's BTF: prog_btf_fd, only when func_info or line_info is given */
static int load_btf(struct load *l)
{
	struct emu_btf_obj_hdr h;
	int fd = (int)attr_u32(l->a, PL_BTF_FD), err;

	if (!attr_u32(l->a, PL_FUNC_INFO_CNT) && !attr_u32(l->a, PL_LINE_INFO_CNT))
		return 0;
	err = emu_btf_obj_get(fd, &h);
	if (err)
		return err;
	if (h.kernel_btf)
		return -EACCES;
	err = emu_btf_obj_parse(fd, &h, &l->btf);
	if (err)
		return err;
	l->btf_id = h.id;
	err = copy_records(l, PL_FUNC_INFO, PL_FUNC_INFO_CNT, PL_FUNC_INFO_REC_SIZE, EMU_FUNC_INFO_SIZE, "func info",
			   &l->func_info);
	if (!err)
		err = copy_records(l, PL_LINE_INFO, PL_LINE_INFO_CNT, PL_LINE_INFO_REC_SIZE, EMU_LINE_INFO_SIZE,
				   "line_info", &l->line_info);
	if (!err && attr_u32(l->a, PL_CORE_RELO_CNT)) {
		static bool said;

		emu_diag_once(&said, "CO-RE relocations by the kernel (core_relos) are not emulated: EOPNOTSUPP");
		err = -EOPNOTSUPP;
	}
	return err;
}

/* ---- after the checks ---- */

/* A helper the interpreter does not have is refused as the kernel refuses an unknown one. */
static int check_helpers(struct load *l, const struct emu_prog_check_out *out)
{
	uint32_t id = out->unemulated_helper;

	for (uint32_t i = 0; !id && i < l->cnt; i++) {
		const struct emu_insn *in = &l->insns[i];
		const struct emu_func_proto *p;

		if (in->code != (EMU_JMP | EMU_CALL) || in->src_reg || in->imm == EMU_FN_tail_call || in->imm <= 0)
			continue;
		p = emu_helper_proto((uint32_t)in->imm);
		if (p && p->emulated && !emu_prog_helper_lookup(NULL, in->imm))
			id = (uint32_t)in->imm;
	}
	if (!id)
		return 0;
	emu_diag("helper %s#%u is not emulated: the program is refused as the kernel refuses an unknown helper",
		 emu_helper_name(id) ? emu_helper_name(id) : "?", id);
	emu_vlog(&l->log, "invalid func unknown#%u\n", id);
	return -EINVAL;
}

/* The used maps in the kernel's order (fd_array_cnt's first), the check's indexes mapped to it. */
static int used_maps(struct load *l, const struct emu_prog_check_out *out, struct emu_map **maps, uint32_t *nr,
		     uint32_t *remap)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < l->nr_pre; i++)
		maps[n++] = l->pre[i];
	for (uint32_t i = 0; i < out->nr_maps; i++) {
		struct emu_map *m = out->maps[i].handle;
		uint32_t j;

		for (j = 0; j < n && maps[j] != m; j++)
			;
		if (j == n) {
			if (n >= EMU_MAX_USED_MAPS)
				return -E2BIG;
			maps[n++] = m;
		}
		remap[i] = j;
	}
	*nr = n;
	return 0;
}

static int create(struct load *l, const struct emu_prog_check_out *out)
{
	struct emu_map *maps[EMU_MAX_USED_MAPS];
	uint32_t remap[EMU_MAX_USED_MAPS], nr_maps, nr_ld = 0;
	struct emu_prog_ld *ld = NULL;
	uint32_t *lookup;
	struct emu_prog_new n;
	char why[256] = "";
	int err = used_maps(l, out, maps, &nr_maps, remap);

	if (err)
		return err;
	memset(&n, 0, sizeof(n));
	if (out->ld) {
		for (uint32_t i = 0; i < l->cnt; i++)
			nr_ld += out->ld[i].kind == EMU_LDK_MAP || out->ld[i].kind == EMU_LDK_MAP_VALUE;
		ld = calloc(nr_ld ? nr_ld : 1, sizeof(*ld));
		if (!ld)
			return -ENOMEM;
		nr_ld = 0;
		for (uint32_t i = 0; i < l->cnt; i++) {
			const struct emu_ld_target *t = &out->ld[i];

			if (t->kind != EMU_LDK_MAP && t->kind != EMU_LDK_MAP_VALUE)
				continue;
			ld[nr_ld].insn = i;
			ld[nr_ld].kind = t->kind;
			ld[nr_ld].map = (uint16_t)remap[t->map];
			ld[nr_ld].off = t->off;
			nr_ld++;
		}
	}
	n.prog_type = l->type;
	n.expected_attach_type = l->eat;
	n.prog_flags = l->flags;
	memcpy(n.name, l->name, sizeof(n.name));
	memcpy(n.tag, out->tag, sizeof(n.tag));
	n.gpl_compatible = l->gpl;
	n.verified_insns = out->verified_insns;
	n.max_ctx_offset = out->max_ctx_offset;
	n.btf_id = l->btf_id;
	n.flags = (out->uses_tail_call ? EMU_PROGF_TAIL_CALL : 0) | (out->analysis_incomplete ? EMU_PROGF_INCOMPLETE : 0);
	n.insns = l->insns;
	n.insn_cnt = l->cnt;
	n.xlated = out->xlated ? out->xlated : l->insns;
	n.xlated_cnt = out->xlated ? out->xlated_cnt : l->cnt;
	n.ld = ld;
	n.nr_ld = nr_ld;
	n.func_info = l->func_info;
	n.nr_func_info = l->func_info ? attr_u32(l->a, PL_FUNC_INFO_CNT) : 0;
	n.line_info = l->line_info;
	n.nr_line_info = l->line_info ? attr_u32(l->a, PL_LINE_INFO_CNT) : 0;
	n.subprog_start = out->subprog_start;
	n.nr_subprogs = out->nr_subprogs;
	n.maps = maps;
	n.nr_maps = nr_maps;
	/* the user's records are kept in the kernel's sizes (the checks read them in the user's) */
	if (n.nr_func_info)
		for (uint32_t i = 0, rs = attr_u32(l->a, PL_FUNC_INFO_REC_SIZE); i < n.nr_func_info; i++)
			memmove((char *)l->func_info + i * EMU_FUNC_INFO_SIZE, (char *)l->func_info + (size_t)i * rs,
				EMU_FUNC_INFO_SIZE);
	if (n.nr_line_info)
		for (uint32_t i = 0, rs = attr_u32(l->a, PL_LINE_INFO_REC_SIZE); i < n.nr_line_info; i++)
			memmove((char *)l->line_info + i * EMU_LINE_INFO_SIZE, (char *)l->line_info + (size_t)i * rs,
				EMU_LINE_INFO_SIZE);
	/* the lookups the loader found naming one map, in the used maps' numbering */
	lookup = calloc(l->cnt, sizeof(*lookup));
	if (!lookup) {
		free(ld);
		return -ENOMEM;
	}
	for (uint32_t i = 0; out->lookup_map && i < l->cnt; i++)
		if (out->lookup_map[i] && out->lookup_map[i] != EMU_LOOKUP_MANY && out->lookup_map[i] <= out->nr_maps)
			lookup[i] = remap[out->lookup_map[i] - 1] + 1;
	err = emu_prog_translate_maps(l->insns, l->cnt, ld, nr_ld, maps, nr_maps, lookup, &n.image, why, sizeof(why));
	free(lookup);
	if (err) {
		emu_diag("a program the checks accepted cannot be translated (%s): EINVAL", why);
		free(ld);
		return err;
	}
	err = emu_prog_create(&n, NULL);
	if (err < 0)
		emu_prog_image_free(n.image);
	free(ld);
	return err;
}

/* bpf_check() from the log on: the log, fd_array, BTF, the checks, the log's end. */
static int verify(struct load *l, struct emu_prog_check_out *out)
{
	struct emu_prog_check_in in;
	uint32_t true_size, uattr_size = l->a->len_known ? l->a->len : EMU_ATTR_SIZE;
	int err, ferr;

	memset(out, 0, sizeof(*out));
	err = emu_vlog_init(&l->log, attr_u32(l->a, PL_LOG_LEVEL), attr_u64(l->a, PL_LOG_BUF),
			    attr_u32(l->a, PL_LOG_SIZE));
	if (err)
		return err;
	err = fd_array_cnt(l);
	if (!err)
		err = copy_fd_array(l);
	if (!err)
		err = load_btf(l);
	if (err) {
		stats0(&l->log);
	} else if (l->type <= EMU_PROG_SYSCALL && (EMU_HELPER_PROG_TYPES & EMU_PROG_BIT(l->type))) {
		memset(&in, 0, sizeof(in));
		in.prog_type = l->type;
		in.expected_attach_type = l->eat;
		in.insns = l->insns;
		in.cnt = l->cnt;
		in.gpl = l->gpl;
		in.prog_flags = l->flags;
		in.resolve_map = resolve_map;
		in.resolve_ctx = l;
		in.fd_array = attr_ptr(l->a, PL_FD_ARRAY) ? l->fd_array : NULL;
		in.fd_array_len = l->fd_array_len;
		in.btf = l->btf;
		in.btf_ops = l->btf ? &emu_prog_btf_ops : NULL;
		in.func_info = l->func_info;
		in.func_info_rec_size = attr_u32(l->a, PL_FUNC_INFO_REC_SIZE);
		in.func_info_cnt = attr_u32(l->a, PL_FUNC_INFO_CNT);
		in.line_info = l->line_info;
		in.line_info_rec_size = attr_u32(l->a, PL_LINE_INFO_REC_SIZE);
		in.line_info_cnt = attr_u32(l->a, PL_LINE_INFO_CNT);
		err = emu_prog_check(&in, &l->log, out);
		if (!err)
			err = check_helpers(l, out);
	} else {
		struct emu_load_other o = { l->type, l->eat, attr_u32(l->a, PL_ATTACH_BTF_ID), l->insns, l->cnt, l->gpl };

		err = emu_prog_load_other(&o, &l->log, out);
	}
	ferr = emu_vlog_finalize(&l->log, &true_size);
	if (ferr)
		err = ferr;
	if (uattr_size >= PL_LOG_TRUE_SIZE + 4 && emu_put_user_u32(l->uattr, PL_LOG_TRUE_SIZE, true_size))
		return -EFAULT;
	return err;
}

int emu_cmd_prog_load(struct emu_attr *a, union bpf_attr *uattr)
{
	struct emu_prog_check_out out;
	struct load l;
	int err;

	memset(&l, 0, sizeof(l));
	memset(&out, 0, sizeof(out));
	l.a = a;
	l.uattr = uattr;
	l.type = attr_u32(a, PL_TYPE);
	l.eat = attr_u32(a, PL_EXPECTED_ATTACH);
	l.flags = attr_u32(a, PL_PROG_FLAGS);
	l.cnt = attr_u32(a, PL_INSN_CNT);
	if (l.flags & ~PROG_FLAGS_KNOWN)
		return -EINVAL;
	fixup_attach_type(&l);
	if (l.flags & EMU_F_TOKEN_FD) /* bpf_token_get_from_fd: no fd is a token here */
		return fcntl((int)attr_u32(a, PL_TOKEN_FD), F_GETFD) < 0 ? -EBADF : -EINVAL;
	if (trampoline_refused(&l))
		return -EPERM;
	if (!l.cnt || l.cnt > MAX_INSNS)
		return -E2BIG;
	err = attach_target(&l);
	if (err)
		return err;
	l.insns = malloc(sizeof(*l.insns) * l.cnt);
	if (!l.insns)
		return -ENOMEM;
	err = emu_copy_from_user(l.insns, attr_ptr(a, PL_INSNS), sizeof(*l.insns) * l.cnt) ? -EFAULT : 0;
	if (!err)
		err = copy_license(&l);
	if (!err)
		err = check_signature(&l);
	if (!err)
		err = check_ifindex(&l);
	if (!err && !type_known(l.type))
		err = -EINVAL;
	if (!err) {
		memcpy(l.name, a->b + PL_NAME, sizeof(l.name));
		if (!emu_obj_name_ok(l.name))
			err = -EINVAL;
		/* bytes after the first NUL are not part of the name */
		for (size_t i = strnlen(l.name, sizeof(l.name)); i < sizeof(l.name); i++)
			l.name[i] = 0;
	}
	if (!err)
		err = verify(&l, &out);
	if (!err)
		err = create(&l, &out);
	emu_prog_check_out_free(&out);
	release_held(&l);
	if (l.btf)
		emu_btf_free(l.btf);
	free(l.fd_array);
	free(l.func_info);
	free(l.line_info);
	free(l.insns);
	return err;
}
