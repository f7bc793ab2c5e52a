// Small exact edits of a binary module, leaving every other byte as it was.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgwasm::toolkit {

// The module with its imports renamed: import i gets names[i] (module,
// name). The module must be valid (read_module accepted it) and `names`
// must have one entry per import.
std::vector<uint8_t> rename_imports(std::span<const uint8_t> wasm,
                                    const std::vector<std::pair<std::string, std::string>> &names);

// The module without its start section, its start function exported as
// `name` instead: the host calls it right after instantiating, when the
// instance's exports (its memory) exist, so that host functions the start
// function calls can reach them. The module must be valid and have a start
// section (ModuleShape::start_function).
std::vector<uint8_t> export_start_function(std::span<const uint8_t> wasm, std::string_view name);

}  // namespace pgwasm::toolkit
