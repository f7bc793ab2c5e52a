-- pg_wasm 0.5.0: WebAssembly in PostgreSQL
\echo Use "CREATE EXTENSION wasm" to load this file. \quit

GRANT USAGE ON SCHEMA wasm TO PUBLIC;

-- Modules are data: they live here, survive restarts, pg_dump and
-- replication, and every session sees the same version.
CREATE TABLE wasm.modules (
    name    text PRIMARY KEY CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
    code    bytea COMPRESSION lz4 NOT NULL,
    sha256  text NOT NULL GENERATED ALWAYS AS (encode(sha256(code), 'hex')) STORED,
    size    integer NOT NULL GENERATED ALWAYS AS (octet_length(code)) STORED,
    -- The role that loaded it. A dropped role's OID names no role: its
    -- modules are then managed by superusers only.
    owner   regrole NOT NULL DEFAULT to_regrole(current_user),
    created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE wasm.modules IS 'WebAssembly modules loaded into this database';
SELECT pg_catalog.pg_extension_config_dump('wasm.modules', '');

-- Instances made by the seeds' API (wasm_new_instance): a module, and the
-- file it was read from.
CREATE TABLE wasm.seed_instances (
    id        text PRIMARY KEY REFERENCES wasm.modules (name) ON DELETE CASCADE,
    wasm_file text NOT NULL,
    created   timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('wasm.seed_instances', '');

-- Everyone may read the catalog (as everyone may read pg_proc.prosrc); it
-- changes only through the functions below.
REVOKE ALL ON wasm.modules, wasm.seed_instances FROM PUBLIC;
GRANT SELECT ON wasm.modules, wasm.seed_instances TO PUBLIC;

-- Any change to wasm.modules, by any path (functions, COPY, pg_restore),
-- makes every session check its cached modules again.
CREATE FUNCTION wasm._modules_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pg_wasm_modules_changed' LANGUAGE C;
CREATE TRIGGER modules_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wasm.modules
    FOR EACH STATEMENT EXECUTE FUNCTION wasm._modules_changed();

-- The procedural language. Trusted: a Wasm function can reach nothing
-- outside its own memory but what the host imports give it.
CREATE FUNCTION wasm.call_handler() RETURNS language_handler
    AS 'MODULE_PATHNAME', 'pg_wasm_call_handler' LANGUAGE C;
CREATE FUNCTION wasm.validator(oid) RETURNS void
    AS 'MODULE_PATHNAME', 'pg_wasm_validator' LANGUAGE C STRICT;
CREATE TRUSTED LANGUAGE wasm HANDLER wasm.call_handler VALIDATOR wasm.validator;
COMMENT ON LANGUAGE wasm IS 'WebAssembly: AS ''module::export''';

-- Loading modules. Only superusers may, until they grant EXECUTE on these
-- functions to other roles (see the README, "Who may do what").
CREATE FUNCTION wasm.load_module(name text, code bytea, sha256 text DEFAULT NULL,
                                 replace boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_load_module' LANGUAGE C;
CREATE FUNCTION wasm.load_module_wat(name text, wat text, sha256 text DEFAULT NULL,
                                     replace boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_load_module_wat' LANGUAGE C;
-- Also needs superuser or pg_read_server_files (checked inside).
CREATE FUNCTION wasm.load_module_file(name text, path text, sha256 text DEFAULT NULL,
                                      replace boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_load_module_file' LANGUAGE C;
REVOKE ALL ON FUNCTION wasm.load_module(text, bytea, text, boolean),
                       wasm.load_module_wat(text, text, text, boolean),
                       wasm.load_module_file(text, text, text, boolean) FROM PUBLIC;

-- Only a module's owner (or a superuser) may drop it (checked inside).
CREATE FUNCTION wasm.drop_module(name text, cascade boolean DEFAULT false) RETURNS void
    AS 'MODULE_PATHNAME', 'pg_wasm_drop_module' LANGUAGE C;

CREATE FUNCTION wasm.module_exports(module text,
        OUT name text, OUT kind text, OUT type text, OUT inputs text, OUT outputs text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'pg_wasm_module_exports' LANGUAGE C STRICT STABLE;

-- Drops every Wasm instance of the session (their memory and globals start
-- afresh at the next call) and frees their memory at once.
CREATE FUNCTION wasm.reset_session() RETURNS void
    AS 'MODULE_PATHNAME', 'pg_wasm_reset_session' LANGUAGE C;

CREATE FUNCTION wasm.create_functions(module text, prefix text, replace boolean DEFAULT false)
    RETURNS SETOF regprocedure
    AS 'MODULE_PATHNAME', 'pg_wasm_create_functions' LANGUAGE C;

-- The SQL API of wasmer-postgres and openGauss-wasm, unqualified as their
-- examples call it.
CREATE FUNCTION public.wasm_new_instance(module_pathname text, namespace text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_new_instance' LANGUAGE C;
CREATE FUNCTION public.wasm_new_instance_wat(module_pathname text, namespace text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_new_instance_wat' LANGUAGE C;
CREATE FUNCTION public.wasm_delete_instance(instance_id text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_wasm_delete_instance' LANGUAGE C;
REVOKE ALL ON FUNCTION public.wasm_new_instance(text, text),
                       public.wasm_new_instance_wat(text, text) FROM PUBLIC;

CREATE VIEW wasm.instances AS
    SELECT id, wasm_file FROM wasm.seed_instances;
-- wasmer-postgres's wasm.exported_functions shows the SQL function's name
-- (ns_sum) and standard type names (integer,integer): so does ours.
CREATE FUNCTION wasm._sql_type_names(types text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(string_agg(format_type(t::regtype, NULL), ',' ORDER BY n), '')
          FROM unnest(string_to_array(nullif(types, ''), ',')) WITH ORDINALITY AS u(t, n) $$;
CREATE VIEW wasm.exported_functions AS
    SELECT i.id AS instance_id, i.id || '_' || e.name AS name,
           wasm._sql_type_names(e.inputs) AS inputs, wasm._sql_type_names(e.outputs) AS outputs
    FROM wasm.seed_instances i CROSS JOIN LATERAL wasm.module_exports(i.id) e
    WHERE e.kind = 'function';
GRANT SELECT ON wasm.instances, wasm.exported_functions TO PUBLIC;

-- The handler and validator live in public, where the statements users
-- copy from Supabase's documentation find them:
--   CREATE FOREIGN DATA WRAPPER wasm_wrapper
--       HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
CREATE FUNCTION public.wasm_fdw_handler() RETURNS fdw_handler
    AS 'MODULE_PATHNAME', 'wasm_fdw_handler' LANGUAGE C STRICT;
CREATE FUNCTION public.wasm_fdw_validator(text[], oid) RETURNS void
    AS 'MODULE_PATHNAME', 'wasm_fdw_validator' LANGUAGE C STRICT;

-- A validator sees options only: the guest checks a foreign table's
-- options and columns, and a user mapping's options, when the statement
-- has made them.
CREATE FUNCTION wasm.fdw_ddl_check() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'wasm_fdw_ddl_check' LANGUAGE C;
CREATE EVENT TRIGGER wasm_fdw_ddl_check ON ddl_command_end
    WHEN TAG IN ('CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE USER MAPPING',
                 'ALTER USER MAPPING', 'IMPORT FOREIGN SCHEMA')
    EXECUTE FUNCTION wasm.fdw_ddl_check();

-- What this session's FDW guests did, per server.
CREATE FUNCTION wasm.fdw_stats(OUT server oid, OUT server_name text, OUT scans bigint,
                               OUT rows_read bigint, OUT rows_written bigint,
                               OUT http_requests bigint, OUT http_errors bigint,
                               OUT bytes_sent bigint, OUT bytes_received bigint,
                               OUT errors bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'wasm_fdw_stats' LANGUAGE C STRICT;
CREATE VIEW wasm.fdw_stats AS SELECT * FROM wasm.fdw_stats();
GRANT SELECT ON wasm.fdw_stats TO PUBLIC;

-- 'native' or 'v8': the engine this session's next call of the module runs
-- on (with wasm.engine = auto, V8 until the module's native build is there).
CREATE FUNCTION wasm.module_engine(module text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_wasm_module_engine' LANGUAGE C STRICT VOLATILE;

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
