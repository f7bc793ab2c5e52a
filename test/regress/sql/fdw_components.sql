--
-- Supabase Wasm FDW packages: WebAssembly components of the world
-- supabase:wrappers (0.1.0 and 0.2.0) run as FDW guests (docs/fdw.md,
-- "Supabase Wasm FDW packages"). The minimal guest of test/components reads
-- api_url at init, GETs it at begin-scan and returns its body as one row.
--
\getenv guests PG_WASM_GUESTS
\getenv api_port PG_WASM_API_PORT
\set api_url 'http://127.0.0.1:' :api_port '/events'
CREATE FOREIGN DATA WRAPPER wasm_components HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
-- A component loads as any module: the catalog keeps it as loaded.
SELECT wasm.load_module('comp_v1', guest('wrappers_minimal_v1.wasm')) IS NOT NULL AS loaded;
SELECT wasm.load_module('comp_v2', guest('wrappers_minimal_v2.wasm')) IS NOT NULL AS loaded;
SELECT wasm.load_module('comp_cm32p2', guest('wrappers_minimal_cm32p2.wasm')) IS NOT NULL AS loaded;
SELECT name, length(code) > 1000 AS stored FROM wasm.modules WHERE name LIKE 'comp\_%' ORDER BY name;
SET wasm.http_allowed_hosts = '127.0.0.1';

CREATE SERVER comp_v1 FOREIGN DATA WRAPPER wasm_components
    OPTIONS (module 'comp_v1', api_url :'api_url');
CREATE FOREIGN TABLE comp_v1_body (body text) SERVER comp_v1;
SELECT length(body) > 0 AS has_body FROM comp_v1_body;
-- The same guest with the newer core names (cm32p2|...).
CREATE SERVER comp_cm32p2 FOREIGN DATA WRAPPER wasm_components
    OPTIONS (module 'comp_cm32p2', api_url :'api_url');
CREATE FOREIGN TABLE comp_cm32p2_body (body text) SERVER comp_cm32p2;
SELECT length(body) > 0 AS has_body FROM comp_cm32p2_body;

-- The guest's own errors: HV000 with where they happened.
SELECT error_detail_of($$INSERT INTO comp_v1_body VALUES ('x')$$);
ALTER SERVER comp_v1 OPTIONS (SET api_url 'http://127.0.0.1:1/');
SELECT error_detail_of($$SELECT * FROM comp_v1_body$$);
-- The allowlist holds: a host not allowed is the host's error, not the guest's.
ALTER SERVER comp_v1 OPTIONS (SET api_url 'http://127.0.0.2:1/');
SELECT error_detail_of($$SELECT * FROM comp_v1_body$$);

-- IMPORT FOREIGN SCHEMA (0.2.0): the guest's CREATE FOREIGN TABLE text is
-- parsed, never run; the host writes its own statement.
CREATE SERVER comp_v2 FOREIGN DATA WRAPPER wasm_components
    OPTIONS (module 'comp_v2', api_url :'api_url');
CREATE SCHEMA comp_import;
IMPORT FOREIGN SCHEMA api FROM SERVER comp_v2 INTO comp_import;
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
  WHERE c.relnamespace = 'comp_import'::regnamespace;
-- 0.1.0 has no import-foreign-schema.
SELECT error_detail_of($$IMPORT FOREIGN SCHEMA api FROM SERVER comp_cm32p2 INTO comp_import$$);

DROP SCHEMA comp_import CASCADE;
DROP SERVER comp_v1, comp_v2, comp_cm32p2 CASCADE;
DROP FOREIGN DATA WRAPPER wasm_components;
SELECT wasm.drop_module(m) FROM unnest(ARRAY['comp_v1', 'comp_v2', 'comp_cm32p2']) m;
