--
-- Supabase Wasm FDW packages: WebAssembly components of the world
-- supabase:wrappers (WIT 0.1.0 and 0.2.0) on pg_wasm's FDW (docs/components.md). The
-- statements of Supabase's `postgres-wasm-fdw` template README as written,
-- then a paginated read with quals and limit, writes, IMPORT FOREIGN SCHEMA
-- and malformed components. The components are built from
-- test/components/guests (docs/components.md); the API is
-- test/fdw/api_server.py on 127.0.0.1 (PG_WASM_API_PORT), which also serves
-- the guests' directory under /files/.
--
\getenv guests PG_WASM_GUESTS
\getenv api_port PG_WASM_API_PORT
\set api_url 'http://127.0.0.1:' :api_port
SET wasm.http_allowed_hosts = '127.0.0.1';

-- Each package's checksum, from the file built for this run.
SELECT encode(sha256(guest('github_events.wasm')), 'hex') AS github_sum,
       encode(sha256(guest('paginated.wasm')), 'hex') AS paginated_sum,
       encode(sha256(guest('writable.wasm')), 'hex') AS writable_sum,
       encode(sha256(guest('import_schema.wasm')), 'hex') AS import_sum,
       encode(sha256(guest('bad_string.wasm')), 'hex') AS bad_string_sum,
       encode(sha256(guest('bad_string_version.wasm')), 'hex') AS bad_version_sum,
       encode(sha256(guest('bad_handle.wasm')), 'hex') AS bad_handle_sum,
       encode(sha256(guest('bad_realloc.wasm')), 'hex') AS bad_realloc_sum,
       encode(sha256(guest('host_calls_v1.wasm')), 'hex') AS calls_v1_sum,
       encode(sha256(guest('host_calls_v2.wasm')), 'hex') AS calls_v2_sum \gset
\set github_url :api_url '/files/github_events.wasm'
\set github_api :api_url '/github'
\set github_file 'file://' :guests '/github_events.wasm'
\set paginated_url 'file://' :guests '/paginated.wasm'
\set writable_url 'file://' :guests '/writable.wasm'
\set import_url 'file://' :guests '/import_schema.wasm'

------------------------------------------------------------------------------
-- The template's README, as written: the package read over HTTP (here from
-- the test API's /files/, on Supabase from a GitHub release), api_url the
-- test API's GitHub-shaped /github (GitHub's is https://api.github.com).
create foreign data wrapper wasm_wrapper
  handler wasm_fdw_handler
  validator wasm_fdw_validator;

create server example_server
  foreign data wrapper wasm_wrapper
  options (
    fdw_package_url :'github_url',
    fdw_package_name 'my-company:example-fdw',
    fdw_package_version '0.1.0',
    fdw_package_checksum :'github_sum',
    api_url :'github_api'
  );

create schema github;

create foreign table github.events (
  id text,
  type text,
  actor jsonb,
  repo jsonb,
  payload jsonb,
  public boolean,
  created_at timestamp
)
  server example_server
  options (
    object 'events',
    rowid_column 'id'
  );

select
  id,
  type,
  actor->>'login' as login,
  repo->>'name' as repo,
  created_at
from
  github.events
limit 5;

-- The package is stored as a module, told apart from core-ABI packages.
SELECT name LIKE 'pkg_%' AS stored, sha256 = :'github_sum' AS checksum_matches
    FROM wasm.modules WHERE sha256 = :'github_sum';
-- Every column of the template's table; GitHub's first page is 30 events.
SELECT count(*), count(*) FILTER (WHERE public) AS public, min(created_at), max(created_at),
       count(DISTINCT repo ->> 'name') AS repos, sum((payload ->> 'size')::int) AS size
    FROM github.events;
SELECT * FROM github.events WHERE id = 'e0990';
SELECT id, created_at FROM github.events ORDER BY created_at LIMIT 3 OFFSET 2;
-- The local-development form of the README: a file:// URL without a
-- checksum. Supabase allows it for local files; pg_wasm wants a checksum
-- with every URL (docs/fdw.md).
SELECT error_detail_of(format($$create server example_local foreign data wrapper wasm_wrapper
    options (fdw_package_url %L, fdw_package_name 'my-company:example-fdw',
             fdw_package_version '0.1.0', api_url %L)$$, :'github_file', :'github_api'));
-- What the template's guest refuses: a member the response lacks, a table
-- without `object`, a status the API gives for a missing path.
CREATE FOREIGN TABLE github.no_member (id text, nope text) SERVER example_server
    OPTIONS (object 'events');
SELECT error_detail_of($$SELECT * FROM github.no_member$$);
CREATE FOREIGN TABLE github.no_object (id text) SERVER example_server;
SELECT error_detail_of($$SELECT * FROM github.no_object$$);
CREATE FOREIGN TABLE github.missing (id text) SERVER example_server OPTIONS (object 'nope');
SELECT error_detail_of($$SELECT * FROM github.missing$$);
-- It is read-only, as the template; and a 0.1.0 package has no
-- import-foreign-schema.
SELECT error_detail_of($$DELETE FROM github.events WHERE id = 'e1000'$$);
CREATE SCHEMA github2;
SELECT error_detail_of($$IMPORT FOREIGN SCHEMA remote FROM SERVER example_server INTO github2$$);
-- A checksum that does not match refuses the package (its sum, which
-- changes with the compiler, shown as <github_sum>).
SELECT replace(error_detail_of(format($$create server example_bad_sum foreign data wrapper wasm_wrapper
    options (fdw_package_url %L, fdw_package_name 'my-company:example-fdw-2',
             fdw_package_version '0.1.0', fdw_package_checksum %L, api_url %L)$$,
    :'github_url', repeat('0', 64), :'github_api')), :'github_sum', '<github_sum>');

------------------------------------------------------------------------------
-- A paginated read (0.2.0): pages of 25 through /events' cursors; equality
-- quals become query parameters, ORDER BY created_at the API's sort, and a
-- limit stops the paging. trace 'true' makes the guest report each request
-- (NOTICE) and the pages and rows at the end.
CREATE SERVER events_pages FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'paginated_url', fdw_package_name 'pg-wasm:paginated',
    fdw_package_version '0.2.0', fdw_package_checksum :'paginated_sum', api_url :'api_url');
CREATE FOREIGN TABLE events_pages (
    id text, type text, actor_login text, actor jsonb, created_at timestamptz, payload jsonb)
  SERVER events_pages OPTIONS (object 'events', page_size '25',
                               pushdown 'type,actor_login=actor,id=ids', sort_param 'created_at');
CREATE FOREIGN TABLE events_traced (id text, type text, actor_login text, created_at timestamptz)
  SERVER events_pages OPTIONS (object 'events', page_size '25',
                               pushdown 'type,actor_login=actor,id=ids', sort_param 'created_at',
                               trace 'true');
-- All 1,000 events, 40 pages.
SELECT count(*), min(id), max(id), count(DISTINCT type) FROM events_pages;
SELECT count(*) FROM events_traced;
-- Quals pushed into the query string.
SELECT id, actor_login, created_at FROM events_traced
    WHERE type = 'PushEvent' AND actor_login = 'user17' ORDER BY id;
SELECT id, type FROM events_traced WHERE id IN ('e0001', 'e0500', 'e9999') ORDER BY id;
-- The limit: no more pages than it needs.
SELECT id FROM events_traced WHERE type = 'WatchEvent' LIMIT 30;
SELECT id, created_at FROM events_traced ORDER BY created_at DESC LIMIT 3;
SELECT id FROM events_traced ORDER BY created_at LIMIT 2 OFFSET 3;
-- A qual the API cannot take is checked by PostgreSQL.
SELECT count(*) FROM events_pages WHERE actor ->> 'login' = 'user17' AND type = 'WatchEvent';
EXPLAIN (COSTS OFF) SELECT id FROM events_pages WHERE type = 'PushEvent' LIMIT 5;
-- A nested loop rescans the inner foreign table once per outer row.
CREATE TABLE wanted_pages (id text);
INSERT INTO wanted_pages VALUES ('e0002'), ('e0010'), ('e0999');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT w.id, e.type FROM wanted_pages w JOIN events_pages e ON e.id = w.id ORDER BY w.id;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- Column types of 0.2.0: a date, a numeric, a varchar, and a type with no
-- cell of its own (other(tsvector): the guest gives its text). payload_size
-- and actor_id are read from payload.size and actor.id.
CREATE FOREIGN TABLE events_typed (id text, created_at date, payload_size numeric,
    type varchar(12), actor_id int8, repo tsvector)
  SERVER events_pages OPTIONS (object 'events', page_size '5');
SELECT * FROM events_typed LIMIT 3;
-- Bad options.
CREATE FOREIGN TABLE events_bad_page (id text) SERVER events_pages
    OPTIONS (object 'events', page_size '1000');
SELECT error_detail_of($$SELECT * FROM events_bad_page$$);
-- A server without api_url: the guest's init refuses it when a statement
-- first uses the server (init does not run at CREATE SERVER, as on
-- Supabase).
CREATE SERVER events_no_url FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'paginated_url', fdw_package_name 'pg-wasm:paginated',
    fdw_package_version '0.2.0', fdw_package_checksum :'paginated_sum');
CREATE FOREIGN TABLE events_no_url (id text) SERVER events_no_url OPTIONS (object 'events');
SELECT error_detail_of($$SELECT * FROM events_no_url$$);
-- What the guest counted through stats.inc-stats, and the host's own.
SELECT server_name, scans > 0 AS scanned, rows_read > 0 AS rows_read,
       http_requests > 0 AS requested FROM wasm.fdw_stats WHERE server_name = 'events_pages';

------------------------------------------------------------------------------
-- Writes (0.1.0) through rowid_column: /users with a bearer token.
CREATE SERVER users_rest FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'writable_url', fdw_package_name 'pg-wasm:writable',
    fdw_package_version '0.1.0', fdw_package_checksum :'writable_sum',
    api_url :'api_url', api_key 'secret-token-123');
-- The API's users as they start (earlier suites changed them): an INSERT
-- into /_reset (POST) resets them.
CREATE FOREIGN TABLE api_reset (id text) SERVER users_rest
    OPTIONS (object '_reset', rowid_column 'id');
INSERT INTO api_reset VALUES (NULL);
CREATE FOREIGN TABLE users_rest (id text, name text, email text, age int)
    SERVER users_rest OPTIONS (object 'users', rowid_column 'id');
SELECT * FROM users_rest ORDER BY id;
INSERT INTO users_rest (name, email, age) VALUES ('zed', 'zed@example.com', 40);
INSERT INTO users_rest (name, email, age) VALUES ('yan', 'yan@example.com', NULL), ('xia', NULL, 22);
UPDATE users_rest SET age = age + 1 WHERE id = 'u1';
UPDATE users_rest SET email = 'bob@example.org', name = 'robert' WHERE name = 'bob';
DELETE FROM users_rest WHERE id = 'u3';
SELECT * FROM users_rest ORDER BY id;
-- Cells of other types go as JSON (time as RFC 3339 through
-- time.epoch-ms-to-rfc3339, floats through utils.cell-to-string), and come
-- back through the scan.
CREATE FOREIGN TABLE users_extra (id text, name text, joined timestamptz, born date,
    score float8, ratio numeric, active bool, tags jsonb)
    SERVER users_rest OPTIONS (object 'users', rowid_column 'id');
INSERT INTO users_extra (name, joined, born, score, ratio, active, tags)
    VALUES ('kim', '2024-05-01 12:34:56.789+00', '1990-02-03', 1.5, 0.25, true, '["a", "b"]');
SELECT name, joined, born, score, ratio, active, tags FROM users_extra WHERE name = 'kim';
-- A row the API does not have (PostgreSQL finds no row to change: ok); a
-- wrong key (the API's 401, the key shown nowhere); a table without
-- rowid_column.
SELECT error_detail_of($$UPDATE users_rest SET age = 1 WHERE id = 'u404'$$);
SELECT error_detail_of($$DELETE FROM users_rest WHERE id = 'u404'$$);
ALTER SERVER users_rest OPTIONS (SET api_key 'wrong-key-456');
SELECT error_detail_of($$SELECT * FROM users_rest$$);
SELECT error_detail_of($$INSERT INTO users_rest (name) VALUES ('nobody')$$);
ALTER SERVER users_rest OPTIONS (SET api_key 'secret-token-123');
CREATE FOREIGN TABLE users_no_rowid (id text, name text) SERVER users_rest OPTIONS (object 'users');
SELECT error_detail_of($$UPDATE users_no_rowid SET name = 'x' WHERE id = 'u1'$$);
-- The key from a secret instead of an option (utils.get-vault-secret-by-name;
-- here the user mapping holds the secret).
CREATE SERVER users_vault FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'writable_url', fdw_package_name 'pg-wasm:writable',
    fdw_package_version '0.1.0', fdw_package_checksum :'writable_sum',
    api_url :'api_url', api_key_name 'users_token');
CREATE USER MAPPING FOR CURRENT_USER SERVER users_vault OPTIONS (users_token 'secret-token-123');
CREATE FOREIGN TABLE users_vault (id text, name text) SERVER users_vault OPTIONS (object 'users');
SELECT id, name FROM users_vault ORDER BY id LIMIT 2;
-- Neither an option nor a secret: the guest's init refuses the scan.
CREATE SERVER users_no_key FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'writable_url', fdw_package_name 'pg-wasm:writable',
    fdw_package_version '0.1.0', fdw_package_checksum :'writable_sum', api_url :'api_url');
CREATE FOREIGN TABLE users_no_key (id text) SERVER users_no_key OPTIONS (object 'users');
SELECT error_detail_of($$SELECT * FROM users_no_key$$);

------------------------------------------------------------------------------
-- IMPORT FOREIGN SCHEMA (0.2.0): the guest returns CREATE FOREIGN TABLE
-- statements, PostgreSQL runs them in the local schema.
CREATE SERVER api_schema FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'import_url', fdw_package_name 'pg-wasm:import-schema',
    fdw_package_version '0.2.0', fdw_package_checksum :'import_sum',
    api_url :'api_url', api_key 'secret-token-123');
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA remote LIMIT TO (events, users) FROM SERVER api_schema INTO imported;
SELECT c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
                             CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    WHERE c.relnamespace = 'imported'::regnamespace GROUP BY c.relname ORDER BY c.relname;
SELECT c.relname, ftoptions FROM pg_foreign_table f JOIN pg_class c ON c.oid = f.ftrelid
    WHERE c.relnamespace = 'imported'::regnamespace ORDER BY c.relname;
-- What was imported can be read.
SELECT count(*) FROM imported.events;
SELECT id, name FROM imported.users ORDER BY id LIMIT 3;
-- Every table: one has a type PostgreSQL does not know.
CREATE SCHEMA imported2;
SELECT error_detail_of($$IMPORT FOREIGN SCHEMA remote FROM SERVER api_schema INTO imported2$$);
IMPORT FOREIGN SCHEMA remote EXCEPT (bad_type) FROM SERVER api_schema INTO imported2;
SELECT relname FROM pg_class WHERE relnamespace = 'imported2'::regnamespace ORDER BY relname;
-- The statement's options reach the guest (get-options(import-schema)):
-- schema_path names where the description is; a missing one is the API's 404.
CREATE SCHEMA imported3;
SELECT error_detail_of($$IMPORT FOREIGN SCHEMA remote FROM SERVER api_schema INTO imported3
    OPTIONS (schema_path 'no/such/schema')$$);
SELECT error_detail_of($$IMPORT FOREIGN SCHEMA remote FROM SERVER api_schema INTO imported3
    OPTIONS (schema_path 'wrong-shape')$$);

------------------------------------------------------------------------------
-- Every host function of both versions of the world: host_calls.c calls
-- each once at begin-scan and returns what it gave as rows (fn, result).
-- The scan gives it quals, an order and a limit to describe; the user
-- mapping holds its secrets (um_only: a key the server lacks).
\set calls_v1_url 'file://' :guests '/host_calls_v1.wasm'
\set calls_v2_url 'file://' :guests '/host_calls_v2.wasm'
CREATE SERVER calls_v1 FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'calls_v1_url', fdw_package_name 'pg-wasm:host-calls',
    fdw_package_version '0.1.0', fdw_package_checksum :'calls_v1_sum', api_url :'api_url',
    label 'server-label');
CREATE SERVER calls_v2 FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'calls_v2_url', fdw_package_name 'pg-wasm:host-calls',
    fdw_package_version '0.2.0', fdw_package_checksum :'calls_v2_sum', api_url :'api_url',
    label 'server-label');
CREATE USER MAPPING FOR CURRENT_USER SERVER calls_v1
    OPTIONS (sec_id 'id-secret-1', sec_name 'name-secret-1', um_only 'from-mapping');
CREATE USER MAPPING FOR CURRENT_USER SERVER calls_v2
    OPTIONS (sec_id 'id-secret-2', sec_name 'name-secret-2', um_only 'from-mapping');
CREATE FOREIGN TABLE calls_v1 (fn text, result text, n int, tag text) SERVER calls_v1
    OPTIONS (tag 'table-tag');
CREATE FOREIGN TABLE calls_v2 (n int, tag text, fn text, result text, extra uuid) SERVER calls_v2
    OPTIONS (tag 'table-tag');
-- The payload of a JWT, and the results with the API's port as <port>.
CREATE FUNCTION jwt_payload(token text) RETURNS json LANGUAGE sql AS $$
    SELECT convert_from(decode(rpad(p, (length(p) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::json
    FROM (SELECT translate(split_part(token, '.', 2), '-_', '+/') AS p) s $$;
CREATE FUNCTION calls_shown(fn text, result text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN fn = 'jwt.encode HS256 ttl 1' THEN
                    format('ok: sub %s, exp in %s h', jwt_payload(substr(result, 4, length(result) - 4)) ->> 'sub',
                           round(((jwt_payload(substr(result, 4, length(result) - 4)) ->> 'exp')::bigint
                                  - extract(epoch FROM now())) / 3600.0))
                ELSE replace(result, current_setting('regress.api_port'), '<port>') END $$;
EXPLAIN (COSTS OFF) SELECT fn, result FROM calls_v1
    WHERE tag = 't' AND n >= 0 AND fn IS NOT NULL AND tag = ANY (ARRAY['t', 'u'])
    ORDER BY n DESC LIMIT 1000 OFFSET 0;
SELECT n, fn, calls_shown(fn, result) AS result FROM calls_v1
    WHERE tag = 't' AND n >= 0 AND fn IS NOT NULL AND tag = ANY (ARRAY['t', 'u'])
    ORDER BY n DESC LIMIT 1000 OFFSET 0;
-- 0.2.0: other columns, other(..) options, uuid and other cells; ordered
-- by two columns, nulls first.
SELECT n, fn, calls_shown(fn, result) AS result FROM calls_v2
    WHERE tag = 't' AND extra IS NULL ORDER BY tag, n NULLS FIRST LIMIT 1000 OFFSET 1;
-- The HS256 token is HMAC-SHA256 over the header and claims, as any JWT
-- library makes it (checked with Python's hmac).
SELECT result = 'ok(eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyMSIsInJvbGUiOiJhZG1pbiJ9.'
                || 'Q_itbUhr_nzEloB19Hi8ABqJIn8Ct-XPi_sxayDPlvc)' AS hs256_token_matches
    FROM calls_v2 WHERE fn = 'jwt.encode HS256';
-- A parameterized scan (rescanned per outer row): qual.param gives the
-- parameter's id and type (25: text).
SELECT w.t, c.fn, c.result FROM (VALUES ('t'), ('u')) w(t),
    LATERAL (SELECT * FROM calls_v2 c WHERE c.tag = w.t OFFSET 0) c
    WHERE c.fn LIKE 'qual%' OR c.fn LIKE 'context.get-%' ORDER BY w.t, c.n;
-- What the guest is refused: report-error is the guest's ERROR; a sleep
-- over the host's 60 s; a column index the statement does not have. The
-- session goes on after each.
CREATE FOREIGN TABLE calls_v1_report_error (fn text) SERVER calls_v1 OPTIONS (mode 'report_error');
CREATE FOREIGN TABLE calls_v1_sleep_long (fn text) SERVER calls_v1 OPTIONS (mode 'sleep_long');
CREATE FOREIGN TABLE calls_v2_unknown_column (fn text) SERVER calls_v2 OPTIONS (mode 'unknown_column');
SELECT t, error_detail_of(format('SELECT * FROM %I', t)),
       (SELECT count(*) FROM calls_v1 WHERE t IS NOT NULL) AS rows_after
    FROM unnest(ARRAY['calls_v1_report_error', 'calls_v1_sleep_long',
                      'calls_v2_unknown_column']) AS t;

------------------------------------------------------------------------------
-- Malformed components: each is an ERROR, the backend goes on.
-- A truncated component, and a component cut inside a section.
SELECT error_detail_of($$SELECT wasm.load_module('cut_component',
    substring(guest('github_events.wasm') from 1 for 100))$$);
SELECT error_detail_of($$SELECT wasm.load_module('cut_component',
    substring(guest('github_events.wasm') from 1 for length(guest('github_events.wasm')) - 7))$$);
-- A host-version-requirement string outside memory: no server.
SELECT error_detail_of(format($$CREATE SERVER bad_version FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:bad-version', fdw_package_version '0.2.0',
    fdw_package_checksum %L)$$, 'file://' || :'guests' || '/bad_string_version.wasm', :'bad_version_sum'));
-- Strings, lists and return areas outside memory, or not what they say.
\set bad_url 'file://' :guests '/bad_string.wasm'
CREATE SERVER bad_string FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'bad_url', fdw_package_name 'pg-wasm:bad-string',
    fdw_package_version '0.2.0', fdw_package_checksum :'bad_string_sum');
CREATE FOREIGN TABLE bad_string_ok (s text) SERVER bad_string;
SELECT * FROM bad_string_ok;
DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['error_oob', 'error_wrap', 'error_utf8', 'result_oob',
                             'result_misaligned', 'bad_discriminant', 'cell_oob',
                             'cell_bad_case', 'option_bad'] LOOP
        EXECUTE format('CREATE FOREIGN TABLE %I (s text) SERVER bad_string OPTIONS (fault %L)',
                       'bad_string_' || f, f);
    END LOOP;
END $$;
-- After each, the same server's well-behaved table is read (a new instance).
SELECT f AS fault, error_detail_of(format('SELECT * FROM %I', 'bad_string_' || f)),
       (SELECT s FROM bad_string_ok WHERE f IS NOT NULL) AS after
    FROM unnest(ARRAY['error_oob', 'error_wrap', 'error_utf8', 'result_oob', 'result_misaligned',
                      'bad_discriminant', 'cell_oob', 'cell_bad_case', 'option_bad']) AS f;
CREATE SCHEMA bad_import;
SELECT f AS fault, error_detail_of(format(
    'IMPORT FOREIGN SCHEMA remote FROM SERVER bad_string INTO bad_import OPTIONS (fault %L)', f)),
       (SELECT s FROM bad_string_ok WHERE f IS NOT NULL) AS after
    FROM unnest(ARRAY['list_oob', 'list_huge', 'element_oob']) AS f;
-- Handles never given out, dropped, of the wrong type, kept past their call.
\set bad_url 'file://' :guests '/bad_handle.wasm'
CREATE SERVER bad_handle FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'bad_url', fdw_package_name 'pg-wasm:bad-handle',
    fdw_package_version '0.1.0', fdw_package_checksum :'bad_handle_sum');
CREATE FOREIGN TABLE bad_handle_ok (s text) SERVER bad_handle;
SELECT * FROM bad_handle_ok;
DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['never_given', 'zero', 'after_drop', 'drop_twice', 'wrong_type',
                             'drop_context_twice', 'keep_borrow', 'leak', 'row_never_given',
                             'row_after_return'] LOOP
        EXECUTE format('CREATE FOREIGN TABLE %I (s text) SERVER bad_handle OPTIONS (fault %L)',
                       'bad_handle_' || f, f);
    END LOOP;
END $$;
SELECT f AS fault, error_detail_of(format('SELECT * FROM %I', 'bad_handle_' || f)),
       (SELECT s FROM bad_handle_ok WHERE f IS NOT NULL) AS after
    FROM unnest(ARRAY['never_given', 'zero', 'after_drop', 'drop_twice', 'wrong_type',
                      'drop_context_twice', 'keep_borrow', 'leak', 'row_never_given',
                      'row_after_return']) AS f;
-- A cabi_realloc that returns garbage: out of memory's bounds, wrapping,
-- misaligned, trapping. The stack exhausted in a guest call the host makes
-- while it serves the guest's options.require is 54001 like any stack
-- overflow: a cabi_realloc recursing without bound, and a guest recursing
-- without bound with options.require at every level, whose stack runs out
-- in the cabi_realloc the host calls (on V8 once HV000 "(unprintable
-- exception)": V8 could not make a string of the error with no stack left).
\set bad_url 'file://' :guests '/bad_realloc.wasm'
CREATE SERVER bad_realloc FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'bad_url', fdw_package_name 'pg-wasm:bad-realloc',
    fdw_package_version '0.1.0', fdw_package_checksum :'bad_realloc_sum');
CREATE FOREIGN TABLE bad_realloc_ok (s text) SERVER bad_realloc OPTIONS (object 'x');
SELECT * FROM bad_realloc_ok;
DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['oob', 'wrap', 'misaligned', 'trap', 'recurse', 'deep'] LOOP
        EXECUTE format('CREATE FOREIGN TABLE %I (s text) SERVER bad_realloc OPTIONS (object %L, fault %L)',
                       'bad_realloc_' || f, 'object', f);
    END LOOP;
END $$;
SELECT f AS fault, error_detail_of(format('SELECT * FROM %I', 'bad_realloc_' || f)),
       (SELECT s FROM bad_realloc_ok WHERE f IS NOT NULL) AS after
    FROM unnest(ARRAY['oob', 'wrap', 'misaligned', 'trap', 'recurse', 'deep']) AS f;
-- On V8, the DETAIL of a trap begins with the guest's Wasm stack, its
-- functions named as the component's core module names them (the native
-- engine gives no stack).
SET wasm.engine = v8;
SELECT f AS fault, error_detail_of(format('SELECT * FROM %I', 'bad_realloc_' || f), wasm_stack => true)
    FROM unnest(ARRAY['trap', 'recurse', 'deep']) AS f;
RESET wasm.engine;
-- After all that, the same session still works.
SELECT count(*) AS still_working FROM github.events;
SELECT * FROM bad_string_ok;

------------------------------------------------------------------------------
SET client_min_messages = warning;
DROP SCHEMA github, github2, imported, imported2, imported3, bad_import CASCADE;
DROP FOREIGN DATA WRAPPER wasm_wrapper CASCADE;
RESET client_min_messages;
DROP TABLE wanted_pages;
DROP FUNCTION calls_shown(text, text);
DROP FUNCTION jwt_payload(text);
RESET wasm.http_allowed_hosts;
-- The packages stay stored as modules until dropped.
CREATE TEMP TABLE suite_packages AS SELECT name FROM wasm.modules
    WHERE sha256 IN (:'github_sum', :'paginated_sum', :'writable_sum', :'import_sum',
                     :'bad_string_sum', :'bad_handle_sum', :'bad_realloc_sum', :'calls_v1_sum',
                     :'calls_v2_sum');
SELECT name FROM suite_packages ORDER BY name;
SELECT count(wasm.drop_module(name)) AS dropped FROM suite_packages;
DROP TABLE suite_packages;
