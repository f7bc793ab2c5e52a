// How SQL types map to WebAssembly: which types a Wasm function can take and
// return, and in what form (docs/abi.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pg/pg_headers.h"
#include "toolkit/types.h"

namespace pgwasm::pg {

enum class SqlKind : uint8_t {
  // Scalars: one Wasm value.
  Bool,
  Int2,
  Int4,
  Int8,
  Float4,
  Float8,
  Date,         // i32: days since 2000-01-01
  Timestamp,    // i64: microseconds since 2000-01-01 00:00
  TimestampTz,  // i64: the same, in UTC
  // Byte strings: a pointer and a length into guest memory.
  Text,     // text, varchar, bpchar: UTF-8
  Bytea,    // the bytes
  Json,     // JSON text
  Jsonb,    // JSON text
  Numeric,  // its text form, "-12.50"
  Uuid,     // 16 bytes
  Array,    // one-dimensional, no NULLs: the elements packed little-endian
  // Rows: MessagePack (results only: composite types, OUT parameters).
  Record,
};

struct SqlType {
  SqlKind kind = SqlKind::Int4;
  Oid oid = InvalidOid;
  SqlKind element = SqlKind::Int4;  // an Array's elements: a numeric scalar kind
};

// The type's mapping, or nullopt if Wasm functions cannot use it.
std::optional<SqlType> sql_type_of(Oid type);

inline bool is_scalar(SqlKind k) {
  return k <= SqlKind::TimestampTz;
}
inline bool is_bytes(SqlKind k) {
  return k >= SqlKind::Text && k <= SqlKind::Array;
}

// The Wasm type of a scalar.
ValType wasm_type_of(SqlKind kind);

// The bytes one element of an array takes (1 for bool, 2 for int2, ...).
size_t element_size(SqlKind element);

// "int4", "text", "int4[]", "record": names for messages.
std::string type_name(const SqlType &t);

// The SQL type a Wasm value type is exposed as ("int4"), if any.
std::optional<std::string> sql_type_for(ValType t);

// "int4,int4" for a Wasm type list, as wasmer-postgres shows it; nullopt if
// any type has no SQL counterpart.
std::optional<std::string> sql_type_list(const std::vector<ValType> &types);

// Whether a function type can be a SQL function over plain numbers:
// numeric parameters and at most one numeric result. If not, why not.
std::optional<std::string> unsupported_reason(const FuncType &t);

}  // namespace pgwasm::pg
