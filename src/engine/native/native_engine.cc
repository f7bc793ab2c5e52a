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

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "engine/native/build.h"
#include "engine/native/c_glue.h"
#include "engine/watchdog.h"
#include "toolkit/binary.h"
#include "toolkit/errors.h"
#include "toolkit/instrument.h"
#include "toolkit/worker.h"

namespace pgwasm::engine {

namespace {

using native::ArtifactPaths;
using native::BuildLock;
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

// wasm2c 1.0.32 keeps a memory's size in bytes in 32 bits: 65536 pages
// would wrap it to 0 (and its memory.grow would free the memory). A memory
// stays one page short of that.
constexpr uint32_t kMaxPages = 65535;
struct Entry {
  int abi;
  uint32_t instance_size;
  uint32_t exports;
  int (*const *calls)(void *, const uint64_t *, uint64_t *);
  int (*instantiate)(void *, const Host *);
  void (*free)(void *);
  void *(*memory)(void *);
  void *(*global)(void *, int);
  void (*set_stack_limit)(uintptr_t);
  void (*cap_tables)(void *, uint32_t);
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

class NativeInstance : public Instance, public HostCall {
 public:
  NativeInstance(NativeEngine &engine, std::shared_ptr<const NativeModule> module,
                 std::vector<std::shared_ptr<NativeHostFunction>> imports);
  ~NativeInstance() override;

  const ModuleInfo &info() const override { return module_->info_; }
  void set_bounds(const CallBounds &bounds) override { bounds_ = bounds; }
  void call(uint32_t export_index, const Value *args, Value *results) override;
  std::shared_ptr<Extern> get_export(uint32_t) override {
    throw LinkError("the native engine does not share an instance's exports");
  }
  Value get_global(uint32_t) override {
    throw EngineError("the native engine does not read exported globals");
  }
  std::span<uint8_t> memory() override {
    auto *m = static_cast<WasmMemory *>(entry().memory(storage_.get()));
    if (!m || !m->data) return {};
    return {m->data, static_cast<size_t>(m->size)};
  }

  void instantiate(const CallBounds &bounds);

 private:
  friend class NativeEngine;
  const Entry &entry() const { return *module_->object->entry(); }
  static int dispatch(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results);
  [[noreturn]] void raise(int trap);
  void prepare(const CallBounds &bounds);
  template <typename Body>
  int run(Body &&body);

  NativeEngine &engine_;
  std::shared_ptr<const NativeModule> module_;
  std::vector<std::shared_ptr<NativeHostFunction>> imports_;
  std::unique_ptr<uint8_t[]> storage_;
  Host host_;
  CallBounds bounds_;
  // The instrumentation's globals in the instance (null when absent).
  int64_t *fuel_ = nullptr;
  uint32_t *interrupt_ = nullptr;
  uint32_t *max_pages_ = nullptr;
  std::exception_ptr pending_;
  bool instantiated_ = false;
};

class NativeEngine : public Engine {
 public:
  NativeEngine(const EngineConfig &config, NativeConfig native)
      : config_(config), native_(std::move(native)), toolchain_id_() {
    if (config.interrupt_requested)
      watchdog_.emplace(config.interrupt_requested, [this] { interrupt(); });
    std::filesystem::create_directories(native_.cache_dir);
    toolchain_id_ = native::toolchain_id(native_.toolchain, native_.cache_dir);
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
    ArtifactPaths paths(native_.cache_dir, sha256_hex(wasm), variant(options),
                        sha256_hex(code, toolchain_id_));
    module->object = load(paths.object());
    if (module->object) return module;
    if (!options.build) {
      if (auto why = native::read_failure(paths))
        throw NotBuilt(NotBuilt::State::Failed, paths.object(), *why);
      throw NotBuilt(BuildLock::held_elsewhere(paths.lock()) ? NotBuilt::State::Building
                                                             : NotBuilt::State::Missing,
                     paths.object(), "");
    }
    std::filesystem::create_directories(paths.dir());
    auto stop = [this] { return config_.interrupt_requested && config_.interrupt_requested(); };
    // One build per artifact, whichever processes want it at once.
    BuildLock lock(paths.lock(), stop);
    module->object = load(paths.object());
    if (module->object) return module;
    try {
      native::build_shared_object(code, translated, paths.dir(), paths.object(), native_.toolchain,
                                  stop);
    } catch (const CompileError &e) {
      native::record_failure(paths, e.what());
      throw;
    }
    native::clear_failure(paths);
    paths.remove_stale();
    module->object = load(paths.object());
    if (!module->object) throw CompileError("the native build of the module cannot be loaded");
    return module;
  }

  std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module,
                                        std::span<const std::shared_ptr<Extern>> imports,
                                        const CallBounds &bounds) override {
    auto native = std::dynamic_pointer_cast<const NativeModule>(module);
    if (!native) throw LinkError("a module compiled by another engine");
    std::vector<std::shared_ptr<NativeHostFunction>> functions;
    for (size_t i = 0; i < imports.size(); i++) {
      auto f = std::dynamic_pointer_cast<NativeHostFunction>(imports[i]);
      if (!f) throw LinkError("the native engine imports host functions only");
      if (i >= native->import_types.size() || !(f->type_ == native->import_types[i]))
        throw LinkError("import " + std::to_string(i) + " has another type");
      functions.push_back(std::move(f));
    }
    if (functions.size() != native->info_.imports.size())
      throw LinkError("the module imports " + std::to_string(native->info_.imports.size()) +
                      " functions; " + std::to_string(functions.size()) + " were given");
    auto instance = std::make_unique<NativeInstance>(*this, native, std::move(functions));
    instance->instantiate(bounds);
    return instance;
  }

  std::shared_ptr<Extern> host_function(FuncType type, HostCallback callback) override {
    return std::make_shared<NativeHostFunction>(std::move(type), std::move(callback));
  }
  std::shared_ptr<Extern> host_global(GlobalType, const Value &) override {
    throw LinkError("the native engine does not make host globals");
  }
  std::shared_ptr<Extern> host_memory(MemoryType) override {
    throw LinkError("the native engine does not make host memories");
  }
  std::shared_ptr<Extern> host_table(TableType) override {
    throw LinkError("the native engine does not make host tables");
  }
  std::optional<std::string> validate(std::span<const uint8_t> wasm) override {
    try {
      toolkit::read_module(wasm);
      return std::nullopt;
    } catch (const toolkit::BinaryError &e) {
      return e.what();
    }
  }
  void set_stack_limit(uintptr_t lowest_address) override { stack_limit_ = lowest_address; }
  void collect_garbage() override {}
  std::string version() const override { return "native (" + toolchain_id_ + ")"; }

  // The running call's interrupt flag, for the watchdog.
  std::atomic<uint32_t *> running_flag{nullptr};
  std::atomic<bool> interrupt_sent{false};
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

 private:
  // The variant of a build: which instrumentation it has.
  static std::string variant(const CompileOptions &options) {
    return options.fuel ? (options.limit_memory ? "fuel_mem" : "fuel")
                        : (options.limit_memory ? "mem" : "plain");
  }

  std::unique_ptr<SharedObject> load(const std::string &path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return nullptr;
    // Damaged or cut short: dlopen could map it and fault later.
    if (!native::intact(path)) {
      unlink(path.c_str());
      return nullptr;
    }
    auto object = std::make_unique<SharedObject>(path);
    if (object->entry() && object->entry()->abi == native::kGlueAbi) return object;
    // Corrupt, truncated or of another glue: built again.
    unlink(path.c_str());
    return nullptr;
  }

  // Watchdog thread: stop the running call at its next check.
  void interrupt() {
    if (uint32_t *flag = running_flag.load()) {
      interrupt_sent.store(true);
      __atomic_store_n(flag, 1u, __ATOMIC_RELAXED);
    }
  }

  EngineConfig config_;
  NativeConfig native_;
  std::string toolchain_id_;
  uintptr_t stack_limit_ = 0;
  std::optional<Watchdog> watchdog_;
};

NativeInstance::NativeInstance(NativeEngine &engine, std::shared_ptr<const NativeModule> module,
                               std::vector<std::shared_ptr<NativeHostFunction>> imports)
    : engine_(engine), module_(std::move(module)), imports_(std::move(imports)) {
  storage_ = std::make_unique<uint8_t[]>(entry().instance_size);
  std::memset(storage_.get(), 0, entry().instance_size);
  host_ = {&NativeInstance::dispatch, this};
  // Fields of the instance struct: their places are fixed from now on.
  if (module_->fuel) fuel_ = static_cast<int64_t *>(entry().global(storage_.get(), 0));
  interrupt_ = static_cast<uint32_t *>(entry().global(storage_.get(), 1));
  if (module_->max_pages) max_pages_ = static_cast<uint32_t *>(entry().global(storage_.get(), 2));
}

NativeInstance::~NativeInstance() {
  if (instantiated_) entry().free(storage_.get());
}

int NativeInstance::dispatch(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results) {
  auto *self = static_cast<NativeInstance *>(ctx);
  try {
    const FuncType &type = self->module_->import_types.at(import);
    std::vector<Value> params(type.params.size()), out(type.results.size());
    for (size_t i = 0; i < type.params.size(); i++) {
      Value v;
      v.type = type.params[i];
      v.bits.i64 = args[i];
      if (v.type == ValType::I32 || v.type == ValType::F32) v.bits.i64 &= 0xffffffffu;
      params[i] = v;
    }
    for (size_t i = 0; i < type.results.size(); i++) out[i].type = type.results[i];
    self->imports_[import]->callback(*self, params, out);
    for (size_t i = 0; i < type.results.size(); i++) {
      uint64_t bits = out[i].bits.i64;
      if (type.results[i] == ValType::I32 || type.results[i] == ValType::F32) bits &= 0xffffffffu;
      results[i] = bits;
    }
    return 0;
  } catch (...) {
    self->pending_ = std::current_exception();
    return 1;
  }
}

void NativeInstance::prepare(const CallBounds &bounds) {
  if (fuel_) *fuel_ = bounds.fuel;
  if (max_pages_) *max_pages_ = bounds.max_pages;
}

template <typename Body>
int NativeInstance::run(Body &&body) {
  if (interrupt_) *interrupt_ = 0;
  uint32_t *outer = engine_.running_flag.exchange(interrupt_);
  // Every call: the shared object's code, shared by modules of the same
  // content, keeps one limit.
  entry().set_stack_limit(engine_.stack_limit());
  engine_.call_started();
  int trap = body();
  engine_.call_finished();
  engine_.running_flag.store(outer);
  return trap;
}

void NativeInstance::instantiate(const CallBounds &bounds) {
  bounds_ = bounds;
  int trap = run([&] { return entry().instantiate(storage_.get(), &host_); });
  instantiated_ = true;  // wasm2c's instance is set up even when start traps
  if (trap) raise(trap);
  if (auto *m = static_cast<WasmMemory *>(entry().memory(storage_.get())))
    m->max_pages = std::min(m->max_pages, engine_.max_pages());
  if (uint32_t cap = engine_.config().max_table_entries) entry().cap_tables(storage_.get(), cap);
}

void NativeInstance::raise(int trap) {
  if (pending_) {
    std::exception_ptr e = std::move(pending_);
    pending_ = nullptr;
    std::rethrow_exception(e);
  }
  if (engine_.interrupt_sent.exchange(false)) throw Interrupted();
  if (trap == kTrapUnreachable && fuel_ && *fuel_ < 0)
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
    default: throw Trap(Trap::Kind::Other, "trap " + std::to_string(trap));
  }
}

void NativeInstance::call(uint32_t export_index, const Value *args, Value *results) {
  const auto &exports = module_->info_.exports;
  if (export_index >= exports.size() || export_index >= entry().exports ||
      !entry().calls[export_index])
    throw EngineError("the native engine cannot call export \"" +
                      (export_index < exports.size() ? exports[export_index].name : std::string()) +
                      "\": it takes or returns a type the engine does not pass");
  const auto &type = std::get<FuncType>(exports[export_index].type);
  // Slots: one per value, and never none (a C array of zero elements).
  uint64_t in[16], out[16];
  std::vector<uint64_t> big_in, big_out;
  uint64_t *slots = in, *res = out;
  if (type.params.size() > 16) {
    big_in.resize(type.params.size());
    slots = big_in.data();
  }
  if (type.results.size() > 16) {
    big_out.resize(type.results.size());
    res = big_out.data();
  }
  for (size_t i = 0; i < type.params.size(); i++) slots[i] = args[i].bits.i64;
  prepare(bounds_);
  int trap = run([&] { return entry().calls[export_index](storage_.get(), slots, res); });
  if (trap) raise(trap);
  for (size_t i = 0; i < type.results.size(); i++) {
    results[i].type = type.results[i];
    results[i].bits.i64 = res[i];
  }
}

}  // namespace

void remove_native_builds(const std::string &cache_dir, std::string_view module_sha256) {
  native::remove_module_builds(cache_dir, module_sha256);
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
