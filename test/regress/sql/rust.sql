--
-- Guests written in Rust, built with Debian's rustc for wasm32-wasi
-- (test/guests/rust): a library speaking pg_wasm's ABI with Rust's std, and
-- WASI commands.
--
SELECT name, wasm.load_module_file(name, current_setting('regress.guests') || '/' || name || '.wasm') IS NOT NULL AS loaded
FROM unnest(ARRAY['rust_text', 'rust_command', 'rust_exit']) name;

-- The library: text in and out through the ABI, Unicode by Rust's rules.
CREATE FUNCTION rust_title_case(text) RETURNS text LANGUAGE wasm STRICT AS 'rust_text::title_case';
CREATE FUNCTION char_count(text) RETURNS int4 LANGUAGE wasm STRICT AS 'rust_text';
CREATE FUNCTION reverse_words(text) RETURNS text LANGUAGE wasm STRICT AS 'rust_text';
CREATE FUNCTION rust_divide(int4, int4) RETURNS int4 LANGUAGE wasm STRICT AS 'rust_text::divide';
SELECT rust_title_case('héllo wörld, ßtraße ÉLAN'), rust_title_case(''), char_count('日本語 ok'), char_count('');
SELECT rust_title_case(s) = initcap(s) AS same_as_initcap, length(rust_title_case(s))
FROM (SELECT repeat('ab cd ', 250000) AS s) t;  -- 1.5 MB each way
SELECT count(DISTINCT rust_title_case(md5(i::text))) FROM generate_series(1, 20000) i;

-- Its host calls: pg_wasm.log as a NOTICE, println! as a LOG line.
SET client_min_messages = log;
SELECT reverse_words('one two  three');

-- A panic: the message on stderr, then a trap; the session goes on.
SELECT rust_divide(7, 2);
SELECT error_of('SELECT rust_divide(7, 0)');
SELECT rust_divide(9, 3);

-- A command: std's clocks, sleep, arguments, environment, file system and
-- HashMap seeding, each call running main again.
CREATE FUNCTION rust_main() RETURNS void LANGUAGE wasm AS 'rust_command::_start';
SELECT rust_main();
SELECT rust_main();
-- std::process::exit(3): the output so far, then an ERROR.
CREATE FUNCTION rust_exit() RETURNS void LANGUAGE wasm AS 'rust_exit::_start';
SELECT error_of('SELECT rust_exit()');
RESET client_min_messages;

SET client_min_messages = warning;
SELECT count(wasm.drop_module(name, cascade => true)) AS dropped
FROM unnest(ARRAY['rust_text', 'rust_command', 'rust_exit']) name;
RESET client_min_messages;
