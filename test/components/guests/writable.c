// writable: a foreign table with INSERT, UPDATE and DELETE over a JSON
// REST API (test/fdw/api_server.py's /users, bearer token), for the world
// supabase:wrappers 0.1.0, rows identified by `rowid_column`:
//
//   create server users_rest foreign data wrapper wasm_wrapper options (
//     fdw_package_url '...', fdw_package_name 'pg-wasm:writable',
//     fdw_package_version '0.1.0', fdw_package_checksum '...',
//     api_url 'http://127.0.0.1:<port>', api_key 'secret-token-123');
//   create foreign table users_rest (id text, name text, email text, age int)
//     server users_rest options (object 'users', rowid_column 'id');
//   insert into users_rest (name, email, age) values ('zed', 'zed@x', 40);
//   update users_rest set age = 41 where id = 'u1';
//   delete from users_rest where id = 'u2';
//
// Server options api_url (required) and the API's token: api_key, else
// api_key_id (utils.get-vault-secret), else api_key_name
// (utils.get-vault-secret-by-name); one of them is required. Sent as
// `authorization: Bearer <token>`. Scans page through {api_url}/{object}
// (rest_scan.h; table options as there). begin-modify needs the table
// options object and rowid_column. insert POSTs the row's non-null cells
// (row.cols, row.cells) as a JSON object to {api_url}/{object}; update
// PATCHes the new row's cells but the rowid column to
// {api_url}/{object}/{rowid}; delete DELETEs {api_url}/{object}/{rowid}. A
// 4xx or 5xx is the statement's error (http.error-for-status). Cells become
// JSON as: bool, integers as numbers; floats and numeric as the host's text
// of them (utils.cell-to-string); date, timestamp, timestamptz as RFC 3339
// (time.epoch-ms-to-rfc3339); json as itself; the rest as strings. What a
// write allocates is freed by its post-return function.
#define WIT_VERSION "0.1.0"
#include "cabi.h"
#include "json.h"
#include "rest_scan.h"

static uintptr_t init_mark, modify_mark;
static str object, rowid_column;
static char object_storage[256], rowid_storage[64];

HOST_VERSION_REQUIREMENT()

static str configure(u32 ctx) {
  str url, token;
  if (!option_require(ctx, OPTIONS_SERVER, "api_url", &url)) return url;
  u32 opts = get_options(ctx, OPTIONS_SERVER);
  int found = option_get(opts, "api_key", &token);
  str id;
  if (!found && option_get(opts, "api_key_id", &id)) {
    tagged_str secret;
    utils_get_vault_secret(id.ptr, id.len, &secret);
    if (!secret.tag) {
      options_drop(opts);
      return errmsg("no secret with the id ", id);
    }
    token = secret.s;
    found = 1;
  }
  if (!found && option_get(opts, "api_key_name", &id)) {
    tagged_str secret;
    utils_get_vault_secret_by_name(id.ptr, id.len, &secret);
    if (!secret.tag) {
      options_drop(opts);
      return errmsg("no secret named ", id);
    }
    token = secret.s;
    found = 1;
  }
  options_drop(opts);
  if (!found) return S("one of the server options api_key, api_key_id, api_key_name is required");
  return scan_configure("writable", url, token);
}

EXPORT("init") export_ret *init(u32 ctx) {
  str problem = configure(ctx);
  init_mark = heap_mark();
  drop_borrows(ctx, 0);
  return scan_result(problem);
}

REST_SCAN_ROUTINES(init_mark)

static str begin(u32 ctx) {
  str v;
  heap_release(init_mark);
  if (!option_require(ctx, OPTIONS_TABLE, "object", &v)) return v;
  if (v.len > sizeof object_storage) return S("object is too long");
  object = keep(v, object_storage, sizeof object_storage);
  if (!option_require(ctx, OPTIONS_TABLE, "rowid_column", &v)) return v;
  if (v.len > sizeof rowid_storage) return S("rowid_column is too long");
  rowid_column = keep(v, rowid_storage, sizeof rowid_storage);
  modify_mark = heap_mark();
  return S("");
}

EXPORT("begin-modify") export_ret *begin_modify(u32 ctx) {
  str problem = begin(ctx);
  drop_borrows(ctx, 0);
  return scan_result(problem);
}

// A cell as JSON.
static void json_cell(buf *b, const cell *c) {
  tagged_str t;
  switch (c->tag) {
    case CELL_BOOL: buf_cstr(b, c->v.b ? "true" : "false"); break;
    case CELL_I8: buf_s64(b, c->v.i8); break;
    case CELL_I16: buf_s64(b, c->v.i16); break;
    case CELL_I32: buf_s64(b, c->v.i32); break;
    case CELL_I64: buf_s64(b, c->v.i64); break;
    case CELL_F32:
    case CELL_F64:
    case CELL_NUMERIC: buf_str(b, cell_text(c)); break;
    case CELL_DATE:
    case CELL_TIMESTAMP:
    case CELL_TIMESTAMPTZ:
      time_epoch_ms_to_rfc3339(c->tag == CELL_DATE ? c->v.i64 * 1000000 : c->v.i64, &t);
      buf_json_string(b, t.tag ? cell_text(c) : t.s);
      break;
    case CELL_JSON: buf_str(b, c->v.s); break;
    default: buf_json_string(b, c->v.s); break;
  }
}

// The row as a JSON object: its non-null cells, without the rowid column.
static str row_json(u32 row) {
  list cols, cells;
  row_cols(row, &cols);
  row_cells(row, &cells);
  const str *names = cols.ptr;
  const opt_cell *values = cells.ptr;
  buf b = {0};
  int first = 1;
  buf_char(&b, '{');
  for (u32 i = 0; i < cols.len && i < cells.len; i++) {
    if (!values[i].is_some || str_eqs(names[i], rowid_column)) continue;
    if (!first) buf_char(&b, ',');
    first = 0;
    buf_json_string(&b, names[i]);
    buf_char(&b, ':');
    json_cell(&b, &values[i].c);
  }
  buf_char(&b, '}');
  return buf_take(&b);
}

// {api_url}/{object}[/{rowid}]
static str url_of(const cell *rowid) {
  buf url = {0};
  buf_str(&url, scan.api_url);
  buf_char(&url, '/');
  buf_str(&url, object);
  if (rowid) {
    buf_char(&url, '/');
    buf_urlencode(&url, scan_is_text(rowid) ? rowid->v.s : cell_text(rowid));
  }
  return buf_take(&url);
}

// The rowid cell from its flat form (case, i64, i32).
static cell rowid_cell(u32 case_, s64 p0, u32 p1) {
  cell c = {0};
  c.tag = (u8)case_;
  switch (case_) {
    case CELL_STRING:
    case CELL_JSON:
    case CELL_UUID:
    case CELL_OTHER:
      c.v.s.ptr = (const char *)(uintptr_t)(u32)p0;
      c.v.s.len = p1;
      break;
    case CELL_BOOL: c.v.b = (u8)p0; break;
    case CELL_I8: c.v.i8 = (int8_t)p0; break;
    case CELL_I16: c.v.i16 = (int16_t)p0; break;
    case CELL_I32: c.v.i32 = (s32)p0; break;
    case CELL_F32: {
      union {
        u32 i;
        float f;
      } u = {(u32)p0};
      c.v.f32 = u.f;
      break;
    }
    default: c.v.i64 = p0; break;
  }
  return c;
}

EXPORT("insert") export_ret *insert(u32 ctx, u32 row) {
  str body, payload = row_json(row);
  int ok = scan_request(HTTP_POST, url_of(0), payload, &body);
  drop_borrows(ctx, row);
  if (ok) stats_inc("writable", 8, METRIC_ROWS_OUT, 1);
  return ok ? ret_ok() : ret_err(body);
}

EXPORT("update") export_ret *update(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1, u32 row) {
  cell rowid = rowid_cell(rowid_case, rowid0, rowid1);
  str body, payload = row_json(row);
  int ok = scan_request(HTTP_PATCH, url_of(&rowid), payload, &body);
  drop_borrows(ctx, row);
  return ok ? ret_ok() : ret_err(body);
}

EXPORT("delete") export_ret *delete_(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1) {
  cell rowid = rowid_cell(rowid_case, rowid0, rowid1);
  str body;
  int ok = scan_request(HTTP_DELETE, url_of(&rowid), S(""), &body);
  drop_borrows(ctx, 0);
  return ok ? ret_ok() : ret_err(body);
}

// Post-return of each write: the host has copied the result (an error
// message on the heap), so what the call allocated (the row's cells, the
// request, the response) is free again.
POST_RETURN("insert") void insert_post(export_ret *r) {
  heap_release(modify_mark);
}
POST_RETURN("update") void update_post(export_ret *r) {
  heap_release(modify_mark);
}
POST_RETURN("delete") void delete_post(export_ret *r) {
  heap_release(modify_mark);
}

EXPORT("end-modify") export_ret *end_modify(u32 ctx) {
  drop_borrows(ctx, 0);
  return ret_ok();
}
