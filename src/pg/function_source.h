// The AS string of a wasm function: 'module::export', or 'module' when the
// export has the function's own name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::pg {

struct FunctionSource {
  std::string module;
  std::string export_name;  // empty: use the function's name
};

// nullopt if the string is not of that form.
std::optional<FunctionSource> parse_function_source(std::string_view as);

// Module names are SQL-identifier-like: a letter or underscore, then
// letters, digits and underscores; at most 63 bytes.
bool valid_module_name(std::string_view name);

}  // namespace pgwasm::pg
