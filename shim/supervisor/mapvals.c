/* SPDX-License-Identifier: MIT */
/*
 * The program's mappings of a map's pages (mmap of a map fd: an mmapable array's values, a ring),
 * and the mark FREEZE needs to look for them (it refuses with EBUSY while one is writable, as the
 * kernel's does).
 *
 * The program's map fd is the map's own file (ADDFD installed it), so the program's kernel can map
 * the values itself: only the offset is wrong. The kernel's offset 0 is the first value; in our
 * file the values start at data_off, after the header. A supervisor cannot change a call's
 * arguments, nor map memory into another process, so the call is made again with the right ones:
 *
 *   1. PTRACE_SEIZE the calling thread and PTRACE_INTERRUPT it (it is waiting for our answer);
 *   2. answer the call with ERESTARTNOINTR: on its way out the thread stops for the interrupt,
 *      and the kernel will then restart the call from its registers;
 *   3. at that stop, the offset register becomes data_off + offset, and the mapping type
 *      MAP_SHARED_VALIDATE (EMU_MAP_OWN), which the filter lets through to the kernel;
 *   4. the restarted mmap() runs in the program (syscall-entry stop: it is the same call), and
 *      at its syscall-exit stop the registers get the program's values back (the system call
 *      ABI preserves them); then the thread is detached with its result.
 *
 * A ring's mapping (RINGBUF, USER_RINGBUF) is several parts of the map file: the data pages twice,
 * one copy after the other, so a record is contiguous across the ring's end (emu_map_mmap_plan
 * says which). The restarted mmap() then maps the whole length at the first part's offset, and at
 * its exit stop the thread is sent back to its system call instruction with another call in its
 * registers, a chain: a MAP_FIXED mmap() of each other part over its place in the range, a
 * munmap() of the range if one fails (the program gets that failure), the read-only fd copy's
 * close() (below); then the program's registers come back with the first mapping's address (or
 * the error) as the result. Once the range exists a signal no longer undoes the call: it is held
 * (the stop suppressed) and delivered at the detach, after the chain.
 *
 * A mapping without PROT_WRITE is made from a read-only copy of the fd (installed with ADDFD, its
 * number in the fd register, closed again by a close() the thread runs after the mappings):
 * the kernel clears VM_MAYWRITE on such a mapping, so mprotect() can never make it writable
 * (EACCES), and a read-only file gives the same guarantee.
 *
 * Nothing else of the program is touched, and every check (access mode, length, offset, flags,
 * frozen, RDONLY_PROG) was made before, by emu_map_mmap_plan, as for the preload. Any other stop
 * before the restarted call's exit (a signal arrived) puts the registers back and detaches with
 * the signal: the call restarts as the program made it and traps again. Where ptrace is refused (the program is being
 * traced already, Yama's ptrace_scope 2 or 3) or the machine's registers are not known here, the
 * mapping is refused with ENODEV and one diagnostic, never made wrong.
 *
 * FREEZE (emu/cmd/fd_ops.c) finds writable mappings by reading /proc of every process it may
 * read, for a map some front end marked: the supervisor marks the map (emu_map_mark_wmapped)
 * before the program maps it writable. Unlike the preload's emu_map_mmap(), which holds the map
 * lock from its check to the mapping, the program maps after our check: a FREEZE from elsewhere
 * between the two (one restarted system call) can succeed and leave a writable mapping of a
 * frozen map.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../emu/uapi/bpf_uapi.h"
#include "../../emu/util/diag.h"
#include "supervisor.h"

#ifndef NT_PRSTATUS
#define NT_PRSTATUS 1 /* <elf.h>'s, which clashes with the attr offsets' names */
#endif
#ifndef ERESTARTNOINTR
#define ERESTARTNOINTR 513 /* the kernel's: restart the call whatever the signal's disposition */
#endif

/* The general registers as PTRACE_GETREGSET (NT_PRSTATUS) gives them, where a system call's
 * arguments, its number and its result are, and how a thread at a syscall-exit stop is sent back
 * to its system call instruction to make another call. On aarch64 the first argument's register
 * is also the result's: the program finds its result there, and its other arguments as it left
 * them (the system call ABI preserves them). */
#if defined(__x86_64__)
typedef struct user_regs_struct sv_regs;
#define REG_ARG(r, i)                                                                               \
	(*((i) == 0 ? &(r)->rdi : (i) == 1 ? &(r)->rsi : (i) == 2 ? &(r)->rdx : (i) == 3 ? &(r)->r10 \
	   : (i) == 4 ? &(r)->r8 : &(r)->r9))
#define REG_RET(r) ((r)->rax)
#define REG_NR(r) ((r)->orig_rax)
#define REG_AGAIN(r, nr) ((r)->rip -= 2, (r)->rax = (nr))
#define SV_ARG0_IS_RET 0
#define SV_HAVE_REGS 1
#elif defined(__aarch64__)
typedef struct user_regs_struct sv_regs;
#define REG_ARG(r, i) ((r)->regs[(i)])
#define REG_RET(r) ((r)->regs[0])
#define REG_NR(r) ((r)->regs[8])
#define REG_AGAIN(r, nr) ((r)->pc -= 4, (r)->regs[8] = (nr))
#define SV_ARG0_IS_RET 1
#define SV_HAVE_REGS 1
#else
#define SV_HAVE_REGS 0
#endif
/* mmap()'s arguments */
#define REG_ADDR(r) REG_ARG(r, 0)
#define REG_LEN(r) REG_ARG(r, 1)
#define REG_PROT(r) REG_ARG(r, 2)
#define REG_FLAGS(r) REG_ARG(r, 3)
#define REG_FD(r) REG_ARG(r, 4)
#define REG_OFF(r) REG_ARG(r, 5)

#if SV_HAVE_REGS
static int regs_get(pid_t tid, sv_regs *r)
{
	struct iovec v = { r, sizeof(*r) };

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &v) ? -errno : 0;
}

static int regs_set(pid_t tid, sv_regs *r)
{
	struct iovec v = { r, sizeof(*r) };

	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &v) ? -errno : 0;
}

/* The next stop of tid: 0, with *kind, and in *sig the signal of a signal-delivery-stop (0 for a
 * syscall stop or the interrupt's, -1 for a group stop); or -1 when the thread is gone. */
enum stop { STOP_EVENT, STOP_SYSCALL, STOP_SIGNAL };

static int next_stop(pid_t tid, enum stop *kind, int *sig)
{
	int st;

	for (;;) {
		if (waitpid(tid, &st, __WALL) == tid)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (!WIFSTOPPED(st))
		return -1; /* exited or killed */
	*sig = 0;
	if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
		*kind = STOP_SYSCALL;
	} else if ((st >> 16) == PTRACE_EVENT_STOP) {
		*kind = STOP_EVENT; /* PTRACE_INTERRUPT's (SIGTRAP), or a group stop (its signal) */
		if (WSTOPSIG(st) != SIGTRAP)
			*sig = -1;
	} else {
		*kind = STOP_SIGNAL;
		*sig = WSTOPSIG(st);
	}
	return 0;
}

/* The program's registers of the call, on what the thread has now (its result register aside) */
static void regs_back(sv_regs *r, const sv_regs *saved)
{
	for (int i = SV_ARG0_IS_RET; i < 6; i++)
		REG_ARG(r, i) = REG_ARG(saved, i);
}

/* ro_local's file installed in the program (no reply): its number there, or -1 */
static int install_fd(struct sv_call *c, int ro_local)
{
	struct seccomp_notif_addfd a;

	if (ro_local < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.id = c->n->id;
	a.srcfd = (uint32_t)ro_local;
	a.newfd_flags = O_CLOEXEC;
	return ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
}

/* a system call's result register as -errno, or 0 */
static int64_t call_err(const sv_regs *r)
{
	int64_t v = (int64_t)REG_RET(r);

	return v < 0 && v >= -4095 ? v : 0;
}

/* The thread, at a syscall-exit stop (r: its registers), sent back to make call nr(args) */
static int call_again(pid_t tid, sv_regs *r, long nr, const uint64_t args[6])
{
	REG_AGAIN(r, (uint64_t)nr);
	for (int i = 0; i < 6; i++)
		REG_ARG(r, i) = args[i];
	return regs_set(tid, r);
}
#endif

/* The calls the thread makes after the program's restarted mmap() (which maps the whole range, the
 * first part of the file over it): each further part mapped over its place, MAP_FIXED; on a failure
 * the range unmapped (the program gets the failure); last, the read-only fd copy closed. */
enum chain_step { CH_SEG, CH_UNMAP, CH_CLOSE, CH_DONE };

/* Steps 1-4 above, and for a mapping of several parts (a ring's), the chain of calls after it.
 * ro_local: a read-only fd of the map's file for a mapping without PROT_WRITE (-1: none): the
 * program maps a copy of it instead of its own read-write fd, so that, as in the kernel,
 * mprotect() cannot make that mapping writable; the copy is closed again in the program (close()
 * run by the thread after the mappings). 0: the call is answered (the program has the kernel's
 * result of the mapping, or was interrupted and will ask again); -errno: nothing was done, the
 * caller answers. */
static int remap(struct sv_call *c, const struct emu_mmap_plan *plan, int ro_local, const char **why)
{
#if SV_HAVE_REGS
	pid_t tid = c->tid;
	sv_regs saved, done, r;
	enum stop kind;
	int sig = 0, step = 0, tfd, deferred = 0;
	unsigned seg = 1;
	uint64_t total = 0, base = 0, extra = 0, args[6];
	int64_t result = 0;
	enum chain_step next = CH_DONE;
	long cur_nr = SYS_mmap;

	for (unsigned i = 0; i < plan->nseg; i++)
		if (plan->seg[i].addr_off + plan->seg[i].len > total)
			total = plan->seg[i].addr_off + plan->seg[i].len;
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD)) {
		*why = "the supervisor cannot trace the program (being traced already, or Yama's ptrace_scope)";
		return -errno;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL)) {
		int err = -errno;

		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		*why = "PTRACE_INTERRUPT failed";
		return err;
	}
	tfd = EMU_FAULT("superv-mmap-rw-fd") ? -1 : install_fd(c, ro_local);
	sv_fail(c, ERESTARTNOINTR);
	/* 0: the interrupt's stop, the call not yet restarted; 1: its restart's entry; 2: its exit;
	 * 3, 4: the entry and exit of each chained call (cur_nr) */
	while (next_stop(tid, &kind, &sig) == 0) {
		int cont_sig = 0;

		if (step == 0 && kind == STOP_EVENT && sig == 0) {
			if (regs_get(tid, &saved))
				break;
			r = saved;
			if (!EMU_FAULT("superv-mmap-offset"))
				REG_OFF(&r) = plan->seg[0].file_off;
			/* MAP_SHARED_VALIDATE refuses the flags MAP_SHARED ignores: dropped (and
			 * MAP_FIXED_NOREPLACE with them: its address becomes a hint) */
			extra = REG_FLAGS(&r) & ~(uint64_t)MAP_TYPE & EMU_LEGACY_MAP_MASK;
			REG_FLAGS(&r) = extra | EMU_MAP_OWN;
			if (plan->nseg > 1)
				REG_LEN(&r) = total; /* the whole range, the first part in place */
			if (tfd >= 0)
				REG_FD(&r) = (uint64_t)tfd;
			if (regs_set(tid, &r))
				break;
			step = 1;
		} else if (step == 1 && kind == STOP_SYSCALL) {
			if (regs_get(tid, &r) || REG_NR(&r) != SYS_mmap)
				break; /* not the restarted call: leave the program as it was */
			step = 2;
		} else if (step == 2 && kind == STOP_SYSCALL) {
			/* the mapping is made (or failed): from here on the program's registers come back
			 * with the result, whatever happens */
			if (regs_get(tid, &done))
				break;
			result = (int64_t)REG_RET(&done);
			base = (uint64_t)result;
			if (sv_debug)
				sv_log("[pid %d] mmap() of a map's pages: made again at file offset %#" PRIx64
				       "%s%s", (int)sv_tgid(c), plan->seg[0].file_off,
				       tfd >= 0 ? " from a read-only fd" : "",
				       plan->nseg > 1 ? ", its other parts mapped over it" : "");
			next = plan->nseg > 1 && !call_err(&done) ? CH_SEG : CH_CLOSE;
			step = 3;
			goto chain;
		} else if (step == 3 && kind == STOP_SYSCALL) {
			if (regs_get(tid, &r) || REG_NR(&r) != (uint64_t)cur_nr)
				goto finish; /* not ours: give up the chain (see below) */
			step = 4;
		} else if (step == 4 && kind == STOP_SYSCALL) {
			if (regs_get(tid, &r))
				goto finish;
			if (cur_nr == SYS_mmap && REG_RET(&r) != args[0]) {
				/* a part could not be mapped: the whole range goes, the program gets why */
				result = call_err(&r) ? call_err(&r) : -ENOMEM;
				if (sv_debug)
					sv_log("[pid %d] mmap() of a ring: part %u failed (%" PRId64 "): unmapped",
					       (int)sv_tgid(c), seg, result);
				next = CH_UNMAP;
			} else if (cur_nr == SYS_mmap) {
				seg++;
				next = seg < plan->nseg ? CH_SEG : CH_CLOSE;
			}
			done = r;
			step = 3;
			goto chain;
		} else if (step >= 3 && kind == STOP_SIGNAL && sig > 0) {
			/* a signal on the way between two calls of the chain: it waits for the end */
			deferred = sig;
		} else if (step >= 3 && kind == STOP_EVENT) {
			/* a group stop or another interrupt: the chain goes on first */
		} else {
			break; /* a signal, a group stop before the restart: they go first */
		}
		if (ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)cont_sig))
			return 0; /* the thread is gone */
		continue;
chain:
		/* the next call of the chain, from the syscall-exit stop in done */
		r = done;
		if (next == CH_SEG) {
			args[0] = base + plan->seg[seg].addr_off;
			args[1] = plan->seg[seg].len;
			args[2] = REG_PROT(&saved);
			args[3] = extra | MAP_FIXED | EMU_MAP_OWN;
			args[4] = tfd >= 0 ? (uint64_t)tfd : REG_FD(&saved);
			/* planted: the first part's offset again (its producer page where data should be) */
			args[5] = EMU_FAULT("superv-ring-seg-offset") ? plan->seg[0].file_off : plan->seg[seg].file_off;
			cur_nr = SYS_mmap;
		} else if (next == CH_UNMAP) {
			memset(args, 0, sizeof(args));
			args[0] = base;
			args[1] = total;
			cur_nr = SYS_munmap;
			next = CH_CLOSE;
		} else if (next == CH_CLOSE && tfd >= 0 && !EMU_FAULT("superv-mmap-fd-left")) {
			memset(args, 0, sizeof(args));
			args[0] = (uint64_t)tfd;
			cur_nr = SYS_close;
			next = CH_DONE;
		} else {
			goto finish;
		}
		if (call_again(tid, &r, cur_nr, args))
			goto finish;
		if (ptrace(PTRACE_SYSCALL, tid, NULL, NULL))
			return 0;
	}
	if (step >= 3)
		goto finish;
	/* Undone: the program's registers back on what the thread has now (the restart may have been
	 * applied already), and it goes on with its signal; the call restarts as it was made and traps
	 * again. A thread that is gone needs nothing. */
	if (step >= 1 && !regs_get(tid, &r)) {
		regs_back(&r, &saved);
		if (SV_ARG0_IS_RET)
			REG_ARG(&r, 0) = REG_ARG(&saved, 0);
		regs_set(tid, &r);
	}
	if (sv_debug)
		sv_log("[pid %d] mmap() of a map's pages: interrupted at step %d (signal %d), to be made again",
		       (int)sv_tgid(c), step, sig);
	if (tfd >= 0)
		sv_log("[pid %d] fd %d (a read-only copy of a map fd) stays open in the program", (int)sv_tgid(c), tfd);
	ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)(sig > 0 ? sig : 0));
	return 0;
finish:
	/* the mapping's result (or the failure), the program's registers; a signal that came
	 * meanwhile goes on. A chain given up half-way (the thread did something else: it cannot,
	 * it is ours until detached) leaves what it made. */
	if (step >= 3 && next != CH_DONE && tfd >= 0 && sv_debug)
		sv_log("[pid %d] fd %d (a read-only copy of a map fd) may stay open in the program", (int)sv_tgid(c), tfd);
	if (!EMU_FAULT("superv-mmap-regs"))
		regs_back(&done, &saved);
	REG_RET(&done) = (uint64_t)result;
	regs_set(tid, &done);
	if (sig > 0 && !deferred)
		deferred = sig;
	ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)deferred);
	return 0;
#else
	(void)c;
	(void)plan;
	(void)ro_local;
	*why = "the supervisor does not know this machine's registers";
	return -ENOSYS;
#endif
}

void sv_mmap(struct sv_call *c)
{
	static bool said;
	int local = sv_getfd(c, (int)c->n->data.args[4]), r, ro = -1;
	const char *why = "";
	struct emu_mmap_plan plan;

	if (local < 0) {
		sv_continue(c); /* no such fd: the kernel's EBADF */
		return;
	}
	r = emu_is_object_fd(local) ? emu_map_mmap_plan(local, (size_t)c->n->data.args[1], (int)c->n->data.args[2],
							 (int)c->n->data.args[3], (off_t)c->n->data.args[5], &plan)
				     : 1;
	if (r == 0 && !(c->n->data.args[2] & PROT_WRITE)) {
		char self[64];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", local);
		ro = open(self, O_RDONLY | O_CLOEXEC);
	}
	/* before the mapping exists: FREEZE looks for it from now on (a read-only one from the
	 * program's own fd, where no copy could be made, may become writable) */
	if (r == 0 && ((c->n->data.args[2] & PROT_WRITE) || ro < 0) && !EMU_FAULT("superv-freeze-unseen"))
		emu_map_mark_wmapped(local);
	close(local);
	if (r == 1) {
		sv_continue(c);
		return;
	}
	if (r < 0) {
		sv_fail(c, -r); /* the kernel's answer for this mapping of a map */
		return;
	}
	r = remap(c, &plan, ro, &why);
	if (ro >= 0)
		close(ro);
	if (!r)
		return;
	if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		sv_log("mmap() of an emulated map's values is not possible here: %s (%s): ENODEV; "
		       "run the program with the preload (bpfemu-run --preload) if it can be",
		       why, strerror(-r));
	sv_fail(c, ENODEV);
}
