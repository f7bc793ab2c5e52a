// Set-returning functions in materialize mode, for scalar and row results.
#pragma once

#include "pg/guard.h"

namespace pgwasm::pg {

// Sets up fcinfo's tuplestore and returns it with its descriptor; a scalar
// SETOF result gets a one-column descriptor. Call from PostgreSQL code only
// (inside pg_guard).
inline ReturnSetInfo *begin_result_set(FunctionCallInfo fcinfo) {
  auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  if (!rsinfo || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("set-valued function called in context that cannot accept a set")));
  MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) {
    desc = CreateTemplateTupleDesc(1);
    TupleDescInitEntry(desc, 1, "result", get_fn_expr_rettype(fcinfo->flinfo), -1, 0);
  }
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
  rsinfo->setDesc = BlessTupleDesc(desc);
  MemoryContextSwitchTo(old);
  return rsinfo;
}

}  // namespace pgwasm::pg
