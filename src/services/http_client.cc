// The HTTP client's requests from start to end: checked (http_request.h),
// each hop transferred (http_transfer.h), and redirects followed here, each
// hop re-checked against the allowlists.
#include "services/http_client.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "services/curl_handles.h"
#include "services/http_request.h"
#include "services/http_transfer.h"

namespace pgwasm::services {

HttpError::HttpError(Kind kind, std::string host, std::string message)
    : std::runtime_error(std::move(message)), kind_(kind), host_(std::move(host)) {}

const char *to_string(HttpError::Kind kind) {
  switch (kind) {
    case HttpError::Kind::BadRequest: return "bad request";
    case HttpError::Kind::NotAllowed: return "host not allowed";
    case HttpError::Kind::Connect: return "connection failed";
    case HttpError::Kind::Tls: return "TLS failed";
    case HttpError::Kind::Redirect: return "redirect refused";
    case HttpError::Kind::Timeout: return "timeout";
    case HttpError::Kind::TooLarge: return "response too large";
    case HttpError::Kind::Cancelled: return "cancelled";
    case HttpError::Kind::Other: return "request failed";
  }
  return "request failed";
}

namespace {

using namespace http;
using namespace std::chrono_literals;

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

const std::string *find_header(const Headers &headers, std::string_view lower_name) {
  for (const auto &[name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

}  // namespace

HttpResponse perform(const HttpRequest &request, std::span<const HostAllowlist> allowlists,
                     const HttpLimits &limits, const std::function<bool()> &should_stop) {
  global_init();
  Method method = parse_method(request.method);
  if (request.body.size() > kMaxRequestBodyBytes)
    throw HttpError(
        Kind::BadRequest, "",
        "the request body is larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes");
  if (method == Method::Head && !request.body.empty())
    throw HttpError(Kind::BadRequest, "", "a HEAD request has no body");
  if (limits.timeout.count() <= 0 || limits.max_redirects < 0)
    throw HttpError(Kind::BadRequest, "", "the HTTP limits are not valid");
  check_headers(request.headers);
  Url url = parse_request_url(request.url);
  check_allowed(url, allowlists, false);

  // Bounded so that the deadline cannot overflow the clock.
  const auto deadline =
      Clock::now() + std::min<std::chrono::milliseconds>(limits.timeout, 24h * 365);
  // One multi handle per process, kept: its connection cache lets the next
  // request to the same host and port reuse a connection (a scan reads page
  // after page). A connection a transfer left unfinished (a cancel, a
  // timeout, a cap) is closed, not reused; every request is checked against
  // the allowlists before it is made, whichever connection carries it.
  static curl::Multi &multi = *new curl::Multi(curl_multi_init());
  check_alloc(multi.get());
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, 8L);

  Headers headers = request.headers;
  // POST, PUT and PATCH always send a body (perhaps empty, with
  // Content-Length: 0); GET and DELETE only when given one.
  bool with_body = method == Method::Post || method == Method::Put || method == Method::Patch ||
                   !request.body.empty();
  HttpResponse response;
  for (;;) {
    Hop hop{method, with_body ? &request.body : nullptr, &headers};
    HopResult result = transfer(multi.get(), url, hop, limits, deadline, should_stop);
    response.bytes_sent += result.sent;
    response.bytes_received += result.received;
    const std::string *location = find_header(result.sink.headers, "location");
    if (!is_redirect(result.status) || location == nullptr) {
      response.status = result.status;
      response.headers = std::move(result.sink.headers);
      response.body = std::move(result.sink.body);
      response.final_url = url_part(url.handle.get(), CURLUPART_URL);
      return response;
    }

    if (response.redirects >= limits.max_redirects)
      throw HttpError(Kind::Redirect, url.host,
                      "more than " + std::to_string(limits.max_redirects) + " redirects (at " +
                          url.describe() + ")");
    Url next = resolve_location(url, *location);
    check_allowed(next, allowlists, true);
    response.redirects++;
    // 303, and 301/302 after a POST, become a GET without a body (as
    // browsers and libcurl do); 307 and 308 repeat the request as it was.
    if (method != Method::Head &&
        (result.status == 303 ||
         ((result.status == 301 || result.status == 302) && method == Method::Post))) {
      method = Method::Get;
      with_body = false;
      drop_header(headers, "content-type");
    }
    // Credentials are for the origin they were given for.
    if (next.origin() != url.origin()) {
      drop_header(headers, "authorization");
      drop_header(headers, "proxy-authorization");
      drop_header(headers, "cookie");
    }
    url = std::move(next);
  }
}

}  // namespace pgwasm::services
