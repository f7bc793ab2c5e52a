// Calling a component's function from SQL under the canonical ABI
// (docs/components-sql.md): SQL values lowered into the guest through its
// realloc, the lifted core export called, its result lifted, post-return
// called, and the result made a SQL value, a row or a set.
#pragma once

#include "pg/call_plan.h"

namespace pgwasm::pg {

Datum call_component(CallPlan &plan, FunctionCallInfo fcinfo);

}  // namespace pgwasm::pg
