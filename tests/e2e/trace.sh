#!/usr/bin/env bash
# bpfemu-run --trace: one strace-like line per intercepted bpf() call, to a file or to stderr; the
# same through BPFEMU_TRACE; nothing at all without it. e2e_helper trace makes a fixed sequence of
# calls whose arguments and results are known. With "static", its statically linked copy, whose
# calls the seccomp supervisor answers and traces with the program's pid and fd numbers.
. "$(dirname "$0")/lib.sh"
e2e_name="$e2e_name${1:+.$1}"
need_var BPFEMU_RUN BPFEMU_PRELOAD_LIB E2E_HELPER
[ "${1:-}" = static ] && need_static E2E_HELPER_STATIC
need_root_and_bpf
e2e_setup

errors=0
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		errors=$((errors + 1))
	fi
}

# has FILE REGEX: some line of FILE matches the extended regex; all: every line does
has() { grep -Eq -- "$2" "$1"; }
all() { ! grep -Evq -- "$2" "$1"; }

# The lines of one run, checked against what e2e_helper trace does (see its do_trace()).
check_trace() { # file, pid, fd, label
	local f=$1 pid=$2 fd=$3 l=$4
	local p="^\\[pid $pid\\] bpf\\(" ptr='0x[0-9a-f]+'
	local k1="key=$ptr\\[01 00 00 00\\]" k2="key=$ptr\\[02 00 00 00\\]"
	check "$l: every line is a [pid $pid] bpf(...) call with a result" \
		all "$f" "$p.*\\) = (-1 E[A-Z0-9]+ \\(.*\\)|[0-9]+)\$"
	check "$l: the commands, in order" \
		test "$(sed -nE 's/^\[pid [0-9]+\] bpf\((BPF_[A-Z_]+),.*/\1/p' "$f" | tr '\n' ' ')" = \
		"BPF_MAP_CREATE BPF_MAP_UPDATE_ELEM BPF_MAP_LOOKUP_ELEM BPF_MAP_LOOKUP_ELEM BPF_MAP_UPDATE_ELEM BPF_MAP_UPDATE_ELEM BPF_MAP_DELETE_ELEM BPF_MAP_GET_NEXT_KEY "
	check "$l: MAP_CREATE returns the fd" has "$f" "${p}BPF_MAP_CREATE, .*\\) = $fd\$"
	check "$l: MAP_CREATE shows the type" has "$f" "${p}BPF_MAP_CREATE, \\{.*map_type=BPF_MAP_TYPE_HASH"
	check "$l: MAP_CREATE shows the sizes" has "$f" "${p}BPF_MAP_CREATE, \\{.*key_size=4, value_size=8, max_entries=4"
	check "$l: UPDATE BPF_ANY, key and value bytes, size 32, = 0" has "$f" \
		"${p}BPF_MAP_UPDATE_ELEM, \\{map_fd=$fd, $k1, value=$ptr\\[0a 00 00 00 00 00 00 00\\], flags=BPF_ANY\\}, 32\\) = 0\$"
	check "$l: LOOKUP of key 1 = 0" has "$f" "${p}BPF_MAP_LOOKUP_ELEM, \\{map_fd=$fd, $k1, .*\\}, 32\\) = 0\$"
	check "$l: LOOKUP of key 2 = -1 ENOENT" has "$f" \
		"${p}BPF_MAP_LOOKUP_ELEM, \\{map_fd=$fd, $k2, .*\\}, 32\\) = -1 ENOENT \\(No such file or directory\\)\$"
	check "$l: UPDATE BPF_NOEXIST = -1 EEXIST" has "$f" \
		"${p}BPF_MAP_UPDATE_ELEM, \\{map_fd=$fd, $k1, value=$ptr\\[0b 00 00 00 00 00 00 00\\], flags=BPF_NOEXIST\\}, 32\\) = -1 EEXIST \\(File exists\\)\$"
	check "$l: UPDATE BPF_EXIST = 0" has "$f" \
		"${p}BPF_MAP_UPDATE_ELEM, \\{map_fd=$fd, $k1, value=$ptr\\[0c 00 00 00 00 00 00 00\\], flags=BPF_EXIST\\}, 32\\) = 0\$"
	check "$l: DELETE of key 1 = 0" has "$f" "${p}BPF_MAP_DELETE_ELEM, \\{map_fd=$fd, $k1\\}, 32\\) = 0\$"
	check "$l: GET_NEXT_KEY of an empty map = -1 ENOENT" has "$f" \
		"${p}BPF_MAP_GET_NEXT_KEY, \\{map_fd=$fd, .*\\}, 32\\) = -1 ENOENT \\(No such file or directory\\)\$"
}

helper=$stage/bin/e2e_helper
[ "${1:-}" = static ] && helper=$stage/bin/e2e_helper_static
t=$tmp/nobody/trace.log

# --trace=FILE: the lines go to the file, nothing to stderr
as_nobody "$stage/bin/bpfemu-run" --trace="$t" "$helper" trace >"$tmp/out1" 2>"$tmp/err1" ||
	fail "e2e_helper trace under bpfemu-run --trace=FILE: $(cat "$tmp/err1")"
read -r pid fd < <(sed -E 's/pid=([0-9]+) fd=([0-9]+)/\1 \2/' "$tmp/out1")
echo "--- trace of pid $pid (map fd $fd):"
cat "$t"
echo "---"
check "--trace=FILE: stderr stays empty" test ! -s "$tmp/err1"
check "--trace=FILE: 8 lines" test "$(wc -l <"$t")" = 8
check_trace "$t" "$pid" "$fd" "--trace=FILE"

# BPFEMU_TRACE=FILE does the same and appends
as_nobody env BPFEMU_TRACE="$t" "$stage/bin/bpfemu-run" "$helper" trace >"$tmp/out2" 2>"$tmp/err2" ||
	fail "e2e_helper trace with BPFEMU_TRACE=FILE: $(cat "$tmp/err2")"
read -r pid2 fd2 < <(sed -E 's/pid=([0-9]+) fd=([0-9]+)/\1 \2/' "$tmp/out2")
check "BPFEMU_TRACE=FILE: appended, 16 lines" test "$(wc -l <"$t")" = 16
grep "^\[pid $pid2\] " "$t" >"$tmp/t2"
check_trace "$tmp/t2" "$pid2" "$fd2" "BPFEMU_TRACE=FILE"

# --trace: stderr, and stdout untouched
as_nobody "$stage/bin/bpfemu-run" --trace "$helper" trace >"$tmp/out3" 2>"$tmp/err3" ||
	fail "e2e_helper trace under bpfemu-run --trace: $(cat "$tmp/err3")"
read -r pid3 fd3 < <(sed -E 's/pid=([0-9]+) fd=([0-9]+)/\1 \2/' "$tmp/out3")
check "--trace: stdout is only the program's" test "$(wc -l <"$tmp/out3")" = 1
check_trace "$tmp/err3" "$pid3" "$fd3" "--trace (stderr)"

# --trace=- is stderr too
as_nobody "$stage/bin/bpfemu-run" --trace=- "$helper" trace >"$tmp/out4" 2>"$tmp/err4" ||
	fail "e2e_helper trace under bpfemu-run --trace=-: $(cat "$tmp/err4")"
check "--trace=-: 8 lines on stderr" test "$(grep -c '^\[pid ' "$tmp/err4")" = 8

# without a trace: silence, and no file appears
as_nobody "$stage/bin/bpfemu-run" "$helper" trace >"$tmp/out5" 2>"$tmp/err5" ||
	fail "e2e_helper trace under bpfemu-run: $(cat "$tmp/err5")"
check "no trace: stderr stays empty" test ! -s "$tmp/err5"

[ $errors = 0 ] || fail "$errors trace checks failed"
echo "PASS $e2e_name"
