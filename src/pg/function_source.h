// The AS string of a wasm function:
//
//   'module'                      the export named like the function
//   'module::export'              another export
//   'module::"odd export name"'   quoted ("" for a quote) when it has spaces
//   'module::export abi=pg_wasm'  options after the target
//
// Options: abi=direct (numbers only, ClickHouse's ROW_DIRECT; row_direct is
// an alias), abi=pg_wasm (pg_wasm's own ABI, docs/abi.md) or
// abi=buffered_v1 (ClickHouse's BUFFERED_V1) or abi=component (the
// component model's canonical ABI, for a component's functions). Without
// abi=, a component's function uses component; in a core module a function
// whose types are all scalars uses direct, any other pg_wasm.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::pg {

enum class Abi : uint8_t { Auto, Direct, PgWasm, BufferedV1, Component };

const char *abi_name(Abi abi);

struct FunctionSource {
  std::string module;
  std::string export_name;  // empty: use the function's name
  Abi abi = Abi::Auto;
};

// The parsed AS string, or nullopt with `error` saying what is wrong.
std::optional<FunctionSource> parse_function_source(std::string_view as, std::string &error);

// `name` as it must appear after "::" (quoted if need be).
std::string quote_export_name(std::string_view name);

// Module names are SQL-identifier-like: a letter or underscore, then
// letters, digits and underscores; at most 63 bytes.
bool valid_module_name(std::string_view name);

}  // namespace pgwasm::pg
