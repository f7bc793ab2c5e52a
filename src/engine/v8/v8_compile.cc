// Compiling a module with V8: the module as V8 compiles it (instrumented,
// imports renamed, start function exported), the tier it is compiled
// with, and the trampoline that calls its exports.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "engine/v8/traps.h"
#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_instance.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/instrument.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

using toolkit::CallTrampoline;

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

}  // namespace pgwasm::engine::v8impl
