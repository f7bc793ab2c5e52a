--
-- A Supabase Wasm FDW written in JavaScript: the `postgres-wasm-fdw`
-- template's GitHub events example (test/components/js/js_supabase_fdw.js),
-- built at build time by componentize-js with its defaults for the world
-- supabase:wrappers 0.1.0 (docs/components-guide.md). Built so, the package
-- also imports WASI 0.2 (io, clocks, random, cli, filesystem, http), which
-- the host provides (docs/wasi.md). The template's README statements run as
-- written against the test API (test/fdw/api_server.py, PG_WASM_API_PORT),
-- which serves GitHub's shape at /github and the guests at /files/. The
-- suite runs on V8 (a JavaScript package's native build takes minutes).
-- Two builds of the same source differ: the checksum is read, never shown.
--
\getenv api_port PG_WASM_API_PORT
\set api_url 'http://127.0.0.1:' :api_port
SET wasm.engine = v8;
SET wasm.http_allowed_hosts = '127.0.0.1';
SELECT encode(sha256(guest('js_supabase_fdw.wasm')), 'hex') AS js_sum \gset
\set js_url :api_url '/files/js_supabase_fdw.wasm'
\set github_api :api_url '/github'

------------------------------------------------------------------------------
-- The template's README, as written: the package read over HTTP with its
-- checksum, api_url the test API's GitHub-shaped /github.
create foreign data wrapper wasm_wrapper
  handler wasm_fdw_handler
  validator wasm_fdw_validator;

create server example_server
  foreign data wrapper wasm_wrapper
  options (
    fdw_package_url :'js_url',
    fdw_package_name 'my-company:example-fdw',
    fdw_package_version '0.1.0',
    fdw_package_checksum :'js_sum',
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

-- The same rows as the C package of suite fdw_supabase gives: every column
-- of the template's table, GitHub's first page of 30 events.
SELECT count(*), count(*) FILTER (WHERE public) AS public, min(created_at), max(created_at),
       count(DISTINCT repo ->> 'name') AS repos, sum((payload ->> 'size')::int) AS size
    FROM github.events;
SELECT * FROM github.events WHERE id = 'e0990';
SELECT id, created_at FROM github.events ORDER BY created_at LIMIT 3 OFFSET 2;

-- What the guest refuses, as the template does: a member the response
-- lacks, a table without `object`, a status the API gives for a missing
-- path. Each is the routine's err, thrown in JavaScript.
CREATE FOREIGN TABLE github.no_member (id text, nope text) SERVER example_server
    OPTIONS (object 'events');
SELECT error_detail_of($$SELECT * FROM github.no_member$$);
CREATE FOREIGN TABLE github.no_object (id text) SERVER example_server;
SELECT error_detail_of($$SELECT * FROM github.no_object$$);
CREATE FOREIGN TABLE github.missing (id text) SERVER example_server OPTIONS (object 'nope');
SELECT error_detail_of($$SELECT * FROM github.missing$$);
-- It is read-only.
SELECT error_detail_of($$DELETE FROM github.events WHERE id = 'e1000'$$);
-- A host the server's allowlist does not name: the host's HTTP client
-- refuses the request, an ERROR of the host's that the guest never sees.
CREATE SERVER elsewhere FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (
    fdw_package_url :'js_url', fdw_package_name 'my-company:example-fdw',
    fdw_package_version '0.1.0', fdw_package_checksum :'js_sum',
    api_url 'http://localhost:1/github');
CREATE FOREIGN TABLE github.elsewhere (id text) SERVER elsewhere OPTIONS (object 'events');
SELECT error_detail_of($$SELECT * FROM github.elsewhere$$);
-- After the errors, the same session still reads.
SELECT count(*) AS still_working FROM github.events;

------------------------------------------------------------------------------
SET client_min_messages = warning;
DROP SCHEMA github CASCADE;
DROP FOREIGN DATA WRAPPER wasm_wrapper CASCADE;
RESET client_min_messages;
RESET wasm.http_allowed_hosts;
RESET wasm.engine;
-- The package stays stored as a module until dropped.
SELECT count(wasm.drop_module(name)) AS dropped FROM wasm.modules WHERE sha256 = :'js_sum';
