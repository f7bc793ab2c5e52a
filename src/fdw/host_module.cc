// The "pg_wasm_fdw" import module: what FDW guests get from the host
// (docs/fdw.md, "The host's functions"). Each works only during a routine
// of an FDW guest (current_fdw_guest()).
//
//   take(ptr)                  hands over the bytes the last call left
//   http(ptr, len) -> size     one HTTP request (services/http_client)
//   json_rows(ptr, len) -> n   rows of the running scan from JSON
//   sleep(ms)                  waits; a cancel ends it
//   epoch_ms() -> i64          the wall clock
//   parse_rfc3339(ptr, len) -> i64, format_rfc3339(i64) -> size
//   jwt(ptr, len) -> size      a signed JSON Web Token
#include <chrono>
#include <cmath>
#include <string>

#include "fdw/host_module.h"

#include "fdw/component/component_guest.h"
#include "fdw/component/wasi_http.h"
#include "fdw/fdw_headers.h"
#include "fdw/guest.h"
#include "fdw/guest_services.h"
#include "pg/abi/msgpack_values.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_functions.h"
#include "services/http_client.h"
#include "services/jwt.h"
#include "services/rfc3339.h"
#include "toolkit/json_text.h"

namespace pgwasm::fdw {

namespace {

using engine::HostCall;
using engine::Value;
using pg::MsgpackPacker;
using pg::SqlError;
using pg::host::current_call_description;
using pg::host::guest_bytes;
using pg::host::guest_text;
using pg::host::HostFunction;
using pg::host::I32;
using pg::host::I64;
using toolkit::MsgpackError;
using toolkit::MsgpackReader;
using Type = MsgpackReader::Type;

// The longest one sleep may be: a guest that wants longer calls again.
constexpr int32_t kMaxSleepMs = 60'000;
// How deep the claims of a JWT may nest.
constexpr int kMaxJsonDepth = 32;

FdwGuest &guest_for(std::string_view function) {
  FdwGuest *g = current_fdw_guest();
  if (!g)
    throw SqlError(ERRCODE_FDW_FUNCTION_SEQUENCE_ERROR,
                   "wasm " + current_call_description() + " called pg_wasm_fdw." +
                       std::string(function) + " outside a foreign data wrapper's routine");
  return *g;
}

// Keeps `bytes` for take() and returns their size.
int32_t hand_over(FdwGuest &g, std::string bytes) {
  g.pending = std::move(bytes);
  return static_cast<int32_t>(g.pending.size());
}

[[noreturn]] void bad_input(FdwGuest &g, std::string_view function, const std::string &why) {
  g.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
         "pg_wasm_fdw." + std::string(function) + " was given " + why);
}

std::string text_of(FdwGuest &g, std::string_view function, const MsgpackReader::Value &v,
                    std::string_view key) {
  if (v.type != Type::Str && v.type != Type::Bin)
    bad_input(g, function, std::string(key) + " " + describe(v) + ", not a string");
  return std::string(v.bytes);
}

void take(HostCall &call, std::span<const Value> args, std::span<Value>) {
  FdwGuest &g = guest_for("take");
  auto dest = guest_bytes(call, args[0].bits.i32, static_cast<uint32_t>(g.pending.size()),
                          "pg_wasm_fdw.take");
  std::copy(g.pending.begin(), g.pending.end(), dest.begin());
  g.pending.clear();
  g.pending.shrink_to_fit();
}

services::HttpRequest read_request(FdwGuest &g, std::string_view bytes) {
  services::HttpRequest req;
  MsgpackReader r(bytes);
  auto map = r.next();
  if (map.type != Type::Map) bad_input(g, "http", describe(map) + ", not a request map");
  for (uint32_t i = 0; i < map.count; i++) {
    auto key = r.next_key();
    if (key == "method") {
      req.method = text_of(g, "http", r.next(), "method");
    } else if (key == "url") {
      req.url = text_of(g, "http", r.next(), "url");
    } else if (key == "body") {
      auto v = r.next();
      if (v.type != Type::Nil) req.body = text_of(g, "http", v, "body");
    } else if (key == "headers") {
      auto list = r.next();
      if (list.type != Type::Array)
        bad_input(g, "http", "headers " + describe(list) + ", not an array");
      if (list.count > services::kMaxRequestHeaders)
        bad_input(g, "http",
                  std::to_string(list.count) + " headers, more than " +
                      std::to_string(services::kMaxRequestHeaders));
      for (uint32_t h = 0; h < list.count; h++) {
        auto pair = r.next();
        if (pair.type != Type::Array || pair.count != 2)
          bad_input(g, "http", "header " + describe(pair) + ", not a [name, value] pair");
        std::string name = text_of(g, "http", r.next(), "a header name");
        std::string value = text_of(g, "http", r.next(), "a header value");
        req.headers.emplace_back(std::move(name), std::move(value));
      }
    } else {
      r.skip();
    }
  }
  if (req.method.empty()) req.method = "GET";
  if (req.url.empty()) bad_input(g, "http", "a request without a url");
  return req;
}

std::string pack_response(const services::HttpResponse &resp) {
  msgpack::sbuffer buf;
  MsgpackPacker p(buf);
  p.pack_map(3);
  p.pack("status");
  p.pack_int32(resp.status);
  p.pack("headers");
  p.pack_array(static_cast<uint32_t>(resp.headers.size()));
  for (const auto &[k, v] : resp.headers) {
    p.pack_array(2);
    p.pack(k);
    p.pack(v);
  }
  p.pack("body");
  p.pack_bin(static_cast<uint32_t>(resp.body.size()));
  p.pack_bin_body(resp.body.data(), static_cast<uint32_t>(resp.body.size()));
  return std::string(buf.data(), buf.size());
}

void http(HostCall &call, std::span<const Value> args, std::span<Value> results) {
  FdwGuest &g = guest_for("http");
  const GuestContext &ctx = g.context();
  services::HttpRequest req;
  try {
    req = read_request(g, guest_text(call, args[0], args[1], "pg_wasm_fdw.http"));
  } catch (const MsgpackError &e) {
    bad_input(g, "http", std::string("invalid MessagePack: ") + e.what());
  }
  // Every failure is the statement's error.
  GuestHttpResult result = guest_http(g, req);
  if (const auto &e = result.error)
    throw SqlError(http_failure_sqlstate(e->kind()),
                   scrub(http_failure_message(ctx, *e), ctx.secrets), "",
                   http_failure_hint(e->kind()));
  results[0] = Value::make_i32(hand_over(g, pack_response(result.response)));
}

void json_rows(HostCall &call, std::span<const Value> args, std::span<Value> results) {
  FdwGuest &g = guest_for("json_rows");
  if (!g.row_sink)
    g.fail(ERRCODE_FDW_FUNCTION_SEQUENCE_ERROR,
           "pg_wasm_fdw.json_rows may be called only during fdw_iter_scan");
  std::string_view json, path;
  try {
    MsgpackReader r(guest_text(call, args[0], args[1], "pg_wasm_fdw.json_rows"));
    auto map = r.next();
    if (map.type != Type::Map) bad_input(g, "json_rows", describe(map) + ", not a map");
    for (uint32_t i = 0; i < map.count; i++) {
      auto key = r.next_key();
      if (key != "json" && key != "path") {
        r.skip();
        continue;
      }
      auto v = r.next();
      if (v.type != Type::Str && v.type != Type::Bin)
        bad_input(g, "json_rows", std::string(*key) + " " + describe(v) + ", not a string");
      (key == "json" ? json : path) = v.bytes;
    }
  } catch (const MsgpackError &e) {
    bad_input(g, "json_rows", std::string("invalid MessagePack: ") + e.what());
  }
  results[0] = Value::make_i32(static_cast<int32_t>(g.row_sink->json_rows(json, path)));
}

void sleep(HostCall &, std::span<const Value> args, std::span<Value>) {
  FdwGuest &g = guest_for("sleep");
  int32_t ms = args[0].as_i32();
  if (ms < 0 || ms > kMaxSleepMs)
    bad_input(g, "sleep",
              std::to_string(ms) + " ms; it sleeps 0 to " + std::to_string(kMaxSleepMs) + " ms");
  guest_sleep_ms(static_cast<uint64_t>(ms));
}

void epoch_ms(HostCall &, std::span<const Value>, std::span<Value> results) {
  guest_for("epoch_ms");
  auto now = std::chrono::system_clock::now().time_since_epoch();
  results[0] = Value::make_i64(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

void parse_rfc3339(HostCall &call, std::span<const Value> args, std::span<Value> results) {
  FdwGuest &g = guest_for("parse_rfc3339");
  std::string_view text = guest_text(call, args[0], args[1], "pg_wasm_fdw.parse_rfc3339");
  auto micros = services::parse_rfc3339(text);
  if (!micros)
    bad_input(g, "parse_rfc3339",
              "\"" + std::string(text.substr(0, 64)) + "\", which is not an RFC 3339 date-time");
  results[0] = Value::make_i64(*micros);
}

void format_rfc3339(HostCall &, std::span<const Value> args, std::span<Value> results) {
  FdwGuest &g = guest_for("format_rfc3339");
  std::string text;
  try {
    text = services::format_rfc3339(args[0].as_i64());
  } catch (const std::out_of_range &) {
    bad_input(g, "format_rfc3339",
              std::to_string(args[0].as_i64()) + " µs, outside the years 0000 to 9999");
  }
  results[0] = Value::make_i32(hand_over(g, std::move(text)));
}

// A MessagePack value as JSON, for a token's claims.
void to_json(FdwGuest &g, MsgpackReader &r, std::string &out, int depth) {
  if (depth > kMaxJsonDepth)
    bad_input(g, "jwt", "claims nested deeper than " + std::to_string(kMaxJsonDepth));
  auto v = r.next();
  switch (v.type) {
    case Type::Nil: out += "null"; break;
    case Type::Bool: out += v.boolean ? "true" : "false"; break;
    case Type::Int: out += std::to_string(v.i); break;
    case Type::UInt: out += std::to_string(v.u); break;
    case Type::Float: {
      if (!std::isfinite(v.f)) bad_input(g, "jwt", "a claim that is not a finite number");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.f);
      out += buf;
      break;
    }
    case Type::Str:
    case Type::Bin: toolkit::append_json_string(out, v.bytes); break;
    case Type::Array:
      out += '[';
      for (uint32_t i = 0; i < v.count; i++) {
        if (i) out += ',';
        to_json(g, r, out, depth + 1);
      }
      out += ']';
      break;
    case Type::Map:
      out += '{';
      for (uint32_t i = 0; i < v.count; i++) {
        if (i) out += ',';
        auto key = r.next();
        if (key.type != Type::Str)
          bad_input(g, "jwt", "a claim key " + describe(key) + ", not a string");
        toolkit::append_json_string(out, key.bytes);
        out += ':';
        to_json(g, r, out, depth + 1);
      }
      out += '}';
      break;
    default: bad_input(g, "jwt", "a claim of type " + describe(v));
  }
}

void jwt(HostCall &call, std::span<const Value> args, std::span<Value> results) {
  FdwGuest &g = guest_for("jwt");
  std::string alg, key, claims, header;
  try {
    MsgpackReader r(guest_text(call, args[0], args[1], "pg_wasm_fdw.jwt"));
    auto map = r.next();
    if (map.type != Type::Map) bad_input(g, "jwt", describe(map) + ", not a map");
    for (uint32_t i = 0; i < map.count; i++) {
      auto name = r.next_key();
      if (name == "alg")
        alg = text_of(g, "jwt", r.next(), "alg");
      else if (name == "key")
        key = text_of(g, "jwt", r.next(), "key");
      else if (name == "claims")
        to_json(g, r, claims, 0);
      else if (name == "header")
        to_json(g, r, header, 0);
      else
        r.skip();
    }
  } catch (const MsgpackError &e) {
    bad_input(g, "jwt", std::string("invalid MessagePack: ") + e.what());
  }
  if (claims.empty() || claims.front() != '{') bad_input(g, "jwt", "claims that are not a map");
  if (!header.empty() && header.front() != '{') bad_input(g, "jwt", "a header that is not a map");
  std::string token;
  try {
    token = services::jwt_sign(alg, key, header, claims);
  } catch (const std::invalid_argument &e) {
    bad_input(g, "jwt", std::string("what it cannot sign: ") + e.what());
  }
  results[0] = Value::make_i32(hand_over(g, std::move(token)));
}

std::vector<HostFunction> fdw_functions() {
  return {
      {"pg_wasm_fdw", "take", {{I32}, {}}, take},
      {"pg_wasm_fdw", "http", {{I32, I32}, {I32}}, http},
      {"pg_wasm_fdw", "json_rows", {{I32, I32}, {I32}}, json_rows},
      {"pg_wasm_fdw", "sleep", {{I32}, {}}, sleep},
      {"pg_wasm_fdw", "epoch_ms", {{}, {I64}}, epoch_ms},
      {"pg_wasm_fdw", "parse_rfc3339", {{I32, I32}, {I64}}, parse_rfc3339},
      {"pg_wasm_fdw", "format_rfc3339", {{I64}, {I32}}, format_rfc3339},
      {"pg_wasm_fdw", "jwt", {{I32, I32}, {I32}}, jwt},
  };
}

}  // namespace

void register_host_functions() {
  pg::host::register_host_functions(fdw_functions());
  pg::host::register_host_functions(component_host_functions());
  register_wasi_http();
}

}  // namespace pgwasm::fdw
