// Reading WebAssembly binaries: decode, validate, describe (wabt underneath).
#pragma once

#include <cstdint>
#include <span>

#include "toolkit/errors.h"
#include "toolkit/shape.h"
#include "toolkit/types.h"

namespace pgwasm::toolkit {

// Decodes and validates a binary module against WebAssembly 2.0 and returns
// its imports and exports. Throws BinaryError naming the first problem and
// its byte offset (the bounds of limits.h first), or Interrupted
// (worker.h).
ModuleInfo read_module(std::span<const uint8_t> wasm);
// The same, with the rest of what the reading found (shape.h).
ModuleScan read_module_scan(std::span<const uint8_t> wasm);

// The module's description and shape without validating what its functions
// do, for an engine that validates modules itself: checks limits.h and the
// module's structure, and costs little per function. Throws as read_module.
ModuleScan describe_module(std::span<const uint8_t> wasm);

}  // namespace pgwasm::toolkit
