--
-- wasm.drop_module refuses while SQL functions use the module, naming them;
-- with cascade it drops them too.
--
SELECT wasm.load_module('doomed', guest('collatz.wasm')) IS NOT NULL AS loaded;
CREATE FUNCTION doomed_steps(int4) RETURNS int4 LANGUAGE wasm AS 'doomed::steps';
CREATE FUNCTION doomed_steps8(int4) RETURNS int4 LANGUAGE wasm AS 'doomed::steps';
CREATE VIEW doomed_view AS SELECT doomed_steps(27) AS s;
SELECT wasm.drop_module('doomed');
SELECT sqlstate_of($$SELECT wasm.drop_module('doomed')$$);
SELECT * FROM doomed_view;

-- cascade drops the functions, and what depends on them.
SELECT wasm.drop_module('doomed', cascade => true);
SELECT count(*) FROM pg_proc WHERE proname LIKE 'doomed%';
SELECT count(*) FROM pg_views WHERE viewname = 'doomed_view';
SELECT count(*) FROM wasm.modules WHERE name = 'doomed';

-- Dropping what does not exist.
SELECT wasm.drop_module('doomed');
SELECT wasm.drop_module('bad name');

-- A drop that is rolled back leaves the module and its functions.
SELECT wasm.load_module('kept', guest('collatz.wasm')) IS NOT NULL AS loaded;
CREATE FUNCTION kept_steps(int4) RETURNS int4 LANGUAGE wasm AS 'kept::steps';
SELECT kept_steps(27);
BEGIN;
SELECT wasm.drop_module('kept', cascade => true);
ROLLBACK;
SELECT kept_steps(27);

-- Rows changed behind the functions' back (a superuser editing the table
-- directly, or pg_restore loading it) reach every session too: the table's
-- trigger invalidates cached modules.
SELECT connect_other('watcher');
SELECT * FROM dblink('watcher', 'SELECT kept_steps(27)') AS t(r int4);
UPDATE wasm.modules SET code = guest('fib.wasm') WHERE name = 'kept';
SELECT * FROM dblink('watcher', 'SELECT kept_steps(27)') AS t(r int4);
DELETE FROM wasm.modules WHERE name = 'kept';
SELECT * FROM dblink('watcher', 'SELECT kept_steps(27)') AS t(r int4);
SELECT dblink_disconnect('watcher');
DROP FUNCTION kept_steps(int4);
