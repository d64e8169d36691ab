#!/usr/bin/env bash
# The test command: builds bpfemu (plain, then ASan+UBSan) and runs every suite in each build.
# Differential tests skip (exit 77, reason printed) where bpf() is not permitted; with
# BPFEMU_REQUIRE_KERNEL=1 (CI) a skip is a failure instead.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

run_build() {
  local dir=$1; shift
  echo "=== build $dir $*"
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== test $dir"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

run_build "$src/build"
run_build "$src/build-asan" -DBPFEMU_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
echo "=== all suites passed"
