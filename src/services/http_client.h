// The HTTP client FDW guests reach the network through (docs/fdw.md,
// "http"): libcurl underneath, every request held to host allowlists, a
// timeout, a response-size cap and a cancel check, with redirects followed
// here (not by libcurl) so that each hop is re-checked. No PostgreSQL here:
// the glue maps HttpError's kinds to SQLSTATEs and supplies should_stop.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "services/host_allowlist.h"

namespace pgwasm::services {

// Bounds a request is refused beyond (BadRequest), and a response's
// headers (TooLarge).
inline constexpr std::size_t kMaxUrlBytes = 8 << 10;
inline constexpr std::size_t kMaxRequestHeaders = 100;
inline constexpr std::size_t kMaxRequestHeaderBytes = 64 << 10;
inline constexpr std::size_t kMaxRequestBodyBytes = 16 << 20;
inline constexpr std::size_t kMaxResponseHeaderBytes = 64 << 10;
inline constexpr std::size_t kMaxResponseHeaders = 200;

struct HttpLimits {
  // Connecting included, across all redirects.
  std::chrono::milliseconds timeout{30000};
  std::size_t max_response_bytes = 16u << 20;
  int max_redirects = 5;
};

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE, HEAD, any case
  std::string url;     // http or https
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // as the server sent it
  std::string final_url;  // after redirects, in full (query included: not for messages)
  std::size_t bytes_sent = 0, bytes_received = 0;  // all hops, headers included
  int redirects = 0;
};

// What a request could not do. Messages name the host (at most
// scheme://host:port/path), never the query string, which may carry secrets.
class HttpError : public std::runtime_error {
 public:
  enum class Kind {
    BadRequest,
    NotAllowed,
    Connect,
    Tls,
    Redirect,
    Timeout,
    TooLarge,
    Cancelled,
    Other
  };
  HttpError(Kind kind, std::string host, std::string message);
  Kind kind() const { return kind_; }
  const std::string &host() const { return host_; }  // "" when the URL had none

 private:
  Kind kind_;
  std::string host_;
};

const char *to_string(HttpError::Kind kind);

// One request, following redirects. Each hop's host and effective port
// must be allowed by every list in `allowlists` (none: nothing allowed),
// checked before connecting. A redirect to another origin drops the
// Authorization, Proxy-Authorization and Cookie headers. `should_stop` is
// called about every 50 ms (true: Cancelled); it must return, not throw
// through libcurl or longjmp. Throws HttpError; a 4xx or 5xx status is a
// response, not an error.
HttpResponse perform(const HttpRequest &request, std::span<const HostAllowlist> allowlists,
                     const HttpLimits &limits, const std::function<bool()> &should_stop);

}  // namespace pgwasm::services
