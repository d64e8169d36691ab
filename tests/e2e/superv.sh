#!/usr/bin/env bash
# One e2e_superv mode (see tests/e2e/e2e_superv.c): a statically linked client run on the kernel as
# root and as nobody under bpfemu-run, which runs it under the seccomp supervisor; the two outputs
# must be the same. Two modes are special: mmap, where the supervisor must refuse exactly the one
# mapping it cannot make (an mmapable array's values) with ENODEV and a diagnostic, and agree on the
# rest; outlive, where a grandchild makes its calls after the program has exited.
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
	on_kernel "$client" mmap >"$tmp/kernel.out" 2>&1 || fail "on the kernel: $(cat "$tmp/kernel.out")"
	as_nobody "$stage/bin/bpfemu-run" "$client" mmap >"$tmp/emu.out" 2>"$tmp/emu.err" ||
		fail "under bpfemu-run: $(cat "$tmp/emu.out" "$tmp/emu.err")"
	cat "$tmp/emu.out"
	grep -q "^mmap of an mmapable array's values = mapped$" "$tmp/kernel.out" ||
		fail "the kernel did not map an mmapable array: $(cat "$tmp/kernel.out")"
	grep -q "^mmap of an mmapable array's values = -1 ENODEV$" "$tmp/emu.out" ||
		fail "the supervisor did not refuse the values' mapping with ENODEV"
	grep -q "not possible under the seccomp supervisor" "$tmp/emu.err" || fail "no diagnostic for the refused mapping"
	diff <(grep -v "mmapable array's values" "$tmp/kernel.out") <(grep -v "mmapable array's values" "$tmp/emu.out") ||
		fail "the other mappings are not answered as on the kernel"
	echo "ok   every other mapping as on the kernel; the values' mapping refused with ENODEV"
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
