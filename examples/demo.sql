-- pg_wasm demo: run by scripts/demo.sh, which sets :guests to the directory
-- of the example modules (built from examples/ with clang and wat2wasm).
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pg_wasm_demo;
CREATE DATABASE pg_wasm_demo;
\c pg_wasm_demo
SET client_min_messages = notice;
\echo
\echo '== 1. The extension, and modules as data ======================================'
CREATE EXTENSION wasm;
-- Collatz step counts, compiled from C (examples/collatz.c):
SELECT wasm.load_module_file('collatz', :'guests' || '/collatz.wasm') AS sha256;
-- Fibonacci, from C (examples/fib.c), loaded as bytes with a checksum:
SELECT wasm.load_module('fib', pg_read_binary_file(:'guests' || '/fib.wasm'),
                        sha256 => encode(sha256(pg_read_binary_file(:'guests' || '/fib.wasm')), 'hex')) AS sha256;
-- Straight from the text format:
SELECT wasm.load_module_wat('geometry', $$
  (module
    (func (export "hypot") (param $x f64) (param $y f64) (result f64)
      (f64.sqrt (f64.add (f64.mul (local.get $x) (local.get $x))
                         (f64.mul (local.get $y) (local.get $y))))))
$$) AS sha256;
SELECT name, size, owner, left(sha256, 16) || '...' AS sha256 FROM wasm.modules ORDER BY name;
SELECT * FROM wasm.module_exports('collatz');

\echo
\echo '== 2. Wasm functions in SQL =================================================='
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION fib(int4) RETURNS int8 LANGUAGE wasm AS 'fib';
CREATE FUNCTION hypot(float8, float8) RETURNS float8 LANGUAGE wasm AS 'geometry';
SELECT collatz_steps(27) AS steps_27, fib(90) AS fib_90, hypot(3, 4) AS hypot_3_4;
SELECT n, collatz_steps(n) AS steps FROM generate_series(1, 1000000) n ORDER BY 2 DESC LIMIT 3;
-- One function per export in one call:
SELECT * FROM wasm.create_functions('geometry', 'geo');
-- The SQL signature must fit the export; the error shows both:
\set ON_ERROR_STOP off
CREATE FUNCTION wrong(int8) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';

\echo
\echo '== 3. Beyond numbers: text, JSON, sets, an aggregate (pg_wasm ABI, sdk/pg_wasm.h)'
SELECT wasm.load_module_file(m, :'guests' || '/' || m || '.wasm') IS NOT NULL AS loaded
FROM unnest(ARRAY['text', 'json', 'split', 'hll']) m;
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
CREATE FUNCTION reverse_text(text) RETURNS text LANGUAGE wasm STRICT AS 'text::reverse';
CREATE FUNCTION json_get(json, text) RETURNS text LANGUAGE wasm STRICT AS 'json';
CREATE FUNCTION split(text, text) RETURNS SETOF text LANGUAGE wasm STRICT AS 'split';
SELECT slugify('Hello, WebAssembly in PostgreSQL!'), reverse_text('naïve café ✓');
SELECT json_get('{"user": {"id": 7}, "email": "ada@example.com"}', 'email') AS email;
SELECT * FROM split('wasm,postgres,v8', ',');
CREATE FUNCTION hll_add(bytea, text) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE FUNCTION hll_merge(bytea, bytea) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE FUNCTION hll_count(bytea) RETURNS int8 LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
CREATE AGGREGATE approx_count_distinct(text) (sfunc = hll_add, stype = bytea, initcond = '',
    combinefunc = hll_merge, finalfunc = hll_count, parallel = safe);
SELECT approx_count_distinct((i % 25000)::text) AS approx, count(DISTINCT i % 25000) AS exact
FROM generate_series(1, 100000) i;

\echo
\echo '== 4. Safety: traps, runaway guests, budgets, bad modules ===================='
SELECT wasm.load_module_wat('risky', $$
  (module
    (func (export "divide") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "forever") (loop br 0)))
$$) IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('risky', 'risky');
SELECT risky_divide(7, 0);
SET statement_timeout = '300ms';
SELECT risky_forever();
RESET statement_timeout;
SELECT risky_divide(42, 2) AS "still fine";
SELECT wasm.load_module('junk', '\x0061736d01000000010501'::bytea);
-- A deterministic budget of instructions per call, here for one function:
CREATE FUNCTION bounded_forever() RETURNS void LANGUAGE wasm AS 'risky::forever'
    SET wasm.max_fuel = 1000000;
SELECT bounded_forever();
-- Deeply nested code is refused before any work:
SELECT wasm.load_module_wat('deep', '(module (func ' || repeat('(block ', 20000) || repeat(')', 20000) || '))');
\set ON_ERROR_STOP on

\echo
\echo '== 5. The wasmer-postgres / openGauss-wasm API ==============================='
SELECT wasm_new_instance(:'guests' || '/collatz.wasm', 'ns');
SELECT ns_steps(97);
SELECT * FROM wasm.instances;
SELECT * FROM wasm.exported_functions;

\echo
\echo '== 6. A foreign table over an HTTP/JSON API, written in Wasm (docs/fdw.md) ====='
-- scripts/demo.sh runs a small events API on 127.0.0.1 (test/fdw/api_server.py);
-- examples/fdw/events_fdw.c reads it, page by page, with pushdown.
SET wasm.http_allowed_hosts = '127.0.0.1';
SELECT wasm.load_module_file('events_fdw', :'guests' || '/events_fdw.wasm') AS sha256;
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
\set api_url 'http://127.0.0.1:' :api_port
CREATE SERVER events_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url :'api_url');
CREATE FOREIGN TABLE events (
    id text, type text, actor jsonb, actor_login text OPTIONS (field 'actor.login'),
    created_at timestamptz)
  SERVER events_api OPTIONS (object 'events', rowid_column 'id');
SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC;
-- The filter, the order and the limit go to the API as query parameters:
EXPLAIN (COSTS OFF) SELECT id, actor_login, created_at FROM events
    WHERE type = 'PushEvent' ORDER BY created_at DESC LIMIT 5;
SELECT id, actor_login, created_at FROM events
    WHERE type = 'PushEvent' ORDER BY created_at DESC LIMIT 5;
-- A host that is not allowed is refused before any connection:
\set ON_ERROR_STOP off
ALTER SERVER events_api OPTIONS (ADD http_allowed_hosts 'api.example.com');
SELECT count(*) FROM events;
\set ON_ERROR_STOP on
ALTER SERVER events_api OPTIONS (DROP http_allowed_hosts);
SELECT server_name, scans, rows_read, http_requests, bytes_received, errors FROM wasm.fdw_stats;

\echo
\echo '== 7. Native code: every module compiled ahead of time, in the background ===='
-- wasm.engine = auto: background workers build each module with wasm2c and
-- the C compiler while V8 serves its calls; each session switches to the
-- machine code at its next statement (docs/engines.md). Waiting for them:
DO $$ BEGIN
  FOR i IN 1..900 LOOP  -- 90 s at most
    EXIT WHEN NOT EXISTS (SELECT FROM wasm.modules WHERE wasm.module_engine(name) <> 'native');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT name, wasm.module_engine(name) AS engine FROM wasm.modules ORDER BY name;

\echo
\echo '== 8. A small benchmark: the same work in Wasm, PL/pgSQL and SQL ============'
CREATE FUNCTION plpgsql_collatz(n int4) RETURNS int4 LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE x int8 := n; c int4 := 0;
BEGIN
  IF n < 1 THEN RETURN -1; END IF;
  WHILE x <> 1 LOOP
    IF x % 2 = 1 THEN x := 3 * x + 1; ELSE x := x / 2; END IF;
    c := c + 1;
  END LOOP;
  RETURN c;
END $$;
CREATE FUNCTION plpgsql_fib(n int4) RETURNS int8 LANGUAGE plpgsql IMMUTABLE STRICT AS $$
-- numeric, wrapped to int8 at the end as the C version wraps (int8 would overflow)
DECLARE a numeric := 0; b numeric := 1; t numeric;
BEGIN
  FOR i IN 1..n LOOP t := a + b; a := b; b := t; END LOOP;
  RETURN ((a + 9223372036854775808) % 18446744073709551616 - 9223372036854775808)::int8;
END $$;
CREATE FUNCTION plpgsql_slugify(s text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN trim(BOTH '-' FROM regexp_replace(lower(s), '[^a-z0-9]+', '-', 'g'));
END $$;
CREATE FUNCTION timed(query text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  EXECUTE query;  -- warm up
  t0 := clock_timestamp();
  EXECUTE query;
  RETURN round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1);
END $$;
SET jit = off;
WITH runs AS (
  SELECT 'collatz steps, n = 1..200000' AS workload,
         timed('SELECT sum(collatz_steps(i)) FROM generate_series(1, 200000) i') AS wasm_ms,
         timed('SELECT sum(plpgsql_collatz(i)) FROM generate_series(1, 200000) i') AS plpgsql_ms
  UNION ALL
  SELECT 'fib(500), 1000 calls',
         timed('SELECT sum(fib(500 + i % 1)) FROM generate_series(1, 1000) i'),
         timed('SELECT sum(plpgsql_fib(500 + i % 1)) FROM generate_series(1, 1000) i')
  UNION ALL
  SELECT 'slugify, 100000 texts',
         timed($q$SELECT count(slugify('Row ' || i || ': Hello, World!')) FROM generate_series(1, 100000) i$q$),
         timed($q$SELECT count(plpgsql_slugify('Row ' || i || ': Hello, World!')) FROM generate_series(1, 100000) i$q$))
SELECT workload, wasm_ms, plpgsql_ms, round(plpgsql_ms / nullif(wasm_ms, 0), 1) AS "wasm speedup"
FROM runs;
\echo 'The full benchmark (Wasm, PL/pgSQL, PL/Python and C side by side): bench/run.sh'
