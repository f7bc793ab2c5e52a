// Planning a foreign scan: which quals the guest is given, what it says it
// will do with them (fdw_plan), the paths that follow, and the plan node.
#include <optional>

#include "fdw/callbacks.h"
#include "fdw/context.h"
#include "fdw/fdw_headers.h"
#include "pg/owned.h"
#include "fdw/plan_result.h"
#include "fdw/scan_plan.h"

extern "C" {
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "optimizer/clauses.h"
#include "utils/selfuncs.h"
}

namespace pgwasm::fdw {

using pg::pg_guard;

namespace {

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
  TableGuest tg;
  std::vector<Candidate> base;  // from the relation's own quals
  PlanResult base_result;
  double rows = 0;  // after the quals PostgreSQL rechecks
  Cost startup = 0;
  Cost run_per_row = 0;
  std::vector<PathPlan> paths;
};

constexpr std::string_view kOps[] = {"=", "<>", "<", "<=", ">", ">=", "~~", "~~*", "!~~", "!~~*"};

Expr *strip(Expr *e) {
  while (e && IsA(e, RelabelType)) e = reinterpret_cast<RelabelType *>(e)->arg;
  return e;
}

// The column index of a Var of this relation, or -1.
int column_of(Expr *e, Index relid, const TableConfig &table) {
  e = strip(e);
  if (!e || !IsA(e, Var)) return -1;
  auto *var = reinterpret_cast<Var *>(e);
  if (var->varno != static_cast<int>(relid) || var->varlevelsup != 0 || var->varattno <= 0)
    return -1;
  for (size_t i = 0; i < table.columns.size(); i++)
    if (table.columns[i].attnum == var->varattno) return static_cast<int>(i);
  return -1;
}

// A value the scan can compute before it starts, or at a rescan: no column
// of this table, nothing volatile, no subquery. `outer` says whether it
// reads other tables' columns (a join's value, given at each rescan).
bool is_scan_value(PlannerInfo *root, Expr *e, Index relid, bool &outer) {
  return pg_guard([&] {
    Node *n = reinterpret_cast<Node *>(e);
    Relids rels = pull_varnos(root, n);
    outer = !bms_is_empty(rels);
    return !bms_is_member(relid, rels) && !contain_volatile_functions(n) && !contain_subplans(n) &&
           !contain_agg_clause(n) && !contain_window_function(n) && !contain_vars_of_level(n, 1);
  });
}

std::optional<std::string> pushable_op(Oid opno) {
  // Only built-in operators: a user's operator named "=" may mean anything.
  if (opno >= FirstNormalObjectId) return std::nullopt;
  const char *name = pg_guard([&] { return get_opname(opno); });
  if (!name) return std::nullopt;
  for (auto op : kOps)
    if (op == name) return std::string(name);
  return std::nullopt;
}

std::string value_text(Expr *value) {
  if (!value) return "";
  if (IsA(value, Const)) {
    auto *c = reinterpret_cast<Const *>(value);
    if (c->constisnull) return "NULL";
    return pg_guard([&]() -> std::string {
      Oid output;
      bool varlena;
      getTypeOutputInfo(c->consttype, &output, &varlena);
      char *s = OidOutputFunctionCall(output, c->constvalue);
      return quote_literal_cstr(s);
    });
  }
  return "$param";
}

std::optional<Candidate> candidate_of(PlannerInfo *root, RestrictInfo *rinfo, Index relid,
                                      const TableConfig &table) {
  Expr *clause = rinfo->clause;
  Candidate cand{rinfo, {}, nullptr};
  bool outer = false;
  if (rinfo->pseudoconstant) return std::nullopt;
  if (IsA(clause, OpExpr)) {
    auto *op = reinterpret_cast<OpExpr *>(clause);
    if (list_length(op->args) != 2) return std::nullopt;
    Expr *left = static_cast<Expr *>(linitial(op->args));
    Expr *right = static_cast<Expr *>(lsecond(op->args));
    Oid opno = op->opno;
    int column = column_of(left, relid, table);
    if (column < 0) {
      column = column_of(right, relid, table);
      if (column < 0) return std::nullopt;
      opno = pg_guard([&] { return get_commutator(opno); });
      if (!OidIsValid(opno)) return std::nullopt;
      std::swap(left, right);
    }
    auto name = pushable_op(opno);
    if (!name || !is_scan_value(root, right, relid, outer)) return std::nullopt;
    cand.qual.column = column;
    cand.qual.op = *name;
    cand.value = right;
  } else if (IsA(clause, ScalarArrayOpExpr)) {
    auto *op = reinterpret_cast<ScalarArrayOpExpr *>(clause);
    if (!op->useOr || list_length(op->args) != 2) return std::nullopt;
    int column = column_of(static_cast<Expr *>(linitial(op->args)), relid, table);
    Expr *value = static_cast<Expr *>(lsecond(op->args));
    auto name = pushable_op(op->opno);
    if (column < 0 || !name || !is_scan_value(root, value, relid, outer)) return std::nullopt;
    cand.qual.column = column;
    cand.qual.op = *name;
    cand.qual.any = true;
    cand.value = value;
  } else if (IsA(clause, NullTest)) {
    auto *nt = reinterpret_cast<NullTest *>(clause);
    int column = column_of(nt->arg, relid, table);
    if (column < 0 || nt->argisrow) return std::nullopt;
    cand.qual.column = column;
    cand.qual.op = nt->nulltesttype == IS_NULL ? "is_null" : "is_not_null";
  } else {
    return std::nullopt;
  }
  cand.qual.param = cand.value && !IsA(cand.value, Const);
  cand.qual.text = quote_name(table.columns[cand.qual.column].name) + " " +
                   (cand.qual.any ? cand.qual.op + " ANY (" + value_text(cand.value) + ")"
                    : cand.value  ? cand.qual.op + " " + value_text(cand.value)
                                  : (cand.qual.op == "is_null" ? "IS NULL" : "IS NOT NULL"));
  return cand;
}

// The plan-time view of a path's scan, for fdw_plan.
ScanPlan plan_view(const RelPlan &rp, const PathPlan &path, std::vector<QualValue> &values) {
  ScanPlan plan;
  for (size_t i = 0; i < rp.tg.table.columns.size(); i++)
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
  if (!rp.tg.guest->exports(Routine::Plan)) return;
  std::vector<QualValue> values;
  ScanPlan view = plan_view(rp, path, values);
  std::string input = scan_input(rp.tg, view, values);
  path.result = parse_plan_result(*rp.tg.guest, rp.tg.guest->call(Routine::Plan, input),
                                  path.candidates.size());
}

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

Oid scan_user(RelOptInfo *baserel) {
  return OidIsValid(baserel->userid) ? baserel->userid : GetUserId();
}

void get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
  auto owned = std::make_unique<RelPlan>();
  RelPlan &rp = *owned;
  rp.tg = make_table_guest(relid, scan_user(baserel));
  PathPlan base;
  ListCell *c;
  foreach (c, baserel->baserestrictinfo) {
    auto *rinfo = static_cast<RestrictInfo *>(lfirst(c));
    if (auto cand = candidate_of(root, rinfo, baserel->relid, rp.tg.table))
      base.candidates.push_back(std::move(*cand));
  }
  ask_guest(rp, base);
  double rows = base.result.rows ? *base.result.rows : rp.tg.table.rows.value_or(1000.0);
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

// The query's order as sorts on this relation's columns, if it is one.
std::optional<std::vector<PushedSort>> query_sorts(PlannerInfo *root, RelOptInfo *baserel,
                                                   const TableConfig &table) {
  if (root->query_pathkeys == NIL) return std::nullopt;
  std::vector<PushedSort> sorts;
  ListCell *c;
  foreach (c, root->query_pathkeys) {
    auto *pk = static_cast<PathKey *>(lfirst(c));
    EquivalenceClass *ec = pk->pk_eclass;
    if (ec->ec_has_volatile) return std::nullopt;
    int column = -1;
    ListCell *m;
    foreach (m, ec->ec_members) {
      auto *em = static_cast<EquivalenceMember *>(lfirst(m));
      if (bms_equal(em->em_relids, baserel->relids))
        column = column_of(em->em_expr, baserel->relid, table);
      if (column >= 0) break;
    }
    if (column < 0) return std::nullopt;
    // Only the type's default order: what an API's "sort" means.
    Oid type = table.columns[column].type;
    bool default_order = pg_guard([&] {
      Oid opclass = GetDefaultOpClass(type, BTREE_AM_OID);
      return OidIsValid(opclass) && get_opclass_family(opclass) == pk->pk_opfamily;
    });
    if (!default_order) return std::nullopt;
    sorts.push_back({column, pk->pk_strategy == BTGreaterStrategyNumber, pk->pk_nulls_first});
  }
  return sorts;
}

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

// Equivalence members that are this column of this relation.
bool is_column(PlannerInfo *, RelOptInfo *baserel, EquivalenceClass *, EquivalenceMember *em,
               void *arg) {
  Expr *e = strip(em->em_expr);
  return e && IsA(e, Var) &&
         reinterpret_cast<Var *>(e)->varno == static_cast<int>(baserel->relid) &&
         reinterpret_cast<Var *>(e)->varattno == *static_cast<AttrNumber *>(arg) &&
         reinterpret_cast<Var *>(e)->varlevelsup == 0;
}

// Paths parameterized by other tables of a join: a qual `column = other`
// whose value the guest gets at each rescan of a nested loop.
void add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, RelPlan &rp) {
  std::vector<Relids> outers;
  auto consider = [&](RestrictInfo *rinfo) {
    if (!candidate_of(root, rinfo, baserel->relid, rp.tg.table)) return;
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
  for (const auto &col : rp.tg.table.columns) {
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
      if (auto cand = candidate_of(root, rinfo, baserel->relid, rp.tg.table))
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
  auto sorts = query_sorts(root, baserel, rp.tg.table);
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

void get_paths(PlannerInfo *root, RelOptInfo *baserel, Oid) {
  auto *rp = static_cast<RelPlan *>(baserel->fdw_private);
  bool planned = rp->tg.guest->exports(Routine::Plan);
  PathPlan plain;
  plain.candidates = rp->base;
  plain.result = rp->base_result;
  if (!planned && rp->tg.guest->impl().takes_scan_hints())
    add_scan_hints(root, baserel, *rp, plain);
  ForeignPath *path = make_path(root, baserel, *rp, std::move(plain), rp->rows, NIL, nullptr);
  pg_guard([&] { add_path(baserel, reinterpret_cast<Path *>(path)); });
  if (!planned) return;
  if (auto sorts = query_sorts(root, baserel, rp->tg.table)) {
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
  for (size_t i = 0; i < rp->tg.table.columns.size(); i++) {
    int attnum = rp->tg.table.columns[i].attnum;
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
      const ColumnInfo &col = rp->tg.table.columns[plan.targets[i]];
      Var *var = makeVar(baserel->relid, static_cast<AttrNumber>(col.attnum), col.type, col.typmod,
                         get_typcollation(col.type), 0);
      scan_tlist =
          lappend(scan_tlist, makeTargetEntry(reinterpret_cast<Expr *>(var),
                                              static_cast<AttrNumber>(i + 1), nullptr, false));
    }
    return make_foreignscan(tlist, NIL, 0, fdw_exprs, priv, scan_tlist, NIL, outer_plan);
  });
}

// The FDW path of the table under a path of an upper relation (through a
// projection), if it is one that reads it alone, unparameterized.
ForeignPath *table_path(Path *path, RelOptInfo *baserel) {
  if (IsA(path, ProjectionPath)) path = reinterpret_cast<ProjectionPath *>(path)->subpath;
  if (!IsA(path, ForeignPath) || path->parent != baserel || path->param_info) return nullptr;
  return reinterpret_cast<ForeignPath *>(path);
}

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
  if (!rp->tg.guest->exports(Routine::Plan)) return;
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

}  // namespace

void set_plan_callbacks(FdwRoutine *routine) {
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
