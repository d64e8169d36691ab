#!/usr/bin/env bash
# Issue 17 item 12, end to end: an LRU map's evictions follow the CPU each insert runs on. Debian's
# bpftool, one process per command, each pinned with taskset to CPU A or B (the first two this test
# may use), inserts, replaces and deletes keys in pinned LRU maps (common and NO_COMMON_LRU,
# LRU_HASH and LRU_PERCPU_HASH); the map is dumped after each phase. Run as root on the kernel and
# as nobody under bpfemu-run; the transcripts must be identical. BPF_F_ZERO_SEED (0x40) makes the
# dump order comparable. Needs 2 usable CPUs: skips (77) with fewer.
. "$(dirname "$0")/lib.sh"

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
# on CPU n (0 or 1: CPU A or B)
on() {
	local c=$1
	shift
	SHOW="[cpu $c] bpftool $*" step taskset -c "${CPUS[$c]}" "$BPFTOOL" "$@"
}
key() { echo "$(($1 & 255)) $(($1 >> 8 & 255)) 0 0"; }

scenario() {
	local k m

	step mkdir "$D"
	echo "# common LRU, max 16: keys 0-19 alternating CPUs (the kernel keeps 12)"
	bt map create "$D/c16" type lru_hash key 4 value 4 entries 16 name lru_c16 flags 0x40
	for k in $(seq 0 19); do
		on $((k & 1)) map update pinned "$D/c16" key $(key $k) value $(key $k)
	done
	bt map dump pinned "$D/c16"
	echo "# ... then deletes on the other CPU, and inserts in blocks of 3 per CPU"
	for k in 1 5 9 13 17 19; do
		on 0 map delete pinned "$D/c16" key $(key $k)
	done
	for k in $(seq 100 123); do
		on $((k / 3 & 1)) map update pinned "$D/c16" key $(key $k) value $(key $k)
	done
	bt map dump pinned "$D/c16"

	echo "# NO_COMMON_LRU, max 8: keys 0-3 on CPU A, 4-7 on CPU B (the kernel keeps all 8)"
	bt map create "$D/n8" type lru_hash key 4 value 4 entries 8 name lru_n8 flags 0x42
	for k in $(seq 0 7); do
		on $((k / 4)) map update pinned "$D/n8" key $(key $k) value $(key $k)
	done
	bt map dump pinned "$D/n8"
	for k in $(seq 8 15); do
		on $((k & 1)) map update pinned "$D/n8" key $(key $k) value $(key $k)
	done
	bt map dump pinned "$D/n8"

	echo "# LRU_PERCPU_HASH, common and NO_COMMON_LRU, max 8: alternating CPUs, replaces, deletes"
	for m in 0x40 0x42; do
		bt map create "$D/p$m" type lru_percpu_hash key 4 value 4 entries 8 name lru_p flags $m
		for k in $(seq 0 11); do
			on $((k & 1)) map update pinned "$D/p$m" key $(key $k) value $(key $k)
		done
		bt map dump pinned "$D/p$m"
		on 1 map update pinned "$D/p$m" key $(key 10) value 7 7 7 7 exist
		on 0 map delete pinned "$D/p$m" key $(key 11)
		for k in $(seq 20 27); do
			on $((k / 2 & 1)) map update pinned "$D/p$m" key $(key $k) value $(key $k)
		done
		bt map dump pinned "$D/p$m"
	done

	echo "# unpin"
	step rm "$D/c16" "$D/n8" "$D/p0x40" "$D/p0x42"
	step rmdir "$D"
}

if [ "${1:-}" = --kernel-in-namespace ]; then
	D=$2
	read -r -a CPUS <<<"$3"
	mount -t bpf bpf /sys/fs/bpf || fail "mount -t bpf in a private mount namespace"
	R=(on_kernel)
	scenario
	exit 0
fi

need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
if [ -z "${BPFTOOL:-}" ] || [ ! -x "$BPFTOOL" ]; then skip "bpftool is not installed"; fi
command -v taskset >/dev/null || skip "taskset (util-linux) is not installed"
need_root_and_bpf
# the first two CPUs this process may run on
mapfile -t CPUS < <(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
	awk -F- '{ hi = NF > 1 ? $2 : $1; for (c = $1; c <= hi; c++) print c }' | head -n 2)
[ "${#CPUS[@]}" -ge 2 ] || skip "fewer than 2 CPUs usable here ($(taskset -cp $$ | sed 's/.*: //')): LRU lists are per CPU"
e2e_setup

D=/sys/fs/bpf/bpfemu-e2e-$$-$RANDOM
kernel_cleanup() { [ -d "$D" ] && rm -rf "$D"; }
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
elif unshare --mount --propagation private true 2>/dev/null; then
	export tmp
	unshare --mount --propagation private bash "$0" --kernel-in-namespace "$D" "${CPUS[*]}" >"$tmp/kernel.txt" ||
		fail "the kernel side failed: $(tail -n 3 "$tmp/kernel.txt")"
else
	mount -t bpf bpf /sys/fs/bpf || skip "bpffs is not mounted on /sys/fs/bpf and cannot be"
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
fi
grep -q '^  Found 12 elements$' "$tmp/kernel.txt" ||
	fail "the kernel side did not run the scenario as expected: $(head -n 60 "$tmp/kernel.txt")"

R=(as_nobody "$stage/bin/bpfemu-run" --)
scenario >"$tmp/emu.txt"

echo "LRU scenario on CPUs ${CPUS[0]} and ${CPUS[1]}: $(grep -c '^\$ ' "$tmp/kernel.txt") commands"
if ! diff -u "$tmp/kernel.txt" "$tmp/emu.txt" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody):"
	cat "$tmp/diff"
	fail "LRU evictions under bpfemu-run differ from the kernel's"
fi
echo "PASS $e2e_name"
