#!/usr/bin/env bash
# The native engine's builds in background workers (wasm.engine = auto):
# sessions that use a module at once get it built once and all switch to
# it; a module replaced or dropped while its build is in flight; a damaged
# build in the cache is found and made again; the builds of dropped modules
# are removed.
#   test/integration/native_builds.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_native_builds
# The database's wasm.engine = auto must hold (a client's setting would win).
unset PGOPTIONS

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "CREATE DATABASE $DB"
sql -d $DB -c "CREATE EXTENSION wasm" \
  -c "ALTER DATABASE $DB SET wasm.engine = auto" >/dev/null
DATA=$(sql -d postgres -c "SHOW data_directory")
CACHE="$DATA/pg_wasm_native/$(sql -d postgres -c "SELECT oid FROM pg_database WHERE datname = '$DB'")"

# Loaded with V8 pinned: loading under auto would ask for the build itself.
load() { # <name> <file>
  sql -d $DB -c "SET wasm.engine = v8" \
    -c "SELECT wasm.load_module_file('$1', '$2', replace => true)" >/dev/null
}
sha_of() { sql -d $DB -c "SELECT sha256 FROM wasm.modules WHERE name = '$1'"; }
# Until the session's calls of the module run natively (2 minutes at most).
wait_native() { # <module> [sql to run after]
  sql -d $DB -c "DO \$\$ BEGIN FOR i IN 1..1200 LOOP
                   EXIT WHEN wasm.module_engine('$1') = 'native'; PERFORM pg_sleep(0.1);
                 END LOOP; END \$\$" -c "SELECT wasm.module_engine('$1')${2:+, $2}"
}
builders() {
  sql -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_wasm native build'"
}
wait_builders_done() {
  for _ in $(seq 1200); do [ "$(builders)" = 0 ] && return; sleep 0.1; done
  echo "FAIL: a build worker did not finish" >&2
  exit 1
}
builds_logged() { # <sha>: "built" lines since this script started
  tail -c +"$((SERVER_LOG_FROM + 1))" "$SERVER_LOG" | grep -c "built module $1 natively" || true
}
# A module whose build takes seconds: many functions for the C compiler.
big_module() { # <file> <result>
  python3 - "$1" "$2" <<'PY'
import sys
path, result = sys.argv[1], int(sys.argv[2])
funcs = []
for i in range(3000):
    funcs.append(f'(func $f{i} (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {i + 3})) (i32.const {i})))')
body = ''.join(f'(drop (call $f{i} (local.get 0)))' for i in range(3000))
funcs.append(f'(func (export "answer") (param i32) (result i32) {body} (i32.const {result}))')
open(path, 'w').write('(module ' + '\n'.join(funcs) + ')')
PY
}

# Concurrent first use: four sessions call a module no session has built;
# one worker builds it, and every session runs natively once it is there.
load collatz "$GUESTS/collatz.wasm"
sql -d $DB -c "CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps'"
SHA=$(sha_of collatz)
pids=()
for i in 1 2 3 4; do
  (sql -d $DB -c "SELECT collatz_steps(27)" >/dev/null &&
     wait_native collatz "collatz_steps(27)" >"$BUILD/native_builds.$i") &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for i in 1 2 3 4; do
  expect "session $i runs natively" "native|111" "$(cat "$BUILD/native_builds.$i")"
done
wait_builders_done
expect "built once" 1 "$(builds_logged "$SHA")"
[ -n "$(find "$CACHE/${SHA:0:24}" -name 'mem-*.so')" ] || { echo "FAIL: no build in $CACHE/${SHA:0:24}" >&2; exit 1; }
echo "ok: the build is in the database's cache"

# A damaged build (cut short, as a torn write would leave it) is found
# before it is loaded, and built again.
SO=$(find "$CACHE/${SHA:0:24}" -name 'mem-*.so')
truncate -s $(($(stat -c %s "$SO") / 2)) "$SO"
expect "damaged build: the call still works" 111 "$(sql -d $DB -c "SELECT collatz_steps(27)")"
expect "damaged build: built again" "native|111" "$(wait_native collatz "collatz_steps(27)")"
wait_builders_done
expect "built twice in all" 2 "$(builds_logged "$SHA")"

# Replaced while its build is in flight: calls run the new code at once (on
# V8), then natively; the old code's build is removed when it finishes.
big_module "$GUESTS/big_old.wat" 1
big_module "$GUESTS/big_new.wat" 2
load big "$GUESTS/big_old.wat"
sql -d $DB -c "CREATE FUNCTION big_answer(int4) RETURNS int4 LANGUAGE wasm AS 'big::answer'"
OLD=$(sha_of big)
expect "old code" 1 "$(sql -d $DB -c "SELECT big_answer(5)")"
for _ in $(seq 300); do [ "$(builders)" != 0 ] && break; sleep 0.1; done
expect "a build is in flight" 1 "$(builders)"
load big "$GUESTS/big_new.wat"
NEW=$(sha_of big)
expect "new code at once" 2 "$(sql -d $DB -c "SELECT big_answer(5)")"
expect "new code natively" "native|2" "$(wait_native big "big_answer(5)")"
wait_builders_done
[ ! -e "$CACHE/${OLD:0:24}" ] || { echo "FAIL: the replaced code's build is still in $CACHE/${OLD:0:24}" >&2; exit 1; }
echo "ok: the replaced code's build is gone"

# Dropped: its build goes when the drop commits, unless another module
# has the same code.
sql -d $DB -c "SET wasm.engine = v8" \
  -c "SELECT wasm.load_module(name || '_twin', code) IS NOT NULL FROM wasm.modules WHERE name = 'collatz'" >/dev/null
sql -d $DB -c "SELECT wasm.drop_module('collatz_twin')" >/dev/null
[ -e "$CACHE/${SHA:0:24}" ] || { echo "FAIL: dropping a twin removed collatz's build" >&2; exit 1; }
echo "ok: a build another module's code still needs stays"
sql -d $DB -c "SELECT wasm.drop_module('big', cascade => true)" >/dev/null 2>&1
[ ! -e "$CACHE/${NEW:0:24}" ] || { echo "FAIL: the dropped module's build is still in $CACHE/${NEW:0:24}" >&2; exit 1; }
echo "ok: a dropped module's build is removed"

# Dropped while its build is in flight: nothing of it stays.
big_module "$GUESTS/big_third.wat" 3
load big3 "$GUESTS/big_third.wat"
THIRD=$(sha_of big3)
sql -d $DB -c "CREATE FUNCTION big3_answer(int4) RETURNS int4 LANGUAGE wasm AS 'big3::answer'" \
  -c "SELECT big3_answer(1)" >/dev/null
for _ in $(seq 300); do [ "$(builders)" != 0 ] && break; sleep 0.1; done
expect "a build is in flight" 1 "$(builders)"
sql -d $DB -c "SELECT wasm.drop_module('big3', cascade => true)" >/dev/null 2>&1
wait_builders_done
[ ! -e "$CACHE/${THIRD:0:24}" ] || { echo "FAIL: the dropped module's build is still in $CACHE/${THIRD:0:24}" >&2; exit 1; }
echo "ok: a module dropped during its build leaves nothing"

sql -d postgres -c "DROP DATABASE $DB"
rm -f "$BUILD"/native_builds.[1-4] "$GUESTS"/big_*.wat
check_server_log
echo "native_builds: ok"
