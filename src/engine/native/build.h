// Building a module's shared object: wasm2c translates it, the system C
// compiler compiles the translation, the glue (c_glue.h) and wasm2c's
// runtime into it. Both tools run as child processes with a time and memory
// limit, can be stopped, and write only in a directory of their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/native/c_glue.h"
#include "toolkit/types.h"

namespace pgwasm::engine::native {

using Toolchain = NativeToolchain;

// Whether the tools are there.
bool toolchain_available(const Toolchain &toolchain);

// What identifies the tools and flags an artifact was built with (for a
// cache key): the compiler's first --version line, the flags, wasm2c's
// version, and the glue's ABI. Asked of the tools once while their files
// stay the same, and kept in `cache_dir`.
std::string toolchain_id(const Toolchain &toolchain, const std::string &cache_dir);

// The file name of wasm2c's runtime built with `toolchain` (whose
// toolchain_id is given): a shared object every module's links to.
std::string runtime_name(const Toolchain &toolchain, const std::string &toolchain_id);

// A build that failed, with the tool's last words.
class BuildError : public CompileError {
 public:
  using CompileError::CompileError;
};

// The least memory (address space) each compiler process of a build gets:
// a build of N processes at once needs N times this of the toolchain's
// memory_bytes, which bounds the whole build.
inline constexpr uint64_t kMinJobMemory = uint64_t{768} << 20;

// Writes the C of `wasm` (described by `info`; the module as it will run)
// into `dir`: module.c and module.h from wasm2c, given a copy of the module
// whose names are all generated, and glue.c; then module.c split into the
// units it returns (their sources not kept in memory) and the shared header
// (split_translation). Each file is checked to hold nothing the build did
// not generate (source_check.h). Throws BuildError, or Unsupported as
// CompileError.
std::vector<TranslationUnit> translate(std::span<const uint8_t> wasm, const ModuleInfo &info,
                                       const std::string &dir, const Toolchain &toolchain,
                                       const std::function<bool()> &should_stop);

// Builds `wasm` (described by `info`; it is the module as it will run,
// instrumented) into the shared object `out_path`: its units compiled in
// parallel child processes (build_jobs: cores and memory), then linked, replaced atomically and
// sealed (artifact_cache.h), linked to the runtime at `runtime_path` (built
// first if it is missing or damaged), which must be in the directory above
// `out_path`'s. `work_dir` must exist; the build uses a fresh directory
// inside it and removes it. Throws BuildError, Unsupported (c_glue.h) as
// CompileError, or Interrupted when `should_stop` says so.
void build_shared_object(std::span<const uint8_t> wasm, const ModuleInfo &info,
                         const std::string &work_dir, const std::string &out_path,
                         const std::string &runtime_path, const Toolchain &toolchain,
                         const std::function<bool()> &should_stop);

}  // namespace pgwasm::engine::native
