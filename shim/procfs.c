/* SPDX-License-Identifier: MIT */
/*
 * What an fd is, as the kernel's procfs tells it: readlink of an fd link gives anon_inode:bpf-map (or
 * bpf-prog, btf, bpf-stats) for an emulated object, opening it is ENXIO (an anonymous inode cannot
 * be opened again), its fdinfo shows the kernel's lines (flags as F_SETFL left them, the anonymous
 * inode's mount and inode, then the object's lines), and with BPFEMU_NR_CPUS the possible-CPU file
 * shows that many CPUs, so libbpf sizes per-CPU buffers alike.
 *
 * Every route to an fd's procfs entry is taken: /proc/self, /proc/thread-self, /proc/<pid>,
 * /proc/<pid>/task/<tid> and /proc/self/task/<tid>, and names relative to a directory fd (openat of
 * "3" in /proc/self/fdinfo) or to the working directory. Another process's fd is asked about
 * through a fresh open of its link, which works for a process of the same user; a reader that is not
 * under the preload sees the file behind it (README).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "preload.h"

REAL(ssize_t, readlink, const char *, char *, size_t)
REAL(ssize_t, readlinkat, int, const char *, char *, size_t)
REAL(FILE *, fopen, const char *, const char *)
REAL(int, open, const char *, int, ...)
REAL(int, fstat, int, struct stat *)

/* ---- which fd a procfs path names ---- */

struct proc_fd {
	char prefix[PATH_MAX]; /* "/proc/<...>/", ending where "fd" or "fdinfo" starts */
	int fd;
	bool own; /* an fd of this process: asked about directly */
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* a number path component at *p ending in '/': its value, p moved past the '/'; -1 if none */
static long number(const char **p)
{
	char *end;
	long v;

	if (**p < '0' || **p > '9')
		return -1;
	v = strtol(*p, &end, 10);
	if (*end != '/' || v < 0 || v > INT_MAX)
		return -1;
	*p = end + 1;
	return v;
}

/* "/proc/{self,thread-self,<pid>}[/task/<tid>]/<kind>/N" */
static bool parse_proc_fd(const char *path, const char *kind, struct proc_fd *out)
{
	const char *p;
	size_t kl = strlen(kind);
	long v;

	if (!opaque(path) || strncmp(path, "/proc/", 6))
		return false;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
		out->own = true;
	} else if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
		out->own = true;
		goto kind;
	} else {
		v = number(&p);
		if (v < 0)
			return false;
		out->own = v == getpid();
	}
	if (!strncmp(p, "task/", 5)) {
		p += 5;
		if (number(&p) < 0)
			return false;
	}
kind:
	if (strncmp(p, kind, kl) || p[kl] != '/' || !all_digits(p + kl + 1))
		return false;
	v = strtol(p + kl + 1, NULL, 10);
	if (v > INT_MAX || (size_t)(p - path) >= sizeof(out->prefix))
		return false;
	memcpy(out->prefix, path, (size_t)(p - path));
	out->prefix[p - path] = 0;
	out->fd = (int)v;
	return true;
}

/* A name relative to dirfd (AT_FDCWD: the working directory) that is only a number: the absolute
 * path it names, for the routes above; false for anything else (asks nothing). */
static bool absolute_of(int dirfd, const char *name, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	if (!opaque(name) || !all_digits(name))
		return false;
	if (dirfd == AT_FDCWD) {
		if (!getcwd(buf, len))
			return false;
		n = (ssize_t)strlen(buf);
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = get_readlink()(link, buf, len - 1);
		if (n <= 0)
			return false;
	}
	if ((size_t)n + 1 + strlen(name) + 1 > len || strncmp(buf, "/proc/", 6))
		return false;
	buf[n] = '/';
	strcpy(buf + n + 1, name);
	return true;
}

/* An fd of this process naming what q names: q->fd itself, or a fresh read-only open of another
 * process's link (closed with put_fd). -1 if it cannot be had. */
static int get_fd(const struct proc_fd *q)
{
	char path[PATH_MAX + 32];

	if (q->own)
		return q->fd;
	snprintf(path, sizeof(path), "%sfd/%d", q->prefix, q->fd);
	return get_open()(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
}

static void put_fd(const struct proc_fd *q, int fd)
{
	if (!q->own && fd >= 0)
		close(fd);
}

/* What kind of object fd names (EMU_OBJ_*), 0 if none. */
static int kind_of(int fd)
{
	struct stat st;

	if (fd < 0 || get_fstat()(fd, &st))
		return EMU_OBJ_NONE;
	return emu_fd_object_kind(fd, &st);
}

static const char *anon_name(int kind)
{
	switch (kind) {
	case EMU_OBJ_MAP: return "anon_inode:bpf-map";
	case EMU_OBJ_PROG: return "anon_inode:bpf-prog";
	case EMU_OBJ_BTF: return "anon_inode:btf";
	case EMU_OBJ_STATS: return "anon_inode:bpf-stats";
	default: return NULL;
	}
}

/* ---- readlink of an fd link ---- */

static ssize_t fake_link(const char *path, char *buf, size_t len, bool *handled)
{
	struct proc_fd q;
	const char *name;
	size_t n;
	int fd;

	*handled = false;
	if (!parse_proc_fd(path, "fd", &q))
		return 0;
	depth++;
	fd = get_fd(&q);
	name = anon_name(kind_of(fd));
	/* an O_PATH fd of a pin names the pin (the real link, its path turned back to /sys/fs/bpf) */
	if (name && q.own && (fcntl(fd, F_GETFL) & O_PATH))
		name = NULL;
	put_fd(&q, fd);
	depth--;
	if (!name)
		return 0;
	*handled = true;
	n = strlen(name);
	if (n > len)
		n = len;
	memcpy(buf, name, n);
	if (shim_debug)
		shim_log("readlink(\"%s\") = \"%s\" (emulated object)", path, name);
	return (ssize_t)n;
}

/* A symlink on the emulated bpffs whose text points into the emulated root (bpffs_ops.c made it
 * so) reads as the /sys/fs/bpf path it was made with. */
static ssize_t bpffs_link_text(char *buf, size_t len, ssize_t n)
{
	const char *root;
	size_t rl;
	char tmp[PATH_MAX];

	if (n <= 0 || depth)
		return n;
	depth++;
	root = emu_bpffs_root();
	depth--;
	rl = strlen(root);
	if (!rl || (size_t)n < rl || strncmp(buf, root, rl) || ((size_t)n > rl && buf[rl] != '/'))
		return n;
	n = snprintf(tmp, sizeof(tmp), "/sys/fs/bpf%.*s", (int)((size_t)n - rl), buf + rl);
	if ((size_t)n > len)
		n = (ssize_t)len;
	memcpy(buf, tmp, (size_t)n);
	return n;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	char real[PATH_MAX];
	bool handled, on;
	ssize_t r;

	if (!depth) {
		r = fake_link(path, buf, len, &handled);
		if (handled)
			return r;
	}
	path = shim_bpffs_path(path, real, sizeof(real), &on);
	if (!path && on)
		return -1; /* the emulated root was refused */
	r = get_readlink()(path, buf, len);
	/* a symlink made on the emulated bpffs, or an fd link of a file there */
	return on || (opaque(path) && !strncmp(path, "/proc/", 6)) ? bpffs_link_text(buf, len, r) : r;
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	char abs[PATH_MAX];
	bool handled;
	ssize_t r;

	if (!depth && opaque(path)) {
		if (path[0] == '/')
			r = fake_link(path, buf, len, &handled);
		else if (absolute_of(dirfd, path, abs, sizeof(abs)))
			r = fake_link(abs, buf, len, &handled);
		else
			handled = false;
		if (handled)
			return r;
	}
	{
		char real[PATH_MAX];
		bool on;

		path = shim_bpffs_path_at(dirfd, path, real, sizeof(real), &on);
		if (!path && on)
			return -1;
		r = get_readlinkat()(dirfd, path, buf, len);
		return on || (opaque(path) && !strncmp(path, "/proc/", 6)) ? bpffs_link_text(buf, len, r) : r;
	}
}

/* ---- fdinfo ---- */

/* "maj:min:ino" as /proc/locks and fdinfo's lock lines name a file */
static void lock_id(char *buf, size_t len, dev_t dev, unsigned long long ino)
{
	snprintf(buf, len, "%02x:%02x:%llu", major(dev), minor(dev), ino);
}

void shim_anon_lock_id(char *buf, size_t len)
{
	struct stat st;

	shim_anon_stat(&st);
	lock_id(buf, len, st.st_dev, (unsigned long long)st.st_ino);
}

/* The kernel's fdinfo of an object: pos, the flags F_SETFL left (and close-on-exec), the anonymous
 * inode's mount and inode, the file's locks (named as the anonymous inode), then the object's own
 * lines. From the real fdinfo of our file: its flags and locks. Caller frees. */
static char *fdinfo_text(const struct proc_fd *q)
{
	char maps[512], line[512], path[PATH_MAX + 32], ours[64], anon_id[64], *out;
	unsigned long long mnt = 0, ino = 0;
	unsigned flags = 0, nlock = 0;
	size_t cap = 4096, used;
	struct stat st;
	FILE *real;
	int fd, n, kind = 0, own_flock = 0;

	depth++;
	fd = get_fd(q);
	n = fd >= 0 ? emu_fdinfo(fd, maps, sizeof(maps)) : -1;
	if (n >= 0 && get_fstat()(fd, &st))
		n = -1;
	if (n >= 0)
		kind = emu_fd_object_kind(fd, &st);
	put_fd(q, fd);
	if (n < 0 || !shim_anon_ids(&mnt, &ino) || !(out = malloc(cap))) {
		depth--;
		return NULL;
	}
	lock_id(ours, sizeof(ours), st.st_dev, (unsigned long long)st.st_ino);
	shim_anon_lock_id(anon_id, sizeof(anon_id));
	snprintf(path, sizeof(path), "%sfdinfo/%d", q->prefix, q->fd);
	real = get_fopen()(path, "re");
	used = 0;
	out[0] = 0;
	/* A stats fd's file holds the emulator's shared flock (core/prog_obj.c), which the kernel's
	 * has not: never shown. The program's own flock of it is recorded apart (fdops.c) and shown
	 * as the kernel shows a flock, first (flocks come before POSIX locks). */
	if (kind == EMU_OBJ_STATS && q->own)
		own_flock = shim_stats_flock(q->fd);
	if (own_flock)
		used += (size_t)snprintf(out, cap, "lock:\t%u: FLOCK  ADVISORY  %s %d %s 0 EOF\n", ++nlock,
					 own_flock == 2 ? "WRITE" : "READ", (int)getpid(), anon_id);
	if (real) {
		while (fgets(line, sizeof(line), real)) {
			unsigned nr;
			int skip = 0;

			if (sscanf(line, "flags: %o", &flags) == 1)
				continue;
			if (!strncmp(line, "lock:", 5) && sscanf(line, "lock: %u:%n", &nr, &skip) == 1 && skip &&
			    used + strlen(line) + 64 < cap) {
				/* "lock:\t1: FLOCK ADVISORY WRITE pid maj:min:ino start end", renumbered */
				const char *rest = line + skip;
				char *at = strstr(line, ours);

				if (kind == EMU_OBJ_STATS && at && strstr(rest, "FLOCK"))
					continue;
				used += (size_t)snprintf(out + used, cap - used, "lock:\t%u:", ++nlock);
				if (at) {
					used += (size_t)snprintf(out + used, cap - used, "%.*s%s%s", (int)(at - rest), rest,
								 anon_id, at + strlen(ours));
				} else {
					used += (size_t)snprintf(out + used, cap - used, "%s", rest);
				}
			}
		}
		fclose(real);
	}
	depth--;
	flags = (unsigned)shim_visible_flags((int)flags) | (flags & O_CLOEXEC);
	{
		char head[256];
		size_t hl = (size_t)snprintf(head, sizeof(head), "pos:\t0\nflags:\t0%o\nmnt_id:\t%llu\nino:\t%llu\n",
					     flags, mnt, ino);

		if (hl + used + (size_t)n + 1 > cap) {
			free(out);
			return NULL;
		}
		memmove(out + hl, out, used + 1);
		memcpy(out, head, hl);
		strcat(out, maps);
	}
	return out;
}

/*
 * With BPFEMU_NR_CPUS the program must see that many possible CPUs too: libbpf sizes per-CPU
 * value buffers from /sys/devices/system/cpu/possible, and a mismatch would overrun them.
 */
static const char *possible_cpus_text(const char *path, char *buf, size_t len)
{
	if (!opaque(path) || strcmp(path, "/sys/devices/system/cpu/possible") || !secure_getenv("BPFEMU_NR_CPUS"))
		return NULL;
	depth++;
	snprintf(buf, len, "0-%u\n", emu_nr_cpus() - 1);
	if (emu_nr_cpus() == 1)
		snprintf(buf, len, "0\n");
	depth--;
	if (shim_debug)
		shim_log("open(\"%s\"): %u possible CPUs (BPFEMU_NR_CPUS)", path, emu_nr_cpus());
	return buf;
}

static FILE *text_file(const char *text)
{
	size_t len = strlen(text);
	FILE *f;

	depth++;
	f = fmemopen(NULL, len + 1, "w+");
	if (f) {
		fwrite(text, 1, len, f);
		rewind(f);
	}
	depth--;
	return f;
}

static int text_fd(const char *text, int flags)
{
	size_t len = strlen(text);
	int mfd;

	depth++;
	mfd = memfd_create("bpfemu-text", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (mfd >= 0 && (write(mfd, text, len) != (ssize_t)len || lseek(mfd, 0, SEEK_SET))) {
		close(mfd);
		mfd = -1;
	}
	depth--;
	return mfd;
}

/* ---- opening them ---- */

/*
 * What open() of path must do when it is one of the files faked here: a new fd of the faked text
 * (an object's fdinfo, the possible CPUs), or -1 and errno (an object's fd link: ENXIO, as an
 * anonymous inode cannot be opened again). *handled is false for any other path.
 */
static int fake_open_abs(const char *path, int flags, bool *handled)
{
	struct proc_fd q;
	char buf[32], *text;
	const char *t;
	int fd = -1;

	*handled = false;
	if (parse_proc_fd(path, "fdinfo", &q)) {
		text = fdinfo_text(&q);
		if (!text)
			return -1;
		*handled = true;
		fd = text_fd(text, flags);
		free(text);
		if (shim_debug)
			shim_log("open(\"%s\"): emulated object's fdinfo", path);
		return fd;
	}
	if (!(flags & O_PATH) && parse_proc_fd(path, "fd", &q)) {
		int kind;

		depth++;
		fd = get_fd(&q);
		kind = kind_of(fd);
		put_fd(&q, fd);
		depth--;
		if (!kind)
			return -1;
		*handled = true;
		errno = ENXIO;
		return -1;
	}
	t = possible_cpus_text(path, buf, sizeof(buf));
	if (t) {
		*handled = true;
		return text_fd(t, flags);
	}
	return -1;
}

int shim_fake_open(int dirfd, const char *path, int flags, bool *handled)
{
	char abs[PATH_MAX];

	*handled = false;
	if (depth || !opaque(path))
		return -1;
	if (path[0] == '/')
		return fake_open_abs(path, flags, handled);
	if (absolute_of(dirfd, path, abs, sizeof(abs)))
		return fake_open_abs(abs, flags, handled);
	return -1;
}

FILE *shim_fake_fopen(const char *path, bool *handled)
{
	struct proc_fd q;
	char buf[32], *text;
	const char *t;
	FILE *f;

	*handled = false;
	if (depth || !opaque(path))
		return NULL;
	if (path[0] == '/' && parse_proc_fd(path, "fd", &q)) {
		/* an object's fd link cannot be opened (ENXIO), as for open() */
		fake_open_abs(path, O_RDONLY, handled);
		if (*handled)
			return NULL;
	}
	if (parse_proc_fd(path, "fdinfo", &q)) {
		text = fdinfo_text(&q);
		if (!text)
			return NULL;
		*handled = true;
		f = text_file(text);
		free(text);
		if (f && shim_debug)
			shim_log("fopen(\"%s\"): emulated object's fdinfo", path);
		return f;
	}
	t = possible_cpus_text(path, buf, sizeof(buf));
	if (!t)
		return NULL;
	*handled = true;
	return text_file(t);
}

int shim_proc_own_fd(const char *path)
{
	struct proc_fd q;

	if (depth || !opaque(path) || path[0] != '/' || !parse_proc_fd(path, "fd", &q) || !q.own)
		return -1;
	return q.fd;
}
