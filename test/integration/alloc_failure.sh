#!/usr/bin/env bash
# Memory the system will not give on a guest's behalf is an ERROR (53200,
# naming the module), never a crash, on both engines (docs/safety.md). A
# plain role's session has its backend's address space limited (RLIMIT_AS,
# as ulimit -v or a container would) to what it uses plus HEADROOM_MB, and
# then asks for more than that: six modules whose memories start at 512 MB,
# three whose ten tables start at a million entries each, ten tables grown
# by a million entries, a memory grown a page at a time; then, with 16 MB
# left, a module compiled. After each failure the same session runs a query
# and a Wasm call. The modules are compiled (on the native engine: built)
# before the limit: what is tested is the engines' allocations, not the
# compiler's. Last, a session limited before its first Wasm call, where V8
# has no room to start.
#
# The engine is PGOPTIONS' wasm.engine (v8 or native). Run as root (the
# limit is set as the server's user) or as the server's user.
#
#   test/integration/alloc_failure.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_alloc_failure
ROLE=wasm_alloc_user
HEADROOM_MB=300
MEMORY_MODULES=6
TABLE_MODULES=3

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "DROP ROLE IF EXISTS $ROLE" -c "CREATE DATABASE $DB" -c "CREATE ROLE $ROLE LOGIN" \
  -c "ALTER ROLE $ROLE SET wasm.max_memory = '1GB'" -c "ALTER ROLE $ROLE SET wasm.max_heap = '4GB'"
# The role's budgets allow all of it: wasm.max_memory a memory of 1 GB,
# wasm.max_heap tables of 128 million entries. Only the system refuses.

# Ten funcref tables of $1 to $2 entries (code distinct by $3), and an
# export growing each by `n` entries that returns how many of the ten grows
# failed (-1).
tables_module() {
  local tables="" grows=""
  for t in $(seq 0 9); do
    tables+=" (table \$t$t $1 $2 funcref)"
    grows+=" (local.set \$failed (i32.add (local.get \$failed)
               (i32.eq (table.grow \$t$t (ref.null func) (local.get 0)) (i32.const -1))))"
  done
  cat <<WAT
(module $tables
  (func (export "grow") (param i32) (result i32) (local \$failed i32) $grows (local.get \$failed))
  (func (export "size") (result i32) (table.size \$t9) (i32.const $3) (drop)))
WAT
}
{
  echo "SET client_min_messages = warning;"
  echo "CREATE EXTENSION wasm;"
  echo "SELECT wasm.load_module_wat('small', \$\$(module (memory 1)
          (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))\$\$);"
  echo "CREATE FUNCTION add(int4, int4) RETURNS int4 LANGUAGE wasm AS 'small::add';"
  for m in $(seq $MEMORY_MODULES); do
    # 512 MB, the most wasm.max_memory allows from the start; distinct code.
    echo "SELECT wasm.load_module_wat('memory$m', \$\$(module (memory 8192)
            (func (export \"pages\") (result i32) memory.size i32.const $m drop))\$\$);"
    echo "CREATE FUNCTION memory${m}_pages() RETURNS int4 LANGUAGE wasm AS 'memory$m::pages';"
  done
  for m in $(seq $TABLE_MODULES); do
    echo "SELECT wasm.load_module_wat('tables$m', \$\$$(tables_module 1000000 1000000 $m)\$\$);"
    echo "CREATE FUNCTION tables${m}_size() RETURNS int4 LANGUAGE wasm AS 'tables$m::size';"
  done
  echo "SELECT wasm.load_module_wat('growing', \$\$$(tables_module 0 1000000 0)\$\$);"
  echo "CREATE FUNCTION grow_tables(int4) RETURNS int4 LANGUAGE wasm AS 'growing::grow';"
  # memory.grow by a page until it returns -1: the pages reached.
  echo "SELECT wasm.load_module_wat('growmem', \$\$(module (memory 1)
          (func (export \"grow\") (result i32)
            (block \$done (loop \$more
              (br_if \$done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
              (br \$more)))
            memory.size)
          (func (export \"pages\") (result i32) memory.size))\$\$);"
  echo "CREATE FUNCTION grow_memory() RETURNS int4 LANGUAGE wasm AS 'growmem::grow';"
  echo "CREATE FUNCTION memory_pages() RETURNS int4 LANGUAGE wasm AS 'growmem::pages';"
  echo "SELECT wasm.load_module_wat('fresh', '(module (func (export \"f\") (result i32) i32.const 7))');"
  echo "CREATE FUNCTION fresh() RETURNS int4 LANGUAGE wasm AS 'fresh::f';"
} | sql -d $DB >/dev/null
# Built (on the native engine) by another session: the limited one compiles
# it, the compiler has nothing to do.
sql -d $DB -c "SELECT wasm.module_engine('fresh')" >/dev/null

# A session of the role: psql as a coprocess, one statement at a time
# (ask); its backend's pid.
MARK="-- done --"
open_session() {
  coproc PSQL { "$PGBIN/psql" -X -q -At -d $DB -U $ROLE 2>&1; }
  exec {TO}>&"${PSQL[1]}" {FROM}<&"${PSQL[0]}"
  ask '\set VERBOSITY verbose' >/dev/null
  pid=$(ask 'SELECT pg_backend_pid();')
}
close_session() {
  echo '\q' >&$TO
  exec {TO}>&- {FROM}<&-
  wait "$PSQL_PID" 2>/dev/null || true
}
# ask <statement>: its output, errors included; fails if the session died.
ask() {
  printf '%s\n\\echo %s\n' "$1" "$MARK" >&$TO
  local line
  while IFS= read -r line <&$FROM; do
    [ "$line" = "$MARK" ] && return 0
    echo "$line"
  done
  echo "FAIL: the session ended during: $1" >&2
  return 1
}
# limit_session <MB>: the backend's address space limited to what it uses
# and at most that much more (a limit is only lowered). prlimit runs as the
# server's user: root here may lack CAP_SYS_RESOURCE.
limit_session() {
  local owner used_kb limit now
  owner=$(stat -c %U /proc/$pid)
  as_owner() { if [ "$(id -un)" = "$owner" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
  used_kb=$(awk '/^VmSize:/ {print $2}' /proc/$pid/status)
  limit=$(((used_kb + $1 * 1024) * 1024))
  now=$(as_owner prlimit --pid "$pid" --as --raw --noheadings -o SOFT)
  [ "$now" = unlimited ] || [ "$now" -gt "$limit" ] || limit=$now
  as_owner prlimit --pid "$pid" --as="$limit"
  expect "the backend's address space limited" "$limit" \
    "$(as_owner prlimit --pid "$pid" --as --raw --noheadings -o SOFT)"
  echo "limit: $((used_kb >> 10)) MB in use, $(((limit >> 20) - (used_kb >> 10))) MB left"
}
# The first error's SQLSTATE and message, or the output.
outcome() { grep -m1 '^ERROR:' <<<"$1" || echo "$1"; }
# expect_oom <what> <module> <output>: an ERROR 53200 naming the module.
expect_oom() {
  local got
  got=$(outcome "$3")
  if ! grep -q "^ERROR:  53200: .*module \"$2\"" <<<"$got"; then
    echo "FAIL: $1: expected ERROR 53200 naming module \"$2\", got [$got]" >&2
    exit 1
  fi
  echo "ok: $1: $got"
}
# The session still works: a query, and a call into an instance made before.
still_works() {
  echo "   (the backend's address space: $(($(awk '/^VmSize:/ {print $2}' /proc/$pid/status) >> 10)) MB)"
  expect "$1, then a query" 1 "$(ask 'SELECT count(*) FROM pg_database WHERE datname = current_database();')"
  expect "$1, then a Wasm call" 5 "$(ask 'SELECT add(2, 3);')"
}

open_session
expect "a plain role" "f" "$(ask 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user;')"
ENGINE=$(ask "SELECT current_setting('wasm.engine');")
case "$ENGINE" in
  v8 | native) echo "engine: $ENGINE" ;;
  *) echo "FAIL: set wasm.engine to v8 or native in PGOPTIONS (it is $ENGINE)" >&2; exit 1 ;;
esac
# Before the limit: every module compiled (built), the engine started, and
# the instances whose growth is tested made.
for m in small growing growmem $(seq -f 'memory%g' $MEMORY_MODULES) $(seq -f 'tables%g' $TABLE_MODULES); do
  expect "$m compiled for $ENGINE" "$ENGINE" "$(ask "SELECT wasm.module_engine('$m');")"
done
expect "a call before the limit" 3 "$(ask 'SELECT add(1, 2);')"
expect "growing's tables before the limit" 0 "$(ask 'SELECT grow_tables(0);')"
expect "growmem's memory before the limit" 1 "$(ask 'SELECT memory_pages();')"
limit_session $HEADROOM_MB

# Memories of 512 MB: V8 reserves 10 GB of address space for each, the
# native engine allocates it; neither gets it.
for m in $(seq $MEMORY_MODULES); do
  expect_oom "a memory of 512 MB ($m of $MEMORY_MODULES)" "memory$m" "$(ask "SELECT memory${m}_pages();")"
done
still_works "after the memories"

# Ten tables of a million funcrefs each: 240 MB on the native engine, which
# gives the first module its tables (HEADROOM_MB allows one) and not the
# others; V8 checks that its tables can have twice what it was measured to
# take, and that fails at once.
for m in $(seq $TABLE_MODULES); do
  out=$(ask "SELECT tables${m}_size();")
  if [ "$ENGINE" = native ] && [ "$m" = 1 ]; then
    expect "the native engine's first tables fit" 1000000 "$out"
  else
    expect_oom "ten tables of a million entries ($m of $TABLE_MODULES)" "tables$m" "$out"
  fi
done
still_works "after the tables"

# Ten tables made before the limit, each grown by a million entries. On the
# native engine table.grow returns -1 when the system refuses (the spec
# allows it to fail); on V8, which would abort the process, the call is
# refused first: it checks room for its tables to grow to their maximum.
out=$(ask 'SELECT grow_tables(1000000);')
if [ "$ENGINE" = native ]; then
  failed=$(outcome "$out")
  if ! [ "$failed" -ge 1 ] 2>/dev/null; then
    echo "FAIL: growing ten tables: expected at least one table.grow to return -1, got [$failed]" >&2
    exit 1
  fi
  echo "ok: growing ten tables by a million entries: $failed of 10 returned -1"
else
  expect_oom "growing ten tables by a million entries" growing "$out"
fi
still_works "after growing tables"

# A memory grown a page at a time up to wasm.max_memory (16,384 pages). The
# native engine reallocates it: the system stops it first, and memory.grow
# returns -1. V8 reserved its address space when it made the memory (10 GB):
# under an address-space limit only wasm.max_memory stops it.
pages=$(outcome "$(ask 'SELECT grow_memory();')")
if ! [ "$pages" -ge 1 ] 2>/dev/null; then
  echo "FAIL: growing a memory: expected the pages reached, got [$pages]" >&2
  exit 1
fi
if [ "$ENGINE" = native ]; then
  [ "$pages" -lt 16384 ] || { echo "FAIL: the native engine's memory grew to $pages pages under the limit" >&2; exit 1; }
else
  expect "V8's memory grows to wasm.max_memory" 16384 "$pages"
fi
echo "ok: memory.grow returned -1 at $pages pages"
still_works "after growing a memory"

# 16 MB left at most, and a module compiled: V8 checks room for its code
# first; the native engine rewrites the module on a thread whose stack
# (64 MB) the system refuses. What the shared cache keeps of the module
# (docs/engines.md, "Shared caches") would spare it that work: it is
# removed first.
DATA=$(sql -d $DB -c "SHOW data_directory")
DBOID=$(sql -d $DB -c "SELECT oid FROM pg_database WHERE datname = current_database()")
FRESH_SHA=$(sql -d $DB -c "SELECT sha256 FROM wasm.modules WHERE name = 'fresh'")
remove_entries() { rm -f "$DATA/pg_wasm_native/$DBOID/${FRESH_SHA:0:24}"/*.entry; }
remove_entries
limit_session 16
expect_oom "a module compiled with 16 MB left" fresh "$(ask 'SELECT fresh();')"
still_works "after compiling"
close_session
if [ "$ENGINE" = native ]; then
  # Kept by an unlimited session, the module's facts and build key let a
  # session with 16 MB left find its build without that work.
  sql -d $DB -c "SELECT fresh()" >/dev/null
  open_session
  limit_session 16
  expect "with the shared cache, the same compile with 16 MB left" 7 "$(ask 'SELECT fresh();')"
  close_session
fi

# A session limited before its first Wasm call: V8 (the first thing it would
# map is a 128 MB code range) has no room to start; the native engine needs
# none of that.
open_session
limit_session 200
out=$(ask 'SELECT add(1, 2);')
if [ "$ENGINE" = native ]; then
  expect "the native engine in a limited session" 3 "$out"
else
  expect_oom "V8 started with 200 MB left" small "$out"
  expect_oom "V8 started again" small "$(ask 'SELECT add(1, 2);')"
fi
expect "then a query" 1 "$(ask 'SELECT count(*) FROM pg_database WHERE datname = current_database();')"
close_session
check_server_log
