// The native engine object: compiles (builds, caches and loads shared
// objects), makes host objects, links instances, and keeps what calls and
// the watchdog share (docs/native-engine.md).
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "engine/native/native_instance.h"
#include "engine/native/object_check.h"
#include "engine/watchdog.h"

namespace pgwasm::engine::native {

class NativeEngine : public Engine {
 public:
  NativeEngine(const EngineConfig &config, NativeConfig native);
  ~NativeEngine() override;

  std::shared_ptr<const Module> compile(std::span<const uint8_t> wasm,
                                        const CompileOptions &options) override;

  std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module,
                                        std::span<const std::shared_ptr<Extern>> imports,
                                        const CallBounds &bounds) override;

  std::shared_ptr<Extern> host_function(FuncType type, HostCallback callback) override {
    return std::make_shared<NativeHostFunction>(std::move(type), std::move(callback));
  }
  std::shared_ptr<Extern> host_global(GlobalType type, const Value &initial) override;
  std::shared_ptr<Extern> host_memory(MemoryType type) override;
  std::shared_ptr<Extern> host_table(TableType type) override;
  std::optional<std::string> validate(std::span<const uint8_t> wasm) override;
  void set_stack_limit(uintptr_t lowest_address) override;
  void collect_garbage() override {}
  std::string version() const override { return "native (" + toolchain_id_ + ")"; }

  // The running call's interrupt flag, for the watchdog.
  std::atomic<uint32_t *> running_flag{nullptr};
  std::atomic<bool> interrupt_sent{false};
  // What a host function threw, to rethrow once no generated frame is left
  // (the engine's: the function may belong to another instance than the
  // one the call entered).
  std::exception_ptr pending;
  void call_started() {
    if (watchdog_) watchdog_->call_started();
  }
  void call_finished() {
    if (watchdog_) watchdog_->call_finished();
  }
  uintptr_t stack_limit() const { return stack_limit_; }
  const EngineConfig &config() const { return config_; }
  uint32_t max_pages() const {
    return config_.max_memory_pages ? std::min(config_.max_memory_pages, kMaxPages) : kMaxPages;
  }
  uint32_t max_table_entries() const {
    return config_.max_table_entries ? std::min(config_.max_table_entries, kMaxTableEntries)
                                     : kMaxTableEntries;
  }
  void set_limits(const InstanceState &state) const {
    state.entry().set_limits(stack_limit_, max_pages(), max_table_entries());
  }

  void add(InstanceState &state) {
    std::lock_guard lock(states_mutex_);
    states_[reinterpret_cast<uintptr_t>(state.storage.get())] = &state;
  }
  void remove(InstanceState &state) {
    std::lock_guard lock(states_mutex_);
    states_.erase(reinterpret_cast<uintptr_t>(state.storage.get()));
  }
  // At the start of a call from the host: an interrupt of an earlier call
  // may have set other instances' flags.
  void clear_interrupts();
  // Kept until the engine goes: an instance that can store its funcrefs
  // where others read them (a shared table or global), whose lifetime the
  // engine does not track.
  void pin(const std::shared_ptr<InstanceState> &state) {
    if (std::find(pinned_.begin(), pinned_.end(), state) == pinned_.end()) pinned_.push_back(state);
  }

  // Values in the glue's slots (c_glue.cc): an externref is a pointer,
  // host value n being n + 1 (so that 0 stays null); a funcref is the
  // address of a FuncRef, here `cell`, or the engine's id of one.
  uint64_t to_slot(ValType type, const Value &v, FuncRef *cell);
  Value from_slot(ValType type, uint64_t slot);
  // A funcref handed to the host: an id for as long as the engine lives,
  // which keeps its instance alive as long.
  Ref func_ref(const FuncRef &ref);
  std::shared_ptr<InstanceState> owner_of(const void *instance);
  static size_t type_size(ValType t);

 private:
  // Builds `code` (described by `info`) into paths.object(), within the
  // bounds of every build (build_bounds.h, the slots, the cache's size), or
  // throws CompileError (recorded beside the object when building it is
  // what failed) or Interrupted.
  void build(std::span<const uint8_t> code, const ModuleInfo &info, const ArtifactPaths &paths,
             const CompileOptions &options);

  // A build may not take the cache beyond its size (NativeConfig).
  void check_cache_room() const;

  // The variant of a build: which instrumentation it has.
  static std::string variant(const CompileOptions &options);
  std::string prepared_key(const CompileOptions &options) const;
  void take_info(NativeModule &module) const;

  // Whether the object at `path` is sealed, whole, and passes the
  // inspection before it is mapped (object_check.h). A refused object is
  // built again, and that build fails if what it makes is refused too.
  bool usable(const std::string &path) const;

  std::unique_ptr<SharedObject> load(const std::string &path);

  // Watchdog thread: stop the running call at its next check, in whichever
  // instance's code it is.
  void interrupt();

  EngineConfig config_;
  NativeConfig native_;
  std::string toolchain_id_;
  std::string runtime_path_;          // every module's object links it
  void *runtime_ = nullptr;           // its handle, once a module was loaded
  native::ObjectRules object_rules_;  // what a module's object may be
  uintptr_t stack_limit_ = 0;
  // Live instances by the address of their struct (the watchdog reads it).
  std::mutex states_mutex_;
  std::map<uintptr_t, InstanceState *> states_;
  std::atomic<bool> flags_set_{false};
  struct HeldFuncRef {
    FuncRef ref;
    std::shared_ptr<InstanceState> owner;
  };
  std::vector<HeldFuncRef> funcs_;  // id - 1
  std::map<std::pair<uintptr_t, uintptr_t>, uint64_t> func_ids_;
  std::vector<std::shared_ptr<InstanceState>> pinned_;
  std::optional<Watchdog> watchdog_;
};

}  // namespace pgwasm::engine::native
