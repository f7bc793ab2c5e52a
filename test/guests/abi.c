// Test guest for pg_wasm's ABI (docs/abi.md), written with the SDK.
#include "pg_wasm.h"

// The bytes of any byte-string argument, back as the result: they live in
// the host's argument area, which stays valid until the host reads them.
PGW_EXPORT(echo) pgw_result echo(const char *p, int32_t len) {
  return pgw_return(p, len);
}

// Scalars through unchanged.
PGW_EXPORT(echo_i32) int32_t echo_i32(int32_t v) {
  return v;
}
PGW_EXPORT(echo_i64) int64_t echo_i64(int64_t v) {
  return v;
}

// Byte length and UTF-8 character count of a text.
PGW_EXPORT(byte_length) int32_t byte_length(const char *p, int32_t len) {
  return len;
}
PGW_EXPORT(char_length) int32_t char_length(const char *p, int32_t len) {
  int32_t n = 0;
  for (int32_t i = 0; i < len; i++) n += (p[i] & 0xC0) != 0x80;
  return n;
}

// Two texts joined with a separator: several byte-string arguments.
PGW_EXPORT(join3)
pgw_result join3(const char *a, int32_t alen, const char *sep, int32_t slen, const char *b,
                 int32_t blen) {
  pgw_buf *out = pgw_output();
  pgw_append(out, a, alen);
  pgw_append(out, sep, slen);
  pgw_append(out, b, blen);
  return pgw_buf_result(out);
}

// A text of n copies of c: results larger than the argument area.
PGW_EXPORT(repeat_char) pgw_result repeat_char(int32_t c, int32_t n) {
  pgw_buf *out = pgw_output();
  pgw_reserve(out, n);
  for (int32_t i = 0; i < n; i++) out->data[i] = (char)c;
  out->len = n;
  return pgw_buf_result(out);
}

// NULLs: the module imports pg_wasm.arg_is_null, so NULL arguments reach it.
PGW_EXPORT(describe) pgw_result describe(const char *p, int32_t len, int32_t n) {
  pgw_buf *out = pgw_output();
  pgw_puts(out, pgw_arg_is_null(0) ? "text: NULL" : "text: given");
  pgw_puts(out, pgw_arg_is_null(1) ? ", int: NULL" : ", int: given");
  return pgw_buf_result(out);
}
PGW_EXPORT(null_if_empty) pgw_result null_if_empty(const char *p, int32_t len) {
  return len == 0 ? pgw_null() : pgw_return(p, len);
}
PGW_EXPORT(null_int) int32_t null_int(int32_t v) {
  if (v < 0) return (int32_t)pgw_null();
  return v;
}

// Sums of arrays: packed little-endian elements.
PGW_EXPORT(sum_int4s) int64_t sum_int4s(const int32_t *p, int32_t len) {
  int64_t s = 0;
  for (int32_t i = 0; i < len / 4; i++) s += p[i];
  return s;
}
PGW_EXPORT(sum_float8s) double sum_float8s(const double *p, int32_t len) {
  double s = 0;
  for (int32_t i = 0; i < len / 8; i++) s += p[i];
  return s;
}
// 1..n as an int8[].
PGW_EXPORT(series_array) pgw_result series_array(int32_t n) {
  pgw_buf *out = pgw_output();
  for (int64_t i = 1; i <= n; i++) pgw_append(out, &i, 8);
  return pgw_buf_result(out);
}

// Dates and timestamps in PostgreSQL's units: the next day, an hour later.
PGW_EXPORT(next_day) int32_t next_day(int32_t d) {
  return d + 1;
}
PGW_EXPORT(hour_later) int64_t hour_later(int64_t t) {
  return t + 3600LL * 1000000;
}

// A row: (n, n squared as text, n is even).
PGW_EXPORT(row_of) pgw_result row_of(int32_t n) {
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, 3);
  pgw_mp_int(out, n);
  char digits[24];
  int64_t sq = (int64_t)n * n;
  int32_t k = 0;
  do digits[k++] = (char)('0' + sq % 10);
  while ((sq /= 10) > 0);
  for (int32_t i = 0; i < k / 2; i++) {
    char t = digits[i];
    digits[i] = digits[k - 1 - i];
    digits[k - 1 - i] = t;
  }
  pgw_mp_str(out, digits, k);
  pgw_mp_bool(out, n % 2 == 0);
  return pgw_buf_result(out);
}

// SETOF int4: 1..n.
PGW_EXPORT(count_to) pgw_result count_to(int32_t n) {
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, n > 0 ? (uint32_t)n : 0);
  for (int32_t i = 1; i <= n; i++) pgw_mp_int(out, i);
  return pgw_buf_result(out);
}

// SETOF rows (RETURNS TABLE(word text, position int4)): the words of a text.
PGW_EXPORT(words) pgw_result words(const char *p, int32_t len) {
  pgw_buf rows = {0, 0, 0};
  uint32_t n = 0;
  for (int32_t i = 0; i < len;) {
    while (i < len && p[i] == ' ') i++;
    int32_t start = i;
    while (i < len && p[i] != ' ') i++;
    if (i > start) {
      pgw_mp_array(&rows, 2);
      pgw_mp_str(&rows, p + start, i - start);
      pgw_mp_int(&rows, start + 1);
      n++;
    }
  }
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, n);
  pgw_append(out, rows.data, rows.len);
  pgw_free(rows.data);
  return pgw_buf_result(out);
}

// Results that break the rules.
PGW_EXPORT(bad_pointer) pgw_result bad_pointer(void) {
  return pgw_return((void *)0x7ffffff0, 16);
}
PGW_EXPORT(huge_length) pgw_result huge_length(void) {
  return pgw_return((void *)16, 0x7fffffff);
}
PGW_EXPORT(bad_utf8) pgw_result bad_utf8(void) {
  return pgw_return("ok\xff\xfe", 4);
}
PGW_EXPORT(nul_byte) pgw_result nul_byte(void) {
  return pgw_return("a\0b", 3);
}
PGW_EXPORT(not_json) pgw_result not_json(void) {
  return pgw_return("{oops", 5);
}
PGW_EXPORT(short_uuid) pgw_result short_uuid(void) {
  return pgw_return("0123456789", 10);
}
PGW_EXPORT(odd_array) pgw_result odd_array(void) {
  return pgw_return("abcde", 5);
}
PGW_EXPORT(bad_row) pgw_result bad_row(void) {
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, 1);
  pgw_mp_int(out, 1);
  return pgw_buf_result(out);
}
PGW_EXPORT(not_msgpack) pgw_result not_msgpack(void) {
  return pgw_return("\xc1", 1);
}
