// pg_wasm_fdw.json_rows: a JSON document's array of objects as rows of the
// running scan, read by the host (docs/fdw.md, "json_rows").
#pragma once

#include <string_view>

#include "fdw/row_batch.h"

namespace pgwasm::fdw {

// Adds a row per object of the array at `path` (dotted keys; "" for the
// document itself); returns how many.
uint32_t append_json_rows(RowBatch &batch, const FdwGuest &guest, std::string_view json,
                          std::string_view path);

}  // namespace pgwasm::fdw
