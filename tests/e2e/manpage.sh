#!/usr/bin/env bash
# Issue 16 item 10: the man page bpfemu-run(1) (docs/bpfemu-run.1, installed) says what
# bpfemu-run --help says (shim/run/help.c): the same long options, the same variables, the same
# exit statuses, and the state directory rules, the seccomp net and the privileges in the same
# words; it renders without a warning where groff is installed. Needs neither root nor bpf().
. "$(dirname "$0")/lib.sh"
need_var BPFEMU_RUN
page=$(dirname "$0")/../../docs/bpfemu-run.1
[ -f "$page" ] || fail "no man page at docs/bpfemu-run.1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfemu-e2e-manpage.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
errors=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	errors=$((errors + 1))
}

"$BPFEMU_RUN" --help >"$tmp/help" || fail "--help failed"
# The page as plain text, for the subset of man(7) it uses: font macros join their arguments
# (alternating ones without a space), other requests break the text; escapes dropped.
awk '
function unq(s) { gsub(/"/, "", s); return s }
/^\.\\"/ { next }
/^\.(B|I|SM) / { sub(/^\.[A-Z]+ /, ""); print unq($0); next }
/^\.(BR|RB|IR|RI|BI|IB) / { sub(/^\.[A-Z]+ /, ""); s = ""; for (i = 1; i <= NF; i++) s = s unq($i); print s; next }
/^\.SH / { sub(/^\.SH /, ""); print ""; print "SECTION " unq($0); next }
/^\./ { print ""; next }
{ print }
' "$page" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(lq/"/g; s/\\(rq/"/g' -e 's/\\&//g' >"$tmp/man"
norm() { tr '\n' ' ' <"$1" | tr -s ' '; }
norm "$tmp/help" >"$tmp/help.flat"
norm "$tmp/man" >"$tmp/man.flat"

same_set() { # WHAT REGEX (the man page's EXAMPLES hold PROGRAM's own options: left out)
	local what=$1 re=$2
	grep -oE -- "$re" "$tmp/help" | sort -u >"$tmp/a"
	sed '/^SECTION EXAMPLES/,/^SECTION /d' "$tmp/man" | grep -oE -- "$re" | sort -u >"$tmp/b"
	if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
		ok "$what: the same $(wc -l <"$tmp/a") in both ($(tr '\n' ' ' <"$tmp/a"))"
	else
		bad "$what differ: only in --help: $(comm -23 "$tmp/a" "$tmp/b" | tr '\n' ' '); only in the man page: $(comm -13 "$tmp/a" "$tmp/b" | tr '\n' ' ')"
	fi
}
same_set "long options" '--[a-z][a-z-]+'
same_set "variables" 'BPFEMU_[A-Z_]+'
for s in "-h" "-V" LD_PRELOAD XDG_RUNTIME_DIR 125 126 127 "3 instead of 0" \
	"\$BPFEMU_STATE_DIR, else \$XDG_RUNTIME_DIR/bpfemu, else /dev/shm/bpfemu-UID" "(STATE/ids)" \
	"else STATE/bpffs" "Both must be absolute (relative ones given to" "created 0700 if missing" \
	"not group- or world-writable and not symbolic links" "owned by root or you and not writable by others unless sticky" \
	"fails with ENOSYS and never reaches the kernel" "no_new_privs" "set-user-ID and set-group-ID programs" \
	"says why and exits 125 when PROGRAM ends"; do
	if grep -qF -- "$s" "$tmp/help.flat" && grep -qF -- "$s" "$tmp/man.flat"; then
		ok "both say: $s"
	else
		bad "not in both: \"$s\" (--help: $(grep -cF -- "$s" "$tmp/help.flat"), man page: $(grep -cF -- "$s" "$tmp/man.flat"))"
	fi
done
grep -q "\"bpfemu ${E2E_VERSION:-}\"" "$page" && ok "the page's version is ${E2E_VERSION:-}" || bad "the .TH line does not name bpfemu ${E2E_VERSION:-}"
if command -v groff >/dev/null; then
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] && ok "groff renders it without a warning" || bad "groff warns: $warn"
else
	echo "note: groff is not installed: the page was not rendered"
fi
[ $errors = 0 ] || fail "$errors checks failed"
echo "PASS $e2e_name"
