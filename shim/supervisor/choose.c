/* SPDX-License-Identifier: MIT */
/*
 * Which way a program's bpf() calls can be reached. The preload works through the dynamic linker
 * and glibc's syscall(): a program without a program interpreter (statically linked: glibc -static,
 * musl, Go without cgo) never loads it, and a Go program (cgo or not) makes its system calls from
 * its own runtime, past libc. Both need the supervisor. A Go binary is known by its build-info
 * section (.go.buildinfo, every Go since 1.13), else by the Go build-id note (ELF note owner "Go").
 * A script is judged by its interpreter, followed as deep as the kernel follows them.
 */
#define _GNU_SOURCE
#include "supervisor.h" /* before <elf.h>, whose AT_* auxv macros would rename bpf_uapi.h's AT_* */

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct elf_view {
	int fd;
	bool is64;
	uint64_t phoff, shoff;
	unsigned phentsize, phnum, shentsize, shnum, shstrndx;
};

static bool rd(int fd, void *buf, size_t n, uint64_t off)
{
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

/* The program header's type and, for notes, its offset and size. */
static bool phdr(const struct elf_view *e, unsigned i, uint32_t *type, uint64_t *off, uint64_t *size)
{
	uint64_t at = e->phoff + (uint64_t)i * e->phentsize;

	if (e->is64) {
		Elf64_Phdr p;

		if (e->phentsize < sizeof(p) || !rd(e->fd, &p, sizeof(p), at))
			return false;
		*type = p.p_type, *off = p.p_offset, *size = p.p_filesz;
	} else {
		Elf32_Phdr p;

		if (e->phentsize < sizeof(p) || !rd(e->fd, &p, sizeof(p), at))
			return false;
		*type = p.p_type, *off = p.p_offset, *size = p.p_filesz;
	}
	return true;
}

static bool shdr(const struct elf_view *e, unsigned i, uint32_t *name, uint64_t *off, uint64_t *size)
{
	uint64_t at = e->shoff + (uint64_t)i * e->shentsize;

	if (e->is64) {
		Elf64_Shdr s;

		if (e->shentsize < sizeof(s) || !rd(e->fd, &s, sizeof(s), at))
			return false;
		*name = s.sh_name, *off = s.sh_offset, *size = s.sh_size;
	} else {
		Elf32_Shdr s;

		if (e->shentsize < sizeof(s) || !rd(e->fd, &s, sizeof(s), at))
			return false;
		*name = s.sh_name, *off = s.sh_offset, *size = s.sh_size;
	}
	return true;
}

static bool has_go_section(const struct elf_view *e)
{
	uint64_t stroff, strsize, off, size;
	uint32_t name;
	char s[16];

	if (!e->shoff || e->shstrndx >= e->shnum || e->shnum > 4096 ||
	    !shdr(e, e->shstrndx, &name, &stroff, &strsize))
		return false;
	for (unsigned i = 0; i < e->shnum; i++) {
		if (!shdr(e, i, &name, &off, &size) || name >= strsize)
			continue;
		memset(s, 0, sizeof(s));
		if (pread(e->fd, s, sizeof(s) - 1, (off_t)(stroff + name)) > 0 && !strcmp(s, ".go.buildinfo"))
			return true;
	}
	return false;
}

/* A PT_NOTE segment holding a note owned by "Go" (the Go build id). */
static bool has_go_note(const struct elf_view *e, uint64_t off, uint64_t size)
{
	unsigned char buf[4096];
	uint64_t at = 0;

	if (size > sizeof(buf))
		size = sizeof(buf);
	if (!rd(e->fd, buf, (size_t)size, off))
		return false;
	while (at + 12 <= size) {
		uint32_t namesz, descsz;

		memcpy(&namesz, buf + at, 4);
		memcpy(&descsz, buf + at + 4, 4);
		if (namesz == 3 && at + 12 + 3 <= size && !memcmp(buf + at + 12, "Go", 3))
			return true;
		at += 12 + ((namesz + 3ull) & ~3ull) + ((descsz + 3ull) & ~3ull);
	}
	return false;
}

/* 1 static, 2 Go, 0 neither (or not an ELF file of this machine's byte order) */
static int inspect_elf(int fd)
{
	unsigned char id[EI_NIDENT];
	struct elf_view e = { .fd = fd };
	bool interp = false, go_note = false;

	if (!rd(fd, id, sizeof(id), 0) || memcmp(id, ELFMAG, SELFMAG) ||
	    id[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
		return 0;
	if (id[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr h;

		if (!rd(fd, &h, sizeof(h), 0) || (h.e_type != ET_EXEC && h.e_type != ET_DYN))
			return 0;
		e.is64 = true, e.phoff = h.e_phoff, e.phentsize = h.e_phentsize, e.phnum = h.e_phnum;
		e.shoff = h.e_shoff, e.shentsize = h.e_shentsize, e.shnum = h.e_shnum, e.shstrndx = h.e_shstrndx;
	} else if (id[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr h;

		if (!rd(fd, &h, sizeof(h), 0) || (h.e_type != ET_EXEC && h.e_type != ET_DYN))
			return 0;
		e.phoff = h.e_phoff, e.phentsize = h.e_phentsize, e.phnum = h.e_phnum;
		e.shoff = h.e_shoff, e.shentsize = h.e_shentsize, e.shnum = h.e_shnum, e.shstrndx = h.e_shstrndx;
	} else {
		return 0;
	}
	for (unsigned i = 0; i < e.phnum && i < 256; i++) {
		uint64_t off, size;
		uint32_t type;

		/* an unreadable header: say nothing rather than guess */
		if (!phdr(&e, i, &type, &off, &size))
			return 0;
		if (type == PT_INTERP)
			interp = true;
		else if (type == PT_NOTE && !go_note)
			go_note = has_go_note(&e, off, size);
	}
	if (go_note || has_go_section(&e))
		return 2;
	return interp ? 0 : 1;
}

/* The file execvp() would run for name, or NULL. */
static char *resolve_program(const char *name)
{
	const char *p = getenv("PATH");
	struct stat st;

	if (strchr(name, '/'))
		return strdup(name);
	if (!p)
		p = "/bin:/usr/bin"; /* glibc execvp's default */
	for (;;) {
		const char *end = strchrnul(p, ':');
		char *cand;

		if (asprintf(&cand, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", name) < 0)
			return NULL;
		if (!stat(cand, &st) && S_ISREG(st.st_mode) && !access(cand, X_OK))
			return cand;
		free(cand);
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

static enum sv_mode choose_file(const char *path, int depth, char *why, size_t len)
{
	char hdr[256];
	enum sv_mode m = SV_MODE_PRELOAD;
	int fd = open(path, O_RDONLY | O_CLOEXEC), kind;
	ssize_t n;

	if (fd < 0)
		return SV_MODE_PRELOAD;
	n = pread(fd, hdr, sizeof(hdr) - 1, 0);
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!' && depth < 4) {
		char *p = hdr + 2, *interp;

		close(fd);
		hdr[n] = 0;
		p += strspn(p, " \t");
		interp = p;
		p += strcspn(p, " \t\n");
		*p = 0;
		return *interp ? choose_file(interp, depth + 1, why, len) : SV_MODE_PRELOAD;
	}
	kind = inspect_elf(fd);
	close(fd);
	if (kind) {
		m = SV_MODE_SECCOMP;
		snprintf(why, len, "%s %s", path, kind == 2 ? "is a Go program" : "is statically linked");
	} else {
		snprintf(why, len, "%s is dynamically linked", path);
	}
	return m;
}

enum sv_mode sv_choose_mode(const char *prog, char *why, size_t len)
{
	char *path = resolve_program(prog);
	enum sv_mode m;

	snprintf(why, len, "%s not found", prog);
	if (!path)
		return SV_MODE_PRELOAD;
	m = choose_file(path, 0, why, len);
	free(path);
	return m;
}
