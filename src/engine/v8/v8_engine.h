// The V8 implementation of the engine interface.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <v8.h>

#include "engine/engine.h"
#include "engine/v8/platform.h"
#include "engine/watchdog.h"

namespace pgwasm::engine::v8impl {

class V8Instance;
class V8Engine;

v8::Local<v8::String> js_string(v8::Isolate *iso, std::string_view s);

// Compiles a binary module with V8 alone. Throws CompileError.
v8::Local<v8::WasmModuleObject> compile_v8(v8::Isolate *iso, std::span<const uint8_t> wasm);

struct HostFunctionData {
  V8Engine *engine;
  FuncType type;
  HostCallback callback;
};

class V8Engine final : public Engine {
 public:
  explicit V8Engine(const EngineConfig &config);
  ~V8Engine() override;

  std::shared_ptr<const Module> compile(std::span<const uint8_t> wasm,
                                        const CompileOptions &options) override;
  std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module,
                                        std::span<const std::shared_ptr<Extern>> imports,
                                        const CallBounds &bounds) override;
  std::shared_ptr<Extern> host_function(FuncType type, HostCallback callback) override;
  std::shared_ptr<Extern> host_global(GlobalType type, const Value &initial) override;
  std::shared_ptr<Extern> host_memory(MemoryType type) override;
  std::shared_ptr<Extern> host_table(TableType type) override;
  std::optional<std::string> validate(std::span<const uint8_t> wasm) override;
  void set_stack_limit(uintptr_t lowest_address) override;
  void collect_garbage() override;
  std::string version() const override;
  void save_compiled(const Module &module, ArtifactStore &store) override;

  // What compile() did, for tests: a module prepared (described and
  // rewritten) or taken from the store's prepared entry, compiled from its
  // bytes or from the store's compiled code, and code entries saved.
  struct Counters {
    uint64_t prepares = 0, prep_hits = 0, compiles = 0, code_hits = 0, code_saves = 0;
  };
  const Counters &counters() const { return counters_; }
  // The size of V8's code of the module save_compiled would keep: 0 until
  // some function is compiled with TurboFan.
  size_t compiled_code_size(const Module &module);

  v8::Isolate *isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }

  // Runs `fn` as guest code on behalf of `instance` (null while
  // instantiating): watched by the watchdog, with host-function errors and
  // traps turned into C++ exceptions. The caller provides the HandleScope.
  template <typename Fn>
  v8::Local<v8::Value> run_guest(V8Instance *instance, Fn &&fn);

  // JS <-> Value, for host functions and reference values.
  v8::Local<v8::Value> to_js(const Value &v);
  Value from_js(ValType type, v8::Local<v8::Value> js);

  V8Instance *current_instance() const { return current_; }
  static bool instance_needs_liftoff(const V8Instance &instance);
  void set_liftoff_everywhere() { liftoff_everywhere_ = true; }
  void set_pending_host_error(std::exception_ptr e) { pending_host_error_ = std::move(e); }

 private:
  [[noreturn]] void rethrow_failure(v8::TryCatch &tc);
  // Whether functions V8 compiles at their first call are compiled with
  // Liftoff (see run_guest).
  void use_liftoff(bool on);
  class NormalFlags;
  // The store's key for V8's code of a module compiled with `options`.
  std::string code_key(const CompileOptions &options) const;
  v8::Local<v8::WasmModuleObject> compile_with_code(std::span<const uint8_t> wire,
                                                    std::span<const uint8_t> code,
                                                    bool &deserialized);
  static void on_wasm_streaming(const v8::FunctionCallbackInfo<v8::Value> &info);
  // The isolate's data slot that points to its engine.
  static constexpr uint32_t kEngineSlot = 0;
  // The compile on_wasm_streaming serves.
  struct StreamedCompile {
    std::span<const uint8_t> wire;
    std::span<const uint8_t> code;
    bool accepted = false;                              // V8 took the code as its own version's
    bool compiled = false;                              // V8 compiled the wire bytes instead
    std::shared_ptr<v8::WasmStreaming::Client> client;  // sets `compiled`
  };
  StreamedCompile *stream_ = nullptr;
  static void on_interrupt(v8::Isolate *isolate, void *engine);
  static size_t on_near_heap_limit(void *engine, size_t current_limit, size_t initial_limit);
  void restore_heap_limit();
  v8::Local<v8::Object> new_instance(v8::Local<v8::WasmModuleObject> module,
                                     v8::Local<v8::Object> imports, V8Instance *owner);
  // new WebAssembly.<name>(...args); throws LinkError if it throws.
  v8::Local<v8::Object> construct(std::string_view name, std::span<v8::Local<v8::Value>> args);

  Tiering tiering_;
  // The V8 flags this engine's configuration sets (platform.cc).
  std::string flags_;
  Counters counters_;
  // V8's own limit on a table's entries (kV8MaxWasmTableSize), where the
  // host sets none.
  static constexpr uint32_t kV8MaxTableEntries = 10'000'000;
  uint32_t max_table_entries_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate *isolate_ = nullptr;
  // A HandleScope open for the engine's life, so that each call's own scope
  // finds a handle block ready instead of allocating and freeing one. Only
  // the calls' scopes ever allocate handles while it is innermost.
  alignas(v8::HandleScope) unsigned char base_scope_[sizeof(v8::HandleScope)];
  v8::Global<v8::Context> context_;
  v8::Global<v8::Object> wasm_namespace_;          // WebAssembly
  v8::Global<v8::Function> instance_constructor_;  // WebAssembly.Instance
  v8::Global<v8::Function> compile_streaming_;     // WebAssembly.compileStreaming
  std::unique_ptr<Watchdog> watchdog_;
  V8Instance *current_ = nullptr;
  bool terminating_ = false;  // set by on_interrupt or on_near_heap_limit
  bool heap_exhausted_ = false;
  bool heap_limit_raised_ = false;
  size_t initial_heap_limit_ = 0;
  uint32_t guest_depth_ = 0;
  // --liftoff is set (use_liftoff); and every guest needs it: an instance
  // that does shares a table or a global with others.
  bool liftoff_now_ = false;
  bool liftoff_everywhere_ = false;
  // V8 posts some work (installing tier-up code, GC steps) for this thread
  // to run; we run it every so many calls, which costs nothing per call.
  static constexpr uint32_t kCallsPerTaskRun = 256;
  uint32_t calls_since_tasks_ = 0;
  std::exception_ptr pending_host_error_;
  // Function references the host was given (func_ref_id).
  struct FuncRefSlot {
    v8::Global<v8::Value> handle;  // weak
    uint32_t generation = 0;
  };
  uint64_t func_ref_id(v8::Local<v8::Value> fn);
  v8::Local<v8::Value> func_ref(uint64_t id);
  std::vector<FuncRefSlot> func_refs_;
  std::vector<std::unique_ptr<HostFunctionData>> host_functions_;
};

template <typename Fn>
v8::Local<v8::Value> V8Engine::run_guest(V8Instance *instance, Fn &&fn) {
  // The functions of a module TurboFan could take too long on are compiled
  // with Liftoff at their first call: the flag is set while such a guest
  // runs, and stays set until a guest that does not need it runs
  // outermost, so that calls into one module in a row change nothing.
  bool liftoff = liftoff_everywhere_ || (instance && instance_needs_liftoff(*instance));
  if (liftoff != liftoff_now_ && (liftoff || guest_depth_ == 0)) use_liftoff(liftoff);
  if (guest_depth_ == 0) {
    if (heap_limit_raised_) restore_heap_limit();
    if (++calls_since_tasks_ == kCallsPerTaskRun) {
      calls_since_tasks_ = 0;
      run_foreground_tasks(isolate_);
    }
  }
  v8::TryCatch tc(isolate_);
  V8Instance *outer = current_;
  current_ = instance;
  guest_depth_++;
  if (watchdog_) watchdog_->call_started();
  v8::MaybeLocal<v8::Value> result = fn();
  if (watchdog_) watchdog_->call_finished();
  guest_depth_--;
  current_ = outer;
  // V8 10.2 can return a value from WebAssembly.Instance while a trap in the
  // start function is pending, hence HasCaught too.
  bool failed = result.IsEmpty() || tc.HasCaught();
  if (terminating_) {
    // One of our hooks asked for termination; whether or not it struck,
    // withdraw it so that it cannot hit a later call.
    terminating_ = false;
    bool terminated = failed && tc.HasTerminated();
    isolate_->CancelTerminateExecution();
    if (heap_exhausted_) {
      // Even if the call got to its end: what it allocated must go.
      heap_exhausted_ = false;
      throw Trap(Trap::Kind::HeapExhausted, "the engine's heap is exhausted");
    }
    if (terminated) throw Interrupted();
  }
  if (failed) rethrow_failure(tc);
  return result.ToLocalChecked();
}

}  // namespace pgwasm::engine::v8impl
