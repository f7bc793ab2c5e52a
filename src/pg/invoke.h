// Calling into a guest from the SQL side: the one place that sets up what
// host functions see, and turns every failure into a PostgreSQL error.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/engine.h"
#include "pg/loaded_module.h"

namespace pgwasm::pg {

struct Invocation {
  bool null_result = false;  // the guest called pg_wasm.set_null()
  bool exited = false;       // the guest called proc_exit(0)
};

// What a call is for, besides its export.
struct CallFor {
  // For an export the ABI calls (pg_wasm_alloc, clickhouse_create_buffer):
  // the function's export it serves, named in messages.
  std::string_view export_name;
  // The SQL arguments, which the guest may ask about with
  // pg_wasm.arg_is_null.
  const NullableDatum *sql_args = nullptr;
  int nsql_args = 0;
};

// Calls export `export_index` (named `export_name`) of the module's instance.
// On any failure the instance is discarded (every instance, when the engine's
// heap is full) and a SqlError or PgError naming the module and export is
// thrown; a non-zero proc_exit is such an error.
Invocation invoke(LoadedModule &module, uint32_t export_index, std::string_view export_name,
                  const engine::Value *args, engine::Value *results, const CallFor &call_for = {});

// The same for an instance the caller keeps itself (a foreign scan's):
// `instance()` gives it (a ModuleInstance &) (it may instantiate, and throw), `discard()` drops it
// after a failure. Every instance of the session is dropped when the engine's
// heap is full.
template <typename GetInstance, typename Discard>
Invocation invoke_with(std::string_view module, uint32_t export_index, std::string_view export_name,
                       const engine::Value *args, engine::Value *results, const CallFor &call_for,
                       GetInstance &&instance, Discard &&discard);

}  // namespace pgwasm::pg

#include "pg/invoke_impl.h"
