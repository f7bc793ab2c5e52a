// How SQL types map to WebAssembly value types.
#pragma once

#include <optional>
#include <string>

#include "pg/pg_headers.h"
#include "toolkit/types.h"

namespace pgwasm::pg {

// The SQL types a Wasm function can take and return directly.
enum class SqlKind : uint8_t { Bool, Int2, Int4, Int8, Float4, Float8 };

std::optional<SqlKind> sql_kind_of(Oid type);
ValType wasm_type_of(SqlKind kind);

// The SQL type a Wasm value type is exposed as ("int4"), if any.
std::optional<std::string> sql_type_for(ValType t);

// "int4,int4" for a Wasm type list, as wasmer-postgres shows it; nullopt if
// any type has no SQL counterpart.
std::optional<std::string> sql_type_list(const std::vector<ValType> &types);

// Whether a function type can be a SQL function: numeric parameters and at
// most one numeric result. If not, why not.
std::optional<std::string> unsupported_reason(const FuncType &t);

}  // namespace pgwasm::pg
