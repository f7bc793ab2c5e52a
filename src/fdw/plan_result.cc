#include "fdw/plan_result.h"

#include <cmath>

#include "fdw/fdw_headers.h"
#include "toolkit/msgpack_reader.h"

namespace pgwasm::fdw {

using toolkit::MsgpackReader;
using Type = MsgpackReader::Type;

namespace {

double number(const FdwGuest &guest, const MsgpackReader::Value &v, std::string_view key) {
  double d = v.type == Type::Float  ? v.f
             : v.type == Type::UInt ? static_cast<double>(v.u)
             : v.type == Type::Int  ? static_cast<double>(v.i)
                                    : -1;
  if (!(d >= 0) || !std::isfinite(d) || d > 1e15)
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "fdw_plan returned " + std::string(key) + " " +
                                                  toolkit::describe(v) +
                                                  ", not a number from 0 to 1e15");
  return d;
}

bool boolean(const FdwGuest &guest, const MsgpackReader::Value &v, std::string_view key) {
  if (v.type != Type::Bool)
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "fdw_plan returned " + std::string(key) + " " +
                                                  toolkit::describe(v) + ", not a bool");
  return v.boolean;
}

}  // namespace

PlanResult parse_plan_result(const FdwGuest &guest, std::string_view bytes, size_t quals) {
  PlanResult result;
  if (bytes.empty()) return result;
  try {
    MsgpackReader r(bytes);
    auto map = r.next();
    if (map.type != Type::Map)
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                 "fdw_plan returned " + toolkit::describe(map) + ", not a map");
    for (uint32_t i = 0; i < map.count; i++) {
      std::string_view k = r.next_key().value_or("");
      if (k == "rows") {
        result.rows = number(guest, r.next(), k);
      } else if (k == "width") {
        result.width = static_cast<int>(std::min(number(guest, r.next(), k), 1e6));
      } else if (k == "startup_cost") {
        result.startup_cost = number(guest, r.next(), k);
      } else if (k == "sort") {
        result.sort = boolean(guest, r.next(), k);
      } else if (k == "limit") {
        result.limit = boolean(guest, r.next(), k);
      } else if (k == "exact") {
        auto arr = r.next();
        if (arr.type != Type::Array)
          guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                     "fdw_plan returned exact " + toolkit::describe(arr) + ", not an array");
        for (uint32_t j = 0; j < arr.count; j++) {
          auto v = r.next();
          if (v.type != Type::UInt || v.u >= quals)
            guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                       "fdw_plan returned " + toolkit::describe(v) +
                           " in exact, not the index of one of the " + std::to_string(quals) +
                           " quals");
          result.exact.insert(static_cast<size_t>(v.u));
        }
      } else {
        r.skip();  // keys of later versions
      }
    }
  } catch (const toolkit::MsgpackError &e) {
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
               std::string("fdw_plan returned invalid MessagePack: ") + e.what());
  }
  return result;
}

}  // namespace pgwasm::fdw
