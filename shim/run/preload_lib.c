/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * The preload library: where it is (next to bpfemu-run, then the install directory), whether the
 * dynamic loader will take it (a readable shared object of PROGRAM's architecture: what ld.so
 * would otherwise refuse with one line and run PROGRAM without it), and LD_PRELOAD.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#ifndef BPFEMU_PRELOAD_RELDIR
#define BPFEMU_PRELOAD_RELDIR "../lib/bpfemu"
#endif
#ifndef BPFEMU_PRELOAD_INSTALL_DIR
#define BPFEMU_PRELOAD_INSTALL_DIR "/usr/local/lib/bpfemu"
#endif
#define PRELOAD_NAME "libbpfemu-preload.so"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	return strdup(buf);
}

/* The preload library as an absolute, canonical path, or NULL with the reason printed. */
char *run_find_preload(const char *requested, bool debug)
{
	char *dir, *cand[3] = { NULL, NULL, NULL };
	char *found = NULL;

	if (requested) {
		if (!*requested) {
			fprintf(stderr, "%s: the preload library path is empty\n", prog_name);
			return NULL;
		}
		found = realpath(requested, NULL);
		if (!found || !is_file(found)) {
			fprintf(stderr, "%s: preload library %s: %s\n", prog_name, requested,
				found ? "not a regular file" : strerror(errno));
			free(found);
			return NULL;
		}
		return found;
	}

	dir = exe_dir();
	if (dir) {
		/* build tree: bin/bpfemu-run beside lib/libbpfemu-preload.so */
		if (asprintf(&cand[0], "%s/../lib/" PRELOAD_NAME, dir) < 0)
			cand[0] = NULL;
		if (asprintf(&cand[1], "%s/" BPFEMU_PRELOAD_RELDIR "/" PRELOAD_NAME, dir) < 0)
			cand[1] = NULL;
		free(dir);
	}
	cand[2] = strdup(BPFEMU_PRELOAD_INSTALL_DIR "/" PRELOAD_NAME);
	for (size_t i = 0; i < 3 && !found; i++) {
		if (!cand[i])
			continue;
		if (debug)
			fprintf(stderr, "%s: looking for the preload library at %s\n", prog_name, cand[i]);
		if (is_file(cand[i]))
			found = realpath(cand[i], NULL);
	}
	if (!found)
		fprintf(stderr,
			"%s: cannot find %s (looked next to this program and in %s); "
			"give its path with --preload=PATH or BPFEMU_PRELOAD\n",
			prog_name, PRELOAD_NAME, BPFEMU_PRELOAD_INSTALL_DIR);
	for (size_t i = 0; i < 3; i++)
		free(cand[i]);
	return found;
}

/* ld.so splits LD_PRELOAD at spaces and colons: drop entries equal to `lib` (so nesting
 * bpfemu-run does not list it twice) and put `lib` first, where it wins the syscall() lookup. */
char *run_build_ld_preload(const char *lib, const char *old)
{
	size_t cap = strlen(lib) + (old ? strlen(old) : 0) + 2;
	char *out = malloc(cap), *copy, *save = NULL;

	if (!out)
		return NULL;
	strcpy(out, lib);
	if (!old)
		return out;
	copy = strdup(old);
	if (!copy) {
		free(out);
		return NULL;
	}
	for (char *tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
		if (!strcmp(tok, lib))
			continue;
		strcat(out, ":");
		strcat(out, tok);
	}
	free(copy);
	return out;
}

/* The ELF header fields that decide whether ld.so maps a library into a program. */
static bool elf_ident(int fd, int *cls, int *data, int *type, int *machine)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	ssize_t n = pread(fd, h, sizeof(h), 0);
	uint16_t t, m;

	if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(h, ELFMAG, SELFMAG))
		return false;
	*cls = h[EI_CLASS];
	*data = h[EI_DATA];
	/* e_type and e_machine are at the same offsets in both classes */
	memcpy(&t, h + offsetof(Elf64_Ehdr, e_type), 2);
	memcpy(&m, h + offsetof(Elf64_Ehdr, e_machine), 2);
	*type = t;
	*machine = m;
	return true;
}

static const char *class_name(int cls)
{
	return cls == ELFCLASS64 ? "64-bit" : cls == ELFCLASS32 ? "32-bit" : "unknown-class";
}

const char *run_preload_loadable(const char *lib, int cls, int machine, char *buf, size_t len)
{
	int fd = open(lib, O_RDONLY | O_CLOEXEC), lcls, ldata, ltype, lmach, data = 0, type;

	if (fd < 0) {
		snprintf(buf, len, "cannot be read: %s", strerror(errno));
		return buf;
	}
	if (!elf_ident(fd, &lcls, &ldata, &ltype, &lmach)) {
		close(fd);
		snprintf(buf, len, "is not an ELF file");
		return buf;
	}
	close(fd);
	if (ltype != ET_DYN) {
		snprintf(buf, len, "is not a shared library (ELF type %d)", ltype);
		return buf;
	}
	if (!cls) { /* this program's own: the machine bpfemu-run was built for */
		int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

		if (self < 0 || !elf_ident(self, &cls, &data, &type, &machine))
			cls = 0;
		if (self >= 0)
			close(self);
		if (!cls)
			return NULL; /* nothing to compare with: ld.so has the last word */
	}
	if (lcls != cls || lmach != machine) {
		snprintf(buf, len, "is a %s library for ELF machine %d, but the program is %s for machine %d",
			 class_name(lcls), lmach, class_name(cls), machine);
		return buf;
	}
	(void)data;
	return NULL;
}
