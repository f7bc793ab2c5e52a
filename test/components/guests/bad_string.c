// bad_string: a malformed guest of the world supabase:wrappers 0.2.0 whose
// strings, lists and return areas point where they must not. The host must
// refuse each with a clean ERROR (bounds checked before any read), never
// crash. The fault is chosen by the table option `fault`, read at
// begin-scan (the guest behaves until then), or by IMPORT FOREIGN SCHEMA's
// option `fault`; BAD_VERSION builds a guest whose host-version-requirement
// itself points outside memory (its server cannot be created).
//
// begin-scan faults (its result<_, string>):
//   error_oob          the error string at 0xffffff00, 64 bytes
//   error_wrap         at 0x100 with length 0xfffffff0 (the end wraps 2^32)
//   error_utf8         an error string that is not UTF-8
//   result_oob         the return area itself outside memory
//   result_misaligned  the return area at an odd address
//   bad_discriminant   the result's discriminant 2 (result has 2 cases)
// iter-scan faults (row.push):
//   cell_oob           a string cell pointing past the end of memory
//   cell_bad_case      cell case 99
//   option_bad         option discriminant 7
// import-foreign-schema faults (result<list<string>, string>):
//   list_oob           the list outside memory
//   list_huge          a list of 0x20000000 strings (8 bytes each)
//   element_oob        a list whose one string points outside memory
// Without a fault the table has one column and one row, 'ok'.
#define WIT_VERSION "0.2.0"
#define WIT_V2
#include "cabi.h"

static int rows;

#define OOB ((u32)0xffffff00u)

#ifdef BAD_VERSION
EXPORT("host-version-requirement") str *host_version_requirement(void) {
  static str req = {(const char *)(uintptr_t)OOB, 64};
  return &req;
}
#else
HOST_VERSION_REQUIREMENT()
#endif

INIT_NOTHING()

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  fault_read(ctx, OPTIONS_TABLE);
  rows = 0;
  drop_borrows(ctx, 0);
  static const char not_utf8[] = "bad \xff\xfe\xc3\x28 string";
  if (fault_is("error_oob")) {
    ret_area.tag = 1;
    ret_area.word[0] = OOB;
    ret_area.word[1] = 64;
    return &ret_area;
  }
  if (fault_is("error_wrap")) {
    ret_area.tag = 1;
    ret_area.word[0] = 0x100;
    ret_area.word[1] = 0xfffffff0u;
    return &ret_area;
  }
  if (fault_is("error_utf8")) return ret_err((str){not_utf8, sizeof not_utf8 - 1});
  if (fault_is("result_oob")) return (export_ret *)(uintptr_t)0xfffffff8u;
  if (fault_is("result_misaligned")) return (export_ret *)((uintptr_t)&ret_area + 1);
  if (fault_is("bad_discriminant")) {
    ret_area.tag = 2;
    return &ret_area;
  }
  return ret_ok();
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  export_ret *r = ret_row(rows == 0);
  if (rows++ == 0) {
    if (fault_is("cell_oob"))
      row_push(row, 1, CELL_STRING, (s64)(__builtin_wasm_memory_size(0) * 65536u - 4), 64);
    else if (fault_is("cell_bad_case"))
      row_push(row, 1, 99, 0, 0);
    else if (fault_is("option_bad"))
      row_push(row, 7, CELL_STRING, (s64)(uintptr_t) "ok", 2);
    else
      push_string(row, CELL_STRING, S("ok"));
  }
  drop_borrows(ctx, row);
  return r;
}

COUNTER_RESCAN_ENDSCAN(rows)
READ_ONLY_MODIFY("read-only")

EXPORT("import-foreign-schema")
export_ret *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                                  u32 remote_len, const char *local, u32 local_len, u32 list_type,
                                  const str *tables, u32 tables_len) {
  static str one[1];
  fault_read(ctx, OPTIONS_IMPORT_SCHEMA);
  drop_borrows(ctx, 0);
  if (fault_is("list_oob")) return ret_list((const str *)(uintptr_t)OOB, 4);
  if (fault_is("list_huge")) return ret_list(one, 0x20000000u);
  if (fault_is("element_oob")) {
    one[0].ptr = (const char *)(uintptr_t)OOB;
    one[0].len = 32;
    return ret_list(one, 1);
  }
  one[0] = S("create foreign table if not exists t (x text) server s");
  return ret_list(one, 1);
}
