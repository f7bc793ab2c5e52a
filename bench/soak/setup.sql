-- The soak test's database (bench/soak.sh): functions over the example
-- guests and the two-version test guest, the checks each pgbench script
-- runs, and where errors and replacements are recorded. Run with psql, with
-- :guests set to a directory the server can read.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION wasm;
CREATE SCHEMA soak;
SET search_path = soak, public;

-- Modules that stay as they are: numbers, text, a set.
SELECT wasm.load_module_file('collatz', :'guests' || '/collatz.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('text', :'guests' || '/text.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('split', :'guests' || '/split.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text::slugify';
CREATE FUNCTION reverse_text(text) RETURNS text LANGUAGE wasm STRICT AS 'text::reverse';
CREATE FUNCTION split(text, text) RETURNS SETOF text LANGUAGE wasm STRICT AS 'split::split';

-- The module the replacer swaps every second between its two versions
-- (test/guests/versioned.c): every result says which version made it.
CREATE TABLE versions (version int4 PRIMARY KEY, code bytea NOT NULL);
INSERT INTO versions VALUES
    (1, pg_read_binary_file(:'guests' || '/versioned.wasm')),
    (2, pg_read_binary_file(:'guests' || '/versioned_v2.wasm'));
SELECT wasm.load_module('versioned', code) IS NOT NULL AS loaded FROM versions WHERE version = 1;
CREATE FUNCTION versioned_version() RETURNS int4 LANGUAGE wasm AS 'versioned::version';
CREATE FUNCTION versioned_bump(int4) RETURNS int4 LANGUAGE wasm AS 'versioned::bump';
CREATE FUNCTION versioned_tag(text) RETURNS text LANGUAGE wasm STRICT AS 'versioned::tag';
CREATE FUNCTION versioned_pieces(text) RETURNS TABLE (piece text, version int4)
    LANGUAGE wasm STRICT AS 'versioned::pieces';
CREATE FUNCTION versioned_ratio(int4, int4) RETURNS int4 LANGUAGE wasm AS 'versioned::ratio';

-- Every error a check catches, and every replacement made.
CREATE TABLE errors (
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    script text NOT NULL,
    sqlstate text NOT NULL,
    message text NOT NULL,
    detail text);
CREATE TABLE replaces (at timestamptz NOT NULL DEFAULT clock_timestamp(), version int4 NOT NULL);

-- How many results each version of each versioned function gave: counters
-- that cost no row and no lock.
DO $$
BEGIN
    FOR f IN 1..4 LOOP
        FOR v IN 1..2 LOOP
            EXECUTE format('CREATE SEQUENCE soak.%s_v%s',
                           (ARRAY['bump', 'tag', 'pieces', 'ratio'])[f], v);
        END LOOP;
    END LOOP;
END $$;

-- Counts a result of version v of versioned function fn; any other v means
-- the result is garbage.
CREATE FUNCTION seen(fn text, v int4, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF v IN (1, 2) THEN
        PERFORM nextval(format('soak.%s_v%s', fn, v)::regclass);
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'SK001', MESSAGE = 'soak: wrong result: ' || what;
    END IF;
END $$;

CREATE FUNCTION wrong(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'SK001', MESSAGE = 'soak: wrong result: ' || what;
END $$;

-- The oracle for collatz_steps, in PL/pgSQL.
CREATE TABLE collatz_expected (n int4 PRIMARY KEY, steps int4 NOT NULL);
INSERT INTO collatz_expected
SELECT n, (WITH RECURSIVE c(x, k) AS (SELECT n::int8, 0
                                       UNION ALL
                                       SELECT CASE WHEN x % 2 = 1 THEN 3 * x + 1 ELSE x / 2 END, k + 1
                                       FROM c WHERE x <> 1)
           SELECT max(k) FROM c)
FROM generate_series(1, 10000) n;

-- The text of input n: ASCII with spaces, commas and punctuation; every
-- 50th is about 120 kB, so argument areas and output buffers grow.
CREATE FUNCTION input(n int4) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT repeat(format('Row %s: The Quick, Brown Fox %s -- jumps!  (%s) ', n, md5(n::text), n % 97),
                  CASE WHEN n % 50 = 0 THEN 1500 ELSE 1 END)
$$;

-- The checks, one per pgbench script. Each catches every error and records
-- it (errors are counted by kind at the end, and pgbench goes on); a wrong
-- result is error SK001.
CREATE FUNCTION check_numeric(n int4) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r int4;
    st text; msg text; det text;
BEGIN
    r := soak.collatz_steps(n);
    IF r IS DISTINCT FROM (SELECT e.steps FROM soak.collatz_expected e WHERE e.n = check_numeric.n) THEN
        PERFORM soak.wrong(format('collatz_steps(%s) = %s', n, r));
    END IF;
    r := soak.versioned_bump(n);
    PERFORM soak.seen('bump', r - n, format('versioned_bump(%s) = %s', n, r));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('numeric', st, msg, det);
END $$;

CREATE FUNCTION check_text(n int4) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s text := soak.input(n);
    r text;
    st text; msg text; det text;
BEGIN
    r := soak.slugify(s);
    IF r IS DISTINCT FROM trim(BOTH '-' FROM regexp_replace(lower(s), '[^a-z0-9]+', '-', 'g')) THEN
        PERFORM soak.wrong(format('slugify(input(%s)) = %s', n, left(r, 200)));
    END IF;
    r := soak.reverse_text(s);
    IF r IS DISTINCT FROM reverse(s) THEN
        PERFORM soak.wrong(format('reverse_text(input(%s)) = %s', n, left(r, 200)));
    END IF;
    r := soak.versioned_tag(s);
    PERFORM soak.seen('tag', CASE WHEN r = 'v1:' || reverse(s) THEN 1 WHEN r = 'v2:' || reverse(s) THEN 2 END,
                      format('versioned_tag(input(%s)) = %s', n, left(r, 200)));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('text', st, msg, det);
END $$;

CREATE FUNCTION check_set(n int4) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s text := soak.input(n);
    got text[];
    lo int4; hi int4;
    st text; msg text; det text;
BEGIN
    got := ARRAY(SELECT soak.split(s, ','));
    IF got IS DISTINCT FROM ARRAY(SELECT string_to_table(s, ',')) THEN
        PERFORM soak.wrong(format('split(input(%s), '','') = %s', n, left(got::text, 200)));
    END IF;
    SELECT array_agg(p.piece ORDER BY p.ord), min(p.version), max(p.version) INTO got, lo, hi
    FROM soak.versioned_pieces(s) WITH ORDINALITY AS p(piece, version, ord);
    IF got IS DISTINCT FROM ARRAY(SELECT w FROM regexp_split_to_table(s, ' +') w WHERE w <> '') THEN
        PERFORM soak.wrong(format('versioned_pieces(input(%s)) = %s', n, left(got::text, 200)));
    END IF;
    -- One call, one version for all its rows.
    PERFORM soak.seen('pieces', CASE WHEN lo = hi THEN lo END,
                      format('versioned_pieces(input(%s)) versions %s..%s', n, lo, hi));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('set', st, msg, det);
END $$;

-- versioned_ratio(n, n % 4) traps (divide by zero) for every fourth n: the
-- one error the soak expects.
CREATE FUNCTION check_trap(n int4) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r int4;
    st text; msg text; det text;
BEGIN
    r := soak.versioned_ratio(n, n % 4);
    PERFORM soak.seen('ratio', r - n / (n % 4), format('versioned_ratio(%s, %s) = %s', n, n % 4, r));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('trap', st, msg, det);
END $$;

-- The replacer: one session that, every `every` seconds for `seconds`,
-- replaces the module with its other version, commits, and checks that it
-- runs the new code itself at once (numbers and text).
CREATE PROCEDURE replacer(seconds float8, every float8 DEFAULT 1) LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => seconds);
    next int4 := 2;
    st text; msg text; det text;
BEGIN
    WHILE clock_timestamp() + make_interval(secs => every) < deadline LOOP
        PERFORM pg_sleep(every);
        BEGIN
            PERFORM wasm.load_module('versioned', code, replace => true)
            FROM soak.versions WHERE version = next;
            INSERT INTO soak.replaces (version) VALUES (next);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('replacer', st, msg, det);
        END;
        COMMIT;
        BEGIN
            IF soak.versioned_version() <> next
               OR soak.versioned_tag('replaced') <> format('v%s:decalper', next) THEN
                PERFORM soak.wrong(format('the replacer runs version %s, not %s, after replacing it',
                                          soak.versioned_version(), next));
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            INSERT INTO soak.errors (script, sqlstate, message, detail) VALUES ('replacer', st, msg, det);
        END;
        COMMIT;
        next := 3 - next;
    END LOOP;
END $$;

-- VmRSS in kB of each client backend of this database (found in
-- pg_stat_activity, read from /proc), but the caller's.
CREATE FUNCTION backend_rss() RETURNS TABLE (pid int4, application_name text, rss_kb int8)
LANGUAGE sql AS $$
    SELECT a.pid, a.application_name,
           (regexp_match(pg_read_file('/proc/' || a.pid || '/status', 0, 65536, true),
                         'VmRSS:\s+(\d+)'))[1]::int8
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.backend_type = 'client backend'
      AND a.pid <> pg_backend_pid()
    ORDER BY a.application_name, a.pid
$$;
