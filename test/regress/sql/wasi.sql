--
-- WASI: modules built for wasm32-wasi (C with wasi-libc, Rust, TinyGo)
-- import "wasi_snapshot_preview1". The host provides a subset of WASI
-- preview 1 (docs/wasi.md): stdout and stderr become lines in the server
-- log; clocks; strong random bytes; no arguments and no environment; exit;
-- sleeping. There is no file system and no network: those calls answer
-- with an errno. The guests are C programs in test/guests/wasi/.
--

-- What a guest writes to stdout or stderr goes to the server log at level
-- LOG, a message per line. Show LOG messages here too:
SET client_min_messages = log;

-- A reactor is a C library: no main, exported functions. Its _initialize
-- export (libc's setup and the program's constructors) runs once, when the
-- module's instance is made; this one then prints "reactor initialized".
SELECT wasm.load_module_file('wasi', current_setting('regress.guests') || '/wasi_reactor.wasm') IS NOT NULL AS loaded;

--
-- stdout and stderr
--
CREATE FUNCTION greet(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::greet';
CREATE FUNCTION warn(int4) RETURNS void LANGUAGE wasm AS 'wasi::warn';
CREATE FUNCTION unfinished() RETURNS void LANGUAGE wasm AS 'wasi::unfinished';
CREATE FUNCTION pieces() RETURNS void LANGUAGE wasm AS 'wasi::pieces';
CREATE FUNCTION gather_write() RETURNS int4 LANGUAGE wasm AS 'wasi::gather_write';
CREATE FUNCTION long_line(int4) RETURNS void LANGUAGE wasm AS 'wasi::long_line';
CREATE FUNCTION bad_bytes() RETURNS void LANGUAGE wasm AS 'wasi::bad_bytes';

-- printf: each line is a LOG message naming the module and the stream.
SELECT greet(21);
SELECT warn(7);
-- A line without its newline is logged when the call ends.
SELECT unfinished();
-- A line may be written in several pieces; empty lines are lines too.
SELECT pieces();
-- fd_write gathers its buffers and reports the bytes written (4 + 0 + 5).
SELECT gather_write();
-- A line longer than 4096 bytes is logged in pieces of at most 4096 bytes,
-- never cutting a UTF-8 character: 4095 x and "é!" are logged as 4095 x,
-- then "é!".
SELECT long_line(4095);
-- Bytes that are not valid text in the database encoding (a NUL, 0xff)
-- are logged as U+FFFD, the replacement character.
SELECT bad_bytes();

-- The three standard streams are terminals to the guest (so stdout is
-- line-buffered), and stdin is empty: the first read finds its end.
CREATE FUNCTION is_terminal(int4) RETURNS bool LANGUAGE wasm AS 'wasi::is_terminal';
CREATE FUNCTION stdin_at_end() RETURNS bool LANGUAGE wasm AS 'wasi::stdin_at_end';
SELECT fd, is_terminal(fd) FROM generate_series(0, 3) fd;
SELECT stdin_at_end();

--
-- exit
--
-- exit(code) ends the call: a non-zero code is an ERROR (after the output
-- written so far is logged), and the instance is discarded: the next call
-- gets a fresh one, initialized again, its state starting over.
CREATE FUNCTION count_calls() RETURNS int4 LANGUAGE wasm AS 'wasi::count_calls';
CREATE FUNCTION exit_with(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::exit_with';
CREATE FUNCTION exit_void(int4) RETURNS void LANGUAGE wasm AS 'wasi::exit_void';
SELECT count_calls();
SELECT count_calls();
SELECT exit_with(3);
SELECT count_calls();
SELECT sqlstate_of('SELECT exit_with(3)');
-- exit(0) is a normal end for a function returning void, and an error for
-- one that should have returned a value.
SELECT exit_void(0);
SELECT exit_void(7);
SELECT exit_with(0);
-- The session goes on, in and out of transactions.
BEGIN;
SAVEPOINT s;
SELECT exit_with(1);
ROLLBACK TO SAVEPOINT s;
SELECT greet(1);
COMMIT;

--
-- Clocks: checked by their properties, never by their values.
--
CREATE FUNCTION realtime_ns() RETURNS int8 LANGUAGE wasm AS 'wasi::realtime_ns';
CREATE FUNCTION monotonic_ns() RETURNS int8 LANGUAGE wasm AS 'wasi::monotonic_ns';
CREATE FUNCTION process_cpu_ns() RETURNS int8 LANGUAGE wasm AS 'wasi::process_cpu_ns';
CREATE FUNCTION monotonic_resolution_ns() RETURNS int8 LANGUAGE wasm AS 'wasi::monotonic_resolution_ns';
CREATE FUNCTION clock_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::clock_errno';
-- The realtime clock is the server's: nanoseconds since 1970.
SELECT abs(realtime_ns() / 1e9 - extract(epoch FROM clock_timestamp())::float8) < 60 AS realtime_is_now;
-- The monotonic clock never goes back.
DO $$
DECLARE
    first int8 := monotonic_ns();
    second int8 := monotonic_ns();
BEGIN
    RAISE NOTICE 'monotonic: % then %', first <= second, second <= monotonic_ns();
END $$;
-- The backend's CPU time, and the monotonic clock's resolution.
SELECT process_cpu_ns() > 0 AS cpu_time, monotonic_resolution_ns() > 0 AS resolution;
-- Clocks 0 to 3 exist (realtime, monotonic, process and thread CPU time);
-- another id is EINVAL (28).
SELECT id, clock_errno(id) FROM generate_series(0, 4) id;

-- Sleeping (nanosleep, Rust's thread::sleep: poll_oneoff on a clock) waits
-- at least as long as asked, with a relative or an absolute deadline.
CREATE FUNCTION sleep_ms(int4) RETURNS int8 LANGUAGE wasm AS 'wasi::sleep_ms';
CREATE FUNCTION sleep_until_ms(int4) RETURNS int8 LANGUAGE wasm AS 'wasi::sleep_until_ms';
SELECT sleep_ms(20) >= 20 AS slept, sleep_until_ms(20) >= 20 AS slept_until;
-- A sleeping guest is stopped by statement_timeout, and by cancel from
-- another session, with PostgreSQL's own errors.
SET statement_timeout = '200ms';
SELECT sleep_ms(60000);
RESET statement_timeout;
SELECT sleep_ms(0) >= 0 AS usable;
SELECT connect_other('sleeper');
CALL run_in_other('sleeper', 'SELECT sleep_ms(60000)');
SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'sleeper';
SELECT * FROM dblink_get_result('sleeper', false) AS t(r int8);
SELECT * FROM dblink_get_result('sleeper') AS t(r int8);
SELECT * FROM dblink('sleeper', 'SELECT sleep_ms(1) >= 1') AS t(usable bool);
SELECT dblink_disconnect('sleeper');

--
-- Random bytes (getentropy, arc4random, random_get) come from PostgreSQL's
-- strong random source.
--
CREATE FUNCTION entropy_nonzero() RETURNS int4 LANGUAGE wasm AS 'wasi::entropy_nonzero';
CREATE FUNCTION random_u32() RETURNS int8 LANGUAGE wasm AS 'wasi::random_u32';
CREATE FUNCTION random_distinct(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::random_distinct';
-- Of 256 random bytes, about 1 is zero.
SELECT entropy_nonzero() > 200 AS random_bytes;
SELECT random_u32() <> random_u32() AS differ;
-- 100,000 random bytes take every one of the 256 values.
SELECT random_distinct(100000);

--
-- No arguments, no environment, no files, no network.
--
CREATE FUNCTION arg_count() RETURNS int4 LANGUAGE wasm AS 'wasi::arg_count';
CREATE FUNCTION env_count() RETURNS int4 LANGUAGE wasm AS 'wasi::env_count';
SELECT arg_count(), env_count();

-- There are no preopened directories, so wasi-libc knows of no file
-- system: fopen fails with ENOTCAPABLE (76), whatever the path.
CREATE FUNCTION open_errno() RETURNS int4 LANGUAGE wasm AS 'wasi::open_errno';
CREATE FUNCTION write_file_errno() RETURNS int4 LANGUAGE wasm AS 'wasi::write_file_errno';
SELECT open_errno(), write_file_errno();

-- The WASI calls themselves answer with an errno, never a trap. The only
-- descriptors are 0, 1 and 2: any other is EBADF (8).
CREATE FUNCTION prestat_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::prestat_errno';
CREATE FUNCTION path_open_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::path_open_errno';
CREATE FUNCTION write_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::write_errno';
CREATE FUNCTION seek_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::seek_errno';
CREATE FUNCTION close_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::close_errno';
CREATE FUNCTION sock_errno(int4) RETURNS int4 LANGUAGE wasm AS 'wasi::sock_errno';
CREATE FUNCTION raise_errno() RETURNS int4 LANGUAGE wasm AS 'wasi::raise_errno';
CREATE FUNCTION yield_errno() RETURNS int4 LANGUAGE wasm AS 'wasi::yield_errno';
-- fd_prestat_get: no descriptor is a preopened directory (EBADF).
SELECT fd, prestat_errno(fd) FROM generate_series(0, 3) fd;
-- path_open: from a stream, ENOTDIR (54); from another descriptor, EBADF.
SELECT path_open_errno(0) AS from_stdin, path_open_errno(3) AS from_3;
-- fd_write: stdin is not writable, descriptor 5 does not exist (EBADF);
-- stdout and stderr write (0).
SELECT fd, write_errno(fd) FROM unnest(ARRAY[0, 5, 1, 2]) fd;
-- fd_seek on a stream: ESPIPE (70). fd_close of a stream: ENOTSUP (58),
-- they stay open. sock_shutdown: ENOTSOCK (57).
SELECT seek_errno(1) AS seek, seek_errno(9) AS seek_9, close_errno(1) AS close,
       close_errno(9) AS close_9, sock_errno(1) AS sock, sock_errno(9) AS sock_9;
-- proc_raise: ENOSYS (52); sched_yield: success.
SELECT raise_errno(), yield_errno();

-- poll_oneoff on the streams: all ready at once (stdin at its end, flag 1
-- "hangup"); a descriptor that does not exist gets an event with EBADF.
CREATE FUNCTION poll_streams() RETURNS int4 LANGUAGE wasm AS 'wasi::poll_streams';
CREATE FUNCTION poll_nothing_errno() RETURNS int4 LANGUAGE wasm AS 'wasi::poll_nothing_errno';
CREATE FUNCTION poll_cpu_clock_error() RETURNS int4 LANGUAGE wasm AS 'wasi::poll_cpu_clock_error';
SELECT poll_streams() AS events;
-- Nothing to wait for is EINVAL (28); so is sleeping on a CPU-time clock.
SELECT poll_nothing_errno(), poll_cpu_clock_error();

--
-- A pointer outside the guest's memory is an ERROR naming the function.
--
CREATE FUNCTION write_bad_iovec() RETURNS int4 LANGUAGE wasm AS 'wasi::write_bad_iovec';
CREATE FUNCTION write_too_many() RETURNS int4 LANGUAGE wasm AS 'wasi::write_too_many';
CREATE FUNCTION write_bad_buffer() RETURNS int4 LANGUAGE wasm AS 'wasi::write_bad_buffer';
CREATE FUNCTION random_bad_buffer() RETURNS int4 LANGUAGE wasm AS 'wasi::random_bad_buffer';
CREATE FUNCTION clock_bad_result() RETURNS int4 LANGUAGE wasm AS 'wasi::clock_bad_result';
\set VERBOSITY terse
SELECT write_bad_iovec();
-- More than 1,024 buffers in one fd_write (writev's IOV_MAX) is EINVAL (28).
SELECT write_too_many();
SELECT write_bad_buffer();
SELECT random_bad_buffer();
SELECT clock_bad_result();
\set VERBOSITY default
SELECT sqlstate_of('SELECT write_bad_buffer()');
SELECT greet(2);

--
-- A command is a whole program: main, exported as _start, called as a SQL
-- function returning void. Each call runs main afresh; it sees no
-- arguments and an empty environment, and its last unfinished line is
-- logged when it ends.
--
SELECT wasm.load_module_file('wasi_command', current_setting('regress.guests') || '/wasi_command.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION hello() RETURNS void LANGUAGE wasm AS 'wasi_command::_start';
SELECT hello();
SELECT hello();
-- main returning non-zero is exit with that code: an ERROR.
SELECT wasm.load_module_file('wasi_failing', current_setting('regress.guests') || '/wasi_failing.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION failing() RETURNS void LANGUAGE wasm AS 'wasi_failing::_start';
SELECT failing();

--
-- Imports are checked at load: every WASI preview 1 function exists with
-- its exact type; a wrong type or an unknown name is refused, naming it.
--
SELECT wasm.load_module_wat('wrong', $$(module
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32))))$$);
SELECT wasm.load_module_wat('wrong', $$(module
    (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))))$$);
SELECT wasm.load_module_wat('wrong', $$(module
    (import "wasi_snapshot_preview1" "fd_open" (func (param i32) (result i32))))$$);
-- A module importing all 46 functions of preview 1 loads and runs
-- (test/guests/wasi/wasi_imports.wat).
SELECT wasm.load_module_file('wasi_imports', current_setting('regress.guests') || '/wasi_imports.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION wasi_imports_yield() RETURNS int4 LANGUAGE wasm AS 'wasi_imports::yield';
SELECT wasi_imports_yield();
-- A module that exports no memory cannot pass WASI any pointer.
SELECT wasm.load_module_wat('no_memory', $$(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (func (export "write") (result i32)
      (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0))))$$) IS NOT NULL AS loaded;
CREATE FUNCTION no_memory_write() RETURNS int4 LANGUAGE wasm AS 'no_memory::write';
SELECT no_memory_write();

SET client_min_messages = warning;
SELECT count(wasm.drop_module(name, cascade => true)) AS dropped
FROM unnest(ARRAY['wasi', 'wasi_command', 'wasi_failing', 'wasi_imports', 'no_memory']) name;
RESET client_min_messages;

-- pg_wasm's SDK works with wasi-libc too (test/guests/wasi/sdk_wasi.c, a
-- reactor built with clang --target=wasm32-wasi -mexec-model=reactor): text
-- in and out through pg_wasm's ABI, the C library's malloc, snprintf and
-- printf alongside.
SELECT wasm.load_module_file('sdk_wasi', current_setting('regress.guests') || '/sdk_wasi.wasm') IS NOT NULL AS loaded;
CREATE FUNCTION greet(text) RETURNS text LANGUAGE wasm STRICT AS 'sdk_wasi';
CREATE FUNCTION format_double(float8) RETURNS text LANGUAGE wasm STRICT AS 'sdk_wasi abi=pg_wasm';
SET client_min_messages = log;
SELECT greet('wörld');
RESET client_min_messages;
SELECT format_double(6.02214076e23), format_double(-0.5);
SELECT count(*) FROM generate_series(1, 20000) i WHERE greet(i::text) = format('hello, %s (%s bytes)', i, length(i::text));

SET client_min_messages = warning;
SELECT wasm.drop_module('sdk_wasi', cascade => true);
RESET client_min_messages;
