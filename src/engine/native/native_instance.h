// The native engine's modules, instances and what they import and export:
// host functions, other instances' functions, memories, tables and
// globals in the runtime's layout (glue_layout.h).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "engine/engine.h"
#include "engine/native/glue_layout.h"
#include "engine/native/shared_object.h"

namespace pgwasm::engine::native {

class NativeModule : public Module {
 public:
  const ModuleInfo &info() const override { return info_; }
  bool is_native() const override { return true; }
  ModuleInfo info_;  // the module as given
  std::vector<FuncType> import_types;
  std::unique_ptr<SharedObject> object;
  bool fuel = false;
  bool max_pages = false;
};

class NativeHostFunction : public Extern {
 public:
  NativeHostFunction(FuncType type, HostCallback callback)
      : type_(std::move(type)), callback(std::move(callback)) {}
  ExternType type() const override { return type_; }
  FuncType type_;
  HostCallback callback;
};

class NativeEngine;

// An instance's wasm2c struct and what it needs while anything can reach
// it: the host's handle, other instances that import its exports, funcrefs
// to its functions. Destroyed last of those.
class InstanceState : public HostCall, public std::enable_shared_from_this<InstanceState> {
 public:
  InstanceState(NativeEngine &engine, std::shared_ptr<const NativeModule> module);
  ~InstanceState() override;
  InstanceState(const InstanceState &) = delete;
  InstanceState &operator=(const InstanceState &) = delete;

  const GlueEntry &entry() const { return *module->object->entry(); }
  std::span<uint8_t> memory() override {
    auto *m = static_cast<WasmMemory *>(entry().memory(storage.get()));
    if (!m || !m->data) return {};
    return {m->data, static_cast<size_t>(m->size)};
  }
  bool contains(const void *p) const {
    auto *b = static_cast<const uint8_t *>(p);
    return b >= storage.get() && b < storage.get() + entry().instance_size;
  }
  static int dispatch(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results);

  NativeEngine &engine;
  std::shared_ptr<const NativeModule> module;
  std::unique_ptr<uint8_t[]> storage;
  // By import index: what the import resolved to (kept alive), what the
  // glue reads (c_glue.cc), a function's reference, a host function.
  std::vector<std::shared_ptr<Extern>> imports;
  std::vector<void *> externs;
  std::vector<FuncRef> functions;
  std::vector<const NativeHostFunction *> host_functions;
  GlueHost host{};
  // The instrumentation's globals in the instance (null when absent).
  int64_t *fuel = nullptr;
  uint32_t *interrupt = nullptr;
  uint32_t *max_pages = nullptr;
  bool instantiated = false;
};

// A function an instance exports, to import into another.
class NativeFunction : public Extern {
 public:
  NativeFunction(FuncType type, FuncRef ref, std::shared_ptr<InstanceState> owner)
      : type_(std::move(type)), ref(ref), owner(std::move(owner)) {}
  ExternType type() const override { return type_; }
  FuncType type_;
  FuncRef ref;
  std::shared_ptr<InstanceState> owner;
};

// A memory, table or global: made by the host, or an instance's export
// (then `owner` keeps the instance alive).
class NativeCell : public Extern {
 public:
  NativeCell(ExternType type, void *ptr, std::shared_ptr<void> owner, const void *runtime)
      : type_(std::move(type)), ptr(ptr), owner(std::move(owner)), runtime(runtime) {}
  ExternType type() const override { return type_; }
  // A funcref table or global holds type ids of one runtime (build.h's
  // runtime_name): bound by the first instance that links it.
  bool holds_funcrefs() const {
    if (const auto *t = std::get_if<TableType>(&type_)) return t->element == ValType::FuncRef;
    if (const auto *g = std::get_if<GlobalType>(&type_)) return g->type == ValType::FuncRef;
    return false;
  }
  ExternType type_;
  void *ptr;
  std::shared_ptr<void> owner;
  const void *runtime;
};

// What the host makes, with the runtime's layout and allocator (calloc,
// realloc and free of the C library, which the runtime grows them with).
struct HostMemory {
  WasmMemory memory{};
  ~HostMemory() { std::free(memory.data); }
};
struct HostTable {
  WasmTable table{};
  ~HostTable() { std::free(table.data); }
};
struct HostGlobal {
  alignas(16) unsigned char bytes[sizeof(FuncRef)] = {};
};

class NativeInstance : public Instance {
 public:
  NativeInstance(NativeEngine &engine, std::shared_ptr<InstanceState> state)
      : engine_(engine), state_(std::move(state)) {}

  const ModuleInfo &info() const override { return state_->module->info_; }
  void set_bounds(const CallBounds &bounds) override { bounds_ = bounds; }
  void call(uint32_t export_index, const Value *args, Value *results) override;
  std::shared_ptr<Extern> get_export(uint32_t export_index) override;
  Value get_global(uint32_t export_index) override;
  std::span<uint8_t> memory() override { return state_->memory(); }

  void instantiate(const CallBounds &bounds);

 private:
  const GlueEntry &entry() const { return state_->entry(); }
  void *export_pointer(uint32_t export_index, FuncRef *func);
  [[noreturn]] void raise(int trap);
  void prepare(const CallBounds &bounds);
  template <typename Body>
  int run(Body &&body);

  NativeEngine &engine_;
  std::shared_ptr<InstanceState> state_;
  CallBounds bounds_;
};

}  // namespace pgwasm::engine::native
