// Scalars, chars, strings, bytea, options and results of component
// functions against SQL values (docs/components-sql.md); the composite
// kinds are component_composites.cc's.
#include "pg/abi/component_values.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "component/wit_text.h"
#include "pg/abi/byte_values.h"
#include "pg/guard.h"
#include "pg/message_text.h"
#include "pg/sql_types.h"
#include "toolkit/utf8.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/float.h"
#include "utils/jsonb.h"
}

namespace pgwasm::pg {

using component::Kind;
using component::Type;
using WitValue = component::Value;

namespace {

std::string sql_type_text(Oid type, int32 typmod) {
  return pg_guard([&] { return std::string(format_type_with_typemod(type, typmod)); });
}

// The verb of a mismatch message for where the value is.
const char *sql_side(const MapPlace &place) {
  if (place.what.starts_with("the result")) return "the SQL function returns";
  if (place.what.starts_with("parameter")) return "the SQL function takes";
  return "the SQL type is";
}

bool is_integer(Kind k) {
  return k >= Kind::S8 && k <= Kind::U64;
}

bool is_signed(Kind k) {
  return k == Kind::S8 || k == Kind::S16 || k == Kind::S32 || k == Kind::S64;
}

// The WIT integer type's range, as [lo, hi] in 128-bit integers.
void wit_range(Kind k, __int128 &lo, __int128 &hi) {
  switch (k) {
    case Kind::S8: lo = INT8_MIN, hi = INT8_MAX; return;
    case Kind::U8: lo = 0, hi = UINT8_MAX; return;
    case Kind::S16: lo = INT16_MIN, hi = INT16_MAX; return;
    case Kind::U16: lo = 0, hi = UINT16_MAX; return;
    case Kind::S32: lo = INT32_MIN, hi = INT32_MAX; return;
    case Kind::U32: lo = 0, hi = UINT32_MAX; return;
    case Kind::S64: lo = INT64_MIN, hi = INT64_MAX; return;
    default: lo = 0, hi = UINT64_MAX; return;
  }
}

std::string int128_text(__int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : v;
  std::string s;
  while (u > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + s : s;
}

std::string place_detail(const MapPlace &place) {
  return "The value is for " + place.what + " of wasm " + place.subject + ".";
}

// A string or list from the guest as one SQL value: at most 1 GB.
void check_value_size(size_t bytes, const MapPlace &place) {
  if (bytes > MaxAllocSize - VARHDRSZ)
    throw SqlError(
        ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        "wasm " + place.subject + " returned a value of " + std::to_string(bytes) + " bytes",
        "A SQL value may have at most 1 GB.");
}

// Integers: int2, int4, int8 or numeric, range-checked both ways.
class IntegerMap : public ValueMap {
 public:
  IntegerMap(const Type &wit, Oid sql, MapPlace place)
      : wit_(wit), sql_(sql), place_(std::move(place)) {}

  WitValue to_wit(Datum d, bool) const override {
    __int128 v = 0;
    switch (sql_) {
      case INT2OID: v = DatumGetInt16(d); break;
      case INT4OID: v = DatumGetInt32(d); break;
      case INT8OID: v = DatumGetInt64(d); break;
      default: v = numeric_value(d); break;
    }
    __int128 lo, hi;
    wit_range(wit_.kind, lo, hi);
    if (v < lo || v > hi)
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "value " + int128_text(v) + " is out of range for WIT type " + wit_name(),
                     place_detail(place_));
    return WitValue::u(static_cast<uint64_t>(static_cast<int64_t>(v)));
  }

  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    __int128 v =
        is_signed(wit_.kind) ? static_cast<__int128>(w.as_i64()) : static_cast<__int128>(w.bits);
    __int128 lo = INT64_MIN, hi = INT64_MAX;
    if (sql_ == INT2OID) lo = INT16_MIN, hi = INT16_MAX;
    if (sql_ == INT4OID) lo = INT32_MIN, hi = INT32_MAX;
    if (sql_ != NUMERICOID && (v < lo || v > hi))
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "WIT " + wit_name() + " value " + int128_text(v) +
                         " is out of range for type " + sql_name(),
                     place_detail(place_));
    switch (sql_) {
      case INT2OID: return Int16GetDatum(static_cast<int16>(v));
      case INT4OID: return Int32GetDatum(static_cast<int32>(v));
      case INT8OID: return Int64GetDatum(static_cast<int64>(v));
      default: {
        std::string text = int128_text(v);
        return pg_guard([&] {
          return DirectFunctionCall3(numeric_in, CStringGetDatum(text.c_str()),
                                     ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
        });
      }
    }
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_text(sql_, -1); }

 private:
  // A numeric's integer value, or 22003 when it has none a WIT integer
  // could hold (a fraction, NaN, more than 20 digits).
  __int128 numeric_value(Datum d) const {
    std::string text =
        pg_guard([&] { return std::string(DatumGetCString(DirectFunctionCall1(numeric_out, d))); });
    std::string_view s = text;
    bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    // numeric_out writes no exponent: "123", "123.000", "NaN", "Infinity".
    size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    bool integral = !whole.empty() && whole.size() <= 20;
    for (char c : whole) integral = integral && c >= '0' && c <= '9';
    if (dot != std::string_view::npos)
      for (char c : s.substr(dot + 1)) integral = integral && c == '0';
    if (!integral)
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "value " + text + " is out of range for WIT type " + wit_name(),
                     place_detail(place_) + " WIT integers take whole numbers.");
    __int128 v = 0;
    for (char c : whole) v = v * 10 + (c - '0');
    return negative ? -v : v;
  }

  const Type &wit_;
  Oid sql_;
  MapPlace place_;
};

class BoolMap : public ValueMap {
 public:
  WitValue to_wit(Datum d, bool) const override { return WitValue::u(DatumGetBool(d) ? 1 : 0); }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    return BoolGetDatum(w.bits != 0);
  }
  std::string wit_name() const override { return "bool"; }
  std::string sql_name() const override { return "boolean"; }
};

std::string float_text(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// f32 and f64 against real and double precision: the bits of NaNs and
// infinities travel unchanged; a double too large for real is 22003.
class FloatMap : public ValueMap {
 public:
  FloatMap(Kind wit, Oid sql, MapPlace place) : wit_(wit), sql_(sql), place_(std::move(place)) {}

  WitValue to_wit(Datum d, bool) const override {
    double v = sql_ == FLOAT4OID ? static_cast<double>(DatumGetFloat4(d)) : DatumGetFloat8(d);
    if (wit_ == Kind::F32) check_float4(v);
    return WitValue::real(v);
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    if (sql_ == FLOAT4OID) {
      check_float4(w.f);
      return Float4GetDatum(static_cast<float>(w.f));
    }
    return Float8GetDatum(w.f);
  }
  std::string wit_name() const override { return wit_ == Kind::F32 ? "f32" : "f64"; }
  std::string sql_name() const override { return sql_ == FLOAT4OID ? "real" : "double precision"; }

 private:
  void check_float4(double v) const {
    if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "value " + float_text(v) + " is out of range for type real",
                     place_detail(place_));
  }
  Kind wit_;
  Oid sql_;
  MapPlace place_;
};

// SQL text in UTF-8, whatever the database encoding; a view valid until the
// memory context is reset.
std::string_view text_utf8(Oid sql, Datum d) {
  return pg_guard([&]() -> std::string_view {
    if (sql == JSONBOID) {
      Jsonb *jb = DatumGetJsonbP(d);
      char *s = JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
      size_t len = strlen(s);
      if (GetDatabaseEncoding() == PG_UTF8) return {s, len};
      char *c = pg_server_to_any(s, static_cast<int>(len), PG_UTF8);
      return {c, c == s ? len : strlen(c)};
    }
    auto *v = reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(d));
    const char *data = VARDATA_ANY(v);
    size_t len = VARSIZE_ANY_EXHDR(v);
    if (GetDatabaseEncoding() == PG_UTF8) return {data, len};
    char *c = pg_server_to_any(data, static_cast<int>(len), PG_UTF8);
    return {c, c == data ? len : strlen(c)};
  });
}

SqlKind text_kind(Oid sql) {
  switch (sql) {
    case JSONOID: return SqlKind::Json;
    case JSONBOID: return SqlKind::Jsonb;
    default: return SqlKind::Text;
  }
}

// string against text, varchar, char(n), json and jsonb (by their text).
class StringMap : public ValueMap {
 public:
  StringMap(Oid sql, int32 typmod, MapPlace place)
      : sql_(sql), typmod_(typmod), place_(std::move(place)) {}

  WitValue to_wit(Datum d, bool) const override {
    return WitValue::str(std::string(text_utf8(sql_, d)));
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    check_value_size(w.s.size(), place_);
    return datum_from_bytes(SqlType{text_kind(sql_), sql_, SqlKind::Int4}, w.s, place_.subject);
  }
  std::string wit_name() const override { return "string"; }
  std::string sql_name() const override { return sql_type_text(sql_, typmod_); }

 private:
  Oid sql_;
  int32 typmod_;
  MapPlace place_;
};

// A Unicode scalar value (the lift checked it is one) in UTF-8.
std::string char_utf8(uint32_t cp) {
  std::string utf8;
  toolkit::append_utf8(utf8, cp);
  return utf8;
}

// char against a text of exactly one character.
class CharMap : public ValueMap {
 public:
  CharMap(Oid sql, int32 typmod, MapPlace place)
      : sql_(sql), typmod_(typmod), place_(std::move(place)) {}

  WitValue to_wit(Datum d, bool) const override {
    std::string_view s = text_utf8(sql_, d);
    // Code points: every byte but UTF-8's continuation bytes starts one.
    size_t chars = 0;
    for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
    if (chars != 1)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                     "WIT type char expects one character, got " + std::to_string(chars),
                     place_detail(place_));
    // One character of text from the database, converted to UTF-8, is one
    // scalar value.
    std::optional<uint32_t> cp = toolkit::single_code_point(s);
    if (!cp)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "WIT type char expects one character",
                     place_detail(place_));
    return WitValue::u(*cp);
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    return datum_from_bytes(SqlType{SqlKind::Text, sql_, SqlKind::Int4},
                            char_utf8(static_cast<uint32_t>(w.bits)), place_.subject);
  }
  std::string wit_name() const override { return "char"; }
  std::string sql_name() const override { return sql_type_text(sql_, typmod_); }

 private:
  Oid sql_;
  int32 typmod_;
  MapPlace place_;
};

// list<u8> against bytea, a Value per byte (the call's fast path copies
// bytea straight into the guest's memory instead).
class BytesMap : public ValueMap {
 public:
  WitValue to_wit(Datum d, bool) const override {
    std::string_view b = pg_guard([&]() -> std::string_view {
      auto *v = reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(d));
      return {VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)};
    });
    WitValue out;
    out.items.reserve(b.size());
    for (unsigned char c : b) out.items.push_back(WitValue::u(c));
    return out;
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    *isnull = false;
    return pg_guard([&] {
      auto *b = static_cast<bytea *>(palloc(VARHDRSZ + w.items.size()));
      SET_VARSIZE(b, VARHDRSZ + w.items.size());
      auto *data = reinterpret_cast<unsigned char *>(VARDATA(b));
      for (size_t i = 0; i < w.items.size(); i++)
        data[i] = static_cast<unsigned char>(w.items[i].bits);
      return PointerGetDatum(b);
    });
  }
  std::string wit_name() const override { return "list<u8>"; }
  std::string sql_name() const override { return "bytea"; }
};

// option<T>: none is NULL.
class OptionMap : public ValueMap {
 public:
  OptionMap(const Type &wit, std::unique_ptr<ValueMap> inner)
      : wit_(wit), inner_(std::move(inner)) {}
  bool takes_null() const override { return true; }
  WitValue to_wit(Datum d, bool isnull) const override {
    if (isnull) return WitValue::none();
    return WitValue::some(inner_->to_wit(d, false));
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    if (w.case_index() == 0 || !w.payload()) {
      *isnull = true;
      return 0;
    }
    return inner_->to_sql(*w.payload(), isnull);
  }
  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return inner_->sql_name(); }

 private:
  const Type &wit_;
  std::unique_ptr<ValueMap> inner_;
};

// The WIT value as text for a message's detail: numbers, "quoted" strings,
// lists and records in brackets.
void value_text(const Type &t, const WitValue &v, std::string &out, int depth = 0) {
  if (out.size() > kMessageTextBytes || depth > 32) return;
  switch (t.kind) {
    case Kind::Bool: out += v.bits ? "true" : "false"; return;
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64: out += std::to_string(v.as_i64()); return;
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64: out += std::to_string(v.bits); return;
    case Kind::F32:
    case Kind::F64: out += float_text(v.f); return;
    case Kind::Char: out += "'" + char_utf8(static_cast<uint32_t>(v.bits)) + "'"; return;
    case Kind::String: out += "\"" + v.s + "\""; return;
    case Kind::List:
    case Kind::Tuple:
    case Kind::Record: {
      out += t.kind == Kind::Record ? "{" : "[";
      for (size_t i = 0; i < v.items.size(); i++) {
        if (i) out += ", ";
        if (t.kind == Kind::Record && i < t.names.size()) out += t.names[i] + ": ";
        const Type *item = t.kind == Kind::List ? t.items[0] : t.items[i];
        value_text(*item, v.items[i], out, depth + 1);
      }
      out += t.kind == Kind::Record ? "}" : "]";
      return;
    }
    case Kind::Flags: {
      out += "{";
      bool first = true;
      for (size_t i = 0; i < t.names.size(); i++)
        if (v.bits & (uint64_t{1} << i)) {
          out += (first ? "" : ", ") + t.names[i];
          first = false;
        }
      out += "}";
      return;
    }
    default: {
      // Variants, enums, options, results: the case, then its payload.
      size_t c = v.case_index();
      if (t.kind == Kind::Option)
        out += c ? "some" : "none";
      else if (t.kind == Kind::Result)
        out += c ? "err" : "ok";
      else
        out += c < t.names.size() ? t.names[c] : std::to_string(c);
      const Type *payload = component::case_payload(t, c);
      if (payload && v.payload()) {
        out += "(";
        value_text(*payload, *v.payload(), out, depth + 1);
        out += ")";
      }
    }
  }
}

// result<T, E> as a result: ok(v) is T's value, err(e) an ERROR.
class ResultMap : public ValueMap {
 public:
  ResultMap(const Type &wit, std::unique_ptr<ValueMap> ok, MapPlace place)
      : wit_(wit), ok_(std::move(ok)), place_(std::move(place)) {}
  bool takes_null() const override { return ok_ ? ok_->takes_null() : true; }
  WitValue to_wit(Datum, bool) const override {
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "WIT type " + wit_name() + " cannot be passed to wasm " + place_.subject,
                   "A result type can only be returned.");
  }
  Datum to_sql(const WitValue &w, bool *isnull) const override {
    if (w.case_index() == 0) {
      if (!ok_ || !w.payload()) {
        *isnull = true;
        return 0;
      }
      return ok_->to_sql(*w.payload(), isnull);
    }
    throw result_error(wit_.items[1], w.payload(), place_.subject);
  }
  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return ok_ ? ok_->sql_name() : "void"; }

 private:
  const Type &wit_;
  std::unique_ptr<ValueMap> ok_;
  MapPlace place_;
};

bool is_text_type(Oid sql) {
  return sql == TEXTOID || sql == VARCHAROID || sql == BPCHAROID;
}

}  // namespace

SqlError result_error(const Type *error, const WitValue *e, const std::string &subject) {
  std::string where = "Returned by wasm " + subject + ".";
  if (error && e && error->kind == Kind::String)
    return SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, message_text(e->s), where);
  if (error && e && error->kind == Kind::Enum && e->case_index() < error->names.size())
    return SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, error->names[e->case_index()], where);
  std::string value;
  if (error && e) value_text(*error, *e, value);
  return SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "wasm function returned an error",
                  (value.empty() ? "" : "The error is " + message_text(value) + ". ") + where);
}

SqlError type_mismatch(const Type &wit, Oid sql_type, int32 typmod, const MapPlace &place) {
  return SqlError(ERRCODE_DATATYPE_MISMATCH, "wasm " + place.subject + ": " + place.what +
                                                 " has WIT type " + component::wit_text(wit) +
                                                 ", " + sql_side(place) + " " +
                                                 sql_type_text(sql_type, typmod));
}

std::unique_ptr<ValueMap> map_value(const Type &wit, Oid sql_type, int32 typmod,
                                    const MapPlace &place, MemoryContext mcxt) {
  auto mismatch = [&]() { return type_mismatch(wit, sql_type, typmod, place); };
  Kind k = wit.kind;
  if (k == Kind::Own || k == Kind::Borrow)
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "WIT type " + component::wit_text(wit) + " in " + place.what +
                       " cannot be a SQL value: resources stay inside the component",
                   "The function is wasm " + place.subject + ".");
  if (k == Kind::Bool) {
    if (sql_type != BOOLOID) throw mismatch();
    return std::make_unique<BoolMap>();
  }
  if (is_integer(k)) {
    if (sql_type != INT2OID && sql_type != INT4OID && sql_type != INT8OID && sql_type != NUMERICOID)
      throw mismatch();
    return std::make_unique<IntegerMap>(wit, sql_type, place);
  }
  if (k == Kind::F32 || k == Kind::F64) {
    if (sql_type != FLOAT4OID && sql_type != FLOAT8OID) throw mismatch();
    return std::make_unique<FloatMap>(k, sql_type, place);
  }
  if (k == Kind::Char) {
    if (!is_text_type(sql_type)) throw mismatch();
    return std::make_unique<CharMap>(sql_type, typmod, place);
  }
  if (k == Kind::String) {
    if (!is_text_type(sql_type) && sql_type != JSONOID && sql_type != JSONBOID) throw mismatch();
    return std::make_unique<StringMap>(sql_type, typmod, place);
  }
  if (k == Kind::List && wit.items[0]->kind == Kind::U8 && sql_type == BYTEAOID)
    return std::make_unique<BytesMap>();
  if (k == Kind::Option) {
    const Type &inner = *wit.items[0];
    if (inner.kind == Kind::Option)
      throw SqlError(ERRCODE_DATATYPE_MISMATCH,
                     "wasm " + place.subject + ": " + place.what + " has WIT type " +
                         component::wit_text(wit) + ", which SQL cannot tell apart from " +
                         component::wit_text(inner),
                     "NULL is the only none a SQL value has.");
    auto map = map_value(inner, sql_type, typmod, place, mcxt);
    if (map->takes_null()) throw mismatch();
    return std::make_unique<OptionMap>(wit, std::move(map));
  }
  if (k == Kind::Result) {
    std::unique_ptr<ValueMap> ok;
    if (wit.items[0]) {
      ok = map_value(*wit.items[0], sql_type, typmod, place, mcxt);
    } else if (sql_type != VOIDOID) {
      throw mismatch();
    }
    return std::make_unique<ResultMap>(wit, std::move(ok), place);
  }
  if (auto map = map_composite_value(wit, sql_type, typmod, place, mcxt)) return map;
  throw mismatch();
}

std::optional<std::string> suggested_sql_type(const Type &wit, std::string *why) {
  switch (wit.kind) {
    case Kind::Bool: return "boolean";
    case Kind::S8:
    case Kind::U8:
    case Kind::S16: return "smallint";
    case Kind::U16:
    case Kind::S32: return "integer";
    case Kind::U32:
    case Kind::S64: return "bigint";
    case Kind::U64: return "numeric";
    case Kind::F32: return "real";
    case Kind::F64: return "double precision";
    case Kind::Char:
    case Kind::String:
    case Kind::Enum: return "text";
    case Kind::Flags: return "text[]";
    case Kind::Variant: return "jsonb";
    case Kind::Record:
    case Kind::Tuple:
      if (!wit.name.empty()) return wit.name;
      if (why) *why = "an anonymous " + component::wit_text(wit) + " needs a composite type";
      return std::nullopt;
    case Kind::Option:
      if (wit.items[0]->kind == Kind::Option) {
        if (why) *why = "SQL has one NULL, " + component::wit_text(wit) + " has two";
        return std::nullopt;
      }
      return suggested_sql_type(*wit.items[0], why);
    case Kind::Result:
      if (!wit.items[0]) return "void";
      return suggested_sql_type(*wit.items[0], why);
    case Kind::List: {
      const Type &e = *wit.items[0];
      if (e.kind == Kind::U8) return "bytea";
      auto inner = suggested_sql_type(e, why);
      if (!inner) return std::nullopt;
      if (inner->ends_with("[]") || *inner == "bytea") {
        if (why) *why = "SQL arrays of arrays have no type of their own";
        return std::nullopt;
      }
      return *inner + "[]";
    }
    case Kind::Own:
    case Kind::Borrow:
      if (why) *why = "resources stay inside the component";
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace pgwasm::pg
