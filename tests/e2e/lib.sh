# Sourced by the end-to-end tests. They compare a real client run on the kernel as root with the same
# client run as nobody under bpfemu-run, so they need root, a kernel that answers bpf(), and a way to
# drop to nobody; without those they skip (exit 77, reason printed). With BPFEMU_REQUIRE_KERNEL=1
# (CI) a skip is a failure instead: there the kernel is known to be available.
#
# CMake passes the binaries in the environment: BPFEMU_RUN, BPFEMU_PRELOAD_LIB, E2E_HELPER,
# FLOWCOUNT, E2E_STATIC, BPFTOOL, E2E_VERSION; for the seccomp supervisor E2E_HELPER_STATIC,
# E2E_SUPERV, LIBBPF_STATIC, GOCLIENT, GOCLIENT_CGO.

set -u

e2e_name=$(basename "$0" .sh)

skip() {
	echo "SKIP $e2e_name: $*"
	if [ "${BPFEMU_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "BPFEMU_REQUIRE_KERNEL=1: a skip is a failure here"
		exit 1
	fi
	exit 77
}

fail() {
	echo "FAIL $e2e_name: $*"
	exit 1
}

need_var() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || fail "$v is not set (run through ctest)"
	done
}

need_root_and_bpf() {
	[ "$(id -u)" = 0 ] || skip "not root: the kernel side runs as root and the emulated side drops to nobody"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	id nobody >/dev/null 2>&1 || skip "there is no user nobody"
	need_var E2E_HELPER
	local why
	why=$("$E2E_HELPER" probe 2>&1) || skip "bpf() is not available to root here: $why"
}

# A private directory, readable by nobody, removed on exit. Binaries are copied into it (bin/ and
# lib/, the build tree's layout, so bpfemu-run finds the preload as it does in the build tree):
# the build tree itself may sit where nobody cannot reach.
e2e_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-e2e-$e2e_name.XXXXXX") || fail "mktemp"
	trap e2e_cleanup EXIT
	chmod 755 "$tmp"
	stage=$tmp/stage
	mkdir -p "$stage/bin" "$stage/lib"
	local b
	for b in "${BPFEMU_RUN:-}" "${E2E_HELPER:-}" "${FLOWCOUNT:-}" "${E2E_STATIC:-}" "${E2E_HELPER_STATIC:-}" \
		"${E2E_SUPERV:-}" "${LIBBPF_STATIC:-}" "${GOCLIENT:-}" "${GOCLIENT_CGO:-}"; do
		[ -n "$b" ] && cp "$b" "$stage/bin/"
	done
	if [ -n "${BPFEMU_PRELOAD_LIB:-}" ]; then
		cp "$BPFEMU_PRELOAD_LIB" "$stage/lib/libbpfemu-preload.so"
	fi
	chmod -R a+rX "$stage"
	# the emulator's state and its bpffs, owned by nobody and used by no other test
	mkdir -p "$tmp/nobody/bpffs" "$tmp/nobody/state"
	chown -R nobody: "$tmp/nobody"
	chmod 700 "$tmp/nobody"
	# nobody's programs start here, not in a build directory they may not be able to enter
	cd "$tmp" || fail "cd $tmp"
}

e2e_cleanup_hooks=()
e2e_cleanup() {
	local h
	for h in "${e2e_cleanup_hooks[@]}"; do
		$h
	done
	# E2E_KEEP=1 keeps the transcripts for a look
	[ -n "${tmp:-}" ] && { [ -n "${E2E_KEEP:-}" ] && echo "kept: $tmp" || rm -rf "$tmp"; }
}

# Run a command as nobody, with a clean emulator environment (no root XDG_RUNTIME_DIR, no trace
# or debug variables leaking in from the caller).
as_nobody() {
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
		env -u XDG_RUNTIME_DIR -u BPFEMU_TRACE -u BPFEMU_DEBUGLEVEL -u BPFEMU_NR_CPUS -u BPFEMU_PRELOAD \
		HOME="$tmp/nobody" BPFEMU_BPFFS="$tmp/nobody/bpffs" BPFEMU_STATE_DIR="$tmp/nobody/state" \
		"$@"
}

# Run a command as nobody under the staged bpfemu-run.
emulated() {
	as_nobody "$stage/bin/bpfemu-run" -- "$@"
}

# The kernel side: root, without any emulator variables.
on_kernel() {
	env -u LD_PRELOAD -u BPFEMU_TRACE -u BPFEMU_DEBUGLEVEL "$@"
}

# A directory on a mounted bpffs for the kernel side, removed on exit; skip without one.
need_bpffs() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] || skip "no bpffs mounted at /sys/fs/bpf for the kernel side"
}

# The seccomp supervisor's clients are statically linked (libc.a) or Go programs.
need_static() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || skip "$v was not built (static clients need libc.a; see tests/e2e/CMakeLists.txt)"
	done
}

# Runs $1 on the kernel as root and as nobody under bpfemu-run with the rest of the arguments,
# compares what both print, and fails with both outputs shown if they differ. RUN_OPTS: options
# for bpfemu-run. PIN_CPU: run both sides on that one CPU (taskset), for clients whose answers
# depend on the CPU a call is made on (an LRU map's per-CPU free lists decide what is evicted
# below max_entries), so that the kernel's answer is deterministic and the emulator's comparable.
# For clients with LRU maps: which element an LRU map evicts below max_entries depends on the
# CPUs the calls ran on (the kernel's per-CPU free lists), and the scheduler may move a thread
# between calls. Sets PIN_CPU to the first CPU this test may use.
pin_one_cpu() {
	if command -v taskset >/dev/null; then
		PIN_CPU=$(taskset -cp $$ | sed 's/.*: //; s/[-,].*//')
	else
		echo "note: taskset is not installed: LRU lines may differ if a thread changes CPU"
	fi
}

compare_runs() {
	local label=$1 rc pin=()
	shift
	[ -n "${PIN_CPU:-}" ] && pin=(taskset -c "$PIN_CPU")
	on_kernel "${pin[@]}" "$@" >"$tmp/kernel.out" 2>"$tmp/kernel.err" ||
		fail "$label on the kernel as root: $(cat "$tmp/kernel.out" "$tmp/kernel.err")"
	as_nobody "${pin[@]}" "$stage/bin/bpfemu-run" ${RUN_OPTS:-} -- "$@" >"$tmp/emu.out" 2>"$tmp/emu.err"
	rc=$?
	if [ $rc != 0 ] || ! diff -u "$tmp/kernel.out" "$tmp/emu.out" >"$tmp/diff"; then
		echo "--- kernel (root) vs +++ bpfemu-run ${RUN_OPTS:-}(nobody), exit $rc:"
		diff -u "$tmp/kernel.out" "$tmp/emu.out"
		echo "stderr under bpfemu-run:"
		cat "$tmp/emu.err"
		fail "$label under bpfemu-run differs from the kernel"
	fi
	echo "ok   $label: $(wc -l <"$tmp/emu.out") lines, the same as on the kernel"
}
