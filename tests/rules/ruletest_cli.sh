#!/bin/sh
# `bukong test` end to end: a failing expectation is reported with FILE:LINE, expected and
# got, and the explain trace, and exits 1; --junit writes a report naming the failure;
# coverage names rules never matched and --coverage-min fails below it; typos in a test
# file get "did you mean"; an outcome that depends on the draws needs a key.
# Usage: tests/rules/ruletest_cli.sh PATH/TO/bukong   (from the source root)
bukong="$1"
rules=rules/order251-2021.rules
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# The rules' own line numbers, read from the file so that edits above them do not matter.
line_of() { grep -n "^rule $1 " $rules | cut -d: -f1; }
port_line=$(line_of cold_chain_port_check)
history_line=$(line_of cold_chain_history)

cat >"$dir/wrong.ruletest" <<'T'
defaults
  date 2024-06-01

case "salmon"
  hs 0302.14
  expect rule cold_chain_port_check
  expect rate 12%
T
"$bukong" test $rules "$dir/wrong.ruletest" --junit "$dir/junit.xml" >"$dir/out" 2>&1
[ $? = 1 ] || fail "a failing case did not exit 1"
grep -q "wrong.ruletest:4: FAIL \"salmon\"" "$dir/out" || fail "no FILE:LINE of the case: $(cat "$dir/out")"
grep -q "wrong.ruletest:7: expected rate 12%, got rate 10%" "$dir/out" || fail "no expected vs got"
grep -q "cold_chain_port_check (line $port_line): MATCHED" "$dir/out" || fail "no explain trace"
grep -q "1 case, 0 passed, 1 failed" "$dir/out" || fail "no summary"
grep -q "cold_chain_history (line $history_line): never matched" "$dir/out" || fail "coverage gap not named"
grep -q '<failure message=".*expected rate 12%, got rate 10%' "$dir/junit.xml" || fail "junit: $(cat "$dir/junit.xml")"
grep -q 'tests="1" failures="1"' "$dir/junit.xml" || fail "junit counts"

sed 's/expect rate 12%/expect rate 10%/' "$dir/wrong.ruletest" >"$dir/right.ruletest"
"$bukong" test $rules "$dir/right.ruletest" >"$dir/out" 2>&1 || fail "a passing file failed: $(cat "$dir/out")"
"$bukong" test --coverage-min 50% $rules "$dir/right.ruletest" >"$dir/out" 2>&1 && fail "coverage 1/26 passed --coverage-min 50%"
grep -q "rule coverage 3.8461% is below --coverage-min 50%" "$dir/out" || fail "no coverage message: $(tail -3 "$dir/out")"

cat >"$dir/typos.ruletest" <<'T'
case "typos"
  hs 0302.14
  orign NO
  expect rule cold_chain_prt_check
  expect outcome release
T
"$bukong" test $rules "$dir/typos.ruletest" >"$dir/out" 2>&1 && fail "typos passed"
grep -q "typos.ruletest:3: error: unknown line 'orign' (did you mean 'origin'?)" "$dir/out" || fail "no suggestion for a key: $(cat "$dir/out")"
grep -q "typos.ruletest:5: error: 'expect outcome release' depends on the random draws" "$dir/out" || fail "outcome without key accepted"
sed -i '3d;5d' "$dir/typos.ruletest"
"$bukong" test $rules "$dir/typos.ruletest" >"$dir/out" 2>&1 && fail "unknown rule passed"
grep -q "typos.ruletest:3: error: no rule 'cold_chain_prt_check' in $rules (did you mean 'cold_chain_port_check'?)" "$dir/out" || fail "no suggestion for a rule: $(cat "$dir/out")"

"$bukong" test $rules "$dir/none.ruletest" >"$dir/out" 2>&1 && fail "missing test file passed"
grep -q "none.ruletest: error: cannot read the test file: No such file or directory" "$dir/out" || fail "$(cat "$dir/out")"
echo ok
