// compute_fdw: a foreign table computed by the guest, no network. For tests
// and benchmarks of the FDW machinery itself.
//
//   CREATE SERVER compute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'compute_fdw');
//   CREATE FOREIGN TABLE numbers (n int8, square int8, label text, even bool, half float8,
//                                 other text)
//       SERVER compute OPTIONS (count '100000');
//   SELECT * FROM numbers WHERE n <= 3;      -- (1,1,'row 1',f,0.5,NULL) ... pushed down, exact
//   SELECT n FROM numbers WHERE n = 42;      -- one row
//   SELECT n FROM numbers ORDER BY n LIMIT 5 OFFSET 10;   -- sort and limit pushed down
//
// Table option `count`: rows to generate (default 10). Columns are filled by
// name: n (1..count), square (n*n), label ('row ' || n), even (n % 2 = 0),
// half (n / 2.0, a float); any other column is NULL. Quals n =, n <, n <= on an integer are applied
// exactly (n = a join's outer value too, at each rescan); the rows come in
// the order of n, so ORDER BY n is exact, and LIMIT/OFFSET when every qual
// is. Rows travel in batches of 500.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

enum { K_NULL, K_N, K_SQUARE, K_LABEL, K_EVEN, K_HALF };
enum { BATCH = 500, MAX_TARGETS = 1600 };

static int column_kind(pgw_text name) {
  if (pgw_text_eq(name, "n")) return K_N;
  if (pgw_text_eq(name, "square")) return K_SQUARE;
  if (pgw_text_eq(name, "label")) return K_LABEL;
  if (pgw_text_eq(name, "even")) return K_EVEN;
  if (pgw_text_eq(name, "half")) return K_HALF;
  return K_NULL;
}

// The index of column `n` in the input's columns, or -1.
static int32_t n_column(const pgw_mp *in) {
  return pgw_fdw_column_index(in, "n");
}

// Whether the guest applies this qual exactly: n =, n <, n <= with an
// integer value (or, for =, a join's parameter). Plan and scan decide alike.
static int qual_exact(const pgw_fdw_qual *q, int32_t ncol) {
  if (q->column != ncol || ncol < 0 || q->any) return 0;
  int eq = pgw_text_eq(q->op, "="), lt = pgw_text_eq(q->op, "<"), le = pgw_text_eq(q->op, "<=");
  if (!eq && !lt && !le) return 0;
  if (q->param) return eq;
  return pgw_mp_next_type(&q->value) == PGW_MP_INT;
}

static int64_t table_count(const pgw_mp *in) {
  pgw_text v;
  if (!pgw_fdw_opt(in, "table", "count", &v)) return 10;
  int64_t n = pgw_text_to_int(v, -1);
  if (n < 0) pgw_fdw_errorf("compute_fdw: option count must be a non-negative integer");
  return n;
}

PGW_EXPORT(fdw_validate) void fdw_validate(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text v;
  if (pgw_fdw_opt(&in, "table", "count", &v) && pgw_text_to_int(v, -1) < 0)
    pgw_fdw_errorf("compute_fdw: option count must be a non-negative integer, not \"%.*s\"",
                   (int)v.len, v.ptr);
}

PGW_EXPORT(fdw_plan) int64_t fdw_plan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  int32_t ncol = n_column(&in);
  int64_t rows = table_count(&in);
  pgw_buf exact = {0, 0, 0};
  uint32_t nexact = 0;
  int all_exact = 1;
  pgw_fdw_iter it;
  pgw_fdw_qual q;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q)) {
    if (qual_exact(&q, ncol)) {
      pgw_mp_int64(&exact, it.index);
      nexact++;
      if (pgw_text_eq(q.op, "=")) {
        rows = rows > 0 ? 1 : 0;
      } else {
        int64_t v;
        pgw_mp val = q.value;
        if (pgw_mp_read_int(&val, &v)) {
          int64_t bound = pgw_text_eq(q.op, "<") ? v - 1 : v;
          if (bound < rows) rows = bound < 0 ? 0 : bound;
        }
      }
    } else {
      all_exact = 0;
    }
  }
  // Sorted by n ascending; the nulls clause is moot (n is never NULL).
  int sorted = 0;
  pgw_fdw_sort s;
  if (pgw_fdw_sorts(&in, &it) == 1 && pgw_fdw_next_sort(&it, &s))
    sorted = s.column == ncol && ncol >= 0 && !s.desc;

  // no request to make
  return pgw_fdw_plan_result(rows, 1, &exact, nexact, sorted, all_exact);
}

static struct {
  int32_t ntargets;
  unsigned char kinds[MAX_TARGETS];
  int64_t count, lo, hi;       // n in [lo, hi] before params, limit and offset
  int64_t next, last;          // the next n and the last one of this scan
  int64_t offset, limit;       // limit -1: none
  int32_t nparams;             // the quals with param, in order
  unsigned char param_eq[64];  // 1 when that param is an exact n =
  int64_t param_value[64];
  int param_null[64];
} scan;

// Sets next and last from the bounds, the params and limit/offset.
static void start_scan(void) {
  int64_t lo = scan.lo, hi = scan.hi;
  for (int32_t i = 0; i < scan.nparams && i < 64; i++) {
    if (!scan.param_eq[i]) continue;
    if (scan.param_null[i]) hi = lo - 1;  // n = NULL: no row
    if (scan.param_value[i] > lo) lo = scan.param_value[i];
    if (scan.param_value[i] < hi) hi = scan.param_value[i];
  }
  if (lo > hi) {
    scan.next = 1;
    scan.last = 0;
    return;
  }
  if (scan.offset > 0) lo = (hi - lo < scan.offset) ? hi + 1 : lo + scan.offset;
  if (scan.limit >= 0 && lo <= hi && hi - lo >= scan.limit) hi = lo + scan.limit - 1;
  scan.next = lo;
  scan.last = hi;
}

static void set_param(int32_t i, pgw_mp *value) {
  int64_t v;
  if (i >= 64 || !scan.param_eq[i]) return;
  scan.param_null[i] = 0;
  if (pgw_mp_read_int(value, &v)) {
    scan.param_value[i] = v;
  } else if (pgw_mp_next_type(value) == PGW_MP_NIL) {
    scan.param_null[i] = 1;
  } else {
    pgw_fdw_errorf("compute_fdw: a parameter for n is not an integer");
  }
}

PGW_EXPORT(fdw_begin_scan) void fdw_begin_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  int32_t ncol = n_column(&in);
  pgw_fdw_iter it;

  // The kind of each column, then of each target.
  unsigned char col_kinds[MAX_TARGETS];
  int32_t ncols = 0;
  pgw_fdw_column col;
  pgw_fdw_columns(&in, &it);
  while (pgw_fdw_next_column(&it, &col) && ncols < MAX_TARGETS)
    col_kinds[ncols++] = (unsigned char)column_kind(col.name);
  scan.ntargets = 0;
  int32_t t;
  pgw_fdw_targets(&in, &it);
  while (pgw_fdw_next_target(&it, &t)) {
    if (scan.ntargets == MAX_TARGETS) pgw_fdw_errorf("compute_fdw: too many columns");
    scan.kinds[scan.ntargets++] = (t >= 0 && t < ncols) ? col_kinds[t] : K_NULL;
  }

  scan.count = table_count(&in);
  scan.lo = 1;
  scan.hi = scan.count;
  scan.nparams = 0;
  pgw_fdw_qual q;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q)) {
    int exact = qual_exact(&q, ncol);
    if (q.param) {
      int32_t i = scan.nparams++;
      if (i < 64) {
        scan.param_eq[i] = (unsigned char)exact;
        scan.param_value[i] = 0;
        scan.param_null[i] = 0;
        if (exact && q.has_value) set_param(i, &q.value);
      } else if (exact) {
        pgw_fdw_errorf("compute_fdw: more than 64 parameters");
      }
      continue;
    }
    if (!exact) continue;
    int64_t v;
    pgw_mp val = q.value;
    pgw_mp_read_int(&val, &v);
    if (pgw_text_eq(q.op, "=")) {
      if (v > scan.lo) scan.lo = v;
      if (v < scan.hi) scan.hi = v;
    } else if (pgw_text_eq(q.op, "<")) {
      if (v - 1 < scan.hi) scan.hi = v - 1;
    } else if (v < scan.hi) {  // <=
      scan.hi = v;
    }
  }
  scan.limit = -1;
  scan.offset = 0;
  int64_t limit, offset;
  if (pgw_fdw_limit(&in, &limit, &offset)) scan.limit = limit < 0 ? 0 : limit;
  scan.offset = offset < 0 ? 0 : offset;
  start_scan();
}

PGW_EXPORT(fdw_re_scan) void fdw_re_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_fdw_iter it;
  pgw_mp v;
  pgw_fdw_params(&in, &it);
  while (pgw_fdw_next(&it, &v)) set_param(it.index, &v);
  start_scan();
}

PGW_EXPORT(fdw_iter_scan) int64_t fdw_iter_scan(void) {
  pgw_fdw_batch *b = pgw_fdw_batch_begin();
  char label[32];
  for (int i = 0; i < BATCH && scan.next <= scan.last; i++, scan.next++) {
    int64_t n = scan.next;
    pgw_fdw_row_begin(b, (uint32_t)scan.ntargets);
    for (int32_t c = 0; c < scan.ntargets; c++) {
      switch (scan.kinds[c]) {
        case K_N: pgw_fdw_cell_int(b, n); break;
        case K_SQUARE:
          // n*n overflows int8 past 3037000499: NULL then
          if (n > 3037000499 || n < -3037000499)
            pgw_fdw_cell_nil(b);
          else
            pgw_fdw_cell_int(b, n * n);
          break;
        case K_LABEL: {
          pgw_buf l = {label, 0, (int32_t)sizeof label};
          pgw_puts(&l, "row ");
          pgw_buf_int(&l, n);
          pgw_fdw_cell_str(b, l.data, l.len);
          break;
        }
        case K_EVEN: pgw_fdw_cell_bool(b, n % 2 == 0); break;
        case K_HALF: pgw_fdw_cell_float(b, (double)n / 2.0); break;
        default: pgw_fdw_cell_nil(b);
      }
    }
  }
  return pgw_fdw_batch_end(b);
}

PGW_EXPORT(fdw_end_scan) void fdw_end_scan(void) {
  scan.next = 1, scan.last = 0;
}
