#!/usr/bin/env bash
# Planted faults prove the supervisor's comparisons catch mistakes: bpfemu-run-fault (bpfemu-run over
# the fault-injecting emulator) agrees with the kernel without BPFEMU_FAULT, and with each fault the
# e2e_superv mode that must catch it differs from the kernel.
#   superv-short-write  a write into the program's memory that stopped at a fault reported as done
#   superv-fd-as-is     the attr's fd fields left untranslated
#   superv-mmap-offset  an mmapable array mapped at the program's offset in our file (its header)
#   superv-mmap-regs    the registers changed to make that mapping not given back
#   superv-mmap-rw-fd   a read-only mapping made from the program's read-write fd (mprotect works)
#   superv-mmap-fd-left the read-only copy of the fd that mapping was made from left open
#   superv-freeze-unseen  FREEZE not refused (EBUSY) while the values are mapped writable
# and that a kernel without seccomp user notification or SECCOMP_ADDFD_FLAG_SEND gets exit 125
# (superv-no-user-notif, superv-no-addfd-send act as one).
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB
[ -n "${BPFEMU_RUN_FAULT:-}" ] || skip "bpfemu-run-fault was not built (configure with -DBPFEMU_FAULT_INJECTION=ON)"
need_static E2E_SUPERV
need_root_and_bpf
need_bpffs
e2e_setup
cp "$BPFEMU_RUN_FAULT" "$stage/bin/bpfemu-run-fault"
chmod a+rx "$stage/bin/bpfemu-run-fault"

for planted in superv-short-write:faults superv-fd-as-is:fdargs superv-mmap-offset:mmap superv-mmap-regs:mmap \
	superv-mmap-rw-fd:mmap superv-mmap-fd-left:mmap superv-freeze-unseen:mmap; do
	fault=${planted%%:*}
	mode=${planted#*:}
	on_kernel "$stage/bin/e2e_superv" "$mode" >"$tmp/kernel.out" 2>/dev/null || fail "$mode on the kernel"
	as_nobody "$stage/bin/bpfemu-run-fault" "$stage/bin/e2e_superv" "$mode" >"$tmp/clean.out" 2>/dev/null
	diff -u "$tmp/kernel.out" "$tmp/clean.out" || fail "$mode differs from the kernel without a fault planted"
	as_nobody env BPFEMU_FAULT="$fault" "$stage/bin/bpfemu-run-fault" "$stage/bin/e2e_superv" "$mode" \
		>"$tmp/fault.out" 2>"$tmp/fault.err"
	grep -q "fault injection on: $fault" "$tmp/fault.err" || fail "$fault: the fault was not planted: $(cat "$tmp/fault.err")"
	if diff -u "$tmp/kernel.out" "$tmp/fault.out" >"$tmp/diff"; then
		fail "$fault: e2e_superv $mode did not catch it"
	fi
	echo "ok   $fault: e2e_superv $mode differs from the kernel in $(grep -c '^[-+][^-+]' "$tmp/diff") lines:"
	grep '^[-+][^-+]' "$tmp/diff" | head -4
done
# a kernel without what the supervisor needs: exit 125 and why, and the program never runs (it
# would have reached the real kernel)
for fault in superv-no-user-notif superv-no-addfd-send; do
	as_nobody env BPFEMU_FAULT="$fault" "$stage/bin/bpfemu-run-fault" "$stage/bin/e2e_superv" threads \
		>"$tmp/old.out" 2>"$tmp/old.err"
	rc=$?
	[ $rc = 125 ] || fail "$fault: exit $rc, want 125"
	grep -q -- "--seccomp: this kernel" "$tmp/old.err" || fail "$fault: no reason given: $(cat "$tmp/old.err")"
	[ -s "$tmp/old.out" ] && fail "$fault: the program ran: $(cat "$tmp/old.out")"
	echo "ok   $fault: exit 125, $(grep -- '--seccomp' "$tmp/old.err")"
done
echo "PASS $e2e_name"
