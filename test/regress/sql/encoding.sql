--
-- Guests always see UTF-8; a database in another encoding converts on the
-- way in and out, and a character the database cannot hold is an ERROR.
--
\getenv guests PG_WASM_GUESTS
DROP DATABASE IF EXISTS pg_wasm_latin1;
CREATE DATABASE pg_wasm_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
\c pg_wasm_latin1
SET client_encoding = 'UTF8';
SET lc_messages = 'C';
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('text', :'guests' || '/text.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('json', :'guests' || '/json.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION reverse_text(text) RETURNS text LANGUAGE wasm STRICT AS 'text::reverse';
CREATE FUNCTION word_count(text) RETURNS int4 LANGUAGE wasm STRICT AS 'text';
CREATE FUNCTION json_get(json, text) RETURNS text LANGUAGE wasm STRICT AS 'json';

-- Latin-1 characters arrive as UTF-8 (reversed by character) and come back.
SELECT reverse_text('héllo wörld'), length(reverse_text('çàé')), word_count('ça va très bien');
SELECT reverse_text(s) = reverse(s) AS same_as_builtin
FROM (SELECT string_agg(chr(160 + (i * 7) % 96), '') AS s FROM generate_series(1, 500) i) t;
SELECT json_get('{"nom": "Zoë", "x": 1}', 'nom');

-- A guest result the database cannot store: the JSON escape decodes to a
-- character outside Latin-1.
SELECT json_get('{"k": "\u65e5"}', 'k');
SELECT reverse_text('still usable');

\c pg_wasm_regress
DROP DATABASE pg_wasm_latin1;
