#!/usr/bin/env bash
# Issue 16 items 1, 9 and 10: an install to a fresh prefix is what a project builds against.
#  - cmake --install --prefix DIR, then the tree moved elsewhere: pkg-config --cflags/--libs give
#    the moved tree's directories, --variable=preload an existing file, a program built with them
#    runs; find_package(bpfemu) finds it by CMAKE_PREFIX_PATH; the installed bpfemu-run finds its
#    preload; the man page is installed.
#  - the README's CI recipe: a project's own ctest suite (a program that creates a map with a
#    raw bpf() call, as libbpf does) passes under the installed `bpfemu-run -- ctest` as nobody,
#    where the same suite without it fails (nobody gets no bpf() from the kernel).
#  - uninstall: removing what install_manifest.txt lists leaves no file behind.
# Needs no kernel; the nobody part needs root (skipped and said otherwise).
. "$(dirname "$0")/lib.sh"
need_var E2E_BUILD_DIR
command -v pkg-config >/dev/null || fail "pkg-config is not installed (.ci/deps installs it)"
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-e2e-install.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
errors=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}
cflags=()
[ -n "${E2E_SANITIZE:-}" ] && cflags=("-fsanitize=$E2E_SANITIZE")

cmake --install "$E2E_BUILD_DIR" --prefix "$tmp/first" >"$tmp/install.log" 2>&1 || fail "install: $(tail -n 5 "$tmp/install.log")"
mv "$tmp/first" "$tmp/moved"
p=$tmp/moved
pc=$(find "$p" -name bpfemu.pc)
[ -n "$pc" ] || fail "no bpfemu.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
ok "installed to a prefix and moved: $pc"

inc=$(pkg-config --cflags bpfemu) && libs=$(pkg-config --libs bpfemu) && libdir=$(pkg-config --variable=libdir bpfemu) ||
	fail "pkg-config cannot read bpfemu.pc"
case $inc in *"$p/"*) ok "pkg-config --cflags names the moved tree: $inc" ;; *) bad "pkg-config --cflags: $inc" ;; esac
case $libs in *"$p/"*) ok "pkg-config --libs names the moved tree: $libs" ;; *) bad "pkg-config --libs: $libs" ;; esac
[ -d "$(echo "$inc" | sed -e 's/^-I//' -e 's/ *$//')/bpfemu" ] && ok "its include directory holds bpfemu/" || bad "no bpfemu/ in $inc"
preload=$(pkg-config --variable=preload bpfemu)
[ -f "$preload" ] && ok "pkg-config --variable=preload is a file: $preload" || bad "--variable=preload: $preload does not exist"

# a program built with pkg-config's flags, as a Makefile would
# shellcheck disable=SC2086
if cc "${cflags[@]}" -o "$tmp/counter" "$src/examples/inproc_counter.c" $inc $libs -Wl,-rpath,"$libdir" 2>"$tmp/cc.log"; then
	BPFEMU_STATE_DIR=$tmp/state "$tmp/counter" a b a >"$tmp/out" 2>&1 && grep -q . "$tmp/out" &&
		ok "a program built with pkg-config --cflags --libs bpfemu runs" || bad "the pkg-config program: $(cat "$tmp/out")"
else
	bad "cc with pkg-config's flags: $(head -n 5 "$tmp/cc.log")"
fi

# the installed man page and bpfemu-run
[ -f "$p/share/man/man1/bpfemu-run.1" ] && ok "bpfemu-run(1) is installed" || bad "no share/man/man1/bpfemu-run.1"
"$p/bin/bpfemu-run" --debug=1 true >"$tmp/out" 2>&1
grep -q "handshake from true" "$tmp/out" && grep -q "$p/.*libbpfemu-preload.so" "$tmp/out" &&
	ok "the installed bpfemu-run finds the moved preload, and it answers" || bad "installed bpfemu-run: $(cat "$tmp/out")"

# a project with find_package(bpfemu) and a ctest suite of its own: the README's CI recipe
mkdir -p "$tmp/project"
cp "$src/examples/inproc_counter.c" "$tmp/project/"
cat >"$tmp/project/rawmap.c" <<'EOC'
/* creates a map with a raw bpf() call through syscall(), as libbpf does */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
	unsigned int attr[42] = { 1 /* HASH */, 4, 4, 8 };
	long fd = syscall(SYS_bpf, 0, attr, sizeof(attr));

	if (fd < 0) {
		printf("bpf(BPF_MAP_CREATE): %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
EOC
cat >"$tmp/project/CMakeLists.txt" <<'EOC'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(bpfemu REQUIRED)
add_executable(counter inproc_counter.c)
target_link_libraries(counter PRIVATE bpfemu::bpfemu)
add_executable(rawmap rawmap.c)
enable_testing()
add_test(NAME counter COMMAND counter)
add_test(NAME rawmap COMMAND rawmap)
EOC
if cmake -S "$tmp/project" -B "$tmp/project/build" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_FLAGS="${cflags[*]}" \
	>"$tmp/cmake.log" 2>&1 && cmake --build "$tmp/project/build" >>"$tmp/cmake.log" 2>&1; then
	ok "find_package(bpfemu) with CMAKE_PREFIX_PATH=the moved prefix builds"
else
	bad "find_package project: $(tail -n 8 "$tmp/cmake.log")"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod -R a+rX "$p" "$tmp/project"
	chown -R nobody "$tmp/project/build"
	nob() {
		(cd "$tmp/project" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env -u XDG_RUNTIME_DIR -u BPFEMU_STATE_DIR -u BPFEMU_BPFFS -u LD_PRELOAD \
			BPFEMU_STATE_DIR="$tmp/nobody-state" HOME="$tmp" "$@")
	}
	mkdir -m 700 "$tmp/nobody-state" && chown nobody "$tmp/nobody-state"
	if nob ctest --test-dir build -R rawmap >"$tmp/out" 2>&1; then
		echo "note: nobody gets bpf() from the kernel here: the recipe's check below cannot fail"
	else
		ok "the project's rawmap test fails as nobody on the kernel (the check is live)"
	fi
	if [ -z "${E2E_SANITIZE:-}" ]; then
		nob "$p/bin/bpfemu-run" -- ctest --test-dir build --output-on-failure >"$tmp/out" 2>&1 &&
			ok "bpfemu-run -- ctest: the project's suite passes as nobody" ||
			bad "bpfemu-run -- ctest as nobody: $(tail -n 15 "$tmp/out")"
	else
		# a sanitizer build's preload brings the ASan runtime into ctest, a C++ program not built
		# with it, which crashes at start (with or without bpfemu-run): the test programs alone
		nob "$p/bin/bpfemu-run" -- build/rawmap >"$tmp/out" 2>&1 &&
			ok "bpfemu-run -- rawmap passes as nobody (sanitizer build: not through ctest)" ||
			bad "bpfemu-run -- rawmap as nobody: $(tail -n 15 "$tmp/out")"
	fi
else
	echo "note: not root: the recipe is not run as nobody"
fi

# uninstall: what the manifest lists, and nothing is left
if cmake --install "$E2E_BUILD_DIR" --prefix "$tmp/second" >"$tmp/install.log" 2>&1 &&
	[ -f "$E2E_BUILD_DIR/install_manifest.txt" ]; then
	xargs rm -f <"$E2E_BUILD_DIR/install_manifest.txt"
	left=$(find "$tmp/second" ! -type d)
	[ -z "$left" ] && ok "uninstall (xargs rm < build/install_manifest.txt) leaves no file" || bad "uninstall left: $left"
else
	bad "second install: $(tail -n 5 "$tmp/install.log")"
fi

[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
