/* SPDX-License-Identifier: MIT */
/*
 * What an fd is, as the kernel's procfs tells it: readlink of /proc/self/fd/N gives anon_inode:bpf-map
 * (or -prog, btf) for an emulated object, /proc/self/fdinfo/N shows the kernel's object lines, and with
 * BPFEMU_NR_CPUS the possible-CPU file shows that many CPUs, so libbpf sizes per-CPU buffers alike.
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
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

REAL(ssize_t, readlink, const char *, char *, size_t)
REAL(ssize_t, readlinkat, int, const char *, char *, size_t)
REAL(FILE *, fopen, const char *, const char *)

/* ---- what an fd is ---- */

/* "/proc/self/fd/N", "/proc/thread-self/fd/N", "/proc/<our pid>/fd/N" → N; kind is "fd" or "fdinfo" */
static int proc_fd_number(const char *path, const char *kind)
{
	const char *p;
	char *end;
	long v;
	size_t kl = strlen(kind);

	if (!opaque(path) || strncmp(path, "/proc/", 6))
		return -1;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
	} else {
		long pid = strtol(p, &end, 10);

		if (end == p || *end != '/' || pid != getpid())
			return -1;
		p = end + 1;
	}
	if (strncmp(p, kind, kl) || p[kl] != '/')
		return -1;
	p += kl + 1;
	v = strtol(p, &end, 10);
	if (end == p || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

static const char *anon_name(int fd)
{
	if (bpfemu_is_map_fd(fd))
		return "anon_inode:bpf-map";
	if (emu_is_prog_fd(fd))
		return "anon_inode:bpf-prog";
	if (emu_is_btf_fd(fd))
		return "anon_inode:btf";
	return NULL;
}

static ssize_t fake_link(const char *path, char *buf, size_t len, bool *handled)
{
	int fd = proc_fd_number(path, "fd");
	const char *name;
	size_t n;

	*handled = false;
	if (fd < 0)
		return 0;
	depth++;
	name = anon_name(fd);
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

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	bool handled;
	ssize_t r;

	if (!depth) {
		r = fake_link(path, buf, len, &handled);
		if (handled)
			return r;
	}
	return get_readlink()(path, buf, len);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	bool handled;
	ssize_t r;

	if (!depth && opaque(path) && path[0] == '/') {
		r = fake_link(path, buf, len, &handled);
		if (handled)
			return r;
	}
	return get_readlinkat()(dirfd, path, buf, len);
}

/* The text the kernel shows in /proc/self/fdinfo/N for a map or a BTF object, or NULL. Caller frees. */
static char *fdinfo_text(int fd, size_t *len)
{
	char head[512] = "", maps[512], line[256], path[64];
	unsigned long long mnt = 0, ino = 0;
	int fl, fdfl, n;
	FILE *real;
	char *out;

	depth++;
	n = emu_fdinfo(fd, maps, sizeof(maps));
	if (n < 0) {
		depth--;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	real = get_fopen()(path, "re");
	if (real) {
		while (fgets(line, sizeof(line), real)) {
			if (sscanf(line, "mnt_id: %llu", &mnt) == 1 || sscanf(line, "ino: %llu", &ino) == 1)
				continue;
		}
		fclose(real);
	}
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	depth--;
	/* the kernel's map and BTF files carry only the access mode and close-on-exec */
	snprintf(head, sizeof(head), "pos:\t0\nflags:\t0%o\nmnt_id:\t%llu\nino:\t%llu\n",
		 (unsigned)((fl & O_ACCMODE) | ((fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0)), mnt, ino);
	*len = strlen(head) + (size_t)n;
	out = malloc(*len + 1);
	if (out) {
		strcpy(out, head);
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

static int text_fd(const char *text)
{
	size_t len = strlen(text);
	int mfd = memfd_create("bpfemu-text", MFD_CLOEXEC);

	if (mfd >= 0 && (write(mfd, text, len) != (ssize_t)len || lseek(mfd, 0, SEEK_SET))) {
		close(mfd);
		mfd = -1;
	}
	return mfd;
}

static FILE *fake_cpus_file(const char *path)
{
	char buf[32];
	const char *t = possible_cpus_text(path, buf, sizeof(buf));

	return t ? text_file(t) : NULL;
}

static int fake_cpus_fd(const char *path)
{
	char buf[32];
	const char *t = possible_cpus_text(path, buf, sizeof(buf));

	return t ? text_fd(t) : -1;
}

static FILE *fake_fdinfo_file(const char *path)
{
	int fd = proc_fd_number(path, "fdinfo");
	size_t len;
	char *text;
	FILE *f;

	if (fd < 0)
		return NULL;
	text = fdinfo_text(fd, &len);
	if (!text)
		return NULL;
	f = text_file(text);
	free(text);
	if (f && shim_debug)
		shim_log("fopen(\"%s\"): emulated map fdinfo", path);
	return f;
}

static int fake_fdinfo_fd(const char *path)
{
	int fd = proc_fd_number(path, "fdinfo"), mfd;
	size_t len;
	char *text;

	if (fd < 0)
		return -1;
	text = fdinfo_text(fd, &len);
	if (!text)
		return -1;
	mfd = text_fd(text);
	free(text);
	if (mfd >= 0 && shim_debug)
		shim_log("open(\"%s\"): emulated map fdinfo", path);
	return mfd;
}

int shim_fake_open(const char *path)
{
	int fd;

	if ((fd = fake_fdinfo_fd(path)) >= 0 || (fd = fake_cpus_fd(path)) >= 0)
		return fd;
	return -1;
}

FILE *shim_fake_fopen(const char *path)
{
	FILE *f;

	if ((f = fake_fdinfo_file(path)) || (f = fake_cpus_file(path)))
		return f;
	return NULL;
}
