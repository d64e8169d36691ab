#!/usr/bin/env bash
# Issue 16 item 7: runs leave nothing behind.
#  - --diff on a real bpffs (a fresh one, mounted in a private mount namespace): a run that pins
#    nothing leaves nothing (it left an empty bpfemu-diff-UID); a mirror pin lives as long as its
#    emulated pin, and the directory goes with the last one.
#  - tests killed halfway (SIGTERM, as a user's kill sends) remove their temporary files, and the
#    directories they plant under /dev/shm: an e2e test and a diff-mode test, each with a private
#    TMPDIR that must be empty afterwards (their EXIT traps, which bash runs on such a signal too).
# tests/run.sh checks the whole suite the same way (a private TMPDIR, empty at the end).
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
need_root_and_bpf
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
if [ -z "${LEFTOVERS_IN_NS:-}" ]; then
	LEFTOVERS_IN_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
	skip "cannot enter a private mount namespace"
fi
e2e_setup
errors=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}
kb=$tmp/kbpffs
mkdir -p "$kb" "$tmp/root/bpffs"
chmod 700 "$tmp/root"
mount -t bpf bpf "$kb" 2>/dev/null || skip "cannot mount a bpffs (mount -t bpf)"
umount_kb() { umount "$kb" 2>/dev/null; }
e2e_cleanup_hooks+=(umount_kb)
# root's emulator state for this test only; the kernel's mirrors on the fresh bpffs
export BPFEMU_STATE_DIR=$tmp/root BPFEMU_BPFFS=$tmp/root/bpffs BPFEMU_DIFF_BPFFS=$kb
# (a fresh bpffs holds the kernel's maps.debug and progs.debug)
listing() { (cd "$kb" && find . -mindepth 1 ! -name maps.debug ! -name progs.debug | sort | tr '\n' ' '); }

echo "# --diff and the real bpffs"
"$stage/bin/bpfemu-run" --diff "$stage/bin/e2e_helper" probe >"$tmp/out" 2>&1 || bad "--diff probe: $(cat "$tmp/out")"
[ -z "$(listing)" ] && ok "a --diff run that pins nothing leaves nothing in the bpffs" ||
	bad "a --diff run that pins nothing left: $(listing)"
if [ -n "${BPFTOOL:-}" ]; then
	"$stage/bin/bpfemu-run" --diff "$BPFTOOL" map create /sys/fs/bpf/p type hash key 4 value 4 entries 4 name p \
		>"$tmp/out" 2>&1 || bad "--diff bpftool map create: $(cat "$tmp/out")"
	n=$(find "$kb" -mindepth 2 | wc -l)
	[ "$n" = 1 ] && ok "while the map is pinned, its mirror is pinned: $(listing)" ||
		bad "while pinned: want one mirror pin, have: $(listing)"
	"$stage/bin/bpfemu-run" rm /sys/fs/bpf/p || bad "rm of the pin"
	"$stage/bin/bpfemu-run" --diff "$BPFTOOL" map list >"$tmp/out" 2>&1 || bad "--diff map list: $(cat "$tmp/out")"
	[ -z "$(listing)" ] && ok "the pin removed, the next --diff run removes the mirror and its directory" ||
		bad "after the pin was removed: $(listing)"
fi

echo "# tests killed halfway leave no temporary files"
# killed SCRIPT ARGS...: start it with a private TMPDIR, SIGTERM it once it made its directory
killed() {
	local t=$tmp/killed-$1 p i
	mkdir -p "$t"
	chmod 755 "$t"
	env TMPDIR="$t" LEFTOVERS_IN_NS= DIFFMODE_IN_NS= bash "$@" >"$tmp/killed.out" 2>&1 &
	p=$!
	for i in $(seq 100); do
		[ -n "$(ls -A "$t")" ] && break
		sleep 0.05
	done
	[ -n "$(ls -A "$t")" ] || { bad "$1 made no temporary directory"; kill $p; wait $p; return; }
	sleep 0.3
	kill -TERM $p
	wait $p
	for i in $(seq 100); do
		[ -z "$(ls -A "$t")" ] && break
		sleep 0.05
	done
	[ -z "$(ls -A "$t")" ] && ok "$1, killed: left nothing in its TMPDIR" || bad "$1, killed: left $(ls -A "$t")"
}
killed "$(dirname "$0")/guard.sh"
if [ -f "$(dirname "$0")/../diffmode/diffmode.sh" ] && [ -n "${BPFTOOL:-}" ]; then
	killed "$(dirname "$0")/../diffmode/diffmode.sh" bpftool
fi
for u in 3000001 3000002 3000003 3000004; do
	[ -e "/dev/shm/bpfemu-$u" ] && bad "/dev/shm/bpfemu-$u was left by a killed test"
done

[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
