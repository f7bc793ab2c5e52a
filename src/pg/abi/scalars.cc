#include <string>

#include "pg/abi/scalars.h"

namespace pgwasm::pg {

Datum scalar_datum(SqlKind kind, const engine::Value &v, const std::string &subject) {
  switch (kind) {
    case SqlKind::Bool: return BoolGetDatum(v.as_i32() != 0);
    case SqlKind::Int2:
      if (v.as_i32() < PG_INT16_MIN || v.as_i32() > PG_INT16_MAX)
        throw SqlError(
            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            "smallint out of range: " + subject + " returned " + std::to_string(v.as_i32()));
      return Int16GetDatum(static_cast<int16>(v.as_i32()));
    case SqlKind::Int4: return Int32GetDatum(v.as_i32());
    case SqlKind::Int8: return Int64GetDatum(v.as_i64());
    case SqlKind::Float4: return Float4GetDatum(v.as_f32());
    case SqlKind::Float8: return Float8GetDatum(v.as_f64());
    case SqlKind::Date: {
      DateADT d = v.as_i32();
      if (!DATE_NOT_FINITE(d) && !IS_VALID_DATE(d))
        throw SqlError(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
                       "date out of range: " + subject + " returned day " + std::to_string(d));
      return DateADTGetDatum(d);
    }
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz: {
      Timestamp t = v.as_i64();
      if (!TIMESTAMP_NOT_FINITE(t) && !IS_VALID_TIMESTAMP(t))
        throw SqlError(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "timestamp out of range: " + subject +
                                                                " returned " + std::to_string(t) +
                                                                " microseconds");
      return TimestampGetDatum(t);
    }
    default: break;
  }
  return 0;
}

}  // namespace pgwasm::pg
