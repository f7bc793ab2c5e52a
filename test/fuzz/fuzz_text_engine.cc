// Fuzz target: bytes as a module in the text format, assembled, then through
// everything the host does with a module (module_pipeline.h). Mutated text
// stays a valid module far more often than mutated binary does, so this
// target reaches the engine's instantiation and calls with more varied
// modules than the binary target.
#include <cstdint>
#include <string_view>

#include "fuzz/module_pipeline.h"
#include "toolkit/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> wasm;
  try {
    wasm = pgwasm::toolkit::assemble_wat({reinterpret_cast<const char *>(data), size});
  } catch (const pgwasm::toolkit::TextError &) {
    return 0;
  }
  pgwasm::fuzz::run_module_pipeline(wasm, pgwasm::fuzz::Origin::Toolkit);
  return 0;
}
