#!/usr/bin/env bash
# A Go program on Debian's cilium/ebpf (tests/e2e/goclient): every emulated map type, elements,
# iteration, batches, freeze, pins. As nobody under bpfemu-run with no option (bpfemu-run must see
# it is a Go program and choose the seccomp supervisor) it prints what it prints on the kernel as
# root; the same for its cgo build (dynamically linked, still Go's own system calls), under
# --trace (its calls traced), and with --nr-cpus=5 (the possible-CPU file it sizes per-CPU values by).
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${GOCLIENT:-}" ] || skip "the Go client was not built (it needs golang-go and golang-github-cilium-ebpf-dev)"
need_root_and_bpf
need_bpffs
e2e_setup
pins=/sys/fs/bpf/bpfemu-e2e-go-$$
cleanup_pins() { rm -rf "$pins"; }
e2e_cleanup_hooks+=(cleanup_pins)

# Go moves its threads between CPUs: both sides run on one (see pin_one_cpu).
pin_one_cpu
compare_runs goclient "$stage/bin/goclient" "$pins"
grep -q '^done$' "$tmp/emu.out" || fail "goclient did not finish"
[ -s "$tmp/emu.err" ] && fail "goclient under bpfemu-run wrote to stderr: $(cat "$tmp/emu.err")"

RUN_OPTS=--debug=1 compare_runs "goclient_cgo" "$stage/bin/goclient_cgo" "$pins"
grep -q "is a Go program: the seccomp supervisor" "$tmp/emu.err" || fail "the cgo build was not recognized as Go: $(cat "$tmp/emu.err")"

RUN_OPTS=--trace=$tmp/nobody/trace.log compare_runs "goclient --trace" "$stage/bin/goclient" "$pins"
n=$(grep -c '^\[pid [0-9]*\] bpf(BPF_' "$tmp/nobody/trace.log")
echo "trace: $n bpf() calls"
[ "$n" -ge 100 ] || fail "the trace shows $n calls"
grep -q 'BPF_MAP_LOOKUP_BATCH' "$tmp/nobody/trace.log" || fail "no batch call in the trace"
grep -q 'bpf(BPF_OBJ_PIN, {pathname="/sys/fs/bpf/' "$tmp/nobody/trace.log" || fail "no pin in the trace"

RUN_OPTS=--nr-cpus=5 compare_runs "goclient --nr-cpus=5" "$stage/bin/goclient" "$pins"
echo "PASS $e2e_name"
