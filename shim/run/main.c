/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * bpfemu-run: run a program with the bpfemu preload library, so its bpf() map commands are answered
 * by the emulator instead of the kernel. In the spirit of faketime and umockdev-run: set the
 * environment, then run the program; its exit status is ours.
 *
 * This file: the options and variables, and everything checked before PROGRAM runs, each failure
 * a message and exit 125 — the options' values, the preload library (found, loadable into
 * PROGRAM), the --trace file (opened), the state directory and bpffs root (core/statedir.c's
 * checks), --diff's kernel. Then supervise.c runs PROGRAM with the preload library, or, for a
 * program the preload cannot reach (statically linked, Go), ../supervisor/ runs it under the
 * seccomp supervisor, which answers its bpf() calls from this process.
 *
 * Exit status follows env(1), nice(1) and timeout(1): 125 when bpfemu-run itself fails, 126 when
 * the program was found but cannot be run, 127 when it was not found.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../supervisor/run.h"
#include "core/state.h"
#include "run.h"

#ifndef BPFEMU_VERSION
#define BPFEMU_VERSION "unknown"
#endif

const char *prog_name = "bpfemu-run";

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
char *run_absolute(const char *path)
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

bool run_set_var(const char *name, const char *value)
{
	if (setenv(name, value, 1) == 0)
		return true;
	fprintf(stderr, "%s: cannot set %s: %s\n", prog_name, name, strerror(errno));
	return false;
}

/* A path-valued variable made absolute for everything PROGRAM starts. */
static bool absolute_var(const char *name, const char *value)
{
	char *abs;
	bool ok;

	if (!value || !*value || value[0] == '/')
		return true;
	abs = run_absolute(value);
	if (!abs) {
		fprintf(stderr, "%s: %s=%s: %s\n", prog_name, name, value, strerror(errno));
		return false;
	}
	ok = run_set_var(name, abs);
	free(abs);
	return ok;
}

/* --diff and friends (the preload's shim/diffmode/ does the work). */
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

	if (diff.report && strcmp(diff.report, "-")) {
		char *abs = run_absolute(diff.report);

		if (!abs) {
			fprintf(stderr, "%s: --diff-report=%s: %s\n", prog_name, diff.report, strerror(errno));
			return false;
		}
		diff.report = abs; /* kept until exit */
		fd = open(abs, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "%s: --diff-report=%s: %s\n", prog_name, abs, strerror(errno));
			return false;
		}
		close((int)fd);
	}
	if ((diff.on && !run_set_var("BPFEMU_DIFF", "1")) || (diff.report && !run_set_var("BPFEMU_DIFF_REPORT", diff.report)) ||
	    (diff.json && !run_set_var("BPFEMU_DIFF_JSON", "1")) || (diff.strict && !run_set_var("BPFEMU_DIFF_STRICT", "1")))
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

/* The trace file is opened here once, so a typo is a message and 125, not an untraced run. */
static bool trace_setup(const char *opt)
{
	const char *t = opt ? opt : secure_getenv("BPFEMU_TRACE");
	char *abs;
	int fd;

	if (!t || !*t || !strcmp(t, "0") || !strcmp(t, "1") || !strcmp(t, "-"))
		return !opt || run_set_var("BPFEMU_TRACE", opt);
	abs = run_absolute(t);
	if (!abs) {
		fprintf(stderr, "%s: --trace=%s: %s\n", prog_name, t, strerror(errno));
		return false;
	}
	fd = open(abs, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open the trace file %s: %s\n", prog_name, abs, strerror(errno));
		free(abs);
		return false;
	}
	close(fd);
	if (!run_set_var("BPFEMU_TRACE", abs)) {
		free(abs);
		return false;
	}
	free(abs);
	return true;
}

/* The state directory and the bpffs root, checked (and created) as every process will. */
static bool state_setup(void)
{
	static const enum emu_state_kind kinds[] = { EMU_STATE_DIR, EMU_STATE_BPFFS };

	for (size_t i = 0; i < 2; i++) {
		char why[PATH_MAX + 256];
		int err = emu_state_check(kinds[i], why, sizeof(why));

		if (err) {
			fprintf(stderr, "%s: %s: refused (%s); set %s to a directory of your own (%s --help: Where state "
				"lives)\n", prog_name, why, strerror(-err),
				kinds[i] == EMU_STATE_BPFFS ? "--bpffs" : "BPFEMU_STATE_DIR", prog_name);
			return false;
		}
	}
	return true;
}

/* What PROGRAM is decides what can be promised: refuse what --diff cannot check, warn otherwise. */
static bool program_setup(const char *name, const char *lib, bool in_diff, bool *is_static)
{
	struct run_program p;
	char buf[256];
	const char *why;
	bool ok = true;

	run_inspect_program(name, &p);
	*is_static = p.static_elf != NULL;
	if (!p.path) /* execvp() will say */
		return true;
	if (p.static_elf) {
		const char *what = strcmp(p.static_elf, p.path) ? "runs a statically linked interpreter" : "is statically linked";

		if (in_diff) {
			fprintf(stderr, "%s: --diff: %s %s (%s): the preload library cannot reach it, so nothing could be "
				"compared\n", prog_name, p.path, what, p.static_elf);
			ok = false;
		} else {
			fprintf(stderr, "%s: warning: %s %s (%s): the preload library cannot reach it; its bpf() calls fail "
				"with ENOSYS (they never reach the kernel); run it under the seccomp supervisor (the "
				"default for it; --seccomp)\n", prog_name, p.path, what, p.static_elf);
		}
	} else if (p.setid || p.fcaps) {
		const char *what = p.setid ? "set-user-ID or set-group-ID" : "given file capabilities";

		if (in_diff) {
			fprintf(stderr, "%s: --diff: %s is %s, so the dynamic loader would drop the preload library; run a "
				"copy without that\n", prog_name, p.path, what);
			ok = false;
		} else {
			fprintf(stderr, "%s: warning: %s is %s: it runs without that privilege under %s (no_new_privs "
				"keeps the preload library in it)\n", prog_name, p.path, what, prog_name);
		}
	}
	if (ok && p.cls && (why = run_preload_loadable(lib, p.cls, p.machine, buf, sizeof(buf)))) {
		fprintf(stderr, "%s: the preload library %s %s: the dynamic loader would run %s without it\n", prog_name,
			lib, why, p.path);
		ok = false;
	}
	run_free_program(&p);
	return ok;
}

/* The variables every process under bpfemu-run reads, whichever way it runs. */
static bool common_vars(const char *trace, long debug, long nr_cpus)
{
	char buf[24];

	if (!trace_setup(trace))
		return false;
	if (debug >= 0) {
		snprintf(buf, sizeof(buf), "%ld", debug);
		if (!run_set_var("BPFEMU_DEBUGLEVEL", buf))
			return false;
	}
	if (nr_cpus > 0) {
		snprintf(buf, sizeof(buf), "%ld", nr_cpus);
		if (!run_set_var("BPFEMU_NR_CPUS", buf))
			return false;
	}
	return true;
}

/* PROGRAM under the seccomp supervisor: every bpf() call, however made, answered from here. */
static int run_seccomp(char **argv, const char *trace, long debug, long nr_cpus)
{
	if (!common_vars(trace, debug, nr_cpus))
		return EXIT_RUN_FAILED;
	return sv_run(prog_name, argv, debug < 0 ? 0 : (int)debug);
}

int main(int argc, char **argv)
{
	enum { OPT_TRACE = 256, OPT_DEBUG, OPT_BPFFS, OPT_NR_CPUS, OPT_PRELOAD, OPT_DIFF, OPT_DIFF_REPORT,
	       OPT_DIFF_JSON, OPT_DIFF_STRICT, OPT_CLEAN, OPT_SECCOMP };
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
		{ "clean", no_argument, NULL, OPT_CLEAN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trace = NULL, *bpffs = NULL, *preload_opt = NULL, *env;
	char *lib = NULL, *ld_preload = NULL, why[PATH_MAX + 64];
	long debug = -1, nr_cpus = -1, v;
	bool clean = false, in_diff, is_static = false;
	int c, status = EXIT_RUN_FAILED, mode = -1;

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
		case OPT_CLEAN:
			clean = true;
			break;
		case 'h':
			run_usage(stdout);
			return fflush(stdout) || ferror(stdout) ? EXIT_RUN_FAILED : 0;
		case 'V':
			printf("bpfemu-run (bpfemu) %s\n", BPFEMU_VERSION);
			return fflush(stdout) || ferror(stdout) ? EXIT_RUN_FAILED : 0;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n", prog_name, argv[optind - 1]);
			run_try_help();
			return EXIT_RUN_FAILED;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "%s: invalid option -- '%c'\n", prog_name, optopt);
			else
				fprintf(stderr, "%s: unrecognized option '%s'\n", prog_name, argv[optind - 1]);
			run_try_help();
			return EXIT_RUN_FAILED;
		}
	}
	if (clean && optind < argc) {
		fprintf(stderr, "%s: --clean takes no program\n", prog_name);
		run_try_help();
		return EXIT_RUN_FAILED;
	}
	if (!clean && optind >= argc) {
		fprintf(stderr, "%s: no program to run\n", prog_name);
		run_try_help();
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

	/* Where state lives: every path absolute, then both directories checked. */
	if ((bpffs && !run_set_var("BPFEMU_BPFFS", bpffs)) ||
	    !absolute_var("BPFEMU_BPFFS", secure_getenv("BPFEMU_BPFFS")) ||
	    !absolute_var("BPFEMU_STATE_DIR", secure_getenv("BPFEMU_STATE_DIR")))
		return EXIT_RUN_FAILED;
	if (clean)
		return run_clean(debug >= 1);
	if (!state_setup())
		return EXIT_RUN_FAILED;

	/* The preload or the seccomp supervisor: asked for, or chosen by what PROGRAM is. */
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
	in_diff = diff.on || env_on("BPFEMU_DIFF");
	if (mode == SV_MODE_SECCOMP) {
		/* --diff: the supervisor makes each call on the kernel too */
		if (in_diff && !diff_setup())
			return EXIT_RUN_FAILED;
		return run_seccomp(argv + optind, trace, debug, nr_cpus);
	}

	lib = run_find_preload(preload_opt ? preload_opt : secure_getenv("BPFEMU_PRELOAD"), debug >= 1);
	if (!lib)
		return EXIT_RUN_FAILED;
	if (strpbrk(lib, " :")) {
		fprintf(stderr, "%s: the preload library's path %s contains a space or colon, which "
			"LD_PRELOAD cannot carry; install it elsewhere\n", prog_name, lib);
		goto out;
	}
	if (run_preload_loadable(lib, 0, 0, why, sizeof(why))) {
		fprintf(stderr, "%s: the preload library %s %s\n", prog_name, lib, why);
		goto out;
	}
	ld_preload = run_build_ld_preload(lib, getenv("LD_PRELOAD"));
	if (!ld_preload) {
		fprintf(stderr, "%s: out of memory\n", prog_name);
		goto out;
	}
	if (!common_vars(trace, debug, nr_cpus))
		goto out;
	if (!run_set_var("LD_PRELOAD", ld_preload) || !run_set_var("BPFEMU_PRELOAD", lib))
		goto out;
	if (debug >= 1)
		fprintf(stderr, "%s: LD_PRELOAD=%s; state directory %s, emulated bpffs %s\n", prog_name, ld_preload,
			emu_state_path(EMU_STATE_DIR), emu_state_path(EMU_STATE_BPFFS));

	if (in_diff && !diff_setup())
		goto out;
	if (!program_setup(argv[optind], lib, in_diff, &is_static))
		goto out;
	{
		struct run_opts o = { .argv = argv + optind, .deny_bpf = !in_diff, .diff = in_diff, .debug = debug >= 1,
				      .expect_handshake = !is_static };

		status = run_supervise(&o);
	}
out:
	free(lib);
	free(ld_preload);
	return status;
}
