--
-- SQL functions over a component that breaks the canonical ABI on purpose
-- (test/components/guests/sql_hostile.c, world pgwasm:test/sql-hostile in
-- test/components/wit/sql-hostile.wit). Each break is an ordinary ERROR
-- with a SQLSTATE and a message naming the module and the export; nothing is
-- read or written outside the guest's memory, and the session goes on:
-- after each error, :still_ok calls the one well-behaved export (ok(x) is
-- x + 1), in a fresh instance where the guest broke the ABI
-- (docs/components-sql.md, docs/safety.md).
--
SELECT wasm.load_module('hostile_c', guest('sql_hostile.wasm')) IS NOT NULL AS loaded;
-- Every export resolves: what is wrong with them shows only when called.
SELECT name, type, inputs, outputs FROM wasm.module_exports('hostile_c') ORDER BY name;

CREATE FUNCTION hc_ok(int4) RETURNS int4 LANGUAGE wasm AS 'hostile_c::ok';
\set still_ok 'SELECT hc_ok(1) AS still_ok;'
\set SHOW_CONTEXT never
:still_ok

--
-- Strings and lists the host must not read: beyond the end of memory, not
-- UTF-8, misaligned, or claiming 2^31 elements.
--
CREATE FUNCTION hc_string_out_of_memory() RETURNS text LANGUAGE wasm
    AS 'hostile_c::string-out-of-memory';
SELECT hc_string_out_of_memory();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_string_not_utf8() RETURNS text LANGUAGE wasm AS 'hostile_c::string-not-utf8';
SELECT hc_string_not_utf8();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_unaligned_list() RETURNS int8[] LANGUAGE wasm AS 'hostile_c::unaligned-list';
SELECT hc_unaligned_list();
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- 2^31 bytes are refused against the budget (wasm.max_memory: 54000, a
-- limit) before the host allocates anything for them, as bytea ...
CREATE FUNCTION hc_huge_list() RETURNS bytea LANGUAGE wasm AS 'hostile_c::huge-list';
SELECT hc_huge_list();
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- ... and as an array, whose elements the host would hold as values many
-- times a byte's size.
CREATE FUNCTION hc_huge_list_array() RETURNS int2[] LANGUAGE wasm AS 'hostile_c::huge-list';
SELECT hc_huge_list_array();
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- Even at the largest budget (4 GB) it is refused: each element would cost
-- the host a value of its own, many times the byte.
SET wasm.max_memory = '4GB';
SELECT hc_huge_list();
\echo :LAST_ERROR_SQLSTATE
RESET wasm.max_memory;
:still_ok

--
-- Return areas the host must not read: beyond the end of memory, and at an
-- address not aligned for what is in them.
--
CREATE FUNCTION hc_return_area_out_of_memory() RETURNS text LANGUAGE wasm
    AS 'hostile_c::return-area-out-of-memory';
SELECT hc_return_area_out_of_memory();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_return_area_unaligned() RETURNS text LANGUAGE wasm
    AS 'hostile_c::return-area-unaligned';
SELECT hc_return_area_unaligned();
\echo :LAST_ERROR_SQLSTATE
:still_ok

--
-- Values no WIT type has: a discriminant past the cases of an option, a
-- result and an enum, a surrogate for a char, a flag bit past the labels.
--
CREATE FUNCTION hc_bad_option() RETURNS int4 LANGUAGE wasm AS 'hostile_c::bad-option';
SELECT hc_bad_option();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_bad_result() RETURNS int4 LANGUAGE wasm AS 'hostile_c::bad-result';
SELECT hc_bad_result();
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- An enum as text, and as a SQL enum with the same labels.
CREATE FUNCTION hc_bad_enum() RETURNS text LANGUAGE wasm AS 'hostile_c::bad-enum';
SELECT hc_bad_enum();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE TYPE hc_color AS ENUM ('red', 'green', 'blue');
CREATE FUNCTION hc_bad_enum_typed() RETURNS hc_color LANGUAGE wasm AS 'hostile_c::bad-enum';
SELECT hc_bad_enum_typed();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_bad_char() RETURNS text LANGUAGE wasm AS 'hostile_c::bad-char';
SELECT hc_bad_char();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_bad_flags() RETURNS text[] LANGUAGE wasm AS 'hostile_c::bad-flags';
SELECT hc_bad_flags();
\echo :LAST_ERROR_SQLSTATE
:still_ok

--
-- A cabi_realloc that returns a block the host must not write: the last
-- byte of memory for a string of two bytes or more, an odd address for a
-- list<u32>. One byte fits at the last byte: that call works.
--
CREATE FUNCTION hc_realloc_out_of_memory(text) RETURNS int8 LANGUAGE wasm
    AS 'hostile_c::realloc-out-of-memory';
SELECT hc_realloc_out_of_memory('ab');
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT hc_realloc_out_of_memory(repeat('x', 100000));
\echo :LAST_ERROR_SQLSTATE
:still_ok
SELECT hc_realloc_out_of_memory('a') AS one_byte_fits;
CREATE FUNCTION hc_realloc_unaligned(int8[]) RETURNS int8 LANGUAGE wasm
    AS 'hostile_c::realloc-unaligned';
SELECT hc_realloc_unaligned(ARRAY[1, 2, 3]);
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- An empty list needs no block: realloc is not called.
SELECT hc_realloc_unaligned('{}');

--
-- Traps: in the function, and in its post-return after the result was
-- copied out. Each is an ERROR (38000) naming the module and the export,
-- and the next call works. (VERBOSITY terse leaves out V8's DETAIL, the
-- guest's Wasm stack, which the native engine does not give.)
--
\set VERBOSITY terse
CREATE FUNCTION hc_traps() RETURNS int4 LANGUAGE wasm AS 'hostile_c::traps';
SELECT hc_traps();
\echo :LAST_ERROR_SQLSTATE
:still_ok
CREATE FUNCTION hc_post_return_traps() RETURNS text LANGUAGE wasm
    AS 'hostile_c::post-return-traps';
SELECT hc_post_return_traps();
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- Once per row: the first row's post-return ends the statement.
SELECT hc_post_return_traps() FROM generate_series(1, 3);
\echo :LAST_ERROR_SQLSTATE
:still_ok
-- In a transaction, the trap aborts it as any error does; after ROLLBACK
-- the session goes on.
BEGIN;
SELECT hc_ok(10);
SELECT hc_post_return_traps();
SELECT hc_ok(11);
ROLLBACK;
\set VERBOSITY default
:still_ok

--
-- A loop that never returns: statement_timeout and a cancel from another
-- session stop it with PostgreSQL's own error (57014).
--
CREATE FUNCTION hc_spin() RETURNS void LANGUAGE wasm AS 'hostile_c::spin';
SET statement_timeout = '200ms';
SELECT hc_spin();
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
:still_ok
SELECT connect_other('hc_spinner');
CALL run_in_other('hc_spinner', 'SELECT hc_spin()');
SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'hc_spinner';
-- The other session's error (fail => false shows it as a NOTICE), then
-- that session goes on working.
SELECT * FROM dblink_get_result('hc_spinner', false) AS t(r text);
SELECT * FROM dblink_get_result('hc_spinner') AS t(r text);
SELECT * FROM dblink('hc_spinner', 'SELECT hc_ok(5)') AS t(r int4);
SELECT dblink_disconnect('hc_spinner');

--
-- A well-behaved component given a large input: 10 MB of text into a
-- string the guest measures (sql_types' length) and into one it returns
-- changed (slugify, string -> string, which takes a shorter path), and the
-- same bytes as list<u8> reversed.
--
SELECT wasm.load_module('hostile_big', guest('sql_types.wasm')) IS NOT NULL AS loaded;
CREATE FUNCTION hc_length(text) RETURNS int8 LANGUAGE wasm AS 'hostile_big::length';
CREATE FUNCTION hc_slugify(text) RETURNS text LANGUAGE wasm AS 'hostile_big::slugify';
CREATE FUNCTION hc_reverse_bytes(bytea) RETURNS bytea LANGUAGE wasm AS 'hostile_big::reverse-bytes';
SELECT hc_length(repeat('0123456789', 1000000)) AS ten_mb,
       hc_length(repeat('é', 5000000)) AS ten_mb_utf8;
SELECT length(hc_slugify(repeat('Ab ', 3333333))) AS slug,
       length(hc_reverse_bytes(convert_to(repeat('0123456789', 1000000), 'UTF8'))) AS ten_mb;
-- Under a budget smaller than the input, the call is refused before the
-- guest is given the bytes: a limit (54000), not the guest's fault.
SET wasm.max_memory = '8MB';
SELECT hc_length(repeat('0123456789', 1000000));
\echo :LAST_ERROR_SQLSTATE
SELECT hc_slugify(repeat('Ab ', 3333333));
\echo :LAST_ERROR_SQLSTATE
RESET wasm.max_memory;
SELECT hc_length('still here');
:still_ok

DROP FUNCTION hc_ok(int4), hc_string_out_of_memory(), hc_string_not_utf8(), hc_unaligned_list(),
    hc_huge_list(), hc_huge_list_array(), hc_return_area_out_of_memory(),
    hc_return_area_unaligned(), hc_bad_option(), hc_bad_result(), hc_bad_enum(),
    hc_bad_enum_typed(), hc_bad_char(), hc_bad_flags(), hc_realloc_out_of_memory(text),
    hc_realloc_unaligned(int8[]), hc_traps(), hc_post_return_traps(), hc_spin(),
    hc_length(text), hc_slugify(text), hc_reverse_bytes(bytea);
DROP TYPE hc_color;
SELECT wasm.drop_module('hostile_c');
SELECT wasm.drop_module('hostile_big');
