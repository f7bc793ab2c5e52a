// The WebAssembly text format (wabt underneath).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "toolkit/errors.h"

namespace pgwasm::toolkit {

// Parses and validates a module in the text format and returns its binary.
// Throws TextError with the line and column of the first problem, and whether
// the text could not be parsed (malformed) or the module broke the
// validation rules (invalid).
std::vector<uint8_t> assemble_wat(std::string_view wat);

// True when the bytes start with the binary module magic "\0asm".
bool looks_like_binary(std::span<const uint8_t> bytes);

}  // namespace pgwasm::toolkit
