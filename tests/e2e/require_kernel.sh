#!/usr/bin/env bash
# Issue 16 item 3: CI must not skip the tests that need the kernel. Every ctest test labelled
# "kernel" (differential suites, the unit suite's kernel runs, the e2e and diff-mode tests that
# compare with the kernel, stress.resource's kernel comparison) is run here where bpf() is
# forbidden (e2e_nobpf: seccomp, EPERM, as in a container with unprivileged_bpf_disabled=2):
#   without BPFEMU_REQUIRE_KERNEL   each must skip: exit 77 (or, for a test whose kernel part is
#                                    optional, exit 0 saying it left the kernel out)
#   with BPFEMU_REQUIRE_KERNEL=1     each must fail: not 0, not 77
# and test_statedir's root-only part, run as nobody, the same way. The tests are listed from
# ctest itself (ctest_list.cmake), so a new kernel test is covered by its label.
. "$(dirname "$0")/lib.sh"
need_var E2E_NOBPF E2E_BUILD_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-e2e-require.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
errors=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}

cmake -DBUILD="$E2E_BUILD_DIR" -DLABEL='^kernel$' -P "$(dirname "$0")/ctest_list.cmake" >"$tmp/list" ||
	fail "cannot list the build's kernel tests"
n=$(grep -c '^TEST ' "$tmp/list")
# the differential suites, the kernel unit runs, e2e and diff-mode: far more than this
[ "$n" -ge 30 ] || fail "only $n tests carry the label kernel: the list is wrong"
echo "# $n tests need the kernel"

# run_one REQUIRE NAME SKIP: runs the test held in args/envs
run_one() {
	local require=$1 name=$2 skip=$3 rc
	(
		cd "$E2E_BUILD_DIR" || exit 2
		for e in "${envs[@]}"; do export "${e?}"; done
		unset BPFEMU_REQUIRE_KERNEL
		[ "$require" = 1 ] && export BPFEMU_REQUIRE_KERNEL=1
		exec timeout 300 "$E2E_NOBPF" "${args[@]}"
	) >"$tmp/out" 2>&1
	rc=$?
	if [ "$require" = 1 ]; then
		if [ "$rc" != 0 ] && [ "$rc" != "$skip" ] && [ "$rc" != 124 ]; then
			ok "$name, BPFEMU_REQUIRE_KERNEL=1: fails (exit $rc)"
		else
			bad "$name, BPFEMU_REQUIRE_KERNEL=1 without bpf(): exit $rc, want a failure; $(tail -n 3 "$tmp/out")"
		fi
	elif [ "$rc" = "$skip" ]; then
		ok "$name: skips (exit $rc): $(grep -m1 -i 'skip' "$tmp/out" | head -c 160)"
	elif [ "$rc" = 0 ] && grep -q 'no kernel comparison' "$tmp/out"; then
		ok "$name: runs without its kernel part and says so"
	else
		bad "$name without bpf(): exit $rc, want a skip ($skip); $(tail -n 3 "$tmp/out")"
	fi
}

args=() envs=() name='' skip=77
while IFS= read -r line; do
	case $line in
	"TEST "*) name=${line#TEST } args=() envs=() skip=none ;;
	"ARG "*) args+=("${line#ARG }") ;;
	"ENV "*) envs+=("${line#ENV }") ;;
	"SKIP "*) skip=${line#SKIP } ;;
	END)
		if [ "$skip" = none ] && [ "$name" != stress.resource ]; then
			bad "$name: labelled kernel but has no SKIP_RETURN_CODE: a skip would read as a failure or a pass"
		fi
		run_one 0 "$name" "$skip"
		run_one 1 "$name" "$skip"
		;;
	esac
done <"$tmp/list"

# the root-only unit cases: root is what is missing there
if [ -n "${TEST_STATEDIR:-}" ] && [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	cp "$TEST_STATEDIR" "$tmp/test_statedir" && chmod 755 "$tmp" "$tmp/test_statedir"
	(cd "$tmp" && setpriv --reuid=nobody --regid=nogroup --clear-groups env -u BPFEMU_REQUIRE_KERNEL \
		"$tmp/test_statedir" planted) >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 77 ] && ok "test_statedir planted as nobody: skips" || bad "test_statedir planted as nobody: exit $rc"
	(cd "$tmp" && setpriv --reuid=nobody --regid=nogroup --clear-groups env BPFEMU_REQUIRE_KERNEL=1 \
		"$tmp/test_statedir" planted) >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 1 ] && ok "test_statedir planted as nobody, BPFEMU_REQUIRE_KERNEL=1: fails" ||
		bad "test_statedir planted as nobody, BPFEMU_REQUIRE_KERNEL=1: exit $rc"
fi

[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
