// Between pg_wasm.so and pg_wasm_v8.so: the one function the V8 library
// exports, which src/engine/v8_loader.cc finds with dlsym.
#pragma once

#include "engine/engine.h"

namespace pgwasm::engine {

inline constexpr char kV8LibraryName[] = "pg_wasm_v8.so";
inline constexpr char kV8FactorySymbol[] = "pgwasm_v8_make_engine";

}  // namespace pgwasm::engine

extern "C" {
// A new V8 engine, owned by the caller (a C name for dlsym, hence the raw
// pointer: the loader wraps it in a unique_ptr at once). `interface_id` is
// the caller's digest of the engine interface (PGWASM_ENGINE_INTERFACE_ID);
// the factory refuses another. Throws EngineError.
using pgwasm_v8_factory = pgwasm::engine::Engine *(const char *interface_id,
                                                   const pgwasm::engine::EngineConfig &config);
}
