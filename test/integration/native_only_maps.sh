#!/usr/bin/env bash
# V8 lives in pg_wasm_v8.so, loaded at the first call that needs it: a
# session that only runs modules on the native engine never maps it nor
# libnode; one that calls on V8 maps both, from that call on.
#   test/integration/native_only_maps.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_native_maps

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_wat('maps_math', '(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))');
CREATE FUNCTION maps_add(int4, int4) RETURNS int4 LANGUAGE wasm AS 'maps_math::add';
CREATE FUNCTION maps_div(int4, int4) RETURNS int4 LANGUAGE wasm AS 'maps_math::div';
SQL

# What this session's backend has mapped, by the end of the script on stdin:
# "<pg_wasm.so> <pg_wasm_v8.so> <libnode>", each 1 or 0.
MAPPED="SELECT concat_ws(' ', (m ~ '/pg_wasm\.so')::int, (m ~ '/pg_wasm_v8\.so')::int,
    (m ~ '/libnode\.so')::int) FROM pg_read_file('/proc/' || pg_backend_pid() || '/maps') m;"

# The first native session builds the module; the next ones load the build.
for session in first second; do
  out=$(PGOPTIONS="-c wasm.engine=native" sql -d $DB 2>/dev/null <<SQL
SELECT maps_add(1, 2);
\set ON_ERROR_STOP 0
SELECT maps_div(1, 0);
\set ON_ERROR_STOP 1
$MAPPED
SQL
  )
  expect "native, $session session: result" 3 "$(head -1 <<<"$out")"
  expect "native, $session session: pg_wasm.so but neither pg_wasm_v8.so nor libnode" \
    "1 0 0" "$(tail -1 <<<"$out")"
done

# auto (the default), once the module is built: natively from the first
# call, V8 never loaded.
out=$(PGOPTIONS="-c wasm.engine=auto" sql -d $DB <<SQL
SELECT maps_add(1, 2);
$MAPPED
SQL
)
expect "auto session, module built: result and maps" "3 1 0 0" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"

out=$(PGOPTIONS="-c wasm.engine=v8" sql -d $DB <<SQL
SELECT maps_add(1, 2);
$MAPPED
SQL
)
expect "V8 session: result" 3 "$(head -1 <<<"$out")"
expect "V8 session: pg_wasm_v8.so and libnode mapped" "1 1 1" "$(tail -1 <<<"$out")"

# Native first, then V8 in the same session: loaded at the switch.
out=$(PGOPTIONS="-c wasm.engine=native" sql -d $DB <<SQL
SELECT maps_add(1, 2);
$MAPPED
SET wasm.engine = v8;
SELECT maps_add(2, 3);
$MAPPED
SQL
)
expect "switching engines: results and maps" "3 1 0 0 5 1 1 1" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"

# A trap in V8 (in pg_wasm_v8.so) is the same error in pg_wasm.so.
err=$(PGOPTIONS="-c wasm.engine=v8" sql -d $DB -c "SELECT maps_div(1, 0)" 2>&1 || true)
expect "V8 trap caught as a trap" 1 "$(grep -c 'wasm trap in module "maps_math", export "div": divide by zero' <<<"$err")"

sql -d postgres -c "DROP DATABASE $DB"
check_server_log
