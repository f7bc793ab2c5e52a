#!/usr/bin/env bash
# Fails when a PostgreSQL server log shows a crashed or panicking server
# process: nothing a test does may crash the server, even when every SQL
# statement looked fine (a crash in another session, in a background worker,
# or after the test's last query).
#
#   scripts/check-server-log.sh [--from BYTES | --since MARKFILE] LOGFILE
#       checks LOGFILE (from byte BYTES, or from where --mark left off)
#   scripts/check-server-log.sh --mark MARKFILE LOGFILE
#       records LOGFILE's current size in MARKFILE, for a later --since
#   scripts/check-server-log.sh --size LOGFILE
#       prints LOGFILE's current size (0 if it does not exist), for --from
#
# CHECK_SERVER_LOG_ALLOW, if set, is an extended regular expression of
# lines the caller expects (a test that kills a backend on purpose).
set -euo pipefail

size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

from=0
case "${1:-}" in
  --size) size_of "$2"; exit 0 ;;
  --mark) size_of "$3" >"$2"; exit 0 ;;
  --from) from=$2; shift 2 ;;
  --since) from=$(cat "$2" 2>/dev/null || echo 0); shift 2 ;;
esac
log=${1:?usage: check-server-log.sh [--from BYTES | --since MARKFILE] LOGFILE}
[ -f "$log" ] || { echo "check-server-log: no server log at $log" >&2; exit 1; }
# A log that shrank was replaced: check all of it.
[ "$(size_of "$log")" -ge "$from" ] || from=0

# What the postmaster writes when a server process dies abnormally (exit
# code 1 is a normal exit: the logical replication launcher's at every
# shutdown), what a PANIC looks like, and a failed assertion (TRAP) in a
# cassert build.
crash='terminated by signal|exited with exit code ([02-9]|[1-9][0-9]+)$|was terminated by exception|PANIC: |^TRAP: |terminating any other active server processes|all server processes terminated; reinitializing'
found=$(tail -c +"$((from + 1))" "$log" | grep -E -A2 "$crash" || true)
if [ -n "${CHECK_SERVER_LOG_ALLOW:-}" ] && [ -n "$found" ]; then
  found=$(grep -E -v -- "$CHECK_SERVER_LOG_ALLOW" <<<"$found" | grep -E -A2 "$crash" || true)
fi
if [ -n "$found" ]; then
  echo "check-server-log: FAIL: $log shows a server process that crashed (from byte $from):" >&2
  echo "$found" | head -60 >&2
  exit 1
fi
echo "check-server-log: ok ($log from byte $from)"
