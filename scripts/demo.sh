#!/usr/bin/env bash
# The README's first command ends here: runs bukong on the bundled example data
# (examples/data/, see examples/README.md) on a fresh database in a temporary folder and
# shows what each step produced:
#   check -> init -> profiles import -> lists import -> decide -> outcome -> stats -> what-if
#   -> lists (show, a bad file, a decision a new list version changes, what-if) -> replay
#   -> report (an HTML file kept in build/demo/, or $BUKONG_DEMO_OUT)
#   -> serve (curl a decision, /metrics, swap a ruleset, SIGTERM)
# Usage: scripts/demo.sh [PATH/TO/bukong]      (default build/cli/bukong)
set -euo pipefail
BUKONG=$(realpath "${1:-build/cli/bukong}")
cd "$(dirname "$0")/.."

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bukong-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/db"
OUT=$(realpath -m "${BUKONG_DEMO_OUT:-build/demo}")
mkdir -p "$OUT"
DATA=examples/data
RULES=rules/order237-2018.rules

if [ -t 1 ]; then B=$'\033[1m'; N=$'\033[0m'; else B=; N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. check: the rule files of three credit regimes, and the what-if variants"
run "$BUKONG" check --werror rules/*.rules examples/whatif-stricter.rules

step "2. init: a new database; the demo key file makes every run decide alike"
run "$BUKONG" init --db "$DB" --key-file $DATA/demo.key

step "3. profiles import: $(($(wc -l < $DATA/profiles.csv) - 1)) enterprises over the four grades of Order 237"
head -4 $DATA/profiles.csv
run "$BUKONG" profiles import --db "$DB" $DATA/profiles.csv
echo "grades: $(tail -n +2 $DATA/profiles.csv | cut -d, -f2 | sort | uniq -c | awk '{printf "%s %s  ", $2, $1}')"
run "$BUKONG" profiles get --db "$DB" "$(sed -n 2p $DATA/profiles.csv | cut -d, -f1)"

step "   lists import: the lists the rule files declare (SPEC §7.1; illustrative files in data/lists/)"
run "$BUKONG" lists import --db "$DB" sanctioned data/lists/sanctioned.txt --type country
run "$BUKONG" lists import --db "$DB" watched_enterprises data/lists/watched_enterprises.txt --type enterprise

step "4. decide: $(wc -l < $DATA/declarations.jsonl) declarations under $RULES (each recorded in the audit log, then printed)"
head -1 $DATA/declarations.jsonl
run "$BUKONG" decide --db "$DB" --rules $RULES $DATA/declarations.jsonl -o "$WORK/decisions.jsonl"
echo "first decisions:"
head -3 "$WORK/decisions.jsonl"
echo "a hold:"
grep -m1 '"outcome":"hold"' "$WORK/decisions.jsonl" || echo "(none)"
echo "outcomes: $(grep -o '"outcome":"[a-z]*"' "$WORK/decisions.jsonl" | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s %s  ", $2, $1}')"

step "   a bad line is reported with its file, line and field, and the run goes on (exit 3)"
{ head -2 $DATA/declarations.jsonl
  echo '{"id":"BAD-1","enterprise":"91330200MA2AAAAA1X","date":"2021-05-04","direction":"import","hs":"0303.89.90"}'
  echo 'not json'; } > "$WORK/with-bad-lines.jsonl"
set +e
"$BUKONG" decide --db "$DB" --rules $RULES "$WORK/with-bad-lines.jsonl" --rejects "$WORK/rejects.jsonl" > /dev/null
echo "exit code $?; rejects file holds $(wc -l < "$WORK/rejects.jsonl") lines"
set -e

step "5. outcome: $(wc -l < $DATA/outcomes.jsonl) inspection results ($(grep -c '"hit"' $DATA/outcomes.jsonl) hits), once per declaration"
head -2 $DATA/outcomes.jsonl
run "$BUKONG" outcome --db "$DB" $DATA/outcomes.jsonl
echo "given again, every one is refused:"
set +e
"$BUKONG" outcome --db "$DB" <(head -1 $DATA/outcomes.jsonl)
echo "exit code $?"
set -e

step "6. stats: realized rates per grade with 95% intervals, the law's checks with verdicts, rule efficacy"
printf '$ %s\n' "$BUKONG stats --db $DB"
"$BUKONG" stats --db "$DB" > "$WORK/stats.txt"
# Everything but the weekly workload table, of which the first weeks.
awk '/^workload by/{w=1} w && ++n>6 {next} {print} END{if (n>6) print "... (" n-6 " more weeks)"}' "$WORK/stats.txt"
echo "(3,000 declarations: a grade with a few hundred has only a handful of discretionary"
echo " inspections, so its ratio's interval is wide and the check is 'undetermined', not"
echo " 'violated'; tests/cli/cli_ratio_test decides 150,000 and finds every check 'holds'.)"

step "7. what-if: the same declarations under examples/whatif-stricter.rules (cold-chain port checks 10% -> 20%)"
"$BUKONG" what-if --db "$DB" --rules examples/whatif-stricter.rules > "$WORK/whatif.txt"
printf '$ %s\n' "$BUKONG what-if --db $DB --rules examples/whatif-stricter.rules"
# The grade table, the HS chapters that changed, and the summary.
# The tables list only the HS chapters that change (--all lists every one); the workload
# table is cut to its first weeks.
awk '/^workload by/{w=1} w && ++n>6 {next} {print} END{if (n>6) print "... (" n-6 " more weeks)"}' "$WORK/whatif.txt"

step "8. lists: watchlists kept in the database, versioned by content; every decision names the versions it used"
run "$BUKONG" lists show --db "$DB"
echo "a list file with bad entries is refused whole, every bad line named; the list keeps its version:"
printf '# sanctioned origins\nKP\nkp\nKPX\n' > "$WORK/bad-list.txt"
set +e
"$BUKONG" lists import --db "$DB" sanctioned "$WORK/bad-list.txt"
echo "exit code $?"
set -e

step "   a decision a list changed: one declaration decided before and after a new version of watched_enterprises (--dry-run: nothing recorded)"
# The first declaration the demo released, of an enterprise not yet on the watchlist.
RELEASED=$(grep -m1 '"outcome":"release"' "$WORK/decisions.jsonl" | cut -d'"' -f4)
grep -m1 "\"id\":\"$RELEASED\"" $DATA/declarations.jsonl > "$WORK/one.jsonl"
ENTERPRISE=$(cut -d'"' -f8 "$WORK/one.jsonl")
cat "$WORK/one.jsonl"
run "$BUKONG" decide --db "$DB" --rules $RULES "$WORK/one.jsonl" --dry-run 2>/dev/null
{ cat data/lists/watched_enterprises.txt; echo "$ENTERPRISE    # instruction 2021-12 (demo)"; } > "$WORK/watched-v2.txt"
echo "a targeting instruction names enterprise $ENTERPRISE: a new version of the list"
run "$BUKONG" lists import --db "$DB" watched_enterprises "$WORK/watched-v2.txt"
run "$BUKONG" decide --db "$DB" --rules $RULES "$WORK/one.jsonl" --dry-run 2>/dev/null
echo "(the same declaration and key: now rule targeting_instruction at 100%, and \"lists\" names the new version)"
run "$BUKONG" lists show --db "$DB" watched_enterprises

step "   what-if after the list change: the audited declarations under $RULES with the lists' current versions"
printf '$ %s\n' "$BUKONG what-if --db $DB --rules $RULES"
"$BUKONG" what-if --db "$DB" --rules $RULES > "$WORK/whatif-lists.txt"
awk '/^newly inspected/{print; exit} {print}' "$WORK/whatif-lists.txt"
echo "(replay, next, re-decides every record with the list versions it recorded: the new"
echo " version changes nothing that was decided before it)"

step "9. replay: every audit record re-decided and compared byte for byte; the chain verified"
run "$BUKONG" replay --db "$DB"

step "10. report: one self-contained HTML file (charts and tables; opens offline) for a supervisor"
run "$BUKONG" report --db "$DB" --rules examples/whatif-stricter.rules -o "$OUT/report.html"
run "$BUKONG" report --db "$DB" --rules examples/whatif-stricter.rules -o "$OUT/report-zh.html" --lang zh
echo "open $OUT/report.html (English) or $OUT/report-zh.html (中文) in a browser"

# ---- serve (added by the `serve` work, docs/service.md) --------------------------------------
step "11. serve: the same database over HTTP; a 200 is sent only once the decision is in the audit log"
"$BUKONG" serve --db "$DB" --rules $RULES --listen 127.0.0.1:0 2> "$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.err" 2>/dev/null && break; sleep 0.1; done
cat "$WORK/serve.err"
URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.err" | head -1)
DECL=$(sed -n 5p $DATA/declarations.jsonl | sed 's/"id":"[^"]*"/"id":"DEMO-SERVED-1"/')
printf "\$ curl -s -i -H 'Content-Type: application/json' --data-binary '%s' %s/v1/decisions\n" "$DECL" "$URL"
curl -s -i -H 'Content-Type: application/json' --data-binary "$DECL" "$URL/v1/decisions" | grep -v '^Server:'
echo "a bad declaration: 400 naming the field, nothing recorded:"
curl -s -H 'Content-Type: application/json' --data-binary '{"id":"X","enterprise":"E","date":"2021-02-30"}' "$URL/v1/decisions"
echo "\$ curl -s $URL/metrics  (an excerpt)"
curl -s "$URL/metrics" | grep -E '^bukong_(decisions_total|audit_records_total|group_commit_batch_records_count|ruleset_info)'
echo "swap in examples/whatif-stricter.rules (PUT /v1/ruleset), then decide another declaration:"
curl -s -X PUT --data-binary @examples/whatif-stricter.rules "$URL/v1/ruleset" | cut -c1-160; echo
DECL2=$(sed -n 6p $DATA/declarations.jsonl | sed 's/"id":"[^"]*"/"id":"DEMO-SERVED-2"/')
curl -s -H 'Content-Type: application/json' --data-binary "$DECL2" "$URL/v1/decisions" | cut -c1-200; echo
echo "\$ kill -TERM $SERVE_PID   (answers what is in flight, syncs, exits 0)"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" && echo "serve exited 0"
tail -1 "$WORK/serve.err"
run "$BUKONG" replay --db "$DB"

printf '\n%sdemo complete%s: database in %s (removed on exit); the report is in %s;\ndocs/CLI.md describes every command.\n' "$B" "$N" "$WORK" "$OUT/report.html"
