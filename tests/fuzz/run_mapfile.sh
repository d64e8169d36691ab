#!/usr/bin/env bash
# The map-file fuzzer (libFuzzer, ASan+UBSan; see fuzz_mapfile.c): a map file as input, mutated,
# opened and used. Any crash, sanitizer report or hang fails the run. No kernel is needed.
#
# Usage: tests/fuzz/run_mapfile.sh [--time=SECONDS] [--self-test] [--build-only] [--build-dir=DIR] [-- ARGS...]
#   (default)     build, make the seed corpus (real map files of every type, mapfile_corpus), then
#                 fuzz for --time seconds (60)
#   --self-test   prove the fuzzer would catch a missing bounds check: with the planted fault
#                 mapfile-nocheck (BPFEMU_FAULT, emu/util/fault.c: a hash bucket walk follows a
#                 link past the pool) it must find a crash or a sanitizer report; the same run
#                 without the fault must find none, and the input it found must replay clean
#   --build-only  configure and build only
#   ARGS          passed on to libFuzzer (e.g. -jobs=2, -seed=N)
# New inputs go to BUILD/corpus-mapfile, never into the repository. A failing input is written to
# BUILD/artifacts-mapfile/; replay it alone with:  BUILD/fuzz_mapfile BUILD/artifacts-mapfile/crash-...
#
# Needs clang (libFuzzer): without it the run is skipped (exit 77, reason printed); with
# BPFEMU_REQUIRE_KERNEL=1 (CI) a skip fails, as tests/fuzz/run.sh's does.
set -euo pipefail
name=fuzz_mapfile
time=60
. "$(dirname "$0")/lib.sh"
# Everything the runs write outside the build directory lives here, removed on exit (bash runs the
# EXIT trap when a signal ends it too): the emulator state of the target and of the corpus
# generator (they make theirs under TMPDIR, and a run that crashes on purpose cannot remove its
# own), the self-test's scratch corpora.
work=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-fuzz-mapfile.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
echo "=== fuzz_mapfile: build $build"
CC=clang cmake -S "$src/tests/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_mapfile mapfile_corpus
fz=$build/fuzz_mapfile
[ "$mode" = build ] && exit 0

unset BPFEMU_FAULT BPFEMU_NR_CPUS
seeds=$build/seeds-mapfile
rm -rf "$seeds"
"$build/mapfile_corpus" "$seeds" 3
mkdir -p "$build/corpus-mapfile" "$build/artifacts-mapfile"
# libFuzzer's own failure status is 77 unless told otherwise, which would read as a skip here.
# A hang is an input that runs 10 s (the command sequence takes milliseconds).
common=(-error_exitcode=1 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1)

# whether a libFuzzer log holds a finding: a sanitizer report, a deadly signal, a hang
found() { grep -qE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|deadly signal|ALARM: working on the last Unit' "$1"; }

if [ "$mode" = self-test ]; then
	mkdir -p "$work/in-fault" "$work/in-clean" "$work/art"
	# 1. the check removed: a crash or a report within the budget
	set +e
	BPFEMU_FAULT=mapfile-nocheck nice -n 10 "$fz" "${common[@]}" -seed=1 -max_total_time=180 \
		-artifact_prefix="$work/art/" "$work/in-fault" "$seeds" >"$work/fault.log" 2>&1
	rc=$?
	set -e
	if [ $rc = 0 ] || ! found "$work/fault.log"; then
		tail -n 20 "$work/fault.log"
		echo "FAIL fuzz_mapfile self-test: the missing check (mapfile-nocheck) was not caught (status $rc)"
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fault.log" | tail -n 1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$work/fault.log" | tail -n 1 | tr -d '#')
	[ -n "$execs" ] || execs=100000
	what=$(grep -m1 -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:' "$work/fault.log" || true)
	echo "fuzz_mapfile self-test: missing check caught after ~$execs executions: ${what:-crash}"
	# 2. the same search with the check in place: twice as many executions (20000 at least),
	#    nothing found
	runs=$((execs * 2 + 2000))
	[ "$runs" -ge 20000 ] || runs=20000
	set +e
	nice -n 10 "$fz" "${common[@]}" -seed=1 -runs="$runs" -max_total_time=240 \
		-artifact_prefix="$work/art/clean-" "$work/in-clean" "$seeds" >"$work/clean.log" 2>&1
	rc=$?
	set -e
	if [ $rc != 0 ] || found "$work/clean.log"; then
		grep -v '^#[0-9]' "$work/clean.log" | tail -n 40
		echo "FAIL fuzz_mapfile self-test: the run with every check in place found something (status $rc)"
		exit 1
	fi
	echo "fuzz_mapfile self-test: with the check, $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/clean.log") executions, nothing found"
	# 3. the input that crashed the faulty build replays clean with the check
	crash=$(ls "$work"/art/crash-* "$work"/art/timeout-* "$work"/art/leak-* 2>/dev/null | head -n 1 || true)
	if [ -n "$crash" ]; then
		if ! "$fz" "${common[@]}" "$crash" >"$work/replay.log" 2>&1 || found "$work/replay.log"; then
			tail -n 30 "$work/replay.log"
			echo "FAIL fuzz_mapfile self-test: the found input still fails with the check in place"
			exit 1
		fi
		echo "fuzz_mapfile self-test: the input it found replays clean with the check in place"
	fi
	echo "=== fuzz_mapfile self-test passed"
	exit 0
fi

echo "=== fuzz_mapfile: ${time}s (nice 10), seed corpus: $(ls "$seeds" | wc -l) map files of every type"
set +e
nice -n 10 "$fz" "${common[@]}" -max_total_time="$time" -artifact_prefix="$build/artifacts-mapfile/" \
	"${extra[@]}" "$build/corpus-mapfile" "$seeds" >"$build/fuzz_mapfile.log" 2>&1
rc=$?
set -e
grep -E '^stat::|^#[0-9]+ *DONE' "$build/fuzz_mapfile.log" || true
if [ $rc != 0 ] || found "$build/fuzz_mapfile.log"; then
	grep -v '^#[0-9]' "$build/fuzz_mapfile.log" | tail -n 60
	crash=$(ls -t "$build"/artifacts-mapfile/* 2>/dev/null | head -n 1 || true)
	echo "FAIL fuzz_mapfile: a crash, sanitizer report or hang (status $rc)${crash:+; replay it with: $fz $crash}"
	exit 1
fi
echo "=== fuzz_mapfile passed: $(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_mapfile.log") executions, no crash, no report, no hang"
