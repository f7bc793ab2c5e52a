// Cells between PostgreSQL and an FDW guest (docs/fdw.md, "Values"): what
// the host sends is readable without knowing PostgreSQL's binary forms
// (text as str, times as ISO 8601 text); what the guest sends is read by
// pg_wasm's bounded MessagePack reader and fitted to the column.
#pragma once

#include <string>

#include "pg/abi/msgpack_values.h"

namespace pgwasm::fdw {

using pg::MsgpackPacker;

// Packs a value of SQL type `type` (NULL as nil).
void pack_cell(MsgpackPacker &packer, Oid type, Datum value, bool isnull);

}  // namespace pgwasm::fdw
