// A WASI program: ordinary C with the C library (wasi-libc), built as a
// reactor, whose printf output lands in the PostgreSQL server log.
//
// Build (CMake does this: build/guests/factor.wasm):
//   clang --target=wasm32-wasi -mexec-model=reactor -O2 -o factor.wasm factor.c
//
// Load and call:
//   SELECT wasm.load_module_file('factor', '/path/to/factor.wasm');
//   CREATE FUNCTION factorize(int8) RETURNS int4 LANGUAGE wasm AS 'factor::factorize';
//   SET client_min_messages = log;  -- to see the log lines in psql too
//   SELECT factorize(360);
//   LOG:  wasm module "factor" stdout: 360 = 2^3 * 3^2 * 5
//    factorize
//   -----------
//           3
#include <stdint.h>
#include <stdio.h>

// Prints n's prime factorization and returns how many distinct primes
// divide it.
__attribute__((export_name("factorize"))) int factorize(int64_t n) {
  if (n < 2) {
    printf("%lld has no prime factors\n", (long long)n);
    return 0;
  }
  char text[256];
  int len = snprintf(text, sizeof text, "%lld =", (long long)n);
  int distinct = 0;
  for (int64_t p = 2; n > 1; p++) {
    if (p > n / p) p = n;  // no factor up to its square root: n is prime
    int power = 0;
    while (n % p == 0) {
      n /= p;
      power++;
    }
    if (power == 0) continue;
    len += snprintf(text + len, sizeof text - len, "%s %lld", distinct ? " *" : "", (long long)p);
    if (power > 1) len += snprintf(text + len, sizeof text - len, "^%d", power);
    distinct++;
  }
  puts(text);
  return distinct;
}
