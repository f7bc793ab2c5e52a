#include "fdw/http_policy.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

#include "fdw/fdw_headers.h"
#include "pg/guard.h"

namespace pgwasm::fdw {

using pg::SqlError;

namespace {

char *allowed_hosts_guc = nullptr;
char *function_allowed_hosts_guc = nullptr;
int timeout_ms_guc = 30000;
int max_response_bytes_guc = 16 << 20;

bool check_allowed_hosts(char **newval, void **, GucSource) {
  try {
    services::HostAllowlist::parse(*newval ? *newval : "");
    return true;
  } catch (const std::exception &e) {
    // GUC_check_errdetail formats with %s: no guest-controlled format.
    GUC_check_errdetail("%s", e.what());
    return false;
  }
}

services::HostAllowlist parse_list(const std::string &text, const char *what) {
  try {
    return services::HostAllowlist::parse(text);
  } catch (const std::exception &e) {
    throw SqlError(ERRCODE_FDW_INVALID_OPTION_NAME,
                   std::string("invalid ") + what + ": " + e.what());
  }
}

std::map<Oid, ServerStats> &stats_map() {
  // Never destroyed: no static destructors at backend exit.
  static auto *m = new std::map<Oid, ServerStats>();
  return *m;
}

}  // namespace

void define_http_settings() {
  DefineCustomStringVariable(
      "wasm.http_allowed_hosts", "The hosts Wasm foreign data wrappers may send HTTP requests to.",
      "Comma-separated: api.example.com, *.example.com (its subdomains), 127.0.0.1:8080 (one "
      "port), * (any). Empty: none. A server's http_allowed_hosts option narrows it.",
      &allowed_hosts_guc, "", PGC_SUSET, 0, check_allowed_hosts, nullptr, nullptr);
  DefineCustomStringVariable(
      "wasm.function_http_allowed_hosts",
      "The hosts Wasm SQL functions may send HTTP requests to (WASI 0.2's wasi:http).",
      "As wasm.http_allowed_hosts, which also applies: a host must be in both. Empty (the "
      "default): none.",
      &function_allowed_hosts_guc, "", PGC_SUSET, 0, check_allowed_hosts, nullptr, nullptr);
  DefineCustomIntVariable(
      "wasm.http_timeout", "The longest one HTTP request of a Wasm foreign data wrapper may take.",
      "Connecting included. A server's http_timeout option may lower it.", &timeout_ms_guc, 30000,
      1, 3'600'000, PGC_SUSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "wasm.http_max_response_bytes",
      "The largest HTTP response body a Wasm foreign data wrapper may receive.",
      "A larger response ends the request with an error. A server's http_max_response_bytes "
      "option may lower it.",
      &max_response_bytes_guc, 16 << 20, 1, 1 << 30, PGC_SUSET, GUC_UNIT_BYTE, nullptr, nullptr,
      nullptr);
}

HttpPolicy http_policy(const ServerConfig &server) {
  HttpPolicy policy;
  policy.allowlists.push_back(
      parse_list(allowed_hosts_guc ? allowed_hosts_guc : "", "wasm.http_allowed_hosts"));
  int64_t timeout = timeout_ms_guc;
  int64_t max_bytes = max_response_bytes_guc;
  if (const auto *hosts = find_option(server.options, "http_allowed_hosts"))
    policy.allowlists.push_back(parse_list(*hosts, "http_allowed_hosts"));
  // The options were checked as whole numbers by the validator.
  if (const auto *t = find_option(server.options, "http_timeout"))
    timeout = std::min<int64_t>(timeout, std::stoll(*t));
  if (const auto *b = find_option(server.options, "http_max_response_bytes"))
    max_bytes = std::min<int64_t>(max_bytes, std::stoll(*b));
  policy.limits.timeout = std::chrono::milliseconds(timeout);
  policy.limits.max_response_bytes = static_cast<size_t>(max_bytes);
  return policy;
}

HttpPolicy function_http_policy() {
  HttpPolicy policy;
  policy.allowlists.push_back(
      parse_list(allowed_hosts_guc ? allowed_hosts_guc : "", "wasm.http_allowed_hosts"));
  policy.allowlists.push_back(
      parse_list(function_allowed_hosts_guc ? function_allowed_hosts_guc : "",
                 "wasm.function_http_allowed_hosts"));
  policy.limits.timeout = std::chrono::milliseconds(timeout_ms_guc);
  policy.limits.max_response_bytes = static_cast<size_t>(max_response_bytes_guc);
  return policy;
}

ServerStats &server_stats(Oid server, const std::string &name) {
  ServerStats &s = stats_map()[server];
  s.name = name;
  return s;
}

std::vector<std::pair<Oid, ServerStats>> all_server_stats() {
  return {stats_map().begin(), stats_map().end()};
}

}  // namespace pgwasm::fdw
