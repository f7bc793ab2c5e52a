// A minimal foreign data wrapper of the world supabase:wrappers, written
// against the canonical ABI by hand (no bindings generator here): it reads
// the server option `api_url` at init, GETs it at begin-scan and returns the
// body as a one-column row once. It exercises the shapes a component reader
// and host meet: lowered imports with and without a return area, resource
// methods and drops, lifted exports returning through memory, and a
// post-return function.
//
// Built once per WIT version: WIT_VERSION ("0.1.0" or "0.2.0"); WIT_V2 adds
// 0.2.0's import-foreign-schema and the wider variants. CM32P2 names the
// core imports and exports the newer way (`cm32p2|<interface>|<name>`, the
// interface's version shortened to CANON_VERSION, such as "0.1") that
// current component tools also accept.
#include <stdint.h>

typedef uint32_t u32;

#ifndef WIT_VERSION
#error WIT_VERSION must be defined
#endif

#ifdef CM32P2
#ifndef CANON_VERSION
#error CM32P2 needs CANON_VERSION
#endif
#define IFACE(name) "cm32p2|supabase:wrappers/" name "@" CANON_VERSION
#define IMPORT(iface, name) __attribute__((import_module(IFACE(iface)), import_name(name)))
#define EXPORT(name) __attribute__((export_name(IFACE("routines") "|" name)))
#define POST_RETURN(name) __attribute__((export_name(IFACE("routines") "|" name "_post")))
#define DROP(resource) resource "_drop"
#define REALLOC_NAME "cm32p2_realloc"
#else
#define IFACE(name) "supabase:wrappers/" name "@" WIT_VERSION
#define IMPORT(iface, name) __attribute__((import_module(IFACE(iface)), import_name(name)))
#define EXPORT(name) __attribute__((export_name(IFACE("routines") "#" name)))
#define POST_RETURN(name) __attribute__((export_name("cabi_post_" IFACE("routines") "#" name)))
#define REALLOC_NAME "cabi_realloc"
#define DROP(resource) "[resource-drop]" resource
#endif

// ---- memory: a bump allocator is enough for one scan ----

extern unsigned char __heap_base;
static uintptr_t heap_top = (uintptr_t)&__heap_base;

__attribute__((export_name(REALLOC_NAME))) void *cabi_realloc(void *old, u32 old_size, u32 align,
                                                              u32 new_size) {
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + new_size;
  uintptr_t limit = __builtin_wasm_memory_size(0) * 65536u;
  if (end > limit && __builtin_wasm_memory_grow(0, (end - limit + 65535) / 65536) == (u32)-1)
    __builtin_trap();
  heap_top = end;
  unsigned char *dst = (unsigned char *)p;
  const unsigned char *src = old;
  for (u32 i = 0; i < old_size && i < new_size; i++) dst[i] = src[i];
  return dst;
}

static u32 length(const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

// ---- imports, lowered: flat parameters, a return area when the results do
// not fit one core value ----

// [method]context.get-options(self: borrow<context>, t: options-type) -> own<options>
#ifdef WIT_V2
// options-type has a case with a string payload: (discriminant, ptr, len).
IMPORT("types", "[method]context.get-options")
u32 context_get_options(u32 ctx, u32 type, u32 ptr, u32 len);
#define GET_SERVER_OPTIONS(ctx) context_get_options(ctx, 0, 0, 0)
#else
IMPORT("types", "[method]context.get-options") u32 context_get_options(u32 ctx, u32 type);
#define GET_SERVER_OPTIONS(ctx) context_get_options(ctx, 0)
#endif
// [method]options.require-or(self, key: string, default: string) -> string
IMPORT("types", "[method]options.require-or")
void options_require_or(u32 self, const char *key, u32 key_len, const char *dflt, u32 dflt_len,
                        void *ret);
IMPORT("types", DROP("options")) void options_drop(u32 handle);
// The borrows each export is lent (the context, a row): dropped before it
// returns, as the canonical ABI requires of a callee.
IMPORT("types", DROP("context")) void context_drop(u32 handle);
IMPORT("types", DROP("row")) void row_drop(u32 handle);
// [method]row.push(self, cell: option<cell>): cell flattens to (i32, i64, i32).
IMPORT("types", "[method]row.push")
void row_push(u32 self, u32 is_some, u32 case_, int64_t payload0, u32 payload1);
IMPORT("utils", "report-info") void report_info(const char *msg, u32 len);
IMPORT("time", "epoch-secs") int64_t epoch_secs(void);
// get(req: request) -> result<response, http-error>: request flattens to
// (method, url ptr, url len, headers ptr, headers len, body ptr, body len).
IMPORT("http", "get")
void http_get(u32 method, const char *url, u32 url_len, const void *headers, u32 headers_len,
              const char *body, u32 body_len, void *ret);

// ---- state ----

typedef struct {
  const char *ptr;
  u32 len;
} str;

static str api_url;
static str body;
static int rows_left;

// result<_, string>, result<option<u32>, string> and result<list<string>,
// string> all lay out as a discriminant byte, then at offset 4 the payload:
// two words here.
static struct {
  uint8_t tag;
  uint8_t pad[3];
  u32 word[2];
} ret_area;

static u32 *ok(void) {
  ret_area.tag = 0;
  return (u32 *)&ret_area;
}

static u32 *error(const char *msg) {
  ret_area.tag = 1;
  ret_area.word[0] = (u32)msg;
  ret_area.word[1] = length(msg);
  return (u32 *)&ret_area;
}

// ---- exports, lifted ----

static const char requirement[] = "^" WIT_VERSION;
static str version = {requirement, sizeof requirement - 1};

EXPORT("host-version-requirement") str *host_version_requirement(void) {
  return &version;
}

// Nothing to free: the string is static. Present so that the component has a
// post-return option to read.
POST_RETURN("host-version-requirement") void host_version_requirement_post(str *ret) {}

EXPORT("init") u32 *init(u32 ctx) {
  u32 opts = GET_SERVER_OPTIONS(ctx);
  static const char key[] = "api_url", dflt[] = "http://127.0.0.1:8080";
  options_require_or(opts, key, sizeof key - 1, dflt, sizeof dflt - 1, &api_url);
  options_drop(opts);
  // A fixed text: messages in regression output cannot hold the API's port.
  static const char reported[] = "wrappers_minimal: api_url read";
  report_info(reported, sizeof reported - 1);
  context_drop(ctx);
  return ok();
}

EXPORT("begin-scan") u32 *begin_scan(u32 ctx) {
  // result<response, string>: tag, then at 4 the response
  // { url: string, status-code: u16 @8, headers @12, body: string @20 }.
  struct {
    uint8_t tag;
    uint8_t pad[3];
    u32 url[2];
    uint16_t status;
    uint16_t pad2;
    u32 headers[2];
    u32 body[2];
  } resp;
  http_get(0, api_url.ptr, api_url.len, 0, 0, "", 0, &resp);
  context_drop(ctx);
  if (resp.tag != 0) return error("request failed");
  body.ptr = (const char *)resp.body[0];
  body.len = resp.body[1];
  rows_left = epoch_secs() > 0 ? 1 : 0;
  return ok();
}

EXPORT("iter-scan") u32 *iter_scan(u32 ctx, u32 row) {
  u32 *r = ok();
  context_drop(ctx);
  if (rows_left-- <= 0) {
    row_drop(row);
    ((uint8_t *)r)[4] = 0;  // none
    return r;
  }
  row_push(row, 1, 8 /* string */, (int64_t)(u32)body.ptr, body.len);
  row_drop(row);
  ((uint8_t *)r)[4] = 1;  // some(0)
  r[2] = 0;
  return r;
}

EXPORT("re-scan") u32 *re_scan(u32 ctx) {
  context_drop(ctx);
  return error("re-scan is not supported");
}
EXPORT("end-scan") u32 *end_scan(u32 ctx) {
  context_drop(ctx);
  return ok();
}
EXPORT("begin-modify") u32 *begin_modify(u32 ctx) {
  context_drop(ctx);
  return error("read-only");
}
EXPORT("insert") u32 *insert(u32 ctx, u32 row) {
  context_drop(ctx);
  row_drop(row);
  return error("read-only");
}
// rowid: cell, flattened (case, i64 payload, i32 payload).
EXPORT("update")
u32 *update(u32 ctx, u32 rowid_case, int64_t rowid0, u32 rowid1, u32 row) {
  context_drop(ctx);
  row_drop(row);
  return error("read-only");
}
EXPORT("delete") u32 *delete_(u32 ctx, u32 rowid_case, int64_t rowid0, u32 rowid1) {
  context_drop(ctx);
  return error("read-only");
}
EXPORT("end-modify") u32 *end_modify(u32 ctx) {
  context_drop(ctx);
  return ok();
}

#ifdef WIT_V2
// stmt: import-foreign-schema-stmt, flattened: three strings, the list type's
// case, the table list. Returns one CREATE FOREIGN TABLE statement.
EXPORT("import-foreign-schema")
u32 *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                           u32 remote_len, const char *local, u32 local_len, u32 list_type,
                           const void *tables, u32 tables_len) {
  static const char statement[] = "create foreign table events (id text) server s";
  static str statements[1] = {{statement, sizeof statement - 1}};
  context_drop(ctx);
  u32 *r = ok();
  r[1] = (u32)statements;
  r[2] = 1;
  return r;
}
#endif
