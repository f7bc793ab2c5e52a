#include "fdw/json_rows.h"

#include <string>

#include "fdw/fdw_headers.h"

extern "C" {
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace pgwasm::fdw {

using pg::pg_guard;
using pg::PgError;
using pg::SqlError;

namespace {

// The value at a dotted path inside an object, or false when a key is
// missing (or an intermediate value is no object).
bool find_path(JsonbContainer *container, std::string_view path, JsonbValue &out) {
  while (true) {
    size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    if (!JsonContainerIsObject(container)) return false;
    JsonbValue *v =
        getKeyJsonValueFromContainer(container, key.data(), static_cast<int>(key.size()), &out);
    if (!v) return false;
    if (dot == std::string_view::npos) return true;
    if (out.type != jbvBinary) return false;
    container = out.val.binary.data;
    path = path.substr(dot + 1);
  }
}

bool is_json_type(Oid t) {
  return t == JSONBOID || t == JSONOID;
}

// One object's value for a column (PostgreSQL code: call inside pg_guard).
Datum cell_of(RowBatch &batch, size_t target, JsonbValue &v, bool &isnull) {
  const ColumnInfo &col = batch.target_column(target);
  isnull = v.type == jbvNull;
  if (isnull) return 0;
  if (col.type == JSONBOID) return JsonbPGetDatum(JsonbValueToJsonb(&v));
  const char *text = nullptr;
  switch (v.type) {
    case jbvString: {
      if (is_json_type(col.type)) {
        Jsonb *j = JsonbValueToJsonb(&v);
        text = JsonbToCString(nullptr, &j->root, VARSIZE(j));
      } else {
        text = pnstrdup(v.val.string.val, v.val.string.len);
      }
      break;
    }
    case jbvNumeric:
      text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
      break;
    case jbvBool: text = v.val.boolean ? "true" : "false"; break;
    case jbvBinary: text = JsonbToCString(nullptr, v.val.binary.data, v.val.binary.len); break;
    default: text = ""; break;
  }
  return batch.input(target, text);
}

}  // namespace

uint32_t append_json_rows(RowBatch &batch, const FdwGuest &guest, std::string_view json,
                          std::string_view path) {
  pg::MemoryContextScope in_batch(batch.context());
  Jsonb *doc = nullptr;
  try {
    doc = pg_guard([&] {
      char *s = pnstrdup(json.data(), json.size());
      return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
    });
  } catch (const PgError &e) {
    if (e.edata()->sqlerrcode == ERRCODE_QUERY_CANCELED) throw;
    guest.fail(
        ERRCODE_FDW_INVALID_DATA_TYPE,
        std::string("pg_wasm_fdw.json_rows was given a document that is not JSON: ") + e.what());
  }
  JsonbContainer *array = &doc->root;
  if (!path.empty()) {
    JsonbValue at;
    if (!find_path(array, path, at) || at.type != jbvBinary)
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "pg_wasm_fdw.json_rows found no array at \"" +
                                                    std::string(path) + "\" of the document");
    array = at.val.binary.data;
  }
  // An object alone is one row (a keyed lookup's answer).
  bool single = JsonContainerIsObject(array);
  if (!single && (!JsonContainerIsArray(array) || JsonContainerIsScalar(array)))
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
               "pg_wasm_fdw.json_rows found no array or object at \"" + std::string(path) +
                   "\" of the document");
  uint32_t n = single ? 1 : JsonContainerSize(array);
  for (uint32_t i = 0; i < n; i++) {
    JsonbValue elem;
    elem.type = jbvBinary;
    elem.val.binary.data = array;  // the object itself when single
    elem.val.binary.len = 0;       // not read: fields are found through data
    bool object = single || pg_guard([&] {
                    JsonbValue *e = getIthJsonbValueFromContainer(array, i);
                    elem = *e;
                    return e->type == jbvBinary && JsonContainerIsObject(e->val.binary.data);
                  });
    batch.begin_row();
    if (!object)
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "pg_wasm_fdw.json_rows: element " +
                                                    std::to_string(i) + " of the array at \"" +
                                                    std::string(path) + "\" is not an object");
    for (size_t t = 0; t < batch.targets(); t++) {
      const ColumnInfo &col = batch.target_column(t);
      bool isnull = true;
      Datum value = 0;
      try {
        value = pg_guard([&]() -> Datum {
          JsonbValue v;
          if (!find_path(elem.val.binary.data, col.field, v)) return 0;
          return cell_of(batch, t, v, isnull);
        });
      } catch (const PgError &e) {
        if (e.edata()->sqlerrcode == ERRCODE_QUERY_CANCELED) throw;
        cell_error(batch, guest, t, e.what());
      }
      batch.set(t, value, isnull);
    }
  }
  return n;
}

}  // namespace pgwasm::fdw
