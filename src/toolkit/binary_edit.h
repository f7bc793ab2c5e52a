// Small exact edits of a binary module, leaving every other byte as it was.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "toolkit/shape.h"

namespace pgwasm::toolkit {

// The module with its imports renamed: import i gets names[i] (module,
// name). The module must be valid (read_module accepted it) and `names`
// must have one entry per import.
std::vector<uint8_t> rename_imports(std::span<const uint8_t> wasm,
                                    const std::vector<std::pair<std::string, std::string>> &names);

// What replace_names gives a module: a name per import (module, field) and
// per export, in the module's order.
struct ModuleNames {
  std::vector<std::pair<std::string, std::string>> imports;
  std::vector<std::string> exports;
};

// The module with no text of its own left in it: every custom section (the
// name section among them) dropped, and every import and export renamed
// from `names`. What compiles a module into source code of another language
// (the native engine's wasm2c) is given this, so that no byte the module
// chose can reach that source (docs/safety.md). The module must be valid
// and `names` must have one entry per import and export.
std::vector<uint8_t> replace_names(std::span<const uint8_t> wasm, const ModuleNames &names);

// The module without its start section, its start function exported as
// `name` instead: the host calls it right after instantiating, when the
// instance's exports (its memory) exist, so that host functions the start
// function calls can reach them. The module must be valid and have a start
// section (ModuleShape::start_function).
std::vector<uint8_t> export_start_function(std::span<const uint8_t> wasm, std::string_view name);

// The module with every memory.grow bounded by a mutable i32 global of
// pages, exported as `max_pages_export` and initially 65536: memory.grow
// becomes a call to an added function that returns -1 (as memory.grow does
// at its limit) when the memory would grow past the global. `shape` is the
// module's (scan_module), which has memory.grow instructions. A byte-level
// edit: every other byte of every function stays as it was, and the cost
// is a copy.
std::vector<uint8_t> bound_memory_grow(std::span<const uint8_t> wasm, const ModuleShape &shape,
                                       std::string_view max_pages_export);

}  // namespace pgwasm::toolkit
