// The V8 engine's compiled module and its instance (their members are the
// engine's to fill: v8_compile.cc, v8_instantiate.cc, v8_calls.cc), and the
// room V8 must have before it works for a guest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <v8.h>

#include "engine/v8/v8_engine.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

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
  // Its functions are compiled with Liftoff: one was too costly for
  // TurboFan.
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
  // Where its compiled code is kept in the store it was compiled with (empty:
  // nowhere), the sha256 of the wire bytes V8 compiled, and the size of
  // V8's code last saved or loaded (save_compiled).
  std::string code_key_;
  std::string wire_digest_;
  mutable size_t saved_code_size_ = 0;
};

// Not a name any module can export: the start function's export name.
inline constexpr std::string_view kStartExport{"\0pg_wasm_start", 14};

// V8 aborts the process when it cannot map memory for itself: its heap
// (where tables live), its code, its threads. Only linear memories fail
// softly (a RangeError). Under an address-space limit (ulimit -v) or a
// commit limit (vm.overcommit_memory = 2) a guest could make it abort, so
// before V8 works for a guest the room that work may take is checked, and
// the guest gets an OutOfMemory trap instead. What V8 maps when it starts
// (its code range alone is 128 MB):
inline constexpr uint64_t kEngineRoom = uint64_t{512} << 20;
// Beside what a compile or an instantiation needs: for V8's young
// generation to grow (two semispaces of up to 16 MB) and its bookkeeping.
inline constexpr uint64_t kWorkRoom = uint64_t{64} << 20;
// Code, for each byte of a module: V8 reserves its code space from an
// estimate of a few times the size of the module's code.
inline constexpr uint64_t kCodeRoomPerByte = 8;
// A table's entry, twice what V8 10.2 was measured to take: 31 bytes for a
// funcref (the table, and the instance's dispatch table beside it), up to
// 40 while the table grows and the arrays it outgrew await collection; 8
// bytes for an externref.
inline constexpr uint64_t kFuncrefEntryRoom = 64;
inline constexpr uint64_t kExternrefEntryRoom = 16;

// Throws an OutOfMemory trap unless `bytes` could be mapped now. A
// mapping made and dropped untouched: two system calls.
void need_room(uint64_t bytes, const std::string &what);

// V8 10.2 aborts the process when it instantiates a module that imports an
// immutable v128 global (InstanceBuilder::ProcessImportedWasmGlobalObject
// has no case for it; fixed in later V8): such modules are refused, and the
// trampoline never imports such a global.
inline bool v8_cannot_import(const GlobalType &g) {
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
  // Functions with it on the stack may be compiled only with Liftoff: those
  // of its module, or of an import from such an instance.
  bool needs_liftoff_ = false;
};

inline bool V8Engine::instance_needs_liftoff(const V8Instance &instance) {
  return instance.needs_liftoff_;
}

}  // namespace pgwasm::engine::v8impl
