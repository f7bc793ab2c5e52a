-- pg_wasm 0.4.0 -> 0.5.0: what the engines make of a module is kept for
-- every session (docs/engines.md, "Shared caches") and can be inspected;
-- the state of a module's native build, with the reason it failed, is shown;
-- code is compressed with lz4, which a session reads back several times
-- faster than pglz.
\echo Use "ALTER EXTENSION wasm UPDATE TO '0.5.0'" to load this file. \quit

-- Modules loaded from now on; code loaded before stays as it was stored.
ALTER TABLE wasm.modules ALTER COLUMN code SET COMPRESSION lz4;

-- What the server keeps of a module's code for every session: one row per
-- entry (its facts, the module as an engine rewrote it, compiled code), its
-- size, and whether it is intact now.
CREATE FUNCTION wasm.module_cache(module text, OUT entry text, OUT bytes bigint,
                                  OUT intact boolean)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pg_wasm_module_cache' LANGUAGE C STRICT VOLATILE;

-- The native build of a module, for calls that meter fuel and calls that do
-- not: built, building, not built, failed (with the reason), or unavailable.
CREATE FUNCTION wasm.native_build(module text, OUT fuel boolean, OUT state text, OUT reason text)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pg_wasm_native_build' LANGUAGE C STRICT VOLATILE;

-- What this session found in that cache: entries read intact, entries
-- missing, entries refused as damaged or foreign (made again), entries kept.
CREATE FUNCTION wasm.cache_stats(OUT hits bigint, OUT misses bigint, OUT rejected bigint,
                                 OUT saved bigint)
    RETURNS record AS 'MODULE_PATHNAME', 'pg_wasm_cache_stats' LANGUAGE C STRICT VOLATILE;
