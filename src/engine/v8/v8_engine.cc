#include "engine/v8/v8_engine.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <new>
#include <string>

#include "engine/v8/platform.h"
#include "engine/v8/traps.h"
#include "engine/v8/v8_extern.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/instrument.h"
#include "toolkit/name_text.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

using toolkit::CallTrampoline;

v8::Local<v8::String> js_string(v8::Isolate *iso, std::string_view s) {
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

// ---------------------------------------------------------------------------

class V8Module final : public Module {
 public:
  const ModuleInfo &info() const override { return info_; }

  ModuleInfo info_;
  v8::Global<v8::WasmModuleObject> module_;
  // Trampoline for the function and global exports: trampoline_index_[export]
  // is the trampoline's target or global index for it (or -1 for memories
  // and tables).
  v8::Global<v8::WasmModuleObject> trampoline_;
  std::vector<int32_t> trampoline_index_;
  // Per export: its function type, or null; and whether reference values
  // cross (which takes the slow path through JS values).
  std::vector<const FuncType *> func_types_;
  std::vector<bool> has_refs_;
  // Per export, for immutable v128 globals only: their constant value (see
  // V8Engine::compile).
  std::vector<std::optional<Value>> constant_globals_;
  // The (module, name) each import is given under in the JS import object:
  // its own, unless the module imports that pair more than once (ClickHouse
  // modules import clickhouse_log with two signatures), in which case it was
  // compiled with the import renamed to a unique key.
  std::vector<std::pair<std::string, std::string>> import_keys_;
  // Compiled whole with Liftoff: a function was too costly for TurboFan.
  bool baseline_only_ = false;
  // The module had a start function, exported as kStartExport.
  bool has_start_ = false;
  // The room its tables take when it is instantiated, and may take more
  // when it grows them (need_room).
  uint64_t table_room_ = 0;
  uint64_t table_growth_room_ = 0;
  // What the instrumentation added (toolkit/instrument.h): the trampoline
  // sets those globals from its control slot before every call.
  toolkit::TrampolineControls controls_;
  uint32_t control_offset_ = 0;
  int32_t start_trampoline_ = -1;  // the start function's trampoline target
};

// Not a name any module can export: the start function's export name.
static constexpr std::string_view kStartExport{"\0pg_wasm_start", 14};

// V8 aborts the process when it cannot map memory for itself: its heap
// (where tables live), its code, its threads. Only linear memories fail
// softly (a RangeError). Under an address-space limit (ulimit -v) or a
// commit limit (vm.overcommit_memory = 2) a guest could make it abort, so
// before V8 works for a guest the room that work may take is checked, and
// the guest gets an OutOfMemory trap instead. What V8 maps when it starts
// (its code range alone is 128 MB):
static constexpr uint64_t kEngineRoom = uint64_t{512} << 20;
// Beside what a compile or an instantiation needs: for V8's young
// generation to grow (two semispaces of up to 16 MB) and its bookkeeping.
static constexpr uint64_t kWorkRoom = uint64_t{64} << 20;
// Code, for each byte of a module: V8 reserves its code space from an
// estimate of a few times the size of the module's code.
static constexpr uint64_t kCodeRoomPerByte = 8;
// A table's entry, twice what V8 10.2 was measured to take: 31 bytes for a
// funcref (the table, and the instance's dispatch table beside it), up to
// 40 while the table grows and the arrays it outgrew await collection; 8
// bytes for an externref.
static constexpr uint64_t kFuncrefEntryRoom = 64;
static constexpr uint64_t kExternrefEntryRoom = 16;

// Throws an OutOfMemory trap unless `bytes` could be mapped now. A
// mapping made and dropped untouched: two system calls.
static void need_room(uint64_t bytes, const std::string &what) {
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Trap(Trap::Kind::OutOfMemory,
               "Out of memory: no room for " + what + " (" + std::to_string(bytes >> 20) + " MB)");
  munmap(p, bytes);
}

// V8 10.2 aborts the process when it instantiates a module that imports an
// immutable v128 global (InstanceBuilder::ProcessImportedWasmGlobalObject
// has no case for it; fixed in later V8): such modules are refused, and the
// trampoline never imports such a global.
static bool v8_cannot_import(const GlobalType &g) {
  return g.type == ValType::V128 && !g.is_mutable;
}

class V8Instance final : public Instance {
 public:
  V8Instance(V8Engine &engine, std::shared_ptr<const V8Module> module)
      : engine_(engine), module_(std::move(module)) {}

  const ModuleInfo &info() const override { return module_->info_; }
  void set_bounds(const CallBounds &bounds) override;
  void call(uint32_t export_index, const Value *args, Value *results) override;
  // Rethrows the trap being handled, as FuelExhausted if fuel ran out.
  [[noreturn]] void rethrow_trap();
  void call_with_refs(uint32_t export_index, const FuncType &type, const Value *args,
                      Value *results);
  std::shared_ptr<Extern> get_export(uint32_t export_index) override;
  Value get_global(uint32_t export_index) override;
  std::span<uint8_t> memory() override;

  V8Engine &engine_;
  std::shared_ptr<const V8Module> module_;
  v8::Global<v8::Object> exports_;
  // By export index: the trampoline function calling a function export, or
  // reading a global export.
  std::vector<v8::Global<v8::Function>> trampolines_;
  std::shared_ptr<v8::BackingStore> slots_store_;
  uint8_t *slots_ = nullptr;
  v8::Global<v8::Function> fuel_reader_;  // the trampoline's "fuel" export
  v8::Global<v8::WasmMemoryObject> memory_;
};

// ---------------------------------------------------------------------------

V8Engine::V8Engine(const EngineConfig &config)
    : tiering_(config.tiering),
      max_table_entries_(config.max_table_entries > 0 ? config.max_table_entries
                                                      : kV8MaxTableEntries) {
  need_room(kEngineRoom, "the V8 engine to start");
  ensure_v8_initialized(config);
  allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  if (config.max_heap_bytes > 0)
    params.constraints.ConfigureDefaultsFromHeapSize(0, config.max_heap_bytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->AddNearHeapLimitCallback(&V8Engine::on_near_heap_limit, this);
  // The isolate and its context stay entered for the engine's life: entering
  // them per call costs more than the call itself (BRIEF 4.6).
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
  if (config.interrupt_requested) {
    watchdog_ = std::make_unique<Watchdog>(config.interrupt_requested, [this] {
      isolate_->RequestInterrupt(&V8Engine::on_interrupt, this);
    });
  }
}

V8Engine::~V8Engine() {
  watchdog_.reset();
  func_refs_.clear();
  instance_constructor_.Reset();
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

v8::Local<v8::WasmModuleObject> compile_v8(v8::Isolate *iso, std::span<const uint8_t> wasm) {
  v8::TryCatch tc(iso);
  auto mod =
      v8::WasmModuleObject::Compile(iso, v8::MemorySpan<const uint8_t>(wasm.data(), wasm.size()));
  if (mod.IsEmpty()) throw CompileError(exception_message(iso, tc));
  return mod.ToLocalChecked();
}

std::optional<std::string> V8Engine::validate(std::span<const uint8_t> wasm) {
  v8::HandleScope scope(isolate_);
  try {
    compile_v8(isolate_, wasm);
  } catch (const CompileError &e) {
    return e.what();
  }
  return std::nullopt;
}

// TurboFan's time and memory grow with the square of a function's branches
// and with branches times locals (measured in V8 10.2: one 45 KB function of
// 5,000 br_if took 2.4 s and 1.5 GB; 1,000 br_if over 40,000 locals, 0.5 s
// and 0.6 GB), and nothing can stop it while it compiles. Within these
// bounds a function takes it about 0.1 s and 60 MB at most. Liftoff is
// linear (1.4 MB of branches in 0.1 s).
static constexpr uint64_t kTurbofanBranches = 1'000;
static constexpr uint64_t kTurbofanBranchLocals = 4'000'000;

static bool fits_turbofan(const toolkit::ModuleShape &shape) {
  return std::all_of(shape.defined.begin(), shape.defined.end(), [](const auto &f) {
    return f.branches <= kTurbofanBranches &&
           uint64_t{f.branches} * f.locals <= kTurbofanBranchLocals;
  });
}

// V8's flags are process-wide and read when a module is compiled; this
// process compiles on one thread, so a module can be compiled under its own.
class ScopedV8Flags {
 public:
  ScopedV8Flags(const char *set, const char *restore) : restore_(restore) {
    v8::V8::SetFlagsFromString(set);
  }
  ~ScopedV8Flags() { v8::V8::SetFlagsFromString(restore_); }
  ScopedV8Flags(const ScopedV8Flags &) = delete;
  ScopedV8Flags &operator=(const ScopedV8Flags &) = delete;

 private:
  const char *restore_;
};

std::shared_ptr<const Module> V8Engine::compile(std::span<const uint8_t> wasm,
                                                const CompileOptions &options) {
  need_room(kWorkRoom + kCodeRoomPerByte * wasm.size(), "compiling the module");
  v8::HandleScope scope(isolate_);
  auto module = std::make_shared<V8Module>();
  toolkit::ModuleScan scan;
  // The module as V8 compiles it: instrumented, imports renamed, start
  // function exported, as need be. The description is the original's.
  std::vector<uint8_t> edited;
  std::span<const uint8_t> code = wasm;
  try {
    // V8 validates the functions itself: describing the module costs little
    // per function.
    scan = toolkit::describe_module(wasm);
    module->controls_.fuel = options.fuel;
    module->controls_.max_pages = options.limit_memory && scan.shape.grows_memory;
    if (module->controls_.fuel) {
      // Fuel rewrites functions (through wabt's IR), memory.grow with them.
      code = edited =
          toolkit::instrument(wasm, {.fuel = true, .memory_limit = module->controls_.max_pages});
      scan.shape = toolkit::describe_module(code).shape;  // what TurboFan would take
    } else if (module->controls_.max_pages) {
      // Only memory.grow: an edit of the bytes, which costs a copy.
      code = edited = toolkit::bound_memory_grow(wasm, scan.shape, toolkit::kMaxPagesExport);
    }
  } catch (const toolkit::BinaryError &e) {
    throw CompileError(e.what());
  }
  module->info_ = std::move(scan.info);
  for (const auto &t : module->info_.tables) {
    uint64_t entry = t.element == ValType::FuncRef ? kFuncrefEntryRoom : kExternrefEntryRoom;
    uint64_t most =
        std::min<uint64_t>(t.limits.max.value_or(max_table_entries_), max_table_entries_);
    module->table_room_ += t.limits.min * entry;
    if (scan.shape.grows_tables && most > t.limits.min)
      module->table_growth_room_ += (most - t.limits.min) * entry;
  }
  // Functions are compiled lazily with TurboFan; a module with a function
  // TurboFan could take too long on is compiled whole, now, with Liftoff.
  std::optional<ScopedV8Flags> baseline;
  if (tiering_ == Tiering::Optimizing && !fits_turbofan(scan.shape)) {
    baseline.emplace("--liftoff --no-wasm-lazy-compilation",
                     "--no-liftoff --wasm-lazy-compilation");
  }
  std::map<std::pair<std::string, std::string>, int> uses;
  for (const auto &imp : module->info_.imports) uses[{imp.module, imp.name}]++;
  bool renamed = false;
  for (size_t i = 0; i < module->info_.imports.size(); i++) {
    const auto &imp = module->info_.imports[i];
    bool shared = uses[{imp.module, imp.name}] > 1;
    renamed = renamed || shared;
    module->import_keys_.emplace_back(imp.module,
                                      shared ? imp.name + "\x01" + std::to_string(i) : imp.name);
  }
  // The start function becomes an export the engine calls once the
  // instance exists: run inside instantiation, host functions it calls could
  // not reach the instance's memory.
  if (renamed) code = edited = toolkit::rename_imports(code, module->import_keys_);
  if (scan.shape.start_function) {
    code = edited = toolkit::export_start_function(code, kStartExport);
    module->has_start_ = true;
  }
  module->module_.Reset(isolate_, compile_v8(isolate_, code));
  module->baseline_only_ = baseline.has_value();
  baseline.reset();

  std::vector<FuncType> targets;
  std::vector<GlobalType> globals;
  module->constant_globals_.resize(module->info_.exports.size());
  for (size_t i = 0; i < module->info_.exports.size(); i++) {
    const ExternType &type = module->info_.exports[i].type;
    const auto *ft = std::get_if<FuncType>(&type);
    const auto *gt = std::get_if<GlobalType>(&type);
    if (gt && v8_cannot_import(*gt)) {
      // The trampoline cannot read it, but its value is known: a valid
      // module defines an immutable v128 global with v128.const, or imports
      // it (which is refused, see instantiate).
      if (const auto &constant = scan.constant_globals[i]) {
        Value v;
        v.type = ValType::V128;
        std::memcpy(v.bits.v128, constant->data(), 16);
        module->constant_globals_[i] = v;
      }
      gt = nullptr;
    }
    module->func_types_.push_back(ft);
    module->has_refs_.push_back(ft &&
                                (std::any_of(ft->params.begin(), ft->params.end(), is_ref) ||
                                 std::any_of(ft->results.begin(), ft->results.end(), is_ref)));
    if (ft) {
      module->trampoline_index_.push_back(static_cast<int32_t>(targets.size()));
      targets.push_back(*ft);
    } else if (gt) {
      module->trampoline_index_.push_back(static_cast<int32_t>(globals.size()));
      globals.push_back(*gt);
    } else {
      module->trampoline_index_.push_back(-1);
    }
  }
  // The start function is called through the trampoline too, which sets
  // the bounds an instrumented module reads.
  if (module->has_start_) {
    module->start_trampoline_ = static_cast<int32_t>(targets.size());
    targets.push_back(FuncType{});
  }
  CallTrampoline trampoline = toolkit::make_call_trampoline(targets, globals, module->controls_);
  module->control_offset_ = trampoline.control_offset();
  module->trampoline_.Reset(isolate_, compile_v8(isolate_, trampoline.wasm));
  return module;
}

v8::Local<v8::Object> V8Engine::new_instance(v8::Local<v8::WasmModuleObject> module,
                                             v8::Local<v8::Object> imports, V8Instance *owner) {
  v8::Local<v8::Value> argv[2] = {module, imports};
  auto ctx = context();
  auto ctor = instance_constructor_.Get(isolate_);
  auto instance = run_guest(owner, [&]() -> v8::MaybeLocal<v8::Value> {
    v8::MaybeLocal<v8::Object> obj = ctor->NewInstance(ctx, 2, argv);
    if (obj.IsEmpty()) return {};
    return obj.ToLocalChecked();
  });
  return instance.As<v8::Object>()
      ->Get(ctx, js_string(isolate_, "exports"))
      .ToLocalChecked()
      .As<v8::Object>();
}

// "\"module\".\"name\"" of an import, for messages.
static std::string import_name(const ImportDesc &d) {
  return toolkit::quoted_name(d.module) + "." + toolkit::quoted_name(d.name);
}

// The trampoline's import and export for an export of the module.
static std::string trampoline_name(const ExportDesc &e, int32_t index) {
  return kind_of(e.type) == ExternKind::Global ? toolkit::trampoline_global_export(index)
                                               : toolkit::trampoline_call_export(index);
}

std::unique_ptr<Instance> V8Engine::instantiate(std::shared_ptr<const Module> module_base,
                                                std::span<const std::shared_ptr<Extern>> imports,
                                                const CallBounds &bounds) {
  auto module = std::static_pointer_cast<const V8Module>(module_base);
  const ModuleInfo &info = module->info_;
  if (imports.size() != info.imports.size())
    throw LinkError("expected " + std::to_string(info.imports.size()) + " imports, got " +
                    std::to_string(imports.size()));
  // Its start function may grow its tables.
  need_room(kWorkRoom + module->table_room_ + module->table_growth_room_,
            module->info_.tables.empty() ? "instantiating the module" : "the instance's tables");
  v8::HandleScope scope(isolate_);
  auto ctx = context();
  for (const auto &desc : info.imports)
    if (const auto *g = std::get_if<GlobalType>(&desc.type); g && v8_cannot_import(*g))
      throw LinkError("import " + import_name(desc) +
                      ": V8 10.2 cannot import an immutable v128 global");
  auto instance = std::make_unique<V8Instance>(*this, module);

  v8::Local<v8::Object> import_object = v8::Object::New(isolate_);
  for (size_t i = 0; i < imports.size(); i++) {
    const auto &desc = info.imports[i];
    auto *ext = dynamic_cast<V8Extern *>(imports[i].get());
    if (!ext) throw LinkError("import " + import_name(desc) + " is not provided");
    // V8 checks the type of every import except a host function's: to V8 it
    // is a JS function, callable with any signature.
    const auto *want = std::get_if<FuncType>(&desc.type);
    const auto *have = std::get_if<FuncType>(&ext->type_);
    if (want && have && *want != *have)
      throw LinkError("import " + import_name(desc) + ": incompatible import type: " + "expected " +
                      to_string(*want) + ", got " + to_string(*have));
    const auto &key = module->import_keys_[i];
    auto mod_key = js_string(isolate_, key.first);
    v8::Local<v8::Value> ns;
    if (!import_object->Get(ctx, mod_key).ToLocal(&ns) || !ns->IsObject()) {
      ns = v8::Object::New(isolate_);
      import_object->Set(ctx, mod_key, ns).Check();
    }
    ns.As<v8::Object>()
        ->Set(ctx, js_string(isolate_, key.second), ext->value_.Get(isolate_))
        .Check();
  }
  auto exports = new_instance(module->module_.Get(isolate_), import_object, nullptr);
  instance->exports_.Reset(isolate_, exports);

  // The trampoline imports every function and global export, in export
  // order.
  v8::Local<v8::Object> targets = v8::Object::New(isolate_);
  for (size_t e = 0; e < info.exports.size(); e++) {
    int32_t t = module->trampoline_index_[e];
    if (t < 0) continue;
    auto value = exports->Get(ctx, js_string(isolate_, info.exports[e].name)).ToLocalChecked();
    targets->Set(ctx, js_string(isolate_, trampoline_name(info.exports[e], t)), value).Check();
  }
  auto hidden_export = [&](std::string_view name) {
    return exports->Get(ctx, js_string(isolate_, name)).ToLocalChecked();
  };
  std::string start_name =
      module->has_start_ ? toolkit::trampoline_call_export(module->start_trampoline_) : "";
  if (module->has_start_)
    targets->Set(ctx, js_string(isolate_, start_name), hidden_export(kStartExport)).Check();
  if (module->controls_.fuel)
    targets
        ->Set(ctx, js_string(isolate_, CallTrampoline::kFuelImport),
              hidden_export(toolkit::kFuelExport))
        .Check();
  if (module->controls_.max_pages)
    targets
        ->Set(ctx, js_string(isolate_, CallTrampoline::kMaxPagesImport),
              hidden_export(toolkit::kMaxPagesExport))
        .Check();
  v8::Local<v8::Object> tramp_imports = v8::Object::New(isolate_);
  tramp_imports->Set(ctx, js_string(isolate_, CallTrampoline::kImportModule), targets).Check();
  auto tramp = new_instance(module->trampoline_.Get(isolate_), tramp_imports, nullptr);

  auto slots = tramp->Get(ctx, js_string(isolate_, CallTrampoline::kMemoryExport))
                   .ToLocalChecked()
                   .As<v8::WasmMemoryObject>();
  // The trampoline's memory never grows, so its buffer never moves.
  instance->slots_store_ = slots->Buffer()->GetBackingStore();
  instance->slots_ = static_cast<uint8_t *>(instance->slots_store_->Data());
  instance->set_bounds(bounds);
  if (module->controls_.fuel)
    instance->fuel_reader_.Reset(isolate_,
                                 tramp->Get(ctx, js_string(isolate_, CallTrampoline::kFuelExport))
                                     .ToLocalChecked()
                                     .As<v8::Function>());
  instance->trampolines_.resize(info.exports.size());
  for (size_t e = 0; e < info.exports.size(); e++) {
    int32_t t = module->trampoline_index_[e];
    if (t < 0) continue;
    auto fn =
        tramp->Get(ctx, js_string(isolate_, trampoline_name(info.exports[e], t))).ToLocalChecked();
    instance->trampolines_[e].Reset(isolate_, fn.As<v8::Function>());
  }
  // The guest's memory, for host functions: the export named "memory", else
  // the first exported memory.
  for (const auto &e : info.exports) {
    if (kind_of(e.type) != ExternKind::Memory) continue;
    if (!instance->memory_.IsEmpty() && e.name != "memory") continue;
    auto mem = exports->Get(ctx, js_string(isolate_, e.name)).ToLocalChecked();
    instance->memory_.Reset(isolate_, mem.As<v8::WasmMemoryObject>());
  }
  if (module->has_start_) {
    auto start = tramp->Get(ctx, js_string(isolate_, start_name)).ToLocalChecked();
    try {
      run_guest(instance.get(), [&] {
        return start.As<v8::Function>()->Call(ctx, v8::Undefined(isolate_), 0, nullptr);
      });
    } catch (const Trap &) {
      instance->rethrow_trap();
    }
  }
  return instance;
}

// The control slot holds the bounds: the trampoline reads them at every
// call, so setting them costs two stores.
void V8Instance::set_bounds(const CallBounds &bounds) {
  uint8_t *control = slots_ + module_->control_offset_;
  std::memcpy(control, &bounds.fuel, sizeof bounds.fuel);
  std::memcpy(control + 8, &bounds.max_pages, sizeof bounds.max_pages);
}

void V8Instance::rethrow_trap() {
  try {
    throw;
  } catch (const Trap &t) {
    if (!module_->controls_.fuel || t.kind != Trap::Kind::Unreachable) throw;
    // An instrumented module traps with `unreachable` when fuel runs out,
    // having left the counter negative in its global.
    v8::Isolate *iso = engine_.isolate();
    v8::HandleScope scope(iso);
    auto reader = fuel_reader_.Get(iso);
    if (reader->Call(engine_.context(), v8::Undefined(iso), 0, nullptr).IsEmpty()) throw;
    int64_t fuel;
    std::memcpy(&fuel, slots_ + module_->control_offset_, sizeof fuel);
    if (fuel >= 0) throw;
    throw Trap(Trap::Kind::FuelExhausted, "out of fuel", t.frames);
  }
}

void V8Instance::call(uint32_t export_index, const Value *args, Value *results) {
  const FuncType *type =
      export_index < module_->func_types_.size() ? module_->func_types_[export_index] : nullptr;
  if (!type)
    throw std::invalid_argument("export " + std::to_string(export_index) + " is not a function");
  if (module_->table_growth_room_ > 0)
    need_room(kWorkRoom + module_->table_growth_room_, "the instance's tables to grow");
  if (module_->has_refs_[export_index]) return call_with_refs(export_index, *type, args, results);
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  // Every value travels as a whole 16-byte slot: no per-type work.
  static_assert(sizeof(Value::bits) == CallTrampoline::kSlotSize);
  for (size_t k = 0; k < type->params.size(); k++)
    std::memcpy(slots_ + k * CallTrampoline::kSlotSize, &args[k].bits, CallTrampoline::kSlotSize);
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  try {
    engine_.run_guest(this, [&] { return fn->Call(ctx, v8::Undefined(iso), 0, nullptr); });
  } catch (const Trap &) {
    rethrow_trap();
  }
  for (size_t k = 0; k < type->results.size(); k++) {
    results[k].type = type->results[k];
    std::memcpy(&results[k].bits, slots_ + k * CallTrampoline::kSlotSize,
                CallTrampoline::kSlotSize);
  }
}

// Reference values cannot live in memory: they are the trampoline's own
// parameters and results, converted through JS values.
void V8Instance::call_with_refs(uint32_t export_index, const FuncType &type, const Value *args,
                                Value *results) {
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  std::vector<v8::Local<v8::Value>> ref_args;
  for (size_t k = 0; k < type.params.size(); k++) {
    if (is_ref(type.params[k]))
      ref_args.push_back(engine_.to_js(args[k]));
    else
      std::memcpy(slots_ + k * CallTrampoline::kSlotSize, &args[k].bits, CallTrampoline::kSlotSize);
  }
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  v8::Local<v8::Value> ret;
  try {
    ret = engine_.run_guest(this, [&] {
      return fn->Call(ctx, v8::Undefined(iso), static_cast<int>(ref_args.size()), ref_args.data());
    });
  } catch (const Trap &) {
    rethrow_trap();
  }
  size_t nref_results = std::count_if(type.results.begin(), type.results.end(), is_ref);
  size_t ref_seen = 0;
  for (size_t k = 0; k < type.results.size(); k++) {
    ValType t = type.results[k];
    if (is_ref(t)) {
      v8::Local<v8::Value> r = ret;
      if (nref_results > 1)
        r = ret.As<v8::Array>()->Get(ctx, static_cast<uint32_t>(ref_seen)).ToLocalChecked();
      ref_seen++;
      results[k] = engine_.from_js(t, r);
    } else {
      results[k].type = t;
      std::memcpy(&results[k].bits, slots_ + k * CallTrampoline::kSlotSize,
                  CallTrampoline::kSlotSize);
    }
  }
}

std::shared_ptr<Extern> V8Instance::get_export(uint32_t export_index) {
  const auto &desc = info().exports.at(export_index);
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  auto value =
      exports_.Get(iso)->Get(engine_.context(), js_string(iso, desc.name)).ToLocalChecked();
  return std::make_shared<V8Extern>(iso, value, desc.type);
}

Value V8Instance::get_global(uint32_t export_index) {
  const auto *type = std::get_if<GlobalType>(&info().exports.at(export_index).type);
  if (!type)
    throw std::invalid_argument("export " + std::to_string(export_index) + " is not a global");
  if (const auto &constant = module_->constant_globals_[export_index]) return *constant;
  if (trampolines_[export_index].IsEmpty())
    throw std::invalid_argument("export " + std::to_string(export_index) +
                                " is an immutable v128 global that V8 10.2 cannot read");
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  auto ret = engine_.run_guest(this, [&] { return fn->Call(ctx, v8::Undefined(iso), 0, nullptr); });
  if (is_ref(type->type)) return engine_.from_js(type->type, ret);
  Value v;
  v.type = type->type;
  std::memcpy(&v.bits, slots_, CallTrampoline::kSlotSize);
  return v;
}

std::span<uint8_t> V8Instance::memory() {
  if (memory_.IsEmpty()) return {};
  v8::HandleScope scope(engine_.isolate());
  auto buffer = memory_.Get(engine_.isolate())->Buffer();
  return {static_cast<uint8_t *>(buffer->Data()), buffer->ByteLength()};
}

// ---------------------------------------------------------------------------
// Host functions

namespace {

class V8HostCall final : public HostCall {
 public:
  explicit V8HostCall(V8Instance *caller) : caller_(caller) {}
  std::span<uint8_t> memory() override {
    return caller_ ? caller_->memory() : std::span<uint8_t>{};
  }

 private:
  V8Instance *caller_;
};

// The V8 callback behind every host function. No C++ exception may cross
// V8's frames: we catch everything, keep it, and make V8 throw instead;
// V8Engine::run_guest rethrows the original once V8 has unwound.
void host_trampoline(const v8::FunctionCallbackInfo<v8::Value> &info) {
  auto *data = static_cast<HostFunctionData *>(info.Data().As<v8::External>()->Value());
  V8Engine &engine = *data->engine;
  v8::Isolate *iso = info.GetIsolate();
  try {
    std::vector<Value> args(data->type.params.size());
    for (size_t k = 0; k < args.size(); k++)
      args[k] = engine.from_js(data->type.params[k], info[static_cast<int>(k)]);
    std::vector<Value> results(data->type.results.size());
    for (size_t k = 0; k < results.size(); k++) results[k].type = data->type.results[k];
    V8HostCall call(engine.current_instance());
    data->callback(call, args, results);
    if (results.size() == 1) {
      info.GetReturnValue().Set(engine.to_js(results[0]));
    } else if (results.size() > 1) {
      v8::Local<v8::Array> arr = v8::Array::New(iso, static_cast<int>(results.size()));
      for (size_t k = 0; k < results.size(); k++)
        arr->Set(iso->GetCurrentContext(), static_cast<uint32_t>(k), engine.to_js(results[k]))
            .Check();
      info.GetReturnValue().Set(arr);
    }
  } catch (...) {
    engine.set_pending_host_error(std::current_exception());
    iso->ThrowException(v8::Exception::Error(js_string(iso, "host function failed")));
  }
}

}  // namespace

std::shared_ptr<Extern> V8Engine::host_function(FuncType type, HostCallback callback) {
  v8::HandleScope scope(isolate_);
  // Host functions are few and made once per engine; the engine keeps their
  // data for its whole life.
  auto &data = host_functions_.emplace_back(
      std::make_unique<HostFunctionData>(HostFunctionData{this, type, std::move(callback)}));
  auto tmpl =
      v8::FunctionTemplate::New(isolate_, host_trampoline, v8::External::New(isolate_, data.get()));
  auto fn = tmpl->GetFunction(context()).ToLocalChecked();
  return std::make_shared<V8Extern>(isolate_, fn, type);
}

// ---------------------------------------------------------------------------
// Values crossing the JS boundary (host functions and references only: the
// call path passes numbers through the trampoline's memory).

v8::Local<v8::Value> V8Engine::to_js(const Value &v) {
  switch (v.type) {
    case ValType::I32: return v8::Integer::New(isolate_, v.as_i32());
    case ValType::I64: return v8::BigInt::New(isolate_, v.as_i64());
    case ValType::F32: return v8::Number::New(isolate_, v.as_f32());
    case ValType::F64: return v8::Number::New(isolate_, v.as_f64());
    case ValType::V128:
      throw std::invalid_argument("v128 values cannot cross into a host function");
    case ValType::FuncRef:
    case ValType::ExternRef:
      switch (v.ref.kind) {
        case Ref::Kind::Null: return v8::Null(isolate_);
        case Ref::Kind::Host: return v8::Number::New(isolate_, static_cast<double>(v.ref.id));
        case Ref::Kind::Func: return func_ref(v.ref.id);
      }
  }
  return v8::Undefined(isolate_);
}

Value V8Engine::from_js(ValType type, v8::Local<v8::Value> js) {
  auto ctx = context();
  switch (type) {
    case ValType::I32: return Value::make_i32(js->Int32Value(ctx).FromMaybe(0));
    case ValType::I64: {
      v8::Local<v8::BigInt> b;
      if (!js->ToBigInt(ctx).ToLocal(&b)) return Value::make_i64(0);
      return Value::make_i64(b->Int64Value());
    }
    case ValType::F32:
      return Value::make_f32(static_cast<float>(js->NumberValue(ctx).FromMaybe(0)));
    case ValType::F64: return Value::make_f64(js->NumberValue(ctx).FromMaybe(0));
    case ValType::V128:
      throw std::invalid_argument("v128 values cannot cross into a host function");
    case ValType::FuncRef:
    case ValType::ExternRef: {
      if (js->IsNull()) return Value::make_ref(type, {});
      if (type == ValType::ExternRef && js->IsNumber())
        return Value::make_ref(
            type, {Ref::Kind::Host, static_cast<uint64_t>(js.As<v8::Number>()->Value())});
      return Value::make_ref(type, {Ref::Kind::Func, func_ref_id(js)});
    }
  }
  return Value{};
}

// A function reference the host holds is an id: a slot, and the slot's
// generation in the upper half. The slot holds the function weakly, so that
// an id never keeps a function, and its instance, alive; an id whose
// function is gone names nothing, even once its slot serves another.
uint64_t V8Engine::func_ref_id(v8::Local<v8::Value> fn) {
  size_t free_slot = func_refs_.size();
  for (size_t i = 0; i < func_refs_.size(); i++) {
    if (func_refs_[i].handle.IsEmpty()) {
      free_slot = std::min(free_slot, i);
      continue;
    }
    if (func_refs_[i].handle.Get(isolate_)->StrictEquals(fn))
      return (uint64_t{func_refs_[i].generation} << 32) | i;
  }
  if (free_slot == func_refs_.size()) func_refs_.emplace_back();
  FuncRefSlot &slot = func_refs_[free_slot];
  slot.generation++;
  slot.handle.Reset(isolate_, fn);
  slot.handle.SetWeak();
  return (uint64_t{slot.generation} << 32) | free_slot;
}

v8::Local<v8::Value> V8Engine::func_ref(uint64_t id) {
  size_t index = static_cast<uint32_t>(id);
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (index >= func_refs_.size() || func_refs_[index].generation != generation ||
      func_refs_[index].handle.IsEmpty())
    throw std::invalid_argument("a function reference whose function is gone");
  return func_refs_[index].handle.Get(isolate_);
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
