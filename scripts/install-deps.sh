#!/usr/bin/env bash
# Installs the Debian 12 packages bukong builds with, only those that are missing.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost-dev          # Spirit X3 (header-only)
  librocksdb-dev        # storage
  libabsl-dev           # Status, StatusOr, containers
  libfmt-dev            # text formatting
  libgtest-dev libgmock-dev libbenchmark-dev
  libsodium-dev         # SipHash-2-4 (crypto_shorthash)
  libssl-dev            # SHA-256 (libcrypto)
  libsimdjson-dev       # JSON Lines input
  libcli11-dev          # command line
  curl openssl python3-yaml wrk  # serve: its tests' clients, TLS certs, OpenAPI check, load test
  libjs-chart.js        # bukong report: Chart.js, inlined into the HTML report
  chromium              # tests/report: the report rendered in headless chromium
  python3               # tests/report: the browser test's driver
  fonts-wqy-zenhei      # tests/report: CJK glyphs in the report's screenshot
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
