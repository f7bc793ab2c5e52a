--
-- WIT records, tuples, lists, enums, flags and variants as SQL values, and
-- lists as sets of rows (docs/components-sql.md). The component is
-- test/components/guests/sql_composites.c, world sql-composites
-- (test/components/wit/sql-composites.wit). Every row of the mapping goes
-- both ways: SQL values in as arguments, WIT values back as results.
--
SELECT wasm.load_module('comp', guest('sql_composites.wasm')) IS NOT NULL AS loaded;

--
-- record <-> composite type: attributes match fields by name.
--
-- record point { x: s32, y: s32 }; move(p: point, dx: s32) -> point.
-- (PostgreSQL has a type point of its own: the composite type is xy.)
CREATE TYPE xy AS (x int4, y int4);
CREATE FUNCTION c_move(p xy, dx int4) RETURNS xy LANGUAGE wasm STRICT AS 'comp::move';
SELECT c_move(row(1, 2), 10) AS moved, (c_move(row(-5, 7), 5)).*;
-- The order of the attributes is free: y first works the same.
CREATE TYPE point_yx AS (y int4, x int4);
CREATE FUNCTION c_move_yx(p point_yx, dx int4) RETURNS point_yx LANGUAGE wasm STRICT
    AS 'comp::move';
SELECT c_move_yx(row(2, 1), 10) AS "(y,x)";
-- A dropped attribute is not there for the mapping.
CREATE TYPE point_d AS (x int4, gone text, y int4);
ALTER TYPE point_d DROP ATTRIBUTE gone;
CREATE FUNCTION c_move_d(p point_d, dx int4) RETURNS point_d LANGUAGE wasm STRICT
    AS 'comp::move';
SELECT c_move_d(row(1, 2), 1);
-- A NULL record under STRICT is no call; a NULL attribute of a field that is
-- no option is 22004, naming the field.
SELECT c_move(NULL, 1) IS NULL AS no_call;
SELECT error_detail_of($$SELECT c_move(row(1, NULL), 10)$$);
-- The composite type must have exactly the record's fields, with types that
-- carry them: checked at CREATE FUNCTION (42804, both types named).
CREATE TYPE xyz AS (x int4, y int4, z int4);
CREATE TYPE point_xz AS (x int4, z int4);
CREATE TYPE point_tx AS (x text, y int4);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p xyz, dx int4) RETURNS xy LANGUAGE wasm AS 'comp::move'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p point_xz, dx int4) RETURNS xy LANGUAGE wasm AS 'comp::move'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p point_tx, dx int4) RETURNS xy LANGUAGE wasm AS 'comp::move'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p int4, dx int4) RETURNS xy LANGUAGE wasm AS 'comp::move'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p xy, dx int4) RETURNS xyz LANGUAGE wasm AS 'comp::move'$$);

-- A string field and an option field: record person { name: string,
-- age: option<u8> }. NULL is the option's none; an age out of u8 is 22003.
CREATE TYPE person AS (name text, age int2);
CREATE FUNCTION c_greet(p person) RETURNS text LANGUAGE wasm STRICT AS 'comp::greet';
SELECT c_greet(row('Ada', 36)) AS ada, c_greet(row('Bob', NULL)) AS bob,
       c_greet(row('', 0)) AS nobody;
SELECT error_detail_of($$SELECT c_greet(row('Eve', 300))$$);
SELECT error_detail_of($$SELECT c_greet(row(NULL, 1))$$);

-- Fields in kebab-case match attributes in snake_case: record span
-- { start-at: s32, end-at: s32 } is (start_at, end_at).
CREATE TYPE span AS (start_at int4, end_at int4);
CREATE FUNCTION c_widen(s span, amount int4) RETURNS span LANGUAGE wasm STRICT AS 'comp::widen';
SELECT c_widen(row(5, 10), 2);
CREATE TYPE span_camel AS ("startAt" int4, "endAt" int4);
SELECT error_detail_of($$CREATE FUNCTION c_bad(s span_camel, amount int4) RETURNS span LANGUAGE wasm AS 'comp::widen'$$);

-- Records inside records: record segment { a: point, b: point }. A NULL
-- nested record, or a NULL inside it, is named by its path.
CREATE TYPE segment AS (a xy, b xy);
CREATE FUNCTION c_flip(s segment) RETURNS segment LANGUAGE wasm STRICT AS 'comp::flip';
SELECT c_flip(row(row(1, 2), row(3, 4)));
SELECT (c_flip(row(row(1, 2), row(3, 4)))).a.x AS a_x;
SELECT error_detail_of($$SELECT c_flip(row(row(1, 2), NULL))$$);
SELECT error_detail_of($$SELECT c_flip(row(row(1, NULL), row(3, 4)))$$);

-- Enum and flags fields: record pixel { at: point, hue: color, mode: perms }
-- is (at point, hue text, mode text[]), or hue a SQL enum.
CREATE TYPE pixel AS (at xy, hue text, mode text[]);
CREATE FUNCTION c_paint(p pixel) RETURNS pixel LANGUAGE wasm STRICT AS 'comp::paint';
SELECT c_paint(row(row(0, 0), 'blue', '{read}'));
SELECT error_detail_of($$SELECT c_paint(row(row(0, 0), 'pink', '{}'))$$);
CREATE TYPE color AS ENUM ('blue', 'green', 'red');
CREATE TYPE pixel_e AS (at xy, hue color, mode text[]);
CREATE FUNCTION c_paint_e(p pixel_e) RETURNS pixel_e LANGUAGE wasm STRICT AS 'comp::paint';
SELECT c_paint_e(row(row(0, 0), 'green', '{exec}'));

--
-- tuple <-> composite type, by position: the attributes' names do not
-- matter, their number and types do.
--
-- swap(t: tuple<s32, string>) -> tuple<string, s32>.
CREATE TYPE int_text AS (n int4, s text);
CREATE TYPE text_int AS (label text, number int4);
CREATE FUNCTION c_swap(t int_text) RETURNS text_int LANGUAGE wasm STRICT AS 'comp::swap';
SELECT c_swap(row(7, 'seven')), (c_swap(row(-1, ''))).*;
SELECT error_detail_of($$CREATE FUNCTION c_bad(t text_int) RETURNS text_int LANGUAGE wasm AS 'comp::swap'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(t xyz) RETURNS text_int LANGUAGE wasm AS 'comp::swap'$$);
SELECT error_detail_of($$SELECT c_swap(row(1, NULL))$$);

--
-- list<T> <-> T[], one dimension; the elements map as T does.
--
CREATE FUNCTION c_sum(xs int4[]) RETURNS int8 LANGUAGE wasm STRICT AS 'comp::sum';
SELECT c_sum('{1,2,3}') AS six, c_sum('{}') AS zero,
       c_sum(ARRAY[2147483647, 2147483647]) AS wide, c_sum('[0:2]={1,2,3}') AS lower_bound_0;
-- A NULL element where the element is no option: 22004; two dimensions: 2202E.
SELECT error_detail_of($$SELECT c_sum('{1,NULL}')$$);
SELECT error_detail_of($$SELECT c_sum('{{1,2},{3,4}}')$$);
-- The element type must carry the WIT element; a scalar is no list.
SELECT error_detail_of($$CREATE FUNCTION c_bad(xs text[]) RETURNS int8 LANGUAGE wasm AS 'comp::sum'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(xs int4) RETURNS int8 LANGUAGE wasm AS 'comp::sum'$$);
-- list<string> <-> text[].
CREATE FUNCTION c_upper_all(xs text[]) RETURNS text[] LANGUAGE wasm STRICT AS 'comp::upper-all';
SELECT c_upper_all('{abc,"d e",""}') AS upper, c_upper_all('{}') AS empty;
-- list<option<s32>> takes NULL elements (none).
CREATE FUNCTION c_compact(xs int4[]) RETURNS int4[] LANGUAGE wasm STRICT AS 'comp::compact';
SELECT c_compact('{1,NULL,3,NULL}') AS compacted, c_compact('{NULL}') AS none_left;
-- list<record> <-> an array of the composite type.
CREATE FUNCTION c_points_array(n int8) RETURNS xy[] LANGUAGE wasm STRICT AS 'comp::points';
SELECT c_points_array(3), c_points_array(0);

--
-- A list result as a set of rows: list<record> as SETOF a composite type or
-- RETURNS TABLE (columns by field name), list<T> as SETOF T. result<list<...>,
-- E> too, its error an ERROR.
--
CREATE FUNCTION c_points(n int8) RETURNS SETOF xy LANGUAGE wasm STRICT AS 'comp::points';
SELECT * FROM c_points(4);
SELECT count(*) AS no_rows FROM c_points(0);
CREATE FUNCTION c_points_table(n int8) RETURNS TABLE (y int4, x int4) LANGUAGE wasm STRICT
    AS 'comp::points';
SELECT * FROM c_points_table(3);
SELECT error_detail_of($$CREATE FUNCTION c_bad(n int8) RETURNS TABLE (x int4, z int4) LANGUAGE wasm AS 'comp::points'$$);
CREATE FUNCTION c_names(n int8) RETURNS SETOF text LANGUAGE wasm STRICT AS 'comp::names';
SELECT * FROM c_names(3);
SELECT n, c_names(n) FROM generate_series(1, 2) n;
CREATE FUNCTION c_points_checked(n int4) RETURNS SETOF xy LANGUAGE wasm STRICT
    AS 'comp::points-checked';
SELECT * FROM c_points_checked(2);
SELECT error_detail_of($$SELECT * FROM c_points_checked(-1)$$);

--
-- enum <-> text (the label, checked) or a SQL enum with the same labels.
--
CREATE FUNCTION c_next_color(c text) RETURNS text LANGUAGE wasm STRICT AS 'comp::next-color';
SELECT c, c_next_color(c) FROM unnest(ARRAY['red', 'green', 'blue']) c;
-- Labels are exact: 22P02 lists them.
SELECT error_detail_of($$SELECT c_next_color('pink')$$);
SELECT error_detail_of($$SELECT c_next_color('Red')$$);
-- A SQL enum: the same labels in any order (color above is blue, green, red).
CREATE FUNCTION c_next_color_e(c color) RETURNS color LANGUAGE wasm STRICT AS 'comp::next-color';
SELECT c, c_next_color_e(c) FROM unnest(enum_range(NULL::color)) c;
-- Other labels: 42804 at CREATE FUNCTION, saying which differ.
CREATE TYPE colour AS ENUM ('red', 'green', 'blue', 'pink');
CREATE TYPE hue AS ENUM ('red', 'green');
SELECT error_detail_of($$CREATE FUNCTION c_bad(c colour) RETURNS text LANGUAGE wasm AS 'comp::next-color'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(c text) RETURNS hue LANGUAGE wasm AS 'comp::next-color'$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(c int4) RETURNS text LANGUAGE wasm AS 'comp::next-color'$$);

--
-- flags <-> text[]: the labels set, given in any order and more than once,
-- returned in declaration order.
--
CREATE FUNCTION c_invert(p text[]) RETURNS text[] LANGUAGE wasm STRICT AS 'comp::invert';
SELECT p, c_invert(p)
  FROM (VALUES ('{}'::text[]), ('{read}'), ('{exec,read}'), ('{read,write,exec}'),
               ('{write,write}')) v(p);
SELECT error_detail_of($$SELECT c_invert('{read,delete}')$$);
SELECT error_detail_of($$SELECT c_invert('{read,NULL}')$$);
SELECT error_detail_of($$SELECT c_invert('{{read},{write}}')$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(p text) RETURNS text[] LANGUAGE wasm AS 'comp::invert'$$);

--
-- variant <-> jsonb {"tag": "<case>", "val": <payload>}, no "val" for a
-- case without payload (jco's shape for JavaScript).
--
-- variant shape { circle(f64), rect(tuple<f64, f64>), none }.
CREATE FUNCTION c_area(s jsonb) RETURNS float8 LANGUAGE wasm STRICT AS 'comp::area';
SELECT s, c_area(s)
  FROM (VALUES ('{"tag": "circle", "val": 1}'::jsonb), ('{"tag": "rect", "val": [2, 3.5]}'),
               ('{"tag": "none"}')) v(s);
-- Shapes that are no shape: 22P02 showing where and the cases.
SELECT error_detail_of($$SELECT c_area('{"tag": "square", "val": 1}')$$);
SELECT error_detail_of($$SELECT c_area('{"tag": "none", "val": 1}')$$);
SELECT error_detail_of($$SELECT c_area('{"tag": "circle"}')$$);
SELECT error_detail_of($$SELECT c_area('{"tag": "circle", "val": 1, "r": 2}')$$);
SELECT error_detail_of($$SELECT c_area('{"tag": "rect", "val": [1]}')$$);
SELECT error_detail_of($$SELECT c_area('{"tag": "circle", "val": "1"}')$$);
SELECT error_detail_of($$SELECT c_area('"circle"')$$);
SELECT error_detail_of($$CREATE FUNCTION c_bad(s json) RETURNS float8 LANGUAGE wasm AS 'comp::area'$$);
-- Results: unit(s: f64) -> shape.
CREATE FUNCTION c_unit(s float8) RETURNS jsonb LANGUAGE wasm STRICT AS 'comp::unit';
SELECT s, c_unit(s), c_area(c_unit(s)) FROM unnest(ARRAY[2, 0, -3]::float8[]) s;
-- Every payload kind, through list<item> <-> jsonb[] and back unchanged:
-- u64 and s64 exact, strings, records as objects (WIT field names), lists
-- as arrays, option none as null, bool, enum label, flags as a label array
-- (declaration order), char, f32, tuple as array.
CREATE FUNCTION c_echo_items(xs jsonb[]) RETURNS jsonb[] LANGUAGE wasm STRICT
    AS 'comp::echo-items';
SELECT unnest(c_echo_items(ARRAY[
    '{"tag": "count", "val": 18446744073709551615}',
    '{"tag": "delta", "val": -9223372036854775808}',
    '{"tag": "word", "val": "h\u00e9llo \"q\"\n"}',
    '{"tag": "at", "val": {"x": 1, "y": -2}}',
    '{"tag": "path", "val": [{"x": 0, "y": 0}, {"y": 1, "x": 1}]}',
    '{"tag": "maybe", "val": 5}',
    '{"tag": "maybe", "val": null}',
    '{"tag": "yes", "val": true}',
    '{"tag": "hue", "val": "green"}',
    '{"tag": "mode", "val": ["exec", "read"]}',
    '{"tag": "letter", "val": "\u00e9"}',
    '{"tag": "ratio", "val": 0.5}',
    '{"tag": "ratio", "val": "NaN"}',
    '{"tag": "pair", "val": [255, "x"]}',
    '{"tag": "count", "val": 7.0}',
    '{"tag": "nothing"}']::jsonb[])) AS item;
-- Payloads out of their WIT type: out of range is 22003, the rest 22P02.
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "count", "val": -1}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "pair", "val": [256, "x"]}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "count", "val": 1.5}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "at", "val": {"x": 1}}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "at", "val": {"x": 1, "y": 2, "z": 3}}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "letter", "val": "ab"}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "mode", "val": ["read", "all"]}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY['{"tag": "path", "val": [{"x": 1, "y": "2"}]}']::jsonb[])$$);
SELECT error_detail_of($$SELECT c_echo_items(ARRAY[NULL]::jsonb[])$$);

--
-- wasm.create_functions: prefix_<function> for each WIT function (kebab-case
-- to snake_case), non-STRICT where a parameter is an option, and a composite
-- type prefix_<record> for each record the functions need. Enums are text,
-- flags text[], variants jsonb; list<record> results are SETOF. A tuple
-- needs a composite type of its own: that function is skipped, with why.
--
CREATE SCHEMA comp_made;
SET search_path = comp_made, public;
SELECT wasm.create_functions('comp', 'k')::text AS created ORDER BY 1;
SELECT t.typname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                             ORDER BY a.attnum) AS attributes
  FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0
  WHERE t.typnamespace = 'comp_made'::regnamespace AND t.typtype = 'c'
  GROUP BY t.typname ORDER BY t.typname;
SELECT p.proname, p.proisstrict, p.proretset, pg_get_function_result(p.oid) AS result
  FROM pg_proc p WHERE p.pronamespace = 'comp_made'::regnamespace ORDER BY p.proname;
SELECT k_move(row(1, 2), 3) AS moved, k_greet(row('Ada', NULL)) AS greeting,
       k_next_color('red') AS next, k_invert('{read}') AS inverted,
       k_upper_all('{a}') AS upper, k_unit(1) AS unit;
SELECT * FROM k_points(3);
SELECT k_paint(row(row(1, 1), 'red', '{}'));
-- Again: the types are there with the same attributes and are reused; the
-- functions are there too (replace => true makes them again).
SELECT count(*) AS created FROM wasm.create_functions('comp', 'k', true);
-- A type already there with other attributes is left alone: a NOTICE says
-- so, and the functions that need it are skipped.
CREATE SCHEMA comp_other;
SET search_path = comp_other, public;
CREATE TYPE k_point AS (x int4, z int4);
SELECT wasm.create_functions('comp', 'k')::text AS created ORDER BY 1;
RESET search_path;
DROP SCHEMA comp_made, comp_other CASCADE;

DROP FUNCTION c_move, c_move_yx, c_move_d, c_greet, c_widen, c_flip, c_paint, c_paint_e, c_swap,
    c_sum, c_upper_all, c_compact, c_points_array, c_points, c_points_table, c_names,
    c_points_checked, c_next_color, c_next_color_e, c_invert, c_area, c_unit, c_echo_items;
DROP TYPE point_yx, point_d, xyz, point_xz, point_tx, person, span, span_camel, segment,
    pixel, pixel_e, int_text, text_int, colour, hue;
DROP TYPE xy, color;
SELECT wasm.drop_module('comp');
