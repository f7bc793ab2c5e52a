// Test guest: an FDW that requires version 2 of the host's FDW API; a
// server using it must be refused (22023) when it is created.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^2.0")

PGW_EXPORT(fdw_begin_scan) void fdw_begin_scan(int32_t ptr, int32_t len) {
  (void)ptr;
  (void)len;
}

PGW_EXPORT(fdw_iter_scan) int64_t fdw_iter_scan(void) {
  return 0;
}
