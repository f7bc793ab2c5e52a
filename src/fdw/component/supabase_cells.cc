#include "fdw/component/supabase_cells.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "services/rfc3339.h"
#include "toolkit/msgpack_reader.h"
#include "toolkit/utf8.h"

namespace pgwasm::fdw {

using component::CabiError;
using component::Value;
using component::WitVersion;
using component::World;
using toolkit::MsgpackReader;
using MsgpackType = MsgpackReader::Type;

namespace {

enum Case : uint32_t {
  kBool,
  kI8,
  kI16,
  kF32,
  kI32,
  kF64,
  kI64,
  kNumeric,
  kString,
  kDate,
  kTimestamp,
  kTimestamptz,
  kJson,
  kUuid,
  kOther
};
constexpr int64_t kPgEpochSecs = 946'684'800;  // 2000-01-01 in Unix seconds
constexpr int64_t kSecsPerDay = 86'400;
constexpr uint32_t kMaxItems = 100'000;  // columns, quals, options, cells of one input

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string text_of(const MsgpackReader::Value &v, const char *what) {
  if (v.type != MsgpackType::Str) throw CabiError(std::string(what) + " is not a string");
  return std::string(v.bytes);
}

int64_t int_of(const MsgpackReader::Value &v, const char *what) {
  if (v.type == MsgpackType::Int) return v.i;
  if (v.type == MsgpackType::UInt && v.u <= INT64_MAX) return static_cast<int64_t>(v.u);
  throw CabiError(std::string(what) + " is not an integer");
}

// Microseconds since 1970 of the host's text for a date or timestamp.
int64_t micros_of(std::string text, uint32_t c) {
  if (c == kDate) text += "T00:00:00Z";
  if (c == kTimestamp) text += "Z";
  auto m = services::parse_rfc3339(text);
  if (!m) throw CabiError("the value \"" + text.substr(0, 40) + "\" has no cell of Supabase's");
  return *m;
}

// One cell of a column type from the host's MessagePack; nullopt for nil.
std::optional<Value> read_cell(MsgpackReader &r, const std::string &type, WitVersion v) {
  auto x = r.next();
  if (x.type == MsgpackType::Nil) return std::nullopt;
  // The host writes one scalar per cell; a container is a bug on its side.
  if (x.type == MsgpackType::Array || x.type == MsgpackType::Map)
    throw CabiError("a value of type " + type + " (an array or a map) has no cell in " +
                    "supabase:wrappers");
  uint32_t c = cell_case(type, v);
  auto number = [&]() -> double {
    if (x.type == MsgpackType::Float) return x.f;
    if (x.type == MsgpackType::Int) return static_cast<double>(x.i);
    if (x.type == MsgpackType::UInt) return static_cast<double>(x.u);
    if (x.type == MsgpackType::Str) return std::strtod(std::string(x.bytes).c_str(), nullptr);
    throw CabiError("a value of type " + type + " is not a number");
  };
  switch (c) {
    case kBool:
      return Value::of_case(c, Value::u(x.type == MsgpackType::Bool ? x.boolean : number() != 0));
    case kI8:
    case kI16:
    case kI32:
    case kI64:
      return Value::of_case(
          c, Value::i(x.type == MsgpackType::Str ? std::atoll(std::string(x.bytes).c_str())
                                                 : int_of(x, "an integer cell")));
    case kF32:
    case kF64:
    case kNumeric: return Value::of_case(c, Value::real(number()));
    case kDate:
      return Value::of_case(c, Value::i(floor_div(micros_of(text_of(x, "a date"), c), 1'000'000)));
    case kTimestamp:
    case kTimestamptz: return Value::of_case(c, Value::i(micros_of(text_of(x, "a timestamp"), c)));
    default: {
      std::string s = x.type == MsgpackType::Str || x.type == MsgpackType::Bin
                          ? std::string(x.bytes)
                      : x.type == MsgpackType::Bool  ? (x.boolean ? "true" : "false")
                      : x.type == MsgpackType::Float ? std::to_string(x.f)
                      : x.type == MsgpackType::Int   ? std::to_string(x.i)
                                                     : std::to_string(x.u);
      return Value::of_case(c, Value::str(lossy_utf8(s)));
    }
  }
}

OptionList read_options(MsgpackReader &r) {
  auto m = r.next();
  if (m.type != MsgpackType::Map || m.count > kMaxItems) throw CabiError("options are not a map");
  OptionList out;
  for (uint32_t i = 0; i < m.count; i++) {
    std::string k = text_of(r.next(), "an option name");
    out.emplace_back(std::move(k), text_of(r.next(), "an option value"));
  }
  return out;
}

std::string supabase_operator(const std::string &op) {
  if (op == "is_null") return "is";
  if (op == "is_not_null") return "is not";
  return op;
}

}  // namespace

uint32_t cell_case(const std::string &type, WitVersion v) {
  if (type == "boolean") return kBool;
  if (type == "\"char\"") return kI8;
  if (type == "smallint") return kI16;
  if (type == "real") return kF32;
  if (type == "integer") return kI32;
  if (type == "double precision") return kF64;
  if (type == "bigint") return kI64;
  if (type.starts_with("numeric")) return kNumeric;
  if (type == "date") return kDate;
  if (type.starts_with("timestamp")) {
    if (type.find("with time zone") != std::string::npos &&
        type.find("without") == std::string::npos)
      return kTimestamptz;
    return kTimestamp;
  }
  if (type == "json" || type == "jsonb") return kJson;
  if (v == WitVersion::V2 && type == "uuid") return kUuid;
  if (v == WitVersion::V2 && !(type == "text" || type.starts_with("character") || type == "name"))
    return kOther;
  return kString;
}

Value type_oid_of(const ColumnDesc &c, WitVersion v) {
  uint32_t k = cell_case(c.type, v);
  return k == kOther ? Value::of_case(k, Value::str(c.type)) : Value::of_case(k);
}

uint32_t type_oid_number(const std::string &type) {
  static const std::pair<const char *, uint32_t> oids[] = {{"boolean", 16},
                                                           {"\"char\"", 18},
                                                           {"bigint", 20},
                                                           {"smallint", 21},
                                                           {"integer", 23},
                                                           {"text", 25},
                                                           {"json", 114},
                                                           {"real", 700},
                                                           {"double precision", 701},
                                                           {"date", 1082},
                                                           {"timestamp without time zone", 1114},
                                                           {"timestamp with time zone", 1184},
                                                           {"numeric", 1700},
                                                           {"uuid", 2950},
                                                           {"jsonb", 3802}};
  for (const auto &[n, o] : oids)
    if (type == n) return o;
  return 0;
}

void StatementState::read_input(std::string_view msgpack, const World &world) {
  WitVersion v = world.version;
  try {
    MsgpackReader r(msgpack);
    auto m = r.next();
    if (m.type != MsgpackType::Map) throw CabiError("the routine's input is not a map");
    std::vector<int> targets;
    bool has_targets = false;
    struct RawQual {
      int column;
      std::string op;
      std::string_view value;  // the MessagePack of the value, or empty
      bool any = false, param = false;
    };
    for (uint32_t i = 0; i < m.count; i++) {
      auto key = r.next_key();
      std::string k = key ? std::string(*key) : "";
      if (k == "server") {
        server = read_options(r);
      } else if (k == "table") {
        table = read_options(r);
      } else if (k == "user") {
        user = read_options(r);
      } else if (k == "options") {
        import = read_options(r);
      } else if (k == "columns") {
        auto a = r.next();
        if (a.type != MsgpackType::Array || a.count > kMaxItems)
          throw CabiError("columns not an array");
        all_columns.clear();
        for (uint32_t c = 0; c < a.count; c++) {
          auto cm = r.next();
          if (cm.type != MsgpackType::Map) throw CabiError("a column is not a map");
          ColumnDesc d;
          for (uint32_t f = 0; f < cm.count; f++) {
            auto fk = r.next_key();
            if (fk == "name")
              d.name = text_of(r.next(), "a column name");
            else if (fk == "type")
              d.type = text_of(r.next(), "a column type");
            else if (fk == "num")
              d.num = static_cast<int>(int_of(r.next(), "a column number"));
            else
              r.skip();
          }
          all_columns.push_back(std::move(d));
        }
      } else if (k == "targets") {
        auto a = r.next();
        if (a.type != MsgpackType::Array || a.count > kMaxItems)
          throw CabiError("targets not an array");
        has_targets = true;
        for (uint32_t t = 0; t < a.count; t++)
          targets.push_back(static_cast<int>(int_of(r.next(), "a target")));
      } else if (k == "quals") {
        auto a = r.next();
        if (a.type != MsgpackType::Array || a.count > kMaxItems)
          throw CabiError("quals not an array");
        quals.clear();
        std::vector<QualDesc> out;
        for (uint32_t q = 0; q < a.count; q++) {
          auto qm = r.next();
          if (qm.type != MsgpackType::Map) throw CabiError("a qual is not a map");
          QualDesc d;
          std::optional<std::string> value_bytes;
          bool any = false;
          std::vector<std::optional<Value>> values;
          // The value's column is known once "column" is read: it comes first.
          for (uint32_t f = 0; f < qm.count; f++) {
            auto fk = r.next_key();
            if (fk == "column") {
              d.column = static_cast<int>(int_of(r.next(), "a qual's column"));
            } else if (fk == "op") {
              d.op = supabase_operator(text_of(r.next(), "a qual's operator"));
            } else if (fk == "any") {
              any = r.next().boolean;
            } else if (fk == "param") {
              d.param = r.next().boolean;
            } else if (fk == "value") {
              if (d.column < 0 || static_cast<size_t>(d.column) >= all_columns.size())
                throw CabiError("a qual's column is not one of the table's");
              const std::string &type = all_columns[d.column].type;
              MsgpackReader peek = r;
              auto head = peek.next();
              if (head.type == MsgpackType::Array) {
                r.next();
                for (uint32_t e = 0; e < head.count && e < kMaxItems; e++)
                  values.push_back(read_cell(r, type, v));
              } else {
                values.push_back(read_cell(r, type, v));
              }
            } else {
              r.skip();
            }
          }
          if (d.column < 0 || static_cast<size_t>(d.column) >= all_columns.size())
            throw CabiError("a qual's column is not one of the table's");
          d.field = all_columns[d.column].name;
          auto null_cell = [] { return Value::of_case(kString, Value::str("null")); };
          if (any) {
            Value list;
            for (auto &c : values) list.items.push_back(c ? *c : null_cell());
            d.value = Value::of_case(1, std::move(list));
            d.use_or = true;
          } else {
            d.value = Value::of_case(0, !values.empty() && values[0] ? *values[0] : null_cell());
          }
          if (d.param) {
            d.param_id = q;
            d.param_type = type_oid_number(all_columns[d.column].type);
          }
          out.push_back(std::move(d));
        }
        quals = std::move(out);
      } else if (k == "sorts") {
        auto a = r.next();
        if (a.type != MsgpackType::Array || a.count > kMaxItems)
          throw CabiError("sorts not an array");
        sorts.clear();
        for (uint32_t s = 0; s < a.count; s++) {
          auto sm = r.next();
          if (sm.type != MsgpackType::Map) throw CabiError("a sort is not a map");
          SortDesc d;
          int col = -1;
          for (uint32_t f = 0; f < sm.count; f++) {
            auto fk = r.next_key();
            if (fk == "column")
              col = static_cast<int>(int_of(r.next(), "a sort's column"));
            else if (fk == "desc")
              d.reversed = r.next().boolean;
            else if (fk == "nulls_first")
              d.nulls_first = r.next().boolean;
            else
              r.skip();
          }
          if (col < 0 || static_cast<size_t>(col) >= all_columns.size())
            throw CabiError("a sort's column is not one of the table's");
          d.field = all_columns[col].name;
          d.num = all_columns[col].num;
          sorts.push_back(std::move(d));
        }
      } else if (k == "limit") {
        limit = int_of(r.next(), "the limit");
      } else if (k == "offset") {
        offset = int_of(r.next(), "the offset");
      } else if (k == "rowid_column") {
        rowid_column = static_cast<int>(int_of(r.next(), "rowid_column"));
      } else if (k == "row") {
        auto a = r.next();
        if (a.type != MsgpackType::Array || a.count != all_columns.size())
          throw CabiError("a row without one cell per column");
        row.clear();
        for (uint32_t c = 0; c < a.count; c++) row.push_back(read_cell(r, all_columns[c].type, v));
      } else if (k == "rowid") {
        if (!rowid_column || static_cast<size_t>(*rowid_column) >= all_columns.size())
          throw CabiError("a rowid without a rowid_column");
        rowid = read_cell(r, all_columns[*rowid_column].type, v);
      } else if (k == "params") {
        auto a = r.next();
        if (a.type != MsgpackType::Array) throw CabiError("params not an array");
        uint32_t n = 0;
        for (auto &q : quals) {
          if (!q.param) continue;
          if (n++ >= a.count) break;
          auto c = read_cell(r, all_columns[q.column].type, v);
          q.value = Value::of_case(0, c ? *c : Value::of_case(kString, Value::str("null")));
        }
        for (; n < a.count; n++) r.skip();
      } else if (k == "remote_schema") {
        remote_schema = text_of(r.next(), "remote_schema");
      } else if (k == "local_schema") {
        local_schema = text_of(r.next(), "local_schema");
      } else {
        r.skip();
      }
    }
    if (has_targets) {
      context_columns.clear();
      for (int t : targets) {
        if (t < 0 || static_cast<size_t>(t) >= all_columns.size())
          throw CabiError("a target is not one of the table's columns");
        context_columns.push_back(all_columns[t]);
      }
    }
  } catch (const toolkit::MsgpackError &e) {
    throw CabiError(std::string("the host's input is not MessagePack: ") + e.what());
  }
}

namespace {

void pack_cell(pg::MsgpackPacker &p, uint32_t c, uint64_t bits, double f, std::string_view s) {
  auto i = static_cast<int64_t>(bits);
  switch (c) {
    case kBool: bits ? p.pack_true() : p.pack_false(); return;
    case kI8:
    case kI16:
    case kI32:
    case kI64: p.pack_int64(i); return;
    case kF32: p.pack_float(static_cast<float>(f)); return;
    case kF64:
    case kNumeric: p.pack_double(f); return;
    // The host reads ints as days and microseconds since 2000-01-01.
    case kDate: p.pack_int64(floor_div(i - kPgEpochSecs, kSecsPerDay)); return;
    case kTimestamp:
    case kTimestamptz: p.pack_int64(i - kPgEpochSecs * 1'000'000); return;
    default:
      p.pack_str(static_cast<uint32_t>(s.size()));
      p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
  }
}

}  // namespace

void pack_cell_value(pg::MsgpackPacker &p, const Value &cell) {
  const Value *x = cell.payload();
  if (!x) {
    p.pack_nil();
    return;
  }
  pack_cell(p, cell.case_index(), x->bits, x->f, x->s);
}

void pack_host_cell(pg::MsgpackPacker &p, const HostCell &cell) {
  if (!cell.some) {
    p.pack_nil();
    return;
  }
  pack_cell(p, cell.c, cell.bits, cell.f, cell.s);
}

HostCell host_cell(const std::optional<Value> &cell) {
  HostCell out;
  if (!cell) return out;
  out.some = true;
  out.c = cell->case_index();
  if (const Value *x = cell->payload()) {
    out.bits = x->bits;
    out.f = x->f;
    out.s = x->s;
  }
  return out;
}

std::optional<Value> cell_value(const HostCell &cell) {
  if (!cell.some) return std::nullopt;
  return Value::of_case(cell.c, Value{cell.bits, cell.f, cell.s, {}});
}

std::string cell_to_string(const std::optional<Value> &cell) {
  if (!cell || !cell->payload()) return "null";
  const Value &x = *cell->payload();
  switch (cell->case_index()) {
    case kBool: return x.bits ? "true" : "false";
    case kI8:
    case kI16:
    case kI32:
    case kI64: return std::to_string(x.as_i64());
    case kF32:
    case kF64:
    case kNumeric: {
      // As Rust's Display (Supabase's host): the shortest text that reads
      // back as the same value, never in exponent form.
      if (std::isnan(x.f)) return "NaN";
      if (std::isinf(x.f)) return x.f < 0 ? "-inf" : "inf";
      char buf[400];
      auto r = cell->case_index() == kF32
                   ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(x.f),
                                   std::chars_format::fixed)
                   : std::to_chars(buf, buf + sizeof buf, x.f, std::chars_format::fixed);
      return std::string(buf, r.ptr);
    }
    case kDate:
      try {
        return "'" + services::format_rfc3339(x.as_i64() * 1'000'000).substr(0, 10) + "'";
      } catch (const std::exception &) {
        return "null";
      }
    case kTimestamp:
    case kTimestamptz: try { return "'" + services::format_rfc3339(x.as_i64()) + "'";
      } catch (const std::exception &) {
        return "null";
      }
    case kJson: return x.s;
    default: return "'" + x.s + "'";
  }
}

std::string lossy_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80             ? 0
               : (c & 0xE0) == 0xC0 ? 1
               : (c & 0xF0) == 0xE0 ? 2
               : (c & 0xF8) == 0xF0 ? 3
                                    : 9;
    bool ok = n != 9 && i + n < s.size();
    if (ok && n > 0) {
      ok = toolkit::utf8_valid(s.substr(i, n + 1));
    }
    if (ok) {
      out.append(s.substr(i, n + 1));
      i += n + 1;
    } else {
      out += "\xEF\xBF\xBD";
      i++;
    }
  }
  return out;
}

}  // namespace pgwasm::fdw
