// The native engine: modules compiled ahead of time by wasm2c and the
// system C compiler (build.h) into shared objects, cached by the sha256 of
// what was compiled and the toolchain, loaded with dlopen, and called
// through the glue's entry point (c_glue.h).
//
// A call cannot be stopped from outside generated code: every module is
// instrumented with an interrupt check at function entries and loop
// headers (toolkit/instrument.h), and the watchdog sets the running
// instance's flag. Host functions' exceptions never cross generated frames:
// the dispatcher keeps them, the guest traps, and the call rethrows them.
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "engine/native/build.h"
#include "engine/native/build_bounds.h"
#include "engine/native/c_glue.h"
#include "engine/native/object_check.h"
#include "engine/watchdog.h"
#include "toolkit/binary.h"
#include "toolkit/errors.h"
#include "toolkit/instrument.h"
#include "toolkit/name_text.h"
#include "toolkit/shape.h"
#include "toolkit/worker.h"

namespace pgwasm::engine {

namespace {

std::span<const uint8_t> as_bytes(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

using native::ArtifactPaths;
using native::FileLock;
using native::sha256_hex;

// The glue's entry point (c_glue.cc writes the same layout).
struct Host {
  int (*call)(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results);
  void *ctx;
};
struct WasmMemory {  // wasm_rt_memory_t
  uint8_t *data;
  uint32_t pages, max_pages;
  uint32_t size;
};

// wasm_rt_funcref_t, and both kinds of wasm_rt_*_table_t (wasm-rt.h).
struct FuncRef {
  uint32_t func_type;
  void (*func)();
  void *instance;
};
struct WasmTable {
  void *data;
  uint32_t max_size, size;
};

// wasm2c 1.0.32 keeps a memory's size in bytes in 32 bits: 65536 pages
// would wrap it to 0 (and its memory.grow would free the memory). A memory
// stays one page short of that.
constexpr uint32_t kMaxPages = 65535;
struct Entry {
  int abi;
  uint32_t instance_size;
  uint32_t exports;
  int (*const *calls)(void *, const uint64_t *, uint64_t *);
  int (*instantiate)(void *, const Host *, void *const *externs);
  void (*free)(void *);
  void *(*memory)(void *);
  void *(*global)(void *, int);
  void (*set_limits)(uintptr_t stack, uint32_t pages, uint32_t entries);
  // Any export: a pointer to a memory, table or global, or `func` filled.
  void *(*any_export)(void *, uint32_t, FuncRef *func);
  const void *runtime;  // its runtime's state: instances link only within one
};

// wasm_rt_trap_t (wasm-rt.h, 1.0.32).
enum : int {
  kTrapNone,
  kTrapOob,
  kTrapIntOverflow,
  kTrapDivByZero,
  kTrapInvalidConversion,
  kTrapUnreachable,
  kTrapCallIndirect,
  kTrapUncaughtException,
  kTrapExhaustion,
};

class SharedObject {
 public:
  explicit SharedObject(const std::string &path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) return;
    entry_ = static_cast<const Entry *>(dlsym(handle_, "pgw_native_module_v1"));
  }
  ~SharedObject() {
    if (handle_) dlclose(handle_);
  }
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;
  const Entry *entry() const { return entry_; }
  std::string error() const {
    const char *e = dlerror();
    return e ? e : "no entry point";
  }

 private:
  void *handle_ = nullptr;
  const Entry *entry_ = nullptr;
};

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
class State : public HostCall, public std::enable_shared_from_this<State> {
 public:
  State(NativeEngine &engine, std::shared_ptr<const NativeModule> module);
  ~State() override;
  State(const State &) = delete;
  State &operator=(const State &) = delete;

  const Entry &entry() const { return *module->object->entry(); }
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
  Host host{};
  // The instrumentation's globals in the instance (null when absent).
  int64_t *fuel = nullptr;
  uint32_t *interrupt = nullptr;
  uint32_t *max_pages = nullptr;
  bool instantiated = false;
};

// A function an instance exports, to import into another.
class NativeFunction : public Extern {
 public:
  NativeFunction(FuncType type, FuncRef ref, std::shared_ptr<State> owner)
      : type_(std::move(type)), ref(ref), owner(std::move(owner)) {}
  ExternType type() const override { return type_; }
  FuncType type_;
  FuncRef ref;
  std::shared_ptr<State> owner;
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
  NativeInstance(NativeEngine &engine, std::shared_ptr<State> state)
      : engine_(engine), state_(std::move(state)) {}

  const ModuleInfo &info() const override { return state_->module->info_; }
  void set_bounds(const CallBounds &bounds) override { bounds_ = bounds; }
  void call(uint32_t export_index, const Value *args, Value *results) override;
  std::shared_ptr<Extern> get_export(uint32_t export_index) override;
  Value get_global(uint32_t export_index) override;
  std::span<uint8_t> memory() override { return state_->memory(); }

  void instantiate(const CallBounds &bounds);

 private:
  const Entry &entry() const { return state_->entry(); }
  void *export_pointer(uint32_t export_index, FuncRef *func);
  [[noreturn]] void raise(int trap);
  void prepare(const CallBounds &bounds);
  template <typename Body>
  int run(Body &&body);

  NativeEngine &engine_;
  std::shared_ptr<State> state_;
  CallBounds bounds_;
};

// V8's limit on a table's entries (kV8MaxWasmTableInitEntries), the
// engine's own when the host sets none.
constexpr uint32_t kMaxTableEntries = 10'000'000;

class NativeEngine : public Engine {
 public:
  NativeEngine(const EngineConfig &config, NativeConfig native)
      : config_(config), native_(std::move(native)), toolchain_id_() {
    if (config.interrupt_requested)
      watchdog_.emplace(config.interrupt_requested, [this] { interrupt(); });
    std::filesystem::create_directories(native_.cache_dir);
    toolchain_id_ = native::toolchain_id(native_.toolchain, native_.cache_dir);
    runtime_path_ =
        native_.cache_dir + "/" + native::runtime_name(native_.toolchain, toolchain_id_);
    object_rules_ =
        native::module_object_rules(std::filesystem::path(runtime_path_).filename().string());
  }
  ~NativeEngine() override {
    // Before the watchdog and the registries they use.
    pinned_.clear();
    funcs_.clear();
    if (runtime_) dlclose(runtime_);
  }

  std::shared_ptr<const Module> compile(std::span<const uint8_t> wasm,
                                        const CompileOptions &options) override {
    auto module = std::make_shared<NativeModule>();
    std::vector<uint8_t> code;
    ModuleInfo translated;
    try {
      module->info_ = toolkit::read_module(wasm);
      module->fuel = options.fuel;
      module->max_pages = options.limit_memory;
      code = toolkit::instrument(wasm, {.fuel = options.fuel,
                                        .interrupt = native_.interrupt_checks,
                                        .memory_limit = options.limit_memory});
      translated = toolkit::read_module(code);
    } catch (const toolkit::BinaryError &e) {
      throw CompileError(e.what());
    } catch (const toolkit::Interrupted &) {
      throw Interrupted();
    }
    uint32_t cap = max_pages();
    for (const auto &m : module->info_.memories)
      if (m.limits.min > cap)
        throw CompileError("the module's memory starts with " + std::to_string(m.limits.min) +
                           " pages, more than the " + std::to_string(cap) + " a memory may have");
    for (const auto &imp : module->info_.imports)
      if (const auto *t = std::get_if<FuncType>(&imp.type)) module->import_types.push_back(*t);
    ArtifactPaths paths(native_.cache_dir,
                        options.cache_name.empty() ? sha256_hex(wasm) : options.cache_name,
                        variant(options), sha256_hex(code, toolchain_id_));
    module->object = load(paths.object());
    if (module->object) return module;
    if (!options.build) {
      std::string failure;
      NotBuilt::State state = native_build_state(paths.object(), failure);
      throw NotBuilt(state, paths.object(), failure);
    }
    try {
      build(code, translated, paths, options);
    } catch (...) {
      native::finish_removal(paths);
      throw;
    }
    module->object = load(paths.object());
    if (!module->object) throw CompileError("the native build of the module cannot be loaded");
    // Loaded: a removal the build held back may go ahead.
    native::finish_removal(paths);
    return module;
  }

  std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module,
                                        std::span<const std::shared_ptr<Extern>> imports,
                                        const CallBounds &bounds) override;

  std::shared_ptr<Extern> host_function(FuncType type, HostCallback callback) override {
    return std::make_shared<NativeHostFunction>(std::move(type), std::move(callback));
  }
  std::shared_ptr<Extern> host_global(GlobalType type, const Value &initial) override {
    if (type.type == ValType::V128) throw LinkError("the native engine has no v128 globals");
    auto global = std::make_shared<HostGlobal>();
    FuncRef cell{};
    uint64_t slot = to_slot(type.type, initial, &cell);
    if (type.type == ValType::FuncRef)
      std::memcpy(global->bytes, &cell, sizeof cell);
    else
      std::memcpy(global->bytes, &slot, type_size(type.type));
    void *ptr = global->bytes;
    return std::make_shared<NativeCell>(type, ptr, std::move(global), nullptr);
  }
  std::shared_ptr<Extern> host_memory(MemoryType type) override {
    uint32_t cap = max_pages();
    if (type.limits.min > cap)
      throw LinkError("a memory of " + std::to_string(type.limits.min) + " pages, more than the " +
                      std::to_string(cap) + " a memory may have");
    auto memory = std::make_shared<HostMemory>();
    auto pages = static_cast<uint32_t>(type.limits.min);
    memory->memory.data = static_cast<uint8_t *>(std::calloc(size_t{pages} * 65536 + 1, 1));
    if (!memory->memory.data)
      throw Trap(Trap::Kind::OutOfMemory,
                 "Out of memory: cannot allocate a memory of " + std::to_string(pages) + " pages");
    memory->memory.pages = pages;
    memory->memory.size = pages * 65536;
    memory->memory.max_pages =
        static_cast<uint32_t>(std::min<uint64_t>(type.limits.max.value_or(65536), cap));
    void *ptr = &memory->memory;
    return std::make_shared<NativeCell>(type, ptr, std::move(memory), nullptr);
  }
  std::shared_ptr<Extern> host_table(TableType type) override {
    uint32_t cap = max_table_entries();
    if (type.limits.min > cap)
      throw LinkError("a table of " + std::to_string(type.limits.min) + " entries, more than the " +
                      std::to_string(cap) + " a table may have");
    auto table = std::make_shared<HostTable>();
    auto size = static_cast<uint32_t>(type.limits.min);
    size_t entry = type.element == ValType::FuncRef ? sizeof(FuncRef) : sizeof(void *);
    table->table.data = std::calloc(size_t{size} + 1, entry);
    if (!table->table.data)
      throw Trap(Trap::Kind::OutOfMemory,
                 "Out of memory: cannot allocate a table of " + std::to_string(size) + " entries");
    table->table.size = size;
    table->table.max_size =
        static_cast<uint32_t>(std::min<uint64_t>(type.limits.max.value_or(UINT32_MAX), cap));
    void *ptr = &table->table;
    return std::make_shared<NativeCell>(type, ptr, std::move(table), nullptr);
  }
  std::optional<std::string> validate(std::span<const uint8_t> wasm) override {
    try {
      toolkit::read_module(wasm);
      return std::nullopt;
    } catch (const toolkit::BinaryError &e) {
      return e.what();
    }
  }
  void set_stack_limit(uintptr_t lowest_address) override {
    stack_limit_ = lowest_address;
    // Every instance's code, not only the one a call enters: calls go from
    // one module's code to another's directly.
    std::lock_guard lock(states_mutex_);
    for (const auto &[at, state] : states_) set_limits(*state);
  }
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
  void set_limits(const State &state) const {
    state.entry().set_limits(stack_limit_, max_pages(), max_table_entries());
  }

  void add(State &state) {
    std::lock_guard lock(states_mutex_);
    states_[reinterpret_cast<uintptr_t>(state.storage.get())] = &state;
  }
  void remove(State &state) {
    std::lock_guard lock(states_mutex_);
    states_.erase(reinterpret_cast<uintptr_t>(state.storage.get()));
  }
  // At the start of a call from the host: an interrupt of an earlier call
  // may have set other instances' flags.
  void clear_interrupts() {
    // A plain load first: the locked exchange only after an interrupt.
    if (!flags_set_.load(std::memory_order_relaxed) || !flags_set_.exchange(false)) return;
    std::lock_guard lock(states_mutex_);
    for (const auto &[at, state] : states_)
      if (state->interrupt) *state->interrupt = 0;
  }
  // Kept until the engine goes: an instance that can store its funcrefs
  // where others read them (a shared table or global), whose lifetime the
  // engine does not track.
  void pin(const std::shared_ptr<State> &state) {
    if (std::find(pinned_.begin(), pinned_.end(), state) == pinned_.end()) pinned_.push_back(state);
  }

  // Values in the glue's slots (c_glue.cc): an externref is a pointer,
  // host value n being n + 1 (so that 0 stays null); a funcref is the
  // address of a FuncRef, here `cell`, or the engine's id of one.
  uint64_t to_slot(ValType type, const Value &v, FuncRef *cell) {
    switch (type) {
      case ValType::ExternRef: return v.ref.kind == Ref::Kind::Null ? 0 : v.ref.id + 1;
      case ValType::FuncRef:
        *cell = {};
        if (v.ref.kind == Ref::Kind::Func) {
          if (v.ref.id == 0 || v.ref.id > funcs_.size())
            throw EngineError("a funcref the native engine did not make");
          *cell = funcs_[v.ref.id - 1].ref;
        }
        return reinterpret_cast<uintptr_t>(cell);
      case ValType::I32:
      case ValType::F32: return v.bits.i32;
      default: return v.bits.i64;
    }
  }
  Value from_slot(ValType type, uint64_t slot) {
    Value v;
    v.type = type;
    switch (type) {
      case ValType::ExternRef:
        if (slot) v.ref = {Ref::Kind::Host, slot - 1};
        break;
      case ValType::FuncRef:
        v.ref = func_ref(*reinterpret_cast<const FuncRef *>(static_cast<uintptr_t>(slot)));
        break;
      case ValType::I32:
      case ValType::F32: v.bits.i64 = slot & 0xffffffffu; break;
      default: v.bits.i64 = slot;
    }
    return v;
  }
  // A funcref handed to the host: an id for as long as the engine lives,
  // which keeps its instance alive as long.
  Ref func_ref(const FuncRef &ref) {
    if (!ref.func) return {};
    auto key = std::make_pair(reinterpret_cast<uintptr_t>(ref.func),
                              reinterpret_cast<uintptr_t>(ref.instance));
    auto [it, added] = func_ids_.emplace(key, funcs_.size() + 1);
    if (added) funcs_.push_back({ref, owner_of(ref.instance)});
    return {Ref::Kind::Func, it->second};
  }
  std::shared_ptr<State> owner_of(const void *instance) {
    std::lock_guard lock(states_mutex_);
    auto it = states_.upper_bound(reinterpret_cast<uintptr_t>(instance));
    if (it == states_.begin()) return nullptr;
    --it;
    return it->second->contains(instance) ? it->second->shared_from_this() : nullptr;
  }
  static size_t type_size(ValType t) {
    switch (t) {
      case ValType::I32:
      case ValType::F32: return 4;
      case ValType::FuncRef: return sizeof(FuncRef);
      default: return 8;
    }
  }

 private:
  // Builds `code` (described by `info`) into paths.object(), within the
  // bounds of every build (build_bounds.h, the slots, the cache's size), or
  // throws CompileError (recorded beside the object when building it is
  // what failed) or Interrupted.
  void build(std::span<const uint8_t> code, const ModuleInfo &info, const ArtifactPaths &paths,
             const CompileOptions &options) {
    auto stop = [&] {
      return (config_.interrupt_requested && config_.interrupt_requested()) ||
             (options.stop_when_removed && native::builds_removed(paths));
    };
    if (stop()) throw Interrupted();
    // Held by every build of the module: its removal waits for the last.
    FileLock in_use = FileLock::building(paths, stop);
    std::optional<std::string> too_costly;
    try {
      too_costly = native::build_refusal(toolkit::scan_module(code).shape);
    } catch (const toolkit::BinaryError &e) {
      throw CompileError(e.what());
    }
    if (auto why = too_costly) {
      native::record_failure(paths, *why);
      throw CompileError(*why);
    }
    // One build per artifact, whichever processes want it at once.
    FileLock lock(paths.lock(), FileLock::Mode::Exclusive, stop);
    if (usable(paths.object())) return;  // another process built it meanwhile
    if (native_.max_builds == 0)
      throw CompileError("native builds are turned off (the most builds at once is 0)");
    FileLock slot = native::take_build_slot(
        native_.slots_dir.empty() ? native_.cache_dir + "/slots" : native_.slots_dir,
        native_.max_builds, stop);
    check_cache_room();
    try {
      native::build_shared_object(code, info, paths.dir(), paths.object(), runtime_path_,
                                  native_.toolchain, stop);
    } catch (const CompileError &e) {
      native::record_failure(paths, e.what());
      throw;
    }
    native::clear_failure(paths);
    paths.remove_stale();
    try {
      check_cache_room();
    } catch (const CompileError &) {
      unlink(paths.object().c_str());
      throw;
    }
  }

  // A build may not take the cache beyond its size (NativeConfig).
  void check_cache_room() const {
    if (!native_.max_cache_bytes) return;
    const std::string &root = native_.cache_root.empty() ? native_.cache_dir : native_.cache_root;
    uint64_t used = native::bytes_under(root);
    if (used > native_.max_cache_bytes)
      throw CompileError("the native engine's cache is full: its builds take " +
                         std::to_string(used >> 20) + " MB of the " +
                         std::to_string(native_.max_cache_bytes >> 20) + " MB it may");
  }

  // The variant of a build: which instrumentation it has.
  static std::string variant(const CompileOptions &options) {
    return options.fuel ? (options.limit_memory ? "fuel_mem" : "fuel")
                        : (options.limit_memory ? "mem" : "plain");
  }

  // Whether the object at `path` is sealed, whole, and passes the
  // inspection before it is mapped (object_check.h). A refused object is
  // built again, and that build fails if what it makes is refused too.
  bool usable(const std::string &path) const {
    auto contents = native::sealed_contents(path);
    return contents && !native::object_refusal(as_bytes(*contents), object_rules_);
  }

  std::unique_ptr<SharedObject> load(const std::string &path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return nullptr;
    // The runtime it links, then the object itself: damaged or cut short,
    // dlopen could map them and fault later. Both are built again.
    if (!native::intact(runtime_path_)) {
      unlink(runtime_path_.c_str());
      return nullptr;
    }
    if (!usable(path)) {
      unlink(path.c_str());
      return nullptr;
    }
    auto object = std::make_unique<SharedObject>(path);
    if (object->entry() && object->entry()->abi == native::kGlueAbi) {
      // The runtime stays loaded for as long as the engine lives, not only
      // while some module's object does: unloaded with the last of them, it
      // would lose the function types instances registered (allocated, never
      // freed) and register them again, so that every unload leaked them.
      if (!runtime_) runtime_ = dlopen(runtime_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
      return object;
    }
    // Corrupt, truncated or of another glue: built again.
    unlink(path.c_str());
    return nullptr;
  }

  // Watchdog thread: stop the running call at its next check, in whichever
  // instance's code it is.
  void interrupt() {
    if (!running_flag.load()) return;
    interrupt_sent.store(true);
    flags_set_.store(true);
    std::lock_guard lock(states_mutex_);
    for (const auto &[at, state] : states_)
      if (state->interrupt) __atomic_store_n(state->interrupt, 1u, __ATOMIC_RELAXED);
  }

  EngineConfig config_;
  NativeConfig native_;
  std::string toolchain_id_;
  std::string runtime_path_;          // every module's object links it
  void *runtime_ = nullptr;           // its handle, once a module was loaded
  native::ObjectRules object_rules_;  // what a module's object may be
  uintptr_t stack_limit_ = 0;
  // Live instances by the address of their struct (the watchdog reads it).
  std::mutex states_mutex_;
  std::map<uintptr_t, State *> states_;
  std::atomic<bool> flags_set_{false};
  struct Func {
    FuncRef ref;
    std::shared_ptr<State> owner;
  };
  std::vector<Func> funcs_;  // id - 1
  std::map<std::pair<uintptr_t, uintptr_t>, uint64_t> func_ids_;
  std::vector<std::shared_ptr<State>> pinned_;
  std::optional<Watchdog> watchdog_;
};

State::State(NativeEngine &engine, std::shared_ptr<const NativeModule> module)
    : engine(engine), module(std::move(module)) {
  storage = std::make_unique<uint8_t[]>(entry().instance_size);
  std::memset(storage.get(), 0, entry().instance_size);
  host = {&State::dispatch, this};
  // Fields of the instance struct: their places are fixed from now on.
  if (this->module->fuel) fuel = static_cast<int64_t *>(entry().global(storage.get(), 0));
  interrupt = static_cast<uint32_t *>(entry().global(storage.get(), 1));
  if (this->module->max_pages)
    max_pages = static_cast<uint32_t *>(entry().global(storage.get(), 2));
  engine.add(*this);
}

State::~State() {
  engine.remove(*this);
  if (instantiated) entry().free(storage.get());
}

int State::dispatch(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results) {
  auto *self = static_cast<State *>(ctx);
  NativeEngine &engine = self->engine;
  try {
    const NativeHostFunction *f = self->host_functions.at(import);
    const FuncType &type = f->type_;
    std::vector<Value> params(type.params.size()), out(type.results.size());
    for (size_t i = 0; i < type.params.size(); i++)
      params[i] = engine.from_slot(type.params[i], args[i]);
    for (size_t i = 0; i < type.results.size(); i++) out[i].type = type.results[i];
    f->callback(*self, params, out);
    for (size_t i = 0; i < type.results.size(); i++) {
      if (type.results[i] == ValType::FuncRef) {
        // The glue's slot holds the address of its own FuncRef.
        engine.to_slot(type.results[i], out[i],
                       reinterpret_cast<FuncRef *>(static_cast<uintptr_t>(results[i])));
      } else {
        FuncRef unused;
        results[i] = engine.to_slot(type.results[i], out[i], &unused);
      }
    }
    return 0;
  } catch (...) {
    engine.pending = std::current_exception();
    return 1;
  }
}

namespace {

std::string limits_text(const Limits &l) {
  return std::to_string(l.min) + (l.max ? " to " + std::to_string(*l.max) : "");
}

// Whether an extern of limits {size, declared max} fits an import's.
bool fits(uint64_t size, std::optional<uint64_t> max, const Limits &wanted) {
  if (size < wanted.min) return false;
  if (!wanted.max) return true;
  return max && *max <= *wanted.max;
}

}  // namespace

std::unique_ptr<Instance> NativeEngine::instantiate(
    std::shared_ptr<const Module> module, std::span<const std::shared_ptr<Extern>> imports,
    const CallBounds &bounds) {
  auto native = std::dynamic_pointer_cast<const NativeModule>(module);
  if (!native) throw LinkError("a module compiled by another engine");
  const auto &wanted = native->info_.imports;
  if (imports.size() != wanted.size())
    throw LinkError("the module has " + std::to_string(wanted.size()) + " imports; " +
                    std::to_string(imports.size()) + " were given");
  const Entry &entry = *native->object->entry();
  uint32_t cap = max_table_entries();
  for (size_t t = 0; t < native->info_.tables.size(); t++)
    if (native->info_.tables[t].limits.min > cap)
      throw LinkError("a table of " + std::to_string(native->info_.tables[t].limits.min) +
                      " entries, more than the " + std::to_string(cap) + " a table may have");

  auto state = std::make_shared<State>(*this, native);
  size_t n = wanted.size();
  state->imports.assign(imports.begin(), imports.end());
  state->externs.resize(n);
  state->functions.resize(n);
  state->host_functions.resize(n);
  bool shares_funcrefs = false;
  for (size_t i = 0; i < n; i++) {
    const auto &imp = wanted[i];
    std::string what = "import " + std::to_string(i) + " (" + toolkit::quoted_name(imp.module) +
                       "." + toolkit::quoted_name(imp.name) + ")";
    const Extern *given = imports[i].get();
    if (!given) throw LinkError(what + " is missing");
    if (const auto *type = std::get_if<FuncType>(&imp.type)) {
      if (const auto *h = dynamic_cast<const NativeHostFunction *>(given)) {
        if (!(h->type_ == *type)) throw LinkError(what + " has another type");
        state->host_functions[i] = h;
      } else if (const auto *f = dynamic_cast<const NativeFunction *>(given)) {
        if (!(f->type_ == *type)) throw LinkError(what + " has another type");
        if (f->owner->entry().runtime != entry.runtime)
          throw LinkError(what + " was built against another copy of wasm2c's runtime");
        state->functions[i] = f->ref;
      } else {
        throw LinkError(what + " is not a function of this engine");
      }
      state->externs[i] = &state->functions[i];
      continue;
    }
    auto *cell = const_cast<NativeCell *>(dynamic_cast<const NativeCell *>(given));
    if (!cell || kind_of(cell->type_) != kind_of(imp.type))
      throw LinkError(what + " is not a " + std::string(to_string(kind_of(imp.type))) +
                      " of this engine");
    if (const auto *m = std::get_if<MemoryType>(&imp.type)) {
      const auto &have = std::get<MemoryType>(cell->type_);
      uint32_t pages = static_cast<const WasmMemory *>(cell->ptr)->pages;
      if (have.shared != m->shared || !fits(pages, have.limits.max, m->limits))
        throw LinkError(what + ": a memory of " + limits_text(have.limits) +
                        " pages does not fit " + limits_text(m->limits));
    } else if (const auto *t = std::get_if<TableType>(&imp.type)) {
      const auto &have = std::get<TableType>(cell->type_);
      uint32_t size = static_cast<const WasmTable *>(cell->ptr)->size;
      if (have.element != t->element || !fits(size, have.limits.max, t->limits))
        throw LinkError(what + ": a table of " + limits_text(have.limits) +
                        " entries does not fit " + limits_text(t->limits));
    } else if (!(std::get<GlobalType>(cell->type_) == std::get<GlobalType>(imp.type))) {
      throw LinkError(what + ": a global of another type or mutability");
    }
    if (cell->holds_funcrefs()) {
      if (cell->runtime && cell->runtime != entry.runtime)
        throw LinkError(what + " holds functions of another copy of wasm2c's runtime");
      cell->runtime = entry.runtime;
    }
    // A table or a global of references: the instance may store its funcrefs
    // there, for others to call.
    if (std::holds_alternative<TableType>(imp.type) ||
        (std::holds_alternative<GlobalType>(imp.type) &&
         std::get<GlobalType>(imp.type).type == ValType::FuncRef))
      shares_funcrefs = true;
    state->externs[i] = cell->ptr;
  }
  if (shares_funcrefs) pin(state);
  set_limits(*state);
  auto instance = std::make_unique<NativeInstance>(*this, std::move(state));
  instance->instantiate(bounds);
  return instance;
}

void NativeInstance::prepare(const CallBounds &bounds) {
  if (state_->fuel) *state_->fuel = bounds.fuel;
  if (state_->max_pages) *state_->max_pages = bounds.max_pages;
}

template <typename Body>
int NativeInstance::run(Body &&body) {
  // Only this thread writes running_flag (the watchdog reads it): a load and
  // a store, not a locked exchange, on every call.
  uint32_t *outer = engine_.running_flag.load(std::memory_order_relaxed);
  engine_.running_flag.store(state_->interrupt, std::memory_order_release);
  if (!outer) engine_.clear_interrupts();
  if (state_->interrupt) *state_->interrupt = 0;
  // Every call: the shared object's code, shared by modules of the same
  // content, keeps one limit.
  engine_.set_limits(*state_);
  engine_.call_started();
  int trap = body();
  engine_.call_finished();
  engine_.running_flag.store(outer, std::memory_order_release);
  return trap;
}

void NativeInstance::instantiate(const CallBounds &bounds) {
  bounds_ = bounds;
  prepare(bounds);
  int trap = run([&] {
    return entry().instantiate(state_->storage.get(), &state_->host, state_->externs.data());
  });
  state_->instantiated = true;  // wasm2c's instance is set up even when start traps
  if (trap) raise(trap);
}

void NativeInstance::raise(int trap) {
  if (engine_.pending) {
    std::exception_ptr e = std::move(engine_.pending);
    engine_.pending = nullptr;
    std::rethrow_exception(e);
  }
  if (engine_.interrupt_sent.load() && engine_.interrupt_sent.exchange(false)) throw Interrupted();
  if (trap == kTrapUnreachable && state_->fuel && *state_->fuel < 0)
    throw Trap(Trap::Kind::FuelExhausted, "out of fuel");
  switch (trap) {
    case kTrapOob: throw Trap(Trap::Kind::MemoryOutOfBounds, "memory access out of bounds");
    case kTrapIntOverflow: throw Trap(Trap::Kind::IntegerOverflow, "integer overflow");
    case kTrapDivByZero: throw Trap(Trap::Kind::DivideByZero, "divide by zero");
    case kTrapInvalidConversion:
      throw Trap(Trap::Kind::InvalidConversion, "invalid conversion to integer");
    case kTrapUnreachable: throw Trap(Trap::Kind::Unreachable, "unreachable");
    case kTrapCallIndirect:
      throw Trap(Trap::Kind::IndirectCallMismatch, "indirect call to a null or mismatched entry");
    case kTrapExhaustion: throw Trap(Trap::Kind::StackExhausted, "call stack exhausted");
    case native::kTrapOutOfMemory:
      throw Trap(Trap::Kind::OutOfMemory, "Out of memory: cannot allocate what the instance needs");
    default: throw Trap(Trap::Kind::Other, "trap " + std::to_string(trap));
  }
}

void *NativeInstance::export_pointer(uint32_t export_index, FuncRef *func) {
  const auto &exports = info().exports;
  if (export_index >= exports.size() || export_index >= entry().exports)
    throw EngineError("no export " + std::to_string(export_index));
  void *p = entry().any_export(state_->storage.get(), export_index, func);
  if (!p)
    throw EngineError("the native engine cannot pass export " +
                      toolkit::quoted_name(exports[export_index].name) +
                      ": it takes or returns a type the engine does not pass");
  return p;
}

std::shared_ptr<Extern> NativeInstance::get_export(uint32_t export_index) {
  FuncRef func{};
  void *p = export_pointer(export_index, &func);
  const ExternType &type = info().exports[export_index].type;
  if (const auto *f = std::get_if<FuncType>(&type))
    return std::make_shared<NativeFunction>(*f, func, state_);
  auto cell = std::make_shared<NativeCell>(type, p, state_, entry().runtime);
  // Another instance may store its funcrefs in this table or global, and the
  // host read them: both stay as long as the engine.
  if (cell->holds_funcrefs() || std::holds_alternative<TableType>(type)) engine_.pin(state_);
  return cell;
}

Value NativeInstance::get_global(uint32_t export_index) {
  const auto *type = std::get_if<GlobalType>(&info().exports.at(export_index).type);
  if (!type) throw EngineError("export " + std::to_string(export_index) + " is not a global");
  FuncRef unused{};
  const void *p = export_pointer(export_index, &unused);
  if (type->type == ValType::FuncRef)
    return engine_.from_slot(ValType::FuncRef, reinterpret_cast<uintptr_t>(p));
  uint64_t slot = 0;
  if (type->type == ValType::ExternRef)
    slot = reinterpret_cast<uintptr_t>(*static_cast<void *const *>(p));
  else
    std::memcpy(&slot, p, NativeEngine::type_size(type->type));
  return engine_.from_slot(type->type, slot);
}

void NativeInstance::call(uint32_t export_index, const Value *args, Value *results) {
  const auto &exports = info().exports;
  if (export_index >= exports.size() || export_index >= entry().exports ||
      !entry().calls[export_index])
    throw EngineError(
        "the native engine cannot call export " +
        toolkit::quoted_name(export_index < exports.size() ? exports[export_index].name : "") +
        ": it takes or returns a type the engine does not pass");
  const auto &type = std::get<FuncType>(exports[export_index].type);
  // Slots: one per value, and never none (a C array of zero elements); the
  // FuncRefs funcref slots point to. On the stack unless there are many.
  constexpr size_t kSmall = 16;
  uint64_t small_in[kSmall], small_out[kSmall];
  FuncRef small_refs[2 * kSmall];
  std::vector<uint64_t> big_in, big_out;
  std::vector<FuncRef> big_refs;
  uint64_t *slots = small_in, *res = small_out;
  FuncRef *refs = small_refs;
  size_t np = type.params.size(), nr = type.results.size();
  if (np > kSmall || nr > kSmall) {
    big_in.resize(np + 1);
    big_out.resize(nr + 1);
    big_refs.resize(np + nr);
    slots = big_in.data();
    res = big_out.data();
    refs = big_refs.data();
  }
  for (size_t i = 0; i < np; i++) slots[i] = engine_.to_slot(type.params[i], args[i], &refs[i]);
  for (size_t i = 0; i < nr; i++)
    if (type.results[i] == ValType::FuncRef) {
      refs[np + i] = {};
      res[i] = reinterpret_cast<uintptr_t>(&refs[np + i]);
    }
  prepare(bounds_);
  int trap = run([&] { return entry().calls[export_index](state_->storage.get(), slots, res); });
  if (trap) raise(trap);
  for (size_t i = 0; i < type.results.size(); i++)
    results[i] = engine_.from_slot(type.results[i], res[i]);
}

}  // namespace

NotBuilt::State native_build_state(const std::string &artifact, std::string &failure) {
  ArtifactPaths paths(artifact);
  if (auto why = native::read_failure(paths)) {
    failure = *why;
    return NotBuilt::State::Failed;
  }
  return FileLock::held_elsewhere(paths.lock()) ? NotBuilt::State::Building
                                                : NotBuilt::State::Missing;
}

void remove_native_builds(const std::string &cache_dir, std::string_view module_sha256) {
  native::remove_module_builds(cache_dir, module_sha256);
}

void remove_unused_native_builds(const std::string &cache_dir,
                                 const std::vector<std::string> &in_use,
                                 std::chrono::seconds idle) {
  native::remove_unused_builds(cache_dir, in_use, idle);
}

void keep_native_builds(const std::string &cache_dir, std::string_view module_sha256) {
  native::mark_in_use(cache_dir, module_sha256);
}

std::string native_build_dir_name(std::string_view module_sha256) {
  return native::module_dir_name(module_sha256);
}

std::unique_ptr<Engine> make_native_engine(const EngineConfig &config, NativeConfig native) {
  const auto &tc = native.toolchain;
  for (const auto *tool : {&tc.cc, &tc.wasm2c})
    if (access(tool->c_str(), X_OK) != 0)
      throw EngineError("the native engine needs " + *tool + ", which is not there");
  if (!native::toolchain_available(tc))
    throw EngineError("the native engine needs wasm2c's runtime in " + tc.runtime_dir);
  return std::make_unique<NativeEngine>(config, std::move(native));
}

}  // namespace pgwasm::engine
