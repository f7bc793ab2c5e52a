// What both FDW hosts (pg_wasm_fdw of core guests, the imports of the
// component world supabase:wrappers) do alike for a guest's routine: one
// HTTP request, and how a failure is described (each caller decides what a
// failure becomes: the statement's error, or the guest's http-error); a
// sleep a cancel ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fdw/guest.h"
#include "services/http_client.h"

namespace pgwasm::fdw {

// What became of a request: its response, or why it failed (never a
// cancel: that is an error of the statement already).
struct GuestHttpResult {
  services::HttpResponse response;
  std::optional<services::HttpError> error;
};

// Performs `req` under the guest's HTTP policy, counted in its server's
// stats. Errors of the statement: a routine that may not make requests
// (g.fail), a cancel (57014, after CHECK_FOR_INTERRUPTS has had its say).
GuestHttpResult guest_http(FdwGuest &g, const services::HttpRequest &req);

// Whether a failure is one of the host's limits (a host not allowed, a bad
// request, the timeout, the response's size) rather than the network's.
bool is_host_limit(services::HttpError::Kind kind);

// The SQLSTATE of a failure as the statement's error: the timeout and the
// response's size limit execution; the rest are connections not made.
int http_failure_sqlstate(services::HttpError::Kind kind);

// The statement's message for a failure (not scrubbed).
std::string http_failure_message(const GuestContext &ctx, const services::HttpError &e);

// The setting that limits what failed, as a HINT; empty for none.
std::string http_failure_hint(services::HttpError::Kind kind);

// Waits ms milliseconds on the latch, 100 at a time; a cancel or a
// termination ends the wait with its error.
void guest_sleep_ms(uint64_t ms);

}  // namespace pgwasm::fdw
