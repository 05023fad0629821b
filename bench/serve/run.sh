#!/usr/bin/env bash
# Load test of `bukong serve` (a benchmark, not a test): wrk posts real generated
# declarations over keep-alive connections; the audit log stays durable throughout (every
# 200 is sent after the fsync covering its record). Prints wrk's figures, the decisions per
# second, the server's RSS sampled every few seconds, and the load average before and after.
#
# Usage: bench/serve/run.sh BUKONG [SECONDS] [CONNECTIONS] [BATCH] [SERVE_THREADS] [WRK_THREADS]
#   bench/serve/run.sh build/cli/bukong 20 64 1        # single declarations, 64 connections
#   bench/serve/run.sh build/cli/bukong 20 8 1000      # JSON Lines batches of 1,000
#   bench/serve/run.sh build/cli/bukong 600 64 1       # 10 minutes: is memory flat?
# Env: DECLARATIONS (default 200000), PROFILES (default 100000), RULES (default 200).
set -euo pipefail
BUKONG=$(realpath "${1:?usage: run.sh BUKONG [SECONDS] [CONNECTIONS] [BATCH] [SERVE_THREADS] [WRK_THREADS]}")
SECONDS_=${2:-20}; CONNS=${3:-64}; BATCH=${4:-1}; SERVE_THREADS=${5:-2}; WRK_THREADS=${6:-2}
N=${DECLARATIONS:-200000}; P=${PROFILES:-100000}; R=${RULES:-200}
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps.sh)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/bukong-serve-bench.XXXXXX")
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $N declarations, $P profiles, $R rules"
"$BUKONG" gen all --out "$W/data" --seed 42 --profiles "$P" --declarations "$N" --rules "$R" >/dev/null 2>&1
"$BUKONG" init --db "$W/db" >/dev/null
"$BUKONG" profiles import --db "$W/db" "$W/data/profiles.csv" >/dev/null
"$BUKONG" serve --db "$W/db" --rules "$W/data/generated.rules" --listen 127.0.0.1:0 \
  --threads "$SERVE_THREADS" 2>"$W/serve.err" &
SERVER=$!
for _ in $(seq 100); do grep -q "listening on" "$W/serve.err" 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$W/serve.err" | head -1 | cut -d: -f2)
[ -n "$PORT" ] || { cat "$W/serve.err"; exit 1; }

# RSS every 5 s while wrk runs.
( while kill -0 "$SERVER" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)"; sleep 5; done ) > "$W/rss" &
SAMPLER=$!
echo "wrk: $WRK_THREADS threads, $CONNS connections, ${SECONDS_} s, batch $BATCH, serve --threads $SERVE_THREADS"
DECLS="$W/data/declarations.jsonl" BATCH="$BATCH" wrk -t"$WRK_THREADS" -c"$CONNS" \
  -d"${SECONDS_}s" --timeout 10s -s "$HERE/post.lua" "http://127.0.0.1:$PORT" | tail -1
kill "$SAMPLER" 2>/dev/null || true
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^bukong_(audit_records_total|group_commit_batch_records_(sum|count)|audit_sync_seconds_(sum|count)|queue_full_total)' | tr '\n' ' '; echo
awk 'NR==1 {t0=$1} {printf "%s+%ds %d MB  ", "rss", $1-t0, $2/1024} END {print ""}' "$W/rss"
kill -TERM "$SERVER"; wait "$SERVER" || true; SERVER=
"$BUKONG" replay --db "$W/db" 2>&1 | tail -1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
