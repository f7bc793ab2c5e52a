--
-- Rows and sets under pg_wasm's ABI (docs/abi.md): a row is a MessagePack
-- array of its column values; a set is a MessagePack array of rows (or of
-- values, for SETOF a plain type). (test/guests/abi.c)
--
SELECT wasm.load_module_file('abi', current_setting('regress.guests') || '/abi.wasm') IS NOT NULL AS loaded;

-- A row through OUT parameters, and through a composite type.
CREATE FUNCTION row_of(n int4, OUT n int4, OUT square text, OUT even bool) LANGUAGE wasm STRICT AS 'abi';
SELECT * FROM row_of(12);
SELECT (row_of(7)).square;
-- Values convert to each column's type: int4 to int8, text to numeric.
CREATE TYPE squared AS (n int8, square numeric, even bool);
CREATE FUNCTION row_of_type(int4) RETURNS squared LANGUAGE wasm STRICT AS 'abi::row_of';
SELECT * FROM row_of_type(3);
-- A value that cannot become the column's type is an error.
CREATE TYPE squared_wrong AS (n int8, square numeric, even text);
CREATE FUNCTION row_of_wrong(int4) RETURNS squared_wrong LANGUAGE wasm STRICT AS 'abi::row_of';
SELECT row_of_wrong(4);
-- Dropped columns do not count.
CREATE TYPE squared_later AS (n int8, gone int4, square text, even bool);
ALTER TYPE squared_later DROP ATTRIBUTE gone;
CREATE FUNCTION row_of_later(int4) RETURNS squared_later LANGUAGE wasm STRICT AS 'abi::row_of';
SELECT row_of_later(4);

-- SETOF a plain type: a MessagePack array of values.
CREATE FUNCTION count_to(int4) RETURNS SETOF int4 LANGUAGE wasm STRICT AS 'abi';
SELECT * FROM count_to(5);
SELECT count(*), sum(x) FROM count_to(100000) x;
SELECT * FROM count_to(0);
SELECT count_to(3);  -- in the select list too

-- RETURNS TABLE: a MessagePack array of rows.
CREATE FUNCTION words(text) RETURNS TABLE (word text, pos int4) LANGUAGE wasm STRICT AS 'abi';
SELECT * FROM words('  the quick  brown fox ');
SELECT w.word, length(w.word) FROM words('lateral works too') w ORDER BY 2 DESC, 1;
SELECT t.id, w.* FROM (VALUES (1, 'a b'), (2, 'c')) t(id, s), LATERAL words(t.s) w;
SELECT * FROM words('');

-- Shapes that do not fit are errors.
CREATE FUNCTION bad_row(OUT a int4, OUT b int4) LANGUAGE wasm AS 'abi';
SELECT * FROM bad_row();
CREATE FUNCTION not_msgpack(OUT a int4, OUT b int4) LANGUAGE wasm AS 'abi';
SELECT * FROM not_msgpack();
CREATE FUNCTION bad_set() RETURNS SETOF int4 LANGUAGE wasm AS 'abi::bad_utf8';
SELECT * FROM bad_set();
CREATE FUNCTION row_not_set() RETURNS SETOF squared LANGUAGE wasm AS 'abi::bad_row';
SELECT * FROM row_not_set();
-- Sets and rows need pg_wasm's ABI.
CREATE FUNCTION direct_set(int4) RETURNS SETOF int4 LANGUAGE wasm AS 'abi::count_to abi=direct';
-- INOUT and VARIADIC parameters are not supported.
CREATE FUNCTION inout_fn(INOUT a int4) LANGUAGE wasm AS 'abi::echo_i32';

SET client_min_messages = warning;
SELECT wasm.drop_module('abi', cascade => true);
RESET client_min_messages;
DROP TYPE squared, squared_wrong, squared_later;
