// Planning a foreign scan: the paths, each with the quals, order and limit
// it gives the guest and what the guest said of them (fdw_plan), and their
// costs; LIMIT and OFFSET pushed into a final path.
#include "fdw/planning.h"
#include "pg/owned.h"

extern "C" {
#include "optimizer/clauses.h"
#include "utils/selfuncs.h"
}

namespace pgwasm::fdw::planning {

using pg::pg_guard;

namespace {

// The plan-time view of a path's scan, for fdw_plan.
ScanPlan plan_view(const RelPlan &rp, const PathPlan &path, std::vector<QualValue> &values) {
  ScanPlan plan;
  for (size_t i = 0; i < rp.table_guest.table.columns.size(); i++)
    plan.targets.push_back(static_cast<int>(i));
  for (const auto &c : path.candidates) {
    PushedQual q = c.qual;
    q.value = c.value ? 0 : -1;
    plan.quals.push_back(q);
    QualValue v;
    if (c.value && IsA(c.value, Const)) {
      auto *k = reinterpret_cast<Const *>(c.value);
      v = {true, k->constvalue, k->constisnull, k->consttype};
    }
    values.push_back(v);
  }
  plan.sorts = path.sorts;
  plan.limit = path.limit;
  plan.offset = path.offset;
  plan.hints = path.hints;
  return plan;
}

// Asks the guest about a path (the defaults when it has no fdw_plan).
void ask_guest(RelPlan &rp, PathPlan &path) {
  if (!rp.table_guest.guest->exports(Routine::Plan)) return;
  std::vector<QualValue> values;
  ScanPlan view = plan_view(rp, path, values);
  std::string input = scan_input(rp.table_guest, view, values);
  path.result =
      parse_plan_result(*rp.table_guest.guest, rp.table_guest.guest->call(Routine::Plan, input),
                        path.candidates.size());
}

}  // namespace

bool is_exact(const PathPlan &path, RestrictInfo *rinfo) {
  for (size_t i = 0; i < path.candidates.size(); i++)
    if (path.candidates[i].rinfo == rinfo && path.result.exact.count(i)) return true;
  return false;
}

// The query's one base relation, if it has exactly one.
RelOptInfo *only_base_rel(PlannerInfo *root) {
  int relid;
  if (!bms_get_singleton_member(root->all_baserels, &relid)) return nullptr;
  return pg_guard([&] { return find_base_rel(root, relid); });
}

namespace {

Oid scan_user(RelOptInfo *baserel) {
  return OidIsValid(baserel->userid) ? baserel->userid : GetUserId();
}

}  // namespace

void get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
  auto owned = std::make_unique<RelPlan>();
  RelPlan &rp = *owned;
  rp.table_guest = make_table_guest(relid, scan_user(baserel));
  PathPlan base;
  ListCell *c;
  foreach (c, baserel->baserestrictinfo) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    if (auto cand = candidate_of(root, rinfo, baserel->relid, rp.table_guest.table))
      base.candidates.push_back(std::move(*cand));
  }
  ask_guest(rp, base);
  double rows = base.result.rows ? *base.result.rows : rp.table_guest.table.rows.value_or(1000.0);
  // The quals PostgreSQL checks itself on what the guest returns.
  List *local = NIL;
  foreach (c, baserel->baserestrictinfo) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    if (!is_exact(base, rinfo)) local = lappend(local, rinfo);
  }
  Selectivity sel = pg_guard(
      [&] { return clauselist_selectivity(root, local, baserel->relid, JOIN_INNER, nullptr); });
  rp.rows = clamp_row_est(rows * sel);
  baserel->rows = rp.rows;
  if (base.result.width) baserel->reltarget->width = *base.result.width;
  QualCost local_cost;
  pg_guard([&] { cost_qual_eval(&local_cost, local, root); });
  rp.startup = base.result.startup_cost.value_or(100.0) + local_cost.startup;
  // Each row the guest returns costs a local row's cpu_tuple_cost once more.
  rp.run_per_row = 2 * cpu_tuple_cost + local_cost.per_tuple;
  rp.base = base.candidates;
  rp.base_result = base.result;
  baserel->fdw_private = pg::own_in_context(CurrentMemoryContext, std::move(owned));
}

namespace {

ForeignPath *make_path(PlannerInfo *root, RelOptInfo *baserel, RelPlan &rp, PathPlan path,
                       double rows, List *pathkeys, Relids required_outer) {
  Cost startup = path.result.startup_cost ? *path.result.startup_cost : rp.startup;
  Cost total = startup + rows * rp.run_per_row + (pathkeys ? 0.01 : 0);
  rp.paths.push_back(std::move(path));
  int index = static_cast<int>(rp.paths.size() - 1);
  return pg_guard([&] {
    return create_foreignscan_path(root, baserel, nullptr, rows, startup, total, pathkeys,
                                   required_outer, nullptr, list_make1(makeInteger(index)));
  });
}

// Paths parameterized by other tables of a join: a qual `column = other`
// whose value the guest gets at each rescan of a nested loop.
void add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, RelPlan &rp) {
  std::vector<Relids> outers;
  auto consider = [&](RestrictInfo *rinfo) {
    if (!candidate_of(root, rinfo, baserel->relid, rp.table_guest.table)) return;
    Relids outer = pg_guard([&] { return bms_difference(rinfo->clause_relids, baserel->relids); });
    if (bms_is_empty(outer) || bms_overlap(outer, baserel->lateral_referencers)) return;
    for (Relids o : outers)
      if (bms_equal(o, outer)) return;
    outers.push_back(outer);
  };
  ListCell *c;
  foreach (c, baserel->joininfo) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    if (pg_guard([&] { return join_clause_is_movable_to(rinfo, baserel); })) consider(rinfo);
  }
  for (const auto &col : rp.table_guest.table.columns) {
    AttrNumber attnum = static_cast<AttrNumber>(col.attnum);
    List *clauses = pg_guard([&] {
      return generate_implied_equalities_for_column(root, baserel, is_column, &attnum,
                                                    baserel->lateral_referencers);
    });
    foreach (c, clauses) consider(static_cast<RestrictInfo *>(lfirst(c)));
  }
  for (Relids outer : outers) {
    ParamPathInfo *ppi = pg_guard([&] { return get_baserel_parampathinfo(root, baserel, outer); });
    PathPlan path;
    path.candidates = rp.base;
    foreach (c, ppi->ppi_clauses) {
      auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
      if (auto cand = candidate_of(root, rinfo, baserel->relid, rp.table_guest.table))
        path.candidates.push_back(std::move(*cand));
    }
    ask_guest(rp, path);
    double rows = path.result.rows ? *path.result.rows : ppi->ppi_rows;
    add_path(baserel, reinterpret_cast<Path *>(make_path(root, baserel, rp, std::move(path),
                                                         clamp_row_est(rows), NIL, outer)));
  }
}

// A guest that takes hints (a component: Supabase's world has no planning
// routine) is told the query's order and limit, as Supabase's host tells
// them; PostgreSQL still sorts, limits and checks every qual on what the
// guest returns (the path claims no order, nothing is exact). The limit is
// told only where stopping at it cannot lose a row the query wants from a
// guest that applies what it is told: the query reads this table alone,
// with a constant LIMIT and OFFSET, nothing between the scan and the limit
// but quals the guest is given, all of them, and an order it is given.
void add_scan_hints(PlannerInfo *root, RelOptInfo *baserel, const RelPlan &rp, PathPlan &path) {
  path.hints = true;
  auto sorts = query_sorts(root, baserel, rp.table_guest.table);
  if (sorts) path.sorts = *sorts;
  Query *parse = root->parse;
  if (only_base_rel(root) != baserel || parse->commandType != CMD_SELECT ||
      parse->rowMarks != NIL || parse->hasAggs || parse->groupClause != NIL ||
      parse->groupingSets != NIL || parse->havingQual || parse->distinctClause != NIL ||
      parse->hasWindowFuncs || parse->hasTargetSRFs || parse->setOperations ||
      parse->limitOption != LIMIT_OPTION_COUNT || !parse->limitCount ||
      !IsA(parse->limitCount, Const) || (parse->limitOffset && !IsA(parse->limitOffset, Const)))
    return;
  if (root->query_pathkeys != NIL && !sorts) return;
  ListCell *c;
  foreach (c, baserel->baserestrictinfo) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    bool given = false;
    for (const Candidate &cand : path.candidates) given = given || cand.rinfo == rinfo;
    if (!given && !rinfo->pseudoconstant) return;
  }
  auto *count = reinterpret_cast<Const *>(parse->limitCount);
  auto *offset = reinterpret_cast<Const *>(parse->limitOffset);
  if (count->constisnull) return;
  int64_t n = DatumGetInt64(count->constvalue);
  int64_t skip = offset && !offset->constisnull ? DatumGetInt64(offset->constvalue) : 0;
  if (n < 0 || skip < 0) return;
  path.limit = n;
  path.offset = skip;
}

}  // namespace

void get_paths(PlannerInfo *root, RelOptInfo *baserel, Oid) {
  auto *rp = static_cast<RelPlan *>(baserel->fdw_private);
  bool planned = rp->table_guest.guest->exports(Routine::Plan);
  PathPlan plain;
  plain.candidates = rp->base;
  plain.result = rp->base_result;
  if (!planned && rp->table_guest.guest->impl().takes_scan_hints())
    add_scan_hints(root, baserel, *rp, plain);
  ForeignPath *path = make_path(root, baserel, *rp, std::move(plain), rp->rows, NIL, nullptr);
  pg_guard([&] { add_path(baserel, reinterpret_cast<Path *>(path)); });
  if (!planned) return;
  if (auto sorts = query_sorts(root, baserel, rp->table_guest.table)) {
    PathPlan sorted;
    sorted.candidates = rp->base;
    sorted.sorts = *sorts;
    ask_guest(*rp, sorted);
    if (sorted.result.sort) {
      path =
          make_path(root, baserel, *rp, std::move(sorted), rp->rows, root->query_pathkeys, nullptr);
      pg_guard([&] { add_path(baserel, reinterpret_cast<Path *>(path)); });
    }
  }
  add_parameterized_paths(root, baserel, *rp);
}

namespace {

// The FDW path of the table under a path of an upper relation (through a
// projection), if it is one that reads it alone, unparameterized.
ForeignPath *table_path(Path *path, RelOptInfo *baserel) {
  if (IsA(path, ProjectionPath)) path = reinterpret_cast<ProjectionPath *>(path)->subpath;
  if (!IsA(path, ForeignPath) || path->parent != baserel || path->param_info) return nullptr;
  return reinterpret_cast<ForeignPath *>(path);
}

}  // namespace

// LIMIT and OFFSET pushed down: a path for the final stage that replaces
// the Limit node, when the query reads this table alone, every qual is
// exact, LIMIT and OFFSET are constants, nothing but a sort the guest makes
// lies between the scan and the limit, and the guest says it applies them.
void get_upper_paths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                     RelOptInfo *output_rel, void *extra) {
  if (stage != UPPERREL_FINAL) return;
  auto *final_extra = static_cast<FinalPathExtraData *>(extra);
  Query *parse = root->parse;
  if (!final_extra->limit_needed || parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
      parse->hasTargetSRFs || parse->limitOption != LIMIT_OPTION_COUNT || !parse->limitCount ||
      !IsA(parse->limitCount, Const) || (parse->limitOffset && !IsA(parse->limitOffset, Const)) ||
      final_extra->count_est <= 0 || final_extra->offset_est < 0)
    return;
  RelOptInfo *baserel = only_base_rel(root);
  if (!baserel || baserel->fdwroutine != input_rel->fdwroutine || !baserel->fdw_private) return;
  auto *rp = static_cast<RelPlan *>(baserel->fdw_private);
  if (!rp->table_guest.guest->exports(Routine::Plan)) return;
  PathPlan base;
  base.candidates = rp->base;
  base.result = rp->base_result;
  ListCell *c;
  foreach (c, baserel->baserestrictinfo)
    if (!is_exact(base, static_cast<RestrictInfo *>(lfirst(c)))) return;
  foreach (c, input_rel->pathlist) {
    auto *path = static_cast<Path *>(lfirst(c));
    ForeignPath *scan = table_path(path, baserel);
    if (!scan ||
        (root->sort_pathkeys && !pathkeys_contained_in(root->sort_pathkeys, path->pathkeys)))
      continue;
    PathPlan limited = rp->paths.at(intVal(linitial(scan->fdw_private)));
    limited.result = PlanResult{};
    limited.limit = final_extra->count_est;
    limited.offset = final_extra->offset_est;
    ask_guest(*rp, limited);
    if (!limited.result.limit) return;
    double rows = std::min(rp->rows, static_cast<double>(*limited.limit));
    // Scan-then-Limit costs the same on paper; this path is preferred, as
    // it also spares the guest the rows of a batch beyond the limit (2%:
    // more than add_path's fuzz factor).
    Cost startup = 0.98 * limited.result.startup_cost.value_or(rp->startup);
    Cost total = startup + 0.98 * rows * rp->run_per_row;
    List *pathkeys = path->pathkeys;
    rp->paths.push_back(std::move(limited));
    int index = static_cast<int>(rp->paths.size() - 1);
    pg_guard([&] {
      add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(
                               root, output_rel, root->upper_targets[UPPERREL_FINAL], rows, startup,
                               total, pathkeys, nullptr, list_make1(makeInteger(index)))));
    });
    return;
  }
}

}  // namespace pgwasm::fdw::planning
