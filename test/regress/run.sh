#!/usr/bin/env bash
# Runs the pg_regress suites against the throwaway cluster.
#   test/regress/run.sh <build dir> <path to pg_regress>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "$1" && pwd)
PG_REGRESS=$2
PGBIN=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
eval "$(BUILD_DIR="$BUILD" "$ROOT/scripts/cluster.sh" env)"

# The server reads guests from the file system: give it a copy it can reach.
cluster=$(readlink -f "$BUILD/cluster")

# However the suites end, the server log must show no crashed server process.
log_from=$("$ROOT/scripts/check-server-log.sh" --size "$cluster/server.log")
api_pid=
check_server_log_at_exit() {
  local rc=$?
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null || true; fi
  "$ROOT/scripts/check-server-log.sh" --from "$log_from" "$cluster/server.log" >/dev/null || rc=1
  exit $rc
}
trap check_server_log_at_exit EXIT
rm -rf "$cluster/guests"
mkdir -p "$cluster/guests"
cp "$BUILD"/guests/* "$cluster/guests/"
# Supabase-style components (test/components), for fdw_components.
cp "$BUILD"/components/*.wasm "$cluster/guests/"
chmod -R a+rX "$cluster/guests"
export PG_WASM_GUESTS="$cluster/guests"

# The FDW suites' HTTP API (test/fdw/api_server.py), on 127.0.0.1 at a free
# port, stopped at exit.
port_file="$BUILD/regress-api.port"
rm -f "$port_file"
python3 "$ROOT/test/fdw/api_server.py" --port 0 --port-file "$port_file" --files "$cluster/guests" \
  >"$BUILD/regress-api.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || { echo "run.sh: the API server did not start" >&2; exit 1; }
export PG_WASM_API_PORT=$(cat "$port_file")

# The engine every suite runs on (PG_WASM_ENGINE: v8 or native; the suites
# that test auto set it themselves: which engine serves a call under auto
# depends on when a background build finishes).
ENGINE=${PG_WASM_ENGINE:-v8}

# pg_regress --use-existing expects the database to exist; make it afresh,
# with the settings pg_regress itself would give it.
"$PGBIN/psql" -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP DATABASE IF EXISTS pg_wasm_regress;
CREATE DATABASE pg_wasm_regress TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8';
ALTER DATABASE pg_wasm_regress SET lc_messages TO 'C';
ALTER DATABASE pg_wasm_regress SET datestyle TO 'ISO, MDY';
ALTER DATABASE pg_wasm_regress SET timezone TO 'UTC';
ALTER DATABASE pg_wasm_regress SET extra_float_digits TO 0;
ALTER DATABASE pg_wasm_regress SET wasm.engine TO '$ENGINE';
SQL
# Each engine's results apart.
outdir="$BUILD/regress$([ "$ENGINE" = v8 ] || echo "-$ENGINE")"
mkdir -p "$outdir"
"$PG_REGRESS" --use-existing --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --bindir="$PGBIN" --inputdir="$HERE" --outputdir="$outdir" \
  --dbname=pg_wasm_regress --schedule="${REGRESS_SCHEDULE:-$HERE/schedule}" || {
  [ -f "$outdir/regression.diffs" ] && head -300 "$outdir/regression.diffs"
  exit 1
}
