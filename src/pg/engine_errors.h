// Engine failures as PostgreSQL errors, naming the module and export.
#pragma once

#include <string>
#include <string_view>

namespace pgwasm::pg {

// "module "m", export "e"" for messages; "module "m" while instantiating
// it" when `export_name` is empty; and for an export the host calls for
// pg_wasm's or ClickHouse's ABI, the function's export it serves:
// "module "m", export "pg_wasm_alloc" (for export "f")".
std::string describe_call(std::string_view module, std::string_view export_name,
                          std::string_view for_export = {});

// Call inside a catch handler for engine work done for `module`'s `export`
// (empty: instantiating the module, start function included). Rethrows the
// exception being handled as a SqlError with the right SQLSTATE; an
// interrupt becomes PostgreSQL's own cancel or terminate error. Other
// exceptions pass as is.
[[noreturn]] void rethrow_engine_error(std::string_view module, std::string_view export_name,
                                       std::string_view for_export = {});

}  // namespace pgwasm::pg
