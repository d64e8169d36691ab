#!/usr/bin/env bash
# Ring buffers across processes through libbpf (e2e_ringbuf.c): a consumer's ring_buffer__poll woken
# by a producer in another process, a user ring producer blocked until drains make room, and poll,
# select and epoll answers for map fds. Run as root on the kernel (the producers and drains are XDP
# programs under BPF_PROG_TEST_RUN) and as nobody under bpfemu-run (the preload's test API); the
# transcripts must be identical.
. "$(dirname "$0")/lib.sh"

need_root_and_bpf
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
