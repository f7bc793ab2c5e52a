-- SQL side of test/integration/random_modules.sh: loads random modules,
-- declares functions over their exports, calls them with random arguments,
-- and counts what happened by SQLSTATE. Every error is caught here, so a
-- script of these calls stops only when the server itself fails.
CREATE SCHEMA fuzz;

-- What happened, counted: step (load, create, call), SQLSTATE ('ok' for
-- success) and kind (the message without names and numbers); by session,
-- so that sessions running side by side never wait for each other.
CREATE TABLE fuzz.counts (
    pid int, step text, sqlstate text, kind text, n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (pid, step, sqlstate, kind));
CREATE VIEW fuzz.outcome AS
    SELECT step, sqlstate, kind, sum(n) AS n FROM fuzz.counts GROUP BY step, sqlstate, kind;
-- Errors whose SQLSTATE is not one a hostile guest may cause: each fails the test.
CREATE TABLE fuzz.unexpected (
    step text, module text, sqlstate text, message text, detail text, statement text);

-- The SQLSTATEs a random module or a hostile guest may cause.
CREATE FUNCTION fuzz.expected(state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT state IN (
        '38000',  -- traps, bad pointers, lengths and buffers
        '54001',  -- stack exhausted
        '53200',  -- out of memory
        '54000',  -- program limits (result over 1 GB, tables too large)
        '57014',  -- statement_timeout
        'P0001',  -- pg_wasm.error
        '22P03',  -- invalid module; invalid MessagePack, uuid or array bytes
        '42704',  -- an import the host does not provide
        '42P13',  -- a declared signature that does not fit the export
        '42804',  -- MessagePack of the wrong type for a column
        '22021',  -- text that is not UTF-8, or holds a zero byte
        '22P05',  -- text the database's encoding cannot hold
        '22P02',  -- text that a type's input function refuses (json, numeric, inet, ...)
        '22003',  -- a number out of a type's range
        '22008',  -- a date or timestamp out of range
        '22007'   -- a malformed date or time
    )
$$;

-- An error message as a kind: names and numbers taken out.
CREATE FUNCTION fuzz.kind(message text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT left(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        message,
        'm[0-9]{4}\w*(\([^)]*\))?', 'f()', 'g'),  -- random modules' functions
        '"[^"]*"', '"…"', 'g'),                     -- quoted names
        '0x[0-9a-f]+', 'N', 'g'),                   -- numbers
        '\m-?[0-9]+\M', 'N', 'g'),
        '\s+', ' ', 'g'), 100)
$$;

-- Is the text valid in the database's encoding? (convert_to checks it.)
CREATE FUNCTION fuzz.valid_text(t text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM convert_to(t, getdatabaseencoding());
    RETURN true;
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
    RETURN false;
END $$;

-- Counts an outcome; keeps the unexpected ones. A timeout is fine for
-- random code (it may loop) but is a hang for hostile guests, which never
-- loop: there it is the host that took too long. Every message must be
-- valid text in the database's encoding, whatever bytes the guest gave.
CREATE FUNCTION fuzz.record(step text, module text, state text, message text, detail text,
                            statement text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fuzz.counts AS o VALUES (pg_backend_pid(), step, state,
        CASE WHEN state IN ('ok', 'P0001') THEN '' ELSE fuzz.kind(message) END, 1)
    ON CONFLICT ON CONSTRAINT counts_pkey DO UPDATE SET n = o.n + 1;
    IF state <> 'ok' AND (NOT fuzz.expected(state) OR (state = '57014' AND step = 'hostile')) THEN
        INSERT INTO fuzz.unexpected VALUES (step, module, state, message, detail, statement);
        RAISE WARNING 'unexpected SQLSTATE % in %: %', state, statement, message;
    END IF;
    IF NOT fuzz.valid_text(message) OR NOT fuzz.valid_text(detail) THEN
        INSERT INTO fuzz.unexpected VALUES (step, module, state,
            'an error message or detail that is not valid ' || getdatabaseencoding(),
            encode(textsend(message), 'escape'), statement);
    END IF;
END $$;

-- Runs one CREATE FUNCTION for a module's export and counts its outcome.
CREATE FUNCTION fuzz.create(module text, stmt text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    PERFORM fuzz.record('create', module, 'ok', NULL, NULL, NULL);
EXCEPTION WHEN OTHERS THEN
    PERFORM fuzz.record('create', module, SQLSTATE, SQLERRM, NULL, stmt);
END $$;

-- The unexpected outcomes by kind, each with its count and an example.
CREATE VIEW fuzz.unexpected_kinds AS
    SELECT DISTINCT ON (step, sqlstate, fuzz.kind(message))
           step, sqlstate, fuzz.kind(message) AS kind,
           count(*) OVER (PARTITION BY step, sqlstate, fuzz.kind(message)) AS n,
           message, detail, statement
    FROM fuzz.unexpected ORDER BY step, sqlstate, fuzz.kind(message);

-- Adds n to a step's count of successes.
CREATE FUNCTION fuzz.count(step text, n bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO fuzz.counts AS o VALUES (pg_backend_pid(), step, 'ok', '', n)
    ON CONFLICT ON CONSTRAINT counts_pkey DO UPDATE SET n = o.n + excluded.n
$$;

-- Composite results for the pg_wasm ABI declarations.
CREATE TYPE fuzz.r_small AS (a int4, b text);
CREATE TYPE fuzz.r_wide AS (a int2, b bool, c float4, d numeric, e date, f timestamptz,
                            g uuid, h jsonb, i int8[], j inet, k bytea);

CREATE FUNCTION fuzz.pick(a text[]) RETURNS text LANGUAGE sql AS $$
    SELECT a[1 + floor(random() * cardinality(a))::int]
$$;

-- A random SQL literal of the type: extremes often, NULL sometimes.
CREATE FUNCTION fuzz.arg(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    v text;
BEGIN
    IF random() < 0.03 THEN
        RETURN 'NULL::' || t::text;
    END IF;
    CASE t
    WHEN 'integer'::regtype THEN
        v := CASE WHEN r < 0.5 THEN fuzz.pick(ARRAY['0', '1', '-1', '2', '7', '8', '15', '16',
                    '255', '256', '-128', '65535', '65536', '-65536', '1048576', '16777216',
                    '2147483647', '-2147483648', '1073741824', '-1073741824', '1048575',
                    '1048568', '1114112', '983040'])
                  WHEN r < 0.75 THEN (floor(random() * 4294967296) - 2147483648)::int8::text
                  ELSE (floor(random() * 2048) - 1024)::int8::text END;
    WHEN 'bigint'::regtype THEN
        v := CASE WHEN r < 0.5 THEN fuzz.pick(ARRAY['0', '1', '-1', '255', '65536',
                    '2147483647', '-2147483648', '4294967295', '4294967296', '-4294967296',
                    '9223372036854775807', '-9223372036854775808', '4611686018427387904',
                    '281474976710656', '1099511627776', '4503599627370496'])
                  WHEN r < 0.75 THEN ((floor(random() * 4294967296) - 2147483648)::int8 * 4294967296
                                      + floor(random() * 4294967296)::int8)::text
                  ELSE (floor(random() * 2048) - 1024)::int8::text END;
    WHEN 'real'::regtype, 'double precision'::regtype THEN
        v := CASE WHEN r < 0.5 THEN fuzz.pick(ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0',
                    '1', '-1', '0.5', '1e-45', '1.4e-45', '1.17549435e-38', '3.4028235e38',
                    '-3.4028235e38', '2147483648', '-2147483649', '4294967296',
                    '9.223372036854775807e18', '-9.223372036854775808e18', '1.8446744073709552e19'])
                  WHEN r < 0.6 AND t = 'double precision'::regtype THEN fuzz.pick(ARRAY[
                    '5e-324', '2.2250738585072014e-308', '1.7976931348623157e308',
                    '-1.7976931348623157e308', '4503599627370496.5'])
                  ELSE ((random() - 0.5) * 10 ^ floor(random() * 20 - 5))::text END;
    WHEN 'smallint'::regtype THEN
        v := fuzz.pick(ARRAY['0', '1', '-1', '32767', '-32768', '255']);
    WHEN 'boolean'::regtype THEN
        v := fuzz.pick(ARRAY['true', 'false']);
    WHEN 'text'::regtype THEN
        v := fuzz.pick(ARRAY['', 'a', 'hello, world', 'ü€😀', repeat('x', 1000),
                             repeat('ab', 40000), md5(r::text)]);
    WHEN 'bytea'::regtype THEN
        v := fuzz.pick(ARRAY['\x', '\x00', '\xffff', '\x' || md5(r::text),
                             '\x' || repeat('00ff', 5000)]);
    ELSE
        RETURN 'NULL::' || t::text;
    END CASE;
    RETURN quote_literal(v) || '::' || t::text;
END $$;

-- The module's functions: wasm.create_functions for the scalar exports,
-- then pg_wasm-ABI and BUFFERED_V1 declarations over exports whose Wasm
-- type allows them, so random code hands the host random results.
CREATE FUNCTION fuzz.load(m text, path text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    e record;
    params text[];
    result text;
    sql_args text[];
    rt text;
    stmt text;
    k int;
BEGIN
    BEGIN
        PERFORM wasm.load_module(m, pg_read_binary_file(path));
        PERFORM fuzz.record('load', m, 'ok', NULL, NULL, NULL);
    EXCEPTION WHEN OTHERS THEN
        PERFORM fuzz.record('load', m, SQLSTATE, SQLERRM, NULL, 'load ' || path);
        RETURN;
    END;
    BEGIN
        PERFORM fuzz.count('create_functions', (SELECT count(*) FROM wasm.create_functions(m, m)));
    EXCEPTION WHEN OTHERS THEN
        PERFORM fuzz.record('create', m, SQLSTATE, SQLERRM, NULL, 'create_functions ' || m);
        RETURN;
    END;
    -- With a pg_wasm_free, a function taking text: growing arguments make
    -- the host free its argument area.
    IF EXISTS (SELECT FROM wasm.module_exports(m) WHERE name = 'pg_wasm_free') THEN
        stmt := format('CREATE FUNCTION %I(text) RETURNS int4 LANGUAGE wasm AS %L',
                       m || '_length', m || '::text_len');
        PERFORM fuzz.create(m, stmt);
    END IF;
    FOR e IN SELECT x.name, x.type FROM wasm.module_exports(m) x
             WHERE x.kind = 'function' AND x.type LIKE '(%) -> %'
               AND x.name NOT IN ('pg_wasm_abi_v1', 'pg_wasm_alloc', 'pg_wasm_free',
                                  'clickhouse_create_buffer', 'clickhouse_destroy_buffer',
                                  'text_len')
             ORDER BY x.name LOOP
        params := string_to_array(substring(e.type FROM '^\((.*)\) -> '), ', ');
        result := substring(e.type FROM ' -> (.*)$');
        FOR k IN 1..2 LOOP
            stmt := NULL;
            IF result = 'i64' AND params <@ ARRAY['i32', 'i64', 'f32', 'f64'] THEN
                -- pg_wasm's ABI: (len << 32 | ptr) of a byte string, a row or a set.
                sql_args := ARRAY(SELECT CASE p WHEN 'i32' THEN 'int4' WHEN 'i64' THEN 'int8'
                                      WHEN 'f32' THEN 'float4' ELSE 'float8' END
                                  FROM unnest(params) p);
                IF params[1:2] = ARRAY['i32', 'i32'] AND random() < 0.5 THEN
                    sql_args := fuzz.pick(ARRAY['text', 'bytea']) || sql_args[3:];
                END IF;
                rt := fuzz.pick(ARRAY['text', 'bytea', 'json', 'jsonb', 'numeric', 'uuid',
                    'int4[]', 'int8[]', 'int2[]', 'bool[]', 'float4[]', 'float8[]',
                    'fuzz.r_small', 'fuzz.r_wide', 'SETOF int4', 'SETOF text', 'SETOF inet',
                    'SETOF fuzz.r_small', 'SETOF fuzz.r_wide', 'TABLE (x int8, y text)']);
                stmt := format('CREATE FUNCTION %I(%s) RETURNS %s LANGUAGE wasm AS %L',
                               m || '_' || e.name || '_pgw' || k, array_to_string(sql_args, ', '),
                               rt, m || '::"' || replace(e.name, '"', '""') || '" abi=pg_wasm');
            ELSIF result = 'i32' AND params = ARRAY['i32', 'i32'] THEN
                -- BUFFERED_V1: the result is a buffer handle.
                sql_args := ARRAY(SELECT fuzz.pick(ARRAY['int4', 'int8', 'float8', 'text',
                                                         'bytea', 'bool', 'int4[]'])
                                  FROM generate_series(1, floor(random() * 3)::int));
                rt := fuzz.pick(ARRAY['int4', 'int8', 'int2', 'bool', 'float4', 'float8',
                    'text', 'bytea', 'jsonb', 'numeric', 'uuid', 'date', 'timestamptz',
                    'int4[]', 'text[]', 'inet']);
                stmt := format('CREATE FUNCTION %I(%s) RETURNS %s LANGUAGE wasm AS %L',
                               m || '_' || e.name || '_ch' || k, array_to_string(sql_args, ', '),
                               rt, m || '::"' || replace(e.name, '"', '""') || '" abi=buffered_v1');
            END IF;
            CONTINUE WHEN stmt IS NULL;
            PERFORM fuzz.create(m, stmt);
        END LOOP;
    END LOOP;
END $$;

-- One statement per function of the module, for psql's \gexec: each runs as
-- a statement of its own, under its own statement_timeout.
CREATE FUNCTION fuzz.calls(m text, n int) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('SELECT fuzz.call(%L, %L::regprocedure, %s)', m, p.oid::regprocedure,
                  CASE WHEN p.pronargs = 0 THEN least(n, 3) ELSE n END)
    FROM pg_proc p
    WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'wasm')
      AND p.proname LIKE m || '\_%'
    ORDER BY p.oid
$$;

-- Calls a function n times with random arguments; the result goes through
-- its type's output function. A statement_timeout ends the calls.
CREATE FUNCTION fuzz.call(m text, f regprocedure, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    types oidvector := (SELECT proargtypes FROM pg_proc WHERE oid = f);
    name text := (SELECT quote_ident(proname) FROM pg_proc WHERE oid = f);
    stmt text;
    msg text;
    det text;
BEGIN
    PERFORM fuzz.count('functions called', 1);
    FOR i IN 1..n LOOP
        stmt := format('SELECT sum(length(t::text)) FROM %s(%s) t', name,
                       (SELECT string_agg(fuzz.arg(a), ', ' ORDER BY o)
                        FROM unnest(types::oid[]) WITH ORDINALITY AS u(a, o)));
        BEGIN
            EXECUTE stmt;
            PERFORM fuzz.record('call', m, 'ok', NULL, NULL, NULL);
        EXCEPTION
            WHEN query_canceled THEN
                PERFORM fuzz.record('call', m, SQLSTATE, SQLERRM, NULL, stmt);
                RETURN;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
                PERFORM fuzz.record('call', m, SQLSTATE, msg, det, stmt);
        END;
    END LOOP;
END $$;

-- Drops the module and its functions, so the catalog stays small.
CREATE FUNCTION fuzz.drop(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM wasm.modules WHERE name = m) THEN
        PERFORM wasm.drop_module(m, cascade => true);
    END IF;
EXCEPTION WHEN OTHERS THEN
    PERFORM fuzz.record('drop', m, SQLSTATE, SQLERRM, NULL, 'drop ' || m);
END $$;
