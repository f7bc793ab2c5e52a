#!/usr/bin/env bash
# One session's memory stays flat: after a warm-up of 1,000 calls,
# 100,000 calls (numbers, text, a set) and 10,000 traps grow the backend by
# at most 1 MB; 1,000 replaces of a module (alternating two versions, each
# followed by calls that compile and instantiate the new code) by at most
# 5 MB. The backend reads its own /proc/self/status between steps.
#
# What is measured is the backend's private memory, RssAnon + RssFile: VmRSS
# also counts the pages of shared memory the backend happens to touch
# (RssShmem: shared buffers, WAL buffers), which grow as the replaces write
# new versions of wasm.modules' rows and are no one's leak. All four numbers
# are printed.
#   test/integration/leak.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_leak
CALLS_LIMIT_KB=1024
REPLACES_LIMIT_KB=5120
# Replaces per step (20 steps). A replace back to code whose native build was
# removed (the replaced code's builds go with it) builds it again: the native
# run takes fewer.
PER_STEP=${LEAK_REPLACES_PER_STEP:-50}
TOTAL=$((PER_STEP * 20))

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
SELECT wasm.load_module_file('text', '$GUESTS/text.wasm');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text::slugify';
-- The module replaced, in two versions (test/guests/versioned.c).
CREATE TABLE versions (version int4 PRIMARY KEY, code bytea NOT NULL);
INSERT INTO versions VALUES (1, pg_read_binary_file('$GUESTS/versioned.wasm')),
                            (2, pg_read_binary_file('$GUESTS/versioned_v2.wasm'));
SELECT wasm.load_module('versioned', code) FROM versions WHERE version = 1;
CREATE FUNCTION versioned_bump(int4) RETURNS int4 LANGUAGE wasm AS 'versioned::bump';
CREATE FUNCTION versioned_tag(text) RETURNS text LANGUAGE wasm STRICT AS 'versioned::tag';
CREATE FUNCTION versioned_pieces(text) RETURNS TABLE (piece text, version int4)
    LANGUAGE wasm STRICT AS 'versioned::pieces';
CREATE FUNCTION versioned_ratio(int4, int4) RETURNS int4 LANGUAGE wasm AS 'versioned::ratio';

-- This backend's memory in kB.
CREATE FUNCTION mem(OUT vmrss int8, OUT anon int8, OUT file int8, OUT shmem int8) LANGUAGE sql AS \$\$
    SELECT (regexp_match(s, 'VmRSS:\s+(\d+)'))[1]::int8, (regexp_match(s, 'RssAnon:\s+(\d+)'))[1]::int8,
           (regexp_match(s, 'RssFile:\s+(\d+)'))[1]::int8, (regexp_match(s, 'RssShmem:\s+(\d+)'))[1]::int8
    FROM pg_read_file('/proc/self/status') AS s
\$\$;

-- Runs a statement that returns a number, then reads the memory: one step.
CREATE FUNCTION step(label text, work text)
RETURNS TABLE (step text, result int8, vmrss int8, anon int8, file int8, shmem int8)
LANGUAGE plpgsql AS \$\$
BEGIN
    step := label;
    EXECUTE work INTO result;
    -- What is still held, not what the engine's collector has yet to free.
    PERFORM wasm.reset_session();
    SELECT * INTO vmrss, anon, file, shmem FROM mem();
    RETURN NEXT;
END \$\$;

-- n calls in one statement, numbers, text and a set in turn, with version
-- v of the versioned module; returns how many gave the right result.
CREATE FUNCTION calls(n int4, v int4) RETURNS int8 LANGUAGE sql AS \$\$
    SELECT count(*) FROM generate_series(1, n) i
    WHERE CASE i % 5
        WHEN 0 THEN collatz_steps(27) = 111
        WHEN 1 THEN versioned_bump(i) = i + v
        WHEN 2 THEN slugify('Hello, World ' || i) = 'hello-world-' || i
        WHEN 3 THEN versioned_tag(md5(i::text)) = format('v%s:', v) || reverse(md5(i::text))
        ELSE (SELECT array_agg(piece) = ARRAY['a', i::text] AND min(version) = v
              FROM versioned_pieces('a ' || i))
    END
\$\$;

-- n traps (divide by zero), each followed by a text call, which must make a
-- new instance; returns how many trapped.
CREATE FUNCTION traps(n int4) RETURNS int4 LANGUAGE plpgsql AS \$\$
DECLARE
    trapped int4 := 0;
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            PERFORM versioned_ratio(i, 0);
        EXCEPTION WHEN external_routine_exception THEN
            trapped := trapped + 1;
        END;
        IF versioned_tag('abc') <> 'v1:cba' THEN
            RAISE EXCEPTION 'leak: versioned_tag after a trap gave %', versioned_tag('abc');
        END IF;
    END LOOP;
    RETURN trapped;
END \$\$;

-- n replaces, versions 2, 1, 2, ..., each committed and followed by calls
-- of the new version (numbers, text, a set).
CREATE PROCEDURE replaces(n int4) LANGUAGE plpgsql AS \$\$
DECLARE
    v int4;
BEGIN
    FOR i IN 1..n LOOP
        v := 1 + i % 2;
        PERFORM wasm.load_module('versioned', code, replace => true) FROM versions WHERE version = v;
        COMMIT;
        IF calls(5, v) <> 5 THEN
            RAISE EXCEPTION 'leak: replace % (to version %): wrong results: bump %, tag %', i, v,
                versioned_bump(0), versioned_tag('abc');
        END IF;
    END LOOP;
END \$\$;
SQL

# Everything below runs in one session (one backend). Each step prints
# "<step>|<result>|VmRSS|RssAnon|RssFile|RssShmem". The warm-up is the first
# 1,000 calls and the first 1,000 traps.
steps() {
  echo "SELECT 'start', 0, * FROM mem();"
  echo "SELECT * FROM step('warm-up', 'SELECT calls(1000, 1) + traps(1000)');"
  for n in 25000 50000 75000 100000; do echo "SELECT * FROM step('$n calls', 'SELECT calls(25000, 1)');"; done
  for n in $(seq 1000 1000 10000); do echo "SELECT * FROM step('$n traps', 'SELECT traps(1000)');"; done
  for n in $(seq $PER_STEP $PER_STEP $TOTAL); do
    echo "CALL replaces($PER_STEP); SELECT wasm.reset_session(); SELECT '$n replaces', 0, * FROM mem();"
  done
}
out=$(steps | sql -d $DB) || { check_server_log; echo "FAIL: the session failed" >&2; exit 1; }

printf '%-16s %8s %8s %8s %8s %8s\n' step result VmRSS RssAnon RssFile RssShmem
while IFS='|' read -r step result vmrss anon file shmem; do
  printf '%-16s %8s %8s %8s %8s %8s\n' "$step" "$result" "$vmrss" "$anon" "$file" "$shmem"
done <<<"$out"

result() { awk -F '|' -v s="$1" '$1 == s { print $2 }' <<<"$out"; }
expect "warm-up results" 2000 "$(result warm-up)"
for n in 25000 50000 75000 100000; do expect "right results ($n calls)" 25000 "$(result "$n calls")"; done
for n in $(seq 1000 1000 10000); do
  [ "$(result "$n traps")" = 1000 ] || { echo "FAIL: $n traps: $(result "$n traps") of 1000 trapped" >&2; exit 1; }
done
echo "ok: 10000 traps"

# The private memory (RssAnon + RssFile) of a step, and the least of it over
# several steps. Each step is measured after wasm.reset_session(), which
# drops the session's instances and has the engine free them at once: what
# remains is what the backend keeps. An end level is the least over the
# last five steps of a phase, where a leak would lift every one of them.
private() { awk -F '|' -v s="$1" '$1 == s { print $4 + $5 }' <<<"$out"; }
least() {
  local m="" v
  for s in "$@"; do
    v=$(private "$s")
    if [ -z "$m" ] || [ "$v" -lt "$m" ]; then m=$v; fi
  done
  echo "$m"
}
warm=$(private warm-up)
after_calls=$(least "6000 traps" "7000 traps" "8000 traps" "9000 traps" "10000 traps")
last_steps=()
for i in 16 17 18 19 20; do last_steps+=("$((PER_STEP * i)) replaces"); done
after_replaces=$(least "${last_steps[@]}")
calls_growth=$((after_calls - warm))
replaces_growth=$((after_replaces - after_calls))
printf 'private memory (kB): after warm-up %d; after 100000 calls and 10000 traps %d (%+d, at most +%d);' \
  "$warm" "$after_calls" "$calls_growth" $CALLS_LIMIT_KB
printf ' after %d replaces %d (%+d, at most +%d)\n' $TOTAL "$after_replaces" "$replaces_growth" $REPLACES_LIMIT_KB
[ "$calls_growth" -le $CALLS_LIMIT_KB ] \
  || { echo "FAIL: 100000 calls and 10000 traps grew the backend by $calls_growth kB" >&2; exit 1; }
echo "ok: calls and traps within $CALLS_LIMIT_KB kB"
[ "$replaces_growth" -le $REPLACES_LIMIT_KB ] \
  || { echo "FAIL: $TOTAL replaces grew the backend by $replaces_growth kB" >&2; exit 1; }
echo "ok: replaces within $REPLACES_LIMIT_KB kB"

check_server_log
sql -d postgres -c "DROP DATABASE $DB"
echo "leak: all ok"
