#!/bin/sh
# The regime files' lists end to end, as scripts/demo.sh shows them: the bundled list files
# (data/lists/) import; rules/order237-2018.rules (with the sanctions list and the
# enterprise watchlist) decides a declaration, and a new version of the watchlist that
# names its enterprise changes the decision (targeting_instruction, 100%) and the version
# the decision line names; what-if binds the current versions; a list the database lacks
# refuses the ruleset; nothing of this is recorded with --dry-run, so replay stays clean.
# Usage: tests/rules/lists_whatif_cli.sh PATH/TO/bukong   (from the source root)
bukong="$1"
rules=rules/order237-2018.rules
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$dir/db"
"$bukong" init --db "$db" --key-file examples/data/demo.key >/dev/null || fail "init"
"$bukong" profiles import --db "$db" examples/data/profiles.csv >/dev/null || fail "profiles"

# A declaration of an enterprise that is on no list (its first line in the demo data).
grep -m1 '"enterprise":"91320500MA7H561FY8"' examples/data/declarations.jsonl >"$dir/one.jsonl"
[ -s "$dir/one.jsonl" ] || fail "no declaration of 91320500MA7H561FY8 in the demo data"

# Without the lists the ruleset is refused, naming the list and the command.
"$bukong" decide --db "$db" --rules $rules "$dir/one.jsonl" --dry-run >"$dir/out" 2>&1 && fail "decided without lists"
grep -q "declares list 'sanctioned'.*bukong lists import" "$dir/out" || fail "refusal: $(cat "$dir/out")"

"$bukong" lists import --db "$db" sanctioned data/lists/sanctioned.txt --type country >/dev/null || fail "import sanctioned"
"$bukong" lists import --db "$db" watched_enterprises data/lists/watched_enterprises.txt --type enterprise >"$dir/out" || fail "import watched"
v1=$(sed -n 's/.*version \([0-9a-f]*\) (new list)/\1/p' "$dir/out")
[ ${#v1} = 16 ] || fail "no version: $(cat "$dir/out")"

# The demo's declarations audited under this first version (what-if below compares them
# with the current, later version).
"$bukong" decide --db "$db" --rules $rules examples/data/declarations.jsonl -o "$dir/d.jsonl" 2>/dev/null || fail "decide all"
"$bukong" decide --db "$db" --rules $rules "$dir/one.jsonl" --dry-run >"$dir/before" 2>/dev/null || fail "decide before"
grep -q '"rule":"baseline"' "$dir/before" || fail "before: $(cat "$dir/before")"
grep -q "\"watched_enterprises\":\"$v1\"" "$dir/before" || fail "before names no version: $(cat "$dir/before")"

{ cat data/lists/watched_enterprises.txt; echo "91320500MA7H561FY8  # test"; } >"$dir/v2.txt"
"$bukong" lists import --db "$db" watched_enterprises "$dir/v2.txt" >"$dir/out" || fail "import v2"
grep -q "3 entries.*(was $v1)" "$dir/out" || fail "v2: $(cat "$dir/out")"
v2=$(sed -n 's/.*version \([0-9a-f]*\) (was.*/\1/p' "$dir/out")

"$bukong" decide --db "$db" --rules $rules "$dir/one.jsonl" --dry-run >"$dir/after" 2>/dev/null || fail "decide after"
grep -q '"outcome":"inspect".*"rate_ppm":1000000.*"rule":"targeting_instruction"' "$dir/after" || fail "after: $(cat "$dir/after")"
grep -q "\"watched_enterprises\":\"$v2\"" "$dir/after" || fail "after names not v2: $(cat "$dir/after")"
# The same draws: only the list changed.
[ "$(sed 's/.*"select":"\([0-9a-f]*\)".*/\1/' "$dir/before")" = "$(sed 's/.*"select":"\([0-9a-f]*\)".*/\1/' "$dir/after")" ] || fail "the select draw changed"

# what-if binds the current versions (v2 names the enterprise: its declarations, audited
# under v1, are newly inspected); replay re-decides each record with the version it recorded.
"$bukong" what-if --db "$db" --rules $rules >"$dir/whatif" 2>&1 || fail "what-if: $(cat "$dir/whatif")"
grep -q "^newly inspected [1-9][0-9]*, newly released 0" "$dir/whatif" || fail "what-if: $(grep newly "$dir/whatif")"
"$bukong" replay --db "$db" >"$dir/out" 2>&1 || fail "replay: $(tail -3 "$dir/out")"
echo ok
