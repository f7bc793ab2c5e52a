// Planning a foreign scan: which quals and which order the guest may be
// given (a column of the table against a value the scan can compute, with an
// operator the guest ABI names; the type's default order).
#include "fdw/planning.h"

extern "C" {
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "optimizer/clauses.h"
#include "utils/selfuncs.h"
}

namespace pgwasm::fdw::planning {

using pg::pg_guard;

namespace {

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

}  // namespace

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

// Equivalence members that are this column of this relation.
bool is_column(PlannerInfo *, RelOptInfo *baserel, EquivalenceClass *, EquivalenceMember *em,
               void *arg) {
  Expr *e = strip(em->em_expr);
  return e && IsA(e, Var) &&
         reinterpret_cast<Var *>(e)->varno == static_cast<int>(baserel->relid) &&
         reinterpret_cast<Var *>(e)->varattno == *static_cast<AttrNumber *>(arg) &&
         reinterpret_cast<Var *>(e)->varlevelsup == 0;
}

}  // namespace pgwasm::fdw::planning
