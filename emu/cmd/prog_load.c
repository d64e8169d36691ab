/* SPDX-License-Identifier: MIT */
/*
 * Program objects, only as far as libbpf needs them before it creates maps: its feature probes
 * load `r0 = 0; exit` as a SOCKET_FILTER program (to learn whether names and memcg accounting
 * work) and silently degrade when that fails, so a map would lose its name. Such a program is
 * accepted and gets an fd; anything that would need a verifier is refused with a diagnostic.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/map.h"
#include "../core/object.h"
#include "../core/objstore.h"
#include "../core/state.h"
#include "../uaccess/uaccess.h"
#include "../util/diag.h"
#include "cmds.h"

#define PROG_TYPE_SOCKET_FILTER 1u
#define MAX_INSNS 1000000u /* BPF_COMPLEXITY_LIMIT_INSNS for a privileged loader */
#define TRIVIAL_MAX 64u

struct emu_prog_hdr {
	uint64_t magic;
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint32_t id;
	char name[EMU_OBJ_NAME_LEN];
};

struct insn {
	uint8_t code;
	uint8_t regs;
	int16_t off;
	int32_t imm;
};

#define BPF_FUNC_KTIME_GET_COARSE_NS 160

static bool trivial(const struct insn *in, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i++) {
		/* libbpf's memcg probe is `call bpf_ktime_get_coarse_ns; exit` (the helper came with
		 * memcg accounting, 5.11): refusing it makes libbpf raise RLIMIT_MEMLOCK behind the
		 * user's back. The helper takes no arguments and leaves a scalar in r0. */
		if (in[i].code == 0x85 && !in[i].regs && !in[i].off && in[i].imm == BPF_FUNC_KTIME_GET_COARSE_NS)
			continue;
		if ((in[i].code != 0xb7 && in[i].code != 0xb4) || (in[i].regs & 0xf) != 0 || in[i].off)
			return false; /* otherwise only "r0 = imm" before the exit */
	}
	return in[n - 1].code == 0x95 && !in[n - 1].regs && !in[n - 1].off && !in[n - 1].imm;
}

int emu_cmd_prog_load(struct emu_attr *a, union bpf_attr *uattr)
{
	uint32_t type = attr_u32(a, PL_TYPE), cnt = attr_u32(a, PL_INSN_CNT);
	struct insn insns[TRIVIAL_MAX];
	struct emu_prog_hdr h;
	char name[EMU_OBJ_NAME_LEN];
	int fd;

	(void)uattr;
	if (!emu_attr_tail_zero(a, PL_SIGNATURE)) /* no signed programs yet */
		return -EINVAL;
	if (!cnt || cnt > MAX_INSNS)
		return -E2BIG;
	if (type != PROG_TYPE_SOCKET_FILTER || cnt > TRIVIAL_MAX || attr_u32(a, PL_PROG_FLAGS))
		goto unsupported;
	if (emu_copy_from_user(insns, attr_ptr(a, PL_INSNS), cnt * sizeof(struct insn)))
		return -EFAULT;
	if (!trivial(insns, cnt))
		goto unsupported;
	memcpy(name, a->b + PL_NAME, sizeof(name));
	if (!emu_obj_name_ok(name))
		return -EINVAL;

	fd = emu_open_object_file("bpf-prog");
	if (fd < 0)
		return fd;
	memset(&h, 0, sizeof(h));
	h.magic = EMU_PROG_MAGIC;
	h.prog_type = type;
	h.insn_cnt = cnt;
	h.id = emu_alloc_id(EMU_ID_PROG);
	memcpy(h.name, name, sizeof(name));
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		return -ENOMEM;
	}
	emu_objstore_register(fd, EMU_ID_PROG, h.id);
	return fd;

unsupported:
	{
		static bool said;

		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			emu_diag("BPF_PROG_LOAD is emulated only for the trivial programs of libbpf's "
				 "feature probes: EOPNOTSUPP");
	}
	return -EOPNOTSUPP;
}

/* The id of the program file fd names (the id commands, cmd/ids.c): 0, or -EINVAL if none. */
int emu_prog_fd_id(int fd, uint32_t *id)
{
	struct emu_prog_hdr h;
	char path[64];
	int rfd;
	ssize_t n;

	if (!emu_is_prog_fd(fd))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -EINVAL;
	n = pread(rfd, &h, sizeof(h), 0);
	close(rfd);
	if (n != (ssize_t)sizeof(h) || h.magic != EMU_PROG_MAGIC)
		return -EINVAL;
	*id = h.id;
	return 0;
}
