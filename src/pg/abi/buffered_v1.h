// Calling a function under ClickHouse's BUFFERED_V1 ABI, so modules written
// for ClickHouse run unmodified (docs/abi.md).
//
// The guest exports clickhouse_create_buffer(size) -> handle and
// clickhouse_destroy_buffer(handle); a handle points to {u32 ptr; u32 size}.
// The host packs the row's arguments as MessagePack (one value per column,
// as ClickHouse's MsgPack format does) into a buffer it creates, calls
// udf(input_handle, num_rows = 1) -> output_handle, reads the output
// buffer's one value, and destroys both buffers.
#pragma once

#include "pg/call_plan.h"

namespace pgwasm::pg {

Datum call_buffered_v1(CallPlan &plan, FunctionCallInfo fcinfo);

}  // namespace pgwasm::pg
