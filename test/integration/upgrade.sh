#!/usr/bin/env bash
# ALTER EXTENSION wasm UPDATE from every earlier version: the modules, their
# owners and the functions over them come through, and work at once.
#   test/integration/upgrade.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_upgrade

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "DROP ROLE IF EXISTS regress_upgrade_kept" -c "DROP ROLE IF EXISTS regress_upgrade_gone"
sql -d postgres -c "CREATE DATABASE $DB" -c "CREATE ROLE regress_upgrade_kept" \
  -c "CREATE ROLE regress_upgrade_gone"

# 0.1.0: owners were role names.
sql -d $DB >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm VERSION '0.1.0';
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
SELECT wasm.load_module_file('text', '$GUESTS/text.wasm');
SELECT wasm.load_module_file('numbers', '$GUESTS/numbers.wat');
UPDATE wasm.modules SET owner = 'regress_upgrade_kept' WHERE name = 'text';
UPDATE wasm.modules SET owner = 'regress_upgrade_gone' WHERE name = 'numbers';
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
SQL
expect "installed version" "0.1.0" "$(sql -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'wasm'")"
sql -d postgres -c "DROP ROLE regress_upgrade_gone"

sql -d $DB -c "ALTER EXTENSION wasm UPDATE"
expect "updated version" "0.5.0" "$(sql -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'wasm'")"
expect "owner column type" "regrole" \
  "$(sql -d $DB -c "SELECT atttypid::regtype FROM pg_attribute WHERE attrelid = 'wasm.modules'::regclass AND attname = 'owner'")"
expect "owners" "collatz:postgres,numbers:-,text:regress_upgrade_kept" \
  "$(sql -d $DB -c "SELECT string_agg(name || ':' || CASE WHEN owner = 0 THEN '-' ELSE owner::text END, ',' ORDER BY name) FROM wasm.modules")"
expect "functions still work" "111|hello-world" \
  "$(sql -d $DB -c "SELECT collatz_steps(27), slugify('Hello, World')")"
expect "new functions" "1" "$(sql -d $DB -c "SELECT wasm.reset_session()" -c "SELECT collatz_steps(2)" | tail -1)"
# A new role of the dropped one's name (under 0.1.0 it owned the module)
# does not own it.
sql -d postgres -c "CREATE ROLE regress_upgrade_gone"
expect "a namesake cannot replace" "42501" \
  "$(sql -d $DB -c "SET ROLE regress_upgrade_gone" -c "DO \$\$ BEGIN PERFORM wasm.drop_module('numbers'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | sed -n 's/.*NOTICE:  //p')"
expect "new modules get a role as owner" "regress_upgrade_kept" \
  "$(sql -d $DB -c "GRANT EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean) TO regress_upgrade_kept" \
        -c "SET ROLE regress_upgrade_kept" \
        -c "SELECT wasm.load_module('again', code) IS NOT NULL FROM wasm.modules WHERE name = 'collatz'" >/dev/null;
     sql -d $DB -c "SELECT owner FROM wasm.modules WHERE name = 'again'")"

sql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE regress_upgrade_kept" -c "DROP ROLE regress_upgrade_gone"

# 0.2.0 -> 0.3.0: the FDW's handler, validator, event trigger and statistics
# arrive, and a foreign table over a module loaded under 0.2.0 works.
sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "DROP DATABASE IF EXISTS ${DB}_fresh"
sql -d postgres -c "CREATE DATABASE $DB" -c "CREATE DATABASE ${DB}_fresh"
sql -d $DB >/dev/null <<SQL
CREATE EXTENSION wasm VERSION '0.2.0';
SELECT wasm.load_module_file('compute_fdw', '$GUESTS/compute_fdw.wasm');
SQL
sql -d $DB -c "ALTER EXTENSION wasm UPDATE"
expect "updated to" "0.5.0" "$(sql -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'wasm'")"
expect "a foreign table after the update" "55" "$(sql -d $DB >/dev/null -c "
  CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
  CREATE SERVER compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw');
  CREATE FOREIGN TABLE nums (n int8) SERVER compute OPTIONS (count '10');"
  sql -d $DB -c "SELECT sum(n) FROM nums")"
# The updated extension has exactly the objects of a fresh install.
sql -d ${DB}_fresh -c "CREATE EXTENSION wasm" >/dev/null
members() {
  sql -d "$1" -c "SELECT string_agg(pg_describe_object(classid, objid, objsubid), ' | '
                                  ORDER BY pg_describe_object(classid, objid, objsubid))
                  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
                  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'wasm')"
}
expect "updated and fresh extensions alike" "$(members ${DB}_fresh)" "$(members $DB)"
sql -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_fresh"
# 0.3.0 -> 0.4.0: wasm.module_engine() arrives, and functions over a module
# loaded under 0.3.0 run on the engine wasm.engine picks.
sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "DROP DATABASE IF EXISTS ${DB}_fresh"
sql -d postgres -c "CREATE DATABASE $DB" -c "CREATE DATABASE ${DB}_fresh"
sql -d $DB >/dev/null <<SQL
CREATE EXTENSION wasm VERSION '0.3.0';
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SQL
sql -d $DB -c "ALTER EXTENSION wasm UPDATE"
expect "0.3.0 updated to" "0.5.0" "$(sql -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'wasm'")"
expect "after the update, on V8" "111|v8" \
  "$(sql -d $DB -c "SET wasm.engine = v8" -c "SELECT collatz_steps(27), wasm.module_engine('collatz')")"
expect "after the update, natively" "111|native" \
  "$(sql -d $DB -c "SET wasm.engine = native" -c "SELECT collatz_steps(27), wasm.module_engine('collatz')")"
sql -d ${DB}_fresh -c "CREATE EXTENSION wasm" >/dev/null
expect "updated from 0.3.0 and fresh alike" "$(members ${DB}_fresh)" "$(members $DB)"
sql -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_fresh"
# 0.4.0 -> 0.5.0: the shared cache can be inspected, the native build's
# state is shown, and code loaded from now on is compressed with lz4 (code
# loaded before stays pglz and works).
sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "DROP DATABASE IF EXISTS ${DB}_fresh"
sql -d postgres -c "CREATE DATABASE $DB" -c "CREATE DATABASE ${DB}_fresh"
sql -d $DB >/dev/null <<SQL
CREATE EXTENSION wasm VERSION '0.4.0';
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SQL
sql -d $DB -c "ALTER EXTENSION wasm UPDATE"
expect "0.4.0 updated to" "0.5.0" "$(sql -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'wasm'")"
expect "code loaded under 0.4.0 runs, its facts cached" "111|t" \
  "$(sql -d $DB -c "SET wasm.engine = v8" -c "SELECT collatz_steps(27), bool_and(intact) FROM wasm.module_cache('collatz')")"
expect "code loaded after the update is lz4" "lz4" \
  "$(sql -d $DB -c "SELECT wasm.load_module_file('rust_text', '$GUESTS/rust_text.wasm') IS NOT NULL" >/dev/null;
     sql -d $DB -c "SELECT pg_column_compression(code) FROM wasm.modules WHERE name = 'rust_text'")"
sql -d ${DB}_fresh -c "CREATE EXTENSION wasm" >/dev/null
expect "updated from 0.4.0 and fresh alike" "$(members ${DB}_fresh)" "$(members $DB)"
expect "updated from 0.4.0 and fresh alike: lz4" \
  "$(sql -d ${DB}_fresh -c "SELECT attcompression FROM pg_attribute WHERE attrelid = 'wasm.modules'::regclass AND attname = 'code'")" \
  "$(sql -d $DB -c "SELECT attcompression FROM pg_attribute WHERE attrelid = 'wasm.modules'::regclass AND attname = 'code'")"
sql -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_fresh"
echo "upgrade: ok"
