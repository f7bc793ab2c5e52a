// What a guest's fdw_plan says (docs/fdw.md, "fdw_plan").
#pragma once

#include <optional>
#include <set>
#include <string_view>

#include "fdw/guest.h"

namespace pgwasm::fdw {

struct PlanResult {
  std::optional<double> rows;
  std::optional<int> width;
  std::optional<double> startup_cost;
  std::set<size_t> exact;  // indexes of quals the guest applies exactly
  bool sort = false;
  bool limit = false;
};

// Reads fdw_plan's result (empty: the defaults); `quals` bounds the
// indexes in "exact". Errors name the guest's routine.
PlanResult parse_plan_result(const FdwGuest &guest, std::string_view bytes, size_t quals);

}  // namespace pgwasm::fdw
