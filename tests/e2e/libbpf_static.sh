#!/usr/bin/env bash
# A statically linked libbpf client (tests/e2e/libbpf_static.c): as nobody under bpfemu-run with no
# option (a static program: the seccomp supervisor) it prints what it prints on the kernel as root.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${LIBBPF_STATIC:-}" ] || skip "the static libbpf client was not built (it needs libbpf.a, libelf.a, libz.a and libc.a)"
need_root_and_bpf
need_bpffs
e2e_setup
pins=/sys/fs/bpf/bpfemu-e2e-libbpf-$$
cleanup_pins() { rm -rf "$pins"; }
e2e_cleanup_hooks+=(cleanup_pins)

pin_one_cpu
compare_runs libbpf_static "$stage/bin/libbpf_static" "$pins"
grep -q '^done$' "$tmp/emu.out" || fail "libbpf_static did not finish"
[ -s "$tmp/emu.err" ] && fail "libbpf_static under bpfemu-run wrote to stderr: $(cat "$tmp/emu.err")"
RUN_OPTS=--trace=$tmp/nobody/trace.log compare_runs "libbpf_static --trace" "$stage/bin/libbpf_static" "$pins"
grep -q 'bpf(BPF_MAP_GET_NEXT_ID' "$tmp/nobody/trace.log" || fail "no GET_NEXT_ID in the trace"
echo "trace: $(grep -c 'bpf(BPF_' "$tmp/nobody/trace.log") bpf() calls"
echo "PASS $e2e_name"
