#!/usr/bin/env bash
# Runs every test: installs what is needed, builds, installs the extension,
# starts the throwaway cluster, runs the unit tests, the pg_regress suites and
# the integration scripts under ctest, and stops the cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build}

"$ROOT/scripts/build.sh"
ctest --test-dir "$BUILD_DIR" --output-on-failure "$@"
