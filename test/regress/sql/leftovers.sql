--
-- Every suite drops what it made, so that each runs alone and in the
-- schedule alike. Run last in the schedule, and by run.sh after each suite
-- it runs alone: nothing is left but what setup made. (Extensions' own
-- objects, dblink's here, are not listed.)
--
SELECT name FROM wasm.modules ORDER BY name;
-- setup's helpers only.
SELECT p.oid::regprocedure AS function FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.oid::regprocedure::text;
SELECT c.relname, c.relkind FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.deptype = 'e'
                    AND (d.classid, d.objid) IN (('pg_class'::regclass, c.oid), ('pg_type'::regclass, c.reltype)))
ORDER BY c.relname;
SELECT t.typname FROM pg_type t
WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('d', 'e', 'r', 'm')
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY t.typname;
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('public', 'wasm', 'information_schema') AND nspname NOT LIKE 'pg\_%'
ORDER BY nspname;
SELECT extname FROM pg_extension ORDER BY extname;
SELECT w.fdwname FROM pg_foreign_data_wrapper w
WHERE NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_foreign_data_wrapper'::regclass AND d.objid = w.oid
                    AND d.deptype = 'e')
ORDER BY w.fdwname;
SELECT srvname FROM pg_foreign_server ORDER BY srvname;
SELECT rolname FROM pg_roles WHERE rolname LIKE 'regress\_%' ORDER BY rolname;
-- The encoding suite's database.
SELECT datname FROM pg_database WHERE datname = 'pg_wasm_latin1';
-- This database's settings: run.sh's and setup's.
SELECT split_part(unnest(setconfig), '=', 1) AS database_setting FROM pg_db_role_setting
WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0
ORDER BY 1;
