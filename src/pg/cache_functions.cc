// The SQL functions about what is kept of modules for every session:
// wasm.module_cache(), wasm.native_build(), wasm.cache_stats().
#include <string>

#include "pg/artifact_store.h"
#include "pg/datum_args.h"
#include "pg/guard.h"
#include "pg/module_cache.h"
#include "pg/result_set.h"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
}

using namespace pgwasm::pg;

// wasm.module_cache(module) -> SETOF (entry, bytes, intact)
PG_WASM_FUNCTION(pg_wasm_module_cache) {
  LoadedModule &module = module_cache().get(text_arg(fcinfo, 0));
  auto entries = ModuleArtifactStore(module.sha256).entries();
  pg_guard([&] {
    ReturnSetInfo *rsinfo = begin_result_set(fcinfo);
    for (const auto &e : entries) {
      Datum values[3] = {CStringGetTextDatum(e.key.c_str()),
                         Int64GetDatum(static_cast<int64>(e.bytes)), BoolGetDatum(e.intact)};
      bool nulls[3] = {false, false, false};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
  return 0;
}

// wasm.native_build(module) -> SETOF (fuel, state, reason)
PG_WASM_FUNCTION(pg_wasm_native_build) {
  LoadedModule &module = module_cache().get(text_arg(fcinfo, 0));
  LoadedModule::NativeBuildState states[2] = {module.native_build_state(false),
                                              module.native_build_state(true)};
  pg_guard([&] {
    ReturnSetInfo *rsinfo = begin_result_set(fcinfo);
    for (int metered = 0; metered < 2; metered++) {
      const auto &s = states[metered];
      Datum values[3] = {BoolGetDatum(metered == 1), CStringGetTextDatum(s.state.c_str()),
                         s.reason.empty() ? Datum(0) : CStringGetTextDatum(s.reason.c_str())};
      bool nulls[3] = {false, false, s.reason.empty()};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
  return 0;
}

// wasm.cache_stats() -> (hits, misses, rejected, saved)
PG_WASM_FUNCTION(pg_wasm_cache_stats) {
  ArtifactCounts c = artifact_counts();
  return pg_guard([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("wasm.cache_stats() must return a record")));
    desc = BlessTupleDesc(desc);
    Datum values[4] = {
        Int64GetDatum(static_cast<int64>(c.hits)), Int64GetDatum(static_cast<int64>(c.misses)),
        Int64GetDatum(static_cast<int64>(c.rejected)), Int64GetDatum(static_cast<int64>(c.saved))};
    bool nulls[4] = {false, false, false, false};
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
  });
}
