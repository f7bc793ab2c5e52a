#!/usr/bin/env bash
# A wasm foreign data wrapper whose server reads its package from a URL
# survives pg_dump and restore without the package file: the package is in
# wasm.modules as data, and the validator reads nothing while
# check_function_bodies is off (as pg_dump's scripts set it). Also: package
# checksums (a mismatch names both sums; sha256: prefix), file:// and the
# load right for non-superusers, and user-mapping secrets never in the
# server log.
#   test/integration/fdw_dump_restore.sh <build dir>
source "$(dirname "$0")/lib.sh"
SRC=pg_wasm_fdw_dump_src
DUMP="$CLUSTER/fdw_dump.custom"
ROLE=regress_wasm_fdw_nobody
SECRET=sk-integration-7f3a9c1e

# The package at a file:// URL the server can read, and its checksum.
PKG_DIR="$CLUSTER/fdw_package"
rm -rf "$PKG_DIR"
mkdir -p "$PKG_DIR"
cp "$BUILD/guests/compute_fdw.wasm" "$PKG_DIR/compute_fdw.wasm"
cp "$BUILD/guests/compute_fdw.wasm" "$PKG_DIR/compute_fdw_other.wasm"
chmod -R a+rX "$PKG_DIR"
PKG="$PKG_DIR/compute_fdw.wasm"
SUM=$(sha256sum "$PKG" | cut -d' ' -f1)
WRONG=$(printf '%064d' 0)

cleanup() {
  for db in $SRC ${SRC}_custom ${SRC}_plain; do
    sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db"
  done
  sql -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $ROLE"
}
cleanup
sql -d postgres -c "CREATE DATABASE $SRC"
sql -d $SRC >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
CREATE SERVER compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.1.0', fdw_package_checksum '$SUM');
CREATE FOREIGN TABLE numbers (n int8, square int8, label text, even bool)
    SERVER compute OPTIONS (count '25');
CREATE SCHEMA other;
CREATE FOREIGN TABLE other.few (n int8, label text) SERVER compute OPTIONS (count '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER compute OPTIONS (api_key '$SECRET');
SQL
expected=$(sql -d $SRC -c "SELECT string_agg(concat_ws(':', n, square, label, even), ',' ORDER BY n) FROM numbers")
expected_few=$(sql -d $SRC -c "SELECT string_agg(n || ':' || label, ',' ORDER BY n) FROM other.few")
expect "source: 25 rows" "25" "$(sql -d $SRC -c 'SELECT count(*) FROM numbers')"
expect "source: the package is stored" "pkg_pg_wasm_compute__0_1_0:$SUM" \
  "$(sql -d $SRC -c "SELECT name || ':' || sha256 FROM wasm.modules")"

# The package file goes: a restore must not need it.
"$PGBIN/pg_dump" -Fc -f "$DUMP" $SRC
PLAIN=$("$PGBIN/pg_dump" $SRC)
mv "$PKG" "$PKG.gone"

check() {
  local db=$1
  expect "$db: rows" "$expected" \
    "$(sql -d "$db" -c "SELECT string_agg(concat_ws(':', n, square, label, even), ',' ORDER BY n) FROM numbers")"
  expect "$db: another table" "$expected_few" \
    "$(sql -d "$db" -c "SELECT string_agg(n || ':' || label, ',' ORDER BY n) FROM other.few")"
  expect "$db: pushdown" "1:1,2:4" \
    "$(sql -d "$db" -c "SELECT string_agg(n || ':' || square, ',' ORDER BY n) FROM numbers WHERE n < 3")"
  expect "$db: server options" "fdw_package_checksum=$SUM,fdw_package_name=pg-wasm:compute,fdw_package_url=file://$PKG,fdw_package_version=0.1.0" \
    "$(sql -d "$db" -c "SELECT string_agg(o, ',' ORDER BY o) FROM pg_foreign_server, unnest(srvoptions) o WHERE srvname = 'compute'")"
  expect "$db: user mapping" "1" \
    "$(sql -d "$db" -c "SELECT count(*) FROM pg_user_mappings WHERE srvname = 'compute'")"
}

sql -d postgres -c "CREATE DATABASE ${SRC}_custom"
"$PGBIN/pg_restore" --exit-on-error -d ${SRC}_custom "$DUMP"
check ${SRC}_custom
sql -d postgres -c "CREATE DATABASE ${SRC}_plain"
echo "$PLAIN" | sql -d ${SRC}_plain >/dev/null
check ${SRC}_plain

# Without the file, a server of a package not stored yet cannot be made
# (the restore above read nothing).
err=$(sql -d ${SRC}_plain -c "CREATE SERVER again FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.1.1', fdw_package_checksum '$SUM')" 2>&1 || true)
case "$err" in
  *"could not open"*|*"No such file"*) echo "ok: a missing package file is an error" ;;
  *) echo "FAIL: a missing package file: $err" >&2; exit 1 ;;
esac
mv "$PKG.gone" "$PKG"

# sqlstate_of <db> <statement>: the SQLSTATE it fails with, or 00000.
sqlstate_of() {
  sql -d "$1" -v "stmt=$2" 2>/dev/null <<'SQL'
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
:stmt;
\echo :LAST_ERROR_SQLSTATE
SQL
}

# A wrong checksum: 22023, naming both sums.
err=$(sql -d $SRC -c "CREATE SERVER wrong FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG_DIR/compute_fdw_other.wasm', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.2.0', fdw_package_checksum '$WRONG')" 2>&1 || true)
case "$err" in
  *"does not match its checksum"*"$WRONG"*"$SUM"*) echo "ok: a wrong checksum names both sums" ;;
  *) echo "FAIL: a wrong checksum: $err" >&2; exit 1 ;;
esac
expect "a wrong checksum's SQLSTATE" "22023" "$(sqlstate_of $SRC "CREATE SERVER wrong FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG_DIR/compute_fdw_other.wasm', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.2.0', fdw_package_checksum '$WRONG')" | tail -1)"
expect "nothing stored for a wrong checksum" "0" \
  "$(sql -d $SRC -c "SELECT count(*) FROM wasm.modules WHERE name LIKE '%0_2_0'")"

# A sha256:-prefixed (and upper-case) checksum is the same checksum.
UPPER=$(echo "$SUM" | tr a-f A-F)
sql -d $SRC -c "CREATE SERVER prefixed FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG_DIR/compute_fdw_other.wasm', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.3.0', fdw_package_checksum 'sha256:$UPPER')" \
  -c "CREATE FOREIGN TABLE prefixed_numbers (n int8) SERVER prefixed OPTIONS (count '4')"
expect "a sha256: checksum" "10" "$(sql -d $SRC -c 'SELECT sum(n) FROM prefixed_numbers')"

# A role with USAGE on the wrapper cannot have a package read from a file
# (42501) without pg_read_server_files, nor store one without the right to
# load modules (EXECUTE on wasm.load_module): it needs both.
sql -d $SRC -c "CREATE ROLE $ROLE LOGIN" -c "GRANT USAGE ON FOREIGN DATA WRAPPER wasm_wrapper TO $ROLE" \
  -c "GRANT CREATE ON DATABASE $SRC TO $ROLE"
create_mine="SET ROLE $ROLE; CREATE SERVER mine FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file://$PKG_DIR/compute_fdw_other.wasm', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.4.0', fdw_package_checksum '$SUM')"
expect "file:// for a non-superuser" "42501" "$(sqlstate_of $SRC "$create_mine" | tail -1)"
sql -d $SRC -c "GRANT pg_read_server_files TO $ROLE"
expect "file:// with pg_read_server_files, without the load right" "42501" \
  "$(sqlstate_of $SRC "$create_mine" | tail -1)"
expect "nothing stored for the non-superuser" "0" \
  "$(sql -d $SRC -c "SELECT count(*) FROM wasm.modules WHERE name LIKE '%0_4_0'")"
sql -d $SRC -c "GRANT EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean) TO $ROLE"
expect "file:// with pg_read_server_files and the load right" "00000" \
  "$(sqlstate_of $SRC "$create_mine" | tail -1)"
expect "stored, owned by the role" "$ROLE" \
  "$(sql -d $SRC -c "SELECT owner FROM wasm.modules WHERE name LIKE '%0_4_0'")"

# The user mapping's secret, in a guest's error, a cell it returns and a
# message it logs, shows as *** to the client and never reaches the server
# log (test/guests/fdw_hostile.c).
sql -d $SRC >/dev/null <<SQL
SET client_min_messages = warning;
SELECT wasm.load_module_file('fdw_hostile', '$GUESTS/fdw_hostile.wasm');
CREATE SERVER hostile FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_hostile');
CREATE USER MAPPING FOR CURRENT_USER SERVER hostile OPTIONS (api_key '$SECRET');
CREATE FOREIGN TABLE h_secret (n int4) SERVER hostile OPTIONS (mode 'secret');
CREATE FOREIGN TABLE h_secret_cell (n int4) SERVER hostile OPTIONS (mode 'secret_cell');
CREATE FOREIGN TABLE h_secret_log (n int4) SERVER hostile OPTIONS (mode 'secret_log');
SQL
client=$(for t in h_secret h_secret_cell h_secret_log; do
  sql -d $SRC -c "SELECT * FROM $t" 2>&1 || true
done)
case "$client" in
  *"$SECRET"*) echo "FAIL: the secret reached the client: $client" >&2; exit 1 ;;
  *'***'*) echo "ok: the secret shows as *** to the client" ;;
  *) echo "FAIL: no scrubbed message: $client" >&2; exit 1 ;;
esac
if tail -c +"$((SERVER_LOG_FROM + 1))" "$SERVER_LOG" | grep -F -- "$SECRET" >&2; then
  echo "FAIL: the user mapping's secret is in the server log" >&2
  exit 1
fi
echo "ok: the secret is not in the server log"

rm -f "$DUMP"
rm -rf "$PKG_DIR"
cleanup
echo "fdw_dump_restore: all ok"
