// Planning a foreign scan: the plan node of the path PostgreSQL chose, and
// the planner's callbacks (the paths are plan_paths.cc's).
#include "fdw/callbacks.h"
#include "fdw/planning.h"
#include "pg/owned.h"

extern "C" {
#include "optimizer/clauses.h"
}

namespace pgwasm::fdw {

using pg::pg_guard;

namespace planning {

namespace {

ForeignScan *get_plan(PlannerInfo *root, RelOptInfo *foreignrel, Oid, ForeignPath *best_path,
                      List *tlist, List *scan_clauses, Plan *outer_plan) {
  // A final path (LIMIT pushed) is a scan of an upper relation: of the
  // table, with a target list of its own.
  bool upper = IS_UPPER_REL(foreignrel);
  RelOptInfo *baserel = upper ? only_base_rel(root) : foreignrel;
  auto *rp = static_cast<RelPlan *>(baserel->fdw_private);
  const PathPlan &path = rp->paths.at(intVal(linitial(best_path->fdw_private)));
  ScanPlan plan;
  List *fdw_exprs = NIL;
  List *local = NIL;
  ListCell *c;
  foreach (c, scan_clauses) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    if (!is_exact(path, rinfo) && !rinfo->pseudoconstant)
      local = pg_guard([&] { return lappend(local, rinfo->clause); });
  }
  for (size_t i = 0; i < path.candidates.size(); i++) {
    const Candidate &cand = path.candidates[i];
    PushedQual q = cand.qual;
    q.exact = path.result.exact.count(i) > 0;
    if (cand.value) {
      q.value = list_length(fdw_exprs);
      fdw_exprs = pg_guard([&] { return lappend(fdw_exprs, cand.value); });
    }
    plan.quals.push_back(std::move(q));
  }
  plan.sorts = path.sorts;
  plan.limit = path.limit;
  plan.offset = path.offset;
  plan.hints = path.hints;
  // The columns the rows must give: those the query reads, and those of
  // the quals PostgreSQL rechecks.
  Bitmapset *attrs = nullptr;
  pg_guard([&] {
    Node *read = upper ? reinterpret_cast<Node *>(tlist)
                       : reinterpret_cast<Node *>(baserel->reltarget->exprs);
    pull_varattnos(read, baserel->relid, &attrs);
    pull_varattnos(reinterpret_cast<Node *>(local), baserel->relid, &attrs);
  });
  bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
  for (size_t i = 0; i < rp->table_guest.table.columns.size(); i++) {
    int attnum = rp->table_guest.table.columns[i].attnum;
    if (whole_row || bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
      plan.targets.push_back(static_cast<int>(i));
  }
  List *priv = scan_plan_to_list(plan);
  if (!upper)
    return pg_guard([&] {
      return make_foreignscan(tlist, local, baserel->relid, fdw_exprs, priv, NIL, NIL, outer_plan);
    });
  // The scan's tuples are the target columns, in order; the plan's target
  // list is computed from them.
  return pg_guard([&] {
    List *scan_tlist = NIL;
    for (size_t i = 0; i < plan.targets.size(); i++) {
      const ColumnInfo &col = rp->table_guest.table.columns[plan.targets[i]];
      Var *var = makeVar(baserel->relid, static_cast<AttrNumber>(col.attnum), col.type, col.typmod,
                         get_typcollation(col.type), 0);
      scan_tlist =
          lappend(scan_tlist, makeTargetEntry(reinterpret_cast<Expr *>(var),
                                              static_cast<AttrNumber>(i + 1), nullptr, false));
    }
    return make_foreignscan(tlist, NIL, 0, fdw_exprs, priv, scan_tlist, NIL, outer_plan);
  });
}

}  // namespace

}  // namespace planning

void set_plan_callbacks(FdwRoutine *routine) {
  using namespace planning;
  routine->GetForeignRelSize = [](PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
    pg::cpp_entry([&] { get_rel_size(root, baserel, relid); });
  };
  routine->GetForeignPaths = [](PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
    pg::cpp_entry([&] { get_paths(root, baserel, relid); });
  };
  routine->GetForeignUpperPaths = [](PlannerInfo *root, UpperRelationKind stage,
                                     RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra) {
    pg::cpp_entry([&] { get_upper_paths(root, stage, input_rel, output_rel, extra); });
  };
  routine->GetForeignPlan = [](PlannerInfo *root, RelOptInfo *baserel, Oid relid,
                               ForeignPath *best_path, List *tlist, List *scan_clauses,
                               Plan *outer_plan) {
    return pg::cpp_entry(
        [&] { return get_plan(root, baserel, relid, best_path, tlist, scan_clauses, outer_plan); });
  };
}

}  // namespace pgwasm::fdw
