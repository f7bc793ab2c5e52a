// bench/native/measure.sh's check that a module compiled to a shared object
// works the way the engine would use it: wabt's runtime lives in this
// executable (linked with -rdynamic, as it would live in the extension,
// which PostgreSQL loads with RTLD_GLOBAL), the module's .so is dlopened
// and resolves wasm_rt_* from it. The .so holds the wasm2c output and a
// small glue file (pgw_native_new: allocate, init and instantiate).
//
//   dlopen_check <module.so> <module name> <export> <i32 argument>
//
// Calls the export, (i32) -> i32, and prints its result with the times of
// dlopen and of init + instantiate.
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wasm-rt-impl.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <module.so> <name> <export> <i32>\n", argv[0]);
    return 2;
  }
  char sym[512];
  wasm_rt_init();
  double t0 = now_ms();
  void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    fprintf(stderr, "dlopen_check: %s\n", dlerror());
    return 1;
  }
  double t1 = now_ms();
  void *(*make)(void) = (void *(*)(void))dlsym(so, "pgw_native_new");
  snprintf(sym, sizeof sym, "Z_%sZ_%s", argv[2], argv[3]);
  uint32_t (*fn)(void *, uint32_t) = (uint32_t(*)(void *, uint32_t))dlsym(so, sym);
  if (!make || !fn) {
    fprintf(stderr, "dlopen_check: missing pgw_native_new or %s\n", sym);
    return 1;
  }
  void *instance = make();
  double t2 = now_ms();
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap) {
    fprintf(stderr, "dlopen_check: trap: %s\n", wasm_rt_strerror(trap));
    return 1;
  }
  uint32_t r = fn(instance, (uint32_t)atoi(argv[4]));
  printf("result %u dlopen_ms %.3f instantiate_ms %.3f\n", r, t1 - t0, t2 - t1);
  return 0;
}
