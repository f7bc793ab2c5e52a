--
-- The examples in examples/, as a newcomer would load and use them.
--
SELECT name, wasm.load_module_file(name, current_setting('regress.guests') || '/' || name || '.wasm') IS NOT NULL AS loaded
FROM unnest(ARRAY['text', 'crc32', 'json', 'hll', 'split', 'ch_collatz', 'ch_upper']) name;

-- Text: reverse (by characters), slugify, word count.
CREATE FUNCTION reverse_text(text) RETURNS text LANGUAGE wasm STRICT AS 'text::reverse';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
CREATE FUNCTION word_count(text) RETURNS int4 LANGUAGE wasm STRICT AS 'text';
SELECT reverse_text('hello'), reverse_text('héllo wörld'), reverse_text('日本語'), reverse_text('');
SELECT reverse_text(s) = reverse(s) AS same_as_builtin
FROM (VALUES ('abc'), ('ünïcödé'), ('🐘🐘 x')) v(s);
SELECT slugify('Hello, World! 2024'), slugify('  PostgreSQL & WebAssembly  '), slugify('---'), slugify('') AS empty, slugify('Crème brûlée');
SELECT word_count('the quick brown fox'), word_count(E'  spaced\tout\nwords  '), word_count('');

-- bytea: CRC-32 as zlib computes it ('123456789' is the standard check).
CREATE FUNCTION crc32(bytea) RETURNS int8 LANGUAGE wasm STRICT AS 'crc32';
SELECT crc32('123456789'), to_hex(crc32('123456789')), crc32(''), crc32('\x00');

-- JSON: a field as ->> gives it, for json and jsonb documents alike.
CREATE FUNCTION json_get(json, text) RETURNS text LANGUAGE wasm STRICT AS 'json';
CREATE FUNCTION json_get(jsonb, text) RETURNS text LANGUAGE wasm STRICT AS 'json';
SELECT json_get('{"name": "pg\u00e9 \ud83d\ude00", "n": [1, {"b": 2}], "ok": true, "none": null}'::json, k) AS value,
       '{"name": "pg\u00e9 \ud83d\ude00", "n": [1, {"b": 2}], "ok": true, "none": null}'::json ->> k AS builtin
FROM unnest(ARRAY['name', 'n', 'ok', 'none', 'missing']) k;
-- Against ->> on many documents, json and jsonb, escapes and duplicate keys.
SELECT count(*) AS documents,
       count(*) FILTER (WHERE json_get(d, 'k') IS NOT DISTINCT FROM d ->> 'k') AS json_same,
       count(*) FILTER (WHERE json_get(d::jsonb, 'k') IS NOT DISTINCT FROM d::jsonb ->> 'k') AS jsonb_same
FROM (SELECT format('{"a": %s, "k": %s, "z": [%s, "x\"y"]}', i, to_json(md5(i::text) || E'\n\\' || i), i)::json AS d
      FROM generate_series(1, 2000) i
      UNION ALL VALUES ('{"k": 1, "k": 2}'::json), ('{}'::json), ('[1, 2]'::json), ('{"k": {"deep": [1, 2]}}'::json)) docs;

-- A set-returning function.
CREATE FUNCTION split(text, text) RETURNS SETOF text LANGUAGE wasm STRICT AS 'split';
SELECT * FROM split('a,b,,c', ',');
SELECT array_agg(x) FROM split('one::two::three', '::') x;
SELECT count(*) FROM split('', ',');

-- An aggregate: approximate distinct counts (HyperLogLog), state in bytea,
-- mergeable, so it runs in parallel too.
CREATE FUNCTION hll_add(bytea, text) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE FUNCTION hll_merge(bytea, bytea) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE FUNCTION hll_count(bytea) RETURNS int8 LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE AGGREGATE approx_count_distinct(text) (
    sfunc = hll_add, stype = bytea, initcond = '',
    combinefunc = hll_merge, finalfunc = hll_count, parallel = safe);
CREATE TABLE visits AS SELECT (i % 50000)::text AS visitor FROM generate_series(1, 200000) i;
ANALYZE visits;
SELECT count(DISTINCT visitor) AS exact, abs(approx_count_distinct(visitor) - 50000) < 50000 * 0.05 AS within_5_percent
FROM visits;
SELECT n, abs(approx_count_distinct(x) - n) <= greatest(2, n * 0.05) AS close
FROM (VALUES (1), (10), (1000), (20000)) v(n), LATERAL (SELECT i::text AS x FROM generate_series(1, n) i) s
GROUP BY n ORDER BY n;
SELECT approx_count_distinct(x) FROM (VALUES (NULL::text), (NULL)) v(x);  -- NULLs are skipped
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (costs off) SELECT approx_count_distinct(visitor) FROM visits;
SELECT abs(approx_count_distinct(visitor) - 50000) < 50000 * 0.05 AS parallel_within_5_percent FROM visits;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE visits;

-- ClickHouse modules run unmodified: a ROW_DIRECT function through the
-- numeric mapping, and a BUFFERED_V1 one with abi=buffered_v1.
CREATE FUNCTION ch_collatz(int4) RETURNS int4 LANGUAGE wasm STRICT AS 'ch_collatz::steps';
SELECT array_agg(ch_collatz(n) ORDER BY n) FROM generate_series(1, 30) n;
CREATE FUNCTION ch_upper(text) RETURNS text LANGUAGE wasm STRICT AS 'ch_upper::upper abi=buffered_v1';
SELECT ch_upper('hello clickhouse'), ch_upper(''), length(ch_upper(repeat('ab', 100000)));
SELECT count(*) FROM generate_series(1, 10000) i WHERE ch_upper('row ' || i) = upper('row ' || i);
-- Its own errors come through clickhouse_throw.
CREATE FUNCTION ch_upper_int(int4) RETURNS text LANGUAGE wasm STRICT AS 'ch_upper::upper abi=buffered_v1';
SELECT ch_upper_int(42);
-- BUFFERED_V1 needs the two buffer functions.
SELECT wasm.load_module_wat('ch_incomplete', $$(module
  (memory (export "memory") 1)
  (func (export "udf") (param i32 i32) (result i32) i32.const 0))$$) IS NOT NULL AS loaded;
CREATE FUNCTION ch_bad(text) RETURNS text LANGUAGE wasm STRICT AS 'ch_incomplete::udf abi=buffered_v1';

SET client_min_messages = warning;
SELECT count(wasm.drop_module(name, cascade => true)) AS dropped
FROM unnest(ARRAY['text', 'crc32', 'json', 'hll', 'split', 'ch_collatz', 'ch_upper', 'ch_incomplete']) name;
RESET client_min_messages;
