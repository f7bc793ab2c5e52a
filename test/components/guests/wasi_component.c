// A component importing WASI 0.2 directly (wit/wasi-component.wit), written
// against the canonical ABI by hand: its exports are SQL functions in the
// regress suite component_wasi.
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

static u32 heap_top;

EXPORT("cabi_realloc") void *cabi_realloc(void *old, u32 old_size, u32 align, u32 size) {
  (void)old;
  (void)old_size;
  if (!heap_top) heap_top = (u32)__builtin_wasm_memory_size(0) * 65536;
  u32 p = (heap_top + align - 1) & ~(align - 1);
  heap_top = p + size;
  u32 have = (u32)__builtin_wasm_memory_size(0) * 65536;
  if (heap_top > have && __builtin_wasm_memory_grow(0, (heap_top - have + 65535) / 65536) < 0)
    __builtin_trap();
  return (void *)p;
}

IMPORT("wasi:random/random@0.2.0", "get-random-bytes") void random_bytes(u64 len, void *ret);
IMPORT("wasi:clocks/monotonic-clock@0.2.0", "now") u64 mono_now(void);
IMPORT("wasi:clocks/wall-clock@0.2.0", "now") void wall_now(void *ret);
IMPORT("wasi:cli/stdout@0.2.0", "get-stdout") u32 get_stdout(void);
IMPORT("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
void write_and_flush(u32 self, const void *ptr, u32 len, void *ret);
IMPORT("wasi:io/streams@0.2.0", "[resource-drop]output-stream") void drop_output(u32 self);
IMPORT("wasi:cli/exit@0.2.0", "exit") void cli_exit(u32 is_err);
IMPORT("wasi:filesystem/preopens@0.2.0", "get-directories") void get_directories(void *ret);

EXPORT("random-len") u64 random_len(u64 n) {
  u32 r[2];
  random_bytes(n, r);
  return r[1];
}

EXPORT("clocks-ok") u32 clocks_ok(void) {
  struct {
    u64 seconds;
    u32 nanoseconds;
  } __attribute__((aligned(8))) t;
  u64 a = mono_now(), b = mono_now();
  wall_now(&t);
  return a > 0 && b >= a && t.seconds > 1704067200u && t.nanoseconds < 1000000000u;
}

// Writes the line and a newline to stdout: whether both writes succeeded.
EXPORT("say") u32 say(const char *line, u32 len) {
  u32 out = get_stdout();
  u32 r[3];
  write_and_flush(out, line, len, r);
  u32 ok = (r[0] & 0xff) == 0;
  write_and_flush(out, "\n", 1, r);
  ok = ok && (r[0] & 0xff) == 0;
  drop_output(out);
  return ok;
}

EXPORT("preopens") u32 preopens(void) {
  u32 r[2];
  get_directories(r);
  return r[1];
}

EXPORT("fail") void fail(void) {
  cli_exit(1);
}

// exit(ok) where a value is due: the call ends without one.
EXPORT("quit") u32 quit(void) {
  cli_exit(0);
  return 7;
}
