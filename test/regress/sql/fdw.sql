--
-- Foreign data wrappers in Wasm (docs/fdw.md): the SQL surface, options,
-- packages, planning and pushdown, scans, types, writes, IMPORT FOREIGN
-- SCHEMA and statistics. HTTP faults are in fdw_http.
--
\getenv guests PG_WASM_GUESTS
\set compute :guests '/compute_fdw.wasm'
\set compute_url 'file://' :compute
SELECT encode(sha256(pg_read_binary_file(:'compute')), 'hex') AS compute_sum \gset
SELECT set_config('regress.compute_sum', :'compute_sum', false) IS NOT NULL AS ok;

-- An error's SQLSTATE, message and detail (error_detail_of), compute_fdw's
-- checksum shown as <compute sha256>.
CREATE FUNCTION fdw_error(statement text) RETURNS text LANGUAGE sql AS $$
    SELECT replace(error_detail_of(statement), current_setting('regress.compute_sum'), '<compute sha256>')
$$;

-- Supabase's statements, as their documentation writes them.
CREATE FOREIGN DATA WRAPPER wasm_wrapper
    HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
CREATE SERVER compute_pkg FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'compute_url', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.1.0', fdw_package_checksum :'compute_sum');
-- The package is now a module, read once.
SELECT name, sha256 = :'compute_sum' AS checksum_matches FROM wasm.modules WHERE name LIKE 'pkg_%';
CREATE FOREIGN TABLE nums (n int8, square int8, label text, even bool)
    SERVER compute_pkg OPTIONS (count '2000');
SELECT count(*), sum(n), sum(square), count(*) FILTER (WHERE even) FROM nums;

-- A second server of the same package, with the checksum as sha256:HEX, reads
-- nothing again.
CREATE SERVER compute_pkg2 FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url 'file:///nonexistent/never/read.wasm', fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.1.0', fdw_package_checksum :'compute_sum');
DROP SERVER compute_pkg2;

-- The native form names a module already loaded.
SELECT wasm.load_module_file('compute_fdw', :'compute') IS NOT NULL AS loaded;
CREATE SERVER compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw');
CREATE FOREIGN TABLE gen (n int8, square int8, label text, even bool, other text)
    SERVER compute OPTIONS (count '1000');

-- Options the host knows are checked when they are given.
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (fdw_package_colour 'red')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw', fdw_package_url 'file:///x')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (api_url 'x')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (fdw_package_url 'file:///x',
    fdw_package_name 'a', fdw_package_version '1')$$);
SELECT fdw_error(format($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (fdw_package_url 'ftp://x/y.wasm',
    fdw_package_name 'a', fdw_package_version '1', fdw_package_checksum %L)$$, :'compute_sum'));
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (fdw_package_url 'file:///x',
    fdw_package_name 'a', fdw_package_version '1', fdw_package_checksum 'abc')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw', http_timeout 'soon')$$);
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'no_such_module')$$);
-- A package whose bytes are not the checksum's: both sums are named.
SELECT fdw_error(format($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:other',
    fdw_package_version '9.9.9', fdw_package_checksum 'sha256:0000000000000000000000000000000000000000000000000000000000000000')$$, :'compute_url'));
-- The same name and version with another checksum than the one stored.
SELECT fdw_error(format($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url %L, fdw_package_name 'pg-wasm:compute',
    fdw_package_version '0.1.0', fdw_package_checksum '1111111111111111111111111111111111111111111111111111111111111111')$$, :'compute_url'));
-- A module that is no FDW.
SELECT wasm.load_module('not_fdw', guest('fib.wasm')) IS NOT NULL AS loaded;
SELECT fdw_error($$CREATE SERVER bad FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'not_fdw')$$);
SELECT fdw_error($$CREATE FOREIGN DATA WRAPPER bad_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator
    OPTIONS (anything 'x')$$);
SELECT fdw_error($$CREATE FOREIGN TABLE bad (n int8) SERVER compute OPTIONS (rows 'many')$$);
SELECT fdw_error($$CREATE FOREIGN TABLE bad (n int8) SERVER compute OPTIONS (rowid_column 'id')$$);
SELECT fdw_error($$CREATE FOREIGN TABLE bad (n int8 OPTIONS (field '')) SERVER compute$$);

-- Planning: the guest's estimates, the quals it applies exactly (not
-- rechecked), its sort and the limit.
EXPLAIN (COSTS OFF) SELECT * FROM gen WHERE n <= 3;
EXPLAIN (COSTS OFF) SELECT * FROM gen WHERE n <= 3 AND label LIKE 'row%';
EXPLAIN (COSTS OFF) SELECT n FROM gen ORDER BY n DESC LIMIT 3;
EXPLAIN (COSTS OFF) SELECT n FROM gen ORDER BY n LIMIT 3 OFFSET 2;
EXPLAIN (COSTS OFF) SELECT n FROM gen ORDER BY label LIMIT 3;
SELECT * FROM gen WHERE n <= 3;
SELECT n, label FROM gen WHERE n <= 3 AND label LIKE '%2';
SELECT n FROM gen ORDER BY n DESC LIMIT 3;
SELECT n FROM gen ORDER BY n LIMIT 3 OFFSET 2;
SELECT n FROM gen WHERE n = ANY (ARRAY[5, 7, 2000, 5000]) ORDER BY n;
SELECT n FROM gen WHERE n IS NULL;
SELECT count(*) FROM gen WHERE other IS NULL;
-- A stable expression is computed once and given to the guest.
SELECT n FROM gen WHERE n < length(current_user) - length(current_user) + 3;
-- A prepared statement's parameter.
PREPARE by_n(int8) AS SELECT n, label FROM gen WHERE n = $1;
EXECUTE by_n(42);
EXECUTE by_n(43);
DEALLOCATE by_n;

-- LIMIT and OFFSET go to the guest when nothing else lies between: no Limit
-- node is left. A subquery's and a correlated subplan's limits too; the
-- latter's scan starts again with each outer row.
EXPLAIN (COSTS OFF) SELECT n FROM gen WHERE n < 10 LIMIT 3 OFFSET 5;
SELECT n FROM gen WHERE n < 10 LIMIT 3 OFFSET 5;
SELECT n FROM gen LIMIT 3 OFFSET 998;
EXPLAIN (COSTS OFF) SELECT n * 2 AS twice, label FROM gen ORDER BY n LIMIT 2;
SELECT n * 2 AS twice, label FROM gen ORDER BY n LIMIT 2;
SELECT s.n, g.label FROM (SELECT n FROM gen LIMIT 3) s JOIN gen g ON g.n = s.n ORDER BY 1;
EXPLAIN (COSTS OFF)
SELECT n, (SELECT g2.label FROM gen g2 WHERE g2.n = g.n + 1 LIMIT 1) FROM gen g ORDER BY n LIMIT 3;
SELECT n, (SELECT g2.label FROM gen g2 WHERE g2.n = g.n + 1 LIMIT 1) FROM gen g ORDER BY n LIMIT 3;
-- Not when PostgreSQL must filter, sort or aggregate first.
EXPLAIN (COSTS OFF) SELECT n FROM gen WHERE label LIKE '%1' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT count(*) FROM gen LIMIT 3;

-- Self-join: each scan has its own instance.
SELECT a.n, b.n FROM gen a JOIN gen b ON b.n = a.n + 1 WHERE a.n < 4 ORDER BY a.n;
-- A nested loop whose inner scan is parameterized by the outer row: the
-- guest gets each outer value at fdw_re_scan.
CREATE TABLE wanted (n int8);
INSERT INTO wanted VALUES (10), (20), (30);
ANALYZE wanted;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF) SELECT w.n, g.label FROM wanted w JOIN gen g ON g.n = w.n;
SELECT w.n, g.label FROM wanted w JOIN gen g ON g.n = w.n ORDER BY w.n;
-- A correlated subquery rescans with new values too.
SELECT w.n, (SELECT g.square FROM gen g WHERE g.n = w.n) FROM wanted w ORDER BY w.n;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- Cells are fitted to the columns as an assignment would fit them.
CREATE FOREIGN TABLE gen_typed (n int4, square numeric(10,1), label varchar(10), even text)
    SERVER compute OPTIONS (count '3');
SELECT * FROM gen_typed;
CREATE FOREIGN TABLE gen_short (n int8, label varchar(3)) SERVER compute OPTIONS (count '3');
SELECT fdw_error($$SELECT * FROM gen_short$$);
CREATE FOREIGN TABLE gen_small (n int2, square int2) SERVER compute OPTIONS (count '300');
SELECT max(n) FROM gen_small;
SELECT fdw_error($$SELECT max(square) FROM gen_small$$);
SELECT 'the session goes on' AS after_errors;

-- A module without fdw_insert: writes are refused, naming what is missing.
SELECT fdw_error($$INSERT INTO gen (n) VALUES (1)$$);
SELECT fdw_error($$UPDATE gen SET label = 'x' WHERE n = 1$$);

-- The host's functions for guests: RFC 3339 both ways, JWT, the clock, sleep.
SELECT wasm.load_module('fdw_host_api', guest('fdw_host_api.wasm')) IS NOT NULL AS loaded;
CREATE SERVER host_api FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_host_api');
CREATE FOREIGN TABLE host_api_row (micros int8, formatted text, token text, clock_ok bool)
    SERVER host_api OPTIONS (time '2024-05-01T14:30:00.25+02:00', jwt_key 'k3y');
SELECT micros = extract(epoch FROM timestamptz '2024-05-01T14:30:00.25+02:00') * 1000000 AS parsed,
       formatted, clock_ok FROM host_api_row;
-- The token's signature is HMAC-SHA256 of its header and claims.
CREATE EXTENSION pgcrypto;
CREATE FUNCTION base64url_decode(s text) RETURNS text LANGUAGE sql AS $$
    SELECT convert_from(decode(translate(s, '-_', '+/') || repeat('=', (4 - length(s) % 4) % 4),
                               'base64'), 'UTF8') $$;
SELECT base64url_decode(split_part(token, '.', 1)) AS header,
       base64url_decode(split_part(token, '.', 2)) AS claims,
       split_part(token, '.', 3) = rtrim(translate(encode(hmac(split_part(token, '.', 1) || '.' ||
           split_part(token, '.', 2), 'k3y', 'sha256'), 'base64'), '+/', '-_'), '=') AS signed
    FROM host_api_row;
CREATE FOREIGN TABLE host_api_bad_time (micros int8) SERVER host_api OPTIONS (time 'yesterday');
SELECT fdw_error($$SELECT * FROM host_api_bad_time$$);
-- A guest's sleep ends at a cancel or statement_timeout.
CREATE FOREIGN TABLE host_api_sleepy (clock_ok bool) SERVER host_api OPTIONS (sleep_ms '30000');
SET statement_timeout = '200ms';
\set VERBOSITY sqlstate
SELECT * FROM host_api_sleepy;
\set VERBOSITY default
RESET statement_timeout;
SELECT 'the session goes on' AS after_cancel;

-- Every type through the host's packing and back: fdw_echo's INSERT returns
-- the cells it was given.
SELECT wasm.load_module('fdw_echo', guest('fdw_echo.wasm')) IS NOT NULL AS loaded;
CREATE SERVER echo FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'fdw_echo');
CREATE FOREIGN TABLE echo (b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
    num numeric, num41 numeric(4,1), t text, vc varchar(5), bp char(3), d date, ts timestamp,
    tstz timestamptz, j json, jb jsonb, u uuid, by bytea, ia int4[], ta text[], ip inet,
    iv interval) SERVER echo;
CREATE TABLE echo_in (LIKE echo);
INSERT INTO echo_in VALUES
    (true, -32768, 2147483647, -9223372036854775808, 1.5, -0.000123456789, -12.50, 12.3,
     'héllo, wörld ✓', 'abc', 'ab', '2024-02-29', '2024-05-01 12:00:00.000001',
     '2024-05-01 12:00:00+02', '{"a": [1, 2.5, null]}', '{"b": {"c": true}}',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00ff10', '{1,NULL,3}', '{"x y",NULL,""}',
     '10.1.2.3/8', '1 day 02:03:04'),
    (false, 0, 0, 0, 'NaN', '-Infinity', 'NaN', -99.9, '', '', '', 'infinity', '-infinity',
     'infinity', '[]', '{}', '00000000-0000-0000-0000-000000000000', '', '{}', '{}', '::1',
     '-1 mons'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL);
WITH back AS (INSERT INTO echo SELECT * FROM echo_in RETURNING *)
SELECT (SELECT count(*) FROM back) AS returned,
       (SELECT count(*) FROM back b JOIN echo_in i
            ON (b.*)::text = (i.*)::text) AS identical;
-- json keeps its text, jsonb its value, each as written.
INSERT INTO echo (j, jb, num, ts) VALUES ('{"k":  1}', '{"k":  1}', 1e-20, '0044-03-15 BC')
    RETURNING j, jb, num, ts;

-- Statistics of this session, per server.
SELECT server_name, scans > 0 AS scanned, rows_read > 0 AS rows_read, rows_written,
       errors > 0 AS failed, http_requests
    FROM wasm.fdw_stats ORDER BY server_name;

-- The wrapper's objects, dropped in order.
DROP TABLE echo_in;
DROP FOREIGN TABLE echo, gen_typed, gen_short, gen_small, host_api_bad_time, host_api_sleepy;
DROP EXTENSION pgcrypto;
DROP FUNCTION base64url_decode(text);
DROP TABLE wanted;
SET client_min_messages = warning;
DROP FOREIGN DATA WRAPPER wasm_wrapper CASCADE;
RESET client_min_messages;
SELECT count(wasm.drop_module(name)) AS dropped
FROM unnest(ARRAY['pkg_pg_wasm_compute__0_1_0', 'compute_fdw', 'not_fdw', 'fdw_host_api', 'fdw_echo']) name;
DROP FUNCTION fdw_error(text);
