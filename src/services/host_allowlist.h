// The hosts an HTTP request from a guest may reach.
//
// Comma-separated entries, whitespace around each trimmed, empty ones
// ignored: "api.example.com" (case-insensitive), "*.example.com" (any
// subdomain at any depth, not example.com itself), "127.0.0.1",
// "[::1]", "*" (any host); each may add ":port" to allow that port only
// ("api.example.com:8443", "[::1]:8080", "*:443"). An empty list allows no
// host. Names are matched as written, before any DNS lookup: the list says
// which names (and literal addresses) a guest may ask for, not where they
// resolve to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgwasm::services {

class HostAllowlist {
 public:
  HostAllowlist() = default;  // allows nothing

  // Throws std::invalid_argument naming the malformed entry.
  static HostAllowlist parse(std::string_view comma_separated);

  // `host` as a URL has it: a name, an IPv4 address, or an IPv6 address with
  // or without brackets; `port` the effective port (the caller supplies
  // 80/443 when the URL has none). Never throws; a host that is no valid
  // name or address is allowed only by "*".
  bool allows(std::string_view host, int port) const;
  bool empty() const { return entries_.empty(); }
  // The normalised entries, ", "-separated, for messages ("" when empty).
  std::string to_string() const;

 private:
  struct Entry {
    enum class Kind { AnyHost, Exact, Subdomains } kind = Kind::Exact;
    std::string host;  // lower case; for Subdomains the suffix with its dot (".example.com")
    std::optional<int> port;
  };
  std::vector<Entry> entries_;
};

}  // namespace pgwasm::services
