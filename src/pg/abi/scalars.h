// Scalar SQL values as single Wasm values, both ways (docs/abi.md).
#pragma once

#include <bit>
#include <string>

#include "engine/engine.h"
#include "pg/guard.h"
#include "pg/sql_types.h"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/date.h"
}

namespace pgwasm::pg {

// Writes the argument's bits into a value whose type is already set.
inline void set_scalar(engine::Value &v, SqlKind kind, Datum d) {
  switch (kind) {
    case SqlKind::Bool: v.bits.i32 = DatumGetBool(d) ? 1 : 0; break;
    case SqlKind::Int2:
      v.bits.i32 = static_cast<uint32_t>(static_cast<int32_t>(DatumGetInt16(d)));
      break;
    case SqlKind::Int4: v.bits.i32 = static_cast<uint32_t>(DatumGetInt32(d)); break;
    case SqlKind::Date: v.bits.i32 = static_cast<uint32_t>(DatumGetDateADT(d)); break;
    case SqlKind::Int8: v.bits.i64 = static_cast<uint64_t>(DatumGetInt64(d)); break;
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz: v.bits.i64 = static_cast<uint64_t>(DatumGetTimestamp(d)); break;
    case SqlKind::Float4: v.bits.f32 = std::bit_cast<uint32_t>(DatumGetFloat4(d)); break;
    case SqlKind::Float8: v.bits.f64 = std::bit_cast<uint64_t>(DatumGetFloat8(d)); break;
    default: break;
  }
}

// The SQL value of a scalar a guest returned. Values outside the SQL type's
// range raise an error naming `subject` (module and export).
Datum scalar_datum(SqlKind kind, const engine::Value &v, const std::string &subject);

}  // namespace pgwasm::pg
