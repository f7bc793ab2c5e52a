/*
 * pg_wasm_fdw.h: the guest SDK for pg_wasm's foreign data wrappers, guest
 * ABI version 1 (docs/fdw.md).
 *
 * Header-only C11 for wasm32 without a libc:
 *
 *   clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry -I sdk -o f.wasm f.c
 *
 * Include it (instead of pg_wasm.h, which it includes) in exactly one
 * translation unit. It defines the exports every FDW module needs
 * (pg_wasm_fdw_v1, pg_wasm_alloc, pg_wasm_free, memory) and offers:
 *
 *   - PGW_FDW_HOST_REQUIREMENT("^1.0"): the fdw_host_version_requirement export;
 *   - the host's functions (import module "pg_wasm_fdw"): pgw_fdw_http(),
 *     pgw_fdw_json_rows(), pgw_fdw_sleep(), pgw_fdw_epoch_ms(),
 *     pgw_fdw_parse_rfc3339(), pgw_fdw_format_rfc3339(), pgw_fdw_jwt();
 *   - MessagePack: writers into a growable pgw_buf (pgw_mp_nil ... pgw_mp_map)
 *     and a zero-copy reader (pgw_mp) that never reads past its end;
 *   - the routines' inputs: pgw_fdw_opt(), and iterators over columns,
 *     targets, quals and sorts; pgw_fdw_limit();
 *   - HTTP: requests and responses, pgw_fdw_http_check(), URL building with
 *     percent-encoding;
 *   - rows: a batch writer (pgw_fdw_batch_begin ... pgw_fdw_batch_end);
 *   - errors: pgw_fdw_errorf() with a small formatter (%s %.*s %d %u %lld %c %%).
 *
 * Memory: the host allocates each routine's input with pg_wasm_alloc and
 * frees it with pg_wasm_free after the routine; so this SDK replaces
 * pg_wasm.h's bump allocator (which never reuses memory, fine for scalar
 * functions whose argument area the host keeps, but a leak per rescan and per
 * response here) with a size-class free-list allocator. Inputs are read in
 * place: a pgw_text or pgw_mp pointing into an input is valid during the
 * routine only, so copy what a later routine needs (pgw_text_dup).
 *
 * A complete minimal guest: a table of `count` rows (table option), columns
 * `n` int8 and anything else NULL.
 *
 *   #include "pg_wasm_fdw.h"
 *   PGW_FDW_HOST_REQUIREMENT("^1.0")
 *
 *   static int64_t next, count;
 *   static int32_t ntargets, n_column, targets[64];
 *
 *   PGW_EXPORT(fdw_begin_scan) void begin_scan(int32_t ptr, int32_t len) {
 *     pgw_mp in = pgw_fdw_input(ptr, len);
 *     pgw_text v;
 *     count = pgw_fdw_opt(&in, "table", "count", &v) ? pgw_text_to_int(v, 10) : 10;
 *     next = 1;
 *     n_column = pgw_fdw_column_index(&in, "n");
 *     pgw_fdw_iter it;
 *     int32_t col;
 *     ntargets = 0;
 *     pgw_fdw_targets(&in, &it);
 *     while (ntargets < 64 && pgw_fdw_next_target(&it, &col)) targets[ntargets++] = col;
 *   }
 *
 *   PGW_EXPORT(fdw_iter_scan) int64_t iter_scan(void) {
 *     pgw_fdw_batch *b = pgw_fdw_batch_begin();
 *     for (int i = 0; i < 500 && next <= count; i++, next++) {
 *       pgw_fdw_row_begin(b, ntargets);
 *       for (int32_t t = 0; t < ntargets; t++)
 *         if (targets[t] == n_column) pgw_fdw_cell_int(b, next);
 *         else pgw_fdw_cell_nil(b);
 *     }
 *     return pgw_fdw_batch_end(b);   // a batch of no rows ends the scan
 *   }
 *
 *   CREATE SERVER gen FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'gen');
 *   CREATE FOREIGN TABLE nums (n int8, other text) SERVER gen OPTIONS (count '3');
 *   SELECT * FROM nums;   -- 1, 2, 3
 *
 * An HTTP guest reads with pgw_fdw_http_get(url, headers, n, &resp), checks
 * with pgw_fdw_http_check(&resp) and hands the body to
 * pgw_fdw_json_rows(resp.body, resp.body_len, "data") inside fdw_iter_scan,
 * returning 0: examples/fdw/events_fdw.c.
 */
#ifndef PG_WASM_FDW_H
#define PG_WASM_FDW_H

#define PGW_CUSTOM_ALLOCATOR 1
#define PGW_NO_ABI_MARKER 1
#include "pg_wasm.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PGW_FDW_IMPORT(name) __attribute__((import_module("pg_wasm_fdw"), import_name(#name)))

/* ---- Version ------------------------------------------------------------ */

/* The module implements the FDW guest ABI, version 1. */
PGW_EXPORT(pg_wasm_fdw_v1) void pgw__fdw_v1(void) {}

/* Defines the export fdw_host_version_requirement: a semver requirement on
 * the host's FDW API version, such as "^1.0" or ">=1.0, <2". Use once, at
 * file scope. */
#define PGW_FDW_HOST_REQUIREMENT(req)                                                \
  PGW_EXPORT(fdw_host_version_requirement) int64_t pgw__fdw_host_requirement(void) { \
    static const char r[] = req;                                                     \
    return pgw_return(r, (int32_t)sizeof r - 1);                                     \
  }

/* ---- The host's functions (import module "pg_wasm_fdw") ------------------ */

PGW_FDW_IMPORT(take) void pgw_fdw_host_take(void *ptr);
PGW_FDW_IMPORT(http) int32_t pgw_fdw_host_http(const void *ptr, int32_t len);
PGW_FDW_IMPORT(json_rows) int32_t pgw_fdw_host_json_rows(const void *ptr, int32_t len);
PGW_FDW_IMPORT(sleep) void pgw_fdw_sleep(int32_t ms);
PGW_FDW_IMPORT(epoch_ms) int64_t pgw_fdw_epoch_ms(void);
PGW_FDW_IMPORT(parse_rfc3339) int64_t pgw_fdw_host_parse_rfc3339(const char *ptr, int32_t len);
PGW_FDW_IMPORT(format_rfc3339) int32_t pgw_fdw_host_format_rfc3339(int64_t micros);
PGW_FDW_IMPORT(jwt) int32_t pgw_fdw_host_jwt(const void *ptr, int32_t len);

/* ---- Small helpers ------------------------------------------------------ */

static inline pgw_text pgw_cstr(const char *s) {
  pgw_text t = {s, s ? pgw__strlen(s) : 0};
  return t;
}

static inline int pgw_text_eq(pgw_text t, const char *s) {
  int32_t i = 0;
  for (; i < t.len; i++)
    if (!s[i] || s[i] != t.ptr[i]) return 0;
  return s[i] == 0;
}

static inline int pgw_text_eq_text(pgw_text a, pgw_text b) {
  if (a.len != b.len) return 0;
  for (int32_t i = 0; i < a.len; i++)
    if (a.ptr[i] != b.ptr[i]) return 0;
  return 1;
}

/* Case-insensitive (ASCII) comparison, for header names and type names. */
static inline int pgw_text_ieq(pgw_text t, const char *s) {
  int32_t i = 0;
  for (; i < t.len; i++) {
    char a = t.ptr[i], b = s[i];
    if (!b) return 0;
    if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
    if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
    if (a != b) return 0;
  }
  return s[i] == 0;
}

static inline int pgw_text_starts(pgw_text t, const char *prefix) {
  for (int32_t i = 0; prefix[i]; i++)
    if (i >= t.len || t.ptr[i] != prefix[i]) return 0;
  return 1;
}

/* A copy in memory of its own, zero-terminated (pgw_free it when done). */
static inline pgw_text pgw_text_dup(pgw_text t) {
  char *p = (char *)pgw_alloc((size_t)t.len + 1);
  if (!p) pgw_error("pg_wasm FDW SDK: out of memory");
  for (int32_t i = 0; i < t.len; i++) p[i] = t.ptr[i];
  p[t.len] = 0;
  pgw_text r = {p, t.len};
  return r;
}

/* A decimal integer (optional sign, digits only); `dflt` when it is not one
 * or overflows. */
static inline int64_t pgw_text_to_int(pgw_text t, int64_t dflt) {
  int32_t i = 0;
  int neg = 0;
  uint64_t v = 0;
  if (i < t.len && (t.ptr[i] == '-' || t.ptr[i] == '+')) neg = t.ptr[i++] == '-';
  if (i >= t.len) return dflt;
  for (; i < t.len; i++) {
    char c = t.ptr[i];
    if (c < '0' || c > '9') return dflt;
    if (v > (UINT64_C(9223372036854775808) - (uint64_t)(c - '0')) / 10) return dflt;
    v = v * 10 + (uint64_t)(c - '0');
  }
  if (!neg && v > (uint64_t)INT64_MAX) return dflt;
  return neg ? (int64_t)(0 - v) : (int64_t)v;
}

/* ---- Formatting and errors ---------------------------------------------- */

static inline void pgw_buf_int(pgw_buf *b, int64_t v) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) pgw_putc(b, '-');
  while (n) pgw_putc(b, tmp[--n]);
}

/* Appends fmt with its arguments: %s (a C string; "(null)" for NULL), %.*s
 * (an int length and a char pointer), %d (int), %u (unsigned), %lld (long
 * long, int64_t), %c, %%. Anything else is written as is. */
static inline void pgw_buf_vformat(pgw_buf *b, const char *fmt, va_list ap) {
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      pgw_putc(b, *f);
      continue;
    }
    f++;
    if (*f == 's') {
      const char *s = va_arg(ap, const char *);
      pgw_puts(b, s ? s : "(null)");
    } else if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
      int len = va_arg(ap, int);
      const char *s = va_arg(ap, const char *);
      if (s && len > 0) pgw_append(b, s, len);
      f += 2;
    } else if (*f == 'd') {
      pgw_buf_int(b, va_arg(ap, int));
    } else if (*f == 'u') {
      pgw_buf_int(b, va_arg(ap, unsigned));
    } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
      pgw_buf_int(b, va_arg(ap, long long));
      f += 2;
    } else if (*f == 'c') {
      pgw_putc(b, (char)va_arg(ap, int));
    } else if (*f == '%') {
      pgw_putc(b, '%');
    } else {
      pgw_putc(b, '%');
      if (!*f) break;
      pgw_putc(b, *f);
    }
  }
}

__attribute__((format(printf, 2, 3))) static inline void pgw_buf_format(pgw_buf *b, const char *fmt,
                                                                        ...) {
  va_list ap;
  va_start(ap, fmt);
  pgw_buf_vformat(b, fmt, ap);
  va_end(ap);
}

static pgw_buf pgw__msg;

/* Raises an ERROR (SQLSTATE HV000) with the formatted message; does not
 * return. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void pgw_fdw_errorf(const char *fmt,
                                                                                  ...) {
  va_list ap;
  pgw__msg.len = 0;
  va_start(ap, fmt);
  pgw_buf_vformat(&pgw__msg, fmt, ap);
  va_end(ap);
  pgw_host_error(pgw__msg.data, pgw__msg.len);
  __builtin_unreachable();
}

/* Reports the formatted message at a level of pg_wasm.h (PGW_NOTICE, ...). */
__attribute__((format(printf, 2, 3))) static inline void pgw_fdw_logf(int32_t level,
                                                                      const char *fmt, ...) {
  va_list ap;
  pgw__msg.len = 0;
  va_start(ap, fmt);
  pgw_buf_vformat(&pgw__msg, fmt, ap);
  va_end(ap);
  pgw_host_log(level, pgw__msg.data, pgw__msg.len);
}

/* ---- MessagePack writers -------------------------------------------------
 * pg_wasm.h has pgw_mp_nil, pgw_mp_bool, pgw_mp_array, pgw_mp_int (always 9
 * bytes past the fixints), pgw_mp_double, pgw_mp_str, pgw_mp_bin. These add
 * maps and the shortest encodings. */

static inline void pgw_mp_map(pgw_buf *b, uint32_t n) {
  if (n < 16) {
    pgw_putc(b, (char)(0x80 | n));
  } else if (n < 65536) {
    pgw_putc(b, (char)0xde);
    pgw__be(b, n, 2);
  } else {
    pgw_putc(b, (char)0xdf);
    pgw__be(b, n, 4);
  }
}

/* An unsigned integer in its shortest form (positive fixint, uint 8/16/32/64). */
static inline void pgw_mp_uint64(pgw_buf *b, uint64_t v) {
  if (v < 128) {
    pgw_putc(b, (char)v);
  } else if (v < 256) {
    pgw_putc(b, (char)0xcc);
    pgw__be(b, v, 1);
  } else if (v < 65536) {
    pgw_putc(b, (char)0xcd);
    pgw__be(b, v, 2);
  } else if (v <= 0xffffffffu) {
    pgw_putc(b, (char)0xce);
    pgw__be(b, v, 4);
  } else {
    pgw_putc(b, (char)0xcf);
    pgw__be(b, v, 8);
  }
}

/* A signed integer in its shortest form (fixints, int 8/16/32/64; a
 * non-negative one as unsigned). */
static inline void pgw_mp_int64(pgw_buf *b, int64_t v) {
  if (v >= 0) {
    pgw_mp_uint64(b, (uint64_t)v);
  } else if (v >= -32) {
    pgw_putc(b, (char)(0xe0 | (v + 32)));
  } else if (v >= -128) {
    pgw_putc(b, (char)0xd0);
    pgw__be(b, (uint64_t)v, 1);
  } else if (v >= -32768) {
    pgw_putc(b, (char)0xd1);
    pgw__be(b, (uint64_t)v, 2);
  } else if (v >= INT64_C(-2147483648)) {
    pgw_putc(b, (char)0xd2);
    pgw__be(b, (uint64_t)v, 4);
  } else {
    pgw_putc(b, (char)0xd3);
    pgw__be(b, (uint64_t)v, 8);
  }
}

static inline void pgw_mp_float64(pgw_buf *b, double v) {
  pgw_mp_double(b, v);
}

static inline void pgw__mp_bytes_short(pgw_buf *b, int str, const void *p, int32_t len) {
  uint32_t n = (uint32_t)len;
  if (str && n < 32) {
    pgw_putc(b, (char)(0xa0 | n));
  } else if (n < 256) {
    pgw_putc(b, (char)(str ? 0xd9 : 0xc4));
    pgw__be(b, n, 1);
  } else if (n < 65536) {
    pgw_putc(b, (char)(str ? 0xda : 0xc5));
    pgw__be(b, n, 2);
  } else {
    pgw_putc(b, (char)(str ? 0xdb : 0xc6));
    pgw__be(b, n, 4);
  }
  pgw_append(b, p, len);
}

/* str and bin in their shortest forms. */
static inline void pgw_mp_str_text(pgw_buf *b, pgw_text t) {
  pgw__mp_bytes_short(b, 1, t.ptr, t.len);
}
static inline void pgw_mp_cstr(pgw_buf *b, const char *s) {
  pgw__mp_bytes_short(b, 1, s, pgw__strlen(s));
}
static inline void pgw_mp_bin_short(pgw_buf *b, const void *p, int32_t len) {
  pgw__mp_bytes_short(b, 0, p, len);
}

/* ---- MessagePack reader ---------------------------------------------------
 * A cursor over bytes it does not own. Every read checks the bytes left; a
 * read of the wrong type returns 0 and leaves the cursor where it was; a
 * truncated or malformed value returns 0 and sets `err` (then every read
 * fails). */

typedef struct {
  const uint8_t *p;
  const uint8_t *end;
  int err;
} pgw_mp;

typedef enum {
  PGW_MP_END = 0, /* no bytes left, or an error */
  PGW_MP_NIL,
  PGW_MP_BOOL,
  PGW_MP_INT, /* signed or unsigned */
  PGW_MP_FLOAT,
  PGW_MP_STR,
  PGW_MP_BIN,
  PGW_MP_ARRAY,
  PGW_MP_MAP,
  PGW_MP_EXT,
  PGW_MP_INVALID /* 0xc1 */
} pgw_mp_type;

static inline pgw_mp pgw_mp_reader(const void *ptr, int32_t len) {
  pgw_mp m;
  m.p = (const uint8_t *)ptr;
  m.end = m.p + (len > 0 ? len : 0);
  m.err = 0;
  return m;
}

static inline pgw_mp_type pgw_mp_next_type(const pgw_mp *m) {
  if (m->err || m->p >= m->end) return PGW_MP_END;
  uint8_t c = *m->p;
  if (c <= 0x7f || c >= 0xe0) return PGW_MP_INT;
  if (c <= 0x8f) return PGW_MP_MAP;
  if (c <= 0x9f) return PGW_MP_ARRAY;
  if (c <= 0xbf) return PGW_MP_STR;
  switch (c) {
    case 0xc0: return PGW_MP_NIL;
    case 0xc2:
    case 0xc3: return PGW_MP_BOOL;
    case 0xc4:
    case 0xc5:
    case 0xc6: return PGW_MP_BIN;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: return PGW_MP_EXT;
    case 0xca:
    case 0xcb: return PGW_MP_FLOAT;
    case 0xd9:
    case 0xda:
    case 0xdb: return PGW_MP_STR;
    case 0xdc:
    case 0xdd: return PGW_MP_ARRAY;
    case 0xde:
    case 0xdf: return PGW_MP_MAP;
    case 0xc1: return PGW_MP_INVALID;
    default: return PGW_MP_INT; /* 0xcc-0xd3 */
  }
}

static inline uint64_t pgw__mp_be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

/* Checks that n more bytes follow the first `at`; sets err when not. */
static inline int pgw__mp_need(pgw_mp *m, uint64_t n) {
  if ((uint64_t)(m->end - m->p) < n) {
    m->err = 1;
    return 0;
  }
  return 1;
}

static inline int pgw_mp_read_nil(pgw_mp *m) {
  if (pgw_mp_next_type(m) != PGW_MP_NIL) return 0;
  m->p++;
  return 1;
}

static inline int pgw_mp_read_bool(pgw_mp *m, int *out) {
  if (pgw_mp_next_type(m) != PGW_MP_BOOL) return 0;
  *out = *m->p++ == 0xc3;
  return 1;
}

/* Any integer that fits an int64_t (a uint 64 over INT64_MAX is refused). */
static inline int pgw_mp_read_int(pgw_mp *m, int64_t *out) {
  if (pgw_mp_next_type(m) != PGW_MP_INT) return 0;
  uint8_t c = *m->p;
  if (c <= 0x7f) {
    *out = c;
    m->p++;
    return 1;
  }
  if (c >= 0xe0) {
    *out = (int8_t)c;
    m->p++;
    return 1;
  }
  int n = 1 << ((c - 0xcc) & 3); /* 0xcc..0xcf uint, 0xd0..0xd3 int: 1, 2, 4, 8 bytes */
  if (!pgw__mp_need(m, 1 + (uint64_t)n)) return 0;
  uint64_t v = pgw__mp_be(m->p + 1, n);
  if (c <= 0xcf) {
    if (v > (uint64_t)INT64_MAX) return 0;
    *out = (int64_t)v;
  } else if (n == 1) {
    *out = (int8_t)v;
  } else if (n == 2) {
    *out = (int16_t)v;
  } else if (n == 4) {
    *out = (int32_t)v;
  } else {
    *out = (int64_t)v;
  }
  m->p += 1 + n;
  return 1;
}

/* A float 32 or 64, or an integer, as a double. */
static inline int pgw_mp_read_float(pgw_mp *m, double *out) {
  pgw_mp_type t = pgw_mp_next_type(m);
  if (t == PGW_MP_INT) {
    int64_t i;
    if (!pgw_mp_read_int(m, &i)) return 0;
    *out = (double)i;
    return 1;
  }
  if (t != PGW_MP_FLOAT) return 0;
  if (*m->p == 0xca) {
    if (!pgw__mp_need(m, 5)) return 0;
    union {
      uint32_t u;
      float f;
    } u;
    u.u = (uint32_t)pgw__mp_be(m->p + 1, 4);
    *out = u.f;
    m->p += 5;
  } else {
    if (!pgw__mp_need(m, 9)) return 0;
    union {
      uint64_t u;
      double d;
    } u;
    u.u = pgw__mp_be(m->p + 1, 8);
    *out = u.d;
    m->p += 9;
  }
  return 1;
}

/* Reads the header of a str (want_str) or bin and its bytes. */
static inline int pgw__mp_read_bytes(pgw_mp *m, int want_str, int want_bin, pgw_text *out) {
  pgw_mp_type t = pgw_mp_next_type(m);
  if (!((t == PGW_MP_STR && want_str) || (t == PGW_MP_BIN && want_bin))) return 0;
  uint8_t c = *m->p;
  int hdr;
  uint64_t n;
  if (c >= 0xa0 && c <= 0xbf) {
    hdr = 1;
    n = c & 0x1f;
  } else {
    int w = (c == 0xd9 || c == 0xc4) ? 1 : (c == 0xda || c == 0xc5) ? 2 : 4;
    if (!pgw__mp_need(m, 1 + (uint64_t)w)) return 0;
    hdr = 1 + w;
    n = pgw__mp_be(m->p + 1, w);
  }
  if (n > 0x7fffffff || !pgw__mp_need(m, (uint64_t)hdr + n)) return 0;
  out->ptr = (const char *)m->p + hdr;
  out->len = (int32_t)n;
  m->p += hdr + n;
  return 1;
}

static inline int pgw_mp_read_str(pgw_mp *m, pgw_text *out) {
  return pgw__mp_read_bytes(m, 1, 0, out);
}
static inline int pgw_mp_read_bin(pgw_mp *m, pgw_text *out) {
  return pgw__mp_read_bytes(m, 0, 1, out);
}
/* A str or a bin. */
static inline int pgw_mp_read_bytes(pgw_mp *m, pgw_text *out) {
  return pgw__mp_read_bytes(m, 1, 1, out);
}

/* Array and map headers: the count is refused (err) when the bytes left
 * cannot hold that many values (each takes at least one byte). */
static inline int pgw__mp_read_container(pgw_mp *m, pgw_mp_type want, uint32_t *count) {
  if (pgw_mp_next_type(m) != want) return 0;
  uint8_t c = *m->p;
  int hdr = 1;
  uint64_t n;
  if ((c & 0xf0) == 0x90 || (c & 0xf0) == 0x80) {
    n = c & 0x0f;
  } else {
    int w = (c == 0xdc || c == 0xde) ? 2 : 4;
    if (!pgw__mp_need(m, 1 + (uint64_t)w)) return 0;
    hdr = 1 + w;
    n = pgw__mp_be(m->p + 1, w);
  }
  if (!pgw__mp_need(m, (uint64_t)hdr + n * (want == PGW_MP_MAP ? 2 : 1))) return 0;
  *count = (uint32_t)n;
  m->p += hdr;
  return 1;
}

static inline int pgw_mp_read_array(pgw_mp *m, uint32_t *count) {
  return pgw__mp_read_container(m, PGW_MP_ARRAY, count);
}
static inline int pgw_mp_read_map(pgw_mp *m, uint32_t *count) {
  return pgw__mp_read_container(m, PGW_MP_MAP, count);
}

#define PGW_MP_MAX_DEPTH 64

/* Skips one value of any type, nested ones included, at most
 * PGW_MP_MAX_DEPTH containers deep (deeper is an error). */
static inline int pgw_mp_skip(pgw_mp *m) {
  uint64_t left[PGW_MP_MAX_DEPTH + 1]; /* values still to skip, per depth */
  int depth = 0;
  left[0] = 1;
  for (;;) {
    while (depth > 0 && left[depth] == 0) depth--;
    if (left[depth] == 0) return 1;
    left[depth]--;
    pgw_mp_type t = pgw_mp_next_type(m);
    uint32_t n;
    pgw_text s;
    int64_t i;
    double d;
    int b;
    switch (t) {
      case PGW_MP_NIL: m->p++; break;
      case PGW_MP_BOOL:
        if (!pgw_mp_read_bool(m, &b)) return 0;
        break;
      case PGW_MP_INT:
        if (!pgw_mp_read_int(m, &i)) {
          /* a uint 64 over INT64_MAX: skip it all the same */
          if (m->err || *m->p != 0xcf) return 0;
          m->p += 9;
        }
        break;
      case PGW_MP_FLOAT:
        if (!pgw_mp_read_float(m, &d)) return 0;
        break;
      case PGW_MP_STR:
      case PGW_MP_BIN:
        if (!pgw_mp_read_bytes(m, &s)) return 0;
        break;
      case PGW_MP_ARRAY:
      case PGW_MP_MAP:
        if (!pgw__mp_read_container(m, t, &n)) return 0;
        if (n) {
          if (depth == PGW_MP_MAX_DEPTH) {
            m->err = 1;
            return 0;
          }
          left[++depth] = (uint64_t)n * (t == PGW_MP_MAP ? 2 : 1);
        }
        break;
      case PGW_MP_EXT: {
        uint8_t c = *m->p;
        uint64_t hdr, len;
        if (c >= 0xd4 && c <= 0xd8) {
          hdr = 2;
          len = (uint64_t)1 << (c - 0xd4);
        } else {
          int w = c == 0xc7 ? 1 : c == 0xc8 ? 2 : 4;
          if (!pgw__mp_need(m, 1 + (uint64_t)w)) return 0;
          hdr = 2 + (uint64_t)w;
          len = pgw__mp_be(m->p + 1, w);
        }
        if (!pgw__mp_need(m, hdr + len)) return 0;
        m->p += hdr + len;
        break;
      }
      default: m->err = 1; return 0;
    }
  }
}

/* With m at a map: sets *value to a cursor at the value of `key` (a str key)
 * and returns 1; 0 when m is not at a map or the key is absent. m itself does
 * not move. */
static inline int pgw_mp_find(const pgw_mp *m, const char *key, pgw_mp *value) {
  pgw_mp c = *m;
  uint32_t n;
  if (!pgw_mp_read_map(&c, &n)) return 0;
  for (uint32_t i = 0; i < n; i++) {
    pgw_text k;
    if (pgw_mp_read_str(&c, &k)) {
      if (pgw_text_eq(k, key)) {
        *value = c;
        return 1;
      }
    } else if (!pgw_mp_skip(&c)) { /* a key of another type */
      return 0;
    }
    if (!pgw_mp_skip(&c)) return 0;
  }
  return 0;
}

/* Conveniences on a map: the value at key as text/int/bool; 0 when absent
 * or of another type. */
static inline int pgw_mp_find_str(const pgw_mp *m, const char *key, pgw_text *out) {
  pgw_mp v;
  return pgw_mp_find(m, key, &v) && pgw_mp_read_str(&v, out);
}
static inline int pgw_mp_find_int(const pgw_mp *m, const char *key, int64_t *out) {
  pgw_mp v;
  return pgw_mp_find(m, key, &v) && pgw_mp_read_int(&v, out);
}
static inline int pgw_mp_find_bool(const pgw_mp *m, const char *key, int *out) {
  pgw_mp v;
  return pgw_mp_find(m, key, &v) && pgw_mp_read_bool(&v, out);
}

/* Copies the next value, whatever it is, as MessagePack into b (and skips
 * it): for handing a cell through unchanged. */
static inline int pgw_mp_copy_value(pgw_mp *m, pgw_buf *b) {
  const uint8_t *start = m->p;
  if (!pgw_mp_skip(m)) return 0;
  pgw_append(b, start, (int32_t)(m->p - start));
  return 1;
}

/* ---- Routine inputs ------------------------------------------------------ */

static inline pgw_mp pgw_fdw_input(int32_t ptr, int32_t len) {
  return pgw_mp_reader((const void *)(uintptr_t)ptr, len);
}

/* An option: section is "server", "table" or "user". 1 and *out (valid
 * during the routine) when set. */
static inline int pgw_fdw_opt(const pgw_mp *input, const char *section, const char *name,
                              pgw_text *out) {
  pgw_mp sec;
  return pgw_mp_find(input, section, &sec) && pgw_mp_find_str(&sec, name, out);
}

/* An iterator over an array of the input: columns, targets, quals, sorts,
 * params. `index` is the index of the item the last next() gave. */
typedef struct {
  pgw_mp mp;
  uint32_t left;
  int32_t index;
} pgw_fdw_iter;

/* Positions it at input[key], an array; returns its length (0 when absent). */
static inline int32_t pgw_fdw_array(const pgw_mp *input, const char *key, pgw_fdw_iter *it) {
  it->left = 0;
  it->index = -1;
  if (!pgw_mp_find(input, key, &it->mp) || !pgw_mp_read_array(&it->mp, &it->left)) it->left = 0;
  return (int32_t)it->left;
}

/* Returns a cursor at the next item, or 0 at the end. */
static inline int pgw_fdw_next(pgw_fdw_iter *it, pgw_mp *item) {
  if (!it->left) return 0;
  *item = it->mp;
  if (!pgw_mp_skip(&it->mp)) {
    it->left = 0;
    return 0;
  }
  it->left--;
  it->index++;
  return 1;
}

typedef struct {
  pgw_text name;
  pgw_text type; /* as format_type writes it: "timestamp with time zone" */
  int32_t num;   /* attribute number */
} pgw_fdw_column;

static inline int32_t pgw_fdw_columns(const pgw_mp *input, pgw_fdw_iter *it) {
  return pgw_fdw_array(input, "columns", it);
}
static inline int pgw_fdw_next_column(pgw_fdw_iter *it, pgw_fdw_column *col) {
  pgw_mp item;
  if (!pgw_fdw_next(it, &item)) return 0;
  int64_t num = 0;
  col->name.ptr = col->type.ptr = "";
  col->name.len = col->type.len = 0;
  pgw_mp_find_str(&item, "name", &col->name);
  pgw_mp_find_str(&item, "type", &col->type);
  pgw_mp_find_int(&item, "num", &num);
  col->num = (int32_t)num;
  return 1;
}

/* The index in `columns` of the column named `name`, or -1. */
static inline int32_t pgw_fdw_column_index(const pgw_mp *input, const char *name) {
  pgw_fdw_iter it;
  pgw_fdw_column col;
  pgw_fdw_columns(input, &it);
  while (pgw_fdw_next_column(&it, &col))
    if (pgw_text_eq(col.name, name)) return it.index;
  return -1;
}

static inline int32_t pgw_fdw_targets(const pgw_mp *input, pgw_fdw_iter *it) {
  return pgw_fdw_array(input, "targets", it);
}
static inline int pgw_fdw_next_target(pgw_fdw_iter *it, int32_t *column) {
  pgw_mp item;
  int64_t v;
  while (pgw_fdw_next(it, &item))
    if (pgw_mp_read_int(&item, &v)) {
      *column = (int32_t)v;
      return 1;
    }
  return 0;
}

typedef struct {
  int32_t column; /* index into columns */
  pgw_text op;    /* "=", "<>", "<", "<=", ">", ">=", "~~", "~~*", "!~~", "!~~*",
                     "is_null", "is_not_null" */
  int has_value;  /* 0 for is_null, is_not_null and a param */
  pgw_mp value;   /* a cursor at the value (an array with any) */
  int any;        /* column op ANY(value) */
  int param;      /* a join's outer value: no value at plan time, given at re_scan */
} pgw_fdw_qual;

static inline int32_t pgw_fdw_quals(const pgw_mp *input, pgw_fdw_iter *it) {
  return pgw_fdw_array(input, "quals", it);
}
static inline int pgw_fdw_next_qual(pgw_fdw_iter *it, pgw_fdw_qual *q) {
  pgw_mp item;
  if (!pgw_fdw_next(it, &item)) return 0;
  int64_t col = -1;
  pgw_mp_find_int(&item, "column", &col);
  q->column = (int32_t)col;
  q->op.ptr = "";
  q->op.len = 0;
  pgw_mp_find_str(&item, "op", &q->op);
  q->has_value = pgw_mp_find(&item, "value", &q->value);
  if (!q->has_value) q->value = pgw_mp_reader("", 0);
  q->any = q->param = 0;
  pgw_mp_find_bool(&item, "any", &q->any);
  pgw_mp_find_bool(&item, "param", &q->param);
  return 1;
}

typedef struct {
  int32_t column;
  int desc;
  int nulls_first;
} pgw_fdw_sort;

static inline int32_t pgw_fdw_sorts(const pgw_mp *input, pgw_fdw_iter *it) {
  return pgw_fdw_array(input, "sorts", it);
}
static inline int pgw_fdw_next_sort(pgw_fdw_iter *it, pgw_fdw_sort *s) {
  pgw_mp item;
  if (!pgw_fdw_next(it, &item)) return 0;
  int64_t col = -1;
  pgw_mp_find_int(&item, "column", &col);
  s->column = (int32_t)col;
  s->desc = s->nulls_first = 0;
  pgw_mp_find_bool(&item, "desc", &s->desc);
  pgw_mp_find_bool(&item, "nulls_first", &s->nulls_first);
  return 1;
}

/* fdw_re_scan's params, in the order of the quals with param. */
static inline int32_t pgw_fdw_params(const pgw_mp *input, pgw_fdw_iter *it) {
  return pgw_fdw_array(input, "params", it);
}

/* The pushed-down limit and offset: 1 when a limit was given (*offset is 0
 * when none was). */
static inline int pgw_fdw_limit(const pgw_mp *input, int64_t *limit, int64_t *offset) {
  *offset = 0;
  pgw_mp_find_int(input, "offset", offset);
  return pgw_mp_find_int(input, "limit", limit);
}

/* ---- Results -------------------------------------------------------------- */

/* A result the host reads before the next call: (len << 32) | ptr. */
static inline int64_t pgw_fdw_result(const pgw_buf *b) {
  return pgw_buf_result(b);
}

/* fdw_plan's answer (docs/fdw.md, "fdw_plan"): the rows the scan returns
 * and its startup cost, the quals applied exactly (`exact` holds their
 * indexes, each written with pgw_mp_int64, `nexact` of them; it is freed),
 * and whether the rows come in the order asked and the limit is applied. */
static inline int64_t pgw_fdw_plan_result(int64_t rows, int64_t startup_cost, pgw_buf *exact,
                                          uint32_t nexact, int sort, int limit) {
  pgw_buf *out = pgw_output();
  pgw_mp_map(out, 5);
  pgw_mp_cstr(out, "rows");
  pgw_mp_int64(out, rows);
  pgw_mp_cstr(out, "startup_cost");
  pgw_mp_int64(out, startup_cost);
  pgw_mp_cstr(out, "exact");
  pgw_mp_array(out, nexact);
  pgw_append(out, exact->data, exact->len);
  pgw_free(exact->data);
  exact->data = 0;
  exact->len = exact->cap = 0;
  pgw_mp_cstr(out, "sort");
  pgw_mp_bool(out, sort);
  pgw_mp_cstr(out, "limit");
  pgw_mp_bool(out, limit);
  return pgw_buf_result(out);
}

/* A batch of rows for fdw_iter_scan (or one row's cells for a write, with
 * pgw_fdw_row_begin alone). Built in pg_wasm.h's shared output buffer. */
typedef struct {
  pgw_buf *buf;
  uint32_t rows;
} pgw_fdw_batch;

static pgw_fdw_batch pgw__batch;

static inline pgw_fdw_batch *pgw_fdw_batch_begin(void) {
  pgw__batch.buf = pgw_output();
  pgw__batch.rows = 0;
  pgw_putc(pgw__batch.buf, (char)0xdd); /* array 32, its count written at the end */
  pgw__be(pgw__batch.buf, 0, 4);
  return &pgw__batch;
}

static inline void pgw_fdw_row_begin(pgw_fdw_batch *b, uint32_t ncells) {
  b->rows++;
  pgw_mp_array(b->buf, ncells);
}

static inline void pgw_fdw_cell_nil(pgw_fdw_batch *b) {
  pgw_mp_nil(b->buf);
}
static inline void pgw_fdw_cell_bool(pgw_fdw_batch *b, int v) {
  pgw_mp_bool(b->buf, v);
}
static inline void pgw_fdw_cell_int(pgw_fdw_batch *b, int64_t v) {
  pgw_mp_int64(b->buf, v);
}
static inline void pgw_fdw_cell_float(pgw_fdw_batch *b, double v) {
  pgw_mp_float64(b->buf, v);
}
static inline void pgw_fdw_cell_str(pgw_fdw_batch *b, const char *p, int32_t len) {
  pgw__mp_bytes_short(b->buf, 1, p, len);
}
static inline void pgw_fdw_cell_cstr(pgw_fdw_batch *b, const char *s) {
  pgw__mp_bytes_short(b->buf, 1, s, pgw__strlen(s));
}
static inline void pgw_fdw_cell_bin(pgw_fdw_batch *b, const void *p, int32_t len) {
  pgw__mp_bytes_short(b->buf, 0, p, len);
}

/* The batch as fdw_iter_scan's result; a batch of no rows ends the scan. */
static inline int64_t pgw_fdw_batch_end(pgw_fdw_batch *b) {
  uint32_t n = b->rows;
  char *hdr = b->buf->data;
  hdr[1] = (char)(n >> 24);
  hdr[2] = (char)(n >> 16);
  hdr[3] = (char)(n >> 8);
  hdr[4] = (char)n;
  return pgw_buf_result(b->buf);
}

/* ---- Host calls returning bytes (take) ------------------------------------ */

/* Appends the `size` bytes the last host call left to b. */
static inline void pgw_fdw_take_into(pgw_buf *b, int32_t size) {
  if (size <= 0) return;
  pgw_reserve(b, size);
  pgw_fdw_host_take(b->data + b->len);
  b->len += size;
}

/* Microseconds since 1970-01-01 UTC of an RFC 3339 time; raises an error if
 * it is not one. */
static inline int64_t pgw_fdw_parse_rfc3339(pgw_text t) {
  return pgw_fdw_host_parse_rfc3339(t.ptr, t.len);
}

/* Appends the RFC 3339 text (UTC, Z) of microseconds since 1970 to b. */
static inline void pgw_fdw_format_rfc3339(int64_t micros, pgw_buf *b) {
  pgw_fdw_take_into(b, pgw_fdw_host_format_rfc3339(micros));
}

/* Appends a signed JSON Web Token to b. claims_mp is a MessagePack map
 * (built with the writers); header_mp another or NULL. alg: "HS256",
 * "RS256". */
static inline void pgw_fdw_jwt(const char *alg, pgw_text key, const pgw_buf *claims_mp,
                               const pgw_buf *header_mp, pgw_buf *b) {
  pgw_buf req = {0, 0, 0};
  pgw_mp_map(&req, header_mp ? 4 : 3);
  pgw_mp_cstr(&req, "alg");
  pgw_mp_cstr(&req, alg);
  pgw_mp_cstr(&req, "key");
  pgw_mp_str_text(&req, key);
  pgw_mp_cstr(&req, "claims");
  pgw_append(&req, claims_mp->data, claims_mp->len);
  if (header_mp) {
    pgw_mp_cstr(&req, "header");
    pgw_append(&req, header_mp->data, header_mp->len);
  }
  int32_t size = pgw_fdw_host_jwt(req.data, req.len);
  pgw_free(req.data);
  pgw_fdw_take_into(b, size);
}

/* ---- json_rows ------------------------------------------------------------ */

static pgw_buf pgw__request;

/* Gives the running scan the rows of the JSON document's array at `path`
 * (a dotted path; "" for the document itself). Call it in fdw_iter_scan
 * and return 0 from there. Returns how many rows. */
static inline int32_t pgw_fdw_json_rows(const void *json, int32_t len, const char *path) {
  pgw_buf *r = &pgw__request;
  r->len = 0;
  pgw_mp_map(r, 2);
  pgw_mp_cstr(r, "json");
  pgw_mp_bin_short(r, json, len);
  pgw_mp_cstr(r, "path");
  pgw_mp_cstr(r, path ? path : "");
  return pgw_fdw_host_json_rows(r->data, r->len);
}

/* ---- HTTP ----------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *value;
} pgw_fdw_header;

typedef struct {
  int32_t status;
  pgw_mp headers;   /* a cursor at the array of [name, value] (names lower-cased) */
  const char *body; /* valid until the next request */
  int32_t body_len;
} pgw_fdw_response;

static pgw_buf pgw__response;

/* Makes one request: method "GET", "POST", ...; headers may be NULL; body
 * may be NULL (none). Parses the response into *resp, whose memory is reused
 * by the next request. A failed request (host not allowed, connection,
 * timeout) is an error the guest does not see. */
static inline void pgw_fdw_http(const char *method, pgw_text url, const pgw_fdw_header *headers,
                                int32_t nheaders, const void *body, int32_t body_len,
                                pgw_fdw_response *resp) {
  pgw_buf *r = &pgw__request;
  r->len = 0;
  pgw_mp_map(r, body ? 4 : 3);
  pgw_mp_cstr(r, "method");
  pgw_mp_cstr(r, method);
  pgw_mp_cstr(r, "url");
  pgw_mp_str_text(r, url);
  pgw_mp_cstr(r, "headers");
  pgw_mp_array(r, (uint32_t)nheaders);
  for (int32_t i = 0; i < nheaders; i++) {
    pgw_mp_array(r, 2);
    pgw_mp_cstr(r, headers[i].name);
    pgw_mp_cstr(r, headers[i].value);
  }
  if (body) {
    pgw_mp_cstr(r, "body");
    pgw__mp_bytes_short(r, 1, body, body_len);
  }
  int32_t size = pgw_fdw_host_http(r->data, r->len);
  pgw__response.len = 0;
  pgw_fdw_take_into(&pgw__response, size);

  pgw_mp m = pgw_mp_reader(pgw__response.data, pgw__response.len);
  int64_t status = 0;
  pgw_text b = {"", 0};
  if (!pgw_mp_find_int(&m, "status", &status)) pgw_error("pg_wasm FDW SDK: a malformed response");
  resp->status = (int32_t)status;
  if (!pgw_mp_find(&m, "headers", &resp->headers)) resp->headers = pgw_mp_reader("\x90", 1);
  pgw_mp bv;
  if (pgw_mp_find(&m, "body", &bv)) pgw_mp_read_bytes(&bv, &b);
  resp->body = b.ptr;
  resp->body_len = b.len;
}

static inline void pgw_fdw_http_get(pgw_text url, const pgw_fdw_header *headers, int32_t nheaders,
                                    pgw_fdw_response *resp) {
  pgw_fdw_http("GET", url, headers, nheaders, 0, 0, resp);
}

/* The first header named `name` (lower case): 1 and *value when present. */
static inline int pgw_fdw_response_header(const pgw_fdw_response *resp, const char *name,
                                          pgw_text *value) {
  pgw_mp h = resp->headers;
  uint32_t n;
  if (!pgw_mp_read_array(&h, &n)) return 0;
  for (uint32_t i = 0; i < n; i++) {
    pgw_mp pair = h;
    uint32_t two;
    pgw_text k, v;
    if (!pgw_mp_skip(&h)) return 0;
    if (pgw_mp_read_array(&pair, &two) && two == 2 && pgw_mp_read_str(&pair, &k) &&
        pgw_mp_read_str(&pair, &v) && pgw_text_ieq(k, name)) {
      *value = v;
      return 1;
    }
  }
  return 0;
}

/* Raises an error naming the status and the first 200 bytes of the body
 * when the status is 400 or more. */
static inline void pgw_fdw_http_check(const pgw_fdw_response *resp) {
  if (resp->status < 400) return;
  int32_t n = resp->body_len < 200 ? resp->body_len : 200;
  /* not in the middle of a UTF-8 sequence */
  if (n < resp->body_len)
    while (n > 0 && ((unsigned char)resp->body[n] & 0xc0) == 0x80) n--;
  pgw_fdw_errorf("HTTP status %d: %.*s%s", (int)resp->status, (int)n, resp->body,
                 n < resp->body_len ? "..." : "");
}

/* URLs: pgw_url_query appends "?key=value" or "&key=value", percent-encoding
 * both (everything but unreserved characters, RFC 3986); pgw_url_path
 * appends "/" and a percent-encoded path segment. */
static inline void pgw_url_encode(pgw_buf *b, const char *p, int32_t len) {
  static const char hex[] = "0123456789ABCDEF";
  pgw_reserve(b, len * 3);
  for (int32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      b->data[b->len++] = (char)c;
    } else {
      b->data[b->len++] = '%';
      b->data[b->len++] = hex[c >> 4];
      b->data[b->len++] = hex[c & 15];
    }
  }
}

static inline void pgw_url_path(pgw_buf *b, pgw_text segment) {
  pgw_putc(b, '/');
  pgw_url_encode(b, segment.ptr, segment.len);
}

static inline void pgw_url_query(pgw_buf *b, const char *key, pgw_text value) {
  int has_query = 0;
  for (int32_t i = 0; i < b->len; i++)
    if (b->data[i] == '?') has_query = 1;
  pgw_putc(b, has_query ? '&' : '?');
  pgw_url_encode(b, key, pgw__strlen(key));
  pgw_putc(b, '=');
  pgw_url_encode(b, value.ptr, value.len);
}

static inline void pgw_url_query_int(pgw_buf *b, const char *key, int64_t value) {
  char tmp[24];
  pgw_buf t = {tmp, 0, (int32_t)sizeof tmp};
  pgw_buf_int(&t, value);
  pgw_url_query(b, key, (pgw_text){tmp, t.len});
}

/* The base URL without trailing slashes, to append paths to. */
static inline void pgw_url_base(pgw_buf *b, pgw_text base) {
  while (base.len > 0 && base.ptr[base.len - 1] == '/') base.len--;
  pgw_append(b, base.ptr, base.len);
}

static inline pgw_text pgw_buf_text(const pgw_buf *b) {
  pgw_text t = {b->data, b->len};
  return t;
}

/* ---- JSON writing (for request bodies) ------------------------------------- */

/* Appends a JSON string literal of the UTF-8 text (quotes, escapes). */
static inline void pgw_json_str(pgw_buf *b, const char *p, int32_t len) {
  static const char hex[] = "0123456789abcdef";
  pgw_putc(b, '"');
  for (int32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      pgw_putc(b, '\\');
      pgw_putc(b, (char)c);
    } else if (c == '\n') {
      pgw_puts(b, "\\n");
    } else if (c == '\r') {
      pgw_puts(b, "\\r");
    } else if (c == '\t') {
      pgw_puts(b, "\\t");
    } else if (c < 0x20) {
      pgw_puts(b, "\\u00");
      pgw_putc(b, hex[c >> 4]);
      pgw_putc(b, hex[c & 15]);
    } else {
      pgw_putc(b, (char)c);
    }
  }
  pgw_putc(b, '"');
}

/* Appends the next MessagePack value as JSON: nil, bool, int, float (finite;
 * others as null), str, bin (as a string), arrays and maps (keys as
 * strings). 0 when it is malformed or nested too deeply. */
static inline int pgw_json_from_mp(pgw_buf *b, pgw_mp *m, int depth) {
  pgw_text s;
  int64_t i;
  double d;
  int v;
  uint32_t n;
  if (depth > PGW_MP_MAX_DEPTH) return 0;
  switch (pgw_mp_next_type(m)) {
    case PGW_MP_NIL:
      m->p++;
      pgw_puts(b, "null");
      return 1;
    case PGW_MP_BOOL:
      pgw_mp_read_bool(m, &v);
      pgw_puts(b, v ? "true" : "false");
      return 1;
    case PGW_MP_INT:
      if (pgw_mp_read_int(m, &i)) {
        pgw_buf_int(b, i);
        return 1;
      }
      return 0;
    case PGW_MP_FLOAT: {
      if (!pgw_mp_read_float(m, &d)) return 0;
      if (d != d || d - d != 0) {
        pgw_puts(b, "null");
        return 1;
      }
      /* an integer part and six decimals: enough for an API's values */
      int neg = d < 0;
      if (neg) d = -d;
      if (d >= 9.2e18) {
        pgw_puts(b, "null");
        return 1;
      }
      uint64_t ip = (uint64_t)d;
      uint64_t frac = (uint64_t)((d - (double)ip) * 1e6 + 0.5);
      if (frac >= 1000000) {
        ip++;
        frac -= 1000000;
      }
      if (neg) pgw_putc(b, '-');
      pgw_buf_int(b, (int64_t)ip);
      if (frac) {
        char digits[7];
        for (int k = 5; k >= 0; k--) {
          digits[k] = (char)('0' + frac % 10);
          frac /= 10;
        }
        int last = 5;
        while (digits[last] == '0') last--;
        pgw_putc(b, '.');
        pgw_append(b, digits, last + 1);
      }
      return 1;
    }
    case PGW_MP_STR:
    case PGW_MP_BIN:
      if (!pgw_mp_read_bytes(m, &s)) return 0;
      pgw_json_str(b, s.ptr, s.len);
      return 1;
    case PGW_MP_ARRAY:
      if (!pgw_mp_read_array(m, &n)) return 0;
      pgw_putc(b, '[');
      for (uint32_t k = 0; k < n; k++) {
        if (k) pgw_putc(b, ',');
        if (!pgw_json_from_mp(b, m, depth + 1)) return 0;
      }
      pgw_putc(b, ']');
      return 1;
    case PGW_MP_MAP:
      if (!pgw_mp_read_map(m, &n)) return 0;
      pgw_putc(b, '{');
      for (uint32_t k = 0; k < n; k++) {
        if (k) pgw_putc(b, ',');
        if (pgw_mp_read_str(m, &s)) {
          pgw_json_str(b, s.ptr, s.len);
        } else {
          pgw_buf key = {0, 0, 0};
          if (!pgw_json_from_mp(&key, m, depth + 1)) return 0;
          pgw_json_str(b, key.data, key.len);
          pgw_free(key.data);
        }
        pgw_putc(b, ':');
        if (!pgw_json_from_mp(b, m, depth + 1)) return 0;
      }
      pgw_putc(b, '}');
      return 1;
    default: return 0;
  }
}

/* ---- JSON reading (for responses the guest needs itself) ------------------
 * pgw_json_to_mp converts a JSON document to MessagePack, which the reader
 * above then walks: objects become maps, arrays arrays, strings str
 * (unescaped, \u escapes to UTF-8), true/false bool, null nil, integers
 * that fit int64 int, and other numbers str holding their JSON text (the host
 * takes a str for every numeric column). Rows of a scan need none of this:
 * pgw_fdw_json_rows converts at the host's speed. */

typedef struct {
  const char *p;
  const char *end;
} pgw__json;

static inline void pgw__json_ws(pgw__json *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static inline int pgw__json_lit(pgw__json *s, const char *lit) {
  int32_t n = pgw__strlen(lit);
  if (s->end - s->p < n) return 0;
  for (int32_t i = 0; i < n; i++)
    if (s->p[i] != lit[i]) return 0;
  s->p += n;
  return 1;
}

static inline int pgw__json_hex4(pgw__json *s, uint32_t *out) {
  if (s->end - s->p < 4) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return 0;
  }
  s->p += 4;
  *out = v;
  return 1;
}

static inline void pgw__utf8(pgw_buf *b, uint32_t cp) {
  if (cp < 0x80) {
    pgw_putc(b, (char)cp);
  } else if (cp < 0x800) {
    pgw_putc(b, (char)(0xc0 | (cp >> 6)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    pgw_putc(b, (char)(0xe0 | (cp >> 12)));
    pgw_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3f)));
  } else {
    pgw_putc(b, (char)(0xf0 | (cp >> 18)));
    pgw_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
    pgw_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3f)));
  }
}

/* A string at its opening quote, as a str 32 (its length patched). */
static inline int pgw__json_string(pgw__json *s, pgw_buf *b) {
  s->p++;
  pgw_putc(b, (char)0xdb);
  int32_t at = b->len;
  pgw__be(b, 0, 4);
  for (;;) {
    if (s->p >= s->end) return 0;
    char c = *s->p++;
    if (c == '"') break;
    if ((unsigned char)c < 0x20) return 0;
    if (c != '\\') {
      pgw_putc(b, c);
      continue;
    }
    if (s->p >= s->end) return 0;
    c = *s->p++;
    switch (c) {
      case '"':
      case '\\':
      case '/': pgw_putc(b, c); break;
      case 'b': pgw_putc(b, '\b'); break;
      case 'f': pgw_putc(b, '\f'); break;
      case 'n': pgw_putc(b, '\n'); break;
      case 'r': pgw_putc(b, '\r'); break;
      case 't': pgw_putc(b, '\t'); break;
      case 'u': {
        uint32_t cp, lo;
        if (!pgw__json_hex4(s, &cp)) return 0;
        if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
            s->p[1] == 'u') {
          pgw__json t = {s->p + 2, s->end};
          if (pgw__json_hex4(&t, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            s->p = t.p;
          }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; /* a lone surrogate */
        pgw__utf8(b, cp);
        break;
      }
      default: return 0;
    }
  }
  uint32_t n = (uint32_t)(b->len - at - 4);
  for (int i = 0; i < 4; i++) b->data[at + i] = (char)(n >> (24 - 8 * i));
  return 1;
}

static inline int pgw__json_number(pgw__json *s, pgw_buf *b) {
  const char *start = s->p;
  int neg = 0, integer = 1, digits = 0;
  uint64_t v = 0;
  int overflow = 0;
  if (s->p < s->end && *s->p == '-') neg = 1, s->p++;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
    if (v > (UINT64_C(9223372036854775808) - (uint64_t)(*s->p - '0')) / 10) overflow = 1;
    v = v * 10 + (uint64_t)(*s->p - '0');
    s->p++;
    digits++;
  }
  if (!digits) return 0;
  if (s->p < s->end && *s->p == '.') {
    integer = 0;
    s->p++;
    if (s->p >= s->end || *s->p < '0' || *s->p > '9') return 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    integer = 0;
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (s->p >= s->end || *s->p < '0' || *s->p > '9') return 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  }
  if (integer && !overflow && (neg || v <= (uint64_t)INT64_MAX)) {
    pgw_mp_int64(b, neg ? (int64_t)(0 - v) : (int64_t)v);
  } else {
    pgw__mp_bytes_short(b, 1, start, (int32_t)(s->p - start));
  }
  return 1;
}

static inline int pgw__json_value(pgw__json *s, pgw_buf *b, int depth) {
  pgw__json_ws(s);
  if (s->p >= s->end || depth > PGW_MP_MAX_DEPTH) return 0;
  char c = *s->p;
  if (c == '"') return pgw__json_string(s, b);
  if (c == '{' || c == '[') {
    int obj = c == '{';
    uint32_t n = 0;
    s->p++;
    pgw_putc(b, (char)(obj ? 0xdf : 0xdd));
    int32_t at = b->len;
    pgw__be(b, 0, 4);
    pgw__json_ws(s);
    if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
      s->p++;
    } else {
      for (;;) {
        if (obj) {
          pgw__json_ws(s);
          if (s->p >= s->end || *s->p != '"' || !pgw__json_string(s, b)) return 0;
          pgw__json_ws(s);
          if (s->p >= s->end || *s->p++ != ':') return 0;
        }
        if (!pgw__json_value(s, b, depth + 1)) return 0;
        n++;
        pgw__json_ws(s);
        if (s->p >= s->end) return 0;
        c = *s->p++;
        if (c == ',') continue;
        if (c == (obj ? '}' : ']')) break;
        return 0;
      }
    }
    for (int i = 0; i < 4; i++) b->data[at + i] = (char)(n >> (24 - 8 * i));
    return 1;
  }
  if (c == 't' && pgw__json_lit(s, "true")) return pgw_mp_bool(b, 1), 1;
  if (c == 'f' && pgw__json_lit(s, "false")) return pgw_mp_bool(b, 0), 1;
  if (c == 'n' && pgw__json_lit(s, "null")) return pgw_mp_nil(b), 1;
  return pgw__json_number(s, b);
}

/* Appends the JSON document as one MessagePack value to b; 0 when it is not
 * valid JSON (or nests deeper than PGW_MP_MAX_DEPTH); b is then partly
 * written. */
static inline int pgw_json_to_mp(const char *json, int32_t len, pgw_buf *b) {
  pgw__json s = {json, json + (len > 0 ? len : 0)};
  if (!pgw__json_value(&s, b, 0)) return 0;
  pgw__json_ws(&s);
  return s.p == s.end;
}

/* Writes the next value as a cell: scalars as they are, maps and arrays as
 * their JSON text (for json and jsonb columns); skips it. */
static inline int pgw_mp_cell_from(pgw_mp *m, pgw_buf *b) {
  pgw_mp_type t = pgw_mp_next_type(m);
  if (t == PGW_MP_MAP || t == PGW_MP_ARRAY) {
    pgw_buf json = {0, 0, 0};
    int ok = pgw_json_from_mp(&json, m, 0);
    if (ok) pgw__mp_bytes_short(b, 1, json.data, json.len);
    pgw_free(json.data);
    return ok;
  }
  return pgw_mp_copy_value(m, b);
}

/* ---- The allocator (replaces pg_wasm.h's bump allocator) --------------------
 * Blocks of 2^k bytes (k = 5..31) with a 16-byte header holding k; a freed
 * block goes to its size's free list and is reused by the next allocation of
 * that size. Memory grows to at most about twice what is live at once. */
#ifndef __wasi__
extern unsigned char __heap_base;
static uintptr_t pgw__heap_top;
static void *pgw__free_lists[32];

void *pgw_alloc(size_t size) {
  if (size > ((size_t)1 << 30)) return 0;
  uint32_t k = 5;
  while (((size_t)1 << k) < size + 16) k++;
  void *p = pgw__free_lists[k];
  if (p) {
    pgw__free_lists[k] = *(void **)p;
    return p;
  }
  if (!pgw__heap_top) pgw__heap_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
  uintptr_t block = pgw__heap_top;
  uintptr_t end = block + ((uintptr_t)1 << k);
  if (end < block) return 0;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)
    return 0;
  pgw__heap_top = end;
  *(uint32_t *)block = k;
  return (void *)(block + 16);
}

void pgw_free(void *ptr) {
  if (!ptr) return;
  uint32_t k = *(uint32_t *)((uintptr_t)ptr - 16);
  if (k < 5 || k > 31) return; /* not ours: leave it */
  *(void **)ptr = pgw__free_lists[k];
  pgw__free_lists[k] = ptr;
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* PG_WASM_FDW_H */
