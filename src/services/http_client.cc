#include "services/http_client.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>

#include "services/curl_handles.h"

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

using Kind = HttpError::Kind;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr auto kPollInterval = std::chrono::milliseconds(50);

void global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK)
    throw HttpError(Kind::Other, "",
                    std::string("libcurl could not be initialised: ") + curl_easy_strerror(result));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

void check_alloc(const void *p) {
  if (p == nullptr) throw std::bad_alloc();
}

// A URL held by libcurl's parser, with the parts the checks and messages
// need. The handle is what the transfer uses (CURLOPT_CURLU), so the URL
// checked is the URL fetched.
struct Url {
  curl::Url handle;
  std::string scheme, host, path, query;
  int port = 0;

  std::string origin() const { return scheme + "://" + host + ":" + std::to_string(port); }
  // For messages: no user info, no query, no fragment.
  std::string describe() const { return origin() + path; }
};

std::string url_part(CURLU *u, CURLUPart part, unsigned flags = 0) {
  char *raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  curl::String owned(raw);
  return std::string(raw);
}

// Reads the parts out of a handle and checks the scheme; `bad` is the kind
// of error a bad URL is (BadRequest for the request, Redirect for a
// Location).
Url inspect(curl::Url handle, Kind bad, std::string_view what) {
  Url url;
  url.scheme = lower(url_part(handle.get(), CURLUPART_SCHEME));
  url.host = url_part(handle.get(), CURLUPART_HOST);
  if (url.scheme != "http" && url.scheme != "https")
    throw HttpError(bad, url.host,
                    std::string(what) + " has the scheme \"" + url.scheme +
                        "\"; only http and https are allowed");
  if (url.host.empty()) throw HttpError(bad, "", std::string(what) + " has no host");
  char *zone = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
    curl::String owned(zone);
    throw HttpError(bad, url.host,
                    std::string(what) + " has an IPv6 zone ID, which is not supported");
  }
  url.port = std::atoi(url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).c_str());
  url.path = url_part(handle.get(), CURLUPART_PATH);
  url.query = url_part(handle.get(), CURLUPART_QUERY);
  url.handle = std::move(handle);
  return url;
}

Url parse_request_url(const std::string &text) {
  if (text.size() > kMaxUrlBytes)
    throw HttpError(Kind::BadRequest, "",
                    "the URL is longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  if (text.find('\0') != std::string::npos)
    throw HttpError(Kind::BadRequest, "", "the URL contains a NUL byte");
  curl::Url handle(curl_url());
  check_alloc(handle.get());
  // NON_SUPPORT_SCHEME: parse any scheme, so that the refusal below can
  // name it.
  if (CURLUcode rc =
          curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK)
    throw HttpError(Kind::BadRequest, "",
                    std::string("the URL is not valid: ") + curl_url_strerror(rc));
  return inspect(std::move(handle), Kind::BadRequest, "the URL");
}

// `location` resolved against `base`, as a browser (and libcurl) would.
Url resolve_location(const Url &base, const std::string &location) {
  if (location.find('\0') != std::string::npos || location.size() > kMaxUrlBytes)
    throw HttpError(Kind::Redirect, base.host,
                    "a redirect from " + base.describe() + " has a bad Location");
  curl::Url handle(curl_url_dup(base.handle.get()));
  check_alloc(handle.get());
  if (CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, location.c_str(),
                                  CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE | CURLU_ALLOW_SPACE);
      rc != CURLUE_OK)
    throw HttpError(
        Kind::Redirect, base.host,
        "a redirect from " + base.describe() + " has a bad Location: " + curl_url_strerror(rc));
  return inspect(std::move(handle), Kind::Redirect, "a redirect from " + base.describe());
}

void check_allowed(const Url &url, std::span<const HostAllowlist> allowlists, bool redirect) {
  bool ok = !allowlists.empty();
  for (const HostAllowlist &list : allowlists) ok = ok && list.allows(url.host, url.port);
  if (!ok)
    throw HttpError(Kind::NotAllowed, url.host,
                    std::string(redirect ? "a redirect to " : "") + "host \"" + url.host +
                        "\" port " + std::to_string(url.port) +
                        " is not in the HTTP host allowlist (" + url.describe() + ")");
}

enum class Method { Get, Post, Put, Patch, Delete, Head };

Method parse_method(std::string_view text) {
  std::string m = lower(text);
  if (m == "get") return Method::Get;
  if (m == "post") return Method::Post;
  if (m == "put") return Method::Put;
  if (m == "patch") return Method::Patch;
  if (m == "delete") return Method::Delete;
  if (m == "head") return Method::Head;
  throw HttpError(Kind::BadRequest, "", "the method must be GET, POST, PUT, PATCH, DELETE or HEAD");
}

const char *method_name(Method m) {
  switch (m) {
    case Method::Get: return "GET";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Patch: return "PATCH";
    case Method::Delete: return "DELETE";
    case Method::Head: return "HEAD";
  }
  return "GET";
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Header names are RFC 9110 tokens and values have no CR, LF or NUL, so
// that no header can smuggle in another header or a second request. The
// body's framing is libcurl's to write.
void check_headers(const Headers &headers) {
  if (headers.size() > kMaxRequestHeaders)
    throw HttpError(Kind::BadRequest, "",
                    "more than " + std::to_string(kMaxRequestHeaders) + " request headers");
  std::size_t bytes = 0;
  for (const auto &[name, value] : headers) {
    bytes += name.size() + value.size() + 4;
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
      throw HttpError(Kind::BadRequest, "", "a request header name is not a valid token");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      throw HttpError(Kind::BadRequest, "",
                      "the value of request header \"" + name + "\" contains CR, LF or NUL");
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding"))
      throw HttpError(Kind::BadRequest, "", "request header \"" + name + "\" is set by the host");
  }
  if (bytes > kMaxRequestHeaderBytes)
    throw HttpError(
        Kind::BadRequest, "",
        "the request headers are larger than " + std::to_string(kMaxRequestHeaderBytes) + " bytes");
}

bool has_header(const Headers &headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto &h) { return iequals(h.first, name); });
}

void drop_header(Headers &headers, std::string_view name) {
  std::erase_if(headers, [&](const auto &h) { return iequals(h.first, name); });
}

// What one hop receives, bounded as it arrives.
struct Sink {
  std::size_t max_body = 0;
  std::string body;
  bool body_too_large = false;
  Headers headers;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<Sink *>(user);
  size_t len = size * count;
  if (len > sink->max_body - sink->body.size()) {
    sink->body_too_large = true;
    return 0;  // less than given: libcurl aborts the transfer
  }
  sink->body.append(data, len);
  return len;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<Sink *>(user);
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

// A curl_easy_setopt that cannot fail silently.
template <typename T>
void set(CURL *easy, CURLoption option, T value) {
  if (CURLcode rc = curl_easy_setopt(easy, option, value); rc != CURLE_OK)
    throw HttpError(Kind::Other, "",
                    std::string("libcurl refused an option: ") + curl_easy_strerror(rc));
}

// The text of libcurl's error for a message, with the query string (which
// may carry secrets) cut out should libcurl have quoted it.
std::string curl_message(CURLcode code, const char *buffer, const Url &url) {
  std::string text = buffer != nullptr && buffer[0] != '\0' ? buffer : curl_easy_strerror(code);
  if (!url.query.empty())
    for (size_t at; (at = text.find(url.query)) != std::string::npos;)
      text.replace(at, url.query.size(), "...");
  return text;
}

struct Hop {
  Method method;
  const std::string *body;  // null: no body
  const Headers *headers;
};

struct HopResult {
  int status = 0;
  Sink sink;
  std::size_t sent = 0, received = 0;
};

HopResult transfer(CURLM *multi, const Url &url, const Hop &hop, const HttpLimits &limits,
                   Clock::time_point deadline, const std::function<bool()> &should_stop) {
  HopResult out;
  out.sink.max_body = limits.max_response_bytes;

  curl::Slist headers;
  auto append = [&](const std::string &line) {
    curl_slist *next = curl_slist_append(headers.get(), line.c_str());
    check_alloc(next);
    headers.release();
    headers.reset(next);
  };
  for (const auto &[name, value] : *hop.headers)
    // "Name;" is libcurl's way to send a header with an empty value
    // ("Name:" would remove it).
    append(value.empty() ? name + ";" : name + ": " + value);
  append("Expect:");  // no 100-continue round trip before the body
  if (hop.body != nullptr && !has_header(*hop.headers, "content-type"))
    append("Content-Type:");  // not libcurl's form-urlencoded default

  curl::Easy easy(curl_easy_init());
  check_alloc(easy.get());
  CURL *e = easy.get();
  char error[CURL_ERROR_SIZE] = {0};
  set(e, CURLOPT_ERRORBUFFER, error);
  set(e, CURLOPT_CURLU, url.handle.get());
  // Inside a PostgreSQL backend: no signals (no SIGALRM for DNS timeouts,
  // no SIGPIPE).
  set(e, CURLOPT_NOSIGNAL, 1L);
  set(e, CURLOPT_PROTOCOLS_STR, "http,https");
  set(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed here, re-checked
  set(e, CURLOPT_PROXY, "");           // ignore http_proxy and friends
  set(e, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
  set(e, CURLOPT_SSL_VERIFYPEER, 1L);
  set(e, CURLOPT_SSL_VERIFYHOST, 2L);
  set(e, CURLOPT_USERAGENT, "pg_wasm");  // some APIs refuse requests without one
  set(e, CURLOPT_HTTPHEADER, headers.get());
  set(e, CURLOPT_WRITEFUNCTION, on_body);
  set(e, CURLOPT_WRITEDATA, static_cast<void *>(&out.sink));
  set(e, CURLOPT_HEADERFUNCTION, on_header);
  set(e, CURLOPT_HEADERDATA, static_cast<void *>(&out.sink));
  set(e, CURLOPT_MAXFILESIZE_LARGE,
      static_cast<curl_off_t>(std::min<std::size_t>(limits.max_response_bytes, INT64_MAX)));
  // The loop below enforces the deadline; these are the backstop.
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  long remaining_ms = std::max<long>(1, static_cast<long>(remaining.count()));
  set(e, CURLOPT_TIMEOUT_MS, remaining_ms);
  set(e, CURLOPT_CONNECTTIMEOUT_MS, remaining_ms);

  switch (hop.method) {
    case Method::Head: set(e, CURLOPT_NOBODY, 1L); break;
    case Method::Get:
      if (hop.body == nullptr) set(e, CURLOPT_HTTPGET, 1L);
      break;
    default: break;
  }
  if (hop.body != nullptr) {
    set(e, CURLOPT_POST, 1L);
    set(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(hop.body->size()));
    set(e, CURLOPT_POSTFIELDS, hop.body->data());
  }
  if (hop.method != Method::Get && hop.method != Method::Head &&
      (hop.method != Method::Post || hop.body == nullptr))
    set(e, CURLOPT_CUSTOMREQUEST, method_name(hop.method));
  if (hop.method == Method::Get && hop.body != nullptr) set(e, CURLOPT_CUSTOMREQUEST, "GET");

  curl::Attached attached(multi, e);
  if (!attached.ok()) throw HttpError(Kind::Other, url.host, "libcurl could not start a transfer");

  // Drive the transfer ourselves, waking at least every 50 ms to check the
  // deadline and the cancel flag even while the server says nothing.
  for (;;) {
    if (should_stop && should_stop())
      throw HttpError(Kind::Cancelled, url.host,
                      "the request to " + url.describe() + " was cancelled");
    int running = 0;
    if (CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK)
      throw HttpError(Kind::Other, url.host, std::string("libcurl: ") + curl_multi_strerror(mc));
    if (running == 0) break;
    auto now = Clock::now();
    if (now >= deadline)
      throw HttpError(Kind::Timeout, url.host,
                      "the request to " + url.describe() + " took longer than " +
                          std::to_string(limits.timeout.count()) + " ms");
    auto wait = std::min<Clock::duration>(kPollInterval, deadline - now);
    int wait_ms = std::max(
        1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
    if (CURLMcode mc = curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr); mc != CURLM_OK)
      throw HttpError(Kind::Other, url.host, std::string("libcurl: ") + curl_multi_strerror(mc));
  }

  CURLcode code = CURLE_OK;
  int pending = 0;
  while (CURLMsg *msg = curl_multi_info_read(multi, &pending))
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == e) code = msg->data.result;

  if (out.sink.body_too_large || code == CURLE_FILESIZE_EXCEEDED)
    throw HttpError(Kind::TooLarge, url.host,
                    "the response from " + url.describe() + " is larger than " +
                        std::to_string(limits.max_response_bytes) + " bytes (the limit)");
  if (out.sink.headers_too_large)
    throw HttpError(Kind::TooLarge, url.host,
                    "the response headers from " + url.describe() + " exceed " +
                        std::to_string(kMaxResponseHeaders) + " headers or " +
                        std::to_string(kMaxResponseHeaderBytes) + " bytes");
  switch (code) {
    case CURLE_OK: break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      throw HttpError(Kind::Connect, url.host,
                      // libcurl's own words, not its error buffer's (which adds timings).
                      "could not connect to " + url.describe() + ": " + curl_easy_strerror(code));
    case CURLE_OPERATION_TIMEDOUT:
      throw HttpError(Kind::Timeout, url.host,
                      "the request to " + url.describe() + " took longer than " +
                          std::to_string(limits.timeout.count()) + " ms");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      throw HttpError(Kind::Tls, url.host,
                      "TLS with " + url.describe() + " failed: " + curl_message(code, error, url));
    default:
      throw HttpError(
          Kind::Other, url.host,
          "the request to " + url.describe() + " failed: " + curl_message(code, error, url));
  }

  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  curl_off_t up = 0, down = 0;
  long request_size = 0, header_size = 0;
  curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
  curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &header_size);
  out.sent = static_cast<std::size_t>(up) + static_cast<std::size_t>(request_size);
  out.received = static_cast<std::size_t>(down) + static_cast<std::size_t>(header_size);
  return out;
}

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
