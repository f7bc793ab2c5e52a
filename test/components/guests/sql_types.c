// sql_types: the component of the world pgwasm:test/sql-types
// (test/components/wit/sql-types.wit), SQL functions over a component's
// exports, one per scalar row of the WIT-to-SQL mapping. Written against the
// canonical ABI by hand (cabi.h's memory helpers): a result of more than one
// core value is returned as the address of a return area; every string or
// list the host passes in, and every one returned, lies on the bump heap,
// which the post-return of each function that uses it releases whole (no
// call keeps anything on the heap).
#define CABI_NO_WORLD
#include "cabi.h"

#define WORLD_EXPORT(name) __attribute__((export_name(name)))
#define WORLD_POST_RETURN(name) __attribute__((export_name("cabi_post_" name)))
#define TEXT_EXPORT(name) __attribute__((export_name("pgwasm:test/text@1.0.0#" name)))
#define TEXT_POST_RETURN(name) \
  __attribute__((export_name("cabi_post_pgwasm:test/text@1.0.0#" name)))
#define OTHER_EXPORT(name) __attribute__((export_name("pgwasm:test/other@1.0.0#" name)))
#define OTHER_POST_RETURN(name) \
  __attribute__((export_name("cabi_post_pgwasm:test/other@1.0.0#" name)))

// Everything on the heap goes once a call is over.
static void release_all(void) {
  heap_release((uintptr_t)&__heap_base);
}

// ---- bool, integers, floats ----

WORLD_EXPORT("not") u32 not_(u32 b) {
  return !b;
}

// Wrapping sums: the host sign- or zero-extends what it reads back, so the
// high bits of an s8/u8/s16/u16 result do not matter.
#define ADD(wit, c, t)                                 \
  WORLD_EXPORT("add-" wit) u32 add_##c(u32 a, u32 b) { \
    return (u32)(t)((t)a + (t)b);                      \
  }                                                    \
  WORLD_EXPORT("echo-" wit) u32 echo_##c(u32 x) {      \
    return x;                                          \
  }
ADD("s8", s8, int8_t)
ADD("u8", u8, uint8_t)
ADD("s16", s16, int16_t)
ADD("u16", u16, uint16_t)
ADD("s32", s32, int32_t)
ADD("u32", u32, uint32_t)
#undef ADD

WORLD_EXPORT("add-s64") u64 add_s64(u64 a, u64 b) {
  return a + b;
}
WORLD_EXPORT("add-u64") u64 add_u64(u64 a, u64 b) {
  return a + b;
}
WORLD_EXPORT("echo-s64") u64 echo_s64(u64 x) {
  return x;
}
WORLD_EXPORT("echo-u64") u64 echo_u64(u64 x) {
  return x;
}

WORLD_EXPORT("echo-f32") float echo_f32(float x) {
  return x;
}
WORLD_EXPORT("echo-f64") double echo_f64(double x) {
  return x;
}
WORLD_EXPORT("half-f32") float half_f32(float x) {
  return x / 2;
}
WORLD_EXPORT("half-f64") double half_f64(double x) {
  return x / 2;
}

// ---- char ----

WORLD_EXPORT("next-char") u32 next_char(u32 c) {
  if (c == 0xD7FF) return 0xE000;  // over the surrogates
  if (c == 0x10FFFF) return 0;
  return c + 1;
}

WORLD_EXPORT("bad-char") u32 bad_char(u32 c) {
  return c == 'x' ? 0xD800 : c;
}

// ---- strings and lists ----

// A return area for string, list, option and result results.
static struct { u32 word[4]; } ret;

static u32 *ret_str(str s) {
  ret.word[0] = (u32)(uintptr_t)s.ptr;
  ret.word[1] = s.len;
  return ret.word;
}

static str slug(const char *p, u32 len) {
  buf b = {0};
  buf_reserve(&b, len);
  int dash = 0;
  for (u32 i = 0; i < len; i++) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && b.len) buf_char(&b, '-');
      dash = 0;
      buf_char(&b, c);
    } else {
      dash = 1;
    }
  }
  return buf_take(&b);
}

WORLD_EXPORT("slugify") u32 *slugify(const char *p, u32 len) {
  return ret_str(slug(p, len));
}
WORLD_POST_RETURN("slugify") void slugify_post(u32 *r) {
  release_all();
}

WORLD_EXPORT("repeat") u32 *repeat(const char *p, u32 len, u32 n) {
  buf b = {0};
  for (u32 i = 0; i < n; i++) buf_add(&b, p, len);
  return ret_str(buf_take(&b));
}
WORLD_POST_RETURN("repeat") void repeat_post(u32 *r) {
  release_all();
}

WORLD_EXPORT("length") u32 length(const char *p, u32 len) {
  return len;
}
WORLD_POST_RETURN("length") void length_post(u32 r) {
  release_all();
}

WORLD_EXPORT("reverse-bytes") u32 *reverse_bytes(const u8 *p, u32 len) {
  u8 *out = heap_alloc(len, 1);
  for (u32 i = 0; i < len; i++) out[i] = p[len - 1 - i];
  str s = {(const char *)out, len};
  return ret_str(s);
}
WORLD_POST_RETURN("reverse-bytes") void reverse_bytes_post(u32 *r) {
  release_all();
}

// ---- option and result ----

// option<s32>: a byte discriminant, the s32 at offset 4.
WORLD_EXPORT("maybe-double") u32 *maybe_double(u32 is_some, s32 x) {
  ret.word[0] = is_some ? 1 : 0;
  ret.word[1] = is_some ? (u32)(x * 2) : 0;
  return ret.word;
}

// result<s32, string>: a byte discriminant, the s32 or the string at 4.
WORLD_EXPORT("checked-div") u32 *checked_div(s32 a, s32 b) {
  if (b == 0) {
    str msg = S("division by zero");
    ret.word[0] = 1;
    ret.word[1] = (u32)(uintptr_t)msg.ptr;
    ret.word[2] = msg.len;
    return ret.word;
  }
  ret.word[0] = 0;
  // INT32_MIN / -1 wraps, as in two's complement.
  ret.word[1] = (b == -1) ? (u32)0 - (u32)a : (u32)(a / b);
  return ret.word;
}

// result<u16, error-code>: a byte discriminant, the u16 or the enum's byte
// at offset 2.
enum { ERR_EMPTY, ERR_NOT_A_NUMBER, ERR_OUT_OF_RANGE };

static u32 *port_result(int ok, u32 v) {
  u8 *r = (u8 *)ret.word;
  ret.word[0] = 0;
  r[0] = ok ? 0 : 1;
  if (ok) {
    u16 p = (u16)v;
    copy_bytes(r + 2, &p, 2);
  } else {
    r[2] = (u8)v;
  }
  return ret.word;
}

WORLD_EXPORT("parse-port") u32 *parse_port(const char *p, u32 len) {
  if (len == 0) return port_result(0, ERR_EMPTY);
  u32 v = 0;
  for (u32 i = 0; i < len; i++) {
    if (p[i] < '0' || p[i] > '9') return port_result(0, ERR_NOT_A_NUMBER);
    v = v * 10 + (u32)(p[i] - '0');
    if (v > 65535) return port_result(0, ERR_OUT_OF_RANGE);
  }
  return port_result(1, v);
}
WORLD_POST_RETURN("parse-port") void parse_port_post(u32 *r) {
  release_all();
}

// ---- a resource: never called from SQL ----

WORLD_EXPORT("consume") void consume(u32 blob) {
  __builtin_trap();
}

// ---- interfaces ----

TEXT_EXPORT("slugify") u32 *text_slugify(const char *p, u32 len) {
  return ret_str(slug(p, len));
}
TEXT_POST_RETURN("slugify") void text_slugify_post(u32 *r) {
  release_all();
}

static str upper(const char *p, u32 len) {
  char *out = heap_alloc(len, 1);
  for (u32 i = 0; i < len; i++) out[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 32) : p[i];
  str s = {out, len};
  return s;
}

TEXT_EXPORT("shout") u32 *text_shout(const char *p, u32 len) {
  return ret_str(upper(p, len));
}
TEXT_POST_RETURN("shout") void text_shout_post(u32 *r) {
  release_all();
}

// The other interface's shout adds a '!', so that a test sees which one ran.
OTHER_EXPORT("shout") u32 *other_shout(const char *p, u32 len) {
  buf b = {0};
  buf_str(&b, upper(p, len));
  buf_char(&b, '!');
  return ret_str(buf_take(&b));
}
OTHER_POST_RETURN("shout") void other_shout_post(u32 *r) {
  release_all();
}
