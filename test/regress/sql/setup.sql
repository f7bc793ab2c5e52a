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

-- The error a statement fails with, the guests' directory shown as <guests>.
CREATE FUNCTION error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('regress.guests'), '<guests>');
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
