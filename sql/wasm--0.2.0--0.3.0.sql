-- pg_wasm 0.2.0 -> 0.3.0: foreign data wrappers written in Wasm (docs/fdw.md).
\echo Use "ALTER EXTENSION wasm UPDATE TO '0.3.0'" to load this file. \quit

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

-- wasmer-postgres's wasm.exported_functions shows the SQL function's name
-- (ns_sum) and standard type names (integer,integer): so does ours.
CREATE FUNCTION wasm._sql_type_names(types text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(string_agg(format_type(t::regtype, NULL), ',' ORDER BY n), '')
          FROM unnest(string_to_array(nullif(types, ''), ',')) WITH ORDINALITY AS u(t, n) $$;
CREATE OR REPLACE VIEW wasm.exported_functions AS
    SELECT i.id AS instance_id, i.id || '_' || e.name AS name,
           wasm._sql_type_names(e.inputs) AS inputs, wasm._sql_type_names(e.outputs) AS outputs
    FROM wasm.seed_instances i CROSS JOIN LATERAL wasm.module_exports(i.id) e
    WHERE e.kind = 'function';
