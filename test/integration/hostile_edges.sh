#!/usr/bin/env bash
# Hostile guests at the edges of pg_wasm's ABI, one small WAT module each:
# the reduced reproducers of what the random tests (random_modules.sh,
# hostile_guests.sh) and reading the ABI code found. Each case states what
# the documentation promises (docs/abi.md, README "Errors") and fails when
# the server crashes, raises an internal error (XX000) or answers otherwise.
#
#   test/integration/hostile_edges.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_edges
# A crash makes the server forget commits not yet flushed: flush each one,
# so that a crash in one case leaves the next one its module and functions.
export PGOPTIONS="-c synchronous_commit=on"
failures=0

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
sql -d $DB -c "CREATE EXTENSION wasm"

# check <name> <expected> <SQL>: runs the SQL in a session of its own and
# compares how it ended ("ok", the SQLSTATE of its error, or "crash") with
# the expected outcome, an extended regular expression ("42P13|ok").
check() {
  local name=$1 want=$2 out got
  out=$("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d $DB \
    -c '\set VERBOSITY verbose' -c "$3" 2>&1) && got=ok || got=$(
    if grep -q 'server closed the connection unexpectedly\|connection to server was lost' <<<"$out"; then
      echo crash
    else
      grep -o 'ERROR:  [0-9A-Z]\{5\}' <<<"$out" | tail -1 | cut -c9-
    fi
  )
  if grep -qxE "$want" <<<"$got"; then
    echo "ok: $name"
  else
    echo "FAIL: $name: expected $want, got ${got:-nothing}" >&2
    grep -v '^LOCATION' <<<"$out" | tail -4 | sed 's/^/    /' >&2
    failures=$((failures + 1))
    # After a crash the postmaster restarts every session: wait for it.
    if [ "$got" = crash ]; then
      for _ in $(seq 30); do "$PGBIN/pg_isready" -q && break; sleep 1; done
    fi
  fi
}

# A module whose allocator is fine, with pg_wasm_free as given.
free_module() {
  cat <<WAT
(module
  (memory (export "memory") 1)
  (global \$top (mut i32) (i32.const 1024))
  (func (export "pg_wasm_abi_v1"))
  (func (export "pg_wasm_alloc") (param \$n i32) (result i32)
    (global.get \$top)
    (global.set \$top (i32.add (global.get \$top) (local.get \$n))))
  $1
  (func (export "len") (param i32 i32) (result i32) (local.get 1)))
WAT
}

# 1. The host calls pg_wasm_free(old area) when the argument area must grow,
# but never checks the export's type. V8Instance::call then writes the
# export's results through the null `results` pointer (SIGSEGV), and reads
# as many parameters as the export has from the host's stack, past the one
# it was given (the guest sees host memory). A mistyped pg_wasm_free must be
# refused at CREATE FUNCTION, as a mistyped pg_wasm_alloc is, or not called.
sql -d $DB -c "SELECT wasm.load_module_wat('free_result', \$wat\$$(free_module \
  '(func (export "pg_wasm_free") (param i32) (result i32) (i32.const 0))')\$wat\$)" >/dev/null
check "a pg_wasm_free with a result is refused, not called" "42P13|ok" "
CREATE FUNCTION free_result_len(text) RETURNS int4 LANGUAGE wasm STRICT AS 'free_result::len';
SELECT free_result_len('short'), free_result_len(repeat('x', 300))"

# The extra parameters land in guest memory at 512, where leaked() reads them.
sql -d $DB -c "SELECT wasm.load_module_wat('free_params', \$wat\$$(free_module '
  (func (export "pg_wasm_free") (param i32 i64 i64)
    (i64.store (i32.const 512) (local.get 1))
    (i64.store (i32.const 520) (local.get 2)))
  (func (export "leaked") (result i64) (i64.const 0x0000001000000200))')\$wat\$)" >/dev/null
check "a pg_wasm_free with more parameters is refused, and sees no host memory" "42P13|ok" "
CREATE FUNCTION free_params_len(text) RETURNS int4 LANGUAGE wasm STRICT AS 'free_params::len';
CREATE FUNCTION free_params_leaked() RETURNS bytea LANGUAGE wasm STRICT AS 'free_params::leaked';
SELECT free_params_len('short'), free_params_len(repeat('x', 300));
DO \$\$
BEGIN
    IF free_params_leaked() <> '\\x00000000000000000000000000000000' THEN
        RAISE EXCEPTION 'the guest read host memory: %', free_params_leaked() USING ERRCODE = 'XX000';
    END IF;
END \$\$"

# 2. pg_wasm_free exported as a global: the call reaches the engine, which
# throws std::invalid_argument ("export 1 is not a function"): XX000.
sql -d $DB -c "SELECT wasm.load_module_wat('free_global', \$wat\$$(free_module \
  '(global (export "pg_wasm_free") i32 (i32.const 7))')\$wat\$)" >/dev/null
check "a pg_wasm_free that is not a function is refused, not called" "42P13|ok" "
CREATE FUNCTION free_global_len(text) RETURNS int4 LANGUAGE wasm STRICT AS 'free_global::len';
SELECT free_global_len('short'), free_global_len(repeat('x', 300))"

# A module returning n zero bytes at the end of a memory grown to hold them.
sql -d $DB >/dev/null <<'SQL'
SELECT wasm.load_module_wat('zeros', $$(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  (func (export "zeros") (param $n i32) (result i64)
    (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1)))
                (i32.const -1))
      (then unreachable))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 32)) (i64.const 65536))))$$);
CREATE FUNCTION zeros_bool(int4) RETURNS bool[] LANGUAGE wasm AS 'zeros::zeros';
CREATE FUNCTION zeros_int2(int4) RETURNS int2[] LANGUAGE wasm AS 'zeros::zeros';
CREATE FUNCTION zeros_bytea(int4) RETURNS bytea LANGUAGE wasm AS 'zeros::zeros';
SQL

# 3. An array result of 150 MB of bool (under wasm.max_memory's default):
# array_from_bytes pallocs a Datum per element, 1.2 GB, over MaxAllocSize,
# and palloc's "invalid memory alloc request size" is XX000. Such a result
# must be refused as too large (54000), like a result over 1 GB.
check "a bool[] result of 150 MB is refused as too large" 54000 \
  "SELECT cardinality(zeros_bool(150000000))"
check "an int2[] result of 300 MB is refused as too large" 54000 \
  "SELECT cardinality(zeros_int2(300000000))"

# 4. A byte-string result of exactly 1 GB - 1 bytes (MaxAllocSize) passes the
# host's "at most 1 GB" check, then palloc(VARHDRSZ + len) fails: XX000.
# Reachable when a superuser allows more than 1 GB of linear memory.
check "a bytea result of MaxAllocSize bytes is refused as too large" 54000 \
  "SET wasm.max_memory = '2GB'; SELECT length(zeros_bytea(1073741823))"

# 5. Dates and timestamps from MessagePack are range-checked only as 32 and
# 64-bit integers: PostgreSQL then holds values its own input refuses (a
# table of them cannot be dumped and restored). The same values as direct
# results are refused with 22008, and so must these be.
sql -d $DB >/dev/null <<'SQL'
SELECT wasm.load_module_wat('far_dates', $$(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  ;; [day 2147483000] and [microsecond 0x7ffffffffffffff0], as MessagePack sets
  (data (i32.const 16) "\91\ce\7f\ff\fe\78")
  (data (i32.const 32) "\91\d3\7f\ff\ff\ff\ff\ff\ff\f0")
  (func (export "dates") (result i64) (i64.const 0x0000000600000010))
  (func (export "stamps") (result i64) (i64.const 0x0000000a00000020))
  (func (export "direct_date") (result i32) (i32.const 2147483000)))$$);
CREATE FUNCTION far_dates() RETURNS SETOF date LANGUAGE wasm AS 'far_dates::dates';
CREATE FUNCTION far_stamps() RETURNS SETOF timestamp LANGUAGE wasm AS 'far_dates::stamps';
CREATE FUNCTION far_direct_date() RETURNS date LANGUAGE wasm AS 'far_dates::direct_date';
SQL
check "a date out of range as a direct result is refused" 22008 "SELECT far_direct_date()"
check "a date out of range in MessagePack is refused" 22008 "SELECT d::text FROM far_dates() d"
check "a timestamp out of range in MessagePack is refused" 22008 "SELECT t::text FROM far_stamps() t"

# 6. pg_wasm.error's message is taken as is: bytes that are not UTF-8 make an
# error message that is not valid text in the database (the WASI streams
# clean theirs). The message must be valid (cleaned, or refused with 22021).
RAW_ERROR=$(cat <<'WAT'
(module
  (import "pg_wasm" "error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "bad \ff\fe byte")
  (data (i32.const 32) "caf\c3\a9")
  (func (export "bad_bytes") (call $error (i32.const 16) (i32.const 11)))
  (func (export "utf8") (call $error (i32.const 32) (i32.const 5))))
WAT
)
raw_error_setup() {
  sql -d "$1" >/dev/null <<SQL
SELECT wasm.load_module_wat('raw_error', \$wat\$$RAW_ERROR\$wat\$);
CREATE FUNCTION raw_error_bad_bytes() RETURNS void LANGUAGE wasm AS 'raw_error::bad_bytes';
CREATE FUNCTION raw_error_utf8() RETURNS void LANGUAGE wasm AS 'raw_error::utf8';
CREATE FUNCTION message_of(call text) RETURNS text LANGUAGE plpgsql AS \$f\$
BEGIN
    EXECUTE call;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END \$f\$;
SQL
}
raw_error_setup $DB
check "a guest's error message is valid text in the database" ok \
  "SELECT convert_to(message_of('SELECT raw_error_bad_bytes()'), 'UTF8')"

# 7. In a LATIN1 database the guest's UTF-8 message must arrive converted:
# c3 a9 must read 'é' (LATIN1 e9), not 'Ã©'.
sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${DB}_latin1" \
  -c "CREATE DATABASE ${DB}_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
sql -d ${DB}_latin1 -c "CREATE EXTENSION wasm"
raw_error_setup ${DB}_latin1
# (The client speaks UTF-8, so that 'café' below reaches the server as such.)
PGCLIENTENCODING=UTF8 DB=${DB}_latin1 check "a guest's UTF-8 error message is converted to a LATIN1 database" ok "
DO \$\$
DECLARE m text := message_of('SELECT raw_error_utf8()');
BEGIN
    IF m IS DISTINCT FROM 'café' THEN
        RAISE EXCEPTION 'the message reads %', m;
    END IF;
END \$\$"

# 8. A MessagePack set declaring 2^31 - 1 rows in 7 bytes: the MessagePack
# library once allocated them up front (51 GB) and failed with an "out of
# memory in pg_wasm" naming nobody. The count cannot fit the bytes that
# follow: invalid MessagePack (22P03), and the message must say who.
sql -d $DB >/dev/null <<'SQL'
SELECT wasm.load_module_wat('huge_set', $$(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  (data (i32.const 16) "\dd\7f\ff\ff\ff\01\02")
  (func (export "rows") (result i64) (i64.const 0x0000000700000010)))$$);
CREATE FUNCTION huge_set() RETURNS SETOF int4 LANGUAGE wasm AS 'huge_set::rows';
SQL
check "a MessagePack set declaring 2^31 rows is refused, naming the module" 22P03 "
DO \$\$
BEGIN
    PERFORM huge_set();
EXCEPTION WHEN invalid_binary_representation THEN
    IF SQLERRM NOT LIKE '%\"huge_set\"%' THEN
        RAISE EXCEPTION 'the message does not name the module: %', SQLERRM
            USING ERRCODE = 'XX000';
    END IF;
    RAISE;
END \$\$"

if [ $failures -ne 0 ]; then
  echo "hostile_edges: $failures case(s) failed" >&2
  exit 1
fi
sql -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_latin1"
echo "hostile_edges: all ok"
