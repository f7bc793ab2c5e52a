-- bench/soak.sh: one call of soak.check_numeric (bench/soak/setup.sql).
\set n random(1, 10000)
SELECT soak.check_numeric(:n);
