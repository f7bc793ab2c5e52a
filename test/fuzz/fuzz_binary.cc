// Fuzz target: bytes as a binary module, through everything the host does
// with one (module_pipeline.h).
#include <cstdint>

#include "fuzz/module_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pgwasm::fuzz::run_module_pipeline({data, size}, pgwasm::fuzz::Origin::Untrusted);
  return 0;
}
