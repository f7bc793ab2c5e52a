#include "services/host_allowlist.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace pgwasm::services {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// An IPv6 address in its one canonical text form, so that "0:0::1" and
// "::1" are the same host.
std::optional<std::string> canonical_ipv6(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string z(text);  // inet_pton wants a terminated string
  in6_addr addr;
  if (inet_pton(AF_INET6, z.c_str(), &addr) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &addr, out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out);
}

// A DNS name or an IPv4 address, lower-cased, without a trailing dot
// ("example.com." is example.com); nullopt when it is neither.
std::optional<std::string> canonical_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  size_t label = 0;
  for (char c : text) {
    c = lower(c);
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

// A host as a URL writes it: "[v6]", a bare v6 address, a name.
std::optional<std::string> canonical_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return canonical_ipv6(host.substr(1, host.size() - 2));
  if (host.find(':') != std::string_view::npos) return canonical_ipv6(host);
  return canonical_name(host);
}

[[noreturn]] void bad_entry(std::string_view entry, const std::string &why) {
  throw std::invalid_argument("invalid entry \"" + std::string(entry) +
                              "\" in the host allowlist: " + why);
}

int parse_port(std::string_view entry, std::string_view digits) {
  if (digits.empty() || digits.size() > 5) bad_entry(entry, "the port must be 1 to 65535");
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') bad_entry(entry, "the port must be 1 to 65535");
    port = port * 10 + (c - '0');
  }
  if (port == 0 || port > 65535) bad_entry(entry, "the port must be 1 to 65535");
  return port;
}

}  // namespace

HostAllowlist HostAllowlist::parse(std::string_view list) {
  HostAllowlist out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;

    // Split host and port; an IPv6 address is bracketed so that its colons
    // are not taken for the port's.
    std::string_view host = entry;
    std::optional<int> port;
    if (entry.front() == '[') {
      size_t close = entry.find(']');
      if (close == std::string_view::npos) bad_entry(entry, "no closing \"]\"");
      host = entry.substr(0, close + 1);
      std::string_view rest = entry.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') bad_entry(entry, "expected \":port\" after \"]\"");
        port = parse_port(entry, rest.substr(1));
      }
    } else if (size_t colon = entry.find(':'); colon != std::string_view::npos) {
      if (entry.find(':', colon + 1) != std::string_view::npos)
        bad_entry(entry, "an IPv6 address is written in brackets, as in \"[::1]:8080\"");
      host = entry.substr(0, colon);
      port = parse_port(entry, entry.substr(colon + 1));
    }
    if (host.empty()) bad_entry(entry, "no host");

    Entry e;
    e.port = port;
    if (host == "*") {
      e.kind = Entry::Kind::AnyHost;
    } else if (host.size() > 2 && host.substr(0, 2) == "*.") {
      auto name = canonical_name(host.substr(2));
      // "*.10.0.0.1" would read as a pattern over addresses, which it is not.
      if (!name || name->find_first_not_of("0123456789.") == std::string::npos)
        bad_entry(entry, "\"*.\" must be followed by a domain name");
      e.kind = Entry::Kind::Subdomains;
      e.host = "." + *name;
    } else if (host.find('*') != std::string_view::npos) {
      bad_entry(entry, "\"*\" is allowed only as \"*\" or at the start, as in \"*.example.com\"");
    } else {
      auto name = canonical_host(host);
      if (!name) bad_entry(entry, "not a host name or IP address");
      e.kind = Entry::Kind::Exact;
      e.host = std::move(*name);
    }
    out.entries_.push_back(std::move(e));
  }
  return out;
}

bool HostAllowlist::allows(std::string_view host, int port) const {
  if (entries_.empty() || port < 1 || port > 65535) return false;
  std::optional<std::string> name = canonical_host(host);
  for (const Entry &e : entries_) {
    if (e.port && *e.port != port) continue;
    switch (e.kind) {
      case Entry::Kind::AnyHost: return true;
      case Entry::Kind::Exact:
        if (name && *name == e.host) return true;
        break;
      case Entry::Kind::Subdomains:
        if (name && name->size() > e.host.size() && name->ends_with(e.host)) return true;
        break;
    }
  }
  return false;
}

std::string HostAllowlist::to_string() const {
  std::string out;
  for (const Entry &e : entries_) {
    if (!out.empty()) out += ", ";
    switch (e.kind) {
      case Entry::Kind::AnyHost: out += "*"; break;
      case Entry::Kind::Subdomains: out += "*" + e.host; break;
      case Entry::Kind::Exact:
        out += e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host;
        break;
    }
    if (e.port) out += ":" + std::to_string(*e.port);
  }
  return out;
}

}  // namespace pgwasm::services
