#!/usr/bin/env python3
"""The pg_wasm benchmark driver, run by bench/run.sh once its cluster is up and
bench/setup.sql has made the functions. Talks to the server only through psql
(PGHOST, PGPORT, PGUSER and PGDATABASE come from the environment) and prints
one report: the four implementations side by side, the Wasm tiering
comparison, cold first calls, cancel latency and the foreign data wrappers
(a Wasm FDW against a C set-returning function, file_fdw and COPY FROM
PROGRAM; planning time)."""

import argparse
import datetime
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

# "native" cells are the wasm functions again, on the native engine
# (wasm.engine = native), switched for them in the same rounds as the others.
IMPLS = ("wasm", "plpgsql", "plpython", "c")
TIERINGS = ("optimizing", "baseline", "dynamic")
TIMEOUT_MS = 100  # statement_timeout for the cancel measurement

# Every session runs with JIT off, so the executor does the same work around
# every kind of function, and without parallel query: built-in functions are
# PARALLEL SAFE and ours are not declared so, and a query split over workers
# would measure the number of cores instead of the function.
BASE_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"


def workloads(quick):
    """(label, query with {f} for the function prefix). --quick shrinks the
    big inputs to check the script, not to measure."""
    collatz_n = 10_000 if quick else 1_000_000
    add_n = 100_000 if quick else 10_000_000
    return [
        ("fib(50) x 1000", "SELECT sum({f}_fib(50)) FROM generate_series(1, 1000)"),
        ("fib(500) x 1000", "SELECT sum({f}_fib(500)) FROM generate_series(1, 1000)"),
        ("fib(5000) x 1000", "SELECT sum({f}_fib(5000)) FROM generate_series(1, 1000)"),
        (f"collatz(i), i = 1..{collatz_n:,}",
         f"SELECT sum({{f}}_collatz(i)) FROM generate_series(1, {collatz_n}) i"),
        (f"add(i, i), i = 1..{add_n:,}",
         f"SELECT sum({{f}}_add(i, i)) FROM generate_series(1, {add_n}) i"),
    ]


def text_workloads(quick):
    """(label, query with {f} for the implementation, or "builtin"), for the
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
        (f"slugify(text), {rows:,} rows", q("{f}_slugify(s)", "texts"), q(builtin["slugify"], "texts")),
        (f"json field (->>), {rows:,} rows", q("{f}_json_get(doc, 'email')", "docs"),
         q(builtin["json_get"], "docs")),
    ]


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
    background noise spreads over all cells). The prelude, a query, runs
    first, untimed. Returns {key: [timed ms, ...]}, {key: ms of the first
    round} and {key: set of results}."""
    lines, order = [], []
    if prelude:
        lines.append(f"{prelude} \\gset")
    for r in range(warmup + reps):
        kind = "warm-up" if r < warmup else "timed"
        lines.append(f"\\warn bench: {what} round {r + 1}/{warmup + reps} ({kind})")
        for key, query in cells:
            native = isinstance(key, tuple) and key[-1] == "native"
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


def cold_call(function, options):
    """A fresh session: SELECT 1 (the backend's own first-query costs), then
    the function's first and second calls, timed by psql (client round trip
    included). Returns (first, second) in ms."""
    out = psql(f"\\timing on\nSELECT 1;\nSELECT {function}(50);\nSELECT {function}(50);\n",
               options)
    times = [float(m.group(1)) for m in map(re.compile(r"^Time: ([0-9.]+) ms").match, out) if m]
    if len(times) != 3:
        die(f"cold call of {function}: expected 3 timings, got {out}")
    return times[1], times[2]


def cold_rows(kinds, samples, preloaded):
    """kinds: (label, function, options). Interleaves the samples of all kinds,
    after one untimed round (which also brings a restarted server's caches
    back)."""
    firsts, seconds = {}, {}
    for sample in range(samples + 1):
        for label, function, options in kinds:
            first, second = cold_call(function, options)
            if sample == 0:
                continue
            firsts.setdefault(label, []).append(first)
            seconds.setdefault(label, []).append(second)
    return [[label, "yes" if preloaded else "no", fmt_ms(statistics.median(firsts[label])),
             fmt_ms(min(firsts[label])), fmt_ms(max(firsts[label])),
             fmt_ms(statistics.median(seconds[label]))] for label, _, _ in kinds]


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
        float(text)
        return True
    except ValueError:
        return False


def table(headers, rows):
    """A markdown table, padded so it also reads as plain text; columns of
    numbers right-aligned."""
    cols = list(zip(headers, *rows))
    widths = [max(len(str(x)) for x in col) for col in cols]
    numeric = [all(is_number(x) for x in col[1:] if x != "") for col in cols]

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


# ---------------------------------------------------------------------------


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
        ("wasm FDW", "bench.numbers"),
        ("C SRF", f"c_compute_rows({rows})"),
        ("PL/pgSQL SRF", f"plpgsql_compute_rows({rows})"),
        ("PL/Python SRF", f"plpython_compute_rows({rows})"),
        ("SQL generate_series", f"(SELECT n, n * n AS square, 'row ' || n AS label, n % 2 = 0 "
         f"AS even, n / 2.0::float8 AS half FROM generate_series(1::int8, {rows}) n) s"),
    ]
    cells = [(label, agg + src) for label, src in sources]
    times, _, results = measure(cells, args.warmup, args.reps, what="FDW scan")
    check_agree("FDW scan", results)
    med = {k: statistics.median(v) for k, v in times.items()}
    c = med["C SRF"]
    report += ["", f"## Foreign data wrappers: scan of {rows:,} rows of 5 columns", ""]
    report += table(["rows from", "ms", "/C SRF"],
                    [[label, fmt_ms(med[label]), fmt_ratio(med[label] / c)]
                     for label, _ in sources])
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
        kinds = [("wasm FDW, pages of 100", "bench.events_wasm100"),
                 ("wasm FDW, pages of 1000", "bench.events_wasm1000"),
                 ("file_fdw (CSV on disk)", "bench.events_file"),
                 ("COPY FROM PROGRAM curl", None)]
        cells = []
        for qlabel, q in queries:
            for klabel, t in kinds:
                if t:
                    cells.append(((qlabel, klabel), q.format(t=t)))
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


def fdw_planning(args, report, sessions):
    """EXPLAIN of a query on a Wasm foreign table, ten times in a fresh
    session: planning time of the 1st, 2nd and 10th (the 1st compiles the
    module and makes the planning instance, which the session keeps). A
    file_fdw table, the same way, shows PostgreSQL's own first-use costs."""
    query = "EXPLAIN (SUMMARY) SELECT * FROM {t} WHERE n <= 10 ORDER BY n LIMIT 5"
    kinds = [("wasm FDW (compute_fdw)", "bench.numbers"),
             ("file_fdw", "bench.numbers_file")]
    psql("DROP FOREIGN TABLE IF EXISTS bench.numbers_file;\n"
         "CREATE FOREIGN TABLE bench.numbers_file (n int8, square int8, label text, even bool, "
         "half float8) SERVER files OPTIONS (filename '/dev/null', format 'csv');\n")
    pattern = re.compile(r"^Planning Time: ([0-9.]+) ms")
    got = {}
    log("FDW: planning")
    for sample in range(sessions + 1):
        for label, t in kinds:
            out = psql("SELECT 1;\n" + f"{query.format(t=t)};\n" * 10)
            ms = [float(m.group(1)) for m in map(pattern.match, out) if m]
            if len(ms) != 10:
                die(f"planning of {t}: expected 10 planning times, got {out}")
            if sample:
                got.setdefault(label, []).append(ms)
    rows = []
    for label, _ in kinds:
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
    fdw_planning(args, report, args.cold)


def main():
    ap = argparse.ArgumentParser(
        prog="bench/run.sh", description=__doc__,
        epilog="bench/run.sh also takes --no-build: use the extension as installed and "
        "$BUILD_DIR (default build-bench) as built.")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per cell (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per cell before timing")
    ap.add_argument("--cold", type=int, default=7, help="fresh sessions per cold-call row")
    ap.add_argument("--cancel", type=int, default=7, help="cancelled calls per cancel row")
    ap.add_argument("--no-preload", action="store_true",
                    help="skip the cold calls with shared_preload_libraries = 'pg_wasm'")
    ap.add_argument("--quick", action="store_true", help="small inputs: checks the script only")
    ap.add_argument("--no-fdw", action="store_true", help="skip the foreign data wrappers")
    ap.add_argument("--only-fdw", action="store_true",
                    help="only the foreign data wrappers (with the report's header)")
    ap.add_argument("--output", help="also write the report to this file")
    ap.add_argument("--root", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--build-dir", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", required=True, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.no_fdw and args.only_fdw:
        ap.error("--no-fdw and --only-fdw exclude each other")
    # SIGTERM ends the run as Ctrl-C does, through the finally clauses (the
    # API server is stopped).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"bench: signal {signum}"))
    if args.reps < 1 or args.warmup < 0 or args.cold < 1 or args.cancel < 1:
        ap.error("--reps, --cold and --cancel must be at least 1, --warmup at least 0")

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
        f"- jit = off and max_parallel_workers_per_gather = 0 in every session; times in ms, median of {args.reps} timed run(s) after "
        f"{args.warmup} warm-up run(s), timed in the server around the query (bench.run)",
        f"- wasm column: wasm.tiering = {tiering} (default: {default}); "
        "ratios are time / time of the C function",
        "",
    ]
    noise = []
    if args.only_fdw:
        fdw_section(args, report, noise)
        finish(args, report, noise)
        return

    # The four implementations side by side.
    check_fib_values()
    loads = workloads(args.quick)
    add_label, add_query = loads[-1]
    baseline_query = add_query.replace("{f}_add(i, i)", "i + i")
    cells = [((label, f), query.format(f=f)) for label, query in loads for f in IMPLS]
    cells += [((label, "native"), query.format(f="wasm")) for label, query in loads]
    cells.append((("baseline", "sql"), baseline_query))
    times, _, main_results = measure(cells, args.warmup, args.reps, what="main table")
    for label, _ in loads:
        check_agree(label, {f: main_results[(label, f)] for f in IMPLS + ("native",)})
    check_agree("add vs plain SQL", {"c": main_results[(add_label, "c")],
                                     "sql": main_results[("baseline", "sql")]})
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for label, _ in loads:
        m = {f: med[(label, f)] for f in IMPLS + ("native",)}
        rows.append([label] + [fmt_ms(m[f]) for f in IMPLS + ("native",)]
                    + [fmt_ratio(m[f] / m["c"]) for f in ("wasm", "native", "plpgsql", "plpython")])
    report += ["## Wasm, PL/pgSQL, PL/Python and C side by side", ""]
    report += table(["workload", "wasm", "plpgsql", "plpython", "c", "native", "wasm/c",
                     "native/c", "plpgsql/c", "plpython/c"], rows)
    report += ["", "wasm: the V8 engine; native: the same modules on the native engine "
               "(wasm.engine = native: wasm2c and the system C compiler)."]
    base = med[("baseline", "sql")]
    report += ["", "Plain SQL, no function call, for the add row:", ""]
    report += table(["query", "ms", "/c_add"],
                    [[baseline_query, fmt_ms(base), fmt_ratio(base / med[(add_label, "c")])]])
    noise += noisy("main", {f"{k[0]} / {k[1]}": v for k, v in times.items()})
    # Text and JSON: byte strings in and out, through pg_wasm's ABI.
    tloads = text_workloads(args.quick)
    cells = [((label, f), query.format(f=f)) for label, query, _ in tloads for f in IMPLS]
    cells += [((label, "native"), query.format(f="wasm")) for label, query, _ in tloads]
    cells += [((label, "builtin"), builtin) for label, _, builtin in tloads]
    times, _, text_results = measure(cells, args.warmup, args.reps, what="text and JSON")
    for label, _, _ in tloads:
        check_agree(label,
                    {f: text_results[(label, f)] for f in IMPLS + ("native", "builtin")})
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for label, _, _ in tloads:
        m = {f: med[(label, f)] for f in IMPLS + ("native", "builtin")}
        rows.append([label] + [fmt_ms(m[f]) for f in IMPLS + ("native", "builtin")]
                    + [fmt_ratio(m[f] / m["c"])
                       for f in ("wasm", "native", "plpgsql", "plpython", "builtin")])
    report += ["", "## Text and JSON: byte strings through pg_wasm's ABI", ""]
    report += table(["workload", "wasm", "plpgsql", "plpython", "c", "native", "builtin SQL",
                     "wasm/c", "native/c", "plpgsql/c", "plpython/c", "builtin/c"], rows)
    report += ["", "The C slugify is examples/text.c's algorithm compiled natively; the C "
               "json_get calls the ->> operator's own C function; builtin SQL is the same "
               "expression without a function of ours."]
    noise += noisy("text", {f"{k[0]} / {k[1]}": v for k, v in times.items()})

    # Tiering, Wasm only. The tiering is chosen when V8 starts in a
    # session, so each sample is a new session per tiering (interleaved): V8
    # started by a call into another module, then the workloads' first run
    # (compiling their modules; Liftoff code until tier-up), then warm-up
    # runs, then one timed run. A recursive fib, one long call full of calls,
    # joins the two workloads. C, in its own session, is the
    # reference, and every result must match C's.
    tier_loads = [loads[2], loads[3], ("recursive fib(32), 1 call", "SELECT {f}_fibrec(32)")]
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
    fuel_loads = [loads[2], loads[3], loads[4], ("recursive fib(32), 1 call", "SELECT {f}_fibrec(32)")]
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

    # Cold first call in a new session.
    kinds = [(f"wasm ({t})", "wasm_fib", f"-c wasm.tiering={t}") for t in TIERINGS]
    kinds += [(f, f"{f}_fib", "") for f in ("plpgsql", "plpython", "c")]
    log("cold calls")
    cold = cold_rows(kinds, args.cold, preloaded=False)
    if not args.no_preload:
        log("cold calls with shared_preload_libraries = 'pg_wasm' (restarting the cluster)")
        set_preload("pg_wasm", args)
        try:
            cold += cold_rows(kinds[:len(TIERINGS)], args.cold, preloaded=True)
        finally:
            set_preload("", args)
    report += ["", f"## Cold call: fib(50) as the first call of a new session "
               f"(median of {args.cold} sessions after 1 untimed one, client-side time)", ""]
    report += table(["function", "preloaded", "first call", "min", "max", "second call"], cold)

    # Cancel latency.
    log("cancel latency")
    rows = []
    for label, function, options in [(f"wasm ({t})", "wasm_spin", f"-c wasm.tiering={t}")
                                     for t in TIERINGS] + [("plpgsql", "plpgsql_spin", "")]:
        late = cancel_ms(function, options, warmup=1, reps=args.cancel)
        rows.append([label, fmt_ms(statistics.median(late)), fmt_ms(min(late)),
                     fmt_ms(max(late))])
    report += ["", f"## Cancel: ms beyond statement_timeout = {TIMEOUT_MS}ms until an infinite "
               f"loop errors out (median of {args.cancel}, after 1 warm-up)", ""]
    report += table(["loop", "median", "min", "max"], rows)

    if not args.no_fdw:
        fdw_section(args, report, noise)
    finish(args, report, noise)


def finish(args, report, noise):
    if noise:
        report += ["", "Timed runs that spread by more than 25% (re-run on a quiet machine):", ""]
        report += [f"- {n}" for n in noise]
    text = "\n".join(report) + "\n"
    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
