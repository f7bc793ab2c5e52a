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

# Every script that sources this file fails if the server log shows a crashed
# server process while it ran, even when all its queries succeeded;
# check_server_log checks it on the spot.
SERVER_LOG="$CLUSTER/server.log"
SERVER_LOG_FROM=$("$ROOT/scripts/check-server-log.sh" --size "$SERVER_LOG")
check_server_log() {
  "$ROOT/scripts/check-server-log.sh" --from "$SERVER_LOG_FROM" "$SERVER_LOG" >/dev/null
  echo "ok: no server process died"
}
check_server_log_at_exit() {
  local rc=$?
  "$ROOT/scripts/check-server-log.sh" --from "$SERVER_LOG_FROM" "$SERVER_LOG" >/dev/null || rc=1
  exit $rc
}
trap check_server_log_at_exit EXIT
