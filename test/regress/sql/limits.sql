--
-- Budgets. wasm.max_memory caps the linear memory of the instance a call
-- runs in, and wasm.max_fuel the instructions one call may execute; both are
-- read at every call, and may be set for a session, a function (SET), a
-- role or a database; a plain user may lower them, only a superuser raise
-- them. wasm.max_heap bounds the engine's own heap (instances and tables);
-- it is read when the engine starts in a session, and only superusers may
-- set it.
--
SET wasm.max_memory = '64MB';
SET wasm.max_heap = '64MB';
SHOW wasm.max_memory;
SELECT wasm.load_module_wat('grower', $$(module
  (memory 1)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "pages") (result i32) memory.size))$$) IS NOT NULL AS loaded;
CREATE FUNCTION grow(int4) RETURNS int4 LANGUAGE wasm AS 'grower';
CREATE FUNCTION pages() RETURNS int4 LANGUAGE wasm AS 'grower';
-- 64 MB is 1024 pages of 64 kB: growing past it returns -1, as the
-- WebAssembly specification says, and the module goes on.
SELECT grow(1000) AS was, grow(23) AS was, pages();
SELECT grow(1) AS refused, pages();

-- A module asking for more from the start cannot be instantiated.
SELECT wasm.load_module_wat('greedy', $$(module
  (memory 2000)
  (func (export "one") (result i32) i32.const 1))$$) IS NOT NULL AS loaded;
CREATE FUNCTION greedy_one() RETURNS int4 LANGUAGE wasm AS 'greedy::one';
SELECT greedy_one();
SELECT sqlstate_of('SELECT greedy_one()');

-- Tables: one may hold at most 1,000,000 entries (table.grow past it returns
-- -1, as at any table's maximum), a module's 10,000,000 together...
SELECT wasm.load_module_wat('eleven_tables', '(module ' || repeat('(table 0 externref) ', 11) || ')');
SELECT wasm.load_module_wat('bounded_tables', $$(module
  (table 0 5000000 externref) (table 0 5000000 externref))$$) IS NOT NULL AS loaded;
SELECT wasm.load_module_wat('table_filler', $$(module
  (table $t 0 externref)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.null extern) (local.get 0))))$$) IS NOT NULL AS loaded;
CREATE FUNCTION fill_table(int4) RETURNS int4 LANGUAGE wasm AS 'table_filler::grow';
SELECT fill_table(600000) AS was, fill_table(400000) AS was, fill_table(1) AS refused;
-- ...and the tables of a session's instances may take at most wasm.max_heap
-- together: each instance reserves what its tables may come to take (a
-- funcref entry 32 bytes, an externref entry 8) when it is made, for its
-- life. Tables live partly outside the engine's heap, whose own limit once
-- let eight modules' tables take 2 GB under a 512 MB setting.
SELECT wasm.load_module_wat('wide' || i, $$(module
  (table 0 1000000 funcref)
  (func (export "size") (result i32) (table.size 0)))$$) IS NOT NULL AS loaded
FROM generate_series(1, 2) i;
CREATE FUNCTION wide1_size() RETURNS int4 LANGUAGE wasm AS 'wide1::size';
CREATE FUNCTION wide2_size() RETURNS int4 LANGUAGE wasm AS 'wide2::size';
SELECT wide1_size();  -- 30 MB reserved, with table_filler's 8
SELECT wide2_size();  -- 30 more would pass 64 MB
SELECT wasm.reset_session();
SELECT wide2_size() AS after_reset;
SELECT fill_table(1) AS fresh_instance;

-- Changes take effect at the next call.
SET wasm.max_memory = '128MB';
SELECT grow(1) AS now_granted, greedy_one();
-- A function may carry its own, lower bound.
CREATE FUNCTION grow_small(int4) RETURNS int4 LANGUAGE wasm AS 'grower::grow'
    SET wasm.max_memory = '65MB';
SELECT grow(1040 - pages()) IS NOT NULL AS grown, pages();
SELECT grow_small(1) AS refused_in_this_function, grow(1) AS granted_elsewhere;

-- Plain users may lower a budget, not raise it, however they set it.
CREATE ROLE regress_wasm_limited LOGIN;
GRANT CREATE ON SCHEMA public TO regress_wasm_limited;
SET ROLE regress_wasm_limited;
SET wasm.max_memory = '4GB';
SET wasm.max_memory = '32MB';
SET wasm.max_memory = '64MB';
RESET wasm.max_memory;   -- back to the value the session was given
SHOW wasm.max_memory;
SET wasm.max_heap = '4GB';
CREATE FUNCTION raise_memory() RETURNS int4 LANGUAGE wasm AS 'grower::pages'
    SET wasm.max_memory = '1GB';
CREATE FUNCTION lower_memory() RETURNS int4 LANGUAGE wasm AS 'grower::pages'
    SET wasm.max_memory = '8MB';
SELECT lower_memory();
DROP FUNCTION lower_memory();
RESET ROLE;
-- A superuser's per-role setting is a ceiling for that role.
ALTER ROLE regress_wasm_limited SET wasm.max_memory = '16MB';
-- (Until a session's first use of Wasm loads the extension's library, its
-- settings are only names: what was set before is checked then.)
SELECT connect_other('limited', 'user=regress_wasm_limited');
SELECT * FROM dblink('limited', 'SELECT count(*) FROM wasm.module_exports(''grower'')') AS t(n int8);
SELECT * FROM dblink('limited', 'SHOW wasm.max_memory') AS t(v text);
SELECT * FROM dblink('limited', $$SELECT set_config('wasm.max_memory', '512MB', false)$$) AS t(v text);
SELECT dblink_disconnect('limited');
-- Connection options are the user's too: refused, with a warning, when the
-- library is loaded.
SELECT connect_other('limited', 'user=regress_wasm_limited options=''-c wasm.max_memory=1GB''');
SELECT * FROM dblink('limited', 'SELECT count(*) FROM wasm.module_exports(''grower'')') AS t(n int8);
SELECT * FROM dblink('limited', 'SHOW wasm.max_memory') AS t(v text);
SELECT dblink_disconnect('limited');

-- Fuel: a deterministic budget of instructions per call. The same call
-- with the same budget always ends the same way.
SELECT wasm.load_module_wat('spinner', $$(module
  (func (export "count") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 1)))$$) IS NOT NULL AS loaded;
CREATE FUNCTION count_to(int4) RETURNS int4 LANGUAGE wasm AS 'spinner::count';
SET wasm.max_fuel = 100000;
SELECT count_to(1000);
SELECT count_to(100000);
SELECT sqlstate_of('SELECT count_to(100000)');
-- The least budget count_to(1000) needs, found twice: the same.
CREATE FUNCTION least_fuel(n int4) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE lo int8 := 0; hi int8 := 1000000; mid int8;
BEGIN
    WHILE lo + 1 < hi LOOP
        mid := (lo + hi) / 2;
        PERFORM set_config('wasm.max_fuel', mid::text, true);
        BEGIN
            PERFORM count_to(n);
            hi := mid;
        EXCEPTION WHEN program_limit_exceeded THEN
            lo := mid;
        END;
    END LOOP;
    RETURN hi;
END $$;
SELECT least_fuel(1000) = least_fuel(1000) AS deterministic,
       least_fuel(1000) BETWEEN 5000 AND 20000 AS about_instructions;
-- Per function, and off again.
CREATE FUNCTION count_cheaply(int4) RETURNS int4 LANGUAGE wasm AS 'spinner::count'
    SET wasm.max_fuel = 1000;
RESET wasm.max_fuel;
SELECT count_to(1000000) AS unmetered, sqlstate_of('SELECT count_cheaply(1000)') AS metered;
-- Plain users cannot lift a budget: 0 (no limit) is the highest of all.
SET wasm.max_fuel = 5000;
SET ROLE regress_wasm_limited;
SET wasm.max_fuel = 0;
SET wasm.max_fuel = 10000;
SET wasm.max_fuel = 1000;
SET wasm.max_fuel = 1.5;
RESET ROLE;
RESET wasm.max_fuel;

DROP FUNCTION count_to(int4), count_cheaply(int4), least_fuel(int4);
SELECT wasm.drop_module('spinner');
ALTER ROLE regress_wasm_limited RESET ALL;
REVOKE CREATE ON SCHEMA public FROM regress_wasm_limited;
DROP ROLE regress_wasm_limited;

DROP FUNCTION grow(int4), grow_small(int4), pages(), greedy_one(), fill_table(int4), wide1_size(), wide2_size();
SELECT wasm.drop_module('grower'), wasm.drop_module('greedy'), wasm.drop_module('bounded_tables'),
       wasm.drop_module('table_filler'), wasm.drop_module('wide1'), wasm.drop_module('wide2');
