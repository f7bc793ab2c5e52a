// A JSON field, as the ->> operator gives it: json_get(doc, key) is the
// top-level member `key` of the object `doc` as text (a string without its
// quotes and escapes, anything else as written), or NULL.
//
//   CREATE FUNCTION json_get(json, text) RETURNS text LANGUAGE wasm STRICT AS 'json';
//   CREATE FUNCTION json_get(jsonb, text) RETURNS text LANGUAGE wasm STRICT AS 'json';
//   SELECT json_get('{"name": "pg\u00e9", "n": [1, 2]}', 'name');  -- pgé
#include "pg_wasm.h"

typedef struct {
  const char *p;
  const char *end;
} scanner;

static void skip_ws(scanner *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

// Skips a string (at its opening quote); 0 if malformed.
static int skip_string(scanner *s) {
  for (s->p++; s->p < s->end; s->p++) {
    if (*s->p == '\\') {
      s->p++;
    } else if (*s->p == '"') {
      s->p++;
      return 1;
    }
  }
  return 0;
}

// Skips one value of any kind; 0 if malformed.
static int skip_value(scanner *s) {
  skip_ws(s);
  if (s->p >= s->end) return 0;
  if (*s->p == '"') return skip_string(s);
  if (*s->p == '{' || *s->p == '[') {
    int depth = 0;
    while (s->p < s->end) {
      char c = *s->p;
      if (c == '"') {
        if (!skip_string(s)) return 0;
        continue;
      }
      if (c == '{' || c == '[') depth++;
      if (c == '}' || c == ']') depth--;
      s->p++;
      if (depth == 0) return 1;
    }
    return 0;
  }
  while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' && *s->p != ' ' &&
         *s->p != '\n' && *s->p != '\t' && *s->p != '\r')
    s->p++;
  return 1;
}

static int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(pgw_buf *b, uint32_t cp) {
  if (cp < 0x80) {
    pgw_putc(b, (char)cp);
  } else if (cp < 0x800) {
    pgw_putc(b, (char)(0xC0 | (cp >> 6)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    pgw_putc(b, (char)(0xE0 | (cp >> 12)));
    pgw_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    pgw_putc(b, (char)(0xF0 | (cp >> 18)));
    pgw_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    pgw_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    pgw_putc(b, (char)(0x80 | (cp & 0x3F)));
  }
}

static uint32_t read_u16(const char *p) {
  return (uint32_t)(hex(p[0]) << 12 | hex(p[1]) << 8 | hex(p[2]) << 4 | hex(p[3]));
}

// The string at s->p (its opening quote), unescaped into out.
static int unescape(scanner *s, pgw_buf *out) {
  for (s->p++; s->p < s->end; s->p++) {
    char c = *s->p;
    if (c == '"') return 1;
    if (c != '\\') {
      pgw_putc(out, c);
      continue;
    }
    if (++s->p >= s->end) return 0;
    switch (*s->p) {
      case 'n': pgw_putc(out, '\n'); break;
      case 't': pgw_putc(out, '\t'); break;
      case 'r': pgw_putc(out, '\r'); break;
      case 'b': pgw_putc(out, '\b'); break;
      case 'f': pgw_putc(out, '\f'); break;
      case 'u': {
        if (s->end - s->p < 5) return 0;
        uint32_t cp = read_u16(s->p + 1);
        s->p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 7 && s->p[1] == '\\' &&
            s->p[2] == 'u') {
          uint32_t low = read_u16(s->p + 3);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          s->p += 6;
        }
        put_utf8(out, cp);
        break;
      }
      default: pgw_putc(out, *s->p);  // \" \\ \/
    }
  }
  return 0;
}

static int key_equals(const char *start, const char *end, const char *key, int32_t key_len) {
  // Keys with escapes are compared unescaped; plain keys directly.
  if (end - start == key_len) {
    int32_t i = 0;
    while (i < key_len && start[i] == key[i]) i++;
    if (i == key_len) return 1;
  }
  for (const char *c = start; c < end; c++)
    if (*c == '\\') {
      pgw_buf tmp = {0, 0, 0};
      scanner s = {start - 1, end + 1};
      unescape(&s, &tmp);
      int same = tmp.len == key_len;
      for (int32_t i = 0; same && i < key_len; i++) same = tmp.data[i] == key[i];
      pgw_free(tmp.data);
      return same;
    }
  return 0;
}

// Like ->>: the last member with the key wins, and a JSON null is NULL.
static pgw_result value_of(const char *value, const char *end) {
  scanner s = {value, end};
  if (*value == '"') {
    pgw_buf *out = pgw_output();
    if (!unescape(&s, out)) return pgw_null();
    return pgw_buf_result(out);
  }
  if (!skip_value(&s)) return pgw_null();
  if (s.p - value == 4 && value[0] == 'n' && value[1] == 'u' && value[2] == 'l' && value[3] == 'l')
    return pgw_null();
  return pgw_return(value, (int32_t)(s.p - value));
}

PGW_EXPORT(json_get)
pgw_result json_get(const char *doc, int32_t doc_len, const char *key, int32_t key_len) {
  scanner s = {doc, doc + doc_len};
  const char *found = 0;
  skip_ws(&s);
  if (s.p >= s.end || *s.p != '{') return pgw_null();
  s.p++;
  skip_ws(&s);
  if (s.p < s.end && *s.p == '}') return pgw_null();
  for (;;) {
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '"') return pgw_null();
    const char *name = s.p + 1;
    if (!skip_string(&s)) return pgw_null();
    const char *name_end = s.p - 1;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != ':') return pgw_null();
    s.p++;
    skip_ws(&s);
    if (key_equals(name, name_end, key, key_len)) found = s.p;
    if (!skip_value(&s)) return pgw_null();
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') break;
    if (s.p >= s.end || *s.p != ',') return pgw_null();
    s.p++;
  }
  return found ? value_of(found, s.end) : pgw_null();
}
