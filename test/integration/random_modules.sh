#!/usr/bin/env bash
# Random valid modules through SQL: binaryen's translate-to-fuzz makes
# COUNT modules from random bytes (test/random/gen_modules.py); each is
# loaded, its exports become SQL functions (create_functions, and pg_wasm-ABI
# and BUFFERED_V1 declarations that make the random code's results pointers,
# lengths and MessagePack buffers), and every function is called CALLS times
# with random arguments. Refusals, traps and timeouts are fine; a crash, a
# hang, an internal error (XX000) or any SQLSTATE a guest should not cause
# fails the test.
#
#   test/integration/random_modules.sh <build dir>
#   SEED=n COUNT=n CALLS=n JOBS=n   (defaults: a fixed seed, 1000, 16, 2)
source "$(dirname "$0")/lib.sh"
SEED=${SEED:-20261126}
COUNT=${COUNT:-1000}
CALLS=${CALLS:-16}
JOBS=${JOBS:-2}
BATCH=50 # modules per psql session
DB=pg_wasm_random
# A crash makes the server forget commits not yet flushed: keep the counts.
export PGOPTIONS="-c synchronous_commit=on"
echo "random_modules: SEED=$SEED COUNT=$COUNT CALLS=$CALLS (SEED=$SEED reproduces this run)"
started=$SECONDS

# Modules go where the server can read them.
WORK="$CLUSTER/random_modules"
rm -rf "$WORK"
mkdir -p "$WORK/modules"
python3 "$ROOT/test/random/gen_modules.py" --seed "$SEED" --count "$COUNT" --out "$WORK/modules" \
  --jobs "$JOBS"
chmod -R a+rX "$WORK"
echo "random_modules: generated $COUNT modules in $((SECONDS - started)) s"

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "CREATE DATABASE $DB"
sql -d $DB -c "SET client_min_messages = warning" -c "CREATE EXTENSION wasm" \
  -f "$ROOT/test/random/harness.sql" >/dev/null

# One script per BATCH modules, each session with one of V8's compilers in
# turn (TurboFan, Liftoff, both). Each module gets its own random seed for
# the arguments, so a module's calls do not depend on the batch it is in.
tierings=(optimizing baseline dynamic)
batches=()
for ((first = 0; first < COUNT; first += BATCH)); do
  script="$WORK/batch_$first.sql"
  {
    echo "SET client_min_messages = warning;"
    echo "SET statement_timeout = '2s';"
    echo "SET wasm.tiering = ${tierings[$((first / BATCH % 3))]};"
    for ((i = first; i < first + BATCH && i < COUNT; i++)); do
      m=$(printf 'm%04d' "$i")
      echo "\\echo module $m"
      echo "SELECT setseed($(((SEED * 7919 + i) % 1000003)) / 1000003.0);"
      echo "SELECT fuzz.load('$m', '$WORK/modules/$m.wasm');"
      echo "SELECT fuzz.calls('$m', $CALLS) \\gexec"
      echo "SELECT fuzz.drop('$m');"
    done
  } >"$script"
  batches+=("$script")
done

# Runs one script; a psql that fails (a crash ends the session) or a batch
# that hangs names the module it was at.
run_batch() {
  local script=$1 out=${1%.sql}.out rc=0
  timeout 120 "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d $DB -f "$script" >"$out" 2>&1 || rc=$?
  [ $rc -eq 0 ] && return 0
  local module
  module=$(grep -o '^module m[0-9]*' "$out" | tail -1 | cut -d' ' -f2)
  {
    if [ $rc -eq 124 ]; then
      echo "FAIL: $(basename "$script") hung at module $module"
    elif grep -q 'crash of another server process' "$out"; then
      echo "FAIL: $(basename "$script") ended by another session's crash, at module $module"
    else
      echo "FAIL: $(basename "$script") ended (psql exit $rc) at module $module"
    fi
    echo "  module: $WORK/modules/$module.wasm (SEED=$SEED)"
    grep -v '^module m\|^$' "$out" | tail -6 | sed 's/^/  /'
  } >&2
  return 1
}

failed=0
pids=()
batches_started=$SECONDS
for ((b = 0; b < ${#batches[@]}; b += JOBS)); do
  for ((j = b; j < b + JOBS && j < ${#batches[@]}; j++)); do
    run_batch "${batches[$j]}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  pids=()
  # After a crash the postmaster restarts every session: wait for it.
  if [ $failed -ne 0 ]; then
    for _ in $(seq 30); do "$PGBIN/pg_isready" -q && break; sleep 1; done
  fi
done
echo "random_modules: ran ${#batches[@]} sessions of $BATCH modules in $((SECONDS - batches_started)) s"

echo "random_modules: modules by variant:"
cut -f2 "$WORK/modules/manifest.tsv" | sort | uniq -c | sed 's/^/  /'
echo "random_modules: outcomes (step, SQLSTATE, kind, count):"
sql -d $DB -F ' | ' -c "SELECT step, sqlstate, kind, n FROM fuzz.outcome
                       ORDER BY step DESC, sqlstate = 'ok' DESC, n DESC" | sed 's/^/  /'
count() { sql -d $DB -c "SELECT coalesce(sum(n), 0) FROM fuzz.outcome WHERE $1"; }
calls=$(count "step = 'call'")
loaded=$(count "step = 'load' AND sqlstate = 'ok'")
echo "random_modules: $loaded of $COUNT modules loaded;" \
  "$(count "step = 'create_functions'") functions from create_functions" \
  "and $(count "step = 'create' AND sqlstate = 'ok'") declared over random results;" \
  "$(count "step = 'functions called'") functions called $calls times"

unexpected=$(sql -d $DB -c "SELECT count(*) FROM fuzz.unexpected")
if [ "$unexpected" != 0 ]; then
  echo "FAIL: $unexpected unexpected outcomes (SQLSTATEs no guest should cause, invalid messages)," \
    "by kind, with an example:" >&2
  sql -d $DB -c "SELECT format(E'  %s x %s %s: %s\n    %s\n    %s', n, step, sqlstate, message, detail,
                                statement) FROM fuzz.unexpected_kinds" >&2
  failed=1
fi
# Most modules must load and run, or the test would prove nothing (counted
# over the modules tried: a crash loses its sessions' modules).
tried=$(count "step = 'load'")
expect "most modules load" 1 "$(((loaded * 10 > tried * 8) ? 1 : 0))"
expect "many calls" 1 "$(((calls > tried * 20) ? 1 : 0))"
[ $failed -eq 0 ] || exit 1
sql -d postgres -c "DROP DATABASE $DB"
echo "random_modules: all ok in $((SECONDS - started)) s"
