// A small, bounded JSON reader for the C guests of test/components: no
// allocation, no recursion deeper than JSON_MAX_DEPTH, every read checked
// against the end of the text. A value is a span of the text (`jval`); the
// reader finds values in arrays and objects, and decodes strings and numbers
// on request. Malformed input is reported (0 returned), never read past.
//
// Needs cabi.h (str, buf) first.
#ifndef PGWASM_TEST_JSON_H
#define PGWASM_TEST_JSON_H

#define JSON_MAX_DEPTH 64

// A JSON value: its exact text (no surrounding whitespace).
typedef str jval;

enum { J_BAD, J_NULL, J_TRUE, J_FALSE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

static inline int json_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline u32 json_skip_ws(const char *s, u32 n, u32 i) {
  while (i < n && json_ws(s[i])) i++;
  return i;
}

static inline int json_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The end of the string literal starting at s[i] == '"', or 0 when it is not
// one (unterminated, a control character, a bad escape).
static inline u32 json_scan_string(const char *s, u32 n, u32 i) {
  i++;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') return i + 1;
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (i + 1 >= n) return 0;
      char e = s[i + 1];
      if (e == 'u') {
        if (i + 6 > n) return 0;
        for (u32 k = 2; k < 6; k++)
          if (json_hex(s[i + k]) < 0) return 0;
        i += 6;
        continue;
      }
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
          e != 't')
        return 0;
      i += 2;
      continue;
    }
    i++;
  }
  return 0;
}

static inline u32 json_scan_number(const char *s, u32 n, u32 i) {
  u32 start = i;
  if (i < n && s[i] == '-') i++;
  if (i >= n) return 0;
  if (s[i] == '0') {
    i++;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  } else {
    return 0;
  }
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  return i > start ? i : 0;
}

static inline u32 json_scan_word(const char *s, u32 n, u32 i, const char *w) {
  u32 k = 0;
  while (w[k]) {
    if (i + k >= n || s[i + k] != w[k]) return 0;
    k++;
  }
  return i + k;
}

// The end of the value starting at s[i] (after whitespace), or 0 when there
// is none there. Containers are scanned with an explicit stack of their
// kinds, JSON_MAX_DEPTH deep at most.
static inline u32 json_scan_value(const char *s, u32 n, u32 i) {
  char stack[JSON_MAX_DEPTH];
  int depth = 0;
  // expecting: 0 a value, 1 a comma or close, 2 a key (or close after '{'),
  // 3 a key after a comma, 4 a value or close after '['
  int want = 0;
  for (;;) {
    i = json_skip_ws(s, n, i);
    if (i >= n) return 0;
    char c = s[i];
    if (want == 1) {
      if (depth == 0) return i;
      if (c == ',') {
        i++;
        want = stack[depth - 1] == '{' ? 3 : 0;
        continue;
      }
      if ((c == '}' && stack[depth - 1] == '{') || (c == ']' && stack[depth - 1] == '[')) {
        i++;
        depth--;
        if (depth == 0) return i;
        continue;
      }
      return 0;
    }
    if (want == 2 || want == 3) {
      if (c == '}' && want == 2) {
        i++;
        depth--;
        want = 1;
        if (depth == 0) return i;
        continue;
      }
      if (c != '"') return 0;
      i = json_scan_string(s, n, i);
      if (!i) return 0;
      i = json_skip_ws(s, n, i);
      if (i >= n || s[i] != ':') return 0;
      i++;
      want = 0;
      continue;
    }
    if (want == 4 && c == ']') {
      i++;
      depth--;
      want = 1;
      if (depth == 0) return i;
      continue;
    }
    // a value
    if (c == '{' || c == '[') {
      if (depth >= JSON_MAX_DEPTH) return 0;
      stack[depth++] = c;
      i++;
      want = c == '{' ? 2 : 4;
      continue;
    }
    u32 end;
    if (c == '"')
      end = json_scan_string(s, n, i);
    else if (c == 't')
      end = json_scan_word(s, n, i, "true");
    else if (c == 'f')
      end = json_scan_word(s, n, i, "false");
    else if (c == 'n')
      end = json_scan_word(s, n, i, "null");
    else
      end = json_scan_number(s, n, i);
    if (!end) return 0;
    i = end;
    if (depth == 0) return i;
    want = 1;
  }
}

// The document's single value (whitespace around it allowed).
static inline int json_parse(str text, jval *out) {
  u32 i = json_skip_ws(text.ptr, text.len, 0);
  u32 end = json_scan_value(text.ptr, text.len, i);
  if (!end || json_skip_ws(text.ptr, text.len, end) != text.len) return 0;
  out->ptr = text.ptr + i;
  out->len = end - i;
  return 1;
}

static inline int json_kind(jval v) {
  if (!v.len) return J_BAD;
  switch (v.ptr[0]) {
    case 'n': return J_NULL;
    case 't': return J_TRUE;
    case 'f': return J_FALSE;
    case '"': return J_STRING;
    case '[': return J_ARRAY;
    case '{': return J_OBJECT;
    default: return J_NUMBER;
  }
}

// Iterates the elements of an array, or the members of an object, of a
// value already scanned (so each step is known to succeed).
typedef struct {
  jval v;
  u32 i;
} jiter;

static inline int json_iter(jval v, int kind, jiter *it) {
  if (json_kind(v) != kind) return 0;
  it->v = v;
  it->i = 1;
  return 1;
}

static inline int json_next_element(jiter *it, jval *elem) {
  const char *s = it->v.ptr;
  u32 n = it->v.len;
  u32 i = json_skip_ws(s, n, it->i);
  if (i < n && s[i] == ',') i = json_skip_ws(s, n, i + 1);
  if (i >= n || s[i] == ']') return 0;
  u32 end = json_scan_value(s, n, i);
  if (!end) return 0;
  elem->ptr = s + i;
  elem->len = end - i;
  it->i = end;
  return 1;
}

static inline int json_next_member(jiter *it, jval *key, jval *val) {
  const char *s = it->v.ptr;
  u32 n = it->v.len;
  u32 i = json_skip_ws(s, n, it->i);
  if (i < n && s[i] == ',') i = json_skip_ws(s, n, i + 1);
  if (i >= n || s[i] != '"') return 0;
  u32 kend = json_scan_string(s, n, i);
  if (!kend) return 0;
  key->ptr = s + i;
  key->len = kend - i;
  i = json_skip_ws(s, n, kend);
  if (i >= n || s[i] != ':') return 0;
  i = json_skip_ws(s, n, i + 1);
  u32 end = json_scan_value(s, n, i);
  if (!end) return 0;
  val->ptr = s + i;
  val->len = end - i;
  it->i = end;
  return 1;
}

static inline void json_utf8(buf *b, u32 cp) {
  if (cp < 0x80) {
    buf_char(b, (char)cp);
  } else if (cp < 0x800) {
    buf_char(b, (char)(0xC0 | (cp >> 6)));
    buf_char(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    buf_char(b, (char)(0xE0 | (cp >> 12)));
    buf_char(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    buf_char(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    buf_char(b, (char)(0xF0 | (cp >> 18)));
    buf_char(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    buf_char(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    buf_char(b, (char)(0x80 | (cp & 0x3F)));
  }
}

static inline u32 json_u4(const char *p) {
  return (u32)(json_hex(p[0]) << 12 | json_hex(p[1]) << 8 | json_hex(p[2]) << 4 | json_hex(p[3]));
}

// The text of a string value, unescaped (lone surrogates become U+FFFD).
// Without escapes, the span inside the quotes itself.
static inline int json_string(jval v, str *out) {
  if (json_kind(v) != J_STRING || v.len < 2) return 0;
  const char *s = v.ptr + 1;
  u32 n = v.len - 2, i;
  for (i = 0; i < n && s[i] != '\\'; i++) {
  }
  if (i == n) {
    out->ptr = s;
    out->len = n;
    return 1;
  }
  buf b = {0};
  for (i = 0; i < n; i++) {
    if (s[i] != '\\') {
      buf_char(&b, s[i]);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'b': buf_char(&b, '\b'); break;
      case 'f': buf_char(&b, '\f'); break;
      case 'n': buf_char(&b, '\n'); break;
      case 'r': buf_char(&b, '\r'); break;
      case 't': buf_char(&b, '\t'); break;
      case 'u': {
        u32 cp = json_u4(s + i + 1);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u') {
          u32 lo = json_u4(s + i + 3);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        json_utf8(&b, cp);
        break;
      }
      default: buf_char(&b, e); break;  // " \ /
    }
  }
  *out = buf_take(&b);
  return 1;
}

// The member `key` of an object (keys compared unescaped).
static inline int json_get(jval obj, const char *key, jval *out) {
  jiter it;
  jval k, v;
  str name;
  if (!json_iter(obj, J_OBJECT, &it)) return 0;
  while (json_next_member(&it, &k, &v))
    if (json_string(k, &name) && str_eq(name, key)) {
      *out = v;
      return 1;
    }
  return 0;
}

// The value at a dotted path ("actor.login") from an object.
static inline int json_path(jval obj, str path, jval *out) {
  char key[128];
  u32 start = 0;
  jval cur = obj;
  for (u32 i = 0; i <= path.len; i++) {
    if (i < path.len && path.ptr[i] != '.') continue;
    u32 n = i - start;
    if (n == 0 || n >= sizeof key) return 0;
    copy_bytes(key, path.ptr + start, n);
    key[n] = 0;
    if (!json_get(cur, key, &cur)) return 0;
    start = i + 1;
  }
  *out = cur;
  return 1;
}

// An integer value (no fraction or exponent), within s64.
static inline int json_int(jval v, s64 *out) {
  u32 i = 0;
  int neg = 0;
  u64 acc = 0;
  if (json_kind(v) != J_NUMBER) return 0;
  if (v.ptr[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (i >= v.len) return 0;
  for (; i < v.len; i++) {
    char c = v.ptr[i];
    if (c < '0' || c > '9') return 0;
    u64 limit = neg ? 0x8000000000000000ull : 0x7FFFFFFFFFFFFFFFull;
    if (acc > (limit - (u64)(c - '0')) / 10) return 0;
    acc = acc * 10 + (u64)(c - '0');
  }
  *out = neg ? (s64)(0 - acc) : (s64)acc;
  return 1;
}

// A number as a double: exact for integers up to 2^53 and for decimals of up
// to 15 significant digits without an exponent; good enough for tests.
static inline int json_double(jval v, double *out) {
  u32 i = 0;
  int neg = 0;
  double acc = 0, scale = 1;
  int exp = 0, eneg = 0;
  if (json_kind(v) != J_NUMBER) return 0;
  if (v.ptr[0] == '-') {
    neg = 1;
    i++;
  }
  for (; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++) acc = acc * 10 + (v.ptr[i] - '0');
  if (i < v.len && v.ptr[i] == '.')
    for (i++; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++) {
      scale /= 10;
      acc += (v.ptr[i] - '0') * scale;
    }
  if (i < v.len && (v.ptr[i] == 'e' || v.ptr[i] == 'E')) {
    i++;
    if (i < v.len && (v.ptr[i] == '+' || v.ptr[i] == '-')) eneg = v.ptr[i++] == '-';
    for (; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9' && exp < 400; i++)
      exp = exp * 10 + (v.ptr[i] - '0');
  }
  while (exp-- > 0) acc = eneg ? acc / 10 : acc * 10;
  *out = neg ? -acc : acc;
  return 1;
}

#endif
