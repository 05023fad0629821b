#!/usr/bin/env bash
# The README's first command ends here: runs bukong on the bundled example data and shows
# what each step produced. Usage: scripts/demo.sh PATH/TO/bukong
set -euo pipefail
BUKONG=${1:-build/cli/bukong}
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "bukong check rules/*.rules   (the real rule files for three credit regimes)"
"$BUKONG" check --werror rules/*.rules
