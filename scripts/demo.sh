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
# The foreign-table part reads a small HTTP API on 127.0.0.1, stopped at exit.
port_file="$BUILD_DIR/demo-api.port"
rm -f "$port_file"
python3 "$ROOT/test/fdw/api_server.py" --port 0 --port-file "$port_file" >"$BUILD_DIR/demo-api.log" 2>&1 &
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || { echo "demo: the API server did not start" >&2; exit 1; }
"$ROOT/scripts/cluster.sh" psql -X -e -d postgres -v guests="$cluster/guests" \
  -v api_port="$(cat "$port_file")" -f "$ROOT/examples/demo.sql"
echo
echo "The cluster is still running: scripts/cluster.sh psql -d pg_wasm_demo; scripts/cluster.sh stop"
