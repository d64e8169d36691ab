#!/usr/bin/env bash
# The portable path on another architecture: cross-build bpfemu for 64-bit Arm, run the unit
# suite under qemu-user, and a preload smoke (an arm64 client whose bpf() calls the preload
# answers: without it qemu-user answers ENOSYS, so a pass cannot come from the host kernel).
#
# Needs gcc-aarch64-linux-gnu, qemu-user and the arm64 test libraries (.ci/deps-cross). Without
# them it says so and exits 77; with BPFEMU_REQUIRE_CROSS=1 (CI) that is a failure instead.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-aarch64}
jobs=$(nproc)

skip() {
  echo "aarch64 cross test skipped: $*"
  if [ "${BPFEMU_REQUIRE_CROSS:-0}" = 1 ]; then
    echo "BPFEMU_REQUIRE_CROSS=1: a skip is a failure"
    exit 1
  fi
  exit 77
}
command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64-linux-gnu-gcc (install: .ci/deps-cross)"
command -v qemu-aarch64 >/dev/null || skip "no qemu-aarch64 (install: .ci/deps-cross)"
[ -e /usr/lib/aarch64-linux-gnu/pkgconfig/check.pc ] || skip "no arm64 Check library (install: .ci/deps-cross)"

echo "=== cross-build $build (aarch64, portable path)"
cmake -S "$src" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFEMU_EXAMPLES=OFF -DBPFEMU_UNIT_VALGRIND=OFF >/dev/null
# bpfemu-run too: the seccomp supervisor in it must build for arm64 (its filter, its 64-bit
# struct layouts); qemu-user cannot run it (a filter would see qemu's own system calls)
cmake --build "$build" -j"$jobs" --target bpfemu-preload bpfemu-run e2e_helper unit-tests
file "$build/lib/libbpfemu-preload.so" | grep -q "ARM aarch64" || { echo "not an aarch64 build"; exit 1; }

echo "=== unit suite under qemu-aarch64"
ctest --test-dir "$build" -L '^unit$' -j"$jobs" --output-on-failure --timeout 600

echo "=== preload smoke under qemu-aarch64"
helper=$build/bin/e2e_helper
preload=$build/lib/libbpfemu-preload.so
if qemu-aarch64 "$helper" probe >/dev/null 2>&1; then
  echo "qemu-aarch64 answered bpf() itself: the smoke could not tell the preload's answers apart"
  exit 1
fi
state=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-cross.XXXXXX")
trap 'rm -rf "$state"' EXIT
for mode in probe fork socket trace; do
  BPFEMU_STATE_DIR=$state qemu-aarch64 -E LD_PRELOAD="$preload" -E BPFEMU_STATE_DIR="$state" "$helper" "$mode"
done
echo "=== aarch64: unit suite and preload smoke passed"
