#!/usr/bin/env bash
# BTF end to end: an unmodified libbpf loader (e2e_btf) loads a clang-built object with BTF-defined
# maps of the eight emulated types (a spin lock and a timer among the values, programs switched
# off) and pins its maps; then Debian's bpftool, each command its own process, shows and dumps the
# maps through their BTF and lists and dumps the BTF itself, found by the id the maps report. Run
# as root on the kernel and as nobody under bpfemu-run, the transcripts must be identical once map
# ids, BTF ids and memlock are masked. The kernel's own BTF (vmlinux, id 1) is shown and dumped too
# (the dump compared by its digest: it is tens of megabytes).
. "$(dirname "$0")/lib.sh"

# step CMD...: run one command with the side's prefix (R) and record it. SHOW, when set, is how the
# command is written in the transcript (for arguments that differ between the sides, like an id).
step() {
	local rc
	printf '$ %s\n' "${SHOW:-$*}" | sed -e "s|$BPFTOOL|bpftool|" -e "s|$stage/bin/||" -e "s|$stage/||"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	sed 's/^/  /' "$tmp/step.out"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}
bt() { step "$BPFTOOL" "$@"; }

# digest CMD...: the command's output by its size and SHA-256 only
digest() {
	local rc
	printf '$ %s | sha256sum\n' "${SHOW:-$*}" | sed "s|$BPFTOOL|bpftool|"
	"${R[@]}" "$@" >"$tmp/step.out" 2>"$tmp/step.err"
	rc=$?
	echo "  $(wc -l <"$tmp/step.out") lines, $(sha256sum <"$tmp/step.out" | cut -d' ' -f1)"
	sed 's/^/  stderr: /' "$tmp/step.err"
	echo "  [exit $rc]"
}

maps="locked_hash pcpu_hash timer_lru lru_pcpu locked_array pcpu_array fifo lifo"

scenario() {
	local m bid

	step mkdir "$D"
	step "$stage/bin/e2e_btf" "$stage/btfmaps.bpf.o" "$D"
	echo "# the maps, through their BTF"
	for m in $maps; do
		bt map show pinned "$D/$m"
		bt -j map show pinned "$D/$m"
	done
	for m in locked_hash locked_array timer_lru pcpu_hash pcpu_array lru_pcpu; do
		bt map dump pinned "$D/$m"
		bt -j map dump pinned "$D/$m"
	done
	bt map lookup pinned "$D/locked_array" key 1 0 0 0
	bt map update pinned "$D/locked_hash" key 1 0 0 0 0 0 0 0 0 0 0 0 6 0 0 0 value 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
	bt map dump pinned "$D/locked_hash"
	bt map freeze pinned "$D/locked_hash"

	echo "# the BTF the maps hold"
	bid=$("${R[@]}" "$BPFTOOL" -j map show pinned "$D/locked_hash" 2>/dev/null | sed -n 's/.*"btf_id":\([0-9]*\).*/\1/p')
	SHOW="bpftool btf show id BTF" bt btf show id "${bid:-0}"
	SHOW="bpftool -j btf show id BTF" bt -j btf show id "${bid:-0}"
	SHOW="bpftool btf dump id BTF" bt btf dump id "${bid:-0}"
	SHOW="bpftool -j btf dump id BTF" bt -j btf dump id "${bid:-0}"
	SHOW="bpftool btf dump id BTF format c" bt btf dump id "${bid:-0}" format c
	# the list holds every BTF of the machine on the kernel: only vmlinux's and ours are kept
	SHOW="bpftool btf list (vmlinux and BTF)" step sh -c "$BPFTOOL btf list | awk -v b=$bid '
		/^[0-9]+:/ { keep = (\$1 == \"1:\" || \$1 == b \":\") } keep'"

	echo "# the kernel's BTF"
	bt btf show id 1
	bt -j btf show id 1
	digest "$BPFTOOL" btf dump id 1
	SHOW="bpftool btf dump id 1 format c" digest "$BPFTOOL" btf dump id 1 format c

	step rm -r "$D"
	bt map show pinned "$D/locked_hash"
}

# Inside a private mount namespace (see below): bpffs on /sys/fs/bpf for this run only.
if [ "${1:-}" = --kernel-in-namespace ]; then
	D=$2
	mount -t bpf bpf /sys/fs/bpf || fail "mount -t bpf in a private mount namespace"
	R=(on_kernel)
	scenario
	exit 0
fi

need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
if [ -z "${BPFTOOL:-}" ] || [ ! -x "$BPFTOOL" ]; then skip "bpftool is not installed"; fi
[ -n "${E2E_BTF:-}" ] && [ -n "${E2E_BTF_OBJ:-}" ] || skip "e2e_btf or its BPF object was not built (clang and libbpf-dev)"
[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no /sys/kernel/btf/vmlinux"
need_root_and_bpf
e2e_setup
cp "$E2E_BTF" "$stage/bin/" && cp "$E2E_BTF_OBJ" "$stage/btfmaps.bpf.o" && chmod -R a+rX "$stage" || fail "staging"

D=/sys/fs/bpf/bpfemu-e2e-btf-$$-$RANDOM

kernel_cleanup() { [ -d "$D" ] && rm -rf "$D"; }
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
elif unshare --mount --propagation private true 2>/dev/null; then
	export tmp stage
	unshare --mount --propagation private bash "$0" --kernel-in-namespace "$D" >"$tmp/kernel.txt" ||
		fail "the kernel side failed: $(tail -n 3 "$tmp/kernel.txt")"
else
	mount -t bpf bpf /sys/fs/bpf || skip "bpffs is not mounted on /sys/fs/bpf and cannot be"
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
fi
grep -q '^  load: 0$' "$tmp/kernel.txt" || fail "the object did not load on the kernel: $(head -n 30 "$tmp/kernel.txt")"
grep -q 'btf_id obj' "$tmp/kernel.txt" || fail "no map got the object's BTF on the kernel: $(head -n 30 "$tmp/kernel.txt")"

# The emulated side, as nobody
R=(as_nobody "$stage/bin/bpfemu-run" --)
scenario >"$tmp/emu.txt"

mask_ids() {
	sed -E -e 's/^(  )[0-9]+: /\1ID: /' -e 's/"(id|btf_id)":[0-9]+/"\1":ID/g' -e 's/btf_id [0-9]+/btf_id ID/g' \
		-e 's/map_ids [0-9,]+/map_ids IDS/g' -e 's/"map_ids":\[[0-9,]*\]/"map_ids":[IDS]/g' \
		-e 's/"btf_id": [0-9]+/"btf_id": ID/g' "$1"
}
mask() {
	mask_ids "$1" | sed -E -e 's/memlock [0-9]+B/memlock NB/g' -e 's/"bytes_memlock":[0-9]+/"bytes_memlock":N/g'
}
mask "$tmp/kernel.txt" >"$tmp/kernel.masked"
mask "$tmp/emu.txt" >"$tmp/emu.masked"
echo "btf scenario: $(grep -c '^\$ ' "$tmp/kernel.masked") commands"
if ! diff -u "$tmp/kernel.masked" "$tmp/emu.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody), ids and memlock masked:"
	cat "$tmp/diff"
	fail "the BTF scenario under bpfemu-run differs from the kernel's"
fi
mask_ids "$tmp/kernel.txt" >"$tmp/kernel.ids"
mask_ids "$tmp/emu.txt" >"$tmp/emu.ids"
if ! diff -u "$tmp/kernel.ids" "$tmp/emu.ids" >"$tmp/diff"; then
	echo "note: memlock differs (not a failure):"
	grep '^[-+] ' "$tmp/diff"
fi
echo "PASS $e2e_name"
