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

#include "toolkit/binary_edit.h"
#include "toolkit/types.h"

namespace pgwasm::engine::native {

// Raised (as CompileError) for what this engine does not run yet; its host
// then runs the module on another engine.
struct Unsupported {
  std::string why;
};

// The name wasm2c gives the module (wasm2c -n).
inline constexpr std::string_view kModuleName = "m";

// The module every import is renamed into (generated_names).
inline constexpr std::string_view kImportModuleName = "h";

// The ABI version of the entry point, bumped when its layout or the way
// objects are built changes (it is part of every build's cache key).
inline constexpr int kGlueAbi = 5;

// wasm2c's name for `name` (its MangleName, wabt 1.0.32).
std::string mangle(std::string_view name);

// The names a module's imports and exports have in the copy of it that
// wasm2c translates (toolkit::replace_names): import i is ("h", "i<i>"),
// export e is "e<e>". No name of the module's own reaches generated C.
toolkit::ModuleNames generated_names(const ModuleInfo &info);

// The glue for a module described by `info` (the module as translated:
// instrumented, with its own names: the glue uses generated_names), or
// Unsupported.
std::string c_glue(const ModuleInfo &info);

// The trap code (beyond wasm_rt_trap_t's) of an allocation that failed.
inline constexpr int kTrapOutOfMemory = 100;

// The C of wasm2c's runtime as the engine builds it: wasm-rt-impl.c, its
// allocations checked (they trap with kTrapOutOfMemory).
std::string runtime_source();

// wasm2c's C with its stack-depth prologue replaced by a check of the
// machine stack against the limit the host sets (a count of frames says
// nothing of how deep the C stack really is).
std::string with_stack_check(std::string generated_c);

}  // namespace pgwasm::engine::native
