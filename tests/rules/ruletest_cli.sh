#!/bin/sh
# `bukong test` end to end: a failing expectation is reported with FILE:LINE, expected and
# got, and the explain trace, and exits 1; --junit writes a report naming the failure;
# coverage names rules never matched and --coverage-min fails below it; typos in a test
# file get "did you mean"; an outcome that depends on the draws needs a key; v2 (SPEC §7):
# the cases give the entries of the lists a rule file declares (`list NAME ...`), and the
# trace explains list lookups and unit_value (a zero weight included).
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
list sanctioned KP
list watched_enterprises
defaults
  date 2024-06-01

case "salmon"
  hs 0302.14
  expect rule cold_chain_port_check
  expect rate 12%
T
"$bukong" test $rules "$dir/wrong.ruletest" --junit "$dir/junit.xml" >"$dir/out" 2>&1
[ $? = 1 ] || fail "a failing case did not exit 1"
grep -q "wrong.ruletest:6: FAIL \"salmon\"" "$dir/out" || fail "no FILE:LINE of the case: $(cat "$dir/out")"
grep -q "wrong.ruletest:9: expected rate 12%, got rate 10%" "$dir/out" || fail "no expected vs got"
grep -q "cold_chain_port_check (line $port_line): MATCHED" "$dir/out" || fail "no explain trace"
grep -q "1 case, 0 passed, 1 failed" "$dir/out" || fail "no summary"
grep -q "cold_chain_history (line $history_line): never matched" "$dir/out" || fail "coverage gap not named"
grep -q '<failure message=".*expected rate 12%, got rate 10%' "$dir/junit.xml" || fail "junit: $(cat "$dir/junit.xml")"
grep -q 'tests="1" failures="1"' "$dir/junit.xml" || fail "junit counts"

sed 's/expect rate 12%/expect rate 10%/' "$dir/wrong.ruletest" >"$dir/right.ruletest"
"$bukong" test $rules "$dir/right.ruletest" >"$dir/out" 2>&1 || fail "a passing file failed: $(cat "$dir/out")"
"$bukong" test --coverage-min 50% $rules "$dir/right.ruletest" >"$dir/out" 2>&1 && fail "coverage 1/28 passed --coverage-min 50%"
grep -q "rule coverage 3.5714% is below --coverage-min 50%" "$dir/out" || fail "no coverage message: $(tail -3 "$dir/out")"

cat >"$dir/typos.ruletest" <<'T'
list sanctioned KP
list watched_enterprises
case "typos"
  hs 0302.14
  orign NO
  expect rule cold_chain_prt_check
  expect outcome release
T
"$bukong" test $rules "$dir/typos.ruletest" >"$dir/out" 2>&1 && fail "typos passed"
grep -q "typos.ruletest:5: error: unknown line 'orign' (did you mean 'origin'?)" "$dir/out" || fail "no suggestion for a key: $(cat "$dir/out")"
grep -q "typos.ruletest:7: error: 'expect outcome release' depends on the random draws" "$dir/out" || fail "outcome without key accepted"
sed -i '5d;7d' "$dir/typos.ruletest"
"$bukong" test $rules "$dir/typos.ruletest" >"$dir/out" 2>&1 && fail "unknown rule passed"
grep -q "typos.ruletest:5: error: no rule 'cold_chain_prt_check' in $rules (did you mean 'cold_chain_port_check'?)" "$dir/out" || fail "no suggestion for a rule: $(cat "$dir/out")"

"$bukong" test $rules "$dir/none.ruletest" >"$dir/out" 2>&1 && fail "missing test file passed"
grep -q "none.ruletest: error: cannot read the test file: No such file or directory" "$dir/out" || fail "$(cat "$dir/out")"
# --- v2: lists given by the test file, unit_value explained -------------------------------
cat >"$dir/v2.rules" <<'R'
ruleset "v2-test" version 1
grade general "general" factor 1.0
unknown enterprise grade general
baseline 2%
list sanctioned of country
list dual_use of hs
rule sanctions "sanctioned origin" when origin in sanctioned then hold "sanctions"
rule dual_use "dual-use exports" when direction = export and hs in dual_use then rate 30%
rule cheap_beef "cheap beef" when hs in [0202] and unit_value < 2.5 then rate 20%
R
cat >"$dir/v2.ruletest" <<'T'
key 000102030405060708090a0b0c0d0e0f
list sanctioned KP, SY
list dual_use 8401, 2844.10   # dots allowed, as in list files

case "a sanctioned origin is held"
  origin SY
  expect outcome hold
  expect rule sanctions
case "an origin not on the list is not"
  origin NO
  expect rule baseline
case "dual-use by prefix"
  direction export
  hs 2844.10.10
  expect rule dual_use
case "not dual-use"
  direction export
  hs 2844.20.00
  expect rule baseline
case "cheap beef"
  hs 0202.30
  value 19_000
  weight 10_000
  expect rule cheap_beef
case "beef without a weight"
  hs 0202.30
  value 19_000
  weight 0
  expect rule cheap_beef
T
"$bukong" test --coverage-min 100% "$dir/v2.rules" "$dir/v2.ruletest" >"$dir/out" 2>&1 && fail "weight 0 matched unit_value < 2.5"
grep -q "v2.ruletest:.*expected rule cheap_beef, got rule baseline" "$dir/out" || fail "weight 0: $(cat "$dir/out")"
grep -q 'unit_value < 2.5` is false (here: 19000 / 0 (weight 0: every comparison is false))' "$dir/out" || fail "unit_value not explained: $(cat "$dir/out")"
grep -q "5 passed, 1 failed" "$dir/out" || fail "v2 cases: $(cat "$dir/out")"
grep -q "condition atoms both true and false 5/5" "$dir/out" || fail "v2 atoms: $(cat "$dir/out")"
sed -i 's/^  weight 0$/  weight 10_000/; s/^  value 19_000$/  value 26_000/' "$dir/v2.ruletest"
"$bukong" test "$dir/v2.rules" "$dir/v2.ruletest" >"$dir/out" 2>&1 && fail "USD 2.60 per kg matched unit_value < 2.5"
grep -q 'unit_value < 2.5` is false (here: 26000 / 10000)' "$dir/out" || fail "unit_value trace: $(cat "$dir/out")"
grep -q 'origin in sanctioned` is false (here: CN (list version' "$dir/out" || fail "list trace: $(cat "$dir/out")"
# A list the rule file declares must be given; a list it does not declare, or a bad entry, is
# an error naming the test file's line.
sed -i '/^list dual_use/d; s/^list sanctioned KP, SY$/list sanctiond KP, KPX/' "$dir/v2.ruletest"
"$bukong" test "$dir/v2.rules" "$dir/v2.ruletest" >"$dir/out" 2>&1 && fail "bad lists passed"
grep -q "v2.ruletest:2: error: .*v2.rules declares no list 'sanctiond' (did you mean 'sanctioned'?)" "$dir/out" || fail "unknown list: $(cat "$dir/out")"
grep -q "v2.ruletest: error: .*v2.rules declares list 'sanctioned' (line 5): give the entries" "$dir/out" || fail "missing list: $(cat "$dir/out")"
grep -q "v2.ruletest: error: .*declares list 'dual_use' (line 6)" "$dir/out" || fail "missing list 2: $(cat "$dir/out")"
sed -i 's/^list sanctiond KP, KPX$/list sanctioned KP, KPX\nlist dual_use/' "$dir/v2.ruletest"
"$bukong" test "$dir/v2.rules" "$dir/v2.ruletest" >"$dir/out" 2>&1 && fail "a bad entry passed"
grep -q "v2.ruletest:2: error: list 'sanctioned' (of country): 'KPX' is not a country" "$dir/out" || fail "bad entry: $(cat "$dir/out")"
echo ok
