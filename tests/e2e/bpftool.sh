#!/usr/bin/env bash
# bpftool (Debian's, unmodified), each command its own process: one scenario over pinned maps of every
# emulated type, run as nobody under bpfemu-run and as root on the kernel. The transcripts (each
# command's stdout, stderr and exit status) must be identical once map ids and memlock are masked.
# The pin directory has the same /sys/fs/bpf path on both sides; under bpfemu-run it lives in the
# test's private BPFEMU_BPFFS.
. "$(dirname "$0")/lib.sh"

# step CMD...: run one command with the side's prefix (R) and record it. SHOW, when set, is how the
# command is written in the transcript (for arguments that differ between the sides, like an id).
step() {
	local rc
	printf '$ %s\n' "${SHOW:-$*}" | sed "s|$BPFTOOL|bpftool|"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	sed 's/^/  /' "$tmp/step.out"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}
bt() { step "$BPFTOOL" "$@"; }

scenario() {
	local id k

	step mkdir "$D"
	step stat -f -c %T "$D"

	echo "# hash"
	bt map create "$D/hash" type hash key 4 value 8 entries 16 name e2e_hash flags 0x40
	bt map show pinned "$D/hash"
	bt -j map show pinned "$D/hash"
	bt map update pinned "$D/hash" key 1 0 0 0 value 10 0 0 0 0 0 0 0
	bt map update pinned "$D/hash" key 2 0 0 0 value 20 0 0 0 0 0 0 0 noexist
	bt map update pinned "$D/hash" key 2 0 0 0 value 21 0 0 0 0 0 0 0 noexist
	bt map update pinned "$D/hash" key 3 0 0 0 value 30 0 0 0 0 0 0 0 exist
	bt map update pinned "$D/hash" key 2 0 0 0 value 22 0 0 0 0 0 0 0 exist
	bt map update pinned "$D/hash" key 3 0 0 0 value 30 0 0 0 0 0 0 0 any
	bt map update pinned "$D/hash" key hex 11 12 13 14 value hex ff ee dd cc bb aa 99 88
	bt map lookup pinned "$D/hash" key 2 0 0 0
	bt -j map lookup pinned "$D/hash" key 2 0 0 0
	bt map lookup pinned "$D/hash" key 9 0 0 0
	bt map dump pinned "$D/hash"
	bt -j map dump pinned "$D/hash"
	bt map getnext pinned "$D/hash"
	bt map getnext pinned "$D/hash" key 2 0 0 0
	bt map getnext pinned "$D/hash" key 9 0 0 0
	bt -j map getnext pinned "$D/hash" key 3 0 0 0
	bt map delete pinned "$D/hash" key 1 0 0 0
	bt map delete pinned "$D/hash" key 1 0 0 0
	bt map dump pinned "$D/hash"
	bt map freeze pinned "$D/hash"
	bt map freeze pinned "$D/hash"
	bt map update pinned "$D/hash" key 5 0 0 0 value 1 0 0 0 0 0 0 0
	bt map delete pinned "$D/hash" key 2 0 0 0
	bt map lookup pinned "$D/hash" key 2 0 0 0
	bt map show pinned "$D/hash"
	bt -j map show pinned "$D/hash"
	id=$("${R[@]}" "$BPFTOOL" -j map show pinned "$D/hash" 2>/dev/null | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
	SHOW="bpftool map show id ID" bt map show id "${id:-0}"
	SHOW="bpftool map dump id ID" bt map dump id "${id:-0}"

	echo "# percpu_hash"
	bt map create "$D/percpu" type percpu_hash key 4 value 8 entries 8 name e2e_percpu flags 0x40
	bt map update pinned "$D/percpu" key 1 0 0 0 value 1 0 0 0 0 0 0 0
	bt map update pinned "$D/percpu" key 2 0 0 0 value 2 0 0 0 0 0 0 0 noexist
	bt map update pinned "$D/percpu" key 3 0 0 0 value 3 0 0 0 0 0 0 0 any
	bt map update pinned "$D/percpu" key 1 0 0 0 value 4 0 0 0 0 0 0 0 exist
	bt map update pinned "$D/percpu" key 2 0 0 0 value 5 0 0 0 0 0 0 0 noexist
	bt map lookup pinned "$D/percpu" key 1 0 0 0
	bt map dump pinned "$D/percpu"
	bt -j map dump pinned "$D/percpu"
	bt map getnext pinned "$D/percpu" key 1 0 0 0
	bt map delete pinned "$D/percpu" key 3 0 0 0
	bt map show pinned "$D/percpu"

	echo "# lru_hash"
	bt map create "$D/lru" type lru_hash key 4 value 4 entries 32 name e2e_lru flags 0x40
	for k in 1 2 3 4 5 6; do
		bt map update pinned "$D/lru" key "$k" 0 0 0 value "$k" 1 0 0
	done
	bt map update pinned "$D/lru" key 3 0 0 0 value 33 0 0 0 exist
	bt map update pinned "$D/lru" key 3 0 0 0 value 34 0 0 0 noexist
	bt map update pinned "$D/lru" key 7 0 0 0 value 7 0 0 0 exist
	bt map dump pinned "$D/lru"
	bt -j map dump pinned "$D/lru"
	bt map delete pinned "$D/lru" key 4 0 0 0
	bt map getnext pinned "$D/lru" key 4 0 0 0
	bt map lookup pinned "$D/lru" key 3 0 0 0
	bt map show pinned "$D/lru"

	echo "# array"
	bt map create "$D/array" type array key 4 value 4 entries 4 name e2e_array
	bt map update pinned "$D/array" key 1 0 0 0 value 7 0 0 0
	bt map update pinned "$D/array" key 2 0 0 0 value 8 0 0 0 exist
	bt map update pinned "$D/array" key 1 0 0 0 value 9 0 0 0 noexist
	bt map update pinned "$D/array" key 4 0 0 0 value 7 0 0 0
	bt map lookup pinned "$D/array" key 1 0 0 0
	bt map lookup pinned "$D/array" key 4 0 0 0
	bt map dump pinned "$D/array"
	bt -j map dump pinned "$D/array"
	bt map getnext pinned "$D/array" key 2 0 0 0
	bt map getnext pinned "$D/array" key 3 0 0 0
	bt map delete pinned "$D/array" key 1 0 0 0
	bt map freeze pinned "$D/array"
	bt map update pinned "$D/array" key 1 0 0 0 value 9 0 0 0
	bt map show pinned "$D/array"
	bt -j map show pinned "$D/array"

	echo "# queue"
	bt map create "$D/queue" type queue key 0 value 4 entries 3 name e2e_queue
	bt map push pinned "$D/queue" value 1 0 0 0
	bt map enqueue pinned "$D/queue" value 2 0 0 0
	bt map push pinned "$D/queue" value 3 0 0 0
	bt map push pinned "$D/queue" value 4 0 0 0
	bt map peek pinned "$D/queue"
	bt -j map peek pinned "$D/queue"
	bt map pop pinned "$D/queue"
	bt map dequeue pinned "$D/queue"
	bt -j map pop pinned "$D/queue"
	bt map pop pinned "$D/queue"
	bt map peek pinned "$D/queue"
	bt map dump pinned "$D/queue"
	bt map show pinned "$D/queue"

	echo "# stack"
	bt map create "$D/stack" type stack key 0 value 4 entries 3 name e2e_stack
	bt map push pinned "$D/stack" value 1 0 0 0
	bt map push pinned "$D/stack" value 2 0 0 0
	bt map push pinned "$D/stack" value 3 0 0 0
	bt map push pinned "$D/stack" value 4 0 0 0
	bt map peek pinned "$D/stack"
	bt map pop pinned "$D/stack"
	bt -j map pop pinned "$D/stack"
	bt map pop pinned "$D/stack"
	bt map pop pinned "$D/stack"
	bt map show pinned "$D/stack"

	echo "# unpin"
	step rm "$D/hash"
	bt map show pinned "$D/hash"
	bt map dump pinned "$D/hash"
	step rm "$D/percpu" "$D/lru" "$D/array" "$D/queue" "$D/stack"
	bt map show pinned "$D/array"
	step rmdir "$D"
	step stat -c %F "$D"
}

# Inside a private mount namespace (see below): bpffs on /sys/fs/bpf for this run only.
if [ "${1:-}" = --kernel-in-namespace ]; then
	D=$2
	mount -t bpf bpf /sys/fs/bpf || fail "mount -t bpf in a private mount namespace"
	R=(on_kernel)
	scenario
	exit 0
fi

need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
if [ -z "${BPFTOOL:-}" ] || [ ! -x "$BPFTOOL" ]; then skip "bpftool is not installed"; fi
need_root_and_bpf
e2e_setup

D=/sys/fs/bpf/bpfemu-e2e-$$-$RANDOM

# The kernel side, as root. bpffs on /sys/fs/bpf: the host's when it is mounted (a unique directory,
# removed afterwards); else one mounted in a private mount namespace, which vanishes with it; else
# mounted on the host as bpftool itself would.
kernel_cleanup() { [ -d "$D" ] && rm -rf "$D"; }
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
elif unshare --mount --propagation private true 2>/dev/null; then
	export tmp
	unshare --mount --propagation private bash "$0" --kernel-in-namespace "$D" >"$tmp/kernel.txt" ||
		fail "the kernel side failed: $(tail -n 3 "$tmp/kernel.txt")"
else
	mount -t bpf bpf /sys/fs/bpf || skip "bpffs is not mounted on /sys/fs/bpf and cannot be"
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
fi
grep -q '^  [0-9]*: hash  name e2e_hash  flags 0x40$' "$tmp/kernel.txt" ||
	fail "the kernel side did not create its maps: $(head -n 20 "$tmp/kernel.txt")"

# The emulated side, as nobody
R=(as_nobody "$stage/bin/bpfemu-run" --)
scenario >"$tmp/emu.txt"

mask_ids() {
	sed -E -e 's/^(  )[0-9]+: /\1ID: /' -e 's/"id":[0-9]+/"id":ID/g' "$1"
}
mask() {
	mask_ids "$1" | sed -E -e 's/memlock [0-9]+B/memlock NB/g' -e 's/"bytes_memlock":[0-9]+/"bytes_memlock":N/g'
}
mask "$tmp/kernel.txt" >"$tmp/kernel.masked"
mask "$tmp/emu.txt" >"$tmp/emu.masked"
echo "bpftool scenario: $(grep -c '^\$ ' "$tmp/kernel.masked") commands"
if ! diff -u "$tmp/kernel.masked" "$tmp/emu.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody), ids and memlock masked:"
	cat "$tmp/diff"
	fail "bpftool's output under bpfemu-run differs from the kernel's"
fi
# memlock is masked above, but the design wants it to match too: report, don't fail
mask_ids "$tmp/kernel.txt" >"$tmp/kernel.ids"
mask_ids "$tmp/emu.txt" >"$tmp/emu.ids"
if ! diff -u "$tmp/kernel.ids" "$tmp/emu.ids" >"$tmp/diff"; then
	echo "note: memlock differs (not a failure):"
	grep '^[-+] ' "$tmp/diff"
fi
echo "PASS $e2e_name"
