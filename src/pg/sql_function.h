// A SQL function in language wasm, and its binding to a module's export.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/function_source.h"
#include "pg/loaded_module.h"
#include "pg/sql_types.h"

namespace pgwasm::pg {

struct SqlFunction {
  Oid oid = InvalidOid;
  std::string signature;  // "collatz_steps(integer)", for messages
  FunctionSource source;  // export filled in; abi resolved, never Auto
  std::vector<SqlType> args;
  std::optional<SqlType> result;  // nullopt: RETURNS void
  bool retset = false;            // RETURNS SETOF / TABLE
  bool strict = true;

  // The Wasm type this SQL signature calls for under its ABI.
  FuncType wasm_type() const;
  // "(text, int4) -> setof text"
  std::string sql_type_string() const;
};

// Reads the function from pg_proc and checks what does not depend on the
// module: its AS string, its types and what its ABI allows. Throws SqlError.
SqlFunction describe_sql_function(Oid fn_oid);

// The index of the export the function calls in `module`, after checking
// that the export exists with the Wasm type the SQL signature calls for, and
// that the module provides what the ABI needs (docs/abi.md). Throws SqlError
// showing both signatures.
uint32_t bind_export(const SqlFunction &fn, const LoadedModule &module);

}  // namespace pgwasm::pg
