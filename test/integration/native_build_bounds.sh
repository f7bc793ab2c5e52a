#!/usr/bin/env bash
# The bounds on native builds, for the whole server: no more builds at once
# than wasm.native_max_builds, whichever sessions and workers want them; a
# module too costly for the C compiler refused at once and left on V8; the
# cache held to wasm.native_cache_size; a build stopped when its module is
# dropped; a rolled-back or failed load leaves no file; a load's background
# build starts when the load commits.
#   test/integration/native_build_bounds.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_native_bounds
unset PGOPTIONS

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "CREATE DATABASE $DB"
sql -d $DB -c "CREATE EXTENSION wasm" -c "ALTER DATABASE $DB SET wasm.engine = auto" >/dev/null
DATA=$(sql -d postgres -c "SHOW data_directory")
TOP="$DATA/pg_wasm_native"
CACHE="$TOP/$(sql -d postgres -c "SELECT oid FROM pg_database WHERE datname = '$DB'")"

# (In a session that has loaded the extension, which defines its settings.)
set_server() { # <setting> <value>: for the whole server, as an administrator would
  sql -d $DB -c "LOAD 'pg_wasm'" -c "ALTER SYSTEM SET $1 = '$2'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5  # the postmaster reads it, and starts new workers with it
}
reset_server() {
  sql -d $DB -c "LOAD 'pg_wasm'" -c "ALTER SYSTEM RESET $1" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}
restore_settings_at_exit() {
  local rc=$?
  sql -d postgres -c "LOAD 'pg_wasm'" -c "ALTER SYSTEM RESET wasm.native_max_builds" \
    -c "ALTER SYSTEM RESET wasm.native_cache_size" -c "SELECT pg_reload_conf()" >/dev/null || true
  (exit $rc)
  check_server_log_at_exit
}
trap restore_settings_at_exit EXIT

sha_of() { sql -d $DB -c "SELECT sha256 FROM wasm.modules WHERE name = '$1'"; }
builders() {
  sql -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_wasm native build'"
}
wait_builders_done() {
  for _ in $(seq 1800); do [ "$(builders)" = 0 ] && return; sleep 0.1; done
  echo "FAIL: a build worker did not finish" >&2
  exit 1
}
logged_since() { # <from byte> <pattern>: how many lines of the server log since match
  tail -c +"$(($1 + 1))" "$SERVER_LOG" | grep -c -- "$2" || true
}
# A module whose build takes seconds: many functions for the C compiler.
slow_module() { # <file> <result>
  python3 - "$1" "$2" <<'PY'
import sys
path, result = sys.argv[1], int(sys.argv[2])
funcs = [f'(func $f{i} (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {i + 3})) (i32.const {i})))'
         for i in range(3000)]
body = ''.join(f'(drop (call $f{i} (local.get 0)))' for i in range(3000))
funcs.append(f'(func (export "answer") (param i32) (result i32) {body} (i32.const {result}))')
open(path, 'w').write('(module ' + '\n'.join(funcs) + ')')
PY
}
cache_files() { find "$CACHE" -type f 2>/dev/null | sort; }

# 1. At most wasm.native_max_builds at once: three modules loaded together
# (their workers start when the load commits), one build at a time. A build
# in flight has its temporary directory (build-*) in the cache.
set_server wasm.native_max_builds 1
for i in 1 2 3; do slow_module "$GUESTS/bounds_slow$i.wat" $i; done
from=$(stat -c %s "$SERVER_LOG")
sql -d $DB -c "BEGIN" \
  -c "SELECT wasm.load_module_file('slow' || i, '$GUESTS/bounds_slow' || i || '.wat') IS NOT NULL FROM generate_series(1, 3) i" \
  -c "COMMIT" >/dev/null
most=0
for _ in $(seq 1800); do
  n=$(find "$TOP" -maxdepth 3 -type d -name 'build-*' 2>/dev/null | wc -l)
  [ "$n" -gt "$most" ] && most=$n
  [ "$(logged_since "$from" "built module .* natively")" -ge 3 ] && break
  sleep 0.05
done
expect "three modules built, their builds asked for at commit" 3 "$(logged_since "$from" "built module .* natively")"
expect "never more than one build at once" 1 "$most"
reset_server wasm.native_max_builds
wait_builders_done

# 2. Too costly for the C compiler (one function of 25,001 if/else: 50,002
# branches, more than a build compiles even at -O0): refused at once,
# recorded, and the module runs on V8.
python3 - "$GUESTS/bounds_costly.wat" <<'PY'
import sys
body = ''.join('(if (local.get 0) (then (local.set 0 (i32.add (local.get 0) (i32.const 3)))) '
               '(else (local.set 0 (i32.sub (local.get 0) (i32.const 5)))))' for _ in range(25001))
open(sys.argv[1], 'w').write(f'(module (func (export "f") (param i32) (result i32) {body} local.get 0))')
PY
from=$(stat -c %s "$SERVER_LOG")
sql -d $DB -c "SELECT wasm.load_module_file('costly', '$GUESTS/bounds_costly.wat') IS NOT NULL" \
  -c "CREATE FUNCTION costly_f(int4) RETURNS int4 LANGUAGE wasm AS 'costly::f'" >/dev/null
wait_builders_done
expect "too costly: recorded" 1 "$(logged_since "$from" "too costly to build natively: function 0 has 500[0-9][0-9] branches (at most 50000)")"
expect "too costly: runs on V8" "v8|74995" "$(sql -d $DB -c "SELECT wasm.module_engine('costly'), costly_f(0)")"
expect "too costly: under native, on V8 too" "v8" \
  "$(sql -d $DB -c "SET wasm.engine = native" -c "SELECT wasm.module_engine('costly')" 2>/dev/null)"
expect "too costly: wasm.native_build says why" "failed|t" \
  "$(sql -d $DB -c "SELECT state, reason LIKE '%too costly to build natively: function 0 has %branches (at most 50000)%' FROM wasm.native_build('costly') WHERE NOT fuel")"

# 3. The cache held to its size: with room for nothing more, a new module is
# not built, says why, and runs on V8.
set_server wasm.native_cache_size 1
from=$(stat -c %s "$SERVER_LOG")
sql -d $DB -c "SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm') IS NOT NULL" \
  -c "CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps'" >/dev/null
wait_builders_done
[ "$(logged_since "$from" "cache is full")" -ge 1 ] || { echo "FAIL: no build said the cache is full" >&2; exit 1; }
echo "ok: cache full: said"
expect "cache full: runs on V8" "v8|111" \
  "$(sql -d $DB -c "SELECT wasm.module_engine('collatz'), collatz_steps(27)")"
reset_server wasm.native_cache_size

# 4. Dropped during its build: the build stops there, and nothing of it
# stays.
slow_module "$GUESTS/bounds_dropped.wat" 4
from=$(stat -c %s "$SERVER_LOG")
sql -d $DB -c "SELECT wasm.load_module_file('dropped', '$GUESTS/bounds_dropped.wat') IS NOT NULL" >/dev/null
DROPPED=$(sha_of dropped)
for _ in $(seq 300); do [ -n "$(find "$TOP" -maxdepth 3 -type d -name 'build-*')" ] && break; sleep 0.05; done
sql -d $DB -c "SELECT wasm.drop_module('dropped')" >/dev/null
wait_builders_done
expect "dropped during its build: stopped" 1 "$(logged_since "$from" "native build of module $DROPPED stopped")"
expect "dropped during its build: not built" 0 "$(logged_since "$from" "built module $DROPPED natively")"
[ ! -e "$CACHE/${DROPPED:0:24}" ] || { echo "FAIL: $CACHE/${DROPPED:0:24} stayed" >&2; exit 1; }
echo "ok: nothing of it stays"

# 5. A load that does not commit leaves no file, built in the session
# (wasm.engine = native): rolled back, rolled back to a savepoint, failed.
before=$(cache_files)
slow_module "$GUESTS/bounds_rolled.wat" 5
sql -d $DB -c "BEGIN" -c "SET LOCAL wasm.engine = native" \
  -c "SELECT wasm.load_module_file('rolled', '$GUESTS/bounds_rolled.wat') IS NOT NULL" \
  -c "ROLLBACK" >/dev/null
expect "rolled back: the cache as before" "$before" "$(cache_files)"
sql -d $DB -c "BEGIN" -c "SET LOCAL wasm.engine = native" -c "SAVEPOINT s" \
  -c "SELECT wasm.load_module_file('rolled', '$GUESTS/bounds_rolled.wat') IS NOT NULL" \
  -c "ROLLBACK TO s" -c "COMMIT" >/dev/null
expect "rolled back to a savepoint: the cache as before" "$before" "$(cache_files)"
# Its name is taken by other code: the load fails after its build.
sql -d $DB -c "SET wasm.engine = native" \
  -c "SELECT wasm.load_module_file('collatz', '$GUESTS/bounds_rolled.wat')" >/dev/null 2>&1 &&
  { echo "FAIL: a load under a taken name succeeded" >&2; exit 1; }
expect "failed load: the cache as before" "$before" "$(cache_files)"

# 6. A load's background build starts when the load commits, not before
# (a worker started earlier would find nothing, and no call asks again).
slow_module "$GUESTS/bounds_late.wat" 6
from=$(stat -c %s "$SERVER_LOG")
sql -d $DB -c "BEGIN" \
  -c "SELECT wasm.load_module_file('late', '$GUESTS/bounds_late.wat') IS NOT NULL" \
  -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null
LATE=$(sha_of late)
for _ in $(seq 1200); do
  [ "$(logged_since "$from" "built module $LATE natively")" = 1 ] && break
  sleep 0.1
done
expect "built after the load committed, uncalled" 1 "$(logged_since "$from" "built module $LATE natively")"

wait_builders_done
sql -d postgres -c "DROP DATABASE $DB"
rm -f "$GUESTS"/bounds_*.wat
check_server_log
echo "native_build_bounds: ok"
