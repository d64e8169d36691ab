#!/usr/bin/env bash
# One e2e_superv mode (see tests/e2e/e2e_superv.c): a statically linked client run on the kernel as
# root and as nobody under bpfemu-run, which runs it under the seccomp supervisor; the two outputs
# must be the same. mmap checks the supervisor made its mappings; outlive, where a grandchild makes
# its calls after the program has exited, has nothing to compare with.
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: superv.sh MODE}
e2e_name="$e2e_name.$mode"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
need_static E2E_SUPERV
need_root_and_bpf
e2e_setup
client=$stage/bin/e2e_superv

case $mode in
paths | fdargs)
	need_bpffs
	compare_runs "e2e_superv $mode" "$client" "$mode"
	;;
mmap)
	RUN_OPTS=--debug=1 compare_runs "e2e_superv $mode" "$client" "$mode"
	grep -q "made again at file offset" "$tmp/emu.err" || fail "the supervisor made no mapping: $(cat "$tmp/emu.err")"
	echo "$(grep -c 'interrupted at step' "$tmp/emu.err") mappings interrupted by a signal and made again"
	;;
outlive)
	out=$tmp/nobody/outlive.txt
	as_nobody "$stage/bin/bpfemu-run" "$client" outlive "$out" || fail "the program failed"
	for _ in $(seq 50); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	[ -s "$out" ] || fail "the grandchild wrote nothing"
	cat "$out"
	grep -q "^grandchild: served$" "$out" || fail "the grandchild's calls were not answered after the program exited"
	;;
signals)
	compare_runs "e2e_superv $mode" "$client" "$mode"
	n=$(sed -n 's/^signals handled: //p' "$tmp/emu.err")
	echo "signals handled during the supervised calls: $n"
	[ "${n:-0}" -ge 20 ] || fail "too few signals landed during the supervised calls ($n) to prove anything"
	;;
*)
	compare_runs "e2e_superv $mode" "$client" "$mode"
	;;
esac
echo "PASS $e2e_name"
