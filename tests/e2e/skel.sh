#!/usr/bin/env bash
# A libbpf skeleton end to end (issue 19): e2e_skel, an unmodified `bpftool gen skeleton` client,
# loads an object with BTF-defined maps, .rodata constants set before load, .data/.bss read and
# written through the skeleton's mmap, and XDP, tc and socket-filter programs, first with every
# program's autoload off, then on (running each program once with BPF_PROG_TEST_RUN and pinning
# them). Then Debian's bpftool, each command its own process, shows, lists, dumps and pins the
# programs, and lists links. Run as root on the kernel and as nobody under bpfemu-run, the
# transcripts must be identical once ids, load times, uids, memlock and the JIT's sizes are masked.
#
# `bpftool prog dump xlated` is compared for skel_sock, the program the kernel rewrites nothing
# of. The kernel rewrites XDP and tc programs (context field accesses into its own structures,
# inlined map lookups): their dumps are shown in a section of their own, compared and counted but
# not required (README, "Programs").
. "$(dirname "$0")/lib.sh"
# "static": the client linked -static (libbpf.a), which bpfemu-run runs under the seccomp
# supervisor (the skeleton's mmap of .data/.bss/.rodata made by the supervisor), beside the
# preloaded bpftool
skel_bin=${skel_bin:-e2e_skel}
if [ "${1:-}" = static ]; then
	shift
	skel_bin=e2e_skel_static
	e2e_name="$e2e_name.static"
fi

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

# the id of a pinned program, for the commands that take one
prog_id() {
	"${R[@]}" "$BPFTOOL" -j prog show pinned "$1" 2>/dev/null | sed -n 's/^{"id":\([0-9]*\),.*/\1/p'
}

# only our programs, from a listing of the machine's (the kernel's holds everyone's)
OURS_AWK='/^[0-9]+: / { keep = ($0 ~ / name skel_(xdp|tc|sock) /) } keep'
OURS_PY='import json,sys; print(json.dumps([p for p in json.load(sys.stdin) if p.get("name","").startswith("skel_")], separators=(",",":")))'

scenario() {
	local p id
	step mkdir "$D"
	echo "# autoload off: maps and global data only"
	step "$stage/bin/$skel_bin" off
	echo "# autoload on: programs loaded, run once each, pinned"
	step "$stage/bin/$skel_bin" on "$D"
	echo "# bpftool"
	for p in skel_xdp skel_tc skel_sock; do
		bt prog show pinned "$D/$p"
		bt -j prog show pinned "$D/$p"
	done
	SHOW="bpftool prog show (ours)" step sh -c "$BPFTOOL prog show | awk '$OURS_AWK'"
	SHOW="bpftool prog list -j (ours)" step sh -c "$BPFTOOL -j prog list | python3 -c '$OURS_PY'"
	id=$(prog_id "$D/skel_sock")
	SHOW="bpftool prog dump xlated id SOCK" bt prog dump xlated id "${id:-0}"
	SHOW="bpftool prog dump xlated id SOCK opcodes" bt prog dump xlated id "${id:-0}" opcodes
	SHOW="bpftool prog dump xlated id SOCK linum" bt prog dump xlated id "${id:-0}" linum
	SHOW="bpftool prog dump xlated id SOCK visual" bt prog dump xlated id "${id:-0}" visual
	SHOW="bpftool -j prog dump xlated id SOCK" bt -j prog dump xlated id "${id:-0}"
	SHOW="bpftool prog pin id SOCK $D/again" bt prog pin id "${id:-0}" "$D/again"
	bt prog show pinned "$D/again"
	# our programs have no links; the kernel's list holds the machine's others
	SHOW="bpftool link show (ours)" step sh -c "$BPFTOOL link show | awk -v ids=\"$(for p in skel_xdp skel_tc skel_sock; do prog_id "$D/$p"; done | tr '\n' ' ')\" '
		BEGIN { n = split(ids, a, \" \"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		/^[0-9]+: / { keep = 0; for (f = 1; f <= NF; f++) if (\$f == \"prog\" && want[\$(f + 1)]) keep = 1 } keep'"
	bt link show pinned "$D/skel_xdp"
	echo "### rewritten by the kernel (compared, not required)"
	for p in skel_xdp skel_tc; do
		id=$(prog_id "$D/$p")
		SHOW="bpftool prog dump xlated id ${p^^}" bt prog dump xlated id "${id:-0}"
	done
	echo "### end"
	step rm -r "$D"
	bt prog show pinned "$D/skel_xdp"
}

if [ "${1:-}" = --kernel-in-namespace ]; then
	D=$2
	mount -t bpf bpf /sys/fs/bpf || fail "mount -t bpf in a private mount namespace"
	R=(on_kernel)
	scenario
	exit 0
fi

need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
if [ -z "${BPFTOOL:-}" ] || [ ! -x "$BPFTOOL" ]; then skip "bpftool is not installed"; fi
[ -n "${E2E_SKEL:-}" ] || skip "e2e_skel was not built (clang, libbpf-dev and bpftool)"
[ "$skel_bin" = e2e_skel ] || need_static E2E_SKEL_STATIC
command -v python3 >/dev/null || skip "python3 is not installed (the JSON listing is filtered with it)"
need_root_and_bpf
e2e_setup
cp "$E2E_SKEL" ${E2E_SKEL_STATIC:-} "$stage/bin/" && chmod -R a+rX "$stage" || fail "staging"

D=/sys/fs/bpf/bpfemu-e2e-skel-$$-$RANDOM

kernel_cleanup() { [ -d "$D" ] && rm -rf "$D"; }
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
elif unshare --mount --propagation private true 2>/dev/null; then
	export tmp stage skel_bin
	unshare --mount --propagation private bash "$0" --kernel-in-namespace "$D" >"$tmp/kernel.txt" ||
		fail "the kernel side failed: $(tail -n 3 "$tmp/kernel.txt")"
else
	mount -t bpf bpf /sys/fs/bpf || skip "bpffs is not mounted on /sys/fs/bpf and cannot be"
	e2e_cleanup_hooks+=(kernel_cleanup)
	R=(on_kernel)
	scenario >"$tmp/kernel.txt"
fi
grep -q '^  load: 0$' "$tmp/kernel.txt" || fail "the skeleton did not load on the kernel: $(head -n 30 "$tmp/kernel.txt")"

R=(as_nobody "$stage/bin/bpfemu-run" --)
# The client runs its TEST_RUNs on CPU 0 (sched_setaffinity) and prints per-CPU counters. Under
# the supervisor the emulator answers in another process: keep that one off CPU 0, so a run
# counted on the supervisor's CPU instead of the caller's shows here every time.
if [ "$skel_bin" = e2e_skel_static ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	R=(as_nobody taskset -c 1 "$stage/bin/bpfemu-run" --)
fi
scenario >"$tmp/emu.txt"

mask() {
	sed -E -e 's/^(  )[0-9]+: /\1ID: /' -e 's/"(id|btf_id)":[0-9]+/"\1":ID/g' -e 's/btf_id [0-9]+/btf_id ID/g' \
		-e 's/map_ids [0-9,]+/map_ids IDS/g' -e 's/"map_ids":\[[0-9,]*\]/"map_ids":[IDS]/g' \
		-e 's/map\[id:[0-9]+\]/map[id:ID]/g' \
		-e 's/loaded_at [0-9T:+-]+/loaded_at TIME/g' -e 's/"loaded_at":[0-9]+/"loaded_at":TIME/g' \
		-e 's/uid [0-9]+/uid UID/g' -e 's/"uid":[0-9]+/"uid":UID/g' \
		-e 's/memlock [0-9]+B/memlock NB/g' -e 's/"bytes_memlock":[0-9]+/"bytes_memlock":N/g' \
		-e 's/jited [0-9]+B|not jited/JIT/g' -e 's/"jited":(true|false)/"jited":JIT/g' \
		-e 's/"bytes_jited":[0-9]+,//g' "$1" |
	# the map id in an ld_imm64's raw bytes (opcodes): the line after the instruction
	awk 'prev ~ /\(18\) r[0-9]+ = map\[id:/ && $1 == "18" { $5 = $6 = $7 = $8 = "ID"; $0 = "         " $0 }
		{ prev = $0; print }' |
	# the kernel rewrites the XDP and tc programs (inlined map lookups): their xlated sizes differ;
	# skel_sock's, which it rewrites nothing of, stay compared
	awk '/ name skel_(xdp|tc) / { rw = 1 } / name skel_sock / { rw = 0 } rw && /xlated [0-9]+B/ { sub(/xlated [0-9]+B/, "xlated (rewritten)") } { print }' |
	sed -E 's/("name":"skel_(xdp|tc)"[^}]*"bytes_xlated":)[0-9]+/\1REWRITTEN/g'
}
apart() { awk '/^### rewritten/ { skip = 1 } !skip { print } /^### end/ { skip = 0 }' "$1"; }
only() { awk '/^### rewritten/ { keep = 1 } keep { print } /^### end/ { keep = 0 }' "$1"; }
mask "$tmp/kernel.txt" >"$tmp/kernel.all"
mask "$tmp/emu.txt" >"$tmp/emu.all"
apart "$tmp/kernel.all" >"$tmp/kernel.masked"
apart "$tmp/emu.all" >"$tmp/emu.masked"
only "$tmp/kernel.all" >"$tmp/kernel.rewritten"
only "$tmp/emu.all" >"$tmp/emu.rewritten"
echo "skel scenario: $(grep -c '^\$ ' "$tmp/kernel.masked") commands"
if ! diff -u "$tmp/kernel.masked" "$tmp/emu.masked" >"$tmp/diff"; then
	echo "--- kernel (root)  +++ bpfemu-run (nobody), ids, times, uids, memlock and the JIT masked:"
	cat "$tmp/diff"
	fail "the skeleton scenario under bpfemu-run differs from the kernel's"
fi
if diff -u "$tmp/kernel.rewritten" "$tmp/emu.rewritten" >"$tmp/diff"; then
	echo "the xlated dumps of the XDP and tc programs are the same too"
else
	echo "note: the xlated dumps of the XDP and tc programs differ in $(grep -c '^[-+] ' "$tmp/diff") lines (the kernel's rewrites; not a failure):"
	grep '^[-+] ' "$tmp/diff" | head -n 40
fi
if [ "$skel_bin" = e2e_skel_static ]; then
	as_nobody "$stage/bin/bpfemu-run" --debug=1 -- "$stage/bin/$skel_bin" off >/dev/null 2>"$tmp/debug.err"
	n=$(grep -c "made again at file offset" "$tmp/debug.err")
	echo "the supervisor made $n mappings of global data for the skeleton"
	[ "$n" -ge 1 ] || fail "the skeleton's global data was not mapped by the supervisor: $(cat "$tmp/debug.err")"
fi
echo "PASS $e2e_name"
