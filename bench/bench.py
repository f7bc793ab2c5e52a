#!/usr/bin/env python3
"""The pg_wasm benchmark driver, run by bench/run.sh once its cluster is up and
bench/setup.sql has made the functions. Talks to the server only through psql
(PGHOST, PGPORT, PGUSER and PGDATABASE come from the environment) and prints
one report: the four implementations side by side, the Wasm tiering
comparison, cold first calls, cancel latency and the foreign data wrappers
(a Wasm FDW against a C set-returning function, file_fdw and COPY FROM
PROGRAM; planning time), the two engines (V8 and native) in every row where a
Wasm guest runs, their compile latency and cold first calls, each native
ratio against its target (docs/benchmarks.md); the first query in a new
session on big modules (a 12.5 MB JavaScript component, a 1.26 MB Rust
module) and their native builds; and, with --chart, an SVG of the ratios."""

import argparse
import ctypes
import ctypes.util
import datetime
import html
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# "native" cells are the wasm functions again, on the native engine
# (wasm.engine = native), switched for them in the same rounds as the others;
# "wasm" cells run on V8 (wasm.engine = v8, set for every session below).
IMPLS = ("wasm", "plpgsql", "plpython", "c")
# The row order of the side-by-side tables and of the chart.
COLUMNS = ("c", "plpgsql", "plpython", "wasm", "native")
NAMES = {"c": "C", "plpgsql": "PL/pgSQL", "plpython": "PL/Python", "wasm": "V8",
         "native": "native", "builtin": "builtin SQL"}
TIERINGS = ("optimizing", "baseline", "dynamic")
TIMEOUT_MS = 100  # statement_timeout for the cancel measurement

# Every session runs with JIT off, so the executor does the same work around
# every kind of function, and without parallel query: built-in functions are
# PARALLEL SAFE and ours are not declared so, and a query split over workers
# would measure the number of cores instead of the function.
# wasm.engine = v8 pins the V8 column: `auto` may come to mean native.
BASE_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0 -c wasm.engine=v8"

# The native engine's targets (docs/benchmarks.md, "Targets"): its time /
# the C function's (ms and MB for the cold call), by workload key.
TARGETS = {
    "fib50": 1.5, "fib5000": 1.15, "collatz": 1.15, "fibrec": 1.5, "add": 1.3,
    "slugify": 1.5, "json_get": 1.1,
    "first_call_ms": 5.0, "rss_mb": 5.0,
}
# The target for a Wasm FDW's scan, against a C set-returning function.
FDW_SCAN_TARGET = 2.0
# The component target: a scan through a supabase:wrappers component against
# the same scan through the equivalent core-ABI guest.
COMPONENT_TARGET = 1.2
# The component function target on the native engine: a SQL function over a
# component export (WIT types mapped by the host) against the same function
# through pg_wasm's own ABI.
COMPONENT_FUNCTION_TARGET = 1.3


def verdict(value, target):
    """"met (12% under)" or "missed by 30%", for a value that must not exceed
    the target."""
    if value <= target:
        return f"met ({(1 - value / target) * 100:.0f}% under)"
    return f"missed by {(value / target - 1) * 100:.0f}%"


def workloads(quick):
    """(key, label, query with {f} for the function prefix). --quick shrinks
    the big inputs to check the script, not to measure."""
    collatz_n = 10_000 if quick else 1_000_000
    add_n = 100_000 if quick else 10_000_000
    fibrec_n = 20 if quick else 32
    return [
        ("fib50", "fib(50) x 1000", "SELECT sum({f}_fib(50)) FROM generate_series(1, 1000)"),
        ("fib500", "fib(500) x 1000", "SELECT sum({f}_fib(500)) FROM generate_series(1, 1000)"),
        ("fib5000", "fib(5000) x 1000",
         "SELECT sum({f}_fib(5000)) FROM generate_series(1, 1000)"),
        ("collatz", f"collatz(i), i = 1..{collatz_n:,}",
         f"SELECT sum({{f}}_collatz(i)) FROM generate_series(1, {collatz_n}) i"),
        ("fibrec", f"recursive fib({fibrec_n}), 1 call", f"SELECT {{f}}_fibrec({fibrec_n})"),
        ("add", f"add(i, i), i = 1..{add_n:,}",
         f"SELECT sum({{f}}_add(i, i)) FROM generate_series(1, {add_n}) i"),
    ]


# Implementations a workload has not (a recursive fib in PL/pgSQL would be
# 7 million PL/pgSQL calls: minutes).
MISSING = {("fibrec", "plpgsql")}


def text_workloads(quick):
    """(key, label, query with {f} for the implementation, builtin), for the
    text and JSON table: sums of hashtext over all rows, so that every
    implementation must produce the same texts."""
    rows = 10_000 if quick else 1_000_000
    builtin = {
        "slugify": "trim(BOTH '-' FROM regexp_replace(lower(s), '[^a-z0-9\\x80-\\U0010FFFF]+', '-', 'g'))",
        "json_get": "doc ->> 'email'",
    }
    def q(call, table):
        return f"SELECT sum(hashtext({call})) FROM bench.{table} WHERE id <= {rows}"
    return [
        ("slugify", f"slugify(text), {rows:,} rows", q("{f}_slugify(s)", "texts"),
         q(builtin["slugify"], "texts")),
        ("json_get", f"json field (->>), {rows:,} rows", q("{f}_json_get(doc, 'email')", "docs"),
         q(builtin["json_get"], "docs")),
    ]


# (key, label, {implementation: time / C's}, native target or None) per
# workload, for the chart; and (what, target, measured, verdict) for the
# report's last table.
CHART = []
SUMMARY = []


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def die(msg):
    sys.exit(f"bench: FAILED: {msg}")


def psql(script, options=""):
    """Runs a psql script in a new session; returns its output lines. Progress
    (\\warn) goes to our stderr."""
    env = dict(os.environ, PGOPTIONS=f"{BASE_OPTIONS} {options}".strip())
    run = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                         input=script, text=True, stdout=subprocess.PIPE, env=env)
    if run.returncode != 0:
        die(f"psql exited with {run.returncode} (options: {options or 'none'})")
    return run.stdout.splitlines()


def query_value(sql, options=""):
    return psql(sql + ";\n", options)[0]


def measure(cells, warmup, reps, options="", what="", prelude=None):
    """Times each (key, query) cell in one session: `warmup` untimed rounds,
    then `reps` timed rounds, every round running every cell once (so that
    background noise spreads over all cells). A cell (key, query, "native")
    runs on the native engine. The prelude, a query, runs first, untimed.
    Returns {key: [timed ms, ...]}, {key: ms of the first round} and {key:
    set of results}."""
    lines, order = [], []
    if prelude:
        lines.append(f"{prelude} \\gset")
    for r in range(warmup + reps):
        kind = "warm-up" if r < warmup else "timed"
        lines.append(f"\\warn bench: {what} round {r + 1}/{warmup + reps} ({kind})")
        for key, query, *engine in cells:
            native = engine == ["native"] or (isinstance(key, tuple) and key[-1] == "native")
            if native:
                lines.append("SET wasm.engine = native;")
            if query.startswith("bench."):  # a call of another bench.run_* function
                lines.append(f"SELECT ms, result FROM {query};")
            else:
                assert "$q$" not in query
                lines.append(f"SELECT ms, result FROM bench.run($q${query}$q$);")
            if native:
                lines.append("RESET wasm.engine;")
            order.append((key, r >= warmup))
    out = psql("\n".join(lines) + "\n", options)
    if len(out) != len(order):
        die(f"expected {len(order)} timings from psql, got {len(out)}")
    times, firsts, results = {}, {}, {}
    for (key, timed), line in zip(order, out):
        ms, result = line.split("|", 1)
        results.setdefault(key, set()).add(result)
        firsts.setdefault(key, float(ms))
        if timed:
            times.setdefault(key, []).append(float(ms))
    return times, firsts, results


def check_agree(label, results_by_impl):
    """Every run of every implementation must have returned the same value."""
    values = set().union(*results_by_impl.values())
    if len(values) != 1:
        detail = ", ".join(f"{k}={sorted(v)}" for k, v in results_by_impl.items())
        die(f"{label}: implementations disagree: {detail}")


def check_fib_values():
    """fib(n) for the benchmark's n, row by row: the four must agree."""
    cols = ", ".join(f"{f}_fib(n)" for f in IMPLS)
    for line in psql(f"SELECT n, {cols} FROM unnest(ARRAY[50, 500, 5000]) n;\n"):
        n, *values = line.split("|")
        if len(set(values)) != 1:
            die(f"fib({n}) differs: " + ", ".join(f"{f}={v}" for f, v in zip(IMPLS, values)))


class Libpq:
    """libpq through ctypes (the library psql itself uses; no new dependency),
    so that a new connection's cost is measured without starting a client
    process. Connects as psql does (PGHOST, PGPORT, PGUSER, PGDATABASE)."""

    def __init__(self):
        lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for name, res, argtypes in [
                ("PQconnectdb", vp, [cp]), ("PQstatus", i, [vp]), ("PQerrorMessage", cp, [vp]),
                ("PQexec", vp, [vp, cp]), ("PQresultStatus", i, [vp]),
                ("PQresultErrorMessage", cp, [vp]), ("PQgetvalue", cp, [vp, i, i]),
                ("PQclear", None, [vp]), ("PQfinish", None, [vp])]:
            f = getattr(lib, name)
            f.restype, f.argtypes = res, argtypes
        self.notice_type = ctypes.CFUNCTYPE(None, vp, cp)
        lib.PQsetNoticeProcessor.restype = vp
        lib.PQsetNoticeProcessor.argtypes = [vp, self.notice_type, vp]
        self.lib = lib
        self.processors = {}

    def connect(self, options="", notices=None):
        """A new connection; with a list as `notices`, the server's messages
        to the client (as client_min_messages lets through) are appended to
        it instead of printed."""
        opts = f"{BASE_OPTIONS} {options}".strip().replace("\\", "\\\\").replace("'", "\\'")
        conn = self.lib.PQconnectdb(f"options='{opts}'".encode())
        if self.lib.PQstatus(conn) != 0:  # CONNECTION_OK
            msg = self.lib.PQerrorMessage(conn).decode(errors="replace")
            self.lib.PQfinish(conn)
            die(f"could not connect: {msg}")
        if notices is not None:
            proc = self.notice_type(lambda _, msg: notices.append(msg.decode(errors="replace")))
            self.processors[conn] = proc  # kept alive for as long as the connection
            self.lib.PQsetNoticeProcessor(conn, proc, None)
        return conn

    def value(self, conn, sql):
        """The first value of a query's result."""
        res = self.lib.PQexec(conn, sql.encode())
        try:
            if self.lib.PQresultStatus(res) != 2:  # PGRES_TUPLES_OK
                die(f"{sql}: {self.lib.PQresultErrorMessage(res).decode(errors='replace')}")
            return self.lib.PQgetvalue(res, 0, 0).decode()
        finally:
            self.lib.PQclear(res)

    def close(self, conn):
        self.lib.PQfinish(conn)
        self.processors.pop(conn, None)


def backend_memory(pid):
    """VmRSS, RssFile and VmHWM (peak RSS) of a backend in kB
    (/proc/<pid>/status), or None where it cannot be read (not root)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    return {k: int(re.search(rf"^{k}:\s+(\d+) kB", text, re.M).group(1))
            for k in ("VmRSS", "RssFile", "VmHWM")}


def cold_sample(pq, call, options):
    """A new connection: the time of connecting and making the first call
    (client side, no client process started), the backend's memory after it,
    and the time of the same call again."""
    t0 = time.perf_counter()
    conn = pq.connect(options)
    result = pq.value(conn, call)
    t1 = time.perf_counter()
    memory = backend_memory(pq.value(conn, "SELECT pg_backend_pid()"))
    t2 = time.perf_counter()
    pq.value(conn, call)
    t3 = time.perf_counter()
    pq.close(conn)
    time.sleep(0.02)  # lets the backend exit before the next one starts
    return (t1 - t0) * 1000, (t3 - t2) * 1000, memory, result


# The cold-call rows: (label, first call, options). The first, a plain
# connection's SELECT 1, is what the others are measured against.
COLD_KINDS = [
    ("plain connection (SELECT 1)", "SELECT 1", ""),
    ("V8", "SELECT wasm_fib(50)", "-c wasm.engine=v8"),
    ("native", "SELECT wasm_fib(50)", "-c wasm.engine=native"),
    ("PL/pgSQL", "SELECT plpgsql_fib(50)", ""),
    ("PL/Python", "SELECT plpython_fib(50)", ""),
    ("C", "SELECT c_fib(50)", ""),
]


def cold_rows(pq, kinds, samples, preloaded):
    """Interleaves `samples` new connections of every kind, after one untimed
    round (which also brings a restarted server's caches back). A kind's
    first call is the median of its connect + call minus the plain
    connection's median; its memory, the median VmRSS over the plain
    backend's."""
    got = {}
    for sample in range(samples + 1):
        for label, call, options in kinds:
            first, second, memory, result = cold_sample(pq, call, options)
            if sample:
                got.setdefault(label, []).append((first, second, memory, result))
    values = {g[3] for label, _, _ in kinds[1:] for g in got[label]}
    if len(values) != 1:
        die(f"the cold calls disagree: {sorted(values)}")

    def med(label, f):
        return statistics.median(f(g) for g in got[label])

    plain = med(kinds[0][0], lambda g: g[0])
    have_memory = all(g[2] for runs in got.values() for g in runs)
    if have_memory:
        plain_rss = med(kinds[0][0], lambda g: g[2]["VmRSS"])
        plain_file = med(kinds[0][0], lambda g: g[2]["RssFile"])
    rows = []
    for label, _, _ in kinds:
        total = med(label, lambda g: g[0])
        first = total - plain
        row = [label, "yes" if preloaded else "no", fmt_ms(total),
               "-" if label == kinds[0][0] else fmt_ms(first),
               fmt_ms(med(label, lambda g: g[1]))]
        target_first = target_rss = ""
        if have_memory:
            rss = med(label, lambda g: g[2]["VmRSS"])
            extra = (rss - plain_rss) / 1024
            row += [f"{rss / 1024:.1f}", f"{extra:+.1f}",
                    f"{(med(label, lambda g: g[2]['RssFile']) - plain_file) / 1024:+.1f}"]
        else:
            row += ["n/a", "n/a", "n/a"]
        if label == "native" and not preloaded:
            target_first = verdict(first, TARGETS["first_call_ms"])
            SUMMARY.append(("first call in a new connection (no preload), ms",
                            f"<= {TARGETS['first_call_ms']:g}", fmt_ms(first), target_first))
            if have_memory:
                target_rss = verdict(max(extra, 0), TARGETS["rss_mb"])
                SUMMARY.append(("backend RSS after it, MB over a plain backend",
                                f"<= +{TARGETS['rss_mb']:g}", f"{extra:+.1f}", target_rss))
        rows.append(row + [target_first, target_rss])
    return rows


def cold_section(args, report, pq):
    log("cold calls")
    rows = cold_rows(pq, COLD_KINDS, args.cold, preloaded=False)
    if not args.no_preload:
        log("cold calls with shared_preload_libraries = 'pg_wasm' (restarting the cluster)")
        set_preload("pg_wasm", args)
        try:
            rows += cold_rows(pq, COLD_KINDS[:3], args.cold, preloaded=True)
        finally:
            set_preload("", args)
    report += ["", f"## Cold call: fib(50) as the first call of a new connection (median of "
               f"{args.cold} connections per row after 1 untimed round, client-side time)", ""]
    report += table(["first call of", "preloaded", "connect + call", "first call",
                     "second call", "RSS MB", "+RSS MB", "+file MB", "first call vs <= 5 ms",
                     "+RSS vs <= 5 MB"], rows)
    report += ["", "connect + call: a new connection (libpq from Python, no client process) "
               "and the first call, client side; first call: that minus the plain "
               "connection's connect + SELECT 1 (the medians'). RSS: VmRSS of the backend "
               "(/proc/<pid>/status) after the first call; +RSS: over the plain backend's; "
               "+file: of which file-mapped (RssFile: shared libraries). Targets: "
               "for the native engine without shared_preload_libraries; its artifact is "
               "already built (as it is after a module's first use)."]


def remove_module_builds(cache, sha256):
    """Removes a module's native builds (a directory named by the start of
    its sha256, somewhere in the native engine's cache), so that its next
    native first use builds for real; what the cache shares between modules
    (wasm2c's runtime, built once) stays. Returns how many it removed."""
    removed = 0
    for dirpath, dirnames, _ in os.walk(cache):
        for d in list(dirnames):
            if len(d) >= 16 and sha256.startswith(d):
                shutil.rmtree(os.path.join(dirpath, d))
                dirnames.remove(d)
                removed += 1
    return removed


def compile_section(args, report):
    """From wasm.load_module to code ready, per engine, for a small module and
    a > 1 MB one: in a new session (V8 started first, and for native the
    native engine, untimed), load_module_file (which compiles the module
    with the session's engine: V8 lazily; the native engine builds it,
    wasm2c and the C compiler), then the first call (instantiation, and on V8
    the compilation of the functions the call runs), then a second call (the
    call's own time). The module's builds are removed from the native engine's cache
    ($PGDATA/pg_wasm_native) before every sample, so every native first call
    really builds."""
    cache = os.path.join(query_value("SHOW data_directory"), "pg_wasm_native")
    modules = [("small (examples/fib.c)", "fib", "fib.wasm", "SELECT wasm_fib(50)"),
               ("big (bench/native/big.rs, Rust std)", "big", "big.wasm", "SELECT wasm_big(1)")]
    if args.quick:
        modules = modules[:1]
    got, results = {}, {}
    # load_module_file of the same code changes nothing and returns its sha256.
    sha = {name: query_value(f"SELECT wasm.load_module_file('{name}', "
                             f"'{os.path.join(args.data_dir, file)}', replace => true)")
           for _, name, file, _ in modules}
    for sample in range(args.compile):
        for label, name, file, call in modules:
            for engine in ("v8", "native"):
                log(f"compile latency: {name} on {engine} ({sample + 1}/{args.compile})")
                remove_module_builds(cache, sha[name])
                path = os.path.join(args.data_dir, file)
                script = "SELECT wasm_add(1, 1);\n"
                if engine == "native":
                    script += "SET wasm.engine = native;\nSELECT wasm_add(1, 1);\n"
                script += (f"SELECT ms FROM bench.run($q$SELECT wasm.load_module_file('{name}', "
                           f"'{path}', replace => true)$q$);\n"
                           f"SELECT ms, result FROM bench.run($q${call}$q$);\n"
                           f"SELECT ms, result FROM bench.run($q${call}$q$);\n")
                out = psql(script)
                if engine == "native" and not remove_module_builds(cache, sha[name]):
                    die(f"compile latency: no native build of {name} found in {cache} to remove")
                load = float(out[-3])
                first, r1 = out[-2].split("|", 1)
                second, r2 = out[-1].split("|", 1)
                results.setdefault(label, set()).update({r1, r2})
                got.setdefault((label, engine), []).append((load, float(first), float(second)))
    for label, values in results.items():
        if len(values) != 1:
            die(f"compile latency {label}: the engines disagree: {sorted(values)}")
    rows = []
    for label, name, file, _ in modules:
        size = os.path.getsize(os.path.join(args.data_dir, file))
        for engine in ("v8", "native"):
            runs = got[(label, engine)]
            load, first, second = (statistics.median(r[i] for r in runs) for i in range(3))
            ready = [r[0] + r[1] - r[2] for r in runs]
            rows.append([label, f"{size:,}", NAMES["wasm" if engine == "v8" else engine],
                         fmt_ms(load), fmt_ms(first), fmt_ms(second),
                         fmt_ms(statistics.median(ready)), fmt_ms(min(ready)),
                         fmt_ms(max(ready))])
            if engine == "native":
                SUMMARY.append((f"load_module to native code, {label}, ms", "(report)",
                                fmt_ms(statistics.median(ready)), ""))
    report += ["", f"## Compile latency: from wasm.load_module to code ready, per engine "
               f"(median of {args.compile} new sessions each, timed in the server)", ""]
    report += table(["module", ".wasm bytes", "engine", "load_module", "first call",
                     "second call", "load to ready", "min", "max"], rows)
    report += ["", "load_module: wasm.load_module_file of the module (already in the catalog "
               "with the same code, so no catalog write), which validates it and compiles it "
               "with the session's engine: V8 lazily (each function at its first call), the "
               "native engine by building it (wasm2c, the C compiler, dlopen) synchronously "
               "with wasm.engine = native. First call: instantiation, and on V8 the "
               "compilation of what the call runs. Load to ready: load_module + first call - "
               "second call (the call's own time). The module's native builds are removed from "
               "the cache ($PGDATA/pg_wasm_native; wasm2c's runtime, shared by every module, "
               "stays) before every sample."]


# ---------------------------------------------------------------------------
# Big modules: the first query in a new session


# The targets of the big-module rows (docs/benchmarks.md, "Big modules").
STARTUP_TARGETS = {
    "js_first_ms": 150.0, "js_later_ms": 20.0, "rust_first_ms": 20.0,
    "js_build_s": 300.0, "js_build_mb": 2048.0, "rust_build_s": 15.0, "js_rss_mb": 40.0,
}
# The JavaScript component's foreign table: the postgres-wasm-fdw template's
# (test/regress/sql/fdw_supabase_js.sql), over GitHub's first page of events.
JS_QUERY = "SELECT format('%s/%s', count(*), sum(hashtext(id || type))) FROM bench.js_events"
JS_ROWS = 30


class BuildSampler(threading.Thread):
    """Every 50 ms, the processes under the postmaster that are not
    PostgreSQL's own (wasm2c, cc, cc1, as, ld: a native build's tools): the
    largest sum of their VmRSS seen, and the largest VmHWM (peak RSS, which
    also catches a spike between two samples) of any one of them."""

    def __init__(self, postmaster):
        super().__init__(daemon=True)
        self.postmaster = postmaster
        self.done = threading.Event()
        self.peak_sum_kb = 0
        self.peak_one = (0, "")  # kB, name
        self.names = set()

    def sample(self):
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses.
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append((int(entry), comm))
        total, todo = 0, [self.postmaster]
        while todo:
            for pid, comm in children.get(todo.pop(), []):
                todo.append(pid)
                if comm == "postgres":
                    continue
                memory = read_status(pid, ("VmRSS", "VmHWM"))
                if not memory:
                    continue
                self.names.add(comm)
                total += memory["VmRSS"]
                if memory["VmHWM"] > self.peak_one[0]:
                    self.peak_one = (memory["VmHWM"], comm)
        self.peak_sum_kb = max(self.peak_sum_kb, total)

    def run(self):
        while not self.done.is_set():
            self.sample()
            self.done.wait(0.05)

    def stop(self):
        self.done.set()
        self.join()


def read_status(pid, keys):
    """Fields of /proc/<pid>/status in kB, or None (gone, or a kernel thread
    without them)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    found = {k: re.search(rf"^{k}:\s+(\d+) kB", text, re.M) for k in keys}
    if not all(found.values()):
        return None
    return {k: int(m.group(1)) for k, m in found.items()}


def module_dirs(cache, sha256):
    """The module's directories in the native engine's cache (named by the
    start of its sha256, under the database's directory)."""
    return [os.path.join(dirpath, d) for dirpath, dirnames, _ in os.walk(cache)
            for d in dirnames if len(d) >= 16 and sha256.startswith(d)]


def native_build(pq, cache, name, path, sha256):
    """Builds a module on the native engine in a new session (wasm.engine =
    native: the session builds, synchronously, in wasm.load_module_file of
    its own code), sampling the build's processes. Returns (ms or None,
    refusal or None, peak sum of the tools' RSS in kB, (largest one tool's
    VmHWM in kB, its name), the backend's VmHWM in kB or None, the tools'
    names)."""
    for d in module_dirs(cache, sha256):
        for _, _, files in os.walk(d):
            if any(f.endswith(".so") for f in files):
                die(f"big modules: {name} already has a native build in {d}")
    notices = []
    conn = pq.connect("-c wasm.engine=native -c client_min_messages=log", notices)
    pid = pq.value(conn, "SELECT pg_backend_pid()")
    pq.value(conn, "SELECT wasm_add(1, 1)")  # starts the native engine, untimed
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    sampler = BuildSampler(int(stat[stat.rindex(")") + 2:].split()[1]))
    sampler.start()
    try:
        ms = float(pq.value(conn, f"SELECT ms FROM bench.run($q$SELECT wasm.load_module_file("
                                  f"'{name}', '{path}', replace => true)$q$)"))
    finally:
        sampler.stop()
    engine = pq.value(conn, f"SELECT wasm.module_engine('{name}')")
    hwm = backend_memory(pid)
    pq.close(conn)
    backend_peak = hwm and hwm["VmHWM"]
    if engine == "native":
        return ms, None, sampler.peak_sum_kb, sampler.peak_one, backend_peak, sampler.names
    # Why not: the session's log message (client_min_messages = log), else
    # the failure the engine recorded beside the build.
    why = None
    for msg in notices:
        if "native engine cannot build" in msg or "cannot be built natively" in msg:
            detail = re.search(r"^DETAIL:\s+(.*)$", msg, re.M)
            why = (detail.group(1) if detail else msg).strip()
    if not why:
        for d in module_dirs(cache, sha256):
            for dirpath, _, files in os.walk(d):
                for f in sorted(files):
                    if f.endswith(".err"):
                        with open(os.path.join(dirpath, f), errors="replace") as err:
                            why = err.read().strip()
    return (None, why or "not built (no reason given)", sampler.peak_sum_kb, sampler.peak_one,
            backend_peak, sampler.names)


def startup_sample(pq, query, options, module=None):
    """A new connection, as cold_sample: connect + first query (client side),
    the backend's memory after it, the same query again; then which engine
    the session runs the module on (untimed)."""
    t0 = time.perf_counter()
    conn = pq.connect(options, notices=[])  # the guest's console.log (INFO) is not printed
    result = pq.value(conn, query)
    t1 = time.perf_counter()
    memory = backend_memory(pq.value(conn, "SELECT pg_backend_pid()"))
    t2 = time.perf_counter()
    again = pq.value(conn, query)
    t3 = time.perf_counter()
    engine = pq.value(conn, f"SELECT wasm.module_engine('{module}')") if module else ""
    pq.close(conn)
    time.sleep(0.02)  # lets the backend exit before the next one starts
    if again != result:
        die(f"big modules: {query} gave {result}, then {again} in the same session")
    return (t1 - t0) * 1000, (t3 - t2) * 1000, memory, result, engine


def stop_native_build_workers():
    """Background native builds of this database (setup.sql loads the
    modules with wasm.engine = auto, which asks for them) are stopped, so
    that they neither hold the machine during the rows nor race the removal
    of the modules' builds."""
    view = "pg_stat_activity WHERE backend_type = 'pg_wasm native build'"
    psql(f"SELECT count(pg_terminate_backend(pid)) FROM {view};\n")
    deadline = time.monotonic() + 60
    while query_value(f"SELECT count(*) FROM {view}") != "0":
        if time.monotonic() > deadline:
            die("big modules: background native builds did not stop within 60 s")
        time.sleep(0.2)


def startup_section(args, report):
    """The first query in a new session on big modules: the 12.5 MB
    JavaScript component (componentize-js, SpiderMonkey inside) as a
    foreign data wrapper, and the 1.26 MB Rust module (bench/native/big.rs)
    as a function, on both engines; their native builds' time and memory;
    the RSS a session adds. Order: the modules' cached work is removed, a
    first V8 session of each is timed (the first session after a load),
    the native builds are made and timed, then new connections of every row,
    interleaved, after one untimed round (whose native sessions are the
    first after the build): the steady state."""
    samples = args.startup
    cache = os.path.join(query_value("SHOW data_directory"), "pg_wasm_native")
    js_path = os.path.join(args.data_dir, "js_supabase_fdw.wasm")
    big_path = os.path.join(args.data_dir, "big.wasm")
    pq = Libpq()
    log("big modules: starting the API server")
    with ApiServer(args.root, 1000, max_page=100) as api:
        hosts = f"-c wasm.http_allowed_hosts=127.0.0.1:{api.port}"
        loads = (f"SELECT wasm.load_module_file('js_fdw', '{js_path}', replace => true);\n"
                 f"SELECT wasm.load_module_file('big', '{big_path}', replace => true);\n")
        sha = dict(zip(("js", "big"), psql(loads)))
        # Nothing cached for the modules, then the load (of the same code:
        # no catalog write) as a user's would be, on V8.
        stop_native_build_workers()
        for key in sha:
            for d in module_dirs(cache, sha[key]):
                shutil.rmtree(d)
        psql(loads + f"""
SET client_min_messages = warning;
DROP SERVER IF EXISTS js_github CASCADE;
CREATE SERVER js_github FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'js_fdw', api_url '{api.url("/github")}');
CREATE FOREIGN TABLE bench.js_events (id text, type text, actor jsonb, repo jsonb,
    payload jsonb, public boolean, created_at timestamp)
    SERVER js_github OPTIONS (object 'events', rowid_column 'id');
""")
        rows = [  # label, module, query, options, engine
            ("plain connection (SELECT 1)", None, "SELECT 1", "", ""),
            ("JS component FDW, 30 rows", "js_fdw", JS_QUERY, hosts, "v8"),
            ("JS component FDW, 30 rows", "js_fdw", JS_QUERY, hosts, "native"),
            ("Rust module (big.rs), run_i32_i32(1)", "big", "SELECT wasm_big(1)", "", "v8"),
            ("Rust module (big.rs), run_i32_i32(1)", "big", "SELECT wasm_big(1)", "", "native"),
        ]
        build_key = {"js_fdw": "js", "big": "big"}

        def sample(label, module, query, options, engine):
            return startup_sample(pq, query, f"{options} -c wasm.engine={engine or 'v8'}",
                                  module)

        # The first session after the load, on V8.
        log("big modules: the first session after a load, on V8")
        after_load = {}  # (label, engine): connect + query, ms
        seen = {}  # label: results of every session
        for row in rows[1:]:
            if row[4] == "v8":
                s = sample(*row)
                after_load[(row[0], "v8")] = s[0]
                seen.setdefault(row[0], set()).add(s[3])
        # The native builds; the session rows on native use them.
        builds = {}
        for key, name, path, label in [
                ("big", "big", big_path, "Rust module (big.rs)"),
                ("js", "js_fdw", js_path, "JS component FDW (its core module)")]:
            log(f"big modules: native build of {name}")
            builds[key] = (label, native_build(pq, cache, name, path, sha[key]))
        # A module without a native build has no native rows: each of its
        # sessions with wasm.engine = native would try the build again.
        not_built = {(label, engine): builds[build_key[module]][1][1]
                     for label, module, _, _, engine in rows
                     if engine == "native" and builds[build_key[module]][1][1] is not None}
        # The steady state: every row, new connections interleaved.
        got = {}
        for r in range(samples + 1):
            log(f"big modules: new sessions, round {r + 1}/{samples + 1}"
                f"{' (untimed)' if r == 0 else ''}")
            for row in rows:
                if (row[0], row[4]) in not_built:
                    continue
                s = sample(*row)
                seen.setdefault(row[0], set()).add(s[3])
                if r == 0 and row[4] == "native":
                    after_load[(row[0], "native")] = s[0]
                elif r:
                    got.setdefault((row[0], row[4]), []).append(s)
    # Every session of a module, on either engine, must give the same result.
    for label, values in seen.items():
        if len(values) != 1:
            die(f"big modules: {label}: the sessions disagree: {sorted(values)}")
    js_result = next(iter(seen[rows[1][0]]))
    if not js_result.startswith(f"{JS_ROWS}/"):
        die(f"big modules: the JS FDW gave {js_result}, not {JS_ROWS} rows")

    def med(key, f):
        return statistics.median(f(s) for s in got[key])

    plain_key = (rows[0][0], "")
    plain_ms = med(plain_key, lambda s: s[0])
    have_memory = all(s[2] for runs in got.values() for s in runs)
    plain_rss = med(plain_key, lambda s: s[2]["VmRSS"]) if have_memory else None
    plain_file = med(plain_key, lambda s: s[2]["RssFile"]) if have_memory else None
    checks = []  # what, target, measured, verdict
    table_rows = []
    for label, module, _, _, engine in rows:
        key = (label, engine)
        where = NAMES["wasm" if engine == "v8" else engine] if engine else "-"
        if key in not_built:
            table_rows.append([label, where, "-", "not built natively (see below)"]
                              + ["-"] * 6)
            for what, target in (
                    [("first query in a new session", "js_first_ms"),
                     ("a later query in the session", "js_later_ms")] if module == "js_fdw"
                    else [("first call in a new session", "rust_first_ms")]):
                checks.append((f"{label.split(',')[0]}: {what}, {where}, ms",
                               f"<= {STARTUP_TARGETS[target]:g}", "not built natively",
                               "missed (not built)"))
            continue
        total = med(key, lambda s: s[0])
        first = total - plain_ms
        later = med(key, lambda s: s[1])
        runs_on = sorted({s[4] for s in got[key]} - {""})
        first_after = after_load[key] - plain_ms if key in after_load else None
        row = [label, where, "/".join(runs_on) or "-", fmt_ms(total),
               "-" if not module else fmt_ms(first), fmt_ms(later), fmt_ms(first_after) if first_after is not None else "-"]
        if have_memory:
            rss = med(key, lambda s: s[2]["VmRSS"])
            extra = (rss - plain_rss) / 1024
            row += [f"{rss / 1024:.1f}", "-" if not module else f"{extra:+.1f}",
                    "-" if not module else
                    f"{(med(key, lambda s: s[2]['RssFile']) - plain_file) / 1024:+.1f}"]
        else:
            row += ["n/a", "n/a", "n/a"]
        table_rows.append(row)
        if not module:
            continue
        if runs_on != [engine]:
            where += f" (ran on {'/'.join(runs_on)})"
        short = label.split(",")[0]
        if module == "js_fdw":
            checks.append((f"{short}: first query in a new session, {where}, ms",
                           f"<= {STARTUP_TARGETS['js_first_ms']:g}", fmt_ms(first),
                           verdict(first, STARTUP_TARGETS["js_first_ms"])))
            checks.append((f"{short}: a later query in the session, {where}, ms",
                           f"<= {STARTUP_TARGETS['js_later_ms']:g}", fmt_ms(later),
                           verdict(later, STARTUP_TARGETS["js_later_ms"])))
            if have_memory:
                checks.append((f"{short}: RSS the session adds, {where}, MB",
                               f"<= +{STARTUP_TARGETS['js_rss_mb']:g}", f"{extra:+.1f}",
                               verdict(max(extra, 0), STARTUP_TARGETS["js_rss_mb"])))
        else:
            checks.append((f"{short}: first call in a new session, {where}, ms",
                           f"<= {STARTUP_TARGETS['rust_first_ms']:g}", fmt_ms(first),
                           verdict(first, STARTUP_TARGETS["rust_first_ms"])))
            if have_memory:
                checks.append((f"{short}: RSS the session adds, {where}, MB", "(report)",
                               f"{extra:+.1f}", ""))
        if first_after is not None:
            after = "the build" if engine == "native" else "load"
            checks.append((f"{short}: first session after {after}, {where}, ms",
                           "(report)", fmt_ms(first_after), ""))
    build_rows = []
    for key, (label, (ms, why, peak_sum, peak_one, hwm, names)) in builds.items():
        size = os.path.getsize(big_path if key == "big" else js_path)
        tools = f"{peak_sum / 1024:.0f}" if names else "-"
        one = f"{peak_one[0] / 1024:.0f} ({peak_one[1]})" if names else "-"
        build_rows.append([label, f"{size:,}", "built" if why is None else f"not built: {why}",
                           fmt_ms(ms) if ms is not None else "-", tools, one,
                           f"{hwm / 1024:.0f}" if hwm else "n/a"])
        limit_s = STARTUP_TARGETS["js_build_s" if key == "js" else "rust_build_s"]
        if why is None:
            checks.append((f"{label}: native build, s", f"<= {limit_s:g}", f"{ms / 1000:.1f}",
                           verdict(ms / 1000, limit_s)))
        else:
            checks.append((f"{label}: native build, s", f"<= {limit_s:g}", f"not built: {why}",
                           "missed (not built)"))
        if key == "js":
            limit_mb = STARTUP_TARGETS["js_build_mb"]
            if why is None and names:
                checks.append((f"{label}: native build, peak MB (tools' RSS)",
                               f"<= {limit_mb:g}", f"{peak_sum / 1024:.0f}",
                               verdict(peak_sum / 1024, limit_mb)))
            else:
                checks.append((f"{label}: native build, peak MB (tools' RSS)",
                               f"<= {limit_mb:g}", "-" if why is None else "not built",
                               "" if why is None else "missed (not built)"))
    report += ["", f"## Big modules: first query in a new session (median of {samples} new "
               f"connections per row after 1 untimed round, client-side time)", ""]
    report += table(["module", "engine", "runs on", "connect + query", "first query",
                     "later query", "first session after load", "RSS MB", "+RSS MB",
                     "+file MB"], table_rows)
    report += ["", "connect + query: a new connection (libpq from Python) and its first query, "
               "client side; first query: that minus the plain connection's (medians); later "
               "query: the same query again in that session; runs on: wasm.module_engine in "
               "the session. First session after load: one new session on V8 just after the "
               "module was loaded with nothing cached for it ($PGDATA/pg_wasm_native/<db>/"
               "<module>/ removed first); on native, the first session after its build (the "
               "untimed round's). A module the native engine did not build has no native "
               "rows. JS component FDW: "
               f"test/components/js/js_supabase_fdw.js built by componentize-js "
               f"({os.path.getsize(js_path):,} bytes), the template's foreign table over the "
               f"local API's GitHub-shaped /github/events; each query: {JS_QUERY}. Rust: "
               f"bench/native/big.rs ({os.path.getsize(big_path):,} bytes), wasm_big(1). RSS: "
               "VmRSS after the first query; +RSS over the plain backend's; +file: of which "
               "file-mapped."]
    report += ["", "Native builds (one each, in a session with wasm.engine = native: "
               "wasm.load_module_file of the module's own code builds it, synchronously):", ""]
    report += table(["module", ".wasm bytes", "result", "build ms", "tools' peak MB",
                     "largest tool MB", "backend peak MB"], build_rows)
    report += ["", "build ms: the load_module_file, timed in the server (bench.run); it "
               "includes validating the module, and, where the build is refused, compiling it "
               "on V8 instead. tools' peak MB: the largest sum of VmRSS of the processes "
               "under the postmaster that are not PostgreSQL's (wasm2c, cc, cc1, as, ld), "
               "sampled every 50 ms from Python; largest tool MB: the largest VmHWM (peak RSS) "
               "of any one of them; backend peak MB: the building backend's VmHWM."]
    report += ["", "Against the targets:", ""]
    report += table(["what", "target", "measured", "verdict"], [list(c) for c in checks])


def cancel_ms(function, options, warmup, reps):
    """Milliseconds beyond statement_timeout until the cancel error, per run."""
    call = f"SELECT bench.cancel_ms('SELECT {function}()');"
    out = psql(f"SET statement_timeout = '{TIMEOUT_MS}ms';\n" + "\n".join([call] * (warmup + reps))
               + "\n", options)
    return [float(x) - TIMEOUT_MS for x in out[warmup:]]


def cluster(action, args):
    subprocess.run([os.path.join(args.root, "scripts", "cluster.sh"), action], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, BUILD_DIR=args.build_dir))


def set_preload(value, args):
    """shared_preload_libraries for our own cluster, through ALTER SYSTEM, and a
    restart to apply it."""
    if value:
        psql(f"ALTER SYSTEM SET shared_preload_libraries = '{value}';\n")
    else:
        psql("ALTER SYSTEM RESET shared_preload_libraries;\n")
    cluster("stop", args)
    cluster("start", args)
    if query_value("SHOW shared_preload_libraries") != value:
        die(f"shared_preload_libraries is not '{value}' after restart")


# ---------------------------------------------------------------------------
# Formatting


def fmt_ms(v):
    if v < 10:
        return f"{v:.3f}"
    if v < 1000:
        return f"{v:.1f}"
    return f"{v:.0f}"


def fmt_ratio(v):
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:.0f}"


def is_number(text):
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def table(headers, rows):
    """A markdown table, padded so it also reads as plain text; columns of
    numbers right-aligned."""
    cols = list(zip(headers, *rows))
    widths = [max(len(str(x)) for x in col) for col in cols]
    numeric = [all(is_number(x) for x in col[1:] if x not in ("", "-", "n/a")) for col in cols]

    def line(cells):
        return "| " + " | ".join(str(c).rjust(w) if num else str(c).ljust(w)
                                 for c, w, num in zip(cells, widths, numeric)) + " |"

    sep = "|" + "|".join("-" * (w + 1) + ":" if num else "-" * (w + 2)
                         for w, num in zip(widths, numeric)) + "|"
    return [line(headers), sep] + [line(r) for r in rows]


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    osname = platform.system()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            osname = m.group(1) if m else osname
    return (f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.1f} GiB RAM, {osname}, "
            f"Linux {platform.release()}")


def v8_version(build_dir):
    """From the V8 headers the extension was built against (the same Debian
    libnode package as the library it runs)."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            inc = re.search(r"^V8_INCLUDE_DIR:PATH=(.*)$", f.read(), re.M).group(1)
        with open(os.path.join(inc, "v8-version.h")) as f:
            h = f.read()
        parts = [re.search(rf"#define V8_{p}\s+(\d+)", h).group(1)
                 for p in ("MAJOR_VERSION", "MINOR_VERSION", "BUILD_NUMBER", "PATCH_LEVEL")]
        return f"V8 {'.'.join(parts)} (Debian libnode 18, headers in {inc})"
    except (OSError, AttributeError):
        return "V8 version unknown"


def noisy(label, times):
    """Cells whose timed runs spread by more than 25%: worth a re-run."""
    return [f"{label} {k} ({fmt_ms(min(v))}..{fmt_ms(max(v))} ms)"
            for k, v in times.items() if len(v) > 1 and max(v) > 1.25 * min(v)]


def round_ratio(times, key, base):
    """The median over timed rounds of a cell's time / the base cell's in the
    same round: two cells measured seconds apart share the machine's load of
    the moment, so a burst of it (another process on a shared machine) moves
    both, and the ratio less than the ratio of the medians."""
    return statistics.median(a / b for a, b in zip(times[key], times[base]))


def side_by_side(loads, times, columns):
    """The rows of a side-by-side table: the median ms of every
    implementation, ratios to C (round_ratio), and the native ratio against
    its target. Adds each row to CHART, and each target to SUMMARY."""
    rows = []
    for key, label, _ in loads:
        m = {f: statistics.median(times[(label, f)]) if (label, f) in times else None
             for f in columns}
        ratio = {f: round_ratio(times, (label, f), (label, "c")) for f in columns
                 if m[f] is not None}
        target = TARGETS.get(key)
        rows.append([label] + [fmt_ms(m[f]) if m[f] is not None else "-" for f in columns]
                    + [fmt_ratio(ratio[f]) if f in ratio else "-" for f in columns if f != "c"]
                    + [f"<= {target}" if target else "",
                       verdict(ratio["native"], target) if target else ""])
        CHART.append((key, label, {f: ratio[f] for f in ratio if f in IMPLS + ("native",)},
                      target))
        if target:
            SUMMARY.append((f"{label}, native/C", f"<= {target}", fmt_ratio(ratio["native"]),
                            verdict(ratio["native"], target)))
    return table(["workload"] + [f"{NAMES[f]} ms" for f in columns]
                 + [f"{NAMES[f]}/C" for f in columns if f != "c"]
                 + ["native target", "native vs target"], rows)


# ---------------------------------------------------------------------------
# The chart: grouped bars of every workload's time / the C function's, for
# PL/pgSQL, PL/Python, V8 and native, on a log scale, with the native
# target; hand-written SVG (no plotting library).

SERIES = [("plpgsql", "PL/pgSQL", "#9e9e9e"), ("plpython", "PL/Python", "#d9a72b"),
          ("wasm", "pg_wasm on V8", "#3f78c4"), ("native", "pg_wasm native", "#2f9e5a")]


def chart_svg(title, subtitle):
    """CHART's rows as an SVG document (a string)."""
    width, height = 1040, 500
    left, right, top, bottom = 64, 16, 86, 70
    pw, ph = width - left - right, height - top - bottom
    values = [v for _, _, ratio, _ in CHART for v in ratio.values() if v > 0]
    # From the 1-2-5 step below the smallest value to the decade above the
    # largest.
    small = min(values + [0.9])
    lo = 10 ** math.floor(math.log10(small))
    lo *= 5 if 5 * lo <= small else 2 if 2 * lo <= small else 1
    hi = 10 ** math.ceil(math.log10(max(values + [2.0])))

    def y(v):
        return top + ph * (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))

    def text(x, yy, s, size=12, anchor="middle", extra=""):
        return (f'<text x="{x:.1f}" y="{yy:.1f}" font-size="{size}" text-anchor="{anchor}"'
                f'{extra}>{html.escape(s)}</text>')

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, '
           f'sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           text(width / 2, 22, title, 16, extra=' font-weight="bold"'),
           text(width / 2, 40, subtitle, 11, extra=' fill="#555"')]
    # Grid and axis: 1, 2, 5 per decade.
    decade = 10 ** math.floor(math.log10(lo))
    while decade <= hi:
        for m in (1, 2, 5):
            v = decade * m
            if lo <= v <= hi:
                major = m == 1
                out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                           f'stroke="{"#ccc" if major else "#eee"}"/>')
                out.append(text(left - 6, y(v) + 4, f"{v:g}x", 11, "end"))
        decade *= 10
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(1):.1f}" y2="{y(1):.1f}" '
               f'stroke="black" stroke-width="1.5"/>')
    out.append(text(16, top + ph / 2, "time / time of the C function (log scale)", 12,
                    extra=f' transform="rotate(-90 16 {top + ph / 2})"'))
    # Groups.
    gw = pw / len(CHART)
    bw = gw * 0.8 / len(SERIES)
    for i, (_, label, ratio, target) in enumerate(CHART):
        x0 = left + i * gw + gw * 0.1
        for j, (impl, _, color) in enumerate(SERIES):
            v = ratio.get(impl)
            x = x0 + j * bw
            if v is None:
                out.append(text(x + bw / 2, y(lo) - 4, "n/a", 9, extra=' fill="#777"'))
                continue
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw - 2:.1f}" '
                       f'height="{y(lo) - y(v):.1f}" fill="{color}"><title>'
                       f'{html.escape(label)}: {v:.2f}x</title></rect>')
            if impl in ("wasm", "native"):
                out.append(text(x + bw / 2 - 1, y(v) - 3, fmt_ratio(v), 9,
                                extra=' stroke="white" stroke-width="3" paint-order="stroke"'))
        if target:
            out.append(f'<line x1="{x0 - 2:.1f}" x2="{x0 + gw * 0.8 + 2:.1f}" y1="{y(target):.1f}" '
                       f'y2="{y(target):.1f}" stroke="#d62728" stroke-width="2" '
                       f'stroke-dasharray="6 3"/>')
        for k, w in enumerate(label.rsplit(", ", 1)):
            out.append(text(left + i * gw + gw / 2, top + ph + 18 + 14 * k, w, 10))
    # Legend.
    lx = left
    for _, name, color in SERIES:
        out.append(f'<rect x="{lx}" y="54" width="12" height="12" fill="{color}"/>')
        out.append(text(lx + 17, 65, name, 12, "start"))
        lx += 26 + 7.5 * len(name)
    out.append(f'<line x1="{lx}" x2="{lx + 24}" y1="60" y2="60" stroke="#d62728" '
               f'stroke-width="2" stroke-dasharray="6 3"/>')
    out.append(text(lx + 30, 65, "native target (FDW scan: against the C SRF)", 12,
                    "start"))
    out.append(text(left + pw, 65, "C = 1x", 12, "end"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Foreign data wrappers


class ApiServer:
    """test/fdw/api_server.py on 127.0.0.1 at a free port, for as long as the
    `with` block: bounded wait for its port, stopped (then killed) at exit."""

    def __init__(self, root, events, max_page):
        self.cmd = [sys.executable, os.path.join(root, "test", "fdw", "api_server.py"),
                    "--port", "0", "--events", str(events), "--max-page", str(max_page)]
        self.proc = None
        self.port = None

    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pg_wasm_bench_api")
        port_file = os.path.join(self.tmp.name, "port")
        self.log = open(os.path.join(self.tmp.name, "log"), "w+")
        self.proc = subprocess.Popen(self.cmd + ["--port-file", port_file],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read())
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        self.log.seek(0)
        die(f"the API server did not start: {self.log.read()[-2000:]}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        self.tmp.cleanup()

    def __exit__(self, *exc):
        self.stop()


def fdw_sizes(quick):
    """Rows of the compute scan and of the events API."""
    return (50_000, 5_000) if quick else (1_000_000, 100_000)


def fdw_scan(args, report, noise):
    """The pure-compute Wasm FDW (examples/fdw/compute_fdw.c) against a C
    set-returning function making the same rows, with PL/pgSQL, PL/Python
    and generate_series for context. Every query reads all five columns."""
    rows, _ = fdw_sizes(args.quick)
    psql(f"DROP FOREIGN TABLE IF EXISTS bench.numbers;\n"
         f"CREATE FOREIGN TABLE bench.numbers (n int8, square int8, label text, even bool, "
         f"half float8) SERVER compute OPTIONS (count '{rows}');\n")
    agg = ("SELECT format('%s/%s/%s/%s/%s', sum(n), sum(square), sum(length(label)), "
           "count(*) FILTER (WHERE even), sum(half)) FROM ")
    sources = [
        ("wasm FDW, V8", "bench.numbers"),
        ("wasm FDW, native", "bench.numbers", "native"),
        ("C SRF", f"c_compute_rows({rows})"),
        ("PL/pgSQL SRF", f"plpgsql_compute_rows({rows})"),
        ("PL/Python SRF", f"plpython_compute_rows({rows})"),
        ("SQL generate_series", f"(SELECT n, n * n AS square, 'row ' || n AS label, n % 2 = 0 "
         f"AS even, n / 2.0::float8 AS half FROM generate_series(1::int8, {rows}) n) s"),
    ]
    cells = [(label, agg + src, *engine) for label, src, *engine in sources]
    times, _, results = measure(cells, args.warmup, args.reps, what="FDW scan")
    check_agree("FDW scan", results)
    med = {k: statistics.median(v) for k, v in times.items()}
    report += ["", f"## Foreign data wrappers: scan of {rows:,} rows of 5 columns", ""]
    by_round = {label: round_ratio(times, label, "C SRF") for label, *_ in sources}
    report += table(["rows from", "ms", "/C SRF", "target", "vs target"],
                    [[label, fmt_ms(med[label]), fmt_ratio(by_round[label])]
                     + ([f"<= {FDW_SCAN_TARGET:g}", verdict(by_round[label], FDW_SCAN_TARGET)]
                        if label.startswith("wasm") else ["", ""])
                     for label, *_ in sources])
    ratio = {"wasm": by_round["wasm FDW, V8"], "native": by_round["wasm FDW, native"],
             "plpgsql": by_round["PL/pgSQL SRF"], "plpython": by_round["PL/Python SRF"]}
    CHART.append(("fdw_scan", f"FDW scan, {rows:,} rows", ratio, FDW_SCAN_TARGET))
    SUMMARY.append((f"FDW scan of {rows:,} rows, native/C SRF",
                    f"<= {FDW_SCAN_TARGET:g}", fmt_ratio(ratio["native"]),
                    verdict(ratio["native"], FDW_SCAN_TARGET)))
    report += ["", "Each query: " + agg + "<rows from>. The wasm FDW is compute_fdw "
               "(batches of 500 rows in MessagePack); the C SRF is bench/c/bench_functions.c's "
               "c_compute_rows, materialized (InitMaterializedSRF)."]
    noise += noisy("FDW scan", times)


def client_fetch_ms(api, page, reps):
    """The API server alone: every page of /events on one keep-alive
    connection from Python's http.client, reading the bodies; the median of
    `reps` runs in ms. A floor for any client of this server."""
    import http.client
    import json
    runs = []
    for _ in range(reps):
        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
        t0 = time.monotonic()
        cursor, pages = None, 0
        while pages < 1_000_000:
            path = f"/events?limit={page}" + (f"&cursor={cursor}" if cursor else "")
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                die(f"GET {path}: status {resp.status}")
            cursor = json.loads(body)["next_cursor"]
            pages += 1
            if not cursor:
                break
        runs.append((time.monotonic() - t0) * 1000)
        conn.close()
    return statistics.median(runs)


def fdw_api(args, report, noise):
    """The JSON API FDW (examples/fdw/events_fdw.c) reading every event from
    test/fdw/api_server.py, against file_fdw over the same rows as a CSV file
    on disk and against COPY FROM PROGRAM 'curl ...' of the API's CSV."""
    _, events = fdw_sizes(args.quick)
    log(f"FDW: starting the API server with {events:,} events")
    with ApiServer(args.root, events, max_page=1000) as api:
        hosts = f"127.0.0.1:{api.port}"
        options = f"-c wasm.http_allowed_hosts={hosts}"
        csv_path = os.path.join(args.data_dir, "events.csv")
        with urllib.request.urlopen(api.url("/events.csv"), timeout=120) as resp, \
                open(csv_path, "wb") as f:
            f.write(resp.read())
        os.chmod(csv_path, 0o644)
        cols = "id text, type text, actor_login text, created_at timestamptz"
        psql(f"""
DROP SERVER IF EXISTS events_api CASCADE;
DROP FOREIGN TABLE IF EXISTS bench.events_file;
DROP TABLE IF EXISTS bench.events_copy;
CREATE SERVER events_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url '{api.url("")}');
CREATE FOREIGN TABLE bench.events_wasm100 (id text, type text,
    actor_login text OPTIONS (field 'actor.login'), created_at timestamptz)
    SERVER events_api OPTIONS (object 'events');
CREATE FOREIGN TABLE bench.events_wasm1000 (id text, type text,
    actor_login text OPTIONS (field 'actor.login'), created_at timestamptz)
    SERVER events_api OPTIONS (object 'events', page_size '1000');
CREATE FOREIGN TABLE bench.events_file ({cols}) SERVER files
    OPTIONS (filename '{csv_path}', format 'csv', header 'true');
CREATE TABLE bench.events_copy ({cols});
""", options)
        curl = f"curl -sSf {api.url('/events.csv')}"
        queries = [
            ("count(*)", "SELECT count(*) FROM {t}"),
            ("all columns", "SELECT format('%s/%s/%s/%s/%s', count(*), sum(hashtext(id)), "
             "sum(hashtext(type)), sum(hashtext(actor_login)), "
             "sum(extract(epoch FROM created_at))) FROM {t}"),
        ]
        kinds = [("wasm FDW on V8, pages of 100", "bench.events_wasm100"),
                 ("wasm FDW on V8, pages of 1000", "bench.events_wasm1000"),
                 ("wasm FDW native, pages of 100", "bench.events_wasm100"),
                 ("wasm FDW native, pages of 1000", "bench.events_wasm1000"),
                 ("file_fdw (CSV on disk)", "bench.events_file"),
                 ("COPY FROM PROGRAM curl", None)]
        cells = []
        for qlabel, q in queries:
            for klabel, t in kinds:
                if t:
                    cells.append(((qlabel, klabel), q.format(t=t))
                                 + (("native",) if "native" in klabel else ()))
                else:
                    query = q.format(t="bench.events_copy")
                    cells.append(((qlabel, klabel), (
                        f"bench.run_copy('bench.events_copy', $c$COPY bench.events_copy FROM "
                        f"PROGRAM '{curl}' WITH (FORMAT csv, HEADER)$c$, $s${query}$s$)")))
        times, _, results = measure(cells, args.warmup, args.reps, options, what="FDW JSON API")
        for qlabel, _ in queries:
            check_agree(f"events {qlabel}", {k: results[(qlabel, k)] for k, _ in kinds})
        if results[("count(*)", kinds[0][0])] != {str(events)}:
            die(f"events count(*): {results[('count(*)', kinds[0][0])]}, not {events}")
        log("FDW: the API server alone (Python client)")
        floor = {p: client_fetch_ms(api, p, args.reps) for p in (100, 1000)}
        stats = psql(f"SELECT count(*) FROM bench.events_wasm100;\n"
                     f"SELECT http_requests, bytes_received FROM wasm.fdw_stats "
                     f"WHERE server_name = 'events_api';\n", options)
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for qlabel, _ in queries:
        base = med[(qlabel, "file_fdw (CSV on disk)")]
        for klabel, _ in kinds:
            m = med[(qlabel, klabel)]
            rows.append([qlabel, klabel, fmt_ms(m), fmt_ratio(m / base)])
    requests, received = stats[1].split("|")
    report += ["", f"## Foreign data wrappers: {events:,} events from the local JSON API", ""]
    report += table(["query", "rows from", "ms", "/file_fdw"], rows)
    report += ["", "The API is test/fdw/api_server.py (Python, on 127.0.0.1); the wasm FDW is "
               "events_fdw (one request per page, rows by pg_wasm_fdw.json_rows); file_fdw "
               "reads the API's /events.csv saved to disk before the run; COPY loads "
               "/events.csv through curl into a table, then runs the query on it. "
               f"One scan with pages of 100: {int(requests):,} requests, "
               f"{int(received) / 1e6:.1f} MB received.", "",
               "The API server alone, every page read by Python's http.client on one "
               "connection (a floor for any client of this server):", ""]
    report += table(["pages of", "ms", "/file_fdw (count)"],
                    [[str(p), fmt_ms(floor[p]),
                      fmt_ratio(floor[p] / med[("count(*)", "file_fdw (CSV on disk)")])]
                     for p in (100, 1000)])
    noise += noisy("FDW API", {f"{k[0]} / {k[1]}": v for k, v in times.items()})


def fdw_component(args, report, noise):
    """The same scan of the local JSON API through a component of the world
    supabase:wrappers (test/components/guests/paginated.c: canonical ABI,
    every cell through row.push, JSON parsed in the guest) and through the
    equivalent core-ABI guest (examples/fdw/events_fdw.c: rows by
    pg_wasm_fdw.json_rows), pages of 100 on both, on each engine: the
    ratio component/core (target <= 1.2)."""
    _, events = fdw_sizes(args.quick)
    log(f"FDW: component against core ABI, {events:,} events")
    with ApiServer(args.root, events, max_page=1000) as api:
        options = f"-c wasm.http_allowed_hosts=127.0.0.1:{api.port}"
        psql(f"""
DROP SERVER IF EXISTS events_core, events_component CASCADE;
CREATE SERVER events_core FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url '{api.url("")}');
CREATE FOREIGN TABLE bench.events_core (id text, type text,
    actor_login text OPTIONS (field 'actor.login'), created_at timestamptz)
    SERVER events_core OPTIONS (object 'events', page_size '100');
CREATE SERVER events_component FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'paginated', api_url '{api.url("")}');
CREATE FOREIGN TABLE bench.events_component (id text, type text, actor_login text,
    created_at timestamptz) SERVER events_component OPTIONS (object 'events', page_size '100');
""", options)
        queries = [
            ("count(*)", "SELECT count(*) FROM {t}"),
            ("all columns", "SELECT format('%s/%s/%s/%s/%s', count(*), sum(hashtext(id)), "
             "sum(hashtext(type)), sum(hashtext(actor_login)), "
             "sum(extract(epoch FROM created_at))) FROM {t}"),
        ]
        kinds = [("core ABI (events_fdw)", "bench.events_core"),
                 ("component (paginated)", "bench.events_component")]
        engines = (("V8", ()), ("native", ("native",)))
        cells = []
        for qlabel, q in queries:
            for klabel, t in kinds:
                for _, suffix in engines:
                    cells.append(((qlabel, klabel) + suffix, q.format(t=t)))
        times, _, results = measure(cells, args.warmup, args.reps, options,
                                    what="FDW component/core")
    for qlabel, _ in queries:
        check_agree(f"events {qlabel} (component/core)",
                    {k: v for k, v in results.items() if k[0] == qlabel})
    if results[("count(*)", kinds[1][0])] != {str(events)}:
        die(f"component count(*): {results[('count(*)', kinds[1][0])]}, not {events}")
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for qlabel, _ in queries:
        for elabel, suffix in engines:
            core = med[(qlabel, kinds[0][0]) + suffix]
            comp = med[(qlabel, kinds[1][0]) + suffix]
            rows.append([qlabel, elabel, fmt_ms(core), fmt_ms(comp), fmt_ratio(comp / core),
                         verdict(comp / core, COMPONENT_TARGET)])
    report += ["", f"## Foreign data wrappers: a component against the core ABI, {events:,} "
               "events from the local JSON API", ""]
    report += table(["query", "engine", "core ABI ms", "component ms", "component/core",
                     f"target <= {COMPONENT_TARGET}"], rows)
    report += ["", "The same API, columns and pages of 100 (one request per page) through "
               "events_fdw (core ABI: the host parses each page's JSON, "
               "pg_wasm_fdw.json_rows) and through the component paginated "
               "(supabase:wrappers 0.2.0: the guest parses the JSON and pushes each cell "
               "through row.push, lifted by the host's canonical ABI)."]
    noise += noisy("FDW component", {" / ".join(k): v for k, v in times.items()})


def component_functions(args, report, noise):
    """slugify over bench.texts through a component export `func(s: string)
    -> string` (bench/component/slugify.c, canonical ABI: the host places the
    argument with cabi_realloc, reads the (ptr, len) result and calls
    post-return) against the same loop through pg_wasm's ABI
    (examples/text.c), on each engine: the ratio component/ABI (target <=
    1.3 on the native engine)."""
    rows_n = 10_000 if args.quick else 1_000_000
    log(f"component functions: slugify, {rows_n:,} rows")
    query = f"SELECT sum(hashtext({{f}}(s))) FROM bench.texts WHERE id <= {rows_n}"
    kinds = [("pg_wasm ABI (examples/text.c)", "wasm_slugify"),
             ("component (bench/component/slugify.c)", "component_slugify")]
    engines = (("V8", ()), ("native", ("native",)))
    cells = [((klabel,) + suffix, query.format(f=f)) for klabel, f in kinds
             for _, suffix in engines]
    cells.append((("C",), query.format(f="c_slugify")))
    times, _, results = measure(cells, args.warmup, args.reps, what="component functions")
    check_agree("slugify (component/ABI)", results)
    rows = []
    for elabel, suffix in engines:
        abi, comp = ((kinds[i][0],) + suffix for i in (0, 1))
        ratio = round_ratio(times, comp, abi)
        target = COMPONENT_FUNCTION_TARGET if elabel == "native" else None
        rows.append([elabel, fmt_ms(statistics.median(times[abi])),
                     fmt_ms(statistics.median(times[comp])), fmt_ratio(ratio),
                     fmt_ratio(round_ratio(times, comp, ("C",))),
                     f"<= {target}" if target else "", verdict(ratio, target) if target else ""])
        if target:
            SUMMARY.append((f"slugify(text), {rows_n:,} rows, component/ABI, native", f"<= {target}",
                            fmt_ratio(ratio), verdict(ratio, target)))
    report += ["", f"## Component functions: slugify(text), {rows_n:,} rows, through a component "
               "export against pg_wasm's ABI", ""]
    report += table(["engine", "pg_wasm ABI ms", "component ms", "component/ABI", "component/C",
                     "target", "verdict"], rows)
    report += ["", f"The same C loop three ways: through pg_wasm's ABI (examples/text.c), as a "
               f"component export `slugify: func(s: string) -> string` whose WIT types the host "
               f"maps (bench/component/slugify.c), and as a C function (the C column of the text "
               f"table, {fmt_ms(statistics.median(times[('C',)]))} ms here). Ratios: the median "
               f"of each round's ratio."]
    noise += noisy("component functions", {" / ".join(k): v for k, v in times.items()})


def fdw_planning(args, report, sessions):
    """EXPLAIN of a query on a Wasm foreign table, ten times in a fresh
    session: planning time of the 1st, 2nd and 10th (the 1st compiles the
    module and makes the planning instance, which the session keeps). A
    file_fdw table, the same way, shows PostgreSQL's own first-use costs."""
    query = "EXPLAIN (SUMMARY) SELECT * FROM {t} WHERE n <= 10 ORDER BY n LIMIT 5"
    kinds = [("wasm FDW (compute_fdw), V8", "bench.numbers", ""),
             ("wasm FDW (compute_fdw), native", "bench.numbers", "-c wasm.engine=native"),
             ("file_fdw", "bench.numbers_file", "")]
    psql("DROP FOREIGN TABLE IF EXISTS bench.numbers_file;\n"
         "CREATE FOREIGN TABLE bench.numbers_file (n int8, square int8, label text, even bool, "
         "half float8) SERVER files OPTIONS (filename '/dev/null', format 'csv');\n")
    pattern = re.compile(r"^Planning Time: ([0-9.]+) ms")
    got = {}
    log("FDW: planning")
    for sample in range(sessions + 1):
        for label, t, options in kinds:
            out = psql("SELECT 1;\n" + f"{query.format(t=t)};\n" * 10, options)
            ms = [float(m.group(1)) for m in map(pattern.match, out) if m]
            if len(ms) != 10:
                die(f"planning of {t}: expected 10 planning times, got {out}")
            if sample:
                got.setdefault(label, []).append(ms)
    rows = []
    for label, _, _ in kinds:
        runs = got[label]
        first, second, tenth = (statistics.median(r[i] for r in runs) for i in (0, 1, 9))
        rows.append([label, fmt_ms(first), fmt_ms(second), fmt_ms(tenth),
                     fmt_ratio(first / tenth)])
    report += ["", f"## Foreign data wrappers: planning time of EXPLAIN, 10 in a fresh session "
               f"(median of {sessions} sessions after 1 untimed one)", ""]
    report += table(["foreign table", "1st", "2nd", "10th", "1st/10th"], rows)
    report += ["", f"Each: {query.format(t='<table>')} (the wasm FDW plans with its fdw_plan: "
               "qual, sort and limit pushed down), after SELECT 1 in the same session. "
               "Planning Time as EXPLAIN (SUMMARY) shows it, in ms."]


def fdw_section(args, report, noise):
    fdw_scan(args, report, noise)
    fdw_api(args, report, noise)
    fdw_component(args, report, noise)
    fdw_planning(args, report, args.cold)


def main():
    ap = argparse.ArgumentParser(
        prog="bench/run.sh", description=__doc__,
        epilog="bench/run.sh also takes --no-build: use the extension as installed and "
        "$BUILD_DIR (default build-bench) as built.")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per cell (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per cell before timing")
    ap.add_argument("--cold", type=int, default=11, help="new connections per cold-call row")
    ap.add_argument("--compile", type=int, default=3,
                    help="new sessions per compile-latency row (a big native build: 30-60 s)")
    ap.add_argument("--cancel", type=int, default=7, help="cancelled calls per cancel row")
    ap.add_argument("--no-preload", action="store_true",
                    help="skip the cold calls with shared_preload_libraries = 'pg_wasm'")
    ap.add_argument("--quick", action="store_true", help="small inputs: checks the script only")
    ap.add_argument("--no-fdw", action="store_true", help="skip the foreign data wrappers")
    ap.add_argument("--only-fdw", action="store_true",
                    help="only the foreign data wrappers (with the report's header)")
    ap.add_argument("--only-components", action="store_true",
                    help="only the component functions (with the report's header)")
    ap.add_argument("--only-startup", action="store_true",
                    help="only the big modules' first query in a new session (with the "
                    "report's header)")
    ap.add_argument("--startup", type=int,
                    help="new sessions per big-module row (the first query in a new session; "
                    "default 5, 2 with --quick)")
    ap.add_argument("--output", help="also write the report to this file")
    ap.add_argument("--chart", metavar="SVG",
                    help="also draw the ratios to C as an SVG chart in this file")
    ap.add_argument("--root", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--build-dir", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", required=True, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.no_fdw and args.only_fdw:
        ap.error("--no-fdw and --only-fdw exclude each other")
    # SIGTERM ends the run as Ctrl-C does, through the finally clauses (the
    # API server is stopped).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"bench: signal {signum}"))
    if args.startup is None:
        args.startup = 2 if args.quick else 5
    if sum((args.only_fdw, args.only_components, args.only_startup)) > 1:
        ap.error("--only-fdw, --only-components and --only-startup exclude each other")
    if min(args.reps, args.cold, args.cancel, args.compile, args.startup) < 1 or args.warmup < 0:
        ap.error("--reps, --cold, --compile, --cancel and --startup must be at least 1, "
                 "--warmup at least 0")

    # A run interrupted during the preload part may have left it set.
    if query_value("SHOW shared_preload_libraries"):
        set_preload("", args)

    tiering, default = query_value(
        "LOAD 'pg_wasm'; SELECT setting, boot_val FROM pg_settings WHERE name = 'wasm.tiering'"
    ).split("|")
    report = ["# pg_wasm benchmark", ""]
    if args.quick:
        report += ["**QUICK MODE: small inputs, for checking the script; not for numbers.**", ""]
    report += [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- {query_value('SELECT version()')}",
        f"- {v8_version(args.build_dir)}",
        f"- jit = off, max_parallel_workers_per_gather = 0 and wasm.engine = v8 in every "
        f"session; times in ms, median of {args.reps} timed run(s) after {args.warmup} warm-up "
        f"run(s), timed in the server around the query (bench.run); ratios in the side-by-side "
        f"tables: the median of each round's ratio",
        f"- V8 column: wasm.engine = v8, wasm.tiering = {tiering} (default: {default}); "
        "native column: wasm.engine = native; ratios are time / time of the C function",
        "",
    ]
    noise = []
    if args.only_fdw:
        fdw_section(args, report, noise)
        finish(args, report, noise)
        return
    if args.only_components:
        component_functions(args, report, noise)
        finish(args, report, noise)
        return
    if args.only_startup:
        startup_section(args, report)
        finish(args, report, noise)
        return

    # The four implementations side by side, the Wasm guests on both engines.
    check_fib_values()
    loads = workloads(args.quick)
    by_key = {key: (label, query) for key, label, query in loads}
    add_label, add_query = by_key["add"]
    baseline_query = add_query.replace("{f}_add(i, i)", "i + i")
    cells = [((label, f), query.format(f=f)) for key, label, query in loads for f in IMPLS
             if (key, f) not in MISSING]
    cells += [((label, "native"), query.format(f="wasm"), "native") for _, label, query in loads]
    cells.append((("baseline", "sql"), baseline_query))
    times, _, main_results = measure(cells, args.warmup, args.reps, what="main table")
    for key, label, _ in loads:
        check_agree(label, {f: main_results[(label, f)] for f in IMPLS + ("native",)
                            if (key, f) not in MISSING})
    check_agree("add vs plain SQL", {"c": main_results[(add_label, "c")],
                                     "sql": main_results[("baseline", "sql")]})
    med = {k: statistics.median(v) for k, v in times.items()}
    report += ["## Wasm on both engines, PL/pgSQL, PL/Python and C side by side", ""]
    report += side_by_side(loads, times, COLUMNS)
    report += ["", "V8: wasm.engine = v8; native: the same modules on the native engine "
               "(wasm.engine = native: wasm2c and the system C compiler, artifacts built in the "
               "warm-up round). Ratios are time / time of the C function, the median over the timed rounds of "
               "each round's ratio; the target is the native engine's. The recursive fib has no PL/pgSQL version (7 "
               "million PL/pgSQL calls); PL/Python's recursion stays inside Python."]
    base = med[("baseline", "sql")]
    report += ["", "Plain SQL, no function call, for the add row:", ""]
    report += table(["query", "ms", "/c_add"],
                    [[baseline_query, fmt_ms(base), fmt_ratio(base / med[(add_label, "c")])]])
    noise += noisy("main", {f"{k[0]} / {k[1]}": v for k, v in times.items()})
    # Text and JSON: byte strings in and out, through pg_wasm's ABI.
    tloads = text_workloads(args.quick)
    cells = [((label, f), query.format(f=f)) for _, label, query, _ in tloads for f in IMPLS]
    cells += [((label, "native"), query.format(f="wasm"), "native")
              for _, label, query, _ in tloads]
    cells += [((label, "builtin"), builtin) for _, label, _, builtin in tloads]
    times, _, text_results = measure(cells, args.warmup, args.reps, what="text and JSON")
    for _, label, _, _ in tloads:
        check_agree(label,
                    {f: text_results[(label, f)] for f in IMPLS + ("native", "builtin")})
    report += ["", "## Text and JSON: byte strings through pg_wasm's ABI, on both engines", ""]
    report += side_by_side([(k, label, q) for k, label, q, _ in tloads], times,
                           COLUMNS + ("builtin",))
    report += ["", "The C slugify is examples/text.c's algorithm compiled natively; the C "
               "json_get calls the ->> operator's own C function; builtin SQL is the same "
               "expression without a function of ours."]
    noise += noisy("text", {f"{k[0]} / {k[1]}": v for k, v in times.items()})
    component_functions(args, report, noise)

    # Tiering, Wasm only. The tiering is chosen when V8 starts in a
    # session, so each sample is a new session per tiering (interleaved): V8
    # started by a call into another module, then the workloads' first run
    # (compiling their modules; Liftoff code until tier-up), then warm-up
    # runs, then one timed run. A recursive fib, one long call full of calls,
    # joins the two loop workloads. C, in its own session, is the
    # reference, and every result must match C's.
    tier_loads = [by_key["fib5000"], by_key["collatz"], by_key["fibrec"]]
    c_cells = [(label, query.format(f="c")) for label, query in tier_loads]
    c_times, c_firsts, c_results = measure(c_cells, args.warmup, args.reps,
                                           what="tiering: C reference")
    cells = [(label, query.format(f="wasm")) for label, query in tier_loads]
    first, warm = {}, {}
    for r in range(args.reps):
        for t in TIERINGS:
            times, firsts, results = measure(
                cells, max(1, args.warmup), 1, f"-c wasm.tiering={t}",
                what=f"tiering {t} ({r + 1}/{args.reps})", prelude="SELECT wasm_add(1, 1)")
            for label, _ in tier_loads:
                check_agree(f"{label} with tiering {t}", {t: results[label], "c": c_results[label]})
                first.setdefault((t, label), []).append(firsts[label])
                warm.setdefault((t, label), []).extend(times[label])
    noise += noisy("tiering (warm)", {f"{k[1]} / {k[0]}": v for k, v in warm.items()})
    first = {k: statistics.median(v) for k, v in first.items()}
    warm = {k: statistics.median(v) for k, v in warm.items()}
    rows = []
    for label, _ in tier_loads:
        c = statistics.median(c_times[label])
        for t in TIERINGS:
            rows.append([label, t, fmt_ms(first[(t, label)]), fmt_ms(warm[(t, label)]),
                         fmt_ratio(warm[(t, label)] / warm[("optimizing", label)]),
                         fmt_ratio(warm[(t, label)] / c)])
        rows.append([label, "(C function)", fmt_ms(c_firsts[label]), fmt_ms(c), "", "1.00"])
    report += ["", f"## Wasm tiering (wasm.tiering): first run in a new session, and warm "
               f"(medians over {args.reps} sessions per tiering)", ""]
    report += table(["workload", "tiering", "first run", "warm", "/optimizing", "/c"], rows)

    # Fuel metering (wasm.max_fuel): the same workloads unmetered (0, the
    # default: the module is not instrumented at all) and metered with a
    # budget no call reaches, in interleaved sessions; the ratio is what
    # metering costs.
    fuel_loads = [by_key[k] for k in ("fib5000", "collatz", "add", "fibrec")]
    cells = [(label, query.format(f="wasm")) for label, query in fuel_loads]
    fuel_times, fuel_results = {}, {}
    for r in range(args.reps):
        for budget in ("0", "1000000000000000"):
            times, _, results = measure(cells, max(1, args.warmup), 1, f"-c wasm.max_fuel={budget}",
                                        what=f"fuel {budget} ({r + 1}/{args.reps})",
                                        prelude="SELECT wasm_add(1, 1)")
            for label, _ in fuel_loads:
                fuel_results.setdefault(label, {}).setdefault(budget, set()).update(results[label])
                fuel_times.setdefault((budget, label), []).extend(times[label])
    for label, by_budget in fuel_results.items():
        if label in c_results:
            by_budget["c"] = c_results[label]
        check_agree(f"{label} metered and unmetered", by_budget)
    noise += noisy("fuel", {f"{k[1]} / fuel {k[0]}": v for k, v in fuel_times.items()})
    rows = []
    for label, _ in fuel_loads:
        off = statistics.median(fuel_times[("0", label)])
        on = statistics.median(fuel_times[("1000000000000000", label)])
        rows.append([label, fmt_ms(off), fmt_ms(on), fmt_ratio(on / off)])
    report += ["", f"## Fuel metering (wasm.max_fuel): unmetered and metered "
               f"(medians over {args.reps} sessions each)", ""]
    report += table(["workload", "max_fuel = 0", "max_fuel = 10^15", "metered/unmetered"], rows)

    # Cold first call in a new connection, per engine.
    cold_section(args, report, Libpq())

    # Cancel latency. The native engine's spin module is built first, under
    # a longer timeout: a build cut short at 100 ms would never finish.
    log("cancel latency")
    psql("SET wasm.engine = native;\nSET statement_timeout = '5s';\n"
         "SELECT bench.cancel_ms('SELECT wasm_spin()');\n")
    rows = []
    for label, function, options in [(f"V8 ({t})", "wasm_spin", f"-c wasm.tiering={t}")
                                     for t in TIERINGS] + [
                                         ("native", "wasm_spin", "-c wasm.engine=native"),
                                         ("plpgsql", "plpgsql_spin", "")]:
        late = cancel_ms(function, options, warmup=1, reps=args.cancel)
        rows.append([label, fmt_ms(statistics.median(late)), fmt_ms(min(late)),
                     fmt_ms(max(late))])
    report += ["", f"## Cancel: ms beyond statement_timeout = {TIMEOUT_MS}ms until an infinite "
               f"loop errors out (median of {args.cancel}, after 1 warm-up)", ""]
    report += table(["loop", "median", "min", "max"], rows)

    if not args.no_fdw:
        fdw_section(args, report, noise)
    # Before the compile latency, which removes the Rust module's builds.
    startup_section(args, report)
    # Last: it empties the native engine's artifact cache.
    compile_section(args, report)
    finish(args, report, noise)


def finish(args, report, noise):
    if SUMMARY:
        report += ["", "## The native engine against its targets", ""]
        report += table(["what", "target", "measured", "verdict"], [list(r) for r in SUMMARY])
    if noise:
        report += ["", "Timed runs that spread by more than 25% (re-run on a quiet machine):", ""]
        report += [f"- {n}" for n in noise]
    text = "\n".join(report) + "\n"
    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    if args.chart:
        if not CHART:
            die("--chart: no workload was measured")
        subtitle = (f"bench/run.sh, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}, "
                    f"{machine()}" + ("; QUICK MODE, numbers mean nothing" if args.quick else ""))
        with open(args.chart, "w") as f:
            f.write(chart_svg("pg_wasm: time relative to a C function (lower is better)",
                              subtitle))
        log(f"chart written to {args.chart}")


if __name__ == "__main__":
    main()
