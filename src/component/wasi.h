// WASI 0.2 (the interfaces wasi:io, wasi:clocks, wasi:random, wasi:cli,
// wasi:filesystem and wasi:sockets of the 0.2 releases) as the host knows
// it: each function's interface, name and canonical signature, written by
// hand from the WASI specification's WIT like world.cc does for
// supabase:wrappers. The host checks a component's core imports against
// these rather than trusting its types, and offers exactly these
// (docs/wasi.md, "WASI 0.2"). Knows nothing of PostgreSQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi.h"

namespace pgwasm::component {

// WASI's resources, by id (Type::resource). supabase:wrappers' take ids
// below kFirstWasiResource (world.h), so that one handle table can hold
// both.
inline constexpr uint32_t kFirstWasiResource = 32;
enum class WasiResource : uint32_t {
  Error = kFirstWasiResource,  // wasi:io/error
  Pollable,
  InputStream,
  OutputStream,
  TerminalInput,
  TerminalOutput,
  Descriptor,
  DirectoryEntryStream,
  Network,
  TcpSocket,
  UdpSocket,
  IncomingDatagramStream,
  OutgoingDatagramStream,
  ResolveAddressStream,
  Fields,  // wasi:http/types
  IncomingRequest,
  OutgoingRequest,
  RequestOptions,
  ResponseOutparam,
  IncomingResponse,
  IncomingBody,
  FutureTrailers,
  OutgoingResponse,
  OutgoingBody,
  FutureIncomingResponse,
  End
};
std::string_view to_string(WasiResource r);  // "pollable"

// The name of any resource id the host hands out (supabase's or WASI's),
// for messages; "resource <id>" for an unknown one.
std::string resource_name(uint32_t id);

// What a WASI 0.2 function is; the host's dispatch switches on it.
enum class WasiFn : uint16_t {
  Drop,  // [resource-drop]<resource>, with `resource`
  // A method of a resource the host never hands out (a file descriptor, a
  // socket): its handle is checked, which always fails.
  NeverHandedOut,
  ErrorToDebugString,
  PollableReady,
  PollableBlock,
  Poll,
  InputRead,
  InputBlockingRead,
  InputSkip,
  InputBlockingSkip,
  InputSubscribe,
  OutputCheckWrite,
  OutputWrite,
  OutputBlockingWriteAndFlush,
  OutputFlush,
  OutputBlockingFlush,
  OutputSubscribe,
  OutputWriteZeroes,
  OutputBlockingWriteZeroesAndFlush,
  OutputSplice,
  OutputBlockingSplice,
  MonotonicNow,
  MonotonicResolution,
  MonotonicSubscribeInstant,
  MonotonicSubscribeDuration,
  WallNow,
  WallResolution,
  RandomBytes,
  RandomU64,
  InsecureRandomBytes,
  InsecureRandomU64,
  InsecureSeed,
  GetEnvironment,
  GetArguments,
  InitialCwd,
  Exit,
  GetStdin,
  GetStdout,
  GetStderr,
  GetTerminalStdin,
  GetTerminalStdout,
  GetTerminalStderr,
  GetDirectories,
  FilesystemErrorCode,
  InstanceNetwork,
  CreateTcpSocket,
  CreateUdpSocket,
  ResolveAddresses,
  // wasi:http/types and wasi:http/outgoing-handler
  FieldsNew,
  FieldsFromList,
  FieldsGet,
  FieldsHas,
  FieldsSet,
  FieldsDelete,
  FieldsAppend,
  FieldsEntries,
  FieldsClone,
  RequestNew,
  RequestBody,
  RequestMethod,
  RequestSetMethod,
  RequestPathWithQuery,
  RequestSetPathWithQuery,
  RequestScheme,
  RequestSetScheme,
  RequestAuthority,
  RequestSetAuthority,
  RequestHeaders,
  OptionsNew,
  OptionsTimeout,     // `resource`: which (kTimeoutConnect, ...)
  OptionsSetTimeout,  // the same
  ResponseStatus,
  ResponseHeaders,
  ResponseConsume,
  IncomingBodyStream,
  IncomingBodyFinish,
  FutureTrailersSubscribe,
  FutureTrailersGet,
  OutgoingResponseNew,
  OutgoingResponseStatusCode,
  OutgoingResponseSetStatusCode,
  OutgoingResponseHeaders,
  OutgoingResponseBody,
  OutgoingBodyWrite,
  OutgoingBodyFinish,
  FutureResponseSubscribe,
  FutureResponseGet,
  HttpErrorCode,
  Handle,
};

struct WasiImport {
  std::string interface;  // "io/poll", "cli/stdout"
  std::string name;       // "poll", "[method]pollable.block", "[resource-drop]pollable"
  WasiFn fn;
  // Drop: the resource dropped; NeverHandedOut and methods: the resource
  // of `self` (its first parameter); OptionsTimeout, OptionsSetTimeout:
  // which timeout (0 connect, 1 first byte, 2 between bytes).
  uint32_t resource = 0;
  Signature sig;
};

// The types the host builds values of by name.
struct WasiTypes {
  const Type *stream_error, *datetime, *fs_error_code, *socket_error_code, *http_method,
      *http_scheme, *http_error_code, *header_error;
};

class WasiHost {
 public:
  WasiTypes types{};
  std::vector<WasiImport> imports;

  // The function of interface `iface` ("io/poll") named `name`, or null.
  const WasiImport *find(std::string_view iface, std::string_view name) const;

 private:
  friend const WasiHost &wasi_host();
  TypeArena arena_;
};

// Built once per process, never freed.
const WasiHost &wasi_host();

// Cases of the enums the host answers with.
inline constexpr uint32_t kStreamErrorClosed = 1;   // stream-error.closed
inline constexpr uint32_t kSocketAccessDenied = 1;  // sockets' error-code.access-denied
inline constexpr uint32_t kFilesystemAccess = 0;    // filesystem's error-code.access
inline constexpr uint32_t kStreamErrorFailed = 0;   // stream-error.last-operation-failed
// wasi:http/types error-code cases.
inline constexpr uint32_t kHttpDnsError = 1, kHttpConnectionRefused = 6, kHttpConnectionTimeout = 8,
                          kHttpTlsProtocolError = 12, kHttpRequestDenied = 15,
                          kHttpRequestUriInvalid = 19, kHttpResponseBodySize = 28,
                          kHttpResponseTimeout = 33, kHttpInternalError = 38;
// wasi:http/types header-error cases.
inline constexpr uint32_t kHeaderInvalidSyntax = 0, kHeaderForbidden = 1, kHeaderImmutable = 2;
// wasi:http/types method and scheme cases with a payload (other(string)).
inline constexpr uint32_t kMethodOther = 9, kSchemeOther = 2;

// A core import's module name for WASI 0.2, in either form current tools
// emit: "wasi:io/poll@0.2.10" or "cm32p2|wasi:io/poll@0.2". Any 0.2.N is
// the same interface to the host: 0.2 releases only add functions, and an
// import of one the host does not know stays unsatisfied, naming it.
struct WasiModule {
  std::string interface;  // "io/poll"
  uint32_t patch = 0;     // N of 0.2.N; 0 for the short form
};
std::optional<WasiModule> parse_wasi_module(std::string_view module);

// The module name the host registers interface `iface` under: every form
// parse_wasi_module accepts maps to it.
std::string wasi_module_name(std::string_view iface);  // "wasi:io/poll@0.2"

}  // namespace pgwasm::component
