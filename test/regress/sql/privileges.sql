--
-- Who may do what.
--  * LANGUAGE wasm is trusted: any role may create and call Wasm functions
--    (guests reach nothing but their own memory and what the host imports
--    give them).
--  * Loading modules is for superusers and for roles granted EXECUTE on
--    the loading functions; a module's owner (or a superuser) may replace
--    or drop it.
--  * Reading server files (load_module_file, wasm_new_instance) needs
--    superuser or pg_read_server_files as well.
--
DROP ROLE IF EXISTS regress_wasm_user;
DROP ROLE IF EXISTS regress_wasm_loader;
DROP ROLE IF EXISTS regress_wasm_loader2;
CREATE ROLE regress_wasm_user;
CREATE ROLE regress_wasm_loader;
CREATE ROLE regress_wasm_loader2;
GRANT EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean),
                          wasm.load_module_wat(text, text, text, boolean),
                          wasm.load_module_file(text, text, text, boolean)
    TO regress_wasm_loader, regress_wasm_loader2;
CREATE SCHEMA regress_wasm AUTHORIZATION regress_wasm_user;
GRANT USAGE, CREATE ON SCHEMA regress_wasm TO regress_wasm_loader, regress_wasm_loader2;
SELECT wasm.load_module('shared', guest('collatz.wasm')) IS NOT NULL AS loaded;
CREATE TABLE module_bytes AS SELECT guest('fib.wasm') AS fib, guest('collatz.wasm') AS collatz;
GRANT SELECT ON module_bytes TO PUBLIC;

-- A plain user may create and call Wasm functions over loaded modules,
-- read the catalog, and look at exports...
SET ROLE regress_wasm_user;
SET search_path = regress_wasm, public;
CREATE FUNCTION my_steps(int4) RETURNS int4 LANGUAGE wasm AS 'shared::steps';
SELECT my_steps(27);
SELECT * FROM wasm.create_functions('shared', 'mine');
SELECT mine_steps(97);
SELECT name, owner FROM wasm.modules WHERE name = 'shared';
SELECT name, kind FROM wasm.module_exports('shared');
-- ...but not load, replace, drop or write the catalog.
SELECT wasm.load_module('mine', (SELECT fib FROM module_bytes));
SELECT wasm.load_module_wat('mine', '(module)');
SELECT wasm.drop_module('shared');
INSERT INTO wasm.modules (name, code) SELECT 'sneaky', fib FROM module_bytes;
UPDATE wasm.modules SET code = '\x00' WHERE name = 'shared';
DELETE FROM wasm.modules;
-- ...nor read server files through this extension.
SELECT wasm.load_module_file('mine', '/etc/passwd');
SELECT wasm_new_instance('/etc/passwd', 'mine');
RESET ROLE;

-- A loader may load, and owns what it loads...
SET ROLE regress_wasm_loader;
SELECT wasm.load_module('loaded_by_loader', (SELECT fib FROM module_bytes)) IS NOT NULL AS loaded;
SELECT name, owner FROM wasm.modules WHERE name = 'loaded_by_loader';
CREATE FUNCTION regress_wasm.loader_fib(int4) RETURNS int8 LANGUAGE wasm AS 'loaded_by_loader::fib';
SELECT regress_wasm.loader_fib(50);
-- ...but still reads no server files without pg_read_server_files...
SELECT wasm.load_module_file('from_file', current_setting('regress.guests') || '/fib.wasm');
-- ...and may not replace or drop others' modules.
SELECT wasm.load_module('shared', (SELECT fib FROM module_bytes), replace => true);
SELECT wasm.drop_module('shared');
RESET ROLE;

-- Another loader may not replace or drop the first one's module...
SET ROLE regress_wasm_loader2;
SELECT wasm.load_module('loaded_by_loader', (SELECT collatz FROM module_bytes), replace => true);
SELECT wasm.drop_module('loaded_by_loader');
RESET ROLE;
-- ...unless it is a member of the owner's role.
GRANT regress_wasm_loader TO regress_wasm_loader2;
SET ROLE regress_wasm_loader2;
SELECT wasm.drop_module('loaded_by_loader', cascade => true);
RESET ROLE;

-- With pg_read_server_files, a loader may load from files.
GRANT pg_read_server_files TO regress_wasm_loader;
SET ROLE regress_wasm_loader;
SELECT wasm.load_module_file('from_file', current_setting('regress.guests') || '/fib.wasm') IS NOT NULL AS loaded;
SELECT wasm.drop_module('from_file');
RESET ROLE;

-- A plain user's Wasm functions are theirs to drop; the module stays.
SET ROLE regress_wasm_user;
DROP FUNCTION regress_wasm.my_steps(int4), regress_wasm.mine_steps(int4);
RESET ROLE;
RESET search_path;

DROP SCHEMA regress_wasm CASCADE;
DROP TABLE module_bytes;
REVOKE EXECUTE ON FUNCTION wasm.load_module(text, bytea, text, boolean),
                           wasm.load_module_wat(text, text, text, boolean),
                           wasm.load_module_file(text, text, text, boolean)
    FROM regress_wasm_loader, regress_wasm_loader2;
DROP ROLE regress_wasm_user;
DROP ROLE regress_wasm_loader2;
DROP ROLE regress_wasm_loader;
SELECT wasm.drop_module('shared');
