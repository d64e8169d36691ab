#!/usr/bin/env bash
# Objects another process holds: e2e_helper creates a map and holds it, unpinned, while Debian's
# bpftool, a separate process, finds it by name (GET_NEXT_ID, GET_FD_BY_ID, GET_INFO_BY_FD), shows and
# dumps it; once the holder has exited the map is gone. Run as root on the kernel and as nobody under
# bpfemu-run; the transcripts must be identical once ids and memlock are masked.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
need_root_and_bpf
[ -n "${BPFTOOL:-}" ] || skip "bpftool is not installed (Debian: apt-get install bpftool)"
e2e_setup
cp "$BPFTOOL" "$stage/bin/bpftool"
chmod a+rx "$stage/bin/bpftool"

step() {
	local rc
	printf '$ %s\n' "$*"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	sed 's/^/  /' "$tmp/step.out"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}
bt() { step "$stage/bin/bpftool" "$@"; }

holder_pid=
stop_holder() {
	[ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
	holder_pid=
}
e2e_cleanup_hooks+=(stop_holder)

# scenario SIDE: one run with the side's prefix in R
scenario() {
	local side=$1 i
	rm -f "$tmp/release"
	"${R[@]}" "$stage/bin/e2e_helper" hold "$tmp/release" >"$tmp/hold.$side" 2>&1 &
	holder_pid=$!
	for i in $(seq 500); do
		grep -q ready "$tmp/hold.$side" 2>/dev/null && break
		kill -0 "$holder_pid" 2>/dev/null || break
		sleep 0.02
	done
	grep -q ready "$tmp/hold.$side" || fail "$side: the holder did not start: $(cat "$tmp/hold.$side")"

	echo "# held by a running process"
	bt map show name e2e_held
	bt -j map show name e2e_held
	bt map dump name e2e_held
	bt map lookup name e2e_held key 1 0 0 0

	touch "$tmp/release"
	wait "$holder_pid" || fail "$side: the holder failed: $(cat "$tmp/hold.$side")"
	holder_pid=

	echo "# after the holder exited"
	bt map show name e2e_held
	bt map dump name e2e_held
}

R=(on_kernel)
scenario kernel >"$tmp/kernel.txt"
R=(emulated)
scenario emu >"$tmp/emu.txt"

mask() {
	sed -E -e 's/^(  )[0-9]+: /\1ID: /' -e 's/"id":[0-9]+/"id":ID/g' \
		-e 's/memlock [0-9]+B/memlock NB/g' -e 's/"bytes_memlock":[0-9]+/"bytes_memlock":N/g' \
		-e 's/ pids e2e_helper\([0-9]+\)//' -e 's/,"pids":\[[^]]*\]//' "$1"
}
mask "$tmp/kernel.txt" >"$tmp/kernel.masked"
mask "$tmp/emu.txt" >"$tmp/emu.masked"
echo "objects scenario: $(grep -c '^\$ ' "$tmp/kernel.masked") commands"
if ! diff -u "$tmp/kernel.masked" "$tmp/emu.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody), ids and memlock masked:"
	cat "$tmp/diff"
	fail "another process's map under bpfemu-run differs from the kernel's"
fi
# the test must have seen the map while it was held, and not after
grep -q '"name":"e2e_held"' "$tmp/kernel.masked" || fail "the kernel side never listed the held map"
grep -A3 '^# after' "$tmp/kernel.masked" | grep -q 'exit 0' && fail "the kernel side still listed the map after its holder exited"
cat "$tmp/emu.masked"
echo "PASS $e2e_name"
