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

#include <cstdint>
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
inline constexpr int kGlueAbi = 6;

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

// wasm2c's module.c split into translation units that a build compiles in
// parallel (docs/native-engine.md, "Split builds"): one header that every
// unit includes (wasm2c's helpers, the declarations of every function and
// of what function bodies share), units of function bodies, one of the data
// segments, and the main one (initialisation and exports); a module whose
// bodies and data fit in one unit, none of them costly, is all in the main
// one. What was static and shared across units becomes global (the build
// hides it with -fvisibility=hidden).
struct TranslationUnit {
  std::string name;  // its file name: "module_main.c", "module_f3.c"
  std::string source;
  int optimization = 2;  // its -O level
  uint64_t bytes = 0;    // of function bodies in it
};

struct SplitTranslation {
  std::string shared;  // "module_shared.h"
  std::vector<TranslationUnit> units;
};

// How function bodies are spread over units. A C compiler's time over one
// function grows with the square of its branches at -O1 and -O2: functions
// with more go into units built at a lower level.
struct SplitPolicy {
  uint64_t unit_bytes = uint64_t{3} << 20;  // of C at -O2; twice as much at -O1, 4 times at -O0
  uint32_t o1_branches = 1'500;             // more: -O1
  uint32_t o0_branches = 6'000;             // more: -O0
};

// The shared header's name, which every unit includes.
inline constexpr std::string_view kSharedHeader = "module_shared.h";

// The branches of one function's C as split_translation counts them
// (gotos and ifs).
uint32_t c_branches(std::string_view body);

// Splits `module_c` (wasm2c 1.0.32's module.c, adapted: with_stack_check),
// or throws std::runtime_error if its layout is not the one expected.
SplitTranslation split_translation(std::string_view module_c, const SplitPolicy &policy);

}  // namespace pgwasm::engine::native
