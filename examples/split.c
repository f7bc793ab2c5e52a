// A set-returning function: split(text, separator) RETURNS SETOF text, the
// pieces of a text between separators (as regexp_split_to_table with a
// plain separator would give them).
//
//   CREATE FUNCTION split(text, text) RETURNS SETOF text LANGUAGE wasm STRICT AS 'split';
//   SELECT * FROM split('a,b,,c', ',');
//
// A set is returned as a MessagePack array of its rows (docs/abi.md).
#include "pg_wasm.h"

static int matches(const char *s, int32_t at, int32_t len, const char *sep, int32_t sep_len) {
  if (at + sep_len > len) return 0;
  for (int32_t k = 0; k < sep_len; k++)
    if (s[at + k] != sep[k]) return 0;
  return 1;
}

PGW_EXPORT(split) pgw_result split(const char *s, int32_t len, const char *sep, int32_t sep_len) {
  // Count the pieces first: the array's length comes before its items.
  uint32_t pieces = 1;
  if (sep_len > 0)
    for (int32_t i = 0; i < len;) {
      if (matches(s, i, len, sep, sep_len)) {
        pieces++;
        i += sep_len;
      } else {
        i++;
      }
    }
  pgw_buf *out = pgw_output();
  pgw_mp_array(out, pieces);
  int32_t start = 0;
  for (int32_t i = 0; sep_len > 0 && i < len;) {
    if (matches(s, i, len, sep, sep_len)) {
      pgw_mp_str(out, s + start, i - start);
      i += sep_len;
      start = i;
    } else {
      i++;
    }
  }
  pgw_mp_str(out, s + start, len - start);
  return pgw_buf_result(out);
}
