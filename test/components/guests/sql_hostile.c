// sql_hostile: the component of the world pgwasm:test/sql-hostile
// (test/components/wit/sql-hostile.wit). Every export but `ok` breaks the
// canonical ABI on purpose: pointers and lengths outside memory or
// misaligned, discriminants and flags no type has, a surrogate char, a
// realloc that returns garbage, traps in the function and in its
// post-return, and a loop that never returns. The host must refuse each
// with an ERROR (a cancel for the loop) and carry on.
#define CABI_NO_WORLD
#define CABI_CUSTOM_REALLOC
#include "cabi.h"

#define WORLD_EXPORT(name) __attribute__((export_name(name)))
#define WORLD_POST_RETURN(name) __attribute__((export_name("cabi_post_" name)))

static u32 memory_bytes(void) {
  return (u32)__builtin_wasm_memory_size(0) * 65536u;
}

// Strings and list<u8> (alignment 1) get the last byte of memory; blocks of
// alignment 4 an odd address; others a good block.
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, u32 old_size, u32 align,
                                                                u32 new_size) {
  if (align == 1) return (void *)(uintptr_t)(memory_bytes() - 1);
  if (align == 4) return (char *)good_realloc(old, old_size, align, new_size + 4) + 1;
  return good_realloc(old, old_size, align, new_size);
}

WORLD_EXPORT("ok") s32 ok(s32 x) {
  return x + 1;
}

// A return area: a discriminant or a pointer, then two words.
static struct { u32 word[4]; } ret;

static u32 *two_words(u32 a, u32 b) {
  ret.word[0] = a;
  ret.word[1] = b;
  return ret.word;
}

WORLD_EXPORT("string-out-of-memory") u32 *string_out_of_memory(void) {
  return two_words(memory_bytes() - 8, 16);
}

static const char not_utf8[] = {'o', 'k', (char)0xff, (char)0xfe};

WORLD_EXPORT("string-not-utf8") u32 *string_not_utf8(void) {
  return two_words((u32)(uintptr_t)not_utf8, sizeof not_utf8);
}

WORLD_EXPORT("huge-list") u32 *huge_list(void) {
  return two_words(16, 0x80000000u);
}

static u32 words[4] = {1, 2, 3, 4};

WORLD_EXPORT("unaligned-list") u32 *unaligned_list(void) {
  return two_words((u32)(uintptr_t)words + 1, 2);
}

WORLD_EXPORT("return-area-out-of-memory") u32 return_area_out_of_memory(void) {
  return memory_bytes() - 4;
}

WORLD_EXPORT("return-area-unaligned") u32 return_area_unaligned(void) {
  return (u32)(uintptr_t)ret.word + 2;
}

// option<s32> and result<s32, string>: a byte discriminant, the payload at 4.
WORLD_EXPORT("bad-option") u32 *bad_option(void) {
  return two_words(2, 7);
}

WORLD_EXPORT("bad-result") u32 *bad_result(void) {
  return two_words(9, 7);
}

WORLD_EXPORT("bad-enum") u32 bad_enum(void) {
  return 3;
}

WORLD_EXPORT("bad-char") u32 bad_char(void) {
  return 0xD800;
}

WORLD_EXPORT("bad-flags") u32 bad_flags(void) {
  return 0x9;  // read, and a fourth label perms does not have
}

// Never reached from a host that checks the block realloc gave.
WORLD_EXPORT("realloc-out-of-memory") u32 realloc_out_of_memory(const char *p, u32 len) {
  return len;
}

WORLD_EXPORT("realloc-unaligned") u32 realloc_unaligned(const u32 *p, u32 len) {
  return len;
}

static const char fine[] = "fine";

WORLD_EXPORT("post-return-traps") u32 *post_return_traps(void) {
  return two_words((u32)(uintptr_t)fine, 4);
}
WORLD_POST_RETURN("post-return-traps") void post_return_traps_post(u32 *r) {
  __builtin_trap();  // wasm `unreachable`
}

WORLD_EXPORT("traps") s32 traps(void) {
  __builtin_trap();
}

// volatile keeps the loop from being folded away.
WORLD_EXPORT("spin") void spin(void) {
  for (volatile u32 i = 0;; i++) {
  }
}
