--
-- Inputs made to crash the server or to get at another role's data. Each
-- once did one or the other; each must now be an ordinary ERROR (or work),
-- with the session going on.
--

-- A binary module from its parts, with LEB128 sizes: one function of type
-- () -> () whose body is `body`, exported as "f".
CREATE FUNCTION leb128(n bigint) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE out bytea := '';
BEGIN
    LOOP
        IF n < 128 THEN RETURN out || set_byte('\x00', 0, n::int); END IF;
        out := out || set_byte('\x00', 0, (n % 128 + 128)::int);
        n := n / 128;
    END LOOP;
END $$;
CREATE FUNCTION section(id int, content bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT set_byte('\x00', 0, id) || leb128(length(content)) || content
$$;
-- `locals` are the body's local declarations (none by default).
CREATE FUNCTION one_function_module(body bytea, locals bytea DEFAULT '\x00') RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT '\x0061736d01000000'::bytea
        || section(1, '\x01600000')                  -- type () -> ()
        || section(3, '\x0100')                      -- one function of that type
        || section(7, '\x0101660000')                -- exported as "f"
        || section(10, '\x01'::bytea || leb128(length(locals) + length(body)) || locals || body)
$$;
CREATE FUNCTION nested_blocks(depth int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT decode(repeat('0240', depth) || repeat('0b', depth) || '0b', 'hex')
$$;

-- Deep nesting: a few hundred thousand nested blocks in a binary, or tens
-- of thousands in the text format, overflowed the stack in the toolkit's
-- decoder. Nesting is bounded (10,000), and checked before anything else.
SELECT wasm.load_module('deep', one_function_module(nested_blocks(300000)));
SELECT wasm.load_module('deep', one_function_module(nested_blocks(10001)));
SELECT wasm.load_module_wat('deep', '(module (func ' || repeat('(block ', 50000) || repeat(')', 50000) || '))');
SELECT wasm.load_module_wat('deep', '(module (func ' || repeat('block ', 50000) || repeat('end ', 50000) || '))');
SELECT wasm.load_module_wat('deep', '(module (func (result i32) ' || repeat('(i32.add (i32.const 1) ', 20000) || '(i32.const 0)' || repeat(')', 20000) || '))');
-- At the bound, it works.
SELECT wasm.load_module('deep', one_function_module(nested_blocks(10000))) IS NOT NULL AS loaded;
CREATE FUNCTION deep_f() RETURNS void LANGUAGE wasm AS 'deep::f';
SELECT deep_f();
DROP FUNCTION deep_f();
SELECT wasm.drop_module('deep');
-- A row that never went through load_module (a superuser's INSERT, or a
-- restored dump) is checked the same way wherever it is used, by anyone.
INSERT INTO wasm.modules (name, code) VALUES ('deep_row', one_function_module(nested_blocks(300000)));
CREATE ROLE regress_hostile;
GRANT CREATE ON SCHEMA public TO regress_hostile;
SET ROLE regress_hostile;
SELECT * FROM wasm.module_exports('deep_row');
CREATE FUNCTION deep_row_f() RETURNS void LANGUAGE wasm AS 'deep_row::f';
RESET ROLE;
DELETE FROM wasm.modules WHERE name = 'deep_row';

-- Big counts and sizes are refused before any work.
SELECT wasm.load_module('big', '\x0061736d01000000'::bytea || section(3, '\xffffffff0f'));
SELECT wasm.load_module('big', one_function_module('\x0b', locals => '\x02ffff037f017f'));
SELECT wasm.load_module('big', one_function_module(decode(repeat('01', 8000000), 'hex') || '\x0b'));

-- Replacing a module under a session that has called a pg_wasm-ABI
-- function: the host once kept the argument area it had allocated in the
-- old instance and wrote the next call's arguments there, in the new one
-- (a crash when the new memory was smaller, silent corruption otherwise).
-- The area now lives and dies with its instance. Version A allocates high
-- in a memory of two pages; version B has one page, and data of its own
-- where A's arguments went.
CREATE FUNCTION swap_module(version text) RETURNS bytea LANGUAGE sql AS $$
    SELECT wasm.load_module_wat('swap', format($wat$(module
      (memory (export "memory") %s)
      (global $next (mut i32) (i32.const %s))
      (data (i32.const 1024) "%s-DATA")
      (func (export "pg_wasm_abi_v1"))
      (func (export "pg_wasm_alloc") (param i32) (result i32)
        (global.get $next)
        (global.set $next (i32.add (global.get $next) (local.get 0))))
      (func (export "echo") (param i32 i32) (result i64)
        (i64.or (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32))
                (i64.extend_i32_u (local.get 0))))
      (func (export "marker") (result i64) (i64.const 0x0000000600000400)))$wat$,
      CASE version WHEN 'A' THEN 2 ELSE 1 END,
      CASE version WHEN 'A' THEN 100000 ELSE 2048 END, version), replace => true)::bytea
$$;
SELECT swap_module('A') IS NOT NULL AS loaded;
CREATE FUNCTION swap_echo(text) RETURNS text LANGUAGE wasm STRICT AS 'swap::echo';
CREATE FUNCTION swap_marker() RETURNS text LANGUAGE wasm AS 'swap::marker';
SELECT swap_echo('one'), swap_marker();
SELECT swap_module('B') IS NOT NULL AS replaced;
SELECT swap_echo('two'), swap_marker();
-- A replace rolled back: the session goes back to B, with a fresh instance.
BEGIN;
SELECT swap_module('A') IS NOT NULL AS replaced;
SELECT swap_echo('three'), swap_marker();
ROLLBACK;
SELECT swap_echo('four'), swap_marker();
-- Another session's replace.
SELECT connect_other('swapper');
SELECT * FROM dblink('swapper', $$SELECT swap_module('A') IS NOT NULL$$) AS t(replaced bool);
SELECT swap_echo('five'), swap_marker();
SELECT * FROM dblink('swapper', $$SELECT swap_module('B') IS NOT NULL$$) AS t(replaced bool);
SELECT swap_echo('six'), swap_marker();
SELECT dblink_disconnect('swapper');

-- One instance per role. A module's memory once was shared by every role of
-- a session: a SECURITY DEFINER function of one role kept a secret in it,
-- and another role read it back through a function of its own.
SELECT wasm.load_module_wat('vault', $$(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (func (export "pg_wasm_abi_v1"))
  (func (export "pg_wasm_alloc") (param i32) (result i32)
    (global.get $next)
    (global.set $next (i32.add (global.get $next) (local.get 0))))
  ;; keep(text): copies the text to 512 and its length to 508
  (func (export "keep") (param i32 i32)
    (i32.store (i32.const 508) (local.get 1))
    (memory.copy (i32.const 512) (local.get 0) (local.get 1)))
  ;; peek() -> text: what was kept
  (func (export "peek") (result i64)
    (i64.or (i64.shl (i64.load32_u (i32.const 508)) (i64.const 32)) (i64.const 512))))$$)
  IS NOT NULL AS loaded;
CREATE ROLE regress_alice;
CREATE ROLE regress_bob;
GRANT CREATE ON SCHEMA public TO regress_alice, regress_bob;
SET ROLE regress_alice;
CREATE FUNCTION alice_keep(text) RETURNS void LANGUAGE wasm STRICT SECURITY DEFINER AS 'vault::keep';
CREATE FUNCTION alice_peek() RETURNS text LANGUAGE wasm SECURITY DEFINER AS 'vault::peek';
RESET ROLE;
SET ROLE regress_bob;
CREATE FUNCTION bob_peek() RETURNS text LANGUAGE wasm AS 'vault::peek';
SELECT alice_keep('alice''s secret');
SELECT alice_peek() AS alice_sees, bob_peek() AS bob_sees;
RESET ROLE;
-- With SET ROLE too.
SET ROLE regress_alice;
SELECT alice_keep('another secret');
SET ROLE regress_bob;
SELECT bob_peek() AS bob_sees;
RESET ROLE;

-- A replace that would change another role's IMMUTABLE functions. Bob built
-- an index and a CHECK constraint on his IMMUTABLE function over Alice's
-- module; had Alice's replace gone through, they would disagree with the
-- stored rows (an index scan and a sequential scan returning different
-- rows). The replace is refused, naming the functions and their owners.
GRANT EXECUTE ON FUNCTION wasm.load_module_wat(text, text, text, boolean) TO regress_alice;
CREATE FUNCTION scoring_wat(bonus int) RETURNS text LANGUAGE sql AS $$
    SELECT format('(module (func (export "score") (param i32) (result i32)
                     (i32.add (i32.rem_u (local.get 0) (i32.const 10)) (i32.const %s))))', bonus)
$$;
SET ROLE regress_alice;
SELECT wasm.load_module_wat('scoring', scoring_wat(0)) IS NOT NULL AS loaded;
RESET ROLE;
SET ROLE regress_bob;
CREATE TABLE bob_items (n int4);
INSERT INTO bob_items SELECT generate_series(1, 100);
CREATE FUNCTION bob_score(int4) RETURNS int4 IMMUTABLE LANGUAGE wasm AS 'scoring::score';
CREATE FUNCTION bob_score_now(int4) RETURNS int4 STABLE LANGUAGE wasm AS 'scoring::score';
CREATE INDEX bob_items_score ON bob_items (bob_score(n));
ALTER TABLE bob_items ADD CONSTRAINT small_score CHECK (bob_score(n) < 10);
RESET ROLE;
SET ROLE regress_alice;
SELECT wasm.load_module_wat('scoring', scoring_wat(50), replace => true);
-- Alice's own IMMUTABLE functions do change with her code: she is told.
CREATE FUNCTION alice_score(int4) RETURNS int4 IMMUTABLE LANGUAGE wasm AS 'scoring::score';
RESET ROLE;
SET ROLE regress_bob;
ALTER FUNCTION bob_score(int4) STABLE;   -- what Bob may do; his index then must go
DROP INDEX bob_items_score;
ALTER TABLE bob_items DROP CONSTRAINT small_score;
RESET ROLE;
SET ROLE regress_alice;
SELECT wasm.load_module_wat('scoring', scoring_wat(50), replace => true) IS NOT NULL AS replaced;
SELECT alice_score(7);
RESET ROLE;
SET ROLE regress_bob;
SELECT bob_score(7), bob_score_now(7);   -- STABLE and VOLATILE functions follow the module
RESET ROLE;
-- Dropping: without cascade the error names every function and its owner;
-- with cascade the module's owner drops them all, whoever owns them, as
-- DROP TABLE ... CASCADE drops other roles' views (it once failed with
-- "must be owner of function").
SET ROLE regress_alice;
SELECT wasm.drop_module('scoring');
SELECT wasm.drop_module('scoring', cascade => true);
RESET ROLE;
SELECT count(*) AS functions_left FROM pg_proc WHERE proname LIKE '%score%';
DROP TABLE bob_items;

-- Owners are roles, not names: after DROP ROLE, a new role of the same name
-- does not own the dropped role's modules (only superusers manage them).
CREATE ROLE regress_owner;
GRANT EXECUTE ON FUNCTION wasm.load_module_wat(text, text, text, boolean) TO regress_owner;
SET ROLE regress_owner;
SELECT wasm.load_module_wat('orphan', '(module)') IS NOT NULL AS loaded;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION wasm.load_module_wat(text, text, text, boolean) FROM regress_owner;
DROP ROLE regress_owner;
CREATE ROLE regress_owner;
SELECT owner = 'regress_owner'::regrole AS owned_by_namesake FROM wasm.modules WHERE name = 'orphan';
SET ROLE regress_owner;
\set VERBOSITY terse
SELECT wasm.drop_module('orphan');  -- its HINT names the dropped role by its OID
\set VERBOSITY default
RESET ROLE;
SELECT wasm.drop_module('orphan');
DROP ROLE regress_owner;

-- Export names are any UTF-8: empty, with a zero byte, or a built-in's.
-- create_functions skips what cannot name a function (it once aborted), and
-- returns the functions it made (it once returned pg_catalog.abs).
SELECT wasm.load_module_wat('strange_names', $$(module
  (func (export "") (param i32) (result i32) local.get 0)
  (func (export "a\00b") (param i32) (result i32) local.get 0)
  (func (export "abs") (param i32) (result i32) (i32.const 42)))$$) IS NOT NULL AS loaded;
SELECT name, inputs, outputs FROM wasm.module_exports('strange_names');
SELECT f::oid AS created_oid FROM wasm.create_functions('strange_names', '') f \gset
SELECT :created_oid::regprocedure AS created, :created_oid = 'public.abs(int4)'::regprocedure::oid AS is_ours;
SELECT public.abs(-1) AS ours, abs(-1) AS builtin;
SELECT wasm.drop_module('strange_names', cascade => true);

-- Two sessions loading one name at once: the second waits for the first,
-- then finds the same code (a no-op) or different code (a clear error). It
-- once failed with a raw unique violation.
SELECT connect_other('racer1'), connect_other('racer2');
SELECT dblink_exec('racer1', 'BEGIN');
SELECT * FROM dblink('racer1', $$SELECT wasm.load_module_wat('race', '(module (func (export "a")))') IS NOT NULL$$) AS t(loaded bool);
CALL run_in_other('racer2', $$SELECT wasm.load_module_wat('race', '(module (func (export "a")))')$$);
SELECT dblink_exec('racer1', 'COMMIT');
SELECT sha = (SELECT sha256 FROM wasm.modules WHERE name = 'race') AS same_module
FROM dblink_get_result('racer2') AS t(sha text);
SELECT * FROM dblink_get_result('racer2') AS t(sha text);  -- the end of its results
SELECT dblink_exec('racer1', 'BEGIN');
SELECT * FROM dblink('racer1', $$SELECT wasm.load_module_wat('race2', '(module (func (export "a")))') IS NOT NULL$$) AS t(loaded bool);
CALL run_in_other('racer2', $$SELECT wasm.load_module_wat('race2', '(module (func (export "b")))')$$);
SELECT dblink_exec('racer1', 'COMMIT');
SELECT * FROM dblink_get_result('racer2', false) AS t(sha text);
SELECT dblink_error_message('racer2');
SELECT * FROM dblink_get_result('racer2') AS t(sha text);
SELECT dblink_disconnect('racer1'), dblink_disconnect('racer2');
SELECT wasm.drop_module('race'), wasm.drop_module('race2');

-- A guest's text in messages: invalid UTF-8 and zero bytes become U+FFFD;
-- characters the client's encoding lacks become '?' (a NOTICE the client
-- could not take once turned into an error that named nothing); long text
-- is cut.
SELECT wasm.load_module_wat('talker', $$(module
  (import "pg_wasm" "log" (func $log (param i32 i32 i32)))
  (import "pg_wasm" "error" (func $error (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "a\00b\ffc")
  (data (i32.const 16) "price: \e2\82\ac 5")
  (func (export "log_bad") (call $log (i32.const 3) (i32.const 0) (i32.const 5)))
  (func (export "log_euro") (call $log (i32.const 3) (i32.const 16) (i32.const 12)))
  (func (export "raise_bad") (call $error (i32.const 0) (i32.const 5)))
  (func (export "raise_long")
    (memory.fill (i32.const 1000) (i32.const 120) (i32.const 100000))
    (call $error (i32.const 1000) (i32.const 100000))))$$) IS NOT NULL AS loaded;
SELECT count(*) FROM wasm.create_functions('talker', '');
SELECT log_bad();
SELECT raise_bad();
SELECT log_euro();
SET client_encoding = 'LATIN1';
SELECT log_euro();
RESET client_encoding;
SELECT length(msg), right(msg, 40) FROM error_of('SELECT raise_long()') AS msg;
SELECT wasm.drop_module('talker', cascade => true);

-- MessagePack from a guest is read one value at a time, never as a tree:
-- a header declaring four billion elements in five bytes is refused before
-- any work, a set of fifty million nils goes to the tuplestore row by row
-- and can be cancelled (it once allocated gigabytes, and ran to its end),
-- and rows keep their columns' type modifiers (varchar(3) once stored six
-- characters, numeric(4,1) stored 123.456).
SELECT wasm.load_module_wat('packer', $$(module
  (memory (export "memory") 800)
  (func (export "pg_wasm_abi_v1"))
  (data (i32.const 0) "\dd\ff\ff\ff\ff")
  (data (i32.const 16) "\92\a6abcdef\cb\40\5e\dd\2f\1a\9f\be\77")
  (data (i32.const 48) "\92\a3abc\cb\40\5e\dd\2f\1a\9f\be\77")
  (func (export "huge_header") (result i64) (i64.const 0x0000000500000000))
  (func (export "long_row") (result i64) (i64.const 0x0000001100000010))
  (func (export "short_row") (result i64) (i64.const 0x0000000e00000030))
  (func (export "nils") (result i64)
    (i32.store8 (i32.const 1024) (i32.const 0xdd))
    (i32.store (i32.const 1025) (i32.const 0x80f0fa02))  ;; 50,000,000, big-endian
    (memory.fill (i32.const 1029) (i32.const 0xc0) (i32.const 50000000))
    (i64.const 0x02faf08500000400)))$$) IS NOT NULL AS loaded;
CREATE FUNCTION huge_header() RETURNS SETOF int4 LANGUAGE wasm AS 'packer::huge_header abi=pg_wasm';
CREATE FUNCTION nils() RETURNS SETOF int4 LANGUAGE wasm AS 'packer::nils abi=pg_wasm';
CREATE TYPE short_row AS (name varchar(3), amount numeric(4, 1));
CREATE FUNCTION long_row() RETURNS short_row LANGUAGE wasm AS 'packer::long_row';
CREATE FUNCTION short_row() RETURNS short_row LANGUAGE wasm AS 'packer::short_row';
SELECT * FROM huge_header();
SET statement_timeout = '200ms';
SELECT count(*) FROM nils();
RESET statement_timeout;
SELECT * FROM long_row();
SELECT * FROM short_row();
DROP FUNCTION huge_header(), nils(), long_row(), short_row();
DROP TYPE short_row;
SELECT wasm.drop_module('packer');

-- A start function that calls the host: it runs once the instance exists,
-- so the host reaches its memory (it once failed with "outside its memory
-- of 0 bytes").
SELECT wasm.load_module_wat('starter', $$(module
  (import "pg_wasm" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "started")
  (global $ready (mut i32) (i32.const 0))
  (func $start (call $log (i32.const 3) (i32.const 0) (i32.const 7)) (global.set $ready (i32.const 1)))
  (start $start)
  (func (export "ready") (result i32) (global.get $ready)))$$) IS NOT NULL AS loaded;
CREATE FUNCTION starter_ready() RETURNS int4 LANGUAGE wasm AS 'starter::ready';
SELECT starter_ready();
DROP FUNCTION starter_ready();
SELECT wasm.drop_module('starter');

-- Host work sized by a guest is bounded and can be cancelled: 100 MB of
-- zero bytes written to stdout (once, seconds of log lines) is logged up to
-- 64 kB a call, the rest counted.
SELECT wasm.load_module_wat('flood', $$(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1601)
  (func (export "flood") (result i32)
    (i32.store (i32.const 0) (i32.const 64))          ;; one buffer, at 64
    (i32.store (i32.const 4) (i32.const 104857600))   ;; of 100 MB of zeros
    (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
    (drop)
    (i32.load (i32.const 8))))$$) IS NOT NULL AS loaded;
CREATE FUNCTION flood() RETURNS int4 LANGUAGE wasm AS 'flood::flood';
SET client_min_messages = warning;  -- the log lines stay in the server log
SELECT flood() AS bytes_written;
RESET client_min_messages;
DROP FUNCTION flood();
SELECT wasm.drop_module('flood');
-- A file that never ends is read up to a module's bound.
SELECT wasm.load_module_file('endless', '/dev/zero');
-- Long toolkit work (here validating a module of three million
-- instructions) runs on a thread of its own: a cancel or statement_timeout
-- stops the wait at once.
SET statement_timeout = '100ms';
SELECT wasm.load_module('slow', one_function_module(decode(repeat('01', 3000000), 'hex') || '\x0b'));
RESET statement_timeout;
SELECT count(*) AS not_loaded FROM wasm.modules WHERE name = 'slow';
-- A module of more functions than the bound is refused before any work (a
-- million tiny ones once cost 12 s and 1.4 GB at the first call in every
-- session).
SELECT wasm.load_module('many', '\x0061736d01000000'::bytea || section(1, '\x01600000')
    || section(3, leb128(200001) || decode(repeat('00', 200001), 'hex')));
-- SQL recursing through a Wasm function stops at max_stack_depth, as any
-- recursion in PostgreSQL does, and the session goes on.
SELECT wasm.load_module_wat('inc', '(module (func (export "inc") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1))))') IS NOT NULL AS loaded;
CREATE FUNCTION inc(int4) RETURNS int4 LANGUAGE wasm AS 'inc::inc';
CREATE FUNCTION descend(n int4) RETURNS int4 LANGUAGE plpgsql AS $$
BEGIN RETURN inc(descend(n + 1)); END $$;
SET max_stack_depth = '512kB';
\set VERBOSITY terse
SELECT descend(0);
\set VERBOSITY default
RESET max_stack_depth;
SELECT inc(41);
DROP FUNCTION descend(int4), inc(int4);
SELECT wasm.drop_module('inc');

DROP FUNCTION alice_keep(text), alice_peek(), bob_peek();
REVOKE ALL ON SCHEMA public FROM regress_alice, regress_bob, regress_hostile;
REVOKE EXECUTE ON FUNCTION wasm.load_module_wat(text, text, text, boolean) FROM regress_alice;
DROP ROLE regress_alice, regress_bob, regress_hostile;
DROP FUNCTION swap_echo(text), swap_marker();
SELECT wasm.drop_module('swap'), wasm.drop_module('vault');

-- An export named like the host's own rewrites (a leading zero byte; found
-- by fuzzing: instrumentation then made a module with two such exports).
SELECT wasm.load_module_wat('reserved_name', $$(module
  (func (export "\00pg_wasm_fuel") (result i32) i32.const 1))$$);
SELECT count(*) AS loaded FROM wasm.modules WHERE name = 'reserved_name';
-- A zero byte in an imported name (valid UTF-8, "\00" in the text format)
-- once cut the error at it ('import "a'): every name a module chose reaches
-- a message escaped as the text format writes it, control bytes, quotes and
-- backslashes included.
SELECT wasm.load_module_wat('nul_table', $$(module (import "a\00b" "t\00u" (table 1 funcref)))$$);
SELECT wasm.load_module_wat('nul_function',
    $$(module (import "pg_wasm" "lo\00g" (func (param i32 i32 i32))))$$);
SELECT wasm.load_module_wat('nul_global', $$(module (import "env" "g\00\0a\"\\" (global i32)))$$);
SELECT count(*) AS loaded FROM wasm.modules WHERE name LIKE 'nul\_%';

DROP FUNCTION leb128(bigint), section(int, bytea), one_function_module(bytea, bytea),
  nested_blocks(int), swap_module(text), scoring_wat(int);
