/* SPDX-License-Identifier: MIT */
/*
 * bpfemu-run: run a program with the bpfemu preload library, so its bpf() map commands are answered
 * by the emulator instead of the kernel. In the spirit of faketime and umockdev-run: set the
 * environment, then exec the program, so the program's exit status is ours. A program the preload
 * cannot reach (statically linked, or a Go binary) runs under the seccomp supervisor instead
 * (supervisor/), which passes the program's exit status on.
 *
 * Exit status follows env(1), nice(1) and timeout(1): 125 when bpfemu-run itself fails, 126 when
 * the program was found but cannot be run, 127 when it was not found.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/run.h"

#ifndef BPFEMU_VERSION
#define BPFEMU_VERSION "unknown"
#endif
/* Where an installed bpfemu-run finds the preload: relative to its own directory first (an
 * installed tree that was moved, or a DESTDIR staging tree), then the configured absolute path. */
#ifndef BPFEMU_PRELOAD_RELDIR
#define BPFEMU_PRELOAD_RELDIR "../lib/bpfemu"
#endif
#ifndef BPFEMU_PRELOAD_INSTALL_DIR
#define BPFEMU_PRELOAD_INSTALL_DIR "/usr/local/lib/bpfemu"
#endif
#define PRELOAD_NAME "libbpfemu-preload.so"

enum {
	EXIT_RUN_FAILED = 125,
	EXIT_CANNOT_INVOKE = 126,
	EXIT_NOT_FOUND = 127,
};

static const char *prog_name = "bpfemu-run";

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s [OPTION]... [--] PROGRAM [ARG]...\n"
"Run PROGRAM with bpfemu's preload library: its bpf() map commands are answered by an\n"
"emulator in user space, with the kernel's semantics, so it needs no CAP_BPF.\n"
"\n"
"Options (each one can also be given as the environment variable after it;\n"
"an option wins over its variable):\n"
"  --trace[=FILE]   print one line per intercepted bpf() call, decoded as strace\n"
"                   does, to stderr (no FILE, or FILE '-') or appended to FILE\n"
"                                                          BPFEMU_TRACE=1|-|FILE\n"
"  --debug=N        0..3; 1 and up also explain the other calls the preload\n"
"                   answers (readlink/fdinfo/statfs of maps and pin paths)\n"
"                                                          BPFEMU_DEBUGLEVEL=N\n"
"  --bpffs=DIR      directory that stands in for /sys/fs/bpf (pinned maps)\n"
"                   default $XDG_RUNTIME_DIR/bpfemu/bpffs, else\n"
"                   /dev/shm/bpfemu-UID/bpffs                BPFEMU_BPFFS=DIR\n"
"  --nr-cpus=N      number of possible CPUs per-CPU maps are laid out for,\n"
"                   1..4096; default /sys/devices/system/cpu/possible\n"
"                                                          BPFEMU_NR_CPUS=N\n"
"  --preload=PATH   the preload library to use instead of the one found next\n"
"                   to this program or in the install directory\n"
"                                                          BPFEMU_PRELOAD=PATH\n"
"  --preload        run PROGRAM with the preload library, whatever it is\n"
"  --seccomp        run PROGRAM under the seccomp supervisor, whatever it is:\n"
"                   every bpf() system call, however made, is answered by the\n"
"                   emulator in bpfemu-run's process (needs Linux 5.14)\n"
"                   (default: the supervisor for a statically linked program or a\n"
"                   Go binary, the preload otherwise)   BPFEMU_MODE=preload|seccomp|auto\n"
"  --diff           differential mode: every bpf() call is also made on the\n"
"                   kernel, against mirror maps, and the answers and every byte\n"
"                   written are compared; PROGRAM still gets the emulator's\n"
"                   answers. Needs root (CAP_BPF, CAP_SYS_ADMIN). Each process\n"
"                   that calls bpf() reports each divergence and, at exit, a\n"
"                   summary line                             BPFEMU_DIFF=1\n"
"  --diff-report=FILE  write the report to FILE (appended) instead of stderr\n"
"                                                          BPFEMU_DIFF_REPORT=FILE\n"
"  --diff-json      the report as JSON lines                BPFEMU_DIFF_JSON=1\n"
"  --diff-strict    a process that saw a divergence and would exit 0 exits 3\n"
"                                                          BPFEMU_DIFF_STRICT=1\n"
"                   (--diff-report, --diff-json and --diff-strict imply --diff)\n"
"  -h, --help       show this help and exit\n"
"  -V, --version    show the version and exit\n"
"\n"
"Other variables the preload library reads:\n"
"  BPFEMU_STATE_DIR  state shared by this user's processes (map ids); default\n"
"                    $XDG_RUNTIME_DIR/bpfemu, else /dev/shm/bpfemu-UID\n"
"  BPFEMU_DIFF_BPFFS  a mounted bpffs where --diff keeps the kernel mirrors of\n"
"                    pinned maps, so other processes find them; default: the\n"
"                    first bpffs mounted\n"
"\n"
"The library is added in front of LD_PRELOAD (what was there is kept), so every\n"
"dynamically linked program PROGRAM starts is emulated too. Statically linked\n"
"programs and Go programs issue the system call without glibc's syscall(): they\n"
"run under the seccomp supervisor, which also follows their threads and children.\n"
"\n"
"Exit status: 125 if %s itself fails, 126 if PROGRAM cannot be run,\n"
"127 if PROGRAM is not found, else the exit status of PROGRAM (with\n"
"--diff-strict, 3 instead of 0 if a divergence was seen).\n",
		prog_name, prog_name);
}

static void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog_name);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Parse a decimal in [lo, hi]; the whole string must be the number. */
static bool parse_range(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Make a path absolute against the current directory: the program may chdir before the preload
 * reads the variable, and its children inherit the variable from wherever they start. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
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
static char *find_preload(const char *requested, bool debug)
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
static char *build_ld_preload(const char *lib, const char *old)
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

/* The file that runs without ld.so when `path` is executed, or NULL: `path` itself when it is an ELF
 * executable without a program interpreter (LD_PRELOAD has no effect on it), or a script's static
 * interpreter (followed as deep as the kernel follows them). */
static char *static_elf(const char *path, int depth)
{
	unsigned char hdr[256];
	unsigned type = ET_NONE, phentsize = 0, phnum = 0;
	bool is_static = false;
	uint64_t phoff = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = pread(fd, hdr, sizeof(hdr) - 1, 0);
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!' && depth < 4) {
		char *p = (char *)hdr + 2, *interp;

		close(fd);
		hdr[n] = 0;
		p += strspn(p, " \t");
		interp = p;
		p += strcspn(p, " \t\n");
		*p = 0;
		return *interp ? static_elf(interp, depth + 1) : NULL;
	}
	if (n < (ssize_t)EI_NIDENT || memcmp(hdr, ELFMAG, SELFMAG)) {
		close(fd);
		return NULL;
	}

	/* p_type is the first word of a program header in both classes */
	if (hdr[EI_CLASS] == ELFCLASS64 && n >= (ssize_t)sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr eh;

		memcpy(&eh, hdr, sizeof(eh));
		type = eh.e_type, phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	} else if (hdr[EI_CLASS] == ELFCLASS32 && n >= (ssize_t)sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr eh;

		memcpy(&eh, hdr, sizeof(eh));
		type = eh.e_type, phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	}
	/* a foreign byte order is some emulator's business, not ours */
	if ((type == ET_EXEC || type == ET_DYN) && phentsize >= sizeof(uint32_t) &&
	    hdr[EI_DATA] == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB)) {
		is_static = true;
		for (unsigned i = 0; i < phnum && is_static; i++) {
			uint32_t p_type;

			/* an unreadable header: say nothing rather than guess */
			if (pread(fd, &p_type, sizeof(p_type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
			    (ssize_t)sizeof(p_type) || p_type == PT_INTERP)
				is_static = false;
		}
	}
	close(fd);
	return is_static ? strdup(path) : NULL;
}

static void warn_unreachable(const char *prog)
{
	char *path = resolve_program(prog), *elf;
	struct stat st;

	if (!path)
		return;
	elf = static_elf(path, 0);
	if (elf && strcmp(elf, path))
		fprintf(stderr,
			"%s: warning: %s runs %s, which is statically linked, so the preload library "
			"cannot reach it and its bpf() calls go to the kernel; use a dynamically linked "
			"interpreter\n",
			prog_name, path, elf);
	else if (elf)
		fprintf(stderr,
			"%s: warning: %s is statically linked, so the preload library cannot reach it and "
			"its bpf() calls go to the kernel; link it dynamically (or call bpfemu_bpf() from "
			"libbpfemu)\n",
			prog_name, path);
	else if (stat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) &&
		 ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
		  (st.st_mode & S_ISGID && st.st_gid != getegid())))
		fprintf(stderr,
			"%s: warning: %s is set-user-ID or set-group-ID, so the dynamic linker ignores "
			"LD_PRELOAD and its bpf() calls go to the kernel; run a copy without that bit\n",
			prog_name, path);
	free(elf);
	free(path);
}

static bool set_var(const char *name, const char *value)
{
	if (setenv(name, value, 1) == 0)
		return true;
	fprintf(stderr, "%s: cannot set %s: %s\n", prog_name, name, strerror(errno));
	return false;
}

/* --diff and friends (the preload's shim/diffmode.c does the work). */
static struct {
	bool on, json, strict;
	const char *report;
} diff;

static bool env_on(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0");
}

/* Differential mode makes every call on the kernel too: say so now, with 125, if it cannot. */
static bool diff_setup(void)
{
	unsigned char attr[168] = { 0 };
	uint32_t type = 2 /* ARRAY */, four = 4, one = 1;
	long fd;

	if (!diff.on && !env_on("BPFEMU_DIFF"))
		return true;
	if (diff.report && strcmp(diff.report, "-")) {
		char *abs = absolute(diff.report);

		if (!abs) {
			fprintf(stderr, "%s: --diff-report=%s: %s\n", prog_name, diff.report, strerror(errno));
			return false;
		}
		diff.report = abs; /* kept until exec */
		fd = open(abs, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "%s: --diff-report=%s: %s\n", prog_name, abs, strerror(errno));
			return false;
		}
		close((int)fd);
	}
	if ((diff.on && !set_var("BPFEMU_DIFF", "1")) || (diff.report && !set_var("BPFEMU_DIFF_REPORT", diff.report)) ||
	    (diff.json && !set_var("BPFEMU_DIFF_JSON", "1")) || (diff.strict && !set_var("BPFEMU_DIFF_STRICT", "1")))
		return false;
	memcpy(attr + 0, &type, 4);
	memcpy(attr + 4, &four, 4);
	memcpy(attr + 8, &four, 4);
	memcpy(attr + 12, &one, 4);
	fd = syscall(SYS_bpf, 0 /* EMU_BPF_MAP_CREATE */, attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "%s: --diff: bpf() is not permitted here (%s): differential mode makes every call on "
			"the kernel too, so it needs root (CAP_BPF and CAP_SYS_ADMIN)\n", prog_name, strerror(errno));
		return false;
	}
	close((int)fd);
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_TRACE = 256, OPT_DEBUG, OPT_BPFFS, OPT_NR_CPUS, OPT_PRELOAD, OPT_DIFF, OPT_DIFF_REPORT,
	       OPT_DIFF_JSON, OPT_DIFF_STRICT, OPT_SECCOMP };
	static const struct option longopts[] = {
		{ "trace", optional_argument, NULL, OPT_TRACE },
		{ "debug", required_argument, NULL, OPT_DEBUG },
		{ "bpffs", required_argument, NULL, OPT_BPFFS },
		{ "nr-cpus", required_argument, NULL, OPT_NR_CPUS },
		{ "preload", optional_argument, NULL, OPT_PRELOAD },
		{ "seccomp", no_argument, NULL, OPT_SECCOMP },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "diff-report", required_argument, NULL, OPT_DIFF_REPORT },
		{ "diff-json", no_argument, NULL, OPT_DIFF_JSON },
		{ "diff-strict", no_argument, NULL, OPT_DIFF_STRICT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trace = NULL, *bpffs = NULL, *preload_opt = NULL, *env;
	char *trace_abs = NULL, *bpffs_abs = NULL, *lib = NULL, *ld_preload = NULL, why[PATH_MAX + 64];
	long debug = -1, nr_cpus = -1, v;
	int c, status, mode = -1;

	if (argv[0] && *argv[0]) {
		const char *slash = strrchr(argv[0], '/');

		prog_name = slash ? slash + 1 : argv[0];
	}
	opterr = 0;
	/* '+': stop at the program's name, so its own options are left alone */
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACE:
			trace = optarg ? optarg : "1";
			if (!*trace) {
				fprintf(stderr, "%s: --trace= needs a file name (or '-' for stderr)\n", prog_name);
				return EXIT_RUN_FAILED;
			}
			break;
		case OPT_DEBUG:
			if (!parse_range(optarg, 0, 3, &debug)) {
				fprintf(stderr, "%s: invalid debug level '%s': want 0 to 3\n", prog_name, optarg);
				return EXIT_RUN_FAILED;
			}
			break;
		case OPT_BPFFS:
			bpffs = optarg;
			if (!*bpffs) {
				fprintf(stderr, "%s: --bpffs needs a directory\n", prog_name);
				return EXIT_RUN_FAILED;
			}
			break;
		case OPT_NR_CPUS:
			if (!parse_range(optarg, 1, 4096, &nr_cpus)) {
				fprintf(stderr, "%s: invalid CPU count '%s': want 1 to 4096\n", prog_name, optarg);
				return EXIT_RUN_FAILED;
			}
			break;
		case OPT_PRELOAD:
			if (optarg)
				preload_opt = optarg;
			mode = SV_MODE_PRELOAD;
			break;
		case OPT_SECCOMP:
			mode = SV_MODE_SECCOMP;
			break;
		case OPT_DIFF_REPORT:
			if (!*optarg) {
				fprintf(stderr, "%s: --diff-report needs a file name (or '-' for stderr)\n", prog_name);
				return EXIT_RUN_FAILED;
			}
			diff.report = optarg;
			diff.on = true;
			break;
		case OPT_DIFF:
		case OPT_DIFF_JSON:
		case OPT_DIFF_STRICT:
			diff.on = true;
			diff.json |= c == OPT_DIFF_JSON;
			diff.strict |= c == OPT_DIFF_STRICT;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) || ferror(stdout) ? EXIT_RUN_FAILED : 0;
		case 'V':
			printf("bpfemu-run (bpfemu) %s\n", BPFEMU_VERSION);
			return fflush(stdout) || ferror(stdout) ? EXIT_RUN_FAILED : 0;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n", prog_name, argv[optind - 1]);
			try_help();
			return EXIT_RUN_FAILED;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "%s: invalid option -- '%c'\n", prog_name, optopt);
			else
				fprintf(stderr, "%s: unrecognized option '%s'\n", prog_name, argv[optind - 1]);
			try_help();
			return EXIT_RUN_FAILED;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no program to run\n", prog_name);
		try_help();
		return EXIT_RUN_FAILED;
	}

	/* A variable the user set is checked here too, so a typo fails loudly before the program
	 * runs rather than being ignored by the library. */
	env = secure_getenv("BPFEMU_DEBUGLEVEL");
	if (debug < 0 && env && *env && !parse_range(env, 0, 3, &v)) {
		fprintf(stderr, "%s: invalid BPFEMU_DEBUGLEVEL '%s': want 0 to 3\n", prog_name, env);
		return EXIT_RUN_FAILED;
	}
	if (debug < 0 && env && *env)
		debug = v;
	env = secure_getenv("BPFEMU_NR_CPUS");
	if (nr_cpus < 0 && env && *env && !parse_range(env, 1, 4096, &v)) {
		fprintf(stderr, "%s: invalid BPFEMU_NR_CPUS '%s': want 1 to 4096\n", prog_name, env);
		return EXIT_RUN_FAILED;
	}

	env = secure_getenv("BPFEMU_MODE");
	if (mode < 0 && env && *env && strcmp(env, "auto")) {
		if (strcmp(env, "preload") && strcmp(env, "seccomp")) {
			fprintf(stderr, "%s: invalid BPFEMU_MODE '%s': want preload, seccomp or auto\n", prog_name, env);
			return EXIT_RUN_FAILED;
		}
		mode = strcmp(env, "seccomp") ? SV_MODE_PRELOAD : SV_MODE_SECCOMP;
	}
	snprintf(why, sizeof(why), "%s", mode == SV_MODE_SECCOMP ? "--seccomp" : "--preload");
	if (mode < 0)
		mode = sv_choose_mode(argv[optind], why, sizeof(why));
	if (debug >= 1)
		fprintf(stderr, "%s: %s: %s\n", prog_name, why,
			mode == SV_MODE_SECCOMP ? "the seccomp supervisor answers its bpf() calls" : "the preload library");
	if (mode == SV_MODE_SECCOMP && (diff.on || env_on("BPFEMU_DIFF"))) {
		fprintf(stderr, "%s: --diff needs the preload library, and %s: differential mode does not run under "
			"the seccomp supervisor\n", prog_name, why);
		return EXIT_RUN_FAILED;
	}

	if (mode == SV_MODE_PRELOAD) {
		lib = find_preload(preload_opt ? preload_opt : secure_getenv("BPFEMU_PRELOAD"), debug >= 1);
		if (!lib)
			return EXIT_RUN_FAILED;
	}
	status = EXIT_RUN_FAILED;
	if (lib && strpbrk(lib, " :")) {
		fprintf(stderr, "%s: the preload library's path %s contains a space or colon, which "
			"LD_PRELOAD cannot carry; install it elsewhere\n", prog_name, lib);
		goto out;
	}
	ld_preload = lib ? build_ld_preload(lib, getenv("LD_PRELOAD")) : strdup("");
	if (!ld_preload) {
		fprintf(stderr, "%s: out of memory\n", prog_name);
		goto out;
	}

	if (trace && strcmp(trace, "1") && strcmp(trace, "-")) {
		trace_abs = absolute(trace);
		if (!trace_abs) {
			fprintf(stderr, "%s: --trace=%s: %s\n", prog_name, trace, strerror(errno));
			goto out;
		}
		trace = trace_abs;
	}
	if (bpffs) {
		bpffs_abs = absolute(bpffs);
		if (!bpffs_abs) {
			fprintf(stderr, "%s: --bpffs=%s: %s\n", prog_name, bpffs, strerror(errno));
			goto out;
		}
	}

	if ((lib && (!set_var("LD_PRELOAD", ld_preload) || !set_var("BPFEMU_PRELOAD", lib))) ||
	    (trace && !set_var("BPFEMU_TRACE", trace)) || (bpffs_abs && !set_var("BPFEMU_BPFFS", bpffs_abs)))
		goto out;
	if (debug >= 0) {
		char buf[24];

		snprintf(buf, sizeof(buf), "%ld", debug);
		if (!set_var("BPFEMU_DEBUGLEVEL", buf))
			goto out;
	}
	if (nr_cpus > 0) {
		char buf[24];

		snprintf(buf, sizeof(buf), "%ld", nr_cpus);
		if (!set_var("BPFEMU_NR_CPUS", buf))
			goto out;
	}
	if (mode == SV_MODE_SECCOMP) {
		status = sv_run(prog_name, argv + optind, debug < 0 ? 0 : (int)debug);
		goto out;
	}
	if (debug >= 1)
		fprintf(stderr, "%s: LD_PRELOAD=%s\n", prog_name, ld_preload);

	if (!diff_setup())
		goto out;
	warn_unreachable(argv[optind]);

	execvp(argv[optind], argv + optind);
	c = errno;
	fprintf(stderr, "%s: %s: %s\n", prog_name, argv[optind], strerror(c));
	status = c == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
out:
	/* only reached when the program did not start; freed so leak checkers keep quiet */
	free(lib);
	free(ld_preload);
	free(trace_abs);
	free(bpffs_abs);
	return status;
}
