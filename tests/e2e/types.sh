#!/usr/bin/env bash
# The map types real tools declare (issue 21), end to end: an unmodified libbpf loader (e2e_types)
# loads a clang-built skeleton object declaring an LPM trie, a bloom filter, a ring buffer, a user
# ring buffer, an array and a hash of maps, a program array and a perf event array, its program
# switched off, and pins the maps; then Debian's bpftool, each command its own process, shows and
# dumps each of them and uses its map verbs on them: LPM keys, the bloom filter's push and peek,
# a map of maps updated with an inner map by id, the inner maps shown. Run as root on the kernel
# and as nobody under bpfemu-run, with the preload and under the seccomp supervisor; the transcripts
# must be identical once ids and memlock are masked.
. "$(dirname "$0")/lib.sh"

step() {
	local rc
	printf '$ %s\n' "${SHOW:-$*}" | sed -e "s|$BPFTOOL|bpftool|" -e "s|$stage/bin/||" -e "s|$stage/||"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	sed 's/^/  /' "$tmp/step.out"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}
bt() { step "$BPFTOOL" "$@"; }
# the id of a pinned map, as this side numbers it
id_of() { "${R[@]}" "$BPFTOOL" -j map show pinned "$1" 2>/dev/null | sed -n 's/.*"id":\([0-9]*\).*/\1/p'; }

maps="cidrs seen events commands outer_array outer_hash jumps perf_events"

scenario() {
	local m id

	step mkdir "$D"
	step "$stage/bin/e2e_types" "$stage/types.bpf.o" "$D"
	echo "# every map"
	for m in $maps; do
		bt map show pinned "$D/$m"
		bt -j map show pinned "$D/$m"
		bt map dump pinned "$D/$m"
	done
	echo "# LPM trie"
	bt map update pinned "$D/cidrs" key 16 0 0 0 192 168 0 0 value 3 0 0 0
	bt map update pinned "$D/cidrs" key 33 0 0 0 192 168 0 0 value 3 0 0 0
	bt map lookup pinned "$D/cidrs" key 32 0 0 0 192 168 7 7
	bt map lookup pinned "$D/cidrs" key 32 0 0 0 172 16 0 1
	bt map getnext pinned "$D/cidrs"
	bt map getnext pinned "$D/cidrs" key 24 0 0 0 10 1 2 0
	bt map dump pinned "$D/cidrs"
	bt -j map dump pinned "$D/cidrs"
	bt map delete pinned "$D/cidrs" key 8 0 0 0 10 0 0 0
	bt map delete pinned "$D/cidrs" key 8 0 0 0 10 0 0 0
	bt map dump pinned "$D/cidrs"
	echo "# bloom filter"
	bt map push pinned "$D/seen" value 7 0 0 0
	bt map peek pinned "$D/seen"
	bt map lookup pinned "$D/seen" key 7 0 0 0
	bt map update pinned "$D/seen" key 7 0 0 0 value 7 0 0 0
	bt map dump pinned "$D/seen"
	bt map getnext pinned "$D/seen"
	bt map delete pinned "$D/seen" key 7 0 0 0
	bt map pop pinned "$D/seen"
	echo "# ring buffers"
	bt map lookup pinned "$D/events" key 0 0 0 0
	bt map dump pinned "$D/events"
	bt map getnext pinned "$D/commands"
	echo "# maps of maps"
	step "$BPFTOOL" map create "$D/in_a" type array key 4 value 8 entries 4 name in_a
	step "$BPFTOOL" map create "$D/in_h" type hash key 4 value 4 entries 8 name in_h
	step "$BPFTOOL" map create "$D/in_x" type array key 4 value 4 entries 4 name in_x
	id=$(id_of "$D/in_a")
	SHOW="bpftool map update pinned $D/outer_array key 0 0 0 0 value id IN_A" \
		bt map update pinned "$D/outer_array" key 0 0 0 0 value id "${id:-0}"
	bt map update pinned "$D/outer_array" key 3 0 0 0 value pinned "$D/in_a"
	bt map update pinned "$D/outer_array" key 2 0 0 0 value pinned "$D/in_x"
	bt map update pinned "$D/outer_hash" key 5 0 0 0 value pinned "$D/in_h"
	bt map update pinned "$D/outer_hash" key 6 0 0 0 value pinned "$D/in_a"
	bt map lookup pinned "$D/outer_array" key 0 0 0 0
	bt map dump pinned "$D/outer_array"
	bt -j map dump pinned "$D/outer_array"
	bt map dump pinned "$D/outer_hash"
	bt -j map dump pinned "$D/outer_hash"
	bt map getnext pinned "$D/outer_array" key 1 0 0 0
	bt map delete pinned "$D/outer_array" key 3 0 0 0
	bt map delete pinned "$D/outer_hash" key 5 0 0 0
	bt map dump pinned "$D/outer_hash"
	echo "# the inner maps: found by id while an outer map holds them"
	step rm "$D/in_a" "$D/in_h"
	bt map show name in_a
	bt map show name in_h
	echo "# program and perf event arrays"
	bt map update pinned "$D/jumps" key 0 0 0 0 value pinned "$D/cidrs"
	bt map lookup pinned "$D/jumps" key 0 0 0 0
	bt map update pinned "$D/perf_events" key 0 0 0 0 value pinned "$D/cidrs"
	bt map lookup pinned "$D/perf_events" key 0 0 0 0
	bt map dump pinned "$D/perf_events"
	step rm -r "$D"
	bt map show name in_a
}

if [ "${1:-}" = --kernel-in-namespace ]; then
	D=$2
	mount -t bpf bpf /sys/fs/bpf || fail "mount -t bpf in a private mount namespace"
	R=(on_kernel)
	scenario
	exit 0
fi

need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
if [ -z "${BPFTOOL:-}" ] || [ ! -x "$BPFTOOL" ]; then skip "bpftool is not installed"; fi
[ -n "${E2E_TYPES:-}" ] && [ -n "${E2E_TYPES_OBJ:-}" ] || skip "e2e_types or its BPF object was not built (clang and libbpf-dev)"
need_root_and_bpf
e2e_setup
cp "$E2E_TYPES" "$stage/bin/" && cp "$E2E_TYPES_OBJ" "$stage/types.bpf.o" && chmod -R a+rX "$stage" || fail "staging"

D=/sys/fs/bpf/bpfemu-e2e-types-$$-$RANDOM

kernel_cleanup() { [ -d "$D" ] && rm -rf "$D"; }
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
elif unshare --mount --propagation private true 2>/dev/null; then
	export tmp stage
	unshare --mount --propagation private bash "$0" --kernel-in-namespace "$D" >"$tmp/kernel.txt" ||
		fail "the kernel side failed: $(tail -n 3 "$tmp/kernel.txt")"
else
	mount -t bpf bpf /sys/fs/bpf || skip "bpffs is not mounted on /sys/fs/bpf and cannot be"
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
fi
grep -q '^  load: 0$' "$tmp/kernel.txt" || fail "the object did not load on the kernel: $(head -n 30 "$tmp/kernel.txt")"

R=(as_nobody "$stage/bin/bpfemu-run" --)
scenario >"$tmp/emu.txt"

mask_ids() {
	sed -E -e 's/^(  )[0-9]+: /\1ID: /' -e 's/"(id|inner_map_id|btf_id)": ?[0-9]+/"\1":ID/g' \
		-e 's/(inner_map_id|btf_id|owner_prog_type)[: ]+[0-9]+/\1 ID/g' -e 's/^(  value: )[0-9]+$/\1ID/' \
		-e 's/"value":[0-9]+/"value":ID/g' "$1"
}
# the values of a map of maps are inner map ids: masked in the output of commands on outer_*
mask_inner() {
	awk '/^\$ / { outer = ($0 ~ /outer_/) } {
		if (outer && $0 !~ /^\$ /) {
			gsub(/value: [0-9a-f][0-9a-f] [0-9a-f][0-9a-f] [0-9a-f][0-9a-f] [0-9a-f][0-9a-f]/, "value: ID")
			gsub(/"value":\["0x[0-9a-f]+","0x[0-9a-f]+","0x[0-9a-f]+","0x[0-9a-f]+"\]/, "\"value\":ID")
		}
		print }'
}
mask() {
	mask_ids "$1" | mask_inner | sed -E -e 's/memlock [0-9]+B/memlock NB/g' -e 's/"bytes_memlock":[0-9]+/"bytes_memlock":N/g'
}
mask "$tmp/kernel.txt" >"$tmp/kernel.masked"
mask "$tmp/emu.txt" >"$tmp/emu.masked"
echo "types scenario: $(grep -c '^\$ ' "$tmp/kernel.masked") commands"
if ! diff -u "$tmp/kernel.masked" "$tmp/emu.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody), ids and memlock masked:"
	cat "$tmp/diff"
	fail "the map types scenario under bpfemu-run differs from the kernel's"
fi
mask_ids "$tmp/kernel.txt" | mask_inner >"$tmp/kernel.ids"
mask_ids "$tmp/emu.txt" | mask_inner >"$tmp/emu.ids"
if ! diff -u "$tmp/kernel.ids" "$tmp/emu.ids" >"$tmp/diff"; then
	echo "note: memlock differs (not a failure):"
	grep '^[-+] ' "$tmp/diff"
fi
# The same under the seccomp supervisor (forced): fds in attrs, in values and from ids reach the
# emulator one call at a time there (an outer map's inner_map_fd once came through twice).
R=(as_nobody "$stage/bin/bpfemu-run" --seccomp --)
scenario >"$tmp/superv.txt"
mask "$tmp/superv.txt" >"$tmp/superv.masked"
if ! diff -u "$tmp/kernel.masked" "$tmp/superv.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run --seccomp (nobody), ids and memlock masked:"
	cat "$tmp/diff"
	fail "the map types scenario under the seccomp supervisor differs from the kernel's"
fi
echo "ok   the same under the seccomp supervisor"
echo "PASS $e2e_name"
