// wasi:http/outgoing-handler from a SQL function (docs/wasi.md, "WASI
// 0.2"): a GET built with wasi:http/types, sent with handle, its response
// read through an input stream. Text in and out with pg_wasm's SDK; the
// WASI 0.2 imports under their core names, written against the canonical
// ABI by hand.
#include "pg_wasm.h"

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.10"), import_name(name)))

// The host allocates results (the bytes read) with cabi_realloc.
PGW_EXPORT(cabi_realloc) void *cabi_realloc(void *old, u32 old_size, u32 align, u32 size) {
  (void)old;
  (void)old_size;
  (void)align;  // pgw_alloc's blocks are aligned to 8
  return pgw_alloc(size ? size : 1);
}

HTTP("[constructor]fields") u32 fields_new(void);
HTTP("[constructor]outgoing-request") u32 request_new(u32 headers);
HTTP("[method]outgoing-request.set-scheme")
u32 set_scheme(u32 self, u32 is_some, u32 scheme, u32 other_ptr, u32 other_len);
HTTP("[method]outgoing-request.set-authority")
u32 set_authority(u32 self, u32 is_some, const char *ptr, u32 len);
HTTP("[method]outgoing-request.set-path-with-query")
u32 set_path(u32 self, u32 is_some, const char *ptr, u32 len);
HTTP("[method]future-incoming-response.get") void future_get(u32 self, void *ret);
HTTP("[method]incoming-response.status") u32 response_status(u32 self);
HTTP("[method]incoming-response.consume") void response_consume(u32 self, void *ret);
HTTP("[method]incoming-body.stream") void body_stream(u32 self, void *ret);
__attribute__((import_module("wasi:http/outgoing-handler@0.2.10"), import_name("handle"))) void
http_handle(u32 request, u32 has_options, u32 options, void *ret);
__attribute__((import_module("wasi:io/streams@0.2.10"),
               import_name("[method]input-stream.blocking-read"))) void
blocking_read(u32 self, u64 len, void *ret);

static void put_int(pgw_buf *out, long v) {
  char digits[24];
  int n = 0;
  if (v < 0) {
    pgw_append(out, "-", 1);
    v = -v;
  }
  do digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) > 0);
  while (n--) pgw_append(out, &digits[n], 1);
}

static void put(pgw_buf *out, const char *s) {
  int32_t n = 0;
  while (s[n]) n++;
  pgw_append(out, s, n);
}

// GET http://<authority><path>: "status <code>, <n> bytes", or "error-code
// <case>" (wasi:http/types error-code: 15 HTTP-request-denied, ...).
PGW_EXPORT(http_fetch)
pgw_result http_fetch(const char *authority, int32_t alen, const char *path, int32_t plen) {
  pgw_buf *out = pgw_output();
  u32 req = request_new(fields_new());
  set_scheme(req, 1, 0, 0, 0);  // some(HTTP)
  set_authority(req, 1, authority, (u32)alen);
  set_path(req, 1, path, (u32)plen);
  // result<own<future-incoming-response>, error-code>: 40 bytes, the case
  // at 0, the handle or the error's case at 8.
  u64 handled[5];
  http_handle(req, 0, 0, handled);
  const u8 *h = (const u8 *)handled;
  if (h[0] == 1) {
    put(out, "error-code ");
    put_int(out, h[8]);
    return pgw_buf_result(out);
  }
  u32 future = *(const u32 *)(h + 8);
  // option<result<result<own<incoming-response>, error-code>>>: 56 bytes,
  // cases at 0, 8 and 16, the handle or the error's case at 24.
  u64 got[7];
  future_get(future, got);
  const u8 *g = (const u8 *)got;
  if (g[0] != 1 || g[8] != 0) return pgw_return("no response", 11);
  if (g[16] == 1) {
    put(out, "error-code ");
    put_int(out, g[24]);
    return pgw_buf_result(out);
  }
  u32 response = *(const u32 *)(g + 24);
  u32 status = response_status(response);
  u32 r[3];
  response_consume(response, r);
  u32 body = r[1];
  body_stream(body, r);
  u32 stream = r[1];
  long total = 0;
  for (;;) {
    blocking_read(stream, 4096, r);  // result<list<u8>, stream-error>
    if ((r[0] & 0xff) == 1) break;   // closed at the body's end
    total += r[2];
  }
  put(out, "status ");
  put_int(out, status);
  put(out, ", ");
  put_int(out, total);
  put(out, " bytes");
  return pgw_buf_result(out);
}
