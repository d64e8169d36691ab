#!/usr/bin/env bash
# Ring buffers across processes through libbpf (e2e_ringbuf.c): a consumer's ring_buffer__poll woken
# by a producer in another process, a user ring producer blocked until drains make room, and poll,
# select and epoll answers for map fds. Run as root on the kernel (the producers and drains are XDP
# programs under BPF_PROG_TEST_RUN) and as nobody under bpfemu-run (the preload's test API); the
# transcripts must be identical.
#
# ringbuf.sh static: e2e_ringbuf built -static (libbpf.a) runs its superv mode as nobody under
# bpfemu-run (the seccomp supervisor: the ring's mappings and the epoll registrations are the
# supervisor's) and as root on the kernel; then with the supervisor's ring wakeups planted away
# (superv-epoll-no-edge), which the comparison must catch.
. "$(dirname "$0")/lib.sh"

need_root_and_bpf
if [ "${1:-}" = static ]; then
	e2e_name="$e2e_name.static"
	need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
	[ -n "${E2E_RINGBUF_STATIC:-}" ] || skip "e2e_ringbuf_static was not built (it needs libbpf.a, libelf.a, libz.a and libc.a)"
	e2e_setup
	cp "$E2E_RINGBUF_STATIC" "$stage/bin/e2e_ringbuf_static" && chmod a+rx "$stage/bin/e2e_ringbuf_static"
	RUN_OPTS=--debug=1 compare_runs "e2e_ringbuf_static superv" "$stage/bin/e2e_ringbuf_static" superv
	grep -q "WRONG BYTES" "$tmp/emu.out" && fail "records read wrong"
	grep -q "its other parts mapped over it" "$tmp/emu.err" || fail "no ring mapping by the supervisor: $(cat "$tmp/emu.err")"
	grep -q "a ring: an eventfd in its place" "$tmp/emu.err" || fail "no epoll registration by the supervisor: $(cat "$tmp/emu.err")"
	if [ -n "${BPFEMU_RUN_FAULT:-}" ]; then
		cp "$BPFEMU_RUN_FAULT" "$stage/bin/bpfemu-run-fault" && chmod a+rx "$stage/bin/bpfemu-run-fault"
		fault=superv-epoll-no-edge
		# the epoll part alone (each wait times out under the fault)
		on_kernel env E2E_RB_EPOLL_ONLY=1 "$stage/bin/e2e_ringbuf_static" superv >"$tmp/kernel.out" 2>&1
		as_nobody env BPFEMU_FAULT=$fault E2E_RB_EPOLL_ONLY=1 "$stage/bin/bpfemu-run-fault" \
			"$stage/bin/e2e_ringbuf_static" superv >"$tmp/fault.out" 2>"$tmp/fault.err"
		grep -q "fault injection on: $fault" "$tmp/fault.err" || fail "$fault: the fault was not planted: $(cat "$tmp/fault.err")"
		diff -u "$tmp/kernel.out" "$tmp/fault.out" >"$tmp/diff" && fail "$fault: e2e_ringbuf superv did not catch it"
		echo "ok   $fault: differs from the kernel in $(grep -c '^[-+][^-+]' "$tmp/diff") lines, e.g.:"
		grep '^[-+][^-+]' "$tmp/diff" | head -3
	fi
	echo "PASS $e2e_name"
	exit 0
fi
[ -n "${E2E_RINGBUF:-}" ] || skip "e2e_ringbuf was not built (it needs libbpf)"
e2e_setup
cp "$E2E_RINGBUF" "$stage/bin/" && chmod a+rx "$stage/bin/e2e_ringbuf"

on_kernel "$stage/bin/e2e_ringbuf" kernel >"$tmp/kernel.out" 2>"$tmp/kernel.err"
krc=$?
emulated "$stage/bin/e2e_ringbuf" emu >"$tmp/emu.out" 2>"$tmp/emu.err"
erc=$?
if [ $krc != 0 ]; then
	cat "$tmp/kernel.out" "$tmp/kernel.err"
	fail "e2e_ringbuf on the kernel exited $krc"
fi
if [ $erc != 0 ] || ! diff -u "$tmp/kernel.out" "$tmp/emu.out"; then
	echo "stderr under bpfemu-run:"
	cat "$tmp/emu.err"
	fail "e2e_ringbuf under bpfemu-run (exit $erc) differs from the kernel"
fi
echo "ok   ringbuf: $(wc -l <"$tmp/emu.out") lines, the same as on the kernel"
