// github_events: the example of Supabase's `postgres-wasm-fdw` template
// (GitHub events), written again in C against the canonical ABI, for the
// world supabase:wrappers 0.1.0 as the template targets. Its SQL, from the
// template's README:
//
//   create server example_server foreign data wrapper wasm_wrapper options (
//     fdw_package_url '...', fdw_package_name 'my-company:example-fdw',
//     fdw_package_version '0.1.0', fdw_package_checksum '...',
//     api_url 'https://api.github.com');
//   create foreign table github.events (id text, type text, actor jsonb,
//     repo jsonb, payload jsonb, public boolean, created_at timestamp)
//     server example_server options (object 'events', rowid_column 'id');
//   select id, type, actor->>'login' as login, repo->>'name' as repo,
//     created_at from github.events limit 5;
//
// Server option api_url (default https://api.github.com); table option
// object (required). begin-scan GETs {api_url}/{object} (with a user-agent
// header), fails on a 4xx/5xx status (http.error-for-status), reads the body
// as a JSON array of objects and reports its length (utils.report-info);
// iter-scan gives one row per object, each target column (context
// get-columns, in order) taking the object's member of the column's name:
// bool from true/false, string from a JSON string, timestamp and timestamptz
// from an RFC 3339 string (time.parse-from-rfc3339), json from an object or
// an array (its text), integers and floats from numbers; another JSON type
// gives NULL, and a member missing is an error, as in the template. With a
// limit (context get-limit), at most offset + count rows: PostgreSQL applies
// the offset. re-scan starts again over the same response. Read-only.
//
// The local test API (test/fdw/api_server.py) serves GitHub's shape at
// /github/events: api_url 'http://127.0.0.1:<port>/github'.
#define WIT_VERSION "0.1.0"
#include "cabi.h"
#include "json.h"

enum { MAX_COLUMNS = 64 };

static char base_url_storage[2048];
static str base_url;
static uintptr_t scan_mark;  // the heap as init left it

static struct {
  str name;
  u32 type;
} columns[MAX_COLUMNS];
static u32 ncolumns;

static jval rows;     // the response's array
static jiter cursor;  // the next row in it
static u32 row_count, rows_given;
static s64 max_rows;  // -1: no limit

HOST_VERSION_REQUIREMENT()

EXPORT("init") export_ret *init(u32 ctx) {
  str url = option_or(ctx, OPTIONS_SERVER, "api_url", "https://api.github.com");
  drop_borrows(ctx, 0);
  if (url.len > sizeof base_url_storage) return ret_err(S("api_url is too long"));
  base_url = keep(url, base_url_storage, sizeof base_url_storage);
  scan_mark = heap_mark();
  return ret_ok();
}

// The target columns, their names copied to the heap (kept until the scan
// ends), the handles dropped.
static str read_columns(u32 ctx) {
  list cols;
  context_get_columns(ctx, &cols);
  const u32 *h = cols.ptr;
  if (cols.len > MAX_COLUMNS) return S("too many columns");
  ncolumns = 0;
  for (u32 i = 0; i < cols.len; i++) {
    column_name(h[i], &columns[i].name);
    columns[i].type = column_type(h[i], 0);
    column_drop(h[i]);
    ncolumns++;
  }
  return S("");
}

static export_ret *begin(u32 ctx) {
  heap_release(scan_mark);
  // Nothing left of an earlier scan, should this one fail.
  rows.len = 0;
  cursor.v.len = 0;
  rows_given = row_count = 0;
  str object;
  if (!option_require(ctx, OPTIONS_TABLE, "object", &object)) return ret_err(object);
  str problem = read_columns(ctx);
  if (problem.len) return ret_err(problem);

  // The limit is a hint that counts rows after the quals and in the
  // order: this guest applies neither, so it may stop at the limit only
  // when there are none.
  list quals, sorts;
  context_get_quals(ctx, &quals);
  context_get_sorts(ctx, &sorts);
  for (u32 i = 0; i < quals.len; i++) qual_drop(((const u32 *)quals.ptr)[i]);
  for (u32 i = 0; i < sorts.len; i++) sort_drop(((const u32 *)sorts.ptr)[i]);
  opt_handle lim;
  context_get_limit(ctx, &lim);
  max_rows = -1;
  if (lim.is_some) {
    if (quals.len == 0 && sorts.len == 0)
      max_rows = limit_offset(lim.handle) + limit_count(lim.handle);
    limit_drop(lim.handle);
  }

  buf url = {0};
  buf_str(&url, base_url);
  buf_char(&url, '/');
  buf_str(&url, object);
  static const header headers[] = {{{"user-agent", 10}, {"Example FDW", 11}}};
  http_result resp;
  http_get(HTTP_GET, url.ptr, url.len, headers, 1, "", 0, &resp);
  if (resp.tag) return ret_err(resp.v.err);
  http_response *r = &resp.v.ok;
  tagged_str status;
  http_error_for_status(r->url.ptr, r->url.len, r->status, r->headers.ptr, r->headers.len,
                        r->body.ptr, r->body.len, &status);
  if (status.tag) return ret_err(status.s);

  if (!json_parse(r->body, &rows)) return ret_err(S("the response is not JSON"));
  if (!json_iter(rows, J_ARRAY, &cursor)) return ret_err(S("response should be a JSON array"));
  jiter count = cursor;
  jval elem;
  row_count = 0;
  while (json_next_element(&count, &elem)) row_count++;
  rows_given = 0;

  buf msg = {0};
  buf_cstr(&msg, "We got response array length: ");
  buf_u64(&msg, row_count);
  report_info(msg.ptr, msg.len);
  return ret_ok();
}

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  export_ret *r = begin(ctx);
  drop_borrows(ctx, 0);
  return r;
}

// One cell of the row from the object's member for column i.
static str push_cell(u32 row, u32 i, jval obj) {
  jval v;
  str s;
  s64 n;
  double d;
  char key[256];
  if (columns[i].name.len >= sizeof key) return S("column name too long");
  copy_bytes(key, columns[i].name.ptr, columns[i].name.len);
  key[columns[i].name.len] = 0;
  if (!json_get(obj, key, &v)) return errmsg("source column '", errmsg(key, S("' not found")));
  int kind = json_kind(v);
  switch (columns[i].type) {
    case CELL_BOOL:
      if (kind == J_TRUE || kind == J_FALSE)
        push_i64(row, CELL_BOOL, kind == J_TRUE);
      else
        push_null(row);
      return S("");
    case CELL_STRING:
      if (kind == J_STRING && json_string(v, &s))
        push_string(row, CELL_STRING, s);
      else
        push_null(row);
      return S("");
    case CELL_TIMESTAMP:
    case CELL_TIMESTAMPTZ:
      if (kind == J_STRING && json_string(v, &s)) {
        time_result t;
        time_parse_from_rfc3339(s.ptr, s.len, &t);
        if (t.tag) return t.v.err;
        push_i64(row, columns[i].type, t.v.ok);
      } else {
        push_null(row);
      }
      return S("");
    case CELL_JSON:
      if (kind == J_OBJECT || kind == J_ARRAY)
        push_string(row, CELL_JSON, v);
      else
        push_null(row);
      return S("");
    case CELL_I8:
    case CELL_I16:
    case CELL_I32:
    case CELL_I64:
      if (kind == J_NUMBER && json_int(v, &n))
        push_i64(row, columns[i].type, n);
      else
        push_null(row);
      return S("");
    case CELL_F64:
    case CELL_NUMERIC:
      if (kind == J_NUMBER && json_double(v, &d)) {
        union {
          double d;
          s64 i;
        } u = {d};
        push_i64(row, columns[i].type, u.i);
      } else {
        push_null(row);
      }
      return S("");
    default: return errmsg("column ", errmsg(key, S(" data type is not supported")));
  }
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  jval obj;
  export_ret *r;
  if ((max_rows >= 0 && rows_given >= (u64)max_rows) || !json_next_element(&cursor, &obj)) {
    r = ret_row(0);
  } else if (json_kind(obj) != J_OBJECT) {
    r = ret_err(S("an element of the response is not an object"));
  } else {
    str problem = S("");
    for (u32 i = 0; i < ncolumns && !problem.len; i++) problem = push_cell(row, i, obj);
    rows_given++;
    r = problem.len ? ret_err(problem) : ret_row(1);
  }
  drop_borrows(ctx, row);
  return r;
}

EXPORT("re-scan") export_ret *re_scan(u32 ctx) {
  json_iter(rows, J_ARRAY, &cursor);
  rows_given = 0;
  drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("end-scan") export_ret *end_scan(u32 ctx) {
  rows.len = 0;
  ncolumns = 0;
  drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("begin-modify") export_ret *begin_modify(u32 ctx) {
  drop_borrows(ctx, 0);
  return ret_err(S("modify on foreign table is not supported"));
}
EXPORT("insert") export_ret *insert(u32 ctx, u32 row) {
  drop_borrows(ctx, row);
  return ret_ok();
}
// rowid: cell, flattened (case, i64, i32).
EXPORT("update") export_ret *update(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1, u32 row) {
  drop_borrows(ctx, row);
  return ret_ok();
}
EXPORT("delete") export_ret *delete_(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1) {
  drop_borrows(ctx, 0);
  return ret_ok();
}
EXPORT("end-modify") export_ret *end_modify(u32 ctx) {
  drop_borrows(ctx, 0);
  return ret_ok();
}
