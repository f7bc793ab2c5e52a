--
-- The SQL API of wasmer-postgres and openGauss-wasm: an instance is a
-- module loaded from a file, with namespace_export functions. Unlike theirs,
-- it lives in the catalog: every session sees it, and it survives restarts.
--
SELECT wasm_new_instance(current_setting('regress.guests') || '/simple.wasm', 'ns');
SELECT ns_sum(1, 2), ns_mul(6, 7);
SELECT id, wasm_file LIKE '%/simple.wasm' AS from_file FROM wasm.instances;
SELECT * FROM wasm.exported_functions;

-- The text format.
SELECT wasm_new_instance_wat(current_setting('regress.guests') || '/traps.wat', 'tr');
SELECT tr_ok(3);
SELECT instance_id, name, inputs, outputs FROM wasm.exported_functions WHERE instance_id = 'tr' ORDER BY name;
SELECT error_of($$SELECT wasm_new_instance_wat(current_setting('regress.guests') || '/simple.wasm', 'bin')$$);

-- Other sessions see the instances and their functions.
SELECT connect_other('wasmer_compat');
SELECT * FROM dblink('wasmer_compat', 'SELECT ns_sum(20, 22)') AS t(r int4);

-- A new instance in the same namespace replaces the old one, and its
-- functions.
SELECT wasm_new_instance(current_setting('regress.guests') || '/collatz.wasm', 'ns');
SELECT ns_steps(27);
SELECT ns_sum(1, 2);
SELECT * FROM dblink('wasmer_compat', 'SELECT ns_steps(27)') AS t(r int4);
SELECT * FROM wasm.exported_functions WHERE instance_id = 'ns';

-- A namespace that names a module loaded otherwise is refused.
SELECT wasm.load_module('collatz', guest('collatz.wasm')) IS NOT NULL AS loaded;
SELECT wasm_new_instance(current_setting('regress.guests') || '/simple.wasm', 'collatz');

-- wasm_delete_instance removes the instance, its module and functions.
SELECT wasm_delete_instance('ns');
SELECT wasm_delete_instance('tr');
SELECT ns_steps(27);
SELECT count(*) FROM wasm.instances;
SELECT count(*) FROM wasm.modules WHERE name IN ('ns', 'tr');
SELECT wasm_delete_instance('ns');
SELECT wasm_new_instance('/no/such/file.wasm', 'nf');
SELECT dblink_disconnect('wasmer_compat');
SELECT wasm.drop_module('collatz');
