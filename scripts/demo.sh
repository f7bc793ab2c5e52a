#!/usr/bin/env bash
# The demo: installs what is needed, builds and installs pg_wasm, starts the
# throwaway cluster, loads the example modules and shows queries and a small
# benchmark. The cluster keeps running afterwards: scripts/cluster.sh psql
# connects to it, scripts/cluster.sh stop stops it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build}

"$ROOT/scripts/build.sh"
"$ROOT/scripts/cluster.sh" start
cluster=$(readlink -f "$BUILD_DIR/cluster")
mkdir -p "$cluster/guests"
cp "$BUILD_DIR"/guests/* "$cluster/guests/"
chmod -R a+rX "$cluster/guests"
"$ROOT/scripts/cluster.sh" psql -X -e -d postgres -v guests="$cluster/guests" -f "$ROOT/examples/demo.sql"
echo
echo "The cluster is still running: scripts/cluster.sh psql -d pg_wasm_demo; scripts/cluster.sh stop"
