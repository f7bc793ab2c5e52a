#!/usr/bin/env bash
# Runs the fuzz targets of a built fuzz tree (PGWASM_FUZZ=ON) for a while:
# makes the seed corpora, runs each target for its share of the time, and
# fails if any of them crashed (a crash, an ASan or UBSan report, a broken
# promise, a timeout or running out of memory). scripts/fuzz.sh builds the
# tree first; ctest's `fuzz` test calls one or the other.
#
#   run.sh --build-dir DIR [--seconds N] [--target NAME] [--jobs N]
#          [--spec-suite DIR] [--components DIR] [--guests DIR]...
#
# --components is where the component target's seeds are (a build tree's
# components/); running that target without them fails.
#
# In DIR: fuzz-corpus/seeds/ is remade every run; fuzz-corpus/<target>/ keeps
# what libFuzzer found interesting from run to run; fuzz-crashes/<target>/
# gets the inputs that crashed; fuzz-logs/<target>.log the full output.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

BUILD=
SECONDS_TOTAL=120
ONLY=
JOBS=1
SPEC="$ROOT/../shared/wasm-spec-testsuite"
GUESTS=()
COMPONENTS=
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) BUILD=$2; shift 2 ;;
    --seconds) SECONDS_TOTAL=$2; shift 2 ;;
    --target) ONLY=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --spec-suite) SPEC=$2; shift 2 ;;
    --guests) GUESTS+=("$2"); shift 2 ;;
    --components) COMPONENTS=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$BUILD" ] || { echo "run.sh: --build-dir is required" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)

# Each target, its seed corpus (none: it starts from nothing), its
# dictionary and its share of the time in percent.
TARGETS=(binary text text_engine generated component object_check native_build module_facts)
declare -A SEEDS=([binary]=binary [text]=text [text_engine]=text [generated]= [component]=component
                  [object_check]=object [native_build]=native [module_facts]=facts)
declare -A DICT=([binary]=binary.dict [text]=text.dict [text_engine]=text.dict [generated]=
                 [component]=component.dict [object_check]= [native_build]=native.dict
                 [module_facts]=)
declare -A SHARE=([binary]=15 [text]=15 [text_engine]=20 [generated]=15 [component]=15
                  [object_check]=5 [native_build]=10 [module_facts]=5)
if [ -n "$ONLY" ]; then
  [ -n "${SHARE[$ONLY]+x}" ] || { echo "run.sh: no target $ONLY (${TARGETS[*]})" >&2; exit 2; }
  TARGETS=("$ONLY")
  SHARE[$ONLY]=100
fi

ROUND_SECONDS=240
CORPUS="$BUILD/fuzz-corpus"
COMPONENT_ARGS=()
if [[ " ${TARGETS[*]} " == *" component "* ]]; then
  [ -n "$COMPONENTS" ] || {
    echo "run.sh: the component target needs its seeds: --components DIR (a build tree's" \
      "components/, which the ordinary build makes)" >&2
    exit 1
  }
  COMPONENT_ARGS=(--components "$COMPONENTS")
fi
"$HERE/make_corpus.sh" "$CORPUS/seeds" "$SPEC" "${COMPONENT_ARGS[@]}" "${GUESTS[@]}"
# module_facts' seeds: the facts of the binary seeds, which only a build
# can write.
if [[ " ${TARGETS[*]} " == *" module_facts "* ]]; then
  "$BUILD/test/fuzz/facts_seeds" "$CORPUS/seeds/facts" "$CORPUS/seeds/binary"
fi
mkdir -p "$BUILD/fuzz-logs"

# What a target's run leaves under /tmp (native_build's), removed however it ends.
TMP_DIRS=()
trap 'rm -rf "${TMP_DIRS[@]}"' EXIT

failed=()
for target in "${TARGETS[@]}"; do
  exe="$BUILD/test/fuzz/fuzz_$target"
  [ -x "$exe" ] || { echo "run.sh: $exe is not built" >&2; exit 1; }
  seconds=$((SECONDS_TOTAL * SHARE[$target] / 100))
  [ "$seconds" -gt 0 ] || seconds=1
  crashes="$BUILD/fuzz-crashes/$target"
  log="$BUILD/fuzz-logs/$target.log"
  mkdir -p "$crashes"
  dirs=("$CORPUS/$target")
  env=()
  if [ "$target" != native_build ]; then
    mkdir -p "$CORPUS/$target"
  else
    # Every module it runs is built by gcc (0.2 to 0.5 s): replaying a corpus
    # kept from earlier runs would soon take its whole share. Its rounds share
    # a corpus and the native engine's cache (keyed by content: a module run
    # again costs milliseconds) for this run only.
    run_dir=$(mktemp -d /tmp/pg_wasm_fuzz_native_build.XXXXXX)
    TMP_DIRS+=("$run_dir")
    mkdir "$run_dir/corpus"
    dirs=("$run_dir/corpus")
    env=(PGWASM_FUZZ_NATIVE_CACHE="$run_dir/cache")
  fi
  [ -z "${SEEDS[$target]}" ] || dirs+=("$CORPUS/seeds/${SEEDS[$target]}")
  marker=$(mktemp)
  # -timeout: an input stops its guest code within 100 ms (fuzz_support.h),
  # and native_build's modules build in under a second, so ten seconds mean
  # our own code hangs. -fork runs that many processes.
  args=(-timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/")
  [ -z "${DICT[$target]}" ] || args+=(-dict="$HERE/${DICT[$target]}")
  [ "$JOBS" -le 1 ] || args+=(-fork="$JOBS")
  echo "fuzz: $target for ${seconds}s (log: $log)"
  # In rounds of a fresh process each, the corpus carried over: a process
  # that compiles with V8 grows (outside malloc, under ASan) by a few KB an
  # input and would reach libFuzzer's 2 GB limit after some minutes.
  status=0
  : >"$log"
  left=$seconds
  while [ "$left" -gt 0 ] && [ "$status" -eq 0 ]; do
    round=$((left < ROUND_SECONDS ? left : ROUND_SECONDS))
    left=$((left - round))
    (cd "$BUILD/fuzz-logs" && env "${env[@]}" "$exe" -max_total_time="$round" "${args[@]}" \
      "${dirs[@]}") >>"$log" 2>&1 || status=$?
  done
  # The totals; with -fork, the last status line says them instead.
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added):' \
    "$log" | sed 's/^/  /' || grep -E '^#[0-9]+: cov:' "$log" | tail -1 | sed 's/^/  /' || true
  mapfile -t new < <(find "$crashes" -type f -newer "$marker")
  rm -f "$marker"
  if [ "$status" -ne 0 ] || [ ${#new[@]} -gt 0 ]; then
    failed+=("$target")
    echo "fuzz: $target FAILED (exit status $status); end of its log:"
    grep -v '^#[0-9]' "$log" | tail -40 | sed 's/^/  | /'
    for input in "${new[@]}"; do
      echo "fuzz: input kept in $input"
      echo "      reproduce: $exe $input"
    done
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (inputs under $BUILD/fuzz-crashes)"
  exit 1
fi
echo "fuzz: no crashes"
