#!/usr/bin/env bash
# examples/flowcount, an unmodified libbpf program: as nobody under bpfemu-run it prints exactly what
# it prints on the kernel as root, and as nobody without bpfemu-run it fails with EPERM, so the shim
# is what makes it work.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${FLOWCOUNT:-}" ] || skip "examples/flowcount was not built (it needs libbpf-dev)"
need_root_and_bpf
e2e_setup

on_kernel "$stage/bin/flowcount" >"$tmp/kernel.out" 2>"$tmp/kernel.err" ||
	fail "flowcount fails on the kernel as root: $(cat "$tmp/kernel.err")"
grep -q '^flowcount: done$' "$tmp/kernel.out" || fail "flowcount on the kernel did not finish"

emulated "$stage/bin/flowcount" >"$tmp/emu.out" 2>"$tmp/emu.err"
rc=$?
if [ $rc != 0 ] || ! diff -u "$tmp/kernel.out" "$tmp/emu.out" >"$tmp/diff"; then
	echo "--- kernel (root) vs +++ bpfemu-run (nobody):"
	diff -u "$tmp/kernel.out" "$tmp/emu.out"
	echo "stderr under bpfemu-run:"
	cat "$tmp/emu.err"
	fail "flowcount under bpfemu-run (exit $rc) differs from the kernel"
fi
# the emulated run must be quiet: no diagnostics unless asked for
[ -s "$tmp/emu.err" ] && fail "flowcount under bpfemu-run wrote to stderr: $(cat "$tmp/emu.err")"

as_nobody "$stage/bin/flowcount" >"$tmp/plain.out" 2>"$tmp/plain.err"
rc=$?
[ $rc != 0 ] || fail "flowcount as nobody without bpfemu-run succeeded: the kernel allows unprivileged bpf() here, so this test proves nothing"
grep -q 'EPERM' "$tmp/plain.err" ||
	fail "flowcount as nobody without bpfemu-run failed (exit $rc) without EPERM: $(cat "$tmp/plain.err")"

echo "PASS $e2e_name: $(wc -l <"$tmp/kernel.out") identical lines on the kernel and under bpfemu-run;" \
	"without it: $(cat "$tmp/plain.err")"
