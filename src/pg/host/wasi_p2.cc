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
#include "pg/host/wasi_common.h"
#include "pg/loaded_module.h"

namespace pgwasm::pg::host {

namespace cm = component;
using cm::WasiFn;
using cm::WasiImport;
using cm::WasiResource;

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
// above, so this only stops a hostile length early.
constexpr uint64_t kLiftBudget = 16 << 20;

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

void write_output(Ctx &c, uint32_t stream, std::string_view data) {
  check_permit(data.size());
  append_output(c.gc, static_cast<int>(stream), data);
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
      write_output(c, stream, data);
      cm::Value ok = cm::Value::ok();
      cm::lower_import_result(cx, c.f.sig, &ok, args, results);
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
    case WasiFn::InputBlockingRead:
    case WasiFn::InputSkip:
    case WasiFn::InputBlockingSkip: rep(0, WasiResource::InputStream); return closed();
    case WasiFn::InputSubscribe: rep(0, WasiResource::InputStream); return ready_pollable(c, 0);

    case WasiFn::OutputCheckWrite:
      output_stream(c, p[0].bits);
      return cm::Value::ok(cm::Value::u(kWritePermit));
    case WasiFn::OutputWrite:
    case WasiFn::OutputBlockingWriteAndFlush: {
      // Reached only when the fast path declined (it does not): the same.
      std::string data;
      for (const auto &b : p[1].items) data.push_back(static_cast<char>(b.bits));
      write_output(c, output_stream(c, p[0].bits), data);
      return cm::Value::ok();
    }
    case WasiFn::OutputFlush:
    case WasiFn::OutputBlockingFlush: output_stream(c, p[0].bits); return cm::Value::ok();
    case WasiFn::OutputSubscribe: output_stream(c, p[0].bits); return ready_pollable(c, 0);
    case WasiFn::OutputWriteZeroes:
    case WasiFn::OutputBlockingWriteZeroesAndFlush: {
      uint32_t stream = output_stream(c, p[0].bits);
      check_permit(p[1].bits);
      write_output(c, stream, std::string(p[1].bits, '\0'));
      return cm::Value::ok();
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
