// WASI 0.2's wasi:http/outgoing-handler on the FDW's HTTP client
// (pg/host/outgoing_http.h): inside a foreign data wrapper's routine under
// its server's policy and statistics, like the supabase http interface; in a
// SQL function under wasm.function_http_allowed_hosts, which is empty
// unless an administrator sets it. Same allowlists, timeout, size cap and
// cancel either way; a failure is the guest's error-code, a cancel the
// statement's error.
#include <algorithm>
#include <chrono>
#include <string>

#include "component/wasi.h"
#include "fdw/component/wasi_http.h"
#include "fdw/fdw_headers.h"
#include "fdw/guest_services.h"
#include "fdw/http_policy.h"
#include "pg/guard.h"
#include "pg/host/outgoing_http.h"

namespace pgwasm::fdw {

namespace {

using Kind = services::HttpError::Kind;

uint32_t error_code(Kind kind) {
  switch (kind) {
    case Kind::NotAllowed: return component::kHttpRequestDenied;
    case Kind::BadRequest: return component::kHttpRequestUriInvalid;
    case Kind::Connect: return component::kHttpConnectionRefused;
    case Kind::Tls: return component::kHttpTlsProtocolError;
    case Kind::Timeout: return component::kHttpConnectionTimeout;
    case Kind::TooLarge: return component::kHttpResponseBodySize;
    default: return component::kHttpInternalError;
  }
}

pg::host::OutgoingHttpResult outgoing(const pg::host::OutgoingHttpRequest &r) {
  services::HttpRequest req;
  req.method = r.method;
  req.url = r.scheme + "://" + r.authority + r.path_with_query;
  req.headers = r.headers;
  req.body = r.body;
  pg::host::OutgoingHttpResult out;
  services::HttpResponse response;
  if (FdwGuest *g = current_fdw_guest()) {
    GuestHttpResult result = guest_http(*g, req);
    if (result.error) {
      out.error_code = error_code(result.error->kind());
      out.message = result.error->what();
      return out;
    }
    response = std::move(result.response);
  } else {
    HttpPolicy policy = function_http_policy();
    // The guest's request-options may only shorten the timeout.
    for (const auto &t : {r.connect_timeout, r.first_byte_timeout})
      if (t)
        policy.limits.timeout =
            std::min(policy.limits.timeout,
                     std::max(std::chrono::milliseconds(1),
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::nanoseconds(std::min<uint64_t>(*t, INT64_MAX)))));
    try {
      response = services::perform(req, policy.allowlists, policy.limits,
                                   [] { return QueryCancelPending || ProcDiePending; });
    } catch (const services::HttpError &e) {
      if (e.kind() == Kind::Cancelled) {
        pg::pg_guard([] { CHECK_FOR_INTERRUPTS(); });
        throw pg::SqlError(ERRCODE_QUERY_CANCELED, "canceling an HTTP request of a wasm function");
      }
      out.error_code = error_code(e.kind());
      out.message = e.what();
      return out;
    }
  }
  pg::host::IncomingHttpResponse resp;
  resp.status = static_cast<uint16_t>(response.status);
  resp.headers = std::move(response.headers);
  resp.body = std::move(response.body);
  out.response = std::move(resp);
  return out;
}

}  // namespace

void register_wasi_http() {
  pg::host::set_outgoing_http(&outgoing);
}

}  // namespace pgwasm::fdw
