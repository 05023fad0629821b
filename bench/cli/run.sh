#!/usr/bin/env bash
# End-to-end benchmarks of the `bukong` program (docs/PERFORMANCE.md records the figures):
#   decide   N declarations with P profiles and an R-rule ruleset, audit included
#            (wall time, declarations/s, peak RSS), REPEAT times, on a fresh copy of the DB
#   replay   the N records just decided (records/s), REPEAT times
#   memory   decide on BIG declarations streamed from `bukong gen` through a pipe; peak RSS
#            compared with the N-declaration run (flat memory)
# Data comes from `bukong gen` (deterministic). Everything lives in a temporary folder under
# ${TMPDIR:-/tmp} and is removed at the end (the BIG run needs ~1 KB of disk per record).
#
# Usage: bench/cli/run.sh PATH/TO/bukong [N] [P] [R] [REPEAT] [BIG]
#        defaults:                       1000000 1000000 200 3 10000000  (BIG=0 skips it)
set -euo pipefail
BUKONG=$(realpath "${1:?usage: run.sh PATH/TO/bukong [N] [P] [R] [REPEAT] [BIG]}")
N=${2:-1000000}
P=${3:-1000000}
R=${4:-200}
REPEAT=${5:-3}
BIG=${6:-10000000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/bukong-bench-cli.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data: $N declarations, $P profiles, $R rules (bukong gen --seed 42)"
"$BUKONG" gen all --out "$W/data" --seed 42 --profiles "$P" --declarations "$N" --rules "$R" >/dev/null 2>&1
"$BUKONG" init --db "$W/db0" >/dev/null
"$BUKONG" profiles import --db "$W/db0" "$W/data/profiles.csv" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Runs a command under GNU time; prints "seconds max_rss_kb cpu_seconds" (user + system, all
# threads: on a shared machine the CPU time per item says more than the wall time).
timed() {
  "$TIME" -f '%e %M %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/stderr" || {
    local rc=$?; [ $rc -eq 0 ] || { cat "$W/stderr" >&2; echo "exit $rc" >&2; exit 1; }; }
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$W/time"
}

decide_rates=(); replay_rates=(); rss=()
for i in $(seq "$REPEAT"); do
  rm -rf "$W/db"; cp -r "$W/db0" "$W/db"; sync
  read -r s m c < <(timed "$BUKONG" decide --db "$W/db" --rules "$W/data/generated.rules" \
                     "$W/data/declarations.jsonl" -o "$W/decisions.jsonl")
  decide_rates+=("$(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f", n/s}')"); rss+=("$m")
  echo "decide run $i: ${s}s, $(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f", n/s}')/s, peak RSS $((m / 1024)) MB, CPU ${c}s ($(awk -v n="$N" -v c="$c" 'BEGIN{printf "%.1f", c*1e6/n}') us/declaration)"
  read -r s m c < <(timed "$BUKONG" replay --db "$W/db")
  replay_rates+=("$(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f", n/s}')")
  echo "replay run $i: ${s}s, $(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f", n/s}') records/s, peak RSS $((m / 1024)) MB, CPU ${c}s ($(awk -v n="$N" -v c="$c" 'BEGIN{printf "%.1f", c*1e6/n}') us/record)"
done
echo "median decide: $(printf '%s\n' "${decide_rates[@]}" | median) declarations/s (audit included)"
echo "median replay: $(printf '%s\n' "${replay_rates[@]}" | median) records/s"
echo "median peak RSS at $N lines: $(( $(printf '%s\n' "${rss[@]}" | median | cut -d. -f1) / 1024 )) MB"

# Flat memory: the same pipeline at N and at BIG lines; peak RSS of decide alone.
for lines in "$N" "$BIG"; do
  [ "$lines" -gt 0 ] || continue
  rm -rf "$W/db"; cp -r "$W/db0" "$W/db"
  bash -c "'$BUKONG' gen declarations --seed 42 --count $lines --profiles $P | \
           '$TIME' -f '%e %M' -o '$W/time' '$BUKONG' decide --db '$W/db' \
             --rules '$W/data/generated.rules' > /dev/null 2>'$W/stderr'"
  read -r s m < "$W/time"
  echo "memory: $lines lines through a pipe: ${s}s ($(awk -v n="$lines" -v s="$s" 'BEGIN{printf "%.0f", n/s}')/s), decide's peak RSS $((m / 1024)) MB"
  grep -E 'decided' "$W/stderr" || true
done
