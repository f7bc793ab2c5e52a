/* Seeds of the fuzz target object_check (make_corpus.sh compiles them):
   with SEED_RUNTIME, a stand-in for wasm2c's runtime; otherwise an object
   shaped like a module's, as build.cc links it, which passes
   module_object_rules("wasm-rt-fuzz.so") unless a SEED_ variant adds what
   the check refuses. */
#include <math.h>
#include <setjmp.h>
#include <string.h>

#ifdef SEED_RUNTIME
jmp_buf wasm_rt_jmp_buf;
void wasm_rt_trap(int code) {
  longjmp(wasm_rt_jmp_buf, code + 1);
}
#else
extern jmp_buf wasm_rt_jmp_buf;
void wasm_rt_trap(int);

static double run(double x, char *d, const char *s, unsigned n) {
  if (setjmp(wasm_rt_jmp_buf)) return -1;
  if (n > 100) wasm_rt_trap(1);
  memmove(d, s, n);
  return sqrt(x) + floor(x);
}

__attribute__((visibility("default"))) const struct {
  void *run;
} pgw_native_module_v1 = {(void *)run};

#ifdef SEED_CTOR
static volatile int hit;
__attribute__((constructor)) static void ctor(void) {
  hit = 1;
}
#endif
#ifdef SEED_IFUNC
static int impl(void) {
  return 1;
}
static void *resolve(void) {
  return (void *)impl;
}
int pick(void) __attribute__((ifunc("resolve")));
int (*volatile picked)(void) = pick;
#endif
#ifdef SEED_EXPORT
__attribute__((visibility("default"))) int more(void) {
  return 1;
}
#endif
#endif
