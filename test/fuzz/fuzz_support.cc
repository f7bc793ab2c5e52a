#include "fuzz/fuzz_support.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>

namespace pgwasm::fuzz {

using engine::Value;
using Clock = std::chrono::steady_clock;

void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "\n==pg_wasm fuzz== %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty())
    std::fprintf(stderr, "==pg_wasm fuzz== %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

Value zero_value(ValType type) {
  if (is_ref(type)) return Value::make_ref(type, {});
  Value v;
  v.type = type;  // bits are zero-initialised
  return v;
}

// ---------------------------------------------------------------------------
// The deadline, read by the engine's watchdog thread (hence an atomic).

static std::atomic<Clock::rep> g_deadline{Clock::time_point::max().time_since_epoch().count()};

bool past_deadline() {
  return Clock::now().time_since_epoch().count() >= g_deadline.load(std::memory_order_relaxed);
}

Deadline::Deadline(std::chrono::milliseconds budget) {
  g_deadline.store((Clock::now() + budget).time_since_epoch().count(), std::memory_order_relaxed);
}

Deadline::~Deadline() {
  g_deadline.store(Clock::time_point::max().time_since_epoch().count(), std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------

// Guests get at most 64 MiB of linear memory and the engine 256 MiB of heap,
// well inside libFuzzer's default RSS limit (2 GiB) with ASan's overhead.
static engine::EngineConfig engine_config() {
  engine::EngineConfig config;
  config.interrupt_requested = past_deadline;
  config.max_memory_pages = 1024;
  config.max_heap_bytes = size_t{256} << 20;
  // Liftoff by default: it compiles several times faster than TurboFan, and
  // what is fuzzed here is our code around the engine, not V8's compilers.
  // PGWASM_FUZZ_TIERING=optimizing|dynamic selects the others.
  config.tiering = engine::Tiering::Baseline;
  if (const char *t = std::getenv("PGWASM_FUZZ_TIERING")) {
    if (std::strcmp(t, "optimizing") == 0) config.tiering = engine::Tiering::Optimizing;
    if (std::strcmp(t, "dynamic") == 0) config.tiering = engine::Tiering::Dynamic;
  }
  return config;
}

Host &Host::get() {
  // Never destroyed: V8 must not be torn down by a static destructor at exit.
  static Host *host = new Host();
  return *host;
}

// V8's trap handler (guard pages around linear memory) installs
// its SIGSEGV handler without SA_ONSTACK, so a stack overflow anywhere in the
// process (deep recursion in wabt) kills it silently: the kernel cannot run
// the handler on the exhausted stack. Run it on the alternate signal stack
// ASan has set up: V8 passes faults outside guest code on to ASan's handler,
// which reports the overflow and lets libFuzzer keep the input.
static void handle_segv_on_alternate_stack() {
  struct sigaction action;
  if (sigaction(SIGSEGV, nullptr, &action) != 0) return;
  action.sa_flags |= SA_ONSTACK;
  sigaction(SIGSEGV, &action, nullptr);
}

Host::Host() : engine_(engine::make_v8_engine(engine_config())) {
  handle_segv_on_alternate_stack();
}

void Host::recycle_if_needed() {
  static constexpr size_t kMaxStubs = 4096;
  static constexpr size_t kMaxInputs = 2000;
  if (++inputs_ < kMaxInputs && stateless_.size() < kMaxStubs) return;
  stateless_.clear();  // they belong to the old engine: drop them first
  engine_.reset();
  engine_ = engine::make_v8_engine(engine_config());
  inputs_ = 0;
}

std::vector<std::shared_ptr<engine::Extern>> Host::stub_imports(
    const std::vector<ImportDesc> &imports) {
  std::vector<std::shared_ptr<engine::Extern>> out;
  for (const auto &imp : imports) {
    const ExternType &type = imp.type;
    if (const auto *mem = std::get_if<MemoryType>(&type)) {
      out.push_back(engine_->host_memory(*mem));
    } else if (const auto *table = std::get_if<TableType>(&type)) {
      out.push_back(engine_->host_table(*table));
    } else if (const auto *g = std::get_if<GlobalType>(&type); g && g->is_mutable) {
      out.push_back(engine_->host_global(*g, zero_value(g->type)));
    } else {
      std::string key = to_string(type);
      auto it = stateless_.find(key);
      if (it == stateless_.end()) {
        std::shared_ptr<engine::Extern> stub;
        if (const auto *f = std::get_if<FuncType>(&type)) {
          stub = engine_->host_function(
              *f, [](engine::HostCall &call, std::span<const Value>, std::span<Value>) {
                // Results are zeros already; look at the caller's memory as a
                // host function would.
                auto mem = call.memory();
                if (!mem.empty()) (void)*static_cast<volatile uint8_t *>(&mem.back());
              });
        } else {
          const auto &global = std::get<GlobalType>(type);
          stub = engine_->host_global(global, zero_value(global.type));
        }
        it = stateless_.emplace(std::move(key), std::move(stub)).first;
      }
      out.push_back(it->second);
    }
  }
  return out;
}

}  // namespace pgwasm::fuzz
