#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "pg/abi/byte_values.h"
#include "pg/abi/msgpack_values.h"
#include "pg/abi/scalars.h"
#include "pg/guard.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/date.h"
}

namespace pgwasm::pg {

using Type = MsgpackReader::Type;

namespace {

SqlError type_error(const std::string &subject, const MsgpackReader::Value &v, Oid typid) {
  std::string type = pg_guard([&] { return format_type_be(typid); });
  return SqlError(ERRCODE_DATATYPE_MISMATCH, "wasm " + subject + " returned MessagePack " +
                                                 describe(v) + " where type " + type +
                                                 " was expected");
}

bool is_integer(const MsgpackReader::Value &v) {
  return v.type == Type::Int || v.type == Type::UInt;
}

bool is_bytes_value(const MsgpackReader::Value &v) {
  return v.type == Type::Str || v.type == Type::Bin;
}

int64_t integer_of(const MsgpackReader::Value &v, const std::string &subject, Oid typid) {
  if (v.type == Type::UInt) {
    if (v.u > static_cast<uint64_t>(INT64_MAX))
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "wasm " + subject + " returned an integer out of range");
    return static_cast<int64_t>(v.u);
  }
  if (v.type == Type::Int) return v.i;
  if (v.type == Type::Bool) return v.boolean ? 1 : 0;
  throw type_error(subject, v, typid);
}

double float_of(const MsgpackReader::Value &v, const std::string &subject, Oid typid) {
  if (v.type == Type::Float) return v.f;
  if (is_integer(v)) return static_cast<double>(integer_of(v, subject, typid));
  throw type_error(subject, v, typid);
}

void range_check(int64_t v, int64_t lo, int64_t hi, const std::string &subject, Oid typid) {
  if (v < lo || v > hi) {
    std::string type = pg_guard([&] { return format_type_be(typid); });
    throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                   type + " out of range: wasm " + subject + " returned " + std::to_string(v));
  }
}

// Any type, from its text form through its input function (which applies
// the type modifier).
Datum from_text(std::string_view text, Oid typid, int32 typmod, const std::string &subject) {
  check_utf8(text, subject);
  return pg_guard([&] {
    Oid input, ioparam;
    getTypeInputInfo(typid, &input, &ioparam);
    char *s = pg_any_to_server(text.data(), static_cast<int>(text.size()), PG_UTF8);
    if (s == text.data()) s = pnstrdup(text.data(), text.size());
    return OidInputFunctionCall(input, s, ioparam, typmod);
  });
}

struct TypmodContext {
  const std::string *subject;
  Oid typid;
  int32 typmod;
};

void typmod_context(void *arg) {
  auto *c = static_cast<TypmodContext *>(arg);
  errcontext("fitting the result of wasm %s to type %s", c->subject->c_str(),
             format_type_with_typemod(c->typid, c->typmod));
}

// A value made otherwise, fitted to the column's type modifier as an
// assignment would: varchar(3) refuses six characters, numeric(4,1) rounds
// to one decimal, timestamp(0) to seconds.
Datum apply_typmod(Datum value, Oid typid, int32 typmod, const std::string &subject) {
  if (typmod < 0) return value;
  TypmodContext context{&subject, typid, typmod};
  return pg_guard([&] {
    Oid func;
    if (find_typmod_coercion_function(typid, &func) != COERCION_PATH_FUNC) return value;
    ErrorContextCallback callback{error_context_stack, typmod_context, &context};
    error_context_stack = &callback;
    Datum fitted = OidFunctionCall3(func, value, Int32GetDatum(typmod), BoolGetDatum(false));
    error_context_stack = callback.previous;
    return fitted;
  });
}

void check_interrupts() {
  pg_guard([] { CHECK_FOR_INTERRUPTS(); });
}

Datum read_value(MsgpackReader &r, Oid typid, int32 typmod, bool &isnull,
                 const std::string &subject, ConversionBudget &budget, bool element);

// An array of a scalar or text-form element type, from a MessagePack array.
Datum read_array(MsgpackReader &r, uint32_t n, Oid typid, int32 typmod, const std::string &subject,
                 ConversionBudget &budget) {
  budget.charge(uint64_t{n} * (sizeof(Datum) + sizeof(bool)));
  struct Element {
    Oid type;
    int16 len;
    bool byval;
    char align;
  } elem = pg_guard([&] {
    Element e;
    e.type = get_element_type(typid);
    get_typlenbyvalalign(e.type, &e.len, &e.byval, &e.align);
    return e;
  });
  Datum *items =
      pg_guard([&] { return static_cast<Datum *>(palloc(sizeof(Datum) * std::max(n, 1u))); });
  bool *nulls =
      pg_guard([&] { return static_cast<bool *>(palloc(sizeof(bool) * std::max(n, 1u))); });
  for (uint32_t i = 0; i < n; i++) {
    if (i % 4096 == 4095) check_interrupts();
    items[i] = read_value(r, elem.type, typmod, nulls[i], subject, budget, /*element=*/true);
  }
  return pg_guard([&] {
    int dims[1] = {static_cast<int>(n)}, lbs[1] = {1};
    return PointerGetDatum(construct_md_array(items, nulls, 1, dims, lbs, elem.type, elem.len,
                                              elem.byval, elem.align));
  });
}

// One value of type `typid`. Array elements (`element`) may not be arrays
// themselves: arrays travel with one dimension.
Datum read_value(MsgpackReader &r, Oid typid, int32 typmod, bool &isnull,
                 const std::string &subject, ConversionBudget &budget, bool element) {
  MsgpackReader::Value v = r.next();
  isnull = v.type == Type::Nil;
  if (isnull) return 0;
  if (is_bytes_value(v)) budget.charge(v.bytes.size());
  if (v.type == Type::Array && element) throw type_error(subject, v, typid);
  auto type = sql_type_of(typid);
  if (!type || type->kind == SqlKind::Record) {
    bool is_array = pg_guard([&] { return OidIsValid(get_element_type(typid)); });
    if (v.type == Type::Array && is_array)
      return read_array(r, v.count, typid, typmod, subject, budget);
    if (!is_bytes_value(v)) throw type_error(subject, v, typid);
    return from_text(v.bytes, typid, typmod, subject);
  }
  switch (type->kind) {
    case SqlKind::Bool:
      if (v.type == Type::Bool) return BoolGetDatum(v.boolean);
      return BoolGetDatum(integer_of(v, subject, typid) != 0);
    case SqlKind::Int2: {
      int64_t i = integer_of(v, subject, typid);
      range_check(i, PG_INT16_MIN, PG_INT16_MAX, subject, typid);
      return Int16GetDatum(static_cast<int16>(i));
    }
    case SqlKind::Int4: {
      int64_t i = integer_of(v, subject, typid);
      range_check(i, PG_INT32_MIN, PG_INT32_MAX, subject, typid);
      return Int32GetDatum(static_cast<int32>(i));
    }
    case SqlKind::Int8: return Int64GetDatum(integer_of(v, subject, typid));
    case SqlKind::Float4: {
      // As a float8 to real cast: no overflow to infinity, no underflow to 0.
      double d = float_of(v, subject, typid);
      auto f = static_cast<float4>(d);
      if ((std::isinf(f) && !std::isinf(d)) || (f == 0 && d != 0))
        throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                       "real out of range: wasm " + subject + " returned " + std::to_string(d));
      return Float4GetDatum(f);
    }
    case SqlKind::Float8: return Float8GetDatum(float_of(v, subject, typid));
    case SqlKind::Date:
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz:
      // PostgreSQL's own units (days, microseconds since 2000), or text.
      if (is_bytes_value(v)) return from_text(v.bytes, typid, typmod, subject);
      // In PostgreSQL's range, as for a scalar result (scalars.h).
      if (type->kind == SqlKind::Date) {
        int64_t i = integer_of(v, subject, typid);
        range_check(i, PG_INT32_MIN, PG_INT32_MAX, subject, typid);
        return scalar_datum(SqlKind::Date, engine::Value::make_i32(static_cast<int32_t>(i)),
                            "wasm " + subject);
      }
      return apply_typmod(
          scalar_datum(type->kind, engine::Value::make_i64(integer_of(v, subject, typid)),
                       "wasm " + subject),
          typid, typmod, subject);
    case SqlKind::Numeric:
      if (is_integer(v)) {
        int64_t i = integer_of(v, subject, typid);
        Datum d = pg_guard([&] { return DirectFunctionCall1(int8_numeric, Int64GetDatum(i)); });
        return apply_typmod(d, typid, typmod, subject);
      }
      if (v.type == Type::Float) {
        Datum d =
            pg_guard([&] { return DirectFunctionCall1(float8_numeric, Float8GetDatum(v.f)); });
        return apply_typmod(d, typid, typmod, subject);
      }
      break;
    case SqlKind::Array:
      if (v.type == Type::Array) return read_array(r, v.count, typid, typmod, subject, budget);
      break;
    default: break;
  }
  if (!is_bytes_value(v)) throw type_error(subject, v, typid);
  return apply_typmod(datum_from_bytes(*type, v.bytes, subject), typid, typmod, subject);
}

}  // namespace

ConversionBudget::ConversionBudget(const std::string &subject, uint64_t limit)
    : subject_(subject), limit_(limit), left_(limit) {}

void ConversionBudget::charge(uint64_t bytes) {
  if (bytes <= left_) {
    left_ -= bytes;
    return;
  }
  throw SqlError(ERRCODE_OUT_OF_MEMORY,
                 "wasm " + subject_ + " returned a result that takes more than " +
                     std::to_string(limit_ >> 20) + " MB to convert",
                 "", "The host's memory for a guest's result counts against wasm.max_memory.");
}

Datum read_datum(MsgpackReader &r, Oid typid, int32 typmod, bool &isnull,
                 const std::string &subject, ConversionBudget &budget) {
  try {
    return read_value(r, typid, typmod, isnull, subject, budget, /*element=*/false);
  } catch (const MsgpackError &e) {
    throw invalid_msgpack(subject, e);
  }
}

SqlError invalid_msgpack(const std::string &subject, const MsgpackError &e) {
  return SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                  "wasm " + subject + " returned invalid MessagePack: " + e.what());
}

void expect_end(const MsgpackReader &r, const std::string &subject) {
  if (!r.at_end())
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION, "wasm " + subject + " returned " +
                                                              std::to_string(r.remaining()) +
                                                              " bytes after its MessagePack value");
}

void pack_datum(MsgpackPacker &packer, const SqlType &type, Datum value, bool isnull,
                const std::string &subject) {
  if (isnull) {
    packer.pack_nil();
    return;
  }
  switch (type.kind) {
    case SqlKind::Bool: DatumGetBool(value) ? packer.pack_true() : packer.pack_false(); return;
    case SqlKind::Int2: packer.pack_int16(DatumGetInt16(value)); return;
    case SqlKind::Int4: packer.pack_int32(DatumGetInt32(value)); return;
    case SqlKind::Date: packer.pack_int32(DatumGetDateADT(value)); return;
    case SqlKind::Int8: packer.pack_int64(DatumGetInt64(value)); return;
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz: packer.pack_int64(DatumGetTimestamp(value)); return;
    case SqlKind::Float4: packer.pack_float(DatumGetFloat4(value)); return;
    case SqlKind::Float8: packer.pack_double(DatumGetFloat8(value)); return;
    case SqlKind::Array: {
      std::string_view bytes = arg_bytes(type, value, subject);
      size_t size = element_size(type.element);
      size_t n = bytes.size() / size;
      packer.pack_array(static_cast<uint32_t>(n));
      for (size_t i = 0; i < n; i++) {
        const char *p = bytes.data() + i * size;
        switch (type.element) {
          case SqlKind::Bool: *p ? packer.pack_true() : packer.pack_false(); break;
          case SqlKind::Int2: {
            int16_t x;
            std::memcpy(&x, p, 2);
            packer.pack_int16(x);
            break;
          }
          case SqlKind::Int4: {
            int32_t x;
            std::memcpy(&x, p, 4);
            packer.pack_int32(x);
            break;
          }
          case SqlKind::Float4: {
            float x;
            std::memcpy(&x, p, 4);
            packer.pack_float(x);
            break;
          }
          case SqlKind::Int8: {
            int64_t x;
            std::memcpy(&x, p, 8);
            packer.pack_int64(x);
            break;
          }
          default: {
            double x;
            std::memcpy(&x, p, 8);
            packer.pack_double(x);
            break;
          }
        }
      }
      return;
    }
    default: {
      // ClickHouse's MsgPack format writes its String as bin.
      std::string_view bytes = arg_bytes(type, value, subject);
      packer.pack_bin(static_cast<uint32_t>(bytes.size()));
      packer.pack_bin_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
      return;
    }
  }
}

}  // namespace pgwasm::pg
