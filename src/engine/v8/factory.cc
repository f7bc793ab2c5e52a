// The entry of pg_wasm_v8.so (src/engine/v8_factory.h).
#include <cstring>
#include <string>
#include <type_traits>

#include "engine/v8_factory.h"
#include "toolkit/worker.h"

extern "C" __attribute__((visibility("default"))) pgwasm::engine::Engine *pgwasm_v8_make_engine(
    const char *interface_id, const pgwasm::engine::EngineConfig &config) {
  using pgwasm::engine::EngineError;
  if (std::strcmp(interface_id, PGWASM_ENGINE_INTERFACE_ID) != 0)
    throw EngineError(std::string(pgwasm::engine::kV8LibraryName) +
                      " was built from another version of pg_wasm than the library loading it; "
                      "install both from one build");
  // This library has its own copy of the toolkit, whose long work (reading
  // and rewriting large modules, on a thread of its own) must stop at the
  // host's cancel like the host's copy does: the host gives both the same
  // predicate.
  if (config.interrupt_requested) pgwasm::toolkit::set_interrupt_check(config.interrupt_requested);
  return pgwasm::engine::make_v8_engine(config).release();
}

// The declaration above must match what the loader looks up.
static_assert(std::is_same_v<decltype(pgwasm_v8_make_engine), pgwasm_v8_factory>);
