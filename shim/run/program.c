/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * What PROGRAM is, before it runs: the file execvp() will run, whether it (or a script's
 * interpreter, as deep as the kernel follows them) runs without the dynamic loader, the ELF class
 * and machine that will run (so a preload of another architecture is caught before ld.so drops
 * it), and whether it is set-user-ID, set-group-ID or has file capabilities (under no_new_privs it
 * runs without them). Nothing here stops anything: execvp() has the last word on the file.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "run.h"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file execvp() would run for `name`, or NULL when it would find none. Only used to inspect
 * the program, so an error here never stops us: execvp() has the last word. */
static char *resolve_program(const char *name)
{
	const char *p = getenv("PATH");

	if (strchr(name, '/'))
		return strdup(name);
	if (!p)
		p = "/bin:/usr/bin"; /* glibc execvp's default */
	for (;;) {
		const char *end = strchrnul(p, ':');
		char *cand;

		/* an empty element is the current directory, as execvp reads it */
		if (asprintf(&cand, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", name) < 0)
			return NULL;
		if (is_file(cand) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

/* Follows a script's #! line to the ELF file that runs; fills its class and machine, and sets
 * *is_static when it has no program interpreter (LD_PRELOAD has no effect on it). Returns that
 * file's path, or NULL when it is not an ELF file we can read. */
static char *elf_that_runs(const char *path, int depth, struct run_program *p, bool *is_static)
{
	unsigned char hdr[256];
	unsigned type = ET_NONE, phentsize = 0, phnum = 0, machine = 0;
	uint64_t phoff = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = pread(fd, hdr, sizeof(hdr) - 1, 0);
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!' && depth < 4) {
		char *s = (char *)hdr + 2, *interp;

		close(fd);
		hdr[n] = 0;
		s += strspn(s, " \t");
		interp = s;
		s += strcspn(s, " \t\n");
		*s = 0;
		return *interp ? elf_that_runs(interp, depth + 1, p, is_static) : NULL;
	}
	if (n < (ssize_t)EI_NIDENT || memcmp(hdr, ELFMAG, SELFMAG)) {
		close(fd);
		return NULL;
	}
	if (hdr[EI_CLASS] == ELFCLASS64 && n >= (ssize_t)sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr eh;

		memcpy(&eh, hdr, sizeof(eh));
		type = eh.e_type, phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
		machine = eh.e_machine;
	} else if (hdr[EI_CLASS] == ELFCLASS32 && n >= (ssize_t)sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr eh;

		memcpy(&eh, hdr, sizeof(eh));
		type = eh.e_type, phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
		machine = eh.e_machine;
	}
	/* a foreign byte order is some emulator's business (binfmt_misc), not ours */
	*is_static = false;
	if ((type == ET_EXEC || type == ET_DYN) && phentsize >= sizeof(uint32_t) &&
	    hdr[EI_DATA] == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB)) {
		p->cls = hdr[EI_CLASS];
		p->machine = (int)machine;
		*is_static = true;
		/* p_type is the first word of a program header in both classes */
		for (unsigned i = 0; i < phnum && *is_static; i++) {
			uint32_t p_type;

			/* an unreadable header: say nothing rather than guess */
			if (pread(fd, &p_type, sizeof(p_type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
			    (ssize_t)sizeof(p_type) || p_type == PT_INTERP)
				*is_static = false;
		}
	}
	close(fd);
	return strdup(path);
}

void run_inspect_program(const char *name, struct run_program *p)
{
	struct stat st;
	bool is_static = false;
	char *elf;

	memset(p, 0, sizeof(*p));
	p->path = resolve_program(name);
	if (!p->path)
		return;
	elf = elf_that_runs(p->path, 0, p, &is_static);
	if (elf && is_static)
		p->static_elf = elf;
	else
		free(elf);
	if (stat(p->path, &st) == 0)
		p->setid = ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
			   ((st.st_mode & S_ISGID) && st.st_gid != getegid());
	p->fcaps = getxattr(p->path, "security.capability", NULL, 0) > 0;
}

void run_free_program(struct run_program *p)
{
	free(p->path);
	free(p->static_elf);
	memset(p, 0, sizeof(*p));
}
