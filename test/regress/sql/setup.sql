--
-- Setup shared by the suites: the extension, where the test guests are, and
-- two helpers.
--
CREATE EXTENSION wasm;
\getenv guests PG_WASM_GUESTS
SELECT set_config('regress.guests', :'guests', false) IS NOT NULL AS ok \gset
ALTER DATABASE pg_wasm_regress SET regress.guests FROM CURRENT;

-- The bytes of a guest module built for the tests (superusers only).
CREATE FUNCTION guest(file text) RETURNS bytea LANGUAGE sql
    AS $$ SELECT pg_read_binary_file(current_setting('regress.guests') || '/' || file) $$;

-- The SQLSTATE a statement fails with, or 'ok'.
CREATE FUNCTION sqlstate_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

-- What the extension made.
SELECT extname, extversion, nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'wasm';
SELECT lanname, lanpltrusted FROM pg_language WHERE lanname = 'wasm';
\d wasm.modules
