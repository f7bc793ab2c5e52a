// Test guest: a hostile module for pg_wasm's ABI and ClickHouse's
// BUFFERED_V1 (docs/abi.md), for test/integration/hostile_guests.sh. Driven
// by a seed, it returns random pointers and lengths, random and structurally
// tricky MessagePack (huge declared lengths, deep nesting, truncation), random
// buffer handles and buffers, and its allocators answer at random. The host
// must turn every such result into an error or a value, never a crash.
//
// No SDK: its allocator and ABI exports would be well-behaved.
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("pg_wasm"), import_name(#name)))

IMPORT(error) void host_error(const void *p, int32_t len);
IMPORT(set_null) void host_set_null(void);
// Imported so that the host calls non-STRICT functions with NULLs (as zeros).
IMPORT(arg_is_null) int32_t host_arg_is_null(int32_t n);

// clang may call these for copies and zeroing (there is no libc).
void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  while (n--) *d++ = (uint8_t)c;
  return dst;
}

// ---- randomness: splitmix64, seeded per call ----

static uint64_t rng_state;

static void seed_rng(uint64_t seed) {
  rng_state = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}
static uint64_t next64(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) {
  return n ? (uint32_t)(next64() % n) : 0;
}
static int chance(uint32_t one_in) {
  return below(one_in) == 0;
}

static uint32_t memory_bytes(void) {
  return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}
// Grows memory to at least `bytes`; 0 if it cannot.
static int ensure_memory(uint32_t bytes) {
  uint32_t have = memory_bytes();
  if (bytes <= have) return 1;
  return __builtin_wasm_memory_grow(0, (bytes - have + 65535) / 65536) != (size_t)-1;
}

// ---- the output buffer where results are built ----

#define OUT_CAP (1u << 20)
static uint8_t out[OUT_CAP];
static uint32_t out_len;

static void put(uint8_t b) {
  if (out_len < OUT_CAP) out[out_len++] = b;
}
static void put_be(uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) put((uint8_t)(v >> (8 * i)));
}
static void put_bytes(const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) put((uint8_t)s[i]);
}
static uint32_t str_len(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}
static uint64_t packed(uint32_t ptr, uint32_t len) {
  return (uint64_t)len << 32 | ptr;
}

// Texts the host's conversions and PostgreSQL's input functions may meet:
// numbers, UTF-8 (good and bad), JSON, addresses, dates, arrays and rows.
static const char *const kNumbers[] = {"",    "0",        "-0",       "1",        "-1",
                                       "NaN", "1e131071", "1e-16383", "Infinity", "-Infinity"};
static const char *const kUtf8[] = {"abc", "ü€😀", "\xed\xa0\x80", "\xc0\x80", "\xff\xfe\xfd", "t"};
static const char *const kJson[] = {
    "{}", "[]", "null", "true", "{\"a\":[1,2,{\"b\":null}]}", "[1,2", "\"\\ud800\""};
static const char *const kOthers[] = {"192.168.0.1", "::1/128",   "10.0.0.0/33",  "2000-01-01",
                                      "infinity",    "-infinity", "294277-01-01", "4714-11-24 BC",
                                      "epoch",       "(1,x)",     "(,)",          "{1,2,3}",
                                      "{{1},{2}}",   "{NULL}",    "\\x00ff"};

#define PICK(table) table[below(sizeof table / sizeof *table)]

static void put_text(void) {
  const char *s;
  switch (below(5)) {
    case 0: s = PICK(kNumbers); break;
    case 1: s = PICK(kUtf8); break;
    case 2: s = PICK(kJson); break;
    case 3: s = PICK(kOthers); break;
    default: put_bytes("a\0b", 3); return;  // a zero byte inside
  }
  put_bytes(s, str_len(s));
}

// Random UTF-8 (valid or not), or random bytes.
static void put_random_text(uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    switch (below(8)) {
      case 0: put((uint8_t)next64()); break;
      case 1: put_bytes("\xc3\xa9", 2); break;
      case 2: put_bytes("\xe2\x82\xac", 3); break;
      case 3: put_bytes("\xf0\x9f\x98\x80", 4); break;
      default: put((uint8_t)('a' + below(26))); break;
    }
  }
}

// JSON nested `depth` deep: PostgreSQL's parser must stop at its stack limit.
static void put_deep_json(uint32_t depth) {
  for (uint32_t i = 0; i < depth; i++) put('[');
  for (uint32_t i = 0; i < depth; i++) put(']');
}

// ---- MessagePack, valid and not ----

static void mp_int(void) {
  // 2^k and 2^k - 1 at each integer width's limits, and all ones.
  static const uint8_t kBits[] = {0, 7, 8, 15, 16, 31, 32, 63};
  uint64_t v = chance(8)   ? ~0ull
               : chance(2) ? (1ull << PICK(kBits)) - chance(2)
                           : next64() >> below(64);
  // fixints, then uint 8/16/32/64 and int 8/16/32/64
  static const uint8_t kHeads[] = {0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3};
  uint32_t k = below(10);
  if (k == 8) {
    put((uint8_t)(v & 0x7f));
  } else if (k == 9) {
    put((uint8_t)(0xe0 | (v & 0x1f)));
  } else {
    put(kHeads[k]);
    put_be(v, 1 << (k % 4));
  }
}

static void mp_float(void) {
  static const uint64_t kDoubles[] = {
      0x7ff8000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x8000000000000000ull,
      0x7ff4000000000001ull, 0x0000000000000001ull, 0x7fefffffffffffffull, 0x43e0000000000000ull};
  static const uint32_t kFloats[] = {0x7fc00000u, 0x7f800000u, 0xff800000u, 0x80000000u,
                                     0x7fa00001u, 0x00000001u, 0x7f7fffffu, 0x4f000000u};
  if (chance(2)) {
    put(0xcb);
    put_be(chance(2) ? kDoubles[below(8)] : next64(), 8);
  } else {
    put(0xca);
    put_be(chance(2) ? kFloats[below(8)] : (uint32_t)next64(), 4);
  }
}

// A str or bin value: texts, random UTF-8, deep JSON or random bytes, with
// the shortest header or a longer one.
static void mp_bytes(void) {
  if (out_len + 5 > OUT_CAP) return;
  int bin = chance(3);
  uint32_t start = out_len;
  out_len += 5;  // room for the longest header; the body moves up if shorter
  switch (below(4)) {
    case 0: put_text(); break;
    case 1: put_random_text(below(40)); break;
    case 2:
      if (chance(4)) {
        put_deep_json(below(100000));
        break;
      }
      __attribute__((fallthrough));
    default:
      for (uint32_t i = chance(3) ? 16 : below(64); i > 0; i--) put((uint8_t)next64());
      break;
  }
  uint32_t n = out_len - start - 5;
  uint8_t head[5];
  uint32_t h = 0;
  if (!bin && n < 32 && chance(2)) {
    head[h++] = (uint8_t)(0xa0 | n);
  } else if (n < 256 && chance(2)) {
    head[h++] = bin ? 0xc4 : 0xd9;
    head[h++] = (uint8_t)n;
  } else if (n < 65536 && chance(2)) {
    head[h++] = bin ? 0xc5 : 0xda;
    head[h++] = (uint8_t)(n >> 8);
    head[h++] = (uint8_t)n;
  } else {
    head[h++] = bin ? 0xc6 : 0xdb;
    for (int i = 3; i >= 0; i--) head[h++] = (uint8_t)(n >> (8 * i));
  }
  for (uint32_t i = 0; i < n; i++) out[start + h + i] = out[start + 5 + i];
  for (uint32_t i = 0; i < h; i++) out[start + i] = head[i];
  out_len = start + h + n;
}

static void mp_value(uint32_t depth);

static void mp_array(uint32_t n, uint32_t depth) {
  if (n < 16 && chance(2)) {
    put((uint8_t)(0x90 | n));
  } else if (n < 65536 && chance(2)) {
    put(0xdc);
    put_be(n, 2);
  } else {
    put(0xdd);
    put_be(n, 4);
  }
  for (uint32_t i = 0; i < n && out_len < OUT_CAP; i++) mp_value(depth + 1);
}

// Any MessagePack value, mostly well-formed; arrays of 1, 2 and 11 values
// are common (the tests' row types have 1, 2 and 11 columns).
static void mp_value(uint32_t depth) {
  uint32_t pick = below(depth > 3 ? 12 : 16);
  switch (pick) {
    case 0: put(0xc0); break;  // nil
    case 1: put(chance(2) ? 0xc2 : 0xc3); break;
    case 2:
    case 3: mp_int(); break;
    case 4: mp_float(); break;
    case 5:
    case 6:
    case 7: mp_bytes(); break;
    case 8: {  // map
      uint32_t n = below(3);
      put((uint8_t)(0x80 | n));
      for (uint32_t i = 0; i < 2 * n; i++) mp_value(depth + 1);
      break;
    }
    case 9: {  // ext: fixext 1..16, ext8, or the timestamp extension (-1)
      static const uint8_t kFix[] = {0xd4, 0xd5, 0xd6, 0xd7, 0xd8};
      uint32_t k = below(6);
      if (k < 5) {
        put(kFix[k]);
        put(chance(2) ? 0xff : (uint8_t)next64());
        for (uint32_t i = 0; i < (1u << k); i++) put((uint8_t)next64());
      } else {
        uint32_t n = below(20);
        put(0xc7);
        put_be(n, 1);
        put((uint8_t)next64());
        for (uint32_t i = 0; i < n; i++) put((uint8_t)next64());
      }
      break;
    }
    case 10: put(0xc1); break;  // never used in MessagePack
    case 11: put((uint8_t)next64()); break;
    default: {
      static const uint32_t kCounts[] = {0, 1, 2, 2, 11, 11, 3, 5};
      mp_array(kCounts[below(8)], depth);
      break;
    }
  }
}

// MessagePack meant to hurt: huge declared lengths with little behind them,
// deep nesting, truncation, trailing bytes, or a valid set of rows.
static void mp_tricky(void) {
  switch (below(9)) {
    case 0: {  // an array or map declaring up to 4 billion elements
      static const uint32_t kHuge[] = {0xffffffffu, 0x7fffffffu, 0x10000000u,
                                       0x01000000u, 0x00100000u, 0x0000ffffu};
      put(chance(3) ? 0xdf : 0xdd);
      put_be(kHuge[below(6)], 4);
      for (uint32_t i = below(4); i > 0; i--) mp_value(1);
      break;
    }
    case 1: {  // a str, bin or ext declaring up to 4 GB
      static const uint8_t kKinds[] = {0xdb, 0xc6, 0xc9};
      put(kKinds[below(3)]);
      put_be(chance(2) ? 0xffffffffu : (uint32_t)next64(), 4);
      if (chance(2)) put(1);
      put_random_text(below(8));
      break;
    }
    case 2: {  // arrays nested up to 200,000 deep
      uint32_t depth = below(200000);
      for (uint32_t i = 0; i < depth; i++) put(0x91);
      mp_value(4);
      break;
    }
    case 3: {  // maps nested deep
      uint32_t depth = below(100000);
      for (uint32_t i = 0; i < depth; i++) put(0x81), put(0x01);
      put(0xc0);
      break;
    }
    case 4: {  // a valid value cut short
      mp_value(0);
      if (out_len > 0) out_len = below(out_len);
      break;
    }
    case 5: {  // a valid value and then more
      mp_value(0);
      put_random_text(1 + below(4));
      break;
    }
    case 6:
    case 7: {  // a set: rows of 1, 2 or 11 values, or single values
      uint32_t rows = below(50);
      static const uint32_t kWidth[] = {0, 1, 2, 11};
      uint32_t width = kWidth[below(4)];
      put(0xdd);
      put_be(rows, 4);
      for (uint32_t r = 0; r < rows; r++) {
        if (width == 0) {
          mp_value(2);
          continue;
        }
        put((uint8_t)(0x90 | width));
        for (uint32_t c = 0; c < width; c++) mp_value(2);
      }
      break;
    }
    default: mp_value(0); break;
  }
}

// ---- rows of fuzz.r_wide, mostly well-typed ----
// (a int2, b bool, c float4, d numeric, e date, f timestamptz, g uuid,
//  h jsonb, i int8[], j inet, k bytea), with values at and beyond each
// type's limits, and now and then a value of another kind.

static void mp_i64(int64_t v) {
  put(0xd3);
  put_be((uint64_t)v, 8);
}
static void mp_str(const char *s) {
  uint32_t n = str_len(s);
  put(0xdb);
  put_be(n, 4);
  put_bytes(s, n);
}
static int64_t pick64(const int64_t *values, uint32_t n) {
  return chance(4) ? (int64_t)next64() >> below(64) : values[below(n)];
}

static void mp_column(uint32_t c) {
  // Days and microseconds since 2000: PostgreSQL's limits and just beyond.
  static const int64_t kDays[] = {0,          -1,         -2451545,   -2451546,    2145031948,
                                  2145031949, 2147483646, 2147483647, -2147483648, 2147483000};
  static const int64_t kMicros[] = {0,
                                    -211813488000000000,
                                    -211813488000000001,
                                    9223371331199999999,
                                    9223371331200000000,
                                    0x7ffffffffffffff0,
                                    0x7fffffffffffffff,
                                    (int64_t)0x8000000000000000ull};
  static const int64_t kSmall[] = {0, 1, -1, 32767, -32768, 32768, -32769, 65535};
  static const char *const kJsonb[] = {"{}",    "[1,2]",       "{\"a\":{\"b\":[null,true]}}",
                                       "1e400", "\"\\u0000\"", "[1,"};
  static const char *const kInet[] = {"192.168.0.1",  "::1",       "10.0.0.0/8",
                                      "fe80::1%eth0", "300.1.1.1", ""};
  if (chance(10)) {
    mp_value(3);
    return;
  }
  switch (c) {
    case 0: mp_i64(pick64(kSmall, 8)); break;
    case 1: put(chance(2) ? 0xc3 : 0xc2); break;
    case 2: mp_float(); break;
    case 3:
      if (chance(2))
        mp_float();
      else
        mp_i64((int64_t)next64());
      break;
    case 4: mp_i64(pick64(kDays, 10)); break;
    case 5: mp_i64(pick64(kMicros, 8)); break;
    case 6:
      put(0xc4);
      put(chance(4) ? 15 : 16);
      for (uint32_t i = 0; i < 16; i++) put((uint8_t)next64());
      if (out[out_len - 17] == 15) out_len--;
      break;
    case 7: mp_str(PICK(kJsonb)); break;
    case 8: {
      uint32_t n = below(5);
      put((uint8_t)(0x90 | n));
      for (uint32_t i = 0; i < n; i++) chance(8) ? put(0xc0) : mp_int();
      break;
    }
    case 9: mp_str(PICK(kInet)); break;
    default:
      put(0xc4);
      put(8);
      for (uint32_t i = 0; i < 8; i++) put((uint8_t)next64());
      break;
  }
}

static void mp_wide_row(void) {
  put(0x9b);  // 11 values
  for (uint32_t c = 0; c < 11; c++) mp_column(c);
}

EXPORT(typed_row) uint64_t typed_row(int32_t seed) {
  seed_rng((uint32_t)seed ^ 0xabcdef);
  out_len = 0;
  mp_wide_row();
  return packed((uint32_t)(uintptr_t)out, out_len);
}

EXPORT(typed_rows) uint64_t typed_rows(int32_t seed) {
  seed_rng((uint32_t)seed ^ 0x123456);
  out_len = 0;
  uint32_t rows = below(20);
  put(0xdc);
  put_be(rows, 2);
  for (uint32_t r = 0; r < rows; r++) mp_wide_row();
  return packed((uint32_t)(uintptr_t)out, out_len);
}

// ---- pg_wasm's ABI ----

EXPORT(pg_wasm_abi_v1) void abi_v1(void) {}

// The allocator answers by the size it is asked for (the tests choose the
// size through the length of their arguments): valid memory, nothing, memory
// past the end, a random or huge address, the guest's own data, or a trap.
static uint32_t heap_top;
static uint32_t heap_alloc(uint32_t size) {
  extern uint8_t __heap_base;
  if (!heap_top) heap_top = (uint32_t)(uintptr_t)&__heap_base;
  uint32_t p = (heap_top + 15) & ~15u;
  if (size > 0x7fffffffu - p || !ensure_memory(p + size)) return 0;
  heap_top = p + size;
  return p;
}

static uint32_t hostile_address(uint32_t size) {
  uint32_t mem = memory_bytes();
  switch (below(12)) {
    case 0: return 0;
    case 1: return mem - size + 1;
    case 2: return mem - size;
    case 3: return mem;
    case 4: return (uint32_t)next64();
    case 5: return 0xffffffffu - below(16);
    case 6: return 0x80000000u;
    case 7: return (uint32_t)(uintptr_t)out;  // over the guest's own results
    case 8: return 8;                         // over its data and stack
    case 9: __builtin_trap();
    case 10: ensure_memory(mem + 64 * 65536); return memory_bytes() - size;
    default: {
      static const char kMsg[] = "hostile allocator refuses";
      host_error(kMsg, sizeof kMsg - 1);
      return 0;
    }
  }
}

EXPORT(pg_wasm_alloc) uint32_t pg_wasm_alloc(uint32_t size) {
  seed_rng(size * 2654435761u);
  if (chance(2)) return heap_alloc(size);
  return hostile_address(size);
}

EXPORT(pg_wasm_free) void pg_wasm_free(uint32_t ptr) {
  seed_rng(ptr);
  if (chance(4)) __builtin_trap();
}

// A trap: the host discards the instance, so the next call allocates afresh.
EXPORT(reset) int32_t reset(void) {
  __builtin_trap();
}

// The result for any byte-string, row or set type, by seed. The same export
// is declared with many SQL result types.
EXPORT(random_result) uint64_t random_result(int32_t seed) {
  seed_rng((uint32_t)seed);
  out_len = 0;
  uint32_t mem = memory_bytes();
  switch (below(16)) {
    case 0: put_random_text(below(300)); break;
    case 1: put_text(); break;
    case 2: put_deep_json(below(50000)); break;
    case 3: {  // the end of memory, give or take a byte
      uint32_t k = below(64);
      return packed(mem - k, k + below(3) - (k > 0));
    }
    case 4: return packed((uint32_t)next64(), (uint32_t)next64());
    case 5: {  // ptr + len wraps around 32 bits
      uint32_t k = 1 + below(64);
      return packed(0xffffffffu - k + 1, k + below(8));
    }
    case 6: {  // lengths at and around 1 GB, and beyond
      static const uint32_t kLens[] = {0x3fffffffu, 0x40000000u, 0x40000001u,
                                       0x7fffffffu, 0x80000000u, 0xffffffffu};
      return packed(chance(2) ? 0 : (uint32_t)(uintptr_t)out, kLens[below(6)]);
    }
    case 7: return packed(chance(2) ? 0 : mem, 0);
    case 8:
      if (chance(8)) {  // a few MB of valid text at the end of a grown memory
        uint32_t len = (1 + below(4)) << 20;
        if (!ensure_memory(mem + len)) return packed(0, 0);
        uint8_t *p = (uint8_t *)(uintptr_t)(memory_bytes() - len);
        memset(p, 'a' + below(26), len);
        return packed((uint32_t)(uintptr_t)p, len);
      }
      put_random_text(below(4000));
      break;
    case 9:
    case 10:
    case 11: mp_tricky(); break;
    case 12: mp_value(0); break;
    case 13: host_set_null(); return next64();
    case 14:
      if (chance(2)) __builtin_trap();
      host_error(out, (int32_t)below(64));
      break;
    default: {  // as many bytes as an element type may want, or not
      uint32_t n = below(5) * 8 + below(2);
      for (uint32_t i = 0; i < n; i++) put((uint8_t)next64());
      break;
    }
  }
  return packed((uint32_t)(uintptr_t)out, out_len);
}

// Takes byte strings (so the host allocates), checks nothing, and answers
// like random_result with a seed made of what it was given.
EXPORT(random_args) uint64_t random_args(const uint8_t *p, int32_t len, int32_t seed) {
  if (host_arg_is_null(0)) return random_result(~seed);
  return random_result(seed ^ len ^ (len > 0 ? p[len - 1] : 0));
}

// ---- ClickHouse's BUFFERED_V1 ----

struct buffer {
  uint32_t ptr;
  uint32_t size;
};

static uint32_t make_buffer(uint32_t size) {
  uint32_t h = heap_alloc(sizeof(struct buffer));
  uint32_t data = heap_alloc(size);
  if (!h) return 0;
  struct buffer *b = (struct buffer *)(uintptr_t)h;
  b->ptr = data;
  b->size = data ? size : 0;
  return h;
}

// A handle for the result, or one that lies: out of memory, straddling the
// end, with a wrong size, pointing at its own header.
static uint32_t hostile_handle(uint32_t size) {
  uint32_t mem = memory_bytes();
  uint32_t h = make_buffer(size);
  struct buffer *b = (struct buffer *)(uintptr_t)h;
  switch (below(10)) {
    case 0: return 0;
    case 1: return (uint32_t)next64();
    case 2: return mem - below(8);
    case 3:
      if (h) b->ptr = (uint32_t)next64();
      return h;
    case 4:
      if (h) b->size = size + 1 - 2 * chance(2);
      return h;
    case 5:
      if (h) b->ptr = mem - size / 2;
      return h;
    case 6:
      if (h) b->ptr = h, b->size = size;
      return h;
    case 7: __builtin_trap();
    default: return h;
  }
}

EXPORT(clickhouse_create_buffer) uint32_t clickhouse_create_buffer(uint32_t size) {
  seed_rng(size ^ 0x5bd1e995u);
  return chance(4) ? hostile_handle(size) : make_buffer(size);
}

EXPORT(clickhouse_destroy_buffer) void clickhouse_destroy_buffer(uint32_t handle) {
  seed_rng(handle);
  if (chance(8)) __builtin_trap();
}

// Seeds itself from its input buffer (the host packed the SQL arguments
// into it) and answers with a buffer of random or tricky MessagePack, its
// input, or a handle that lies.
EXPORT(random_buffer) uint32_t random_buffer(uint32_t input, int32_t rows) {
  uint64_t seed = (uint32_t)rows;
  uint32_t mem = memory_bytes();
  if (input && input <= mem - sizeof(struct buffer)) {
    struct buffer *in = (struct buffer *)(uintptr_t)input;
    if (in->ptr <= mem && in->size <= mem - in->ptr)
      for (uint32_t i = 0; i < in->size; i++) seed = seed * 31 + ((uint8_t *)(uintptr_t)in->ptr)[i];
  }
  seed_rng(seed);
  switch (below(6)) {
    case 0: return input;
    case 1: return hostile_handle(below(64));
    default: {
      out_len = 0;
      if (chance(2))
        mp_tricky();
      else
        mp_value(0);
      uint32_t h = heap_alloc(sizeof(struct buffer));
      if (!h) return 0;
      struct buffer *b = (struct buffer *)(uintptr_t)h;
      b->ptr = (uint32_t)(uintptr_t)out;
      b->size = out_len;
      return h;
    }
  }
}
