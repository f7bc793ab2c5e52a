// events_fdw: a foreign table over an HTTP/JSON API of events with cursor
// pagination (test/fdw/api_server.py serves one).
//
//   SET wasm.http_allowed_hosts = '127.0.0.1:8080';
//   CREATE SERVER events_api FOREIGN DATA WRAPPER wasm_wrapper
//       OPTIONS (module 'events_fdw', api_url 'http://127.0.0.1:8080');
//   CREATE FOREIGN TABLE events (
//       id text, type text, actor jsonb,
//       actor_login text OPTIONS (field 'actor.login'),
//       created_at timestamptz)
//     SERVER events_api OPTIONS (object 'events', rowid_column 'id');
//   SELECT id, actor_login FROM events WHERE type = 'PushEvent'
//     AND created_at > '2024-01-01T10:00:00Z' ORDER BY created_at DESC LIMIT 5;
//   SELECT * FROM events WHERE id IN ('e0001', 'e0002');
//   SELECT e.* FROM wanted w JOIN events e ON e.id = w.id;   -- one /events/{id} per outer row
//
// Server option api_url (required). Table option object: the path under
// api_url ('events'; 'limited/events' for the endpoint that answers 429
// first). Table option page_size: rows asked for per request (default 100;
// the API may give fewer). Columns may be text, varchar, json, jsonb, timestamp, timestamptz,
// integer or bigint; they are filled by json_rows from each event's member
// named like the column or its `field`.
//
// Pushed down exactly: type = c, actor_login = c (the column whose field is
// actor.login), created_at > c and < c, id = c, id = ANY(c), id = a join's
// outer value; ORDER BY created_at [DESC]; LIMIT/OFFSET when every qual is
// exact. Pages of up to page_size rows are fetched one per fdw_iter_scan; a 429 is
// retried up to 3 times after its Retry-After seconds.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

enum { F_NONE, F_TYPE, F_ACTOR, F_AFTER, F_BEFORE, F_ID, F_IDS };
enum { DEFAULT_PAGE = 100, MAX_PAGE = 100000 };

// The table option page_size, or -1 when it is not an integer in range.
static int64_t page_size(const pgw_mp *in) {
  pgw_text v;
  if (!pgw_fdw_opt(in, "table", "page_size", &v)) return DEFAULT_PAGE;
  int64_t n = pgw_text_to_int(v, -1);
  return n >= 1 && n <= MAX_PAGE ? n : -1;
}

// What the API can filter on for this qual (F_NONE: nothing, not exact).
// Plan and scan classify alike; `used` keeps one qual per filter.
static int classify(const pgw_mp *in, const pgw_fdw_qual *q, unsigned *used) {
  pgw_fdw_iter it;
  pgw_fdw_column col;
  pgw_text name = {"", 0};
  pgw_fdw_columns(in, &it);
  while (pgw_fdw_next_column(&it, &col))
    if (it.index == q->column) name = col.name;
  int kind = F_NONE;
  int str = !q->param && pgw_mp_next_type(&q->value) == PGW_MP_STR;
  if (pgw_text_eq(name, "id") && pgw_text_eq(q->op, "=")) {
    if (q->any && !q->param) {
      // every element a string without a comma (ids=a,b,c)
      pgw_mp v = q->value;
      uint32_t n;
      kind = F_IDS;
      if (!pgw_mp_read_array(&v, &n)) return F_NONE;
      for (uint32_t i = 0; i < n; i++) {
        pgw_text s;
        if (!pgw_mp_read_str(&v, &s)) return F_NONE;
        for (int32_t k = 0; k < s.len; k++)
          if (s.ptr[k] == ',') return F_NONE;
      }
    } else if (!q->any && (q->param || str)) {
      kind = F_ID;
    }
  } else if (!q->any && str) {
    if (pgw_text_eq(name, "type") && pgw_text_eq(q->op, "=")) kind = F_TYPE;
    if (pgw_text_eq(name, "actor_login") && pgw_text_eq(q->op, "=")) kind = F_ACTOR;
    if (pgw_text_eq(name, "created_at") && pgw_text_eq(q->op, ">")) kind = F_AFTER;
    if (pgw_text_eq(name, "created_at") && pgw_text_eq(q->op, "<")) kind = F_BEFORE;
  }
  // id = and id = ANY share the single-fetch slot
  unsigned bit = 1u << (kind == F_IDS ? F_ID : kind);
  if (kind == F_NONE || (*used & bit)) return F_NONE;
  *used |= bit;
  return kind;
}

static int allowed_type(pgw_text t) {
  return pgw_text_eq(t, "text") || pgw_text_eq(t, "jsonb") || pgw_text_eq(t, "json") ||
         pgw_text_eq(t, "timestamp with time zone") ||
         pgw_text_eq(t, "timestamp without time zone") || pgw_text_eq(t, "integer") ||
         pgw_text_eq(t, "bigint") || pgw_text_starts(t, "character varying");
}

PGW_EXPORT(fdw_validate) void fdw_validate(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text catalog = {"", 0}, v;
  pgw_mp_find_str(&in, "catalog", &catalog);
  if (pgw_text_eq(catalog, "server") && !pgw_fdw_opt(&in, "server", "api_url", &v))
    pgw_fdw_errorf("events_fdw: the server needs option api_url");
  if (pgw_text_eq(catalog, "table")) {
    if (!pgw_fdw_opt(&in, "table", "object", &v))
      pgw_fdw_errorf("events_fdw: the foreign table needs option object");
    if (page_size(&in) < 0)
      pgw_fdw_errorf("events_fdw: option page_size must be an integer from 1 to %d", MAX_PAGE);
    pgw_fdw_iter it;
    pgw_fdw_column col;
    pgw_fdw_columns(&in, &it);
    while (pgw_fdw_next_column(&it, &col))
      if (!allowed_type(col.type))
        pgw_fdw_errorf(
            "events_fdw: column %.*s has type %.*s; the types are text, varchar, json, "
            "jsonb, timestamp, timestamptz, integer and bigint",
            (int)col.name.len, col.name.ptr, (int)col.type.len, col.type.ptr);
  }
}

PGW_EXPORT(fdw_plan) int64_t fdw_plan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_buf exact = {0, 0, 0};
  uint32_t nexact = 0;
  unsigned used = 0;
  int all_exact = 1;
  int64_t rows = 1000;
  pgw_fdw_iter it;
  pgw_fdw_qual q;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q)) {
    int kind = classify(&in, &q, &used);
    if (kind == F_NONE) {
      all_exact = 0;
      continue;
    }
    pgw_mp_int64(&exact, it.index);
    nexact++;
    int64_t r = kind == F_ID      ? 1
                : kind == F_IDS   ? 10
                : kind == F_TYPE  ? 100
                : kind == F_ACTOR ? 20
                                  : 500;
    if (kind == F_IDS) {
      uint32_t n;
      pgw_mp v = q.value;
      if (pgw_mp_read_array(&v, &n)) r = n;
    }
    if (r < rows) rows = r;
  }
  int sorted = 0;
  pgw_fdw_sort s;
  if (pgw_fdw_sorts(&in, &it) == 1 && pgw_fdw_next_sort(&it, &s))
    sorted = s.column >= 0 && s.column == pgw_fdw_column_index(&in, "created_at");

  return pgw_fdw_plan_result(rows, 100, &exact, nexact, sorted, all_exact);
}

static struct {
  pgw_buf list_url;   // api_url/object?filters, without limit and cursor
  pgw_buf base;       // api_url/object
  pgw_buf id;         // the id of a single fetch (id = c, or a param)
  int single;         // fetch base/{id} once
  int none;           // no row can match (id = NULL)
  int id_param;       // index among params of the id = param qual, or -1
  int64_t remaining;  // rows still wanted: -1 without limit
  int64_t skip;       // offset still to skip
  int64_t page;       // rows asked for per request
  pgw_buf cursor;
  int started, done;
} scan;

static pgw_buf url, page;

static void text_set(pgw_buf *b, pgw_text t) {
  b->len = 0;
  pgw_append(b, t.ptr, t.len);
}

// GETs the URL in `url`, retrying a 429 up to 3 times after Retry-After.
static void fetch(pgw_fdw_response *resp) {
  static const pgw_fdw_header headers[] = {{"Accept", "application/json"}};
  for (int attempt = 0;; attempt++) {
    pgw_fdw_http_get(pgw_buf_text(&url), headers, 1, resp);
    if (resp->status != 429 || attempt == 3) break;
    pgw_text ra;
    int64_t seconds = 1;
    if (pgw_fdw_response_header(resp, "retry-after", &ra)) seconds = pgw_text_to_int(ra, 1);
    if (seconds < 0) seconds = 0;
    if (seconds > 60) seconds = 60;
    pgw_fdw_sleep((int32_t)(seconds * 1000));
  }
  pgw_fdw_http_check(resp);
}

static void set_id(pgw_mp *v) {
  pgw_text s;
  scan.none = 0;
  if (pgw_mp_read_str(v, &s)) {
    text_set(&scan.id, s);
  } else if (pgw_mp_next_type(v) == PGW_MP_NIL) {
    scan.none = 1;
  } else {
    pgw_fdw_errorf("events_fdw: an id that is not text");
  }
}

static void restart(void) {
  scan.started = scan.done = 0;
  scan.cursor.len = 0;
}

PGW_EXPORT(fdw_begin_scan) void fdw_begin_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text api, object = {"events", 6};
  if (!pgw_fdw_opt(&in, "server", "api_url", &api))
    pgw_fdw_errorf("events_fdw: the server needs option api_url");
  pgw_fdw_opt(&in, "table", "object", &object);
  scan.page = page_size(&in);
  if (scan.page < 0)
    pgw_fdw_errorf("events_fdw: option page_size must be an integer from 1 to %d", MAX_PAGE);
  scan.base.len = 0;
  pgw_url_base(&scan.base, api);
  pgw_putc(&scan.base, '/');
  pgw_append(&scan.base, object.ptr, object.len);  // a path, as written
  scan.list_url.len = 0;
  pgw_append(&scan.list_url, scan.base.data, scan.base.len);

  scan.single = scan.none = 0;
  scan.id_param = -1;
  unsigned used = 0;
  int32_t nparams = 0;
  pgw_fdw_iter it;
  pgw_fdw_qual q;
  pgw_fdw_quals(&in, &it);
  while (pgw_fdw_next_qual(&it, &q)) {
    int kind = classify(&in, &q, &used);
    if (q.param && kind == F_ID) scan.id_param = nparams;
    if (q.param) nparams++;
    pgw_text s;
    pgw_mp v = q.value;
    switch (kind) {
      case F_TYPE:
        pgw_mp_read_str(&v, &s);
        pgw_url_query(&scan.list_url, "type", s);
        break;
      case F_ACTOR:
        pgw_mp_read_str(&v, &s);
        pgw_url_query(&scan.list_url, "actor", s);
        break;
      case F_AFTER:
        pgw_mp_read_str(&v, &s);
        pgw_url_query(&scan.list_url, "created_after", s);
        break;
      case F_BEFORE:
        pgw_mp_read_str(&v, &s);
        pgw_url_query(&scan.list_url, "created_before", s);
        break;
      case F_ID:
        scan.single = 1;
        if (q.has_value) set_id(&v);
        break;
      case F_IDS: {
        uint32_t n;
        pgw_buf ids = {0, 0, 0};
        pgw_mp_read_array(&v, &n);
        for (uint32_t i = 0; i < n; i++) {
          pgw_mp_read_str(&v, &s);
          if (i) pgw_putc(&ids, ',');
          pgw_append(&ids, s.ptr, s.len);
        }
        if (n == 0) scan.none = 1;
        pgw_url_query(&scan.list_url, "ids", pgw_buf_text(&ids));
        pgw_free(ids.data);
        break;
      }
      default: break;
    }
  }
  pgw_fdw_sort so;
  if (pgw_fdw_sorts(&in, &it) == 1 && pgw_fdw_next_sort(&it, &so) && so.desc)
    pgw_url_query(&scan.list_url, "sort", pgw_cstr("-created_at"));
  int64_t limit, offset;
  scan.remaining = pgw_fdw_limit(&in, &limit, &offset) ? limit : -1;
  scan.skip = offset > 0 ? offset : 0;
  restart();
}

PGW_EXPORT(fdw_re_scan) void fdw_re_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_fdw_iter it;
  pgw_mp v;
  pgw_fdw_params(&in, &it);
  while (pgw_fdw_next(&it, &v))
    if (it.index == scan.id_param) set_id(&v);
  restart();
}

// Reads the page in `page` (MessagePack of the body): next_cursor and
// whether data holds rows.
static int page_rows(pgw_fdw_response *resp, uint32_t *nrows) {
  page.len = 0;
  if (!pgw_json_to_mp(resp->body, resp->body_len, &page))
    pgw_fdw_errorf("events_fdw: the API's response is not JSON");
  pgw_mp m = pgw_mp_reader(page.data, page.len), data;
  if (!pgw_mp_find(&m, "data", &data) || !pgw_mp_read_array(&data, nrows))
    pgw_fdw_errorf("events_fdw: the API's response has no array data");
  pgw_text c;
  scan.cursor.len = 0;
  if (pgw_mp_find_str(&m, "next_cursor", &c)) text_set(&scan.cursor, c);
  return 1;
}

static void list_url(int64_t want) {
  url.len = 0;
  pgw_append(&url, scan.list_url.data, scan.list_url.len);
  pgw_url_query_int(&url, "limit", want > 0 && want < scan.page ? want : scan.page);
  if (scan.cursor.len) pgw_url_query(&url, "cursor", pgw_buf_text(&scan.cursor));
}

PGW_EXPORT(fdw_iter_scan) int64_t fdw_iter_scan(void) {
  pgw_fdw_response resp;
  if (scan.done || scan.none || scan.remaining == 0) return 0;
  if (scan.single) {
    scan.done = 1;
    if (scan.skip > 0 || scan.id.len == 0) return 0;  // no event has an empty id
    url.len = 0;
    pgw_append(&url, scan.base.data, scan.base.len);
    pgw_url_path(&url, pgw_buf_text(&scan.id));
    static const pgw_fdw_header headers[] = {{"Accept", "application/json"}};
    pgw_fdw_http_get(pgw_buf_text(&url), headers, 1, &resp);
    if (resp.status == 404) return 0;
    if (resp.status == 429) fetch(&resp);  // retried as a page is
    pgw_fdw_http_check(&resp);
    pgw_fdw_json_rows(resp.body, resp.body_len, "");  // the object: one row
    return 0;
  }
  // Skip the offset's rows a page at a time, then fetch pages until one
  // has rows (an API may send empty pages with a cursor).
  for (int pages = 0; pages < 100000; pages++) {
    if (scan.started && !scan.cursor.len) {
      scan.done = 1;
      return 0;
    }
    scan.started = 1;
    int64_t want = scan.skip > 0 ? scan.skip : scan.remaining;
    list_url(want);
    fetch(&resp);
    uint32_t n;
    page_rows(&resp, &n);
    if (scan.skip > 0) {
      scan.skip -= n < scan.skip ? n : scan.skip;
      continue;
    }
    if (n == 0) continue;
    int32_t got = pgw_fdw_json_rows(resp.body, resp.body_len, "data");
    if (scan.remaining > 0) scan.remaining -= got < scan.remaining ? got : scan.remaining;
    if (!scan.cursor.len) scan.done = 1;
    return 0;
  }
  pgw_fdw_errorf("events_fdw: too many pages");
}

PGW_EXPORT(fdw_end_scan) void fdw_end_scan(void) {
  scan.done = 1;
}
