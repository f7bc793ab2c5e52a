// Reading WebAssembly binaries: decode, validate, describe (wabt underneath).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "toolkit/errors.h"
#include "toolkit/types.h"

namespace pgwasm::toolkit {

// Decodes and validates a binary module against WebAssembly 2.0 and returns
// its imports and exports. Throws BinaryError naming the first problem and
// its byte offset.
ModuleInfo read_module(std::span<const uint8_t> wasm);

// The bits of a global's value, little-endian as in linear memory.
using ValueBits = std::array<uint8_t, 16>;

// For each export (by index): the initial value's bits when it is a global
// that the module itself defines with a constant (i32.const, ..., v128.const),
// else nothing. An immutable global defined that way never changes. Throws
// BinaryError as read_module does.
std::vector<std::optional<ValueBits>> constant_global_exports(std::span<const uint8_t> wasm);

}  // namespace pgwasm::toolkit
