-- SQL side of test/integration/hostile_guests.sh, after harness.sql: the
-- exports of test/guests/hostile.c declared with every result type the ABIs
-- have, and calls of them by seed. psql variable: guests (the directory).
SELECT wasm.load_module_file('hostile', :'guests' || '/hostile.wasm') IS NOT NULL AS loaded;

-- Row types: one column, two, eleven of many kinds, and one whose column
-- is a domain whose CHECK calls the same module while the host converts
-- the outer result (a nested call that may trap and discard the instance).
CREATE TYPE fuzz.r_one AS (a jsonb);
CREATE FUNCTION fuzz.h_nested(int4) RETURNS text LANGUAGE wasm AS 'hostile::random_result';
CREATE DOMAIN fuzz.nested_text AS text CHECK (fuzz.h_nested(length(VALUE)) IS DISTINCT FROM 'x');
CREATE TYPE fuzz.r_nested AS (a int4, b fuzz.nested_text);

-- The functions under test, and how to call them.
CREATE TABLE fuzz.hostile_fn (f regprocedure PRIMARY KEY, args text);

-- Declares fuzz.<prefix>_<what> (what: the result type, or the arguments,
-- as an identifier) and notes how to call it.
CREATE FUNCTION fuzz.declare(prefix text, what text, args text, result text, target text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fname text := prefix || '_' || lower(trim(BOTH '_' FROM
        regexp_replace(replace(what, '[]', '_array'), '[^a-zA-Z0-9]+', '_', 'g')));
    stmt text := format('CREATE FUNCTION fuzz.%I(%s) RETURNS %s LANGUAGE wasm AS %L',
                        fname, args, result, target);
BEGIN
    EXECUTE stmt;
    INSERT INTO fuzz.hostile_fn  -- called with its input arguments
        SELECT p.oid::regprocedure, regexp_replace(args, ', OUT .*', '') FROM pg_proc p
        WHERE p.proname = fname AND p.pronamespace = 'fuzz'::regnamespace;
    PERFORM fuzz.record('declare', 'hostile', 'ok', NULL, NULL, NULL);
EXCEPTION WHEN OTHERS THEN
    PERFORM fuzz.record('declare', 'hostile', SQLSTATE, SQLERRM, NULL, stmt);
END $$;

-- pg_wasm's ABI: one export, (seed) -> (len << 32 | ptr), as every type.
SELECT fuzz.declare('h', t, 'int4', t, 'hostile::random_result abi=pg_wasm')
FROM unnest(ARRAY['text', 'bytea', 'json', 'jsonb', 'numeric', 'uuid', 'varchar', 'char(3)',
                  'int2[]', 'int4[]', 'int8[]', 'float4[]', 'float8[]', 'bool[]',
                  'fuzz.r_one', 'fuzz.r_small', 'fuzz.r_wide', 'fuzz.r_nested',
                  'SETOF int4', 'SETOF int8', 'SETOF float8', 'SETOF bool', 'SETOF text',
                  'SETOF bytea', 'SETOF jsonb', 'SETOF numeric', 'SETOF uuid', 'SETOF date',
                  'SETOF timestamptz', 'SETOF int8[]', 'SETOF fuzz.r_one', 'SETOF fuzz.r_small',
                  'SETOF fuzz.r_wide', 'SETOF fuzz.r_nested',
                  'TABLE (a date, b timestamp, c interval, d text[], e point)']) t;
SELECT fuzz.declare('h', 'out', 'int4, OUT a int2, OUT b float4, OUT c bool', 'record',
                    'hostile::random_result abi=pg_wasm');
-- Rows of fuzz.r_wide, mostly well-typed, with values at each type's limits.
SELECT fuzz.declare('typed', 'row', 'int4', 'fuzz.r_wide', 'hostile::typed_row');
SELECT fuzz.declare('typed', 'rows', 'int4', 'SETOF fuzz.r_wide', 'hostile::typed_rows');
-- Byte-string arguments: the host allocates an argument area with the
-- hostile pg_wasm_alloc and frees it with the hostile pg_wasm_free.
SELECT fuzz.declare('h_args', t, 'text, int4', t, 'hostile::random_args abi=pg_wasm')
FROM unnest(ARRAY['text', 'bytea', 'SETOF fuzz.r_wide']) t;
SELECT fuzz.declare('h_bytes_args', 'jsonb', 'bytea, int4', 'jsonb', 'hostile::random_args abi=pg_wasm');

-- ClickHouse's BUFFERED_V1: random handles and buffers for every type.
SELECT fuzz.declare('ch', t, 'int4', t, 'hostile::random_buffer abi=buffered_v1')
FROM unnest(ARRAY['int4', 'int8', 'int2', 'bool', 'float4', 'float8', 'text', 'bytea', 'json',
                  'jsonb', 'numeric', 'uuid', 'date', 'timestamp', 'timestamptz', 'int4[]',
                  'float8[]', 'text[]', 'fuzz.nested_text', 'fuzz.r_small']) t;
SELECT fuzz.declare('ch_args', a, a, 'text', 'hostile::random_buffer abi=buffered_v1')
FROM unnest(ARRAY['text', 'int4, bytea', 'float8[], text, bool']) a;

CREATE FUNCTION fuzz.h_reset() RETURNS int4 LANGUAGE wasm AS 'hostile::reset';

-- A random argument list for one of the signatures above: the seed, and
-- byte strings whose lengths (so the allocations the host asks for) vary
-- with it. Seeds divisible by 37 pass NULLs (the module imports
-- arg_is_null, so its non-STRICT functions are called with them).
CREATE FUNCTION fuzz.hostile_args(args text, seed int) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(CASE
        WHEN seed % 37 = 0 THEN 'NULL::' || a
        WHEN a = 'int4' THEN seed::text
        WHEN a = 'text' THEN format('repeat(%L, %s)', chr(97 + seed % 26), seed % 5000)
        WHEN a = 'bytea' THEN format('decode(repeat(%L, %s), ''hex'')', 'ff00', seed % 3000)
        WHEN a = 'bool' THEN (seed % 2 = 0)::text
        WHEN a = 'float8[]' THEN format('array_fill(%s::float8, ARRAY[%s])', seed, seed % 700)
        ELSE 'NULL::' || a END, ', ' ORDER BY o)
    FROM unnest(string_to_array(args, ', ')) WITH ORDINALITY AS u(a, o)
$$;

-- One call, as its own statement (psql's \gexec) so that statement_timeout
-- bounds each call: a hostile guest never loops, so a timeout is a hang.
-- Every value returned must then survive its type's output and input
-- functions (what pg_dump and COPY do): the host must not build values
-- PostgreSQL itself would refuse.
CREATE FUNCTION fuzz.hostile_call(f regprocedure, seed int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p record := (SELECT row(format('%I.%I', nspname, proname), prorettype::regtype,
                            proretset, coalesce(proallargtypes, proargtypes::oid[]))
                 FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace WHERE pg_proc.oid = f);
    stmt text := format('SELECT array_agg(t::text) FROM %s(%s) t', p.f1,
                        fuzz.hostile_args((SELECT args FROM fuzz.hostile_fn h WHERE h.f = hostile_call.f), seed));
    texts text[];
    msg text;
    det text;
BEGIN
    BEGIN
        EXECUTE stmt INTO texts;
        PERFORM fuzz.record('hostile', 'hostile', 'ok', NULL, NULL, NULL);
    EXCEPTION
        WHEN query_canceled THEN
            PERFORM fuzz.record('hostile', 'hostile', SQLSTATE, SQLERRM, NULL, stmt);
            RETURN;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            PERFORM fuzz.record('hostile', 'hostile', SQLSTATE, msg, det, stmt);
            RETURN;
    END;
    <<roundtrip>> BEGIN
        -- A record type (OUT parameters, TABLE) has no input function of its
        -- own; a domain whose CHECK calls the guest may fail for its own reasons.
        EXIT roundtrip WHEN p.f2 IN ('record'::regtype, 'fuzz.r_nested'::regtype) OR texts IS NULL;
        EXECUTE format('SELECT count(x::%s) FROM unnest($1) x', p.f2) USING texts;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        INSERT INTO fuzz.unexpected VALUES ('roundtrip', 'hostile', SQLSTATE,
            'a value returned by ' || f::text || ' does not survive output and input: ' || msg,
            NULL, stmt);
    END;
END $$;

-- The allocators: a fresh instance (a trap discards the old one), then
-- calls with growing byte strings, so the host asks pg_wasm_alloc for an
-- area of a seed-chosen size, then frees it and asks for a larger one.
CREATE FUNCTION fuzz.hostile_alloc(seed int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM fuzz.h_reset();
    EXCEPTION WHEN external_routine_exception THEN
        NULL;
    END;
    FOR k IN 1..3 LOOP
        PERFORM fuzz.hostile_call('fuzz.h_args_text(text, int4)'::regprocedure,
                                  (seed * 7 + 1231 * k) % 4000 * k + 256);
    END LOOP;
END $$;
