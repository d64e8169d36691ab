#!/usr/bin/env bash
# One e2e_helper mode (fork, socket or fds): map fds shared across fork, passed over a unix socket,
# duplicated, closed and exec'd. It runs on the kernel as root first, which checks the test itself,
# then as nobody under bpfemu-run, which checks the emulator.
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: helper.sh fork|socket|fds [static]}
# "static": its statically linked copy, which bpfemu-run runs under the seccomp supervisor
helper=e2e_helper
[ "${2:-}" = static ] && helper=e2e_helper_static
e2e_name="$e2e_name.$mode${2:+.$2}"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
[ "$helper" = e2e_helper ] || need_static E2E_HELPER_STATIC
need_root_and_bpf
e2e_setup

out=$(on_kernel "$stage/bin/$helper" "$mode" 2>&1) || fail "on the kernel as root: $out"
echo "kernel:      $out"
out=$(emulated "$stage/bin/$helper" "$mode" 2>&1) || fail "as nobody under bpfemu-run: $out"
echo "bpfemu-run:  $out"
echo "PASS $e2e_name"
