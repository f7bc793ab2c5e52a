#include <cstring>
#include <string>

#include "pg/abi/byte_values.h"
#include "pg/abi/msgpack_values.h"
#include "pg/guard.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/date.h"
}

namespace pgwasm::pg {

namespace {

SqlError type_error(const std::string &who, const char *what, Oid typid) {
  std::string type = pg_guard([&] { return format_type_be(typid); });
  return SqlError(ERRCODE_DATATYPE_MISMATCH, "wasm " + who + " returned MessagePack " + what +
                                                 " where type " + type + " was expected");
}

const char *kind_of_object(const msgpack::object &o) {
  switch (o.type) {
    case kMsgpackNil: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    default: return "ext";
  }
}

bool is_integer(const msgpack::object &o) {
  return o.type == msgpack::type::POSITIVE_INTEGER || o.type == msgpack::type::NEGATIVE_INTEGER;
}

int64_t integer_of(const msgpack::object &o, const std::string &who, Oid typid) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<uint64_t>(INT64_MAX))
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "wasm " + who + " returned an integer out of range");
    return static_cast<int64_t>(o.via.u64);
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  if (o.type == msgpack::type::BOOLEAN) return o.via.boolean ? 1 : 0;
  throw type_error(who, kind_of_object(o), typid);
}

double float_of(const msgpack::object &o, const std::string &who, Oid typid) {
  if (o.type == msgpack::type::FLOAT32 || o.type == msgpack::type::FLOAT64) return o.via.f64;
  if (is_integer(o)) return static_cast<double>(integer_of(o, who, typid));
  throw type_error(who, kind_of_object(o), typid);
}

std::string_view bytes_of(const msgpack::object &o) {
  if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
  if (o.type == msgpack::type::BIN) return {o.via.bin.ptr, o.via.bin.size};
  return {};
}

bool is_bytes_object(const msgpack::object &o) {
  return o.type == msgpack::type::STR || o.type == msgpack::type::BIN;
}

void range_check(int64_t v, int64_t lo, int64_t hi, const std::string &who, Oid typid) {
  if (v < lo || v > hi) {
    std::string type = pg_guard([&] { return format_type_be(typid); });
    throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                   type + " out of range: wasm " + who + " returned " + std::to_string(v));
  }
}

// Any type, from its text form through its input function.
Datum from_text(std::string_view text, Oid typid, int32 typmod, const std::string &who) {
  check_utf8(text, who);
  return pg_guard([&] {
    Oid input, ioparam;
    getTypeInputInfo(typid, &input, &ioparam);
    char *s = pg_any_to_server(text.data(), static_cast<int>(text.size()), PG_UTF8);
    if (s == text.data()) s = pnstrdup(text.data(), text.size());
    return OidInputFunctionCall(input, s, ioparam, typmod);
  });
}

}  // namespace

msgpack::object_handle unpack_one(std::string_view bytes, const std::string &who) {
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size(), offset);
    if (offset != bytes.size())
      throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                     "wasm " + who + " returned " + std::to_string(bytes.size() - offset) +
                         " bytes after its MessagePack value");
    return oh;
  } catch (const msgpack::unpack_error &e) {
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm " + who + " returned invalid MessagePack: " + e.what());
  }
}

Datum datum_from_msgpack(const msgpack::object &o, Oid typid, int32 typmod, bool &isnull,
                         const std::string &who) {
  isnull = o.type == kMsgpackNil;
  if (isnull) return 0;
  auto type = sql_type_of(typid);
  if (!type || type->kind == SqlKind::Record) {
    if (!is_bytes_object(o)) throw type_error(who, kind_of_object(o), typid);
    return from_text(bytes_of(o), typid, typmod, who);
  }
  switch (type->kind) {
    case SqlKind::Bool:
      if (o.type == msgpack::type::BOOLEAN) return BoolGetDatum(o.via.boolean);
      return BoolGetDatum(integer_of(o, who, typid) != 0);
    case SqlKind::Int2: {
      int64_t v = integer_of(o, who, typid);
      range_check(v, PG_INT16_MIN, PG_INT16_MAX, who, typid);
      return Int16GetDatum(static_cast<int16>(v));
    }
    case SqlKind::Int4: {
      int64_t v = integer_of(o, who, typid);
      range_check(v, PG_INT32_MIN, PG_INT32_MAX, who, typid);
      return Int32GetDatum(static_cast<int32>(v));
    }
    case SqlKind::Int8: return Int64GetDatum(integer_of(o, who, typid));
    case SqlKind::Float4: return Float4GetDatum(static_cast<float4>(float_of(o, who, typid)));
    case SqlKind::Float8: return Float8GetDatum(float_of(o, who, typid));
    case SqlKind::Date:
    case SqlKind::Timestamp:
    case SqlKind::TimestampTz:
      // PostgreSQL's own units (days, microseconds since 2000), or text.
      if (is_bytes_object(o)) return from_text(bytes_of(o), typid, typmod, who);
      if (type->kind == SqlKind::Date) {
        int64_t v = integer_of(o, who, typid);
        range_check(v, PG_INT32_MIN, PG_INT32_MAX, who, typid);
        return DateADTGetDatum(static_cast<DateADT>(v));
      }
      return TimestampGetDatum(integer_of(o, who, typid));
    case SqlKind::Numeric:
      if (is_integer(o))
        return pg_guard([&] {
          return DirectFunctionCall1(int8_numeric, Int64GetDatum(integer_of(o, who, typid)));
        });
      if (o.type == msgpack::type::FLOAT32 || o.type == msgpack::type::FLOAT64)
        return pg_guard(
            [&] { return DirectFunctionCall1(float8_numeric, Float8GetDatum(o.via.f64)); });
      break;
    case SqlKind::Array:
      if (o.type == msgpack::type::ARRAY) {
        return pg_guard([&] {
          Oid elem = get_element_type(typid);
          int16 elmlen;
          bool elmbyval;
          char elmalign;
          get_typlenbyvalalign(elem, &elmlen, &elmbyval, &elmalign);
          int n = static_cast<int>(o.via.array.size);
          Datum *items = static_cast<Datum *>(palloc(sizeof(Datum) * std::max(n, 1)));
          bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * std::max(n, 1)));
          for (int i = 0; i < n; i++)
            items[i] = datum_from_msgpack(o.via.array.ptr[i], elem, -1, nulls[i], who);
          int dims[1] = {n}, lbs[1] = {1};
          return PointerGetDatum(
              construct_md_array(items, nulls, 1, dims, lbs, elem, elmlen, elmbyval, elmalign));
        });
      }
      break;
    default: break;
  }
  if (!is_bytes_object(o)) throw type_error(who, kind_of_object(o), typid);
  return datum_from_bytes(*type, bytes_of(o), who);
}

void pack_datum(MsgpackPacker &packer, const SqlType &type, Datum value, bool isnull,
                const std::string &who) {
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
      std::string_view bytes = arg_bytes(type, value, who);
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
      std::string_view bytes = arg_bytes(type, value, who);
      packer.pack_bin(static_cast<uint32_t>(bytes.size()));
      packer.pack_bin_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
      return;
    }
  }
}

}  // namespace pgwasm::pg
