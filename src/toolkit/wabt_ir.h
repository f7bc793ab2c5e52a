// wabt's IR of a binary module, for the toolkit's passes (internal).
#pragma once

#include <cstdint>
#include <span>

#include "toolkit/errors.h"
#include "wabt/ir.h"

namespace pgwasm::toolkit {

// Reads a module within limits.h (scan_module has passed: the IR recurses
// once per nested block) into `module`, and validates it against
// WebAssembly 2.0. Throws BinaryError (malformed or invalid) at the first
// problem.
void read_valid_ir(std::span<const uint8_t> wasm, wabt::Module &module);

}  // namespace pgwasm::toolkit
