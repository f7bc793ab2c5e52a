#include <memory>

#include "pg/call_plan.h"
#include "pg/guard.h"
#include "pg/module_cache.h"
#include "pg/owned.h"
#include "toolkit/name_text.h"

namespace pgwasm::pg {

namespace {

// Lowered parameters, typed as the export's.
void type_params(CallPlan &plan, const FuncType &type) {
  plan.params.assign(type.params.size(), engine::Value());
  for (size_t i = 0; i < type.params.size(); i++) plan.params[i].type = type.params[i];
}

// The row descriptor of a function returning rows, from the call's context
// (OUT parameters, a composite type, or a column definition list).
TupleDesc row_descriptor(FunctionCallInfo fcinfo) {
  return pg_guard([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      ereport(
          ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg("function returning record called in context that cannot accept type record")));
    MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    desc = BlessTupleDesc(CreateTupleDescCopy(desc));
    MemoryContextSwitchTo(old);
    return desc;
  });
}

CallPlan &resolve(FunctionCallInfo fcinfo) {
  FmgrInfo *flinfo = fcinfo->flinfo;
  ModuleCache &cache = module_cache();
  SqlFunction fn = describe_sql_function(flinfo->fn_oid);
  LoadedModule &module = cache.get(fn.source.module);
  std::unique_ptr<ComponentBinding> component;
  uint32_t index = 0;
  if (module.component) {
    component = bind_component_export(fn, module, flinfo->fn_mcxt);
    fn.source.abi = Abi::Component;
    index = component->core_index;
  } else {
    index = bind_export(fn, module);
  }

  auto *plan = static_cast<CallPlan *>(flinfo->fn_extra);
  if (!plan) {
    plan = own_in_context(flinfo->fn_mcxt, std::make_unique<CallPlan>());
    flinfo->fn_extra = plan;
  }
  plan->fn = std::move(fn);
  plan->module = &module;
  plan->export_index = index;
  plan->component = std::move(component);
  type_params(*plan, plan->component ? plan->component->core_type : plan->fn.wasm_type());
  plan->subject = "module \"" + module.name + "\", export " +
                  toolkit::quoted_name(plan->component ? plan->component->full_name
                                                       : plan->fn.source.export_name);
  plan->first_param.clear();
  for (uint16_t i = 0, p = 0; i < plan->fn.args.size(); i++) {
    plan->first_param.push_back(p);
    p += is_scalar(plan->fn.args[i].kind) ? 1 : 2;
  }
  // A guest sees NULL arguments only if it can tell them apart.
  plan->observes_nulls = false;
  for (const auto &imp : module.info().imports)
    plan->observes_nulls =
        plan->observes_nulls || (imp.module == "pg_wasm" && imp.name == "arg_is_null");
  const ModuleInfo &info = module.info();
  // The ABI's exports, where they have the types the host calls them with
  // (bind_export has required those the function needs).
  auto typed = [&](const char *name, const FuncType &type) -> std::optional<uint32_t> {
    auto index = info.export_index(name);
    if (!index) return std::nullopt;
    const auto *have = std::get_if<FuncType>(&info.exports[*index].type);
    if (!have || *have != type) return std::nullopt;
    return index;
  };
  const FuncType alloc{{ValType::I32}, {ValType::I32}}, release{{ValType::I32}, {}};
  switch (plan->fn.source.abi) {
    case Abi::PgWasm:
      plan->alloc_export = typed("pg_wasm_alloc", alloc);
      plan->free_export = typed("pg_wasm_free", release);
      break;
    case Abi::BufferedV1:
      plan->alloc_export = typed("clickhouse_create_buffer", alloc);
      plan->free_export = typed("clickhouse_destroy_buffer", release);
      break;
    default: break;
  }
  plan->result_desc = nullptr;
  if (plan->component ? !plan->fn.retset && plan->component->row_map
                      : plan->fn.result && plan->fn.result->kind == SqlKind::Record)
    plan->result_desc = row_descriptor(fcinfo);
  plan->module_epoch = cache.module_epoch();
  plan->function_epoch = cache.function_epoch();
  return *plan;
}

}  // namespace

CallPlan &plan_for(FunctionCallInfo fcinfo) {
  auto *plan = static_cast<CallPlan *>(fcinfo->flinfo->fn_extra);
  ModuleCache &cache = module_cache();
  if (plan && plan->module_epoch == cache.module_epoch() &&
      plan->function_epoch == cache.function_epoch())
    return *plan;
  return resolve(fcinfo);
}

}  // namespace pgwasm::pg
