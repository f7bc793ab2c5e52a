#include "fdw/guest_services.h"

#include <algorithm>
#include <chrono>

#include "fdw/fdw_headers.h"
#include "pg/guard.h"

extern "C" {
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace pgwasm::fdw {

using Kind = services::HttpError::Kind;

GuestHttpResult guest_http(FdwGuest &g, const services::HttpRequest &req) {
  const GuestContext &ctx = g.context();
  if (!ctx.http)
    g.fail(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION, "this routine may not make HTTP requests");
  ctx.stats->requests++;
  GuestHttpResult out;
  try {
    out.response = services::perform(req, ctx.http->allowlists, ctx.http->limits,
                                     [] { return QueryCancelPending || ProcDiePending; });
  } catch (const services::HttpError &e) {
    ctx.stats->request_errors++;
    if (e.kind() == Kind::Cancelled) {
      pg::pg_guard([] { CHECK_FOR_INTERRUPTS(); });
      throw pg::SqlError(ERRCODE_QUERY_CANCELED, "canceling an HTTP request of a wasm FDW");
    }
    out.error = e;
    return out;
  }
  ctx.stats->bytes_sent += out.response.bytes_sent;
  ctx.stats->bytes_received += out.response.bytes_received;
  return out;
}

bool is_host_limit(Kind kind) {
  return kind == Kind::NotAllowed || kind == Kind::Timeout || kind == Kind::TooLarge ||
         kind == Kind::BadRequest;
}

int http_failure_sqlstate(Kind kind) {
  return kind == Kind::Timeout || kind == Kind::TooLarge
             ? ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION
             : ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
}

std::string http_failure_message(const GuestContext &ctx, const services::HttpError &e) {
  return "HTTP request of wasm FDW server \"" + ctx.server + "\" failed: " + e.what();
}

std::string http_failure_hint(Kind kind) {
  switch (kind) {
    case Kind::NotAllowed:
      return "The host must be in wasm.http_allowed_hosts (and in the server's "
             "http_allowed_hosts when it has that option).";
    case Kind::Timeout:
      return "Requests may take wasm.http_timeout (or the server's http_timeout).";
    case Kind::TooLarge:
      return "Responses may have wasm.http_max_response_bytes (or the server's "
             "http_max_response_bytes).";
    default: return "";
  }
}

void guest_sleep_ms(uint64_t ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    until - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pg::pg_guard([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
                      std::min<long>(left, 100), PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
  }
}

}  // namespace pgwasm::fdw
