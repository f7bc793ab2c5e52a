// A SQL function in language wasm, and its binding to a module's export.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/backend.h"
#include "pg/function_source.h"
#include "pg/sql_types.h"

namespace pgwasm::pg {

struct SqlFunction {
  std::string signature;  // "collatz_steps(integer)", for messages
  FunctionSource source;  // export_name filled in with the function's name
  std::vector<SqlKind> args;
  std::optional<SqlKind> result;  // nullopt: RETURNS void

  // The Wasm type this SQL signature calls for.
  FuncType wasm_type() const;
  // "(int4, int4) -> int4"
  std::string sql_type_string() const;
};

// Reads the function from pg_proc and checks what does not depend on the
// module: its AS string and its types. Throws SqlError.
SqlFunction describe_sql_function(Oid fn_oid);

// The index of the export the function calls in `module`, after checking
// that the export exists and has the Wasm type the SQL signature calls for.
// Throws SqlError showing both signatures.
uint32_t bind_export(const SqlFunction &fn, const LoadedModule &module);

}  // namespace pgwasm::pg
