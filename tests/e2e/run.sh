#!/usr/bin/env bash
# bpfemu-run itself: exit status as env(1)/nice(1)/timeout(1) (125 its own failure, 126 cannot run,
# 127 not found, else the program's), --help and --version, the environment it hands over, and the
# choice of the seccomp supervisor for statically linked programs. Needs neither root nor bpf(): it
# never reaches a map.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-e2e-run.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
run=$BPFEMU_RUN
lib=$(realpath "$BPFEMU_PRELOAD_LIB")

errors=0
# status WANT DESCRIPTION COMMAND...: the command exits with WANT
status() {
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		echo "ok   $what: exit $rc"
	else
		echo "FAIL $what: exit $rc, want $want; stderr: $(cat "$tmp/err")"
		errors=$((errors + 1))
	fi
}
# expect DESCRIPTION COMMAND...: the command succeeds
expect() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		errors=$((errors + 1))
	fi
}
err_has() { grep -q -- "$1" "$tmp/err"; }
err_empty() { [ ! -s "$tmp/err" ]; }
out_is() { [ "$(cat "$tmp/out")" = "$1" ]; }

# bpfemu-run's own failures: 125, with a message
status 125 "no program" "$run"
expect "no program: says so" err_has "no program"
status 125 "unknown option" "$run" --no-such-option true
expect "unknown option: names it" err_has "no-such-option"
status 125 "--debug out of range" "$run" --debug=4 true
status 125 "--debug not a number" "$run" --debug=x true
status 125 "--debug without its argument" "$run" --debug
status 125 "--nr-cpus=0" "$run" --nr-cpus=0 true
status 125 "--nr-cpus not a number" "$run" --nr-cpus=two true
status 125 "BPFEMU_NR_CPUS invalid" env BPFEMU_NR_CPUS=0 "$run" true
status 125 "BPFEMU_DEBUGLEVEL invalid" env BPFEMU_DEBUGLEVEL=9 "$run" true
status 125 "--preload of a missing file" "$run" --preload="$tmp/missing.so" true
expect "--preload of a missing file: names it" err_has "$tmp/missing.so"
status 125 "BPFEMU_PRELOAD of a missing file" env BPFEMU_PRELOAD="$tmp/missing.so" "$run" true
status 125 "--preload of a directory" "$run" --preload="$tmp" true
# a copy of bpfemu-run with no library next to it says how to fix it (unless one is installed)
mkdir -p "$tmp/lonely/bin"
cp "$run" "$tmp/lonely/bin/"
env -u BPFEMU_PRELOAD "$tmp/lonely/bin/bpfemu-run" true >"$tmp/out" 2>"$tmp/err"
rc=$?
case $rc in
125) expect "library not found: exit 125, points to --preload" err_has "--preload" ;;
0) echo "note: a copy of bpfemu-run away from the build tree found an installed library" ;;
*) echo "FAIL library not found: exit $rc"; errors=$((errors + 1)) ;;
esac

# the program: 127 not found, 126 not runnable, else its own status
status 127 "program not in PATH" "$run" bpfemu-e2e-no-such-program
expect "program not in PATH: names it" err_has "bpfemu-e2e-no-such-program"
status 127 "program path missing" "$run" "$tmp/missing"
printf '#!/bin/sh\nexit 0\n' >"$tmp/noexec"
chmod 644 "$tmp/noexec"
status 126 "program not executable" "$run" "$tmp/noexec"
status 126 "program is a directory" "$run" "$tmp"
status 0 "true" "$run" true
status 1 "false" "$run" false
status 42 "exit 42" "$run" sh -c 'exit 42'
status 0 "-- ends the options" "$run" -- sh -c 'exit 0'
status 127 "options after the program are the program's" "$run" bpfemu-e2e-no-such-program --help
status 0 "the program's own options are left alone" "$run" sh -c 'exit 0' --trace
# a signal: the status is the program's (exec replaced bpfemu-run), as the shell reports it
# (through an inner shell, whose "Terminated" goes to the captured stderr)
status 143 "killed by SIGTERM" bash -c '"$@"' _ "$run" sh -c 'kill -TERM $$'

# --help documents every option and variable, --version the version
status 0 "--help" "$run" --help
for w in --trace --debug --bpffs --nr-cpus --preload --seccomp --help --version \
	BPFEMU_MODE BPFEMU_TRACE BPFEMU_DEBUGLEVEL BPFEMU_BPFFS BPFEMU_NR_CPUS BPFEMU_PRELOAD BPFEMU_STATE_DIR LD_PRELOAD; do
	expect "--help mentions $w" grep -q -- "$w" "$tmp/out"
done
expect "--help mentions the exit statuses" grep -q "125" "$tmp/out"
status 0 "--version" "$run" --version
expect "--version prints ${E2E_VERSION:-the version}" grep -q -- "${E2E_VERSION:-.}" "$tmp/out"
status 0 "-h" "$run" -h

# the environment the program gets
status 0 "LD_PRELOAD with nothing before" env -u LD_PRELOAD "$run" printenv LD_PRELOAD
expect "LD_PRELOAD is the library's absolute path" out_is "$lib"
status 0 "LD_PRELOAD kept" env LD_PRELOAD=/bpfemu-e2e-missing.so "$run" printenv LD_PRELOAD
expect "LD_PRELOAD: ours first, the old one kept" out_is "$lib:/bpfemu-e2e-missing.so"
status 0 "nested bpfemu-run" "$run" "$run" printenv LD_PRELOAD
expect "nested bpfemu-run lists the library once" out_is "$lib"
status 0 "--preload=PATH" env -u LD_PRELOAD "$run" --preload="$BPFEMU_PRELOAD_LIB" printenv LD_PRELOAD
expect "--preload=PATH is used" out_is "$lib"
(cd "$tmp" && "$run" --trace=rel.log --bpffs=relfs --nr-cpus=3 --debug=0 \
	printenv BPFEMU_TRACE BPFEMU_BPFFS BPFEMU_NR_CPUS BPFEMU_DEBUGLEVEL) >"$tmp/out" 2>"$tmp/err"
expect "options become variables, paths made absolute" out_is "$(printf '%s\n' "$tmp/rel.log" "$tmp/relfs" 3 0)"
status 0 "--trace alone" env -u BPFEMU_TRACE "$run" --trace printenv BPFEMU_TRACE
expect "--trace alone is BPFEMU_TRACE=1" out_is 1
status 0 "variables pass through" env BPFEMU_NR_CPUS=5 BPFEMU_BPFFS=/x "$run" printenv BPFEMU_NR_CPUS BPFEMU_BPFFS
expect "variables pass through unchanged" out_is "$(printf '5\n/x')"
status 0 "an option wins over its variable" env BPFEMU_NR_CPUS=5 "$run" --nr-cpus=7 printenv BPFEMU_NR_CPUS
expect "an option wins over its variable: 7" out_is 7

# statically linked programs: the preload cannot reach them, so they run under the seccomp
# supervisor (no warning), and their status is passed on as exec would
status 0 "dynamic program" "$run" true
expect "dynamic program: no warning" err_empty
if [ -n "${E2E_STATIC:-}" ]; then
	status 3 "static program runs supervised, its status passed on" "$run" "$E2E_STATIC"
	expect "static program: no warning" err_empty
	expect "static program: its output" grep -q "static program ran" "$tmp/out"
	expect "static program: its bpf() call answered (a map)" grep -q "bpf: a map" "$tmp/out"
	status 3 "static program, --debug=1" "$run" --debug=1 "$E2E_STATIC"
	expect "--debug=1 says why the supervisor runs it" err_has "statically linked: the seccomp supervisor"
	status 3 "static program found through PATH" env PATH="$(dirname "$E2E_STATIC"):$PATH" "$run" "$(basename "$E2E_STATIC")"
	expect "static program through PATH: no warning" err_empty
	printf '#!%s\n' "$E2E_STATIC" >"$tmp/script"
	chmod 755 "$tmp/script"
	status 3 "script with a static interpreter" "$run" --debug=1 "$tmp/script"
	expect "script with a static interpreter: supervised" err_has "statically linked: the seccomp supervisor"
	# --preload forces the preload, which warns that it cannot reach the program
	status 3 "--preload on a static program" "$run" --preload "$E2E_STATIC"
	expect "--preload on a static program: warns" err_has "statically linked"
	expect "--preload on a static program: names it" err_has "$E2E_STATIC"
	status 3 "BPFEMU_MODE=preload on a static program" env BPFEMU_MODE=preload "$run" "$E2E_STATIC"
	expect "BPFEMU_MODE=preload: warns" err_has "statically linked"
else
	echo "note: no static test program (it needs libc.a from libc6-dev, and no sanitizers): static-program checks not run"
fi
# the supervisor forced, on any program: exit statuses as exec gives them
status 4 "--seccomp: the program's status" "$run" --seccomp sh -c 'exit 4'
status 0 "--seccomp: no LD_PRELOAD" env -u LD_PRELOAD "$run" --seccomp sh -c '[ -z "${LD_PRELOAD:-}" ]'
status 127 "--seccomp: program not found" "$run" --seccomp bpfemu-e2e-no-such-program
expect "--seccomp: program not found: says so" err_has "bpfemu-e2e-no-such-program"
printf 'not a program\n' >"$tmp/noexec"
status 126 "--seccomp: program not executable" "$run" --seccomp "$tmp/noexec"
status 143 "--seccomp: killed by SIGTERM" bash -c '"$@"' _ "$run" --seccomp sh -c 'kill -TERM $$'
status 143 "--seccomp: SIGTERM to bpfemu-run reaches the program" bash -c \
	'"$@" & sleep 1; kill -TERM $!; wait $!' _ "$run" --seccomp sleep 30
status 5 "BPFEMU_MODE=seccomp" env BPFEMU_MODE=seccomp "$run" sh -c 'exit 5'
status 125 "BPFEMU_MODE invalid" env BPFEMU_MODE=fast "$run" true
expect "BPFEMU_MODE invalid: names it" err_has "BPFEMU_MODE"
if [ "$(id -u)" = 0 ]; then
	status 0 "--seccomp with --diff: the supervisor compares" "$run" --seccomp --diff true
else
	status 125 "--seccomp with --diff, not root" "$run" --seccomp --diff true
	expect "--seccomp with --diff, not root: says why" err_has "bpf() is not permitted"
fi
status 0 "nested --seccomp: served by the outer supervisor" "$run" --seccomp "$run" --seccomp true
printf '#!/bin/sh\nexit 0\n' >"$tmp/dynscript"
chmod 755 "$tmp/dynscript"
status 0 "script with a dynamic interpreter" "$run" "$tmp/dynscript"
expect "script with a dynamic interpreter: no warning" err_empty

[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
