#!/usr/bin/env bash
# The test command: builds bpfemu (plain, then ASan+UBSan) and runs every suite in each build;
# the portable path (here, and cross-built for aarch64 under qemu-user); then the concurrency
# tests (ctest -L stress) under ThreadSanitizer, the differential fuzzer and the map-file fuzzer.
# Differential tests skip (exit 77, reason printed) where bpf() is not permitted; with
# BPFEMU_REQUIRE_KERNEL=1 (CI) a skip is a failure instead.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

# Nothing left behind: every temporary file of the suite goes to a private TMPDIR, which must be
# empty at the end (every test and tool removes what it made); the real bpffs must hold no new
# bpfemu entry (--diff's mirror pins go with their emulated pins). tests/e2e/leftovers.sh checks
# the same for --diff and for tests killed halfway.
suite_tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-suite.XXXXXX")
trap 'rm -rf "$suite_tmp"' EXIT
chmod 755 "$suite_tmp" # the tests that run as nobody reach their own directories through it
export TMPDIR=$suite_tmp
real_bpffs() { ls -A /sys/fs/bpf 2>/dev/null | grep '^bpfemu' | sort || true; }
bpffs_before=$(real_bpffs)

# run_build DIR CMAKE-ARGS...; with LABEL set, builds only TARGETS and runs only that label
run_build() {
  local dir=$1; shift
  echo "=== build $dir $*"
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" ${TARGETS:+--target $TARGETS}
  echo "=== test $dir"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600 ${LABEL:+-L "$LABEL"}
}

# Test builds also build the fault-injecting copies (never installed) that prove --diff and the
# fuzzer catch a planted mistake, and the crash-point copy the kill test dies in (TEST_HOOKS).
run_build "$src/build" -DBPFEMU_FAULT_INJECTION=ON -DBPFEMU_TEST_HOOKS=ON
run_build "$src/build-asan" -DBPFEMU_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug -DBPFEMU_FAULT_INJECTION=ON \
  -DBPFEMU_TEST_HOOKS=ON
# The portable path (no assembly) on this machine: the unit suite, its kernel run and the
# differential suites, which hold every copy and fault rule against the kernel. Built as Release
# (-O3), so the warnings only the optimiser finds (-Wmaybe-uninitialized) fail CI too.
LABEL='^(unit|unit-kernel|diff)$' run_build "$src/build-portable" -DBPFEMU_ARCH_FASTPATH=OFF \
  -DCMAKE_BUILD_TYPE=Release
# The portable path on another architecture: aarch64, cross-built, run under qemu-user. Skips
# (77, reason printed) without the cross toolchain (.ci/deps-cross); CI requires it.
cross() {
  local rc=0
  "$src/tests/cross/aarch64.sh" "$src/build-aarch64" || rc=$?
  [ "$rc" = 77 ] || return "$rc"
}
cross
# ThreadSanitizer: the concurrency tests, which are what it can find anything in.
LABEL=stress TARGETS="stress_ops stress_kill stress_resource mapfile_corrupt" \
  run_build "$src/build-tsan" -DBPFEMU_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug -DBPFEMU_TEST_HOOKS=ON

# The fuzzers (clang's libFuzzer, their own build): first proof that each catches its planted
# faults, then a bounded run from its seed corpus; any divergence, crash, sanitizer report or hang
# fails. They skip (reason printed) without clang (the differential one also without bpf()), and
# fail instead under BPFEMU_REQUIRE_KERNEL=1.
fuzz() {
  local rc=0
  "$src/tests/fuzz/run.sh" "$@" || rc=$?
  [ "$rc" = 77 ] || return "$rc"
}
fuzz --self-test
fuzz --time="${BPFEMU_FUZZ_TIME:-150}"
# The map-file fuzzer (a map file as input: mutated, opened, used; no kernel needed): proof that
# it finds a missing bounds check (planted fault mapfile-nocheck), then a bounded run.
fuzz_mapfile() {
  local rc=0
  "$src/tests/fuzz/run_mapfile.sh" "$@" || rc=$?
  [ "$rc" = 77 ] || return "$rc"
}
fuzz_mapfile --self-test
fuzz_mapfile --time="${BPFEMU_FUZZ_MAPFILE_TIME:-60}"

echo "=== nothing left behind"
left=$(ls -A "$suite_tmp")
if [ -n "$left" ]; then
  echo "FAIL: the suite left files in its TMPDIR ($suite_tmp): $left"
  exit 1
fi
new=$(comm -13 <(echo "$bpffs_before") <(real_bpffs) | tr '\n' ' ')
if [ -n "${new// /}" ]; then
  echo "FAIL: the suite left entries in the real bpffs /sys/fs/bpf: $new"
  exit 1
fi
echo "=== all suites passed"
