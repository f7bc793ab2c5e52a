#!/usr/bin/env bash
# Builds the fuzz targets (libFuzzer, ASan, UBSan; Debian's clang) in a tree
# of their own and runs them as long as asked. Nothing of PostgreSQL is built
# or installed.
#
#   scripts/fuzz.sh [--target binary|text|text_engine|generated|component|object_check|
#                            native_build|module_facts]
#                   [--seconds N] [--jobs N] [--build-dir DIR] [--spec-suite DIR]
#                   [--components DIR] [--guests DIR]...
#
# --seconds is the whole run (default 120), shared between the targets unless
# --target picks one; --jobs runs that many fuzzing processes per target.
# The tree defaults to build/fuzz; seeds come from the spec test suite, the
# repository's .wat files and the guests an ordinary build made (build/guests);
# the component target's from the components it made (build/components:
# without them that target fails).
# A crash fails the run and names the input it kept and how to reproduce it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

BUILD="$ROOT/build/fuzz"
SPEC="$ROOT/../shared/wasm-spec-testsuite"
GUESTS=()
COMPONENTS="$ROOT/build/components"
PASS=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) BUILD=$2; shift 2 ;;
    --spec-suite) SPEC=$2; shift 2 ;;
    --guests) GUESTS+=("$2"); shift 2 ;;
    --components) COMPONENTS=$2; shift 2 ;;
    --target | --seconds | --jobs) PASS+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#GUESTS[@]} -gt 0 ] || GUESTS=("$ROOT/build/guests")
GUEST_ARGS=()
for dir in "${GUESTS[@]}"; do GUEST_ARGS+=(--guests "$dir"); done

start=$(date +%s)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DPGWASM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DWASM_SPEC_TESTSUITE="$SPEC" >/dev/null
fi
cmake --build "$BUILD" -j"${FUZZ_BUILD_JOBS:-$(nproc)}" >"$BUILD/build.log" 2>&1 ||
  { tail -40 "$BUILD/build.log"; echo "fuzz.sh: the build failed (log: $BUILD/build.log)"; exit 1; }
echo "fuzz: built in $(($(date +%s) - start))s ($BUILD)"

exec "$ROOT/test/fuzz/run.sh" --build-dir "$BUILD" --spec-suite "$SPEC" \
  --components "$COMPONENTS" "${GUEST_ARGS[@]}" \
  "${PASS[@]}"
