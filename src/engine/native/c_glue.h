// The C that joins a module's wasm2c translation to the native engine: one
// entry point, `pgw_native_module_v1`, through which the engine
// instantiates, calls every function export with its arguments as 64-bit
// slots, reaches the memory and the instrumentation globals, and serves
// every imported function with one host dispatcher.
//
// Traps longjmp (wasm2c's runtime) only through generated C frames: each
// entry point sets its own jump target, saving the one before it, so calls
// nest, and returns the trap's code. A host function never unwinds through
// them: it returns nonzero, and its import makes the guest trap.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "toolkit/types.h"

namespace pgwasm::engine::native {

// Raised (as CompileError) for what this engine does not run yet; its host
// then runs the module on another engine.
struct Unsupported {
  std::string why;
};

// The name wasm2c gives the module (wasm2c -n).
inline constexpr std::string_view kModuleName = "m";

// The ABI version of the entry point, bumped when its layout changes.
inline constexpr int kGlueAbi = 3;

// wasm2c's name for `name` (its MangleName, wabt 1.0.32).
std::string mangle(std::string_view name);

// The glue for a module described by `info` (the module as translated:
// instrumented), or Unsupported.
std::string c_glue(const ModuleInfo &info);

// wasm2c's C with its stack-depth prologue replaced by a check of the
// machine stack against the limit the host sets (a count of frames says
// nothing of how deep the C stack really is).
std::string with_stack_check(std::string generated_c);

}  // namespace pgwasm::engine::native
