#!/usr/bin/env bash
# Runs the pg_regress suites against the throwaway cluster.
#   test/regress/run.sh <build dir> <path to pg_regress> [suite ...]
# Without suites, the schedule (REGRESS_SCHEDULE, default test/regress/schedule)
# on one fresh database. With suites, each alone on a fresh database: setup,
# the suite, then leftovers (which shows that the suite dropped what it made).
# PG_WASM_ENGINE (v8 or native, default v8) is the engine the suites run on.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 <build dir> <pg_regress> [suite ...]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
PG_REGRESS=$2
shift 2
for suite in "$@"; do
  [ -f "$HERE/sql/$suite.sql" ] || { echo "run.sh: no suite $HERE/sql/$suite.sql" >&2; exit 2; }
done
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
# The WebAssembly components (test/components: <name>.wasm, and the core
# module inside each as <name>.core.wasm), beside the guests.
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

# The engine every suite runs on (PG_WASM_ENGINE: v8 or native). A suite
# sets wasm.engine itself where it shows what one engine does (V8's Wasm
# stack, the native engine's words for a trap) and where it tests auto
# (which engine serves a call under auto depends on when a background build
# finishes); one expected output holds for both engines.
ENGINE=${PG_WASM_ENGINE:-v8}

# pg_regress --use-existing expects the database to exist; make it afresh,
# with the settings pg_regress itself would give it.
fresh_database() {
  "$PGBIN/psql" -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP DATABASE IF EXISTS pg_wasm_regress;
CREATE DATABASE pg_wasm_regress TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8';
ALTER DATABASE pg_wasm_regress SET lc_messages TO 'C';
ALTER DATABASE pg_wasm_regress SET datestyle TO 'ISO, MDY';
ALTER DATABASE pg_wasm_regress SET timezone TO 'UTC';
ALTER DATABASE pg_wasm_regress SET extra_float_digits TO 0;
ALTER DATABASE pg_wasm_regress SET wasm.engine TO '$ENGINE';
SQL
}

# pg_regress into output directory $1, with the rest of the arguments; its
# diffs shown if it fails.
regress() {
  local out=$1
  shift
  mkdir -p "$out"
  "$PG_REGRESS" --use-existing --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --bindir="$PGBIN" --inputdir="$HERE" --outputdir="$out" --dbname=pg_wasm_regress "$@" || {
    [ -f "$out/regression.diffs" ] && head -300 "$out/regression.diffs"
    return 1
  }
}

# Each engine's results apart.
outdir="$BUILD/regress$([ "$ENGINE" = v8 ] || echo "-$ENGINE")"
if [ $# -eq 0 ]; then
  fresh_database
  regress "$outdir" --schedule="${REGRESS_SCHEDULE:-$HERE/schedule}" || exit 1
  exit 0
fi

failed=()
for suite in "$@"; do
  tests=(setup "$suite" leftovers)
  case $suite in setup | leftovers) tests=(setup leftovers) ;; esac
  echo "== $suite alone (wasm.engine = $ENGINE)"
  fresh_database
  regress "$outdir/alone/$suite" "${tests[@]}" || failed+=("$suite")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: failed alone on $ENGINE: ${failed[*]}" >&2
  exit 1
fi
