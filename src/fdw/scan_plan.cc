#include "fdw/scan_plan.h"

#include "fdw/fdw_headers.h"
#include "pg/guard.h"

namespace pgwasm::fdw {

using pg::pg_guard;

// [targets IntList, quals: [column, op, any, param, exact, value, text]...,
//  sorts: [column, desc, nulls_first]..., limit, offset, hints]
List *scan_plan_to_list(const ScanPlan &plan) {
  return pg_guard([&] {
    List *targets = NIL;
    for (int t : plan.targets) targets = lappend_int(targets, t);
    List *quals = NIL;
    for (const auto &q : plan.quals)
      quals = lappend(
          quals, list_make5(makeInteger(q.column), makeString(pstrdup(q.op.c_str())),
                            makeInteger((q.any ? 1 : 0) | (q.param ? 2 : 0) | (q.exact ? 4 : 0)),
                            makeInteger(q.value), makeString(pstrdup(q.text.c_str()))));
    List *sorts = NIL;
    for (const auto &s : plan.sorts)
      sorts = lappend(sorts, list_make3(makeInteger(s.column), makeInteger(s.desc ? 1 : 0),
                                        makeInteger(s.nulls_first ? 1 : 0)));
    // A Const so that a limit beyond int's range keeps its value.
    Node *limit =
        plan.limit
            ? reinterpret_cast<Node *>(makeConst(
                  INT8OID, -1, InvalidOid, 8, Int64GetDatum(*plan.limit), false, FLOAT8PASSBYVAL))
            : reinterpret_cast<Node *>(makeNullConst(INT8OID, -1, InvalidOid));
    return lappend(lappend(list_make4(targets, quals, sorts, limit),
                           makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(plan.offset), false,
                                     FLOAT8PASSBYVAL)),
                   makeInteger(plan.hints ? 1 : 0));
  });
}

ScanPlan scan_plan_from_list(List *list) {
  ScanPlan plan;
  ListCell *c;
  foreach (c, static_cast<List *>(linitial(list))) plan.targets.push_back(lfirst_int(c));
  foreach (c, static_cast<List *>(lsecond(list))) {
    List *q = static_cast<List *>(lfirst(c));
    PushedQual pq;
    pq.column = intVal(linitial(q));
    pq.op = strVal(lsecond(q));
    int flags = intVal(lthird(q));
    pq.any = flags & 1;
    pq.param = flags & 2;
    pq.exact = flags & 4;
    pq.value = intVal(lfourth(q));
    pq.text = strVal(list_nth(q, 4));
    plan.quals.push_back(std::move(pq));
  }
  foreach (c, static_cast<List *>(lthird(list))) {
    List *s = static_cast<List *>(lfirst(c));
    plan.sorts.push_back({intVal(linitial(s)), intVal(lsecond(s)) != 0, intVal(lthird(s)) != 0});
  }
  auto *limit = static_cast<Const *>(lfourth(list));
  if (!limit->constisnull) plan.limit = DatumGetInt64(limit->constvalue);
  plan.offset = DatumGetInt64(static_cast<Const *>(list_nth(list, 4))->constvalue);
  plan.hints = intVal(list_nth(list, 5)) != 0;
  return plan;
}

}  // namespace pgwasm::fdw
