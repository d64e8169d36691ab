#!/usr/bin/env bash
# Preloaded and supervised programs share one emulator: the same state directory, emulated bpffs
# and ids. Debian's bpftool (dynamically linked: bpfemu-run preloads it) pins a map, the Go client
# (a Go program: bpfemu-run supervises it) opens the pin, reads and changes it, and pins a map of
# its own, which bpftool then shows and dumps (BPF_F_ZERO_SEED: the dump in the kernel's order).
# Each command is its own process under bpfemu-run with no option, as nobody; the transcript must
# be the kernel's (as root), where the ids the two programs see are compared instead of printed.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${GOCLIENT:-}" ] || skip "the Go client was not built (it needs golang-go and golang-github-cilium-ebpf-dev)"
[ -n "${BPFTOOL:-}" ] || skip "bpftool is not installed"
need_root_and_bpf
need_bpffs
e2e_setup
D=/sys/fs/bpf/bpfemu-e2e-mixed-$$
cleanup_pins() { rm -rf "$D"; }
e2e_cleanup_hooks+=(cleanup_pins)

# step CMD...: one command with the side's prefix (R), its output and exit status
step() {
	local rc
	printf '$ %s\n' "$*" | sed "s|$BPFTOOL|bpftool|; s|$stage/bin/||"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	sed 's/^/  /' "$tmp/step.out"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}
scenario() {
	step mkdir "$D"
	step "$BPFTOOL" map create "$D/m" type hash key 4 value 8 entries 8 name mixed flags 0x40
	step "$BPFTOOL" map update pinned "$D/m" key 1 0 0 0 value 10 0 0 0 0 0 0 0
	step "$stage/bin/goclient" pinned "$D"
	step "$BPFTOOL" map show pinned "$D/m"
	step "$BPFTOOL" map dump pinned "$D/m"
	step "$BPFTOOL" map show pinned "$D/gomade"
	step "$BPFTOOL" map dump pinned "$D/gomade"
	step rm -r "$D"
}

run_side() {
	R=("$@")
	scenario >"$tmp/side.raw"
	# the ids: the Go client's must be bpftool's, for both maps; then masked
	local gm gg bm bg
	gm=$(sed -n 's/^  id of m: //p' "$tmp/side.raw")
	gg=$(sed -n 's/^  id of gomade: //p' "$tmp/side.raw")
	bm=$(sed -n 's/^  \([0-9]*\): hash  name mixed .*/\1/p' "$tmp/side.raw")
	bg=$(sed -n 's/^  \([0-9]*\): hash  name gomade .*/\1/p' "$tmp/side.raw")
	sed -E 's/^  id of (m|gomade): [0-9]+$/  id of \1: ID/; s/^  [0-9]+: hash  name/  ID: hash  name/; s/memlock [0-9]+B/memlock NB/' "$tmp/side.raw"
	echo "ids of m, Go and bpftool: $([ -n "$gm" ] && [ "$gm" = "$bm" ] && echo same || echo "DIFFERENT ($gm, $bm)")"
	echo "ids of gomade, Go and bpftool: $([ -n "$gg" ] && [ "$gg" = "$bg" ] && echo same || echo "DIFFERENT ($gg, $bg)")"
}

run_side env -u LD_PRELOAD >"$tmp/kernel.out"
run_side as_nobody "$stage/bin/bpfemu-run" -- >"$tmp/emu.out"
if ! diff -u "$tmp/kernel.out" "$tmp/emu.out"; then
	fail "preloaded bpftool and the supervised Go client under bpfemu-run differ from the kernel"
fi
cat "$tmp/emu.out"
grep -q "ids of m, Go and bpftool: same" "$tmp/emu.out" || fail "the Go client and bpftool see different ids of m"
grep -q "ids of gomade, Go and bpftool: same" "$tmp/emu.out" || fail "the Go client and bpftool see different ids of gomade"
grep -q '^  key: 02 00 00 00  value: 14 00' "$tmp/emu.out" || fail "bpftool did not see the Go client's element"
echo "PASS $e2e_name"
