/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * bpfemu-run --help. The man page, docs/bpfemu-run.1, says the same at more length; the test
 * tests/e2e/manpage.sh holds the two together (every option and variable of one is in the other,
 * and the state directory rules and exit statuses read alike), so change both.
 */
#include "run.h"

void run_usage(FILE *out)
{
	fprintf(out,
"Usage: %s [OPTION]... [--] PROGRAM [ARG]...\n"
"       %s --clean\n"
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
"                                                          BPFEMU_BPFFS=DIR\n"
"  --nr-cpus=N      number of possible CPUs per-CPU maps are laid out for,\n"
"                   1..4096; default /sys/devices/system/cpu/possible\n"
"                                                          BPFEMU_NR_CPUS=N\n"
"  --preload=PATH   the preload library to use instead of the one found next\n"
"                   to this program or in the install directory\n"
"                                                          BPFEMU_PRELOAD=PATH\n"
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
"  --clean          remove every pinned map and directory in your emulated\n"
"                   bpffs (the directory below), and nothing else; then exit\n"
"  -h, --help       show this help and exit\n"
"  -V, --version    show the version and exit\n"
"\n"
"Where state lives (the same rules in every process):\n"
"  state dir   $BPFEMU_STATE_DIR, else $XDG_RUNTIME_DIR/bpfemu, else\n"
"              /dev/shm/bpfemu-UID; holds the map id counter (STATE/ids)\n"
"  bpffs       $BPFEMU_BPFFS (--bpffs), else STATE/bpffs; stands in for\n"
"              /sys/fs/bpf: pins are files there\n"
"  Both must be absolute (relative ones given to %s are made absolute\n"
"  against the current directory). Each is created 0700 if missing, and\n"
"  refused, with the reason, unless it and every directory bpfemu creates\n"
"  are owned by you, not group- or world-writable and not symbolic links,\n"
"  and every directory above is owned by root or you and not writable by\n"
"  others unless sticky (as /tmp and /dev/shm are).\n"
"\n"
"Other variables the preload library reads:\n"
"  BPFEMU_STATE_DIR  the state directory (above)\n"
"  BPFEMU_DIFF_BPFFS  a mounted bpffs where --diff keeps the kernel mirrors of\n"
"                    pinned maps, so other processes find them; default: the\n"
"                    first bpffs mounted\n"
"\n"
"The library is added in front of LD_PRELOAD (what was there is kept), so every\n"
"dynamically linked program PROGRAM starts is emulated too. The library answers\n"
"bpf() calls made through the C library's syscall(); a bpf() call made any other\n"
"way (a statically linked program, Go's runtime, the syscall instruction) fails\n"
"with ENOSYS and never reaches the kernel: %s installs a seccomp filter\n"
"in PROGRAM and everything it starts (not with --diff, which needs the kernel).\n"
"It sets no_new_privs for it, so set-user-ID and set-group-ID programs run\n"
"without their privileges (and with the library). %s warns about both.\n"
"PROGRAM's copy of the library answers a handshake before PROGRAM's main():\n"
"if none comes (the dynamic loader refused the library), %s says why\n"
"and exits 125 when PROGRAM ends (a static PROGRAM, warned about, is not\n"
"expected to answer); --diff refuses a static or set-user-ID PROGRAM at once.\n"
"\n"
"Exit status: 125 if %s itself fails (a bad option, a refused directory,\n"
"an unopenable --trace FILE, no handshake from the library), 126 if PROGRAM\n"
"cannot be run, 127 if PROGRAM is not found, else the exit status of PROGRAM\n"
"(with --diff-strict, 3 instead of 0 if a divergence was seen).\n",
		prog_name, prog_name, prog_name, prog_name, prog_name, prog_name, prog_name);
}

void run_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog_name);
}
