/* SPDX-License-Identifier: MIT */
/*
 * libbpfemu-preload.so: runs unmodified programs against emulated maps.
 *
 * bpf() reaches the kernel through glibc's syscall(), so that is the one entry point for map
 * commands: this file. The rest of the preload answers what real clients ask around those
 * commands, so they cannot tell the difference: what an fd is (procfs.c: readlink of
 * /proc/self/fd/N, fdinfo) and the bpf filesystem at /sys/fs/bpf (bpffs.c: statfs type, and every
 * path operation bpftool and rm do there), redirected to the per-user directory of pinned maps.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

int shim_debug;
/* The recursion guard: our own calls (the emulator opens and stats files too) pass through. */
__attribute__((visibility("hidden"))) __thread int shim_depth __attribute__((tls_model("initial-exec")));

/*
 * The handshake with bpfemu-run (shim/run/supervise.c): BPFEMU_HANDSHAKE="FD:INODE" names a pipe
 * bpfemu-run waits on; one line, "ok PID", proves this library is loaded in the program it
 * started, before the program's own constructors and main() run. "warn PID TEXT" when it is loaded
 * but does not get the program's syscall() calls. The variable is removed, so the programs this one
 * starts do not write to whatever that fd number names by then (the inode guards that too).
 */
static void handshake(void)
{
	const char *v = getenv("BPFEMU_HANDSHAKE");
	unsigned long long ino;
	char line[PATH_MAX + 160];
	struct stat st;
	Dl_info self, winner;
	void *sc;
	int fd, n;

	if (!v)
		return;
	if (sscanf(v, "%d:%llu", &fd, &ino) == 2 && fd >= 0 && !fstat(fd, &st) && S_ISFIFO(st.st_mode) &&
	    (unsigned long long)st.st_ino == ino) {
		sc = dlsym(RTLD_DEFAULT, "syscall");
		if (dladdr((void *)handshake, &self) && sc && dladdr(sc, &winner) && winner.dli_fbase != self.dli_fbase)
			n = snprintf(line, sizeof(line),
				     "warn %d the program's syscall() is the one in %s, not the preload library's: its "
				     "bpf() calls through syscall() are not emulated (they fail with ENOSYS)\n",
				     (int)getpid(), winner.dli_fname ? winner.dli_fname : "?");
		else
			n = snprintf(line, sizeof(line), "ok %d\n", (int)getpid());
		(void)!write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		close(fd);
	}
	unsetenv("BPFEMU_HANDSHAKE");
}

/* The public API (bpfemu_bpf, ...) the preload exports too: a program linked with libbpfemu binds
 * to the preload's copy, whose emulator then runs under the recursion guard as it does for the
 * bpf() calls interposed here (its own fstat of a map file must see the file). */
static void api_guard(int delta)
{
	depth += delta;
}

static void shim_init(void) __attribute__((constructor));
static void shim_init(void)
{
	const char *d = secure_getenv("BPFEMU_DEBUGLEVEL");

	shim_debug = d ? atoi(d) : 0;
	emu_fdcache_enable();
	shim_fdops_init();
	/* every fd bpf() hands out is an object's: worth asking about in file operations */
	emu_set_new_fd_hook(shim_hint_set);
	emu_set_api_guard(api_guard);
	handshake();
	if (shim_debug)
		shim_log("state directory %s, emulated bpffs %s", emu_state_dir(), emu_bpffs_root());
}

void shim_log(const char *fmt, ...)
{
	char line[768];
	va_list ap;
	int n = snprintf(line, sizeof(line), "bpfemu[%d]: ", (int)getpid());

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line keeps lines whole when threads and processes share stderr */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

REAL(long, syscall, long, long, long, long, long, long, long)
REAL(int, close, int)
REAL(int, close_range, unsigned, unsigned, int)
REAL(void, closefrom, int)
REAL(int, dup2, int, int)
REAL(int, dup3, int, int, int)

/* The fd cache and the file-operation hints forget a number that was closed. */
static void forget(int fd)
{
	emu_fdcache_forget(fd);
	shim_hint_clear(fd);
	shim_poll_forget(fd);
}

static void forget_range(unsigned lo, unsigned hi)
{
	emu_fdcache_forget_range(lo, hi);
	shim_hint_clear_range(lo, hi);
}

/* ---- bpf() ---- */

/* Trace and diff mode are fixed by the environment at the first call: after it, one load tells
 * a plain call from one that needs either (two calls and their loads were ~3% of a lookup). */
enum { MODE_UNKNOWN, MODE_PLAIN, MODE_TRACE = 2, MODE_DIFF = 4 };
static int bpf_mode;

static int get_bpf_mode(void)
{
	int m = __atomic_load_n(&bpf_mode, __ATOMIC_RELAXED);

	if (m == MODE_UNKNOWN) {
		m = (shim_trace_enabled() ? MODE_TRACE : 0) | (shim_diff_enabled() ? MODE_DIFF : 0);
		if (!m)
			m = MODE_PLAIN;
		__atomic_store_n(&bpf_mode, m, __ATOMIC_RELAXED);
	}
	return m;
}

/* A call traced or run against the kernel too. */
__attribute__((noinline)) static long do_bpf_observed(int mode, long cmd, long uattr, long size)
{
	struct emu_attr a, before;
	bool trace = mode & MODE_TRACE;
	long ret;
	int err = 0;

	if (mode & MODE_DIFF) {
		/* BPFEMU_DIFF: the kernel answers too, and the two are compared (diffmode.c) */
		ret = shim_diff_bpf((int)cmd, (union bpf_attr *)uattr, (unsigned)size, &before);
	} else {
		ret = emu_bpf_copy_attr(&a, (const union bpf_attr *)uattr, (unsigned)size);
		/* Only the trace reads the attr as it came in. Copying it on every call cost more than
		 * the rest of a lookup: it reads bytes just stored in other widths and stalls on
		 * store-to-load forwarding. */
		if (trace)
			before = a;
		if (!ret)
			ret = emu_bpf_dispatch((int)cmd, &a, (union bpf_attr *)uattr);
	}
	if (ret < 0) {
		err = (int)-ret;
		ret = -1;
	}
	if (trace)
		shim_trace_call((int)cmd, (const void *)uattr, (unsigned)size, &before, ret, err);
	if (ret < 0)
		errno = err;
	return ret;
}

/* The two ways on from syscall(): hidden, not static, so that their names and calling
 * conventions stay as declared for the assembly entry below. */
__attribute__((visibility("hidden"))) long shim_bpf_call(long cmd, long uattr, long size);
__attribute__((visibility("hidden"))) long shim_other_syscall(long nr, long a0, long a1, long a2, long a3,
							     long a4, long a5);

long shim_bpf_call(long cmd, long uattr, long size)
{
	int mode = get_bpf_mode();
	long ret;

	depth++;
	/* the plain call apart: the trace's copy of the attr made its frame three times larger */
	if (__builtin_expect(mode != MODE_PLAIN, 0))
		ret = do_bpf_observed(mode, cmd, uattr, size);
	else
		ret = emu_bpf_call((int)cmd, (union bpf_attr *)uattr, (unsigned)size);
	depth--;
	return ret;
}

long shim_other_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	bool handled;
	long r;

	/* fd numbers that stop naming what they named must leave the fd cache */
	switch (nr) {
	case SYS_close:
		forget((int)a0);
		break;
	case SYS_close_range:
		if (!(a2 & CLOSE_RANGE_CLOEXEC))
			forget_range((unsigned)a0, (unsigned)a1);
		break;
#ifdef SYS_dup2 /* arm64 and other newer ABIs have only dup3 */
	case SYS_dup2:
#endif
	case SYS_dup3:
		r = get_syscall()(nr, a0, a1, a2, a3, a4, a5);
		if (r >= 0 && a0 != a1) {
			emu_fdcache_forget((int)a1);
			shim_hint_copy((int)a0, (int)a1);
			shim_poll_forget((int)a1);
		}
		return r;
	case SYS_dup:
		r = get_syscall()(nr, a0, a1, a2, a3, a4, a5);
		if (r >= 0) {
			emu_fdcache_forget((int)r);
			shim_hint_copy((int)a0, (int)r);
			shim_poll_forget((int)r);
		}
		return r;
	default:
		/* file operations on an object fd: the kernel's answers (shim/fdops.c) */
		r = shim_fdop_syscall(nr, a0, a1, a2, a3, a4, a5, &handled);
		if (handled)
			return r;
		break;
	}
	return get_syscall()(nr, a0, a1, a2, a3, a4, a5);
}

#ifndef SHIM_ASM_SYSCALL_ENTRY
/* The portable entry; x86-64 builds use shim/arch/x86_64/syscall_entry.S instead. */
EXPORT long syscall(long nr, ...)
{
	long a0, a1, a2, a3, a4, a5;
	va_list ap;

	/* The variadic ABI hands us six longs whatever the syscall; forward all of them. */
	va_start(ap, nr);
	a0 = va_arg(ap, long);
	a1 = va_arg(ap, long);
	a2 = va_arg(ap, long);
	if (nr == SYS_bpf && !depth) {
		va_end(ap);
		return shim_bpf_call(a0, a1, a2);
	}
	a3 = va_arg(ap, long);
	a4 = va_arg(ap, long);
	a5 = va_arg(ap, long);
	va_end(ap);
	return shim_other_syscall(nr, a0, a1, a2, a3, a4, a5);
}
#endif

/* ---- fd numbers that change what they name ---- */

EXPORT int close(int fd)
{
	forget(fd);
	return get_close()(fd);
}

EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		forget_range(lo, hi);
	return get_close_range()(lo, hi, flags);
}

EXPORT void closefrom(int lo)
{
	if (lo >= 0)
		forget_range((unsigned)lo, UINT_MAX);
	get_closefrom()(lo);
}

EXPORT int dup2(int oldfd, int newfd)
{
	int r = get_dup2()(oldfd, newfd);

	if (r >= 0 && oldfd != newfd) {
		emu_fdcache_forget(newfd);
		shim_hint_copy(oldfd, newfd);
		shim_poll_forget(newfd);
	}
	return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int r = get_dup3()(oldfd, newfd, flags);

	if (r >= 0) {
		emu_fdcache_forget(newfd);
		shim_hint_copy(oldfd, newfd);
		shim_poll_forget(newfd);
	}
	return r;
}
