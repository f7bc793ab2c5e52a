#!/usr/bin/env bash
# Installs dependencies, builds pg_wasm and installs the extension into the
# PostgreSQL whose pg_config is $PG_CONFIG (default: Debian's PostgreSQL 15).
# Shared by test.sh, demo.sh and bench.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DPG_CONFIG="$PG_CONFIG" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
if [ "$(id -u)" -eq 0 ]; then
  cmake --install "$BUILD_DIR" >/dev/null
else
  sudo cmake --install "$BUILD_DIR" >/dev/null
fi
echo "build: installed pg_wasm into $("$PG_CONFIG" --pkglibdir)"
