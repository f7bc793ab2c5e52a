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

// Measured with gcc 12 on wasm2c 1.0.32's output (two cores): a function
// of 10,000 if/else (20,000 branches) took 576 s at -O2 and 72 s at -O1:
// time grows with the square of one function's branches. A build compiles
// such functions at a lower level (c_glue.h's SplitPolicy): at -O0, linear,
// 50,000 branches took 10 s and 740 MB, within one compiler's share of the
// build's memory (build.h's kMinJobMemory). br_table targets become switch
// cases, linear: 400,000 took 8 s and 670 MB. The module's C is split into
// units compiled in parallel: time grows with its code, about 2.5 s of CPU
// per MB of C at -O2 on an idle machine, which wasm2c makes 14 times larger
// than the code (a componentize-js module: 9 MB of code, 466,000 branches,
// 129 MB of C). Data segments, C initialisers, are a unit of their own at
// -O0: 3.2 MB took 3.5 s and 160 MB (at -O2 in one file, 16 MB took 38 s
// and 2.6 GB).
inline constexpr uint32_t kMaxFunctionBranches = 50'000;  // br, br_if, if, else
inline constexpr uint64_t kMaxModuleBranches = 1'000'000;
inline constexpr uint64_t kMaxTableTargets = 1'000'000;
inline constexpr uint64_t kMaxDataBytes = uint64_t{8} << 20;
inline constexpr uint64_t kMaxCodeBytes = uint64_t{16} << 20;

// Why the module is too costly to build, or cannot be (SIMD), or nothing.
std::optional<std::string> build_refusal(const toolkit::ModuleShape &shape);

}  // namespace pgwasm::engine::native
