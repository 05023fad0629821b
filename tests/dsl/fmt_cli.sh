#!/bin/sh
# `bukong fmt` end to end: rewrites in place (all or nothing), --check exits 1 on an
# unformatted file and 0 on a formatted one and changes nothing, --stdout prints, a file with
# errors is left alone, an unreadable file says why.
# Usage: tests/dsl/fmt_cli.sh PATH/TO/bukong   (from the source root)
bukong="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
printf 'ruleset "t"  version 1\ngrade g\nunknown enterprise grade g\nbaseline 1%%\nrule r when value>1 then rate 2%%  # c\n' >"$dir/a.rules"
cp "$dir/a.rules" "$dir/orig.rules"
"$bukong" fmt --check "$dir/a.rules" 2>"$dir/err" && fail "--check passed an unformatted file"
grep -q 'not in canonical layout' "$dir/err" || fail "--check did not name the file"
cmp -s "$dir/a.rules" "$dir/orig.rules" || fail "--check changed the file"
"$bukong" fmt --stdout "$dir/a.rules" >"$dir/out" || fail "--stdout failed"
"$bukong" fmt "$dir/a.rules" 2>/dev/null || fail "fmt failed"
cmp -s "$dir/a.rules" "$dir/out" || fail "in-place result differs from --stdout"
grep -q '^  when value > 1$' "$dir/a.rules" || fail "not canonical: $(cat "$dir/a.rules")"
grep -q '# c$' "$dir/a.rules" || fail "comment lost"
"$bukong" fmt --check "$dir/a.rules" || fail "--check failed on a formatted file"
ls "$dir" | grep -q bukong-tmp && fail "temporary file left behind"
printf 'ruleset "t" version 1\nrule r when valeu > 1 then rate 2%%\n' >"$dir/bad.rules"
cp "$dir/bad.rules" "$dir/bad.orig"
"$bukong" fmt "$dir/bad.rules" 2>"$dir/err" && fail "fmt passed a file with errors"
grep -q 'not formatted (fix the errors first)' "$dir/err" || fail "no refusal message"
cmp -s "$dir/bad.rules" "$dir/bad.orig" || fail "a file with errors was changed"
"$bukong" fmt "$dir/none.rules" 2>"$dir/err" && fail "missing file passed"
grep -q 'cannot read the rule file: No such file or directory' "$dir/err" || fail "no reason: $(cat "$dir/err")"
for f in rules/*.rules; do
  "$bukong" fmt --stdout "$f" >"$dir/r" || fail "$f did not format"
  "$bukong" fmt --check "$dir/r" || fail "$f: formatted text is not stable"
done
echo ok
