// What one hop of a request receives, bounded as it arrives: the body
// within the caller's cap, the headers within kMaxResponseHeaderBytes and
// kMaxResponseHeaders, parsed and lower-cased (libcurl's write and header
// callbacks).
#pragma once

#include <cstddef>
#include <string>

#include "services/http_request.h"

namespace pgwasm::services::http {

// What one hop receives, bounded as it arrives.
struct ResponseSink {
  std::size_t max_body = 0;
  std::string body;
  bool body_too_large = false;
  Headers headers;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
};

// libcurl's write and header callbacks; `user` is the ResponseSink. Returning
// less than given makes libcurl abort the transfer.
size_t on_body(char *data, size_t size, size_t count, void *user);
size_t on_header(char *data, size_t size, size_t count, void *user);

}  // namespace pgwasm::services::http
