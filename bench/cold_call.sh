#!/usr/bin/env bash
# The first call in a new connection, without shared_preload_libraries, and
# what it leaves in the backend: a plain session, a PL/pgSQL function, a C
# function, and one Wasm export on the native engine and on V8.
#
#   bench/cold_call.sh [-n sessions] [build dir]
#
# Each session runs SELECT 1 (the backend's own first-query costs), then the
# call twice, timed by psql (client round trip included); then it reads its
# own /proc/<pid>/status and maps. Printed per row: the median and range of
# the first call over the sessions, the second call, the median time of a
# whole `psql -c 'SELECT <call>'` (connect, call, exit) less the plain one's,
# VmRSS after the calls and its excess over a plain backend, and whether the
# backend mapped libnode. Uses the installed extension and the throwaway
# cluster (scripts/cluster.sh; started and stopped here if it was not
# running), in a database of its own.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
samples=15
while getopts "n:" opt; do
  case $opt in
    n) samples=$OPTARG ;;
    *) echo "usage: $0 [-n sessions] [build dir]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
export BUILD_DIR=$(cd "${1:-${BUILD_DIR:-$ROOT/build}}" && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)

clib=$BUILD_DIR/bench/bench_functions.so
[ -f "$clib" ] || cmake --build "$BUILD_DIR" --target bench_functions >/dev/null

started=0
if ! "$ROOT/scripts/cluster.sh" status >/dev/null 2>&1; then
  "$ROOT/scripts/cluster.sh" start >/dev/null
  started=1
fi
cleanup() { [ $started -eq 0 ] || "$ROOT/scripts/cluster.sh" stop >/dev/null || true; }
trap cleanup EXIT
eval "$("$ROOT/scripts/cluster.sh" env)"
# The server (the postgres user) loads the C library: a copy it can read.
dir=$(readlink -f "$BUILD_DIR/cluster")/cold_call
mkdir -p "$dir"
cp "$clib" "$dir/"
chmod -R a+rX "$dir"

db=pg_wasm_cold_call
psql_() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
if [ -n "$(psql_ -c "SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries'
                      AND setting <> ''")" ]; then
  echo "cold_call: shared_preload_libraries is set; this measures without it" >&2
  exit 1
fi
PGOPTIONS="-c client_min_messages=warning" psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" \
  -c "CREATE DATABASE $db"
psql_ -d $db -v clib="$dir/bench_functions.so" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_wat('cold', '(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))') IS NOT NULL AS loaded \gset
CREATE FUNCTION wasm_add(int4, int4) RETURNS int4 LANGUAGE wasm AS 'cold::add';
CREATE FUNCTION plpgsql_add(a int4, b int4) RETURNS int4 LANGUAGE plpgsql STRICT AS $$
BEGIN
    RETURN a + b;
END $$;
CREATE FUNCTION c_add(int4, int4) RETURNS int4 AS :'clib', 'c_add' LANGUAGE C STRICT;
SQL
# The native engine builds the module once; sessions then load the artifact.
PGOPTIONS="-c wasm.engine=native" psql_ -d $db -c "SELECT wasm_add(1, 2)" >/dev/null

# label|call|PGOPTIONS
kinds=(
  "plain|1|"
  "PL/pgSQL|plpgsql_add(1, 2)|"
  "C function|c_add(1, 2)|"
  "pg_wasm native|wasm_add(1, 2)|-c wasm.engine=native"
  "pg_wasm V8|wasm_add(1, 2)|-c wasm.engine=v8"
)

now_ms() { date +%s.%N; }

# One session: "first second rss_kb libnode" (ms, ms, kB, 0/1).
session() {
  local call=$1 options=$2
  PGOPTIONS="$options" psql_ -d $db <<SQL | awk '
    /^Time: / { t[++n] = $2 }
    /^VmRSS:/ { rss = $2 }
    /^maps / { libnode = $2 }
    END { printf "%s %s %s %s\n", t[2], t[3], rss, libnode }'
\\timing on
SELECT 1;
SELECT $call;
SELECT $call;
\\timing off
SELECT pg_read_file('/proc/' || pg_backend_pid() || '/status');
SELECT 'maps ' || (pg_read_file('/proc/' || pg_backend_pid() || '/maps') ~ 'libnode')::int;
SQL
}

# A whole psql run, connect to exit, in ms.
whole() {
  local call=$1 options=$2 t0 t1
  t0=$(now_ms)
  PGOPTIONS="$options" psql_ -d $db -c "SELECT $call" >/dev/null
  t1=$(now_ms)
  echo "($t1 - $t0) * 1000" | bc -l
}

out=$(mktemp -d)
trap 'rm -rf "$out"; cleanup' EXIT
# Interleaved, after one untimed round.
for s in $(seq 0 "$samples"); do
  for i in "${!kinds[@]}"; do
    IFS='|' read -r label call options <<<"${kinds[$i]}"
    r=$(session "$call" "$options")
    w=$(whole "$call" "$options")
    [ "$s" -eq 0 ] && continue
    echo "$r" >>"$out/session.$i"
    echo "$w" >>"$out/whole.$i"
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }
column_of() { awk -v c="$2" '{ print $c }' "$1"; }

plain_rss=$(column_of "$out/session.0" 3 | median)
plain_whole=$(median <"$out/whole.0")
echo "First call in a new connection, no shared_preload_libraries: median of $samples sessions"
echo "(after 1 untimed), psql's client-side time; RSS = VmRSS after the calls."
echo
printf "| %-14s | %10s | %15s | %11s | %15s | %9s | %11s | %7s |\n" \
  "session" "first call" "range" "second call" "whole - plain" "VmRSS" "over plain" "libnode"
printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..12})" \
  "$(printf -- '-%.0s' {1..17})" "$(printf -- '-%.0s' {1..13})" "$(printf -- '-%.0s' {1..17})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..13})" "$(printf -- '-%.0s' {1..9})"
for i in "${!kinds[@]}"; do
  IFS='|' read -r label call options <<<"${kinds[$i]}"
  f=$out/session.$i
  first=$(column_of "$f" 1 | median)
  lo=$(column_of "$f" 1 | sort -g | head -1)
  hi=$(column_of "$f" 1 | sort -g | tail -1)
  second=$(column_of "$f" 2 | median)
  rss=$(column_of "$f" 3 | median)
  mapped=$(column_of "$f" 4 | sort -u | paste -sd/)
  w=$(median <"$out/whole.$i")
  printf "| %-14s | %7.2f ms | %5.2f–%6.2f ms | %8.2f ms | %12.2f ms | %6.1f MB | %+8.1f MB | %7s |\n" \
    "$label" "$first" "$lo" "$hi" "$second" "$(echo "$w - $plain_whole" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "($rss - $plain_rss) / 1024" | bc -l)" \
    "$([ "$mapped" = 1 ] && echo yes || { [ "$mapped" = 0 ] && echo no || echo "$mapped"; })"
done
