/* SPDX-License-Identifier: MIT */
/*
 * What a program fd tells: BPF_OBJ_GET_INFO_BY_FD's struct bpf_prog_info and the program lines of
 * /proc/self/fdinfo/N, as 6.18's bpf_prog_get_info_by_fd() and bpf_prog_show_fdinfo() give them
 * to a root caller.
 *
 * The kernel fills the struct in its own copy of the caller's bytes, writing the arrays it is
 * asked for (map ids, xlated instructions, JIT data, func/line info, tags) straight to the
 * caller's buffers on the way and stopping at the first that faults; the struct itself goes back
 * last. Fields it does not fill keep the caller's bytes. The same here, in the same order.
 *
 * The programs are interpreted, and say so: a kernel without a JIT (bpf_jit_enable 0, the
 * interpreter): prog_jited 0, jited_prog_len 0, one jited ksym (address 0: no kernel address
 * exists) and one jited function length (0), no jited line info, one program tag. bpftool then
 * prints "not jited" where the kernel here (JIT on) prints the JIT's code size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../core/prog_obj.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

static uint32_t get32(const unsigned char *b, unsigned off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static uint64_t get64(const unsigned char *b, unsigned off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

static void put32(unsigned char *b, unsigned off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(unsigned char *b, unsigned off, uint64_t v) { memcpy(b + off, &v, 8); }

/* set_info_rec_size: a record size the caller gives must be the kernel's (or 0 with no count) */
static int rec_sizes(unsigned char *info)
{
	if ((get32(info, PI_NR_FUNC_INFO) || get32(info, PI_FUNC_INFO_REC_SIZE)) &&
	    get32(info, PI_FUNC_INFO_REC_SIZE) != EMU_FUNC_INFO_SIZE)
		return -EINVAL;
	if ((get32(info, PI_NR_LINE_INFO) || get32(info, PI_LINE_INFO_REC_SIZE)) &&
	    get32(info, PI_LINE_INFO_REC_SIZE) != EMU_LINE_INFO_SIZE)
		return -EINVAL;
	if ((get32(info, PI_NR_JITED_LINE_INFO) || get32(info, PI_JITED_LINE_INFO_REC_SIZE)) &&
	    get32(info, PI_JITED_LINE_INFO_REC_SIZE) != 8)
		return -EINVAL;
	put32(info, PI_FUNC_INFO_REC_SIZE, EMU_FUNC_INFO_SIZE);
	put32(info, PI_LINE_INFO_REC_SIZE, EMU_LINE_INFO_SIZE);
	put32(info, PI_JITED_LINE_INFO_REC_SIZE, 8);
	return 0;
}

/* "n the program has; min(n, what the caller asked for) of them copied from src, rec bytes each" */
static int put_array(unsigned char *info, unsigned cnt_off, unsigned ptr_off, uint32_t n, const void *src,
		     uint32_t rec)
{
	uint32_t ulen = get32(info, cnt_off);

	put32(info, cnt_off, n);
	if (!n || !ulen)
		return 0;
	if (ulen > n)
		ulen = n;
	return emu_copy_to_user((void *)(uintptr_t)get64(info, ptr_off), src, (size_t)ulen * rec);
}

static int fill(struct emu_prog *p, unsigned char *info)
{
	const struct emu_prog_hdr *h = emu_prog_hdr(p);
	uint32_t ids[EMU_PROG_MAX_MAPS], n, ulen, cnt;
	const struct emu_insn *x;
	const void *rec;
	uint64_t zero64 = 0;
	uint32_t zero32 = 0, gpl;
	uint64_t rt, rc, rm;
	int err;

	put32(info, PI_TYPE, h->prog_type);
	put32(info, PI_ID, h->id + (EMU_FAULT("prog-info-id") ? 1 : 0));
	put64(info, PI_LOAD_TIME, h->load_time);
	put32(info, PI_CREATED_BY_UID, h->created_by_uid);
	gpl = (get32(info, PI_GPL_COMPATIBLE) & ~1u) | (h->gpl_compatible ? 1u : 0u);
	put32(info, PI_GPL_COMPATIBLE, gpl);
	memcpy(info + PI_TAG, h->tag, 8);
	memcpy(info + PI_NAME, h->name, EMU_OBJ_NAME_LEN);

	/* used maps: each id put on its own, as the kernel's put_user loop */
	n = emu_prog_map_ids(p, ids, EMU_PROG_MAX_MAPS);
	if (n > 1 && EMU_FAULT("prog-map-ids")) /* test builds: the used maps listed in reverse */
		for (uint32_t i = 0; i < n / 2; i++) {
			uint32_t t = ids[i];

			ids[i] = ids[n - 1 - i];
			ids[n - 1 - i] = t;
		}
	ulen = get32(info, PI_NR_MAP_IDS);
	put32(info, PI_NR_MAP_IDS, n);
	for (uint32_t i = 0; i < n && i < ulen; i++)
		if (emu_copy_to_user((uint32_t *)(uintptr_t)get64(info, PI_MAP_IDS) + i, &ids[i], 4))
			return -EFAULT;

	err = rec_sizes(info);
	if (err)
		return err;
	emu_prog_stats(p, &rt, &rc, &rm);
	put64(info, PI_RUN_TIME_NS, rt);
	put64(info, PI_RUN_CNT, rc);
	put64(info, PI_RECURSION_MISSES, rm);
	put32(info, PI_VERIFIED_INSNS, h->verified_insns);
	if (h->btf_id)
		put32(info, PI_BTF_ID, h->btf_id);

	/* xlated instructions */
	x = emu_prog_xlated(p, &cnt);
	ulen = get32(info, PI_XLATED_PROG_LEN);
	put32(info, PI_XLATED_PROG_LEN, cnt * 8);
	if (cnt && ulen) {
		if (ulen > cnt * 8)
			ulen = cnt * 8;
		if (emu_copy_to_user((void *)(uintptr_t)get64(info, PI_XLATED_PROG_INSNS), x, ulen))
			return -EFAULT;
	}

	/* the interpreter's JIT data: no code, one symbol, one length */
	put32(info, PI_JITED_PROG_LEN, 0);
	err = put_array(info, PI_NR_JITED_KSYMS, PI_JITED_KSYMS, 1, &zero64, 8);
	if (!err)
		err = put_array(info, PI_NR_JITED_FUNC_LENS, PI_JITED_FUNC_LENS, 1, &zero32, 4);
	if (err)
		return err;
	put32(info, PI_ATTACH_BTF_ID, 0);

	rec = emu_prog_func_info(p, &cnt);
	err = put_array(info, PI_NR_FUNC_INFO, PI_FUNC_INFO, cnt, rec, EMU_FUNC_INFO_SIZE);
	if (!err) {
		rec = emu_prog_line_info(p, &cnt);
		err = put_array(info, PI_NR_LINE_INFO, PI_LINE_INFO, cnt, rec, EMU_LINE_INFO_SIZE);
	}
	if (!err)
		err = put_array(info, PI_NR_JITED_LINE_INFO, PI_JITED_LINE_INFO, 0, NULL, 8);
	if (!err)
		err = put_array(info, PI_NR_PROG_TAGS, PI_PROG_TAGS, 1, h->tag, 8);
	return err;
}

/* BPF_OBJ_GET_INFO_BY_FD for a program fd; 1 when fd is no program. */
int emu_prog_get_info(int fd, const struct emu_attr *a, union bpf_attr *uattr)
{
	unsigned char info[PI_SIZE];
	unsigned char *uinfo = attr_ptr(a, INFO_PTR);
	uint32_t len = attr_u32(a, INFO_LEN), n;
	struct emu_prog *p;
	int err = emu_prog_get(fd, &p);

	if (err == -EINVAL)
		return 1;
	if (err)
		return err == -EBADF ? -EBADFD : err;
	/* everything from the end of the last field on (the struct's padding included) must be zero */
	err = emu_info_tail_zero(uinfo, len, PI_ATTACH_BTF_ID + 4);
	if (err)
		goto out;
	n = len < PI_SIZE ? len : PI_SIZE;
	memset(info, 0, sizeof(info));
	if (emu_copy_from_user(info, uinfo, n)) {
		err = -EFAULT;
		goto out;
	}
	err = fill(p, info);
	if (!err && (emu_copy_to_user(uinfo, info, n) || emu_put_user_u32(uattr, INFO_LEN, n)))
		err = -EFAULT;
out:
	emu_prog_put(p);
	return err;
}

/* The program lines of /proc/self/fdinfo/N (bpf_prog_show_fdinfo); 1 when fd is no program. */
int emu_prog_fdinfo(int fd, char *buf, size_t len)
{
	const struct emu_prog_hdr *h;
	struct emu_prog *p;
	uint64_t rt, rc, rm;
	int n;

	if (emu_prog_get(fd, &p))
		return 1;
	h = emu_prog_hdr(p);
	emu_prog_stats(p, &rt, &rc, &rm);
	n = snprintf(buf, len,
		     "prog_type:\t%u\nprog_jited:\t0\nprog_tag:\t%02x%02x%02x%02x%02x%02x%02x%02x\nmemlock:\t%llu\n"
		     "prog_id:\t%u\nrun_time_ns:\t%llu\nrun_cnt:\t%llu\nrecursion_misses:\t%llu\nverified_insns:\t%u\n",
		     h->prog_type, h->tag[0], h->tag[1], h->tag[2], h->tag[3], h->tag[4], h->tag[5], h->tag[6], h->tag[7],
		     (unsigned long long)h->memlock, h->id, (unsigned long long)rt, (unsigned long long)rc,
		     (unsigned long long)rm, h->verified_insns);
	emu_prog_put(p);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
