// Process-wide V8 initialisation.
#pragma once

#include "engine/engine.h"

namespace pgwasm::engine::v8impl {

// Initialises V8 once per process, on first use. Never call it in a process
// that will fork afterwards: the platform's worker threads do not survive
// fork (a PostgreSQL postmaster must not call it).
void ensure_v8_initialized(const EngineConfig &config);

}  // namespace pgwasm::engine::v8impl
