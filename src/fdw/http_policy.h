// What a guest's HTTP requests may do (wasm.http_allowed_hosts,
// wasm.http_timeout, wasm.http_max_response_bytes, narrowed by a server's
// http_* options), and the per-server statistics of what they did
// (wasm.fdw_stats).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fdw/options.h"
#include "services/host_allowlist.h"
#include "services/http_client.h"

namespace pgwasm::fdw {

struct HttpPolicy {
  // A request's host must be in every one.
  std::vector<services::HostAllowlist> allowlists;
  services::HttpLimits limits;
};

// Registers the settings (from _PG_init).
void define_http_settings();

// The policy for a server's requests now. Throws SqlError on a bad option.
HttpPolicy http_policy(const ServerConfig &server);

// The policy for a SQL function's requests (WASI 0.2's wasi:http):
// wasm.http_allowed_hosts and wasm.function_http_allowed_hosts both, the
// global timeout and size cap. Throws SqlError on a bad setting.
HttpPolicy function_http_policy();

// What one server's guests did in this session.
struct ServerStats {
  std::string name;
  uint64_t scans = 0;
  uint64_t rows_read = 0;
  uint64_t rows_written = 0;
  uint64_t requests = 0;
  uint64_t request_errors = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t errors = 0;  // routines that failed, for any reason
};

ServerStats &server_stats(Oid server, const std::string &name);
std::vector<std::pair<Oid, ServerStats>> all_server_stats();

}  // namespace pgwasm::fdw
