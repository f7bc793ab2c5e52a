// The toolkit's rewrites of a valid module, in the order the binary target
// applies them. Adding a pass to the fuzzer is one entry in passes.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "toolkit/types.h"

namespace pgwasm::fuzz {

struct Pass {
  std::string_view name;
  // The rewritten module. `info` is what read_module says of `wasm`.
  std::function<std::vector<uint8_t>(std::span<const uint8_t> wasm, const ModuleInfo &info)> apply;
  // What the pass promises of its output beyond being a valid module (the
  // binary target has read_module check that first). Calls fail() if the
  // promise is broken.
  std::function<void(const ModuleInfo &before, const ModuleInfo &after)> check;
  // Whether the engine is given the output, as the host's loading path does
  // with it; otherwise the output is only checked and dropped (a rewrite
  // the engine makes by itself, on its own conditions).
  bool feeds_engine = true;
};

const std::vector<Pass> &passes();

// Promises shared by passes: the exports (names and types) are unchanged.
void check_same_exports(const ModuleInfo &before, const ModuleInfo &after);

}  // namespace pgwasm::fuzz
