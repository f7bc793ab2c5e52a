#!/usr/bin/env bash
# pg_wasm's benchmark: the same workloads as a Wasm function, PL/pgSQL,
# PL/Python and a C function, and the foreign data wrappers against theirs,
# in one run on a throwaway cluster; prints one report (docs/benchmarks.md
# explains it).
#
#   bench/run.sh [--no-build] [--output FILE] [--chart SVG] [--reps N]
#                [--warmup N] [--cold N] [--compile N] [--cancel N]
#                [--startup N] [--no-preload] [--quick]
#                [--no-fdw | --only-fdw | --only-components | --only-startup]
#
# --no-build uses the extension already installed and $BUILD_DIR as built;
# the other options are bench/bench.py's (bench/run.sh --help lists them).
# BUILD_DIR defaults to build-bench, not build: the benchmark restarts its
# cluster (for shared_preload_libraries), which must not be the tests' one.
# PG_CONFIG (default: Debian's PostgreSQL 15) chooses the PostgreSQL it
# builds for, installs into and runs its cluster with.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
export PATH="$PGBIN:$PATH"

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -h | --help) exec python3 "$HERE/bench.py" --root "$ROOT" --build-dir "$BUILD_DIR" --data-dir . --help ;;
    *) args+=("$a") ;;
  esac
done

# Build and install the current tree (the server loads the installed
# extension), with the C baseline (bench/CMakeLists.txt) and the guests.
if [ $build -eq 1 ]; then
  mkdir -p "$BUILD_DIR"
  log=$BUILD_DIR/build.log
  echo "bench: building into $BUILD_DIR (log: $log)" >&2
  "$ROOT/scripts/build.sh" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
fi
# The compile-latency rows' big module (bench/native/big.rs, Rust with std,
# over 1 MB of code), built as bench/native/measure.sh builds it, with
# Debian's rustc (about 30 s; kept while big.rs does not change).
big=$BUILD_DIR/guests/big.wasm
if [ ! -f "$big" ] || [ "$HERE/native/big.rs" -nt "$big" ]; then
  [ -x /usr/bin/rustc ] || { echo "bench: /usr/bin/rustc is missing (scripts/install-deps.sh)" >&2; exit 1; }
  echo "bench: building $big (Rust, about 30 s)" >&2
  mkdir -p "$BUILD_DIR/guests"
  nice /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
    -C opt-level=2 -C strip=debuginfo -C panic=abort -o "$big.tmp" "$HERE/native/big.rs"
  mv "$big.tmp" "$big"
fi
guests=(fib collatz arith text json compute_fdw events_fdw big)
files=("$BUILD_DIR/bench/bench_functions.so")
for g in "${guests[@]}"; do files+=("$BUILD_DIR/guests/$g.wasm"); done
files+=("$BUILD_DIR/components/paginated.wasm" "$BUILD_DIR/bench/slugify_component.wasm"
  "$BUILD_DIR/components/js_supabase_fdw.wasm")
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "bench: $f missing; run without --no-build" >&2; exit 1; }
done

# Our own cluster; stopped again at the end if we started it.
started=0
if ! "$ROOT/scripts/cluster.sh" status >/dev/null 2>&1; then
  "$ROOT/scripts/cluster.sh" start >/dev/null
  started=1
fi
cleanup() { [ $started -eq 0 ] || "$ROOT/scripts/cluster.sh" stop >/dev/null || true; }
trap cleanup EXIT
eval "$("$ROOT/scripts/cluster.sh" env)"

# The server (the postgres user) reads the guests and the C library: give it
# copies inside the cluster directory (bench.py writes file_fdw's CSV there).
dir=$(readlink -f "$BUILD_DIR/cluster")/bench
rm -rf "$dir"
mkdir -p "$dir"
for g in "${guests[@]}"; do cp "$BUILD_DIR/guests/$g.wasm" "$dir/"; done
# The component the FDW section compares with events_fdw (test/components).
cp "$BUILD_DIR/components/paginated.wasm" "$dir/"
cp "$BUILD_DIR/bench/bench_functions.so" "$dir/"
# The component of the component-function rows (bench/component).
cp "$BUILD_DIR/bench/slugify_component.wasm" "$dir/"
# The big modules' JavaScript component (test/components/js, 12.5 MB).
cp "$BUILD_DIR/components/js_supabase_fdw.wasm" "$dir/"
chmod -R a+rX "$dir"

# A fresh database each run.
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS pg_wasm_bench" -c "CREATE DATABASE pg_wasm_bench"
export PGDATABASE=pg_wasm_bench
psql -X -q -v ON_ERROR_STOP=1 -v dir="$dir" -f "$HERE/setup.sql"

python3 "$HERE/bench.py" --root "$ROOT" --build-dir "$BUILD_DIR" --data-dir "$dir" "${args[@]}"
