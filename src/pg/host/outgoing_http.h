// The hook through which WASI 0.2's wasi:http/outgoing-handler sends a
// request: pg knows no HTTP client and no policy, so a layer above (the
// FDW's, with its allowlist, timeout, size cap and cancel) sets it. With
// no hook set, or when the hook's policy allows nothing, every request is
// denied (error-code HTTP-request-denied).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgwasm::pg::host {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct OutgoingHttpRequest {
  std::string method;  // "GET", or another method's name as the guest gave it
  std::string scheme;  // "http", "https", or another
  std::string authority;
  std::string path_with_query;
  HttpHeaders headers;
  std::string body;
  // The guest's request-options, in nanoseconds: they may only shorten the
  // policy's timeout.
  std::optional<uint64_t> connect_timeout, first_byte_timeout, between_bytes_timeout;
};

struct IncomingHttpResponse {
  uint16_t status = 0;
  HttpHeaders headers;
  std::string body;
};

// What the hook answers: a response, or the case of wasi:http/types
// error-code it failed with (component/wasi.h: kHttpRequestDenied, ...)
// and, for internal-error, a message.
struct OutgoingHttpResult {
  std::optional<IncomingHttpResponse> response;
  uint32_t error_code = 0;
  std::string message;
};

// Sends a request synchronously; may throw (a cancel is the statement's
// error, never the guest's).
using OutgoingHttp = OutgoingHttpResult (*)(const OutgoingHttpRequest &request);

// Sets the hook (from _PG_init); null denies every request.
void set_outgoing_http(OutgoingHttp hook);
OutgoingHttp outgoing_http();

}  // namespace pgwasm::pg::host
