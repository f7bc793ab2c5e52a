// Fuzz target: bytes as a native build's shared object. object_refusal
// (src/engine/native/object_check.h) reads them as untrusted ELF: whatever
// they are, it returns (ASan reports any read out of bounds), and what it
// accepts is at least an ELF header of a 64-bit shared object. Seeds:
// objects compiled from object_seed.c (make_corpus.sh). No V8, so
// LeakSanitizer is on.
#include <elf.h>

#include <cstdint>
#include <cstring>
#include <span>

#include "engine/native/object_check.h"
#include "fuzz/fuzz_support.h"

using namespace pgwasm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The seeds' runtime (make_corpus.sh): the good seed passes, so mutants
  // reach every check.
  static const auto rules = engine::native::module_object_rules("wasm-rt-fuzz.so");
  auto why = engine::native::object_refusal(std::span(data, size), rules);
  if (why) {
    if (why->empty()) fuzz::fail("object_refusal refused without a reason");
    return 0;
  }
  Elf64_Ehdr eh;
  if (size < sizeof eh) fuzz::fail("object_refusal accepted fewer bytes than an ELF header");
  std::memcpy(&eh, data, sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_type != ET_DYN)
    fuzz::fail("object_refusal accepted something other than a 64-bit shared object");
  return 0;
}
