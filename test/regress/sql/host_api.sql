--
-- The host API modules may import. pg_wasm's own (import module "pg_wasm"):
-- log, error, random, now, server_version, set_null, arg_is_null. And
-- ClickHouse's (import module "env"). (test/guests/host_api.wat and
-- clickhouse_api.wat)
--
SELECT wasm.load_module_file('host_api', current_setting('regress.guests') || '/host_api.wasm') IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('host_api', 'guest');

-- log: levels 0 DEBUG1, 1 LOG, 2 INFO, 3 NOTICE, 4 WARNING, as PostgreSQL
-- reports them (client_min_messages decides what reaches the client).
SET client_min_messages = log;
SELECT guest_log_at(1), guest_log_at(2), guest_log_at(3), guest_log_at(4);
SET client_min_messages = notice;
SELECT guest_log_at(0), guest_log_at(1), guest_log_at(3);
RESET client_min_messages;
SELECT guest_log_at(7);

-- error: an ERROR with the guest's message (SQLSTATE P0001, like RAISE).
SELECT guest_fail();
SELECT sqlstate_of('SELECT guest_fail()');
DO $$
BEGIN
    PERFORM guest_fail();
EXCEPTION WHEN raise_exception THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;

-- random: strong random bytes, never the same twice here.
SELECT count(DISTINCT guest_random8()) AS distinct_values FROM generate_series(1, 100);
SELECT guest_random_big(60000);
SELECT guest_random_big(70000);

-- now: the transaction's start, as now() says it; server_version.
SELECT to_timestamp(guest_now() / 1e6 + 946684800) = now() AS same_as_now,
       guest_server_version() = current_setting('server_version_num')::int AS same_version;
BEGIN;
SELECT guest_now() = guest_now() AS stable_in_a_transaction;
COMMIT;

-- A bad pointer passed to the host is an error naming the call.
SELECT guest_log_bad_pointer();

-- ClickHouse's API, for modules written for ClickHouse.
SELECT wasm.load_module_file('clickhouse_api', current_setting('regress.guests') || '/clickhouse_api.wasm') IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('clickhouse_api', 'ch');
SELECT ch_version() = current_setting('server_version_num')::int AS postgres_version;
SET client_min_messages = log;
SELECT ch_log(), ch_log_level(3);
RESET client_min_messages;
SELECT ch_throw();
SELECT ch_terminate();
SELECT count(DISTINCT ch_random()) AS distinct_values FROM generate_series(1, 100);
SELECT ch_random_out_of_bounds();
SELECT ch_version() IS NOT NULL AS still_fine;

SET client_min_messages = warning;
SELECT wasm.drop_module('host_api', cascade => true), wasm.drop_module('clickhouse_api', cascade => true);
RESET client_min_messages;
