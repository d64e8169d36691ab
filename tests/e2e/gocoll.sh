#!/usr/bin/env bash
# The Go client's program modes (tests/e2e/goclient/collection.go), as nobody under bpfemu-run with
# no option (a Go program: the seccomp supervisor) against the kernel as root, for the plain and
# the cgo build:
#   collection  an ELF collection clang built (gocoll_src/coll.bpf.c): LoadCollectionSpec,
#               RewriteConstants, NewCollection (BTF maps, .rodata/.data/.bss), Program.Run and
#               Program.Test, the results read through the maps, a pinned map shared by a second
#               collection; and under --trace, the program's calls in the trace
#   ringbuf     cilium/ebpf's ringbuf.Reader on a RINGBUF an XDP program fills (Program.Run): the
#               ring's mapping (several parts of the map file: the supervisor's chain of mmaps),
#               the Reader's epoll on the ring fd (the supervisor's registration and wakeups),
#               records across the ring's end, an epoll_wait that times out while it is empty
#   mmap        an mmapable array's values mapped with mmap(2) (the supervisor makes the mapping
#               again at the values' offset), FREEZE refused with EBUSY while a writable mapping
#               exists; and under strace, where the supervisor cannot trace the program, the one
#               refusal it documents (ENODEV and a diagnostic), never a mapping of other bytes
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: gocoll.sh collection|mmap|ringbuf}
e2e_name="$e2e_name.$mode"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${GOCLIENT:-}" ] || skip "the Go client was not built (it needs golang-go and golang-github-cilium-ebpf-dev)"
need_root_and_bpf
e2e_setup

case $mode in
collection)
	[ -n "${GOCOLL_OBJ:-}" ] || skip "the collection's object was not built (it needs clang and libbpf's headers)"
	need_bpffs
	cp "$GOCOLL_OBJ" "$stage/coll.bpf.o"
	chmod a+r "$stage/coll.bpf.o"
	pins=/sys/fs/bpf/bpfemu-e2e-gocoll-$$
	cleanup_pins() { rm -rf "$pins"; }
	e2e_cleanup_hooks+=(cleanup_pins)
	for b in goclient goclient_cgo; do
		compare_runs "$b collection" "$stage/bin/$b" collection "$stage/coll.bpf.o" "$pins"
		grep -q '^done$' "$tmp/emu.out" || fail "$b did not finish"
		grep -q '^run len=64: ret=3 err=<nil>' "$tmp/emu.out" || fail "$b: the program did not run"
		[ -s "$tmp/emu.err" ] && fail "$b under bpfemu-run wrote to stderr: $(cat "$tmp/emu.err")"
	done
	RUN_OPTS=--trace=$tmp/nobody/trace.log compare_runs "goclient collection --trace" "$stage/bin/goclient" \
		collection "$stage/coll.bpf.o" "$pins"
	for c in BPF_BTF_LOAD BPF_PROG_LOAD BPF_PROG_TEST_RUN BPF_MAP_FREEZE BPF_OBJ_PIN BPF_OBJ_GET; do
		grep -q "bpf($c" "$tmp/nobody/trace.log" || fail "no $c in the trace"
	done
	echo "trace: $(grep -c '^\[pid [0-9]*\] bpf(BPF_' "$tmp/nobody/trace.log") bpf() calls"
	;;
mmap)
	for b in goclient goclient_cgo; do
		RUN_OPTS=--debug=1 compare_runs "$b mmap" "$stage/bin/$b" mmap
		grep -q '^mmap rw: ok$' "$tmp/emu.out" || fail "$b: the values were not mapped"
		grep -q "made again at file offset" "$tmp/emu.err" || fail "$b: the supervisor made no mapping: $(cat "$tmp/emu.err")"
	done
	# A program the supervisor cannot trace (strace traces it): refused, said, never mapped wrong.
	if command -v strace >/dev/null; then
		as_nobody "$stage/bin/bpfemu-run" --seccomp -- strace -f -o /dev/null "$stage/bin/goclient" mmap \
			>"$tmp/emu.out" 2>"$tmp/emu.err" || fail "under strace: $(cat "$tmp/emu.out" "$tmp/emu.err")"
		cat "$tmp/emu.out"
		grep -q '^mmap rw: ENODEV$' "$tmp/emu.out" || fail "under strace the mapping was not refused with ENODEV"
		grep -q "cannot trace the program" "$tmp/emu.err" || fail "no diagnostic for the refused mapping: $(cat "$tmp/emu.err")"
		echo "ok   under strace: the mapping refused with ENODEV and a diagnostic"
	else
		echo "strace is not installed: the untraceable case is not checked"
	fi
	;;
ringbuf)
	for b in goclient goclient_cgo; do
		RUN_OPTS=--debug=1 compare_runs "$b ringbuf" "$stage/bin/$b" ringbuf
		grep -q '^done$' "$tmp/emu.out" || fail "$b did not finish"
		grep -q 'WRONG BYTES' "$tmp/emu.out" && fail "$b read wrong records"
		grep -q "its other parts mapped over it" "$tmp/emu.err" || fail "$b: the supervisor made no ring mapping: $(cat "$tmp/emu.err")"
		grep -q "a ring: an eventfd in its place" "$tmp/emu.err" || fail "$b: no epoll registration of the ring: $(cat "$tmp/emu.err")"
	done
	;;
*)
	fail "unknown mode $mode"
	;;
esac

# A planted fault the comparison must catch (bpfemu-run-fault, a test build's bpfemu-run):
# collection: the attr's fd fields untranslated (the program's numbers used as the supervisor's);
# mmap: FREEZE not refused while the values are mapped writable; ringbuf: the ring's second mapping
# of its data made from the wrong part of the file (records across the ring's end read wrong).
if [ -n "${BPFEMU_RUN_FAULT:-}" ]; then
	cp "$BPFEMU_RUN_FAULT" "$stage/bin/bpfemu-run-fault"
	chmod a+rx "$stage/bin/bpfemu-run-fault"
	case $mode in
	collection) fault=superv-fd-as-is args=(collection "$stage/coll.bpf.o" "$pins") ;;
	mmap) fault=superv-freeze-unseen args=(mmap) ;;
	ringbuf) fault=superv-ring-seg-offset args=(ringbuf) ;;
	esac
	on_kernel "$stage/bin/goclient" "${args[@]}" >"$tmp/kernel.out" 2>&1
	as_nobody env BPFEMU_FAULT=$fault "$stage/bin/bpfemu-run-fault" "$stage/bin/goclient" "${args[@]}" \
		>"$tmp/fault.out" 2>"$tmp/fault.err"
	grep -q "fault injection on: $fault" "$tmp/fault.err" || fail "$fault: the fault was not planted: $(cat "$tmp/fault.err")"
	diff -u "$tmp/kernel.out" "$tmp/fault.out" >"$tmp/diff" && fail "$fault: goclient $mode did not catch it"
	echo "ok   $fault: goclient $mode differs from the kernel in $(grep -c '^[-+][^-+]' "$tmp/diff") lines, e.g.:"
	grep '^[-+][^-+]' "$tmp/diff" | head -2
fi
echo "PASS $e2e_name"
