--
-- Cancel and statement_timeout stop a guest that never returns, with
-- PostgreSQL's own errors, and the session stays usable. (The time it takes
-- is measured in bench/, not here.) The guests are test/guests/traps.wat's.
--
SELECT wasm.load_module_file('traps', current_setting('regress.guests') || '/traps.wat') IS NOT NULL AS loaded;
SELECT count(*) AS functions FROM wasm.create_functions('traps', 'trap');

-- statement_timeout, on a loop with no calls and on a loop of calls.
SET statement_timeout = '200ms';
SELECT trap_spin();
SELECT trap_spin_calls();
-- The SQLSTATE is query_canceled's.
\set VERBOSITY sqlstate
SELECT trap_spin();
\set VERBOSITY default
RESET statement_timeout;
SELECT trap_ok(1);

-- A start function that never returns is stopped the same way (it runs
-- when the session first instantiates the module).
SELECT wasm.load_module_wat('start_loop', $$(module
  (func $start (loop br 0))
  (start $start)
  (func (export "one") (result i32) i32.const 1))$$) IS NOT NULL AS loaded;
CREATE FUNCTION start_loop_one() RETURNS int4 LANGUAGE wasm AS 'start_loop::one';
SET statement_timeout = '200ms';
SELECT start_loop_one();
RESET statement_timeout;
DROP FUNCTION start_loop_one();
SELECT wasm.drop_module('start_loop');

-- A timeout inside a transaction aborts it, as any error would.
BEGIN;
SET LOCAL statement_timeout = '100ms';
SELECT trap_spin();
ROLLBACK;

-- pg_cancel_backend from another session.
SELECT connect_other('looper');
-- Start the loop there, then cancel it.
CALL run_in_other('looper', 'SELECT trap_spin()');
SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'looper';
-- The other session's error (fail => false shows it as a NOTICE).
SELECT * FROM dblink_get_result('looper', false) AS t(r text);
SELECT * FROM dblink_get_result('looper') AS t(r text);
-- That session goes on working, its instance rebuilt.
SELECT * FROM dblink('looper', 'SELECT trap_ok(5)') AS t(r int4);
SELECT dblink_disconnect('looper');

-- pg_terminate_backend ends a session stuck in a guest; the others go on.
SELECT connect_other('doomed');
CALL run_in_other('doomed', 'SELECT trap_spin_calls()');
SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = 'doomed';
SELECT count(*) FROM pg_stat_activity WHERE application_name = 'doomed';
SELECT dblink_disconnect('doomed');
SELECT trap_ok(6);

SET client_min_messages = warning;
SELECT wasm.drop_module('traps', cascade => true);
RESET client_min_messages;
