// The canonical ABI of the world supabase:wrappers (WIT 0.1.0 and 0.2.0),
// written out by hand for the C guests of test/components (no bindings
// generator here): the core signature of every function of the world, the
// memory layout of the values that cross it, a bump allocator behind
// `cabi_realloc`, and small helpers (strings, results, borrow drops).
//
// A guest defines WIT_VERSION ("0.1.0" or "0.2.0"; WIT_V2 with the latter)
// and includes this file once. A guest of another world defines
// CABI_NO_WORLD instead and gets the memory, string and buffer helpers only. Only the imports a
// guest calls end up in its core module, so declaring all of them here costs nothing; jco checks
// each one it finds against the WIT when it makes the component.
//
// Flattening (CanonicalABI.md): parameters become at most 16 core values;
// a result of more than one core value goes through memory: an import gets
// one more i32 parameter, the address of a return area the guest provides;
// an export returns the address of a return area of its own. A borrow or own
// handle is an i32. `cell` flattens to (i32 case, i64, i32): the payloads
// joined (f32 and s32 into i32, f64 and s64 and a string's pointer into i64,
// a string's length into the last i32).
//
// Borrowed handles an export receives (the context, a row) are dropped
// before the export returns, as the canonical ABI requires of a callee and
// as wit-bindgen's generated code does: `drop_borrows` below.
#ifndef PGWASM_TEST_CABI_H
#define PGWASM_TEST_CABI_H

#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#ifndef CABI_NO_WORLD
#ifndef WIT_VERSION
#error WIT_VERSION must be defined ("0.1.0" or "0.2.0"), or CABI_NO_WORLD
#endif

#define IFACE(name) "supabase:wrappers/" name "@" WIT_VERSION
#define IMPORT(iface, name) __attribute__((import_module(IFACE(iface)), import_name(name)))
#define EXPORT(name) __attribute__((export_name(IFACE("routines") "#" name)))
#define POST_RETURN(name) __attribute__((export_name("cabi_post_" IFACE("routines") "#" name)))
#endif

// ---- values in memory ----

// string: (ptr, len), align 4, size 8. list<T>: the same, ptr to len
// elements of T.
typedef struct {
  const char *ptr;
  u32 len;
} str;

typedef struct {
  const void *ptr;
  u32 len;
} list;

// option<string>, result<string, string>, result<_, string>: a byte
// discriminant, the string at offset 4.
typedef struct {
  u8 tag;
  u8 pad_[3];
  str s;
} tagged_str;

// Cases of `cell` and of `type-oid`, in the WIT's order.
enum {
  CELL_BOOL,
  CELL_I8,
  CELL_I16,
  CELL_F32,
  CELL_I32,
  CELL_F64,
  CELL_I64,
  CELL_NUMERIC,
  CELL_STRING,
  CELL_DATE,
  CELL_TIMESTAMP,
  CELL_TIMESTAMPTZ,
  CELL_JSON,
  CELL_UUID,   // 0.2.0
  CELL_OTHER,  // 0.2.0
};

// cell: a byte discriminant, the payload at offset 8 (the widest payload,
// s64 and f64, is 8-aligned); size 16, align 8.
typedef struct {
  u8 tag;
  u8 pad_[7];
  union {
    u8 b;
    int8_t i8;
    int16_t i16;
    float f32;
    s32 i32;
    double f64;
    s64 i64;
    str s;
  } v;
} cell;

// option<cell>: a byte discriminant, the cell at offset 8; size 24.
typedef struct {
  u8 is_some;
  u8 pad_[7];
  cell c;
} opt_cell;

// value: variant { cell(cell), array(list<cell>) }: a byte discriminant, the
// payload at offset 8; size 24.
typedef struct {
  u8 tag;  // 0 cell, 1 array
  u8 pad_[7];
  union {
    cell c;
    list array;  // of cell
  } v;
} qual_value;

// type-oid of 0.2.0: a byte discriminant, other's string at offset 4.
typedef tagged_str type_oid_v2;

// option<own<limit>>: a byte discriminant, the handle at offset 4.
typedef struct {
  u8 is_some;
  u8 pad_[3];
  u32 handle;
} opt_handle;

// option<param>, param { id: u32, type-oid: u32 }.
typedef struct {
  u8 is_some;
  u8 pad_[3];
  u32 id;
  u32 type_oid;
} opt_param;

// http: method enum, headers list<tuple<string, string>>.
enum { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE };

typedef struct {
  str name;
  str value;
} header;

// response { url: string, status-code: u16 @8, headers @12, body @20 }.
typedef struct {
  str url;
  u16 status;
  u16 pad_;
  list headers;
  str body;
} http_response;

// result<response, http-error>: the payload at offset 4; size 32.
typedef struct {
  u8 tag;
  u8 pad_[3];
  union {
    http_response ok;
    str err;
  } v;
} http_result;

// result<s64, time-error>: the payload at offset 8.
typedef struct {
  u8 tag;
  u8 pad_[7];
  union {
    s64 ok;
    str err;
  } v;
} time_result;

// options-type: server, table (0.2.0: import-schema, other(string) too).
enum { OPTIONS_SERVER, OPTIONS_TABLE, OPTIONS_IMPORT_SCHEMA, OPTIONS_OTHER };

// stats metric.
enum { METRIC_CREATE_TIMES, METRIC_ROWS_IN, METRIC_ROWS_OUT, METRIC_BYTES_IN, METRIC_BYTES_OUT };

// import-schema-type of 0.2.0.
enum { IMPORT_ALL, IMPORT_LIMIT_TO, IMPORT_EXCEPT };

#ifndef CABI_NO_WORLD
// ---- imports: supabase:wrappers/types ----

IMPORT("types", "[method]row.cols") void row_cols(u32 self, list *ret);    // list<string>
IMPORT("types", "[method]row.cells") void row_cells(u32 self, list *ret);  // list<option<cell>>
IMPORT("types", "[method]row.push")
void row_push(u32 self, u32 is_some, u32 case_, s64 payload0, u32 payload1);
IMPORT("types", "[method]column.name") void column_name(u32 self, str *ret);
IMPORT("types", "[method]column.num") u32 column_num(u32 self);
#ifdef WIT_V2
IMPORT("types", "[method]column.type-oid") void column_type_oid_v2(u32 self, type_oid_v2 *ret);
#else
IMPORT("types", "[method]column.type-oid") u32 column_type_oid_v1(u32 self);
#endif
IMPORT("types", "[method]qual.field") void qual_field(u32 self, str *ret);
IMPORT("types", "[method]qual.operator") void qual_operator(u32 self, str *ret);
IMPORT("types", "[method]qual.value") void qual_value_of(u32 self, qual_value *ret);
IMPORT("types", "[method]qual.use-or") u32 qual_use_or(u32 self);
IMPORT("types", "[method]qual.param") void qual_param(u32 self, opt_param *ret);
IMPORT("types", "[method]qual.deparse") void qual_deparse(u32 self, str *ret);
IMPORT("types", "[method]sort.field") void sort_field(u32 self, str *ret);
IMPORT("types", "[method]sort.field-no") u32 sort_field_no(u32 self);
IMPORT("types", "[method]sort.reversed") u32 sort_reversed(u32 self);
IMPORT("types", "[method]sort.nulls-first") u32 sort_nulls_first(u32 self);
IMPORT("types", "[method]sort.collate") void sort_collate(u32 self, tagged_str *ret);
IMPORT("types", "[method]sort.deparse") void sort_deparse(u32 self, str *ret);
IMPORT("types", "[method]sort.deparse-with-collate")
void sort_deparse_with_collate(u32 self, str *ret);
IMPORT("types", "[method]limit.count") s64 limit_count(u32 self);
IMPORT("types", "[method]limit.offset") s64 limit_offset(u32 self);
IMPORT("types", "[method]limit.deparse") void limit_deparse(u32 self, str *ret);
IMPORT("types", "[method]options.get")
void options_get(u32 self, const char *key, u32 key_len, tagged_str *ret);
IMPORT("types", "[method]options.require")
void options_require(u32 self, const char *key, u32 key_len, tagged_str *ret);
IMPORT("types", "[method]options.require-or")
void options_require_or(u32 self, const char *key, u32 key_len, const char *dflt, u32 dflt_len,
                        str *ret);
#ifdef WIT_V2
// options-type has a case with a payload: (case, other's ptr, other's len).
IMPORT("types", "[method]context.get-options")
u32 context_get_options_v2(u32 self, u32 type, const char *other, u32 other_len);
#else
IMPORT("types", "[method]context.get-options") u32 context_get_options_v1(u32 self, u32 type);
#endif
IMPORT("types", "[method]context.get-quals") void context_get_quals(u32 self, list *ret);
IMPORT("types", "[method]context.get-columns") void context_get_columns(u32 self, list *ret);
IMPORT("types", "[method]context.get-sorts") void context_get_sorts(u32 self, list *ret);
IMPORT("types", "[method]context.get-limit") void context_get_limit(u32 self, opt_handle *ret);
// Constructors: each gives an own handle.
IMPORT("types", "[constructor]row") u32 row_new(void);
IMPORT("types", "[constructor]column") u32 column_new(u32 index);
IMPORT("types", "[constructor]qual") u32 qual_new(u32 index);
IMPORT("types", "[constructor]sort") u32 sort_new(u32 index);
IMPORT("types", "[constructor]limit") u32 limit_new(void);
#ifdef WIT_V2
IMPORT("types", "[constructor]options")
u32 options_new_v2(u32 type, const char *other, u32 other_len);
#else
IMPORT("types", "[constructor]options") u32 options_new_v1(u32 type);
#endif
IMPORT("types", "[constructor]context") u32 context_new(void);
IMPORT("types", "[resource-drop]context") void context_drop(u32 handle);
IMPORT("types", "[resource-drop]row") void row_drop(u32 handle);
IMPORT("types", "[resource-drop]column") void column_drop(u32 handle);
IMPORT("types", "[resource-drop]qual") void qual_drop(u32 handle);
IMPORT("types", "[resource-drop]sort") void sort_drop(u32 handle);
IMPORT("types", "[resource-drop]limit") void limit_drop(u32 handle);
IMPORT("types", "[resource-drop]options") void options_drop(u32 handle);

// ---- imports: http, time, utils, stats, jwt ----

#define HTTP_FN(wit, c)                                                                    \
  IMPORT("http", wit)                                                                      \
  void c(u32 method, const char *url, u32 url_len, const header *headers, u32 headers_len, \
         const char *body, u32 body_len, http_result *ret);
HTTP_FN("get", http_get)
HTTP_FN("post", http_post)
HTTP_FN("put", http_put)
HTTP_FN("patch", http_patch)
HTTP_FN("delete", http_delete)
#undef HTTP_FN
// error-for-status(resp: response): the response flattened (7 values).
IMPORT("http", "error-for-status")
void http_error_for_status(const char *url, u32 url_len, u32 status, const header *headers,
                           u32 headers_len, const char *body, u32 body_len, tagged_str *ret);

IMPORT("time", "epoch-secs") s64 time_epoch_secs(void);
IMPORT("time", "parse-from-rfc3339")
void time_parse_from_rfc3339(const char *s, u32 len, time_result *ret);
IMPORT("time", "parse-from-str")
void time_parse_from_str(const char *s, u32 len, const char *fmt, u32 fmt_len, time_result *ret);
IMPORT("time", "epoch-ms-to-rfc3339") void time_epoch_ms_to_rfc3339(s64 micros, tagged_str *ret);
IMPORT("time", "sleep") void time_sleep(u64 millis);

IMPORT("utils", "report-info") void report_info(const char *msg, u32 len);
IMPORT("utils", "report-notice") void report_notice(const char *msg, u32 len);
IMPORT("utils", "report-warning") void report_warning(const char *msg, u32 len);
IMPORT("utils", "report-error") void report_error(const char *msg, u32 len);
IMPORT("utils", "cell-to-string")
void utils_cell_to_string(u32 is_some, u32 case_, s64 payload0, u32 payload1, str *ret);
IMPORT("utils", "get-vault-secret")
void utils_get_vault_secret(const char *id, u32 len, tagged_str *ret);
IMPORT("utils", "get-vault-secret-by-name")
void utils_get_vault_secret_by_name(const char *name, u32 len, tagged_str *ret);
IMPORT("utils", "query-setting")
void utils_query_setting(const char *name, u32 len, tagged_str *ret);

IMPORT("stats", "inc-stats") void stats_inc(const char *fdw, u32 fdw_len, u32 metric, s64 inc);
IMPORT("stats", "get-metadata")
void stats_get_metadata(const char *fdw, u32 fdw_len, tagged_str *ret);
IMPORT("stats", "set-metadata")
void stats_set_metadata(const char *fdw, u32 fdw_len, u32 is_some, const char *md, u32 md_len);

// encode(payload: list<tuple<string, string>>, algo, key, ttl-hours: u32)
IMPORT("jwt", "encode")
void jwt_encode(const header *payload, u32 payload_len, const char *algo, u32 algo_len,
                const char *key, u32 key_len, u32 ttl_hours, tagged_str *ret);

#endif  // CABI_NO_WORLD

// ---- memory: a bump allocator, with marks to release a page's worth ----

extern unsigned char __heap_base;
static uintptr_t cabi_heap_top;

static inline uintptr_t heap_mark(void) {
  if (!cabi_heap_top) cabi_heap_top = (uintptr_t)&__heap_base;
  return cabi_heap_top;
}

// Everything allocated since `mark` is free again: only when nothing still
// points there.
static inline void heap_release(uintptr_t mark) {
  cabi_heap_top = mark;
}

static inline void *heap_alloc(u32 size, u32 align) {
  uintptr_t top = heap_mark();
  if (align == 0 || (align & (align - 1))) __builtin_trap();
  uintptr_t p = (top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + size;
  if (end < p) __builtin_trap();
  uintptr_t limit = __builtin_wasm_memory_size(0) * 65536u;
  if (end > limit && __builtin_wasm_memory_grow(0, (end - limit + 65535) / 65536) == (uintptr_t)-1)
    __builtin_trap();
  cabi_heap_top = end;
  return (void *)p;
}

// clang emits calls to these for struct copies and loops it recognizes;
// there is no libc. no_builtin keeps it from turning them into calls to
// themselves.
__attribute__((no_builtin)) void *memcpy(void *dst, const void *src, unsigned long n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (unsigned long i = 0; i < n; i++) d[i] = s[i];
  return dst;
}

__attribute__((no_builtin)) void *memset(void *dst, int c, unsigned long n) {
  unsigned char *d = dst;
  for (unsigned long i = 0; i < n; i++) d[i] = (unsigned char)c;
  return dst;
}

static inline void copy_bytes(void *dst, const void *src, u32 n) {
  memcpy(dst, src, n);
}

// The allocator the host calls to place strings and lists in the guest's
// memory. A guest that wants another defines CABI_CUSTOM_REALLOC and exports
// its own.
static inline void *good_realloc(void *old, u32 old_size, u32 align, u32 new_size) {
  void *p = heap_alloc(new_size, align);
  copy_bytes(p, old, old_size < new_size ? old_size : new_size);
  return p;
}

#ifndef CABI_CUSTOM_REALLOC
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, u32 old_size, u32 align,
                                                                u32 new_size) {
  return good_realloc(old, old_size, align, new_size);
}
#endif

// ---- strings ----

static inline u32 cstr_len(const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

static inline str S(const char *s) {
  str r = {s, cstr_len(s)};
  return r;
}

static inline int str_eq(str a, const char *b) {
  u32 n = cstr_len(b);
  if (a.len != n) return 0;
  for (u32 i = 0; i < n; i++)
    if (a.ptr[i] != b[i]) return 0;
  return 1;
}

static inline int str_eqs(str a, str b) {
  if (a.len != b.len) return 0;
  for (u32 i = 0; i < a.len; i++)
    if (a.ptr[i] != b.ptr[i]) return 0;
  return 1;
}

// A growable string on the heap. Appending to the last allocation extends it
// in place; otherwise it moves.
typedef struct {
  char *ptr;
  u32 len, cap;
} buf;

static inline void buf_reserve(buf *b, u32 more) {
  if (b->len + more <= b->cap) return;
  u32 cap = b->cap ? b->cap : 64;
  while (cap < b->len + more) cap *= 2;
  if (b->ptr && (uintptr_t)(b->ptr + b->cap) == cabi_heap_top) {
    heap_alloc(cap - b->cap, 1);
  } else {
    char *p = heap_alloc(cap, 1);
    copy_bytes(p, b->ptr, b->len);
    b->ptr = p;
  }
  b->cap = cap;
}

static inline void buf_add(buf *b, const char *s, u32 n) {
  buf_reserve(b, n);
  copy_bytes(b->ptr + b->len, s, n);
  b->len += n;
}

static inline void buf_str(buf *b, str s) {
  buf_add(b, s.ptr, s.len);
}

static inline void buf_cstr(buf *b, const char *s) {
  buf_add(b, s, cstr_len(s));
}

static inline void buf_char(buf *b, char c) {
  buf_add(b, &c, 1);
}

static inline void buf_u64(buf *b, u64 v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) buf_char(b, tmp[--n]);
}

static inline void buf_s64(buf *b, s64 v) {
  if (v < 0) {
    buf_char(b, '-');
    buf_u64(b, (u64)0 - (u64)v);
  } else {
    buf_u64(b, (u64)v);
  }
}

static inline str buf_take(buf *b) {
  str r = {b->ptr, b->len};
  return r;
}

// Percent-encodes a query parameter's value (RFC 3986 unreserved kept).
static inline void buf_urlencode(buf *b, str s) {
  static const char hex[] = "0123456789ABCDEF";
  for (u32 i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      buf_char(b, (char)c);
    } else {
      buf_char(b, '%');
      buf_char(b, hex[c >> 4]);
      buf_char(b, hex[c & 15]);
    }
  }
}

// JSON string literal of s (quotes included); s is UTF-8.
static inline void buf_json_string(buf *b, str s) {
  static const char hex[] = "0123456789abcdef";
  buf_char(b, '"');
  for (u32 i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (c == '"' || c == '\\') {
      buf_char(b, '\\');
      buf_char(b, (char)c);
    } else if (c < 0x20) {
      buf_cstr(b, "\\u00");
      buf_char(b, hex[c >> 4]);
      buf_char(b, hex[c & 15]);
    } else {
      buf_char(b, (char)c);
    }
  }
  buf_char(b, '"');
}

// SQL: an identifier always double-quoted, a literal single-quoted.
static inline void buf_sql_ident(buf *b, str s) {
  buf_char(b, '"');
  for (u32 i = 0; i < s.len; i++) {
    if (s.ptr[i] == '"') buf_char(b, '"');
    buf_char(b, s.ptr[i]);
  }
  buf_char(b, '"');
}

static inline void buf_sql_literal(buf *b, str s) {
  buf_char(b, '\'');
  for (u32 i = 0; i < s.len; i++) {
    if (s.ptr[i] == '\'') buf_char(b, '\'');
    buf_char(b, s.ptr[i]);
  }
  buf_char(b, '\'');
}

// A copy of s in memory that outlives heap_release (static storage of cap
// bytes): for options read once and kept for the instance's life.
static inline str keep(str s, char *storage, u32 cap) {
  if (s.len > cap) __builtin_trap();
  copy_bytes(storage, s.ptr, s.len);
  str r = {storage, s.len};
  return r;
}

// ---- results of exports: result<_, string>, result<option<u32>, string>,
// result<list<string>, string> are all a byte discriminant then two words at
// offset 4 ----

typedef struct {
  u8 tag;
  u8 pad_[3];
  u32 word[2];
} export_ret;

static export_ret ret_area;

static inline export_ret *ret_ok(void) {
  ret_area.tag = 0;
  ret_area.word[0] = ret_area.word[1] = 0;
  return &ret_area;
}

static inline export_ret *ret_err(str msg) {
  ret_area.tag = 1;
  ret_area.word[0] = (u32)(uintptr_t)msg.ptr;
  ret_area.word[1] = msg.len;
  return &ret_area;
}

// result<option<u32>, string>: ok(some(0)) for a row, ok(none) at the end.
static inline export_ret *ret_row(int more) {
  export_ret *r = ret_ok();
  ((u8 *)r)[4] = more ? 1 : 0;
  r->word[1] = 0;
  return r;
}

// result<list<string>, string>: ok(list).
static inline export_ret *ret_list(const str *items, u32 n) {
  export_ret *r = ret_ok();
  r->word[0] = (u32)(uintptr_t)items;
  r->word[1] = n;
  return r;
}

// An error message on the heap: prefix then detail.
static inline str errmsg(const char *prefix, str detail) {
  buf b = {0};
  buf_cstr(&b, prefix);
  buf_str(&b, detail);
  return buf_take(&b);
}

#ifndef CABI_NO_WORLD
// ---- helpers over the imports ----

static inline u32 get_options(u32 ctx, u32 type) {
#ifdef WIT_V2
  return context_get_options_v2(ctx, type, 0, 0);
#else
  return context_get_options_v1(ctx, type);
#endif
}

// The type of a column as a cell case (CELL_*); 0.2.0's other(name) gives
// CELL_OTHER and its name in *other when other is given.
static inline u32 column_type(u32 col, str *other) {
#ifdef WIT_V2
  type_oid_v2 t;
  column_type_oid_v2(col, &t);
  if (other) *other = t.tag == CELL_OTHER ? t.s : S("");
  return t.tag;
#else
  if (other) *other = S("");
  return column_type_oid_v1(col);
#endif
}

// An option's value: 1 and *out when set, 0 when not.
static inline int option_get(u32 opts, const char *key, str *out) {
  tagged_str r;
  options_get(opts, key, cstr_len(key), &r);
  if (r.tag == 0) return 0;
  *out = r.s;
  return 1;
}

// Options of one kind, read with a callback while the handle is held.
static inline str option_or(u32 ctx, u32 type, const char *key, const char *dflt) {
  u32 opts = get_options(ctx, type);
  str v;
  options_require_or(opts, key, cstr_len(key), dflt, cstr_len(dflt), &v);
  options_drop(opts);
  return v;
}

// require: 1 and *out, or 0 and *out the host's error message.
static inline int option_require(u32 ctx, u32 type, const char *key, str *out) {
  u32 opts = get_options(ctx, type);
  tagged_str r;
  options_require(opts, key, cstr_len(key), &r);
  options_drop(opts);
  *out = r.s;
  return r.tag == 0;
}

// The borrowed handles an export was given, dropped before it returns.
static inline void drop_borrows(u32 ctx, u32 row) {
  if (row) row_drop(row);
  context_drop(ctx);
}

// ---- routines many guests define alike ----

// host-version-requirement: ^WIT_VERSION.
#define HOST_VERSION_REQUIREMENT()                                         \
  EXPORT("host-version-requirement") str *host_version_requirement(void) { \
    static str req = {"^" WIT_VERSION, sizeof "^" WIT_VERSION - 1};        \
    return &req;                                                           \
  }

// init of a guest with nothing to configure.
#define INIT_NOTHING()                       \
  EXPORT("init") export_ret *init(u32 ctx) { \
    drop_borrows(ctx, 0);                    \
    return ret_ok();                         \
  }

// The modify routines of a read-only table: begin-modify, insert, update and
// delete fail with msg (a string literal), end-modify succeeds. Each drops
// its borrows first.
#define READ_ONLY_MODIFY(msg)                                                             \
  EXPORT("begin-modify") export_ret *begin_modify(u32 ctx) {                              \
    drop_borrows(ctx, 0);                                                                 \
    return ret_err(S(msg));                                                               \
  }                                                                                       \
  EXPORT("insert") export_ret *insert(u32 ctx, u32 row) {                                 \
    drop_borrows(ctx, row);                                                               \
    return ret_err(S(msg));                                                               \
  }                                                                                       \
  EXPORT("update")                                                                        \
  export_ret *update(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1, u32 row) {          \
    drop_borrows(ctx, row);                                                               \
    return ret_err(S(msg));                                                               \
  }                                                                                       \
  EXPORT("delete") export_ret *delete_(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1) { \
    drop_borrows(ctx, 0);                                                                 \
    return ret_err(S(msg));                                                               \
  }                                                                                       \
  EXPORT("end-modify") export_ret *end_modify(u32 ctx) {                                  \
    drop_borrows(ctx, 0);                                                                 \
    return ret_ok();                                                                      \
  }

// re-scan and end-scan of a guest whose scan is a counter of rows given:
// re-scan sets it to 0, end-scan does nothing. Both drop their borrows.
#define COUNTER_RESCAN_ENDSCAN(counter)              \
  EXPORT("re-scan") export_ret *re_scan(u32 ctx) {   \
    counter = 0;                                     \
    drop_borrows(ctx, 0);                            \
    return ret_ok();                                 \
  }                                                  \
  EXPORT("end-scan") export_ret *end_scan(u32 ctx) { \
    drop_borrows(ctx, 0);                            \
    return ret_ok();                                 \
  }

// The malformed guests' option `fault`: read into static storage (an empty
// name when too long), compared by name.
static char fault_name[32];
static u32 fault_len;

static inline void fault_read(u32 ctx, u32 type) {
  str f = option_or(ctx, type, "fault", "");
  fault_len = f.len < sizeof fault_name ? f.len : 0;
  copy_bytes(fault_name, f.ptr, fault_len);
}

static inline int fault_is(const char *name) {
  str f = {fault_name, fault_len};
  return str_eq(f, name);
}

// Pushes one cell to a row (row.push(some(cell)) or row.push(none)).
static inline void push_null(u32 row) {
  row_push(row, 0, 0, 0, 0);
}
static inline void push_string(u32 row, u32 case_, str s) {
  row_push(row, 1, case_, (s64)(u32)(uintptr_t)s.ptr, s.len);
}
static inline void push_i64(u32 row, u32 case_, s64 v) {
  row_push(row, 1, case_, v, 0);
}
static inline void push_f64(u32 row, double v) {
  union {
    double d;
    s64 i;
  } u = {v};
  row_push(row, 1, CELL_F64, u.i, 0);
}

// The flat form of a cell in memory (for cell-to-string and row.push).
static inline void cell_flat(const cell *c, u32 *case_, s64 *p0, u32 *p1) {
  *case_ = c->tag;
  *p1 = 0;
  switch (c->tag) {
    case CELL_BOOL: *p0 = c->v.b; break;
    case CELL_I8: *p0 = (u32)(s32)c->v.i8; break;
    case CELL_I16: *p0 = (u32)(s32)c->v.i16; break;
    case CELL_I32: *p0 = (u32)c->v.i32; break;
    case CELL_F32: {
      union {
        float f;
        u32 i;
      } u = {c->v.f32};
      *p0 = u.i;
      break;
    }
    case CELL_STRING:
    case CELL_JSON:
    case CELL_UUID:
    case CELL_OTHER:
      *p0 = (u32)(uintptr_t)c->v.s.ptr;
      *p1 = c->v.s.len;
      break;
    default: *p0 = c->v.i64; break;  // f64, i64, numeric, date, timestamps
  }
}

// The host's text of a cell (utils.cell-to-string).
static inline str cell_text(const cell *c) {
  u32 k, p1;
  s64 p0;
  str r;
  cell_flat(c, &k, &p0, &p1);
  utils_cell_to_string(1, k, p0, p1, &r);
  return r;
}

#endif  // CABI_NO_WORLD

#endif
