#!/usr/bin/env bash
# Same-go A/B of `bukong serve` builds under wrk (a benchmark, not a test): generates the
# data once (as run.sh does), then runs the binaries alternately, ROUNDS times each, every
# run on a fresh copy of the same database, and prints one line per run: wrk's rate and
# latencies, the mean audit sync and records per sync from /metrics, the server's RSS and
# its CPU time (user+sys) divided by the decisions it recorded. Quote medians and the load.
#
# Usage: bench/serve/ab.sh ROUNDS SECONDS CONNECTIONS BATCH SERVE_THREADS WRK_THREADS BUKONG...
#   bench/serve/ab.sh 3 10 64 1 2 2 /tmp/bukong-main build/cli/bukong
#   bench/serve/ab.sh 3 10 8 1000 2 2 /tmp/bukong-main build/cli/bukong
# Env: DECLARATIONS (default 200000), PROFILES (default 100000), RULES (default 200).
set -euo pipefail
[ $# -ge 7 ] || { sed -n 2,11p "$0"; exit 2; }
ROUNDS=$1; SECONDS_=$2; CONNS=$3; BATCH=$4; SERVE_THREADS=$5; WRK_THREADS=$6; shift 6
BINS=(); for b in "$@"; do BINS+=("$(realpath "$b")"); done
N=${DECLARATIONS:-200000}; P=${PROFILES:-100000}; R=${RULES:-200}
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps.sh)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/bukong-serve-ab.XXXXXX")
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

"${BINS[0]}" gen all --out "$W/data" --seed 42 --profiles "$P" --declarations "$N" --rules "$R" >/dev/null 2>&1
"${BINS[0]}" init --db "$W/db0" >/dev/null
"${BINS[0]}" profiles import --db "$W/db0" "$W/data/profiles.csv" >/dev/null
echo "# $(date -u +%H:%M:%S) UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $SECONDS_ s," \
  "$CONNS connections, batch $BATCH, serve --threads $SERVE_THREADS, wrk -t$WRK_THREADS"
for _ in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    rm -rf "$W/db"; cp -r "$W/db0" "$W/db"
    "$bin" serve --db "$W/db" --rules "$W/data/generated.rules" --listen 127.0.0.1:0 \
      --threads "$SERVE_THREADS" 2>"$W/serve.err" &
    SERVER=$!
    for _ in $(seq 100); do grep -q "listening on" "$W/serve.err" 2>/dev/null && break; sleep 0.1; done
    PORT=$(grep -o '127.0.0.1:[0-9]*' "$W/serve.err" | head -1 | cut -d: -f2)
    [ -n "$PORT" ] || { cat "$W/serve.err"; exit 1; }
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$(DECLS="$W/data/declarations.jsonl" BATCH="$BATCH" wrk -t"$WRK_THREADS" -c"$CONNS" \
      -d"${SECONDS_}s" --timeout 10s -s "$HERE/post.lua" "http://127.0.0.1:$PORT" | tail -1)
    metrics=$(curl -s "http://127.0.0.1:$PORT/metrics")
    cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$SERVER/stat")
    rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER/status")
    kill -TERM "$SERVER"; wait "$SERVER" || true; SERVER=
    awk -v bin="$bin" -v load="$load" -v out="$out" -v cpu="$cpu" -v rss="$rss" '
      $1 == "bukong_audit_sync_seconds_sum" {ss = $2} $1 == "bukong_audit_sync_seconds_count" {sc = $2}
      $1 == "bukong_audit_records_total" {rec = $2}
      END {printf "%s (load %s): %s; sync mean %.2f ms, %.1f records per sync, server CPU %.1f us per decision, RSS %d MB\n",
           bin, load, out, sc ? 1000 * ss / sc : 0, sc ? rec / sc : 0, rec ? 1e6 * cpu / rec : 0, rss}' <<<"$metrics"
  done
done
echo "# $(date -u +%H:%M:%S) UTC, load after $(cut -d' ' -f1-3 /proc/loadavg)"
