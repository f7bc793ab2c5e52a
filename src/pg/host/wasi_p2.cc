// WASI 0.2 for components (docs/wasi.md, "WASI 0.2"), deny by default: the
// functions of component/wasi.h as host functions under their core import
// names. What the host does matches preview 1 (wasi.cc): stdout and stderr
// become lines in the server log, stdin is at its end, there are no
// arguments, environment, preopened directories or sockets, the clocks and
// strong random bytes are real, exit ends the call, and a poll sleeps until
// its earliest deadline (cancel and statement_timeout stop it). Every value
// crosses through the canonical ABI (component/cabi.h), every handle is
// checked against the instance's table (component_host.h); whatever a guest
// gets wrong is an ERROR naming the call and the WASI function.
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "component/cabi.h"
#include "component/wasi.h"
#include "pg/guard.h"
#include "pg/host/component_host.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_actions.h"
#include "pg/host/host_functions.h"
#include "pg/host/outgoing_http.h"
#include "pg/host/wasi_common.h"
#include "pg/loaded_module.h"

namespace pgwasm::pg::host {

namespace cm = component;
using cm::WasiFn;
using cm::WasiImport;
using cm::WasiResource;
using IncomingBody = ComponentHost::IncomingBody;

namespace {

// The representations of the standard streams (their handles' reps), the
// same numbers as preview 1's file descriptors.
constexpr uint32_t kStdin = 0, kStdout = 1, kStderr = 2;
// What check-write permits at a time, as fd_write's share of a call: a
// guest writing more in one write breaks the stream's contract.
constexpr uint64_t kWritePermit = 64 * 1024;
// The most random bytes one call gives.
constexpr uint64_t kMaxRandomBytes = 1 << 20;
// The most pollables one poll takes (as poll_oneoff's subscriptions).
constexpr uint64_t kMaxPollables = 1024;
// What lifting a WASI call's arguments may walk: its lists are bounded
// above (poll's pollables, a header's bytes), so this only stops a hostile
// length early, before the host makes a value of each element.
constexpr uint64_t kLiftBudget = 256 << 10;
// The most one read of a body gives, and what a header section may hold.
constexpr uint64_t kReadChunk = 64 * 1024;
constexpr size_t kMaxFieldEntries = 100;
constexpr uint64_t kMaxFieldBytes = 64 * 1024;

constexpr uint32_t id(WasiResource r) {
  return static_cast<uint32_t>(r);
}

std::string wasi_name(const WasiImport &f) {
  return "wasi:" + f.interface + "." + f.name;
}

// The guest's memory, and its cabi_realloc for the host's results (strings
// and lists), called while the guest waits for the host function.
class HostMemory final : public cm::GuestMemory {
 public:
  HostMemory(engine::HostCall &call, ModuleInstance *instance) : call_(call), instance_(instance) {}
  std::span<uint8_t> bytes() override { return call_.memory(); }
  uint32_t realloc(uint32_t align, uint32_t size) override {
    engine::Instance *inst = instance_ ? instance_->instance.get() : nullptr;
    if (!inst) throw cm::CabiError("the host cannot allocate in the guest while it is made");
    auto index = inst->info().export_index("cabi_realloc");
    const auto *type = index ? std::get_if<FuncType>(&inst->info().exports[*index].type) : nullptr;
    if (!type || !(*type == FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32},
                                     {ValType::I32}}))
      throw cm::CabiError(
          "the guest exports no cabi_realloc (i32 i32 i32 i32) -> i32 for the host to allocate "
          "its result with");
    engine::Value args[4] = {engine::Value::make_i32(0), engine::Value::make_i32(0),
                             engine::Value::make_i32(static_cast<int32_t>(align)),
                             engine::Value::make_i32(static_cast<int32_t>(size))};
    engine::Value result;
    inst->call(*index, args, &result);
    return result.bits.i32;
  }

 private:
  engine::HostCall &call_;
  ModuleInstance *instance_;
};

struct Ctx {
  GuestCall &gc;
  ComponentHost &host;
  HostMemory &memory;
  const WasiImport &f;
};

uint32_t handle_arg(std::span<const engine::Value> args, size_t i) {
  if (i >= args.size() || args[i].type != ValType::I32)
    throw cm::CabiError("a handle argument that is not an i32");
  return args[i].bits.i32;
}

cm::Value new_handle(Ctx &c, WasiResource r, uint32_t rep) {
  return cm::Value::u(c.host.handles.add(id(r), rep, true));
}

cm::Value ready_pollable(Ctx &c, uint64_t deadline) {
  return new_handle(c, WasiResource::Pollable, c.host.new_pollable(deadline));
}

cm::Value closed() {
  return cm::Value::error(cm::Value::of_case(cm::kStreamErrorClosed));
}

uint64_t clock_resolution(clockid_t clock) {
  timespec ts{};
  clock_getres(clock, &ts);
  return std::max<uint64_t>(
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec), 1);
}

cm::Value datetime(uint64_t ns) {
  return cm::Value::tuple({cm::Value::u(ns / 1'000'000'000), cm::Value::u(ns % 1'000'000'000)});
}

uint64_t random_u64() {
  uint64_t v;
  guest_random({reinterpret_cast<uint8_t *>(&v), sizeof v});
  return v;
}

// The rep of an output stream handle: kStdout or kStderr.
uint32_t output_stream(Ctx &c, uint64_t handle) {
  return c.host.handles.rep(static_cast<uint32_t>(handle), id(WasiResource::OutputStream));
}

void check_permit(uint64_t bytes) {
  if (bytes > kWritePermit)
    throw cm::CabiError("a write of " + std::to_string(bytes) +
                        " bytes, more than check-write permitted (" + std::to_string(kWritePermit) +
                        ")");
}

// Host bytes for the guest, within ComponentHost::kMaxHostBytes.
bool charge(Ctx &c, uint64_t bytes) {
  if (c.host.host_bytes + bytes > ComponentHost::kMaxHostBytes) return false;
  c.host.host_bytes += bytes;
  return true;
}
void release(Ctx &c, uint64_t bytes) {
  c.host.host_bytes -= std::min(c.host.host_bytes, bytes);
}

// A write to stdout, stderr or an outgoing body: ok, or
// last-operation-failed when the body would hold more than the host keeps.
cm::Value write_output(Ctx &c, uint32_t stream, std::string_view data) {
  check_permit(data.size());
  if (stream == kStdout || stream == kStderr) {
    append_output(c.gc, static_cast<int>(stream), data);
    return cm::Value::ok();
  }
  auto body = c.host.outgoing_bodies.find(stream);
  if (body == c.host.outgoing_bodies.end() || body->second.finished)
    throw cm::CabiError("a write to the stream of a body that is finished or gone");
  if (!charge(c, data.size()))
    return cm::Value::error(
        cm::Value::of_case(cm::kStreamErrorFailed,
                           cm::Value::u(c.host.handles.add(id(WasiResource::Error), 0, true))));
  body->second.bytes.append(data);
  return cm::Value::ok();
}

// The host's object behind a rep: gone when the guest dropped it or gave
// it away (a body sent with its request), which is the guest's error.
template <typename Map>
auto &object(Map &map, uint32_t rep) {
  auto it = map.find(rep);
  if (it == map.end())
    throw cm::CabiError("a resource the guest dropped, or gave to the host with its request");
  return it->second;
}

// The functions that take or give bytes, straight from their core values:
// a list<u8> as a value tree would cost the host a value per byte. The
// checks are those of lifting and lowering.
bool fast_path(Ctx &c, std::span<const engine::Value> args, std::span<engine::Value> results) {
  switch (c.f.fn) {
    case WasiFn::OutputWrite:
    case WasiFn::OutputBlockingWriteAndFlush: {
      // (self, ptr, len, retptr) -> result<_, stream-error> at retptr.
      if (args.size() != 4) return false;
      uint32_t stream = output_stream(c, handle_arg(args, 0));
      cm::LiftLowerContext cx(c.memory, kLiftBudget);
      uint32_t len = args[2].bits.i32;
      check_permit(len);
      auto bytes = cx.range(args[1].bits.i32, len, 1, "the bytes written");
      std::string data(reinterpret_cast<const char *>(bytes.data()), bytes.size());
      cm::Value r = write_output(c, stream, data);
      cm::lower_import_result(cx, c.f.sig, &r, args, results);
      return true;
    }
    case WasiFn::RandomBytes:
    case WasiFn::InsecureRandomBytes: {
      // (len: i64, retptr) -> list<u8> at retptr.
      if (args.size() != 2) return false;
      uint64_t len = args[0].bits.i64;
      if (len > kMaxRandomBytes)
        throw cm::CabiError("a request for " + std::to_string(len) +
                            " random bytes, more than the " + std::to_string(kMaxRandomBytes) +
                            " one call may have");
      cm::LiftLowerContext cx(c.memory, kLiftBudget);
      uint32_t retptr = args[1].bits.i32;
      cx.range(retptr, 8, 4, "the return area");
      uint32_t ptr = len ? cx.allocate(1, len, "the random bytes") : 0;
      guest_random(cx.range(ptr, len, 1, "the random bytes"));
      auto out = cx.range(retptr, 8, 4, "the return area");
      uint32_t words[2] = {ptr, static_cast<uint32_t>(len)};
      std::memcpy(out.data(), words, 8);
      return true;
    }
    case WasiFn::InputRead:
    case WasiFn::InputBlockingRead: {
      // (self, len: i64, retptr) -> result<list<u8>, stream-error> at
      // retptr: the case byte at 0, then the list's (ptr, len) or the
      // stream-error's case byte at 4 (and its error handle at 8).
      if (args.size() != 3) return false;
      uint32_t stream = c.host.handles.rep(handle_arg(args, 0), id(WasiResource::InputStream));
      cm::LiftLowerContext cx(c.memory, kLiftBudget);
      uint32_t retptr = args[2].bits.i32;
      cx.range(retptr, 12, 4, "the return area");
      auto body = c.host.incoming_bodies.find(stream);
      uint32_t words[3] = {0, 0, 0};
      if (body == c.host.incoming_bodies.end() ||
          body->second.offset >= body->second.bytes.size()) {
        // stdin, or a body read to its end: closed, and the bytes freed.
        if (body != c.host.incoming_bodies.end()) {
          release(c, body->second.bytes.size());
          std::string().swap(body->second.bytes);
          body->second.offset = 0;
        }
        words[0] = 1;
        words[1] = cm::kStreamErrorClosed;
      } else {
        IncomingBody &b = body->second;
        uint64_t n = std::min<uint64_t>(
            {static_cast<uint64_t>(args[1].bits.i64), kReadChunk, b.bytes.size() - b.offset});
        uint32_t ptr = n ? cx.allocate(1, n, "the bytes read") : 0;
        // The guest ran (its realloc): the body is looked up again.
        IncomingBody &after = object(c.host.incoming_bodies, stream);
        std::memcpy(cx.range(ptr, n, 1, "the bytes read").data(), after.bytes.data() + after.offset,
                    n);
        after.offset += n;
        words[1] = ptr;
        words[2] = static_cast<uint32_t>(n);
      }
      auto out = cx.range(retptr, 12, 4, "the return area");
      std::memset(out.data(), 0, 12);
      out[0] = static_cast<uint8_t>(words[0]);
      if (words[0] == 1)
        out[4] = static_cast<uint8_t>(words[1]);
      else
        std::memcpy(out.data() + 4, &words[1], 8);
      return true;
    }
    default: return false;
  }
}

std::optional<cm::Value> poll(Ctx &c, const cm::Value &list) {
  if (list.items.empty()) throw cm::CabiError("poll of no pollables");
  std::vector<uint64_t> deadlines;
  for (const auto &h : list.items)
    deadlines.push_back(c.host.deadline(
        c.host.handles.rep(static_cast<uint32_t>(h.bits), id(WasiResource::Pollable))));
  cm::Value ready;
  for (;;) {
    uint64_t t = monotonic_now();
    for (size_t i = 0; i < deadlines.size(); i++)
      if (deadlines[i] <= t) ready.items.push_back(cm::Value::u(i));
    if (!ready.items.empty()) return ready;
    sleep_until(*std::min_element(deadlines.begin(), deadlines.end()));
  }
}

// ---------------------------------------------------------------------------
// wasi:http: requests built for real, sent through the outgoing_http hook
// (deny by default), responses read back through input streams.

using Fields = ComponentHost::Fields;

// What the host keeps of a resource the guest drops: freed with it.
void forget(Ctx &c, uint32_t resource, uint32_t r) {
  ComponentHost &h = c.host;
  switch (static_cast<WasiResource>(resource)) {
    case WasiResource::Fields:
      if (auto it = h.fields.find(r); it != h.fields.end()) {
        release(c, it->second.bytes);
        h.fields.erase(it);
      }
      break;
    case WasiResource::OutgoingRequest:
    case WasiResource::OutgoingResponse: h.requests.erase(r); break;
    case WasiResource::OutgoingBody:
      if (auto it = h.outgoing_bodies.find(r); it != h.outgoing_bodies.end()) {
        release(c, it->second.bytes.size());
        h.outgoing_bodies.erase(it);
      }
      break;
    case WasiResource::RequestOptions: h.options.erase(r); break;
    case WasiResource::FutureIncomingResponse:
      if (auto it = h.futures.find(r); it != h.futures.end()) {
        if (it->second.result && it->second.result->response && !it->second.taken)
          release(c, it->second.result->response->body.size());
        h.futures.erase(it);
      }
      break;
    case WasiResource::IncomingResponse:
      if (auto it = h.responses.find(r); it != h.responses.end()) {
        if (it->second.body) forget(c, id(WasiResource::IncomingBody), *it->second.body);
        h.responses.erase(it);
      }
      break;
    case WasiResource::IncomingBody:
      // Its stream, if given, reads on: the bytes go at its end.
      if (auto it = h.incoming_bodies.find(r);
          it != h.incoming_bodies.end() && !it->second.stream_given) {
        release(c, it->second.bytes.size());
        h.incoming_bodies.erase(it);
      }
      break;
    default: break;
  }
}

// A field name is an HTTP token (RFC 9110); a value has no CR, LF or NUL.
bool valid_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (unsigned char ch : name)
    if (ch <= 0x20 || ch >= 0x7F ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(ch)) !=
            std::string_view::npos)
      return false;
  for (unsigned char ch : value)
    if (ch == '\r' || ch == '\n' || ch == 0) return false;
  return true;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string bytes_of(const cm::Value &list) {
  std::string out;
  out.reserve(list.items.size());
  for (const auto &b : list.items) out.push_back(static_cast<char>(b.bits));
  return out;
}

cm::Value list_of(std::string_view bytes) {
  cm::Value v;
  v.items.reserve(bytes.size());
  for (unsigned char b : bytes) v.items.push_back(cm::Value::u(b));
  return v;
}

cm::Value header_error(uint32_t which) {
  return cm::Value::error(cm::Value::of_case(which));
}

// Adds entries to fields, within the bounds; the header-error case if one
// is refused.
std::optional<uint32_t> add_fields(Ctx &c, Fields &f, const HttpHeaders &entries) {
  if (f.immutable) return cm::kHeaderImmutable;
  uint64_t bytes = 0;
  for (const auto &[n, v] : entries) {
    if (!valid_field(n, v)) return cm::kHeaderInvalidSyntax;
    bytes += n.size() + v.size();
  }
  if (f.entries.size() + entries.size() > kMaxFieldEntries || f.bytes + bytes > kMaxFieldBytes)
    throw cm::CabiError("fields of more than " + std::to_string(kMaxFieldEntries) + " entries or " +
                        std::to_string(kMaxFieldBytes) + " bytes");
  if (!charge(c, bytes)) throw cm::CabiError("the host holds too much for the guest");
  f.bytes += bytes;
  for (const auto &e : entries) f.entries.push_back(e);
  return std::nullopt;
}

cm::Value new_fields(Ctx &c, const HttpHeaders &entries, bool immutable) {
  uint32_t r = c.host.new_object();
  Fields &f = c.host.fields[r];
  if (add_fields(c, f, entries)) {
    c.host.fields.erase(r);
    throw cm::CabiError("headers the host cannot keep");
  }
  f.immutable = immutable;
  return new_handle(c, WasiResource::Fields, r);
}

// An own handle passed to the host: its resource's rep, the handle gone
// from the guest's table.
uint32_t take(Ctx &c, const cm::Value &handle, WasiResource r) {
  auto h = static_cast<uint32_t>(handle.bits);
  uint32_t rep = c.host.handles.rep(h, id(r));
  c.host.handles.drop(h, id(r));
  return rep;
}

// error-code's case `which`, its payload (if any) empty or the message.
cm::Value http_error(uint32_t which, const std::string &message = {}) {
  const cm::Type &t = *cm::wasi_host().types.http_error_code;
  const cm::Type *payload = which < t.items.size() ? t.items[which] : nullptr;
  if (which >= t.items.size()) which = cm::kHttpInternalError, payload = t.items[which];
  if (!payload) return cm::Value::of_case(which);
  if (payload->kind == cm::Kind::Option)
    return cm::Value::of_case(which, message.empty() || payload->items[0]->kind != cm::Kind::String
                                         ? cm::Value::none()
                                         : cm::Value::some(cm::Value::str(message)));
  cm::Value record;
  for (size_t i = 0; i < payload->items.size(); i++) record.items.push_back(cm::Value::none());
  return cm::Value::of_case(which, std::move(record));
}

std::string method_name(const ComponentHost::Request &r) {
  static constexpr const char *names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                          "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  return r.method < std::size(names) ? names[r.method] : r.method_other;
}

// Sends a future's request (at its first get): through the hook, or
// denied when there is none.
void send(Ctx &c, ComponentHost::Future &f) {
  if (f.body) {
    auto it = c.host.outgoing_bodies.find(*f.body);
    if (it != c.host.outgoing_bodies.end()) f.request.body = it->second.bytes;
  }
  OutgoingHttp hook = outgoing_http();
  if (!hook) {
    f.result = OutgoingHttpResult{std::nullopt, cm::kHttpRequestDenied, {}};
    return;
  }
  f.result = hook(f.request);
  if (f.result->response && !charge(c, f.result->response->body.size()))
    f.result = OutgoingHttpResult{std::nullopt, cm::kHttpResponseBodySize, {}};
}

std::optional<cm::Value> run_http(Ctx &c, std::vector<cm::Value> &p) {
  ComponentHost &h = c.host;
  auto rep = [&](size_t i, WasiResource r) {
    return h.handles.rep(static_cast<uint32_t>(p[i].bits), id(r));
  };
  auto fields = [&](size_t i) -> Fields & {
    return object(h.fields, rep(i, WasiResource::Fields));
  };
  auto request = [&](size_t i, WasiResource r) -> ComponentHost::Request & {
    return object(h.requests, rep(i, r));
  };
  auto entries = [](const cm::Value &list) {
    HttpHeaders out;
    for (const auto &e : list.items) out.emplace_back(e.items[0].s, bytes_of(e.items[1]));
    return out;
  };
  switch (c.f.fn) {
    case WasiFn::FieldsNew: return new_fields(c, {}, false);
    case WasiFn::FieldsFromList: {
      uint32_t r = h.new_object();
      Fields &f = h.fields[r];
      if (auto bad = add_fields(c, f, entries(p[0]))) {
        forget(c, id(WasiResource::Fields), r);
        return header_error(*bad);
      }
      return cm::Value::ok(new_handle(c, WasiResource::Fields, r));
    }
    case WasiFn::FieldsGet: {
      cm::Value out;
      for (const auto &[n, v] : fields(0).entries)
        if (same_name(n, p[1].s)) out.items.push_back(list_of(v));
      return out;
    }
    case WasiFn::FieldsHas: {
      for (const auto &e : fields(0).entries)
        if (same_name(e.first, p[1].s)) return cm::Value::u(1);
      return cm::Value::u(0);
    }
    case WasiFn::FieldsSet:
    case WasiFn::FieldsDelete:
    case WasiFn::FieldsAppend: {
      Fields &f = fields(0);
      if (f.immutable) return header_error(cm::kHeaderImmutable);
      if (!valid_field(p[1].s, {})) return header_error(cm::kHeaderInvalidSyntax);
      HttpHeaders add;
      if (c.f.fn == WasiFn::FieldsAppend) add.emplace_back(p[1].s, bytes_of(p[2]));
      if (c.f.fn == WasiFn::FieldsSet)
        for (const auto &v : p[2].items) add.emplace_back(p[1].s, bytes_of(v));
      for (const auto &[n, v] : add)
        if (!valid_field(n, v)) return header_error(cm::kHeaderInvalidSyntax);
      if (c.f.fn != WasiFn::FieldsAppend) {
        std::erase_if(f.entries, [&](const auto &e) {
          if (!same_name(e.first, p[1].s)) return false;
          f.bytes -= e.first.size() + e.second.size();
          release(c, e.first.size() + e.second.size());
          return true;
        });
      }
      if (auto bad = add_fields(c, f, add)) return header_error(*bad);
      return cm::Value::ok();
    }
    case WasiFn::FieldsEntries: {
      cm::Value out;
      for (const auto &[n, v] : fields(0).entries)
        out.items.push_back(cm::Value::tuple({cm::Value::str(n), list_of(v)}));
      return out;
    }
    case WasiFn::FieldsClone: return new_fields(c, fields(0).entries, false);

    case WasiFn::RequestNew:
    case WasiFn::OutgoingResponseNew: {
      uint32_t from = take(c, p[0], WasiResource::Fields);
      ComponentHost::Request r;
      r.headers = object(h.fields, from).entries;
      r.is_response = c.f.fn == WasiFn::OutgoingResponseNew;
      forget(c, id(WasiResource::Fields), from);
      uint32_t n = h.new_object();
      h.requests[n] = std::move(r);
      return new_handle(c, static_cast<WasiResource>(c.f.resource), n);
    }
    case WasiFn::RequestBody:
    case WasiFn::OutgoingResponseBody: {
      ComponentHost::Request &r = request(0, static_cast<WasiResource>(c.f.resource));
      if (r.body) return cm::Value::error(cm::Value{});
      uint32_t b = h.new_object();
      h.outgoing_bodies[b];
      object(h.requests, rep(0, static_cast<WasiResource>(c.f.resource))).body = b;
      return cm::Value::ok(new_handle(c, WasiResource::OutgoingBody, b));
    }
    case WasiFn::RequestMethod: {
      const auto &r = request(0, WasiResource::OutgoingRequest);
      return r.method == cm::kMethodOther
                 ? cm::Value::of_case(r.method, cm::Value::str(r.method_other))
                 : cm::Value::of_case(r.method);
    }
    case WasiFn::RequestSetMethod: {
      auto &r = request(0, WasiResource::OutgoingRequest);
      if (p[1].case_index() == cm::kMethodOther && !valid_field(p[1].items[0].s, {}))
        return cm::Value::error(cm::Value{});
      r.method = p[1].case_index();
      r.method_other = p[1].payload() ? p[1].payload()->s : "";
      return cm::Value::ok();
    }
    case WasiFn::RequestPathWithQuery: {
      const auto &r = request(0, WasiResource::OutgoingRequest);
      return r.path_with_query ? cm::Value::some(cm::Value::str(*r.path_with_query))
                               : cm::Value::none();
    }
    case WasiFn::RequestSetPathWithQuery:
    case WasiFn::RequestSetAuthority: {
      auto &r = request(0, WasiResource::OutgoingRequest);
      std::optional<std::string> v;
      if (p[1].case_index() == 1) v = p[1].payload()->s;
      if (v && !valid_field("x", *v)) return cm::Value::error(cm::Value{});
      (c.f.fn == WasiFn::RequestSetAuthority ? r.authority : r.path_with_query) = std::move(v);
      return cm::Value::ok();
    }
    case WasiFn::RequestScheme: {
      const auto &r = request(0, WasiResource::OutgoingRequest);
      if (!r.scheme) return cm::Value::none();
      return cm::Value::some(*r.scheme == cm::kSchemeOther
                                 ? cm::Value::of_case(*r.scheme, cm::Value::str(r.scheme_other))
                                 : cm::Value::of_case(*r.scheme));
    }
    case WasiFn::RequestSetScheme: {
      auto &r = request(0, WasiResource::OutgoingRequest);
      if (p[1].case_index() == 0) {
        r.scheme.reset();
      } else {
        const cm::Value &s = p[1].items[0];
        r.scheme = s.case_index();
        r.scheme_other = s.payload() ? s.payload()->s : "";
      }
      return cm::Value::ok();
    }
    case WasiFn::RequestAuthority: {
      const auto &r = request(0, WasiResource::OutgoingRequest);
      return r.authority ? cm::Value::some(cm::Value::str(*r.authority)) : cm::Value::none();
    }
    case WasiFn::RequestHeaders:
    case WasiFn::OutgoingResponseHeaders:
      // A copy the guest cannot change, as the specification has it.
      return new_fields(c, request(0, static_cast<WasiResource>(c.f.resource)).headers, true);
    case WasiFn::OutgoingResponseStatusCode:
      return cm::Value::u(request(0, WasiResource::OutgoingResponse).status);
    case WasiFn::OutgoingResponseSetStatusCode: {
      if (p[1].bits < 100 || p[1].bits > 999) return cm::Value::error(cm::Value{});
      request(0, WasiResource::OutgoingResponse).status = static_cast<uint16_t>(p[1].bits);
      return cm::Value::ok();
    }

    case WasiFn::OptionsNew: {
      uint32_t r = h.new_object();
      h.options[r];
      return new_handle(c, WasiResource::RequestOptions, r);
    }
    case WasiFn::OptionsTimeout: {
      const auto &t =
          object(h.options, rep(0, WasiResource::RequestOptions)).timeouts[c.f.resource];
      return t ? cm::Value::some(cm::Value::u(*t)) : cm::Value::none();
    }
    case WasiFn::OptionsSetTimeout: {
      auto &t = object(h.options, rep(0, WasiResource::RequestOptions)).timeouts[c.f.resource];
      t.reset();
      if (p[1].case_index() == 1) t = p[1].payload()->bits;
      return cm::Value::ok();
    }

    case WasiFn::OutgoingBodyWrite: {
      uint32_t b = rep(0, WasiResource::OutgoingBody);
      auto &body = object(h.outgoing_bodies, b);
      if (body.stream_given) return cm::Value::error(cm::Value{});
      body.stream_given = true;
      return cm::Value::ok(new_handle(c, WasiResource::OutputStream, b));
    }
    case WasiFn::OutgoingBodyFinish: {
      // The body stays with its request until the request is sent.
      uint32_t b = take(c, p[0], WasiResource::OutgoingBody);
      if (p[1].case_index() == 1)
        forget(c, id(WasiResource::Fields), take(c, p[1].items[0], WasiResource::Fields));
      object(h.outgoing_bodies, b).finished = true;
      return cm::Value::ok();
    }

    case WasiFn::Handle: {
      uint32_t r = take(c, p[0], WasiResource::OutgoingRequest);
      ComponentHost::Request req = std::move(object(h.requests, r));
      h.requests.erase(r);
      ComponentHost::Future f;
      if (p[1].case_index() == 1) {
        uint32_t o = take(c, p[1].items[0], WasiResource::RequestOptions);
        auto &t = object(h.options, o).timeouts;
        f.request.connect_timeout = t[0];
        f.request.first_byte_timeout = t[1];
        f.request.between_bytes_timeout = t[2];
        h.options.erase(o);
      }
      // Without a hook nothing can be allowed: denied now.
      if (!outgoing_http()) {
        if (req.body) forget(c, id(WasiResource::OutgoingBody), *req.body);
        return cm::Value::error(http_error(cm::kHttpRequestDenied));
      }
      f.request.method = method_name(req);
      f.request.scheme = !req.scheme        ? "https"
                         : *req.scheme == 0 ? "http"
                         : *req.scheme == 1 ? "https"
                                            : req.scheme_other;
      f.request.authority = req.authority.value_or("");
      f.request.path_with_query = req.path_with_query.value_or("/");
      f.request.headers = std::move(req.headers);
      f.body = req.body;
      uint32_t n = h.new_object();
      h.futures[n] = std::move(f);
      return cm::Value::ok(new_handle(c, WasiResource::FutureIncomingResponse, n));
    }
    case WasiFn::FutureResponseSubscribe:
      rep(0, WasiResource::FutureIncomingResponse);
      return ready_pollable(c, 0);  // the request is sent at get, synchronously
    case WasiFn::FutureResponseGet: {
      auto &f = object(h.futures, rep(0, WasiResource::FutureIncomingResponse));
      if (f.taken) return cm::Value::some(cm::Value::error(cm::Value{}));
      if (!f.result) send(c, f);
      f.taken = true;
      if (f.body) {
        forget(c, id(WasiResource::OutgoingBody), *f.body);
        f.body.reset();
      }
      if (!f.result->response)
        return cm::Value::some(
            cm::Value::ok(cm::Value::error(http_error(f.result->error_code, f.result->message))));
      IncomingHttpResponse &resp = *f.result->response;
      uint32_t b = h.new_object();
      h.incoming_bodies[b].bytes = std::move(resp.body);
      uint32_t r = h.new_object();
      h.responses[r] = ComponentHost::Response{resp.status, std::move(resp.headers), b};
      return cm::Value::some(
          cm::Value::ok(cm::Value::ok(new_handle(c, WasiResource::IncomingResponse, r))));
    }
    case WasiFn::ResponseStatus:
      return cm::Value::u(object(h.responses, rep(0, WasiResource::IncomingResponse)).status);
    case WasiFn::ResponseHeaders:
      return new_fields(c, object(h.responses, rep(0, WasiResource::IncomingResponse)).headers,
                        true);
    case WasiFn::ResponseConsume: {
      auto &r = object(h.responses, rep(0, WasiResource::IncomingResponse));
      if (!r.body) return cm::Value::error(cm::Value{});
      uint32_t b = *r.body;
      r.body.reset();
      return cm::Value::ok(new_handle(c, WasiResource::IncomingBody, b));
    }
    case WasiFn::IncomingBodyStream: {
      uint32_t b = rep(0, WasiResource::IncomingBody);
      auto &body = object(h.incoming_bodies, b);
      if (body.stream_given) return cm::Value::error(cm::Value{});
      body.stream_given = true;
      return cm::Value::ok(new_handle(c, WasiResource::InputStream, b));
    }
    case WasiFn::IncomingBodyFinish: {
      forget(c, id(WasiResource::IncomingBody), take(c, p[0], WasiResource::IncomingBody));
      return new_handle(c, WasiResource::FutureTrailers, 0);
    }
    case WasiFn::FutureTrailersSubscribe:
      rep(0, WasiResource::FutureTrailers);
      return ready_pollable(c, 0);
    case WasiFn::FutureTrailersGet:
      rep(0, WasiResource::FutureTrailers);
      return cm::Value::some(cm::Value::ok(cm::Value::ok(cm::Value::none())));  // no trailers
    case WasiFn::HttpErrorCode: rep(0, WasiResource::Error); return cm::Value::none();
    default: break;
  }
  throw cm::CabiError("a function the host does not have");
}

std::optional<cm::Value> run(Ctx &c, std::vector<cm::Value> &p) {
  cm::HandleTable &handles = c.host.handles;
  auto rep = [&](size_t i, WasiResource r) {
    return handles.rep(static_cast<uint32_t>(p[i].bits), id(r));
  };
  switch (c.f.fn) {
    case WasiFn::Drop: {
      uint32_t r = handles.rep(static_cast<uint32_t>(p[0].bits), c.f.resource);
      handles.drop(static_cast<uint32_t>(p[0].bits), c.f.resource);
      if (c.f.resource == id(WasiResource::Pollable)) c.host.drop_pollable(r);
      forget(c, c.f.resource, r);
      return std::nullopt;
    }
    case WasiFn::NeverHandedOut:
      // The handle cannot be valid: this throws, naming it.
      handles.rep(static_cast<uint32_t>(p[0].bits), c.f.resource);
      throw cm::CabiError("a " + cm::resource_name(c.f.resource) + " the host never gave");
    case WasiFn::ErrorToDebugString: rep(0, WasiResource::Error); return cm::Value::str("error");

    case WasiFn::PollableReady:
      return cm::Value::u(c.host.deadline(rep(0, WasiResource::Pollable)) <= monotonic_now());
    case WasiFn::PollableBlock:
      sleep_until(c.host.deadline(rep(0, WasiResource::Pollable)));
      return std::nullopt;
    case WasiFn::Poll: return poll(c, p[0]);

    // stdin, the only input stream, is at its end.
    case WasiFn::InputRead:
    case WasiFn::InputBlockingRead: rep(0, WasiResource::InputStream); return closed();
    case WasiFn::InputSkip:
    case WasiFn::InputBlockingSkip: {
      auto body = c.host.incoming_bodies.find(rep(0, WasiResource::InputStream));
      if (body == c.host.incoming_bodies.end() || body->second.offset >= body->second.bytes.size())
        return closed();
      uint64_t n = std::min<uint64_t>(p[1].bits, body->second.bytes.size() - body->second.offset);
      body->second.offset += n;
      return cm::Value::ok(cm::Value::u(n));
    }
    case WasiFn::InputSubscribe: rep(0, WasiResource::InputStream); return ready_pollable(c, 0);

    case WasiFn::OutputCheckWrite:
      output_stream(c, p[0].bits);
      return cm::Value::ok(cm::Value::u(kWritePermit));
    case WasiFn::OutputWrite:
    case WasiFn::OutputBlockingWriteAndFlush: {
      // Reached only when the fast path declined (it does not): the same.
      std::string data;
      for (const auto &b : p[1].items) data.push_back(static_cast<char>(b.bits));
      return write_output(c, output_stream(c, p[0].bits), data);
    }
    case WasiFn::OutputFlush:
    case WasiFn::OutputBlockingFlush: output_stream(c, p[0].bits); return cm::Value::ok();
    case WasiFn::OutputSubscribe: output_stream(c, p[0].bits); return ready_pollable(c, 0);
    case WasiFn::OutputWriteZeroes:
    case WasiFn::OutputBlockingWriteZeroesAndFlush: {
      uint32_t stream = output_stream(c, p[0].bits);
      check_permit(p[1].bits);
      return write_output(c, stream, std::string(p[1].bits, '\0'));
    }
    case WasiFn::OutputSplice:
    case WasiFn::OutputBlockingSplice:
      output_stream(c, p[0].bits);
      rep(1, WasiResource::InputStream);
      return closed();  // from stdin, at its end

    case WasiFn::MonotonicNow: return cm::Value::u(monotonic_now());
    case WasiFn::MonotonicResolution: return cm::Value::u(clock_resolution(CLOCK_MONOTONIC));
    case WasiFn::MonotonicSubscribeInstant: return ready_pollable(c, p[0].bits);
    case WasiFn::MonotonicSubscribeDuration: {
      uint64_t t = monotonic_now();
      return ready_pollable(c, t + std::min(p[0].bits, ~t));
    }
    case WasiFn::WallNow: {
      timespec ts{};
      clock_gettime(CLOCK_REALTIME, &ts);
      return cm::Value::tuple({cm::Value::u(static_cast<uint64_t>(ts.tv_sec)),
                               cm::Value::u(static_cast<uint64_t>(ts.tv_nsec))});
    }
    case WasiFn::WallResolution: return datetime(clock_resolution(CLOCK_REALTIME));

    case WasiFn::RandomU64:
    case WasiFn::InsecureRandomU64: return cm::Value::u(random_u64());
    case WasiFn::InsecureSeed:
      return cm::Value::tuple({cm::Value::u(random_u64()), cm::Value::u(random_u64())});
    case WasiFn::RandomBytes:
    case WasiFn::InsecureRandomBytes: throw cm::CabiError("random bytes through the slow path");

    case WasiFn::GetEnvironment:
    case WasiFn::GetArguments: return cm::Value{};  // empty lists
    case WasiFn::InitialCwd: return cm::Value::none();
    case WasiFn::Exit: throw GuestExit(p[0].case_index() == 0 ? 0 : 1);
    case WasiFn::GetStdin: return new_handle(c, WasiResource::InputStream, kStdin);
    case WasiFn::GetStdout: return new_handle(c, WasiResource::OutputStream, kStdout);
    case WasiFn::GetStderr: return new_handle(c, WasiResource::OutputStream, kStderr);
    // The standard streams are terminals, as in preview 1: so a libc
    // buffers stdout by line, and each line reaches the log when written.
    case WasiFn::GetTerminalStdin:
      return cm::Value::some(new_handle(c, WasiResource::TerminalInput, kStdin));
    case WasiFn::GetTerminalStdout:
      return cm::Value::some(new_handle(c, WasiResource::TerminalOutput, kStdout));
    case WasiFn::GetTerminalStderr:
      return cm::Value::some(new_handle(c, WasiResource::TerminalOutput, kStderr));

    case WasiFn::GetDirectories: return cm::Value{};  // no preopened directory
    case WasiFn::FilesystemErrorCode: rep(0, WasiResource::Error); return cm::Value::none();

    case WasiFn::InstanceNetwork: return new_handle(c, WasiResource::Network, 0);
    case WasiFn::CreateTcpSocket:
    case WasiFn::CreateUdpSocket:
      return cm::Value::error(cm::Value::of_case(cm::kSocketAccessDenied));
    case WasiFn::ResolveAddresses:
      rep(0, WasiResource::Network);
      return cm::Value::error(cm::Value::of_case(cm::kSocketAccessDenied));
    default: return run_http(c, p);
  }
  throw cm::CabiError("a function the host does not have");
}

void call_wasi(const WasiImport &f, engine::HostCall &call, std::span<const engine::Value> args,
               std::span<engine::Value> results) {
  GuestCall *gc = current_guest_call();
  if (!gc || !gc->instance)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   wasi_name(f) + " was called outside a call of a wasm function");
  HostMemory memory(call, gc->instance);
  Ctx c{*gc, component_host(*gc), memory, f};
  try {
    // A method of a resource never handed out fails on its handle before
    // anything else of the call is read.
    if (f.fn == WasiFn::NeverHandedOut) {
      c.host.handles.rep(handle_arg(args, 0), f.resource);
      throw cm::CabiError("a " + cm::resource_name(f.resource) + " the host never gave");
    }
    if (fast_path(c, args, results)) return;
    // poll's list is bounded before it is lifted: (ptr, len, retptr).
    if (f.fn == WasiFn::Poll && args.size() == 3 && uint32_t(args[1].bits.i32) > kMaxPollables)
      throw cm::CabiError("poll of " + std::to_string(uint32_t(args[1].bits.i32)) +
                          " pollables, more than the " + std::to_string(kMaxPollables) +
                          " one poll may take");
    std::vector<cm::Value> params;
    {
      cm::LiftLowerContext cx(memory, kLiftBudget);
      params = cm::lift_import_args(cx, f.sig, args);
    }
    std::optional<cm::Value> result = run(c, params);
    cm::LiftLowerContext out(memory, kLiftBudget);
    cm::lower_import_result(out, f.sig, result ? &*result : nullptr, args, results);
  } catch (const cm::CabiError &e) {
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "wasm " + current_call_description() +
                                                           " broke the canonical ABI calling " +
                                                           wasi_name(f) + ": " + e.what());
  }
}

}  // namespace

namespace {
OutgoingHttp g_outgoing_http = nullptr;
}

void set_outgoing_http(OutgoingHttp hook) {
  g_outgoing_http = hook;
}

OutgoingHttp outgoing_http() {
  return g_outgoing_http;
}

uint32_t ComponentHost::new_pollable(uint64_t deadline) {
  uint32_t rep = next_pollable_++;
  while (deadlines_.count(rep)) rep = next_pollable_++;  // after 2^32 pollables
  deadlines_[rep] = deadline;
  return rep;
}

uint64_t ComponentHost::deadline(uint32_t rep) const {
  auto it = deadlines_.find(rep);
  return it == deadlines_.end() ? 0 : it->second;
}

ComponentHost &component_host(GuestCall &call) {
  if (!call.instance)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + current_call_description() + " has no instance for the host's state");
  auto &state = call.instance->component_host;
  if (!state) state = std::make_shared<ComponentHost>();
  return *state;
}

std::vector<HostFunction> wasi_p2_functions() {
  std::vector<HostFunction> out;
  for (const WasiImport &f : cm::wasi_host().imports)
    out.push_back({cm::wasi_module_name(f.interface), f.name, cm::lowered_core_type(f.sig),
                   [&f](engine::HostCall &call, std::span<const engine::Value> args,
                        std::span<engine::Value> results) { call_wasi(f, call, args, results); }});
  return out;
}

}  // namespace pgwasm::pg::host
