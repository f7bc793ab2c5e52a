--
-- WASI 0.2 (docs/wasi.md, "WASI 0.2"): what components built by today's
-- tools import (wasi:io, wasi:clocks, wasi:random, wasi:cli,
-- wasi:filesystem, wasi:sockets), deny by default. The host offers each
-- function under its core import name for every 0.2.N and in the
-- cm32p2 form; stdout and stderr are lines in the server log, as in
-- preview 1; stdin is at its end; there are no arguments, environment,
-- preopened directories or sockets. The guest (test/guests/wasi/wasi_p2.c)
-- imports WASI 0.2 directly and exports functions of pg_wasm's ABI.
--

-- What the guest writes to stdout or stderr goes to the log at level LOG.
SET client_min_messages = log;

-- It imports wasi:io/poll@0.2.10, wasi:cli/stderr@0.2.3,
-- wasi:clocks/wall-clock@0.2.0 and cm32p2|wasi:cli/stdout@0.2: all load.
SELECT wasm.load_module_file('wasi_p2', current_setting('regress.guests') || '/wasi_p2.wasm') IS NOT NULL AS loaded;

--
-- Clocks and random numbers: checked by their properties.
--
CREATE FUNCTION p2_mono_ok() RETURNS bool LANGUAGE wasm AS 'wasi_p2::mono_ok';
CREATE FUNCTION p2_wall_ok() RETURNS bool LANGUAGE wasm AS 'wasi_p2::wall_ok';
CREATE FUNCTION p2_random_len(int8) RETURNS int8 LANGUAGE wasm AS 'wasi_p2::random_len';
CREATE FUNCTION p2_random_differs() RETURNS bool LANGUAGE wasm AS 'wasi_p2::random_differs';
-- monotonic-clock.now does not go back; wall-clock.now is a datetime now.
SELECT p2_mono_ok() AS monotonic, p2_wall_ok() AS wall_clock;
-- get-random-bytes gives as many bytes as asked, up to 1 MiB a call.
SELECT n, p2_random_len(n) FROM unnest(ARRAY[0, 16, 1048576]::int8[]) n;
SELECT p2_random_len(1048577);
SELECT p2_random_differs() AS differ;

--
-- The standard streams.
--
CREATE FUNCTION p2_say() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::say';
CREATE FUNCTION p2_write_permit() RETURNS int8 LANGUAGE wasm AS 'wasi_p2::write_permit';
CREATE FUNCTION p2_write_n(int4) RETURNS int4 LANGUAGE wasm AS 'wasi_p2::write_n';
CREATE FUNCTION p2_stdin_closed() RETURNS bool LANGUAGE wasm AS 'wasi_p2::stdin_closed';
-- Each line written to stdout or stderr (output-stream.blocking-write-and-flush)
-- is a LOG line naming the stream; a line without its newline is logged
-- when the call ends. 0: every write succeeded.
SELECT p2_say();
-- check-write permits 64 kB per write; a write of more breaks the stream's
-- contract: an ERROR naming the call and the WASI function.
SELECT p2_write_permit();
SELECT p2_write_n(65537);
-- stdin is at its end: read gives stream-error.closed.
SELECT p2_stdin_closed();

--
-- exit: the call ends. exit(err) is an ERROR with code 1, exit(ok) ends a
-- function that should have returned a value with an ERROR too (as
-- preview 1's proc_exit(0)).
--
CREATE FUNCTION p2_exit_with(int4) RETURNS int4 LANGUAGE wasm AS 'wasi_p2::exit_with';
SELECT p2_exit_with(1);
SELECT p2_exit_with(0);

--
-- Deny by default: no environment, no arguments, no preopened directory,
-- no socket (create-tcp-socket gives error-code access-denied, case 1).
--
CREATE FUNCTION p2_environment_size() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::environment_size';
CREATE FUNCTION p2_preopens() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::preopens';
CREATE FUNCTION p2_tcp_socket() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::tcp_socket';
SELECT p2_environment_size() AS environment, p2_preopens() AS preopens, p2_tcp_socket() AS tcp_error_code;

--
-- wasi:http: requests are built for real (headers checked: a name must be
-- an HTTP token), and sent only where a layer above allows it; here
-- nothing does, so outgoing-handler.handle gives error-code
-- HTTP-request-denied (case 15).
--
CREATE FUNCTION p2_header_checks() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::header_checks';
CREATE FUNCTION p2_http_get() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::http_get';
CREATE FUNCTION p2_fields_given_away() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::fields_given_away';
-- 0 * 1000 + 100 + 0: the first append ok, the second invalid-syntax.
SELECT p2_header_checks();
SELECT p2_http_get() AS http_error_case;
-- Fields given to outgoing-request's constructor are the host's: dropping
-- them after is a handle the guest no longer has.
SELECT p2_fields_given_away();

-- A GET through the host's HTTP client (test/guests/wasi/wasi_p2_http.c,
-- against the suites' local API): a SQL function may send requests only to
-- hosts in both wasm.function_http_allowed_hosts (empty by default) and
-- wasm.http_allowed_hosts, under wasm.http_timeout and
-- wasm.http_max_response_bytes. A failure is the guest's error-code.
\getenv api_port PG_WASM_API_PORT
\set api_host '127.0.0.1:' :api_port
SELECT wasm.load_module_file('wasi_p2_http', current_setting('regress.guests') || '/wasi_p2_http.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION p2_http_fetch(text, text) RETURNS text LANGUAGE wasm STRICT AS 'wasi_p2_http::http_fetch';
SHOW wasm.function_http_allowed_hosts;
SELECT p2_http_fetch(:'api_host', '/events/e0001');
-- Both settings must allow the host.
SET wasm.function_http_allowed_hosts = '127.0.0.1';
SELECT p2_http_fetch(:'api_host', '/events/e0001');
SET wasm.http_allowed_hosts = '127.0.0.1';
SELECT p2_http_fetch(:'api_host', '/events/e0001');
-- Any status is a response.
SELECT p2_http_fetch(:'api_host', '/status/404');
-- The timeout: error-code connection-timeout (8); the size cap:
-- HTTP-response-body-size (28).
SET wasm.http_timeout = '200ms';
SELECT p2_http_fetch(:'api_host', '/slow?ms=5000');
RESET wasm.http_timeout;
SET wasm.http_max_response_bytes = 1000;
SELECT p2_http_fetch(:'api_host', '/huge?mb=1');
RESET wasm.http_max_response_bytes;
-- Only SUSET: a role without the privilege cannot widen it.
CREATE ROLE regress_wasi_user;
SET ROLE regress_wasi_user;
SET wasm.function_http_allowed_hosts = '*';
RESET ROLE;
DROP ROLE regress_wasi_user;
RESET wasm.http_allowed_hosts;
RESET wasm.function_http_allowed_hosts;

--
-- Sleeping and polling.
--
CREATE FUNCTION p2_sleep_ms(int4) RETURNS int4 LANGUAGE wasm AS 'wasi_p2::sleep_ms';
CREATE FUNCTION p2_poll_ready(int4) RETURNS int4 LANGUAGE wasm AS 'wasi_p2::poll_ready';
-- pollable.block on a monotonic-clock pollable sleeps; poll says which
-- pollables are ready (all of them here, due at once).
SELECT p2_sleep_ms(1), p2_poll_ready(1), p2_poll_ready(1024);
-- A poll of more than 1024 pollables is refused before the host reads them.
SELECT p2_poll_ready(10000);
-- A sleeping guest is stopped by statement_timeout.
SET statement_timeout = '200ms';
SELECT p2_sleep_ms(60000);
RESET statement_timeout;

--
-- Handles: each checked against the instance's table. Every misuse is an
-- ERROR, the instance is discarded, and the session goes on.
--
CREATE FUNCTION p2_drop_twice() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::drop_twice';
CREATE FUNCTION p2_never_given() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::never_given';
CREATE FUNCTION p2_wrong_resource() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::wrong_resource';
CREATE FUNCTION p2_descriptor_stat() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::descriptor_stat';
CREATE FUNCTION p2_bad_return_area() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::bad_return_area';
CREATE FUNCTION p2_tcp_connect() RETURNS int4 LANGUAGE wasm AS 'wasi_p2::tcp_connect';
SELECT p2_drop_twice();
SELECT p2_never_given();
SELECT p2_wrong_resource();
-- No file descriptor is ever handed out: a descriptor method fails on its
-- handle.
SELECT p2_descriptor_stat();
-- Nor a socket: the sockets' methods exist (a module importing them loads),
-- and fail on their handle.
SELECT p2_tcp_connect();
-- A return area outside the guest's memory.
SELECT p2_bad_return_area();
SELECT sqlstate_of('SELECT p2_never_given()');
SELECT p2_mono_ok() AS still_usable;

--
-- An import of a WASI 0.2 function the host does not have (a newer 0.2.N
-- may add functions) is refused at load, naming it.
--
SELECT wasm.load_module_wat('wasi_p2_unknown', $$(module
    (import "wasi:io/poll@0.2.99" "[method]pollable.new-in-0-2-99" (func (param i32)))
    (memory (export "memory") 1))$$);
-- So is a function of WASI 0.2 with another core type.
SELECT wasm.load_module_wat('wasi_p2_mistyped', $$(module
    (import "wasi:random/random@0.2.1" "get-random-u64" (func (result i32)))
    (memory (export "memory") 1))$$);

--
-- A component importing WASI 0.2 itself (test/components/guests/wasi_component.c,
-- world wasi-component of test/components/wit/wasi-component.wit): its
-- exports are SQL functions, and WASI serves them as above.
--
SELECT wasm.load_module('wasi_comp', guest('wasi_component.wasm')) IS NOT NULL AS loaded;
SELECT name, type FROM wasm.module_exports('wasi_comp') ORDER BY name;
CREATE FUNCTION wc_random_len(int8) RETURNS int8 LANGUAGE wasm AS 'wasi_comp::random-len';
CREATE FUNCTION wc_clocks_ok() RETURNS bool LANGUAGE wasm AS 'wasi_comp::clocks-ok';
CREATE FUNCTION wc_say(text) RETURNS bool LANGUAGE wasm AS 'wasi_comp::say';
CREATE FUNCTION wc_preopens() RETURNS int8 LANGUAGE wasm AS 'wasi_comp::preopens';
CREATE FUNCTION wc_fail() RETURNS void LANGUAGE wasm AS 'wasi_comp::fail';
CREATE FUNCTION wc_quit() RETURNS int8 LANGUAGE wasm AS 'wasi_comp::quit';
SELECT wc_random_len(32), wc_clocks_ok(), wc_preopens();
SELECT wc_say('a line from a component, through wasi:cli/stdout');
SELECT wc_random_len(2000000);
SELECT wc_fail();
-- exit(ok) from a function that owes a result is an error too.
SELECT wc_quit();
SELECT wc_clocks_ok() AS still_usable;

--
-- A component whose WASI goes through a preview 1 adapter, as
-- componentize-js and cargo component link one
-- (test/components/wat/adapter_shape.wat): the host compiles only its
-- main module and provides that module's WASI 0.2 import itself; the
-- adapter, with its own realloc, is never instantiated.
--
SELECT wasm.load_module('wasi_adapter_shape', guest('adapter_shape.wasm')) IS NOT NULL AS loaded;

RESET client_min_messages;
SET client_min_messages = warning;
SELECT wasm.drop_module('wasi_adapter_shape');
SELECT wasm.drop_module('wasi_comp', cascade => true);
SELECT wasm.drop_module('wasi_p2_http', cascade => true);
SELECT wasm.drop_module('wasi_p2', cascade => true);
RESET client_min_messages;
