#!/usr/bin/env bash
# Modules, functions and seeds' instances survive a server restart, and work
# in every new session afterwards; with shared_preload_libraries too.
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
expect "seeds' instance after restart" 3 "$(sql -d $DB -c 'SELECT ns_sum(1, 2)')"
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
sql -d postgres -c "ALTER SYSTEM RESET shared_preload_libraries"
"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null

sql -d postgres -c "DROP DATABASE $DB"
echo "restart: all ok"
