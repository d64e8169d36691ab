#!/usr/bin/env bash
# Differential fuzzing of the emulator against the kernel (libFuzzer; see fuzz_maps.c).
#
# Usage: tests/fuzz/run.sh [--time=SECONDS] [--self-test] [--build-only] [--build-dir=DIR] [-- ARGS...]
#   (default)     build, then fuzz for --time seconds (150) starting from the seed corpus
#                 tests/fuzz/corpus; any divergence, crash or sanitizer finding fails the run
#   --self-test   instead, prove the fuzzer catches a mistake: with each planted fault on
#                 (BPFEMU_FAULT, emu/util/fault.c: map commands, the interpreter, a helper, the BTF
#                 checks, the program checker, the LPM trie) it must report a divergence
#   --build-only  configure and build only
#   ARGS          passed on to libFuzzer (e.g. -jobs=2, -seed=N)
# New inputs go to BUILD/corpus, never into the repository. A failing input is written to
# BUILD/artifacts/; replay it alone with:  BUILD/fuzz_maps BUILD/artifacts/crash-...
#
# Needs clang (libFuzzer) and a kernel that answers bpf() (root): where either is missing the
# run is skipped (exit 77, reason printed); with BPFEMU_REQUIRE_KERNEL=1 (CI) a skip fails.
set -euo pipefail
name=fuzz
time=150
. "$(dirname "$0")/lib.sh"
# Everything the runs write outside the build directory lives here, removed on exit (bash runs
# the EXIT trap when a signal ends it too): the fuzz target's emulator state (FUZZ_MAPS_DIR; each
# run of it made a /tmp/bpfemu-fuzz.XXXXXX it never removed), the self-test's scratch corpora.
work=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
export FUZZ_MAPS_DIR=$work
echo "=== fuzz: build $build"
CC=clang cmake -S "$src/tests/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
fz=$build/fuzz_maps
[ "$mode" = build ] && exit 0

# libFuzzer's own failure status is 77 unless told otherwise, which would read as a skip here.
common=(-error_exitcode=1 -timeout=60 -rss_limit_mb=4096 -print_final_stats=1)
mkdir -p "$build/corpus" "$build/artifacts"
unset BPFEMU_FAULT BPFEMU_NR_CPUS

# Is bpf() permitted? The target exits 77 (its reason printed) when it is not.
set +e
probe=$("$fz" -runs=0 "${common[@]}" "$build/corpus" 2>&1)
rc=$?
set -e
if [ $rc = 77 ]; then
	skip "$(grep -m1 '^SKIP' <<<"$probe" || echo "bpf() is not permitted here")"
elif [ $rc != 0 ]; then
	echo "$probe"
	echo "FAIL fuzz: the target does not start"
	exit 1
fi

if [ "$mode" = self-test ]; then
	# fault:seconds. The map faults are found by fuzzing; those of the program and BTF code
	# (interpreter, helper, BTF check, checker) and the LPM trie's longest match (seed-lpm, an
	# input the fuzzer found with that fault on) by the seeds that exercise them, at the corpus's
	# first pass, so their bound is short.
	for ft in getnext-skip:120 delete-errno:120 lookup-byte:120 interp-alu:15 helper-update-errno:15 \
		btf-vlen:15 check-oob:15 lpm-match:30; do
		fault=${ft%%:*}
		empty=$(mktemp -d "$work/selftest.XXXXXX")
		set +e
		out=$(BPFEMU_FAULT=$fault nice -n 10 "$fz" "${common[@]}" -max_total_time="${ft##*:}" \
			-artifact_prefix="$empty/" "$empty" "$src/tests/fuzz/corpus" 2>&1)
		rc=$?
		set -e
		rm -rf "$empty"
		if [ $rc = 0 ] || ! grep -q '^DIVERGENCE' <<<"$out"; then
			echo "$out" | tail -n 20
			echo "FAIL fuzz self-test: fault $fault was not caught (status $rc)"
			exit 1
		fi
		echo "fuzz self-test: fault $fault caught: $(grep -m1 -A1 '^DIVERGENCE' <<<"$out" | tail -n 1 | sed 's/^ *//')"
	done
	echo "=== fuzz self-test passed"
	exit 0
fi

echo "=== fuzz: ${time}s (nice 10), seed corpus $src/tests/fuzz/corpus"
set +e
nice -n 10 "$fz" "${common[@]}" -max_total_time="$time" -artifact_prefix="$build/artifacts/" \
	"${extra[@]}" "$build/corpus" "$src/tests/fuzz/corpus" >"$build/fuzz.log" 2>&1
rc=$?
set -e
grep -E '^stat::|^#[0-9]+ *DONE' "$build/fuzz.log" || true
if [ $rc != 0 ]; then
	grep -v '^#[0-9]' "$build/fuzz.log" | tail -n 60
	crash=$(ls -t "$build"/artifacts/* 2>/dev/null | head -n 1 || true)
	echo "FAIL fuzz: a divergence or crash (status $rc)${crash:+; replay it with: $fz $crash}"
	exit 1
fi
echo "=== fuzz passed: $(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz.log") executions, no divergence"
