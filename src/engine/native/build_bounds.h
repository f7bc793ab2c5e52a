// What the native engine will not try to build: modules whose C a compiler
// would take minutes or gigabytes over. Such a module stays on V8, which
// compiles it in linear time (docs/native-engine.md, "Bounds on builds").
// A build that gets past this estimate is still bounded by its tools'
// limits on memory, time and file size (NativeToolchain).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "toolkit/shape.h"

namespace pgwasm::engine::native {

// Measured with gcc 12 -O2 on wasm2c 1.0.32's output (two cores): a function
// of 10,000 if/else (20,000 branches) took 576 s and -O1 72 s: time grows
// with the square of one function's branches, so 4,000 take about 20 s.
// br_table targets become switch cases, linear: 400,000 took 8 s and
// 670 MB. Data segments become C initialisers at 160 MB of compiler memory
// per MB: 16 MB took 38 s and 2.6 GB.
inline constexpr uint32_t kMaxFunctionBranches = 4'000;  // br, br_if, if, else
inline constexpr uint64_t kMaxModuleBranches = 200'000;
inline constexpr uint64_t kMaxTableTargets = 1'000'000;
inline constexpr uint64_t kMaxDataBytes = uint64_t{8} << 20;
inline constexpr uint64_t kMaxCodeBytes = uint64_t{16} << 20;

// Why the module is too costly to build, or cannot be (SIMD), or nothing.
std::optional<std::string> build_refusal(const toolkit::ModuleShape &shape);

}  // namespace pgwasm::engine::native
