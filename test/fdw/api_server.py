#!/usr/bin/env python3
"""The HTTP/JSON API the FDW tests and examples run against.

Python 3's standard library only. Listens on 127.0.0.1:

    test/fdw/api_server.py --port 0 --port-file /tmp/port [--token secret-token-123]
                           [--events 1000] [--max-page 100]

writes the port it listens on to --port-file once listening, and exits
cleanly on SIGTERM or SIGINT. Every loop is bounded.

Data (deterministic, from a fixed seed): --events events (default 1,000:
e0001..e1000; more continue the same sequence, e1001.., so the first 1,000
are always the same), one a minute from 2024-01-01T00:00:00Z; 5 users
u1..u5. --max-page is the largest page /events and /users give (default 100;
the benchmark raises it).

Endpoints:
  GET /events              ?type= &actor= (login) &ids=e0001,e0002
                           &created_after= &created_before= (both exclusive)
                           &sort=created_at|-created_at &limit= (default 100,
                           max --max-page) &cursor=  -> {"data": [...], "next_cursor"}
  GET /events.csv          the same events (same filters and sort, no paging)
                           as CSV with a header: id,type,actor_login,created_at
  GET /events/{id}         the event, or 404
  GET /github/events       the events as GitHub's REST API gives them (a JSON
                           array, newest first; each with id, type, actor
                           {id, login, display_login, url}, repo {id, name,
                           url}, payload, public, created_at), ?per_page=
                           (default 30, max 100) &page= (from 1); past the
                           last page, []
  GET /limited/events      as /events, but the first request for each cursor
                           value is answered 429 with Retry-After: 1
  /users                   Authorization: Bearer <token>, else 401
    GET /users[?limit&cursor], GET /users/{id}, POST /users (201),
    PATCH /users/{id} (merge), DELETE /users/{id} (204; 404 if missing)
  GET /schema              tables for IMPORT FOREIGN SCHEMA
  GET /slow?ms=N           answers after N ms (at most 60 s)
  GET /huge?mb=N           a JSON array of N MB
  GET /endless             streams until the client leaves (or 60 s)
  GET /status/{code}       that status
  GET /malformed           200 with invalid JSON
  GET /redirect?to=URL     302 to URL
  GET /wrong-shape         200 with {"data": 5}
  GET /files/{name}        the file of that name in --files DIR (packages)
  GET /_stats              requests per path; length of the last
                           Authorization header per path
  POST /_reset             resets stats, users and the 429s
"""

import argparse
import csv
import datetime
import io
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEED = 20240101
EVENT_TYPES = ["PushEvent", "IssuesEvent", "WatchEvent", "ForkEvent"]
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
MAX_LIMIT = 100  # --max-page
MAX_WAIT_S = 60.0


def make_events(count=1000):
    rng = random.Random(SEED)
    events = []
    for i in range(count):
        actor = rng.randint(1, 50)
        created = START + datetime.timedelta(minutes=i)
        events.append({
            "id": "e%04d" % (i + 1),
            "type": rng.choice(EVENT_TYPES),
            "actor": {"login": "user%d" % actor, "id": actor},
            "repo": "org/repo%d" % rng.randint(1, 20),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "payload": {"size": rng.randint(1, 20)},
        })
    return events


EVENTS = make_events()
EVENTS_BY_ID = {e["id"]: e for e in EVENTS}


def initial_users():
    names = ["alice", "bob", "carol", "dave", "erin"]
    return {
        "u%d" % (i + 1): {"id": "u%d" % (i + 1), "name": n, "email": "%s@example.com" % n,
                          "age": 30 + i}
        for i, n in enumerate(names)
    }


SCHEMA = {"tables": [
    {"name": "events",
     "columns": [{"name": "id", "type": "text", "not_null": True},
                 {"name": "type", "type": "text"},
                 {"name": "actor", "type": "jsonb"},
                 {"name": "created_at", "type": "timestamp with time zone"}],
     "options": {"object": "events", "rowid_column": "id"}},
    {"name": "users",
     "columns": [{"name": "id", "type": "text", "not_null": True},
                 {"name": "name", "type": "text"},
                 {"name": "email", "type": "text"},
                 {"name": "age", "type": "integer"}],
     "options": {"object": "users", "rowid_column": "id"}},
    {"name": "bad_type",
     "columns": [{"name": "x", "type": "no_such_type"}],
     "options": {"object": "bad_type"}},
]}


class BadRequest(Exception):
    pass


def parse_time(value, name):
    try:
        text = value.strip()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        t = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest("%s is not an RFC 3339 time" % name)
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t


def parse_int(value, name, lo, hi):
    try:
        n = int(value)
    except ValueError:
        raise BadRequest("%s is not an integer" % name)
    if n < lo:
        raise BadRequest("%s must be at least %d" % (name, lo))
    return min(n, hi)


def paginate(items, query):
    """{"data": page, "next_cursor": ...} of items, by limit and cursor (an offset)."""
    limit = parse_int(query.get("limit", "100"), "limit", 0, MAX_LIMIT)
    start = 0
    if query.get("cursor"):
        cursor = query["cursor"]
        if not cursor.startswith("c") or not cursor[1:].isdigit():
            raise BadRequest("bad cursor")
        start = int(cursor[1:])
    page = items[start:start + limit]
    end = start + len(page)
    return {"data": page, "next_cursor": ("c%d" % end) if end < len(items) and limit else None}


def filter_events(query):
    events = EVENTS
    if "type" in query:
        events = [e for e in events if e["type"] == query["type"]]
    if "actor" in query:
        events = [e for e in events if e["actor"]["login"] == query["actor"]]
    if "ids" in query:
        wanted = set(query["ids"].split(","))
        events = [e for e in events if e["id"] in wanted]
    if "created_after" in query:
        t = parse_time(query["created_after"], "created_after")
        events = [e for e in events if parse_time(e["created_at"], "") > t]
    if "created_before" in query:
        t = parse_time(query["created_before"], "created_before")
        events = [e for e in events if parse_time(e["created_at"], "") < t]
    sort = query.get("sort", "created_at")
    if sort == "-created_at":
        events = list(reversed(events))
    elif sort != "created_at":
        raise BadRequest("sort is created_at or -created_at")
    return events


def github_event(e):
    """An event in the shape of GitHub's REST API (GET /events)."""
    login = e["actor"]["login"]
    repo = e["repo"]
    number = int(e["id"][1:])
    return {
        "id": e["id"],
        "type": e["type"],
        "actor": {"id": e["actor"]["id"], "login": login, "display_login": login,
                  "url": "https://api.github.com/users/" + login},
        "repo": {"id": 1000 + int(repo.rsplit("repo", 1)[1]), "name": repo,
                 "url": "https://api.github.com/repos/" + repo},
        "payload": e["payload"],
        "public": number % 10 != 0,
        "created_at": e["created_at"],
    }


def github_events(query):
    """A page of the events, newest first, as GitHub pages them."""
    per_page = parse_int(query.get("per_page", "30"), "per_page", 1, 100)
    page = parse_int(query.get("page", "1"), "page", 1, 1_000_000)
    start = (page - 1) * per_page
    newest_first = EVENTS[::-1]
    return [github_event(e) for e in newest_first[start:start + per_page]]


def events_csv(events):
    """The events as CSV: id,type,actor_login,created_at, with a header."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "type", "actor_login", "created_at"])
    w.writerows([e["id"], e["type"], e["actor"]["login"], e["created_at"]] for e in events)
    return out.getvalue().encode()


class State:
    def __init__(self, token):
        self.token = token
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            self.counts = {}
            self.auth = {}
            self.limited_seen = set()
            self.users = initial_users()
            self.next_user = 6


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pg_wasm_fdw_test_api/1"
    # Headers and body go out as two writes: without TCP_NODELAY the body of
    # a small response waits for the client's delayed ACK (40 ms) on a
    # keep-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def state(self):
        return self.server.state

    # -- responses --
    def send_json(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_bytes(status, body, "application/json", headers)

    def send_bytes(self, status, body, ctype="application/json", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status not in (204, 304) and not (100 <= status < 200):
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        else:
            body = b""
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        self.body_read = True
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > 10 * 1024 * 1024:
            raise BadRequest("bad Content-Length")
        return self.rfile.read(n) if n else b""

    # -- dispatch --
    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        st = self.state
        with st.lock:
            st.counts[path] = st.counts.get(path, 0) + 1
            auth = self.headers.get("Authorization")
            if auth is not None:
                st.auth[path] = len(auth)
        self.body_read = False
        try:
            self.route(self.command, path, query)
            # A body the route did not read must not become the start of
            # the connection's next request.
            if not self.body_read and not self.close_connection:
                self.read_body()
        except BadRequest as e:
            self.send_json(400, {"error": str(e)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = handle_any

    def serve_file(self, name):
        # Only plain names inside --files: no path reaches outside it.
        directory = self.server.files_dir
        if not directory or "/" in name or name.startswith("."):
            return self.send_json(404, {"error": "not found"})
        try:
            with open(os.path.join(directory, name), "rb") as f:
                body = f.read()
        except OSError:
            return self.send_json(404, {"error": "not found"})
        return self.send_bytes(200, body, "application/wasm")

    def route(self, method, path, query):
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["_stats"] and method == "GET":
            with self.state.lock:
                return self.send_json(200, {"requests": dict(self.state.counts),
                                            "authorization_length": dict(self.state.auth)})
        if parts == ["_reset"] and method == "POST":
            self.read_body()
            self.state.reset()
            return self.send_json(200, {"reset": True})
        if parts == ["events"] and method == "GET":
            return self.send_json(200, paginate(filter_events(query), query))
        if parts == ["events.csv"] and method == "GET":
            return self.send_bytes(200, events_csv(filter_events(query)), "text/csv")
        if len(parts) == 2 and parts[0] == "events" and method == "GET":
            e = EVENTS_BY_ID.get(parts[1])
            return self.send_json(200, e) if e else self.send_json(404, {"error": "not found"})
        if parts == ["github", "events"] and method == "GET":
            return self.send_json(200, github_events(query))
        if parts == ["limited", "events"] and method == "GET":
            key = query.get("cursor", "")
            with self.state.lock:
                first = key not in self.state.limited_seen
                self.state.limited_seen.add(key)
            if first:
                return self.send_json(429, {"error": "rate limited"}, [("Retry-After", "1")])
            return self.send_json(200, paginate(filter_events(query), query))
        if parts[:1] == ["users"]:
            return self.users(method, parts, query)
        if len(parts) == 2 and parts[0] == "files" and method == "GET":
            return self.serve_file(parts[1])
        if parts == ["schema"] and method == "GET":
            return self.send_json(200, SCHEMA)
        if parts == ["slow"] and method == "GET":
            ms = parse_int(query.get("ms", "1000"), "ms", 0, int(MAX_WAIT_S * 1000))
            deadline = time.monotonic() + ms / 1000.0
            for _ in range(int(MAX_WAIT_S / 0.05) + 1):
                left = deadline - time.monotonic()
                if left <= 0 or self.state.stopping.is_set():
                    break
                time.sleep(min(0.05, left))
            return self.send_json(200, {"slept_ms": ms})
        if parts == ["huge"] and method == "GET":
            return self.huge(parse_int(query.get("mb", "1"), "mb", 0, 1024))
        if parts == ["endless"] and method == "GET":
            return self.endless()
        if len(parts) == 2 and parts[0] == "status" and method in ("GET", "POST", "HEAD"):
            code = parse_int(parts[1], "code", 200, 599)
            return self.send_json(code, {"status": code, "message": "status %d as asked" % code})
        if parts == ["malformed"] and method == "GET":
            return self.send_bytes(200, b'{"data": [{"id": 1}, {"id": ')
        if parts == ["redirect"] and method == "GET":
            to = query.get("to")
            if not to:
                raise BadRequest("to is required")
            return self.send_json(302, {"location": to}, [("Location", to)])
        if parts == ["wrong-shape"] and method == "GET":
            return self.send_json(200, {"data": 5})
        return self.send_json(404, {"error": "no such endpoint"})

    def huge(self, mb):
        item = b'{"id": 0, "pad": "' + b"x" * 1000 + b'"}'  # 1,020 bytes
        count = mb * 1024 * 1024 // (len(item) + 1)
        length = 2 + count * len(item) + max(count - 1, 0)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        chunk_items = 256
        self.wfile.write(b"[")
        written = 0
        while written < count:  # bounded by count
            n = min(chunk_items, count - written)
            parts = []
            for i in range(n):
                parts.append((b"," if written + i else b"") + item)
            self.wfile.write(b"".join(parts))
            written += n
            if self.state.stopping.is_set():
                self.close_connection = True
                return
        self.wfile.write(b"]")

    def endless(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        deadline = time.monotonic() + MAX_WAIT_S
        self.wfile.write(b"[")
        chunk = b'{"n": 0, "pad": "' + b"y" * 4000 + b'"},'
        for _ in range(1_000_000):
            if time.monotonic() > deadline or self.state.stopping.is_set():
                break
            try:
                self.wfile.write(chunk)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return
            time.sleep(0.01)

    # -- users --
    def users(self, method, parts, query):
        st = self.state
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + st.token:
            self.read_body() if method in ("POST", "PATCH", "PUT") else None
            return self.send_json(401, {"error": "bad token"})
        if parts == ["users"] and method == "GET":
            with st.lock:
                users = sorted(st.users.values(), key=lambda u: int(u["id"][1:]))
            return self.send_json(200, paginate(users, query))
        if parts == ["users"] and method == "POST":
            body = self.json_object()
            with st.lock:
                uid = "u%d" % st.next_user
                st.next_user += 1
                user = {"id": uid, "name": body.get("name"), "email": body.get("email"),
                        "age": body.get("age")}
                for k, v in body.items():
                    if k != "id":
                        user[k] = v
                st.users[uid] = user
                user = dict(user)
            return self.send_json(201, user)
        if len(parts) == 2:
            uid = parts[1]
            if method == "GET":
                with st.lock:
                    user = st.users.get(uid)
                    user = dict(user) if user else None
                return self.send_json(200, user) if user else self.send_json(404, {"error": "not found"})
            if method == "PATCH":
                body = self.json_object()
                with st.lock:
                    user = st.users.get(uid)
                    if user:
                        for k, v in body.items():
                            if k != "id":
                                user[k] = v
                        user = dict(user)
                return self.send_json(200, user) if user else self.send_json(404, {"error": "not found"})
            if method == "DELETE":
                with st.lock:
                    gone = st.users.pop(uid, None)
                if gone is None:
                    return self.send_json(404, {"error": "not found"})
                return self.send_bytes(204, b"")
        return self.send_json(405, {"error": "method not allowed"})

    def json_object(self):
        raw = self.read_body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise BadRequest("the body is not JSON")
        if not isinstance(body, dict):
            raise BadRequest("the body is not a JSON object")
        return body


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default="secret-token-123")
    ap.add_argument("--files", help="a directory served under /files/ (FDW packages)")
    ap.add_argument("--events", type=int, default=1000, help="how many events (default 1000)")
    ap.add_argument("--max-page", type=int, default=100,
                    help="the largest page /events and /users give (default 100)")
    args = ap.parse_args()
    if args.events < 0 or args.max_page < 1:
        ap.error("--events must be at least 0, --max-page at least 1")
    global EVENTS, EVENTS_BY_ID, MAX_LIMIT
    if args.events != len(EVENTS):
        EVENTS = make_events(args.events)
        EVENTS_BY_ID = {e["id"]: e for e in EVENTS}
    MAX_LIMIT = args.max_page

    httpd = Server(("127.0.0.1", args.port), Handler)
    httpd.state = State(args.token)
    httpd.files_dir = args.files

    def stop(signum, frame):
        httpd.state.stopping.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("listening on 127.0.0.1:%d" % port, flush=True)
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
