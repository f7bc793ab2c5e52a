// The native C baseline for bench/native/measure.sh: the workloads of
// bench/c/bench_functions.c (and examples/crc32.c), as plain C functions
// without PostgreSQL's fmgr. Compiled on its own (gcc -O2), so the harness
// calls them across translation units, as it calls a module's exports.
#include <stdint.h>

int32_t native_collatz(int32_t n) {
  if (n < 1) return -1;
  int64_t x = n;  // the sequence overflows int32 for some n below 10^6
  int32_t count = 0;
  while (x != 1) {
    x = (x & 1) ? 3 * x + 1 : x / 2;
    count++;
  }
  return count;
}

int64_t native_fib(int32_t n) {
  uint64_t a = 0, b = 1;
  for (int32_t i = 0; i < n; i++) {
    uint64_t t = a + b;
    a = b;
    b = t;
  }
  return (int64_t)a;
}

int32_t native_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int64_t fibrec(int32_t n) {
  return n < 2 ? n : fibrec(n - 1) + fibrec(n - 2);
}
int64_t native_fibrec(int32_t n) {
  return fibrec(n);
}

static uint32_t table[256];

static void init_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

int64_t native_crc32(const unsigned char *p, int32_t len) {
  if (table[1] == 0) init_table();
  uint32_t c = 0xFFFFFFFFu;
  for (int32_t i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return (int64_t)(c ^ 0xFFFFFFFFu);
}
