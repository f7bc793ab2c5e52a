#include "component/wasi.h"

#include "component/world.h"

namespace pgwasm::component {

std::string_view to_string(WasiResource r) {
  static constexpr std::string_view names[] = {"error",
                                               "pollable",
                                               "input-stream",
                                               "output-stream",
                                               "terminal-input",
                                               "terminal-output",
                                               "descriptor",
                                               "directory-entry-stream",
                                               "network",
                                               "tcp-socket",
                                               "udp-socket",
                                               "incoming-datagram-stream",
                                               "outgoing-datagram-stream",
                                               "resolve-address-stream"};
  auto i = static_cast<uint32_t>(r);
  if (i < kFirstWasiResource || i >= static_cast<uint32_t>(WasiResource::End)) return "?";
  return names[i - kFirstWasiResource];
}

std::string resource_name(uint32_t id) {
  if (id >= 1 && id <= kResources) return std::string(to_string(static_cast<Resource>(id)));
  if (id >= kFirstWasiResource && id < static_cast<uint32_t>(WasiResource::End))
    return std::string(to_string(static_cast<WasiResource>(id)));
  return "resource " + std::to_string(id);
}

const WasiImport *WasiHost::find(std::string_view iface, std::string_view name) const {
  for (const auto &f : imports)
    if (f.interface == iface && f.name == name) return &f;
  return nullptr;
}

const WasiHost &wasi_host() {
  static WasiHost *host = nullptr;
  if (host) return *host;
  host = new WasiHost();
  WasiHost &w = *host;
  TypeArena &a = w.arena_;
  auto P = [&](Kind k) { return a.prim(k); };
  const Type *u8 = P(Kind::U8), *u16 = P(Kind::U16), *u32 = P(Kind::U32), *u64 = P(Kind::U64);
  const Type *boolean = P(Kind::Bool), *str = P(Kind::String);
  const Type *bytes = a.list(u8);
  auto own = [&](WasiResource r) { return a.own(static_cast<uint32_t>(r)); };
  auto borrow = [&](WasiResource r) { return a.borrow(static_cast<uint32_t>(r)); };

  auto add = [&](std::string iface, std::string name, WasiFn fn, std::vector<const Type *> params,
                 const Type *result, uint32_t resource = 0) {
    w.imports.push_back({std::move(iface), std::move(name), fn, resource, {params, result}});
  };
  auto method = [&](std::string iface, WasiResource r, std::string m, WasiFn fn,
                    std::vector<const Type *> params, const Type *result) {
    params.insert(params.begin(), borrow(r));
    add(std::move(iface), "[method]" + std::string(to_string(r)) + "." + m, fn, params, result,
        static_cast<uint32_t>(r));
  };
  auto drop = [&](std::string iface, WasiResource r) {
    add(std::move(iface), "[resource-drop]" + std::string(to_string(r)), WasiFn::Drop, {own(r)},
        nullptr, static_cast<uint32_t>(r));
  };

  // wasi:io/error, wasi:io/poll
  drop("io/error", WasiResource::Error);
  method("io/error", WasiResource::Error, "to-debug-string", WasiFn::ErrorToDebugString, {}, str);
  drop("io/poll", WasiResource::Pollable);
  method("io/poll", WasiResource::Pollable, "ready", WasiFn::PollableReady, {}, boolean);
  method("io/poll", WasiResource::Pollable, "block", WasiFn::PollableBlock, {}, nullptr);
  add("io/poll", "poll", WasiFn::Poll, {a.list(borrow(WasiResource::Pollable))}, a.list(u32));

  // wasi:io/streams
  w.types.stream_error =
      a.variant({{"last-operation-failed", own(WasiResource::Error)}, {"closed", nullptr}});
  const Type *bytes_or = a.result(bytes, w.types.stream_error);
  const Type *u64_or = a.result(u64, w.types.stream_error);
  const Type *unit_or = a.result(nullptr, w.types.stream_error);
  const Type *pollable = own(WasiResource::Pollable);
  constexpr auto In = WasiResource::InputStream, Out = WasiResource::OutputStream;
  const std::string io = "io/streams";
  drop(io, In);
  method(io, In, "read", WasiFn::InputRead, {u64}, bytes_or);
  method(io, In, "blocking-read", WasiFn::InputBlockingRead, {u64}, bytes_or);
  method(io, In, "skip", WasiFn::InputSkip, {u64}, u64_or);
  method(io, In, "blocking-skip", WasiFn::InputBlockingSkip, {u64}, u64_or);
  method(io, In, "subscribe", WasiFn::InputSubscribe, {}, pollable);
  drop(io, Out);
  method(io, Out, "check-write", WasiFn::OutputCheckWrite, {}, u64_or);
  method(io, Out, "write", WasiFn::OutputWrite, {bytes}, unit_or);
  method(io, Out, "blocking-write-and-flush", WasiFn::OutputBlockingWriteAndFlush, {bytes},
         unit_or);
  method(io, Out, "flush", WasiFn::OutputFlush, {}, unit_or);
  method(io, Out, "blocking-flush", WasiFn::OutputBlockingFlush, {}, unit_or);
  method(io, Out, "subscribe", WasiFn::OutputSubscribe, {}, pollable);
  method(io, Out, "write-zeroes", WasiFn::OutputWriteZeroes, {u64}, unit_or);
  method(io, Out, "blocking-write-zeroes-and-flush", WasiFn::OutputBlockingWriteZeroesAndFlush,
         {u64}, unit_or);
  method(io, Out, "splice", WasiFn::OutputSplice, {borrow(In), u64}, u64_or);
  method(io, Out, "blocking-splice", WasiFn::OutputBlockingSplice, {borrow(In), u64}, u64_or);

  // wasi:clocks
  add("clocks/monotonic-clock", "now", WasiFn::MonotonicNow, {}, u64);
  add("clocks/monotonic-clock", "resolution", WasiFn::MonotonicResolution, {}, u64);
  add("clocks/monotonic-clock", "subscribe-instant", WasiFn::MonotonicSubscribeInstant, {u64},
      pollable);
  add("clocks/monotonic-clock", "subscribe-duration", WasiFn::MonotonicSubscribeDuration, {u64},
      pollable);
  w.types.datetime = a.record({{"seconds", u64}, {"nanoseconds", u32}});
  add("clocks/wall-clock", "now", WasiFn::WallNow, {}, w.types.datetime);
  add("clocks/wall-clock", "resolution", WasiFn::WallResolution, {}, w.types.datetime);

  // wasi:random
  add("random/random", "get-random-bytes", WasiFn::RandomBytes, {u64}, bytes);
  add("random/random", "get-random-u64", WasiFn::RandomU64, {}, u64);
  add("random/insecure", "get-insecure-random-bytes", WasiFn::InsecureRandomBytes, {u64}, bytes);
  add("random/insecure", "get-insecure-random-u64", WasiFn::InsecureRandomU64, {}, u64);
  add("random/insecure-seed", "insecure-seed", WasiFn::InsecureSeed, {}, a.tuple({u64, u64}));

  // wasi:cli
  add("cli/environment", "get-environment", WasiFn::GetEnvironment, {},
      a.list(a.tuple({str, str})));
  add("cli/environment", "get-arguments", WasiFn::GetArguments, {}, a.list(str));
  add("cli/environment", "initial-cwd", WasiFn::InitialCwd, {}, a.option(str));
  add("cli/exit", "exit", WasiFn::Exit, {a.result(nullptr, nullptr)}, nullptr);
  add("cli/stdin", "get-stdin", WasiFn::GetStdin, {}, own(In));
  add("cli/stdout", "get-stdout", WasiFn::GetStdout, {}, own(Out));
  add("cli/stderr", "get-stderr", WasiFn::GetStderr, {}, own(Out));
  drop("cli/terminal-input", WasiResource::TerminalInput);
  drop("cli/terminal-output", WasiResource::TerminalOutput);
  add("cli/terminal-stdin", "get-terminal-stdin", WasiFn::GetTerminalStdin, {},
      a.option(own(WasiResource::TerminalInput)));
  add("cli/terminal-stdout", "get-terminal-stdout", WasiFn::GetTerminalStdout, {},
      a.option(own(WasiResource::TerminalOutput)));
  add("cli/terminal-stderr", "get-terminal-stderr", WasiFn::GetTerminalStderr, {},
      a.option(own(WasiResource::TerminalOutput)));

  // wasi:filesystem: no directory is ever preopened, so no descriptor is
  // ever handed out. Each descriptor method exists with its type (so that
  // a libc importing them instantiates) and fails on its handle.
  const Type *fs_error = a.enumeration({"access",
                                        "would-block",
                                        "already",
                                        "bad-descriptor",
                                        "busy",
                                        "deadlock",
                                        "quota",
                                        "exist",
                                        "file-too-large",
                                        "illegal-byte-sequence",
                                        "in-progress",
                                        "interrupted",
                                        "invalid",
                                        "io",
                                        "is-directory",
                                        "loop",
                                        "too-many-links",
                                        "message-size",
                                        "name-too-long",
                                        "no-device",
                                        "no-entry",
                                        "no-lock",
                                        "insufficient-memory",
                                        "insufficient-space",
                                        "not-directory",
                                        "not-empty",
                                        "not-recoverable",
                                        "unsupported",
                                        "no-tty",
                                        "no-such-device",
                                        "overflow",
                                        "not-permitted",
                                        "pipe",
                                        "read-only",
                                        "invalid-seek",
                                        "text-file-busy",
                                        "cross-device"});
  w.types.fs_error_code = fs_error;
  const Type *descriptor_type =
      a.enumeration({"unknown", "block-device", "character-device", "directory", "fifo",
                     "symbolic-link", "regular-file", "socket"});
  // descriptor-flags (6 labels), path-flags (1) and open-flags (4): flags
  // of at most 8 labels lie like a u8. Every call taking them fails on its
  // descriptor first, so their bits are never read.
  const Type *small_flags = u8;
  const Type *opt_datetime = a.option(w.types.datetime);
  const Type *stat = a.record({{"type", descriptor_type},
                               {"link-count", u64},
                               {"size", u64},
                               {"data-access-timestamp", opt_datetime},
                               {"data-modification-timestamp", opt_datetime},
                               {"status-change-timestamp", opt_datetime}});
  const Type *new_timestamp =
      a.variant({{"no-change", nullptr}, {"now", nullptr}, {"timestamp", w.types.datetime}});
  const Type *dir_entry = a.record({{"type", descriptor_type}, {"name", str}});
  const Type *advice =
      a.enumeration({"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"});
  const Type *hash = a.record({{"lower", u64}, {"upper", u64}});
  constexpr auto D = WasiResource::Descriptor;
  const Type *desc = borrow(D);
  auto fs_or = [&](const Type *ok) { return a.result(ok, fs_error); };
  const std::string fs = "filesystem/types";
  auto fs_method = [&](std::string m, std::vector<const Type *> params, const Type *result) {
    method(fs, D, std::move(m), WasiFn::NeverHandedOut, std::move(params), result);
  };
  drop(fs, D);
  fs_method("read-via-stream", {u64}, fs_or(own(In)));
  fs_method("write-via-stream", {u64}, fs_or(own(Out)));
  fs_method("append-via-stream", {}, fs_or(own(Out)));
  fs_method("advise", {u64, u64, advice}, fs_or(nullptr));
  fs_method("sync-data", {}, fs_or(nullptr));
  fs_method("get-flags", {}, fs_or(small_flags));
  fs_method("get-type", {}, fs_or(descriptor_type));
  fs_method("set-size", {u64}, fs_or(nullptr));
  fs_method("set-times", {new_timestamp, new_timestamp}, fs_or(nullptr));
  fs_method("read", {u64, u64}, fs_or(a.tuple({bytes, boolean})));
  fs_method("write", {bytes, u64}, fs_or(u64));
  fs_method("read-directory", {}, fs_or(own(WasiResource::DirectoryEntryStream)));
  fs_method("sync", {}, fs_or(nullptr));
  fs_method("create-directory-at", {str}, fs_or(nullptr));
  fs_method("stat", {}, fs_or(stat));
  fs_method("stat-at", {small_flags, str}, fs_or(stat));
  fs_method("set-times-at", {small_flags, str, new_timestamp, new_timestamp}, fs_or(nullptr));
  fs_method("link-at", {small_flags, str, desc, str}, fs_or(nullptr));
  fs_method("open-at", {small_flags, str, small_flags, small_flags}, fs_or(own(D)));
  fs_method("readlink-at", {str}, fs_or(str));
  fs_method("remove-directory-at", {str}, fs_or(nullptr));
  fs_method("rename-at", {str, desc, str}, fs_or(nullptr));
  fs_method("symlink-at", {str, str}, fs_or(nullptr));
  fs_method("unlink-file-at", {str}, fs_or(nullptr));
  fs_method("is-same-object", {desc}, boolean);
  fs_method("metadata-hash", {}, fs_or(hash));
  fs_method("metadata-hash-at", {small_flags, str}, fs_or(hash));
  drop(fs, WasiResource::DirectoryEntryStream);
  method(fs, WasiResource::DirectoryEntryStream, "read-directory-entry", WasiFn::NeverHandedOut, {},
         fs_or(a.option(dir_entry)));
  add(fs, "filesystem-error-code", WasiFn::FilesystemErrorCode, {borrow(WasiResource::Error)},
      a.option(fs_error));
  add("filesystem/preopens", "get-directories", WasiFn::GetDirectories, {},
      a.list(a.tuple({own(D), str})));

  // wasi:sockets: no network. A socket is never made, and no name resolved.
  const Type *sock_error = a.enumeration({"unknown",
                                          "access-denied",
                                          "not-supported",
                                          "invalid-argument",
                                          "out-of-memory",
                                          "timeout",
                                          "concurrency-conflict",
                                          "not-in-progress",
                                          "would-block",
                                          "invalid-state",
                                          "new-socket-limit",
                                          "address-not-bindable",
                                          "address-in-use",
                                          "remote-unreachable",
                                          "connection-refused",
                                          "connection-reset",
                                          "connection-aborted",
                                          "datagram-too-large",
                                          "name-unresolvable",
                                          "temporary-resolver-failure",
                                          "permanent-resolver-failure"});
  w.types.socket_error_code = sock_error;
  const Type *family = a.enumeration({"ipv4", "ipv6"});
  const Type *ip_address = a.variant({{"ipv4", a.tuple({u8, u8, u8, u8})},
                                      {"ipv6", a.tuple({u16, u16, u16, u16, u16, u16, u16, u16})}});
  drop("sockets/network", WasiResource::Network);
  add("sockets/instance-network", "instance-network", WasiFn::InstanceNetwork, {},
      own(WasiResource::Network));
  add("sockets/tcp-create-socket", "create-tcp-socket", WasiFn::CreateTcpSocket, {family},
      a.result(own(WasiResource::TcpSocket), sock_error));
  add("sockets/udp-create-socket", "create-udp-socket", WasiFn::CreateUdpSocket, {family},
      a.result(own(WasiResource::UdpSocket), sock_error));
  drop("sockets/tcp", WasiResource::TcpSocket);
  drop("sockets/udp", WasiResource::UdpSocket);
  add("sockets/ip-name-lookup", "resolve-addresses", WasiFn::ResolveAddresses,
      {borrow(WasiResource::Network), str},
      a.result(own(WasiResource::ResolveAddressStream), sock_error));
  drop("sockets/ip-name-lookup", WasiResource::ResolveAddressStream);
  method("sockets/ip-name-lookup", WasiResource::ResolveAddressStream, "resolve-next-address",
         WasiFn::NeverHandedOut, {}, a.result(a.option(ip_address), sock_error));
  method("sockets/ip-name-lookup", WasiResource::ResolveAddressStream, "subscribe",
         WasiFn::NeverHandedOut, {}, pollable);
  return w;
}

std::optional<WasiModule> parse_wasi_module(std::string_view module) {
  constexpr std::string_view kCm32 = "cm32p2|", kWasi = "wasi:", kV02 = "0.2";
  bool cm32 = module.starts_with(kCm32);
  if (cm32) module.remove_prefix(kCm32.size());
  if (!module.starts_with(kWasi)) return std::nullopt;
  module.remove_prefix(kWasi.size());
  auto at = module.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view iface = module.substr(0, at), version = module.substr(at + 1);
  // "<package>/<interface>", each a kebab-case word list.
  auto slash = iface.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == iface.size() ||
      iface.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  for (char c : iface)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '/'))
      return std::nullopt;
  if (!version.starts_with(kV02)) return std::nullopt;
  version.remove_prefix(kV02.size());
  WasiModule m{std::string(iface), 0};
  // The short form (major.minor of a 0.x version) only with the cm32p2
  // prefix, as wit-component emits it.
  if (version.empty()) return cm32 ? std::optional(m) : std::nullopt;
  if (version[0] != '.' || version.size() < 2 || version.size() > 6) return std::nullopt;
  version.remove_prefix(1);
  if (version.size() > 1 && version[0] == '0') return std::nullopt;  // no leading zeros
  uint32_t patch = 0;
  for (char c : version) {
    if (c < '0' || c > '9') return std::nullopt;
    patch = patch * 10 + static_cast<uint32_t>(c - '0');
  }
  m.patch = patch;
  return m;
}

std::string wasi_module_name(std::string_view iface) {
  return "wasi:" + std::string(iface) + "@0.2";
}

}  // namespace pgwasm::component
