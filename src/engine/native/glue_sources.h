// The C the native engine writes beside wasm2c's, kept as C files in this
// folder and embedded at build time (cmake/EmbedText.cmake): the prelude of
// every module's glue (glue_prelude.c.in) and wasm2c's runtime with its
// allocations checked (glue_runtime.c.in).
#pragma once

#include <string_view>

namespace pgwasm::engine::native {

extern const std::string_view kGluePreludeC;
// Its trap code is the placeholder PGW_TRAP_OUT_OF_MEMORY (runtime_source).
extern const std::string_view kGlueRuntimeC;

}  // namespace pgwasm::engine::native
