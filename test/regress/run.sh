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
check_server_log_at_exit() {
  local rc=$?
  "$ROOT/scripts/check-server-log.sh" --from "$log_from" "$cluster/server.log" >/dev/null || rc=1
  exit $rc
}
trap check_server_log_at_exit EXIT
rm -rf "$cluster/guests"
mkdir -p "$cluster/guests"
cp "$BUILD"/guests/* "$cluster/guests/"
chmod -R a+rX "$cluster/guests"
export PG_WASM_GUESTS="$cluster/guests"

# pg_regress --use-existing expects the database to exist; make it afresh,
# with the settings pg_regress itself would give it.
"$PGBIN/psql" -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP DATABASE IF EXISTS pg_wasm_regress;
CREATE DATABASE pg_wasm_regress TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8';
ALTER DATABASE pg_wasm_regress SET lc_messages TO 'C';
ALTER DATABASE pg_wasm_regress SET datestyle TO 'ISO, MDY';
ALTER DATABASE pg_wasm_regress SET timezone TO 'UTC';
ALTER DATABASE pg_wasm_regress SET extra_float_digits TO 0;
SQL
mkdir -p "$BUILD/regress"
"$PG_REGRESS" --use-existing --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --bindir="$PGBIN" --inputdir="$HERE" --outputdir="$BUILD/regress" \
  --dbname=pg_wasm_regress --schedule="${REGRESS_SCHEDULE:-$HERE/schedule}" || {
  [ -f "$BUILD/regress/regression.diffs" ] && head -300 "$BUILD/regress/regression.diffs"
  exit 1
}
