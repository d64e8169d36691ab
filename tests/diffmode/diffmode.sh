#!/usr/bin/env bash
# Differential mode, end to end: diffmode.sh PART, one ctest test per PART.
#   client        diffmode_client's awkward calls under --diff (stores through an mmapable array's
#                 mapping too): no divergence, exit 0 with --diff-strict
#   faults        each planted fault (fault-injecting preload) is reported: text, JSON, --diff-strict = 3;
#                 those of the map types of objects, rings, tries and filters each where it shows
#   flowcount     examples/flowcount under --diff: no divergence, same output as without --diff
#   bpftool       a bpftool session over pinned maps of every type, each command its own process,
#                 mirrors found through mirror pins: no divergence; a planted fault is reported
#   skel          the libbpf skeleton application of tests/e2e (BTF, global data through mmap, XDP,
#                 tc and socket programs loaded, run with BPF_PROG_TEST_RUN, pinned): no
#                 divergence, and each planted fault of the program subsystems (interpreter,
#                 helper, BTF check, map lookup) is reported on the call and object it touches
#   superv        Go, static libbpf and skeleton clients under the seccomp supervisor with --diff: no
#                 divergence, the same output as without; planted faults reported (bpfemu-run-fault)
#   unprivileged  where bpf() is not permitted, --diff fails at once with 125 and says why
#   release       the installed libraries contain no fault-injection switch
# Runs as root in a private mount namespace, where a bpffs is mounted for the kernel's mirror pins.
# Skips (77, reason printed) without root or a kernel that answers bpf(); with
# BPFEMU_REQUIRE_KERNEL=1 (CI) a skip is a failure.
set -u
part=${1:-}

skip() {
	echo "SKIP diffmode.$part: $*"
	if [ "${BPFEMU_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "BPFEMU_REQUIRE_KERNEL=1: a skip is a failure here"
		exit 1
	fi
	exit 77
}
errors=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}
for v in BPFEMU_RUN BPFEMU_PRELOAD_LIB; do
	[ -n "${!v:-}" ] || { echo "FAIL: $v is not set (run through ctest)"; exit 1; }
done

# ---- parts that need neither root nor a kernel ----

if [ "$part" = release ]; then
	# The switch is compiled in only with -DBPFEMU_FAULT_INJECTION=ON, into other targets.
	# (bpfemu-run carries the emulator and --diff too: the seccomp supervisor's)
	for lib in "$BPFEMU_PRELOAD_LIB" "${LIBBPFEMU:-}" "$BPFEMU_RUN"; do
		[ -n "$lib" ] || continue
		if [ ! -f "$lib" ]; then
			bad "$lib does not exist"
		elif grep -q -a -e BPFEMU_FAULT -e getnext-skip "$lib"; then
			bad "$(basename "$lib") contains the fault-injection switch"
		else
			ok "$(basename "$lib") has no fault-injection switch"
		fi
	done
	# the same test on the test copies must find it, or it proves nothing
	for lib in "${BPFEMU_PRELOAD_FAULT:-}" "${BPFEMU_RUN_FAULT:-}"; do
		[ -n "$lib" ] || continue
		if [ -f "$lib" ] && grep -q -a BPFEMU_FAULT "$lib"; then
			ok "the test copy $(basename "$lib") has it"
		else
			bad "the test copy $(basename "$lib") has no switch: the check is blind"
		fi
	done
	exit $((errors > 0))
fi

if [ "$part" = unprivileged ]; then
	[ "$(id -u)" = 0 ] || skip "not root: cannot drop to nobody"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-diffmode.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 143' TERM
	chmod 755 "$tmp"
	mkdir -p "$tmp/stage/bin" "$tmp/stage/lib" "$tmp/nobody"
	cp "$BPFEMU_RUN" "$DIFFMODE_CLIENT" "$tmp/stage/bin/"
	cp "$BPFEMU_PRELOAD_LIB" "$tmp/stage/lib/libbpfemu-preload.so"
	chmod -R a+rX "$tmp/stage"
	chown nobody: "$tmp/nobody"
	nob() {
		setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
			env -u XDG_RUNTIME_DIR HOME="$tmp/nobody" BPFEMU_STATE_DIR="$tmp/nobody/state" "$@"
	}
	nob "$tmp/stage/bin/bpfemu-run" --diff true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 125 ] && grep -q 'bpf() is not permitted' "$tmp/err"; then
		ok "bpfemu-run --diff as nobody: exit 125, $(cat "$tmp/err")"
	else
		bad "bpfemu-run --diff as nobody: exit $rc, stderr: $(cat "$tmp/err")"
	fi
	nob "$tmp/stage/bin/bpfemu-run" true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 0 ] && ok "without --diff the same run works" || bad "without --diff: exit $rc"
	# the preload alone (no bpfemu-run): it fails at the first bpf() call, the same way
	nob env BPFEMU_DIFF=1 LD_PRELOAD="$tmp/stage/lib/libbpfemu-preload.so" \
		"$tmp/stage/bin/$(basename "$DIFFMODE_CLIENT")" types >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc = 125 ] && grep -q 'bpf() is not permitted' "$tmp/err"; then
		ok "BPFEMU_DIFF=1 with the preload alone: exit 125 at the first bpf() call"
	else
		bad "BPFEMU_DIFF=1 with the preload alone: exit $rc, stderr: $(head -c 300 "$tmp/err")"
	fi
	exit $((errors > 0))
fi

# ---- the rest: root, a kernel, a private mount namespace ----

[ "$(id -u)" = 0 ] || skip "not root: --diff makes every call on the kernel too"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
if [ -z "${DIFFMODE_IN_NS:-}" ]; then
	DIFFMODE_IN_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
	skip "cannot enter a private mount namespace"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-diffmode.XXXXXX")
# SIGTERM (a user's kill, e2e.leftovers): the command running now ends first (a TERM trap makes
# bash wait for it), so nothing of ours still holds the bpffs or writes the state when it goes
trap 'umount "$tmp/kbpffs" 2>/dev/null || umount -l "$tmp/kbpffs" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
mkdir -p "$tmp/kbpffs" "$tmp/state/bpffs"
mount -t bpf bpf "$tmp/kbpffs" 2>/dev/null || skip "cannot mount a bpffs (mount -t bpf)"
export BPFEMU_STATE_DIR=$tmp/state BPFEMU_BPFFS=$tmp/state/bpffs BPFEMU_DIFF_BPFFS=$tmp/kbpffs
unset BPFEMU_TRACE BPFEMU_DEBUGLEVEL BPFEMU_NR_CPUS BPFEMU_DIFF BPFEMU_DIFF_REPORT BPFEMU_DIFF_JSON BPFEMU_DIFF_STRICT \
	BPFEMU_FAULT
if ! "$BPFEMU_RUN" --diff true >"$tmp/out" 2>&1; then
	grep -q 'not permitted' "$tmp/out" && skip "bpf() is not available to root here: $(cat "$tmp/out")"
	echo "FAIL diffmode.$part: bpfemu-run --diff true: $(cat "$tmp/out")"
	exit 1
fi

# diffmode_client's scenarios of the map types of objects, rings, tries and filters (maptypes.c)
maptype_scenarios="ofmaps ofmaps_run progarray ringbuf lpm bloom user_ringbuf perf_array"

# report_clean FILE WHAT [MIN]: summaries present, each with 0 divergences, MIN calls compared in all
report_clean() {
	local file=$1 what=$2 min=${3:-1} n total
	n=$(grep -c '^bpfemu diff: [0-9]* calls compared' "$file")
	total=$(sed -n 's/^bpfemu diff: \([0-9]*\) calls compared.*/\1/p' "$file" | awk '{s += $1} END {print s + 0}')
	if grep -q 'DIVERGENCE' "$file" || grep '^bpfemu diff: [0-9]* calls compared' "$file" | grep -qv ' 0 divergences'; then
		bad "$what: divergences reported:"
		grep -A12 DIVERGENCE "$file" | head -n 60
	elif [ "$n" = 0 ]; then
		bad "$what: no summary line in the report"
	elif [ "$total" -lt "$min" ]; then
		bad "$what: only $total calls compared (want at least $min)"
	else
		ok "$what: $n processes, $total calls compared, 0 divergences"
	fi
}

case $part in
client)
	"$BPFEMU_RUN" --diff --diff-strict --diff-report="$tmp/report" "$DIFFMODE_CLIENT" >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 0 ] && ok "diffmode_client under --diff --diff-strict: exit 0" ||
		bad "diffmode_client under --diff --diff-strict: exit $rc: $(tail -n 5 "$tmp/out")"
	report_clean "$tmp/report" "diffmode_client" 1000
	# stores through an mmapable array's mapping reached the mirror, and the summary says so
	grep -q '^bpfemu diff: .*array values stored through a mapping, copied to the kernel' "$tmp/report" &&
		ok "stores through a mapping: carried to the kernel, no divergence, said in the summary" ||
		bad "no summary line mentions stores through a mapping"
	# the child it forks reports its own calls, and what was not compared is said
	[ "$(grep -c '^bpfemu diff:.*calls compared' "$tmp/report")" -ge 2 ] && ok "the forked child has its own summary" ||
		bad "no summary from the forked child"
	grep -q 'not emulated: 1' "$tmp/report" && ok "the command that is not emulated is counted as not compared" ||
		bad "BPF_TASK_FD_QUERY is not counted as not compared: $(grep 'calls compared' "$tmp/report" | tail -n 1)"
	grep -q 'id commands: 2' "$tmp/report" && ok "BPF_LINK_GET_NEXT_ID and BPF_PROG_GET_NEXT_ID are counted as id commands, not compared" ||
		bad "BPF_LINK/PROG_GET_NEXT_ID are not counted as id commands: $(grep 'calls compared' "$tmp/report" | tail -n 1)"
	# a call whose kernel run needs a hook says so, with the reason, and is counted
	grep -q '^bpfemu diff: note: not comparable: BPF_RAW_TRACEPOINT_OPEN: it attaches to a kernel tracepoint' "$tmp/report" &&
		grep -q "needs the kernel's hooks or devices: 1" "$tmp/report" &&
		ok "BPF_RAW_TRACEPOINT_OPEN: not comparable, the reason said, counted" ||
		bad "BPF_RAW_TRACEPOINT_OPEN is not said to be not comparable: $(grep -m2 'not comparable\|calls compared' "$tmp/report")"
	# the map types of objects, rings, tries and filters on their own: every call compared (none
	# left for want of a mirror or as not comparable), no divergence
	"$BPFEMU_RUN" --diff --diff-strict --diff-report="$tmp/report.mt" "$DIFFMODE_CLIENT" $maptype_scenarios >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 0 ] && ok "diffmode_client $maptype_scenarios under --diff --diff-strict: exit 0" ||
		bad "diffmode_client $maptype_scenarios under --diff --diff-strict: exit $rc: $(tail -n 5 "$tmp/out")"
	report_clean "$tmp/report.mt" "maps of maps, program arrays, ring buffers, LPM tries, bloom filters" 400
	if grep -q 'not compared\|not comparable' "$tmp/report.mt"; then
		bad "map type calls not compared: $(grep -m3 'not compared\|not comparable' "$tmp/report.mt")"
	else
		ok "every call on the new map types was compared"
	fi
	# a consumer's moves of a ring's consumer position (through its mapping, the map's fd open or
	# closed) reached the mirror's ring, and the summary says so
	grep -q '^bpfemu diff: .*[1-9][0-9]* ring positions moved through a mapping, carried to the kernel' "$tmp/report.mt" &&
		ok "ring consumer positions moved through a mapping: carried to the kernel, said in the summary" ||
		bad "no summary line mentions ring positions carried: $(grep 'calls compared' "$tmp/report.mt")"
	# the program sees the emulator either way: the same answers without --diff
	"$BPFEMU_RUN" "$DIFFMODE_CLIENT" >"$tmp/plain" 2>&1 || bad "diffmode_client without --diff fails: $(tail -n 5 "$tmp/plain")"
	;;
faults)
	[ -n "${BPFEMU_PRELOAD_FAULT:-}" ] || skip "not configured with -DBPFEMU_FAULT_INJECTION=ON"
	# fault, command it shows up in, what the report says about it
	while read -r fault cmd what; do
		rm -f "$tmp/report"
		BPFEMU_FAULT=$fault "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff --diff-report="$tmp/report" \
			"$DIFFMODE_CLIENT" types >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc = 0 ] && grep -A8 DIVERGENCE "$tmp/report" | grep -q "$cmd" && grep -q -- "$what" "$tmp/report" &&
			grep -q '^bpfemu diff: [0-9]* calls compared, [1-9][0-9]* divergences' "$tmp/report"; then
			ok "fault $fault: reported ($(grep -m1 -- "$what" "$tmp/report" | sed 's/^ *//'))"
		else
			bad "fault $fault: not reported as $cmd / $what (exit $rc):"
			head -n 20 "$tmp/report"
		fi
		# --diff-strict: the program exited 0, the divergence makes it 3
		BPFEMU_FAULT=$fault "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff-strict --diff-report=/dev/null \
			"$DIFFMODE_CLIENT" types >/dev/null 2>&1
		rc=$?
		[ $rc = 3 ] && ok "fault $fault with --diff-strict: exit 3" || bad "fault $fault with --diff-strict: exit $rc, want 3"
	done <<-EOF
	getnext-skip BPF_MAP_GET_NEXT_KEY next_key:
	delete-errno BPF_MAP_DELETE_ELEM errno differs
	lookup-byte BPF_MAP_LOOKUP_ELEM value:
	EOF
	# the map types of objects, rings, tries and filters: fault, scenario, command, what is said
	while read -r fault scen cmd what; do
		rm -f "$tmp/report"
		BPFEMU_FAULT=$fault "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff --diff-report="$tmp/report" \
			"$DIFFMODE_CLIENT" "$scen" >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc = 0 ] && grep -A12 DIVERGENCE "$tmp/report" | grep -q "$cmd" && grep -qF -- "$what" "$tmp/report" &&
			grep -q '^bpfemu diff: [0-9]* calls compared, [1-9][0-9]* divergences' "$tmp/report"; then
			ok "fault $fault ($scen): reported ($(grep -m1 -F -- "$what" "$tmp/report" | sed 's/^ *//'))"
		else
			bad "fault $fault ($scen): not reported as $cmd / $what (exit $rc):"
			head -n 20 "$tmp/report"
		fi
	done <<-EOF
	ofmap-id ofmaps BPF_MAP_LOOKUP_ELEM value[0]: the inner map id is not the twin of the kernel's
	ofmap-id ofmaps BPF_MAP_LOOKUP_BATCH values[0]: the inner map id is not the twin of the kernel's
	ofmap-id ofmaps_run BPF_PROG_TEST_RUN after the run, map 'dm_x' (array_of_maps): the element of key
	inner-map-null ofmaps_run BPF_PROG_TEST_RUN after the run, map 'dm_x/inner id
	progarray-id progarray BPF_MAP_LOOKUP_ELEM value[0]: the program id is not the twin of the kernel's
	progarray-id progarray BPF_PROG_TEST_RUN after the run, map 'dm_x' (prog_array): the element of key
	ringbuf-len ringbuf BPF_PROG_TEST_RUN the header of the record at position 0 differs
	lpm-match lpm BPF_MAP_LOOKUP_ELEM value: 1 of 4 bytes differ
	bloom-push-bit bloom BPF_MAP_LOOKUP_ELEM return value differs
	bloom-push-bit bloom BPF_PROG_TEST_RUN after the run, bloom filter 'dm_x': a peek of a pushed value
	EOF
	rm -f "$tmp/report"
	"$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff --diff-report="$tmp/report" "$DIFFMODE_CLIENT" \
		$maptype_scenarios >/dev/null 2>&1
	report_clean "$tmp/report" "the fault-injecting preload, no fault asked for, on the new map types" 400
	# carrying stores through a mapping to the kernel hides no fault on that map
	rm -f "$tmp/report"
	BPFEMU_FAULT=lookup-byte "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff --diff-report="$tmp/report" \
		"$DIFFMODE_CLIENT" mmap >/dev/null 2>&1
	grep -q 'map_flags 0x400' "$tmp/report" && grep -q '^bpfemu diff: [0-9]* calls compared, [1-9]' "$tmp/report" &&
		ok "fault lookup-byte on an mmapable array written through its mapping: reported" ||
		bad "fault lookup-byte on an mmapable array: not reported: $(head -n 5 "$tmp/report")"
	# JSON lines: one divergence record, one summary
	BPFEMU_FAULT=delete-errno "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff-json \
		--diff-report="$tmp/report.json" "$DIFFMODE_CLIENT" types >/dev/null 2>&1
	if grep -q '^{"event":"divergence",.*"command":"BPF_MAP_DELETE_ELEM",.*"kernel":{"ret":-1,"errno":2,"errno_name":"ENOENT"},"emulator":{"ret":-1,"errno":22,"errno_name":"EINVAL"}' "$tmp/report.json" &&
		grep -q '^{"event":"summary",.*"divergences":[1-9]' "$tmp/report.json" &&
		! grep -qv '^{.*}$' "$tmp/report.json"; then
		ok "--diff-json: divergence and summary records, one object per line"
	else
		bad "--diff-json report:"
		head -n 5 "$tmp/report.json"
	fi
	# the fault does nothing unless asked for: the same preload without BPFEMU_FAULT is clean
	rm -f "$tmp/report"
	"$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff --diff-report="$tmp/report" "$DIFFMODE_CLIENT" types \
		>/dev/null 2>&1
	report_clean "$tmp/report" "the fault-injecting preload with no fault asked for" 100
	;;
flowcount)
	[ -n "${FLOWCOUNT:-}" ] || skip "examples/flowcount was not built (libbpf missing)"
	"$BPFEMU_RUN" "$FLOWCOUNT" >"$tmp/plain.out" 2>"$tmp/plain.err" || bad "flowcount under bpfemu-run fails"
	"$BPFEMU_RUN" --diff --diff-strict --diff-report="$tmp/report" "$FLOWCOUNT" >"$tmp/diff.out" 2>"$tmp/diff.err"
	rc=$?
	[ $rc = 0 ] && ok "flowcount under --diff --diff-strict: exit 0" || bad "flowcount under --diff: exit $rc"
	cmp -s "$tmp/plain.out" "$tmp/diff.out" && ok "the same output with and without --diff" ||
		bad "flowcount prints something else under --diff: $(diff "$tmp/plain.out" "$tmp/diff.out" | head)"
	report_clean "$tmp/report" "flowcount" 100
	if [ -n "${BPFEMU_PRELOAD_FAULT:-}" ]; then
		BPFEMU_FAULT=getnext-skip "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff \
			--diff-report="$tmp/fault" "$FLOWCOUNT" >/dev/null 2>&1
		grep -q 'DIVERGENCE' "$tmp/fault" && grep -A3 DIVERGENCE "$tmp/fault" | grep -q BPF_MAP_GET_NEXT_KEY &&
			ok "flowcount with fault getnext-skip: reported" || bad "flowcount with fault getnext-skip: not reported"
	fi
	;;
bpftool)
	[ -n "${BPFTOOL:-}" ] && [ -x "$BPFTOOL" ] || skip "bpftool is not installed"
	D=/sys/fs/bpf/diffmode-$$
	# bt ARGS...: one bpftool process under --diff; its exit status is bpftool's own
	bt() { "$BPFEMU_RUN" --diff --diff-report="$tmp/report" "$BPFTOOL" "$@" >>"$tmp/bt.out" 2>&1; }
	scenario() {
		"$BPFEMU_RUN" mkdir "$D"
		bt map create "$D/hash" type hash key 4 value 8 entries 16 name dm_hash
		for k in 1 2 3 4 5 6 7 8 9; do bt map update pinned "$D/hash" key "$k" 0 0 0 value "$k" 0 0 0 0 0 0 0; done
		bt map update pinned "$D/hash" key 2 0 0 0 value 21 0 0 0 0 0 0 0 noexist
		bt map update pinned "$D/hash" key 30 0 0 0 value 1 0 0 0 0 0 0 0 exist
		bt map lookup pinned "$D/hash" key 2 0 0 0
		bt map lookup pinned "$D/hash" key 99 0 0 0
		bt map dump pinned "$D/hash"
		bt -j map dump pinned "$D/hash"
		bt map getnext pinned "$D/hash" key 2 0 0 0
		bt map delete pinned "$D/hash" key 1 0 0 0
		bt map delete pinned "$D/hash" key 1 0 0 0
		bt map show pinned "$D/hash"
		bt map freeze pinned "$D/hash"
		bt map update pinned "$D/hash" key 5 0 0 0 value 1 0 0 0 0 0 0 0
		bt map create "$D/percpu" type percpu_hash key 4 value 8 entries 8 name dm_percpu
		bt map update pinned "$D/percpu" key 1 0 0 0 value 1 0 0 0 0 0 0 0
		bt map dump pinned "$D/percpu"
		bt map create "$D/lru" type lru_hash key 4 value 4 entries 8 name dm_lru
		for k in 1 2 3 4 5 6 7 8 9 10 11; do bt map update pinned "$D/lru" key "$k" 0 0 0 value "$k" 0 0 0; done
		bt map dump pinned "$D/lru"
		bt map create "$D/lrupc" type lru_percpu_hash key 4 value 4 entries 8 name dm_lrupc
		for k in 1 2 3; do bt map update pinned "$D/lrupc" key "$k" 0 0 0 value "$k" 0 0 0; done
		bt map dump pinned "$D/lrupc"
		bt map create "$D/array" type array key 4 value 4 entries 4 name dm_array
		bt map update pinned "$D/array" key 1 0 0 0 value 7 0 0 0
		bt map update pinned "$D/array" key 1 0 0 0 value 7 0 0 0 noexist
		bt map dump pinned "$D/array"
		bt map create "$D/parray" type percpu_array key 4 value 4 entries 4 name dm_parray
		bt map update pinned "$D/parray" key 3 0 0 0 value 7 0 0 0
		bt map dump pinned "$D/parray"
		bt map create "$D/queue" type queue key 0 value 4 entries 3 name dm_queue
		for v in 1 2 3 4; do bt map push pinned "$D/queue" value "$v" 0 0 0; done
		bt map peek pinned "$D/queue"
		bt map pop pinned "$D/queue"
		bt map create "$D/stack" type stack key 0 value 4 entries 3 name dm_stack
		for v in 1 2; do bt map push pinned "$D/stack" value "$v" 0 0 0; done
		bt map pop pinned "$D/stack"
		# maps of maps whose inner map another process made (its twin through its mirror pin),
		# an LPM trie, a bloom filter, a ring buffer, a program array
		bt map create "$D/inner" type array key 4 value 4 entries 2 name dm_inner
		bt map update pinned "$D/inner" key 1 0 0 0 value 5 0 0 0
		bt map create "$D/aom" type array_of_maps key 4 value 4 entries 2 name dm_aom inner_map pinned "$D/inner"
		bt map update pinned "$D/aom" key 0 0 0 0 value pinned "$D/inner"
		bt map update pinned "$D/aom" key 1 0 0 0 value pinned "$D/hash"
		bt map lookup pinned "$D/aom" key 0 0 0 0
		bt map dump pinned "$D/aom"
		bt map create "$D/hom" type hash_of_maps key 4 value 4 entries 2 name dm_hom inner_map pinned "$D/inner"
		bt map update pinned "$D/hom" key 1 0 0 0 value pinned "$D/inner"
		bt map dump pinned "$D/hom"
		bt map create "$D/lpm" type lpm_trie key 8 value 4 entries 4 name dm_lpm flags 1
		bt map update pinned "$D/lpm" key 16 0 0 0 10 1 0 0 value 1 0 0 0
		bt map update pinned "$D/lpm" key 8 0 0 0 10 0 0 0 value 2 0 0 0
		bt map lookup pinned "$D/lpm" key 32 0 0 0 10 1 2 3
		bt map lookup pinned "$D/lpm" key 32 0 0 0 10 2 2 3
		bt map dump pinned "$D/lpm"
		bt map create "$D/bloom" type bloom_filter key 0 value 4 entries 16 name dm_bloom
		bt map push pinned "$D/bloom" value 1 0 0 0
		bt map peek pinned "$D/bloom"
		bt map create "$D/rb" type ringbuf key 0 value 0 entries 4096 name dm_rb
		bt map show pinned "$D/rb"
		bt map create "$D/pa" type prog_array key 4 value 4 entries 2 name dm_pa
		bt map dump pinned "$D/pa"
		bt map show
		bt -j map show
		"$BPFEMU_RUN" rm "$D/hash"
		bt map show pinned "$D/hash"
		"$BPFEMU_RUN" rm -r "$D"
		bt map show
	}
	scenario
	report_clean "$tmp/report" "bpftool session ($(grep -c '^bpfemu diff:.*calls compared' "$tmp/report") bpftool processes)" 100
	# the mirrors were found across processes: updates after the creating process had exited
	# were compared, not skipped for want of a mirror
	if grep -q 'without a kernel mirror' "$tmp/report"; then
		bad "some calls had no kernel mirror: $(grep -m3 'without a kernel mirror' "$tmp/report")"
	else
		ok "every map reached by pin or id had its kernel mirror"
	fi
	# once the pins are gone, so are the mirror pins
	left=$(ls "$tmp/kbpffs"/bpfemu-diff-0 2>/dev/null | wc -l)
	[ "$left" = 0 ] && ok "mirror pins removed with the pins" || bad "$left mirror pins left behind"
	if [ -n "${BPFEMU_PRELOAD_FAULT:-}" ]; then
		: >"$tmp/report"
		bt() {
			BPFEMU_FAULT=getnext-skip "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff \
				--diff-report="$tmp/report" "$BPFTOOL" "$@" >>"$tmp/bt.out" 2>&1
		}
		"$BPFEMU_RUN" mkdir "$D"
		bt map create "$D/hash" type hash key 4 value 8 entries 16 name dm_hash
		for k in 1 2 3 4; do bt map update pinned "$D/hash" key "$k" 0 0 0 value "$k" 0 0 0 0 0 0 0; done
		bt map dump pinned "$D/hash"
		"$BPFEMU_RUN" rm -r "$D"
		grep -A3 DIVERGENCE "$tmp/report" | grep -q BPF_MAP_GET_NEXT_KEY &&
			ok "bpftool map dump with fault getnext-skip: reported" ||
			bad "bpftool map dump with fault getnext-skip: not reported: $(head -n 5 "$tmp/report")"
		# an inner map id made by another process: its twin found through its mirror pin, so a
		# wrong id is reported, not left as not comparable
		: >"$tmp/report"
		bt() {
			BPFEMU_FAULT=ofmap-id "$BPFEMU_RUN" --preload="$BPFEMU_PRELOAD_FAULT" --diff \
				--diff-report="$tmp/report" "$BPFTOOL" "$@" >>"$tmp/bt.out" 2>&1
		}
		"$BPFEMU_RUN" mkdir "$D"
		bt map create "$D/inner" type array key 4 value 4 entries 2 name dm_inner
		bt map create "$D/aom" type array_of_maps key 4 value 4 entries 2 name dm_aom inner_map pinned "$D/inner"
		bt map update pinned "$D/aom" key 0 0 0 0 value pinned "$D/inner"
		bt map lookup pinned "$D/aom" key 0 0 0 0
		"$BPFEMU_RUN" rm -r "$D"
		grep -A6 DIVERGENCE "$tmp/report" | grep -q 'the inner map id is not the twin' &&
			ok "bpftool map lookup of an array of maps with fault ofmap-id: reported" ||
			bad "bpftool map lookup with fault ofmap-id: not reported: $(head -n 5 "$tmp/report")"
	fi
	;;
skel)
	[ -n "${E2E_SKEL:-}" ] || skip "e2e_skel was not built (clang, libbpf-dev and bpftool)"
	D=/sys/fs/bpf/diffmode-skel-$$
	skel() { # skel REPORT [PRELOAD...]: both modes of the application, one report
		local rep=$1 rc=0
		shift
		"$BPFEMU_RUN" "$@" --diff --diff-report="$rep" "$E2E_SKEL" off >>"$tmp/skel.out" 2>&1 || rc=$?
		"$BPFEMU_RUN" mkdir -p "$D"
		"$BPFEMU_RUN" "$@" --diff --diff-report="$rep" "$E2E_SKEL" on "$D" >>"$tmp/skel.out" 2>&1 || rc=$?
		# the pinned programs from other processes: their twins found through mirror pins
		if [ -n "${BPFTOOL:-}" ] && [ -x "$BPFTOOL" ]; then
			for p in skel_xdp skel_tc skel_sock; do
				"$BPFEMU_RUN" "$@" --diff --diff-report="$rep" "$BPFTOOL" prog show pinned "$D/$p" \
					>>"$tmp/skel.out" 2>&1 || rc=$?
			done
			"$BPFEMU_RUN" "$@" --diff --diff-report="$rep" "$BPFTOOL" prog dump xlated pinned "$D/skel_sock" \
				>>"$tmp/skel.out" 2>&1 || rc=$?
		fi
		"$BPFEMU_RUN" rm -rf "$D"
		# the next --diff process that makes a call sweeps the mirror pins whose pins are gone
		"$BPFEMU_RUN" "$@" --diff --diff-report="$rep" "$E2E_SKEL" off >/dev/null 2>&1 || rc=$?
		return $rc
	}
	skel "$tmp/report" || bad "e2e_skel under --diff failed: $(tail -n 5 "$tmp/skel.out")"
	grep -q '^load: 0$' "$tmp/skel.out" && grep -q '^run skel_xdp: 0 retval' "$tmp/skel.out" ||
		bad "the skeleton did not load and run its programs under --diff: $(head -n 20 "$tmp/skel.out")"
	report_clean "$tmp/report" "the skeleton application (programs loaded, run, pinned)" 100
	# the programs had kernel twins: nothing was left uncompared for want of one
	if grep -q 'without a kernel mirror\|not comparable' "$tmp/report"; then
		bad "calls not compared: $(grep -m3 'without a kernel mirror\|not comparable' "$tmp/report")"
	else
		ok "every program, BTF object and map had its kernel twin (in bpftool's processes too)"
	fi
	left=$(ls "$tmp/kbpffs"/bpfemu-diff-0 2>/dev/null | wc -l)
	[ "$left" = 0 ] && ok "mirror pins of the programs removed with their pins" || bad "$left mirror pins left behind"
	if [ -n "${BPFEMU_PRELOAD_FAULT:-}" ]; then
		# fault, the command it shows up in, what the report says
		while read -r fault cmd what; do
			: >"$tmp/report"
			BPFEMU_FAULT=$fault skel "$tmp/report" --preload="$BPFEMU_PRELOAD_FAULT"
			if grep -A12 DIVERGENCE "$tmp/report" | grep -q "$cmd" && grep -qF -- "$what" "$tmp/report"; then
				ok "skeleton, fault $fault: reported ($(grep -m1 -F -- "$what" "$tmp/report" | sed 's/^ *//'))"
			else
				bad "skeleton, fault $fault: not reported as $cmd / $what:"
				head -n 20 "$tmp/report"
			fi
		done <<-EOF
		interp-alu BPF_PROG_TEST_RUN object:   program 'skel_
		helper-update-errno BPF_PROG_TEST_RUN after the run, map 'by_proto' (hash)
		btf-var-linkage BPF_BTF_LOAD return value differs
		prog-map-ids BPF_PROG_LOAD map_ids[0] is not the twin of the kernel's
		lookup-byte BPF_MAP_LOOKUP_ELEM value:
		EOF
	fi
	;;
superv)
	# Programs the preload cannot reach, under --diff: the seccomp supervisor makes each call on
	# the kernel too. Each client runs without and with --diff (the same output: the program sees
	# the emulator either way), pinned to one CPU (its LRU lines depend on the CPUs calls ran on).
	clients=()
	[ -n "${GOCLIENT:-}" ] && clients+=("go:$GOCLIENT /sys/fs/bpf/dm-go" "go-cgo:$GOCLIENT_CGO /sys/fs/bpf/dm-go")
	[ -n "${GOCLIENT:-}" ] && [ -n "${GOCOLL_OBJ:-}" ] &&
		clients+=("go-collection:$GOCLIENT collection $GOCOLL_OBJ /sys/fs/bpf/dm-coll" "go-mmap:$GOCLIENT mmap")
	[ -n "${LIBBPF_STATIC:-}" ] && clients+=("libbpf-static:$LIBBPF_STATIC /sys/fs/bpf/dm-libbpf")
	[ -n "${E2E_SKEL_STATIC:-}" ] &&
		clients+=("skel-static-off:$E2E_SKEL_STATIC off" "skel-static-on:$E2E_SKEL_STATIC on /sys/fs/bpf/dm-skel")
	# (superv-faults prints a map's info bytes, whose flags show the BPF_F_ZERO_SEED --diff adds)
	[ -n "${E2E_SUPERV:-}" ] && clients+=("superv-faults:$E2E_SUPERV faults" "superv-threads:$E2E_SUPERV threads")
	[ ${#clients[@]} -gt 0 ] || skip "no static or Go client was built (libc.a, golang-go with cilium/ebpf)"
	pin=()
	command -v taskset >/dev/null && pin=(taskset -c "$(taskset -cp $$ | sed 's/.*: //; s/[-,].*//')")
	for entry in "${clients[@]}"; do
		name=${entry%%:*}
		read -r -a cmd <<<"${entry#*:}"
		: >"$tmp/report"
		"${pin[@]}" "$BPFEMU_RUN" -- "${cmd[@]}" >"$tmp/plain.out" 2>"$tmp/plain.err" ||
			bad "$name without --diff: exit $?: $(tail -n 3 "$tmp/plain.err")"
		"$BPFEMU_RUN" rm -rf /sys/fs/bpf/dm-skel
		"${pin[@]}" "$BPFEMU_RUN" --debug=1 --diff --diff-strict --diff-report="$tmp/report" -- "${cmd[@]}" \
			>"$tmp/diff.out" 2>"$tmp/diff.err"
		rc=$?
		"$BPFEMU_RUN" rm -rf /sys/fs/bpf/dm-skel
		[ $rc = 0 ] || bad "$name under --diff --diff-strict: exit $rc: $(tail -n 3 "$tmp/diff.err")"
		grep -q 'the seccomp supervisor answers its bpf() calls' "$tmp/diff.err" ||
			bad "$name did not run under the seccomp supervisor: $(head -n 3 "$tmp/diff.err")"
		# --diff creates hash maps with BPF_F_ZERO_SEED on both sides (their walks compare): the
		# one thing a program sees differ, in its maps' flags
		sed -e '/^signals handled: /d' -e 's/flags=0x40 /flags=0 /; s/flags=0x4\([0-9a-f]\) /flags=0x\1 /' \
			"$tmp/plain.out" >"$tmp/plain.cmp"
		sed -e '/^signals handled: /d' -e 's/flags=0x40 /flags=0 /; s/flags=0x4\([0-9a-f]\) /flags=0x\1 /' \
			"$tmp/diff.out" >"$tmp/diff.cmp"
		if [ "$name" = superv-faults ]; then
			: # prints raw info bytes
		elif cmp -s "$tmp/plain.cmp" "$tmp/diff.cmp"; then
			ok "$name: the same output with and without --diff (but for BPF_F_ZERO_SEED in hash maps' flags)"
		else
			bad "$name prints something else under --diff: $(diff "$tmp/plain.cmp" "$tmp/diff.cmp" | head)"
		fi
		report_clean "$tmp/report" "$name under the supervisor" 5
		grep -q "^bpfemu diff: .*\[pid [0-9]* $(basename "${cmd[0]}" | cut -c1-15)\]\$" "$tmp/report" ||
			bad "$name: the summary does not name the program: $(grep 'calls compared' "$tmp/report")"
	done
	# diffmode_client's scenarios with the supervisor forced on a dynamically linked program
	# (the rings' included: mapped by the supervisor's chain of calls, their consumer positions
	# carried to the kernel's rings)
	: >"$tmp/report"
	"$BPFEMU_RUN" --seccomp --diff --diff-strict --diff-report="$tmp/report" "$DIFFMODE_CLIENT" >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 0 ] && ok "diffmode_client under --seccomp --diff --diff-strict: exit 0" ||
		bad "diffmode_client under --seccomp --diff --diff-strict: exit $rc: $(tail -n 5 "$tmp/out")"
	report_clean "$tmp/report" "diffmode_client under the supervisor" 1500
	[ -n "${BPFEMU_RUN_FAULT:-}" ] || skip "not configured with -DBPFEMU_FAULT_INJECTION=ON (the planted faults)"
	[ -n "${GOCLIENT:-}" ] && [ -n "${GOCOLL_OBJ:-}" ] || skip "the Go client was not built: no planted faults"
	# fault, the Go client's arguments, the command it shows up in, what the report says
	while read -r fault args cmd what; do
		: >"$tmp/report"
		read -r -a a <<<"${args//,/ }"
		BPFEMU_FAULT=$fault "${pin[@]}" "$BPFEMU_RUN_FAULT" --diff --diff-report="$tmp/report" -- "$GOCLIENT" "${a[@]}" \
			>/dev/null 2>&1
		if grep -A12 DIVERGENCE "$tmp/report" | grep -q "$cmd" && grep -qF -- "$what" "$tmp/report"; then
			ok "Go client, fault $fault: reported ($(grep -m1 -F -- "$what" "$tmp/report" | sed 's/^ *//'))"
		else
			bad "Go client, fault $fault: not reported as $cmd / $what:"
			head -n 20 "$tmp/report"
		fi
	done <<-EOF
	lookup-byte /sys/fs/bpf/dm-go BPF_MAP_LOOKUP_ELEM value:
	delete-errno /sys/fs/bpf/dm-go BPF_MAP_DELETE_ELEM errno differs
	getnext-skip /sys/fs/bpf/dm-go BPF_MAP_GET_NEXT_KEY next_key:
	interp-alu collection,$GOCOLL_OBJ,/sys/fs/bpf/dm-coll BPF_PROG_TEST_RUN object:   program '
	btf-var-linkage collection,$GOCOLL_OBJ,/sys/fs/bpf/dm-coll BPF_BTF_LOAD return value differs
	prog-map-ids collection,$GOCOLL_OBJ,/sys/fs/bpf/dm-coll BPF_PROG_LOAD is not the twin of the kernel's
	EOF
	# --diff-strict: the program exited 0, the divergence makes it 3; no fault asked for: clean
	BPFEMU_FAULT=lookup-byte "$BPFEMU_RUN_FAULT" --diff-strict --diff-report=/dev/null -- "$GOCLIENT" /sys/fs/bpf/dm-go \
		>/dev/null 2>&1
	rc=$?
	[ $rc = 3 ] && ok "Go client, fault lookup-byte with --diff-strict: exit 3" || bad "Go client, fault with --diff-strict: exit $rc, want 3"
	: >"$tmp/report"
	"${pin[@]}" "$BPFEMU_RUN_FAULT" --diff --diff-report="$tmp/report" -- "$GOCLIENT" collection "$GOCOLL_OBJ" \
		/sys/fs/bpf/dm-coll >/dev/null 2>&1
	report_clean "$tmp/report" "the fault-injecting supervisor with no fault asked for" 20
	;;
*)
	echo "usage: diffmode.sh client|faults|flowcount|bpftool|skel|superv|unprivileged|release" >&2
	exit 2
	;;
esac
exit $((errors > 0))
