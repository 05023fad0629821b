#!/usr/bin/env bash
# Same-go comparison of several `bukong` binaries on `decide` (docs/PERFORMANCE.md): the
# data is generated once; each binary imports the profiles into its own database (its own
# storage options), all with one selection key; then, ROUNDS times and alternating between
# the binaries, each decides the same declarations on a fresh copy of its database. The
# outputs must be byte-identical to the first binary's (checked with cmp). Prints every run
# (wall, declarations/s, CPU user+system, peak RSS) and the medians per binary.
#
# Usage: bench/cli/ab.sh ROUNDS N P R NAME=PATH/TO/bukong [NAME=PATH ...]
#        e.g. bench/cli/ab.sh 5 1000000 1000000 200 base=build-base/cli/bukong head=build/cli/bukong
set -euo pipefail
ROUNDS=${1:?usage: ab.sh ROUNDS N P R NAME=BUKONG ...}; N=$2; P=$3; R=$4; shift 4
[ $# -ge 1 ] || { echo "give at least one NAME=PATH/TO/bukong" >&2; exit 2; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/bukong-ab.XXXXXX")
trap 'rm -rf "$W"' EXIT

names=(); bins=()
for v in "$@"; do names+=("${v%%=*}"); bins+=("$(realpath "${v#*=}")"); done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $N declarations, $P profiles, $R rules"
"${bins[0]}" gen all --out "$W/data" --seed 42 --profiles "$P" --declarations "$N" --rules "$R" >/dev/null 2>&1
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/key"
for i in "${!names[@]}"; do
  "${bins[$i]}" init --db "$W/db0-${names[$i]}" --key-file "$W/key" >/dev/null
  "${bins[$i]}" profiles import --db "$W/db0-${names[$i]}" "$W/data/profiles.csv" >/dev/null
done

: > "$W/runs"
for round in $(seq "$ROUNDS"); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    rm -rf "$W/db"; cp -r "$W/db0-$name" "$W/db"; sync
    "$TIME" -f '%e %M %U %S' -o "$W/time" "${bins[$i]}" decide --db "$W/db" \
      --rules "$W/data/generated.rules" "$W/data/declarations.jsonl" -o "$W/out-$name" 2>/dev/null
    read -r e m u s < "$W/time"
    awk -v n="$name" -v r="$round" -v e="$e" -v m="$m" -v u="$u" -v s="$s" -v N="$N" \
      'BEGIN {printf "%s round %d: %.2fs, %.0f/s, CPU %.2fs, peak RSS %d MB\n", n, r, e, N/e, u+s, m/1024}' \
      | tee -a "$W/runs"
    if [ "$i" -gt 0 ] && ! cmp -s "$W/out-$name" "$W/out-${names[0]}"; then
      echo "$name: the decisions differ from ${names[0]}'s" >&2; exit 1
    fi
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "medians (load now $(cut -d' ' -f1-3 /proc/loadavg)):"
for name in "${names[@]}"; do
  rate=$(awk -v n="$name" '$1==n {sub("/s,","",$5); print $5}' "$W/runs" | median)
  cpu=$(awk -v n="$name" '$1==n {sub("s,","",$7); print $7}' "$W/runs" | median)
  echo "  $name: $rate declarations/s, CPU ${cpu}s"
done
