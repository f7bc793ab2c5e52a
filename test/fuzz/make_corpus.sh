#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora, at test time (none is committed).
#
#   make_corpus.sh OUT_DIR SPEC_SUITE_DIR [--components DIR] [GUEST_DIR...]
#
# OUT_DIR/binary: every module of the spec suite's scripts (wast2json), the
#   guests' binaries in GUEST_DIRs (a build tree's guests/), and the
#   repository's .wat guests and examples assembled (wat2wasm).
# OUT_DIR/text: every text module of the spec suite's scripts
#   (wast_modules.py) and its quoted, mostly malformed ones (wast2json), the
#   repository's .wat files, and the guests' binaries in the text format
#   (wasm2wat) when that is under 64 KiB.
# OUT_DIR/object: shared objects compiled from object_seed.c (cc) as the
#   native engine links a module's, one that passes object_check and some
#   that it refuses, and the stand-in runtime they link.
# OUT_DIR/native: the guests' binaries in GUEST_DIRs of at most 1 KiB and
#   two of their modules of names made to break C (hostile_names.py: one with
#   a name section, one with imports), and the repository's .wat guests of at
#   most 1 KiB assembled: modules the native build target runs as they are.
#   Each costs a build (gcc, 0.2 to 0.5 s) every time the target starts, so
#   there are only about twenty.
# OUT_DIR/component, with --components: the components in DIR (a build
#   tree's components/, made by jco at build time; not the *.core.wasm
#   modules beside them). It fails if DIR holds none.
# Files are named by their content's hash, so duplicates collapse.
set -euo pipefail
shopt -s nullglob
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$1
SPEC=$2
shift 2
COMPONENTS=
if [ "${1-}" = --components ]; then COMPONENTS=$2; shift 2; fi

for tool in wast2json wat2wasm wasm2wat python3 cc; do
  command -v $tool >/dev/null || { echo "make_corpus: $tool not found (package wabt / python3 / gcc)" >&2; exit 1; }
done
[ -d "$SPEC" ] || { echo "make_corpus: no spec test suite at $SPEC" >&2; exit 1; }
# Checked first: a missing component seed fails before the long part.
components=()
if [ -n "$COMPONENTS" ]; then
  for wasm in "$COMPONENTS"/*.wasm; do
    # A component's preamble: \0asm, version 0x0d, layer 1.
    case $wasm in *.core.wasm) continue ;; esac
    if [ "$(head -c 8 "$wasm" | od -An -tx1 | tr -d ' \n')" = 0061736d0d000100 ]; then
      components+=("$wasm")
    fi
  done
  [ ${#components[@]} -gt 0 ] || {
    echo "make_corpus: no components in $COMPONENTS: the ordinary build makes them" \
      "(build/components, test/components); build it first or pass --components DIR" >&2
    exit 1
  }
fi

rm -rf "$OUT"
mkdir -p "$OUT/binary" "$OUT/text" "$OUT/native"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

seed() { python3 "$HERE/add_seeds.py" "$@"; }

mkdir "$TMP/spec" "$TMP/spec_text"
for script in "$SPEC"/*.wast; do
  name=$(basename "$script" .wast)
  wast2json -o "$TMP/spec/$name.json" "$script" >/dev/null ||
    echo "make_corpus: wast2json failed on $script" >&2
done
python3 "$HERE/wast_modules.py" "$TMP/spec_text" "$SPEC"/*.wast
seed "$OUT/binary" "$TMP"/spec/*.wasm
seed "$OUT/text" "$TMP"/spec/*.wat "$TMP"/spec_text/*.wat

mapfile -t wats < <(find "$ROOT/test" "$ROOT/examples" -name '*.wat' | sort)
seed "$OUT/text" "${wats[@]}"
mkdir "$TMP/wat"
for wat in "${wats[@]}"; do
  wat2wasm -o "$TMP/wat/$(basename "$wat" .wat).wasm" "$wat" 2>/dev/null || true  # bad_syntax.wat
done
seed "$OUT/binary" "$TMP"/wat/*.wasm
seed --max-size 1024 "$OUT/native" "$TMP"/wat/*.wasm

mkdir "$TMP/guest_text"
for dir in "$@"; do
  [ -d "$dir" ] || continue
  for wasm in "$dir"/*.wasm; do
    wasm2wat -o "$TMP/guest_text/$(basename "$wasm" .wasm).wat" "$wasm" 2>/dev/null || true
  done
  seed "$OUT/binary" "$dir"/*.wasm
  seed --max-size 1024 "$OUT/native" "$dir"/*.wasm
  for wasm in "$dir"/hostile_names_0.wasm "$dir"/hostile_names_imports.wasm; do
    if [ -f "$wasm" ]; then seed "$OUT/native" "$wasm"; fi
  done
done
seed --max-size 65536 "$OUT/text" "$TMP"/guest_text/*.wat

[ ${#components[@]} -eq 0 ] || seed "$OUT/component" "${components[@]}"

# The module objects in a directory below their runtime's, linked with
# build.cc's flags; one variant without -nostartfiles.
mkdir -p "$TMP/object/m"
cc -shared -fPIC -O2 -DSEED_RUNTIME "$HERE/object_seed.c" -o "$TMP/object/wasm-rt-fuzz.so"
for variant in PLAIN CTOR IFUNC EXPORT STARTFILES; do
  start=-nostartfiles
  [ $variant != STARTFILES ] || start=
  cc -shared -fPIC -O2 -w -fvisibility=hidden -fsignaling-nans $start "-DSEED_$variant" \
    "$HERE/object_seed.c" -o "$TMP/object/m/$variant.so" -L"$TMP/object" -l:wasm-rt-fuzz.so \
    '-Wl,-rpath,$ORIGIN/..' -lm
done
seed "$OUT/object" "$TMP"/object/*.so "$TMP"/object/m/*.so

# count DIR: "<files> seeds, <bytes> bytes"
count() { echo "$(ls "$1" | wc -l) seeds, $(cat "$1"/* | wc -c) bytes"; }
summary="binary $(count "$OUT/binary"); text $(count "$OUT/text"); object $(count "$OUT/object")"
summary+="; native $(count "$OUT/native")"
[ -z "$COMPONENTS" ] || summary+="; component $(count "$OUT/component")"
echo "make_corpus: $summary; in $OUT"
