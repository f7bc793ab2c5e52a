#!/usr/bin/env bash
# What is made of a module once (its facts, the module as an engine
# rewrote it, compiled code) is kept for every later session of the server
# (docs/engines.md, "Shared caches"): a new session reads it instead of
# making it again; it survives a restart and a copy of the data directory
# to another place; a replace and another engine configuration make new
# entries; an entry that is damaged, another module's, or not the server's
# own file is never used, and is made again. The engine comes from
# PGOPTIONS (wasm.engine = v8 or native).
#   test/integration/shared_cache.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_shared_cache

as_server() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('collatz', '$GUESTS/collatz.wasm');
SELECT wasm.load_module_file('text', '$GUESTS/text.wasm');
CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
SQL
DATA=$(sql -d $DB -c "SHOW data_directory")
DBOID=$(sql -d $DB -c "SELECT oid FROM pg_database WHERE datname = current_database()")
# The directory of a module's entries: the one that holds them.
entry_dir() {
  dirname "$(ls -d "$DATA/pg_wasm_native/$DBOID"/*/"$1".entry 2>/dev/null | head -1)"
}
# After the call in $1, this session's counters: hits|misses|rejected|saved.
counts() {
  sql -d $DB -c "$1" -c "SELECT concat_ws('|', hits, misses, rejected, saved) FROM wasm.cache_stats()" | tail -1
}
intact() {
  sql -d $DB -c "SELECT string_agg(entry || ':' || intact, ',' ORDER BY entry) FROM wasm.module_cache('$1')"
}

# Loading a module (and its first calls) makes the entries; each is intact.
expect "first call" "111" "$(sql -d $DB -c "SELECT collatz_steps(27)")"
entries=$(intact collatz)
expect "every entry intact" "" "$(echo "$entries" | tr ',' '\n' | grep -v ':true$' || true)"
expect "the facts are among them" "1" "$(echo "$entries" | tr ',' '\n' | grep -c '^facts-')"
# A new session reads them and makes nothing again.
again=$(counts "SELECT collatz_steps(27)")
expect "a new session makes nothing again" "0|0" "$(echo "$again" | cut -d'|' -f3-4)"
[ "$(echo "$again" | cut -d'|' -f1)" -gt 0 ] || { echo "FAIL: no hit: $again" >&2; exit 1; }

# A restart keeps them.
"$ROOT/scripts/cluster.sh" stop >/dev/null
"$ROOT/scripts/cluster.sh" start >/dev/null
after=$(counts "SELECT collatz_steps(27)")
expect "after a restart, nothing made again" "0|0" "$(echo "$after" | cut -d'|' -f3-4)"

# Damaged entries (cut short, one byte changed) are refused and made again.
dir=$(entry_dir "$(echo "$entries" | tr ',' '\n' | grep '^facts-' | cut -d: -f1)")
for f in "$dir"/*.entry; do
  as_server python3 -c "
import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x40
open(p, 'wb').write(b)" "$f"
done
n=$(ls "$dir"/*.entry | wc -l)
damaged=$(counts "SELECT collatz_steps(27)")
expect "damaged entries: right answer, each refused and made again" "111|$n|$n" \
  "$(sql -d $DB -c "SELECT collatz_steps(27)")|$(echo "$damaged" | cut -d'|' -f3)|$(echo "$damaged" | cut -d'|' -f4)"
expect "made again, intact" "" "$(intact collatz | tr ',' '\n' | grep -v ':true$' || true)"
for f in "$dir"/*.entry; do as_server truncate -s 100 "$f"; done
expect "entries cut short: refused" "$n" "$(counts "SELECT collatz_steps(27)" | cut -d'|' -f3)"

# Another module's entry under this one's name (sealed, but for other
# code) is refused.
expect "text" "hello-world" "$(sql -d $DB -c "SELECT slugify('Hello World')")"
facts=$(echo "$entries" | tr ',' '\n' | grep '^facts-' | cut -d: -f1)
text_dir=$(dirname "$(ls -d "$DATA/pg_wasm_native/$DBOID"/*/"$facts".entry | grep -v "^$dir/")")
as_server cp "$text_dir/$facts.entry" "$dir/$facts.entry"
expect "another module's entry: refused" "1" "$(counts "SELECT collatz_steps(27)" | cut -d'|' -f3)"
# An entry that is not the server's own file is refused (as root only: the
# test then makes one owned by another user).
if [ "$(id -u)" -eq 0 ]; then
  cp -p "$dir/$facts.entry" "$dir/$facts.copy" && mv "$dir/$facts.copy" "$dir/$facts.entry"
  chown root "$dir/$facts.entry"
  expect "an entry owned by another user: refused" "1" "$(counts "SELECT collatz_steps(27)" | cut -d'|' -f3)"
fi

# V8's code made by another V8 (another version hash in V8's own header,
# sealed by this server, as an upgrade of libnode would leave it): V8
# refuses it, the module is compiled from its bytes, and the entry is made
# again by this V8.
if [ "$(sql -d $DB -c "SHOW wasm.engine")" = v8 ]; then
  sql -d $DB -c "SELECT collatz_steps(27)" -c "SELECT collatz_steps(28)" >/dev/null
  code=$(ls "$dir"/v8code-*.entry)
  reseal() {  # reseal <entry> <python expression of the payload p>
    as_server python3 - "$DATA/pg_wasm_native/secret" "$1" "$2" <<'PY'
import hashlib, hmac, struct, sys
secret = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
key_len = struct.unpack_from('<Q', b, 40)[0]
body = 48 + key_len + 8
p = bytearray(b[body:-32])
exec(sys.argv[3])
head = b[:48 + key_len] + struct.pack('<Q', len(p))
open(sys.argv[2], 'wb').write(head + p + hmac.new(secret, head + p, hashlib.sha256).digest())
PY
  }
  version_hash() { as_server python3 -c "
import struct, sys; b = open(sys.argv[1], 'rb').read(); k = struct.unpack_from('<Q', b, 40)[0]
print(b[48 + k + 8 + 68 + 4:48 + k + 8 + 68 + 8].hex())" "$1"; }
  real=$(version_hash "$code")
  # V8's header starts after the entry's magic and two digests (68 bytes);
  # its version hash is its second word. The entry's own digest of V8's
  # bytes is made again, as V8 would have made it.
  reseal "$code" "p[72] ^= 0xff; p[36:68] = hashlib.sha256(bytes(p[68:])).digest()"
  expect "another V8's code: sealed, so read" "1" "$(sql -d $DB -c "SELECT count(*) FROM wasm.module_cache('collatz') WHERE entry LIKE 'v8code-%' AND intact")"
  other=$(counts "SELECT collatz_steps(27), collatz_steps(28)")
  expect "another V8's code: refused by V8, right answer, made again" "111|0|1" \
    "$(sql -d $DB -c "SELECT collatz_steps(27)")|$(echo "$other" | cut -d'|' -f3)|$(echo "$other" | cut -d'|' -f4)"
  expect "this V8's version in the entry again" "$real" "$(version_hash "$code")"
fi

# A replace: the old code's entries go with it, the new code gets its own.
old_dir=$dir
sql -d $DB -c "DROP FUNCTION collatz_steps(int4)" \
  -c "SELECT wasm.load_module_file('collatz', '$GUESTS/simple.wasm', replace => true)" >/dev/null
sql -d $DB -c "SELECT count(*) FROM wasm.module_cache('collatz')" >/dev/null
expect "the replaced code's entries are gone" "no" "$([ -d "$old_dir" ] && echo yes || echo no)"

# A copy of the data directory elsewhere (as pg_upgrade's --link or a
# moved cluster would have it) reads the same entries.
expect "text again" "hello-world" "$(sql -d $DB -c "SELECT slugify('Hello World')")"
COPY=$(mktemp -d /tmp/pg_wasm_cache_copy.XXXXXX)
chmod 755 "$COPY"
[ "$(id -u)" -eq 0 ] && chown postgres "$COPY"
"$ROOT/scripts/cluster.sh" stop >/dev/null
as_server cp -a "$DATA" "$COPY/data"
"$ROOT/scripts/cluster.sh" start >/dev/null
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup_copy() {
  as_server "$PGBIN/pg_ctl" -D "$COPY/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$COPY"
}
trap 'cleanup_copy; check_server_log_at_exit' EXIT
as_server "$PGBIN/pg_ctl" -D "$COPY/data" -l "$COPY/server.log" -w -t 60 \
  -o "-p $PORT2 -k $COPY -c listen_addresses=''" start >/dev/null
moved=$("$PGBIN/psql" -X -q -At -h "$COPY" -p "$PORT2" -U postgres -d $DB \
  -c "SELECT slugify('Hello World')" \
  -c "SELECT concat_ws('|', hits > 0, rejected, saved) FROM wasm.cache_stats()" | tr '\n' ' ')
expect "a moved copy of the data directory: hits, nothing made again" "hello-world t|0|0 " "$moved"
cleanup_copy
trap check_server_log_at_exit EXIT

sql -d postgres -c "DROP DATABASE $DB"
check_server_log
echo "shared_cache: ok"
