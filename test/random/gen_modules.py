#!/usr/bin/env python3
"""Random valid WebAssembly modules from random bytes, for random_modules.sh.

    gen_modules.py --seed S --count N --out DIR [--jobs J]

Module i is binaryen's `wasm-opt --translate-to-fuzz` of random bytes drawn
from a generator seeded with (S, i), so a seed names the same modules on
every run. The features are those V8 10.2 takes (Wasm 2.0 without reference
types for most modules); a few modules get reference types too, which
binaryen 108 writes with its non-standard `anyref`, so the host must refuse
them cleanly.

translate-to-fuzz modules import "fuzzing-support" log-i32/i64/f32/f64/v128,
which no host provides. They become functions of the module that call the
host's real imports (pg_wasm's log, error, random, now, set_null and
arg_is_null; WASI's clocks, random, streams, sleep and exit; ClickHouse's
random) with pointers and lengths taken from the logged value, so the
random code reaches the host with random arguments. A few modules keep the
fuzzing imports (refused at load, 42704). A few export a random function as
pg_wasm_free or _initialize.

Every rewritten module also exports what pg_wasm's ABI and ClickHouse's
BUFFERED_V1 need (pg_wasm_abi_v1, pg_wasm_alloc, clickhouse_create_buffer,
clickhouse_destroy_buffer), so that its random exports can be declared as
functions returning text, rows, sets or MessagePack buffers: random code
then hands the host random pointers and lengths. text_len(ptr, len) makes
the host grow its argument area, and so call a random pg_wasm_free.

Writes DIR/mNNNN.wasm and DIR/manifest.tsv (name, variant).
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

# What V8 10.2 implements of Wasm 2.0, with and without reference types.
BASE_FEATURES = [
    "--mvp-features", "--enable-mutable-globals", "--enable-sign-ext",
    "--enable-nontrapping-float-to-int", "--enable-multivalue",
    "--enable-bulk-memory", "--enable-simd",
]
REFTYPES_FEATURES = BASE_FEATURES + ["--enable-reference-types"]

# As wasm2wat --generate-names prints them (binaryen's -g keeps the names).
FUZZ_IMPORT = re.compile(
    r'^\s*\(import "fuzzing-support" "log-(i32|i64|f32|f64|v128)" '
    r'\(func (\$\S+) \(type \$t\d+\)\)\)\n', re.M)
DEFINED_FUNC = re.compile(r'^  \(func (\$[^\s()]+) \(type', re.M)
# The loop budget binaryen gives every module: a global set to 10 by the
# export hangLimitInitializer and decremented by every loop and call.
HANG_LIMIT_INIT = re.compile(
    r'(\(func \$hangLimitInitializer \(type \$t\d+\)\s+i32\.const )10(\s+global\.set (\$g\d+)\))')

HOST_IMPORTS = """
 (import "pg_wasm" "log" (func $__pgw_log (param i32 i32 i32)))
 (import "pg_wasm" "error" (func $__pgw_error (param i32 i32)))
 (import "pg_wasm" "random" (func $__pgw_random (param i32 i32)))
 (import "pg_wasm" "now" (func $__pgw_now (result i64)))
 (import "pg_wasm" "server_version" (func $__pgw_server_version (result i32)))
 (import "pg_wasm" "set_null" (func $__pgw_set_null))
 (import "pg_wasm" "arg_is_null" (func $__pgw_arg_is_null (param i32) (result i32)))
 (import "wasi_snapshot_preview1" "clock_time_get" (func $__wasi_clock_time_get (param i32 i64 i32) (result i32)))
 (import "wasi_snapshot_preview1" "random_get" (func $__wasi_random_get (param i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "fd_write" (func $__wasi_fd_write (param i32 i32 i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "poll_oneoff" (func $__wasi_poll_oneoff (param i32 i32 i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $__wasi_fd_fdstat_get (param i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "fd_read" (func $__wasi_fd_read (param i32 i32 i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "args_sizes_get" (func $__wasi_args_sizes_get (param i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "proc_exit" (func $__wasi_proc_exit (param i32)))
 (import "env" "clickhouse_random" (func $__ch_random (param i32 i32)))
"""

# The logged value picks a host function and supplies its pointers and
# lengths. Rare choices (error, sleeping, writing to stdout) are kept rare so
# that most calls run on.
STUBS = {
    "i32": """
  (func {name} (param $x i32)
    (local $k i32)
    (local.set $k (i32.and (local.get $x) (i32.const 15)))
    (if (i32.eq (local.get $k) (i32.const 0))
      (then (call $__pgw_log (i32.const 0) (local.get $x)
              (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 1023)))))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then (call $__pgw_random (i32.shr_u (local.get $x) (i32.const 4))
              (i32.and (i32.shr_u (local.get $x) (i32.const 20)) (i32.const 255)))))
    (if (i32.eq (local.get $k) (i32.const 2))
      (then (drop (call $__pgw_arg_is_null (i32.shr_s (local.get $x) (i32.const 4))))))
    (if (i32.eq (local.get $k) (i32.const 3))
      (then (drop (call $__wasi_clock_time_get
              (i32.and (i32.shr_u (local.get $x) (i32.const 4)) (i32.const 7))
              (i64.const 1000) (i32.shr_u (local.get $x) (i32.const 7))))))
    (if (i32.eq (local.get $k) (i32.const 4))
      (then (drop (call $__wasi_random_get (i32.shr_u (local.get $x) (i32.const 12))
              (i32.and (i32.shr_u (local.get $x) (i32.const 4)) (i32.const 255))))))
    (if (i32.eq (i32.and (local.get $x) (i32.const 255)) (i32.const 5))
      (then (call $__pgw_error (i32.shr_u (local.get $x) (i32.const 8))
              (i32.and (i32.shr_u (local.get $x) (i32.const 24)) (i32.const 63)))))
    (if (i32.eq (local.get $k) (i32.const 7))
      (then (drop (call $__wasi_fd_fdstat_get (i32.and (i32.shr_u (local.get $x) (i32.const 4)) (i32.const 3))
              (i32.shr_u (local.get $x) (i32.const 6))))))
    (if (i32.eq (local.get $k) (i32.const 8))
      (then (drop (call $__wasi_fd_read (i32.and (i32.shr_u (local.get $x) (i32.const 4)) (i32.const 1))
              (i32.shr_u (local.get $x) (i32.const 8)) (i32.and (local.get $x) (i32.const 3))
              (i32.shr_u (local.get $x) (i32.const 12))))))
    (if (i32.eq (local.get $k) (i32.const 9))
      (then (drop (call $__wasi_args_sizes_get (i32.shr_u (local.get $x) (i32.const 4))
              (i32.shr_u (local.get $x) (i32.const 12))))))
    (if (i32.eq (local.get $k) (i32.const 10))
      (then (call $__ch_random (i32.shr_u (local.get $x) (i32.const 12))
              (i32.and (i32.shr_u (local.get $x) (i32.const 4)) (i32.const 255)))))
    (if (i32.eq (i32.and (local.get $x) (i32.const 65535)) (i32.const 0x0909))
      (then (call $__wasi_proc_exit (i32.and (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 1)))))
    (if (i32.eq (i32.and (local.get $x) (i32.const 4095)) (i32.const 6))
      (then (drop (call $__wasi_poll_oneoff (i32.shr_u (local.get $x) (i32.const 12))
              (i32.const 256) (i32.and (i32.shr_u (local.get $x) (i32.const 28)) (i32.const 3))
              (i32.const 512))))))""",
    "i64": """
  (func {name} (param $x i64)
    (local $k i32)
    (local.set $k (i32.wrap_i64 (i64.and (local.get $x) (i64.const 7))))
    (if (i32.eq (local.get $k) (i32.const 0)) (then (call $__pgw_set_null)))
    (if (i32.eq (local.get $k) (i32.const 1)) (then (drop (call $__pgw_now))))
    (if (i32.eq (local.get $k) (i32.const 2)) (then (drop (call $__pgw_server_version))))
    (if (i32.eq (local.get $k) (i32.const 3))
      (then (call $__pgw_log
              (i32.wrap_i64 (i64.and (i64.shr_u (local.get $x) (i64.const 3)) (i64.const 7)))
              (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 32)))
              (i32.wrap_i64 (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 255))))))
    (if (i32.eq (i32.wrap_i64 (i64.and (local.get $x) (i64.const 255))) (i32.const 4))
      (then (drop (call $__wasi_fd_write
              (i32.wrap_i64 (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 3)))
              (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 32)))
              (i32.wrap_i64 (i64.and (i64.shr_u (local.get $x) (i64.const 10)) (i64.const 3)))
              (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 12))))))))""",
    "f32": """
  (func {name} (param $x f32)
    (if (f32.lt (local.get $x) (f32.const 0)) (then (drop (call $__pgw_now)))))""",
    "f64": """
  (func {name} (param $x f64)
    (if (f64.ne (local.get $x) (local.get $x)) (then (drop (call $__pgw_server_version)))))""",
    "v128": """
  (func {name} (param $x v128))""",
}

# pg_wasm's ABI and ClickHouse's BUFFERED_V1 for the random exports: memory
# from the top of memory 0, and buffer headers at a fixed place. The random
# code may overwrite all of it, which is the point.
ABI_EXPORTS = """
 (func $__pg_wasm_abi_v1)
 (func $__pg_wasm_alloc (param $n i32) (result i32)
  (local $top i32)
  (local.set $top (i32.shl (memory.size) (i32.const 16)))
  (select (i32.const 0)
   (i32.and (i32.sub (local.get $top) (local.get $n)) (i32.const -8))
   (i32.gt_u (local.get $n) (local.get $top))))
 (func $__ch_create (param $n i32) (result i32)
  (i32.store (i32.const 64) (call $__pg_wasm_alloc (local.get $n)))
  (i32.store (i32.const 68) (local.get $n))
  (i32.const 64))
 (func $__ch_destroy (param $h i32))
 (func $__text_len (param $p i32) (param $n i32) (result i32) (local.get $n))
 (export "pg_wasm_abi_v1" (func $__pg_wasm_abi_v1))
 (export "pg_wasm_alloc" (func $__pg_wasm_alloc))
 (export "clickhouse_create_buffer" (func $__ch_create))
 (export "clickhouse_destroy_buffer" (func $__ch_destroy))
 (export "text_len" (func $__text_len))
"""


def rewrite(wat, rng):
    """Fuzzing imports become calls to the host's; adds the ABI exports."""
    imports = FUZZ_IMPORT.findall(wat)
    body = FUZZ_IMPORT.sub("", wat)
    stubs = "".join(STUBS[t].format(name=name) for t, name in imports)
    head, sep, rest = body.partition("\n")
    assert head == "(module", head
    extras = ABI_EXPORTS if re.search(r"^  \(memory ", body, re.M) else ""
    # Now and then a random function serves as pg_wasm_free (whatever its
    # type: the host calls it when the argument area grows) or as a WASI
    # reactor's _initialize (called when the module is instantiated).
    funcs = DEFINED_FUNC.findall(body)
    if extras and funcs and rng.random() < 0.01:
        extras += f' (export "pg_wasm_free" (func {rng.choice(funcs)}))\n'
    invokers = [f for f in funcs if f.endswith("_invoker")]
    if invokers and rng.random() < 0.04:
        extras += f' (export "_initialize" (func {rng.choice(invokers)}))\n'
    end = rest.rstrip().rfind(")")
    return head + sep + HOST_IMPORTS + rest[:end] + stubs + extras + rest[end:]


def without_hang_limit(wat):
    """Loops may then run for ever: statement_timeout must stop them."""
    m = HANG_LIMIT_INIT.search(wat)
    if not m:
        return wat
    wat = HANG_LIMIT_INIT.sub(r"\g<1>2147483647\2", wat)
    return wat.replace(f"(global {m.group(3)} (mut i32) (i32.const 10))",
                       f"(global {m.group(3)} (mut i32) (i32.const 2147483647))")


def generate(seed, index, out_dir, tmp_dir):
    rng = random.Random(f"{seed}:{index}")
    name = f"m{index:04d}"
    roll = rng.random()
    if roll < 0.06:
        variant, features = "reftypes", REFTYPES_FEATURES
    elif roll < 0.09:
        variant, features = "fuzz-imports", BASE_FEATURES
    elif roll < 0.095:
        variant, features = "no-hang-limit", BASE_FEATURES
    else:
        variant, features = "host-imports", BASE_FEATURES
    raw = os.path.join(tmp_dir, name + ".bin")
    fuzzed = os.path.join(tmp_dir, name + ".wasm")
    wat = os.path.join(tmp_dir, name + ".wat")
    out = os.path.join(out_dir, name + ".wasm")
    with open(raw, "wb") as f:
        f.write(rng.randbytes(rng.choice([200, 1000, 3000, 6000, 12000])))
    run = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    if variant in ("reftypes", "fuzz-imports"):
        subprocess.run(["wasm-opt", "-ttf", raw, "-o", out] + features, **run)
        return name, variant
    # Through wabt's text format, which round-trips exactly (binaryen 108's
    # own does not always); -g keeps binaryen's names for the rewrite.
    subprocess.run(["wasm-opt", "-ttf", raw, "-g", "-o", fuzzed] + features, **run)
    subprocess.run(["wasm2wat", "--generate-names", fuzzed, "-o", wat], **run)
    with open(wat) as f:
        text = rewrite(f.read(), rng)
    if variant == "no-hang-limit":
        text = without_hang_limit(text)
    with open(wat, "w") as f:
        f.write(text)
    subprocess.run(["wat2wasm", wat, "-o", out], **run)
    return name, variant


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(generate, args.seed, i, args.out, tmp) for i in range(args.count)]
        rows = []
        for fut in futures:
            try:
                rows.append(fut.result())
            except subprocess.CalledProcessError as e:
                sys.exit(f"gen_modules: {' '.join(e.cmd)} failed:\n{e.stderr.decode()}")
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for name, variant in rows:
            f.write(f"{name}\t{variant}\n")


if __name__ == "__main__":
    main()
