#!/usr/bin/env bash
# Modules replicate: a hot standby made from the test cluster with
# pg_basebackup -R runs the functions of a module loaded on the primary; after
# the module is replaced on the primary, a standby session that has already
# called it runs the new code at its next call, without reconnecting; loading
# a module on the standby is refused as a write in a read-only transaction
# (25006). The standby is stopped and removed at the end, pass or fail.
#   test/integration/replica.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_replica
STANDBY="$CLUSTER/standby"

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The standby's own settings: another port and socket directory.
SB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SB_SOCKET="$STANDBY/socket"
primary() { sql -d $DB "$@"; }
standby() { sql -h "$SB_SOCKET" -p "$SB_PORT" -d $DB "$@"; }

cleanup() {
  [ -n "${SB_SESSION_PID:-}" ] && kill "$SB_SESSION_PID" 2>/dev/null
  if [ -f "$STANDBY/data/postmaster.pid" ]; then
    as_server_user "$PGBIN/pg_ctl" -D "$STANDBY/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STANDBY"
}
trap cleanup EXIT

# Streaming needs WAL for replicas and a WAL sender (PostgreSQL's defaults).
expect "primary's wal_level" replica "$(sql -d postgres -c 'SHOW wal_level')"
[ "$(sql -d postgres -c 'SHOW max_wal_senders')" -gt 0 ] || { echo "FAIL: max_wal_senders is 0" >&2; exit 1; }

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB"

# The standby: a base backup of the test cluster, following it (-R), with the
# WAL needed to start streamed along (-X stream) and an immediate checkpoint.
rm -rf "$STANDBY"
mkdir -p "$STANDBY/data" "$SB_SOCKET"
chmod 700 "$STANDBY/data"
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$STANDBY"
as_server_user "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$STANDBY/data" \
  -R -X stream -c fast --no-sync
cat >>"$STANDBY/data/postgresql.conf" <<CONF
# pg_wasm replica test: the standby
port = $SB_PORT
unix_socket_directories = '$SB_SOCKET'
hot_standby = on
CONF
as_server_user "$PGBIN/pg_ctl" -D "$STANDBY/data" -l "$STANDBY/server.log" -w -t 60 start >/dev/null \
  || { tail -30 "$STANDBY/server.log"; exit 1; }
expect "standby is in recovery" t "$(standby -d postgres -c 'SELECT pg_is_in_recovery()')"

# wait_for_replay: until the standby has replayed all the primary has
# logged so far (30 s at most). The insert position, not pg_current_wal_lsn()
# (written so far): the test cluster commits asynchronously
# (synchronous_commit = off), so a commit may not be written yet.
wait_for_replay() {
  local lsn
  lsn=$(sql -d postgres -c "SELECT pg_current_wal_insert_lsn()")
  for _ in $(seq 1 300); do
    [ "$(standby -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && return 0
    sleep 0.1
  done
  echo "FAIL: the standby did not replay up to $lsn within 30 s" >&2
  exit 1
}

# Everything is made on the primary after the standby started, so it all
# reaches the standby by streaming.
sql -d postgres -c "CREATE DATABASE $DB"
primary >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('versioned', '$GUESTS/versioned.wasm');
CREATE FUNCTION versioned_version() RETURNS int4 LANGUAGE wasm AS 'versioned::version';
CREATE FUNCTION versioned_bump(int4) RETURNS int4 LANGUAGE wasm AS 'versioned::bump';
CREATE FUNCTION versioned_tag(text) RETURNS text LANGUAGE wasm STRICT AS 'versioned::tag';
CREATE FUNCTION versioned_pieces(text) RETURNS TABLE (piece text, version int4)
    LANGUAGE wasm STRICT AS 'versioned::pieces';
SQL
wait_for_replay
expect "module on the standby" "$(primary -c "SELECT sha256 FROM wasm.modules WHERE name = 'versioned'")" \
  "$(standby -c "SELECT sha256 FROM wasm.modules WHERE name = 'versioned'")"
expect "numbers on the standby" "1|11" "$(standby -c 'SELECT versioned_version(), versioned_bump(10)')"
expect "text on the standby" "v1:cba" "$(standby -c "SELECT versioned_tag('abc')")"
expect "a set on the standby" "a:1,b:1" \
  "$(standby -c "SELECT string_agg(piece || ':' || version, ',') FROM versioned_pieces('a b')")"

# A standby session that stays open: a psql coprocess, one statement at a
# time (a statement without its semicolon), each answer read up to a marker
# line (30 s at most per line).
coproc SB_SESSION { "$PGBIN/psql" -X -q -At -h "$SB_SOCKET" -p "$SB_PORT" -d $DB 2>&1; }
in_session() {
  local line out=""
  printf '%s;\n\\echo __done__\n' "$1" >&"${SB_SESSION[1]}"
  while IFS= read -r -t 30 line <&"${SB_SESSION[0]}"; do
    if [ "$line" = __done__ ]; then
      SESSION_OUT=$out
      return 0
    fi
    out+="${out:+ }$line"
  done
  echo "FAIL: the standby session did not answer [$1] within 30 s (so far: $out)" >&2
  exit 1
}
in_session "SELECT pg_backend_pid()"
session_pid=$SESSION_OUT
in_session "SELECT versioned_version(), versioned_bump(10)"
expect "standby session, before the replace" "1|11" "$SESSION_OUT"

# Replace the module on the primary: the standby session runs the new code
# at its next call, in the same backend.
primary -c "SELECT wasm.load_module_file('versioned', '$GUESTS/versioned_v2.wasm', replace => true)" >/dev/null
wait_for_replay
in_session "SELECT versioned_version(), versioned_bump(10)"
expect "standby session, after the replace" "2|12" "$SESSION_OUT"
in_session "SELECT versioned_tag('abc')"
expect "standby session, text after the replace" "v2:cba" "$SESSION_OUT"
in_session "SELECT pg_backend_pid()"
expect "the same standby session" "$session_pid" "$SESSION_OUT"
expect "a new standby session" "2|v2:cba" "$(standby -c "SELECT versioned_version(), versioned_tag('abc')")"

# Loading, replacing or dropping a module on the standby: a write in a
# read-only transaction.
sqlstate_of() {
  standby -c "DO \$\$ BEGIN PERFORM $1; RAISE NOTICE 'no error';
              EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%: %', SQLSTATE, SQLERRM; END \$\$" 2>&1 \
    | sed -n 's/^NOTICE:  //p'
}
for call in "wasm.load_module('other', pg_read_binary_file('$GUESTS/versioned.wasm'))" \
            "wasm.load_module_wat('other', '(module)')" \
            "wasm.load_module('versioned', pg_read_binary_file('$GUESTS/versioned.wasm'), replace => true)" \
            "wasm.drop_module('versioned', cascade => true)"; do
  got=$(sqlstate_of "$call")
  echo "standby: ${call%%(*}: $got"
  expect "${call%%(*} on the standby" 25006 "${got%%:*}"
done
in_session "SELECT versioned_version(), versioned_bump(10)"
expect "standby session, after the refused loads" "2|12" "$SESSION_OUT"

# The standby builds natively for itself (wasm.engine = auto): a background
# worker of the standby's, reading the replicated catalog, for code loaded
# after the base backup.
expect "standby builds its own" "native|2|12" "$(standby -c "SET wasm.engine = auto" \
  -c "DO \$\$ BEGIN FOR i IN 1..1200 LOOP EXIT WHEN wasm.module_engine('versioned') = 'native';
                  PERFORM pg_sleep(0.1); END LOOP; END \$\$" \
  -c "SELECT wasm.module_engine('versioned'), versioned_version(), versioned_bump(10)")"

check_server_log
died=$(grep -A1 -E 'terminated by signal|PANIC' "$STANDBY/server.log" || true)
[ -z "$died" ] || { echo "FAIL: a standby process died: $died" >&2; exit 1; }
echo "ok: no standby process died"

cleanup
trap - EXIT
sql -d postgres -c "DROP DATABASE $DB"
echo "replica: all ok"
