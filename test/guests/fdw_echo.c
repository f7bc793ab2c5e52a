// An FDW guest whose INSERT returns the row it was given, cell for cell:
// INSERT ... RETURNING round-trips every column type through the host's
// packing and reading (test/regress/sql/fdw.sql). Its scans return no rows.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

PGW_EXPORT(fdw_begin_scan) void begin_scan(int32_t ptr, int32_t len) {}

PGW_EXPORT(fdw_iter_scan) int64_t iter_scan(void) {
  return pgw_fdw_batch_end(pgw_fdw_batch_begin());
}

PGW_EXPORT(fdw_begin_modify) void begin_modify(int32_t ptr, int32_t len) {}

PGW_EXPORT(fdw_insert) int64_t insert(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len), row;
  if (!pgw_mp_find(&in, "row", &row)) pgw_fdw_errorf("fdw_echo: no row");
  pgw_buf *out = pgw_output();
  if (!pgw_mp_copy_value(&row, out)) pgw_fdw_errorf("fdw_echo: the row is not MessagePack");
  return pgw_buf_result(out);
}
