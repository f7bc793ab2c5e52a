-- The benchmark's functions, four implementations of each workload:
-- wasm_*, plpgsql_*, plpython_*, c_*. Run by bench/run.sh with psql, with
-- :dir set to a directory the server can read (the guests and the C library).
-- All functions keep the default volatility (VOLATILE), so the planner never
-- folds a call with constant arguments: every row really calls the function.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS wasm;
CREATE EXTENSION IF NOT EXISTS plpython3u;
CREATE SCHEMA IF NOT EXISTS bench;

-- Wasm: the project's example guests, and an infinite loop for cancel.
SELECT wasm.load_module_file('fib', :'dir' || '/fib.wasm', replace => true) AS sha256 \gset
SELECT wasm.load_module_file('collatz', :'dir' || '/collatz.wasm', replace => true) AS sha256 \gset
SELECT wasm.load_module_file('arith', :'dir' || '/arith.wasm', replace => true) AS sha256 \gset
SELECT wasm.load_module_wat('spin', '(module (func (export "spin") (loop br 0)))', replace => true)
    AS sha256 \gset

-- A recursive fib, for the tiering comparison: one long call made of calls.
SELECT wasm.load_module_wat('fibrec', $wat$(module
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_s (local.get $n) (i32.const 2))
      (then (i64.extend_i32_s (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))$wat$,
    replace => true) AS sha256 \gset
CREATE OR REPLACE FUNCTION wasm_fib(int4) RETURNS int8 LANGUAGE wasm AS 'fib::fib';
CREATE OR REPLACE FUNCTION wasm_fibrec(int4) RETURNS int8 LANGUAGE wasm AS 'fibrec::fib';
CREATE OR REPLACE FUNCTION wasm_collatz(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE OR REPLACE FUNCTION wasm_add(int4, int4) RETURNS int4 LANGUAGE wasm AS 'arith::add';
CREATE OR REPLACE FUNCTION wasm_spin() RETURNS void LANGUAGE wasm AS 'spin::spin';

-- The compile-latency rows' big module: bench/native/big.rs (Rust with std,
-- over 1 MB of code), built by bench/run.sh with Debian's rustc.
SELECT wasm.load_module_file('big', :'dir' || '/big.wasm', replace => true) AS sha256 \gset
CREATE OR REPLACE FUNCTION wasm_big(int4) RETURNS int4 LANGUAGE wasm AS 'big::run_i32_i32';

-- C: bench/c/bench_functions.c.
\set clib :dir '/bench_functions.so'
CREATE OR REPLACE FUNCTION c_fib(int4) RETURNS int8
    AS :'clib', 'c_fib' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION c_collatz(int4) RETURNS int4
    AS :'clib', 'c_collatz' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION c_add(int4, int4) RETURNS int4
    AS :'clib', 'c_add' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION c_fibrec(int4) RETURNS int8
    AS :'clib', 'c_fibrec' LANGUAGE C STRICT;

-- PL/pgSQL. int8 arithmetic raises on overflow, so fib wraps by hand: when
-- a + b would leave int8, add the two halves shifted by 2^63 instead, which
-- is a + b - 2^64 (or + 2^64), the two's complement result C and Wasm give.
CREATE OR REPLACE FUNCTION plpgsql_fib(n int4) RETURNS int8 LANGUAGE plpgsql STRICT AS $$
DECLARE
    a int8 := 0;
    b int8 := 1;
    t int8;
BEGIN
    FOR i IN 1..n LOOP
        IF a > 0 AND b > 9223372036854775807 - a THEN
            t := (a - 9223372036854775807 - 1) + (b - 9223372036854775807 - 1);
        ELSIF a < 0 AND b < -9223372036854775808 - a THEN
            t := (a + 9223372036854775807 + 1) + (b + 9223372036854775807 + 1);
        ELSE
            t := a + b;
        END IF;
        a := b;
        b := t;
    END LOOP;
    RETURN a;
END $$;

CREATE OR REPLACE FUNCTION plpgsql_collatz(n int4) RETURNS int4 LANGUAGE plpgsql STRICT AS $$
DECLARE
    x int8 := n;
    steps int4 := 0;
BEGIN
    IF n < 1 THEN
        RETURN -1;
    END IF;
    WHILE x <> 1 LOOP
        IF x % 2 = 1 THEN
            x := 3 * x + 1;
        ELSE
            x := x / 2;
        END IF;
        steps := steps + 1;
    END LOOP;
    RETURN steps;
END $$;

-- No overflow for the benchmark's inputs (i + i with i <= 10^7).
CREATE OR REPLACE FUNCTION plpgsql_add(a int4, b int4) RETURNS int4 LANGUAGE plpgsql STRICT AS $$
BEGIN
    RETURN a + b;
END $$;

-- wasm_spin's infinite loop in PL/pgSQL, a reference for cancel latency:
-- PostgreSQL checks for interrupts on every loop iteration.
CREATE OR REPLACE FUNCTION plpgsql_spin() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOOP
    END LOOP;
END $$;

-- PL/Python. Python integers do not overflow: fib keeps them below 2^64 by
-- masking each sum, and reads the result back as signed.
CREATE OR REPLACE FUNCTION plpython_fib(n int4) RETURNS int8 LANGUAGE plpython3u STRICT AS $$
a, b = 0, 1
for _ in range(n):
    a, b = b, (a + b) & 0xFFFFFFFFFFFFFFFF
return a - (1 << 64) if a >= (1 << 63) else a
$$;

CREATE OR REPLACE FUNCTION plpython_collatz(n int4) RETURNS int4 LANGUAGE plpython3u STRICT AS $$
if n < 1:
    return -1
x, steps = n, 0
while x != 1:
    x = 3 * x + 1 if x & 1 else x // 2
    steps += 1
return steps
$$;

CREATE OR REPLACE FUNCTION plpython_add(a int4, b int4) RETURNS int4
LANGUAGE plpython3u STRICT AS $$
return a + b
$$;

-- The recursive fib of the tiering comparison, the recursion inside Python
-- (a PL/pgSQL version, 7 million PL/pgSQL calls, would take minutes).
CREATE OR REPLACE FUNCTION plpython_fibrec(n int4) RETURNS int8 LANGUAGE plpython3u STRICT AS $$
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
return fib(n)
$$;

-- Text and JSON (pg_wasm's ABI): slugify a text, and a field of a JSON
-- document as ->> gives it. The Wasm guests are examples/text.c and
-- examples/json.c; the built-in SQL expression is a fifth column.
SELECT wasm.load_module_file('text', :'dir' || '/text.wasm', replace => true) AS sha256 \gset
SELECT wasm.load_module_file('json', :'dir' || '/json.wasm', replace => true) AS sha256 \gset
CREATE OR REPLACE FUNCTION wasm_slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text::slugify';
CREATE OR REPLACE FUNCTION wasm_json_get(json, text) RETURNS text LANGUAGE wasm STRICT AS 'json::json_get';
CREATE OR REPLACE FUNCTION c_slugify(text) RETURNS text AS :'clib', 'c_slugify' LANGUAGE C STRICT;
-- The same slugify as a component export `func(s: string) -> string`
-- (bench/component/slugify.c), its WIT types mapped by the host.
SELECT wasm.load_module_file('slugc', :'dir' || '/slugify_component.wasm', replace => true)
    AS sha256 \gset
CREATE OR REPLACE FUNCTION component_slugify(text) RETURNS text LANGUAGE wasm STRICT
    AS 'slugc::slugify';
CREATE OR REPLACE FUNCTION c_json_get(json, text) RETURNS text AS :'clib', 'c_json_get' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION plpgsql_slugify(s text) RETURNS text LANGUAGE plpgsql STRICT AS $$
BEGIN
    RETURN trim(BOTH '-' FROM regexp_replace(lower(s), '[^a-z0-9\x80-\U0010FFFF]+', '-', 'g'));
END $$;
CREATE OR REPLACE FUNCTION plpgsql_json_get(doc json, key text) RETURNS text LANGUAGE plpgsql STRICT AS $$
BEGIN
    RETURN doc ->> key;
END $$;
CREATE OR REPLACE FUNCTION plpython_slugify(s text) RETURNS text LANGUAGE plpython3u STRICT AS $$
import re
return re.sub(r'[^a-z0-9\x80-\U0010ffff]+', '-', s.lower()).strip('-')
$$;
CREATE OR REPLACE FUNCTION plpython_json_get(doc json, key text) RETURNS text
LANGUAGE plpython3u STRICT AS $$
import json
v = json.loads(doc).get(key)
return v if v is None or isinstance(v, str) else json.dumps(v)
$$;
-- The inputs, ASCII (where lower() agrees with the guest's ASCII-only
-- folding): a million texts and a million small documents.
DROP TABLE IF EXISTS bench.texts, bench.docs;
CREATE TABLE bench.texts AS
    SELECT i AS id, format('Row %s: The Quick, Brown Fox %s -- jumps! (%s)', i, md5(i::text), i % 97) AS s
    FROM generate_series(1, 1000000) i;
CREATE TABLE bench.docs AS
    SELECT i AS id, json_build_object('id', i, 'name', 'user ' || i, 'tags', json_build_array('a', i % 7),
                                      'email', md5(i::text) || '@example.com', 'active', i % 2 = 0) AS doc
    FROM generate_series(1, 1000000) i;
ANALYZE bench.texts, bench.docs;

-- Runs a one-value query to completion: how long it took in milliseconds,
-- measured in the server (no client round trip), and the value, which the
-- driver compares across implementations.
CREATE OR REPLACE FUNCTION bench.run(query text, OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE query INTO STRICT result;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

-- Runs a query that statement_timeout must cancel; returns the milliseconds
-- from the start of the statement (when the timeout's timer starts) to the
-- cancel error. Anything but a cancel is an error.
CREATE OR REPLACE FUNCTION bench.cancel_ms(query text) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RAISE EXCEPTION 'bench: "%" returned instead of being cancelled', query;
EXCEPTION WHEN query_canceled THEN
    RETURN extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000;
END $$;

-- Foreign data wrappers (docs/benchmarks.md): the compute and events
-- guests (examples/fdw/), and the rows compute_fdw makes as a C, a
-- PL/pgSQL and a PL/Python set-returning function. bench/bench.py makes the
-- foreign tables (their sizes, and the API server's port, are its own).
CREATE EXTENSION IF NOT EXISTS file_fdw;
SELECT wasm.load_module_file('compute_fdw', :'dir' || '/compute_fdw.wasm', replace => true)
    AS sha256 \gset
SELECT wasm.load_module_file('events_fdw', :'dir' || '/events_fdw.wasm', replace => true)
    AS sha256 \gset
-- The same API read through a component of the world supabase:wrappers
-- (test/components/guests/paginated.c), for the component/core ratio.
SELECT wasm.load_module_file('paginated', :'dir' || '/paginated.wasm', replace => true)
    IS NOT NULL AS loaded \gset
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
CREATE SERVER compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw');
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FUNCTION c_compute_rows(count int8)
    RETURNS TABLE (n int8, square int8, label text, even bool, half float8)
    AS :'clib', 'c_compute_rows' LANGUAGE C STRICT;
CREATE FUNCTION plpgsql_compute_rows(count int8)
    RETURNS TABLE (n int8, square int8, label text, even bool, half float8)
LANGUAGE plpgsql STRICT AS $$
BEGIN
    FOR i IN 1..count LOOP
        n := i;  -- i is an int4, n an int8: n * n does not overflow
        square := n * n;
        label := 'row ' || n;
        even := n % 2 = 0;
        half := n / 2.0::float8;
        RETURN NEXT;
    END LOOP;
END $$;
CREATE FUNCTION plpython_compute_rows(count int8)
    RETURNS TABLE (n int8, square int8, label text, even bool, half float8)
LANGUAGE plpython3u STRICT AS $$
return ((i, i * i, 'row %d' % i, i % 2 == 0, i / 2.0) for i in range(1, count + 1))
$$;

-- Runs a COPY into a table emptied first (untimed), then a one-value query
-- over it; the time of both, as bench.run.
CREATE OR REPLACE FUNCTION bench.run_copy(tab regclass, copy text, query text,
                                          OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    EXECUTE format('TRUNCATE %s', tab);
    t0 := clock_timestamp();
    EXECUTE copy;
    EXECUTE query INTO STRICT result;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
