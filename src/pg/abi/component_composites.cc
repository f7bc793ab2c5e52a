// The composite side of the WIT <-> SQL mapping (docs/components-sql.md):
// records and tuples against composite types, lists against one-dimensional
// arrays, enums against text or a PostgreSQL enum, flags against text[],
// variants against jsonb. Every map is made once, when the function is
// bound: the type descriptors, element layouts and labels it needs live in
// the memory context it was given, and each call only converts values.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi.h"
#include "component/cabi_layout.h"
#include "component/wit_text.h"
#include "pg/abi/component_values.h"
#include "pg/guard.h"
#include "toolkit/json_text.h"
#include "toolkit/utf8.h"

extern "C" {
#include "access/tupdesc.h"
#include "catalog/pg_enum.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/catcache.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/typcache.h"
}

namespace pgwasm::pg {

namespace {

using component::Kind;
using component::Type;
using component::Value;

std::string sql_type_name(Oid type, int32 typmod) {
  return pg_guard([&] { return std::string(format_type_with_typemod(type, typmod)); });
}

std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (const auto &n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

[[noreturn]] void mismatch(const MapPlace &place, const Type &wit, Oid type, int32 typmod,
                           const std::string &why) {
  SqlError e = type_mismatch(wit, type, typmod, place);
  e.detail = why;
  throw e;
}

// A child map: a composite kind here, anything else through map_value.
std::unique_ptr<ValueMap> child_map(const Type &wit, Oid type, int32 typmod, const MapPlace &place,
                                    MemoryContext mcxt) {
  if (auto m = map_composite_value(wit, type, typmod, place, mcxt)) return m;
  return map_value(wit, type, typmod, place, mcxt);
}

// Resources cannot leave the component: refused wherever they are nested.
void refuse_resources(const Type &wit, const MapPlace &place) {
  if (wit.kind == Kind::Own || wit.kind == Kind::Borrow)
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "wasm " + place.subject + ": " + place.what + " has WIT type " +
                       component::wit_text(wit) +
                       ", which cannot be a SQL value: resources stay inside the component");
  for (const Type *t : wit.items)
    if (t) refuse_resources(*t, place);
}

std::string text_of(Datum d) {
  return pg_guard([&] {
    text *t = DatumGetTextPP(d);
    return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  });
}

Datum text_datum(const std::string &s) {
  return pg_guard([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), s.size())); });
}

// ---- records and tuples ----

// The fields of a record or tuple, each against an attribute of a row type.
class Fields {
 public:
  Fields(const Type &wit, TupleDesc desc, Oid sql_type, int32 typmod, const MapPlace &place,
         MemoryContext mcxt)
      : wit_(wit), subject_(place.subject) {
    desc_ = pg_guard([&] {
      MemoryContext old = MemoryContextSwitchTo(mcxt);
      TupleDesc copy = CreateTupleDescCopy(desc);
      MemoryContextSwitchTo(old);
      return copy;
    });
    std::vector<int> live;
    std::vector<std::string> attnames;
    for (int i = 0; i < desc_->natts; i++) {
      Form_pg_attribute a = TupleDescAttr(desc_, i);
      if (a->attisdropped) continue;
      live.push_back(i);
      attnames.emplace_back(NameStr(a->attname));
    }
    bool by_name = wit.kind == Kind::Record;
    size_t n = wit.items.size();
    auto describe = [&] {
      std::vector<std::string> fields;
      for (size_t i = 0; i < n; i++)
        fields.push_back(by_name ? sql_name_of(wit.names[i]) : component::wit_text(*wit.items[i]));
      return std::string(by_name ? "fields " : "fields by position ") + "(" + joined(fields) +
             "), attributes (" + joined(attnames) + ")";
    };
    if (live.size() != n)
      mismatch(place, wit, sql_type, typmod,
               "The WIT type has " + std::to_string(n) + " fields, the SQL type " +
                   std::to_string(live.size()) + " attributes: " + describe() + ".");
    std::vector<bool> taken(live.size());
    for (size_t i = 0; i < n; i++) {
      size_t slot = i;
      std::string label;
      if (by_name) {
        std::string want = sql_name_of(wit.names[i]);
        std::optional<size_t> found;
        for (size_t j = 0; j < live.size() && !found; j++)
          if (attnames[j] == want) found = j;
        // A WIT name with capitals (HTTP-code) also matches the attribute
        // unquoted SQL would make of it (http_code).
        if (!found) {
          std::string lower = want;
          for (char &c : lower)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          for (size_t j = 0; j < live.size() && !found; j++)
            if (attnames[j] == lower) found = j;
        }
        if (!found || taken[*found])
          mismatch(place, wit, sql_type, typmod,
                   "The SQL type has no attribute " + want + " for the WIT field " + wit.names[i] +
                       ": " + describe() + ".");
        slot = *found;
        label = "field " + wit.names[i];
      } else {
        label = "field " + std::to_string(i + 1);
      }
      taken[slot] = true;
      Form_pg_attribute a = TupleDescAttr(desc_, live[slot]);
      MapPlace inner{label + " of " + place.what, place.subject};
      slots_.push_back(
          {live[slot], label, child_map(*wit.items[i], a->atttypid, a->atttypmod, inner, mcxt)});
    }
  }

  TupleDesc desc() const { return desc_; }

  Value to_wit(const Datum *values, const bool *nulls, const std::string &what) const {
    Value v;
    v.items.reserve(slots_.size());
    for (const auto &s : slots_) {
      if (nulls[s.attno]) {
        if (!s.map->takes_null())
          throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                         "wasm " + subject_ + ": " + s.label + " of " + what +
                             " is NULL, and its WIT type " + s.map->wit_name() + " has no none",
                         "Only a WIT option can be NULL.");
        v.items.push_back(s.map->to_wit(0, true));
      } else {
        v.items.push_back(s.map->to_wit(values[s.attno], false));
      }
    }
    return v;
  }

  void to_row(const Value &v, Datum *values, bool *nulls) const {
    if (v.items.size() != slots_.size())
      throw component::CabiError("a " + component::wit_text(wit_) + " value has " +
                                 std::to_string(v.items.size()) + " fields");
    for (int i = 0; i < desc_->natts; i++) {
      values[i] = 0;
      nulls[i] = true;
    }
    for (size_t i = 0; i < slots_.size(); i++) {
      const auto &s = slots_[i];
      values[s.attno] = s.map->to_sql(v.items[i], &nulls[s.attno]);
    }
  }

 private:
  struct Slot {
    int attno;  // 0-based
    std::string label;
    std::unique_ptr<ValueMap> map;
  };
  const Type &wit_;
  std::string subject_;
  TupleDesc desc_ = nullptr;
  std::vector<Slot> slots_;  // in WIT order
};

class RecordMap : public ValueMap {
 public:
  RecordMap(const Type &wit, Oid type, int32 typmod, const MapPlace &place, MemoryContext mcxt,
            TupleDesc desc)
      : wit_(wit),
        type_(type),
        typmod_(typmod),
        what_(place.what),
        fields_(wit, desc, type, typmod, place, mcxt) {}

  Value to_wit(Datum d, bool) const override {
    TupleDesc desc = fields_.desc();
    std::vector<Datum> values(desc->natts);
    std::vector<char> nulls(desc->natts);
    pg_guard([&] {
      HeapTupleHeader th = DatumGetHeapTupleHeader(d);
      HeapTupleData tuple;
      tuple.t_len = HeapTupleHeaderGetDatumLength(th);
      ItemPointerSetInvalid(&tuple.t_self);
      tuple.t_tableOid = InvalidOid;
      tuple.t_data = th;
      heap_deform_tuple(&tuple, desc, values.data(), reinterpret_cast<bool *>(nulls.data()));
    });
    return fields_.to_wit(values.data(), reinterpret_cast<const bool *>(nulls.data()), what_);
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    TupleDesc desc = fields_.desc();
    std::vector<Datum> values(desc->natts);
    std::vector<char> nulls(desc->natts);
    fields_.to_row(v, values.data(), reinterpret_cast<bool *>(nulls.data()));
    *isnull = false;
    return pg_guard([&] {
      HeapTuple tuple =
          heap_form_tuple(desc, values.data(), reinterpret_cast<bool *>(nulls.data()));
      return HeapTupleGetDatum(tuple);
    });
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, typmod_); }

 private:
  const Type &wit_;
  Oid type_;
  int32 typmod_;
  std::string what_;
  Fields fields_;
};

class RowMapImpl : public RowMap {
 public:
  RowMapImpl(const Type &wit, TupleDesc desc, const MapPlace &place, MemoryContext mcxt)
      : fields_(wit, desc, RECORDOID, -1, place, mcxt) {}
  void to_row(const Value &v, Datum *values, bool *nulls) const override {
    fields_.to_row(v, values, nulls);
  }

 private:
  Fields fields_;
};

// ---- lists ----

struct ArrayElements {
  Datum *items = nullptr;
  bool *nulls = nullptr;
  int count = 0;
};

// The elements of a one-dimensional array (palloc'd in the current memory
// context); more dimensions are an error saying `takes` (the WIT type) takes
// one.
ArrayElements array_elements(Datum d, Oid elem, int16 len, bool byval, char align,
                             const std::string &subject, const std::string &what,
                             const std::string &takes) {
  ArrayElements e;
  int ndim = 0;
  pg_guard([&] {
    ArrayType *a = DatumGetArrayTypeP(d);
    ndim = ARR_NDIM(a);
    if (ndim == 1) deconstruct_array(a, elem, len, byval, align, &e.items, &e.nulls, &e.count);
  });
  if (ndim > 1)
    throw SqlError(ERRCODE_ARRAY_SUBSCRIPT_ERROR, "wasm " + subject + ": " + what +
                                                      " is an array of " + std::to_string(ndim) +
                                                      " dimensions, and " + takes + " takes one");
  return e;
}

class ListMap : public ValueMap {
 public:
  ListMap(const Type &wit, Oid type, int32 typmod, Oid elem, const MapPlace &place,
          MemoryContext mcxt)
      : wit_(wit),
        type_(type),
        typmod_(typmod),
        elem_(elem),
        subject_(place.subject),
        what_(place.what) {
    pg_guard([&] { get_typlenbyvalalign(elem_, &len_, &byval_, &align_); });
    element_ = child_map(*wit.items[0], elem, typmod,
                         MapPlace{"an element of " + place.what, place.subject}, mcxt);
  }

  Value to_wit(Datum d, bool) const override {
    auto [items, nulls, n] =
        array_elements(d, elem_, len_, byval_, align_, subject_, what_, "WIT " + wit_name());
    Value v;
    v.items.reserve(n);
    for (int i = 0; i < n; i++) {
      if (nulls[i]) {
        if (!element_->takes_null())
          throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                         "wasm " + subject_ + ": element " + std::to_string(i + 1) + " of " +
                             what_ + " is NULL, and WIT " + wit_name() + " has no none",
                         "Only a list of a WIT option, such as list<option<" +
                             element_->wit_name() + ">>, takes NULL elements.");
        v.items.push_back(element_->to_wit(0, true));
      } else {
        v.items.push_back(element_->to_wit(items[i], false));
      }
    }
    return v;
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    size_t n = v.items.size();
    if (n > MaxArraySize)
      throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED, "wasm " + subject_ + " returned a list of " +
                                                         std::to_string(n) + " elements for " +
                                                         what_ + ", more than an array holds");
    std::vector<Datum> items(n);
    std::vector<char> nulls(n);
    bool any_null = false;
    for (size_t i = 0; i < n; i++) {
      bool null = false;
      items[i] = element_->to_sql(v.items[i], &null);
      nulls[i] = null;
      any_null |= null;
    }
    *isnull = false;
    return pg_guard([&] {
      if (n == 0) return PointerGetDatum(construct_empty_array(elem_));
      int dims[1] = {static_cast<int>(n)};
      int lbs[1] = {1};
      return PointerGetDatum(construct_md_array(
          items.data(), any_null ? reinterpret_cast<bool *>(nulls.data()) : nullptr, 1, dims, lbs,
          elem_, len_, byval_, align_));
    });
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, typmod_); }

 private:
  const Type &wit_;
  Oid type_;
  int32 typmod_;
  Oid elem_;
  std::string subject_, what_;
  int16 len_ = 0;
  bool byval_ = false;
  char align_ = 'i';
  std::unique_ptr<ValueMap> element_;
};

// ---- enums ----

[[noreturn]] void bad_label(const std::string &subject, const std::string &what, const Type &wit,
                            const std::string &given) {
  throw SqlError(
      ERRCODE_INVALID_TEXT_REPRESENTATION,
      "wasm " + subject + ": " + what + " is \"" + given + "\", which is not a label of WIT " +
          std::string(wit.kind == Kind::Enum ? "enum " : "flags ") + component::wit_text(wit),
      "The labels are " + joined(wit.names) + ".");
}

std::optional<uint32_t> label_index(const Type &wit, std::string_view label) {
  for (size_t i = 0; i < wit.names.size(); i++)
    if (wit.names[i] == label) return static_cast<uint32_t>(i);
  return std::nullopt;
}

class EnumTextMap : public ValueMap {
 public:
  EnumTextMap(const Type &wit, Oid type, int32 typmod, const MapPlace &place)
      : wit_(wit), type_(type), typmod_(typmod), subject_(place.subject), what_(place.what) {}

  Value to_wit(Datum d, bool) const override {
    std::string s = text_of(d);
    auto i = label_index(wit_, s);
    if (!i) bad_label(subject_, what_, wit_, s);
    return Value::of_case(*i);
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    *isnull = false;
    return text_datum(wit_.names[component::checked_case(v.bits, wit_.names.size())]);
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, typmod_); }

 private:
  const Type &wit_;
  Oid type_;
  int32 typmod_;
  std::string subject_, what_;
};

// A PostgreSQL enum with the WIT enum's labels (in any order): its values
// are the OIDs of pg_enum rows, one per WIT case.
class EnumPgMap : public ValueMap {
 public:
  EnumPgMap(const Type &wit, Oid type, const MapPlace &place)
      : wit_(wit), type_(type), subject_(place.subject), what_(place.what) {
    std::vector<std::string> labels;
    std::vector<Oid> oids;
    pg_guard([&] {
      CatCList *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(type));
      for (int i = 0; i < list->n_members; i++) {
        auto *e = reinterpret_cast<Form_pg_enum>(GETSTRUCT(&list->members[i]->tuple));
        labels.emplace_back(NameStr(e->enumlabel));
        oids.push_back(e->oid);
      }
      ReleaseCatCacheList(list);
    });
    oids_.assign(wit.names.size(), InvalidOid);
    std::vector<std::string> extra;
    for (size_t i = 0; i < labels.size(); i++) {
      if (auto c = label_index(wit, labels[i]))
        oids_[*c] = oids[i];
      else
        extra.push_back(labels[i]);
    }
    std::vector<std::string> missing;
    for (size_t c = 0; c < oids_.size(); c++)
      if (oids_[c] == InvalidOid) missing.push_back(wit.names[c]);
    if (!missing.empty() || !extra.empty()) {
      std::string why = "The labels differ:";
      if (!missing.empty()) why += " the SQL enum lacks " + joined(missing) + ";";
      if (!extra.empty()) why += " the WIT enum lacks " + joined(extra) + ";";
      why.back() = '.';
      mismatch(place, wit, type, -1, why);
    }
  }

  Value to_wit(Datum d, bool) const override {
    Oid oid = DatumGetObjectId(d);
    for (size_t c = 0; c < oids_.size(); c++)
      if (oids_[c] == oid) return Value::of_case(static_cast<uint32_t>(c));
    // A label added to the SQL enum after the function was bound.
    std::string label =
        pg_guard([&] { return std::string(DatumGetCString(DirectFunctionCall1(enum_out, d))); });
    bad_label(subject_, what_, wit_, label);
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    *isnull = false;
    return ObjectIdGetDatum(oids_[component::checked_case(v.bits, oids_.size())]);
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, -1); }

 private:
  const Type &wit_;
  Oid type_;
  std::string subject_, what_;
  std::vector<Oid> oids_;  // by WIT case
};

// ---- flags ----

class FlagsMap : public ValueMap {
 public:
  FlagsMap(const Type &wit, Oid type, int32 typmod, const MapPlace &place)
      : wit_(wit), type_(type), typmod_(typmod), subject_(place.subject), what_(place.what) {}

  Value to_wit(Datum d, bool) const override {
    auto [items, nulls, n] = array_elements(d, TEXTOID, -1, false, TYPALIGN_INT, subject_, what_,
                                            "WIT flags " + component::wit_text(wit_));
    uint64_t bits = 0;
    for (int i = 0; i < n; i++) {
      if (nulls[i])
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                       "wasm " + subject_ + ": element " + std::to_string(i + 1) + " of " + what_ +
                           " is NULL, which is not a label of WIT flags " +
                           component::wit_text(wit_),
                       "The labels are " + joined(wit_.names) + ".");
      std::string s = text_of(items[i]);
      auto c = label_index(wit_, s);
      if (!c) bad_label(subject_, what_, wit_, s);
      bits |= uint64_t{1} << *c;
    }
    return Value::u(bits);
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    size_t n = wit_.names.size();
    if (n < 64 && (v.bits >> n) != 0)
      throw component::CabiError("flags " + component::wit_text(wit_) + " with unknown bits set");
    std::vector<Datum> items;
    for (size_t i = 0; i < n; i++)
      if (v.bits & (uint64_t{1} << i)) items.push_back(text_datum(wit_.names[i]));
    *isnull = false;
    return pg_guard([&] {
      if (items.empty()) return PointerGetDatum(construct_empty_array(TEXTOID));
      return PointerGetDatum(construct_array(items.data(), static_cast<int>(items.size()), TEXTOID,
                                             -1, false, TYPALIGN_INT));
    });
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, typmod_); }

 private:
  const Type &wit_;
  Oid type_;
  int32 typmod_;
  std::string subject_, what_;
};

// ---- variants as jsonb ----

// WIT values as JSON, the shape jco gives JavaScript: numbers (64-bit ones
// exact), strings, lists and tuples as arrays, records as objects by WIT
// field name, none as null, enums as their label, flags as an array of
// labels, variants and results as {"tag": case, "val": payload}.
class Json {
 public:
  Json(std::string subject, std::string what)
      : subject_(std::move(subject)), what_(std::move(what)) {}

  void write(const Type &t, const Value &v, std::string &out) const {
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
      case Kind::F64: write_float(t.kind, v.f, out); return;
      case Kind::Char: {
        std::string s;
        toolkit::append_utf8(s, static_cast<uint32_t>(v.bits));
        toolkit::append_json_string(out, s);
        return;
      }
      case Kind::String: toolkit::append_json_string(out, v.s); return;
      case Kind::List:
      case Kind::Tuple: {
        out += '[';
        for (size_t i = 0; i < v.items.size(); i++) {
          if (i) out += ", ";
          write(*(t.kind == Kind::List ? t.items[0] : t.items.at(i)), v.items[i], out);
        }
        out += ']';
        return;
      }
      case Kind::Record: {
        out += '{';
        for (size_t i = 0; i < t.items.size(); i++) {
          if (i) out += ", ";
          toolkit::append_json_string(out, t.names[i]);
          out += ": ";
          write(*t.items[i], v.items.at(i), out);
        }
        out += '}';
        return;
      }
      case Kind::Option:
        if (v.case_index() == 0)
          out += "null";
        else
          write(*t.items[0], *v.payload(), out);
        return;
      case Kind::Enum:
        toolkit::append_json_string(out, t.names[component::checked_case(v.bits, t.names.size())]);
        return;
      case Kind::Flags: {
        out += '[';
        bool first = true;
        for (size_t i = 0; i < t.names.size(); i++)
          if (v.bits & (uint64_t{1} << i)) {
            if (!first) out += ", ";
            first = false;
            toolkit::append_json_string(out, t.names[i]);
          }
        out += ']';
        return;
      }
      case Kind::Variant:
      case Kind::Result: {
        size_t cases = component::case_count(t);
        uint32_t c = component::checked_case(v.bits, cases);
        out += "{\"tag\": ";
        toolkit::append_json_string(out, case_name(t, c));
        const Type *payload = component::case_payload(t, c);
        if (payload && v.payload()) {
          out += ", \"val\": ";
          write(*payload, *v.payload(), out);
        }
        out += '}';
        return;
      }
      case Kind::Own:
      case Kind::Borrow: break;
    }
    throw component::CabiError("a " + component::wit_text(t) + " cannot be JSON");
  }

  Value read(const Type &t, const JsonbValue &jv, const std::string &path) const {
    switch (t.kind) {
      case Kind::Bool:
        if (jv.type != jbvBool) wrong(t, path, "true or false");
        return Value::u(jv.val.boolean ? 1 : 0);
      case Kind::S8: return Value::i(integer<int64_t>(t, jv, path, INT8_MIN, INT8_MAX));
      case Kind::S16: return Value::i(integer<int64_t>(t, jv, path, INT16_MIN, INT16_MAX));
      case Kind::S32: return Value::i(integer<int64_t>(t, jv, path, INT32_MIN, INT32_MAX));
      case Kind::S64: return Value::i(integer<int64_t>(t, jv, path, INT64_MIN, INT64_MAX));
      case Kind::U8: return Value::u(integer<uint64_t>(t, jv, path, 0, UINT8_MAX));
      case Kind::U16: return Value::u(integer<uint64_t>(t, jv, path, 0, UINT16_MAX));
      case Kind::U32: return Value::u(integer<uint64_t>(t, jv, path, 0, UINT32_MAX));
      case Kind::U64: return Value::u(integer<uint64_t>(t, jv, path, 0, UINT64_MAX));
      case Kind::F32:
      case Kind::F64: return Value::real(real(t, jv, path));
      case Kind::Char: {
        if (jv.type != jbvString) wrong(t, path, "a string of one character");
        std::string s = utf8_of(jv);
        auto cp = toolkit::single_code_point(s);
        if (!cp) wrong(t, path, "a string of one character");
        return Value::u(*cp);
      }
      case Kind::String:
        if (jv.type != jbvString) wrong(t, path, "a string");
        return Value::str(utf8_of(jv));
      case Kind::List: {
        JsonbContainer *c = container(jv, false, t, path, "an array");
        uint32_t n = pg_guard([&] { return JsonContainerSize(c); });
        Value v;
        v.items.reserve(n);
        for (uint32_t i = 0; i < n; i++)
          v.items.push_back(read(*t.items[0], element(c, i), path + "[" + std::to_string(i) + "]"));
        return v;
      }
      case Kind::Tuple: {
        JsonbContainer *c = container(jv, false, t, path, "an array");
        uint32_t n = pg_guard([&] { return JsonContainerSize(c); });
        if (n != t.items.size())
          wrong(t, path, "an array of " + std::to_string(t.items.size()) + " values");
        Value v;
        for (uint32_t i = 0; i < n; i++)
          v.items.push_back(read(*t.items[i], element(c, i), path + "[" + std::to_string(i) + "]"));
        return v;
      }
      case Kind::Record: {
        JsonbContainer *c = container(jv, true, t, path, "an object");
        uint32_t keys = pg_guard([&] { return JsonContainerSize(c); });
        uint32_t found = 0;
        Value v;
        for (size_t i = 0; i < t.items.size(); i++) {
          const JsonbValue *f = member(c, t.names[i]);
          std::string at = path + "." + t.names[i];
          if (f) {
            found++;
            v.items.push_back(read(*t.items[i], *f, at));
          } else if (t.items[i]->kind == Kind::Option) {
            v.items.push_back(Value::none());
          } else {
            wrong(t, path,
                  "an object with the fields " + joined(t.names) + " (" + t.names[i] +
                      " is missing)");
          }
        }
        if (found != keys) wrong(t, path, "an object with only the fields " + joined(t.names));
        return v;
      }
      case Kind::Option:
        if (jv.type == jbvNull) return Value::none();
        return Value::some(read(*t.items[0], jv, path));
      case Kind::Enum: {
        if (jv.type != jbvString) wrong(t, path, "one of the labels " + joined(t.names));
        std::string s = utf8_of(jv);
        auto c = label_index(t, s);
        if (!c) wrong(t, path, "one of the labels " + joined(t.names));
        return Value::of_case(*c);
      }
      case Kind::Flags: {
        JsonbContainer *c = container(jv, false, t, path, "an array of labels");
        uint32_t n = pg_guard([&] { return JsonContainerSize(c); });
        uint64_t bits = 0;
        for (uint32_t i = 0; i < n; i++) {
          JsonbValue e = element(c, i);
          std::optional<uint32_t> l;
          if (e.type == jbvString) l = label_index(t, utf8_of(e));
          if (!l) wrong(t, path, "an array of the labels " + joined(t.names));
          bits |= uint64_t{1} << *l;
        }
        return Value::u(bits);
      }
      case Kind::Variant:
      case Kind::Result: return read_case(t, jv, path);
      case Kind::Own:
      case Kind::Borrow: break;
    }
    wrong(t, path, "a value the host can make");
  }

 private:
  static std::string case_name(const Type &t, uint32_t c) {
    if (t.kind == Kind::Result) return c == 0 ? "ok" : "err";
    return t.names.at(c);
  }

  std::string cases_of(const Type &t) const {
    std::vector<std::string> cases;
    size_t n = component::case_count(t);
    for (size_t c = 0; c < n; c++) {
      std::string name = case_name(t, static_cast<uint32_t>(c));
      if (const Type *p = component::case_payload(t, static_cast<uint32_t>(c)))
        name += "(" + component::wit_text(*p) + ")";
      cases.push_back(name);
    }
    return joined(cases);
  }

  Value read_case(const Type &t, const JsonbValue &jv, const std::string &path) const {
    std::string shape =
        "{\"tag\": <case>, \"val\": <payload>} (no \"val\" for a case without "
        "payload) with one of the cases " +
        cases_of(t);
    if (jv.type != jbvBinary || !JsonContainerIsObject(jv.val.binary.data)) wrong(t, path, shape);
    JsonbContainer *c = jv.val.binary.data;
    uint32_t keys = pg_guard([&] { return JsonContainerSize(c); });
    const JsonbValue *tag = member(c, "tag");
    if (!tag || tag->type != jbvString) wrong(t, path, shape);
    std::string name = utf8_of(*tag);
    size_t cases = component::case_count(t);
    std::optional<uint32_t> found;
    for (size_t i = 0; i < cases && !found; i++)
      if (case_name(t, static_cast<uint32_t>(i)) == name) found = static_cast<uint32_t>(i);
    if (!found) wrong(t, path, shape);
    const Type *payload = component::case_payload(t, *found);
    const JsonbValue *val = member(c, "val");
    if (keys != 1u + (val ? 1u : 0u)) wrong(t, path, shape);
    if (!payload) {
      if (val) wrong(t, path, shape);
      return Value::of_case(*found);
    }
    if (!val) {
      // An option payload may be left out: none.
      if (payload->kind == Kind::Option) return Value::of_case(*found, Value::none());
      wrong(t, path, shape);
    }
    return Value::of_case(*found, read(*payload, *val, path + ".val"));
  }

  [[noreturn]] void wrong(const Type &t, const std::string &path,
                          const std::string &expected) const {
    throw SqlError(ERRCODE_INVALID_TEXT_REPRESENTATION,
                   "wasm " + subject_ + ": " + what_ + " is not a JSON value of WIT type " +
                       component::wit_text(t) + " at " + path,
                   "Expected " + expected + ".");
  }

  JsonbContainer *container(const JsonbValue &jv, bool object, const Type &t,
                            const std::string &path, const std::string &expected) const {
    if (jv.type != jbvBinary) wrong(t, path, expected);
    JsonbContainer *c = jv.val.binary.data;
    bool is_object = JsonContainerIsObject(c);
    if (is_object != object) wrong(t, path, expected);
    return c;
  }

  static JsonbValue element(JsonbContainer *c, uint32_t i) {
    return pg_guard([&] { return *getIthJsonbValueFromContainer(c, i); });
  }

  static const JsonbValue *member(JsonbContainer *c, const std::string &key) {
    return pg_guard([&] {
      JsonbValue k;
      k.type = jbvString;
      k.val.string.val = const_cast<char *>(key.data());
      k.val.string.len = static_cast<int>(key.size());
      return static_cast<const JsonbValue *>(findJsonbValueFromContainer(c, JB_FOBJECT, &k));
    });
  }

  // A JSON string's text, from the database's encoding to UTF-8.
  static std::string utf8_of(const JsonbValue &jv) {
    return pg_guard([&] {
      const char *s = jv.val.string.val;
      int len = jv.val.string.len;
      char *u = pg_server_to_any(s, len, PG_UTF8);
      return u == s ? std::string(s, len) : std::string(u);
    });
  }

  static std::string numeric_text(const JsonbValue &jv) {
    return pg_guard([&] {
      return std::string(
          DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(jv.val.numeric))));
    });
  }

  template <typename T>
  T integer(const Type &t, const JsonbValue &jv, const std::string &path, T lo, T hi) const {
    if (jv.type != jbvNumeric) wrong(t, path, "an integer");
    std::string s = numeric_text(jv);
    // 5.0 is the integer 5; 5.5 is not.
    size_t dot = s.find('.');
    if (dot != std::string::npos) {
      if (s.find_first_not_of('0', dot + 1) != std::string::npos) wrong(t, path, "an integer");
      s.resize(dot);
    }
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "wasm " + subject_ + ": " + what_ + " holds " + s + " at " + path +
                         ", out of range for WIT type " + component::wit_text(t));
    return v;
  }

  double real(const Type &t, const JsonbValue &jv, const std::string &path) const {
    double d;
    if (jv.type == jbvString) {
      std::string s = utf8_of(jv);
      if (s == "NaN")
        d = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity")
        d = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity")
        d = -std::numeric_limits<double>::infinity();
      else
        wrong(t, path, "a number, or \"NaN\", \"Infinity\" or \"-Infinity\"");
      return d;
    }
    if (jv.type != jbvNumeric)
      wrong(t, path, "a number, or \"NaN\", \"Infinity\" or \"-Infinity\"");
    std::string s = numeric_text(jv);
    d = std::strtod(s.c_str(), nullptr);
    bool too_big =
        std::isinf(d) || (t.kind == Kind::F32 && std::fabs(d) > std::numeric_limits<float>::max());
    if (too_big)
      throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "wasm " + subject_ + ": " + what_ + " holds " + s + " at " + path +
                         ", out of range for WIT type " + component::wit_text(t));
    if (t.kind == Kind::F32) d = static_cast<float>(d);
    return d;
  }

  static void write_float(Kind k, double f, std::string &out) {
    if (std::isnan(f)) {
      out += "\"NaN\"";
    } else if (std::isinf(f)) {
      out += f > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
      char buf[64];
      auto r = k == Kind::F32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(f))
                              : std::to_chars(buf, buf + sizeof buf, f);
      out.append(buf, r.ptr);
    }
  }

  std::string subject_, what_;
};

class VariantMap : public ValueMap {
 public:
  VariantMap(const Type &wit, Oid type, const MapPlace &place)
      : wit_(wit), type_(type), json_(place.subject, place.what) {}

  Value to_wit(Datum d, bool) const override {
    JsonbValue root;
    pg_guard([&] {
      Jsonb *jb = DatumGetJsonbP(d);
      if (JB_ROOT_IS_SCALAR(jb)) {
        JsonbExtractScalar(&jb->root, &root);
      } else {
        root.type = jbvBinary;
        root.val.binary.data = &jb->root;
        root.val.binary.len = static_cast<int>(VARSIZE(jb) - VARHDRSZ);
      }
    });
    return json_.read(wit_, root, "$");
  }

  Datum to_sql(const Value &v, bool *isnull) const override {
    std::string text;
    json_.write(wit_, v, text);
    *isnull = false;
    return pg_guard([&] {
      char *s = pg_any_to_server(text.c_str(), static_cast<int>(text.size()), PG_UTF8);
      return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
    });
  }

  std::string wit_name() const override { return component::wit_text(wit_); }
  std::string sql_name() const override { return sql_type_name(type_, -1); }

 private:
  const Type &wit_;
  Oid type_;
  Json json_;
};

bool is_text_type(Oid t) {
  return t == TEXTOID || t == VARCHAROID;
}

}  // namespace

std::string sql_name_of(const std::string &wit_name) {
  std::string s = wit_name;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::unique_ptr<ValueMap> map_composite_value(const Type &wit, Oid sql_type, int32 typmod,
                                              const MapPlace &place, MemoryContext mcxt) {
  switch (wit.kind) {
    case Kind::Record:
    case Kind::Tuple: {
      refuse_resources(wit, place);
      // Named composite types only (a domain over one would need its checks).
      bool composite = pg_guard([&] { return get_typtype(sql_type) == TYPTYPE_COMPOSITE; });
      if (!composite)
        mismatch(place, wit, sql_type, typmod,
                 wit.kind == Kind::Record
                     ? "A WIT record is a composite type with an attribute for each field."
                     : "A WIT tuple is a composite type with an attribute for each value, in "
                       "order.");
      TupleDesc desc = pg_guard([&] { return lookup_rowtype_tupdesc_copy(sql_type, typmod); });
      auto map = std::make_unique<RecordMap>(wit, sql_type, typmod, place, mcxt, desc);
      pg_guard([&] { FreeTupleDesc(desc); });  // the map keeps its copy in mcxt
      return map;
    }
    case Kind::List: {
      // list<u8> as bytea is a scalar map's.
      if (sql_type == BYTEAOID && wit.items[0]->kind == Kind::U8) return nullptr;
      refuse_resources(wit, place);
      Oid elem = pg_guard([&] { return get_element_type(sql_type); });
      if (elem == InvalidOid)
        mismatch(place, wit, sql_type, typmod,
                 "A WIT list is an array of its element type (list<u8> is also bytea).");
      return std::make_unique<ListMap>(wit, sql_type, typmod, elem, place, mcxt);
    }
    case Kind::Enum: {
      if (is_text_type(sql_type))
        return std::make_unique<EnumTextMap>(wit, sql_type, typmod, place);
      bool is_enum = pg_guard([&] { return type_is_enum(sql_type); });
      if (is_enum) return std::make_unique<EnumPgMap>(wit, sql_type, place);
      mismatch(place, wit, sql_type, typmod,
               "A WIT enum is text (a label) or a SQL enum with the same labels.");
    }
    case Kind::Flags:
      if (sql_type != TEXTARRAYOID)
        mismatch(place, wit, sql_type, typmod, "WIT flags are text[] (the labels set).");
      return std::make_unique<FlagsMap>(wit, sql_type, typmod, place);
    case Kind::Variant:
      refuse_resources(wit, place);
      if (sql_type != JSONBOID)
        mismatch(place, wit, sql_type, typmod,
                 "A WIT variant is jsonb: {\"tag\": <case>, \"val\": <payload>}.");
      return std::make_unique<VariantMap>(wit, sql_type, place);
    default: return nullptr;
  }
}

std::unique_ptr<RowMap> map_row(const Type &wit, TupleDesc desc, const MapPlace &place,
                                MemoryContext mcxt) {
  if (wit.kind != Kind::Record && wit.kind != Kind::Tuple)
    throw SqlError(ERRCODE_DATATYPE_MISMATCH,
                   "wasm " + place.subject + ": " + place.what + " has WIT type " +
                       component::wit_text(wit) + ", which cannot be a row of several columns",
                   "Only a WIT record or tuple fills the columns of a row.");
  refuse_resources(wit, place);
  return std::make_unique<RowMapImpl>(wit, desc, place, mcxt);
}

}  // namespace pgwasm::pg
