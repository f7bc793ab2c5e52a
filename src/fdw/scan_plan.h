// What planning a foreign scan decides, as it travels to the executor in
// the plan's fdw_private (PostgreSQL nodes, so plans can be copied and
// cached): the columns the rows give, the quals given to the guest (their
// values are the plan's fdw_exprs) and the order it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/pg_headers.h"

namespace pgwasm::fdw {

struct PushedQual {
  int column = 0;      // index into the table's columns
  std::string op;      // "=", "<", "~~", "is_null", ...
  bool any = false;    // column op ANY(array)
  bool param = false;  // the value may change at a rescan (not a constant)
  bool exact = false;  // the guest applies it exactly: not rechecked
  int value = -1;      // index into fdw_exprs; -1 for is_null / is_not_null
  std::string text;    // for EXPLAIN: "type = 'PushEvent'"
};

struct PushedSort {
  int column = 0;
  bool desc = false;
  bool nulls_first = false;
};

struct ScanPlan {
  std::vector<int> targets;  // indexes into columns: the cells of each row
  std::vector<PushedQual> quals;
  std::vector<PushedSort> sorts;
  std::optional<int64_t> limit;  // LIMIT and OFFSET, when the guest applies them
  int64_t offset = 0;
  // The sorts and the limit are hints (a component's: docs/fdw.md): the
  // guest may use them, PostgreSQL sorts and limits itself.
  bool hints = false;
};

List *scan_plan_to_list(const ScanPlan &plan);
ScanPlan scan_plan_from_list(List *list);

}  // namespace pgwasm::fdw
