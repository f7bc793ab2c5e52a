// Reading a .wast script with wabt's script parser (wabt::ParseWastScript).
#pragma once

#include <filesystem>

#include "spec/script.h"

namespace pgwasm::spec {

// Parses the script and turns its commands into the runner's terms: text
// modules are encoded to binaries here, quoted modules are kept as text for
// the runner to parse, module names are resolved to command indexes. Throws
// std::runtime_error with the parser's first errors.
Script read_wast(const std::filesystem::path &path);

}  // namespace pgwasm::spec
