// What a call site of a wasm function needs, resolved once and kept in
// fn_extra: the function's description, its module and export, and buffers
// reused by every call. Valid while neither pg_proc nor wasm.modules has
// changed since it was made.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "pg/component_function.h"
#include "pg/loaded_module.h"
#include "pg/sql_function.h"

namespace pgwasm::pg {

struct CallPlan {
  uint64_t module_epoch = 0;
  uint64_t function_epoch = 0;
  SqlFunction fn;
  LoadedModule *module = nullptr;  // stable for the backend's life
  uint32_t export_index = 0;
  std::string subject;                // "module "m", export "e"", for messages
  std::vector<engine::Value> params;  // typed once; every call rewrites the bits
  std::vector<uint16_t> first_param;  // per SQL argument: its first Wasm parameter
  bool observes_nulls = false;        // the module imports pg_wasm.arg_is_null
  engine::Value result;
  // Exports the ABI calls besides the function itself.
  std::optional<uint32_t> alloc_export;  // pg_wasm_alloc / clickhouse_create_buffer
  std::optional<uint32_t> free_export;   // pg_wasm_free / clickhouse_destroy_buffer
  TupleDesc result_desc = nullptr;       // for row results, in fn_mcxt
  // A component's function (abi=component): its binding.
  std::unique_ptr<ComponentBinding> component;
};

// The plan of this call site, made or refreshed as needed. It lives in
// fn_extra and is deleted with fn_mcxt.
CallPlan &plan_for(FunctionCallInfo fcinfo);

}  // namespace pgwasm::pg
