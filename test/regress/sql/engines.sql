--
-- The two engines (wasm.engine): V8, and native (wasm2c and the system C
-- compiler). The same calls give the same results on both, an engine can be
-- chosen per session and per function, and what the native engine cannot
-- build runs on V8.
--
SELECT wasm.load_module_wat('engines_math', $$(module
  (func (export "fib") (param i64) (result i64) (local i64 i64)
    (local.set 2 (i64.const 1))
    (block (loop (br_if 1 (i64.eqz (local.get 0)))
      (local.set 2 (i64.add (local.get 1) (local.tee 1 (local.get 2))))
      (local.set 0 (i64.sub (local.get 0) (i64.const 1))) (br 0)))
    (local.get 1))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1))))))))$$)
    IS NOT NULL AS loaded;
CREATE FUNCTION eng_fib(int8) RETURNS int8 LANGUAGE wasm AS 'engines_math::fib';
CREATE FUNCTION eng_div(int4, int4) RETURNS int4 LANGUAGE wasm AS 'engines_math::div';
CREATE FUNCTION eng_deep(int4) RETURNS int4 LANGUAGE wasm AS 'engines_math::deep';

-- The same results, switching engines in the session.
SET wasm.engine = v8;
SELECT eng_fib(90), eng_deep(1000), sum(eng_div(i, 7)) FROM generate_series(1, 1000) i;
SET wasm.engine = native;
SELECT eng_fib(90), eng_deep(1000), sum(eng_div(i, 7)) FROM generate_series(1, 1000) i;
SET wasm.engine = v8;
SELECT eng_fib(50);
SET wasm.engine = native;
SELECT eng_fib(50);
-- Traps and stack exhaustion are the same errors (their wording may differ).
\set VERBOSITY sqlstate
SELECT eng_div(1, 0);
SELECT eng_deep(100000000);
\set VERBOSITY default
SELECT eng_fib(10) AS after_errors;

-- Per function: its SET clause wins over the session's setting.
RESET wasm.engine;
CREATE FUNCTION eng_fib_native(int8) RETURNS int8 LANGUAGE wasm AS 'engines_math::fib'
    SET wasm.engine = native;
SELECT eng_fib_native(40);

-- A module the native engine cannot build (SIMD: wasm2c 1.0.32 does not
-- translate it) runs on V8, and the server log says why.
SELECT wasm.load_module_wat('engines_simd', $$(module
  (func (export "lane") (result i32) (i32x4.extract_lane 2 (i32x4.splat (i32.const 7)))))$$)
    IS NOT NULL AS loaded;
CREATE FUNCTION eng_lane() RETURNS int4 LANGUAGE wasm AS 'engines_simd::lane';
SET wasm.engine = native;
SELECT eng_lane();

-- Without a compiler (as a server without one would be), native calls say
-- so and V8 ones go on. The engine starts once a session: a new one.
\c
SET wasm.native_compiler = '/nonexistent/cc';
SET wasm.engine = native;
SELECT eng_fib(10);
SET wasm.engine = v8;
SELECT eng_fib(10);
\c

-- auto (the default): V8 serves calls while a background worker builds
-- the module, and the session's calls run natively once the build is there.
SET wasm.engine = auto;
SELECT wasm.load_module_wat('engines_auto', $$(module
  (func (export "sq") (param i64) (result i64) (i64.mul (local.get 0) (local.get 0))))$$)
    IS NOT NULL AS loaded;
CREATE FUNCTION eng_sq(int8) RETURNS int8 LANGUAGE wasm AS 'engines_auto::sq';
SELECT eng_sq(12);
CREATE FUNCTION wait_for_engine(module text, engine text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..1200 LOOP  -- 2 minutes at most
    EXIT WHEN wasm.module_engine(module) = engine;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN wasm.module_engine(module);
END $$;
SELECT wait_for_engine('engines_auto', 'native');
SELECT eng_sq(12), sum(eng_sq(i)) FROM generate_series(1, 1000) i;
-- Pinned per function, V8 still serves it.
ALTER FUNCTION eng_sq(int8) SET wasm.engine = v8;
SELECT eng_sq(-3);
ALTER FUNCTION eng_sq(int8) RESET wasm.engine;

-- What the native engine cannot build stays on V8 with auto: its worker's
-- failure is recorded, and no session waits for it.
SELECT eng_lane();
CREATE FUNCTION wait_for_builders() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..1200 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'pg_wasm native build');
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_wasm native build');
END $$;
SELECT wait_for_builders();
SELECT pg_sleep(1.1);  -- a session asks a build's state again after a second
SELECT eng_lane(), wasm.module_engine('engines_simd');

-- Without a compiler, auto is V8 for every module.
\c
SET wasm.native_compiler = '/nonexistent/cc';
SET wasm.engine = auto;
SELECT eng_sq(5), wasm.module_engine('engines_auto');
\c

DROP FUNCTION eng_fib(int8), eng_div(int4, int4), eng_deep(int4), eng_fib_native(int8), eng_lane(),
  eng_sq(int8), wait_for_engine(text, text), wait_for_builders();
SELECT wasm.drop_module('engines_math'), wasm.drop_module('engines_simd'),
  wasm.drop_module('engines_auto');
