#!/usr/bin/env bash
# bpfemu-run never lets a program it started run its bpf() calls on the kernel unless --diff was
# asked for, and never runs with state it cannot trust (issue 16 items 2, 4 and 6, issue 24):
#  - a preload the dynamic loader would refuse (not ELF, another architecture, unreadable) stops
#    bpfemu-run with 125 before the program starts; one it refuses anyway, or a library that is not
#    bpfemu's, runs the program with its bpf() calls refused (ENOSYS, never the kernel: as root a
#    bpftool pin would land in the real /sys/fs/bpf) and ends with 125 for want of the handshake;
#  - a static program, or a static grandchild, meets the seccomp net; set-user-ID programs run with
#    the library and without their privilege (warned); --diff refuses the second, and a static
#    program forced under the preload (the supervisor compares a static program's calls);
#  - an unopenable --trace FILE, a bad or planted bpffs root or state directory: 125 and why;
#  - --clean removes one user's pins, no one else's;
#  - signals: killing bpfemu-run kills the program, its status is the program's.
# Runs as root (the kernel must be reachable for "never reached it" to mean anything) and as nobody.
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
need_root_and_bpf
e2e_setup
[ -n "${E2E_FAKE_PRELOAD:-}" ] && cp "$E2E_FAKE_PRELOAD" "$stage/lib/libfake.so" && chmod a+r "$stage/lib/libfake.so"

run=$stage/bin/bpfemu-run
helper=$stage/bin/e2e_helper
errors=0
# Other users' directories this test plants under /dev/shm: uids no account has.
VICTIM=3000002 ATTACKER=3000001 U1=3000003 U2=3000004
real_pin=/sys/fs/bpf/bpfemu-guard-$$
guard_cleanup() {
	local u
	for u in $VICTIM $U1 $U2; do
		[ -e "$tmp/planted-$u" ] || continue
		# a process of the test's own uid still running (the test killed halfway) could make the
		# directory again after it is removed: those uids are the test's alone
		pkill -KILL -U "$u" 2>/dev/null && sleep 0.1
		rm -rf "/dev/shm/bpfemu-$u"
	done
	rm -f "$real_pin"
}
e2e_cleanup_hooks+=(guard_cleanup)

ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}
# status WANT WHAT CMD...: exit status WANT; stdout and stderr kept in $tmp/out, $tmp/err
status() {
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what: exit $rc"
	else
		bad "$what: exit $rc, want $want; stdout: $(head -c 600 "$tmp/out"); stderr: $(head -c 600 "$tmp/err")"
	fi
}
has() { # has FILE TEXT WHAT
	if grep -q -- "$2" "$tmp/$1"; then ok "$3"; else bad "$3: no \"$2\" in $1: $(head -c 600 "$tmp/$1")"; fi
}
lacks() {
	if grep -q -- "$2" "$tmp/$1"; then bad "$3: \"$2\" in $1"; else ok "$3"; fi
}

echo "# preloads the dynamic loader would not load: 125 before the program starts"
status 125 "BPFEMU_PRELOAD=/etc/passwd" env BPFEMU_PRELOAD=/etc/passwd "$run" touch "$tmp/ran"
has err "not an ELF file" "/etc/passwd: says why"
[ -e "$tmp/ran" ] && bad "/etc/passwd: the program ran" || ok "/etc/passwd: the program did not run"
cp "$stage/lib/libbpfemu-preload.so" "$stage/lib/arm64.so"
printf '\xb7\x00' | dd of="$stage/lib/arm64.so" bs=1 seek=18 conv=notrunc status=none # e_machine: EM_AARCH64
status 125 "a preload of another architecture" "$run" --preload="$stage/lib/arm64.so" touch "$tmp/ran"
has err "machine 183" "another architecture: says which"
[ -e "$tmp/ran" ] && bad "another architecture: the program ran" || ok "another architecture: the program did not run"
cp "$stage/lib/libbpfemu-preload.so" "$stage/lib/unreadable.so"
chmod 000 "$stage/lib/unreadable.so"
status 125 "an unreadable preload (nobody)" as_nobody "$run" --preload="$stage/lib/unreadable.so" true
has err "cannot be read" "unreadable: says why"

echo "# preloads loaded without effect: the program runs with bpf() refused, then 125 (no handshake)"
cp "$stage/lib/libbpfemu-preload.so" "$stage/lib/osabi.so"
printf '\x61' | dd of="$stage/lib/osabi.so" bs=1 seek=7 conv=notrunc status=none # EI_OSABI: ld.so says invalid
status 125 "a preload ld.so drops (ELF OS ABI invalid)" "$run" --preload="$stage/lib/osabi.so" "$helper" probe
has err "cannot be preloaded" "OS ABI: ld.so said it dropped the library"
has out "Function not implemented" "OS ABI: the program's bpf() got ENOSYS, not the kernel's map"
has err "no handshake" "OS ABI: says there was no handshake"
status 0 "the same program on its own reaches the kernel (the check is live)" on_kernel "$helper" probe
head -c 8192 "$stage/lib/libbpfemu-preload.so" >"$stage/lib/truncated.so"
chmod a+r "$stage/lib/truncated.so"
status 125 "a truncated preload (ld.so dies of SIGBUS on it)" "$run" --preload="$stage/lib/truncated.so" "$helper" probe
has err "no handshake" "truncated: says there was no handshake"
has err "signal" "truncated: says how the program ended"
if [ -n "${E2E_FAKE_PRELOAD:-}" ]; then
	status 125 "a library that is not bpfemu's" "$run" --preload="$stage/lib/libfake.so" "$helper" probe
	has out "Function not implemented" "not bpfemu's: the program's bpf() got ENOSYS"
	has err "no handshake" "not bpfemu's: says there was no handshake"
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && [ -n "${BPFTOOL:-}" ]; then
		status 125 "not bpfemu's: bpftool pinning in /sys/fs/bpf" "$run" --preload="$stage/lib/libfake.so" \
			"$BPFTOOL" map create "$real_pin" type array key 4 value 4 entries 1 name bpfemu_guard
		[ -e "$real_pin" ] && bad "a real pin $real_pin was made on the kernel" || ok "nothing pinned in the real bpffs"
	else
		echo "note: no bpffs at /sys/fs/bpf (or no bpftool): the real-pin check is not run"
	fi
fi
# the same bpftool call on the kernel does pin: the check above can fail
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && [ -n "${BPFTOOL:-}" ]; then
	on_kernel "$BPFTOOL" map create "$real_pin" type array key 4 value 4 entries 1 name bpfemu_guard &&
		[ -e "$real_pin" ] && ok "the check is live: without bpfemu-run, bpftool pins $real_pin" ||
		bad "bpftool could not pin on the kernel: the real-pin check proves nothing"
	rm -f "$real_pin"
fi

echo "# the seccomp net: programs the preload cannot reach"
if [ -n "${E2E_STATIC:-}" ]; then
	status 3 "static program, on its own as root" on_kernel "$stage/bin/e2e_static"
	has out "bpf: a map" "static on its own: reaches the kernel (the check is live)"
	status 3 "static program under bpfemu-run: the seccomp supervisor answers" "$run" "$stage/bin/e2e_static"
	has out "bpf: a map" "static under bpfemu-run: its map is an emulated one (the supervisor)"
	status 3 "static program under bpfemu-run --preload" "$run" --preload "$stage/bin/e2e_static"
	has out "bpf: Function not implemented" "static under --preload: ENOSYS"
	has err "statically linked" "static under --preload: warned"
	status 3 "a static grandchild" "$run" sh -c "\"$stage/bin/e2e_static\""
	has out "bpf: Function not implemented" "static grandchild: ENOSYS"
	status 3 "--diff with a static program: the supervisor compares its calls" "$run" --diff "$stage/bin/e2e_static"
	has out "bpf: a map" "--diff static: its call answered"
	has err "bpfemu diff: 1 calls compared, 0 divergences" "--diff static: its call compared with the kernel's"
	status 125 "--diff with a static program forced under the preload" "$run" --preload --diff "$stage/bin/e2e_static"
	has err "the preload library cannot reach it" "--preload --diff static: says why"
else
	echo "note: no static test program: the static checks are not run"
fi
cp "$helper" "$stage/bin/setuid_helper"
chown nobody "$stage/bin/setuid_helper"
chmod 4755 "$stage/bin/setuid_helper"
status 0 "a set-user-ID program runs emulated" "$run" "$stage/bin/setuid_helper" fork
has err "set-user-ID" "set-user-ID: warned"
status 125 "--diff with a set-user-ID program" "$run" --diff "$stage/bin/setuid_helper" probe
has err "set-user-ID" "--diff set-user-ID: says why"
status 0 "--diff is not netted: its kernel calls work" "$run" --diff "$helper" probe
status 0 "the handshake, at --debug=1" "$run" --debug=1 true
has err "handshake from true" "--debug=1 shows the handshake"

echo "# trace files and state directories: 125 and why"
status 125 "--trace=FILE in a missing directory" "$run" --trace="$tmp/missing/trace.log" true
has err "cannot open the trace file" "--trace: says why"
status 125 "BPFEMU_TRACE=FILE unopenable" env BPFEMU_TRACE="$tmp/missing/trace.log" "$run" true
status 125 "--bpffs under /proc" as_nobody "$run" --bpffs=/proc/1/bpffs true
status 125 "--bpffs a file" as_nobody "$run" --bpffs=/etc/passwd true
has err "not a directory" "--bpffs a file: says why"
mkdir -p "$tmp/nobody/ro" && chmod 500 "$tmp/nobody/ro" && chown nobody "$tmp/nobody/ro"
status 125 "--bpffs not writable" as_nobody "$run" --bpffs="$tmp/nobody/ro" true
has err "not writable" "--bpffs not writable: says why"
mkdir -p "$tmp/open" && chmod 777 "$tmp/open"
chown nobody "$tmp/open"
status 125 "--bpffs world-writable" as_nobody "$run" --bpffs="$tmp/open" true
has err "world-writable" "--bpffs world-writable: says why"
status 125 "BPFEMU_STATE_DIR world-writable" as_nobody env BPFEMU_STATE_DIR="$tmp/open" "$run" true
(cd "$tmp/nobody" && as_nobody env BPFEMU_BPFFS=relfs "$run" printenv BPFEMU_BPFFS) >"$tmp/out" 2>"$tmp/err"
has out "^$tmp/nobody/relfs\$" "a relative BPFEMU_BPFFS is made absolute"
[ "$(stat -c %a "$tmp/nobody/relfs" 2>/dev/null)" = 700 ] && ok "and created 0700" || bad "relfs not created 0700"
# issue 24: another user plants the victim's default state directory before its first run
if [ ! -e "/dev/shm/bpfemu-$VICTIM" ]; then
	touch "$tmp/planted-$VICTIM"
	mkdir -m 777 "/dev/shm/bpfemu-$VICTIM" "/dev/shm/bpfemu-$VICTIM/bpffs"
	chmod 777 "/dev/shm/bpfemu-$VICTIM" "/dev/shm/bpfemu-$VICTIM/bpffs"
	chown -R $ATTACKER:$ATTACKER "/dev/shm/bpfemu-$VICTIM"
	status 125 "a planted /dev/shm/bpfemu-$VICTIM/bpffs" setpriv --reuid=$VICTIM --regid=$VICTIM --clear-groups \
		env -u XDG_RUNTIME_DIR -u BPFEMU_STATE_DIR -u BPFEMU_BPFFS "$run" "$helper" probe
	has err "owned by uid $ATTACKER" "planted: says whose it is"
	[ -z "$(ls -A "/dev/shm/bpfemu-$VICTIM/bpffs")" ] && [ ! -e "/dev/shm/bpfemu-$VICTIM/ids" ] &&
		ok "planted: nothing written there" || bad "planted: the victim wrote into the planted directory"
else
	bad "/dev/shm/bpfemu-$VICTIM exists already: not touching it"
fi

echo "# --clean: this user's pins, no one else's"
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups env -u XDG_RUNTIME_DIR -u BPFEMU_STATE_DIR -u BPFEMU_BPFFS HOME=/ "$@"; }
if [ -n "${BPFTOOL:-}" ] && [ ! -e "/dev/shm/bpfemu-$U1" ] && [ ! -e "/dev/shm/bpfemu-$U2" ]; then
	touch "$tmp/planted-$U1" "$tmp/planted-$U2"
	for u in $U1 $U2; do
		(cd / && as_user $u "$run" "$BPFTOOL" map create /sys/fs/bpf/a type hash key 4 value 4 entries 4 name a &&
			as_user $u "$run" mkdir /sys/fs/bpf/dir &&
			as_user $u "$run" "$BPFTOOL" map create /sys/fs/bpf/dir/b type array key 4 value 4 entries 1 name b) ||
			bad "could not pin as uid $u"
	done
	(cd / && as_user $U1 "$run" --clean) >"$tmp/out" 2>"$tmp/err"
	has out "removed 2 pinned files and 1 directory from /dev/shm/bpfemu-$U1/bpffs" "--clean: says what it removed"
	# what is left is the registry of live objects (not a pin), emptied of the maps the pins kept
	[ -z "$(ls -A "/dev/shm/bpfemu-$U1/bpffs" | grep -vx .bpfemu-objects)" ] && ok "--clean: uid $U1's pins are gone" || bad "--clean left $(ls -A "/dev/shm/bpfemu-$U1/bpffs")"
	[ -z "$(ls "/dev/shm/bpfemu-$U1/bpffs/.bpfemu-objects" 2>/dev/null | grep -v '^holds$')" ] && ok "--clean: the maps only the pins kept are gone from the registry" || bad "--clean left registered objects: $(ls "/dev/shm/bpfemu-$U1/bpffs/.bpfemu-objects")"
	[ -e "/dev/shm/bpfemu-$U2/bpffs/a" ] && [ -e "/dev/shm/bpfemu-$U2/bpffs/dir/b" ] &&
		ok "--clean: uid $U2's pins are untouched" || bad "--clean removed another user's pins"
else
	echo "note: no bpftool, or /dev/shm/bpfemu-$U1 exists: --clean's two-user check is not run"
fi
status 125 "--clean of a world-writable root" as_nobody "$run" --clean --bpffs="$tmp/open"
has err "not touched" "--clean refuses it"
status 125 "--clean with a program" "$run" --clean true

echo "# signals"
"$run" sleep 30 &
p=$!
for _ in $(seq 50); do c=$(ps -o pid= --ppid $p | tr -d ' '); [ -n "$c" ] && break; sleep 0.1; done
kill -TERM $p
wait $p
rc=$?
[ "$rc" = 143 ] && ok "SIGTERM to bpfemu-run: the program's death, 143" || bad "SIGTERM to bpfemu-run: exit $rc, want 143"
kill -0 "$c" 2>/dev/null && bad "the program survived SIGTERM" || ok "the program got SIGTERM"
"$run" sleep 30 &
p=$!
for _ in $(seq 50); do c=$(ps -o pid= --ppid $p | tr -d ' '); [ -n "$c" ] && break; sleep 0.1; done
kill -KILL $p
wait $p 2>/dev/null # (bash reports the kill)
for _ in $(seq 50); do kill -0 "$c" 2>/dev/null || break; sleep 0.1; done
kill -0 "$c" 2>/dev/null && { bad "the program outlived SIGKILL of bpfemu-run"; kill -KILL "$c"; } ||
	ok "SIGKILL of bpfemu-run kills the program"

[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
