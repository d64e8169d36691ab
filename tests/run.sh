#!/usr/bin/env bash
# The test command: builds bpfemu (plain, then ASan+UBSan) and runs every suite in each build;
# the portable path (here, and cross-built for aarch64 under qemu-user); then the concurrency
# tests (ctest -L stress) under ThreadSanitizer, the differential fuzzer and the map-file fuzzer.
# Differential tests skip (exit 77, reason printed) where bpf() is not permitted; with
# BPFEMU_REQUIRE_KERNEL=1 (CI) a skip is a failure instead.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

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
# differential suites, which hold every copy and fault rule against the kernel.
LABEL='^(unit|unit-kernel|diff)$' run_build "$src/build-portable" -DBPFEMU_ARCH_FASTPATH=OFF
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
echo "=== all suites passed"
