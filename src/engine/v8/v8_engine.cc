// The V8 engine object: its isolate and context for the engine's life, its
// limits (the heap, the stack, the room V8 needs) and the watchdog's
// interrupts. Compiling, instantiating, calls and values crossing into JS
// are in v8_compile.cc, v8_instantiate.cc, v8_calls.cc and js_values.cc.
#include "engine/v8/v8_engine.h"

#include <sys/mman.h>

#include <new>
#include <string>

#include "engine/v8/platform.h"
#include "engine/v8/traps.h"
#include "engine/v8/v8_instance.h"

namespace pgwasm::engine::v8impl {

v8::Local<v8::String> js_string(v8::Isolate *iso, std::string_view s) {
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

void need_room(uint64_t bytes, const std::string &what) {
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Trap(Trap::Kind::OutOfMemory,
               "Out of memory: no room for " + what + " (" + std::to_string(bytes >> 20) + " MB)");
  munmap(p, bytes);
}

V8Engine::V8Engine(const EngineConfig &config)
    : tiering_(config.tiering),
      max_table_entries_(config.max_table_entries > 0 ? config.max_table_entries
                                                      : kV8MaxTableEntries) {
  need_room(kEngineRoom, "the V8 engine to start");
  flags_ = ensure_v8_initialized(config);
  allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  if (config.max_heap_bytes > 0)
    params.constraints.ConfigureDefaultsFromHeapSize(0, config.max_heap_bytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->SetData(kEngineSlot, this);
  // Before the context exists, so that it has WebAssembly.compileStreaming:
  // the way back from V8's serialized code (compile_with_code).
  isolate_->SetWasmStreamingCallback(&V8Engine::on_wasm_streaming);
  isolate_->AddNearHeapLimitCallback(&V8Engine::on_near_heap_limit, this);
  // The isolate and its context stay entered for the engine's life: entering
  // them per call costs more than the call itself.
  isolate_->Enter();
  ::new (base_scope_) v8::HandleScope(isolate_);
  // One handle in it makes V8 give the base scope its block of handles.
  (void)v8::Integer::New(isolate_, 0);
  isolate_->SetCaptureStackTraceForUncaughtExceptions(true, 16);
  // Guest code queues no microtasks; do not look for any after each call.
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> ctx = v8::Context::New(isolate_);
  ctx->Enter();
  context_.Reset(isolate_, ctx);
  auto wasm_ns = ctx->Global()->Get(ctx, js_string(isolate_, "WebAssembly")).ToLocalChecked();
  wasm_namespace_.Reset(isolate_, wasm_ns.As<v8::Object>());
  auto ctor = wasm_ns.As<v8::Object>()->Get(ctx, js_string(isolate_, "Instance")).ToLocalChecked();
  instance_constructor_.Reset(isolate_, ctor.As<v8::Function>());
  auto streaming =
      wasm_ns.As<v8::Object>()->Get(ctx, js_string(isolate_, "compileStreaming")).ToLocalChecked();
  compile_streaming_.Reset(isolate_, streaming.As<v8::Function>());
  if (config.interrupt_requested) {
    watchdog_ = std::make_unique<Watchdog>(config.interrupt_requested, [this] {
      isolate_->RequestInterrupt(&V8Engine::on_interrupt, this);
    });
  }
}

V8Engine::~V8Engine() {
  watchdog_.reset();
  // The flags are the process's: another engine may come.
  if (liftoff_now_) use_liftoff(false);
  func_refs_.clear();
  instance_constructor_.Reset();
  compile_streaming_.Reset();
  wasm_namespace_.Reset();
  {
    v8::HandleScope scope(isolate_);
    context_.Get(isolate_)->Exit();
  }
  context_.Reset();
  std::launder(reinterpret_cast<v8::HandleScope *>(base_scope_))->~HandleScope();
  isolate_->Exit();
  isolate_->Dispose();
}

std::string V8Engine::version() const {
  return std::string("V8 ") + v8::V8::GetVersion();
}

void V8Engine::collect_garbage() {
  isolate_->LowMemoryNotification();
}

void V8Engine::set_stack_limit(uintptr_t lowest_address) {
  isolate_->SetStackLimit(lowest_address);
}

// Runs on the engine's thread at a safe point of the guest (V8 services
// interrupt requests at stack checks, in every loop and call).
void V8Engine::on_interrupt(v8::Isolate *isolate, void *data) {
  auto *engine = static_cast<V8Engine *>(data);
  if (engine->watchdog_ && engine->watchdog_->should_terminate()) {
    engine->terminating_ = true;
    isolate->TerminateExecution();
  }
}

// Guest code can fill the heap (tables live there). At its limit V8 would
// abort the process; instead we stop the running call and give V8 room to
// unwind it. The limit comes back once the guest's objects are gone.
static constexpr size_t kHeapHeadroom = size_t{256} << 20;

size_t V8Engine::on_near_heap_limit(void *data, size_t current_limit, size_t initial_limit) {
  auto *engine = static_cast<V8Engine *>(data);
  engine->initial_heap_limit_ = initial_limit;
  engine->heap_limit_raised_ = true;
  if (engine->guest_depth_ > 0) {
    engine->heap_exhausted_ = true;
    engine->terminating_ = true;
    engine->isolate_->TerminateExecution();
  }
  return current_limit + kHeapHeadroom;
}

// Before the next outermost call: collect what the stopped call left (the
// host has dropped its instance by now) and lower the limit again.
void V8Engine::restore_heap_limit() {
  heap_limit_raised_ = false;
  isolate_->LowMemoryNotification();
  isolate_->RemoveNearHeapLimitCallback(&V8Engine::on_near_heap_limit, initial_heap_limit_);
  isolate_->AddNearHeapLimitCallback(&V8Engine::on_near_heap_limit, this);
}

void V8Engine::rethrow_failure(v8::TryCatch &tc) {
  if (pending_host_error_) {
    std::exception_ptr e = std::move(pending_host_error_);
    pending_host_error_ = nullptr;
    std::rethrow_exception(e);
  }
  throw_guest_failure(isolate_, tc);
}

std::unique_ptr<Engine> make_engine(const EngineConfig &config) {
  return std::make_unique<V8Engine>(config);
}

}  // namespace pgwasm::engine::v8impl

namespace pgwasm::engine {
std::unique_ptr<Engine> make_v8_engine(const EngineConfig &config) {
  return v8impl::make_engine(config);
}
}  // namespace pgwasm::engine
