--
-- SQL functions written in JavaScript (docs/components-guide.md):
-- test/components/js/js_text.js, built at build time by componentize-js with
-- its defaults for the world js-text (test/components/js/js-text.wit). Such
-- a component carries a JavaScript engine (StarlingMonkey, about 12 MB and
-- 300,000 branches), whose native build takes minutes, so this suite runs
-- on V8 and asks for no native build (its state is shown at the end). The
-- component imports WASI 0.2; a pure function calls only the clock. Two
-- builds of the same source differ, so no checksum is shown.
--
SET wasm.engine = v8;
SELECT wasm.load_module('jstext', guest('js_text.wasm')) IS NOT NULL AS loaded;

-- Its functions, with their WIT types and the SQL types they suggest.
SELECT * FROM wasm.module_exports('jstext') ORDER BY name;

--
-- string -> string: text in, text out. NULL in gives NULL without a call.
--
CREATE FUNCTION js_slugify(text) RETURNS text LANGUAGE wasm AS 'jstext::slugify';
SELECT js_slugify('Hello, World!'), js_slugify('  --already-a-slug--  '), js_slugify('') = '' AS empty;
-- JavaScript lower-cases all of Unicode; the pattern then keeps only [a-z0-9].
SELECT js_slugify('Héllo WÖRLD, 42 ÉTÉS');
SELECT js_slugify(NULL) IS NULL AS null_in_null_out;
-- A megabyte in and out.
SELECT length(js_slugify(repeat('Ab ', 350000))) AS slug_length;

--
-- result<point, string>: ok is a row of a composite type whose fields are
-- the record's; err is an ERROR carrying what the function threw.
--
CREATE TYPE js_point AS (x int4, y int4);
CREATE FUNCTION js_parse_point(text) RETURNS js_point LANGUAGE wasm AS 'jstext::parse-point';
SELECT js_parse_point('(3, -4)') AS p, (js_parse_point(' ( 10 ,20 ) ')).y AS y;
SELECT error_detail_of($$SELECT js_parse_point('3, 4')$$);
SELECT error_detail_of($$SELECT js_parse_point('(3000000000, 1)')$$);

--
-- list<string>: a text[], or a set of rows.
--
CREATE FUNCTION js_words(text) RETURNS text[] LANGUAGE wasm AS 'jstext::words';
CREATE FUNCTION js_word_rows(text) RETURNS SETOF text LANGUAGE wasm AS 'jstext::words';
SELECT js_words(E'  the quick\tbrown  fox '), js_words('   ') AS no_words;
SELECT w, length(w) FROM js_word_rows('a bb ccc') AS w;

--
-- option<string> -> option<u32>: NULL is none both ways (the function is
-- called on NULL). JavaScript counts UTF-16 code units: '😀' is 2.
--
CREATE FUNCTION js_maybe_len(text) RETURNS int8 LANGUAGE wasm AS 'jstext::maybe-len';
SELECT js_maybe_len('héllo') AS hello, js_maybe_len('😀') AS emoji,
       js_maybe_len(NULL) IS NULL AS none_is_null;

--
-- A throw in a function whose WIT result is not a result: the JavaScript
-- runtime writes the error and its stack to stderr (the server log) and
-- aborts, a trap. The instance is discarded; the next call gets a fresh one.
--
CREATE FUNCTION js_shout(text) RETURNS text LANGUAGE wasm AS 'jstext::shout';
SELECT error_detail_of($$SELECT js_shout('hey')$$);
SELECT js_slugify('Still Here');

--
-- console.log writes a LOG line to the server log, naming the module.
--
CREATE FUNCTION js_greet(text) RETURNS text LANGUAGE wasm AS 'jstext::greet';
SET client_min_messages = log;
SELECT js_greet('world');
RESET client_min_messages;

--
-- Its native build: none was asked for (the module was loaded with
-- wasm.engine = v8). With wasm.engine = auto a background worker builds it
-- while V8 serves (docs/native-engine.md, "Split builds").
--
SELECT fuel, state, reason FROM wasm.native_build('jstext') ORDER BY fuel;
SELECT wasm.module_engine('jstext');

DROP FUNCTION js_slugify(text), js_parse_point(text), js_words(text), js_word_rows(text),
    js_maybe_len(text), js_shout(text), js_greet(text);
DROP TYPE js_point;
SELECT wasm.drop_module('jstext');
RESET wasm.engine;
