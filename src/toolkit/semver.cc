#include "toolkit/semver.h"

#include <cctype>
#include <tuple>

namespace pgwasm::toolkit {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "1", "1.2", "1.2.3"; how many parts were given.
std::optional<std::pair<Version, int>> parse_version(std::string_view s) {
  Version v;
  int *parts[] = {&v.major, &v.minor, &v.patch};
  int given = 0;
  while (given < 3) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return std::nullopt;
    long n = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      n = n * 10 + (s.front() - '0');
      if (n > 1'000'000) return std::nullopt;
      s.remove_prefix(1);
    }
    *parts[given++] = static_cast<int>(n);
    if (s.empty()) break;
    if (s.front() != '.') return std::nullopt;
    s.remove_prefix(1);
  }
  if (!s.empty()) return std::nullopt;
  return std::make_pair(v, given);
}

auto key(Version v) {
  return std::make_tuple(v.major, v.minor, v.patch);
}

std::optional<bool> comparator(std::string_view c, Version have) {
  c = trim(c);
  if (c == "*") return true;
  std::string_view op;
  for (std::string_view o : {">=", "<=", ">", "<", "=", "^", "~"})
    if (c.substr(0, o.size()) == o) {
      op = o;
      c = trim(c.substr(o.size()));
      break;
    }
  auto parsed = parse_version(c);
  if (!parsed) return std::nullopt;
  // Plain variables: the lambda below captures them, which clang 14 does
  // not allow of structured bindings.
  const Version want = parsed->first;
  const int given = parsed->second;
  auto h = key(have), w = key(want);
  if (op == ">=") return h >= w;
  if (op == ">") return h > w;
  if (op == "<") return h < w;
  if (op == "<=") return h <= w;
  // The upper bound of "=1.2" (any 1.2.x), "~1.2" and "^1.2".
  auto bump = [&](int part) {
    Version u = want;
    if (part == 0) u = {want.major + 1, 0, 0};
    if (part == 1) u = {want.major, want.minor + 1, 0};
    if (part == 2) u = {want.major, want.minor, want.patch + 1};
    return key(u);
  };
  if (op == "=") return h >= w && h < bump(given - 1);
  if (op == "~") return h >= w && h < bump(given >= 2 ? 1 : 0);
  // "^" and a bare version: the leftmost non-zero part stays.
  int part = want.major != 0 || given == 1 ? 0 : (want.minor != 0 || given == 2 ? 1 : 2);
  return h >= w && h < bump(part);
}

}  // namespace

std::optional<bool> satisfies(std::string_view requirement, Version version, std::string &why) {
  if (trim(requirement).empty()) {
    why = "it is empty";
    return std::nullopt;
  }
  bool all = true;
  while (true) {
    size_t comma = requirement.find(',');
    std::string_view part = requirement.substr(0, comma);
    auto ok = comparator(part, version);
    if (!ok) {
      why = "\"" + std::string(trim(part)) + "\" is not a version comparator";
      return std::nullopt;
    }
    all = all && *ok;
    if (comma == std::string_view::npos) break;
    requirement.remove_prefix(comma + 1);
  }
  return all;
}

}  // namespace pgwasm::toolkit
