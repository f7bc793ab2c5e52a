// A test guest for the SDK's MessagePack reader and writers and its JSON
// reading (test/fdw/mock_host.mjs): mp_echo reads any value with the reader
// and writes it again with the writers; json_echo converts JSON text.
#include "pg_wasm_fdw.h"

static int echo(pgw_mp *m, pgw_buf *out, int depth) {
  int64_t i;
  double d;
  int b;
  uint32_t n;
  pgw_text s;
  if (depth > 64) return 0;
  switch (pgw_mp_next_type(m)) {
    case PGW_MP_NIL:
      pgw_mp_read_nil(m);
      pgw_mp_nil(out);
      return 1;
    case PGW_MP_BOOL:
      pgw_mp_read_bool(m, &b);
      pgw_mp_bool(out, b);
      return 1;
    case PGW_MP_INT:
      if (!pgw_mp_read_int(m, &i)) return 0;
      pgw_mp_int64(out, i);
      return 1;
    case PGW_MP_FLOAT:
      if (!pgw_mp_read_float(m, &d)) return 0;
      pgw_mp_float64(out, d);
      return 1;
    case PGW_MP_STR:
      if (!pgw_mp_read_str(m, &s)) return 0;
      pgw_mp_str_text(out, s);
      return 1;
    case PGW_MP_BIN:
      if (!pgw_mp_read_bin(m, &s)) return 0;
      pgw_mp_bin_short(out, s.ptr, s.len);
      return 1;
    case PGW_MP_ARRAY:
      if (!pgw_mp_read_array(m, &n)) return 0;
      pgw_mp_array(out, n);
      for (uint32_t k = 0; k < n; k++)
        if (!echo(m, out, depth + 1)) return 0;
      return 1;
    case PGW_MP_MAP:
      if (!pgw_mp_read_map(m, &n)) return 0;
      pgw_mp_map(out, n);
      for (uint32_t k = 0; k < 2 * n; k++)
        if (!echo(m, out, depth + 1)) return 0;
      return 1;
    default: return 0;
  }
}

PGW_EXPORT(mp_echo) int64_t mp_echo(int32_t ptr, int32_t len) {
  pgw_mp m = pgw_fdw_input(ptr, len);
  pgw_buf *out = pgw_output();
  if (!echo(&m, out, 0) || m.p != m.end)
    pgw_fdw_errorf("malformed at %d", (int)(m.p - (const uint8_t *)(uintptr_t)ptr));
  return pgw_buf_result(out);
}

// Skips one value; returns how many bytes it took, or errors.
PGW_EXPORT(mp_skip) int32_t mp_skip(int32_t ptr, int32_t len) {
  pgw_mp m = pgw_fdw_input(ptr, len);
  if (!pgw_mp_skip(&m)) pgw_fdw_errorf("skip failed");
  return (int32_t)(m.p - (const uint8_t *)(uintptr_t)ptr);
}

// The value of `key` in the map given as [map, key]: echoed, or an error.
PGW_EXPORT(mp_find) int64_t mp_find(int32_t ptr, int32_t len) {
  pgw_mp m = pgw_fdw_input(ptr, len), map, v;
  uint32_t n;
  pgw_text key;
  if (!pgw_mp_read_array(&m, &n) || n != 2) pgw_fdw_errorf("want [map, key]");
  map = m;
  pgw_mp_skip(&m);
  if (!pgw_mp_read_str(&m, &key)) pgw_fdw_errorf("want a key");
  pgw_text k = pgw_text_dup(key);
  if (!pgw_mp_find(&map, k.ptr, &v)) pgw_fdw_errorf("not found");
  pgw_buf *out = pgw_output();
  echo(&v, out, 0);
  return pgw_buf_result(out);
}

PGW_EXPORT(json_echo) int64_t json_echo(int32_t ptr, int32_t len) {
  pgw_buf *out = pgw_output();
  if (!pgw_json_to_mp((const char *)(uintptr_t)ptr, len, out)) pgw_fdw_errorf("not JSON");
  return pgw_buf_result(out);
}

// The MessagePack value as JSON text.
PGW_EXPORT(mp_to_json) int64_t mp_to_json(int32_t ptr, int32_t len) {
  pgw_mp m = pgw_fdw_input(ptr, len);
  pgw_buf *out = pgw_output();
  if (!pgw_json_from_mp(out, &m, 0)) pgw_fdw_errorf("cannot");
  return pgw_buf_result(out);
}

// A formatted message and URL building.
PGW_EXPORT(fmt_test) int64_t fmt_test(void) {
  pgw_buf *out = pgw_output();
  pgw_buf_format(out, "%s|%d|%lld|%.*s|%u|%c|%%|", "a", -42, (long long)INT64_MIN, 3, "xyzw", 7u,
                 'Q');
  pgw_url_base(out, pgw_cstr("http://h:1/"));
  pgw_url_path(out, pgw_cstr("a b/c"));
  pgw_url_query(out, "q", pgw_cstr("x&y=z é"));
  pgw_url_query_int(out, "limit", 100);
  return pgw_buf_result(out);
}

// Allocates and frees: memory must not grow without bound.
PGW_EXPORT(alloc_churn) int32_t alloc_churn(int32_t rounds) {
  for (int32_t r = 0; r < rounds; r++) {
    void *a = pgw_alloc(100000), *b = pgw_alloc(17);
    pgw_free(a);
    pgw_free(b);
  }
  return (int32_t)__builtin_wasm_memory_size(0);
}
