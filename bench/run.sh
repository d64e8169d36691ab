#!/bin/sh
# Builds bpfemu-bench (Release) and prints the benchmark table: the kernel, the emulator through
# the preload and in process, side by side. Options go to bpfemu-bench (--help lists them);
# `bench/run.sh --callgrind` prints instructions per operation instead of times.
# BPFEMU_BENCH_BUILD names the build directory (default: build-bench in the source tree).
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFEMU_BENCH_BUILD:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bpfemu-bench -j"$(nproc)" >/dev/null
exec "$build/bin/bpfemu-bench" "$@"
