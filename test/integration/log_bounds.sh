#!/usr/bin/env bash
# What one Wasm call sends to the server log and the client is bounded
# (docs/safety.md, "Every long operation can be stopped"): at most 64 kB a
# call (kMaxLogPerCall), its messages, output lines, the first entry's
# context and statement, and 64 bytes an entry counted, and one line more at
# the end saying what was not sent. Here one call prints 65,536 empty lines
# (an fd_write each), and one calls pg_wasm.log 100,000 times, under a 10 kB
# statement and under a 200 kB one: the server log grows by less than
# BOUND each time (it once grew by 673 MB), the statement is logged at most
# once, and what reached the log plus what the last line counts is exactly
# what the guest sent. NOTICEs to the client are bounded the same way.
#
#   test/integration/log_bounds.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_log_bounds
# The call's 64 kB, the line saying what was not sent (a few hundred bytes),
# and room for the server's own lines (a checkpoint) meanwhile.
BOUND=$((72 * 1024))

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_wat('flood', $$(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "pg_wasm" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\n")
  (data (i32.const 32) "tick")
  ;; n newlines, one fd_write each; the bytes fd_write said it wrote
  (func (export "newlines") (param $n i32) (result i32)
    (local $i i32) (local $written i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $written (i32.add (local.get $written) (i32.load (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $written))
  ;; n times pg_wasm.log(level, "tick"); n
  (func (export "ticks") (param $n i32) (param $level i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $log (local.get $level) (i32.const 32) (i32.const 4))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n)))$$);
CREATE FUNCTION newlines(int4) RETURNS int4 LANGUAGE wasm AS 'flood::newlines';
CREATE FUNCTION ticks(n int4, level int4) RETURNS int4 LANGUAGE wasm AS 'flood::ticks';
SQL

echo "engine: $(sql -d $DB -c "SELECT wasm.module_engine('flood')")"

size() { stat -c %s "$SERVER_LOG"; }
# A statement: the call, then a literal of `pad` bytes (sent on psql's
# standard input: too long for an argument).
statement() { echo "SELECT $1 AS result, length('$(head -c "$2" /dev/zero | tr '\0' x)') AS padding"; }
# What was not sent, from the last line of the call: "<n> bytes of output"
# or "<n> messages" (0 if none).
not_sent() { grep -o "not sent: .*" <<<"$1" | grep -o "[0-9]* $2" | cut -d' ' -f1 || echo 0; }

for pad in 10000 200000; do
  # 65,536 empty lines: entries of many lines each, the first with the
  # context and (if it fits) the statement.
  from=$(size)
  got=$(statement 'newlines(65536)' $pad | sql -d $DB | cut -d'|' -f1)
  grown=$(($(size) - from))
  log=$(tail -c +$((from + 1)) "$SERVER_LOG")
  expect "newlines, statement of $pad bytes: fd_write wrote all" 65536 "$got"
  [ "$grown" -lt "$BOUND" ] || { echo "FAIL: the log grew by $grown bytes, more than $BOUND" >&2; exit 1; }
  echo "ok: newlines, statement of $pad bytes: the log grew by $grown bytes (< $BOUND)"
  entries=$(grep -c 'LOG:  wasm module "flood" stdout: $' <<<"$log" || true)
  more_lines=$(grep -c $'^\t$' <<<"$log" || true)
  dropped=$(not_sent "$log" "bytes of output")
  [ "$entries" -ge 1 ] && [ "$entries" -lt 16 ] && [ "$dropped" -gt 0 ] \
    || { echo "FAIL: $entries entries, $dropped bytes not sent" >&2; exit 1; }
  expect "newlines: lines logged ($entries entries) and bytes not sent add up" 65536 \
    $((entries + more_lines + dropped))
  statements=$(grep -c 'STATEMENT:  SELECT newlines' <<<"$log" || true)
  expect "newlines: the statement logged at most once" $((pad < 20000 ? 1 : 0)) "$statements"
  expect "newlines: the context logged once" 1 "$(grep -c 'CONTEXT:  wasm function newlines' <<<"$log" || true)"

  # 100,000 messages at LOG, each an entry of its own.
  from=$(size)
  statement 'ticks(100000, 1)' $pad | sql -d $DB >/dev/null
  grown=$(($(size) - from))
  log=$(tail -c +$((from + 1)) "$SERVER_LOG")
  [ "$grown" -lt "$BOUND" ] || { echo "FAIL: the log grew by $grown bytes, more than $BOUND" >&2; exit 1; }
  echo "ok: pg_wasm.log, statement of $pad bytes: the log grew by $grown bytes (< $BOUND)"
  logged=$(grep -c 'LOG:  tick$' <<<"$log" || true)
  dropped=$(not_sent "$log" messages)
  [ "$logged" -ge 1 ] && [ "$dropped" -gt 0 ] \
    || { echo "FAIL: $logged messages logged, $dropped not sent" >&2; exit 1; }
  expect "pg_wasm.log: messages logged ($logged) and not sent add up" 100000 $((logged + dropped))
  statements=$(grep -c 'STATEMENT:  SELECT ticks' <<<"$log" || true)
  expect "pg_wasm.log: the statement logged at most once" $((pad < 20000 ? 1 : 0)) "$statements"
done

# 100,000 NOTICEs: the client gets a bounded number of them, and a last
# NOTICE saying how many more there were.
out=$(sql -d $DB -c "SELECT ticks(100000, 3)" 2>&1 >/dev/null)
notices=$(grep -c '^psql:.*NOTICE:  tick$\|^NOTICE:  tick$' <<<"$out" || true)
dropped=$(not_sent "$out" messages)
[ "$notices" -ge 1 ] && [ "$dropped" -gt 0 ] && [ "${#out}" -lt "$BOUND" ] \
  || { echo "FAIL: ${#out} bytes to the client, $notices notices, $dropped not sent" >&2; exit 1; }
expect "NOTICEs to the client ($notices, ${#out} bytes) and not sent add up" 100000 $((notices + dropped))

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE $DB"
check_server_log
