/* SPDX-License-Identifier: MIT */
/*
 * The supervised program's memory and fds, for one notification.
 *
 * Memory: the emulator's second uaccess backend (emu/uaccess/uaccess.h), on process_vm_readv and
 * process_vm_writev. They respect the program's page protections as the kernel's own copies do (a
 * read-only page refuses a write, a PROT_NONE page a read) and stop at the first page that
 * refuses, having copied every byte before it: exactly copy_to_user's rule, since a fault can only
 * happen at a page boundary. (/proc/PID/mem would not do: it writes through read-only mappings,
 * FOLL_FORCE.) The range checks against the top of user space are the uaccess layer's.
 *
 * Fds: the program's fd N becomes one of ours with pidfd_getfd (the same open file description, so
 * the access mode and status flags are the program's), through a pidfd of the calling thread (its
 * own fd table, should it have unshared one). A pidfd is checked against the notification after it
 * is opened, so it names the thread that made the call and not a later one that took its id; it
 * is kept for the thread's next calls (see pidfds[] below).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "supervisor.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd of a thread, not only of a process */
#endif

/* A program that made itself non-dumpable (PR_SET_DUMPABLE 0, or exec of an unreadable binary)
 * refuses the ptrace access process_vm_* and pidfd_getfd need: its calls then fail, and the user
 * is told why once. */
static void refused(const struct sv_call *c, int err)
{
	static bool said;

	if (err == EPERM && !__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		sv_log("process %d refuses the supervisor's access to its memory and fds (it is not dumpable, "
		       "PR_SET_DUMPABLE): its bpf() calls fail", (int)c->tid);
}

/* n bytes whole, or -EFAULT */
static int mem_read(void *ctx, void *dst, uint64_t src, size_t n)
{
	const struct sv_call *c = ctx;
	char *d = dst;

	while (n) {
		struct iovec l = { d, n }, r = { (void *)(uintptr_t)src, n };
		ssize_t got = process_vm_readv(c->tid, &l, 1, &r, 1, 0);

		if (got <= 0) {
			refused(c, errno);
			return -EFAULT;
		}
		d += got;
		src += (uint64_t)got;
		n -= (size_t)got;
	}
	return 0;
}

/* as copy_to_user: every byte before a fault written; 0 or -EFAULT */
static int mem_write(void *ctx, uint64_t dst, const void *src, size_t n)
{
	const struct sv_call *c = ctx;
	const char *s = src;

	while (n) {
		struct iovec l = { (void *)s, n }, r = { (void *)(uintptr_t)dst, n };
		ssize_t put = process_vm_writev(c->tid, &l, 1, &r, 1, 0);

		if (put <= 0)
			return EMU_FAULT("superv-short-write") ? 0 : -EFAULT;
		s += put;
		dst += (uint64_t)put;
		n -= (size_t)put;
	}
	return 0;
}

/* The spans written in order by as few process_vm_writev calls as IOV_MAX allows; the bytes
 * written, which stop at the first page that refuses (every span after it untouched). */
static size_t mem_write_spans(void *ctx, const void *src, size_t n, const struct emu_uspan *spans, size_t nspans)
{
	const struct sv_call *c = ctx;
	struct iovec r[IOV_MAX];
	size_t done = 0;

	(void)n;
	while (nspans) {
		size_t k = nspans < IOV_MAX ? nspans : IOV_MAX, want = 0;
		struct iovec l;
		ssize_t put;

		for (size_t i = 0; i < k; i++) {
			r[i].iov_base = (void *)(uintptr_t)spans[i].addr;
			r[i].iov_len = spans[i].len;
			want += spans[i].len;
		}
		l.iov_base = (char *)src + done;
		l.iov_len = want;
		put = process_vm_writev(c->tid, &l, 1, r, (unsigned long)k, 0);
		if (put <= 0)
			return done;
		done += (size_t)put;
		if ((size_t)put < want)
			return done;
		spans += k;
		nspans -= k;
	}
	return done;
}

/* Whether a write to addr would not fault, without writing: the protection of the mapping that
 * holds it, from /proc/TID/maps (only differential mode asks). */
static bool mem_writable(void *ctx, uint64_t addr)
{
	const struct sv_call *c = ctx;
	char path[64], line[512];
	bool w = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)c->tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perm[5];

		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perm) == 3 && addr >= lo && addr < hi) {
			w = perm[1] == 'w';
			break;
		}
	}
	fclose(f);
	return w;
}

/* The CPU the calling thread last ran on: field 39 ("processor") of /proc/TID/stat, counted
 * after the command name's closing parenthesis (the name may hold spaces and parentheses). The
 * thread waits in its system call while we answer, so it cannot change: read once per call (an
 * LRU batch asks once per insert). */
static int cpu_hook(void *ctx)
{
	struct sv_call *c = ctx;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field = 2, cpu = -1;

	if (c->cpu != SV_CPU_UNREAD)
		return c->cpu;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (p++; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (field == 39 && sscanf(p, "%d", &cpu) != 1)
		cpu = -1;
	c->cpu = cpu;
	return cpu;
}

static int getfd_hook(void *ctx, int fd)
{
	return sv_getfd(ctx, fd);
}

void sv_mem_init(struct sv_call *c)
{
	c->mem.read = mem_read;
	c->mem.write = mem_write;
	c->mem.writable = mem_writable;
	c->mem.write_spans = mem_write_spans;
	c->mem.getfd = getfd_hook;
	c->mem.cpu = cpu_hook;
	c->cpu = SV_CPU_UNREAD;
	snprintf(c->fd_dir, sizeof(c->fd_dir), "/proc/%d/fd", (int)c->tid);
	c->mem.fd_dir = c->fd_dir;
	c->mem.ctx = c;
	/* the same kernel: its access_ok() limit is the one the emulator measured in this process
	 * (on x86-64 it does not depend on the task's ABI either) */
	c->mem.top = emu_user_top;
}

/* A line "Name:\tvalue" of /proc/TID/status, or -1 */
static long status_field(pid_t tid, const char *name, int base)
{
	char path[64], line[256];
	size_t nl = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			v = strtol(line + nl + 1, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

pid_t sv_tgid(struct sv_call *c)
{
	if (!c->tgid) {
		long v = status_field(c->tid, "Tgid", 10);

		c->tgid = v > 0 ? (pid_t)v : c->tid;
	}
	return c->tgid;
}

mode_t sv_umask(struct sv_call *c)
{
	long v = status_field(c->tid, "Umask", 8);

	return v >= 0 ? (mode_t)v : 022;
}

int sv_cwd(struct sv_call *c, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)c->tid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = 0;
	return 0;
}

static bool notif_alive(const struct sv_call *c)
{
	uint64_t id = ((const struct seccomp_notif *)c->n)->id;

	return ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/*
 * pidfds of the threads that called, kept between calls (a call that needs one fd costs one
 * pidfd_getfd, not an open, a check and a close around it). A kept pidfd is trusted only when it
 * works: if it answers at all, its thread is alive, and a live thread with the caller's id is the
 * caller (ids are unique among live threads, and a pidfd's thread keeps its id until it is
 * reaped). One that fails (EBADF: the thread exited and has no fd table, ESRCH: reaped) is
 * replaced by a fresh pidfd, checked against the notification, whose answer is authoritative.
 */
#define PIDFD_SLOTS 64
static struct {
	pid_t tid;
	int fd;
} pidfds[PIDFD_SLOTS];

static int fresh_pidfd(struct sv_call *c)
{
	unsigned slot = (unsigned)c->tid % PIDFD_SLOTS;
	int p = (int)syscall(SYS_pidfd_open, c->tid, PIDFD_THREAD);

	/* before 6.9 a pidfd names a process: its fd table is every thread's but one that unshared it */
	if (p < 0 && errno == EINVAL)
		p = (int)syscall(SYS_pidfd_open, sv_tgid(c), 0);
	if (p < 0)
		return -errno;
	/* the thread may have died and its id been reused before we opened it */
	if (!notif_alive(c)) {
		close(p);
		return -ESRCH;
	}
	if (pidfds[slot].tid && pidfds[slot].fd >= 0)
		close(pidfds[slot].fd);
	pidfds[slot].tid = c->tid;
	pidfds[slot].fd = p;
	return p;
}

int sv_getfd(struct sv_call *c, int fd)
{
	unsigned slot = (unsigned)c->tid % PIDFD_SLOTS;
	int l;

	if (fd < 0)
		return -EBADF;
	if (c->pidfd < 0 && pidfds[slot].tid == c->tid && pidfds[slot].fd >= 0) {
		l = (int)syscall(SYS_pidfd_getfd, pidfds[slot].fd, fd, 0);
		if (l >= 0 || (errno != EBADF && errno != ESRCH))
			return l < 0 ? -errno : l;
		/* a bad fd, or a kept pidfd of a thread gone: ask a fresh one */
	}
	if (c->pidfd < 0) {
		c->pidfd = fresh_pidfd(c);
		if (c->pidfd < 0) {
			int err = c->pidfd;

			c->pidfd = -1;
			return err;
		}
	}
	l = (int)syscall(SYS_pidfd_getfd, c->pidfd, fd, 0);
	if (l < 0)
		refused(c, errno);
	return l < 0 ? -errno : l;
}

void sv_call_done(struct sv_call *c)
{
	c->pidfd = -1; /* kept in pidfds[] */
}

long sv_read_string(struct sv_call *c, uint64_t addr, char *buf, size_t len)
{
	size_t i = 0;

	(void)c; /* read through the uaccess layer, whose backend is this call's memory */
	/* a page at a time: bytes past the NUL may be unmapped */
	while (i < len) {
		size_t chunk = EMU_PAGE_SIZE - (size_t)((addr + i) & (EMU_PAGE_SIZE - 1));
		char *nul;

		if (chunk > len - i)
			chunk = len - i;
		if (emu_copy_from_user(buf + i, (const void *)(uintptr_t)(addr + i), chunk))
			return -EFAULT;
		nul = memchr(buf + i, 0, chunk);
		if (nul)
			return nul - buf;
		i += chunk;
	}
	return -ENAMETOOLONG;
}
