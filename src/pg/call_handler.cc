// The procedural language handler and validator of LANGUAGE wasm.
#include <bit>
#include <cstring>
#include <new>
#include <string>

#include "pg/backend.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/sql_function.h"

namespace pgwasm::pg {

namespace {

// What a call site needs, resolved once and kept in fn_extra (in fn_mcxt,
// so only trivially destructible members). Valid while neither pg_proc nor
// wasm.modules has changed since it was made.
struct CallPlan {
  uint64_t module_epoch;
  uint64_t function_epoch;
  LoadedModule *module;  // stable for the backend's life
  uint32_t export_index;
  int nargs;
  bool returns_value;
  SqlKind result_kind;
  SqlKind arg_kinds[FUNC_MAX_ARGS];
  engine::Value *args;  // nargs values, reused by every call
  const char *module_name;
  const char *export_name;
};

char *copy_to(MemoryContext cxt, const std::string &s) {
  return pg_guard([&] { return MemoryContextStrdup(cxt, s.c_str()); });
}

CallPlan &resolve_plan(FunctionCallInfo fcinfo) {
  FmgrInfo *flinfo = fcinfo->flinfo;
  ModuleCache &cache = module_cache();
  SqlFunction fn = describe_sql_function(flinfo->fn_oid);
  LoadedModule &module = cache.get(fn.source.module);
  uint32_t index = bind_export(fn, module);

  auto *plan = static_cast<CallPlan *>(flinfo->fn_extra);
  if (!plan) {
    plan = static_cast<CallPlan *>(
        pg_guard([&] { return MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(CallPlan)); }));
    void *args = pg_guard([&] {
      return MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(engine::Value) * (fn.args.size() + 1));
    });
    plan->args = static_cast<engine::Value *>(args);
    for (size_t i = 0; i < fn.args.size() + 1; i++) new (&plan->args[i]) engine::Value();
    flinfo->fn_extra = plan;
  }
  plan->module = &module;
  plan->export_index = index;
  plan->nargs = static_cast<int>(fn.args.size());
  for (int i = 0; i < plan->nargs; i++) {
    plan->arg_kinds[i] = fn.args[i];
    plan->args[i].type = wasm_type_of(fn.args[i]);
  }
  plan->returns_value = fn.result.has_value();
  if (fn.result) plan->result_kind = *fn.result;
  plan->module_name = copy_to(flinfo->fn_mcxt, module.name);
  plan->export_name = copy_to(flinfo->fn_mcxt, fn.source.export_name);
  plan->module_epoch = cache.module_epoch();
  plan->function_epoch = cache.function_epoch();
  return *plan;
}

inline CallPlan &plan_for(FunctionCallInfo fcinfo) {
  auto *plan = static_cast<CallPlan *>(fcinfo->flinfo->fn_extra);
  ModuleCache &cache = module_cache();
  if (plan && plan->module_epoch == cache.module_epoch() &&
      plan->function_epoch == cache.function_epoch())
    return *plan;
  return resolve_plan(fcinfo);
}

// Writes the argument's bits into a value whose type the plan has set.
inline void set_arg(engine::Value &v, SqlKind kind, Datum d) {
  switch (kind) {
    case SqlKind::Bool: v.bits.i32 = DatumGetBool(d) ? 1 : 0; break;
    case SqlKind::Int2:
      v.bits.i32 = static_cast<uint32_t>(static_cast<int32_t>(DatumGetInt16(d)));
      break;
    case SqlKind::Int4: v.bits.i32 = static_cast<uint32_t>(DatumGetInt32(d)); break;
    case SqlKind::Int8: v.bits.i64 = static_cast<uint64_t>(DatumGetInt64(d)); break;
    case SqlKind::Float4: v.bits.f32 = std::bit_cast<uint32_t>(DatumGetFloat4(d)); break;
    case SqlKind::Float8: v.bits.f64 = std::bit_cast<uint64_t>(DatumGetFloat8(d)); break;
  }
}

Datum to_datum(const CallPlan &plan, const engine::Value &v) {
  switch (plan.result_kind) {
    case SqlKind::Bool: return BoolGetDatum(v.as_i32() != 0);
    case SqlKind::Int2:
      if (v.as_i32() < PG_INT16_MIN || v.as_i32() > PG_INT16_MAX)
        throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                       "smallint out of range: module \"" + std::string(plan.module_name) +
                           "\", export \"" + plan.export_name + "\" returned " +
                           std::to_string(v.as_i32()));
      return Int16GetDatum(static_cast<int16>(v.as_i32()));
    case SqlKind::Int4: return Int32GetDatum(v.as_i32());
    case SqlKind::Int8: return Int64GetDatum(v.as_i64());
    case SqlKind::Float4: return Float4GetDatum(v.as_f32());
    case SqlKind::Float8: return Float8GetDatum(v.as_f64());
  }
  return 0;
}

}  // namespace

}  // namespace pgwasm::pg

using namespace pgwasm;
using namespace pgwasm::pg;

PG_WASM_FUNCTION(pg_wasm_call_handler) {
  if (CALLED_AS_TRIGGER(fcinfo) || CALLED_AS_EVENT_TRIGGER(fcinfo))
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED, "wasm functions cannot be triggers");
  CallPlan &plan = plan_for(fcinfo);
  // A NULL argument gives a NULL result, whether or not the function is
  // STRICT: numbers have no NULL in Wasm.
  for (int i = 0; i < plan.nargs; i++) {
    if (fcinfo->args[i].isnull) {
      fcinfo->isnull = true;
      return 0;
    }
    set_arg(plan.args[i], plan.arg_kinds[i], fcinfo->args[i].value);
  }
  engine::Value result;
  Invocation outcome = invoke(*plan.module, plan.export_index, plan.export_name, plan.args, &result);
  if (!plan.returns_value) PG_RETURN_VOID();
  if (outcome.exited)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm module \"" + std::string(plan.module_name) + "\", export \"" + plan.export_name +
                       "\" exited without returning a value");
  if (outcome.null_result) {
    fcinfo->isnull = true;
    return 0;
  }
  return to_datum(plan, result);
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
