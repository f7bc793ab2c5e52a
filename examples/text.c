// Text functions with pg_wasm's SDK: reverse, slugify, word count.
//
//   clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry -I sdk -o text.wasm examples/text.c
//
//   SELECT wasm.load_module('text', pg_read_binary_file('/path/to/text.wasm'));
//   CREATE FUNCTION reverse_text(text) RETURNS text LANGUAGE wasm STRICT AS 'text::reverse';
//   CREATE FUNCTION slugify(text) RETURNS text LANGUAGE wasm STRICT AS 'text';
//   CREATE FUNCTION word_count(text) RETURNS int4 LANGUAGE wasm STRICT AS 'text';
#include "pg_wasm.h"

// Reverses by characters, keeping each UTF-8 sequence whole.
PGW_EXPORT(reverse) pgw_result reverse(const char *s, int32_t len) {
  pgw_buf *out = pgw_output();
  pgw_reserve(out, len);
  int32_t end = len;
  while (end > 0) {
    int32_t start = end - 1;
    while (start > 0 && (s[start] & 0xC0) == 0x80) start--;  // continuation bytes
    pgw_append(out, s + start, end - start);
    end = start;
  }
  return pgw_buf_result(out);
}

// "Hello, World! 2024" -> "hello-world-2024": letters and digits kept (ASCII
// ones lower-cased, others as they are: "Crème" -> "crème"), every run of
// anything else one dash, none at the ends.
PGW_EXPORT(slugify) pgw_result slugify(const char *s, int32_t len) {
  pgw_buf *out = pgw_output();
  pgw_reserve(out, len);  // a slug is never longer than its text
  char *start = out->data, *w = start;
  int dash = 0;
  for (int32_t i = 0; i < len; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c & 0x80)) {
      if (dash && w > start) *w++ = '-';
      dash = 0;
      *w++ = c;
    } else {
      dash = 1;
    }
  }
  return pgw_return(start, (int32_t)(w - start));
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Words: runs of characters between white space.
PGW_EXPORT(word_count) int32_t word_count(const char *s, int32_t len) {
  int32_t words = 0;
  int in_word = 0;
  for (int32_t i = 0; i < len; i++) {
    if (is_space(s[i])) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      words++;
    }
  }
  return words;
}
