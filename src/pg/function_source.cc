#include <cctype>

#include "pg/function_source.h"

namespace pgwasm::pg {

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

const char *abi_name(Abi abi) {
  switch (abi) {
    case Abi::Auto: return "auto";
    case Abi::Direct: return "direct";
    case Abi::PgWasm: return "pg_wasm";
    case Abi::BufferedV1: return "buffered_v1";
    case Abi::Component: return "component";
  }
  return "?";
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

std::string quote_export_name(std::string_view name) {
  bool plain = !name.empty() && name.front() != '"';
  for (char c : name) plain = plain && !is_space(c);
  if (plain) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

static std::optional<Abi> parse_abi(std::string_view value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "direct" || v == "row_direct") return Abi::Direct;
  if (v == "pg_wasm") return Abi::PgWasm;
  if (v == "buffered_v1") return Abi::BufferedV1;
  if (v == "component") return Abi::Component;
  return std::nullopt;
}

std::optional<FunctionSource> parse_function_source(std::string_view as, std::string &error) {
  std::string_view s = trim(as);
  FunctionSource out;
  size_t i = 0;
  while (i < s.size() && !is_space(s[i]) && s.substr(i, 2) != "::") i++;
  out.module = std::string(s.substr(0, i));
  if (!valid_module_name(out.module)) {
    error = "\"" + out.module + "\" is not a module name";
    return std::nullopt;
  }
  if (s.substr(i, 2) == "::") {
    i += 2;
    if (i < s.size() && s[i] == '"') {
      for (i++;; i++) {
        if (i >= s.size()) {
          error = "the quoted export name is not closed";
          return std::nullopt;
        }
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            out.export_name += '"';
            i++;
            continue;
          }
          i++;
          break;
        }
        out.export_name += s[i];
      }
    } else {
      size_t start = i;
      while (i < s.size() && !is_space(s[i])) i++;
      out.export_name = std::string(s.substr(start, i - start));
    }
    if (out.export_name.empty()) {
      error = "the export name after :: is empty";
      return std::nullopt;
    }
  }
  // Options: key=value, separated by spaces.
  while (true) {
    while (i < s.size() && is_space(s[i])) i++;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && !is_space(s[i])) i++;
    std::string_view option = s.substr(start, i - start);
    size_t eq = option.find('=');
    if (eq == std::string_view::npos || option.substr(0, eq) != "abi") {
      error = "unknown option \"" + std::string(option) + "\"";
      return std::nullopt;
    }
    auto abi = parse_abi(option.substr(eq + 1));
    if (!abi) {
      error = "unknown ABI \"" + std::string(option.substr(eq + 1)) + "\"";
      return std::nullopt;
    }
    out.abi = *abi;
  }
  return out;
}

}  // namespace pgwasm::pg
