// A module in two versions with the same exports, for tests that replace a
// module while sessions call it (bench/soak.sh, test/integration/leak.sh,
// test/integration/replica.sh): every result says which version made it,
// so a caller can tell a result of either version from garbage.
// versioned_v2.c is this file with VERSION 2.
//
//   CREATE FUNCTION versioned_version() RETURNS int4 LANGUAGE wasm AS 'versioned::version';
//   CREATE FUNCTION versioned_bump(int4) RETURNS int4 LANGUAGE wasm AS 'versioned::bump';
//   CREATE FUNCTION versioned_tag(text) RETURNS text LANGUAGE wasm STRICT AS 'versioned::tag';
//   CREATE FUNCTION versioned_pieces(text) RETURNS TABLE (piece text, version int4)
//       LANGUAGE wasm STRICT AS 'versioned::pieces';
//   CREATE FUNCTION versioned_ratio(int4, int4) RETURNS int4 LANGUAGE wasm AS 'versioned::ratio';
#include "pg_wasm.h"

#ifndef VERSION
#define VERSION 1
#endif

// The versions differ in memory layout too, as real rebuilds do: version 2
// has 64 kB more static data, so its stack and heap (where the host's
// argument area and the results live) start elsewhere.
static volatile char scratch[VERSION * 65536];

PGW_EXPORT(version) int32_t version(void) {
  return VERSION;
}

// The size of the static data above: 65536 * VERSION.
PGW_EXPORT(footprint) int32_t footprint(void) {
  return (int32_t)sizeof scratch + scratch[0];
}

// x + VERSION.
PGW_EXPORT(bump) int32_t bump(int32_t x) {
  return x + VERSION;
}

// "v<VERSION>:" and the text reversed by characters (UTF-8 sequences kept
// whole): tag('abc') is 'v1:cba' or 'v2:cba'.
PGW_EXPORT(tag) pgw_result tag(const char *s, int32_t len) {
  pgw_buf *out = pgw_output();
  pgw_reserve(out, len + 3);
  pgw_putc(out, 'v');
  pgw_putc(out, (char)('0' + VERSION));
  pgw_putc(out, ':');
  int32_t end = len;
  while (end > 0) {
    int32_t start = end - 1;
    while (start > 0 && (s[start] & 0xC0) == 0x80) start--;  // continuation bytes
    pgw_append(out, s + start, end - start);
    end = start;
  }
  return pgw_buf_result(out);
}

// RETURNS TABLE (piece text, version int4): the space-separated pieces of a
// text, each with VERSION.
PGW_EXPORT(pieces) pgw_result pieces(const char *s, int32_t len) {
  uint32_t n = 0;
  for (int32_t i = 0; i < len;) {
    while (i < len && s[i] == ' ') i++;
    if (i < len) n++;
    while (i < len && s[i] != ' ') i++;
  }
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, n);
  for (int32_t i = 0; i < len;) {
    while (i < len && s[i] == ' ') i++;
    int32_t start = i;
    while (i < len && s[i] != ' ') i++;
    if (i > start) {
      pgw_mp_array(out, 2);
      pgw_mp_str(out, s + start, i - start);
      pgw_mp_int(out, VERSION);
    }
  }
  return pgw_buf_result(out);
}

// a / b + VERSION; traps (integer divide by zero) when b is 0.
PGW_EXPORT(ratio) int32_t ratio(int32_t a, int32_t b) {
  return a / b + VERSION;
}
