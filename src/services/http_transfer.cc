#include "services/http_transfer.h"

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace pgwasm::services::http {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

void global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK)
    throw HttpError(Kind::Other, "",
                    std::string("libcurl could not be initialised: ") + curl_easy_strerror(result));
}

namespace {

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

}  // namespace

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

}  // namespace pgwasm::services::http
