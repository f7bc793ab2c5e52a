--
-- A foreign data wrapper in Rust (examples/fdw/rust_compute_fdw.rs, with
-- sdk/rust/pg_wasm_fdw.rs) scans the same rows as its C original,
-- examples/fdw/compute_fdw.c, with the same pushdown.
--
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
SELECT wasm.load_module('compute_fdw', guest('compute_fdw.wasm')) IS NOT NULL AS loaded;
SELECT wasm.load_module('rust_compute_fdw', guest('rust_compute_fdw.wasm')) IS NOT NULL AS loaded;
CREATE SERVER c_compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw');
CREATE SERVER rust_compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'rust_compute_fdw');
CREATE FOREIGN TABLE c_numbers (n int8, square int8, label text, even bool, other text)
    SERVER c_compute OPTIONS (count '1200');
CREATE FOREIGN TABLE rust_numbers (n int8, square int8, label text, even bool, other text)
    SERVER rust_compute OPTIONS (count '1200');

SELECT * FROM rust_numbers WHERE n <= 3;
-- Every row alike, over several batches.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE r IS DISTINCT FROM c) AS different
FROM (SELECT n, r FROM rust_numbers r) r FULL JOIN (SELECT n, c FROM c_numbers c) c USING (n);
-- Pushdown: exact quals, sort and limit, as the C guest decides them.
EXPLAIN (COSTS OFF) SELECT n, label FROM rust_numbers WHERE n < 100 ORDER BY n LIMIT 3 OFFSET 5;
SELECT n, label FROM rust_numbers WHERE n < 100 ORDER BY n LIMIT 3 OFFSET 5;
SELECT n, label FROM c_numbers WHERE n < 100 ORDER BY n LIMIT 3 OFFSET 5;
SELECT n, square FROM rust_numbers WHERE n = 42;
SELECT count(*) FROM rust_numbers WHERE n = ANY (ARRAY[1, 5, 7000]) AND even IS NOT NULL;
-- A join's outer values at each rescan.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT v, r.label FROM (VALUES (2), (11), (5000)) t(v) JOIN rust_numbers r ON r.n = t.v ORDER BY v;
RESET enable_hashjoin;
RESET enable_mergejoin;
-- Its fdw_validate.
CREATE FOREIGN TABLE rust_bad (n int8) SERVER rust_compute OPTIONS (count '-1');
ALTER FOREIGN TABLE rust_numbers OPTIONS (SET count '0');
SELECT count(*) FROM rust_numbers;

SET client_min_messages = warning;
DROP FOREIGN DATA WRAPPER wasm_wrapper CASCADE;
RESET client_min_messages;
SELECT wasm.drop_module('compute_fdw'), wasm.drop_module('rust_compute_fdw');
