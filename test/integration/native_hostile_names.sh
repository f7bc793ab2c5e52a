#!/usr/bin/env bash
# Modules whose names are made to break generated C (test/guests/
# hostile_names.py: comment ends, line continuations, trigraphs, quotes,
# preprocessor lines, zero bytes, invalid UTF-8, 80 kB names, in exports, the
# name section, custom sections and data) are loaded, built natively under
# wasm.engine = native (in the session) and auto (by a background worker,
# as the bootstrap superuser), and called: each runs natively and gives the
# right answer, and the payload they carry, which would create a file if it
# were ever compiled, never ran.
#   test/integration/native_hostile_names.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_native_names
MARKER=/tmp/pg_wasm_hostile_names_marker
unset PGOPTIONS
rm -f "$MARKER"

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
  -c "CREATE DATABASE $DB"
sql -d $DB -c "CREATE EXTENSION wasm" >/dev/null

# Module k's file and the hex of its callable export's name.
mapfile -t rows <"$GUESTS/hostile_names.tsv"
[ "${#rows[@]}" -ge 8 ] || { echo "FAIL: hostile_names.tsv lists ${#rows[@]} modules" >&2; exit 1; }

wait_native() { # <engine> <module>: the module's engine once its calls run natively (2 min at most)
  sql -d $DB -c "SET wasm.engine = $1" -c "DO \$\$ BEGIN FOR i IN 1..1200 LOOP
                   EXIT WHEN wasm.module_engine('$2') = 'native'; PERFORM pg_sleep(0.1);
                 END LOOP; END \$\$" -c "SELECT wasm.module_engine('$2')"
}

for engine in native auto; do
  for row in "${rows[@]}"; do
    file=${row%%$'\t'*}
    hex=${row#*$'\t'}
    k=${file#hostile_names_}
    k=${k%.wasm}
    m="names_${engine}_$k"
    # Loaded on V8, so that under auto the background worker builds it, and
    # under native the session's first call does.
    sql -d $DB -c "SET wasm.engine = v8" \
      -c "SELECT wasm.load_module_file('$m', '$GUESTS/$file') IS NOT NULL" >/dev/null
    # The export's name quoted as AS takes it: "name", with "" for ".
    # (On standard input: a name may be longer than a command line.)
    sql -d $DB <<SQL
DO \$\$ BEGIN EXECUTE format(
  'CREATE FUNCTION %I(int4) RETURNS int4 LANGUAGE wasm AS %L', '${m}_f',
  '$m::"' || replace(convert_from(decode('$hex', 'hex'), 'UTF8'), '"', '""') || '"');
END \$\$;
SQL
    expect "$m: first call ($engine)" 42 "$(sql -d $DB -c "SET wasm.engine = $engine" -c "SELECT ${m}_f(41)")"
    expect "$m: runs natively ($engine)" native "$(wait_native "$engine" "$m")"
    expect "$m: native call ($engine)" 42 "$(sql -d $DB -c "SET wasm.engine = $engine" -c "SELECT ${m}_f(41)")"
    [ ! -e "$MARKER" ] || { echo "FAIL: $m ($engine): a name of the module was compiled and ran" >&2; exit 1; }
  done
done
echo "ok: no payload ran"

sql -d postgres -c "DROP DATABASE $DB"
check_server_log
echo "native_hostile_names: ok"
