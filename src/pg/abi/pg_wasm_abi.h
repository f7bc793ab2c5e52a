// Calling a function under pg_wasm's ABI, version 1 (docs/abi.md).
#pragma once

#include "pg/call_plan.h"

namespace pgwasm::pg {

Datum call_pg_wasm(CallPlan &plan, FunctionCallInfo fcinfo);

}  // namespace pgwasm::pg
