// One SQL function per export: what wasm.create_functions and the wasmer-postgres
// wasm_new_instance do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg/pg_headers.h"

namespace pgwasm::pg {

// Creates prefix_export(...) for every export with a supported signature,
// in the current creation schema (STRICT, LANGUAGE wasm), and raises a
// NOTICE naming the exports skipped and why. Returns the new functions.
std::vector<Oid> create_export_functions(std::string_view module, std::string_view prefix,
                                         bool replace);

struct LoadedModule;

// create_export_functions for a component: prefix_<function> for each WIT
// function (kebab-case to snake_case), STRICT unless a parameter is an
// option, and CREATE TYPE prefix_<record> AS (...) for each record the
// functions need that the schema does not have. A type there with other
// attributes is left alone: a NOTICE names it, and its functions are
// skipped.
std::vector<Oid> create_component_functions(const LoadedModule &loaded, const std::string &module,
                                            std::string_view prefix, bool replace,
                                            const std::string &schema);

}  // namespace pgwasm::pg
