--
-- A hostile foreign data wrapper (test/guests/fdw_hostile.c): each way it
-- misbehaves is an ordinary ERROR with its SQLSTATE (docs/fdw.md, Errors),
-- and the session goes on: after each error, :still_ok scans a good table.
--
\getenv guests PG_WASM_GUESTS
\getenv api_port PG_WASM_API_PORT
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
SELECT wasm.load_module('fdw_hostile', guest('fdw_hostile.wasm')) IS NOT NULL AS loaded;
CREATE SERVER hostile FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_hostile');
CREATE USER MAPPING FOR CURRENT_USER SERVER hostile OPTIONS (api_key 'sk-hostile-4242');
CREATE FOREIGN TABLE h_ok (n int4, s text) SERVER hostile OPTIONS (mode 'ok');
DO $$
DECLARE m text;
BEGIN
    FOREACH m IN ARRAY ARRAY['too_few', 'too_many', 'bad_pointer', 'bad_length', 'bad_msgpack',
        'huge_count', 'trap_mid', 'loop', 'grow', 'json_rows_outside', 'take_nothing', 'sleep',
        'secret', 'secret_log', 'http_denied', 'plan_exact_range',
        'plan_negative', 'plan_trap']
    LOOP
        EXECUTE format('CREATE FOREIGN TABLE %I (n int4, s text) SERVER hostile OPTIONS (mode %L)',
                       'h_' || m, m);
    END LOOP;
END $$;
\set still_ok 'SELECT string_agg(n || \':\' || s, \', \') AS still_ok FROM h_ok;'
:still_ok
\set SHOW_CONTEXT never

-- The error a statement fails with (error_detail_of), numbers of bytes and
-- code offsets shown as N (they depend on how the guest was compiled).
CREATE FUNCTION hostile_error(statement text, wasm_stack boolean DEFAULT false)
RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace(error_detail_of(statement, wasm_stack),
                                         '[0-9]+ bytes', 'N bytes', 'g'),
                          'byte offset [0-9]+', 'byte offset N', 'g')
$$;

-- Rows with the wrong number of cells (HV008).
SELECT * FROM h_too_few;
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT * FROM h_too_many;
\echo :LAST_ERROR_SQLSTATE
:still_ok

-- Cells fitted to their columns as an assignment would (HV004): 'abc' is
-- no integer, 'abcdef' too long for varchar(3).
CREATE FOREIGN TABLE h_bad_int (n int4) SERVER hostile OPTIONS (mode 'bad_int');
\set VERBOSITY sqlstate
SELECT * FROM h_bad_int;
\set VERBOSITY default
:still_ok
CREATE FOREIGN TABLE h_long_text (v varchar(3)) SERVER hostile OPTIONS (mode 'long_text');
SELECT * FROM h_long_text;
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- numeric(4,1) rounds; one too large is refused.
CREATE FOREIGN TABLE h_numeric (d numeric(4,1)) SERVER hostile OPTIONS (mode 'numeric');
SELECT * FROM h_numeric;
CREATE FOREIGN TABLE h_numeric_small (d numeric(3,1)) SERVER hostile OPTIONS (mode 'numeric');
SELECT * FROM h_numeric_small;
\echo :LAST_ERROR_SQLSTATE
:still_ok

-- Results outside the guest's memory (HV000).
SELECT hostile_error('SELECT * FROM h_bad_pointer');
SELECT hostile_error('SELECT * FROM h_bad_length');
:still_ok

-- Invalid MessagePack, and a batch that claims 2^32-1 rows (HV004).
SELECT * FROM h_bad_msgpack;
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT * FROM h_huge_count;
\echo :LAST_ERROR_SQLSTATE
:still_ok

-- A trap after some rows: the rows already fetched stay fetched (HV000).
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM h_trap_mid;
FETCH 2 FROM c;
\set VERBOSITY terse
FETCH ALL FROM c;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT hostile_error('SELECT * FROM h_trap_mid');
-- On V8 the DETAIL begins with the guest's Wasm stack (the native engine
-- gives none).
SET wasm.engine = v8;
SELECT hostile_error('SELECT * FROM h_trap_mid', wasm_stack => true);
RESET wasm.engine;
:still_ok

-- A guest that never returns: statement_timeout (57014) and wasm.max_fuel
-- end it (54000, as for any wasm call; docs/fdw.md's Errors say HV000).
SET statement_timeout = '200ms';
SELECT * FROM h_loop;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
:still_ok
SET wasm.max_fuel = 10000000;
SELECT * FROM h_loop;
\echo :LAST_ERROR_SQLSTATE
RESET wasm.max_fuel;
:still_ok

-- Memory growth past wasm.max_memory is refused; the guest then traps.
SET wasm.max_memory = '16MB';
SELECT hostile_error('SELECT * FROM h_grow');
RESET wasm.max_memory;
:still_ok

-- pg_wasm_fdw.json_rows outside fdw_iter_scan (HV010); take with nothing
-- pending copies nothing.
SELECT * FROM h_json_rows_outside;
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT * FROM h_take_nothing;

-- A sleep of 60 s ends at the statement_timeout (57014).
SET statement_timeout = '200ms';
SELECT * FROM h_sleep;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
:still_ok

-- The user mapping's api_key never shows: not in an error's message, a
-- cell error, or a guest's log message (test/integration/fdw_dump_restore.sh
-- checks the server log).
SELECT * FROM h_secret;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE h_secret_cell (a inet) SERVER hostile OPTIONS (mode 'secret_cell');
SELECT * FROM h_secret_cell;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM h_secret_log;
:still_ok

-- HTTP to a host not in the allowlist is refused before any connection (HV00N).
SET wasm.http_allowed_hosts = '127.0.0.1';
SELECT * FROM h_http_denied;
\echo :LAST_ERROR_SQLSTATE
RESET wasm.http_allowed_hosts;
:still_ok

-- fdw_plan's garbage (HV004), and a trap while planning (HV000).
SELECT * FROM h_plan_exact_range WHERE n = 1;
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT * FROM h_plan_negative;
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT hostile_error('EXPLAIN (COSTS OFF) SELECT * FROM h_plan_trap');
:still_ok

-- The guest's fdw_validate refuses a table (HV000); no table is made.
CREATE FOREIGN TABLE h_refused (n int4) SERVER hostile OPTIONS (mode 'refuse');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_class WHERE relname = 'h_refused';

-- A routine the guest does not export (HV00L), named.
INSERT INTO h_ok VALUES (1, 'one');
\echo :LAST_ERROR_SQLSTATE
:still_ok

-- IMPORT FOREIGN SCHEMA: an unknown type (HV004), a type that tries to end
-- the statement, and names and values with quotes and spaces, quoted.
CREATE SCHEMA imported;
CREATE TABLE fdw_hostile_canary (x int);
IMPORT FOREIGN SCHEMA remote FROM SERVER hostile INTO imported OPTIONS (mode 'bad_type');
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA remote FROM SERVER hostile INTO imported OPTIONS (mode 'injection');
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA remote LIMIT TO ("we""ird table") FROM SERVER hostile INTO imported
    OPTIONS (mode 'quoting');
SELECT c.relname, ft.ftoptions FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
WHERE c.relnamespace = 'imported'::regnamespace;
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
WHERE attrelid = 'imported."we""ird table"'::regclass AND attnum > 0 ORDER BY attnum;
SELECT * FROM imported."we""ird table";
SELECT to_regclass('fdw_hostile_canary') IS NOT NULL AS canary_alive;

-- A module whose host version requirement this host does not meet (22023).
SELECT wasm.load_module('fdw_needs_v2', guest('fdw_needs_v2.wasm')) IS NOT NULL AS loaded;
CREATE SERVER needs_v2 FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_needs_v2');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_foreign_server WHERE srvname = 'needs_v2';
:still_ok

-- Text that is not UTF-8 never reaches the database: a text column (made
-- from the bytes) and a varchar one (through its input function).
SELECT wasm.load_module_wat('fdw_bad_utf8', $$(module (memory (export "memory") 1)
  (func (export "pg_wasm_fdw_v1"))
  (func (export "pg_wasm_alloc") (param i32) (result i32) i32.const 4096)
  (func (export "fdw_begin_scan") (param i32 i32) (global.set $done (i32.const 0)))
  (global $done (mut i32) (i32.const 0))
  ;; [["\xff\xfe", "ok"]]
  (data (i32.const 100) "\91\92\a2\ff\fe\a2ok")
  (func (export "fdw_iter_scan") (result i64)
    (if (global.get $done) (then (return (i64.const 0))))
    (global.set $done (i32.const 1))
    (i64.or (i64.shl (i64.const 8) (i64.const 32)) (i64.const 100))))$$) IS NOT NULL AS loaded;
CREATE SERVER bad_utf8 FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_bad_utf8');
CREATE FOREIGN TABLE bad_utf8_text (t text, u text) SERVER bad_utf8;
CREATE FOREIGN TABLE bad_utf8_varchar (t varchar(10), u text) SERVER bad_utf8;
SELECT * FROM bad_utf8_text;
SELECT * FROM bad_utf8_varchar;
:still_ok
DROP SERVER bad_utf8 CASCADE;
SELECT wasm.drop_module('fdw_bad_utf8');

\set SHOW_CONTEXT errors
DROP SCHEMA imported CASCADE;
DROP TABLE fdw_hostile_canary;
DROP FUNCTION hostile_error(text, boolean);
DROP SERVER hostile CASCADE;
DROP FOREIGN DATA WRAPPER wasm_wrapper;
SELECT wasm.drop_module('fdw_hostile'), wasm.drop_module('fdw_needs_v2');
