#include <optional>
#include <string>

#include "pg/guard.h"
#include "pg/sql_types.h"

namespace pgwasm::pg {

static std::optional<SqlKind> element_kind(Oid elem) {
  switch (elem) {
    case BOOLOID: return SqlKind::Bool;
    case INT2OID: return SqlKind::Int2;
    case INT4OID: return SqlKind::Int4;
    case INT8OID: return SqlKind::Int8;
    case FLOAT4OID: return SqlKind::Float4;
    case FLOAT8OID: return SqlKind::Float8;
    default: return std::nullopt;
  }
}

std::optional<SqlType> sql_type_of(Oid type) {
  SqlType t;
  t.oid = type;
  if (auto k = element_kind(type)) {
    t.kind = *k;
    return t;
  }
  switch (type) {
    case DATEOID: t.kind = SqlKind::Date; return t;
    case TIMESTAMPOID: t.kind = SqlKind::Timestamp; return t;
    case TIMESTAMPTZOID: t.kind = SqlKind::TimestampTz; return t;
    case TEXTOID:
    case VARCHAROID:
    case BPCHAROID: t.kind = SqlKind::Text; return t;
    case BYTEAOID: t.kind = SqlKind::Bytea; return t;
    case JSONOID: t.kind = SqlKind::Json; return t;
    case JSONBOID: t.kind = SqlKind::Jsonb; return t;
    case NUMERICOID: t.kind = SqlKind::Numeric; return t;
    case UUIDOID: t.kind = SqlKind::Uuid; return t;
    case RECORDOID: t.kind = SqlKind::Record; return t;
    default: break;
  }
  struct Info {
    Oid elem;
    char typtype;
  } info = pg_guard([&] { return Info{get_element_type(type), get_typtype(type)}; });
  if (OidIsValid(info.elem)) {
    auto k = element_kind(info.elem);
    if (!k) return std::nullopt;
    t.kind = SqlKind::Array;
    t.element = *k;
    return t;
  }
  if (info.typtype == TYPTYPE_COMPOSITE) {
    t.kind = SqlKind::Record;
    return t;
  }
  return std::nullopt;
}

ValType wasm_type_of(SqlKind kind) {
  switch (kind) {
    case SqlKind::Int8:
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz: return ValType::I64;
    case SqlKind::Float4: return ValType::F32;
    case SqlKind::Float8: return ValType::F64;
    default: return ValType::I32;
  }
}

size_t element_size(SqlKind element) {
  switch (element) {
    case SqlKind::Bool: return 1;
    case SqlKind::Int2: return 2;
    case SqlKind::Int4:
    case SqlKind::Float4: return 4;
    default: return 8;
  }
}

static const char *kind_name(SqlKind k) {
  switch (k) {
    case SqlKind::Bool: return "bool";
    case SqlKind::Int2: return "int2";
    case SqlKind::Int4: return "int4";
    case SqlKind::Int8: return "int8";
    case SqlKind::Float4: return "float4";
    case SqlKind::Float8: return "float8";
    case SqlKind::Date: return "date";
    case SqlKind::Timestamp: return "timestamp";
    case SqlKind::TimestampTz: return "timestamptz";
    case SqlKind::Text: return "text";
    case SqlKind::Bytea: return "bytea";
    case SqlKind::Json: return "json";
    case SqlKind::Jsonb: return "jsonb";
    case SqlKind::Numeric: return "numeric";
    case SqlKind::Uuid: return "uuid";
    case SqlKind::Array: return "array";
    case SqlKind::Record: return "record";
  }
  return "?";
}

std::string type_name(const SqlType &t) {
  if (t.kind == SqlKind::Array) return std::string(kind_name(t.element)) + "[]";
  return kind_name(t.kind);
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
