// The extension's entry: module magic, initialisation, and the trigger that
// tells every session when wasm.modules changes. The one file that knows
// every layer: it defines each layer's settings and plugs the FDW's host
// functions into the glue's registry.
#include "fdw/host_module.h"
#include "fdw/http_policy.h"
#include "pg/budgets.h"
#include "pg/engines.h"
#include "pg/guard.h"
#include "pg/module_cache.h"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

// Runs in the postmaster too when the library is in
// shared_preload_libraries: it only registers callbacks. V8 itself starts in
// each backend at its first Wasm call (its threads would not survive fork).
void _PG_init(void) {
  static const struct config_enum_entry tiering_options[] = {
      {"optimizing", static_cast<int>(pgwasm::engine::Tiering::Optimizing), false},
      {"baseline", static_cast<int>(pgwasm::engine::Tiering::Baseline), false},
      {"dynamic", static_cast<int>(pgwasm::engine::Tiering::Dynamic), false},
      {nullptr, 0, false}};
  DefineCustomEnumVariable(
      "wasm.tiering",
      "How Wasm code is compiled: optimizing (TurboFan), baseline (Liftoff) or dynamic.",
      "Read when the engine starts in a session, at its first Wasm call; later changes apply to "
      "new "
      "sessions.",
      &pgwasm::pg::tiering_guc, static_cast<int>(pgwasm::engine::Tiering::Optimizing),
      tiering_options, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  pgwasm::pg::define_budget_settings();
  DefineCustomIntVariable(
      "wasm.max_heap", "The most memory the Wasm engine's own heap may use in a session.",
      "It holds instances and tables; a call that would exhaust it stops with an out-of-memory "
      "error. Read when the engine starts in a session.",
      &pgwasm::pg::max_heap_mb_guc, 512, 16, 8192, PGC_SUSET, GUC_UNIT_MB, nullptr, nullptr,
      nullptr);
  pgwasm::fdw::define_http_settings();
  pgwasm::pg::define_engine_settings();
  pgwasm::pg::define_native_build_settings();
  MarkGUCPrefixReserved("wasm");
  pgwasm::pg::register_invalidation_callbacks();
  pgwasm::pg::install_interrupt_check();
  pgwasm::fdw::register_host_functions();
}
}

// AFTER ... FOR EACH STATEMENT trigger on wasm.modules: invalidate the table's
// relcache entry, which reaches every backend (and standby) once the change
// commits, and makes them check their cached modules again.
PG_WASM_FUNCTION(pg_wasm_modules_changed) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw pgwasm::pg::SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                               "wasm._modules_changed() must be called as a trigger");
  auto *trigdata = reinterpret_cast<TriggerData *>(fcinfo->context);
  pgwasm::pg::pg_guard([&] { CacheInvalidateRelcache(trigdata->tg_relation); });
  pgwasm::pg::module_cache().modules_changed();
  return PointerGetDatum(nullptr);
}
