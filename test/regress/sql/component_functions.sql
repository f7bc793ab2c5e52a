--
-- SQL functions over a WebAssembly component's exported functions
-- (docs/components-sql.md). The fixture sql_types
-- (test/components/wit/sql-types.wit) exports one function per scalar row
-- of the WIT-to-SQL mapping from its world, and two interfaces,
-- pgwasm:test/text@1.0.0 and pgwasm:test/other@1.0.0, whose names overlap.
--
SELECT wasm.load_module('sqlt', guest('sql_types.wasm')) IS NOT NULL AS loaded;
SELECT wasm.load_module('sqlt_core', guest('simple.wasm')) IS NOT NULL AS loaded;

-- wasm.module_exports lists the component's functions, not its core
-- exports: full name, WIT type, and the SQL types suggested for them. A
-- function with a resource cannot be a SQL function: "-" says why.
SELECT * FROM wasm.module_exports('sqlt') ORDER BY name;

--
-- Naming a function in the AS string.
--
-- A function of the world by its name; AS 'module' alone takes the SQL
-- function's name.
CREATE FUNCTION c_slugify(text) RETURNS text LANGUAGE wasm AS 'sqlt::slugify';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm AS 'sqlt';
SELECT c_slugify('Hello, World!'), slugify('  Two  words ');
-- An interface's function by its full name, without the version, and by the
-- interface's short name.
CREATE FUNCTION c_text_slugify(text) RETURNS text LANGUAGE wasm
    AS 'sqlt::pgwasm:test/text@1.0.0#slugify';
CREATE FUNCTION c_text_shout(text) RETURNS text LANGUAGE wasm AS 'sqlt::pgwasm:test/text#shout';
CREATE FUNCTION c_other_shout(text) RETURNS text LANGUAGE wasm AS 'sqlt::other#shout';
SELECT c_text_slugify('A b C'), c_text_shout('Quiet please'), c_other_shout('hey');
-- abi=component says what the module would decide anyway.
CREATE FUNCTION c_length(text) RETURNS bigint LANGUAGE wasm AS 'sqlt::length abi=component';
SELECT c_length('héllo');
-- A bare name that two interfaces have is ambiguous: the error lists both.
SELECT error_detail_of($$CREATE FUNCTION c_shout(text) RETURNS text LANGUAGE wasm AS 'sqlt::shout'$$);
-- No such function: the error lists what the component exports.
SELECT error_detail_of($$CREATE FUNCTION c_nope(text) RETURNS text LANGUAGE wasm AS 'sqlt::nope'$$);
-- A core export of the component's main module is not a SQL function's.
SELECT error_detail_of($$CREATE FUNCTION c_realloc(int, int, int, int) RETURNS int
    LANGUAGE wasm AS 'sqlt::cabi_realloc'$$);
-- Only abi=component fits a component, and only a component takes it.
SELECT error_detail_of($$CREATE FUNCTION c_pg(text) RETURNS text LANGUAGE wasm
    AS 'sqlt::slugify abi=pg_wasm'$$);
SELECT error_detail_of($$CREATE FUNCTION c_core(int, int) RETURNS int LANGUAGE wasm
    AS 'sqlt_core::sum abi=component'$$);
-- The core ABIs still refuse what they cannot take, with their own words.
SELECT error_detail_of($$CREATE FUNCTION c_point(point) RETURNS int LANGUAGE wasm
    AS 'sqlt_core::sum'$$);

-- New code for a module must still serve its SQL functions: a component
-- without them does not replace it.
SELECT error_detail_of($$SELECT wasm.load_module('sqlt', guest('sql_hostile.wasm'), replace => true)$$);
SELECT c_slugify('still the old code');

--
-- The SQL signature is checked against the WIT one, naming both.
--
SELECT error_detail_of($$CREATE FUNCTION c_bad(text, int) RETURNS text LANGUAGE wasm
    AS 'sqlt::slugify'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(int) RETURNS text LANGUAGE wasm
    AS 'sqlt::slugify'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(text) RETURNS int LANGUAGE wasm
    AS 'sqlt::slugify'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(text) RETURNS void LANGUAGE wasm
    AS 'sqlt::slugify'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(text) RETURNS SETOF text LANGUAGE wasm
    AS 'sqlt::slugify'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(int2, int2) RETURNS bool LANGUAGE wasm
    AS 'sqlt::add-u8'$$);
-- A resource stays inside the component: such a function is refused.
SELECT error_detail_of($$CREATE FUNCTION c_consume(int) RETURNS void LANGUAGE wasm
    AS 'sqlt::consume'$$);
-- Without check_function_bodies (pg_dump's restore) CREATE FUNCTION does not
-- look at the module; the first call does.
SET check_function_bodies = off;
CREATE FUNCTION c_late(int) RETURNS text LANGUAGE wasm AS 'sqlt::slugify';
RESET check_function_bodies;
SELECT error_detail_of($$SELECT c_late(1)$$);
DROP FUNCTION c_late(int);

--
-- bool. A NULL for a parameter that is not an option: NULL, no call.
--
CREATE FUNCTION c_not(bool) RETURNS bool LANGUAGE wasm AS 'sqlt::not';
SELECT c_not(true), c_not(false), c_not(NULL) IS NULL AS null_in_null_out;

--
-- Integers: smallint, integer, bigint or numeric, range-checked both ways.
--
CREATE FUNCTION c_add_u8(int2, int2) RETURNS int2 LANGUAGE wasm AS 'sqlt::add-u8';
CREATE FUNCTION c_add_s8(int2, int2) RETURNS int2 LANGUAGE wasm AS 'sqlt::add-s8';
CREATE FUNCTION c_echo_u8(int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::echo-u8';
CREATE FUNCTION c_echo_s8(int8) RETURNS int8 LANGUAGE wasm AS 'sqlt::echo-s8';
CREATE FUNCTION c_echo_u16(int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::echo-u16';
CREATE FUNCTION c_echo_s16(int2) RETURNS int2 LANGUAGE wasm AS 'sqlt::echo-s16';
CREATE FUNCTION c_echo_u32(int8) RETURNS int8 LANGUAGE wasm AS 'sqlt::echo-u32';
CREATE FUNCTION c_add_u32_int4(int8, int8) RETURNS int4 LANGUAGE wasm AS 'sqlt::add-u32';
CREATE FUNCTION c_echo_s32(int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::echo-s32';
CREATE FUNCTION c_add_s32(int4, int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::add-s32';
CREATE FUNCTION c_echo_s64(int8) RETURNS int8 LANGUAGE wasm AS 'sqlt::echo-s64';
CREATE FUNCTION c_echo_u64(numeric) RETURNS numeric LANGUAGE wasm AS 'sqlt::echo-u64';
CREATE FUNCTION c_add_u64(numeric, numeric) RETURNS numeric LANGUAGE wasm AS 'sqlt::add-u64';
CREATE FUNCTION c_echo_u64_int8(int8) RETURNS int8 LANGUAGE wasm AS 'sqlt::echo-u64';
CREATE FUNCTION c_add_u64_int8(int8, int8) RETURNS int8 LANGUAGE wasm AS 'sqlt::add-u64';
-- In range, both ends; u8 and s8 sums wrap as the guest's C does.
SELECT c_add_u8(200::int2, 100::int2) AS u8_wraps, c_add_s8(100::int2, 100::int2) AS s8_wraps,
       c_echo_u8(255), c_echo_u8(0), c_echo_s8(-128), c_echo_s8(127);
SELECT c_echo_u16(65535), c_echo_s16((-32768)::int2), c_echo_u32(4294967295), c_echo_s32(-2147483648),
       c_add_s32(2147483647, 1) AS s32_wraps, c_echo_s64(-9223372036854775808);
SELECT c_echo_u64(18446744073709551615) AS u64_max, c_echo_u64(0) AS u64_zero,
       c_add_u64(18446744073709551615, 2) AS u64_wraps, c_echo_u64(42.000) AS whole;
-- Out of range on the way in: 22003 naming the WIT type and the parameter.
SELECT error_detail_of($$SELECT c_echo_u8(256)$$);
SELECT error_detail_of($$SELECT c_echo_u8(-1)$$);
SELECT error_detail_of($$SELECT c_echo_s8(128)$$);
SELECT error_detail_of($$SELECT c_echo_u16(65536)$$);
SELECT error_detail_of($$SELECT c_echo_u32(-1)$$);
SELECT error_detail_of($$SELECT c_echo_u64(18446744073709551616)$$);
SELECT error_detail_of($$SELECT c_echo_u64(-1)$$);
SELECT error_detail_of($$SELECT c_echo_u64(1.5)$$);
SELECT error_detail_of($$SELECT c_echo_u64('NaN')$$);
SELECT error_detail_of($$SELECT c_echo_u64_int8(-1)$$);
-- Out of range on the way out: a u32 sum too large for integer, a u64 too
-- large for bigint.
SELECT error_detail_of($$SELECT c_add_u32_int4(4000000000, 1)$$);
SELECT c_add_u32_int4(2000000000, 1);
SELECT error_detail_of($$SELECT c_add_u64_int8(9223372036854775807, 1)$$);
SELECT c_add_u64_int8(9223372036854775806, 1);
-- A WIT integer takes no float.
SELECT error_detail_of($$CREATE FUNCTION c_bad(float8) RETURNS int4 LANGUAGE wasm
    AS 'sqlt::echo-s32'$$);

--
-- f32 and f64: real and double precision; NaN, infinities and -0 travel.
--
CREATE FUNCTION c_echo_f32(real) RETURNS real LANGUAGE wasm AS 'sqlt::echo-f32';
CREATE FUNCTION c_half_f32(real) RETURNS real LANGUAGE wasm AS 'sqlt::half-f32';
CREATE FUNCTION c_echo_f64(float8) RETURNS float8 LANGUAGE wasm AS 'sqlt::echo-f64';
CREATE FUNCTION c_half_f64(float8) RETURNS float8 LANGUAGE wasm AS 'sqlt::half-f64';
CREATE FUNCTION c_echo_f32_wide(float8) RETURNS float8 LANGUAGE wasm AS 'sqlt::echo-f32';
SELECT c_half_f32(3), c_half_f64(1), c_echo_f32('NaN'), c_echo_f32('-Infinity'),
       c_echo_f64('Infinity'), c_echo_f64('-0'), c_echo_f64(1e300);
SELECT c_echo_f32_wide(0.5), c_echo_f32(NULL) IS NULL AS null_in_null_out;
SELECT error_detail_of($$SELECT c_echo_f32_wide(1e300)$$);

--
-- char: a text of exactly one character.
--
CREATE FUNCTION c_next_char(text) RETURNS text LANGUAGE wasm AS 'sqlt::next-char';
CREATE FUNCTION c_bad_char(text) RETURNS text LANGUAGE wasm AS 'sqlt::bad-char';
SELECT c_next_char('a'), c_next_char('é'), c_next_char(U&'\D7FF') = U&'\E000' AS skips_surrogates,
       c_next_char('😀');
SELECT error_detail_of($$SELECT c_next_char('ab')$$);
SELECT error_detail_of($$SELECT c_next_char('')$$);
-- A guest returning a char that is no Unicode scalar value broke the ABI:
-- 38000, and its instance goes; the next call gets a new one.
SELECT error_detail_of($$SELECT c_bad_char('x')$$);
SELECT c_bad_char('y');

--
-- string: text, varchar, char(n), json and jsonb by their text; in UTF-8
-- whatever the database's encoding.
--
CREATE FUNCTION c_repeat(text, int8) RETURNS text LANGUAGE wasm AS 'sqlt::repeat';
CREATE FUNCTION c_slugify_vc(varchar) RETURNS varchar LANGUAGE wasm AS 'sqlt::slugify';
CREATE FUNCTION c_length_jsonb(jsonb) RETURNS int8 LANGUAGE wasm AS 'sqlt::length';
CREATE FUNCTION c_repeat_json(text, int8) RETURNS json LANGUAGE wasm AS 'sqlt::repeat';
SELECT c_repeat('ü€😀', 2), c_length('ü€😀') AS utf8_bytes, c_slugify_vc('Var Char');
SELECT c_repeat('', 5) = '' AS empty, c_repeat('x', 0) = '' AS zero_times, c_length('');
SELECT c_length_jsonb('{"a": [1, 2]}'), c_repeat_json('[1]', 1);
-- A megabyte each way.
SELECT length(c_repeat('ab', 500000)) AS chars,
       c_length(repeat('é', 500000)) AS bytes,
       length(c_slugify(repeat('Ab ', 350000))) AS slug;
-- Text a database cannot parse as the SQL type: json_in's own error.
SELECT error_detail_of($$SELECT c_repeat_json('{', 1)$$);
SELECT c_repeat(NULL, 2) IS NULL AS null_in_null_out;

--
-- list<u8>: bytea.
--
CREATE FUNCTION c_reverse_bytes(bytea) RETURNS bytea LANGUAGE wasm AS 'sqlt::reverse-bytes';
SELECT c_reverse_bytes('\x010203'), c_reverse_bytes(''), c_reverse_bytes(NULL) IS NULL AS null_in;
SELECT length(c_reverse_bytes(convert_to(repeat('xyz', 400000), 'UTF8'))) AS mb,
       c_reverse_bytes(c_reverse_bytes(convert_to(repeat('xyz', 4000), 'UTF8')))
         = convert_to(repeat('xyz', 4000), 'UTF8') AS round_trip;

--
-- option<T>: NULL is none, for a function that is not STRICT; a STRICT
-- function is not called for a NULL, as PostgreSQL does.
--
CREATE FUNCTION c_maybe_double(int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::maybe-double';
CREATE FUNCTION c_maybe_double_strict(int4) RETURNS int4 LANGUAGE wasm STRICT
    AS 'sqlt::maybe-double';
SELECT c_maybe_double(21), c_maybe_double(NULL) IS NULL AS none_is_null,
       c_maybe_double_strict(NULL) IS NULL AS strict_null;

--
-- result<T, E>: ok is T; err is an ERROR with SQLSTATE 38000 whose DETAIL
-- names the module and export. err(string) is the message; an enum error
-- is its label.
--
CREATE FUNCTION c_checked_div(int4, int4) RETURNS int4 LANGUAGE wasm AS 'sqlt::checked-div';
CREATE FUNCTION c_parse_port(text) RETURNS int4 LANGUAGE wasm AS 'sqlt::parse-port';
SELECT c_checked_div(7, 2), c_parse_port('5432');
SELECT error_detail_of($$SELECT c_checked_div(1, 0)$$);
SELECT error_detail_of($$SELECT c_parse_port('')$$);
SELECT error_detail_of($$SELECT c_parse_port('http')$$);
SELECT error_detail_of($$SELECT c_parse_port('70000')$$);
-- The session goes on after every error above.
SELECT c_checked_div(9, 3), c_slugify('Still Here');

--
-- A component that breaks the canonical ABI (sql_hostile): every break is
-- an ERROR (38000 naming module and export; a list over the budget,
-- wasm.max_memory, is 54000) and the instance goes; a trap,
-- in the function or in its post-return, is the engine's ERROR. The next
-- call works, in a new instance.
--
SELECT wasm.load_module('sqlh', guest('sql_hostile.wasm')) IS NOT NULL AS loaded;
CREATE FUNCTION h_ok(int4) RETURNS int4 LANGUAGE wasm AS 'sqlh::ok';
CREATE FUNCTION h_string_out_of_memory() RETURNS text LANGUAGE wasm
    AS 'sqlh::string-out-of-memory';
CREATE FUNCTION h_string_not_utf8() RETURNS text LANGUAGE wasm AS 'sqlh::string-not-utf8';
CREATE FUNCTION h_huge_list() RETURNS bytea LANGUAGE wasm AS 'sqlh::huge-list';
CREATE FUNCTION h_unaligned_list() RETURNS int8[] LANGUAGE wasm AS 'sqlh::unaligned-list';
CREATE FUNCTION h_return_area_out_of_memory() RETURNS text LANGUAGE wasm
    AS 'sqlh::return-area-out-of-memory';
CREATE FUNCTION h_return_area_unaligned() RETURNS text LANGUAGE wasm
    AS 'sqlh::return-area-unaligned';
CREATE FUNCTION h_bad_option() RETURNS int4 LANGUAGE wasm AS 'sqlh::bad-option';
CREATE FUNCTION h_bad_result() RETURNS int4 LANGUAGE wasm AS 'sqlh::bad-result';
CREATE FUNCTION h_bad_char() RETURNS text LANGUAGE wasm AS 'sqlh::bad-char';
CREATE FUNCTION h_realloc_out_of_memory(text) RETURNS int8 LANGUAGE wasm
    AS 'sqlh::realloc-out-of-memory';
CREATE FUNCTION h_post_return_traps() RETURNS text LANGUAGE wasm AS 'sqlh::post-return-traps';
CREATE FUNCTION h_traps() RETURNS int4 LANGUAGE wasm AS 'sqlh::traps';
SELECT h_ok(1);
SELECT error_detail_of($$SELECT h_string_out_of_memory()$$);
SELECT error_detail_of($$SELECT h_string_not_utf8()$$);
SELECT error_detail_of($$SELECT h_huge_list()$$);
SELECT error_detail_of($$SELECT h_unaligned_list()$$);
SELECT error_detail_of($$SELECT h_return_area_out_of_memory()$$);
SELECT error_detail_of($$SELECT h_return_area_unaligned()$$);
SELECT error_detail_of($$SELECT h_bad_option()$$);
SELECT error_detail_of($$SELECT h_bad_result()$$);
SELECT error_detail_of($$SELECT h_bad_char()$$);
SELECT error_detail_of($$SELECT h_realloc_out_of_memory('ab')$$);
SELECT h_realloc_out_of_memory('a') AS one_byte_fits;
-- Traps: the engines word them differently, the SQLSTATE is the same.
SELECT sqlstate_of($$SELECT h_post_return_traps()$$) AS post_return_trap,
       sqlstate_of($$SELECT h_traps()$$) AS trap;
SELECT h_ok(41);
DROP FUNCTION h_ok(int4), h_string_out_of_memory(), h_string_not_utf8(), h_huge_list(),
    h_unaligned_list(), h_return_area_out_of_memory(), h_return_area_unaligned(),
    h_bad_option(), h_bad_result(), h_bad_char(), h_realloc_out_of_memory(text),
    h_post_return_traps(), h_traps();
SELECT wasm.drop_module('sqlh');

-- Aggregates need nothing new: a component function is an ordinary
-- transition function. add-s32 sums (wrapping as s32 does); over no rows
-- the aggregate gives its initial state without a call.
CREATE AGGREGATE c_sum32(int4) (SFUNC = c_add_s32, STYPE = int4, INITCOND = '0');
SELECT c_sum32(x) AS sum_1_to_100, c_sum32(x) FILTER (WHERE x > 100) AS no_rows
  FROM generate_series(1, 100) AS x;
SELECT x % 2 = 0 AS even, c_sum32(x) FROM generate_series(1, 10) AS x GROUP BY 1 ORDER BY 1;
DROP AGGREGATE c_sum32(int4);

DROP FUNCTION c_slugify(text), slugify(text), c_text_slugify(text), c_text_shout(text),
    c_other_shout(text), c_length(text), c_not(bool), c_add_u8(int2, int2), c_add_s8(int2, int2),
    c_echo_u8(int4), c_echo_s8(int8), c_echo_u16(int4), c_echo_s16(int2), c_echo_u32(int8),
    c_add_u32_int4(int8, int8), c_echo_s32(int4), c_add_s32(int4, int4), c_echo_s64(int8),
    c_echo_u64(numeric), c_add_u64(numeric, numeric), c_echo_u64_int8(int8),
    c_add_u64_int8(int8, int8), c_echo_f32(real), c_half_f32(real), c_echo_f64(float8),
    c_half_f64(float8), c_echo_f32_wide(float8), c_next_char(text), c_bad_char(text),
    c_repeat(text, int8), c_slugify_vc(varchar), c_length_jsonb(jsonb), c_repeat_json(text, int8),
    c_reverse_bytes(bytea), c_maybe_double(int4), c_maybe_double_strict(int4),
    c_checked_div(int4, int4), c_parse_port(text);
SELECT wasm.drop_module('sqlt');
SELECT wasm.drop_module('sqlt_core');
