// One hop of a request with libcurl: the transfer itself, on a multi
// handle polled so that the deadline and the cancel check hold, and what it
// sent and received.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "services/http_response.h"

namespace pgwasm::services::http {

using Clock = std::chrono::steady_clock;

// libcurl's global state, set up once per process.
void global_init();

struct Hop {
  Method method;
  const std::string *body;  // null: no body
  const Headers *headers;
};

struct HopResult {
  int status = 0;
  ResponseSink sink;
  std::size_t sent = 0, received = 0;
};

HopResult transfer(CURLM *multi, const Url &url, const Hop &hop, const HttpLimits &limits,
                   Clock::time_point deadline, const std::function<bool()> &should_stop);

}  // namespace pgwasm::services::http
