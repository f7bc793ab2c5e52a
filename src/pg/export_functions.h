// One SQL function per export: what wasm.create_functions and the wasmer-postgres
// wasm_new_instance do.
#pragma once

#include <string_view>
#include <vector>

#include "pg/pg_headers.h"

namespace pgwasm::pg {

// Creates prefix_export(...) for every export with a supported signature,
// in the current creation schema (STRICT, LANGUAGE wasm), and raises a
// NOTICE naming the exports skipped and why. Returns the new functions.
std::vector<Oid> create_export_functions(std::string_view module, std::string_view prefix,
                                         bool replace);

}  // namespace pgwasm::pg
