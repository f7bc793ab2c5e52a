// pg_wasm's SDK with wasi-libc: a reactor using the C library (snprintf,
// malloc through the SDK's allocator, printf to the log) in functions that
// take and return text.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_wasm.h"

PGW_EXPORT(greet) pgw_result greet(const char *name, int32_t len) {
  char *line = malloc((size_t)len + 64);
  int n = snprintf(line, (size_t)len + 64, "hello, %.*s (%d bytes)", (int)len, name, (int)len);
  printf("greeted %.*s\n", (int)len, name);
  pgw_buf *out = pgw_output();
  pgw_append(out, line, n);
  free(line);
  return pgw_buf_result(out);
}

// Formats a float with the C library: what freestanding guests lack.
PGW_EXPORT(format_double) pgw_result format_double(double v) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%.3e", v);
  pgw_buf *out = pgw_output();
  pgw_append(out, buf, n);
  return pgw_buf_result(out);
}
