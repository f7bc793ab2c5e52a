// Process-wide V8 initialisation.
#pragma once

#include <string>

#include <v8.h>

#include "engine/engine.h"

namespace pgwasm::engine::v8impl {

// Initialises V8 once per process, on first use. Never call it in a process
// that will fork afterwards: the platform's worker threads do not survive
// fork (a PostgreSQL postmaster must not call it). Returns the V8 flags the
// first call's configuration set.
const std::string &ensure_v8_initialized(const EngineConfig &config);

// Runs the tasks V8 has posted for the isolate's own thread (finishing
// tier-up compilation, garbage collection steps), without waiting.
void run_foreground_tasks(v8::Isolate *isolate);

}  // namespace pgwasm::engine::v8impl
