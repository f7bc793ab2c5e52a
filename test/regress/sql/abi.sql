--
-- pg_wasm's ABI (docs/abi.md): text, bytes, JSON, uuid, numeric, dates and
-- timestamps, arrays. Byte strings are copied once into the guest's memory
-- through the allocator it exports; results come back as a pointer and a
-- length. (test/guests/abi.c, written with sdk/pg_wasm.h)
--
SELECT wasm.load_module_file('abi', current_setting('regress.guests') || '/abi.wasm') IS NOT NULL AS loaded;

-- The same export serves every byte-string type: the bytes come back.
CREATE FUNCTION echo_text(text) RETURNS text LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_varchar(varchar) RETURNS varchar LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_bpchar(char(5)) RETURNS char(5) LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_bytea(bytea) RETURNS bytea LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_json(json) RETURNS json LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_jsonb(jsonb) RETURNS jsonb LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_numeric(numeric) RETURNS numeric LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_uuid(uuid) RETURNS uuid LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_ints(int4[]) RETURNS int4[] LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_bools(bool[]) RETURNS bool[] LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_floats(float8[]) RETURNS float8[] LANGUAGE wasm STRICT AS 'abi::echo';
CREATE FUNCTION echo_smallints(int2[]) RETURNS int2[] LANGUAGE wasm STRICT AS 'abi::echo';

SELECT echo_text('hello'), echo_text(''), echo_varchar('héllo wörld ✓'), echo_bpchar('ab');
SELECT echo_text('日本語のテキスト'), echo_text(E'tab\there');
SELECT echo_bytea('\x00ff10'), echo_bytea(''), echo_bytea('\x00');
SELECT echo_json('{"a": [1, 2.5, "x"]}'), echo_jsonb('{"b": 1, "a": [true, null]}');
SELECT echo_numeric(-12.50), echo_numeric('NaN'), echo_numeric(1e-30), echo_numeric('123456789012345678901234567890.123');
SELECT echo_uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
SELECT echo_ints('{1,-2,2147483647}'), echo_ints('{}'), echo_bools('{t,f,t}'),
       echo_floats('{1.5,-0,Infinity}'), echo_smallints('{-32768,32767}');

-- Lengths as the guest sees them: UTF-8 bytes.
CREATE FUNCTION byte_length(text) RETURNS int4 LANGUAGE wasm STRICT AS 'abi';
CREATE FUNCTION char_length_wasm(text) RETURNS int4 LANGUAGE wasm STRICT AS 'abi::char_length';
SELECT s, byte_length(s), char_length_wasm(s), char_length(s)
FROM (VALUES (''), ('a'), ('é'), ('日本'), ('🐘 pg')) v(s);

-- Several byte strings in one call, and results bigger than the arguments.
CREATE FUNCTION join3(text, text, text) RETURNS text LANGUAGE wasm STRICT AS 'abi';
SELECT join3('left', ' <-> ', 'right');
CREATE FUNCTION repeat_char(int4, int4) RETURNS text LANGUAGE wasm STRICT AS 'abi';
SELECT repeat_char(ascii('z'), 5), length(repeat_char(ascii('z'), 3000000)) AS three_mb;

-- Values over 1 MB both ways.
SELECT length(echo_text(repeat('ab', 1000000))) AS two_mb,
       echo_text(repeat('ab', 1000000)) = repeat('ab', 1000000) AS same;
SELECT byte_length(repeat('x', 5000000)) AS five_mb_in;
SELECT md5(echo_bytea(decode(repeat('00ff', 800000), 'hex'))) = md5(decode(repeat('00ff', 800000), 'hex')) AS same_bytes;

-- Arrays travel packed: one-dimensional, without NULLs.
CREATE FUNCTION sum_int4s(int4[]) RETURNS int8 LANGUAGE wasm STRICT AS 'abi';
CREATE FUNCTION sum_float8s(float8[]) RETURNS float8 LANGUAGE wasm STRICT AS 'abi';
CREATE FUNCTION series_array(int4) RETURNS int8[] LANGUAGE wasm STRICT AS 'abi';
SELECT sum_int4s(ARRAY(SELECT generate_series(1, 100000))), sum_float8s('{0.5,0.25}'), series_array(5);
SELECT sum_int4s('{1,NULL}');
SELECT sum_int4s('{{1,2},{3,4}}');

-- Dates and timestamps travel in PostgreSQL's own units.
CREATE FUNCTION next_day(date) RETURNS date LANGUAGE wasm STRICT AS 'abi';
CREATE FUNCTION hour_later(timestamptz) RETURNS timestamptz LANGUAGE wasm STRICT AS 'abi';
CREATE FUNCTION hour_later_ts(timestamp) RETURNS timestamp LANGUAGE wasm STRICT AS 'abi::hour_later';
CREATE FUNCTION echo_date(date) RETURNS date LANGUAGE wasm STRICT AS 'abi::echo_i32';
SELECT next_day('2024-02-28'), next_day('2000-01-01'), echo_date('infinity'), echo_date('-infinity');
SELECT hour_later('2024-03-31 01:30:00+00'), hour_later_ts('1999-12-31 23:30:00');
SELECT next_day('5874897-12-31');

-- NULLs. A module that imports pg_wasm.arg_is_null sees NULL arguments
-- (as zeros) and can tell them apart; pg_wasm.set_null makes the result NULL.
CREATE FUNCTION describe(text, int4) RETURNS text LANGUAGE wasm AS 'abi';
SELECT describe('x', 1), describe(NULL, 1), describe('x', NULL), describe(NULL, NULL);
CREATE FUNCTION null_if_empty(text) RETURNS text LANGUAGE wasm STRICT AS 'abi';
SELECT null_if_empty('x'), null_if_empty('') IS NULL AS is_null;
CREATE FUNCTION null_int(int4) RETURNS int4 LANGUAGE wasm STRICT AS 'abi abi=pg_wasm';
SELECT null_int(5), null_int(-1) IS NULL AS is_null;
-- STRICT functions are never called with NULLs.
SELECT echo_text(NULL) IS NULL AS is_null;

-- Results that break the rules are errors, never crashes; the session goes on.
CREATE FUNCTION bad_pointer() RETURNS text LANGUAGE wasm AS 'abi';
CREATE FUNCTION huge_length() RETURNS bytea LANGUAGE wasm AS 'abi';
CREATE FUNCTION bad_utf8() RETURNS text LANGUAGE wasm AS 'abi';
CREATE FUNCTION nul_byte() RETURNS text LANGUAGE wasm AS 'abi';
CREATE FUNCTION not_json() RETURNS json LANGUAGE wasm AS 'abi';
CREATE FUNCTION not_jsonb() RETURNS jsonb LANGUAGE wasm AS 'abi::not_json';
CREATE FUNCTION short_uuid() RETURNS uuid LANGUAGE wasm AS 'abi';
CREATE FUNCTION odd_array() RETURNS int4[] LANGUAGE wasm AS 'abi';
CREATE FUNCTION not_a_number() RETURNS numeric LANGUAGE wasm AS 'abi::not_json';
SELECT bad_pointer();
SELECT huge_length();
SELECT bad_utf8();
SELECT nul_byte();
SELECT not_json();
SELECT not_jsonb();
SELECT short_uuid();
SELECT odd_array();
SELECT not_a_number();
SELECT f, sqlstate_of('SELECT ' || f) FROM unnest(ARRAY['bad_pointer()', 'huge_length()', 'bad_utf8()',
    'not_json()', 'short_uuid()', 'odd_array()']) f;
SELECT echo_text('still fine');

-- The module must say it implements the ABI, and export an allocator when
-- byte strings are passed to it.
SELECT wasm.load_module_file('no_alloc', current_setting('regress.guests') || '/no_alloc.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('failing_alloc', current_setting('regress.guests') || '/failing_alloc.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('no_marker', current_setting('regress.guests') || '/no_marker.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION no_alloc_len(text) RETURNS int4 LANGUAGE wasm AS 'no_alloc::len';
CREATE FUNCTION no_marker_len(text) RETURNS int4 LANGUAGE wasm AS 'no_marker::len';
CREATE FUNCTION failing_alloc_len(text) RETURNS int4 LANGUAGE wasm AS 'failing_alloc::len';
SELECT failing_alloc_len('abc');

-- The signature the ABI calls for is shown when the export does not fit.
CREATE FUNCTION misfit(text, int8) RETURNS text LANGUAGE wasm AS 'abi::echo';
-- Types outside the mapping are refused.
CREATE FUNCTION misfit(inet) RETURNS text LANGUAGE wasm AS 'abi::echo';
CREATE FUNCTION misfit(text[]) RETURNS text LANGUAGE wasm AS 'abi::echo';
-- Options are checked.
CREATE FUNCTION misfit(text) RETURNS text LANGUAGE wasm AS 'abi::echo abi=turbo';
CREATE FUNCTION misfit(text) RETURNS text LANGUAGE wasm AS 'abi::echo speed=fast';
CREATE FUNCTION misfit(text) RETURNS text LANGUAGE wasm AS 'abi::echo abi=direct';
CREATE FUNCTION misfit(text) RETURNS text LANGUAGE wasm AS 'abi::"unclosed';

-- The SDK serves C++ guests too (test/guests/sdk_cpp.cc).
SELECT wasm.load_module_file('sdk_cpp', current_setting('regress.guests') || '/sdk_cpp.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION count_vowels(text) RETURNS int4 LANGUAGE wasm STRICT AS 'sdk_cpp';
CREATE FUNCTION title_case(text) RETURNS text LANGUAGE wasm STRICT AS 'sdk_cpp';
SELECT count_vowels('webassembly in postgres'), title_case('webassembly in postgres');

SET client_min_messages = warning;
SELECT count(wasm.drop_module(name, cascade => true)) AS dropped
FROM unnest(ARRAY['abi', 'no_alloc', 'failing_alloc', 'no_marker', 'sdk_cpp']) name;
RESET client_min_messages;
