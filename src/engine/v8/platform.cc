#include "engine/v8/platform.h"

#include <csignal>
#include <memory>
#include <mutex>
#include <pthread.h>

#include <libplatform/libplatform.h>
#include <v8.h>

namespace pgwasm::engine::v8impl {

// Flags, chosen by measurement (docs/benchmarks.md):
// --no-liftoff: compile with TurboFan only. Modules are compiled once per
//   backend and cached, and SQL functions are called millions of times, so
//   the optimising tier pays for itself at once; Liftoff then tier-up ran a
//   recursive fib(32) 3x slower while the tier-up happened.
// --no-wasm-async-compilation: we only compile synchronously.
static constexpr char kFlags[] = "--no-liftoff --no-wasm-async-compilation";

// Background threads for TurboFan and the GC. Each backend gets its own, so
// keep the pool small.
static constexpr int kWorkerThreads = 2;

void ensure_v8_initialized() {
  static std::once_flag once;
  static std::unique_ptr<v8::Platform> platform;
  std::call_once(once, [] {
    v8::V8::SetFlagsFromString(kFlags);
    // Worker threads inherit this mask: the host's signals (PostgreSQL's
    // cancel, timeout and shutdown signals) keep going to the host thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    platform = v8::platform::NewDefaultPlatform(kWorkerThreads);
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // Guard pages instead of explicit bounds checks on memory accesses. V8
    // installs a SIGSEGV handler that turns faults in guest code into traps
    // and passes every other fault on; PostgreSQL does not use SIGSEGV.
    v8::V8::EnableWebAssemblyTrapHandler(/*use_v8_signal_handler=*/true);
  });
}

}  // namespace pgwasm::engine::v8impl
