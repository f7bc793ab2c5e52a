--
-- Traps: each raises an ERROR with a SQLSTATE, naming the module, the
-- export and the trap, and the session goes on. (test/guests/traps.wat)
-- The engines word some traps differently, and only V8 gives the guest's
-- stack: each trap is shown on both engines (wasm.engine set for them); the
-- rest runs on the engine of the run.
--
SELECT wasm.load_module_file('traps', current_setting('regress.guests') || '/traps.wat') IS NOT NULL AS loaded;
SELECT * FROM wasm.create_functions('traps', 'trap');
\set VERBOSITY default

-- On V8, the DETAIL shows the guest's Wasm stack: each frame's function and
-- byte offset in the module, a recursion's repeated frames folded.
SET wasm.engine = v8;
SELECT trap_unreachable();
SELECT trap_div(1, 0);
SELECT trap_div(-2147483648, -1);
SELECT trap_rem(1, 0);
SELECT trap_to_int('NaN');
SELECT trap_to_int(3e9);
SELECT trap_load(65536);
SELECT trap_load(-1);
-- call_indirect through slot 1 (empty) and slot 5 (past the table's end).
SELECT trap_call_slot(0, 21) AS doubled;
SELECT trap_call_slot(1, 21);
SELECT trap_call_slot(5, 21);
-- Recursion without end exhausts the stack, which max_stack_depth bounds.
SELECT trap_recurse(0);

-- The same traps on the native engine: wasm2c's words for some, and no
-- stack.
SET wasm.engine = native;
SELECT trap_unreachable();
SELECT trap_div(1, 0);
SELECT trap_div(-2147483648, -1);
SELECT trap_rem(1, 0);
SELECT trap_to_int('NaN');
SELECT trap_to_int(3e9);
SELECT trap_load(65536);
SELECT trap_load(-1);
SELECT trap_call_slot(0, 21) AS doubled;
SELECT trap_call_slot(1, 21);
SELECT trap_call_slot(5, 21);
SELECT trap_recurse(0);
RESET wasm.engine;
\set VERBOSITY terse

-- The SQLSTATEs: 38000 (external routine exception) for traps, 54001 for
-- stack exhaustion, like PostgreSQL's own "stack depth limit exceeded".
SELECT f AS call, sqlstate_of('SELECT ' || f) AS sqlstate
FROM unnest(ARRAY['trap_unreachable()', 'trap_div(1, 0)', 'trap_to_int(''Infinity'')',
                  'trap_load(100000)', 'trap_call_slot(1, 1)', 'trap_recurse(0)',
                  'trap_ok(1)']) f;

-- The session stays usable, in and out of transactions.
SELECT trap_ok(42);
BEGIN;
SELECT trap_ok(1);
SELECT trap_div(1, 0);
SELECT trap_ok(2);
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT trap_div(1, 0);
ROLLBACK TO SAVEPOINT s;
SELECT trap_ok(3);
COMMIT;

-- A trap in PL/pgSQL can be caught like any error.
DO $$
BEGIN
    PERFORM trap_div(1, 0);
EXCEPTION WHEN external_routine_exception THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;

-- 10,000 trapping calls in one session leave the backend working (each
-- trap discards the instance; the next call makes a fresh one).
DO $$
DECLARE
    trapped int := 0;
BEGIN
    FOR i IN 1..10000 LOOP
        BEGIN
            PERFORM trap_load(1000000 + i);
        EXCEPTION WHEN external_routine_exception THEN
            trapped := trapped + 1;
        END;
    END LOOP;
    RAISE NOTICE 'trapped % times', trapped;
END $$;
SELECT trap_ok(7), trap_div(10, 2);
SELECT count(*) FROM generate_series(1, 100000) i WHERE trap_ok(i) = i;

SET client_min_messages = warning;
SELECT wasm.drop_module('traps', cascade => true);
RESET client_min_messages;
