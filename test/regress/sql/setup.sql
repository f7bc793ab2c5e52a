--
-- Setup shared by the suites: the extension, where the test guests are, the
-- test API's port, and helpers. Every suite runs after this alone (run.sh
-- <build> <pg_regress> <suite>) or in the schedule; each makes what else it
-- needs and drops it at its end (leftovers.sql checks).
--
CREATE EXTENSION wasm;
\getenv guests PG_WASM_GUESTS
SELECT set_config('regress.guests', :'guests', false) IS NOT NULL AS ok \gset
ALTER DATABASE pg_wasm_regress SET regress.guests FROM CURRENT;
-- The FDW suites' HTTP API (test/fdw/api_server.py), on 127.0.0.1.
\getenv api_port PG_WASM_API_PORT
SELECT set_config('regress.api_port', :'api_port', false) IS NOT NULL AS ok \gset
ALTER DATABASE pg_wasm_regress SET regress.api_port FROM CURRENT;

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

-- The error a statement fails with, the guests' directory shown as <guests>.
CREATE FUNCTION error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('regress.guests'), '<guests>');
END $$;

-- The error a statement fails with, and its DETAIL, the guests' directory
-- shown as <guests> and the API's port as <port>. A trap's DETAIL on V8
-- begins with the guest's Wasm stack, which the native engine does not give:
-- it is left out unless wasm_stack (where a suite sets wasm.engine = v8 to
-- show it).
CREATE FUNCTION error_detail_of(statement text, wasm_stack boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE message text; detail text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    IF NOT wasm_stack THEN
        detail := regexp_replace(detail, '^Wasm stack: [^\n]*\n?', '');
    END IF;
    RETURN regexp_replace(replace(SQLSTATE || ': ' || message
                                  || coalesce(E'\nDETAIL: ' || nullif(detail, ''), ''),
                                  current_setting('regress.guests'), '<guests>'),
                          '\m' || current_setting('regress.api_port') || '\M', '<port>', 'g');
END $$;

-- Another session of this database through dblink, named `name`.
CREATE EXTENSION dblink;
CREATE FUNCTION connect_other(name text, options text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT dblink_connect(name, format('dbname=%s host=%s port=%s application_name=%s %s',
        current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
        current_setting('port'), name, options))
$$;

-- Sends `query` to the other session `name` and waits (up to 10 s) until
-- that session is running it.
CREATE PROCEDURE run_in_other(name text, query text) LANGUAGE plpgsql AS $$
BEGIN
    IF dblink_send_query(name, query) <> 1 THEN
        RAISE EXCEPTION 'could not send "%" to session %', query, name;
    END IF;
    FOR i IN 1..200 LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
                          WHERE application_name = name AND state = 'active'
                            AND pg_stat_activity.query = run_in_other.query);
        PERFORM pg_sleep(0.05);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END $$;

-- What the extension made.
SELECT extname, extversion, nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'wasm';
SELECT lanname, lanpltrusted FROM pg_language WHERE lanname = 'wasm';
\d wasm.modules
