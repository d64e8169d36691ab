/* SPDX-License-Identifier: MIT */
/*
 * What the preload answers around bpf() (shim/bpffs.c, shim/procfs.c), answered for a supervised
 * program: paths on /sys/fs/bpf redirected to the emulated bpffs, statfs there reporting bpffs,
 * mount -t bpf succeeding, a pinned object refusing open() with EIO; readlink of /proc/self/fd/N
 * naming anon_inode:bpf-map; /proc/self/fdinfo/N with the kernel's map lines; the possible-CPU
 * file under BPFEMU_NR_CPUS. (mmap() of a map fd: mapvals.c.)
 *
 * A call is ours only by its path (absolute, or relative to the program's current directory) or
 * its fd. The supervisor then makes the call itself, on the translated path, with the program's
 * umask and our (its) credentials, and writes the results into the program's memory with the
 * kernel's fault rules; a new fd goes in with ADDFD. A call that is not ours is continued: the
 * kernel runs it as the program made it. That answer is never a decision a race can exploit: a
 * program that rewrites the path between our read and the kernel's only gets the kernel's answer
 * for a path of its choosing, which it could have asked for directly (seccomp_unotify(2)'s caveat
 * concerns supervisors that enforce a policy; this one only adds answers).
 *
 * Not possible here, and why (README): chdir() into /sys/fs/bpf (a supervisor cannot change
 * another process's directory); paths relative to a directory fd (the fd already names the real
 * directory, so they work, but are not translated); the legacy path calls of foreign ABIs (i386,
 * x32), left to the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

#define BPF_FS_MAGIC 0xcafe4a11

/* openat2()'s struct open_how, version 0 (<linux/openat2.h> is not on every build machine) */
struct open_how {
	uint64_t flags, mode, resolve;
};

enum kind { NOT_OURS, BPFFS, PROC_FD, PROC_FDINFO, CPUS };

struct upath {
	enum kind kind;
	int fd;               /* PROC_FD, PROC_FDINFO: the program's fd number */
	char abs[PATH_MAX];   /* the path made absolute */
	char real[PATH_MAX];  /* BPFFS: where it is */
};

#define ARG(c, i) ((c)->n->data.args[i])
#define NR(c) ((c)->n->data.nr)

/* "/proc/self/<what>/N", "/proc/thread-self/<what>/N", "/proc/<the caller's pid or tid>/<what>/N" */
static bool proc_fd_path(struct sv_call *c, const char *path, const char *what, int *fd)
{
	const char *p = path + 6;
	size_t wl = strlen(what);
	char *end;
	long v;

	if (strncmp(path, "/proc/", 6))
		return false;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
	} else {
		v = strtol(p, &end, 10);
		if (end == p || *end != '/' || (v != c->tid && v != sv_tgid(c)))
			return false;
		p = end + 1;
	}
	if (strncmp(p, what, wl) || p[wl] != '/')
		return false;
	p += wl + 1;
	v = strtol(p, &end, 10);
	if (end == p || *end || v < 0 || v > INT_MAX)
		return false;
	*fd = (int)v;
	return true;
}

/* Read the path argument at uptr (relative to dirfd) and say whether it is ours. A path the kernel
 * would refuse (a fault, too long, empty) is not: the kernel answers it. */
static enum kind classify(struct sv_call *c, int dirfd, uint64_t uptr, struct upath *p)
{
	char raw[PATH_MAX];
	long n = sv_read_string(c, uptr, raw, sizeof(raw));

	p->kind = NOT_OURS;
	if (n <= 0)
		return NOT_OURS;
	if (raw[0] == '/') {
		memcpy(p->abs, raw, (size_t)n + 1);
	} else {
		char cwd[PATH_MAX];

		/* relative to a directory fd: that directory is real, so is the path */
		if (dirfd != AT_FDCWD || sv_cwd(c, cwd, sizeof(cwd)))
			return NOT_OURS;
		if (snprintf(p->abs, sizeof(p->abs), "%s/%s", strcmp(cwd, "/") ? cwd : "", raw) >= (int)sizeof(p->abs))
			return NOT_OURS;
	}
	if (proc_fd_path(c, p->abs, "fd", &p->fd))
		p->kind = PROC_FD;
	else if (proc_fd_path(c, p->abs, "fdinfo", &p->fd))
		p->kind = PROC_FDINFO;
	else if (emu_bpffs_translate(p->abs, p->real, sizeof(p->real)) == 1)
		p->kind = BPFFS;
	else if (!strcmp(p->abs, "/sys/devices/system/cpu/possible") && secure_getenv("BPFEMU_NR_CPUS"))
		p->kind = CPUS;
	/* the mount point always exists, as /sys/fs/bpf does: emu_bpffs_translate() made it */
	if (p->kind == BPFFS) {
		if (sv_debug > 1)
			sv_log("[pid %d] path \"%s\" -> \"%s\"", (int)sv_tgid(c), p->abs, p->real);
	}
	return p->kind;
}

/* Answer with the result of a call we made: r is 0 or -1 with errno. */
static void reply_errno(struct sv_call *c, long r)
{
	if (r < 0)
		sv_fail(c, errno);
	else
		sv_reply(c, r);
}

/* Copy our result into the program's buffer, then answer 0 (or EFAULT, as the kernel's copy). */
static void reply_buf(struct sv_call *c, uint64_t ubuf, const void *buf, size_t len, int64_t val)
{
	if (emu_copy_to_user((void *)(uintptr_t)ubuf, buf, len))
		sv_fail(c, EFAULT);
	else
		sv_reply(c, val);
}

/* ---- open ---- */

/* A read-only fd of a text, as the kernel's proc and sysfs files are. */
static int text_fd(const char *text)
{
	char path[64];
	size_t len = strlen(text);
	int m = memfd_create("bpfemu-text", MFD_CLOEXEC), r;

	if (m < 0)
		return -1;
	if (write(m, text, len) != (ssize_t)len) {
		close(m);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	r = open(path, O_RDONLY | O_CLOEXEC);
	close(m);
	return r;
}

/* The text the kernel shows in /proc/PID/fdinfo/N for an emulated object of the program, in
 * buf; false if the fd is not one. */
static bool fdinfo_text(struct sv_call *c, int pfd, char *buf, size_t len)
{
	unsigned long long mnt = 0, ino = 0;
	unsigned flags = 0;
	char maps[768], line[256], path[64];
	int local = sv_getfd(c, pfd), n;
	FILE *real;

	if (local < 0)
		return false;
	n = emu_fdinfo(local, maps, sizeof(maps));
	close(local);
	if (n < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)c->tid, pfd);
	real = fopen(path, "re");
	if (real) {
		while (fgets(line, sizeof(line), real))
			if (sscanf(line, "mnt_id: %llu", &mnt) != 1 && sscanf(line, "ino: %llu", &ino) != 1)
				sscanf(line, "flags: %o", &flags);
		fclose(real);
	}
	/* the kernel's object files carry only the access mode and close-on-exec */
	snprintf(buf, len, "pos:\t0\nflags:\t0%o\nmnt_id:\t%llu\nino:\t%llu\n%s",
		 flags & (O_ACCMODE | O_CLOEXEC), mnt, ino, maps);
	return true;
}

static void answer_text(struct sv_call *c, const char *text, int flags, const char *what, const char *path)
{
	int fd = text_fd(text);

	if (fd < 0) {
		sv_fail(c, errno);
		return;
	}
	if (sv_reply_fd(c, fd, flags & O_CLOEXEC) >= 0 && sv_debug)
		sv_log("[pid %d] open(\"%s\"): %s", (int)sv_tgid(c), path, what);
	close(fd);
}

void sv_open(struct sv_call *c)
{
	struct upath p;
	struct open_how how;
	int dirfd = AT_FDCWD, fd;
	uint64_t upath;
	mode_t old;
	struct stat st;
	char text[1024];

	memset(&how, 0, sizeof(how));
	if (NR(c) == SYS_openat) {
		dirfd = (int)ARG(c, 0), upath = ARG(c, 1), how.flags = (uint32_t)ARG(c, 2), how.mode = (uint32_t)ARG(c, 3);
#ifdef SYS_openat2
	} else if (NR(c) == SYS_openat2) {
		dirfd = (int)ARG(c, 0), upath = ARG(c, 1);
		/* only the version-0 struct; anything else is the kernel's to refuse or take */
		if (ARG(c, 3) != sizeof(how) || emu_copy_from_user(&how, (void *)(uintptr_t)ARG(c, 2), sizeof(how))) {
			sv_continue(c);
			return;
		}
#endif
#ifdef SYS_creat
	} else if (NR(c) == SYS_creat) {
		upath = ARG(c, 0), how.flags = O_CREAT | O_WRONLY | O_TRUNC, how.mode = (uint32_t)ARG(c, 1);
#endif
	} else { /* open */
		upath = ARG(c, 0), how.flags = (uint32_t)ARG(c, 1), how.mode = (uint32_t)ARG(c, 2);
	}
	switch (classify(c, dirfd, upath, &p)) {
	case PROC_FDINFO:
	case CPUS:
		/* a read-only file: anything but a plain read open is the kernel's to answer */
		if ((how.flags & O_ACCMODE) != O_RDONLY || (how.flags & (O_CREAT | O_TRUNC | O_DIRECTORY | O_PATH)) ||
		    how.resolve)
			break;
		if (p.kind == CPUS) {
			uint32_t n = emu_nr_cpus();

			snprintf(text, sizeof(text), n == 1 ? "0\n" : "0-%u\n", n - 1);
			answer_text(c, text, (int)how.flags, "BPFEMU_NR_CPUS possible CPUs", p.abs);
			return;
		}
		if (!fdinfo_text(c, p.fd, text, sizeof(text)))
			break;
		answer_text(c, text, (int)how.flags, "emulated object fdinfo", p.abs);
		return;
	case BPFFS:
		/* bpffs: a pinned object cannot be opened (EIO); directories can */
		if (!stat(p.real, &st) && S_ISREG(st.st_mode)) {
			sv_fail(c, EIO);
			return;
		}
		old = umask(sv_umask(c));
#ifdef SYS_openat2
		if (NR(c) == SYS_openat2)
			fd = (int)syscall(SYS_openat2, AT_FDCWD, p.real, &how, sizeof(how));
		else
#endif
			fd = openat(AT_FDCWD, p.real, (int)how.flags, (mode_t)how.mode);
		umask(old);
		if (fd < 0) {
			sv_fail(c, errno);
			return;
		}
		sv_reply_fd(c, fd, how.flags & O_CLOEXEC);
		close(fd);
		return;
	default:
		break;
	}
	sv_continue(c);
}

/* ---- stat, statfs ---- */

void sv_stat(struct sv_call *c)
{
	struct upath p;
	int dirfd = AT_FDCWD, flags = 0;
	uint64_t upath, ubuf;
	struct stat st;

#ifdef SYS_statx
	if (NR(c) == SYS_statx) {
		struct statx sx;

		if (classify(c, (int)ARG(c, 0), ARG(c, 1), &p) != BPFFS) {
			sv_continue(c);
			return;
		}
		if (statx(AT_FDCWD, p.real, (int)ARG(c, 2), (unsigned)ARG(c, 3), &sx))
			sv_fail(c, errno);
		else
			reply_buf(c, ARG(c, 4), &sx, sizeof(sx), 0);
		return;
	}
#endif
#ifdef SYS_newfstatat
	if (NR(c) == SYS_newfstatat) {
		dirfd = (int)ARG(c, 0), upath = ARG(c, 1), ubuf = ARG(c, 2), flags = (int)ARG(c, 3);
	} else
#endif
	{ /* stat, lstat */
		upath = ARG(c, 0), ubuf = ARG(c, 1);
#ifdef SYS_lstat
		if (NR(c) == SYS_lstat)
			flags = AT_SYMLINK_NOFOLLOW;
#endif
	}
	if (classify(c, dirfd, upath, &p) != BPFFS) {
		sv_continue(c);
		return;
	}
	if (fstatat(AT_FDCWD, p.real, &st, flags))
		sv_fail(c, errno);
	else
		reply_buf(c, ubuf, &st, sizeof(st), 0);
}

/* Whether an fd of ours names something in the emulated bpffs. */
static bool fd_on_bpffs(int fd)
{
	char link[64], target[PATH_MAX];
	const char *root = emu_bpffs_root();
	size_t rl = strlen(root);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || !rl)
		return false;
	target[n] = 0;
	return !strncmp(target, root, rl) && (target[rl] == '/' || !target[rl]);
}

void sv_statfs(struct sv_call *c)
{
	struct statfs sf;
	struct upath p;
	int r;

	if (NR(c) == SYS_fstatfs) {
		int local = sv_getfd(c, (int)ARG(c, 0));

		if (local < 0 || !fd_on_bpffs(local)) {
			if (local >= 0)
				close(local);
			sv_continue(c);
			return;
		}
		r = fstatfs(local, &sf);
		close(local);
		snprintf(p.abs, sizeof(p.abs), "fd %d", (int)ARG(c, 0));
	} else {
		if (classify(c, AT_FDCWD, ARG(c, 0), &p) != BPFFS) {
			sv_continue(c);
			return;
		}
		r = statfs(p.real, &sf);
	}
	if (r) {
		sv_fail(c, errno);
		return;
	}
	sf.f_type = BPF_FS_MAGIC;
	if (sv_debug)
		sv_log("[pid %d] statfs(\"%s\"): emulated bpffs", (int)sv_tgid(c), p.abs);
	reply_buf(c, ARG(c, 1), &sf, sizeof(sf), 0);
}

/* ---- readlink ---- */

void sv_readlink(struct sv_call *c)
{
	bool at = NR(c) == SYS_readlinkat;
	uint64_t ubuf = ARG(c, at ? 2 : 1);
	int size = (int)ARG(c, at ? 3 : 2);
	char target[PATH_MAX];
	const char *name = NULL;
	struct upath p;
	ssize_t n;

	/* a buffer of no size is the kernel's EINVAL, before it looks at the path */
	if (size <= 0) {
		sv_continue(c);
		return;
	}
	switch (classify(c, at ? (int)ARG(c, 0) : AT_FDCWD, ARG(c, at ? 1 : 0), &p)) {
	case PROC_FD: {
		int local = sv_getfd(c, p.fd);

		if (local >= 0) {
			if (bpfemu_is_map_fd(local))
				name = "anon_inode:bpf-map";
			else if (emu_is_prog_fd(local))
				name = "anon_inode:bpf-prog";
			close(local);
		}
		if (!name)
			break;
		n = (ssize_t)strlen(name);
		if (n > size)
			n = size;
		if (sv_debug)
			sv_log("[pid %d] readlink(\"%s\") = \"%s\" (emulated object)", (int)sv_tgid(c), p.abs, name);
		reply_buf(c, ubuf, name, (size_t)n, n);
		return;
	}
	case BPFFS:
		n = readlink(p.real, target, sizeof(target));
		if (n < 0) {
			sv_fail(c, errno);
			return;
		}
		if (n > size)
			n = size;
		reply_buf(c, ubuf, target, (size_t)n, n);
		return;
	default:
		break;
	}
	sv_continue(c);
}

/* ---- access, mkdir, unlink, rename, mount ---- */

void sv_access(struct sv_call *c)
{
	struct upath p;
	long r;

#ifdef SYS_access
	if (NR(c) == SYS_access) {
		if (classify(c, AT_FDCWD, ARG(c, 0), &p) != BPFFS)
			goto cont;
		reply_errno(c, syscall(SYS_faccessat, AT_FDCWD, p.real, (int)ARG(c, 1)));
		return;
	}
#endif
	if (classify(c, (int)ARG(c, 0), ARG(c, 1), &p) != BPFFS)
		goto cont;
#ifdef SYS_faccessat2
	if (NR(c) == SYS_faccessat2)
		r = syscall(SYS_faccessat2, AT_FDCWD, p.real, (int)ARG(c, 2), (int)ARG(c, 3));
	else
#endif
		r = syscall(SYS_faccessat, AT_FDCWD, p.real, (int)ARG(c, 2));
	reply_errno(c, r);
	return;
cont:
	sv_continue(c);
}

void sv_mkdir(struct sv_call *c)
{
	bool at = NR(c) == SYS_mkdirat;
	struct upath p;
	mode_t old;
	long r;

	if (classify(c, at ? (int)ARG(c, 0) : AT_FDCWD, ARG(c, at ? 1 : 0), &p) != BPFFS) {
		sv_continue(c);
		return;
	}
	old = umask(sv_umask(c));
	r = mkdir(p.real, (mode_t)ARG(c, at ? 2 : 1));
	umask(old);
	reply_errno(c, r);
}

void sv_unlink(struct sv_call *c)
{
	bool at = NR(c) == SYS_unlinkat;
	int flags = at ? (int)ARG(c, 2) : 0;
	struct upath p;

#ifdef SYS_rmdir
	if (NR(c) == SYS_rmdir)
		flags = AT_REMOVEDIR;
#endif
	if (classify(c, at ? (int)ARG(c, 0) : AT_FDCWD, ARG(c, at ? 1 : 0), &p) != BPFFS) {
		sv_continue(c);
		return;
	}
	reply_errno(c, unlinkat(AT_FDCWD, p.real, flags));
}

/* One end of a rename: on the bpffs (our path), absolute elsewhere, or relative to a directory fd
 * of the program's (taken into *dfd, which the caller closes). */
static int rename_end(struct sv_call *c, int dirfd, uint64_t uptr, struct upath *p, int *dfd, char *raw)
{
	*dfd = AT_FDCWD;
	if (classify(c, dirfd, uptr, p) == BPFFS)
		return 1;
	if (sv_read_string(c, uptr, raw, PATH_MAX) <= 0)
		return -1;
	if (raw[0] == '/' || dirfd == AT_FDCWD) {
		snprintf(p->real, sizeof(p->real), "%s", raw[0] == '/' ? raw : p->abs);
		return 0;
	}
	*dfd = sv_getfd(c, dirfd);
	if (*dfd < 0)
		return -1;
	snprintf(p->real, sizeof(p->real), "%s", raw);
	return 0;
}

void sv_rename(struct sv_call *c)
{
	static struct upath from, to; /* two large paths; the supervisor answers one call at a time */
	char raw[PATH_MAX];
	int fd1 = AT_FDCWD, fd2 = AT_FDCWD, on1, on2;
	unsigned flags = 0;
	long r;

	if (NR(c) == SYS_renameat2 || (
#ifdef SYS_renameat
	    NR(c) == SYS_renameat
#else
	    false
#endif
	    )) {
		if (NR(c) == SYS_renameat2)
			flags = (unsigned)ARG(c, 4);
		on1 = rename_end(c, (int)ARG(c, 0), ARG(c, 1), &from, &fd1, raw);
		on2 = on1 < 0 ? -1 : rename_end(c, (int)ARG(c, 2), ARG(c, 3), &to, &fd2, raw);
	} else { /* rename */
		on1 = rename_end(c, AT_FDCWD, ARG(c, 0), &from, &fd1, raw);
		on2 = on1 < 0 ? -1 : rename_end(c, AT_FDCWD, ARG(c, 1), &to, &fd2, raw);
	}
	if (on1 < 0 || on2 < 0 || (!on1 && !on2)) {
		sv_continue(c);
	} else {
		r = syscall(SYS_renameat2, fd1, from.real, fd2, to.real, flags);
		reply_errno(c, r);
	}
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
}

void sv_mount(struct sv_call *c)
{
	char type[64];
	struct upath p;

	/* mounting bpffs needs privileges; the emulated one is always mounted */
	if (!ARG(c, 2) || sv_read_string(c, ARG(c, 2), type, sizeof(type)) < 0 || strcmp(type, "bpf") ||
	    classify(c, AT_FDCWD, ARG(c, 1), &p) != BPFFS) {
		sv_continue(c);
		return;
	}
	if (sv_debug)
		sv_log("[pid %d] mount(\"%s\", type bpf): the emulated bpffs is always mounted", (int)sv_tgid(c), p.abs);
	sv_reply(c, 0);
}
