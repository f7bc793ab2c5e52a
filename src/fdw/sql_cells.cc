#include "fdw/sql_cells.h"

#include <cstdio>

#include "fdw/fdw_headers.h"

extern "C" {
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
}

namespace pgwasm::fdw {

using pg::pg_guard;

namespace {

void pack_str(MsgpackPacker &packer, std::string_view s) {
  packer.pack_str(static_cast<uint32_t>(s.size()));
  packer.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

// The type's text form, in UTF-8.
std::string text_form(Oid type, Datum value) {
  const char *utf8 = pg_guard([&] {
    Oid output;
    bool varlena;
    getTypeOutputInfo(type, &output, &varlena);
    char *s = OidOutputFunctionCall(output, value);
    return pg_server_to_any(s, static_cast<int>(strlen(s)), PG_UTF8);
  });
  return utf8;
}

// ISO 8601 without the session's DateStyle: 2024-05-01, 2024-05-01T12:00:00,
// 2024-05-01T12:00:00.5Z. Infinities and years BC keep PostgreSQL's text.
bool iso_time(Oid type, Datum value, std::string &out) {
  struct pg_tm tm;
  fsec_t fsec = 0;
  char buf[64];
  if (type == DATEOID) {
    DateADT d = DatumGetDateADT(value);
    if (DATE_NOT_FINITE(d)) return false;
    j2date(d + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    if (tm.tm_year <= 0) return false;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
    out = buf;
    return true;
  }
  Timestamp ts = DatumGetTimestamp(value);
  if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, nullptr, &tm, &fsec, nullptr, nullptr) != 0 ||
      tm.tm_year <= 0)
    return false;
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year, tm.tm_mon,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (fsec != 0) n += std::snprintf(buf + n, sizeof buf - n, ".%06d", static_cast<int>(fsec));
  if (type == TIMESTAMPTZOID) std::snprintf(buf + n, sizeof buf - n, "Z");
  out = buf;
  return true;
}

}  // namespace

void pack_cell(MsgpackPacker &packer, Oid type, Datum value, bool isnull) {
  if (isnull) {
    packer.pack_nil();
    return;
  }
  switch (type) {
    case BOOLOID: DatumGetBool(value) ? packer.pack_true() : packer.pack_false(); return;
    case INT2OID: packer.pack_int16(DatumGetInt16(value)); return;
    case INT4OID: packer.pack_int32(DatumGetInt32(value)); return;
    case INT8OID: packer.pack_int64(DatumGetInt64(value)); return;
    case FLOAT4OID: packer.pack_float(DatumGetFloat4(value)); return;
    case FLOAT8OID: packer.pack_double(DatumGetFloat8(value)); return;
    case BYTEAOID: {
      bytea *b = pg_guard([&] { return DatumGetByteaPP(value); });
      packer.pack_bin(static_cast<uint32_t>(VARSIZE_ANY_EXHDR(b)));
      packer.pack_bin_body(VARDATA_ANY(b), static_cast<uint32_t>(VARSIZE_ANY_EXHDR(b)));
      return;
    }
    case DATEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID: {
      std::string iso;
      pack_str(packer, iso_time(type, value, iso) ? iso : text_form(type, value));
      return;
    }
    default: break;
  }
  Oid element = pg_guard([&] { return get_element_type(type); });
  if (OidIsValid(element)) {
    ArrayType *array = nullptr;
    Datum *elems = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    pg_guard([&] {
      array = DatumGetArrayTypeP(value);
      int16 len;
      bool byval;
      char align;
      get_typlenbyvalalign(element, &len, &byval, &align);
      deconstruct_array(array, element, len, byval, align, &elems, &nulls, &n);
    });
    packer.pack_array(static_cast<uint32_t>(n));
    for (int i = 0; i < n; i++) pack_cell(packer, element, elems[i], nulls[i]);
    return;
  }
  pack_str(packer, text_form(type, value));
}

}  // namespace pgwasm::fdw
