/*
 * pg_wasm.h: the guest SDK for pg_wasm's ABI, version 1 (docs/abi.md).
 *
 * Header-only, C11 or C++, for wasm32 with or without a libc:
 *
 *   freestanding:  clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry \
 *                        -I sdk -o f.wasm f.c
 *   wasi-libc:     clang --target=wasm32-wasi -mexec-model=reactor -O2 \
 *                        -I sdk -o f.wasm f.c
 *
 * A function taking text and returning text:
 *
 *   #include "pg_wasm.h"
 *   PGW_EXPORT(shout) pgw_result shout(const char *s, int32_t len) {
 *     pgw_buf *out = pgw_output();
 *     for (int32_t i = 0; i < len; i++) pgw_putc(out, s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 :
 * s[i]); return pgw_buf_result(out);
 *   }
 *
 *   CREATE FUNCTION shout(text) RETURNS text LANGUAGE wasm AS 'mymodule::shout';
 *
 * A text, bytea, json, numeric, uuid or array argument arrives as two
 * parameters, a pointer and a length (C passes structs by reference on
 * wasm32, so take them separately; pgw_text holds them afterwards); numbers
 * as numbers. A byte-string result is
 * returned as a pgw_result made by pgw_return() or a pgw_buf. The host reads
 * a result before it calls the module again, so results may live in
 * memory reused by the next call, as pgw_output()'s buffer is.
 *
 * Include it in exactly one translation unit of a module: it defines the
 * exports the host needs (pg_wasm_abi_v1, pg_wasm_alloc, pg_wasm_free).
 */
#ifndef PG_WASM_H
#define PG_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PGW_EXPORT(name) __attribute__((export_name(#name)))
#define PGW_IMPORT(name) __attribute__((import_module("pg_wasm"), import_name(#name)))

/* A byte string in guest memory: text (UTF-8), bytea, JSON text, ... */
typedef struct {
  const char *ptr;
  int32_t len;
} pgw_text;

/* A byte-string, row or set result: (length << 32) | pointer. */
typedef int64_t pgw_result;

static inline pgw_result pgw_return(const void *ptr, int32_t len) {
  return ((int64_t)len << 32) | (uint32_t)(uintptr_t)ptr;
}

/* ---- The host's functions (import module "pg_wasm") --------------------- */

enum { PGW_DEBUG = 0, PGW_LOG = 1, PGW_INFO = 2, PGW_NOTICE = 3, PGW_WARNING = 4 };

PGW_IMPORT(log) void pgw_host_log(int32_t level, const char *ptr, int32_t len);
PGW_IMPORT(error) void pgw_host_error(const char *ptr, int32_t len);
PGW_IMPORT(random) void pgw_host_random(void *ptr, int32_t len);
PGW_IMPORT(now) int64_t pgw_now(void); /* transaction start, microseconds since 2000-01-01 UTC */
PGW_IMPORT(server_version) int32_t pgw_server_version(void);
PGW_IMPORT(set_null) void pgw_host_set_null(void);
PGW_IMPORT(arg_is_null) int32_t pgw_arg_is_null(int32_t n); /* n counts from 0 */

static inline int32_t pgw__strlen(const char *s) {
  int32_t n = 0;
  while (s[n]) n++;
  return n;
}

static inline void pgw_log(int32_t level, const char *message) {
  pgw_host_log(level, message, pgw__strlen(message));
}

/* Raises an ERROR with the message; does not return. */
__attribute__((noreturn)) static inline void pgw_error(const char *message) {
  pgw_host_error(message, pgw__strlen(message));
  __builtin_unreachable();
}

/* Makes the function's result NULL; returns a value to return with it. */
static inline pgw_result pgw_null(void) {
  pgw_host_set_null();
  return 0;
}

/* ---- Memory ------------------------------------------------------------- */

void *pgw_alloc(size_t size); /* never returns freed memory to the host */
void pgw_free(void *ptr);

/* A growable byte buffer. In a byte-at-a-time loop, reserve the most the
 * loop can write once and write through a local pointer (examples/text.c's
 * slugify): a store through a char pointer may alias `len`, so pgw_putc
 * makes the compiler reload and store it for every byte. */
typedef struct {
  char *data;
  int32_t len;
  int32_t cap;
} pgw_buf;

void pgw__grow(pgw_buf *b, int32_t extra);

/* Makes room for `extra` more bytes. Inline, so that a byte-at-a-time loop
 * costs one comparison per byte. */
static inline void pgw_reserve(pgw_buf *b, int32_t extra) {
  if (extra > b->cap - b->len) pgw__grow(b, extra);
}

static inline void pgw_append(pgw_buf *b, const void *data, int32_t len) {
  pgw_reserve(b, len);
  const char *src = (const char *)data;
  for (int32_t i = 0; i < len; i++) b->data[b->len + i] = src[i];
  b->len += len;
}

static inline void pgw_putc(pgw_buf *b, char c) {
  pgw_reserve(b, 1);
  b->data[b->len++] = c;
}

static inline void pgw_puts(pgw_buf *b, const char *s) {
  pgw_append(b, s, pgw__strlen(s));
}

static inline pgw_result pgw_buf_result(const pgw_buf *b) {
  return pgw_return(b->data, b->len);
}

/* The shared output buffer, emptied: build a result in it. */
pgw_buf *pgw_output(void);

/* ---- MessagePack, for rows (OUT parameters, composite types) and sets --- */

static inline void pgw__be(pgw_buf *b, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) pgw_putc(b, (char)(v >> (8 * i)));
}

static inline void pgw_mp_nil(pgw_buf *b) {
  pgw_putc(b, (char)0xc0);
}
static inline void pgw_mp_bool(pgw_buf *b, int v) {
  pgw_putc(b, (char)(v ? 0xc3 : 0xc2));
}

static inline void pgw_mp_array(pgw_buf *b, uint32_t n) {
  if (n < 16) {
    pgw_putc(b, (char)(0x90 | n));
  } else {
    pgw_putc(b, (char)0xdd);
    pgw__be(b, n, 4);
  }
}

static inline void pgw_mp_int(pgw_buf *b, int64_t v) {
  if (v >= 0 && v < 128) {
    pgw_putc(b, (char)v);
  } else if (v < 0 && v >= -32) {
    pgw_putc(b, (char)(0xe0 | (v + 32)));
  } else {
    pgw_putc(b, (char)0xd3);
    pgw__be(b, (uint64_t)v, 8);
  }
}

static inline void pgw_mp_double(pgw_buf *b, double v) {
  union {
    double d;
    uint64_t u;
  } u;
  u.d = v;
  pgw_putc(b, (char)0xcb);
  pgw__be(b, u.u, 8);
}

static inline void pgw__mp_bytes(pgw_buf *b, int str, const char *p, int32_t len) {
  if (str && len < 32) {
    pgw_putc(b, (char)(0xa0 | len));
  } else {
    pgw_putc(b, (char)(str ? 0xdb : 0xc6));
    pgw__be(b, (uint32_t)len, 4);
  }
  pgw_append(b, p, len);
}

static inline void pgw_mp_str(pgw_buf *b, const char *p, int32_t len) {
  pgw__mp_bytes(b, 1, p, len);
}
static inline void pgw_mp_bin(pgw_buf *b, const void *p, int32_t len) {
  pgw__mp_bytes(b, 0, (const char *)p, len);
}

/* ---- Definitions (one translation unit) --------------------------------- */

#ifdef __wasi__
void *malloc(size_t);
void free(void *);
void *pgw_alloc(size_t size) {
  return malloc(size);
}
void pgw_free(void *ptr) {
  free(ptr);
}
#else
#ifndef PGW_CUSTOM_ALLOCATOR
/* Without a libc: a bump allocator on the heap wasm-ld sets up, growing
   memory as needed. The host allocates rarely (its argument area grows by
   doubling), and output buffers are reused. A module that frees memory
   often (an FDW guest: sdk/pg_wasm_fdw.h) defines PGW_CUSTOM_ALLOCATOR
   before including this file and defines pgw_alloc and pgw_free itself. */
extern unsigned char __heap_base;
static uintptr_t pgw__heap_top;

void *pgw_alloc(size_t size) {
  if (!pgw__heap_top) pgw__heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (pgw__heap_top + 15) & ~(uintptr_t)15;
  uintptr_t end = p + size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)
    return 0;
  pgw__heap_top = end;
  return (void *)p;
}

void pgw_free(void *ptr) {
  (void)ptr;
}
#endif /* PGW_CUSTOM_ALLOCATOR */

/* clang may call these for copies and zeroing. */
__attribute__((weak)) void *memcpy(void *dst, const void *src, size_t n) {
  char *d = (char *)dst;
  const char *s = (const char *)src;
  while (n--) *d++ = *s++;
  return dst;
}
__attribute__((weak)) void *memset(void *dst, int c, size_t n) {
  char *d = (char *)dst;
  while (n--) *d++ = (char)c;
  return dst;
}
__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n) {
  char *d = (char *)dst;
  const char *s = (const char *)src;
  if (d < s)
    while (n--) *d++ = *s++;
  else
    while (n--) d[n] = s[n];
  return dst;
}
#endif

void pgw__grow(pgw_buf *b, int32_t extra) {
  int32_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  char *data = (char *)pgw_alloc((size_t)cap);
  if (!data) pgw_error("pg_wasm SDK: out of memory");
  for (int32_t i = 0; i < b->len; i++) data[i] = b->data[i];
  pgw_free(b->data);
  b->data = data;
  b->cap = cap;
}

static pgw_buf pgw__output;

pgw_buf *pgw_output(void) {
  pgw__output.len = 0;
  return &pgw__output;
}

/* An FDW guest (sdk/pg_wasm_fdw.h) defines PGW_NO_ABI_MARKER: it exports
   pg_wasm_fdw_v1 instead. */
#ifndef PGW_NO_ABI_MARKER
PGW_EXPORT(pg_wasm_abi_v1) void pgw__abi_v1(void) {}
#endif
PGW_EXPORT(pg_wasm_alloc) int32_t pgw__host_alloc(int32_t size) {
  return (int32_t)(uintptr_t)pgw_alloc((size_t)size);
}
PGW_EXPORT(pg_wasm_free) void pgw__host_free(int32_t ptr) {
  pgw_free((void *)(uintptr_t)ptr);
}

#ifdef __cplusplus
}
#endif

#endif /* PG_WASM_H */
