#include <optional>
#include <string>

#include "pg/sql_types.h"

namespace pgwasm::pg {

std::optional<SqlKind> sql_kind_of(Oid type) {
  switch (type) {
    case BOOLOID: return SqlKind::Bool;
    case INT2OID: return SqlKind::Int2;
    case INT4OID: return SqlKind::Int4;
    case INT8OID: return SqlKind::Int8;
    case FLOAT4OID: return SqlKind::Float4;
    case FLOAT8OID: return SqlKind::Float8;
    default: return std::nullopt;
  }
}

ValType wasm_type_of(SqlKind kind) {
  switch (kind) {
    case SqlKind::Bool:
    case SqlKind::Int2:
    case SqlKind::Int4: return ValType::I32;
    case SqlKind::Int8: return ValType::I64;
    case SqlKind::Float4: return ValType::F32;
    case SqlKind::Float8: return ValType::F64;
  }
  return ValType::I32;
}

std::optional<std::string> sql_type_for(ValType t) {
  switch (t) {
    case ValType::I32: return "int4";
    case ValType::I64: return "int8";
    case ValType::F32: return "float4";
    case ValType::F64: return "float8";
    default: return std::nullopt;
  }
}

std::optional<std::string> sql_type_list(const std::vector<ValType> &types) {
  std::string out;
  for (auto t : types) {
    auto name = sql_type_for(t);
    if (!name) return std::nullopt;
    if (!out.empty()) out += ',';
    out += *name;
  }
  return out;
}

std::optional<std::string> unsupported_reason(const FuncType &t) {
  if (t.results.size() > 1) return "it returns " + std::to_string(t.results.size()) + " values";
  for (size_t k = 0; k < t.params.size(); k++)
    if (!sql_type_for(t.params[k]))
      return "parameter " + std::to_string(k + 1) + " is " + std::string(to_string(t.params[k]));
  if (!t.results.empty() && !sql_type_for(t.results[0]))
    return "it returns " + std::string(to_string(t.results[0]));
  return std::nullopt;
}

}  // namespace pgwasm::pg
