#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster under the build tree, on a Unix socket
# and a free port.
#
#   scripts/cluster.sh start|stop|status|psql [args]|env
#
# BUILD_DIR (default: build) chooses the build tree. As root the server runs
# as the `postgres` system user (initdb refuses root); when that user cannot
# reach the build tree, the cluster lives in /tmp and build/cluster links to
# it. `env` prints the PGHOST/PGPORT/PGUSER/PGDATABASE settings to eval.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "$ROOT" && mkdir -p "${BUILD_DIR:-build}" && cd "${BUILD_DIR:-build}" && pwd)
LINK="$BUILD_DIR/cluster"
PGBIN=${PGBIN:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)}

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_dir() {
  if [ -e "$LINK" ]; then readlink -f "$LINK"; return; fi
  local dir="$LINK"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$BUILD_DIR" 2>/dev/null; then
    dir=$(mktemp -d /tmp/pg_wasm-cluster.XXXXXX)
    ln -s "$dir" "$LINK"
  fi
  mkdir -p "$dir"
  readlink -f "$dir"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cmd_env() {
  local dir
  dir=$(cluster_dir)
  echo "export PGHOST=$dir/socket PGPORT=$(cat "$dir/port") PGUSER=postgres PGDATABASE=postgres"
}

# The server must not keep what its caller had open (a lock held around a
# test run, a pipe): it would hold it for as long as it runs.
close_inherited_fds() {
  local fd
  for fd in $(ls /proc/$$/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

cmd_start() {
  local dir
  dir=$(cluster_dir)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data" "$dir/socket"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    as_server_user "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
    free_port >"$dir/port"
    cat >>"$dir/data/postgresql.conf" <<CONF
# pg_wasm throwaway cluster
listen_addresses = ''
port = $(cat "$dir/port")
unix_socket_directories = '$dir/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 128MB
log_min_messages = warning
CONF
  fi
  if as_server_user "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "cluster: already running ($dir)"
    return
  fi
  close_inherited_fds
  as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -30 "$dir/server.log"; exit 1; }
  echo "cluster: running on socket $dir/socket, port $(cat "$dir/port")"
}

cmd_stop() {
  [ -e "$LINK" ] || { echo "cluster: none"; return; }
  local dir
  dir=$(cluster_dir)
  if as_server_user "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    echo "cluster: stopped"
  fi
}

cmd_status() {
  [ -e "$LINK" ] || { echo "cluster: none"; return 1; }
  as_server_user "$PGBIN/pg_ctl" -D "$(cluster_dir)/data" status
}

cmd_destroy() {
  cmd_stop
  [ -e "$LINK" ] || return 0
  local dir
  dir=$(cluster_dir)
  rm -rf "$dir"
  rm -f "$LINK"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  destroy) cmd_destroy ;;
  env) cmd_env ;;
  psql)
    shift
    eval "$(cmd_env)"
    exec "$PGBIN/psql" "$@"
    ;;
  *) echo "usage: $0 start|stop|status|destroy|env|psql [args]" >&2; exit 2 ;;
esac
