--
-- wasm.max_memory caps every linear memory of the session's instances, and
-- wasm.max_heap the engine's own heap (instances and tables). Both are read
-- when the engine starts in a session (at its first Wasm call), and only
-- superusers may set them.
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

-- Tables live on the engine's heap. A module's tables may hold 10 million
-- entries together, so that one call cannot fill the heap before the engine
-- can stop it...
SELECT wasm.load_module_wat('two_tables', $$(module
  (table 0 externref) (table 0 externref))$$);
SELECT wasm.load_module_wat('bounded_tables', $$(module
  (table 0 5000000 externref) (table 0 5000000 externref))$$) IS NOT NULL AS loaded;
-- ...and a call that fills the heap is stopped with an error; every
-- instance of the session is discarded, which frees it.
SELECT wasm.load_module_wat('table_filler', $$(module
  (table $t 0 10000000 externref)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.null extern) (local.get 0))))$$) IS NOT NULL AS loaded;
CREATE FUNCTION fill_table(int4) RETURNS int4 LANGUAGE wasm AS 'table_filler::grow';
SELECT fill_table(1000000) FROM generate_series(1, 10);
SELECT fill_table(1000000) AS fresh_instance;

-- Later changes take effect in new sessions only.
SET wasm.max_memory = '128MB';
SELECT grow(1) AS still_refused;
SELECT connect_other('bigger', 'options=''-c wasm.max_memory=128MB''');
SELECT * FROM dblink('bigger', 'SELECT greedy_one()') AS t(r int4);
SELECT dblink_disconnect('bigger');

-- Plain users cannot raise it.
CREATE ROLE regress_wasm_limited;
SET ROLE regress_wasm_limited;
SET wasm.max_memory = '4GB';
SET wasm.max_heap = '4GB';
RESET ROLE;
DROP ROLE regress_wasm_limited;

DROP FUNCTION grow(int4), pages(), greedy_one(), fill_table(int4);
SELECT wasm.drop_module('grower'), wasm.drop_module('greedy'), wasm.drop_module('bounded_tables'),
       wasm.drop_module('table_filler');
