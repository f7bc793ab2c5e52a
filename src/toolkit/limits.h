// The bounds the toolkit puts on a module before any other work on it.
//
// Every count, size and depth a module's author controls, that the toolkit,
// an engine or a host would spend time, memory or machine stack on, is
// bounded here and checked first, by one pass that neither recurses nor
// allocates per item (shape.h). A module beyond a bound is refused with an
// error naming the bound. The values leave real code far inside them: the
// largest modules we know of (whole databases, language runtimes compiled
// to Wasm) have tens of thousands of functions, and compilers nest blocks a
// few hundred deep (a switch becomes one block per case).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgwasm::toolkit {

// The version of the rules a module is read and validated by (these bounds,
// the features accepted): a reading kept from another version is not used
// (docs/engines.md, "Shared caches"). Bump it with any change to them.
inline constexpr uint32_t kReadingRules = 1;

}  // namespace pgwasm::toolkit

namespace pgwasm::toolkit::limits {

// A binary module, and a module in the text format (text is several times
// larger than the binary it makes).
inline constexpr size_t kModuleBytes = size_t{64} << 20;
inline constexpr size_t kTextBytes = size_t{256} << 20;

// Blocks, loops, ifs and trys open at once in one function; in the text
// format, parentheses open at once plus blocks in the flat syntax. wabt's
// parser, IR and writer recurse once per level.
inline constexpr uint32_t kNestingDepth = 10'000;

// Functions (defined and imported), and the size of one function's body.
// The first bounds what an engine builds per function at every compile (in
// every session); the second is V8's own limit.
inline constexpr uint32_t kFunctions = 200'000;
inline constexpr uint32_t kFunctionBodyBytes = 7'654'321;

// One function's locals (V8's own limit), imports and exports (the host
// builds a trampoline over every function and global export).
inline constexpr uint32_t kLocals = 50'000;
inline constexpr uint32_t kImports = 50'000;
inline constexpr uint32_t kExports = 50'000;

}  // namespace pgwasm::toolkit::limits
