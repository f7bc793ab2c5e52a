// A ClickHouse BUFFERED_V1 function, written for ClickHouse and run by
// pg_wasm unmodified (no pg_wasm SDK here): upper(String) -> String.
//
//   clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry -o ch_upper.wasm ch_upper.c
//
// In ClickHouse:  CREATE FUNCTION ch_upper LANGUAGE WASM FROM 'ch_upper' :: 'upper'
//                 ARGUMENTS (s String) RETURNS String ABI BUFFERED_V1;
// In pg_wasm:     CREATE FUNCTION ch_upper(text) RETURNS text LANGUAGE wasm
//                 AS 'ch_upper::upper abi=buffered_v1';
//
// The host hands over a MessagePack block (each row's arguments, one value
// after another) and reads back one MessagePack value per row.
#include <stdint.h>

typedef struct {
  uint8_t *data;
  uint32_t size;
} Buffer;

// Memory: a bump heap, emptied whenever no buffer is alive.
#define HEAP_SIZE (8 << 20)
static _Alignas(16) uint8_t heap[HEAP_SIZE];
static uint32_t heap_top, live;
static Buffer handles[64];
static uint32_t handle_top;

__attribute__((export_name("clickhouse_create_buffer"))) Buffer *clickhouse_create_buffer(
    uint32_t size) {
  uint32_t aligned = (size + 15u) & ~15u;
  if (handle_top == 64 || aligned > HEAP_SIZE - heap_top) return 0;
  Buffer *b = &handles[handle_top++];
  b->data = heap + heap_top;
  b->size = size;
  heap_top += aligned;
  live++;
  return b;
}

__attribute__((export_name("clickhouse_destroy_buffer"))) void clickhouse_destroy_buffer(
    Buffer *b) {
  (void)b;
  if (live > 0 && --live == 0) heap_top = handle_top = 0;
}

__attribute__((import_module("env"), import_name("clickhouse_throw"))) void clickhouse_throw(
    const char *, uint32_t);

static void fail(const char *message) {
  uint32_t n = 0;
  while (message[n]) n++;
  clickhouse_throw(message, n);
}

// Reads a str or bin header at *p; returns the payload's length.
static uint32_t read_string(const uint8_t **p, const uint8_t *end) {
  uint8_t t = *(*p)++;
  uint32_t n;
  if ((t & 0xE0) == 0xA0)
    n = t & 0x1F;
  else if (t == 0xD9 || t == 0xC4)
    n = *(*p)++;
  else if (t == 0xDA || t == 0xC5) {
    n = (uint32_t)(*p)[0] << 8 | (*p)[1];
    *p += 2;
  } else if (t == 0xDB || t == 0xC6) {
    n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
    *p += 4;
  } else {
    fail("upper: expected a String");
    return 0;
  }
  if (*p + n > end) fail("upper: truncated input");
  return n;
}

__attribute__((export_name("upper"))) Buffer *upper(Buffer *input, uint32_t rows) {
  Buffer *out = clickhouse_create_buffer(input->size + 5 * rows);
  if (!out) fail("upper: out of memory");
  const uint8_t *p = input->data, *end = input->data + input->size;
  uint8_t *w = out->data;
  for (uint32_t r = 0; r < rows; r++) {
    uint32_t n = read_string(&p, end);
    *w++ = 0xC6;  // bin 32, as ClickHouse writes String
    *w++ = (uint8_t)(n >> 24);
    *w++ = (uint8_t)(n >> 16);
    *w++ = (uint8_t)(n >> 8);
    *w++ = (uint8_t)n;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t c = p[i];
      *w++ = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
    }
    p += n;
  }
  out->size = (uint32_t)(w - out->data);
  return out;
}
