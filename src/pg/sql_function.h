// A SQL function in language wasm, and its binding to a module's export.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/function_source.h"
#include "pg/guard.h"
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
  // The AS string's abi= (Auto when it has none): a component's function
  // takes Auto or Component, and the types as pg_proc has them.
  Abi requested_abi = Abi::Auto;
  std::vector<Oid> arg_oids;
  std::vector<int32> arg_typmods;
  Oid result_oid = VOIDOID;  // the element type with SETOF, RECORD for TABLE
  int32 result_typmod = -1;
  // Why no core ABI can take the signature, when a component's function
  // still may (set only with Auto or Component): raised by bind_export.
  std::optional<SqlError> core_refusal;

  // The Wasm type this SQL signature calls for under its ABI.
  FuncType wasm_type() const;
  // "(text, int4) -> setof text"
  std::string sql_type_string() const;
};

// Reads the function from pg_proc and checks what does not depend on the
// module: its AS string, its types and what its ABI allows. Throws SqlError.
// Types only a component's function can take are refused later, by
// bind_export, unless the AS string names a core ABI.
SqlFunction describe_sql_function(Oid fn_oid);

// The index of the export the function calls in `module`, after checking
// that the export exists with the Wasm type the SQL signature calls for, and
// that the module provides what the ABI needs (docs/abi.md). Throws SqlError
// showing both signatures.
uint32_t bind_export(const SqlFunction &fn, const LoadedModule &module);

}  // namespace pgwasm::pg
