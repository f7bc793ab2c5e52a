--
-- SQL functions in LANGUAGE wasm: AS 'module::export', or AS 'module' when
-- the export has the function's name; checked when created.
--
-- The guests' modules (test/guests): collatz, fib, numbers (numbers.wat).
SELECT name, wasm.load_module(name, guest(name || '.wasm')) IS NOT NULL AS loaded
FROM unnest(ARRAY['collatz', 'fib', 'numbers']) name;

CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SELECT collatz_steps(1), collatz_steps(27), collatz_steps(97), collatz_steps(0);
CREATE FUNCTION fib(int4) RETURNS int8 LANGUAGE wasm AS 'fib';
SELECT n, fib(n) FROM generate_series(0, 10) n;
SELECT fib(92), fib(93);  -- fib(93) wraps around, as in C

-- In queries like any function.
SELECT i, collatz_steps(i) FROM generate_series(1, 10) i WHERE collatz_steps(i) > 5 ORDER BY 2 DESC, 1;
SELECT max(collatz_steps(i)) FROM generate_series(1, 10000) i;

-- The validator: the module must exist...
CREATE FUNCTION f1(int4) RETURNS int4 LANGUAGE wasm AS 'nosuchmodule::f';
-- ...have the export...
CREATE FUNCTION f2(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::nosuchexport';
CREATE FUNCTION steps2(int4) RETURNS int4 LANGUAGE wasm AS 'collatz';
-- ...which must be a function...
CREATE FUNCTION f3() RETURNS int4 LANGUAGE wasm AS 'numbers::memory';
-- ...whose Wasm type the SQL signature fits. The error shows both.
CREATE FUNCTION f4(int8) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f5(int4, int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f6(int4) RETURNS void LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f7(int4) RETURNS float8 LANGUAGE wasm AS 'collatz::steps';
SELECT sqlstate_of($$CREATE FUNCTION f8(int8) RETURNS int4 LANGUAGE wasm AS 'collatz::steps'$$);

-- Types outside the mapping are refused. (Text, sets and rows go through
-- pg_wasm's ABI, which these numeric exports do not implement: the abi
-- suite shows them.)
CREATE FUNCTION f9(inet) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f10(int4) RETURNS money LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f11(int4) RETURNS SETOF int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION f12(int4, OUT a int4, OUT b int4) LANGUAGE wasm AS 'numbers::pair';
CREATE FUNCTION f13(VARIADIC int4[]) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
-- The AS string must name a module.
CREATE FUNCTION f14(int4) RETURNS int4 LANGUAGE wasm AS 'not a module';
CREATE FUNCTION f15(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::';
-- Nothing was created by the failures above.
SELECT count(*) FROM pg_proc WHERE proname ~ '^f[0-9]+$' OR proname = 'steps2';

-- With check_function_bodies off (as pg_dump's scripts run), only what
-- does not depend on the module is checked: a module may come later.
SET check_function_bodies = off;
CREATE FUNCTION later(int4) RETURNS int4 LANGUAGE wasm AS 'notyet::steps';
CREATE FUNCTION bad_type(inet) RETURNS int4 LANGUAGE wasm AS 'notyet::steps';
RESET check_function_bodies;
SELECT later(1);
SELECT wasm.load_module('notyet', guest('collatz.wasm')) IS NOT NULL AS loaded;
SELECT later(27);
DROP FUNCTION later(int4);

-- A function whose module no longer fits (changed by a superuser behind
-- the loader's back) fails at call time, showing why.
SET check_function_bodies = off;
CREATE FUNCTION misfit(int8) RETURNS int8 LANGUAGE wasm AS 'notyet::steps';
RESET check_function_bodies;
SELECT misfit(1);
DROP FUNCTION misfit(int8);

-- CREATE OR REPLACE takes effect at once, even within a session that has
-- called the old definition.
CREATE FUNCTION which(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
SELECT which(27);
CREATE OR REPLACE FUNCTION which(int4) RETURNS int4 LANGUAGE wasm AS 'numbers::widen';
SELECT which(27);
DROP FUNCTION which(int4);

-- Procedures work too (an export without results).
CREATE PROCEDURE nothing() LANGUAGE wasm AS 'numbers';
CALL nothing();

-- Wasm functions cannot be triggers.
CREATE FUNCTION trig() RETURNS trigger LANGUAGE wasm AS 'numbers::nothing';

-- wasm.create_functions: one SQL function per export, prefix_export, with
-- a NOTICE for what cannot be one.
SELECT * FROM wasm.create_functions('numbers', 'num');
SELECT num_add_i64(40, 2), num_mixed(1, 2, 3.5, 4.25), num_not(0), num_not(7);
\df public.num_*
-- Again fails (the functions exist), unless replace.
SELECT * FROM wasm.create_functions('numbers', 'num');
SELECT count(*) FROM wasm.create_functions('numbers', 'num', replace => true);
-- Names are quoted as needed; an empty prefix uses the export names.
SELECT wasm.load_module_wat('odd_names', $$(module
  (func (export "Mixed Case") (result i32) i32.const 1)
  (func (export "select") (result i32) i32.const 2)
  (func (export "x-y") (result i32) i32.const 3))$$) IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('odd_names', '');
SELECT "Mixed Case"(), "select"(), "x-y"();
SELECT * FROM wasm.create_functions('odd_names', repeat('p', 60));
-- Exports the host calls on its own (an ABI's, WASI's initialiser) are not
-- made SQL functions.
SELECT wasm.load_module_wat('plumbing', $$(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  (func (export "pg_wasm_alloc") (param i32) (result i32) i32.const 0)
  (func (export "_initialize"))
  (func (export "answer") (result i32) i32.const 42))$$) IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('plumbing', 'p');
SELECT p_answer();

-- Declared PARALLEL SAFE, a Wasm function runs in parallel workers too
-- (each worker starts its own engine and instance).
CREATE TABLE parallel_input AS SELECT i FROM generate_series(1, 100000) i;
ANALYZE parallel_input;
ALTER FUNCTION collatz_steps(int4) PARALLEL SAFE;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (costs off) SELECT sum(collatz_steps(i)) FROM parallel_input;
SELECT sum(collatz_steps(i)) FROM parallel_input;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE parallel_input;

-- The modules go, and with them every function made over them.
SET client_min_messages = warning;
SELECT count(wasm.drop_module(name, cascade => true)) AS dropped
FROM unnest(ARRAY['collatz', 'fib', 'numbers', 'notyet', 'odd_names', 'plumbing']) name;
RESET client_min_messages;
