#include "pg/function_source.h"

namespace pgwasm::pg {

static std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

std::optional<FunctionSource> parse_function_source(std::string_view as) {
  as = trim(as);
  FunctionSource out;
  size_t sep = as.find("::");
  if (sep == std::string_view::npos) {
    out.module = std::string(as);
  } else {
    out.module = std::string(trim(as.substr(0, sep)));
    out.export_name = std::string(as.substr(sep + 2));
    if (out.export_name.empty()) return std::nullopt;
  }
  if (!valid_module_name(out.module)) return std::nullopt;
  return out;
}

}  // namespace pgwasm::pg
