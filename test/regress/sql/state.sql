--
-- Instances: one per module per session, reused across calls, so a
-- module's globals and memory persist through the session. A trap discards
-- it. Replacing or dropping a module reaches every session at its next call.
-- (test/guests/state.wat and state_v2.wat)
--
SELECT wasm.load_module_file('state', current_setting('regress.guests') || '/state.wasm') IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('state', 'state');
SELECT state_next(), state_next(), state_next();
SELECT state_accumulate(10), state_accumulate(5), state_accumulate(-1);
SELECT sum(state_next()) FROM generate_series(1, 10);  -- 4 + ... + 13

-- A trap discards the instance: its state starts afresh. (The traps suite
-- shows a trap's DETAIL.)
\set VERBOSITY terse
SELECT state_crash();
\set VERBOSITY default
SELECT state_next(), state_accumulate(1);

-- Another session sees its own instance, and the same module version.
SELECT connect_other('other');
SELECT * FROM dblink('other', 'SELECT state_next(), state_next(), state_version()') AS t(a int8, b int8, v int4);
SELECT state_version();

-- Replace the module here; the other session runs the new code at its next
-- call, with no restart, and a fresh instance.
SELECT wasm.load_module_file('state', current_setting('regress.guests') || '/state_v2.wasm',
                             replace => true) IS NOT NULL AS replaced;
SELECT state_version(), state_next();
SELECT * FROM dblink('other', 'SELECT state_version(), state_next()') AS t(v int4, n int8);

-- A replacement that is rolled back changes nothing anywhere.
BEGIN;
SELECT wasm.load_module_file('state', current_setting('regress.guests') || '/state.wasm',
                             replace => true) IS NOT NULL AS replaced;
SELECT state_version();
ROLLBACK;
SELECT state_version();
SELECT * FROM dblink('other', 'SELECT state_version()') AS t(v int4);

-- A replacement that would break a SQL function using the module is
-- refused: here, state_next needs an export "next" of type () -> i64.
SELECT wasm.load_module('state', guest('collatz.wasm'), replace => true);

-- Dropping the module (with its functions) reaches the other session too.
SELECT * FROM dblink('other', $$CREATE FUNCTION other_version() RETURNS int4 LANGUAGE wasm AS 'state::version'$$) AS t(r text);
SELECT * FROM dblink('other', 'SELECT other_version()') AS t(v int4);
SELECT wasm.drop_module('state', cascade => true);
SELECT * FROM dblink('other', 'SELECT 1') AS t(one int4);
SELECT count(*) FROM pg_proc WHERE proname IN ('other_version', 'state_next');
-- Loaded again, it is the first version's code, fresh everywhere.
SELECT wasm.load_module_file('state', current_setting('regress.guests') || '/state.wasm') IS NOT NULL AS loaded;
SELECT * FROM dblink('other', $$CREATE FUNCTION other_version() RETURNS int4 LANGUAGE wasm AS 'state::version'$$) AS t(r text);
SELECT * FROM dblink('other', 'SELECT other_version()') AS t(v int4);
SELECT dblink_disconnect('other');

-- wasm.reset_session() drops every instance of the session: state starts
-- afresh at the next call.
CREATE FUNCTION state_next() RETURNS int8 LANGUAGE wasm AS 'state::next';
SELECT state_next(), state_next();
SELECT wasm.reset_session();
SELECT state_next() AS afresh;
DROP FUNCTION state_next(), other_version();
SELECT wasm.drop_module('state');
