// What the host does with a module's bytes, checked at each step: decode and
// validate (read_module), constant globals, the toolkit's rewrites
// (passes.cc), then the engine: compile, instantiate with stub imports, read
// every export and call the function exports with zeros, guest code always
// under a short deadline. Shared by the targets that make modules.
#pragma once

#include <cstdint>
#include <span>

namespace pgwasm::fuzz {

// Bytes that read_module refuses end the run quietly, unless they had to be a
// valid module (made by the toolkit itself): then it is a failure.
enum class Origin { Untrusted, Toolkit };

void run_module_pipeline(std::span<const uint8_t> wasm, Origin origin);

}  // namespace pgwasm::fuzz
