#!/bin/sh
# Runs `bukong check` on every golden case from the source root and compares its stderr with
# the .expect file, and its exit code with what the summary line says (1 when errors).
# Usage: tests/dsl/check_cli.sh PATH/TO/bukong   (from the source root)
bukong="$1"
status=0
tmp=$(mktemp)
for rules in tests/dsl/golden/*.rules; do
  expect="${rules%.rules}.expect"
  "$bukong" check "$rules" 2>"$tmp"
  code=$?
  if ! cmp -s "$tmp" "$expect"; then
    echo "stderr differs for $rules:"; diff "$expect" "$tmp" | head -20; status=1
  fi
  if tail -n 1 "$expect" | grep -q ': 0 errors,'; then want=0; else want=1; fi
  if [ "$code" != "$want" ]; then echo "exit $code (want $want) for $rules"; status=1; fi
done
# --werror turns warnings into failure; an unreadable file fails; several files get a total.
"$bukong" check --werror tests/dsl/golden/missing_baseline_warning.rules 2>/dev/null
[ $? = 1 ] || { echo "--werror did not fail on a warning"; status=1; }
"$bukong" check tests/dsl/golden/no-such-file.rules 2>"$tmp"
[ $? = 1 ] && grep -q 'no-such-file.rules: error: cannot read the rule file: No such file or directory' "$tmp" || { echo "unreadable file not reported"; status=1; }
"$bukong" check tests/dsl/golden/ok_spec_example.rules tests/dsl/golden/missing_header.rules 2>"$tmp"
[ $? = 1 ] && tail -n 1 "$tmp" | grep -q '^2 files checked: 1 error, 0 warnings$' || { echo "no total line:"; tail -n 2 "$tmp"; status=1; }
rm -f "$tmp"
exit $status
