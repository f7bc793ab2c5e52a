// The timing harness of bench/native/measure.sh. Built once with -DNATIVE
// against native.c (the C baseline), and once per compiler configuration
// against the wasm2c output of the guests (module names collatz, fib, arith,
// fibrec and crc32: wasm2c -n <name>; collatzfuel, fibfuel and fibrecfuel
// are the first three fuel-instrumented) and wabt's runtime.
//
// Runs every workload `reps` times (argv[1], default 5), round-robin so that
// background load spreads over all of them, and prints one line per
// workload: its name, the best time in nanoseconds (clock_gettime,
// CLOCK_MONOTONIC) and a checksum that must be the same in every build.
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COLLATZ_N 1000000
#define FIB_N 5000
#define FIB_REPEAT 1000
#define FIBREC_N 32
#define ADD_N 10000000
#define ADD_TRY_N 1000000
#define CRC_LEN (1 << 20)
#define CRC_REPEAT 100

static volatile int32_t fib_n = FIB_N;  // never a constant the compiler can see
static volatile int32_t fibrec_n = FIBREC_N;

#ifdef NATIVE
int32_t native_collatz(int32_t n);
int64_t native_fib(int32_t n);
int32_t native_add(int32_t a, int32_t b);
int64_t native_fibrec(int32_t n);
int64_t native_crc32(const unsigned char *p, int32_t len);
static unsigned char *crc_buf;
#define COLLATZ(i) native_collatz(i)
#define COLLATZ_FUEL(i) native_collatz(i)
#define FIB(n) native_fib(n)
#define FIB_FUEL(n) native_fib(n)
#define FIBREC_FUEL(n) native_fibrec(n)
#define ADD(a, b) native_add(a, b)
#define FIBREC(n) native_fibrec(n)
#define CRC32() native_crc32(crc_buf, CRC_LEN)
#define TRY() 0
static void setup(void) {
  crc_buf = malloc(CRC_LEN);
  for (int i = 0; i < CRC_LEN; i++) crc_buf[i] = (unsigned char)(i * 131 + (i >> 9));
}
#else
#include "arith.h"
#include "collatz.h"
#include "collatzfuel.h"
#include "crc32.h"
#include "fib.h"
#include "fibfuel.h"
#include "fibrec.h"
#include "fibrecfuel.h"
#include "wasm-rt-impl.h"
static Z_collatz_instance_t collatz;
static Z_collatzfuel_instance_t collatzfuel;
static Z_fib_instance_t fib;
static Z_arith_instance_t arith;
static Z_fibrec_instance_t fibrec;
static Z_fibfuel_instance_t fibfuel;
static Z_fibrecfuel_instance_t fibrecfuel;
static Z_crc32_instance_t crc32;
static uint32_t crc_ptr;
#define COLLATZ(i) (int32_t) Z_collatzZ_steps(&collatz, (u32)(i))
#define COLLATZ_FUEL(i) (int32_t) Z_collatzfuelZ_steps(&collatzfuel, (u32)(i))
#define FIB(n) (int64_t) Z_fibZ_fib(&fib, (u32)(n))
#define FIB_FUEL(n) (int64_t) Z_fibfuelZ_fib(&fibfuel, (u32)(n))
#define FIBREC_FUEL(n) (int64_t) Z_fibrecfuelZ_fib(&fibrecfuel, (u32)(n))
#define ADD(a, b) (int32_t) Z_arithZ_add(&arith, (u32)(a), (u32)(b))
#define FIBREC(n) (int64_t) Z_fibrecZ_fib(&fibrec, (u32)(n))
#define CRC32() (int64_t) Z_crc32Z_crc32(&crc32, crc_ptr, CRC_LEN)
#define TRY() wasm_rt_impl_try()
static void setup(void) {
  wasm_rt_init();
  Z_collatz_init_module();
  Z_collatz_instantiate(&collatz);
  Z_collatzfuel_init_module();
  Z_collatzfuel_instantiate(&collatzfuel);
  // The fuel global starts unlimited (INT64_MAX); set it anyway, huge, as
  // a host would before a call, so that it never runs out.
  *Z_collatzfuelZ_Z00pg_wasm_fuel(&collatzfuel) = (u64)INT64_MAX;
  Z_fibfuel_init_module();
  Z_fibfuel_instantiate(&fibfuel);
  *Z_fibfuelZ_Z00pg_wasm_fuel(&fibfuel) = (u64)INT64_MAX;
  Z_fibrecfuel_init_module();
  Z_fibrecfuel_instantiate(&fibrecfuel);
  *Z_fibrecfuelZ_Z00pg_wasm_fuel(&fibrecfuel) = (u64)INT64_MAX;
  Z_fib_init_module();
  Z_fib_instantiate(&fib);
  Z_arith_init_module();
  Z_arith_instantiate(&arith);
  Z_fibrec_init_module();
  Z_fibrec_instantiate(&fibrec);
  Z_crc32_init_module();
  Z_crc32_instantiate(&crc32);
  if (TRY()) {
    fprintf(stderr, "harness: trap in setup\n");
    exit(1);
  }
  crc_ptr = Z_crc32Z_pg_wasm_alloc(&crc32, CRC_LEN);
  if (crc_ptr == 0) {
    fprintf(stderr, "harness: pg_wasm_alloc failed\n");
    exit(1);
  }
  unsigned char *p = Z_crc32Z_memory(&crc32)->data + crc_ptr;
  for (int i = 0; i < CRC_LEN; i++) p[i] = (unsigned char)(i * 131 + (i >> 9));
}
#endif

static uint64_t w_collatz(void) {
  uint64_t s = 0;
  for (int32_t i = 1; i <= COLLATZ_N; i++) s += (uint64_t)COLLATZ(i);
  return s;
}
static uint64_t w_collatz_fuel(void) {
  uint64_t s = 0;
  for (int32_t i = 1; i <= COLLATZ_N; i++) s += (uint64_t)COLLATZ_FUEL(i);
  return s;
}
static uint64_t w_fib(void) {
  uint64_t s = 0;
  for (int r = 0; r < FIB_REPEAT; r++) s += (uint64_t)FIB(fib_n);
  return s;
}
static uint64_t w_fib_fuel(void) {
  uint64_t s = 0;
  for (int r = 0; r < FIB_REPEAT; r++) s += (uint64_t)FIB_FUEL(fib_n);
  return s;
}
static uint64_t w_fibrec(void) {
  return (uint64_t)FIBREC(fibrec_n);
}
static uint64_t w_fibrec_fuel(void) {
  return (uint64_t)FIBREC_FUEL(fibrec_n);
}
static uint64_t w_add(void) {
  uint32_t s = 0;
  for (int32_t i = 1; i <= ADD_N; i++) s += (uint32_t)ADD(i, i);
  return s;
}
// One wasm_rt_impl_try (a setjmp; sigsetjmp saving the signal mask with
// guard pages) per call, as an engine entering the guest once per SQL call.
static uint64_t w_add_try(void) {
  uint32_t s = 0;
  for (int32_t i = 1; i <= ADD_TRY_N; i++) {
    if (TRY()) {
      fprintf(stderr, "harness: trap in add\n");
      exit(1);
    }
    s += (uint32_t)ADD(i, i);
  }
  return s;
}
static uint64_t w_crc32(void) {
  uint64_t s = 0;
  for (int r = 0; r < CRC_REPEAT; r++) s += (uint64_t)CRC32();
  return s;
}

static const struct {
  const char *name;
  uint64_t (*run)(void);
} workloads[] = {
    {"collatz", w_collatz},    {"collatz_fuel", w_collatz_fuel},
    {"fib5000x1000", w_fib},   {"fib5000x1000_fuel", w_fib_fuel},
    {"fibrec32", w_fibrec},    {"fibrec32_fuel", w_fibrec_fuel},
    {"add_1e7", w_add},        {"add_try_1e6", w_add_try},
    {"crc32_100MiB", w_crc32},
};
#define NW (sizeof workloads / sizeof workloads[0])

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  int64_t best[NW];
  uint64_t sum[NW];
  setup();
  for (size_t w = 0; w < NW; w++) best[w] = INT64_MAX;
  for (int r = 0; r < reps; r++) {
    for (size_t w = 0; w < NW; w++) {
      if (TRY()) {  // a trap in a workload ends the run
        fprintf(stderr, "harness: trap in %s\n", workloads[w].name);
        return 1;
      }
      int64_t t0 = now_ns();
      uint64_t s = workloads[w].run();
      int64_t t = now_ns() - t0;
      if (r > 0 && s != sum[w]) {
        fprintf(stderr, "harness: %s gave %" PRIu64 " then %" PRIu64 "\n", workloads[w].name,
                sum[w], s);
        return 1;
      }
      sum[w] = s;
      if (t < best[w]) best[w] = t;
    }
  }
  for (size_t w = 0; w < NW; w++)
    printf("%s %" PRId64 " %" PRIu64 "\n", workloads[w].name, best[w], sum[w]);
  return 0;
}
