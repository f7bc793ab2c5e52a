#include <bit>
#include <cstring>
#include <string>

#include "pg/abi/byte_values.h"
#include "pg/guard.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"
}

namespace pgwasm::pg {

namespace {

// Text crosses as UTF-8 whatever the database encoding.
std::string_view to_utf8(const char *data, size_t len) {
  if (GetDatabaseEncoding() == PG_UTF8) return {data, len};
  char *converted = pg_server_to_any(data, static_cast<int>(len), PG_UTF8);
  return {converted, converted == data ? len : strlen(converted)};
}

std::string_view varlena_bytes(Datum value) {
  auto *v = reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(value));
  return {VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)};
}

struct ConversionContext {
  const std::string *subject;
  const SqlType *type;
};

void conversion_context(void *arg) {
  auto *c = static_cast<ConversionContext *>(arg);
  errcontext("converting the result of wasm %s to %s", c->subject->c_str(),
             type_name(*c->type).c_str());
}

}  // namespace

void check_utf8(std::string_view bytes, const std::string &subject) {
  int valid = pg_guard([&] {
    return pg_encoding_verifymbstr(PG_UTF8, bytes.data(), static_cast<int>(bytes.size()));
  });
  if (static_cast<size_t>(valid) == bytes.size()) return;
  if (bytes[valid] == '\0')
    throw SqlError(
        ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
        "wasm " + subject + " returned text with a zero byte, which PostgreSQL text cannot hold",
        "The zero byte is at offset " + std::to_string(valid) + " of " +
            std::to_string(bytes.size()) + ".");
  throw SqlError(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                 "wasm " + subject + " returned text that is not valid UTF-8",
                 "The byte at offset " + std::to_string(valid) + " of " +
                     std::to_string(bytes.size()) + " starts an invalid sequence.");
}

std::string_view arg_bytes(const SqlType &type, Datum value, const std::string &subject) {
  if (type.kind == SqlKind::Array) {
    struct Shape {
      int ndim;
      bool has_nulls;
      const char *data;
      int items;
    } shape = pg_guard([&] {
      ArrayType *a = DatumGetArrayTypeP(value);
      return Shape{ARR_NDIM(a), ARR_HASNULL(a), ARR_DATA_PTR(a),
                   ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a))};
    });
    if (shape.ndim > 1)
      throw SqlError(ERRCODE_ARRAY_SUBSCRIPT_ERROR,
                     "wasm " + subject + " takes one-dimensional arrays, not " +
                         std::to_string(shape.ndim) + "-dimensional ones");
    if (shape.has_nulls)
      throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                     "wasm " + subject + " cannot take arrays with NULL elements");
    return {shape.data, shape.items * element_size(type.element)};
  }
  return pg_guard([&]() -> std::string_view {
    switch (type.kind) {
      case SqlKind::Text:
      case SqlKind::Json: {
        std::string_view v = varlena_bytes(value);
        return to_utf8(v.data(), v.size());
      }
      case SqlKind::Bytea: return varlena_bytes(value);
      case SqlKind::Jsonb: {
        Jsonb *jb = DatumGetJsonbP(value);
        char *s = JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
        return to_utf8(s, strlen(s));
      }
      case SqlKind::Numeric: {
        char *s = DatumGetCString(DirectFunctionCall1(numeric_out, value));
        return {s, strlen(s)};
      }
      case SqlKind::Uuid:
        return {reinterpret_cast<const char *>(DatumGetUUIDP(value)->data), UUID_LEN};
      default: return {};
    }
  });
}

// The elements travel packed little-endian, as PostgreSQL keeps them in an
// array on this machine: the array is built around the bytes in one
// allocation (bools made 0 or 1).
static Datum array_from_bytes(const SqlType &type, std::string_view bytes,
                              const std::string &subject) {
  size_t size = element_size(type.element);
  if (bytes.size() % size != 0)
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm " + subject + " returned " + std::to_string(bytes.size()) + " bytes for " +
                       type_name(type),
                   "Each element takes " + std::to_string(size) + " bytes.");
  size_t n = bytes.size() / size;
  size_t total = ARR_OVERHEAD_NONULLS(1) + bytes.size();
  if (n > static_cast<size_t>(MaxArraySize) || total > MaxAllocSize)
    throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   "wasm " + subject + " returned an array of " + std::to_string(n) + " elements",
                   "An array may take at most 1 GB.");
  static_assert(std::endian::native == std::endian::little);
  return pg_guard([&] {
    Oid elem = get_element_type(type.oid);
    if (n == 0) return PointerGetDatum(construct_empty_array(elem));
    auto *array = static_cast<ArrayType *>(palloc0(total));
    SET_VARSIZE(array, total);
    array->ndim = 1;
    array->dataoffset = 0;
    array->elemtype = elem;
    ARR_DIMS(array)[0] = static_cast<int>(n);
    ARR_LBOUND(array)[0] = 1;
    char *data = ARR_DATA_PTR(array);
    std::memcpy(data, bytes.data(), bytes.size());
    if (type.element == SqlKind::Bool)
      for (size_t i = 0; i < n; i++) data[i] = data[i] != 0;
    return PointerGetDatum(array);
  });
}

Datum datum_from_bytes(const SqlType &type, std::string_view bytes, const std::string &subject) {
  switch (type.kind) {
    case SqlKind::Text:
    case SqlKind::Json:
    case SqlKind::Jsonb: check_utf8(bytes, subject); break;
    case SqlKind::Uuid:
      if (bytes.size() != UUID_LEN)
        throw SqlError(
            ERRCODE_INVALID_BINARY_REPRESENTATION,
            "wasm " + subject + " returned " + std::to_string(bytes.size()) + " bytes for a uuid",
            "A uuid travels as its 16 bytes.");
      break;
    case SqlKind::Array: return array_from_bytes(type, bytes, subject);
    default: break;
  }
  ConversionContext context{&subject, &type};
  return pg_guard([&] {
    ErrorContextCallback callback{error_context_stack, conversion_context, &context};
    error_context_stack = &callback;
    Datum result = 0;
    switch (type.kind) {
      case SqlKind::Bytea: {
        auto *b = static_cast<bytea *>(palloc(VARHDRSZ + bytes.size()));
        SET_VARSIZE(b, VARHDRSZ + bytes.size());
        std::memcpy(VARDATA(b), bytes.data(), bytes.size());
        result = PointerGetDatum(b);
        break;
      }
      case SqlKind::Uuid: {
        auto *u = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
        std::memcpy(u->data, bytes.data(), UUID_LEN);
        result = UUIDPGetDatum(u);
        break;
      }
      case SqlKind::Text:
        if (GetDatabaseEncoding() == PG_UTF8) {
          // Already verified as UTF-8 without zero bytes: one copy into the varlena.
          result = PointerGetDatum(
              cstring_to_text_with_len(bytes.data(), static_cast<int>(bytes.size())));
          break;
        }
        [[fallthrough]];
      default: {
        // Text-form types, into the database encoding.
        char *s = pg_any_to_server(bytes.data(), static_cast<int>(bytes.size()), PG_UTF8);
        if (s == bytes.data()) s = pnstrdup(bytes.data(), bytes.size());
        switch (type.kind) {
          case SqlKind::Text: result = PointerGetDatum(cstring_to_text(s)); break;
          case SqlKind::Json: result = DirectFunctionCall1(json_in, CStringGetDatum(s)); break;
          case SqlKind::Jsonb: result = DirectFunctionCall1(jsonb_in, CStringGetDatum(s)); break;
          case SqlKind::Numeric:
            result = DirectFunctionCall3(numeric_in, CStringGetDatum(s),
                                         ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
            break;
          default: break;
        }
      }
    }
    error_context_stack = callback.previous;
    return result;
  });
}

}  // namespace pgwasm::pg
