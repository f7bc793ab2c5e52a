#include "services/http_response.h"

namespace pgwasm::services::http {

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<ResponseSink *>(user);
  size_t len = size * count;
  if (len > sink->max_body - sink->body.size()) {
    sink->body_too_large = true;
    return 0;  // less than given: libcurl aborts the transfer
  }
  sink->body.append(data, len);
  return len;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<ResponseSink *>(user);
  size_t len = size * count;
  sink->header_bytes += len;
  if (sink->header_bytes > kMaxResponseHeaderBytes) {
    sink->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    sink->headers.clear();  // a new response: an interim 1xx came before
    return len;
  }
  if (trim(line).empty()) return len;
  if ((line.front() == ' ' || line.front() == '\t') && !sink->headers.empty()) {
    // An obsolete folded continuation of the previous header's value.
    sink->headers.back().second += ' ';
    sink->headers.back().second += trim(line);
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  if (sink->headers.size() >= kMaxResponseHeaders) {
    sink->headers_too_large = true;
    return 0;
  }
  sink->headers.emplace_back(lower(trim(line.substr(0, colon))),
                             std::string(trim(line.substr(colon + 1))));
  return len;
}

}  // namespace pgwasm::services::http
