#include "services/http_request.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace pgwasm::services::http {

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

std::string url_part(CURLU *u, CURLUPart part, unsigned flags) {
  char *raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  curl::String owned(raw);
  return std::string(raw);
}

namespace {

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

}  // namespace

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

namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

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

}  // namespace pgwasm::services::http
