// Planning a foreign scan, the state its parts share: the quals a path
// gives the guest, what the guest said of them (fdw_plan), the order and the
// limit. plan_pushdown.cc decides what may be given to the guest,
// plan_paths.cc makes the paths and their costs, plan.cc the plan node.
#pragma once

#include <optional>
#include <vector>

#include "fdw/context.h"
#include "fdw/fdw_headers.h"
#include "fdw/plan_result.h"
#include "fdw/scan_plan.h"

namespace pgwasm::fdw::planning {

// A qual given to the guest, as planning has it.
struct Candidate {
  RestrictInfo *rinfo;
  PushedQual qual;
  Expr *value = nullptr;  // null for is_null / is_not_null
};

// One path's view of the scan: the quals it gives the guest, what the guest
// said of them, the order and the limit.
struct PathPlan {
  std::vector<Candidate> candidates;
  PlanResult result;
  std::vector<PushedSort> sorts;
  std::optional<int64_t> limit;  // a final path's LIMIT and OFFSET
  int64_t offset = 0;
  bool hints = false;  // sorts and limit told as hints (add_scan_hints)
};

// baserel->fdw_private: planning's state, with the guest fdw_plan runs in.
// Each path's fdw_private is the index of its PathPlan.
struct RelPlan {
  TableGuest table_guest;
  std::vector<Candidate> base;  // from the relation's own quals
  PlanResult base_result;
  double rows = 0;  // after the quals PostgreSQL rechecks
  Cost startup = 0;
  Cost run_per_row = 0;
  std::vector<PathPlan> paths;
};

// ---- plan_pushdown.cc: what the guest may be given

// The qual as the guest would be given it, if it can be: a column of this
// table compared with a value the scan can compute.
std::optional<Candidate> candidate_of(PlannerInfo *root, RestrictInfo *rinfo, Index relid,
                                      const TableConfig &table);
// The query's order as sorts on this relation's columns, if it is one.
std::optional<std::vector<PushedSort>> query_sorts(PlannerInfo *root, RelOptInfo *baserel,
                                                   const TableConfig &table);
// Equivalence members that are this column of this relation.
bool is_column(PlannerInfo *, RelOptInfo *baserel, EquivalenceClass *, EquivalenceMember *em,
               void *arg);

// ---- plan_paths.cc: the paths and their costs

// Whether the guest said it applies this qual exactly on this path.
bool is_exact(const PathPlan &path, RestrictInfo *rinfo);
// The query's one base relation, if it has exactly one.
RelOptInfo *only_base_rel(PlannerInfo *root);
void get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid relid);
void get_paths(PlannerInfo *root, RelOptInfo *baserel, Oid);
void get_upper_paths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                     RelOptInfo *output_rel, void *extra);

}  // namespace pgwasm::fdw::planning
