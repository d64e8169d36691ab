#!/usr/bin/env bash
# What a map fd is (issue 17), differentially: one e2e_fdops mode runs on the kernel as root, then
# as nobody under bpfemu-run, and the two transcripts ("case: answer" lines) are compared case by
# case; every differing case is printed with both answers. Cases named "known.*" are the
# differences README lists under "Differences from the kernel": printed, not failed.
#
#   fdops.sh fileops|mmap|fdcache|emfile|fdinfo|pins|huge|objects
#                    one mode (emfile: both limits; fdcache: also the raw-reuse cases, a map's and
#                    a program's, with BPFEMU_FDCACHE_VALIDATE=1; objects: programs, BTF objects
#                    and stats fds)
#   fdops.sh fill    ARRAY maps filling more than the emulated bpffs root holds (a 16 MiB tmpfs):
#                    every page written, no SIGBUS
#   fdops.sh memcg   both sides in a memory cgroup limited to 128 MiB: ENOMEM past it, no OOM kill
#   fdops.sh fault   the fault-injecting preload with BPFEMU_FAULT=fdops-errno: the comparison
#                    must report the planted difference (it would see a real one)
. "$(dirname "$0")/lib.sh"
part=${1:?usage: fdops.sh fileops|mmap|fdcache|emfile|fdinfo|pins|huge|objects|memcg|fill|fault}
e2e_name="$e2e_name.$part"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER E2E_FDOPS
need_root_and_bpf
e2e_setup
cp "$E2E_FDOPS" "$stage/bin/"
chmod a+rx "$stage/bin/e2e_fdops"

# compare NAME KERNEL-FILE EMULATOR-FILE: 0 when every case but known.* answers alike
compare() {
	awk -v name="$1" '
	function split_line(l, a,   i) { i = index(l, ": "); if (!i) { a[1] = l; a[2] = ""; return } a[1] = substr(l, 1, i - 1); a[2] = substr(l, i + 2) }
	FNR == NR { split_line($0, p); if (!(p[1] in k)) order[++n] = p[1]; k[p[1]] = p[2]; next }
	{ split_line($0, p); e[p[1]] = p[2]; if (!(p[1] in k)) order[++n] = p[1] }
	END {
		bad = 0; known = 0; same = 0
		for (i = 1; i <= n; i++) {
			c = order[i]
			kv = (c in k) ? k[c] : "(no such case)"
			ev = (c in e) ? e[c] : "(no such case)"
			if (kv == ev) { same++; continue }
			if (c ~ /^known\./) { known++; printf "  known difference %s:\n      kernel:   %s\n      emulator: %s\n", c, kv, ev; continue }
			bad++
			printf "  DIFFERS %s:\n      kernel:   %s\n      emulator: %s\n", c, kv, ev
		}
		printf "%s: %d cases, %d alike, %d known differences, %d differ\n", name, n, same, known, bad
		exit bad ? 1 : 0
	}' "$2" "$3"
}

# run_mode MODE [ARGS...]: both sides, then the comparison
run_mode() {
	local m=$1 rc=0
	on_kernel "$stage/bin/e2e_fdops" "$@" >"$tmp/$m.kernel" 2>"$tmp/$m.kernel.err" ||
		fail "$m on the kernel as root: $(cat "$tmp/$m.kernel.err")"
	emulated "$stage/bin/e2e_fdops" "$@" >"$tmp/$m.emu" 2>"$tmp/$m.emu.err" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "emulated $m exited $rc:"
		tail -n 5 "$tmp/$m.emu.err"
		compare "$m" "$tmp/$m.kernel" "$tmp/$m.emu" || true
		fail "$m under bpfemu-run exited $rc"
	fi
	compare "$m" "$tmp/$m.kernel" "$tmp/$m.emu"
}

case $part in
fileops|mmap|fdinfo|pins|huge|objects)
	run_mode "$part" || fail "the emulator answers differently (above)"
	;;
fdcache)
	run_mode fdcache || fail "the emulator answers differently (above)"
	# a reuse the preload cannot see at all: right with the check on every call
	on_kernel "$stage/bin/e2e_fdops" fdcache-raw >"$tmp/raw.kernel" 2>&1 || fail "fdcache-raw on the kernel"
	as_nobody env BPFEMU_FDCACHE_VALIDATE=1 "$stage/bin/bpfemu-run" -- "$stage/bin/e2e_fdops" fdcache-raw \
		>"$tmp/raw.emu" 2>&1 || fail "fdcache-raw under bpfemu-run: $(tail -n 3 "$tmp/raw.emu")"
	compare fdcache-raw "$tmp/raw.kernel" "$tmp/raw.emu" ||
		fail "with BPFEMU_FDCACHE_VALIDATE=1 the emulator answers differently (above)"
	;;
emfile)
	run_mode emfile || fail "the emulator answers differently (above)"
	run_mode emfile-hard || fail "the emulator answers differently with hard limit = soft limit (above)"
	;;
fill)
	command -v mount >/dev/null || skip "no mount(8)"
	# the emulated bpffs root: a 16 MiB tmpfs, which 5 maps of 4 MiB overfill
	mount -t tmpfs -o size=16m,mode=0700,uid="$(id -u nobody)",gid="$(id -g nobody)" none "$tmp/nobody/bpffs" ||
		skip "cannot mount a tmpfs here"
	unmount_fill() { umount "$tmp/nobody/bpffs" 2>/dev/null; }
	e2e_cleanup_hooks+=(unmount_fill)
	run_mode fill 20 || fail "the emulator answers differently (above)"
	;;
memcg)
	# a memory cgroup of our own under this process's (v1 memory controller, else v2)
	cg=
	v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
	v2=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
	if [ -n "$v1" ] && [ -d "/sys/fs/cgroup/memory$v1" ] && mkdir "/sys/fs/cgroup/memory$v1/e2e-fdops-$$" 2>/dev/null; then
		cg=/sys/fs/cgroup/memory$v1/e2e-fdops-$$
		echo $((128 << 20)) >"$cg/memory.limit_in_bytes" || fail "cannot limit $cg"
	elif [ -n "$v2" ] && [ -f "/sys/fs/cgroup$v2/cgroup.subtree_control" ] &&
		mkdir "/sys/fs/cgroup$v2/e2e-fdops-$$" 2>/dev/null; then
		cg=/sys/fs/cgroup$v2/e2e-fdops-$$
		echo $((128 << 20)) >"$cg/memory.max" 2>/dev/null || { rmdir "$cg"; skip "no memory controller in $v2"; }
	else
		skip "cannot make a memory cgroup here"
	fi
	remove_cg() { rmdir "$cg" 2>/dev/null; }
	e2e_cleanup_hooks+=(remove_cg)
	in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"; }
	in_cg env -u LD_PRELOAD "$stage/bin/e2e_fdops" memcg >"$tmp/m.kernel" 2>&1 || fail "memcg on the kernel: $(cat "$tmp/m.kernel")"
	# the emulator's state on a memory file system, where its pages are charged as the kernel's
	# (BPFEMU_BPFFS on a disk keeps them in the page cache, which the cgroup may write back)
	mkdir -p /dev/shm/e2e-fdops-$$ && chown nobody: /dev/shm/e2e-fdops-$$ || skip "no /dev/shm"
	remove_shm() { rm -rf "/dev/shm/e2e-fdops-$$"; }
	e2e_cleanup_hooks+=(remove_shm)
	in_cg setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
		env -u XDG_RUNTIME_DIR -u BPFEMU_TRACE -u BPFEMU_DEBUGLEVEL -u BPFEMU_NR_CPUS -u BPFEMU_PRELOAD \
		HOME="$tmp/nobody" BPFEMU_BPFFS="/dev/shm/e2e-fdops-$$/bpffs" BPFEMU_STATE_DIR="/dev/shm/e2e-fdops-$$/state" \
		"$stage/bin/bpfemu-run" -- "$stage/bin/e2e_fdops" memcg >"$tmp/m.emu" 2>&1 ||
		{ cat "$tmp/m.emu"; fail "memcg under bpfemu-run: exit $? (an OOM kill is 137)"; }
	compare memcg "$tmp/m.kernel" "$tmp/m.emu" || fail "the emulator answers differently (above)"
	;;
fault)
	[ -n "${BPFEMU_PRELOAD_FAULT:-}" ] || skip "no fault-injecting preload (configure with -DBPFEMU_FAULT_INJECTION=ON)"
	cp "$BPFEMU_PRELOAD_FAULT" "$stage/lib/libbpfemu-preload-fault.so"
	chmod a+r "$stage/lib/libbpfemu-preload-fault.so"
	on_kernel "$stage/bin/e2e_fdops" fileops >"$tmp/f.kernel" 2>&1 || fail "fileops on the kernel"
	as_nobody env BPFEMU_FAULT=fdops-errno "$stage/bin/bpfemu-run" --preload="$stage/lib/libbpfemu-preload-fault.so" \
		-- "$stage/bin/e2e_fdops" fileops >"$tmp/f.emu" 2>/dev/null || fail "fileops under the fault preload"
	if compare fault "$tmp/f.kernel" "$tmp/f.emu" >"$tmp/f.report"; then
		cat "$tmp/f.report"
		fail "the planted fault (read EBADF for EINVAL) went unnoticed"
	fi
	grep -q 'DIFFERS rw.read:' "$tmp/f.report" || { cat "$tmp/f.report"; fail "the planted fault was not reported at rw.read"; }
	echo "planted fault fdops-errno reported: $(grep -c DIFFERS "$tmp/f.report") cases, among them rw.read"
	;;
*)
	fail "unknown part $part"
	;;
esac
echo "PASS $e2e_name"
