// The world sql-composites (test/components/wit/sql-composites.wit): the
// composite rows of the WIT <-> SQL mapping, written against the canonical
// ABI by hand like the other guests. Values arrive flattened (records and
// tuples field by field, a variant as its case then its joined payload,
// lists as pointer and length); results wider than one core value go back
// through a return area. Each export's post-return gives the heap back, so
// an instance serves any number of calls.
//
// cabi.h is shared with the supabase guests: only its allocator, strings
// and buffers are used here (none of its imports end up in this module).
#define WIT_VERSION "0.1.0"
#include "cabi.h"

#define WEXPORT(name) __attribute__((export_name(name)))
// The heap back to where it started, once the host has read the result.
#define WPOST(name, fn, type)                                                 \
  __attribute__((export_name("cabi_post_" name))) void post_##fn(type ignored) { \
    (void)ignored;                                                              \
    heap_release((uintptr_t)&__heap_base);                                      \
  }

typedef struct {
  s32 x, y;
} point;

typedef struct {
  const void *ptr;
  u32 len;
} wlist;

static void *ret_buf(u32 size, u32 align) {
  return heap_alloc(size, align);
}

static wlist *ret_list_of(const void *items, u32 n) {
  wlist *r = ret_buf(sizeof(wlist), 4);
  r->ptr = items;
  r->len = n;
  return r;
}

// ---- records ----

WEXPORT("move") point *wmove(s32 x, s32 y, s32 dx) {
  point *r = ret_buf(sizeof(point), 4);
  r->x = x + dx;
  r->y = y;
  return r;
}
WPOST("move", move, u32)

WEXPORT("greet") str *greet(const char *name, u32 name_len, u32 has_age, u32 age) {
  buf b = {0};
  buf_cstr(&b, "Hello, ");
  buf_add(&b, name, name_len);
  if (has_age) {
    buf_cstr(&b, " (");
    buf_u64(&b, age & 0xff);
    buf_cstr(&b, ")");
  }
  str *r = ret_buf(sizeof(str), 4);
  *r = buf_take(&b);
  return r;
}
WPOST("greet", greet, u32)

typedef struct {
  point a, b;
} segment;

WEXPORT("flip") segment *flip(s32 ax, s32 ay, s32 bx, s32 by) {
  segment *r = ret_buf(sizeof(segment), 4);
  r->a.x = bx;
  r->a.y = by;
  r->b.x = ax;
  r->b.y = ay;
  return r;
}
WPOST("flip", flip, u32)

WEXPORT("widen") point *widen(s32 start_at, s32 end_at, s32 by) {
  point *r = ret_buf(sizeof(point), 4);  // span lies like point: two s32
  r->x = start_at - by;
  r->y = end_at + by;
  return r;
}
WPOST("widen", widen, u32)

// pixel { at: point @0, hue: color @8 (u8), mode: perms @9 (u8) }: size 12.
typedef struct {
  point at;
  u8 hue, mode;
  u8 pad_[2];
} pixel;

WEXPORT("paint") pixel *paint(s32 x, s32 y, u32 hue, u32 mode) {
  pixel *r = ret_buf(sizeof(pixel), 4);
  r->at.x = x + 1;
  r->at.y = y + 1;
  r->hue = (u8)((hue + 1) % 3);
  r->mode = (u8)(mode | 2);
  return r;
}
WPOST("paint", paint, u32)

// ---- tuples ----

// tuple<string, s32>: the string @0, the s32 @8; size 12.
typedef struct {
  str s;
  s32 n;
} str_s32;

WEXPORT("swap") str_s32 *swap(s32 n, const char *s, u32 len) {
  str_s32 *r = ret_buf(sizeof(str_s32), 4);
  r->s.ptr = s;
  r->s.len = len;
  r->n = n;
  return r;
}
WPOST("swap", swap, u32)

// ---- lists ----

WEXPORT("sum") s64 sum(const s32 *xs, u32 n) {
  s64 total = 0;
  for (u32 i = 0; i < n; i++) total += xs[i];
  return total;
}
WPOST("sum", sum, s64)

WEXPORT("upper-all") wlist *upper_all(const str *xs, u32 n) {
  str *out = heap_alloc(n * sizeof(str), 4);
  for (u32 i = 0; i < n; i++) {
    char *p = heap_alloc(xs[i].len, 1);
    for (u32 j = 0; j < xs[i].len; j++) {
      char c = xs[i].ptr[j];
      p[j] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    out[i].ptr = p;
    out[i].len = xs[i].len;
  }
  return ret_list_of(out, n);
}
WPOST("upper-all", upper_all, u32)

// option<s32>: a byte case @0, the value @4; size 8.
typedef struct {
  u8 is_some;
  u8 pad_[3];
  s32 v;
} opt_s32;

WEXPORT("compact") wlist *compact(const opt_s32 *xs, u32 n) {
  s32 *out = heap_alloc(n * sizeof(s32), 4);
  u32 k = 0;
  for (u32 i = 0; i < n; i++)
    if (xs[i].is_some) out[k++] = xs[i].v;
  return ret_list_of(out, k);
}
WPOST("compact", compact, u32)

static wlist make_points(u32 n) {
  point *out = heap_alloc(n * sizeof(point), 4);
  for (u32 i = 0; i < n; i++) {
    out[i].x = (s32)i;
    out[i].y = (s32)(i * i);
  }
  wlist l = {out, n};
  return l;
}

WEXPORT("points") wlist *points(u32 n) {
  wlist l = make_points(n);
  return ret_list_of(l.ptr, l.len);
}
WPOST("points", points, u32)

WEXPORT("names") wlist *names(u32 n) {
  str *out = heap_alloc(n * sizeof(str), 4);
  for (u32 i = 0; i < n; i++) {
    buf b = {0};
    buf_cstr(&b, "name-");
    buf_u64(&b, i + 1);
    out[i] = buf_take(&b);
  }
  return ret_list_of(out, n);
}
WPOST("names", names, u32)

// result<list<point>, string>: a byte case @0, the list or string @4.
typedef struct {
  u8 tag;
  u8 pad_[3];
  wlist v;
} list_result;

WEXPORT("points-checked") list_result *points_checked(s32 n) {
  list_result *r = ret_buf(sizeof(list_result), 4);
  if (n < 0) {
    buf b = {0};
    buf_cstr(&b, "no points for ");
    buf_s64(&b, n);
    str msg = buf_take(&b);
    r->tag = 1;
    r->v.ptr = msg.ptr;
    r->v.len = msg.len;
  } else {
    r->tag = 0;
    r->v = make_points((u32)n);
  }
  return r;
}
WPOST("points-checked", points_checked, u32)

// The host lays out list<item> in memory; the same memory is the result.
WEXPORT("echo-items") wlist *echo_items(const void *xs, u32 n) {
  return ret_list_of(xs, n);
}
WPOST("echo-items", echo_items, u32)

// ---- enums and flags: one i32 each ----

WEXPORT("next-color") u32 next_color(u32 c) {
  return (c + 1) % 3;
}

WEXPORT("invert") u32 invert(u32 p) {
  return ~p & 7u;
}

// ---- variants ----

enum { SHAPE_CIRCLE, SHAPE_RECT, SHAPE_NONE };

// shape flattens to (case, f64, f64): circle's radius in the first, rect's
// sides in both.
WEXPORT("area") double area(u32 c, double a, double b) {
  switch (c) {
    case SHAPE_CIRCLE:
      return 3.141592653589793 * a * a;
    case SHAPE_RECT:
      return a * b;
    default:
      return 0;
  }
}
WPOST("area", area, double)

// shape in memory: a byte case @0, the payload @8; size 24.
typedef struct {
  u8 tag;
  u8 pad_[7];
  double a, b;
} shape;

WEXPORT("unit") shape *unit(double s) {
  shape *r = ret_buf(sizeof(shape), 8);
  if (s > 0) {
    r->tag = SHAPE_CIRCLE;
    r->a = s;
  } else if (s == 0) {
    r->tag = SHAPE_NONE;
  } else {
    r->tag = SHAPE_RECT;
    r->a = -s;
    r->b = 1;
  }
  return r;
}
WPOST("unit", unit, u32)
