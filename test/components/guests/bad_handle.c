// bad_handle: a malformed guest of the world supabase:wrappers 0.1.0 that
// uses resource handles it was never given, or no longer has. Each must be a
// clean ERROR from the host (the canonical ABI traps), never a crash or a
// use of another resource. The fault is the table option `fault`, read at
// begin-scan with handles used correctly; the fault follows:
//
// at begin-scan:
//   never_given       options.get on handle 12345
//   zero              options.get on handle 0 (never a valid handle)
//   after_drop        options.get on an options handle after dropping it
//   drop_twice        the same options handle dropped twice
//   wrong_type        an options handle used as a column (column.name)
//   drop_context_twice  the borrowed context dropped twice
//   keep_borrow       returns without dropping the borrowed context (the
//                     canonical ABI traps: a callee drops its borrows)
//   leak              an own options handle never dropped (allowed: the
//                     host reclaims it with the instance; the scan works)
// at iter-scan:
//   row_never_given   row.push on the row handle plus 100
//   row_after_return  row.push, at the next iter-scan, on the previous
//                     call's row handle (its borrow ended with that call)
// Without a fault the table has one column and one row, 'ok'.
#define WIT_VERSION "0.1.0"
#include "cabi.h"

static int rows;
static u32 last_row;

HOST_VERSION_REQUIREMENT()

INIT_NOTHING()

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  fault_read(ctx, OPTIONS_TABLE);
  rows = 0;
  last_row = 0;
  tagged_str v;
  str s;
  if (fault_is("never_given")) options_get(12345, "fault", 5, &v);
  if (fault_is("zero")) options_get(0, "fault", 5, &v);
  if (fault_is("after_drop") || fault_is("drop_twice") || fault_is("wrong_type") ||
      fault_is("leak")) {
    u32 opts = get_options(ctx, OPTIONS_TABLE);
    if (fault_is("wrong_type")) column_name(opts, &s);
    if (!fault_is("leak")) options_drop(opts);
    if (fault_is("after_drop")) options_get(opts, "fault", 5, &v);
    if (fault_is("drop_twice")) options_drop(opts);
  }
  if (fault_is("drop_context_twice")) context_drop(ctx);
  if (!fault_is("keep_borrow")) drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  export_ret *r = ret_row(0);
  if (rows == 0) {
    push_string(fault_is("row_never_given") ? row + 100 : row, CELL_STRING, S("ok"));
    r = ret_row(1);
  } else if (rows == 1 && fault_is("row_after_return")) {
    push_string(last_row, CELL_STRING, S("ok"));
    r = ret_row(1);
  }
  rows++;
  last_row = row;
  drop_borrows(ctx, row);
  return r;
}

COUNTER_RESCAN_ENDSCAN(rows)
READ_ONLY_MODIFY("read-only")
