/* SPDX-License-Identifier: MIT */
/*
 * bpf() of a supervised program, answered by the emulator as the preload answers it: the attr is
 * copied once, with the syscall's size rules, from the program's memory into our buffer
 * (emu_bpf_copy_attr through the remote backend); its fd fields are rewritten on that copy to fds
 * of ours (fdfields.c); the command runs on the copy, reading and writing the program's buffers
 * through the same backend with the kernel's fault rules; a new object's fd goes into the program
 * with ADDFD, close-on-exec as every bpf() fd is. Nothing reads the program's attr again after the
 * copy (the commands write results into it, the trace reads it for display), so no check can be
 * raced by another thread of the program.
 *
 * --trace: one line per call, as the preload writes it, with the program's pid and fd numbers.
 * --diff: the call is made through shim/diffmode/ instead, which runs it on the kernel too (from
 * here, on copies of the program's buffers) and compares; the program gets the emulator's answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../shim.h"
#include "supervisor.h"

static bool tracing;
static bool diff; /* --diff: each call compared with the kernel's answer (shim/diffmode/) */
static struct sv_call *cur; /* the call being traced, for describe_fd */

/* The trace's view of a map fd of the program: its key and value sizes. */
static int describe_fd(int fd, struct emu_map_desc *d)
{
	int local, err;

	if (!cur)
		return -EBADF;
	local = sv_getfd(cur, fd);
	if (local < 0)
		return local;
	err = emu_map_describe(local, d);
	close(local);
	return err;
}

void sv_trace_init(void)
{
	tracing = shim_trace_enabled();
	shim_trace_describe = describe_fd;
}

void sv_diff_init(pid_t program, const char *name)
{
	diff = shim_diff_enabled();
	if (diff)
		shim_diff_supervisor_init((int)program, name);
}

/* OBJ_PIN and OBJ_GET resolve a relative path against the caller's current directory, as the
 * kernel does: for those, the supervisor (whose own directory is /) stands in the program's. */
static bool enter_cwd(const struct sv_call *c, int cmd)
{
	char p[64];

	if (cmd != EMU_BPF_OBJ_PIN && cmd != EMU_BPF_OBJ_GET)
		return false;
	snprintf(p, sizeof(p), "/proc/%d/cwd", (int)c->tid);
	return chdir(p) == 0;
}

/* The call decoded while the program still waits (its buffers as the call left them). */
static void trace_call(struct sv_call *c, char *buf, size_t len, int cmd, const void *uattr, unsigned size,
		       const struct emu_attr *before)
{
	cur = c;
	shim_trace_format_call(buf, len, cmd, uattr, size, before);
	cur = NULL;
}

void sv_bpf(struct sv_call *c)
{
	const struct seccomp_data *d = &c->n->data;
	int cmd = (int)d->args[0];
	union bpf_attr *uattr = (union bpf_attr *)(uintptr_t)d->args[1];
	unsigned size = (unsigned)d->args[2];
	int held[SV_MAX_ATTR_FDS];
	unsigned nheld = 0;
	struct emu_attr a, before;
	char line[2048];
	long ret;

	ret = emu_bpf_copy_attr(&a, uattr, size);
	before = a; /* the program's own fd numbers */
	if (ret && diff) {
		/* --diff: the kernel fails the attr the same way (or not: a divergence) */
		ret = shim_diff_supervised(cmd, uattr, size, &a, ret, &before, &c->mem);
	} else if (!ret) {
		ret = sv_attr_fds_in(c, cmd, &a, held, &nheld);
		if (!ret) {
			bool moved = enter_cwd(c, cmd);

			ret = diff ? shim_diff_supervised(cmd, uattr, size, &a, 0, &before, &c->mem)
				   : emu_bpf_dispatch(cmd, &a, uattr);
			if (moved && chdir("/"))
				sv_log("chdir /: %s", strerror(errno));
		}
	}
	while (nheld)
		close(held[--nheld]);
	if (tracing)
		trace_call(c, line, sizeof(line), cmd, uattr, size, &before);

	if (ret >= 0 && sv_cmd_returns_fd(cmd)) {
		int local = (int)ret;

		/* installed and answered in one step; the number is the program's */
		ret = sv_reply_fd(c, local, true);
		close(local);
		if (ret == -ENOENT)
			return; /* the caller is gone: no call to trace */
	} else if (ret < 0) {
		sv_fail(c, (int)-ret);
	} else {
		sv_reply(c, ret);
	}
	if (tracing)
		shim_trace_write((int)sv_tgid(c), line, ret < 0 ? -1 : ret, ret < 0 ? (int)-ret : 0);
}
