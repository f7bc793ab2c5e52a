#!/usr/bin/env bash
# Soak test: pgbench clients call numeric, text, set-returning and trapping
# Wasm functions for a while, and check every result, while another session
# replaces the module under them with its other version every second.
# Reports tps, errors by kind and the RSS of each backend at the start and the
# end; fails on any error but the trapping function's trap, on a wrong result
# (one neither version gives), on a lost connection or a crashed backend.
#
#   bench/soak.sh [-c clients] [-T seconds] [-i ms] [-e engine]
#
# Defaults: 8 clients x 60 s, a replace every 1000 ms, the database's
# wasm.engine (auto); CI runs -c 2 -T 15, and -c 4 -T 15 -i 200 -e native
# (sessions building natively what is replaced under them).
#
# Uses the extension installed from $BUILD_DIR (default build; scripts/build.sh
# builds and installs it) and that tree's throwaway cluster, started and
# stopped again if it is not running; the database pg_wasm_soak is made
# afresh. bench/soak/setup.sql has the functions and the checks, bench/soak/*.sql
# the pgbench scripts. SOAK_KEEP=1 keeps the run's files (pgbench output,
# RSS samples) in /tmp/pg_wasm-soak.*.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PGBIN=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
DB=pg_wasm_soak

clients=8
seconds=60
every_ms=1000
engine=
while getopts "c:T:i:e:h" opt; do
  case "$opt" in
    c) clients=$OPTARG ;;
    T) seconds=$OPTARG ;;
    i) every_ms=$OPTARG ;;
    e) engine=$OPTARG ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ "$clients" =~ ^[1-9][0-9]*$ && "$seconds" =~ ^[1-9][0-9]*$ && $seconds -ge 4 ]] \
  || { echo "soak: -c needs a positive number, -T at least 4 (seconds)" >&2; exit 2; }
[[ "$every_ms" =~ ^[1-9][0-9]*$ ]] || { echo "soak: -i needs a positive number (ms)" >&2; exit 2; }
[[ -z "$engine" || "$engine" =~ ^(auto|v8|native)$ ]] \
  || { echo "soak: -e takes auto, v8 or native" >&2; exit 2; }
# The clients' and the replacer's engine.
engine_option=${engine:+-c wasm.engine=$engine}

for f in versioned versioned_v2 collatz text split; do
  [ -f "$BUILD_DIR/guests/$f.wasm" ] \
    || { echo "soak: $BUILD_DIR/guests/$f.wasm missing; run scripts/build.sh" >&2; exit 1; }
done

started=0
if ! "$ROOT/scripts/cluster.sh" status >/dev/null 2>&1; then
  "$ROOT/scripts/cluster.sh" start >/dev/null
  started=1
fi
work=$(mktemp -d /tmp/pg_wasm-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"
  [ $started -eq 0 ] || "$ROOT/scripts/cluster.sh" stop >/dev/null || true
}
trap cleanup EXIT
eval "$("$ROOT/scripts/cluster.sh" env)"
CLUSTER=$(readlink -f "$BUILD_DIR/cluster")
LOG="$CLUSTER/server.log"

sql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# The server (the postgres user) reads the guests: copies in the cluster
# directory.
guests="$CLUSTER/soak"
rm -rf "$guests"
mkdir -p "$guests"
for f in versioned versioned_v2 collatz text split; do cp "$BUILD_DIR/guests/$f.wasm" "$guests/"; done
chmod -R a+rX "$guests"

PGOPTIONS="-c client_min_messages=warning" sql -d postgres \
  -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export PGDATABASE=$DB
sql -v guests="$guests" -f "$HERE/soak/setup.sql" >/dev/null

# Where the server log stands now: only what the run adds is checked.
log_start=$(stat -c %s "$LOG")

# The clients, the replacer and the RSS samples run side by side. Each is
# bounded in time: pgbench by -T, the replacer by its own deadline and
# statement_timeout, both by timeout(1).
threads=$((clients < 2 ? clients : 2))
echo "soak: $clients clients x $seconds s, the module replaced every $every_ms ms${engine:+, wasm.engine = $engine}"
PGOPTIONS="$engine_option" timeout $((seconds + 60)) "$PGBIN/pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
  -f "$HERE/soak/numeric.sql@3" -f "$HERE/soak/text.sql@3" \
  -f "$HERE/soak/set.sql@2" -f "$HERE/soak/trap.sql@2" \
  >"$work/pgbench.out" 2>"$work/pgbench.err" &
pgbench_pid=$!
pids+=("$pgbench_pid")
PGAPPNAME="soak replacer" PGOPTIONS="-c statement_timeout=$(((seconds + 30) * 1000)) $engine_option" \
  timeout $((seconds + 60)) "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
  -c "CALL soak.replacer($seconds, $every_ms / 1000.0)" >"$work/replacer.out" 2>&1 &
replacer_pid=$!
pids+=("$replacer_pid")

# RSS of every backend after a warm-up (two seconds of calls) and one second
# before the end.
rss_sample() { sql -c "SELECT pid, rss_kb, application_name FROM soak.backend_rss()" || true; }
sleep 2
rss_sample >"$work/rss_start"
sleep $((seconds - 3))
rss_sample >"$work/rss_end"

pgbench_rc=0
wait "$pgbench_pid" || pgbench_rc=$?
replacer_rc=0
wait "$replacer_pid" || replacer_rc=$?
pids=()

# A crashed backend makes the server restart every session: wait (bounded)
# until it accepts connections again, to read what was recorded.
for _ in $(seq 1 60); do
  "$PGBIN/pg_isready" -q && break
  sleep 1
done

# The server log: no backend may have died.
crashes=$(tail -c +"$((log_start + 1))" "$LOG" | grep -A1 -E 'terminated by signal|PANIC|was terminated' || true)

failures=()
echo
echo "== pgbench (exit status $pgbench_rc)"
grep -E '^(number of (clients|transactions|failed)|latency average|tps|SQL script| - ([0-9]+ transactions|number of failed|latency average))' \
  "$work/pgbench.out" || true
[ "$pgbench_rc" -eq 0 ] || failures+=("pgbench exited with status $pgbench_rc")

# Clients pgbench gave up on: their connection was lost or an error escaped
# the checks.
aborted=$(grep -cE 'client [0-9]+ .*aborted' "$work/pgbench.err" || true)
if [ "$aborted" -gt 0 ]; then
  echo
  echo "== clients aborted ($aborted), by message"
  grep -E 'client [0-9]+ .*aborted' "$work/pgbench.err" | sed -E 's/^pgbench: error: //; s/[0-9]+/N/g' \
    | sort | uniq -c | sort -rn | head -20
  failures+=("$aborted pgbench clients aborted")
fi

echo
echo "== replacer (exit status $replacer_rc)"
cat "$work/replacer.out"
[ "$replacer_rc" -eq 0 ] || failures+=("the replacer session failed (exit status $replacer_rc)")

if sql -c "SELECT 1" >/dev/null 2>&1; then
  replaces=$(sql -c "SELECT count(*) FROM soak.replaces")
  echo "replaces: $replaces"
  [ "$replaces" -ge 2 ] || failures+=("only $replaces replaces")

  # Errors by script, SQLSTATE and message (numbers made N). The trapping
  # function's trap is the one expected kind.
  echo
  echo "== errors by kind"
  sql -F ' | ' <<'SQL'
SELECT count(*), script, sqlstate, left(regexp_replace(message, '[0-9]+', 'N', 'g'), 150)
FROM soak.errors GROUP BY 2, 3, 4 ORDER BY 1 DESC
SQL
  # What is not the expected trap is a failure.
  unexpected="NOT (script = 'trap' AND sqlstate = '38000'
               AND message = 'wasm trap in module \"versioned\", export \"ratio\": divide by zero')"
  traps=$(sql -c "SELECT count(*) FROM soak.errors WHERE NOT $unexpected")
  others=$(sql -c "SELECT count(*) FROM soak.errors WHERE $unexpected")
  echo "expected traps: $traps, unexpected errors: $others"
  [ "$others" -eq 0 ] || failures+=("$others unexpected errors")
  [ "$traps" -gt 0 ] || failures+=("the trapping function never trapped")
  if [ "$others" -gt 0 ]; then
    echo
    echo "== the first unexpected errors"
    sql -F ' | ' -c "SELECT to_char(at, 'HH24:MI:SS.MS'), script, sqlstate, left(message, 300),
                            left(coalesce(detail, ''), 200)
                     FROM soak.errors WHERE $unexpected ORDER BY at LIMIT 10"
  fi

  # Which version gave each result: both must have reached the clients.
  echo
  echo "== results by version (function: version 1, version 2)"
  # Sequences log ahead: after a server restart they read up to 32 high.
  [ -z "$crashes" ] || echo "(approximate: the server restarted)"
  for fn in bump tag pieces ratio; do
    counts=$(sql -F ' ' -c "SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM soak.${fn}_v1),
                                   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM soak.${fn}_v2)")
    echo "versioned_$fn: $counts"
    read -r v1 v2 <<<"$counts"
    [ "$v1" -gt 0 ] && [ "$v2" -gt 0 ] || failures+=("versioned_$fn: not both versions seen ($counts)")
  done
else
  failures+=("the server does not answer after the run")
fi

echo
echo "== RSS per backend (kB): pid, start, end, growth, application"
awk -F '|' 'FILENAME == ARGV[1] { start[$1] = $2; app[$1] = $3; next }
            { end[$1] = $2; app[$1] = $3 }
            END { for (p in app) {
                    g = (p in start && p in end) ? end[p] - start[p] : "-";
                    printf "%8s %10s %10s %8s  %s\n", p, (p in start) ? start[p] : "-",
                           (p in end) ? end[p] : "-", g, app[p] } }' \
  "$work/rss_start" "$work/rss_end" | sort -k5 -k1n

if [ -n "$crashes" ]; then
  echo
  echo "== server log"
  echo "$crashes" | head -10
  failures+=("a server process died (server log: $LOG)")
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
  printf 'soak: FAIL: %s\n' "${failures[@]}"
  exit 1
fi
echo "soak: ok"
