#!/usr/bin/env bash
# FDW guests' HTTPS is verified against the system's CA store: an HTTPS
# server on 127.0.0.1 with a certificate made here (self-signed, for
# 127.0.0.1) is refused with a TLS error (HV00N) before any request is
# sent, and plain HTTP spoken to it fails too.
#   test/integration/fdw_tls.sh <build dir>
source "$(dirname "$0")/lib.sh"
DB=pg_wasm_fdw_tls
WORK=$(mktemp -d)
tls_pid=
cleanup() {
  local rc=$?
  if [ -n "$tls_pid" ]; then kill "$tls_pid" 2>/dev/null; wait "$tls_pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
  "$ROOT/scripts/check-server-log.sh" --from "$SERVER_LOG_FROM" "$SERVER_LOG" >/dev/null || rc=1
  exit $rc
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
# A minimal HTTPS server: answers every GET with {"data": []}, counts the
# requests it got, and stops after 60 s whatever happens.
cat >"$WORK/tls_server.py" <<'PY'
import http.server, json, ssl, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"data": [], "next_cursor": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(sys.argv[3] + ".requests", "a") as f:
            f.write("GET\n")
    def log_message(self, *args):
        pass
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
import os
os.replace(sys.argv[3] + ".tmp", sys.argv[3])
threading.Timer(60, httpd.shutdown).start()
httpd.serve_forever(poll_interval=0.1)
PY
python3 "$WORK/tls_server.py" "$WORK/cert.pem" "$WORK/key.pem" "$WORK/port" &
tls_pid=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
# The server itself works: a client that trusts the certificate gets an answer.
expect "the test server answers over TLS" '{"data": [], "next_cursor": null}' \
  "$(curl -s --max-time 5 --cacert "$WORK/cert.pem" "https://127.0.0.1:$PORT/events")"

sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB"
sql -d postgres -c "CREATE DATABASE $DB"
sql -d $DB >/dev/null <<SQL
CREATE EXTENSION wasm;
SELECT wasm.load_module_file('events_fdw', '$GUESTS/events_fdw.wasm');
CREATE FOREIGN DATA WRAPPER wasm_wrapper HANDLER wasm_fdw_handler VALIDATOR wasm_fdw_validator;
CREATE SERVER tls_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url 'https://127.0.0.1:$PORT');
CREATE SERVER plain_api FOREIGN DATA WRAPPER wasm_wrapper
    OPTIONS (module 'events_fdw', api_url 'http://127.0.0.1:$PORT');
CREATE FOREIGN TABLE tls_events (id text) SERVER tls_api OPTIONS (object 'events');
CREATE FOREIGN TABLE plain_events (id text) SERVER plain_api OPTIONS (object 'events');
SQL
error_of() {
  { sql -d $DB -c "SET wasm.http_allowed_hosts = '127.0.0.1'" -c "\set VERBOSITY verbose" \
      -c "SELECT * FROM $1" 2>&1 || true; } | sed -n 's/^ERROR:  \([0-9A-Z]*\): .*/\1/p'
}
expect "an untrusted certificate is refused" "HV00N" "$(error_of tls_events)"
message=$(sql -d $DB -c "SET wasm.http_allowed_hosts = '127.0.0.1'" -c "SELECT * FROM tls_events" 2>&1 || true)
expect "the error says why" "SSL certificate problem: self-signed certificate" \
  "$(echo "$message" | grep -o 'SSL certificate problem: self-signed certificate')"
expect "plain HTTP to a TLS port fails" "HV00N" "$(error_of plain_events)"
expect "only the trusting client's request reached the server" "1" "$(cat "$WORK/port.requests" 2>/dev/null | wc -l)"

sql -d postgres -c "DROP DATABASE $DB"
echo "fdw_tls: all ok"
