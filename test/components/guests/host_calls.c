// host_calls: a guest of the world supabase:wrappers, built for 0.1.0 and
// for 0.2.0 (WIT_V2) from this one source, that calls every host function
// of the world and returns what each gave, as rows, for the SQL suite
// fdw_supabase to assert: every constructor and method of context, row,
// column, qual, sort, limit and options (on the scan's own quals, sort and
// limit), http get/post/put/patch/delete/error-for-status against the test
// API, jwt.encode, stats, time, and utils (reports, cell-to-string of every
// cell case, vault secrets, query-setting); and row.push, which the host
// lifts on a fast path, against the generic lift of the same core values.
//
// Table columns: fn text, result text, n int, tag text (any order, any
// subset). Every row has tag 't' and n its index from 0; fn names the call,
// result is what it gave: "ok(..)"/"error(..)" for results, "some(..)"/
// "none" for options, cells as "<case>:<text>".
//
// Server options: api_url (the test API), label. User mapping: sec_id,
// sec_name (the secrets). Table option `mode`: absent for the calls;
// `report_error` calls utils.report-error; `sleep_long` sleeps 61 s (the
// host refuses more than 60); `unknown_column` asks for column 99.
#include "cabi.h"

#define MAX_ROWS 400
#define MAX_COLS 8

static str fns[MAX_ROWS], results[MAX_ROWS];
static u32 nrows, next_row;
static str colnames[MAX_COLS];
static u32 ncols;

HOST_VERSION_REQUIREMENT()

// ---- rendering ----

static void out(str fn, str result) {
  if (nrows >= MAX_ROWS) __builtin_trap();
  fns[nrows] = fn;
  results[nrows] = result;
  nrows++;
}

static void outc(const char *fn, str result) {
  out(S(fn), result);
}

// "prefix[i].method"
static str fn_at(const char *prefix, u32 i, const char *method) {
  buf b = {0};
  buf_cstr(&b, prefix);
  buf_char(&b, '[');
  buf_u64(&b, i);
  buf_cstr(&b, "].");
  buf_cstr(&b, method);
  return buf_take(&b);
}

static str num(s64 v) {
  buf b = {0};
  buf_s64(&b, v);
  return buf_take(&b);
}

static str yes_no(u32 v) {
  return S(v ? "true" : "false");
}

static str wrap(const char *tag, str v) {
  buf b = {0};
  buf_cstr(&b, tag);
  buf_char(&b, '(');
  buf_str(&b, v);
  buf_char(&b, ')');
  return buf_take(&b);
}

static str option_text(const tagged_str *t) {
  return t->tag ? wrap("some", t->s) : S("none");
}

static str result_text(const tagged_str *t) {
  return t->tag ? wrap("error", t->s) : wrap("ok", t->s);
}

static str time_text(const time_result *t) {
  return t->tag ? wrap("error", t->v.err) : wrap("ok", num(t->v.ok));
}

static const char *const cell_names[] = {"bool",      "i8",          "i16",     "f32",    "i32",
                                         "f64",       "i64",         "numeric", "string", "date",
                                         "timestamp", "timestamptz", "json",    "uuid",   "other"};

static str cell_render(const cell *c) {
  buf b = {0};
  buf_cstr(&b, c->tag < sizeof cell_names / sizeof cell_names[0] ? cell_names[c->tag] : "?");
  buf_char(&b, ':');
  buf_str(&b, cell_text(c));
  return buf_take(&b);
}

static str type_oid_text(u32 col) {
  str other;
  u32 t = column_type(col, &other);
  buf b = {0};
  buf_cstr(&b, t < sizeof cell_names / sizeof cell_names[0] ? cell_names[t] : "?");
  if (other.len) buf_str(&b, wrap("", other));
  return buf_take(&b);
}

static str value_text(const qual_value *v) {
  if (v->tag == 0) return wrap("cell", cell_render(&v->v.c));
  buf b = {0};
  const cell *cells = v->v.array.ptr;
  for (u32 i = 0; i < v->v.array.len; i++) {
    if (i) buf_cstr(&b, ", ");
    buf_str(&b, cell_render(&cells[i]));
  }
  return wrap("array", buf_take(&b));
}

static u32 new_options(u32 type) {
#ifdef WIT_V2
  return options_new_v2(type, "x", type == OPTIONS_OTHER ? 1 : 0);
#else
  return options_new_v1(type);
#endif
}

static u32 http_call(u32 method, str url, const char *body, http_result *r) {
  static header headers[2] = {{{"content-type", 12}, {"application/json", 16}},
                              {{"x-host-calls", 12}, {"1", 1}}};
  u32 blen = cstr_len(body);
  switch (method) {
    case HTTP_GET: http_get(method, url.ptr, url.len, headers, 2, body, blen, r); break;
    case HTTP_POST: http_post(method, url.ptr, url.len, headers, 2, body, blen, r); break;
    case HTTP_PUT: http_put(method, url.ptr, url.len, headers, 2, body, blen, r); break;
    case HTTP_PATCH: http_patch(method, url.ptr, url.len, headers, 2, body, blen, r); break;
    default: http_delete(method, url.ptr, url.len, headers, 2, body, blen, r); break;
  }
  return r->tag;
}

static str http_text(const http_result *r) {
  if (r->tag) return S("error");
  buf b = {0};
  buf_cstr(&b, "status ");
  buf_u64(&b, r->v.ok.status);
  buf_cstr(&b, ", body ");
  buf_str(&b, r->v.ok.body);
  return buf_take(&b);
}

static str url_of(str base, const char *path) {
  buf b = {0};
  buf_str(&b, base);
  buf_cstr(&b, path);
  return buf_take(&b);
}

// ---- the calls ----

static void call_options(u32 ctx) {
  u32 o = get_options(ctx, OPTIONS_SERVER);
  tagged_str t;
  str s;
  options_get(o, "label", 5, &t);
  outc("options(server).get label", option_text(&t));
  options_get(o, "nope", 4, &t);
  outc("options(server).get nope", option_text(&t));
  // A key the server lacks is looked up in the user mapping.
  options_get(o, "um_only", 7, &t);
  outc("options(server).get um_only", option_text(&t));
  options_require(o, "label", 5, &t);
  outc("options(server).require label", result_text(&t));
  options_require(o, "nope", 4, &t);
  outc("options(server).require nope", result_text(&t));
  options_require_or(o, "nope", 4, "dflt", 4, &s);
  outc("options(server).require-or nope", s);
  options_require_or(o, "label", 5, "dflt", 4, &s);
  outc("options(server).require-or label", s);
  options_drop(o);
  o = new_options(OPTIONS_TABLE);
  options_get(o, "tag", 3, &t);
  outc("[constructor]options(table).get tag", option_text(&t));
  options_drop(o);
#ifdef WIT_V2
  o = new_options(OPTIONS_IMPORT_SCHEMA);
  options_get(o, "label", 5, &t);
  outc("[constructor]options(import-schema).get label", option_text(&t));
  options_drop(o);
  o = new_options(OPTIONS_OTHER);
  options_get(o, "label", 5, &t);
  outc("[constructor]options(other(x)).get label", option_text(&t));
  options_drop(o);
#endif
  u32 c = context_new();
  o = get_options(c, OPTIONS_SERVER);
  options_get(o, "label", 5, &t);
  outc("[constructor]context.get-options(server).get label", option_text(&t));
  options_drop(o);
  context_drop(c);
}

static void call_columns(u32 ctx) {
  list cols;
  context_get_columns(ctx, &cols);
  const u32 *h = cols.ptr;
  ncols = cols.len < MAX_COLS ? cols.len : MAX_COLS;
  outc("context.get-columns", num(cols.len));
  for (u32 i = 0; i < cols.len; i++) {
    str name;
    column_name(h[i], &name);
    if (i < MAX_COLS) colnames[i] = name;
    out(fn_at("column", i, "name"), name);
    out(fn_at("column", i, "num"), num(column_num(h[i])));
    out(fn_at("column", i, "type-oid"), type_oid_text(h[i]));
    column_drop(h[i]);
  }
  if (cols.len) {
    u32 c = column_new(cols.len - 1);
    str name;
    column_name(c, &name);
    out(fn_at("[constructor]column", cols.len - 1, "name"), name);
    column_drop(c);
  }
}

static void call_quals(u32 ctx) {
  list quals;
  context_get_quals(ctx, &quals);
  const u32 *h = quals.ptr;
  outc("context.get-quals", num(quals.len));
  for (u32 i = 0; i < quals.len; i++) {
    str s;
    qual_value v;
    opt_param p;
    qual_field(h[i], &s);
    out(fn_at("qual", i, "field"), s);
    qual_operator(h[i], &s);
    out(fn_at("qual", i, "operator"), s);
    qual_value_of(h[i], &v);
    out(fn_at("qual", i, "value"), value_text(&v));
    out(fn_at("qual", i, "use-or"), yes_no(qual_use_or(h[i])));
    qual_param(h[i], &p);
    if (p.is_some) {
      buf b = {0};
      buf_cstr(&b, "some(id ");
      buf_u64(&b, p.id);
      buf_cstr(&b, ", type-oid ");
      buf_u64(&b, p.type_oid);
      buf_char(&b, ')');
      out(fn_at("qual", i, "param"), buf_take(&b));
    } else {
      out(fn_at("qual", i, "param"), S("none"));
    }
    qual_deparse(h[i], &s);
    out(fn_at("qual", i, "deparse"), s);
    qual_drop(h[i]);
  }
  if (quals.len) {
    u32 q = qual_new(0);
    str s;
    qual_field(q, &s);
    out(fn_at("[constructor]qual", 0, "field"), s);
    qual_drop(q);
  }
}

static void call_sorts(u32 ctx) {
  list sorts;
  context_get_sorts(ctx, &sorts);
  const u32 *h = sorts.ptr;
  outc("context.get-sorts", num(sorts.len));
  for (u32 i = 0; i < sorts.len; i++) {
    str s;
    tagged_str t;
    sort_field(h[i], &s);
    out(fn_at("sort", i, "field"), s);
    out(fn_at("sort", i, "field-no"), num(sort_field_no(h[i])));
    out(fn_at("sort", i, "reversed"), yes_no(sort_reversed(h[i])));
    out(fn_at("sort", i, "nulls-first"), yes_no(sort_nulls_first(h[i])));
    sort_collate(h[i], &t);
    out(fn_at("sort", i, "collate"), option_text(&t));
    sort_deparse(h[i], &s);
    out(fn_at("sort", i, "deparse"), s);
    sort_deparse_with_collate(h[i], &s);
    out(fn_at("sort", i, "deparse-with-collate"), s);
    sort_drop(h[i]);
  }
  if (sorts.len) {
    u32 q = sort_new(0);
    str s;
    sort_field(q, &s);
    out(fn_at("[constructor]sort", 0, "field"), s);
    sort_drop(q);
  }
}

static void call_limit(u32 ctx) {
  opt_handle lim;
  context_get_limit(ctx, &lim);
  if (!lim.is_some) {
    outc("context.get-limit", S("none"));
    return;
  }
  str s;
  outc("limit.count", num(limit_count(lim.handle)));
  outc("limit.offset", num(limit_offset(lim.handle)));
  limit_deparse(lim.handle, &s);
  outc("limit.deparse", s);
  limit_drop(lim.handle);
  u32 l = limit_new();
  outc("[constructor]limit.count", num(limit_count(l)));
  limit_drop(l);
}

static void call_row(void) {
  u32 r = row_new();
  push_string(r, CELL_STRING, S("a"));
  push_null(r);
  push_i64(r, CELL_I64, -5);
  list cols, cells;
  row_cols(r, &cols);
  row_cells(r, &cells);
  buf b = {0};
  const str *names = cols.ptr;
  for (u32 i = 0; i < cols.len; i++) {
    if (i) buf_cstr(&b, ", ");
    buf_str(&b, names[i]);
  }
  outc("[constructor]row.cols", buf_take(&b));
  buf c = {0};
  const opt_cell *oc = cells.ptr;
  for (u32 i = 0; i < cells.len; i++) {
    if (i) buf_cstr(&c, ", ");
    buf_str(&c, oc[i].is_some ? cell_render(&oc[i].c) : S("none"));
  }
  outc("[constructor]row.cells", buf_take(&c));
  row_drop(r);
}

static void call_stats(void) {
  tagged_str t;
  stats_inc("host_calls", 10, METRIC_ROWS_IN, 1);
  outc("stats.inc-stats", S("returned"));
  stats_set_metadata("host_calls", 10, 1, "m1", 2);
  stats_get_metadata("host_calls", 10, &t);
  outc("stats.get-metadata after set", option_text(&t));
  stats_set_metadata("host_calls", 10, 0, 0, 0);
  stats_get_metadata("host_calls", 10, &t);
  outc("stats.get-metadata after clear", option_text(&t));
}

static void call_time(void) {
  time_result t;
  tagged_str s;
  outc("time.epoch-secs > 1700000000", yes_no(time_epoch_secs() > 1700000000));
  time_parse_from_rfc3339("2024-05-01T12:34:56.789Z", 24, &t);
  outc("time.parse-from-rfc3339", time_text(&t));
  time_parse_from_rfc3339("2024-05-01T12:34:56+02:00", 25, &t);
  outc("time.parse-from-rfc3339 offset", time_text(&t));
  time_parse_from_rfc3339("yesterday", 9, &t);
  outc("time.parse-from-rfc3339 bad", time_text(&t));
  time_parse_from_str("2024-05-01 12:34:56 +0200", 25, "%Y-%m-%d %H:%M:%S %z", 20, &t);
  outc("time.parse-from-str", time_text(&t));
  time_parse_from_str("01/05/2024", 10, "%d/%m/%Y", 8, &t);
  outc("time.parse-from-str date", time_text(&t));
  time_parse_from_str("2024-05-01", 10, "%d/%m/%Y", 8, &t);
  outc("time.parse-from-str bad", time_text(&t));
  time_epoch_ms_to_rfc3339(1714566896789000, &s);
  outc("time.epoch-ms-to-rfc3339", result_text(&s));
  time_epoch_ms_to_rfc3339(INT64_MAX, &s);
  outc("time.epoch-ms-to-rfc3339 bad", result_text(&s));
  time_sleep(10);
  outc("time.sleep 10", S("returned"));
}

static void call_utils(void) {
  static const char info[] = "host_calls: report-info", notice[] = "host_calls: report-notice",
                    warning[] = "host_calls: report-warning";
  report_info(info, sizeof info - 1);
  report_notice(notice, sizeof notice - 1);
  report_warning(warning, sizeof warning - 1);
  outc("utils.report-info/notice/warning", S("returned"));
  tagged_str t;
  utils_get_vault_secret("sec_id", 6, &t);
  outc("utils.get-vault-secret sec_id", option_text(&t));
  // A secret in a report is scrubbed by the host.
  if (t.tag) report_notice(t.s.ptr, t.s.len);
  utils_get_vault_secret("nope", 4, &t);
  outc("utils.get-vault-secret nope", option_text(&t));
  utils_get_vault_secret_by_name("sec_name", 8, &t);
  outc("utils.get-vault-secret-by-name sec_name", option_text(&t));
  utils_get_vault_secret_by_name("nope", 4, &t);
  outc("utils.get-vault-secret-by-name nope", option_text(&t));
  utils_query_setting("wasm.http_allowed_hosts", 23, &t);
  outc("utils.query-setting wasm.http_allowed_hosts", option_text(&t));
  utils_query_setting("no_such.setting", 15, &t);
  outc("utils.query-setting no_such.setting", option_text(&t));
  // cell-to-string of every case, and of none.
  cell c;
  memset(&c, 0, sizeof c);
  str s;
  utils_cell_to_string(0, 0, 0, 0, &s);
  outc("utils.cell-to-string none", s);
  static const char json_text[] = "{\"a\": [1, 2]}";
#ifdef WIT_V2
  u32 cases = CELL_OTHER + 1;
#else
  u32 cases = CELL_JSON + 1;
#endif
  for (u32 k = 0; k < cases; k++) {
    c.tag = (u8)k;
    switch (k) {
      case CELL_BOOL: c.v.b = 1; break;
      case CELL_I8: c.v.i8 = -8; break;
      case CELL_I16: c.v.i16 = -1616; break;
      case CELL_F32: c.v.f32 = 1.5f; break;
      case CELL_I32: c.v.i32 = -323232; break;
      case CELL_F64: c.v.f64 = 0.1; break;
      case CELL_I64: c.v.i64 = -6464646464646464LL; break;
      case CELL_NUMERIC: c.v.f64 = 12.25; break;
      case CELL_STRING: c.v.s = S("it's"); break;
      case CELL_DATE: c.v.i64 = 1714521600; break;             // seconds
      case CELL_TIMESTAMP: c.v.i64 = 1714566896789000; break;  // microseconds
      case CELL_TIMESTAMPTZ: c.v.i64 = 1714566896789000; break;
      case CELL_JSON: c.v.s = S(json_text); break;
      case CELL_UUID: c.v.s = S("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"); break;
      default: c.v.s = S("'a' 'b'"); break;
    }
    buf b = {0};
    buf_cstr(&b, "utils.cell-to-string ");
    buf_cstr(&b, cell_names[k]);
    out(buf_take(&b), cell_text(&c));
  }
}

// The host takes row.push's cell straight from its core values (a fast
// path) and cell-to-string's through the canonical ABI's generic lift: the
// same core values given to both must come back as the same cell. `junk`
// goes into the high bits of the joined i64 where the payload is narrower
// (the lift ignores them).
static int narrow_payload(const cell *c) {
  return c->tag == CELL_BOOL || c->tag == CELL_I8 || c->tag == CELL_I16 || c->tag == CELL_I32 ||
         c->tag == CELL_F32;
}

static void fast_path_cell(u32 is_some, const cell *c, u64 junk) {
  u32 case_ = 0, p1 = 0;
  s64 p0 = 0;
  if (is_some) cell_flat(c, &case_, &p0, &p1);
  if (is_some && narrow_payload(c)) p0 = (s64)(((u64)(u32)p0) | (junk << 32));
  str generic;
  utils_cell_to_string(is_some, case_, p0, p1, &generic);
  u32 r = row_new();
  row_push(r, is_some, case_, p0, p1);
  list cells;
  row_cells(r, &cells);
  const opt_cell *oc = cells.ptr;
  str fast;
  if (cells.len == 1 && oc[0].is_some)
    fast = cell_text(&oc[0].c);
  else
    utils_cell_to_string(0, 0, 0, 0, &fast);
  row_drop(r);
  buf b = {0};
  buf_cstr(&b, "row.push fast path = generic lift, ");
  buf_cstr(&b, !is_some                                            ? "none"
               : c->tag < sizeof cell_names / sizeof cell_names[0] ? cell_names[c->tag]
                                                                   : "?");
  if (junk) buf_cstr(&b, " with high bits");
  buf d = {0};
  if (str_eqs(generic, fast)) {
    buf_str(&d, generic);
  } else {
    buf_cstr(&d, "differ: generic ");
    buf_str(&d, generic);
    buf_cstr(&d, ", fast ");
    buf_str(&d, fast);
  }
  out(buf_take(&b), buf_take(&d));
}

static void call_fast_paths(void) {
#ifdef WIT_V2
  u32 cases = CELL_OTHER + 1;
#else
  u32 cases = CELL_JSON + 1;
#endif
  static const char json_text[] = "[\"\xc3\xa9\"]";
  cell c;
  fast_path_cell(0, &c, 0);
  for (u32 k = 0; k < cases; k++) {
    memset(&c, 0, sizeof c);
    c.tag = (u8)k;
    switch (k) {
      case CELL_BOOL: c.v.b = 1; break;
      case CELL_I8: c.v.i8 = -128; break;
      case CELL_I16: c.v.i16 = -32768; break;
      case CELL_F32: c.v.f32 = -0.25f; break;
      case CELL_I32: c.v.i32 = -2147483647 - 1; break;
      case CELL_F64: c.v.f64 = -1234.5; break;
      case CELL_I64: c.v.i64 = -9223372036854775807LL - 1; break;
      case CELL_NUMERIC: c.v.f64 = -0.5; break;
      case CELL_STRING: c.v.s = S("na\xc3\xafve \xe2\x82\xac"); break;
      case CELL_DATE: c.v.i64 = -86400; break;
      case CELL_TIMESTAMP: c.v.i64 = -1; break;
      case CELL_TIMESTAMPTZ: c.v.i64 = 253402300799999999LL; break;
      case CELL_JSON: c.v.s = S(json_text); break;
      case CELL_UUID: c.v.s = S("00000000-0000-0000-0000-000000000000"); break;
      default: c.v.s = S(""); break;
    }
    fast_path_cell(1, &c, 0);
    if (narrow_payload(&c)) fast_path_cell(1, &c, 0xfffffffeu);
  }
  // A false bool whose high bits are set is still false.
  memset(&c, 0, sizeof c);
  c.tag = CELL_BOOL;
  fast_path_cell(1, &c, 1);
  // time.parse-from-rfc3339 on its fast path, before 1970.
  time_result t;
  time_parse_from_rfc3339("1969-12-31T23:59:59.999999Z", 27, &t);
  outc("time.parse-from-rfc3339 before 1970", time_text(&t));
}

static void call_http(str base) {
  http_result r;
  str url = url_of(base, "/status/418");
  http_call(HTTP_GET, url, "", &r);
  outc("http.get /status/418", http_text(&r));
  if (!r.tag) {
    const header *h = r.v.ok.headers.ptr;
    str ct = S("(none)");
    for (u32 i = 0; i < r.v.ok.headers.len; i++)
      if (str_eq(h[i].name, "Content-Type") || str_eq(h[i].name, "content-type")) ct = h[i].value;
    outc("http.get /status/418 content-type", ct);
    tagged_str e;
    const http_response *resp = &r.v.ok;
    http_error_for_status(resp->url.ptr, resp->url.len, resp->status, resp->headers.ptr,
                          resp->headers.len, resp->body.ptr, resp->body.len, &e);
    outc("http.error-for-status 418", e.tag ? wrap("error", e.s) : S("ok"));
  }
  http_call(HTTP_POST, url_of(base, "/status/201"), "{}", &r);
  outc("http.post /status/201", http_text(&r));
  if (!r.tag) {
    tagged_str e;
    const http_response *resp = &r.v.ok;
    http_error_for_status(resp->url.ptr, resp->url.len, resp->status, resp->headers.ptr,
                          resp->headers.len, resp->body.ptr, resp->body.len, &e);
    outc("http.error-for-status 201", e.tag ? wrap("error", e.s) : S("ok"));
  }
  // /status takes GET and POST: the API's 404 for the others shows the
  // method went as asked.
  http_call(HTTP_PUT, url_of(base, "/status/200"), "{}", &r);
  outc("http.put /status/200", http_text(&r));
  http_call(HTTP_PATCH, url_of(base, "/status/200"), "{}", &r);
  outc("http.patch /status/200", http_text(&r));
  http_call(HTTP_DELETE, url_of(base, "/status/200"), "", &r);
  outc("http.delete /status/200", http_text(&r));
  // A network failure is the guest's http-error.
  http_call(HTTP_GET, S("http://127.0.0.1:1/"), "", &r);
  outc("http.get refused", r.tag ? S("error") : S("ok"));
}

static void call_jwt(void) {
  static header claims[2] = {{{"sub", 3}, {"user1", 5}}, {{"role", 4}, {"admin", 5}}};
  tagged_str t;
  jwt_encode(claims, 2, "HS256", 5, "secret", 6, 0, &t);
  outc("jwt.encode HS256", result_text(&t));
  jwt_encode(claims, 2, "HS256", 5, "secret", 6, 1, &t);
  outc("jwt.encode HS256 ttl 1", result_text(&t));
  jwt_encode(claims, 2, "XX999", 5, "secret", 6, 0, &t);
  outc("jwt.encode XX999", result_text(&t));
}

INIT_NOTHING()

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  nrows = next_row = 0;
  ncols = 0;
  str mode = option_or(ctx, OPTIONS_TABLE, "mode", "");
  if (str_eq(mode, "report_error")) {
    static const char msg[] = "host_calls: failed on purpose";
    report_error(msg, sizeof msg - 1);
    __builtin_trap();  // never reached: the host raises the error
  }
  if (str_eq(mode, "sleep_long")) time_sleep(61000);
  if (str_eq(mode, "unknown_column")) column_new(99);
  str base;
  if (!option_require(ctx, OPTIONS_SERVER, "api_url", &base)) {
    drop_borrows(ctx, 0);
    return ret_err(base);
  }
  call_options(ctx);
  call_columns(ctx);
  call_quals(ctx);
  call_sorts(ctx);
  call_limit(ctx);
  call_row();
  call_stats();
  call_time();
  call_utils();
  call_fast_paths();
  call_http(base);
  call_jwt();
  drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  int more = next_row < nrows;
  if (more) {
    u32 i = next_row++;
    for (u32 k = 0; k < ncols; k++) {
      if (str_eq(colnames[k], "fn"))
        push_string(row, CELL_STRING, fns[i]);
      else if (str_eq(colnames[k], "result"))
        push_string(row, CELL_STRING, results[i]);
      else if (str_eq(colnames[k], "n"))
        push_i64(row, CELL_I32, i);
      else if (str_eq(colnames[k], "tag"))
        push_string(row, CELL_STRING, S("t"));
      else
        push_null(row);
    }
  }
  drop_borrows(ctx, row);
  return ret_row(more);
}

COUNTER_RESCAN_ENDSCAN(next_row)
READ_ONLY_MODIFY("host_calls: read-only")

#ifdef WIT_V2
EXPORT("import-foreign-schema")
export_ret *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                                  u32 remote_len, const char *local, u32 local_len, u32 list_type,
                                  const str *tables, u32 tables_len) {
  drop_borrows(ctx, 0);
  return ret_err(S("host_calls: no schema"));
}
#endif
