// The procedural language handler and validator of LANGUAGE wasm.
#include <new>
#include <string>

#include "pg/abi/buffered_v1.h"
#include "pg/abi/component_abi.h"
#include "pg/abi/pg_wasm_abi.h"
#include "pg/abi/scalars.h"
#include "pg/call_plan.h"
#include "pg/component_function.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/module_cache.h"
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
                   "wasm " + plan.subject + " exited without returning a value");
  if (outcome.null_result) {
    fcinfo->isnull = true;
    return 0;
  }
  return scalar_datum(plan.fn.result->kind, plan.result, plan.subject);
}

namespace {

// Every PostgreSQL error raised while a Wasm function runs (a conversion,
// out of memory, a cancel) says which function, module and export it came
// from, as PL/pgSQL's errors name their function and line.
class CallErrorContext {
 public:
  explicit CallErrorContext(const CallPlan &plan) : plan_(plan) {
    callback_.callback = report;
    callback_.arg = this;
    callback_.previous = error_context_stack;
    error_context_stack = &callback_;
  }
  ~CallErrorContext() { error_context_stack = callback_.previous; }
  CallErrorContext(const CallErrorContext &) = delete;
  CallErrorContext &operator=(const CallErrorContext &) = delete;

 private:
  static void report(void *arg) {
    const CallPlan &plan = static_cast<CallErrorContext *>(arg)->plan_;
    errcontext("wasm function %s, %s", plan.fn.signature.c_str(), plan.subject.c_str());
  }
  const CallPlan &plan_;
  ErrorContextCallback callback_;
};

Datum call(CallPlan &plan, FunctionCallInfo fcinfo) {
  CallErrorContext context(plan);
  try {
    switch (plan.fn.source.abi) {
      case Abi::PgWasm: return call_pg_wasm(plan, fcinfo);
      case Abi::BufferedV1: return call_buffered_v1(plan, fcinfo);
      case Abi::Component: return call_component(plan, fcinfo);
      default: return call_direct(plan, fcinfo);
    }
  } catch (const std::bad_alloc &) {
    throw SqlError(ERRCODE_OUT_OF_MEMORY, "out of memory in wasm " + plan.subject);
  }
}

}  // namespace

PG_WASM_FUNCTION(pg_wasm_call_handler) {
  if (CALLED_AS_TRIGGER(fcinfo) || CALLED_AS_EVENT_TRIGGER(fcinfo))
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED, "wasm functions cannot be triggers");
  return call(plan_for(fcinfo), fcinfo);
}

PG_WASM_FUNCTION(pg_wasm_validator) {
  Oid fn_oid = PG_GETARG_OID(0);
  if (!pg_guard([&] { return CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, fn_oid); }))
    PG_RETURN_VOID();
  SqlFunction fn = describe_sql_function(fn_oid);
  // pg_dump's output creates functions before it loads wasm.modules, and
  // sets check_function_bodies off for that: check the module only when on.
  if (check_function_bodies) check_function_binding(fn, module_cache().get(fn.source.module));
  PG_RETURN_VOID();
}
