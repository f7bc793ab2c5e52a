#include "engine/v8/platform.h"

#include <pthread.h>
#include <csignal>
#include <memory>
#include <mutex>
#include <string>

#include <libplatform/libplatform.h>
#include <v8.h>

namespace pgwasm::engine::v8impl {

// The default, Tiering::Optimizing, was chosen by measurement
// (docs/benchmarks.md): modules are compiled once per backend and cached,
// and SQL functions run millions of times, so TurboFan pays for itself at
// once. Liftoff alone ran collatz 1.28x slower; dynamic tiering matched
// TurboFan on loops but ran a recursive fib(32) 3x slower than TurboFan, and
// slower than Liftoff alone, on every call (V8 10.2's tier-up never paid
// off there, in PostgreSQL or standalone).
static const char *tiering_flags(Tiering t) {
  switch (t) {
    case Tiering::Optimizing: return "--no-liftoff --no-wasm-tier-up";
    case Tiering::Baseline: return "--liftoff --no-wasm-tier-up --no-wasm-dynamic-tiering";
    case Tiering::Dynamic: return "--liftoff --wasm-tier-up --wasm-dynamic-tiering";
  }
  return "";
}

// Background threads for TurboFan and the GC. Each backend gets its own, so
// keep the pool small.
static constexpr int kWorkerThreads = 2;

static v8::Platform *g_platform = nullptr;

void run_foreground_tasks(v8::Isolate *isolate) {
  while (v8::platform::PumpMessageLoop(g_platform, isolate,
                                       v8::platform::MessageLoopBehavior::kDoNotWait)) {
  }
}

const std::string &ensure_v8_initialized(const EngineConfig &config) {
  static std::once_flag once;
  static std::string flags;
  std::call_once(once, [&config] {
    // We only compile synchronously. Functions are compiled at their first
    // call, so that a module's size costs nothing per session beyond
    // decoding and validating it (V8Engine::compile compiles modules that
    // TurboFan could not take eagerly with Liftoff instead). V8 10.2 also
    // accepts threads and exception handling by default: WebAssembly 2.0
    // has neither.
    flags =
        "--no-wasm-async-compilation --wasm-lazy-compilation "
        "--no-experimental-wasm-threads --no-experimental-wasm-eh ";
    flags += tiering_flags(config.tiering);
    if (config.max_table_entries > 0)
      flags += " --wasm-max-table-size=" + std::to_string(config.max_table_entries);
    if (config.max_memory_pages > 0)
      flags += " --wasm-max-mem-pages=" + std::to_string(config.max_memory_pages);
    v8::V8::SetFlagsFromString(flags.c_str());
    // Worker threads inherit this mask: the host's signals (PostgreSQL's
    // cancel, timeout and shutdown signals) keep going to the host thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    // Never destroyed: no static destructor may tear V8 down at exit while
    // its threads run.
    g_platform = v8::platform::NewDefaultPlatform(kWorkerThreads).release();
    v8::V8::InitializePlatform(g_platform);
    v8::V8::Initialize();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // Guard pages instead of explicit bounds checks on memory accesses. V8
    // installs a SIGSEGV handler that turns faults in guest code into traps
    // and passes every other fault on; PostgreSQL does not use SIGSEGV.
    v8::V8::EnableWebAssemblyTrapHandler(/*use_v8_signal_handler=*/true);
  });
  return flags;
}

}  // namespace pgwasm::engine::v8impl
