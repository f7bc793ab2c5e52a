// A request as the HTTP client checks it before anything is sent: its URL
// (parsed by libcurl, scheme and host allowlists checked), its method and
// its headers; and the small text helpers the client shares.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/curl_handles.h"
#include "services/host_allowlist.h"
#include "services/http_client.h"

namespace pgwasm::services::http {

using Kind = HttpError::Kind;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ASCII case folding and HTTP's optional whitespace.
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);

// Throws std::bad_alloc for a null pointer from libcurl.
void check_alloc(const void *p);

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

// One part of a parsed URL, or "" when it has none.
std::string url_part(CURLU *u, CURLUPart part, unsigned flags = 0);

// The request's URL, within kMaxUrlBytes, http or https, with a host.
Url parse_request_url(const std::string &text);

// `location` resolved against `base`, as a browser (and libcurl) would.
Url resolve_location(const Url &base, const std::string &location);

// Every list must allow the URL's host and port (none: nothing is).
void check_allowed(const Url &url, std::span<const HostAllowlist> allowlists, bool redirect);

enum class Method { Get, Post, Put, Patch, Delete, Head };

// The method of a request, any case; and its name on the wire.
Method parse_method(std::string_view text);
const char *method_name(Method m);

// Header names are RFC 9110 tokens and values have no CR, LF or NUL, so
// that no header can smuggle in another header or a second request. The
// body's framing is libcurl's to write.
void check_headers(const Headers &headers);

// By name, any case.
bool has_header(const Headers &headers, std::string_view name);
void drop_header(Headers &headers, std::string_view name);

}  // namespace pgwasm::services::http
