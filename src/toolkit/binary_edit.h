// Small exact edits of a binary module, leaving every other byte as it was.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pgwasm::toolkit {

// The module with its imports renamed: import i gets names[i] (module,
// name). The module must be valid (read_module accepted it) and `names`
// must have one entry per import.
std::vector<uint8_t> rename_imports(std::span<const uint8_t> wasm,
                                    const std::vector<std::pair<std::string, std::string>> &names);

}  // namespace pgwasm::toolkit
