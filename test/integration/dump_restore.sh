#!/usr/bin/env bash
# pg_dump and pg_restore carry modules, the functions over them, the
# instances of the wasmer-postgres compatible API and objects that use Wasm
# functions; the restored database works at once. Both the custom format
# (pg_restore) and a plain SQL script.
#   test/integration/dump_restore.sh <build dir>
source "$(dirname "$0")/lib.sh"
SRC=pg_wasm_dump_src
DUMP="$CLUSTER/dump.custom"

for db in $SRC ${SRC}_custom ${SRC}_plain; do
  sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db"
done
sql -d postgres -c "CREATE DATABASE $SRC"
sql -d $SRC >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
SELECT wasm.load_module_file('numbers', '$GUESTS/numbers.wat');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SELECT count(*) FROM wasm.create_functions('numbers', 'num');
SELECT wasm_new_instance('$GUESTS/simple.wasm', 'ns');
-- pg_wasm's ABI: text, a set, an aggregate over Wasm functions.
SELECT wasm.load_module_file('text', '$GUESTS/text.wasm');
SELECT wasm.load_module_file('split', '$GUESTS/split.wasm');
SELECT wasm.load_module_file('hll', '$GUESTS/hll.wasm');
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
CREATE FUNCTION split(text, text) RETURNS SETOF text LANGUAGE wasm STRICT AS 'split';
CREATE FUNCTION hll_add(bytea, text) RETURNS bytea LANGUAGE wasm STRICT AS 'hll';
CREATE FUNCTION hll_count(bytea) RETURNS int8 LANGUAGE wasm STRICT AS 'hll';
CREATE AGGREGATE approx_count_distinct(text) (sfunc = hll_add, stype = bytea, initcond = '', finalfunc = hll_count);
CREATE TABLE t AS SELECT i FROM generate_series(1, 1000) i;
CREATE VIEW steps AS SELECT i, collatz_steps(i) AS s FROM t;
-- A deterministic guest may be declared IMMUTABLE, and indexed: pg_restore
-- builds the index, calling Wasm, after it has loaded wasm.modules.
CREATE FUNCTION collatz_immutable(int4) RETURNS int4 IMMUTABLE LANGUAGE wasm AS 'collatz::steps';
CREATE INDEX t_steps ON t (collatz_immutable(i));
SQL
expected=$(sql -d $SRC -c "SELECT sum(s) FROM steps")
shas=$(sql -d $SRC -c "SELECT string_agg(name || ':' || sha256, ',' ORDER BY name) FROM wasm.modules")

check() {
  local db=$1
  expect "$db: modules" "$shas" "$(sql -d "$db" -c "SELECT string_agg(name || ':' || sha256, ',' ORDER BY name) FROM wasm.modules")"
  expect "$db: view over a wasm function" "$expected" "$(sql -d "$db" -c 'SELECT sum(s) FROM steps')"
  expect "$db: index on a wasm function" "1" "$(sql -d "$db" -c 'SET enable_seqscan = off; SELECT count(*) FROM t WHERE collatz_immutable(i) = 111 AND i = 27')"
  expect "$db: created functions" "42" "$(sql -d "$db" -c 'SELECT num_add_i64(40, 2)')"
  expect "$db: wasmer-compatible instance" "ns:3" "$(sql -d "$db" -c "SELECT id || ':' || ns_sum(1, 2) FROM wasm.instances")"
  expect "$db: exported_functions" "2" "$(sql -d "$db" -c 'SELECT count(*) FROM wasm.exported_functions')"
  expect "$db: text function" "hello-world" "$(sql -d "$db" -c "SELECT slugify('Hello, World!')")"
  expect "$db: set-returning function" "a|b|c" "$(sql -d "$db" -c "SELECT string_agg(x, '|') FROM split('a,b,c', ',') x")"
  expect "$db: aggregate" "t" "$(sql -d "$db" -c 'SELECT abs(approx_count_distinct(i::text) - 1000) < 50 FROM t')"
}

"$PGBIN/pg_dump" -Fc -f "$DUMP" $SRC
sql -d postgres -c "CREATE DATABASE ${SRC}_custom"
"$PGBIN/pg_restore" --exit-on-error -d ${SRC}_custom "$DUMP"
check ${SRC}_custom

sql -d postgres -c "CREATE DATABASE ${SRC}_plain"
"$PGBIN/pg_dump" $SRC | sql -d ${SRC}_plain >/dev/null
check ${SRC}_plain

rm -f "$DUMP"
for db in $SRC ${SRC}_custom ${SRC}_plain; do sql -d postgres -c "DROP DATABASE $db"; done
echo "dump_restore: all ok"
