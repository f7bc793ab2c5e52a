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
                                               "resolve-address-stream",
                                               "fields",
                                               "incoming-request",
                                               "outgoing-request",
                                               "request-options",
                                               "response-outparam",
                                               "incoming-response",
                                               "incoming-body",
                                               "future-trailers",
                                               "outgoing-response",
                                               "outgoing-body",
                                               "future-incoming-response"};
  static_assert(std::size(names) == static_cast<size_t>(WasiResource::End) - kFirstWasiResource);
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
  // The sockets' methods exist with their types, so that a libc or runtime
  // importing them (CPython's socket module, Rust's std) instantiates; no
  // socket is ever made, so each fails on its handle.
  const Type *ipv4_address = a.tuple({u8, u8, u8, u8});
  const Type *ipv6_address = a.tuple({u16, u16, u16, u16, u16, u16, u16, u16});
  const Type *socket_address = a.variant(
      {{"ipv4", a.record({{"port", u16}, {"address", ipv4_address}})},
       {"ipv6",
        a.record(
            {{"port", u16}, {"flow-info", u32}, {"address", ipv6_address}, {"scope-id", u32}})}});
  const Type *network = borrow(WasiResource::Network);
  auto sock_or = [&](const Type *ok) { return a.result(ok, sock_error); };
  const Type *unit_sock = sock_or(nullptr);
  struct Method {
    std::string name;
    std::vector<const Type *> params;
    const Type *result;
  };
  auto socket_methods = [&](const std::string &iface, WasiResource r, std::vector<Method> methods) {
    for (Method &m : methods)
      method(iface, r, m.name, WasiFn::NeverHandedOut, std::move(m.params), m.result);
  };
  const Type *streams = a.tuple({own(In), own(Out)});
  socket_methods(
      "sockets/tcp", WasiResource::TcpSocket,
      {{"start-bind", {network, socket_address}, unit_sock},
       {"finish-bind", {}, unit_sock},
       {"start-connect", {network, socket_address}, unit_sock},
       {"finish-connect", {}, sock_or(streams)},
       {"start-listen", {}, unit_sock},
       {"finish-listen", {}, unit_sock},
       {"accept", {}, sock_or(a.tuple({own(WasiResource::TcpSocket), own(In), own(Out)}))},
       {"local-address", {}, sock_or(socket_address)},
       {"remote-address", {}, sock_or(socket_address)},
       {"is-listening", {}, boolean},
       {"address-family", {}, family},
       {"set-listen-backlog-size", {u64}, unit_sock},
       {"keep-alive-enabled", {}, sock_or(boolean)},
       {"set-keep-alive-enabled", {boolean}, unit_sock},
       {"keep-alive-idle-time", {}, sock_or(u64)},
       {"set-keep-alive-idle-time", {u64}, unit_sock},
       {"keep-alive-interval", {}, sock_or(u64)},
       {"set-keep-alive-interval", {u64}, unit_sock},
       {"keep-alive-count", {}, sock_or(u32)},
       {"set-keep-alive-count", {u32}, unit_sock},
       {"hop-limit", {}, sock_or(u8)},
       {"set-hop-limit", {u8}, unit_sock},
       {"receive-buffer-size", {}, sock_or(u64)},
       {"set-receive-buffer-size", {u64}, unit_sock},
       {"send-buffer-size", {}, sock_or(u64)},
       {"set-send-buffer-size", {u64}, unit_sock},
       {"subscribe", {}, pollable},
       {"shutdown", {a.enumeration({"receive", "send", "both"})}, unit_sock}});
  constexpr auto Incoming = WasiResource::IncomingDatagramStream;
  constexpr auto Outgoing = WasiResource::OutgoingDatagramStream;
  socket_methods(
      "sockets/udp", WasiResource::UdpSocket,
      {{"start-bind", {network, socket_address}, unit_sock},
       {"finish-bind", {}, unit_sock},
       {"stream", {a.option(socket_address)}, sock_or(a.tuple({own(Incoming), own(Outgoing)}))},
       {"local-address", {}, sock_or(socket_address)},
       {"remote-address", {}, sock_or(socket_address)},
       {"address-family", {}, family},
       {"unicast-hop-limit", {}, sock_or(u8)},
       {"set-unicast-hop-limit", {u8}, unit_sock},
       {"receive-buffer-size", {}, sock_or(u64)},
       {"set-receive-buffer-size", {u64}, unit_sock},
       {"send-buffer-size", {}, sock_or(u64)},
       {"set-send-buffer-size", {u64}, unit_sock},
       {"subscribe", {}, pollable}});
  drop("sockets/udp", Incoming);
  socket_methods(
      "sockets/udp", Incoming,
      {{"receive",
        {u64},
        sock_or(a.list(a.record({{"data", bytes}, {"remote-address", socket_address}})))},
       {"subscribe", {}, pollable}});
  drop("sockets/udp", Outgoing);
  socket_methods(
      "sockets/udp", Outgoing,
      {{"check-send", {}, sock_or(u64)},
       {"send",
        {a.list(a.record({{"data", bytes}, {"remote-address", a.option(socket_address)}}))},
        sock_or(u64)},
       {"subscribe", {}, pollable}});
  // wasi:http/types, wasi:http/outgoing-handler. Requests are built for
  // real and handed to the host's HTTP hook (deny by default); the
  // resources of an incoming handler (incoming-request, response-outparam)
  // are never handed out.
  const std::string http = "http/types";
  w.types.http_method = a.variant({{"get", nullptr},
                                   {"head", nullptr},
                                   {"post", nullptr},
                                   {"put", nullptr},
                                   {"delete", nullptr},
                                   {"connect", nullptr},
                                   {"options", nullptr},
                                   {"trace", nullptr},
                                   {"patch", nullptr},
                                   {"other", str}});
  w.types.http_scheme = a.variant({{"HTTP", nullptr}, {"HTTPS", nullptr}, {"other", str}});
  const Type *opt_str = a.option(str);
  const Type *opt_u32 = a.option(u32);
  const Type *opt_u64 = a.option(u64);
  const Type *field_size = a.record({{"field-name", opt_str}, {"field-size", opt_u32}});
  const Type *error_code = a.variant(
      {{"DNS-timeout", nullptr},
       {"DNS-error", a.record({{"rcode", opt_str}, {"info-code", a.option(u16)}})},
       {"destination-not-found", nullptr},
       {"destination-unavailable", nullptr},
       {"destination-IP-prohibited", nullptr},
       {"destination-IP-unroutable", nullptr},
       {"connection-refused", nullptr},
       {"connection-terminated", nullptr},
       {"connection-timeout", nullptr},
       {"connection-read-timeout", nullptr},
       {"connection-write-timeout", nullptr},
       {"connection-limit-reached", nullptr},
       {"TLS-protocol-error", nullptr},
       {"TLS-certificate-error", nullptr},
       {"TLS-alert-received", a.record({{"alert-id", a.option(u8)}, {"alert-message", opt_str}})},
       {"HTTP-request-denied", nullptr},
       {"HTTP-request-length-required", nullptr},
       {"HTTP-request-body-size", opt_u64},
       {"HTTP-request-method-invalid", nullptr},
       {"HTTP-request-URI-invalid", nullptr},
       {"HTTP-request-URI-too-long", nullptr},
       {"HTTP-request-header-section-size", opt_u32},
       {"HTTP-request-header-size", a.option(field_size)},
       {"HTTP-request-trailer-section-size", opt_u32},
       {"HTTP-request-trailer-size", field_size},
       {"HTTP-response-incomplete", nullptr},
       {"HTTP-response-header-section-size", opt_u32},
       {"HTTP-response-header-size", field_size},
       {"HTTP-response-body-size", opt_u64},
       {"HTTP-response-trailer-section-size", opt_u32},
       {"HTTP-response-trailer-size", field_size},
       {"HTTP-response-transfer-coding", opt_str},
       {"HTTP-response-content-coding", opt_str},
       {"HTTP-response-timeout", nullptr},
       {"HTTP-upgrade-failed", nullptr},
       {"HTTP-protocol-error", nullptr},
       {"loop-detected", nullptr},
       {"configuration-error", nullptr},
       {"internal-error", opt_str}});
  w.types.http_error_code = error_code;
  w.types.header_error = a.enumeration({"invalid-syntax", "forbidden", "immutable"});
  const Type *header_error = w.types.header_error;
  const Type *entries = a.list(a.tuple({str, bytes}));
  const Type *unit_result = a.result(nullptr, nullptr);
  const Type *header_or = a.result(nullptr, header_error);
  constexpr auto Fields = WasiResource::Fields, InReq = WasiResource::IncomingRequest,
                 OutReq = WasiResource::OutgoingRequest, Opts = WasiResource::RequestOptions,
                 Outparam = WasiResource::ResponseOutparam, InResp = WasiResource::IncomingResponse,
                 InBody = WasiResource::IncomingBody, Trailers = WasiResource::FutureTrailers,
                 OutResp = WasiResource::OutgoingResponse, OutBody = WasiResource::OutgoingBody,
                 Future = WasiResource::FutureIncomingResponse;
  auto ctor = [&](WasiResource r, WasiFn fn, std::vector<const Type *> params) {
    add(http, "[constructor]" + std::string(to_string(r)), fn, std::move(params), own(r),
        static_cast<uint32_t>(r));
  };
  auto static_fn = [&](WasiResource r, std::string m, WasiFn fn, std::vector<const Type *> params,
                       const Type *result) {
    add(http, "[static]" + std::string(to_string(r)) + "." + m, fn, std::move(params), result,
        static_cast<uint32_t>(r));
  };
  for (WasiResource r :
       {Fields, InReq, OutReq, Opts, Outparam, InResp, InBody, Trailers, OutResp, OutBody, Future})
    drop(http, r);
  ctor(Fields, WasiFn::FieldsNew, {});
  static_fn(Fields, "from-list", WasiFn::FieldsFromList, {entries},
            a.result(own(Fields), header_error));
  method(http, Fields, "get", WasiFn::FieldsGet, {str}, a.list(bytes));
  method(http, Fields, "has", WasiFn::FieldsHas, {str}, boolean);
  method(http, Fields, "set", WasiFn::FieldsSet, {str, a.list(bytes)}, header_or);
  method(http, Fields, "delete", WasiFn::FieldsDelete, {str}, header_or);
  method(http, Fields, "append", WasiFn::FieldsAppend, {str, bytes}, header_or);
  method(http, Fields, "entries", WasiFn::FieldsEntries, {}, entries);
  method(http, Fields, "clone", WasiFn::FieldsClone, {}, own(Fields));
  auto never = [&](WasiResource r, std::string m, std::vector<const Type *> params,
                   const Type *result) {
    method(http, r, std::move(m), WasiFn::NeverHandedOut, std::move(params), result);
  };
  never(InReq, "method", {}, w.types.http_method);
  never(InReq, "path-with-query", {}, opt_str);
  never(InReq, "scheme", {}, a.option(w.types.http_scheme));
  never(InReq, "authority", {}, opt_str);
  never(InReq, "headers", {}, own(Fields));
  never(InReq, "consume", {}, a.result(own(InBody), nullptr));
  ctor(OutReq, WasiFn::RequestNew, {own(Fields)});
  method(http, OutReq, "body", WasiFn::RequestBody, {}, a.result(own(OutBody), nullptr));
  method(http, OutReq, "method", WasiFn::RequestMethod, {}, w.types.http_method);
  method(http, OutReq, "set-method", WasiFn::RequestSetMethod, {w.types.http_method}, unit_result);
  method(http, OutReq, "path-with-query", WasiFn::RequestPathWithQuery, {}, opt_str);
  method(http, OutReq, "set-path-with-query", WasiFn::RequestSetPathWithQuery, {opt_str},
         unit_result);
  method(http, OutReq, "scheme", WasiFn::RequestScheme, {}, a.option(w.types.http_scheme));
  method(http, OutReq, "set-scheme", WasiFn::RequestSetScheme, {a.option(w.types.http_scheme)},
         unit_result);
  method(http, OutReq, "authority", WasiFn::RequestAuthority, {}, opt_str);
  method(http, OutReq, "set-authority", WasiFn::RequestSetAuthority, {opt_str}, unit_result);
  method(http, OutReq, "headers", WasiFn::RequestHeaders, {}, own(Fields));
  ctor(Opts, WasiFn::OptionsNew, {});
  const char *timeouts[] = {"connect-timeout", "first-byte-timeout", "between-bytes-timeout"};
  for (uint32_t i = 0; i < 3; i++) {
    method(http, Opts, timeouts[i], WasiFn::OptionsTimeout, {}, opt_u64);
    w.imports.back().resource = i;
    method(http, Opts, "set-" + std::string(timeouts[i]), WasiFn::OptionsSetTimeout, {opt_u64},
           unit_result);
    w.imports.back().resource = i;
  }
  // response-outparam.set: static, its first parameter the handle.
  add(http, "[static]response-outparam.set", WasiFn::NeverHandedOut,
      {own(Outparam), a.result(own(OutResp), error_code)}, nullptr,
      static_cast<uint32_t>(Outparam));
  method(http, InResp, "status", WasiFn::ResponseStatus, {}, u16);
  method(http, InResp, "headers", WasiFn::ResponseHeaders, {}, own(Fields));
  method(http, InResp, "consume", WasiFn::ResponseConsume, {}, a.result(own(InBody), nullptr));
  method(http, InBody, "stream", WasiFn::IncomingBodyStream, {}, a.result(own(In), nullptr));
  static_fn(InBody, "finish", WasiFn::IncomingBodyFinish, {own(InBody)}, own(Trailers));
  method(http, Trailers, "subscribe", WasiFn::FutureTrailersSubscribe, {}, pollable);
  method(http, Trailers, "get", WasiFn::FutureTrailersGet, {},
         a.option(a.result(a.result(a.option(own(Fields)), error_code), nullptr)));
  ctor(OutResp, WasiFn::OutgoingResponseNew, {own(Fields)});
  method(http, OutResp, "status-code", WasiFn::OutgoingResponseStatusCode, {}, u16);
  method(http, OutResp, "set-status-code", WasiFn::OutgoingResponseSetStatusCode, {u16},
         unit_result);
  method(http, OutResp, "headers", WasiFn::OutgoingResponseHeaders, {}, own(Fields));
  method(http, OutResp, "body", WasiFn::OutgoingResponseBody, {}, a.result(own(OutBody), nullptr));
  method(http, OutBody, "write", WasiFn::OutgoingBodyWrite, {}, a.result(own(Out), nullptr));
  static_fn(OutBody, "finish", WasiFn::OutgoingBodyFinish, {own(OutBody), a.option(own(Fields))},
            a.result(nullptr, error_code));
  method(http, Future, "subscribe", WasiFn::FutureResponseSubscribe, {}, pollable);
  method(http, Future, "get", WasiFn::FutureResponseGet, {},
         a.option(a.result(a.result(own(InResp), error_code), nullptr)));
  add(http, "http-error-code", WasiFn::HttpErrorCode, {borrow(WasiResource::Error)},
      a.option(error_code));
  add("http/outgoing-handler", "handle", WasiFn::Handle, {own(OutReq), a.option(own(Opts))},
      a.result(own(Future), error_code));
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
