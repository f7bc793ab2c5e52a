// Turning a V8 exception thrown by guest code into an engine error.
#pragma once

#include <string>

#include <v8.h>

namespace pgwasm::engine::v8impl {

// The exception's message, e.g. "CompileError: WebAssembly.Module(): ...".
std::string exception_message(v8::Isolate *iso, const v8::TryCatch &tc);

// Throws the Trap, LinkError or EngineError that the caught exception means.
[[noreturn]] void throw_guest_failure(v8::Isolate *iso, const v8::TryCatch &tc);

}  // namespace pgwasm::engine::v8impl
