#!/usr/bin/env bash
# Modules, functions and instances of the wasmer-postgres compatible API
# survive a server restart, and work in every new session afterwards; with
# shared_preload_libraries too.
#   test/integration/restart.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_restart

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SELECT wasm_new_instance('$GUESTS/simple.wasm', 'ns');
SQL
expect "before restart" 111 "$(sql -d $DB -c 'SELECT collatz_steps(27)')"

"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null
expect "after restart" 111 "$(sql -d $DB -c 'SELECT collatz_steps(27)')"
expect "wasmer-compatible instance after restart" 3 "$(sql -d $DB -c 'SELECT ns_sum(1, 2)')"
expect "instances view" "ns" "$(sql -d $DB -c 'SELECT id FROM wasm.instances')"

# Preloaded: the library loads in the postmaster, V8 still starts only in
# backends (its threads would not survive fork).
sql -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_wasm'"
"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null
expect "preloaded" "pg_wasm" "$(sql -d postgres -c 'SHOW shared_preload_libraries')"
for i in 1 2 3; do
  expect "preloaded, session $i" 111 "$(sql -d $DB -c 'SELECT collatz_steps(27)')"
done
# wasm.preload_v8: the postmaster maps and links V8's libraries, without
# starting V8 (it has one thread), and every backend's calls work.
sql -d postgres -c "ALTER SYSTEM SET wasm.preload_v8 = on"
"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null
POSTMASTER=$(head -1 "$CLUSTER/data/postmaster.pid")
expect "V8's library mapped in the postmaster" "yes" \
  "$(grep -q pg_wasm_v8.so /proc/$POSTMASTER/maps && echo yes || echo no)"
expect "and no thread started there" "1" "$(awk '/^Threads:/ {print $2}' /proc/$POSTMASTER/status)"
for i in 1 2 3; do
  expect "V8 preloaded, session $i" "111|v8" \
    "$(sql -d $DB -c "SET wasm.engine = v8" -c "SELECT collatz_steps(27), wasm.module_engine('collatz')")"
done
sql -d postgres -c "ALTER SYSTEM RESET wasm.preload_v8"
sql -d postgres -c "ALTER SYSTEM RESET shared_preload_libraries"
"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null

# A fast shutdown never waits on a guest: with one session in an endless
# loop and another loading a module, the server stops within seconds.
sql -d $DB -c "SELECT wasm.load_module_wat('spin', '(module (func (export \"spin\") (loop br 0)))')" \
  -c "CREATE FUNCTION spin() RETURNS void LANGUAGE wasm AS 'spin'" >/dev/null
"$PGBIN/psql" -X -q -d $DB -c "SELECT spin()" >/dev/null 2>&1 &
spinner=$!
for _ in $(seq 1 100); do
  [ "$(sql -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT spin()' AND state = 'active'")" = 1 ] && break
  sleep 0.1
done
start=$(date +%s%N)
"$ROOT/scripts/cluster.sh" stop >/dev/null
stopped_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait $spinner || true
[ $stopped_ms -lt 10000 ] || { echo "FAIL: the fast shutdown took $stopped_ms ms" >&2; exit 1; }
echo "ok: fast shutdown with a guest in an endless loop"
"$ROOT/scripts/cluster.sh" start >/dev/null

sql -d postgres -c "DROP DATABASE $DB"
echo "restart: all ok"
