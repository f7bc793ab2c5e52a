// Engine failures as PostgreSQL errors, naming the module and export.
#pragma once

#include <string_view>

namespace pgwasm::pg {

// Call inside a catch handler for engine work done for `module`'s `export`
// (empty: instantiating the module, start function included). Rethrows the exception being
// handled as a SqlError with the right SQLSTATE; an interrupt becomes
// PostgreSQL's own cancel or terminate error. Other exceptions pass as is.
[[noreturn]] void rethrow_engine_error(std::string_view module, std::string_view export_name);

}  // namespace pgwasm::pg
