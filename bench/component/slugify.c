// slugify as a WebAssembly component export, `slugify: func(s: string) ->
// string` (slugify.wit), written against the canonical ABI by hand: the same
// loop as examples/text.c's slugify (pg_wasm's ABI), so that the benchmark
// compares the two ways of calling it, not two functions.
//
//   clang --target=wasm32 -nostdlib -O2 -fuse-ld=lld -Wl,--no-entry -o slugify.core.wasm slugify.c
//   node tools/components/make-component.mjs slugify.core.wasm slugify.wit slugify slugify.wasm
//
// Core signature (CanonicalABI.md): the string argument flattens to (ptr,
// len), which the host places with cabi_realloc; the string result is two
// core values, more than one, so the export returns the address of a return
// area holding (ptr, len). cabi_post_slugify runs after the host has read
// the result: the whole heap is free again, the argument with it.
#include <stdint.h>

extern unsigned char __heap_base;
static uintptr_t heap_top;

static void *heap_alloc(uint32_t size, uint32_t align) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + size;
  if (end < p) __builtin_trap();
  uintptr_t limit = __builtin_wasm_memory_size(0) * 65536u;
  if (end > limit && __builtin_wasm_memory_grow(0, (end - limit + 65535) / 65536) == (uintptr_t)-1)
    __builtin_trap();
  heap_top = end;
  return (void *)p;
}

// The host only ever asks for new blocks (old_size 0) for arguments.
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, uint32_t old_size,
                                                                uint32_t align, uint32_t new_size) {
  if (old_size != 0) __builtin_trap();
  return heap_alloc(new_size, align);
}

static struct {
  const char *ptr;
  uint32_t len;
} result;

// "Hello, World! 2024" -> "hello-world-2024": letters and digits kept (ASCII
// ones lower-cased, others as they are), every run of anything else one
// dash, none at the ends.
__attribute__((export_name("slugify"))) void *slugify(const char *s, uint32_t len) {
  char *start = heap_alloc(len, 1), *w = start;  // a slug is never longer than its text
  int dash = 0;
  for (uint32_t i = 0; i < len; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c & 0x80)) {
      if (dash && w > start) *w++ = '-';
      dash = 0;
      *w++ = c;
    } else {
      dash = 1;
    }
  }
  result.ptr = start;
  result.len = (uint32_t)(w - start);
  return &result;
}

__attribute__((export_name("cabi_post_slugify"))) void slugify_post_return(void *ret) {
  (void)ret;
  heap_top = (uintptr_t)&__heap_base;
}
