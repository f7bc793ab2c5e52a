#!/usr/bin/env bash
# Hostile guests through SQL: test/guests/hostile.c returns, by seed, random
# pointers and lengths, random and tricky MessagePack, random ClickHouse
# buffer handles and buffers, and its pg_wasm_alloc, pg_wasm_free and
# clickhouse_create_buffer answer at random. Its exports are declared with
# every result type (test/random/hostile.sql) and called SEEDS times each,
# in a UTF-8 and a LATIN1 database. Errors are fine; a crash, a hang (a call
# over 5 s: the guest never loops), an internal error (XX000), an unexpected
# SQLSTATE or an error message that is not valid text fails the test.
#
#   test/integration/hostile_guests.sh <build dir>
#   SEED=n SEEDS=n   (defaults: a fixed first seed, 300 seeds per function)
source "$(dirname "$0")/lib.sh"
SEED=${SEED:-1}
SEEDS=${SEEDS:-300}
# A crash makes the server forget commits not yet flushed: keep the counts.
export PGOPTIONS="-c synchronous_commit=on"
echo "hostile_guests: seeds $SEED to $((SEED + SEEDS - 1)) (SEED=$SEED SEEDS=$SEEDS reproduces this run)"
started=$SECONDS
failed=0

# run_db <database> <encoding> <seeds>
run_db() {
  local db=$1 encoding=$2 seeds=$3 out="$CLUSTER/hostile_$1.out" rc=0
  sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db TEMPLATE template0 ENCODING '$encoding' LC_COLLATE 'C' LC_CTYPE 'C'"
  sql -d "$db" -v guests="$GUESTS" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
\i $ROOT/test/random/harness.sql
\i $ROOT/test/random/hostile.sql
SQL
  # Each call is a statement of its own; the allocator runs take three.
  timeout 600 "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$out" 2>&1 <<SQL || rc=$?
SET client_min_messages = warning;
SET statement_timeout = '5s';
SELECT format('SELECT fuzz.hostile_call(%s, %s)', f::oid, s)
FROM fuzz.hostile_fn, generate_series($SEED, $SEED + $seeds - 1) s ORDER BY s, f \gexec
SET statement_timeout = '15s';
SELECT format('SELECT fuzz.hostile_alloc(%s)', s)
FROM generate_series($SEED, $SEED + $seeds - 1) s \gexec
SQL
  if [ $rc -ne 0 ]; then
    echo "FAIL: $db: psql ended with exit $rc$([ $rc -eq 124 ] && echo ' (hung)'):" >&2
    tail -8 "$out" | sed 's/^/  /' >&2
    # After a crash the postmaster restarts every session: wait for it.
    for _ in $(seq 30); do "$PGBIN/pg_isready" -q && break; sleep 1; done
    failed=1
    return
  fi

  echo "hostile_guests: $db ($encoding): declarations refused:"
  sql -d "$db" -F ' | ' -c "SELECT sqlstate, kind, n FROM fuzz.outcome
                            WHERE step = 'declare' AND sqlstate <> 'ok'" | sed 's/^/  /'
  echo "hostile_guests: $db ($encoding): outcomes of calls (SQLSTATE, kind, count):"
  sql -d "$db" -F ' | ' -c "SELECT sqlstate, kind, n FROM fuzz.outcome WHERE step = 'hostile'
                            ORDER BY sqlstate = 'ok' DESC, n DESC" | sed 's/^/  /'
  local declared calls ok unexpected
  declared=$(sql -d "$db" -c "SELECT count(*) FROM fuzz.hostile_fn")
  calls=$(sql -d "$db" -c "SELECT coalesce(sum(n), 0) FROM fuzz.outcome WHERE step = 'hostile'")
  ok=$(sql -d "$db" -c "SELECT coalesce(sum(n), 0) FROM fuzz.outcome WHERE step = 'hostile' AND sqlstate = 'ok'")
  echo "hostile_guests: $db: $declared functions, $calls calls, $ok returned a value"
  # The declarations must mostly work and some calls succeed, or the test
  # would prove nothing.
  expect "$db: functions declared" 1 "$(((declared >= 60) ? 1 : 0))"
  expect "$db: calls returning a value" 1 "$(((ok * 20 > calls) ? 1 : 0))"
  unexpected=$(sql -d "$db" -c "SELECT count(*) FROM fuzz.unexpected")
  if [ "$unexpected" != 0 ]; then
    echo "FAIL: $db: $unexpected unexpected outcomes, by kind, with an example:" >&2
    sql -d "$db" -c "SELECT format(E'  %s x %s %s: %s\n    %s\n    %s', n, step, sqlstate, message,
                                   detail, statement) FROM fuzz.unexpected_kinds" >&2
    failed=1
    return
  fi
  sql -d postgres -c "DROP DATABASE $db"
}

run_db pg_wasm_hostile UTF8 "$SEEDS"
run_db pg_wasm_hostile_latin1 LATIN1 "$((SEEDS / 3))"
[ $failed -eq 0 ] || exit 1
echo "hostile_guests: all ok in $((SECONDS - started)) s"
