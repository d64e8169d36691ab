# Sourced by tests/fuzz/run.sh and run_mapfile.sh: what both runners share. Set `name` (for
# messages) and `time` (the default --time) before sourcing; it parses the arguments into time,
# mode (fuzz, self-test, build), build (the clang build directory) and extra (libFuzzer's
# arguments), defines skip, and skips at once without clang.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$src/build-fuzz-clang
mode=fuzz
extra=()

for a in "$@"; do
	case $a in
	--time=*) time=${a#--time=} ;;
	--self-test) mode=self-test ;;
	--build-only) mode=build ;;
	--build-dir=*) build=${a#--build-dir=} ;;
	--) ;;
	-*=*|-*) extra+=("$a") ;;
	*) echo "$name: unexpected argument '$a'" >&2; exit 2 ;;
	esac
done

# A skip (77, the reason printed); with BPFEMU_REQUIRE_KERNEL=1 (CI) a failure.
skip() {
	echo "SKIP $name: $*"
	if [ "${BPFEMU_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "BPFEMU_REQUIRE_KERNEL=1: a skip is a failure here"
		exit 1
	fi
	exit 77
}

command -v clang >/dev/null || skip "clang is not installed (libFuzzer comes with it)"
