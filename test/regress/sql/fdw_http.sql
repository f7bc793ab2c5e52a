--
-- Wasm FDWs over HTTP (docs/fdw.md): the examples against the suites' own
-- API server (test/fdw/api_server.py on 127.0.0.1), the host allowlist,
-- credentials, writes, IMPORT FOREIGN SCHEMA, and every fault a request can
-- meet.
--
\getenv guests PG_WASM_GUESTS
\getenv api_port PG_WASM_API_PORT
\set api_url 'http://127.0.0.1:' :api_port
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
SELECT wasm.load_module('events_fdw', guest('events_fdw.wasm')) IS NOT NULL AS loaded;
SELECT wasm.load_module('users_fdw', guest('users_fdw.wasm')) IS NOT NULL AS loaded;
-- An error's SQLSTATE, message and detail (error_detail_of: the API's port
-- shown as <port>), compute_fdw's checksum shown as <compute sha256>.
SELECT encode(sha256(guest('compute_fdw.wasm')), 'hex') AS compute_sum \gset
SELECT set_config('regress.compute_sum', :'compute_sum', false) IS NOT NULL AS ok;
CREATE FUNCTION fdw_error(statement text) RETURNS text LANGUAGE sql AS $$
    SELECT replace(error_detail_of(statement), current_setting('regress.compute_sum'), '<compute sha256>')
$$;

CREATE SERVER events_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url :'api_url');
CREATE FOREIGN TABLE events (
    id text, type text, actor jsonb, actor_login text OPTIONS (field 'actor.login'),
    created_at timestamptz)
  SERVER events_api OPTIONS (object 'events', rowid_column 'id');

-- No host is allowed until a superuser allows it: refused before connecting.
SHOW wasm.http_allowed_hosts;
SELECT fdw_error($$SELECT count(*) FROM events$$);
SELECT fdw_error($$SET wasm.http_allowed_hosts = 'a b'$$);
SET wasm.http_allowed_hosts = '127.0.0.1';
-- A server may narrow it: 127.0.0.2 is not its API's host.
ALTER SERVER events_api OPTIONS (ADD http_allowed_hosts '127.0.0.2');
SELECT fdw_error($$SELECT count(*) FROM events$$);
ALTER SERVER events_api OPTIONS (DROP http_allowed_hosts);

-- A package read over HTTP (once, through the same client and allowlist),
-- checked against its checksum.
\set package_url :api_url '/files/compute_fdw.wasm'
CREATE SERVER compute_http FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'package_url', fdw_package_name 'pg-wasm:compute-http',
    fdw_package_version '1.0.0', fdw_package_checksum :'compute_sum');
CREATE FOREIGN TABLE compute_http_nums (n int8) SERVER compute_http OPTIONS (count '5');
SELECT sum(n) FROM compute_http_nums;
SELECT fdw_error(format($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:missing', fdw_package_version '1.0.0',
    fdw_package_checksum %L)$$, :'api_url' || '/files/no_such.wasm', :'compute_sum'));

-- Storing a package is loading a module: it needs EXECUTE on
-- wasm.load_module (directly or through a role), whoever has USAGE on the
-- wrapper. A package already stored needs no such right to be used.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_fdw_user, regress_fdw_loader, regress_fdw_loaders;
RESET client_min_messages;
CREATE ROLE regress_fdw_user;
CREATE ROLE regress_fdw_loaders;
CREATE ROLE regress_fdw_loader IN ROLE regress_fdw_loaders;
GRANT EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean) TO regress_fdw_loaders;
GRANT USAGE ON FOREIGN DATA WRAPPER wasm_wrapper TO regress_fdw_user, regress_fdw_loader;
CREATE SCHEMA regress_fdw AUTHORIZATION regress_fdw_user;
SELECT count(*) AS modules_before FROM wasm.modules \gset
SET ROLE regress_fdw_user;
-- A new package: refused before anything is read, nothing stored; the same
-- through the validator called as a function, and from a file.
SELECT fdw_error(format($$CREATE SERVER user_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:compute-user', fdw_package_version '1.0.0',
    fdw_package_checksum %L)$$, :'package_url', :'compute_sum'));
SELECT fdw_error(format($$SELECT wasm_fdw_validator(ARRAY['fdw_package_url=%s',
    'fdw_package_name=pg-wasm:compute-user', 'fdw_package_version=1.0.0',
    'fdw_package_checksum=%s'], 'pg_foreign_server'::regclass)$$, :'package_url', :'compute_sum'));
SELECT fdw_error(format($$CREATE SERVER user_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:compute-user', fdw_package_version '1.0.0',
    fdw_package_checksum %L)$$, 'file://' || :'guests' || '/compute_fdw.wasm', :'compute_sum'));
SELECT count(*) = :modules_before AS nothing_stored FROM wasm.modules;
SELECT count(*) AS user_servers FROM pg_foreign_server WHERE srvname = 'user_pkg';
-- The package the superuser stored above is the user's to use; altering
-- the server to a package not stored is refused, and the server unchanged.
CREATE SERVER user_stored FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'package_url', fdw_package_name 'pg-wasm:compute-http',
    fdw_package_version '1.0.0', fdw_package_checksum :'compute_sum');
CREATE FOREIGN TABLE regress_fdw.user_nums (n int8) SERVER user_stored OPTIONS (count '5');
SELECT sum(n) FROM regress_fdw.user_nums;
SELECT fdw_error($$ALTER SERVER user_stored OPTIONS (SET fdw_package_version '2.0.0')$$);
SELECT count(*) = :modules_before AS nothing_stored FROM wasm.modules;
SELECT option_value AS version FROM pg_foreign_server, pg_options_to_table(srvoptions)
    WHERE srvname = 'user_stored' AND option_name = 'fdw_package_version';
RESET ROLE;
-- A loader (through its group role) may store a package, and owns it; it
-- still reads no server file without pg_read_server_files.
SET ROLE regress_fdw_loader;
SELECT fdw_error(format($$CREATE SERVER loader_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:compute-shared', fdw_package_version '1.0.0',
    fdw_package_checksum %L)$$, 'file://' || :'guests' || '/compute_fdw.wasm', :'compute_sum'));
CREATE SERVER loader_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'package_url', fdw_package_name 'pg-wasm:compute-shared',
    fdw_package_version '1.0.0', fdw_package_checksum :'compute_sum');
RESET ROLE;
SELECT name, owner FROM wasm.modules WHERE name LIKE 'pkg_pg_wasm_compute_%' ORDER BY name;
-- The user may use the loader's package, not replace or drop it.
SET ROLE regress_fdw_user;
CREATE SERVER user_shared FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'package_url', fdw_package_name 'pg-wasm:compute-shared',
    fdw_package_version '1.0.0', fdw_package_checksum :'compute_sum');
CREATE FOREIGN TABLE regress_fdw.shared_nums (n int8) SERVER user_shared OPTIONS (count '4');
SELECT sum(n) FROM regress_fdw.shared_nums;
SELECT fdw_error($$SELECT wasm.drop_module('pkg_pg_wasm_compute_shared__1_0_0', cascade => true)$$);
SELECT fdw_error($$ALTER SERVER user_shared OPTIONS (SET fdw_package_checksum '1111111111111111111111111111111111111111111111111111111111111111')$$);
SELECT name, owner, sha256 = :'compute_sum' AS unchanged FROM wasm.modules
    WHERE name = 'pkg_pg_wasm_compute_shared__1_0_0';
RESET ROLE;
-- Granted the right, the user may store packages, which it then owns.
GRANT EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean) TO regress_fdw_user;
SET ROLE regress_fdw_user;
CREATE SERVER user_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'package_url', fdw_package_name 'pg-wasm:compute-user',
    fdw_package_version '1.0.0', fdw_package_checksum :'compute_sum');
ALTER SERVER user_stored OPTIONS (SET fdw_package_version '2.0.0');
SELECT sum(n) FROM regress_fdw.user_nums;
-- It still may not replace the loader's.
SELECT fdw_error($$SELECT wasm.load_module('pkg_pg_wasm_compute_shared__1_0_0', '\x0061736d01000000', replace => true)$$);
RESET ROLE;
SELECT name, owner FROM wasm.modules WHERE name LIKE 'pkg_pg_wasm_compute_%' ORDER BY name;
DROP SCHEMA regress_fdw CASCADE;
DROP SERVER user_pkg, user_stored, user_shared, loader_pkg;
SELECT wasm.drop_module(name) FROM wasm.modules
    WHERE name IN ('pkg_pg_wasm_compute_user__1_0_0', 'pkg_pg_wasm_compute_http__2_0_0',
                   'pkg_pg_wasm_compute_shared__1_0_0') ORDER BY name;
REVOKE ALL ON FOREIGN DATA WRAPPER wasm_wrapper FROM regress_fdw_user, regress_fdw_loader;
REVOKE ALL ON FUNCTION wasm.load_module(text, bytea, text, boolean)
    FROM regress_fdw_user, regress_fdw_loaders;
DROP ROLE regress_fdw_user, regress_fdw_loader, regress_fdw_loaders;

-- The guest checks what it is given when the statement has made it.
SELECT fdw_error($$CREATE FOREIGN TABLE bad_events (id text) SERVER events_api$$);
SELECT fdw_error($$CREATE FOREIGN TABLE bad_events (id text, at point) SERVER events_api OPTIONS (object 'events')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'events_fdw')$$);

-- 1,000 events over pages of 100.
SELECT count(*), min(id), max(id), count(DISTINCT type) FROM events;
-- Quals become query parameters; the sort and the limit go to the API.
EXPLAIN (COSTS OFF) SELECT id, actor_login, created_at FROM events
    WHERE type = 'PushEvent' AND created_at > '2024-01-01T10:00:00Z'
    ORDER BY created_at DESC LIMIT 5;
SELECT id, actor_login, created_at FROM events
    WHERE type = 'PushEvent' AND created_at > '2024-01-01T10:00:00Z'
    ORDER BY created_at DESC LIMIT 5;
SELECT id, type, actor ->> 'login' AS login FROM events WHERE id IN ('e0001', 'e0500', 'e9999');
SELECT count(*) FROM events WHERE actor_login = 'user17' AND type = 'WatchEvent';
-- A qual the API cannot apply is checked by PostgreSQL.
SELECT count(*) FROM events WHERE actor ->> 'login' = 'user17' AND type = 'WatchEvent';
-- EXPLAIN ANALYZE counts the requests: one page for a keyed lookup.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT * FROM events WHERE id = 'e0042';
-- A nested loop: one keyed request per outer row, given at fdw_re_scan.
CREATE TABLE wanted_events (id text);
INSERT INTO wanted_events VALUES ('e0002'), ('e0010'), ('e0999');
ANALYZE wanted_events;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF) SELECT w.id, e.type FROM wanted_events w JOIN events e ON e.id = w.id;
SELECT w.id, e.type FROM wanted_events w JOIN events e ON e.id = w.id ORDER BY w.id;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- A self-join reads the API twice, each scan with its own instance.
SELECT a.id, b.id FROM events a JOIN events b ON a.actor_login = b.actor_login
    WHERE a.id = 'e0001' AND b.id < 'e0100' ORDER BY b.id LIMIT 3;

-- 429 Too Many Requests with Retry-After: the guest sleeps and retries.
CREATE FOREIGN TABLE limited_events (id text, type text)
    SERVER events_api OPTIONS (object 'limited/events');
SELECT id, type FROM limited_events WHERE type = 'ForkEvent' LIMIT 3;

-- The API's users as they start (another suite may have changed them): an
-- INSERT into /_reset (POST) resets them.
CREATE SERVER api_reset FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'users_fdw', api_url :'api_url');
CREATE FOREIGN TABLE api_reset (id text) SERVER api_reset OPTIONS (object '_reset');
INSERT INTO api_reset VALUES (NULL);

-- Credentials live in user mappings and reach the guest as options only.
CREATE SERVER users_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'users_fdw', api_url :'api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER users_api OPTIONS (api_key 'secret-token-123');
CREATE FOREIGN TABLE users (id text, name text, email text, age int)
    SERVER users_api OPTIONS (object 'users', rowid_column 'id');
SELECT * FROM users ORDER BY id;
INSERT INTO users (name, email, age) VALUES ('zed', 'zed@example.com', 40) RETURNING *;
UPDATE users SET age = age + 1 WHERE id = 'u1' RETURNING id, name, age;
DELETE FROM users WHERE id = 'u2' RETURNING id;
SELECT id, name, age FROM users ORDER BY id;
-- A wrong key: the API's 401 is an error with its status; the key shows
-- nowhere.
ALTER USER MAPPING FOR CURRENT_USER SERVER users_api OPTIONS (SET api_key 'wrong-key-456');
SELECT fdw_error($$SELECT * FROM users$$);
ALTER USER MAPPING FOR CURRENT_USER SERVER users_api OPTIONS (SET api_key 'secret-token-123');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM users WHERE id = 'u1';
SELECT umoptions IS NOT NULL AS has_options FROM pg_user_mappings WHERE srvname = 'users_api';

-- IMPORT FOREIGN SCHEMA: the API describes its tables; the host writes
-- the statements.
CREATE SCHEMA api;
IMPORT FOREIGN SCHEMA remote LIMIT TO (users, events) FROM SERVER users_api INTO api;
SELECT c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
                             CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    WHERE c.relnamespace = 'api'::regnamespace GROUP BY c.relname ORDER BY c.relname;
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'api.users'::regclass;
SELECT count(*) FROM api.users;
-- Every table: one of them has a type PostgreSQL does not know.
CREATE SCHEMA api2;
SELECT fdw_error($$IMPORT FOREIGN SCHEMA remote FROM SERVER users_api INTO api2$$);
IMPORT FOREIGN SCHEMA remote EXCEPT (bad_type) FROM SERVER users_api INTO api2;
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'api2'::regnamespace;

-- Faults. Each is an ERROR naming the server, the table and the routine;
-- the session goes on after each.
CREATE FOREIGN TABLE slow (id text) SERVER events_api OPTIONS (object 'slow?ms=5000');
CREATE FOREIGN TABLE huge (id text) SERVER events_api OPTIONS (object 'huge?mb=20');
CREATE FOREIGN TABLE endless (id text) SERVER events_api OPTIONS (object 'endless');
CREATE FOREIGN TABLE status_500 (id text) SERVER events_api OPTIONS (object 'status/500');
CREATE FOREIGN TABLE status_404 (id text) SERVER events_api OPTIONS (object 'status/404');
CREATE FOREIGN TABLE malformed (id text) SERVER events_api OPTIONS (object 'malformed');
CREATE FOREIGN TABLE wrong_shape (id text) SERVER events_api OPTIONS (object 'wrong-shape');
-- The server's timeout (300 ms) cuts a slow response.
ALTER SERVER events_api OPTIONS (ADD http_timeout '300');
SELECT fdw_error($$SELECT * FROM slow$$);
ALTER SERVER events_api OPTIONS (DROP http_timeout);
-- statement_timeout and cancel stop a request while it waits.
SET statement_timeout = '300ms';
\set VERBOSITY sqlstate
SELECT * FROM slow;
\set VERBOSITY default
RESET statement_timeout;
-- A body past the size cap, finite or endless.
SET wasm.http_max_response_bytes = '1MB';
SELECT fdw_error($$SELECT * FROM huge$$);
SELECT fdw_error($$SELECT * FROM endless$$);
RESET wasm.http_max_response_bytes;
-- Statuses, bodies that are not JSON, and JSON of the wrong shape.
SELECT fdw_error($$SELECT * FROM status_500$$);
SELECT fdw_error($$SELECT * FROM status_404$$);
SELECT fdw_error($$SELECT * FROM malformed$$);
SELECT fdw_error($$SELECT * FROM wrong_shape$$);
-- A redirect to a host not allowed.
CREATE FOREIGN TABLE redirected (id text) SERVER events_api
    OPTIONS (object 'redirect?to=http://127.0.0.2:1/events');
SELECT fdw_error($$SELECT * FROM redirected$$);
-- Nobody listening.
CREATE SERVER closed_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url 'http://127.0.0.1:1');
CREATE FOREIGN TABLE closed_events (id text) SERVER closed_api OPTIONS (object 'events');
SELECT fdw_error($$SELECT * FROM closed_events$$);
SELECT count(*) AS still_working FROM events WHERE id = 'e0001';

-- What this session's guests did, per server.
SELECT server_name, scans > 0 AS scanned, rows_read > 0 AS rows_read, rows_written,
       http_requests > 0 AS requested, http_errors > 0 AS http_failed, errors > 0 AS failed,
       bytes_received > 0 AS received
    FROM wasm.fdw_stats WHERE server_name IN ('events_api', 'users_api', 'closed_api')
    ORDER BY server_name;

DROP SCHEMA api CASCADE;
DROP SCHEMA api2 CASCADE;
DROP TABLE wanted_events;
SET client_min_messages = warning;
DROP FOREIGN DATA WRAPPER wasm_wrapper CASCADE;
RESET client_min_messages;
SELECT count(wasm.drop_module(name)) AS dropped
FROM unnest(ARRAY['events_fdw', 'users_fdw', 'pkg_pg_wasm_compute_http__1_0_0']) name;
DROP FUNCTION fdw_error(text);
