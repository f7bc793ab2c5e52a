# Shared by the integration scripts: cluster settings, psql, and checks.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "$1" && pwd)
export BUILD_DIR="$BUILD"
PGBIN=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
eval "$("$ROOT/scripts/cluster.sh" env)"
CLUSTER=$(readlink -f "$BUILD/cluster")
GUESTS="$CLUSTER/guests"
mkdir -p "$GUESTS"
cp "$BUILD"/guests/* "$GUESTS/"
chmod -R a+rX "$GUESTS"

sql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# expect <what> <expected> <actual>
expect() {
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: expected [$2], got [$3]" >&2
    exit 1
  fi
  echo "ok: $1"
}

# The server log from here on: check_server_log fails if a server process
# died (signal, PANIC). A stand-in for scripts/check-server-log.sh, which is
# not on main yet.
SERVER_LOG="$CLUSTER/server.log"
SERVER_LOG_START=$(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0)
check_server_log() {
  local died
  died=$(tail -c +"$((SERVER_LOG_START + 1))" "$SERVER_LOG" | grep -A1 -E 'terminated by signal|PANIC' || true)
  if [ -n "$died" ]; then
    echo "FAIL: a server process died (server log: $SERVER_LOG):" >&2
    echo "$died" >&2
    exit 1
  fi
  echo "ok: no server process died"
}
