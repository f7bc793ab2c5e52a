// A scan over a cursor-paginated JSON API, for the C guests of
// test/components (paginated, writable, import_schema): the shape of
// test/fdw/api_server.py's /events and /users, GET {api_url}/{object}
// ?limit=N[&filters][&sort=...][&cursor=c] -> {"data": [...],
// "next_cursor": "c100" | null}.
//
// Columns are filled by name from each object of `data`: the member of the
// column's name, else, for a name with an underscore, the dotted path
// (actor_login -> actor.login); a missing member is NULL. Equality quals on
// the columns of the table option `pushdown` (`column` or `column=param`,
// comma-separated) become query parameters: `col = 'v'` gives param=v,
// `col = ANY('{a,b}')` (use-or, an array) gives param=a,b. An ORDER BY of one
// column listed in the table option `sort_param` goes to the API as
// sort=col or sort=-col. Pages are fetched one at a time, as rows are asked
// for; with a limit (offset + count rows: PostgreSQL applies the offset) no
// more rows are asked for than the limit needs, and the scan stops at it.
// At most MAX_PAGES pages. Table option trace 'true' reports each request's
// path (utils.report-notice) and, at end-scan, the pages and rows.
//
// Needs cabi.h and json.h first.
#ifndef PGWASM_TEST_REST_SCAN_H
#define PGWASM_TEST_REST_SCAN_H

enum { MAX_PAGES = 1000, MAX_SCAN_COLUMNS = 64, MAX_PAGE_SIZE = 100 };

typedef struct {
  str name;
  u32 type;
} scan_column;

static struct {
  // configuration, from init
  const char *fdw_name;  // for stats
  str api_url;
  str auth;  // an Authorization header's value, or empty
  // the scan
  scan_column columns[MAX_SCAN_COLUMNS];
  u32 ncolumns;
  str path;   // object, then ?limit is added per page
  buf query;  // &param=value... (pushed quals, sort)
  s64 max_rows;
  s64 page_size;
  int trace;
  u64 rows_given;
  u32 pages;
  int done;
  char cursor[128];
  u32 cursor_len;
  int have_cursor;
  uintptr_t page_mark;  // the heap before the current page
  jiter rows;
  int have_page;
} scan;

static char scan_api_url_storage[2048];
static char scan_auth_storage[1024];

// Called from init: the API's base URL and, when not empty, the bearer token.
static inline str scan_configure(const char *fdw_name, str api_url, str token) {
  if (api_url.len > sizeof scan_api_url_storage) return S("api_url is too long");
  if (token.len + 7 > sizeof scan_auth_storage) return S("the API key is too long");
  scan.fdw_name = fdw_name;
  scan.api_url = keep(api_url, scan_api_url_storage, sizeof scan_api_url_storage);
  scan.auth.len = 0;
  if (token.len) {
    copy_bytes(scan_auth_storage, "Bearer ", 7);
    copy_bytes(scan_auth_storage + 7, token.ptr, token.len);
    scan.auth.ptr = scan_auth_storage;
    scan.auth.len = token.len + 7;
  }
  return S("");
}

// scan_configure from the server options: api_url (required: else the
// host's message) and, when key_option is not null, the token in that
// option (optional).
static inline str scan_configure_server(u32 ctx, const char *fdw_name, const char *key_option) {
  str url, key = S("");
  if (!option_require(ctx, OPTIONS_SERVER, "api_url", &url)) return url;
  if (key_option) {
    u32 opts = get_options(ctx, OPTIONS_SERVER);
    option_get(opts, key_option, &key);
    options_drop(opts);
  }
  return scan_configure(fdw_name, url, key);
}

static inline u32 scan_headers(header *h, int json_body) {
  u32 n = 0;
  h[n].name = S("user-agent");
  h[n++].value = S("pg_wasm component fixture");
  if (scan.auth.len) {
    h[n].name = S("authorization");
    h[n++].value = scan.auth;
  }
  if (json_body) {
    h[n].name = S("content-type");
    h[n++].value = S("application/json");
  }
  return n;
}

// A request; *body the response's body on success, else the error.
static inline int scan_request(u32 method, str url, str payload, str *body) {
  header h[3];
  u32 nh = scan_headers(h, payload.len > 0);
  http_result resp;
  switch (method) {
    case HTTP_POST:
      http_post(method, url.ptr, url.len, h, nh, payload.ptr, payload.len, &resp);
      break;
    case HTTP_PUT:
      http_put(method, url.ptr, url.len, h, nh, payload.ptr, payload.len, &resp);
      break;
    case HTTP_PATCH:
      http_patch(method, url.ptr, url.len, h, nh, payload.ptr, payload.len, &resp);
      break;
    case HTTP_DELETE:
      http_delete(method, url.ptr, url.len, h, nh, payload.ptr, payload.len, &resp);
      break;
    default: http_get(method, url.ptr, url.len, h, nh, payload.ptr, payload.len, &resp); break;
  }
  if (resp.tag) {
    *body = resp.v.err;
    return 0;
  }
  http_response *r = &resp.v.ok;
  tagged_str st;
  http_error_for_status(r->url.ptr, r->url.len, r->status, r->headers.ptr, r->headers.len,
                        r->body.ptr, r->body.len, &st);
  if (st.tag) {
    *body = st.s;
    return 0;
  }
  stats_inc(scan.fdw_name, cstr_len(scan.fdw_name), METRIC_BYTES_IN, r->body.len);
  *body = r->body;
  return 1;
}

// Is `name` listed in the comma-separated `list` (entries `name` or
// `name=param`)? *param is the parameter's name (name itself by default).
static inline int scan_listed(str list, str name, str *param) {
  u32 i = 0;
  while (i <= list.len) {
    u32 start = i;
    while (i < list.len && list.ptr[i] != ',') i++;
    str entry = {list.ptr + start, i - start};
    u32 eq = 0;
    while (eq < entry.len && entry.ptr[eq] != '=') eq++;
    str key = {entry.ptr, eq};
    if (entry.len && str_eqs(key, name)) {
      if (eq < entry.len) {
        param->ptr = entry.ptr + eq + 1;
        param->len = entry.len - eq - 1;
      } else {
        *param = key;
      }
      return 1;
    }
    i++;
  }
  return 0;
}

static inline int scan_is_text(const cell *c) {
  return c->tag == CELL_STRING || c->tag == CELL_UUID || c->tag == CELL_OTHER;
}

// Pushes the quals it can into scan.query; the handles dropped. Returns
// whether it pushed them all.
static inline int scan_push_quals(u32 ctx, str pushdown) {
  list quals;
  context_get_quals(ctx, &quals);
  const u32 *h = quals.ptr;
  u32 used = 0;  // quals pushed, at most 16
  int all = 1;
  for (u32 i = 0; i < quals.len; i++) {
    u32 before = used;
    str field, op, param;
    qual_field(h[i], &field);
    qual_operator(h[i], &op);
    if (str_eq(op, "=") && scan_listed(pushdown, field, &param) && used < 16) {
      qual_value v;
      qual_value_of(h[i], &v);
      int any = qual_use_or(h[i]) != 0;
      if (!any && v.tag == 0 && scan_is_text(&v.v.c)) {
        buf_char(&scan.query, '&');
        buf_str(&scan.query, param);
        buf_char(&scan.query, '=');
        buf_urlencode(&scan.query, v.v.c.v.s);
        used++;
      } else if (any && v.tag == 1 && v.v.array.len > 0) {
        const cell *cells = v.v.array.ptr;
        int ok = 1;
        for (u32 k = 0; k < v.v.array.len && ok; k++) {
          ok = scan_is_text(&cells[k]);
          for (u32 j = 0; ok && j < cells[k].v.s.len; j++) ok = cells[k].v.s.ptr[j] != ',';
        }
        if (ok) {
          buf_char(&scan.query, '&');
          buf_str(&scan.query, param);
          buf_char(&scan.query, '=');
          for (u32 k = 0; k < v.v.array.len; k++) {
            if (k) buf_char(&scan.query, ',');
            buf_urlencode(&scan.query, cells[k].v.s);
          }
          used++;
        }
      }
    }
    if (used == before) all = 0;
    qual_drop(h[i]);
  }
  return all;
}

// Pushes the sort as the API's, if it can; returns whether the rows come
// in the order asked (none asked, or the one pushed).
static inline int scan_push_sort(u32 ctx, str sortable) {
  list sorts;
  context_get_sorts(ctx, &sorts);
  const u32 *h = sorts.ptr;
  int sorted = sorts.len == 0;
  if (sorts.len == 1) {
    str field, param;
    sort_field(h[0], &field);
    if (scan_listed(sortable, field, &param)) {
      buf_cstr(&scan.query, "&sort=");
      if (sort_reversed(h[0])) buf_char(&scan.query, '-');
      buf_str(&scan.query, param);
      sorted = 1;
    }
  }
  for (u32 i = 0; i < sorts.len; i++) sort_drop(h[i]);
  return sorted;
}

// begin-scan (and re-scan): columns, options, quals, sort and limit.
static inline str scan_begin(u32 ctx, uintptr_t mark) {
  heap_release(mark);
  scan.query.ptr = 0;
  scan.query.len = scan.query.cap = 0;
  str object;
  if (!option_require(ctx, OPTIONS_TABLE, "object", &object)) return object;
  u32 topts = get_options(ctx, OPTIONS_TABLE);
  str pushdown = S(""), sortable = S(""), v;
  scan.page_size = MAX_PAGE_SIZE;
  scan.trace = 0;
  if (option_get(topts, "pushdown", &v)) pushdown = v;
  if (option_get(topts, "sort_param", &v)) sortable = v;
  if (option_get(topts, "trace", &v)) scan.trace = str_eq(v, "true");
  if (option_get(topts, "page_size", &v)) {
    s64 n = 0;
    if (!json_int(v, &n) || n < 1 || n > MAX_PAGE_SIZE) {
      options_drop(topts);
      return S("page_size must be an integer from 1 to 100");
    }
    scan.page_size = n;
  }
  options_drop(topts);

  list cols;
  context_get_columns(ctx, &cols);
  const u32 *h = cols.ptr;
  if (cols.len > MAX_SCAN_COLUMNS) return S("too many columns");
  for (u32 i = 0; i < cols.len; i++) {
    column_name(h[i], &scan.columns[i].name);
    scan.columns[i].type = column_type(h[i], 0);
    column_drop(h[i]);
  }
  scan.ncolumns = cols.len;

  int exact = scan_push_quals(ctx, pushdown);
  exact = scan_push_sort(ctx, sortable) && exact;

  // The limit counts rows after the quals, in the order asked: it stops
  // the paging only when the API applied them all.
  opt_handle lim;
  context_get_limit(ctx, &lim);
  scan.max_rows = -1;
  if (lim.is_some) {
    if (exact) scan.max_rows = limit_offset(lim.handle) + limit_count(lim.handle);
    limit_drop(lim.handle);
  }
  scan.path = object;
  scan.rows_given = 0;
  scan.pages = 0;
  scan.done = 0;
  scan.have_cursor = 0;
  scan.have_page = 0;
  scan.page_mark = heap_mark();
  return S("");
}

// Fetches the next page; 0 and *err on failure, 1 with scan.done set when
// there is nothing more to fetch.
static inline int scan_fetch(str *err) {
  s64 want = scan.page_size;
  if (scan.max_rows >= 0) {
    s64 left = scan.max_rows - (s64)scan.rows_given;
    if (left <= 0) {
      scan.done = 1;
      return 1;
    }
    if (left < want) want = left;
  }
  if (scan.pages > 0 && !scan.have_cursor) {
    scan.done = 1;
    return 1;
  }
  if (scan.pages >= MAX_PAGES) {
    *err = S("too many pages");
    return 0;
  }
  heap_release(scan.page_mark);
  buf url = {0};
  buf_str(&url, scan.api_url);
  buf_char(&url, '/');
  buf_str(&url, scan.path);
  buf_cstr(&url, "?limit=");
  buf_s64(&url, want);
  buf_str(&url, buf_take(&scan.query));
  if (scan.have_cursor) {
    buf_cstr(&url, "&cursor=");
    str c = {scan.cursor, scan.cursor_len};
    buf_urlencode(&url, c);
  }
  if (scan.trace) {
    str rel = {url.ptr + scan.api_url.len, url.len - scan.api_url.len};
    report_notice(rel.ptr, rel.len);
  }
  str body;
  if (!scan_request(HTTP_GET, buf_take(&url), S(""), &body)) {
    *err = body;
    return 0;
  }
  scan.pages++;
  jval doc, data, next;
  if (!json_parse(body, &doc)) {
    *err = S("the response is not JSON");
    return 0;
  }
  if (!json_get(doc, "data", &data) || !json_iter(data, J_ARRAY, &scan.rows)) {
    *err = S("the response has no array `data`");
    return 0;
  }
  scan.have_cursor = 0;
  str c;
  if (json_get(doc, "next_cursor", &next) && json_kind(next) == J_STRING && json_string(next, &c)) {
    if (c.len > sizeof scan.cursor) {
      *err = S("next_cursor is too long");
      return 0;
    }
    copy_bytes(scan.cursor, c.ptr, c.len);
    scan.cursor_len = c.len;
    scan.have_cursor = 1;
  }
  scan.have_page = 1;
  return 1;
}

static inline int scan_member(jval obj, str name, jval *v) {
  if (json_path(obj, name, v)) return 1;
  for (u32 i = 0; i < name.len; i++)
    if (name.ptr[i] == '_') {
      char path[128];
      if (name.len >= sizeof path) return 0;
      copy_bytes(path, name.ptr, name.len);
      path[i] = '.';
      str p = {path, name.len};
      return json_path(obj, p, v);
    }
  return 0;
}

// One cell of the value v for a column of type `type`.
static inline str scan_push_value(u32 row, u32 type, jval v) {
  int kind = json_kind(v);
  str s;
  s64 n;
  double d;
  if (kind == J_NULL || kind == J_BAD) {
    push_null(row);
    return S("");
  }
  switch (type) {
    case CELL_BOOL:
      if (kind != J_TRUE && kind != J_FALSE) return S("a bool column's value is not true or false");
      push_i64(row, CELL_BOOL, kind == J_TRUE);
      return S("");
    case CELL_I8:
    case CELL_I16:
    case CELL_I32:
    case CELL_I64:
      if (!json_int(v, &n)) return S("an integer column's value is not an integer");
      push_i64(row, type, n);
      return S("");
    case CELL_F32: {
      if (!json_double(v, &d)) return S("a real column's value is not a number");
      union {
        float f;
        u32 i;
      } u = {(float)d};
      push_i64(row, CELL_F32, u.i);
      return S("");
    }
    case CELL_F64:
    case CELL_NUMERIC: {
      if (!json_double(v, &d)) return S("a numeric column's value is not a number");
      union {
        double d;
        s64 i;
      } u = {d};
      push_i64(row, type, u.i);
      return S("");
    }
    case CELL_DATE:
    case CELL_TIMESTAMP:
    case CELL_TIMESTAMPTZ: {
      if (kind != J_STRING || !json_string(v, &s))
        return S("a time column's value is not a string");
      time_result t;
      time_parse_from_rfc3339(s.ptr, s.len, &t);
      if (t.tag) return t.v.err;
      push_i64(row, type, type == CELL_DATE ? t.v.ok / 1000000 : t.v.ok);
      return S("");
    }
    case CELL_JSON: push_string(row, CELL_JSON, v); return S("");
    default:  // string, uuid, other: a JSON string's text, any other value's JSON
      if (kind == J_STRING) {
        if (!json_string(v, &s)) return S("bad string");
        push_string(row, type, s);
      } else {
        push_string(row, type, v);
      }
      return S("");
  }
}

// iter-scan: 1 for a row, 0 at the end, -1 and *err on failure.
static inline int scan_next(u32 row, str *err) {
  jval obj;
  for (;;) {
    if (scan.done) return 0;
    if (scan.max_rows >= 0 && (s64)scan.rows_given >= scan.max_rows) {
      scan.done = 1;
      return 0;
    }
    if (scan.have_page && json_next_element(&scan.rows, &obj)) break;
    scan.have_page = 0;
    if (!scan_fetch(err)) return -1;
  }
  if (json_kind(obj) != J_OBJECT) {
    *err = S("an element of `data` is not an object");
    return -1;
  }
  for (u32 i = 0; i < scan.ncolumns; i++) {
    jval v = {"null", 4};
    scan_member(obj, scan.columns[i].name, &v);
    str problem = scan_push_value(row, scan.columns[i].type, v);
    if (problem.len) {
      buf b = {0};
      buf_cstr(&b, "column ");
      buf_str(&b, scan.columns[i].name);
      buf_cstr(&b, ": ");
      buf_str(&b, problem);
      *err = buf_take(&b);
      return -1;
    }
  }
  scan.rows_given++;
  stats_inc(scan.fdw_name, cstr_len(scan.fdw_name), METRIC_ROWS_IN, 1);
  stats_inc(scan.fdw_name, cstr_len(scan.fdw_name), METRIC_ROWS_OUT, 1);
  return 1;
}

static inline void scan_end(void) {
  if (scan.trace) {
    buf b = {0};
    buf_cstr(&b, "pages: ");
    buf_u64(&b, scan.pages);
    buf_cstr(&b, ", rows: ");
    buf_u64(&b, scan.rows_given);
    report_notice(b.ptr, b.len);
  }
  scan.done = 1;
  scan.have_page = 0;
}

// The export result of a problem: ok when it is empty, else the error.
static inline export_ret *scan_result(str problem) {
  return problem.len ? ret_err(problem) : ret_ok();
}

// begin-scan and re-scan: start over, the heap back to mark.
static inline export_ret *scan_restart(u32 ctx, uintptr_t mark) {
  str problem = scan_begin(ctx, mark);
  drop_borrows(ctx, 0);
  return scan_result(problem);
}

// The scan routines of a guest that reads through this file; mark names the
// variable holding the heap's mark after init.
#define REST_SCAN_ROUTINES(mark)                                \
  EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {        \
    return scan_restart(ctx, mark);                             \
  }                                                             \
  EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) { \
    str err;                                                    \
    int n = scan_next(row, &err);                               \
    drop_borrows(ctx, row);                                     \
    return n < 0 ? ret_err(err) : ret_row(n);                   \
  }                                                             \
  EXPORT("re-scan") export_ret *re_scan(u32 ctx) {              \
    return scan_restart(ctx, mark);                             \
  }                                                             \
  EXPORT("end-scan") export_ret *end_scan(u32 ctx) {            \
    scan_end();                                                 \
    drop_borrows(ctx, 0);                                       \
    return ret_ok();                                            \
  }

#endif
