// users_fdw: reads and writes a users API behind a bearer token
// (test/fdw/api_server.py's /users): SELECT, INSERT, UPDATE, DELETE with
// RETURNING, and IMPORT FOREIGN SCHEMA from its /schema.
//
//   SET wasm.http_allowed_hosts = '127.0.0.1:8080';
//   CREATE SERVER users_api FOREIGN DATA WRAPPER wasm_wrapper
//       OPTIONS (module 'users_fdw', api_url 'http://127.0.0.1:8080');
//   CREATE USER MAPPING FOR CURRENT_USER SERVER users_api
//       OPTIONS (api_key 'secret-token-123');
//   CREATE FOREIGN TABLE users (id text, name text, email text, age int)
//       SERVER users_api OPTIONS (object 'users', rowid_column 'id');
//   INSERT INTO users (name, email, age) VALUES ('zed', 'z@example.com', 40) RETURNING id;
//   UPDATE users SET age = age + 1 WHERE id = 'u1' RETURNING *;
//   DELETE FROM users WHERE id = 'u2';
//   IMPORT FOREIGN SCHEMA api LIMIT TO (users) FROM SERVER users_api INTO public;
//
// Server option api_url (required); table option object (default 'users');
// user mapping option api_key, sent as "Authorization: Bearer <api_key>".
// id = c and id = a join's outer value are pushed down (GET /users/{id}).
// INSERT POSTs the row's non-NULL cells as a JSON object (a NULL id is left
// to the API to assign), UPDATE PATCHes the changed columns, DELETE DELETEs;
// INSERT and UPDATE return the row the API answers with, for RETURNING.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

enum { MAX_COLUMNS = 256 };

// Options and columns, copied at begin_scan/begin_modify (inputs do not
// outlive their routine).
static pgw_buf base;  // api_url/object
static pgw_buf auth;  // "Bearer <api_key>", or empty
static int32_t ncolumns;
static pgw_text columns[MAX_COLUMNS];
static int32_t rowid_column = -1;

static void read_options(const pgw_mp *in) {
  pgw_text api, object = {"users", 5}, key;
  if (!pgw_fdw_opt(in, "server", "api_url", &api))
    pgw_fdw_errorf("users_fdw: the server needs option api_url");
  pgw_fdw_opt(in, "table", "object", &object);
  base.len = 0;
  pgw_url_base(&base, api);
  pgw_putc(&base, '/');
  pgw_append(&base, object.ptr, object.len);
  auth.len = 0;
  if (pgw_fdw_opt(in, "user", "api_key", &key)) {
    pgw_puts(&auth, "Bearer ");
    pgw_append(&auth, key.ptr, key.len);
  }
  for (int32_t i = 0; i < ncolumns; i++) pgw_free((void *)columns[i].ptr);
  ncolumns = 0;
  pgw_fdw_iter it;
  pgw_fdw_column col;
  pgw_fdw_columns(in, &it);
  while (pgw_fdw_next_column(&it, &col)) {
    if (ncolumns == MAX_COLUMNS) pgw_fdw_errorf("users_fdw: more than %d columns", MAX_COLUMNS);
    columns[ncolumns++] = pgw_text_dup(col.name);
  }
}

static pgw_buf auth_value;

// A request to `url` with the bearer token and a JSON body (or none).
static void request(const char *method, pgw_text url, const pgw_buf *json, pgw_fdw_response *resp) {
  pgw_fdw_header h[3] = {{"Accept", "application/json"}, {"Content-Type", "application/json"}};
  int32_t n = json ? 2 : 1;
  if (auth.len) {
    auth_value.len = 0;
    pgw_append(&auth_value, auth.data, auth.len);
    pgw_putc(&auth_value, 0);
    h[n].name = "Authorization";
    h[n].value = auth_value.data;
    n++;
  }
  pgw_fdw_http(method, url, h, n, json ? json->data : 0, json ? json->len : 0, resp);
}

PGW_EXPORT(fdw_validate) void fdw_validate(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text catalog = {"", 0}, v;
  pgw_mp_find_str(&in, "catalog", &catalog);
  if (pgw_text_eq(catalog, "server") && !pgw_fdw_opt(&in, "server", "api_url", &v))
    pgw_fdw_errorf("users_fdw: the server needs option api_url");
  if (pgw_text_eq(catalog, "user_mapping") && !pgw_fdw_opt(&in, "user", "api_key", &v))
    pgw_fdw_errorf("users_fdw: the user mapping needs option api_key");
}

// id = c (a str) or id = a param: exact, one request.
static int id_qual(const pgw_mp *in, const pgw_fdw_qual *q) {
  return q->column >= 0 && q->column == pgw_fdw_column_index(in, "id") && !q->any &&
         pgw_text_eq(q->op, "=") && (q->param || pgw_mp_next_type(&q->value) == PGW_MP_STR);
}

PGW_EXPORT(fdw_plan) int64_t fdw_plan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_fdw_iter it;
  pgw_fdw_qual q;
  int32_t exact = -1;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q))
    if (exact < 0 && id_qual(&in, &q)) exact = it.index;
  pgw_buf *out = pgw_output();
  pgw_mp_map(out, 2);
  pgw_mp_cstr(out, "rows");
  pgw_mp_int64(out, exact >= 0 ? 1 : 100);
  pgw_mp_cstr(out, "exact");
  pgw_mp_array(out, exact >= 0 ? 1 : 0);
  if (exact >= 0) pgw_mp_int64(out, exact);
  return pgw_buf_result(out);
}

static struct {
  int single, none, started, done;
  int32_t id_param;
  pgw_buf id, cursor;
} scan;

static pgw_buf url, page;

static void set_id(pgw_mp *v) {
  pgw_text s;
  scan.none = 0;
  scan.id.len = 0;
  if (pgw_mp_read_str(v, &s))
    pgw_append(&scan.id, s.ptr, s.len);
  else
    scan.none = 1;  // NULL: no row
}

PGW_EXPORT(fdw_begin_scan) void fdw_begin_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  read_options(&in);
  scan.single = scan.none = 0;
  scan.id_param = -1;
  int32_t nparams = 0;
  pgw_fdw_iter it;
  pgw_fdw_qual q;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q)) {
    if (!scan.single && id_qual(&in, &q)) {
      scan.single = 1;
      if (q.param) scan.id_param = nparams;
      if (q.has_value) set_id(&q.value);
    }
    if (q.param) nparams++;
  }
  scan.started = scan.done = 0;
  scan.cursor.len = 0;
}

PGW_EXPORT(fdw_re_scan) void fdw_re_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_fdw_iter it;
  pgw_mp v;
  pgw_fdw_params(&in, &it);
  while (pgw_fdw_next(&it, &v))
    if (it.index == scan.id_param) set_id(&v);
  scan.started = scan.done = 0;
  scan.cursor.len = 0;
}

PGW_EXPORT(fdw_iter_scan) int64_t fdw_iter_scan(void) {
  pgw_fdw_response resp;
  if (scan.done || scan.none) return 0;
  if (scan.single) {
    scan.done = 1;
    if (!scan.id.len) return 0;
    url.len = 0;
    pgw_append(&url, base.data, base.len);
    pgw_url_path(&url, pgw_buf_text(&scan.id));
    request("GET", pgw_buf_text(&url), 0, &resp);
    if (resp.status == 404) return 0;
    pgw_fdw_http_check(&resp);
    pgw_fdw_json_rows(resp.body, resp.body_len, "");  // the object: one row
    return 0;
  }
  for (int pages = 0; pages < 100000; pages++) {
    if (scan.started && !scan.cursor.len) break;
    scan.started = 1;
    url.len = 0;
    pgw_append(&url, base.data, base.len);
    pgw_url_query_int(&url, "limit", 100);
    if (scan.cursor.len) pgw_url_query(&url, "cursor", pgw_buf_text(&scan.cursor));
    request("GET", pgw_buf_text(&url), 0, &resp);
    pgw_fdw_http_check(&resp);
    page.len = 0;
    if (!pgw_json_to_mp(resp.body, resp.body_len, &page))
      pgw_fdw_errorf("users_fdw: the API's response is not JSON");
    pgw_mp m = pgw_mp_reader(page.data, page.len), data;
    uint32_t n;
    if (!pgw_mp_find(&m, "data", &data) || !pgw_mp_read_array(&data, &n))
      pgw_fdw_errorf("users_fdw: the API's response has no array data");
    pgw_text c;
    scan.cursor.len = 0;
    if (pgw_mp_find_str(&m, "next_cursor", &c)) pgw_append(&scan.cursor, c.ptr, c.len);
    if (n == 0) continue;
    pgw_fdw_json_rows(resp.body, resp.body_len, "data");
    return 0;
  }
  scan.done = 1;
  return 0;
}

PGW_EXPORT(fdw_end_scan) void fdw_end_scan(void) {
  scan.done = 1;
}

/* ---- Writes ---- */

PGW_EXPORT(fdw_begin_modify) void fdw_begin_modify(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  read_options(&in);
  int64_t r = -1;
  rowid_column = pgw_mp_find_int(&in, "rowid_column", &r) ? (int32_t)r : -1;
}

static pgw_buf body, rowid_text;

// The JSON object of the row's cells: every non-NULL one, or only those in
// `changed` (a cursor at an array of column indexes) when given. The rowid
// column is left out.
static void row_json(pgw_mp row, const pgw_mp *changed) {
  uint32_t n, members = 0;
  body.len = 0;
  pgw_putc(&body, '{');
  if (!pgw_mp_read_array(&row, &n)) pgw_fdw_errorf("users_fdw: no row");
  for (uint32_t i = 0; i < n && (int32_t)i < ncolumns; i++) {
    int take = 1;
    if (changed) {
      pgw_mp c = *changed;
      uint32_t k;
      int64_t idx;
      take = 0;
      if (pgw_mp_read_array(&c, &k))
        for (uint32_t j = 0; j < k; j++)
          if (pgw_mp_read_int(&c, &idx) && idx == (int64_t)i) take = 1;
    }
    if ((int32_t)i == rowid_column || pgw_mp_next_type(&row) == PGW_MP_NIL) take = 0;
    if (!take) {
      pgw_mp_skip(&row);
      continue;
    }
    if (members++) pgw_putc(&body, ',');
    pgw_json_str(&body, columns[i].ptr, columns[i].len);
    pgw_putc(&body, ':');
    if (!pgw_json_from_mp(&body, &row, 0)) pgw_fdw_errorf("users_fdw: a cell JSON cannot hold");
  }
  pgw_putc(&body, '}');
}

// The API's answer (a JSON object) as the row for RETURNING: one cell per
// column, by name.
static int64_t returned_row(const pgw_fdw_response *resp) {
  page.len = 0;
  if (!pgw_json_to_mp(resp->body, resp->body_len, &page))
    pgw_fdw_errorf("users_fdw: the API's response is not JSON");
  pgw_mp m = pgw_mp_reader(page.data, page.len);
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, (uint32_t)ncolumns);
  for (int32_t i = 0; i < ncolumns; i++) {
    char name[128];
    int32_t l = columns[i].len < 127 ? columns[i].len : 127;
    for (int32_t k = 0; k < l; k++) name[k] = columns[i].ptr[k];
    name[l] = 0;
    pgw_mp v;
    if (!pgw_mp_find(&m, name, &v) || !pgw_mp_cell_from(&v, out)) pgw_mp_nil(out);
  }
  return pgw_buf_result(out);
}

// base/{rowid} for UPDATE and DELETE.
static pgw_text rowid_url(const pgw_mp *in) {
  pgw_mp v;
  pgw_text s;
  if (!pgw_mp_find(in, "rowid", &v)) pgw_fdw_errorf("users_fdw: no rowid");
  rowid_text.len = 0;
  if (pgw_mp_read_str(&v, &s)) {
    pgw_append(&rowid_text, s.ptr, s.len);
  } else {
    pgw_mp_type t = pgw_mp_next_type(&v);
    if (t != PGW_MP_INT || !pgw_json_from_mp(&rowid_text, &v, 0))
      pgw_fdw_errorf("users_fdw: the rowid is neither text nor an integer");
  }
  url.len = 0;
  pgw_append(&url, base.data, base.len);
  pgw_url_path(&url, pgw_buf_text(&rowid_text));
  return pgw_buf_text(&url);
}

PGW_EXPORT(fdw_insert) int64_t fdw_insert(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len), row;
  pgw_fdw_response resp;
  if (!pgw_mp_find(&in, "row", &row)) pgw_fdw_errorf("users_fdw: no row");
  int32_t keep = rowid_column;
  rowid_column = -1;  // an id given by INSERT is sent; a NULL one is left out
  row_json(row, 0);
  rowid_column = keep;
  request("POST", pgw_buf_text(&base), &body, &resp);
  pgw_fdw_http_check(&resp);
  return returned_row(&resp);
}

PGW_EXPORT(fdw_update) int64_t fdw_update(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len), row, changed;
  pgw_fdw_response resp;
  if (!pgw_mp_find(&in, "row", &row)) pgw_fdw_errorf("users_fdw: no row");
  if (!pgw_mp_find(&in, "changed", &changed)) changed = pgw_mp_reader("\x90", 1);
  pgw_text u = rowid_url(&in);
  row_json(row, &changed);
  request("PATCH", u, &body, &resp);
  if (resp.status == 404) return 0;  // gone meanwhile: nothing to return
  pgw_fdw_http_check(&resp);
  return returned_row(&resp);
}

PGW_EXPORT(fdw_delete) int64_t fdw_delete(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_fdw_response resp;
  request("DELETE", rowid_url(&in), 0, &resp);
  if (resp.status != 404) pgw_fdw_http_check(&resp);
  return 0;  // the host returns the row its scan read
}

PGW_EXPORT(fdw_end_modify) void fdw_end_modify(void) {}

/* ---- IMPORT FOREIGN SCHEMA ---- */

PGW_EXPORT(fdw_import_foreign_schema) int64_t fdw_import_foreign_schema(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text api, key;
  pgw_fdw_response resp;
  if (!pgw_fdw_opt(&in, "server", "api_url", &api))
    pgw_fdw_errorf("users_fdw: the server needs option api_url");
  auth.len = 0;
  if (pgw_fdw_opt(&in, "user", "api_key", &key)) {
    pgw_puts(&auth, "Bearer ");
    pgw_append(&auth, key.ptr, key.len);
  }
  url.len = 0;
  pgw_url_base(&url, api);
  pgw_puts(&url, "/schema");
  request("GET", pgw_buf_text(&url), 0, &resp);
  pgw_fdw_http_check(&resp);
  page.len = 0;
  if (!pgw_json_to_mp(resp.body, resp.body_len, &page))
    pgw_fdw_errorf("users_fdw: /schema is not JSON");
  pgw_mp m = pgw_mp_reader(page.data, page.len), tables;
  if (!pgw_mp_find(&m, "tables", &tables) || pgw_mp_next_type(&tables) != PGW_MP_ARRAY)
    pgw_fdw_errorf("users_fdw: /schema has no array tables");
  // The tables as /schema gives them: [{name, columns: [{name, type,
  // not_null}], options}], the shape the host reads.
  pgw_buf *out = pgw_output();
  if (!pgw_mp_copy_value(&tables, out)) pgw_fdw_errorf("users_fdw: /schema is malformed");
  return pgw_buf_result(out);
}
