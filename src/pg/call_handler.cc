// The procedural language handler and validator of LANGUAGE wasm.
#include <string>

#include "pg/abi/buffered_v1.h"
#include "pg/abi/pg_wasm_abi.h"
#include "pg/abi/scalars.h"
#include "pg/backend.h"
#include "pg/call_plan.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/sql_function.h"

using namespace pgwasm;
using namespace pgwasm::pg;

// Numbers in, a number out: the hot path, kept to the minimum.
static Datum call_direct(CallPlan &plan, FunctionCallInfo fcinfo) {
  // A NULL argument gives a NULL result, whether or not the function is
  // STRICT: numbers have no NULL in Wasm.
  for (size_t i = 0; i < plan.fn.args.size(); i++) {
    if (fcinfo->args[i].isnull) {
      fcinfo->isnull = true;
      return 0;
    }
    set_scalar(plan.params[i], plan.fn.args[i].kind, fcinfo->args[i].value);
  }
  Invocation outcome = invoke(*plan.module, plan.export_index, plan.fn.source.export_name,
                              plan.params.data(), &plan.result);
  if (!plan.fn.result) PG_RETURN_VOID();
  if (outcome.exited)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.who + " exited without returning a value");
  if (outcome.null_result) {
    fcinfo->isnull = true;
    return 0;
  }
  return scalar_datum(plan.fn.result->kind, plan.result, plan.who);
}

PG_WASM_FUNCTION(pg_wasm_call_handler) {
  if (CALLED_AS_TRIGGER(fcinfo) || CALLED_AS_EVENT_TRIGGER(fcinfo))
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED, "wasm functions cannot be triggers");
  CallPlan &plan = plan_for(fcinfo);
  switch (plan.fn.source.abi) {
    case Abi::PgWasm: return call_pg_wasm(plan, fcinfo);
    case Abi::BufferedV1: return call_buffered_v1(plan, fcinfo);
    default: return call_direct(plan, fcinfo);
  }
}

PG_WASM_FUNCTION(pg_wasm_validator) {
  Oid fn_oid = PG_GETARG_OID(0);
  if (!pg_guard([&] { return CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, fn_oid); }))
    PG_RETURN_VOID();
  SqlFunction fn = describe_sql_function(fn_oid);
  // pg_dump's output creates functions before it loads wasm.modules, and
  // sets check_function_bodies off for that: check the module only when on.
  if (check_function_bodies) bind_export(fn, module_cache().get(fn.source.module));
  PG_RETURN_VOID();
}
