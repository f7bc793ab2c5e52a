// Test guest: a hostile foreign data wrapper (docs/fdw.md), for
// test/regress/sql/fdw_hostile.sql. Its table option `mode` chooses how it
// misbehaves; the host must make each an ordinary ERROR with its SQLSTATE
// and the session must go on.
//
// Scans (fdw_iter_scan), by the table's mode:
//   ok           `count` rows (default 3): integer columns get the row's
//                number, text columns 'row <n>', others NULL
//   too_few, too_many   a row of one cell fewer / more than the targets
//   bad_int      'abc' in every cell
//   long_text    'abcdef' in every cell
//   numeric      rows '12.345', '-0.05', '99.96' in every cell
//   bad_pointer, bad_length   a result outside the guest's memory
//   bad_msgpack  a batch holding the byte 0xc1
//   huge_count   an array 32 claiming 2^32-1 rows, then one row
//   trap_mid     the rows of ok, then a trap (unreachable) at the next call
//   loop         never returns
//   grow         grows its memory until refused, then traps
//   json_rows_outside  calls pg_wasm_fdw.json_rows from fdw_begin_scan
//   take_nothing       calls pg_wasm_fdw.take with nothing pending
//   sleep        sleeps 60 s
//   secret       raises an error holding the user mapping's api_key
//   secret_log   logs a WARNING holding it, then returns the rows of ok
//   secret_cell  returns it as every cell
//   http_denied  requests http://denied.example.com/ (not allowed)
// Planning (fdw_plan), by the table's mode:
//   plan_exact_range   "exact": [99]
//   plan_negative      "rows": -5
//   plan_trap          traps
// The others plan with no answer and scan as ok.
// Validation: a foreign table with mode 'refuse' is refused.
// Writes: fdw_begin_modify only (no fdw_insert, fdw_update, fdw_delete).
// IMPORT FOREIGN SCHEMA, by the statement's option mode:
//   bad_type     a column of type no_such_type
//   injection    a type that tries to end the statement
//   quoting      a table and columns whose names hold quotes and spaces,
//                and an option value with a quote
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

enum { MAX_TARGETS = 64 };
enum { K_NULL, K_INT, K_TEXT };

static struct {
  pgw_text mode;  // a copy, valid for the scan
  pgw_text api_key;
  int64_t count, next;
  int32_t ntargets;
  unsigned char kinds[MAX_TARGETS];
  int calls;
} scan;

static int mode_is(const char *m) {
  return pgw_text_eq(scan.mode, m);
}

static int kind_of(pgw_text type) {
  if (pgw_text_eq(type, "integer") || pgw_text_eq(type, "bigint") || pgw_text_eq(type, "smallint"))
    return K_INT;
  if (pgw_text_eq(type, "text") || pgw_text_starts(type, "character varying")) return K_TEXT;
  return K_NULL;
}

static pgw_text copy_opt(const pgw_mp *in, const char *section, const char *name) {
  pgw_text v = {"", 0};
  if (!pgw_fdw_opt(in, section, name, &v)) return pgw_text_dup(pgw_cstr(""));
  return pgw_text_dup(v);
}

PGW_EXPORT(fdw_validate) void fdw_validate(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text mode;
  if (pgw_fdw_opt(&in, "table", "mode", &mode) && pgw_text_eq(mode, "refuse"))
    pgw_fdw_errorf("fdw_hostile: mode refuse is refused");
}

PGW_EXPORT(fdw_plan) int64_t fdw_plan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text mode = {"", 0};
  pgw_fdw_opt(&in, "table", "mode", &mode);
  pgw_buf *out = pgw_output();
  if (pgw_text_eq(mode, "plan_exact_range")) {
    pgw_mp_map(out, 1);
    pgw_mp_cstr(out, "exact");
    pgw_mp_array(out, 1);
    pgw_mp_int64(out, 99);
  } else if (pgw_text_eq(mode, "plan_negative")) {
    pgw_mp_map(out, 1);
    pgw_mp_cstr(out, "rows");
    pgw_mp_int64(out, -5);
  } else if (pgw_text_eq(mode, "plan_trap")) {
    __builtin_trap();
  } else {
    return 0;
  }
  return pgw_buf_result(out);
}

PGW_EXPORT(fdw_begin_scan) void fdw_begin_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_free((void *)scan.mode.ptr);
  pgw_free((void *)scan.api_key.ptr);
  scan.mode = copy_opt(&in, "table", "mode");
  scan.api_key = copy_opt(&in, "user", "api_key");
  pgw_text v;
  scan.count = pgw_fdw_opt(&in, "table", "count", &v) ? pgw_text_to_int(v, 3) : 3;
  scan.next = 1;
  scan.calls = 0;

  unsigned char col_kinds[MAX_TARGETS];
  int32_t ncols = 0;
  pgw_fdw_iter it;
  pgw_fdw_column col;
  pgw_fdw_columns(&in, &it);
  while (pgw_fdw_next_column(&it, &col) && ncols < MAX_TARGETS)
    col_kinds[ncols++] = (unsigned char)kind_of(col.type);
  int32_t t;
  scan.ntargets = 0;
  pgw_fdw_targets(&in, &it);
  while (pgw_fdw_next_target(&it, &t) && scan.ntargets < MAX_TARGETS)
    scan.kinds[scan.ntargets++] = (t >= 0 && t < ncols) ? col_kinds[t] : K_NULL;

  if (mode_is("json_rows_outside")) pgw_fdw_json_rows("[]", 2, "");
}

// The rows of mode ok.
static int64_t ok_rows(void) {
  pgw_fdw_batch *b = pgw_fdw_batch_begin();
  char text[32];
  for (; scan.next <= scan.count; scan.next++) {
    pgw_fdw_row_begin(b, (uint32_t)scan.ntargets);
    for (int32_t c = 0; c < scan.ntargets; c++) {
      if (scan.kinds[c] == K_INT) {
        pgw_fdw_cell_int(b, scan.next);
      } else if (scan.kinds[c] == K_TEXT) {
        pgw_buf l = {text, 0, (int32_t)sizeof text};
        pgw_puts(&l, "row ");
        pgw_buf_int(&l, scan.next);
        pgw_fdw_cell_str(b, l.data, l.len);
      } else {
        pgw_fdw_cell_nil(b);
      }
    }
  }
  return pgw_fdw_batch_end(b);
}

// One row of `ncells` cells, each the string s; then the end.
static int64_t string_row(uint32_t ncells, const char *s) {
  pgw_fdw_batch *b = pgw_fdw_batch_begin();
  if (scan.calls == 1) {
    pgw_fdw_row_begin(b, ncells);
    for (uint32_t c = 0; c < ncells; c++) pgw_fdw_cell_cstr(b, s);
  }
  return pgw_fdw_batch_end(b);
}

static const unsigned char bad_msgpack[] = {0x91, 0xc1};

PGW_EXPORT(fdw_iter_scan) int64_t fdw_iter_scan(void) {
  scan.calls++;
  uint32_t n = (uint32_t)scan.ntargets;
  if (mode_is("too_few")) return string_row(n ? n - 1 : 0, "x");
  if (mode_is("too_many")) return string_row(n + 1, "x");
  if (mode_is("bad_int")) return string_row(n, "abc");
  if (mode_is("long_text")) return string_row(n, "abcdef");
  if (mode_is("secret_cell")) return string_row(n, scan.api_key.ptr);
  if (mode_is("numeric")) {
    static const char *values[] = {"12.345", "-0.05", "99.96"};
    pgw_fdw_batch *b = pgw_fdw_batch_begin();
    for (int r = 0; r < 3 && scan.calls == 1; r++) {
      pgw_fdw_row_begin(b, n);
      for (uint32_t c = 0; c < n; c++) pgw_fdw_cell_cstr(b, values[r]);
    }
    return pgw_fdw_batch_end(b);
  }
  if (mode_is("bad_pointer")) return ((int64_t)16 << 32) | 0xfffffff0u;
  if (mode_is("bad_length")) return ((int64_t)0x7fffffff << 32) | 1024;
  if (mode_is("bad_msgpack")) return pgw_return(bad_msgpack, (int32_t)sizeof bad_msgpack);
  if (mode_is("huge_count")) {
    pgw_buf *out = pgw_output();
    pgw_putc(out, (char)0xdd);
    pgw__be(out, 0xffffffffu, 4);
    pgw_mp_array(out, n);
    for (uint32_t c = 0; c < n; c++) pgw_mp_nil(out);
    return pgw_buf_result(out);
  }
  if (mode_is("trap_mid") && scan.calls > 1) __builtin_trap();
  if (mode_is("loop")) {
    volatile int forever = 1;
    while (forever) {
    }
  }
  if (mode_is("grow")) {
    while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1) {
    }
    __builtin_trap();
  }
  if (mode_is("take_nothing")) {
    char where[16];
    pgw_fdw_host_take(where);
  }
  if (mode_is("sleep")) pgw_fdw_sleep(60000);
  if (mode_is("secret"))
    pgw_fdw_errorf("fdw_hostile: the remote refused key %.*s, sorry", (int)scan.api_key.len,
                   scan.api_key.ptr);
  if (mode_is("secret_log") && scan.calls == 1)
    pgw_fdw_logf(PGW_WARNING, "fdw_hostile: using key %.*s", (int)scan.api_key.len,
                 scan.api_key.ptr);
  if (mode_is("http_denied")) {
    pgw_fdw_response resp;
    pgw_fdw_http_get(pgw_cstr("http://denied.example.com/items"), 0, 0, &resp);
  }
  return ok_rows();
}

PGW_EXPORT(fdw_end_scan) void fdw_end_scan(void) {
  scan.next = scan.count + 1;
}

// Writes: begin only, so that each write's routine is missing.
PGW_EXPORT(fdw_begin_modify) void fdw_begin_modify(int32_t ptr, int32_t len) {
  (void)ptr;
  (void)len;
}

static void import_column(pgw_buf *out, const char *name, const char *type, int not_null) {
  pgw_mp_map(out, not_null ? 3 : 2);
  pgw_mp_cstr(out, "name");
  pgw_mp_cstr(out, name);
  pgw_mp_cstr(out, "type");
  pgw_mp_cstr(out, type);
  if (not_null) {
    pgw_mp_cstr(out, "not_null");
    pgw_mp_bool(out, 1);
  }
}

PGW_EXPORT(fdw_import_foreign_schema) int64_t fdw_import_foreign_schema(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_mp options;
  pgw_text mode = {"", 0};
  if (pgw_mp_find(&in, "options", &options)) pgw_mp_find_str(&options, "mode", &mode);
  pgw_buf *out = pgw_output();
  if (pgw_text_eq(mode, "bad_type") || pgw_text_eq(mode, "injection")) {
    pgw_mp_array(out, 1);
    pgw_mp_map(out, 2);
    pgw_mp_cstr(out, "name");
    pgw_mp_cstr(out, "imported_bad");
    pgw_mp_cstr(out, "columns");
    pgw_mp_array(out, 2);
    import_column(out, "id", "integer", 0);
    import_column(out, "payload",
                  pgw_text_eq(mode, "bad_type")
                      ? "no_such_type"
                      : "int) SERVER hostile; DROP TABLE fdw_hostile_canary; --",
                  0);
    return pgw_buf_result(out);
  }
  if (pgw_text_eq(mode, "quoting")) {
    pgw_mp_array(out, 2);
    pgw_mp_map(out, 3);
    pgw_mp_cstr(out, "name");
    pgw_mp_cstr(out, "we\"ird table");
    pgw_mp_cstr(out, "columns");
    pgw_mp_array(out, 3);
    import_column(out, "my \"id\"", "int4", 1);
    import_column(out, "Label Text", "character varying(20)", 0);
    import_column(out, "x'); DROP TABLE fdw_hostile_canary; --", "text", 0);
    pgw_mp_cstr(out, "options");
    pgw_mp_map(out, 2);
    pgw_mp_cstr(out, "mode");
    pgw_mp_cstr(out, "ok");
    pgw_mp_cstr(out, "object");
    pgw_mp_cstr(out, "it's \"quoted\"");
    pgw_mp_map(out, 2);
    pgw_mp_cstr(out, "name");
    pgw_mp_cstr(out, "skipped");
    pgw_mp_cstr(out, "columns");
    pgw_mp_array(out, 1);
    import_column(out, "a", "text", 0);
    return pgw_buf_result(out);
  }
  pgw_fdw_errorf("fdw_hostile: import mode \"%.*s\" is not one it knows", (int)mode.len, mode.ptr);
}
