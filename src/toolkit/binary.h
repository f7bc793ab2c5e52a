// Reading WebAssembly binaries: decode, validate, describe (wabt underneath).
#pragma once

#include <cstdint>
#include <span>

#include "toolkit/errors.h"
#include "toolkit/types.h"

namespace pgwasm::toolkit {

// Decodes and validates a binary module against WebAssembly 2.0 and returns
// its imports and exports. Throws BinaryError naming the first problem and
// its byte offset.
ModuleInfo read_module(std::span<const uint8_t> wasm);

}  // namespace pgwasm::toolkit
