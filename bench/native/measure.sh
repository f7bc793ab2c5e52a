#!/usr/bin/env bash
# Measurements for an ahead-of-time engine (docs/native-engine.md): guests
# translated by wabt's wasm2c and compiled by the system C compiler, against
# the same workloads in plain C (gcc -O2). In one run:
#   1. builds the guests (examples/collatz.c, fib.c, crc32.c, arith.wat,
#      bench/native/fibrec.wat, and bench/native/big.rs, a > 1 MB Rust guest)
#      and collatz, fib and fibrec with the toolkit's fuel instrumentation
#      (bench/native/instrument_tool.cc);
#   2. translates each with wasm2c -n <name>;
#   3. builds bench/native/harness.c with each configuration (gcc and
#      clang-14, -O1 and -O2, bounds checks, guard pages, and bounds checks
#      without the call depth counter) and natively,
#      runs every workload (best of 2 x $REPS runs in $REPS passes), and
#      prints the ratios to native C;
#   4. times wasm2c and the compiler (-shared -fPIC) for a small and a big
#      module, with the .so sizes, and dlopens each .so once to call it.
#
#   bench/native/measure.sh [--reps N] [--big-reps N] [--keep DIR] [--quick]
#
# --reps: N passes over the workloads (best of 2N runs) and best of N for
# wasm2c and small compiles (default 5);
# --big-reps: best of N for compiling the big module (default 3: one
# compile takes 20 to 45 s); --keep: work in DIR and leave it (default: a
# temporary directory, removed); --quick: one run of everything and no big
# module, to check the script, not to measure. BUILD_DIR (default
# build-native) is where CMake builds the fuel instrumentation tool
# (bench/CMakeLists.txt). The report, in Markdown, goes to stdout.
# Offline; Debian packages only (scripts/install-deps.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-native}
RT=/usr/share/wabt/wasm2c
REPS=5
BIG_REPS=3
KEEP=
BIG=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --big-reps) BIG_REPS=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --quick) REPS=1 BIG=0; shift ;;
    *) echo "usage: $0 [--reps N] [--big-reps N] [--keep DIR] [--quick]" >&2; exit 2 ;;
  esac
done
for t in wasm2c wat2wasm clang wasm-ld gcc clang-14 cmake size; do
  command -v "$t" >/dev/null || { echo "measure: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x /usr/bin/rustc ] || { echo "measure: /usr/bin/rustc is missing (rustc, libstd-rust-dev-wasm32)" >&2; exit 1; }
[ -f "$RT/wasm-rt-impl.c" ] || { echo "measure: $RT/wasm-rt-impl.c is missing (wabt)" >&2; exit 1; }
if [ -n "$KEEP" ]; then
  W=$(mkdir -p "$KEEP" && cd "$KEEP" && pwd)
else
  W=$(mktemp -d)
  trap 'rm -rf "$W"' EXIT
fi
log() { echo "measure: $*" >&2; }

# Wall time of a command in seconds, best of $1 runs.
best_of() {
  local n=$1 best='' t0 t1 ms i
  shift
  for ((i = 0; i < n; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  awk -v ms="$best" 'BEGIN { printf "%.3f", ms / 1000 }'
}

# 1. Guests, as cmake/WasmGuests.cmake builds them.
log "building the guests in $W"
cd "$W"
for g in collatz fib crc32; do
  clang --target=wasm32 -nostdlib -O2 -fuse-ld=lld -I "$ROOT/sdk" -Wl,--no-entry -o $g.wasm "$ROOT/examples/$g.c"
done
wat2wasm -o arith.wasm "$ROOT/examples/arith.wat"
wat2wasm -o fibrec.wasm "$HERE/fibrec.wat"
BIG_MODULES=()
if [ $BIG = 1 ]; then
  BIG_MODULES=(big)
  log "building the big Rust guest (about 30 s)"
  /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
    -C opt-level=2 -C strip=debuginfo -C panic=abort -o big.wasm "$HERE/big.rs"
fi
log "building the fuel instrumentation tool in $BUILD_DIR"
[ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target native_instrument_tool -j2 >/dev/null
for m in collatz fib fibrec; do
  "$BUILD_DIR/bench/native_instrument_tool" $m.wasm ${m}fuel.wasm
done

# 2. wasm2c.
for m in collatz fib arith fibrec crc32 collatzfuel fibfuel fibrecfuel "${BIG_MODULES[@]}"; do
  wasm2c -n "$m" -o "$m.c" "$m.wasm"
done

# 3. Workloads. Module code is compiled -fPIC, as for a shared object.
CONFIGS=("gcc -O1" "gcc -O2" "clang-14 -O1" "clang-14 -O2")
# 0: bounds checks (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0, which also turns on
# wasm2c's call depth counter), 1: guard pages and the runtime's SIGSEGV
# handler, 2: bounds checks without the depth counter (unsafe: a deep
# recursion overflows the C stack; measured only to tell the two apart).
MODES=(0 1 2)
mode_name() { case $1 in 0) echo bounds ;; 1) echo guard ;; 2) echo nodepth ;; esac; }
mode_flags() {
  case $1 in
    0) echo -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 ;;
    1) echo -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1 ;;
    2) echo -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_USE_STACK_DEPTH_COUNT=0 ;;
  esac
}
gcc -O2 -c "$HERE/native.c" -o native.o
gcc -O2 -DNATIVE "$HERE/harness.c" native.o -o h_native
columns=()
for cfg in "${CONFIGS[@]}"; do
  for mode in "${MODES[@]}"; do
    tag="${cfg// /}-$(mode_name "$mode")"
    log "building $cfg, $(mode_name "$mode")"
    read -r -a flags <<<"$(mode_flags "$mode")"
    # shellcheck disable=SC2086
    $cfg -fPIC -w "${flags[@]}" -I. -I"$RT" -o "h_$tag" "$HERE/harness.c" \
      collatz.c fib.c arith.c fibrec.c crc32.c collatzfuel.c fibfuel.c fibrecfuel.c "$RT/wasm-rt-impl.c" -lm
    columns+=("$tag")
  done
done
# $REPS passes, each running every build (native first) in turn, two runs of
# each workload per process; a cell is its best over all passes, so a burst
# of load from elsewhere on the machine spoils one pass, not one column.
for ((pass = 1; pass <= REPS; pass++)); do
  log "workloads: pass $pass of $REPS"
  for tag in native "${columns[@]}"; do
    "./h_$tag" 2 >"pass${pass}_$tag.txt"
  done
done
for tag in native "${columns[@]}"; do
  cat pass*_"$tag".txt | awk '!($1 in best) || $2 < best[$1] { best[$1] = $2; sum[$1] = $3 }
    !($1 in order) { order[$1] = ++n; name[n] = $1 }
    $1 in sum && sum[$1] != $3 { print "measure: " $1 " differs between passes" > "/dev/stderr"; exit 1 }
    END { for (i = 1; i <= n; i++) print name[i], best[name[i]], sum[name[i]] }' >"res_$tag.txt"
done

# Checksums must agree with native C's.
for tag in "${columns[@]}"; do
  if ! diff <(awk '{ print $1, $3 }' res_native.txt) <(awk '{ print $1, $3 }' "res_$tag.txt") >/dev/null; then
    echo "measure: FAILED: $tag computes other results than native C" >&2
    exit 1
  fi
done

echo "# Native engine measurements ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -m))"
echo
echo "wabt $(wasm2c --version), $(gcc --version | head -1), $(clang-14 --version | head -1)"
echo "Workloads: each cell is the best of $((2 * REPS)) runs ($REPS passes over all builds, 2 runs per pass);"
echo "compiles: the best of $REPS (the big module: of $BIG_REPS)."
echo
echo "## Workloads: time of native C (gcc -O2, ms) and each configuration's ratio to it"
echo
header="| workload | native ms |"
rule="|---|---:|"
for tag in "${columns[@]}"; do header+=" $tag |"; rule+="---:|"; done
echo "$header"
echo "$rule"
while read -r name ns _; do
  line="| $name | $(awk -v ns="$ns" 'BEGIN { printf "%.1f", ns / 1e6 }') |"
  for tag in "${columns[@]}"; do
    t=$(awk -v n="$name" '$1 == n { print $2 }' "res_$tag.txt")
    line+=" $(awk -v a="$t" -v b="$ns" 'BEGIN { printf "%.2f", a / b }') |"
  done
  echo "$line"
done <res_native.txt
echo
echo "## Fuel instrumentation: time with fuel / without, same build"
echo
echo "| configuration | collatz ms | collatz + fuel ms | collatz | fib(5000) x 1000 | recursive fib(32) |"
echo "|---|---:|---:|---:|---:|---:|"
for tag in "${columns[@]}"; do
  awk -v tag="$tag" '{ t[$1] = $2 }
    END { printf "| %s | %.1f | %.1f | %+.1f%% | %+.1f%% | %+.1f%% |\n", tag, t["collatz"] / 1e6,
          t["collatz_fuel"] / 1e6, (t["collatz_fuel"] / t["collatz"] - 1) * 100,
          (t["fib5000x1000_fuel"] / t["fib5000x1000"] - 1) * 100,
          (t["fibrec32_fuel"] / t["fibrec32"] - 1) * 100 }' "res_$tag.txt"
done
# The median over the builds: one build's figure moves with its code layout.
for w in collatz fib5000x1000 fibrec32; do
  for tag in "${columns[@]}"; do
    awk -v w="$w" '$1 == w { a = $2 } $1 == w "_fuel" { b = $2 } END { print (b / a - 1) * 100 }' "res_$tag.txt"
  done | sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%+.1f%% (%+.1f%% to %+.1f%%)\n", m, v[1], v[NR] }' >"fuel_median_$w.txt"
done
echo "| median over the builds (range) | | | $(cat fuel_median_collatz.txt) | $(cat fuel_median_fib5000x1000.txt) | $(cat fuel_median_fibrec32.txt) |"

# 4. Compile time and size, as shared objects, with the glue the dlopen
# check needs (pgw_native_new).
log "compile times"
gcc -O2 -rdynamic -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -I"$RT" -o dlopen_check "$HERE/dlopen_check.c" \
  "$RT/wasm-rt-impl.c" -ldl -lm
for m in collatz crc32 "${BIG_MODULES[@]}"; do
  cat >"glue_$m.c" <<GLUE
#include <stdlib.h>
#include "$m.h"
void *pgw_native_new(void) {
  Z_${m}_instance_t *i = calloc(1, sizeof *i);
  Z_${m}_init_module();
  Z_${m}_instantiate(i);
  return i;
}
GLUE
done
echo
echo "## Compile time and size (module C + glue, -shared -fPIC, bounds checks unless said)"
echo
echo "wasm2c and small compiles: best of $REPS; the big module's compiles: best of $BIG_REPS."
echo "wabt's runtime (wasm-rt-impl.c) is not in the .so: it is linked once, into the host."
echo
echo "| module | .wasm bytes | wasm2c s | C bytes | configuration | cc s | .so bytes | .text bytes | dlopen ms | instantiate ms | call |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"
for m in collatz crc32 "${BIG_MODULES[@]}"; do
  case $m in
    collatz) exp=steps arg=27 n=$REPS ;;
    crc32) exp=pg_wasm_alloc arg=16 n=$REPS ;;
    big) exp=run_i32_i32 arg=1 n=$BIG_REPS ;;
  esac
  w2c=$(best_of "$REPS" wasm2c -n "$m" -o "$m.c" "$m.wasm")
  builds=("${CONFIGS[@]/%/ bounds}" "gcc -O2 guard")
  for b in "${builds[@]}"; do
    mode=0
    [ "${b##* }" = guard ] && mode=1
    cfg=${b% *}
    tag="${cfg// /}-${b##* }"
    log "$m: $b, best of $n"
    # shellcheck disable=SC2086
    s=$(best_of "$n" $cfg -shared -fPIC -w -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=$mode -I. -I"$RT" \
      -o "$m-$tag.so" $m.c glue_$m.c)
    call=n/a dl=n/a inst=n/a
    if [ $mode = 0 ]; then
      read -r _ r _ dl _ inst < <(./dlopen_check "./$m-$tag.so" "$m" "$exp" "$arg")
      call="$exp($arg) = $r"
    fi
    text=$(size -A "$m-$tag.so" | awk '$1 == ".text" { print $2 }')
    echo "| $m | $(stat -c %s "$m.wasm") | $w2c | $(stat -c %s "$m.c") | $b | $s | $(stat -c %s "$m-$tag.so") | $text | $dl | $inst | $call |"
  done
done
