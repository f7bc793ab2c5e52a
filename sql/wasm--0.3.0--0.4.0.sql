-- pg_wasm 0.3.0 -> 0.4.0: the native engine is the default where a compiler
-- exists (wasm.engine = auto builds modules in background workers); which
-- engine a module's calls run on is shown.
\echo Use "ALTER EXTENSION wasm UPDATE TO '0.4.0'" to load this file. \quit

-- 'native' or 'v8': the engine this session's next call of the module runs
-- on (with wasm.engine = auto, V8 until the module's native build is there).
CREATE FUNCTION wasm.module_engine(module text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_module_engine' LANGUAGE C STRICT VOLATILE;
