// A binary module read in one pass that enforces limits.h: its imports and
// exports, its counts, sizes and nesting, and what its functions would cost
// a compiler.
//
// The pass neither recurses nor builds an IR (wabt's binary reader calls
// back for each item), so it is safe on any input and costs little per
// function. It checks the module's structure, not what its instructions do:
// read_module (binary.h) validates.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "toolkit/errors.h"
#include "toolkit/types.h"

namespace pgwasm::toolkit {

// One defined function, for a compiler's cost estimate.
struct FunctionShape {
  uint32_t body_offset = 0;  // where its body (locals, then code) starts in the module
  uint32_t body_bytes = 0;
  uint32_t locals = 0;         // parameters and declared locals
  uint32_t branches = 0;       // br, br_if, br_table targets, if, else: control-flow merges
  uint32_t table_targets = 0;  // of those, br_table targets (a C compiler's switch cases)
};

struct ModuleShape {
  uint32_t functions = 0;  // imported and defined
  uint32_t max_nesting = 0;
  std::vector<FunctionShape> defined;  // in the code section's order
  std::optional<uint32_t> start_function;
  bool grows_memory = false;  // has a memory.grow instruction
  bool grows_tables = false;  // has a table.grow instruction
  bool uses_simd = false;     // a SIMD instruction, or a v128 value in a function
  uint64_t data_bytes = 0;    // in data segments
  // Where each memory.grow instruction (0x40 0x00) starts, in order.
  std::vector<uint32_t> memory_grow_sites;
  // Index space sizes: types, imported functions, globals (imported and
  // defined).
  uint32_t types = 0;
  uint32_t imported_functions = 0;
  uint32_t globals = 0;
};

// The bits of a global's value, little-endian as in linear memory.
using ValueBits = std::array<uint8_t, 16>;

struct ModuleScan {
  ModuleInfo info;
  ModuleShape shape;
  // Per export: the bits of a global the module defines with one constant
  // (i32.const, ..., v128.const), else nothing.
  std::vector<std::optional<ValueBits>> constant_globals;
};

// Throws BinaryError at the first byte that cannot be read (malformed), at
// the first count, size or depth beyond limits.h (malformed, the message
// naming the limit), or at an export of something that does not exist or a
// type the toolkit does not know (invalid).
ModuleScan scan_module(std::span<const uint8_t> wasm);

}  // namespace pgwasm::toolkit
